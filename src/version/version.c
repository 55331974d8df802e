/* SPDX-License-Identifier: Apache-2.0
 *
 * The version module's front door: scheme names and OSV ecosystem names, dispatch to the
 * per-scheme comparators (each in its own ver_<scheme>.c), the checked comparison used by the
 * CLI, shared digit/slice helpers, and OSV range evaluation (sort the events by version, then
 * walk them, exactly as the OSV schema's "Evaluation" pseudocode says).
 */
#include "version.h"

#include <string.h>
#include <strings.h>

#include "ver_int.h"

/* ---------------------------------------------------------------- helpers */

size_t
vg_ver_digits_span(struct vg_str s, size_t i)
{
    size_t j = i;
    while (j < s.len && ver_isdigit((unsigned char)s.ptr[j])) {
        j++;
    }
    return j - i;
}

int
vg_ver_digits_cmp(struct vg_str a, struct vg_str b)
{
    while (a.len > 0 && a.ptr[0] == '0') {
        a.ptr++;
        a.len--;
    }
    while (b.len > 0 && b.ptr[0] == '0') {
        b.ptr++;
        b.len--;
    }
    if (a.len != b.len) {
        return a.len < b.len ? -1 : 1;
    }
    if (a.len == 0) {
        return 0;
    }
    return ver_sign(memcmp(a.ptr, b.ptr, a.len));
}

int
vg_ver_bytes_cmp(struct vg_str a, struct vg_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int r = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (r != 0) {
        return ver_sign(r);
    }
    if (a.len == b.len) {
        return 0;
    }
    return a.len < b.len ? -1 : 1;
}

bool
vg_ver_ieq(struct vg_str s, const char *lower)
{
    size_t n = strlen(lower);
    if (s.len != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (ver_tolower((unsigned char)s.ptr[i]) != lower[i]) {
            return false;
        }
    }
    return true;
}

struct vg_str
vg_ver_sub(struct vg_str s, size_t from, size_t to)
{
    if (to > s.len) {
        to = s.len;
    }
    if (from > to) {
        from = to;
    }
    return (struct vg_str){s.ptr + from, to - from};
}

/* ---------------------------------------------------------------- scheme table */

struct scheme_info {
    enum vg_ver_scheme s;
    const char *name;
    const char *aliases; /* comma-separated */
    const char *describe;
    int (*cmp)(struct vg_str, struct vg_str);
    bool (*valid)(struct vg_str);
};

static const struct scheme_info schemes[] = {
    {VG_VER_DEB, "deb", "dpkg,debian,ubuntu", "dpkg --compare-versions (Debian, Ubuntu)",
     vg_ver_deb_cmp, vg_ver_deb_valid},
    {VG_VER_RPM, "rpm", "redhat,rhel,suse", "rpm's rpmvercmp on [epoch:]version[-release]",
     vg_ver_rpm_cmp, vg_ver_rpm_valid},
    {VG_VER_APK, "apk", "alpine,wolfi", "apk-tools version ordering (Alpine, Wolfi)",
     vg_ver_apk_cmp, vg_ver_apk_valid},
    {VG_VER_SEMVER, "semver", "npm,cargo,crates.io,hex,pub",
     "node-semver (SemVer 2.0.0; build metadata ignored)", vg_ver_semver_cmp, vg_ver_semver_valid},
    {VG_VER_GO, "go", "golang", "golang.org/x/mod/semver; stdlib go1.21.3, go1.21rc1",
     vg_ver_go_cmp, vg_ver_go_valid},
    {VG_VER_PEP440, "pep440", "pypi,python", "Python packaging.version (PEP 440)",
     vg_ver_pep440_cmp, vg_ver_pep440_valid},
    {VG_VER_MAVEN, "maven", "java", "Maven ComparableVersion (3.8)", vg_ver_maven_cmp,
     vg_ver_maven_valid},
    {VG_VER_RUBYGEMS, "rubygems", "gem,ruby", "RubyGems Gem::Version", vg_ver_gem_cmp,
     vg_ver_gem_valid},
    {VG_VER_COMPOSER, "composer", "packagist,php",
     "composer/semver: VersionParser::normalize then Comparator", vg_ver_composer_cmp,
     vg_ver_composer_valid},
    {VG_VER_NUGET, "nuget", "dotnet", "NuGet.Versioning NuGetVersion", vg_ver_nuget_cmp,
     vg_ver_nuget_valid},
};

