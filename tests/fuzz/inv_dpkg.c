/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: dpkg status paragraphs and info/NAME.list and NAME.md5sums file lists.
 */
#include "inventory/inventory_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_pkg_list l = {0};
    struct vg_err *err = NULL;
    (void)!vg_inv_parse_dpkg_status(&l, "status", data, size, &err);
    vg_pkg_list_dispose(&l);
    vg_err_free(&err);
    char **files = NULL;
    size_t n = 0;
    if (vg_inv_parse_dpkg_filelist(&files, &n, data, size, size & 1, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            free(files[i]);
        }
        free(files);
    }
    vg_err_free(&err);
    return 0;
}
