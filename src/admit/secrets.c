/* SPDX-License-Identifier: Apache-2.0
 *
 * The workload's registry credentials: the pod's imagePullSecrets, read from the Kubernetes API
 * (in-cluster service account or a kubeconfig's token) or from a directory of Secret objects,
 * merged into one {"auths": ...} for the registry client (oci/'s pull_secret_json).
 * Secret objects are untrusted input: bounded, parsed with jansson, names checked against
 * Kubernetes' DNS-1123 grammar before they reach a path or a URL.
 */
#include "admit/admit.h"

#include "config/config.h"
#include "net/net.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET_MAX  (1u << 20) /* the apiserver's own limit on a Secret is 1 MiB */
#define SECRETS_MAX 16u        /* imagePullSecrets used per pod */
#define SA_DIR      "/var/run/secrets/kubernetes.io/serviceaccount"

struct vg_admit_secrets {
    char *dir;    /* directory source, or NULL */
    char *server; /* API server URL ("https://10.0.0.1:443"), or NULL */
    char *token;  /* bearer token (wiped on free) */
    char *ca_file;
    char *ca_tmp; /* ca_file written from certificate-authority-data (removed on free) */
    bool insecure;
    pthread_mutex_t mu; /* http: one API request at a time */
    struct vg_http_client *http;
};

void
vg_admit_secrets_free(struct vg_admit_secrets *s)
{
    if (!s) {
        return;
    }
    if (s->ca_tmp) {
        unlink(s->ca_tmp);
    }
    if (s->token) {
        vg_http_secret_free(s->token);
    }
    vg_http_client_free(s->http);
    pthread_mutex_destroy(&s->mu);
    free(s->dir);
    free(s->server);
    free(s->ca_file);
    free(s->ca_tmp);
    free(s);
}

static char *
read_text(const char *path, size_t max, struct vg_err **err)
{
    struct vg_buf b = VG_BUF_INIT(max);
    if (vg_file_read(&b, path, max, err) < 0 || vg_buf_append(&b, "", 1, err) < 0) {
        vg_buf_dispose(&b);
        return NULL;
    }
    char *t = vg_buf_take(&b, NULL);
    /* tokens end with a newline in files */
    size_t n = strlen(t);
    while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' ')) {
        t[--n] = 0;
    }
    return t;
}

static const char *
scalar(const struct vg_config_node *map, const char *key)
{
    const struct vg_config_node *v =
        map && vg_config_node_type(map) == VG_CONFIG_MAP ? vg_config_map_get(map, key) : NULL;
    return v && vg_config_node_type(v) == VG_CONFIG_SCALAR ? vg_config_node_scalar(v, NULL) : NULL;
}

/* The entry of a kubeconfig list (clusters, users, contexts) named name: its inner map. */
static const struct vg_config_node *
named(const struct vg_config_node *root, const char *list, const char *inner, const char *name)
{
    const struct vg_config_node *seq = vg_config_map_get(root, list);
    if (!seq || vg_config_node_type(seq) != VG_CONFIG_SEQ || !name) {
        return NULL;
    }
    for (size_t i = 0; i < vg_config_node_len(seq); i++) {
        const struct vg_config_node *e = vg_config_seq_at(seq, i);
        const char *n = scalar(e, "name");
        if (n && strcmp(n, name) == 0) {
            return vg_config_map_get(e, inner);
        }
    }
    return NULL;
}

static int
load_kubeconfig(struct vg_admit_secrets *s, const char *path, struct vg_err **err)
{
    struct vg_config_doc *doc = NULL;
    if (vg_config_load_file(&doc, path, NULL, err) < 0) {
        return -1;
    }
    int rc = 0;
    const struct vg_config_node *root =
        vg_config_doc_count(doc) ? vg_config_doc_root(doc, 0) : NULL;
    const char *cur = scalar(root, "current-context");
    const struct vg_config_node *ctx = named(root, "contexts", "context", cur);
    const struct vg_config_node *cluster =
        named(root, "clusters", "cluster", scalar(ctx, "cluster"));
    const struct vg_config_node *user = named(root, "users", "user", scalar(ctx, "user"));
    const char *server = scalar(cluster, "server");
    const char *token = scalar(user, "token");
    const char *token_file = scalar(user, "tokenFile");
    const char *ca = scalar(cluster, "certificate-authority");
    const char *ca_data = scalar(cluster, "certificate-authority-data");
    const char *skip = scalar(cluster, "insecure-skip-tls-verify");
    if (!ctx || !cluster || !server) {
        rc = vg_err_set(err, VG_E_PARSE,
                        "%s: no current-context with a cluster server (current-context %s)", path,
                        cur ? cur : "unset");
    } else if (!token && !token_file) {
        rc = vg_err_set(err, VG_E_UNSUPPORTED,
                        "%s: user of context '%s' has no token or tokenFile (client certificates "
                        "and exec plugins are not supported)",
                        path, cur);
    } else if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0) {
        rc = vg_err_set(err, VG_E_PARSE, "%s: server '%s' is not an http(s) URL", path, server);
    } else {
        s->server = vg_strdup(server);
        s->insecure = skip && strcmp(skip, "true") == 0;
        s->token = token ? vg_strdup(token) : read_text(token_file, 64 * 1024, err);
        if (!s->token) {
            rc = -1;
        } else if (ca) {
            s->ca_file = vg_strdup(ca);
        } else if (ca_data) {
            uint8_t *pem = NULL;
            size_t n = 0;
            const char *tmpdir = getenv("TMPDIR");
            char *tmpl = vg_fmt("%s/vigil-kube-ca-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
            int fd = -1;
            if (vg_base64_decode(&pem, &n, ca_data, strlen(ca_data), true, err) < 0) {
                rc = vg_err_wrap(err, "%s: certificate-authority-data", path);
                free(tmpl);
            } else if ((fd = mkstemp(tmpl)) < 0 || vg_fd_write_all(fd, pem, n) < 0) {
                rc = vg_err_sys(err, VG_E_IO, "write %s", tmpl);
                free(tmpl);
            } else {
                s->ca_tmp = tmpl;
                s->ca_file = vg_strdup(tmpl);
            }
            if (fd >= 0) {
                close(fd);
            }
            free(pem);
        }
    }
    vg_config_doc_free(doc);
    return rc;
}

