/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations shared by the Notary Project files of sign/ (notation_*.c, cose.c,
 * cbor.c): the envelope pieces both serializations share and the bounded CBOR codec.
 */
#ifndef VG_SIGN_NOTATION_INT_H
#define VG_SIGN_NOTATION_INT_H

#include "sign/notation.h"

#include "sign_int.h"

/* Protected header names (signature-envelope-jws.md, -cose.md). */
#define NOTARY_HDR_SCHEME         "io.cncf.notary.signingScheme"
#define NOTARY_HDR_SIGNING_TIME   "io.cncf.notary.signingTime"
#define NOTARY_HDR_AUTHENTIC_TIME "io.cncf.notary.authenticSigningTime"
#define NOTARY_HDR_EXPIRY         "io.cncf.notary.expiry"
#define NOTARY_HDR_PLUGIN         "io.cncf.notary.verificationPlugin"
#define NOTARY_HDR_PLUGIN_MIN     "io.cncf.notary.verificationPluginMinVersion"
#define NOTARY_HDR_TIMESTAMP      "io.cncf.notary.timestampSignature"
#define NOTARY_HDR_AGENT          "io.cncf.notary.signingAgent"

/* base64url without padding (RFC 7515 §2). */
char *vg_notation__b64url(const void *data, size_t n);
VG_NODISCARD int vg_notation__b64url_decode(uint8_t **out, size_t *outlen, const char *s,
                                            const char *what, struct vg_err **err);

/* The payload {"targetArtifact": descriptor} (keys sorted, compact). */
VG_NODISCARD int vg_notation__payload_build(struct vg_buf *out, const struct vg_notation_target *t,
                                            struct vg_err **err);
/* Checks that a critical attribute named in crit is one vigil processes: the signing scheme,
 * the authentic signing time and expiry; a verification plugin is VG_E_UNSUPPORTED (vigil runs
 * no plugins and must then fail, signature-specification.md "Guidelines"). */
VG_NODISCARD int vg_notation__crit_known(const char *name, struct vg_err **err);

/* After a serialization has filled e->alg, e->chain, e->signature, e->scheme and times:
 * chain order and certificate requirements, the leaf key's algorithm equal to e->alg, the
 * signature over `input`, then the payload parsed into e->target_*. */
VG_NODISCARD int vg_notation__finish(struct vg_notation_envelope *e, const void *input,
                                     size_t inlen, const void *payload, size_t plen,
                                     struct vg_err **err);
/* Signer-side: the leaf must match the key and every certificate the requirements; gives the
 * algorithm. */
VG_NODISCARD int vg_notation__signer_check(enum vg_crypto_alg *alg,
                                           const struct vg_notation_sign_opts *o,
                                           struct vg_err **err);

/* The timestamp token of sig when o asks for one (o->timestamp), else nothing: 0 with tst
 * empty. */
VG_NODISCARD int vg_notation__timestamp(struct vg_buf *tst, const struct vg_notation_sign_opts *o,
                                        enum vg_crypto_alg alg, const uint8_t *sig, size_t siglen,
                                        struct vg_err **err);

VG_NODISCARD int vg_notation__jws_sign(struct vg_buf *out, const struct vg_notation_sign_opts *o,
                                       enum vg_crypto_alg alg, const struct vg_buf *payload,
                                       struct vg_err **err);
VG_NODISCARD int vg_notation__jws_open(struct vg_notation_envelope *e, const void *data, size_t len,
                                       struct vg_err **err);
VG_NODISCARD int vg_notation__cose_sign(struct vg_buf *out, const struct vg_notation_sign_opts *o,
                                        enum vg_crypto_alg alg, const struct vg_buf *payload,
                                        struct vg_err **err);
VG_NODISCARD int vg_notation__cose_open(struct vg_notation_envelope *e, const void *data,
                                        size_t len, struct vg_err **err);

/* The revocation check (notation_revoke.c): every certificate of e's chain but the root, from
 * the root down, by OCSP then CRL. `authentic` is the verified signing time (0: none), which an
 * invalidityDate is compared with. VG_E_VERIFY names the certificate that is revoked or whose
 * status could not be had, and why; *unavailable says it was the latter because no OCSP
 * responder or CRL location gave an answer (down, slow, stale: possibly transient). */
