/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil clean`: removes what vigil keeps in its cache directory, as `trivy clean` does: the
 * scan cache (per-image and per-layer analysis) and/or the vulnerability database with its
 * downloads. Only vigil's own subdirectories are removed, never the directory's other contents.
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: vigil clean [--scan-cache] [--vuln-db] [--all] [--cache-dir DIR]\n"
    "\n"
    "Removes vigil's cached data, as 'trivy clean' does. At least one of:\n"
    "  --scan-cache           the image and layer analysis cache (DIR/scan, DIR/inventory,\n"
    "                         DIR/layers)\n"
    "  --vuln-db              the vulnerability database and its downloads (DIR/db)\n"
    "  --all                  both; DIR itself too when nothing else is left in it\n"
    "Options:\n"
    "  --cache-dir DIR        the cache directory (default: $VIGIL_CACHE_DIR, else\n"
    "                         $XDG_CACHE_HOME/vigil, else ~/.cache/vigil)\n"
    "  -h, --help             this help\n"
    "\n"
    "A database given with --db or $VIGIL_DB outside DIR is not touched. Removing the cache\n"
    "while a scan runs is safe for that scan's results (entries are written atomically), but\n"
    "the scan may store new entries afterwards.\n"
    "\n"
    "With an IMAGE operand, 'vigil clean IMAGE' removes the image's cosign signatures,\n"
    "attestations and SBOM instead, as 'cosign clean' (vigil clean --help IMAGE).\n"
    "\n"
    "Examples:\n"
    "  vigil clean --scan-cache\n"
    "  vigil clean --all\n"
    "  vigil clean --vuln-db --cache-dir /var/cache/vigil && vigil db update\n"
    "\n"
    "Exit codes: 0 removed (or nothing to remove), 2 usage, 3 I/O error.\n";

enum { O_SCAN = 1, O_DB, O_ALL, O_CACHEDIR, O_HELP };

static int
remove_one(const char *cache, const char *sub, const char *what, struct vg_err **err)
{
    vg_autofree char *path = vg_fmt("%s/%s", cache, sub);
    if (!vg_path_exists(path)) {
        return 0;
    }
    uint64_t n = 0;
    if (vg_remove_tree(path, &n, err) < 0) {
        return -1;
    }
    fprintf(stderr, "vigil: removed the %s: %s (%llu file(s))\n", what, path,
            (unsigned long long)n);
    return 0;
}

int
cmd_clean(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"scan-cache", no_argument, NULL, O_SCAN},
        {"vuln-db", no_argument, NULL, O_DB},
        {"all", no_argument, NULL, O_ALL},
        {"cache-dir", required_argument, NULL, O_CACHEDIR},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    if (vg_cli_clean_wants_image(argc, argv)) {
        return vg_cli_clean_image(argc, argv); /* cosign clean: cmd_clean_image.c */
    }
    bool scan = false, db = false, all = false;
    const char *dir = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_SCAN:
            scan = true;
            break;
        case O_DB:
            db = true;
            break;
        case O_ALL:
            all = scan = db = true;
            break;
        case O_CACHEDIR:
            dir = optarg;
            break;
        case 'h':
        case O_HELP:
            fputs(HELP, stdout);
            return VG_EXIT_OK;
        default:
            return vg_cli_usage("clean", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) {
        return vg_cli_usage("clean", "takes no arguments");
    }
    if (!scan && !db) {
        return vg_cli_usage("clean", "say what to remove: --scan-cache, --vuln-db or --all");
    }
    if (dir && !dir[0]) {
        return vg_cli_usage("clean", "--cache-dir wants a directory");
    }
    vg_autofree char *cache = dir ? vg_strdup(dir) : vg_cache_dir();
    struct vg_err *err = NULL;
    if ((scan && (remove_one(cache, "scan", "image analysis cache", &err) < 0 ||
                  remove_one(cache, "inventory", "image inventory cache", &err) < 0 ||
                  remove_one(cache, "layers", "layer analysis cache", &err) < 0)) ||
        (db && remove_one(cache, "db", "vulnerability database", &err) < 0)) {
        return vg_cli_fail(&err, "clean");
    }
    if (all && rmdir(cache) == 0) {
        fprintf(stderr, "vigil: removed the cache directory %s\n", cache);
    }
    return VG_EXIT_OK;
}
