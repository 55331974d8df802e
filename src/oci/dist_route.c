/* SPDX-License-Identifier: Apache-2.0
 *
 * The Distribution route grammar (spec v1.1 endpoint table, plus Docker's /v2/_catalog): a
 * request target parsed into a typed route, and a route built back into a target. A server
 * answers straight from the parse result; the client builds every URL it requests here, so
 * both sides agree on one grammar.
 *
 * A name may contain the words the routes use ("a/blobs/b/manifests/x" is the manifest x of
 * repository "a/blobs/b"), so the route is recognised from the END of the path: the last one
 * to three components select the endpoint, everything before them is the name. Components are
 * percent-decoded one at a time after the split, then checked against their grammar: a decoded
 * '/', "..", '.' or an empty component is never a valid name, tag, digest or session id, so
 * nothing in a target can address anything outside its repository.
 */
#include "oci.h"

#include <string.h>

#include "net/net.h"

#define COMPONENTS_MAX 256u /* name components of a path of at most VG_OCI_DIST_TARGET_MAX */

static enum vg_oci_dist_code
fail(enum vg_oci_dist_code c, struct vg_err **err, const char *what, const char *s, size_t len,
     size_t off)
{
    vg_autofree char *e = vg_escape(s, len, 120);
    vg_err_set(err, VG_E_PARSE, "request target: %s \"%s\" at offset %zu", what, e, off);
    return c;
}

int
vg_oci_dist_pct_decode(char **out, const char *s, size_t len, bool plus_space, struct vg_err **err)
{
    *out =
        vg_pct_decode_dup(s, len, VG_PCT_REFUSE_CTL | (plus_space ? VG_PCT_PLUS_SPACE : 0u), err);
    return *out ? 0 : -VG_E_PARSE;
}

int
vg_oci_dist_query_get(char **out, const char *query, const char *key, size_t idx,
                      struct vg_err **err)
{
    *out = NULL;
    struct vg_str rest = vg_str_c(query ? query : ""), pair, tail;
    while (rest.len) {
        bool more = vg_str_cut(rest, '&', &pair, &tail);
        struct vg_str k, v;
        if (!vg_str_cut(pair, '=', &k, &v)) {
            v = VG_STR_NULL;
        }
        vg_autofree char *dk = NULL;
        if (pair.len && vg_oci_dist_pct_decode(&dk, k.ptr, k.len, true, err) < 0) {
            return vg_err_wrap(err, "query parameter name");
        }
        if (dk && strcmp(dk, key) == 0 && idx-- == 0) {
            if (vg_oci_dist_pct_decode(out, v.ptr ? v.ptr : "", v.len, true, err) < 0) {
                return vg_err_wrap(err, "query parameter %s", key);
            }
            return 0;
        }
        if (!more) {
            break;
        }
        rest = tail;
    }
    return 0;
}

/* ---------------------------------------------------------------- grammars */

static bool
session_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > VG_OCI_DIST_SESSION_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '~' || c == '-')) {
            return false;
        }
    }
    return true;
}

/* RFC 6838 restricted-name "/" restricted-name, no parameters. */
static bool
media_name_valid(struct vg_str s)
{
    if (s.len == 0 || s.len > 127) {
        return false;
    }
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || !strchr("!#$&^_.+-", c))) {
            return false;
        }
    }
    return true;
}

static bool
media_type_valid(const char *s)
{
    struct vg_str t, sub;
    return strlen(s) <= VG_OCI_DIST_MEDIA_MAX && vg_str_cut(vg_str_c(s), '/', &t, &sub) &&
           media_name_valid(t) && media_name_valid(sub);
}

static bool
tag_ok(const char *s)
{
    return vg_oci_dist_tag_valid(vg_str_c(s));
}

static bool
name_ok(const char *s)
{
    return vg_oci_dist_name_valid(vg_str_c(s));
}

/* ---------------------------------------------------------------- parse */

struct parse {
    const char *target;
    size_t len;
    struct vg_oci_dist_route *r;
    size_t nown;
    size_t qoff; /* offset of the query in target (r->query is a copy) */
    struct vg_err **err;
};

static const char *
own(struct parse *p, char *s)
{
    p->r->own_[p->nown++] = s;
    return s;
}

