/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: Cargo.lock, gemspec and composer documents.
 */
#include "inv_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    inv_fuzz_run(vg_inv_parse_cargo_lock, data, size);
    inv_fuzz_run(vg_inv_parse_gemspec, data, size);
    inv_fuzz_run(vg_inv_parse_composer, data, size);
    return 0;
}
