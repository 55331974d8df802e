/* SPDX-License-Identifier: Apache-2.0
 *
 * Docker Content Trust's private keys, in docker's (and notary's) trust directory:
 * <trust dir>/private/<key id>.key, one PEM block per file, `ENCRYPTED PRIVATE KEY` (PKCS#8,
 * PBES2) or `PRIVATE KEY` when stored without a passphrase, with PEM headers naming the key's
 * `role` ("root", "targets", "snapshot", or a signer's name) and, for a repository's own keys,
 * its `gun`. Key ids are notary's: the SHA-256 of the canonical JSON of the public key
 * {"keytype": T, "keyval": {"private": null, "public": base64(DER SPKI)}}; a root key's
 * certificate has its own id (keytype "ecdsa-x509", the PEM certificate), the file keeps the
 * key's.
 *
 * The file is hostile input (`trust key load` reads files from anywhere): bounded size, header
 * count and line length, one block, an allowlisted label, and the PKCS#8 parameters checked by
 * crypto/ before any key derivation. The passphrase comes from the caller's source only after
 * the file parsed, so a malformed file never prompts.
 */
#include "tuf_int.h"

#include <dirent.h>
#include <errno.h>

#include "crypto/crypto.h"

#define LABEL_ENC   "ENCRYPTED PRIVATE KEY"
#define LABEL_PLAIN "PRIVATE KEY"

void
vg_tuf_keyfile_dispose(struct vg_tuf_keyfile *k)
{
    free(k->role);
    free(k->gun);
    free(k->dek_info);
    vg_secret_free(k->der);
    memset(k, 0, sizeof(*k));
}

static bool
header_value_ok(struct vg_str v)
{
    if (v.len == 0 || v.len > VG_TUF_ROLE_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.ptr[i];
        if (c < 0x21 || c > 0x7e) {
            return false;
        }
    }
    return true;
}

/* "Name: value" lines up to a blank line (RFC 1421 §4.6 as Go's encoding/pem reads them). */
static int
parse_headers(struct vg_tuf_keyfile *k, struct vg_reader *r, struct vg_str *first,
              struct vg_err **err)
{
    struct vg_str name, value;
    if (!vg_str_cut(*first, ':', &name, &value)) {
        return 0; /* no headers: this line is already base64 */
    }
    for (unsigned n = 0;; n++) {
        if (n >= VG_TUF_KEYFILE_MAX_HEADERS) {
            return vg_err_set(err, VG_E_LIMIT, "key file: more than %u PEM headers",
                              VG_TUF_KEYFILE_MAX_HEADERS);
        }
        name = vg_str_trim(name);
        value = vg_str_trim(value);
        if (vg_str_eq_c(name, "role") || vg_str_eq_c(name, "gun")) {
            char **slot = vg_str_eq_c(name, "role") ? &k->role : &k->gun;
            if (*slot || !header_value_ok(value)) {
                return vg_err_set(err, VG_E_PARSE,
                                  "key file: line %u: invalid or repeated \"%.*s\" header", n + 2,
                                  (int)name.len, name.ptr);
            }
            *slot = vg_str_dup(value);
        } else if (vg_str_eq_c(name, "Proc-Type")) {
            /* RFC 1421: first, and only for the legacy blocks */
            if (n != 0 || !k->legacy || !vg_str_eq_c(value, "4,ENCRYPTED")) {
                return vg_err_set(err, VG_E_PARSE,
                                  "key file: line %u: Proc-Type must come first, be "
                                  "\"4,ENCRYPTED\" and only in EC/RSA PRIVATE KEY blocks",
                                  n + 2);
            }
            k->encrypted = true;
        } else if (vg_str_eq_c(name, "DEK-Info")) {
            if (!k->encrypted || k->dek_info || !header_value_ok(value)) {
                return vg_err_set(err, VG_E_PARSE,
                                  "key file: line %u: DEK-Info without Proc-Type, repeated or "
                                  "invalid",
                                  n + 2);
            }
            k->dek_info = vg_str_dup(value);
        }
        struct vg_str line;
        int rc = vg_reader_text_line(r, VG_TUF_KEYFILE_LINE_MAX, &line, err);
        if (rc < 0) {
            return vg_err_wrap(err, "key file");
        }
        if (rc == 0) {
            return vg_err_set(err, VG_E_PARSE, "key file: truncated PEM headers");
        }
        if (line.len == 0) {
            first->len = 0;
            return 0;
        }
        if (!vg_str_cut(line, ':', &name, &value)) {
            return vg_err_set(err, VG_E_PARSE, "key file: line %u: a PEM header without ':'",
                              n + 3);
        }
    }
}

