/* SPDX-License-Identifier: Apache-2.0
 *
 * The Notation revocation response cache (sign/notation_rcache.c): memory hits and misses,
 * the entry and byte bounds (least recently used out first, expired entries before that,
 * revocations kept), the disk layer (atomic files, read back by a fresh memory layer, a
 * corrupt file is a miss), hostile disk entries, and four threads hammering one cache.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "sign/notation.h"
#include "sign/notation_int.h"

#define NOW 1700000000

static void
key_of(uint8_t key[32], int i)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", i);
    vg_notation__rcache_key(key, true, url, "req", 3);
}

static void
put(int i, size_t len, int64_t expires, bool sticky)
{
    uint8_t key[32];
    key_of(key, i);
    uint8_t *b = malloc(len);
    memset(b, i & 0xff, len);
    struct vg_notation__rcache_meta m = {.fetched = NOW, .expires = expires, .sticky = sticky};
    vg_notation__rcache_put(key, b, len, &m);
    free(b);
}

static bool
has(int i)
{
    uint8_t key[32];
    key_of(key, i);
    struct vg_buf b = VG_BUF_INIT(1u << 20);
    struct vg_notation__rcache_meta m;
    bool hit = vg_notation__rcache_get(key, &b, &m);
    if (hit) {
        cr_assert_gt(b.len, 0);
        cr_assert_eq(b.data[0], (uint8_t)(i & 0xff));
    }
    vg_buf_dispose(&b);
    return hit;
}

static void
fini(void)
{
    vg_notation_revocation_configure(NULL);
}

TestSuite(notation_rcache, .fini = fini);

Test(notation_rcache, keys_differ_by_kind_url_and_request)
{
    uint8_t a[32], b[32], c[32], d[32];
    vg_notation__rcache_key(a, true, "http://x/", "r1", 2);
    vg_notation__rcache_key(b, true, "http://x/", "r2", 2);
    vg_notation__rcache_key(c, false, "http://x/", NULL, 0);
    vg_notation__rcache_key(d, true, "http://y/", "r1", 2);
    cr_assert(memcmp(a, b, 32) && memcmp(a, c, 32) && memcmp(a, d, 32) && memcmp(b, c, 32));
    vg_notation__rcache_key(b, true, "http://x/", "r1", 2);
    cr_assert(memcmp(a, b, 32) == 0);
}

Test(notation_rcache, hit_miss_and_entry_bound_evicts_least_recently_used)
{
    vg_notation_revocation_configure(&(struct vg_notation_revocation_config){.max_entries = 3});
    cr_assert_not(has(1));
    put(1, 10, NOW + 60, false);
    put(2, 10, NOW + 60, false);
    put(3, 10, NOW + 60, false);
    cr_assert(has(1)); /* 1 is now more recent than 2 */
    put(4, 10, NOW + 60, false);
    cr_assert_eq(vg_notation_revocation_cache_entries(), 3);
    cr_assert_not(has(2));
    cr_assert(has(1) && has(3) && has(4));
    put(4, 20, NOW + 60, false); /* replaced, not duplicated */
    cr_assert_eq(vg_notation_revocation_cache_entries(), 3);
    /* configure empties the cache */
    vg_notation_revocation_configure(NULL);
    cr_assert_eq(vg_notation_revocation_cache_entries(), 0);
    cr_assert_not(has(1));
}

Test(notation_rcache, byte_bound_and_expired_entries_go_first_but_revocations_stay)
{
    vg_notation_revocation_configure(&(struct vg_notation_revocation_config){.max_bytes = 1000});
    put(1, 400, NOW + 60, false);
    put(2, 400, NOW + 60, false);
    put(3, 400, NOW + 60, false); /* 1200 > 1000: 1 goes */
    cr_assert_not(has(1));
    cr_assert(has(2) && has(3));
    put(4, 2000, NOW + 60, false); /* bigger than the whole cache: not kept */
    cr_assert_not(has(4));
    cr_assert(has(2) && has(3));
    vg_notation_revocation_configure(&(struct vg_notation_revocation_config){.max_entries = 8});
    put(1, 10, NOW - 10, false); /* expired at the next put's time */
    put(2, 10, NOW - 10, true);  /* a revocation: kept */
    put(3, 10, NOW + 60, false);
    cr_assert_not(has(1));
    cr_assert(has(2) && has(3));
}

