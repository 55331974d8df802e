/* SPDX-License-Identifier: Apache-2.0
 *
 * DSSE envelopes and in-toto statements: PAE bytes, cosign's key-signed attestation vectors
 * with their expected claim outcomes, predicate-type selection, the derived v0.3 bundle's
 * envelope, our own sign → verify roundtrip, and hostile envelopes.
 */
#include "../crypto/testutil.h"
#include "sign/sign.h"

static const char blob_sha[] =
    "sha256:658781cd4ed9bca60dacd09f7bb914bb51502e8b5d619f57f39a1d652596cc24";

static struct vg_digest
dig(const char *s)
{
    struct vg_digest d;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_digest_parse(&d, s, &err), err);
    return d;
}

static struct vg_crypto_key *
vector_pub(const char *rel)
{
    vg_autofree char *p = tu_vector(rel);
    vg_autobuf struct vg_buf b;
    tu_read(&b, p);
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_public(&k, b.data, b.len, &err), err);
    return k;
}

Test(sign_dsse, pae_bytes)
{
    vg_autobuf struct vg_buf b = VG_BUF_INIT(1024);
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sign_dsse_pae(&b, VG_SIGN_PAYLOAD_TYPE_INTOTO, "hello", 5, &err), err);
    cr_assert_str_eq((char *)b.data, "DSSEv1 28 application/vnd.in-toto+json 5 hello");
    vg_buf_reset(&b);
    TU_ASSERT_OK(vg_sign_dsse_pae(&b, "", "", 0, &err), err);
    cr_assert_str_eq((char *)b.data, "DSSEv1 0  0 ");
}

/* Returns 0 when the envelope verifies with the given claims, else the error code. */
static int
attest(const char *file, const char *subject, const char *type)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "dsse-key/%s.dsse.json", file);
    vg_autofree char *path = tu_vector(rel);
    cr_assert_not_null(path, "%s", rel);
    vg_autobuf struct vg_buf env;
    tu_read(&env, path);
    vg_autokey struct vg_crypto_key *pub = vector_pub("dsse-key/cosign.pub");
    struct vg_digest d;
    if (subject) {
        d = dig(subject);
    }
    struct vg_err *err = NULL;
    int rc =
        vg_sign_attestation_verify(env.data, env.len, pub, subject ? &d : NULL, type, NULL, &err);
    int code = rc < 0 ? (int)vg_err_root_code(err) : 0;
    vg_err_free(&err);
    return code;
}

Test(sign_dsse, cosign_dsse_key_vectors)
{
    TU_REQUIRE_VECTOR(blob, "dsse-key/blob");
    vg_autobuf struct vg_buf b, ab;
    tu_read(&b, blob);
    vg_autofree char *another = tu_vector("dsse-key/another-blob");
    tu_read(&ab, another);
    struct vg_digest bd, ad;
    vg_digest_of(&bd, VG_DIGEST_SHA256, b.data, b.len);
    vg_digest_of(&ad, VG_DIGEST_SHA256, ab.data, ab.len);
    cr_assert_str_eq(bd.text, blob_sha);

    cr_assert_eq(attest("slsa-provenance", bd.text, "slsaprovenance"), 0);
    cr_assert_eq(attest("slsa-provenance", blob_sha, "slsaprovenance02"), 0);
    cr_assert_eq(attest("slsa-provenance", bd.text, "custom"), VG_E_VERIFY);
    cr_assert_eq(attest("slsa-provenance", ad.text, "slsaprovenance"), VG_E_VERIFY);
    cr_assert_eq(attest("slsa-provenance", NULL, NULL), 0, "check-claims=false: any blob");
    cr_assert_eq(attest("empty-subject", bd.text, "slsaprovenance"), VG_E_VERIFY);
    cr_assert_eq(attest("missing-sha256", bd.text, "slsaprovenance"), VG_E_VERIFY);
    cr_assert_eq(attest("multiple-subjects", bd.text, "slsaprovenance"), 0);
    cr_assert_eq(attest("multiple-subjects", bd.text, "cyclonedx"), VG_E_VERIFY);
    cr_assert_eq(attest("multiple-subjects-invalid", bd.text, "slsaprovenance"), VG_E_VERIFY);
    /* Every envelope is cryptographically valid: failures above are claim failures. */
    static const char *const all[] = {"slsa-provenance", "empty-subject", "missing-sha256",
                                      "multiple-subjects", "multiple-subjects-invalid"};
    for (size_t i = 0; i < VG_ARRAY_LEN(all); i++) {
        cr_assert_eq(attest(all[i], NULL, NULL), 0, "%s", all[i]);
    }
}

