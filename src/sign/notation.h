/* SPDX-License-Identifier: Apache-2.0
 *
 * sign/notation: Notary Project signatures (Notation), docs/notation.md. An image's signature is
 * an OCI manifest attached to it through `subject` (artifact type / config media type
 * VG_NOTATION_ARTIFACT_TYPE) whose single layer is a signature envelope, JWS (JSON
 * serialization, application/jose+json) or COSE_Sign1 (application/cose). The envelope signs
 * {"targetArtifact": <descriptor of the image manifest>} together with signed attributes
 * (content type, signing scheme, signing time or authentic signing time, expiry) and carries
 * the X.509 chain leaf → root and an optional RFC 3161 timestamp token unsigned.
 *
 * Verification follows trust-store-trust-policy.md: a trustpolicy.json (version 1.0) picks the
 * policy of the image's repository (exact scope, else the global "*"), whose level (strict,
 * permissive, audit, skip, with per-check overrides) says which of the checks integrity,
 * authenticity, authentic timestamp, expiry and revocation are enforced or only logged. Trust
 * anchors come from notation's trust store layout DIR/x509/{ca,signingAuthority,tsa}/NAME/.
 * Revocation (OCSP/CRL) asks the responders and CRL distribution points the chain names, with
 * a response cache (notation_rcache.c) shared by the whole process.
 *
 * Error codes a caller may branch on: VG_E_VERIFY (a signature or policy check failed),
 * VG_E_PARSE / VG_E_LIMIT (malformed or oversized envelope, policy or certificate),
 * VG_E_UNSUPPORTED (unknown critical attribute, algorithm, envelope type), VG_E_NOTFOUND (no
 * policy applies, missing trust store), VG_E_USAGE (bad signing input).
 * Thread safety: reentrant; objects belong to one thread at a time. The revocation cache and
 * settings are process-wide and guarded by their own mutex.
 */
#ifndef VG_SIGN_NOTATION_H
#define VG_SIGN_NOTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "crypto/crypto.h"
#include "sign/sign.h"

#define VG_NOTATION_ARTIFACT_TYPE  "application/vnd.cncf.notary.signature"
#define VG_NOTATION_MT_JWS         "application/jose+json"
#define VG_NOTATION_MT_COSE        "application/cose"
#define VG_NOTATION_MT_PAYLOAD     "application/vnd.cncf.notary.payload.v1+json"
#define VG_NOTATION_ANN_THUMBPRINT "io.cncf.notary.x509chain.thumbprint#S256"
#define VG_NOTATION_SCHEME_X509    "notary.x509"
#define VG_NOTATION_SCHEME_SA      "notary.x509.signingAuthority"

/* An envelope blob (notation itself refuses more than 10 MiB; real ones are a few KiB plus
 * the chain), its payload, and a trust policy document. */
#define VG_NOTATION_ENVELOPE_MAX  (4u * 1024u * 1024u)
#define VG_NOTATION_PAYLOAD_MAX   (256u * 1024u)
#define VG_NOTATION_POLICY_MAX    (1024u * 1024u)
#define VG_NOTATION_POLICIES_MAX  1024u
#define VG_NOTATION_LIST_MAX      1024u /* scopes, stores or identities of one policy */
#define VG_NOTATION_STORE_FILES   1024u /* certificate files in one named store */
#define VG_NOTATION_CERT_FILE_MAX (1024u * 1024u)

enum vg_notation_format { VG_NOTATION_JWS = 1, VG_NOTATION_COSE };
enum vg_notation_scheme { VG_NOTATION_X509 = 1, VG_NOTATION_SIGNING_AUTHORITY };

/* ---------------------------------------------------------------- envelopes */

/* What gets signed: the target manifest's descriptor, plus user metadata put in its
 * annotations (notation sign --user-metadata). */
struct vg_notation_target {
    const char *media_type;
    struct vg_digest digest;
    uint64_t size;
    const struct vg_sign_kv *annotations;
    size_t nannotations;
};

