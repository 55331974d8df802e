/* SPDX-License-Identifier: Apache-2.0
 *
 * sign/flow.c against an in-process registry (regutil.h): resolving targets (tags, digests,
 * docker://, missing images, child targets), where attachments go (repository argument,
 * $VIGIL_REPOSITORY over $COSIGN_REPOSITORY, refused tag or digest), the legacy `.sig`
 * read-modify-write (an equivalent signature is not added twice, another key's is), `.att`
 * appends with and without --replace, predicate-type errors, and the bundle layout with the
 * referrers API and with the fallback tag schema index.
 */
#include "regutil.h"

static struct ru_registry S;

static void
setup(void)
{
    ru_start(&S);
    unsetenv("VIGIL_REPOSITORY");
    unsetenv("COSIGN_REPOSITORY");
}

static void
teardown(void)
{
    ru_stop(&S);
}

TestSuite(sign_flow, .init = setup, .fini = teardown, .timeout = 60);

static struct vg_sign_push_result
sign_with(const struct vg_sign_target *t, const struct vg_crypto_key *k, bool bundle,
          const struct vg_sign_kv *ann, size_t n)
{
    struct vg_sign_push_opts o = {
        .key = k, .annotations = ann, .nannotations = n, .bundle = bundle, .now = 1700000000};
    struct vg_sign_push_result r;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_target_sign(t, &o, &r, &err), err);
    return r;
}

static struct vg_sign_push_result
attest_with(const struct vg_sign_target *t, const struct vg_crypto_key *k, bool bundle,
            const char *type, const char *predicate, bool replace)
{
    struct vg_sign_push_opts o = {.key = k,
                                  .bundle = bundle,
                                  .now = 1700000000,
                                  .type = type,
                                  .predicate = predicate,
                                  .predicate_len = strlen(predicate),
                                  .replace = replace};
    struct vg_sign_push_result r;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_target_attest(t, &o, &r, &err), err);
    return r;
}

/* The `.sig`/`.att` image at the target's tag in client c (empty when the tag is absent). */
static struct vg_sign_sig_image *
read_tag_image(struct vg_oci_remote_client *c, const struct vg_sign_target *t, const char *suffix)
{
    vg_autofree char *tag = vg_sign_tag(&t->digest, suffix);
    struct vg_oci_remote_manifest m = {0};
    struct vg_err *err = NULL;
    struct vg_sign_sig_image *img = NULL;
    if (vg_oci_remote_manifest_get(c, tag, &m, &err) < 0) {
        cr_assert_eq(vg_err_root_code(err), VG_E_NOTFOUND);
        vg_err_free(&err);
        return vg_sign_sig_image_new();
    }
    TU_ASSERT_OK(vg_sign_sig_image_parse(&img, m.data, m.len, &err), err);
    vg_oci_remote_manifest_dispose(&m);
    return img;
}

static size_t
count_predicate(const struct vg_sign_sig_image *img, const char *uri)
{
    size_t n = 0;
    for (size_t i = 0; i < img->n; i++) {
        const char *pt = vg_sign_sig_entry_annotation(&img->layers[i], "predicateType");
        n += pt && strcmp(pt, uri) == 0;
    }
    return n;
}

static int
verify_one(const struct vg_sign_target *t, const struct vg_crypto_key *k, size_t *nverified,
           struct vg_err **err)
{
    const struct vg_crypto_key *keys[] = {k};
    struct vg_sign_check_opts o = {.keys = keys, .nkeys = 1, .check_claims = true};
    struct vg_sign_check_result res;
    int rc = vg_sign_target_verify(t, &o, &res, err);
    *nverified = res.nverified;
    vg_sign_check_result_dispose(&res);
    return rc;
}

/* ---------------------------------------------------------------- targets */

