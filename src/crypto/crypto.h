/* SPDX-License-Identifier: Apache-2.0
 *
 * crypto: keys and signatures for vigil. This module is the ONLY user of OpenSSL for keys and
 * signatures and the ONLY user of libsodium (scrypt, secretbox, guarded memory). It knows the
 * cosign key formats (docs/signing.md, shared/docs/cosign-format.md §1): encrypted private key
 * files (scrypt + nacl/secretbox over PKCS#8 DER), PEM/DER public keys, import rules, and the
 * signature scheme each key type uses. It knows nothing about images or payloads (that is
 * sign/).
 *
 * Error codes a caller may branch on:
 *   VG_E_AUTH        wrong password (or a corrupt ciphertext: secretbox cannot tell them apart)
 *   VG_E_VERIFY      a signature does not verify
 *   VG_E_UNSUPPORTED key type, curve, size, PEM type or KDF parameters outside the allowlist
 *   VG_E_PARSE       malformed PEM, DER, JSON or base64
 *   VG_E_LIMIT       input larger than the bounds below
 *
 * Thread safety: keys are immutable after loading; distinct threads may sign/verify with the
 * same key concurrently. vg_crypto_init() must run once before threads start (main does it
 * implicitly through the first call; it is idempotent).
 */
#ifndef VG_CRYPTO_H
#define VG_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* Encrypted key files and PEM key files: an RSA-4096 PKCS#8 key is about 3.3 KiB of PEM;
 * 64 KiB leaves room for comments around the block and bounds what we hand to the parsers. */
#define VG_CRYPTO_KEY_FILE_MAX (64u * 1024u)
/* Passwords read from a terminal, stdin or the environment. */
#define VG_CRYPTO_PASSWORD_MAX 4096u
/* Largest signature we accept for verification (RSA-4096 is 512 bytes, ECDSA P-521 DER 139). */
#define VG_CRYPTO_SIG_MAX 1024u

/* PEM labels (cosign-format.md §1.1). */
#define VG_PEM_SIGSTORE_PRIVATE "ENCRYPTED SIGSTORE PRIVATE KEY"
#define VG_PEM_COSIGN_PRIVATE   "ENCRYPTED COSIGN PRIVATE KEY"

/* Scrypt parameter sets a reader accepts; writers use the standard set. */
#define VG_SCRYPT_N_LEGACY   32768u
#define VG_SCRYPT_N_STANDARD 65536u
#define VG_SCRYPT_N_OWASP    131072u
#define VG_SCRYPT_R          8u
#define VG_SCRYPT_P          1u
#define VG_SCRYPT_SALT_BYTES 32u

/* Initialises libsodium (idempotent, thread safe after the first call). */
VG_NODISCARD int vg_crypto_init(struct vg_err **err);

/* Frees the calling thread's OpenSSL state (error queue, per-thread caches) now rather than in
 * the thread-exit destructor: a pool thread calls it before it reports itself gone, so a
 * process that exits right after its pool stops leaves nothing of that thread behind. */
void vg_crypto_thread_stop(void);

/* ---------------------------------------------------------------- secrets */

/* A secret byte string in sodium_malloc memory (guard pages, mlock where allowed), wiped with
 * sodium_memzero on free. `data` is always NUL-terminated at data[len] for convenience. */
struct vg_secret {
    uint8_t *data;
    size_t len;
};
/* Copies len bytes into fresh guarded memory. Aborts on OOM like vg_malloc. */
struct vg_secret *vg_secret_new(const void *data, size_t len);
/* A zero-filled secret of len bytes. */
struct vg_secret *vg_secret_alloc(size_t len);
void vg_secret_free(struct vg_secret *s);
static inline void
vg_secret_freep(struct vg_secret **s)
{
    vg_secret_free(*s);
}
#define vg_autosecret VG_CLEANUP(vg_secret_freep)
/* Wipes memory in a way the compiler cannot elide. */
void vg_crypto_memzero(void *p, size_t n);
/* Constant-time equality of two equal-length byte strings. */
bool vg_crypto_memeq(const void *a, const void *b, size_t n);

/* Reads a whole file (at most max bytes, else VG_E_LIMIT; missing: VG_E_NOTFOUND) straight
 * into guarded memory, for unencrypted private keys. */
VG_NODISCARD int vg_secret_read_file(struct vg_secret **out, const char *path, size_t max,
                                     struct vg_err **err);

/* A password source. crypto/ never reads a terminal, the environment or standard input itself:
 * whoever loads or encrypts a key passes one of these. The CLI's source follows cosign
 * (cli/password.c: $VIGIL_PASSWORD / $COSIGN_PASSWORD, a terminal prompt with echo off, or
 * standard input); a server holding a key's password in its configuration passes
 * vg_crypto_password_fixed. fn stores a fresh secret in *out (the caller frees it) or returns a
 * negative value with *err set; `confirm` says a new key is being encrypted (a prompt asks
 * twice). payload is the source's own (fn's last argument before err). */
