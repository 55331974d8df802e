/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: the secret-config YAML loader and the regex dialect translator behind it.
 */
#include <stdint.h>
#include <stdlib.h>

#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_err *err = NULL;
    struct vg_secret_opts o = {.config_data = (const char *)data, .config_len = size};
    struct vg_secret_engine *e = vg_secret_engine_new(&o, &err);
    if (e) {
        struct vg_secret_findings f = {0};
        (void)!vg_secret_scan(e, "a.txt", data, size, &f, NULL);
        vg_secret_findings_dispose(&f);
    }
    vg_secret_engine_free(e);
    vg_err_free(&err);
    return 0;
}
