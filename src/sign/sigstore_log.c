/* SPDX-License-Identifier: Apache-2.0
 *
 * Rekor evidence: RFC 6962 Merkle inclusion proofs, signed checkpoints (the C2SP signed-note
 * format Rekor v1 and v2 both use), signed entry timestamps, and the check that a log entry's
 * canonicalized body is about *this* signature, signer and artifact (hashedrekord 0.0.1 and
 * 0.0.2, dsse 0.0.1, intoto 0.0.2). Which entries a bundle must carry is sigstore_verify.c's.
 */
#include "sigstore_int.h"

#include <string.h>

void
vg_sigstore_leaf_hash(uint8_t out[32], const void *data, size_t len)
{
    uint8_t *buf = vg_malloc(len + 1);
    buf[0] = 0x00;
    if (len) {
        memcpy(buf + 1, data, len);
    }
    vg_sha256_raw(out, buf, len + 1);
    free(buf);
}

static void
node_hash(uint8_t out[32], const uint8_t l[32], const uint8_t r[32])
{
    uint8_t buf[65];
    buf[0] = 0x01;
    memcpy(buf + 1, l, 32);
    memcpy(buf + 33, r, 32);
    vg_sha256_raw(out, buf, sizeof(buf));
}

int
vg_sigstore_merkle_verify(uint64_t index, uint64_t size, const uint8_t leaf[32],
                          const uint8_t (*path)[32], size_t n, const uint8_t root[32],
                          struct vg_err **err)
{
    if (index >= size) {
        return vg_err_set(err, VG_E_VERIFY,
                          "inclusion proof: index %llu is outside a tree of %llu leaves",
                          (unsigned long long)index, (unsigned long long)size);
    }
    /* RFC 9162 §2.1.3.2. */
    uint64_t fn = index, sn = size - 1;
    uint8_t r[32];
    memcpy(r, leaf, 32);
    for (size_t i = 0; i < n; i++) {
        if (sn == 0) {
            return vg_err_set(err, VG_E_VERIFY,
                              "inclusion proof: %zu hashes is too many for this tree", n);
        }
        if ((fn & 1u) == 1u || fn == sn) {
            node_hash(r, path[i], r);
            while ((fn & 1u) == 0u && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            node_hash(r, r, path[i]);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) {
        return vg_err_set(err, VG_E_VERIFY, "inclusion proof: %zu hashes is too few for this tree",
                          n);
    }
    if (!vg_crypto_memeq(r, root, 32)) {
        return vg_err_set(err, VG_E_VERIFY,
                          "inclusion proof: computed root hash does not match the proof's root");
    }
    return 0;
}

void
vg_sigstore_checkpoint_dispose(struct vg_sigstore_checkpoint *cp)
{
    free(cp->origin);
    cp->origin = NULL;
}

/* The next line of [p, end) without its '\n'; false when no '\n' is left. */
static bool
next_line(const char **p, const char *end, struct vg_str *line)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (!nl) {
        return false;
    }
    line->ptr = *p;
    line->len = (size_t)(nl - *p);
    *p = nl + 1;
    return true;
}

static int
parse_note_body(struct vg_sigstore_checkpoint *cp, const char *text, size_t len,
                struct vg_err **err)
{
    const char *p = text, *end = text + len;
    struct vg_str origin, size, hash;
    if (!next_line(&p, end, &origin) || !next_line(&p, end, &size) || !next_line(&p, end, &hash)) {
        return vg_err_set(err, VG_E_PARSE, "checkpoint: fewer than three lines");
    }
    if (origin.len == 0) {
        return vg_err_set(err, VG_E_PARSE, "checkpoint: empty origin line");
    }
    if (size.len == 0 || vg_parse_u64(size, UINT64_MAX, &cp->size) < 0) {
        return vg_err_set(err, VG_E_PARSE, "checkpoint: tree size line is not a number");
    }
    vg_autofree uint8_t *raw = NULL;
    size_t n = 0;
    vg_autofree char *h = vg_str_dup(hash);
    if (vg_base64_decode(&raw, &n, h, hash.len, false, err) < 0 || n != 32) {
        if (!raw && err && *err) {
            vg_err_free(err);
        }
        return vg_err_set(err, VG_E_PARSE, "checkpoint: root hash line is not 32 base64 bytes");
    }
    memcpy(cp->root, raw, 32);
    cp->origin = vg_str_dup(origin);
    return 0;
}

static const char em_dash[] = "\xe2\x80\x94 ";

/* The note signer name of a log: its base URL without scheme and path (Rekor signs its
 * checkpoints as "rekor.sigstore.dev", "log2025-1.rekor.sigstore.dev"). Empty when unknown. */
static struct vg_str
log_host(const char *url)
{
    struct vg_str s = vg_str_c(url ? url : "");
    struct vg_str head, tail;
    const char *scheme = strstr(s.ptr, "://");
    if (scheme) {
        s.len -= (size_t)(scheme + 3 - s.ptr);
        s.ptr = scheme + 3;
    }
    if (vg_str_cut(s, '/', &head, &tail)) {
        s = head;
    }
    return s;
}

int
vg_sigstore_checkpoint_verify(struct vg_sigstore_checkpoint *out, const char *note, size_t len,
                              const struct vg_sigstore_log *log, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    if (len > VG_SIGSTORE_NOTE_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "checkpoint of %zu bytes (limit %u)", len,
                          VG_SIGSTORE_NOTE_MAX);
    }
    if (memchr(note, '\0', len)) {
        return vg_err_set(err, VG_E_PARSE, "checkpoint: NUL byte");
    }
    const char *sep = NULL;
    for (size_t i = 0; i + 1 < len && !sep; i++) {
        if (note[i] == '\n' && note[i + 1] == '\n') {
            sep = note + i;
        }
    }
    if (!sep) {
        return vg_err_set(err, VG_E_PARSE, "checkpoint: no blank line before the signatures");
    }
    size_t bodylen = (size_t)(sep - note) + 1; /* the signed text ends with its last '\n' */
    struct vg_sigstore_checkpoint cp = {0};
    if (parse_note_body(&cp, note, bodylen, err) < 0) {
        return -1;
    }
    const char *p = sep + 2, *end = note + len;
    struct vg_str line;
    size_t nsigs = 0, named = 0, matched = 0;
    struct vg_str host = log_host(log->base_url);
    bool ok = false;
    while (p < end) {
        if (!next_line(&p, end, &line)) {
            vg_sigstore_checkpoint_dispose(&cp);
            return vg_err_set(err, VG_E_PARSE, "checkpoint: signature line without newline");
        }
        if (++nsigs > VG_SIGSTORE_NOTE_SIGS) {
            vg_sigstore_checkpoint_dispose(&cp);
            return vg_err_set(err, VG_E_LIMIT, "checkpoint: more than %u signatures",
                              VG_SIGSTORE_NOTE_SIGS);
        }
        struct vg_str name, b64;
        if (!vg_str_startswith(line, em_dash)) {
            vg_sigstore_checkpoint_dispose(&cp);
            return vg_err_set(err, VG_E_PARSE, "checkpoint: signature line %zu lacks \"— \"",
                              nsigs);
        }
        line.ptr += sizeof(em_dash) - 1;
        line.len -= sizeof(em_dash) - 1;
        /* The name has no spaces; the base64 follows the last space. */
        const char *sp = NULL;
        for (size_t i = line.len; i > 0 && !sp; i--) {
            if (line.ptr[i - 1] == ' ') {
                sp = line.ptr + i - 1;
            }
        }
        if (!sp || sp == line.ptr) {
            vg_sigstore_checkpoint_dispose(&cp);
            return vg_err_set(err, VG_E_PARSE, "checkpoint: malformed signature line %zu", nsigs);
        }
        name.ptr = line.ptr;
        name.len = (size_t)(sp - line.ptr);
        b64.ptr = sp + 1;
        b64.len = line.len - name.len - 1;
        vg_autofree uint8_t *sig = NULL;
        size_t siglen = 0;
        struct vg_err *e = NULL;
        if (b64.len > 2048 || vg_base64_decode(&sig, &siglen, b64.ptr, b64.len, false, &e) < 0 ||
            siglen < 5) {
            vg_err_free(&e);
            continue; /* not ours to judge: another signer's line */
        }
        if (host.len && !vg_str_eq(name, host)) {
            continue;
        }
        named++;
        if (memcmp(sig, log->id, 4) != 0) {
            continue;
        }
        matched++;
        if (vg_crypto_verify(log->key, note, bodylen, sig + 4, siglen - 4, &e) == 0) {
            ok = true;
        }
        vg_err_free(&e);
    }
    if (!ok) {
        vg_sigstore_checkpoint_dispose(&cp);
        if (!named) {
            vg_autofree char *esc = vg_escape(host.ptr, host.len, 100);
            return vg_err_set(err, VG_E_VERIFY, "checkpoint: no signature by the log %s", esc);
        }
        return vg_err_set(err, VG_E_VERIFY,
                          matched ? "checkpoint: the log's signature does not verify"
                                  : "checkpoint: no signature with the log's key hint");
    }
    *out = cp;
    return 0;
}

