/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: OS marker files (os-release, lsb-release, *-release, debian_version).
 */
#include "inventory/inventory_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = {"etc/os-release", "etc/lsb-release", "etc/redhat-release",
                                        "etc/debian_version"};
    for (size_t i = 0; i < VG_ARRAY_LEN(paths); i++) {
        struct vg_inv_os_file f = {paths[i], data, size};
        struct vg_os_info os;
        vg_inv_os_detect(&os, &f, 1, false);
        free(vg_inv_os_ecosystem(&os));
        vg_os_info_dispose(&os);
    }
    return 0;
}
