#include <criterion/criterion.h>
#include <string.h>

#include "oci/oci.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static const char two[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
    "\"manifests\":[{\"digest\":\"" DA "\",\"size\":10,\"mediaType\":\"m\","
    "\"annotations\":{\"z\":\"1\",\"a\":\"2\"},\"artifactType\":\"sig\"},"
    "{\"mediaType\":\"m\",\"size\":20,\"digest\":\"" DB "\",\"artifactType\":\"sbom\","
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}]}";

static char *
serialize(const struct vg_oci_index *ix)
{
    struct vg_buf b = VG_BUF_INIT(1 << 20);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_index_serialize(ix, &b, &err), 0);
    char *s = vg_strndup((const char *)b.data, b.len);
    vg_buf_dispose(&b);
    return s;
}

static struct vg_digest
dig(const char *s)
{
    struct vg_digest d;
    cr_assert_eq(vg_digest_parse(&d, s, NULL), 0);
    return d;
}

Test(oci_index, parse_and_canonical_serialization)
{
    struct vg_oci_index ix = {0};
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_index_parse(&ix, two, strlen(two), "idx", &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_eq(ix.n, 2);
    cr_assert_str_eq(ix.v[0].digest.text, DA);
    cr_assert_eq(ix.v[1].size, 20);
    char *s = serialize(&ix);
    /* Fixed key order, annotations sorted, platform keys sorted. */
    cr_assert_str_eq(s, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+"
                        "json\",\"manifests\":[{\"mediaType\":\"m\",\"size\":10,\"digest\":\"" DA
                        "\",\"artifactType\":\"sig\",\"annotations\":{\"a\":\"2\",\"z\":\"1\"}},"
                        "{\"mediaType\":\"m\",\"size\":20,\"digest\":\"" DB
                        "\",\"artifactType\":\"sbom\",\"platform\":{\"architecture\":\"arm64\","
                        "\"os\":\"linux\",\"variant\":\"v8\"}}]}");
    /* Round trip: parsing the canonical form gives the canonical form again. */
    struct vg_oci_index again = {0};
    cr_assert_eq(vg_oci_index_parse(&again, s, strlen(s), "idx", &err), 0);
    char *s2 = serialize(&again);
    cr_assert_str_eq(s, s2);
    free(s);
    free(s2);
    vg_oci_index_dispose(&again);
    vg_oci_index_dispose(&ix);
}

Test(oci_index, add_is_idempotent_and_remove_works)
{
    struct vg_oci_index ix = {0};
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_index_parse(&ix, two, strlen(two), "idx", &err), 0);
    char mt[] = "m", at[] = "sig";
    struct vg_oci_desc d = {.media_type = mt, .size = 5, .artifact_type = at};
    d.digest = dig(DC);
    bool added = false;
    cr_assert_eq(vg_oci_index_add(&ix, &d, &added, &err), 0);
    cr_assert(added);
    cr_assert_eq(ix.n, 3);
    cr_assert_eq(vg_oci_index_add(&ix, &d, &added, &err), 0);
    cr_assert_not(added);
    cr_assert_eq(ix.n, 3);
    struct vg_digest b = dig(DB);
    cr_assert(vg_oci_index_remove(&ix, &b));
    cr_assert_not(vg_oci_index_remove(&ix, &b));
    cr_assert_eq(ix.n, 2);
    cr_assert_null(vg_oci_index_find(&ix, &b));
    cr_assert_str_eq(ix.v[1].digest.text, DC);
    cr_assert_eq(vg_oci_index_filter(&ix, "sig"), 2);
    cr_assert_eq(vg_oci_index_filter(&ix, "nothing"), 0);
    cr_assert_eq(ix.n, 0);
    char *s = serialize(&ix);
    cr_assert_str_eq(s, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+"
                        "json\",\"manifests\":[]}");
    free(s);
    vg_oci_index_dispose(&ix);
}

Test(oci_index, pages_append_in_order)
{
    struct vg_oci_index ix = {0};
    struct vg_err *err = NULL;
    const char *p2 = "{\"manifests\":[{\"mediaType\":\"m\",\"size\":1,\"digest\":\"" DC "\"}]}";
    cr_assert_eq(vg_oci_index_append_json(&ix, two, strlen(two), "p1", &err), 0);
    cr_assert_eq(vg_oci_index_append_json(&ix, p2, strlen(p2), "p2", &err), 0);
    cr_assert_eq(ix.n, 3);
    cr_assert_str_eq(ix.v[2].digest.text, DC);
    vg_oci_index_dispose(&ix);
}

static void
refuse(const char *doc, enum vg_errc code, const char *needle)
{
    struct vg_oci_index ix = {0};
    struct vg_err *err = NULL;
    cr_assert_lt(vg_oci_index_parse(&ix, doc, strlen(doc), "the index", &err), 0, "%s", doc);
    cr_assert(vg_err_is(err, code), "%s: %s", doc, err->msg);
    cr_assert_not_null(strstr(err->msg, needle), "%s", err->msg);
    cr_assert_eq(ix.n, 0);
    cr_assert_null(ix.v);
    vg_err_free(&err);
}

Test(oci_index, hostile_documents_are_refused_with_where)
{
    refuse("{\"manifests\":{}}", VG_E_PARSE, "/manifests");
    refuse("[]", VG_E_PARSE, "the index");
    refuse("{\"manifests\":[{\"mediaType\":\"m\",\"size\":-1,\"digest\":\"" DA "\"}]}", VG_E_PARSE,
           "/manifests/0");
    refuse("{\"manifests\":[{\"mediaType\":\"m\",\"size\":1,\"digest\":\"sha256:../x\"}]}",
           VG_E_PARSE, "digest");
    refuse("{\"manifests\":[],\"annotations\":[]}", VG_E_PARSE, "annotations");
    refuse("{\"manifests\":[", VG_E_PARSE, "the index");
}

Test(oci_index, entry_limit)
{
    struct vg_buf b = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    cr_assert_eq(vg_buf_append_str(&b, "{\"manifests\":[", NULL), 0);
    for (unsigned i = 0; i <= VG_LIMIT_INDEX_ENTRIES; i++) {
        cr_assert_eq(vg_buf_append_str(&b, i ? ",{" : "{", NULL), 0);
        cr_assert_eq(
            vg_buf_append_str(&b, "\"mediaType\":\"m\",\"size\":1,\"digest\":\"" DA "\"}", NULL),
            0);
    }
    cr_assert_eq(vg_buf_append_str(&b, "]}", NULL), 0);
    struct vg_oci_index ix = {0};
    struct vg_err *err = NULL;
    cr_assert_lt(vg_oci_index_parse(&ix, b.data, b.len, "big", &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT), "%s", err->msg);
    vg_err_free(&err);
    vg_buf_dispose(&b);
}
