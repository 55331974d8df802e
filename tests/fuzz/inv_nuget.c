/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: packages.lock.json (nuget.c).
 */
#include "inv_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    inv_fuzz_run(vg_inv_parse_nuget_lock, data, size);
    return 0;
}
