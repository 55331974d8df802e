/* SPDX-License-Identifier: Apache-2.0
 *
 * The notifier (notify.h): per endpoint, a bounded in-memory hand-off queue filled by request
 * and scan threads, a spool directory that keeps accepted events across restarts, and one
 * delivery thread that spools, POSTs oldest first through net/ and retries with back-off.
 * Which events an endpoint takes and what they look like is notify_event.c.
 */
#include "registry/notify.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "net/net.h"

#define NOTIFY_EVENT_MAX_BYTES (4u * 1024u * 1024u) /* one spooled event */
#define NOTIFY_FAST_RETRY_MS   100u                 /* before `threshold` failures in a row */
#define NOTIFY_RESP_MAX_BYTES  (64u * 1024u)        /* a receiver's answer is read and dropped */
#define NOTIFY_SPOOL_SUFFIX    ".json"

struct ep {
    const struct vg_registry_notify_endpoint *cfg; /* borrowed from the config */
    struct vg_registry_notifier *n;
    char *dir; /* spool directory */
    pthread_mutex_t mu;
    pthread_cond_t cv;              /* an event was queued, or stop */
    VG_VEC(char *) pending;         /* guarded by mu: accepted, not spooled yet */
    VG_VEC(uint64_t) spooled;       /* guarded by mu: spool sequence numbers, oldest first */
    uint64_t next_seq;              /* the delivery thread's (and new()'s) only */
    uint64_t sent, failed, dropped; /* guarded by mu */
    bool stop;                      /* guarded by mu */
    bool started;
    pthread_t th;
};

struct vg_registry_notifier {
    const struct vg_registry_notify_config *cfg;
    struct ep *eps; /* [cfg->n]; disabled endpoints have no dir and no thread */
    char instance_id[37];
    unsigned actions; /* union of the enabled endpoints' actions */
};

/* ---------------------------------------------------------------- ids and time */

