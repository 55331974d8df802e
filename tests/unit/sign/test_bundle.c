/* SPDX-License-Identifier: Apache-2.0
 *
 * cosign 3 bundles: the v1 statement `cosign sign` signs, bundle build → parse → verify with
 * its claim checks, the derived key-signed bundle vector, the referrer manifest and fallback
 * index byte for byte against the derived vectors, and hostile bundles.
 */
#include "../crypto/testutil.h"
#include "sign/sign.h"

static const char image_sha[] =
    "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";

static struct vg_digest
dig(const char *s)
{
    struct vg_digest d;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_digest_parse(&d, s, &err), err);
    return d;
}

static struct vg_crypto_key *
fresh_key(void)
{
    struct vg_crypto_key *k = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_crypto_init(&err), err);
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    return k;
}

Test(sign_bundle, statement_v1_bytes)
{
    struct vg_digest d = dig(image_sha);
    vg_autobuf struct vg_buf b = VG_BUF_INIT(4096);
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_statement_v1_build(&b, &d, NULL, 0, &err), err);
    /* Same bytes as shared/interop/cosign/derived/bundle-key-image/statement.json. */
    cr_assert_str_eq((char *)b.data,
                     "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"digest\":"
                     "{\"sha256\":\"732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c2"
                     "80aa4\"}}],\"predicateType\":\"https://sigstore.dev/cosign/sign/v1\","
                     "\"predicate\":{}}");
    vg_buf_reset(&b);
    const struct vg_sign_kv ann[] = {{"z", "1"}, {"a", "<2>"}};
    TU_ASSERT_OK(vg_sign_statement_v1_build(&b, &d, ann, 2, &err), err);
    cr_assert(strstr((char *)b.data, "\"annotations\":{\"a\":\"<2>\",\"z\":\"1\"}") != NULL, "%s",
              b.data);
    const struct vg_sign_kv dup[] = {{"a", "1"}, {"a", "2"}};
    vg_buf_reset(&b);
    cr_assert_lt(vg_sign_statement_v1_build(&b, &d, dup, 2, &err), 0);
    cr_assert(vg_err_is(err, VG_E_USAGE));
    vg_err_free(&err);
}

static struct vg_sign_bundle *
make_bundle(const struct vg_crypto_key *k, const struct vg_digest *d, const struct vg_sign_kv *ann,
            size_t n)
{
    vg_autobuf struct vg_buf st = VG_BUF_INIT(4096);
    vg_autobuf struct vg_buf b = VG_BUF_INIT(64 * 1024);
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_statement_v1_build(&st, d, ann, n, &err), err);
    TU_ASSERT_OK(vg_sign_bundle_build(&b, k, (char *)st.data, st.len, &err), err);
    cr_assert(vg_cstr_startswith((char *)b.data,
                                 "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
                                 "\"verificationMaterial\":{\"publicKey\":{\"hint\":\""));
    struct vg_sign_bundle *out = NULL;
    TU_ASSERT_OK(vg_sign_bundle_parse(&out, b.data, b.len, &err), err);
    return out;
}

static int
check(const struct vg_sign_bundle *b, const struct vg_crypto_key *k, const char *image,
      const struct vg_sign_kv *want, size_t n, const char *ptype)
{
    struct vg_digest d = dig(image);
    struct vg_sign_verify_opts o = {
        .key = k, .image = &d, .annotations = want, .nannotations = n, .check_claims = true};
    struct vg_err *err = NULL;
    struct vg_sign_statement *st = NULL;
    int rc = vg_sign_bundle_verify(b, &o, ptype, &st, &err);
    if (rc == 0) {
        cr_assert_str_eq(st->predicate_type, VG_SIGN_PREDICATE_SIGN);
        vg_sign_statement_free(st);
        return 0;
    }
    int code = (int)vg_err_root_code(err);
    vg_err_free(&err);
    return code;
}

