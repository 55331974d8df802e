/* SPDX-License-Identifier: Apache-2.0
 *
 * dpkg: the status database (var/lib/dpkg/status and distroless status.d/<pkg> files, both
 * RFC 822-style paragraphs) and the per-package file lists (info/<pkg>[:arch].list and
 * .md5sums) used to attribute language packages to the OS package that owns them, and the
 * license names of usr/share/doc/<pkg>/copyright (machine-readable License: fields, or
 * references to /usr/share/common-licenses/ in free-form files).
 *
 * Only packages dpkg considers installed count: a Status whose want is deinstall/purge or
 * whose state is not installed-like (config-files, not-installed) is skipped; paragraphs with
 * no Status are distroless status.d entries, which are installed by construction. Paragraphs
 * missing Package or Version are dropped. Continuation lines (descriptions, conffiles) are
 * skipped whatever their length; only the fields we keep are bounded.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "inventory/inventory_int.h"

struct deb_para {
    struct vg_str package, status, version, arch, source;
    bool any;
};

static bool
status_installed(struct vg_str st)
{
    if (st.ptr == NULL) {
        return true;
    }
    struct vg_str want, rest, flag, state;
    vg_str_cut(vg_str_trim(st), ' ', &want, &rest);
    vg_str_cut(vg_str_trim(rest), ' ', &flag, &state);
    state = vg_str_trim(state);
    if (vg_str_eq_c(want, "deinstall") || vg_str_eq_c(want, "purge")) {
        return false;
    }
    return vg_str_eq_c(state, "installed") || vg_str_eq_c(state, "half-configured") ||
           vg_str_eq_c(state, "triggers-awaited") || vg_str_eq_c(state, "triggers-pending");
}

/* Source version of a binNMU: "1.0.9-2+b6" was rebuilt from source "1.0.9-2". */
static char *
strip_binnmu(const char *v)
{
    const char *b = strstr(v, "+b");
    if (b && b[2] != '\0' && strspn(b + 2, "0123456789") == strlen(b + 2)) {
        return vg_strndup(v, (size_t)(b - v));
    }
    return vg_strdup(v);
}

/* Debian Policy 5.6.12: [epoch:]upstream[-revision]; upstream starts with a digit. */
static bool
deb_version_valid(struct vg_str v)
{
    struct vg_str e, rest;
    if (vg_str_cut(v, ':', &e, &rest)) {
        uint64_t n;
        if (vg_parse_u64(e, UINT32_MAX, &n) < 0) {
            return false;
        }
        v = rest;
    }
    if (v.len == 0 || v.ptr[0] < '0' || v.ptr[0] > '9') {
        return false;
    }
    for (size_t i = 0; i < v.len; i++) {
        char c = v.ptr[i];
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '.' || c == '+' || c == '-' || c == '~' || c == ':';
        if (!ok) {
            return false;
        }
    }
    return true;
}

static int
emit(struct vg_pkg_list *out, const char *path, const struct deb_para *d, struct vg_err **err)
{
    if (!d->package.len || !status_installed(d->status) || !deb_version_valid(d->version)) {
        return 0;
    }
    struct vg_pkg *p = vg_pkg_list_add(out, err);
    if (!p) {
        return -1;
    }
    p->type = VG_PKG_OS;
    p->kind = vg_strdup("dpkg");
    p->name = vg_str_dup(d->package);
    p->version = vg_str_dup(d->version);
    p->arch = d->arch.len ? vg_str_dup(d->arch) : NULL;
    p->path = vg_strdup(path);
    if (d->source.len) {
        struct vg_str sname, sver;
        if (vg_str_cut(d->source, ' ', &sname, &sver)) {
            sver = vg_str_trim(sver);
            if (sver.len >= 2 && sver.ptr[0] == '(' && sver.ptr[sver.len - 1] == ')') {
                sver = vg_str_trim((struct vg_str){sver.ptr + 1, sver.len - 2});
            }
        }
        p->src_name = vg_str_dup(vg_str_trim(sname));
        p->src_version = sver.len ? vg_str_dup(sver) : strip_binnmu(p->version);
    } else {
        p->src_name = vg_strdup(p->name);
        p->src_version = strip_binnmu(p->version);
    }
    return 0;
}

