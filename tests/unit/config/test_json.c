/* SPDX-License-Identifier: Apache-2.0
 *
 * vg_config_load_json against the loader it stands in for: every case must give the document
 * (types, styles, texts, positions) or the error vg_config_load_buf gives for the compact
 * JSON text, including strings YAML cannot carry raw (taken through the text), numbers in
 * jansson's spellings, multi-byte characters before a node (columns count characters), and
 * every limit at limit and limit + 1.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../fuzz/config_json_diff.h"
#include "config/config.h"

static void
same(const char *json, const struct vg_config_limits *lim)
{
    json_error_t je;
    json_t *j = json_loads(json, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    cr_assert_not_null(j, "%s: %s", json, je.text);
    const char *d = vg_config_json_diff(j, lim);
    cr_expect_null(d, "%s: %s", json, d ? d : "");
    json_decref(j);
}

Test(config_json, same_documents)
{
    static const char *const cases[] = {
        "{}",
        "[]",
        "\"\"",
        "null",
        ("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"labels\":{}},"
         "\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"nginx:1.25\"}]}}"),
        "{\"n\":[0,-1,9223372036854775807,-9223372036854775808,1.5,1e5,-2.5e-7,1e300,0.1]}",
        "{\"b\":[true,false,null,\"true\",\"null\",\"\"]}",
        "{\"esc\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\te\\u0001\\u001f\"}",
        "{\"\\u00e9t\\u00e9\":\"\\u4e2d\\u6587\",\"after\":[1,{\"x\":\"\\ud83d\\ude00\"}],\"z\":2}",
        "{\"ctl\":\"\\u007f\",\"n\":1}",
        "{\"c1\":\"\\u0080\\u0085\\u009f\",\"n\":1}",
        "{\"bom\":\"\\ufeff\",\"ls\":\"\\u2028\\u2029\",\"nc\":\"\\ufffe\\uffff\",\"n\":1}",
        "{\"sp\":\"  lead and trail  \",\"colon\":\"a: b, c\",\"hash\":\"# x\",\"dash\":\"- y\"}",
        "[[[[[[1]]]]],{\"a\":{\"b\":{\"c\":{}}}}]",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        same(cases[i], NULL);
    }
}

Test(config_json, limits_at_and_over)
{
    static const char *const cases[] = {
        "{\"a\":[1,2,3],\"b\":{\"c\":\"d\"}}",
        "[[[[1]]]]",
        "[\"x\",\"y\",\"zzzzzzzzzz\"]",
        "{\"k1\":1,\"k2\":\"v\",\"k3\":[]}",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        for (size_t n = 0; n < 12; n++) {
            struct vg_config_limits lim = VG_CONFIG_LIMITS_INIT;
            lim.max_nodes = n;
            same(cases[i], &lim);
            lim = VG_CONFIG_LIMITS_INIT;
            lim.max_depth = n;
            same(cases[i], &lim);
            lim = VG_CONFIG_LIMITS_INIT;
            lim.max_bytes = n * 3;
            same(cases[i], &lim);
        }
    }
}

Test(config_json, error_names_the_column)
{
    json_t *j = json_loads("{\"a\":[1,2],\"b\":\"x\"}", 0, NULL);
    struct vg_config_limits lim = VG_CONFIG_LIMITS_INIT;
    lim.max_nodes = 5;
    struct vg_config_doc *d = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_config_load_json(&d, "request.object", j, &lim, &err), 0);
    cr_assert_null(d);
    char *m = vg_err_format(err);
    /* nodes: {, "a", [, 1, 2, "b" (the sixth, its text at column 13, past the quote) */
    cr_expect(strstr(m, "request.object:1:13: more than 5 nodes") != NULL, "%s", m);
    free(m);
    vg_err_free(&err);
    json_decref(j);
}

