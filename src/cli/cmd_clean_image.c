/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil clean [--type signature|attestation|sbom|all] [-f] IMAGE`: cosign clean, removing
 * the `.sig/.att/.sbom` tags of an image (docs/cosign-commands.md). `vigil clean` without an
 * IMAGE operand removes vigil's caches (cmd_clean.c), which dispatches here when an operand
 * is given: a cache clean never takes one, so the two cannot be confused.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "sign/cosign_ops.h"

static const char clean_image_help[] =
    "Usage: vigil clean [--type signature|attestation|sbom|all] [-f] [--format text|json]\n"
    "                   " VG_CLI_USAGE_REGISTRY " IMAGE\n"
    "\n"
    "Removes what cosign attached to IMAGE's manifest digest, as 'cosign clean': the tags\n"
    "sha256-<hex>.sig, .att and/or .sbom (by tag, or by the digest they name when the\n"
    "registry cannot delete tags). OCI 1.1 referrers are not touched. Asks for confirmation\n"
    "on the terminal (or a 'y' line on stdin) unless -f. Without IMAGE, 'vigil clean'\n"
    "removes vigil's caches instead (see 'vigil clean --help').\n"
    "\n"
    "Options:\n"
    "  --type T               signature, attestation, sbom or all (default)\n"
    "  -f, --force            do not ask\n"
    "  --format text|json     what was removed: text on stderr (default) or JSON on stdout\n"
    "  --allow-insecure-registry, --allow-http-registry  cosign's names for --insecure and\n"
    "                         --plain-http\n" VG_CLI_HELP_REGISTRY "\n"
    "Examples:\n"
    "  vigil clean -f registry.example.com/team/app:1.4\n"
    "  vigil clean --type attestation -f registry.example.com/team/app@sha256:...\n"
    "\n"
    "Exit codes: 0 removed (or nothing to remove), 1 not confirmed, 2 usage, 4 image not\n"
    "found, 5 auth, 6 the registry refuses deletion, 7 network.\n";

enum { OPT_TYPE = 1, OPT_FORCE, OPT_FORMAT, OPT_HELP, OPT_CACHE };

bool
vg_cli_clean_wants_image(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            return i + 1 < argc;
        }
        if (strcmp(a, "--cache-dir") == 0 || strcmp(a, "--type") == 0 ||
            strcmp(a, "--creds") == 0 || strcmp(a, "--format") == 0) {
            i++; /* its value */
            continue;
        }
        if (a[0] != '-') {
            return true;
        }
    }
    return false;
}

static unsigned
type_kinds(const char *t)
{
    return strcmp(t, "signature") == 0     ? VG_SIGN_COPY_SIG
           : strcmp(t, "attestation") == 0 ? VG_SIGN_COPY_ATT
           : strcmp(t, "sbom") == 0        ? VG_SIGN_COPY_SBOM
           : strcmp(t, "all") == 0         ? VG_SIGN_COPY_SIG | VG_SIGN_COPY_ATT | VG_SIGN_COPY_SBOM
                                           : 0;
}

struct clean_args {
    struct vg_oci_open_opts open;
    unsigned kinds;
    const char *type;
    bool force, json;
    const char *image;
};

static int
parse_args(struct clean_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"type", required_argument, NULL, OPT_TYPE},
        {"force", no_argument, NULL, OPT_FORCE},
        {"format", required_argument, NULL, OPT_FORMAT},
        VG_CLI_COSIGN_REGISTRY_ALIASES,
        {"scan-cache", no_argument, NULL, OPT_CACHE},
        {"vuln-db", no_argument, NULL, OPT_CACHE},
        {"all", no_argument, NULL, OPT_CACHE},
        {"cache-dir", required_argument, NULL, OPT_CACHE},
        VG_CLI_REGISTRY_LONGOPTS,
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    opterr = 0;
    a->type = "all";
    while ((c = getopt_long(argc, argv, "hf", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &a->open)) {
            continue;
        }
        switch (c) {
        case OPT_TYPE:
            a->type = optarg;
            break;
        case 'f':
        case OPT_FORCE:
            a->force = true;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                return vg_cli_usage("clean", "--format must be text or json, not '%s'", optarg);
            }
            a->json = strcmp(optarg, "json") == 0;
            break;
        case OPT_CACHE:
            return vg_cli_usage("clean",
                                "%s removes vigil's caches and takes no IMAGE; with an "
                                "IMAGE, clean removes its signatures",
                                argv[optind - 1]);
        case 'h':
        case OPT_HELP:
            fputs(clean_image_help, stdout);
            return -1;
        default:
            return vg_cli_usage("clean", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!(a->kinds = type_kinds(a->type))) {
        return vg_cli_usage("clean", "--type must be signature, attestation, sbom or all");
    }
    if (optind + 1 != argc) {
        return vg_cli_usage("clean", optind == argc ? "missing IMAGE" : "too many arguments");
    }
    a->image = argv[optind];
    return 0;
}

/* cosign's question; a 'y' or 'yes' line on stdin answers it. */
static bool
confirmed(const struct clean_args *a)
{
    const char *what = strcmp(a->type, "all") == 0         ? "signatures, SBOMs and attestations"
                       : strcmp(a->type, "signature") == 0 ? "signatures"
                       : strcmp(a->type, "sbom") == 0      ? "SBOMs"
                                                           : "attestations";
    vg_autofree char *img = vg_escape(a->image, strlen(a->image), 256);
    fprintf(stderr,
            "WARNING: this will remove all %s from the image %s\n"
            "Are you sure you want to continue? [y/N] ",
            what, img);
    char line[16];
    if (!fgets(line, sizeof(line), stdin)) {
        fputc('\n', stderr);
        return false;
    }
    line[strcspn(line, "\r\n")] = '\0';
    return strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 || strcmp(line, "yes") == 0;
}

static int
report(const struct vg_sign_clean_result *r, bool json, struct vg_err **err)
{
    vg_autojson json_t *arr = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const struct vg_sign_clean_item *it = &r->items[i];
        if (json) {
            json_t *o = json_pack("{s:s,s:b,s:b}", "location", it->location, "found", it->found,
                                  "removed", it->removed);
            if (it->found) {
                json_object_set_new(o, "digest", json_string(it->digest.text));
            }
            json_array_append_new(arr, o);
        } else if (it->removed) {
            fprintf(stderr, "Removed %s%s\n", it->location,
                    it->by_digest ? " (deleted its manifest: the registry cannot delete tags)"
                                  : "");
        } else {
            fprintf(stderr, "Nothing at %s\n", it->location);
        }
    }
    return json ? vg_json_write_file(arr, stdout, true, err) : 0;
}

int
vg_cli_clean_image(int argc, char **argv)
{
    struct clean_args a = {0};
    int rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    if (!a.force && !confirmed(&a)) {
        fprintf(stderr, "vigil: clean: not confirmed, nothing removed (use -f)\n");
        return VG_EXIT_NEGATIVE;
    }
    struct vg_err *err = NULL;
    struct vg_sign_target *t = NULL;
    vg_autofree char *ctx = vg_fmt("clean %s", a.image);
    if (vg_sign_target_open(&t, a.image, &a.open, NULL, &err) < 0) {
        return vg_cli_fail(&err, ctx);
    }
    struct vg_sign_clean_result res;
    rc = vg_sign_target_clean(t, a.kinds, &res, &err);
    vg_sign_target_free(t);
    if (rc < 0) {
        return vg_cli_fail(&err, ctx);
    }
    rc = report(&res, a.json, &err);
    vg_sign_clean_result_dispose(&res);
    if (rc < 0) {
        return vg_cli_fail(&err, ctx);
    }
    return fflush(stdout) == 0 ? VG_EXIT_OK : VG_EXIT_RUNTIME;
}
