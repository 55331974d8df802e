/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: cargo-auditable `.dep-v0` data found by streaming through an executable.
 */
#include "inventory/inventory_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_pkg_list l = {0};
    struct vg_err *err = NULL;
    if (vg_inv_parse_rustbinary(&l, "fuzz", data, size, &err) == 0) {
        for (size_t i = 0; i < l.n; i++) {
            vg_inv_pkg_finalize(&l.v[i], NULL);
        }
    }
    vg_pkg_list_dispose(&l);
    vg_err_free(&err);
    return 0;
}
