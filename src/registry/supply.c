/* SPDX-License-Identifier: Apache-2.0
 *
 * The registry's supply-chain features on the request path: the scan:/gates: configuration
 * (supply.h), queueing pushed image manifests for scanning, the pull gate on manifest
 * GET/HEAD, and GET /vigil/v1/scans/<repo>@<digest>.
 */
#include "registry/supply.h"

#include <string.h>

#include "registry/notify.h"
#include "registry/registry_int.h"
#include "registry/scanq.h"
#include "registry/sigcheck_int.h"

/* ---------------------------------------------------------------- configuration */

static int
str_list(const struct vg_config_node *n, const char *what, char ***out, size_t *nout,
         struct vg_err **err)
{
    if (vg_config_node_type(n) != VG_CONFIG_SEQ) {
        return vg_config_err(err, n, VG_E_PARSE, "'%s' must be a list of strings", what);
    }
    for (size_t i = 0; i < vg_config_node_len(n); i++) {
        const struct vg_config_node *e = vg_config_seq_at(n, i);
        size_t len;
        const char *s =
            vg_config_node_type(e) == VG_CONFIG_SCALAR ? vg_config_node_scalar(e, &len) : NULL;
        if (!s || !*s) {
            return vg_config_err(err, e, VG_E_PARSE, "'%s' must be a list of strings", what);
        }
        vg_strv_push(out, nout, s);
    }
    return 0;
}

static int
gate_parse(struct vg_registry_gate *g, struct vg_registry_sigpolicy *sp,
           const struct vg_config_node *n, struct vg_err **err)
{
    static const char *const keys[] = {"repos", "require-signature", "max-severity", "fixed-only",
                                       "require-scan"};
    const struct vg_config_node *repos = NULL;
    const char *sev = NULL;
    if (vg_config_check_keys(n, "gates[]", keys, VG_ARRAY_LEN(keys), err) < 0 ||
        vg_config_get_seq(n, "repos", &repos, err) < 0 ||
        vg_config_get_str(n, "max-severity", NULL, &sev, err) < 0 ||
        vg_config_get_bool(n, "fixed-only", false, &g->fixed_only, err) < 0 ||
        vg_config_get_bool(n, "require-scan", false, &g->require_scan, err) < 0) {
        return -1;
    }
    if (!repos || vg_config_node_len(repos) == 0) {
        return vg_config_err(err, n, VG_E_PARSE, "gate without 'repos'");
    }
    if (str_list(repos, "repos", &g->repos, &g->nrepos, err) < 0) {
        return -1;
    }
    const struct vg_config_node *sig = vg_config_map_get(n, "require-signature");
    if (sig && !vg_config_node_is_null(sig) && vg_registry_gate_sig_parse(g, sp, sig, err) < 0) {
        return -1;
    }
    if (sev) {
        if (vg_registry_gate_severity_parse(&g->max_severity, sev, err) < 0) {
            return vg_err_wrap(err, "%s", vg_config_node_file(n));
        }
    }
    if (g->max_severity == VG_SEV_UNKNOWN && !g->require_scan && !g->require_signature) {
        return vg_config_err(err, n, VG_E_PARSE,
                             "gate enforces nothing (set require-signature, max-severity or "
                             "require-scan)");
    }
    return 0;
}

