/* SPDX-License-Identifier: Apache-2.0
 *
 * A directory tree walked as if it were one layer (index 0, no digests): `vigil fs` and
 * `vigil rootfs` feed the same consumers the layer walk feeds, with the same want/deliver
 * contract (layers.h), so every analyzer works unchanged on an unpacked root filesystem or a
 * source checkout.
 *
 * Everything is resolved beneath directory file descriptors (openat, fstatat with
 * AT_SYMLINK_NOFOLLOW, O_NOFOLLOW): a symbolic link is reported as a link entry with its
 * target verbatim and never followed, so nothing outside DIR is read and a symlink loop is
 * just two link entries. Bind mounts can still loop: a directory already on the current path
 * (same device and inode) is skipped with a note. Unreadable directories and files, files that
 * change type while being read, names past VG_LIMIT_PATH_BYTES and trees deeper than
 * VG_LAYERS_DIR_MAX_DEPTH are skipped with a note and counted (skipped_unsafe); none stops the
 * walk. Entries of a directory are visited in byte order of their names, so a walk is
 * deterministic. Only the whole-walk bounds are errors: VG_LIMIT_LAYER_ENTRIES entries
 * (VG_E_LIMIT) and the deadline (VG_E_NET), as for a layer.
 */
#include "layers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/glob.h"

#define NOTE_MAX       20 /* notes shown; the rest are counted */
#define NAME_SHOWN_MAX 200
#define READ_CHUNK     (256u * 1024u)

struct dwalk {
    const char *root;
    const struct vg_layers_dir_opts *o;
    struct vg_layer_consumer *const *cons;
    size_t ncons;
    enum vg_layer_want *wants;
    struct vg_layer_stats *st;
    char *path; /* the current relative path, VG_LIMIT_PATH_BYTES + 1 */
    uint8_t *chunk;
    struct {
        dev_t dev;
        ino_t ino;
    } stack[VG_LAYERS_DIR_MAX_DEPTH + 1];
    size_t depth;
    uint64_t entries;
};

static void note(struct dwalk *w, const char *path, const char *fmt, ...) VG_PRINTF(3, 4);

static void
note(struct dwalk *w, const char *path, const char *fmt, ...)
{
    w->st->skipped_unsafe++;
    if (w->o->quiet || w->st->skipped_unsafe > NOTE_MAX) {
        if (!w->o->quiet && w->st->skipped_unsafe == NOTE_MAX + 1) {
            VG_WARN("layers", "%s: more entries skipped (counted, not shown)", w->root);
        }
        return;
    }
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (n < 0) {
        why[0] = '\0';
    }
    vg_autofree char *e = vg_escape(path, strlen(path), NAME_SHOWN_MAX);
    VG_WARN("layers", "%s: skipping '%s': %s", w->root, *e ? e : ".", why);
}

static size_t
consumer_max(const struct vg_layer_consumer *c)
{
    return c->max_file_bytes ? c->max_file_bytes : VG_LIMIT_ANALYZER_FILE_BYTES;
}

static int
consumer_fail(struct dwalk *w, const struct vg_layer_consumer *c, struct vg_err **err)
{
    vg_autofree char *e = vg_escape(w->path, strlen(w->path), NAME_SHOWN_MAX);
    return vg_err_wrap(err, "%s: at '%s': consumer %s", w->root, e, c->name ? c->name : "?");
}

/* Asks every consumer; returns whether the content must be read. */
static bool
collect_wants(struct dwalk *w, const struct vg_layer_file *f, bool *any, bool *whole)
{
    bool content = false;
    *any = *whole = false;
    for (size_t i = 0; i < w->ncons; i++) {
        const struct vg_layer_consumer *c = w->cons[i];
        enum vg_layer_want wt = c->want ? c->want(c->ctx, f) : VG_WANT_NONE;
        if (wt == VG_WANT_WHOLE && S_ISREG(f->mode) && f->size > consumer_max(c)) {
            vg_autofree char *e = vg_escape(f->path, strlen(f->path), NAME_SHOWN_MAX);
            VG_WARN("layers", "%s: file '%s' (%llu bytes) exceeds %zu bytes: skipped for %s",
                    w->root, e, (unsigned long long)f->size, consumer_max(c),
                    c->name ? c->name : "?");
            wt = VG_WANT_NONE;
        }
        w->wants[i] = wt;
        *any = *any || wt != VG_WANT_NONE;
        if (S_ISREG(f->mode) && (wt == VG_WANT_STREAM || wt == VG_WANT_WHOLE)) {
            content = true;
            *whole = *whole || wt == VG_WANT_WHOLE;
        }
    }
    return content;
}

