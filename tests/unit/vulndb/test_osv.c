/* SPDX-License-Identifier: Apache-2.0
 *
 * OSV record parsing and validation, the stored range encoding, and Alpine secdb quirks.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "vulndb/vulndb_int.h"

static json_t *
load(const char *text)
{
    json_t *j = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_json_parse(&j, text, strlen(text), 1u << 20, "test", &err), 0);
    return j;
}

static json_t *
load_file(const char *rel)
{
    vg_autofree char *path = vg_fmt("%s/%s", VG_TEST_DATA, rel);
    vg_autobuf struct vg_buf b = VG_BUF_INIT(1u << 20);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_file_read(&b, path, 1u << 20, &err), 0, "%s", path);
    json_t *j = NULL;
    cr_assert_eq(vg_json_parse(&j, b.data, b.len, 1u << 20, path, &err), 0);
    return j;
}

static char *
parse_fails(const char *text)
{
    vg_autojson json_t *j = load(text);
    struct osv_record r;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_osv_record_parse(&r, j, &err), 0, "accepted %s", text);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    char *m = vg_err_format(err);
    vg_err_free(&err);
    return m;
}

Test(vulndb_osv, parses_ghsa_fixture)
{
    vg_autojson json_t *j = load_file("osv/GHSA-vgtt-0001-0001.json");
    struct osv_record r;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_osv_record_parse(&r, j, &err), 0);
    cr_assert_str_eq(r.id, "GHSA-vgtt-0001-0001");
    cr_assert_eq(r.n_aliases, 1);
    cr_assert_str_eq(r.aliases[0], "CVE-2099-0001");
    /* v3.1 is preferred over v4.0; the vector's rating wins over database_specific */
    cr_assert_eq(r.cvss_version, VG_CVSS_V31);
    cr_assert_float_eq(r.cvss_score, 9.8, 1e-9);
    cr_assert_eq(r.severity, VG_SEV_CRITICAL);
    cr_assert_str_eq(r.severity_source, "CVSS_V3");
    cr_assert_eq(r.n_affected, 2);
    cr_assert_str_eq(r.affected[0].ecosystem, "npm");
    cr_assert_str_eq(r.affected[0].name, "left-pad");
    cr_assert_eq(r.affected[0].n_ranges, 1);
    cr_assert_eq(r.affected[0].ranges[0].type, VG_RANGE_SEMVER);
    cr_assert_eq(r.affected[0].ranges[0].n_events, 2);
    cr_assert_eq(r.affected[0].ranges[0].events[1].kind, VG_EV_FIXED);
    cr_assert_str_eq(r.affected[0].ranges[0].events[1].version, "1.3.0");
    cr_assert_str_eq(r.affected[0].db_specific, "{\"source\":\"fixture\"}");
    cr_assert_null(r.affected[1].db_specific);
    cr_assert_str_eq((const char *)r.refs.data,
                     "ADVISORY https://nvd.nist.gov/vuln/detail/CVE-2099-0001\n"
                     "PACKAGE https://github.com/example/left-pad\n");
    cr_assert_not(r.withdrawn);
    vg_osv_record_dispose(&r);
}

Test(vulndb_osv, pypi_names_git_ranges_versions_and_db_severity)
{
    vg_autojson json_t *j = load_file("osv/PYSEC-2099-1.json");
    struct osv_record r;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_osv_record_parse(&r, j, &err), 0);
    cr_assert_str_eq(r.affected[0].name, "foo-bar-baz"); /* PEP 503 */
    cr_assert_eq(r.affected[0].n_ranges, 1);             /* GIT range dropped */
    cr_assert_eq(r.affected[0].n_versions, 5);
    cr_assert_eq(r.severity, VG_SEV_MEDIUM); /* "MODERATE" */
    cr_assert_str_eq(r.severity_source, "database_specific");
    cr_assert_eq(r.cvss_version, 0);
    vg_osv_record_dispose(&r);
}

Test(vulndb_osv, upstream_and_withdrawn)
{
    vg_autojson json_t *a = load_file("osv/DEBIAN-CVE-2099-0001.json");
    vg_autojson json_t *b = load_file("osv/GO-2099-0002.json");
    struct osv_record r;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_osv_record_parse(&r, a, &err), 0);
    cr_assert_eq(r.n_aliases, 1);
    cr_assert_str_eq(r.aliases[0], "CVE-2099-0001"); /* upstream ids join the alias keys */
    cr_assert_eq(r.severity, VG_SEV_UNKNOWN);
    vg_osv_record_dispose(&r);
    cr_assert_eq(vg_osv_record_parse(&r, b, &err), 0);
    cr_assert(r.withdrawn);
    vg_osv_record_dispose(&r);
}

