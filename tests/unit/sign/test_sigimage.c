/* SPDX-License-Identifier: Apache-2.0
 *
 * The `.sig` image: rendering byte-identical to the derived legacy vector, append/dedupe,
 * parse roundtrip, verification through a fetch callback (digest, signature, claims), and
 * hostile manifests.
 */
#include "../crypto/testutil.h"
#include "sign/sign.h"

static const char digest_732[] =
    "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";

static struct vg_digest
dig(const char *s)
{
    struct vg_digest d;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_digest_parse(&d, s, &err), err);
    return d;
}

/* In-memory blob store for the fetch callback. */
struct store {
    struct vg_sign_layer *layers;
    size_t n;
    bool tamper;
};

static int
fetch(void *ctx, const struct vg_sign_sig_entry *layer, struct vg_buf *out, struct vg_err **err)
{
    struct store *s = ctx;
    for (size_t i = 0; i < s->n; i++) {
        if (vg_digest_eq(&s->layers[i].digest, &layer->digest)) {
            int rc = vg_buf_append(out, s->layers[i].payload, s->layers[i].payload_len, err);
            if (rc == 0 && s->tamper) {
                out->data[0] = ' ';
            }
            return rc;
        }
    }
    return vg_err_set(err, VG_E_NOTFOUND, "blob %s", layer->digest.text);
}

static struct vg_sign_layer
layer_from_files(int idx)
{
    char rel[96];
    snprintf(rel, sizeof(rel), "derived/legacy-sig-image/payload-%d.json", idx);
    vg_autofree char *pp = tu_vector(rel);
    snprintf(rel, sizeof(rel), "derived/legacy-sig-image/payload-%d.sig.b64", idx);
    vg_autofree char *sp = tu_vector(rel);
    vg_autobuf struct vg_buf p, s;
    tu_read(&p, pp);
    tu_read(&s, sp);
    struct vg_sign_layer l = {0};
    vg_digest_of(&l.digest, VG_DIGEST_SHA256, p.data, p.len);
    struct vg_str sig = vg_str_trim((struct vg_str){(char *)s.data, s.len});
    l.signature = vg_str_dup(sig);
    l.payload = vg_buf_take(&p, &l.payload_len);
    return l;
}

Test(sign_sigimage, renders_derived_legacy_image_byte_for_byte)
{
    TU_REQUIRE_VECTOR(mpath, "derived/legacy-sig-image/sig-image.manifest.json");
    TU_REQUIRE_VECTOR(cpath, "derived/legacy-sig-image/sig-image.config.json");
    vg_autobuf struct vg_buf wm, wc;
    tu_read(&wm, mpath);
    tu_read(&wc, cpath);
    struct vg_sign_layer l[2] = {layer_from_files(1), layer_from_files(2)};
    struct vg_err *err = NULL;
    struct vg_sign_sig_image *img = vg_sign_sig_image_new();
    for (size_t i = 0; i < 2; i++) {
        bool appended = false;
        TU_ASSERT_OK(vg_sign_sig_image_append(img, &l[i], &appended, &err), err);
        cr_assert(appended);
    }
    vg_autobuf struct vg_buf c = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    vg_autobuf struct vg_buf m = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    TU_ASSERT_OK(vg_sign_sig_image_render(img, &c, &m, &err), err);
    cr_assert_str_eq((char *)c.data, (char *)wc.data);
    cr_assert_str_eq((char *)m.data, (char *)wm.data);
    vg_sign_sig_image_free(img);

    /* Parsing the vector and re-rendering gives the same bytes. */
    img = NULL;
    TU_ASSERT_OK(vg_sign_sig_image_parse(&img, wm.data, wm.len, &err), err);
    cr_assert_eq(img->n, 2);
    vg_buf_reset(&c);
    vg_buf_reset(&m);
    TU_ASSERT_OK(vg_sign_sig_image_render(img, &c, &m, &err), err);
    cr_assert_str_eq((char *)m.data, (char *)wm.data);

    /* Verification through the callback, as cosign verify would. */
    vg_autofree char *pubpath = tu_vector("derived/encrypted-keys/pemsigstorekey.pub");
    vg_autobuf struct vg_buf pb;
    tu_read(&pb, pubpath);
    vg_autokey struct vg_crypto_key *pub = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_public(&pub, pb.data, pb.len, &err), err);
    struct vg_digest image = dig(digest_732);
    struct store st = {l, 2, false};
    const struct vg_sign_kv test = {"env", "test"}, prod = {"env", "prod"};
    struct vg_sign_verify_opts o = {pub, &image, NULL, 0, true, NULL, NULL, NULL};
    struct vg_sign_verify_result r;
    TU_ASSERT_OK(vg_sign_sig_image_verify(img, &o, fetch, &st, &r, &err), err);
    cr_assert_eq(r.nverified, 2);
    cr_assert_str_eq(r.payloads[1]->optional[0].value, "test");
    vg_sign_verify_result_dispose(&r);
    o.annotations = &test;
    o.nannotations = 1;
    TU_ASSERT_OK(vg_sign_sig_image_verify(img, &o, fetch, &st, &r, &err), err);
    cr_assert_eq(r.nverified, 1);
    cr_assert_null(r.payloads[0]);
    cr_assert_not_null(r.errors[0]);
    cr_assert_not_null(r.payloads[1]);
    vg_sign_verify_result_dispose(&r);
    o.annotations = &prod;
    cr_assert_lt(vg_sign_sig_image_verify(img, &o, fetch, &st, &r, &err), 0);
    cr_assert(vg_err_is(err, VG_E_VERIFY));
    cr_assert_eq(r.nverified, 0);
    vg_err_free(&err);
    vg_sign_verify_result_dispose(&r);

    vg_sign_sig_image_free(img);
    vg_sign_layer_dispose(&l[0]);
    vg_sign_layer_dispose(&l[1]);
}

