/* SPDX-License-Identifier: Apache-2.0
 *
 * Publishing, second half: signing the changed roles (and a client-managed snapshot) and the
 * multipart POST to the notary server. The repository model and its edits are publish.c's.
 */
#include "publish_int.h"

#include <inttypes.h>

#include "crypto/crypto.h"
#include "net/net.h"

/* ---------------------------------------------------------------- signing and publishing */

static const char *
method_of(const struct vg_crypto_key *k)
{
    switch (vg_crypto_key_type(k)) {
    case VG_KEY_ECDSA_P256:
        return "ecdsa";
    case VG_KEY_ED25519:
        return "eddsa";
    case VG_KEY_RSA:
        return "rsapss"; /* notary's RSASSA-PSS (SHA-256, salt = digest length) */
    default:
        return NULL;
    }
}

/* The file as notary's Go client and server serialise it (json.Marshal of its Signed struct:
 * "signed" first, holding the canonical JSON that was signed, then "signatures" with keyid,
 * method, sig in that order). The server hashes that same serialisation for the snapshot, so
 * any other layout makes the snapshot name different bytes than the ones served. */
static int
sign_file(struct vg_buf *out, json_t *sig, const struct vg_crypto_key *key, const char *id,
          struct vg_err **err)
{
    const char *method = method_of(key);
    if (!method) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "key %s (%s) cannot sign notary metadata", id,
                          vg_crypto_key_describe(key));
    }
    struct vg_buf c = VG_BUF_INIT(VG_TUF_TARGETS_MAX_BYTES);
    if (vg_tuf_cjson_encode(&c, sig, err) < 0) {
        vg_buf_dispose(&c);
        return -1;
    }
    uint8_t raw[VG_CRYPTO_ES256_SIG_BYTES];
    uint8_t *s = NULL;
    size_t slen = 0;
    int rc = 0;
    if (strcmp(method, "ecdsa") == 0) {
        rc = vg_crypto_es256_sign(key, c.data, c.len, raw, err);
        s = raw;
        slen = sizeof(raw);
    } else if (strcmp(method, "rsapss") == 0) {
        rc = vg_crypto_rsa_pss_sign(key, c.data, c.len, &s, &slen, err);
    } else {
        rc = vg_crypto_sign(key, c.data, c.len, &s, &slen, err);
    }
    if (rc < 0) {
        vg_buf_dispose(&c);
        return -1;
    }
    vg_autofree char *b64 = vg_base64_encode(s, slen);
    if (s != raw) {
        free(s);
    }
    /* key ids are hex and methods and base64 need no escaping */
    rc = vg_buf_append_str(out, "{\"signed\":", err);
    if (rc == 0) {
        rc = vg_buf_append(out, c.data, c.len, err);
    }
    if (rc == 0) {
        rc = vg_buf_appendf(
            out, err, ",\"signatures\":[{\"keyid\":\"%s\",\"method\":\"%s\",\"sig\":\"%s\"}]}", id,
            method, b64);
    }
    vg_buf_dispose(&c);
    return rc;
}

static void
bump(json_t *sig, int64_t expires)
{
    json_int_t v = json_integer_value(json_object_get(sig, "version"));
    json_object_set_new(sig, "version", json_integer(v + 1));
    vg_autofree char *e = vg_tuf__pub_expires(expires);
    vg_json_set_str(sig, "expires", e);
}

struct part {
    const char *role;
    struct vg_buf data;
};

static int
sign_role(struct part *p, struct vg_tuf_repo *r, struct edit *e, struct vg_err **err)
{
    const json_t *keyids = NULL;
    const json_t *keys = NULL;
    json_t *root = NULL; /* the root's signed object, for the targets role's keys */
    if (strcmp(e->name, "targets") == 0) {
        root = r->root_sig ? json_incref(r->root_sig)
                           : vg_tuf__pub_signed_json(
                                 vg_tuf_client_meta(vg_tuf_notary_client(r->notary), "root"), err);
        if (!root) {
            return -1;
        }
        keys = vg_json_obj(root, "keys");
        keyids = vg_json_arr(vg_json_obj(vg_json_obj(root, "roles"), "targets"), "keyids");
    } else {
        json_t *dels = vg_tuf__pub_delegations_of(r, e->name);
        json_t *d = dels ? vg_tuf__pub_delegation(dels, e->name, NULL) : NULL;
        if (!d) {
            return vg_err_set(err, VG_E_NOTFOUND, "no delegation %s in %s", e->name, r->gun);
        }
        keyids = vg_json_arr(d, "keyids");
        keys = vg_json_obj(dels, "keys");
    }
    vg_autokey struct vg_crypto_key *k = NULL;
    char id[65];
    int found = vg_tuf__pub_signing_key(&k, id, r, keyids, keys, err);
    json_decref(root);
    if (found <= 0) {
        return found < 0
                   ? vg_err_wrap(err, "sign %s", e->name)
                   : vg_err_set(err, VG_E_NOTFOUND, "no key of role %s of %s is in %s/private",
                                e->name, r->gun, r->trust_dir);
    }
    bump(e->sig, r->now + TARGETS_LIFETIME);
    p->data = (struct vg_buf)VG_BUF_INIT(VG_TUF_TARGETS_MAX_BYTES);
    return sign_file(&p->data, e->sig, k, id, err);
}

