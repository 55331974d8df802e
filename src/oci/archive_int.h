/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to oci/ (implemented in archive.c): a bounded index of an uncompressed tar file's
 * entries (names, types, data offsets), for random access into docker-archive tarballs
 * without extracting them, and the one-pass decompression of a gzip- or zstd-compressed
 * docker-archive into an unlinked temporary file that the index then reads. Layer contents
 * are walked by layers/ through libarchive; this reads headers only.
 */
#ifndef VG_OCI_ARCHIVE_INT_H
#define VG_OCI_ARCHIVE_INT_H

#include "oci.h"

/* Entries in one docker-archive: a few files per layer plus manifest.json and configs. */
#define VG_OCI_TAR_MAX_ENTRIES 100000u
/* A pax extended header only carries a few records (path, linkpath, size, times). */
#define VG_OCI_TAR_MAX_PAX_BYTES (64u * 1024u)

/* A compressed docker-archive is decompressed into a temporary file of at most this many
 * bytes (decompression-bomb guard); the same bound as one layer's unpacked size. */
#define VG_OCI_ARCHIVE_MAX_UNPACKED_BYTES VG_LIMIT_LAYER_UNPACKED_BYTES
/* Environment variable overriding that bound (a byte count), for tests and for operators
 * with larger images. */
#define VG_OCI_ARCHIVE_MAX_ENV "VIGIL_ARCHIVE_MAX_UNPACKED_BYTES"
/* Decompression stops rather than leave less than this free in the temporary directory. */
#define VG_OCI_ARCHIVE_TMP_RESERVE_BYTES (256ull * 1024ull * 1024ull)

enum vg_oci_compression {
    VG_OCI_COMP_NONE,
    VG_OCI_COMP_GZIP,
    VG_OCI_COMP_ZSTD,
    VG_OCI_COMP_BZIP2, /* recognized only to be refused clearly */
    VG_OCI_COMP_XZ,    /* likewise */
};
/* Bytes vg_oci_compression_sniff needs to tell every kind apart. */
#define VG_OCI_COMP_MAGIC_BYTES 6u

/* Detects the compression from the first n bytes (magic numbers only, never file names). */
enum vg_oci_compression vg_oci_compression_sniff(const uint8_t *p, size_t n);
/* "gzip", "zstd", "bzip2", "xz" or "uncompressed"; static storage. */
const char *vg_oci_compression_name(enum vg_oci_compression c);

struct vg_oci_unpack_opts {
    uint64_t max_bytes;      /* decompressed bound; 0 = VG_OCI_ARCHIVE_MAX_UNPACKED_BYTES */
    uint64_t min_free_bytes; /* space to leave free; 0 = VG_OCI_ARCHIVE_TMP_RESERVE_BYTES */
    const char *tmpdir;      /* NULL: $TMPDIR, else /tmp */
};

/* Decompresses all of in_fd (gzip or zstd, chosen by magic; `name` is for messages) into a
 * temporary file that is unlinked from the start (O_TMPFILE, else mkstemp + unlink), so
 * nothing is left behind on any exit path. On success *out_fd (owned by the caller, close it)
 * holds *out_size plain bytes. Errors: VG_E_PARSE for a truncated or corrupt stream,
 * VG_E_LIMIT past max_bytes or the free-space reserve, VG_E_UNSUPPORTED for other
 * compressions and for nested compression (gzip inside gzip), VG_E_IO for file errors. */
VG_NODISCARD int vg_oci_archive_unpack(int *out_fd, uint64_t *out_size, int in_fd, const char *name,
                                       const struct vg_oci_unpack_opts *o, struct vg_err **err);

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

#endif
