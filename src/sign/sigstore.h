/* SPDX-License-Identifier: Apache-2.0
 *
 * Keyless Sigstore verification, offline (docs/sigstore.md, cosign-format.md §4.2, §7): the
 * trusted root (`trusted_root.json`: Fulcio CAs, Rekor and CT log keys, TSAs, each with a
 * validity window), Sigstore bundles v0.1–v0.3 (messageSignature or DSSE content; a Fulcio
 * certificate or a public key), Rekor evidence (signed entry timestamps, RFC 6962 inclusion
 * proofs with signed checkpoints, entry bodies matched against the signature), RFC 3161
 * timestamps, SCTs and the identity policy cosign's --certificate-* flags express. Included
 * from sign.h; nothing here does I/O.
 *
 * Error codes a caller may branch on: VG_E_VERIFY (the bundle does not verify under the root
 * and policy), VG_E_PARSE (malformed bundle or root), VG_E_UNSUPPORTED (unknown media type,
 * entry kind or algorithm), VG_E_LIMIT (the bounds below), VG_E_USAGE (bad policy).
 */
#ifndef VG_SIGN_SIGSTORE_H
#define VG_SIGN_SIGSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "crypto/crypto.h"

/* Trusted roots are a few KiB (staging: 13 KiB); bundles a few KiB plus the DSSE payload. */
#define VG_SIGSTORE_ROOT_MAX    (1024u * 1024u)
#define VG_SIGSTORE_ROOT_ITEMS  64u /* per list: CAs, tlogs, ctlogs, TSAs */
#define VG_SIGSTORE_BUNDLE_MAX  (4u * 1024u * 1024u)
#define VG_SIGSTORE_ENTRIES_MAX 16u /* tlog entries and RFC 3161 timestamps per bundle */
#define VG_SIGSTORE_PROOF_MAX   64u /* Merkle audit path hashes (a tree of 2^64 leaves) */
#define VG_SIGSTORE_NOTE_MAX    (16u * 1024u)
#define VG_SIGSTORE_NOTE_SIGS   64u
#define VG_SIGSTORE_BODY_MAX    (1024u * 1024u)

/* ---------------------------------------------------------------- trusted root */

/* A transparency (Rekor) or CT log key. */
struct vg_sigstore_log {
    uint8_t id[32]; /* logId.keyId */
    struct vg_crypto_key *key;
    int64_t start, end; /* validFor, unix seconds; end 0: open; end inclusive */
    char *base_url;     /* "" when absent */
};
/* A Fulcio CA or a TSA: certChain (leaf or intermediates first, root last). */
struct vg_sigstore_ca {
    struct vg_x509 **certs;
    size_t ncerts;
    int64_t start, end;
    char *uri;
};
struct vg_sigstore_root {
    struct vg_sigstore_log *tlogs, *ctlogs;
    size_t ntlogs, nctlogs;
    struct vg_sigstore_ca *cas, *tsas;
    size_t ncas, ntsas;
};
/* Parses `application/vnd.dev.sigstore.trustedroot+json;version=0.1` (duplicate keys refused).
 * A validFor present without a start is refused; an absent validFor is open at both ends. */
VG_NODISCARD int vg_sigstore_root_parse(struct vg_sigstore_root **out, const void *data, size_t len,
                                        struct vg_err **err);
void vg_sigstore_root_free(struct vg_sigstore_root *r);

/* RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac]Z" (or a numeric offset) to unix seconds, fraction
 * dropped. */
VG_NODISCARD int vg_sigstore_time_parse(int64_t *out, const char *s, struct vg_err **err);

/* ---------------------------------------------------------------- transparency logs */

/* RFC 6962 / RFC 9162 §2.1.3.2: does the audit path lead from leaf hash at index to root in a
 * tree of `size` leaves? Wrong path lengths, index >= size: VG_E_VERIFY. */
VG_NODISCARD int vg_sigstore_merkle_verify(uint64_t index, uint64_t size, const uint8_t leaf[32],
                                           const uint8_t (*path)[32], size_t n,
                                           const uint8_t root[32], struct vg_err **err);
/* The RFC 6962 leaf hash SHA-256(0x00 || data). */
void vg_sigstore_leaf_hash(uint8_t out[32], const void *data, size_t len);

