/* SPDX-License-Identifier: Apache-2.0
 *
 * sign/check.c against an in-process registry (regutil.h): the verification decisions of
 * vg_sign_target_verify over legacy `.sig` layers and cosign 3 bundle referrers — a good
 * signature, the wrong key, a tampered payload, a payload naming another digest or repository,
 * required annotations present, different or missing, key thresholds (duplicate keys count
 * once), bundles through the referrers API and through the fallback tag, attestations chosen
 * by predicate type, unusable bundles next to good ones — and vigil tree's listing.
 */
#include "regutil.h"

static struct ru_registry S;

static void
setup(void)
{
    ru_start(&S);
}

static void
teardown(void)
{
    ru_stop(&S);
}

TestSuite(sign_check, .init = setup, .fini = teardown, .timeout = 60);

/* ---------------------------------------------------------------- helpers */

static void
sign_with(const struct vg_sign_target *t, const struct vg_crypto_key *k, bool bundle,
          const struct vg_sign_kv *ann, size_t n)
{
    struct vg_sign_push_opts o = {
        .key = k, .annotations = ann, .nannotations = n, .bundle = bundle, .now = 1700000000};
    struct vg_sign_push_result r;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_target_sign(t, &o, &r, &err), err);
    cr_assert(r.appended);
    vg_sign_push_result_dispose(&r);
}

static void
attest_with(const struct vg_sign_target *t, const struct vg_crypto_key *k, bool bundle,
            const char *type, const char *predicate)
{
    struct vg_sign_push_opts o = {.key = k,
                                  .bundle = bundle,
                                  .now = 1700000000,
                                  .type = type,
                                  .predicate = predicate,
                                  .predicate_len = strlen(predicate)};
    struct vg_sign_push_result r;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_target_attest(t, &o, &r, &err), err);
    vg_sign_push_result_dispose(&r);
}

/* Appends a hand-made layer to the target's `.sig` image, bypassing the signing flow. */
static void
push_layer(const struct vg_sign_target *t, const struct vg_sign_layer *l)
{
    struct vg_err *err = NULL;
    vg_autofree char *tag = vg_sign_tag(&t->digest, ".sig");
    struct vg_oci_remote_manifest cur = {0};
    struct vg_sign_sig_image *img = NULL;
    if (vg_oci_remote_manifest_get(t->store, tag, &cur, &err) < 0) {
        cr_assert_eq(vg_err_root_code(err), VG_E_NOTFOUND);
        vg_err_free(&err);
        img = vg_sign_sig_image_new();
    } else {
        TU_ASSERT_OK(vg_sign_sig_image_parse(&img, cur.data, cur.len, &err), err);
    }
    vg_oci_remote_manifest_dispose(&cur);
    bool appended = false;
    TU_ASSERT_OK(vg_sign_sig_image_append(img, l, &appended, &err), err);
    cr_assert(appended);
    vg_autobuf struct vg_buf config = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    vg_autobuf struct vg_buf manifest = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    TU_ASSERT_OK(vg_sign_sig_image_render(img, &config, &manifest, &err), err);
    vg_sign_sig_image_free(img);
    struct vg_digest cd, put;
    vg_digest_of(&cd, VG_DIGEST_SHA256, config.data, config.len);
    TU_ASSERT_OK(
        vg_oci_remote_blob_upload(t->store, &l->digest, l->payload, l->payload_len, NULL, &err),
        err);
    TU_ASSERT_OK(vg_oci_remote_blob_upload(t->store, &cd, config.data, config.len, NULL, &err),
                 err);
    TU_ASSERT_OK(vg_oci_remote_manifest_put(t->store, tag, manifest.data, manifest.len,
                                            VG_MT_OCI_MANIFEST, &put, &err),
                 err);
}

/* A signed simple-signing layer for (docker_reference, digest), optionally with its payload
 * changed after signing (the blob digest then matches the changed bytes, the signature not). */
