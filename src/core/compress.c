/* SPDX-License-Identifier: Apache-2.0
 *
 * The one magic-byte compression detector (see compress.h).
 */
#include "core/compress.h"

#include <string.h>

enum vg_compression
vg_compression_detect(const uint8_t *p, size_t n)
{
    static const uint8_t gz[] = {0x1f, 0x8b};
    static const uint8_t zst[] = {0x28, 0xb5, 0x2f, 0xfd};
    static const uint8_t xz[] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
    static const uint8_t bz[] = {'B', 'Z', 'h'};

    if (!p) {
        return VG_COMP_NONE;
    }
    if (n >= sizeof(gz) && memcmp(p, gz, sizeof(gz)) == 0) {
        return VG_COMP_GZIP;
    }
    if (n >= sizeof(zst) && memcmp(p, zst, sizeof(zst)) == 0) {
        return VG_COMP_ZSTD;
    }
    /* RFC 8878 3.1.2: skippable frames (magic 0x184D2A50..5F, little-endian) may precede the
     * first zstd frame; only a zstd decoder knows to skip them. */
    if (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18) {
        return VG_COMP_ZSTD;
    }
    if (n >= sizeof(xz) && memcmp(p, xz, sizeof(xz)) == 0) {
        return VG_COMP_XZ;
    }
    if (n >= sizeof(bz) && memcmp(p, bz, sizeof(bz)) == 0) {
        return VG_COMP_BZIP2;
    }
    return VG_COMP_NONE;
}

const char *
vg_compression_name(enum vg_compression c)
{
    switch (c) {
    case VG_COMP_GZIP:
        return "gzip";
    case VG_COMP_ZSTD:
        return "zstd";
    case VG_COMP_BZIP2:
        return "bzip2";
    case VG_COMP_XZ:
        return "xz";
    case VG_COMP_NONE:
        break;
    }
    return "none";
}