int
vg_tuf_keyfile_parse(struct vg_tuf_keyfile *out, const void *data, size_t len, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    if (len > VG_TUF_KEYFILE_MAX_BYTES) {
        return vg_err_set(err, VG_E_LIMIT, "key file of %zu bytes exceeds %u", len,
                          VG_TUF_KEYFILE_MAX_BYTES);
    }
    struct vg_reader r;
    vg_reader_init(&r, data, len);
    struct vg_str line = {0};
    int rc;
    /* text before the block is skipped, as Go's pem.Decode does */
    while ((rc = vg_reader_text_line(&r, VG_TUF_KEYFILE_LINE_MAX, &line, err)) > 0 &&
           !vg_str_startswith(line, "-----BEGIN ")) {
    }
    if (rc < 0) {
        return vg_err_wrap(err, "key file");
    }
    if (rc == 0) {
        return vg_err_set(err, VG_E_PARSE, "key file: no PEM block");
    }
    struct vg_str label = {line.ptr + 11, line.len - 11};
    if (!vg_str_endswith(label, "-----")) {
        return vg_err_set(err, VG_E_PARSE, "key file: malformed PEM BEGIN line");
    }
    label.len -= 5;
    if (vg_str_eq_c(label, LABEL_ENC)) {
        out->encrypted = true;
    } else if (vg_str_eq_c(label, "EC PRIVATE KEY") || vg_str_eq_c(label, "RSA PRIVATE KEY")) {
        out->legacy = true;
    } else if (!vg_str_eq_c(label, LABEL_PLAIN)) {
        vg_autofree char *e = vg_escape(label.ptr, label.len, 64);
        rc = vg_err_set(err, VG_E_UNSUPPORTED,
                        "key file: PEM type \"%s\" (want \"" LABEL_ENC "\", \"" LABEL_PLAIN
                        "\", \"EC PRIVATE KEY\" or \"RSA PRIVATE KEY\")",
                        e);
        return rc;
    }
    struct vg_buf b64 = VG_BUF_INIT(VG_TUF_KEYFILE_MAX_BYTES);
    if ((rc = vg_reader_text_line(&r, VG_TUF_KEYFILE_LINE_MAX, &line, err)) <= 0 ||
        parse_headers(out, &r, &line, err) < 0) {
        if (rc == 0) {
            vg_err_set(err, VG_E_PARSE, "key file: truncated PEM block");
        }
        goto fail;
    }
    for (;;) {
        if (line.len && vg_str_startswith(line, "-----END ")) {
            struct vg_str end = {line.ptr + 9, line.len - 9};
            if (!vg_str_endswith(end, "-----") || end.len - 5 != label.len ||
                memcmp(end.ptr, label.ptr, label.len) != 0) {
                vg_err_set(err, VG_E_PARSE, "key file: PEM END line does not match BEGIN");
                goto fail;
            }
            break;
        }
        if (vg_buf_append(&b64, line.ptr, line.len, err) < 0) {
            goto fail;
        }
        rc = vg_reader_text_line(&r, VG_TUF_KEYFILE_LINE_MAX, &line, err);
        if (rc <= 0) {
            if (rc == 0) {
                vg_err_set(err, VG_E_PARSE, "key file: no PEM END line");
            }
            goto fail;
        }
    }
    uint8_t *der = NULL;
    size_t derlen = 0;
    if (b64.len == 0 ||
        vg_base64_decode(&der, &derlen, (const char *)b64.data, b64.len, true, err) < 0) {
        if (b64.len == 0) {
            vg_err_set(err, VG_E_PARSE, "key file: empty PEM body");
        } else {
            vg_err_wrap(err, "key file: PEM body");
        }
        goto fail;
    }
    out->der = vg_secret_new(der, derlen);
    vg_crypto_memzero(der, derlen);
    free(der);
    vg_buf_dispose(&b64);
    if (out->encrypted && out->legacy && !out->dek_info) {
        vg_tuf_keyfile_dispose(out);
        return vg_err_set(err, VG_E_PARSE, "key file: Proc-Type ENCRYPTED without DEK-Info");
    }
    if (out->encrypted && !out->legacy) {
        if (vg_crypto_pkcs8_inspect(out->der->data, out->der->len, NULL, err) < 0) {
            vg_tuf_keyfile_dispose(out);
            return vg_err_wrap(err, "key file");
        }
    } else if (out->der->len > VG_PKCS8_DER_MAX) {
        vg_tuf_keyfile_dispose(out);
        return vg_err_set(err, VG_E_LIMIT, "key file: private key over %u bytes", VG_PKCS8_DER_MAX);
    }
    return 0;
fail:
    vg_buf_dispose(&b64);
    vg_tuf_keyfile_dispose(out);
    return -1;
}

