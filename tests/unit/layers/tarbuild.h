/* SPDX-License-Identifier: Apache-2.0
 *
 * Test helper: builds small layer tarballs in memory with libarchive's write API (gzip, zstd
 * or no filter), hand-crafts hostile ustar headers, and reads buffers back through the
 * vg_layers_read_fn interface in chunks of a chosen size.
 */
#ifndef VG_TEST_TARBUILD_H
#define VG_TEST_TARBUILD_H

#include "layers/layers_int.h"

struct tb;
/* filter: "none", "gzip" or "zstd". */
struct tb *tb_new(const char *filter);
void tb_file(struct tb *t, const char *path, const void *data, size_t n);
void tb_file_str(struct tb *t, const char *path, const char *s);
void tb_dir(struct tb *t, const char *path);
void tb_symlink(struct tb *t, const char *path, const char *target);
void tb_hardlink(struct tb *t, const char *path, const char *target);
/* A sparse file of `size` bytes whose only data is n bytes at offset off (pax format). */
void tb_sparse(struct tb *t, const char *path, uint64_t size, uint64_t off, const void *data,
               size_t n);
/* Finishes the archive; the caller frees the returned bytes. */
uint8_t *tb_finish(struct tb *t, size_t *len);

/* Raw 512-byte ustar header for a regular file with any declared size. */
void tb_ustar_header(uint8_t hdr[512], const char *name, uint64_t size);
/* gzip of a buffer (one member). Caller frees. */
uint8_t *tb_gzip(const void *data, size_t n, size_t *outlen);

struct mem_src {
    const uint8_t *data;
    size_t len, pos;
    size_t chunk; /* max bytes per read; 0 = unlimited */
};
int mem_read(void *ctx, void *buf, size_t cap, size_t *got, struct vg_err **err);

/* Walks one in-memory layer through vg_layers_walk_stream. */
int walk_mem(struct vg_layer_stats *st, const uint8_t *data, size_t len, size_t chunk, size_t layer,
             struct vg_layer_consumer *const *cons, size_t ncons, struct vg_err **err);

#endif