struct vg_sigstore_checkpoint {
    char *origin;
    uint64_t size;
    uint8_t root[32];
};
/* Parses a signed note (a checkpoint: origin, tree size, base64 root hash, optional extension
 * lines, a blank line, then "— <name> <base64(key hint || signature)>" lines) and requires a
 * signature line whose 4-byte key hint is the first 4 bytes of log->id and whose signature by
 * log->key over the note text verifies. Lines from other keys (witness cosignatures) are
 * ignored. */
VG_NODISCARD int vg_sigstore_checkpoint_verify(struct vg_sigstore_checkpoint *out, const char *note,
                                               size_t len, const struct vg_sigstore_log *log,
                                               struct vg_err **err);
void vg_sigstore_checkpoint_dispose(struct vg_sigstore_checkpoint *cp);

/* ---------------------------------------------------------------- bundles */

struct vg_sigstore_tlog_entry {
    int64_t log_index;
    uint8_t log_id[32];
    char *kind, *version;
    bool has_time;
    int64_t integrated_time;
    uint8_t *set; /* inclusionPromise.signedEntryTimestamp, NULL when absent */
    size_t setlen;
    bool has_proof;
    int64_t proof_index, tree_size;
    uint8_t root[32];
    uint8_t (*hashes)[32];
    size_t nhashes;
    char *checkpoint; /* NULL when absent */
    uint8_t *body;    /* canonicalizedBody, decoded */
    size_t bodylen;
};

struct vg_sigstore_bundle {
    char *media_type;
    int minor; /* 1, 2 or 3 (bundle v0.N) */
    /* verification material: certs (leaf first) or a public key */
    struct vg_x509 **certs;
    size_t ncerts;
    bool has_key; /* publicKey {hint} */
    struct vg_sigstore_tlog_entry *entries;
    size_t nentries;
    uint8_t **tsrs; /* rfc3161Timestamps[].signedTimestamp, DER */
    size_t *tsrlens;
    size_t ntsrs;
    /* what the timestamps are over when not the signature: cosign's legacy attestation layers
     * timestamp the envelope blob (its VerifyRFC3161Timestamp); NULL otherwise */
    uint8_t *tsr_data;
    size_t tsr_datalen;
    /* content: messageSignature, or a DSSE envelope with exactly one signature */
    bool dsse;
    bool has_digest;
    uint8_t digest[32]; /* messageDigest (SHA2_256) */
    uint8_t *sig;
    size_t siglen;
    char *payload_type;
    uint8_t *payload;
    size_t payloadlen;
};
/* Parses a bundle: the four media types of v0.1–v0.3, exactly one kind of verification
 * material (a certificate chain must not be empty), int64 fields as protobuf JSON strings or
 * numbers and never negative, base64 fields decoded strictly. */
VG_NODISCARD int vg_sigstore_bundle_parse(struct vg_sigstore_bundle **out, const void *data,
                                          size_t len, struct vg_err **err);
void vg_sigstore_bundle_free(struct vg_sigstore_bundle *b);

/* ---------------------------------------------------------------- verification */

/* What is being verified: the artifact's bytes (data != NULL) or only its SHA-256. */
struct vg_sigstore_artifact {
    const uint8_t *data;
    size_t len;
    uint8_t sha256[32]; /* filled from data by the verifier when data is set */
};

/* Who must have signed. Keyless: at least one of identity / identity_regexp and one of
 * issuer / issuer_regexp (cosign's --certificate-identity[-regexp],
 * --certificate-oidc-issuer[-regexp]); regexps are POSIX extended, unanchored like Go's
 * MatchString. github_* compare the legacy Fulcio extensions 1.3.6.1.4.1.57264.1.2–.6 exactly.
 * Key-based: key set, no identity. */
struct vg_sigstore_policy {
    const struct vg_crypto_key *key;
    const char *identity, *identity_regexp;
    const char *issuer, *issuer_regexp;
    const char *github_trigger, *github_sha, *github_name, *github_repository, *github_ref;
    bool ignore_sct;
    /* cosign's --insecure-ignore-tlog: transparency-log entries are neither required nor
     * looked at. Without an RFC 3161 timestamp the certificate must then be valid at `now`
     * (unix seconds; 0: the current time), as cosign checks it. */
    bool ignore_tlog;
    int64_t now;
};

