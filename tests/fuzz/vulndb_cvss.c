/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: CVSS vector strings (v2, v3.x, v4.0) through the strict parser and scorer.
 */
#include <stdint.h>
#include <string.h>

#include "vulndb/vulndb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = vg_strndup((const char *)data, size);
    double score = 0;
    enum vg_cvss_version v = 0;
    struct vg_err *err = NULL;
    if (vg_cvss_score(s, &score, &v, &err) == 0) {
        if (score < 0.0 || score > 10.0) {
            __builtin_trap();
        }
        (void)vg_cvss_severity(score, v);
    }
    vg_err_free(&err);
    free(s);
    return 0;
}
