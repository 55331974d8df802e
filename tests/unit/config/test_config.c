/* SPDX-License-Identifier: Apache-2.0
 *
 * Tests for the YAML document loader: the tree and its positions, multi-document streams,
 * error format, and hostile input (billion laughs, deep nesting, cycles, duplicate keys, tags,
 * every limit at limit and limit + 1).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

static struct vg_config_doc *
load_ok(const char *yaml, const struct vg_config_limits *lim)
{
    struct vg_config_doc *d = NULL;
    struct vg_err *err = NULL;
    int rc = vg_config_load_buf(&d, "t.yaml", yaml, strlen(yaml), lim, &err);
    char *m = err ? vg_err_format(err) : NULL;
    cr_assert_eq(rc, 0, "%s: %s", yaml, m ? m : "");
    free(m);
    return d;
}

/* Loads yaml expecting failure with code; returns the formatted message (caller frees). */
static char *
load_fail(const char *yaml, size_t len, const struct vg_config_limits *lim, enum vg_errc code)
{
    struct vg_config_doc *d = NULL;
    struct vg_err *err = NULL;
    int rc = vg_config_load_buf(&d, "t.yaml", yaml, len, lim, &err);
    cr_assert_lt(rc, 0, "must fail: %s", yaml);
    cr_assert_null(d);
    cr_assert_not_null(err);
    char *m = vg_err_format(err);
    cr_expect(vg_err_is(err, code), "code %d for %s: %s", (int)err->code, yaml, m);
    cr_expect_null(strchr(m, '\n'), "one line: %s", m);
    vg_err_free(&err);
    return m;
}

static void
expect_fail_at(const char *yaml, enum vg_errc code, const char *where, const char *what)
{
    char *m = load_fail(yaml, strlen(yaml), NULL, code);
    cr_expect(strncmp(m, where, strlen(where)) == 0, "'%s' must start with '%s'", m, where);
    cr_expect_not_null(strstr(m, what), "'%s' must say '%s'", m, what);
    free(m);
}

static const char *
str_of(const struct vg_config_node *n)
{
    const char *s = vg_config_node_scalar(n, NULL);
    cr_assert_not_null(s);
    return s;
}

Test(config_config, tree_with_positions)
{
    const char *y = "name: web\n"
                    "ports:\n"
                    "  - 80\n"
                    "  - '443'\n"
                    "meta: {a: 1, b: [x, y]}\n"
                    "empty:\n";
    struct vg_config_doc *d = load_ok(y, NULL);
    cr_assert_eq(vg_config_doc_count(d), 1);
    const struct vg_config_node *root = vg_config_doc_root(d, 0);
    cr_assert_eq(vg_config_node_type(root), VG_CONFIG_MAP);
    cr_expect_eq(vg_config_node_len(root), 4);
    cr_expect_str_eq(str_of(vg_config_map_get(root, "name")), "web");
    const struct vg_config_node *ports = vg_config_map_get(root, "ports");
    cr_assert_eq(vg_config_node_type(ports), VG_CONFIG_SEQ);
    cr_expect_eq(vg_config_node_len(ports), 2);
    const struct vg_config_node *p1 = vg_config_seq_at(ports, 1);
    cr_expect_str_eq(str_of(p1), "443");
    cr_expect_eq(vg_config_node_line(p1), 4);
    cr_expect_eq(vg_config_node_col(p1), 5);
    cr_expect_str_eq(vg_config_node_file(p1), "t.yaml");
    cr_expect_null(vg_config_seq_at(ports, 2));
    const struct vg_config_node *meta = vg_config_map_get(root, "meta");
    cr_expect_str_eq(str_of(vg_config_map_key(meta, 1)), "b");
    const struct vg_config_node *b = vg_config_map_value(meta, 1);
    cr_expect_str_eq(str_of(vg_config_seq_at(b, 0)), "x");
    cr_expect_eq(vg_config_node_line(b), 5);
    cr_expect_eq(vg_config_node_col(b), 17);
    const struct vg_config_node *empty = vg_config_map_get(root, "empty");
    cr_assert_not_null(empty);
    cr_expect(vg_config_node_is_null(empty));
    cr_expect_not(vg_config_node_is_null(p1));
    cr_expect_null(vg_config_map_get(root, "missing"));
    cr_expect_null(vg_config_map_get(ports, "name"), "not a mapping");
    cr_expect_null(vg_config_node_scalar(ports, NULL));
    vg_config_doc_free(d);
}

