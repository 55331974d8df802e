/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the image config parser (oci/config.c).
 */
#include <stdint.h>
#include <stdlib.h>

#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_oci_config *c = NULL;
    struct vg_err *err = NULL;
    if (vg_oci_config_parse(&c, data, size, &err) == 0) {
        vg_oci_config_free(c);
    }
    vg_err_free(&err);
    return 0;
}
