/* SPDX-License-Identifier: Apache-2.0
 *
 * PHP: composer.lock ("packages" and "packages-dev") and vendor/composer/installed.json
 * (Composer 1: a bare array; Composer 2: {"packages": [...]}). Each entry's name, version and
 * license array.
 */
#include <string.h>

#include "inventory/inventory_int.h"

static int
composer_array(struct vg_pkg_list *out, const char *path, const json_t *arr, struct vg_err **err)
{
    size_t i;
    json_t *e;
    json_array_foreach (arr, i, e) {
        const char *name = vg_json_str(e, "name"), *ver = vg_json_str(e, "version");
        if (!name || !ver || strlen(name) > 256 || strlen(ver) > 256) {
            continue;
        }
        struct vg_pkg *p = vg_pkg_list_add(out, err);
        if (!p) {
            return -1;
        }
        p->type = VG_PKG_LIBRARY;
        p->kind = vg_strdup("composer");
        p->name = vg_strdup(name);
        p->version = vg_strdup(ver);
        p->path = vg_strdup(path);
        size_t k;
        json_t *l;
        json_array_foreach (vg_json_arr(e, "license"), k, l) {
            if (json_is_string(l)) {
                vg_pkg_add_license(p, json_string_value(l), json_string_length(l));
            }
        }
    }
    return 0;
}

static int
composer(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len, bool no_dev,
         struct vg_err **err)
{
    vg_autojson json_t *j = NULL;
    size_t start = out->n;
    if (vg_json_parse(&j, data, len, VG_INV_MAX_JSON_BYTES, path, err) < 0) {
        return -1;
    }
    int rc = 0;
    if (json_is_array(j)) {
        rc = composer_array(out, path, j, err);
    } else if (json_is_object(j)) {
        rc = composer_array(out, path, vg_json_arr(j, "packages"), err);
        if (rc == 0 && !no_dev) {
            rc = composer_array(out, path, vg_json_arr(j, "packages-dev"), err);
        }
    } else {
        return vg_err_set(err, VG_E_PARSE, "%s: not a composer document", path);
    }
    if (rc < 0) {
        vg_pkg_list_truncate(out, start);
    }
    return rc;
}

int
vg_inv_parse_composer(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                      struct vg_err **err)
{
    return composer(out, path, data, len, false, err);
}

int
vg_inv_parse_composer_prod(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                           size_t len, struct vg_err **err)
{
    return composer(out, path, data, len, true, err);
}
