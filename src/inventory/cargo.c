/* SPDX-License-Identifier: Apache-2.0
 *
 * Rust: Cargo.lock ([[package]] tables with name and version). Read line by line for those
 * two keys only; every [[package]] entry, the workspace's own crates included, is a package,
 * as cargo-audit and Trivy count them. cargo-auditable sections in binaries: rustbin.c.
 */
#include <string.h>

#include "inventory/inventory_int.h"

static struct vg_str
toml_string(struct vg_str v)
{
    v = vg_str_trim(v);
    if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"') {
        return (struct vg_str){v.ptr + 1, v.len - 2};
    }
    return VG_STR_NULL;
}

static int
cargo_flush(struct vg_pkg_list *out, struct vg_inv_strset *seen, const char *path,
            struct vg_str *name, struct vg_str *ver, struct vg_err **err)
{
    struct vg_str n = *name, v = *ver;
    *name = *ver = VG_STR_NULL;
    if (!n.len || !v.len || n.len > 256 || v.len > 256 || !vg_inv_strset_add(seen, n, v)) {
        return 0;
    }
    struct vg_pkg *p = vg_pkg_list_add(out, err);
    if (!p) {
        return -1;
    }
    p->type = VG_PKG_LIBRARY;
    p->kind = vg_strdup("cargo");
    p->name = vg_str_dup(n);
    p->version = vg_str_dup(v);
    p->path = vg_strdup(path);
    return 0;
}

int
vg_inv_parse_cargo_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                        struct vg_err **err)
{
    VG_CLEANUP(vg_inv_strset_dispose) struct vg_inv_strset seen = {0};
    size_t start = out->n;
    struct vg_str name = VG_STR_NULL, ver = VG_STR_NULL, line;
    bool in_pkg = false;
    struct vg_reader r;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_line(&r, VG_LIMIT_LINE_BYTES, &line, err)) > 0) {
        line = vg_str_trim(line);
        if (line.len && line.ptr[0] == '[') {
            if (in_pkg && cargo_flush(out, &seen, path, &name, &ver, err) < 0) {
                goto fail;
            }
            in_pkg = vg_str_eq_c(line, "[[package]]");
            continue;
        }
        struct vg_str k, v;
        if (!in_pkg || !vg_str_cut(line, '=', &k, &v)) {
            continue;
        }
        k = vg_str_trim(k);
        if (vg_str_eq_c(k, "name")) {
            name = toml_string(v);
        } else if (vg_str_eq_c(k, "version")) {
            ver = toml_string(v);
        }
    }
    if (rc < 0) {
        vg_err_wrap(err, "%s", path);
        goto fail;
    }
    if (in_pkg && cargo_flush(out, &seen, path, &name, &ver, err) < 0) {
        goto fail;
    }
    return 0;
fail:
    vg_pkg_list_truncate(out, start);
    return -1;
}