typedef int (*vg_crypto_password_fn)(struct vg_secret **out, bool confirm, void *payload,
                                     struct vg_err **err);
struct vg_crypto_password {
    vg_crypto_password_fn fn;
    void *payload;
};
/* Asks src once. The source's error reaches the caller as it is; a source that fails without
 * setting one, or succeeds without a secret, is VG_E_INTERNAL; a password longer than
 * VG_CRYPTO_PASSWORD_MAX is VG_E_LIMIT. */
VG_NODISCARD int vg_crypto_password_ask(struct vg_secret **out,
                                        const struct vg_crypto_password *src, bool confirm,
                                        struct vg_err **err);
/* A source handing out a copy of payload, a `struct vg_secret *` (read, never modified). */
VG_NODISCARD int vg_crypto_password_fixed(struct vg_secret **out, bool confirm, void *payload,
                                          struct vg_err **err);

/* ---------------------------------------------------------------- keys */

enum vg_key_type {
    VG_KEY_ECDSA_P256 = 1,
    VG_KEY_ECDSA_P384,
    VG_KEY_ECDSA_P521,
    VG_KEY_RSA,
    VG_KEY_ED25519,
};

/* Opaque: an OpenSSL key plus its validated type. Public-only or private. */
struct vg_crypto_key;

void vg_crypto_key_free(struct vg_crypto_key *key);
static inline void
vg_crypto_key_freep(struct vg_crypto_key **k)
{
    vg_crypto_key_free(*k);
}
#define vg_autokey VG_CLEANUP(vg_crypto_key_freep)

enum vg_key_type vg_crypto_key_type(const struct vg_crypto_key *key);
bool vg_crypto_key_is_private(const struct vg_crypto_key *key);
/* "ECDSA P-256", "RSA 2048", "Ed25519" (static or key-owned storage, valid while key lives). */
const char *vg_crypto_key_describe(const struct vg_crypto_key *key);

/* A fresh ECDSA P-256 key (what generate-key-pair makes). */
VG_NODISCARD int vg_crypto_key_generate(struct vg_crypto_key **out, struct vg_err **err);

/* Loads a cosign encrypted private key file (PEM, either label). Only the three scrypt
 * parameter sets above are accepted; the plaintext must be PKCS#8 (SEC1 is rejected, like
 * cosign); the key must pass the import allowlist. Wrong password: VG_E_AUTH
 * "decrypt private key: wrong password or corrupt key". */
VG_NODISCARD int vg_crypto_key_load_private_encrypted(struct vg_crypto_key **out, const void *pem,
                                                      size_t len, const struct vg_secret *password,
                                                      struct vg_err **err);

/* The same, asking src for the password only after the envelope (PEM, JSON, KDF parameters)
 * has parsed, so a malformed key fails without a prompt. Errors: the envelope's (VG_E_PARSE,
 * VG_E_UNSUPPORTED, VG_E_LIMIT), the source's (vg_crypto_password_ask), then as above. */
VG_NODISCARD int vg_crypto_key_load_private(struct vg_crypto_key **out, const void *pem, size_t len,
                                            const struct vg_crypto_password *src,
                                            struct vg_err **err);

/* Loads an unencrypted PEM private key for import-key-pair: `RSA PRIVATE KEY` (PKCS#1),
 * `EC PRIVATE KEY` (SEC1), `PRIVATE KEY` (PKCS#8 RSA/ECDSA/Ed25519). Allowlist: RSA 2048..4096
 * bits, ECDSA P-256/P-384/P-521, Ed25519. Messages follow cosign: "invalid pem block",
 * "unsupported private key", "key size not supported", "curve not allowed". */
VG_NODISCARD int vg_crypto_key_import_pem(struct vg_crypto_key **out, const void *pem, size_t len,
                                          struct vg_err **err);

/* Loads a public key: PEM `PUBLIC KEY` (SPKI), PEM `RSA PUBLIC KEY` (PKCS#1), or raw DER
 * SPKI. Only the first PEM block is used. Same type allowlist as import. A private key is
 * also accepted as a verifier (its public half is used) when given as a vg_crypto_key. */
VG_NODISCARD int vg_crypto_key_load_public(struct vg_crypto_key **out, const void *data, size_t len,
                                           struct vg_err **err);

/* The subject public key of an X.509 certificate (PEM `CERTIFICATE` or DER), for checking a
 * signature made by a certificate's key. NO chain, validity or identity checks are made here:
 * the caller must establish trust in the certificate separately. Same type allowlist. */
VG_NODISCARD int vg_crypto_key_from_certificate(struct vg_crypto_key **out, const void *data,
                                                size_t len, struct vg_err **err);

/* Encrypts the private key as a cosign key file: PEM `ENCRYPTED SIGSTORE PRIVATE KEY`, JSON in
 * cosign's key order, scrypt N=65536 r=8 p=1, fresh salt and nonce, PKCS#8 DER plaintext.
 * *pem is a NUL-terminated string the caller frees. */
