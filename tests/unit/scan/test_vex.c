/* SPDX-License-Identifier: Apache-2.0
 *
 * VEX scoping: which statement reaches which finding. The rule under test throughout: a
 * statement about one image never suppresses a finding in another.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "scan/scan.h"

#define D_A   "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define D_B   "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define D_C   "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct vg_vex_subject app = {
    .repository = "ghcr.io/x/app",
    .tag = "1.0",
    .manifest_digest = D_A,
    .config_digest = D_C,
    .arch = "amd64",
    .os = "linux",
};
static const struct vg_vex_subject other = {
    .repository = "ghcr.io/y/other",
    .tag = "1.0",
    .manifest_digest = D_B,
    .arch = "amd64",
    .os = "linux",
};
static const struct vg_vex_subject app_tag2 = {
    .repository = "ghcr.io/x/app", .tag = "2.0", .manifest_digest = D_B, .arch = "amd64"};
static const struct vg_vex_subject local_a = {.manifest_digest = D_A}; /* a tarball */

#define OPENSSL "pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=debian-12"

static struct vg_vex *
doc(const char *statements)
{
    char *s = NULL;
    cr_assert(asprintf(&s, "{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"statements\":[%s]}",
                       statements) > 0);
    struct vg_err *err = NULL;
    struct vg_vex *v = vg_vex_parse(s, strlen(s), &err);
    cr_assert_not_null(v, "%s: %s", s, err ? err->msg : "");
    free(s);
    return v;
}

static bool
sup(const struct vg_vex *v, const struct vg_vex_subject *s, const char *purl)
{
    return vg_vex_suppresses(v, s, "CVE-1", NULL, purl, NULL);
}

#define STMT(products)                                                                             \
    "{\"vulnerability\":{\"name\":\"CVE-1\"},\"products\":[" products "],"                         \
    "\"status\":\"not_affected\",\"justification\":\"component_not_present\"}"

Test(scan_vex, statement_for_another_image_never_suppresses)
{
    struct vg_vex *v = doc(STMT("{\"@id\":\"pkg:oci/app?repository_url=ghcr.io/x/app\","
                                "\"subcomponents\":[{\"@id\":\"pkg:deb/debian/openssl\"}]}"));
    cr_expect(sup(v, &app, OPENSSL));
    cr_expect(!sup(v, &other, OPENSSL), "another image");
    cr_expect(!sup(v, NULL, OPENSSL), "no subject known");
    cr_expect(!sup(v, &local_a, OPENSSL), "a tarball without repository");
    cr_expect(!sup(v, &app, "pkg:deb/debian/libssl3@3.0.11-1"), "subcomponent names the package");
    vg_vex_free(v);
}

Test(scan_vex, oci_purl_by_digest)
{
    struct vg_vex *v = doc(STMT("{\"@id\":\"pkg:oci/app@sha256%3A" HEX_A
                                "?repository_url=ghcr.io%2Fx%2Fapp&arch=amd64\","
                                "\"subcomponents\":[{\"@id\":\"pkg:deb/debian/openssl\"}]}"));
    cr_expect(sup(v, &app, OPENSSL));
    cr_expect(!sup(v, &app_tag2, OPENSSL), "same repository, other digest");
    struct vg_vex_subject via_index = other;
    via_index.repository = "ghcr.io/x/app";
    via_index.index_digest = D_A;
    cr_expect(sup(v, &via_index, OPENSSL), "digest of the index it was resolved through");
    struct vg_vex_subject arm = app;
    arm.arch = "arm64";
    cr_expect(!sup(v, &arm, OPENSSL), "arch qualifier disagrees");
    vg_vex_free(v);

    v = doc(STMT("{\"@id\":\"pkg:oci/app@sha256%3A" HEX_A "\","
                 "\"subcomponents\":[{\"@id\":\"pkg:deb/debian/openssl\"}]}"));
    cr_expect(sup(v, &local_a, OPENSSL), "a digest alone identifies a local image");
    cr_expect(sup(v, &app, OPENSSL));
    struct vg_vex_subject renamed = app;
    renamed.repository = "ghcr.io/x/app2";
    cr_expect(!sup(v, &renamed, OPENSSL), "purl name must be the repository's last segment");
    vg_vex_free(v);
}

