/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: Docker config.json / Kubernetes .dockerconfigjson pull secrets through the
 * "auths" lookup, for a few registry spellings (Docker Hub aliases, host:port, a path).
 */
#include <stdint.h>

#include "oci/oci.h"
#include "oci/remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const registries[] = {"docker.io", "ghcr.io", "localhost:5000",
                                             "registry.example.com/team"};
    for (size_t i = 0; i < sizeof(registries) / sizeof(registries[0]); i++) {
        struct vg_oci_remote_creds c;
        bool found = false;
        struct vg_err *err = NULL;
        if (vg_oci_remote_creds_from_json(&c, &found, registries[i], data, size, "pull secret",
                                          &err) == 0 &&
            found && !c.username && !c.password && !c.identity_token) {
            __builtin_trap(); /* found means something usable came out */
        }
        vg_oci_remote_creds_dispose(&c);
        vg_err_free(&err);
    }
    return 0;
}
