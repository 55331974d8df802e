/* SPDX-License-Identifier: Apache-2.0
 *
 * sign: cosign's signing formats on top of crypto/ (shared/docs/cosign-format.md §2, §3, §6):
 * the simple-signing payload (byte-identical to cosign's generator), its bounded parser and
 * claim checks, payload signatures as stored in `dev.cosignproject.cosign/signature`, DSSE
 * envelopes (PAE) and in-toto statements for attestations.
 *
 * It does no network I/O. A registry-facing `vigil sign IMAGE` is expected to:
 *   1. resolve IMAGE to its manifest digest (oci/),
 *   2. call vg_sign_docker_reference() on the normalized repository and
 *      vg_sign_image_payload() to get the payload bytes, their digest and the signature,
 *   3. GET the manifest at vg_sign_tag(digest, ".sig") and vg_sign_sig_image_parse() it (or
 *      vg_sign_sig_image_new() on 404), vg_sign_sig_image_append() the layer,
 *      vg_sign_sig_image_render() config + manifest, upload payload and config blobs, PUT the
 *      manifest at that tag.
 * Verification is the reverse: vg_sign_sig_image_verify() with a blob-fetch callback, which
 * checks each payload's digest, the signature over the exact bytes, and only then parses the
 * payload and checks claims (verify, then interpret).
 *
 * Error codes a caller may branch on: VG_E_VERIFY (signature or claim mismatch), VG_E_PARSE,
 * VG_E_LIMIT, VG_E_UNSUPPORTED (unknown predicate type), VG_E_USAGE (bad builder input).
 * Thread safety: all functions are reentrant; objects belong to one thread at a time.
 */
#ifndef VG_SIGN_H
#define VG_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "crypto/crypto.h"
#include "oci/oci.h"
#include "sign/sigstore.h"

#define VG_SIGN_MT_SIMPLESIGNING    "application/vnd.dev.cosign.simplesigning.v1+json"
#define VG_SIGN_MT_DSSE             "application/vnd.dsse.envelope.v1+json"
#define VG_SIGN_PAYLOAD_TYPE_INTOTO "application/vnd.in-toto+json"
#define VG_SIGN_ANN_SIGNATURE       "dev.cosignproject.cosign/signature"
#define VG_SIGN_ANN_CERTIFICATE     "dev.sigstore.cosign/certificate"
#define VG_SIGN_ANN_CHAIN           "dev.sigstore.cosign/chain"
#define VG_SIGN_ANN_BUNDLE          "dev.sigstore.cosign/bundle"
#define VG_SIGN_ANN_RFC3161         "dev.sigstore.cosign/rfc3161timestamp"
#define VG_SIGN_COSIGN_TYPE         "cosign container image signature"
#define VG_SIGN_STATEMENT_V01       "https://in-toto.io/Statement/v0.1"
#define VG_SIGN_STATEMENT_V1        "https://in-toto.io/Statement/v1"

/* Signatures per DSSE envelope we look at (cosign writes one). */
#define VG_SIGN_DSSE_MAX_SIGS 16u
/* A DSSE envelope: base64 of the largest payload plus room for signatures and keys. */
#define VG_SIGN_ENVELOPE_MAX (VG_LIMIT_PAYLOAD_BYTES / 3u * 4u + 64u * 1024u)
/* Annotations (-a key=value) in one payload, and subjects in one statement. */
#define VG_SIGN_MAX_ANNOTATIONS 256u
#define VG_SIGN_MAX_SUBJECTS    1024u

struct vg_sign_kv {
    const char *key;
    const char *value;
};

/* ---------------------------------------------------------------- simple signing payload */

/* cosign's form of a normalized repository: "docker.io/..." becomes "index.docker.io/..."
 * (go-containerregistry), anything else is unchanged. Caller frees. */
char *vg_sign_docker_reference(const char *repository);

/* The tag holding attachments of an image: "sha256-<hex><suffix>", suffix ".sig", ".att" or
 * "" (referrers fallback). Caller frees. */
char *vg_sign_tag(const struct vg_digest *image, const char *suffix);

/* Appends the exact bytes cosign generates (compact, Go escaping, keys in cosign's order,
 * "optional":null without annotations, annotation keys sorted bytewise, no newline).
 * Duplicate annotation keys are VG_E_USAGE. */
VG_NODISCARD int vg_sign_payload_build(struct vg_buf *out, const char *docker_reference,
                                       const struct vg_digest *manifest,
                                       const struct vg_sign_kv *annotations, size_t n,
                                       struct vg_err **err);

struct vg_sign_payload {
    char *docker_reference;
    char *manifest_digest; /* as written; compared as a string like cosign */
    char *type;
    struct vg_sign_kv *optional; /* string-valued entries of "optional", owned */
    size_t noptional;
};

/* Parses a payload: at most VG_LIMIT_PAYLOAD_BYTES, duplicate keys rejected, lowercase keys
 * only (stricter than cosign's case-insensitive Go decoder). */
VG_NODISCARD int vg_sign_payload_parse(struct vg_sign_payload **out, const void *data, size_t len,
                                       struct vg_err **err);
void vg_sign_payload_free(struct vg_sign_payload *p);

/* cosign's claim checks (§2.2) plus the type string: digest equal, type equal to
 * VG_SIGN_COSIGN_TYPE, each wanted annotation present with an equal value. VG_E_VERIFY. */