VG_NODISCARD int vg_crypto_key_encrypt(const struct vg_crypto_key *key,
                                       const struct vg_secret *password, char **pem, size_t *pemlen,
                                       struct vg_err **err);

/* The public half as PEM `PUBLIC KEY` (64-column lines). Caller frees. */
VG_NODISCARD int vg_crypto_key_public_pem(const struct vg_crypto_key *key, char **pem,
                                          struct vg_err **err);
/* The public half as DER SubjectPublicKeyInfo. Caller frees. */
VG_NODISCARD int vg_crypto_key_public_der(const struct vg_crypto_key *key, uint8_t **der,
                                          size_t *derlen, struct vg_err **err);
/* The private key as PKCS#8 DER in guarded memory. */
VG_NODISCARD int vg_crypto_key_private_pkcs8(const struct vg_crypto_key *key,
                                             struct vg_secret **der, struct vg_err **err);

/* Key identity: lowercase hex SHA-256 of the DER SPKI (65 bytes with NUL), and the
 * bundle `publicKey.hint` form, base64(SHA-256(DER SPKI)) (caller frees). */
VG_NODISCARD int vg_crypto_key_fingerprint(const struct vg_crypto_key *key, char out[65],
                                           struct vg_err **err);
VG_NODISCARD int vg_crypto_key_hint(const struct vg_crypto_key *key, char **out,
                                    struct vg_err **err);
/* True when both keys have the same public half (constant-time compare of DER SPKI). */
bool vg_crypto_key_public_eq(const struct vg_crypto_key *a, const struct vg_crypto_key *b);

/* ---------------------------------------------------------------- signatures */

/* Signs data with the scheme cosign uses for the key type (cosign-format.md §1.5):
 *   ECDSA P-256/P-384/P-521 → SHA-256/384/512, ASN.1 DER SEQUENCE{r,s}
 *   RSA                     → RSASSA-PKCS1-v1_5 with SHA-256
 *   Ed25519                 → pure Ed25519, 64 raw bytes
 * *sig is malloc'd (caller frees). */
VG_NODISCARD int vg_crypto_sign(const struct vg_crypto_key *key, const void *data, size_t len,
                                uint8_t **sig, size_t *siglen, struct vg_err **err);

/* Verifies with the public half of `key` (public or private). ECDSA tries the curve's hash,
 * then SHA-256 (cosign's verify path default); both low- and high-S are accepted. A
 * non-matching signature is VG_E_VERIFY. */
VG_NODISCARD int vg_crypto_verify(const struct vg_crypto_key *key, const void *data, size_t len,
                                  const uint8_t *sig, size_t siglen, struct vg_err **err);

/* RSASSA-PSS, SHA-256, MGF1-SHA-256 (TUF's "rsassa-pss-sha256", Notary's "rsapss"): signing
 * uses a digest-length salt, verification accepts any salt length. Non-RSA keys are
 * VG_E_USAGE (sign) or VG_E_VERIFY (verify). *sig is malloc'd (caller frees). */
VG_NODISCARD int vg_crypto_rsa_pss_sign(const struct vg_crypto_key *key, const void *data,
                                        size_t len, uint8_t **sig, size_t *siglen,
                                        struct vg_err **err);
VG_NODISCARD int vg_crypto_rsa_pss_verify(const struct vg_crypto_key *key, const void *data,
                                          size_t len, const uint8_t *sig, size_t siglen,
                                          struct vg_err **err);

/* ---------------------------------------------------------------- X.509, SCT, RFC 3161 (x509.c) */

/* For keyless Sigstore verification (docs/sigstore.md). Bounds: one certificate or timestamp
 * response at most VG_X509_DER_MAX bytes; chains at most VG_X509_CHAIN_MAX certificates
 * (deeper paths fail as "certificate chain too long"); at most VG_X509_SCTS_MAX SCTs and
 * VG_X509_SANS_MAX names are read, each name at most VG_X509_SAN_MAX bytes. */
#define VG_X509_DER_MAX   (32u * 1024u)
#define VG_X509_CHAIN_MAX 10u
#define VG_X509_SCTS_MAX  64u
#define VG_X509_SANS_MAX  64u
#define VG_X509_SAN_MAX   4096u

/* Opaque: a parsed certificate and its exact DER. */
struct vg_x509;
/* Exact DER (no trailing bytes), or the first PEM block labelled CERTIFICATE. VG_E_PARSE,
 * VG_E_LIMIT. */
VG_NODISCARD int vg_x509_parse(struct vg_x509 **out, const void *data, size_t len,
                               struct vg_err **err);
