/* SPDX-License-Identifier: Apache-2.0
 *
 * Shared by the config_json fuzz target and tests/unit/config/test_json.c:
 * vg_config_json_diff compares vg_config_load_json(j) with vg_config_load_buf(compact text of
 * j); vg_config_text_diff compares vg_config_parse_json(text) with jansson then
 * vg_config_load_json, for the whole text and for the member "a" as the limited target. Both
 * return NULL when they agree, else a static description of the first difference.
 */
#ifndef VG_TEST_CONFIG_JSON_DIFF_H
#define VG_TEST_CONFIG_JSON_DIFF_H

#include <stdio.h>
#include <string.h>

#include "config/config.h"

static char vg_config_json_diff_msg[512];

static inline const char *
vg_config_json_node_diff(const struct vg_config_node *a, const struct vg_config_node *b)
{
    size_t la = 0, lb = 0;
    const char *ta =
        vg_config_node_type(a) == VG_CONFIG_SCALAR ? vg_config_node_scalar(a, &la) : NULL;
    const char *tb =
        vg_config_node_type(b) == VG_CONFIG_SCALAR ? vg_config_node_scalar(b, &lb) : NULL;
    if (vg_config_node_type(a) != vg_config_node_type(b) ||
        vg_config_node_line(a) != vg_config_node_line(b) ||
        vg_config_node_col(a) != vg_config_node_col(b) ||
        vg_config_node_len(a) != vg_config_node_len(b) ||
        vg_config_node_is_null(a) != vg_config_node_is_null(b) ||
        vg_config_node_plain(a) != vg_config_node_plain(b) || la != lb ||
        (ta && memcmp(ta, tb, la) != 0) ||
        strcmp(vg_config_node_file(a), vg_config_node_file(b)) != 0) {
        snprintf(vg_config_json_diff_msg, sizeof(vg_config_json_diff_msg),
                 "node %u:%u (%s, %zu) vs %u:%u (%s, %zu)", vg_config_node_line(a),
                 vg_config_node_col(a), ta ? ta : "-", la, vg_config_node_line(b),
                 vg_config_node_col(b), tb ? tb : "-", lb);
        return vg_config_json_diff_msg;
    }
    for (size_t i = 0; i < vg_config_node_len(a); i++) {
        const char *d = NULL;
        if (vg_config_node_type(a) == VG_CONFIG_MAP) {
            d = vg_config_json_node_diff(vg_config_map_key(a, i), vg_config_map_key(b, i));
            d = d ? d
                  : vg_config_json_node_diff(vg_config_map_value(a, i), vg_config_map_value(b, i));
        } else {
            d = vg_config_json_node_diff(vg_config_seq_at(a, i), vg_config_seq_at(b, i));
        }
        if (d) {
            return d;
        }
    }
    return NULL;
}

static inline const char *
vg_config_json_diff(const json_t *j, const struct vg_config_limits *lim)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        return NULL;
    }
    struct vg_config_doc *da = NULL, *db = NULL;
    struct vg_err *ea = NULL, *eb = NULL;
    int ra = vg_config_load_json(&da, "obj", j, lim, &ea);
    int rb = vg_config_load_buf(&db, "obj", text, strlen(text), lim, &eb);
    const char *diff = NULL;
    char *ma = ea ? vg_err_format(ea) : NULL;
    char *mb = eb ? vg_err_format(eb) : NULL;
    if ((ra < 0) != (rb < 0) || (ra < 0 && strcmp(ma, mb) != 0)) {
        snprintf(vg_config_json_diff_msg, sizeof(vg_config_json_diff_msg),
                 "result %d '%s' vs %d '%s' for %.200s", ra, ma ? ma : "", rb, mb ? mb : "", text);
        diff = vg_config_json_diff_msg;
    } else if (ra == 0 && vg_config_doc_count(da) != vg_config_doc_count(db)) {
        diff = "document count";
    } else if (ra == 0) {
        diff = vg_config_json_node_diff(vg_config_doc_root(da, 0), vg_config_doc_root(db, 0));
    }
    free(ma);
    free(mb);
    vg_err_free(&ea);
    vg_err_free(&eb);
    vg_config_doc_free(da);
    vg_config_doc_free(db);
    free(text);
    return diff;
}

static inline const char *
vg_config_text_diff2(const char *text, size_t len, json_t *j, const struct vg_config_limits *lim)
{
    static const char *const at[] = {"a", NULL};
    struct vg_config_limits big = {SIZE_MAX / 4, 100000, SIZE_MAX / 4, 1024, 1024, 1024, 0};
    struct vg_config_doc *d = NULL, *e = NULL;
    const char *diff = NULL;
    int rc = vg_config_parse_json(&d, "obj", text, len, NULL, NULL, NULL);
    if (rc == 0 && !j) {
        return "vg_config_parse_json took what jansson refuses";
    }
    if (rc == 0) {
        if (vg_config_load_json(&e, "obj", j, &big, NULL) < 0) {
            diff = "vg_config_load_json refused what vg_config_parse_json took";
        } else {
            diff = vg_config_json_node_diff(vg_config_doc_root(d, 0), vg_config_doc_root(e, 0));
        }
        vg_config_doc_free(d);
        vg_config_doc_free(e);
        d = e = NULL;
    }
    json_t *jv = j ? json_object_get(j, "a") : NULL;
    int rc2 = vg_config_parse_json(&d, "obj", text, len, at, lim, NULL);
    if (!diff && rc2 == 0 && !j) {
        diff = "vg_config_parse_json took what jansson refuses";
    } else if (!diff && jv && rc2 == 0) {
        if (vg_config_load_json(&e, "obj", jv, lim, NULL) < 0) {
            diff = "target: vg_config_load_json refused what vg_config_parse_json took";
        } else {
            diff = vg_config_json_node_diff(vg_config_map_get(vg_config_doc_root(d, 0), "a"),
                                            vg_config_doc_root(e, 0));
        }
    } else if (!diff && jv && rc == 0 && rc2 < 0) {
        if (vg_config_load_json(&e, "obj", jv, lim, NULL) == 0) {
            diff = "target: vg_config_parse_json refused what vg_config_load_json takes";
        }
    }
    vg_config_doc_free(d);
    vg_config_doc_free(e);
    return diff;
}

static inline const char *
vg_config_text_diff(const char *text, size_t len, const struct vg_config_limits *lim)
{
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    const char *diff = vg_config_text_diff2(text, len, j, lim);
    json_decref(j);
    return diff;
}

#endif