Test(sign_flow, target_resolution)
{
    struct vg_digest d = ru_push_image(&S, "t/app", "v1", "a");
    struct vg_err *err = NULL;
    struct vg_oci_open_opts o = ru_open_opts();
    /* By tag, by digest, with docker:// in front: the same manifest digest and bytes. */
    vg_autofree char *by_tag = vg_fmt("%s/t/app:v1", S.host);
    vg_autofree char *by_digest = vg_fmt("docker://%s/t/app@%s", S.host, d.text);
    struct vg_sign_target *a = NULL, *b = NULL;
    TU_ASSERT_OK(vg_sign_target_open(&a, by_tag, &o, NULL, &err), err);
    TU_ASSERT_OK(vg_sign_target_open(&b, by_digest, &o, NULL, &err), err);
    cr_assert(vg_digest_eq(&a->digest, &d) && vg_digest_eq(&b->digest, &d));
    cr_assert_eq(a->manifest_len, b->manifest_len);
    cr_assert_eq(a->size, a->manifest_len);
    cr_assert_eq(memcmp(a->manifest, b->manifest, a->manifest_len), 0);
    cr_assert_str_eq(a->media_type, VG_MT_OCI_MANIFEST);
    vg_autofree char *name = vg_fmt("%s/t/app", S.host);
    cr_assert_str_eq(a->name, name);
    cr_assert_str_eq(a->store_name, name);
    cr_assert_str_eq(a->docker_reference, name); /* only docker.io is rewritten */
    cr_assert_eq(a->store, a->images);
    vg_sign_target_free(a);
    vg_sign_target_free(b);
    /* A tag that does not exist. */
    vg_autofree char *missing = vg_fmt("%s/t/app:nope", S.host);
    struct vg_sign_target *c = NULL;
    cr_assert_lt(vg_sign_target_open(&c, missing, &o, NULL, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
    cr_assert_null(c);
    /* Not a reference at all. */
    cr_assert_lt(vg_sign_target_open(&c, "UPPER/Case::", &o, NULL, &err), 0);
    vg_err_free(&err);
}

Test(sign_flow, repository_from_environment)
{
    cr_assert_null(vg_sign_repository_env());
    setenv("COSIGN_REPOSITORY", "example.com/cosign", 1);
    cr_assert_str_eq(vg_sign_repository_env(), "example.com/cosign");
    setenv("VIGIL_REPOSITORY", "example.com/vigil", 1);
    cr_assert_str_eq(vg_sign_repository_env(), "example.com/vigil");
    setenv("VIGIL_REPOSITORY", "", 1); /* empty counts as unset */
    cr_assert_str_eq(vg_sign_repository_env(), "example.com/cosign");
    unsetenv("COSIGN_REPOSITORY");
    cr_assert_null(vg_sign_repository_env());
}

static void
signatures_elsewhere(bool from_env)
{
    ru_push_image(&S, "t/app", "v1", "b");
    vg_autofree char *sigs = vg_fmt("%s/t/sigs", S.host);
    if (from_env) {
        setenv("COSIGN_REPOSITORY", sigs, 1);
    }
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", from_env ? NULL : sigs);
    cr_assert_str_eq(t->store_name, sigs);
    cr_assert_neq(t->store, t->images);
    vg_autokey struct vg_crypto_key *k = ru_key();
    struct vg_sign_push_result r = sign_with(t, k, false, NULL, 0);
    vg_autofree char *tag = vg_sign_tag(&t->digest, ".sig");
    vg_autofree char *where = vg_fmt("%s:%s", sigs, tag);
    cr_assert_str_eq(r.location, where);
    vg_sign_push_result_dispose(&r);
    /* The layer is in the signature repository, not next to the image. */
    struct vg_sign_sig_image *img = read_tag_image(t->store, t, ".sig");
    cr_assert_eq(img->n, 1);
    vg_sign_sig_image_free(img);
    img = read_tag_image(t->images, t, ".sig");
    cr_assert_eq(img->n, 0);
    vg_sign_sig_image_free(img);
    size_t nv = 0;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(verify_one(t, k, &nv, &err), err);
    cr_assert_eq(nv, 1);
    vg_sign_target_free(t);
    /* Looking next to the image finds nothing. */
    unsetenv("COSIGN_REPOSITORY");
    t = ru_target(&S, "t/app", "v1", NULL);
    cr_assert_lt(verify_one(t, k, &nv, &err), 0);
    cr_assert(tu_err_contains(err, "no signatures found"));
    vg_err_free(&err);
    vg_sign_target_free(t);
}

Test(sign_flow, signature_repository_argument)
{
    signatures_elsewhere(false);
}

Test(sign_flow, signature_repository_environment)
{
    signatures_elsewhere(true);
}

Test(sign_flow, signature_repository_with_tag_or_digest)
{
    struct vg_digest d = ru_push_image(&S, "t/app", "v1", "c");
    struct vg_oci_open_opts o = ru_open_opts();
    vg_autofree char *image = vg_fmt("%s/t/app:v1", S.host);
    vg_autofree char *with_tag = vg_fmt("%s/t/sigs:latest", S.host);
    vg_autofree char *with_digest = vg_fmt("%s/t/sigs@%s", S.host, d.text);
    const char *bad[] = {with_tag, with_digest};
    for (size_t i = 0; i < 2; i++) {
        struct vg_sign_target *t = NULL;
        struct vg_err *err = NULL;
        cr_assert_lt(vg_sign_target_open(&t, image, &o, bad[i], &err), 0);
        cr_assert(vg_err_is(err, VG_E_USAGE), "%s", vg_err_format(err));
        cr_assert(tu_err_contains(err, "must not have a tag or digest"));
        vg_err_free(&err);
    }
}

Test(sign_flow, child_target_shares_clients)
{
    ru_push_image(&S, "t/app", "v1", "d");
    struct vg_digest cd = ru_push_image(&S, "t/app", "child", "d-child");
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", NULL);
    struct vg_oci_desc desc = {.digest = cd, .size = 123};
    struct vg_sign_target *c = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_target_child(&c, t, &desc, &err), err);
    cr_assert(c->borrowed);
    cr_assert_eq(c->store, t->store);
    cr_assert(vg_digest_eq(&c->digest, &cd));
    cr_assert_str_eq(c->media_type, VG_MT_OCI_MANIFEST);
    cr_assert_eq(c->size, 123);
    cr_assert_str_eq(c->docker_reference, t->docker_reference);
    vg_autokey struct vg_crypto_key *k = ru_key();
    struct vg_sign_push_result r = sign_with(t, k, false, NULL, 0);
    vg_sign_push_result_dispose(&r);
    r = sign_with(c, k, false, NULL, 0);
    vg_sign_push_result_dispose(&r);
    /* Each target has its own `.sig` tag with its own digest in the payload. */
    struct vg_sign_sig_image *img = read_tag_image(t->store, c, ".sig");
    cr_assert_eq(img->n, 1);
    vg_sign_sig_image_free(img);
    size_t nv = 0;
    TU_ASSERT_OK(verify_one(c, k, &nv, &err), err);
    TU_ASSERT_OK(verify_one(t, k, &nv, &err), err);
    vg_sign_target_free(c); /* the clients stay with the parent */
    TU_ASSERT_OK(verify_one(t, k, &nv, &err), err);
    vg_sign_target_free(t);
}

/* ---------------------------------------------------------------- legacy layout */

Test(sign_flow, legacy_signature_added_once_per_key)
{
    ru_push_image(&S, "t/app", "v1", "e");
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", NULL);
    vg_autokey struct vg_crypto_key *k1 = ru_key();
    vg_autokey struct vg_crypto_key *k2 = ru_key();
    const struct vg_sign_kv ann[] = {{"env", "prod"}};
    struct vg_sign_push_result r = sign_with(t, k1, false, ann, 1);
    vg_autofree char *tag = vg_sign_tag(&t->digest, ".sig");
    vg_autofree char *where = vg_fmt("%s:%s", t->store_name, tag);
    cr_assert_str_eq(r.location, where);
    cr_assert(r.appended && !r.fallback);
    cr_assert_eq(r.retries, 0);
    vg_sign_push_result_dispose(&r);
    /* The same payload signed again with the same key (ECDSA: other signature bytes) is
     * already there. */
    r = sign_with(t, k1, false, ann, 1);
    cr_assert(!r.appended);
    cr_assert_str_eq(r.location, where);
    vg_sign_push_result_dispose(&r);
    struct vg_sign_sig_image *img = read_tag_image(t->store, t, ".sig");
    cr_assert_eq(img->n, 1);
    cr_assert_str_eq(img->layers[0].media_type, VG_SIGN_MT_SIMPLESIGNING);
    vg_sign_sig_image_free(img);
    /* Another key, or other annotations (another payload), add a layer. */
    r = sign_with(t, k2, false, ann, 1);
    cr_assert(r.appended);
    vg_sign_push_result_dispose(&r);
    r = sign_with(t, k1, false, NULL, 0);
    cr_assert(r.appended);
    vg_sign_push_result_dispose(&r);
    img = read_tag_image(t->store, t, ".sig");
    cr_assert_eq(img->n, 3);
    /* The layer's blob is the payload, with the annotation signed into it. */
    vg_autobuf struct vg_buf blob = VG_BUF_INIT(VG_LIMIT_PAYLOAD_BYTES);
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_oci_remote_blob_get(t->store, &img->layers[0].digest, &blob, &err), err);
    TU_ASSERT_OK(vg_buf_append(&blob, "", 1, &err), err);
    cr_assert(strstr((char *)blob.data, "\"optional\":{\"env\":\"prod\"}") != NULL, "%s",
              (char *)blob.data);
    vg_sign_sig_image_free(img);
    vg_sign_target_free(t);
}