/* ---------------------------------------------------------------- signed entry timestamps */

int
vg_sigstore__set_verify(const struct vg_sigstore_tlog_entry *e, const struct vg_sigstore_log *log,
                        struct vg_err **err)
{
    /* cosign-format.md §3.3: RFC 8785 JSON of {body, integratedTime, logID, logIndex}. */
    vg_autofree char *body = vg_base64_encode(e->body, e->bodylen);
    char logid[65];
    vg_hex_encode(logid, e->log_id, 32);
    vg_autobuf struct vg_buf msg = VG_BUF_INIT(VG_SIGSTORE_BODY_MAX * 2u);
    if (vg_buf_appendf(
            &msg, err,
            "{\"body\":\"%s\",\"integratedTime\":%lld,\"logID\":\"%s\",\"logIndex\":%lld}", body,
            (long long)e->integrated_time, logid, (long long)e->log_index) < 0) {
        return -1;
    }
    if (vg_crypto_verify(log->key, msg.data, msg.len, e->set, e->setlen, err) < 0) {
        return vg_err_wrap(err, "signed entry timestamp");
    }
    return 0;
}

/* ---------------------------------------------------------------- entry bodies */

static int
mismatch(struct vg_err **err, const char *kind, const char *what)
{
    return vg_err_set(err, VG_E_VERIFY, "tlog entry (%s): %s does not match the bundle", kind,
                      what);
}

