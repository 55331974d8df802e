/* SPDX-License-Identifier: Apache-2.0
 *
 * Ruby: installed gems' specifications/NAME.gemspec, the Ruby source RubyGems writes at install
 * time. We never evaluate Ruby: we find the block variable of "Gem::Specification.new do
 * |VAR|" and read the string literals assigned to VAR.name, VAR.version and
 * VAR.license/licenses. A gemspec that assigns through another variable is malformed and
 * yields nothing.
 */
#include <ctype.h>
#include <string.h>

#include "inventory/inventory_int.h"

/* First quoted literal in v ("x" or 'x'); empty when none. */
static struct vg_str
first_literal(struct vg_str v, struct vg_str *rest)
{
    for (size_t i = 0; i < v.len; i++) {
        char q = v.ptr[i];
        if (q != '"' && q != '\'') {
            continue;
        }
        const char *e = memchr(v.ptr + i + 1, q, v.len - i - 1);
        if (!e) {
            break;
        }
        if (rest) {
            *rest = (struct vg_str){e + 1, v.len - (size_t)(e + 1 - v.ptr)};
        }
        return (struct vg_str){v.ptr + i + 1, (size_t)(e - v.ptr - (long)i - 1)};
    }
    if (rest) {
        *rest = VG_STR_NULL;
    }
    return VG_STR_NULL;
}

/* "  VAR.attr = value": true and *val when the line assigns VAR.attr. */
static bool
assigns(struct vg_str line, struct vg_str var, const char *attr, struct vg_str *val)
{
    line = vg_str_trim(line);
    size_t alen = strlen(attr);
    if (line.len < var.len + 1 + alen || memcmp(line.ptr, var.ptr, var.len) != 0 ||
        line.ptr[var.len] != '.' || memcmp(line.ptr + var.len + 1, attr, alen) != 0) {
        return false;
    }
    struct vg_str t =
        vg_str_trim((struct vg_str){line.ptr + var.len + 1 + alen, line.len - var.len - 1 - alen});
    if (!t.len || t.ptr[0] != '=') {
        return false;
    }
    *val = (struct vg_str){t.ptr + 1, t.len - 1};
    return true;
}

static struct vg_str
block_var(struct vg_str line)
{
    const char *m = memmem(line.ptr, line.len, "Gem::Specification.new", 22);
    const char *bar = m ? memchr(m, '|', line.len - (size_t)(m - line.ptr)) : NULL;
    if (!bar) {
        return VG_STR_NULL;
    }
    size_t left = line.len - (size_t)(bar + 1 - line.ptr);
    const char *end = memchr(bar + 1, '|', left);
    return end ? vg_str_trim((struct vg_str){bar + 1, (size_t)(end - bar - 1)}) : VG_STR_NULL;
}

int
vg_inv_parse_gemspec(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                     struct vg_err **err)
{
    struct vg_str var = VG_STR_NULL, name = VG_STR_NULL, ver = VG_STR_NULL, line, v;
    struct vg_pkg tmp = {0};
    struct vg_reader r;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_line(&r, VG_LIMIT_LINE_BYTES, &line, err)) > 0) {
        if (!var.len) {
            var = block_var(line);
            continue;
        }
        if (assigns(line, var, "name", &v)) {
            name = first_literal(v, NULL);
        } else if (assigns(line, var, "version", &v)) {
            ver = first_literal(v, NULL);
        } else if (assigns(line, var, "licenses", &v) || assigns(line, var, "license", &v)) {
            struct vg_str lit, rest = v;
            while ((lit = first_literal(rest, &rest)).ptr) {
                vg_pkg_add_license(&tmp, lit.ptr, lit.len);
            }
        }
    }
    if (rc < 0) {
        vg_pkg_dispose(&tmp);
        return vg_err_wrap(err, "%s", path);
    }
    if (!name.len || !ver.len || name.len > 256 || ver.len > 256) {
        vg_pkg_dispose(&tmp);
        return 0; /* not a gemspec we understand: nothing to report */
    }
    struct vg_pkg *p = vg_pkg_list_add(out, err);
    if (!p) {
        vg_pkg_dispose(&tmp);
        return -1;
    }
    *p = tmp;
    p->type = VG_PKG_LIBRARY;
    p->kind = vg_strdup("gemspec");
    p->name = vg_str_dup(name);
    p->version = vg_str_dup(ver);
    p->path = vg_strdup(path);
    return 0;
}