Test(sign_flow, legacy_attestations_and_replace)
{
    ru_push_image(&S, "t/app", "v1", "f");
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", NULL);
    vg_autokey struct vg_crypto_key *k = ru_key();
    const char *custom = vg_sign_predicate_type("custom");
    const char *spdx = vg_sign_predicate_type("spdxjson");
    struct vg_sign_push_result r = attest_with(t, k, false, "custom", "one", false);
    vg_autofree char *tag = vg_sign_tag(&t->digest, ".att");
    vg_autofree char *where = vg_fmt("%s:%s", t->store_name, tag);
    cr_assert_str_eq(r.location, where);
    vg_sign_push_result_dispose(&r);
    r = attest_with(t, k, false, "custom", "two", false);
    vg_sign_push_result_dispose(&r);
    r = attest_with(t, k, false, "spdxjson", "{\"spdxVersion\":\"SPDX-2.3\"}", false);
    vg_sign_push_result_dispose(&r);
    struct vg_sign_sig_image *img = read_tag_image(t->store, t, ".att");
    cr_assert_eq(img->n, 3);
    cr_assert_eq(count_predicate(img, custom), 2);
    cr_assert_str_eq(img->layers[0].media_type, VG_SIGN_MT_DSSE);
    vg_sign_sig_image_free(img);
    /* --replace drops the older layers of its own predicate type only. */
    r = attest_with(t, k, false, "custom", "three", true);
    cr_assert(r.appended);
    vg_sign_push_result_dispose(&r);
    img = read_tag_image(t->store, t, ".att");
    cr_assert_eq(img->n, 2);
    cr_assert_eq(count_predicate(img, custom), 1);
    cr_assert_eq(count_predicate(img, spdx), 1);
    vg_sign_sig_image_free(img);
    /* Attestations never touch the `.sig` tag. */
    img = read_tag_image(t->store, t, ".sig");
    cr_assert_eq(img->n, 0);
    vg_sign_sig_image_free(img);
    vg_sign_target_free(t);
}

