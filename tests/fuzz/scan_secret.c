/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: the secret engine over arbitrary file content (one engine compiled once, as the
 * scanner does), plus the image-config string helper on the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>

#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vg_secret_engine *e;
    if (!e) {
        e = vg_secret_engine_new(NULL, NULL);
        if (!e) {
            abort();
        }
    }
    struct vg_secret_findings f = {0};
    (void)!vg_secret_scan(e, "etc/app/config.json", data, size, &f, NULL);
    vg_secret_findings_dispose(&f);
    (void)!vg_secret_scan_image_config(e, data, size, &f, NULL);
    vg_secret_findings_dispose(&f);
    return 0;
}
