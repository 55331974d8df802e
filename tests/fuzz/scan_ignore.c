/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: the .vigilignore / .trivyignore parser.
 */
#include <stdint.h>
#include <stdlib.h>

#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_ignore ig;
    struct vg_err *err = NULL;
    if (vg_ignore_parse(&ig, data, size, &err) == 0) {
        (void)vg_ignore_match(&ig, "CVE-2021-1234", "openssl", 1700000000);
        vg_ignore_dispose(&ig);
    }
    vg_err_free(&err);
    return 0;
}
