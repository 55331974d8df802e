/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the Kyverno parser, its JMESPath subset and patterns (policy/kyverno*.c): the
 * input follows a fixed apiVersion/kind header, is loaded as a policy set and evaluated (see
 * policy_fuzz.h).
 */
#include "policy_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return policy_fuzz_one("apiVersion: kyverno.io/v1\nkind: ClusterPolicy\n", data, size);
}
