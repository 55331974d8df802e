/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: a notary server's 401 challenges (tuf/auth.c vg_tuf_auth_token_url): the input
 * is split at NUL bytes into up to 4 WWW-Authenticate values; the token URL made from them must
 * be an http(s) URL free of control characters and spaces.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tuf/tuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (!copy) {
        return 0;
    }
    memcpy(copy, data, size);
    copy[size] = '\0';
    const char *vals[4];
    size_t n = 0;
    for (char *p = copy; n < 4 && p <= copy + size; p += strlen(p) + 1) {
        vals[n++] = p;
    }
    char *url = NULL;
    bool basic = false, plain = false;
    struct vg_err *err = NULL;
    if (vg_tuf_auth_token_url(&url, &basic, &plain, vals, n, "repository:r/x:pull", &err) == 0 &&
        url) {
        if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
            abort();
        }
        for (const unsigned char *q = (const unsigned char *)url; *q; q++) {
            if (*q <= 0x20 || *q == 0x7f) {
                abort();
            }
        }
    }
    free(url);
    vg_err_free(&err);
    free(copy);
    return 0;
}
