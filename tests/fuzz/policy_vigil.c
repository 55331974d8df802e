/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for vigil's ImagePolicy parser (policy/vigil.c): the input follows a fixed
 * apiVersion/kind header, is loaded as a policy set and evaluated (see policy_fuzz.h).
 */
#include "policy_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return policy_fuzz_one("apiVersion: vigil.dev/v1\nkind: ImagePolicy\n", data, size);
}
