/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: referrers API response bodies (GET /v2/<name>/referrers/<digest>, an image
 * index) as the registry client and sign/ read them. The input is one or more pages separated
 * by a NUL byte. A single page is handed on as is and parsed as an index (what `vigil verify`
 * and `tree` do); several pages are merged (vg_oci_index_append_json), serialized, and that
 * serialization must parse back as an index with every merged entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGES_MAX 4

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_err *err = NULL;
    struct vg_oci_manifest *m = NULL;
    const uint8_t *z = memchr(data, '\0', size);
    size_t first = z ? (size_t)(z - data) : size;
    if (vg_oci_manifest_parse(&m, data, first, VG_MT_OCI_INDEX, &err) == 0 && !m) {
        __builtin_trap();
    }
    vg_oci_manifest_free(m);
    vg_err_free(&err);
    if (!z) {
        return 0;
    }
    struct vg_oci_index all = {0};
    const uint8_t *p = data, *end = data + size;
    int rc = 0;
    for (int page = 0; page < PAGES_MAX && rc == 0 && p <= end; page++) {
        const uint8_t *q = memchr(p, '\0', (size_t)(end - p));
        size_t len = q ? (size_t)(q - p) : (size_t)(end - p);
        rc = vg_oci_index_append_json(&all, p, len, "referrers", &err);
        p += len + 1;
        if (!q) {
            break;
        }
    }
    vg_err_free(&err);
    if (rc == 0) {
        struct vg_buf out = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES * 4);
        if (vg_oci_index_serialize(&all, &out, &err) == 0) {
            if (vg_oci_manifest_parse(&m, out.data, out.len, VG_MT_OCI_INDEX, &err) < 0) {
                /* Within the manifest bound the merged index must read back. */
                if (out.len <= VG_LIMIT_MANIFEST_BYTES && all.n <= VG_LIMIT_INDEX_ENTRIES) {
                    __builtin_trap();
                }
            } else if (m->nmanifests != all.n) {
                __builtin_trap();
            }
            vg_oci_manifest_free(m);
        }
        vg_err_free(&err);
        vg_buf_dispose(&out);
    }
    vg_oci_index_dispose(&all);
    return 0;
}
