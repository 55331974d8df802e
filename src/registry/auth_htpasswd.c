/* SPDX-License-Identifier: Apache-2.0
 *
 * htpasswd files as docker-registry reads them (shared/docs/registry.md §2.1): `user:hash`
 * lines where only bcrypt counts, re-read when the file changes, plus what distribution lacks:
 * a bounded cache of verified credentials so a client that sends Basic on every request pays
 * bcrypt (~65 ms at cost 10) once per credential and TTL instead of once per request.
 *
 * The cache stores no password: an entry is a keyed BLAKE2b (key drawn at open, never leaves
 * the process) of user, password and the stored hash. Including the hash means that a changed
 * or removed entry can never be satisfied from the cache, even before the reload empties it.
 * Failed verifications are not cached, so guessing always costs a bcrypt.
 *
 * Locking: `mu` guards the table, the file identity and the cache; it is never held across
 * bcrypt or file I/O (LOCKING.md).
 */
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

/* A bcrypt hash of a random, forgotten password: unknown users are checked against it (with
 * the cost digits of the file's first entry) so that they take as long as known ones. */
static const char dummy_hash[] = "$2y$10$kGts3RcMSkI5DHGUPntVx.9eYEGQQKAT9jHF5a8xtZJWcKcE7Fuj.";

static int
entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct vg_htpasswd_entry *)a)->user,
                  ((const struct vg_htpasswd_entry *)b)->user);
}

static void
warn(struct vg_htpasswd_file *f, const char *name, unsigned line, const char *user, const char *why)
{
    vg_autofree char *u = vg_escape(user, strlen(user), 64);
    vg_autofree char *w = vg_fmt("%s:%u: user '%s': %s; entry ignored", name, line, u, why);
    vg_strv_push(&f->warnings, &f->nwarnings, w);
}

static const char *
hash_kind(const char *h)
{
    if (vg_cstr_startswith(h, "$apr1$")) {
        return "MD5 ($apr1$, htpasswd -m)";
    }
    if (vg_cstr_startswith(h, "{SHA}")) {
        return "SHA-1 ({SHA}, htpasswd -s)";
    }
    if (vg_cstr_startswith(h, "$2")) {
        return "a malformed or unsupported bcrypt variant";
    }
    if (vg_cstr_startswith(h, "$5$") || vg_cstr_startswith(h, "$6$")) {
        return "SHA-crypt";
    }
    return "crypt(3) or plain text";
}

static int
parse_line(struct vg_htpasswd_file *f, const char *name, unsigned no, struct vg_str line,
           struct vg_err **err)
{
    for (size_t i = 0; i < line.len; i++) {
        unsigned char c = (unsigned char)line.ptr[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return vg_err_set(err, VG_E_PARSE, "%s:%u: control character in the line", name, no);
        }
    }
    struct vg_str user, hash;
    if (!vg_str_cut(line, ':', &user, &hash)) {
        return vg_err_set(err, VG_E_PARSE, "%s:%u: no ':' between user and hash", name, no);
    }
    if (user.len == 0) {
        return vg_err_set(err, VG_E_PARSE, "%s:%u: empty user name", name, no);
    }
    if (user.len > VG_AUTH_USER_MAX) {
        return vg_err_set(err, VG_E_PARSE, "%s:%u: user name longer than %u bytes", name, no,
                          VG_AUTH_USER_MAX);
    }
    vg_autofree char *u = vg_str_dup(user);
    vg_autofree char *h = vg_str_dup(vg_str_trim(hash));
    if (!vg_crypto_bcrypt_hash_valid(h)) {
        vg_autofree char *why = vg_fmt("hash is %s, not bcrypt (htpasswd -B)", hash_kind(h));
        warn(f, name, no, u, why);
        return 0;
    }
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->v[i].user, u) == 0) {
            warn(f, name, no, u, "repeated; the first entry counts");
            return 0;
        }
    }
    VG_ARRAY_GROW(f->v, f->n, 1);
    f->v[f->n++] = (struct vg_htpasswd_entry){vg_steal_ptr(&u), vg_steal_ptr(&h), no};
    return 0;
}

int
vg_htpasswd_parse(struct vg_htpasswd_file *out, const char *name, const void *data, size_t len,
                  struct vg_err **err)
{
    if (len > VG_AUTH_HTPASSWD_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "%s: larger than %u bytes", name, VG_AUTH_HTPASSWD_MAX);
    }
    struct vg_htpasswd_file f = {0};
    struct vg_reader r;
    vg_reader_init(&r, data, len);
    struct vg_str line;
    unsigned no = 0;
    int rc;
    while ((rc = vg_reader_text_line(&r, VG_AUTH_HTPASSWD_LINE_MAX, &line, err)) > 0) {
        no++;
        struct vg_str t = vg_str_trim(line);
        if (t.len == 0 || t.ptr[0] == '#') {
            continue;
        }
        rc = parse_line(&f, name, no, line, err);
        if (rc < 0) {
            break;
        }
    }
    if (rc < 0) {
        vg_htpasswd_file_dispose(&f);
        if (vg_err_code(*err) == VG_E_LIMIT) {
            return vg_err_wrap(err, "%s:%u", name, no + 1);
        }
        return rc;
    }
    vg_qsort(f.v, f.n, sizeof(*f.v), entry_cmp);
    *out = f;
    return 0;
}

