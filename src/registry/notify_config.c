/* SPDX-License-Identifier: Apache-2.0
 *
 * The `notifications:` configuration of the registry (notify.h): endpoints, their filters,
 * retry timing, signing secret and TLS trust. Loading only; delivery is notify.c.
 */
#include "registry/notify.h"

#include <string.h>

#define NOTIFY_ENDPOINTS_MAX  64u
#define NOTIFY_NAME_MAX       64u
#define NOTIFY_HEADERS_MAX    64u
#define NOTIFY_QUEUE_DEFAULT  1000u
#define NOTIFY_QUEUE_MAX      1000000u
#define NOTIFY_TIMEOUT_MAX_MS (10u * 60u * 1000u)
#define NOTIFY_BACKOFF_MAX_MS (24ull * 3600u * 1000u)
#define NOTIFY_THRESHOLD_MAX  1000u
#define NOTIFY_QUAR_FILES_DEF 1000u
#define NOTIFY_QUAR_FILES_MAX 1000000u
#define NOTIFY_QUAR_BYTES_DEF (64ull * 1024u * 1024u)
#define NOTIFY_QUAR_BYTES_MAX (1ull << 40)

static const char *const action_names[] = {"push", "pull", "delete", "scan", "rescan", "deny"};

const char *
vg_registry_notify_action_name(unsigned action)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(action_names); i++) {
        if (action == 1u << i) {
            return action_names[i];
        }
    }
    return NULL;
}

static const char *
scalar(const struct vg_config_node *n)
{
    size_t len;
    const char *s =
        vg_config_node_type(n) == VG_CONFIG_SCALAR ? vg_config_node_scalar(n, &len) : NULL;
    return s && *s && strlen(s) == len ? s : NULL;
}

static int
actions_parse(const struct vg_config_node *seq, const char *what, unsigned *out,
              struct vg_err **err)
{
    *out = 0;
    if (vg_config_node_type(seq) != VG_CONFIG_SEQ) {
        return vg_config_err(err, seq, VG_E_PARSE, "'%s' must be a list of actions", what);
    }
    for (size_t i = 0; i < vg_config_node_len(seq); i++) {
        const struct vg_config_node *e = vg_config_seq_at(seq, i);
        const char *s = scalar(e);
        unsigned bit = 0;
        for (size_t j = 0; s && j < VG_ARRAY_LEN(action_names) && !bit; j++) {
            bit = strcmp(s, action_names[j]) == 0 ? 1u << j : 0;
        }
        if (!bit) {
            return vg_config_err(err, e, VG_E_PARSE,
                                 "'%s': expected push, pull, delete, scan, rescan or deny", what);
        }
        *out |= bit;
    }
    return 0;
}

static int
strings_parse(const struct vg_config_node *seq, const char *what, char ***out, size_t *n,
              struct vg_err **err)
{
    if (vg_config_node_type(seq) != VG_CONFIG_SEQ) {
        return vg_config_err(err, seq, VG_E_PARSE, "'%s' must be a list of strings", what);
    }
    for (size_t i = 0; i < vg_config_node_len(seq); i++) {
        const char *s = scalar(vg_config_seq_at(seq, i));
        if (!s) {
            return vg_config_err(err, vg_config_seq_at(seq, i), VG_E_PARSE,
                                 "'%s' must be a list of strings", what);
        }
        vg_strv_push(out, n, s);
    }
    return 0;
}

static bool
header_name_ok(const char *s)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~";
    for (const char *p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(tchar, *p))) {
            return false;
        }
    }
    return *s != '\0';
}

static bool
header_value_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
            return false;
        }
    }
    return true;
}

