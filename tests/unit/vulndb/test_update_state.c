/* SPDX-License-Identifier: Apache-2.0
 *
 * `db update`'s state.json from memory: the validators remembered per source, and what a
 * damaged or hostile state yields (nothing to send back, never a crash).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "vulndb/vulndb_int.h"

static json_t *
parse(const char *text)
{
    json_t *j = vg_vulndb_update_state_parse(text, strlen(text), "state.json");
    cr_assert(json_is_object(j));
    return j;
}

Test(vulndb_update_state, validators)
{
    json_t *s = parse("{\"Debian\":{\"url\":\"https://m/Debian/all.zip\",\"etag\":\"\\\"abc\\\"\","
                      "\"last_modified\":\"Sat, 06 Dec 2026 10:00:00 GMT\"},"
                      "\"Alpine\":{\"etag\":\"W/\\\"1\\\"\"}}");
    const char *etag, *lm;
    vg_vulndb_update_state_validators(s, "Debian", &etag, &lm);
    cr_assert_str_eq(etag, "\"abc\"");
    cr_assert_str_eq(lm, "Sat, 06 Dec 2026 10:00:00 GMT");
    vg_vulndb_update_state_validators(s, "Alpine", &etag, &lm);
    cr_assert_str_eq(etag, "W/\"1\"");
    cr_assert_null(lm);
    vg_vulndb_update_state_validators(s, "PyPI", &etag, &lm);
    cr_assert(!etag && !lm);
    json_decref(s);
}

Test(vulndb_update_state, hostile_values_are_not_sent_back)
{
    /* A header injection, a NUL, the wrong type, empty, over the bound: none comes back. */
    char *longv = vg_calloc(VG_VULNDB_VALIDATOR_MAX + 2, 1);
    memset(longv, 'a', VG_VULNDB_VALIDATOR_MAX + 1);
    char *text = vg_fmt("{\"A\":{\"etag\":\"x\\r\\nX-Evil: 1\",\"last_modified\":\"a\\u0000b\"},"
                        "\"B\":{\"etag\":7,\"last_modified\":\"\"},\"C\":{\"etag\":\"%s\"},"
                        "\"D\":\"flat\",\"E\":{\"etag\":\"del\\u007f\"}}",
                        longv);
    json_t *s = parse(text);
    const char *etag, *lm;
    const char *names[] = {"A", "B", "C", "D", "E"};
    for (size_t i = 0; i < 5; i++) {
        vg_vulndb_update_state_validators(s, names[i], &etag, &lm);
        cr_assert(!etag && !lm, "%s", names[i]);
    }
    json_decref(s);
    /* At the bound it is kept. */
    longv[VG_VULNDB_VALIDATOR_MAX] = '\0';
    free(text);
    text = vg_fmt("{\"C\":{\"etag\":\"%s\"}}", longv);
    s = parse(text);
    vg_vulndb_update_state_validators(s, "C", &etag, &lm);
    cr_assert_not_null(etag);
    cr_assert_eq(strlen(etag), VG_VULNDB_VALIDATOR_MAX);
    json_decref(s);
    free(text);
    free(longv);
}

Test(vulndb_update_state, damaged_state_is_empty)
{
    const char *bad[] = {"", "not json", "[1,2]", "\"str\"", "{\"a\":", "{\"a\":1,\"a\":2}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *s = parse(bad[i]);
        cr_assert_eq(json_object_size(s), 0, "%s", bad[i]);
        json_decref(s);
    }
}
