/* SPDX-License-Identifier: Apache-2.0
 *
 * Python lock files and pinned manifests of a source tree (`vigil fs`), as Trivy reads them:
 *   - requirements*.txt: `name==version` and `name===version` pins only (extras, environment
 *     markers, trailing comments and `--hash` options dropped; options, includes, URLs and
 *     unpinned ranges are not packages) — kind "pip";
 *   - Pipfile.lock: the "default" section (the "develop" one holds dev dependencies) — "pipenv";
 *   - poetry.lock: every [[package]] except the `category = "dev"` ones of older locks —
 *     "poetry";
 *   - uv.lock: every [[package]] except the project itself and other local sources
 *     (`source = { editable | virtual | directory = ... }`) — "uv".
 * The TOML locks are read line by line for the few keys needed: poetry and uv write one key
 * per line, and a general TOML parser would only widen what hostile input can reach.
 */
#include <string.h>

#include "inventory/inventory_int.h"

#define PY_MAX_NAME    256u
#define PY_MAX_VERSION 128u

static int
py_add(struct vg_pkg_list *out, struct vg_inv_strset *seen, const char *kind, const char *path,
       struct vg_str name, struct vg_str ver, struct vg_err **err)
{
    name = vg_str_trim(name);
    ver = vg_str_trim(ver);
    if (!name.len || !ver.len || name.len > PY_MAX_NAME || ver.len > PY_MAX_VERSION ||
        !vg_inv_strset_add(seen, name, ver)) {
        return 0;
    }
    struct vg_pkg *p = vg_pkg_list_add(out, err);
    if (!p) {
        return -1;
    }
    p->type = VG_PKG_LIBRARY;
    p->kind = vg_strdup(kind);
    p->name = vg_str_dup(name);
    p->version = vg_str_dup(ver);
    p->path = vg_strdup(path);
    return 0;
}

static bool
pep508_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

/* One logical requirement line: "name[extras] == 1.2 ; marker". */
static int
req_line(struct vg_pkg_list *out, struct vg_inv_strset *seen, const char *path, struct vg_str l,
         struct vg_err **err)
{
    struct vg_str pre, rest;
    if (vg_str_cut(l, '#', &pre, &rest)) {
        l = pre;
    }
    if (vg_str_cut(l, ';', &pre, &rest)) {
        l = pre;
    }
    /* "--hash=sha256:..." options after the pin */
    for (size_t i = 0; i + 1 < l.len; i++) {
        if (l.ptr[i] == '-' && l.ptr[i + 1] == '-' && (i == 0 || l.ptr[i - 1] == ' ')) {
            l.len = i;
            break;
        }
    }
    l = vg_str_trim(l);
    size_t n = 0;
    while (n < l.len && pep508_name_char(l.ptr[n])) {
        n++;
    }
    if (n == 0) {
        return 0;
    }
    struct vg_str name = {l.ptr, n};
    struct vg_str spec = vg_str_trim((struct vg_str){l.ptr + n, l.len - n});
    if (spec.len && spec.ptr[0] == '[') {
        const char *close = memchr(spec.ptr, ']', spec.len);
        if (!close) {
            return 0;
        }
        size_t skip = (size_t)(close - spec.ptr) + 1;
        spec = vg_str_trim((struct vg_str){spec.ptr + skip, spec.len - skip});
    }
    size_t eq = vg_str_startswith(spec, "===") ? 3 : vg_str_startswith(spec, "==") ? 2 : 0;
    if (!eq) {
        return 0;
    }
    struct vg_str ver = vg_str_trim((struct vg_str){spec.ptr + eq, spec.len - eq});
    /* A pin is one version: "==1.0,<2" or a wildcard "==1.*" is a range. */
    for (size_t i = 0; i < ver.len; i++) {
        if (ver.ptr[i] == ',' || ver.ptr[i] == '*' || ver.ptr[i] == ' ') {
            return 0;
        }
    }
    return py_add(out, seen, "pip", path, name, ver, err);
}

int
vg_inv_parse_requirements(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                          size_t len, struct vg_err **err)
{
    VG_CLEANUP(vg_inv_strset_dispose) struct vg_inv_strset seen = {0};
    size_t start = out->n;
    struct vg_reader r;
    struct vg_str line;
    int rc;
    /* Continuation lines ("\" at the end) join into one logical line, bounded. */
    vg_autobuf struct vg_buf joined = VG_BUF_INIT(VG_LIMIT_LINE_BYTES);
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_text_line(&r, VG_LIMIT_LINE_BYTES, &line, err)) > 0) {
        bool cont = line.len && line.ptr[line.len - 1] == '\\';
        if (cont) {
            line.len--;
        }
        if (vg_buf_append(&joined, line.ptr, line.len, err) < 0 ||
            vg_buf_append(&joined, " ", 1, err) < 0) {
            rc = -1;
            break;
        }
        if (cont) {
            continue;
        }
        struct vg_str l = vg_str_trim((struct vg_str){(const char *)joined.data, joined.len});
        if (l.len && l.ptr[0] != '-' && req_line(out, &seen, path, l, err) < 0) {
            rc = -1;
            break;
        }
        vg_buf_reset(&joined);
    }
    if (rc == 0 && joined.len) {
        struct vg_str l = vg_str_trim((struct vg_str){(const char *)joined.data, joined.len});
        if (l.len && l.ptr[0] != '-' && req_line(out, &seen, path, l, err) < 0) {
            rc = -1;
        }
    }
    if (rc < 0) {
        vg_pkg_list_truncate(out, start);
        return vg_err_wrap(err, "%s", path);
    }
    return 0;
}

