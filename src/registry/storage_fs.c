/* SPDX-License-Identifier: Apache-2.0
 *
 * The filesystem storage driver (see storage.h for the layout and the guarantees). Every path
 * is relative to the root's directory fd, built from a validated digest or session id, and
 * opened with O_NOFOLLOW, so neither a crafted name nor a planted symlink reaches outside the
 * root. It does not know repositories: visibility is the metadata store's business.
 */
#include "registry/storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

struct fs {
    struct vg_registry_storage base;
    int rootfd;
    char *root;
};

struct fs_rhandle {
    struct vg_registry_rhandle base;
    int fd;
};

struct fs_writer {
    struct vg_registry_writer base;
    int fd;
    uint64_t kicked; /* file offset up to which writeback was started (sync_file_range) */
    uint64_t waited; /* ... and up to which it was waited for */
};

/* Writeback of an upload starts every WRITEBACK_STEP bytes while it streams in, so the fsync
 * at publish (which crash safety needs, and which the client waits for) finds most of the
 * blob on disk already instead of flushing all of it then: a 120 MB layer's publish fsync
 * drops from ~0.2 s to the last few MB. Only a hint: the fsync still decides durability. */
#define WRITEBACK_STEP (4u * 1024u * 1024u)

bool
vg_registry_upload_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > VG_REGISTRY_UPLOAD_ID_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_')) {
            return false;
        }
    }
    return true;
}

void
vg_registry_upload_id_new(char out[33])
{
    uint8_t raw[16];
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n < 0 && errno != EINTR) {
            abort(); /* the kernel's CSPRNG is not optional: ids must not be guessable */
        }
        got += n > 0 ? (size_t)n : 0;
    }
    vg_hex_encode(out, raw, sizeof(raw));
}

void
vg_registry_storage_free(struct vg_registry_storage *s)
{
    if (s) {
        s->ops->free(s);
    }
}

void
vg_registry_rhandle_free(struct vg_registry_rhandle *h)
{
    if (h) {
        h->ops->free(h);
    }
}

void
vg_registry_writer_free(struct vg_registry_writer *w)
{
    if (w) {
        w->ops->free(w);
    }
}

/* "blobs/sha256/ab/abcd..." into out; the digest is validated, so the hex is [0-9a-f]+. */
static void
blob_path(char *out, size_t cap, const struct vg_digest *d)
{
    const char *hex = vg_digest_hex(d);
    const char *alg = d->alg == VG_DIGEST_SHA512 ? "sha512" : "sha256";
    snprintf(out, cap, "blobs/%s/%.2s/%s", alg, hex, hex);
}

static int
upload_path(char *out, size_t cap, const char *id, struct vg_err **err)
{
    if (!vg_registry_upload_id_valid(id)) {
        return vg_err_set(err, VG_E_USAGE, "invalid upload session id");
    }
    snprintf(out, cap, "uploads/%s", id);
    return 0;
}

static int
fsync_dirat(int rootfd, const char *dir)
{
    int fd = openat(rootfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* mkdir of each component of dir below the root; new directories are made durable by syncing
 * their parent. */
static int
mkdirs_at(int rootfd, const char *dir, struct vg_err **err)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", dir);
    for (char *p = buf;; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }
        char saved = *p;
        *p = '\0';
        if (mkdirat(rootfd, buf, 0755) == 0) {
            char *slash = strrchr(buf, '/');
            if (slash) {
                *slash = '\0';
                (void)fsync_dirat(rootfd, buf);
                *slash = '/';
            } else {
                (void)fsync(rootfd);
            }
        } else if (errno != EEXIST) {
            return vg_err_sys(err, VG_E_IO, "storage: create directory %s", buf);
        }
        *p = saved;
        if (saved == '\0') {
            return 0;
        }
    }
}

/* ---------------------------------------------------------------- read handles */

