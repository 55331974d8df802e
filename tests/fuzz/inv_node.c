/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: package.json, package-lock.json, yarn.lock and pnpm-lock.yaml.
 */
#include "inv_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    inv_fuzz_run(vg_inv_parse_npm_package_json, data, size);
    inv_fuzz_run(vg_inv_parse_npm_lock, data, size);
    inv_fuzz_run(vg_inv_parse_yarn_lock, data, size);
    inv_fuzz_run(vg_inv_parse_pnpm_lock, data, size);
    return 0;
}
