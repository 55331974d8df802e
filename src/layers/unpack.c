/* SPDX-License-Identifier: Apache-2.0
 *
 * Compressed docker-archive files (`docker save img | gzip`, `zstd img.tar`): detection by
 * magic (core/compress.h) and the one-pass decompression, through the layer walk's own
 * decoder (lz.c), into an unlinked temporary file that oci/'s docker-archive source then
 * indexes and reads like a plain archive. Bounded in size (decompression bombs) and in the
 * free space it may consume; nested compression is refused.
 *
 * oci/ reads docker archives but owns no decompressor (layers/ depends on oci/, never the
 * reverse), so the step that needs one, opening a compressed archive, sits here:
 * vg_layers_image_open decompresses and hands oci/ the plain copy.
 */
#include "layers_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/compress.h"

#define UNPACK_SPACE_EVERY (64ull * 1024ull * 1024ull) /* bytes between free-space checks */

struct unpack {
    int in, out;
    const char *name, *kind, *dir;
    uint64_t written, max, min_free, next_space_check;
    uint8_t head[VG_COMP_MAGIC_BYTES];
    size_t head_len;
};

/* An unlinked file in dir: O_TMPFILE never has a name; the fallback loses its name at once. */
static int
unpack_tmpfile(int *out, const char *dir, struct vg_err **err)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        vg_autofree char *path = vg_fmt("%s/vigil-archive-XXXXXX", dir);
        fd = mkostemp(path, O_CLOEXEC);
        if (fd >= 0 && unlink(path) < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return vg_err_sys(err, VG_E_IO, "unlink temporary file %s", path);
        }
    }
    if (fd < 0) {
        return vg_err_sys(err, VG_E_IO, "create a temporary file in %s (set TMPDIR)", dir);
    }
    *out = fd;
    return 0;
}

/* The decompressed bytes must not themselves be compressed: we unwrap exactly one layer. */
static int
unpack_check_head(struct unpack *u, struct vg_err **err)
{
    enum vg_compression inner = vg_compression_detect(u->head, u->head_len);
    if (inner != VG_COMP_NONE) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "%s: %s-compressed content is itself %s-compressed; nested compression "
                          "is not supported (decompress it first)",
                          u->name, u->kind, vg_compression_name(inner));
    }
    return 0;
}

static int
unpack_check_space(struct unpack *u, struct vg_err **err)
{
    struct statvfs sv;
    if (fstatvfs(u->out, &sv) < 0) {
        return vg_err_sys(err, VG_E_IO, "statvfs %s", u->dir);
    }
    uint64_t avail;
    if (vg_ckd_mul(&avail, (uint64_t)sv.f_bavail, (uint64_t)sv.f_frsize)) {
        avail = UINT64_MAX;
    }
    if (avail < u->min_free) {
        return vg_err_set(err, VG_E_LIMIT,
                          "%s: decompressing would leave less than %llu MiB free in %s (%llu "
                          "bytes written); set TMPDIR to a larger file system",
                          u->name, (unsigned long long)(u->min_free >> 20), u->dir,
                          (unsigned long long)u->written);
    }
    u->next_space_check = u->written + UNPACK_SPACE_EVERY;
    return 0;
}

static int
unpack_write(struct unpack *u, const uint8_t *p, size_t n, struct vg_err **err)
{
    if (u->head_len < sizeof(u->head)) {
        size_t k = n < sizeof(u->head) - u->head_len ? n : sizeof(u->head) - u->head_len;
        memcpy(u->head + u->head_len, p, k);
        u->head_len += k;
        if (u->head_len == sizeof(u->head) && unpack_check_head(u, err) < 0) {
            return -1;
        }
    }
    if ((uint64_t)n > u->max - u->written) {
        return vg_err_set(err, VG_E_LIMIT,
                          "%s: %s-compressed archive expands to more than %llu bytes (the limit; "
                          "%s raises it)",
                          u->name, u->kind, (unsigned long long)u->max, VG_LAYERS_ARCHIVE_MAX_ENV);
    }
    if (u->written >= u->next_space_check && unpack_check_space(u, err) < 0) {
        return -1;
    }
    if (vg_fd_write_all(u->out, p, n) < 0) {
        return vg_err_sys(err, VG_E_IO, "%s: write decompressed archive to %s%s", u->name, u->dir,
                          errno == ENOSPC ? " (set TMPDIR to a larger file system)" : "");
    }
    u->written += (uint64_t)n;
    return 0;
}