static const struct scheme_info *
scheme_get(enum vg_ver_scheme s)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(schemes); i++) {
        if (schemes[i].s == s) {
            return &schemes[i];
        }
    }
    return NULL;
}

static bool
list_contains(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncasecmp(p, name, n) == 0) {
            return true;
        }
        p += len;
        if (*p == ',') {
            p++;
        }
    }
    return false;
}

enum vg_ver_scheme
vg_ver_scheme_from_name(const char *name)
{
    if (!name) {
        return 0;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(schemes); i++) {
        if (strcasecmp(name, schemes[i].name) == 0 || list_contains(schemes[i].aliases, name)) {
            return schemes[i].s;
        }
    }
    return 0;
}

const char *
vg_ver_scheme_name(enum vg_ver_scheme s)
{
    const struct scheme_info *si = scheme_get(s);
    return si ? si->name : "unknown";
}

const char *
vg_ver_scheme_describe(enum vg_ver_scheme s)
{
    const struct scheme_info *si = scheme_get(s);
    return si ? si->describe : "";
}

const char *
vg_ver_scheme_aliases(enum vg_ver_scheme s)
{
    const struct scheme_info *si = scheme_get(s);
    return si ? si->aliases : "";
}

static const struct {
    const char *eco;
    enum vg_ver_scheme s;
} ecosystems[] = {
    {"Debian", VG_VER_DEB},        {"Ubuntu", VG_VER_DEB},
    {"Alpine", VG_VER_APK},        {"Wolfi", VG_VER_APK},
    {"Chainguard", VG_VER_APK},    {"Red Hat", VG_VER_RPM},
    {"Rocky Linux", VG_VER_RPM},   {"AlmaLinux", VG_VER_RPM},
    {"openSUSE", VG_VER_RPM},      {"SUSE", VG_VER_RPM},
    {"Mageia", VG_VER_RPM},        {"openEuler", VG_VER_RPM},
    {"Photon OS", VG_VER_RPM},     {"Azure Linux", VG_VER_RPM},
    {"Oracle Linux", VG_VER_RPM},  {"Amazon Linux", VG_VER_RPM},
    {"npm", VG_VER_SEMVER},        {"crates.io", VG_VER_SEMVER},
    {"Hex", VG_VER_SEMVER},        {"Pub", VG_VER_SEMVER},
    {"SwiftURL", VG_VER_SEMVER},   {"Go", VG_VER_GO},
    {"PyPI", VG_VER_PEP440},       {"Maven", VG_VER_MAVEN},
    {"RubyGems", VG_VER_RUBYGEMS}, {"Packagist", VG_VER_COMPOSER},
    {"NuGet", VG_VER_NUGET},
};

