/* SPDX-License-Identifier: Apache-2.0
 *
 * oci/dist: the Distribution route grammar (every endpoint, built and parsed back, and hostile
 * targets), the error-code table and error bodies in both directions, and the verifier's typed
 * failures.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "oci/oci.h"

#define HEX256 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D256   "sha256:" HEX256
#define D512                                                                                       \
    "sha512:"                                                                                      \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"                             \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static enum vg_oci_dist_code
parse(struct vg_oci_dist_route *r, const char *t)
{
    struct vg_err *err = NULL;
    enum vg_oci_dist_code c = vg_oci_dist_route_parse(r, t, strlen(t), &err);
    if (c == VG_OCI_DIST_OK) {
        cr_assert_null(err);
    } else {
        cr_assert_not_null(err, "%s: no error message", t);
        cr_assert_eq(err->code, VG_E_PARSE);
        cr_assert_null(strchr(err->msg, '\n'));
        vg_err_free(&err);
    }
    return c;
}

static void
expect(const char *t, enum vg_oci_dist_code want)
{
    struct vg_oci_dist_route r;
    enum vg_oci_dist_code c = parse(&r, t);
    cr_assert_eq(c, want, "%s: got %s, want %s", t, vg_oci_dist_code_name(c),
                 vg_oci_dist_code_name(want));
    vg_oci_dist_route_dispose(&r);
}

/* Parses t, checks kind and name, and that formatting gives t back. */
static void
roundtrip(const char *t, enum vg_oci_dist_route_kind kind, const char *name, const char *ref)
{
    struct vg_oci_dist_route r;
    cr_assert_eq(parse(&r, t), VG_OCI_DIST_OK, "%s", t);
    cr_assert_eq(r.kind, kind, "%s", t);
    if (name) {
        cr_assert_str_eq(r.name, name);
    } else {
        cr_assert_null(r.name);
    }
    if (ref) {
        cr_assert_str_eq(r.reference, ref);
    }
    char *back = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_dist_route_format(&back, &r, &err), 0, "%s: %s", t, err ? err->msg : "");
    cr_assert_str_eq(back, t);
    free(back);
    vg_oci_dist_route_dispose(&r);
}

Test(oci_dist, every_route_round_trips)
{
    roundtrip("/v2/", VG_OCI_DIST_R_BASE, NULL, NULL);
    roundtrip("/v2/_catalog", VG_OCI_DIST_R_CATALOG, NULL, NULL);
    roundtrip("/v2/_catalog?n=10&last=a%2Fb", VG_OCI_DIST_R_CATALOG, NULL, NULL);
    roundtrip("/v2/library/nginx/manifests/latest", VG_OCI_DIST_R_MANIFEST, "library/nginx",
              "latest");
    roundtrip("/v2/a/manifests/" D256, VG_OCI_DIST_R_MANIFEST, "a", D256);
    roundtrip("/v2/a/b/c/blobs/" D512, VG_OCI_DIST_R_BLOB, "a/b/c", D512);
    roundtrip("/v2/team/app/blobs/uploads/", VG_OCI_DIST_R_UPLOAD_START, "team/app", NULL);
    roundtrip("/v2/team/app/blobs/uploads/?digest=" D256, VG_OCI_DIST_R_UPLOAD_START, "team/app",
              NULL);
    roundtrip("/v2/team/app/blobs/uploads/?mount=" D256 "&from=other%2Frepo",
              VG_OCI_DIST_R_UPLOAD_START, "team/app", NULL);
    roundtrip("/v2/team/app/blobs/uploads/3f2a-9b_c.d~e", VG_OCI_DIST_R_UPLOAD, "team/app",
              "3f2a-9b_c.d~e");
    roundtrip("/v2/team/app/blobs/uploads/id1?digest=" D256, VG_OCI_DIST_R_UPLOAD, "team/app",
              "id1");
    roundtrip("/v2/x/tags/list", VG_OCI_DIST_R_TAGS, "x", NULL);
    roundtrip("/v2/x/tags/list?n=0&last=v1.2", VG_OCI_DIST_R_TAGS, "x", NULL);
    roundtrip("/v2/x/referrers/" D256, VG_OCI_DIST_R_REFERRERS, "x", D256);
    roundtrip("/v2/x/referrers/" D256 "?artifactType=application%2Fvnd.dev.cosign.sig%2Bjson",
              VG_OCI_DIST_R_REFERRERS, "x", D256);
}

