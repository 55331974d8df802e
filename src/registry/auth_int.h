/* SPDX-License-Identifier: Apache-2.0
 *
 * Declarations shared by the registry/auth_*.c files only.
 */
#ifndef VG_REGISTRY_AUTH_INT_H
#define VG_REGISTRY_AUTH_INT_H

#include "auth.h"

struct vg_registry_auth {
    struct vg_auth_config cfg;    /* immutable */
    struct vg_htpasswd *htpasswd; /* NULL when none is configured */
    bool enabled;                 /* vg_auth_config_enabled(&cfg) */
    struct vg_auth_signer signer; /* token service only */
    char *realm;                  /* token service only */
};

/* Who a Basic credential is: *subject (caller frees) and whether it is a robot account.
 * Wrong credentials: VG_E_AUTH with a message safe to show. */
int vg_auth__basic(struct vg_registry_auth *a, const struct vg_auth_cred *cred, int64_t now,
                   char **subject, bool *robot, struct vg_err **err);

/* The robot account called name, or NULL. */
const struct vg_auth_robot *vg_auth__robot(const struct vg_auth_config *c, const char *name);

/* base64url without padding (RFC 7515 §2). Caller frees. */
char *vg_auth__b64url_encode(const void *data, size_t n);
/* Strict: only the URL alphabet, no '=' and no whitespace. VG_E_PARSE naming what. */
int vg_auth__b64url_decode(uint8_t **out, size_t *outlen, const char *s, size_t n, const char *what,
                           struct vg_err **err);

#endif
