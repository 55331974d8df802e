/* SPDX-License-Identifier: Apache-2.0
 *
 * Authorization header values (Basic, Bearer, anything) into vg_auth_header_parse, then the
 * same bytes as a token-endpoint scope string into vg_auth_scope_parse.
 */
#include "registry/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_auth_cred c = {0};
    struct vg_err *err = NULL;
    if (vg_auth_header_parse(&c, (const char *)data, size, &err) == 0) {
        vg_auth_cred_dispose(&c);
    }
    vg_err_free(&err);
    char *s = vg_strndup((const char *)data, size);
    struct vg_auth_access *v = NULL;
    size_t n = 0;
    if (vg_auth_scope_parse(&v, &n, s, &err) < 0) {
        vg_err_free(&err); /* v holds the scopes before the bad one: freed below */
    }
    vg_auth_access_free(v, n);
    vg_err_free(&err);
    free(s);
    return 0;
}
