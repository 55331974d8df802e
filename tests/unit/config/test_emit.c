/* SPDX-License-Identifier: Apache-2.0
 *
 * Tests for the JSON to YAML writer: the quoting decisions (plain, literal block, double-quoted)
 * and a round trip of hostile strings through the project's own YAML loader (libfyaml), which
 * must read back the same text for every key and value.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

static char *
emit1(json_t *j)
{
    char *s = vg_config_yaml_emit(&j, 1);
    json_decref(j);
    return s;
}

Test(config_emit, quoting_decisions)
{
    char *s = emit1(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:n, s:[], s:{}}",
                              "plain", "admission.k8s.io/v1", "yes", "yes", "num", "1.5", "dash",
                              "--addr=:8443", "colon", "a: b", "empty", "", "lit", "a\nb\n", "int",
                              42, "bool", 1, "null", "seq", "map"));
    cr_assert_str_eq(s, "---\n"
                        "plain: admission.k8s.io/v1\n"
                        "\"yes\": \"yes\"\n"
                        "num: \"1.5\"\n"
                        "dash: \"--addr=:8443\"\n"
                        "colon: \"a: b\"\n"
                        "empty: \"\"\n"
                        "lit: |\n"
                        "  a\n"
                        "  b\n"
                        "int: 42\n"
                        "bool: true\n"
                        "\"null\": null\n"
                        "seq: []\n"
                        "map: {}\n");
    free(s);
}

Test(config_emit, nesting_layout)
{
    char *s = emit1(json_pack("{s:[{s:s, s:[s]}, [s], s]}", "a", "k", "v", "l", "x", "w", "z"));
    cr_assert_str_eq(s, "---\n"
                        "a:\n"
                        "  - k: v\n"
                        "    l:\n"
                        "      - x\n"
                        "  -\n"
                        "    - w\n"
                        "  - z\n");
    free(s);
}

static const char *const hostile[] = {"yes",
                                      "No",
                                      "ON",
                                      "off",
                                      "y",
                                      "N",
                                      "null",
                                      "Null",
                                      "~",
                                      "true",
                                      "False",
                                      "1",
                                      "012",
                                      "0x1f",
                                      "1e3",
                                      ".inf",
                                      ".NaN",
                                      "-",
                                      "-x",
                                      "- x",
                                      "? x",
                                      "a: b",
                                      "a:b",
                                      "#c",
                                      "a #c",
                                      "*a",
                                      "&a",
                                      "!t",
                                      "!!str",
                                      "|",
                                      ">",
                                      "\"q\"",
                                      "'s'",
                                      "%p",
                                      "@a",
                                      "`b",
                                      "{x}",
                                      "[y]",
                                      ",",
                                      "",
                                      " ",
                                      "  lead",
                                      "trail ",
                                      "tab\there",
                                      "\ttab",
                                      "nl\nin",
                                      "\nlead",
                                      "multi\nline\n",
                                      "multi\nline\n\n",
                                      "multi\nline",
                                      "sp \nline\n",
                                      "x\x7fy",
                                      "ctl\x01",
                                      "bell\a",
                                      "cr\r\n",
                                      "\xc3\xa9t\xc3\xa9",
                                      "ls\xe2\x80\xa8x",
                                      "ps\xe2\x80\xa9",
                                      "nel\xc2\x85",
                                      "c1\xc2\x90",
                                      "bom\xef\xbb\xbf",
                                      "ff\xef\xbf\xbf",
                                      "back\\slash",
                                      "---",
                                      "...",
                                      "--- x",
                                      "<<",
                                      "=",
                                      "0o17",
                                      "+1",
                                      "1_000",
                                      "12:30",
                                      "2001-12-14",
                                      "a\n  b\n",
                                      "|\n",
                                      "é\nline\n"};

Test(config_emit, hostile_strings_round_trip)
{
    size_t n = sizeof hostile / sizeof hostile[0];
    json_t *obj = json_object();
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%zu", i);
        json_object_set_new(obj, key, json_string(hostile[i]));
        json_object_set_new(obj, hostile[i], json_string("as-key"));
        json_array_append_new(arr, json_string(hostile[i]));
    }
    json_object_set_new(obj, "list", arr);
    json_t *docs[2] = {obj, json_pack("{s:s}", "second", "doc")};
    char *text = vg_config_yaml_emit(docs, 2);
    struct vg_config_doc *d = NULL;
    struct vg_err *err = NULL;
    int rc = vg_config_load_buf(&d, "emit.yaml", text, strlen(text), NULL, &err);
    char *m = err ? vg_err_format(err) : NULL;
    cr_assert_eq(rc, 0, "%s\n%s", m ? m : "", text);
    cr_assert_eq(vg_config_doc_count(d), 2);
    const struct vg_config_node *root = vg_config_doc_root(d, 0);
    const struct vg_config_node *list = vg_config_map_get(root, "list");
    cr_assert_eq(vg_config_node_len(list), n);
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%zu", i);
        size_t len = 0;
        const char *v = vg_config_node_scalar(vg_config_map_get(root, key), &len);
        cr_expect(v && len == strlen(hostile[i]) && memcmp(v, hostile[i], len) == 0,
                  "value %zu ('%s') read back as '%s'", i, hostile[i], v ? v : "(null)");
        v = vg_config_node_scalar(vg_config_seq_at(list, i), &len);
        cr_expect(v && len == strlen(hostile[i]) && memcmp(v, hostile[i], len) == 0,
                  "item %zu ('%s') read back as '%s'", i, hostile[i], v ? v : "(null)");
        const struct vg_config_node *k = vg_config_map_get(root, hostile[i]);
        cr_expect(k && strcmp(vg_config_node_scalar(k, NULL), "as-key") == 0, "key %zu ('%s')", i,
                  hostile[i]);
    }
    cr_expect_str_eq(
        vg_config_node_scalar(vg_config_map_get(vg_config_doc_root(d, 1), "second"), NULL), "doc");
    vg_config_doc_free(d);
    free(m);
    free(text);
    json_decref(docs[0]);
    json_decref(docs[1]);
}