void vg_x509_free(struct vg_x509 *c);
static inline void
vg_x509_freep(struct vg_x509 **c)
{
    vg_x509_free(*c);
}
#define vg_autox509 VG_CLEANUP(vg_x509_freep)
/* The DER the certificate was parsed from (borrowed). */
const uint8_t *vg_x509_der(const struct vg_x509 *c, size_t *len);
bool vg_x509_eq(const struct vg_x509 *a, const struct vg_x509 *b); /* same DER */
bool vg_x509_self_signed(const struct vg_x509 *c);
/* True when the certificate has an extended key usage extension listing codeSigning. */
bool vg_x509_eku_code_signing(const struct vg_x509 *c);
VG_NODISCARD int vg_x509_validity(const struct vg_x509 *c, int64_t *not_before, int64_t *not_after,
                                  struct vg_err **err);
/* The subject key (same allowlist as vg_crypto_key_load_public). */
VG_NODISCARD int vg_x509_public_key(struct vg_crypto_key **out, const struct vg_x509 *c,
                                    struct vg_err **err);
/* Subject alternative names: e-mail, URI and DNS names, and Fulcio's otherName
 * (1.3.6.1.4.1.57264.1.7, UTF8String), in certificate order; names with a NUL are skipped.
 * *out is a string vector (vg_strv_free). */
VG_NODISCARD int vg_x509_sans(char ***out, size_t *n, const struct vg_x509 *c, struct vg_err **err);
/* The extnValue contents of the extension with dotted OID: 1 and a malloc'd NUL-terminated
 * copy when present, 0 (NULL) when absent; an extension present twice is VG_E_PARSE. */
VG_NODISCARD int vg_x509_ext(uint8_t **val, size_t *len, const struct vg_x509 *c, const char *oid,
                             struct vg_err **err);
/* Builds a path from leaf to the last certificate of chain (the trust anchor; the others are
 * intermediates), checking every certificate's validity at unix time `at`, not now. On success
 * *issuer (may be NULL) borrows the chain's certificate that issued the leaf. VG_E_VERIFY names
 * OpenSSL's reason ("certificate has expired", "unable to get local issuer certificate"). */
VG_NODISCARD int vg_x509_chain_verify(struct vg_x509 **issuer, const struct vg_x509 *leaf,
                                      struct vg_x509 *const *chain, size_t n, int64_t at,
                                      struct vg_err **err);
/* A certificate-transparency log key: id = SHA-256 of its DER SPKI; start/end unix seconds
 * (end 0: open). */
struct vg_x509_ctlog {
    uint8_t id[32];
    const struct vg_crypto_key *key;
    int64_t start, end;
};
/* Verifies the leaf's embedded SCT list (1.3.6.1.4.1.11129.2.4.2) as precertificate SCTs
 * issued under issuer's key; *verified counts the SCTs that verify against a log of logs
 * inside that log's validity. None: VG_E_VERIFY. */
VG_NODISCARD int vg_x509_sct_verify(size_t *verified, const struct vg_x509 *leaf,
                                    const struct vg_x509 *issuer, const struct vg_x509_ctlog *logs,
                                    size_t nlogs, struct vg_err **err);
/* Verifies a detached SCT (RFC 6962 §3.2 SignedCertificateTimestamp bytes) over leaf as an
 * x509_entry (the certificate itself was logged) against a log of logs inside that log's
 * validity. VG_E_PARSE, VG_E_VERIFY. */
VG_NODISCARD int vg_x509_sct_detached_verify(const struct vg_x509 *leaf, const uint8_t *sct,
                                             size_t len, const struct vg_x509_ctlog *logs,
                                             size_t nlogs, struct vg_err **err);
/* genTime (unix seconds, fraction dropped) of a DER TimeStampResp, unverified. */
VG_NODISCARD int vg_x509_tsr_time(int64_t *gen_time, const uint8_t *tsr, size_t len,
                                  struct vg_err **err);
/* Verifies a DER TimeStampResp: granted status, token signature by a certificate that chains
 * to the last certificate of chain (the others are offered as intermediates, for tokens that
 * embed no certificate) with the timeStamping purpose, all valid at unix time `at` (the
 * caller passes genTime), and a message imprint equal to the hash of data. VG_E_VERIFY. */
VG_NODISCARD int vg_x509_tsr_verify(const uint8_t *tsr, size_t len, const uint8_t *data,
                                    size_t dlen, struct vg_x509 *const *chain, size_t n, int64_t at,
                                    struct vg_err **err);
/* Verifies sig over a digest computed by the caller ("sha256", "sha384", "sha512"): ECDSA or
 * RSA PKCS#1 v1.5; Ed25519 cannot (VG_E_UNSUPPORTED). VG_E_VERIFY on mismatch. */
VG_NODISCARD int vg_crypto_verify_digest(const struct vg_crypto_key *key, const char *alg,
                                         const uint8_t *digest, size_t dlen, const uint8_t *sig,
                                         size_t siglen, struct vg_err **err);

