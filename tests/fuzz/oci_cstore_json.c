/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for containers-storage image resolution (oci/cstore_meta.c): the input is
 * "REF\0images.json\0layers.json"; names, ID prefixes, digests and layer chains are resolved
 * and every layer ID that comes back must be 64 hex digits (they become path components).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/cstore_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    const char *z1 = memchr(p, '\0', size);
    if (!z1) {
        return 0;
    }
    const char *imgs = z1 + 1;
    const char *z2 = memchr(imgs, '\0', (size_t)(end - imgs));
    const char *lays = z2 ? z2 + 1 : end;
    size_t ilen = (size_t)((z2 ? z2 : end) - imgs);
    char *ref = strndup(p, (size_t)(z1 - p));
    struct vg_cstore_image im;
    struct vg_err *err = NULL;
    if (vg_oci_cstore_resolve(&im, imgs, ilen, lays, (size_t)(end - lays), ref, &err) == 0) {
        if (strspn(im.id, "0123456789abcdef") != 64 || !im.config_key) {
            abort();
        }
        for (size_t i = 0; i < im.nlayers; i++) {
            if (strspn(im.layers[i].id, "0123456789abcdef") != 64) {
                abort();
            }
        }
        vg_oci_cstore_image_dispose(&im);
    }
    vg_err_free(&err);
    free(ref);
    return 0;
}