VG_NODISCARD int vg_sign_payload_check_claims(const struct vg_sign_payload *p,
                                              const struct vg_digest *manifest,
                                              const struct vg_sign_kv *want, size_t n,
                                              struct vg_err **err);

/* Signs/verifies payload bytes; the signature is standard base64 as in the annotation. */
VG_NODISCARD int vg_sign_payload_sign(const struct vg_crypto_key *key, const void *payload,
                                      size_t len, char **sig_b64, struct vg_err **err);
VG_NODISCARD int vg_sign_payload_verify(const struct vg_crypto_key *key, const void *payload,
                                        size_t len, const char *sig_b64, struct vg_err **err);

/* Everything one signature layer needs. */
struct vg_sign_layer {
    char *payload; /* owned, NUL-terminated */
    size_t payload_len;
    struct vg_digest digest; /* sha256 of payload = layer digest and config diff_id */
    char *signature;         /* base64, value of VG_SIGN_ANN_SIGNATURE */
    /* more annotations of the layer (keyless: dev.sigstore.cosign/certificate, /chain,
     * /bundle); keys and values owned */
    struct vg_sign_kv *extra;
    size_t nextra;
};
void vg_sign_layer_dispose(struct vg_sign_layer *l);

/* Builds and signs the payload for an image. */
VG_NODISCARD int vg_sign_image_payload(struct vg_sign_layer *out, const struct vg_crypto_key *key,
                                       const char *docker_reference,
                                       const struct vg_digest *manifest,
                                       const struct vg_sign_kv *annotations, size_t n,
                                       struct vg_err **err);

/* ---------------------------------------------------------------- the `.sig` image */

/* Layers a `.sig` manifest may hold (cosign's readers refuse more than 1000). */
#define VG_SIGN_MAX_SIG_LAYERS 1000u

/* One layer of a signature manifest. */
struct vg_sign_sig_entry {
    char *media_type;
    struct vg_digest digest;
    uint64_t size;
    struct vg_sign_kv *annotations; /* owned */
    size_t nannotations;
};

struct vg_sign_sig_image {
    struct vg_sign_sig_entry *layers;
    size_t n;
};

/* An empty signature image (the tag did not exist yet: HTTP 404). */
struct vg_sign_sig_image *vg_sign_sig_image_new(void);
/* Parses the manifest found at the `.sig` tag (<= VG_LIMIT_MANIFEST_BYTES,
 * <= VG_SIGN_MAX_SIG_LAYERS layers, strict digests, string annotations). */
VG_NODISCARD int vg_sign_sig_image_parse(struct vg_sign_sig_image **out, const void *manifest,
                                         size_t len, struct vg_err **err);
void vg_sign_sig_image_free(struct vg_sign_sig_image *img);
const char *vg_sign_sig_entry_annotation(const struct vg_sign_sig_entry *e, const char *key);

/* Appends one signature layer (media type simple-signing, annotation
 * VG_SIGN_ANN_SIGNATURE); *appended is false when an identical layer (same payload digest and
 * signature) is already there, as cosign skips it. */
VG_NODISCARD int vg_sign_sig_image_append(struct vg_sign_sig_image *img,
                                          const struct vg_sign_layer *layer, bool *appended,
                                          struct vg_err **err);

/* Renders the config blob and the OCI manifest exactly as cosign (go-containerregistry) writes
 * them: config {"architecture":"","created":"0001-01-01T00:00:00Z","history":[…],"os":"",
 * "rootfs":{"type":"layers","diff_ids":[…]},"config":{}}, manifest with sorted annotations.
 * The caller uploads the config and every payload blob, then PUTs the manifest at
 * vg_sign_tag(image, ".sig"). */
VG_NODISCARD int vg_sign_sig_image_render(const struct vg_sign_sig_image *img,
                                          struct vg_buf *config, struct vg_buf *manifest,
                                          struct vg_err **err);

/* Supplies the payload blob of a layer (e.g. a registry GET); must not exceed out->max. The
 * verifier checks its size and digest itself. */
typedef int (*vg_sign_blob_fetch_fn)(void *ctx, const struct vg_sign_sig_entry *layer,
                                     struct vg_buf *out, struct vg_err **err);

/* Keyless verification of image signatures (docs/sigstore.md "Images"): the trusted root and
 * the signer identities, any one of which suffices (cosign's flags give one; a policy's
 * authority may list several). Each identity carries its own --insecure-ignore-sct/-tlog. */
struct vg_sign_keyless {
    const struct vg_sigstore_root *root;
    const struct vg_sigstore_policy *identities;
    size_t nidentities;
};

struct vg_dsse_envelope;
/* A legacy layer's keyless evidence (certificate, Rekor bundle, RFC 3161
 * annotations) as a v0.1 Sigstore bundle over payload (a simple-signing layer) or over env (an
 * attestation layer's DSSE envelope; payload, when given, is then the layer's blob, which its
 * RFC 3161 timestamp is over, as cosign's). No certificate annotation: VG_E_VERIFY. */
VG_NODISCARD int vg_sign_keyless_legacy_bundle(struct vg_sigstore_bundle **out,
                                               const struct vg_sign_sig_entry *l,
                                               const uint8_t *payload, size_t len,
                                               const struct vg_dsse_envelope *env,
                                               struct vg_err **err);
