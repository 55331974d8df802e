/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: Go executables' build info (streaming reader).
 */
#include "inventory/inventory_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
run(vg_inv_parse_fn fn, const uint8_t *data, size_t size)
{
    struct vg_pkg_list l = {0};
    struct vg_err *err = NULL;
    if (fn(&l, "fuzz", data, size, &err) == 0) {
        for (size_t i = 0; i < l.n; i++) {
            vg_inv_pkg_finalize(&l.v[i], NULL);
        }
    }
    vg_pkg_list_dispose(&l);
    vg_err_free(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(vg_inv_parse_gobinary, data, size);
    return 0;
}
