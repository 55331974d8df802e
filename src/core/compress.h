/* SPDX-License-Identifier: Apache-2.0
 *
 * Compression formats told apart by their magic bytes (never by file names or media types):
 * the one detector shared by the layer walk (layers/), the compressed docker-archive unpacker
 * (layers/) and the docker-archive source's refusal of compressed layer tars (oci/). Pure
 * byte tests, no library: the decoders themselves live in layers/ (zlib, zstd).
 */
#ifndef VG_CORE_COMPRESS_H
#define VG_CORE_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

enum vg_compression {
    VG_COMP_NONE,  /* anything else: a plain tar, JSON, ... */
    VG_COMP_GZIP,  /* 1f 8b (RFC 1952) */
    VG_COMP_ZSTD,  /* a zstd frame (28 b5 2f fd) or a skippable frame (5? 2a 4d 18) first */
    VG_COMP_BZIP2, /* "BZh": recognized to be refused clearly, never decoded */
    VG_COMP_XZ,    /* fd "7zXZ" 00: likewise */
};

/* Bytes vg_compression_detect needs to tell every kind apart (the xz magic). */
#define VG_COMP_MAGIC_BYTES 6u

/* The compression of a stream from its first n bytes (n may be smaller than
 * VG_COMP_MAGIC_BYTES: a magic longer than n is not matched). */
enum vg_compression vg_compression_detect(const uint8_t *p, size_t n);
/* "gzip", "zstd", "bzip2", "xz" or "none"; static storage. */
const char *vg_compression_name(enum vg_compression c);

#endif