Test(sign_sigimage, own_signatures_append_dedupe_verify)
{
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    vg_autokey struct vg_crypto_key *other = NULL;
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    TU_ASSERT_OK(vg_crypto_key_generate(&other, &err), err);
    struct vg_digest image = dig(digest_732);
    const struct vg_sign_kv ann = {"ci", "yes"};
    struct vg_sign_layer l[2];
    TU_ASSERT_OK(vg_sign_image_payload(&l[0], k, "ghcr.io/o/r", &image, NULL, 0, &err), err);
    TU_ASSERT_OK(vg_sign_image_payload(&l[1], k, "ghcr.io/o/r", &image, &ann, 1, &err), err);

    struct vg_sign_sig_image *img = vg_sign_sig_image_new();
    bool appended = false;
    TU_ASSERT_OK(vg_sign_sig_image_append(img, &l[0], &appended, &err), err);
    cr_assert(appended);
    TU_ASSERT_OK(vg_sign_sig_image_append(img, &l[0], &appended, &err), err);
    cr_assert_not(appended, "identical signature must not be appended twice");
    TU_ASSERT_OK(vg_sign_sig_image_append(img, &l[1], &appended, &err), err);
    cr_assert(appended);
    cr_assert_eq(img->n, 2);

    vg_autobuf struct vg_buf c = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    vg_autobuf struct vg_buf m = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    TU_ASSERT_OK(vg_sign_sig_image_render(img, &c, &m, &err), err);
    vg_sign_sig_image_free(img);
    img = NULL;
    TU_ASSERT_OK(vg_sign_sig_image_parse(&img, m.data, m.len, &err), err);
    cr_assert_eq(img->n, 2);
    cr_assert_eq(img->layers[1].size, l[1].payload_len);

    struct store st = {l, 2, false};
    struct vg_sign_verify_opts o = {k, &image, &ann, 1, true, NULL, NULL, NULL};
    struct vg_sign_verify_result r;
    TU_ASSERT_OK(vg_sign_sig_image_verify(img, &o, fetch, &st, &r, &err), err);
    cr_assert_eq(r.nverified, 1);
    vg_sign_verify_result_dispose(&r);
    o.nannotations = 0;
    o.check_claims = false;
    struct vg_digest elsewhere =
        dig("sha256:0000000000000000000000000000000000000000000000000000000000000000");
    o.image = &elsewhere;
    TU_ASSERT_OK(vg_sign_sig_image_verify(img, &o, fetch, &st, &r, &err), err);
    cr_assert_eq(r.nverified, 2, "check_claims=false only checks signatures");
    vg_sign_verify_result_dispose(&r);
    o.check_claims = true;
    cr_assert_lt(vg_sign_sig_image_verify(img, &o, fetch, &st, &r, &err), 0);
    vg_err_free(&err);
    vg_sign_verify_result_dispose(&r);

    o.image = &image;
    o.key = other;
    cr_assert_lt(vg_sign_sig_image_verify(img, &o, fetch, &st, &r, &err), 0);
    cr_assert(vg_err_is(r.errors[0], VG_E_VERIFY));
    vg_err_free(&err);
    vg_sign_verify_result_dispose(&r);

    o.key = k;
    st.tamper = true;
    cr_assert_lt(vg_sign_sig_image_verify(img, &o, fetch, &st, &r, &err), 0);
    cr_assert(tu_err_contains(r.errors[0], "does not match its digest"));
    vg_err_free(&err);
    vg_sign_verify_result_dispose(&r);

    vg_sign_sig_image_free(img);
    img = vg_sign_sig_image_new();
    cr_assert_lt(vg_sign_sig_image_verify(img, &o, fetch, &st, &r, &err), 0);
    cr_assert(vg_err_is(err, VG_E_NOTFOUND));
    vg_err_free(&err);
    vg_sign_verify_result_dispose(&r);
    vg_sign_sig_image_free(img);
    vg_sign_layer_dispose(&l[0]);
    vg_sign_layer_dispose(&l[1]);
}

