/* SPDX-License-Identifier: Apache-2.0
 *
 * Unit tests of the per-ecosystem comparators: hand-picked nasty cases for each scheme (the
 * large differential tests against the reference tools live in tests/e2e/test_vercmp.py),
 * validity, names, the checked comparison, order properties and hostile input.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "version/version.h"

struct vcase {
    const char *a;
    int want; /* -1, 0, 1 */
    const char *b;
};

static void
check_cases(enum vg_ver_scheme s, const struct vcase *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int got = vg_ver_cmp(s, c[i].a, c[i].b);
        cr_expect_eq(got, c[i].want, "%s: cmp(%s, %s) = %d, want %d", vg_ver_scheme_name(s), c[i].a,
                     c[i].b, got, c[i].want);
        int rev = vg_ver_cmp(s, c[i].b, c[i].a);
        cr_expect_eq(rev, -c[i].want, "%s: cmp(%s, %s) = %d, want %d", vg_ver_scheme_name(s),
                     c[i].b, c[i].a, rev, -c[i].want);
    }
}

#define CHECK(s, arr) check_cases((s), (arr), sizeof(arr) / sizeof((arr)[0]))

Test(version_compare, deb)
{
    static const struct vcase c[] = {
        {"1.0", 0, "1.0-0"},     {"1:1.0", 1, "2.0"},
        {"1.0~rc1", -1, "1.0"},  {"1.0~~", -1, "1.0~"},
        {"1.0", -1, "1.0+"},     {"1.0a", -1, "1.0+"},
        {"1.0Z", -1, "1.0a"},    {"1.9", -1, "1.10"},
        {"1.001", 0, "1.1"},     {"1.0-1~bpo1", -1, "1.0-1"},
        {"1.2-3-4", 1, "1.2-3"}, {"a", 1, "1"},
        {"2.30-1", 1, "2.4-1"},  {"01:1", 0, "1:1"},
        {"1:2:3", 1, "1:2"},     {"0", -1, "0.0"},
        {"1.0 ", 0, "1.0"},      {"99999999999999999999999", -1, "100000000000000000000000"},
    };
    CHECK(VG_VER_DEB, c);
    cr_expect(vg_ver_valid(VG_VER_DEB, "1:1.0-1ubuntu1"));
    cr_expect(vg_ver_valid(VG_VER_DEB, "abc")); /* dpkg only warns */
    const char *bad[] = {"", "1.0-", ":1", "a:1", "-1:1", "1 0", "1:", "2147483648:1", "1.0 -1"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        cr_expect_not(vg_ver_valid(VG_VER_DEB, bad[i]), "'%s' should be invalid", bad[i]);
    }
}

Test(version_compare, rpm)
{
    static const struct vcase c[] = {
        {"1.0", -1, "1.0-1"},
        {"1.0", 0, "1_0"},
        {"1.0", 0, "1.0."},
        {"1.0~rc1", -1, "1.0"},
        {"1.0^", 1, "1.0"},
        {"1.0^git1", -1, "1.0.1"},
        {"1.0~rc1^git1", 1, "1.0~rc1"},
        {"1a", 1, "1"},
        {"a", -1, "1"},
        {"010", 0, "10"},
        {"1.0a", -1, "1.0.1"},
        {"0:1.0", 0, "1.0"},
        {"1:1.0", 1, "2.0"},
        {"1.0-1.el8_2", 1, "1.0-1.el8"},
        {"1.0-", 1, "1.0"},
        {"1.0-", -1, "1.0-0"},
        {"2.02-1", 0, "2.2-1"},
    };
    CHECK(VG_VER_RPM, c);
    cr_expect_not(vg_ver_valid(VG_VER_RPM, ""));
    cr_expect(vg_ver_valid(VG_VER_RPM, "1:2.3-4.el9"));
}

