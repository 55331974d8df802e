/* SPDX-License-Identifier: Apache-2.0
 *
 * Key loading (sign/keyfile.c): encrypted private keys and public keys from files and from
 * memory give the same key, errors name the key, key sets keep their names, refuse more than
 * VG_SIGN_MAX_KEYS, and a directory of keys loads in name order.
 */
#include "../crypto/testutil.h"
#include "crypto/crypto.h"
#include "sign/sign.h"

#include <unistd.h>

/* A fresh P-256 key encrypted with password pw (caller frees *pem). */
static struct vg_crypto_key *
encrypted_key(const char *pw, char **pem, size_t *pemlen)
{
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    vg_autosecret struct vg_secret *p = vg_secret_new(pw, strlen(pw));
    TU_ASSERT_OK(vg_crypto_key_encrypt(k, p, pem, pemlen, &err), err);
    return k;
}

/* A source that counts its calls and hands out the password in payload. */
static int asked;

static int
counting_source(struct vg_secret **out, bool confirm, void *payload, struct vg_err **err)
{
    asked++;
    cr_assert_not(confirm);
    return vg_crypto_password_fixed(out, confirm, payload, err);
}

static struct vg_crypto_password
source(struct vg_secret *pw)
{
    asked = 0;
    return (struct vg_crypto_password){counting_source, pw};
}

