/* SPDX-License-Identifier: Apache-2.0
 *
 * Compressed docker-archive files (`docker save img | gzip`, `zstd img.tar`): detection by
 * magic and the one-pass decompression into an unlinked temporary file that archive.c then
 * indexes and reads like a plain archive. Bounded in size (decompression bombs) and in the free
 * space it may consume; nested compression is refused.
 */
#include "archive_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <archive.h>

/* `docker save img | gzip` and `zstd img.tar` files are decompressed once into a temporary
 * file, because the index above needs random access (pread) and a compressed stream has none.
 * libarchive's gzip and zstd filters do the decoding (raw format, no tar parsing there); the
 * filter is forced from the magic, so no second filter is stacked by bidding and nested
 * compression shows up as compressed bytes in the output, which is refused. */

#define UNPACK_CHUNK       (128u * 1024u)
#define UNPACK_SPACE_EVERY (64ull * 1024ull * 1024ull) /* bytes between free-space checks */

enum vg_oci_compression
vg_oci_compression_sniff(const uint8_t *p, size_t n)
{
    static const uint8_t xz[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
        return VG_OCI_COMP_GZIP;
    }
    if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) {
        return VG_OCI_COMP_ZSTD;
    }
    if (n >= 3 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h') {
        return VG_OCI_COMP_BZIP2;
    }
    if (n >= sizeof(xz) && memcmp(p, xz, sizeof(xz)) == 0) {
        return VG_OCI_COMP_XZ;
    }
    return VG_OCI_COMP_NONE;
}

const char *
vg_oci_compression_name(enum vg_oci_compression c)
{
    switch (c) {
    case VG_OCI_COMP_GZIP:
        return "gzip";
    case VG_OCI_COMP_ZSTD:
        return "zstd";
    case VG_OCI_COMP_BZIP2:
        return "bzip2";
    case VG_OCI_COMP_XZ:
        return "xz";
    case VG_OCI_COMP_NONE:
        break;
    }
    return "uncompressed";
}

struct unpack {
    int out;
    const char *name, *kind, *dir;
    uint64_t written, max, min_free, next_space_check;
    uint8_t head[VG_OCI_COMP_MAGIC_BYTES];
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
    enum vg_oci_compression inner = vg_oci_compression_sniff(u->head, u->head_len);
    if (inner != VG_OCI_COMP_NONE) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "%s: %s-compressed content is itself %s-compressed; nested compression "
                          "is not supported (decompress it first)",
                          u->name, u->kind, vg_oci_compression_name(inner));
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
                          u->name, u->kind, (unsigned long long)u->max, VG_OCI_ARCHIVE_MAX_ENV);
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

/* libarchive reports a stream that fails before its first output byte (or yields none) as an
 * unrecognized format (the raw-format probe is what reads first); that detail would mislead. */
static int
unpack_stream_err(struct unpack *u, struct archive *a, bool started, struct vg_err **err)
{
    const char *why = archive_error_string(a);
    if (!started || !why) {
        return vg_err_set(err, VG_E_PARSE, "%s: corrupt, truncated or empty %s stream", u->name,
                          u->kind);
    }
    vg_autofree char *esc = vg_escape(why, strlen(why), 200);
    return vg_err_set(err, VG_E_PARSE,
                      "%s: corrupt or truncated %s stream after %llu decompressed bytes: %s",
                      u->name, u->kind, (unsigned long long)u->written, esc);
}

static int
unpack_copy(struct unpack *u, struct archive *a, struct vg_err **err)
{
    uint8_t *buf = vg_malloc(UNPACK_CHUNK);
    int rc = 0;
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, UNPACK_CHUNK);
        if (n == 0) {
            break;
        }
        rc = n < 0 ? unpack_stream_err(u, a, true, err) : unpack_write(u, buf, (size_t)n, err);
        if (rc < 0) {
            break;
        }
    }
    free(buf);
    return rc;
}

static int
unpack_run(struct unpack *u, int in_fd, enum vg_oci_compression c, struct vg_err **err)
{
    struct archive *a = archive_read_new();
    struct archive_entry *ent;
    int rc;
    if (archive_read_append_filter(a, c == VG_OCI_COMP_GZIP ? ARCHIVE_FILTER_GZIP
                                                            : ARCHIVE_FILTER_ZSTD) != ARCHIVE_OK) {
        rc = vg_err_set(err, VG_E_UNSUPPORTED, "%s: this build cannot decompress %s", u->name,
                        u->kind);
    } else if (archive_read_support_format_raw(a) != ARCHIVE_OK ||
               archive_read_open_fd(a, in_fd, UNPACK_CHUNK) != ARCHIVE_OK) {
        rc = unpack_stream_err(u, a, false, err);
    } else {
        int h = archive_read_next_header(a, &ent);
        rc = h == ARCHIVE_EOF  ? 0
             : h != ARCHIVE_OK ? unpack_stream_err(u, a, false, err)
                               : unpack_copy(u, a, err);
    }
    archive_read_free(a);
    if (rc == 0 && u->head_len < sizeof(u->head)) {
        rc = unpack_check_head(u, err);
    }
    return rc;
}

int
vg_oci_archive_unpack(int *out_fd, uint64_t *out_size, int in_fd, const char *name,
                      const struct vg_oci_unpack_opts *o, struct vg_err **err)
{
    uint8_t m[VG_OCI_COMP_MAGIC_BYTES] = {0};
    ssize_t got = pread(in_fd, m, sizeof(m), 0);
    if (got < 0) {
        return vg_err_sys(err, VG_E_IO, "read %s", name);
    }
    enum vg_oci_compression c = vg_oci_compression_sniff(m, (size_t)got);
    if (c != VG_OCI_COMP_GZIP && c != VG_OCI_COMP_ZSTD) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "%s is %s%s; only gzip- and zstd-compressed archives are read "
                          "(decompress it first)",
                          name, vg_oci_compression_name(c),
                          c == VG_OCI_COMP_NONE ? "" : "-compressed");
    }
    const char *env_tmp = getenv("TMPDIR");
    struct unpack u = {
        .out = -1,
        .name = name,
        .kind = vg_oci_compression_name(c),
        .dir = o->tmpdir ? o->tmpdir : (env_tmp && *env_tmp ? env_tmp : "/tmp"),
        .max = o->max_bytes ? o->max_bytes : VG_OCI_ARCHIVE_MAX_UNPACKED_BYTES,
        .min_free = o->min_free_bytes ? o->min_free_bytes : VG_OCI_ARCHIVE_TMP_RESERVE_BYTES,
    };
    if (lseek(in_fd, 0, SEEK_SET) < 0) {
        return vg_err_sys(err, VG_E_IO, "seek %s", name);
    }
    if (unpack_tmpfile(&u.out, u.dir, err) < 0) {
        return vg_err_wrap(err, "%s", name);
    }
    if (unpack_run(&u, in_fd, c, err) < 0) {
        close(u.out);
        return -1;
    }
    *out_fd = u.out;
    *out_size = u.written;
    return 0;
}
