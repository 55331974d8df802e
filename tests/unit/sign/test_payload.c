/* SPDX-License-Identifier: Apache-2.0
 *
 * Simple-signing payloads: byte-identical generation (cosign's pinned payload, the derived
 * legacy image), Go escaping, the bounded parser, claim checks, and verification of the
 * derived `.sig` manifest layers.
 */
#include "../crypto/testutil.h"
#include "sign/sign.h"

static const char digest_4aa[] =
    "sha256:4aa3054270f7a70b4528f2064ee90961788e1e1518703592ae4463de3b889dec";
static const char digest_732[] =
    "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";

/* The payload cosign's pkg/cosign/obsolete_test.go pins for docker.io/namespace/image. */
static const char obsolete_expected[] =
    "{\"critical\":{\"identity\":{\"docker-reference\":\"index.docker.io/namespace/image\"},"
    "\"image\":{\"docker-manifest-digest\":\"sha256:4aa3054270f7a70b4528f2064ee90961788e1e1518"
    "703592ae4463de3b889dec\"},\"type\":\"cosign container image signature\"},\"optional\":null}";

static struct vg_digest
dig(const char *s)
{
    struct vg_digest d;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_digest_parse(&d, s, &err), err);
    return d;
}

static char *
build(const char *repo, const char *digest, const struct vg_sign_kv *ann, size_t n)
{
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_LIMIT_PAYLOAD_BYTES);
    struct vg_err *err = NULL;
    vg_autofree char *ref = vg_sign_docker_reference(repo);
    struct vg_digest d = dig(digest);
    TU_ASSERT_OK(vg_sign_payload_build(&b, ref, &d, ann, n, &err), err);
    return vg_buf_take(&b, NULL);
}

Test(sign_payload, obsolete_payload_is_byte_identical)
{
    vg_autofree char *p = build("docker.io/namespace/image", digest_4aa, NULL, 0);
    cr_assert_str_eq(p, obsolete_expected);

    TU_REQUIRE_VECTOR(path, "payloads/obsolete-payload.expected.json");
    vg_autobuf struct vg_buf want;
    tu_read(&want, path);
    cr_assert_eq(strlen(p), want.len);
    cr_assert(memcmp(p, want.data, want.len) == 0);
}

Test(sign_payload, derived_payloads_are_byte_identical)
{
    TU_REQUIRE_VECTOR(p1, "derived/legacy-sig-image/payload-1.json");
    TU_REQUIRE_VECTOR(p2, "derived/legacy-sig-image/payload-2.json");
    vg_autobuf struct vg_buf w1, w2;
    tu_read(&w1, p1);
    tu_read(&w2, p2);
    vg_autofree char *a = build("registry.example.com/demo/empty", digest_732, NULL, 0);
    const struct vg_sign_kv env = {"env", "test"};
    vg_autofree char *b = build("registry.example.com/demo/empty", digest_732, &env, 1);
    cr_assert_str_eq(a, (char *)w1.data);
    cr_assert_str_eq(b, (char *)w2.data);
}

Test(sign_payload, annotations_sorted_and_go_escaped)
{
    const struct vg_sign_kv ann[] = {
        {"zeta", "last"},
        {"a<b>&c", "x\xe2\x80\xa8y"},
        {"ctl", "\x01\t\n\"\\\b\f"},
        {"bad", "\xff\xc3(ok\xc3\xa9"},
    };
    vg_autofree char *p = build("ghcr.io/o/r", digest_732, ann, VG_ARRAY_LEN(ann));
    const char *opt = strstr(p, "\"optional\":");
    cr_assert_not_null(opt);
    cr_assert_str_eq(opt, "\"optional\":{\"a\\u003cb\\u003e\\u0026c\":\"x\\u2028y\","
                          "\"bad\":\"\\ufffd\\ufffd(ok\xc3\xa9\","
                          "\"ctl\":\"\\u0001\\t\\n\\\"\\\\\\b\\f\",\"zeta\":\"last\"}}");
    /* What we write parses back. */
    struct vg_sign_payload *pp = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_payload_parse(&pp, p, strlen(p), &err), err);
    cr_assert_eq(pp->noptional, 4);
    vg_sign_payload_free(pp);
}

Test(sign_payload, duplicate_annotation_is_usage_error)
{
    const struct vg_sign_kv ann[] = {{"k", "1"}, {"k", "2"}};
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_LIMIT_PAYLOAD_BYTES);
    struct vg_err *err = NULL;
    struct vg_digest d = dig(digest_732);
    cr_assert_lt(vg_sign_payload_build(&b, "r", &d, ann, 2, &err), 0);
    cr_assert(vg_err_is(err, VG_E_USAGE));
    vg_err_free(&err);
}