/* A key-signed legacy layer's transparency-log evidence (its Rekor bundle annotation, RFC 3161
 * annotation) as a v0.1 bundle with public-key verification material over payload, for
 * vg_sigstore_verify with the key (certificate annotations are not looked at). No Rekor
 * bundle annotation: VG_E_VERIFY saying so. */
VG_NODISCARD int vg_sign_key_legacy_bundle(struct vg_sigstore_bundle **out,
                                           const struct vg_sign_sig_entry *l,
                                           const uint8_t *payload, size_t len, struct vg_err **err);
struct vg_sign_verify_opts {
    const struct vg_crypto_key *key;
    const struct vg_digest *image;        /* the resolved image digest */
    const struct vg_sign_kv *annotations; /* -a key=value pairs that must be present */
    size_t nannotations;
    bool check_claims; /* cosign's --check-claims, default true */
    /* With check_claims: the payload's docker-reference must equal this (cosign's form of the
     * image repository, vg_sign_docker_reference()); NULL skips the check, as cosign does. */
    const char *docker_reference;
    /* Used when key is NULL: a signature must carry a Fulcio certificate (legacy annotations
     * or the bundle's verification material) and verify under this root and an identity. */
    const struct vg_sign_keyless *keyless;
    /* With key, signatures only: each signature must also carry transparency-log evidence
     * under these logs (tlog->tlogs; its other lists are not used), as cosign verify --key
     * without --insecure-ignore-tlog and Kyverno's keys/certificates attestors require it
     * offline: a legacy layer's Rekor bundle annotation (SET by a log of tlog, body = this
     * signature by this key over this payload), a bundle's tlog entries (vg_sigstore_verify).
     * NULL: none required. */
    const struct vg_sigstore_root *tlog;
};

/* Per layer: the parsed payload when it verified, else the reason. */
struct vg_sign_verify_result {
    size_t n, nverified;
    struct vg_sign_payload **payloads; /* [n], NULL where not verified */
    struct vg_err **errors;            /* [n], NULL where verified */
};
void vg_sign_verify_result_dispose(struct vg_sign_verify_result *r);

/* Verifies every layer (§5.1 steps 1, 3, 4; no transparency log): blob digest and size,
 * signature over the exact bytes, then claims. Success when at least one layer passes;
 * VG_E_NOTFOUND with no layers, VG_E_VERIFY when none passes (details in res->errors). */
VG_NODISCARD int vg_sign_sig_image_verify(const struct vg_sign_sig_image *img,
                                          const struct vg_sign_verify_opts *o,
                                          vg_sign_blob_fetch_fn fetch, void *ctx,
                                          struct vg_sign_verify_result *res, struct vg_err **err);

/* ---------------------------------------------------------------- DSSE */

struct vg_dsse_sig {
    char *keyid; /* "" when absent */
    uint8_t *sig;
    size_t siglen;
};

struct vg_dsse_envelope {
    char *payload_type;
    uint8_t *payload; /* decoded, NUL-terminated */
    size_t payload_len;
    struct vg_dsse_sig *sigs;
    size_t nsigs;
};

/* The pre-authentication encoding: "DSSEv1 <len> <type> <len> <payload>". */
VG_NODISCARD int vg_sign_dsse_pae(struct vg_buf *out, const char *payload_type, const void *payload,
                                  size_t len, struct vg_err **err);
/* Parses an envelope (<= VG_SIGN_ENVELOPE_MAX, payload <= VG_LIMIT_PAYLOAD_BYTES, 1 to
 * VG_SIGN_DSSE_MAX_SIGS signatures, duplicate keys rejected). */
VG_NODISCARD int vg_sign_dsse_parse(struct vg_dsse_envelope **out, const void *json, size_t len,
                                    struct vg_err **err);
void vg_sign_dsse_free(struct vg_dsse_envelope *e);
/* Succeeds when any signature verifies over the PAE with key; VG_E_VERIFY otherwise. */
VG_NODISCARD int vg_sign_dsse_verify(const struct vg_dsse_envelope *e,
                                     const struct vg_crypto_key *key, struct vg_err **err);
/* Signs and appends the envelope JSON in cosign's layout:
 * {"payloadType":…,"payload":…,"signatures":[{"keyid":"","sig":…}]}. */
VG_NODISCARD int vg_sign_dsse_sign(struct vg_buf *out, const struct vg_crypto_key *key,
                                   const char *payload_type, const void *payload, size_t len,
                                   struct vg_err **err);

/* ---------------------------------------------------------------- in-toto statements */

/* The predicateType URI for a `--type` value (custom, slsaprovenance, slsaprovenance02,
 * slsaprovenance1, spdx, spdxjson, cyclonedx, link, vuln, openvex) or an absolute URI, which
 * is returned as is. NULL when unknown. Static storage or `type` itself. */
const char *vg_sign_predicate_type(const char *type);

/* Appends a v0.1 statement as cosign attest builds it: subject {name, digest.sha256}, and the
 * predicate from `predicate` bytes: custom → {"Data": text, "Timestamp": RFC 3339 of now},
 * spdx → a JSON string, any other type → the bytes parsed as JSON (duplicate keys rejected). */