int
vg_inv_parse_pipfile_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                          size_t len, struct vg_err **err)
{
    VG_CLEANUP(vg_inv_strset_dispose) struct vg_inv_strset seen = {0};
    vg_autojson json_t *j = NULL;
    size_t start = out->n;
    if (vg_json_parse(&j, data, len, VG_INV_MAX_JSON_BYTES, path, err) < 0) {
        return -1;
    }
    json_t *def = vg_json_obj(j, "default");
    if (!json_is_object(j) || (!def && !vg_json_obj(j, "_meta"))) {
        return vg_err_set(err, VG_E_PARSE, "%s: not a Pipfile.lock", path);
    }
    const char *name;
    json_t *e;
    json_object_foreach (def, name, e) {
        const char *v = vg_json_str(e, "version");
        if (!v || !vg_cstr_startswith(v, "==")) {
            continue; /* git, path and editable entries have no version */
        }
        if (py_add(out, &seen, "pipenv", path, vg_str_c(name), vg_str_c(v + 2), err) < 0) {
            vg_pkg_list_truncate(out, start);
            return -1;
        }
    }
    return 0;
}

static struct vg_str
toml_string(struct vg_str v)
{
    v = vg_str_trim(v);
    if (v.len >= 2 && (v.ptr[0] == '"' || v.ptr[0] == '\'') && v.ptr[v.len - 1] == v.ptr[0]) {
        return (struct vg_str){v.ptr + 1, v.len - 2};
    }
    return VG_STR_NULL;
}

/* One [[package]] table of poetry.lock or uv.lock, as far as it was read. */
struct toml_pkg {
    struct vg_str name, version;
    bool dev, local;
};

static int
toml_flush(struct vg_pkg_list *out, struct vg_inv_strset *seen, const char *kind, const char *path,
           struct toml_pkg *t, struct vg_err **err)
{
    struct toml_pkg p = *t;
    memset(t, 0, sizeof(*t));
    if (p.dev || p.local) {
        return 0;
    }
    return py_add(out, seen, kind, path, p.name, p.version, err);
}

/* uv's local sources: `source = { editable = "." }`, `{ virtual = "." }`, `{ directory = ...}`. */
static bool
uv_local_source(struct vg_str v)
{
    v = vg_str_trim(v);
    if (!v.len || v.ptr[0] != '{') {
        return false;
    }
    v.ptr++;
    v.len--;
    v = vg_str_trim(v);
    return vg_str_startswith(v, "editable") || vg_str_startswith(v, "virtual") ||
           vg_str_startswith(v, "directory");
}

static int
parse_toml_lock(struct vg_pkg_list *out, const char *kind, const char *path, const uint8_t *data,
                size_t len, struct vg_err **err)
{
    VG_CLEANUP(vg_inv_strset_dispose) struct vg_inv_strset seen = {0};
    size_t start = out->n;
    struct toml_pkg t = {0};
    bool in_pkg = false;
    struct vg_reader r;
    struct vg_str line;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_text_line(&r, VG_LIMIT_LINE_BYTES, &line, err)) > 0) {
        line = vg_str_trim(line);
        if (line.len && line.ptr[0] == '[') {
            /* [package.dependencies] and friends belong to the package before them. */
            if (vg_str_startswith(line, "[package.") || vg_str_startswith(line, "[[package.")) {
                continue;
            }
            if (in_pkg && toml_flush(out, &seen, kind, path, &t, err) < 0) {
                rc = -1;
                break;
            }
            in_pkg = vg_str_eq_c(line, "[[package]]");
            continue;
        }
        struct vg_str k, v;
        if (!in_pkg || !vg_str_cut(line, '=', &k, &v)) {
            continue;
        }
        k = vg_str_trim(k);
        if (vg_str_eq_c(k, "name") && !t.name.len) {
            t.name = toml_string(v);
        } else if (vg_str_eq_c(k, "version") && !t.version.len) {
            t.version = toml_string(v);
        } else if (vg_str_eq_c(k, "category")) {
            t.dev = vg_str_eq_c(toml_string(v), "dev");
        } else if (vg_str_eq_c(k, "source")) {
            t.local = uv_local_source(v);
        }
    }
    if (rc == 0 && in_pkg) {
        rc = toml_flush(out, &seen, kind, path, &t, err);
    }
    if (rc < 0) {
        vg_pkg_list_truncate(out, start);
        return vg_err_wrap(err, "%s", path);
    }
    return 0;
}

int
vg_inv_parse_poetry_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                         struct vg_err **err)
{
    return parse_toml_lock(out, "poetry", path, data, len, err);
}

int
vg_inv_parse_uv_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                     struct vg_err **err)
{
    return parse_toml_lock(out, "uv", path, data, len, err);
}