struct vg_notation_sign_opts {
    const struct vg_crypto_key *key; /* private; must match chain[0] */
    struct vg_x509 *const *chain;    /* leaf → root */
    size_t nchain;
    enum vg_notation_format format; /* 0: JWS */
    enum vg_notation_scheme scheme; /* 0: notary.x509 */
    int64_t now;                    /* signing time (authentic signing time for SA) */
    int64_t expiry;                 /* 0: none */
    const char *agent;              /* io.cncf.notary.signingAgent; NULL: none */
    /* RFC 3161 timestamping (notation sign --timestamp-url, notary.x509 only): called once the
     * signature value is made, with that value and the signature algorithm (whose hash the
     * request should use); appends the DER TimeStampToken to *tst, which the envelope carries
     * in its unprotected header io.cncf.notary.timestampSignature. NULL: no timestamp. */
    int (*timestamp)(void *ctx, struct vg_buf *tst, const uint8_t *sig, size_t siglen,
                     enum vg_crypto_alg alg, struct vg_err **err);
    void *timestamp_ctx;
};

/* Builds and signs an envelope over target. The key must match the leaf's public key and the
 * chain must satisfy the certificate requirements (checked, VG_E_USAGE otherwise). *media_type
 * (static) is VG_NOTATION_MT_JWS or VG_NOTATION_MT_COSE. */
VG_NODISCARD int vg_notation_envelope_sign(struct vg_buf *out, const char **media_type,
                                           const struct vg_notation_sign_opts *o,
                                           const struct vg_notation_target *target,
                                           struct vg_err **err);

/* A parsed envelope whose signature verified (integrity) and whose payload was parsed only
 * after that. */
struct vg_notation_envelope {
    enum vg_notation_format format;
    enum vg_notation_scheme scheme;
    enum vg_crypto_alg alg;
    int64_t signing_time; /* signingTime (x509) or authenticSigningTime (SA) */
    int64_t expiry;       /* 0: none */
    char *agent;          /* NULL when absent */
    struct vg_x509 **chain;
    size_t nchain;
    uint8_t *signature; /* the signature value (what a timestamp token stamps) */
    size_t siglen;
    uint8_t *tst; /* RFC 3161 TimeStampToken, NULL when absent */
    size_t tstlen;
    /* payload.targetArtifact */
    char *target_media_type;
    struct vg_digest target_digest;
    uint64_t target_size;
    json_t *target_annotations; /* object or NULL */
};
void vg_notation_envelope_free(struct vg_notation_envelope *e);

/* Parses an envelope of media type media_type (VG_NOTATION_MT_JWS or VG_NOTATION_MT_COSE),
 * checks its structure (required attributes, no unknown critical attribute, algorithm equal to
 * the leaf key's), the certificate chain's order and certificate requirements, the signature
 * over the signing input (integrity), and only then parses the payload. VG_E_PARSE / VG_E_LIMIT
 * for malformed input, VG_E_UNSUPPORTED, VG_E_VERIFY. */
VG_NODISCARD int vg_notation_envelope_open(struct vg_notation_envelope **out,
                                           const char *media_type, const void *data, size_t len,
                                           struct vg_err **err);

/* ---------------------------------------------------------------- trust policy */

enum vg_notation_level {
    VG_NOTATION_STRICT = 1,
    VG_NOTATION_PERMISSIVE,
    VG_NOTATION_AUDIT,
    VG_NOTATION_SKIP,
};
enum vg_notation_action { VG_NOTATION_ENFORCE = 1, VG_NOTATION_LOG, VG_NOTATION_SKIPPED };
enum vg_notation_check {
    VG_NOTATION_CHECK_INTEGRITY = 0,
    VG_NOTATION_CHECK_AUTHENTICITY,
    VG_NOTATION_CHECK_TIMESTAMP,
    VG_NOTATION_CHECK_EXPIRY,
    VG_NOTATION_CHECK_REVOCATION,
    VG_NOTATION_CHECKS,
};
const char *vg_notation_check_name(enum vg_notation_check c); /* "integrity", ... */
const char *vg_notation_level_name(enum vg_notation_level l); /* "strict", ... */

/* One trusted identity: "*" (any) or x509.subject RDNs that must all be in the subject. */
struct vg_notation_identity {
    struct vg_x509_rdn *rdns;
    size_t n;
};

struct vg_notation_policy_entry {
    char *name;
    char **scopes; /* "*" alone for the global policy */
    size_t nscopes;
    bool global;
    enum vg_notation_level level;
    enum vg_notation_action actions[VG_NOTATION_CHECKS];
    char **stores; /* "ca:NAME", "signingAuthority:NAME", "tsa:NAME" */
    size_t nstores;
    bool any_identity;
    struct vg_notation_identity *identities;
    size_t nidentities;
};