static int
stream_chunk(struct dwalk *w, const struct vg_layer_file *f, const uint8_t *d, size_t n,
             struct vg_err **err)
{
    for (size_t i = 0; i < w->ncons; i++) {
        const struct vg_layer_consumer *c = w->cons[i];
        if (w->wants[i] == VG_WANT_STREAM && c->on_chunk && c->on_chunk(c->ctx, f, d, n, err) < 0) {
            return consumer_fail(w, c, err);
        }
    }
    return 0;
}

/* Reads at most f->size bytes of fd, feeding STREAM consumers and filling `whole`; *got is
 * what was read (less when the file shrank meanwhile). 1: read; 0: unreadable (noted). */
static int
read_content(struct dwalk *w, int fd, const struct vg_layer_file *f, uint8_t *whole, size_t *got,
             struct vg_err **err)
{
    uint64_t off = 0;
    while (off < f->size) {
        size_t want = f->size - off < READ_CHUNK ? (size_t)(f->size - off) : READ_CHUNK;
        uint8_t *dst = whole ? whole + off : w->chunk;
        ssize_t n = read(fd, dst, want);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            note(w, f->path, "read: %s", strerror(errno));
            return 0;
        }
        if (n == 0) {
            break;
        }
        if (stream_chunk(w, f, dst, (size_t)n, err) < 0) {
            return -1;
        }
        off += (uint64_t)n;
    }
    *got = (size_t)off;
    return 1;
}

/* Opens a regular file found by fstatat: the same file (no swap for a link or a FIFO between
 * the stat and the open), without blocking. -1: noted and skipped. */
static int
open_regular(struct dwalk *w, int dirfd, const char *name, const struct stat *seen)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        note(w, w->path, "open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != seen->st_ino ||
        st.st_dev != seen->st_dev) {
        note(w, w->path, "changed while being read");
        close(fd);
        return -1;
    }
    return fd;
}

static int
deliver(struct dwalk *w, struct vg_layer_file *f, int dirfd, const char *name, const struct stat *s,
        struct vg_err **err)
{
    bool any, want_whole;
    bool content = collect_wants(w, f, &any, &want_whole);
    if (!any) {
        return 0;
    }
    vg_autofree uint8_t *whole = NULL;
    if (content) {
        int fd = open_regular(w, dirfd, name, s);
        if (fd < 0) {
            return 0;
        }
        /* f->size is within the largest WHOLE consumer's limit here (collect_wants). */
        whole = want_whole ? vg_calloc((size_t)f->size + 1, 1) : NULL;
        size_t got = 0;
        int rc = read_content(w, fd, f, whole, &got, err);
        close(fd);
        if (rc <= 0) {
            return rc;
        }
        f->size = got;
    }
    for (size_t i = 0; i < w->ncons; i++) {
        const struct vg_layer_consumer *c = w->cons[i];
        int rc = 0;
        if (w->wants[i] == VG_WANT_META || w->wants[i] == VG_WANT_WHOLE) {
            const uint8_t *d = w->wants[i] == VG_WANT_WHOLE && content ? whole : NULL;
            rc = c->on_file ? c->on_file(c->ctx, f, d, d ? (size_t)f->size : 0, err) : 0;
        } else if (w->wants[i] == VG_WANT_STREAM) {
            rc = c->on_chunk ? c->on_chunk(c->ctx, f, NULL, 0, err) : 0;
        }
        if (rc < 0) {
            return consumer_fail(w, c, err);
        }
    }
    return 0;
}

static bool
skip_dir(const struct dwalk *w, const char *path)
{
    for (size_t i = 0; i < w->o->nskip_dirs; i++) {
        if (vg_glob_match_dir(w->o->skip_dirs[i], path)) {
            return true;
        }
    }
    return false;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in an open directory, sorted; NULL (noted) when it cannot be listed. */
static char **
list_dir(struct dwalk *w, int fd, size_t *n)
{
    *n = 0;
    int dfd = dup(fd);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        note(w, w->path, "list: %s", strerror(errno));
        if (dfd >= 0) {
            close(dfd);
        }
        return NULL;
    }
    char **v = NULL;
    size_t cap = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        v = vg_vec_grow(v, &cap, *n, 1, sizeof(*v));
        v[(*n)++] = vg_strdup(de->d_name);
        errno = 0;
    }
    if (errno != 0) {
        note(w, w->path, "list: %s", strerror(errno));
    }
    closedir(d);
    if (*n) {
        vg_qsort(v, *n, sizeof(*v), name_cmp);
    }
    return v;
}

static int walk_dir(struct dwalk *w, int fd, size_t plen, struct vg_err **err);

