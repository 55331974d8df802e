/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil sign`: signs images in a registry the way cosign does (docs/signing.md). By default
 * the legacy layout every verifier reads (`sha256-<hex>.sig`, simple-signing payload,
 * signature annotation); `--new-bundle-format` writes cosign 3's bundle referrer instead.
 * Flags and messages live here; resolving, signing and pushing are sign/'s (flow.c).
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

static const char sign_help[] =
    "Usage: vigil sign --key KEY [-a KEY=VALUE]... [--recursive] [--new-bundle-format]\n"
    "                  [--tlog-upload [--rekor-url URL] [--trusted-root ROOT]]\n"
    "                  " VG_CLI_USAGE_REGISTRY " IMAGE...\n"
    "       vigil sign (--identity-token T | --identity-token-file F) [--fulcio-url URL]\n"
    "                  [--rekor-url URL] [--timestamp-server-url URL]\n"
    "                  [--trusted-root ROOT | --tuf-mirror URL [--tuf-root FILE]]\n"
    "                  [-a KEY=VALUE]... [--recursive] [--new-bundle-format] IMAGE...\n"
    "\n"
    "Signs each IMAGE (a registry reference; a tag is resolved to its manifest digest first)\n"
    "with a cosign encrypted private key and stores the signature in the registry, laid out\n"
    "exactly as cosign does, so 'cosign verify --key cosign.pub --insecure-ignore-tlog' and\n"
    "'vigil verify' accept it. The image itself is never uploaded again.\n"
    "\n"
    "Default layout (cosign 1/2, read by every verifier): the simple-signing payload is a\n"
    "layer of the image at tag sha256-<hex>.sig with the signature in the annotation\n"
    "dev.cosignproject.cosign/signature. New signatures are appended; existing ones are kept.\n"
    "\n"
    "Options:\n"
    "  --key FILE             cosign encrypted private key (password: $VIGIL_PASSWORD or\n"
    "                         $COSIGN_PASSWORD, else the terminal, else standard input)\n"
    "  -a, --annotations K=V  annotation stored in the signed payload (repeatable)\n"
    "  --recursive            for a multi-platform index, also sign every manifest it lists\n"
    "  --new-bundle-format    write cosign 3's layout: a Sigstore bundle v0.3 (DSSE over an\n"
    "                         in-toto statement) attached as an OCI 1.1 referrer, plus the\n"
    "                         sha256-<hex> fallback index when the registry lacks the "
    "API\n"
    "  --tlog-upload[=true|false]  also log the key's signature in Rekor (--rekor-url,\n"
    "                         default https://rekor.sigstore.dev; a hashedrekord naming the\n"
    "                         public key) and keep the entry in the layer's\n"
    "                         dev.sigstore.cosign/bundle annotation, as cosign sign --key\n"
    "                         does by default: the transparency-log evidence that cosign\n"
    "                         verify --key and Kyverno's keys attestors require. With\n"
    "                         --trusted-root the entry is verified under its Rekor keys\n"
    "                         before the signature is pushed. Default false (legacy layout)\n"
    "Keyless (no --key; docs/sigstore.md \"Keyless signing\"): an ephemeral key certified by\n"
    "Fulcio for the OIDC token, the signature logged in Rekor, and cosign's keyless layer\n"
    "(certificate, chain and Rekor bundle annotations), or with --new-bundle-format a v0.3\n"
    "bundle (certificate, dsse tlog entry, DSSE envelope). The result is verified under the\n"
    "trusted root (--trusted-root, else TUF) before it is pushed.\n"
    "  --identity-token T     OIDC token (else --identity-token-file F, $SIGSTORE_ID_TOKEN)\n"
    "  --fulcio-url URL       default https://fulcio.sigstore.dev\n"
    "  --rekor-url URL        default https://rekor.sigstore.dev\n"
    "  --timestamp-server-url URL  also get an RFC 3161 timestamp of the signature from\n"
    "                         this TSA (the trusted root must list it)\n" VG_CLI_HELP_REGISTRY "\n"
    "Environment: VIGIL_REPOSITORY (or COSIGN_REPOSITORY) = REGISTRY/PATH stores signatures in\n"
    "that repository instead of the image's; verifiers need the same variable.\n"
    "\n"
    "Examples:\n"
    "  vigil sign --key cosign.key registry.example.com/team/app:1.4\n"
    "  vigil sign --key cosign.key -a env=prod --recursive reg.example.com/app@sha256:...\n"
    "  vigil sign --key cosign.key --tlog-upload registry.example.com/team/app:1.4\n"
    "  vigil sign --identity-token-file token.jwt registry.example.com/team/app:1.4\n"
    "  vigil sign --identity-token \"$TOKEN\" --new-bundle-format \\\n"
    "      --timestamp-server-url https://timestamp.sigstore.dev/api/v1/timestamp app:1.4\n"
    "  VIGIL_REPOSITORY=registry.example.com/signatures vigil sign --key cosign.key app:1.4\n"
    "\n"
    "Exit codes: 0 signed, 2 usage, 3 runtime, 4 image or key not found, 5 auth or wrong\n"
    "password, 6 bad key or corrupt signature image, 7 network.\n";

enum { OPT_KEY = 1, OPT_RECURSIVE, OPT_BUNDLE, OPT_TLOG, OPT_HELP };

#define MAX_ANNOTATIONS 256

struct sign_args {
    const char *key;
    struct vg_sign_kv ann[MAX_ANNOTATIONS];
    size_t nann;
    bool recursive, bundle, tlog;
    struct vg_cli_sign_keyless kl;
    struct vg_oci_open_opts open;
    char **images;
    size_t nimages;
};

static int
add_annotation(struct sign_args *a, char *arg)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        return vg_cli_usage("sign", "-a wants KEY=VALUE, not '%s'", arg);
    }
    if (a->nann == MAX_ANNOTATIONS) {
        return vg_cli_usage("sign", "at most %d annotations", MAX_ANNOTATIONS);
    }
    *eq = '\0';
    a->ann[a->nann++] = (struct vg_sign_kv){arg, eq + 1};
    return 0;
}

static int
parse_args(struct sign_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, OPT_KEY},
        {"annotations", required_argument, NULL, 'a'},
        {"recursive", no_argument, NULL, OPT_RECURSIVE},
        {"new-bundle-format", no_argument, NULL, OPT_BUNDLE},
        {"tlog-upload", optional_argument, NULL, OPT_TLOG},
        VG_CLI_SIGN_KEYLESS_LONGOPTS,
        VG_CLI_REGISTRY_LONGOPTS,
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ha:", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &a->open) || vg_cli_sign_keyless_opt(&a->kl, c, optarg)) {
            continue;
        }
        switch (c) {
        case OPT_KEY:
            a->key = optarg;
            break;
        case 'a':
            if ((rc = add_annotation(a, optarg)) != 0) {
                return rc;
            }
            break;
        case OPT_RECURSIVE:
            a->recursive = true;
            break;
        case OPT_BUNDLE:
            a->bundle = true;
            break;
        case OPT_TLOG:
            if (optarg && strcmp(optarg, "true") != 0 && strcmp(optarg, "false") != 0) {
                return vg_cli_usage("sign", "--tlog-upload takes true or false, not '%s'", optarg);
            }
            a->tlog = !optarg || strcmp(optarg, "true") == 0;
            break;
        case 'h':
        case OPT_HELP:
            fputs(sign_help, stdout);
            return -1;
        default:
            return vg_cli_usage("sign", "unknown option '%s'", argv[optind - 1]);
        }
    }
    bool keyless = vg_cli_sign_keyless_wanted(&a->kl);
    if (!a->key && !keyless) {
        return vg_cli_usage("sign", "--key (or an identity token for keyless) is required");
    }
    if (a->key && keyless) {
        return vg_cli_usage("sign", "--key and --identity-token exclude each other");
    }
    if (a->tlog && (!a->key || a->bundle)) {
        return vg_cli_usage("sign", "--tlog-upload is for --key signatures in the legacy layout "
                                    "(keyless signing always logs)");
    }
    if (!keyless && a->kl.tsa_url) {
        return vg_cli_usage("sign", "--timestamp-server-url is for keyless signing");
    }
    if (a->kl.kl.trusted_root && (a->kl.kl.tuf_mirror || a->kl.kl.tuf_root)) {
        return vg_cli_usage("sign", "--trusted-root and --tuf-mirror/--tuf-root exclude each "
                                    "other");
    }
    if (optind == argc) {
        return vg_cli_usage("sign", "missing IMAGE");
    }
    a->images = argv + optind;
    a->nimages = (size_t)(argc - optind);
    return 0;
}

static int
sign_one(const struct vg_sign_target *t, const struct vg_sign_push_opts *po, struct vg_err **err)
{
    struct vg_sign_push_result res;
    if (vg_sign_target_sign(t, po, &res, err) < 0) {
        return -1;
    }
    fprintf(stderr, "%s signature for %s@%s %s %s\n", res.appended ? "Pushed" : "Kept existing",
            t->name, t->digest.text, res.appended ? "to" : "in", res.location);
    if (res.retries) {
        fprintf(stderr, "  (re-appended %u time(s) after a concurrent signer replaced the tag)\n",
                res.retries);
    }
    if (res.fallback) {
        fprintf(stderr, "  (registry has no referrers API: updated the fallback tag sha256-%s)\n",
                vg_digest_hex(&t->digest));
    }
    vg_sign_push_result_dispose(&res);
    return 0;
}

static int
sign_recursive(const struct vg_sign_target *t, const struct vg_sign_push_opts *po,
               struct vg_err **err)
{
    struct vg_oci_manifest *m = NULL;
    if (vg_oci_manifest_parse(&m, t->manifest, t->manifest_len, t->media_type, err) < 0) {
        return vg_err_wrap(err, "%s", t->digest.text);
    }
    int rc = 0;
    for (size_t i = 0; m->is_index && i < m->nmanifests && rc == 0; i++) {
        struct vg_sign_target *child = NULL;
        if ((rc = vg_sign_target_child(&child, t, &m->manifests[i], err)) == 0) {
            rc = sign_one(child, po, err);
            vg_sign_target_free(child);
        }
    }
    vg_oci_manifest_free(m);
    return rc;
}

static int
run(const struct sign_args *a, const char **failed, struct vg_err **err)
{
    vg_autokey struct vg_crypto_key *key = NULL;
    int rc = vg_crypto_init(err);
    if (rc < 0 ||
        (a->key && (rc = vg_sign_key_load_private(&key, a->key, vg_cli_password(), err)) < 0)) {
        return rc;
    }
    struct vg_sign_push_opts po = {.key = key,
                                   .annotations = a->ann,
                                   .nannotations = a->nann,
                                   .bundle = a->bundle,
                                   .now = vg_now_unix()};
    struct vg_cli_keyless_layer kctx = {.o = &a->kl};
    struct vg_cli_key_tlog tctx = {.key = key, .o = &a->kl};
    if (a->key && a->tlog) {
        po.sign_layer = vg_cli_key_tlog_sign_layer;
        po.sign_layer_ud = &tctx;
    }
    if (!a->key) {
        po.sign_layer = vg_cli_keyless_sign_layer;
        po.sign_statement = vg_cli_keyless_sign_statement;
        po.sign_layer_ud = &kctx;
    }
    for (size_t i = 0; i < a->nimages; i++) {
        struct vg_sign_target *t = NULL;
        *failed = a->images[i];
        if ((rc = vg_sign_target_open(&t, a->images[i], &a->open, NULL, err)) < 0) {
            break;
        }
        if (!t->ref->digest) {
            fprintf(stderr, "Signing %s by its tag's current digest %s\n", a->images[i],
                    t->digest.text);
        }
        rc = sign_one(t, &po, err);
        if (rc == 0 && a->recursive) {
            rc = sign_recursive(t, &po, err);
        }
        vg_sign_target_free(t);
        if (rc < 0) {
            break;
        }
    }
    vg_cli_keyless_signed_dispose(&kctx.last);
    return rc;
}

int
cmd_sign(int argc, char **argv)
{
    struct sign_args a = {.kl = {.fulcio_url = "https://fulcio.sigstore.dev",
                                 .rekor_url = "https://rekor.sigstore.dev"}};
    int rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    struct vg_err *err = NULL;
    const char *failed = NULL;
    if (run(&a, &failed, &err) < 0) {
        vg_autofree char *ctx = vg_fmt("sign %s", failed ? failed : "");
        return vg_cli_fail(&err, ctx);
    }
    return VG_EXIT_OK;
}