struct vg_notation_policy {
    struct vg_notation_policy_entry *entries;
    size_t n;
};

/* Parses trustpolicy.json (version "1.0"; duplicate keys, unknown levels/overrides, bad
 * scopes, more than one global policy, a global skip policy, identities without C, ST and O,
 * overlapping identities, unknown trust store types: VG_E_PARSE naming the policy). */
VG_NODISCARD int vg_notation_policy_parse(struct vg_notation_policy **out, const void *data,
                                          size_t len, struct vg_err **err);
void vg_notation_policy_free(struct vg_notation_policy *p);
/* The policy for repository ("registry/namespace/repo"): an exact scope, else the global one,
 * else NULL. */
const struct vg_notation_policy_entry *vg_notation_policy_select(const struct vg_notation_policy *p,
                                                                 const char *repository);
/* Parses "x509.subject: C=US, ST=WA, O=acme\, inc." into RDNs (\, \; \\ and a leading or
 * trailing "\ " are escapes). VG_E_PARSE. */
VG_NODISCARD int vg_notation_dn_parse(struct vg_notation_identity *out, const char *dn,
                                      struct vg_err **err);
void vg_notation_identity_dispose(struct vg_notation_identity *id);
/* Every RDN of id is in subject with an equal value (types compared case-insensitively). */
bool vg_notation_identity_match(const struct vg_notation_identity *id,
                                const struct vg_x509_rdn *subject, size_t n);

/* Certificates of the named store DIR/x509/TYPE/NAME (type "ca", "signingAuthority" or "tsa"):
 * its *.pem, *.crt and *.cer files (PEM or DER), sorted by name; subdirectories are ignored (a
 * warning is logged), symlinks are refused (VG_E_VERIFY), a missing or empty store is
 * VG_E_NOTFOUND. */
VG_NODISCARD int vg_notation_truststore_load(struct vg_x509 ***out, size_t *n, const char *dir,
                                             const char *type, const char *name,
                                             struct vg_err **err);
/* $XDG_CONFIG_HOME/notation (else ~/.config/notation). Caller frees. */
char *vg_notation_config_dir(void);

/* ---------------------------------------------------------------- verification */

/* The outcome of verifying one envelope against one policy. */
struct vg_notation_outcome {
    bool ok;
    enum vg_notation_action results[VG_NOTATION_CHECKS]; /* action taken for each check */
    bool failed[VG_NOTATION_CHECKS];                     /* the check failed (logged or not) */
    char *errors[VG_NOTATION_CHECKS];                    /* why, when failed */
    struct vg_err *error;                                /* the enforced failure, or NULL */
    struct vg_notation_envelope *env;                    /* NULL when integrity failed */
    char *signer;                                        /* leaf subject, for display */
    /* The revocation check failed because no OCSP responder or CRL location answered (down,
     * too slow, stale), not because of a revocation. */
    bool revocation_unavailable;
};
void vg_notation_outcome_dispose(struct vg_notation_outcome *o);

struct vg_notation_verify_opts {
    const struct vg_notation_policy_entry *policy;
    const char *truststore; /* directory holding x509/ */
    int64_t now;
    /* The image: the payload's targetArtifact must have this digest, size and media type. */
    const struct vg_digest *digest;
    uint64_t size;
    const char *media_type;
    /* notation verify --user-metadata: annotations the payload must hold with these values. */
    const struct vg_sign_kv *metadata;
    size_t nmetadata;
    /* Certificates given inline (a policy's own trust anchors: Kyverno's Notary attestor,
     * vigil's ImagePolicy and the registry gate): when non-NULL, every trust store the policy
     * names holds exactly these certificates and o->truststore is not read. */
    struct vg_x509 *const *anchors;
    size_t nanchors;
    /* Revocation (where the policy's level does not skip it): the OCSP responders and CRL
     * distribution points (http:// only) the chain names are asked over the network, each
     * within its timeout in seconds (0: 2 for OCSP, 5 for a CRL, the specification's defaults).
     * A certificate whose status cannot be had (no network) fails the check like a revoked one.
     * no_revocation: ask nobody and report the check skipped, whatever the policy says. */
    bool no_revocation;
    long ocsp_timeout_s;
    long crl_timeout_s;
};

