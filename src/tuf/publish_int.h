/* SPDX-License-Identifier: Apache-2.0
 *
 * Declarations shared by publish.c (the editable repository) and publish_sign.c (signing and
 * the POST). Nothing outside src/tuf includes this.
 */
#ifndef VG_TUF_PUBLISH_INT_H
#define VG_TUF_PUBLISH_INT_H

#include "tuf_int.h"

#define YEAR_S            (365 * 24 * 3600)
#define ROOT_LIFETIME     (10 * YEAR_S)
#define TARGETS_LIFETIME  (3 * YEAR_S)
#define SNAPSHOT_LIFETIME (3 * YEAR_S)
#define PUBLISH_MAX_BODY  (64u * 1024u * 1024u)

struct edit {
    char *name;
    json_t *sig; /* the role's "signed" object */
    bool dirty;
};

struct vg_tuf_repo {
    char *gun;
    char *trust_dir;
    char *base; /* <server>/v2/<gun>/_trust/tuf */
    const struct vg_tuf_pass *pass;
    int64_t now;
    struct vg_http_client *http;
    struct vg_tuf_auth *auth;     /* push,pull scope */
    struct vg_tuf_notary *notary; /* NULL: not initialised on the server */
    /* a new repository's root */
    json_t *root_sig;
    struct vg_crypto_key *root_key;
    char root_cert_id[65];
    json_t *snapshot_sig; /* the current snapshot (NULL when new) */
    struct edit *edits;   /* targets first, then delegated roles */
    size_t nedits;
};

char *vg_tuf__pub_expires(int64_t t);
json_t *vg_tuf__pub_signed_json(const struct vg_tuf_meta *m, struct vg_err **err);
struct edit *vg_tuf__pub_edit_find(struct vg_tuf_repo *r, const char *name);
json_t *vg_tuf__pub_delegations_of(struct vg_tuf_repo *r, const char *role);
json_t *vg_tuf__pub_delegation(json_t *dels, const char *name, size_t *index);
int vg_tuf__pub_signing_key(struct vg_crypto_key **key, char sig_id[65],
                            const struct vg_tuf_repo *r, const json_t *keyids, const json_t *keys,
                            struct vg_err **err);
bool vg_tuf__pub_holds_key(const struct vg_tuf_repo *r, const json_t *keyids, const json_t *keys);

#endif
