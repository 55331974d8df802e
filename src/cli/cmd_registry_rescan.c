/* SPDX-License-Identifier: Apache-2.0
 *
 * vigil registry rescan: re-match stored scan results against the current vulnerability DB
 * from their saved analyses (registry/rescan.h), without reading a layer. With the server's
 * --config, the new vulnerabilities become `rescan` notifications, handed to the server's
 * spool (registry/notify.h, a producer notifier): the running server delivers them, or the
 * next one to start.
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "registry/meta.h"
#include "registry/notify.h"
#include "registry/rescan.h"
#include "registry/storage.h"
#include "registry/supply.h"

static const char rescan_help[] =
    "Usage: vigil registry rescan --root DIR [--db FILE] [--force]\n"
    "       vigil registry rescan --config FILE [--root DIR] [--db FILE] [--force]\n"
    "\n"
    "Re-match the scan-on-push results stored under DIR against the vulnerability database\n"
    "(safe while the server runs, which does the same by itself when the DB changes). Each\n"
    "result is re-matched from the analysis saved when it was scanned: only manifest and\n"
    "config blobs are read, never a layer. Results already matched with this DB are skipped\n"
    "unless --force. Prints a summary; new vulnerabilities are logged.\n"
    "\n"
    "With --config (the server's YAML), new vulnerabilities are also `rescan` notifications\n"
    "for the config's endpoints, the same events the server's own rescans send: they are\n"
    "written to each endpoint's inbox under DIR/notifications/, and the running server\n"
    "delivers them within a second (or the server delivers them when it next starts).\n"
    "\n"
    "Options:\n"
    "  --root DIR     storage root of vigil registry serve (default: the config's root)\n"
    "  --db FILE      vulnerability DB (default: the config's scan.db, else the default\n"
    "                 location, $VIGIL_DB)\n"
    "  --config FILE  the server's configuration: root, addr, tls, scan and notifications\n"
    "  --force        re-match every result, also those matched with this DB\n"
    "\n"
    "Examples:\n"
    "  vigil registry rescan --root /srv/registry --db /var/lib/vigil/vulndb.sqlite\n"
    "  vigil registry rescan --config /etc/vigil/registry.yaml\n"
    "\n"
    "Exit codes: 0 done (per-image failures are counted), 2 usage, 3 runtime error (also a\n"
    "config that does not load), 4 the vulnerability DB does not exist.\n";

/* What --config gives the rescan. */
struct rescan_cfg {
    struct vg_config_doc *doc;
    struct vg_registry_supply supply;        /* scan: db, scanners */
    struct vg_registry_notify_config notify; /* notifications */
    const char *root;                        /* borrowed from doc */
    unsigned port;                           /* addr's port (source.addr) */
    bool tls;
};

static int
load_cfg(struct rescan_cfg *c, const char *path, struct vg_err **err)
{
    if (vg_config_load_file(&c->doc, path, NULL, err) < 0) {
        return -1;
    }
    if (vg_config_doc_count(c->doc) != 1) {
        return vg_err_set(err, VG_E_PARSE, "%s: expected exactly one YAML document", path);
    }
    const struct vg_config_node *top = vg_config_doc_root(c->doc, 0);
    const char *addr = NULL;
    if (vg_config_check_keys(top, NULL, vg_cli_registry_keys, vg_cli_registry_nkeys, err) < 0 ||
        vg_config_get_str(top, "root", NULL, &c->root, err) < 0 ||
        vg_config_get_str(top, "addr", "127.0.0.1:5000", &addr, err) < 0 ||
        vg_registry_supply_parse(&c->supply, vg_config_map_get(top, "scan"), NULL, err) < 0 ||
        vg_registry_notify_config_parse(&c->notify, vg_config_map_get(top, "notifications"), err) <
            0) {
        return -1;
    }
    const char *colon = strrchr(addr, ':');
    uint64_t port = 0;
    if (colon && vg_parse_u64(vg_str_c(colon + 1), 65535, &port) < 0) {
        port = 0;
    }
    c->port = (unsigned)port;
    c->tls = vg_config_map_get(top, "tls") != NULL;
    return 0;
}

static void
cfg_dispose(struct rescan_cfg *c)
{
    vg_registry_supply_dispose(&c->supply);
    vg_registry_notify_config_dispose(&c->notify);
    vg_config_doc_free(c->doc);
}

