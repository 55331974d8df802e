/* SPDX-License-Identifier: Apache-2.0
 *
 * Tests for the typed getters, the unknown-key check and the size / duration grammars.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

static struct vg_config_doc *g_doc;

static const struct vg_config_node *
root_of(const char *yaml)
{
    struct vg_err *err = NULL;
    vg_config_doc_free(g_doc);
    g_doc = NULL;
    cr_assert_eq(vg_config_load_buf(&g_doc, "c.yaml", yaml, strlen(yaml), NULL, &err), 0);
    return vg_config_doc_root(g_doc, 0);
}

static void
done(void)
{
    vg_config_doc_free(g_doc);
    g_doc = NULL;
}

static void
expect_err(struct vg_err **err, const char *want)
{
    cr_assert_not_null(*err);
    cr_expect(vg_err_is(*err, VG_E_PARSE));
    cr_expect_str_eq((*err)->msg, want);
    vg_err_free(err);
}

TestSuite(config_get, .fini = done);

Test(config_get, strings_and_defaults)
{
    const struct vg_config_node *m =
        root_of("name: web\nempty: ''\nnil:\nlist: [a]\nnul: \"a\\0b\"\n");
    struct vg_err *err = NULL;
    const char *s = NULL;
    cr_assert_eq(vg_config_get_str(m, "name", "d", &s, &err), 0);
    cr_expect_str_eq(s, "web");
    cr_assert_eq(vg_config_get_str(m, "empty", "d", &s, &err), 0);
    cr_expect_str_eq(s, "", "a quoted empty string is a value");
    cr_assert_eq(vg_config_get_str(m, "nil", "d", &s, &err), 0);
    cr_expect_str_eq(s, "d", "null means default");
    cr_assert_eq(vg_config_get_str(m, "absent", NULL, &s, &err), 0);
    cr_expect_null(s);
    cr_expect_lt(vg_config_get_str(m, "list", "d", &s, &err), 0);
    expect_err(&err, "c.yaml:4:7: 'list' must be a string, not a list");
    cr_expect_lt(vg_config_get_str(m, "nul", "d", &s, &err), 0);
    expect_err(&err, "c.yaml:5:6: 'nul' contains a NUL byte");
}

Test(config_get, bools_follow_the_core_schema)
{
    const struct vg_config_node *m = root_of("a: true\nb: False\nc: yes\nd: 'true'\n");
    struct vg_err *err = NULL;
    bool b = false;
    cr_assert_eq(vg_config_get_bool(m, "a", false, &b, &err), 0);
    cr_expect(b);
    cr_assert_eq(vg_config_get_bool(m, "b", true, &b, &err), 0);
    cr_expect_not(b);
    cr_assert_eq(vg_config_get_bool(m, "x", true, &b, &err), 0);
    cr_expect(b);
    cr_expect_lt(vg_config_get_bool(m, "c", true, &b, &err), 0);
    expect_err(&err, "c.yaml:3:4: 'c' must be true or false");
    cr_assert_eq(vg_config_get_bool(m, "d", false, &b, &err), 0);
    cr_expect(b);
}

Test(config_get, integers_sizes_and_durations_with_max)
{
    const struct vg_config_node *m = root_of("n: 42\nneg: -1\nbig: 99999999999999999999\n"
                                             "sz: 512MiB\nbadsz: 5 parsecs\n"
                                             "t: 1h30m\nbadt: 10\n");
    struct vg_err *err = NULL;
    uint64_t v = 0;
    cr_assert_eq(vg_config_get_u64(m, "n", 7, 42, &v, &err), 0);
    cr_expect_eq(v, 42, "at the maximum");
    cr_expect_lt(vg_config_get_u64(m, "n", 7, 41, &v, &err), 0);
    expect_err(&err, "c.yaml:1:4: 'n' is over the maximum 41");
    cr_assert_eq(vg_config_get_u64(m, "absent", 7, 41, &v, &err), 0);
    cr_expect_eq(v, 7);
    cr_expect_lt(vg_config_get_u64(m, "neg", 0, 100, &v, &err), 0);
    expect_err(&err, "c.yaml:2:6: 'neg' must be a non-negative integer");
    cr_expect_lt(vg_config_get_u64(m, "big", 0, UINT64_MAX, &v, &err), 0);
    vg_err_free(&err);

    cr_assert_eq(vg_config_get_size(m, "sz", 0, 512ull << 20, &v, &err), 0);
    cr_expect_eq(v, 512ull << 20);
    cr_expect_lt(vg_config_get_size(m, "sz", 0, (512ull << 20) - 1, &v, &err), 0);
    vg_err_free(&err);
    cr_expect_lt(vg_config_get_size(m, "badsz", 0, UINT64_MAX, &v, &err), 0);
    expect_err(&err, "c.yaml:5:8: 'badsz' must be a size like 1024, 10MB or 512MiB");

    cr_assert_eq(vg_config_get_duration_ms(m, "t", 0, UINT64_MAX, &v, &err), 0);
    cr_expect_eq(v, 5400000);
    cr_expect_lt(vg_config_get_duration_ms(m, "badt", 0, UINT64_MAX, &v, &err), 0);
    expect_err(&err, "c.yaml:7:7: 'badt' must be a duration like 500ms, 30s, 10m or 1h30m");
}

Test(config_get, nested_maps_and_sequences)
{
    const struct vg_config_node *m = root_of("storage: {path: /x}\nlist: [1]\nnone:\n");
    struct vg_err *err = NULL;
    const struct vg_config_node *n = NULL;
    cr_assert_eq(vg_config_get_map(m, "storage", &n, &err), 0);
    cr_expect_not_null(vg_config_map_get(n, "path"));
    cr_assert_eq(vg_config_get_seq(m, "list", &n, &err), 0);
    cr_expect_eq(vg_config_node_len(n), 1);
    cr_assert_eq(vg_config_get_map(m, "none", &n, &err), 0);
    cr_expect_null(n);
    cr_expect_lt(vg_config_get_map(m, "list", &n, &err), 0);
    expect_err(&err, "c.yaml:2:7: 'list' must be a mapping, not a list");
    cr_expect_lt(vg_config_get_seq(m, "storage", &n, &err), 0);
    expect_err(&err, "c.yaml:1:10: 'storage' must be a list, not a mapping");
}

Test(config_get, unknown_keys_name_their_path)
{
    const struct vg_config_node *m = root_of("http:\n  addr: ':5000'\n  tls: {}\n  adress: x\n");
    static const char *const top[] = {"http", "storage"};
    static const char *const http[] = {"addr", "tls"};
    struct vg_err *err = NULL;
    cr_expect_eq(vg_config_check_keys(m, "", top, VG_ARRAY_LEN(top), &err), 0);
    const struct vg_config_node *h = vg_config_map_get(m, "http");
    cr_expect_lt(vg_config_check_keys(h, "http", http, VG_ARRAY_LEN(http), &err), 0);
    expect_err(&err, "c.yaml:4:3: unknown key 'http.adress'");
    cr_expect_lt(vg_config_check_keys(m, NULL, http, VG_ARRAY_LEN(http), &err), 0);
    expect_err(&err, "c.yaml:1:1: unknown key 'http'");
    cr_expect_lt(vg_config_check_keys(vg_config_map_get(h, "addr"), "http.addr", http, 2, &err), 0);
    expect_err(&err, "c.yaml:2:9: http.addr must be a mapping, not a scalar");
}

Test(config_get, size_grammar)
{
    static const struct {
        const char *in;
        uint64_t want;
    } ok[] = {
        {"0", 0},
        {"1024", 1024},
        {"10B", 10},
        {"1k", 1000},
        {"1kB", 1000},
        {"1KB", 1000},
        {"10MB", 10000000},
        {"512MiB", 512ull << 20},
        {"512 MiB", 512ull << 20},
        {"2Gi", 2ull << 30},
        {"1TiB", 1ull << 40},
        {"3T", 3000000000000ull},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(ok); i++) {
        uint64_t v = 1;
        cr_expect_eq(vg_config_parse_size(vg_str_c(ok[i].in), UINT64_MAX, &v), 0, "%s", ok[i].in);
        cr_expect_eq(v, ok[i].want, "%s", ok[i].in);
    }
    static const char *const bad[] = {"",
                                      "MiB",
                                      "-1",
                                      "1.5GiB",
                                      "10mb",
                                      "10 M B",
                                      "1e3",
                                      "0x10",
                                      "18446744073709551616",
                                      "17179869184GiB"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        uint64_t v = 0;
        cr_expect_lt(vg_config_parse_size(vg_str_c(bad[i]), UINT64_MAX, &v), 0, "%s", bad[i]);
    }
    uint64_t v = 0;
    cr_expect_eq(vg_config_parse_size(vg_str_c("1KiB"), 1024, &v), 0, "at max");
    cr_expect_lt(vg_config_parse_size(vg_str_c("1025"), 1024, &v), 0, "max + 1");
}

Test(config_get, duration_grammar)
{
    static const struct {
        const char *in;
        uint64_t want;
    } ok[] = {
        {"0", 0},        {"500ms", 500},     {"30s", 30000},    {"10m", 600000},
        {"1h", 3600000}, {"1h30m", 5400000}, {"2m30s", 150000}, {"1h0m5s250ms", 3605250},
        {" 5s ", 5000},  {"0s", 0},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(ok); i++) {
        uint64_t v = 1;
        cr_expect_eq(vg_config_parse_duration_ms(vg_str_c(ok[i].in), UINT64_MAX, &v), 0, "%s",
                     ok[i].in);
        cr_expect_eq(v, ok[i].want, "%s", ok[i].in);
    }
    static const char *const bad[] = {"",    "10",  "s",  "1.5h", "10s5m", "1h1h",
                                      "5 s", "-1s", "1d", "1hm",  "5msx",  "99999999999999999999h"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        uint64_t v = 0;
        cr_expect_lt(vg_config_parse_duration_ms(vg_str_c(bad[i]), UINT64_MAX, &v), 0, "%s",
                     bad[i]);
    }
    uint64_t v = 0;
    cr_expect_eq(vg_config_parse_duration_ms(vg_str_c("1s"), 1000, &v), 0, "at max");
    cr_expect_lt(vg_config_parse_duration_ms(vg_str_c("1001ms"), 1000, &v), 0, "max + 1");
    cr_expect_lt(vg_config_parse_duration_ms(vg_str_c("5124095576030432h"), UINT64_MAX, &v), 0,
                 "overflow");
}
