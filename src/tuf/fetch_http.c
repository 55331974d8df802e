/* SPDX-License-Identifier: Apache-2.0
 *
 * The HTTP fetcher: a repository is a base URL under which metadata files live
 * (Notary: https://notary:4443/v2/<gun>/_trust/tuf). Each fetch is one bounded GET through
 * net/ (libcurl stays there); 404 is VG_E_NOTFOUND so the root walk can stop at the newest
 * version, and a body over the caller's bound is VG_E_LIMIT.
 */
#include "tuf_int.h"

#include "net/net.h"

struct http_fetcher {
    struct vg_http_client *http;
    char *base;
    struct vg_tuf_auth *auth; /* borrowed, or NULL */
};

static int
http_fetch(void *payload, const char *name, struct vg_buf *out, struct vg_err **err)
{
    struct http_fetcher *f = payload;
    vg_autofree char *url = vg_fmt("%s/%s", f->base, name);
    struct vg_http_req req = {.url = url, .max_body = out->max};
    struct vg_http_resp resp = {0};
    if ((f->auth ? vg_tuf__auth_do(f->auth, &req, &resp, err)
                 : vg_http_do(f->http, &req, &resp, err)) < 0) {
        return -1;
    }
    int rc = 0;
    if (resp.status < 200 || resp.status > 299) {
        rc = vg_http_check_status("GET", url, resp.status, &resp.body, err);
    } else {
        rc = vg_buf_append(out, resp.body.data, resp.body.len, err);
    }
    vg_http_resp_dispose(&resp);
    return rc;
}

int
vg_tuf_fetcher_http(struct vg_tuf_fetcher *out, struct vg_http_client *http, const char *base_url,
                    struct vg_err **err)
{
    if (!http || !base_url ||
        (!vg_cstr_startswith(base_url, "https://") && !vg_cstr_startswith(base_url, "http://"))) {
        return vg_err_set(err, VG_E_USAGE, "tuf: an http(s):// repository URL is required");
    }
    struct http_fetcher *f = vg_calloc(1, sizeof(*f));
    f->http = http;
    f->base = vg_strdup(base_url);
    size_t n = strlen(f->base);
    while (n > 0 && f->base[n - 1] == '/') {
        f->base[--n] = '\0';
    }
    out->fetch = http_fetch;
    out->payload = f;
    return 0;
}

void
vg_tuf__fetcher_http_auth(struct vg_tuf_fetcher *f, struct vg_tuf_auth *a)
{
    struct http_fetcher *h = f->payload;
    h->auth = a;
}

void
vg_tuf_fetcher_http_free(struct vg_tuf_fetcher *f)
{
    struct http_fetcher *h = f ? f->payload : NULL;
    if (h) {
        free(h->base);
        free(h);
    }
    if (f) {
        f->payload = NULL;
        f->fetch = NULL;
    }
}
