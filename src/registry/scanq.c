/* SPDX-License-Identifier: Apache-2.0
 *
 * Scan-on-push queue and workers (scanq.h).
 */
#include "registry/scanq.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "registry/rescan.h"
#include "scan/scan.h"
#include "vulndb/vulndb.h"

#define SCANQ_DEFAULT_MAX       1024u
#define SCANQ_WORKERS_MAX       64u
#define SCANQ_UPDATE_DEADLINE_S 1800ull /* one DB update downloads for at most this long */

struct job {
    struct vg_digest d;
    char *repo;
};

struct vg_registry_scanq {
    struct vg_registry_scanq_opts o;
    char *db_path;
    pthread_mutex_t mu;  /* guards jobs, njobs, head, busy, stop */
    pthread_cond_t wake; /* a job was queued, or stop */
    pthread_cond_t idle; /* a job finished */
    struct job *jobs;    /* ring of max_queued */
    size_t head, njobs;
    unsigned busy;
    bool stop;
    pthread_t *threads;
    unsigned nthreads;
    /* the DB monitor (rescans): guarded by mu */
    pthread_cond_t mon_wake; /* kick (SIGHUP, rescan asked) or stop */
    bool kicked;
    bool mon_started;
    pthread_t mon;
    uint64_t rescans; /* monitor runs that rescanned something (tests) */
};

/* ---------------------------------------------------------------- blob provider over storage */

struct pstream {
    struct vg_registry_rhandle *h;
    uint64_t off;
};

static int
p_open(void *ud, const struct vg_digest *d, void **stream, struct vg_err **err)
{
    struct vg_registry_storage *s = ud;
    struct vg_registry_rhandle *h = NULL;
    if (s->ops->blob_open(s, d, &h, err) < 0) {
        return -1;
    }
    struct pstream *ps = vg_calloc(1, sizeof(*ps));
    ps->h = h;
    *stream = ps;
    return 0;
}

static int
p_read(void *stream, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    struct pstream *ps = stream;
    *got = 0;
    if (ps->off >= ps->h->size) {
        return 0;
    }
    if (ps->h->ops->read(ps->h, ps->off, buf, cap, got, err) < 0) {
        return -1;
    }
    ps->off += *got;
    return 0;
}

static void
p_close(void *stream)
{
    struct pstream *ps = stream;
    vg_registry_rhandle_free(ps->h);
    free(ps);
}

struct vg_oci_blob_provider
vg_registry_storage_provider(struct vg_registry_storage *s)
{
    return (struct vg_oci_blob_provider){s, p_open, p_read, p_close};
}

/* ---------------------------------------------------------------- workers */

static void
record_full(struct vg_registry_scanq *q, const struct job *j, const char *status, int64_t queued,
            char *report, char *db_version, char *inventory)
{
    struct vg_registry_scan_rec rec = {
        .digest = j->d,
        .repo = j->repo,
        .status = (char *)(uintptr_t)status,
        .queued = queued,
        .scanned = strcmp(status, "queued") == 0 ? 0 : vg_now_unix(),
        .report = report,
        .db_version = db_version,
        .inventory = inventory,
    };
    struct vg_err *err = NULL;
    if (q->o.meta->ops->scan_put(q->o.meta, &rec, &err) < 0) {
        char *m = vg_err_format(err);
        VG_EVENT(VG_LOG_ERROR, "registry", "scan result not stored", VG_KV_STR("digest", j->d.text),
                 VG_KV_STR("error", m));
        free(m);
        vg_err_free(&err);
    }
}

static void
record(struct vg_registry_scanq *q, const struct job *j, const char *status, int64_t queued,
       char *report)
{
    record_full(q, j, status, queued, report, NULL, NULL);
}

