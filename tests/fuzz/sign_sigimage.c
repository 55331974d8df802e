/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the `.sig` manifest parser of sign/, followed by a render of what was
 * parsed (render may only fail on a size bound).
 */
#include <stdint.h>
#include <stdlib.h>

#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_err *err = NULL;
    struct vg_sign_sig_image *img = NULL;
    if (vg_sign_sig_image_parse(&img, data, size, &err) == 0) {
        struct vg_buf c = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
        struct vg_buf m = VG_BUF_INIT(4 * VG_LIMIT_MANIFEST_BYTES);
        if (img->n > VG_SIGN_MAX_SIG_LAYERS) {
            abort();
        }
        /* Go escaping can grow text sixfold, so only a bound may stop rendering. */
        if (vg_sign_sig_image_render(img, &c, &m, &err) < 0 && !vg_err_is(err, VG_E_LIMIT)) {
            abort();
        }
        vg_buf_dispose(&c);
        vg_buf_dispose(&m);
        vg_sign_sig_image_free(img);
    }
    vg_err_free(&err);
    return 0;
}