Test(oci_dist, parsed_fields)
{
    struct vg_oci_dist_route r;
    cr_assert_eq(parse(&r, "/v2/a/blobs/uploads/?mount=" D256 "&from=b%2Fc&x=ignored"), 0);
    cr_assert(r.has_mount);
    cr_assert_str_eq(r.mount.text, D256);
    cr_assert_str_eq(r.from, "b/c");
    cr_assert(!r.has_query_digest);
    cr_assert_str_eq(r.query, "mount=" D256 "&from=b%2Fc&x=ignored");
    char *x = NULL;
    cr_assert_eq(vg_oci_dist_query_get(&x, r.query, "x", 0, NULL), 0);
    cr_assert_str_eq(x, "ignored");
    free(x);
    vg_oci_dist_route_dispose(&r);

    cr_assert_eq(parse(&r, "/v2/a/manifests/" D256), 0);
    cr_assert(r.by_digest);
    cr_assert_eq(r.digest.alg, VG_DIGEST_SHA256);
    vg_oci_dist_route_dispose(&r);
    cr_assert_eq(parse(&r, "/v2/a/manifests/v1"), 0);
    cr_assert(!r.by_digest);
    vg_oci_dist_route_dispose(&r);

    cr_assert_eq(parse(&r, "/v2/a/tags/list?n=4294967295&last=z"), 0);
    cr_assert(r.has_n);
    cr_assert_eq(r.n, 4294967295u);
    cr_assert_str_eq(r.last, "z");
    vg_oci_dist_route_dispose(&r);

    /* '+' is a space in a query, as Go's servers decode it. */
    cr_assert_eq(parse(&r, "/v2/a/referrers/" D256 "?artifactType=a%2Fb%2Bjson"), 0);
    cr_assert_str_eq(r.artifact_type, "a/b+json");
    vg_oci_dist_route_dispose(&r);
    expect("/v2/a/referrers/" D256 "?artifactType=a/b+json", VG_OCI_DIST_UNSUPPORTED);

    /* /v2 without its slash and the upload start without its trailing one. */
    cr_assert_eq(parse(&r, "/v2"), 0);
    cr_assert_eq(r.kind, VG_OCI_DIST_R_BASE);
    vg_oci_dist_route_dispose(&r);
    cr_assert_eq(parse(&r, "/v2/a/blobs/uploads"), 0);
    cr_assert_eq(r.kind, VG_OCI_DIST_R_UPLOAD_START);
    vg_oci_dist_route_dispose(&r);
}

Test(oci_dist, names_containing_route_words)
{
    roundtrip("/v2/a/blobs/b/manifests/x", VG_OCI_DIST_R_MANIFEST, "a/blobs/b", "x");
    roundtrip("/v2/manifests/tags/list", VG_OCI_DIST_R_TAGS, "manifests", NULL);
    roundtrip("/v2/blobs/uploads/blobs/" D256, VG_OCI_DIST_R_BLOB, "blobs/uploads", D256);
    roundtrip("/v2/a/manifests/blobs/uploads/", VG_OCI_DIST_R_UPLOAD_START, "a/manifests", NULL);
    roundtrip("/v2/referrers/referrers/" D256, VG_OCI_DIST_R_REFERRERS, "referrers", D256);
    /* Percent-encoded components decode to the same route. */
    struct vg_oci_dist_route r;
    cr_assert_eq(parse(&r, "/v2/%61/manifests/sha256%3A" HEX256), 0);
    cr_assert_str_eq(r.name, "a");
    cr_assert_str_eq(r.reference, D256);
    vg_oci_dist_route_dispose(&r);
}

