/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: token-endpoint JSON responses (net/auth.c vg_http_token_parse).
 */
#include <stdint.h>

#include "net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_http_token t;
    struct vg_err *err = NULL;
    if (vg_http_token_parse(&t, data, size, &err) == 0) {
        vg_http_token_dispose(&t);
    }
    vg_err_free(&err);
    return 0;
}
