/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: vg_misconf_scan_file on arbitrary bytes read as a Dockerfile:
 * the Dockerfile parser (continuations, heredocs, directives, JSON and shell forms, stages) and
 * every Dockerfile check, with the secret rules and inline ignore comments, then the Trivy JSON
 * writer over the findings. Must never crash, leak or hang; errors are fine.
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
    struct vg_scan_report *r = vg_calloc(1, sizeof(*r));
    r->artifact = vg_strdup("fuzz");
    struct vg_misconf_opts o = {.type = VG_MISCONF_DOCKERFILE, .secrets = e};
    struct vg_err *err = NULL;
    if (vg_misconf_scan_file(r, "fuzz", data, size, &o, &err) > 0) {
        json_decref(vg_report_trivy_json(r));
    }
    vg_err_free(&err);
    vg_scan_report_free(r);
    return 0;
}