static void
make_layer(struct vg_sign_layer *l, const struct vg_crypto_key *k, const char *docker_reference,
           const struct vg_digest *d, bool tamper)
{
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_image_payload(l, k, docker_reference, d, NULL, 0, &err), err);
    if (tamper) {
        char *p = strstr(l->payload, "container image signature");
        cr_assert_not_null(p);
        p[0] = 'C'; /* same length, same JSON, other bytes */
        vg_digest_of(&l->digest, VG_DIGEST_SHA256, l->payload, l->payload_len);
    }
}

struct vopts {
    const struct vg_crypto_key *const *keys;
    size_t nkeys, threshold;
    const struct vg_sign_kv *ann;
    size_t nann;
    bool no_claims, check_reference;
    const char *att_type;
};

static int
verify(const struct vg_sign_target *t, const struct vopts *v, struct vg_sign_check_result *res,
       struct vg_err **err)
{
    struct vg_sign_check_opts o = {.keys = v->keys,
                                   .nkeys = v->nkeys,
                                   .threshold = v->threshold,
                                   .annotations = v->ann,
                                   .nannotations = v->nann,
                                   .check_claims = !v->no_claims,
                                   .check_reference = v->check_reference,
                                   .att_type = v->att_type};
    return vg_sign_target_verify(t, &o, res, err);
}

/* Verifies with one key and the given options; returns rc, checks the shape of the result. */
static int
verify1(const struct vg_sign_target *t, const struct vg_crypto_key *k, struct vopts v,
        size_t want_items, struct vg_err **err)
{
    v.keys = &k;
    v.nkeys = 1;
    struct vg_sign_check_result res;
    int rc = verify(t, &v, &res, err);
    cr_assert_eq(res.n, want_items, "%zu items", res.n);
    for (size_t i = 0; i < res.n; i++) {
        cr_assert_eq(res.items[i].verified, res.items[i].error == NULL);
        cr_assert_eq(res.items[i].verified, res.items[i].output != NULL);
    }
    cr_assert_eq(rc == 0, res.nverified > 0);
    vg_sign_check_result_dispose(&res);
    return rc;
}

static void
expect_verify_error(struct vg_err **err, const char *needle)
{
    cr_assert(vg_err_is(*err, VG_E_VERIFY));
    cr_assert(tu_err_contains(*err, needle), "%s", vg_err_format(*err));
    vg_err_free(err);
}

/* ---------------------------------------------------------------- legacy signatures */

Test(sign_check, good_signature_and_wrong_key)
{
    struct vg_digest d = ru_push_image(&S, "t/app", "v1", "a");
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", NULL);
    cr_assert(vg_digest_eq(&t->digest, &d));
    vg_autokey struct vg_crypto_key *k1 = ru_key();
    vg_autokey struct vg_crypto_key *k2 = ru_key();
    sign_with(t, k1, false, NULL, 0);

    const struct vg_crypto_key *keys[] = {k1};
    struct vopts v = {.keys = keys, .nkeys = 1, .check_reference = true};
    struct vg_sign_check_result res;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(verify(t, &v, &res, &err), err);
    cr_assert_eq(res.n, 1);
    cr_assert_eq(res.nverified, 1);
    cr_assert_eq(res.keys_ok, 1);
    const struct vg_sign_check_item *it = &res.items[0];
    cr_assert(it->verified && !it->bundle && !it->error);
    cr_assert_eq(it->keys_ok, 1);
    /* The legacy output is the payload exactly as signed. */
    cr_assert_str_eq(it->output, it->payload);
    cr_assert(strstr(it->payload, d.text) != NULL, "%s", it->payload);
    cr_assert(strstr(it->where, ".sig layer 0") != NULL, "%s", it->where);
    vg_sign_check_result_dispose(&res);

    cr_assert_lt(verify1(t, k2, (struct vopts){0}, 1, &err), 0);
    expect_verify_error(&err, "none of 1 verified");
    vg_sign_target_free(t);
}