Test(scan_vex, ambiguous_image_products_never_match)
{
    const char *products[] = {
        "{\"@id\":\"pkg:oci/app\",\"subcomponents\":[{\"@id\":\"pkg:deb/debian/openssl\"}]}",
        "{\"@id\":\"pkg:oci/other?repository_url=ghcr.io/x/app\",\"subcomponents\":[{\"@id\":"
        "\"pkg:deb/debian/openssl\"}]}",
        "{\"@id\":\"pkg:oci/app?repository_url=ghcr.io/x/app&tag=2.0\",\"subcomponents\":[{\"@id\":"
        "\"pkg:deb/debian/openssl\"}]}",
        /* identifiers that contradict each other: every one must match */
        "{\"@id\":\"pkg:oci/app?repository_url=ghcr.io/x/app\",\"hashes\":{\"sha-256\":"
        "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"},"
        "\"subcomponents\":[{\"@id\":\"pkg:deb/debian/openssl\"}]}",
        "{\"@id\":\"pkg:oci/app?repository_url=ghcr.io/x/app\",\"hashes\":{\"md5\":\"00\"},"
        "\"subcomponents\":[{\"@id\":\"pkg:deb/debian/openssl\"}]}",
        "{\"identifiers\":{\"cpe23\":\"cpe:2.3:a:x:app:*:*:*:*:*:*:*:*\"}}",
        "{\"@id\":\"app\",\"subcomponents\":[{\"@id\":\"pkg:deb/debian/openssl\"}]}",
        "{\"@id\":\"pkg:oci/app%00x?repository_url=ghcr.io/x/app\"}",
        /* a package product with subcomponents says nothing about this image */
        "{\"@id\":\"pkg:golang/example.com/app\",\"subcomponents\":[{\"@id\":"
        "\"pkg:deb/debian/openssl\"}]}",
        /* a subcomponent that is an image is not a package */
        "{\"@id\":\"ghcr.io/x/app:1.0\",\"subcomponents\":[{\"@id\":\"pkg:oci/openssl\"}]}",
    };
    for (size_t i = 0; i < sizeof(products) / sizeof(products[0]); i++) {
        char *s = NULL;
        cr_assert(asprintf(&s,
                           "{\"vulnerability\":{\"name\":\"CVE-1\"},\"products\":[%s],"
                           "\"status\":\"not_affected\",\"justification\":\"x\"}",
                           products[i]) > 0);
        struct vg_vex *v = doc(s);
        cr_expect(!sup(v, &app, OPENSSL), "case %zu", i);
        cr_expect(!sup(v, &app, "pkg:oci/openssl"), "case %zu", i);
        vg_vex_free(v);
        free(s);
    }
}

Test(scan_vex, image_product_without_subcomponents_covers_that_image)
{
    const char *products[] = {
        "{\"@id\":\"ghcr.io/x/app:1.0\"}",
        "{\"@id\":\"ghcr.io/x/app@" D_A "\"}",
        "{\"@id\":\"" D_A "\"}",
        "{\"@id\":\"" D_C "\"}", /* the image ID */
        "{\"hashes\":{\"sha-256\":\"" HEX_A "\"}}",
        "{\"identifiers\":{\"purl\":\"pkg:oci/app?repository_url=ghcr.io/x/app&tag=1.0\"}}",
        "{\"@id\":\"pkg:docker/x/app@1.0?repository_url=ghcr.io\"}",
        "{\"@id\":\"pkg:oci/app?repository_url=ghcr.io/x/app&tag=1.0\",\"subcomponents\":[]}",
    };
    for (size_t i = 0; i < sizeof(products) / sizeof(products[0]); i++) {
        char *s = NULL;
        cr_assert(asprintf(&s,
                           "{\"vulnerability\":{\"name\":\"CVE-1\"},\"products\":[%s],"
                           "\"status\":\"not_affected\",\"justification\":\"x\"}",
                           products[i]) > 0);
        struct vg_vex *v = doc(s);
        cr_expect(sup(v, &app, OPENSSL), "case %zu", i);
        cr_expect(sup(v, &app, "pkg:npm/lodash@4.17.20"), "case %zu: any package", i);
        cr_expect(!sup(v, &other, OPENSSL), "case %zu: other image", i);
        cr_expect(!sup(v, &app_tag2, OPENSSL), "case %zu: other tag and digest", i);
        cr_expect(!sup(v, NULL, OPENSSL), "case %zu: unknown subject", i);
        cr_expect(!vg_vex_suppresses(v, &app, "CVE-2", NULL, OPENSSL, NULL), "case %zu", i);
        vg_vex_free(v);
        free(s);
    }
}