/* Issues a certificate (x509_issue.c) for o->key's public half: self-signed when o->ca (a CA:
 * keyCertSign, pathlen 0, signed by o->key), else a TLS server certificate (serverAuth, the
 * DNS names as subjectAltName) signed by o->signer, the key of the CA certificate o->issuer.
 * SHA-256, a random serial, valid from an hour ago for o->days. *pem: one PEM CERTIFICATE
 * block, caller frees. Bad options (no private signer, a name that is not a DNS name, ...) are
 * VG_E_USAGE. */
struct vg_x509_issue_opts {
    const char *cn;         /* subject CN, 1..64 bytes */
    const char *const *dns; /* subjectAltName DNS names (server only, at most 16) */
    size_t ndns;
    unsigned days; /* 1..36500 */
    bool ca;
    const struct vg_crypto_key *key;    /* the certified key (private when self-signed) */
    const struct vg_crypto_key *signer; /* the CA's private key (server only) */
    const struct vg_x509 *issuer;       /* the CA certificate (server only) */
};
VG_NODISCARD int vg_x509_issue(char **pem, const struct vg_x509_issue_opts *o, struct vg_err **err);

/* The subject common name of c (UTF-8, caller frees); none is VG_E_NOTFOUND, one holding a
 * NUL byte VG_E_PARSE (x509_name.c). */
struct vg_x509;
VG_NODISCARD int vg_x509_subject_cn(char **out, const struct vg_x509 *c, struct vg_err **err);

/* ---------------------------------------------------------------- key file envelope */

/* Decrypts a cosign key file to its plaintext (normally PKCS#8 DER) without interpreting it;
 * for tests, fuzzing and diagnostics. */
VG_NODISCARD int vg_crypto_envelope_decrypt(struct vg_secret **plain, const void *pem, size_t len,
                                            const struct vg_secret *password, struct vg_err **err);
/* Parses only the envelope (PEM + JSON + parameter checks) and reports the scrypt N; no KDF is
 * run. For the fuzz harness and `--help`-level diagnostics. */
VG_NODISCARD int vg_crypto_envelope_inspect(const void *pem, size_t len, uint64_t *scrypt_n,
                                            struct vg_err **err);

/* ---------------------------------------------------------------- JOSE (jws.c) */

#define VG_CRYPTO_ES256_SIG_BYTES 64u

/* ES256 (RFC 7518 §3.4): ECDSA P-256 + SHA-256, signature = raw r || s (32 bytes each). Any
 * other key type is VG_E_USAGE (sign) or VG_E_VERIFY (verify); a signature that is not exactly
 * 64 bytes or does not verify is VG_E_VERIFY. */
VG_NODISCARD int vg_crypto_es256_sign(const struct vg_crypto_key *key, const void *data, size_t len,
                                      uint8_t sig[VG_CRYPTO_ES256_SIG_BYTES], struct vg_err **err);
VG_NODISCARD int vg_crypto_es256_verify(const struct vg_crypto_key *key, const void *data,
                                        size_t len, const uint8_t *sig, size_t siglen,
                                        struct vg_err **err);
/* The private key as unencrypted PEM `PRIVATE KEY` (PKCS#8), in guarded memory; what
 * vg_crypto_key_import_pem reads back. For service keys kept in 0600 files. */
VG_NODISCARD int vg_crypto_key_private_pem(const struct vg_crypto_key *key, struct vg_secret **pem,
                                           struct vg_err **err);

/* ---------------------------------------------------------------- PKCS#8 (pkcs8.c) */

/* Password-encrypted PKCS#8 as notary and docker content trust write it: PBES2, PBKDF2
 * (HMAC-SHA1, an 8-byte salt, VG_PKCS8_PBKDF2_ITER iterations), AES-256-CBC. Reading accepts
 * PBES2 + PBKDF2 (HMAC-SHA1/256/512, 1..VG_PKCS8_PBKDF2_ITER_MAX iterations) + AES-CBC only,
 * checked before any key derivation. Input at most VG_PKCS8_DER_MAX bytes (VG_E_LIMIT). */
#define VG_PKCS8_DER_MAX         16384u
#define VG_PKCS8_PBKDF2_ITER     2048u
#define VG_PKCS8_PBKDF2_ITER_MAX 1000000u
#define VG_PKCS8_SALT_BYTES      8u
/* Checks the DER EncryptedPrivateKeyInfo and its parameters; no key derivation. VG_E_PARSE,
 * VG_E_UNSUPPORTED (another scheme, KDF, PRF or cipher), VG_E_LIMIT. */
VG_NODISCARD int vg_crypto_pkcs8_inspect(const void *der, size_t len, uint64_t *iter,
                                         struct vg_err **err);
/* Decrypts and loads the key (import allowlist). Wrong password: VG_E_AUTH "decrypt private
 * key: wrong passphrase or corrupt key". */
VG_NODISCARD int vg_crypto_pkcs8_decrypt(struct vg_crypto_key **out, const void *der, size_t len,
                                         const struct vg_secret *password, struct vg_err **err);
