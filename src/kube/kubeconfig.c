/* SPDX-License-Identifier: Apache-2.0
 *
 * The kubeconfig reader: resolves one context (the current one unless named) to its cluster
 * (server, CA, insecure-skip-tls-verify) and user (token, tokenFile, client certificate and
 * key, as data or files). A kubeconfig is untrusted text: YAML through config/ with its bounds,
 * base64 decoded strictly, and every missing or malformed part named with its position. Exec
 * plugins, auth providers and basic auth are refused: vigil never runs a command a kubeconfig
 * names. Files the kubeconfig names are read by client.c, not here.
 */
#include "kube/kube.h"

#include "config/config.h"

#include <stdlib.h>
#include <string.h>

void
vg_kubeconfig_dispose(struct vg_kubeconfig *kc)
{
    if (!kc) {
        return;
    }
    free(kc->context);
    free(kc->server);
    free(kc->namespace);
    if (kc->token) {
        explicit_bzero(kc->token, strlen(kc->token));
        free(kc->token);
    }
    free(kc->token_file);
    free(kc->ca_file);
    free(kc->cert_file);
    free(kc->key_file);
    vg_buf_dispose(&kc->ca);
    vg_buf_dispose(&kc->cert);
    if (kc->key.data) {
        explicit_bzero(kc->key.data, kc->key.len);
    }
    vg_buf_dispose(&kc->key);
    memset(kc, 0, sizeof(*kc));
}

/* The scalar at key of map; NULL when absent or null, VG_E_PARSE when not a scalar. */
static int
str_at(const struct vg_config_node *map, const char *key, const char **out, struct vg_err **err)
{
    return vg_config_get_str(map, key, NULL, out, err);
}

/* The `inner` map of the entry of list (clusters, users, contexts) named name; *idx its index. */
static int
named(const struct vg_config_node *root, const char *list, const char *inner, const char *name,
      const struct vg_config_node **out, struct vg_err **err)
{
    const struct vg_config_node *seq = NULL;
    *out = NULL;
    if (vg_config_get_seq(root, list, &seq, err) < 0) {
        return -1;
    }
    for (size_t i = 0; seq && i < vg_config_node_len(seq); i++) {
        const struct vg_config_node *e = vg_config_seq_at(seq, i);
        const char *n = NULL;
        if (vg_config_node_type(e) != VG_CONFIG_MAP) {
            return vg_config_err(err, e, VG_E_PARSE, "%s[%zu] must be a mapping", list, i);
        }
        if (str_at(e, "name", &n, err) < 0) {
            return -1;
        }
        if (n && strcmp(n, name) == 0) {
            if (vg_config_get_map(e, inner, out, err) < 0) {
                return -1;
            }
            if (!*out) {
                return vg_config_err(err, e, VG_E_PARSE, "%s '%s' has no %s", list, name, inner);
            }
            return 0;
        }
    }
    vg_autofree char *e = vg_escape(name, strlen(name), 80);
    return vg_err_set(err, VG_E_PARSE, "%s '%s' not found", list, e);
}

/* Decodes the base64 scalar key of map into out (strict: whitespace skipped, nothing else). */
static int
b64_at(const struct vg_config_node *map, const char *key, const char *where, struct vg_buf *out,
       struct vg_err **err)
{
    const char *s = NULL;
    if (str_at(map, key, &s, err) < 0) {
        return -1;
    }
    if (!s) {
        return 0;
    }
    uint8_t *raw = NULL;
    size_t n = 0;
    if (strlen(s) > 2 * (size_t)VG_KUBE_PEM_MAX) {
        return vg_config_err(err, vg_config_map_get(map, key), VG_E_LIMIT, "%s.%s is too long",
                             where, key);
    }
    if (vg_base64_decode(&raw, &n, s, strlen(s), true, err) < 0) {
        vg_err_free(err);
        return vg_config_err(err, vg_config_map_get(map, key), VG_E_PARSE, "bad base64 in %s.%s",
                             where, key);
    }
    *out = VG_BUF_INIT(VG_KUBE_PEM_MAX);
    int rc = vg_buf_append(out, raw, n, err);
    explicit_bzero(raw, n);
    free(raw);
    return rc;
}

static int
read_cluster(struct vg_kubeconfig *kc, const struct vg_config_node *cl, struct vg_err **err)
{
    const char *server = NULL, *ca = NULL;
    bool insecure = false;
    if (str_at(cl, "server", &server, err) < 0 ||
        str_at(cl, "certificate-authority", &ca, err) < 0 ||
        vg_config_get_bool(cl, "insecure-skip-tls-verify", false, &insecure, err) < 0 ||
        b64_at(cl, "certificate-authority-data", "cluster", &kc->ca, err) < 0) {
        return -1;
    }
    if (!server || !*server) {
        return vg_config_err(err, cl, VG_E_PARSE, "cluster of context '%s' has no server",
                             kc->context);
    }
    if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0) {
        vg_autofree char *e = vg_escape(server, strlen(server), 120);
        return vg_config_err(err, vg_config_map_get(cl, "server"), VG_E_PARSE,
                             "server '%s' is not an http(s) URL", e);
    }
    for (const char *p = server; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f) {
            return vg_config_err(err, vg_config_map_get(cl, "server"), VG_E_PARSE,
                                 "server URL has a space or control character");
        }
    }
    kc->server = vg_strdup(server);
    size_t n = strlen(kc->server);
    while (n > 8 && kc->server[n - 1] == '/') {
        kc->server[--n] = 0;
    }
    kc->ca_file = vg_strdup(ca);
    kc->insecure = insecure;
    return 0;
}

