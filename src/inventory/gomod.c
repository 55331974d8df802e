/* SPDX-License-Identifier: Apache-2.0
 *
 * Go modules of a source tree (`vigil fs`): go.mod's `require` directives (single-line and
 * block form, `// indirect` ones included: since Go 1.17 go.mod lists every module the build
 * needs) with its `replace` directives applied — a module replaced by another module@version
 * is reported as that one, a module replaced by a local directory is not a package — and
 * `exclude` ignored (it only prunes the version graph). Kind "gomod"; versions are kept as Go
 * writes them ("v1.2.3"), as the Go binary analyzer keeps them.
 *
 * go.mod is read line by line: the grammar is line-oriented and quoted module paths are rare
 * (they are unquoted here).
 */
#include <string.h>

#include "inventory/inventory_int.h"

#define GO_MAX_PATH    512u
#define GO_MAX_VERSION 256u
#define GO_MAX_REPLACE 10000u

struct go_req {
    struct vg_str path, version;
};

struct go_repl {
    struct vg_str from, from_ver; /* from_ver empty: every version */
    struct vg_str to, to_ver;     /* to_ver empty: a local directory */
};

struct gomod {
    struct go_req *req;
    size_t nreq, capreq;
    struct go_repl *repl;
    size_t nrepl, caprepl;
};

static struct vg_str
unquote(struct vg_str s)
{
    s = vg_str_trim(s);
    if (s.len >= 2 && (s.ptr[0] == '"' || s.ptr[0] == '`') && s.ptr[s.len - 1] == s.ptr[0]) {
        return (struct vg_str){s.ptr + 1, s.len - 2};
    }
    return s;
}

/* Splits off the next whitespace-separated word of *s. */
static struct vg_str
word(struct vg_str *s)
{
    struct vg_str t = vg_str_trim(*s);
    size_t n = 0;
    while (n < t.len && t.ptr[n] != ' ' && t.ptr[n] != '\t') {
        n++;
    }
    *s = (struct vg_str){t.ptr + n, t.len - n};
    return unquote((struct vg_str){t.ptr, n});
}

static int
directive(struct gomod *m, const char *path, struct vg_str verb, struct vg_str args,
          struct vg_err **err)
{
    for (size_t i = 0; i + 1 < args.len; i++) {
        if (args.ptr[i] == '/' && args.ptr[i + 1] == '/' &&
            (i == 0 || args.ptr[i - 1] == ' ' || args.ptr[i - 1] == '\t')) {
            args.len = i; /* a comment: "// indirect" */
            break;
        }
    }
    if (vg_str_eq_c(verb, "require")) {
        struct vg_str p = word(&args), v = word(&args);
        if (!p.len || !v.len || p.len > GO_MAX_PATH || v.len > GO_MAX_VERSION) {
            return 0;
        }
        if (m->nreq >= VG_INV_MAX_PKGS_PER_FILE) {
            return vg_err_set(err, VG_E_LIMIT, "%s: more than %u requirements", path,
                              VG_INV_MAX_PKGS_PER_FILE);
        }
        m->req = vg_vec_grow(m->req, &m->capreq, m->nreq, 1, sizeof(*m->req));
        m->req[m->nreq++] = (struct go_req){p, v};
    } else if (vg_str_eq_c(verb, "replace")) {
        struct vg_str lhs, rhs;
        struct go_repl r = {0};
        /* "old [v] => new [v]" */
        const char *arrow = NULL;
        for (size_t i = 0; i + 1 < args.len; i++) {
            if (args.ptr[i] == '=' && args.ptr[i + 1] == '>') {
                arrow = args.ptr + i;
                break;
            }
        }
        if (!arrow) {
            return 0;
        }
        lhs = (struct vg_str){args.ptr, (size_t)(arrow - args.ptr)};
        rhs = (struct vg_str){arrow + 2, args.len - (size_t)(arrow + 2 - args.ptr)};
        r.from = word(&lhs);
        r.from_ver = word(&lhs);
        r.to = word(&rhs);
        r.to_ver = word(&rhs);
        if (!r.from.len || !r.to.len || r.from.len > GO_MAX_PATH || r.to.len > GO_MAX_PATH ||
            r.to_ver.len > GO_MAX_VERSION) {
            return 0;
        }
        if (m->nrepl >= GO_MAX_REPLACE) {
            return vg_err_set(err, VG_E_LIMIT, "%s: more than %u replace directives", path,
                              GO_MAX_REPLACE);
        }
        m->repl = vg_vec_grow(m->repl, &m->caprepl, m->nrepl, 1, sizeof(*m->repl));
        m->repl[m->nrepl++] = r;
    }
    return 0;
}

