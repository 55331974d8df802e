/* SPDX-License-Identifier: Apache-2.0
 *
 * .NET: packages.lock.json (NuGet's lock file, version 1 and 2), kind "nuget". Every target
 * framework under "dependencies" lists its resolved packages ({"type": "Direct" |
 * "Transitive" | "CentralTransitive", "resolved": "13.0.1"}); the projects of the same
 * solution ("type": "Project") are not packages. A package resolved for several frameworks is
 * reported once per version.
 */
#include <string.h>

#include "inventory/inventory_int.h"

int
vg_inv_parse_nuget_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                        struct vg_err **err)
{
    VG_CLEANUP(vg_inv_strset_dispose) struct vg_inv_strset seen = {0};
    vg_autojson json_t *j = NULL;
    size_t start = out->n;
    if (vg_json_parse(&j, data, len, VG_INV_MAX_JSON_BYTES, path, err) < 0) {
        return -1;
    }
    json_t *deps = vg_json_obj(j, "dependencies");
    if (!deps) {
        return vg_err_set(err, VG_E_PARSE, "%s: no \"dependencies\" object", path);
    }
    const char *fw, *name;
    json_t *pkgs, *e;
    json_object_foreach (deps, fw, pkgs) {
        if (!json_is_object(pkgs)) {
            continue;
        }
        json_object_foreach (pkgs, name, e) {
            const char *type = vg_json_str(e, "type"), *ver = vg_json_str(e, "resolved");
            if (!ver || (type && strcmp(type, "Project") == 0) || strlen(name) > 256 ||
                strlen(ver) > 128 || !vg_inv_strset_add(&seen, vg_str_c(name), vg_str_c(ver))) {
                continue;
            }
            struct vg_pkg *p = vg_pkg_list_add(out, err);
            if (!p) {
                vg_pkg_list_truncate(out, start);
                return -1;
            }
            p->type = VG_PKG_LIBRARY;
            p->kind = vg_strdup("nuget");
            p->name = vg_strdup(name);
            p->version = vg_strdup(ver);
            p->path = vg_strdup(path);
        }
    }
    return 0;
}