/* The decoder's read callback: the compressed file, sequentially. */
static int
unpack_read(void *ctx, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    struct unpack *u = ctx;
    ssize_t n;
    do {
        n = read(u->in, buf, cap);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return vg_err_sys(err, VG_E_IO, "read %s", u->name);
    }
    *got = (size_t)n;
    return 0;
}

/* The decoder's message ("truncated gzip stream after N bytes") as one line naming the file,
 * as the CLI and the tests expect of a corrupt archive. */
static int
unpack_reword(struct unpack *u, struct vg_err **err)
{
    vg_autofree char *why = vg_err_format(*err);
    enum vg_errc code = vg_err_root_code(*err);
    vg_err_free(err);
    return vg_err_set(err, code, "%s: %s", u->name, why);
}

static int
unpack_run(struct unpack *u, struct vg_err **err)
{
    /* The bound is ours (unpack_write, naming the knob), checked on every decoded chunk of at
     * most VG_LAYERS_OUT_BUF bytes: the decoder's own is not needed. */
    struct vg_lz_opts lo = {.max_unpacked = UINT64_MAX};
    struct vg_lz *z = NULL;
    if (vg_lz_open(&z, unpack_read, u, &lo, err) < 0) {
        return -1; /* a read error (naming the file) or the decoder's setup */
    }
    int rc = 0;
    for (;;) {
        const uint8_t *d;
        size_t n;
        if (vg_lz_pull(z, &d, &n, err) < 0) {
            rc = vg_err_is(*err, VG_E_PARSE) ? unpack_reword(u, err) : -1;
            break;
        }
        if (n == 0) {
            break;
        }
        if (unpack_write(u, d, n, err) < 0) {
            rc = -1;
            break;
        }
    }
    vg_lz_free(z);
    if (rc == 0 && u->written == 0) {
        return vg_err_set(err, VG_E_PARSE, "%s: empty %s stream (no decompressed bytes)", u->name,
                          u->kind);
    }
    if (rc == 0 && u->head_len < sizeof(u->head)) {
        rc = unpack_check_head(u, err);
    }
    return rc;
}

int
vg_layers_unpack_file(int *out_fd, uint64_t *out_size, int in_fd, const char *name,
                      const struct vg_layers_unpack_opts *o, struct vg_err **err)
{
    uint8_t m[VG_COMP_MAGIC_BYTES] = {0};
    ssize_t got = pread(in_fd, m, sizeof(m), 0);
    if (got < 0) {
        return vg_err_sys(err, VG_E_IO, "read %s", name);
    }
    enum vg_compression c = vg_compression_detect(m, (size_t)got);
    if (c != VG_COMP_GZIP && c != VG_COMP_ZSTD) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "%s is %s%s; only gzip- and zstd-compressed archives are read "
                          "(decompress it first)",
                          name, c == VG_COMP_NONE ? "uncompressed" : vg_compression_name(c),
                          c == VG_COMP_NONE ? "" : "-compressed");
    }
    const char *env_tmp = getenv("TMPDIR");
    struct unpack u = {
        .in = in_fd,
        .out = -1,
        .name = name,
        .kind = vg_compression_name(c),
        .dir = o->tmpdir ? o->tmpdir : (env_tmp && *env_tmp ? env_tmp : "/tmp"),
        .max = o->max_bytes ? o->max_bytes : VG_LAYERS_ARCHIVE_MAX_UNPACKED_BYTES,
        .min_free = o->min_free_bytes ? o->min_free_bytes : VG_LAYERS_ARCHIVE_TMP_RESERVE_BYTES,
    };
    if (lseek(in_fd, 0, SEEK_SET) < 0) {
        return vg_err_sys(err, VG_E_IO, "seek %s", name);
    }
    if (unpack_tmpfile(&u.out, u.dir, err) < 0) {
        return vg_err_wrap(err, "%s", name);
    }
    if (unpack_run(&u, err) < 0) {
        close(u.out);
        return -1;
    }
    *out_fd = u.out;
    *out_size = u.written;
    return 0;
}