static void
set_field(struct deb_para *d, struct vg_str key, struct vg_str val)
{
    static const struct {
        const char *k;
        size_t off;
    } keys[] = {
        {"Package", offsetof(struct deb_para, package)},
        {"Status", offsetof(struct deb_para, status)},
        {"Version", offsetof(struct deb_para, version)},
        {"Architecture", offsetof(struct deb_para, arch)},
        {"Source", offsetof(struct deb_para, source)},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(keys); i++) {
        if (vg_str_eq_c(key, keys[i].k)) {
            *(struct vg_str *)(void *)((char *)d + keys[i].off) = val;
            return;
        }
    }
}

int
vg_inv_parse_dpkg_status(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                         struct vg_err **err)
{
    size_t start = out->n;
    struct deb_para d = {0};
    struct vg_reader r;
    struct vg_str line;
    uint64_t lineno = 0;
    vg_reader_init(&r, data, len);
    /* No line bound beyond the file's own: a status file is bounded before it gets here. */
    while (vg_reader_text_line(&r, SIZE_MAX, &line, NULL) > 0) {
        lineno++;
        if (line.len == 0) {
            if (d.any && emit(out, path, &d, err) < 0) {
                goto fail;
            }
            d = (struct deb_para){0};
            continue;
        }
        if (line.ptr[0] == ' ' || line.ptr[0] == '\t') {
            continue; /* continuation of a multi-line field we do not keep */
        }
        struct vg_str key, val;
        if (!vg_str_cut(line, ':', &key, &val)) {
            vg_err_set(err, VG_E_PARSE, "%s: line %llu: expected \"Field: value\"", path,
                       (unsigned long long)lineno);
            goto fail;
        }
        d.any = true;
        val = vg_str_trim(val);
        if (val.len > VG_INV_MAX_FIELD_BYTES) {
            continue; /* e.g. a huge Description first line: not a field we keep */
        }
        set_field(&d, vg_str_trim(key), val);
        if ((vg_str_eq_c(key, "Package") || vg_str_eq_c(key, "Version")) && val.len > 1024) {
            vg_err_set(err, VG_E_LIMIT, "%s: line %llu: %.*s longer than 1024 bytes", path,
                       (unsigned long long)lineno, (int)key.len, key.ptr);
            goto fail;
        }
    }
    if (d.any && emit(out, path, &d, err) < 0) {
        goto fail;
    }
    return 0;
fail:
    vg_pkg_list_truncate(out, start);
    return -1;
}

int
vg_inv_parse_dpkg_filelist(char ***files, size_t *nfiles, const uint8_t *data, size_t len,
                           bool md5sums, struct vg_err **err)
{
    struct vg_pkg tmp = {0};
    struct vg_reader r;
    struct vg_str line;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_line(&r, VG_LIMIT_PATH_BYTES + 64, &line, err)) > 0) {
        if (md5sums) {
            /* "<32 hex>  path" */
            struct vg_str sum, rest;
            if (!vg_str_cut(line, ' ', &sum, &rest)) {
                continue;
            }
            line = vg_str_trim(rest);
        }
        line = vg_str_trim(line);
        while (line.len && line.ptr[0] == '/') {
            line.ptr++;
            line.len--;
        }
        if (line.len == 0 || vg_str_eq_c(line, ".")) {
            continue;
        }
        vg_pkg_add_file(&tmp, line.ptr, line.len);
    }
    if (rc < 0) {
        vg_pkg_dispose(&tmp);
        return vg_err_wrap(err, "dpkg file list");
    }
    *files = tmp.files;
    *nfiles = tmp.nfiles;
    return 0;
}

