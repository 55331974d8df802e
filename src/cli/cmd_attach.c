/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil attach signature|attestation|sbom IMAGE`: cosign attach (docs/cosign-commands.md),
 * over sign/'s vg_sign_target_attach_*.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "sign/cosign_ops.h"

static const char attach_help[] =
    "Usage: vigil attach signature --signature FILE [--payload FILE] [--certificate FILE]\n"
    "                              [--certificate-chain FILE] IMAGE\n"
    "       vigil attach attestation --attestation FILE IMAGE\n"
    "       vigil attach sbom --sbom FILE [--type spdx|cyclonedx|syft]\n"
    "                         [--input-format json|xml|text] IMAGE\n"
    "\n"
    "Uploads a signature, attestation or SBOM made elsewhere to IMAGE's manifest digest in\n"
    "cosign's layout, as 'cosign attach' does. Nothing is verified (vigil verify does that).\n"
    "  signature     appended to sha256-<hex>.sig: --signature is the base64 signature (a\n"
    "                file, or - for stdin), --payload the signed bytes (default: the payload\n"
    "                vigil sign / cosign sign would sign for IMAGE), --certificate and\n"
    "                --certificate-chain PEM files stored with it (keyless signatures)\n"
    "  attestation   appended to sha256-<hex>.att: a DSSE envelope (payloadType in-toto);\n"
    "                --attestation may be repeated\n"
    "  sbom          replaces sha256-<hex>.sbom: --sbom FILE (or -), media type from --type\n"
    "                (default spdx) and --input-format (default: guessed from the content)\n"
    "\n"
    "Options:\n"
    "  --format text|json     the result on stderr (default) or {\"location\",\"digest\",\n"
    "                         \"appended\"} objects on stdout\n"
    "  --allow-insecure-registry, --allow-http-registry  cosign's names for --insecure and\n"
    "                         --plain-http\n" VG_CLI_HELP_REGISTRY "\n"
    "Examples:\n"
    "  vigil attach signature --payload payload.json --signature payload.sig \\\n"
    "      registry.example.com/team/app@sha256:...\n"
    "  vigil attach attestation --attestation envelope.json registry.example.com/team/app:1.4\n"
    "  vigil attach sbom --sbom app.cdx.json --type cyclonedx registry.example.com/team/app:1.4\n"
    "\n"
    "Exit codes: 0 attached, 2 usage, 3 runtime, 4 image or file not found, 5 auth,\n"
    "6 malformed input (bad base64, envelope, oversized file), 7 network.\n";

enum {
    OPT_SIG = 1,
    OPT_PAYLOAD,
    OPT_CERT,
    OPT_CHAIN,
    OPT_ATT,
    OPT_SBOM,
    OPT_TYPE,
    OPT_INFMT,
    OPT_FORMAT,
    OPT_HELP
};

#define MAX_ATTESTATIONS 64

struct attach_args {
    struct vg_oci_open_opts open;
    const char *sig, *payload, *cert, *chain, *sbom, *type, *infmt;
    const char *att[MAX_ATTESTATIONS];
    size_t natt;
    bool json;
    const char *image;
};

static int
set_opt(struct attach_args *a, int c, const char *cmd)
{
    const char **slot[] = {
        [OPT_SIG] = &a->sig,     [OPT_PAYLOAD] = &a->payload, [OPT_CERT] = &a->cert,
        [OPT_CHAIN] = &a->chain, [OPT_SBOM] = &a->sbom,       [OPT_TYPE] = &a->type,
        [OPT_INFMT] = &a->infmt, [OPT_FORMAT] = NULL};
    switch (c) {
    case OPT_ATT:
        if (a->natt == MAX_ATTESTATIONS) {
            return vg_cli_usage(cmd, "at most %d --attestation", MAX_ATTESTATIONS);
        }
        a->att[a->natt++] = optarg;
        return 0;
    case OPT_FORMAT:
        if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
            return vg_cli_usage(cmd, "--format must be text or json, not '%s'", optarg);
        }
        a->json = strcmp(optarg, "json") == 0;
        return 0;
    default:
        if (c > 0 && c < (int)VG_ARRAY_LEN(slot) && slot[c]) {
            *slot[c] = optarg;
            return 0;
        }
        return -1;
    }
}

static int
parse_args(struct attach_args *a, const char *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"signature", required_argument, NULL, OPT_SIG},
        {"payload", required_argument, NULL, OPT_PAYLOAD},
        {"certificate", required_argument, NULL, OPT_CERT},
        {"certificate-chain", required_argument, NULL, OPT_CHAIN},
        {"attestation", required_argument, NULL, OPT_ATT},
        {"sbom", required_argument, NULL, OPT_SBOM},
        {"type", required_argument, NULL, OPT_TYPE},
        {"input-format", required_argument, NULL, OPT_INFMT},
        {"format", required_argument, NULL, OPT_FORMAT},
        VG_CLI_COSIGN_REGISTRY_ALIASES,
        VG_CLI_REGISTRY_LONGOPTS,
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &a->open)) {
            continue;
        }
        if (c == 'h' || c == OPT_HELP) {
            fputs(attach_help, stdout);
            return -1;
        }
        if ((rc = set_opt(a, c, cmd)) != 0) {
            return rc > 0 ? rc : vg_cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc) {
        return vg_cli_usage(cmd, optind == argc ? "missing IMAGE" : "too many arguments");
    }
    a->image = argv[optind];
    return 0;
}

/* Which flags each subcommand takes. */
static int
check_flags(const struct attach_args *a, const char *what, const char *cmd)
{
    bool sig = strcmp(what, "signature") == 0, att = strcmp(what, "attestation") == 0;
    bool sbom = !sig && !att;
    if ((!sig && (a->sig || a->payload || a->cert || a->chain)) || (!att && a->natt) ||
        (!sbom && (a->sbom || a->type || a->infmt))) {
        return vg_cli_usage(cmd, "an option of another attach subcommand was given");
    }
    if ((sig && !a->sig) || (att && !a->natt) || (sbom && !a->sbom)) {
        return vg_cli_usage(cmd, "%s is required",
                            sig   ? "--signature"
                            : att ? "--attestation"
                                  : "--sbom");
    }
    return 0;
}

static const char *
path_of(const char *p)
{
    return strcmp(p, "-") == 0 ? "/dev/stdin" : p;
}

static int
read_opt(struct vg_buf *b, const char *path, size_t max, struct vg_err **err)
{
    *b = VG_BUF_INIT(max);
    if (!path) {
        return 0;
    }
    int rc = vg_file_read(b, path_of(path), max, err);
    if (rc == 0 && vg_buf_appendc(b, '\0', err) == 0) {
        b->len--; /* NUL-terminated for text use, the length stays the file's */
    }
    return rc < 0 ? vg_err_wrap(err, "read %s", path) : 0;
}

static int
report(const struct vg_sign_push_result *r, bool json, struct vg_err **err)
{
    if (!json) {
        fprintf(stderr, "vigil: %s %s\n", r->appended ? "attached to" : "already attached in",
                r->location);
        return 0;
    }
    vg_autojson json_t *o = json_pack("{s:s,s:s,s:b}", "location", r->location, "digest",
                                      r->manifest.text, "appended", r->appended);
    return vg_json_write_file(o, stdout, false, err);
}

static int
attach_one(const struct vg_sign_target *t, const struct attach_args *a, const char *what, size_t i,
           struct vg_sign_push_result *res, struct vg_err **err)
{
    vg_autobuf struct vg_buf b1 = VG_BUF_INIT(0), b2 = VG_BUF_INIT(0), b3 = VG_BUF_INIT(0),
                             b4 = VG_BUF_INIT(0);
    if (strcmp(what, "attestation") == 0) {
        if (read_opt(&b1, a->att[i], VG_SIGN_ENVELOPE_MAX, err) < 0) {
            return -1;
        }
        return vg_sign_target_attach_attestation(t, b1.data, b1.len, res, err);
    }
    if (strcmp(what, "sbom") == 0) {
        if (read_opt(&b1, a->sbom, VG_SIGN_SBOM_MAX, err) < 0) {
            return -1;
        }
        const char *type = a->type ? a->type : "spdx";
        const char *mt = vg_sign_sbom_media_type(type, a->infmt, b1.data, b1.len);
        if (!mt) {
            return vg_err_set(err, VG_E_USAGE, "unsupported SBOM --type %s with input format %s",
                              type, a->infmt ? a->infmt : "(guessed)");
        }
        fprintf(stderr, "vigil: uploading SBOM with media type %s\n", mt);
        return vg_sign_target_attach_sbom(t, b1.data, b1.len, mt, res, err);
    }
    if (read_opt(&b1, a->sig, 64u * 1024u, err) < 0 ||
        read_opt(&b2, a->payload, VG_LIMIT_PAYLOAD_BYTES, err) < 0 ||
        read_opt(&b3, a->cert, 64u * 1024u, err) < 0 ||
        read_opt(&b4, a->chain, 1024u * 1024u, err) < 0) {
        return -1;
    }
    struct vg_sign_attach_sig s = {
        .payload = a->payload ? b2.data : NULL,
        .payload_len = b2.len,
        .signature = vg_buf_cstr(&b1),
        .certificate = a->cert ? vg_buf_cstr(&b3) : NULL,
        .chain = a->chain ? vg_buf_cstr(&b4) : NULL,
    };
    return vg_sign_target_attach_signature(t, &s, res, err);
}

int
cmd_attach(int argc, char **argv)
{
    static const char *const subs[] = {"signature", "attestation", "sbom"};
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(attach_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
    }
    const char *what = NULL;
    for (size_t i = 0; i < VG_ARRAY_LEN(subs); i++) {
        what = strcmp(argv[1], subs[i]) == 0 ? subs[i] : what;
    }
    if (!what) {
        vg_autofree char *s = vg_escape(argv[1], strlen(argv[1]), 64);
        return vg_cli_usage("attach", "unknown subcommand '%s' (signature, attestation, sbom)", s);
    }
    vg_autofree char *cmd = vg_fmt("attach %s", what);
    struct attach_args a = {0};
    int rc = parse_args(&a, cmd, argc - 1, argv + 1);
    if (rc != 0 || (rc = check_flags(&a, what, cmd)) != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    struct vg_err *err = NULL;
    struct vg_sign_target *t = NULL;
    vg_autofree char *ctx = vg_fmt("%s %s", cmd, a.image);
    if (vg_sign_target_open(&t, a.image, &a.open, NULL, &err) < 0) {
        return vg_cli_fail(&err, ctx);
    }
    size_t n = strcmp(what, "attestation") == 0 ? a.natt : 1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct vg_sign_push_result res = {0};
        rc = attach_one(t, &a, what, i, &res, &err);
        if (rc == 0) {
            rc = report(&res, a.json, &err);
        }
        vg_sign_push_result_dispose(&res);
    }
    vg_sign_target_free(t);
    if (rc < 0) {
        return vg_cli_fail(&err, ctx);
    }
    return fflush(stdout) == 0 ? VG_EXIT_OK : VG_EXIT_RUNTIME;
}