Test(sign_dsse, wrong_key_and_tampered_signature_fail)
{
    TU_REQUIRE_VECTOR(path, "dsse-key/slsa-provenance.dsse.json");
    TU_REQUIRE_VECTOR(other, "derived/encrypted-keys/pemsigstorekey.pub");
    vg_autobuf struct vg_buf env;
    tu_read(&env, path);
    vg_autokey struct vg_crypto_key *wrong =
        vector_pub("derived/encrypted-keys/pemsigstorekey.pub");
    struct vg_err *err = NULL;
    cr_assert_lt(vg_sign_attestation_verify(env.data, env.len, wrong, NULL, NULL, NULL, &err), 0);
    cr_assert(vg_err_is(err, VG_E_VERIFY));
    vg_err_free(&err);

    /* cosign's test replaces the signature with c29tZXRoaW5nCg== ("something\n"). */
    vg_autojson json_t *j = NULL;
    TU_ASSERT_OK(vg_json_parse(&j, env.data, env.len, 1 << 20, "env", &err), err);
    json_object_set_new(json_array_get(json_object_get(j, "signatures"), 0), "sig",
                        json_string("c29tZXRoaW5nCg=="));
    vg_autofree char *bad = vg_json_dumps(j, JSON_COMPACT);
    vg_autokey struct vg_crypto_key *pub = vector_pub("dsse-key/cosign.pub");
    cr_assert_lt(vg_sign_attestation_verify(bad, strlen(bad), pub, NULL, NULL, NULL, &err), 0);
    cr_assert(vg_err_is(err, VG_E_VERIFY));
    vg_err_free(&err);
}

static const char *
statement_type_of(const char *rel)
{
    static char buf[256];
    vg_autofree char *path = tu_vector(rel);
    vg_autobuf struct vg_buf b;
    tu_read(&b, path);
    struct vg_err *err = NULL;
    struct vg_dsse_envelope *e = NULL;
    TU_ASSERT_OK(vg_sign_dsse_parse(&e, b.data, b.len, &err), err);
    struct vg_sign_statement *st = NULL;
    TU_ASSERT_OK(vg_sign_statement_parse(&st, e->payload, e->payload_len, &err), err);
    snprintf(buf, sizeof(buf), "%s", st->predicate_type);
    int custom = vg_sign_statement_check(st, NULL, "custom", NULL);
    int vuln = vg_sign_statement_check(st, NULL, "vuln", NULL);
    vg_sign_statement_free(st);
    vg_sign_dsse_free(e);
    return custom == 0 ? "custom" : vuln == 0 ? "vuln" : "none";
}

Test(sign_dsse, policy_envelopes_predicate_selection)
{
    TU_REQUIRE_VECTOR(p, "policy-envelopes/valid-custom.dsse.json");
    cr_assert_str_eq(statement_type_of("policy-envelopes/valid-custom.dsse.json"), "custom");
    cr_assert_str_eq(statement_type_of("policy-envelopes/valid-vuln.dsse.json"), "vuln");
    cr_assert_str_eq(statement_type_of("policy-envelopes/malformed-custom.dsse.json"), "none");
    cr_assert_str_eq(statement_type_of("policy-envelopes/malformed-vuln.dsse.json"), "none");
}

Test(sign_dsse, derived_bundle_envelope_and_hint)
{
    TU_REQUIRE_VECTOR(path, "derived/bundle-key-image/bundle.sigstore.json");
    vg_autobuf struct vg_buf b;
    tu_read(&b, path);
    struct vg_err *err = NULL;
    vg_autojson json_t *j = NULL;
    TU_ASSERT_OK(vg_json_parse(&j, b.data, b.len, 1 << 20, "bundle", &err), err);
    vg_autofree char *env = vg_json_dumps(json_object_get(j, "dsseEnvelope"), JSON_COMPACT);
    vg_autokey struct vg_crypto_key *good = vector_pub("derived/encrypted-keys/pemsigstorekey.pub");
    vg_autokey struct vg_crypto_key *bad = vector_pub("derived/encrypted-keys/pemcosignkey.pub");
    struct vg_digest image =
        dig("sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4");
    struct vg_sign_statement *st = NULL;
    TU_ASSERT_OK(vg_sign_attestation_verify(env, strlen(env), good, &image,
                                            "https://sigstore.dev/cosign/sign/v1", &st, &err),
                 err);
    cr_assert_str_eq(st->type, VG_SIGN_STATEMENT_V1);
    vg_sign_statement_free(st);
    cr_assert_lt(vg_sign_attestation_verify(env, strlen(env), bad, NULL, NULL, NULL, &err), 0);
    vg_err_free(&err);
    /* publicKey.hint = base64(sha256(DER SPKI)). */
    vg_autofree char *hint = NULL;
    TU_ASSERT_OK(vg_crypto_key_hint(good, &hint, &err), err);
    const char *want = json_string_value(json_object_get(
        json_object_get(json_object_get(j, "verificationMaterial"), "publicKey"), "hint"));
    cr_assert_str_eq(hint, want);
}

