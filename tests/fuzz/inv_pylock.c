/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: requirements*.txt, Pipfile.lock, poetry.lock and uv.lock (pylock.c).
 */
#include "inv_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    inv_fuzz_run(vg_inv_parse_requirements, data, size);
    inv_fuzz_run(vg_inv_parse_pipfile_lock, data, size);
    inv_fuzz_run(vg_inv_parse_poetry_lock, data, size);
    inv_fuzz_run(vg_inv_parse_uv_lock, data, size);
    return 0;
}
