/* SPDX-License-Identifier: Apache-2.0
 *
 * Where the registry raises notifications (notify.h): manifest push, pull and delete, a pull a
 * gate denied, a completed scan-on-push result and a rescan's new vulnerabilities. Each hook
 * gathers the event's facts (target, request, actor) and hands them to the notifier, which
 * never blocks the caller on I/O.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "registry/notify.h"
#include "registry/registry_int.h"

int
vg_registry_notify_new(struct vg_registry *reg, const struct vg_registry_notify_config *cfg,
                       const char *root, struct vg_err **err)
{
    reg->notify_spool = vg_fmt("%s/notifications", root);
    if (!cfg || cfg->n == 0) {
        return 0;
    }
    return vg_registry_notifier_new(&reg->notifier, cfg, reg->notify_spool, err);
}

static void
metrics(struct vg_buf *out, void *ud)
{
    struct vg_registry *reg = ud;
    pthread_rwlock_rdlock(&reg->notify_lock);
    if (reg->notifier) {
        vg_registry_notifier_metrics(out, reg->notifier);
    }
    pthread_rwlock_unlock(&reg->notify_lock);
}

int
vg_registry_notify_mount(struct vg_registry *reg, struct vg_httpd *h, struct vg_err **err)
{
    reg->httpd = h;
    vg_httpd_metrics_hook(h, metrics, reg);
    return reg->notifier ? vg_registry_notifier_start(reg->notifier, err) : 0;
}

int
vg_registry_notify_reload(struct vg_registry *reg, const struct vg_registry_notify_config *cfg,
                          struct vg_err **err)
{
    struct vg_registry_notify_reload st = {0};
    if (reg->notifier) { /* only reloads write reg->notifier: no lock needed to read it here */
        if (vg_registry_notifier_reconfigure(reg->notifier, cfg, &st, err) < 0) {
            return -1;
        }
    } else if (cfg && cfg->n) {
        struct vg_registry_notifier *n = NULL;
        if (vg_registry_notifier_new(&n, cfg, reg->notify_spool, err) < 0 ||
            vg_registry_notifier_start(n, err) < 0) {
            vg_registry_notifier_free(n);
            return vg_err_wrap(err, "notifications reload");
        }
        pthread_rwlock_wrlock(&reg->notify_lock);
        reg->notifier = n;
        pthread_rwlock_unlock(&reg->notify_lock);
        st.added = cfg->n;
    }
    VG_EVENT(VG_LOG_INFO, "registry", "notifications reloaded",
             VG_KV_U64("endpoints", cfg ? cfg->n : 0), VG_KV_U64("unchanged", st.unchanged),
             VG_KV_U64("changed", st.changed), VG_KV_U64("added", st.added),
             VG_KV_U64("removed", st.removed));
    return 0;
}

char *
vg_registry_notify_source_addr(unsigned port)
{
    char host[256];
    if (gethostname(host, sizeof(host)) != 0) {
        snprintf(host, sizeof(host), "localhost");
    }
    host[sizeof(host) - 1] = '\0';
    return vg_fmt("%s:%u", host, port);
}

/* "hostname:port" of this registry (Distribution's source.addr). */
static char *
source_addr(const struct vg_registry *reg)
{
    return vg_registry_notify_source_addr(reg->httpd ? vg_httpd_port(reg->httpd) : 0u);
}

static char *
manifest_url(const char *scheme, const char *host, const char *repo, const struct vg_digest *d)
{
    return vg_fmt("%s://%s/v2/%s/manifests/%s", scheme, host, repo, d->text);
}

