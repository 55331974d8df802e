/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the docker-archive tar header indexer (oci/archive.c): headers, GNU long
 * names, pax records and link resolution over arbitrary bytes.
 */
#include <stdint.h>
#include <stdlib.h>

#include "oci/archive_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_oci_tar_index idx;
    struct vg_err *err = NULL;
    if (vg_oci_tar_index_build_mem(&idx, data, size, &err) == 0) {
        for (size_t i = 0; i < idx.n; i++) {
            const struct vg_oci_tar_entry *e = vg_oci_tar_lookup(&idx, idx.entries[i].name);
            if (e && e->type != VG_TAR_FILE) {
                abort();
            }
        }
        vg_oci_tar_index_dispose(&idx);
    }
    vg_err_free(&err);
    return 0;
}