static void
uuid4(char out[37])
{
    uint8_t b[16];
    vg_crypto_random(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    char hex[33];
    vg_hex_encode(hex, b, sizeof(b));
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static void
timestamp_ms(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (!gmtime_r(&ts.tv_sec, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(out, 32, "1970-01-01T00:00:00.000Z");
        return;
    }
    size_t len = strlen(out);
    snprintf(out + len, 32 - len, ".%03ldZ", ts.tv_nsec / 1000000L);
}

/* ---------------------------------------------------------------- spool */

static char *
spool_path(const struct ep *e, uint64_t seq)
{
    return vg_fmt("%s/%016" PRIx64 NOTIFY_SPOOL_SUFFIX, e->dir, seq);
}

/* The sequence number of a spool file name ("<16 hex>.json"), or false. */
static bool
spool_name(const char *name, uint64_t *seq)
{
    if (strlen(name) != 16 + strlen(NOTIFY_SPOOL_SUFFIX) ||
        strcmp(name + 16, NOTIFY_SPOOL_SUFFIX) != 0) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < 16; i++) {
        char c = name[i];
        unsigned d;
        if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = (unsigned)(c - 'a' + 10);
        } else {
            return false;
        }
        v = v << 4 | d;
    }
    *seq = v;
    return true;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Lists what a previous run spooled; removes temp files a crash left mid-write. */
static int
spool_load(struct ep *e, struct vg_err **err)
{
    if (vg_mkdir_p(e->dir, 0700, err) < 0) {
        return vg_err_wrap(err, "notifications spool");
    }
    DIR *d = opendir(e->dir);
    if (!d) {
        return vg_err_sys(err, VG_E_IO, "open notifications spool %s", e->dir);
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        uint64_t seq;
        if (spool_name(de->d_name, &seq)) {
            vg_vec_push(&e->spooled, seq);
            if (seq >= e->next_seq) {
                e->next_seq = seq + 1;
            }
        } else if (strstr(de->d_name, NOTIFY_SPOOL_SUFFIX ".tmp.")) {
            vg_autofree char *p = vg_fmt("%s/%s", e->dir, de->d_name);
            (void)unlink(p); /* a half-written event of a crashed run: never accepted */
        }
    }
    closedir(d);
    vg_qsort(e->spooled.v, e->spooled.n, sizeof(*e->spooled.v), cmp_u64);
    return 0;
}

/* Writes the events handed over (taken) to the spool; a write failure drops the event. */
static void
spool_write(struct ep *e, char **texts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t seq = e->next_seq++;
        vg_autofree char *path = spool_path(e, seq);
        struct vg_err *err = NULL;
        int rc = vg_file_write_atomic(path, texts[i], strlen(texts[i]), 0600, &err);
        pthread_mutex_lock(&e->mu);
        if (rc == 0) {
            vg_vec_push(&e->spooled, seq);
        } else {
            e->dropped++;
        }
        pthread_mutex_unlock(&e->mu);
        if (rc < 0) {
            vg_autofree char *m = vg_err_format(err);
            VG_EVENT(VG_LOG_ERROR, "registry", "notification dropped: spool write failed",
                     VG_KV_STR("endpoint", e->cfg->name), VG_KV_STR("error", m));
            vg_err_free(&err);
        }
        free(texts[i]);
    }
    free(texts);
}

/* ---------------------------------------------------------------- delivery */

static int
post(struct ep *e, const char *event, struct vg_err **err)
{
    const struct vg_registry_notify_endpoint *c = e->cfg;
    vg_autofree char *body = vg_fmt("{\"events\":[%s]}", event);
    size_t len = strlen(body);
    char sig[VG_REGISTRY_NOTIFY_SIG_LEN + 1];
    vg_autofree char *sigline = NULL;
    if (c->secret) {
        vg_registry_notify_signature(sig, c->secret, body, len);
        sigline = vg_fmt("%s: %s", VG_REGISTRY_NOTIFY_SIG_HEADER, sig);
    }
    const char **hdrs = vg_calloc(c->nheaders + 2, sizeof(*hdrs));
    size_t nh = 0;
    hdrs[nh++] = "Content-Type: " VG_REGISTRY_NOTIFY_MEDIA_TYPE;
    if (sigline) {
        hdrs[nh++] = sigline;
    }
    for (size_t i = 0; i < c->nheaders; i++) {
        hdrs[nh++] = c->headers[i];
    }
    long secs = (long)((c->timeout_ms + 999u) / 1000u);
    struct vg_http_client_opts co = {
        .ca_file = c->ca_file,
        .connect_timeout_s = secs,
        .stall_timeout_s = secs,
        .deadline_ns = vg_now_ns() + c->timeout_ms * 1000000u,
        .max_retries = -1,
        .user_agent = "vigil-registry-notifications",
    };
    struct vg_http_client *cl = NULL;
    struct vg_http_req rq = {
        .method = "POST",
        .url = c->url,
        .headers = hdrs,
        .nheaders = nh,
        .body = body,
        .body_len = len,
        .max_body = NOTIFY_RESP_MAX_BYTES,
        .no_redirect = true,
        .no_retry = true,
    };
    struct vg_http_resp resp = {0};
    int rc = vg_http_client_new(&cl, &co, err);
    if (rc == 0) {
        rc = vg_http_do(cl, &rq, &resp, err);
    }
    if (rc == 0 && (resp.status < 200 || resp.status > 299)) {
        vg_autofree char *u = vg_http_url_redact(c->url);
        rc = vg_err_set(err, VG_E_NET, "POST %s: HTTP %ld", u, resp.status);
    }
    vg_http_resp_dispose(&resp);
    vg_http_client_free(cl);
    free(hdrs);
    return rc;
}

static uint64_t
retry_delay_ms(const struct vg_registry_notify_endpoint *c, unsigned failures)
{
    if (failures < c->threshold) {
        return NOTIFY_FAST_RETRY_MS < c->backoff_ms ? NOTIFY_FAST_RETRY_MS : c->backoff_ms;
    }
    uint64_t d = c->backoff_ms;
    for (unsigned i = c->threshold; i < failures && d < c->max_backoff_ms; i++) {
        d *= 2;
    }
    return d < c->max_backoff_ms ? d : c->max_backoff_ms;
}

/* Delivers the oldest spooled event: 0 sent (removed from the spool), -1 failed (logged). */
static int
deliver_one(struct ep *e, unsigned failures)
{
    pthread_mutex_lock(&e->mu);
    uint64_t seq = e->spooled.v[0];
    pthread_mutex_unlock(&e->mu);
    vg_autofree char *path = spool_path(e, seq);
    struct vg_buf text = VG_BUF_INIT(NOTIFY_EVENT_MAX_BYTES);
    struct vg_err *err = NULL;
    int rc = vg_file_read(&text, path, NOTIFY_EVENT_MAX_BYTES, &err);
    bool unreadable = rc < 0;
    if (rc == 0) {
        rc = post(e, (const char *)text.data, &err);
    }
    vg_buf_dispose(&text);
    if (rc < 0) {
        vg_autofree char *m = vg_err_format(err);
        vg_autofree char *u = vg_http_url_redact(e->cfg->url);
        VG_EVENT(VG_LOG_WARN, "registry",
                 unreadable ? "notification dropped: spooled event unreadable"
                            : "notification delivery failed",
                 VG_KV_STR("endpoint", e->cfg->name), VG_KV_STR("url", u),
                 VG_KV_U64("failures", failures + 1u), VG_KV_STR("error", m));
        vg_err_free(&err);
    }
    if (rc == 0 || unreadable) {
        (void)unlink(path); /* sent, or an event that can never be sent: gone either way */
    }
    pthread_mutex_lock(&e->mu);
    if (rc == 0 || unreadable) {
        memmove(e->spooled.v, e->spooled.v + 1, (e->spooled.n - 1) * sizeof(*e->spooled.v));
        e->spooled.n--;
    }
    if (rc == 0) {
        e->sent++;
    } else if (unreadable) {
        e->dropped++;
    } else {
        e->failed++;
    }
    pthread_mutex_unlock(&e->mu);
    return rc == 0 || unreadable ? 0 : -1;
}

static void
deadline_ts(struct timespec *ts, uint64_t at_ns)
{
    ts->tv_sec = (time_t)(at_ns / 1000000000u);
    ts->tv_nsec = (long)(at_ns % 1000000000u);
}

static void *
run(void *arg)
{
    struct ep *e = arg;
    unsigned failures = 0;
    uint64_t retry_at = 0; /* vg_now_ns time before which no attempt is made */
    for (;;) {
        pthread_mutex_lock(&e->mu);
        while (!e->stop && e->pending.n == 0 && (e->spooled.n == 0 || vg_now_ns() < retry_at)) {
            if (e->spooled.n == 0) {
                pthread_cond_wait(&e->cv, &e->mu);
            } else {
                struct timespec ts;
                deadline_ts(&ts, retry_at);
                pthread_cond_timedwait(&e->cv, &e->mu, &ts);
            }
        }
        char **texts = e->pending.v;
        size_t ntexts = e->pending.n;
        e->pending.v = NULL;
        e->pending.n = e->pending.cap = 0;
        bool stop = e->stop;
        bool due = e->spooled.n + ntexts > 0 && vg_now_ns() >= retry_at;
        pthread_mutex_unlock(&e->mu);
        spool_write(e, texts, ntexts);
        if (stop) {
            break;
        }
        pthread_mutex_lock(&e->mu);
        due = due && e->spooled.n > 0;
        pthread_mutex_unlock(&e->mu);
        if (!due) {
            continue;
        }
        if (deliver_one(e, failures) == 0) {
            failures = 0;
            retry_at = 0;
        } else {
            failures++;
            retry_at = vg_now_ns() + retry_delay_ms(e->cfg, failures) * 1000000u;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- the notifier */

int
vg_registry_notifier_new(struct vg_registry_notifier **out,
                         const struct vg_registry_notify_config *cfg, const char *spool_dir,
                         struct vg_err **err)
{
    struct vg_registry_notifier *n = vg_calloc(1, sizeof(*n));
    n->cfg = cfg;
    n->eps = vg_calloc(cfg->n ? cfg->n : 1, sizeof(*n->eps));
    uuid4(n->instance_id);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    for (size_t i = 0; i < cfg->n; i++) {
        struct ep *e = &n->eps[i];
        e->cfg = &cfg->endpoints[i];
        e->n = n;
        pthread_mutex_init(&e->mu, NULL);
        pthread_cond_init(&e->cv, &ca);
        if (e->cfg->disabled) {
            continue;
        }
        n->actions |= e->cfg->actions & ~e->cfg->ignore_actions;
        e->dir = vg_fmt("%s/%s", spool_dir, e->cfg->name);
        if (spool_load(e, err) < 0) {
            pthread_condattr_destroy(&ca);
            vg_registry_notifier_free(n);
            return -1;
        }
        if (e->spooled.n) {
            VG_EVENT(VG_LOG_INFO, "registry", "notifications spooled by a previous run",
                     VG_KV_STR("endpoint", e->cfg->name), VG_KV_U64("events", e->spooled.n));
        }
    }
    pthread_condattr_destroy(&ca);
    *out = n;
    return 0;
}

int
vg_registry_notifier_start(struct vg_registry_notifier *n, struct vg_err **err)
{
    for (size_t i = 0; i < n->cfg->n; i++) {
        struct ep *e = &n->eps[i];
        if (e->cfg->disabled || e->started) {
            continue;
        }
        int rc = pthread_create(&e->th, NULL, run, e);
        if (rc != 0) {
            errno = rc;
            return vg_err_sys(err, VG_E_INTERNAL, "notifications: starting endpoint %s",
                              e->cfg->name);
        }
        e->started = true;
        vg_autofree char *u = vg_http_url_redact(e->cfg->url);
        VG_EVENT(VG_LOG_INFO, "registry", "notification endpoint configured",
                 VG_KV_STR("endpoint", e->cfg->name), VG_KV_STR("url", u),
                 VG_KV_U64("timeout_ms", e->cfg->timeout_ms));
    }
    return 0;
}

bool
vg_registry_notifier_wants(const struct vg_registry_notifier *n, unsigned action)
{
    return n && (n->actions & action);
}

void
vg_registry_notifier_emit(struct vg_registry_notifier *n, const struct vg_registry_notify_event *ev,
                          const char *source_addr)
{
    if (!vg_registry_notifier_wants(n, ev->action)) {
        return;
    }
    char id[37], ts[32];
    uuid4(id);
    timestamp_ms(ts);
    struct vg_registry_notify_stamp st = {id, ts, source_addr, n->instance_id};
    for (size_t i = 0; i < n->cfg->n; i++) {
        struct ep *e = &n->eps[i];
        json_t *doc = vg_registry_notify_event_json(e->cfg, ev, &st);
        if (!doc) {
            continue;
        }
        char *text = vg_json_dump(doc, false);
        json_decref(doc);
        pthread_mutex_lock(&e->mu);
        bool full = e->pending.n + e->spooled.n >= e->cfg->max_queued;
        if (full) {
            e->dropped++;
        } else {
            vg_vec_push(&e->pending, text);
            text = NULL;
            pthread_cond_signal(&e->cv);
        }
        pthread_mutex_unlock(&e->mu);
        if (full) {
            VG_EVENT(VG_LOG_WARN, "registry", "notification dropped: queue full",
                     VG_KV_STR("endpoint", e->cfg->name),
                     VG_KV_STR("action", vg_registry_notify_action_name(ev->action)),
                     VG_KV_STR("repo", ev->repo), VG_KV_U64("max_queued", e->cfg->max_queued));
            free(text);
        }
    }
}

void
vg_registry_notifier_stats(struct vg_registry_notifier *n, size_t i,
                           struct vg_registry_notify_stats *out)
{
    struct ep *e = &n->eps[i];
    pthread_mutex_lock(&e->mu);
    out->sent = e->sent;
    out->failed = e->failed;
    out->dropped = e->dropped;
    out->queued = e->pending.n + e->spooled.n;
    pthread_mutex_unlock(&e->mu);
}

void
vg_registry_notifier_metrics(struct vg_buf *out, void *ud)
{
    struct vg_registry_notifier *n = ud;
    static const char *const names[] = {
        "vigil_registry_notifications_sent_total", "vigil_registry_notifications_failed_total",
        "vigil_registry_notifications_dropped_total", "vigil_registry_notifications_queued"};
    static const char *const types[] = {"counter", "counter", "counter", "gauge"};
    for (size_t m = 0; m < VG_ARRAY_LEN(names); m++) {
        if (vg_buf_appendf(out, NULL, "# TYPE %s %s\n", names[m], types[m]) < 0) {
            return;
        }
        for (size_t i = 0; i < n->cfg->n; i++) {
            struct vg_registry_notify_stats st;
            vg_registry_notifier_stats(n, i, &st);
            const uint64_t v[] = {st.sent, st.failed, st.dropped, st.queued};
            if (vg_buf_appendf(out, NULL, "%s{endpoint=\"%s\"} %" PRIu64 "\n", names[m],
                               n->cfg->endpoints[i].name, v[m]) < 0) {
                return;
            }
        }
    }
}

void
vg_registry_notifier_stop(struct vg_registry_notifier *n)
{
    for (size_t i = 0; n && i < n->cfg->n; i++) {
        struct ep *e = &n->eps[i];
        if (!e->started) {
            continue;
        }
        pthread_mutex_lock(&e->mu);
        e->stop = true;
        pthread_cond_signal(&e->cv);
        pthread_mutex_unlock(&e->mu);
        pthread_join(e->th, NULL); /* it spools what is pending before it returns */
        pthread_mutex_lock(&e->mu);
        e->stop = false;
        pthread_mutex_unlock(&e->mu);
        e->started = false;
    }
}

void
vg_registry_notifier_adopt(struct vg_registry_notifier *n, struct vg_registry_notifier *old)
{
    for (size_t i = 0; n && old && i < old->cfg->n; i++) {
        struct ep *from = &old->eps[i];
        struct ep *to = NULL;
        for (size_t j = 0; j < n->cfg->n && !to; j++) {
            if (n->eps[j].dir && strcmp(n->cfg->endpoints[j].name, from->cfg->name) == 0) {
                to = &n->eps[j];
            }
        }
        if (!to) {
            continue; /* free(old) spools them where they were */
        }
        pthread_mutex_lock(&from->mu);
        char **texts = from->pending.v;
        size_t nt = from->pending.n;
        from->pending.v = NULL;
        from->pending.n = from->pending.cap = 0;
        uint64_t sent = from->sent, failed = from->failed, dropped = from->dropped;
        pthread_mutex_unlock(&from->mu);
        pthread_mutex_lock(&to->mu);
        /* the endpoint's counters go on across reloads (Prometheus counters never go down) */
        to->sent += sent;
        to->failed += failed;
        to->dropped += dropped;
        for (size_t k = 0; k < nt; k++) {
            if (to->pending.n + to->spooled.n >= to->cfg->max_queued) {
                to->dropped++;
                free(texts[k]);
            } else {
                vg_vec_push(&to->pending, texts[k]);
            }
        }
        pthread_cond_signal(&to->cv);
        pthread_mutex_unlock(&to->mu);
        free(texts);
    }
}

void
vg_registry_notifier_free(struct vg_registry_notifier *n)
{
    if (!n) {
        return;
    }
    vg_registry_notifier_stop(n);
    for (size_t i = 0; i < n->cfg->n; i++) {
        struct ep *e = &n->eps[i];
        if (e->dir && e->pending.n) {
            char **texts = e->pending.v;
            size_t nt = e->pending.n;
            e->pending.v = NULL;
            e->pending.n = e->pending.cap = 0;
            spool_write(e, texts, nt);
        }
        vg_strv_free(e->pending.v, e->pending.n);
        vg_vec_dispose(&e->spooled);
        free(e->dir);
        pthread_cond_destroy(&e->cv);
        pthread_mutex_destroy(&e->mu);
    }
    free(n->eps);
    free(n);
}
