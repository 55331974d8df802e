/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for what `vigil download signature` does with a registry's `.sig` manifest and
 * payload (sign/download.c): the input is a manifest, a NUL byte, then payload bytes. Every
 * layer of a manifest the parser accepts is rendered as cosign's SignedPayload line (the
 * annotations' JSON re-parsed, the chain split into PEM blocks), which must parse back as a
 * JSON object carrying the payload's base64. The SBOM media-type choice of `attach sbom` runs
 * over the payload too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/cosign_ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t mlen = nul ? (size_t)(nul - data) : size;
    const uint8_t *payload = nul ? nul + 1 : data + size;
    size_t plen = nul ? size - mlen - 1 : 0;
    static const char *const types[] = {"spdx", "cyclonedx", "syft", "x"};
    static const char *const formats[] = {"json", "xml", "text", NULL};
    (void)vg_sign_sbom_media_type(types[size % 4], formats[(size / 4) % 4], payload, plen);
    struct vg_err *err = NULL;
    struct vg_sign_sig_image *img = NULL;
    if (vg_sign_sig_image_parse(&img, data, mlen, &err) == 0) {
        char *want = vg_base64_encode(payload, plen);
        for (size_t i = 0; i < img->n; i++) {
            char *s = vg_sign_signed_payload_json(&img->layers[i], payload, plen);
            if (!s) {
                continue;
            }
            json_t *j = NULL;
            struct vg_err *e2 = NULL;
            if (vg_json_parse(&j, s, strlen(s), strlen(s) + 1, "line", &e2) < 0 ||
                !json_is_object(j) || !vg_json_str(j, "Payload") ||
                strcmp(vg_json_str(j, "Payload"), want) != 0) {
                abort(); /* the line must be JSON with the payload as written */
            }
            json_decref(j);
            vg_err_free(&e2);
            free(s);
        }
        free(want);
        vg_sign_sig_image_free(img);
    }
    vg_err_free(&err);
    return 0;
}
