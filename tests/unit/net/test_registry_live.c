/* SPDX-License-Identifier: Apache-2.0
 *
 * The registry client's write and listing calls against a live registry named by
 * $VG_TEST_REGISTRY ("127.0.0.1:PORT", plain HTTP, optional $VG_TEST_REGISTRY_CREDS). Skipped
 * when unset; tests/e2e/test_registry_pull.py runs it against Debian's docker-registry.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "net/net.h"
#include "oci/oci.h"

static struct vg_oci_remote_client *
live_client(const char *repo)
{
    const char *host = getenv("VG_TEST_REGISTRY");
    if (!host || !*host) {
        cr_skip_test("VG_TEST_REGISTRY is not set");
    }
    cr_assert_eq(vg_net_init(NULL), 0);
    char *s = vg_fmt("%s/%s", host, repo);
    struct vg_oci_ref *ref = NULL;
    cr_assert_eq(vg_oci_ref_parse(&ref, s, NULL), 0);
    free(s);
    struct vg_oci_open_opts o = VG_OCI_OPEN_OPTS_INIT;
    o.plain_http = true;
    o.creds = getenv("VG_TEST_REGISTRY_CREDS");
    o.docker_config = "/nonexistent";
    struct vg_err *err = NULL;
    struct vg_oci_remote_client *c = vg_oci_remote_client_new(ref, &o, &err);
    cr_assert_not_null(c, "%s", err ? err->msg : "");
    vg_oci_ref_free(ref);
    return c;
}

static void
must(int rc, struct vg_err **err, const char *what)
{
    if (rc < 0) {
        char *m = vg_err_format(*err);
        cr_assert_fail("%s: %s", what, m);
    }
}

Test(oci_registry_live, push_pull_tags_referrers)
{
    struct vg_oci_remote_client *c = live_client("live/push");
    struct vg_err *err = NULL;
    const char *cfg =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
        "\"diff_ids\":[]}}";
    struct vg_digest cd;
    vg_digest_of(&cd, VG_DIGEST_SHA256, cfg, strlen(cfg));
    bool exists = true;
    must(vg_oci_remote_blob_exists(c, &cd, &exists, NULL, &err), &err, "exists");
    must(vg_oci_remote_blob_upload(c, NULL, cfg, strlen(cfg), NULL, &err), &err, "upload");
    uint64_t size = 0;
    must(vg_oci_remote_blob_exists(c, &cd, &exists, &size, &err), &err, "exists after");
    cr_assert(exists);
    cr_assert_eq(size, strlen(cfg));
    /* Uploading again is a no-op. */
    must(vg_oci_remote_blob_upload(c, &cd, cfg, strlen(cfg), NULL, &err), &err, "re-upload");

    struct vg_buf got = VG_BUF_INIT(1024);
    must(vg_oci_remote_blob_get(c, &cd, &got, &err), &err, "blob get");
    cr_assert_str_eq((char *)got.data, cfg);
    vg_buf_dispose(&got);
    struct vg_buf small = VG_BUF_INIT(10);
    cr_assert_lt(vg_oci_remote_blob_get(c, &cd, &small, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_LIMIT);
    vg_err_free(&err);
    vg_buf_dispose(&small);

    char *man = vg_fmt("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
                       "\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[]}",
                       VG_MT_OCI_MANIFEST, VG_MT_OCI_CONFIG, cd.text, strlen(cfg));
    struct vg_digest md;
    for (int i = 0; i < 3; i++) {
        char tag[16];
        snprintf(tag, sizeof(tag), "t%d", i);
        must(vg_oci_remote_manifest_put(c, tag, man, strlen(man), VG_MT_OCI_MANIFEST, &md, &err),
             &err, "put");
    }
    struct vg_oci_remote_manifest m;
    must(vg_oci_remote_manifest_get(c, "t1", &m, &err), &err, "get");
    cr_assert_eq(m.len, strlen(man));
    cr_assert(vg_digest_eq(&m.digest, &md));
    cr_assert_str_eq(m.media_type, VG_MT_OCI_MANIFEST);
    vg_oci_remote_manifest_dispose(&m);
    must(vg_oci_remote_manifest_get(c, md.text, &m, &err), &err, "get by digest");
    vg_oci_remote_manifest_dispose(&m);
    struct vg_digest hd;
    char *mt = NULL;
    must(vg_oci_remote_manifest_head(c, "t2", &hd, &mt, &err), &err, "head");
    cr_assert(vg_digest_eq(&hd, &md));
    free(mt);
    cr_assert_lt(vg_oci_remote_manifest_head(c, "absent", &hd, NULL, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);

    char **tags = NULL;
    size_t n = 0;
    must(vg_oci_remote_tags_list(c, &tags, &n, &err), &err, "tags");
    cr_assert_eq(n, 3);
    cr_assert_str_eq(tags[0], "t0");
    cr_assert_str_eq(tags[2], "t2");
    vg_strv_free(tags, n);

    /* docker-registry 2.8 has no referrers API: the tag-schema fallback answers. */
    struct vg_buf idx = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    bool fallback = false;
    must(vg_oci_remote_referrers(c, &md, "application/vnd.dev.cosign", &idx, &fallback, &err), &err,
         "referrers");
    cr_assert(fallback);
    cr_assert_not_null(strstr((char *)idx.data, "\"manifests\":[]"));
    vg_buf_dispose(&idx);
    char *fb_tag = vg_fmt("sha256-%s", vg_digest_hex(&md));
    must(vg_oci_remote_manifest_put(c, fb_tag, man, strlen(man), VG_MT_OCI_MANIFEST, &md, &err),
         &err, "put fallback tag");
    idx = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    must(vg_oci_remote_referrers(c, &md, NULL, &idx, &fallback, &err), &err, "referrers 2");
    cr_assert_str_eq((char *)idx.data, man);
    vg_buf_dispose(&idx);
    free(fb_tag);
    free(man);
    vg_oci_remote_client_free(c);
}

Test(oci_registry_live, cross_repo_mount)
{
    struct vg_oci_remote_client *c = live_client("live/mount-target");
    struct vg_err *err = NULL;
    const char *blob =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
        "\"diff_ids\":[]}}";
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, blob, strlen(blob));
    must(vg_oci_remote_blob_upload(c, &d, blob, strlen(blob), "live/push", &err), &err, "mount");
    bool exists = false;
    must(vg_oci_remote_blob_exists(c, &d, &exists, NULL, &err), &err, "exists");
    cr_assert(exists);
    vg_oci_remote_client_free(c);
}

