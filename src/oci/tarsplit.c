/* SPDX-License-Identifier: Apache-2.0
 *
 * tar-split reassembly for containers-storage layers (cstore_int.h). containers/storage keeps,
 * beside each layer, "<id>.tar-split.gz": JSON lines recording the layer tar as it was applied,
 * {"type":2,"payload":"<base64>"} for raw bytes (headers, padding, the end blocks) and
 * {"type":1,"name":"<path>","size":N} for a file's content, which lives in the layer
 * directory. Emitting the segments and the files' bytes in order gives back the original
 * uncompressed tar, whose sha256 is the layer's diff digest: image.c verifies it as for any
 * other blob, so whiteouts, hardlinks and metadata reach layers/ exactly as they were written.
 */
#include "cstore_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_int.h"

struct vg_cstore_tarsplit {
    vg_cstore_chunk_fn read;
    void *rctx;
    const uint8_t *chunk; /* unread input from the last read call */
    size_t chunk_len;
    bool eof;
    struct vg_buf line;
    int dirfd;
    char *what;
    uint8_t *seg; /* decoded segment being emitted */
    size_t seg_len, seg_pos;
    int file_fd; /* file being emitted, or -1 */
    uint64_t file_left;
    char *file_name;
    uint64_t lineno;
};

struct vg_cstore_tarsplit *
vg_oci_tarsplit_new(vg_cstore_chunk_fn read, void *rctx, int dirfd, const char *what)
{
    struct vg_cstore_tarsplit *t = vg_calloc(1, sizeof(*t));
    t->read = read;
    t->rctx = rctx;
    t->dirfd = dirfd;
    t->what = vg_strdup(what);
    t->file_fd = -1;
    vg_buf_init(&t->line, VG_CSTORE_TARSPLIT_LINE);
    return t;
}

void
vg_oci_tarsplit_free(struct vg_cstore_tarsplit *t)
{
    if (!t) {
        return;
    }
    if (t->file_fd >= 0) {
        close(t->file_fd);
    }
    vg_buf_dispose(&t->line);
    free(t->seg);
    free(t->file_name);
    free(t->what);
    free(t);
}

/* The next line into t->line (without its '\n'); false at the end of input. */
static int
next_line(struct vg_cstore_tarsplit *t, bool *have, struct vg_err **err)
{
    vg_buf_reset(&t->line);
    *have = false;
    for (;;) {
        if (t->chunk_len > 0) {
            const uint8_t *nl = memchr(t->chunk, '\n', t->chunk_len);
            size_t take = nl ? (size_t)(nl - t->chunk) : t->chunk_len;
            if (vg_buf_append(&t->line, t->chunk, take, err) < 0) {
                return vg_err_wrap(err, "%s: tar-split line %llu", t->what,
                                   (unsigned long long)t->lineno + 1);
            }
            t->chunk += take + (nl ? 1 : 0);
            t->chunk_len -= take + (nl ? 1 : 0);
            if (nl) {
                t->lineno++;
                *have = true;
                return 0;
            }
        }
        if (t->eof) {
            *have = t->line.len > 0;
            t->lineno += *have ? 1 : 0;
            return 0;
        }
        if (t->read(t->rctx, &t->chunk, &t->chunk_len, err) < 0) {
            return vg_err_wrap(err, "%s: tar-split", t->what);
        }
        t->eof = t->chunk_len == 0;
    }
}

/* Opens the regular file at the cleaned relative path beneath dirfd, no link followed. */
static int
open_beneath(int dirfd, const char *path, struct vg_err **err)
{
    int cur = dirfd;
    const char *p = path;
    for (;;) {
        const char *slash = strchr(p, '/');
        vg_autofree char *comp = slash ? vg_strndup(p, (size_t)(slash - p)) : vg_strdup(p);
        int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (slash ? O_DIRECTORY : O_NONBLOCK);
        struct stat pre;
        if (!slash && fstatat(cur, comp, &pre, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(pre.st_mode)) {
            if (cur != dirfd) { /* never open a device, FIFO or socket, even to refuse it */
                close(cur);
            }
            return vg_err_set(err, VG_E_PARSE, "%s in the layer directory",
                              S_ISLNK(pre.st_mode) ? "a symlink" : "not a regular file");
        }
        int fd = openat(cur, comp, flags);
        int e = errno;
        if (cur != dirfd) {
            close(cur);
        }
        if (fd < 0) {
            errno = e;
            return e == ENOENT ? vg_err_set(err, VG_E_NOTFOUND, "not in the layer directory")
                   : e == ELOOP || e == ENOTDIR ? vg_err_set(err, VG_E_PARSE,
                                                             "a path component is a symlink or no "
                                                             "directory in the layer directory")
                                                : vg_err_sys(err, VG_E_IO, "open");
        }
        if (!slash) {
            struct stat st;
            if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return vg_err_set(err, VG_E_PARSE, "not a regular file in the layer directory");
            }
            return fd;
        }
        cur = fd;
        p = slash + 1;
    }
}