static json_t *
meta_entry(const struct vg_buf *b)
{
    uint8_t d256[32], d512[64];
    vg_sha256_raw(d256, b->data, b->len);
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA512, b->data, b->len);
    (void)vg_tuf__hex_decode(d512, sizeof(d512), vg_digest_hex(&d), 128); /* our own hex */
    vg_autofree char *h256 = vg_base64_encode(d256, sizeof(d256));
    vg_autofree char *h512 = vg_base64_encode(d512, sizeof(d512));
    json_t *h = json_object();
    vg_json_set_str(h, "sha256", h256);
    vg_json_set_str(h, "sha512", h512);
    json_t *m = json_object();
    vg_json_set_take(m, "hashes", h);
    json_object_set_new(m, "length", json_integer((json_int_t)b->len));
    return m;
}

/* A client-managed snapshot: signed here when the trust directory holds the snapshot key. */
static int
sign_snapshot(struct part *p, bool *signed_here, struct vg_tuf_repo *r, struct part *parts,
              size_t nparts, struct vg_err **err)
{
    *signed_here = false;
    if (!r->notary) {
        return 0; /* a new repository's snapshot is the server's */
    }
    const struct vg_tuf_meta *root = vg_tuf_client_meta(vg_tuf_notary_client(r->notary), "root");
    json_t *rs = vg_tuf__pub_signed_json(root, err);
    if (!rs) {
        return -1;
    }
    json_t *keyids = vg_json_arr(vg_json_obj(vg_json_obj(rs, "roles"), "snapshot"), "keyids");
    if (!vg_tuf__pub_holds_key(r, keyids, vg_json_obj(rs, "keys"))) {
        json_decref(rs);
        return 0; /* the server signs it, or refuses the update */
    }
    vg_autokey struct vg_crypto_key *k = NULL;
    char id[65];
    if (vg_tuf__pub_signing_key(&k, id, r, keyids, vg_json_obj(rs, "keys"), err) <= 0) {
        json_decref(rs);
        return vg_err_wrap(err, "sign snapshot");
    }
    json_decref(rs);
    json_t *meta = vg_json_obj(r->snapshot_sig, "meta");
    for (size_t i = 0; i < nparts; i++) {
        vg_json_set_take(meta, parts[i].role, meta_entry(&parts[i].data));
    }
    bump(r->snapshot_sig, r->now + SNAPSHOT_LIFETIME);
    p->data = (struct vg_buf)VG_BUF_INIT(VG_TUF_SNAPSHOT_MAX_BYTES);
    *signed_here = true;
    return sign_file(&p->data, r->snapshot_sig, k, id, err);
}

