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
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "net/net.h"

#define NOTIFY_FAST_RETRY_MS  100u          /* before `threshold` failures in a row */
#define NOTIFY_RESP_MAX_BYTES (64u * 1024u) /* a receiver's answer is read and dropped */
#define NOTIFY_INBOX_POLL_MS  1000u         /* how often the inbox is looked at */
#define NOTIFY_SPOOL_SUFFIX   ".json"
#define NOTIFY_INBOX          "inbox"
#define NOTIFY_QUARANTINE     "quarantine"

/* An endpoint's settings: a copy the notifier owns, swapped by a reload while the delivery
 * thread may be using the previous one (it holds a reference for each attempt). */
struct ecfg {
    struct vg_registry_notify_endpoint c;
    unsigned refs; /* guarded by the endpoint's mu */
};

struct ep {
    struct ecfg *cfg; /* guarded by mu; emitters read it under the notifier's lock */
    uint64_t gen;     /* guarded by mu: bumped when cfg is replaced */
    char *name;       /* the endpoint's name: never changes (a rename is another endpoint) */
    char *dir;        /* spool directory; NULL for a disabled endpoint */
    char *inbox;      /* dir/inbox: events other processes (vigil registry rescan) hand over */
    bool producer;    /* writes to the inbox only, never delivers (registry rescan's notifier) */
    pthread_mutex_t mu;
    pthread_cond_t cv;              /* an event was queued, the settings changed, or stop */
    VG_VEC(char *) pending;         /* guarded by mu: accepted, not spooled yet */
    VG_VEC(uint64_t) spooled;       /* guarded by mu: spool sequence numbers, oldest first */
    size_t writing;                 /* guarded by mu: taken from pending, being spooled */
    uint64_t next_seq;              /* the delivery thread's (and new()'s) only */
    uint64_t sent, failed, dropped; /* guarded by mu */
    bool stop;                      /* guarded by mu */
    bool started;
    bool inbox_warned; /* the delivery thread's: the inbox's unreadability was logged */
    pthread_t th;
};

struct vg_registry_notifier {
    pthread_rwlock_t lock; /* guards eps, neps, actions and each ep's cfg pointer: emitters
                            * read, a reconfiguration writes */
    struct ep **eps;       /* [neps], in configuration order */
    size_t neps;
    char *spool_dir;
    bool producer, started;
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

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Bounds quarantine/ with the endpoint's current settings (after a batch of moves into it). */
static void
quarantine_trim(struct ep *e)
{
    pthread_mutex_lock(&e->mu);
    size_t files = e->cfg->c.quarantine_max_files;
    uint64_t bytes = e->cfg->c.quarantine_max_bytes;
    pthread_mutex_unlock(&e->mu);
    vg_registry_notify_quarantine_trim(e->dir, e->name, files, bytes);
}

/* Creates the spool and inbox directories; unless a producer, lists what a previous run
 * spooled and removes temp files a crash left mid-write. */
static int
spool_load(struct ep *e, struct vg_err **err)
{
    if (vg_mkdir_p(e->inbox, 0700, err) < 0) {
        return vg_err_wrap(err, "notifications spool");
    }
    if (e->producer) {
        return 0;
    }
    DIR *d = opendir(e->dir);
    if (!d) {
        return vg_err_sys(err, VG_E_IO, "open notifications spool %s", e->dir);
    }
    struct dirent *de;
    char **bad = NULL;
    size_t nbad = 0;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        uint64_t seq;
        if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0 || strcmp(nm, NOTIFY_INBOX) == 0 ||
            strcmp(nm, NOTIFY_QUARANTINE) == 0) {
            continue;
        }
        if (vg_registry_notify_spool_name(nm, &seq)) {
            vg_vec_push(&e->spooled, seq);
            if (seq >= e->next_seq) {
                e->next_seq = seq + 1;
            }
        } else if (vg_registry_notify_temp_name(nm)) {
            vg_autofree char *p = vg_fmt("%s/%s", e->dir, nm);
            (void)unlink(p); /* a half-written event of a crashed run: never accepted */
        } else {
            vg_strv_push(&bad, &nbad, nm);
        }
    }
    closedir(d);
    for (size_t i = 0; i < nbad; i++) {
        vg_registry_notify_quarantine(e->dir, e->dir, bad[i], e->name,
                                      "not a spool file name (<16 hex>.json)");
    }
    if (nbad) {
        quarantine_trim(e);
    }
    vg_strv_free(bad, nbad);
    vg_qsort(e->spooled.v, e->spooled.n, sizeof(*e->spooled.v), cmp_u64);
    return 0;
}

