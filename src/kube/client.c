/* SPDX-License-Identifier: Apache-2.0
 *
 * The API client: opens a kubeconfig context (files it names read relative to the kubeconfig's
 * directory, as kubectl does) or the pod's service account, then GETs objects and LISTs
 * collections page by page. Responses are untrusted: bounded (VG_KUBE_OBJECT_MAX for an object,
 * VG_KUBE_PAGE_MAX for a page, VG_KUBE_PAGES_MAX pages), parsed with jansson, and a list whose
 * items are not objects, or whose continue token repeats, is an error rather than a loop.
 */
#include "kube/kube.h"

#include "net/net.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct vg_kube {
    struct vg_kubeconfig kc;
    char *auth;         /* "Authorization: Bearer ..." or NULL (wiped on free) */
    pthread_mutex_t mu; /* http and requests: one API request at a time */
    struct vg_http_client *http;
    uint64_t requests;
    unsigned page_limit;
};

void
vg_kube_free(struct vg_kube *k)
{
    if (!k) {
        return;
    }
    vg_http_client_free(k->http);
    vg_http_secret_free(k->auth);
    vg_kubeconfig_dispose(&k->kc);
    pthread_mutex_destroy(&k->mu);
    free(k);
}

const char *
vg_kube_server(const struct vg_kube *k)
{
    return k->kc.server;
}

const char *
vg_kube_namespace(const struct vg_kube *k)
{
    return k->kc.namespace ? k->kc.namespace : "default";
}

const char *
vg_kube_context(const struct vg_kube *k)
{
    return k->kc.context;
}

uint64_t
vg_kube_requests(const struct vg_kube *k)
{
    return k->requests;
}

/* A path from the kubeconfig: relative ones are relative to its directory. */
static char *
rel_path(const char *kubeconfig, const char *p)
{
    if (!p || p[0] == '/' || !kubeconfig) {
        return vg_strdup(p);
    }
    const char *slash = strrchr(kubeconfig, '/');
    if (!slash) {
        return vg_strdup(p);
    }
    return vg_fmt("%.*s/%s", (int)(slash - kubeconfig), kubeconfig, p);
}

/* Reads a small file named by the kubeconfig into out (trailing whitespace kept for PEM). */
static int
read_named(struct vg_buf *out, const char *kubeconfig, const char *p, size_t max, const char *what,
           struct vg_err **err)
{
    vg_autofree char *path = rel_path(kubeconfig, p);
    *out = VG_BUF_INIT(max);
    if (vg_file_read(out, path, max, err) < 0) {
        return vg_err_wrap(err, "%s", what);
    }
    return 0;
}

static char *
read_token(const char *kubeconfig, const char *p, struct vg_err **err)
{
    struct vg_buf b;
    if (read_named(&b, kubeconfig, p, VG_KUBE_TOKEN_MAX, "token file", err) < 0) {
        return NULL;
    }
    char *t = vg_buf_take(&b, NULL);
    size_t n = strlen(t);
    while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' ')) {
        t[--n] = 0;
    }
    return t;
}

static int
in_cluster(struct vg_kubeconfig *kc, struct vg_err **err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host) {
        return vg_err_set(err, VG_E_USAGE,
                          "in-cluster API access: $KUBERNETES_SERVICE_HOST is not set (not "
                          "running in a pod? use --kubeconfig)");
    }
    bool v6 = strchr(host, ':') != NULL;
    kc->context = vg_strdup("in-cluster");
    kc->server = vg_fmt("https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "",
                        port && *port ? port : "443");
    kc->ca_file = vg_strdup(SA_DIR "/ca.crt");
    kc->token_file = vg_strdup(SA_DIR "/token");
    char *ns = read_token(NULL, SA_DIR "/namespace", err);
    if (!ns) {
        vg_err_free(err);
    }
    kc->namespace = ns;
    return 0;
}

