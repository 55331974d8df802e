/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: the VEX readers (OpenVEX, CycloneDX VEX) and the scoped lookup.
 */
#include <stdint.h>
#include <stdlib.h>

#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_err *err = NULL;
    struct vg_vex *v = vg_vex_parse(data, size, &err);
    if (v) {
        const char *aliases[] = {"GHSA-1111", NULL};
        const char *j = NULL;
        const struct vg_vex_subject subj = {
            .repository = "ghcr.io/x/app",
            .tag = "1.0",
            .manifest_digest = "sha256:"
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            .arch = "amd64",
            .os = "linux",
        };
        /* The results only have to be computed without crashing; their values are covered by
         * the unit tests. */
        (void)vg_vex_suppresses(v, &subj, "CVE-2023-1", aliases, "pkg:deb/debian/openssl@1?arch=x",
                                &j);
        (void)vg_vex_suppresses(v, NULL, "GHSA-1111", NULL, "pkg:npm/%40s/x@1", &j);
        vg_vex_free(v);
    }
    vg_err_free(&err);
    return 0;
}
