/* SPDX-License-Identifier: Apache-2.0
 *
 * admit/cold.c: the bound on cold evaluations, per registry host and in all: slots taken all
 * at once or none, waiting reviews started oldest first when their registries have room (one
 * held back by a full registry does not hold back the others), abandon, metrics, and a stress
 * loop of threads entering and leaving that checks the bounds from inside the slots.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "admit/admit_int.h"

static struct vg_admit_cold_req *
req(const char *h1, const char *h2)
{
    struct vg_admit_cold_req *r = vg_calloc(1, sizeof(*r));
    if (h1) {
        vg_admit_cold_req_add_host(r, h1);
    }
    if (h2) {
        vg_admit_cold_req_add_host(r, h2);
    }
    return r;
}

static void
req_free(struct vg_admit_cold_req *r)
{
    vg_admit_cold_req_dispose(r);
    free(r);
}

static size_t
count(const struct vg_admit_cold_req *ready)
{
    size_t n = 0;
    for (; ready; ready = ready->ready) {
        n++;
    }
    return n;
}

Test(admit_cold, per_registry_bound)
{
    struct vg_admit_cold c;
    vg_admit_cold_init(&c, 2, 64);
    struct vg_admit_cold_req *a1 = req("hung.example:5000", NULL);
    struct vg_admit_cold_req *a2 = req("HUNG.example:5000", NULL); /* the same host */
    struct vg_admit_cold_req *a3 = req("hung.example:5000", NULL);
    struct vg_admit_cold_req *b1 = req("ok.example", NULL);
    struct vg_admit_cold_req *b2 = req("ok.example", NULL);
    cr_assert(vg_admit_cold_enter(&c, a1));
    cr_assert(vg_admit_cold_enter(&c, a2));
    cr_assert_not(vg_admit_cold_enter(&c, a3), "the hung registry's slots are full");
    cr_assert(vg_admit_cold_enter(&c, b1), "another registry is not held back");
    cr_assert(vg_admit_cold_enter(&c, b2));
    cr_expect_eq(vg_admit_cold_running(&c), 4);
    /* b1 ends: nothing for a3 (its registry is still full) */
    cr_expect_null(vg_admit_cold_leave(&c, b1));
    /* a1 ends: a3 takes the slot */
    struct vg_admit_cold_req *ready = vg_admit_cold_leave(&c, a1);
    cr_expect_eq(ready, a3);
    cr_expect_eq(count(ready), 1);
    cr_expect_eq(a3->state, VG_ADMIT_COLD_RUNNING);
    cr_expect_null(vg_admit_cold_leave(&c, a2));
    cr_expect_null(vg_admit_cold_leave(&c, a3));
    cr_expect_null(vg_admit_cold_leave(&c, b2));
    cr_expect_eq(vg_admit_cold_running(&c), 0);
    cr_expect_null(c.hosts, "host records go when no review names them");
    req_free(a1), req_free(a2), req_free(a3), req_free(b1), req_free(b2);
    vg_admit_cold_dispose(&c);
}

/* A review naming two registries takes both slots or none; while it waits the free one stays
 * free for others, and a waiting review held back by another registry does not stop a later
 * one that can run. */