VG_NODISCARD int vg_sign_statement_build(struct vg_buf *out, const char *type,
                                         const char *subject_name, const struct vg_digest *subject,
                                         const void *predicate, size_t predicate_len, int64_t now,
                                         struct vg_err **err);

struct vg_sign_subject {
    char *name;                     /* "" when absent */
    char sha256[64 + 1];            /* "" when the subject has no sha256 */
    struct vg_sign_kv *annotations; /* string-valued "annotations" (statement v1), owned */
    size_t nannotations;
};

struct vg_sign_statement {
    char *type;
    char *predicate_type;
    struct vg_sign_subject *subjects;
    size_t nsubjects;
};

VG_NODISCARD int vg_sign_statement_parse(struct vg_sign_statement **out, const void *data,
                                         size_t len, struct vg_err **err);
void vg_sign_statement_free(struct vg_sign_statement *s);
/* cosign's attestation claims: some subject's sha256 equals `sha256` (NULL: skip), and the
 * predicate type equals vg_sign_predicate_type(type) (NULL: skip). VG_E_VERIFY. */
VG_NODISCARD int vg_sign_statement_check(const struct vg_sign_statement *s,
                                         const struct vg_digest *subject, const char *type,
                                         struct vg_err **err);

/* Envelope → signature over PAE → payloadType in-toto → statement → claims. The parsed
 * statement is returned in *out when non-NULL. */
VG_NODISCARD int vg_sign_attestation_verify(const void *envelope, size_t len,
                                            const struct vg_crypto_key *key,
                                            const struct vg_digest *subject, const char *type,
                                            struct vg_sign_statement **out, struct vg_err **err);

/* ---------------------------------------------------------------- the `.att` image */

/* Builds a statement (vg_sign_statement_build) about `subject`, signs it into a DSSE envelope
 * and returns it as a layer: payload = envelope JSON, digest of it, signature "" (attestation
 * layers carry their signature inside the envelope). */
VG_NODISCARD int vg_sign_attestation_sign(struct vg_sign_layer *out,
                                          const struct vg_crypto_key *key, const char *type,
                                          const char *subject_name, const struct vg_digest *subject,
                                          const void *predicate, size_t predicate_len, int64_t now,
                                          struct vg_err **err);

/* Appends an envelope layer to the image found at vg_sign_tag(image, ".att"): media type
 * VG_SIGN_MT_DSSE, annotations {signature: "", predicateType: URI}. With replace, existing
 * DSSE layers of the same predicate type are dropped first (cosign --replace); without it an
 * identical envelope is not added twice. Render with vg_sign_sig_image_render(). */
VG_NODISCARD int vg_sign_att_image_append(struct vg_sign_sig_image *img,
                                          const struct vg_sign_layer *envelope,
                                          const char *predicate_type, bool replace, bool *appended,
                                          struct vg_err **err);

/* Per layer: the envelope JSON and its statement when it verified, else the reason. */
struct vg_sign_att_result {
    size_t n, nverified;
    char **envelopes;                      /* [n] */
    struct vg_sign_statement **statements; /* [n] */
    struct vg_err **errors;                /* [n] */
};
void vg_sign_att_result_dispose(struct vg_sign_att_result *r);

/* cosign verify-attestation over the `.att` image (§6.4): blob digest and size, signature over
 * the PAE, payloadType in-toto, then (o->check_claims) a subject equal to o->image, and the
 * predicate type of `type` (e.g. "custom", "cyclonedx", a URI; NULL: any). */
VG_NODISCARD int vg_sign_att_image_verify(const struct vg_sign_sig_image *img,
                                          const struct vg_sign_verify_opts *o, const char *type,
                                          vg_sign_blob_fetch_fn fetch, void *ctx,
                                          struct vg_sign_att_result *res, struct vg_err **err);

/* ---------------------------------------------------------------- cosign 3 bundles (bundle.c) */

#define VG_SIGN_MT_BUNDLE_V03    "application/vnd.dev.sigstore.bundle.v0.3+json"
#define VG_SIGN_MT_BUNDLE_PREFIX "application/vnd.dev.sigstore.bundle"
#define VG_SIGN_MT_OCI_MANIFEST  "application/vnd.oci.image.manifest.v1+json"
#define VG_SIGN_MT_OCI_EMPTY     "application/vnd.oci.empty.v1+json"
#define VG_SIGN_PREDICATE_SIGN   "https://sigstore.dev/cosign/sign/v1"
/* The empty config "{}" every referrer manifest points at. */
#define VG_SIGN_EMPTY_CONFIG_DIGEST                                                                \
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
/* Referrers of one image we look at (and list in a fallback index). */
#define VG_SIGN_MAX_REFERRERS 1000u

/* The in-toto v1 statement `cosign sign` v3 signs (§4.1): one subject {digest.sha256,
 * annotations (the -a pairs, sorted; omitted when none)}, predicateType
 * VG_SIGN_PREDICATE_SIGN, predicate {}. Duplicate keys are VG_E_USAGE. */
VG_NODISCARD int vg_sign_statement_v1_build(struct vg_buf *out, const struct vg_digest *subject,
                                            const struct vg_sign_kv *annotations, size_t n,
                                            struct vg_err **err);

/* Signs statement into a DSSE envelope and wraps it in a key-signed bundle v0.3:
 * {"mediaType":…,"verificationMaterial":{"publicKey":{"hint":…}},"dsseEnvelope":{…}}. */
