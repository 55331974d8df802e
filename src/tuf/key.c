/* SPDX-License-Identifier: Apache-2.0
 *
 * TUF keys and their signature schemes. The specification's key types carry hex (Ed25519)
 * or PEM (ECDSA, RSA) public keys with an explicit scheme; Notary v1's carry base64 (raw
 * Ed25519, DER SubjectPublicKeyInfo, or a PEM X.509 certificate for the "-x509" types) and
 * imply the scheme from the key type: Ed25519, ECDSA P-256 as raw r||s, RSASSA-PSS. A key
 * type or scheme we do not know is kept without a usable key, so it can never count toward a
 * threshold, but does not make the metadata unreadable (other clients may know it).
 */
#include "tuf_int.h"

#include "crypto/crypto.h"

/* DER SubjectPublicKeyInfo header of an Ed25519 key (RFC 8410 §4), before its 32 raw bytes. */
static const uint8_t ED25519_SPKI[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                       0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
#define ED25519_RAW 32u

int
vg_tuf__hex_decode(uint8_t *out, size_t outlen, const char *s, size_t n)
{
    if (n != outlen * 2) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned v;
        if (c >= '0' && c <= '9') {
            v = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v = (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v = (unsigned)(c - 'A' + 10);
        } else {
            return -1;
        }
        out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] | v) : (v << 4));
    }
    return 0;
}

static int
ed25519_from_raw(struct vg_crypto_key **out, const uint8_t *raw, struct vg_err **err)
{
    uint8_t der[sizeof(ED25519_SPKI) + ED25519_RAW];
    memcpy(der, ED25519_SPKI, sizeof(ED25519_SPKI));
    memcpy(der + sizeof(ED25519_SPKI), raw, ED25519_RAW);
    return vg_crypto_key_load_public(out, der, sizeof(der), err);
}

static const char *
notary_scheme(const char *keytype)
{
    if (strcmp(keytype, "ed25519") == 0) {
        return "ed25519";
    }
    if (strcmp(keytype, "ecdsa") == 0 || strcmp(keytype, "ecdsa-x509") == 0) {
        return "ecdsa";
    }
    if (strcmp(keytype, "rsa") == 0 || strcmp(keytype, "rsa-x509") == 0) {
        return "rsapss";
    }
    return NULL;
}

static int
load_notary(struct vg_tuf_key *k, const char *pub, struct vg_err **err)
{
    vg_autofree uint8_t *raw = NULL;
    size_t rawlen = 0;
    if (vg_base64_decode(&raw, &rawlen, pub, strlen(pub), false, err) < 0) {
        return -1;
    }
    if (strcmp(k->keytype, "ed25519") == 0) {
        if (rawlen != ED25519_RAW) {
            return vg_err_set(err, VG_E_PARSE, "ed25519 public key of %zu bytes", rawlen);
        }
        return ed25519_from_raw(&k->key, raw, err);
    }
    if (vg_cstr_endswith(k->keytype, "-x509")) {
        vg_autox509 struct vg_x509 *x = NULL;
        if (vg_x509_parse(&x, raw, rawlen, err) < 0 || vg_x509_public_key(&k->key, x, err) < 0 ||
            vg_x509_validity(x, &k->cert_not_before, &k->cert_not_after, err) < 0) {
            return -1;
        }
        k->is_cert = true;
        struct vg_err *e = NULL;
        if (vg_x509_subject_cn(&k->cert_cn, x, &e) < 0) {
            vg_err_free(&e); /* no usable CN: the key can never satisfy Notary's CN = GUN */
        }
        return 0;
    }
    return vg_crypto_key_load_public(&k->key, raw, rawlen, err);
}

static bool
spec_known(const char *keytype, const char *scheme)
{
    static const char *const pairs[][2] = {
        {"ed25519", "ed25519"},
        {"ecdsa", "ecdsa-sha2-nistp256"},
        {"ecdsa", "ecdsa-sha2-nistp384"},
        {"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"},
        {"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"},
        {"rsa", "rsassa-pss-sha256"},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(pairs); i++) {
        if (strcmp(keytype, pairs[i][0]) == 0 && strcmp(scheme, pairs[i][1]) == 0) {
            return true;
        }
    }
    return false;
}