Test(version_compare, apk)
{
    static const struct vcase c[] = {
        {"1.1", 1, "1.1_alpha1"},
        {"1.0_pre1", -1, "1.0_rc1"},
        {"1.0_p1", 1, "1.0"},
        {"1.0_cvs1", -1, "1.0_svn1"},
        {"1.0_hg1", -1, "1.0_p1"},
        {"1.0a", -1, "1.0.1"},
        {"1.0", -1, "1.0-r1"},
        {"1.0-r9", -1, "1.0-r10"},
        {"1.01", -1, "1.1"},
        {"1.2.03", -1, "1.2.1"},
        {"0.1_p1_pre2", -1, "0.1_p1"},
        {"0.1_pre2~1234abcd", 1, "0.1_pre2"},
        /* invalid tails still compare the way apk-tools does */
        {"23_foo", 1, "4_beta"},
        {"1.0", -1, "1.0bc"},
        {"01.0", 0, "1.0"},
    };
    CHECK(VG_VER_APK, c);
    const char *good[] = {
        "1.2", "0.1_pre2", "0.1_pre2~1234abcd", "0.1_p1_pre2", "0.1_git20240101_pre1", "1.2.3-r0"};
    for (size_t i = 0; i < VG_ARRAY_LEN(good); i++) {
        cr_expect(vg_ver_valid(VG_VER_APK, good[i]), "'%s' should be valid", good[i]);
    }
    const char *bad[] = {"",           "0.1bc", "0.1a1",       "0.1_pre2~", "0.1_pre2~1234xbcd",
                         "0.1_foobar", "0.1-r", "0.1-r2_pre1", "0.1-r2-r3", ".1",
                         "a",          "0.1_",  "0.1__alpha"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        cr_expect_not(vg_ver_valid(VG_VER_APK, bad[i]), "'%s' should be invalid", bad[i]);
    }
}

Test(version_compare, semver)
{
    static const struct vcase c[] = {
        {"1.0.0-alpha", -1, "1.0.0-alpha.1"},
        {"1.0.0-alpha.1", -1, "1.0.0-alpha.beta"},
        {"1.0.0-beta.2", -1, "1.0.0-beta.11"},
        {"1.0.0-rc.1", -1, "1.0.0"},
        {"1.0.0+a", 0, "1.0.0+b"},
        {"v1.2.3", 0, "1.2.3"},
        {"1.2.3-Z", -1, "1.2.3-a"},
        {"1.2.3-9", -1, "1.2.3-a"},
        {"1.0.0-9007199254740992", 0, "1.0.0-9007199254740993"},
        {" 1.0.0 ", 0, "1.0.0"},
    };
    CHECK(VG_VER_SEMVER, c);
    const char *bad[] = {"1.0",        "=1.0.0", "01.0.0", "1.0.0-01", "9007199254740992.0.0",
                         "1.0.0-a..b", "V1.0.0", "1.0.0+", ""};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        cr_expect_not(vg_ver_valid(VG_VER_SEMVER, bad[i]), "'%s' should be invalid", bad[i]);
    }
    cr_expect(vg_ver_valid(VG_VER_SEMVER, "9007199254740991.0.0"));
}

Test(version_compare, go)
{
    static const struct vcase c[] = {
        {"1.0.0", 0, "v1.0.0"},
        {"v1", 0, "v1.0.0"},
        {"v1.2", 0, "v1.2.0"},
        {"v2.0.0+incompatible", 0, "v2.0.0"},
        {"v0.0.0-20210101000000-abcdef123456", -1, "v0.0.1"},
        {"v1.2.4-0.20210101000000-abcdef123456", 1, "v1.2.3"},
        {"v100000000000000000000.0.0", 1, "v99999999999999999999.0.0"},
        {"go1.21.3", 0, "v1.21.3"},
        {"go1.21", 0, "v1.21.0"},
        {"go1.21rc1", 0, "v1.21.0-rc.1"},
        {"go1.21rc10", 1, "go1.21rc2"},
        {"go1.9beta2", -1, "go1.9rc1"},
        {"go1", 0, "v1.0.0"},
        /* x/mod/semver: invalid versions are equal to each other and below valid ones */
        {"v01.0.0", -1, "v0.0.1"},
        {"junk", 0, "v1.2-pre"},
    };
    CHECK(VG_VER_GO, c);
    cr_expect_not(vg_ver_valid(VG_VER_GO, "go1.21x"));
    cr_expect_not(vg_ver_valid(VG_VER_GO, "v1.0.0-01"));
}

