/* SPDX-License-Identifier: Apache-2.0
 *
 * Shared body of the inventory parser harnesses: the input is handed to one parser as the
 * file at `path`; what it accepts is finalized (purl, ids) and disposed. Parsing must never
 * crash, hang or leak.
 */
#ifndef VG_TESTS_INV_FUZZ_H
#define VG_TESTS_INV_FUZZ_H

#include "inventory/inventory_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void
inv_fuzz_run_at(vg_inv_parse_fn fn, const char *path, const uint8_t *data, size_t size)
{
    struct vg_pkg_list l = {0};
    struct vg_err *err = NULL;
    if (fn(&l, path, data, size, &err) == 0) {
        for (size_t i = 0; i < l.n; i++) {
            vg_inv_pkg_finalize(&l.v[i], NULL);
        }
    }
    vg_pkg_list_dispose(&l);
    vg_err_free(&err);
}

static inline void
inv_fuzz_run(vg_inv_parse_fn fn, const uint8_t *data, size_t size)
{
    inv_fuzz_run_at(fn, "fuzz", data, size);
}

#endif
