/* SPDX-License-Identifier: Apache-2.0
 *
 * Small filesystem helpers: bounded whole-file reads, atomic writes (temp file, fsync,
 * rename, fsync of the directory: what servers and database swaps rely on), mkdir -p, the XDG
 * cache location, time and TTY progress.
 */
#include "core.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int
read_fd(struct vg_buf *out, int fd, const char *path, size_t max, struct vg_err **err)
{
    uint8_t chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return vg_err_sys(err, VG_E_IO, "read %s", path);
        }
        if (n == 0) {
            return 0;
        }
        if (out->len + (size_t)n > max) {
            return vg_err_set(err, VG_E_LIMIT, "%s is larger than the limit of %zu bytes", path,
                              max);
        }
        if (vg_buf_append(out, chunk, (size_t)n, err) < 0) {
            return vg_err_wrap(err, "read %s", path);
        }
    }
}

static int
open_err(const char *path, struct vg_err **err)
{
    if (errno == ENOENT || errno == ENOTDIR) {
        return vg_err_sys(err, VG_E_NOTFOUND, "open %s", path);
    }
    return vg_err_sys(err, VG_E_IO, "open %s", path);
}

int
vg_file_read(struct vg_buf *out, const char *path, size_t max, struct vg_err **err)
{
    return vg_file_read_at(out, AT_FDCWD, path, max, err);
}

int
vg_file_read_at(struct vg_buf *out, int dirfd, const char *path, size_t max, struct vg_err **err)
{
    vg_autoclose int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return open_err(path, err);
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        return vg_err_set(err, VG_E_IO, "%s is a directory", path);
    }
    if (out->max < max) {
        out->max = max;
    }
    return read_fd(out, fd, path, max, err);
}

static int
fsync_dir_of(const char *path)
{
    char *dir = vg_strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) {
        slash[1] = '\0';
    } else if (slash) {
        *slash = '\0';
    } else {
        free(dir);
        dir = vg_strdup(".");
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0) {
        return -1;
    }
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int
vg_fd_write_all(int fd, const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            if (w == 0) {
                errno = EIO;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int
vg_file_write_atomic(const char *path, const void *data, size_t n, unsigned mode,
                     struct vg_err **err)
{
    vg_autofree char *tmp = vg_fmt("%s.tmp.%ld.XXXXXX", path, (long)getpid());
    int fd = mkstemp(tmp);
    if (fd < 0) {
        return vg_err_sys(err, VG_E_IO, "create temporary file for %s", path);
    }
    if (vg_fd_write_all(fd, data, n) < 0) {
        int rc = vg_err_sys(err, VG_E_IO, "write %s", tmp);
        close(fd);
        unlink(tmp);
        return rc;
    }
    if (fchmod(fd, (mode_t)mode) < 0 || fsync(fd) < 0) {
        int rc = vg_err_sys(err, VG_E_IO, "sync %s", tmp);
        close(fd);
        unlink(tmp);
        return rc;
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        int rc = vg_err_sys(err, VG_E_IO, "rename %s to %s", tmp, path);
        unlink(tmp);
        return rc;
    }
    (void)fsync_dir_of(path); /* durability best effort: the data itself is already synced */
    return 0;
}

int
vg_file_write_exclusive(const char *path, const void *data, size_t n, unsigned mode,
                        struct vg_err **err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode);
    if (fd < 0) {
        return vg_err_sys(err, VG_E_IO, "create %s", path);
    }
    if (vg_fd_write_all(fd, data, n) < 0) {
        int rc = vg_err_sys(err, VG_E_IO, "write %s", path);
        close(fd);
        unlink(path);
        return rc;
    }
    /* fchmod: open's mode is filtered by the umask, the caller's mode is not. */
    if (fchmod(fd, (mode_t)mode) < 0 || fsync(fd) < 0 || close(fd) < 0) {
        int rc = vg_err_sys(err, VG_E_IO, "write %s", path);
        unlink(path);
        return rc;
    }
    return 0;
}

int
vg_mkdir_p(const char *path, unsigned mode, struct vg_err **err)
{
    vg_autofree char *p = vg_strdup(path);
    size_t n = strlen(p);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == '\0') {
            char saved = p[i];
            p[i] = '\0';
            if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
                return vg_err_sys(err, VG_E_IO, "create directory %s", p);
            }
            p[i] = saved;
        }
    }
    return 0;
}

bool
vg_path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *
vg_cache_dir(void)
{
    const char *v = getenv("VIGIL_CACHE_DIR");
    if (v && v[0]) {
        return vg_strdup(v);
    }
    const char *x = getenv("XDG_CACHE_HOME");
    if (x && x[0] == '/') {
        return vg_fmt("%s/vigil", x);
    }
    const char *home = getenv("HOME");
    return vg_fmt("%s/.cache/vigil", home && home[0] ? home : "/tmp");
}