/* Where spool_write puts the next event: the spool (a sequence number), or, for a producer,
 * a new inbox file named by time, process and a counter. */
static char *
next_path(struct ep *e, uint64_t *seq)
{
    *seq = e->next_seq++;
    if (!e->producer) {
        return spool_path(e, *seq);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return vg_fmt("%s/%016" PRIx64 "-%08x-%08x" NOTIFY_SPOOL_SUFFIX, e->inbox, ns,
                  (unsigned)getpid(), (unsigned)*seq);
}

/* Events accepted and not yet delivered (call with e->mu held): in memory, being written to
 * the spool, or spooled. Both the queued gauge and the max-queued bound count all three. */
static size_t
queued_locked(const struct ep *e)
{
    return e->pending.n + e->writing + e->spooled.n;
}

/* Takes the events in memory for spool_write (call with e->mu held). */
static char **
take_pending_locked(struct ep *e, size_t *n)
{
    char **texts = e->pending.v;
    *n = e->pending.n;
    e->writing += *n;
    e->pending.v = NULL;
    e->pending.n = e->pending.cap = 0;
    return texts;
}

/* Writes the events handed over (taken) to the spool; a write failure drops the event. */
static void
spool_write(struct ep *e, char **texts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t seq;
        vg_autofree char *path = next_path(e, &seq);
        struct vg_err *err = NULL;
        int rc = vg_file_write_atomic(path, texts[i], strlen(texts[i]), 0600, &err);
        pthread_mutex_lock(&e->mu);
        e->writing--;
        if (rc < 0) {
            e->dropped++;
        } else if (!e->producer) {
            vg_vec_push(&e->spooled, seq);
        }
        pthread_mutex_unlock(&e->mu);
        if (rc < 0) {
            vg_autofree char *m = vg_err_format(err);
            VG_EVENT(VG_LOG_ERROR, "registry", "notification dropped: spool write failed",
                     VG_KV_STR("endpoint", e->name), VG_KV_STR("error", m));
            vg_err_free(&err);
        }
        free(texts[i]);
    }
    free(texts);
}

/* The inbox's entries: event files (sorted, oldest first) and entries that are not ours. An
 * atomic write in progress is left alone. False when the inbox cannot be read as a directory
 * of its own (a symlink put in its place is not followed). */
static bool
inbox_list(struct ep *e, char ***good, size_t *ngood, char ***bad, size_t *nbad)
{
    int dfd = open(e->inbox, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        int err = errno;
        if (dfd >= 0) {
            close(dfd);
        }
        if (!e->inbox_warned) {
            e->inbox_warned = true;
            VG_EVENT(VG_LOG_WARN, "registry", "notifications inbox unreadable",
                     VG_KV_STR("endpoint", e->name), VG_KV_STR("dir", e->inbox),
                     VG_KV_STR("error", strerror(err)));
        }
        return false;
    }
    e->inbox_warned = false;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0 || vg_registry_notify_temp_name(nm)) {
            continue;
        }
        if (vg_registry_notify_inbox_name(nm)) {
            vg_strv_push(good, ngood, nm);
        } else {
            vg_strv_push(bad, nbad, nm);
        }
    }
    closedir(d);
    vg_qsort(*good, *ngood, sizeof(**good), cmp_str);
    return true;
}

/* Moves the inbox's events (oldest first) into the spool, as far as max-queued allows; the
 * rest wait there. A rename is atomic: each event is either still in the inbox or spooled.
 * What is not an event file of ours (name, type, content) is quarantined, one line each. */
