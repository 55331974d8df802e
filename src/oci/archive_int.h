/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to oci/ (implemented in archive.c): a bounded index of an uncompressed tar file's
 * entries (names, types, data offsets), for random access into docker-archive tarballs
 * without extracting them. A gzip- or zstd-compressed docker-archive is decompressed by
 * layers/ (vg_layers_image_open) into a temporary file that the index then reads. Layer
 * contents are walked by layers/ through libarchive; this reads headers only.
 */
#ifndef VG_OCI_ARCHIVE_INT_H
#define VG_OCI_ARCHIVE_INT_H

#include "oci.h"

/* Entries in one docker-archive: a few files per layer plus manifest.json and configs. */
#define VG_OCI_TAR_MAX_ENTRIES 100000u
/* A pax extended header only carries a few records (path, linkpath, size, times). */
#define VG_OCI_TAR_MAX_PAX_BYTES (64u * 1024u)

enum vg_oci_tar_type { VG_TAR_FILE, VG_TAR_DIR, VG_TAR_SYMLINK, VG_TAR_HARDLINK, VG_TAR_OTHER };

struct vg_oci_tar_entry {
    char *name; /* cleaned: no leading "./" or "/", no "." components */
    char *link; /* symlink target or hardlink name, or NULL */
    enum vg_oci_tar_type type;
    uint64_t offset; /* of the data */
    uint64_t size;
};

struct vg_oci_tar_index {
    struct vg_oci_tar_entry *entries;
    size_t n, cap;
    size_t escaped; /* entries dropped because their names escape the root ("..") */
};

/* Reads the headers of the tar in `data`-less mode through pread on fd (file_size bytes). */
int vg_oci_tar_index_build(struct vg_oci_tar_index *idx, int fd, uint64_t file_size,
                           struct vg_err **err);
/* Same over an in-memory buffer (fuzzing and tests). */
int vg_oci_tar_index_build_mem(struct vg_oci_tar_index *idx, const uint8_t *data, size_t len,
                               struct vg_err **err);
void vg_oci_tar_index_dispose(struct vg_oci_tar_index *idx);
/* Cleans a relative path like Go's path.Clean without a leading '/'; NULL when it escapes
 * the root with "..". Caller frees. */
char *vg_oci_tar_clean(const char *path, size_t len);
/* Looks a cleaned name up, following symlinks and hardlinks (bounded); NULL if absent. */
const struct vg_oci_tar_entry *vg_oci_tar_lookup(const struct vg_oci_tar_index *idx,
                                                 const char *name);

/* The one entry named `name` (cleaned), for readers that follow no links (oci-archive):
 * VG_E_NOTFOUND when absent, VG_E_PARSE when the name occurs more than once (which copy a
 * reader gets would depend on the tool), VG_E_UNSUPPORTED for a symlink or hardlink, VG_E_PARSE
 * for anything but a regular file. `file` names the archive in messages. */
int vg_oci_tar_lookup_strict(const struct vg_oci_tar_entry **out,
                             const struct vg_oci_tar_index *idx, const char *name, const char *file,
                             struct vg_err **err);
/* Reads n bytes at off of fd exactly (VG_E_PARSE when the file ends first). */
int vg_oci_tar_pread(int fd, uint64_t off, void *buf, size_t n, struct vg_err **err);
/* A raw stream of size bytes at off of fd (borrowed: it must outlive the stream); `what`
 * (taken) names it in messages. */
struct vg_oci_stream *vg_oci_range_stream_new(int fd, uint64_t off, uint64_t size, char *what);

#endif
