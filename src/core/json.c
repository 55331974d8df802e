/* SPDX-License-Identifier: Apache-2.0
 *
 * jansson helpers: bounded parsing that rejects duplicate keys (a classic way to make two
 * parsers disagree about a signed document), typed getters and ownership-taking setters.
 */
#include "core.h"

#include <string.h>

int
vg_json_parse(json_t **out, const void *data, size_t len, size_t max, const char *what,
              struct vg_err **err)
{
    if (len > max) {
        return vg_err_set(err, VG_E_LIMIT, "%s: %zu bytes exceeds the limit of %zu", what, len,
                          max);
    }
    json_error_t je;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!j) {
        return vg_err_set(err, VG_E_PARSE, "%s: invalid JSON at line %d column %d: %s", what,
                          je.line, je.column, je.text);
    }
    *out = j;
    return 0;
}

const char *
vg_json_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *
vg_json_obj(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_object(v) ? v : NULL;
}

json_t *
vg_json_arr(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_array(v) ? v : NULL;
}

bool
vg_json_u64(const json_t *obj, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return false;
    }
    *out = (uint64_t)json_integer_value(v);
    return true;
}

void
vg_json_set_take(json_t *obj, const char *key, json_t *v)
{
    if (v) {
        json_object_set_new(obj, key, v);
    }
}

void
vg_json_set_str(json_t *obj, const char *key, const char *s)
{
    if (s) {
        json_object_set_new(obj, key, json_string(s));
    }
}

void
vg_json_append_take(json_t *arr, json_t *v)
{
    if (v) {
        json_array_append_new(arr, v);
    }
}

char *
vg_json_dumps(const json_t *j, size_t flags)
{
    char *s = json_dumps(j, flags);
    if (!s) {
        return NULL;
    }
    /* jansson's buffer goes back through jansson's own free function (json_set_alloc_funcs may
     * have replaced malloc); callers get memory they release with free(). */
    char *d = vg_strdup(s);
    json_free_t jfree = NULL;
    json_get_alloc_funcs(NULL, &jfree);
    jfree(s);
    return d;
}

char *
vg_json_dump(const json_t *j, bool pretty)
{
    char *s = vg_json_dumps(j, JSON_PRESERVE_ORDER | (pretty ? JSON_INDENT(2) : JSON_COMPACT));
    return s ? s : vg_strdup("null");
}

int
vg_json_write_file(const json_t *j, FILE *f, bool pretty, struct vg_err **err)
{
    char *s = vg_json_dump(j, pretty);
    size_t n = strlen(s);
    bool ok = fwrite(s, 1, n, f) == n && fputc('\n', f) != EOF;
    free(s);
    if (!ok) {
        return vg_err_sys(err, VG_E_IO, "write JSON output");
    }
    return 0;
}
