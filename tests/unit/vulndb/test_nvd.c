/* SPDX-License-Identifier: Apache-2.0
 *
 * NVD CVE API 2.0 feeds and the Debian security tracker JSON: the streaming splitter (items
 * found whatever the chunking, hostile documents rejected with the byte offset), the NVD
 * record parser (metrics per source and version, CWE ids, dates), and a database built from
 * the fixtures in tests/data/vulndb/{nvd,debian-tracker} queried per CVE.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "vulndb/vulndb_int.h"

/* ---------------------------------------------------------------- splitter */

struct items {
    char keys[16][128];
    char data[16][512];
    size_t n, bad;
};

static int
on_item(const char *key, const uint8_t *data, size_t len, void *ctx, struct vg_err **err)
{
    (void)err;
    struct items *it = ctx;
    cr_assert_lt(it->n, 16);
    cr_assert_lt(len, 512);
    snprintf(it->keys[it->n], 128, "%s", key);
    memcpy(it->data[it->n], data, len);
    it->data[it->n][len] = '\0';
    it->n++;
    return 0;
}

static void
on_bad(const char *key, const char *why, void *ctx)
{
    (void)key;
    (void)why;
    ((struct items *)ctx)->bad++;
}

/* Feeds `doc` in chunks of `chunk` bytes; returns the feed/end result. */
static int
split(struct items *it, enum vg_json_split_mode mode, const char *doc, size_t chunk,
      struct vg_err **err)
{
    memset(it, 0, sizeof(*it));
    struct vg_json_splitter s;
    vg_json_splitter_init(&s, mode, on_item, on_bad, it);
    size_t len = strlen(doc);
    int rc = 0;
    for (size_t off = 0; off < len && rc == 0; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        rc = vg_json_splitter_feed(&s, (const uint8_t *)doc + off, n, err);
    }
    if (rc == 0) {
        rc = vg_json_splitter_end(&s, err);
    }
    vg_json_splitter_dispose(&s);
    return rc;
}

static const char nvd_doc[] =
    "{\"format\":\"NVD_CVE\",\"note\":\"vulnerabilities\",\"other\":[{\"x\":1}],"
    "\"vulnerabilities\":[{\"cve\":{\"id\":\"CVE-1\",\"d\":\"a \\\" } ] { [\"}},"
    " {\"cve\":{\"id\":\"CVE-2\",\"n\":[1,{\"a\":[]}]}}],\"tail\":{\"vulnerabilities\":[{}]}}";

Test(splitter, nvd_items_any_chunking)
{
    for (size_t chunk = 1; chunk <= sizeof(nvd_doc); chunk++) {
        struct items it;
        struct vg_err *err = NULL;
        cr_assert_eq(split(&it, VG_SPLIT_NVD, nvd_doc, chunk, &err), 0, "chunk %zu: %s", chunk,
                     err ? err->msg : "");
        cr_assert_eq(it.n, 2, "chunk %zu: %zu items", chunk, it.n);
        cr_assert_str_eq(it.data[0], "{\"cve\":{\"id\":\"CVE-1\",\"d\":\"a \\\" } ] { [\"}}");
        cr_assert_str_eq(it.data[1], "{\"cve\":{\"id\":\"CVE-2\",\"n\":[1,{\"a\":[]}]}}");
        cr_assert_str_eq(it.keys[1], "vulnerabilities");
    }
}

Test(splitter, members)
{
    struct items it;
    struct vg_err *err = NULL;
    cr_assert_eq(split(&it, VG_SPLIT_MEMBERS,
                       "{\"glibc\":{\"CVE-1\":{}},\"n\":5,\"s\":\"{\",\"zlib\":{\"a\":\"}\"}}", 3,
                       &err),
                 0);
    cr_assert_eq(it.n, 2);
    cr_assert_str_eq(it.keys[0], "glibc");
    cr_assert_str_eq(it.keys[1], "zlib");
    cr_assert_str_eq(it.data[1], "{\"a\":\"}\"}");
}