static void
inbox_take(struct ep *e)
{
    char **names = NULL, **bad = NULL;
    size_t n = 0, nbad = 0;
    if (!inbox_list(e, &names, &n, &bad, &nbad)) {
        return;
    }
    for (size_t i = 0; i < nbad; i++) {
        vg_registry_notify_quarantine(e->dir, e->inbox, bad[i], e->name,
                                      "not an inbox file name (<16 hex>-<8 hex>-<8 hex>.json)");
    }
    size_t taken = 0, quarantined = nbad;
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&e->mu);
        bool full = queued_locked(e) >= e->cfg->c.max_queued;
        pthread_mutex_unlock(&e->mu);
        if (full) {
            break; /* stays in the inbox until there is room */
        }
        char *text = NULL;
        struct vg_err *err = NULL;
        if (vg_registry_notify_spool_read(&text, e->inbox, names[i], &err) < 0) {
            if (!vg_err_is(err, VG_E_NOTFOUND)) { /* else: vanished meanwhile */
                vg_autofree char *m = vg_err_format(err);
                vg_registry_notify_quarantine(e->dir, e->inbox, names[i], e->name, m);
                quarantined++;
            }
            vg_err_free(&err);
            continue;
        }
        free(text); /* checked here so that it never enters the spool; read again to send */
        vg_autofree char *from = vg_fmt("%s/%s", e->inbox, names[i]);
        uint64_t seq = e->next_seq++;
        vg_autofree char *to = spool_path(e, seq);
        if (rename(from, to) != 0) {
            continue; /* vanished meanwhile */
        }
        pthread_mutex_lock(&e->mu);
        vg_vec_push(&e->spooled, seq);
        pthread_mutex_unlock(&e->mu);
        taken++;
    }
    if (taken) {
        VG_EVENT(VG_LOG_INFO, "registry", "notifications taken from the inbox",
                 VG_KV_STR("endpoint", e->name), VG_KV_U64("events", taken));
    }
    if (quarantined) {
        quarantine_trim(e);
    }
    vg_strv_free(names, n);
    vg_strv_free(bad, nbad);
}

/* ---------------------------------------------------------------- delivery */

