/* SPDX-License-Identifier: Apache-2.0
 *
 * The evaluation threads (admit_int.h): a queue under one lock, idle threads waiting on a
 * condition, a new detached thread only when the queue holds more jobs than there are idle
 * threads, and idle threads leaving after VG_ADMIT_POOL_IDLE_S.
 */
#include "admit_int.h"

#include "crypto/crypto.h"
#include "net/net.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static void
deadline_in(struct timespec *ts, uint64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms / 1000u);
    ts->tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void
cond_init_monotonic(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}

void
vg_admit_pool_init(struct vg_admit_pool *p)
{
    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    cond_init_monotonic(&p->work);
    cond_init_monotonic(&p->gone);
    atomic_init(&p->started, 0);
}

static void *
pool_main(void *arg)
{
    struct vg_admit_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (!p->head) {
            if (p->stop) {
                break;
            }
            struct timespec ts;
            deadline_in(&ts, (uint64_t)VG_ADMIT_POOL_IDLE_S * 1000u);
            p->idle++;
            int rc = pthread_cond_timedwait(&p->work, &p->mu, &ts);
            p->idle--;
            if (rc == ETIMEDOUT && !p->head) {
                break;
            }
            continue;
        }
        struct vg_admit_pool_item *it = p->head;
        p->head = it->next;
        if (!p->head) {
            p->tail = NULL;
        }
        p->queued--;
        void (*fn)(void *) = it->fn; /* the item may be freed by fn */
        void *fa = it->arg;
        pthread_mutex_unlock(&p->mu);
        fn(fa);
        pthread_mutex_lock(&p->mu);
    }
    /* OpenSSL's per-thread state goes before the thread counts as gone: the destructor that
     * would free it runs after pool_main returns, possibly after the process has exited
     * (LeakSanitizer reported the error queue of such a thread at exit). */
    pthread_mutex_unlock(&p->mu);
    vg_http_thread_stop(); /* its spare curl handle holds OpenSSL objects */
    vg_crypto_thread_stop();
    pthread_mutex_lock(&p->mu);
    p->threads--;
    pthread_cond_broadcast(&p->gone);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int
vg_admit_pool_submit(struct vg_admit_pool *p, struct vg_admit_pool_item *it, void (*fn)(void *),
                     void *arg)
{
    it->fn = fn;
    it->arg = arg;
    it->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->idle <= p->queued) { /* every idle thread has a job waiting already */
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &at, pool_main, p);
        pthread_attr_destroy(&at);
        if (rc == 0) {
            p->threads++;
            atomic_fetch_add(&p->started, 1);
        } else {
            pthread_mutex_unlock(&p->mu);
            return -1;
        }
    }
    if (p->tail) {
        p->tail->next = it;
    } else {
        p->head = it;
    }
    p->tail = it;
    p->queued++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

bool
vg_admit_pool_stop(struct vg_admit_pool *p, unsigned timeout_ms)
{
    struct timespec ts;
    deadline_in(&ts, timeout_ms);
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    while (p->threads > 0) {
        if (pthread_cond_timedwait(&p->gone, &p->mu, &ts) == ETIMEDOUT) {
            break;
        }
    }
    bool all = p->threads == 0;
    pthread_mutex_unlock(&p->mu);
    return all;
}

void
vg_admit_pool_dispose(struct vg_admit_pool *p)
{
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->gone);
}
