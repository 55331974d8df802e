/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil copy SRC DST`: an image with its signatures, attestations, SBOMs and OCI 1.1
 * referrers, between repositories or registries, with cosign copy's flags
 * (docs/cosign-commands.md). The work is sign/'s vg_sign_copy.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "sign/cosign_ops.h"

static const char copy_help[] =
    "Usage: vigil copy [--only sig,att,sbom] [--force] [--platform P] [--format text|json]\n"
    "                  " VG_CLI_USAGE_REGISTRY " SRC DST\n"
    "\n"
    "Copies SRC (a tag or digest) to DST with what is attached to it, as 'cosign copy': the\n"
    "manifest (an index with all its platforms), its blobs, the sha256-<hex>.sig/.att/.sbom\n"
    "tags of every manifest, and its OCI 1.1 referrers (cosign 3 bundles, Notation\n"
    "signatures, other artifacts; listed in DST's sha256-<hex> index when DST's registry has\n"
    "no referrers API). Blobs DST already has are not copied again. DST's tag is written\n"
    "last. A tag that exists at DST with other content is an error unless --force.\n"
    "\n"
    "Options:\n"
    "  --only KINDS           only these attachments (comma-separated: sig, att, sbom; other\n"
    "                         referrers are then left out) and not DST's tag; the manifests\n"
    "                         they belong to are still pushed (by digest)\n"
    "  --sig-only             --only sig (deprecated in cosign, accepted)\n"
    "  -f, --force            overwrite tags at DST that point elsewhere\n"
    "  --platform P           copy only this platform's manifest of an index (os/arch[/v])\n"
    "  --format text|json     what was copied: text on stderr (default) or JSON on stdout\n"
    "  --allow-insecure-registry  cosign's name for --insecure\n"
    "  --allow-http-registry  cosign's name for --plain-http\n" VG_CLI_HELP_REGISTRY "\n"
    "Credentials for both registries come from --creds or docker's config.json.\n"
    "\n"
    "Examples:\n"
    "  vigil copy registry.example.com/team/app:1.4 mirror.example.com/team/app:1.4\n"
    "  vigil copy --only sig,att src.example.com/app@sha256:... dst.example.com/app\n"
    "  vigil copy -f --platform linux/arm64 src.example.com/app:1 dst.example.com/app:1\n"
    "\n"
    "DOCKER_CONTENT_TRUST=1: a registry IMAGE:TAG is pulled by the digest signed in its notary\n"
    "repository, refused without trust data (exit 4), as docker pull (docs/trust.md).\n"
    "\n"
    "Exit codes: 0 copied, 2 usage or DST tag exists (without --force), 3 runtime,\n"
    "4 source not found, 5 auth, 6 corrupt or oversized manifest/blob, 7 network.\n";

enum { OPT_ONLY = 1, OPT_SIG_ONLY, OPT_FORCE, OPT_FORMAT, OPT_HELP };

struct copy_args {
    struct vg_oci_open_opts open;
    struct vg_sign_copy_opts co;
    bool json;
    const char *src, *dst;
};

static int
parse_only(struct copy_args *a, const char *arg)
{
    vg_autofree char *s = vg_strdup(arg);
    for (char *save = NULL, *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "sig") == 0) {
            a->co.kinds |= VG_SIGN_COPY_SIG;
        } else if (strcmp(tok, "att") == 0) {
            a->co.kinds |= VG_SIGN_COPY_ATT;
        } else if (strcmp(tok, "sbom") == 0) {
            a->co.kinds |= VG_SIGN_COPY_SBOM;
        } else {
            return vg_cli_usage("copy", "invalid value for --only: %s (sig, att or sbom)", tok);
        }
    }
    if (a->co.kinds == 0) {
        return vg_cli_usage("copy", "--only needs at least one of sig, att, sbom");
    }
    a->co.only = true;
    return 0;
}

static int
parse_args(struct copy_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"only", required_argument, NULL, OPT_ONLY},
        {"sig-only", no_argument, NULL, OPT_SIG_ONLY},
        {"force", no_argument, NULL, OPT_FORCE},
        {"format", required_argument, NULL, OPT_FORMAT},
        VG_CLI_COSIGN_REGISTRY_ALIASES,
        VG_CLI_IMAGE_LONGOPTS,
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "hf", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &a->open)) {
            continue;
        }
        switch (c) {
        case OPT_ONLY:
            if ((rc = parse_only(a, optarg)) != 0) {
                return rc;
            }
            break;
        case OPT_SIG_ONLY:
            fprintf(stderr, "vigil: warn: --sig-only is deprecated, use --only=sig\n");
            a->co.kinds |= VG_SIGN_COPY_SIG;
            a->co.only = true;
            break;
        case 'f':
        case OPT_FORCE:
            a->co.force = true;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                return vg_cli_usage("copy", "--format must be text or json, not '%s'", optarg);
            }
            a->json = strcmp(optarg, "json") == 0;
            break;
        case 'h':
        case OPT_HELP:
            fputs(copy_help, stdout);
            return -1;
        default:
            return vg_cli_usage("copy", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 2 != argc) {
        return vg_cli_usage("copy", optind + 2 > argc ? "needs SRC and DST" : "too many arguments");
    }
    a->src = argv[optind];
    a->dst = argv[optind + 1];
    /* The source's platform picks from its index here, never when it is opened. */
    a->co.platform = a->open.platform;
    a->open.platform = NULL;
    return 0;
}

static void
note_stderr(void *ud, const char *line)
{
    (void)ud;
    vg_autofree char *s = vg_escape(line, strlen(line), 1024);
    fprintf(stderr, "%s\n", s);
}

static int
render_json(const struct vg_sign_copy_result *r, struct vg_err **err)
{
    vg_autojson json_t *o =
        json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "destination", r->destination, "digest",
                  r->digest.text, "manifests", (json_int_t)r->manifests, "manifestsPresent",
                  (json_int_t)r->manifests_present, "blobs", (json_int_t)r->blobs, "blobsPresent",
                  (json_int_t)r->blobs_present, "attachments", (json_int_t)r->attachments,
                  "referrers", (json_int_t)r->referrers, "referrersFallback", r->fallback);
    return vg_json_write_file(o, stdout, true, err);
}

int
cmd_copy(int argc, char **argv)
{
    struct copy_args a = {0};
    int rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    if (!a.json) {
        a.co.note = note_stderr;
    }
    struct vg_err *err = NULL;
    struct vg_sign_target *t = NULL;
    vg_autofree char *ctx = vg_fmt("copy %s", a.src);
    vg_autofree char *pinned = NULL; /* DOCKER_CONTENT_TRUST=1: by the signed digest */
    if (vg_cli_dct_pin(&pinned, a.src, &a.open, &err) < 0 ||
        vg_sign_target_open(&t, pinned ? pinned : a.src, &a.open, NULL, &err) < 0) {
        return vg_cli_fail(&err, ctx);
    }
    struct vg_sign_copy_result res;
    rc = vg_sign_copy(t, a.dst, &a.open, &a.co, &res, &err);
    vg_sign_target_free(t);
    if (rc < 0) {
        return vg_cli_fail(&err, ctx);
    }
    if (a.json) {
        rc = render_json(&res, &err);
    } else {
        fprintf(stderr,
                "vigil: copied %s to %s: %zu manifest(s) and %zu blob(s) pushed (%zu and %zu "
                "already there), %zu attachment tag(s), %zu referrer(s)\n",
                a.src, res.destination, res.manifests, res.blobs, res.manifests_present,
                res.blobs_present, res.attachments, res.referrers);
    }
    vg_sign_copy_result_dispose(&res);
    if (rc < 0) {
        return vg_cli_fail(&err, ctx);
    }
    return fflush(stdout) == 0 ? VG_EXIT_OK : VG_EXIT_RUNTIME;
}