int
vg_tuf_keyfile_key(struct vg_crypto_key **out, const struct vg_tuf_keyfile *k, const char *keyid,
                   const struct vg_tuf_pass *pass, struct vg_err **err)
{
    if (!k->encrypted) {
        return k->legacy ? vg_crypto_pem_legacy_key(out, k->der->data, k->der->len, NULL, NULL, err)
                         : vg_crypto_pkcs8_plain(out, k->der->data, k->der->len, err);
    }
    if (!pass || !pass->fn) {
        return vg_err_set(err, VG_E_USAGE, "no passphrase source for an encrypted key");
    }
    vg_autosecret struct vg_secret *pw = NULL;
    if (pass->fn(&pw, k->role ? k->role : "", keyid, false, pass->payload, err) < 0) {
        return -1;
    }
    return k->legacy
               ? vg_crypto_pem_legacy_key(out, k->der->data, k->der->len, k->dek_info, pw, err)
               : vg_crypto_pkcs8_decrypt(out, k->der->data, k->der->len, pw, err);
}

static int
put_b64_lines(struct vg_buf *b, const uint8_t *der, size_t n, struct vg_err **err)
{
    vg_autofree char *b64 = vg_base64_encode(der, n);
    size_t len = strlen(b64);
    for (size_t i = 0; i < len; i += 64) {
        size_t w = len - i < 64 ? len - i : 64;
        if (vg_buf_append(b, b64 + i, w, err) < 0 || vg_buf_appendc(b, '\n', err) < 0) {
            return -1;
        }
    }
    return 0;
}

int
vg_tuf_keyfile_format(char **pem, size_t *pemlen, const struct vg_crypto_key *key, const char *role,
                      const char *gun, const struct vg_secret *password, struct vg_err **err)
{
    vg_autofree uint8_t *der = NULL;
    size_t derlen = 0;
    if (vg_crypto_pkcs8_encrypt(&der, &derlen, key, password, err) < 0) {
        return -1;
    }
    struct vg_buf b = VG_BUF_INIT(VG_TUF_KEYFILE_MAX_BYTES);
    /* Go's pem.Encode writes headers sorted by name: gun before role */
    if (vg_buf_append_str(&b, "-----BEGIN " LABEL_ENC "-----\n", err) < 0 ||
        (gun && vg_buf_appendf(&b, err, "gun: %s\n", gun) < 0) ||
        (role && vg_buf_appendf(&b, err, "role: %s\n", role) < 0) ||
        ((gun || role) && vg_buf_appendc(&b, '\n', err) < 0) ||
        put_b64_lines(&b, der, derlen, err) < 0 ||
        vg_buf_append_str(&b, "-----END " LABEL_ENC "-----\n", err) < 0) {
        vg_buf_dispose(&b);
        return -1;
    }
    *pem = vg_buf_take(&b, pemlen);
    return 0;
}

/* ---------------------------------------------------------------- key ids */

json_t *
vg_tuf_key_json(const char *keytype, const char *public_b64)
{
    json_t *kv = json_object();
    json_object_set_new(kv, "private", json_null());
    vg_json_set_str(kv, "public", public_b64);
    json_t *k = json_object();
    vg_json_set_str(k, "keytype", keytype);
    vg_json_set_take(k, "keyval", kv);
    return k;
}

