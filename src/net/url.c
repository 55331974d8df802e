/* SPDX-License-Identifier: Apache-2.0
 *
 * URL helpers on curl's URL API: redaction for messages (no userinfo, query or fragment),
 * resolution of relative Location/Link targets, origin comparison for credential forwarding,
 * query escaping, the host checks of the plain-HTTP fallback, and the RFC 8288 Link header's
 * rel="next" target (tag-list pagination).
 */
#include "xfer_int.h"

#include <string.h>
#include <strings.h>

static void
urlp_free(CURLU **u)
{
    if (*u) {
        curl_url_cleanup(*u);
    }
}
#define vg_autourl VG_CLEANUP(urlp_free)

static CURLU *
url_parse(const char *url)
{
    CURLU *u = curl_url();
    if (!u) {
        return NULL;
    }
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
        curl_url_cleanup(u);
        return NULL;
    }
    return u;
}

static char *
curl_str_take(char *s)
{
    char *r = vg_strdup(s);
    curl_free(s);
    return r;
}

char *
vg_http_url_redact(const char *url)
{
    if (!url) {
        return vg_strdup("<no url>");
    }
    vg_autourl CURLU *u = url_parse(url);
    if (!u) {
        /* Keep only what precedes any query, and never anything that looks like userinfo. */
        size_t n = strcspn(url, "?#@");
        return vg_escape(url, n, 512);
    }
    curl_url_set(u, CURLUPART_USER, NULL, 0);
    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
    curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
    curl_url_set(u, CURLUPART_QUERY, NULL, 0);
    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
    char *s = NULL;
    if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK || !s) {
        return vg_strdup("<invalid url>");
    }
    char *esc = vg_escape(s, strlen(s), 1024);
    curl_free(s);
    return esc;
}

int
vg_http_url_resolve(char **out, const char *base, const char *ref, struct vg_err **err)
{
    vg_autourl CURLU *u = url_parse(base);
    if (!u) {
        vg_autofree char *b = vg_http_url_redact(base);
        return vg_err_set(err, VG_E_PARSE, "invalid URL %s", b);
    }
    if (curl_url_set(u, CURLUPART_URL, ref, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
        vg_autofree char *r = vg_escape(ref, strcspn(ref, "?#"), 256);
        return vg_err_set(err, VG_E_PARSE, "invalid URL reference %s", r);
    }
    char *s = NULL;
    if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK || !s) {
        return vg_err_set(err, VG_E_PARSE, "cannot resolve URL reference");
    }
    *out = curl_str_take(s);
    return 0;
}

static char *
url_part(CURLU *u, CURLUPart p, unsigned flags)
{
    char *s = NULL;
    if (curl_url_get(u, p, &s, flags) != CURLUE_OK || !s) {
        return NULL;
    }
    return curl_str_take(s);
}

bool
vg_http_url_same_origin(const char *a, const char *b)
{
    vg_autourl CURLU *ua = url_parse(a);
    vg_autourl CURLU *ub = url_parse(b);
    if (!ua || !ub) {
        return false;
    }
    vg_autofree char *sa = url_part(ua, CURLUPART_SCHEME, 0);
    vg_autofree char *sb = url_part(ub, CURLUPART_SCHEME, 0);
    vg_autofree char *ha = url_part(ua, CURLUPART_HOST, 0);
    vg_autofree char *hb = url_part(ub, CURLUPART_HOST, 0);
    vg_autofree char *pa = url_part(ua, CURLUPART_PORT, CURLU_DEFAULT_PORT);
    vg_autofree char *pb = url_part(ub, CURLUPART_PORT, CURLU_DEFAULT_PORT);
    return sa && sb && ha && hb && pa && pb && strcasecmp(sa, sb) == 0 && strcasecmp(ha, hb) == 0 &&
           strcmp(pa, pb) == 0;
}

char *
vg_http_query_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    struct vg_buf b = VG_BUF_INIT(SIZE_MAX / 4);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool unreserved = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                          (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
                          *p == '~';
        char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        if (unreserved ? vg_buf_appendc(&b, (char)*p, NULL) < 0
                       : vg_buf_append(&b, enc, 3, NULL) < 0) {
            abort(); /* unreachable: the ceiling is SIZE_MAX/4 */
        }
    }
    if (b.len == 0) {
        return vg_strdup("");
    }
    return vg_buf_take(&b, NULL);
}

char *
vg_http_url_host_port(const char *url)
{
    vg_autourl CURLU *u = url_parse(url);
    if (!u) {
        return NULL;
    }
    vg_autofree char *h = url_part(u, CURLUPART_HOST, 0);
    vg_autofree char *p = url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
    if (!h || !p) {
        return NULL;
    }
    return vg_fmt("%s:%s", h, p);
}

/* A dotted quad whose first octet is 127 (each part 0..255, digits only). */
static bool
is_ipv4_loopback(const char *h)
{
    struct vg_str rest = vg_str_c(h), part;
    uint64_t v = 0;
    for (int i = 0; i < 4; i++) {
        bool more = vg_str_cut(rest, '.', &part, &rest);
        if (vg_parse_u64(part, 255, &v) < 0 || (i == 0 && v != 127) || (more != (i < 3))) {
            return false;
        }
    }
    return true;
}

bool
vg_http_url_is_loopback(const char *url)
{
    vg_autourl CURLU *u = url_parse(url);
    if (!u) {
        return false;
    }
    vg_autofree char *h = url_part(u, CURLUPART_HOST, 0);
    if (!h) {
        return false;
    }
    return strcasecmp(h, "localhost") == 0 || strcmp(h, "[::1]") == 0 || is_ipv4_loopback(h);
}

char *
vg_http_url_to_plain(const char *url)
{
    vg_autourl CURLU *u = url_parse(url);
    if (!u) {
        return NULL;
    }
    vg_autofree char *scheme = url_part(u, CURLUPART_SCHEME, 0);
    if (!scheme || strcasecmp(scheme, "https") != 0) {
        return NULL;
    }
    /* Keep the port the https URL addressed, implicit 443 included: only the protocol changes. */
    vg_autofree char *port = url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
    if (!port || curl_url_set(u, CURLUPART_SCHEME, "http", 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_PORT, port, 0) != CURLUE_OK) {
        return NULL;
    }
    return url_part(u, CURLUPART_URL, 0);
}