static int
fs_rh_read(struct vg_registry_rhandle *h, uint64_t off, void *buf, size_t n, size_t *got,
           struct vg_err **err)
{
    struct fs_rhandle *fh = (struct fs_rhandle *)h;
    for (;;) {
        ssize_t k = pread(fh->fd, buf, n, (off_t)off);
        if (k >= 0) {
            *got = (size_t)k;
            return 0;
        }
        if (errno != EINTR) {
            return vg_err_sys(err, VG_E_IO, "storage: read blob");
        }
    }
}

static int
fs_rh_take_fd(struct vg_registry_rhandle *h)
{
    struct fs_rhandle *fh = (struct fs_rhandle *)h;
    int fd = fh->fd;
    fh->fd = -1;
    return fd;
}

static void
fs_rh_free(struct vg_registry_rhandle *h)
{
    struct fs_rhandle *fh = (struct fs_rhandle *)h;
    if (fh->fd >= 0) {
        close(fh->fd);
    }
    free(fh);
}

static const struct vg_registry_rhandle_ops fs_rh_ops = {fs_rh_read, fs_rh_take_fd, fs_rh_free};

static int
open_rhandle(struct fs *fs, const char *rel, struct vg_registry_rhandle **out, struct vg_err **err)
{
    int fd = openat(fs->rootfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "storage: open %s", rel);
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return vg_err_set(err, VG_E_IO, "storage: %s is not a regular file", rel);
    }
    struct fs_rhandle *h = vg_calloc(1, sizeof(*h));
    h->base.ops = &fs_rh_ops;
    h->base.size = (uint64_t)st.st_size;
    h->fd = fd;
    *out = &h->base;
    return 0;
}

/* ---------------------------------------------------------------- writers */

static int
fs_w_write(struct vg_registry_writer *w, const void *p, size_t n, struct vg_err **err)
{
    struct fs_writer *fw = (struct fs_writer *)w;
    if (vg_fd_write_all(fw->fd, p, n) < 0) {
        return vg_err_sys(err, VG_E_IO, "storage: write upload");
    }
    w->written += n;
    uint64_t end = w->start + w->written;
    if (end - fw->kicked >= WRITEBACK_STEP) {
        /* Starts writing this step out and waits for the one before it, which had a whole step
         * of network time to reach the disk: at most two steps are left for the fsync. Errors
         * (a filesystem without it) are ignored: the fsync at publish reports real ones. */
        (void)sync_file_range(fw->fd, (off_t)fw->kicked, (off_t)(end - fw->kicked),
                              SYNC_FILE_RANGE_WRITE);
        if (fw->kicked > fw->waited) {
            (void)sync_file_range(fw->fd, (off_t)fw->waited, (off_t)(fw->kicked - fw->waited),
                                  SYNC_FILE_RANGE_WAIT_BEFORE);
            fw->waited = fw->kicked;
        }
        fw->kicked = end;
    }
    return 0;
}

static void
fs_w_abort(struct vg_registry_writer *w)
{
    struct fs_writer *fw = (struct fs_writer *)w;
    if (ftruncate(fw->fd, (off_t)w->start) == 0) {
        w->written = 0;
        fw->kicked = fw->waited = w->start;
    }
}

static void
fs_w_free(struct vg_registry_writer *w)
{
    struct fs_writer *fw = (struct fs_writer *)w;
    if (fw->fd >= 0) {
        /* The body is in: start writing out its last, unkicked part now, while the client
         * turns around to send the closing PUT whose fsync waits for it. A hint, as above. */
        uint64_t end = w->start + w->written;
        if (end > fw->kicked) {
            (void)sync_file_range(fw->fd, (off_t)fw->kicked, (off_t)(end - fw->kicked),
                                  SYNC_FILE_RANGE_WRITE);
        }
        close(fw->fd);
    }
    free(fw);
}

static const struct vg_registry_writer_ops fs_w_ops = {fs_w_write, fs_w_abort, fs_w_free};

/* ---------------------------------------------------------------- driver */