VG_NODISCARD int vg_sign_bundle_build(struct vg_buf *out, const struct vg_crypto_key *key,
                                      const char *statement, size_t len, struct vg_err **err);

struct vg_sign_bundle {
    char *media_type;
    char *envelope_json; /* the dsseEnvelope object, compact (what verify-attestation prints) */
    struct vg_dsse_envelope *envelope;
    /* The same bytes as a Sigstore bundle for keyless verification; NULL with the reason in
     * sigstore_err when they do not parse as one. */
    struct vg_sigstore_bundle *sigstore;
    struct vg_err *sigstore_err;
};
/* Parses a bundle: v0.3 media type only (VG_E_UNSUPPORTED otherwise, as cosign refuses older
 * bundles on images), a DSSE envelope (messageSignature: VG_E_UNSUPPORTED), duplicate keys
 * rejected. Transparency-log entries and timestamps are not interpreted. */
VG_NODISCARD int vg_sign_bundle_parse(struct vg_sign_bundle **out, const void *data, size_t len,
                                      struct vg_err **err);
void vg_sign_bundle_free(struct vg_sign_bundle *b);
/* Blob bundles (cosign 3 `sign-blob --bundle`, §8): a bundle whose content is a
 * messageSignature {messageDigest {SHA2_256, base64 digest}, signature over the blob's bytes},
 * key-signed (publicKey hint), no transparency log. */
VG_NODISCARD int vg_sign_blob_bundle_build(struct vg_buf *out, const struct vg_crypto_key *key,
                                           const void *blob, size_t len, struct vg_err **err);
/* The same around a signature already made over blob with key (so one signature can go both
 * into a bundle and out as bare base64). */
VG_NODISCARD int vg_sign_blob_bundle_render(struct vg_buf *out, const struct vg_crypto_key *key,
                                            const void *blob, size_t len, const uint8_t *sig,
                                            size_t siglen, struct vg_err **err);
struct vg_sign_blob_bundle {
    char *media_type;
    struct vg_digest digest; /* the blob's, as the bundle states it */
    uint8_t *sig;
    size_t siglen;
};
/* Bundle media types v0.1–v0.3; messageSignature content with a SHA2_256 or SHA2_512 digest
 * (a DSSE bundle is VG_E_UNSUPPORTED), at most 64 KiB, duplicate keys rejected. */
VG_NODISCARD int vg_sign_blob_bundle_parse(struct vg_sign_blob_bundle **out, const void *data,
                                           size_t len, struct vg_err **err);
void vg_sign_blob_bundle_free(struct vg_sign_blob_bundle *b);
/* The blob's digest must equal the bundle's, then the signature must verify with key over the
 * blob's bytes; VG_E_VERIFY otherwise. */
VG_NODISCARD int vg_sign_blob_bundle_verify(const struct vg_sign_blob_bundle *b,
                                            const struct vg_crypto_key *key, const void *blob,
                                            size_t len, struct vg_err **err);

/* §4.4: DSSE signature with o->key, payloadType in-toto, statement parsed; predicate_type (NULL:
 * any) must match exactly; with o->check_claims some subject's sha256 equals o->image and its
 * annotations hold every o->annotations pair. The statement goes to *out when non-NULL. */
VG_NODISCARD int vg_sign_bundle_verify(const struct vg_sign_bundle *b,
                                       const struct vg_sign_verify_opts *o,
                                       const char *predicate_type, struct vg_sign_statement **out,
                                       struct vg_err **err);

struct vg_sign_referrer {
    const struct vg_digest *bundle; /* the bundle blob */
    uint64_t bundle_size;
    const char *predicate_type; /* dev.sigstore.bundle.predicateType */
    const char *created;        /* RFC 3339 */
    const char *subject_media_type;
    const struct vg_digest *subject;
    uint64_t subject_size;
};
/* The OCI 1.1 referrer manifest of §4.3 (empty config, one bundle layer, subject). */
VG_NODISCARD int vg_sign_referrer_manifest_build(struct vg_buf *out,
                                                 const struct vg_sign_referrer *r,
                                                 struct vg_err **err);
/* The referrers tag schema: appends to out the index (len 0: a new one) with an entry for
 * manifest (mediaType, size, digest, artifact_type, the manifest's annotations). *added is false
 * (and out gets index unchanged) when the manifest is already listed. */
VG_NODISCARD int vg_sign_referrers_index_add(struct vg_buf *out, const void *index, size_t len,
                                             const void *manifest, size_t mlen,
                                             const char *artifact_type, bool *added,
                                             struct vg_err **err);

/* ---------------------------------------------------------------- registry flows (flow.c) */

/* An image in a registry resolved for signing or verification, with the clients for its own
 * repository and for the repository holding its signatures (VIGIL_REPOSITORY /
 * COSIGN_REPOSITORY, else the same). */
struct vg_sign_target {
    struct vg_oci_ref *ref;  /* as given, normalized */
    char *name;              /* "registry/repository" */
    char *docker_reference;  /* cosign's form of name (payload identity) */
    struct vg_digest digest; /* the manifest or index signed */
    char *media_type;
    uint64_t size;
    uint8_t *manifest; /* exact bytes */
    size_t manifest_len;
    char *store_name; /* "registry/repository" holding attachments */
    struct vg_oci_remote_client *images;
    struct vg_oci_remote_client *store; /* == images unless another repository is configured */
    bool borrowed;                      /* clients belong to a parent target */
};