Test(sign_check, tampered_payload)
{
    ru_push_image(&S, "t/app", "v1", "b");
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", NULL);
    vg_autokey struct vg_crypto_key *k = ru_key();
    struct vg_sign_layer l = {0};
    make_layer(&l, k, t->docker_reference, &t->digest, true);
    push_layer(t, &l);
    vg_sign_layer_dispose(&l);
    struct vg_err *err = NULL;
    cr_assert_lt(verify1(t, k, (struct vopts){0}, 1, &err), 0);
    expect_verify_error(&err, "no matching signatures");
    /* Without claim checks too: the signature itself does not hold. */
    cr_assert_lt(verify1(t, k, (struct vopts){.no_claims = true}, 1, &err), 0);
    vg_err_free(&err);
    /* The same layer untampered, added next to it, verifies (the helper is not the cause). */
    make_layer(&l, k, t->docker_reference, &t->digest, false);
    push_layer(t, &l);
    vg_sign_layer_dispose(&l);
    TU_ASSERT_OK(verify1(t, k, (struct vopts){0}, 2, &err), err);
    vg_sign_target_free(t);
}

Test(sign_check, payload_for_another_digest)
{
    ru_push_image(&S, "t/app", "v1", "c");
    struct vg_digest other = ru_push_image(&S, "t/app", "v2", "c2");
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", NULL);
    cr_assert(!vg_digest_eq(&t->digest, &other));
    vg_autokey struct vg_crypto_key *k = ru_key();
    struct vg_sign_layer l = {0};
    make_layer(&l, k, t->docker_reference, &other, false);
    push_layer(t, &l);
    vg_sign_layer_dispose(&l);
    struct vg_err *err = NULL;
    cr_assert_lt(verify1(t, k, (struct vopts){0}, 1, &err), 0);
    expect_verify_error(&err, "none of 1 verified");
    /* The signature is good: only the claim check refuses it. */
    TU_ASSERT_OK(verify1(t, k, (struct vopts){.no_claims = true}, 1, &err), err);
    vg_sign_target_free(t);
}

Test(sign_check, payload_for_another_repository)
{
    ru_push_image(&S, "t/app", "v1", "d");
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", NULL);
    vg_autokey struct vg_crypto_key *k = ru_key();
    struct vg_sign_layer l = {0};
    make_layer(&l, k, "registry.example/other/app", &t->digest, false);
    push_layer(t, &l);
    vg_sign_layer_dispose(&l);
    struct vg_err *err = NULL;
    cr_assert_lt(verify1(t, k, (struct vopts){.check_reference = true}, 1, &err), 0);
    expect_verify_error(&err, "none of 1 verified");
    /* cosign does not compare the reference unless asked. */
    TU_ASSERT_OK(verify1(t, k, (struct vopts){0}, 1, &err), err);
    vg_sign_target_free(t);
}

static void
annotation_cases(bool bundle)
{
    ru_push_image(&S, "t/app", "v1", bundle ? "eb" : "e");
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", NULL);
    vg_autokey struct vg_crypto_key *k = ru_key();
    const struct vg_sign_kv signed_ann[] = {{"env", "prod"}, {"team", "a"}};
    sign_with(t, k, bundle, signed_ann, 2);
    struct vg_err *err = NULL;
    /* All, a subset (the payload may carry more than asked) and none. */
    TU_ASSERT_OK(verify1(t, k, (struct vopts){.ann = signed_ann, .nann = 2}, 1, &err), err);
    const struct vg_sign_kv env_prod[] = {{"env", "prod"}};
    TU_ASSERT_OK(verify1(t, k, (struct vopts){.ann = env_prod, .nann = 1}, 1, &err), err);
    TU_ASSERT_OK(verify1(t, k, (struct vopts){0}, 1, &err), err);
    /* A different value, a missing key, one good and one missing. */
    const struct vg_sign_kv env_dev[] = {{"env", "dev"}};
    cr_assert_lt(verify1(t, k, (struct vopts){.ann = env_dev, .nann = 1}, 1, &err), 0);
    expect_verify_error(&err, "none of 1 verified");
    const struct vg_sign_kv owner[] = {{"owner", "x"}};
    cr_assert_lt(verify1(t, k, (struct vopts){.ann = owner, .nann = 1}, 1, &err), 0);
    expect_verify_error(&err, "none of 1 verified");
    const struct vg_sign_kv mixed[] = {{"env", "prod"}, {"owner", "x"}};
    cr_assert_lt(verify1(t, k, (struct vopts){.ann = mixed, .nann = 2}, 1, &err), 0);
    expect_verify_error(&err, "none of 1 verified");
    /* Annotations are claims: without claim checks they are not looked at (cosign). */
    TU_ASSERT_OK(verify1(t, k, (struct vopts){.ann = owner, .nann = 1, .no_claims = true}, 1, &err),
                 err);
    vg_sign_target_free(t);
}

