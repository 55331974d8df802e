/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: model-file checks over arbitrary bytes — the pickle disassembler directly, and
 * the format dispatch with names that route the same bytes to the PyTorch zip reader, legacy
 * torch, numpy and GGUF parsers.
 */
#include <stdint.h>
#include <stdlib.h>

#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"m.pt", "m.npy", "m.gguf", "m.joblib"};
    struct vg_model_findings f = {0};
    (void)!vg_model_check_pickle("x.pkl", data, size, &f, NULL);
    vg_model_findings_dispose(&f);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct vg_model_opts o = {.truncated_input = (size & 1) != 0};
        (void)!vg_model_check(names[i], data, size, &o, &f, NULL);
        vg_model_findings_dispose(&f);
    }
    return 0;
}