static int
fs_blob_stat(struct vg_registry_storage *s, const struct vg_digest *d, uint64_t *size,
             struct vg_err **err)
{
    struct fs *fs = (struct fs *)s;
    char rel[300];
    blob_path(rel, sizeof(rel), d);
    struct stat st;
    if (fstatat(fs->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "storage: blob %s",
                          d->text);
    }
    if (!S_ISREG(st.st_mode)) {
        return vg_err_set(err, VG_E_IO, "storage: blob %s is not a regular file", d->text);
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

static int
fs_blob_open(struct vg_registry_storage *s, const struct vg_digest *d,
             struct vg_registry_rhandle **out, struct vg_err **err)
{
    char rel[300];
    blob_path(rel, sizeof(rel), d);
    return open_rhandle((struct fs *)s, rel, out, err);
}

static int
fs_upload_create(struct vg_registry_storage *s, const char *id, struct vg_err **err)
{
    struct fs *fs = (struct fs *)s;
    char rel[96];
    if (upload_path(rel, sizeof(rel), id, err) < 0) {
        return -1;
    }
    int fd = openat(fs->rootfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        return vg_err_sys(err, VG_E_IO, "storage: create upload");
    }
    close(fd);
    return 0;
}

static int
fs_upload_open(struct vg_registry_storage *s, const char *id, uint64_t offset,
               struct vg_registry_writer **out, struct vg_err **err)
{
    struct fs *fs = (struct fs *)s;
    char rel[96];
    if (upload_path(rel, sizeof(rel), id, err) < 0) {
        return -1;
    }
    int fd = openat(fs->rootfd, rel, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "storage: open upload");
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return vg_err_set(err, VG_E_IO, "storage: upload is not a regular file");
    }
    if ((uint64_t)st.st_size < offset) {
        close(fd);
        return vg_err_set(err, VG_E_VERIFY,
                          "storage: upload holds %llu bytes, fewer than its offset %llu",
                          (unsigned long long)st.st_size, (unsigned long long)offset);
    }
    if (((uint64_t)st.st_size > offset && ftruncate(fd, (off_t)offset) < 0) ||
        lseek(fd, (off_t)offset, SEEK_SET) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return vg_err_sys(err, VG_E_IO, "storage: position upload");
    }
    struct fs_writer *w = vg_calloc(1, sizeof(*w));
    w->base.ops = &fs_w_ops;
    w->base.start = offset;
    w->fd = fd;
    w->kicked = w->waited = offset;
    *out = &w->base;
    return 0;
}

static int
fs_upload_read(struct vg_registry_storage *s, const char *id, struct vg_registry_rhandle **out,
               struct vg_err **err)
{
    char rel[96];
    if (upload_path(rel, sizeof(rel), id, err) < 0) {
        return -1;
    }
    return open_rhandle((struct fs *)s, rel, out, err);
}

/* Renames the synced file rel to the blob d, then syncs the blob's directory. A blob already
 * there has the same verified content: the rename replaces it harmlessly. */
static int
publish(struct fs *fs, const char *rel, const struct vg_digest *d, struct vg_err **err)
{
    char dst[300], dir[300];
    blob_path(dst, sizeof(dst), d);
    snprintf(dir, sizeof(dir), "%s", dst);
    *strrchr(dir, '/') = '\0';
    if (mkdirs_at(fs->rootfd, dir, err) < 0) {
        return -1;
    }
    if (renameat(fs->rootfd, rel, fs->rootfd, dst) < 0) {
        return vg_err_sys(err, VG_E_IO, "storage: publish %s", d->text);
    }
    /* Only the blob's directory: its new entry is what must survive a power loss before the
     * metadata links the blob. The old name in uploads/ is not synced: if a power loss brings it
     * back, it is a stray upload file that no session names, which expiry and `registry gc`
     * remove; the blob itself is complete either way (kill -9 never loses the page cache). */
    if (fsync_dirat(fs->rootfd, dir) < 0) {
        return vg_err_sys(err, VG_E_IO, "storage: sync directory of %s", d->text);
    }
    return 0;
}

static int
fs_upload_publish(struct vg_registry_storage *s, const char *id, uint64_t size,
                  const struct vg_digest *d, struct vg_err **err)
{
    struct fs *fs = (struct fs *)s;
    char rel[96];
    if (upload_path(rel, sizeof(rel), id, err) < 0) {
        return -1;
    }
    int fd = openat(fs->rootfd, rel, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "storage: open upload");
    }
    int rc = ftruncate(fd, (off_t)size) < 0 || fsync(fd) < 0 ? -1 : 0;
    int e = errno;
    close(fd);
    if (rc < 0) {
        errno = e;
        return vg_err_sys(err, VG_E_IO, "storage: sync upload");
    }
    return publish(fs, rel, d, err);
}

