/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for policy/ref.c and match.c: the three normalizations never crash, vigil's is
 * idempotent, and the glob matchers take the first line as a pattern and the rest as a name
 * (bounded time whatever the stars).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = vg_strndup((const char *)data, size);
    char *n = NULL;
    struct vg_err *err = NULL;
    if (vg_policy_ref_normalize(&n, s, &err) == 0) {
        char *again = NULL;
        if (vg_policy_ref_normalize(&again, n, NULL) != 0 || strcmp(n, again) != 0) {
            abort();
        }
        free(again);
        free(n);
    }
    vg_err_free(&err);
    free(vg_policy_ref_cip_name(s));
    free(vg_policy_ref_kyverno(s));
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        const char *name = nl + 1;
        (void)vg_policy_cip_glob_match(s, name);
        (void)vg_policy_wildcard_match(s, name);
        if (!vg_policy_glob_check(s)) {
            (void)vg_policy_glob_match(s, name);
        }
    }
    free(s);
    return 0;
}
