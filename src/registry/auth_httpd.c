/* SPDX-License-Identifier: Apache-2.0
 *
 * GET and POST /token on the registry's HTTP server: the httpd glue around auth_token.c. GET
 * errors use the Distribution error body so clients print a readable message; POST (OAuth2)
 * errors RFC 6749 §5.2's {"error","error_description"}, which docker and containerd parse.
 * Every answer carries Cache-Control: no-store (RFC 6749 §5.1: tokens are credentials).
 */
#include "auth_int.h"

#include <string.h>
#include <strings.h>

#include "httpd/httpd.h"
#include "oci/dist.h"

static int
respond_error(struct vg_httpd_req *r, int status, const char *message, struct vg_err **err)
{
    enum vg_oci_dist_code code = status == 401   ? VG_OCI_DIST_UNAUTHORIZED
                                 : status == 404 ? VG_OCI_DIST_UNSUPPORTED
                                 : status == 400 ? VG_OCI_DIST_UNSUPPORTED
                                                 : VG_OCI_DIST_UNKNOWN;
    vg_autobuf struct vg_buf body = VG_BUF_INIT(VG_OCI_DIST_ERRORS_BYTES);
    struct vg_oci_dist_error_out e = {code, message, NULL};
    if (vg_oci_dist_errors_format(&body, &e, 1, err) < 0) {
        vg_err_free(err);
        e.message = NULL; /* not UTF-8: the code's default message */
        if (vg_oci_dist_errors_format(&body, &e, 1, err) < 0) {
            return -1;
        }
    }
    return vg_httpd_respond(r, (unsigned)status, "application/json", body.data, body.len, err);
}

static int
respond_oauth_error(struct vg_httpd_req *r, const struct vg_registry_auth_token_resp *t,
                    struct vg_err **err)
{
    vg_autojson json_t *o = json_object();
    vg_json_set_str(o, "error", t->oauth_code ? t->oauth_code : "invalid_request");
    json_t *msg = t->message ? json_string(t->message) : NULL; /* NULL when not UTF-8 */
    if (msg) {
        vg_json_set_take(o, "error_description", msg);
    }
    return vg_httpd_respond_json(r, (unsigned)t->status, o, err);
}

static int
token_answer(struct vg_httpd_req *r, struct vg_registry_auth_token_resp *t, bool oauth)
{
    vg_autoerr struct vg_err *err = NULL;
    int rc = vg_httpd_header_add(r, "Cache-Control", "no-store", &err);
    if (rc == 0 && t->challenge) {
        rc = vg_httpd_header_add(r, "WWW-Authenticate", t->challenge, &err);
    }
    if (rc == 0 && t->status == 200) {
        rc = vg_httpd_respond(r, 200, "application/json", t->body, strlen(t->body), &err);
    } else if (rc == 0) {
        rc =
            oauth ? respond_oauth_error(r, t, &err) : respond_error(r, t->status, t->message, &err);
    }
    vg_registry_auth_token_resp_dispose(t);
    return rc < 0 ? -1 : 0;
}

static int
token_begin(struct vg_httpd_req *r, void *ud)
{
    struct vg_registry_auth *a = ud;
    struct vg_registry_auth_token_resp t;
    if (vg_httpd_method(r) == VG_HTTP_POST) {
        const char *ct = vg_httpd_header(r, "Content-Type");
        size_t n = ct ? strcspn(ct, "; \t") : 0;
        if (!ct || n != strlen("application/x-www-form-urlencoded") ||
            strncasecmp(ct, "application/x-www-form-urlencoded", n) != 0) {
            t = (struct vg_registry_auth_token_resp){
                .status = 400,
                .message = vg_strdup("POST /token takes an application/x-www-form-urlencoded "
                                     "body"),
                .oauth_code = "invalid_request",
            };
            return token_answer(r, &t, true);
        }
        return vg_httpd_body_buffer(r, VG_AUTH_FORM_MAX);
    }
    vg_registry_auth_token(a, vg_httpd_query_string(r), vg_httpd_header(r, "Authorization"), 0, &t);
    return token_answer(r, &t, false);
}

static int
token_end(struct vg_httpd_req *r, void *ud)
{
    struct vg_registry_auth *a = ud;
    struct vg_registry_auth_token_resp t;
    size_t len = 0;
    const void *body = vg_httpd_body(r, &len);
    if (vg_httpd_body_err(r)) {
        t = (struct vg_registry_auth_token_resp){
            .status = 413,
            .message = vg_fmt("form over %u bytes", VG_AUTH_FORM_MAX),
            .oauth_code = "invalid_request",
        };
    } else {
        vg_registry_auth_token_post(a, body ? body : "", body ? len : 0, 0, &t);
    }
    return token_answer(r, &t, true);
}

int
vg_registry_auth_mount(struct vg_registry_auth *a, struct vg_httpd *h, struct vg_err **err)
{
    if (!a->cfg.token) {
        return 0;
    }
    struct vg_httpd_handler hd = {
        .name = "token",
        .prefix = "/token",
        .methods = VG_HTTP_GET | VG_HTTP_POST,
        .begin = token_begin,
        .end = token_end,
        .ud = a,
    };
    return vg_httpd_route(h, &hd, err);
}
