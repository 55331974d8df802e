/* SPDX-License-Identifier: Apache-2.0
 *
 * htpasswd files into vg_htpasswd_parse, and a lookup of the first line's user.
 */
#include "registry/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_htpasswd_file f = {0};
    struct vg_err *err = NULL;
    if (vg_htpasswd_parse(&f, "fuzz", data, size, &err) == 0) {
        if (f.n) {
            (void)vg_htpasswd_file_find(&f, f.v[0].user);
        }
        vg_htpasswd_file_dispose(&f);
    }
    vg_err_free(&err);
    return 0;
}
