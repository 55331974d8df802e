/* SPDX-License-Identifier: Apache-2.0
 *
 * Content digests (OpenSSL EVP, the only OpenSSL use in core), their strict text form, and
 * base64/hex codecs. A digest string is accepted only with a known algorithm and the exact
 * number of lowercase hex digits: "sha256:ABC..." or a short hash is an error, because a lax
 * parser here lets two spellings name one blob.
 */
#include "core.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

struct vg_hasher {
    EVP_MD_CTX *ctx;
    enum vg_digest_alg alg;
};

static const EVP_MD *
md_of(enum vg_digest_alg alg)
{
    return alg == VG_DIGEST_SHA512 ? EVP_sha512() : EVP_sha256();
}

static size_t
hexlen_of(enum vg_digest_alg alg)
{
    return alg == VG_DIGEST_SHA512 ? 128 : 64;
}

bool
vg_digest_valid(const char *s)
{
    return vg_digest_parse(&(struct vg_digest){0}, s, NULL) == 0;
}

int
vg_digest_parse(struct vg_digest *out, const char *s, struct vg_err **err)
{
    enum vg_digest_alg alg;
    const char *hex;
    if (!s) {
        return vg_err_set(err, VG_E_PARSE, "missing digest");
    }
    if (vg_cstr_startswith(s, "sha256:")) {
        alg = VG_DIGEST_SHA256;
        hex = s + 7;
    } else if (vg_cstr_startswith(s, "sha512:")) {
        alg = VG_DIGEST_SHA512;
        hex = s + 7;
    } else {
        char *e = vg_escape(s, strlen(s), 80);
        int rc = vg_err_set(err, VG_E_PARSE, "invalid digest \"%s\": unknown algorithm", e);
        free(e);
        return rc;
    }
    size_t n = strlen(hex);
    bool ok = n == hexlen_of(alg);
    for (size_t i = 0; ok && i < n; i++) {
        char c = hex[i];
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    if (!ok) {
        char *e = vg_escape(s, strlen(s), 140);
        int rc = vg_err_set(err, VG_E_PARSE, "invalid digest \"%s\": want %zu lowercase hex digits",
                            e, hexlen_of(alg));
        free(e);
        return rc;
    }
    out->alg = alg;
    memcpy(out->text, s, 7 + n + 1);
    return 0;
}

bool
vg_digest_eq(const struct vg_digest *a, const struct vg_digest *b)
{
    size_t la = strlen(a->text), lb = strlen(b->text);
    return a->alg == b->alg && la == lb && CRYPTO_memcmp(a->text, b->text, la) == 0;
}

const char *
vg_digest_hex(const struct vg_digest *d)
{
    return d->text + 7;
}

struct vg_hasher *
vg_hasher_new(enum vg_digest_alg alg)
{
    struct vg_hasher *h = vg_calloc(1, sizeof(*h));
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, md_of(alg), NULL) != 1) {
        abort(); /* only fails on OOM */
    }
    h->alg = alg;
    return h;
}

void
vg_hasher_update(struct vg_hasher *h, const void *data, size_t n)
{
    if (n && EVP_DigestUpdate(h->ctx, data, n) != 1) {
        abort();
    }
}

void
vg_hasher_final(struct vg_hasher *h, struct vg_digest *out)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_DigestFinal_ex(h->ctx, md, &mdlen) != 1) {
        abort();
    }
    out->alg = h->alg;
    memcpy(out->text, h->alg == VG_DIGEST_SHA512 ? "sha512:" : "sha256:", 7);
    vg_hex_encode(out->text + 7, md, mdlen);
}

void
vg_hasher_free(struct vg_hasher *h)
{
    if (h) {
        EVP_MD_CTX_free(h->ctx);
        free(h);
    }
}

void
vg_digest_of(struct vg_digest *out, enum vg_digest_alg alg, const void *data, size_t n)
{
    struct vg_hasher *h = vg_hasher_new(alg);
    vg_hasher_update(h, data, n);
    vg_hasher_final(h, out);
    vg_hasher_free(h);
}

void
vg_sha256_raw(uint8_t out[32], const void *data, size_t n)
{
    unsigned int len = 32;
    if (EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) != 1) {
        abort();
    }
}

void
vg_hex_encode(char *out, const uint8_t *data, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[data[i] >> 4];
        out[2 * i + 1] = hx[data[i] & 15];
    }
    out[2 * n] = '\0';
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
vg_base64_encode(const void *data, size_t n)
{
    const uint8_t *p = data;
    size_t outlen = 4 * ((n + 2) / 3);
    char *o = vg_malloc(outlen + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) {
            v |= (uint32_t)p[i + 1] << 8;
        }
        if (i + 2 < n) {
            v |= p[i + 2];
        }
        o[j++] = b64[(v >> 18) & 63];
        o[j++] = b64[(v >> 12) & 63];
        o[j++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        o[j++] = i + 2 < n ? b64[v & 63] : '=';
    }
    o[j] = '\0';
    return o;
}

static int
b64val(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+' || c == '-') {
        return 62;
    }
    if (c == '/' || c == '_') {
        return 63;
    }
    return -1;
}

int
vg_base64_decode(uint8_t **out, size_t *outlen, const char *s, size_t n, bool skip_ws,
                 struct vg_err **err)
{
    uint8_t *o = vg_malloc(n / 4 * 3 + 3);
    size_t j = 0;
    uint32_t acc = 0;
    int bits = 0;
    size_t pad = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (skip_ws && (c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
            continue;
        }
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64val(c);
        if (v < 0 || pad) {
            free(o);
            return vg_err_set(err, VG_E_PARSE, "invalid base64 at offset %zu", i);
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[j++] = (uint8_t)(acc >> bits);
        }
    }
    if (pad > 2 || bits >= 6) {
        free(o);
        return vg_err_set(err, VG_E_PARSE, "invalid base64 length");
    }
    *out = o;
    *outlen = j;
    return 0;
}
