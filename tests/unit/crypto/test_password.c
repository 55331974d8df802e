/* SPDX-License-Identifier: Apache-2.0
 *
 * Password sources (crypto.h's vg_crypto_password): what vg_crypto_password_ask makes of a
 * source's answer (its error as it is, a silent failure or a missing secret as internal
 * errors, the length bound), the fixed source, and vg_crypto_key_load_private asking only
 * after the envelope parsed.
 */
#include "crypto/crypto.h"
#include "testutil.h"

static int calls;
static bool last_confirm;

static int
fixed_counting(struct vg_secret **out, bool confirm, void *payload, struct vg_err **err)
{
    calls++;
    last_confirm = confirm;
    return vg_crypto_password_fixed(out, confirm, payload, err);
}

static int
fails_silently(struct vg_secret **out, bool confirm, void *payload, struct vg_err **err)
{
    (void)confirm;
    (void)payload;
    (void)err;
    /* A buggy source: allocates, then fails without an error. ask must free it (ASan). */
    *out = vg_secret_new("leak?", 5);
    return -1;
}

static int
succeeds_without_secret(struct vg_secret **out, bool confirm, void *payload, struct vg_err **err)
{
    (void)out;
    (void)confirm;
    (void)payload;
    (void)err;
    return 0;
}

static int
refuses(struct vg_secret **out, bool confirm, void *payload, struct vg_err **err)
{
    (void)out;
    (void)confirm;
    (void)payload;
    return vg_err_set(err, VG_E_IO, "password prompt interrupted");
}

Test(crypto_password, fixed_source_hands_out_a_copy_and_passes_confirm)
{
    vg_autosecret struct vg_secret *cfg = vg_secret_new("from-config", 11);
    struct vg_crypto_password src = {fixed_counting, cfg};
    struct vg_err *err = NULL;
    vg_autosecret struct vg_secret *pw = NULL;
    calls = 0;
    TU_ASSERT_OK(vg_crypto_password_ask(&pw, &src, true, &err), err);
    cr_assert_eq(calls, 1);
    cr_assert(last_confirm);
    cr_assert_neq(pw, cfg);
    cr_assert_eq(pw->len, 11);
    cr_assert_str_eq((const char *)pw->data, "from-config");
}

Test(crypto_password, fixed_source_without_a_secret_is_a_usage_error)
{
    struct vg_crypto_password src = {vg_crypto_password_fixed, NULL};
    struct vg_err *err = NULL;
    struct vg_secret *pw = NULL;
    cr_assert_lt(vg_crypto_password_ask(&pw, &src, false, &err), 0);
    cr_assert_null(pw);
    cr_assert_eq(vg_err_code(err), VG_E_USAGE);
    cr_assert(tu_err_contains(err, "no password configured"));
    vg_err_free(&err);
}

Test(crypto_password, source_error_is_passed_on_unchanged)
{
    struct vg_crypto_password src = {refuses, NULL};
    struct vg_err *err = NULL;
    struct vg_secret *pw = NULL;
    cr_assert_eq(vg_crypto_password_ask(&pw, &src, false, &err), -(int)VG_E_IO);
    cr_assert_null(pw);
    vg_autofree char *m = vg_err_format(err);
    cr_assert_str_eq(m, "password prompt interrupted");
    cr_assert_null(err->cause);
    vg_err_free(&err);
    /* Without an error out-parameter the code still comes back and nothing leaks. */
    cr_assert_eq(vg_crypto_password_ask(&pw, &src, false, NULL), -(int)VG_E_IO);
}

Test(crypto_password, silent_failure_becomes_an_internal_error)
{
    struct vg_crypto_password src = {fails_silently, NULL};
    struct vg_err *err = NULL;
    struct vg_secret *pw = NULL;
    cr_assert_lt(vg_crypto_password_ask(&pw, &src, false, &err), 0);
    cr_assert_null(pw);
    cr_assert_eq(vg_err_code(err), VG_E_INTERNAL);
    cr_assert(tu_err_contains(err, "password source failed"));
    vg_err_free(&err);
    cr_assert_lt(vg_crypto_password_ask(&pw, &src, false, NULL), 0);
}

Test(crypto_password, success_without_a_secret_is_an_internal_error)
{
    struct vg_crypto_password src = {succeeds_without_secret, NULL};
    struct vg_err *err = NULL;
    struct vg_secret *pw = NULL;
    cr_assert_eq(vg_crypto_password_ask(&pw, &src, false, &err), -(int)VG_E_INTERNAL);
    cr_assert_null(pw);
    cr_assert_eq(vg_err_code(err), VG_E_INTERNAL);
    vg_err_free(&err);
}

Test(crypto_password, length_bound_at_and_over_the_limit)
{
    vg_autosecret struct vg_secret *at = vg_secret_alloc(VG_CRYPTO_PASSWORD_MAX);
    vg_autosecret struct vg_secret *over = vg_secret_alloc(VG_CRYPTO_PASSWORD_MAX + 1);
    memset(at->data, 'a', at->len);
    memset(over->data, 'a', over->len);
    struct vg_err *err = NULL;
    vg_autosecret struct vg_secret *pw = NULL;
    struct vg_crypto_password ok = {vg_crypto_password_fixed, at};
    TU_ASSERT_OK(vg_crypto_password_ask(&pw, &ok, false, &err), err);
    cr_assert_eq(pw->len, VG_CRYPTO_PASSWORD_MAX);
    struct vg_secret *pw2 = NULL;
    struct vg_crypto_password big = {vg_crypto_password_fixed, over};
    cr_assert_lt(vg_crypto_password_ask(&pw2, &big, false, &err), 0);
    cr_assert_null(pw2);
    cr_assert_eq(vg_err_code(err), VG_E_LIMIT);
    vg_err_free(&err);
}

Test(crypto_password, key_load_asks_once_after_the_envelope_parsed)
{
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    vg_autosecret struct vg_secret *cfg = vg_secret_new("pw", 2);
    vg_autofree char *pem = NULL;
    size_t pemlen = 0;
    TU_ASSERT_OK(vg_crypto_key_encrypt(k, cfg, &pem, &pemlen, &err), err);

    struct vg_crypto_password src = {fixed_counting, cfg};
    calls = 0;
    vg_autokey struct vg_crypto_key *back = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_private(&back, pem, pemlen, &src, &err), err);
    cr_assert_eq(calls, 1);
    cr_assert_not(last_confirm);
    cr_assert(vg_crypto_key_public_eq(k, back));

    /* A truncated envelope fails before the source is asked. */
    struct vg_crypto_key *none = NULL;
    cr_assert_lt(vg_crypto_key_load_private(&none, pem, pemlen / 2, &src, &err), 0);
    cr_assert_eq(calls, 1);
    cr_assert_null(none);
    vg_err_free(&err);

    /* The source's error ends the load: nothing decrypted, its code returned. */
    struct vg_crypto_password no = {refuses, NULL};
    cr_assert_eq(vg_crypto_key_load_private(&none, pem, pemlen, &no, &err), -(int)VG_E_IO);
    cr_assert_null(none);
    vg_err_free(&err);
}