Test(sign_dsse, statement_build_sign_verify_roundtrip)
{
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    struct vg_digest d = dig(blob_sha);
    vg_autobuf struct vg_buf st = VG_BUF_INIT(VG_LIMIT_PAYLOAD_BYTES);
    static const char data[] = "{\"foo\": \"bar\"}\n";
    TU_ASSERT_OK(vg_sign_statement_build(&st, "custom", "blob", &d, data, sizeof(data) - 1,
                                         1740770291, &err),
                 err);
    cr_assert_str_eq((char *)st.data,
                     "{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"predicateType\":"
                     "\"https://cosign.sigstore.dev/attestation/v1\",\"subject\":[{\"name\":"
                     "\"blob\",\"digest\":{\"sha256\":\"658781cd4ed9bca60dacd09f7bb914bb51502e8b"
                     "5d619f57f39a1d652596cc24\"}}],\"predicate\":{\"Data\":\"{\\\"foo\\\": "
                     "\\\"bar\\\"}\\n\",\"Timestamp\":\"2025-02-28T19:18:11Z\"}}");
    vg_autobuf struct vg_buf env = VG_BUF_INIT(VG_SIGN_ENVELOPE_MAX);
    TU_ASSERT_OK(vg_sign_dsse_sign(&env, k, VG_SIGN_PAYLOAD_TYPE_INTOTO, st.data, st.len, &err),
                 err);
    cr_assert(vg_cstr_startswith((char *)env.data,
                                 "{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":"));
    TU_ASSERT_OK(vg_sign_attestation_verify(env.data, env.len, k, &d, "custom", NULL, &err), err);

    /* A valid signature over a non-in-toto payloadType is still refused. */
    vg_autobuf struct vg_buf env2 = VG_BUF_INIT(VG_SIGN_ENVELOPE_MAX);
    TU_ASSERT_OK(vg_sign_dsse_sign(&env2, k, "text/plain", st.data, st.len, &err), err);
    cr_assert_lt(vg_sign_attestation_verify(env2.data, env2.len, k, &d, "custom", NULL, &err), 0);
    cr_assert(tu_err_contains(err, "payloadType"));
    vg_err_free(&err);
}

Test(sign_dsse, statement_predicates_by_type)
{
    struct vg_err *err = NULL;
    struct vg_digest d = dig(blob_sha);
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_LIMIT_PAYLOAD_BYTES);
    TU_ASSERT_OK(
        vg_sign_statement_build(&b, "spdx", "n", &d, "SPDXVersion: SPDX-2.2\n", 22, 0, &err), err);
    cr_assert_not_null(strstr((char *)b.data, "\"predicate\":\"SPDXVersion: SPDX-2.2\\n\""));
    vg_buf_reset(&b);
    TU_ASSERT_OK(vg_sign_statement_build(&b, "https://example.com/TestResult/v1", "n", &d,
                                         "{\"passed\": true}", 16, 0, &err),
                 err);
    cr_assert_not_null(strstr((char *)b.data, "\"predicateType\":\"https://example.com/TestResult"
                                              "/v1\""));
    cr_assert_not_null(strstr((char *)b.data, "\"predicate\":{\"passed\":true}"));
    vg_buf_reset(&b);
    cr_assert_lt(
        vg_sign_statement_build(&b, "cyclonedx", "n", &d, "{\"a\":1,\"a\":2}", 13, 0, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
    cr_assert_lt(vg_sign_statement_build(&b, "nonsense", "n", &d, "{}", 2, 0, &err), 0);
    cr_assert(vg_err_is(err, VG_E_UNSUPPORTED));
    vg_err_free(&err);
    cr_assert_str_eq(vg_sign_predicate_type("cyclonedx"), "https://cyclonedx.org/bom");
    cr_assert_str_eq(vg_sign_predicate_type("spdxjson"), "https://spdx.dev/Document");
    cr_assert_str_eq(vg_sign_predicate_type("vuln"),
                     "https://cosign.sigstore.dev/attestation/vuln/v1");
    cr_assert_str_eq(vg_sign_predicate_type("slsaprovenance"), "https://slsa.dev/provenance/v0.2");
    cr_assert_null(vg_sign_predicate_type("cosign.sigstore.dev/attestation/v1"));
    cr_assert_null(vg_sign_predicate_type(":x"));

    TU_REQUIRE_VECTOR(cdx, "predicates/bom-go-mod.cyclonedx.json");
    vg_autobuf struct vg_buf pred;
    tu_read(&pred, cdx);
    vg_buf_reset(&b);
    TU_ASSERT_OK(vg_sign_statement_build(&b, "cyclonedx", "img", &d, pred.data, pred.len, 0, &err),
                 err);
    struct vg_sign_statement *st = NULL;
    TU_ASSERT_OK(vg_sign_statement_parse(&st, b.data, b.len, &err), err);
    TU_ASSERT_OK(vg_sign_statement_check(st, &d, "cyclonedx", &err), err);
    vg_sign_statement_free(st);
}

static void
expect_dsse_error(const char *json, enum vg_errc code)
{
    struct vg_dsse_envelope *e = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_sign_dsse_parse(&e, json, strlen(json), &err), 0, "accepted %s", json);
    cr_assert(vg_err_is(err, code), "%s: code %d", json, (int)vg_err_root_code(err));
    vg_err_free(&err);
}

Test(sign_dsse, parser_rejects_hostile_envelopes)
{
    expect_dsse_error("[]", VG_E_PARSE);
    expect_dsse_error("{\"payloadType\":\"t\",\"payload\":\"e30=\"}", VG_E_PARSE);
    expect_dsse_error("{\"payloadType\":\"t\",\"payload\":\"e30=\",\"signatures\":[]}", VG_E_PARSE);
    expect_dsse_error("{\"payloadType\":\"t\",\"payload\":\"e30=\",\"signatures\":[1]}",
                      VG_E_PARSE);
    expect_dsse_error("{\"payloadType\":\"t\",\"payload\":\"e30=\",\"signatures\":[{\"sig\":1}]}",
                      VG_E_PARSE);
    expect_dsse_error("{\"payloadType\":\"t\",\"payload\":\"e30=\",\"signatures\":[{\"keyid\":1,"
                      "\"sig\":\"AA==\"}]}",
                      VG_E_PARSE);
    expect_dsse_error(
        "{\"payloadType\":\"t\",\"payload\":\"*\",\"signatures\":[{\"sig\":\"AA==\"}]}",
        VG_E_PARSE);
    expect_dsse_error("{\"payloadType\":\"t\",\"payloadType\":\"u\",\"payload\":\"e30=\","
                      "\"signatures\":[{\"sig\":\"AA==\"}]}",
                      VG_E_PARSE);
    /* Signature count limit: 16 accepted, 17 rejected. */
    vg_autobuf struct vg_buf b = VG_BUF_INIT(1 << 20);
    struct vg_err *err = NULL;
    for (unsigned n = VG_SIGN_DSSE_MAX_SIGS; n <= VG_SIGN_DSSE_MAX_SIGS + 1; n++) {
        vg_buf_reset(&b);
        cr_assert_eq(vg_buf_append_str(&b,
                                       "{\"payloadType\":\"t\",\"payload\":\"e30=\","
                                       "\"signatures\":[",
                                       &err),
                     0);
        for (unsigned i = 0; i < n; i++) {
            cr_assert_eq(vg_buf_appendf(&b, &err, "%s{\"sig\":\"AA==\"}", i ? "," : ""), 0);
        }
        cr_assert_eq(vg_buf_append_str(&b, "]}", &err), 0);
        struct vg_dsse_envelope *e = NULL;
        int rc = vg_sign_dsse_parse(&e, b.data, b.len, &err);
        if (n == VG_SIGN_DSSE_MAX_SIGS) {
            TU_ASSERT_OK(rc, err);
            cr_assert_eq(e->nsigs, n);
            cr_assert_str_eq(e->sigs[0].keyid, "");
            cr_assert_str_eq((char *)e->payload, "{}");
            vg_sign_dsse_free(e);
        } else {
            cr_assert_lt(rc, 0);
            cr_assert(vg_err_is(err, VG_E_LIMIT));
            vg_err_free(&err);
        }
    }
    /* Oversize envelope. */
    vg_autofree char *big = calloc(1, VG_SIGN_ENVELOPE_MAX + 2);
    memset(big, ' ', VG_SIGN_ENVELOPE_MAX + 1);
    struct vg_dsse_envelope *e = NULL;
    cr_assert_lt(vg_sign_dsse_parse(&e, big, VG_SIGN_ENVELOPE_MAX + 1, &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
}

Test(sign_dsse, statement_parser_hostile)
{
    struct vg_sign_statement *st = NULL;
    struct vg_err *err = NULL;
    static const char *const bad[] = {
        "{}",
        "[]",
        "{\"_type\":\"x\",\"predicateType\":\"p\"}",
        "{\"_type\":\"x\",\"predicateType\":\"p\",\"subject\":{}}",
        "{\"_type\":\"x\",\"predicateType\":\"p\",\"subject\":[1]}",
        "{\"_type\":\"x\",\"_type\":\"y\",\"predicateType\":\"p\",\"subject\":[]}",
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        cr_assert_lt(vg_sign_statement_parse(&st, bad[i], strlen(bad[i]), &err), 0, "%s", bad[i]);
        vg_err_free(&err);
    }
    /* Upper-case or short hex never matches a subject. */
    static const char upper[] =
        "{\"_type\":\"x\",\"predicateType\":\"p\",\"subject\":[{\"digest\":{\"sha256\":"
        "\"658781CD4ED9BCA60DACD09F7BB914BB51502E8B5D619F57F39A1D652596CC24\"}}]}";
    TU_ASSERT_OK(vg_sign_statement_parse(&st, upper, strlen(upper), &err), err);
    struct vg_digest d = dig(blob_sha);
    cr_assert_lt(vg_sign_statement_check(st, &d, NULL, &err), 0);
    vg_err_free(&err);
    vg_sign_statement_free(st);
}

Test(sign_dsse, keyless_bundle_envelope_verifies_with_leaf_key)
{
    TU_REQUIRE_VECTOR(path, "keyless-image/oci-attestation.sigstore.json");
    TU_REQUIRE_VECTOR(mpath, "keyless-image/empty-image.manifest.json");
    vg_autobuf struct vg_buf b, mb;
    tu_read(&b, path);
    tu_read(&mb, mpath);
    struct vg_err *err = NULL;
    vg_autojson json_t *j = NULL;
    TU_ASSERT_OK(vg_json_parse(&j, b.data, b.len, 1 << 20, "bundle", &err), err);
    const char *raw = json_string_value(json_object_get(
        json_object_get(json_object_get(j, "verificationMaterial"), "certificate"), "rawBytes"));
    cr_assert_not_null(raw);
    vg_autofree uint8_t *der = NULL;
    size_t derlen = 0;
    TU_ASSERT_OK(vg_base64_decode(&der, &derlen, raw, strlen(raw), false, &err), err);
    vg_autokey struct vg_crypto_key *leaf = NULL;
    TU_ASSERT_OK(vg_crypto_key_from_certificate(&leaf, der, derlen, &err), err);
    cr_assert_eq(vg_crypto_key_type(leaf), VG_KEY_ECDSA_P256);

    vg_autofree char *env = vg_json_dumps(json_object_get(j, "dsseEnvelope"), JSON_COMPACT);
    struct vg_digest image;
    vg_digest_of(&image, VG_DIGEST_SHA256, mb.data, mb.len);
    struct vg_sign_statement *st = NULL;
    TU_ASSERT_OK(vg_sign_attestation_verify(env, strlen(env), leaf, &image, "custom", &st, &err),
                 err);
    cr_assert_str_eq(st->subjects[0].name, "127.0.0.1:60943/repo");
    vg_sign_statement_free(st);
    /* Attached to another image it fails, as in cosign's test. */
    struct vg_digest other = dig(blob_sha);
    cr_assert_lt(vg_sign_attestation_verify(env, strlen(env), leaf, &other, "custom", NULL, &err),
                 0);
    cr_assert(tu_err_contains(err, "does not match any subject digest"));
    vg_err_free(&err);
    /* A certificate's truncated DER is refused. */
    struct vg_crypto_key *k = NULL;
    cr_assert_lt(vg_crypto_key_from_certificate(&k, der, derlen - 1, &err), 0);
    vg_err_free(&err);
    static const char notcert[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    cr_assert_lt(vg_crypto_key_from_certificate(&k, notcert, strlen(notcert), &err), 0);
    cr_assert(vg_err_is(err, VG_E_UNSUPPORTED));
    vg_err_free(&err);
}
