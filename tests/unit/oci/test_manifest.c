#include <criterion/criterion.h>
#include <string.h>

#include "oci/oci.h"

#define H1 "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"

static struct vg_oci_manifest *
parse_file(const char *name, const char *hint, struct vg_err **err)
{
    char *path = vg_fmt("%s/%s", VG_TEST_DATA, name);
    struct vg_buf b = VG_BUF_INIT(1 << 20);
    cr_assert_eq(vg_file_read(&b, path, 1 << 20, NULL), 0, "read %s", path);
    struct vg_oci_manifest *m = NULL;
    vg_oci_manifest_parse(&m, b.data, b.len, hint, err);
    vg_buf_dispose(&b);
    free(path);
    return m;
}

static struct vg_oci_manifest *
parse_str(const char *s, const char *hint, struct vg_err **err)
{
    struct vg_oci_manifest *m = NULL;
    vg_oci_manifest_parse(&m, s, strlen(s), hint, err);
    return m;
}

Test(oci_manifest, oci_manifest_all_fields)
{
    struct vg_err *err = NULL;
    struct vg_oci_manifest *m = parse_file("oci-manifest.json", NULL, &err);
    cr_assert_not_null(m, "%s", err ? err->msg : "");
    cr_assert_str_eq(m->media_type, VG_MT_OCI_MANIFEST);
    cr_assert_not(m->is_index);
    cr_assert_str_eq(m->config.digest.text, H1);
    cr_assert_eq(m->config.size, 1469);
    cr_assert_eq(m->nlayers, 2);
    cr_assert_str_eq(m->layers[0].media_type, VG_MT_OCI_LAYER_GZIP);
    cr_assert_eq(m->layers[0].size, 3370706);
    cr_assert_str_eq(m->layers[1].media_type, VG_MT_OCI_LAYER_ZSTD);
    cr_assert_str_eq(vg_json_str(m->layers[1].annotations, "org.opencontainers.image.title"), "x");
    cr_assert_not_null(m->subject);
    cr_assert_eq(m->subject->size, 7);
    cr_assert_not_null(m->annotations);
    vg_oci_manifest_free(m);
}

Test(oci_manifest, docker_schema2)
{
    struct vg_err *err = NULL;
    struct vg_oci_manifest *m = parse_file("docker-manifest.json", VG_MT_DOCKER_MANIFEST, &err);
    cr_assert_not_null(m);
    cr_assert_str_eq(m->media_type, VG_MT_DOCKER_MANIFEST);
    cr_assert_str_eq(m->config.media_type, VG_MT_DOCKER_CONFIG);
    cr_assert_eq(m->nlayers, 1);
    cr_assert_str_eq(m->layers[0].media_type, VG_MT_DOCKER_LAYER);
    vg_oci_manifest_free(m);
}

Test(oci_manifest, oci_index_with_platforms)
{
    struct vg_err *err = NULL;
    struct vg_oci_manifest *m = parse_file("oci-index.json", NULL, &err);
    cr_assert_not_null(m);
    cr_assert(m->is_index);
    cr_assert_eq(m->nmanifests, 4);
    cr_assert_str_eq(m->manifests[1].platform.architecture, "arm64");
    cr_assert_str_eq(m->manifests[1].platform.variant, "v8");
    cr_assert_null(m->manifests[0].platform.variant);
    vg_oci_manifest_free(m);
}

Test(oci_manifest, docker_list_with_os_version)
{
    struct vg_err *err = NULL;
    struct vg_oci_manifest *m = parse_file("docker-list.json", NULL, &err);
    cr_assert_not_null(m);
    cr_assert(m->is_index);
    cr_assert_str_eq(m->media_type, VG_MT_DOCKER_LIST);
    cr_assert_str_eq(m->manifests[2].platform.os_version, "10.0.17763.1040");
    vg_oci_manifest_free(m);
}

Test(oci_manifest, schema1_refused_clearly)
{
    struct vg_err *err = NULL;
    cr_assert_null(parse_file("schema1.json", NULL, &err));
    cr_assert_eq(err->code, VG_E_UNSUPPORTED);
    cr_assert(strstr(err->msg, "schema 1"), "%s", err->msg);
    vg_err_free(&err);
    cr_assert_null(parse_str("{\"schemaVersion\":1}", VG_MT_DOCKER_SCHEMA1_S, &err));
    cr_assert_eq(err->code, VG_E_UNSUPPORTED);
    vg_err_free(&err);
}

Test(oci_manifest, missing_media_type_uses_hint)
{
    const char *doc = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" VG_MT_DOCKER_CONFIG
                      "\",\"digest\":\"" H1 "\",\"size\":1},\"layers\":[]}";
    struct vg_err *err = NULL;
    struct vg_oci_manifest *m = parse_str(doc, VG_MT_DOCKER_MANIFEST, &err);
    cr_assert_not_null(m);
    cr_assert_str_eq(m->media_type, VG_MT_DOCKER_MANIFEST);
    vg_oci_manifest_free(m);
    /* Without a hint, the shape decides: OCI allowed omitting mediaType. */
    m = parse_str(doc, NULL, &err);
    cr_assert_not_null(m);
    cr_assert_str_eq(m->media_type, VG_MT_OCI_MANIFEST);
    vg_oci_manifest_free(m);
    m = parse_str("{\"schemaVersion\":2,\"manifests\":[]}", "application/octet-stream", &err);
    cr_assert_not_null(m);
    cr_assert(m->is_index);
    vg_oci_manifest_free(m);
}

Test(oci_manifest, hint_contradicting_document_refused)
{
    struct vg_err *err = NULL;
    cr_assert_null(parse_file("docker-manifest.json", VG_MT_OCI_MANIFEST, &err));
    cr_assert_eq(err->code, VG_E_PARSE);
    cr_assert(strstr(err->msg, "mismatch"));
    vg_err_free(&err);
}