static int
load_spec(struct vg_tuf_key *k, const char *pub, struct vg_err **err)
{
    if (strcmp(k->keytype, "ed25519") == 0) {
        uint8_t raw[ED25519_RAW];
        if (vg_tuf__hex_decode(raw, sizeof(raw), pub, strlen(pub)) < 0) {
            return vg_err_set(err, VG_E_PARSE, "ed25519 public key is not 64 hex digits");
        }
        return ed25519_from_raw(&k->key, raw, err);
    }
    return vg_crypto_key_load_public(&k->key, pub, strlen(pub), err);
}

int
vg_tuf__key_parse(struct vg_tuf_key *k, enum vg_tuf_dialect d, const char *keyid, const json_t *obj,
                  struct vg_err **err)
{
    memset(k, 0, sizeof(*k));
    k->keyid = vg_strdup(keyid);
    const char *keytype = vg_json_str(obj, "keytype");
    const json_t *keyval = vg_json_obj(obj, "keyval");
    const char *pub = keyval ? vg_json_str(keyval, "public") : NULL;
    if (!json_is_object(obj) || !keytype || !pub) {
        return vg_err_set(err, VG_E_PARSE, "key %.64s: keytype and keyval.public are required",
                          keyid);
    }
    k->keytype = vg_strdup(keytype);
    if (d == VG_TUF_DIALECT_NOTARY) {
        const char *scheme = notary_scheme(keytype);
        if (!scheme) {
            return 0;
        }
        k->scheme = vg_strdup(scheme);
        if (load_notary(k, pub, err) < 0) {
            return vg_err_wrap(err, "key %.64s (%s)", keyid, keytype);
        }
        return 0;
    }
    const char *scheme = vg_json_str(obj, "scheme");
    if (!scheme) {
        return vg_err_set(err, VG_E_PARSE, "key %.64s: scheme is required", keyid);
    }
    k->scheme = vg_strdup(scheme);
    if (!spec_known(keytype, scheme)) {
        return 0;
    }
    if (load_spec(k, pub, err) < 0) {
        return vg_err_wrap(err, "key %.64s (%s)", keyid, keytype);
    }
    return 0;
}

void
vg_tuf__key_dispose(struct vg_tuf_key *k)
{
    free(k->keyid);
    free(k->keytype);
    free(k->scheme);
    free(k->cert_cn);
    vg_crypto_key_free(k->key);
    memset(k, 0, sizeof(*k));
}

static bool
type_fits(const struct vg_tuf_key *k)
{
    enum vg_key_type t = vg_crypto_key_type(k->key);
    const char *s = k->scheme;
    if (strcmp(s, "ed25519") == 0) {
        return t == VG_KEY_ED25519;
    }
    if (strcmp(s, "ecdsa-sha2-nistp256") == 0 || strcmp(s, "ecdsa") == 0) {
        return t == VG_KEY_ECDSA_P256;
    }
    if (strcmp(s, "ecdsa-sha2-nistp384") == 0) {
        return t == VG_KEY_ECDSA_P384;
    }
    if (strcmp(s, "rsassa-pss-sha256") == 0 || strcmp(s, "rsapss") == 0) {
        return t == VG_KEY_RSA;
    }
    return false;
}

int
vg_tuf__key_verify(const struct vg_tuf_key *k, const uint8_t *data, size_t len, const uint8_t *sig,
                   size_t siglen, struct vg_err **err)
{
    if (!k->key || !k->scheme || !type_fits(k)) {
        return vg_err_set(err, VG_E_VERIFY, "key %.64s: unsupported key type or scheme", k->keyid);
    }
    if (strcmp(k->scheme, "ecdsa") == 0) {
        return vg_crypto_es256_verify(k->key, data, len, sig, siglen, err);
    }
    if (strcmp(k->scheme, "rsassa-pss-sha256") == 0 || strcmp(k->scheme, "rsapss") == 0) {
        return vg_crypto_rsa_pss_verify(k->key, data, len, sig, siglen, err);
    }
    return vg_crypto_verify(k->key, data, len, sig, siglen, err);
}

void
vg_tuf__role_dispose(struct vg_tuf_role *r)
{
    free(r->name);
    vg_strv_free(r->keyids, r->nkeyids);
    vg_strv_free(r->paths, r->npaths);
    vg_strv_free(r->hash_prefixes, r->nhash_prefixes);
    memset(r, 0, sizeof(*r));
}