void
vg_registry_notify_request(struct vg_httpd_req *r, struct rq *q, unsigned action,
                           const char *media_type, const struct vg_digest *d, uint64_t size,
                           const char *reason)
{
    struct vg_registry *reg = q->reg;
    pthread_rwlock_rdlock(&reg->notify_lock);
    if (!vg_registry_notifier_wants(reg->notifier, action)) {
        pthread_rwlock_unlock(&reg->notify_lock);
        return;
    }
    vg_autofree char *src = source_addr(reg);
    const char *host = vg_httpd_header(r, "Host");
    vg_autofree char *url = manifest_url(vg_httpd_req_tls(r) ? "https" : "http",
                                         host && *host ? host : src, q->route.name, d);
    const char *tag = q->ntags ? q->tags[0] : q->route.by_digest ? NULL : q->route.reference;
    struct vg_registry_notify_event ev = {
        .action = action,
        .repo = q->route.name,
        .tag = tag,
        .media_type = media_type,
        .digest = d,
        .size = size,
        .url = url,
        .req_id = vg_httpd_request_id(r),
        .req_addr = vg_httpd_remote(r),
        .req_host = host,
        .req_method = vg_httpd_method_name(r),
        .req_useragent = vg_httpd_header(r, "User-Agent"),
        .actor = q->user,
        .reason = reason,
    };
    vg_registry_notifier_emit(reg->notifier, &ev, src);
    pthread_rwlock_unlock(&reg->notify_lock);
}

static bool
wants(struct vg_registry *reg, unsigned action)
{
    pthread_rwlock_rdlock(&reg->notify_lock);
    bool w = vg_registry_notifier_wants(reg->notifier, action);
    pthread_rwlock_unlock(&reg->notify_lock);
    return w;
}

void
vg_registry_notify_scan_event(struct vg_registry_notifier *n, struct vg_registry_meta *meta,
                              unsigned action, const char *scheme, const char *src,
                              const char *repo, const struct vg_digest *d,
                              const struct vg_registry_gate_finding *f, size_t nf)
{
    if (!vg_registry_notifier_wants(n, action)) {
        return;
    }
    struct vg_registry_manifest_rec rec = {0};
    struct vg_err *err = NULL;
    if (meta->ops->manifest_get(meta, repo, d, &rec, &err) < 0) {
        vg_err_free(&err); /* deleted meanwhile: the event still names the digest */
    }
    vg_autofree char *url = manifest_url(scheme, src, repo, d);
    struct vg_registry_notify_event ev = {
        .action = action,
        .repo = repo,
        .media_type = rec.media_type,
        .digest = d,
        .size = rec.size,
        .url = url,
        .findings = f,
        .nfindings = nf,
    };
    vg_registry_notifier_emit(n, &ev, src);
    vg_registry_manifest_rec_dispose(&rec);
}

/* Scan events carry the manifest's media type and size from the metadata store. */
static void
emit_scan(struct vg_registry *reg, unsigned action, const char *repo, const struct vg_digest *d,
          const struct vg_registry_gate_finding *f, size_t n)
{
    vg_autofree char *src = source_addr(reg);
    const char *scheme = reg->httpd && vg_httpd_is_tls(reg->httpd) ? "https" : "http";
    pthread_rwlock_rdlock(&reg->notify_lock);
    vg_registry_notify_scan_event(reg->notifier, reg->meta, action, scheme, src, repo, d, f, n);
    pthread_rwlock_unlock(&reg->notify_lock);
}

void
vg_registry_notify_scanned(void *ud, const char *repo, const struct vg_digest *d,
                           const char *report)
{
    struct vg_registry *reg = ud;
    if (!report || !wants(reg, VG_NOTIFY_SCAN)) {
        return;
    }
    struct vg_registry_gate_finding *f = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    if (vg_registry_gate_findings_parse(&f, &n, report, strlen(report), &err) < 0) {
        vg_autofree char *m = vg_err_format(err);
        VG_EVENT(VG_LOG_WARN, "registry", "scan notification skipped", VG_KV_STR("repo", repo),
                 VG_KV_STR("digest", d->text), VG_KV_STR("error", m));
        vg_err_free(&err);
        return;
    }
    emit_scan(reg, VG_NOTIFY_SCAN, repo, d, f, n);
    vg_registry_gate_findings_free(f, n);
}

void
vg_registry_notify_new_vulns(void *ud, const char *repo, const struct vg_digest *d,
                             const struct vg_registry_gate_finding *fresh, size_t n)
{
    struct vg_registry *reg = ud;
    if (wants(reg, VG_NOTIFY_RESCAN)) {
        emit_scan(reg, VG_NOTIFY_RESCAN, repo ? repo : "", d, fresh, n);
    }
}
