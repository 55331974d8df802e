/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the registry's manifest validator (registry/manifest.c). The first byte
 * picks the Content-Type the push arrived with.
 */
#include <stdint.h>
#include <stdlib.h>

#include "registry/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {NULL,
                                        VG_MT_OCI_MANIFEST,
                                        VG_MT_OCI_INDEX,
                                        VG_MT_DOCKER_MANIFEST,
                                        VG_MT_DOCKER_LIST,
                                        "application/vnd.docker.distribution.manifest.v1+json",
                                        VG_MT_OCI_MANIFEST "; charset=utf-8",
                                        "application/json"};
    const char *ct = NULL;
    if (size > 0) {
        ct = types[data[0] % (sizeof(types) / sizeof(types[0]))];
        data++;
        size--;
    }
    struct vg_registry_manifest_info mi;
    struct vg_err *err = NULL;
    if (vg_registry_manifest_check(&mi, ct, data, size, &err) == VG_OCI_DIST_OK) {
        vg_registry_manifest_info_dispose(&mi);
    } else if (!err) {
        abort(); /* a refusal always says why */
    }
    vg_err_free(&err);
    return 0;
}