static int
load(struct vg_kube *k, const struct vg_kube_source *src, struct vg_err **err)
{
    struct vg_kubeconfig *kc = &k->kc;
    if (src->in_cluster) {
        if (in_cluster(kc, err) < 0) {
            return -1;
        }
    } else {
        struct vg_buf b = VG_BUF_INIT(VG_KUBE_CONFIG_MAX);
        int rc = vg_file_read(&b, src->kubeconfig, VG_KUBE_CONFIG_MAX, err);
        if (rc < 0) {
            vg_buf_dispose(&b);
            return vg_err_wrap(err, "kubeconfig");
        }
        rc = vg_kubeconfig_parse(kc, b.data, b.len, src->kubeconfig, src->context, err);
        vg_buf_dispose(&b);
        if (rc < 0) {
            return -1;
        }
    }
    const char *where = src->in_cluster ? NULL : src->kubeconfig;
    if (kc->ca_file && !kc->ca.len &&
        read_named(&kc->ca, where, kc->ca_file, VG_KUBE_PEM_MAX, "certificate-authority", err) <
            0) {
        return -1;
    }
    if (kc->cert_file && !kc->cert.len &&
        read_named(&kc->cert, where, kc->cert_file, VG_KUBE_PEM_MAX, "client-certificate", err) <
            0) {
        return -1;
    }
    if (kc->key_file && !kc->key.len &&
        read_named(&kc->key, where, kc->key_file, VG_KUBE_PEM_MAX, "client-key", err) < 0) {
        return -1;
    }
    if (!kc->token && kc->token_file && !(kc->token = read_token(where, kc->token_file, err))) {
        return -1;
    }
    if (kc->token) {
        for (const char *p = kc->token; *p; p++) {
            if ((unsigned char)*p < 0x21 || *p == 0x7f) {
                return vg_err_set(err, VG_E_PARSE,
                                  "the bearer token of context '%s' has a space or control "
                                  "character",
                                  kc->context);
            }
        }
        k->auth = vg_fmt("Authorization: Bearer %s", kc->token);
    }
    return 0;
}

int
vg_kube_new(struct vg_kube **out, const struct vg_kube_source *src, struct vg_err **err)
{
    *out = NULL;
    if (!src->in_cluster && !src->kubeconfig) {
        return vg_err_set(err, VG_E_USAGE, "no kubeconfig and not in-cluster");
    }
    struct vg_kube *k = vg_calloc(1, sizeof(*k));
    pthread_mutex_init(&k->mu, NULL);
    k->page_limit = src->page_limit ? src->page_limit : VG_KUBE_PAGE_LIMIT;
    if (load(k, src, err) < 0) {
        vg_kube_free(k);
        return -1;
    }
    struct vg_http_client_opts ho = VG_HTTP_CLIENT_OPTS_INIT;
    ho.insecure = k->kc.insecure;
    ho.ca_pem = k->kc.ca.data;
    ho.ca_pem_len = k->kc.ca.len;
    ho.client_cert_pem = k->kc.cert.data;
    ho.client_cert_len = k->kc.cert.len;
    ho.client_key_pem = k->kc.key.data;
    ho.client_key_len = k->kc.key.len;
    ho.max_retries = 1;
    ho.deadline_ns = src->deadline_ns;
    if (vg_http_client_new(&k->http, &ho, err) < 0) {
        vg_kube_free(k);
        return -1;
    }
    *out = k;
    return 0;
}

bool
vg_kube_name_ok(const char *s, bool dots)
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

/* The Status message of an error answer, escaped, or "" (caller frees). */
static char *
status_message(const struct vg_http_resp *r)
{
    json_t *j = NULL;
    struct vg_err *e = NULL;
    char *m = NULL;
    if (vg_json_parse(&j, r->body.data, r->body.len, VG_KUBE_OBJECT_MAX, "Status", &e) == 0) {
        const char *s = vg_json_str(j, "message");
        if (s) {
            vg_autofree char *esc = vg_escape(s, strlen(s), 300);
            m = vg_fmt(": %s", esc);
        }
    }
    vg_err_free(&e);
    json_decref(j);
    return m ? m : vg_strdup("");
}

