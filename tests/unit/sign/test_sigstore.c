/* SPDX-License-Identifier: Apache-2.0
 *
 * Keyless Sigstore verification (sign/sigstore_*.c): RFC 6962 inclusion proofs against trees
 * built here (every index of every size up to 33, wrong path lengths, out-of-range indexes),
 * RFC 3339 times, trusted-root parsing (the public-good root, validFor rules, limits), signed
 * checkpoints and full bundle verification on the conformance vectors (skipped cleanly when
 * ../shared is absent), with tampering that must fail for the stated reason.
 */
#include "../crypto/testutil.h"
#include "sign/sign.h"

/* ---------------------------------------------------------------- Merkle trees */

static void
leaf_of(uint8_t out[32], size_t i)
{
    char data[32];
    int n = snprintf(data, sizeof(data), "leaf-%zu", i);
    vg_sigstore_leaf_hash(out, data, (size_t)n);
}

static void
node(uint8_t out[32], const uint8_t l[32], const uint8_t r[32])
{
    uint8_t buf[65];
    buf[0] = 1;
    memcpy(buf + 1, l, 32);
    memcpy(buf + 33, r, 32);
    vg_sha256_raw(out, buf, sizeof(buf));
}

/* RFC 6962 §2.1 MTH of leaves [lo, hi). */
static void
mth(uint8_t out[32], size_t lo, size_t hi)
{
    if (hi - lo == 1) {
        leaf_of(out, lo);
        return;
    }
    size_t k = 1;
    while (k * 2 < hi - lo) {
        k *= 2;
    }
    uint8_t l[32], r[32];
    mth(l, lo, lo + k);
    mth(r, lo + k, hi);
    node(out, l, r);
}

/* RFC 6962 §2.1.1 PATH(m, D[lo:hi]), appended to path. */
static void
audit_path(uint8_t (*path)[32], size_t *n, size_t m, size_t lo, size_t hi)
{
    if (hi - lo <= 1) {
        return;
    }
    size_t k = 1;
    while (k * 2 < hi - lo) {
        k *= 2;
    }
    if (m < k) {
        audit_path(path, n, m, lo, lo + k);
        mth(path[(*n)++], lo + k, hi);
    } else {
        audit_path(path, n, m - k, lo + k, hi);
        mth(path[(*n)++], lo, lo + k);
    }
}

Test(sign_sigstore, merkle_every_index_of_every_size)
{
    for (size_t size = 1; size <= 33; size++) {
        uint8_t root[32];
        mth(root, 0, size);
        for (size_t i = 0; i < size; i++) {
            uint8_t path[64][32], leaf[32];
            size_t n = 0;
            audit_path(path, &n, i, 0, size);
            leaf_of(leaf, i);
            struct vg_err *err = NULL;
            TU_ASSERT_OK(
                vg_sigstore_merkle_verify(i, size, leaf, (const uint8_t(*)[32])path, n, root, &err),
                err);
            /* Too few, too many, a flipped bit, the wrong index. */
            if (n > 0) {
                cr_assert(vg_sigstore_merkle_verify(i, size, leaf, (const uint8_t(*)[32])path,
                                                    n - 1, root, &err) < 0);
                cr_assert(tu_err_contains(err, "too few") || tu_err_contains(err, "root hash"));
                vg_err_free(&err);
                path[0][7] ^= 1;
                cr_assert(vg_sigstore_merkle_verify(i, size, leaf, (const uint8_t(*)[32])path, n,
                                                    root, &err) < 0);
                vg_err_free(&err);
                path[0][7] ^= 1;
            }
            memcpy(path[n], root, 32);
            cr_assert(vg_sigstore_merkle_verify(i, size, leaf, (const uint8_t(*)[32])path, n + 1,
                                                root, &err) < 0);
            vg_err_free(&err);
            if (size > 1) {
                cr_assert(vg_sigstore_merkle_verify((i + 1) % size, size, leaf,
                                                    (const uint8_t(*)[32])path, n, root, &err) < 0);
                vg_err_free(&err);
            }
        }
    }
}

