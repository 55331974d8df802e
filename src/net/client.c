/* SPDX-License-Identifier: Apache-2.0
 *
 * HTTP client objects: their options, and the curl share (connection cache, DNS cache, TLS
 * sessions) that every transfer of the client uses, with lock callbacks so transfers on
 * several threads may share it (docs/internals/LOCKING.md). Transfers are in http.c.
 */
#include "xfer_int.h"

#include <string.h>

/* ---------------------------------------------------------------- client */

/* The share's lock callbacks: libcurl locks the data kind it is about to touch. */
static void
share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
    (void)h;
    (void)access;
    struct vg_http_client *c = ud;
    if ((unsigned)data < CURL_LOCK_DATA_LAST) {
        pthread_mutex_lock(&c->share_mu[data]);
    }
}

static void
share_unlock(CURL *h, curl_lock_data data, void *ud)
{
    (void)h;
    struct vg_http_client *c = ud;
    if ((unsigned)data < CURL_LOCK_DATA_LAST) {
        pthread_mutex_unlock(&c->share_mu[data]);
    }
}

int
vg_http_client_new(struct vg_http_client **out, const struct vg_http_client_opts *opts,
                   struct vg_err **err)
{
    struct vg_http_client_opts def = VG_HTTP_CLIENT_OPTS_INIT;
    if (!opts) {
        opts = &def;
    }
    struct vg_http_client *c = vg_calloc(1, sizeof(*c));
    c->share = curl_share_init();
    if (!c->share) {
        free(c);
        return vg_err_set(err, VG_E_INTERNAL, "create HTTP client: curl_share_init failed");
    }
    for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++) {
        pthread_mutex_init(&c->share_mu[i], NULL);
    }
    pthread_mutex_init(&c->plain_mu, NULL);
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    c->insecure = opts->insecure;
    c->ca_file = vg_strdup(opts->ca_file);
    c->unix_socket = vg_strdup(opts->unix_socket);
    c->ca_pem = VG_BUF_INIT(SIZE_MAX);
    c->cert_pem = VG_BUF_INIT(SIZE_MAX);
    c->key_pem = VG_BUF_INIT(SIZE_MAX);
    if (vg_buf_append(&c->ca_pem, opts->ca_pem, opts->ca_pem_len, err) < 0 ||
        vg_buf_append(&c->cert_pem, opts->client_cert_pem, opts->client_cert_len, err) < 0 ||
        vg_buf_append(&c->key_pem, opts->client_key_pem, opts->client_key_len, err) < 0) {
        vg_http_client_free(c);
        return -1;
    }
    c->connect_timeout_s =
        opts->connect_timeout_s > 0 ? opts->connect_timeout_s : VG_HTTP_CONNECT_TIMEOUT_S;
    c->stall_timeout_s =
        opts->stall_timeout_s > 0 ? opts->stall_timeout_s : VG_HTTP_STALL_TIMEOUT_S;
    c->deadline_ns = opts->deadline_ns;
    c->max_retries = opts->max_retries == 0  ? VG_LIMIT_HTTP_RETRIES
                     : opts->max_retries < 0 ? 0
                                             : opts->max_retries;
    c->retry_base_ms = opts->retry_base_ms ? opts->retry_base_ms : VG_HTTP_RETRY_BASE_MS;
    c->user_agent = vg_strdup(opts->user_agent ? opts->user_agent : "vigil");
    c->plain_fallback = opts->plain_fallback;
    *out = c;
    return 0;
}

void
vg_http_client_free(struct vg_http_client *c)
{
    if (!c) {
        return;
    }
    curl_share_cleanup(c->share);
    vg_http_plain_forget(c);
    for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++) {
        pthread_mutex_destroy(&c->share_mu[i]);
    }
    pthread_mutex_destroy(&c->plain_mu);
    free(c->ca_file);
    free(c->unix_socket);
    vg_buf_dispose(&c->ca_pem);
    vg_buf_dispose(&c->cert_pem);
    if (c->key_pem.data) {
        explicit_bzero(c->key_pem.data, c->key_pem.len);
    }
    vg_buf_dispose(&c->key_pem);
    free(c->user_agent);
    free(c);
}

/* ---------------------------------------------------------------- spare multi handles */

static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static pthread_key_t spare_key;
static bool spare_ok;

static void
spare_destroy(void *m)
{
    curl_multi_cleanup(m);
}

static void
spare_init(void)
{
    spare_ok = pthread_key_create(&spare_key, spare_destroy) == 0;
}

CURLM *
vg_http_multi_take(void)
{
    pthread_once(&spare_once, spare_init);
    CURLM *m = spare_ok ? pthread_getspecific(spare_key) : NULL;
    if (m) {
        (void)pthread_setspecific(spare_key, NULL);
        return m;
    }
    return curl_multi_init();
}

void
vg_http_multi_give(CURLM *m)
{
    if (!m) {
        return;
    }
    pthread_once(&spare_once, spare_init);
    if (!spare_ok || pthread_getspecific(spare_key) || pthread_setspecific(spare_key, m) != 0) {
        curl_multi_cleanup(m);
    }
}

void
vg_http_thread_stop(void)
{
    pthread_once(&spare_once, spare_init);
    CURLM *m = spare_ok ? pthread_getspecific(spare_key) : NULL;
    if (m) {
        (void)pthread_setspecific(spare_key, NULL);
        curl_multi_cleanup(m);
    }
}