/* ---------------------------------------------------------------- copyright files */

/* Debian's short names (copyright-format 1.0, "License specification") -> SPDX identifiers;
 * "+" means "or any later version". Names not listed are kept as written. */
static const char *const deb_spdx[][3] = {
    /* name, SPDX, SPDX for name+ */
    {"GPL-1", "GPL-1.0-only", "GPL-1.0-or-later"},
    {"GPL-2", "GPL-2.0-only", "GPL-2.0-or-later"},
    {"GPL-3", "GPL-3.0-only", "GPL-3.0-or-later"},
    {"GPLv2", "GPL-2.0-only", "GPL-2.0-or-later"},
    {"GPLv3", "GPL-3.0-only", "GPL-3.0-or-later"},
    {"LGPLv2", "LGPL-2.0-only", "LGPL-2.0-or-later"},
    {"LGPLv2.1", "LGPL-2.1-only", "LGPL-2.1-or-later"},
    {"LGPLv3", "LGPL-3.0-only", "LGPL-3.0-or-later"},
    {"LGPL-2", "LGPL-2.0-only", "LGPL-2.0-or-later"},
    {"LGPL-2.1", "LGPL-2.1-only", "LGPL-2.1-or-later"},
    {"LGPL-3", "LGPL-3.0-only", "LGPL-3.0-or-later"},
    {"AGPL-3", "AGPL-3.0-only", "AGPL-3.0-or-later"},
    {"GFDL-1.2", "GFDL-1.2-only", "GFDL-1.2-or-later"},
    {"GFDL-1.3", "GFDL-1.3-only", "GFDL-1.3-or-later"},
    {"Apache-2", "Apache-2.0", "Apache-2.0"},
    {"Apache-2.0", "Apache-2.0", "Apache-2.0"},
    {"MPL-1.1", "MPL-1.1", "MPL-1.1"},
    {"MPL-2.0", "MPL-2.0", "MPL-2.0"},
    {"Expat", "MIT", "MIT"},
    {"BSD-2-clause", "BSD-2-Clause", "BSD-2-Clause"},
    {"BSD-3-clause", "BSD-3-Clause", "BSD-3-Clause"},
    {"BSD-4-clause", "BSD-4-Clause", "BSD-4-Clause"},
    {"CC0-1.0", "CC0-1.0", "CC0-1.0"},
    {"Zlib", "Zlib", "Zlib"},
    {"ISC", "ISC", "ISC"},
};

/* Returns false when s is prose rather than a license name. */
static bool
add_deb_license(struct vg_pkg *tmp, struct vg_str s)
{
    s = vg_str_trim(s);
    /* A NUL or control byte is no part of a name (it would cut the stored C string short). */
    for (size_t i = 0; i < s.len; i++) {
        if ((unsigned char)s.ptr[i] < 0x20 || s.ptr[i] == 0x7f) {
            return false;
        }
    }
    /* "The MIT License (MIT)" -> "MIT"; "GPL-2 license" -> "GPL-2" */
    const char *paren = memchr(s.ptr, '(', s.len);
    if (paren) {
        s.len = (size_t)(paren - s.ptr);
    }
    s = vg_str_trim(s);
    const char *with = memmem(s.ptr, s.len, " with ", 6); /* "GPL-2+ with OpenSSL exception" */
    if (with) {
        s.len = (size_t)(with - s.ptr);
    }
    if (vg_str_endswith(s, " license") || vg_str_endswith(s, " License")) {
        s.len -= 8;
    }
    if (vg_str_startswith(s, "The ") && s.len > 4) {
        s.ptr += 4;
        s.len -= 4;
    }
    bool plus = s.len > 1 && s.ptr[s.len - 1] == '+';
    struct vg_str base = {s.ptr, plus ? s.len - 1 : s.len};
    /* "GPL-2.0" and "GPL-2" are one license. */
    if (vg_str_endswith(base, ".0") && base.len > 2 && vg_str_startswith(base, "GPL")) {
        base.len -= 2;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(deb_spdx); i++) {
        if (base.len == strlen(deb_spdx[i][0]) &&
            strncasecmp(base.ptr, deb_spdx[i][0], base.len) == 0) {
            const char *m = deb_spdx[i][plus ? 2 : 1];
            vg_pkg_add_license(tmp, m, strlen(m));
            return true;
        }
    }
    /* Short names carry no blanks; a blank here means prose ("Permission to use, ..."). */
    if (s.len > 64 || memchr(s.ptr, ' ', s.len)) {
        return false;
    }
    vg_pkg_add_license(tmp, s.ptr, s.len);
    return true;
}

