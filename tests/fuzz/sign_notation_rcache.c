/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the on-disk entries of the Notation revocation cache (sign/notation_rcache.c):
 * a file under the user's cache directory is untrusted bytes. vg_notation__rcache_decode must
 * accept only a whole header with sane times and give a DER span inside the input.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sign/notation_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_err *err = NULL;
    struct vg_notation__rcache_meta m;
    const uint8_t *der = NULL;
    size_t len = 0;
    if (vg_notation__rcache_decode(&m, &der, &len, data, size, &err) == 0) {
        if (!der || der < data || len == 0 || der + len != data + size || m.expires < m.fetched ||
            m.fetched <= 0) {
            abort(); /* the decoder's guarantees */
        }
    }
    vg_err_free(&err);
    return 0;
}
