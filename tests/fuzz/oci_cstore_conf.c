/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for containers-storage's storage.conf reader (oci/cstore_meta.c): the TOML
 * subset of the [storage] table over arbitrary bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/cstore_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_cstore_conf c;
    struct vg_err *err = NULL;
    if (vg_oci_cstore_conf_parse(&c, (const char *)data, size, "storage.conf", &err) == 0) {
        const char *v[] = {c.driver, c.graphroot, c.runroot, c.rootless_storage_path};
        for (size_t i = 0; i < 4; i++) {
            if (v[i] && strlen(v[i]) > size) {
                abort();
            }
        }
        vg_oci_cstore_conf_dispose(&c);
    }
    vg_err_free(&err);
    return 0;
}