/* The batch gives every read what the single call gives: results, errors and their codes (with
 * credentials, the first round is refused and the single calls answer the challenge). */
Test(oci_registry_live, get_many_matches_single_calls)
{
    struct vg_oci_remote_client *c = live_client("live/many");
    struct vg_err *err = NULL;
    const char *cfg =
        "{\"architecture\":\"arm64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
        "\"diff_ids\":[]}}";
    struct vg_digest cd, md, absent;
    vg_digest_of(&cd, VG_DIGEST_SHA256, cfg, strlen(cfg));
    vg_digest_of(&absent, VG_DIGEST_SHA256, "absent", 6);
    must(vg_oci_remote_blob_upload(c, &cd, cfg, strlen(cfg), NULL, &err), &err, "upload");
    char *man = vg_fmt("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
                       "\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[]}",
                       VG_MT_OCI_MANIFEST, VG_MT_OCI_CONFIG, cd.text, strlen(cfg));
    must(vg_oci_remote_manifest_put(c, "v1", man, strlen(man), VG_MT_OCI_MANIFEST, &md, &err), &err,
         "put");
    struct vg_oci_remote_get g[] = {
        {.kind = VG_OCI_REMOTE_GET_MANIFEST, .reference = "v1"},
        {.kind = VG_OCI_REMOTE_GET_MANIFEST, .reference = "absent"},
        {.kind = VG_OCI_REMOTE_GET_MANIFEST, .reference = "../up"},
        {.kind = VG_OCI_REMOTE_GET_BLOB, .digest = cd, .out = VG_BUF_INIT(1024)},
        {.kind = VG_OCI_REMOTE_GET_BLOB, .digest = cd, .out = VG_BUF_INIT(10)},
        {.kind = VG_OCI_REMOTE_GET_BLOB, .digest = absent, .out = VG_BUF_INIT(1024)},
        {.kind = VG_OCI_REMOTE_GET_REFERRERS, .digest = md, .out = VG_BUF_INIT(1 << 20)},
        {.kind = VG_OCI_REMOTE_GET_MANIFEST, .reference = md.text},
    };
    size_t n = sizeof(g) / sizeof(g[0]);
    vg_oci_remote_get_many(c, g, n);
    cr_assert_eq(g[0].rc, 0);
    cr_assert(vg_digest_eq(&g[0].manifest.digest, &md));
    cr_assert_str_eq(g[0].manifest.media_type, VG_MT_OCI_MANIFEST);
    cr_assert_lt(g[1].rc, 0);
    cr_assert_eq(vg_err_root_code(g[1].err), VG_E_NOTFOUND);
    cr_assert_lt(g[2].rc, 0);
    cr_assert_eq(vg_err_root_code(g[2].err), VG_E_USAGE);
    cr_assert_eq(g[3].rc, 0);
    cr_assert_eq(g[3].out.len, strlen(cfg));
    cr_assert_eq(memcmp(g[3].out.data, cfg, g[3].out.len), 0);
    cr_assert_lt(g[4].rc, 0);
    cr_assert_eq(vg_err_root_code(g[4].err), VG_E_LIMIT);
    cr_assert_lt(g[5].rc, 0);
    cr_assert_eq(vg_err_root_code(g[5].err), VG_E_NOTFOUND);
    cr_assert_eq(g[6].rc, 0);
    cr_assert(g[6].fallback, "docker-registry 2.8 has no referrers API");
    cr_assert_not_null(strstr((char *)g[6].out.data, "\"manifests\":[]"));
    cr_assert_eq(g[7].rc, 0, "by digest");
    for (size_t i = 0; i < n; i++) {
        vg_oci_remote_get_dispose(&g[i]);
    }
    free(man);
    vg_oci_remote_client_free(c);
}
