/* SPDX-License-Identifier: Apache-2.0
 *
 * SBOMs written by other tools: the source package (what Debian/Alpine advisories are keyed
 * by), epochs and the OS ecosystem must come out as vigil's own analyzers produce them.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "inventory/inventory.h"

static struct vg_inventory *
read_ok(const char *doc)
{
    struct vg_inventory *inv = NULL;
    struct vg_err *err = NULL;
    int rc = vg_sbom_read(&inv, doc, strlen(doc), &err);
    cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
    return inv;
}

static const struct vg_pkg *
find(const struct vg_inventory *inv, const char *name)
{
    for (size_t i = 0; i < inv->npkgs; i++) {
        if (strcmp(inv->pkgs[i].name, name) == 0) {
            return &inv->pkgs[i];
        }
    }
    cr_assert_fail("no package %s", name);
    return NULL;
}

/* Trivy 0.5x CycloneDX: epoch and source in properties, distro with the point release. */
Test(inventory_sbom_read, trivy_cyclonedx_source_properties)
{
    struct vg_inventory *inv = read_ok(
        "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":["
        "{\"bom-ref\":\"os\",\"type\":\"operating-system\",\"name\":\"debian\",\"version\":\"12."
        "5\"},"
        "{\"bom-ref\":\"pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12.5\","
        " \"type\":\"library\",\"name\":\"libc6\",\"version\":\"2.36-9+deb12u4\","
        " \"purl\":\"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5\","
        " \"properties\":[{\"name\":\"aquasecurity:trivy:PkgType\",\"value\":\"debian\"},"
        "  {\"name\":\"aquasecurity:trivy:SrcName\",\"value\":\"glibc\"},"
        "  {\"name\":\"aquasecurity:trivy:SrcRelease\",\"value\":\"9+deb12u4\"},"
        "  {\"name\":\"aquasecurity:trivy:SrcVersion\",\"value\":\"2.36\"}]},"
        "{\"type\":\"library\",\"name\":\"login\",\"version\":\"4.13+dfsg1-1\","
        " \"purl\":\"pkg:deb/debian/login@4.13%2Bdfsg1-1?arch=amd64&distro=debian-12.5&epoch=1\","
        " \"properties\":[{\"name\":\"aquasecurity:trivy:SrcEpoch\",\"value\":\"1\"},"
        "  {\"name\":\"aquasecurity:trivy:SrcName\",\"value\":\"shadow\"},"
        "  {\"name\":\"aquasecurity:trivy:SrcRelease\",\"value\":\"1\"},"
        "  {\"name\":\"aquasecurity:trivy:SrcVersion\",\"value\":\"4.13+dfsg1\"}]}]}");
    const struct vg_pkg *p = find(inv, "libc6");
    cr_expect_str_eq(p->version, "2.36-9+deb12u4");
    cr_expect_str_eq(p->src_name, "glibc");
    cr_expect_str_eq(p->src_version, "2.36-9+deb12u4");
    cr_expect_str_eq(p->ecosystem, "Debian:12");
    cr_expect_str_eq(p->arch, "amd64");
    p = find(inv, "login");
    cr_expect_str_eq(p->version, "1:4.13+dfsg1-1", "epoch qualifier");
    cr_expect_str_eq(p->src_name, "shadow");
    cr_expect_str_eq(p->src_version, "1:4.13+dfsg1-1");
    vg_inventory_free(inv);
}

/* Syft CycloneDX: upstream qualifier (name or name@version), epoch in the version,
 * syft:metadata properties; apk origin; rpm sourceRpm. */
Test(inventory_sbom_read, syft_cyclonedx_upstream_and_metadata)
{
    struct vg_inventory *inv = read_ok(
        "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"components\":["
        "{\"type\":\"library\",\"name\":\"libc6\",\"version\":\"2.36-9+deb12u4\","
        " \"purl\":\"pkg:deb/debian/"
        "libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc&distro=debian-12\"},"
        "{\"type\":\"library\",\"name\":\"libssl3\",\"version\":\"3.0.11-1~deb12u2\","
        " \"purl\":\"pkg:deb/debian/"
        "libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl%403.0.11-1~deb12u2&distro=debian-"
        "12\"},"
        "{\"type\":\"library\",\"name\":\"passwd\",\"version\":\"1:4.13+dfsg1-1+b1\","
        " \"purl\":\"pkg:deb/debian/passwd@1:4.13%2Bdfsg1-1%2Bb1?arch=amd64&distro=debian-12\","
        " \"properties\":[{\"name\":\"syft:metadata:source\",\"value\":\"shadow\"}]},"
        "{\"type\":\"library\",\"name\":\"bsdutils\",\"version\":\"1:2.38.1-5+b1\","
        " \"purl\":\"pkg:deb/debian/"
        "bsdutils@1:2.38.1-5%2Bb1?arch=amd64&upstream=util-linux%402.38.1-5&distro=debian-12\","
        " \"properties\":[{\"name\":\"syft:metadata:source\",\"value\":\"util-linux\"},"
        "  {\"name\":\"syft:metadata:sourceVersion\",\"value\":\"2.38.1-5\"}]},"
        "{\"type\":\"library\",\"name\":\"libcrypto3\",\"version\":\"3.1.4-r5\","
        " \"purl\":\"pkg:apk/alpine/"
        "libcrypto3@3.1.4-r5?arch=x86_64&upstream=openssl&distro=alpine-3.19.1\"},"
        "{\"type\":\"library\",\"name\":\"bash\",\"version\":\"5.1.8-6.el9\","
        " \"purl\":\"pkg:rpm/redhat/"
        "bash@5.1.8-6.el9?arch=x86_64&epoch=2&upstream=bash-5.1.8-6.el9.src.rpm&distro=rhel-9.3\"}"
        "]}");
    const struct vg_pkg *p = find(inv, "libc6");
    cr_expect_str_eq(p->src_name, "glibc");
    cr_expect_str_eq(p->src_version, "2.36-9+deb12u4", "binary version when upstream has none");
    p = find(inv, "libssl3");
    cr_expect_str_eq(p->src_name, "openssl");
    cr_expect_str_eq(p->src_version, "3.0.11-1~deb12u2");
    p = find(inv, "passwd");
    cr_expect_str_eq(p->version, "1:4.13+dfsg1-1+b1");
    cr_expect_str_eq(p->src_name, "shadow");
    cr_expect_str_eq(p->src_version, "1:4.13+dfsg1-1", "binNMU suffix dropped");
    p = find(inv, "bsdutils");
    cr_expect_str_eq(p->src_name, "util-linux");
    cr_expect_str_eq(p->src_version, "2.38.1-5");
    p = find(inv, "libcrypto3");
    cr_expect_str_eq(p->src_name, "openssl");
    cr_expect_str_eq(p->ecosystem, "Alpine:v3.19");
    p = find(inv, "bash");
    cr_expect_str_eq(p->version, "2:5.1.8-6.el9");
    cr_expect_str_eq(p->src_name, "bash");
    cr_expect_str_eq(p->src_version, "5.1.8-6.el9");
    vg_inventory_free(inv);
}

/* Trivy SPDX JSON: sourceInfo names the source package; OS package purpose. */
Test(inventory_sbom_read, trivy_spdx_json_source_info)
{
    struct vg_inventory *inv = read_ok(
        "{\"spdxVersion\":\"SPDX-2.3\",\"SPDXID\":\"SPDXRef-DOCUMENT\",\"packages\":["
        "{\"SPDXID\":\"SPDXRef-OperatingSystem-1\",\"name\":\"debian\",\"versionInfo\":\"12.5\","
        " \"primaryPackagePurpose\":\"OPERATING-SYSTEM\"},"
        "{\"SPDXID\":\"SPDXRef-Package-1\",\"name\":\"libc6\",\"versionInfo\":\"2.36-9+deb12u4\","
        " \"sourceInfo\":\"built package from: glibc 2.36-9+deb12u4\","
        " \"externalRefs\":[{\"referenceCategory\":\"PACKAGE-MANAGER\",\"referenceType\":\"purl\","
        "  \"referenceLocator\":\"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64\"}]}]}");
    const struct vg_pkg *p = find(inv, "libc6");
    cr_expect_str_eq(p->src_name, "glibc");
    cr_expect_str_eq(p->src_version, "2.36-9+deb12u4");
    cr_expect_str_eq(p->ecosystem, "Debian:12", "from the OS package");
    vg_inventory_free(inv);
}

Test(inventory_sbom_read, hostile_purls_are_skipped)
{
    char longp[5000];
    memset(longp, 'a', sizeof(longp));
    memcpy(longp, "pkg:deb/debian/x@1", 18);
    longp[sizeof(longp) - 1] = '\0';
    char *doc = NULL;
    cr_assert(asprintf(&doc,
                       "{\"bomFormat\":\"CycloneDX\",\"components\":["
                       "{\"purl\":\"%s\"},{\"purl\":\"pkg:deb/debian/a%%00b@1\"},"
                       "{\"purl\":\"pkg:/x@1\"},{\"purl\":\"pkg:deb/debian/y\"},"
                       "{\"purl\":\"pkg:deb/debian/z@1?a=1&a=2\"},"
                       "{\"purl\":\"pkg:deb/debian/ok@1.0-1?distro=debian-12\","
                       " \"properties\":[{\"name\":\"aquasecurity:trivy:SrcName\",\"value\":\"\"}]}"
                       "]}",
                       longp) > 0);
    struct vg_inventory *inv = read_ok(doc);
    cr_expect_eq(inv->npkgs, 1);
    cr_expect_str_eq(inv->pkgs[0].name, "ok");
    cr_expect_str_eq(inv->pkgs[0].src_name, "ok", "empty SrcName falls back to the name");
    vg_inventory_free(inv);
    free(doc);
}

/* Trivy `--format spdx` (tag-value). */
Test(inventory_sbom_read, spdx_tag_value)
{
    struct vg_inventory *inv = read_ok(
        "SPDXVersion: SPDX-2.3\n"
        "DataLicense: CC0-1.0\n"
        "SPDXID: SPDXRef-DOCUMENT\n"
        "DocumentName: img\n"
        "DocumentComment: <text>multi\nPackageName: not-a-package\n</text>\n"
        "\n"
        "##### Package: debian\n"
        "PackageName: debian\r\n"
        "SPDXID: SPDXRef-OperatingSystem-1\n"
        "PackageVersion: 12.5\n"
        "PrimaryPackagePurpose: OPERATING-SYSTEM\n"
        "\n"
        "##### Package: libc6\n"
        "PackageName: libc6\n"
        "SPDXID: SPDXRef-Package-1\n"
        "PackageVersion: 2.36-9+deb12u4\n"
        "PackageSourceInfo: built package from: glibc 2.36-9+deb12u4\n"
        "ExternalRef: SECURITY cpe23Type cpe:2.3:a:libc6:libc6:*:*:*:*:*:*:*:*\n"
        "ExternalRef: PACKAGE-MANAGER purl pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64\n"
        "\n"
        "##### Package: app\n"
        "PackageName: app\n"
        "SPDXID: SPDXRef-Image\n"
        "ExternalRef: PACKAGE-MANAGER purl pkg:oci/app@sha256%3Aab?repository_url=ghcr.io/x/app\n"
        "FileName: ./etc/passwd\n"
        "PackageVersion: 9.9\n"
        "Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-Image\n");
    cr_expect_eq(inv->npkgs, 1);
    const struct vg_pkg *p = find(inv, "libc6");
    cr_expect_str_eq(p->src_name, "glibc");
    cr_expect_str_eq(p->src_version, "2.36-9+deb12u4");
    cr_expect_str_eq(p->ecosystem, "Debian:12");
    cr_expect_str_eq(inv->subject_purl, "pkg:oci/app@sha256%3Aab?repository_url=ghcr.io/x/app");
    vg_inventory_free(inv);
}

/* Trivy `--format cyclonedx` written as XML (CycloneDX 1.6 namespace). */
Test(inventory_sbom_read, cyclonedx_xml)
{
    struct vg_inventory *inv = read_ok(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\" version=\"1\">"
        "<metadata><component type=\"container\"><name>app</name>"
        "<purl>pkg:oci/app@sha256%3Aab</purl></component></metadata>"
        "<components>"
        "<component "
        "type=\"operating-system\"><name>debian</name><version>12.5</version></component>"
        "<component type=\"library\"><name>libc6</name><version>2.36-9+deb12u4</version>"
        "<purl>pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&amp;distro=debian-12.5</purl>"
        "<properties><property name=\"aquasecurity:trivy:SrcName\">glibc</property>"
        "<property name=\"aquasecurity:trivy:SrcVersion\">2.36</property>"
        "<property name=\"aquasecurity:trivy:SrcRelease\">9+deb12u4</property></properties>"
        "<components><component type=\"library\"><name>zlib1g</name>"
        "<purl>pkg:deb/debian/zlib1g@1.2.13.dfsg-1?epoch=1</purl></component></components>"
        "</component></components></bom>");
    cr_expect_eq(inv->npkgs, 2);
    const struct vg_pkg *p = find(inv, "libc6");
    cr_expect_str_eq(p->src_name, "glibc");
    cr_expect_str_eq(p->src_version, "2.36-9+deb12u4");
    cr_expect_str_eq(p->ecosystem, "Debian:12");
    p = find(inv, "zlib1g");
    cr_expect_str_eq(p->version, "1:1.2.13.dfsg-1");
    cr_expect_str_eq(p->ecosystem, "Debian:12", "from the operating-system component");
    cr_expect_str_eq(inv->subject_purl, "pkg:oci/app@sha256%3Aab");
    vg_inventory_free(inv);
}

Test(inventory_sbom_read, hostile_xml_and_tag_value)
{
    static const struct {
        const char *doc;
        enum vg_errc code;
    } bad[] = {
        {"<?xml version=\"1.0\"?><!DOCTYPE bom [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
         "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><bom "
         "xmlns=\"http://cyclonedx.org/schema/bom/1.5\"><components><component><name>&b;</name>"
         "</component></components></bom>",
         VG_E_PARSE},
        {"<?xml version=\"1.0\"?><!DOCTYPE bom SYSTEM \"http://example.invalid/x.dtd\"><bom "
         "xmlns=\"http://cyclonedx.org/schema/bom/1.5\"/>",
         VG_E_PARSE},
        {"<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"><components>", VG_E_PARSE},
        {"<bom><components/></bom>", VG_E_UNSUPPORTED},
        {"<svg xmlns=\"http://www.w3.org/2000/svg\"/>", VG_E_UNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vg_inventory *inv = NULL;
        struct vg_err *err = NULL;
        cr_expect_lt(vg_sbom_read(&inv, bad[i].doc, strlen(bad[i].doc), &err), 0, "case %zu", i);
        cr_expect(vg_err_is(err, bad[i].code), "case %zu: %s", i, err ? err->msg : "");
        vg_err_free(&err);
    }
    /* Components nested past the limit: an error, not a stack overflow. */
    size_t depth = 40, cap = 200 + depth * 48, w = 0;
    char *deep = calloc(1, cap);
    w += (size_t)snprintf(deep + w, cap - w, "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\">");
    for (size_t i = 0; i < depth; i++) {
        w += (size_t)snprintf(deep + w, cap - w, "<components><component>");
    }
    for (size_t i = 0; i < depth; i++) {
        w += (size_t)snprintf(deep + w, cap - w, "</component></components>");
    }
    w += (size_t)snprintf(deep + w, cap - w, "</bom>");
    cr_assert_lt(w, cap);
    struct vg_inventory *inv = NULL;
    struct vg_err *err = NULL;
    cr_expect_lt(vg_sbom_read(&inv, deep, strlen(deep), &err), 0);
    cr_expect(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
    free(deep);
    /* A tag-value line over the limit. */
    size_t n = 64 * 1024 + 100;
    char *tv = malloc(n + 1);
    memcpy(tv, "SPDXVersion: SPDX-2.3\nPackageName: ", 35);
    memset(tv + 35, 'a', n - 35);
    tv[n] = '\0';
    cr_expect_lt(vg_sbom_read(&inv, tv, n, &err), 0);
    cr_expect(vg_err_is(err, VG_E_LIMIT));
    cr_expect(err && strstr(err->msg, "line") != NULL);
    vg_err_free(&err);
    free(tv);
}
