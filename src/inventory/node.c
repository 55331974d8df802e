/* SPDX-License-Identifier: Apache-2.0
 *
 * Node.js: installed packages (node_modules/<name>/package.json, every nested copy counts)
 * and the lock files found outside node_modules: package-lock.json (v1 "dependencies" tree,
 * v2/v3 "packages" map), yarn.lock (classic and Berry) and pnpm-lock.yaml (v5 "/name/ver",
 * v6 "/name@ver", v9 "name@ver" keys of the packages section). A lock file lists each
 * name@version once even when several ranges resolve to it.
 *
 * yarn.lock and pnpm-lock.yaml are read line by line for their keys and versions only: we do
 * not need a YAML parser to enumerate resolved packages, and that keeps hostile lock files
 * away from a general-purpose parser.
 */
#include <string.h>

#include "inventory/inventory_int.h"

#define NPM_MAX_NAME 214 /* npm's own package name limit */

/* Adds a node package unless the same name@version is already in `seen` (may be NULL). */
static int
node_add(struct vg_pkg_list *out, struct vg_inv_strset *seen, const char *path, struct vg_str name,
         struct vg_str ver, struct vg_err **err)
{
    name = vg_str_trim(name);
    ver = vg_str_trim(ver);
    if (!name.len || !ver.len || name.len > NPM_MAX_NAME || ver.len > 256 ||
        (seen && !vg_inv_strset_add(seen, name, ver))) {
        return 0;
    }
    struct vg_pkg *p = vg_pkg_list_add(out, err);
    if (!p) {
        return -1;
    }
    p->type = VG_PKG_LIBRARY;
    p->kind = vg_strdup("node");
    p->name = vg_str_dup(name);
    p->version = vg_str_dup(ver);
    p->path = vg_strdup(path);
    return 0;
}

static void
add_json_license(struct vg_pkg *p, const json_t *l)
{
    if (json_is_string(l)) {
        vg_pkg_add_license(p, json_string_value(l), json_string_length(l));
    } else if (json_is_object(l) && vg_json_str(l, "type")) {
        const char *t = vg_json_str(l, "type");
        vg_pkg_add_license(p, t, strlen(t));
    }
}

int
vg_inv_parse_npm_package_json(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                              size_t len, struct vg_err **err)
{
    vg_autojson json_t *j = NULL;
    if (vg_json_parse(&j, data, len, VG_INV_MAX_JSON_BYTES, path, err) < 0) {
        return -1;
    }
    const char *name = vg_json_str(j, "name");
    const char *ver = vg_json_str(j, "version");
    if (!name || !ver) {
        return vg_err_set(err, VG_E_PARSE, "%s: no name/version", path);
    }
    size_t start = out->n;
    if (node_add(out, NULL, path, vg_str_c(name), vg_str_c(ver), err) < 0) {
        return -1;
    }
    if (out->n == start) {
        return vg_err_set(err, VG_E_PARSE, "%s: invalid name/version", path);
    }
    struct vg_pkg *p = &out->v[out->n - 1];
    add_json_license(p, json_object_get(j, "license"));
    size_t i;
    json_t *l;
    json_array_foreach (vg_json_arr(j, "licenses"), i, l) {
        add_json_license(p, l);
    }
    return 0;
}