int
vg_registry_supply_parse(struct vg_registry_supply *out, const struct vg_config_node *scan,
                         const struct vg_config_node *gates, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    static const char *const skeys[] = {
        "db", "on-push", "workers", "db-check-interval", "db-update-interval", "db-mirror"};
    if (scan && !vg_config_node_is_null(scan)) {
        const char *db = NULL, *mirror = NULL;
        uint64_t workers = 0;
        if (vg_config_check_keys(scan, "scan", skeys, VG_ARRAY_LEN(skeys), err) < 0 ||
            vg_config_get_str(scan, "db", NULL, &db, err) < 0 ||
            vg_config_get_bool(scan, "on-push", true, &out->scan_on_push, err) < 0 ||
            vg_config_get_u64(scan, "workers", 1, 64, &workers, err) < 0 ||
            vg_config_get_duration_ms(scan, "db-check-interval", 60000u,
                                      366ull * 24u * 3600u * 1000u, &out->db_check_ms, err) < 0 ||
            vg_config_get_duration_ms(scan, "db-update-interval", 0, 366ull * 24u * 3600u * 1000u,
                                      &out->db_update_ms, err) < 0 ||
            vg_config_get_str(scan, "db-mirror", NULL, &mirror, err) < 0) {
            return -1;
        }
        if (out->db_update_ms && out->db_update_ms < 1000u) {
            return vg_config_err(err, vg_config_map_get(scan, "db-update-interval"), VG_E_PARSE,
                                 "scan.db-update-interval must be at least 1s (or 0s: off)");
        }
        out->scan_db = vg_strdup(db);
        out->db_mirror = vg_strdup(mirror);
        out->scan_workers = (unsigned)workers;
    }
    if (gates && !vg_config_node_is_null(gates)) {
        if (vg_config_node_type(gates) != VG_CONFIG_SEQ) {
            return vg_config_err(err, gates, VG_E_PARSE, "'gates' must be a list");
        }
        size_t n = vg_config_node_len(gates);
        out->gates = vg_calloc(n ? n : 1, sizeof(*out->gates));
        out->sigpolicies = vg_calloc(n ? n : 1, sizeof(*out->sigpolicies));
        for (size_t i = 0; i < n; i++) {
            out->ngates++;
            if (gate_parse(&out->gates[i], &out->sigpolicies[i], vg_config_seq_at(gates, i), err) <
                0) {
                vg_registry_supply_dispose(out);
                return -1;
            }
        }
    }
    return 0;
}

void
vg_registry_supply_dispose(struct vg_registry_supply *s)
{
    free(s->scan_db);
    free(s->db_mirror);
    for (size_t i = 0; s->sigpolicies && i < s->ngates; i++) {
        vg_registry_sigpolicy_dispose(&s->sigpolicies[i]);
    }
    free(s->sigpolicies);
    vg_registry_gates_free(s->gates, s->ngates);
    memset(s, 0, sizeof(*s));
}

/* ---------------------------------------------------------------- lifecycle */

int
vg_registry_supply_new(struct vg_registry *reg, const struct vg_registry_supply *s,
                       struct vg_err **err)
{
    reg->supply = s;
    for (size_t i = 0; s && i < s->ngates && !reg->sigcache; i++) {
        if (s->gates[i].require_signature) {
            reg->sigcache = vg_registry_sigcache_new();
        }
    }
    if (!s || !s->scan_on_push) {
        return 0;
    }
    struct vg_registry_scanq_opts o = {
        .storage = reg->storage,
        .meta = reg->meta,
        .db_path = s->scan_db,
        .scanners = s->scanners,
        .workers = s->scan_workers,
        .monitor = true,
        .rescan_interval_ms = s->db_check_ms,
        .update_interval_ms = s->db_update_ms,
        .update_mirror = s->db_mirror,
        .scanned = vg_registry_notify_scanned, /* no-ops while no endpoint is configured */
        .new_vulns = vg_registry_notify_new_vulns,
        .hooks_ud = reg,
    };
    return vg_registry_scanq_new(&reg->scanq, &o, err);
}

void
vg_registry_supply_free(struct vg_registry *reg)
{
    vg_registry_scanq_free(reg->scanq);
    reg->scanq = NULL;
    vg_registry_sigcache_free(reg->sigcache);
    reg->sigcache = NULL;
}

/* ---------------------------------------------------------------- push */

static bool
image_config_type(const char *t)
{
    return t && (strcmp(t, "application/vnd.oci.image.config.v1+json") == 0 ||
                 strcmp(t, "application/vnd.docker.container.image.v1+json") == 0);
}

static void
queue_one(struct vg_registry *reg, const char *repo, const struct vg_digest *d)
{
    struct vg_err *err = NULL;
    if (vg_registry_scanq_push(reg->scanq, repo, d, &err) < 0) {
        vg_autofree char *m = vg_err_format(err);
        VG_EVENT(VG_LOG_WARN, "registry", "scan not queued", VG_KV_STR("repo", repo),
                 VG_KV_STR("digest", d->text), VG_KV_STR("error", m));
        vg_err_free(&err);
    }
}

