/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal helpers shared by the sigstore_*.c files: protobuf-JSON field readers (int64 as a
 * string or a number, base64 of a fixed size) and the Rekor entry checks.
 */
#ifndef VG_SIGN_SIGSTORE_INT_H
#define VG_SIGN_SIGSTORE_INT_H

#include "sign_int.h"

/* A protobuf-JSON int64 (a decimal string or a JSON integer), 0 .. INT64_MAX. Absent: 0 and
 * *present false (present may be NULL: then absence is an error). */
VG_NODISCARD int vg_sigstore__i64(int64_t *out, bool *present, const json_t *obj, const char *key,
                                  const char *where, struct vg_err **err);
/* Standard base64 as Go's decoder (protojson) reads it: CR and LF are dropped, any other
 * character outside the alphabet is an error; the decoded size is bounded by max. */
VG_NODISCARD int vg_sigstore__b64(uint8_t **out, size_t *outlen, const char *s, size_t max,
                                  const char *what, struct vg_err **err);
/* A base64 string field decoding to exactly 32 bytes. */
VG_NODISCARD int vg_sigstore__b64_32(uint8_t out[32], const json_t *obj, const char *key,
                                     const char *where, struct vg_err **err);

/* The same for a JSON value (what names it in messages). */
VG_NODISCARD int vg_sigstore__b64_32v(uint8_t out[32], const json_t *v, const char *what,
                                      const char *where, struct vg_err **err);

/* What a tlog entry body must match: the content signature, the signer (certificate DER or
 * public key), and the artifact. */
struct vg_sigstore__content {
    const uint8_t *sig;
    size_t siglen;
    const struct vg_x509 *leaf;      /* or */
    const struct vg_crypto_key *key; /* when no certificate */
    const uint8_t *artifact_sha256;  /* messageSignature: the artifact digest */
    const uint8_t *payload;          /* DSSE: the envelope payload */
    size_t payloadlen;
    const char *payload_type;
    const uint8_t *pae_sha256; /* DSSE: SHA-256 of the PAE (Rekor v2 hashedrekord) */
    bool dsse;
};
/* The entry's canonicalized body (kind and version as declared) against the content. */
VG_NODISCARD int vg_sigstore__body_check(const struct vg_sigstore_tlog_entry *e,
                                         const struct vg_sigstore__content *c, struct vg_err **err);
/* The signed entry timestamp of e by log. */
VG_NODISCARD int vg_sigstore__set_verify(const struct vg_sigstore_tlog_entry *e,
                                         const struct vg_sigstore_log *log, struct vg_err **err);

#endif