VG_NODISCARD int vg_notation__revocation_check(const struct vg_notation_envelope *e,
                                               const struct vg_notation_verify_opts *o,
                                               int64_t authentic, bool *unavailable,
                                               struct vg_err **err);

/* The revocation response cache (notation_rcache.c). */
struct vg_notation__rcache_meta {
    int64_t fetched; /* unix seconds */
    int64_t expires; /* nextUpdate */
    bool sticky;     /* a revocation: usable after expires, checked at fetched */
};
/* SHA-256 of (kind, url, OCSP request DER or nothing). */
void vg_notation__rcache_key(uint8_t key[32], bool ocsp, const char *url, const void *req,
                             size_t len);
/* The cached response of key (memory, else disk) appended to out, its metadata in *m. */
bool vg_notation__rcache_get(const uint8_t key[32], struct vg_buf *out,
                             struct vg_notation__rcache_meta *m);
void vg_notation__rcache_put(const uint8_t key[32], const void *data, size_t len,
                             const struct vg_notation__rcache_meta *m);
/* A disk entry's header (untrusted bytes): VG_E_PARSE. */
VG_NODISCARD int vg_notation__rcache_decode(struct vg_notation__rcache_meta *m, const uint8_t **der,
                                            size_t *derlen, const uint8_t *data, size_t len,
                                            struct vg_err **err);
/* The process-wide skip and timeout (vg_notation_revocation_configure). */
void vg_notation__revocation_settings(bool *skip, uint32_t *timeout_ms);

/* ---------------------------------------------------------------- CBOR (notation_cbor.c) */

/* A bounded subset of CBOR (RFC 8949) for COSE_Sign1: definite lengths only (indefinite ones
 * are refused), nesting at most CBOR_DEPTH_MAX, at most CBOR_ITEMS_MAX entries per array or
 * map, integers within int64, no floats except to be skipped. */
#define CBOR_DEPTH_MAX 16u
#define CBOR_ITEMS_MAX 1024u
enum cbor_major {
    CBOR_UINT = 0,
    CBOR_NEGINT = 1,
    CBOR_BSTR = 2,
    CBOR_TSTR = 3,
    CBOR_ARRAY = 4,
    CBOR_MAP = 5,
    CBOR_TAG = 6,
    CBOR_SIMPLE = 7,
};
/* One data item's head: for BSTR/TSTR `bytes` points at the content of `len` bytes; for
 * ARRAY/MAP `len` is the count; UINT/NEGINT give `i`; TAG gives the tag number in `len` and
 * the tagged item follows. `raw`/`rawlen` span the whole item (set by vg_notation__cbor_item). */
struct cbor_item {
    enum cbor_major major;
    uint64_t len;
    int64_t i;
    const uint8_t *bytes;
    const uint8_t *raw;
    size_t rawlen;
};
/* Reads one head (and a string's content) at r. VG_E_PARSE with the offset. */
VG_NODISCARD int vg_notation__cbor_head(struct vg_reader *r, struct cbor_item *it,
                                        struct vg_err **err);
/* Reads one whole item (skipping its contents), recording its raw span. */
VG_NODISCARD int vg_notation__cbor_item(struct vg_reader *r, struct cbor_item *it,
                                        struct vg_err **err);
/* A map's entries, each key an int or a text string (others: VG_E_PARSE), duplicates refused. */
struct cbor_entry {
    bool text;
    int64_t ikey;
    const uint8_t *tkey;
    size_t tlen;
    struct cbor_item value; /* the whole value item (raw span) */
};
VG_NODISCARD int vg_notation__cbor_map(struct cbor_entry **out, size_t *n, const uint8_t *data,
                                       size_t len, struct vg_err **err);
const struct cbor_entry *vg_notation__cbor_get(const struct cbor_entry *m, size_t n, int64_t ikey,
                                               const char *tkey);
/* Encoders (append to out). */
VG_NODISCARD int vg_notation__cbor_put_head(struct vg_buf *out, enum cbor_major major, uint64_t v,
                                            struct vg_err **err);
VG_NODISCARD int vg_notation__cbor_put_int(struct vg_buf *out, int64_t v, struct vg_err **err);
VG_NODISCARD int vg_notation__cbor_put_bytes(struct vg_buf *out, enum cbor_major major,
                                             const void *p, size_t n, struct vg_err **err);
VG_NODISCARD int vg_notation__cbor_put_text(struct vg_buf *out, const char *s, struct vg_err **err);

#endif