static int
post(const struct vg_registry_notify_endpoint *c, const char *event, struct vg_err **err)
{
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

static void
ecfg_unref(struct ecfg *c)
{
    if (c && --c->refs == 0) {
        vg_registry_notify_endpoint_dispose(&c->c);
        free(c);
    }
}

/* Delivers the oldest spooled event with the endpoint's current settings: 0 sent (removed
 * from the spool), -1 failed (logged; *delay_ms: when to try again). */
static int
deliver_one(struct ep *e, unsigned failures, uint64_t *delay_ms)
{
    pthread_mutex_lock(&e->mu);
    uint64_t seq = e->spooled.v[0];
    struct ecfg *c = e->cfg;
    c->refs++; /* a reload may replace e->cfg during the attempt */
    pthread_mutex_unlock(&e->mu);
    vg_autofree char *path = spool_path(e, seq);
    vg_autofree char *name = vg_fmt("%016" PRIx64 NOTIFY_SPOOL_SUFFIX, seq);
    char *text = NULL;
    struct vg_err *err = NULL;
    /* A file that is not an event of ours (shaped by someone with write access to the spool)
     * is quarantined, one line, and the next event goes on. */
    int rc = vg_registry_notify_spool_read(&text, e->dir, name, &err);
    bool unreadable = rc < 0;
    if (unreadable) {
        vg_autofree char *m = vg_err_format(err);
        vg_registry_notify_quarantine(e->dir, e->dir, name, e->name, m);
        quarantine_trim(e);
        vg_err_free(&err);
    } else {
        rc = post(&c->c, text, &err);
        free(text);
    }
    if (rc < 0 && !unreadable) {
        vg_autofree char *m = vg_err_format(err);
        vg_autofree char *u = vg_http_url_redact(c->c.url);
        VG_EVENT(VG_LOG_WARN, "registry", "notification delivery failed",
                 VG_KV_STR("endpoint", e->name), VG_KV_STR("url", u),
                 VG_KV_U64("failures", failures + 1u), VG_KV_STR("error", m));
        vg_err_free(&err);
    }
    *delay_ms = retry_delay_ms(&c->c, failures + 1u);
    if (rc == 0) {
        (void)unlink(path); /* sent */
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
    ecfg_unref(c);
    pthread_mutex_unlock(&e->mu);
    return rc == 0 || unreadable ? 0 : -1;
}

static void
deadline_ts(struct timespec *ts, uint64_t at_ns)
{
    ts->tv_sec = (time_t)(at_ns / 1000000000u);
    ts->tv_nsec = (long)(at_ns % 1000000000u);
}

/* Waits (mu held) until there is something to do: stop, events to spool, new settings, the
 * inbox to look at, or a spooled event whose retry time has come. */
static void
wait_work(struct ep *e, uint64_t gen, uint64_t retry_at, uint64_t inbox_at)
{
    for (;;) {
        uint64_t now = vg_now_ns();
        if (e->stop || e->pending.n || e->gen != gen || now >= inbox_at ||
            (e->spooled.n && now >= retry_at)) {
            return;
        }
        uint64_t until = e->spooled.n && retry_at < inbox_at ? retry_at : inbox_at;
        struct timespec ts;
        deadline_ts(&ts, until);
        pthread_cond_timedwait(&e->cv, &e->mu, &ts);
    }
}

static void *
run(void *arg)
{
    struct ep *e = arg;
    unsigned failures = 0;
    uint64_t retry_at = 0; /* vg_now_ns time before which no attempt is made */
    uint64_t inbox_at = 0; /* when the inbox is looked at next */
    pthread_mutex_lock(&e->mu);
    uint64_t gen = e->gen;
    pthread_mutex_unlock(&e->mu);
    for (;;) {
        pthread_mutex_lock(&e->mu);
        wait_work(e, gen, retry_at, inbox_at);
        if (e->gen != gen) { /* new settings (a reload): try them at once */
            gen = e->gen;
            failures = 0;
            retry_at = 0;
        }
        size_t ntexts = 0;
        char **texts = take_pending_locked(e, &ntexts);
        bool stop = e->stop;
        pthread_mutex_unlock(&e->mu);
        spool_write(e, texts, ntexts);
        if (stop) {
            break;
        }
        if (vg_now_ns() >= inbox_at) {
            inbox_take(e);
            inbox_at = vg_now_ns() + NOTIFY_INBOX_POLL_MS * 1000000u;
        }
        pthread_mutex_lock(&e->mu);
        bool due = e->spooled.n > 0 && vg_now_ns() >= retry_at;
        pthread_mutex_unlock(&e->mu);
        if (!due) {
            continue;
        }
        uint64_t delay_ms = 0;
        if (deliver_one(e, failures, &delay_ms) == 0) {
            failures = 0;
            retry_at = 0;
        } else {
            failures++;
            retry_at = vg_now_ns() + delay_ms * 1000000u;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- endpoints */

static struct ep *
ep_new(const struct vg_registry_notifier *n, const struct vg_registry_notify_endpoint *cfg,
       struct vg_err **err)
{
    struct ep *e = vg_calloc(1, sizeof(*e));
    e->cfg = vg_calloc(1, sizeof(*e->cfg));
    vg_registry_notify_endpoint_copy(&e->cfg->c, cfg);
    e->cfg->refs = 1;
    e->name = vg_strdup(cfg->name);
    e->producer = n->producer;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (cfg->disabled) {
        return e;
    }
    e->dir = vg_fmt("%s/%s", n->spool_dir, cfg->name);
    e->inbox = vg_fmt("%s/" NOTIFY_INBOX, e->dir);
    if (spool_load(e, err) < 0) {
        free(e->dir);
        e->dir = NULL; /* nothing to spool into: the caller frees it */
        return e;
    }
    if (e->spooled.n) {
        VG_EVENT(VG_LOG_INFO, "registry", "notifications spooled by a previous run",
                 VG_KV_STR("endpoint", e->name), VG_KV_U64("events", e->spooled.n));
    }
    return e;
}

static int
ep_start(struct ep *e, struct vg_err **err)
{
    if (!e->dir || e->started) {
        return 0;
    }
    int rc = pthread_create(&e->th, NULL, run, e);
    if (rc != 0) {
        errno = rc;
        return vg_err_sys(err, VG_E_INTERNAL, "notifications: starting endpoint %s", e->name);
    }
    e->started = true;
    vg_autofree char *u = vg_http_url_redact(e->cfg->c.url);
    VG_EVENT(VG_LOG_INFO, "registry", "notification endpoint configured",
             VG_KV_STR("endpoint", e->name), VG_KV_STR("url", u),
             VG_KV_U64("timeout_ms", e->cfg->c.timeout_ms));
    return 0;
}

/* Stops the delivery thread; it spools what is pending first (an attempt in flight ends
 * within its timeout). */
static void
ep_stop(struct ep *e)
{
    if (!e->started) {
        return;
    }
    pthread_mutex_lock(&e->mu);
    e->stop = true;
    pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->th, NULL);
    e->stop = false;
    e->started = false;
}

/* Stops, spools (or, for a producer, hands to the inbox) what is still in memory, frees. */
static void
ep_free(struct ep *e)
{
    if (!e) {
        return;
    }
    ep_stop(e);
    if (e->dir && e->pending.n) {
        size_t nt = 0;
        pthread_mutex_lock(&e->mu);
        char **texts = take_pending_locked(e, &nt);
        pthread_mutex_unlock(&e->mu);
        spool_write(e, texts, nt);
    }
    vg_strv_free(e->pending.v, e->pending.n);
    vg_vec_dispose(&e->spooled);
    ecfg_unref(e->cfg);
    free(e->name);
    free(e->dir);
    free(e->inbox);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

static unsigned
eps_actions(struct ep *const *eps, size_t n)
{
    unsigned a = 0;
    for (size_t i = 0; i < n; i++) {
        const struct vg_registry_notify_endpoint *c = &eps[i]->cfg->c;
        a |= eps[i]->dir ? c->actions & ~c->ignore_actions : 0;
    }
    return a;
}

/* New endpoint objects for cfg, reusing those of `old` (by name, both enabled) and marking
 * them in reused[]; NULL (error set) when a new one cannot open its spool. */
static struct ep **
eps_build(struct vg_registry_notifier *n, const struct vg_registry_notify_config *cfg, bool *reused,
          struct vg_err **err)
{
    struct ep **eps = vg_calloc(cfg->n ? cfg->n : 1, sizeof(*eps));
    for (size_t i = 0; i < cfg->n; i++) {
        const struct vg_registry_notify_endpoint *c = &cfg->endpoints[i];
        for (size_t j = 0; j < n->neps && !eps[i] && !c->disabled; j++) {
            if (!reused[j] && n->eps[j]->dir && strcmp(n->eps[j]->name, c->name) == 0) {
                eps[i] = n->eps[j];
                reused[j] = true;
            }
        }
        if (eps[i]) {
            continue;
        }
        eps[i] = ep_new(n, c, err);
        if ((!c->disabled && !eps[i]->dir) || (n->started && ep_start(eps[i], err) < 0)) {
            for (size_t k = 0; k <= i; k++) {
                bool old = false;
                for (size_t j = 0; j < n->neps && !old; j++) {
                    old = eps[k] == n->eps[j];
                }
                if (!old) {
                    ep_free(eps[k]);
                }
            }
            free(eps);
            return NULL;
        }
    }
    return eps;
}

/* ---------------------------------------------------------------- the notifier */

static int
notifier_new(struct vg_registry_notifier **out, const struct vg_registry_notify_config *cfg,
             const char *spool_dir, bool producer, struct vg_err **err)
{
    struct vg_registry_notifier *n = vg_calloc(1, sizeof(*n));
    pthread_rwlock_init(&n->lock, NULL);
    n->spool_dir = vg_strdup(spool_dir);
    n->producer = producer;
    uuid4(n->instance_id);
    bool none = false;
    n->eps = eps_build(n, cfg, &none, err);
    if (!n->eps) {
        vg_registry_notifier_free(n);
        return vg_err_wrap(err, "notifications");
    }
    n->neps = cfg->n;
    n->actions = eps_actions(n->eps, n->neps);
    *out = n;
    return 0;
}

int
vg_registry_notifier_new(struct vg_registry_notifier **out,
                         const struct vg_registry_notify_config *cfg, const char *spool_dir,
                         struct vg_err **err)
{
    return notifier_new(out, cfg, spool_dir, false, err);
}

int
vg_registry_notifier_new_producer(struct vg_registry_notifier **out,
                                  const struct vg_registry_notify_config *cfg,
                                  const char *spool_dir, struct vg_err **err)
{
    return notifier_new(out, cfg, spool_dir, true, err);
}

int
vg_registry_notifier_start(struct vg_registry_notifier *n, struct vg_err **err)
{
    if (n->producer) {
        return 0;
    }
    n->started = true;
    for (size_t i = 0; i < n->neps; i++) {
        if (ep_start(n->eps[i], err) < 0) {
            return -1;
        }
    }
    return 0;
}

int
vg_registry_notifier_reconfigure(struct vg_registry_notifier *n,
                                 const struct vg_registry_notify_config *cfg,
                                 struct vg_registry_notify_reload *st, struct vg_err **err)
{
    memset(st, 0, sizeof(*st));
    bool *reused = vg_calloc(n->neps ? n->neps : 1, sizeof(*reused));
    struct ep **eps = eps_build(n, cfg, reused, err);
    if (!eps) {
        free(reused);
        return vg_err_wrap(err, "notifications reload");
    }
    struct ecfg **retired = vg_calloc(cfg->n ? cfg->n : 1, sizeof(*retired));
    pthread_rwlock_wrlock(&n->lock);
    for (size_t i = 0; i < cfg->n; i++) {
        struct ep *e = eps[i];
        bool kept = false;
        for (size_t j = 0; j < n->neps && !kept; j++) {
            kept = n->eps[j] == e;
        }
        if (!kept) {
            st->added++;
        } else if (vg_registry_notify_endpoint_equal(&e->cfg->c, &cfg->endpoints[i])) {
            st->unchanged++;
        } else { /* the thread goes on with its queue; its next attempt uses these */
            struct ecfg *c = vg_calloc(1, sizeof(*c));
            vg_registry_notify_endpoint_copy(&c->c, &cfg->endpoints[i]);
            c->refs = 1;
            pthread_mutex_lock(&e->mu);
            retired[i] = e->cfg;
            e->cfg = c;
            e->gen++;
            pthread_cond_signal(&e->cv);
            pthread_mutex_unlock(&e->mu);
            st->changed++;
        }
    }
    struct ep **old = n->eps;
    size_t nold = n->neps;
    n->eps = eps;
    n->neps = cfg->n;
    n->actions = eps_actions(eps, cfg->n);
    pthread_rwlock_unlock(&n->lock);
    for (size_t i = 0; i < cfg->n; i++) {
        if (retired[i]) {
            pthread_mutex_lock(&eps[i]->mu);
            ecfg_unref(retired[i]);
            pthread_mutex_unlock(&eps[i]->mu);
        }
    }
    for (size_t j = 0; j < nold; j++) {
        if (!reused[j]) {
            st->removed += old[j]->dir != NULL;
            ep_free(old[j]); /* emitters cannot see it any more; it spools what it holds */
        }
    }
    free(retired);
    free(reused);
    free(old);
    return 0;
}

bool
vg_registry_notifier_wants(struct vg_registry_notifier *n, unsigned action)
{
    if (!n) {
        return false;
    }
    pthread_rwlock_rdlock(&n->lock);
    bool w = (n->actions & action) != 0;
    pthread_rwlock_unlock(&n->lock);
    return w;
}

static void
ep_queue(struct ep *e, char *text, const struct vg_registry_notify_event *ev)
{
    pthread_mutex_lock(&e->mu);
    size_t max = e->cfg->c.max_queued;
    bool full = queued_locked(e) >= max;
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
                 VG_KV_STR("endpoint", e->name),
                 VG_KV_STR("action", vg_registry_notify_action_name(ev->action)),
                 VG_KV_STR("repo", ev->repo), VG_KV_U64("max_queued", max));
        free(text);
    }
}

void
vg_registry_notifier_emit(struct vg_registry_notifier *n, const struct vg_registry_notify_event *ev,
                          const char *source_addr)
{
    if (!n) {
        return;
    }
    char id[37], ts[32];
    uuid4(id);
    timestamp_ms(ts);
    struct vg_registry_notify_stamp st = {id, ts, source_addr, n->instance_id};
    pthread_rwlock_rdlock(&n->lock);
    for (size_t i = 0; (n->actions & ev->action) && i < n->neps; i++) {
        struct ep *e = n->eps[i];
        json_t *doc = e->dir ? vg_registry_notify_event_json(&e->cfg->c, ev, &st) : NULL;
        if (doc) {
            char *text = vg_json_dump(doc, false);
            json_decref(doc);
            ep_queue(e, text, ev);
        }
    }
    pthread_rwlock_unlock(&n->lock);
}

size_t
vg_registry_notifier_count(struct vg_registry_notifier *n)
{
    pthread_rwlock_rdlock(&n->lock);
    size_t c = n->neps;
    pthread_rwlock_unlock(&n->lock);
    return c;
}

static void
ep_stats(struct ep *e, struct vg_registry_notify_stats *out)
{
    pthread_mutex_lock(&e->mu);
    out->sent = e->sent;
    out->failed = e->failed;
    out->dropped = e->dropped;
    out->queued = queued_locked(e);
    pthread_mutex_unlock(&e->mu);
}

void
vg_registry_notifier_stats(struct vg_registry_notifier *n, size_t i,
                           struct vg_registry_notify_stats *out)
{
    memset(out, 0, sizeof(*out));
    pthread_rwlock_rdlock(&n->lock);
    if (i < n->neps) {
        ep_stats(n->eps[i], out);
    }
    pthread_rwlock_unlock(&n->lock);
}

void
vg_registry_notifier_metrics(struct vg_buf *out, void *ud)
{
    struct vg_registry_notifier *n = ud;
    static const char *const names[] = {
        "vigil_registry_notifications_sent_total", "vigil_registry_notifications_failed_total",
        "vigil_registry_notifications_dropped_total", "vigil_registry_notifications_queued"};
    static const char *const types[] = {"counter", "counter", "counter", "gauge"};
    pthread_rwlock_rdlock(&n->lock);
    for (size_t m = 0; m < VG_ARRAY_LEN(names); m++) {
        if (vg_buf_appendf(out, NULL, "# TYPE %s %s\n", names[m], types[m]) < 0) {
            break;
        }
        for (size_t i = 0; i < n->neps; i++) {
            struct vg_registry_notify_stats st;
            ep_stats(n->eps[i], &st);
            const uint64_t v[] = {st.sent, st.failed, st.dropped, st.queued};
            if (vg_buf_appendf(out, NULL, "%s{endpoint=\"%s\"} %" PRIu64 "\n", names[m],
                               n->eps[i]->name, v[m]) < 0) {
                m = VG_ARRAY_LEN(names);
                break;
            }
        }
    }
    pthread_rwlock_unlock(&n->lock);
}

void
vg_registry_notifier_free(struct vg_registry_notifier *n)
{
    if (!n) {
        return;
    }
    for (size_t i = 0; n->eps && i < n->neps; i++) {
        ep_free(n->eps[i]);
    }
    free(n->eps);
    free(n->spool_dir);
    pthread_rwlock_destroy(&n->lock);
    free(n);
}
