/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for Notation's trustpolicy.json parser (levels, overrides, scopes, trust store
 * names, x509.subject identities), then policy selection for a fixed repository.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sign/notation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_err *err = NULL;
    struct vg_notation_policy *p = NULL;
    if (vg_notation_policy_parse(&p, data, size, &err) == 0) {
        const struct vg_notation_policy_entry *e =
            vg_notation_policy_select(p, "registry.example.com/team/app");
        if (p->n == 0 || (e && (e->level < VG_NOTATION_STRICT || e->level > VG_NOTATION_SKIP))) {
            abort();
        }
        vg_notation_policy_free(p);
    }
    vg_err_free(&err);
    return 0;
}