Test(vulndb_osv, rejects_bad_records_naming_the_place)
{
    vg_autofree char *m1 = parse_fails(
        "{\"id\":\"X-1\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},"
        "\"ranges\":[{\"type\":\"WEIRD\",\"events\":[{\"introduced\":\"0\"}]}]}]}");
    cr_assert(strstr(m1, "unknown range type 'WEIRD'"), "%s", m1);
    cr_assert(strstr(m1, "affected[0].ranges[0]"), "%s", m1);
    vg_autofree char *m3 =
        parse_fails("{\"id\":\"X-3\",\"affected\":[{\"package\":{\"ecosystem\":"
                    "\"npm\",\"name\":\"a\"},\"ranges\":[{\"type\":\"SEMVER\","
                    "\"events\":[{\"introduced\":\"0\",\"fixed\":\"1.0.0\"}]}]}]}");
    cr_assert(strstr(m3, "one key"), "%s", m3);
    vg_autofree char *m4 = parse_fails("{\"summary\":\"no id\"}");
    vg_autofree char *m5 = parse_fails("{\"id\":\"has space\"}");
    vg_autofree char *m6 = parse_fails("{\"id\":\"X-6\",\"aliases\":\"CVE-1\"}");
    vg_autofree char *m7 = parse_fails("{\"id\":\"X-7\",\"summary\":42}");
    vg_autofree char *m8 = parse_fails(
        "{\"id\":\"X-8\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},"
        "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[]}]}]}");
    vg_autofree char *m9 = parse_fails(
        "{\"id\":\"X-9\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},"
        "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"fixed\":\"1.0\\n0\"}]}]}]}");
    vg_autofree char *m10 = parse_fails("[1,2,3]");
    const char *rest[] = {m4, m5, m6, m7, m8, m9, m10};
    for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
        cr_assert(rest[i] && rest[i][0], "record %zu failed without a message", i + 4);
    }
}

Test(vulndb_osv, bad_cvss_vector_is_not_fatal)
{
    vg_autojson json_t *j = load("{\"id\":\"X-1\",\"severity\":[{\"type\":\"CVSS_V3\","
                                 "\"score\":\"CVSS:3.1/AV:Q\"}],"
                                 "\"database_specific\":{\"severity\":\"LOW\"}}");
    struct osv_record r;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_osv_record_parse(&r, j, &err), 0);
    cr_assert_eq(r.severity, VG_SEV_LOW);
    cr_assert_eq(r.cvss_version, 0);
    vg_osv_record_dispose(&r);
}

Test(vulndb_osv, range_encoding_roundtrip)
{
    vg_autojson json_t *j = load_file("osv/PYSEC-2099-1.json");
    struct osv_record r;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_osv_record_parse(&r, j, &err), 0);
    vg_autobuf struct vg_buf b = VG_BUF_INIT(1u << 16);
    cr_assert_eq(vg_vulndb_ranges_encode(&b, r.affected[0].ranges, r.affected[0].n_ranges, &err),
                 0);
    cr_assert_str_eq((const char *)b.data, "R ECOSYSTEM\ni 1.0\nf 1.5\ni 2.0\nl 2.3\n");
    struct vg_vulndb_advisory adv = {0};
    cr_assert(vg_vulndb_ranges_decode(&adv, (const char *)b.data, b.len));
    cr_assert_eq(adv.n_ranges, 1);
    cr_assert_eq(adv.ranges[0].n_events, 4);
    cr_assert_eq(adv.ranges[0].events[3].kind, VG_EV_LAST_AFFECTED);
    cr_assert_str_eq(adv.ranges[0].events[3].version, "2.3");
    struct vg_vulndb_result res = {.items = vg_memdup(&adv, sizeof(adv)), .n = 1};
    vg_vulndb_result_dispose(&res);
    vg_osv_record_dispose(&r);

    struct vg_vulndb_advisory bad = {0};
    cr_assert_not(vg_vulndb_ranges_decode(&bad, "i 0\n", 4)); /* event before any range */
    cr_assert_not(vg_vulndb_ranges_decode(&bad, "R FOO\n", 6));
    struct vg_vulndb_result res2 = {.items = vg_memdup(&bad, sizeof(bad)), .n = 1};
    vg_vulndb_result_dispose(&res2);
}

struct collected {
    char ids[32][64];
    char fixed[32][64];
    char eco[32][32];
    size_t n;
    size_t bad;
};

