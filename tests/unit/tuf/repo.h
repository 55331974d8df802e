/* SPDX-License-Identifier: Apache-2.0
 *
 * A TUF repository built in memory by the tests: keys generated with OpenSSL (Ed25519, ECDSA
 * P-256, RSA 2048), metadata assembled with jansson, signed over its canonical JSON with
 * crypto/, and served through a vg_tuf_fetcher (a name → bytes table). Both dialects: the
 * specification's (hex, "snapshot.json" meta names, explicit schemes) and Notary's (base64,
 * bare role names, raw r||s ECDSA).
 */
#ifndef VG_TEST_TUF_REPO_H
#define VG_TEST_TUF_REPO_H

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "tuf/tuf.h"

#define T_FUTURE "2099-01-01T00:00:00Z"
#define T_PAST   "2001-01-01T00:00:00Z"

struct tk {
    struct vg_crypto_key *k;
    const char *kind; /* "ed25519", "ecdsa", "rsa" */
    char id[65];
    json_t *pub; /* the key object in metadata */
};

static enum vg_tuf_dialect t_dialect = VG_TUF_DIALECT_SPEC;

static inline void
tk_gen(struct tk *t, const char *kind)
{
    EVP_PKEY *p = strcmp(kind, "ed25519") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
                  : strcmp(kind, "ecdsa") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
                                               : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    cr_assert(p);
    BIO *b = BIO_new(BIO_s_mem());
    cr_assert(PEM_write_bio_PrivateKey(b, p, NULL, NULL, 0, NULL, NULL) == 1);
    char *pem = NULL;
    long n = BIO_get_mem_data(b, &pem);
    struct vg_err *err = NULL;
    t->k = NULL;
    cr_assert(vg_crypto_key_import_pem(&t->k, pem, (size_t)n, &err) == 0);
    BIO_free(b);
    EVP_PKEY_free(p);
    t->kind = kind;
    json_t *keyval = json_object();
    const char *keytype = kind, *scheme = NULL;
    uint8_t *der = NULL;
    size_t derlen = 0;
    cr_assert(vg_crypto_key_public_der(t->k, &der, &derlen, &err) == 0);
    if (t_dialect == VG_TUF_DIALECT_NOTARY) {
        /* Notary: base64 of the raw Ed25519 key or of the DER SPKI */
        char *b64 = strcmp(kind, "ed25519") == 0 ? vg_base64_encode(der + derlen - 32, 32)
                                                 : vg_base64_encode(der, derlen);
        json_object_set_new(keyval, "public", json_string(b64));
        free(b64);
    } else if (strcmp(kind, "ed25519") == 0) {
        char hex[65];
        vg_hex_encode(hex, der + derlen - 32, 32);
        json_object_set_new(keyval, "public", json_string(hex));
        scheme = "ed25519";
    } else {
        char *pubpem = NULL;
        cr_assert(vg_crypto_key_public_pem(t->k, &pubpem, &err) == 0);
        json_object_set_new(keyval, "public", json_string(pubpem));
        free(pubpem);
        scheme = strcmp(kind, "ecdsa") == 0 ? "ecdsa-sha2-nistp256" : "rsassa-pss-sha256";
    }
    free(der);
    json_object_set_new(keyval, "private", t_dialect == VG_TUF_DIALECT_NOTARY ? json_null() : NULL);
    t->pub = json_object();
    json_object_set_new(t->pub, "keytype", json_string(keytype));
    if (scheme) {
        json_object_set_new(t->pub, "scheme", json_string(scheme));
    }
    json_object_set_new(t->pub, "keyval", keyval);
    struct vg_buf c = VG_BUF_INIT(1u << 20);
    cr_assert(vg_tuf_cjson_encode(&c, t->pub, &err) == 0);
    uint8_t h[32];
    vg_sha256_raw(h, c.data, c.len);
    vg_hex_encode(t->id, h, 32);
    vg_buf_dispose(&c);
}