Test(version_compare, pep440)
{
    static const struct vcase c[] = {
        {"1.0", 0, "1.0.0"},
        {"1!0.1", 1, "2.0"},
        {"1.0.dev0", -1, "1.0a0"},
        {"1.0a1.dev1", -1, "1.0a1"},
        {"1.0.post1.dev1", -1, "1.0.post1"},
        {"1.0", -1, "1.0+local"},
        {"1.0+abc", -1, "1.0+1"},
        {"1.0+ABC", 0, "1.0+abc"},
        {"1.0+a-b", 0, "1.0+a.b"},
        {"1.0-1", 0, "1.0.post1"},
        {"1.0r", 0, "1.0.post0"},
        {"1.0a.", 0, "1.0a0"},
        {"1.0_RC_1", 0, "1.0rc1"},
        {"01.02", 0, "1.2"},
        {"1.0preview1", 0, "1.0rc1"},
        {"1.0.post1", -1, "1.1.dev0"},
        {"1.0.dev-1", 0, "1.0.dev1"},
        {"1.0.123456789012345678901234567890", 1, "1.0.123456789012345678901234567889"},
    };
    CHECK(VG_VER_PEP440, c);
    const char *bad[] = {"1.0-", "1..0", "1.0+", "a1", "1.0a1a", "1!", ""};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        cr_expect_not(vg_ver_valid(VG_VER_PEP440, bad[i]), "'%s' should be invalid", bad[i]);
    }
}

Test(version_compare, maven)
{
    static const struct vcase c[] = {
        {"1", 0, "1.0.0"},
        {"1.0-alpha1", 0, "1.0-a1"},
        {"1.0-rc", 0, "1.0-cr"},
        {"1.0-milestone", -1, "1.0-rc"},
        {"1.0-SNAPSHOT", -1, "1.0"},
        {"1.0", 0, "1.0-ga"},
        {"1.0", -1, "1.0-sp"},
        {"1.0-sp", -1, "1.0-foo"},
        {"1.0-foo", -1, "1.0-1"},
        {"1.0-1", -1, "1.0.1"},
        {"1.0.0.x1", -1, "1.0.0-x2"},
        {"1a1", -1, "1-a-1"},
        {"1-1.foo-bar1baz-.1", 0, "1-1.foo-bar-1-baz-0.1"},
        {"1.0.01", 0, "1.0.1"},
        {"123456789012", -1, "123456789013"},
        {"1.0-RC1", 0, "1.0-rc-1"},
    };
    CHECK(VG_VER_MAVEN, c);
}

Test(version_compare, rubygems)
{
    static const struct vcase c[] = {
        {"1.0", 0, "1"},
        {"1.0.a", -1, "1.0"},
        {"1.0-1", -1, "1.0"},
        {"1.0-beta", 0, "1.0.pre.beta"},
        {"1.0.beta.0", 0, "1.0.beta"},
        {"1.0.A", -1, "1.0.a"},
        {"1.a", -1, "1"},
        {"1.0a", 0, "1.0.0.a"},
        {"", 0, "0"},
    };
    CHECK(VG_VER_RUBYGEMS, c);
    cr_expect_not(vg_ver_valid(VG_VER_RUBYGEMS, "1..0"));
    cr_expect_not(vg_ver_valid(VG_VER_RUBYGEMS, "a"));
    cr_expect(vg_ver_valid(VG_VER_RUBYGEMS, "1.0-x-y.2"));
}

Test(version_compare, composer)
{
    static const struct vcase c[] = {
        {"1.0", 0, "1.0.0"},
        {"1.0.0-beta", -1, "1.0.0-RC1"},
        {"1.0.0RC1", 0, "1.0.0-rc1"},
        {"1.0.0-pl1", 0, "1.0.0-patch1"},
        {"1.0.0-p1", 1, "1.0.0"},
        {"1.0.0-dev", -1, "1.0.0-alpha"},
        {"1.0.0+build5", 0, "1.0.0"},
        {"1.0-stable", 0, "1.0"},
        {"1.x-dev", 1, "1.999"},
        {"dev-master", -1, "1.0"},
        {"2010-01-02", -1, "2010.01.02"},
        {"v1.0 as 2.0", 0, "1.0"},
    };
    CHECK(VG_VER_COMPOSER, c);
    cr_expect_not(vg_ver_valid(VG_VER_COMPOSER, "1.2.3.4.5"));
    cr_expect_not(vg_ver_valid(VG_VER_COMPOSER, "foo"));
    cr_expect(vg_ver_valid(VG_VER_COMPOSER, "dev-feature/x"));
}

