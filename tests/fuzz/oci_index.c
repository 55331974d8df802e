/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the editable image index (oci/index.c): parse, then the canonical form must
 * parse again to the same canonical form; add/remove/filter never break that.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
canon(const struct vg_oci_index *ix, struct vg_buf *out)
{
    if (vg_oci_index_serialize(ix, out, NULL) < 0) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_oci_index ix = {0};
    if (vg_oci_index_parse(&ix, data, size, "fuzz", NULL) < 0) {
        if (ix.n || ix.v) {
            abort();
        }
        return 0;
    }
    if (ix.n > 0) {
        struct vg_oci_desc first;
        vg_oci_desc_copy(&first, &ix.v[0]);
        bool added = true;
        if (vg_oci_index_add(&ix, &first, &added, NULL) < 0 || added) {
            abort();
        }
        if (!vg_oci_index_remove(&ix, &first.digest)) {
            abort();
        }
        vg_oci_desc_dispose(&first);
    }
    struct vg_buf a = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES * 2);
    struct vg_buf b = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES * 2);
    canon(&ix, &a);
    struct vg_oci_index again = {0};
    if (vg_oci_index_parse(&again, a.data, a.len, "canonical", NULL) < 0) {
        abort();
    }
    canon(&again, &b);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
        abort();
    }
    vg_oci_index_dispose(&again);
    vg_oci_index_dispose(&ix);
    vg_buf_dispose(&a);
    vg_buf_dispose(&b);
    return 0;
}
