/* SPDX-License-Identifier: Apache-2.0
 *
 * version: one comparator per package ecosystem, each matching its reference implementation
 * (dpkg, rpmvercmp, apk-tools, node-semver, Go modules, PEP 440, Maven ComparableVersion,
 * RubyGems, Composer, NuGet), plus OSV range-event evaluation.
 *
 * Thread safety: all functions are pure.
 */
#ifndef VG_VERSION_H
#define VG_VERSION_H

#include "core/core.h"

enum vg_ver_scheme {
    VG_VER_DEB = 1,
    VG_VER_RPM,
    VG_VER_APK,
    VG_VER_SEMVER, /* node-semver / npm, also OSV SEMVER ranges, Cargo, Hex, Pub */
    VG_VER_GO,     /* Go modules and stdlib ("go1.21.3" or "1.21.3") */
    VG_VER_PEP440, /* PyPI */
    VG_VER_MAVEN,
    VG_VER_RUBYGEMS,
    VG_VER_COMPOSER, /* Packagist */
    VG_VER_NUGET,
};

/* Scheme for a name: "deb", "rpm", "apk", "semver", "npm", "go", "pep440", "pypi", "maven",
 * "gem", "rubygems", "composer", "nuget" — case-insensitive. Returns 0 if unknown. */
enum vg_ver_scheme vg_ver_scheme_from_name(const char *name);
/* Scheme for an OSV ecosystem name, with release suffix stripped: "Debian:12" -> DEB,
 * "Alpine:v3.19" -> APK, "PyPI" -> PEP440, "npm" -> SEMVER, "Go" -> GO, "Maven" -> MAVEN,
 * "crates.io" -> SEMVER, "RubyGems", "Packagist", "NuGet", "Ubuntu:22.04" -> DEB, "Red Hat",
 * "Rocky Linux", "AlmaLinux", "openSUSE", "SUSE" -> RPM. Returns 0 if unknown. */
enum vg_ver_scheme vg_ver_scheme_from_ecosystem(const char *ecosystem);
const char *vg_ver_scheme_name(enum vg_ver_scheme s);

/* Is `v` a valid version in the scheme? (Comparators are total: invalid versions still
 * compare deterministically, but callers can ask first.) */
bool vg_ver_valid(enum vg_ver_scheme s, const char *v);

/* Returns <0, 0, >0 like strcmp. */
int vg_ver_cmp(enum vg_ver_scheme s, const char *a, const char *b);

/* OSV range events for one range, in the order given by the record. */
enum vg_ver_event_kind { VG_EV_INTRODUCED = 1, VG_EV_FIXED, VG_EV_LAST_AFFECTED, VG_EV_LIMIT };
struct vg_ver_event {
    enum vg_ver_event_kind kind;
    const char *version; /* "0" for introduced means "from the beginning" */
};
/* Evaluates one OSV range (type SEMVER or ECOSYSTEM) per the OSV spec's algorithm: events are
 * sorted by version, then walked; `limit` events bound the search. True if `v` is affected. */
bool vg_ver_range_affected(enum vg_ver_scheme s, const struct vg_ver_event *ev, size_t n,
                           const char *v);

/* ---- additions (keep the declarations above unchanged: other modules code against them) ---- */

/* Longest version string any scheme accepts as valid; comparators never read past it. */
#define VG_VER_MAX_BYTES 1024u
/* Highest scheme value, for iterating over all schemes (1 .. VG_VER_SCHEME_MAX). */
#define VG_VER_SCHEME_MAX VG_VER_NUGET

/* One line naming the reference implementation a scheme matches ("dpkg --compare-versions"). */
const char *vg_ver_scheme_describe(enum vg_ver_scheme s);
/* Other accepted names of a scheme for vg_ver_scheme_from_name, comma-separated ("" if none). */
const char *vg_ver_scheme_aliases(enum vg_ver_scheme s);

/* Checked comparison: fails with VG_E_USAGE for an unknown scheme, VG_E_PARSE when a or b is
 * not a valid version of the scheme, or when the pair cannot be ordered (Composer: two
 * different dev- branches). On success *out is -1, 0 or 1. */
VG_NODISCARD int vg_ver_cmp_checked(int *out, enum vg_ver_scheme s, const char *a, const char *b,
                                    struct vg_err **err);

#endif