Test(version_compare, nuget)
{
    static const struct vcase c[] = {
        {"1", 0, "1.0.0.0"},
        {"1.0.0.1", 1, "1.0.0"},
        {"1.0.01", 0, "1.0.1"},
        {"1.0.0-Alpha", 0, "1.0.0-alpha"},
        {"1.0.0-alpha.2", -1, "1.0.0-alpha.10"},
        {"1.0.0-alpha.1", -1, "1.0.0-alpha.a"},
        {"1.0.0-beta+abc", 0, "1.0.0-beta+def"},
        {"1.0.0-2147483648", 1, "1.0.0-3"},
    };
    CHECK(VG_VER_NUGET, c);
    cr_expect_not(vg_ver_valid(VG_VER_NUGET, "1.2.3.4.5"));
    cr_expect_not(vg_ver_valid(VG_VER_NUGET, "2147483648.0"));
}

Test(version_names, schemes_and_ecosystems)
{
    cr_expect_eq(vg_ver_scheme_from_name("DEB"), VG_VER_DEB);
    cr_expect_eq(vg_ver_scheme_from_name("npm"), VG_VER_SEMVER);
    cr_expect_eq(vg_ver_scheme_from_name("pypi"), VG_VER_PEP440);
    cr_expect_eq(vg_ver_scheme_from_name("gem"), VG_VER_RUBYGEMS);
    cr_expect_eq(vg_ver_scheme_from_name("rubygems"), VG_VER_RUBYGEMS);
    cr_expect_eq((int)vg_ver_scheme_from_name("cobol"), 0);
    cr_expect_eq((int)vg_ver_scheme_from_name(NULL), 0);
    cr_expect_eq(vg_ver_scheme_from_ecosystem("Debian:12"), VG_VER_DEB);
    cr_expect_eq(vg_ver_scheme_from_ecosystem("Alpine:v3.19"), VG_VER_APK);
    cr_expect_eq(vg_ver_scheme_from_ecosystem("Ubuntu:22.04:LTS"), VG_VER_DEB);
    cr_expect_eq(vg_ver_scheme_from_ecosystem("Red Hat:enterprise_linux:8"), VG_VER_RPM);
    cr_expect_eq(vg_ver_scheme_from_ecosystem("Rocky Linux:9"), VG_VER_RPM);
    cr_expect_eq(vg_ver_scheme_from_ecosystem("crates.io"), VG_VER_SEMVER);
    cr_expect_eq(vg_ver_scheme_from_ecosystem("Packagist"), VG_VER_COMPOSER);
    cr_expect_eq(vg_ver_scheme_from_ecosystem("Go"), VG_VER_GO);
    cr_expect_eq((int)vg_ver_scheme_from_ecosystem("Bitnami"), 0);
    for (int s = 1; s <= (int)VG_VER_SCHEME_MAX; s++) {
        const char *n = vg_ver_scheme_name((enum vg_ver_scheme)s);
        cr_expect_eq((int)vg_ver_scheme_from_name(n), s, "%s", n);
        cr_expect_neq(strlen(vg_ver_scheme_describe((enum vg_ver_scheme)s)), 0);
    }
    cr_expect_str_eq(vg_ver_scheme_name(0), "unknown");
}

Test(version_checked, errors)
{
    struct vg_err *err = NULL;
    int r = 7;
    cr_assert_eq(vg_ver_cmp_checked(&r, VG_VER_DEB, "1.0", "1.1", &err), 0);
    cr_expect_eq(r, -1);
    cr_expect_null(err);
    cr_assert_lt(vg_ver_cmp_checked(&r, VG_VER_SEMVER, "1.0", "1.0.0", &err), 0);
    cr_expect(vg_err_is(err, VG_E_PARSE));
    char *msg = vg_err_format(err);
    cr_expect(strstr(msg, "invalid semver version '1.0'") != NULL, "%s", msg);
    free(msg);
    vg_err_free(&err);
    cr_assert_lt(vg_ver_cmp_checked(&r, 0, "1", "2", &err), 0);
    cr_expect(vg_err_is(err, VG_E_USAGE));
    vg_err_free(&err);
    cr_assert_lt(vg_ver_cmp_checked(&r, VG_VER_COMPOSER, "dev-a", "dev-b", &err), 0);
    vg_err_free(&err);
    cr_assert_eq(vg_ver_cmp_checked(&r, VG_VER_COMPOSER, "dev-a", "dev-a", &err), 0);
    cr_expect_eq(r, 0);
    /* control characters in an invalid version are escaped in the message */
    cr_assert_lt(vg_ver_cmp_checked(&r, VG_VER_SEMVER, "1\n\x1b[31m", "1.0.0", &err), 0);
    msg = vg_err_format(err);
    cr_expect(strchr(msg, '\x1b') == NULL && strchr(msg, '\n') == NULL, "%s", msg);
    free(msg);
    vg_err_free(&err);
}