static int
fs_upload_delete(struct vg_registry_storage *s, const char *id, struct vg_err **err)
{
    struct fs *fs = (struct fs *)s;
    char rel[96];
    if (upload_path(rel, sizeof(rel), id, err) < 0) {
        return -1;
    }
    if (unlinkat(fs->rootfd, rel, 0) < 0) {
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "storage: remove upload");
    }
    return 0;
}

static int
fs_blob_put(struct vg_registry_storage *s, const struct vg_digest *d, const void *data, size_t len,
            struct vg_err **err)
{
    struct fs *fs = (struct fs *)s;
    char id[33], rel[96];
    vg_registry_upload_id_new(id);
    snprintf(rel, sizeof(rel), "uploads/%s", id);
    int fd = openat(fs->rootfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        return vg_err_sys(err, VG_E_IO, "storage: create %s", d->text);
    }
    int rc = vg_fd_write_all(fd, data, len) < 0 || fsync(fd) < 0 ? -1 : 0;
    int e = errno;
    close(fd);
    if (rc == 0 && publish(fs, rel, d, err) == 0) {
        return 0;
    }
    (void)unlinkat(fs->rootfd, rel, 0);
    if (rc < 0) {
        errno = e;
        return vg_err_sys(err, VG_E_IO, "storage: write %s", d->text);
    }
    return -1;
}

static int
fs_blob_delete(struct vg_registry_storage *s, const struct vg_digest *d, struct vg_err **err)
{
    struct fs *fs = (struct fs *)s;
    char rel[300];
    blob_path(rel, sizeof(rel), d);
    if (unlinkat(fs->rootfd, rel, 0) < 0) {
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "storage: remove blob %s",
                          d->text);
    }
    return 0;
}

static int
walk_dir(struct fs *fs, const char *alg, const char *sub, vg_registry_blob_walk_fn fn, void *ud,
         struct vg_err **err)
{
    char rel[64];
    snprintf(rel, sizeof(rel), "blobs/%s/%s", alg, sub);
    int dfd = openat(fs->rootfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        return 0;
    }
    DIR *dir = fdopendir(dfd);
    if (!dir) {
        close(dfd);
        return vg_err_sys(err, VG_E_IO, "storage: list %s", rel);
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(dir)) != NULL) {
        char text[8 + sizeof(de->d_name)];
        struct vg_digest d;
        struct stat st;
        snprintf(text, sizeof(text), "%s:%s", alg, de->d_name);
        if (strncmp(de->d_name, sub, 2) != 0 || !vg_digest_valid(text) ||
            fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
            continue; /* stray files are not blobs */
        }
        struct vg_err *ignored = NULL;
        if (vg_digest_parse(&d, text, &ignored) < 0) {
            vg_err_free(&ignored);
            continue;
        }
        rc = fn(ud, &d, (uint64_t)st.st_size) < 0 ? -1 : 0;
    }
    closedir(dir);
    if (rc < 0) {
        return vg_err_set(err, VG_E_INTERNAL, "storage: walk stopped by its callback");
    }
    return 0;
}

