/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the Distribution route parser (oci/dist_route.c): any target either parses
 * or yields a code with a one-line message; a parsed route formats back into a target that
 * parses to the same route, and whose name, reference and query parts stay inside the grammar
 * (no "..", no empty component, no control character).
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
check_parts(const struct vg_oci_dist_route *r)
{
    if (r->name && (!vg_oci_dist_name_valid(vg_str_c(r->name)) || strstr(r->name, "..") ||
                    strstr(r->name, "//"))) {
        abort();
    }
    if (r->reference && (strchr(r->reference, '/') || strcmp(r->reference, "..") == 0 ||
                         strcmp(r->reference, ".") == 0)) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_oci_dist_route r;
    struct vg_err *err = NULL;
    enum vg_oci_dist_code c = vg_oci_dist_route_parse(&r, (const char *)data, size, &err);
    if (c != VG_OCI_DIST_OK) {
        if (!err || strchr(err->msg, '\n') || r.name || r.kind || !vg_oci_dist_code_name(c)) {
            abort();
        }
        vg_err_free(&err);
        return 0;
    }
    if (err) {
        abort();
    }
    check_parts(&r);
    char *t = NULL;
    if (vg_oci_dist_route_format(&t, &r, NULL) < 0) {
        abort();
    }
    struct vg_oci_dist_route again;
    if (vg_oci_dist_route_parse(&again, t, strlen(t), NULL) != VG_OCI_DIST_OK ||
        again.kind != r.kind || !same(again.name, r.name) || !same(again.reference, r.reference) ||
        again.has_n != r.has_n || again.n != r.n || !same(again.last, r.last) ||
        !same(again.from, r.from) || !same(again.artifact_type, r.artifact_type) ||
        again.has_mount != r.has_mount || again.has_query_digest != r.has_query_digest) {
        abort();
    }
    vg_oci_dist_route_dispose(&again);
    free(t);
    vg_oci_dist_route_dispose(&r);
    return 0;
}
