#include <criterion/criterion.h>
#include <string.h>

#include "core/compress.h"

/* Crafted headers: each magic at full length, one byte short, and with its last byte off. */
Test(core_compress, magics_full_short_and_off_by_one)
{
    static const struct {
        const char *bytes;
        size_t n;
        enum vg_compression want;
    } cases[] = {
        {"\x1f\x8b\x08\x00", 4, VG_COMP_GZIP},
        {"\x1f\x8b", 2, VG_COMP_GZIP},
        {"\x1f", 1, VG_COMP_NONE},
        {"\x1f\x8c", 2, VG_COMP_NONE},
        {"\x28\xb5\x2f\xfd\x00\x58", 6, VG_COMP_ZSTD},
        {"\x28\xb5\x2f", 3, VG_COMP_NONE},
        {"\x28\xb5\x2f\xfe", 4, VG_COMP_NONE},
        {"\xfd"
         "7zXZ\0",
         6, VG_COMP_XZ},
        {"\xfd"
         "7zXZ",
         5, VG_COMP_NONE},
        {"\xfd"
         "7zXZ\1",
         6, VG_COMP_NONE},
        {"BZh9", 4, VG_COMP_BZIP2},
        {"BZh", 3, VG_COMP_BZIP2},
        {"BZ", 2, VG_COMP_NONE},
        {"BZx", 3, VG_COMP_NONE},
        {"", 0, VG_COMP_NONE},
        {"manifest.json", 13, VG_COMP_NONE},
        {"{\"CVE_Items\"", 12, VG_COMP_NONE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_assert_eq(vg_compression_detect((const uint8_t *)cases[i].bytes, cases[i].n),
                     cases[i].want, "case %zu", i);
    }
    cr_assert_eq(vg_compression_detect(NULL, 0), VG_COMP_NONE);
}

/* RFC 8878 3.1.2: 16 skippable-frame magics, 0x184D2A50..0x184D2A5F little-endian. */
Test(core_compress, zstd_skippable_frames)
{
    for (unsigned lo = 0; lo < 256; lo++) {
        uint8_t h[8] = {(uint8_t)lo, 0x2a, 0x4d, 0x18, 4, 0, 0, 0};
        enum vg_compression want = (lo & 0xf0) == 0x50 ? VG_COMP_ZSTD : VG_COMP_NONE;
        cr_assert_eq(vg_compression_detect(h, sizeof(h)), want, "first byte 0x%02x", lo);
        cr_assert_eq(vg_compression_detect(h, 3), VG_COMP_NONE);
    }
    uint8_t bad[4] = {0x50, 0x2a, 0x4d, 0x19};
    cr_assert_eq(vg_compression_detect(bad, 4), VG_COMP_NONE);
}

/* A plain ustar header (name first, "ustar" at 257) is not compressed, whatever its name. */
Test(core_compress, plain_tar_is_none)
{
    uint8_t h[512] = {0};
    memcpy(h, "x.tar.gz", 8);
    memcpy(h + 257,
           "ustar\0"
           "00",
           8);
    cr_assert_eq(vg_compression_detect(h, sizeof(h)), VG_COMP_NONE);
    h[0] = 0x1f; /* ... but a name starting with the gzip magic is indistinguishable */
    h[1] = 0x8b;
    cr_assert_eq(vg_compression_detect(h, sizeof(h)), VG_COMP_GZIP);
}

Test(core_compress, names)
{
    cr_assert_str_eq(vg_compression_name(VG_COMP_NONE), "none");
    cr_assert_str_eq(vg_compression_name(VG_COMP_GZIP), "gzip");
    cr_assert_str_eq(vg_compression_name(VG_COMP_ZSTD), "zstd");
    cr_assert_str_eq(vg_compression_name(VG_COMP_BZIP2), "bzip2");
    cr_assert_str_eq(vg_compression_name(VG_COMP_XZ), "xz");
}