/* Encrypts a private key; *der is malloc'd (caller frees). */
VG_NODISCARD int vg_crypto_pkcs8_encrypt(uint8_t **der, size_t *len,
                                         const struct vg_crypto_key *key,
                                         const struct vg_secret *password, struct vg_err **err);
/* Loads unencrypted PKCS#8 DER (a `PRIVATE KEY` block's body). */
VG_NODISCARD int vg_crypto_pkcs8_plain(struct vg_crypto_key **out, const void *der, size_t len,
                                       struct vg_err **err);
/* A legacy PEM private key as older docker and notary versions wrote them: the body of an
 * `EC PRIVATE KEY` (SEC1) or `RSA PRIVATE KEY` (PKCS#1) block, plain (dek_info NULL) or
 * encrypted with OpenSSL's traditional PEM encryption (RFC 1421 `Proc-Type: 4,ENCRYPTED`,
 * `DEK-Info: CIPHER,IV`: AES-128/192/256-CBC or DES-EDE3-CBC, key from the passphrase and the
 * IV's first 8 bytes by EVP_BytesToKey with MD5, one round). A malformed DEK-Info is
 * VG_E_PARSE, another cipher VG_E_UNSUPPORTED, a wrong passphrase VG_E_AUTH "decrypt private
 * key: wrong passphrase or corrupt key"; the key then passes the import allowlist. */
VG_NODISCARD int vg_crypto_pem_legacy_key(struct vg_crypto_key **out, const void *der, size_t len,
                                          const char *dek_info, const struct vg_secret *password,
                                          struct vg_err **err);
/* A self-signed X.509 v3 certificate for an ECDSA P-256 private key, subject and issuer CN=cn,
 * valid [not_before, not_after] (unix seconds), key usage digitalSignature+keyEncipherment,
 * extended key usage codeSigning, CA:FALSE: the root certificate notary makes for a GUN.
 * *der is malloc'd. */
VG_NODISCARD int vg_x509_self_signed_new(uint8_t **der, size_t *len,
                                         const struct vg_crypto_key *key, const char *cn,
                                         int64_t not_before, int64_t not_after,
                                         struct vg_err **err);

/* ---------------------------------------------------------------- Notary Project (jwa.c,
 * x509_notary.c) */

/* The signature algorithms Notary signatures may use (signature-specification.md). */
enum vg_crypto_alg {
    VG_CRYPTO_ALG_NONE = 0,
    VG_CRYPTO_ALG_PS256,
    VG_CRYPTO_ALG_PS384,
    VG_CRYPTO_ALG_PS512,
    VG_CRYPTO_ALG_ES256,
    VG_CRYPTO_ALG_ES384,
    VG_CRYPTO_ALG_ES512,
};
/* JWS names ("PS256", "unknown" for NONE) and COSE identifiers (-37, -38, -39, -7, -35, -36;
 * 0 for NONE); the reverse lookups give VG_CRYPTO_ALG_NONE for anything else. */
const char *vg_crypto_alg_jws_name(enum vg_crypto_alg a);
enum vg_crypto_alg vg_crypto_alg_from_jws(const char *name);
int64_t vg_crypto_alg_cose_id(enum vg_crypto_alg a);
enum vg_crypto_alg vg_crypto_alg_from_cose(int64_t id);
/* Notary's algorithm selection: RSA 2048/3072/4096 → PS256/384/512, ECDSA P-256/384/521 →
 * ES256/384/512; any other key is VG_E_UNSUPPORTED. */
VG_NODISCARD int vg_crypto_key_alg(enum vg_crypto_alg *out, const struct vg_crypto_key *key,
                                   struct vg_err **err);
/* Signs/verifies with alg, which must be the key's own (vg_crypto_key_alg): VG_E_USAGE when
 * signing, VG_E_VERIFY when verifying otherwise. RSA-PSS uses a digest-length salt and MGF1
 * with the same hash; ECDSA signatures are raw r || s (64, 96 or 132 bytes). *sig is malloc'd. */
VG_NODISCARD int vg_crypto_alg_sign(const struct vg_crypto_key *key, enum vg_crypto_alg alg,
                                    const void *data, size_t len, uint8_t **sig, size_t *siglen,
                                    struct vg_err **err);
VG_NODISCARD int vg_crypto_alg_verify(const struct vg_crypto_key *key, enum vg_crypto_alg alg,
                                      const void *data, size_t len, const uint8_t *sig,
                                      size_t siglen, struct vg_err **err);

/* Every certificate in data: PEM blocks (at most 10 * VG_X509_CHAIN_MAX, each a CERTIFICATE),
 * or one DER certificate. *out is freed with vg_x509_list_free. */
VG_NODISCARD int vg_x509_parse_all(struct vg_x509 ***out, size_t *n, const void *data, size_t len,
                                   struct vg_err **err);