/* Decodes the path components [from, to) of comps into one '/'-joined name, each checked. */
static enum vg_oci_dist_code
parse_name(struct parse *p, const struct vg_str *comps, size_t to)
{
    struct vg_buf b = VG_BUF_INIT(VG_OCI_DIST_TARGET_MAX);
    for (size_t i = 0; i < to; i++) {
        vg_autofree char *c = NULL;
        size_t off = (size_t)(comps[i].ptr - p->target);
        if (vg_oci_dist_pct_decode(&c, comps[i].ptr, comps[i].len, false, NULL) < 0 ||
            strchr(c, '/') || !vg_oci_dist_name_grammar(vg_str_c(c)) ||
            (i && vg_buf_appendc(&b, '/', NULL) < 0) || vg_buf_append_str(&b, c, NULL) < 0) {
            vg_buf_dispose(&b);
            return fail(VG_OCI_DIST_NAME_INVALID, p->err, "invalid repository name component",
                        comps[i].ptr, comps[i].len, off);
        }
    }
    if (b.len == 0 || b.len > VG_OCI_DIST_NAME_MAX) {
        vg_buf_dispose(&b);
        return fail(VG_OCI_DIST_NAME_INVALID, p->err,
                    to ? "repository name over 255 characters" : "empty repository name", p->target,
                    p->len, 4);
    }
    p->r->name = own(p, vg_buf_take(&b, NULL));
    return VG_OCI_DIST_OK;
}

/* The last component: a tag or digest (MANIFEST), a digest (BLOB, REFERRERS), a session. */
static enum vg_oci_dist_code
parse_reference(struct parse *p, struct vg_str c)
{
    struct vg_oci_dist_route *r = p->r;
    size_t off = (size_t)(c.ptr - p->target);
    char *s = NULL;
    if (vg_oci_dist_pct_decode(&s, c.ptr, c.len, false, NULL) < 0) {
        return fail(r->kind == VG_OCI_DIST_R_UPLOAD ? VG_OCI_DIST_BLOB_UPLOAD_INVALID
                    : r->kind == VG_OCI_DIST_R_MANIFEST && !memchr(c.ptr, ':', c.len)
                        ? VG_OCI_DIST_TAG_INVALID
                        : VG_OCI_DIST_DIGEST_INVALID,
                    p->err, "malformed escape in", c.ptr, c.len, off);
    }
    r->reference = own(p, s);
    if (r->kind == VG_OCI_DIST_R_UPLOAD) {
        return session_valid(s) ? VG_OCI_DIST_OK
                                : fail(VG_OCI_DIST_BLOB_UPLOAD_INVALID, p->err,
                                       "invalid upload session id", c.ptr, c.len, off);
    }
    if (r->kind == VG_OCI_DIST_R_MANIFEST && !strchr(s, ':')) {
        return tag_ok(s) ? VG_OCI_DIST_OK
                         : fail(VG_OCI_DIST_TAG_INVALID, p->err, "invalid tag", c.ptr, c.len, off);
    }
    if (vg_digest_parse(&r->digest, s, NULL) < 0) {
        return fail(VG_OCI_DIST_DIGEST_INVALID, p->err, "invalid digest", c.ptr, c.len, off);
    }
    r->by_digest = true;
    return VG_OCI_DIST_OK;
}

/* One single-valued query parameter: *out NULL when absent; kept (owned by the route) when
 * keep, else the caller frees it. */
static enum vg_oci_dist_code
query_one(struct parse *p, const char *key, bool keep, char **out)
{
    vg_autofree char *dup = NULL;
    const char *q = p->r->query;
    if (vg_oci_dist_query_get(out, q, key, 0, NULL) < 0 ||
        vg_oci_dist_query_get(&dup, q, key, 1, NULL) < 0) {
        free(*out); /* the first occurrence may have decoded before the second failed */
        *out = NULL;
        return fail(VG_OCI_DIST_UNSUPPORTED, p->err, "malformed query", q, strlen(q), p->qoff);
    }
    if (dup) {
        free(*out);
        *out = NULL;
        return fail(VG_OCI_DIST_UNSUPPORTED, p->err, "parameter given twice", key, strlen(key),
                    p->qoff);
    }
    if (*out && keep) {
        own(p, *out);
    }
    return VG_OCI_DIST_OK;
}

static enum vg_oci_dist_code
query_digest(struct parse *p, const char *key, bool *has, struct vg_digest *d)
{
    char *v = NULL;
    enum vg_oci_dist_code c = query_one(p, key, false, &v);
    vg_autofree char *val = v;
    if (c != VG_OCI_DIST_OK || !val) {
        return c;
    }
    if (vg_digest_parse(d, val, NULL) < 0) {
        return fail(VG_OCI_DIST_DIGEST_INVALID, p->err, "invalid digest in query", val, strlen(val),
                    p->qoff);
    }
    *has = true;
    return VG_OCI_DIST_OK;
}

