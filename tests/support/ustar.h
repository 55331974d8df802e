/* SPDX-License-Identifier: Apache-2.0
 *
 * Test support: hand-built ustar archives in memory, byte by byte, so a test controls every
 * header field (hostile names, link targets, lying sizes) without libarchive. Header-only:
 * include it as "../../support/ustar.h" from a test under tests/unit/<module>/.
 * (tests/unit/layers/tarbuild.h builds well-formed archives with libarchive instead.)
 */
#ifndef VG_TEST_SUPPORT_USTAR_H
#define VG_TEST_SUPPORT_USTAR_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fills one 512-byte ustar header: mode 0644, the given type ('0' file, '1' hard link, '2'
 * symlink, 'x' pax, 'L' GNU long name), size and link target, and a valid checksum. */
static inline void
ustar_hdr(uint8_t *h, const char *name, char type, uint64_t size, const char *link)
{
    memset(h, 0, 512);
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    memcpy(h + 100, "0000644", 7);
    char num[32];
    snprintf(num, sizeof(num), "%011llo", (unsigned long long)(size & 077777777777ull));
    memcpy(h + 124, num, 11);
    h[156] = (uint8_t)type;
    if (link) {
        memcpy(h + 157, link, strlen(link) < 100 ? strlen(link) : 100);
    }
    memcpy(h + 257,
           "ustar\0"
           "00",
           8);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) {
        sum += h[i];
    }
    snprintf((char *)h + 148, 8, "%06o", sum);
}

/* A growing-by-hand archive of at most 16 KiB (no end-of-archive blocks unless added). */
struct tarb {
    uint8_t data[16384];
    size_t len;
};

/* Appends one member: header, then content padded to 512. */
static inline void
ustar_add(struct tarb *t, const char *name, char type, const char *content, const char *link)
{
    size_t n = content ? strlen(content) : 0;
    if (t->len + 512 + (n + 511) / 512 * 512 > sizeof(t->data)) {
        abort(); /* the test asked for more than the fixed buffer holds */
    }
    ustar_hdr(t->data + t->len, name, type, n, link);
    t->len += 512;
    if (n) {
        memcpy(t->data + t->len, content, n);
        t->len += (n + 511) / 512 * 512;
    }
}

/* A complete one-file archive (with its two zero end blocks) in a malloc'd buffer the caller
 * frees; *len is its size. */
static inline char *
ustar_one(const char *name, const char *content, size_t *len)
{
    size_t n = strlen(content);
    *len = 512 + (n + 511) / 512 * 512 + 1024;
    char *t = calloc(1, *len);
    if (!t) {
        abort();
    }
    ustar_hdr((uint8_t *)t, name, '0', n, NULL);
    memcpy(t + 512, content, n);
    return t;
}

#endif