Test(sign_payload, docker_reference_and_tags)
{
    vg_autofree char *a = vg_sign_docker_reference("docker.io/library/nginx");
    vg_autofree char *b = vg_sign_docker_reference("ghcr.io/docker.io/x");
    cr_assert_str_eq(a, "index.docker.io/library/nginx");
    cr_assert_str_eq(b, "ghcr.io/docker.io/x");
    struct vg_digest d = dig(digest_732);
    vg_autofree char *sig = vg_sign_tag(&d, ".sig");
    vg_autofree char *fb = vg_sign_tag(&d, "");
    cr_assert_str_eq(sig, "sha256-732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4"
                          ".sig");
    cr_assert_str_eq(fb, "sha256-732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4");
    TU_REQUIRE_VECTOR(tagpath, "derived/legacy-sig-image/TAG");
    vg_autobuf struct vg_buf tag;
    tu_read(&tag, tagpath);
    struct vg_str t = vg_str_trim((struct vg_str){(char *)tag.data, tag.len});
    cr_assert(vg_str_eq_c(t, sig));
}

static void
expect_parse_error(const char *json, enum vg_errc code)
{
    struct vg_sign_payload *p = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_sign_payload_parse(&p, json, strlen(json), &err), 0, "accepted %s", json);
    cr_assert(vg_err_is(err, code), "%s", json);
    cr_assert_null(p);
    vg_err_free(&err);
}

Test(sign_payload, parser_rejects_hostile_payloads)
{
    expect_parse_error("{\"critical\":{},\"critical\":{}}", VG_E_PARSE);
    expect_parse_error("{\"critical\":{\"identity\":{\"docker-reference\":\"a\"},\"image\":"
                       "{\"docker-manifest-digest\":\"sha256:1\",\"docker-manifest-digest\":"
                       "\"sha256:2\"},\"type\":\"t\"}}",
                       VG_E_PARSE);
    expect_parse_error("[]", VG_E_PARSE);
    expect_parse_error("{\"critical\":[]}", VG_E_PARSE);
    expect_parse_error("{\"critical\":{\"identity\":{},\"image\":{},\"type\":\"t\"}}", VG_E_PARSE);
    expect_parse_error("{\"critical\":{\"identity\":{\"docker-reference\":1},\"image\":"
                       "{\"docker-manifest-digest\":\"d\"},\"type\":\"t\"}}",
                       VG_E_PARSE);
    /* Go would accept capitalised keys; we do not. */
    expect_parse_error("{\"Critical\":{\"Identity\":{\"docker-reference\":\"a\"},\"Image\":"
                       "{\"Docker-manifest-digest\":\"d\"},\"Type\":\"t\"}}",
                       VG_E_PARSE);
    vg_autofree char *p = build("r", digest_732, NULL, 0);
    vg_autofree char *bad_opt = vg_strdup(p);
    char *o = strstr(bad_opt, "null");
    memcpy(o, "1234", 4);
    expect_parse_error(bad_opt, VG_E_PARSE);
    expect_parse_error("{\"critical\":", VG_E_PARSE);
}

Test(sign_payload, size_limit_is_exact)
{
    vg_autofree char *p = build("r", digest_732, NULL, 0);
    size_t n = strlen(p);
    vg_autofree char *big = malloc(VG_LIMIT_PAYLOAD_BYTES + 2);
    memcpy(big, p, n);
    memset(big + n, ' ', VG_LIMIT_PAYLOAD_BYTES + 1 - n);
    big[VG_LIMIT_PAYLOAD_BYTES + 1] = '\0';
    struct vg_sign_payload *pp = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_payload_parse(&pp, big, VG_LIMIT_PAYLOAD_BYTES, &err), err);
    vg_sign_payload_free(pp);
    pp = NULL;
    cr_assert_lt(vg_sign_payload_parse(&pp, big, VG_LIMIT_PAYLOAD_BYTES + 1, &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
}

Test(sign_payload, claim_checks)
{
    const struct vg_sign_kv ann[] = {{"env", "test"}, {"team", "a"}};
    vg_autofree char *p = build("r", digest_732, ann, 2);
    struct vg_sign_payload *pp = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_payload_parse(&pp, p, strlen(p), &err), err);
    cr_assert_str_eq(pp->docker_reference, "r");
    cr_assert_str_eq(pp->manifest_digest, digest_732);
    struct vg_digest good = dig(digest_732), other = dig(digest_4aa);
    TU_ASSERT_OK(vg_sign_payload_check_claims(pp, &good, NULL, 0, &err), err);
    TU_ASSERT_OK(vg_sign_payload_check_claims(pp, &good, ann, 2, &err), err);
    cr_assert_lt(vg_sign_payload_check_claims(pp, &other, NULL, 0, &err), 0);
    cr_assert(vg_err_is(err, VG_E_VERIFY));
    vg_err_free(&err);
    const struct vg_sign_kv prod = {"env", "prod"}, missing = {"x", "y"};
    cr_assert_lt(vg_sign_payload_check_claims(pp, &good, &prod, 1, &err), 0);
    cr_assert(tu_err_contains(err, "value differs"));
    vg_err_free(&err);
    cr_assert_lt(vg_sign_payload_check_claims(pp, &good, &missing, 1, &err), 0);
    cr_assert(tu_err_contains(err, "missing"));
    vg_err_free(&err);
    free(pp->type);
    pp->type = vg_strdup("something else");
    cr_assert_lt(vg_sign_payload_check_claims(pp, &good, NULL, 0, &err), 0);
    vg_err_free(&err);
    vg_sign_payload_free(pp);
}