Test(config_config, nulls_follow_the_core_schema)
{
    struct vg_config_doc *d = load_ok("[~, null, Null, NULL, '', 'null', nul, \"~\"]\n", NULL);
    const struct vg_config_node *s = vg_config_doc_root(d, 0);
    bool want[] = {true, true, true, true, false, false, false, false};
    cr_assert_eq(vg_config_node_len(s), VG_ARRAY_LEN(want));
    for (size_t i = 0; i < VG_ARRAY_LEN(want); i++) {
        cr_expect_eq(vg_config_node_is_null(vg_config_seq_at(s, i)), want[i], "item %zu", i);
    }
    vg_config_doc_free(d);
}

Test(config_config, multi_document_streams)
{
    struct vg_config_doc *d = load_ok("a: 1\n---\n- b\n---\n...\n", NULL);
    cr_assert_eq(vg_config_doc_count(d), 3);
    cr_expect_eq(vg_config_node_type(vg_config_doc_root(d, 0)), VG_CONFIG_MAP);
    cr_expect_eq(vg_config_node_type(vg_config_doc_root(d, 1)), VG_CONFIG_SEQ);
    cr_expect(vg_config_node_is_null(vg_config_doc_root(d, 2)), "empty document is null");
    cr_expect_eq(vg_config_node_line(vg_config_doc_root(d, 1)), 3);
    cr_expect_null(vg_config_doc_root(d, 3));
    vg_config_doc_free(d);

    d = load_ok("", NULL);
    cr_expect_eq(vg_config_doc_count(d), 0);
    vg_config_doc_free(d);
    d = load_ok("# only a comment\n", NULL);
    cr_expect_eq(vg_config_doc_count(d), 0);
    vg_config_doc_free(d);
}

Test(config_config, scalars_keep_nul_bytes_and_length)
{
    struct vg_config_doc *d = load_ok("a: \"x\\0y\"\nb: |\n  line1\n  line2\n", NULL);
    const struct vg_config_node *root = vg_config_doc_root(d, 0);
    size_t len = 0;
    const char *a = vg_config_node_scalar(vg_config_map_get(root, "a"), &len);
    cr_expect_eq(len, 3);
    cr_expect(memcmp(a, "x\0y", 4) == 0);
    cr_expect_str_eq(str_of(vg_config_map_get(root, "b")), "line1\nline2\n");
    vg_config_doc_free(d);
}

Test(config_config, aliases_share_the_anchored_node)
{
    struct vg_config_doc *d = load_ok("base: &b {x: 1}\nuse: *b\nlist: [*b, *b]\n", NULL);
    const struct vg_config_node *root = vg_config_doc_root(d, 0);
    const struct vg_config_node *base = vg_config_map_get(root, "base");
    cr_expect_eq(vg_config_map_get(root, "use"), base);
    cr_expect_eq(vg_config_seq_at(vg_config_map_get(root, "list"), 1), base);
    cr_expect_eq(vg_config_node_line(vg_config_map_get(root, "use")), 1, "anchor's position");
    vg_config_doc_free(d);
}

Test(config_config, errors_name_file_line_and_column)
{
    expect_fail_at("a: 1\nb: [1, 2\n", VG_E_PARSE, "t.yaml:", "flow sequence");
    expect_fail_at("a: 1\nb: 2\na: 3\n", VG_E_PARSE,
                   "t.yaml:3:1: ", "duplicate key 'a' (first at 1:1)");
    expect_fail_at("x:\n  k: 1\n  'k': 2\n", VG_E_PARSE, "t.yaml:3:3: ", "duplicate key 'k'");
    expect_fail_at("? [a, b]\n: c\n", VG_E_PARSE, "t.yaml:1:3: ", "key must be a scalar");
    expect_fail_at("a: !foo x\n", VG_E_PARSE, "t.yaml:1:", "unsupported tag '!foo'");
    expect_fail_at("a: !!binary aGk=\n", VG_E_PARSE, "t.yaml:1:", "unsupported tag");
    expect_fail_at("a: 1\nb: *nope\n", VG_E_PARSE, "t.yaml:2:4: ", "alias *nope names no");
    expect_fail_at("a: &x [1, *x]\n", VG_E_PARSE, "t.yaml:1:11: ", "contains it");
    expect_fail_at("a: &x {k: *x}\n", VG_E_PARSE, "t.yaml:1:11: ", "contains it");
    /* Anchors are per document. */
    expect_fail_at("a: &x 1\n---\nb: *x\n", VG_E_PARSE, "t.yaml:3:4: ", "names no earlier anchor");
    /* Standard tags are fine. */
    struct vg_config_doc *d = load_ok("a: !!str 1\nb: !!map {c: !!int 2}\n", NULL);
    vg_config_doc_free(d);
}

