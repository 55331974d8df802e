/* SPDX-License-Identifier: Apache-2.0
 *
 * Python: installed distributions' core metadata (PEP 566/643) — *.dist-info/METADATA,
 * *.egg-info/PKG-INFO and the single-file *.egg-info form. Only the header block before the
 * first blank line is read; names are normalised per PEP 503 so that "Foo_Bar" and "foo-bar"
 * are one package. Licenses come from License-Expression, License (unless UNKNOWN or a full
 * license text) and "License :: ..." classifiers.
 */
#include <string.h>

#include "inventory/inventory_int.h"

static void
add_classifier_license(struct vg_pkg *p, struct vg_str v)
{
    static const char pfx[] = "License :: ";
    if (!vg_str_startswith(v, pfx)) {
        return;
    }
    /* The most specific segment names the license: "License :: OSI Approved :: MIT License". */
    const char *last = v.ptr;
    for (size_t i = 0; i + 4 <= v.len; i++) {
        if (memcmp(v.ptr + i, " :: ", 4) == 0) {
            last = v.ptr + i + 4;
        }
    }
    size_t n = v.len - (size_t)(last - v.ptr);
    if (n && !(n == 12 && memcmp(last, "OSI Approved", 12) == 0)) {
        vg_pkg_add_license(p, last, n);
    }
}

int
vg_inv_parse_python_metadata(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                             size_t len, struct vg_err **err)
{
    struct vg_str name = VG_STR_NULL, version = VG_STR_NULL, lic = VG_STR_NULL,
                  licexpr = VG_STR_NULL;
    struct vg_pkg tmp = {0};
    struct vg_reader r;
    struct vg_str line;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_text_line(&r, VG_LIMIT_LINE_BYTES, &line, err)) > 0) {
        if (line.len == 0) {
            break; /* end of headers; the body is the long description */
        }
        if (line.ptr[0] == ' ' || line.ptr[0] == '\t') {
            continue;
        }
        struct vg_str k, v;
        if (!vg_str_cut(line, ':', &k, &v)) {
            continue;
        }
        v = vg_str_trim(v);
        if (vg_str_eq_c(k, "Name") && !name.ptr) {
            name = v;
        } else if (vg_str_eq_c(k, "Version") && !version.ptr) {
            version = v;
        } else if (vg_str_eq_c(k, "License")) {
            lic = v;
        } else if (vg_str_eq_c(k, "License-Expression")) {
            licexpr = v;
        } else if (vg_str_eq_c(k, "Classifier")) {
            add_classifier_license(&tmp, v);
        }
    }
    if (rc < 0) {
        vg_pkg_dispose(&tmp);
        return vg_err_wrap(err, "%s", path);
    }
    if (!name.len || !version.len || name.len > 1024 || version.len > 1024) {
        vg_pkg_dispose(&tmp);
        return vg_err_set(err, VG_E_PARSE, "%s: no Name/Version in the metadata headers", path);
    }
    struct vg_pkg *p = vg_pkg_list_add(out, err);
    if (!p) {
        vg_pkg_dispose(&tmp);
        return -1;
    }
    *p = tmp;
    p->type = VG_PKG_LIBRARY;
    p->kind = vg_strdup("python");
    p->name = vg_inv_pep503(name.ptr, name.len);
    p->version = vg_str_dup(version);
    p->path = vg_strdup(path);
    if (licexpr.len) {
        vg_pkg_add_license(p, licexpr.ptr, licexpr.len);
    } else if (lic.len && !vg_str_eq_c(lic, "UNKNOWN") && lic.len < 128) {
        vg_pkg_add_license(p, lic.ptr, lic.len);
    }
    return 0;
}

int
vg_inv_parse_egg(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                 struct vg_err **err)
{
    struct vg_zip z;
    if (vg_zip_open(&z, data, len, VG_INV_MAX_JAR_ENTRIES, err) < 0) {
        return vg_err_wrap(err, "%s", path);
    }
    int rc = vg_err_set(err, VG_E_PARSE, "%s: no EGG-INFO/PKG-INFO", path);
    for (size_t i = 0; i < z.n; i++) {
        if (!vg_str_eq_c(z.ents[i].name, "EGG-INFO/PKG-INFO")) {
            continue;
        }
        vg_err_free(err);
        vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_INV_MAX_FIELD_BYTES * 4u);
        rc = vg_zip_read(&z, &z.ents[i], b.max, &b, err);
        if (rc == 0) {
            rc = vg_inv_parse_python_metadata(out, path, b.data, b.len, err);
        } else {
            vg_err_wrap(err, "%s: EGG-INFO/PKG-INFO", path);
        }
        break;
    }
    vg_zip_dispose(&z);
    return rc;
}