static enum vg_oci_dist_code
query_page(struct parse *p, bool catalog)
{
    struct vg_oci_dist_route *r = p->r;
    size_t qoff = p->qoff;
    char *n = NULL, *last = NULL;
    enum vg_oci_dist_code c = query_one(p, "n", false, &n);
    vg_autofree char *nv = n;
    if (c == VG_OCI_DIST_OK && nv) {
        if (vg_parse_u64(vg_str_c(nv), VG_OCI_DIST_N_MAX, &r->n) < 0) {
            return fail(VG_OCI_DIST_PAGINATION_NUMBER_INVALID, p->err, "invalid page size", nv,
                        strlen(nv), qoff);
        }
        r->has_n = true;
    }
    if (c == VG_OCI_DIST_OK) {
        c = query_one(p, "last", true, &last);
    }
    if (c == VG_OCI_DIST_OK && last) {
        r->last = last;
        if (catalog ? !name_ok(last) : !tag_ok(last)) {
            return fail(catalog ? VG_OCI_DIST_NAME_INVALID : VG_OCI_DIST_TAG_INVALID, p->err,
                        "invalid last", last, strlen(last), qoff);
        }
    }
    return c;
}

static enum vg_oci_dist_code
parse_query(struct parse *p)
{
    struct vg_oci_dist_route *r = p->r;
    enum vg_oci_dist_code c = VG_OCI_DIST_OK;
    char *v = NULL;
    switch (r->kind) {
    case VG_OCI_DIST_R_CATALOG:
    case VG_OCI_DIST_R_TAGS:
        return query_page(p, r->kind == VG_OCI_DIST_R_CATALOG);
    case VG_OCI_DIST_R_UPLOAD_START:
        c = query_digest(p, "mount", &r->has_mount, &r->mount);
        if (c == VG_OCI_DIST_OK && r->has_mount) {
            c = query_one(p, "from", true, &v);
            r->from = v;
            if (c == VG_OCI_DIST_OK && v && !name_ok(v)) {
                return fail(VG_OCI_DIST_NAME_INVALID, p->err, "invalid mount source", v, strlen(v),
                            p->qoff);
            }
        }
        __attribute__((fallthrough));
    case VG_OCI_DIST_R_UPLOAD:
        return c == VG_OCI_DIST_OK
                   ? query_digest(p, "digest", &r->has_query_digest, &r->query_digest)
                   : c;
    case VG_OCI_DIST_R_REFERRERS:
        c = query_one(p, "artifactType", true, &v);
        r->artifact_type = v;
        if (c == VG_OCI_DIST_OK && v && !media_type_valid(v)) {
            return fail(VG_OCI_DIST_UNSUPPORTED, p->err, "invalid artifactType", v, strlen(v),
                        p->qoff);
        }
        return c;
    default:
        return VG_OCI_DIST_OK;
    }
}

static bool
comp_is(struct vg_str c, const char *lit)
{
    return vg_str_eq_c(c, lit);
}

/* Picks the endpoint from the last components; *name_to gets how many components are name. */
static bool
pick_kind(const struct vg_str *c, size_t k, enum vg_oci_dist_route_kind *kind, size_t *name_to)
{
    const struct vg_str *last = &c[k - 1], *prev = k >= 2 ? &c[k - 2] : NULL;
    const struct vg_str *prev2 = k >= 3 ? &c[k - 3] : NULL;
    if (last->len == 0) {
        if (prev2 && comp_is(*prev, "uploads") && comp_is(*prev2, "blobs")) {
            *kind = VG_OCI_DIST_R_UPLOAD_START;
            *name_to = k - 3;
            return true;
        }
        return false;
    }
    if (!prev) {
        return false;
    }
    *name_to = k - 2;
    if (comp_is(*prev, "tags") && comp_is(*last, "list")) {
        *kind = VG_OCI_DIST_R_TAGS;
    } else if (comp_is(*prev, "manifests")) {
        *kind = VG_OCI_DIST_R_MANIFEST;
    } else if (comp_is(*prev, "blobs")) {
        *kind = comp_is(*last, "uploads") ? VG_OCI_DIST_R_UPLOAD_START : VG_OCI_DIST_R_BLOB;
    } else if (comp_is(*prev, "referrers")) {
        *kind = VG_OCI_DIST_R_REFERRERS;
    } else if (prev2 && comp_is(*prev, "uploads") && comp_is(*prev2, "blobs")) {
        *kind = VG_OCI_DIST_R_UPLOAD;
        *name_to = k - 3;
    } else {
        return false;
    }
    return true;
}

