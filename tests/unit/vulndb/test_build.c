/* SPDX-License-Identifier: Apache-2.0
 *
 * Building, publishing and querying databases: fixtures end to end, range evaluation with
 * fixed versions, alias severity resolution, withdrawn records, duplicates, hostile inputs
 * (broken zips, oversized records) and the guarantee that a failed build leaves the published
 * database untouched.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "vulndb/vulndb.h"

static char *
tmpdir(void)
{
    char tmpl[] = "/tmp/vg_vulndb_test.XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    return vg_strdup(tmpl);
}

static char *
data(const char *rel)
{
    return vg_fmt("%s/%s", VG_TEST_DATA, rel);
}

static void
build_from(const char *db, const char *const *paths, size_t n, struct vg_vulndb_build_stats *st)
{
    struct vg_err *err = NULL;
    struct vg_vulndb_builder *b = NULL;
    cr_assert_eq(vg_vulndb_builder_new(&b, db, &err), 0);
    for (size_t i = 0; i < n; i++) {
        vg_autofree char *p = data(paths[i]);
        cr_assert_eq(vg_vulndb_builder_add_path(b, p, &err), 0, "%s: %s", p,
                     err && err->msg ? err->msg : "");
    }
    cr_assert_eq(vg_vulndb_builder_commit(b, st, &err), 0, "%s", err && err->msg ? err->msg : "");
    vg_vulndb_builder_free(b);
}

static const struct vg_vulndb_advisory *
find(const struct vg_vulndb_result *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->items[i].id, id) == 0) {
            return &r->items[i];
        }
    }
    return NULL;
}

static void
affects(const struct vg_vulndb_advisory *a, const char *v, bool want, const char *want_fixed)
{
    const char *fixed = "unset";
    bool got = vg_vulndb_advisory_affects(a, 0, v, &fixed);
    cr_assert_eq(got, want, "%s @ %s: affected=%d", a->id, v, got);
    if (want && want_fixed) {
        cr_assert_not_null(fixed, "%s @ %s: no fixed version", a->id, v);
        cr_assert_str_eq(fixed, want_fixed, "%s @ %s", a->id, v);
    } else if (want) {
        cr_assert_null(fixed, "%s @ %s: fixed %s", a->id, v, fixed);
    }
}

static int
count_files(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        n += de->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

struct fx {
    char *dir, *db;
    struct vg_vulndb *h;
};

static struct fx
fixture_db(void)
{
    struct fx f = {.dir = tmpdir()};
    f.db = vg_fmt("%s/sub/vulndb.sqlite", f.dir);
    static const char *const paths[] = {"osv", "bad", "secdb"};
    struct vg_vulndb_build_stats st;
    build_from(f.db, paths, 3, &st);
    cr_assert_eq(st.records, 12); /* BAD-3 is kept without its unparsable range */
    cr_assert_eq(st.skipped, 5);  /* 3 bad OSV files, 2 bad secdb entries */
    cr_assert_eq(st.ranges_dropped, 1);
    cr_assert_eq(st.inherited, 2);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_vulndb_open(&f.h, f.db, true, &err), 0);
    return f;
}

static void
fixture_free(struct fx *f)
{
    vg_vulndb_close(f->h);
    free(f->db);
    free(f->dir);
}

static struct vg_vulndb_result
q(struct fx *f, const char *eco, const char *name)
{
    struct vg_vulndb_result r = {0};
    struct vg_err *err = NULL;
    cr_assert_eq(vg_vulndb_query(&r, f->h, eco, name, &err), 0);
    return r;
}

