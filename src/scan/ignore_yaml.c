/* SPDX-License-Identifier: Apache-2.0
 *
 * `.trivyignore.yaml`, Trivy's structured ignore file:
 *
 *   vulnerabilities:            also misconfigurations:, secrets:, licenses:
 *     - id: CVE-2023-1234
 *       paths: [usr/lib/python3] globs over the file the finding is in
 *       purls: ["pkg:deb/debian/openssl"]
 *       expired_at: 2024-12-31 inactive after that day (UTC), as exp: in the plain format
 *       statement: why
 *
 * An entry suppresses only findings of its list's kind. Every problem is VG_E_PARSE at
 * FILE:LINE:COL (config/'s error form): an unknown key (a typo must never widen or narrow what
 * is ignored without saying so), a missing id, a bad date or purl. The YAML itself is read by
 * config/ with its bounds (bytes, depth, nodes, aliases); this file bounds entries and lists.
 */
#include <string.h>

#include "config/config.h"
#include "inventory/inventory.h"

#include "ignore_int.h"

struct yctx {
    struct vg_ignore *out;
    size_t entries;
};

/* Scalar text of n as a fresh C string, or an error at n naming key. */
static int
scalar_dup(const struct vg_config_node *n, const char *key, char **out, struct vg_err **err)
{
    size_t len = 0;
    const char *s = vg_config_node_scalar(n, &len);
    if (!s || vg_config_node_is_null(n)) {
        return vg_config_err(err, n, VG_E_PARSE, "'%s' must be a string", key);
    }
    if (memchr(s, '\0', len)) {
        return vg_config_err(err, n, VG_E_PARSE, "'%s' contains a NUL byte", key);
    }
    *out = vg_strndup(s, len);
    return 0;
}

static int
purl_check(const struct vg_config_node *n, const char *s, struct vg_err **err)
{
    struct vg_purl p;
    struct vg_err *why = NULL;
    if (vg_purl_parse(&p, s, &why) < 0) {
        vg_autofree char *m = vg_err_format(why);
        vg_err_free(&why);
        vg_autofree char *t = vg_escape(s, strlen(s), 64);
        return vg_config_err(err, n, VG_E_PARSE, "purls: '%s': %s", t, m);
    }
    vg_purl_dispose(&p);
    return 0;
}

