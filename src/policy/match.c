/* SPDX-License-Identifier: Apache-2.0
 *
 * Pattern matchers of the three engines and Kubernetes label selectors. None allocates more
 * than O(pattern) and none backtracks exponentially: hostile patterns and images are bounded
 * by VG_POLICY_IMAGE_MAX and matched in O(pattern x string).
 */
#include "policy.h"
#include "policy_int.h"

#include "config/config.h"
#include "core/glob.h"

#include <string.h>

/* ---------------------------------------------------------------- vigil globs */

const char *
vg_policy_glob_check(const char *glob)
{
    size_t n = strlen(glob);
    if (n == 0) {
        return "empty glob";
    }
    if (n > VG_POLICY_IMAGE_MAX) {
        return "glob too long";
    }
    for (size_t i = 0; i < n; i++) {
        char c = glob[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-' || c == '/' || c == ':' || c == '*' || c == '?';
        if (!ok) {
            return (c >= 'A' && c <= 'Z') ? "upper-case letters never match a normalized reference"
                                          : "allowed characters are a-z 0-9 . _ - / : * ?";
        }
    }
    /* "**" only as a whole segment. */
    for (size_t i = 0; i + 1 < n; i++) {
        if (glob[i] == '*' && glob[i + 1] == '*') {
            bool start = i == 0 || glob[i - 1] == '/';
            bool end = i + 2 == n || glob[i + 2] == '/';
            if (!start || !end || (i + 2 < n && glob[i + 2] == '*')) {
                return "'**' must be a whole path segment";
            }
        }
    }
    if (glob[0] == '/' || glob[n - 1] == '/' || strstr(glob, "//")) {
        return "empty path segment";
    }
    const char *slash = strchr(glob, '/');
    size_t first = slash ? (size_t)(slash - glob) : n;
    if (first == 2 && glob[0] == '*' && glob[1] == '*') {
        return NULL;
    }
    if (!slash) {
        return "a glob names a registry and a repository ('registry.example.com/**'); use "
               "docker.io/library/NAME for Docker Hub official images";
    }
    bool host = memchr(glob, '.', first) || memchr(glob, ':', first) ||
                (first == 9 && memcmp(glob, "localhost", 9) == 0);
    if (!host) {
        return "the first segment must be a registry host (references are normalized: "
               "'nginx' is docker.io/library/nginx)";
    }
    return NULL;
}

bool
vg_policy_glob_match(const char *glob, const char *name)
{
    return vg_glob_match(glob, name);
}

/* ---------------------------------------------------------------- policy-controller globs */

const char *
vg_policy_cip_glob_check(const char *glob)
{
    size_t n = strlen(glob);
    if (n == 0) {
        return "glob is empty";
    }
    if (n > VG_POLICY_IMAGE_MAX) {
        return "glob too long";
    }
    for (size_t i = 0; i < n; i++) {
        char c = glob[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == ':' || c == '/' || c == '*' || c == '.' || c == '@';
        if (!ok) {
            return "glob has a character outside [a-zA-Z0-9-_:/*.@]";
        }
    }
    return NULL;
}

/* Anchored match where tokens are: "**" any run, "*" a run without '/', else a literal.
 * Dynamic programming over (pattern position, string position), one row at a time. */
static bool
cip_match(const char *p, size_t pn, const char *s, size_t sn)
{
    /* prev[j]: pattern prefix consumed so far matches s[0..j) */
    bool *prev = vg_calloc(sn + 1, sizeof(bool));
    bool *cur = vg_calloc(sn + 1, sizeof(bool));
    prev[0] = true;
    size_t i = 0;
    while (i < pn) {
        int kind = 0; /* 0 literal, 1 star, 2 double star */
        if (p[i] == '*') {
            kind = (i + 1 < pn && p[i + 1] == '*') ? 2 : 1;
        }
        memset(cur, 0, (sn + 1) * sizeof(bool));
        if (kind == 0) {
            for (size_t j = 0; j < sn; j++) {
                cur[j + 1] = prev[j] && s[j] == p[i];
            }
            i++;
        } else {
            bool run = false;
            for (size_t j = 0; j <= sn; j++) {
                if (prev[j]) {
                    run = true;
                }
                cur[j] = run;
                if (j < sn && kind == 1 && s[j] == '/') {
                    run = false;
                }
            }
            i += (size_t)kind;
        }
        bool *t = prev;
        prev = cur;
        cur = t;
    }
    bool ok = prev[sn];
    free(prev);
    free(cur);
    return ok;
}

bool
vg_policy_cip_glob_match(const char *glob, const char *name)
{
    if (!glob || !name) {
        return false;
    }
    if (strcmp(glob, "*") == 0) {
        glob = "index.docker.io/library/*";
    } else if (strcmp(glob, "*/*") == 0) {
        glob = "index.docker.io/*/*";
    }
    if (vg_policy_cip_glob_check(glob)) {
        return false;
    }
    size_t sn = strnlen(name, VG_POLICY_IMAGE_MAX + 1);
    if (sn > VG_POLICY_IMAGE_MAX) {
        return false;
    }
    return cip_match(glob, strlen(glob), name, sn);
}

/* ---------------------------------------------------------------- Kyverno wildcards */

bool
vg_policy_wildcard_match(const char *p, const char *s)
{
    if (!p || !s) {
        return false;
    }
    /* The classic single-backtrack walk: '*' remembers where it was; linear-ish, never
     * exponential. */
    const char *star = NULL, *mark = NULL;
    while (*s) {
        if (*p == '?' || (*p && *p != '*' && *p == *s)) {
            p++;
            s++;
        } else if (*p == '*') {
            star = p++;
            mark = s;
        } else if (star) {
            p = star + 1;
            s = ++mark;
        } else {
            return false;
        }
    }
    while (*p == '*') {
        p++;
    }
    return *p == '\0';
}

/* ---------------------------------------------------------------- label selectors */

static const char *
label_get(const struct vg_config_node *labels, const char *key)
{
    const struct vg_config_node *v = labels ? vg_config_map_get(labels, key) : NULL;
    return v ? vg_config_node_scalar(v, NULL) : NULL;
}

int
vg_policy_selector_check(const struct vg_config_node *sel, const char *path, struct vg_err **err)
{
    static const char *const keys[] = {"matchLabels", "matchExpressions"};
    if (vg_config_check_keys(sel, path, keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *ml = NULL, *me = NULL;
    if (vg_config_get_map(sel, "matchLabels", &ml, err) < 0 ||
        vg_config_get_seq(sel, "matchExpressions", &me, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    for (size_t i = 0; ml && i < vg_config_node_len(ml); i++) {
        if (vg_config_node_type(vg_config_map_value(ml, i)) != VG_CONFIG_SCALAR) {
            return vg_config_err(err, vg_config_map_value(ml, i), VG_E_PARSE,
                                 "label values must be strings");
        }
    }
    for (size_t i = 0; me && i < vg_config_node_len(me); i++) {
        const struct vg_config_node *e = vg_config_seq_at(me, i);
        static const char *const ekeys[] = {"key", "operator", "values"};
        if (vg_config_check_keys(e, "matchExpressions[]", ekeys, VG_ARRAY_LEN(ekeys), err) < 0) {
            return -(int)VG_E_PARSE;
        }
        const char *op = NULL, *key = NULL;
        const struct vg_config_node *vals = NULL;
        if (vg_config_get_str(e, "key", NULL, &key, err) < 0 ||
            vg_config_get_str(e, "operator", NULL, &op, err) < 0 ||
            vg_config_get_seq(e, "values", &vals, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        if (!key || !op) {
            return vg_config_err(err, e, VG_E_PARSE, "a match expression needs key and operator");
        }
        bool with_values = strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0;
        if (!with_values && strcmp(op, "Exists") != 0 && strcmp(op, "DoesNotExist") != 0) {
            return vg_config_err(err, e, VG_E_PARSE,
                                 "operator '%s' is not In, NotIn, Exists or DoesNotExist", op);
        }
        if (with_values && (!vals || vg_config_node_len(vals) == 0)) {
            return vg_config_err(err, e, VG_E_PARSE, "operator %s needs values", op);
        }
    }
    return 0;
}

bool
vg_policy_selector_match(const struct vg_config_node *sel, const struct vg_config_node *labels)
{
    if (!sel) {
        return true;
    }
    const struct vg_config_node *ml = vg_config_map_get(sel, "matchLabels");
    const struct vg_config_node *me = vg_config_map_get(sel, "matchExpressions");
    for (size_t i = 0; ml && i < vg_config_node_len(ml); i++) {
        const char *k = vg_config_node_scalar(vg_config_map_key(ml, i), NULL);
        const char *want = vg_config_node_scalar(vg_config_map_value(ml, i), NULL);
        const char *have = label_get(labels, k);
        if (!have || !want || strcmp(have, want) != 0) {
            return false;
        }
    }
    for (size_t i = 0; me && i < vg_config_node_len(me); i++) {
        const struct vg_config_node *e = vg_config_seq_at(me, i);
        const char *key = vg_config_node_scalar(vg_config_map_get(e, "key"), NULL);
        const char *op = vg_config_node_scalar(vg_config_map_get(e, "operator"), NULL);
        const struct vg_config_node *vals = vg_config_map_get(e, "values");
        const char *have = label_get(labels, key);
        bool in = false;
        for (size_t j = 0; have && vals && j < vg_config_node_len(vals); j++) {
            const char *v = vg_config_node_scalar(vg_config_seq_at(vals, j), NULL);
            if (v && strcmp(v, have) == 0) {
                in = true;
            }
        }
        if ((strcmp(op, "In") == 0 && !in) || (strcmp(op, "NotIn") == 0 && in) ||
            (strcmp(op, "Exists") == 0 && !have) || (strcmp(op, "DoesNotExist") == 0 && have)) {
            return false;
        }
    }
    return true;
}

/* Gatekeeper namespace patterns: exact, "prefix*" or "*suffix". */
bool
vg_policy_ns_match(const char *pattern, const char *ns)
{
    size_t pn = strlen(pattern), nn = strlen(ns);
    if (pn > 0 && pattern[pn - 1] == '*') {
        return nn >= pn - 1 && memcmp(pattern, ns, pn - 1) == 0;
    }
    if (pn > 0 && pattern[0] == '*') {
        return nn >= pn - 1 && memcmp(pattern + 1, ns + nn - (pn - 1), pn - 1) == 0;
    }
    return strcmp(pattern, ns) == 0;
}