void vg_x509_list_free(struct vg_x509 **v, size_t n);
/* The certificate requirements of the Notary signature specification. CA: basicConstraints
 * critical with cA true and a pathLenConstraint that allows `below` CA certificates under it,
 * keyUsage critical with keyCertSign. Code signing / timestamping leaf: no cA, keyUsage
 * critical with digitalSignature and none of the encipherment, agreement or signing-of-
 * certificates bits, an extendedKeyUsage (when present) without any, serverAuth, clientAuth,
 * emailProtection and timeStamping (code signing) or with timeStamping and without codeSigning
 * (timestamping). Any role: no SHA-1/MD5 signature, a key in crypto's allowlist. VG_E_VERIFY. */
enum vg_x509_role { VG_X509_ROLE_CA = 1, VG_X509_ROLE_CODE_SIGNING, VG_X509_ROLE_TIMESTAMPING };
VG_NODISCARD int vg_x509_notary_check(const struct vg_x509 *c, enum vg_x509_role role, size_t below,
                                      struct vg_err **err);
/* chain[i] was issued and signed by chain[i+1], and the last certificate is self-signed (its
 * own signature verifies): 1 to VG_X509_CHAIN_MAX certificates. Times are not looked at.
 * VG_E_VERIFY. */
VG_NODISCARD int vg_x509_chain_ordered(struct vg_x509 *const *chain, size_t n, struct vg_err **err);
/* The subject's attributes in certificate order: OpenSSL short names ("C", "ST", "L", "O",
 * "OU", "CN", "emailAddress", ... or a dotted OID) and UTF-8 values. */
struct vg_x509_rdn {
    char *type;
    char *value;
};
VG_NODISCARD int vg_x509_subject_rdns(struct vg_x509_rdn **out, size_t *n, const struct vg_x509 *c,
                                      struct vg_err **err);
void vg_x509_rdns_free(struct vg_x509_rdn *v, size_t n);
/* "C=US, ST=WA, O=acme, CN=builder" (values escaped for display). Caller frees. */
char *vg_x509_subject_string(const struct vg_x509 *c);
/* Verifies a DER RFC 3161 TimeStampToken (CMS SignedData, as Notary stores it): signed by a
 * timestamping certificate that chains to one of roots (valid at the token's genTime), and a
 * message imprint equal to the hash of data. *gen_time gets genTime (unix seconds).
 * VG_E_PARSE for a malformed token, VG_E_VERIFY otherwise. */
VG_NODISCARD int vg_x509_tst_verify(int64_t *gen_time, const uint8_t *tst, size_t len,
                                    const uint8_t *data, size_t dlen, struct vg_x509 *const *roots,
                                    size_t nroots, struct vg_err **err);

/* RFC 3161 client (tsa.c). The DER TimeStampReq for data: SHA-256 imprint, a fresh random
 * positive *nonce, certReq true (what cosign's --timestamp-server-url sends). */
VG_NODISCARD int vg_tsa_request(struct vg_buf *out, uint64_t *nonce, const void *data, size_t len,
                                struct vg_err **err);
/* The same with a SHA-`bits` imprint (256, 384 or 512; notation hashes with the signature
 * algorithm's hash). */
VG_NODISCARD int vg_tsa_request_hash(struct vg_buf *out, uint64_t *nonce, const void *data,
                                     size_t len, unsigned bits, struct vg_err **err);
/* The DER TimeStampToken (CMS SignedData) of a granted DER TimeStampResp, appended to out
 * (what Notary envelopes carry). VG_E_PARSE malformed, VG_E_VERIFY not granted. */
VG_NODISCARD int vg_tsa_response_token(struct vg_buf *out, const uint8_t *tsr, size_t len,
                                       struct vg_err **err);
/* The DER TimeStampResp (at most VG_X509_DER_MAX) is granted, holds a token, and the token's
 * imprint is SHA-256 of data and its nonce is nonce. The signer is not checked here
 * (vg_x509_tsr_verify under a trusted root). VG_E_PARSE malformed, VG_E_VERIFY otherwise. */
VG_NODISCARD int vg_tsa_response_check(const uint8_t *tsr, size_t len, uint64_t nonce,
                                       const void *data, size_t dlen, struct vg_err **err);

/* ---------------------------------------------------------------- revocation (x509_revoke.c) */

/* Bounds: an OCSP response at most VG_X509_OCSP_RESPONSE_MAX bytes (notation reads 20 KiB), a
 * CRL at most VG_X509_CRL_MAX; at most VG_X509_REVOCATION_URLS_MAX locations of each kind. */
#define VG_X509_OCSP_RESPONSE_MAX   (20u * 1024u)
#define VG_X509_CRL_MAX             (32u * 1024u * 1024u)
#define VG_X509_REVOCATION_URLS_MAX 8u
/* The http:// OCSP responders of c's authorityInfoAccess and the http:// full names of its CRL
 * distribution points (those without reasons or a cRLIssuer), in certificate order; other
 * schemes are left out. Appended to the string vectors (vg_strv_free). VG_E_PARSE. */