static int
read_user(struct vg_kubeconfig *kc, const struct vg_config_node *u, struct vg_err **err)
{
    static const char *const refused[] = {"exec", "auth-provider", "username", "password"};
    for (size_t i = 0; i < VG_ARRAY_LEN(refused); i++) {
        const struct vg_config_node *v = vg_config_map_get(u, refused[i]);
        if (v && !vg_config_node_is_null(v)) {
            return vg_config_err(err, v, VG_E_UNSUPPORTED,
                                 "user of context '%s' uses %s: not supported (vigil runs no "
                                 "plugin and sends no password; use a token, tokenFile or a "
                                 "client certificate)",
                                 kc->context, refused[i]);
        }
    }
    const char *token = NULL, *token_file = NULL, *cert = NULL, *key = NULL;
    if (str_at(u, "token", &token, err) < 0 || str_at(u, "tokenFile", &token_file, err) < 0 ||
        str_at(u, "client-certificate", &cert, err) < 0 || str_at(u, "client-key", &key, err) < 0 ||
        b64_at(u, "client-certificate-data", "user", &kc->cert, err) < 0 ||
        b64_at(u, "client-key-data", "user", &kc->key, err) < 0) {
        return -1;
    }
    kc->token = token && *token ? vg_strdup(token) : NULL;
    kc->token_file = vg_strdup(token_file);
    kc->cert_file = vg_strdup(cert);
    kc->key_file = vg_strdup(key);
    bool has_cert = kc->cert.len || kc->cert_file;
    bool has_key = kc->key.len || kc->key_file;
    if (has_cert != has_key) {
        return vg_config_err(err, u, VG_E_PARSE,
                             "user of context '%s' has a client %s without its %s", kc->context,
                             has_cert ? "certificate" : "key", has_cert ? "key" : "certificate");
    }
    if (!kc->token && !kc->token_file && !has_cert) {
        return vg_config_err(err, u, VG_E_UNSUPPORTED,
                             "user of context '%s' has no token, tokenFile or client certificate",
                             kc->context);
    }
    return 0;
}

static int
resolve(struct vg_kubeconfig *kc, const struct vg_config_node *root, const char *context,
        struct vg_err **err)
{
    const char *cur = context;
    if (vg_config_node_type(root) != VG_CONFIG_MAP) {
        return vg_config_err(err, root, VG_E_PARSE, "a kubeconfig must be a mapping");
    }
    if (!cur && str_at(root, "current-context", &cur, err) < 0) {
        return -1;
    }
    if (!cur || !*cur) {
        return vg_err_set(err, VG_E_PARSE, "no current-context (name one with --context)");
    }
    kc->context = vg_strdup(cur);
    const struct vg_config_node *ctx = NULL, *cl = NULL, *u = NULL;
    const char *cname = NULL, *uname = NULL, *ns = NULL;
    if (named(root, "contexts", "context", cur, &ctx, err) < 0 ||
        str_at(ctx, "cluster", &cname, err) < 0 || str_at(ctx, "user", &uname, err) < 0 ||
        str_at(ctx, "namespace", &ns, err) < 0) {
        return -1;
    }
    if (!cname) {
        return vg_config_err(err, ctx, VG_E_PARSE, "context '%s' names no cluster", cur);
    }
    if (!uname) {
        return vg_config_err(err, ctx, VG_E_PARSE, "context '%s' names no user", cur);
    }
    kc->namespace = ns && *ns ? vg_strdup(ns) : NULL;
    if (named(root, "clusters", "cluster", cname, &cl, err) < 0 || read_cluster(kc, cl, err) < 0 ||
        named(root, "users", "user", uname, &u, err) < 0 || read_user(kc, u, err) < 0) {
        return -1;
    }
    return 0;
}

int
vg_kubeconfig_parse(struct vg_kubeconfig *out, const void *data, size_t len, const char *name,
                    const char *context, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    struct vg_config_limits lim = VG_CONFIG_LIMITS_INIT;
    lim.max_bytes = VG_KUBE_CONFIG_MAX;
    lim.max_documents = 1;
    struct vg_config_doc *doc = NULL;
    if (vg_config_load_buf(&doc, name, data, len, &lim, err) < 0) {
        return -1;
    }
    int rc = 0;
    if (vg_config_doc_count(doc) == 0) {
        rc = vg_err_set(err, VG_E_PARSE, "%s: empty kubeconfig", vg_config_doc_name(doc));
    } else if (resolve(out, vg_config_doc_root(doc, 0), context, err) < 0) {
        rc = vg_err_wrap(err, "kubeconfig %s", vg_config_doc_name(doc));
    }
    vg_config_doc_free(doc);
    if (rc < 0) {
        vg_kubeconfig_dispose(out);
    }
    return rc;
}
