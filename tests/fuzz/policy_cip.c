/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the ClusterImagePolicy parser (policy/cip.c): the input follows a fixed
 * apiVersion/kind header, is loaded as a policy set and evaluated (see policy_fuzz.h).
 */
#include "policy_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return policy_fuzz_one("apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\n",
                           data, size);
}
