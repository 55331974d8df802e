/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: the one zip reader (layers/zip.c). Arbitrary bytes are opened as an archive and
 * every member is located and extracted under a small bound; then the same bytes are walked
 * through their local headers, as PyTorch checkpoint scanning does for a damaged directory.
 */
#include <string.h>

#include "layers/layers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_err *err = NULL;
    struct vg_zip z;
    if (vg_zip_open(&z, data, size, 4096, &err) == 0) {
        struct vg_buf out = VG_BUF_INIT(1u << 20);
        for (size_t i = 0; i < z.n; i++) {
            const uint8_t *raw;
            size_t n;
            if (vg_zip_raw(&z, &z.ents[i], &raw, &n, &err) == 0 && n) {
                volatile uint8_t last = raw[n - 1];
                (void)last;
            }
            vg_err_free(&err);
            (void)!vg_zip_read(&z, &z.ents[i], 1u << 20, &out, &err);
            vg_err_free(&err);
        }
        vg_buf_dispose(&out);
        vg_zip_dispose(&z);
    }
    vg_err_free(&err);
    uint64_t off = 0, data_off = 0;
    struct vg_zip_entry e;
    for (unsigned i = 0; i < 4096 && vg_zip_local_next(data, size, &off, &e, &data_off) == 1; i++) {
        if (e.csize <= size - data_off && e.csize) {
            volatile uint8_t last = data[data_off + e.csize - 1];
            (void)last;
        }
    }
    (void)vg_zip_sniff(data, size);
    return 0;
}
