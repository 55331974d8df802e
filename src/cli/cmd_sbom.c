/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil sbom IMAGE`: opens the image (oci/), inventories it in one pass over its layers
 * (the scan engine's walk and analysis cache, so that `scan` then `sbom` of one image reads
 * its layers once) and writes a CycloneDX 1.5, SPDX 2.3 or vigil JSON document
 * (docs/sbom.md). This file only parses flags and writes the document.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "inventory/inventory.h"
#include "oci/oci.h"
#include "scan/scan.h"

static const char sbom_help[] =
    "Usage: vigil sbom IMAGE [--format cyclonedx|spdx-json|json] [--output FILE]\n"
    "                  [--platform OS/ARCH[/VARIANT]] [--creds USER:PASS] [--insecure]\n"
    "                  [--plain-http] [--no-cache] [--cache-dir DIR] [-q]\n"
    "\n"
    "Lists the software in an image — OS packages (dpkg, apk, rpm) and language packages\n"
    "(Python, Node.js, Go binaries, Java archives, Rust, Ruby, PHP) — as an SBOM. Each package\n"
    "records its purl, licenses, the file it was found in and the layer that introduced it.\n"
    "\n"
    "IMAGE is one of:\n"
    "  oci:DIR[:TAG]               OCI image layout\n"
    "  oci-archive:FILE[:TAG]      tar of an OCI layout\n"
    "  docker-archive:FILE[:REF]   tarball from 'docker save'\n"
    "  containers-storage:[STORE]REF  podman/buildah local store (read only)\n"
    "  docker-daemon:REF           image in the local Docker Engine\n"
    "  docker://REF, REF           registry image\n"
    "\n"
    "Options:\n"
    "  --format F             cyclonedx (CycloneDX 1.5 JSON, default), spdx-json (SPDX 2.3\n"
    "                         JSON) or json (vigil's inventory, docs/inventory-json.md)\n"
    "  --output FILE          write to FILE instead of stdout (atomically)\n" VG_CLI_HELP_PLATFORM
        VG_CLI_HELP_REGISTRY VG_CLI_HELP_TIMEOUT
    "  --no-cache             neither reuse nor store the image analysis (shared with\n"
    "                         'vigil scan': an image scanned before is not read "
    "again)\n" VG_CLI_HELP_CACHE "  -q, --quiet            no progress or notices on stderr\n"
    "\n"
    "Examples:\n"
    "  vigil sbom oci:./layout:v1\n"
    "  vigil sbom --format spdx-json --output sbom.spdx.json debian:12\n"
    "  vigil sbom --format json docker-archive:image.tar\n"
    "\n"
    "DOCKER_CONTENT_TRUST=1: a registry IMAGE:TAG is pulled by the digest signed in its notary\n"
    "repository, refused without trust data (exit 4), as docker pull (docs/trust.md).\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 3 runtime, 4 not found, 5 auth, 6 corrupt input, 7 network.\n";

enum { OPT_FORMAT = 1, OPT_OUTPUT, OPT_HELP, OPT_NOCACHE };

struct sbom_args {
    const char *image;
    const char *output;
    enum vg_sbom_format fmt;
    struct vg_scan_opts so;
    uint64_t timeout_ms;
};

static int
parse_format(const char *s, enum vg_sbom_format *out)
{
    if (strcmp(s, "cyclonedx") == 0) {
        *out = VG_SBOM_CYCLONEDX;
    } else if (strcmp(s, "spdx-json") == 0) {
        *out = VG_SBOM_SPDX_JSON;
    } else if (strcmp(s, "json") == 0) {
        *out = VG_SBOM_VIGIL_JSON;
    } else {
        return -1;
    }
    return 0;
}

static int
parse_args(struct sbom_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, OPT_OUTPUT},
        VG_CLI_IMAGE_LONGOPTS,
        VG_CLI_TIMEOUT_LONGOPTS,
        VG_CLI_CACHE_LONGOPTS,
        {"no-cache", no_argument, NULL, OPT_NOCACHE},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "qho:f:", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &a->so.open) ||
            vg_cli_timeout_opt(c, optarg, "sbom", &a->timeout_ms, &a->so.open)) {
            continue;
        }
        int cc = vg_cli_cache_opt(c, optarg, "sbom", &a->so.cache_limits);
        if (cc != 0) {
            if (cc < 0) {
                return VG_EXIT_USAGE;
            }
            continue;
        }
        switch (c) {
        case OPT_NOCACHE:
            a->so.use_cache = false;
            break;
        case 'q':
            a->so.quiet = true;
            break;
        case 'f':
        case OPT_FORMAT:
            if (parse_format(optarg, &a->fmt) < 0) {
                return vg_cli_usage("sbom",
                                    "--format must be cyclonedx, spdx-json or json, "
                                    "not '%s'",
                                    optarg);
            }
            break;
        case 'o':
        case OPT_OUTPUT:
            a->output = optarg;
            break;
        case 'h':
        case OPT_HELP:
            fputs(sbom_help, stdout);
            return -1;
        default:
            return vg_cli_usage("sbom", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc) {
        return vg_cli_usage("sbom", optind == argc ? "missing IMAGE" : "too many arguments");
    }
    a->image = argv[optind];
    vg_cli_timeout_start(a->timeout_ms, &a->so.open);
    return 0;
}

int
cmd_sbom(int argc, char **argv)
{
    struct sbom_args a = {
        .fmt = VG_SBOM_CYCLONEDX, .so = VG_SCAN_OPTS_INIT, .timeout_ms = UINT64_MAX};
    int rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    struct vg_err *err = NULL;
    struct vg_oci_image *img = NULL;
    vg_log_set_quiet(a.so.quiet);
    vg_autofree char *pinned = NULL; /* DOCKER_CONTENT_TRUST=1: by the signed digest */
    if (vg_cli_dct_pin(&pinned, a.image, &a.so.open, &err) < 0 ||
        vg_layers_image_open(&img, pinned ? pinned : a.image, &a.so.open, &err) < 0) {
        return vg_cli_fail(&err, a.image);
    }
    struct vg_inventory *inv = NULL;
    bool from_cache = false;
    if (vg_scan_inventory(&inv, img, &a.so, &from_cache, &err) < 0) {
        vg_oci_image_free(img);
        vg_autofree char *ctx =
            vg_fmt("sbom %s%s", a.image, vg_cli_timed_out(&a.so.open) ? " (--timeout)" : "");
        return vg_cli_fail(&err, ctx);
    }
    if (from_cache && !a.so.quiet) {
        fputs("vigil: sbom: image analysis reused from the cache (--no-cache redoes it)\n", stderr);
    }
    if (inv->warnings) {
        fprintf(stderr, "vigil: sbom: %zu file(s) skipped as unreadable (see warnings)\n",
                inv->warnings);
    }
    vg_autojson json_t *doc = vg_sbom_build(inv, img, a.fmt);
    vg_inventory_free(inv);
    vg_oci_image_free(img);
    struct vg_cli_out out = {0};
    if (vg_cli_output_open(&out, a.output, &err) < 0) {
        return vg_cli_fail(&err, "sbom");
    }
    bool ok = vg_json_write_file(doc, out.f, true, &err) == 0;
    if (vg_cli_output_close(&out, ok, ok ? &err : NULL) < 0 || !ok) {
        return vg_cli_fail(&err, a.output ? a.output : "stdout");
    }
    return VG_EXIT_OK;
}
