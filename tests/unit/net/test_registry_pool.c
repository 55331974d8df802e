/* SPDX-License-Identifier: Apache-2.0
 *
 * The registry client pool from many threads against a live Bearer-token registry named by
 * $VG_TEST_TOKEN_REGISTRY ("127.0.0.1:PORT", plain HTTP, image team/app:v1, credentials in
 * $VG_TEST_REGISTRY_CREDS). Skipped when unset; tests/e2e/test_registry_pool.py runs it against
 * its token-counting fake registry and checks that the registry saw exactly one token request,
 * and against Debian's docker-registry (Basic auth, $VG_TEST_REGISTRY) for plain sharing.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "net/net.h"
#include "oci/oci.h"

#define THREADS 8
#define ROUNDS  5

struct worker {
    struct vg_oci_remote_pool *pool;
    const char *ref;
    int failures;
    char first_error[256];
};

static void *
work(void *arg)
{
    struct worker *w = arg;
    struct vg_oci_ref *ref = NULL;
    if (vg_oci_ref_parse(&ref, w->ref, NULL) < 0) {
        w->failures++;
        return NULL;
    }
    for (int i = 0; i < ROUNDS; i++) {
        struct vg_err *err = NULL;
        struct vg_oci_remote_client *c = vg_oci_remote_pool_get(w->pool, ref, &err);
        struct vg_oci_remote_manifest m;
        if (!c || vg_oci_remote_manifest_get(c, ref->tag, &m, &err) < 0) {
            if (!w->failures++) {
                char *s = vg_err_format(err);
                snprintf(w->first_error, sizeof(w->first_error), "%s", s ? s : "?");
                free(s);
            }
            vg_err_free(&err);
        } else {
            vg_oci_remote_manifest_dispose(&m);
        }
        vg_oci_remote_pool_put(w->pool, c);
    }
    vg_oci_ref_free(ref);
    return NULL;
}

static void
run(const char *host, const char *repo_tag, uint64_t *fetches)
{
    cr_assert_eq(vg_net_init(NULL), 0);
    struct vg_oci_open_opts o = VG_OCI_OPEN_OPTS_INIT;
    o.plain_http = true;
    o.creds = getenv("VG_TEST_REGISTRY_CREDS");
    o.docker_config = "/nonexistent";
    struct vg_oci_remote_pool *pool = vg_oci_remote_pool_new(&o);
    char *ref = vg_fmt("%s/%s", host, repo_tag);
    struct worker w[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.pool = pool, .ref = ref};
        cr_assert_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(w[i].failures, 0, "thread %d: %s", i, w[i].first_error);
    }
    *fetches = vg_oci_remote_pool_token_fetches(pool);
    vg_oci_remote_pool_free(pool);
    free(ref);
}

Test(oci_registry_pool, bearer_threads_share_one_token)
{
    const char *host = getenv("VG_TEST_TOKEN_REGISTRY");
    if (!host || !*host) {
        cr_skip_test("VG_TEST_TOKEN_REGISTRY is not set");
    }
    uint64_t fetches = 0;
    run(host, "team/app:v1", &fetches);
    /* The fake registry counts the requests it saw; the pool's own count must agree. */
    cr_assert_eq(fetches, 1, "%llu token fetches", (unsigned long long)fetches);
    printf("pool token fetches: %llu\n", (unsigned long long)fetches);
}

Test(oci_registry_pool, basic_auth_threads)
{
    const char *host = getenv("VG_TEST_REGISTRY");
    if (!host || !*host) {
        cr_skip_test("VG_TEST_REGISTRY is not set");
    }
    uint64_t fetches = 0;
    run(host, getenv("VG_TEST_REGISTRY_IMAGE"), &fetches);
    cr_assert_eq(fetches, 0);
}

Test(oci_registry_pool, reuse_and_limits_offline)
{
    struct vg_oci_remote_pool *pool = vg_oci_remote_pool_new(NULL);
    struct vg_oci_ref *a = NULL, *b = NULL;
    cr_assert_eq(vg_oci_ref_parse(&a, "127.0.0.1:9/x/y:1", NULL), 0);
    cr_assert_eq(vg_oci_ref_parse(&b, "127.0.0.1:9/z:1", NULL), 0);
    struct vg_oci_remote_client *c1 = vg_oci_remote_pool_get(pool, a, NULL);
    cr_assert_not_null(c1);
    vg_oci_remote_pool_put(pool, c1);
    /* The idle client of that registry comes back, retargeted. */
    struct vg_oci_remote_client *c2 = vg_oci_remote_pool_get(pool, b, NULL);
    cr_assert_eq(c1, c2);
    struct vg_oci_remote_client *many[VG_OCI_REMOTE_POOL_IDLE_MAX + 2];
    for (size_t i = 0; i < VG_ARRAY_LEN(many); i++) {
        many[i] = vg_oci_remote_pool_get(pool, a, NULL);
        cr_assert_not_null(many[i]);
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(many); i++) {
        vg_oci_remote_pool_put(pool, many[i]); /* beyond the idle limit: freed */
    }
    vg_oci_remote_pool_put(pool, c2);
    vg_oci_remote_pool_put(pool, NULL);
    cr_assert_eq(vg_oci_remote_pool_token_fetches(pool), 0);
    vg_oci_remote_pool_free(pool);
    vg_oci_ref_free(a);
    vg_oci_ref_free(b);
}
