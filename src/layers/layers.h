/* SPDX-License-Identifier: Apache-2.0
 *
 * layers: one streaming pass over each layer tar (gzip, zstd or plain, detected by magic)
 * through libarchive, verifying the layer blob while it reads; whiteouts (.wh.NAME) and
 * opaque directories (.wh..wh..opq) applied across layers; and the analyzer interface: a
 * consumer registers which paths it wants, receives those files' bytes and metadata with the
 * layer they come from, and afterwards learns which of them the final merged filesystem still
 * contains.
 *
 * Paths handed to consumers are normalized, relative, without a leading "./" or "/" (e.g.
 * "var/lib/dpkg/status"). Entries whose names contain ".." components or that would escape
 * the root are skipped with a warning and counted; links are data, never followed.
 *
 * Memory stays bounded: file contents are delivered either whole (up to the consumer's
 * per-file limit) or as a stream of chunks; nothing is extracted to disk.
 *
 * Thread safety: layers may be walked in parallel (opts.jobs); consumer callbacks for
 * different layers can then run concurrently on different threads, so consumers keep
 * per-layer state or lock. Results are merged deterministically in layer order.
 */
#ifndef VG_LAYERS_H
#define VG_LAYERS_H

#include "core/core.h"
#include "oci/oci.h"

/* Metadata of one tar entry. */
struct vg_layer_file {
    const char *path;     /* normalized relative path */
    const char *linkname; /* symlink/hardlink target, or NULL */
    uint64_t size;        /* regular files: content size */
    uint32_t mode;        /* st_mode including type bits */
    uint32_t uid, gid;
    int64_t mtime;
    size_t layer_index;                   /* 0-based, in manifest order */
    const struct vg_digest *layer_digest; /* compressed blob digest */
    const struct vg_digest *diff_id;      /* uncompressed digest from the config, or NULL */
};

/* What a consumer wants for a path. */
enum vg_layer_want {
    VG_WANT_NONE = 0,
    VG_WANT_META,   /* metadata only (file listing, setuid checks) */
    VG_WANT_WHOLE,  /* whole content in one buffer (up to max_file_bytes; larger: skipped
                       with a warning naming the file) */
    VG_WANT_STREAM, /* content in chunks through on_chunk */
};

struct vg_layer_consumer {
    const char *name; /* for logs: "dpkg", "secrets" */
    void *ctx;
    size_t max_file_bytes; /* for VG_WANT_WHOLE; 0 = VG_LIMIT_ANALYZER_FILE_BYTES */
    /* Called for every entry (all types, including directories and whiteouts resolved away).
     * Must be fast: a path test. */
    enum vg_layer_want (*want)(void *ctx, const struct vg_layer_file *f);
    /* VG_WANT_META and VG_WANT_WHOLE: called once per wanted entry; data is NULL for META
     * and for non-regular files. A negative return aborts the walk with *err set. */
    int (*on_file)(void *ctx, const struct vg_layer_file *f, const uint8_t *data, size_t len,
                   struct vg_err **err);
    /* VG_WANT_STREAM: chunks in order, then a final call with data == NULL, len == 0. */
    int (*on_chunk)(void *ctx, const struct vg_layer_file *f, const uint8_t *data, size_t len,
                    struct vg_err **err);
};

/* Per-layer statistics, for `inspect` and benchmarks. */
struct vg_layer_stats {
    struct vg_digest digest;
    struct vg_digest diff_id_computed; /* sha256 of the uncompressed tar */
    uint64_t compressed_size;
    uint64_t uncompressed_size;
    uint64_t files; /* regular files, dirs, links... all entries except whiteouts */
    uint64_t whiteouts;
    uint64_t skipped_unsafe; /* entries refused: "..", absolute escapes */
    char compression[8];     /* "gzip", "zstd", "none" */
};

/* A layer's listing: what the merge needs to know of it without its bytes. Records
 * "<kind><path>\0" concatenated, kind one of VG_LISTING_* and path normalized: relative, no
 * "." or ".." component, at most VG_LIMIT_PATH_BYTES, non-empty except for an opaque marker
 * at the root. */
#define VG_LISTING_DIR      'd' /* a directory entry */
#define VG_LISTING_NONDIR   'f' /* any other entry */
#define VG_LISTING_WHITEOUT 'w' /* .wh.NAME: path is NAME */
#define VG_LISTING_OPAQUE   'o' /* .wh..wh..opq: path is its directory */
/* Whether a listing is well formed (for listings read back from a cache). */
bool vg_layers_listing_valid(const uint8_t *data, size_t len);

