/* SPDX-License-Identifier: Apache-2.0
 *
 * The plain-HTTP fallback of https:// requests (net.h, enum vg_http_plain_fallback): which
 * failures mean "this server speaks plain HTTP", whether the client's policy allows falling
 * back for the host, and the client's memory of hosts found to speak plain HTTP (guarded by the
 * client's plain_mu: transfers of one client may run on several threads). The retry
 * itself happens in http.c's attempt loop.
 */
#include "xfer_int.h"

#include <string.h>

#define PLAIN_ORIGINS_MAX 64 /* hosts a client remembers as plain HTTP; more just retry TLS */

/* The TLS client met a server speaking plain HTTP: its "HTTP/1.1 400" reply reads as a TLS
 * record of an unknown version (OpenSSL's wording; the handshake cannot have started). */
bool
vg_http_plain_speaks(const struct vg_http_xfer *x)
{
    return x->result == CURLE_SSL_CONNECT_ERROR && strstr(x->errbuf, "wrong version number");
}

/* Call with c->plain_mu held. */
static bool
plain_known(const struct vg_http_client *c, const char *hostport)
{
    for (size_t i = 0; i < c->nplain; i++) {
        if (strcmp(c->plain_origins[i], hostport) == 0) {
            return true;
        }
    }
    return false;
}

/* The URL to request: url itself, or its http:// form once its host answered TLS in plain
 * HTTP. Caller frees. */
char *
vg_http_plain_effective_url(struct vg_http_client *c, const char *url)
{
    if (!vg_cstr_startswith(url, "https://")) {
        return vg_strdup(url);
    }
    vg_autofree char *hp = vg_http_url_host_port(url);
    pthread_mutex_lock(&c->plain_mu);
    bool known = hp && plain_known(c, hp);
    pthread_mutex_unlock(&c->plain_mu);
    char *plain = known ? vg_http_url_to_plain(url) : NULL;
    return plain ? plain : vg_strdup(url);
}

/* After x failed because its server speaks plain HTTP: the http:// URL to retry with when the
 * client's policy allows it for that host (remembered for later requests), else NULL. */
char *
vg_http_plain_fallback_url(struct vg_http_client *c, const struct vg_http_xfer *x)
{
    if (!vg_http_plain_speaks(x) || c->plain_fallback == VG_HTTP_PLAIN_NEVER ||
        (c->plain_fallback == VG_HTTP_PLAIN_LOOPBACK && !vg_http_url_is_loopback(x->url))) {
        return NULL;
    }
    char *plain = vg_http_url_to_plain(x->url);
    char *hp = plain ? vg_http_url_host_port(x->url) : NULL;
    pthread_mutex_lock(&c->plain_mu);
    if (hp && !plain_known(c, hp) && c->nplain < PLAIN_ORIGINS_MAX) {
        c->plain_origins =
            vg_vec_grow(c->plain_origins, &c->plain_cap, c->nplain, 1, sizeof(*c->plain_origins));
        c->plain_origins[c->nplain++] = vg_steal_ptr(&hp);
    }
    pthread_mutex_unlock(&c->plain_mu);
    free(hp);
    if (plain) {
        vg_autofree char *shown = vg_http_url_redact(x->url);
        if (c->plain_fallback == VG_HTTP_PLAIN_ANY && !vg_http_url_is_loopback(x->url)) {
            VG_WARN("net", "%s speaks plain HTTP, not TLS: continuing over HTTP (--insecure)",
                    shown);
        } else {
            VG_DEBUG("net", "%s speaks plain HTTP, not TLS: continuing over HTTP (loopback)",
                     shown);
        }
    }
    return plain;
}

void
vg_http_plain_forget(struct vg_http_client *c)
{
    for (size_t i = 0; i < c->nplain; i++) {
        free(c->plain_origins[i]);
    }
    free(c->plain_origins);
    c->plain_origins = NULL;
    c->nplain = c->plain_cap = 0;
}