/* The signer named in a body (PEM or DER, a certificate or a public key) against ours. */
static bool
signer_matches(const uint8_t *data, size_t len, const struct vg_sigstore__content *c)
{
    struct vg_err *e = NULL;
    bool ok = false;
    if (c->leaf) {
        struct vg_x509 *x = NULL;
        if (vg_x509_parse(&x, data, len, &e) == 0) {
            ok = vg_x509_eq(x, c->leaf);
            vg_x509_free(x);
        }
    } else if (c->key) {
        /* a public key, or a certificate of this key (cosign sign --key --certificate logs
         * the certificate) */
        struct vg_crypto_key *k = NULL;
        if (vg_crypto_key_load_public(&k, data, len, &e) < 0) {
            vg_err_free(&e);
            if (vg_crypto_key_from_certificate(&k, data, len, &e) < 0) {
                k = NULL;
            }
        }
        ok = k && vg_crypto_key_public_eq(k, c->key);
        vg_crypto_key_free(k);
    }
    vg_err_free(&e);
    return ok;
}

/* A base64 field decoded and compared with want. */
static bool
b64_field_eq(const json_t *obj, const char *key, const uint8_t *want, size_t wantlen)
{
    const char *s = obj ? vg_json_str(obj, key) : NULL;
    vg_autofree uint8_t *raw = NULL;
    size_t n = 0;
    struct vg_err *e = NULL;
    bool ok = s && vg_base64_decode(&raw, &n, s, strlen(s), false, &e) == 0 && n == wantlen &&
              memcmp(raw, want, n) == 0;
    vg_err_free(&e);
    return ok;
}