/* "GPL-1+ or Artistic, and BSD-4-clause-POWERDOG": each name once. A field holding prose
 * (some files put the license text on the License: line) yields nothing. */
static void
split_deb_licenses(struct vg_pkg *dst, struct vg_str v)
{
    struct vg_pkg tmp = {0};
    bool prose = false;
    while (v.len && !prose) {
        size_t cut = v.len, skip = 0;
        for (size_t i = 0; i < v.len; i++) {
            if (v.ptr[i] == ',') {
                cut = i;
                skip = 1;
                break;
            }
            /* " or ", " and ", and the "_or_" spelling some files use */
            char c = v.ptr[i];
            struct vg_str rest = {v.ptr + i + 1, v.len - i - 1};
            if ((c == ' ' || c == '_') &&
                (vg_str_startswith(rest, "or") || vg_str_startswith(rest, "and"))) {
                size_t w = rest.ptr[0] == 'o' ? 2 : 3;
                if (rest.len > w && rest.ptr[w] == c) {
                    cut = i;
                    skip = w + 2;
                    break;
                }
            }
        }
        prose = !add_deb_license(&tmp, (struct vg_str){v.ptr, cut});
        v.ptr += cut + skip;
        v.len -= cut + skip;
    }
    for (size_t i = 0; !prose && i < tmp.nlicenses; i++) {
        vg_pkg_add_license(dst, tmp.licenses[i], strlen(tmp.licenses[i]));
    }
    vg_pkg_dispose(&tmp);
}

int
vg_inv_parse_dpkg_copyright(char ***lics, size_t *n, const uint8_t *data, size_t len,
                            struct vg_err **err)
{
    static const char ref[] = "/usr/share/common-licenses/";
    struct vg_pkg tmp = {0};
    struct vg_reader r;
    struct vg_str line;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_line(&r, VG_LIMIT_LINE_BYTES, &line, err)) > 0) {
        if (vg_str_startswith(line, "License:")) {
            /* Machine-readable format: the first line of the field is the short name. */
            split_deb_licenses(&tmp, vg_str_trim((struct vg_str){line.ptr + 8, line.len - 8}));
            continue;
        }
        const char *at = memmem(line.ptr, line.len, ref, sizeof(ref) - 1);
        if (!at) {
            continue;
        }
        /* Free-form format: "see /usr/share/common-licenses/GPL-2." */
        const char *s = at + sizeof(ref) - 1, *end = line.ptr + line.len;
        const char *e = s;
        while (e < end && (isalnum((unsigned char)*e) || (*e && strchr("_.+-", *e)))) {
            e++;
        }
        while (e > s && !(isalnum((unsigned char)e[-1]) || e[-1] == '+')) {
            e--;
        }
        if (e > s) {
            add_deb_license(&tmp, (struct vg_str){s, (size_t)(e - s)});
        }
    }
    if (rc < 0) {
        vg_pkg_dispose(&tmp);
        return vg_err_wrap(err, "dpkg copyright file");
    }
    *lics = tmp.licenses;
    *n = tmp.nlicenses;
    return 0;
}
