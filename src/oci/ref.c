/* SPDX-License-Identifier: Apache-2.0
 *
 * Image references, parsed and normalized exactly as Docker does (distribution/reference
 * ParseNormalizedNamed): the first path component is a registry host when it contains '.' or
 * ':', is "localhost", or has uppercase letters; otherwise the registry is docker.io, where a
 * single-component name gains "library/". index.docker.io is an alias of docker.io. Repository
 * components are lowercase alphanumerics joined by '.', '_', '__' or runs of '-'; tags match
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; digests are checked by vg_digest_parse.
 *
 * This file only parses and prints references; it never contacts a registry.
 */
#include "oci.h"

#include <string.h>

#define NAME_MAX_LEN VG_OCI_DIST_NAME_MAX /* distribution/reference NameTotalLengthMax */
#define REF_MAX_LEN  1024u /* whole input: name + tag + longest digest, with headroom */

static bool
is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

static int
bad_ref(struct vg_err **err, const char *s, const char *why)
{
    char *e = vg_escape(s, strlen(s), 120);
    int rc = vg_err_set(err, VG_E_USAGE, "invalid reference \"%s\": %s", e, why);
    free(e);
    return rc;
}

/* domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool
valid_domain_component(struct vg_str c)
{
    if (c.len == 0 || !is_alnum(c.ptr[0]) || !is_alnum(c.ptr[c.len - 1])) {
        return false;
    }
    for (size_t i = 0; i < c.len; i++) {
        if (!is_alnum(c.ptr[i]) && c.ptr[i] != '-') {
            return false;
        }
    }
    return true;
}

/* host [':' port], host := domain-name | '[' IPv6 ']' */
static bool
valid_domain(struct vg_str d)
{
    struct vg_str host = d, port = VG_STR_NULL;
    bool has_port = false;
    if (d.len > 0 && d.ptr[0] == '[') {
        const char *close = memchr(d.ptr, ']', d.len);
        if (!close || close == d.ptr + 1) {
            return false;
        }
        for (const char *p = d.ptr + 1; p < close; p++) {
            if (!(is_alnum(*p) || *p == ':' || *p == '.')) {
                return false;
            }
        }
        size_t hl = (size_t)(close - d.ptr) + 1;
        host = (struct vg_str){d.ptr, hl};
        if (hl < d.len) {
            if (d.ptr[hl] != ':') {
                return false;
            }
            has_port = true;
            port = (struct vg_str){d.ptr + hl + 1, d.len - hl - 1};
        }
    } else {
        has_port = vg_str_cut(d, ':', &host, &port);
        struct vg_str rest = host, comp, tail;
        for (;;) {
            bool more = vg_str_cut(rest, '.', &comp, &tail);
            if (!valid_domain_component(comp)) {
                return false;
            }
            if (!more) {
                break;
            }
            rest = tail;
        }
    }
    if (has_port) {
        if (port.len == 0) {
            return false;
        }
        for (size_t i = 0; i < port.len; i++) {
            if (port.ptr[i] < '0' || port.ptr[i] > '9') {
                return false;
            }
        }
    }
    return true;
}

