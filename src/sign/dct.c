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

#include <inttypes.h>
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
vg_sign_dct_creds(void *payload, char **user, char **password, char **identity_token,
                  struct vg_err **err)
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
    if (found && cr.identity_token) {
        *identity_token = vg_strdup(cr.identity_token);
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
    const char *tag;        /* NULL: any tag */
    const char *want;       /* sha256 wanted (64 hex), or NULL */
    uint64_t want_len;      /* its length, 0: any */
    const char *found_role; /* first match */
    const struct vg_tuf_target *found;
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
            (s->want && strcmp(hex, s->want) != 0) || (s->want_len && t->length != s->want_len)) {
            continue;
        }
        s->found_role = role;
        s->found = t;
        return;
    }
}

/* The signed target of tag (docker's lookup; with signers, the first in one of their roles)
 * or, with tag NULL, the first signed target of any tag; when the roles are searched (signers,
 * or no tag), only a target whose SHA-256 is want_hex (when non-NULL) and length want_len
 * (when non-zero). VG_E_NOTFOUND naming gun:tag or gun@sha256:hex. */
static int
find_target(struct vg_sign_dct_result *out, struct vg_tuf_notary *n, const char *gun,
            const char *tag, const char *want_hex, uint64_t want_len,
            const struct vg_sign_dct_opts *o, struct vg_err **err)
{
    const struct vg_tuf_target *t = NULL;
    const char *role = NULL;
    struct vg_tuf_client *c = vg_tuf_notary_client(n);
    if (tag && o->nsigners == 0 && vg_tuf_notary_tag(n, tag, &t, &role, err) < 0) {
        return -1;
    }
    if (!t) {
        /* a signer constraint, or a digest without a tag: search every role */
        if (vg_tuf_client_load_delegations(c, err) < 0) {
            return -1;
        }
        struct search s = {o, tag, want_hex, want_len, NULL, NULL};
        vg_tuf_client_each_targets(c, search_role, &s);
        if (!s.found_role) {
            vg_autofree char *what = tag ? vg_escape(tag, strlen(tag), 128) : NULL;
            return vg_err_set(err, VG_E_NOTFOUND, "no trust data for %s%s%s%s", gun,
                              tag ? ":" : "@sha256:", tag ? what : want_hex,
                              o->nsigners ? " signed by the required signers" : "");
        }
        t = s.found;
        role = s.found_role;
    }
    if (!t->hashes.has_sha256) {
        vg_autofree char *e = vg_escape(t->name, strlen(t->name), 128);
        return vg_err_set(err, VG_E_VERIFY, "the signed target of %s has no SHA-256", e);
    }
    out->role = vg_strdup(role);
    out->tag = vg_strdup(t->name);
    out->length = t->length;
    memcpy(out->sha256, t->hashes.sha256, 32);
    return 0;
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
    bool tag_given = ref->tag && !(ref->digest && ref->tag_implied);
    vg_autofree char *gun = vg_oci_ref_name(ref);
    if (find_target(out, n, gun, tag_given ? ref->tag : NULL, by_digest ? want.text + 7 : NULL, 0,
                    o, err) < 0) {
        return -1;
    }
    char hex[65];
    vg_hex_encode(hex, out->sha256, 32);
    if (by_digest && strcmp(hex, want.text + 7) != 0) {
        return vg_err_set(err, VG_E_VERIFY, "%s is not the digest signed for tag %s", ref->digest,
                          out->tag);
    }
    return 0;
}

/* GUN's verified notary repository, as docker finds it: o->server (else docker's for
 * registry), o->ca_file (else docker's tls/<host>/ca.crt, else open's), the registry's docker
 * credentials for a token-authenticated server. */
