/* SPDX-License-Identifier: Apache-2.0
 *
 * The revocation response cache of Notary Project verification (docs/notation.md "Revocation"):
 * OCSP responses and CRLs as fetched, keyed by SHA-256 of (kind, URL, OCSP request), kept until
 * their nextUpdate so that repeated verifications ask a responder once. A response is cached
 * only after it verified and gave a status; on use it is verified again (notation_revoke.c),
 * so a cache entry proves nothing by itself and a file planted on disk can only cost a fetch.
 * A revoked status (other than certificateHold) is "sticky": it stays usable after nextUpdate,
 * checked at the time it was fetched, since a revocation is final.
 *
 * Two layers: memory (every process; the webhook and the registry keep theirs for their
 * lifetime) and, when configured (the CLI), files under DIR (vg_cache_dir()/notation-revocation),
 * one per key, written atomically (temporary file + rename). Both are bounded in entries and
 * bytes; over a bound the expired non-sticky entries go first, then the least recently used
 * (memory) or oldest written (disk).
 *
 * Threads: the memory layer and the configuration are guarded by `mu`; every function here may
 * be called from any thread. Fetching happens outside the lock, so two threads missing the same
 * key at once both fetch (the second put replaces the first). vg_notation_revocation_configure
 * is meant for start-up, before verifications run, but is safe at any time.
 *
 * Disk format (little endian): "VGRC0001", int64 fetched, int64 expires, uint8 sticky, 7 zero
 * bytes, then the DER response (decoded by vg_notation__rcache_decode).
 */
#include "notation_int.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RC_MAGIC        "VGRC0001"
#define RC_HEADER       32u
#define RC_ENTRIES_DFLT 1024u
#define RC_BYTES_DFLT   (64u * 1024u * 1024u)

struct rc_entry {
    uint8_t key[32];
    uint8_t *data;
    size_t len;
    struct vg_notation__rcache_meta meta;
    uint64_t used; /* LRU tick */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct vg_notation_revocation_config cfg; /* guarded by mu; cache_dir is dir's */
static char *dir_owned;                          /* guarded by mu */
static struct rc_entry *entries;                 /* guarded by mu */
static size_t nentries, nbytes;                  /* guarded by mu */
static uint64_t tick;                            /* guarded by mu */

static size_t
max_entries(void)
{
    return cfg.max_entries ? cfg.max_entries : RC_ENTRIES_DFLT;
}

static size_t
max_bytes(void)
{
    return cfg.max_bytes ? cfg.max_bytes : RC_BYTES_DFLT;
}

static void
drop_locked(size_t i)
{
    nbytes -= entries[i].len;
    free(entries[i].data);
    entries[i] = entries[--nentries];
}

void
vg_notation_revocation_configure(const struct vg_notation_revocation_config *c)
{
    pthread_mutex_lock(&mu);
    free(dir_owned);
    cfg = c ? *c : (struct vg_notation_revocation_config){0};
    dir_owned = c && c->cache_dir ? vg_strdup(c->cache_dir) : NULL;
    cfg.cache_dir = dir_owned;
    while (nentries) {
        drop_locked(nentries - 1);
    }
    free(entries);
    entries = NULL;
    pthread_mutex_unlock(&mu);
}

/* The disk layer's directory now (caller frees), NULL for memory only. vg_cache_dir() is read
 * at use: the CLI's --cache-dir is parsed after start-up. */
static char *
dir_locked(void)
{
    if (cfg.cache_dir) {
        return vg_strdup(cfg.cache_dir);
    }
    if (!cfg.disk) {
        return NULL;
    }
    vg_autofree char *base = vg_cache_dir();
    return base ? vg_fmt("%s/notation-revocation", base) : NULL;
}

void
vg_notation__revocation_settings(bool *skip, uint32_t *timeout_ms)
{
    pthread_mutex_lock(&mu);
    *skip = cfg.skip;
    *timeout_ms = cfg.timeout_ms;
    pthread_mutex_unlock(&mu);
}

size_t
vg_notation_revocation_cache_entries(void)
{
    pthread_mutex_lock(&mu);
    size_t n = nentries;
    pthread_mutex_unlock(&mu);
    return n;
}

void
vg_notation__rcache_key(uint8_t key[32], bool ocsp, const char *url, const void *req, size_t len)
{
    size_t ul = strlen(url);
    uint8_t *b = vg_malloc(5 + ul + 1 + len);
    memcpy(b, ocsp ? "ocsp" : "crl\0", 5); /* 4 bytes and a NUL */
    memcpy(b + 5, url, ul + 1);
    if (len) {
        memcpy(b + 6 + ul, req, len);
    }
    vg_sha256_raw(key, b, 5 + ul + 1 + len);
    free(b);
}

/* ---------------------------------------------------------------- disk */

static void
put_i64(uint8_t *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(u >> (8 * i));
    }
}

