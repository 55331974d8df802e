/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil registry serve`: flags and the YAML config (config/) into httpd and registry options,
 * then serve until SIGTERM/SIGINT. Flags win over the config file. The protocol lives in
 * registry/, the HTTP machinery in httpd/; this file only wires them.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "config/config.h"
#include "httpd/httpd.h"
#include "registry/auth.h"
#include "registry/gc.h"
#include "registry/notify.h"
#include "registry/registry.h"
#include "registry/supply.h"
#include "sign/notation.h"

static const char registry_help[] = "Usage: vigil registry serve [OPTIONS]\n"
                                    "\n"
                                    "Run an OCI Distribution v1.1 registry (docs/registry.md).\n";

static const char serve_help[] =
    "Usage: vigil registry serve --root DIR [--addr HOST:PORT] [--tls-cert C --tls-key K]\n"
    "                            [--htpasswd FILE] [--config FILE] [--access-log PATH]\n"
    "\n"
    "Serve an OCI Distribution v1.1 registry: blobs and manifests under DIR (content-addressed\n"
    "files and a SQLite metadata database, DIR/meta.db), pushes verified before they become\n"
    "visible, the referrers API, tag and manifest deletes. With no authentication configured the\n"
    "registry is open to every client that can reach it (it says so at start); with --htpasswd\n"
    "or the config's auth/access keys, a request is allowed only when a rule grants it.\n"
    "\n"
    "Options:\n"
    "  --addr HOST:PORT       listen address (default 127.0.0.1:5000; port 0 picks one)\n"
    "  --root DIR             storage root (created when missing)\n"
    "  --tls-cert FILE        PEM certificate chain; with --tls-key serves HTTPS\n"
    "  --tls-key FILE         PEM private key (reloaded with the certificate on SIGHUP)\n"
    "  --htpasswd FILE        Basic authentication from an htpasswd file (bcrypt, htpasswd -B)\n"
    "  --config FILE          YAML configuration (keys: addr, root, tls: {cert, key},\n"
    "                         access-log, auth, access, immutable, upload-expiry: 24h,\n"
    "                         max-uploads-per-user: 256, catalog-scan-max, scan, gates,\n"
    "                         notifications);\n"
    "                         flags override it\n"
    "  --access-log PATH      JSON access log: '-' stderr (default), 'off', or a file\n"
    "  --db-update-interval D run `vigil db update` on the scan DB every D (e.g. 12h; 0s: never)\n"
    "                         and rescan what it changes "
    "(scan.db-update-interval)\n" VG_CLI_HELP_NOTATION_REVOCATION
    "  -h, --help             show this help\n"
    "\n"
    "Examples:\n"
    "  vigil registry serve --root ./data\n"
    "  vigil registry serve --addr 0.0.0.0:5443 --root /srv/registry \\\n"
    "      --tls-cert cert.pem --tls-key key.pem\n"
    "  vigil registry serve --config /etc/vigil/registry.yaml\n"
    "  vigil registry serve --config registry.yaml --notation-revocation-timeout 500ms\n"
    "  skopeo copy --dest-tls-verify=false oci:img:latest docker://127.0.0.1:5000/app:1\n"
    "\n"
    "Signals: SIGTERM/SIGINT drain and stop; SIGHUP reloads TLS, reopens the access log and\n"
    "re-reads the config's notification endpoints.\n"
    "Prints 'vigil: registry listening on URL' on stderr once it accepts requests.\n";

struct serve_opts {
    const char *addr;
    const char *root;
    const char *tls_cert;
    const char *tls_key;
    const char *config;
    const char *access_log;
    const char *htpasswd;
    bool db_update_set; /* --db-update-interval (wins over scan.db-update-interval) */
    uint64_t db_update_ms;
    struct vg_auth_config auth;              /* auth, access, immutable */
    uint64_t upload_expiry_ms;               /* 0: the registry's default */
    uint64_t catalog_scan_max;               /* 0: the registry's default */
    uint64_t max_uploads_per_user;           /* 0: the registry's default */
    struct vg_registry_supply supply;        /* scan, gates */
    struct vg_registry_notify_config notify; /* notifications */
    struct vg_registry *reg;                 /* SIGHUP reloads its notification endpoints */
};

/* The top-level keys of the server's YAML configuration (registry rescan checks them too). */
const char *const vg_cli_registry_keys[] = {"addr",
                                            "root",
                                            "tls",
                                            "access-log",
                                            "auth",
                                            "access",
                                            "immutable",
                                            "upload-expiry",
                                            "scan",
                                            "gates",
                                            "notifications",
                                            "catalog-scan-max",
                                            "max-uploads-per-user"};
const size_t vg_cli_registry_nkeys = VG_ARRAY_LEN(vg_cli_registry_keys);

static int
load_config(struct serve_opts *o, struct vg_config_doc **doc, struct vg_err **err)
{
    static const char *const tls[] = {"cert", "key"};
    if (vg_config_load_file(doc, o->config, NULL, err) < 0) {
        return -1;
    }
    if (vg_config_doc_count(*doc) != 1) {
        return vg_err_set(err, VG_E_PARSE, "%s: expected exactly one YAML document", o->config);
    }
    const struct vg_config_node *root = vg_config_doc_root(*doc, 0);
    const struct vg_config_node *t = NULL;
    const char *addr, *dir, *alog, *cert, *key;
    if (vg_config_check_keys(root, NULL, vg_cli_registry_keys, vg_cli_registry_nkeys, err) < 0 ||
        vg_config_get_str(root, "addr", NULL, &addr, err) < 0 ||
        vg_config_get_str(root, "root", NULL, &dir, err) < 0 ||
        vg_config_get_str(root, "access-log", NULL, &alog, err) < 0 ||
        vg_config_get_duration_ms(root, "upload-expiry", 0, 365ull * 24 * 3600 * 1000,
                                  &o->upload_expiry_ms, err) < 0 ||
        vg_config_get_u64(root, "catalog-scan-max", 0, 1000000000u, &o->catalog_scan_max, err) <
            0 ||
        vg_config_get_u64(root, "max-uploads-per-user", 0, 1000000u, &o->max_uploads_per_user,
                          err) < 0 ||
        vg_config_get_map(root, "tls", &t, err) < 0) {
        return -1;
    }
    if (o->max_uploads_per_user == 0 && vg_config_map_get(root, "max-uploads-per-user")) {
        return vg_err_set(err, VG_E_PARSE, "%s: max-uploads-per-user must be at least 1",
                          o->config);
    }
    cert = key = NULL;
    if (t && (vg_config_check_keys(t, "tls", tls, VG_ARRAY_LEN(tls), err) < 0 ||
              vg_config_get_str(t, "cert", NULL, &cert, err) < 0 ||
              vg_config_get_str(t, "key", NULL, &key, err) < 0)) {
        return -1;
    }
    if (vg_registry_supply_parse(&o->supply, vg_config_map_get(root, "scan"),
                                 vg_config_map_get(root, "gates"), err) < 0) {
        return -1;
    }
    if (vg_registry_notify_config_parse(&o->notify, vg_config_map_get(root, "notifications"), err) <
        0) {
        return -1;
    }
    if (vg_auth_config_parse(&o->auth, vg_config_map_get(root, "auth"),
                             vg_config_map_get(root, "access"),
                             vg_config_map_get(root, "immutable"), err) < 0) {
        return -1;
    }
    /* flags win */
    o->addr = o->addr ? o->addr : addr;
    o->root = o->root ? o->root : dir;
    o->access_log = o->access_log ? o->access_log : alog;
    o->tls_cert = o->tls_cert ? o->tls_cert : cert;
    o->tls_key = o->tls_key ? o->tls_key : key;
    return 0;
}

/* The immutable-tag rule asks the metadata store; the registry is created after the
 * authorizer, so the lookup goes through a pointer to it. */
static int
tag_exists(void *ud, const char *repo, const char *tag, struct vg_err **err)
{
    struct vg_registry *const *reg = ud;
    return *reg ? vg_registry_tag_exists(*reg, repo, tag, err) : 0;
}

static int
start_auth(struct serve_opts *o, const struct vg_httpd_config *hc, struct vg_registry_auth **auth,
           struct vg_registry_authz *az, struct vg_registry **reg, struct vg_err **err)
{
    if (!o->auth.service && vg_auth_config_parse(&o->auth, NULL, NULL, NULL, err) < 0) {
        return -1; /* no --config: the defaults */
    }
    if (o->htpasswd) {
        free(o->auth.htpasswd);
        o->auth.htpasswd = vg_strdup(o->htpasswd);
    }
    vg_autofree char *realm = vg_fmt("%s://%s/token", hc->tls_cert ? "https" : "http", hc->addr);
    struct vg_registry_auth_opts ao = {.root = o->root, .default_realm = realm};
    if (vg_registry_auth_new(auth, &o->auth, &ao, err) < 0) {
        return -1;
    }
    vg_registry_auth_authz(az, *auth, tag_exists, reg);
    return 0;
}

/* SIGHUP: reads the config file again and replaces the notification endpoints (the other
 * keys need a restart). A file that does not load keeps the endpoints in use. */
static void
reload_notifications(void *ud)
{
    struct serve_opts *o = ud;
    struct vg_err *err = NULL;
    struct vg_config_doc *doc = NULL;
    struct vg_registry_notify_config nc = {0};
    int rc = vg_config_load_file(&doc, o->config, NULL, &err);
    if (rc == 0 && vg_config_doc_count(doc) != 1) {
        rc = vg_err_set(&err, VG_E_PARSE, "%s: expected exactly one YAML document", o->config);
    }
    if (rc == 0) {
        const struct vg_config_node *root = vg_config_doc_root(doc, 0);
        rc = vg_config_check_keys(root, NULL, vg_cli_registry_keys, vg_cli_registry_nkeys, &err) <
                         0 ||
                     vg_registry_notify_config_parse(&nc, vg_config_map_get(root, "notifications"),
                                                     &err) < 0 ||
                     vg_registry_notify_reload(o->reg, &nc, &err) < 0
                 ? -1
                 : 0;
    }
    vg_config_doc_free(doc);
    vg_registry_notify_config_dispose(&nc); /* the registry keeps a copy */
    if (rc < 0) {
        vg_autofree char *m = vg_err_format(err);
        VG_EVENT(VG_LOG_ERROR, "registry",
                 "notifications not reloaded: keeping the endpoints in use", VG_KV_STR("error", m));
        vg_err_free(&err);
    }
}

static int
serve(struct serve_opts *o)
{
    struct vg_err *err = NULL;
    struct vg_config_doc *doc = NULL;
    if (o->config && load_config(o, &doc, &err) < 0) {
        vg_auth_config_dispose(&o->auth);
        vg_registry_supply_dispose(&o->supply);
        vg_registry_notify_config_dispose(&o->notify);
        vg_config_doc_free(doc);
        return vg_cli_fail(&err, "registry serve: config");
    }
    int rc = VG_EXIT_OK;
    if (!o->root) {
        rc = vg_cli_usage("registry serve", "--root DIR is required (or 'root:' in --config)");
    } else if (!o->tls_cert != !o->tls_key) {
        rc = vg_cli_usage("registry serve", "--tls-cert and --tls-key go together");
    } else if (o->db_update_set && !o->supply.scan_on_push) {
        rc =
            vg_cli_usage("registry serve",
                         "--db-update-interval needs scan-on-push (a 'scan:' section in --config)");
    } else if (o->db_update_set) {
        o->supply.db_update_ms = o->db_update_ms;
    }
    struct vg_registry *reg = NULL;
    struct vg_httpd *h = NULL;
    struct vg_httpd_config hc = {
        .addr = o->addr ? o->addr : "127.0.0.1:5000",
        .tls_cert = o->tls_cert,
        .tls_key = o->tls_key,
        .access_log = o->access_log,
        /* pushes: a layer body is read in ~64 KB pieces instead of ~31 KB, half the reads,
         * writes and wake-ups per byte (bench/registry/README.md "Push") */
        .conn_memory = 256u * 1024u,
        /* 1 MB blob GETs in one sendfile call where the pool sends 128 KiB at a time
         * (bench/registry/README.md) */
        .thread_per_connection = true,
    };
    struct vg_registry_auth *auth = NULL;
    struct vg_registry_authz az = {0};
    if (rc == VG_EXIT_OK && start_auth(o, &hc, &auth, &az, &reg, &err) < 0) {
        rc = vg_cli_fail(&err, "registry serve: auth");
    }
    struct vg_registry_opts ro = {.root = o->root,
                                  .authz = auth ? &az : NULL,
                                  .upload_expiry_ms = o->upload_expiry_ms,
                                  .catalog_scan_max = (unsigned)o->catalog_scan_max,
                                  .max_uploads_per_user = (unsigned)o->max_uploads_per_user,
                                  .supply = &o->supply,
                                  .notify = &o->notify};
    /* The threads the registry starts (scan workers, the DB monitor, notification delivery)
     * inherit this mask: SIGTERM/SIGINT/SIGHUP reach only vg_httpd_run's sigwait. Unblocked in
     * one of them, a SIGTERM that arrives while the main thread runs the SIGHUP hooks killed
     * the process instead of draining it. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if (rc == VG_EXIT_OK &&
        (vg_registry_new(&reg, &ro, &err) < 0 || !(h = vg_httpd_new(&hc, &err)) ||
         vg_registry_auth_mount(auth, h, &err) < 0 || vg_registry_mount(reg, h, &err) < 0 ||
         vg_httpd_start(h, &err) < 0)) {
        rc = vg_cli_fail(&err, "registry serve");
    }
    if (rc == VG_EXIT_OK) {
        o->reg = reg;
        if (o->config) {
            vg_httpd_on_hup(h, reload_notifications, o);
        }
        vg_httpd_set_ready(h, true);
        if (!vg_auth_config_enabled(vg_registry_auth_config(auth))) {
            fprintf(stderr, "vigil: warning: no authentication configured: the registry is open "
                            "to every client that can reach it\n");
        } else {
            fprintf(stderr, "vigil: registry authentication: %s\n", vg_registry_auth_mode(auth));
        }
        const char *colon = strrchr(hc.addr, ':');
        vg_autofree char *host =
            colon ? vg_strndup(hc.addr, (size_t)(colon - hc.addr)) : vg_strdup(hc.addr);
        fprintf(stderr, "vigil: registry listening on %s://%s:%u (root %s)\n",
                vg_httpd_is_tls(h) ? "https" : "http", host, vg_httpd_port(h), o->root);
        fflush(stderr);
        if (vg_httpd_run(h, 30, &err) < 0) {
            rc = vg_cli_fail(&err, "registry serve");
        }
    }
    vg_httpd_free(h);
    vg_registry_free(reg);
    if (az.free) {
        az.free(az.ud);
    }
    vg_registry_auth_free(auth);
    vg_auth_config_dispose(&o->auth);
    vg_registry_supply_dispose(&o->supply);
    vg_registry_notify_config_dispose(&o->notify);
    vg_config_doc_free(doc);
    return rc;
}

static int
cmd_registry_serve(int argc, char **argv)
{
    enum {
        OPT_ADDR = 1000,
        OPT_ROOT,
        OPT_CERT,
        OPT_KEY,
        OPT_CONFIG,
        OPT_ALOG,
        OPT_HTPASSWD,
        OPT_DBU,
        OPT_NREV,
        OPT_NREV_TIMEOUT,
    };
    static const struct option opts[] = {
        {"addr", required_argument, NULL, OPT_ADDR},
        {"root", required_argument, NULL, OPT_ROOT},
        {"tls-cert", required_argument, NULL, OPT_CERT},
        {"tls-key", required_argument, NULL, OPT_KEY},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"access-log", required_argument, NULL, OPT_ALOG},
        {"htpasswd", required_argument, NULL, OPT_HTPASSWD},
        {"db-update-interval", required_argument, NULL, OPT_DBU},
        {"notation-revocation", required_argument, NULL, OPT_NREV},
        {"notation-revocation-timeout", required_argument, NULL, OPT_NREV_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct serve_opts o = {0};
    struct vg_notation_revocation_config nrev = {0}; /* the gate's: memory cache only */
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ADDR:
            o.addr = optarg;
            break;
        case OPT_ROOT:
            o.root = optarg;
            break;
        case OPT_CERT:
            o.tls_cert = optarg;
            break;
        case OPT_KEY:
            o.tls_key = optarg;
            break;
        case OPT_CONFIG:
            o.config = optarg;
            break;
        case OPT_ALOG:
            o.access_log = optarg;
            break;
        case OPT_HTPASSWD:
            o.htpasswd = optarg;
            break;
        case OPT_DBU:
            if (vg_config_parse_duration_ms(vg_str_c(optarg), 366ull * 24 * 3600 * 1000,
                                            &o.db_update_ms) < 0 ||
                (o.db_update_ms && o.db_update_ms < 1000)) {
                return vg_cli_usage("registry serve",
                                    "--db-update-interval %s: a duration of at least 1s (e.g. "
                                    "12h), or 0s for none",
                                    optarg);
            }
            o.db_update_set = true;
            break;
        case OPT_NREV:
        case OPT_NREV_TIMEOUT:
            if ((rc = vg_cli_notation_revocation_opt("registry serve", c == OPT_NREV_TIMEOUT,
                                                     optarg, &nrev)) != 0) {
                return rc;
            }
            break;
        case 'h':
            fputs(serve_help, stdout);
            return VG_EXIT_OK;
        default:
            return vg_cli_usage("registry serve", "invalid option");
        }
    }
    if (optind < argc) {
        return vg_cli_usage("registry serve", "unexpected argument '%s'", argv[optind]);
    }
    vg_notation_revocation_configure(&nrev);
    return serve(&o);
}

static const char scans_help[] =
    "Usage: vigil registry scans --root DIR [--format table|json]\n"
    "\n"
    "List the scan-on-push results stored under DIR (safe while the server runs): manifest\n"
    "digest, the repository it was first pushed to, status (queued, done, failed) and times.\n"
    "A result itself is served at GET /vigil/v1/scans/<repository>@<digest>.\n";

static void
iso_time(char out[32], int64_t t)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t <= 0 || !gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, 32, "-");
    }
}

static int
cmd_registry_scans(int argc, char **argv)
{
    enum { OPT_ROOT = 1000, OPT_FORMAT };
    static const struct option opts[] = {
        {"root", required_argument, NULL, OPT_ROOT},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *root = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ROOT:
            root = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0) {
                return vg_cli_usage("registry scans", "--format: table or json");
            }
            json = strcmp(optarg, "json") == 0;
            break;
        case 'h':
            fputs(scans_help, stdout);
            return VG_EXIT_OK;
        default:
            return vg_cli_usage("registry scans", "invalid option");
        }
    }
    int urc = vg_cli_root_only("registry scans", argc, argv, root);
    if (urc != 0) {
        return urc;
    }
    struct vg_err *err = NULL;
    struct vg_registry_meta *meta = NULL;
    struct vg_registry_scan_rec *v = NULL;
    size_t n = 0;
    if (vg_registry_meta_open_root(&meta, root, &err) < 0 ||
        meta->ops->scan_list(meta, &v, &n, &err) < 0) {
        vg_registry_meta_free(meta);
        return vg_cli_fail(&err, "registry scans");
    }
    vg_registry_meta_free(meta);
    if (json) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(a, json_pack("{s:s?,s:s,s:s?,s:I,s:I}", "repository", v[i].repo,
                                               "digest", v[i].digest.text, "status", v[i].status,
                                               "queued", (json_int_t)v[i].queued, "scanned",
                                               (json_int_t)v[i].scanned));
        }
        char *text = vg_json_dump(a, true);
        json_decref(a);
        printf("%s\n", text);
        free(text);
    } else {
        printf("%-40s %-8s %-20s %s\n", "REPOSITORY@DIGEST", "STATUS", "QUEUED", "SCANNED");
        for (size_t i = 0; i < n; i++) {
            char q[32], sc[32];
            iso_time(q, v[i].queued);
            iso_time(sc, v[i].scanned);
            printf("%s@%s %-8s %-20s %s\n", v[i].repo ? v[i].repo : "-", v[i].digest.text,
                   v[i].status ? v[i].status : "-", q, sc);
        }
    }
    vg_registry_scan_recs_free(v, n);
    return VG_EXIT_OK;
}

static const char gc_help[] =
    "Usage: vigil registry gc --root DIR [--dry-run] [--grace DURATION]\n"
    "                         [--upload-expiry DURATION] [--config FILE]\n"
    "\n"
    "Remove blobs no manifest references (safe while the server runs). Every manifest is kept\n"
    "(tagged or not, index children, referrers, signatures), and with it its config, layers and\n"
    "children; a blob uploaded less than --grace ago (default 1h) is kept too, so a push in\n"
    "progress never loses its layers. Then sweep the upload area: upload files with no session\n"
    "(left by a crash) older than --grace (at least 60s), and sessions idle longer than\n"
    "--upload-expiry whose file was not written for as long. Prints each removed digest and\n"
    "upload, and a summary.\n"
    "\n"
    "Options:\n"
    "  --root DIR                storage root of vigil registry serve\n"
    "  --dry-run                 list what would be removed, remove nothing\n"
    "  --grace DURATION          keep blobs younger than this (e.g. 30m, 2h, 0s; default 1h)\n"
    "  --upload-expiry DURATION  sessions idle this long are abandoned (default: the config's\n"
    "                            upload-expiry, else 24h as the server)\n"
    "  --config FILE             the server's YAML configuration: root and upload-expiry are\n"
    "                            read from it (flags win)\n";

/* root and upload-expiry from the server's config file (every key is checked as serve does,
 * so a typo fails here too): *root (when NULL) becomes *root_owned, a copy; *expiry_ms is
 * replaced unless the flag gave it. */
static int
gc_config(const char *path, const char **root, char **root_owned, uint64_t *expiry_ms,
          bool expiry_flag, struct vg_err **err)
{
    struct vg_config_doc *doc = NULL;
    if (vg_config_load_file(&doc, path, NULL, err) < 0) {
        return -1;
    }
    const char *croot = NULL;
    uint64_t cexpiry = *expiry_ms;
    const struct vg_config_node *top =
        vg_config_doc_count(doc) == 1 ? vg_config_doc_root(doc, 0) : NULL;
    int rc =
        !top ? vg_err_set(err, VG_E_PARSE, "%s: expected exactly one YAML document", path)
        : vg_config_check_keys(top, NULL, vg_cli_registry_keys, vg_cli_registry_nkeys, err) < 0 ||
                vg_config_get_str(top, "root", NULL, &croot, err) < 0 ||
                vg_config_get_duration_ms(top, "upload-expiry", cexpiry, 365ull * 24 * 3600 * 1000,
                                          &cexpiry, err) < 0
            ? -1
            : 0;
    if (rc == 0 && !*root && croot) {
        *root = *root_owned = vg_strdup(croot);
    }
    if (rc == 0 && !expiry_flag) {
        *expiry_ms = cexpiry;
    }
    vg_config_doc_free(doc);
    return rc;
}

static int
cmd_registry_gc(int argc, char **argv)
{
    enum { OPT_ROOT = 1000, OPT_DRY, OPT_GRACE, OPT_EXPIRY, OPT_CONFIG };
    static const struct option opts[] = {
        {"root", required_argument, NULL, OPT_ROOT},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"dry-run", no_argument, NULL, OPT_DRY},
        {"grace", required_argument, NULL, OPT_GRACE},
        {"upload-expiry", required_argument, NULL, OPT_EXPIRY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *root = NULL;
    bool dry = false;
    uint64_t grace_ms = (uint64_t)VG_REGISTRY_GC_GRACE_DEFAULT * 1000u;
    uint64_t expiry_ms = (uint64_t)VG_REGISTRY_UPLOAD_EXPIRY_DEFAULT * 1000u;
    bool expiry_flag = false;
    const char *config = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ROOT:
            root = optarg;
            break;
        case OPT_DRY:
            dry = true;
            break;
        case OPT_GRACE:
            if (vg_config_parse_duration_ms(vg_str_c(optarg), UINT64_C(365) * 86400u * 1000u,
                                            &grace_ms) < 0) {
                return vg_cli_usage("registry gc", "--grace: a duration such as 30m or 2h");
            }
            break;
        case OPT_EXPIRY:
            if (vg_config_parse_duration_ms(vg_str_c(optarg), UINT64_C(365) * 86400u * 1000u,
                                            &expiry_ms) < 0) {
                return vg_cli_usage("registry gc",
                                    "--upload-expiry: a duration such as 24h or 30m");
            }
            expiry_flag = true;
            break;
        case OPT_CONFIG:
            config = optarg;
            break;
        case 'h':
            fputs(gc_help, stdout);
            return VG_EXIT_OK;
        default:
            return vg_cli_usage("registry gc", "invalid option");
        }
    }
    struct vg_err *err = NULL;
    vg_autofree char *config_root = NULL;
    if (config && gc_config(config, &root, &config_root, &expiry_ms, expiry_flag, &err) < 0) {
        return vg_cli_fail(&err, "registry gc: config");
    }
    int urc = vg_cli_root_only("registry gc", argc, argv, root);
    if (urc != 0) {
        return urc;
    }
    struct vg_registry_storage *st = NULL;
    struct vg_registry_meta *meta = NULL;
    struct vg_registry_gc_report rep = {0};
    struct vg_registry_gc_uploads_report urep = {0};
    int64_t now = vg_now_unix();
    struct vg_registry_gc_uploads_opts uo = {
        .now = now, .grace_s = grace_ms / 1000u, .expiry_s = expiry_ms / 1000u, .dry_run = dry};
    int rc = vg_registry_storage_fs_new(&st, root, &err) < 0 ||
                     vg_registry_meta_open_root(&meta, root, &err) < 0 ||
                     vg_registry_gc_run(st, meta, now, grace_ms / 1000u, dry, &rep, &err) < 0 ||
                     vg_registry_gc_uploads(st, meta, &uo, &urep, &err) < 0
                 ? -1
                 : 0;
    vg_registry_meta_free(meta);
    vg_registry_storage_free(st);
    if (rc < 0) {
        vg_registry_gc_report_dispose(&rep);
        return vg_cli_fail(&err, "registry gc");
    }
    for (size_t i = 0; i < rep.nremoved; i++) {
        printf("%s%s\n", dry ? "would remove " : "removed ", rep.removed[i].text);
    }
    printf("%s %zu blob(s), %llu bytes%s\n", dry ? "would remove" : "removed", rep.nremoved,
           (unsigned long long)rep.bytes,
           rep.kept_raced ? " (some kept: referenced by a manifest pushed meanwhile)" : "");
    for (size_t i = 0; i < urep.nremoved; i++) {
        printf("%supload %s (%s)\n", dry ? "would remove " : "removed ", urep.removed[i].id,
               urep.removed[i].orphan ? "no session" : "expired session");
    }
    printf("%s %zu upload(s), %llu bytes%s\n", dry ? "would remove" : "removed", urep.nremoved,
           (unsigned long long)urep.bytes,
           urep.kept_raced ? " (some kept: a request advanced them meanwhile)" : "");
    vg_registry_gc_uploads_report_dispose(&urep);
    vg_registry_gc_report_dispose(&rep);
    return VG_EXIT_OK;
}

int
cmd_registry(int argc, char **argv)
{
    if (argc < 2) {
        return vg_cli_usage("registry", "missing subcommand (serve)");
    }
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        fputs(registry_help, stdout);
        fputs("\nSubcommands:\n  serve    run the registry server\n"
              "  scans    list scan-on-push results\n"
              "  gc       remove unreferenced blobs\n"
              "  rescan   re-match stored scan results against the vulnerability DB\n",
              stdout);
        return VG_EXIT_OK;
    }
    if (strcmp(sub, "serve") == 0) {
        return cmd_registry_serve(argc - 1, argv + 1);
    }
    if (strcmp(sub, "scans") == 0) {
        return cmd_registry_scans(argc - 1, argv + 1);
    }
    if (strcmp(sub, "gc") == 0) {
        return cmd_registry_gc(argc - 1, argv + 1);
    }
    if (strcmp(sub, "rescan") == 0) {
        return cmd_registry_rescan(argc - 1, argv + 1);
    }
    return vg_cli_usage("registry", "unknown subcommand '%s' (serve)", sub);
}
