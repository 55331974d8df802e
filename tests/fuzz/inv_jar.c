/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: Java archives (zip central directory, nested jars, pom.properties,
 * MANIFEST.MF) and zipped Python eggs.
 */
#include "inventory/inventory_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
run(vg_inv_parse_fn fn, const char *path, const uint8_t *data, size_t size)
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(vg_inv_parse_jar, "app/fuzz-1.0.jar", data, size);
    run(vg_inv_parse_egg, "fuzz.egg", data, size);
    return 0;
}