int
vg_tuf_key_id_of(char out[65], const char *keytype, const char *public_b64, struct vg_err **err)
{
    json_t *k = vg_tuf_key_json(keytype, public_b64);
    struct vg_buf b = VG_BUF_INIT(VG_TUF_ROOT_MAX_BYTES);
    int rc = vg_tuf_cjson_encode(&b, k, err);
    json_decref(k);
    if (rc == 0) {
        uint8_t d[32];
        vg_sha256_raw(d, b.data, b.len);
        vg_hex_encode(out, d, sizeof(d));
    }
    vg_buf_dispose(&b);
    return rc;
}

int
vg_tuf_key_public(char **keytype, char **public_b64, const struct vg_crypto_key *key,
                  struct vg_err **err)
{
    vg_autofree uint8_t *der = NULL;
    size_t n = 0;
    if (vg_crypto_key_public_der(key, &der, &n, err) < 0) {
        return -1;
    }
    switch (vg_crypto_key_type(key)) {
    case VG_KEY_ECDSA_P256:
    case VG_KEY_ECDSA_P384:
    case VG_KEY_ECDSA_P521:
        *keytype = vg_strdup("ecdsa");
        break;
    case VG_KEY_RSA:
        *keytype = vg_strdup("rsa");
        break;
    case VG_KEY_ED25519:
        /* notary keeps the 32 raw bytes, not the SPKI */
        *keytype = vg_strdup("ed25519");
        *public_b64 = vg_base64_encode(der + n - 32, 32);
        return 0;
    }
    *public_b64 = vg_base64_encode(der, n);
    return 0;
}

int
vg_tuf_key_id(char out[65], const struct vg_crypto_key *key, struct vg_err **err)
{
    vg_autofree char *kt = NULL;
    vg_autofree char *pub = NULL;
    if (vg_tuf_key_public(&kt, &pub, key, err) < 0) {
        return -1;
    }
    return vg_tuf_key_id_of(out, kt, pub, err);
}

/* ---------------------------------------------------------------- the trust directory */

