/* SPDX-License-Identifier: Apache-2.0
 *
 * Platforms ("os/arch[/variant]") and selection of one manifest from an index, following the
 * normalization containerd and Docker apply: x86_64 is amd64, aarch64 is arm64, an arm64
 * entry without a variant is v8 and an arm entry without a variant is v7. Entries without a
 * platform (attestations, artifacts) never match.
 */
#include "platform_int.h"

#include <string.h>
#include <sys/utsname.h>

#define PLATFORM_PART_MAX 64u /* longest os/arch/variant we accept on the command line */

static const char *
norm_arch(const char *a)
{
    static const char *const map[][2] = {
        {"x86_64", "amd64"}, {"x86-64", "amd64"}, {"aarch64", "arm64"}, {"i386", "386"},
        {"i686", "386"},     {"armhf", "arm"},    {"armel", "arm"},     {"ppc64el", "ppc64le"},
    };
    for (size_t i = 0; a && i < VG_ARRAY_LEN(map); i++) {
        if (strcmp(a, map[i][0]) == 0) {
            return map[i][1];
        }
    }
    return a;
}

/* The variant an entry effectively has once defaults are applied; NULL for none. */
static const char *
norm_variant(const char *arch, const char *variant)
{
    if (variant && *variant) {
        if (strcmp(arch, "arm64") == 0 && strcmp(variant, "8") == 0) {
            return "v8";
        }
        return variant;
    }
    if (strcmp(arch, "arm64") == 0) {
        return "v8";
    }
    if (strcmp(arch, "arm") == 0) {
        return "v7";
    }
    return NULL;
}

static bool
valid_part(struct vg_str p)
{
    if (p.len == 0 || p.len > PLATFORM_PART_MAX) {
        return false;
    }
    for (size_t i = 0; i < p.len; i++) {
        char c = p.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.')) {
            return false;
        }
    }
    return true;
}

int
vg_oci_platform_parse(struct vg_oci_platform *out, const char *s, struct vg_err **err)
{
    struct vg_str parts[3];
    size_t n = 0;
    struct vg_str rest = vg_str_c(s ? s : ""), head, tail;
    bool more = true;
    while (more) {
        more = vg_str_cut(rest, '/', &head, &tail);
        if (n == VG_ARRAY_LEN(parts) || !valid_part(head)) {
            char *e = vg_escape(s ? s : "", s ? strlen(s) : 0, 80);
            int rc =
                vg_err_set(err, VG_E_USAGE, "invalid platform \"%s\": want os/arch[/variant]", e);
            free(e);
            return rc;
        }
        parts[n++] = head;
        rest = tail;
    }
    if (n < 2) {
        char *e = vg_escape(s, strlen(s), 80);
        int rc = vg_err_set(err, VG_E_USAGE, "invalid platform \"%s\": want os/arch[/variant]", e);
        free(e);
        return rc;
    }
    *out = (struct vg_oci_platform){0};
    out->os = vg_str_dup(parts[0]);
    char *arch = vg_str_dup(parts[1]);
    out->architecture = vg_strdup(norm_arch(arch));
    free(arch);
    if (n == 3) {
        out->variant = vg_str_dup(parts[2]);
    }
    return 0;
}

void
vg_oci_platform_dispose(struct vg_oci_platform *p)
{
    if (!p) {
        return;
    }
    free(p->os);
    free(p->architecture);
    free(p->variant);
    free(p->os_version);
    *p = (struct vg_oci_platform){0};
}

void
vg_oci_platform_copy(struct vg_oci_platform *dst, const struct vg_oci_platform *src)
{
    dst->os = vg_strdup(src->os);
    dst->architecture = vg_strdup(src->architecture);
    dst->variant = vg_strdup(src->variant);
    dst->os_version = vg_strdup(src->os_version);
}

char *
vg_oci_platform_string(const struct vg_oci_platform *p)
{
    const char *os = p->os ? p->os : "unknown";
    const char *arch = p->architecture ? p->architecture : "unknown";
    if (p->variant && *p->variant) {
        return vg_fmt("%s/%s/%s", os, arch, p->variant);
    }
    return vg_fmt("%s/%s", os, arch);
}

void
vg_oci_platform_host(struct vg_oci_platform *out)
{
    struct utsname u;
    const char *arch = "amd64";
    *out = (struct vg_oci_platform){0};
    if (uname(&u) == 0) {
        const char *a = norm_arch(u.machine);
        if (strcmp(a, "amd64") == 0 || strcmp(a, "arm64") == 0 || strcmp(a, "ppc64le") == 0 ||
            strcmp(a, "s390x") == 0 || strcmp(a, "riscv64") == 0 || strcmp(a, "386") == 0) {
            arch = a;
        }
    }
    out->os = vg_strdup("linux");
    out->architecture = vg_strdup(arch);
}

static bool
os_arch_match(const struct vg_oci_platform *have, const struct vg_oci_platform *want)
{
    return have->os && have->architecture && strcmp(have->os, want->os) == 0 &&
           strcmp(norm_arch(have->architecture), norm_arch(want->architecture)) == 0;
}

static int
none_matched(const struct vg_oci_manifest *index, const struct vg_oci_platform *want,
             struct vg_err **err)
{
    struct vg_buf avail = VG_BUF_INIT(4096);
    for (size_t i = 0; i < index->nmanifests; i++) {
        const struct vg_oci_platform *p = &index->manifests[i].platform;
        if (!p->os) {
            continue;
        }
        char *s = vg_oci_platform_string(p);
        char *e = vg_escape(s, strlen(s), 64);
        bool full = vg_buf_appendf(&avail, NULL, "%s%s", avail.len ? ", " : "", e) < 0;
        free(e);
        free(s);
        if (full) {
            break;
        }
    }
    char *w = vg_oci_platform_string(want);
    int rc = vg_err_set(err, VG_E_NOTFOUND, "no manifest for platform %s in the index (has: %s)", w,
                        avail.len ? vg_buf_cstr(&avail) : "no platforms");
    free(w);
    vg_buf_dispose(&avail);
    return rc;
}

int
vg_oci_index_select(const struct vg_oci_desc **out, const struct vg_oci_manifest *index,
                    const struct vg_oci_platform *want, struct vg_err **err)
{
    if (!want || !want->os || !want->architecture) {
        return vg_err_set(err, VG_E_USAGE, "select from index: no platform given");
    }
    const char *warch = norm_arch(want->architecture);
    const char *wvar = norm_variant(warch, want->variant);
    const struct vg_oci_desc *loose = NULL;
    for (size_t i = 0; i < index->nmanifests; i++) {
        const struct vg_oci_desc *d = &index->manifests[i];
        if (!os_arch_match(&d->platform, want)) {
            continue;
        }
        const char *hvar = norm_variant(warch, d->platform.variant);
        if ((!wvar && !hvar) || (wvar && hvar && strcmp(wvar, hvar) == 0)) {
            *out = d;
            return 0;
        }
        if (!wvar && !loose) {
            loose = d; /* amd64 with a v2/v3 variant still serves a plain amd64 request */
        }
    }
    if (loose) {
        *out = loose;
        return 0;
    }
    return none_matched(index, want, err);
}