#define VG_SIGSTORE_MAX_TIMES (2u * VG_SIGSTORE_ENTRIES_MAX)
struct vg_sigstore_result {
    char *identity; /* the SAN that matched (keyless), NULL for keys */
    char *issuer;
    size_t nscts;
    size_t ntimes;
    int64_t times[VG_SIGSTORE_MAX_TIMES]; /* verified signing times */
    bool time_is_tsa[VG_SIGSTORE_MAX_TIMES];
    size_t nentries; /* tlog entries verified */
};
void vg_sigstore_result_dispose(struct vg_sigstore_result *r);

/* Verifies b under root and policy for artifact: the content signature (messageSignature over
 * the artifact, or DSSE over its PAE with a statement subject equal to the artifact's sha256),
 * every tlog entry (log key in the root and valid at the entry's time; body matching the
 * signature, key or certificate and artifact; the SET; the inclusion proof and its signed
 * checkpoint; v0.1 needs a SET, later versions an inclusion proof), every RFC 3161 timestamp
 * against a TSA of the root, at least one verified time; keyless: at each verified time the
 * leaf chains to a Fulcio CA of the root valid then, code-signing EKU, an SCT from a CT log of
 * the root, the identity policy. */
VG_NODISCARD int vg_sigstore_verify(struct vg_sigstore_result *res,
                                    const struct vg_sigstore_bundle *b,
                                    const struct vg_sigstore_root *root,
                                    const struct vg_sigstore_policy *policy,
                                    struct vg_sigstore_artifact *artifact, struct vg_err **err);

/* ---------------------------------------------------------------- keyless signing
 * (sigstore_sign.c) The client side of `cosign sign --fulcio-url --rekor-url --identity-token`
 * without the network (the CLI does the HTTP): the token's claims, Fulcio v2 POST
 * /api/v2/signingCert, Rekor v1 POST /api/v1/log/entries (hashedrekord 0.0.1), the checks on both
 * answers, and the bundle and legacy annotation cosign writes from them. */

#define VG_SIGSTORE_TOKEN_MAX      (16u * 1024u)  /* an OIDC identity token */
#define VG_FULCIO_RESPONSE_MAX     (256u * 1024u) /* a signingCert response */
#define VG_REKOR_RESPONSE_MAX      (256u * 1024u) /* a log entry response */
#define VG_SIGSTORE_CHAIN_MAX      10u            /* certificates in Fulcio's chain */
#define VG_SIGSTORE_CHECKPOINT_MAX VG_SIGSTORE_NOTE_MAX

/* The JWT's (unverified: Fulcio verifies it) claims: *subject the e-mail when present, else
 * sub (what the proof of possession signs), *issuer iss. VG_E_PARSE, VG_E_LIMIT. */
VG_NODISCARD int vg_sigstore_token_claims(char **subject, char **issuer, const char *token,
                                          struct vg_err **err);
/* {"credentials":{"oidcIdentityToken"},"publicKeyRequest":{"publicKey":{"algorithm":"ECDSA",
 * "content":PEM},"proofOfPossession":base64(sign(key, subject))}}. */
VG_NODISCARD int vg_fulcio_request_body(struct vg_buf *out, const char *token,
                                        const struct vg_crypto_key *key, const char *subject,
                                        struct vg_err **err);
struct vg_fulcio_cert {
    struct vg_x509 **certs; /* leaf first */
    size_t ncerts;
    char *leaf_pem;  /* dev.sigstore.cosign/certificate */
    char *chain_pem; /* dev.sigstore.cosign/chain: the others, concatenated */
    uint8_t *sct;    /* a detached SCT (RFC 6962 bytes), NULL when embedded */
    size_t sctlen;
};
/* signedCertificateEmbeddedSct.chain.certificates (PEM, leaf first, at most
 * VG_SIGSTORE_CHAIN_MAX), or signedCertificateDetachedSct's chain and its
 * signedCertificateTimestamp (base64 of the CT log's JSON SCT) into sct. */
VG_NODISCARD int vg_fulcio_response_parse(struct vg_fulcio_cert **out, const void *data, size_t len,
                                          struct vg_err **err);
void vg_fulcio_cert_free(struct vg_fulcio_cert *c);
/* The detached SCT verifies over the leaf (x509_entry) against a CT log of root. */
VG_NODISCARD int vg_fulcio_detached_sct_verify(const struct vg_fulcio_cert *c,
                                               const struct vg_sigstore_root *root,
                                               struct vg_err **err);
