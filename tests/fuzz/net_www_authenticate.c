/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: WWW-Authenticate challenge lists (net/auth.c). Also looks up a parameter in
 * every parsed challenge so the accessors run over whatever the parser produced.
 */
#include <stdint.h>

#include "net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_http_challenge *c = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    if (vg_http_challenges_parse(&c, &n, (const char *)data, size, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            (void)vg_http_challenge_param(&c[i], "realm"); /* result unused: exercising only */
        }
        vg_http_challenges_free(c, n);
    }
    vg_err_free(&err);
    char *next = NULL;
    if (size < 4096) {
        char *s = vg_strndup((const char *)data, size);
        next = vg_http_link_next(s);
        free(s);
    }
    free(next);
    return 0;
}