Test(sign_check, annotations_legacy)
{
    annotation_cases(false);
}

Test(sign_check, annotations_bundle)
{
    annotation_cases(true);
}

Test(sign_check, threshold_counts_distinct_keys)
{
    ru_push_image(&S, "t/app", "v1", "f");
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", NULL);
    vg_autokey struct vg_crypto_key *k1 = ru_key();
    vg_autokey struct vg_crypto_key *k2 = ru_key();
    vg_autokey struct vg_crypto_key *k3 = ru_key();
    sign_with(t, k1, false, NULL, 0);
    struct vg_err *err = NULL;
    struct vg_sign_check_result res;

    /* One signer, two keys asked for. */
    const struct vg_crypto_key *k12[] = {k1, k2};
    cr_assert_lt(verify(t, &(struct vopts){.keys = k12, .nkeys = 2, .threshold = 2}, &res, &err),
                 0);
    cr_assert_eq(res.keys_ok, 1);
    cr_assert_eq(res.nverified, 1);
    vg_sign_check_result_dispose(&res);
    expect_verify_error(&err, "1 distinct key(s) verified, threshold is 2");
    /* The same key listed twice is one key. */
    const struct vg_crypto_key *k11[] = {k1, k1};
    cr_assert_lt(verify(t, &(struct vopts){.keys = k11, .nkeys = 2, .threshold = 2}, &res, &err),
                 0);
    cr_assert_eq(res.keys_ok, 1);
    cr_assert_eq(res.items[0].keys_ok, 2);
    vg_sign_check_result_dispose(&res);
    expect_verify_error(&err, "threshold is 2");
    /* Threshold 0 and 1 both mean "any". */
    TU_ASSERT_OK(verify(t, &(struct vopts){.keys = k12, .nkeys = 2, .threshold = 0}, &res, &err),
                 err);
    vg_sign_check_result_dispose(&res);

    /* A second signer (as a bundle: both layouts count). */
    sign_with(t, k2, true, NULL, 0);
    const struct vg_crypto_key *k123[] = {k1, k2, k3};
    TU_ASSERT_OK(verify(t, &(struct vopts){.keys = k123, .nkeys = 3, .threshold = 2}, &res, &err),
                 err);
    cr_assert_eq(res.n, 2);
    cr_assert_eq(res.nverified, 2);
    cr_assert_eq(res.keys_ok, 2);
    vg_sign_check_result_dispose(&res);
    cr_assert_lt(verify(t, &(struct vopts){.keys = k123, .nkeys = 3, .threshold = 3}, &res, &err),
                 0);
    cr_assert_eq(res.keys_ok, 2);
    vg_sign_check_result_dispose(&res);
    expect_verify_error(&err, "2 distinct key(s) verified, threshold is 3");
    vg_sign_target_free(t);
}

Test(sign_check, nothing_attached)
{
    ru_push_image(&S, "t/app", "v1", "g");
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", NULL);
    vg_autokey struct vg_crypto_key *k = ru_key();
    struct vg_err *err = NULL;
    cr_assert_lt(verify1(t, k, (struct vopts){0}, 0, &err), 0);
    expect_verify_error(&err, "no signatures found");
    cr_assert_lt(verify1(t, k, (struct vopts){.att_type = "custom"}, 0, &err), 0);
    expect_verify_error(&err, "no attestations found");
    /* An unknown predicate type is a usage error, before any request. */
    cr_assert_lt(verify1(t, k, (struct vopts){.att_type = "no-such-type"}, 0, &err), 0);
    cr_assert(vg_err_is(err, VG_E_USAGE));
    vg_err_free(&err);
    vg_sign_target_free(t);
}