/* Process-wide revocation settings (docs/notation.md "Revocation"), set once at start-up by
 * the CLI and the servers (`--notation-revocation`, `--notation-revocation-timeout`); safe to
 * call at any time (a mutex guards them), it also empties the response cache.
 * skip: ask nobody, the revocation check is reported skipped (as o->no_revocation).
 * timeout_ms: the time allowed per OCSP responder or CRL URL when the call's options give none
 * (0: 2 s OCSP, 5 s CRL). cache_dir: where responses are kept on disk besides memory; disk
 * without a cache_dir: vg_cache_dir()/notation-revocation, resolved at each use (the CLI);
 * neither: memory only (the servers). max_entries / max_bytes bound each layer (0: 1024
 * entries, 64 MiB). Nothing configured: memory only, 2 s / 5 s. */
struct vg_notation_revocation_config {
    bool skip;
    uint32_t timeout_ms;
    bool disk;
    const char *cache_dir; /* copied */
    size_t max_entries;
    size_t max_bytes;
};
void vg_notation_revocation_configure(const struct vg_notation_revocation_config *c);
/* Responses held in memory now (tests, metrics). */
size_t vg_notation_revocation_cache_entries(void);

/* Verifies one envelope blob. Never fails itself (0): the result is out->ok, with out->error
 * saying which enforced check failed and out->errors the logged ones. */
void vg_notation_verify_envelope(struct vg_notation_outcome *out,
                                 const struct vg_notation_verify_opts *o, const char *media_type,
                                 const void *data, size_t len);

/* ---------------------------------------------------------------- registry flows */

struct vg_notation_push_result {
    char *location; /* "registry/repo@sha256:…" of the signature manifest */
    struct vg_digest manifest;
    bool fallback; /* the registry has no referrers API: the sha256-<hex> index was updated */
};
void vg_notation_push_result_dispose(struct vg_notation_push_result *r);

/* Signs t's manifest and attaches the signature: envelope blob, "{}" config, an OCI image
 * manifest (config media type VG_NOTATION_ARTIFACT_TYPE, artifactType the same, one envelope
 * layer, subject, thumbprint annotation) pushed by digest. */
VG_NODISCARD int vg_notation_target_sign(const struct vg_sign_target *t,
                                         const struct vg_notation_sign_opts *o,
                                         const struct vg_sign_kv *metadata, size_t nmetadata,
                                         struct vg_notation_push_result *res, struct vg_err **err);

struct vg_notation_item {
    struct vg_digest manifest; /* the signature manifest */
    char *media_type;          /* the envelope's */
    struct vg_notation_outcome outcome;
};
struct vg_notation_result {
    const struct vg_notation_policy_entry *policy;
    struct vg_notation_item *items;
    size_t n;
    bool skipped; /* level skip: nothing fetched */
    bool ok;
};
void vg_notation_result_dispose(struct vg_notation_result *r);

/* Every signature of a failed result failed only because its certificates' revocation status
 * could not be had (o.revocation_unavailable, enforced): a possibly transient outcome that
 * callers with verdict caches treat as "could not verify" rather than "not signed". */
bool vg_notation_result_unavailable(const struct vg_notation_result *r);

/* Verifies t's Notary signatures found through the referrers API (or its fallback tag):
 * success when the policy's level is skip or some signature passes (notation stops at the
 * first; vigil checks at most VG_NOTATION_VERIFY_MAX and reports each). VG_E_VERIFY when none
 * passes or none is attached; VG_E_NOTFOUND when no policy applies. o->policy is chosen here
 * from policy when NULL. */
#define VG_NOTATION_VERIFY_MAX 32u
VG_NODISCARD int vg_notation_target_verify(const struct vg_sign_target *t,
                                           const struct vg_notation_policy *policy,
                                           const struct vg_notation_verify_opts *o,
                                           struct vg_notation_result *res, struct vg_err **err);

/* vg_notation_target_verify over a store the caller owns (the registry's own storage, sign.h):
 * the signature manifests among s->referrers(image), read and checked against their digests
 * through s->blobs; the image manifest itself is read there too (its size and media type are
 * what the signed descriptor must name). `name` is the repository (trust policy scopes, labels).
 * Same verdicts and errors as vg_notation_target_verify; o->policy must be set. */
VG_NODISCARD int vg_notation_store_verify(const struct vg_sign_store *s, const char *name,
                                          const struct vg_digest *image,
                                          const struct vg_notation_verify_opts *o,
                                          struct vg_notation_result *res, struct vg_err **err);

#endif