Test(vulndb_build, npm_ranges_merge_and_fixed_versions)
{
    struct fx f = fixture_db();
    struct vg_vulndb_result r = q(&f, "npm", "left-pad");
    cr_assert_eq(r.n, 1); /* two affected[] entries merged into one advisory */
    const struct vg_vulndb_advisory *a = &r.items[0];
    cr_assert_eq(a->n_ranges, 2);
    cr_assert_eq(a->severity, VG_SEV_CRITICAL);
    cr_assert_eq(a->cvss_version, VG_CVSS_V31);
    cr_assert_str_eq(a->cvss_vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    cr_assert_eq(a->n_refs, 2);
    cr_assert_str_eq(a->refs[0].type, "ADVISORY");
    cr_assert_str_eq(a->published, "2024-01-01T00:00:00Z");
    cr_assert_str_eq(a->database_specific, "{\"source\":\"fixture\"}");
    affects(a, "1.2.9", true, "1.3.0");
    affects(a, "1.3.0", false, NULL);
    affects(a, "1.9.9", false, NULL);
    affects(a, "2.0.0", true, "2.1.4");
    affects(a, "2.1.4", false, NULL);
    vg_vulndb_result_dispose(&r);
    r = q(&f, "npm", "Left-Pad"); /* npm names are exact */
    cr_assert_eq(r.n, 0);
    vg_vulndb_result_dispose(&r);
    fixture_free(&f);
}

Test(vulndb_build, pypi_last_affected_and_versions_list)
{
    struct fx f = fixture_db();
    struct vg_vulndb_result r = q(&f, "PyPI", "Foo.Bar_Baz");
    cr_assert_eq(r.n, 1);
    const struct vg_vulndb_advisory *a = &r.items[0];
    cr_assert_eq(a->severity, VG_SEV_MEDIUM);
    affects(a, "0.9rc1", true, NULL); /* only in versions[] */
    affects(a, "0.9", false, NULL);
    affects(a, "1.0", true, "1.5");
    affects(a, "1.4.99", true, "1.5");
    affects(a, "1.5", false, NULL);
    affects(a, "2.0", true, NULL);
    affects(a, "2.3", true, NULL); /* last_affected is inclusive */
    affects(a, "2.3.1", false, NULL);
    vg_vulndb_result_dispose(&r);
    fixture_free(&f);
}

Test(vulndb_build, go_withdrawn_never_matches_and_cvss_v2)
{
    struct fx f = fixture_db();
    struct vg_vulndb_result r = q(&f, "Go", "example.com/mod");
    cr_assert_eq(r.n, 1);
    const struct vg_vulndb_advisory *a = find(&r, "GO-2099-0001");
    cr_assert_not_null(a);
    cr_assert_null(find(&r, "GO-2099-0002"));
    cr_assert_eq(a->cvss_version, VG_CVSS_V2);
    cr_assert_float_eq(a->cvss_score, 7.8, 1e-9);
    cr_assert_eq(a->severity, VG_SEV_HIGH);
    affects(a, "1.1.9", true, "1.2.0");
    affects(a, "v1.1.9", true, "1.2.0");
    affects(a, "1.2.0", false, NULL);
    affects(a, "1.5.1", true, "1.5.3");
    affects(a, "1.5.3", false, NULL);
    struct vg_vulndb_advisory w = *a;
    w.withdrawn = true;
    cr_assert_not(vg_vulndb_advisory_affects(&w, 0, "1.1.9", NULL));
    vg_vulndb_result_dispose(&r);
    fixture_free(&f);
}

Test(vulndb_build, severity_from_alias_and_hints)
{
    struct fx f = fixture_db();
    struct vg_vulndb_result r = q(&f, "Debian:12", "node-left-pad");
    cr_assert_eq(r.n, 2);
    const struct vg_vulndb_advisory *a = find(&r, "DEBIAN-CVE-2099-0001");
    const struct vg_vulndb_advisory *b = find(&r, "DEBIAN-CVE-2099-0002");
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    cr_assert_eq(a->severity, VG_SEV_CRITICAL);
    cr_assert_str_eq(a->severity_source, "alias GHSA-vgtt-0001-0001 (CVSS_V3)");
    cr_assert_str_eq(a->ecosystem_specific, "{\"urgency\":\"low\"}");
    affects(a, "1.3.0+dfsg-1", true, "1.3.0+dfsg-2");
    affects(a, "1.3.0+dfsg-2", false, NULL);
    cr_assert_eq(b->severity, VG_SEV_UNKNOWN);
    cr_assert_null(b->severity_source);
    cr_assert_str_eq(b->database_specific, "{\"status\":\"will_not_fix\"}");
    affects(b, "99", true, NULL);
    vg_vulndb_result_dispose(&r);
    fixture_free(&f);
}

Test(vulndb_build, alpine_secdb_pseudo_advisories)
{
    struct fx f = fixture_db();
    struct vg_vulndb_result r = q(&f, "Alpine:v3.19", "openssl");
    cr_assert_eq(r.n, 4);
    const struct vg_vulndb_advisory *a = find(&r, "CVE-2023-6129");
    affects(a, "3.1.1-r5", true, "3.1.2-r0");
    affects(a, "3.1.2-r0", false, NULL);
    const struct vg_vulndb_advisory *c = find(&r, "CVE-2099-0001");
    cr_assert_not_null(c);
    cr_assert_eq(c->severity, VG_SEV_CRITICAL); /* inherited through the CVE id */
    cr_assert_null(find(&r, "CVE-2022-9999"));
    const struct vg_vulndb_advisory *d = find(&r, "CVE-2024-0727");
    affects(d, "3.1.4-r6", true, "3.1.5");
    affects(d, "3.1.5-r0", false, NULL);
    vg_vulndb_result_dispose(&r);
    r = q(&f, "Alpine:v3.18", "openssl");
    cr_assert_eq(r.n, 0);
    vg_vulndb_result_dispose(&r);
    fixture_free(&f);
}

Test(vulndb_build, info_counts_sources_and_age)
{
    struct fx f = fixture_db();
    struct vg_vulndb_info in;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_vulndb_info_get(&in, f.h, &err), 0);
    cr_assert_eq(in.advisories, 12);
    cr_assert_eq(in.withdrawn, 1);
    cr_assert_eq(in.inherited_severity, 2);
    cr_assert_eq(in.n_ecosystems, 5);
    cr_assert_str_eq(in.ecosystems[0].ecosystem, "Alpine:v3.19");
    cr_assert_eq(in.ecosystems[0].advisories, 5);
    cr_assert_eq(in.ecosystems[0].packages, 2);
    cr_assert_str_eq(in.ecosystems[2].ecosystem, "Go");
    cr_assert_eq(in.ecosystems[2].advisories, 1); /* the withdrawn one is not counted */
    uint64_t skipped = 0, records = 0;
    for (size_t i = 0; i < in.n_sources; i++) {
        skipped += in.sources[i].skipped;
        records += in.sources[i].records;
    }
    cr_assert_eq(skipped, 5);
    cr_assert_eq(records, 12);
    int64_t now = vg_now_unix();
    int64_t built = 0;
    cr_assert_eq(vg_vulndb_built_at(f.h, &built, &err), 0);
    cr_assert_eq(built, in.built_at);
    cr_assert(in.built_at <= now && in.built_at > now - 600);
    cr_assert_not(vg_vulndb_is_stale(&in, now));
    cr_assert(vg_vulndb_is_stale(&in, now + 8 * 24 * 3600));
    vg_vulndb_info_dispose(&in);
    fixture_free(&f);
}