struct emit_ctx {
    struct vg_registry_notifier *n;
    struct vg_registry_meta *meta;
    const char *scheme;
    char *src;
};

static void
new_vulns(void *ud, const char *repo, const struct vg_digest *d,
          const struct vg_registry_gate_finding *fresh, size_t n)
{
    struct emit_ctx *x = ud;
    vg_registry_notify_scan_event(x->n, x->meta, VG_NOTIFY_RESCAN, x->scheme, x->src,
                                  repo ? repo : "", d, fresh, n);
}

/* Events queued in the producer (they reach the inboxes when it is freed). */
static uint64_t
queued_events(struct vg_registry_notifier *n)
{
    uint64_t q = 0;
    for (size_t i = 0; n && i < vg_registry_notifier_count(n); i++) {
        struct vg_registry_notify_stats st;
        vg_registry_notifier_stats(n, i, &st);
        q += st.queued;
    }
    return q;
}

static int
run(struct vg_registry_rescan_opts *ro, const char *root, struct rescan_cfg *c,
    struct vg_registry_rescan_stats *st, uint64_t *events, struct vg_err **err)
{
    struct emit_ctx x = {.scheme = c->tls ? "https" : "http"};
    vg_autofree char *spool = vg_fmt("%s/notifications", root);
    int rc = vg_registry_storage_fs_new(&ro->storage, root, err) < 0 ||
                     vg_registry_meta_open_root(&ro->meta, root, err) < 0
                 ? -1
                 : 0;
    if (rc == 0 && c->notify.n) {
        rc = vg_registry_notifier_new_producer(&x.n, &c->notify, spool, err);
        x.meta = ro->meta;
        x.src = vg_registry_notify_source_addr(c->port);
        ro->new_vulns = new_vulns;
        ro->ud = &x;
    }
    if (rc == 0) {
        rc = vg_registry_rescan_run(ro, st, err);
    }
    *events = queued_events(x.n);
    vg_registry_notifier_free(x.n); /* into the inboxes */
    free(x.src);
    vg_registry_meta_free(ro->meta);
    vg_registry_storage_free(ro->storage);
    return rc;
}

int
cmd_registry_rescan(int argc, char **argv)
{
    enum { OPT_ROOT = 1000, OPT_DB, OPT_FORCE, OPT_CONFIG };
    static const struct option opts[] = {
        {"root", required_argument, NULL, OPT_ROOT},
        {"db", required_argument, NULL, OPT_DB},
        {"force", no_argument, NULL, OPT_FORCE},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct vg_registry_rescan_opts ro = {0};
    const char *root = NULL, *config = NULL;
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
        case OPT_CONFIG:
            config = optarg;
            break;
        case 'h':
            fputs(rescan_help, stdout);
            return VG_EXIT_OK;
        default:
            return vg_cli_usage("registry rescan", "invalid option");
        }
    }
    struct vg_err *err = NULL;
    struct rescan_cfg cfg = {0};
    if (config && load_cfg(&cfg, config, &err) < 0) {
        cfg_dispose(&cfg);
        return vg_cli_fail(&err, "registry rescan: config");
    }
    vg_autofree char *root_dir = vg_strdup(root ? root : cfg.root ? cfg.root : "");
    root = *root_dir ? root_dir : NULL;
    ro.db_path = ro.db_path ? ro.db_path : cfg.supply.scan_db;
    ro.scanners = cfg.supply.scanners;
    int urc = vg_cli_root_only("registry rescan", argc, argv, root);
    if (urc != 0) {
        cfg_dispose(&cfg);
        return urc;
    }
    struct vg_registry_rescan_stats st;
    uint64_t events = 0;
    int rc = run(&ro, root, &cfg, &st, &events, &err);
    size_t nendpoints = cfg.notify.n;
    cfg_dispose(&cfg);
    if (rc < 0) {
        return vg_cli_fail(&err, "registry rescan");
    }
    printf("rescanned %zu of %zu result(s): %zu new vulnerabilit%s; %zu already current, %zu "
           "without a saved analysis, %zu failed\n",
           st.rescanned, st.results, st.new_vulns, st.new_vulns == 1 ? "y" : "ies", st.current,
           st.no_inventory, st.failed);
    if (nendpoints) {
        printf("notifications: %" PRIu64 " rescan event(s) handed to the server's spool (%s/"
               "notifications/<endpoint>/inbox)\n",
               events, root);
    }
    return VG_EXIT_OK;
}