static int
walk_entry(struct dwalk *w, int dirfd, const char *name, size_t plen, struct vg_err **err)
{
    size_t nlen = strlen(name);
    size_t full = plen + (plen ? 1 : 0) + nlen;
    if (full > VG_LIMIT_PATH_BYTES) {
        note(w, w->path, "a name under it is longer than %u bytes", VG_LIMIT_PATH_BYTES);
        return 0;
    }
    if (plen) {
        w->path[plen] = '/';
    }
    memcpy(w->path + plen + (plen ? 1 : 0), name, nlen + 1);
    if (++w->entries > VG_LIMIT_LAYER_ENTRIES) {
        return vg_err_set(err, VG_E_LIMIT, "%s: more than %u entries", w->root,
                          VG_LIMIT_LAYER_ENTRIES);
    }
    if (w->o->deadline_ns && (w->entries & 255u) == 0 && vg_now_ns() >= w->o->deadline_ns) {
        return vg_err_set(err, VG_E_NET, "%s: time limit reached while walking the tree", w->root);
    }
    struct stat s;
    if (fstatat(dirfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0) {
        note(w, w->path, "stat: %s", strerror(errno));
        return 0;
    }
    char link[VG_LIMIT_PATH_BYTES + 1];
    struct vg_layer_file f = {.path = w->path,
                              .size = S_ISREG(s.st_mode) ? (uint64_t)s.st_size : 0,
                              .mode = (uint32_t)s.st_mode,
                              .uid = (uint32_t)s.st_uid,
                              .gid = (uint32_t)s.st_gid,
                              .mtime = (int64_t)s.st_mtime};
    if (S_ISLNK(s.st_mode)) {
        ssize_t n = readlinkat(dirfd, name, link, sizeof(link) - 1);
        if (n < 0) {
            note(w, w->path, "readlink: %s", strerror(errno));
            return 0;
        }
        link[n] = '\0';
        f.linkname = link;
    }
    w->st->files++;
    if (S_ISDIR(s.st_mode) && skip_dir(w, w->path)) {
        return 0;
    }
    if (deliver(w, &f, dirfd, name, &s, err) < 0) {
        return -1;
    }
    if (!S_ISDIR(s.st_mode)) {
        return 0;
    }
    for (size_t i = 0; i <= w->depth; i++) {
        if (w->stack[i].dev == s.st_dev && w->stack[i].ino == s.st_ino) {
            note(w, w->path, "directory loop (a bind mount of an ancestor)");
            return 0;
        }
    }
    if (w->depth >= VG_LAYERS_DIR_MAX_DEPTH) {
        note(w, w->path, "deeper than %u directories", VG_LAYERS_DIR_MAX_DEPTH);
        return 0;
    }
    int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
        note(w, w->path, "open: %s", strerror(errno));
        return 0;
    }
    w->depth++;
    w->stack[w->depth].dev = s.st_dev;
    w->stack[w->depth].ino = s.st_ino;
    int rc = walk_dir(w, sub, full, err);
    w->depth--;
    close(sub);
    return rc;
}

static int
walk_dir(struct dwalk *w, int fd, size_t plen, struct vg_err **err)
{
    size_t n;
    char **names = list_dir(w, fd, &n);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = walk_entry(w, fd, names[i], plen, err);
        w->path[plen] = '\0';
    }
    vg_strv_free(names, n);
    return rc;
}

int
vg_layers_walk_dir(struct vg_layer_stats *stats, const char *root,
                   struct vg_layer_consumer *const *consumers, size_t nconsumers,
                   const struct vg_layers_dir_opts *opts, struct vg_err **err)
{
    struct vg_layers_dir_opts def = {0};
    struct vg_layer_stats st_local;
    struct vg_layer_stats *st = stats ? stats : &st_local;
    memset(st, 0, sizeof(*st));
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "open directory %s",
                          root);
    }
    struct stat s;
    if (fstat(fd, &s) < 0) {
        int e = vg_err_sys(err, VG_E_IO, "stat %s", root);
        close(fd);
        return e;
    }
    struct dwalk *w = vg_calloc(1, sizeof(*w));
    w->root = root;
    w->o = opts ? opts : &def;
    w->cons = consumers;
    w->ncons = nconsumers;
    w->wants = vg_calloc(nconsumers ? nconsumers : 1, sizeof(*w->wants));
    w->st = st;
    w->path = vg_calloc(VG_LIMIT_PATH_BYTES + 2, 1);
    w->chunk = vg_malloc(READ_CHUNK);
    w->stack[0].dev = s.st_dev;
    w->stack[0].ino = s.st_ino;
    memcpy(st->compression, "none", 5);
    int rc = walk_dir(w, fd, 0, err);
    close(fd);
    free(w->wants);
    free(w->path);
    free(w->chunk);
    free(w);
    return rc;
}