/* $VIGIL_REPOSITORY, else $COSIGN_REPOSITORY, else NULL (empty counts as unset). */
const char *vg_sign_repository_env(void);

/* Resolves image (a registry reference; a tag is resolved to its digest by GET) and opens the
 * clients; repository (NULL: vg_sign_repository_env()) moves the attachments elsewhere. */
VG_NODISCARD int vg_sign_target_open(struct vg_sign_target **out, const char *image,
                                     const struct vg_oci_open_opts *o, const char *repository,
                                     struct vg_err **err);
/* A target for one entry of an index target (for --recursive), sharing its clients. */
VG_NODISCARD int vg_sign_target_child(struct vg_sign_target **out,
                                      const struct vg_sign_target *parent,
                                      const struct vg_oci_desc *child, struct vg_err **err);
void vg_sign_target_free(struct vg_sign_target *t);

struct vg_sign_push_opts {
    const struct vg_crypto_key *key;
    const struct vg_sign_kv *annotations; /* -a pairs (signatures only) */
    size_t nannotations;
    bool bundle; /* cosign 3 layout (referrer + bundle) instead of the legacy tag */
    int64_t now; /* unix seconds for timestamps */
    /* attestations only */
    const char *type; /* --type */
    const void *predicate;
    size_t predicate_len;
    bool replace; /* drop older .att layers of the same predicate type */
    /* keyless signatures (legacy layout only): instead of signing with key, sign_layer gets
     * the layer with its payload and digest set, fills signature and extra, and names the
     * (ephemeral) key that verifies it in *key, valid until the next call */
    int (*sign_layer)(void *ud, struct vg_sign_layer *l, const struct vg_crypto_key **key,
                      struct vg_err **err);
    /* keyless statements (bundle signatures, attestations in both layouts): instead of
     * signing with key, sign_statement signs the in-toto statement about subject into a DSSE
     * envelope and writes either the whole v0.3 bundle to bundle (bundle != NULL) or the
     * legacy `.att` layer l (payload = the envelope, digest, signature "", extra annotations) */
    int (*sign_statement)(void *ud, const char *statement, size_t len,
                          const struct vg_digest *subject, struct vg_buf *bundle,
                          struct vg_sign_layer *l, struct vg_err **err);
    void *sign_layer_ud; /* for both hooks */
};

struct vg_sign_push_result {
    char *location;            /* "repo:sha256-….sig" or "repo@sha256:…" (referrer) */
    struct vg_digest manifest; /* what was PUT */
    bool appended;             /* false: an equivalent signature was already there */
    bool fallback;             /* bundle: the referrers tag schema index was updated */
    unsigned retries;          /* re-appends after a concurrent writer replaced the tag */
};
void vg_sign_push_result_dispose(struct vg_sign_push_result *r);

/* `vigil sign`: legacy (read-modify-write of the `.sig` image, then a re-read that re-appends
 * when a concurrent signer's PUT dropped our layer; an existing layer with the same payload
 * whose signature verifies with this key is kept instead of adding another, as cosign does) or
 * bundle (blob, empty config, referrer manifest by digest, fallback index when the registry
 * has no referrers API). Never uploads the image itself. */
VG_NODISCARD int vg_sign_target_sign(const struct vg_sign_target *t,
                                     const struct vg_sign_push_opts *o,
                                     struct vg_sign_push_result *res, struct vg_err **err);
/* `vigil attest`: a DSSE envelope over a v0.1 statement, appended to the `.att` image (legacy)
 * or stored as a bundle referrer. */
VG_NODISCARD int vg_sign_target_attest(const struct vg_sign_target *t,
                                       const struct vg_sign_push_opts *o,
                                       struct vg_sign_push_result *res, struct vg_err **err);

struct vg_sign_check_opts {
    const struct vg_crypto_key *const *keys;
    size_t nkeys;
    size_t threshold; /* distinct keys that must each verify a signature (0 or 1: any) */
    const struct vg_sign_kv *annotations;
    size_t nannotations;
    bool check_claims;    /* digest, annotations (and docker-reference, see below) */
    bool check_reference; /* legacy payloads must name this image's repository */
    const char *att_type; /* NULL: signatures (vigil verify); else verify-attestation --type */
    /* Keyless authority (counts as one key for the threshold); may be combined with keys. */
    const struct vg_sign_keyless *keyless;
    /* Keys: transparency-log evidence required of each signature (vg_sign_verify_opts.tlog);
     * not with att_type (VG_E_USAGE). */
    const struct vg_sigstore_root *tlog;
};