Test(config_config, syntax_error_position_is_one_based)
{
    const char *y = "a: 1\nb: 2\n- c\n";
    char *m = load_fail(y, strlen(y), NULL, VG_E_PARSE);
    cr_expect(strncmp(m, "t.yaml:3:", 9) == 0, "%s", m);
    free(m);
    y = "a: 1\nb: 'unterminated\n";
    m = load_fail(y, strlen(y), NULL, VG_E_PARSE);
    cr_expect(strncmp(m, "t.yaml:", 7) == 0, "%s", m);
    free(m);
}

Test(config_config, billion_laughs_stops_at_the_node_limit)
{
    const char *y = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                    "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                    "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    char *m = load_fail(y, strlen(y), NULL, VG_E_LIMIT);
    cr_expect_not_null(strstr(m, "more than 200000 nodes"), "%s", m);
    cr_expect(strncmp(m, "t.yaml:6:", 9) == 0, "stops in f (11111 x 10 > 200000): %s", m);
    free(m);
}

/* Every bound at its limit passes and one past it fails. */
Test(config_config, limits_at_and_past_the_bound)
{
    struct vg_config_limits lim = VG_CONFIG_LIMITS_INIT;
    /* nodes: a map of 2 pairs is 5 nodes */
    lim.max_nodes = 5;
    vg_config_doc_free(load_ok("{a: 1, b: 2}", &lim));
    free(load_fail("{a: 1, b: 2, c: 3}", 18, &lim, VG_E_LIMIT));
    /* an alias counts its whole subtree: map, a, [y] (2), b, *x (2) = 7 */
    lim.max_nodes = 7;
    vg_config_doc_free(load_ok("{a: &x [y], b: *x}", &lim));
    lim.max_nodes = 6;
    free(load_fail("{a: &x [y], b: *x}", 18, &lim, VG_E_LIMIT));
    lim = VG_CONFIG_LIMITS_INIT;

    lim.max_depth = 3;
    vg_config_doc_free(load_ok("[[[x]]]", &lim));
    free(load_fail("[[[[x]]]]", 9, &lim, VG_E_LIMIT));
    /* an alias nests its subtree where it stands */
    vg_config_doc_free(load_ok("[&a [x], [*a]]", &lim));
    char *m = load_fail("[&a [[x]], [*a]]", 16, &lim, VG_E_LIMIT);
    cr_expect_not_null(strstr(m, "alias *a nests deeper than 3"), "%s", m);
    free(m);
    lim = VG_CONFIG_LIMITS_INIT;

    lim.max_aliases = 2;
    vg_config_doc_free(load_ok("[&a x, *a, *a]", &lim));
    free(load_fail("[&a x, *a, *a, *a]", 18, &lim, VG_E_LIMIT));
    lim.max_anchors = 2;
    vg_config_doc_free(load_ok("[&a x, &b y]", &lim));
    free(load_fail("[&a x, &b y, &c z]", 18, &lim, VG_E_LIMIT));
    lim = VG_CONFIG_LIMITS_INIT;

    lim.max_documents = 2;
    vg_config_doc_free(load_ok("--- 1\n--- 2\n", &lim));
    free(load_fail("--- 1\n--- 2\n--- 3\n", 18, &lim, VG_E_LIMIT));
    lim = VG_CONFIG_LIMITS_INIT;

    lim.max_bytes = 4;
    vg_config_doc_free(load_ok("a: 1", &lim));
    m = load_fail("a: 12", 5, &lim, VG_E_LIMIT);
    cr_expect_str_eq(m, "t.yaml: larger than 4 bytes");
    free(m);
}

Test(config_config, default_depth_limit_refuses_deep_nesting)
{
    size_t depth = 10000;
    char *y = malloc(2 * depth + 1);
    cr_assert_not_null(y);
    memset(y, '[', depth);
    memset(y + depth, ']', depth);
    y[2 * depth] = '\0';
    free(load_fail(y, 2 * depth, NULL, VG_E_LIMIT));
    free(y);
}

