/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil verify`: verifies an image's signatures in a registry the way cosign 3 does
 * (docs/signing.md): cosign 3 bundles through the referrers API or its fallback tag, and legacy
 * `sha256-<hex>.sig` layers; key rotation with several keys or a directory of keys, and
 * `--threshold`. Prints the verified payloads as cosign does. Exit 0 only when verified.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>
#include <strings.h>

#include "sign/sign.h"

static const char verify_help[] =
    "Usage: vigil verify --key PUB [--key PUB]... [--threshold N] [-a KEY=VALUE]...\n"
    "                    [--dct]\n"
    "       vigil verify (--certificate-identity ID | --certificate-identity-regexp RE)\n"
    "                    (--certificate-oidc-issuer ISS | --certificate-oidc-issuer-regexp RE)\n"
    "                    --trusted-root FILE [--insecure-ignore-tlog]\n"
    "                    [--output json|text] [--check-claims=true|false] [--ignore-reference]\n"
    "                    " VG_CLI_USAGE_REGISTRY " IMAGE...\n"
    "\n"
    "Finds every signature of each IMAGE - cosign 3 bundles (OCI 1.1 referrers, or the\n"
    "sha256-<hex> fallback tag) and legacy signatures (tag sha256-<hex>.sig) - fetches them\n"
    "all and verifies each one against the exact payload bytes: signature with the key, then\n"
    "the claims (the payload names the image's manifest digest, its repository and every -a\n"
    "annotation). Prints the verified payloads as a JSON array on standard output, like\n"
    "cosign verify. With --key no transparency log is consulted (cosign's\n"
    "--insecure-ignore-tlog). Keyless (the --certificate-* flags): each signature must carry a\n"
    "Fulcio certificate (legacy annotations or the bundle's verification material) that chains\n"
    "to the trusted root at the signing time, with an SCT, the identity asked for, and Rekor\n"
    "evidence checked offline (the signed entry timestamp, or the bundle's inclusion proof);\n"
    "see docs/sigstore.md.\n"
    "\n"
    "Options:\n"
    "  --key PATH             public key file (PEM or DER), or a directory of *.pub/*.pem keys;\n"
    "                         repeatable (key rotation: any one valid key suffices)\n"
    "  --threshold N          require signatures from N distinct keys (default 1)\n"
    "  --dct                  also (or, without --key, only) require Docker Content Trust:\n"
    "                         the tag signed in the repository's notary (Notary v1) TUF\n"
    "                         metadata, matching the manifest's hash and length (see\n"
    "                         'vigil trust --help'); DOCKER_CONTENT_TRUST=1 does the same\n"
    "  -a, --annotations K=V  the payload must carry this annotation (repeatable)\n"
    "  --output json|text     json: cosign's array of payloads (default); text: one payload\n"
    "                         per line\n"
    "  --check-claims=BOOL    false: check only the signatures, not digest and annotations\n"
    "  --ignore-reference     skip one claim: that a legacy (.sig) payload's docker-reference\n"
    "                         names IMAGE's repository (cosign never checks it). Needed for\n"
    "                         images signed in one repository and copied to another; the\n"
    "                         signature, digest and -a claims are still "
    "checked\n" VG_CLI_HELP_KEYLESS
    "  --insecure-ignore-tlog              keyless: require no transparency-log entry (the\n"
    "                                      certificate must then be valid now, or at an RFC\n"
    "                                      3161 timestamp)\n" VG_CLI_HELP_REGISTRY "\n"
    "Environment: VIGIL_REPOSITORY (or COSIGN_REPOSITORY) = REGISTRY/PATH where signatures\n"
    "are stored, when not beside the image.\n"
    "\n"
    "Examples:\n"
    "  vigil verify --key cosign.pub registry.example.com/team/app:1.4\n"
    "  vigil verify --key old.pub --key new.pub -a env=prod registry.example.com/team/app:1.4\n"
    "  vigil verify --key keys/ --threshold 2 registry.example.com/team/app@sha256:...\n"
    "\n"
    "Exit codes: 0 verified, 1 no valid signature (or fewer keys than --threshold), 2 usage,\n"
    "3 runtime, 4 image or key not found, 5 auth, 6 unusable key, 7 network.\n";

enum {
    OPT_KEY = 1,
    OPT_THRESHOLD,
    OPT_OUTPUT,
    OPT_CHECK_CLAIMS,
    OPT_IGNORE_REF,
    OPT_DCT,
    OPT_HELP
};

#define MAX_ANNOTATIONS 256
#define MAX_KEY_ARGS    64

struct verify_args {
    const char *keys[MAX_KEY_ARGS];
    size_t nkeys;
    uint64_t threshold;
    struct vg_sign_kv ann[MAX_ANNOTATIONS];
    size_t nann;
    bool text, check_claims, ignore_reference;
    bool dct; /* --dct or DOCKER_CONTENT_TRUST=1 */
    struct vg_cli_keyless kl;
    struct vg_oci_open_opts open;
    char **images;
    size_t nimages;
};

static int
add_annotation(struct verify_args *a, char *arg)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        return vg_cli_usage("verify", "-a wants KEY=VALUE, not '%s'", arg);
    }
    if (a->nann == MAX_ANNOTATIONS) {
        return vg_cli_usage("verify", "at most %d annotations", MAX_ANNOTATIONS);
    }
    *eq = '\0';
    a->ann[a->nann++] = (struct vg_sign_kv){arg, eq + 1};
    return 0;
}

static int
parse_opt(struct verify_args *a, int c, char *arg, const char *argv_opt)
{
    switch (c) {
    case OPT_KEY:
        if (a->nkeys == MAX_KEY_ARGS) {
            return vg_cli_usage("verify", "at most %d --key options", MAX_KEY_ARGS);
        }
        a->keys[a->nkeys++] = arg;
        return 0;
    case OPT_THRESHOLD:
        if (vg_parse_u64(vg_str_c(arg), VG_SIGN_MAX_KEYS, &a->threshold) < 0 || a->threshold == 0) {
            return vg_cli_usage("verify", "--threshold wants a number from 1 to %u",
                                VG_SIGN_MAX_KEYS);
        }
        return 0;
    case 'a':
        return add_annotation(a, arg);
    case OPT_OUTPUT:
        if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0) {
            return vg_cli_usage("verify", "--output must be json or text, not '%s'", arg);
        }
        a->text = strcmp(arg, "text") == 0;
        return 0;
    case OPT_CHECK_CLAIMS:
        if (arg && strcmp(arg, "true") != 0 && strcmp(arg, "false") != 0) {
            return vg_cli_usage("verify", "--check-claims must be true or false");
        }
        a->check_claims = !arg || strcmp(arg, "true") == 0;
        return 0;
    case OPT_IGNORE_REF:
        a->ignore_reference = true;
        return 0;
    case OPT_DCT:
        a->dct = true;
        return 0;
    case 'h':
    case OPT_HELP:
        fputs(verify_help, stdout);
        return -1;
    default:
        return vg_cli_usage("verify", "unknown option '%s'", argv_opt);
    }
}

static int
parse_args(struct verify_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, OPT_KEY},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"annotations", required_argument, NULL, 'a'},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"check-claims", optional_argument, NULL, OPT_CHECK_CLAIMS},
        {"ignore-reference", no_argument, NULL, OPT_IGNORE_REF},
        {"dct", no_argument, NULL, OPT_DCT},
        VG_CLI_KEYLESS_LONGOPTS,
        {"insecure-ignore-tlog", no_argument, NULL, VG_CLI_OPT_NO_TLOG},
        VG_CLI_REGISTRY_LONGOPTS,
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    a->check_claims = true;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ha:o:", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &a->open) || vg_cli_keyless_opt(&a->kl, c, optarg)) {
            continue;
        }
        if ((rc = parse_opt(a, c == 'o' ? OPT_OUTPUT : c, optarg, argv[optind - 1])) != 0) {
            return rc;
        }
    }
    const char *env_dct = getenv("DOCKER_CONTENT_TRUST");
    if (env_dct && (strcmp(env_dct, "1") == 0 || strcasecmp(env_dct, "true") == 0)) {
        a->dct = true; /* docker's switch: every verification insists on content trust */
    }
    if ((rc = vg_cli_keyless_check("verify", &a->kl, a->nkeys > 0)) != 0) {
        return rc;
    }
    if (a->nkeys == 0 && !a->dct && !vg_cli_keyless_wanted(&a->kl)) {
        return vg_cli_usage("verify", "--key (or a keyless --certificate-identity) is required");
    }
    if (optind == argc) {
        return vg_cli_usage("verify", "missing IMAGE");
    }
    a->images = argv + optind;
    a->nimages = (size_t)(argc - optind);
    return 0;
}

static void
print_payloads(const struct vg_sign_check_result *r, bool text)
{
    if (!text) {
        fputs("\n[", stdout);
    }
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!r->items[i].verified) {
            continue;
        }
        if (text) {
            printf("%s\n", r->items[i].payload);
        } else {
            printf("%s%s", k++ ? "," : "", r->items[i].output);
        }
    }
    if (!text) {
        fputs("]\n", stdout);
    }
}

/* Reasons are input-derived only through error messages that escape what they quote. */
static void
print_failures(const struct vg_sign_check_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->items[i].verified) {
            continue;
        }
        vg_autofree char *msg =
            r->items[i].error ? vg_err_format(r->items[i].error) : vg_strdup("not verified");
        fprintf(stderr, "  - %s: %s\n", r->items[i].where, msg);
    }
}

static int
verify_image(const struct verify_args *a, const struct vg_sign_keyset *ks,
             const struct vg_sign_keyless *kl, const char *image)
{
    struct vg_err *err = NULL;
    struct vg_sign_target *t = NULL;
    vg_autofree char *ctx = vg_fmt("verify %s", image);
    if (vg_sign_target_open(&t, image, &a->open, NULL, &err) < 0) {
        return vg_cli_fail(&err, ctx);
    }
    struct vg_sign_check_opts o = {
        .keys = (const struct vg_crypto_key *const *)ks->keys,
        .nkeys = ks->n,
        .threshold = (size_t)a->threshold,
        .annotations = a->ann,
        .nannotations = a->nann,
        .check_claims = a->check_claims,
        .check_reference = !a->ignore_reference,
        .keyless = kl,
    };
    struct vg_sign_check_result r;
    int rc = vg_sign_target_verify(t, &o, &r, &err);
    int code = VG_EXIT_OK;
    if (rc < 0 && vg_err_root_code(err) != VG_E_VERIFY) {
        code = vg_cli_fail(&err, ctx);
    } else if (rc < 0) {
        vg_autofree char *msg = vg_err_format(err);
        vg_err_free(&err);
        fprintf(stderr, "vigil: error: verify %s (%s): %s\n", image, t->digest.text, msg);
        print_failures(&r);
        code = VG_EXIT_NEGATIVE;
    } else {
        fprintf(stderr,
                "\nVerification for %s@%s --\n"
                "The following checks were performed on each of these signatures:\n",
                t->name, t->digest.text);
        if (a->check_claims) {
            fputs("  - The cosign claims were validated\n", stderr);
        }
        if (kl && !a->kl.ignore_tlog) {
            fputs("  - Existence of the claims in the transparency log was verified offline\n",
                  stderr);
        }
        if (kl) {
            fputs("  - The code-signing certificate was verified using trusted certificate "
                  "authority certificates\n",
                  stderr);
        }
        if (ks->n) {
            fprintf(stderr, "  - The signatures were verified against the specified public key%s\n",
                    ks->n > 1 ? "s" : "");
        }
        if (r.nverified < r.n) {
            fprintf(stderr, "  (%zu of %zu signatures did not verify)\n", r.n - r.nverified, r.n);
        }
        print_payloads(&r, a->text);
    }
    vg_sign_check_result_dispose(&r);
    vg_sign_target_free(t);
    return code;
}

int
cmd_verify(int argc, char **argv)
{
    struct verify_args a = {0};
    int rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    struct vg_err *err = NULL;
    struct vg_sign_keyset ks = {0};
    if (vg_crypto_init(&err) < 0) {
        return vg_cli_fail(&err, "verify");
    }
    int code = VG_EXIT_OK;
    for (size_t i = 0; a.dct && i < a.nimages; i++) {
        int c = vg_cli_dct_verify(a.images[i], &a.open);
        if (c != VG_EXIT_OK && (code == VG_EXIT_OK || code == VG_EXIT_NEGATIVE)) {
            code = c;
        }
    }
    bool keyless = vg_cli_keyless_wanted(&a.kl);
    if (a.nkeys == 0 && !keyless) {
        fflush(stdout);
        return code;
    }
    struct vg_sigstore_root *root = NULL;
    struct vg_sigstore_policy id;
    struct vg_sign_keyless kl = {0};
    if (keyless) {
        if (vg_cli_trusted_root_load(&root, &a.kl, &err) < 0) {
            return vg_cli_fail(&err, "verify");
        }
        vg_cli_keyless_policy(&a.kl, &id);
        kl = (struct vg_sign_keyless){.root = root, .identities = &id, .nidentities = 1};
    }
    for (size_t i = 0; i < a.nkeys; i++) {
        if (vg_sign_keyset_add(&ks, a.keys[i], &err) < 0) {
            vg_sign_keyset_dispose(&ks);
            vg_sigstore_root_free(root);
            return vg_cli_fail(&err, "verify");
        }
    }
    for (size_t i = 0; i < a.nimages; i++) {
        int c = verify_image(&a, &ks, keyless ? &kl : NULL, a.images[i]);
        if (c != VG_EXIT_OK && (code == VG_EXIT_OK || code == VG_EXIT_NEGATIVE)) {
            code = c;
        }
    }
    fflush(stdout);
    vg_sign_keyset_dispose(&ks);
    vg_sigstore_root_free(root);
    return code;
}