/* The leaf certifies key (else VG_E_VERIFY) and allows code signing. */
VG_NODISCARD int vg_fulcio_cert_check(const struct vg_fulcio_cert *c,
                                      const struct vg_crypto_key *key, struct vg_err **err);
/* The proposed entry: hashedrekord 0.0.1 of (sha256, sig, certificate PEM). */
VG_NODISCARD int vg_rekor_hashedrekord(struct vg_buf *out, const uint8_t sha256[32],
                                       const uint8_t *sig, size_t siglen, const char *cert_pem,
                                       struct vg_err **err);
/* Rekor's answer {"<uuid>":{body, integratedTime, logID, logIndex, verification:
 * {signedEntryTimestamp, inclusionProof?}}} into *e (kind/version from the body);
 * dispose with vg_sigstore_tlog_entry_dispose. */
VG_NODISCARD int vg_rekor_response_parse(struct vg_sigstore_tlog_entry *e, const void *data,
                                         size_t len, struct vg_err **err);
void vg_sigstore_tlog_entry_dispose(struct vg_sigstore_tlog_entry *e);
/* The logged body is the hashedrekord of this digest, signature and certificate (VG_E_VERIFY). */
VG_NODISCARD int vg_rekor_entry_check(const struct vg_sigstore_tlog_entry *e,
                                      const uint8_t sha256[32], const uint8_t *sig, size_t siglen,
                                      const char *cert_pem, struct vg_err **err);
/* A v0.3 bundle: certificate, the entry (SET, inclusion proof when present), messageSignature. */
VG_NODISCARD int vg_sigstore_bundle_render_keyless(struct vg_buf *out, const struct vg_x509 *leaf,
                                                   const uint8_t sha256[32], const uint8_t *sig,
                                                   size_t siglen,
                                                   const struct vg_sigstore_tlog_entry *e,
                                                   struct vg_err **err);
/* A v0.3 bundle, generally: certificate, one tlog entry (its kindVersion), an RFC 3161
 * timestamp when tsr is set, and either the DSSE envelope (envelope_json) or a
 * messageSignature (sha256, sig). */
struct vg_sigstore_render {
    const struct vg_x509 *leaf;
    const struct vg_sigstore_tlog_entry *entry;
    const uint8_t *tsr; /* DER TimeStampResp, or NULL */
    size_t tsrlen;
    const char *envelope_json;
    const uint8_t *sha256, *sig;
    size_t siglen;
};
VG_NODISCARD int vg_sigstore_bundle_render(struct vg_buf *out, const struct vg_sigstore_render *r,
                                           struct vg_err **err);
/* The proposed entries for a DSSE envelope signed by the certificate: dsse 0.0.1
 * ({"proposedContent":{"envelope","verifiers"}}, what sigstore-go logs for bundles) and
 * intoto 0.0.2 (the envelope with doubly base64-encoded payload and signatures and the
 * envelope's hash, what cosign 2 logs for legacy attestations). */
VG_NODISCARD int vg_rekor_dsse_proposed(struct vg_buf *out, const char *envelope_json,
                                        const char *cert_pem, struct vg_err **err);
VG_NODISCARD int vg_rekor_intoto_proposed(struct vg_buf *out, const char *envelope_json,
                                          const char *payload_type, const void *payload, size_t len,
                                          const uint8_t *sig, size_t siglen, const char *cert_pem,
                                          struct vg_err **err);
/* The logged dsse 0.0.1 or intoto 0.0.2 body is about this payload (its SHA-256), signature and
 * certificate, and for intoto this envelope (VG_E_VERIFY). */
VG_NODISCARD int vg_rekor_dsse_entry_check(const struct vg_sigstore_tlog_entry *e,
                                           const char *envelope_json, const void *payload,
                                           size_t len, const uint8_t *sig, size_t siglen,
                                           const char *cert_pem, struct vg_err **err);
/* cosign's dev.sigstore.cosign/bundle annotation {"SignedEntryTimestamp","Payload":{...}}. */
VG_NODISCARD int vg_rekor_legacy_bundle(struct vg_buf *out, const struct vg_sigstore_tlog_entry *e,
                                        struct vg_err **err);

#endif
