/* SPDX-License-Identifier: Apache-2.0
 *
 * The checked growable array: growth, typed pushes, and the abort on size overflow.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>

#include "core/core.h"

struct pair {
    int a;
    char *b;
};

Test(core_vec, push_grows_and_keeps_elements)
{
    VG_VEC(int) v = VG_VEC_INIT;
    for (int i = 0; i < 1000; i++) {
        vg_vec_push(&v, i * 3);
    }
    cr_assert_eq(v.n, 1000);
    cr_assert_geq(v.cap, 1000);
    cr_assert_lt(v.cap, 2048, "capacity %zu: doubling, not per-push growth", v.cap);
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(v.v[i], i * 3);
    }
    vg_vec_dispose(&v);
    cr_assert_null(v.v);
    cr_assert_eq(v.n, 0);
    cr_assert_eq(v.cap, 0);
}

Test(core_vec, push_zero_returns_a_cleared_element)
{
    VG_VEC(struct pair) v = VG_VEC_INIT;
    struct pair *p = vg_vec_push_zero(&v);
    cr_assert_eq(p->a, 0);
    cr_assert_null(p->b);
    p->a = 7;
    for (int i = 0; i < 20; i++) {
        vg_vec_push_zero(&v)->a = i;
    }
    cr_assert_eq(v.n, 21);
    cr_assert_eq(v.v[0].a, 7);
    cr_assert_eq(v.v[20].a, 19);
    vg_vec_dispose(&v);
}

Test(core_vec, reserve_makes_room_without_changing_count)
{
    VG_VEC(uint64_t) v = VG_VEC_INIT;
    vg_vec_reserve(&v, 100);
    cr_assert_eq(v.n, 0);
    cr_assert_geq(v.cap, 100);
    size_t cap = v.cap;
    vg_vec_reserve(&v, cap);
    cr_assert_eq(v.cap, cap, "no growth when the room is there");
    vg_vec_dispose(&v);
}

Test(core_vec, grow_is_exact_at_the_capacity)
{
    size_t cap = 0;
    int *p = vg_vec_grow(NULL, &cap, 0, 4, sizeof(int));
    cr_assert_eq(cap, 4);
    cr_assert_eq(vg_vec_grow(p, &cap, 3, 1, sizeof(int)), p, "room for one more at n=3");
    cr_assert_eq(cap, 4);
    p = vg_vec_grow(p, &cap, 4, 1, sizeof(int));
    cr_assert_eq(cap, 8);
    free(p);
}

Test(core_vec, array_push_on_a_bare_pair)
{
    char **names = NULL;
    size_t n = 0;
    VG_ARRAY_PUSH(names, n, vg_strdup("a"));
    VG_ARRAY_PUSH(names, n, vg_strdup("b"));
    VG_ARRAY_GROW(names, n, 2);
    names[n++] = vg_strdup("c");
    cr_assert_eq(n, 3);
    cr_assert_str_eq(names[0], "a");
    cr_assert_str_eq(names[2], "c");
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
}

Test(core_vec, element_count_overflow_aborts, .signal = SIGABRT)
{
    size_t cap = 0;
    void *p = vg_vec_grow(NULL, &cap, SIZE_MAX, 1, 1);
    free(p);
}

Test(core_vec, byte_size_overflow_aborts, .signal = SIGABRT)
{
    size_t cap = 0;
    void *p = vg_vec_grow(NULL, &cap, 0, SIZE_MAX / 8 + 1, 8);
    free(p);
}

Test(core_vec, reallocarray_overflow_aborts, .signal = SIGABRT)
{
    void *p = vg_reallocarray(NULL, SIZE_MAX / 2 + 1, 2);
    free(p);
}

Test(core_vec, array_grow_count_overflow_aborts, .signal = SIGABRT)
{
    int *p = NULL;
    size_t n = SIZE_MAX;
    VG_ARRAY_GROW(p, n, 1);
    free(p);
}
