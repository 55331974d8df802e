/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the kubeconfig reader (kube/kubeconfig.c): any bytes are YAML to load and a
 * context to resolve (current-context, then a context named "b"), with base64 certificate and
 * key data to decode; each must succeed or fail with one error, never crash, hang or leak.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const contexts[] = {NULL, "b"};
    for (size_t i = 0; i < 2; i++) {
        struct vg_kubeconfig kc;
        struct vg_err *err = NULL;
        if (vg_kubeconfig_parse(&kc, data, size, "fuzz.kubeconfig", contexts[i], &err) == 0) {
            vg_kubeconfig_dispose(&kc);
        } else {
            char *m = vg_err_format(err);
            free(m);
            vg_err_free(&err);
        }
    }
    return 0;
}
