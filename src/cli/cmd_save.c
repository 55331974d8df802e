/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil save IMAGE --dir DIR` and `vigil load --dir DIR IMAGE`: cosign save/load
 * (docs/cosign-commands.md), over sign/'s vg_sign_save and vg_sign_load.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "sign/cosign_ops.h"

static const char save_help[] =
    "Usage: vigil save --dir DIR " VG_CLI_USAGE_REGISTRY " IMAGE\n"
    "       vigil load --dir DIR " VG_CLI_USAGE_REGISTRY " IMAGE\n"
    "\n"
    "save writes IMAGE (all platforms of an index) with its signatures (sha256-<hex>.sig)\n"
    "and attestations (.att) into the OCI image layout DIR, as 'cosign save': index.json\n"
    "entries annotated kind dev.cosignproject.cosign/image (or imageIndex), /sigs, /atts.\n"
    "load pushes such a layout (from vigil or cosign save) to IMAGE: the image by digest and\n"
    "at IMAGE's tag, its signatures and attestations at their tags, as 'cosign load'.\n"
    "Every file is checked against its digest before it is uploaded.\n"
    "\n"
    "Options:\n"
    "  --dir DIR              the layout directory (required)\n"
    "  --format text|json     the result on stderr (default) or {\"image\",\"digest\",\"dir\"}\n"
    "  --allow-insecure-registry, --allow-http-registry  cosign's names for --insecure and\n"
    "                         --plain-http\n" VG_CLI_HELP_REGISTRY "\n"
    "Examples:\n"
    "  vigil save --dir ./app-1.4 registry.example.com/team/app:1.4\n"
    "  vigil load --dir ./app-1.4 airgap.example.com/team/app:1.4\n"
    "  vigil verify --key cosign.pub airgap.example.com/team/app:1.4\n"
    "\n"
    "Exit codes: 0 done, 2 usage, 3 I/O, 4 image or layout entry not found, 5 auth,\n"
    "6 corrupt layout or manifest (digest mismatch, garbage), 7 network.\n";

enum { OPT_DIR = 1, OPT_FORMAT, OPT_HELP };

struct save_args {
    struct vg_oci_open_opts open;
    const char *dir, *image;
    bool json;
};

static int
parse_args(struct save_args *a, const char *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, OPT_DIR},
        {"format", required_argument, NULL, OPT_FORMAT},
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
        case OPT_DIR:
            a->dir = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                return vg_cli_usage(cmd, "--format must be text or json, not '%s'", optarg);
            }
            a->json = strcmp(optarg, "json") == 0;
            break;
        case 'h':
        case OPT_HELP:
            fputs(save_help, stdout);
            return -1;
        default:
            return vg_cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc) {
        return vg_cli_usage(cmd, optind == argc ? "missing IMAGE" : "too many arguments");
    }
    if (!a->dir || !*a->dir) {
        return vg_cli_usage(cmd, "--dir is required");
    }
    a->image = argv[optind];
    return 0;
}

static int
done(const struct save_args *a, const char *what, const struct vg_digest *d)
{
    if (!a->json) {
        fprintf(stderr, "vigil: %s %s (%s) %s %s\n", what, a->image, d->text,
                strcmp(what, "saved") == 0 ? "to" : "from", a->dir);
    } else {
        vg_autojson json_t *o =
            json_pack("{s:s,s:s,s:s}", "image", a->image, "digest", d->text, "dir", a->dir);
        struct vg_err *err = NULL;
        if (vg_json_write_file(o, stdout, true, &err) < 0) {
            return vg_cli_fail(&err, what);
        }
    }
    return fflush(stdout) == 0 ? VG_EXIT_OK : VG_EXIT_RUNTIME;
}

int
cmd_save(int argc, char **argv)
{
    struct save_args a = {0};
    int rc = parse_args(&a, "save", argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    struct vg_err *err = NULL;
    struct vg_sign_target *t = NULL;
    vg_autofree char *ctx = vg_fmt("save %s", a.image);
    if (vg_sign_target_open(&t, a.image, &a.open, NULL, &err) < 0) {
        return vg_cli_fail(&err, ctx);
    }
    rc = vg_sign_save(t, a.dir, &err);
    struct vg_digest d = t->digest;
    vg_sign_target_free(t);
    if (rc < 0) {
        return vg_cli_fail(&err, ctx);
    }
    return done(&a, "saved", &d);
}

int
cmd_load(int argc, char **argv)
{
    struct save_args a = {0};
    int rc = parse_args(&a, "load", argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    struct vg_err *err = NULL;
    struct vg_digest d;
    if (vg_sign_load(a.dir, a.image, &a.open, &d, &err) < 0) {
        return vg_cli_fail(&err, "load");
    }
    return done(&a, "loaded", &d);
}
