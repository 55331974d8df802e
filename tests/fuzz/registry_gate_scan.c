/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the pull gate's reader of stored scan results
 * (vg_registry_gate_findings_parse), then the gate evaluation over what it read: a parsed list
 * always evaluates, a refusal always says why.
 */
#include <stdint.h>
#include <stdlib.h>

#include "registry/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_registry_gate_finding *v = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    if (vg_registry_gate_findings_parse(&v, &n, data, size, &err) < 0) {
        if (!err || v || n) {
            abort();
        }
        vg_err_free(&err);
        return 0;
    }
    char glob[] = "**";
    char *repos[] = {glob};
    struct vg_registry_gate g = {
        .repos = repos, .nrepos = 1, .max_severity = VG_SEV_LOW, .fixed_only = size % 2 == 0};
    struct vg_registry_gate_facts f = {
        .repo = "a/b", .scan = VG_GATE_SCAN_DONE, .findings = v, .nfindings = n};
    struct vg_registry_gate_decision d;
    vg_registry_gates_eval(&g, 1, &f, &d);
    if (d.deny && !d.reason) {
        abort();
    }
    vg_registry_gate_decision_dispose(&d);
    vg_registry_gate_findings_free(v, n);
    return 0;
}
