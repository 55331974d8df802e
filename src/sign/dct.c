/* SPDX-License-Identifier: Apache-2.0
 *
 * Docker Content Trust as a verification fact: is an image signed in its notary repository?
 * The TUF work (metadata, pinning, token auth) is tuf/'s; this file picks the server as docker
 * does, gives it the registry's docker credentials, and ties the signed target to the image:
 * IMAGE:TAG's signed target must be the manifest the registry serves for the tag (or, with a
 * digest, be that digest); IMAGE@DIGEST alone needs some signed tag whose target is DIGEST.
 * With signers, the target must be signed by one of those delegations (targets/<name>).
 */
#include "sign.h"

#include <string.h>

#include "tuf/tuf.h"

char *
vg_sign_dct_server(const struct vg_oci_ref *ref)
{
    const char *env = getenv("DOCKER_CONTENT_TRUST_SERVER");
    if (env && *env) {
        return vg_strdup(env);
    }
    if (strcmp(ref->registry, "docker.io") == 0) {
        return vg_strdup("https://notary.docker.io");
    }
    return vg_fmt("https://%s", ref->registry);
}

char *
vg_sign_dct_ca(const char *server)
{
    if (!vg_cstr_startswith(server, "https://")) {
        return NULL;
    }
    const char *host = server + strlen("https://");
    size_t n = strcspn(host, "/");
    const char *dc = getenv("DOCKER_CONFIG");
    const char *home = getenv("HOME");
    vg_autofree char *dir =
        dc && *dc ? vg_strdup(dc) : vg_fmt("%s/.docker", home && *home ? home : ".");
    char *path = vg_fmt("%s/tls/%.*s/ca.crt", dir, (int)n, host);
    if (!vg_path_exists(path)) {
        free(path);
        return NULL;
    }
    return path;
}

int
vg_sign_dct_creds(void *payload, char **user, char **password, struct vg_err **err)
{
    const struct vg_sign_dct_creds_ctx *c = payload;
    struct vg_oci_remote_creds cr = {0};
    bool found = false;
    if (vg_oci_remote_creds_lookup(&cr, &found, c->registry, c->open->creds, c->open->docker_config,
                                   err) < 0) {
        return -1;
    }
    if (found && cr.username) {
        *user = vg_strdup(cr.username);
        *password = vg_strdup(cr.password ? cr.password : "");
    }
    vg_oci_remote_creds_dispose(&cr);
    return 0;
}

static bool
signer_ok(const struct vg_sign_dct_opts *o, const char *role)
{
    if (o->nsigners == 0) {
        return true;
    }
    for (size_t i = 0; i < o->nsigners; i++) {
        if (vg_cstr_startswith(role, "targets/") && strcmp(role + 8, o->signers[i]) == 0) {
            return true;
        }
    }
    return false;
}

struct search {
    const struct vg_sign_dct_opts *o;
    const char *tag;          /* NULL: any tag */
    const char *want;         /* sha256 wanted (64 hex), or NULL */
    const char *found_role;   /* first match */
    const char *found_tag;    /* its tag */
    const uint8_t *found_sha; /* its sha256 */
};

static void
search_role(void *payload, const char *role, const struct vg_tuf_meta *m)
{
    struct search *s = payload;
    if (s->found_role || !signer_ok(s->o, role)) {
        return;
    }
    for (size_t i = 0; i < m->ntargets; i++) {
        const struct vg_tuf_target *t = &m->targets[i];
        char hex[65];
        vg_hex_encode(hex, t->hashes.sha256, 32);
        if ((s->tag && strcmp(t->name, s->tag) != 0) || !t->hashes.has_sha256 ||
            (s->want && strcmp(hex, s->want) != 0)) {
            continue;
        }
        s->found_role = role;
        s->found_tag = t->name;
        s->found_sha = t->hashes.sha256;
        return;
    }
}

