/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: Java archives (zip central directory, nested jars, pom.properties,
 * MANIFEST.MF) and zipped Python eggs.
 */
#include "inv_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    inv_fuzz_run_at(vg_inv_parse_jar, "app/fuzz-1.0.jar", data, size);
    inv_fuzz_run_at(vg_inv_parse_egg, "fuzz.egg", data, size);
    return 0;
}
