/* SPDX-License-Identifier: Apache-2.0
 *
 * Walking OSV all.zip archives through the one zip reader of layers/: the file is mapped
 * read-only, the central directory parsed (bounded by VULNDB_MAX_ZIP_ENTRIES), and each
 * `*.json` member extracted into memory one at a time under VG_LIMIT_OSV_RECORD_BYTES. Names
 * are data, never paths: nothing is extracted to disk. A member that is too large, damaged or
 * fails its CRC is reported to `bad` and skipped; the total unpacked size is capped
 * (decompression bombs).
 */
#include "vulndb/vulndb_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layers/layers.h"

static int
walk_members(const char *path, const struct vg_zip *z, zip_entry_fn fn, zip_bad_fn bad, void *ctx,
             struct vg_err **err)
{
    vg_autobuf struct vg_buf buf = VG_BUF_INIT(VG_LIMIT_OSV_RECORD_BYTES);
    uint64_t total = 0;
    for (size_t i = 0; i < z->n; i++) {
        const struct vg_zip_entry *e = &z->ents[i];
        if (!vg_str_endswith(e->name, ".json")) {
            continue; /* directories end in '/' */
        }
        vg_autofree char *nm = vg_strndup(e->name.ptr, e->name.len);
        struct vg_err *why = NULL;
        if (vg_zip_read(z, e, VG_LIMIT_OSV_RECORD_BYTES, &buf, &why) < 0) {
            bad(nm,
                vg_err_is(why, VG_E_LIMIT) ? "record larger than the OSV record limit" : why->msg,
                ctx);
            vg_err_free(&why);
            continue;
        }
        total += buf.len;
        if (total > VULNDB_MAX_ZIP_TOTAL) {
            return vg_err_set(err, VG_E_LIMIT, "zip %s: unpacked size over %llu bytes", path,
                              (unsigned long long)VULNDB_MAX_ZIP_TOTAL);
        }
        if (fn(nm, buf.data, buf.len, ctx, err) < 0) {
            return vg_err_wrap(err, "zip %s", path);
        }
    }
    return 0;
}

int
vg_vulndb_zip_walk(const char *path, zip_entry_fn fn, zip_bad_fn bad, void *ctx,
                   struct vg_err **err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return vg_err_set(err, VG_E_IO, "open zip %s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return vg_err_set(err, VG_E_IO, "open zip %s: not a regular file", path);
    }
    size_t len = (size_t)st.st_size;
    void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (map == MAP_FAILED) {
        return vg_err_set(err, VG_E_IO, "map zip %s: %s", path, strerror(errno));
    }
    static const uint8_t empty[1];
    struct vg_zip z;
    int rc = vg_zip_open(&z, map ? map : empty, len, VULNDB_MAX_ZIP_ENTRIES, err);
    if (rc < 0) {
        rc = vg_err_wrap(err, "zip %s", path);
    } else {
        rc = walk_members(path, &z, fn, bad, ctx, err);
        vg_zip_dispose(&z);
    }
    if (map) {
        munmap(map, len);
    }
    return rc;
}
