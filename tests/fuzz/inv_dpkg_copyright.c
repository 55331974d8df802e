/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: Debian usr/share/doc/<pkg>/copyright files (machine-readable DEP-5 and free
 * prose) through the license extractor.
 */
#include "inventory/inventory_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char **lics = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    if (vg_inv_parse_dpkg_copyright(&lics, &n, data, size, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (!lics[i] || !lics[i][0]) {
                __builtin_trap(); /* every listed license has a name */
            }
            free(lics[i]);
        }
        free(lics);
    }
    vg_err_free(&err);
    return 0;
}
