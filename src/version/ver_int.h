/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations shared by the version module's files: one comparator and one
 * validator per scheme, each working on a length-bounded slice (never past VG_VER_MAX_BYTES),
 * plus locale-independent ASCII helpers. Not for use outside src/version/.
 */
#ifndef VG_VER_INT_H
#define VG_VER_INT_H

#include "version.h"

/* ASCII-only character classes: versions are compared byte-wise, whatever the locale. */
static inline bool
ver_isdigit(int c)
{
    return c >= '0' && c <= '9';
}
static inline bool
ver_islower(int c)
{
    return c >= 'a' && c <= 'z';
}
static inline bool
ver_isupper(int c)
{
    return c >= 'A' && c <= 'Z';
}
static inline bool
ver_isalpha(int c)
{
    return ver_islower(c) || ver_isupper(c);
}
static inline bool
ver_isalnum(int c)
{
    return ver_isalpha(c) || ver_isdigit(c);
}
static inline int
ver_tolower(int c)
{
    return ver_isupper(c) ? c + ('a' - 'A') : c;
}
static inline int
ver_sign(int v)
{
    return (v > 0) - (v < 0);
}

/* Byte at i, or 0 past the end (slices behave like NUL-terminated strings). */
static inline int
ver_at(struct vg_str s, size_t i)
{
    return i < s.len ? (unsigned char)s.ptr[i] : 0;
}

/* Compares two runs of decimal digits as arbitrary-precision numbers (leading zeros ignored). */
int vg_ver_digits_cmp(struct vg_str a, struct vg_str b);
/* Length of the run of digits starting at s.ptr[i]. */
size_t vg_ver_digits_span(struct vg_str s, size_t i);
/* Byte-wise comparison of two slices; a proper prefix sorts first. */
int vg_ver_bytes_cmp(struct vg_str a, struct vg_str b);
/* Case-insensitive (ASCII) equality of a slice with a lowercase literal. */
bool vg_ver_ieq(struct vg_str s, const char *lower);
struct vg_str vg_ver_sub(struct vg_str s, size_t from, size_t to);

int vg_ver_deb_cmp(struct vg_str a, struct vg_str b);
bool vg_ver_deb_valid(struct vg_str v);
int vg_ver_rpm_cmp(struct vg_str a, struct vg_str b);
bool vg_ver_rpm_valid(struct vg_str v);
/* rpmvercmp() on one field (no epoch/release split). */
int vg_ver_rpmvercmp(struct vg_str a, struct vg_str b);
int vg_ver_apk_cmp(struct vg_str a, struct vg_str b);
bool vg_ver_apk_valid(struct vg_str v);
int vg_ver_semver_cmp(struct vg_str a, struct vg_str b);
bool vg_ver_semver_valid(struct vg_str v);
int vg_ver_go_cmp(struct vg_str a, struct vg_str b);
bool vg_ver_go_valid(struct vg_str v);
int vg_ver_pep440_cmp(struct vg_str a, struct vg_str b);
bool vg_ver_pep440_valid(struct vg_str v);
int vg_ver_maven_cmp(struct vg_str a, struct vg_str b);
bool vg_ver_maven_valid(struct vg_str v);
int vg_ver_gem_cmp(struct vg_str a, struct vg_str b);
bool vg_ver_gem_valid(struct vg_str v);
int vg_ver_composer_cmp(struct vg_str a, struct vg_str b);
bool vg_ver_composer_valid(struct vg_str v);
/* Composer: false when the pair cannot be ordered (two different dev- branches). */
bool vg_ver_composer_comparable(struct vg_str a, struct vg_str b);
int vg_ver_nuget_cmp(struct vg_str a, struct vg_str b);
bool vg_ver_nuget_valid(struct vg_str v);

#endif