static int
post(struct vg_tuf_repo *r, struct part *parts, size_t n, struct vg_err **err)
{
    uint8_t rnd[16];
    char boundary[33];
    vg_crypto_random(rnd, sizeof(rnd));
    vg_hex_encode(boundary, rnd, sizeof(rnd));
    struct vg_buf body = VG_BUF_INIT(PUBLISH_MAX_BODY);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = vg_buf_appendf(&body, err,
                            "--%s\r\nContent-Disposition: form-data; name=\"files\"; "
                            "filename=\"%s\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                            boundary, parts[i].role);
        if (rc == 0) {
            rc = vg_buf_append(&body, parts[i].data.data, parts[i].data.len, err);
        }
        if (rc == 0) {
            rc = vg_buf_append_str(&body, "\r\n", err);
        }
    }
    if (rc == 0) {
        rc = vg_buf_appendf(&body, err, "--%s--\r\n", boundary);
    }
    vg_autofree char *ct = vg_fmt("Content-Type: multipart/form-data; boundary=%s", boundary);
    const char *headers[] = {ct};
    vg_autofree char *url = vg_fmt("%s/", r->base);
    struct vg_http_req req = {.method = "POST",
                              .url = url,
                              .headers = headers,
                              .nheaders = 1,
                              .body = body.data,
                              .body_len = body.len,
                              .max_body = 1024 * 1024,
                              .no_retry = true};
    struct vg_http_resp resp = {0};
    if (rc == 0) {
        rc = vg_tuf__auth_do(r->auth, &req, &resp, err);
    }
    if (rc == 0 && (resp.status < 200 || resp.status > 299)) {
        /* notary's errors: {"errors": [{"code", "message", "detail"}]} */
        json_t *j = NULL;
        struct vg_err *ignored = NULL;
        const char *msg = NULL;
        vg_autofree char *detail = NULL;
        if (vg_json_parse(&j, resp.body.data, resp.body.len, resp.body.len + 1, "error",
                          &ignored) == 0) {
            json_t *e0 = json_array_get(vg_json_arr(j, "errors"), 0);
            msg = vg_json_str(e0, "message");
            json_t *d = json_object_get(e0, "detail");
            detail = d ? vg_json_dumps(d, JSON_COMPACT) : NULL;
        }
        vg_err_free(&ignored);
        vg_autofree char *m = msg ? vg_escape(msg, strlen(msg), 200) : NULL;
        vg_autofree char *dd = detail ? vg_escape(detail, strlen(detail), 300) : NULL;
        vg_autofree char *safe = vg_http_url_redact(url);
        enum vg_errc code = resp.status == 401 || resp.status == 403 ? VG_E_AUTH
                            : resp.status == 400                     ? VG_E_VERIFY
                                                                     : VG_E_NET;
        rc = vg_err_set(err, code, "POST %s: HTTP %ld%s%s%s%s", safe, resp.status, m ? ": " : "",
                        m ? m : "", dd ? ": " : "", dd ? dd : "");
        json_decref(j);
    }
    vg_http_resp_dispose(&resp);
    vg_buf_dispose(&body);
    return rc;
}

int
vg_tuf_repo_publish(struct vg_tuf_repo *r, struct vg_err **err)
{
    size_t n = 0;
    struct part *parts = vg_calloc(r->nedits + 3, sizeof(*parts));
    int rc = 0;
    struct vg_buf root_file = VG_BUF_INIT(VG_TUF_ROOT_MAX_BYTES);
    if (r->root_sig) {
        parts[n].role = "root";
        rc = sign_file(&root_file, r->root_sig, r->root_key, r->root_cert_id, err);
        parts[n].data = root_file;
        root_file = (struct vg_buf)VG_BUF_INIT(VG_TUF_ROOT_MAX_BYTES);
        n++;
    }
    /* delegated roles first: their parents may not change, but the snapshot covers them all */
    for (size_t i = r->nedits; rc == 0 && i-- > 0;) {
        struct edit *e = &r->edits[i];
        if (!e->dirty) {
            continue;
        }
        parts[n].role = e->name;
        rc = sign_role(&parts[n], r, e, err);
        n++;
    }
    bool snap = false;
    if (rc == 0) {
        rc = sign_snapshot(&parts[n], &snap, r, parts, n, err);
        if (snap) {
            parts[n++].role = "snapshot";
        }
    }
    if (rc == 0 && n == 0) {
        rc = vg_err_set(err, VG_E_USAGE, "nothing to publish for %s", r->gun);
    }
    if (rc == 0) {
        rc = post(r, parts, n, err);
    }
    if (rc == 0 && r->root_sig) {
        /* pin the root we made: the next update must chain from it */
        vg_autofree char *dir = vg_fmt("%s/tuf/%s/metadata", r->trust_dir, r->gun);
        vg_autofree char *path = vg_fmt("%s/root.json", dir);
        rc = vg_mkdir_p(dir, 0700, err);
        if (rc == 0) {
            rc = vg_file_write_atomic(path, parts[0].data.data, parts[0].data.len, 0644, err);
        }
    }
    for (size_t i = 0; i < n; i++) {
        vg_buf_dispose(&parts[i].data);
    }
    free(parts);
    if (rc < 0) {
        return vg_err_wrap(err, "publish trust data for %s", r->gun);
    }
    return 0;
}