static int
collect_rec(struct osv_record *r, void *ctx, struct vg_err **err)
{
    (void)err;
    struct collected *c = ctx;
    cr_assert_lt(c->n, 32);
    snprintf(c->ids[c->n], 64, "%s/%s", r->affected[0].name, r->id);
    snprintf(c->fixed[c->n], 64, "%s", r->affected[0].ranges[0].events[1].version);
    snprintf(c->eco[c->n], 32, "%s", r->affected[0].ecosystem);
    c->n++;
    return 0;
}

static void
collect_bad(const char *what, const char *why, void *ctx)
{
    (void)what;
    (void)why;
    ((struct collected *)ctx)->bad++;
}

static const char *
fixed_of(struct collected *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->ids[i], id) == 0) {
            return c->fixed[i];
        }
    }
    return NULL;
}

Test(vulndb_osv, secdb_quirks)
{
    vg_autojson json_t *j = load_file("secdb/v3.19/main.json");
    cr_assert(vg_secdb_detect(j));
    struct collected c = {0};
    struct vg_err *err = NULL;
    cr_assert_eq(vg_secdb_parse(j, collect_rec, collect_bad, &c, &err), 0);
    cr_assert_str_eq(c.eco[0], "Alpine:v3.19");
    cr_assert_str_eq(fixed_of(&c, "openssl/CVE-2023-5678"), "3.1.4-r1");
    cr_assert_str_eq(fixed_of(&c, "openssl/CVE-2023-6129"), "3.1.2-r0"); /* lowest wins */
    cr_assert_str_eq(fixed_of(&c, "openssl/CVE-2099-0001"), "3.1.4-r3"); /* commentary cut */
    cr_assert_str_eq(fixed_of(&c, "openssl/CVE-2024-0727"), "3.1.5");    /* no -rN */
    cr_assert_null(fixed_of(&c, "openssl/CVE-2022-9999"));               /* "0": never affected */
    cr_assert_str_eq(fixed_of(&c, "busybox/CVE-2022-48174"), "1.36.1-r2");
    cr_assert_eq(c.n, 5);
    cr_assert_eq(c.bad, 2); /* "bad..-r1" and the nameless package */

    vg_autojson json_t *n = load_file("secdb/v3.3/community.json");
    struct collected c2 = {0};
    cr_assert_eq(vg_secdb_parse(n, collect_rec, collect_bad, &c2, &err), 0); /* packages: null */
    cr_assert_eq(c2.n, 0);

    vg_autojson json_t *o = load("{\"id\":\"GHSA-1\"}");
    cr_assert_not(vg_secdb_detect(o));
    vg_autojson json_t *p = load("{\"distroversion\":\"v3.1\",\"packages\":{}}");
    cr_assert_lt(vg_secdb_parse(p, collect_rec, collect_bad, &c2, &err), 0);
    vg_err_free(&err);
}

Test(vulndb_osv, name_normalisation)
{
    vg_autofree char *a = vg_vulndb_name_normalize("PyPI", "Foo__Bar..Baz-_x");
    cr_assert_str_eq(a, "foo-bar-baz-x");
    vg_autofree char *b = vg_vulndb_name_normalize("npm", "Foo_Bar");
    cr_assert_str_eq(b, "Foo_Bar");
}

Test(vulndb_osv, unparsable_version_drops_only_its_range)
{
    /* Two ranges and explicit versions: the range with the bad version goes, the rest stays. */
    static const char rec[] =
        "{\"id\":\"X-2\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"a\"},"
        "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
        "{\"fixed\":\"2019-09-12\"}]},{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":"
        "\"2.0\"},{\"fixed\":\"2.1\"}]}],\"versions\":[\"1.0\"]}]}";
    json_t *j = json_loads(rec, 0, NULL);
    cr_assert_not_null(j);
    struct osv_record r;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_osv_record_parse(&r, j, &err), 0);
    cr_assert_null(err);
    cr_assert_eq(r.n_affected, 1);
    cr_assert_eq(r.affected[0].n_ranges, 1);
    cr_assert_str_eq(r.affected[0].ranges[0].events[0].version, "2.0");
    cr_assert_eq(r.affected[0].n_versions, 1);
    cr_assert_eq(r.n_dropped, 1);
    cr_assert(strstr(r.dropped, "unparsable pep440 version '2019-09-12'"), "%s", r.dropped);
    cr_assert(strstr(r.dropped, "affected[0].ranges[0].events[1].fixed"), "%s", r.dropped);
    vg_osv_record_dispose(&r);
    json_decref(j);
}