Test(scan_vex, package_product_applies_everywhere_with_purl_rules)
{
    struct vg_vex *v = doc(STMT("{\"@id\":\"pkg:deb/debian/openssl@3.0.11-1%2Bdeb12u1\"}"));
    cr_expect(sup(v, &app, "pkg:deb/debian/openssl@3.0.11-1+deb12u1?arch=amd64"),
              "percent-encoding is decoded before comparing");
    cr_expect(sup(v, &other, "pkg:deb/debian/openssl@3.0.11-1%2Bdeb12u1"));
    cr_expect(!sup(v, &app, "pkg:deb/debian/openssl@3.0.11-1+deb12u2"));
    cr_expect(!sup(v, &app, "pkg:deb/ubuntu/openssl@3.0.11-1+deb12u1"), "namespace differs");
    cr_expect(!sup(v, &app, "pkg:rpm/debian/openssl@3.0.11-1+deb12u1"), "type differs");
    vg_vex_free(v);
}

Test(scan_vex, openvex_v001_statement_level_subcomponents)
{
    const char *s = "{\"@context\":\"https://openvex.dev/ns/v0.0.1\",\"statements\":["
                    "{\"vulnerability\":\"CVE-1\",\"products\":[\"ghcr.io/x/app:1.0\"],"
                    "\"subcomponents\":[\"pkg:deb/debian/openssl\"],\"status\":\"fixed\"}]}";
    struct vg_err *err = NULL;
    struct vg_vex *v = vg_vex_parse(s, strlen(s), &err);
    cr_assert_not_null(v);
    const char *j = NULL;
    cr_expect(vg_vex_suppresses(v, &app, "CVE-1", NULL, OPENSSL, &j));
    cr_expect_str_eq(j, "fixed");
    cr_expect(!sup(v, &app, "pkg:npm/lodash@1"), "only the listed subcomponents");
    cr_expect(!sup(v, &other, OPENSSL));
    vg_vex_free(v);
}