static void
scan_one(struct vg_registry_scanq *q, const struct job *j)
{
    /* the DB's stamp before it is opened: a DB swapped meanwhile makes the result look older
     * than it is (rescanned once more), never newer */
    vg_autofree char *stamp = vg_registry_db_stamp(q->db_path);
    int64_t queued = vg_now_unix();
    struct vg_registry_scan_rec old = {0};
    struct vg_err *err = NULL;
    if (q->o.meta->ops->scan_get(q->o.meta, &j->d, &old, &err) == 0) {
        queued = old.queued;
        vg_registry_scan_rec_dispose(&old);
    } else {
        vg_err_free(&err);
    }
    struct vg_oci_blob_provider p = vg_registry_storage_provider(q->o.storage);
    struct vg_scan_opts so = VG_SCAN_OPTS_INIT;
    so.scanners = q->o.scanners;
    so.db_path = q->db_path;
    so.offline = true;
    so.use_cache = false;
    so.quiet = true;
    so.jobs = 1;
    vg_autofree char *ref = vg_fmt("%s@%s", j->repo, j->d.text);
    struct vg_scan_report *r = NULL;
    if (vg_scan_image_provider(&r, &p, &j->d, ref, &so, &err) < 0) {
        char *m = vg_err_format(err);
        vg_err_free(&err);
        json_t *doc = json_object();
        vg_json_set_str(doc, "error", m);
        char *text = vg_json_dump(doc, false);
        json_decref(doc);
        VG_EVENT(VG_LOG_WARN, "registry", "scan failed", VG_KV_STR("repo", j->repo),
                 VG_KV_STR("digest", j->d.text), VG_KV_STR("error", m));
        record(q, j, "failed", queued, text);
        free(text);
        free(m);
        return;
    }
    json_t *doc = vg_report_trivy_json(r);
    char *text = vg_json_dump(doc, false);
    json_decref(doc);
    VG_EVENT(VG_LOG_INFO, "registry", "scan done", VG_KV_STR("repo", j->repo),
             VG_KV_STR("digest", j->d.text), VG_KV_U64("vulnerabilities", r->nvulns));
    vg_autofree char *analysis = vg_scan_report_analysis(r);
    record_full(q, j, "done", queued, text, stamp, analysis);
    if (q->o.scanned) {
        q->o.scanned(q->o.hooks_ud, j->repo, &j->d, text);
    }
    free(text);
    vg_scan_report_free(r);
}

static void *
worker(void *arg)
{
    struct vg_registry_scanq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->stop && q->njobs == 0) {
            pthread_cond_wait(&q->wake, &q->mu);
        }
        if (q->stop) {
            break;
        }
        struct job j = q->jobs[q->head];
        q->head = (q->head + 1) % q->o.max_queued;
        q->njobs--;
        q->busy++;
        pthread_mutex_unlock(&q->mu);
        scan_one(q, &j);
        free(j.repo);
        pthread_mutex_lock(&q->mu);
        q->busy--;
        pthread_cond_broadcast(&q->idle);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

/* ---------------------------------------------------------------- DB monitor */

static void
rescan_now(struct vg_registry_scanq *q)
{
    struct vg_registry_rescan_opts ro = {
        .storage = q->o.storage,
        .meta = q->o.meta,
        .db_path = q->db_path,
        .scanners = q->o.scanners,
        .new_vulns = q->o.new_vulns,
        .ud = q->o.hooks_ud,
    };
    struct vg_registry_rescan_stats st;
    struct vg_err *err = NULL;
    if (vg_registry_rescan_run(&ro, &st, &err) < 0) {
        vg_autofree char *m = vg_err_format(err);
        VG_EVENT(VG_LOG_WARN, "registry", "rescan not run", VG_KV_STR("error", m));
        vg_err_free(&err);
        return;
    }
    if (st.rescanned) {
        pthread_mutex_lock(&q->mu);
        q->rescans++;
        pthread_mutex_unlock(&q->mu);
    }
}

/* `vigil db update` on the DB (the monitor's thread, no lock held): logged either way; the
 * stamp check that follows sees a swapped DB. */