Test(config_config, hostile_bytes_are_refused_not_crashed)
{
    static const struct {
        const char *data;
        size_t len;
    } cases[] = {
        {"\xff\xfe\x00\x00", 4},
        {"a: \x01\x02", 5},
        {"[", 1},
        {"{a: 1, a: 2}", 12},
        {"*a", 2},
        {"&a", 2},
        {"\0\0\0", 3},
        {"- &a\n- *a\n- &a [*a]", 19},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        struct vg_config_doc *d = NULL;
        struct vg_err *err = NULL;
        int rc = vg_config_load_buf(&d, "h", cases[i].data, cases[i].len, NULL, &err);
        if (rc < 0) {
            cr_expect_null(d);
            char *m = vg_err_format(err);
            cr_expect(strncmp(m, "h:", 2) == 0, "case %zu: %s", i, m);
            cr_expect_null(strchr(m, '\n'), "case %zu: %s", i, m);
            free(m);
        } else {
            cr_expect_null(err, "case %zu", i);
        }
        vg_err_free(&err);
        vg_config_doc_free(d);
    }
}

/* libfyaml 0.7.12 loops forever on an invalid UTF-8 sequence inside a directive (upstream
 * pantoniou/libfyaml#101, found by the config_yaml fuzzer): refused before it is parsed. */
Test(config_config, invalid_utf8_is_refused_before_parsing, .timeout = 30)
{
    static const char *const hang[] = {"%\"\xa6", "%x\xa6", "%%%\xff\xff%%A:"};
    for (size_t i = 0; i < VG_ARRAY_LEN(hang); i++) {
        free(load_fail(hang[i], strlen(hang[i]), NULL, VG_E_PARSE));
    }
    const char *y = "a: caf\xc3\xa9\nb: \xc0\xaf\n";
    char *m = load_fail(y, strlen(y), NULL, VG_E_PARSE);
    cr_expect_str_eq(m, "t.yaml:2:4: invalid UTF-8 (byte 0xc0)");
    free(m);
    static const char *const bad[] = {"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\xaf",
                                      "\xe2\x82", "\x80"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        free(load_fail(bad[i], strlen(bad[i]), NULL, VG_E_PARSE));
    }
    vg_config_doc_free(load_ok("k: \"\xf0\x9f\x94\x92 \xe2\x82\xac\"\n", NULL));
}

Test(config_config, name_with_control_characters_is_escaped)
{
    struct vg_config_doc *d = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_config_load_buf(&d, "a\nb.yaml", "[", 1, NULL, &err), 0);
    char *m = vg_err_format(err);
    cr_expect(strncmp(m, "a\\x0ab.yaml:", 12) == 0, "%s", m);
    free(m);
    vg_err_free(&err);
}

Test(config_config, load_file_reads_and_names_the_path)
{
    char dir[] = "/tmp/vg_config_test.XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *path = vg_fmt("%s/c.yaml", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("a: 1\na: 2\n", f);
    fclose(f);
    struct vg_config_doc *d = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_config_load_file(&d, path, NULL, &err), 0);
    char *m = vg_err_format(err);
    char *want = vg_fmt("%s:2:1: duplicate key 'a'", path);
    cr_expect(strncmp(m, want, strlen(want)) == 0, "%s", m);
    free(want);
    free(m);
    vg_err_free(&err);

    char *missing = vg_fmt("%s/none.yaml", dir);
    cr_assert_lt(vg_config_load_file(&d, missing, NULL, &err), 0);
    cr_expect(vg_err_is(err, VG_E_NOTFOUND));
    vg_err_free(&err);
    unlink(path);
    rmdir(dir);
    free(missing);
    free(path);
}

Test(config_config, err_helper_prefixes_the_node_position)
{
    struct vg_config_doc *d = load_ok("a:\n  b: [1, 2]\n", NULL);
    const struct vg_config_node *b =
        vg_config_map_get(vg_config_map_get(vg_config_doc_root(d, 0), "a"), "b");
    struct vg_err *err = NULL;
    cr_expect_eq(vg_config_err(&err, b, VG_E_PARSE, "'%s' must be a string", "b"),
                 -(int)VG_E_PARSE);
    cr_expect_str_eq(err->msg, "t.yaml:2:6: 'b' must be a string");
    vg_err_free(&err);
    vg_config_doc_free(d);
}
