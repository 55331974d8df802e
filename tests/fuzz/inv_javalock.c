/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: pom.xml and gradle lockfiles (javalock.c).
 */
#include "inv_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    inv_fuzz_run(vg_inv_parse_pom, data, size);
    inv_fuzz_run(vg_inv_parse_gradle_lock, data, size);
    return 0;
}
