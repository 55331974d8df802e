/* SPDX-License-Identifier: Apache-2.0
 *
 * Declarations shared by the tuf/ files. Nothing outside src/tuf includes this.
 */
#ifndef VG_TUF_INT_H
#define VG_TUF_INT_H

#include "tuf.h"

/* Parses one key object (keytype, scheme, keyval) into k (keyid borrowed → copied). */
int vg_tuf__key_parse(struct vg_tuf_key *k, enum vg_tuf_dialect d, const char *keyid,
                      const json_t *obj, struct vg_err **err);
void vg_tuf__key_dispose(struct vg_tuf_key *k);
/* Verifies one signature with k's scheme. VG_E_VERIFY on mismatch or unusable key. */
int vg_tuf__key_verify(const struct vg_tuf_key *k, const uint8_t *data, size_t len,
                       const uint8_t *sig, size_t siglen, struct vg_err **err);
/* Hex (either case) of exactly outlen bytes; -1 otherwise. */
int vg_tuf__hex_decode(uint8_t *out, size_t outlen, const char *s, size_t n);
void vg_tuf__role_dispose(struct vg_tuf_role *r);

struct vg_http_req;
struct vg_http_resp;
/* Authentication state for one notary server and GUN (auth.c). */
struct vg_tuf_auth {
    struct vg_http_client *http; /* borrowed */
    char *gun;
    bool push;       /* ask for "push,pull" (publishing) instead of "pull" */
    bool plain_http; /* credentials may go to an http:// realm */
    int (*creds)(void *payload, char **user, char **password, char **identity_token,
                 struct vg_err **err);
    void *creds_payload;
    char *basic;   /* "Authorization: Basic ..." from the credentials, or NULL */
    char *refresh; /* the identity token (OAuth2 refresh token), or NULL; wiped on free */
    char *authz;   /* the "Authorization: ..." line that worked, or NULL */
};
struct vg_tuf_auth *vg_tuf__auth_new(struct vg_http_client *http, const char *gun, bool push,
                                     const struct vg_tuf_notary_opts *o);
void vg_tuf__auth_free(struct vg_tuf_auth *a);
/* vg_http_do with the Authorization the server asked for: a 401 with a challenge is answered
 * once (token from the realm, or Basic), and the request repeated. a NULL: plain vg_http_do.
 * The final response is returned whatever its status, as vg_http_do. */
VG_NODISCARD int vg_tuf__auth_do(struct vg_tuf_auth *a, const struct vg_http_req *req,
                                 struct vg_http_resp *resp, struct vg_err **err);
/* keystore.c / keystore_legacy.c: a 64-hex-digit key id; one key file read and parsed (path
 * in errors); the old layouts (private/root_keys/, private/tuf_keys/[<gun>/], `<id>_<role>.key`
 * names) searched for keyid (*found false when absent) or listed for role (and gun), ids
 * already in *ids skipped. */
bool vg_tuf__keyid_ok(const char *id);
VG_NODISCARD int vg_tuf__keyfile_read_path(struct vg_tuf_keyfile *out, const char *path,
                                           struct vg_err **err);
VG_NODISCARD int vg_tuf__keystore_legacy_read(struct vg_tuf_keyfile *out, bool *found,
                                              const char *trust_dir, const char *keyid,
                                              struct vg_err **err);
VG_NODISCARD int vg_tuf__keystore_legacy_list(char ***ids, size_t *n, const char *trust_dir,
                                              const char *role, const char *gun,
                                              struct vg_err **err);

/* Makes the HTTP fetcher send its requests through a (borrowed). */
void vg_tuf__fetcher_http_auth(struct vg_tuf_fetcher *f, struct vg_tuf_auth *a);

#endif