/* Supplies the listing of layer i from a cache: returning true (with *data and *len set, borrowed
 * until vg_layers_walk returns) skips reading that layer's blob; consumers see none of its
 * files, the merged view includes its listing. */
typedef bool (*vg_layers_cached_fn)(void *ctx, size_t layer_index, const uint8_t **data,
                                    size_t *len);

struct vg_layers_opts {
    unsigned jobs;              /* parallel layers; 0 = number of CPUs (max 4) */
    bool verify_diff_ids;       /* compare computed diffIDs with the config (VG_E_VERIFY) */
    bool quiet;                 /* no progress bar */
    bool record_listings;       /* keep each walked layer's listing (vg_layers_result_listing) */
    vg_layers_cached_fn cached; /* NULL: every layer is read */
    void *cached_ctx;
    /* false (default): on a machine with more than one CPU each layer is inflated on a thread
     * of its own while its tar is parsed and analysed; true: both on the walking thread. */
    bool inline_inflate;
    /* CLOCK_MONOTONIC deadline (vg_now_ns; 0: none, --timeout): checked while layers are read,
     * decompressed and analysed; past it the walk stops with VG_E_NET naming the layer. */
    uint64_t deadline_ns;
};
#define VG_LAYERS_OPTS_INIT                                                                        \
    {                                                                                              \
        0, true, false, false, NULL, NULL, false, 0                                                \
    }

/* The merged view: for every path seen in any layer, whether it survives in the final
 * filesystem (not deleted by a later whiteout/opaque dir or replaced by a later layer). */
struct vg_layers_result;
bool vg_layers_result_present(const struct vg_layers_result *r, const char *path,
                              size_t layer_index);
/* Whether path exists in the final filesystem; if so *layer_index (may be NULL) gets the layer
 * whose entry is visible. Paths may be given with or without a leading "/". */
bool vg_layers_result_lookup(const struct vg_layers_result *r, const char *path,
                             size_t *layer_index);
const struct vg_layer_stats *vg_layers_result_stats(const struct vg_layers_result *r,
                                                    size_t *nlayers);
/* The listing recorded for layer i (opts.record_listings), NULL for layers supplied from a
 * cache or when not recorded. Borrowed from r. */
const uint8_t *vg_layers_result_listing(const struct vg_layers_result *r, size_t layer_index,
                                        size_t *len);
/* Whether layer i was supplied by opts.cached instead of being read. */
bool vg_layers_result_cached(const struct vg_layers_result *r, size_t layer_index);
void vg_layers_result_free(struct vg_layers_result *r);

/* Walks every layer of img once, feeding the consumers. */
int vg_layers_walk(struct vg_layers_result **out, struct vg_oci_image *img,
                   struct vg_layer_consumer *const *consumers, size_t nconsumers,
                   const struct vg_layers_opts *opts, struct vg_err **err);

/* Walks one tar stream read through a callback (tests, fuzzing, SBOM of a rootfs tar). */
typedef int (*vg_layers_read_fn)(void *ctx, void *buf, size_t cap, size_t *got,
                                 struct vg_err **err);
int vg_layers_walk_stream(struct vg_layer_stats *stats, vg_layers_read_fn read, void *rctx,
                          size_t layer_index, struct vg_layer_consumer *const *consumers,
                          size_t nconsumers, struct vg_err **err);

/* ---------------------------------------------------------------- directory trees (walk_dir.c)
 *
 * A directory walked as one layer (index 0, no digests) for `vigil fs` and `vigil rootfs`:
 * the same consumers, want() calls and deliveries as a layer, paths relative to the root.
 * Symbolic links are reported (linkname verbatim) and never followed; unreadable entries,
 * bind-mount loops, over-long names and trees deeper than VG_LAYERS_DIR_MAX_DEPTH are skipped
 * with a warning and counted in stats->skipped_unsafe. Errors: VG_E_NOTFOUND / VG_E_IO for the
 * root itself, VG_E_LIMIT past VG_LIMIT_LAYER_ENTRIES entries, VG_E_NET at the deadline, or a
 * consumer's error. Consumer callbacks run on the calling thread. */