Test(sign_flow, attestation_type_errors)
{
    ru_push_image(&S, "t/app", "v1", "g");
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", NULL);
    vg_autokey struct vg_crypto_key *k = ru_key();
    const char *types[] = {"no-such-type", NULL};
    for (size_t i = 0; i < 2; i++) {
        for (int bundle = 0; bundle < 2; bundle++) {
            struct vg_sign_push_opts o = {
                .key = k, .type = types[i], .predicate = "x", .predicate_len = 1, .bundle = bundle};
            struct vg_sign_push_result r;
            struct vg_err *err = NULL;
            cr_assert_lt(vg_sign_target_attest(t, &o, &r, &err), 0);
            cr_assert(vg_err_is(err, VG_E_USAGE));
            cr_assert(tu_err_contains(err, "unknown predicate type"));
            cr_assert_null(r.location);
            vg_err_free(&err);
        }
    }
    /* A custom predicate is text; spdxjson must be JSON. */
    struct vg_sign_push_opts o = {
        .key = k, .type = "spdxjson", .predicate = "not json", .predicate_len = 8};
    struct vg_sign_push_result r;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_sign_target_attest(t, &o, &r, &err), 0);
    cr_assert_null(r.location);
    vg_err_free(&err);
    struct vg_sign_sig_image *img = read_tag_image(t->store, t, ".att");
    cr_assert_eq(img->n, 0);
    vg_sign_sig_image_free(img);
    vg_sign_target_free(t);
}

