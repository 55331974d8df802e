/* SPDX-License-Identifier: Apache-2.0
 *
 * The webhook's decision cache (admit_int.h): a chained hash table over the keys, and a list
 * in store order for expiry and eviction. Keys are long (a verify key holds the public key
 * PEM): the table keeps each key's hash and compares strings only on equal hashes.
 */
#include "admit_int.h"

#include <string.h>

#define VG_ADMIT_CACHE_BUCKETS 8192u /* a power of two, twice VG_ADMIT_CACHE_MAX */

struct vg_admit_cache_entry {
    char *key;
    uint64_t hash;
    uint64_t expires_ns;
    struct vg_admit_cache_val val;
    struct vg_admit_cache_entry *chain;       /* next in the bucket */
    struct vg_admit_cache_entry *prev, *next; /* store order: prev older, next newer */
};

/* Eight bytes at a time (a key holds a PEM key: a byte at a time was a chain of ~300
 * multiplications per lookup), mixed after each word, with a splitmix64 finish so that the
 * low bits indexing the buckets depend on every byte. */
static uint64_t
key_hash(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

void
vg_admit_cache_init(struct vg_admit_cache *c, unsigned ttl_s, unsigned fail_ttl_s)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    c->ttl_ns = (uint64_t)ttl_s * 1000000000ull;
    c->fail_ttl_ns = (uint64_t)fail_ttl_s * 1000000000ull;
    c->buckets = vg_calloc(VG_ADMIT_CACHE_BUCKETS, sizeof(*c->buckets));
    atomic_init(&c->hits, 0);
    atomic_init(&c->misses, 0);
}

static void
entry_free(struct vg_admit_cache_entry *e)
{
    free(e->key);
    free(e->val.why);
    free(e->val.user);
    free(e);
}

/* Unlinks e from its bucket and the list, and frees it. */
static void
drop(struct vg_admit_cache *c, struct vg_admit_cache_entry *e)
{
    struct vg_admit_cache_entry **pp = &c->buckets[e->hash & (VG_ADMIT_CACHE_BUCKETS - 1)];
    while (*pp != e) {
        pp = &(*pp)->chain;
    }
    *pp = e->chain;
    if (e->prev) {
        e->prev->next = e->next;
    } else {
        c->oldest = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    } else {
        c->newest = e->prev;
    }
    c->n--;
    entry_free(e);
}

static struct vg_admit_cache_entry *
find(const struct vg_admit_cache *c, const char *key, uint64_t h)
{
    for (struct vg_admit_cache_entry *e = c->buckets[h & (VG_ADMIT_CACHE_BUCKETS - 1)]; e;
         e = e->chain) {
        if (e->hash == h && strcmp(e->key, key) == 0) {
            return e;
        }
    }
    return NULL;
}

void
vg_admit_cache_dispose(struct vg_admit_cache *c)
{
    while (c->oldest) {
        drop(c, c->oldest);
    }
    free(c->buckets);
    pthread_mutex_destroy(&c->mu);
    memset(c, 0, sizeof(*c));
}

bool
vg_admit_cache_get(struct vg_admit_cache *c, const char *key, struct vg_admit_cache_val *out)
{
    uint64_t h = key_hash(key);
    uint64_t now = vg_now_ns();
    bool hit = false;
    pthread_mutex_lock(&c->mu);
    const struct vg_admit_cache_entry *e = find(c, key, h);
    if (e && e->expires_ns > now) {
        *out = e->val;
        out->why = e->val.why ? vg_strdup(e->val.why) : NULL;
        out->user = e->val.user ? vg_strdup(e->val.user) : NULL;
        hit = true;
    }
    pthread_mutex_unlock(&c->mu);
    atomic_fetch_add(hit ? &c->hits : &c->misses, 1);
    return hit;
}