int
vg_admit_secrets_new(struct vg_admit_secrets **out, const struct vg_admit_secrets_opts *o,
                     struct vg_err **err)
{
    *out = NULL;
    struct vg_admit_secrets *s = vg_calloc(1, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    int rc = 0;
    if (o->dir) {
        s->dir = vg_strdup(o->dir);
    } else if (o->kubeconfig) {
        rc = load_kubeconfig(s, o->kubeconfig, err);
    } else if (o->in_cluster) {
        const char *host = getenv("KUBERNETES_SERVICE_HOST");
        const char *port = getenv("KUBERNETES_SERVICE_PORT");
        if (!host || !*host) {
            rc = vg_err_set(err, VG_E_USAGE,
                            "in-cluster API access: $KUBERNETES_SERVICE_HOST is not set (not "
                            "running in a pod? use --kubeconfig)");
        } else {
            bool v6 = strchr(host, ':') != NULL;
            s->server = vg_fmt("https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "",
                               port && *port ? port : "443");
            s->ca_file = vg_strdup(SA_DIR "/ca.crt");
            s->token = read_text(SA_DIR "/token", 64 * 1024, err);
            rc = s->token ? 0 : vg_err_wrap(err, "in-cluster service account token");
        }
    }
    if (rc == 0 && s->server) {
        struct vg_http_client_opts ho = VG_HTTP_CLIENT_OPTS_INIT;
        ho.insecure = s->insecure;
        ho.ca_file = s->ca_file;
        ho.max_retries = 1;
        rc = vg_http_client_new(&s->http, &ho, err);
    }
    if (rc < 0) {
        vg_admit_secrets_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

bool
vg_admit_k8s_name_ok(const char *s, bool dots)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool an = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!an && !(c == '-' || (dots && c == '.'))) {
            return false;
        }
        if (!an && (i == 0 || i == n - 1)) {
            return false;
        }
    }
    return true;
}

/* The Secret object ns/name as JSON (owned), from the directory or the API. */
static int
fetch_secret(struct vg_admit_secrets *s, const char *ns, const char *name, json_t **out,
             struct vg_err **err)
{
    vg_autofree char *what = vg_fmt("Secret %s/%s", ns, name);
    if (s->dir) {
        vg_autofree char *path = vg_fmt("%s/%s/%s.json", s->dir, ns, name);
        struct vg_buf b = VG_BUF_INIT(SECRET_MAX);
        struct vg_err *e = NULL;
        int rc = vg_file_read(&b, path, SECRET_MAX, &e);
        if (rc < 0 && vg_err_code(e) == VG_E_NOTFOUND) {
            vg_err_free(&e);
            rc = vg_err_set(err, VG_E_NOTFOUND, "%s: not found", what);
        } else if (rc < 0) {
            *err = e;
        }
        if (rc == 0) {
            rc = vg_json_parse(out, b.data, b.len, SECRET_MAX, what, err);
        }
        vg_buf_dispose(&b);
        return rc;
    }
    vg_autofree char *url = vg_fmt("%s/api/v1/namespaces/%s/secrets/%s", s->server, ns, name);
    vg_autofree char *auth = vg_fmt("Authorization: Bearer %s", s->token);
    const char *headers[] = {auth, "Accept: application/json"};
    struct vg_http_req req = {
        .url = url, .headers = headers, .nheaders = 2, .max_body = SECRET_MAX, .no_redirect = true};
    struct vg_http_resp resp;
    pthread_mutex_lock(&s->mu);
    int hrc = vg_http_do(s->http, &req, &resp, err);
    pthread_mutex_unlock(&s->mu);
    if (hrc < 0) {
        return vg_err_wrap(err, "%s", what);
    }
    int rc = 0;
    if (resp.status == 200) {
        rc = vg_json_parse(out, resp.body.data, resp.body.len, SECRET_MAX, what, err);
    } else if (resp.status == 404) {
        rc = vg_err_set(err, VG_E_NOTFOUND, "%s: not found", what);
    } else if (resp.status == 401 || resp.status == 403) {
        rc = vg_err_set(err, VG_E_AUTH,
                        "%s: the API server refused (HTTP %ld): the webhook's service account "
                        "needs get on secrets",
                        what, resp.status);
    } else {
        rc = vg_err_set(err, VG_E_NET, "%s: the API server answered HTTP %ld", what, resp.status);
    }
    vg_http_resp_dispose(&resp);
    return rc;
}

