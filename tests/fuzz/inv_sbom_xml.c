/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: the CycloneDX XML reader used by `scan --sbom`.
 */
#include "inventory/inventory_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_inventory *inv = NULL;
    struct vg_err *err = NULL;
    if (vg_inv_sbom_read_cdx_xml(&inv, data, size, &err) == 0) {
        vg_inventory_free(inv);
    }
    vg_err_free(&err);
    return 0;
}
