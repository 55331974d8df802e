/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: go.mod (gomod.c).
 */
#include "inv_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    inv_fuzz_run(vg_inv_parse_gomod, data, size);
    return 0;
}