bool
vg_tuf__keyid_ok(const char *id)
{
    size_t n = strlen(id);
    if (n != 64) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

int
vg_tuf_keystore_put(char keyid[65], const char *trust_dir, const struct vg_crypto_key *key,
                    const char *role, const char *gun, const struct vg_secret *password,
                    struct vg_err **err)
{
    char id[65];
    if (vg_tuf_key_id(id, key, err) < 0) {
        return -1;
    }
    vg_autofree char *dir = vg_fmt("%s/private", trust_dir);
    vg_autofree char *path = vg_fmt("%s/%s.key", dir, id);
    vg_autofree char *pem = NULL;
    size_t pemlen = 0;
    if (vg_mkdir_p(dir, 0700, err) < 0 ||
        vg_tuf_keyfile_format(&pem, &pemlen, key, role, gun, password, err) < 0) {
        return -1;
    }
    if (vg_file_write_exclusive(path, pem, pemlen, 0600, err) < 0) {
        if ((*err)->sys_errno == EEXIST) {
            vg_err_free(err);
            return vg_err_set(err, VG_E_USAGE, "key %s is already in %s", id, dir);
        }
        return -1;
    }
    if (keyid) {
        memcpy(keyid, id, sizeof(id));
    }
    return 0;
}

int
vg_tuf__keyfile_read_path(struct vg_tuf_keyfile *out, const char *path, struct vg_err **err)
{
    struct vg_buf b = VG_BUF_INIT(VG_TUF_KEYFILE_MAX_BYTES);
    int rc = vg_file_read(&b, path, VG_TUF_KEYFILE_MAX_BYTES, err);
    if (rc == 0) {
        rc = vg_tuf_keyfile_parse(out, b.data, b.len, err);
        if (rc < 0) {
            vg_err_wrap(err, "%s", path);
        }
    }
    vg_crypto_memzero(b.data, b.len);
    vg_buf_dispose(&b);
    return rc;
}

int
vg_tuf_keystore_read(struct vg_tuf_keyfile *out, const char *trust_dir, const char *keyid,
                     struct vg_err **err)
{
    if (!vg_tuf__keyid_ok(keyid)) {
        return vg_err_set(err, VG_E_PARSE, "\"%.80s\" is not a key id", keyid);
    }
    vg_autofree char *path = vg_fmt("%s/private/%s.key", trust_dir, keyid);
    int rc = vg_tuf__keyfile_read_path(out, path, err);
    if (rc < 0 && vg_err_code(*err) == VG_E_NOTFOUND) {
        /* docker < 1.11 / notary < 0.3 kept keys in root_keys/ and tuf_keys/<gun>/ */
        struct vg_err *e2 = NULL;
        bool found = false;
        if (vg_tuf__keystore_legacy_read(out, &found, trust_dir, keyid, &e2) < 0 || found) {
            vg_err_free(err);
            *err = e2;
            return found ? 0 : -1;
        }
    }
    return rc;
}

bool
vg_tuf_keystore_has(const char *trust_dir, const char *keyid)
{
    if (!vg_tuf__keyid_ok(keyid)) {
        return false;
    }
    vg_autofree char *path = vg_fmt("%s/private/%s.key", trust_dir, keyid);
    if (vg_path_exists(path)) {
        return true;
    }
    struct vg_tuf_keyfile kf;
    struct vg_err *e = NULL;
    bool found = false;
    if (vg_tuf__keystore_legacy_read(&kf, &found, trust_dir, keyid, &e) < 0) {
        vg_err_free(&e);
        return false;
    }
    if (found) {
        vg_tuf_keyfile_dispose(&kf);
    }
    return found;
}

int
vg_tuf_keystore_get(struct vg_crypto_key **out, const char *trust_dir, const char *keyid,
                    const struct vg_tuf_pass *pass, struct vg_err **err)
{
    struct vg_tuf_keyfile kf;
    if (vg_tuf_keystore_read(&kf, trust_dir, keyid, err) < 0) {
        return -1;
    }
    int rc = vg_tuf_keyfile_key(out, &kf, keyid, pass, err);
    if (rc < 0) {
        vg_err_wrap(err, "key %s (role %s)", keyid, kf.role ? kf.role : "none");
    }
    vg_tuf_keyfile_dispose(&kf);
    return rc;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
vg_tuf_keystore_list(char ***ids, size_t *n, const char *trust_dir, const char *role,
                     const char *gun, struct vg_err **err)
{
    *ids = NULL;
    *n = 0;
    vg_autofree char *dir = vg_fmt("%s/private", trust_dir);
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) {
            return 0;
        }
        return vg_err_sys(err, VG_E_IO, "open %s", dir);
    }
    struct dirent *e;
    unsigned seen = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len != 68 || !vg_cstr_endswith(e->d_name, ".key")) {
            continue;
        }
        if (++seen > VG_TUF_KEYSTORE_MAX_KEYS) {
            closedir(d);
            vg_strv_free(*ids, *n);
            *ids = NULL;
            *n = 0;
            return vg_err_set(err, VG_E_LIMIT, "%s: more than %u key files", dir,
                              VG_TUF_KEYSTORE_MAX_KEYS);
        }
        char id[65];
        memcpy(id, e->d_name, 64);
        id[64] = '\0';
        struct vg_tuf_keyfile kf;
        struct vg_err *ignored = NULL;
        if (!vg_tuf__keyid_ok(id) || vg_tuf_keystore_read(&kf, trust_dir, id, &ignored) < 0) {
            vg_err_free(&ignored); /* an unreadable file is not this role's key */
            continue;
        }
        bool match =
            kf.role && strcmp(kf.role, role) == 0 && (!gun || (kf.gun && strcmp(kf.gun, gun) == 0));
        vg_tuf_keyfile_dispose(&kf);
        if (match) {
            vg_strv_push(ids, n, id);
        }
    }
    closedir(d);
    if (vg_tuf__keystore_legacy_list(ids, n, trust_dir, role, gun, err) < 0) {
        vg_strv_free(*ids, *n);
        *ids = NULL;
        *n = 0;
        return -1;
    }
    vg_qsort(*ids, *n, sizeof(**ids), cmp_str);
    return 0;
}