/* ---------------------------------------------------------------- bundles */

static void
bundle_cases(const char *repo)
{
    struct vg_digest d = ru_push_image(&S, repo, "v1", repo);
    struct vg_sign_target *t = ru_target(&S, repo, "v1", NULL);
    vg_autokey struct vg_crypto_key *k1 = ru_key();
    vg_autokey struct vg_crypto_key *k2 = ru_key();
    sign_with(t, k1, true, NULL, 0);
    struct vg_err *err = NULL;
    const struct vg_crypto_key *keys[] = {k1};
    struct vg_sign_check_result res;
    TU_ASSERT_OK(verify(t, &(struct vopts){.keys = keys, .nkeys = 1}, &res, &err), err);
    cr_assert_eq(res.n, 1);
    const struct vg_sign_check_item *it = &res.items[0];
    cr_assert(it->bundle && it->verified);
    cr_assert(strstr(it->where, "(referrer)") != NULL, "%s", it->where);
    /* cosign's synthesized payload: identity, the image digest, the predicate type. */
    vg_autofree char *want_identity = vg_fmt("\"docker-reference\":\"%s\"", t->name);
    vg_autofree char *want_digest = vg_fmt("\"docker-manifest-digest\":\"%s\"", d.text);
    cr_assert(strstr(it->output, want_identity) != NULL, "%s", it->output);
    cr_assert(strstr(it->output, want_digest) != NULL, "%s", it->output);
    cr_assert(strstr(it->output, VG_SIGN_PREDICATE_SIGN) != NULL, "%s", it->output);
    /* The signed payload is the in-toto statement. */
    cr_assert(strstr(it->payload, VG_SIGN_STATEMENT_V1) != NULL, "%s", it->payload);
    vg_sign_check_result_dispose(&res);
    cr_assert_lt(verify1(t, k2, (struct vopts){0}, 1, &err), 0);
    expect_verify_error(&err, "none of 1 verified");
    vg_sign_target_free(t);
}

Test(sign_check, bundle_referrers_api)
{
    bundle_cases("t/app");
}

Test(sign_check, bundle_fallback_tag)
{
    bundle_cases("noref/app");
}

Test(sign_check, bundle_for_another_image)
{
    /* A referrer of image A whose bundle states image B's digest. */
    struct vg_digest a = ru_push_image(&S, "t/app", "a", "ha");
    ru_push_image(&S, "t/app", "b", "hb");
    struct vg_sign_target *ta = ru_target(&S, "t/app", "a", NULL);
    struct vg_sign_target *tb = ru_target(&S, "t/app", "b", NULL);
    vg_autokey struct vg_crypto_key *k = ru_key();
    struct vg_err *err = NULL;
    vg_autobuf struct vg_buf st = VG_BUF_INIT(4096);
    vg_autobuf struct vg_buf bundle = VG_BUF_INIT(64 * 1024);
    vg_autobuf struct vg_buf manifest = VG_BUF_INIT(64 * 1024);
    TU_ASSERT_OK(vg_sign_statement_v1_build(&st, &tb->digest, NULL, 0, &err), err);
    TU_ASSERT_OK(vg_sign_bundle_build(&bundle, k, (char *)st.data, st.len, &err), err);
    struct vg_digest bd, ed, md;
    vg_digest_of(&bd, VG_DIGEST_SHA256, bundle.data, bundle.len);
    vg_digest_of(&ed, VG_DIGEST_SHA256, "{}", 2);
    TU_ASSERT_OK(vg_oci_remote_blob_upload(ta->store, &bd, bundle.data, bundle.len, NULL, &err),
                 err);
    TU_ASSERT_OK(vg_oci_remote_blob_upload(ta->store, &ed, "{}", 2, NULL, &err), err);
    struct vg_sign_referrer r = {.bundle = &bd,
                                 .bundle_size = bundle.len,
                                 .predicate_type = VG_SIGN_PREDICATE_SIGN,
                                 .created = "2023-11-14T22:13:20Z",
                                 .subject_media_type = VG_MT_OCI_MANIFEST,
                                 .subject = &a,
                                 .subject_size = ta->size};
    TU_ASSERT_OK(vg_sign_referrer_manifest_build(&manifest, &r, &err), err);
    vg_digest_of(&md, VG_DIGEST_SHA256, manifest.data, manifest.len);
    TU_ASSERT_OK(vg_oci_remote_manifest_put(ta->store, md.text, manifest.data, manifest.len,
                                            VG_MT_OCI_MANIFEST, &md, &err),
                 err);
    cr_assert_lt(verify1(ta, k, (struct vopts){0}, 1, &err), 0);
    expect_verify_error(&err, "none of 1 verified");
    /* Signature checks alone accept it: the subject digest is a claim. */
    TU_ASSERT_OK(verify1(ta, k, (struct vopts){.no_claims = true}, 1, &err), err);
    vg_sign_target_free(ta);
    vg_sign_target_free(tb);
}