Test(sign_bundle, roundtrip_and_claims)
{
    vg_autokey struct vg_crypto_key *k = fresh_key();
    vg_autokey struct vg_crypto_key *other = fresh_key();
    struct vg_digest d = dig(image_sha);
    const struct vg_sign_kv ann[] = {{"env", "prod"}};
    struct vg_sign_bundle *b = make_bundle(k, &d, ann, 1);
    cr_assert_str_eq(b->envelope->payload_type, VG_SIGN_PAYLOAD_TYPE_INTOTO);
    cr_assert_eq(check(b, k, image_sha, NULL, 0, VG_SIGN_PREDICATE_SIGN), 0);
    cr_assert_eq(check(b, k, image_sha, ann, 1, NULL), 0);
    cr_assert_eq(check(b, other, image_sha, NULL, 0, NULL), VG_E_VERIFY);
    const struct vg_sign_kv wrong[] = {{"env", "dev"}}, absent[] = {{"team", "x"}};
    cr_assert_eq(check(b, k, image_sha, wrong, 1, NULL), VG_E_VERIFY);
    cr_assert_eq(check(b, k, image_sha, absent, 1, NULL), VG_E_VERIFY);
    cr_assert_eq(check(b, k,
                       "sha256:"
                       "0000000000000000000000000000000000000000000000000000000000"
                       "000000",
                       NULL, 0, NULL),
                 VG_E_VERIFY);
    cr_assert_eq(check(b, k, image_sha, NULL, 0, "https://cyclonedx.org/bom"), VG_E_VERIFY);
    vg_sign_bundle_free(b);
}

Test(sign_bundle, derived_vector)
{
    TU_REQUIRE_VECTOR(path, "derived/bundle-key-image/bundle.sigstore.json");
    vg_autofree char *good = tu_vector("derived/encrypted-keys/pemsigstorekey.pub");
    vg_autofree char *bad = tu_vector("derived/encrypted-keys/pemcosignkey.pub");
    vg_autobuf struct vg_buf raw, g, w;
    tu_read(&raw, path);
    tu_read(&g, good);
    tu_read(&w, bad);
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *kg = NULL;
    vg_autokey struct vg_crypto_key *kb = NULL;
    TU_ASSERT_OK(vg_crypto_init(&err), err);
    TU_ASSERT_OK(vg_crypto_key_load_public(&kg, g.data, g.len, &err), err);
    TU_ASSERT_OK(vg_crypto_key_load_public(&kb, w.data, w.len, &err), err);
    struct vg_sign_bundle *b = NULL;
    TU_ASSERT_OK(vg_sign_bundle_parse(&b, raw.data, raw.len, &err), err);
    cr_assert_eq(check(b, kg, image_sha, NULL, 0, VG_SIGN_PREDICATE_SIGN), 0);
    cr_assert_eq(check(b, kb, image_sha, NULL, 0, NULL), VG_E_VERIFY);
    vg_sign_bundle_free(b);
}