void
vg_htpasswd_file_dispose(struct vg_htpasswd_file *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].user);
        free(f->v[i].hash);
    }
    free(f->v);
    vg_strv_free(f->warnings, f->nwarnings);
    memset(f, 0, sizeof(*f));
}

const struct vg_htpasswd_entry *
vg_htpasswd_file_find(const struct vg_htpasswd_file *f, const char *user)
{
    struct vg_htpasswd_entry key = {.user = (char *)(uintptr_t)user};
    return vg_bsearch(&key, f->v, f->n, sizeof(*f->v), entry_cmp);
}

/* ---------------------------------------------------------------- the watched file */

struct cache_ent {
    uint8_t mac[VG_CRYPTO_KEYED_HASH_BYTES];
    uint64_t expires_ns; /* monotonic */
    uint64_t stamp;      /* insertion order: the oldest is evicted */
};

struct file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

struct vg_htpasswd {
    char *path;
    struct vg_htpasswd_opts opts;
    uint8_t key[VG_CRYPTO_KEYED_HASH_KEY_BYTES]; /* immutable after open */
    pthread_mutex_t mu;
    /* guarded by mu: */
    struct vg_htpasswd_file file;
    struct file_id id;
    uint64_t checked_ns;
    struct cache_ent *cache;
    size_t ncache;
    uint64_t stamp;
    struct vg_htpasswd_stats stats;
};

static bool
id_eq(const struct file_id *a, const struct file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static int
load(struct vg_htpasswd_file *out, struct file_id *id, const char *path, struct vg_err **err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        return vg_err_set(err, e == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "htpasswd %s: %s", path,
                          strerror(e));
    }
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_AUTH_HTPASSWD_MAX);
    int rc = vg_file_read(&b, path, VG_AUTH_HTPASSWD_MAX, err);
    if (rc < 0) {
        return vg_err_wrap(err, "htpasswd");
    }
    rc = vg_htpasswd_parse(out, path, b.data, b.len, err);
    if (rc < 0) {
        return rc;
    }
    *id = (struct file_id){st.st_dev, st.st_ino, st.st_size, st.st_mtim};
    for (size_t i = 0; i < out->nwarnings; i++) {
        VG_WARN("registry", "htpasswd %s", out->warnings[i]);
    }
    return 0;
}

int
vg_htpasswd_open(struct vg_htpasswd **out, const char *path, const struct vg_htpasswd_opts *opts,
                 struct vg_err **err)
{
    struct vg_htpasswd *h = vg_calloc(1, sizeof(*h));
    h->opts = opts ? *opts : VG_HTPASSWD_OPTS_INIT;
    int rc = load(&h->file, &h->id, path, err);
    if (rc < 0) {
        free(h);
        return rc;
    }
    h->path = vg_strdup(path);
    h->checked_ns = vg_now_ns();
    vg_crypto_random(h->key, sizeof(h->key));
    pthread_mutex_init(&h->mu, NULL);
    *out = h;
    return 0;
}

void
vg_htpasswd_free(struct vg_htpasswd *h)
{
    if (!h) {
        return;
    }
    pthread_mutex_destroy(&h->mu);
    vg_htpasswd_file_dispose(&h->file);
    vg_crypto_memzero(h->key, sizeof(h->key));
    free(h->cache);
    free(h->path);
    free(h);
}

/* Compares the file's identity (at most every recheck_ms) and swaps in a fresh table when it
 * changed. The stat and the read run unlocked. */
static void
maybe_reload(struct vg_htpasswd *h)
{
    uint64_t now = vg_now_ns();
    pthread_mutex_lock(&h->mu);
    bool due = now - h->checked_ns >= h->opts.recheck_ms * 1000000u;
    if (due) {
        h->checked_ns = now;
    }
    struct file_id cur = h->id;
    pthread_mutex_unlock(&h->mu);
    struct stat st;
    if (!due || stat(h->path, &st) != 0) {
        return; /* a vanished file keeps the last table until it comes back (logged below) */
    }
    struct file_id seen = {st.st_dev, st.st_ino, st.st_size, st.st_mtim};
    if (id_eq(&seen, &cur)) {
        return;
    }
    struct vg_htpasswd_file f = {0};
    struct file_id id;
    vg_autoerr struct vg_err *err = NULL;
    if (load(&f, &id, h->path, &err) < 0) {
        vg_autofree char *m = vg_err_format(err);
        VG_WARN("registry", "reload %s; keeping the previous table", m);
        pthread_mutex_lock(&h->mu);
        h->id = seen; /* do not retry (and warn) until the file changes again */
        pthread_mutex_unlock(&h->mu);
        return;
    }
    pthread_mutex_lock(&h->mu);
    struct vg_htpasswd_file old = h->file;
    h->file = f;
    h->id = id;
    h->ncache = 0;
    h->stats.reloads++;
    pthread_mutex_unlock(&h->mu);
    vg_htpasswd_file_dispose(&old);
    VG_INFO("registry", "htpasswd %s reloaded: %zu users", h->path, f.n);
}