Test(notation_rcache, disk_layer_survives_a_new_memory_layer)
{
    char dir[] = "/tmp/vigil-rcache-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct vg_notation_revocation_config c = {.cache_dir = dir};
    vg_notation_revocation_configure(&c);
    put(7, 100, NOW + 3600, false);
    vg_notation_revocation_configure(&c); /* memory emptied, files stay */
    cr_assert_eq(vg_notation_revocation_cache_entries(), 0);
    cr_assert(has(7));
    cr_assert_eq(vg_notation_revocation_cache_entries(), 1);
    uint8_t key[32];
    char hex[65];
    key_of(key, 7);
    vg_hex_encode(hex, key, 32);
    char *path = vg_fmt("%s/%s.der", dir, hex);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq((size_t)st.st_size, 32 + 100);
    cr_assert_eq((int64_t)st.st_mtime, NOW + 3600);
    /* a corrupt file is a miss, not an error */
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    fputs("XXXX", f);
    fclose(f);
    vg_notation_revocation_configure(&c);
    cr_assert_not(has(7));
    /* over the disk's entry bound the soonest-expiring files go */
    c.max_entries = 2;
    vg_notation_revocation_configure(&c);
    put(1, 10, NOW + 10, false);
    put(2, 10, NOW + 20, false);
    put(3, 10, NOW + 30, false);
    vg_notation_revocation_configure(&c);
    cr_assert_not(has(1));
    cr_assert(has(3));
    vg_notation_revocation_configure(NULL);
    uint64_t removed = 0;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_remove_tree(dir, &removed, &err), 0);
    free(path);
}

Test(notation_rcache, hostile_disk_entries_are_refused)
{
    uint8_t b[64] = "VGRC0001";
    struct vg_notation__rcache_meta m;
    const uint8_t *der = NULL;
    size_t len = 0;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_notation__rcache_decode(&m, &der, &len, b, 32, &err), 0); /* no body */
    vg_err_free(&err);
    b[8] = 1; /* fetched 1, expires 0 */
    cr_assert_lt(vg_notation__rcache_decode(&m, &der, &len, b, 40, &err), 0);
    vg_err_free(&err);
    b[16] = 2; /* expires 2: fine */
    cr_assert_eq(vg_notation__rcache_decode(&m, &der, &len, b, 40, &err), 0);
    cr_assert(der == b + 32 && len == 8 && m.fetched == 1 && m.expires == 2 && !m.sticky);
    b[24] = 2; /* unknown flag */
    cr_assert_lt(vg_notation__rcache_decode(&m, &der, &len, b, 40, &err), 0);
    vg_err_free(&err);
    b[24] = 1;
    b[30] = 1; /* reserved byte */
    cr_assert_lt(vg_notation__rcache_decode(&m, &der, &len, b, 40, &err), 0);
    vg_err_free(&err);
    b[30] = 0;
    b[0] = 'X';
    cr_assert_lt(vg_notation__rcache_decode(&m, &der, &len, b, 40, &err), 0);
    vg_err_free(&err);
}

static void *
hammer(void *arg)
{
    int base = (int)(intptr_t)arg;
    for (int i = 0; i < 3000; i++) {
        int k = (base * 7 + i) % 40;
        if (i % 3 == 0) {
            put(k, (size_t)(16 + k), NOW + 60, k % 5 == 0);
        } else {
            (void)has(k); /* a hit must hold k's bytes (checked in has) */
        }
    }
    return NULL;
}

Test(notation_rcache, four_threads_share_one_cache)
{
    vg_notation_revocation_configure(
        &(struct vg_notation_revocation_config){.max_entries = 16, .max_bytes = 600});
    for (int round = 0; round < 5; round++) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++) {
            cr_assert_eq(pthread_create(&t[i], NULL, hammer, (void *)(intptr_t)i), 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(t[i], NULL);
        }
        cr_assert_leq(vg_notation_revocation_cache_entries(), 16);
    }
}