#define VG_LAYERS_DIR_MAX_DEPTH 256u
struct vg_layers_dir_opts {
    const char *const *skip_dirs; /* directories not entered (core/glob.h dir globs) */
    size_t nskip_dirs;
    bool quiet;           /* no warnings for skipped entries */
    uint64_t deadline_ns; /* CLOCK_MONOTONIC (vg_now_ns); 0: none */
};
int vg_layers_walk_dir(struct vg_layer_stats *stats, const char *root,
                       struct vg_layer_consumer *const *consumers, size_t nconsumers,
                       const struct vg_layers_dir_opts *opts, struct vg_err **err);

/* ---------------------------------------------------------------- zip archives
 *
 * The one zip reader (jar/war/ear, egg, PyTorch checkpoints, OSV all.zip): a read-only view of
 * an archive held in memory (APPNOTE 6.3: zip64 aware, prepended data such as the launcher
 * script of "fully executable" jars tolerated) and bounded extraction of one member (stored or
 * deflate). Nothing is trusted: every offset and size is checked against the bytes present,
 * members may not overlap each other or the central directory (overlap bombs), declared sizes
 * are checked against the caller's bound before anything is allocated, inflation stops at
 * that bound and at VG_ZIP_MAX_RATIO times the compressed size. Entry names are borrowed from
 * the archive bytes. Errors name the entry and offset: "zip: entry 3 at offset 120: ...". */

#define VG_ZIP_MAX_RATIO 1100u /* deflate cannot exceed ~1032:1; beyond is corrupt or hostile */

struct vg_zip_entry {
    struct vg_str name; /* borrowed; not NUL-terminated */
    uint16_t flags, method;
    uint32_t crc; /* CRC-32 from the central directory; checked by vg_zip_read */
    uint64_t csize, usize, lho;
};

struct vg_zip {
    const uint8_t *data; /* the whole file, borrowed */
    size_t len;
    uint64_t base; /* bytes of prepended data before the archive proper */
    struct vg_zip_entry *ents;
    size_t n;
};

/* True when data starts like a zip archive or carries an end-of-central-directory record. */
bool vg_zip_sniff(const uint8_t *data, size_t len);
/* Parses the central directory: VG_E_PARSE when corrupt (bad offsets, overlapping members),
 * VG_E_LIMIT past max_entries, VG_E_UNSUPPORTED for multi-volume archives. On failure z is
 * left empty. */
VG_NODISCARD int vg_zip_open(struct vg_zip *z, const uint8_t *data, size_t len, size_t max_entries,
                             struct vg_err **err);
void vg_zip_dispose(struct vg_zip *z);
/* Locates an entry's compressed bytes inside the archive (through its local header). */
VG_NODISCARD int vg_zip_raw(const struct vg_zip *z, const struct vg_zip_entry *e,
                            const uint8_t **data, size_t *len, struct vg_err **err);
/* Extracts an entry into out (reset first): VG_E_LIMIT when its declared or actual size
 * exceeds max or the ratio bound, VG_E_UNSUPPORTED for encrypted entries or methods other
 * than stored/deflate, VG_E_PARSE for corrupt data or a CRC-32 mismatch. */
VG_NODISCARD int vg_zip_read(const struct vg_zip *z, const struct vg_zip_entry *e, size_t max,
                             struct vg_buf *out, struct vg_err **err);
/* Walks local headers from the start without the central directory (a damaged archive, or
 * only its head): reads the header at *off into *e (lho = *off) and *data_off. Returns 1 for
 * a complete header with known sizes (its data may still run past the end: check e->csize
 * against len - *data_off) and advances *off past the data (to len when it runs past the
 * end); 0 when no further entry can be walked (no local header signature, a truncated header,
 * sizes deferred to a data descriptor). */
int vg_zip_local_next(const uint8_t *data, size_t len, uint64_t *off, struct vg_zip_entry *e,
                      uint64_t *data_off);

/* ---------------------------------------------------------------- codecs (codec.c)
 * layers/ owns zlib and zstd; other modules decompress through these. */

enum vg_inflate_fmt {
    VG_INFLATE_ZLIB, /* RFC 1950 (0x78 ...) */
    VG_INFLATE_RAW,  /* RFC 1951 raw deflate (zip members) */
    VG_INFLATE_GZIP, /* RFC 1952, one member */
};

/* An incremental inflater, reusable through vg_inflater_reset (cheap: no reallocation). */
struct vg_inflater;
struct vg_inflater *vg_inflater_new(enum vg_inflate_fmt fmt); /* aborts on OOM */
void vg_inflater_reset(struct vg_inflater *z);
/* Inflates from *in (advancing *in and *in_len past what was consumed) into out[0..cap),
 * the caller's cap on this call's output, setting *produced. Returns 1 at the end of the
 * stream, 0 when it needs more input or more room, VG_E_PARSE (negative) on corrupt data. */
