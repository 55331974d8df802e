/* SPDX-License-Identifier: Apache-2.0
 *
 * Declarations shared by the tuf/ files. Nothing outside src/tuf includes this.
 */
#ifndef VG_TUF_INT_H
#define VG_TUF_INT_H

#include "tuf.h"

/* Parses one key object (keytype, scheme, keyval) into k (keyid borrowed → copied). */
int vg_tuf__key_parse(struct vg_tuf_key *k, enum vg_tuf_dialect d, const char *keyid,
                      const json_t *obj, struct vg_err **err);
void vg_tuf__key_dispose(struct vg_tuf_key *k);
/* Verifies one signature with k's scheme. VG_E_VERIFY on mismatch or unusable key. */
int vg_tuf__key_verify(const struct vg_tuf_key *k, const uint8_t *data, size_t len,
                       const uint8_t *sig, size_t siglen, struct vg_err **err);
/* Hex (either case) of exactly outlen bytes; -1 otherwise. */
int vg_tuf__hex_decode(uint8_t *out, size_t outlen, const char *s, size_t n);
void vg_tuf__role_dispose(struct vg_tuf_role *r);

#endif