Test(vulndb_build, broken_zip_entry_is_skipped)
{
    vg_autofree char *dir = tmpdir();
    vg_autofree char *db = vg_fmt("%s/v.db", dir);
    static const char *const p1[] = {"zips/broken.zip"};
    struct vg_vulndb_build_stats st;
    build_from(db, p1, 1, &st);
    cr_assert_eq(st.records, 2); /* the entry after the damaged one is still read */
    cr_assert_eq(st.skipped, 1);
    static const char *const p2[] = {"zips/badcrc.zip"};
    build_from(db, p2, 1, &st);
    cr_assert_eq(st.records, 1);
    cr_assert_eq(st.skipped, 1);
}

Test(vulndb_build, failed_build_leaves_published_db_intact)
{
    vg_autofree char *dir = tmpdir();
    vg_autofree char *db = vg_fmt("%s/v.db", dir);
    static const char *const p1[] = {"zips/osv-all.zip"};
    struct vg_vulndb_build_stats st;
    build_from(db, p1, 1, &st);
    cr_assert_eq(st.records, 6);

    struct vg_err *err = NULL;
    struct vg_vulndb *old = NULL;
    cr_assert_eq(vg_vulndb_open(&old, db, true, &err), 0);

    struct vg_vulndb_builder *b = NULL;
    cr_assert_eq(vg_vulndb_builder_new(&b, db, &err), 0);
    vg_autofree char *good = data("osv");
    vg_autofree char *garbage = data("zips/garbage.zip");
    cr_assert_eq(vg_vulndb_builder_add_path(b, good, &err), 0);
    cr_assert_lt(vg_vulndb_builder_add_path(b, garbage, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
    vg_vulndb_builder_free(b);
    cr_assert_eq(count_files(dir), 1, "temporary file left behind");

    /* the published file is the old one, byte for byte usable */
    struct vg_vulndb *h = NULL;
    cr_assert_eq(vg_vulndb_open(&h, db, true, &err), 0);
    struct vg_vulndb_result r = {0};
    cr_assert_eq(vg_vulndb_query(&r, h, "npm", "left-pad", &err), 0);
    cr_assert_eq(r.n, 1);
    vg_vulndb_result_dispose(&r);
    vg_vulndb_close(h);

    /* a successful rebuild swaps the file; an already-open reader keeps its snapshot */
    static const char *const p2[] = {"secdb"};
    build_from(db, p2, 1, &st);
    cr_assert_eq(vg_vulndb_query(&r, old, "npm", "left-pad", &err), 0);
    cr_assert_eq(r.n, 1);
    vg_vulndb_result_dispose(&r);
    vg_vulndb_close(old);
    cr_assert_eq(vg_vulndb_open(&h, db, true, &err), 0);
    cr_assert_eq(vg_vulndb_query(&r, h, "npm", "left-pad", &err), 0);
    cr_assert_eq(r.n, 0);
    vg_vulndb_result_dispose(&r);
    vg_vulndb_close(h);
}

static char *
big_record(const char *id, size_t total)
{
    const char *head_fmt = "{\"id\":\"%s\",\"details\":\"";
    const char *tail = "\"}";
    vg_autofree char *head = vg_fmt(head_fmt, id);
    size_t hl = strlen(head), tl = strlen(tail);
    cr_assert_gt(total, hl + tl);
    char *s = vg_malloc(total + 1);
    memcpy(s, head, hl);
    memset(s + hl, 'a', total - hl - tl);
    memcpy(s + total - tl, tail, tl);
    s[total] = '\0';
    return s;
}

Test(vulndb_build, record_size_limit, .timeout = 60)
{
    vg_autofree char *dir = tmpdir();
    vg_autofree char *db = vg_fmt("%s/v.db", dir);
    struct vg_err *err = NULL;
    struct vg_vulndb_builder *b = NULL;
    cr_assert_eq(vg_vulndb_builder_new(&b, db, &err), 0);
    vg_autofree char *at = big_record("BIG-1", VG_LIMIT_OSV_RECORD_BYTES);
    vg_autofree char *over = big_record("BIG-2", VG_LIMIT_OSV_RECORD_BYTES + 1);
    vg_autofree char *huge = big_record("BIG-3", 50u * 1024u * 1024u);
    cr_assert_eq(vg_vulndb_builder_add_json(b, "t", at, strlen(at), &err), 0);
    cr_assert_eq(vg_vulndb_builder_add_json(b, "t", over, strlen(over), &err), 0);
    cr_assert_eq(vg_vulndb_builder_add_json(b, "t", huge, strlen(huge), &err), 0);
    cr_assert_eq(vg_vulndb_builder_stats(b)->records, 1);
    cr_assert_eq(vg_vulndb_builder_stats(b)->skipped, 2);
    struct vg_vulndb_build_stats st;
    cr_assert_eq(vg_vulndb_builder_commit(b, &st, &err), 0);
    vg_vulndb_builder_free(b);
}

Test(vulndb_build, newest_duplicate_wins)
{
    vg_autofree char *dir = tmpdir();
    vg_autofree char *db = vg_fmt("%s/v.db", dir);
    struct vg_err *err = NULL;
    struct vg_vulndb_builder *b = NULL;
    cr_assert_eq(vg_vulndb_builder_new(&b, db, &err), 0);
    static const char *const recs[] = {
        "{\"id\":\"D-1\",\"modified\":\"2024-01-01T00:00:00Z\",\"summary\":\"old\","
        "\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},\"versions\":[\"1.0.0\"]"
        "}]}",
        "{\"id\":\"D-1\",\"modified\":\"2024-06-01T00:00:00Z\",\"summary\":\"new\","
        "\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"b\"},\"versions\":[\"2.0.0\"]"
        "}]}",
        "{\"id\":\"D-1\",\"modified\":\"2024-03-01T00:00:00Z\",\"summary\":\"middle\","
        "\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"c\"},\"versions\":[\"3.0.0\"]"
        "}]}",
    };
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(vg_vulndb_builder_add_json(b, "t", recs[i], strlen(recs[i]), &err), 0);
    }
    struct vg_vulndb_build_stats st;
    cr_assert_eq(vg_vulndb_builder_commit(b, &st, &err), 0);
    vg_vulndb_builder_free(b);
    cr_assert_eq(st.duplicates, 2);
    struct vg_vulndb *h = NULL;
    cr_assert_eq(vg_vulndb_open(&h, db, true, &err), 0);
    struct vg_vulndb_result r = {0};
    cr_assert_eq(vg_vulndb_query(&r, h, "npm", "b", &err), 0);
    cr_assert_eq(r.n, 1);
    cr_assert_str_eq(r.items[0].summary, "new");
    vg_vulndb_result_dispose(&r);
    cr_assert_eq(vg_vulndb_query(&r, h, "npm", "a", &err), 0);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(vg_vulndb_query(&r, h, "npm", "c", &err), 0);
    cr_assert_eq(r.n, 0);
    vg_vulndb_close(h);
}

Test(vulndb_build, open_errors)
{
    struct vg_err *err = NULL;
    struct vg_vulndb *h = NULL;
    cr_assert_lt(vg_vulndb_open(&h, "/nonexistent/vulndb.sqlite", true, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
    vg_autofree char *p = data("osv/GO-2099-0001.json");
    cr_assert_lt(vg_vulndb_open(&h, p, true, &err), 0);
    vg_err_free(&err);
}

Test(vulndb_build, path_resolution)
{
    setenv("XDG_CACHE_HOME", "/tmp/xdg-test", 1);
    unsetenv("VIGIL_DB");
    vg_autofree char *a = vg_vulndb_path_resolve(NULL);
    cr_assert_str_eq(a, "/tmp/xdg-test/vigil/db/vulndb.sqlite");
    setenv("VIGIL_DB", "/tmp/env.db", 1);
    vg_autofree char *b = vg_vulndb_path_resolve(NULL);
    cr_assert_str_eq(b, "/tmp/env.db");
    vg_autofree char *c = vg_vulndb_path_resolve("/tmp/flag.db");
    cr_assert_str_eq(c, "/tmp/flag.db");
    unsetenv("VIGIL_DB");
}

/* The version-filtered query returns exactly the advisories that the full query plus
 * vg_vulndb_advisory_affects would. */
Test(vulndb_build, query_affecting_matches_full_query)
{
    struct fx f = fixture_db();
    static const char *const cases[][3] = {
        {"npm", "left-pad", "1.0.0"},
        {"npm", "left-pad", "1.3.0"},
        {"npm", "left-pad", "2.0.5"},
        {"PyPI", "foo_bar.baz", "2.3"},
        {"PyPI", "foo-bar-baz", "0.9rc1"},
        {"PyPI", "foo-bar-baz", "3.0"},
        {"Go", "example.com/mod", "1.5.0"},
        {"Go", "example.com/mod", "1.2.0"},
        {"Debian:12", "node-left-pad", "1.0"},
        {"Alpine:v3.19", "openssl", "3.1.4-r2"},
        {"Alpine:v3.19", "openssl", "9.9.9-r0"},
        {"npm", "absent", "1.0.0"},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        struct vg_vulndb_result all = q(&f, cases[i][0], cases[i][1]);
        struct vg_vulndb_result aff = {0};
        struct vg_err *err = NULL;
        cr_assert_eq(
            vg_vulndb_query_affecting(&aff, f.h, cases[i][0], cases[i][1], 0, cases[i][2], &err),
            0);
        size_t want = 0;
        for (size_t j = 0; j < all.n; j++) {
            if (vg_vulndb_advisory_affects(&all.items[j], 0, cases[i][2], NULL)) {
                cr_assert_not_null(find(&aff, all.items[j].id), "%s %s %s: missing %s", cases[i][0],
                                   cases[i][1], cases[i][2], all.items[j].id);
                want++;
            }
        }
        cr_assert_eq(aff.n, want, "%s %s %s", cases[i][0], cases[i][1], cases[i][2]);
        for (size_t j = 0; j < aff.n; j++) {
            cr_assert_not_null(aff.items[j].id);
            cr_assert_not_null(aff.items[j].source); /* full rows, not just ranges */
        }
        vg_vulndb_result_dispose(&all);
        vg_vulndb_result_dispose(&aff);
    }
    fixture_free(&f);
}
