/* SPDX-License-Identifier: Apache-2.0
 *
 * vigil registry rescan: re-match stored scan results against the current vulnerability DB
 * from their saved analyses (registry/rescan.h), without reading a layer.
 */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "registry/meta.h"
#include "registry/rescan.h"
#include "registry/storage.h"

static const char rescan_help[] =
    "Usage: vigil registry rescan --root DIR [--db FILE] [--force]\n"
    "\n"
    "Re-match the scan-on-push results stored under DIR against the vulnerability database\n"
    "(safe while the server runs, which does the same by itself when the DB changes). Each\n"
    "result is re-matched from the analysis saved when it was scanned: only manifest and\n"
    "config blobs are read, never a layer. Results already matched with this DB are skipped\n"
    "unless --force. Prints a summary; new vulnerabilities are logged.\n"
    "\n"
    "Options:\n"
    "  --root DIR   storage root of vigil registry serve\n"
    "  --db FILE    vulnerability DB (default: the server's default location, $VIGIL_DB)\n"
    "  --force      re-match every result, also those matched with this DB\n"
    "\n"
    "Exit codes: 0 done (per-image failures are counted), 2 usage, 3 runtime error.\n";

int
cmd_registry_rescan(int argc, char **argv)
{
    enum { OPT_ROOT = 1000, OPT_DB, OPT_FORCE };
    static const struct option opts[] = {
        {"root", required_argument, NULL, OPT_ROOT},
        {"db", required_argument, NULL, OPT_DB},
        {"force", no_argument, NULL, OPT_FORCE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct vg_registry_rescan_opts ro = {0};
    const char *root = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ROOT:
            root = optarg;
            break;
        case OPT_DB:
            ro.db_path = optarg;
            break;
        case OPT_FORCE:
            ro.force = true;
            break;
        case 'h':
            fputs(rescan_help, stdout);
            return VG_EXIT_OK;
        default:
            return vg_cli_usage("registry rescan", "invalid option");
        }
    }
    int urc = vg_cli_root_only("registry rescan", argc, argv, root);
    if (urc != 0) {
        return urc;
    }
    struct vg_err *err = NULL;
    struct vg_registry_rescan_stats st;
    int rc = vg_registry_storage_fs_new(&ro.storage, root, &err) < 0 ||
                     vg_registry_meta_open_root(&ro.meta, root, &err) < 0 ||
                     vg_registry_rescan_run(&ro, &st, &err) < 0
                 ? -1
                 : 0;
    vg_registry_meta_free(ro.meta);
    vg_registry_storage_free(ro.storage);
    if (rc < 0) {
        return vg_cli_fail(&err, "registry rescan");
    }
    printf("rescanned %zu of %zu result(s): %zu new vulnerabilit%s; %zu already current, %zu "
           "without a saved analysis, %zu failed\n",
           st.rescanned, st.results, st.new_vulns, st.new_vulns == 1 ? "y" : "ies", st.current,
           st.no_inventory, st.failed);
    return VG_EXIT_OK;
}
