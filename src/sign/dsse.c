/* SPDX-License-Identifier: Apache-2.0
 *
 * DSSE envelopes (cosign-format.md §6.1): the pre-authentication encoding that is actually
 * signed, a bounded envelope parser, signing in cosign's JSON layout and verification. The
 * statement inside is statement.c's business; nothing here interprets the payload.
 */
#include "sign_int.h"

#include <string.h>

int
vg_sign_dsse_pae(struct vg_buf *out, const char *payload_type, const void *payload, size_t len,
                 struct vg_err **err)
{
    int rc =
        vg_buf_appendf(out, err, "DSSEv1 %zu %s %zu ", strlen(payload_type), payload_type, len);
    return rc < 0 ? rc : vg_buf_append(out, payload, len, err);
}

void
vg_sign_dsse_free(struct vg_dsse_envelope *e)
{
    if (!e) {
        return;
    }
    free(e->payload_type);
    free(e->payload);
    for (size_t i = 0; i < e->nsigs; i++) {
        free(e->sigs[i].keyid);
        free(e->sigs[i].sig);
    }
    free(e->sigs);
    free(e);
}

static int
parse_sigs(struct vg_dsse_envelope *e, const json_t *root, struct vg_err **err)
{
    json_t *arr = vg_json_arr(root, "signatures");
    size_t n = arr ? json_array_size(arr) : 0;
    if (n == 0) {
        return vg_err_set(err, VG_E_PARSE, "envelope: signatures: missing or empty");
    }
    if (n > VG_SIGN_DSSE_MAX_SIGS) {
        return vg_err_set(err, VG_E_LIMIT, "envelope: %zu signatures exceed the limit of %u", n,
                          VG_SIGN_DSSE_MAX_SIGS);
    }
    e->sigs = vg_calloc(n, sizeof(*e->sigs));
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(arr, i);
        json_t *keyid = json_object_get(s, "keyid");
        const char *sig = vg_json_str(s, "sig");
        if (!json_is_object(s) || !sig || (keyid && !json_is_string(keyid))) {
            return vg_err_set(err, VG_E_PARSE, "envelope: signatures[%zu]: want {keyid, sig}", i);
        }
        struct vg_dsse_sig *d = &e->sigs[e->nsigs++];
        d->keyid = vg_strdup(keyid ? json_string_value(keyid) : "");
        vg_autofree char *what = vg_fmt("envelope: signatures[%zu].sig", i);
        int rc = vg_sign__b64(&d->sig, &d->siglen, sig, VG_CRYPTO_SIG_MAX, what, err);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

int
vg_sign_dsse_parse(struct vg_dsse_envelope **out, const void *json, size_t len, struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    int rc = vg_json_parse(&root, json, len, VG_SIGN_ENVELOPE_MAX, "envelope", err);
    if (rc < 0) {
        return rc;
    }
    const char *type = json_is_object(root) ? vg_json_str(root, "payloadType") : NULL;
    const char *payload = type ? vg_json_str(root, "payload") : NULL;
    if (!type || !payload) {
        return vg_err_set(err, VG_E_PARSE,
                          "envelope: want an object with string payloadType "
                          "and payload");
    }
    struct vg_dsse_envelope *e = vg_calloc(1, sizeof(*e));
    e->payload_type = vg_strdup(type);
    if ((rc = vg_sign__b64(&e->payload, &e->payload_len, payload, VG_LIMIT_PAYLOAD_BYTES,
                           "envelope: payload", err)) < 0 ||
        (rc = parse_sigs(e, root, err)) < 0) {
        vg_sign_dsse_free(e);
        return rc;
    }
    /* vg_base64_decode leaves room; keep the payload NUL-terminated for callers. */
    uint8_t *p = vg_realloc(e->payload, vg_size_add_or_abort(e->payload_len, 1));
    p[e->payload_len] = '\0';
    e->payload = p;
    *out = e;
    return 0;
}

int
vg_sign_dsse_verify(const struct vg_dsse_envelope *e, const struct vg_crypto_key *key,
                    struct vg_err **err)
{
    vg_autobuf struct vg_buf pae = VG_BUF_INIT(VG_SIGN_ENVELOPE_MAX);
    int rc = vg_sign_dsse_pae(&pae, e->payload_type, e->payload, e->payload_len, err);
    if (rc < 0) {
        return rc;
    }
    for (size_t i = 0; i < e->nsigs; i++) {
        if (vg_crypto_verify(key, pae.data, pae.len, e->sigs[i].sig, e->sigs[i].siglen, NULL) ==
            0) {
            return 0;
        }
    }
    return vg_err_set(err, VG_E_VERIFY,
                      "envelope: none of %zu signature(s) verifies with the "
                      "%s key",
                      e->nsigs, vg_crypto_key_describe(key));
}

int
vg_sign_dsse_sign(struct vg_buf *out, const struct vg_crypto_key *key, const char *payload_type,
                  const void *payload, size_t len, struct vg_err **err)
{
    if (len > VG_LIMIT_PAYLOAD_BYTES) {
        return vg_err_set(err, VG_E_LIMIT, "payload of %zu bytes exceeds the limit of %u", len,
                          VG_LIMIT_PAYLOAD_BYTES);
    }
    vg_autobuf struct vg_buf pae = VG_BUF_INIT(VG_SIGN_ENVELOPE_MAX);
    vg_autofree uint8_t *sig = NULL;
    size_t siglen = 0;
    int rc = vg_sign_dsse_pae(&pae, payload_type, payload, len, err);
    if (rc < 0 || (rc = vg_crypto_sign(key, pae.data, pae.len, &sig, &siglen, err)) < 0) {
        return rc;
    }
    vg_autofree char *p64 = vg_base64_encode(payload, len);
    vg_autofree char *s64 = vg_base64_encode(sig, siglen);
    if ((rc = vg_buf_append_str(out, "{\"payloadType\":", err)) < 0 ||
        (rc = vg_sign__go_string(out, payload_type, strlen(payload_type), err)) < 0) {
        return rc;
    }
    return vg_buf_appendf(out, err,
                          ",\"payload\":\"%s\",\"signatures\":[{\"keyid\":\"\",\"sig\":\"%s\"}]}",
                          p64, s64);
}