static int
lock_v1_walk(struct vg_pkg_list *out, struct vg_inv_strset *seen, const char *path, json_t *deps,
             unsigned depth, bool no_dev, struct vg_err **err)
{
    if (depth > 64) {
        return vg_err_set(err, VG_E_LIMIT, "%s: dependency tree deeper than 64", path);
    }
    const char *name;
    json_t *d;
    json_object_foreach (deps, name, d) {
        if (no_dev && json_is_true(json_object_get(d, "dev"))) {
            continue;
        }
        const char *v = vg_json_str(d, "version");
        if (v && node_add(out, seen, path, vg_str_c(name), vg_str_c(v), err) < 0) {
            return -1;
        }
        json_t *sub = vg_json_obj(d, "dependencies");
        if (sub && lock_v1_walk(out, seen, path, sub, depth + 1, no_dev, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
npm_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len, bool no_dev,
         struct vg_err **err)
{
    VG_CLEANUP(vg_inv_strset_dispose) struct vg_inv_strset seen_set = {0};
    struct vg_inv_strset *seen = &seen_set;
    vg_autojson json_t *j = NULL;
    size_t start = out->n;
    if (vg_json_parse(&j, data, len, VG_INV_MAX_JSON_BYTES, path, err) < 0) {
        return -1;
    }
    json_t *pkgs = vg_json_obj(j, "packages");
    int rc = 0;
    if (pkgs) {
        const char *key;
        json_t *e;
        json_object_foreach (pkgs, key, e) {
            const char *nm = strstr(key, "node_modules/");
            if (!nm || json_is_true(json_object_get(e, "link"))) {
                continue; /* the root project or a workspace link */
            }
            if (no_dev && json_is_true(json_object_get(e, "dev"))) {
                continue;
            }
            const char *last = key;
            for (const char *q = nm; q; q = strstr(q + 1, "node_modules/")) {
                last = q + strlen("node_modules/");
            }
            const char *name = vg_json_str(e, "name") ? vg_json_str(e, "name") : last;
            const char *v = vg_json_str(e, "version");
            if (v && (rc = node_add(out, seen, path, vg_str_c(name), vg_str_c(v), err)) < 0) {
                break;
            }
        }
    } else if (vg_json_obj(j, "dependencies")) {
        rc = lock_v1_walk(out, seen, path, vg_json_obj(j, "dependencies"), 0, no_dev, err);
    }
    if (rc < 0) {
        vg_pkg_list_truncate(out, start);
    }
    return rc;
}

int
vg_inv_parse_npm_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                      struct vg_err **err)
{
    return npm_lock(out, path, data, len, false, err);
}

int
vg_inv_parse_npm_lock_prod(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                           size_t len, struct vg_err **err)
{
    return npm_lock(out, path, data, len, true, err);
}

static struct vg_str
unquote(struct vg_str s)
{
    s = vg_str_trim(s);
    if (s.len >= 2 && (s.ptr[0] == '"' || s.ptr[0] == '\'') && s.ptr[s.len - 1] == s.ptr[0]) {
        s.ptr++;
        s.len -= 2;
    }
    return s;
}

/* "name@range" (name may start with '@'): the name part. */
static struct vg_str
spec_name(struct vg_str spec)
{
    spec = unquote(spec);
    for (size_t i = 1; i < spec.len; i++) {
        if (spec.ptr[i] == '@') {
            return (struct vg_str){spec.ptr, i};
        }
    }
    return spec;
}

int
vg_inv_parse_yarn_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                       struct vg_err **err)
{
    VG_CLEANUP(vg_inv_strset_dispose) struct vg_inv_strset seen_set = {0};
    struct vg_inv_strset *seen = &seen_set;
    size_t start = out->n;
    struct vg_str name = VG_STR_NULL;
    bool skip = false;
    struct vg_reader r;
    struct vg_str line;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_text_line(&r, VG_LIMIT_LINE_BYTES, &line, err)) > 0) {
        if (line.len == 0 || line.ptr[0] == '#') {
            continue;
        }
        if (line.ptr[0] != ' ') {
            /* A new entry: '"a@^1", a@^1.2:' — all specifiers share one name. */
            struct vg_str first, rest;
            vg_str_cut(line, ',', &first, &rest);
            if (first.len && first.ptr[first.len - 1] == ':') {
                first.len--;
            }
            name = spec_name(first);
            skip = vg_str_eq_c(name, "__metadata") ||
                   memmem(line.ptr, line.len, "@workspace:", 11) != NULL ||
                   memmem(line.ptr, line.len, "@patch:", 7) != NULL ||
                   memmem(line.ptr, line.len, "@link:", 6) != NULL;
            continue;
        }
        struct vg_str t = vg_str_trim(line);
        if (skip || !name.len || line.len < 3 || line.ptr[2] == ' ' ||
            !vg_str_startswith(t, "version")) {
            continue;
        }
        struct vg_str v = {t.ptr + 7, t.len - 7};
        if (v.len && v.ptr[0] == ':') {
            v.ptr++;
            v.len--;
        }
        if (node_add(out, seen, path, name, unquote(v), err) < 0) {
            vg_pkg_list_truncate(out, start);
            return -1;
        }
        name = VG_STR_NULL;
    }
    if (rc < 0) {
        vg_pkg_list_truncate(out, start);
        return vg_err_wrap(err, "%s", path);
    }
    return 0;
}