Test(splitter, hostile)
{
    static const struct {
        const char *doc, *want;
    } cases[] = {
        {"[{\"cve\":{}}]", "top level is not a JSON object"},
        {"{\"vulnerabilities\":[{\"cve\":{}}", "truncated"},
        {"{\"vulnerabilities\":[{\"cve\":{]}]}", "unbalanced"},
        {"{} {}", "data after the top-level object"},
        {"", "truncated"},
        {"\"x\"", "top level is not a JSON object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct items it;
        struct vg_err *err = NULL;
        cr_assert_lt(split(&it, VG_SPLIT_NVD, cases[i].doc, 4, &err), 0, "%s", cases[i].doc);
        cr_assert(vg_err_is(err, VG_E_PARSE));
        cr_assert_not_null(strstr(err->msg, cases[i].want), "%s: %s", cases[i].doc, err->msg);
        cr_assert_not_null(strstr(err->msg, "byte "), "%s", err->msg);
        vg_err_free(&err);
    }
    /* Nesting is bounded. */
    char deep[400];
    memset(deep, '[', sizeof(deep) - 1);
    deep[0] = '{';
    deep[1] = '"';
    deep[2] = 'a';
    deep[3] = '"';
    deep[4] = ':';
    deep[sizeof(deep) - 1] = '\0';
    struct items it;
    struct vg_err *err = NULL;
    cr_assert_lt(split(&it, VG_SPLIT_NVD, deep, 64, &err), 0);
    cr_assert_not_null(strstr(err->msg, "nesting"));
    vg_err_free(&err);
}

Test(splitter, oversized_item_is_skipped)
{
    size_t big = VG_LIMIT_OSV_RECORD_BYTES + 10;
    char *doc = vg_malloc(big + 64);
    size_t n = (size_t)snprintf(doc, big + 64, "{\"vulnerabilities\":[{\"s\":\"");
    memset(doc + n, 'a', big);
    n += big;
    n += (size_t)snprintf(doc + n, big + 64 - n, "\"},{\"cve\":1}]}");
    struct items it;
    struct vg_err *err = NULL;
    cr_assert_eq(split(&it, VG_SPLIT_NVD, doc, 1u << 20, &err), 0);
    cr_assert_eq(it.bad, 1);
    cr_assert_eq(it.n, 1);
    cr_assert_str_eq(it.data[0], "{\"cve\":1}");
    free(doc);
}

/* ---------------------------------------------------------------- NVD record */

Test(nvd, parse_record)
{
    json_error_t je;
    vg_autojson json_t *j = json_loads(
        "{\"cve\":{\"id\":\"CVE-2024-1\",\"published\":\"2024-01-01T00:00:00.000\","
        "\"lastModified\":\"2024-02-01T00:00:00.000\",\"vulnStatus\":\"Modified\","
        "\"descriptions\":[{\"lang\":\"fr\",\"value\":\"non\"},{\"lang\":\"en\",\"value\":\"yes\"}]"
        ","
        "\"metrics\":{\"cvssMetricV2\":[{\"source\":\"nvd@nist.gov\",\"type\":\"Primary\","
        "\"cvssData\":{\"version\":\"2.0\",\"vectorString\":\"AV:N/AC:L/Au:N/C:P/I:P/A:P\","
        "\"baseScore\":7.5},\"baseSeverity\":\"HIGH\"}],"
        "\"cvssMetricV30\":[{\"source\":\"cna@x\",\"cvssData\":{\"version\":\"3.0\","
        "\"vectorString\":\"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N\"}}]},"
        "\"weaknesses\":[{\"description\":[{\"value\":\"CWE-20\"},{\"value\":\"CWE-20\"}]}]}}",
        0, &je);
    cr_assert_not_null(j);
    struct nvd_cve c;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_nvd_cve_parse(&c, j, &err), 0);
    cr_assert_str_eq(c.id, "CVE-2024-1");
    cr_assert_str_eq(c.description, "yes");
    cr_assert_str_eq(c.last_modified, "2024-02-01T00:00:00.000");
    cr_assert_eq(c.n_cwes, 1);
    cr_assert_eq(c.n_metrics, 2);
    cr_assert(c.metrics[0].primary);
    cr_assert_eq(c.metrics[0].version, VG_CVSS_V2);
    cr_assert_eq(c.metrics[0].severity, VG_SEV_HIGH);
    /* No baseScore / baseSeverity: computed from the vector. No type: not NVD, so secondary. */
    cr_assert(!c.metrics[1].primary);
    cr_assert_eq(c.metrics[1].version, VG_CVSS_V30);
    cr_assert_float_eq(c.metrics[1].score, 7.5, 0.01);
    cr_assert_eq(c.metrics[1].severity, VG_SEV_HIGH);
    vg_nvd_cve_dispose(&c);
}