Test(sign_bundle, referrer_manifest_and_index_match_derived_vectors)
{
    TU_REQUIRE_VECTOR(bpath, "derived/bundle-key-image/bundle.sigstore.json");
    vg_autofree char *mpath = tu_vector("derived/bundle-key-image/referrer.manifest.json");
    vg_autofree char *ipath = tu_vector("derived/bundle-key-image/referrers-fallback-index.json");
    vg_autobuf struct vg_buf bundle, want_m, want_i;
    tu_read(&bundle, bpath);
    tu_read(&want_m, mpath);
    tu_read(&want_i, ipath);
    struct vg_digest bd, subject = dig(image_sha);
    vg_digest_of(&bd, VG_DIGEST_SHA256, bundle.data, bundle.len);
    struct vg_sign_referrer r = {
        .bundle = &bd,
        .bundle_size = bundle.len,
        .predicate_type = VG_SIGN_PREDICATE_SIGN,
        .created = "2026-01-01T00:00:00Z",
        .subject_media_type = "application/vnd.docker.distribution.manifest.v2+json",
        .subject = &subject,
        .subject_size = 264,
    };
    vg_autobuf struct vg_buf m = VG_BUF_INIT(64 * 1024);
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_referrer_manifest_build(&m, &r, &err), err);
    cr_assert_eq(m.len, want_m.len);
    cr_assert(memcmp(m.data, want_m.data, m.len) == 0, "%s", m.data);

    vg_autobuf struct vg_buf idx = VG_BUF_INIT(64 * 1024);
    bool added = false;
    TU_ASSERT_OK(vg_sign_referrers_index_add(&idx, NULL, 0, m.data, m.len, VG_SIGN_MT_BUNDLE_V03,
                                             &added, &err),
                 err);
    cr_assert(added);
    cr_assert_eq(idx.len, want_i.len, "%s", idx.data);
    cr_assert(memcmp(idx.data, want_i.data, idx.len) == 0, "%s", idx.data);
    /* Adding the same referrer again changes nothing. */
    vg_autobuf struct vg_buf again = VG_BUF_INIT(64 * 1024);
    TU_ASSERT_OK(vg_sign_referrers_index_add(&again, idx.data, idx.len, m.data, m.len,
                                             VG_SIGN_MT_BUNDLE_V03, &added, &err),
                 err);
    cr_assert(!added);
    cr_assert_eq(again.len, idx.len);
}

