#include <criterion/criterion.h>
#include <string.h>

#include "core/core.h"

Test(core_json, rejects_duplicate_keys)
{
    const char *doc = "{\"a\":1,\"a\":2}";
    json_t *j = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_json_parse(&j, doc, strlen(doc), 1024, "doc", &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
}

Test(core_json, limit_is_enforced)
{
    const char *doc = "{\"a\":\"0123456789\"}";
    json_t *j = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_json_parse(&j, doc, strlen(doc), 5, "doc", &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
    cr_assert_eq(vg_json_parse(&j, doc, strlen(doc), strlen(doc), "doc", NULL), 0);
    cr_assert_str_eq(vg_json_str(j, "a"), "0123456789");
    cr_assert_null(vg_json_str(j, "b"));
    json_decref(j);
}

Test(core_json, error_names_line_and_column)
{
    const char *doc = "{\n  \"a\": tru }";
    json_t *j = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_json_parse(&j, doc, strlen(doc), 1024, "config", &err), 0);
    char *s = vg_err_format(err);
    cr_assert(strstr(s, "config: invalid JSON at line 2") != NULL, "%s", s);
    free(s);
    vg_err_free(&err);
}

/* jansson allocations counted through json_set_alloc_funcs: every buffer jansson hands out
 * must come back through jansson's free function, not libc's. */
static size_t g_jallocs, g_jfrees;

static void *
counting_malloc(size_t n)
{
    g_jallocs++;
    return malloc(n);
}

static void
counting_free(void *p)
{
    if (p) {
        g_jfrees++;
    }
    free(p);
}

Test(core_json, dumps_returns_jansson_memory_through_jansson_free)
{
    json_set_alloc_funcs(counting_malloc, counting_free);
    json_t *j = json_pack("{s:s,s:[i,i]}", "a", "b", "c", 1, 2);
    char *s = vg_json_dump(j, false);
    cr_assert_str_eq(s, "{\"a\":\"b\",\"c\":[1,2]}");
    free(s);
    char *c = vg_json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_str_eq(c, "{\"a\":\"b\",\"c\":[1,2]}");
    free(c);
    json_decref(j);
    json_set_alloc_funcs(malloc, free);
    cr_assert_gt(g_jallocs, 0);
    cr_assert_eq(g_jallocs, g_jfrees, "jansson allocated %zu blocks, released %zu", g_jallocs,
                 g_jfrees);
}

Test(core_json, dumps_refuses_invalid_utf8)
{
    json_t *j = json_object();
    json_object_set_new(j, "k", json_stringn_nocheck("\xff", 1));
    cr_assert_null(vg_json_dumps(j, JSON_COMPACT));
    json_decref(j);
}
