/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for image reference parsing and normalization (oci/ref.c) and platform
 * strings (oci/platform.c): parsing must never crash, and an accepted reference printed back
 * must parse again to the same string (normalization is idempotent).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = vg_strndup((const char *)data, size);
    struct vg_oci_ref *r = NULL;
    struct vg_err *err = NULL;
    if (vg_oci_ref_parse(&r, s, &err) == 0) {
        char *str = vg_oci_ref_string(r);
        struct vg_oci_ref *again = NULL;
        if (vg_oci_ref_parse(&again, str, NULL) != 0) {
            abort();
        }
        char *str2 = vg_oci_ref_string(again);
        if (strcmp(str, str2) != 0) {
            abort();
        }
        free(str2);
        free(str);
        vg_oci_ref_free(again);
        vg_oci_ref_free(r);
    }
    vg_err_free(&err);
    struct vg_oci_platform p;
    if (vg_oci_platform_parse(&p, s, &err) == 0) {
        vg_oci_platform_dispose(&p);
    }
    vg_err_free(&err);
    free(s);
    return 0;
}