Test(admit_cold, all_or_nothing_and_no_head_of_line_blocking)
{
    struct vg_admit_cold c;
    vg_admit_cold_init(&c, 1, 64);
    struct vg_admit_cold_req *a = req("a", NULL);
    struct vg_admit_cold_req *ab = req("a", "b");
    struct vg_admit_cold_req *b = req("b", NULL);
    struct vg_admit_cold_req *b2 = req("b", NULL);
    struct vg_admit_cold_req *none = req(NULL, NULL);
    cr_assert(vg_admit_cold_enter(&c, a));
    cr_assert_not(vg_admit_cold_enter(&c, ab), "a is full");
    cr_assert(vg_admit_cold_enter(&c, b), "b's slot was not taken by the waiting review");
    cr_assert_not(vg_admit_cold_enter(&c, b2));
    cr_assert(vg_admit_cold_enter(&c, none), "no registry: only the ceiling applies");
    /* b ends: ab (older) still cannot run (a is full), b2 can */
    struct vg_admit_cold_req *ready = vg_admit_cold_leave(&c, b);
    cr_expect_eq(ready, b2);
    cr_expect_eq(count(ready), 1);
    cr_expect_eq(ab->state, VG_ADMIT_COLD_WAITING);
    /* a ends: ab still waits for b */
    cr_expect_null(vg_admit_cold_leave(&c, a));
    ready = vg_admit_cold_leave(&c, b2);
    cr_expect_eq(ready, ab);
    cr_expect_null(vg_admit_cold_leave(&c, ab));
    cr_expect_null(vg_admit_cold_leave(&c, none));
    cr_expect_eq(c.waiting, 0);
    req_free(a), req_free(ab), req_free(b), req_free(b2), req_free(none);
    vg_admit_cold_dispose(&c);
}

Test(admit_cold, global_ceiling_and_order)
{
    struct vg_admit_cold c;
    vg_admit_cold_init(&c, 2, 2);
    struct vg_admit_cold_req *r[5];
    const char *hosts[5] = {"h0", "h1", "h2", "h3", "h4"};
    for (int i = 0; i < 5; i++) {
        r[i] = req(hosts[i], NULL);
        cr_assert_eq(vg_admit_cold_enter(&c, r[i]), i < 2, "review %d", i);
    }
    /* one slot frees: the oldest waiting review runs */
    struct vg_admit_cold_req *ready = vg_admit_cold_leave(&c, r[0]);
    cr_expect_eq(ready, r[2]);
    cr_expect_eq(count(ready), 1);
    char *why = NULL;
    cr_assert(vg_admit_cold_abandon(&c, r[3], &why), "waiting: dequeued");
    cr_expect(strstr(why, "--max-cold-total") != NULL, "%s", why);
    free(why);
    why = NULL;
    cr_expect_not(vg_admit_cold_abandon(&c, r[2], &why), "running: keeps its slot");
    cr_expect_null(why);
    cr_expect_eq(atomic_load(&c.unstarted), 1);
    ready = vg_admit_cold_leave(&c, r[1]);
    cr_expect_eq(ready, r[4], "the abandoned one is skipped");
    cr_expect_null(vg_admit_cold_leave(&c, r[2]));
    cr_expect_null(vg_admit_cold_leave(&c, r[4]));
    for (int i = 0; i < 5; i++) {
        req_free(r[i]);
    }
    vg_admit_cold_dispose(&c);
}

Test(admit_cold, abandon_names_the_full_registry_and_metrics)
{
    struct vg_admit_cold c;
    vg_admit_cold_init(&c, 1, 64);
    struct vg_admit_cold_req *a = req("reg\"istry", NULL);
    struct vg_admit_cold_req *a2 = req("ok", "reg\"istry");
    cr_assert(vg_admit_cold_enter(&c, a));
    cr_assert_not(vg_admit_cold_enter(&c, a2));
    struct vg_buf b = VG_BUF_INIT(1 << 16);
    cr_assert_eq(vg_admit_cold_metrics(&c, &b, NULL), 0);
    const char *m = vg_buf_cstr(&b);
    cr_expect(strstr(m, "vigil_admit_cold_running 1\n") != NULL, "%s", m);
    cr_expect(strstr(m, "vigil_admit_cold_waiting 1\n") != NULL, "%s", m);
    cr_expect(strstr(m, "vigil_admit_cold_registry_running{registry=\"reg\\\"istry\"} 1\n"), "%s",
              m);
    cr_expect(strstr(m, "vigil_admit_cold_registry_waiting{registry=\"ok\"} 1\n"), "%s", m);
    vg_buf_dispose(&b);
    char *why = NULL;
    cr_assert(vg_admit_cold_abandon(&c, a2, &why));
    cr_expect(strstr(why, "1 registry checks running already on reg\"istry") != NULL &&
                  strstr(why, "--max-cold)") != NULL,
              "%s", why);
    free(why);
    cr_expect_null(vg_admit_cold_leave(&c, a));
    cr_expect_null(c.hosts);
    req_free(a), req_free(a2);
    vg_admit_cold_dispose(&c);
}

