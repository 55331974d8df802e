/* SPDX-License-Identifier: Apache-2.0
 *
 * Percent-decoding (core/pct.c): escapes in both cases, where it stops, each flag, and the two
 * callers' rules (httpd's query values refuse only NUL; the Distribution routes refuse every
 * control byte and read '+' as a space in queries; purl keeps stray '%' signs).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/core.h"

#define HTTPD_RULE VG_PCT_REFUSE_NUL
#define DIST_RULE  (VG_PCT_REFUSE_CTL | VG_PCT_PLUS_SPACE)
#define PURL_RULE  (VG_PCT_KEEP_INVALID | VG_PCT_REFUSE_NUL)

/* Decodes s under flags; NULL when refused (the message is then stored in msg). */
static char *
dec(const char *s, unsigned flags, char *msg, size_t msgcap)
{
    struct vg_err *err = NULL;
    size_t n = strlen(s);
    char *out = vg_malloc(n + 1);
    memset(out, 'Z', n + 1);
    size_t len = 12345;
    if (vg_pct_decode(out, &len, s, n, flags, &err) < 0) {
        cr_assert_not_null(err);
        cr_assert_eq(vg_err_code(err), VG_E_PARSE);
        cr_assert_null(strchr(err->msg, '\n'));
        snprintf(msg, msgcap, "%s", err->msg);
        vg_err_free(&err);
        free(out);
        return NULL;
    }
    cr_assert_null(err);
    cr_assert_leq(len, n);
    cr_assert_eq(out[len], '\0');
    return out;
}

static void
expect(const char *in, unsigned flags, const char *want)
{
    char msg[128] = "";
    char *got = dec(in, flags, msg, sizeof(msg));
    cr_assert_not_null(got, "%s refused: %s", in, msg);
    cr_assert_str_eq(got, want, "%s", in);
    free(got);
}

static void
refuse(const char *in, unsigned flags, const char *want_msg)
{
    char msg[128] = "";
    char *got = dec(in, flags, msg, sizeof(msg));
    cr_assert_null(got, "%s accepted as %s", in, got);
    cr_assert_str_eq(msg, want_msg, "%s", in);
}

Test(core_pct, decodes_escapes_in_either_case)
{
    expect("", 0, "");
    expect("plain", 0, "plain");
    expect("a%2Fb%2fc", 0, "a/b/c");
    expect("%41%62%7E", 0, "Ab~");
    expect("%25%32%30", 0, "%20"); /* decoded once, never twice */
    expect("%e2%82%ac", 0, "\xe2\x82\xac");
}

Test(core_pct, bad_escapes_are_refused_at_their_offset)
{
    refuse("%", 0, "bad percent-escape at offset 0");
    refuse("ab%4", 0, "bad percent-escape at offset 2");
    refuse("ab%4g", 0, "bad percent-escape at offset 2");
    refuse("x%%41", 0, "bad percent-escape at offset 1");
    refuse("%-1", 0, "bad percent-escape at offset 0");
}

Test(core_pct, keep_invalid_leaves_stray_percent_signs)
{
    expect("100%", VG_PCT_KEEP_INVALID, "100%");
    expect("a%4g%41", VG_PCT_KEEP_INVALID, "a%4gA");
    expect("%%41", VG_PCT_KEEP_INVALID, "%A");
}

Test(core_pct, plus_is_a_space_only_when_asked)
{
    expect("a+b%2B", 0, "a+b+");
    expect("a+b%2B", VG_PCT_PLUS_SPACE, "a b+");
}

Test(core_pct, length_counts_decoded_nul_when_allowed)
{
    struct vg_err *err = NULL;
    char out[8];
    size_t len = 0;
    cr_assert_eq(vg_pct_decode(out, &len, "a%00b", 5, 0, &err), 0);
    cr_assert_eq(len, 3);
    cr_assert_eq(memcmp(out, "a\0b", 4), 0);
}

Test(core_pct, httpd_rule_refuses_only_nul)
{
    expect("a%09b%1f%7F+", HTTPD_RULE, "a\tb\x1f\x7f+");
    expect("\x01raw", HTTPD_RULE, "\x01raw");
    refuse("a%00", HTTPD_RULE, "NUL byte at offset 1");
    refuse("%4", HTTPD_RULE, "bad percent-escape at offset 0");
}

Test(core_pct, dist_rule_refuses_every_control_byte)
{
    expect("x%20y+z", DIST_RULE, "x y z");
    expect("%7e%80", DIST_RULE, "~\x80");
    refuse("a%09b", DIST_RULE, "control character at offset 1");
    refuse("ok%1F", DIST_RULE, "control character at offset 2");
    refuse("ok%7f", DIST_RULE, "control character at offset 2");
    refuse("a\nb", DIST_RULE, "control character at offset 1");
    refuse("%00", DIST_RULE, "control character at offset 0");
}

Test(core_pct, purl_rule_is_lenient_but_refuses_nul)
{
    expect("pkg%40name%", PURL_RULE, "pkg@name%");
    refuse("a%00b", PURL_RULE, "NUL byte at offset 1");
}

Test(core_pct, dup_allocates_and_reports)
{
    struct vg_err *err = NULL;
    char *s = vg_pct_decode_dup("a%20b", 5, 0, &err);
    cr_assert_str_eq(s, "a b");
    free(s);
    cr_assert_null(vg_pct_decode_dup("a%0", 3, 0, &err));
    cr_assert_eq(vg_err_code(err), VG_E_PARSE);
    vg_err_free(&err);
    cr_assert_null(vg_pct_decode_dup("a%0", 3, 0, NULL));
}