static void
db_update(struct vg_registry_scanq *q)
{
    vg_autofree char *path = vg_vulndb_path_resolve(q->db_path);
    struct vg_vulndb_update_opts uo = {
        .db_path = path,
        .mirror = q->o.update_mirror,
        .quiet = true,
        .deadline_ns = vg_now_ns() + SCANQ_UPDATE_DEADLINE_S * 1000000000ull,
    };
    struct vg_vulndb_update_stats st = {0};
    struct vg_err *err = NULL;
    if (!path || vg_vulndb_update(&uo, &st, &err) < 0) {
        vg_autofree char *msg = err ? vg_err_format(err) : vg_strdup("no DB path");
        vg_err_free(&err);
        VG_EVENT(VG_LOG_WARN, "registry", "vulnerability DB update failed (the DB in use stays)",
                 VG_KV_STR("error", msg));
        return;
    }
    VG_EVENT(VG_LOG_INFO, "registry",
             st.rebuilt ? "vulnerability DB updated" : "vulnerability DB up to date",
             VG_KV_U64("downloaded", st.downloaded), VG_KV_U64("not_modified", st.not_modified),
             VG_KV_U64("missing", st.missing));
}

/* Waits on mon_wake (mu held) for at most ms milliseconds; 0: until woken. */
static void
mon_wait(struct vg_registry_scanq *q, uint64_t ms)
{
    if (ms == 0) {
        pthread_cond_wait(&q->mon_wake, &q->mu);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000u);
    ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&q->mon_wake, &q->mu, &ts);
}

/* Checks the DB's stamp at start, every rescan_interval_ms and when kicked; a new stamp (or a
 * kick) re-matches the results matched with another DB. Every update_interval_ms it updates
 * the DB first. */
static void *
monitor(void *arg)
{
    struct vg_registry_scanq *q = arg;
    char *last = NULL;
    uint64_t every = q->o.update_interval_ms,
             next_update = every ? vg_now_ns() / 1000000u + every : 0;
    pthread_mutex_lock(&q->mu);
    bool first = true;
    while (!q->stop) {
        if (!first && !q->kicked) {
            uint64_t ms = q->o.rescan_interval_ms, now = vg_now_ns() / 1000000u;
            if (next_update) {
                uint64_t due = next_update > now ? next_update - now : 1;
                ms = ms == 0 || due < ms ? due : ms;
            }
            mon_wait(q, ms);
            if (q->stop) {
                break;
            }
        }
        bool kicked = q->kicked || first;
        q->kicked = false;
        first = false;
        pthread_mutex_unlock(&q->mu);
        if (next_update && vg_now_ns() / 1000000u >= next_update) {
            db_update(q);
            next_update = vg_now_ns() / 1000000u + every;
        }
        char *stamp = vg_registry_db_stamp(q->db_path);
        if (stamp && (kicked || !last || strcmp(stamp, last) != 0)) {
            rescan_now(q);
        }
        free(last);
        last = stamp;
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    free(last);
    return NULL;
}

void
vg_registry_scanq_kick(struct vg_registry_scanq *q)
{
    if (!q) {
        return;
    }
    pthread_mutex_lock(&q->mu);
    q->kicked = true;
    pthread_cond_broadcast(&q->mon_wake);
    pthread_mutex_unlock(&q->mu);
}

uint64_t
vg_registry_scanq_rescans(struct vg_registry_scanq *q)
{
    pthread_mutex_lock(&q->mu);
    uint64_t n = q->rescans;
    pthread_mutex_unlock(&q->mu);
    return n;
}

/* ---------------------------------------------------------------- queue */

int
vg_registry_scanq_new(struct vg_registry_scanq **out, const struct vg_registry_scanq_opts *opts,
                      struct vg_err **err)
{
    if (!opts || !opts->storage || !opts->meta) {
        return vg_err_set(err, VG_E_USAGE, "scan queue: storage and metadata are required");
    }
    if (opts->workers > SCANQ_WORKERS_MAX) {
        return vg_err_set(err, VG_E_USAGE, "scan: workers %u: at most %u", opts->workers,
                          SCANQ_WORKERS_MAX);
    }
    struct vg_registry_scanq *q = vg_calloc(1, sizeof(*q));
    q->o = *opts;
    q->db_path = vg_strdup(opts->db_path);
    q->o.db_path = q->db_path;
    if (q->o.workers == 0) {
        q->o.workers = 1;
    }
    if (q->o.max_queued == 0) {
        q->o.max_queued = SCANQ_DEFAULT_MAX;
    }
    q->jobs = vg_calloc(q->o.max_queued, sizeof(*q->jobs));
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->wake, NULL);
    pthread_cond_init(&q->idle, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->mon_wake, &ca);
    pthread_condattr_destroy(&ca);
    q->threads = vg_calloc(q->o.workers, sizeof(*q->threads));
    *out = q;
    return 0;
}