static int
notary_open(struct vg_tuf_notary **n, const char *gun, const char *registry,
            const struct vg_sign_dct_opts *o, const struct vg_oci_open_opts *open,
            struct vg_err **err)
{
    vg_autofree char *server = NULL;
    if (o->server) {
        server = vg_strdup(o->server);
    } else {
        struct vg_oci_ref reg = {.registry = (char *)(uintptr_t)registry};
        server = vg_sign_dct_server(&reg);
    }
    vg_autofree char *ca = o->ca_file ? NULL : vg_sign_dct_ca(server);
    struct vg_sign_dct_creds_ctx cc = {registry, open};
    struct vg_tuf_notary_opts no = {
        .server = server,
        .gun = gun,
        .trust_dir = o->trust_dir,
        .ca_file = o->ca_file ? o->ca_file
                   : ca       ? ca
                              : open->ca_file,
        .insecure = open->insecure,
        .deadline_ns = open->deadline_ns,
        .creds = vg_sign_dct_creds,
        .creds_payload = &cc,
        .plain_http_realm = open->plain_http,
    };
    return vg_tuf_notary_open(n, &no, err);
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
    struct vg_tuf_notary *n = NULL;
    int rc = notary_open(&n, gun, ref->registry, o, open, err);
    if (rc == 0) {
        rc = check_target(out, n, ref, o, err);
    }
    if (rc == 0 && !ref->digest) {
        /* the tag's manifest as the registry serves it must be the signed one */
        struct vg_oci_remote_client *rc_ = vg_oci_remote_client_new(ref, open, err);
        struct vg_oci_remote_manifest m = {0};
        struct vg_digest got = {VG_DIGEST_SHA256, "sha256:"};
        uint8_t sha[32];
        if (!rc_ || vg_oci_remote_manifest_get(rc_, ref->tag, &m, err) < 0) {
            rc = -1;
        } else if (vg_sha256_raw(sha, m.data, m.len), vg_hex_encode(got.text + 7, sha, 32),
                   vg_sign_dct_matches(out, &got, m.len, err) < 0) {
            rc = vg_err_wrap(err, "the registry's manifest for tag %s (%s)", ref->tag,
                             m.digest.text);
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

int
vg_sign_dct_matches(const struct vg_sign_dct_result *r, const struct vg_digest *d, uint64_t len,
                    struct vg_err **err)
{
    char hex[65];
    vg_hex_encode(hex, r->sha256, 32);
    if (d->alg != VG_DIGEST_SHA256 || strcmp(hex, vg_digest_hex(d)) != 0 ||
        (r->length && r->length != len)) {
        vg_autofree char *tag = vg_escape(r->tag, strlen(r->tag), 128);
        return vg_err_set(err, VG_E_VERIFY,
                          "is not the one signed in trust data (tag %s signed sha256:%s, %" PRIu64
                          " bytes; the manifest is %" PRIu64 " bytes)",
                          tag, hex, r->length, len);
    }
    return 0;
}

int
vg_sign_dct_check(const char *gun, const char *registry, const char *tag, const struct vg_digest *d,
                  uint64_t len, const struct vg_sign_dct_opts *o, struct vg_sign_dct_result *out,
                  struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    if (d->alg != VG_DIGEST_SHA256) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "content trust signs SHA-256 manifests only");
    }
    struct vg_oci_open_opts none = VG_OCI_OPEN_OPTS_INIT;
    const struct vg_oci_open_opts *open = o->open ? o->open : &none;
    struct vg_tuf_notary *n = NULL;
    int rc = notary_open(&n, gun, registry, o, open, err);
    if (rc == 0) {
        rc = find_target(out, n, gun, tag, tag ? NULL : vg_digest_hex(d), tag ? 0 : len, o, err);
    }
    if (rc == 0 && tag && vg_sign_dct_matches(out, d, len, err) < 0) {
        vg_autofree char *e = vg_escape(tag, strlen(tag), 128);
        rc = vg_err_wrap(err, "the manifest of tag %s (%s)", e, d->text);
    }
    vg_tuf_notary_free(n);
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
