/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the Sigstore trusted root parser (sign/sigstore_root.c) and the RFC 3339
 * time parser it uses: any input parses or fails with an error, never crashes or leaks; a
 * parsed root holds only complete entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_err *err = NULL;
    struct vg_sigstore_root *r = NULL;
    if (vg_sigstore_root_parse(&r, data, size, &err) == 0) {
        for (size_t i = 0; i < r->ntlogs; i++) {
            if (!r->tlogs[i].key || (r->tlogs[i].end && r->tlogs[i].end < r->tlogs[i].start)) {
                abort();
            }
        }
        for (size_t i = 0; i < r->ncas; i++) {
            if (r->cas[i].ncerts == 0) {
                abort();
            }
        }
        vg_sigstore_root_free(r);
    }
    vg_err_free(&err);
    if (size < 64) {
        char s[64];
        memcpy(s, data, size);
        s[size] = '\0';
        int64_t t;
        if (vg_sigstore_time_parse(&t, s, &err) < 0) {
            vg_err_free(&err);
        }
    }
    return 0;
}