static enum vg_oci_dist_code
parse_path(struct parse *p, struct vg_str rest)
{
    struct vg_oci_dist_route *r = p->r;
    struct vg_str comps[COMPONENTS_MAX];
    size_t k = 0;
    for (;;) {
        struct vg_str head, tail;
        bool more = vg_str_cut(rest, '/', &head, &tail);
        if (k == COMPONENTS_MAX) {
            return fail(VG_OCI_DIST_NAME_INVALID, p->err, "too many path components", p->target,
                        p->len, 0);
        }
        comps[k++] = head;
        if (!more) {
            break;
        }
        rest = tail;
    }
    size_t name_to = 0;
    if (!pick_kind(comps, k, &r->kind, &name_to)) {
        return fail(VG_OCI_DIST_ROUTE_UNKNOWN, p->err, "no such endpoint", p->target, p->len, 0);
    }
    enum vg_oci_dist_code c = parse_name(p, comps, name_to);
    if (c == VG_OCI_DIST_OK && r->kind != VG_OCI_DIST_R_TAGS &&
        r->kind != VG_OCI_DIST_R_UPLOAD_START) {
        c = parse_reference(p, comps[k - 1]);
    }
    return c;
}

enum vg_oci_dist_code
vg_oci_dist_route_parse(struct vg_oci_dist_route *out, const char *target, size_t len,
                        struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    struct parse p = {.target = target, .len = len, .r = out, .err = err};
    if (len == 0 || len > VG_OCI_DIST_TARGET_MAX) {
        return fail(VG_OCI_DIST_ROUTE_UNKNOWN, err, "empty or over-long target", "", 0, 0);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)target[i];
        if (ch <= 0x20 || ch >= 0x7f || ch == '#') {
            return fail(VG_OCI_DIST_ROUTE_UNKNOWN, err, "control character, space or fragment in",
                        target, len, i);
        }
    }
    struct vg_str all = {target, len}, path, query;
    if (vg_str_cut(all, '?', &path, &query)) {
        out->query = own(&p, vg_str_dup(query));
        p.qoff = path.len + 1;
    }
    enum vg_oci_dist_code c;
    if (vg_str_eq_c(path, "/v2") || vg_str_eq_c(path, "/v2/")) {
        out->kind = VG_OCI_DIST_R_BASE;
        c = VG_OCI_DIST_OK;
    } else if (!vg_str_startswith(path, "/v2/")) {
        c = fail(VG_OCI_DIST_ROUTE_UNKNOWN, err, "not under /v2/:", target, len, 0);
    } else if (vg_str_eq_c(path, "/v2/_catalog")) {
        out->kind = VG_OCI_DIST_R_CATALOG;
        c = parse_query(&p);
    } else {
        c = parse_path(&p, (struct vg_str){path.ptr + 4, path.len - 4});
        if (c == VG_OCI_DIST_OK) {
            c = parse_query(&p);
        }
    }
    if (c != VG_OCI_DIST_OK) {
        vg_oci_dist_route_dispose(out);
    }
    return c;
}

void
vg_oci_dist_route_dispose(struct vg_oci_dist_route *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(r->own_); i++) {
        free(r->own_[i]);
    }
    memset(r, 0, sizeof(*r));
}

/* ---------------------------------------------------------------- format */

static int
bad_part(struct vg_err **err, const char *what, const char *v)
{
    vg_autofree char *e = v ? vg_escape(v, strlen(v), 120) : vg_strdup("(none)");
    return vg_err_set(err, VG_E_USAGE, "distribution route: invalid %s \"%s\"", what, e);
}

/* Digests go out as they are ([a-z0-9:] needs no escape, and registries log them that way);
 * everything else percent-encoded. */
static void
add_param(struct vg_buf *b, char *sep, const char *key, const char *value)
{
    vg_autofree char *esc = vg_digest_valid(value) ? vg_strdup(value) : vg_http_query_escape(value);
    if (vg_buf_appendf(b, NULL, "%c%s=%s", *sep, key, esc) < 0) {
        abort(); /* unreachable: the buffer has no ceiling below SIZE_MAX */
    }
    *sep = '&';
}

