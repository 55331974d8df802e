#include <criterion/criterion.h>
#include <string.h>

#include "oci/oci.h"

static struct vg_digest
digest_of(const char *s)
{
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, s, strlen(s));
    return d;
}

Test(oci_verify, exact_size_and_digest_pass)
{
    struct vg_digest d = digest_of("hello world");
    struct vg_oci_verifier *v = vg_oci_verifier_new(&d, 11);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_verifier_update(v, "hello ", 6, &err), 0);
    cr_assert_eq(vg_oci_verifier_update(v, "world", 5, &err), 0);
    cr_assert_eq(vg_oci_verifier_finish(v, &err), 0);
    cr_assert_null(err);
    vg_oci_verifier_free(v);
}

Test(oci_verify, size_plus_one_fails_on_update)
{
    struct vg_digest d = digest_of("hello world");
    struct vg_oci_verifier *v = vg_oci_verifier_new(&d, 10);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_verifier_update(v, "hello worl", 10, &err), 0);
    cr_assert_lt(vg_oci_verifier_update(v, "d", 1, &err), 0);
    cr_assert_eq(err->code, VG_E_VERIFY);
    cr_assert(strstr(err->msg, d.text), "message names the digest: %s", err->msg);
    vg_err_free(&err);
    cr_assert_lt(vg_oci_verifier_finish(v, &err), 0);
    vg_err_free(&err);
    vg_oci_verifier_free(v);
}

Test(oci_verify, short_stream_fails_on_finish)
{
    struct vg_digest d = digest_of("hello world");
    struct vg_oci_verifier *v = vg_oci_verifier_new(&d, 11);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_verifier_update(v, "hello", 5, &err), 0);
    cr_assert_lt(vg_oci_verifier_finish(v, &err), 0);
    cr_assert_eq(err->code, VG_E_VERIFY);
    cr_assert(strstr(err->msg, "size mismatch"));
    vg_err_free(&err);
    vg_oci_verifier_free(v);
}

Test(oci_verify, wrong_digest_fails_naming_it)
{
    struct vg_digest d = digest_of("hello world");
    struct vg_oci_verifier *v = vg_oci_verifier_new(&d, 11);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_verifier_update(v, "hello WORLD", 11, &err), 0);
    cr_assert_lt(vg_oci_verifier_finish(v, &err), 0);
    cr_assert_eq(err->code, VG_E_VERIFY);
    cr_assert(strstr(err->msg, d.text));
    cr_assert(strstr(err->msg, "digest mismatch"));
    vg_err_free(&err);
    vg_oci_verifier_free(v);
}

Test(oci_verify, empty_blob)
{
    struct vg_digest d = digest_of("");
    struct vg_oci_verifier *v = vg_oci_verifier_new(&d, 0);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_verifier_finish(v, &err), 0);
    cr_assert_lt(vg_oci_verifier_finish(v, &err), 0, "finish is one-shot");
    vg_err_free(&err);
    vg_oci_verifier_free(v);
}

Test(oci_verify, sha512)
{
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA512, "abc", 3);
    struct vg_oci_verifier *v = vg_oci_verifier_new(&d, 3);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_verifier_update(v, "abc", 3, &err), 0);
    cr_assert_eq(vg_oci_verifier_finish(v, &err), 0);
    vg_oci_verifier_free(v);
}
