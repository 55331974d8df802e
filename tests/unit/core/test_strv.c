#include <criterion/criterion.h>
#include <string.h>

#include "core/core.h"

Test(core_strv, push_copies_and_keeps_order)
{
    char **v = NULL;
    size_t n = 0;
    char tmp[] = "alpha";
    vg_strv_push(&v, &n, tmp);
    tmp[0] = 'X';
    vg_strv_push(&v, &n, "beta");
    vg_strv_push(&v, &n, "alpha");
    cr_assert_eq(n, 3);
    cr_assert_str_eq(v[0], "alpha");
    cr_assert_str_eq(v[1], "beta");
    cr_assert_str_eq(v[2], "alpha");
    vg_strv_free(v, n);
}

Test(core_strv, add_unique_skips_duplicates_and_null)
{
    char **v = NULL;
    size_t n = 0;
    cr_assert(vg_strv_add_unique(&v, &n, "CVE-1"));
    cr_assert_not(vg_strv_add_unique(&v, &n, "CVE-1"));
    cr_assert_not(vg_strv_add_unique(&v, &n, NULL));
    cr_assert(vg_strv_add_unique(&v, &n, "cve-1")); /* case-sensitive */
    cr_assert_eq(n, 2);
    cr_assert(vg_strv_has(v, n, "cve-1"));
    cr_assert_not(vg_strv_has(v, n, "CVE-2"));
    cr_assert_not(vg_strv_has(v, n, NULL));
    cr_assert_not(vg_strv_has(NULL, 0, "x"));
    vg_strv_free(v, n);
}

Test(core_strv, dup_is_deep_and_empty_is_null)
{
    cr_assert_null(vg_strv_dup(NULL, 0));
    char a[] = "a", bc[] = "bc";
    char *src[] = {a, bc};
    char **d = vg_strv_dup(src, 2);
    cr_assert_neq(d[0], src[0]);
    cr_assert_str_eq(d[0], "a");
    cr_assert_str_eq(d[1], "bc");
    vg_strv_free(d, 2);
    vg_strv_free(NULL, 0);
    vg_strv_free(NULL, 5);
}