static inline void
tk_free(struct tk *t)
{
    vg_crypto_key_free(t->k);
    json_decref(t->pub);
}

static inline char *
sig_text(const struct tk *t, const uint8_t *data, size_t len)
{
    struct vg_err *err = NULL;
    uint8_t *sig = NULL;
    size_t n = 0;
    if (strcmp(t->kind, "rsa") == 0) {
        cr_assert(vg_crypto_rsa_pss_sign(t->k, data, len, &sig, &n, &err) == 0);
    } else if (strcmp(t->kind, "ecdsa") == 0 && t_dialect == VG_TUF_DIALECT_NOTARY) {
        sig = vg_malloc(64);
        n = 64;
        cr_assert(vg_crypto_es256_sign(t->k, data, len, sig, &err) == 0);
    } else {
        cr_assert(vg_crypto_sign(t->k, data, len, &sig, &n, &err) == 0);
    }
    char *out;
    if (t_dialect == VG_TUF_DIALECT_NOTARY) {
        out = vg_base64_encode(sig, n);
    } else {
        out = vg_malloc(2 * n + 1);
        vg_hex_encode(out, sig, n);
    }
    free(sig);
    return out;
}

/* {"signatures": [...], "signed": s} signed by keys[0..n) (a key may repeat); s is taken.
 * as_id (may be NULL) overrides the key id a signature names. */
static inline char *
t_sign_as(json_t *s, struct tk *const *keys, const char *const *as_id, size_t n)
{
    struct vg_err *err = NULL;
    struct vg_buf c = VG_BUF_INIT(64u << 20);
    cr_assert(vg_tuf_cjson_encode(&c, s, &err) == 0);
    json_t *sigs = json_array();
    for (size_t i = 0; i < n; i++) {
        char *st = sig_text(keys[i], c.data, c.len);
        json_t *o = json_object();
        json_object_set_new(o, "keyid", json_string(as_id && as_id[i] ? as_id[i] : keys[i]->id));
        json_object_set_new(o, "sig", json_string(st));
        if (t_dialect == VG_TUF_DIALECT_NOTARY) {
            json_object_set_new(
                o, "method",
                json_string(strcmp(keys[i]->kind, "rsa") == 0 ? "rsapss" : keys[i]->kind));
        }
        json_array_append_new(sigs, o);
        free(st);
    }
    vg_buf_dispose(&c);
    json_t *doc = json_object();
    json_object_set_new(doc, "signatures", sigs);
    json_object_set_new(doc, "signed", s);
    char *text = json_dumps(doc, JSON_INDENT(1));
    json_decref(doc);
    return text;
}

static inline char *
t_sign(json_t *s, struct tk *const *keys, size_t n)
{
    return t_sign_as(s, keys, NULL, n);
}

static inline json_t *
t_signed(const char *type, uint64_t version, const char *expires)
{
    json_t *s = json_object();
    if (t_dialect == VG_TUF_DIALECT_NOTARY) {
        char cap[16];
        snprintf(cap, sizeof(cap), "%c%s", type[0] - 32, type + 1);
        json_object_set_new(s, "_type", json_string(cap));
    } else {
        json_object_set_new(s, "_type", json_string(type));
        json_object_set_new(s, "spec_version", json_string("1.0.31"));
    }
    json_object_set_new(s, "version", json_integer((json_int_t)version));
    json_object_set_new(s, "expires", json_string(expires));
    return s;
}

static inline json_t *
t_role(struct tk *const *keys, size_t n, uint64_t threshold)
{
    json_t *r = json_object(), *ids = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(ids, json_string(keys[i]->id));
    }
    json_object_set_new(r, "keyids", ids);
    json_object_set_new(r, "threshold", json_integer((json_int_t)threshold));
    return r;
}