Test(oci_manifest, unknown_media_type_unsupported)
{
    struct vg_err *err = NULL;
    cr_assert_null(
        parse_str("{\"schemaVersion\":2,\"mediaType\":\"application/x-evil\"}", NULL, &err));
    cr_assert_eq(err->code, VG_E_UNSUPPORTED);
    cr_assert(strstr(err->msg, "application/x-evil"));
    vg_err_free(&err);
}

static void
expect_parse_error(const char *doc, const char *needle)
{
    struct vg_err *err = NULL;
    struct vg_oci_manifest *m = parse_str(doc, NULL, &err);
    cr_assert_null(m, "accepted: %s", doc);
    cr_assert_not_null(err);
    char *msg = vg_err_format(err);
    cr_assert(strstr(msg, needle), "'%s' not in '%s'", needle, msg);
    cr_assert_null(strchr(msg, '\n'));
    free(msg);
    vg_err_free(&err);
}

#define CFG "{\"mediaType\":\"" VG_MT_OCI_CONFIG "\",\"digest\":\"" H1 "\",\"size\":1}"
#define MAN(cfg, layers)                                                                           \
    "{\"schemaVersion\":2,\"mediaType\":\"" VG_MT_OCI_MANIFEST "\",\"config\":" cfg                \
    ",\"layers\":" layers "}"

Test(oci_manifest, lying_or_malformed_fields)
{
    expect_parse_error(MAN(CFG, "[{\"mediaType\":\"x\",\"digest\":\"" H1 "\",\"size\":-1}]"),
                       "/layers/0/size");
    expect_parse_error(MAN(CFG, "[{\"mediaType\":\"x\",\"digest\":\"" H1 "\",\"size\":\"5\"}]"),
                       "/layers/0/size");
    expect_parse_error(MAN(CFG, "[{\"mediaType\":\"x\",\"digest\":\"sha256:abc\",\"size\":1}]"),
                       "/layers/0/digest");
    expect_parse_error(MAN(CFG, "[{\"digest\":\"" H1 "\",\"size\":1}]"), "/layers/0/mediaType");
    expect_parse_error(MAN(CFG, "{}"), "/layers");
    expect_parse_error(MAN("[]", "[]"), "/config");
    expect_parse_error("{\"schemaVersion\":3,\"mediaType\":\"" VG_MT_OCI_MANIFEST
                       "\",\"config\":" CFG ",\"layers\":[]}",
                       "schemaVersion");
    expect_parse_error("{\"schemaVersion\":2,\"mediaType\":\"" VG_MT_OCI_MANIFEST
                       "\",\"config\":" CFG ",\"layers\":[],\"manifests\":[]}",
                       "claims to be a manifest");
    expect_parse_error("{\"schemaVersion\":2,\"mediaType\":\"" VG_MT_OCI_INDEX
                       "\",\"manifests\":[],\"layers\":[]}",
                       "claims to be an index");
    expect_parse_error("{\"schemaVersion\":2,\"mediaType\":\"" VG_MT_OCI_INDEX
                       "\",\"manifests\":[{\"mediaType\":\"" VG_MT_OCI_MANIFEST
                       "\",\"digest\":\"" H1 "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}]}",
                       "os and architecture");
    expect_parse_error("[1,2]", "not a JSON object");
    expect_parse_error("{\"a\":1,\"a\":2}", "invalid JSON");
    expect_parse_error("{", "invalid JSON");
    expect_parse_error(MAN(CFG, "[]") "trailing", "invalid JSON");
    expect_parse_error("{\"schemaVersion\":2}", "neither a manifest nor an index");
}

Test(oci_manifest, layer_count_limit)
{
    struct vg_buf b = VG_BUF_INIT(64u << 20);
    cr_assert_eq(
        vg_buf_append_str(&b, "{\"schemaVersion\":2,\"config\":" CFG ",\"layers\":[", NULL), 0);
    for (unsigned i = 0; i <= VG_LIMIT_LAYERS; i++) {
        cr_assert_eq(vg_buf_appendf(&b, NULL,
                                    "%s{\"mediaType\":\"x\",\"digest\":\"" H1 "\",\"size\":1}",
                                    i ? "," : ""),
                     0);
    }
    cr_assert_eq(vg_buf_append_str(&b, "]}", NULL), 0);
    struct vg_err *err = NULL;
    struct vg_oci_manifest *m = NULL;
    cr_assert_lt(vg_oci_manifest_parse(&m, b.data, b.len, NULL, &err), 0);
    cr_assert_eq(err->code, VG_E_LIMIT);
    vg_err_free(&err);
    vg_buf_dispose(&b);
}

Test(oci_manifest, oversize_document_is_limit_error)
{
    size_t n = VG_LIMIT_MANIFEST_BYTES + 1;
    char *big = vg_malloc(n);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    struct vg_err *err = NULL;
    struct vg_oci_manifest *m = NULL;
    cr_assert_lt(vg_oci_manifest_parse(&m, big, n, NULL, &err), 0);
    cr_assert_eq(err->code, VG_E_LIMIT);
    vg_err_free(&err);
    free(big);
}

Test(oci_manifest, deep_nesting_is_an_error_not_a_crash)
{
    size_t depth = 100000;
    char *s = vg_malloc(2 * depth + 1);
    memset(s, '[', depth);
    memset(s + depth, ']', depth);
    s[2 * depth] = '\0';
    struct vg_err *err = NULL;
    cr_assert_null(parse_str(s, NULL, &err));
    cr_assert_eq(err->code, VG_E_PARSE);
    vg_err_free(&err);
    free(s);
}
