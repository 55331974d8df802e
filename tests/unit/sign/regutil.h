/* SPDX-License-Identifier: Apache-2.0
 *
 * An in-process registry for the sign/ flow tests: vigil's own registry server (registry/ on
 * httpd/) on 127.0.0.1 with a free port and a temporary root, an image pushed into it, keys
 * generated on the spot. No network beyond loopback. Repositories named "noref/..." answer 404
 * on the referrers API, like a registry without OCI 1.1 support, so the fallback tag schema is
 * taken.
 */
#ifndef VG_TEST_SIGN_REGUTIL_H
#define VG_TEST_SIGN_REGUTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "../crypto/testutil.h"
#include "httpd/httpd.h"
#include "net/net.h"
#include "registry/registry.h"
#include "sign/sign.h"

struct ru_registry {
    char *root;
    struct vg_registry *reg;
    struct vg_httpd *h;
    char host[32]; /* "127.0.0.1:PORT" */
};

static int
ru_no_referrers(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    static const char body[] = "{\"errors\":[{\"code\":\"NOT_FOUND\",\"message\":\"no API\"}]}";
    return vg_httpd_respond(r, 404, "application/json", body, sizeof(body) - 1, NULL);
}

static inline void
ru_start(struct ru_registry *s)
{
    struct vg_err *err = NULL;
    char tmpl[] = "/tmp/vg-signflow-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    s->root = vg_strdup(tmpl);
    TU_ASSERT_OK(vg_net_init(&err), err);
    TU_ASSERT_OK(vg_crypto_init(&err), err);
    struct vg_registry_opts ro = {.root = s->root};
    TU_ASSERT_OK(vg_registry_new(&s->reg, &ro, &err), err);
    struct vg_httpd_config hc = {.addr = "127.0.0.1:0", .threads = 2, .access_log = "off"};
    s->h = vg_httpd_new(&hc, &err);
    TU_ASSERT_OK(s->h ? 0 : -1, err);
    const struct vg_httpd_handler noref = {
        "noref", "/v2/noref/app/referrers/", VG_HTTP_ANY, ru_no_referrers, NULL, NULL, NULL};
    TU_ASSERT_OK(vg_httpd_route(s->h, &noref, &err), err);
    TU_ASSERT_OK(vg_registry_mount(s->reg, s->h, &err), err);
    TU_ASSERT_OK(vg_httpd_start(s->h, &err), err);
    vg_httpd_set_ready(s->h, true);
    snprintf(s->host, sizeof(s->host), "127.0.0.1:%u", vg_httpd_port(s->h));
}

static inline void
ru_stop(struct ru_registry *s)
{
    (void)vg_httpd_drain(s->h, 5);
    vg_httpd_free(s->h);
    vg_registry_free(s->reg);
    uint64_t n = 0;
    struct vg_err *err = NULL;
    if (vg_remove_tree(s->root, &n, &err) < 0) {
        vg_err_free(&err);
    }
    free(s->root);
}

static inline struct vg_oci_open_opts
ru_open_opts(void)
{
    struct vg_oci_open_opts o = VG_OCI_OPEN_OPTS_INIT;
    o.plain_http = true;
    o.docker_config = "/nonexistent";
    return o;
}

/* Pushes a one-layer image at repo:tag (contents vary with `salt`) and returns its digest. */
static inline struct vg_digest
ru_push_image(const struct ru_registry *s, const char *repo, const char *tag, const char *salt)
{
    struct vg_err *err = NULL;
    vg_autofree char *name = vg_fmt("%s/%s:%s", s->host, repo, tag);
    struct vg_oci_ref *ref = NULL;
    TU_ASSERT_OK(vg_oci_ref_parse(&ref, name, &err), err);
    struct vg_oci_open_opts o = ru_open_opts();
    struct vg_oci_remote_client *c = vg_oci_remote_client_new(ref, &o, &err);
    TU_ASSERT_OK(c ? 0 : -1, err);
    vg_autofree char *layer = vg_fmt("layer %s", salt);
    vg_autofree char *config = vg_fmt("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":"
                                      "{\"Labels\":{\"salt\":\"%s\"}}}",
                                      salt);
    struct vg_digest ld, cd, md;
    vg_digest_of(&ld, VG_DIGEST_SHA256, layer, strlen(layer));
    vg_digest_of(&cd, VG_DIGEST_SHA256, config, strlen(config));
    TU_ASSERT_OK(vg_oci_remote_blob_upload(c, &ld, layer, strlen(layer), NULL, &err), err);
    TU_ASSERT_OK(vg_oci_remote_blob_upload(c, &cd, config, strlen(config), NULL, &err), err);
    vg_autofree char *manifest = vg_fmt(
        "{\"schemaVersion\":2,\"mediaType\":\"" VG_MT_OCI_MANIFEST "\",\"config\":{\"mediaType\":"
        "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},"
        "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":"
        "\"%s\",\"size\":%zu}]}",
        cd.text, strlen(config), ld.text, strlen(layer));
    TU_ASSERT_OK(vg_oci_remote_manifest_put(c, tag, manifest, strlen(manifest), VG_MT_OCI_MANIFEST,
                                            &md, &err),
                 err);
    vg_oci_remote_client_free(c);
    vg_oci_ref_free(ref);
    return md;
}

/* Opens the signing target for repo:tag (repository: NULL or where attachments go). */
static inline struct vg_sign_target *
ru_target(const struct ru_registry *s, const char *repo, const char *tag, const char *repository)
{
    struct vg_err *err = NULL;
    vg_autofree char *name = vg_fmt("%s/%s:%s", s->host, repo, tag);
    struct vg_oci_open_opts o = ru_open_opts();
    struct vg_sign_target *t = NULL;
    TU_ASSERT_OK(vg_sign_target_open(&t, name, &o, repository, &err), err);
    return t;
}

static inline struct vg_crypto_key *
ru_key(void)
{
    struct vg_crypto_key *k = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_crypto_init(&err), err);
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    return k;
}

#endif