void
vg_registry_supply_pushed(struct rq *q, const struct vg_registry_manifest_info *mi,
                          const struct vg_digest *d)
{
    struct vg_registry *reg = q->reg;
    vg_registry_sigcache_pushed(reg->sigcache, mi->has_subject, &mi->subject, q->tags, q->ntags);
    if (!reg->scanq || mi->has_subject) {
        return;
    }
    if (mi->kind == VG_REGISTRY_MANIFEST_IMAGE) {
        if (image_config_type(mi->artifact_type) &&
            !vg_registry_gate_is_artifact(q->ntags ? q->tags[0] : NULL, false, mi->artifact_type,
                                          NULL, 0)) {
            queue_one(reg, q->route.name, d);
        }
        return;
    }
    /* an index: each image child (children were pushed first; the spec requires them) */
    for (size_t i = 0; i < mi->nrefs; i++) {
        if (!mi->refs[i].is_manifest) {
            continue;
        }
        struct vg_registry_manifest_rec rec = {0};
        struct vg_err *err = NULL;
        if (reg->meta->ops->manifest_get(reg->meta, q->route.name, &mi->refs[i].digest, &rec,
                                         &err) < 0) {
            vg_err_free(&err);
            continue;
        }
        if (!rec.has_subject && image_config_type(rec.artifact_type)) {
            queue_one(reg, q->route.name, &mi->refs[i].digest);
        }
        vg_registry_manifest_rec_dispose(&rec);
    }
}

void
vg_registry_supply_deleted(struct rq *q)
{
    /* the deleted manifest may have been a signature of any image: forget every verdict */
    vg_registry_sigcache_invalidate(q->reg->sigcache, NULL);
}

/* ---------------------------------------------------------------- pull gate */

/* The require-signature verdict of every applicable gate that has one ([ngates], owned). */
static int
gate_signatures(struct rq *q, const struct vg_digest *d, uint64_t size,
                struct vg_registry_gate_sigfact **out, struct vg_err **err)
{
    struct vg_registry *reg = q->reg;
    const struct vg_registry_supply *s = reg->supply;
    struct vg_registry_sigcheck sc = {reg->storage, reg->meta, reg->sigcache,
                                      q->route.by_digest ? NULL : q->route.reference, size};
    struct vg_registry_gate_sigfact *v = vg_calloc(s->ngates, sizeof(*v));
    for (size_t i = 0; i < s->ngates; i++) {
        const struct vg_registry_gate *g = &s->gates[i];
        if (!g->require_signature || !vg_registry_gate_applies(g, q->route.name)) {
            continue;
        }
        char *detail = NULL;
        if (vg_registry_sigcheck_run(&sc, &s->sigpolicies[i], i, q->route.name, d, &v[i].sig,
                                     &detail, err) < 0) {
            for (size_t j = 0; j < i; j++) {
                free((char *)(uintptr_t)v[j].detail);
            }
            free(v);
            return -1;
        }
        v[i].detail = detail;
    }
    *out = v;
    return 0;
}

static void
sigfacts_free(struct vg_registry_gate_sigfact *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free((char *)(uintptr_t)v[i].detail);
    }
    free(v);
}

static enum vg_registry_gate_scan
scan_state(const char *status)
{
    if (!status) {
        return VG_GATE_SCAN_NONE;
    }
    if (strcmp(status, "done") == 0) {
        return VG_GATE_SCAN_DONE;
    }
    if (strcmp(status, "queued") == 0) {
        return VG_GATE_SCAN_QUEUED;
    }
    return VG_GATE_SCAN_FAILED;
}