Test(sign_sigstore, merkle_index_outside_tree)
{
    uint8_t leaf[32] = {0}, root[32] = {0};
    struct vg_err *err = NULL;
    cr_assert(vg_sigstore_merkle_verify(5, 5, leaf, NULL, 0, root, &err) < 0);
    cr_assert(tu_err_contains(err, "outside"));
    vg_err_free(&err);
    cr_assert(vg_sigstore_merkle_verify(0, 0, leaf, NULL, 0, root, &err) < 0);
    vg_err_free(&err);
    /* 64 hashes cannot belong to a tree of 2 leaves. */
    uint8_t path[64][32] = {{0}};
    cr_assert(vg_sigstore_merkle_verify(0, 2, leaf, (const uint8_t(*)[32])path, 64, root, &err) <
              0);
    cr_assert(tu_err_contains(err, "too many"));
    vg_err_free(&err);
}

/* ---------------------------------------------------------------- times */

Test(sign_sigstore, rfc3339_times)
{
    struct vg_err *err = NULL;
    int64_t t = 0;
    TU_ASSERT_OK(vg_sigstore_time_parse(&t, "2021-01-12T11:53:27Z", &err), err);
    cr_assert_eq(t, 1610452407);
    TU_ASSERT_OK(vg_sigstore_time_parse(&t, "2022-12-31T23:59:59.999Z", &err), err);
    cr_assert_eq(t, 1672531199);
    TU_ASSERT_OK(vg_sigstore_time_parse(&t, "2022-12-31T23:59:59.123456Z", &err), err);
    cr_assert_eq(t, 1672531199);
    TU_ASSERT_OK(vg_sigstore_time_parse(&t, "2021-01-12T12:53:27+01:00", &err), err);
    cr_assert_eq(t, 1610452407);
    const char *bad[] = {"2021-01-12",
                         "2021-01-12T11:53:27",
                         "2021-13-12T11:53:27Z",
                         "2021-01-12T11:53:27.Z",
                         "2021-01-12 11:53:27Z",
                         "x021-01-12T11:53:27Z",
                         "2021-01-12T11:53:27Zjunk"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert(vg_sigstore_time_parse(&t, bad[i], &err) < 0, "%s", bad[i]);
        vg_err_free(&err);
    }
}

/* ---------------------------------------------------------------- trusted roots */

