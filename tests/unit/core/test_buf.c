#include <criterion/criterion.h>
#include <string.h>

#include "core/core.h"

Test(core_buf, appends_and_terminates)
{
    struct vg_buf b = VG_BUF_INIT(64);
    cr_assert_eq(vg_buf_append_str(&b, "abc", NULL), 0);
    cr_assert_eq(vg_buf_appendf(&b, NULL, "-%d", 42), 0);
    cr_assert_str_eq((char *)b.data, "abc-42");
    cr_assert_eq(b.len, 6);
    vg_buf_dispose(&b);
}

Test(core_buf, limit_exact_ok_and_plus_one_fails)
{
    struct vg_buf b = VG_BUF_INIT(8);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_buf_append(&b, "12345678", 8, &err), 0);
    cr_assert_lt(vg_buf_append(&b, "9", 1, &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    cr_assert_eq(b.len, 8, "a failed append leaves the buffer unchanged");
    vg_err_free(&err);
    vg_buf_dispose(&b);
}

Test(core_buf, take_hands_out_memory)
{
    struct vg_buf b = VG_BUF_INIT(64);
    cr_assert_eq(vg_buf_append_str(&b, "xyz", NULL), 0);
    size_t n = 0;
    char *s = vg_buf_take(&b, &n);
    cr_assert_str_eq(s, "xyz");
    cr_assert_eq(n, 3);
    cr_assert_null(b.data);
    free(s);
}

Test(core_reader, big_endian_and_truncation)
{
    const uint8_t d[] = {0x01, 0x02, 0x03, 0x04, 0x05};
    struct vg_reader r;
    vg_reader_init(&r, d, sizeof(d));
    uint32_t v;
    cr_assert_eq(vg_reader_be32(&r, &v, NULL), 0);
    cr_assert_eq(v, 0x01020304u);
    uint16_t w;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_reader_le16(&r, &w, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
}

Test(core_reader, lines_and_long_line_limit)
{
    const char *text = "a\nbb\nccc";
    struct vg_reader r;
    vg_reader_init(&r, text, strlen(text));
    struct vg_str line;
    cr_assert_eq(vg_reader_line(&r, 10, &line, NULL), 1);
    cr_assert(vg_str_eq_c(line, "a"));
    cr_assert_eq(vg_reader_line(&r, 10, &line, NULL), 1);
    cr_assert(vg_str_eq_c(line, "bb"));
    struct vg_err *err = NULL;
    cr_assert_lt(vg_reader_line(&r, 2, &line, &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
}

Test(core_reader, text_line_drops_one_cr)
{
    const char *text = "a\r\n\r\nb\r\r\nc\nd\r";
    struct vg_reader r;
    vg_reader_init(&r, text, strlen(text));
    struct vg_str line;
    const char *want[] = {"a", "", "b\r", "c", "d"};
    for (size_t i = 0; i < VG_ARRAY_LEN(want); i++) {
        cr_assert_eq(vg_reader_text_line(&r, 10, &line, NULL), 1);
        cr_assert(vg_str_eq_c(line, want[i]), "line %zu: %.*s", i, (int)line.len, line.ptr);
    }
    cr_assert_eq(vg_reader_text_line(&r, 10, &line, NULL), 0);
}

Test(core_reader, text_line_limit_counts_the_cr)
{
    const char *text = "ab\r\nabc\r\n";
    struct vg_reader r;
    vg_reader_init(&r, text, strlen(text));
    struct vg_str line;
    cr_assert_eq(vg_reader_text_line(&r, 3, &line, NULL), 1);
    cr_assert(vg_str_eq_c(line, "ab"));
    struct vg_err *err = NULL;
    cr_assert_lt(vg_reader_text_line(&r, 3, &line, &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
}

Test(core_buf, a_max_of_size_max_means_no_limit)
{
    /* max + 1 used to wrap to 0 and shrink the buffer to nothing (heap corruption). */
    struct vg_buf b = VG_BUF_INIT(SIZE_MAX);
    struct vg_err *err = NULL;
    char chunk[1000];
    memset(chunk, 'x', sizeof(chunk));
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(vg_buf_append(&b, chunk, sizeof(chunk), &err), 0);
    }
    cr_assert_eq(b.len, 100000u);
    cr_assert_eq(b.data[99999], 'x');
    cr_assert_eq(b.data[b.len], '\0');
    cr_assert(b.cap > b.len);
    cr_assert(vg_buf_reserve(&b, SIZE_MAX - b.len, &err) < 0, "need + 1 must not wrap");
    vg_err_free(&err);
    vg_buf_dispose(&b);
}
