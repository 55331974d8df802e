/* SPDX-License-Identifier: Apache-2.0
 *
 * URL redaction, resolution, origin comparison, query escaping and Link pagination.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "net/net.h"
#include "net/xfer_int.h"

static void
check_redact(const char *in, const char *want)
{
    char *got = vg_http_url_redact(in);
    cr_assert_str_eq(got, want, "redact(%s) = %s", in, got);
    free(got);
}

Test(net_url, redacts_userinfo_and_query)
{
    check_redact("https://user:secret@example.com/v2/x?token=abc#frag", "https://example.com/v2/x");
    check_redact("http://127.0.0.1:5000/v2/a/b/blobs/sha256:00?X-Amz-Signature=s",
                 "http://127.0.0.1:5000/v2/a/b/blobs/sha256:00");
    char *s = vg_http_url_redact("not a url?secret=1");
    cr_assert_null(strstr(s, "secret"));
    free(s);
    s = vg_http_url_redact(NULL);
    cr_assert_not_null(s);
    free(s);
}

Test(net_url, resolves_relative_references)
{
    char *out = NULL;
    cr_assert_eq(vg_http_url_resolve(&out, "https://r.io/v2/x/tags/list",
                                     "/v2/x/tags/list?n=2&last=b", NULL),
                 0);
    cr_assert_str_eq(out, "https://r.io/v2/x/tags/list?n=2&last=b");
    free(out);
    cr_assert_eq(vg_http_url_resolve(&out, "https://r.io/v2/x/blobs/uploads/",
                                     "https://s3.example/bucket?sig=1", NULL),
                 0);
    cr_assert_str_eq(out, "https://s3.example/bucket?sig=1");
    free(out);
    struct vg_err *err = NULL;
    cr_assert_lt(vg_http_url_resolve(&out, "::bad", "/x", &err), 0);
    cr_assert_eq(err->code, VG_E_PARSE);
    vg_err_free(&err);
}

Test(net_url, same_origin)
{
    cr_assert(vg_http_url_same_origin("https://a.io/x", "https://A.IO:443/y?z"));
    cr_assert_not(vg_http_url_same_origin("https://a.io/x", "http://a.io/x"));
    cr_assert_not(vg_http_url_same_origin("https://a.io/x", "https://b.io/x"));
    cr_assert_not(vg_http_url_same_origin("http://127.0.0.1:1/x", "http://127.0.0.1:2/x"));
    cr_assert_not(vg_http_url_same_origin("https://a.io/x", "garbage"));
}

Test(net_url, query_escape)
{
    char *e = vg_http_query_escape("repository:a/b:pull,push ~x");
    cr_assert_str_eq(e, "repository%3Aa%2Fb%3Apull%2Cpush%20~x");
    free(e);
    e = vg_http_query_escape("");
    cr_assert_str_eq(e, "");
    free(e);
}

Test(net_url, link_next)
{
    char *n = vg_http_link_next("</v2/x/tags/list?n=2&last=b>; rel=\"next\"");
    cr_assert_str_eq(n, "/v2/x/tags/list?n=2&last=b");
    free(n);
    n = vg_http_link_next("<https://a/prev>; rel=\"prev\", <https://a/next>; title=\"a,b\"; "
                          "rel=\"first next\"");
    cr_assert_str_eq(n, "https://a/next");
    free(n);
    n = vg_http_link_next("<https://a/x>; rel=next");
    cr_assert_str_eq(n, "https://a/x");
    free(n);
    cr_assert_null(vg_http_link_next("<https://a/x>; rel=\"prev\""));
    cr_assert_null(vg_http_link_next("garbage"));
    cr_assert_null(vg_http_link_next("<unterminated; rel=next"));
    cr_assert_null(vg_http_link_next(NULL));
}

static void
init(void)
{
    cr_assert_eq(vg_net_init(NULL), 0);
}
TestSuite(net_url, .init = init);

Test(net_url, loopback_hosts)
{
    cr_assert(vg_http_url_is_loopback("https://localhost:5000/v2/"));
    cr_assert(vg_http_url_is_loopback("https://LocalHost/v2/"));
    cr_assert(vg_http_url_is_loopback("https://127.0.0.1:5000/v2/"));
    cr_assert(vg_http_url_is_loopback("https://127.1.2.3/v2/"));
    cr_assert(vg_http_url_is_loopback("https://[::1]:5000/v2/"));
    cr_assert_not(vg_http_url_is_loopback("https://128.0.0.1/v2/"));
    cr_assert_not(vg_http_url_is_loopback("https://127.0.0.1.example.com/v2/"));
    /* curl's parser normalizes the short IPv4 forms the resolver accepts (127.1 = 127.0.0.1) */
    cr_assert(vg_http_url_is_loopback("https://127.1:5000/v2/"));
    cr_assert_not(vg_http_url_is_loopback("https://127.0.0.256/v2/"));
    cr_assert_not(vg_http_url_is_loopback("https://localhost.example.com/v2/"));
    cr_assert_not(vg_http_url_is_loopback("https://[::2]/v2/"));
    cr_assert_not(vg_http_url_is_loopback("https://registry.example.com/v2/"));
    cr_assert_not(vg_http_url_is_loopback("garbage"));
}

Test(net_url, to_plain_keeps_host_port_and_path)
{
    char *p = vg_http_url_to_plain("https://127.0.0.1:5000/v2/x/manifests/latest?n=1");
    cr_assert_str_eq(p, "http://127.0.0.1:5000/v2/x/manifests/latest?n=1");
    free(p);
    /* The server that answered in plain HTTP listens on 443: keep talking to it. */
    p = vg_http_url_to_plain("https://localhost/v2/");
    cr_assert_str_eq(p, "http://localhost:443/v2/");
    free(p);
    cr_assert_null(vg_http_url_to_plain("http://localhost/v2/"));
    cr_assert_null(vg_http_url_to_plain("garbage"));
    p = vg_http_url_host_port("https://A.example:5000/x");
    cr_assert_str_eq(p, "A.example:5000");
    free(p);
    p = vg_http_url_host_port("https://a.example/x");
    cr_assert_str_eq(p, "a.example:443");
    free(p);
}
