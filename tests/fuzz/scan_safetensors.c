/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: the safetensors validator (header length, JSON header, tensor table).
 */
#include <stdint.h>
#include <stdlib.h>

#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_model_findings f = {0};
    (void)!vg_model_check_safetensors("m.safetensors", data, size, &f, NULL);
    vg_model_findings_dispose(&f);
    return 0;
}