static const struct go_repl *
replacement(const struct gomod *m, const struct go_req *q)
{
    const struct go_repl *any = NULL;
    for (size_t i = 0; i < m->nrepl; i++) {
        const struct go_repl *r = &m->repl[i];
        if (r->from.len != q->path.len || memcmp(r->from.ptr, q->path.ptr, q->path.len) != 0) {
            continue;
        }
        if (r->from_ver.len == q->version.len &&
            memcmp(r->from_ver.ptr, q->version.ptr, q->version.len) == 0) {
            return r; /* a version-specific replacement wins */
        }
        if (!r->from_ver.len) {
            any = r;
        }
    }
    return any;
}

static int
emit(struct vg_pkg_list *out, const char *path, const struct gomod *m, struct vg_err **err)
{
    VG_CLEANUP(vg_inv_strset_dispose) struct vg_inv_strset seen = {0};
    for (size_t i = 0; i < m->nreq; i++) {
        struct vg_str name = m->req[i].path, ver = m->req[i].version;
        const struct go_repl *r = replacement(m, &m->req[i]);
        if (r && !r->to_ver.len) {
            continue; /* a local directory */
        }
        if (r) {
            name = r->to;
            ver = r->to_ver;
        }
        if (!vg_inv_strset_add(&seen, name, ver)) {
            continue;
        }
        struct vg_pkg *p = vg_pkg_list_add(out, err);
        if (!p) {
            return -1;
        }
        p->type = VG_PKG_LIBRARY;
        p->kind = vg_strdup("gomod");
        p->name = vg_str_dup(name);
        p->version = vg_str_dup(ver);
        p->path = vg_strdup(path);
    }
    return 0;
}

int
vg_inv_parse_gomod(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                   struct vg_err **err)
{
    struct gomod m = {0};
    size_t start = out->n;
    struct vg_str block = VG_STR_NULL; /* the verb of the "verb (" block we are in */
    bool module_seen = false;
    struct vg_reader r;
    struct vg_str line;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_text_line(&r, VG_LIMIT_LINE_BYTES, &line, err)) > 0) {
        line = vg_str_trim(line);
        if (!line.len || vg_str_startswith(line, "//")) {
            continue;
        }
        if (block.len) {
            if (vg_str_eq_c(line, ")")) {
                block = VG_STR_NULL;
            } else if ((rc = directive(&m, path, block, line, err)) < 0) {
                break;
            }
            continue;
        }
        struct vg_str rest = line;
        struct vg_str verb = word(&rest);
        module_seen |= vg_str_eq_c(verb, "module");
        rest = vg_str_trim(rest);
        if (vg_str_eq_c(rest, "(")) {
            block = verb;
        } else if ((rc = directive(&m, path, verb, rest, err)) < 0) {
            break;
        }
    }
    if (rc == 0 && !module_seen && m.nreq == 0) {
        rc = vg_err_set(err, VG_E_PARSE, "%s: no module directive", path);
    } else if (rc == 0) {
        rc = emit(out, path, &m, err);
    }
    free(m.req);
    free(m.repl);
    if (rc < 0) {
        vg_pkg_list_truncate(out, start);
        return -1;
    }
    return 0;
}