/* A root whose four roles are each one key with threshold 1 (keys: root, ts, snap, targets). */
static inline json_t *
t_root(uint64_t version, const char *expires, struct tk *const k[4])
{
    static const char *const names[] = {"root", "timestamp", "snapshot", "targets"};
    json_t *s = t_signed("root", version, expires);
    json_t *keys = json_object(), *roles = json_object();
    for (int i = 0; i < 4; i++) {
        json_object_set(keys, k[i]->id, k[i]->pub);
        json_object_set_new(roles, names[i], t_role(&k[i], 1, 1));
    }
    json_object_set_new(s, "keys", keys);
    json_object_set_new(s, "roles", roles);
    json_object_set_new(s, "consistent_snapshot", json_false());
    return s;
}

static inline json_t *
t_hashes(const void *data, size_t len)
{
    uint8_t h[32];
    vg_sha256_raw(h, data, len);
    json_t *o = json_object();
    char *txt;
    if (t_dialect == VG_TUF_DIALECT_NOTARY) {
        txt = vg_base64_encode(h, 32);
    } else {
        txt = vg_malloc(65);
        vg_hex_encode(txt, h, 32);
    }
    json_object_set_new(o, "sha256", json_string(txt));
    free(txt);
    return o;
}

/* A meta entry for file bytes (NULL: version only). */
static inline json_t *
t_metafile(uint64_t version, const char *bytes)
{
    json_t *o = json_object();
    if (t_dialect == VG_TUF_DIALECT_SPEC || version) {
        json_object_set_new(o, "version", json_integer((json_int_t)version));
    }
    if (bytes) {
        json_object_set_new(o, "length", json_integer((json_int_t)strlen(bytes)));
        json_object_set_new(o, "hashes", t_hashes(bytes, strlen(bytes)));
    }
    return o;
}

static inline const char *
t_metaname(const char *role, char *buf, size_t n)
{
    snprintf(buf, n, t_dialect == VG_TUF_DIALECT_SPEC ? "%s.json" : "%s", role);
    return buf;
}

static inline json_t *
t_target(const char *content)
{
    json_t *o = json_object();
    json_object_set_new(o, "length", json_integer((json_int_t)strlen(content)));
    json_object_set_new(o, "hashes", t_hashes(content, strlen(content)));
    return o;
}

/* ---------------------------------------------------------------- served files */

#define T_MAX_FILES 64
struct t_repo {
    char *name[T_MAX_FILES];
    char *data[T_MAX_FILES];
    size_t n;
    unsigned fetches;
};

static inline void
t_put(struct t_repo *r, const char *name, char *data)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->name[i], name) == 0) {
            free(r->data[i]);
            r->data[i] = data;
            return;
        }
    }
    cr_assert(r->n < T_MAX_FILES);
    r->name[r->n] = vg_strdup(name);
    r->data[r->n++] = data;
}

static inline const char *
t_get(struct t_repo *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->name[i], name) == 0) {
            return r->data[i];
        }
    }
    return NULL;
}

static inline void
t_del(struct t_repo *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->name[i], name) == 0) {
            free(r->name[i]);
            free(r->data[i]);
            r->name[i] = r->name[r->n - 1];
            r->data[i] = r->data[r->n - 1];
            r->n--;
            return;
        }
    }
}

static inline void
t_repo_free(struct t_repo *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->name[i]);
        free(r->data[i]);
    }
    r->n = 0;
}

static inline int
t_fetch(void *payload, const char *name, struct vg_buf *out, struct vg_err **err)
{
    struct t_repo *r = payload;
    r->fetches++;
    const char *d = t_get(r, name);
    if (!d) {
        return vg_err_set(err, VG_E_NOTFOUND, "%s: HTTP 404", name);
    }
    return vg_buf_append(out, d, strlen(d), err);
}

static inline char *
t_tmpdir(void)
{
    char *d = vg_strdup("/tmp/vg-tuf-test-XXXXXX");
    cr_assert(mkdtemp(d));
    return d;
}

#endif