Test(sign_bundle, index_add_keeps_other_entries)
{
    const char *old = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json"
                      "\",\"manifests\":[{\"mediaType\":\"x\",\"size\":1,\"digest\":\"sha256:"
                      "0000000000000000000000000000000000000000000000000000000000000000\"}]}";
    const char *m = "{\"schemaVersion\":2}";
    vg_autobuf struct vg_buf idx = VG_BUF_INIT(64 * 1024);
    bool added = false;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(
        vg_sign_referrers_index_add(&idx, old, strlen(old), m, strlen(m), "t", &added, &err), err);
    cr_assert(added);
    cr_assert(strstr((char *)idx.data, "sha256:0000") != NULL);
    cr_assert(strstr((char *)idx.data, "\"artifactType\":\"t\"") != NULL);
    const char *bad = "{\"manifests\":{}}";
    vg_buf_reset(&idx);
    cr_assert_lt(
        vg_sign_referrers_index_add(&idx, bad, strlen(bad), m, strlen(m), "t", &added, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
}

static int
parse_code(const char *json)
{
    struct vg_sign_bundle *b = NULL;
    struct vg_err *err = NULL;
    if (vg_sign_bundle_parse(&b, json, strlen(json), &err) == 0) {
        vg_sign_bundle_free(b);
        return 0;
    }
    int code = (int)vg_err_root_code(err);
    vg_err_free(&err);
    return code;
}

#define ENV_OK                                                                                     \
    "{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\","                      \
    "\"signatures\":[{\"sig\":\"MEUCIQ==\"}]}"

Test(sign_bundle, hostile_bundles)
{
    cr_assert_eq(parse_code("{\"mediaType\":\"" VG_SIGN_MT_BUNDLE_V03 "\",\"verificationMaterial\""
                            ":{},\"dsseEnvelope\":" ENV_OK "}"),
                 0);
    cr_assert_eq(parse_code("{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.1"
                            "\",\"verificationMaterial\":{},\"dsseEnvelope\":" ENV_OK "}"),
                 VG_E_UNSUPPORTED);
    cr_assert_eq(parse_code("{\"mediaType\":\"" VG_SIGN_MT_BUNDLE_V03 "\",\"verificationMaterial\""
                            ":{},\"messageSignature\":{}}"),
                 VG_E_UNSUPPORTED);
    cr_assert_eq(parse_code("{\"mediaType\":\"" VG_SIGN_MT_BUNDLE_V03 "\",\"mediaType\":\"x\","
                            "\"verificationMaterial\":{},\"dsseEnvelope\":" ENV_OK "}"),
                 VG_E_PARSE);
    cr_assert_eq(
        parse_code("{\"mediaType\":\"" VG_SIGN_MT_BUNDLE_V03 "\",\"dsseEnvelope\":" ENV_OK "}"),
        VG_E_PARSE);
    cr_assert_eq(parse_code("{\"mediaType\":\"" VG_SIGN_MT_BUNDLE_V03 "\",\"verificationMaterial\""
                            ":{},\"dsseEnvelope\":{\"payload\":\"!!\",\"payloadType\":\"x\","
                            "\"signatures\":[{\"sig\":\"AA==\"}]}}"),
                 VG_E_PARSE);
    cr_assert_eq(parse_code("[]"), VG_E_PARSE);
    cr_assert_eq(parse_code("{\"mediaType\":\"" VG_SIGN_MT_BUNDLE_V03), VG_E_PARSE);
}

Test(sign_bundle, statement_subject_annotations)
{
    const char *s = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"p\","
                    "\"subject\":[{\"digest\":{\"sha256\":\"732112270d7e59418a8c080b134b24cabd"
                    "67d250d0d0147a97ed95ba5c280aa4\"},\"annotations\":{\"a\":\"b\",\"n\":1}}]}";
    struct vg_sign_statement *st = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_statement_parse(&st, s, strlen(s), &err), err);
    cr_assert_eq(st->subjects[0].nannotations, 1); /* non-string values are ignored */
    cr_assert_str_eq(st->subjects[0].annotations[0].key, "a");
    vg_sign_statement_free(st);
    const char *bad =
        "{\"_type\":\"t\",\"predicateType\":\"p\",\"subject\":[{\"annotations\":[]}]}";
    cr_assert_lt(vg_sign_statement_parse(&st, bad, strlen(bad), &err), 0);
    vg_err_free(&err);
}

/* ---------------------------------------------------------------- blob bundles */

Test(sign_bundle, blob_bundle_roundtrip_and_tamper)
{
    struct vg_crypto_key *k = fresh_key(), *other = fresh_key();
    static const char blob[] = "the artifact's bytes";
    vg_autobuf struct vg_buf b = VG_BUF_INIT(65536);
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_blob_bundle_build(&b, k, blob, sizeof(blob) - 1, &err), err);
    /* The digest is the blob's SHA-256 in base64, as cosign writes it. */
    uint8_t raw[32];
    vg_sha256_raw(raw, blob, sizeof(blob) - 1);
    char *d64 = vg_base64_encode(raw, sizeof(raw));
    cr_assert_not_null(strstr(vg_buf_cstr(&b), d64));
    free(d64);
    struct vg_sign_blob_bundle *bb = NULL;
    TU_ASSERT_OK(vg_sign_blob_bundle_parse(&bb, b.data, b.len, &err), err);
    cr_assert_str_eq(bb->media_type, VG_SIGN_MT_BUNDLE_V03);
    TU_ASSERT_OK(vg_sign_blob_bundle_verify(bb, k, blob, sizeof(blob) - 1, &err), err);
    cr_assert_lt(vg_sign_blob_bundle_verify(bb, other, blob, sizeof(blob) - 1, &err), 0);
    cr_assert(vg_err_is(err, VG_E_VERIFY));
    vg_err_free(&err);
    cr_assert_lt(vg_sign_blob_bundle_verify(bb, k, "another blob", 12, &err), 0);
    cr_assert(vg_err_is(err, VG_E_VERIFY));
    char *m = vg_err_format(err);
    cr_assert_not_null(strstr(m, "the bundle is for sha256:"), "%s", m);
    free(m);
    vg_err_free(&err);
    /* A flipped signature byte (inside the DER, after the header) fails. */
    bb->sig[10] ^= 1;
    cr_assert_lt(vg_sign_blob_bundle_verify(bb, k, blob, sizeof(blob) - 1, &err), 0);
    vg_err_free(&err);
    vg_sign_blob_bundle_free(bb);
    vg_crypto_key_free(k);
    vg_crypto_key_free(other);
}