int
vg_registry_scanq_start(struct vg_registry_scanq *q, struct vg_err **err)
{
    while (q->nthreads < q->o.workers) {
        int rc = pthread_create(&q->threads[q->nthreads], NULL, worker, q);
        if (rc != 0) {
            errno = rc;
            return vg_err_sys(err, VG_E_INTERNAL, "scan queue: starting worker %u", q->nthreads);
        }
        q->nthreads++;
    }
    if (q->o.monitor && !q->mon_started) {
        int rc = pthread_create(&q->mon, NULL, monitor, q);
        if (rc != 0) {
            errno = rc;
            return vg_err_sys(err, VG_E_INTERNAL, "scan queue: starting the DB monitor");
        }
        q->mon_started = true;
    }
    return 0;
}

int
vg_registry_scanq_push(struct vg_registry_scanq *q, const char *repo, const struct vg_digest *d,
                       struct vg_err **err)
{
    struct vg_registry_scan_rec old = {0};
    struct vg_err *e = NULL;
    if (q->o.meta->ops->scan_get(q->o.meta, d, &old, &e) == 0) {
        bool skip = strcmp(old.status, "failed") != 0;
        vg_registry_scan_rec_dispose(&old);
        if (skip) {
            return 0; /* queued or done already (same bytes pushed again, or to another repo) */
        }
    } else {
        vg_err_free(&e);
    }
    struct job j = {*d, vg_strdup(repo)};
    /* recorded before a worker can pick it up, so the worker's row always wins */
    record(q, &j, "queued", vg_now_unix(), NULL);
    pthread_mutex_lock(&q->mu);
    bool full = q->njobs >= q->o.max_queued;
    if (!full) {
        q->jobs[(q->head + q->njobs) % q->o.max_queued] = j;
        q->njobs++;
        pthread_cond_signal(&q->wake);
    }
    pthread_mutex_unlock(&q->mu);
    if (full) {
        vg_autofree char *why =
            vg_fmt("{\"error\":\"scan queue full (%zu queued)\"}", q->o.max_queued);
        record(q, &j, "failed", vg_now_unix(), why);
        free(j.repo);
        return vg_err_set(err, VG_E_LIMIT, "scan queue full (%zu queued)", q->o.max_queued);
    }
    return 0;
}

void
vg_registry_scanq_drain(struct vg_registry_scanq *q)
{
    pthread_mutex_lock(&q->mu);
    while ((q->njobs > 0 && q->nthreads > 0) || q->busy > 0) {
        pthread_cond_wait(&q->idle, &q->mu);
    }
    pthread_mutex_unlock(&q->mu);
}

void
vg_registry_scanq_free(struct vg_registry_scanq *q)
{
    if (!q) {
        return;
    }
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    pthread_cond_broadcast(&q->wake);
    pthread_cond_broadcast(&q->mon_wake);
    pthread_mutex_unlock(&q->mu);
    for (unsigned i = 0; i < q->nthreads; i++) {
        pthread_join(q->threads[i], NULL);
    }
    if (q->mon_started) {
        pthread_join(q->mon, NULL);
    }
    pthread_cond_destroy(&q->mon_wake);
    for (size_t i = 0; i < q->njobs; i++) {
        free(q->jobs[(q->head + i) % q->o.max_queued].repo);
    }
    pthread_cond_destroy(&q->wake);
    pthread_cond_destroy(&q->idle);
    pthread_mutex_destroy(&q->mu);
    free(q->threads);
    free(q->jobs);
    free(q->db_path);
    free(q);
}
