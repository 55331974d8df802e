/* SPDX-License-Identifier: Apache-2.0
 *
 * Tests for the registry's manifest validator: accepted media types, Content-Type versus
 * mediaType, references (config, layers, index children; foreign layers and subject left out),
 * artifactType and annotations extraction, inline data checks, and refusals with their codes.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "registry/registry.h"

#define D1 "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define D2 "sha256:a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"

static enum vg_oci_dist_code
check(const char *ct, const char *json, struct vg_registry_manifest_info *mi)
{
    struct vg_err *err = NULL;
    enum vg_oci_dist_code c = vg_registry_manifest_check(mi, ct, json, strlen(json), &err);
    if (c != VG_OCI_DIST_OK) {
        cr_assert(err);
        vg_err_free(&err);
    }
    return c;
}

Test(registry_manifest, image_with_subject_and_artifact_type)
{
    const char *j =
        "{\"schemaVersion\":2,\"mediaType\":\"" VG_MT_OCI_MANIFEST "\","
        "\"artifactType\":\"application/vnd.example+json\","
        "\"config\":{\"mediaType\":\"" VG_MT_OCI_EMPTY "\",\"digest\":\"" D1
        "\",\"size\":2,\"data\":\"e30=\"},"
        "\"layers\":[{\"mediaType\":\"application/x-a\",\"digest\":\"" D2 "\",\"size\":3}],"
        "\"subject\":{\"mediaType\":\"" VG_MT_OCI_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":3},"
        "\"annotations\":{\"b\":\"2\",\"a\":\"1\"}}";
    struct vg_registry_manifest_info mi;
    cr_assert_eq(check(VG_MT_OCI_MANIFEST "; charset=utf-8", j, &mi), VG_OCI_DIST_OK);
    cr_assert_eq(mi.kind, VG_REGISTRY_MANIFEST_IMAGE);
    cr_assert_str_eq(mi.artifact_type, "application/vnd.example+json");
    cr_assert(mi.has_subject);
    cr_assert_str_eq(mi.subject.text, D2);
    cr_assert_str_eq(mi.annotations, "{\"a\":\"1\",\"b\":\"2\"}");
    cr_assert_eq(mi.nrefs, 2);
    cr_assert_str_eq(mi.refs[0].digest.text, D1);
    cr_assert_not(mi.refs[0].is_manifest);
    vg_registry_manifest_info_dispose(&mi);
}

Test(registry_manifest, index_children_are_manifest_refs)
{
    const char *j = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" VG_MT_OCI_MANIFEST
                    "\",\"digest\":\"" D1 "\",\"size\":2,\"platform\":{\"os\":\"linux\"}}]}";
    struct vg_registry_manifest_info mi;
    cr_assert_eq(check(VG_MT_OCI_INDEX, j, &mi), VG_OCI_DIST_OK);
    cr_assert_eq(mi.kind, VG_REGISTRY_MANIFEST_INDEX);
    cr_assert_eq(mi.nrefs, 1);
    cr_assert(mi.refs[0].is_manifest);
    cr_assert_null(mi.artifact_type);
    vg_registry_manifest_info_dispose(&mi);
    /* Docker manifest list, type from the body */
    const char *dl = "{\"schemaVersion\":2,\"mediaType\":\"" VG_MT_DOCKER_LIST "\","
                     "\"manifests\":[]}";
    cr_assert_eq(check(NULL, dl, &mi), VG_OCI_DIST_OK);
    cr_assert_str_eq(mi.media_type, VG_MT_DOCKER_LIST);
    vg_registry_manifest_info_dispose(&mi);
}

Test(registry_manifest, config_type_is_the_default_artifact_type_and_foreign_layers_skipped)
{
    const char *j = "{\"schemaVersion\":2,\"mediaType\":\"" VG_MT_DOCKER_MANIFEST "\","
                    "\"config\":{\"mediaType\":\"" VG_MT_DOCKER_CONFIG "\",\"digest\":\"" D1
                    "\",\"size\":2},\"layers\":[{\"mediaType\":"
                    "\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\","
                    "\"digest\":\"" D2 "\",\"size\":3,\"urls\":[\"https://x\"]}]}";
    struct vg_registry_manifest_info mi;
    cr_assert_eq(check(VG_MT_DOCKER_MANIFEST, j, &mi), VG_OCI_DIST_OK);
    cr_assert_str_eq(mi.artifact_type, VG_MT_DOCKER_CONFIG);
    cr_assert_eq(mi.nrefs, 1);
    vg_registry_manifest_info_dispose(&mi);
}