static int64_t
get_i64(const uint8_t *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) {
        u |= (uint64_t)p[i] << (8 * i);
    }
    return (int64_t)u;
}

int
vg_notation__rcache_decode(struct vg_notation__rcache_meta *m, const uint8_t **der, size_t *derlen,
                           const uint8_t *data, size_t len, struct vg_err **err)
{
    if (len <= RC_HEADER || memcmp(data, RC_MAGIC, 8) != 0) {
        return vg_err_set(err, VG_E_PARSE, "revocation cache entry: no %s header (%zu bytes)",
                          RC_MAGIC, len);
    }
    if (len - RC_HEADER > VG_X509_CRL_MAX || data[24] > 1) {
        return vg_err_set(err, VG_E_PARSE, "revocation cache entry: bad size or flags");
    }
    for (size_t i = 25; i < RC_HEADER; i++) {
        if (data[i]) {
            return vg_err_set(err, VG_E_PARSE, "revocation cache entry: reserved byte %zu set", i);
        }
    }
    m->fetched = get_i64(data + 8);
    m->expires = get_i64(data + 16);
    m->sticky = data[24] == 1;
    if (m->fetched <= 0 || m->expires < m->fetched) {
        return vg_err_set(err, VG_E_PARSE, "revocation cache entry: bad times");
    }
    *der = data + RC_HEADER;
    *derlen = len - RC_HEADER;
    return 0;
}

static char *
file_of(const char *dir, const uint8_t key[32])
{
    char hex[65];
    vg_hex_encode(hex, key, 32);
    return vg_fmt("%s/%s.der", dir, hex);
}

struct rc_file {
    char *path;
    int64_t mtime;
    off_t size;
    bool expired;
};

static int
rc_file_cmp(const void *a, const void *b)
{
    const struct rc_file *x = a, *y = b;
    if (x->expired != y->expired) {
        return x->expired ? -1 : 1;
    }
    return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/* Trims dir (its NNN.der files) to the bounds: expired files first, then those expiring
 * soonest; a file's mtime is its expiry (disk_put sets it), so no file is read. Errors are
 * ignored: it is a cache. */
static void
disk_trim(const char *dir, size_t maxn, size_t maxb, int64_t now)
{
    DIR *d = opendir(dir);
    if (!d) {
        return;
    }
    struct rc_file *v = NULL;
    size_t n = 0, total = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 100000u) {
        size_t l = strlen(de->d_name);
        if (l != 68 || strcmp(de->d_name + 64, ".der") != 0) {
            continue;
        }
        char *p = vg_fmt("%s/%s", dir, de->d_name);
        struct stat st;
        if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(p);
            continue;
        }
        /* the file's mtime is set to its expiry when written (see disk_put) */
        struct rc_file f = {p, (int64_t)st.st_mtime, st.st_size, (int64_t)st.st_mtime < now};
        VG_ARRAY_PUSH(v, n, f);
        total += (size_t)st.st_size;
    }
    closedir(d);
    vg_qsort(v, n, sizeof(*v), rc_file_cmp);
    size_t left = n;
    for (size_t i = 0; i < n; i++) {
        if (left > maxn || total > maxb) {
            (void)unlink(v[i].path);
            left--;
            total -= (size_t)v[i].size;
        }
        free(v[i].path);
    }
    free(v);
}

