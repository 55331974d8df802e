/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: a Docker credential helper's answer (`docker-credential-<name> get` stdout,
 * {"ServerURL","Username","Secret"}) through the parser the registry client uses. What comes out
 * must be usable: found means a username or an identity token, never a half-filled result, and
 * nothing is returned on error.
 */
#include <stdint.h>
#include <string.h>

#include "oci/oci.h"
#include "oci/remote_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_oci_remote_creds c = {0};
    bool found = false;
    struct vg_err *err = NULL;
    int rc = vg_oci_remote_creds_from_helper_answer(&c, &found, data, size, &err);
    if (rc < 0 && (found || c.username || c.password || c.identity_token || !err)) {
        __builtin_trap();
    }
    if (rc == 0 && found != (c.username != NULL || c.identity_token != NULL)) {
        __builtin_trap();
    }
    if (c.username && (!c.password || strpbrk(c.username, "\r\n"))) {
        __builtin_trap(); /* a username always comes with a password ("" when none) */
    }
    vg_oci_remote_creds_dispose(&c);
    vg_err_free(&err);
    return 0;
}