int
vg_registry_supply_gate(struct vg_httpd_req *r, struct rq *q, const struct vg_digest *d,
                        const struct vg_registry_manifest_rec *rec, bool *denied)
{
    struct vg_registry *reg = q->reg;
    *denied = false;
    if (!reg->supply || reg->supply->ngates == 0) {
        return 0;
    }
    /* an index is not gated itself: each child is, when the client fetches it */
    if (rec->media_type && (strcmp(rec->media_type, VG_MT_OCI_INDEX) == 0 ||
                            strcmp(rec->media_type, VG_MT_DOCKER_LIST) == 0)) {
        return 0;
    }
    const struct vg_registry_gate *gates = reg->supply->gates;
    size_t ngates = reg->supply->ngates;
    bool need_sig, need_scan;
    const char **keys = NULL;
    size_t nkeys = 0;
    vg_registry_gates_needs(gates, ngates, q->route.name, &need_sig, &need_scan, &keys, &nkeys);
    free(keys);
    bool publisher = false;
    if ((need_sig || need_scan) &&
        (vg_registry_authorize_push_quiet(r, q, q->route.name, &publisher) < 0 || publisher)) {
        return 0; /* who may push may replace the content anyway; signing reads the manifest */
    }
    struct vg_registry_gate_facts f = {
        .repo = q->route.name,
        .is_artifact = !image_config_type(rec->artifact_type) ||
                       vg_registry_gate_is_artifact(q->route.by_digest ? NULL : q->route.reference,
                                                    rec->has_subject, rec->artifact_type, NULL, 0),
        .sig = need_sig ? VG_GATE_SIG_NONE : VG_GATE_SIG_UNCHECKED,
    };
    struct vg_registry_scan_rec sr = {0};
    struct vg_registry_gate_finding *findings = NULL;
    size_t nfindings = 0;
    struct vg_err *err = NULL;
    struct vg_registry_gate_sigfact *sigs = NULL;
    if (need_sig && !f.is_artifact) {
        if (gate_signatures(q, d, rec->size, &sigs, &err) < 0) {
            *denied = true; /* answered */
            return vg_registry_error_from(r, &err, VG_OCI_DIST_MANIFEST_UNKNOWN,
                                          "signature verification");
        }
        f.sigs = sigs;
    }
    if (need_scan && !f.is_artifact) {
        if (reg->meta->ops->scan_get(reg->meta, d, &sr, &err) < 0) {
            if (vg_err_code(err) != VG_E_NOTFOUND) {
                sigfacts_free(sigs, ngates);
                *denied = true; /* answered */
                return vg_registry_error_from(r, &err, VG_OCI_DIST_MANIFEST_UNKNOWN, "scan lookup");
            }
            vg_err_free(&err);
        }
        f.scan = scan_state(sr.status);
        if (f.scan == VG_GATE_SCAN_DONE && sr.report &&
            vg_registry_gate_findings_parse(&findings, &nfindings, sr.report, strlen(sr.report),
                                            &err) < 0) {
            vg_registry_scan_rec_dispose(&sr);
            sigfacts_free(sigs, ngates);
            *denied = true; /* answered */
            return vg_registry_error_from(r, &err, VG_OCI_DIST_MANIFEST_UNKNOWN,
                                          "stored scan result");
        }
        f.findings = findings;
        f.nfindings = nfindings;
    }
    struct vg_registry_gate_decision dec;
    vg_registry_gates_eval(gates, ngates, &f, &dec);
    int rc = 0;
    if (dec.deny) {
        *denied = true;
        VG_EVENT(VG_LOG_WARN, "registry", "pull denied by gate", VG_KV_STR("repo", q->route.name),
                 VG_KV_STR("digest", d->text), VG_KV_STR("reason", dec.reason));
        vg_registry_notify_request(r, q, VG_NOTIFY_DENY, rec->media_type, d, rec->size, dec.reason);
        rc = vg_registry_error(r, VG_OCI_DIST_DENIED, 403, dec.reason);
    }
    vg_registry_gate_decision_dispose(&dec);
    vg_registry_gate_findings_free(findings, nfindings);
    vg_registry_scan_rec_dispose(&sr);
    sigfacts_free(sigs, ngates);
    return rc;
}

/* ---------------------------------------------------------------- GET /vigil/v1/scans/ */

#define SCANS_PREFIX "/vigil/v1/scans/"

static int
scan_not_ready(struct vg_httpd_req *r, const char *status, const char *message)
{
    json_t *doc = json_pack("{s:[{s:s,s:s}],s:s}", "errors", "code", "SCAN_UNKNOWN", "message",
                            message, "status", status);
    struct vg_err *err = NULL;
    int rc = vg_httpd_respond_json(r, 404, doc, &err);
    json_decref(doc);
    if (rc < 0) {
        vg_err_free(&err);
    }
    return rc;
}