/* headers: {Name: value} or {Name: [value, ...]} (Distribution's form). */
static int
headers_parse(struct vg_registry_notify_endpoint *ep, const struct vg_config_node *map,
              struct vg_err **err)
{
    if (vg_config_node_type(map) != VG_CONFIG_MAP) {
        return vg_config_err(err, map, VG_E_PARSE, "'headers' must be a mapping");
    }
    for (size_t i = 0; i < vg_config_node_len(map); i++) {
        const struct vg_config_node *k = vg_config_map_key(map, i);
        const struct vg_config_node *v = vg_config_map_value(map, i);
        const char *name = scalar(k);
        if (!name || !header_name_ok(name)) {
            return vg_config_err(err, k, VG_E_PARSE, "header name must be an HTTP token");
        }
        if (strcasecmp(name, "Content-Type") == 0 ||
            strcasecmp(name, VG_REGISTRY_NOTIFY_SIG_HEADER) == 0 ||
            strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Host") == 0) {
            return vg_config_err(err, k, VG_E_PARSE, "header '%s' is set by the registry", name);
        }
        size_t nv = vg_config_node_type(v) == VG_CONFIG_SEQ ? vg_config_node_len(v) : 1;
        for (size_t j = 0; j < nv; j++) {
            const struct vg_config_node *e =
                vg_config_node_type(v) == VG_CONFIG_SEQ ? vg_config_seq_at(v, j) : v;
            const char *val = scalar(e);
            if (!val || !header_value_ok(val)) {
                return vg_config_err(err, e, VG_E_PARSE,
                                     "header value must be a string without control characters");
            }
            if (ep->nheaders == NOTIFY_HEADERS_MAX) {
                return vg_config_err(err, e, VG_E_LIMIT, "more than %u headers",
                                     NOTIFY_HEADERS_MAX);
            }
            vg_autofree char *line = vg_fmt("%s: %s", name, val);
            vg_strv_push(&ep->headers, &ep->nheaders, line);
        }
    }
    return 0;
}

static bool
name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > NOTIFY_NAME_MAX || s[0] == '.') {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-')) {
            return false;
        }
    }
    return true;
}

static int
ignore_parse(struct vg_registry_notify_endpoint *ep, const struct vg_config_node *ig,
             struct vg_err **err)
{
    static const char *const keys[] = {"mediatypes", "actions"};
    const struct vg_config_node *mt = NULL, *ac = NULL;
    if (vg_config_check_keys(ig, "notifications.endpoints[].ignore", keys, VG_ARRAY_LEN(keys),
                             err) < 0 ||
        vg_config_get_seq(ig, "mediatypes", &mt, err) < 0 ||
        vg_config_get_seq(ig, "actions", &ac, err) < 0) {
        return -1;
    }
    if (mt && strings_parse(mt, "ignore.mediatypes", &ep->ignore_mediatypes,
                            &ep->nignore_mediatypes, err) < 0) {
        return -1;
    }
    return ac ? actions_parse(ac, "ignore.actions", &ep->ignore_actions, err) : 0;
}