static bool
b64_signer_matches(const json_t *obj, const char *key, const struct vg_sigstore__content *c)
{
    const char *s = obj ? vg_json_str(obj, key) : NULL;
    vg_autofree uint8_t *raw = NULL;
    size_t n = 0;
    struct vg_err *e = NULL;
    bool ok =
        s && vg_base64_decode(&raw, &n, s, strlen(s), false, &e) == 0 && signer_matches(raw, n, c);
    vg_err_free(&e);
    return ok;
}

/* {"algorithm":"sha256","value":"<hex>"} against a raw digest. */
static bool
hex_hash_eq(const json_t *h, const uint8_t want[32])
{
    const char *alg = h ? vg_json_str(h, "algorithm") : NULL;
    const char *val = h ? vg_json_str(h, "value") : NULL;
    char hex[65];
    vg_hex_encode(hex, want, 32);
    return alg && val && strcmp(alg, "sha256") == 0 && strcmp(val, hex) == 0;
}

static int
check_hashedrekord_v001(const json_t *spec, const struct vg_sigstore__content *c,
                        struct vg_err **err)
{
    if (c->dsse) {
        return vg_err_set(err, VG_E_VERIFY,
                          "tlog entry: hashedrekord 0.0.1 entry for a DSSE bundle");
    }
    if (!hex_hash_eq(vg_json_obj(vg_json_obj(spec, "data"), "hash"), c->artifact_sha256)) {
        return mismatch(err, "hashedrekord", "the artifact digest");
    }
    json_t *sig = vg_json_obj(spec, "signature");
    if (!b64_field_eq(sig, "content", c->sig, c->siglen)) {
        return mismatch(err, "hashedrekord", "the signature");
    }
    if (!b64_signer_matches(vg_json_obj(sig, "publicKey"), "content", c)) {
        return mismatch(err, "hashedrekord", "the certificate or public key");
    }
    return 0;
}

static int
check_hashedrekord_v002(const json_t *spec, const struct vg_sigstore__content *c,
                        struct vg_err **err)
{
    json_t *v = vg_json_obj(spec, "hashedRekordV002");
    json_t *data = vg_json_obj(v, "data");
    const char *alg = data ? vg_json_str(data, "algorithm") : NULL;
    const uint8_t *want = c->dsse ? c->pae_sha256 : c->artifact_sha256;
    if (!alg || strcmp(alg, "SHA2_256") != 0 || !b64_field_eq(data, "digest", want, 32)) {
        return mismatch(err, "hashedrekord",
                        c->dsse ? "the DSSE PAE digest" : "the artifact digest");
    }
    json_t *sig = vg_json_obj(v, "signature");
    if (!b64_field_eq(sig, "content", c->sig, c->siglen)) {
        return mismatch(err, "hashedrekord", "the signature");
    }
    json_t *ver = vg_json_obj(sig, "verifier");
    json_t *cert = vg_json_obj(ver, "x509Certificate");
    json_t *pk = vg_json_obj(ver, "publicKey");
    if (!(cert ? b64_signer_matches(cert, "rawBytes", c) : b64_signer_matches(pk, "rawBytes", c))) {
        return mismatch(err, "hashedrekord", "the certificate or public key");
    }
    return 0;
}

static int
check_dsse_v001(const json_t *spec, const struct vg_sigstore__content *c, struct vg_err **err)
{
    if (!c->dsse) {
        return vg_err_set(err, VG_E_VERIFY, "tlog entry: dsse entry for a messageSignature bundle");
    }
    uint8_t ph[32];
    vg_sha256_raw(ph, c->payload, c->payloadlen);
    if (!hex_hash_eq(vg_json_obj(spec, "payloadHash"), ph)) {
        return mismatch(err, "dsse", "the envelope payload hash");
    }
    json_t *sigs = vg_json_arr(spec, "signatures");
    if (!sigs || json_array_size(sigs) != 1) {
        return mismatch(err, "dsse", "the number of signatures");
    }
    json_t *s = json_array_get(sigs, 0);
    if (!b64_field_eq(s, "signature", c->sig, c->siglen)) {
        return mismatch(err, "dsse", "the envelope signature");
    }
    if (!b64_signer_matches(s, "verifier", c)) {
        return mismatch(err, "dsse", "the certificate or public key");
    }
    return 0;
}

