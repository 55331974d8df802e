/* SPDX-License-Identifier: Apache-2.0
 *
 * POST /token form bodies into the token service (form parsing, both grants, scopes, refresh
 * tokens through the verifier), against an authorizer with the token service on, no users and
 * a key generated once into a temporary directory (removed at exit).
 */
#include "registry/auth.h"

#include <stdio.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/vigil-fuzz-token-XXXXXX";

static void
cleanup(void)
{
    char path[sizeof(dir) + 32];
    snprintf(path, sizeof(path), "%s/auth/token-key.pem", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/auth", dir);
    rmdir(path);
    rmdir(dir);
}

static struct vg_registry_auth *
auth_once(void)
{
    static struct vg_registry_auth *a;
    if (a) {
        return a;
    }
    struct vg_err *err = NULL;
    struct vg_auth_config c;
    if (!mkdtemp(dir) || vg_auth_config_parse(&c, NULL, NULL, NULL, &err) < 0) {
        abort();
    }
    atexit(cleanup);
    c.token = true;
    struct vg_registry_auth_opts o = {.root = dir, .default_realm = "http://127.0.0.1:1/token"};
    if (vg_registry_auth_new(&a, &c, &o, &err) < 0) {
        abort();
    }
    return a;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_registry_auth_token_resp t;
    vg_registry_auth_token_post(auth_once(), data, size, 1700000000, &t);
    vg_registry_auth_token_resp_dispose(&t);
    return 0;
}