int64_t
vg_now_unix(void)
{
    return (int64_t)time(NULL);
}

uint64_t
vg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
vg_time_rfc3339(char *out, size_t outlen, int64_t unix_secs)
{
    time_t t = (time_t)unix_secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    if (strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 && outlen) {
        out[0] = '\0';
    }
}

bool
vg_isatty_stderr(void)
{
    return isatty(2) == 1;
}

unsigned
vg_tty_columns(int fd)
{
    if (isatty(fd) != 1) {
        return 0;
    }
    const char *c = getenv("COLUMNS");
    uint64_t n;
    if (c && vg_parse_u64(vg_str_c(c), VG_TTY_COLUMNS_MAX, &n) == 0 && n > 0) {
        return (unsigned)n;
    }
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        return ws.ws_col > VG_TTY_COLUMNS_MAX ? VG_TTY_COLUMNS_MAX : ws.ws_col;
    }
    return 80;
}

void
vg_size_human(char *out, size_t outlen, uint64_t bytes)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    size_t u = 0;
    uint64_t whole = bytes, tenths = 0;
    while (whole >= 1000 && u + 1 < VG_ARRAY_LEN(units)) {
        tenths = (whole % 1000) / 100;
        whole /= 1000;
        u++;
    }
    if (u == 0 || whole >= 100) {
        snprintf(out, outlen, "%llu %s", (unsigned long long)whole, units[u]);
    } else {
        snprintf(out, outlen, "%llu.%llu %s", (unsigned long long)whole, (unsigned long long)tenths,
                 units[u]);
    }
}

void
vg_progress_start(struct vg_progress *p, const char *label, uint64_t total, bool quiet)
{
    *p = (struct vg_progress){.label = label, .total = total};
    p->active = !quiet && vg_isatty_stderr();
}

void
vg_progress_update(struct vg_progress *p, uint64_t done)
{
    p->done = done;
    if (!p->active) {
        return;
    }
    uint64_t now = vg_now_ns();
    if (now - p->last_draw_ns < 100000000ull) {
        return;
    }
    p->last_draw_ns = now;
    char done_s[16], total_s[16];
    vg_size_human(done_s, sizeof(done_s), done);
    if (p->total) {
        unsigned pct = (unsigned)(done * 100 / p->total);
        vg_size_human(total_s, sizeof(total_s), p->total);
        fprintf(stderr, "\r%s %3u%% %s/%s\033[K", p->label, pct > 100 ? 100 : pct, done_s, total_s);
    } else {
        fprintf(stderr, "\r%s %s\033[K", p->label, done_s);
    }
    fflush(stderr);
}

void
vg_progress_finish(struct vg_progress *p)
{
    if (p->active) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    p->active = false;
}

/* Empties and removes the directory `name` under dirfd (never following a symlink: O_NOFOLLOW
 * on every open, unlinkat on every non-directory). */
static int
remove_dir_at(int dirfd, const char *name, const char *shown, unsigned depth, uint64_t *removed,
              struct vg_err **err)
{
    if (depth >= VG_REMOVE_TREE_MAX_DEPTH) {
        return vg_err_set(err, VG_E_LIMIT, "remove %s: deeper than %d levels", shown,
                          VG_REMOVE_TREE_MAX_DEPTH);
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return vg_err_sys(err, VG_E_IO, "open %s", shown);
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return vg_err_sys(err, VG_E_IO, "read %s", shown);
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        struct stat st;
        if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = vg_err_sys(err, VG_E_IO, "stat %s/%s", shown, e->d_name);
        } else if (S_ISDIR(st.st_mode)) {
            vg_autofree char *sub = vg_fmt("%s/%s", shown, e->d_name);
            rc = remove_dir_at(fd, e->d_name, sub, depth + 1, removed, err);
        } else if (unlinkat(fd, e->d_name, 0) < 0) {
            rc = vg_err_sys(err, VG_E_IO, "remove %s/%s", shown, e->d_name);
        } else if (removed) {
            (*removed)++;
        }
    }
    if (rc == 0 && errno != 0) {
        rc = vg_err_sys(err, VG_E_IO, "read %s", shown);
    }
    closedir(d);
    if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0) {
        rc = vg_err_sys(err, VG_E_IO, "remove %s", shown);
    }
    return rc;
}

int
vg_remove_tree(const char *path, uint64_t *removed, struct vg_err **err)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        return errno == ENOENT ? 0 : vg_err_sys(err, VG_E_IO, "stat %s", path);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) < 0) {
            return vg_err_sys(err, VG_E_IO, "remove %s", path);
        }
        if (removed) {
            (*removed)++;
        }
        return 0;
    }
    return remove_dir_at(AT_FDCWD, path, path, 0, removed, err);
}
