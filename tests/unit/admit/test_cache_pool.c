/* SPDX-License-Identifier: Apache-2.0
 *
 * admit/cache.c and admit/pool.c: the decision cache (hits copy the value, replacement, TTL,
 * the oldest half evicted when full, a long-key bucket collision) and the evaluation pool
 * (threads reused across sequential jobs, one per job running at once, stop waits for them).
 */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "admit/admit_int.h"

static void
put(struct vg_admit_cache *c, const char *key, enum vg_policy_fact f, const char *why)
{
    struct vg_admit_cache_val v = {.fact = f, .why = (char *)(uintptr_t)why};
    vg_admit_cache_put(c, vg_strdup(key), &v);
}

Test(admit_cache, hit_copies_and_replace)
{
    struct vg_admit_cache c;
    vg_admit_cache_init(&c, 300, 10);
    struct vg_admit_cache_val v = {0};
    cr_expect_not(vg_admit_cache_get(&c, "verify\n1\nimg", &v));
    put(&c, "verify\n1\nimg", VG_POLICY_FACT_NO, "bad signature");
    cr_assert(vg_admit_cache_get(&c, "verify\n1\nimg", &v));
    cr_expect_eq(v.fact, VG_POLICY_FACT_NO);
    cr_expect_str_eq(v.why, "bad signature");
    free(v.why);
    put(&c, "verify\n1\nimg", VG_POLICY_FACT_YES, NULL);
    cr_expect_eq(vg_admit_cache_size(&c), 1);
    cr_assert(vg_admit_cache_get(&c, "verify\n1\nimg", &v));
    cr_expect_eq(v.fact, VG_POLICY_FACT_YES);
    cr_expect_null(v.why);
    cr_expect_not(vg_admit_cache_get(&c, "verify\n2\nimg", &v), "another generation");
    vg_admit_cache_dispose(&c);
}

Test(admit_cache, ttl_zero_never_hits)
{
    struct vg_admit_cache c;
    vg_admit_cache_init(&c, 0, 0);
    put(&c, "k", VG_POLICY_FACT_YES, NULL);
    struct vg_admit_cache_val v = {0};
    cr_expect_not(vg_admit_cache_get(&c, "k", &v));
    put(&c, "k2", VG_POLICY_FACT_YES, NULL);
    cr_expect_eq(vg_admit_cache_size(&c), 0, "nothing is stored with a TTL of 0");
    vg_admit_cache_dispose(&c);
}

/* "unknown" (a registry that could not be asked) is kept for the failure TTL, the rest for the
 * TTL; a later answer replaces a remembered failure. */
Test(admit_cache, failures_have_their_own_ttl)
{
    struct vg_admit_cache c;
    vg_admit_cache_init(&c, 300, 0);
    put(&c, "verify\n1\ndown", VG_POLICY_FACT_UNKNOWN, "registry unreachable");
    put(&c, "verify\n1\nup", VG_POLICY_FACT_NO, "no signature");
    struct vg_admit_cache_val v = {0};
    cr_expect_not(vg_admit_cache_get(&c, "verify\n1\ndown", &v), "failure TTL 0: not kept");
    cr_assert(vg_admit_cache_get(&c, "verify\n1\nup", &v));
    free(v.why);
    vg_admit_cache_dispose(&c);

    vg_admit_cache_init(&c, 0, 300);
    put(&c, "verify\n1\ndown", VG_POLICY_FACT_UNKNOWN, "registry unreachable");
    put(&c, "verify\n1\nup", VG_POLICY_FACT_YES, NULL);
    cr_expect_not(vg_admit_cache_get(&c, "verify\n1\nup", &v), "TTL 0: answers not kept");
    cr_assert(vg_admit_cache_get(&c, "verify\n1\ndown", &v), "the failure is remembered");
    cr_expect_eq(v.fact, VG_POLICY_FACT_UNKNOWN);
    cr_expect_str_eq(v.why, "registry unreachable");
    free(v.why);
    put(&c, "verify\n1\ndown", VG_POLICY_FACT_YES, NULL); /* recovered: replaces it */
    cr_expect_not(vg_admit_cache_get(&c, "verify\n1\ndown", &v));
    vg_admit_cache_dispose(&c);
}

Test(admit_cache, full_drops_the_oldest_half)
{
    struct vg_admit_cache c;
    vg_admit_cache_init(&c, 300, 10);
    char key[64];
    for (unsigned i = 0; i < VG_ADMIT_CACHE_MAX; i++) {
        snprintf(key, sizeof(key), "user\n1\nimg-%u", i);
        put(&c, key, VG_POLICY_FACT_YES, "x");
    }
    cr_expect_eq(vg_admit_cache_size(&c), VG_ADMIT_CACHE_MAX);
    put(&c, "user\n1\nnew", VG_POLICY_FACT_YES, NULL);
    cr_expect_eq(vg_admit_cache_size(&c), VG_ADMIT_CACHE_MAX / 2 + 1);
    struct vg_admit_cache_val v = {0};
    cr_expect_not(vg_admit_cache_get(&c, "user\n1\nimg-0", &v));
    snprintf(key, sizeof(key), "user\n1\nimg-%u", VG_ADMIT_CACHE_MAX / 2 - 1);
    cr_expect_not(vg_admit_cache_get(&c, key, &v));
    snprintf(key, sizeof(key), "user\n1\nimg-%u", VG_ADMIT_CACHE_MAX / 2);
    cr_assert(vg_admit_cache_get(&c, key, &v));
    free(v.why);
    cr_assert(vg_admit_cache_get(&c, "user\n1\nnew", &v));
    vg_admit_cache_dispose(&c);
}