static int
format_query(struct vg_buf *b, const struct vg_oci_dist_route *r, struct vg_err **err)
{
    char sep = '?';
    bool catalog = r->kind == VG_OCI_DIST_R_CATALOG;
    switch (r->kind) {
    case VG_OCI_DIST_R_CATALOG:
    case VG_OCI_DIST_R_TAGS:
        if (r->has_n) {
            if (r->n > VG_OCI_DIST_N_MAX) {
                return vg_err_set(err, VG_E_USAGE, "distribution route: page size over %u",
                                  VG_OCI_DIST_N_MAX);
            }
            vg_autofree char *s = vg_fmt("%llu", (unsigned long long)r->n);
            add_param(b, &sep, "n", s);
        }
        if (r->last && (catalog ? !name_ok(r->last) : !tag_ok(r->last))) {
            return bad_part(err, "last", r->last);
        }
        if (r->last) {
            add_param(b, &sep, "last", r->last);
        }
        return 0;
    case VG_OCI_DIST_R_UPLOAD_START:
        if (r->has_mount) {
            if (!vg_digest_valid(r->mount.text)) {
                return bad_part(err, "mount digest", r->mount.text);
            }
            if (r->from && !name_ok(r->from)) {
                return bad_part(err, "mount source", r->from);
            }
            add_param(b, &sep, "mount", r->mount.text);
            if (r->from) {
                add_param(b, &sep, "from", r->from);
            }
        }
        __attribute__((fallthrough));
    case VG_OCI_DIST_R_UPLOAD:
        if (r->has_query_digest) {
            if (!vg_digest_valid(r->query_digest.text)) {
                return bad_part(err, "digest", r->query_digest.text);
            }
            add_param(b, &sep, "digest", r->query_digest.text);
        }
        return 0;
    case VG_OCI_DIST_R_REFERRERS:
        if (r->artifact_type && !media_type_valid(r->artifact_type)) {
            return bad_part(err, "artifactType", r->artifact_type);
        }
        if (r->artifact_type) {
            add_param(b, &sep, "artifactType", r->artifact_type);
        }
        return 0;
    default:
        return 0;
    }
}

static int
format_reference(const struct vg_oci_dist_route *r, struct vg_err **err)
{
    const char *ref = r->reference;
    switch (r->kind) {
    case VG_OCI_DIST_R_MANIFEST:
        return ref && (strchr(ref, ':') ? vg_digest_valid(ref) : tag_ok(ref))
                   ? 0
                   : bad_part(err, "tag or digest", ref);
    case VG_OCI_DIST_R_BLOB:
    case VG_OCI_DIST_R_REFERRERS:
        return ref && vg_digest_valid(ref) ? 0 : bad_part(err, "digest", ref);
    case VG_OCI_DIST_R_UPLOAD:
        return ref && session_valid(ref) ? 0 : bad_part(err, "upload session id", ref);
    default:
        return 0;
    }
}

int
vg_oci_dist_route_format(char **out, const struct vg_oci_dist_route *r, struct vg_err **err)
{
    static const char *const suffix[] = {
        [VG_OCI_DIST_R_MANIFEST] = "/manifests/",
        [VG_OCI_DIST_R_BLOB] = "/blobs/",
        [VG_OCI_DIST_R_UPLOAD_START] = "/blobs/uploads/",
        [VG_OCI_DIST_R_UPLOAD] = "/blobs/uploads/",
        [VG_OCI_DIST_R_TAGS] = "/tags/list",
        [VG_OCI_DIST_R_REFERRERS] = "/referrers/",
    };
    *out = NULL;
    vg_autobuf struct vg_buf b = VG_BUF_INIT(SIZE_MAX / 2);
    if (r->kind == VG_OCI_DIST_R_BASE) {
        *out = vg_strdup("/v2/");
        return 0;
    }
    if (r->kind < VG_OCI_DIST_R_BASE || r->kind > VG_OCI_DIST_R_REFERRERS) {
        return vg_err_set(err, VG_E_USAGE, "distribution route: unknown kind %d", (int)r->kind);
    }
    int rc;
    if (r->kind == VG_OCI_DIST_R_CATALOG) {
        rc = vg_buf_append_str(&b, "/v2/_catalog", err);
    } else if (!r->name || !name_ok(r->name)) {
        return bad_part(err, "repository name", r->name);
    } else if (format_reference(r, err) < 0) {
        return -1;
    } else {
        rc = vg_buf_appendf(&b, err, "/v2/%s%s%s", r->name, suffix[r->kind],
                            r->reference && r->kind != VG_OCI_DIST_R_UPLOAD_START &&
                                    r->kind != VG_OCI_DIST_R_TAGS
                                ? r->reference
                                : "");
    }
    if (rc < 0 || format_query(&b, r, err) < 0) {
        return -1;
    }
    *out = vg_buf_take(&b, NULL);
    return 0;
}
