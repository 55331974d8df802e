/* SPDX-License-Identifier: Apache-2.0
 *
 * GET /token on the registry's HTTP server: the httpd glue around vg_registry_auth_token
 * (auth_token.c). Errors use the Distribution error body so clients print a readable message;
 * every answer carries Cache-Control: no-store (RFC 6749 §5.1: tokens are credentials).
 */
#include "auth_int.h"

#include <string.h>

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
token_begin(struct vg_httpd_req *r, void *ud)
{
    struct vg_registry_auth *a = ud;
    struct vg_registry_auth_token_resp t;
    vg_registry_auth_token(a, vg_httpd_query_string(r), vg_httpd_header(r, "Authorization"), 0, &t);
    vg_autoerr struct vg_err *err = NULL;
    int rc = vg_httpd_header_add(r, "Cache-Control", "no-store", &err);
    if (rc == 0 && t.challenge) {
        rc = vg_httpd_header_add(r, "WWW-Authenticate", t.challenge, &err);
    }
    if (rc == 0 && t.status == 200) {
        rc = vg_httpd_respond(r, 200, "application/json", t.body, strlen(t.body), &err);
    } else if (rc == 0) {
        rc = respond_error(r, t.status, t.message, &err);
    }
    vg_registry_auth_token_resp_dispose(&t);
    return rc < 0 ? -1 : 0;
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
        .methods = VG_HTTP_GET,
        .begin = token_begin,
        .ud = a,
    };
    return vg_httpd_route(h, &hd, err);
}