static char *
conformance(const char *rel)
{
    char *p = vg_fmt("%s/interop/sigstore-conformance/%s", tu_shared_root(), rel);
    struct stat st;
    if (stat(p, &st) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

#define REQUIRE_CONF(var, rel)                                                                     \
    vg_autofree char *var = conformance(rel);                                                      \
    if (!var) {                                                                                    \
        cr_skip_test("sigstore conformance vectors absent (%s)", rel);                             \
    }

static const char root_head[] =
    "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"tlogs\":[{"
    "\"baseUrl\":\"https://rekor.example\",\"hashAlgorithm\":\"SHA2_256\",\"publicKey\":{"
    "\"rawBytes\":\"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3"
    "qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==\",\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\"";

static int
parse_root_text(const char *tail, struct vg_err **err)
{
    vg_autofree char *text = vg_fmt("%s%s", root_head, tail);
    struct vg_sigstore_root *r = NULL;
    int rc = vg_sigstore_root_parse(&r, text, strlen(text), err);
    vg_sigstore_root_free(r);
    return rc;
}

Test(sign_sigstore, root_valid_for_rules)
{
    struct vg_err *err = NULL;
    static const char logid[] =
        "},\"logId\":{\"keyId\":\"wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=\"}}]}";
    vg_autofree char *open = vg_fmt("%s", logid);
    TU_ASSERT_OK(parse_root_text(open, &err), err);
    vg_autofree char *end_null =
        vg_fmt(",\"validFor\":{\"start\":\"2021-01-12T11:53:27Z\",\"end\":null}%s", logid);
    TU_ASSERT_OK(parse_root_text(end_null, &err), err);
    vg_autofree char *no_start = vg_fmt(",\"validFor\":{}%s", logid);
    cr_assert(parse_root_text(no_start, &err) < 0);
    cr_assert(tu_err_contains(err, "validFor has no start"));
    vg_err_free(&err);
    vg_autofree char *backwards = vg_fmt(",\"validFor\":{\"start\":\"2022-01-12T11:53:27Z\","
                                         "\"end\":\"2021-01-12T11:53:27Z\"}%s",
                                         logid);
    cr_assert(parse_root_text(backwards, &err) < 0);
    vg_err_free(&err);
    /* A short log id, a duplicate key. */
    cr_assert(parse_root_text("},\"logId\":{\"keyId\":\"AAAA\"}}]}", &err) < 0);
    cr_assert(tu_err_contains(err, "want 32"));
    vg_err_free(&err);
    vg_autofree char *dup = vg_fmt(",\"keyDetails\":\"X\"%s", logid);
    cr_assert(parse_root_text(dup, &err) < 0);
    vg_err_free(&err);
}

Test(sign_sigstore, root_public_good)
{
    REQUIRE_CONF(path, "trusted-roots/public-good/trusted_root.json");
    vg_autobuf struct vg_buf b = VG_BUF_INIT(0);
    tu_read(&b, path);
    struct vg_sigstore_root *r = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_sigstore_root_parse(&r, b.data, b.len, &err), err);
    cr_assert_eq(r->ntlogs, 2);
    cr_assert_eq(r->ncas, 2);
    cr_assert_eq(r->nctlogs, 2);
    cr_assert_eq(r->ntsas, 1);
    cr_assert_eq(r->cas[1].ncerts, 2);
    cr_assert_eq(r->cas[0].end, 1672531199); /* 2022-12-31T23:59:59.999Z */
    cr_assert_eq(r->tlogs[0].id[0], 0xc0);
    vg_sigstore_root_free(r);
}

Test(sign_sigstore, root_too_many_entries)
{
    vg_autobuf struct vg_buf b = VG_BUF_INIT(1u << 20);
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_buf_append_str(&b,
                                   "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+"
                                   "json;version=0.1\",\"tlogs\":[",
                                   &err),
                 err);
    for (unsigned i = 0; i <= VG_SIGSTORE_ROOT_ITEMS; i++) {
        TU_ASSERT_OK(vg_buf_append_str(&b, i ? ",{}" : "{}", &err), err);
    }
    TU_ASSERT_OK(vg_buf_append_str(&b, "]}", &err), err);
    struct vg_sigstore_root *r = NULL;
    cr_assert(vg_sigstore_root_parse(&r, b.data, b.len, &err) < 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
}

/* ---------------------------------------------------------------- bundles */

struct fixture {
    struct vg_sigstore_root *root;
    struct vg_sigstore_bundle *bundle;
    struct vg_buf artifact;
};

static void
load(struct fixture *f, const char *root_rel, const char *bundle_rel, const char *artifact_rel)
{
    vg_autofree char *rp = conformance(root_rel);
    vg_autofree char *bp = conformance(bundle_rel);
    vg_autofree char *ap = conformance(artifact_rel);
    vg_autobuf struct vg_buf rb = VG_BUF_INIT(0), bb = VG_BUF_INIT(0);
    struct vg_err *err = NULL;
    tu_read(&rb, rp);
    tu_read(&bb, bp);
    tu_read(&f->artifact, ap);
    TU_ASSERT_OK(vg_sigstore_root_parse(&f->root, rb.data, rb.len, &err), err);
    TU_ASSERT_OK(vg_sigstore_bundle_parse(&f->bundle, bb.data, bb.len, &err), err);
}

static void
unload(struct fixture *f)
{
    vg_sigstore_root_free(f->root);
    vg_sigstore_bundle_free(f->bundle);
    vg_buf_dispose(&f->artifact);
}

static const struct vg_sigstore_policy beacon = {
    .identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
                ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
    .issuer = "https://token.actions.githubusercontent.com",
};

static int
verify(struct fixture *f, const struct vg_sigstore_policy *p, struct vg_err **err)
{
    struct vg_sigstore_artifact a = {.data = f->artifact.data, .len = f->artifact.len};
    struct vg_sigstore_result res;
    int rc = vg_sigstore_verify(&res, f->bundle, f->root, p, &a, err);
    if (rc == 0) {
        vg_sigstore_result_dispose(&res);
    }
    return rc;
}

#define PG_ROOT "trusted-roots/public-good/trusted_root.json"
#define V01     "bundle-verify/happy-path-v0.1/bundle.sigstore.json"
#define A_TXT   "bundle-verify/a.txt"

Test(sign_sigstore, happy_path_v01_and_identity_policy)
{
    REQUIRE_CONF(dir, "bundle-verify/happy-path-v0.1");
    struct fixture f = {0};
    load(&f, PG_ROOT, V01, A_TXT);
    struct vg_err *err = NULL;
    struct vg_sigstore_artifact a = {.data = f.artifact.data, .len = f.artifact.len};
    struct vg_sigstore_result res;
    TU_ASSERT_OK(vg_sigstore_verify(&res, f.bundle, f.root, &beacon, &a, &err), err);
    cr_assert_str_eq(res.issuer, beacon.issuer);
    cr_assert_str_eq(res.identity, beacon.identity);
    cr_assert_eq(res.ntimes, 1);
    cr_assert_eq(res.times[0], 1689177396);
    cr_assert_geq(res.nscts, 1);
    vg_sigstore_result_dispose(&res);

    /* Regexp forms, the GitHub claims, then mismatches that must name the reason. */
    struct vg_sigstore_policy p = {
        .identity_regexp = "^https://github.com/sigstore-conformance/",
        .issuer_regexp = "githubusercontent\\.com$",
        .github_trigger = "workflow_dispatch",
        .github_sha = "af785b6d3b0fa0c0aa1305faee7ce6036e8d90c4",
        .github_name = "Extremely dangerous OIDC beacon",
        .github_repository = "sigstore-conformance/extremely-dangerous-public-oidc-beacon",
        .github_ref = "refs/heads/main"};
    TU_ASSERT_OK(verify(&f, &p, &err), err);
    p.identity_regexp = "^https://gitlab.com/";
    cr_assert(verify(&f, &p, &err) < 0);
    cr_assert(tu_err_contains(err, "does not match the expected identity"));
    vg_err_free(&err);
    p.identity_regexp = "sigstore-conformance";
    p.issuer_regexp = "accounts\\.google\\.com";
    cr_assert(verify(&f, &p, &err) < 0);
    cr_assert(tu_err_contains(err, "OIDC issuer"));
    vg_err_free(&err);
    p.issuer_regexp = "(";
    cr_assert(verify(&f, &p, &err) < 0);
    cr_assert(vg_err_is(err, VG_E_USAGE));
    vg_err_free(&err);
    p.issuer_regexp = NULL;
    p.issuer = beacon.issuer;
    p.github_repository = "someone/else";
    cr_assert(verify(&f, &p, &err) < 0);
    cr_assert(tu_err_contains(err, "github workflow repository"));
    vg_err_free(&err);
    unload(&f);
}

Test(sign_sigstore, digest_only_and_tampering)
{
    REQUIRE_CONF(dir, "bundle-verify/happy-path-v0.1");
    struct fixture f = {0};
    load(&f, PG_ROOT, V01, A_TXT);
    struct vg_err *err = NULL;
    struct vg_sigstore_artifact a = {0};
    vg_sha256_raw(a.sha256, f.artifact.data, f.artifact.len);
    struct vg_sigstore_result res;
    TU_ASSERT_OK(vg_sigstore_verify(&res, f.bundle, f.root, &beacon, &a, &err), err);
    vg_sigstore_result_dispose(&res);
    a.sha256[0] ^= 1;
    cr_assert(vg_sigstore_verify(&res, f.bundle, f.root, &beacon, &a, &err) < 0);
    cr_assert(tu_err_contains(err, "message digest"));
    vg_err_free(&err);

    /* A flipped bit in the SET, then in the Merkle path, then the checkpoint. */
    struct vg_sigstore_tlog_entry *e = &f.bundle->entries[0];
    e->set[10] ^= 1;
    cr_assert(verify(&f, &beacon, &err) < 0);
    cr_assert(tu_err_contains(err, "signed entry timestamp"));
    vg_err_free(&err);
    e->set[10] ^= 1;
    e->hashes[3][0] ^= 1;
    cr_assert(verify(&f, &beacon, &err) < 0);
    cr_assert(tu_err_contains(err, "inclusion proof"));
    vg_err_free(&err);
    e->hashes[3][0] ^= 1;
    e->nhashes--;
    cr_assert(verify(&f, &beacon, &err) < 0);
    cr_assert(tu_err_contains(err, "too few"));
    vg_err_free(&err);
    e->nhashes++;
    char *nl = strchr(e->checkpoint, '\n');
    nl[1] = nl[1] == '1' ? '2' : '1'; /* the tree size */
    cr_assert(verify(&f, &beacon, &err) < 0);
    cr_assert(tu_err_contains(err, "checkpoint"));
    vg_err_free(&err);
    unload(&f);
}

Test(sign_sigstore, wrong_root_material)
{
    REQUIRE_CONF(dir, "bundle-verify/happy-path-v0.1");
    struct fixture f = {0};
    load(&f, PG_ROOT, V01, A_TXT);
    struct vg_err *err = NULL;
    /* Without the CT logs the SCT cannot verify; without the CAs the chain cannot. */
    size_t nct = f.root->nctlogs;
    f.root->nctlogs = 0;
    cr_assert(verify(&f, &beacon, &err) < 0);
    cr_assert(tu_err_contains(err, "SCT"));
    vg_err_free(&err);
    struct vg_sigstore_policy no_sct = beacon;
    no_sct.ignore_sct = true;
    TU_ASSERT_OK(verify(&f, &no_sct, &err), err);
    f.root->nctlogs = nct;
    size_t ncas = f.root->ncas;
    f.root->ncas = 0;
    cr_assert(verify(&f, &beacon, &err) < 0);
    cr_assert(tu_err_contains(err, "certificate authority"));
    vg_err_free(&err);
    f.root->ncas = ncas;
    /* The Rekor key's window ending before the entry's time. */
    int64_t end = f.root->tlogs[0].end;
    f.root->tlogs[0].end = 1689177395;
    cr_assert(verify(&f, &beacon, &err) < 0);
    cr_assert(tu_err_contains(err, "validity"));
    vg_err_free(&err);
    f.root->tlogs[0].end = 1689177396; /* inclusive */
    TU_ASSERT_OK(verify(&f, &beacon, &err), err);
    f.root->tlogs[0].end = end;
    unload(&f);
}

Test(sign_sigstore, bundle_parser_refusals)
{
    struct {
        const char *json, *why;
    } cases[] = {
        {"[]", "not a JSON object"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=99.9\"}",
         "unsupported media type"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"verificationMaterial\":{\"publicKey\":{},\"certificate\":{\"rawBytes\":\"\"}}}",
         "exactly one of"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"verificationMaterial\":{\"x509CertificateChain\":{\"certificates\":[]}}}",
         "no certificates"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"verificationMaterial\":{\"publicKey\":{},\"tlogEntries\":[{\"logIndex\":\"-1\"}]}}",
         "kindVersion"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"verificationMaterial\":{\"publicKey\":{},\"tlogEntries\":[{\"kindVersion\":{\"kind\":"
         "\"hashedrekord\",\"version\":\"0.0.1\"},\"logIndex\":\"-1\"}]}}",
         "negative"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"verificationMaterial\":{\"publicKey\":{}}}",
         "messageSignature and dsseEnvelope"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"verificationMaterial\":{\"publicKey\":{}},\"messageSignature\":{\"signature\":"
         "\"!!!\"}}",
         "base64"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vg_sigstore_bundle *b = NULL;
        struct vg_err *err = NULL;
        cr_assert(vg_sigstore_bundle_parse(&b, cases[i].json, strlen(cases[i].json), &err) < 0,
                  "%s", cases[i].json);
        cr_assert(tu_err_contains(err, cases[i].why), "%zu: %s", i, vg_err_format(err));
        vg_err_free(&err);
    }
}

Test(sign_sigstore, too_many_entries_and_proof_hashes)
{
    vg_autobuf struct vg_buf b = VG_BUF_INIT(1u << 20);
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_buf_append_str(&b,
                                   "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+"
                                   "json\",\"verificationMaterial\":{\"publicKey\":{},"
                                   "\"tlogEntries\":[{\"kindVersion\":{\"kind\":\"k\",\"version\":"
                                   "\"v\"},\"logIndex\":1,\"logId\":{\"keyId\":\"wNI9atQGlz+"
                                   "VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=\"},\"inclusionProof\":{"
                                   "\"logIndex\":1,\"treeSize\":2,\"rootHash\":\"wNI9atQGlz+"
                                   "VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=\",\"hashes\":[",
                                   &err),
                 err);
    for (unsigned i = 0; i <= VG_SIGSTORE_PROOF_MAX; i++) {
        TU_ASSERT_OK(vg_buf_append_str(&b, i ? ",\"AA==\"" : "\"AA==\"", &err), err);
    }
    TU_ASSERT_OK(vg_buf_append_str(&b, "]}}]}}", &err), err);
    struct vg_sigstore_bundle *bundle = NULL;
    cr_assert(vg_sigstore_bundle_parse(&bundle, b.data, b.len, &err) < 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT), "%s", vg_err_format(err));
    vg_err_free(&err);
}