static bool
is_64_hex(const char *s)
{
    if (strlen(s) != 64) {
        return false;
    }
    for (size_t i = 0; i < 64; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

/* Docker's splitDockerDomain: the first component is a registry host when it contains '.'
 * or ':', is "localhost", or is not all lowercase. */
static bool
first_is_domain(struct vg_str first)
{
    if (memchr(first.ptr, '.', first.len) || memchr(first.ptr, ':', first.len) ||
        vg_str_eq_c(first, "localhost")) {
        return true;
    }
    for (size_t i = 0; i < first.len; i++) {
        if (first.ptr[i] >= 'A' && first.ptr[i] <= 'Z') {
            return true;
        }
    }
    return false;
}

static int
split_name(struct vg_oci_ref *r, const char *s, struct vg_str name, struct vg_err **err)
{
    struct vg_str first, rest;
    struct vg_str path = name;
    if (vg_str_cut(name, '/', &first, &rest) && first_is_domain(first)) {
        if (!valid_domain(first)) {
            return bad_ref(err, s, "invalid registry host");
        }
        r->registry =
            vg_str_eq_c(first, "index.docker.io") ? vg_strdup("docker.io") : vg_str_dup(first);
        path = rest;
    } else {
        r->registry = vg_strdup("docker.io");
    }
    for (size_t i = 0; i < path.len; i++) {
        if (path.ptr[i] >= 'A' && path.ptr[i] <= 'Z') {
            return bad_ref(err, s, "repository name must be lowercase");
        }
    }
    if (!vg_oci_dist_name_grammar(path)) {
        return bad_ref(err, s,
                       "repository path components must be lowercase letters and digits "
                       "separated by '.', '_', '__' or '-'");
    }
    if (strcmp(r->registry, "docker.io") == 0 && !memchr(path.ptr, '/', path.len)) {
        r->repository = vg_fmt("library/%.*s", (int)path.len, path.ptr);
    } else {
        r->repository = vg_str_dup(path);
    }
    if (strlen(r->registry) + 1 + strlen(r->repository) > NAME_MAX_LEN) {
        return bad_ref(err, s, "repository name must not be more than 255 characters");
    }
    return 0;
}

int
vg_oci_ref_parse(struct vg_oci_ref **out, const char *s, struct vg_err **err)
{
    if (!s || !*s) {
        return vg_err_set(err, VG_E_USAGE, "invalid reference: empty");
    }
    size_t slen = strlen(s);
    if (slen > REF_MAX_LEN) {
        return vg_err_set(err, VG_E_USAGE, "invalid reference: %zu characters is too long", slen);
    }
    if (is_64_hex(s)) {
        return bad_ref(err, s, "cannot specify 64-byte hexadecimal strings");
    }
    struct vg_oci_ref *r = vg_calloc(1, sizeof(*r));
    struct vg_str all = vg_str_c(s), name = all, dig = VG_STR_NULL;
    if (vg_str_cut(all, '@', &name, &dig)) {
        char *d = vg_str_dup(dig);
        struct vg_digest parsed;
        bool ok = vg_digest_parse(&parsed, d, NULL) == 0;
        free(d);
        if (!ok) {
            vg_oci_ref_free(r);
            return bad_ref(err, s, "invalid digest (want sha256:<64 hex> or sha512:<128 hex>)");
        }
        r->digest = vg_strdup(parsed.text);
    }
    const char *slash = memrchr(name.ptr, '/', name.len);
    size_t from = slash ? (size_t)(slash - name.ptr) + 1 : 0;
    const char *colon = memchr(name.ptr + from, ':', name.len - from);
    if (colon) {
        struct vg_str tag = {colon + 1, name.len - (size_t)(colon - name.ptr) - 1};
        if (!vg_oci_dist_tag_valid(tag)) {
            vg_oci_ref_free(r);
            return bad_ref(err, s, "invalid tag (want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
        }
        r->tag = vg_str_dup(tag);
        name.len = (size_t)(colon - name.ptr);
    }
    if (name.len == 0) {
        vg_oci_ref_free(r);
        return bad_ref(err, s, "missing repository name");
    }
    if (split_name(r, s, name, err) < 0) {
        vg_oci_ref_free(r);
        return -(int)VG_E_USAGE;
    }
    if (!r->tag && !r->digest) {
        r->tag = vg_strdup("latest");
        r->tag_implied = true;
    }
    *out = r;
    return 0;
}

void
vg_oci_ref_free(struct vg_oci_ref *r)
{
    if (!r) {
        return;
    }
    free(r->registry);
    free(r->repository);
    free(r->tag);
    free(r->digest);
    free(r);
}

/* The n strings one after the other (what vg_fmt("%s%s...") gives, without its formatting
 * pass: the webhook spells a reference or two per container and review). */
static char *
cat(const char *const *part, size_t n) /* n <= 8 */
{
    size_t len[8], total = 1;
    for (size_t i = 0; i < n; i++) {
        len[i] = strlen(part[i]);
        total = vg_size_add_or_abort(total, len[i]);
    }
    char *out = vg_malloc(total), *o = out;
    for (size_t i = 0; i < n; i++) {
        memcpy(o, part[i], len[i]);
        o += len[i];
    }
    *o = '\0';
    return out;
}

char *
vg_oci_ref_name(const struct vg_oci_ref *r)
{
    const char *part[] = {r->registry, "/", r->repository};
    return cat(part, VG_ARRAY_LEN(part));
}

char *
vg_oci_ref_string(const struct vg_oci_ref *r)
{
    const char *part[] = {r->registry,
                          "/",
                          r->repository,
                          r->tag ? ":" : "",
                          r->tag ? r->tag : "",
                          r->digest ? "@" : "",
                          r->digest ? r->digest : ""};
    return cat(part, VG_ARRAY_LEN(part));
}

const char *
vg_oci_ref_api_host(const struct vg_oci_ref *r)
{
    if (strcmp(r->registry, "docker.io") == 0) {
        return "registry-1.docker.io";
    }
    return r->registry;
}