Test(oci_dist, hostile_paths)
{
    expect("", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("/", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("/v1/a/manifests/x", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("/v2x/a/manifests/x", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("v2/a/manifests/x", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("http://h/v2/a/manifests/x", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("/v2/a", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("/v2/a/b", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("/v2/a/tags/list/", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("/v2/a/tags/lists", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("/v2/a/manifests/x#frag", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("/v2/a/manifests/x y", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("/v2/a/manifests/x\r\nX-Injected: 1", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("/v2/a/manifests/\x80", VG_OCI_DIST_ROUTE_UNKNOWN);
    expect("/v2/_catalog/x", VG_OCI_DIST_ROUTE_UNKNOWN);
    /* Traversal and empty components. */
    expect("/v2/../manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/a/../b/manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/a/./b/manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/%2E%2E/manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/a%2F..%2Fb/manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/a%2Fb/manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2//a/manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/a//b/manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/blobs/uploads/", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/a/manifests/..", VG_OCI_DIST_TAG_INVALID);
    expect("/v2/a/manifests/%2E%2E", VG_OCI_DIST_TAG_INVALID);
    expect("/v2/a/blobs/uploads/..", VG_OCI_DIST_BLOB_UPLOAD_INVALID);
    expect("/v2/a/blobs/uploads/%2E%2E", VG_OCI_DIST_BLOB_UPLOAD_INVALID);
    expect("/v2/a/blobs/uploads/a%2Fb", VG_OCI_DIST_BLOB_UPLOAD_INVALID);
    expect("/v2/a/blobs/..", VG_OCI_DIST_DIGEST_INVALID);
    expect("/v2/a/manifests/%zz", VG_OCI_DIST_TAG_INVALID);
    expect("/v2/a/manifests/x%00", VG_OCI_DIST_TAG_INVALID);
    expect("/v2/a/manifests/x%", VG_OCI_DIST_TAG_INVALID);
    expect("/v2/a/manifests/x%4", VG_OCI_DIST_TAG_INVALID);
}

Test(oci_dist, names)
{
    expect("/v2/A/manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/a_/manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/-a/manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/a___b/manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/a..b/manifests/x", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/a:b/manifests/x", VG_OCI_DIST_NAME_INVALID);
    roundtrip("/v2/a__b/c---d/e.f_g/manifests/x", VG_OCI_DIST_R_MANIFEST, "a__b/c---d/e.f_g", "x");
    cr_assert(vg_oci_dist_name_valid(VG_STR("a")));
    cr_assert(!vg_oci_dist_name_valid(VG_STR("")));
    cr_assert(!vg_oci_dist_name_valid(VG_STR("a/")));
    /* The length limit at 255 and 256. */
    char name[300], t[400];
    memset(name, 'a', sizeof(name));
    name[255] = '\0';
    snprintf(t, sizeof(t), "/v2/%s/tags/list", name);
    roundtrip(t, VG_OCI_DIST_R_TAGS, name, NULL);
    memset(name, 'a', sizeof(name));
    name[127] = '/';
    name[256] = '\0';
    snprintf(t, sizeof(t), "/v2/%s/tags/list", name);
    expect(t, VG_OCI_DIST_NAME_INVALID);
}

Test(oci_dist, tags_and_digests)
{
    char tag[200], t[300];
    memset(tag, 'x', sizeof(tag));
    tag[0] = '_';
    tag[128] = '\0';
    snprintf(t, sizeof(t), "/v2/a/manifests/%s", tag);
    roundtrip(t, VG_OCI_DIST_R_MANIFEST, "a", tag);
    tag[128] = 'x';
    tag[129] = '\0';
    snprintf(t, sizeof(t), "/v2/a/manifests/%s", tag);
    expect(t, VG_OCI_DIST_TAG_INVALID);
    expect("/v2/a/manifests/-x", VG_OCI_DIST_TAG_INVALID);
    expect("/v2/a/manifests/.x", VG_OCI_DIST_TAG_INVALID);
    roundtrip("/v2/a/manifests/V1.0_rc-1", VG_OCI_DIST_R_MANIFEST, "a", "V1.0_rc-1");
    expect("/v2/a/manifests/sha256:totallywrong", VG_OCI_DIST_DIGEST_INVALID);
    expect("/v2/a/manifests/md5:0123", VG_OCI_DIST_DIGEST_INVALID);
    expect("/v2/a/manifests/SHA256:" HEX256, VG_OCI_DIST_DIGEST_INVALID);
    expect("/v2/a/blobs/sha256:0123", VG_OCI_DIST_DIGEST_INVALID);
    expect("/v2/a/blobs/latest", VG_OCI_DIST_DIGEST_INVALID);
    expect("/v2/a/blobs/" D256 "0", VG_OCI_DIST_DIGEST_INVALID);
    expect("/v2/a/referrers/latest", VG_OCI_DIST_DIGEST_INVALID);
    expect("/v2/a/blobs/uploads/?digest=sha256:00", VG_OCI_DIST_DIGEST_INVALID);
    expect("/v2/a/blobs/uploads/?mount=x&from=b", VG_OCI_DIST_DIGEST_INVALID);
    expect("/v2/a/blobs/uploads/?mount=" D256 "&from=B", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/a/blobs/uploads/u?digest=" D256 "&digest=" D256, VG_OCI_DIST_UNSUPPORTED);
}

Test(oci_dist, queries)
{
    expect("/v2/a/tags/list?n=x", VG_OCI_DIST_PAGINATION_NUMBER_INVALID);
    expect("/v2/a/tags/list?n=-1", VG_OCI_DIST_PAGINATION_NUMBER_INVALID);
    expect("/v2/a/tags/list?n=", VG_OCI_DIST_PAGINATION_NUMBER_INVALID);
    expect("/v2/a/tags/list?n=4294967296", VG_OCI_DIST_PAGINATION_NUMBER_INVALID);
    expect("/v2/a/tags/list?n=1&n=2", VG_OCI_DIST_UNSUPPORTED);
    expect("/v2/a/tags/list?last=-x", VG_OCI_DIST_TAG_INVALID);
    expect("/v2/_catalog?last=A", VG_OCI_DIST_NAME_INVALID);
    expect("/v2/a/tags/list?last=%zz", VG_OCI_DIST_UNSUPPORTED);
    expect("/v2/a/tags/list?%zz=1", VG_OCI_DIST_UNSUPPORTED);
    expect("/v2/a/tags/list?last=a%0Ab", VG_OCI_DIST_UNSUPPORTED);
    expect("/v2/a/referrers/" D256 "?artifactType=nomediatype", VG_OCI_DIST_UNSUPPORTED);
    expect("/v2/a/referrers/" D256 "?artifactType=a%2Fb%3Bx%3D1", VG_OCI_DIST_UNSUPPORTED);
    /* Parameters of other endpoints are ignored. */
    expect("/v2/a/manifests/x?n=zz&digest=bad", VG_OCI_DIST_OK);
    expect("/v2/a/tags/list?", VG_OCI_DIST_OK);
    expect("/v2/a/tags/list?&&=&x", VG_OCI_DIST_OK);

    char *v = NULL;
    cr_assert_eq(vg_oci_dist_query_get(&v, "a=1&b=x%20y+z&a=2", "a", 1, NULL), 0);
    cr_assert_str_eq(v, "2");
    free(v);
    cr_assert_eq(vg_oci_dist_query_get(&v, "a=1&b=x%20y+z&a=2", "b", 0, NULL), 0);
    cr_assert_str_eq(v, "x y z");
    free(v);
    cr_assert_eq(vg_oci_dist_query_get(&v, "a=1", "a", 1, NULL), 0);
    cr_assert_null(v);
    cr_assert_eq(vg_oci_dist_query_get(&v, "flag", "flag", 0, NULL), 0);
    cr_assert_str_eq(v, "");
    free(v);
    cr_assert_eq(vg_oci_dist_query_get(&v, NULL, "a", 0, NULL), 0);
    cr_assert_null(v);
}

/* The Distribution rule (core's vg_pct_decode with VG_PCT_REFUSE_CTL): every control byte is
 * refused, escaped or raw, with the offset of the escape; '+' is a space only when asked. */
Test(oci_dist, pct_decode_refuses_control_bytes)
{
    char *v = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_dist_pct_decode(&v, "a+b%2Fc", 7, true, &err), 0);
    cr_assert_str_eq(v, "a b/c");
    free(v);
    cr_assert_eq(vg_oci_dist_pct_decode(&v, "a+b", 3, false, &err), 0);
    cr_assert_str_eq(v, "a+b");
    free(v);
    cr_assert_eq(vg_oci_dist_pct_decode(&v, "%e2%82%AC", 9, false, &err), 0);
    cr_assert_str_eq(v, "\xe2\x82\xac");
    free(v);
    static const char *const refused[] = {"ab%0Ac", "ab%00", "x%7f", "x%1F", "tab\there"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        cr_assert_lt(vg_oci_dist_pct_decode(&v, refused[i], strlen(refused[i]), true, &err), 0,
                     "%s", refused[i]);
        cr_assert_null(v);
        cr_assert_eq(vg_err_code(err), VG_E_PARSE);
        cr_assert(strstr(err->msg, "control character at offset"), "%s", err->msg);
        vg_err_free(&err);
    }
    cr_assert_lt(vg_oci_dist_pct_decode(&v, "ab%0Ac", 6, true, &err), 0);
    cr_assert_str_eq(err->msg, "control character at offset 2");
    vg_err_free(&err);
    cr_assert_lt(vg_oci_dist_pct_decode(&v, "abc%4", 5, true, &err), 0);
    cr_assert_str_eq(err->msg, "bad percent-escape at offset 3");
    vg_err_free(&err);
}

Test(oci_dist, over_long_target)
{
    size_t n = VG_OCI_DIST_TARGET_MAX + 1;
    char *t = malloc(n + 1);
    memcpy(t, "/v2/a/tags/list?x=", 18);
    memset(t + 18, 'y', n - 18);
    t[n] = '\0';
    expect(t, VG_OCI_DIST_ROUTE_UNKNOWN);
    t[n - 1] = '\0';
    expect(t, VG_OCI_DIST_OK);
    free(t);
    /* Many components: bounded, no overflow. */
    char *deep = malloc(8192);
    size_t k = 0;
    k += (size_t)snprintf(deep, 8192, "/v2");
    while (k < 8000) {
        k += (size_t)snprintf(deep + k, 8192 - k, "/a");
    }
    snprintf(deep + k, 8192 - k, "/tags/list");
    expect(deep, VG_OCI_DIST_NAME_INVALID);
    free(deep);
}

Test(oci_dist, format_refuses_bad_parts)
{
    struct vg_err *err = NULL;
    char *out = NULL;
    struct vg_oci_dist_route r = {
        .kind = VG_OCI_DIST_R_MANIFEST, .name = "a/../b", .reference = "x"};
    cr_assert_lt(vg_oci_dist_route_format(&out, &r, &err), 0);
    cr_assert_eq(err->code, VG_E_USAGE);
    vg_err_free(&err);
    r.name = "a";
    r.reference = "x/../../y";
    cr_assert_lt(vg_oci_dist_route_format(&out, &r, &err), 0);
    vg_err_free(&err);
    r.reference = "sha256:00";
    cr_assert_lt(vg_oci_dist_route_format(&out, &r, &err), 0);
    vg_err_free(&err);
    r = (struct vg_oci_dist_route){.kind = VG_OCI_DIST_R_UPLOAD, .name = "a", .reference = ".."};
    cr_assert_lt(vg_oci_dist_route_format(&out, &r, &err), 0);
    vg_err_free(&err);
    r = (struct vg_oci_dist_route){
        .kind = VG_OCI_DIST_R_REFERRERS, .name = "a", .reference = D256, .artifact_type = "x\n"};
    cr_assert_lt(vg_oci_dist_route_format(&out, &r, &err), 0);
    vg_err_free(&err);
    r = (struct vg_oci_dist_route){.kind = VG_OCI_DIST_R_TAGS, .name = "a", .last = "a b"};
    cr_assert_lt(vg_oci_dist_route_format(&out, &r, &err), 0);
    vg_err_free(&err);
    r = (struct vg_oci_dist_route){.kind = 99, .name = "a"};
    cr_assert_lt(vg_oci_dist_route_format(&out, &r, &err), 0);
    vg_err_free(&err);
    cr_assert_null(out);
}

/* ---------------------------------------------------------------- codes and bodies */

Test(oci_dist, code_table)
{
    struct {
        enum vg_oci_dist_code c;
        const char *name;
        int status;
    } want[] = {
        {VG_OCI_DIST_BLOB_UNKNOWN, "BLOB_UNKNOWN", 404},
        {VG_OCI_DIST_BLOB_UPLOAD_INVALID, "BLOB_UPLOAD_INVALID", 400},
        {VG_OCI_DIST_BLOB_UPLOAD_UNKNOWN, "BLOB_UPLOAD_UNKNOWN", 404},
        {VG_OCI_DIST_DIGEST_INVALID, "DIGEST_INVALID", 400},
        {VG_OCI_DIST_MANIFEST_BLOB_UNKNOWN, "MANIFEST_BLOB_UNKNOWN", 400},
        {VG_OCI_DIST_MANIFEST_INVALID, "MANIFEST_INVALID", 400},
        {VG_OCI_DIST_MANIFEST_UNKNOWN, "MANIFEST_UNKNOWN", 404},
        {VG_OCI_DIST_NAME_INVALID, "NAME_INVALID", 400},
        {VG_OCI_DIST_NAME_UNKNOWN, "NAME_UNKNOWN", 404},
        {VG_OCI_DIST_SIZE_INVALID, "SIZE_INVALID", 400},
        {VG_OCI_DIST_UNAUTHORIZED, "UNAUTHORIZED", 401},
        {VG_OCI_DIST_DENIED, "DENIED", 403},
        {VG_OCI_DIST_UNSUPPORTED, "UNSUPPORTED", 405},
        {VG_OCI_DIST_TOOMANYREQUESTS, "TOOMANYREQUESTS", 429},
        {VG_OCI_DIST_TAG_INVALID, "TAG_INVALID", 400},
        {VG_OCI_DIST_MANIFEST_UNVERIFIED, "MANIFEST_UNVERIFIED", 400},
        {VG_OCI_DIST_PAGINATION_NUMBER_INVALID, "PAGINATION_NUMBER_INVALID", 400},
        {VG_OCI_DIST_RANGE_INVALID, "RANGE_INVALID", 416},
        {VG_OCI_DIST_UNKNOWN, "UNKNOWN", 500},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(want); i++) {
        cr_assert_str_eq(vg_oci_dist_code_name(want[i].c), want[i].name);
        cr_assert_eq(vg_oci_dist_code_status(want[i].c), want[i].status, "%s", want[i].name);
        cr_assert_not_null(vg_oci_dist_code_message(want[i].c));
        cr_assert_eq(vg_oci_dist_code_from_name(want[i].name), want[i].c);
    }
    cr_assert_eq(VG_ARRAY_LEN(want) + 2, VG_OCI_DIST_CODE_COUNT);
    cr_assert_null(vg_oci_dist_code_name(VG_OCI_DIST_OK));
    cr_assert_eq(vg_oci_dist_code_status(VG_OCI_DIST_ROUTE_UNKNOWN), 404);
    cr_assert_eq(vg_oci_dist_code_from_name("blob_unknown"), VG_OCI_DIST_UNKNOWN);
    cr_assert_eq(vg_oci_dist_code_from_name(NULL), VG_OCI_DIST_UNKNOWN);
}

static char *
emit(const struct vg_oci_dist_error_out *e, size_t n)
{
    struct vg_buf b = VG_BUF_INIT(1 << 20);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_dist_errors_format(&b, e, n, &err), 0, "%s", err ? err->msg : "");
    return vg_buf_take(&b, NULL);
}

Test(oci_dist, errors_emit_is_deterministic)
{
    struct vg_oci_dist_error_out e[] = {
        {.code = VG_OCI_DIST_BLOB_UNKNOWN, .detail = "{\"z\":1,\"a\":[true,null]}"},
        {.code = VG_OCI_DIST_DENIED, .message = "2 CRITICAL vulnerabilities: \"CVE\"\n"},
        {.code = VG_OCI_DIST_ROUTE_UNKNOWN, .detail = "\"x\""},
    };
    char *s = emit(e, 3);
    cr_assert_str_eq(s,
                     "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"detail\":{\"a\":[true,null],"
                     "\"z\":1},\"message\":\"blob unknown to registry\"},{\"code\":\"DENIED\","
                     "\"detail\":null,\"message\":\"2 CRITICAL vulnerabilities: \\\"CVE\\\"\\n\"},"
                     "{\"code\":\"UNSUPPORTED\",\"detail\":\"x\",\"message\":\"no such "
                     "endpoint\"}]}");
    /* Parsed back, the same entries. */
    struct vg_oci_dist_error *p = NULL;
    size_t n = 0;
    cr_assert_eq(vg_oci_dist_errors_parse(&p, &n, s, strlen(s), NULL), 0);
    cr_assert_eq(n, 3);
    cr_assert_eq(p[0].code, VG_OCI_DIST_BLOB_UNKNOWN);
    cr_assert_str_eq(p[0].detail, "{\"a\":[true,null],\"z\":1}");
    cr_assert_str_eq(p[1].message, "2 CRITICAL vulnerabilities: \"CVE\"\n");
    cr_assert_null(p[1].detail);
    cr_assert_eq(p[2].code, VG_OCI_DIST_UNSUPPORTED);
    struct vg_oci_dist_error_out back[3];
    for (size_t i = 0; i < n; i++) {
        back[i] = (struct vg_oci_dist_error_out){p[i].code, p[i].message, p[i].detail};
    }
    char *again = emit(back, n);
    cr_assert_str_eq(again,
                     "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"detail\":{\"a\":[true,null],"
                     "\"z\":1},\"message\":\"blob unknown to registry\"},{\"code\":\"DENIED\","
                     "\"detail\":null,\"message\":\"2 CRITICAL vulnerabilities: "
                     "\\\"CVE\\\"\\n\"},{\"code\":\"UNSUPPORTED\",\"detail\":\"x\","
                     "\"message\":\"no such endpoint\"}]}");
    free(again);
    vg_oci_dist_errors_free(p, n);
    free(s);
    s = emit(NULL, 0);
    cr_assert_str_eq(s, "{\"errors\":[]}");
    free(s);
}

Test(oci_dist, errors_emit_refuses)
{
    struct vg_buf b = VG_BUF_INIT(1 << 20);
    struct vg_err *err = NULL;
    struct vg_oci_dist_error_out e = {.code = VG_OCI_DIST_OK};
    cr_assert_lt(vg_oci_dist_errors_format(&b, &e, 1, &err), 0);
    vg_err_free(&err);
    e = (struct vg_oci_dist_error_out){.code = VG_OCI_DIST_DENIED, .detail = "{not json"};
    cr_assert_lt(vg_oci_dist_errors_format(&b, &e, 1, &err), 0);
    vg_err_free(&err);
    e = (struct vg_oci_dist_error_out){.code = VG_OCI_DIST_DENIED, .message = "\xff\xfe"};
    cr_assert_lt(vg_oci_dist_errors_format(&b, &e, 1, &err), 0);
    vg_err_free(&err);
    char *big = malloc(VG_OCI_DIST_DETAIL_BYTES + 2);
    memset(big, ' ', VG_OCI_DIST_DETAIL_BYTES + 1);
    big[0] = '1';
    big[VG_OCI_DIST_DETAIL_BYTES + 1] = '\0';
    e = (struct vg_oci_dist_error_out){.code = VG_OCI_DIST_DENIED, .detail = big};
    cr_assert_lt(vg_oci_dist_errors_format(&b, &e, 1, &err), 0);
    vg_err_free(&err);
    big[VG_OCI_DIST_DETAIL_BYTES] = '\0';
    cr_assert_eq(vg_oci_dist_errors_format(&b, &e, 1, &err), 0);
    free(big);
    vg_buf_dispose(&b);
}

static int
parse_body(const char *s, size_t *n, struct vg_oci_dist_error **e, struct vg_err **err)
{
    return vg_oci_dist_errors_parse(e, n, s, strlen(s), err);
}

Test(oci_dist, errors_parse_hostile)
{
    const char *bad[] = {
        "",
        "null",
        "[]",
        "{}",
        "{\"errors\":{}}",
        "{\"errors\":[1]}",
        "{\"errors\":[{}]}",
        "{\"errors\":[{\"code\":1}]}",
        "{\"errors\":[{\"code\":\"X\",\"message\":[]}]}",
        "{\"errors\":[{\"code\":\"X\"}],\"errors\":[]}",
        "<html>502</html>",
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        struct vg_oci_dist_error *e = NULL;
        size_t n = 0;
        struct vg_err *err = NULL;
        cr_assert_lt(parse_body(bad[i], &n, &e, &err), 0, "%s", bad[i]);
        cr_assert_eq(err->code, VG_E_PARSE, "%s", bad[i]);
        cr_assert_null(e);
        vg_err_free(&err);
    }
    struct vg_oci_dist_error *e = NULL;
    size_t n = 0;
    cr_assert_eq(parse_body("{\"errors\":[{\"code\":\"FANCY_NEW\",\"message\":null,"
                            "\"detail\":[1]}],\"extra\":1}",
                            &n, &e, NULL),
                 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(e[0].code, VG_OCI_DIST_UNKNOWN);
    cr_assert_str_eq(e[0].code_text, "FANCY_NEW");
    cr_assert_null(e[0].message);
    cr_assert_str_eq(e[0].detail, "[1]");
    vg_oci_dist_errors_free(e, n);

    /* The entry limit at VG_OCI_DIST_ERRORS_MAX and one more. */
    struct vg_buf b = VG_BUF_INIT(1 << 20);
    for (unsigned k = 0; k < 2; k++) {
        vg_buf_reset(&b);
        cr_assert_eq(vg_buf_append_str(&b, "{\"errors\":[", NULL), 0);
        for (unsigned i = 0; i < VG_OCI_DIST_ERRORS_MAX + k; i++) {
            cr_assert_eq(
                vg_buf_append_str(&b, i ? ",{\"code\":\"DENIED\"}" : "{\"code\":\"DENIED\"}", NULL),
                0);
        }
        cr_assert_eq(vg_buf_append_str(&b, "]}", NULL), 0);
        struct vg_err *err = NULL;
        int rc = vg_oci_dist_errors_parse(&e, &n, b.data, b.len, &err);
        if (k == 0) {
            cr_assert_eq(rc, 0);
            cr_assert_eq(n, VG_OCI_DIST_ERRORS_MAX);
            vg_oci_dist_errors_free(e, n);
        } else {
            cr_assert_lt(rc, 0);
            cr_assert_eq(err->code, VG_E_LIMIT);
            vg_err_free(&err);
        }
    }
    vg_buf_dispose(&b);
}

/* ---------------------------------------------------------------- verifier */

Test(oci_dist, verifier_typed_failures)
{
    const char *data = "hello, registry";
    size_t n = strlen(data);
    struct vg_digest d, other;
    vg_digest_of(&d, VG_DIGEST_SHA256, data, n);
    vg_digest_of(&other, VG_DIGEST_SHA256, "x", 1);

    /* Digest named at the end, fed in pieces. */
    struct vg_oci_verifier *v = vg_oci_verifier_new_alg(VG_DIGEST_SHA256, -1);
    for (size_t i = 0; i < n; i += 4) {
        cr_assert_eq(vg_oci_verifier_update(v, data + i, n - i < 4 ? n - i : 4, NULL), 0);
    }
    struct vg_digest got;
    cr_assert_eq(vg_oci_verifier_finish_as(v, &d, &got, NULL), 0);
    cr_assert(vg_digest_eq(&got, &d));
    cr_assert_eq(vg_oci_verifier_seen(v), n);
    cr_assert_eq(vg_oci_verifier_code(v), VG_OCI_DIST_OK);
    vg_oci_verifier_free(v);

    struct vg_err *err = NULL;
    v = vg_oci_verifier_new_alg(VG_DIGEST_SHA256, -1);
    cr_assert_eq(vg_oci_verifier_update(v, data, n, NULL), 0);
    cr_assert_lt(vg_oci_verifier_finish_as(v, &other, NULL, &err), 0);
    cr_assert_eq(err->code, VG_E_VERIFY);
    cr_assert_eq(vg_oci_verifier_code(v), VG_OCI_DIST_DIGEST_INVALID);
    vg_err_free(&err);
    vg_oci_verifier_free(v);

    /* A sha512 digest against a sha256 stream is a mismatch, not a crash. */
    struct vg_digest d512;
    vg_digest_of(&d512, VG_DIGEST_SHA512, data, n);
    v = vg_oci_verifier_new_alg(VG_DIGEST_SHA256, (int64_t)n);
    cr_assert_eq(vg_oci_verifier_update(v, data, n, NULL), 0);
    cr_assert_lt(vg_oci_verifier_finish_as(v, &d512, NULL, &err), 0);
    cr_assert_eq(vg_oci_verifier_code(v), VG_OCI_DIST_DIGEST_INVALID);
    vg_err_free(&err);
    vg_oci_verifier_free(v);

    /* Size: over at update, short at finish. */
    v = vg_oci_verifier_new(&d, n - 1);
    cr_assert_lt(vg_oci_verifier_update(v, data, n, &err), 0);
    cr_assert_eq(vg_oci_verifier_code(v), VG_OCI_DIST_SIZE_INVALID);
    vg_err_free(&err);
    vg_oci_verifier_free(v);
    v = vg_oci_verifier_new(&d, n + 1);
    cr_assert_eq(vg_oci_verifier_update(v, data, n, NULL), 0);
    cr_assert_lt(vg_oci_verifier_finish(v, &err), 0);
    cr_assert_eq(vg_oci_verifier_code(v), VG_OCI_DIST_SIZE_INVALID);
    vg_err_free(&err);
    /* Finished once: later calls are errors. */
    cr_assert_lt(vg_oci_verifier_finish(v, &err), 0);
    vg_err_free(&err);
    vg_oci_verifier_free(v);

    /* Exact size and digest given up front. */
    v = vg_oci_verifier_new(&d, n);
    cr_assert_eq(vg_oci_verifier_update(v, data, n, NULL), 0);
    cr_assert_eq(vg_oci_verifier_finish(v, NULL), 0);
    vg_oci_verifier_free(v);
}

Test(oci_dist, query_errors_name_the_query_offset)
{
    static const char *const targets[] = {
        "/v2/a/blobs/uploads/?digest=sha256:xyz",
        "/v2/a/tags/list?n=abc",
        "/v2/a/referrers/" D256 "?artifactType=nope",
        "/v2/a/blobs/uploads/?digest=%zz",
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(targets); i++) {
        struct vg_oci_dist_route r = {0};
        struct vg_err *err = NULL;
        const char *t = targets[i];
        cr_assert_neq(vg_oci_dist_route_parse(&r, t, strlen(t), &err), VG_OCI_DIST_OK, "%s", t);
        vg_autofree char *want = vg_fmt("at offset %zu", (size_t)(strchr(t, '?') - t + 1));
        cr_assert(strstr(err->msg, want), "%s: %s", t, err->msg);
        vg_err_free(&err);
    }
}
