/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil attest` and `vigil verify-attestation`: in-toto statements in DSSE envelopes attached
 * to images as cosign stores them (legacy `sha256-<hex>.att` image, or cosign 3's bundle
 * referrer), and their verification with the predicate-type filter of `--type`
 * (docs/signing.md). Statement building and verification are sign/'s.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "sign/sign.h"

static const char attest_help[] =
    "Usage: vigil attest --key KEY --predicate FILE [--type TYPE] [--replace]\n"
    "                    [--new-bundle-format] " VG_CLI_USAGE_REGISTRY "\n"
    "                    IMAGE\n"
    "       vigil attest (--identity-token T | --identity-token-file F) [--fulcio-url URL]\n"
    "                    [--rekor-url URL] [--timestamp-server-url URL]\n"
    "                    [--trusted-root ROOT | --tuf-mirror URL [--tuf-root F]]\n"
    "                    --predicate FILE [--type TYPE] [--new-bundle-format] IMAGE\n"
    "\n"
    "Wraps FILE in an in-toto statement about IMAGE's manifest digest, signs it into a DSSE\n"
    "envelope and attaches it as cosign attest does: a layer of the image at tag\n"
    "sha256-<hex>.att (default), or a Sigstore bundle referrer with --new-bundle-format.\n"
    "\n"
    "TYPE (default custom): custom, slsaprovenance, slsaprovenance02, slsaprovenance1, spdx,\n"
    "spdxjson, cyclonedx, link, vuln, openvex, or any absolute URI. cyclonedx/spdxjson take the\n"
    "SBOM JSON ('vigil sbom --format cyclonedx'); vuln takes a cosign vuln predicate or vigil's\n"
    "JSON scan report ('vigil scan --format json'), which is wrapped as scanner.result.\n"
    "\n"
    "Options:\n"
    "  --key FILE             cosign encrypted private key\n"
    "  --predicate FILE       the predicate (- for standard input; the password must then\n"
    "                         come from the environment)\n"
    "  --type TYPE            predicate type (see above)\n"
    "  --replace              drop existing attestations of the same predicate type (legacy)\n"
    "  --new-bundle-format    store a bundle referrer (cosign 3) instead of the .att "
    "tag\n"
    "Keyless (no --key; docs/sigstore.md \"Keyless signing\"): a Fulcio certificate for the\n"
    "OIDC token (--identity-token T, --identity-token-file F or $SIGSTORE_ID_TOKEN), the\n"
    "envelope logged in Rekor (intoto 0.0.2 for .att layers, dsse 0.0.1 in bundles), checked\n"
    "under the trusted root before it is pushed.\n"
    "  --fulcio-url URL       default https://fulcio.sigstore.dev\n"
    "  --rekor-url URL        default https://rekor.sigstore.dev\n"
    "  --timestamp-server-url URL  also an RFC 3161 timestamp from this TSA\n"
    "  --trusted-root FILE, --tuf-mirror URL, --tuf-root FILE  as for vigil "
    "verify\n" VG_CLI_HELP_REGISTRY "\n"
    "Examples:\n"
    "  vigil sbom --format cyclonedx -o sbom.json registry.example.com/app:1.4\n"
    "  vigil attest --key cosign.key --type cyclonedx --predicate sbom.json \\\n"
    "      registry.example.com/app:1.4\n"
    "  vigil scan --format json -o report.json registry.example.com/app:1.4\n"
    "  vigil attest --key cosign.key --type vuln --predicate report.json reg.example.com/app:1.4\n"
    "  vigil attest --identity-token-file token.jwt --type slsaprovenance1 \\\n"
    "      --predicate provenance.json registry.example.com/app:1.4\n"
    "\n"
    "Exit codes: 0 attached, 2 usage, 3 runtime, 4 not found, 5 auth or wrong password,\n"
    "6 bad key or predicate, 7 network.\n";

static const char verify_att_help[] =
    "Usage: vigil verify-attestation --key PUB [--key PUB]... [--type TYPE] [--threshold N]\n"
    "                                [--output envelope|statement] [--check-claims=BOOL]\n"
    "                                " VG_CLI_USAGE_REGISTRY " IMAGE...\n"
    "       vigil verify-attestation --certificate-identity[-regexp] ID\n"
    "                                --certificate-oidc-issuer[-regexp] ISS\n"
    "                                --trusted-root FILE\n"
    "                                [--insecure-ignore-tlog] [--type TYPE] ...\n"
    "                                " VG_CLI_USAGE_REGISTRY " IMAGE...\n"
    "\n"
    "Finds IMAGE's attestations (bundle referrers and the sha256-<hex>.att tag), verifies each\n"
    "envelope's signature over the DSSE PAE, requires payloadType application/vnd.in-toto+json,\n"
    "a subject with the image's digest, and the predicate type of --type (default custom).\n"
    "Prints each verified attestation on its own line: the DSSE envelope JSON (as cosign\n"
    "does), or with --output statement the decoded in-toto statement.\n"
    "\n"
    "Options:\n"
    "  --key PATH             public key file or directory of keys (repeatable)\n"
    "  --type TYPE            predicate type to accept (as for vigil attest)\n"
    "  --threshold N          require attestations from N distinct keys\n"
    "  --output F             envelope (default) or statement\n"
    "  --check-claims=BOOL    false: do not check the subject digest\n" VG_CLI_HELP_KEYLESS
    "  --insecure-ignore-tlog              keyless: require no transparency-log entry\n"
    "Keyless: each envelope must be signed by a Fulcio certificate (legacy .att annotations\n"
    "or the bundle's verification material) checked as vigil verify does "
    "(docs/sigstore.md).\n" VG_CLI_HELP_REGISTRY "\n"
    "Examples:\n"
    "  vigil verify-attestation --key cosign.pub --type cyclonedx registry.example.com/app:1.4\n"
    "  vigil verify-attestation --key cosign.pub --type vuln --output statement app:1.4 | jq\n"
    "\n"
    "Exit codes: 0 verified, 1 no valid attestation of that type, 2 usage, 3 runtime,\n"
    "4 not found, 5 auth, 6 unusable key, 7 network.\n";

enum {
    OPT_KEY = 1,
    OPT_PREDICATE,
    OPT_TYPE,
    OPT_REPLACE,
    OPT_BUNDLE,
    OPT_THRESHOLD,
    OPT_OUTPUT,
    OPT_CHECK_CLAIMS,
    OPT_HELP
};

#define MAX_KEY_ARGS 64
/* A predicate is embedded in the statement, which is bounded like any payload. */
#define PREDICATE_MAX VG_LIMIT_PAYLOAD_BYTES

struct att_args {
    const char *keys[MAX_KEY_ARGS];
    size_t nkeys;
    const char *predicate, *type;
    bool replace, bundle, statement, check_claims;
    uint64_t threshold;
    struct vg_oci_open_opts open;
    struct vg_cli_keyless kl;
    struct vg_cli_sign_keyless skl; /* attest, keyless */
    char **images;
    size_t nimages;
};

static const struct option att_longopts[] = {
    {"key", required_argument, NULL, OPT_KEY},
    {"predicate", required_argument, NULL, OPT_PREDICATE},
    {"type", required_argument, NULL, OPT_TYPE},
    {"replace", no_argument, NULL, OPT_REPLACE},
    {"new-bundle-format", no_argument, NULL, OPT_BUNDLE},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"check-claims", optional_argument, NULL, OPT_CHECK_CLAIMS},
    VG_CLI_KEYLESS_LONGOPTS,
    {"insecure-ignore-tlog", no_argument, NULL, VG_CLI_OPT_NO_TLOG},
    {"fulcio-url", required_argument, NULL, VG_CLI_OPT_FULCIO},
    {"rekor-url", required_argument, NULL, VG_CLI_OPT_REKOR},
    {"identity-token", required_argument, NULL, VG_CLI_OPT_TOKEN},
    {"identity-token-file", required_argument, NULL, VG_CLI_OPT_TOKEN_FILE},
    {"timestamp-server-url", required_argument, NULL, VG_CLI_OPT_TSA},
    VG_CLI_REGISTRY_LONGOPTS,
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Options both commands share. Returns 1 when c is not one of them. */
static int
common_opt(struct att_args *a, const char *cmd, int c, const char *arg)
{
    switch (c) {
    case OPT_KEY:
        if (a->nkeys == MAX_KEY_ARGS) {
            return vg_cli_usage(cmd, "at most %d --key options", MAX_KEY_ARGS);
        }
        a->keys[a->nkeys++] = arg;
        return 0;
    case OPT_TYPE:
        if (!vg_sign_predicate_type(arg)) {
            return vg_cli_usage(cmd,
                                "unknown --type '%s' (a shortcut such as cyclonedx, or an "
                                "absolute URI)",
                                arg);
        }
        a->type = arg;
        return 0;
    default:
        return 1;
    }
}

static int
attest_opt(struct att_args *a, bool verify, int c, const char *arg, const char *argv_opt)
{
    const char *cmd = verify ? "verify-attestation" : "attest";
    int rc = common_opt(a, cmd, c, arg);
    if (rc != 1) {
        return rc;
    }
    if (c == 'h' || c == OPT_HELP) {
        fputs(verify ? verify_att_help : attest_help, stdout);
        return -1;
    }
    if (!verify && c == OPT_PREDICATE) {
        a->predicate = arg;
    } else if (!verify && c == OPT_REPLACE) {
        a->replace = true;
    } else if (!verify && c == OPT_BUNDLE) {
        a->bundle = true;
    } else if (verify && c == OPT_THRESHOLD) {
        if (vg_parse_u64(vg_str_c(arg), VG_SIGN_MAX_KEYS, &a->threshold) < 0 || a->threshold == 0) {
            return vg_cli_usage(cmd, "--threshold wants a number from 1 to %u", VG_SIGN_MAX_KEYS);
        }
    } else if (verify && c == OPT_OUTPUT) {
        if (strcmp(arg, "envelope") != 0 && strcmp(arg, "statement") != 0) {
            return vg_cli_usage(cmd, "--output must be envelope or statement, not '%s'", arg);
        }
        a->statement = strcmp(arg, "statement") == 0;
    } else if (verify && c == OPT_CHECK_CLAIMS) {
        if (arg && strcmp(arg, "true") != 0 && strcmp(arg, "false") != 0) {
            return vg_cli_usage(cmd, "--check-claims must be true or false");
        }
        a->check_claims = !arg || strcmp(arg, "true") == 0;
    } else {
        return vg_cli_usage(cmd, "unknown option '%s'", argv_opt);
    }
    return 0;
}

static int
parse_args(struct att_args *a, bool verify, int argc, char **argv)
{
    const char *cmd = verify ? "verify-attestation" : "attest";
    int c, rc;
    a->type = "custom";
    a->check_claims = true;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", att_longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &a->open) ||
            (verify && vg_cli_keyless_opt(&a->kl, c, optarg)) ||
            (!verify && vg_cli_sign_keyless_opt(&a->skl, c, optarg))) {
            continue;
        }
        if ((rc = attest_opt(a, verify, c, optarg, argv[optind - 1])) != 0) {
            return rc;
        }
    }
    if ((rc = vg_cli_keyless_check(cmd, &a->kl, a->nkeys > 0)) != 0) {
        return rc;
    }
    bool signer = !verify && vg_cli_sign_keyless_wanted(&a->skl);
    if (a->nkeys == 0 && !vg_cli_keyless_wanted(&a->kl) && !signer) {
        return vg_cli_usage(cmd, verify ? "--key (or a keyless --certificate-identity) is required"
                                        : "--key (or an identity token for keyless) is required");
    }
    if (signer && a->nkeys > 0) {
        return vg_cli_usage(cmd, "--key and --identity-token exclude each other");
    }
    if (!verify && !signer && a->skl.tsa_url) {
        return vg_cli_usage(cmd, "--timestamp-server-url is for keyless signing");
    }
    if (!verify && a->skl.kl.trusted_root && (a->skl.kl.tuf_mirror || a->skl.kl.tuf_root)) {
        return vg_cli_usage(cmd, "--trusted-root and --tuf-mirror/--tuf-root exclude each other");
    }
    if (!verify && a->nkeys > 1) {
        return vg_cli_usage(cmd, "attest takes one --key");
    }
    if (!verify && !a->predicate) {
        return vg_cli_usage(cmd, "--predicate is required");
    }
    if (optind == argc || (!verify && argc - optind > 1)) {
        return vg_cli_usage(cmd, optind == argc ? "missing IMAGE" : "too many arguments");
    }
    a->images = argv + optind;
    a->nimages = (size_t)(argc - optind);
    return 0;
}

/* ---------------------------------------------------------------- attest */

static int
read_predicate(struct vg_buf *out, const char *path, struct vg_err **err)
{
    if (strcmp(path, "-") != 0) {
        return vg_file_read(out, path, PREDICATE_MAX, err);
    }
    uint8_t chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        if (vg_buf_append(out, chunk, got, err) < 0) {
            return vg_err_wrap(err, "predicate from standard input");
        }
    }
    return ferror(stdin) ? vg_err_sys(err, VG_E_IO, "read standard input") : 0;
}

static int
attest(const struct att_args *a, struct vg_err **err)
{
    vg_autobuf struct vg_buf pred = VG_BUF_INIT(PREDICATE_MAX);
    vg_autokey struct vg_crypto_key *key = NULL;
    int rc = vg_crypto_init(err);
    if (rc < 0 || (rc = read_predicate(&pred, a->predicate, err)) < 0 ||
        (a->nkeys &&
         (rc = vg_sign_key_load_private(&key, a->keys[0], vg_cli_password(), err)) < 0)) {
        return rc;
    }
    struct vg_sign_target *t = NULL;
    if ((rc = vg_sign_target_open(&t, a->images[0], &a->open, NULL, err)) < 0) {
        return rc;
    }
    struct vg_sign_push_opts po = {
        .key = key,
        .bundle = a->bundle,
        .now = vg_now_unix(),
        .type = a->type,
        .predicate = pred.data,
        .predicate_len = pred.len,
        .replace = a->replace,
    };
    struct vg_cli_keyless_layer kctx = {.o = &a->skl};
    if (!key) {
        po.sign_statement = vg_cli_keyless_sign_statement;
        po.sign_layer_ud = &kctx;
    }
    struct vg_sign_push_result res;
    if ((rc = vg_sign_target_attest(t, &po, &res, err)) == 0) {
        fprintf(stderr, "%s %s attestation for %s@%s %s %s\n",
                res.appended ? "Pushed" : "Kept existing", vg_sign_predicate_type(a->type), t->name,
                t->digest.text, res.appended ? "to" : "in", res.location);
        vg_sign_push_result_dispose(&res);
    }
    vg_cli_keyless_signed_dispose(&kctx.last);
    vg_sign_target_free(t);
    return rc;
}

int
cmd_attest(int argc, char **argv)
{
    struct att_args a = {.skl = {.fulcio_url = "https://fulcio.sigstore.dev",
                                 .rekor_url = "https://rekor.sigstore.dev"}};
    int rc = parse_args(&a, false, argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    struct vg_err *err = NULL;
    if (attest(&a, &err) < 0) {
        vg_autofree char *ctx = vg_fmt("attest %s", a.images[0]);
        return vg_cli_fail(&err, ctx);
    }
    return VG_EXIT_OK;
}

/* ---------------------------------------------------------------- verify-attestation */

static void
print_failures(const struct vg_sign_check_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        if (!r->items[i].verified) {
            vg_autofree char *msg =
                r->items[i].error ? vg_err_format(r->items[i].error) : vg_strdup("not verified");
            fprintf(stderr, "  - %s: %s\n", r->items[i].where, msg);
        }
    }
}

static int
verify_one(const struct att_args *a, const struct vg_sign_keyset *ks,
           const struct vg_sign_keyless *kl, const char *image)
{
    struct vg_err *err = NULL;
    struct vg_sign_target *t = NULL;
    vg_autofree char *ctx = vg_fmt("verify-attestation %s", image);
    if (vg_sign_target_open(&t, image, &a->open, NULL, &err) < 0) {
        return vg_cli_fail(&err, ctx);
    }
    struct vg_sign_check_opts o = {
        .keys = (const struct vg_crypto_key *const *)ks->keys,
        .nkeys = ks->n,
        .threshold = (size_t)a->threshold,
        .check_claims = a->check_claims,
        .att_type = a->type,
        .keyless = kl,
    };
    struct vg_sign_check_result r;
    int code = VG_EXIT_OK;
    if (vg_sign_target_verify(t, &o, &r, &err) < 0) {
        if (vg_err_root_code(err) != VG_E_VERIFY) {
            code = vg_cli_fail(&err, ctx);
        } else {
            vg_autofree char *msg = vg_err_format(err);
            vg_err_free(&err);
            fprintf(stderr, "vigil: error: %s (%s, type %s): %s\n", ctx, t->digest.text,
                    vg_sign_predicate_type(a->type), msg);
            print_failures(&r);
            code = VG_EXIT_NEGATIVE;
        }
    } else {
        fprintf(stderr,
                "\nVerification for %s@%s --\n"
                "The following checks were performed on each of these attestations:\n"
                "  - The attestation's subject and predicate type were validated\n"
                "  - The signatures were verified against the specified %s\n",
                t->name, t->digest.text,
                kl ? (ks->n ? "public key or keyless identity" : "keyless identity")
                   : "public key");
        for (size_t i = 0; i < r.n; i++) {
            if (r.items[i].verified) {
                printf("%s\n", a->statement ? r.items[i].payload : r.items[i].output);
            }
        }
    }
    vg_sign_check_result_dispose(&r);
    vg_sign_target_free(t);
    return code;
}

int
cmd_verify_attestation(int argc, char **argv)
{
    struct att_args a = {0};
    int rc = parse_args(&a, true, argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    struct vg_err *err = NULL;
    struct vg_sign_keyset ks = {0};
    if (vg_crypto_init(&err) < 0) {
        return vg_cli_fail(&err, "verify-attestation");
    }
    for (size_t i = 0; i < a.nkeys; i++) {
        if (vg_sign_keyset_add(&ks, a.keys[i], &err) < 0) {
            vg_sign_keyset_dispose(&ks);
            return vg_cli_fail(&err, "verify-attestation");
        }
    }
    bool keyless = vg_cli_keyless_wanted(&a.kl);
    struct vg_sigstore_root *root = NULL;
    struct vg_sigstore_policy id;
    struct vg_sign_keyless kl = {0};
    if (keyless) {
        if (vg_cli_trusted_root_load(&root, &a.kl, &err) < 0) {
            vg_sign_keyset_dispose(&ks);
            return vg_cli_fail(&err, "verify-attestation");
        }
        vg_cli_keyless_policy(&a.kl, &id);
        kl = (struct vg_sign_keyless){.root = root, .identities = &id, .nidentities = 1};
    }
    int code = VG_EXIT_OK;
    for (size_t i = 0; i < a.nimages; i++) {
        int c = verify_one(&a, &ks, keyless ? &kl : NULL, a.images[i]);
        if (c != VG_EXIT_OK && (code == VG_EXIT_OK || code == VG_EXIT_NEGATIVE)) {
            code = c;
        }
    }
    fflush(stdout);
    vg_sign_keyset_dispose(&ks);
    vg_sigstore_root_free(root);
    return code;
}