enum vg_ver_scheme
vg_ver_scheme_from_ecosystem(const char *ecosystem)
{
    if (!ecosystem) {
        return 0;
    }
    const char *colon = strchr(ecosystem, ':');
    size_t n = colon ? (size_t)(colon - ecosystem) : strlen(ecosystem);
    for (size_t i = 0; i < VG_ARRAY_LEN(ecosystems); i++) {
        if (strlen(ecosystems[i].eco) == n && strncasecmp(ecosystems[i].eco, ecosystem, n) == 0) {
            return ecosystems[i].s;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- comparison */

/* A C string as a slice of at most VG_VER_MAX_BYTES (NULL reads as ""). */
static struct vg_str
bounded(const char *s)
{
    if (!s) {
        return (struct vg_str){"", 0};
    }
    return (struct vg_str){s, strnlen(s, VG_VER_MAX_BYTES)};
}

bool
vg_ver_valid(enum vg_ver_scheme s, const char *v)
{
    const struct scheme_info *si = scheme_get(s);
    if (!si || !v || strnlen(v, VG_VER_MAX_BYTES + 1) > VG_VER_MAX_BYTES) {
        return false;
    }
    return si->valid(bounded(v));
}

int
vg_ver_cmp(enum vg_ver_scheme s, const char *a, const char *b)
{
    const struct scheme_info *si = scheme_get(s);
    struct vg_str sa = bounded(a), sb = bounded(b);
    if (!si) {
        return vg_ver_bytes_cmp(sa, sb);
    }
    return ver_sign(si->cmp(sa, sb));
}

int
vg_ver_cmp_checked(int *out, enum vg_ver_scheme s, const char *a, const char *b,
                   struct vg_err **err)
{
    const struct scheme_info *si = scheme_get(s);
    if (!si) {
        return vg_err_set(err, VG_E_USAGE, "unknown version scheme %d", (int)s);
    }
    const char *vs[2] = {a, b};
    for (size_t i = 0; i < 2; i++) {
        if (!vg_ver_valid(s, vs[i])) {
            vg_autofree char *esc = vg_escape(
                vs[i] ? vs[i] : "", vs[i] ? strnlen(vs[i], VG_VER_MAX_BYTES + 1) : 0, 128);
            return vg_err_set(err, VG_E_PARSE, "invalid %s version '%s'", si->name, esc);
        }
    }
    if (s == VG_VER_COMPOSER && !vg_ver_composer_comparable(bounded(a), bounded(b))) {
        vg_autofree char *ea = vg_escape(a, strlen(a), 128);
        vg_autofree char *eb = vg_escape(b, strlen(b), 128);
        return vg_err_set(err, VG_E_PARSE, "composer dev- branches '%s' and '%s' are unordered", ea,
                          eb);
    }
    *out = vg_ver_cmp(s, a, b);
    return 0;
}

/* ---------------------------------------------------------------- OSV ranges */

static bool
ev_is_zero(const struct vg_ver_event *e)
{
    return e->kind == VG_EV_INTRODUCED && strcmp(e->version, "0") == 0;
}

static bool
ev_is_inf(const struct vg_ver_event *e)
{
    return e->kind == VG_EV_LIMIT && strchr(e->version, '*') != NULL;
}

/* Order of the OSV sort: introduced "0" before everything, limit "*" after everything. */
static int
ev_cmp(enum vg_ver_scheme s, const struct vg_ver_event *x, const struct vg_ver_event *y)
{
    bool xz = ev_is_zero(x), yz = ev_is_zero(y);
    if (xz || yz) {
        return xz == yz ? 0 : (xz ? -1 : 1);
    }
    bool xi = ev_is_inf(x), yi = ev_is_inf(y);
    if (xi || yi) {
        return xi == yi ? 0 : (xi ? 1 : -1);
    }
    return vg_ver_cmp(s, x->version, y->version);
}

/* Stable merge sort of event pointers (ties keep the record's order). */
static void
ev_sort(enum vg_ver_scheme s, const struct vg_ver_event **a, const struct vg_ver_event **tmp,
        size_t n)
{
    if (n < 2) {
        return;
    }
    size_t h = n / 2;
    ev_sort(s, a, tmp, h);
    ev_sort(s, a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        tmp[k++] = ev_cmp(s, a[j], a[i]) < 0 ? a[j++] : a[i++];
    }
    while (i < h) {
        tmp[k++] = a[i++];
    }
    while (j < n) {
        tmp[k++] = a[j++];
    }
    memcpy(a, tmp, n * sizeof(*a));
}

static bool
before_limits(enum vg_ver_scheme s, const struct vg_ver_event *ev, size_t n, const char *v)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].kind != VG_EV_LIMIT || !ev[i].version) {
            continue;
        }
        any = true;
        if (strchr(ev[i].version, '*') || vg_ver_cmp(s, v, ev[i].version) < 0) {
            return true;
        }
    }
    return !any;
}

bool
vg_ver_range_affected(enum vg_ver_scheme s, const struct vg_ver_event *ev, size_t n, const char *v)
{
    if (!v || (n > 0 && !ev) || !before_limits(s, ev, n, v)) {
        return false;
    }
    vg_autofree const struct vg_ver_event **sorted = vg_calloc(n ? n : 1, sizeof(*sorted));
    vg_autofree const struct vg_ver_event **tmp = vg_calloc(n ? n : 1, sizeof(*tmp));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].version) {
            sorted[m++] = &ev[i];
        }
    }
    ev_sort(s, sorted, tmp, m);
    bool affected = false;
    for (size_t i = 0; i < m; i++) {
        const struct vg_ver_event *e = sorted[i];
        switch (e->kind) {
        case VG_EV_INTRODUCED:
            if (ev_is_zero(e) || vg_ver_cmp(s, v, e->version) >= 0) {
                affected = true;
            }
            break;
        case VG_EV_FIXED:
            if (vg_ver_cmp(s, v, e->version) >= 0) {
                affected = false;
            }
            break;
        case VG_EV_LAST_AFFECTED:
            if (vg_ver_cmp(s, v, e->version) > 0) {
                affected = false;
            }
            break;
        case VG_EV_LIMIT:
            break;
        }
    }
    return affected;
}
