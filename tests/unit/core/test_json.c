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