static int
check_target(struct vg_sign_dct_result *out, struct vg_tuf_notary *n, const struct vg_oci_ref *ref,
             const struct vg_sign_dct_opts *o, struct vg_err **err)
{
    struct vg_digest want = {0};
    if (ref->digest && vg_digest_parse(&want, ref->digest, err) < 0) {
        return -1;
    }
    bool by_digest = ref->digest && want.alg == VG_DIGEST_SHA256;
    if (ref->digest && !by_digest) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "content trust signs SHA-256 manifests only");
    }
    const struct vg_tuf_target *t = NULL;
    const char *role = NULL;
    bool tag_given = ref->tag && !(ref->digest && ref->tag_implied);
    struct vg_tuf_client *c = vg_tuf_notary_client(n);
    if (tag_given && o->nsigners == 0 && vg_tuf_notary_tag(n, ref->tag, &t, &role, err) < 0) {
        return -1;
    }
    if (!t) {
        /* a signer constraint, or a digest without a tag: search every role */
        if (vg_tuf_client_load_delegations(c, err) < 0) {
            return -1;
        }
        struct search s = {
            o, tag_given ? ref->tag : NULL, by_digest ? want.text + 7 : NULL, NULL, NULL, NULL};
        vg_tuf_client_each_targets(c, search_role, &s);
        vg_autofree char *gun = vg_oci_ref_name(ref);
        if (!s.found_role) {
            return vg_err_set(err, VG_E_NOTFOUND, "no trust data for %s%s%s%s", gun,
                              tag_given ? ":" : "@", tag_given ? ref->tag : ref->digest,
                              o->nsigners ? " signed by the required signers" : "");
        }
        out->role = vg_strdup(s.found_role);
        out->tag = vg_strdup(s.found_tag);
        memcpy(out->sha256, s.found_sha, 32);
    } else {
        out->role = vg_strdup(role);
        out->tag = vg_strdup(ref->tag);
        memcpy(out->sha256, t->hashes.sha256, 32);
        if (!t->hashes.has_sha256) {
            return vg_err_set(err, VG_E_VERIFY, "the signed target of %s has no SHA-256", ref->tag);
        }
    }
    char hex[65];
    vg_hex_encode(hex, out->sha256, 32);
    if (by_digest && strcmp(hex, want.text + 7) != 0) {
        return vg_err_set(err, VG_E_VERIFY, "%s is not the digest signed for tag %s", ref->digest,
                          out->tag);
    }
    return 0;
}

int
vg_sign_dct_verify(const char *image, const struct vg_sign_dct_opts *o,
                   struct vg_sign_dct_result *out, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    struct vg_oci_ref *ref = NULL;
    if (vg_oci_ref_parse(&ref, image, err) < 0) {
        return -1;
    }
    const struct vg_oci_open_opts *open = o->open;
    vg_autofree char *gun = vg_oci_ref_name(ref);
    vg_autofree char *server = o->server ? vg_strdup(o->server) : vg_sign_dct_server(ref);
    vg_autofree char *ca = vg_sign_dct_ca(server);
    struct vg_sign_dct_creds_ctx cc = {ref->registry, open};
    struct vg_tuf_notary_opts no = {
        .server = server,
        .gun = gun,
        .trust_dir = o->trust_dir,
        .ca_file = ca ? ca : open->ca_file,
        .insecure = open->insecure,
        .deadline_ns = open->deadline_ns,
        .creds = vg_sign_dct_creds,
        .creds_payload = &cc,
        .plain_http_realm = open->plain_http,
    };
    struct vg_tuf_notary *n = NULL;
    int rc = vg_tuf_notary_open(&n, &no, err);
    if (rc == 0) {
        rc = check_target(out, n, ref, o, err);
    }
    if (rc == 0 && !ref->digest) {
        /* the tag's manifest as the registry serves it must be the signed one */
        struct vg_oci_remote_client *rc_ = vg_oci_remote_client_new(ref, open, err);
        struct vg_oci_remote_manifest m = {0};
        uint8_t got[32];
        if (!rc_ || vg_oci_remote_manifest_get(rc_, ref->tag, &m, err) < 0) {
            rc = -1;
        } else if (vg_sha256_raw(got, m.data, m.len), memcmp(got, out->sha256, 32) != 0) {
            rc = vg_err_set(err, VG_E_VERIFY,
                            "the registry's manifest for tag %s (%s) is not the one signed in "
                            "trust data",
                            ref->tag, m.digest.text);
        }
        vg_oci_remote_manifest_dispose(&m);
        vg_oci_remote_client_free(rc_);
    }
    vg_tuf_notary_free(n);
    vg_oci_ref_free(ref);
    if (rc < 0) {
        vg_sign_dct_result_dispose(out);
        return vg_err_wrap(err, "content trust for %s", gun);
    }
    return 0;
}

void
vg_sign_dct_result_dispose(struct vg_sign_dct_result *r)
{
    free(r->role);
    free(r->tag);
    memset(r, 0, sizeof(*r));
}