Test(config_json, slab_document_reads_like_any)
{
    json_t *j =
        json_loads("{\"spec\":{\"containers\":[{\"image\":\"a\"},{\"image\":\"b\"}]}}", 0, NULL);
    struct vg_config_doc *d = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_config_load_json(&d, "o", j, NULL, &err), 0);
    const struct vg_config_node *root = vg_config_doc_root(d, 0);
    const struct vg_config_node *cs =
        vg_config_map_get(vg_config_map_get(root, "spec"), "containers");
    cr_assert_eq(vg_config_node_len(cs), 2);
    cr_expect_str_eq(
        vg_config_node_scalar(vg_config_map_get(vg_config_seq_at(cs, 1), "image"), NULL), "b");
    vg_config_doc_free(d);
    json_decref(j);
}

static void
same_text(const char *text, const struct vg_config_limits *lim)
{
    const char *d = vg_config_text_diff(text, strlen(text), lim);
    cr_expect_null(d, "%s: %s", text, d ? d : "");
}

static bool
taken(const char *text)
{
    struct vg_config_doc *d = NULL;
    int rc = vg_config_parse_json(&d, "t", text, strlen(text), NULL, NULL, NULL);
    vg_config_doc_free(d);
    return rc == 0;
}

Test(config_json, text_parser_same_documents)
{
    static const char *const cases[] = {
        "{}",
        " {\"a\" : [ 1 , -2 , 0 , 9223372036854775807 , -9223372036854775808 ] }\n",
        "{\n  \"x\": null,\n  \"a\": {\n    \"k\": \"v\",\t\"l\" :\r\n [ true , {} ]\n  }\n}\n",
        ("{\"x\":{\"y\":1},\"a\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"containers\":"
         "[{\"name\":\"c\",\"image\":\"nginx:1\"}]}},\"z\":[true,false,null]}"),
        "{\"a\":\"\\u00e9\\ud83d\\ude00\\/\\\"\\\\\\b\\f\\n\\r\\t\\u0001x\",\"b\":\"\xc3\xa9\"}",
        "{\"\\u00e9\":1,\"a\":[{},[],\"\",{\"\":\"\"}]}",
        "{\"q\":1,\"a\":{\"n\":\"\\u4e2d\",\"m\":[1,2,{\"k\":\"v\"}]},\"r\":2}",
        ("{\"a\":{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9}"
         "}"),
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cr_expect(taken(cases[i]), "%s must be taken", cases[i]);
        same_text(cases[i], NULL);
        for (size_t n = 0; n < 16; n++) {
            struct vg_config_limits lim = VG_CONFIG_LIMITS_INIT;
            lim.max_nodes = n;
            same_text(cases[i], &lim);
            lim = VG_CONFIG_LIMITS_INIT;
            lim.max_depth = n / 3;
            same_text(cases[i], &lim);
            lim = VG_CONFIG_LIMITS_INIT;
            lim.max_bytes = n * 4;
            same_text(cases[i], &lim);
        }
    }
}

Test(config_json, text_parser_leaves_to_jansson)
{
    static const char *const cases[] = {
        "",
        "[]",
        "\"s\"",
        "{\"a\":1,\"a\":2}",
        ("{\"b\":{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k1\":9}"
         "}"),
        "{\"a\":1.5}",
        "{\"a\":1e5}",
        "{\"a\":-0}",
        "{\"a\":01}",
        "{\"a\":9223372036854775808}",
        "{\"a\":-9223372036854775809}",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\\ud800\"}",
        "{\"a\":\"\x01\"}",
        "{\"a\":\"\xc0\xaf\"}",
        "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\\u007f\"}",
        "{\"a\":\"\\u0085\\u0086\"}",
        "{\"a\":\"\xef\xbb\xbf\"}",
        "{\"a\":tru}",
        "{\"a\":truex}",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{\"a\":[1 2]}",
        "{\"a\":1} x",
        "\xef\xbb\xbf{}",
        "{\"a\":\"x\\q\"}",
        "{\"a\":\"unterminated}",
        "{\"a\":[[[[",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cr_expect_not(taken(cases[i]), "%s must be left to jansson", cases[i]);
        same_text(cases[i], NULL);
    }
}
