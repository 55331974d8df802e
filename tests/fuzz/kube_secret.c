/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the imagePullSecrets reader (kube/secrets.c): a Secret object's bytes,
 * its base64 .dockerconfigjson / .dockercfg and the auths inside must merge or fail with an
 * error, never crash, hang or leak; what merged is serialised as the registry client gets it.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *auths = json_object();
    struct vg_err *err = NULL;
    if (vg_kube_secret_merge(auths, data, size, "Secret fuzz/x", &err) < 0) {
        char *m = vg_err_format(err);
        free(m);
        vg_err_free(&err);
    }
    char *text = vg_json_dumps(auths, JSON_COMPACT);
    free(text);
    json_decref(auths);
    return 0;
}