static void
expect_parse_error(const char *json, enum vg_errc code)
{
    struct vg_sign_sig_image *img = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_sign_sig_image_parse(&img, json, strlen(json), &err), 0, "%s", json);
    cr_assert(vg_err_is(err, code), "%s: %d", json, (int)vg_err_root_code(err));
    cr_assert_null(img);
    vg_err_free(&err);
}

Test(sign_sigimage, parser_rejects_hostile_manifests)
{
    expect_parse_error("{}", VG_E_PARSE);
    expect_parse_error("{\"layers\":{}}", VG_E_PARSE);
    expect_parse_error("{\"layers\":[{\"mediaType\":\"m\",\"size\":1}]}", VG_E_PARSE);
    expect_parse_error("{\"layers\":[{\"mediaType\":\"m\",\"size\":-1,\"digest\":\"sha256:"
                       "0000000000000000000000000000000000000000000000000000000000000000\"}]}",
                       VG_E_PARSE);
    expect_parse_error("{\"layers\":[{\"mediaType\":\"m\",\"size\":1,\"digest\":\"sha256:ABC\"}]}",
                       VG_E_PARSE);
    expect_parse_error("{\"layers\":[{\"mediaType\":\"m\",\"size\":1,\"digest\":\"sha256:"
                       "0000000000000000000000000000000000000000000000000000000000000000\","
                       "\"annotations\":{\"a\":1}}]}",
                       VG_E_PARSE);
    /* Layer count: 1000 accepted, 1001 refused. */
    static const char one[] = "{\"mediaType\":\"m\",\"size\":1,\"digest\":\"sha256:"
                              "0000000000000000000000000000000000000000000000000000000000000000\"}";
    struct vg_err *err = NULL;
    for (unsigned n = VG_SIGN_MAX_SIG_LAYERS; n <= VG_SIGN_MAX_SIG_LAYERS + 1; n++) {
        vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
        cr_assert_eq(vg_buf_append_str(&b, "{\"layers\":[", &err), 0);
        for (unsigned i = 0; i < n; i++) {
            cr_assert_eq(vg_buf_appendf(&b, &err, "%s%s", i ? "," : "", one), 0);
        }
        cr_assert_eq(vg_buf_append_str(&b, "]}", &err), 0);
        struct vg_sign_sig_image *img = NULL;
        int rc = vg_sign_sig_image_parse(&img, b.data, b.len, &err);
        if (n == VG_SIGN_MAX_SIG_LAYERS) {
            TU_ASSERT_OK(rc, err);
            cr_assert_eq(img->n, n);
            vg_sign_sig_image_free(img);
        } else {
            cr_assert_lt(rc, 0);
            cr_assert(vg_err_is(err, VG_E_LIMIT));
            vg_err_free(&err);
        }
    }
}