static bool
cache_hit(struct vg_htpasswd *h, const uint8_t mac[VG_CRYPTO_KEYED_HASH_BYTES], uint64_t now)
{
    bool hit = false;
    for (size_t i = 0; i < h->ncache; i++) {
        /* Every entry is compared, in constant time, so the position of a hit is not timed. */
        bool same = vg_crypto_memeq(h->cache[i].mac, mac, VG_CRYPTO_KEYED_HASH_BYTES);
        hit |= same && h->cache[i].expires_ns > now;
    }
    return hit;
}

static void
cache_put(struct vg_htpasswd *h, const uint8_t mac[VG_CRYPTO_KEYED_HASH_BYTES], uint64_t now)
{
    if (h->opts.cache_max == 0) {
        return;
    }
    size_t slot = h->ncache;
    if (h->ncache == h->opts.cache_max) {
        slot = 0;
        for (size_t i = 1; i < h->ncache; i++) {
            if (h->cache[i].expires_ns <= now || h->cache[i].stamp < h->cache[slot].stamp) {
                slot = i;
                if (h->cache[i].expires_ns <= now) {
                    break;
                }
            }
        }
    } else {
        if (!h->cache) {
            h->cache = vg_calloc(h->opts.cache_max, sizeof(*h->cache));
        }
        h->ncache++;
    }
    memcpy(h->cache[slot].mac, mac, VG_CRYPTO_KEYED_HASH_BYTES);
    h->cache[slot].expires_ns = now + h->opts.cache_ttl_ms * 1000000u;
    h->cache[slot].stamp = ++h->stamp;
}

int
vg_htpasswd_check(struct vg_htpasswd *h, const char *user, const struct vg_secret *password,
                  bool *ok, struct vg_err **err)
{
    maybe_reload(h);
    char hash[VG_CRYPTO_BCRYPT_LEN + 1];
    memcpy(hash, dummy_hash, sizeof(hash));
    uint64_t now = vg_now_ns();
    uint8_t mac[VG_CRYPTO_KEYED_HASH_BYTES];
    pthread_mutex_lock(&h->mu);
    const struct vg_htpasswd_entry *e = vg_htpasswd_file_find(&h->file, user);
    if (e) {
        memcpy(hash, e->hash, sizeof(hash));
    } else if (h->file.n) {
        memcpy(hash + 4, h->file.v[0].hash + 4, 2); /* the cost of a real entry */
    }
    bool known = e != NULL;
    pthread_mutex_unlock(&h->mu);
    struct vg_str parts[] = {vg_str_c(user),
                             {(const char *)password->data, password->len},
                             {hash, VG_CRYPTO_BCRYPT_LEN}};
    vg_crypto_keyed_hash(mac, h->key, parts, VG_ARRAY_LEN(parts));
    if (known) {
        pthread_mutex_lock(&h->mu);
        bool hit = cache_hit(h, mac, now);
        h->stats.cache_hits += hit;
        pthread_mutex_unlock(&h->mu);
        if (hit) {
            *ok = true;
            return 0;
        }
    }
    bool match = false;
    int rc = vg_crypto_bcrypt_verify(hash, password->data, password->len, &match, err);
    pthread_mutex_lock(&h->mu);
    h->stats.bcrypt_runs++;
    if (rc == 0 && match && known) {
        cache_put(h, mac, now);
    }
    pthread_mutex_unlock(&h->mu);
    if (rc < 0) {
        return vg_err_wrap(err, "htpasswd");
    }
    *ok = match && known;
    return 0;
}

bool
vg_htpasswd_has(struct vg_htpasswd *h, const char *user)
{
    maybe_reload(h);
    pthread_mutex_lock(&h->mu);
    bool known = vg_htpasswd_file_find(&h->file, user) != NULL;
    pthread_mutex_unlock(&h->mu);
    return known;
}

void
vg_htpasswd_stats(struct vg_htpasswd *h, struct vg_htpasswd_stats *out)
{
    pthread_mutex_lock(&h->mu);
    *out = h->stats;
    pthread_mutex_unlock(&h->mu);
}
