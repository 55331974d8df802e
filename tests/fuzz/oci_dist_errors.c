/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for Distribution error bodies (oci/dist.c): a registry's {"errors":[...]} either
 * parses into typed entries or fails with a one-line error; parsed entries emit a body (the
 * server's form) that parses back to the same codes, messages and details, and emitting that
 * again gives the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void
emit(const struct vg_oci_dist_error *e, size_t n, struct vg_buf *out)
{
    struct vg_oci_dist_error_out *o = calloc(n ? n : 1, sizeof(*o));
    for (size_t i = 0; i < n; i++) {
        o[i] = (struct vg_oci_dist_error_out){e[i].code, e[i].message, e[i].detail};
    }
    struct vg_err *err = NULL;
    int rc = vg_oci_dist_errors_format(out, o, n, &err);
    free(o);
    if (rc < 0) {
        /* Only a message jansson cannot encode (invalid UTF-8 is refused at parse) or a
         * detail over the emit bound may fail. */
        if (err->code != VG_E_USAGE) {
            abort();
        }
        vg_err_free(&err);
        out->len = 0;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_oci_dist_error *e = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    if (vg_oci_dist_errors_parse(&e, &n, data, size, &err) < 0) {
        if (!err || e || n || strchr(err->msg, '\n')) {
            abort();
        }
        vg_err_free(&err);
        return 0;
    }
    struct vg_buf a = VG_BUF_INIT(64u * 1024u * 1024u);
    emit(e, n, &a);
    if (a.len) {
        struct vg_oci_dist_error *p = NULL;
        size_t m = 0;
        if (vg_oci_dist_errors_parse(&p, &m, a.data, a.len, NULL) < 0 || m != n) {
            abort();
        }
        for (size_t i = 0; i < n; i++) {
            const char *want_msg =
                e[i].message ? e[i].message : vg_oci_dist_code_message(e[i].code);
            if (p[i].code != (e[i].code == VG_OCI_DIST_ROUTE_UNKNOWN ? VG_OCI_DIST_UNSUPPORTED
                                                                     : e[i].code) ||
                !same(p[i].message, want_msg) || !same(p[i].detail, e[i].detail)) {
                abort();
            }
        }
        struct vg_buf b = VG_BUF_INIT(64u * 1024u * 1024u);
        emit(p, m, &b);
        if (b.len != a.len || memcmp(a.data, b.data, a.len) != 0) {
            abort();
        }
        vg_buf_dispose(&b);
        vg_oci_dist_errors_free(p, m);
    }
    vg_buf_dispose(&a);
    vg_oci_dist_errors_free(e, n);
    return 0;
}
