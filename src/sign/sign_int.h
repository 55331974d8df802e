/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal helpers shared by sign/ files: Go-compatible JSON string encoding (the bytes
 * cosign's encoding/json writes) and a strict base64 field decoder.
 */
#ifndef VG_SIGN_INT_H
#define VG_SIGN_INT_H

#include "sign.h"

/* Appends s (len bytes) as a JSON string literal the way Go's encoding/json does with HTML
 * escaping on: <, >, & as \u003c \u003e \u0026; U+2028/U+2029 escaped; \b \f \n \r \t short
 * escapes; other control bytes as \u00xx; invalid UTF-8 bytes become \ufffd. */
VG_NODISCARD int vg_sign__go_string(struct vg_buf *out, const char *s, size_t len,
                                    struct vg_err **err);

/* Decodes standard base64 (no whitespace) with a bound on the decoded size. */
VG_NODISCARD int vg_sign__b64(uint8_t **out, size_t *outlen, const char *s, size_t max,
                              const char *what, struct vg_err **err);

/* The common part of both bundle parsers: JSON within max bytes (duplicate keys refused), an
 * object with a string mediaType that type_ok accepts (else VG_E_UNSUPPORTED naming it, with
 * `refusal` appended) and a verificationMaterial object. *root owns the document. */
VG_NODISCARD int vg_sign__bundle_open(json_t **root, const char **media_type, const void *data,
                                      size_t len, size_t max, bool (*type_ok)(const char *mt),
                                      const char *refusal, struct vg_err **err);

#endif
