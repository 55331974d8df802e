#include <criterion/criterion.h>
#include <string.h>

#include "core/core.h"

Test(core_digest, sha256_of_abc)
{
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, "abc", 3);
    cr_assert_str_eq(d.text,
                     "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(core_digest, streaming_equals_oneshot)
{
    struct vg_digest a, b;
    vg_digest_of(&a, VG_DIGEST_SHA512, "hello world", 11);
    struct vg_hasher *h = vg_hasher_new(VG_DIGEST_SHA512);
    vg_hasher_update(h, "hello ", 6);
    vg_hasher_update(h, "world", 5);
    vg_hasher_final(h, &b);
    vg_hasher_free(h);
    cr_assert(vg_digest_eq(&a, &b));
    cr_assert(vg_cstr_startswith(a.text, "sha512:"));
    cr_assert_eq(strlen(a.text), 7 + 128);
}

Test(core_digest, rejects_uppercase_hex)
{
    cr_assert_not(
        vg_digest_valid("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
}

Test(core_digest, rejects_short_unknown_and_long)
{
    cr_assert_not(vg_digest_valid("sha256:abc"));
    cr_assert_not(vg_digest_valid("md5:d41d8cd98f00b204e9800998ecf8427e"));
    cr_assert_not(vg_digest_valid(
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0"));
    cr_assert(
        vg_digest_valid("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

Test(core_base64, roundtrip_and_invalid)
{
    char *e = vg_base64_encode("foobar", 6);
    cr_assert_str_eq(e, "Zm9vYmFy");
    uint8_t *d = NULL;
    size_t n = 0;
    cr_assert_eq(vg_base64_decode(&d, &n, e, strlen(e), false, NULL), 0);
    cr_assert_eq(n, 6);
    cr_assert_eq(memcmp(d, "foobar", 6), 0);
    free(d);
    free(e);
    e = vg_base64_encode("fo", 2);
    cr_assert_str_eq(e, "Zm8=");
    free(e);
    struct vg_err *err = NULL;
    cr_assert_lt(vg_base64_decode(&d, &n, "Zm*v", 4, false, &err), 0);
    vg_err_free(&err);
}