struct counter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned done, hold; /* hold: jobs block until released */
    bool release;
};

static void
job(void *arg)
{
    struct counter *k = arg;
    pthread_mutex_lock(&k->mu);
    while (k->hold && !k->release) {
        pthread_cond_wait(&k->cv, &k->mu);
    }
    k->done++;
    pthread_cond_broadcast(&k->cv);
    pthread_mutex_unlock(&k->mu);
}

static void
wait_done(struct counter *k, unsigned n)
{
    pthread_mutex_lock(&k->mu);
    while (k->done < n) {
        pthread_cond_wait(&k->cv, &k->mu);
    }
    pthread_mutex_unlock(&k->mu);
}

/* Until the pool counts n idle threads (a finished job's thread goes idle after fn returns). */
static void
wait_idle(struct vg_admit_pool *p, unsigned n)
{
    for (;;) {
        pthread_mutex_lock(&p->mu);
        unsigned idle = p->idle;
        pthread_mutex_unlock(&p->mu);
        if (idle >= n) {
            return;
        }
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
}

Test(admit_pool, sequential_jobs_reuse_one_thread)
{
    struct vg_admit_pool p;
    vg_admit_pool_init(&p);
    struct counter k = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    struct vg_admit_pool_item items[50];
    for (unsigned i = 0; i < 50; i++) {
        cr_assert_eq(vg_admit_pool_submit(&p, &items[i], job, &k), 0);
        wait_done(&k, i + 1);
        wait_idle(&p, 1);
    }
    cr_expect_eq(atomic_load(&p.started), 1);
    cr_expect(vg_admit_pool_stop(&p, 10000));
    vg_admit_pool_dispose(&p);
}

Test(admit_pool, concurrent_jobs_get_a_thread_each)
{
    struct vg_admit_pool p;
    vg_admit_pool_init(&p);
    struct counter k = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .hold = 1};
    struct vg_admit_pool_item items[8];
    for (unsigned i = 0; i < 8; i++) {
        cr_assert_eq(vg_admit_pool_submit(&p, &items[i], job, &k), 0);
    }
    cr_expect_eq(atomic_load(&p.started), 8, "a blocked job must not hold up the next");
    pthread_mutex_lock(&k.mu);
    k.release = true;
    pthread_cond_broadcast(&k.cv);
    pthread_mutex_unlock(&k.mu);
    wait_done(&k, 8);
    wait_idle(&p, 8);
    cr_expect_eq(vg_admit_pool_submit(&p, &items[0], job, &k), 0);
    wait_done(&k, 9);
    cr_expect_eq(atomic_load(&p.started), 8, "idle threads take new jobs");
    cr_expect(vg_admit_pool_stop(&p, 10000));
    vg_admit_pool_dispose(&p);
}

/* The keys the webhook builds: every part on its own line (the generation in decimal), so a
 * different generation, image, key or annotation is a different key. */
Test(admit_cache, keys)
{
    char *k = vg_admit_cache_key(18446744073709551615ull, "vulns", "r.io/a@sha256:00");
    cr_assert_str_eq(k, "vulns\n18446744073709551615\nr.io/a@sha256:00");
    free(k);
    k = vg_admit_cache_key(0, "user", "i");
    cr_assert_str_eq(k, "user\n0\ni");
    free(k);
    const struct vg_policy_kv ann[] = {{.key = "env", .value = "prod"}, {.key = "a", .value = ""}};
    k = vg_admit_cache_key_verify(7, "i", "-----PEM-----", ann, 2);
    cr_assert_str_eq(k, "verify\n7\ni\n-----PEM-----\nenv=prod\na=");
    free(k);
    k = vg_admit_cache_key_verify(7, "i", "-----PEM-----", NULL, 0);
    cr_assert_str_eq(k, "verify\n7\ni\n-----PEM-----");
    free(k);
    char *big = vg_malloc(VG_ADMIT_CACHE_KEY_MAX + 1);
    memset(big, 'x', VG_ADMIT_CACHE_KEY_MAX);
    big[VG_ADMIT_CACHE_KEY_MAX] = '\0';
    cr_assert_null(vg_admit_cache_key_verify(7, "i", big, NULL, 0)); /* over the limit: uncached */
    cr_assert_null(vg_admit_cache_key(7, "vulns", big));
    free(big);
}
