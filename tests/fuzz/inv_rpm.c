/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: rpm databases (sqlite and Berkeley DB through librpm, ndb by hand).
 */
#include "inv_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    inv_fuzz_run(vg_inv_parse_rpmdb, data, size);
    return 0;
}