static void
disk_put(const char *dir, const uint8_t key[32], const void *data, size_t len,
         const struct vg_notation__rcache_meta *m, size_t maxn, size_t maxb)
{
    vg_autoerr struct vg_err *e = NULL;
    if (vg_mkdir_p(dir, 0700, &e) < 0) {
        return;
    }
    uint8_t *b = vg_calloc(1, RC_HEADER + len);
    memcpy(b, RC_MAGIC, 8);
    put_i64(b + 8, m->fetched);
    put_i64(b + 16, m->expires);
    b[24] = m->sticky ? 1 : 0;
    memcpy(b + RC_HEADER, data, len);
    vg_autofree char *path = file_of(dir, key);
    if (vg_file_write_atomic(path, b, RC_HEADER + len, 0600, &e) == 0) {
        /* mtime = expiry (sticky: far future) lets the trim rank files without reading them */
        struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT},
                                 {.tv_sec = m->sticky ? INT32_MAX : (time_t)m->expires}};
        (void)utimensat(AT_FDCWD, path, ts, 0);
    }
    free(b);
    disk_trim(dir, maxn, maxb, m->fetched);
}

static bool
disk_get(const char *dir, const uint8_t key[32], struct vg_buf *out,
         struct vg_notation__rcache_meta *m)
{
    vg_autofree char *path = file_of(dir, key);
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_X509_CRL_MAX + RC_HEADER);
    vg_autoerr struct vg_err *e = NULL;
    const uint8_t *der = NULL;
    size_t dl = 0;
    if (!vg_path_exists(path) || vg_file_read(&b, path, VG_X509_CRL_MAX + RC_HEADER, &e) < 0 ||
        vg_notation__rcache_decode(m, &der, &dl, b.data, b.len, &e) < 0) {
        return false;
    }
    return vg_buf_append(out, der, dl, &e) == 0;
}

/* ---------------------------------------------------------------- memory */

/* Makes room for len more bytes in memory: expired non-sticky entries, then the LRU. */
static void
make_room_locked(size_t len, int64_t now)
{
    for (size_t i = nentries; i-- > 0;) {
        if (!entries[i].meta.sticky && entries[i].meta.expires < now) {
            drop_locked(i);
        }
    }
    while (nentries && (nentries + 1 > max_entries() || nbytes + len > max_bytes())) {
        size_t lru = 0;
        for (size_t i = 1; i < nentries; i++) {
            lru = entries[i].used < entries[lru].used ? i : lru;
        }
        drop_locked(lru);
    }
}

static void
mem_put_locked(const uint8_t key[32], const void *data, size_t len,
               const struct vg_notation__rcache_meta *m)
{
    for (size_t i = 0; i < nentries; i++) {
        if (memcmp(entries[i].key, key, 32) == 0) {
            drop_locked(i);
            break;
        }
    }
    if (len > max_bytes()) {
        return;
    }
    make_room_locked(len, m->fetched);
    struct rc_entry e = {.data = vg_memdup(data, len), .len = len, .meta = *m, .used = ++tick};
    memcpy(e.key, key, 32);
    VG_ARRAY_PUSH(entries, nentries, e);
    nbytes += len;
}

bool
vg_notation__rcache_get(const uint8_t key[32], struct vg_buf *out,
                        struct vg_notation__rcache_meta *m)
{
    vg_autoerr struct vg_err *e = NULL;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < nentries; i++) {
        if (memcmp(entries[i].key, key, 32) == 0) {
            entries[i].used = ++tick;
            *m = entries[i].meta;
            bool ok = vg_buf_append(out, entries[i].data, entries[i].len, &e) == 0;
            pthread_mutex_unlock(&mu);
            return ok;
        }
    }
    vg_autofree char *dir = dir_locked();
    pthread_mutex_unlock(&mu);
    if (!dir || !disk_get(dir, key, out, m)) {
        return false;
    }
    pthread_mutex_lock(&mu);
    mem_put_locked(key, out->data, out->len, m);
    pthread_mutex_unlock(&mu);
    return true;
}

void
vg_notation__rcache_put(const uint8_t key[32], const void *data, size_t len,
                        const struct vg_notation__rcache_meta *m)
{
    pthread_mutex_lock(&mu);
    mem_put_locked(key, data, len, m);
    vg_autofree char *dir = dir_locked();
    size_t maxn = max_entries(), maxb = max_bytes();
    pthread_mutex_unlock(&mu);
    if (dir) {
        disk_put(dir, key, data, len, m, maxn, maxb);
    }
}
