/* SPDX-License-Identifier: Apache-2.0
 *
 * apk: lib/apk/db/installed, one-letter-keyed records separated by blank lines (P name,
 * V version, A arch, o origin, L license, F directory, R file within the last F). Alpine,
 * Wolfi and Chainguard share the format. A record without P or V is dropped.
 */
#include <string.h>

#include "inventory/inventory_int.h"

struct apk_rec {
    struct vg_pkg p;
    char *dir;
};

static int
apk_flush(struct vg_pkg_list *out, struct apk_rec *rec, const char *path, struct vg_err **err)
{
    free(rec->dir);
    rec->dir = NULL;
    if (!rec->p.name || !rec->p.version) {
        vg_pkg_dispose(&rec->p);
        return 0;
    }
    struct vg_pkg *p = vg_pkg_list_add(out, err);
    if (!p) {
        vg_pkg_dispose(&rec->p);
        return -1;
    }
    *p = rec->p;
    memset(&rec->p, 0, sizeof(rec->p));
    p->type = VG_PKG_OS;
    p->kind = vg_strdup("apk");
    p->path = vg_strdup(path);
    if (!p->src_name) {
        p->src_name = vg_strdup(p->name);
    }
    p->src_version = vg_strdup(p->version);
    return 0;
}

static void
apk_field(struct apk_rec *rec, char key, struct vg_str val)
{
    char **dst = NULL;
    switch (key) {
    case 'P':
        dst = &rec->p.name;
        break;
    case 'V':
        dst = &rec->p.version;
        break;
    case 'A':
        dst = &rec->p.arch;
        break;
    case 'o':
        dst = &rec->p.src_name;
        break;
    case 'L':
        vg_pkg_add_license(&rec->p, val.ptr, val.len);
        return;
    case 'F':
        free(rec->dir);
        rec->dir = vg_str_dup(val);
        return;
    case 'R': {
        vg_autofree char *f = rec->dir && *rec->dir
                                  ? vg_fmt("%s/%.*s", rec->dir, (int)val.len, val.ptr)
                                  : vg_str_dup(val);
        vg_pkg_add_file(&rec->p, f, strlen(f));
        return;
    }
    default:
        return;
    }
    free(*dst);
    *dst = vg_str_dup(val);
}

int
vg_inv_parse_apk(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                 struct vg_err **err)
{
    size_t start = out->n;
    struct apk_rec rec = {0};
    struct vg_reader r;
    struct vg_str line;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_text_line(&r, VG_LIMIT_LINE_BYTES, &line, err)) > 0) {
        if (line.len == 0) {
            if (apk_flush(out, &rec, path, err) < 0) {
                goto fail;
            }
            continue;
        }
        if (line.len < 2 || line.ptr[1] != ':') {
            vg_err_set(err, VG_E_PARSE, "%s: offset %llu: expected \"X:value\"", path,
                       (unsigned long long)r.off);
            goto fail;
        }
        apk_field(&rec, line.ptr[0], (struct vg_str){line.ptr + 2, line.len - 2});
    }
    if (rc < 0) {
        vg_err_wrap(err, "%s", path);
        goto fail;
    }
    if (apk_flush(out, &rec, path, err) < 0) {
        goto fail;
    }
    return 0;
fail:
    vg_pkg_dispose(&rec.p);
    free(rec.dir);
    vg_pkg_list_truncate(out, start);
    return -1;
}
