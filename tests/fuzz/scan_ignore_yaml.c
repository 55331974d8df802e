/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: the .trivyignore.yaml parser and a lookup over what it accepted.
 */
#include <stdint.h>
#include <stdlib.h>

#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_ignore ig;
    struct vg_err *err = NULL;
    if (vg_ignore_parse_yaml(&ig, NULL, data, size, &err) == 0) {
        struct vg_ignore_query q = {.kind = VG_IGNORE_VULN,
                                    .id = "CVE-2021-1234",
                                    .pkg = "openssl",
                                    .purl = "pkg:deb/debian/openssl@3.0.11?arch=amd64",
                                    .path = "usr/lib/x86_64-linux-gnu/libssl.so.3"};
        (void)vg_ignore_lookup(&ig, &q, 1700000000);
        vg_ignore_dispose(&ig);
    }
    vg_err_free(&err);
    return 0;
}
