/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the manifest/index parser (oci/manifest.c) and platform selection from a
 * parsed index. The first byte picks the transport media-type hint.
 */
#include <stdint.h>
#include <stdlib.h>

#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const hints[] = {NULL,
                                        VG_MT_OCI_MANIFEST,
                                        VG_MT_OCI_INDEX,
                                        VG_MT_DOCKER_MANIFEST,
                                        VG_MT_DOCKER_LIST,
                                        VG_MT_DOCKER_SCHEMA1_S,
                                        "application/json"};
    const char *hint = NULL;
    if (size > 0) {
        hint = hints[data[0] % (sizeof(hints) / sizeof(hints[0]))];
        data++;
        size--;
    }
    struct vg_oci_manifest *m = NULL;
    struct vg_err *err = NULL;
    if (vg_oci_manifest_parse(&m, data, size, hint, &err) == 0) {
        if (m->is_index) {
            char os[] = "linux", arch[] = "arm64";
            struct vg_oci_platform want = {.os = os, .architecture = arch};
            const struct vg_oci_desc *d = NULL;
            if (vg_oci_index_select(&d, m, &want, &err) == 0 && !d) {
                abort();
            }
        }
        vg_oci_manifest_free(m);
    }
    vg_err_free(&err);
    return 0;
}