Test(scan_vex, later_documents_override_and_bad_ones_change_nothing)
{
    struct vg_vex *v = doc(STMT("{\"@id\":\"ghcr.io/x/app:1.0\"}"));
    cr_expect(sup(v, &app, OPENSSL));
    const char *affected = "{\"statements\":[{\"vulnerability\":{\"name\":\"CVE-1\"},"
                           "\"products\":[{\"@id\":\"pkg:deb/debian/openssl\"}],"
                           "\"status\":\"affected\"}]}";
    const char *bad =
        "{\"statements\":[{\"vulnerability\":{\"name\":\"CVE-1\"},"
        "\"products\":[{\"@id\":\"pkg:deb/debian/openssl\"}],\"status\":\"fixed\"},"
        "{\"vulnerability\":{\"name\":\"CVE-2\"},\"products\":[],\"status\":\"fixed\"}]}";
    struct vg_err *err = NULL;
    cr_expect_lt(vg_vex_add(v, bad, strlen(bad), &err), 0);
    cr_expect(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
    cr_expect_eq(vg_vex_statement_count(v), 1, "a failed document adds nothing");
    cr_expect(sup(v, &app, OPENSSL));
    cr_assert_eq(vg_vex_add(v, affected, strlen(affected), &err), 0);
    cr_expect(!sup(v, &app, OPENSSL), "the later affected statement wins");
    cr_expect(sup(v, &app, "pkg:deb/debian/zlib@1"),
              "the image-wide statement still covers the rest");
    vg_vex_free(v);
}

Test(scan_vex, hostile_documents_are_rejected)
{
    const char *bad[] = {
        "{\"statements\":[{\"vulnerability\":\"C\",\"products\":[{\"@id\":\"a\","
        "\"subcomponents\":[{\"@id\":\"b\",\"subcomponents\":[{\"@id\":\"c\"}]}]}],"
        "\"status\":\"fixed\"}]}",
        "{\"statements\":[{\"vulnerability\":\"C\",\"products\":[{\"@id\":\"a\","
        "\"subcomponents\":{\"@id\":\"b\"}}],\"status\":\"fixed\"}]}",
        "{\"statements\":[{\"vulnerability\":\"C\",\"products\":[\"a\"],"
        "\"subcomponents\":\"b\",\"status\":\"fixed\"}]}",
        "{\"statements\":[{\"vulnerability\":\"C\",\"products\":[{\"hashes\":{\"sha-256\":1}}],"
        "\"status\":\"fixed\"}]}",
        "{\"statements\":[{\"vulnerability\":\"C\",\"products\":[\"\"],\"status\":\"fixed\"}]}",
        "{\"statements\":[{\"vulnerability\":{\"name\":\"C\",\"aliases\":\"x\"},"
        "\"products\":[\"a\"],\"status\":\"fixed\"}]}",
        "{\"statements\":[{\"vulnerability\":\"C\",\"products\":\"a\",\"status\":\"fixed\"}]}",
        "{\"bomFormat\":\"CycloneDX\",\"vulnerabilities\":[{\"id\":\"C\",\"analysis\":"
        "{\"state\":\"maybe\"}}]}",
        "{\"bomFormat\":\"CycloneDX\",\"vulnerabilities\":[{\"analysis\":{\"state\":\"resolved\"}}]"
        "}",
        "{\"bomFormat\":\"CycloneDX\"}",
        "[]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vg_err *err = NULL;
        struct vg_vex *v = vg_vex_parse(bad[i], strlen(bad[i]), &err);
        cr_expect_null(v, "case %zu", i);
        cr_expect(vg_err_is(err, VG_E_PARSE), "case %zu", i);
        vg_vex_free(v);
        vg_err_free(&err);
    }
}

Test(scan_vex, too_many_components_is_a_limit)
{
    size_t n = 10001;
    size_t cap = 64 + n * 8;
    char *s = malloc(cap);
    size_t w = (size_t)snprintf(s, cap, "{\"statements\":[{\"vulnerability\":\"C\",\"products\":[");
    for (size_t i = 0; i < n; i++) {
        w += (size_t)snprintf(s + w, cap - w, "%s\"a\"", i ? "," : "");
    }
    snprintf(s + w, cap - w, "],\"status\":\"fixed\"}]}");
    struct vg_err *err = NULL;
    struct vg_vex *v = vg_vex_parse(s, strlen(s), &err);
    cr_expect_null(v);
    cr_expect(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
    free(s);
}

static const char *cdx =
    "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"version\":1,"
    " \"metadata\":{\"component\":{\"type\":\"container\",\"bom-ref\":\"img\",\"name\":\"app\","
    "   \"purl\":\"pkg:oci/app@sha256%3A" HEX_A "?repository_url=ghcr.io/x/app\"}},"
    " \"components\":[{\"type\":\"library\",\"bom-ref\":\"ossl\",\"purl\":\"pkg:deb/debian/"
    "openssl\"},"
    "   {\"type\":\"library\",\"bom-ref\":\"dup\",\"purl\":\"pkg:deb/debian/zlib\"},"
    "   {\"type\":\"library\",\"bom-ref\":\"dup\",\"purl\":\"pkg:deb/debian/bash\"}],"
    " \"vulnerabilities\":["
    "  {\"id\":\"CVE-1\",\"references\":[{\"id\":\"GHSA-1\"}],\"analysis\":{\"state\":"
    "    "
    "\"not_affected\",\"justification\":\"code_not_reachable\"},\"affects\":[{\"ref\":\"ossl\"}]},"
    "  {\"id\":\"CVE-2\",\"analysis\":{\"state\":\"resolved\"},\"affects\":[{\"ref\":\"img\"}]},"
    "  {\"id\":\"CVE-3\",\"analysis\":{\"state\":\"false_positive\"},\"affects\":["
    "    {\"ref\":\"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#ossl\"},{\"ref\":\"dup\"},"
    "    {\"ref\":\"nothere\"},{\"ref\":\"ossl\",\"versions\":[{\"version\":\"1\"}]}]},"
    "  {\"id\":\"CVE-4\",\"affects\":[{\"ref\":\"ossl\"}]},"
    "  {\"id\":\"CVE-5\",\"analysis\":{\"state\":\"exploitable\"},\"affects\":[{\"ref\":\"ossl\"}]}"
    " ]}";

Test(scan_vex, cyclonedx_vex_scoped_to_its_metadata_component)
{
    struct vg_err *err = NULL;
    struct vg_vex *v = vg_vex_parse(cdx, strlen(cdx), &err);
    cr_assert_not_null(v, "%s", err ? err->msg : "");
    const char *j = NULL;
    cr_expect(vg_vex_suppresses(v, &app, "CVE-1", NULL, OPENSSL, &j));
    cr_expect_str_eq(j, "code_not_reachable");
    const char *al[] = {"GHSA-1", NULL};
    cr_expect(vg_vex_suppresses(v, &app, "X", al, OPENSSL, NULL), "references are aliases");
    cr_expect(!vg_vex_suppresses(v, &other, "CVE-1", NULL, OPENSSL, NULL), "another image");
    cr_expect(!vg_vex_suppresses(v, &app, "CVE-1", NULL, "pkg:deb/debian/bash@1", NULL));
    cr_expect(vg_vex_suppresses(v, &app, "CVE-2", NULL, "pkg:deb/debian/bash@1", &j),
              "a ref to the metadata component covers the whole image");
    cr_expect_str_eq(j, "resolved");
    cr_expect(!vg_vex_suppresses(v, &other, "CVE-2", NULL, "pkg:deb/debian/bash@1", NULL));
    const char *pk[] = {OPENSSL, "pkg:deb/debian/zlib@1", "pkg:deb/debian/bash@1"};
    for (size_t i = 0; i < 3; i++) {
        cr_expect(!vg_vex_suppresses(v, &app, "CVE-3", NULL, pk[i], NULL),
                  "BOM-Link, duplicate, unknown and version-restricted refs are skipped (%zu)", i);
    }
    cr_expect(!vg_vex_suppresses(v, &app, "CVE-4", NULL, OPENSSL, NULL), "no analysis");
    cr_expect(!vg_vex_suppresses(v, &app, "CVE-5", NULL, OPENSSL, NULL), "exploitable");
    vg_vex_free(v);

    const char *bare =
        "{\"bomFormat\":\"CycloneDX\",\"components\":[{\"bom-ref\":\"l\","
        "\"purl\":\"pkg:npm/lodash@4.17.20\"}],\"vulnerabilities\":[{\"id\":\"CVE-1\","
        "\"analysis\":{\"state\":\"not_affected\"},\"affects\":[{\"ref\":\"l\"}]}]}";
    v = vg_vex_parse(bare, strlen(bare), &err);
    cr_assert_not_null(v);
    cr_expect(sup(v, &other, "pkg:npm/lodash@4.17.20"), "no metadata: the package is the product");
    cr_expect(!sup(v, &other, "pkg:npm/lodash@4.17.21"));
    vg_vex_free(v);
}
