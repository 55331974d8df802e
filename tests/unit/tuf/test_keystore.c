/* SPDX-License-Identifier: Apache-2.0
 *
 * Docker Content Trust key files (tuf/keystore.c, crypto/pkcs8.c): a key file the notary CLI
 * wrote (tests/data/tuf/notary-alice.key, passphrase "pw") reads back with its role and
 * notary's key id; our own files round-trip; hostile files fail with a named reason before
 * any key derivation; the trust directory stores and lists keys by role and GUN.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/crypto.h"
#include "tuf/tuf.h"

static char PW_PW[] = "pw", PW_WRONG[] = "not-pw", PW_SECRET[] = "s3cret";

#define ALICE_ID "4e0143f45b1134c9b19cf6913a4a1ccf984b334d62423deefe7ed9dc0d96ae73"

static struct vg_buf
data_file(const char *name)
{
    struct vg_buf b = VG_BUF_INIT(1024 * 1024);
    struct vg_err *err = NULL;
    char *path = vg_fmt("%s/tuf/%s", VG_TEST_DATA, name);
    cr_assert_eq(vg_file_read(&b, path, 1024 * 1024, &err), 0, "%s", path);
    free(path);
    return b;
}

static int
fixed_pass(struct vg_secret **out, const char *role, const char *keyid, bool create, void *payload,
           struct vg_err **err)
{
    (void)role, (void)keyid, (void)create, (void)err;
    *out = vg_secret_new(payload, strlen(payload));
    return 0;
}

static int
parse_text(const char *text, struct vg_err **err)
{
    struct vg_tuf_keyfile kf;
    int rc = vg_tuf_keyfile_parse(&kf, text, strlen(text), err);
    if (rc == 0) {
        vg_tuf_keyfile_dispose(&kf);
    }
    return rc;
}

Test(tuf_keystore, reads_notary_cli_key_file)
{
    struct vg_buf b = data_file("notary-alice.key");
    struct vg_tuf_keyfile kf;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_tuf_keyfile_parse(&kf, b.data, b.len, &err), 0);
    cr_assert(kf.encrypted);
    cr_assert_str_eq(kf.role, "alice");
    cr_assert_null(kf.gun);
    struct vg_tuf_pass pass = {fixed_pass, PW_PW};
    struct vg_crypto_key *k = NULL;
    cr_assert_eq(vg_tuf_keyfile_key(&k, &kf, ALICE_ID, &pass, &err), 0);
    char id[65];
    cr_assert_eq(vg_tuf_key_id(id, k, &err), 0);
    cr_assert_str_eq(id, ALICE_ID);
    vg_crypto_key_free(k);
    vg_tuf_keyfile_dispose(&kf);
    vg_buf_dispose(&b);
}

Test(tuf_keystore, wrong_passphrase_is_auth_error)
{
    struct vg_buf b = data_file("notary-alice.key");
    struct vg_tuf_keyfile kf;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_tuf_keyfile_parse(&kf, b.data, b.len, &err), 0);
    struct vg_tuf_pass pass = {fixed_pass, PW_WRONG};
    struct vg_crypto_key *k = NULL;
    cr_assert_lt(vg_tuf_keyfile_key(&k, &kf, ALICE_ID, &pass, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_AUTH);
    cr_assert(strstr(err->msg, "wrong passphrase"));
    vg_err_free(&err);
    vg_tuf_keyfile_dispose(&kf);
    vg_buf_dispose(&b);
}

Test(tuf_keystore, format_round_trips_with_headers)
{
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    cr_assert_eq(vg_crypto_key_generate(&k, &err), 0);
    struct vg_secret *pw = vg_secret_new("s3cret", 6);
    char *pem = NULL;
    size_t len = 0;
    cr_assert_eq(vg_tuf_keyfile_format(&pem, &len, k, "targets", "example.com/app", pw, &err), 0);
    cr_assert(strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: example.com/app\nrole: "
                          "targets\n\n"));
    struct vg_tuf_keyfile kf;
    cr_assert_eq(vg_tuf_keyfile_parse(&kf, pem, len, &err), 0);
    cr_assert_str_eq(kf.role, "targets");
    cr_assert_str_eq(kf.gun, "example.com/app");
    uint64_t iter = 0;
    cr_assert_eq(vg_crypto_pkcs8_inspect(kf.der->data, kf.der->len, &iter, &err), 0);
    cr_assert_eq(iter, VG_PKCS8_PBKDF2_ITER);
    struct vg_tuf_pass pass = {fixed_pass, PW_SECRET};
    struct vg_crypto_key *back = NULL;
    cr_assert_eq(vg_tuf_keyfile_key(&back, &kf, "x", &pass, &err), 0);
    cr_assert(vg_crypto_key_public_eq(k, back));
    vg_crypto_key_free(back);
    vg_tuf_keyfile_dispose(&kf);
    free(pem);
    vg_secret_free(pw);
    vg_crypto_key_free(k);
}

Test(tuf_keystore, reads_other_pbes2_parameters)
{
    struct vg_buf b = data_file("pkcs8-aes128-sha256.pem");
    struct vg_tuf_keyfile kf;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_tuf_keyfile_parse(&kf, b.data, b.len, &err), 0);
    cr_assert_null(kf.role);
    struct vg_tuf_pass pass = {fixed_pass, PW_PW};
    struct vg_crypto_key *k = NULL;
    cr_assert_eq(vg_tuf_keyfile_key(&k, &kf, "x", &pass, &err), 0);
    vg_crypto_key_free(k);
    vg_tuf_keyfile_dispose(&kf);
    vg_buf_dispose(&b);
}

Test(tuf_keystore, refuses_costly_or_foreign_schemes_before_derivation)
{
    struct vg_err *err = NULL;
    struct vg_buf b = data_file("pkcs8-iter-2000000.pem");
    cr_assert_lt(parse_text((const char *)b.data, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_LIMIT);
    cr_assert(strstr(vg_err_format(err), "iteration count 2000000"));
    vg_err_free(&err);
    vg_buf_dispose(&b);
    b = data_file("pkcs8-pbes1.pem");
    cr_assert_lt(parse_text((const char *)b.data, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_UNSUPPORTED);
    vg_err_free(&err);
    vg_buf_dispose(&b);
}

Test(tuf_keystore, hostile_pem_framing)
{
    static const struct {
        const char *text;
        enum vg_errc code;
        const char *msg;
    } cases[] = {
        {"", VG_E_PARSE, "no PEM block"},
        {"garbage\n", VG_E_PARSE, "no PEM block"},
        {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", VG_E_UNSUPPORTED,
         "PEM type"},
        {"-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END PRIVATE KEY-----\n",
         VG_E_PARSE, "only in EC/RSA PRIVATE KEY blocks"},
        {"-----BEGIN EC PRIVATE KEY-----\nDEK-Info: AES-256-CBC,00\n\nAAAA\n"
         "-----END EC PRIVATE KEY-----\n",
         VG_E_PARSE, "DEK-Info without Proc-Type"},
        {"-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n"
         "-----END EC PRIVATE KEY-----\n",
         VG_E_PARSE, "without DEK-Info"},
        {"-----BEGIN RSA PRIVATE KEY-----\nrole: a\nProc-Type: 4,ENCRYPTED\n\nAAAA\n"
         "-----END RSA PRIVATE KEY-----\n",
         VG_E_PARSE, "must come first"},
        {"-----BEGIN PRIVATE KEY-----\nrole: a\nrole: b\n\nAAAA\n-----END PRIVATE KEY-----\n",
         VG_E_PARSE, "repeated \"role\""},
        {"-----BEGIN PRIVATE KEY-----\nrole: a b\n\nAAAA\n-----END PRIVATE KEY-----\n", VG_E_PARSE,
         "invalid"},
        {"-----BEGIN PRIVATE KEY-----\nrole: a\nno colon\n", VG_E_PARSE, "without ':'"},
        {"-----BEGIN PRIVATE KEY-----\nrole: a\n", VG_E_PARSE, "truncated"},
        {"-----BEGIN PRIVATE KEY-----\nAAAA\n", VG_E_PARSE, "no PEM END"},
        {"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", VG_E_PARSE,
         "does not match"},
        {"-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n", VG_E_PARSE, "empty"},
        {"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", VG_E_PARSE, "body"},
        {"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
         VG_E_PARSE, "invalid PKCS#8"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vg_err *err = NULL;
        cr_assert_lt(parse_text(cases[i].text, &err), 0, "case %zu", i);
        char *m = vg_err_format(err);
        cr_assert_eq(vg_err_root_code(err), cases[i].code, "case %zu: %s", i, m);
        cr_assert(strstr(m, cases[i].msg), "case %zu: %s", i, m);
        free(m);
        vg_err_free(&err);
    }
}

static char *
with_headers(unsigned n)
{
    struct vg_buf b = VG_BUF_INIT(1024 * 1024);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_buf_append_str(&b, "-----BEGIN PRIVATE KEY-----\n", &err), 0);
    for (unsigned i = 0; i < n; i++) {
        cr_assert_eq(vg_buf_appendf(&b, &err, "x-%u: v\n", i), 0);
    }
    cr_assert_eq(vg_buf_append_str(&b, "\nAAAA\n-----END PRIVATE KEY-----\n", &err), 0);
    return vg_buf_take(&b, NULL);
}

Test(tuf_keystore, header_count_limit)
{
    struct vg_err *err = NULL;
    char *ok = with_headers(VG_TUF_KEYFILE_MAX_HEADERS);
    cr_assert_eq(parse_text(ok, &err), 0); /* framing only: the body is not checked as a key */
    char *over = with_headers(VG_TUF_KEYFILE_MAX_HEADERS + 1);
    cr_assert_lt(parse_text(over, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_LIMIT);
    vg_err_free(&err);
    free(ok);
    free(over);
}