static int
endpoint_parse(struct vg_registry_notify_endpoint *ep, const struct vg_config_node *n,
               struct vg_err **err)
{
    static const char *const keys[] = {"name",
                                       "url",
                                       "headers",
                                       "timeout",
                                       "threshold",
                                       "backoff",
                                       "max-backoff",
                                       "events",
                                       "min-severity",
                                       "ignore",
                                       "secret",
                                       "ca-file",
                                       "max-queued",
                                       "disabled",
                                       "quarantine-max-files",
                                       "quarantine-max-bytes"};
    const char *name, *url, *sev, *secret, *ca;
    uint64_t threshold, queued, qfiles;
    const struct vg_config_node *headers = NULL, *events = NULL, *ignore = NULL;
    if (vg_config_check_keys(n, "notifications.endpoints[]", keys, VG_ARRAY_LEN(keys), err) < 0 ||
        vg_config_get_str(n, "name", NULL, &name, err) < 0 ||
        vg_config_get_str(n, "url", NULL, &url, err) < 0 ||
        vg_config_get_map(n, "headers", &headers, err) < 0 ||
        vg_config_get_duration_ms(n, "timeout", 5000, NOTIFY_TIMEOUT_MAX_MS, &ep->timeout_ms, err) <
            0 ||
        vg_config_get_u64(n, "threshold", 5, NOTIFY_THRESHOLD_MAX, &threshold, err) < 0 ||
        vg_config_get_duration_ms(n, "backoff", 1000, NOTIFY_BACKOFF_MAX_MS, &ep->backoff_ms, err) <
            0 ||
        vg_config_get_duration_ms(n, "max-backoff", 300000, NOTIFY_BACKOFF_MAX_MS,
                                  &ep->max_backoff_ms, err) < 0 ||
        vg_config_get_seq(n, "events", &events, err) < 0 ||
        vg_config_get_str(n, "min-severity", NULL, &sev, err) < 0 ||
        vg_config_get_map(n, "ignore", &ignore, err) < 0 ||
        vg_config_get_str(n, "secret", NULL, &secret, err) < 0 ||
        vg_config_get_str(n, "ca-file", NULL, &ca, err) < 0 ||
        vg_config_get_u64(n, "max-queued", NOTIFY_QUEUE_DEFAULT, NOTIFY_QUEUE_MAX, &queued, err) <
            0 ||
        vg_config_get_bool(n, "disabled", false, &ep->disabled, err) < 0 ||
        vg_config_get_u64(n, "quarantine-max-files", NOTIFY_QUAR_FILES_DEF, NOTIFY_QUAR_FILES_MAX,
                          &qfiles, err) < 0 ||
        vg_config_get_size(n, "quarantine-max-bytes", NOTIFY_QUAR_BYTES_DEF, NOTIFY_QUAR_BYTES_MAX,
                           &ep->quarantine_max_bytes, err) < 0) {
        return -1;
    }
    if (!name || !name_ok(name)) {
        return vg_config_err(err, n, VG_E_PARSE,
                             "endpoint 'name' must be 1-%u characters of [A-Za-z0-9._-], not "
                             "starting with '.'",
                             NOTIFY_NAME_MAX);
    }
    if (!url || (!vg_cstr_startswith(url, "http://") && !vg_cstr_startswith(url, "https://"))) {
        return vg_config_err(err, n, VG_E_PARSE, "endpoint '%s': 'url' must be http:// or https://",
                             name);
    }
    if (ep->timeout_ms == 0) {
        return vg_config_err(err, n, VG_E_PARSE, "endpoint '%s': 'timeout' must be positive", name);
    }
    if (queued == 0) {
        return vg_config_err(err, n, VG_E_PARSE, "endpoint '%s': 'max-queued' must be positive",
                             name);
    }
    ep->name = vg_strdup(name);
    ep->url = vg_strdup(url);
    ep->threshold = (unsigned)threshold;
    ep->max_queued = (size_t)queued;
    ep->quarantine_max_files = (size_t)qfiles;
    ep->actions = VG_NOTIFY_DEFAULT_ACTIONS;
    if (ep->max_backoff_ms < ep->backoff_ms) {
        ep->max_backoff_ms = ep->backoff_ms;
    }
    if (headers && headers_parse(ep, headers, err) < 0) {
        return -1;
    }
    if (events && actions_parse(events, "events", &ep->actions, err) < 0) {
        return -1;
    }
    if (ignore && ignore_parse(ep, ignore, err) < 0) {
        return -1;
    }
    if (sev && vg_registry_gate_severity_parse(&ep->min_severity, sev, err) < 0) {
        return vg_err_wrap(err, "%s: endpoint '%s': min-severity", vg_config_node_file(n), name);
    }
    ep->secret = secret ? vg_strdup(secret) : NULL;
    ep->ca_file = ca ? vg_strdup(ca) : NULL;
    return 0;
}