Test(nvd, parse_rejects)
{
    static const char *docs[] = {
        "{\"cve\":{\"id\":\"GHSA-1\"}}",
        "{\"cve\":{}}",
        "{\"cve\":{\"id\":\"CVE-1\",\"metrics\":{\"cvssMetricV31\":{}}}}",
        "{\"cve\":{\"id\":\"CVE-1\",\"metrics\":{\"cvssMetricV31\":[{\"cvssData\":{}}]}}}",
        "{\"cve\":{\"id\":\"CVE-1\",\"metrics\":{\"cvssMetricV31\":[{\"cvssData\":"
        "{\"vectorString\":\"CVSS:3.1/AV:N\",\"baseScore\":99}}]}}}",
        "{\"cve\":{\"id\":\"CVE-1\",\"metrics\":{\"cvssMetricV31\":[{\"cvssData\":"
        "{\"vectorString\":\"garbage\"}}]}}}",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        json_error_t je;
        vg_autojson json_t *j = json_loads(docs[i], 0, &je);
        cr_assert_not_null(j, "%s", docs[i]);
        struct nvd_cve c;
        struct vg_err *err = NULL;
        cr_assert_lt(vg_nvd_cve_parse(&c, j, &err), 0, "%s", docs[i]);
        cr_assert(vg_err_is(err, VG_E_PARSE));
        vg_err_free(&err);
    }
}

Test(debian, urgency)
{
    cr_assert_eq(vg_debian_urgency_severity("low"), VG_SEV_LOW);
    cr_assert_eq(vg_debian_urgency_severity("unimportant"), VG_SEV_LOW);
    cr_assert_eq(vg_debian_urgency_severity("medium**"), VG_SEV_MEDIUM);
    cr_assert_eq(vg_debian_urgency_severity("high*"), VG_SEV_HIGH);
    cr_assert_eq(vg_debian_urgency_severity("not yet assigned"), VG_SEV_UNKNOWN);
    cr_assert_eq(vg_debian_urgency_severity("lowish"), VG_SEV_UNKNOWN);
    cr_assert_eq(vg_debian_urgency_severity(NULL), VG_SEV_UNKNOWN);
    cr_assert_str_eq(vg_vulndb_debian_codename("12"), "bookworm");
    cr_assert_str_eq(vg_vulndb_debian_codename("11.9"), "bullseye");
    cr_assert_null(vg_vulndb_debian_codename("1"));
}

/* ---------------------------------------------------------------- database */