static char *
write_tmp(const char *dir, const char *name, const void *data, size_t len)
{
    char *path = vg_fmt("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    return path;
}

Test(sign_keyfile, private_key_from_memory_and_file_are_the_same_key)
{
    vg_autofree char *pem = NULL;
    size_t pemlen = 0;
    vg_autokey struct vg_crypto_key *orig = encrypted_key("s3cret", &pem, &pemlen);
    vg_autosecret struct vg_secret *p = vg_secret_new("s3cret", 6);
    struct vg_crypto_password src = source(p);
    struct vg_err *err = NULL;

    vg_autokey struct vg_crypto_key *mem = NULL;
    TU_ASSERT_OK(vg_sign_key_load_private_mem(&mem, "inline", pem, pemlen, &src, &err), err);
    cr_assert_eq(asked, 1);
    cr_assert(vg_crypto_key_is_private(mem));
    cr_assert(vg_crypto_key_public_eq(mem, orig));

    char dir[] = "/tmp/vg-keyfile-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    vg_autofree char *path = write_tmp(dir, "cosign.key", pem, pemlen);
    vg_autokey struct vg_crypto_key *file = NULL;
    TU_ASSERT_OK(vg_sign_key_load_private(&file, path, &src, &err), err);
    cr_assert_eq(asked, 2);
    cr_assert(vg_crypto_key_public_eq(file, orig));
    unlink(path);
    rmdir(dir);
}

Test(sign_keyfile, wrong_password_is_auth_and_names_the_key)
{
    vg_autofree char *pem = NULL;
    size_t pemlen = 0;
    vg_crypto_key_free(encrypted_key("right", &pem, &pemlen));
    vg_autosecret struct vg_secret *p = vg_secret_new("wrong", 5);
    struct vg_crypto_password src = source(p);
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    cr_assert_lt(vg_sign_key_load_private_mem(&k, "policy.yaml#key", pem, pemlen, &src, &err), 0);
    cr_assert_null(k);
    cr_assert_eq(vg_err_root_code(err), VG_E_AUTH);
    cr_assert(tu_err_contains(err, "key policy.yaml#key: "), "%s", vg_err_format(err));
    cr_assert(tu_err_contains(err, "wrong password"));
    vg_err_free(&err);
}

Test(sign_keyfile, malformed_private_key_fails_without_asking_for_a_password)
{
    static const char junk[] = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nnot base64!\n"
                               "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
    vg_autosecret struct vg_secret *p = vg_secret_new("x", 1);
    struct vg_crypto_password src = source(p);
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    cr_assert_lt(vg_sign_key_load_private_mem(&k, "junk", junk, strlen(junk), &src, &err), 0);
    cr_assert_null(k);
    cr_assert_eq(asked, 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_PARSE);
    cr_assert(tu_err_contains(err, "key junk: "));
    vg_err_free(&err);
}

Test(sign_keyfile, missing_private_key_file_is_notfound)
{
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    struct vg_crypto_password src = source(NULL);
    cr_assert_lt(vg_sign_key_load_private(&k, "/nonexistent/cosign.key", &src, &err), 0);
    cr_assert_eq(asked, 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_NOTFOUND);
    cr_assert(tu_err_contains(err, "key /nonexistent/cosign.key"));
    vg_err_free(&err);
}

/* A source's own error (a vault that refused, a prompt that was interrupted) is what the caller
 * reports: its code, its words, one line, under the key's name. */
static int
refusing_source(struct vg_secret **out, bool confirm, void *payload, struct vg_err **err)
{
    (void)out;
    (void)confirm;
    (void)payload;
    return vg_err_set(err, VG_E_AUTH, "vault: token expired");
}

Test(sign_keyfile, password_source_error_surfaces_as_one_line)
{
    vg_autofree char *pem = NULL;
    size_t pemlen = 0;
    vg_crypto_key_free(encrypted_key("pw", &pem, &pemlen));
    struct vg_crypto_password src = {refusing_source, NULL};
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    cr_assert_eq(vg_sign_key_load_private_mem(&k, "cosign.key", pem, pemlen, &src, &err),
                 -(int)VG_E_AUTH);
    cr_assert_null(k);
    cr_assert_eq(vg_err_code(err), VG_E_AUTH);
    vg_autofree char *m = vg_err_format(err);
    cr_assert_str_eq(m, "key cosign.key: vault: token expired");
    vg_err_free(&err);
}

Test(sign_keyfile, public_key_from_memory_and_file_agree)
{
    vg_autobuf struct vg_buf pub;
    tu_read_data(&pub, "ecp256.pub");
    vg_autofree char *path = tu_data("ecp256.pub");
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *a = NULL, *b = NULL;
    TU_ASSERT_OK(vg_sign_key_load_public_mem(&a, "inline", pub.data, pub.len, &err), err);
    TU_ASSERT_OK(vg_sign_key_load_public(&b, path, &err), err);
    cr_assert_not(vg_crypto_key_is_private(a));
    cr_assert_eq(vg_crypto_key_type(a), VG_KEY_ECDSA_P256);
    cr_assert(vg_crypto_key_public_eq(a, b));
}

Test(sign_keyfile, bad_public_key_names_it)
{
    static const char junk[] = "not a key";
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    cr_assert_lt(vg_sign_key_load_public_mem(&k, "cm/keys[2]", junk, strlen(junk), &err), 0);
    cr_assert_null(k);
    cr_assert(tu_err_contains(err, "public key cm/keys[2]: "));
    vg_err_free(&err);
}

Test(sign_keyfile, keyset_from_memory_keeps_names_and_stops_at_the_limit)
{
    vg_autobuf struct vg_buf pub;
    tu_read_data(&pub, "ed25519.pub");
    struct vg_sign_keyset ks = {0};
    struct vg_err *err = NULL;
    for (unsigned i = 0; i < VG_SIGN_MAX_KEYS; i++) {
        vg_autofree char *name = vg_fmt("k%u", i);
        TU_ASSERT_OK(vg_sign_keyset_add_mem(&ks, name, pub.data, pub.len, &err), err);
    }
    cr_assert_eq(ks.n, VG_SIGN_MAX_KEYS);
    cr_assert_str_eq(ks.paths[0], "k0");
    cr_assert_str_eq(ks.paths[VG_SIGN_MAX_KEYS - 1], "k255");
    cr_assert_eq(vg_crypto_key_type(ks.keys[7]), VG_KEY_ED25519);
    cr_assert_lt(vg_sign_keyset_add_mem(&ks, "one-more", pub.data, pub.len, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_LIMIT);
    cr_assert_eq(ks.n, VG_SIGN_MAX_KEYS);
    vg_err_free(&err);
    vg_sign_keyset_dispose(&ks);
    cr_assert_eq(ks.n, 0);
    cr_assert_null(ks.keys);
}

Test(sign_keyfile, keyset_refused_key_leaves_the_set_unchanged)
{
    vg_autobuf struct vg_buf pub;
    tu_read_data(&pub, "ecp256.pub");
    struct vg_sign_keyset ks = {0};
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_keyset_add_mem(&ks, "good", pub.data, pub.len, &err), err);
    cr_assert_lt(vg_sign_keyset_add_mem(&ks, "bad", "xx", 2, &err), 0);
    cr_assert(tu_err_contains(err, "public key bad"));
    cr_assert_eq(ks.n, 1);
    vg_err_free(&err);
    vg_sign_keyset_dispose(&ks);
}

Test(sign_keyfile, keyset_directory_loads_keys_in_name_order)
{
    vg_autobuf struct vg_buf ec, ed;
    tu_read_data(&ec, "ecp256.pub");
    tu_read_data(&ed, "ed25519.pub");
    char dir[] = "/tmp/vg-keyset-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    vg_autofree char *p1 = write_tmp(dir, "b.pub", ec.data, ec.len);
    vg_autofree char *p2 = write_tmp(dir, "a.pem", ed.data, ed.len);
    vg_autofree char *p3 = write_tmp(dir, "notes.txt", "x", 1);
    struct vg_sign_keyset ks = {0};
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_keyset_add(&ks, dir, &err), err);
    cr_assert_eq(ks.n, 2);
    cr_assert(vg_cstr_endswith(ks.paths[0], "/a.pem"));
    cr_assert(vg_cstr_endswith(ks.paths[1], "/b.pub"));
    cr_assert_eq(vg_crypto_key_type(ks.keys[0]), VG_KEY_ED25519);
    cr_assert_eq(vg_crypto_key_type(ks.keys[1]), VG_KEY_ECDSA_P256);
    vg_sign_keyset_dispose(&ks);
    unlink(p1);
    unlink(p2);
    unlink(p3);
    rmdir(dir);
}