static int
scans_begin(struct vg_httpd_req *r, void *ud)
{
    struct rq *q = vg_httpd_alloc(r, sizeof(*q));
    memset(q, 0, sizeof(*q));
    q->reg = ud;
    vg_httpd_set_ctx(r, q);
    const char *path = vg_httpd_path(r);
    const char *spec = vg_cstr_startswith(path, SCANS_PREFIX) ? path + strlen(SCANS_PREFIX) : "";
    const char *at = strrchr(spec, '@');
    struct vg_digest d;
    if (!at || at == spec || vg_digest_parse(&d, at + 1, NULL) < 0) {
        return vg_registry_error(r, VG_OCI_DIST_NAME_INVALID, 400,
                                 "expected /vigil/v1/scans/<repository>@<digest>");
    }
    vg_autofree char *repo = vg_strndup(spec, (size_t)(at - spec));
    if (!vg_oci_dist_name_valid(vg_str_c(repo))) {
        return vg_registry_error(r, VG_OCI_DIST_NAME_INVALID, 400, NULL);
    }
    bool allowed = false;
    if (vg_registry_authorize_pull(r, q, repo, &allowed) < 0 || !allowed) {
        return vg_httpd_responded(r)
                   ? 0
                   : vg_registry_error(r, VG_OCI_DIST_DENIED, 403,
                                       "pull access to the repository is required");
    }
    struct vg_registry *reg = q->reg;
    struct vg_registry_manifest_rec mrec = {0};
    struct vg_err *err = NULL;
    if (reg->meta->ops->manifest_get(reg->meta, repo, &d, &mrec, &err) < 0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_MANIFEST_UNKNOWN,
                                      "manifest lookup failed");
    }
    vg_registry_manifest_rec_dispose(&mrec);
    struct vg_registry_scan_rec sr = {0};
    if (reg->meta->ops->scan_get(reg->meta, &d, &sr, &err) < 0) {
        if (vg_err_code(err) != VG_E_NOTFOUND) {
            return vg_registry_error_from(r, &err, VG_OCI_DIST_MANIFEST_UNKNOWN,
                                          "scan lookup failed");
        }
        vg_err_free(&err);
        return scan_not_ready(r, "unknown", "no scan of this manifest");
    }
    int rc;
    if (strcmp(sr.status, "done") == 0 && sr.report) {
        rc = vg_httpd_respond(r, 200, "application/json", sr.report, strlen(sr.report), &err);
        if (rc < 0) {
            vg_err_free(&err);
        }
    } else if (strcmp(sr.status, "queued") == 0) {
        rc = scan_not_ready(r, "queued", "scan not finished yet");
    } else {
        json_t *doc = NULL;
        const char *why = NULL;
        if (sr.report &&
            vg_json_parse(&doc, sr.report, strlen(sr.report), 1u << 20, "scan", NULL) == 0) {
            why = vg_json_str(doc, "error");
        }
        vg_autofree char *msg = vg_fmt("scan failed: %s", why ? why : "unknown reason");
        json_decref(doc);
        rc = scan_not_ready(r, "failed", msg);
    }
    vg_registry_scan_rec_dispose(&sr);
    return rc;
}

/* SIGHUP: check the vulnerability DB now (a new one re-matches the stored results). */
static void
on_hup(void *ud)
{
    struct vg_registry *reg = ud;
    vg_registry_scanq_kick(reg->scanq);
}

int
vg_registry_supply_mount(struct vg_registry *reg, struct vg_httpd *h, struct vg_err **err)
{
    if (!reg->supply) {
        return 0;
    }
    if (reg->scanq && vg_registry_scanq_start(reg->scanq, err) < 0) {
        return -1;
    }
    if (reg->scanq) {
        vg_httpd_on_hup(h, on_hup, reg);
    }
    const struct vg_httpd_handler hd = {
        .name = "scans",
        .prefix = SCANS_PREFIX,
        .methods = VG_HTTP_GET | VG_HTTP_HEAD,
        .begin = scans_begin,
        .ud = reg,
    };
    return vg_httpd_route(h, &hd, err);
}
