/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the policy set loader (policy/set.c dispatches each YAML document by
 * apiVersion and kind to vigil ImagePolicy, Gatekeeper templates and constraints,
 * ClusterImagePolicy and Kyverno); see policy_fuzz.h. The seed corpus holds one small policy
 * of each format. policy_vigil, policy_gatekeeper, policy_cip and policy_kyverno fix the
 * format and fuzz one parser each.
 */
#include "policy_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return policy_fuzz_one("", data, size);
}