/* pnpm package keys: v5 "/name/1.0.0[_peer]", v6 "/name@1.0.0[(peer)]", v9 "name@1.0.0". */
static void
pnpm_key(struct vg_str key, struct vg_str *name, struct vg_str *ver)
{
    key = unquote(key);
    if (key.len && key.ptr[0] == '/') {
        key.ptr++;
        key.len--;
    }
    *name = *ver = VG_STR_NULL;
    size_t at = 0;
    for (size_t i = 1; i < key.len; i++) {
        if (key.ptr[i] == '@' || key.ptr[i] == '(') {
            at = i;
            break;
        }
    }
    if (at && key.ptr[at] == '@') {
        *name = (struct vg_str){key.ptr, at};
        *ver = (struct vg_str){key.ptr + at + 1, key.len - at - 1};
    } else {
        /* v5: the version is the last path segment. */
        const char *sl = NULL;
        for (size_t i = 0; i < key.len; i++) {
            if (key.ptr[i] == '/') {
                sl = key.ptr + i;
            }
        }
        if (!sl) {
            return;
        }
        *name = (struct vg_str){key.ptr, (size_t)(sl - key.ptr)};
        *ver = (struct vg_str){sl + 1, key.len - (size_t)(sl + 1 - key.ptr)};
        const char *us = memchr(ver->ptr, '_', ver->len);
        if (us) {
            ver->len = (size_t)(us - ver->ptr);
        }
    }
    const char *par = memchr(ver->ptr, '(', ver->len);
    if (par) {
        ver->len = (size_t)(par - ver->ptr);
    }
}

static int
pnpm_flush(struct vg_pkg_list *out, struct vg_inv_strset *seen, const char *path,
           struct vg_str *pending, struct vg_str ref, struct vg_err **err)
{
    struct vg_str n = *pending;
    *pending = VG_STR_NULL;
    return n.len ? node_add(out, seen, path, n, ref, err) : 0;
}

int
vg_inv_parse_pnpm_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                       struct vg_err **err)
{
    VG_CLEANUP(vg_inv_strset_dispose) struct vg_inv_strset seen_set = {0};
    struct vg_inv_strset *seen = &seen_set;
    size_t start = out->n;
    bool in_pkgs = false;
    struct vg_str pending = VG_STR_NULL, pending_ref = VG_STR_NULL;
    struct vg_reader r;
    struct vg_str line;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_text_line(&r, VG_LIMIT_LINE_BYTES, &line, err)) > 0) {
        if (line.len == 0 || line.ptr[0] == '#') {
            continue;
        }
        if (line.ptr[0] != ' ') {
            if (pnpm_flush(out, seen, path, &pending, pending_ref, err) < 0) {
                vg_pkg_list_truncate(out, start);
                return -1;
            }
            in_pkgs = vg_str_eq_c(vg_str_trim(line), "packages:");
            continue;
        }
        struct vg_str t = vg_str_trim(line);
        if (pending.len && vg_str_startswith(t, "version:")) {
            struct vg_str v = unquote((struct vg_str){t.ptr + 8, t.len - 8});
            if (node_add(out, seen, path, pending, v, err) < 0) {
                vg_pkg_list_truncate(out, start);
                return -1;
            }
            pending = VG_STR_NULL;
            continue;
        }
        if (!in_pkgs || line.len < 4 || line.ptr[1] != ' ' || line.ptr[2] == ' ' ||
            line.ptr[line.len - 1] != ':') {
            continue;
        }
        if (pnpm_flush(out, seen, path, &pending, pending_ref, err) < 0) {
            vg_pkg_list_truncate(out, start);
            return -1;
        }
        struct vg_str name, ver;
        pnpm_key((struct vg_str){line.ptr + 2, line.len - 3}, &name, &ver);
        if (ver.len && memchr(ver.ptr, ':', ver.len)) {
            /* A tarball, git or file: reference: the entry's own "version:" line holds the
             * version; a local directory has none and keeps the reference. */
            pending = name;
            pending_ref = ver;
            continue;
        }
        if (name.len && ver.len && node_add(out, seen, path, name, ver, err) < 0) {
            vg_pkg_list_truncate(out, start);
            return -1;
        }
    }
    if (rc < 0 || pnpm_flush(out, seen, path, &pending, pending_ref, err) < 0) {
        vg_pkg_list_truncate(out, start);
        return vg_err_wrap(err, "%s", path);
    }
    return 0;
}