static int
fs_blob_walk(struct vg_registry_storage *s, vg_registry_blob_walk_fn fn, void *ud,
             struct vg_err **err)
{
    static const char *const algs[] = {"sha256", "sha512"};
    static const char hexd[] = "0123456789abcdef";
    for (size_t a = 0; a < VG_ARRAY_LEN(algs); a++) {
        for (int i = 0; i < 256; i++) {
            char sub[3] = {hexd[i >> 4], hexd[i & 15], '\0'};
            if (walk_dir((struct fs *)s, algs[a], sub, fn, ud, err) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

static int
fs_upload_walk(struct vg_registry_storage *s, vg_registry_upload_walk_fn fn, void *ud,
               struct vg_err **err)
{
    struct fs *fs = (struct fs *)s;
    int dfd = openat(fs->rootfd, "uploads", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        return errno == ENOENT ? 0 : vg_err_sys(err, VG_E_IO, "storage: open uploads");
    }
    DIR *dir = fdopendir(dfd);
    if (!dir) {
        close(dfd);
        return vg_err_sys(err, VG_E_IO, "storage: list uploads");
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(dir)) != NULL) {
        struct stat st;
        if (!vg_registry_upload_id_valid(de->d_name) ||
            fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
            continue; /* not ours: never touched */
        }
        rc = fn(ud, de->d_name, (int64_t)st.st_mtime, (uint64_t)st.st_size) < 0 ? -1 : 0;
    }
    closedir(dir);
    if (rc < 0) {
        return vg_err_set(err, VG_E_INTERNAL, "storage: walk stopped by its callback");
    }
    return 0;
}

static void
fs_free(struct vg_registry_storage *s)
{
    struct fs *fs = (struct fs *)s;
    if (fs->rootfd >= 0) {
        close(fs->rootfd);
    }
    free(fs->root);
    free(fs);
}

static const struct vg_registry_storage_ops fs_ops = {
    .name = "filesystem",
    .blob_stat = fs_blob_stat,
    .blob_open = fs_blob_open,
    .blob_put = fs_blob_put,
    .blob_delete = fs_blob_delete,
    .blob_walk = fs_blob_walk,
    .upload_create = fs_upload_create,
    .upload_open = fs_upload_open,
    .upload_read = fs_upload_read,
    .upload_publish = fs_upload_publish,
    .upload_delete = fs_upload_delete,
    .upload_walk = fs_upload_walk,
    .free = fs_free,
};

/* Creates blobs/<alg>/00 .. ff up front (each directory syncs its parent once, when new), so
 * publishing a blob never creates a directory and syncs its parent on the push path: only the
 * blob's own directory is synced there. Existing directories cost one mkdirat each. */
static int
make_fanout(int rootfd, struct vg_err **err)
{
    static const char *const algs[] = {"sha256", "sha512"};
    static const char hexd[] = "0123456789abcdef";
    for (size_t a = 0; a < VG_ARRAY_LEN(algs); a++) {
        char dir[32];
        bool made = false;
        snprintf(dir, sizeof(dir), "blobs/%s", algs[a]);
        if (mkdirs_at(rootfd, dir, err) < 0) {
            return -1;
        }
        for (int i = 0; i < 256; i++) {
            char sub[40];
            snprintf(sub, sizeof(sub), "%s/%c%c", dir, hexd[i >> 4], hexd[i & 15]);
            if (mkdirat(rootfd, sub, 0755) == 0) {
                made = true;
            } else if (errno != EEXIST) {
                return vg_err_sys(err, VG_E_IO, "storage: create directory %s", sub);
            }
        }
        if (made && fsync_dirat(rootfd, dir) < 0) {
            return vg_err_sys(err, VG_E_IO, "storage: sync directory %s", dir);
        }
    }
    return 0;
}

int
vg_registry_storage_fs_new(struct vg_registry_storage **out, const char *root, struct vg_err **err)
{
    if (vg_mkdir_p(root, 0755, err) < 0) {
        return vg_err_wrap(err, "storage root %s", root);
    }
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        return vg_err_sys(err, VG_E_IO, "storage root %s", root);
    }
    struct fs *fs = vg_calloc(1, sizeof(*fs));
    fs->base.ops = &fs_ops;
    fs->rootfd = rootfd;
    fs->root = vg_strdup(root);
    if (mkdirs_at(rootfd, "blobs", err) < 0 || mkdirs_at(rootfd, "uploads", err) < 0 ||
        make_fanout(rootfd, err) < 0) {
        fs_free(&fs->base);
        return vg_err_wrap(err, "storage root %s", root);
    }
    *out = &fs->base;
    return 0;
}
