/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to layers/: the decompression stage (lz.c), the single-layer tar walker (walk.c),
 * the merged-view index (merge.c) and the parallel image walk (walk_image.c) share these
 * declarations. Unit tests use them to lower limits and to drive the merge rules directly.
 */
#ifndef VG_LAYERS_INT_H
#define VG_LAYERS_INT_H

#include <stdatomic.h>

#include "layers.h"

/* Bounds applied to one layer; tests lower them to exercise the limit paths. */
struct vg_layers_limits {
    uint64_t unpacked_bytes; /* plain tar bytes */
    uint64_t entries;        /* tar entries, whiteouts included */
    size_t path_bytes;       /* one entry name */
};
#define VG_LAYERS_LIMITS_DEFAULT                                                                   \
    {                                                                                              \
        VG_LIMIT_LAYER_UNPACKED_BYTES, VG_LIMIT_LAYER_ENTRIES, VG_LIMIT_PATH_BYTES                 \
    }

/* One recorded layer listing: past this the layer is simply not cacheable. */
#define VG_LISTING_MAX_BYTES (64u * 1024u * 1024u)

/* Fixed streaming buffer sizes: memory per layer in flight does not depend on its size. */
#define VG_LAYERS_IN_BUF  (128u * 1024u)
#define VG_LAYERS_OUT_BUF (256u * 1024u)

/* ---------------------------------------------------------------- decompression (lz.c) */

/* Turns a (possibly compressed) layer stream into the plain tar stream, detecting gzip, zstd
 * or none from the first bytes, hashing the plain bytes (diffID) and, optionally, the
 * compressed bytes. */
struct vg_lz;
struct vg_lz_opts {
    bool hash_compressed;
    uint64_t max_unpacked;
    const atomic_bool *cancel; /* may be NULL */
    bool no_plain_hash;        /* the caller hashes the plain bytes (pipe.c's consumer) */
};
int vg_lz_open(struct vg_lz **out, vg_layers_read_fn read, void *rctx,
               const struct vg_lz_opts *opts, struct vg_err **err);
/* Next chunk of plain bytes (valid until the next call); *len == 0 at the verified end of the
 * compressed stream. Errors: VG_E_PARSE (corrupt/truncated), VG_E_LIMIT, or the source's. */
int vg_lz_pull(struct vg_lz *z, const uint8_t **data, size_t *len, struct vg_err **err);
/* Pulls and hashes everything left, so both digests cover the whole stream. */
int vg_lz_drain(struct vg_lz *z, struct vg_err **err);
/* After the end: fills digests (compressed only when hashed), sizes and compression name. */
void vg_lz_stats(struct vg_lz *z, struct vg_layer_stats *st);
const char *vg_lz_kind_name(const struct vg_lz *z);
void vg_lz_free(struct vg_lz *z);

/* ---------------------------------------------------------------- pipelined lz (pipe.c) */

/* Runs vg_lz_pull on a thread of its own, chunks handed over in order through a ring. Pull
 * behaves as vg_lz_pull (a chunk stays valid until the next pull; *len == 0 at the end, an
 * error after the chunks before it); the lz belongs to the pipe until vg_lz_pipe_close, which
 * stops and joins the thread. */
struct vg_lz_pipe;
int vg_lz_pipe_start(struct vg_lz_pipe **out, struct vg_lz *lz, struct vg_err **err);
int vg_lz_pipe_pull(struct vg_lz_pipe *p, const uint8_t **data, size_t *len, struct vg_err **err);
void vg_lz_pipe_close(struct vg_lz_pipe *p);

/* ---------------------------------------------------------------- merged view (merge.c) */

enum vg_layers_event {
    VG_LEV_DIR,      /* a directory entry */
    VG_LEV_NONDIR,   /* any other entry: replaces the path and hides what was beneath it */
    VG_LEV_WHITEOUT, /* .wh.NAME: deletes NAME (and beneath) from lower layers */
    VG_LEV_OPAQUE,   /* .wh..wh..opq in DIR: hides DIR's contents from lower layers */
};

/* Path -> (last layer with an entry, last deleting layer per kind). Thread-safe adds. */
struct vg_layers_index;
struct vg_layers_index *vg_layers_index_new(void);
void vg_layers_index_add(struct vg_layers_index *idx, const char *path, size_t len, size_t layer,
                         enum vg_layers_event ev);
void vg_layers_index_free(struct vg_layers_index *idx);
/* Builds the result, taking ownership of idx and of stats (nlayers entries, vg_malloc'd).
 * Logs one warning per whiteout that deleted nothing from a lower layer. */
struct vg_layers_result *vg_layers_result_new(struct vg_layers_index *idx,
                                              struct vg_layer_stats *stats, size_t nlayers);
/* Attaches per-layer listings (vg_bufs, nlayers, taking ownership; entries may be empty) and
 * which layers came from a cache (taking ownership) to a result. */
void vg_layers_result_set_listings(struct vg_layers_result *r, struct vg_buf *listings,
                                   bool *cached);
/* Adds a validated listing's events for layer i to the index. */
void vg_layers_index_add_listing(struct vg_layers_index *idx, const uint8_t *data, size_t len,
                                 size_t layer);
/* Number of distinct paths indexed (tests, inspect). */
size_t vg_layers_result_npaths(const struct vg_layers_result *r);

/* ---------------------------------------------------------------- one layer (walk.c) */

struct vg_layers_walk_args {
    size_t layer_index;
    const struct vg_digest *layer_digest;  /* may be NULL */
    const struct vg_digest *diff_id;       /* may be NULL */
    const char *label;                     /* "layer sha256:..." for messages */
    struct vg_layers_index *index;         /* may be NULL */
    struct vg_buf *listing;                /* may be NULL: records the layer's listing */
    const struct vg_layers_limits *limits; /* NULL: defaults */
    bool hash_compressed;
    const atomic_bool *cancel; /* may be NULL; set: the walk stops with VG_E_INTERNAL */
    bool pipeline;             /* decompress on a thread of its own (pipe.c) */
};
int vg_layers_walk_one(struct vg_layer_stats *stats, vg_layers_read_fn read, void *rctx,
                       const struct vg_layers_walk_args *args,
                       struct vg_layer_consumer *const *consumers, size_t nconsumers,
                       struct vg_err **err);

/* Normalizes a tar entry name into out (cap bytes): strips "./", "/"-runs and "." components.
 * Returns the length, or -1 when the name is absolute or has a ".." component (unsafe), or
 * -2 when it does not fit. */
long vg_layers_path_normalize(const char *name, char *out, size_t cap);

#endif