/* ---------------------------------------------------------------- bundle layout */

/* The referrer manifests listed for the target (through the API or the fallback tag). */
static size_t
referrers_listing(const struct vg_sign_target *t, const struct vg_digest *want, bool *fallback,
                  bool *listed)
{
    vg_autobuf struct vg_buf out = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_oci_remote_referrers(t->store, &t->digest, NULL, &out, fallback, &err), err);
    struct vg_oci_manifest *idx = NULL;
    TU_ASSERT_OK(vg_oci_manifest_parse(&idx, out.data, out.len, VG_MT_OCI_INDEX, &err), err);
    *listed = false;
    for (size_t i = 0; i < idx->nmanifests; i++) {
        *listed |= vg_digest_eq(&idx->manifests[i].digest, want);
    }
    size_t n = idx->nmanifests;
    vg_oci_manifest_free(idx);
    return n;
}

static void
bundle_push_cases(const char *repo, bool fallback)
{
    ru_push_image(&S, repo, "v1", repo);
    struct vg_sign_target *t = ru_target(&S, repo, "v1", NULL);
    vg_autokey struct vg_crypto_key *k = ru_key();
    struct vg_sign_push_result r = sign_with(t, k, true, NULL, 0);
    cr_assert(r.appended);
    cr_assert_eq(r.fallback, fallback);
    vg_autofree char *where = vg_fmt("%s@%s", t->store_name, r.manifest.text);
    cr_assert_str_eq(r.location, where);
    bool fb = false, listed = false;
    cr_assert_eq(referrers_listing(t, &r.manifest, &fb, &listed), 1);
    cr_assert(listed);
    cr_assert_eq(fb, fallback);
    /* The referrer manifest: subject = the image, one bundle layer, predicate-type hint. */
    struct vg_oci_remote_manifest m = {0};
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_oci_remote_manifest_get(t->store, r.manifest.text, &m, &err), err);
    vg_autofree char *text = vg_strndup((const char *)m.data, m.len);
    vg_oci_remote_manifest_dispose(&m);
    const char *subject = strstr(text, "\"subject\":{");
    cr_assert(subject && strstr(subject, t->digest.text) != NULL, "%s", text);
    cr_assert(strstr(text, VG_SIGN_MT_BUNDLE_V03) != NULL, "%s", text);
    cr_assert(strstr(text, VG_SIGN_PREDICATE_SIGN) != NULL, "%s", text);
    vg_sign_push_result_dispose(&r);
    /* Without the API the fallback tag holds the index; with it, the tag is never written. */
    vg_autofree char *tag = vg_sign_tag(&t->digest, "");
    int rc = vg_oci_remote_manifest_get(t->store, tag, &m, &err);
    if (fallback) {
        TU_ASSERT_OK(rc, err);
        vg_oci_remote_manifest_dispose(&m);
    } else {
        cr_assert_lt(rc, 0);
        cr_assert_eq(vg_err_root_code(err), VG_E_NOTFOUND);
        vg_err_free(&err);
    }
    /* A second bundle (an attestation) is added next to the first. */
    r = attest_with(t, k, true, "custom", "predicate", false);
    cr_assert_eq(r.fallback, fallback);
    cr_assert_eq(referrers_listing(t, &r.manifest, &fb, &listed), 2);
    cr_assert(listed);
    vg_sign_push_result_dispose(&r);
    /* Bundles never touch the legacy tags. */
    struct vg_sign_sig_image *img = read_tag_image(t->store, t, ".sig");
    cr_assert_eq(img->n, 0);
    vg_sign_sig_image_free(img);
    size_t nv = 0;
    TU_ASSERT_OK(verify_one(t, k, &nv, &err), err);
    cr_assert_eq(nv, 1);
    vg_sign_target_free(t);
}

Test(sign_flow, bundle_with_referrers_api)
{
    bundle_push_cases("t/app", false);
}

Test(sign_flow, bundle_with_fallback_index)
{
    bundle_push_cases("noref/app", true);
}