/* GET path_query; *status the HTTP status; the body parsed into *out when 200. */
static int
get_json(struct vg_kube *k, const char *path_query, size_t max, const char *what, json_t **out,
         long *status, struct vg_err **err)
{
    vg_autofree char *url = vg_fmt("%s%s", k->kc.server, path_query);
    const char *headers[2] = {"Accept: application/json", k->auth};
    struct vg_http_req req = {.url = url,
                              .headers = headers,
                              .nheaders = k->auth ? 2 : 1,
                              .max_body = max,
                              .no_redirect = true};
    struct vg_http_resp resp;
    pthread_mutex_lock(&k->mu);
    int hrc = vg_http_do(k->http, &req, &resp, err);
    k->requests++;
    pthread_mutex_unlock(&k->mu);
    if (hrc < 0) {
        return vg_err_wrap(err, "%s", what);
    }
    int rc = 0;
    *status = resp.status;
    if (resp.status == 200) {
        rc = vg_json_parse(out, resp.body.data, resp.body.len, max, what, err);
        if (rc == 0 && !json_is_object(*out)) {
            json_decref(*out);
            *out = NULL;
            rc = vg_err_set(err, VG_E_PARSE, "%s: the API server's answer is not an object", what);
        }
    } else if (resp.status == 404) {
        rc = vg_err_set(err, VG_E_NOTFOUND, "%s: not found", what);
    } else if (resp.status == 401 || resp.status == 403) {
        vg_autofree char *m = status_message(&resp);
        rc = vg_err_set(err, VG_E_AUTH, "%s: the API server refused (HTTP %ld%s)", what,
                        resp.status, m);
    } else {
        vg_autofree char *m = status_message(&resp);
        rc = vg_err_set(err, VG_E_NET, "%s: the API server answered HTTP %ld%s", what, resp.status,
                        m);
    }
    vg_http_resp_dispose(&resp);
    return rc;
}

int
vg_kube_get(struct vg_kube *k, const char *path, size_t max, const char *what, json_t **out,
            struct vg_err **err)
{
    long status = 0;
    *out = NULL;
    return get_json(k, path, max, what, out, &status, err);
}

/* Calls fn on each item of one page; *next the continue token (owned) or NULL at the end. */
static int
page_items(const json_t *page, const char *what, vg_kube_item_fn fn, void *ud, char **next,
           struct vg_err **err)
{
    const json_t *items = json_object_get(page, "items");
    if (!json_is_array(items) && !json_is_null(items)) {
        return vg_err_set(err, VG_E_PARSE, "%s: the answer has no items list", what);
    }
    size_t i;
    const json_t *it;
    json_array_foreach (items, i, it) {
        if (!json_is_object(it)) {
            return vg_err_set(err, VG_E_PARSE, "%s: items[%zu] is not an object", what, i);
        }
        if (fn(ud, it, err) < 0) {
            return -1;
        }
    }
    const char *cont = vg_json_str(vg_json_obj(page, "metadata"), "continue");
    *next = cont && *cont ? vg_strdup(cont) : NULL;
    return 0;
}

int
vg_kube_list(struct vg_kube *k, const char *path, unsigned page_limit, vg_kube_item_fn fn, void *ud,
             bool *found, struct vg_err **err)
{
    unsigned limit = page_limit ? page_limit : k->page_limit;
    vg_autofree char *what = vg_fmt("list %s", path);
    char *cont = NULL;
    if (found) {
        *found = true;
    }
    for (unsigned pages = 0;; pages++) {
        if (pages == VG_KUBE_PAGES_MAX) {
            free(cont);
            return vg_err_set(err, VG_E_LIMIT, "%s: more than %u pages", what, VG_KUBE_PAGES_MAX);
        }
        vg_autofree char *esc = cont ? vg_http_query_escape(cont) : NULL;
        vg_autofree char *pq =
            vg_fmt("%s?limit=%u%s%s", path, limit, esc ? "&continue=" : "", esc ? esc : "");
        json_t *page = NULL;
        long status = 0;
        int rc = get_json(k, pq, VG_KUBE_PAGE_MAX, what, &page, &status, err);
        if (rc < 0 && status == 404 && !cont && found) {
            vg_err_free(err);
            *found = false;
            return 0;
        }
        char *next = NULL;
        if (rc == 0) {
            rc = page_items(page, what, fn, ud, &next, err);
        }
        json_decref(page);
        if (rc == 0 && next && cont && strcmp(next, cont) == 0) {
            rc = vg_err_set(err, VG_E_PARSE, "%s: the continue token repeats", what);
        }
        free(cont);
        cont = next;
        if (rc < 0 || !cont) {
            free(cont);
            return rc;
        }
    }
}
