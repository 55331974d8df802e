/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: `db update`'s state.json (the ETag / Last-Modified validators of the cached
 * archives). Parsing always yields an object; a validator handed back is header-safe; the state
 * written back (as update.c does after merging) parses again to as many entries.
 */
#include <stdint.h>
#include <string.h>

#include "vulndb/vulndb_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_value(const char *v)
{
    if (!v) {
        return;
    }
    size_t len = strlen(v);
    if (len == 0 || len > VG_VULNDB_VALIDATOR_MAX) {
        __builtin_trap();
    }
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            __builtin_trap(); /* would have gone into If-None-Match as is */
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *state = vg_vulndb_update_state_parse(data, size, "fuzz");
    if (!json_is_object(state)) {
        __builtin_trap();
    }
    static const char *const names[] = {"Debian", "Alpine", "PyPI", "nvdcve-2.0-modified.json.gz"};
    const char *etag, *lm;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        vg_vulndb_update_state_validators(state, names[i], &etag, &lm);
        check_value(etag);
        check_value(lm);
    }
    const char *key;
    json_t *v;
    json_object_foreach (state, key, v) {
        vg_vulndb_update_state_validators(state, key, &etag, &lm);
        check_value(etag);
        check_value(lm);
    }
    char *text = vg_json_dump(state, true);
    if (text) {
        json_t *again = vg_vulndb_update_state_parse(text, strlen(text), "written");
        if (json_object_size(again) != json_object_size(state)) {
            __builtin_trap();
        }
        json_decref(again);
        free(text);
    }
    json_decref(state);
    return 0;
}
