/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil download signature|attestation|sbom IMAGE` and `vigil triangulate IMAGE`: cosign's
 * commands of the same names (docs/cosign-commands.md), over sign/'s vg_sign_download_* and
 * vg_sign_triangulate.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "sign/cosign_ops.h"

static const char download_help[] =
    "Usage: vigil download signature|attestation|sbom [OPTIONS] IMAGE\n"
    "\n"
    "Prints what cosign attached to IMAGE's manifest digest, as 'cosign download' does:\n"
    "  signature      one JSON object per signature of sha256-<hex>.sig, one per line:\n"
    "                 {\"Base64Signature\",\"Payload\" (base64),\"Cert\",\"Chain\",\"Bundle\",\n"
    "                 \"RFC3161Timestamp\"} (Cert and Chain as PEM text); when signature\n"
    "                 bundles are attached as OCI 1.1 referrers (--new-bundle-format), those\n"
    "                 bundles instead, one JSON document per line (as cosign 3)\n"
    "  attestation    the DSSE envelopes of sha256-<hex>.att, then those of the attestation\n"
    "                 bundles attached as referrers, one per line\n"
    "  sbom           the SBOM bytes of sha256-<hex>.sbom (media type on stderr)\n"
    "Nothing is verified: use vigil verify / verify-attestation for that.\n"
    "\n"
    "Options:\n"
    "  --predicate-type T     attestation: only statements of this predicate type (a --type\n"
    "                         name of vigil attest, e.g. cyclonedx, or a URI)\n"
    "  --output-file FILE     sbom: write the SBOM to FILE instead of stdout\n"
    "  --format lines|json    signature, attestation: one object per line (cosign's output,\n"
    "                         default) or one JSON array\n"
    "  --allow-insecure-registry, --allow-http-registry  cosign's names for --insecure and\n"
    "                         --plain-http\n" VG_CLI_HELP_REGISTRY "\n"
    "Examples:\n"
    "  vigil download signature registry.example.com/team/app:1.4 | jq -r .Payload | base64 -d\n"
    "  vigil download attestation --predicate-type cyclonedx registry.example.com/team/app:1.4\n"
    "  vigil download sbom --output-file app.spdx.json registry.example.com/team/app:1.4\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 3 runtime, 4 image or attachment tag not found, 5 auth,\n"
    "6 corrupt or oversized attachment, 7 network.\n";

static const char triangulate_help[] =
    "Usage: vigil triangulate [--type signature|attestation|sbom|digest] [--format text|json]\n"
    "                         " VG_CLI_USAGE_REGISTRY " IMAGE\n"
    "\n"
    "Prints where cosign stores (and looks for) IMAGE's signatures (default), attestations or\n"
    "SBOM: REPOSITORY:sha256-<hex>.sig, .att, .sbom, with REPOSITORY from $COSIGN_REPOSITORY\n"
    "(or $VIGIL_REPOSITORY) when set; --type digest prints REPOSITORY@sha256:<hex>.\n"
    "\n"
    "Options:\n"
    "  --type T               signature (default), attestation, sbom or digest\n"
    "  --format text|json     the reference alone (default) or {\"type\",\"reference\"}\n"
    "  --allow-insecure-registry, --allow-http-registry  cosign's names for --insecure and\n"
    "                         --plain-http\n" VG_CLI_HELP_REGISTRY "\n"
    "Examples:\n"
    "  vigil triangulate registry.example.com/team/app:1.4\n"
    "  crane manifest $(vigil triangulate --type attestation registry.example.com/team/app:1.4)\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 3 runtime, 4 image not found, 5 auth, 7 network.\n";

enum { OPT_PREDICATE = 1, OPT_OUTFILE, OPT_FORMAT, OPT_TYPE, OPT_HELP };

struct dl_args {
    struct vg_oci_open_opts open;
    const char *predicate, *outfile, *type;
    bool json;
    const char *image;
};

static int
parse_args(struct dl_args *a, const char *cmd, const char *help, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"predicate-type", required_argument, NULL, OPT_PREDICATE},
        {"output-file", required_argument, NULL, OPT_OUTFILE},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"type", required_argument, NULL, OPT_TYPE},
        VG_CLI_COSIGN_REGISTRY_ALIASES,
        VG_CLI_REGISTRY_LONGOPTS,
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &a->open)) {
            continue;
        }
        switch (c) {
        case OPT_PREDICATE:
            a->predicate = optarg;
            break;
        case OPT_OUTFILE:
            a->outfile = optarg;
            break;
        case OPT_TYPE:
            a->type = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0 &&
                strcmp(optarg, "lines") != 0) {
                return vg_cli_usage(cmd, "--format must be json or %s, not '%s'",
                                    strcmp(cmd, "triangulate") == 0 ? "text" : "lines", optarg);
            }
            a->json = strcmp(optarg, "json") == 0;
            break;
        case 'h':
        case OPT_HELP:
            fputs(help, stdout);
            return -1;
        default:
            return vg_cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc) {
        return vg_cli_usage(cmd, optind == argc ? "missing IMAGE" : "too many arguments");
    }
    a->image = argv[optind];
    return 0;
}

static int
print_items(const struct vg_sign_download *d, bool json, struct vg_err **err)
{
    if (!json) {
        for (size_t i = 0; i < d->n; i++) {
            printf("%s\n", d->items[i]);
        }
        return 0;
    }
    vg_autojson json_t *arr = json_array();
    for (size_t i = 0; i < d->n; i++) {
        json_t *j = NULL;
        if (vg_json_parse(&j, d->items[i], d->lens[i], d->lens[i] + 1, "item", err) < 0) {
            return -1;
        }
        json_array_append_new(arr, j);
    }
    return vg_json_write_file(arr, stdout, true, err);
}

static int
write_sbom(const struct vg_sign_download *d, const char *path, struct vg_err **err)
{
    struct vg_cli_out out = {0};
    if (vg_cli_output_open(&out, path, err) < 0) {
        return -1;
    }
    bool ok = true;
    for (size_t i = 0; i < d->n; i++) {
        vg_autofree char *mt = vg_escape(d->media_types[i], strlen(d->media_types[i]), 200);
        fprintf(stderr, "Found SBOM of media type: %s\n", mt);
        ok = ok && fwrite(d->items[i], 1, d->lens[i], out.f) == d->lens[i];
    }
    if (!ok) {
        vg_err_sys(err, VG_E_IO, "write %s", path ? path : "stdout");
    }
    int rc = vg_cli_output_close(&out, ok, ok ? err : NULL);
    return ok ? rc : -1;
}

static int
download(const char *what, int argc, char **argv)
{
    vg_autofree char *cmd = vg_fmt("download %s", what);
    struct dl_args a = {0};
    int rc = parse_args(&a, cmd, download_help, argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    bool sbom = strcmp(what, "sbom") == 0, att = strcmp(what, "attestation") == 0;
    if (a.type || (a.predicate && !att) || (a.outfile && !sbom) || (a.json && sbom)) {
        return vg_cli_usage(cmd, "%s",
                            a.type        ? "--type is triangulate's option"
                            : a.predicate ? "--predicate-type is for attestations"
                            : a.outfile   ? "--output-file is for sbom"
                                          : "--format is not for sbom");
    }
    struct vg_err *err = NULL;
    struct vg_sign_target *t = NULL;
    vg_autofree char *ctx = vg_fmt("%s %s", cmd, a.image);
    if (vg_sign_target_open(&t, a.image, &a.open, NULL, &err) < 0) {
        return vg_cli_fail(&err, ctx);
    }
    struct vg_sign_download d;
    rc = sbom  ? vg_sign_download_sbom(&d, t, &err)
         : att ? vg_sign_download_attestations(&d, t, a.predicate, &err)
               : vg_sign_download_signatures(&d, t, &err);
    vg_sign_target_free(t);
    if (rc < 0) {
        return vg_cli_fail(&err, ctx);
    }
    rc = sbom ? write_sbom(&d, a.outfile, &err) : print_items(&d, a.json, &err);
    vg_sign_download_dispose(&d);
    if (rc < 0) {
        return vg_cli_fail(&err, ctx);
    }
    return fflush(stdout) == 0 ? VG_EXIT_OK : VG_EXIT_RUNTIME;
}

int
cmd_download(int argc, char **argv)
{
    static const char *const subs[] = {"signature", "attestation", "sbom"};
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(download_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(subs); i++) {
        if (strcmp(argv[1], subs[i]) == 0) {
            return download(subs[i], argc - 1, argv + 1);
        }
    }
    vg_autofree char *s = vg_escape(argv[1], strlen(argv[1]), 64);
    return vg_cli_usage("download", "unknown subcommand '%s' (signature, attestation, sbom)", s);
}

int
cmd_triangulate(int argc, char **argv)
{
    struct dl_args a = {0};
    int rc = parse_args(&a, "triangulate", triangulate_help, argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    if (a.predicate || a.outfile) {
        return vg_cli_usage("triangulate", "only --type and --format apply");
    }
    const char *type = a.type ? a.type : "signature";
    struct vg_err *err = NULL;
    struct vg_sign_target *t = NULL;
    vg_autofree char *ctx = vg_fmt("triangulate %s", a.image);
    if (strcmp(type, "signature") != 0 && strcmp(type, "attestation") != 0 &&
        strcmp(type, "sbom") != 0 && strcmp(type, "digest") != 0) {
        return vg_cli_usage("triangulate", "--type must be signature, attestation, sbom or "
                                           "digest");
    }
    if (vg_sign_target_open(&t, a.image, &a.open, NULL, &err) < 0) {
        return vg_cli_fail(&err, ctx);
    }
    vg_autofree char *ref = vg_sign_triangulate(t, type, &err);
    vg_sign_target_free(t);
    if (!ref) {
        return vg_cli_fail(&err, ctx);
    }
    if (a.json) {
        vg_autojson json_t *o = json_pack("{s:s,s:s}", "type", type, "reference", ref);
        if (vg_json_write_file(o, stdout, true, &err) < 0) {
            return vg_cli_fail(&err, ctx);
        }
    } else {
        printf("%s\n", ref);
    }
    return fflush(stdout) == 0 ? VG_EXIT_OK : VG_EXIT_RUNTIME;
}
