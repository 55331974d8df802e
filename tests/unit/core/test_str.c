#include <criterion/criterion.h>
#include <string.h>

#include "core/core.h"

Test(core_str, parse_u64_strict)
{
    uint64_t v;
    cr_assert_eq(vg_parse_u64(VG_STR("12345"), UINT64_MAX, &v), 0);
    cr_assert_eq(v, 12345);
    cr_assert_lt(vg_parse_u64(VG_STR(""), UINT64_MAX, &v), 0);
    cr_assert_lt(vg_parse_u64(VG_STR("-1"), UINT64_MAX, &v), 0);
    cr_assert_lt(vg_parse_u64(VG_STR("1 "), UINT64_MAX, &v), 0);
    cr_assert_lt(vg_parse_u64(VG_STR("18446744073709551616"), UINT64_MAX, &v), 0);
    cr_assert_eq(vg_parse_u64(VG_STR("18446744073709551615"), UINT64_MAX, &v), 0);
    cr_assert_lt(vg_parse_u64(VG_STR("11"), 10, &v), 0);
}

Test(core_str, cut_and_trim)
{
    struct vg_str h, t;
    cr_assert(vg_str_cut(VG_STR("key=value=x"), '=', &h, &t));
    cr_assert(vg_str_eq_c(h, "key"));
    cr_assert(vg_str_eq_c(t, "value=x"));
    cr_assert_not(vg_str_cut(VG_STR("novalue"), '=', &h, &t));
    cr_assert(vg_str_eq_c(h, "novalue"));
    cr_assert(vg_str_eq_c(vg_str_trim(VG_STR("  a b \t\n")), "a b"));
}

Test(core_str, escape_control_chars)
{
    char *e = vg_escape("a\nb\x1b", 4, 100);
    cr_assert_str_eq(e, "a\\x0ab\\x1b");
    free(e);
}
