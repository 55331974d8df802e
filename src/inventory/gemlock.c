/* SPDX-License-Identifier: Apache-2.0
 *
 * Ruby: Gemfile.lock of a source tree (`vigil fs`), kind "bundler". Every resolved gem is a
 * line indented by exactly four spaces under a `specs:` key ("    rack (2.2.3)"); the
 * six-space lines under it are that gem's own requirements, not resolutions. A platform
 * suffix ("nokogiri (1.13.10-x86_64-linux)") is not part of the version: RubyGems versions
 * never contain '-' (pre-releases are "1.0.0.pre"), so the version ends at the first '-'.
 */
#include <string.h>

#include "inventory/inventory_int.h"

#define GEM_MAX_NAME    256u
#define GEM_MAX_VERSION 128u

static int
gem_line(struct vg_pkg_list *out, struct vg_inv_strset *seen, const char *path, struct vg_str l,
         struct vg_err **err)
{
    struct vg_str name, ver;
    if (!vg_str_cut(l, ' ', &name, &ver)) {
        return 0;
    }
    ver = vg_str_trim(ver);
    if (ver.len < 3 || ver.ptr[0] != '(' || ver.ptr[ver.len - 1] != ')') {
        return 0;
    }
    ver = (struct vg_str){ver.ptr + 1, ver.len - 2};
    const char *dash = memchr(ver.ptr, '-', ver.len);
    if (dash) {
        ver.len = (size_t)(dash - ver.ptr);
    }
    if (!name.len || !ver.len || name.len > GEM_MAX_NAME || ver.len > GEM_MAX_VERSION ||
        !vg_inv_strset_add(seen, name, ver)) {
        return 0;
    }
    struct vg_pkg *p = vg_pkg_list_add(out, err);
    if (!p) {
        return -1;
    }
    p->type = VG_PKG_LIBRARY;
    p->kind = vg_strdup("bundler");
    p->name = vg_str_dup(name);
    p->version = vg_str_dup(ver);
    p->path = vg_strdup(path);
    return 0;
}

int
vg_inv_parse_gemfile_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                          size_t len, struct vg_err **err)
{
    VG_CLEANUP(vg_inv_strset_dispose) struct vg_inv_strset seen = {0};
    size_t start = out->n;
    bool in_specs = false;
    struct vg_reader r;
    struct vg_str line;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_text_line(&r, VG_LIMIT_LINE_BYTES, &line, err)) > 0) {
        if (!line.len) {
            in_specs = false;
            continue;
        }
        if (line.ptr[0] != ' ') {
            in_specs = false; /* GEM, GIT, PATH, PLATFORMS, DEPENDENCIES, BUNDLED WITH */
            continue;
        }
        if (vg_str_eq_c(vg_str_trim(line), "specs:")) {
            in_specs = true;
            continue;
        }
        if (in_specs && line.len > 4 && vg_str_startswith(line, "    ") && line.ptr[4] != ' ' &&
            gem_line(out, &seen, path, (struct vg_str){line.ptr + 4, line.len - 4}, err) < 0) {
            rc = -1;
            break;
        }
    }
    if (rc < 0) {
        vg_pkg_list_truncate(out, start);
        return vg_err_wrap(err, "%s", path);
    }
    return 0;
}