/* One signature or attestation found for the image. */
struct vg_sign_check_item {
    char *where; /* "127.0.0.1:5000/app:sha256-….sig layer 1", "referrer sha256:…" */
    bool bundle;
    bool verified;
    char *output;         /* verify: payload JSON (legacy bytes or cosign's synthesized form);
                           * verify-attestation: the envelope JSON. NULL unless verified */
    char *payload;        /* the signed payload (simple-signing JSON or statement). NULL unless
                           * verified */
    size_t keys_ok;       /* keys this item verified with */
    struct vg_err *error; /* why it did not verify (the first key's reason) */
    /* vg_sign_store_verify only: for an item that did not verify, whether a configured key
     * verifies its signature or its content is malformed or altered (VG_SIGN_FAILURE_BAD: the
     * claims do not hold for this image, the payload does not match its digest, unparseable),
     * or no configured key verifies it (VG_SIGN_FAILURE_KEY: signed by another key; an ECDSA
     * signature whose signed bytes were altered cannot be told apart from that). */
    enum vg_sign_failure {
        VG_SIGN_FAILURE_NONE = 0,
        VG_SIGN_FAILURE_KEY,
        VG_SIGN_FAILURE_BAD,
    } failure;
};

struct vg_sign_check_result {
    struct vg_sign_check_item *items;
    size_t n, nverified;
    size_t keys_ok;    /* distinct keys that verified at least one item */
    uint64_t net_ns;   /* time spent in registry requests */
    uint64_t total_ns; /* the whole verification */
};
void vg_sign_check_result_dispose(struct vg_sign_check_result *r);

/* `vigil verify` / `verify-attestation`: collects bundles (referrers API, else the fallback
 * tag; errors there are logged and skipped like cosign 3) and the legacy `.sig`/`.att` layers,
 * fetches every blob once, verifies each with every key. Succeeds when at least one item
 * verifies and keys_ok >= threshold; VG_E_VERIFY otherwise (also when nothing is attached).
 * Registry errors on the legacy tag (other than 404) are returned as they are. */
VG_NODISCARD int vg_sign_target_verify(const struct vg_sign_target *t,
                                       const struct vg_sign_check_opts *o,
                                       struct vg_sign_check_result *res, struct vg_err **err);

/* Signatures of an image kept by a store the caller owns (the registry's own storage and
 * metadata) instead of a remote registry: nothing goes over HTTP. Every manifest and blob is
 * read through `blobs` and checked against its digest here, bounded like the remote path. */
struct vg_sign_store {
    void *ud;
    /* The manifest digest `tag` names in the repository holding the signatures; VG_E_NOTFOUND
     * when there is no such tag. */
    int (*tag_resolve)(void *ud, const char *tag, struct vg_digest *out, struct vg_err **err);
    /* Digests of the manifests whose subject is `image` that may carry signatures (the caller
     * may pre-filter by artifact type), in a stable order; *out allocated, freed by the caller. */
    int (*referrers)(void *ud, const struct vg_digest *image, struct vg_digest **out, size_t *n,
                     struct vg_err **err);
    struct vg_oci_blob_provider blobs; /* manifests and blobs by digest */
};

/* vg_sign_target_verify for signatures (o->att_type must be NULL) over a store: the legacy
 * `sha256-<hex>.sig` tag's layers, and referrers holding either a cosign bundle (one
 * application/vnd.dev.sigstore.bundle* layer, predicate VG_SIGN_PREDICATE_SIGN) or
 * simple-signing layers (cosign's OCI 1.1 referrers mode). `name` labels items
 * ("name:sha256-….sig layer 0", "name@sha256:… (referrer)"); o->check_reference is ignored
 * (the store has no registry host name to compare with). Same verdict as
 * vg_sign_target_verify; items that did not verify carry a `failure` class. */
VG_NODISCARD int vg_sign_store_verify(const struct vg_sign_store *s, const char *name,
                                      const struct vg_digest *image,
                                      const struct vg_sign_check_opts *o,
                                      struct vg_sign_check_result *res, struct vg_err **err);

/* `vigil tree`: what is attached to the image. */
struct vg_sign_tree_entry {
    char *kind;     /* "signature", "attestation", "sbom", "referrer" */
    char *location; /* tag or referrer manifest digest */
    char *digest;   /* layer (blob) digest */
    char *detail;   /* media type, predicate type or artifact type */
};
struct vg_sign_tree {
    struct vg_sign_tree_entry *entries;
    size_t n;
    bool referrers_api; /* false: the fallback tag schema was read */
};
void vg_sign_tree_dispose(struct vg_sign_tree *t);
VG_NODISCARD int vg_sign_target_tree(const struct vg_sign_target *t, struct vg_sign_tree *out,
                                     struct vg_err **err);

/* ---------------------------------------------------------------- keys (keyfile.c) */

/* A cosign encrypted private key, from the file at path or from len bytes of memory (a key
 * held inline in a configuration; name labels errors). The envelope is checked before pw is
 * asked for the password (crypto.h's vg_crypto_password: the CLI's prompts, a server's hands
 * out a configured secret), so a malformed key fails without a prompt. Errors: those of
 * crypto/ (VG_E_AUTH wrong password, VG_E_PARSE, VG_E_UNSUPPORTED, VG_E_LIMIT over
 * VG_CRYPTO_KEY_FILE_MAX), the password source's, and of reading the file, all wrapped as
 * "key NAME". */
VG_NODISCARD int vg_sign_key_load_private(struct vg_crypto_key **out, const char *path,
                                          const struct vg_crypto_password *pw, struct vg_err **err);
VG_NODISCARD int vg_sign_key_load_private_mem(struct vg_crypto_key **out, const char *name,
                                              const void *data, size_t len,
                                              const struct vg_crypto_password *pw,
                                              struct vg_err **err);