/* ---------------------------------------------------------------- stress */

#define NHOSTS   3
#define PER_HOST 2
#define TOTAL    4
#define NTHREADS 8
#define ROUNDS   300

struct stress {
    struct vg_admit_cold c;
    atomic_int in_host[NHOSTS], in_all;
    atomic_int violations;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

struct sreq {
    struct vg_admit_cold_req r;
    int hosts[2], nhosts;
    bool started; /* st->mu */
};

static void
start_ready(struct stress *st, struct vg_admit_cold_req *ready)
{
    pthread_mutex_lock(&st->mu);
    for (; ready; ready = ready->ready) {
        ((struct sreq *)ready->owner)->started = true;
    }
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

static void *
stress_thread(void *arg)
{
    struct stress *st = arg;
    static _Atomic unsigned seed_gen = 1;
    unsigned seed = atomic_fetch_add(&seed_gen, 7919);
    for (int i = 0; i < ROUNDS; i++) {
        struct sreq *s = vg_calloc(1, sizeof(*s));
        s->r.owner = s;
        seed = seed * 1103515245u + 12345u;
        s->nhosts = 1 + (int)((seed >> 16) % 2);
        for (int k = 0; k < s->nhosts; k++) {
            seed = seed * 1103515245u + 12345u;
            s->hosts[k] = (int)((seed >> 16) % NHOSTS);
            char name[8] = {'h', (char)('0' + s->hosts[k]), 0};
            vg_admit_cold_req_add_host(&s->r, name);
        }
        if (s->nhosts == 2 && s->hosts[0] == s->hosts[1]) {
            s->nhosts = 1;
        }
        if (vg_admit_cold_enter(&st->c, &s->r)) {
            s->started = true;
        }
        pthread_mutex_lock(&st->mu);
        while (!s->started) {
            pthread_cond_wait(&st->cv, &st->mu);
        }
        pthread_mutex_unlock(&st->mu);
        /* inside the slots */
        if (atomic_fetch_add(&st->in_all, 1) >= TOTAL) {
            atomic_fetch_add(&st->violations, 1);
        }
        for (int k = 0; k < s->nhosts; k++) {
            if (atomic_fetch_add(&st->in_host[s->hosts[k]], 1) >= PER_HOST) {
                atomic_fetch_add(&st->violations, 1);
            }
        }
        sched_yield();
        for (int k = 0; k < s->nhosts; k++) {
            atomic_fetch_sub(&st->in_host[s->hosts[k]], 1);
        }
        atomic_fetch_sub(&st->in_all, 1);
        start_ready(st, vg_admit_cold_leave(&st->c, &s->r));
        vg_admit_cold_req_dispose(&s->r);
        free(s);
    }
    return NULL;
}

Test(admit_cold, stress_bounds_hold_under_threads, .timeout = 120)
{
    struct stress st;
    memset(&st, 0, sizeof(st));
    vg_admit_cold_init(&st.c, PER_HOST, TOTAL);
    pthread_mutex_init(&st.mu, NULL);
    pthread_cond_init(&st.cv, NULL);
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        cr_assert_eq(pthread_create(&t[i], NULL, stress_thread, &st), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
    }
    cr_expect_eq(atomic_load(&st.violations), 0);
    cr_expect_eq(vg_admit_cold_running(&st.c), 0);
    cr_expect_eq(st.c.waiting, 0);
    cr_expect_null(st.c.hosts);
    vg_admit_cold_dispose(&st.c);
    pthread_cond_destroy(&st.cv);
    pthread_mutex_destroy(&st.mu);
}