/* ---------------------------------------------------------------- opening images */

/* The decompressed-size bound: VG_LAYERS_ARCHIVE_MAX_ENV when set, else the default. */
static int
unpack_limit(uint64_t *out, struct vg_err **err)
{
    const char *v = getenv(VG_LAYERS_ARCHIVE_MAX_ENV);
    *out = VG_LAYERS_ARCHIVE_MAX_UNPACKED_BYTES;
    if (v && *v && (vg_parse_u64(vg_str_c(v), UINT64_MAX, out) < 0 || *out == 0)) {
        vg_autofree char *esc = vg_escape(v, strlen(v), 40);
        return vg_err_set(err, VG_E_USAGE, "%s=%s: not a positive byte count",
                          VG_LAYERS_ARCHIVE_MAX_ENV, esc);
    }
    return 0;
}

/* The compression of a docker-archive FILE, or VG_COMP_NONE when it cannot be read (oci/
 * then reports why, exactly as for a plain archive). */
static enum vg_compression
archive_compression(const char *file, int *fd_out)
{
    *fd_out = -1;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        return VG_COMP_NONE;
    }
    uint8_t m[VG_COMP_MAGIC_BYTES] = {0};
    ssize_t got = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? pread(fd, m, sizeof(m), 0) : -1;
    enum vg_compression c = got > 0 ? vg_compression_detect(m, (size_t)got) : VG_COMP_NONE;
    if (c == VG_COMP_NONE) {
        close(fd);
    } else {
        *fd_out = fd;
    }
    return c;
}

static int
gz_open(void **r, int fd, const char *name, uint64_t max_out, struct vg_err **err)
{
    struct vg_zread *z = NULL;
    if (vg_zread_open(&z, fd, name, max_out, err) < 0) {
        return -1;
    }
    *r = z;
    return 0;
}

static int
gz_read(void *r, const uint8_t **data, size_t *len, struct vg_err **err)
{
    return vg_zread_read(r, data, len, err);
}

static void
gz_close(void *r)
{
    vg_zread_close(r);
}

static const struct vg_oci_gunzip layers_gunzip = {gz_open, gz_read, gz_close};

int
vg_layers_image_open(struct vg_oci_image **out, const char *image,
                     const struct vg_oci_open_opts *opts, struct vg_err **err)
{
    struct vg_oci_open_opts o = VG_OCI_OPEN_OPTS_INIT;
    if (opts) {
        o = *opts;
    }
    if (!o.gunzip) {
        o.gunzip = &layers_gunzip;
    }
    bool oci = image && vg_cstr_startswith(image, "oci-archive:");
    if (!image || (!oci && !vg_cstr_startswith(image, "docker-archive:"))) {
        return vg_oci_image_open(out, image, &o, err);
    }
    const char *spec = image + (oci ? 12 : 15);
    struct vg_str file, ref;
    vg_str_cut(vg_str_c(spec), ':', &file, &ref);
    vg_autofree char *path = vg_str_dup(file);
    int fd;
    enum vg_compression c = file.len ? archive_compression(path, &fd) : VG_COMP_NONE;
    if (c == VG_COMP_NONE) {
        return vg_oci_image_open(out, image, &o, err);
    }
    struct vg_layers_unpack_opts uo = {0};
    struct vg_oci_archive_plain plain = {.fd = -1, .compression = vg_compression_name(c)};
    plain.oci = oci;
    int rc = unpack_limit(&uo.max_bytes, err);
    if (rc == 0) {
        rc = vg_layers_unpack_file(&plain.fd, &plain.size, fd, path, &uo, err);
    }
    close(fd);
    if (rc < 0) {
        return -1;
    }
    return vg_oci_image_open_archive(out, spec, &plain, &o, err);
}