/* A public key (PEM SPKI, PEM PKCS#1 RSA or DER SPKI, crypto/'s allowlist) from a file or from
 * memory; errors wrapped as "public key NAME". */
VG_NODISCARD int vg_sign_key_load_public(struct vg_crypto_key **out, const char *path,
                                         struct vg_err **err);
VG_NODISCARD int vg_sign_key_load_public_mem(struct vg_crypto_key **out, const char *name,
                                             const void *data, size_t len, struct vg_err **err);

/* Public keys for verification (key rotation). */
#define VG_SIGN_MAX_KEYS 256u
struct vg_sign_keyset {
    struct vg_crypto_key **keys;
    char **paths; /* the file path, or the name given to vg_sign_keyset_add_mem */
    size_t n;
};
/* Adds the key in file path, or every *.pub / *.pem file of directory path (sorted by name;
 * none is VG_E_NOTFOUND). Keys outside crypto/'s allowlist (RSA < 2048 bits, curves other
 * than P-256/P-384/P-521) are refused with the reason. More than VG_SIGN_MAX_KEYS in the set
 * is VG_E_LIMIT. */
VG_NODISCARD int vg_sign_keyset_add(struct vg_sign_keyset *ks, const char *path,
                                    struct vg_err **err);
/* Adds one public key given as len bytes (a key inline in a policy or a server's
 * configuration); name labels it in errors and in ks->paths. */
VG_NODISCARD int vg_sign_keyset_add_mem(struct vg_sign_keyset *ks, const char *name,
                                        const void *data, size_t len, struct vg_err **err);
void vg_sign_keyset_dispose(struct vg_sign_keyset *ks);

/* ---------------------------------------------------------------- Docker Content Trust
 * (dct.c) an image signed in its Notary v1 repository, through tuf/'s client. */

/* The image's notary server: $DOCKER_CONTENT_TRUST_SERVER, else https://notary.docker.io for
 * Docker Hub, else https://<registry> (docker's choice). Caller frees. */
char *vg_sign_dct_server(const struct vg_oci_ref *ref);
/* $DOCKER_CONFIG/tls/<host[:port]>/ca.crt (docker's layout) for an https server, when it
 * exists; else NULL. Caller frees. */
char *vg_sign_dct_ca(const char *server);
/* The registry's docker credentials for its notary server (vg_tuf_notary_opts.creds; payload
 * a struct vg_sign_dct_creds_ctx): --creds, else config.json and its helpers; the entry's
 * identity token (`identitytoken`) too. */
struct vg_sign_dct_creds_ctx {
    const char *registry;
    const struct vg_oci_open_opts *open;
};
int vg_sign_dct_creds(void *payload, char **user, char **password, char **identity_token,
                      struct vg_err **err);

struct vg_sign_dct_opts {
    const char *server;    /* NULL: vg_sign_dct_server */
    const char *trust_dir; /* NULL: docker's ($DOCKER_CONFIG/trust or ~/.docker/trust) */
    const struct vg_oci_open_opts *open; /* registry options and credentials (required) */
    const char *const *signers;          /* delegation names ("alice": targets/alice) one of
                                            which must have signed; none: any role */
    size_t nsigners;
    const char *ca_file; /* the server's CA bundle; NULL: docker's tls/<host>/ca.crt, else
                            open->ca_file */
};
struct vg_sign_dct_result {
    char *role; /* the role that signed ("targets/releases", "targets/alice", "targets") */
    char *tag;  /* the signed tag */
    uint8_t sha256[32];
    uint64_t length; /* the target's signed length */
};
/* IMAGE:TAG: the tag's signed target (docker's lookup; with signers, in one of their roles)
 * is the manifest the registry serves for the tag. IMAGE:TAG@DIGEST or IMAGE@DIGEST: the tag
 * (or, without one, any signed tag) has DIGEST as its target; the registry is not asked.
 * VG_E_NOTFOUND no trust data for it, VG_E_VERIFY metadata or manifest that does not verify,
 * else as vg_tuf_notary_open and the registry client. */
VG_NODISCARD int vg_sign_dct_verify(const char *image, const struct vg_sign_dct_opts *o,
                                    struct vg_sign_dct_result *out, struct vg_err **err);
void vg_sign_dct_result_dispose(struct vg_sign_dct_result *r);
/* VG_E_VERIFY "is not the one signed in trust data (...)" unless the manifest's digest d and
 * length len are r's target's (callers prefix what the manifest is). */
VG_NODISCARD int vg_sign_dct_matches(const struct vg_sign_dct_result *r, const struct vg_digest *d,
                                     uint64_t len, struct vg_err **err);
/* The same question asked by whoever already holds the manifest (the registry's pull gate):
 * the repository gun (of registry, for docker's default server and the credentials) signs
 * the manifest whose digest is d and length len. With tag: the tag's signed target (as above) is
 * the manifest, SHA-256 and length; tag NULL: some signed tag's target (with signers, in one of
 * their roles) is. o->open may be NULL (anonymous, no deadline). Errors as vg_sign_dct_verify. */
VG_NODISCARD int vg_sign_dct_check(const char *gun, const char *registry, const char *tag,
                                   const struct vg_digest *d, uint64_t len,
                                   const struct vg_sign_dct_opts *o, struct vg_sign_dct_result *out,
                                   struct vg_err **err);

#endif