Test(sign_check, unusable_bundle_next_to_good_signature)
{
    ru_push_image(&S, "t/app", "v1", "i");
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", NULL);
    vg_autokey struct vg_crypto_key *k = ru_key();
    /* A referrer whose bundle blob is not a bundle. */
    static const char junk[] = "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}";
    struct vg_err *err = NULL;
    struct vg_digest bd, ed, md;
    vg_digest_of(&bd, VG_DIGEST_SHA256, junk, sizeof(junk) - 1);
    vg_digest_of(&ed, VG_DIGEST_SHA256, "{}", 2);
    TU_ASSERT_OK(vg_oci_remote_blob_upload(t->store, &bd, junk, sizeof(junk) - 1, NULL, &err), err);
    TU_ASSERT_OK(vg_oci_remote_blob_upload(t->store, &ed, "{}", 2, NULL, &err), err);
    vg_autobuf struct vg_buf manifest = VG_BUF_INIT(64 * 1024);
    struct vg_sign_referrer r = {.bundle = &bd,
                                 .bundle_size = sizeof(junk) - 1,
                                 .predicate_type = VG_SIGN_PREDICATE_SIGN,
                                 .created = "2023-11-14T22:13:20Z",
                                 .subject_media_type = VG_MT_OCI_MANIFEST,
                                 .subject = &t->digest,
                                 .subject_size = t->size};
    TU_ASSERT_OK(vg_sign_referrer_manifest_build(&manifest, &r, &err), err);
    vg_digest_of(&md, VG_DIGEST_SHA256, manifest.data, manifest.len);
    TU_ASSERT_OK(vg_oci_remote_manifest_put(t->store, md.text, manifest.data, manifest.len,
                                            VG_MT_OCI_MANIFEST, &md, &err),
                 err);
    const struct vg_crypto_key *keys[] = {k};
    struct vg_sign_check_result res;
    cr_assert_lt(verify(t, &(struct vopts){.keys = keys, .nkeys = 1}, &res, &err), 0);
    cr_assert_eq(res.n, 1);
    cr_assert(res.items[0].bundle && !res.items[0].verified);
    cr_assert_not_null(res.items[0].error); /* why the bundle could not be used */
    vg_sign_check_result_dispose(&res);
    expect_verify_error(&err, "none of 1 verified");
    /* A good legacy signature next to it carries the verification; the bad one stays listed. */
    sign_with(t, k, false, NULL, 0);
    TU_ASSERT_OK(verify(t, &(struct vopts){.keys = keys, .nkeys = 1}, &res, &err), err);
    cr_assert_eq(res.n, 2);
    cr_assert_eq(res.nverified, 1);
    cr_assert(!res.items[0].verified && res.items[0].error);
    cr_assert(res.items[1].verified && !res.items[1].bundle);
    vg_sign_check_result_dispose(&res);
    vg_sign_target_free(t);
}