Test(sign_payload, image_payload_sign_verify_roundtrip)
{
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    struct vg_digest d = dig(digest_732);
    struct vg_sign_layer l = {0};
    TU_ASSERT_OK(vg_sign_image_payload(&l, k, "r", &d, NULL, 0, &err), err);
    struct vg_digest expect;
    vg_digest_of(&expect, VG_DIGEST_SHA256, l.payload, l.payload_len);
    cr_assert(vg_digest_eq(&expect, &l.digest));
    TU_ASSERT_OK(vg_sign_payload_verify(k, l.payload, l.payload_len, l.signature, &err), err);
    l.payload[10] ^= 1;
    cr_assert_lt(vg_sign_payload_verify(k, l.payload, l.payload_len, l.signature, &err), 0);
    cr_assert(vg_err_is(err, VG_E_VERIFY));
    vg_err_free(&err);
    cr_assert_lt(vg_sign_payload_verify(k, l.payload, l.payload_len, "", &err), 0);
    vg_err_free(&err);
    cr_assert_lt(vg_sign_payload_verify(k, l.payload, l.payload_len, "!!notb64", &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
    vg_sign_layer_dispose(&l);
}

/* Verifies every layer of the derived `.sig` manifest with `pub`, then checks claims with the
 * given annotation; returns how many layers pass. */
static size_t
verify_sig_manifest(const char *pubrel, const struct vg_sign_kv *want, size_t nwant)
{
    vg_autofree char *mpath = tu_vector("derived/legacy-sig-image/sig-image.manifest.json");
    vg_autofree char *pubpath = tu_vector(pubrel);
    vg_autobuf struct vg_buf mb, pb;
    tu_read(&mb, mpath);
    tu_read(&pb, pubpath);
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *pub = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_public(&pub, pb.data, pb.len, &err), err);
    vg_autojson json_t *m = NULL;
    TU_ASSERT_OK(vg_json_parse(&m, mb.data, mb.len, VG_LIMIT_MANIFEST_BYTES, "m", &err), err);
    struct vg_digest image = dig(digest_732);
    size_t ok = 0, i;
    json_t *layer;
    json_array_foreach (vg_json_arr(m, "layers"), i, layer) {
        cr_assert_str_eq(vg_json_str(layer, "mediaType"), VG_SIGN_MT_SIMPLESIGNING);
        const char *sig = vg_json_str(vg_json_obj(layer, "annotations"), VG_SIGN_ANN_SIGNATURE);
        vg_autofree char *rel = vg_fmt("derived/legacy-sig-image/payload-%zu.json", i + 1);
        vg_autofree char *ppath = tu_vector(rel);
        vg_autobuf struct vg_buf payload;
        tu_read(&payload, ppath);
        struct vg_digest pd;
        vg_digest_of(&pd, VG_DIGEST_SHA256, payload.data, payload.len);
        cr_assert_str_eq(pd.text, vg_json_str(layer, "digest"), "layer digest = payload digest");
        if (vg_sign_payload_verify(pub, payload.data, payload.len, sig, &err) < 0) {
            cr_assert(vg_err_is(err, VG_E_VERIFY));
            vg_err_free(&err);
            continue;
        }
        struct vg_sign_payload *pp = NULL;
        TU_ASSERT_OK(vg_sign_payload_parse(&pp, payload.data, payload.len, &err), err);
        if (vg_sign_payload_check_claims(pp, &image, want, nwant, &err) == 0) {
            ok++;
        }
        vg_err_free(&err);
        vg_sign_payload_free(pp);
    }
    return ok;
}

Test(sign_payload, derived_sig_manifest_verifies_like_cosign)
{
    TU_REQUIRE_VECTOR(m, "derived/legacy-sig-image/sig-image.manifest.json");
    const char *good = "derived/encrypted-keys/pemsigstorekey.pub";
    const struct vg_sign_kv test = {"env", "test"}, prod = {"env", "prod"};
    cr_assert_eq(verify_sig_manifest(good, NULL, 0), 2);
    cr_assert_eq(verify_sig_manifest(good, &test, 1), 1);
    cr_assert_eq(verify_sig_manifest(good, &prod, 1), 0);
    cr_assert_eq(verify_sig_manifest("derived/encrypted-keys/pemcosignkey.pub", NULL, 0), 0);
}