Test(sign_sigimage, attestations_append_replace_verify)
{
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    struct vg_digest image = dig(digest_732);
    struct vg_sign_layer l[3];
    static const char text[] = "hello";
    static const char bom[] = "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.4\"}";
    TU_ASSERT_OK(vg_sign_attestation_sign(&l[0], k, "custom", "r", &image, text, 5, 0, &err), err);
    TU_ASSERT_OK(
        vg_sign_attestation_sign(&l[1], k, "cyclonedx", "r", &image, bom, sizeof(bom) - 1, 0, &err),
        err);
    TU_ASSERT_OK(vg_sign_attestation_sign(&l[2], k, "custom", "r", &image, text, 5, 60, &err), err);
    cr_assert_str_eq(l[0].signature, "");
    const char *custom = vg_sign_predicate_type("custom");
    const char *cdx = vg_sign_predicate_type("cyclonedx");

    struct vg_sign_sig_image *img = vg_sign_sig_image_new();
    bool appended = false;
    TU_ASSERT_OK(vg_sign_att_image_append(img, &l[0], custom, false, &appended, &err), err);
    cr_assert(appended);
    TU_ASSERT_OK(vg_sign_att_image_append(img, &l[0], custom, false, &appended, &err), err);
    cr_assert_not(appended);
    TU_ASSERT_OK(vg_sign_att_image_append(img, &l[1], cdx, false, &appended, &err), err);
    TU_ASSERT_OK(vg_sign_att_image_append(img, &l[2], custom, true, &appended, &err), err);
    cr_assert(appended);
    cr_assert_eq(img->n, 2, "--replace drops the older custom attestation");
    cr_assert(vg_digest_eq(&img->layers[1].digest, &l[2].digest));

    vg_autobuf struct vg_buf c = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    vg_autobuf struct vg_buf m = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    TU_ASSERT_OK(vg_sign_sig_image_render(img, &c, &m, &err), err);
    cr_assert_not_null(
        strstr((char *)m.data, "\"mediaType\":\"application/vnd.dsse.envelope.v1+json\""));
    cr_assert_not_null(strstr((char *)m.data, "\"annotations\":{\"dev.cosignproject.cosign/"
                                              "signature\":\"\",\"predicateType\":\"https://"
                                              "cyclonedx.org/bom\"}"));
    vg_sign_sig_image_free(img);
    img = NULL;
    TU_ASSERT_OK(vg_sign_sig_image_parse(&img, m.data, m.len, &err), err);

    struct store st = {l, 3, false};
    struct vg_sign_verify_opts o = {k, &image, NULL, 0, true, NULL, NULL, NULL};
    struct vg_sign_att_result r;
    TU_ASSERT_OK(vg_sign_att_image_verify(img, &o, "custom", fetch, &st, &r, &err), err);
    cr_assert_eq(r.nverified, 1);
    cr_assert_not_null(r.envelopes[1]);
    cr_assert_str_eq(r.statements[1]->predicate_type, custom);
    vg_sign_att_result_dispose(&r);
    TU_ASSERT_OK(vg_sign_att_image_verify(img, &o, NULL, fetch, &st, &r, &err), err);
    cr_assert_eq(r.nverified, 2);
    vg_sign_att_result_dispose(&r);
    cr_assert_lt(vg_sign_att_image_verify(img, &o, "vuln", fetch, &st, &r, &err), 0);
    cr_assert(vg_err_is(err, VG_E_VERIFY));
    vg_err_free(&err);
    vg_sign_att_result_dispose(&r);

    struct vg_digest other =
        dig("sha256:0000000000000000000000000000000000000000000000000000000000000000");
    o.image = &other;
    cr_assert_lt(vg_sign_att_image_verify(img, &o, "cyclonedx", fetch, &st, &r, &err), 0);
    vg_err_free(&err);
    vg_sign_att_result_dispose(&r);
    o.check_claims = false;
    TU_ASSERT_OK(vg_sign_att_image_verify(img, &o, "cyclonedx", fetch, &st, &r, &err), err);
    cr_assert_eq(r.nverified, 1);
    vg_sign_att_result_dispose(&r);

    vg_sign_sig_image_free(img);
    for (size_t i = 0; i < 3; i++) {
        vg_sign_layer_dispose(&l[i]);
    }
}
