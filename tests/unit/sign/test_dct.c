/* SPDX-License-Identifier: Apache-2.0
 *
 * Docker Content Trust's last step (sign/dct.c vg_sign_dct_matches), shared by `verify --dct`
 * and the registry's gate: a manifest is the signed target only when its SHA-256 AND its
 * length are the target's; another hash, another length (same hash: a target whose length was
 * altered), a SHA-512 digest are refused with a message naming the tag, the signed hash and
 * both lengths. The notary part runs against the real notary-server in the e2e tests.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "sign/sign.h"

static const char body[] = "{\"schemaVersion\":2}";
static char role_name[] = "targets", tag_name[] = "v1";

static struct vg_sign_dct_result
signed_target(uint64_t length)
{
    struct vg_sign_dct_result r = {.role = role_name, .tag = tag_name};
    vg_sha256_raw(r.sha256, body, strlen(body));
    r.length = length;
    return r;
}

static struct vg_digest
digest_of(const char *s)
{
    uint8_t sha[32];
    vg_sha256_raw(sha, s, strlen(s));
    struct vg_digest d = {VG_DIGEST_SHA256, "sha256:"};
    vg_hex_encode(d.text + 7, sha, 32);
    return d;
}

Test(sign_dct, manifest_must_match_hash_and_length)
{
    struct vg_err *err = NULL;
    struct vg_sign_dct_result r = signed_target(strlen(body));
    struct vg_digest d = digest_of(body);
    cr_assert_eq(vg_sign_dct_matches(&r, &d, strlen(body), &err), 0);

    /* the same hash with another length: a target whose length is not the manifest's */
    r.length = strlen(body) + 1;
    cr_assert_lt(vg_sign_dct_matches(&r, &d, strlen(body), &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_VERIFY);
    char *m = vg_err_format(err);
    cr_assert(strstr(m, "is not the one signed in trust data (tag v1 signed sha256:") &&
                  strstr(m, ", 20 bytes; the manifest is 19 bytes)"),
              "%s", m);
    free(m);
    vg_err_free(&err);

    /* another manifest */
    r.length = strlen(body);
    struct vg_digest other = digest_of("{\"schemaVersion\":3}");
    cr_assert_lt(vg_sign_dct_matches(&r, &other, strlen(body), &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_VERIFY);
    vg_err_free(&err);

    /* a SHA-512 digest is never a content trust target */
    struct vg_digest d512 = {VG_DIGEST_SHA512, "sha512:"};
    memset(d512.text + 7, 'a', 128);
    d512.text[7 + 128] = '\0';
    cr_assert_lt(vg_sign_dct_matches(&r, &d512, strlen(body), &err), 0);
    vg_err_free(&err);
}