Test(registry_manifest, refusals)
{
    struct vg_registry_manifest_info mi;
    const char *cfg = "\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\",\"size\":2}";
    /* Content-Type and mediaType disagree */
    cr_assert_eq(check(VG_MT_OCI_INDEX,
                       "{\"schemaVersion\":2,\"mediaType\":\"" VG_MT_OCI_MANIFEST "\"}", &mi),
                 VG_OCI_DIST_MANIFEST_INVALID);
    /* schema 1 */
    cr_assert_eq(check("application/vnd.docker.distribution.manifest.v1+prettyjws",
                       "{\"schemaVersion\":1}", &mi),
                 VG_OCI_DIST_UNSUPPORTED);
    /* unknown type, no type at all, not JSON, not an object, duplicate keys */
    cr_assert_eq(check("text/plain", "{}", &mi), VG_OCI_DIST_MANIFEST_INVALID);
    cr_assert_eq(check(NULL, "{\"schemaVersion\":2}", &mi), VG_OCI_DIST_MANIFEST_INVALID);
    cr_assert_eq(check(VG_MT_OCI_MANIFEST, "{", &mi), VG_OCI_DIST_MANIFEST_INVALID);
    cr_assert_eq(check(VG_MT_OCI_MANIFEST, "[]", &mi), VG_OCI_DIST_MANIFEST_INVALID);
    cr_assert_eq(check(VG_MT_OCI_MANIFEST, "{\"schemaVersion\":2,\"schemaVersion\":2}", &mi),
                 VG_OCI_DIST_MANIFEST_INVALID);
    /* layers missing, bad digest, negative size, lying inline data */
    char buf[1024];
    snprintf(buf, sizeof(buf), "{\"schemaVersion\":2,%s}", cfg);
    cr_assert_eq(check(VG_MT_OCI_MANIFEST, buf, &mi), VG_OCI_DIST_MANIFEST_INVALID);
    snprintf(buf, sizeof(buf), "{\"schemaVersion\":2,%s,\"layers\":[]}", cfg);
    cr_assert_eq(check(VG_MT_OCI_MANIFEST, buf, &mi), VG_OCI_DIST_OK);
    vg_registry_manifest_info_dispose(&mi);
    snprintf(buf, sizeof(buf),
             "{\"schemaVersion\":2,%s,\"layers\":[{\"mediaType\":\"a/b\",\"digest\":"
             "\"sha256:XYZ\",\"size\":1}]}",
             cfg);
    cr_assert_eq(check(VG_MT_OCI_MANIFEST, buf, &mi), VG_OCI_DIST_MANIFEST_INVALID);
    snprintf(buf, sizeof(buf),
             "{\"schemaVersion\":2,%s,\"layers\":[{\"mediaType\":\"a/b\",\"digest\":\"" D1
             "\",\"size\":-1}]}",
             cfg);
    cr_assert_eq(check(VG_MT_OCI_MANIFEST, buf, &mi), VG_OCI_DIST_MANIFEST_INVALID);
    snprintf(buf, sizeof(buf),
             "{\"schemaVersion\":2,%s,\"layers\":[{\"mediaType\":\"a/b\",\"digest\":\"" D1
             "\",\"size\":2,\"data\":\"e3w=\"}]}",
             cfg);
    cr_assert_eq(check(VG_MT_OCI_MANIFEST, buf, &mi), VG_OCI_DIST_MANIFEST_INVALID);
    snprintf(buf, sizeof(buf), "{\"schemaVersion\":2,%s,\"layers\":[],\"annotations\":{\"a\":1}}",
             cfg);
    cr_assert_eq(check(VG_MT_OCI_MANIFEST, buf, &mi), VG_OCI_DIST_MANIFEST_INVALID);
}