/* Adds the registries of one Secret to auths (the first secret naming a registry wins). */
static int
merge_secret(json_t *auths, const json_t *secret, const char *what, struct vg_err **err)
{
    const char *type = vg_json_str(secret, "type");
    const json_t *data = vg_json_obj(secret, "data");
    const char *key = NULL;
    bool legacy = false;
    if (type && strcmp(type, "kubernetes.io/dockerconfigjson") == 0) {
        key = ".dockerconfigjson";
    } else if (type && strcmp(type, "kubernetes.io/dockercfg") == 0) {
        key = ".dockercfg";
        legacy = true;
    } else {
        return vg_err_set(err, VG_E_PARSE,
                          "%s: type %s is not kubernetes.io/dockerconfigjson or dockercfg", what,
                          type ? type : "unset");
    }
    const char *b64 = data ? vg_json_str(data, key) : NULL;
    if (!b64) {
        return vg_err_set(err, VG_E_PARSE, "%s: no data.%s", what, key);
    }
    uint8_t *raw = NULL;
    size_t n = 0;
    json_t *cfg = NULL;
    if (vg_base64_decode(&raw, &n, b64, strlen(b64), true, err) < 0 ||
        vg_json_parse(&cfg, raw, n, SECRET_MAX, what, err) < 0) {
        free(raw);
        return vg_err_wrap(err, "%s: data.%s", what, key);
    }
    free(raw);
    /* .dockercfg is the "auths" map itself */
    json_t *entries = legacy ? cfg : json_object_get(cfg, "auths");
    int rc = 0;
    if (!json_is_object(entries)) {
        rc = vg_err_set(err, VG_E_PARSE, "%s: data.%s has no auths object", what, key);
    } else {
        const char *reg;
        json_t *v;
        json_object_foreach (entries, reg, v) {
            if (!json_object_get(auths, reg) && json_is_object(v)) {
                json_object_set(auths, reg, v);
            }
        }
    }
    json_decref(cfg);
    return rc;
}

int
vg_admit_secret_merge(json_t *auths, const void *data, size_t len, const char *what,
                      struct vg_err **err)
{
    json_t *secret = NULL;
    if (vg_json_parse(&secret, data, len, SECRET_MAX, what, err) < 0) {
        return -1;
    }
    int rc = merge_secret(auths, secret, what, err);
    json_decref(secret);
    return rc;
}

int
vg_admit_secrets_auths(struct vg_admit_secrets *s, const char *ns, const char *const *names,
                       size_t n, char **out, char **problems)
{
    *out = NULL;
    *problems = NULL;
    struct vg_buf pb = VG_BUF_INIT(8192);
    json_t *auths = json_object();
    struct vg_err *err = NULL;
    for (size_t i = 0; i < n && i < SECRETS_MAX; i++) {
        json_t *secret = NULL;
        if (!vg_admit_k8s_name_ok(ns, false) || !vg_admit_k8s_name_ok(names[i], true)) {
            vg_autofree char *e = vg_escape(names[i], strlen(names[i]), 80);
            vg_err_set(&err, VG_E_PARSE,
                       "imagePullSecrets: '%s' in namespace '%.63s' is not a "
                       "valid Secret name",
                       e, ns);
        } else if (fetch_secret(s, ns, names[i], &secret, &err) == 0) {
            vg_autofree char *what = vg_fmt("Secret %s/%s", ns, names[i]);
            (void)merge_secret(auths, secret, what, &err);
            json_decref(secret);
        }
        if (err) { /* as the kubelet: a missing or broken secret is skipped, the others used */
            char *m = vg_err_format(err);
            vg_err_free(&err);
            struct vg_err *e2 = NULL;
            if (vg_buf_appendf(&pb, &e2, "%s%s", pb.len ? "\n" : "", m) < 0) {
                vg_err_free(&e2);
            }
            free(m);
        }
    }
    if (json_object_size(auths)) {
        json_t *doc = json_pack("{s:o}", "auths", auths);
        *out = vg_json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
    } else {
        json_decref(auths);
    }
    if (pb.len) {
        *problems = vg_strdup(vg_buf_cstr(&pb));
    }
    vg_buf_dispose(&pb);
    return *out ? 1 : 0;
}