VG_NODISCARD int vg_inflater_run(struct vg_inflater *z, const uint8_t **in, size_t *in_len,
                                 uint8_t *out, size_t cap, size_t *produced, struct vg_err **err);
void vg_inflater_free(struct vg_inflater *z);

/* Inflates the whole of in (one stream, nothing after it) and appends it to out, at most
 * max_out bytes: VG_E_LIMIT past that (a bomb stops at the cap, not at its size), VG_E_PARSE
 * for corrupt data, a truncated stream or bytes after its end. On failure out is as it was. */
VG_NODISCARD int vg_inflate_buf(enum vg_inflate_fmt fmt, const uint8_t *in, size_t len,
                                size_t max_out, struct vg_buf *out, struct vg_err **err);

/* A streaming reader over a file descriptor (borrowed, read sequentially from its current
 * position): gzip (multi-member), zstd or plain bytes, by magic; xz and bzip2 are refused
 * (VG_E_UNSUPPORTED). At most max_out decoded bytes (VG_E_LIMIT "NAME: more than N bytes
 * uncompressed"); a truncated or corrupt stream is VG_E_PARSE naming `name`. */
struct vg_zread;
VG_NODISCARD int vg_zread_open(struct vg_zread **out, int fd, const char *name, uint64_t max_out,
                               struct vg_err **err);
/* Next chunk (valid until the next call); *len == 0 at the verified end. */
VG_NODISCARD int vg_zread_read(struct vg_zread *r, const uint8_t **data, size_t *len,
                               struct vg_err **err);
/* "gzip", "zstd" or "none". */
const char *vg_zread_compression(const struct vg_zread *r);
void vg_zread_close(struct vg_zread *r);

/* ---------------------------------------------------------------- compressed docker archives
 * (unpack.c). oci/ reads docker archives but owns no decompressor; opening a gzip- or
 * zstd-compressed one goes through here. */

/* A compressed docker-archive is decompressed into a temporary file of at most this many
 * bytes (decompression-bomb guard); the same bound as one layer's unpacked size. */
#define VG_LAYERS_ARCHIVE_MAX_UNPACKED_BYTES VG_LIMIT_LAYER_UNPACKED_BYTES
/* Environment variable overriding that bound (a byte count), for tests and for operators
 * with larger images. */
#define VG_LAYERS_ARCHIVE_MAX_ENV "VIGIL_ARCHIVE_MAX_UNPACKED_BYTES"
/* Decompression stops rather than leave less than this free in the temporary directory. */
#define VG_LAYERS_ARCHIVE_TMP_RESERVE_BYTES (256ull * 1024ull * 1024ull)

struct vg_layers_unpack_opts {
    uint64_t max_bytes;      /* decompressed bound; 0 = VG_LAYERS_ARCHIVE_MAX_UNPACKED_BYTES */
    uint64_t min_free_bytes; /* space to leave free; 0 = VG_LAYERS_ARCHIVE_TMP_RESERVE_BYTES */
    const char *tmpdir;      /* NULL: $TMPDIR, else /tmp */
};

/* Decompresses all of in_fd (gzip or zstd, chosen by magic; `name` is for messages) into a
 * temporary file that is unlinked from the start (O_TMPFILE, else mkstemp + unlink), so
 * nothing is left behind on any exit path. On success *out_fd (owned by the caller, close it)
 * holds *out_size plain bytes. Errors: VG_E_PARSE for a truncated, corrupt or empty stream,
 * VG_E_LIMIT past max_bytes or the free-space reserve, VG_E_UNSUPPORTED for other
 * compressions and for nested compression (gzip inside gzip), VG_E_IO for file errors. */
VG_NODISCARD int vg_layers_unpack_file(int *out_fd, uint64_t *out_size, int in_fd, const char *name,
                                       const struct vg_layers_unpack_opts *o, struct vg_err **err);

/* vg_oci_image_open, and a "docker-archive:FILE[:REF]" whose FILE is gzip- or
 * zstd-compressed (by magic, never by name) is decompressed once first (bounded by
 * VG_LAYERS_ARCHIVE_MAX_ENV, else the default) and read from the copy. The CLI and scan/ open
 * images through this. */
VG_NODISCARD int vg_layers_image_open(struct vg_oci_image **out, const char *image,
                                      const struct vg_oci_open_opts *opts, struct vg_err **err);

#endif
