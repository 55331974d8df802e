/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: the OpenVEX parser and lookup.
 */
#include <stdint.h>
#include <stdlib.h>

#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_err *err = NULL;
    struct vg_vex *v = vg_vex_parse(data, size, &err);
    if (v) {
        const char *aliases[] = {"GHSA-1111", NULL};
        const char *j = NULL;
        (void)vg_vex_suppresses(v, "CVE-2023-1", aliases, "pkg:deb/debian/openssl@1?arch=x", &j);
        vg_vex_free(v);
    }
    vg_err_free(&err);
    return 0;
}
