/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: Python core metadata (METADATA, PKG-INFO).
 */
#include "inv_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    inv_fuzz_run(vg_inv_parse_python_metadata, data, size);
    return 0;
}