void
vg_admit_cache_put(struct vg_admit_cache *c, char *key, const struct vg_admit_cache_val *val)
{
    uint64_t now = vg_now_ns();
    uint64_t ttl = val->fact == VG_POLICY_FACT_UNKNOWN ? c->fail_ttl_ns : c->ttl_ns;
    if (!ttl) { /* that kind of answer is not cached (--cache-ttl 0, --failure-ttl 0), but it
                 * still replaces what the key held (a remembered failure) */
        uint64_t h = key_hash(key);
        pthread_mutex_lock(&c->mu);
        struct vg_admit_cache_entry *old = find(c, key, h);
        if (old) {
            drop(c, old);
        }
        pthread_mutex_unlock(&c->mu);
        free(key);
        return;
    }
    struct vg_admit_cache_entry *e = vg_calloc(1, sizeof(*e));
    e->key = key;
    e->hash = key_hash(key);
    e->expires_ns = now + ttl;
    e->val = *val;
    e->val.why = val->why ? vg_strdup(val->why) : NULL;
    e->val.user = val->user ? vg_strdup(val->user) : NULL;
    pthread_mutex_lock(&c->mu);
    struct vg_admit_cache_entry *old = find(c, key, e->hash);
    if (old) {
        drop(c, old);
    }
    /* store order: expiry order but for failures (shorter) stored after successes */
    while (c->oldest && c->oldest->expires_ns <= now) {
        drop(c, c->oldest);
    }
    if (c->n >= VG_ADMIT_CACHE_MAX) {
        for (size_t i = c->n / 2; i > 0; i--) {
            drop(c, c->oldest);
        }
    }
    size_t b = e->hash & (VG_ADMIT_CACHE_BUCKETS - 1);
    e->chain = c->buckets[b];
    c->buckets[b] = e;
    e->prev = c->newest;
    if (c->newest) {
        c->newest->next = e;
    } else {
        c->oldest = e;
    }
    c->newest = e;
    c->n++;
    pthread_mutex_unlock(&c->mu);
}

size_t
vg_admit_cache_size(struct vg_admit_cache *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->n;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* ---------------------------------------------------------------- keys */

/* Keys are built on every cached request: parts copied, no printf. */
static bool
key_part(struct vg_buf *k, const char *sep, const char *s)
{
    return vg_buf_append(k, sep, strlen(sep), NULL) == 0 &&
           vg_buf_append(k, s, strlen(s), NULL) == 0;
}

/* "QUESTION\nGENERATION\nIMAGE": the start of every key; false over the key limit. */
static bool
key_start(struct vg_buf *k, const char *question, uint64_t gen, const char *image)
{
    char num[24];
    size_t n = sizeof(num);
    num[--n] = '\0';
    do {
        num[--n] = (char)('0' + gen % 10);
        gen /= 10;
    } while (gen);
    return key_part(k, "", question) && key_part(k, "\n", num + n) && key_part(k, "\n", image);
}

char *
vg_admit_cache_key(uint64_t gen, const char *question, const char *image)
{
    struct vg_buf k = VG_BUF_INIT(VG_ADMIT_CACHE_KEY_MAX);
    if (!key_start(&k, question, gen, image)) {
        vg_buf_dispose(&k);
        return NULL;
    }
    return vg_buf_take(&k, NULL);
}

char *
vg_admit_cache_key_verify(uint64_t gen, const char *image, const char *key_pem,
                          const struct vg_policy_kv *ann, size_t nann)
{
    struct vg_buf k = VG_BUF_INIT(VG_ADMIT_CACHE_KEY_MAX);
    bool ok = vg_buf_reserve(&k, strlen(image) + strlen(key_pem) + 64, NULL) == 0 &&
              key_start(&k, "verify", gen, image) && key_part(&k, "\n", key_pem);
    for (size_t i = 0; ok && i < nann; i++) {
        ok = key_part(&k, "\n", ann[i].key) && key_part(&k, "=", ann[i].value);
    }
    if (!ok) {
        vg_buf_dispose(&k);
        return NULL;
    }
    return vg_buf_take(&k, NULL);
}
