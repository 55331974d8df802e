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

/* The checks of vg_sign_attestation_verify after the envelope's signature: payloadType
 * in-toto, statement, subject and predicate type (statement.c). */
VG_NODISCARD int vg_sign__attestation_claims(const struct vg_dsse_envelope *e,
                                             const struct vg_digest *subject, const char *type,
                                             struct vg_sign_statement **out, struct vg_err **err);

/* The 32 bytes of a sha256 digest (another algorithm: VG_E_UNSUPPORTED). */
VG_NODISCARD int vg_sign__digest_raw(uint8_t out[32], const struct vg_digest *d,
                                     struct vg_err **err);
/* vg_sigstore_verify of b for artifact under k's root with each identity in turn until one
 * passes; *identity (may be NULL) gets "SAN (issuer)" of the match. Otherwise the first
 * identity's reason. */
VG_NODISCARD int vg_sign__keyless_verify(const struct vg_sign_keyless *k,
                                         const struct vg_sigstore_bundle *b,
                                         struct vg_sigstore_artifact *a, char **identity,
                                         struct vg_err **err);

/* Reads blob d of a store (at most max bytes) through its provider and checks it against its
 * digest (check_store.c). */
VG_NODISCARD int vg_sign__store_read_blob(const struct vg_sign_store *s, const struct vg_digest *d,
                                          size_t max, struct vg_buf *out, struct vg_err **err);

#endif