/* ---------------------------------------------------------------- attestations */

Test(sign_check, attestations_by_predicate_type)
{
    ru_push_image(&S, "t/app", "v1", "j");
    struct vg_sign_target *t = ru_target(&S, "t/app", "v1", NULL);
    vg_autokey struct vg_crypto_key *k = ru_key();
    vg_autokey struct vg_crypto_key *k2 = ru_key();
    attest_with(t, k, false, "custom", "legacy predicate");
    attest_with(t, k, true, "custom", "bundle predicate");
    struct vg_err *err = NULL;
    const struct vg_crypto_key *keys[] = {k};
    struct vg_sign_check_result res;
    TU_ASSERT_OK(
        verify(t, &(struct vopts){.keys = keys, .nkeys = 1, .att_type = "custom"}, &res, &err),
        err);
    cr_assert_eq(res.n, 2);
    cr_assert_eq(res.nverified, 2);
    for (size_t i = 0; i < 2; i++) {
        /* verify-attestation prints the envelope; the payload is the statement. */
        cr_assert(strstr(res.items[i].output, "\"payloadType\"") != NULL, "%s",
                  res.items[i].output);
        cr_assert(strstr(res.items[i].payload, "cosign.sigstore.dev/attestation/v1") != NULL, "%s",
                  res.items[i].payload);
    }
    cr_assert(res.items[0].bundle && !res.items[1].bundle);
    vg_sign_check_result_dispose(&res);
    /* The wrong key. */
    cr_assert_lt(verify1(t, k2, (struct vopts){.att_type = "custom"}, 2, &err), 0);
    expect_verify_error(&err, "none of 2 verified");
    /* Another type: the bundle is skipped by its predicate-type hint, the legacy layer is
     * looked at and refused. */
    cr_assert_lt(verify1(t, k, (struct vopts){.att_type = "spdxjson"}, 1, &err), 0);
    expect_verify_error(&err, "none of 1 verified");
    /* Signature verification does not take attestations for signatures. */
    cr_assert_lt(verify1(t, k, (struct vopts){0}, 0, &err), 0);
    expect_verify_error(&err, "no signatures found");
    vg_sign_target_free(t);
}

/* ---------------------------------------------------------------- tree */

static size_t
count_kind(const struct vg_sign_tree *tr, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < tr->n; i++) {
        n += strcmp(tr->entries[i].kind, kind) == 0;
    }
    return n;
}

static void
tree_cases(const char *repo, bool api)
{
    ru_push_image(&S, repo, "v1", repo);
    struct vg_sign_target *t = ru_target(&S, repo, "v1", NULL);
    vg_autokey struct vg_crypto_key *k = ru_key();
    struct vg_err *err = NULL;
    struct vg_sign_tree tr;
    TU_ASSERT_OK(vg_sign_target_tree(t, &tr, &err), err);
    cr_assert_eq(tr.n, 0);
    vg_sign_tree_dispose(&tr);
    sign_with(t, k, false, NULL, 0);
    sign_with(t, k, true, NULL, 0);
    attest_with(t, k, false, "custom", "p1");
    attest_with(t, k, true, "spdxjson", "{\"spdxVersion\":\"SPDX-2.3\"}");
    TU_ASSERT_OK(vg_sign_target_tree(t, &tr, &err), err);
    cr_assert_eq(tr.referrers_api, api);
    cr_assert_eq(tr.n, 4);
    cr_assert_eq(count_kind(&tr, "signature"), 2);
    cr_assert_eq(count_kind(&tr, "attestation"), 2);
    bool saw_spdx = false;
    for (size_t i = 0; i < tr.n; i++) {
        saw_spdx |= strcmp(tr.entries[i].detail, "https://spdx.dev/Document") == 0;
    }
    cr_assert(saw_spdx);
    vg_sign_tree_dispose(&tr);
    vg_sign_target_free(t);
}

Test(sign_check, tree_referrers_api)
{
    tree_cases("t/app", true);
}

Test(sign_check, tree_fallback_tag)
{
    tree_cases("noref/app", false);
}