/* intoto 0.0.2 keeps the envelope with payload and signatures base64-encoded once more. */
static int
check_intoto_v002(const json_t *spec, const struct vg_sigstore__content *c, struct vg_err **err)
{
    if (!c->dsse) {
        return vg_err_set(err, VG_E_VERIFY,
                          "tlog entry: intoto entry for a messageSignature bundle");
    }
    json_t *content = vg_json_obj(spec, "content");
    uint8_t ph[32];
    vg_sha256_raw(ph, c->payload, c->payloadlen);
    if (!hex_hash_eq(vg_json_obj(content, "payloadHash"), ph)) {
        return mismatch(err, "intoto", "the envelope payload hash");
    }
    json_t *env = vg_json_obj(content, "envelope");
    const char *pt = env ? vg_json_str(env, "payloadType") : NULL;
    if (!pt || strcmp(pt, c->payload_type) != 0) {
        return mismatch(err, "intoto", "the payload type");
    }
    json_t *sigs = vg_json_arr(env, "signatures");
    if (!sigs || json_array_size(sigs) != 1) {
        return mismatch(err, "intoto", "the number of signatures");
    }
    json_t *s = json_array_get(sigs, 0);
    vg_autofree char *sig64 = vg_base64_encode(c->sig, c->siglen);
    if (!b64_field_eq(s, "sig", (const uint8_t *)sig64, strlen(sig64))) {
        return mismatch(err, "intoto", "the envelope signature");
    }
    if (!b64_signer_matches(s, "publicKey", c)) {
        return mismatch(err, "intoto", "the certificate or public key");
    }
    return 0;
}

int
vg_sigstore__body_check(const struct vg_sigstore_tlog_entry *e,
                        const struct vg_sigstore__content *c, struct vg_err **err)
{
    vg_autojson json_t *j = NULL;
    if (vg_json_parse(&j, e->body, e->bodylen, VG_SIGSTORE_BODY_MAX, "tlog entry body", err) < 0) {
        return -1;
    }
    const char *kind = vg_json_str(j, "kind");
    const char *ver = vg_json_str(j, "apiVersion");
    json_t *spec = vg_json_obj(j, "spec");
    if (!kind || !ver || !spec) {
        return vg_err_set(err, VG_E_PARSE, "tlog entry body: kind, apiVersion or spec missing");
    }
    if (strcmp(kind, e->kind) != 0 || strcmp(ver, e->version) != 0) {
        return vg_err_set(err, VG_E_VERIFY, "tlog entry: body is %s %s but the bundle says %s %s",
                          kind, ver, e->kind, e->version);
    }
    if (strcmp(kind, "hashedrekord") == 0 && strcmp(ver, "0.0.1") == 0) {
        return check_hashedrekord_v001(spec, c, err);
    }
    if (strcmp(kind, "hashedrekord") == 0 && strcmp(ver, "0.0.2") == 0) {
        return check_hashedrekord_v002(spec, c, err);
    }
    if (strcmp(kind, "dsse") == 0 && strcmp(ver, "0.0.1") == 0) {
        return check_dsse_v001(spec, c, err);
    }
    if (strcmp(kind, "intoto") == 0 && strcmp(ver, "0.0.2") == 0) {
        return check_intoto_v002(spec, c, err);
    }
    vg_autofree char *k = vg_escape(kind, strlen(kind), 40);
    vg_autofree char *v = vg_escape(ver, strlen(ver), 20);
    return vg_err_set(err, VG_E_UNSUPPORTED, "tlog entry kind %s %s", k, v);
}