/* Reflexive and antisymmetric on a pool mixing valid, invalid and odd strings. */
Test(version_order, properties)
{
    static const char *pool[] = {
        "",
        "0",
        "1",
        "1.0",
        "1.0.0",
        "v1.0.0",
        "1.0-1",
        "1:1.0",
        "1.0~rc1",
        "1.0^x",
        "1.0a",
        "1.0_alpha",
        "1.0-r1",
        "1.0.0-alpha.1",
        "1!1.0",
        "1.0.post1",
        "1.0+abc",
        "1-SNAPSHOT",
        "dev-master",
        "1.x-dev",
        "go1.21rc1",
        "....",
        "----",
        "~~~~",
        "^^",
        "_",
        "+",
        ":",
        "!",
        "\xff\xfe",
        "a.b.c",
        "1.0.0+incompatible",
        "9999999999999999999999999999",
    };
    for (int s = 1; s <= (int)VG_VER_SCHEME_MAX; s++) {
        for (size_t i = 0; i < VG_ARRAY_LEN(pool); i++) {
            cr_expect_eq(vg_ver_cmp((enum vg_ver_scheme)s, pool[i], pool[i]), 0, "%d '%s'", s,
                         pool[i]);
            for (size_t j = 0; j < VG_ARRAY_LEN(pool); j++) {
                int x = vg_ver_cmp((enum vg_ver_scheme)s, pool[i], pool[j]);
                int y = vg_ver_cmp((enum vg_ver_scheme)s, pool[j], pool[i]);
                cr_expect_eq(x, -y, "scheme %d: '%s' vs '%s'", s, pool[i], pool[j]);
                cr_expect(x >= -1 && x <= 1);
            }
        }
    }
}

/* Hostile input: huge, deeply nested or over-long strings neither crash nor take long, and
 * nothing past VG_VER_MAX_BYTES is read. */
Test(version_hostile, long_inputs)
{
    size_t n = 64 * 1024;
    char *a = malloc(n + 1), *b = malloc(n + 1);
    cr_assert(a && b);
    const char fill[] = {'-', '.', '9', '~', 'a', '_', '^', '+', '0'};
    for (size_t f = 0; f < sizeof(fill); f++) {
        memset(a, fill[f], n);
        a[n] = '\0';
        memcpy(b, a, n + 1);
        b[n - 1] = 'z'; /* differs only past the bound */
        for (int s = 1; s <= (int)VG_VER_SCHEME_MAX; s++) {
            cr_expect_not(vg_ver_valid((enum vg_ver_scheme)s, a));
            cr_expect_eq(vg_ver_cmp((enum vg_ver_scheme)s, a, b), 0, "scheme %d fill %c", s,
                         fill[f]);
        }
    }
    /* exactly at the bound: alternating nesting for maven, digits everywhere */
    for (size_t i = 0; i < VG_VER_MAX_BYTES; i++) {
        a[i] = (i % 2) ? '-' : 'a';
        b[i] = (i % 2) ? '1' : 'x';
    }
    a[VG_VER_MAX_BYTES] = b[VG_VER_MAX_BYTES] = '\0';
    for (int s = 1; s <= (int)VG_VER_SCHEME_MAX; s++) {
        int x = vg_ver_cmp((enum vg_ver_scheme)s, a, b);
        cr_expect_eq(x, -vg_ver_cmp((enum vg_ver_scheme)s, b, a));
    }
    cr_expect(vg_ver_valid(VG_VER_MAVEN, a));
    cr_expect_eq(vg_ver_cmp(VG_VER_DEB, NULL, ""), 0);
    cr_expect_not(vg_ver_valid(VG_VER_DEB, NULL));
    free(a);
    free(b);
}