static int
blob_parse_code(const char *json)
{
    struct vg_sign_blob_bundle *b = NULL;
    struct vg_err *err = NULL;
    if (vg_sign_blob_bundle_parse(&b, json, strlen(json), &err) == 0) {
        vg_sign_blob_bundle_free(b);
        return 0;
    }
    int code = (int)vg_err_root_code(err);
    vg_err_free(&err);
    return code;
}

#define MT02                "application/vnd.dev.sigstore.bundle+json;version=0.2"
#define D32                 "\"digest\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\""
#define MSIG(alg, dig, sig) "{\"messageDigest\":{\"algorithm\":\"" alg "\"," dig "}," sig "}"

Test(sign_bundle, hostile_blob_bundles)
{
    cr_assert_eq(blob_parse_code("{\"mediaType\":\"" MT02 "\",\"verificationMaterial\":{},"
                                 "\"messageSignature\":" MSIG("SHA2_256", D32,
                                                              "\"signature\":\"MEUCIQ==\"") "}"),
                 0);
    /* DSSE content is an attestation, not a blob signature. */
    cr_assert_eq(blob_parse_code("{\"mediaType\":\"" VG_SIGN_MT_BUNDLE_V03 "\","
                                 "\"verificationMaterial\":{},\"dsseEnvelope\":" ENV_OK "}"),
                 VG_E_UNSUPPORTED);
    cr_assert_eq(blob_parse_code("{\"mediaType\":\"application/x\",\"verificationMaterial\":{},"
                                 "\"messageSignature\":{}}"),
                 VG_E_UNSUPPORTED);
    cr_assert_eq(
        blob_parse_code("{\"mediaType\":\"" MT02 "\",\"verificationMaterial\":{},"
                        "\"messageSignature\":" MSIG("MD5", D32, "\"signature\":\"AA==\"") "}"),
        VG_E_UNSUPPORTED);
    /* A 32-byte digest labelled SHA2_512, bad base64, no signature, empty signature. */
    cr_assert_eq(blob_parse_code(
                     "{\"mediaType\":\"" MT02 "\",\"verificationMaterial\":{},"
                     "\"messageSignature\":" MSIG("SHA2_512", D32, "\"signature\":\"AA==\"") "}"),
                 VG_E_PARSE);
    cr_assert_eq(blob_parse_code("{\"mediaType\":\"" MT02 "\",\"verificationMaterial\":{},"
                                 "\"messageSignature\":" MSIG("SHA2_256", "\"digest\":\"!!\"",
                                                              "\"signature\":\"AA==\"") "}"),
                 VG_E_PARSE);
    cr_assert_eq(blob_parse_code("{\"mediaType\":\"" MT02 "\",\"verificationMaterial\":{},"
                                 "\"messageSignature\":" MSIG("SHA2_256", D32, "\"x\":1") "}"),
                 VG_E_PARSE);
    cr_assert_eq(
        blob_parse_code("{\"mediaType\":\"" MT02 "\",\"verificationMaterial\":{},"
                        "\"messageSignature\":" MSIG("SHA2_256", D32, "\"signature\":\"\"") "}"),
        VG_E_PARSE);
    /* Duplicate keys, missing verificationMaterial, not an object, truncated, oversized. */
    cr_assert_eq(blob_parse_code("{\"mediaType\":\"" MT02 "\",\"mediaType\":\"" MT02 "\","
                                 "\"verificationMaterial\":{},\"messageSignature\":{}}"),
                 VG_E_PARSE);
    cr_assert_eq(blob_parse_code("{\"mediaType\":\"" MT02 "\",\"messageSignature\":{}}"),
                 VG_E_PARSE);
    cr_assert_eq(blob_parse_code("\"str\""), VG_E_PARSE);
    cr_assert_eq(blob_parse_code("{\"mediaType\":\"" MT02 "\",\"verif"), VG_E_PARSE);
    size_t big = 70u * 1024u;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    memcpy(huge, "{\"a\":1", 6);
    huge[big - 1] = '}';
    huge[big] = '\0';
    cr_assert_eq(blob_parse_code(huge), VG_E_LIMIT);
    free(huge);
}
