/* SPDX-License-Identifier: Apache-2.0
 *
 * Reading OSV all.zip archives with libarchive. (libarchive belongs to layers/ per
 * ARCHITECTURE.md; this file is the only other user until layers offers a generic archive
 * walker.) Entries are read into memory one at a time under VG_LIMIT_OSV_RECORD_BYTES;
 * names are data, never paths: nothing is extracted. Entry count and total unpacked size are
 * capped (decompression bombs).
 */
#include "vulndb/vulndb_int.h"

#include <string.h>

#include <archive.h>
#include <archive_entry.h>

static void
archive_freep(struct archive **a)
{
    if (*a) {
        archive_read_free(*a);
    }
}
#define vg_autoarchive VG_CLEANUP(archive_freep)

/* Reads the current entry's data, at most max+1 bytes so that oversize is detected. Returns 0,
 * VG_E_LIMIT for oversize, VG_E_PARSE for a damaged entry (with *fatal set when the archive
 * cannot continue). */
static int
read_entry(struct archive *a, struct vg_buf *buf, bool *fatal, const char **why)
{
    uint8_t chunk[64 * 1024];
    vg_buf_reset(buf);
    for (;;) {
        la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
        if (n == 0) {
            return 0;
        }
        if (n < 0) {
            *fatal = n == ARCHIVE_FATAL;
            *why = archive_error_string(a) ? archive_error_string(a) : "damaged entry";
            return -VG_E_PARSE;
        }
        struct vg_err *e = NULL;
        if (vg_buf_append(buf, chunk, (size_t)n, &e) < 0) {
            vg_err_free(&e);
            *why = "record larger than the OSV record limit";
            /* Skip the rest of this entry; the next header call does that. */
            return -VG_E_LIMIT;
        }
    }
}

/* One pass over the archive from entry `first`; *resume gets the index to restart from when
 * an entry's data is damaged beyond what the decompressor can skip (libarchive refuses any
 * further call after ARCHIVE_FATAL, but the seekable reader finds entries through the central
 * directory, so reopening and skipping to the next entry recovers). */
static int
zip_pass(const char *path, uint64_t first, uint64_t *resume, zip_entry_fn fn, zip_bad_fn bad,
         void *ctx, uint64_t *total, struct vg_err **err)
{
    vg_autoarchive struct archive *a = archive_read_new();
    archive_read_support_format_zip_seekable(a);
    if (archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK) {
        return vg_err_set(err, VG_E_PARSE, "open zip %s: %s", path, archive_error_string(a));
    }
    vg_autobuf struct vg_buf buf = VG_BUF_INIT(VG_LIMIT_OSV_RECORD_BYTES);
    *resume = 0;
    for (uint64_t idx = 0;; idx++) {
        struct archive_entry *ent = NULL;
        int rc = archive_read_next_header(a, &ent);
        if (rc == ARCHIVE_EOF) {
            return 0;
        }
        if (rc == ARCHIVE_FATAL) {
            return vg_err_set(err, VG_E_PARSE, "zip %s: entry %llu: %s", path,
                              (unsigned long long)idx, archive_error_string(a));
        }
        if (idx >= VULNDB_MAX_ZIP_ENTRIES) {
            return vg_err_set(err, VG_E_LIMIT, "zip %s: more than %u entries", path,
                              VULNDB_MAX_ZIP_ENTRIES);
        }
        const char *name = archive_entry_pathname(ent);
        if (idx < first || !name || archive_entry_filetype(ent) != AE_IFREG ||
            !vg_cstr_endswith(name, ".json")) {
            continue;
        }
        vg_autofree char *nm = vg_strdup(name);
        if (rc < ARCHIVE_WARN) {
            bad(nm, archive_error_string(a) ? archive_error_string(a) : "bad header", ctx);
            continue;
        }
        if (archive_entry_size_is_set(ent) &&
            archive_entry_size(ent) > (la_int64_t)VG_LIMIT_OSV_RECORD_BYTES) {
            bad(nm, "record larger than the OSV record limit", ctx);
            continue;
        }
        bool fatal = false;
        const char *why = NULL;
        if (read_entry(a, &buf, &fatal, &why) < 0) {
            bad(nm, why, ctx);
            if (fatal) {
                *resume = idx + 1;
                return 0;
            }
            continue;
        }
        *total += buf.len;
        if (*total > VULNDB_MAX_ZIP_TOTAL) {
            return vg_err_set(err, VG_E_LIMIT, "zip %s: unpacked size over %llu bytes", path,
                              (unsigned long long)VULNDB_MAX_ZIP_TOTAL);
        }
        if (fn(nm, buf.data, buf.len, ctx, err) < 0) {
            return vg_err_wrap(err, "zip %s", path);
        }
    }
}

int
vg_zip_walk(const char *path, zip_entry_fn fn, zip_bad_fn bad, void *ctx, struct vg_err **err)
{
    uint64_t first = 0, total = 0;
    for (unsigned reopen = 0;; reopen++) {
        uint64_t resume = 0;
        if (zip_pass(path, first, &resume, fn, bad, ctx, &total, err) < 0) {
            return -VG_E_PARSE;
        }
        if (resume == 0) {
            return 0;
        }
        if (reopen == VULNDB_MAX_ZIP_REOPENS) {
            return vg_err_set(err, VG_E_PARSE, "zip %s: more than %u damaged entries", path,
                              VULNDB_MAX_ZIP_REOPENS);
        }
        first = resume;
    }
}