int
vg_registry_notify_config_parse(struct vg_registry_notify_config *out,
                                const struct vg_config_node *node, struct vg_err **err)
{
    static const char *const keys[] = {"endpoints"};
    memset(out, 0, sizeof(*out));
    if (!node || vg_config_node_is_null(node)) {
        return 0;
    }
    const struct vg_config_node *eps = NULL;
    if (vg_config_check_keys(node, "notifications", keys, VG_ARRAY_LEN(keys), err) < 0 ||
        vg_config_get_seq(node, "endpoints", &eps, err) < 0) {
        return -1;
    }
    size_t n = eps ? vg_config_node_len(eps) : 0;
    if (n > NOTIFY_ENDPOINTS_MAX) {
        return vg_config_err(err, eps, VG_E_LIMIT, "more than %u endpoints", NOTIFY_ENDPOINTS_MAX);
    }
    out->endpoints = vg_calloc(n ? n : 1, sizeof(*out->endpoints));
    for (size_t i = 0; i < n; i++) {
        const struct vg_config_node *e = vg_config_seq_at(eps, i);
        out->n++;
        if (endpoint_parse(&out->endpoints[i], e, err) < 0) {
            vg_registry_notify_config_dispose(out);
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(out->endpoints[j].name, out->endpoints[i].name) == 0) {
                int rc = vg_config_err(err, e, VG_E_PARSE, "endpoint name '%s' used twice",
                                       out->endpoints[i].name);
                vg_registry_notify_config_dispose(out);
                return rc;
            }
        }
    }
    return 0;
}

void
vg_registry_notify_endpoint_dispose(struct vg_registry_notify_endpoint *ep)
{
    free(ep->name);
    free(ep->url);
    vg_strv_free(ep->headers, ep->nheaders);
    vg_strv_free(ep->ignore_mediatypes, ep->nignore_mediatypes);
    if (ep->secret) {
        explicit_bzero(ep->secret, strlen(ep->secret));
        free(ep->secret);
    }
    free(ep->ca_file);
    memset(ep, 0, sizeof(*ep));
}

static char *
strdup_opt(const char *s)
{
    return s ? vg_strdup(s) : NULL;
}

void
vg_registry_notify_endpoint_copy(struct vg_registry_notify_endpoint *dst,
                                 const struct vg_registry_notify_endpoint *src)
{
    *dst = *src;
    dst->name = strdup_opt(src->name);
    dst->url = strdup_opt(src->url);
    dst->headers = src->nheaders ? vg_strv_dup(src->headers, src->nheaders) : NULL;
    dst->ignore_mediatypes = src->nignore_mediatypes
                                 ? vg_strv_dup(src->ignore_mediatypes, src->nignore_mediatypes)
                                 : NULL;
    dst->secret = strdup_opt(src->secret);
    dst->ca_file = strdup_opt(src->ca_file);
}

static bool
str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool
strv_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb) {
        return false;
    }
    for (size_t i = 0; i < na; i++) {
        if (strcmp(a[i], b[i]) != 0) {
            return false;
        }
    }
    return true;
}

bool
vg_registry_notify_endpoint_equal(const struct vg_registry_notify_endpoint *a,
                                  const struct vg_registry_notify_endpoint *b)
{
    return str_eq(a->name, b->name) && str_eq(a->url, b->url) &&
           strv_eq(a->headers, a->nheaders, b->headers, b->nheaders) &&
           a->timeout_ms == b->timeout_ms && a->backoff_ms == b->backoff_ms &&
           a->max_backoff_ms == b->max_backoff_ms && a->threshold == b->threshold &&
           a->actions == b->actions && a->ignore_actions == b->ignore_actions &&
           strv_eq(a->ignore_mediatypes, a->nignore_mediatypes, b->ignore_mediatypes,
                   b->nignore_mediatypes) &&
           a->min_severity == b->min_severity && str_eq(a->secret, b->secret) &&
           str_eq(a->ca_file, b->ca_file) && a->max_queued == b->max_queued &&
           a->quarantine_max_files == b->quarantine_max_files &&
           a->quarantine_max_bytes == b->quarantine_max_bytes && a->disabled == b->disabled;
}

void
vg_registry_notify_config_dispose(struct vg_registry_notify_config *c)
{
    for (size_t i = 0; c->endpoints && i < c->n; i++) {
        vg_registry_notify_endpoint_dispose(&c->endpoints[i]);
    }
    free(c->endpoints);
    memset(c, 0, sizeof(*c));
}