Test(tuf_keystore, size_and_line_limits)
{
    struct vg_err *err = NULL;
    size_t n = VG_TUF_KEYFILE_MAX_BYTES + 1;
    char *big = malloc(n + 1);
    memset(big, 'A', n);
    big[n] = '\0';
    cr_assert_lt(parse_text(big, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_LIMIT);
    vg_err_free(&err);
    big[VG_TUF_KEYFILE_LINE_MAX + 1] = '\0'; /* one line longer than the limit */
    cr_assert_lt(parse_text(big, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_LIMIT);
    vg_err_free(&err);
    free(big);
}

Test(tuf_keystore, trust_directory_put_list_get)
{
    char tmpl[] = "/tmp/vg-keystore-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    struct vg_err *err = NULL;
    struct vg_crypto_key *a = NULL, *b = NULL;
    cr_assert_eq(vg_crypto_key_generate(&a, &err), 0);
    cr_assert_eq(vg_crypto_key_generate(&b, &err), 0);
    struct vg_secret *pw = vg_secret_new("pw", 2);
    char ida[65], idb[65];
    cr_assert_eq(vg_tuf_keystore_put(ida, tmpl, a, "alice", NULL, pw, &err), 0);
    cr_assert_eq(vg_tuf_keystore_put(idb, tmpl, b, "targets", "example.com/x", pw, &err), 0);
    cr_assert_lt(vg_tuf_keystore_put(NULL, tmpl, a, "alice", NULL, pw, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_USAGE);
    vg_err_free(&err);
    char *path = vg_fmt("%s/private/%s.key", tmpl, ida);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    char **ids = NULL;
    size_t n = 0;
    cr_assert_eq(vg_tuf_keystore_list(&ids, &n, tmpl, "alice", NULL, &err), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(ids[0], ida);
    vg_strv_free(ids, n);
    cr_assert_eq(vg_tuf_keystore_list(&ids, &n, tmpl, "targets", "example.com/other", &err), 0);
    cr_assert_eq(n, 0);
    vg_strv_free(ids, n);
    struct vg_tuf_pass pass = {fixed_pass, PW_PW};
    struct vg_crypto_key *back = NULL;
    cr_assert_eq(vg_tuf_keystore_get(&back, tmpl, idb, &pass, &err), 0);
    cr_assert(vg_crypto_key_public_eq(b, back));
    vg_crypto_key_free(back);
    cr_assert_lt(vg_tuf_keystore_get(&back, tmpl, "../x", &pass, &err), 0);
    vg_err_free(&err);
    free(path);
    vg_secret_free(pw);
    vg_crypto_key_free(a);
    vg_crypto_key_free(b);
    uint64_t removed = 0;
    cr_assert_eq(vg_remove_tree(tmpl, &removed, &err), 0);
}

Test(tuf_keystore, self_signed_root_certificate)
{
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    cr_assert_eq(vg_crypto_key_generate(&k, &err), 0);
    uint8_t *der = NULL;
    size_t len = 0;
    cr_assert_eq(
        vg_x509_self_signed_new(&der, &len, k, "example.com/app", 1700000000, 2000000000, &err), 0);
    struct vg_x509 *x = NULL;
    cr_assert_eq(vg_x509_parse(&x, der, len, &err), 0);
    char *cn = NULL;
    cr_assert_eq(vg_x509_subject_cn(&cn, x, &err), 0);
    cr_assert_str_eq(cn, "example.com/app");
    int64_t nb = 0, na = 0;
    cr_assert_eq(vg_x509_validity(x, &nb, &na, &err), 0);
    cr_assert_eq(nb, 1700000000);
    cr_assert_eq(na, 2000000000);
    cr_assert(vg_x509_self_signed(x));
    cr_assert(vg_x509_eku_code_signing(x));
    struct vg_crypto_key *pub = NULL;
    cr_assert_eq(vg_x509_public_key(&pub, x, &err), 0);
    cr_assert(vg_crypto_key_public_eq(k, pub));
    vg_crypto_key_free(pub);
    free(cn);
    vg_x509_free(x);
    free(der);
    vg_crypto_key_free(k);
}
