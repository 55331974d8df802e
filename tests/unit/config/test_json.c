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

/* The one-pass text parser reads strings eight bytes at a time and copies each chunk whole
 * (bytes past the string land where later values write their own text): every kind of byte
 * that ends a plain run, at every offset of a chunk, in strings followed by numbers, literals
 * and more strings, must give jansson's document, or be left to jansson. */
Test(config_json, text_parser_chunk_boundaries)
{
    static const char *const stops[] = {
        "\\\"",
        "\\\\",
        "\\n",
        "\\u00e9",
        "\\ud83d\\ude00",
        "\xc3\xa9",
        "\xe4\xb8\xad",
        "\xf0\x9f\x98\x80",
        /* refused (left to jansson): */
        "\x01",
        "\x7f",
        "\xc3",
        "\xff",
        "\\u0000",
        "\\x",
    };
    char text[256], str[64];
    for (size_t s = 0; s < sizeof(stops) / sizeof(*stops); s++) {
        for (size_t off = 0; off < 20; off++) {
            for (size_t tail = 0; tail < 10; tail += 3) {
                memset(str, 'a', off);
                str[off] = '\0';
                int n = snprintf(text, sizeof(text),
                                 "{\"k%.*s\":[\"%s%s%.*s\",%zu,\"%.*s\",true,\"\",null,\"z\"],"
                                 "\"a\":{\"x\":\"%s%s\"}}",
                                 (int)tail, "bbbbbbbbbb", str, stops[s], (int)tail, "cccccccccc",
                                 off, (int)off, "dddddddddddddddddddd", stops[s], str);
                cr_assert(n > 0 && (size_t)n < sizeof(text));
                same_text(text, NULL);
                if (s < 8) {
                    cr_expect(taken(text), "%s must be taken", text);
                }
            }
        }
    }
}

static void
putn(struct vg_buf *b, const char *s, size_t n)
{
    cr_assert_eq(vg_buf_append(b, s, n, NULL), 0);
}

static void
put(struct vg_buf *b, const char *s)
{
    putn(b, s, strlen(s));
}

/* Sizes past the parser's fixed parts: a kid stack past its 256 slots on the C stack (inside
 * collections still open), nodes past the first arena block, a 1 MiB string, the duplicate
 * key check past 24 keys (a sort), nesting at and over the 512 levels it takes. */
Test(config_json, text_parser_big_inputs)
{
    struct vg_buf b = VG_BUF_INIT(64u << 20);
    /* 3000 items in a list inside two open ones, then 20000 small nodes */
    put(&b, "{\"a\":[[[");
    for (size_t i = 0; i < 3000; i++) {
        put(&b, i ? ",\"s\"" : "\"s\"");
    }
    put(&b, "],1],{\"k\":[");
    for (size_t i = 0; i < 20000; i++) {
        put(&b, i ? ",[0]" : "[0]");
    }
    put(&b, "]}]}");
    const char *d = vg_config_text_diff((const char *)b.data, b.len, NULL);
    cr_expect_null(d, "many nodes: %s", d ? d : "");
    b.len = 0;
    put(&b, "{\"a\":\"");
    for (size_t i = 0; i < (1u << 20); i++) {
        putn(&b, i % 1000 == 999 ? "\\n" : "x", i % 1000 == 999 ? 2 : 1);
    }
    put(&b, "\",\"b\":0}");
    d = vg_config_text_diff((const char *)b.data, b.len, NULL);
    cr_expect_null(d, "1 MiB string: %s", d ? d : "");
    for (int dup = 0; dup < 2; dup++) {
        b.len = 0;
        put(&b, "{\"a\":{");
        for (size_t i = 0; i < 40; i++) {
            char k[32];
            int n =
                snprintf(k, sizeof(k), "%s\"k%zu\":%zu", i ? "," : "", dup && i == 39 ? 3 : i, i);
            putn(&b, k, (size_t)n);
        }
        put(&b, "}}");
        putn(&b, "", 1);
        cr_expect(taken((const char *)b.data) == !dup, "40 keys, duplicate %d", dup);
        same_text((const char *)b.data, NULL);
    }
    for (size_t depth = 510; depth <= 514; depth++) {
        b.len = 0;
        put(&b, "{\"a\":");
        for (size_t i = 1; i < depth; i++) {
            put(&b, "[");
        }
        for (size_t i = 1; i < depth; i++) {
            put(&b, "]");
        }
        putn(&b, "}", 2);
        cr_expect(taken((const char *)b.data) == (depth <= 512), "depth %zu", depth);
        same_text((const char *)b.data, NULL);
    }
    vg_buf_dispose(&b);
}