static int
start_file(struct vg_cstore_tarsplit *t, const json_t *j, struct vg_err **err)
{
    uint64_t size = 0;
    if (json_object_get(j, "size") && !vg_json_u64(j, "size", &size)) {
        return vg_err_set(err, VG_E_PARSE, "bad size");
    }
    if (size == 0) {
        return 0; /* directories, links, empty files, whiteouts: nothing stored */
    }
    const char *name = vg_json_str(j, "name");
    vg_autofree uint8_t *raw = NULL;
    size_t rawlen = 0;
    const char *name_raw = vg_json_str(j, "name_raw");
    if (!name && name_raw &&
        vg_base64_decode(&raw, &rawlen, name_raw, strlen(name_raw), false, err) == 0) {
        name = memchr(raw, '\0', rawlen) ? NULL : (const char *)raw;
    }
    if (!name || !*name) {
        return vg_err_set(err, VG_E_PARSE, "file entry without a name");
    }
    free(t->file_name);
    t->file_name = vg_oci_tar_clean(name, strlen(name));
    if (!t->file_name || strcmp(t->file_name, ".") == 0) {
        vg_autofree char *esc = vg_escape(name, strlen(name), 200);
        return vg_err_set(err, VG_E_PARSE, "file \"%s\" escapes the layer", esc);
    }
    int fd = open_beneath(t->dirfd, t->file_name, err);
    if (fd < 0) {
        vg_autofree char *esc = vg_escape(t->file_name, strlen(t->file_name), 200);
        return vg_err_wrap(err, "file \"%s\"", esc);
    }
    t->file_fd = fd;
    t->file_left = size;
    return 0;
}

/* Reads and applies the next record; *end at the end of the tar-split. */
static int
next_record(struct vg_cstore_tarsplit *t, bool *end, struct vg_err **err)
{
    bool have = false;
    if (next_line(t, &have, err) < 0) {
        return -1;
    }
    if (!have) {
        *end = true;
        return 0;
    }
    vg_autojson json_t *j = NULL;
    uint64_t type = 0;
    int rc = 0;
    if (vg_json_parse(&j, t->line.data, t->line.len, VG_CSTORE_TARSPLIT_LINE, "tar-split", err) <
        0) {
        rc = -1;
    } else if (!json_is_object(j) || !vg_json_u64(j, "type", &type)) {
        rc = vg_err_set(err, VG_E_PARSE, "record without a type");
    } else if (type == 1) {
        rc = start_file(t, j, err);
    } else if (type == 2) {
        const char *p = vg_json_str(j, "payload");
        free(t->seg);
        t->seg = NULL;
        t->seg_len = t->seg_pos = 0;
        if (!p) {
            rc = vg_err_set(err, VG_E_PARSE, "segment without a payload");
        } else {
            rc = vg_base64_decode(&t->seg, &t->seg_len, p, strlen(p), false, err);
        }
    } else {
        rc = vg_err_set(err, VG_E_PARSE, "unknown record type %llu", (unsigned long long)type);
    }
    if (rc < 0) {
        return vg_err_wrap(err, "%s: tar-split line %llu", t->what, (unsigned long long)t->lineno);
    }
    return 0;
}

int
vg_oci_tarsplit_read(struct vg_cstore_tarsplit *t, void *buf, size_t cap, size_t *got,
                     struct vg_err **err)
{
    *got = 0;
    while (cap > 0) {
        if (t->seg_pos < t->seg_len) {
            size_t n = t->seg_len - t->seg_pos < cap ? t->seg_len - t->seg_pos : cap;
            memcpy(buf, t->seg + t->seg_pos, n);
            t->seg_pos += n;
            *got = n;
            return 0;
        }
        if (t->file_fd >= 0) {
            size_t n = (uint64_t)cap > t->file_left ? (size_t)t->file_left : cap;
            ssize_t k = read(t->file_fd, buf, n);
            if (k < 0 && errno == EINTR) {
                continue;
            }
            if (k <= 0) {
                vg_autofree char *esc = vg_escape(t->file_name, strlen(t->file_name), 200);
                return k < 0 ? vg_err_sys(err, VG_E_IO, "%s: read \"%s\"", t->what, esc)
                             : vg_err_set(err, VG_E_VERIFY,
                                          "%s: \"%s\" is %llu bytes shorter than the layer "
                                          "recorded",
                                          t->what, esc, (unsigned long long)t->file_left);
            }
            t->file_left -= (uint64_t)k;
            if (t->file_left == 0) {
                close(t->file_fd);
                t->file_fd = -1;
            }
            *got = (size_t)k;
            return 0;
        }
        bool end = false;
        if (next_record(t, &end, err) < 0) {
            return -1;
        }
        if (end) {
            return 0;
        }
    }
    return 0;
}