Test(nvd_db, build_and_query)
{
    char tmpl[] = "/tmp/vg_nvd_test.XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    vg_autofree char *db_path = vg_fmt("%s/db.sqlite", tmpl);
    vg_autofree char *nvd = vg_fmt("%s/nvd", VG_TEST_DATA);
    vg_autofree char *tracker = vg_fmt("%s/debian-tracker", VG_TEST_DATA);
    struct vg_err *err = NULL;
    struct vg_vulndb_builder *b = NULL;
    struct vg_vulndb_build_stats st;
    cr_assert_eq(vg_vulndb_builder_new(&b, db_path, &err), 0);
    cr_assert_eq(vg_vulndb_builder_add_path(b, nvd, &err), 0, "%s", err ? err->msg : "");
    cr_assert_eq(vg_vulndb_builder_add_path(b, tracker, &err), 0, "%s", err ? err->msg : "");
    cr_assert_eq(vg_vulndb_builder_commit(b, &st, &err), 0, "%s", err ? err->msg : "");
    vg_vulndb_builder_free(b);
    cr_assert_eq(st.skipped, 1); /* the record with a bad id */
    cr_assert_eq(st.duplicates, 2);

    struct vg_vulndb *db = NULL;
    cr_assert_eq(vg_vulndb_open(&db, db_path, true, &err), 0);
    struct vg_vulndb_cve c;
    cr_assert_eq(vg_vulndb_cve_get(&c, db, "CVE-2099-0001", &err), 1);
    cr_assert(c.in_nvd);
    /* The yearly record is newer than the modified feed's copy: it is kept. */
    cr_assert_str_eq(c.last_modified, "2099-02-01T08:00:00.000");
    cr_assert_str_eq(c.published, "2099-01-10T12:15:45.557");
    cr_assert_not_null(strstr(c.description, "\"quoted\" {braces}"));
    cr_assert_eq(c.n_cwes, 2);
    cr_assert_str_eq(c.cwes[0], "CWE-787");
    cr_assert_str_eq(c.cwes[1], "CWE-122");
    cr_assert_eq(c.n_cvss, 4);
    const struct vg_vulndb_cvss *v3 = vg_vulndb_cve_nvd(&c, VG_CVSS_V31);
    cr_assert_not_null(v3);
    cr_assert_str_eq(v3->vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    cr_assert_float_eq(v3->score, 9.8, 0.01);
    cr_assert_eq(vg_vulndb_cve_nvd_severity(&c), VG_SEV_CRITICAL);
    cr_assert_not_null(vg_vulndb_cve_nvd(&c, VG_CVSS_V2));
    cr_assert_null(vg_vulndb_cve_nvd(&c, VG_CVSS_V40)); /* the v4.0 metric is the CNA's */
    bool cna = false;
    for (size_t i = 0; i < c.n_cvss; i++) {
        cna |= strcmp(c.cvss[i].source, "cna@example.org") == 0 &&
               c.cvss[i].version == VG_CVSS_V40 && !c.cvss[i].primary;
    }
    cr_assert(cna);
    /* Debian: bookworm says low, bullseye high (the '**' hint ignored). */
    cr_assert_eq(vg_vulndb_cve_vendor_severity(&c, "debian", "node-left-pad", "bookworm"),
                 VG_SEV_LOW);
    cr_assert_eq(vg_vulndb_cve_vendor_severity(&c, "debian", "node-left-pad", "bullseye"),
                 VG_SEV_HIGH);
    cr_assert_eq(vg_vulndb_cve_vendor_severity(&c, "debian", "node-left-pad", "trixie"),
                 VG_SEV_HIGH);
    cr_assert_eq(vg_vulndb_cve_vendor_severity(&c, "ghsa", NULL, NULL), VG_SEV_UNKNOWN);
    vg_vulndb_cve_dispose(&c);

    /* The modified feed's newer copy replaces the yearly one, metrics included. */
    cr_assert_eq(vg_vulndb_cve_get(&c, db, "CVE-2099-0002", &err), 1);
    cr_assert_str_eq(c.status, "Analyzed");
    cr_assert_eq(vg_vulndb_cve_nvd_severity(&c), VG_SEV_MEDIUM);
    cr_assert_eq(c.n_vendors, 0); /* "not yet assigned" is not a severity */
    vg_vulndb_cve_dispose(&c);

    cr_assert_eq(vg_vulndb_cve_get(&c, db, "CVE-2099-0003", &err), 1);
    cr_assert_eq(vg_vulndb_cve_nvd_severity(&c), VG_SEV_HIGH); /* v2 only */
    cr_assert_eq(vg_vulndb_cve_vendor_severity(&c, "debian", "node-left-pad", "bookworm"),
                 VG_SEV_MEDIUM); /* another package's entry, as the last resort */
    vg_vulndb_cve_dispose(&c);

    cr_assert_eq(vg_vulndb_cve_get(&c, db, "CVE-2099-0004", &err), 1);
    cr_assert_eq(vg_vulndb_cve_nvd_severity(&c), VG_SEV_UNKNOWN); /* a CNA metric only */
    vg_vulndb_cve_dispose(&c);

    cr_assert_eq(vg_vulndb_cve_get(&c, db, "CVE-2099-9999", &err), 0);
    cr_assert(!c.in_nvd);
    vg_vulndb_cve_dispose(&c);
    vg_vulndb_close(db);
    unlink(db_path);
    rmdir(tmpl);
}

Test(nvd_db, damaged_feed)
{
    char tmpl[] = "/tmp/vg_nvd_test.XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    vg_autofree char *db_path = vg_fmt("%s/db.sqlite", tmpl);
    vg_autofree char *feed = vg_fmt("%s/nvdcve-2.0-2001.json.gz", tmpl);
    FILE *f = fopen(feed, "wb");
    cr_assert_not_null(f);
    /* A gzip header followed by garbage. */
    fwrite("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage-garbage", 1, 25, f);
    fclose(f);
    struct vg_err *err = NULL;
    struct vg_vulndb_builder *b = NULL;
    cr_assert_eq(vg_vulndb_builder_new(&b, db_path, &err), 0);
    cr_assert_lt(vg_vulndb_builder_add_nvd(b, feed, NULL, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE), "%s", err->msg);
    cr_assert_not_null(strstr(err->msg, "nvdcve-2.0-2001.json.gz"), "%s", err->msg);
    vg_err_free(&err);
    /* Through add_path the damaged file is counted as skipped, not fatal. */
    cr_assert_eq(vg_vulndb_builder_add_path(b, feed, &err), 0);
    cr_assert_eq(vg_vulndb_builder_stats(b)->skipped, 1);
    vg_vulndb_builder_free(b);
    unlink(feed);
    rmdir(tmpl);
}