static int
str_list(const struct vg_config_node *v, const char *key, char ***out, size_t *n,
         struct vg_err **err)
{
    if (vg_config_node_type(v) != VG_CONFIG_SEQ) {
        return vg_config_err(err, v, VG_E_PARSE, "'%s' must be a list", key);
    }
    size_t count = vg_config_node_len(v);
    if (count > VG_IGNORE_MAX_LIST) {
        return vg_config_err(err, v, VG_E_LIMIT, "'%s' has more than %u items", key,
                             VG_IGNORE_MAX_LIST);
    }
    vg_strv_free(*out, *n);
    *n = 0;
    *out = vg_calloc(count + 1, sizeof(**out));
    for (size_t i = 0; i < count; i++) {
        const struct vg_config_node *item = vg_config_seq_at(v, i);
        char *s = NULL;
        if (scalar_dup(item, key, &s, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        (*out)[(*n)++] = s;
        if (strcmp(key, "purls") == 0 && purl_check(item, s, err) < 0) {
            return -(int)VG_E_PARSE;
        }
    }
    return 0;
}

static int
entry_field(struct vg_ignore_entry *e, const char *key, const struct vg_config_node *k,
            const struct vg_config_node *v, struct vg_err **err)
{
    if (strcmp(key, "id") == 0) {
        return scalar_dup(v, key, &e->id, err);
    }
    if (strcmp(key, "statement") == 0) {
        return scalar_dup(v, key, &e->statement, err);
    }
    if (strcmp(key, "paths") == 0) {
        return str_list(v, key, &e->paths, &e->npaths, err);
    }
    if (strcmp(key, "purls") == 0) {
        return str_list(v, key, &e->purls, &e->npurls, err);
    }
    if (strcmp(key, "expired_at") == 0) {
        size_t len = 0;
        const char *s = vg_config_node_scalar(v, &len);
        if (!s || !vg_scan_ignore_date((struct vg_str){s, len}, &e->expires)) {
            return vg_config_err(err, v, VG_E_PARSE, "expired_at wants a date YYYY-MM-DD");
        }
        return 0;
    }
    vg_autofree char *t = vg_escape(key, strlen(key), 64);
    return vg_config_err(err, k, VG_E_PARSE,
                         "unknown key '%s' (expected id, paths, purls, expired_at, statement)", t);
}

static int
parse_entry(struct yctx *c, enum vg_ignore_kind kind, const struct vg_config_node *item,
            struct vg_err **err)
{
    if (vg_config_node_type(item) != VG_CONFIG_MAP) {
        return vg_config_err(err, item, VG_E_PARSE, "each entry must be a mapping with an id");
    }
    if (++c->entries > VG_IGNORE_MAX_ENTRIES) {
        return vg_config_err(err, item, VG_E_LIMIT, "more than %u entries", VG_IGNORE_MAX_ENTRIES);
    }
    struct vg_ignore_entry e = {.kind = kind, .line = vg_config_node_line(item)};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < vg_config_node_len(item); i++) {
        const struct vg_config_node *k = vg_config_map_key(item, i);
        size_t klen = 0;
        const char *key = vg_config_node_scalar(k, &klen);
        rc = key && !memchr(key, '\0', klen)
                 ? entry_field(&e, key, k, vg_config_map_value(item, i), err)
                 : vg_config_err(err, k, VG_E_PARSE, "keys must be strings");
    }
    if (rc == 0 && (!e.id || !e.id[0])) {
        rc = vg_config_err(err, item, VG_E_PARSE, "entry without an id");
    }
    if (rc < 0) {
        vg_scan_ignore_entry_dispose(&e);
        return rc;
    }
    vg_scan_ignore_push(c->out, &e);
    return 0;
}

static int
parse_root(struct yctx *c, const struct vg_config_node *root, struct vg_err **err)
{
    static const struct {
        const char *key;
        enum vg_ignore_kind kind;
    } lists[] = {{"vulnerabilities", VG_IGNORE_VULN},
                 {"misconfigurations", VG_IGNORE_MISCONFIG},
                 {"secrets", VG_IGNORE_SECRET},
                 {"licenses", VG_IGNORE_LICENSE}};
    if (vg_config_node_type(root) != VG_CONFIG_MAP) {
        return vg_config_err(err, root, VG_E_PARSE, "top level must be a mapping");
    }
    for (size_t p = 0; p < vg_config_node_len(root); p++) {
        const struct vg_config_node *k = vg_config_map_key(root, p);
        const struct vg_config_node *v = vg_config_map_value(root, p);
        size_t klen = 0;
        const char *key = vg_config_node_scalar(k, &klen);
        size_t i = 0;
        while (i < VG_ARRAY_LEN(lists) &&
               !(key && strlen(lists[i].key) == klen && memcmp(lists[i].key, key, klen) == 0)) {
            i++;
        }
        if (i == VG_ARRAY_LEN(lists)) {
            vg_autofree char *t = vg_escape(key ? key : "", klen, 64);
            return vg_config_err(err, k, VG_E_PARSE,
                                 "unknown key '%s' (expected vulnerabilities, misconfigurations, "
                                 "secrets, licenses)",
                                 t);
        }
        if (vg_config_node_is_null(v)) {
            continue; /* `secrets:` with nothing under it, as Trivy's own examples have */
        }
        if (vg_config_node_type(v) != VG_CONFIG_SEQ) {
            return vg_config_err(err, v, VG_E_PARSE, "'%s' must be a list", lists[i].key);
        }
        for (size_t j = 0; j < vg_config_node_len(v); j++) {
            if (parse_entry(c, lists[i].kind, vg_config_seq_at(v, j), err) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

int
vg_ignore_parse_yaml(struct vg_ignore *out, const char *name, const void *data, size_t len,
                     struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    struct vg_config_limits lim = VG_CONFIG_LIMITS_INIT;
    lim.max_bytes = VG_IGNORE_MAX_BYTES;
    struct vg_config_doc *doc = NULL;
    if (vg_config_load_buf(&doc, name ? name : "<ignorefile>", data, len, &lim, err) < 0) {
        return -1;
    }
    int rc = 0;
    size_t ndocs = vg_config_doc_count(doc);
    if (ndocs > 1) {
        rc = vg_config_err(err, vg_config_doc_root(doc, 1), VG_E_PARSE,
                           "one YAML document expected, found %zu", ndocs);
    } else if (ndocs == 1 && !vg_config_node_is_null(vg_config_doc_root(doc, 0))) {
        struct yctx c = {.out = out};
        rc = parse_root(&c, vg_config_doc_root(doc, 0), err);
    }
    vg_config_doc_free(doc);
    if (rc < 0) {
        vg_ignore_dispose(out);
        return -1;
    }
    return 0;
}
