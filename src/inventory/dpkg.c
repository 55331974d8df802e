/* SPDX-License-Identifier: Apache-2.0
 *
 * dpkg: the status database (var/lib/dpkg/status and distroless status.d/<pkg> files, both
 * RFC 822-style paragraphs) and the per-package file lists (info/<pkg>[:arch].list and
 * .md5sums) used to attribute language packages to the OS package that owns them.
 *
 * Only packages dpkg considers installed count: a Status whose want is deinstall/purge or
 * whose state is not installed-like (config-files, not-installed) is skipped; paragraphs with
 * no Status are distroless status.d entries, which are installed by construction. Paragraphs
 * missing Package or Version are dropped. Continuation lines (descriptions, conffiles) are
 * skipped whatever their length; only the fields we keep are bounded.
 */
#include <string.h>

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
vg_inv_parse_dpkg_status(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                         size_t len, struct vg_err **err)
{
    size_t start = out->n;
    struct deb_para d = {0};
    const char *p = (const char *)data;
    size_t left = len;
    uint64_t lineno = 0;
    while (left > 0) {
        const char *nl = memchr(p, '\n', left);
        size_t n = nl ? (size_t)(nl - p) : left;
        struct vg_str line = {p, n};
        p += nl ? n + 1 : n;
        left -= nl ? n + 1 : n;
        lineno++;
        if (line.len && line.ptr[line.len - 1] == '\r') {
            line.len--;
        }
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