VG_NODISCARD int vg_x509_revocation_urls(char ***ocsp, size_t *nocsp, char ***crl, size_t *ncrl,
                                         const struct vg_x509 *c, struct vg_err **err);
/* A DER OCSPRequest for c (issued by issuer): one SHA-1 CertID, no nonce, unsigned. */
VG_NODISCARD int vg_x509_ocsp_request(uint8_t **der, size_t *len, const struct vg_x509 *c,
                                      const struct vg_x509 *issuer, struct vg_err **err);
enum vg_x509_revocation { VG_X509_REV_GOOD = 0, VG_X509_REV_REVOKED, VG_X509_REV_UNKNOWN };
struct vg_x509_revocation_status {
    enum vg_x509_revocation state;
    int reason;          /* CRLReason code, -1 when none is given */
    int64_t revoked_at;  /* unix seconds (REVOKED), 0 unreadable */
    int64_t invalidity;  /* invalidityDate (unix seconds), 0 when absent */
    int64_t next_update; /* the response's nextUpdate (unix seconds), 0 when absent */
};
/* What a DER OCSPResponse says of c at unix time `now`: the response status must be
 * successful, the basic response signed by issuer or by a responder issuer certified with
 * ocspSigning (valid at now), thisUpdate not in the future (5 minutes of skew), nextUpdate (when
 * present) not past. Any of these failing is VG_E_VERIFY (VG_E_PARSE for bytes that are no
 * OCSPResponse, VG_E_LIMIT above VG_X509_OCSP_RESPONSE_MAX): the response gives no status. */
VG_NODISCARD int vg_x509_ocsp_check(struct vg_x509_revocation_status *out, const uint8_t *resp,
                                    size_t len, const struct vg_x509 *c,
                                    const struct vg_x509 *issuer, int64_t now, struct vg_err **err);
/* What a DER CRL says of c at `now`: issued under c's issuer name and signed by issuer's key, a
 * base CRL (a delta CRL is VG_E_UNSUPPORTED), thisUpdate not in the future. c listed (for any
 * reason but removeFromCRL) is REVOKED, also in an expired CRL unless the reason is
 * certificateHold; not listed is GOOD while nextUpdate is not past. An expired CRL (or one
 * without nextUpdate) that does not list c is VG_E_VERIFY. */
VG_NODISCARD int vg_x509_crl_check(struct vg_x509_revocation_status *out, const uint8_t *crl,
                                   size_t len, const struct vg_x509 *c,
                                   const struct vg_x509 *issuer, int64_t now, struct vg_err **err);

/* ---------------------------------------------------------------- passwords (passwd.c) */

/* A bcrypt hash: "$2a$", "$2b$" or "$2y$", a two-digit cost 04..31, "$", 53 characters. */
#define VG_CRYPTO_BCRYPT_LEN 60u
bool vg_crypto_bcrypt_hash_valid(const char *hash);
/* Checks password (len bytes, not NUL-terminated) against a bcrypt hash with libxcrypt's
 * crypt_rn, comparing in constant time. *match is false for a wrong password, one holding a
 * NUL byte or one longer than VG_CRYPTO_PASSWORD_MAX; bcrypt itself only reads the first 72
 * bytes. A hash that is not bcrypt is VG_E_UNSUPPORTED. Costs what the hash's cost says
 * (about 65 ms at cost 10 on a small VM): callers that verify per request cache the result.
 * Thread safe. */
VG_NODISCARD int vg_crypto_bcrypt_verify(const char *hash, const void *password, size_t len,
                                         bool *match, struct vg_err **err);

/* n bytes from the system CSPRNG (libsodium's randombytes_buf). Thread safe. */
void vg_crypto_random(void *buf, size_t n);

/* HMAC-SHA256 (RFC 2104) of data under key (any length; libsodium's crypto_auth_hmacsha256):
 * webhook payload signatures. Thread safe. */
#define VG_CRYPTO_HMAC_SHA256_BYTES 32u
void vg_crypto_hmac_sha256(uint8_t out[VG_CRYPTO_HMAC_SHA256_BYTES], const void *key, size_t keylen,
                           const void *data, size_t len);

/* Keyed BLAKE2b-256 over length-prefixed parts: a MAC for cache keys such as user+password,
 * with a per-process random key so the digest reveals nothing outside the process. */
#define VG_CRYPTO_KEYED_HASH_BYTES     32u
#define VG_CRYPTO_KEYED_HASH_KEY_BYTES 32u
void vg_crypto_keyed_hash(uint8_t out[VG_CRYPTO_KEYED_HASH_BYTES],
                          const uint8_t key[VG_CRYPTO_KEYED_HASH_KEY_BYTES],
                          const struct vg_str *parts, size_t nparts);

#endif
