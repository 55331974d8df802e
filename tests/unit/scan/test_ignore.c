/* SPDX-License-Identifier: Apache-2.0
 *
 * .vigilignore / .trivyignore parsing and OpenVEX lookups.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan/scan.h"

#define DAY 86400
/* 2024-03-01T00:00:00Z */
#define T_2024_03_01 1709251200

static struct vg_ignore
parse_ok(const char *s)
{
    struct vg_ignore ig;
    struct vg_err *err = NULL;
    int rc = vg_ignore_parse(&ig, s, strlen(s), &err);
    if (rc < 0) {
        char *m = vg_err_format(err);
        cr_log_error("%s", m);
        free(m);
    }
    cr_assert_eq(rc, 0);
    vg_err_free(&err);
    return ig;
}

Test(scan_ignore, trivyignore_compatible)
{
    struct vg_ignore ig = parse_ok("# comment\n\nCVE-2021-1234\r\n  GHSA-aaaa-bbbb-cccc  # why\n"
                                   "aws-access-key-id\nAVD-DS-0002");
    cr_assert_eq(ig.len, 4);
    cr_expect_str_eq(ig.items[1].id, "GHSA-aaaa-bbbb-cccc");
    cr_expect_eq(ig.items[1].line, 4);
    cr_expect(vg_ignore_match(&ig, "CVE-2021-1234", "openssl", T_2024_03_01));
    cr_expect(vg_ignore_match(&ig, "AVD-DS-0002", NULL, T_2024_03_01));
    cr_expect(!vg_ignore_match(&ig, "CVE-2021-12345", NULL, T_2024_03_01));
    vg_ignore_dispose(&ig);
}

Test(scan_ignore, pkg_and_expiry)
{
    struct vg_ignore ig = parse_ok("CVE-1 pkg:openssl exp:2024-02-29\nCVE-2 exp:2024-03-01\n");
    cr_assert_eq(ig.len, 2);
    cr_expect(!vg_ignore_match(&ig, "CVE-1", "libssl3", T_2024_03_01 - 1));
    cr_expect(!vg_ignore_match(&ig, "CVE-1", NULL, T_2024_03_01 - 1));
    cr_expect(vg_ignore_match(&ig, "CVE-1", "openssl", T_2024_03_01 - 1), "last second of the day");
    cr_expect(!vg_ignore_match(&ig, "CVE-1", "openssl", T_2024_03_01), "expired at midnight");
    cr_expect(vg_ignore_match(&ig, "CVE-2", "x", T_2024_03_01 + DAY - 1));
    cr_expect(!vg_ignore_match(&ig, "CVE-2", "x", T_2024_03_01 + DAY));
    vg_ignore_dispose(&ig);
}

Test(scan_ignore, bad_syntax_names_line)
{
    struct {
        const char *s;
        const char *want;
    } cases[] = {
        {"CVE-1\nCVE-2 foo\n", "line 2: unknown field"},
        {"CVE-1 exp:2024-02-30\n", "line 1: exp:"},
        {"CVE-1 exp:2023-13-01\n", "line 1: exp:"},
        {"\n\nCVE-1 exp:24-01-01\n", "line 3: exp:"},
        {"CVE-1 pkg:a pkg:b\n", "line 1: duplicate pkg:"},
        {"CVE-1 pkg:\n", "line 1: empty pkg:"},
        {"CVE-1 exp:2024-01-01 exp:2024-01-02\n", "duplicate exp:"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vg_ignore ig;
        struct vg_err *err = NULL;
        cr_expect_lt(vg_ignore_parse(&ig, cases[i].s, strlen(cases[i].s), &err), 0, "case %zu", i);
        cr_expect(vg_err_is(err, VG_E_PARSE));
        char *m = vg_err_format(err);
        cr_expect_not_null(strstr(m, cases[i].want), "case %zu: %s", i, m);
        free(m);
        vg_err_free(&err);
    }
}

Test(scan_ignore, line_length_limit)
{
    size_t n = VG_IGNORE_MAX_LINE;
    char *s = malloc(n + 3);
    memset(s, 'A', n + 1);
    s[n] = '\n';
    s[n + 1] = '\0';
    struct vg_ignore ig;
    struct vg_err *err = NULL;
    /* an ID of the maximum line length fails as an ID, not as a line */
    cr_expect_lt(vg_ignore_parse(&ig, s, n + 1, &err), 0);
    cr_expect(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
    memset(s, 'A', n + 1);
    s[n + 1] = '\n';
    cr_expect_lt(vg_ignore_parse(&ig, s, n + 2, &err), 0);
    cr_expect(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
    free(s);
}

static const char *vexdoc =
    "{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"@id\":\"x\",\"author\":\"me\","
    "\"timestamp\":\"2024-01-01T00:00:00Z\",\"version\":1,\"statements\":["
    "{\"vulnerability\":{\"name\":\"CVE-2023-1\",\"aliases\":[\"GHSA-1111\"]},"
    " \"products\":[{\"@id\":\"pkg:oci/app?repository_url=ghcr.io/x/app\","
    "   \"subcomponents\":[{\"@id\":\"pkg:deb/debian/openssl\"}]}],"
    " \"status\":\"not_affected\",\"justification\":\"vulnerable_code_not_in_execute_path\"},"
    "{\"vulnerability\":{\"name\":\"CVE-2023-2\"},"
    " \"products\":[{\"@id\":\"pkg:npm/lodash@4.17.20\"}],\"status\":\"fixed\"},"
    "{\"vulnerability\":{\"name\":\"CVE-2023-3\"},"
    " \"products\":[{\"@id\":\"pkg:pypi/requests\"}],\"status\":\"not_affected\","
    " \"justification\":\"component_not_present\"},"
    "{\"vulnerability\":{\"name\":\"CVE-2023-3\"},"
    " \"products\":[{\"@id\":\"pkg:pypi/requests\"}],\"status\":\"affected\"},"
    "{\"vulnerability\":\"CVE-2023-4\",\"products\":[\"pkg:golang/x/y?goos=linux\"],"
    " \"status\":\"not_affected\",\"impact_statement\":\"not reachable\"}"
    "]}";

Test(scan_ignore, vex_lookup)
{
    struct vg_err *err = NULL;
    struct vg_vex *v = vg_vex_parse(vexdoc, strlen(vexdoc), &err);
    cr_assert_not_null(v);
    cr_expect_eq(vg_vex_statement_count(v), 5);
    const struct vg_vex_subject app = {.repository = "ghcr.io/x/app", .tag = "1"};
    const char *j = NULL;
    cr_expect(vg_vex_suppresses(v, &app, "CVE-2023-1", NULL,
                                "pkg:deb/debian/openssl@3.0.11-1?arch=amd64", &j));
    cr_expect_str_eq(j, "vulnerable_code_not_in_execute_path");
    const char *aliases[] = {"GHSA-1111", NULL};
    cr_expect(vg_vex_suppresses(v, &app, "CVE-XXXX", aliases, "pkg:deb/debian/openssl@1", &j),
              "matched through an alias");
    cr_expect(!vg_vex_suppresses(v, &app, "CVE-2023-1", NULL, "pkg:deb/debian/openssl-dev@1", &j));
    cr_expect(vg_vex_suppresses(v, &app, "CVE-2023-2", NULL, "pkg:npm/lodash@4.17.20", &j));
    cr_expect_str_eq(j, "fixed");
    cr_expect(!vg_vex_suppresses(v, &app, "CVE-2023-2", NULL, "pkg:npm/lodash@4.17.21", &j),
              "versioned product matches only that version");
    cr_expect(!vg_vex_suppresses(v, &app, "CVE-2023-3", NULL, "pkg:pypi/requests@2.0", &j),
              "a later affected statement overrides");
    cr_expect_null(j);
    cr_expect(vg_vex_suppresses(v, &app, "CVE-2023-4", NULL,
                                "pkg:golang/x/y@v1?goarch=amd64&goos=linux", &j));
    cr_expect_str_eq(j, "not reachable");
    cr_expect(!vg_vex_suppresses(v, &app, "CVE-2023-4", NULL, "pkg:golang/x/y@v1?goos=darwin", &j));
    vg_vex_free(v);
    vg_err_free(&err);
}

Test(scan_ignore, vex_rejects_bad_documents)
{
    const char *bad[] = {
        "{}",
        "{\"statements\":[{\"vulnerability\":{\"name\":\"C\"},\"products\":[\"p\"],\"status\":"
        "\"meh\"}]}",
        "{\"statements\":[{\"vulnerability\":{},\"products\":[\"p\"],\"status\":\"fixed\"}]}",
        "{\"statements\":[{\"vulnerability\":{\"name\":\"C\"},\"status\":\"fixed\"}]}",
        "{\"statements\":[{\"vulnerability\":{\"name\":\"C\"},\"products\":[{}],\"status\":"
        "\"fixed\"}]}",
        "{\"statements\":[1]}",
        "{\"statements\":[],\"statements\":[]}",
        "not json",
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

static void
write_file(const char *dir, const char *name, const char *text)
{
    char *p = vg_fmt("%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    free(p);
}

Test(scan_ignore, filters_load_merges_default_files)
{
    char dir[] = "/tmp/vg-ignore-XXXXXX";
    cr_assert(mkdtemp(dir));
    struct vg_scan_filters lf;
    struct vg_scan_filter_files in = {.dir = dir};
    struct vg_err *err = NULL;
    /* Neither file: nothing loaded, no error. */
    cr_assert_eq(vg_scan_filters_load(&lf, &in, &err), 0);
    cr_expect(!lf.has_ignore && !lf.vex);
    struct vg_scan_filter f = {0};
    vg_scan_filter_use(&f, &lf);
    cr_expect_null(f.ignore);
    vg_scan_filters_dispose(&lf);

    write_file(dir, ".vigilignore", "CVE-2021-1111\n");
    write_file(dir, ".trivyignore", "CVE-2021-2222 pkg:zlib\nAVD-DS-0002\n");
    cr_assert_eq(vg_scan_filters_load(&lf, &in, &err), 0);
    cr_assert(lf.has_ignore);
    cr_expect_eq(lf.ignore.len, 3);
    vg_scan_filter_use(&f, &lf);
    cr_expect(vg_ignore_match(f.ignore, "CVE-2021-1111", NULL, T_2024_03_01));
    cr_expect(vg_ignore_match(f.ignore, "CVE-2021-2222", "zlib", T_2024_03_01));
    cr_expect(!vg_ignore_match(f.ignore, "CVE-2021-2222", "openssl", T_2024_03_01));
    cr_expect(vg_ignore_match(f.ignore, "AVD-DS-0002", NULL, T_2024_03_01));
    vg_scan_filters_dispose(&lf);

    /* An explicit file is the only one read. */
    char *only = vg_fmt("%s/only", dir);
    write_file(dir, "only", "CVE-2021-3333\n");
    in.ignorefile = only;
    cr_assert_eq(vg_scan_filters_load(&lf, &in, &err), 0);
    cr_expect_eq(lf.ignore.len, 1);
    cr_expect(!vg_ignore_match(&lf.ignore, "CVE-2021-1111", NULL, T_2024_03_01));
    vg_scan_filters_dispose(&lf);
    in.ignorefile = NULL;

    /* A bad default file fails, naming the file and the line. */
    write_file(dir, ".trivyignore", "CVE-1 exp:soon\n");
    cr_assert_lt(vg_scan_filters_load(&lf, &in, &err), 0);
    char *m = vg_err_format(err);
    cr_expect(strstr(m, ".trivyignore") && strstr(m, "line 1"), "%s", m);
    free(m);
    vg_err_free(&err);
    cr_expect(!lf.has_ignore);

    /* A missing VEX document is an error too. */
    char *novex = vg_fmt("%s/absent.vex.json", dir);
    const char *vexes[] = {novex};
    struct vg_scan_filter_files in2 = {.ignorefile = only, .vex = vexes, .nvex = 1};
    cr_assert_lt(vg_scan_filters_load(&lf, &in2, &err), 0);
    vg_err_free(&err);
    free(novex);

    const char *made[] = {".vigilignore", ".trivyignore", "only"};
    for (size_t i = 0; i < VG_ARRAY_LEN(made); i++) {
        char *p = vg_fmt("%s/%s", dir, made[i]);
        cr_expect_eq(unlink(p), 0, "%s", p);
        free(p);
    }
    cr_expect_eq(rmdir(dir), 0);
    free(only);
}

static struct vg_ignore
yaml_ok(const char *s)
{
    struct vg_ignore ig;
    struct vg_err *err = NULL;
    int rc = vg_ignore_parse_yaml(&ig, "t.yaml", s, strlen(s), &err);
    if (rc < 0) {
        char *m = vg_err_format(err);
        cr_log_error("%s", m);
        free(m);
    }
    cr_assert_eq(rc, 0);
    vg_err_free(&err);
    return ig;
}

static const char TRIVYIGNORE_YAML[] = "vulnerabilities:\n"
                                       "  - id: CVE-2022-40897\n"
                                       "    paths:\n"
                                       "      - \"usr/local/lib/python3.9/site-packages/**\"\n"
                                       "    statement: Accept the risk\n"
                                       "  - id: CVE-2023-2650\n"
                                       "  - id: CVE-2023-3817\n"
                                       "    purls:\n"
                                       "      - \"pkg:deb/debian/libssl3\"\n"
                                       "  - id: CVE-2023-29491\n"
                                       "    expired_at: 2024-02-29\n"
                                       "misconfigurations:\n"
                                       "  - id: AVD-DS-0002\n"
                                       "    statement: The image needs root privileges\n"
                                       "secrets:\n"
                                       "  - id: aws-access-key-id\n"
                                       "    paths: [\"app/**/*.env\"]\n"
                                       "licenses:\n";

Test(scan_ignore, trivyignore_yaml_schema)
{
    struct vg_ignore ig = yaml_ok(TRIVYIGNORE_YAML);
    cr_assert_eq(ig.len, 6);
    cr_expect_eq(ig.items[0].kind, VG_IGNORE_VULN);
    cr_expect_eq(ig.items[0].line, 2);
    cr_expect_eq(ig.items[1].line, 6);
    cr_expect_str_eq(ig.items[0].statement, "Accept the risk");
    cr_expect_eq(ig.items[4].kind, VG_IGNORE_MISCONFIG);
    cr_expect_eq(ig.items[5].kind, VG_IGNORE_SECRET);
    int64_t now = T_2024_03_01;
    struct vg_ignore_query q = {.kind = VG_IGNORE_VULN,
                                .id = "CVE-2022-40897",
                                .path = "usr/local/lib/python3.9/site-packages/setuptools/M"};
    const struct vg_ignore_entry *e = vg_ignore_lookup(&ig, &q, now);
    cr_assert_not_null(e);
    cr_expect_str_eq(e->statement, "Accept the risk");
    q.path = "opt/app/requirements.txt";
    cr_expect_null(vg_ignore_lookup(&ig, &q, now), "path outside the globs");
    q.path = NULL;
    cr_expect_null(vg_ignore_lookup(&ig, &q, now), "unknown path never matches a paths entry");

    /* purls: name must agree; the version is compared only when the entry gives one. */
    q = (struct vg_ignore_query){.kind = VG_IGNORE_VULN,
                                 .id = "CVE-2023-3817",
                                 .purl = "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64"};
    cr_expect_not_null(vg_ignore_lookup(&ig, &q, now));
    q.purl = "pkg:deb/debian/openssl@3.0.11-1~deb12u2";
    cr_expect_null(vg_ignore_lookup(&ig, &q, now));
    q.purl = NULL;
    cr_expect_null(vg_ignore_lookup(&ig, &q, now));

    /* expired_at: active through that day (UTC), like exp: in the plain format. */
    q = (struct vg_ignore_query){.kind = VG_IGNORE_VULN, .id = "CVE-2023-29491"};
    cr_expect_not_null(vg_ignore_lookup(&ig, &q, now - 1));
    cr_expect_null(vg_ignore_lookup(&ig, &q, now));

    /* Kinds: a vulnerabilities entry never suppresses a secret or a check with that id. */
    q = (struct vg_ignore_query){.kind = VG_IGNORE_SECRET, .id = "CVE-2023-2650"};
    cr_expect_null(vg_ignore_lookup(&ig, &q, now));
    cr_expect(!vg_ignore_match(&ig, "CVE-2023-2650", NULL, now), "typed entry, untyped query");
    q = (struct vg_ignore_query){.kind = VG_IGNORE_MISCONFIG, .id = "AVD-DS-0002"};
    cr_expect_not_null(vg_ignore_lookup(&ig, &q, now));
    q = (struct vg_ignore_query){
        .kind = VG_IGNORE_SECRET, .id = "aws-access-key-id", .path = "app/conf/prod.env"};
    cr_expect_not_null(vg_ignore_lookup(&ig, &q, now));
    q.path = "app/prod.txt";
    cr_expect_null(vg_ignore_lookup(&ig, &q, now));
    vg_ignore_dispose(&ig);

    /* Empty documents and empty lists are fine. */
    ig = yaml_ok("");
    cr_expect_eq(ig.len, 0);
    ig = yaml_ok("vulnerabilities: []\nsecrets: ~\n");
    cr_expect_eq(ig.len, 0);
}

Test(scan_ignore, plain_entries_match_every_kind)
{
    struct vg_ignore ig = parse_ok("CVE-1\n");
    struct vg_ignore_query q = {.kind = VG_IGNORE_VULN, .id = "CVE-1", .path = "a/b"};
    cr_expect_not_null(vg_ignore_lookup(&ig, &q, T_2024_03_01));
    q.kind = VG_IGNORE_SECRET;
    cr_expect_not_null(vg_ignore_lookup(&ig, &q, T_2024_03_01));
    vg_ignore_dispose(&ig);
}

Test(scan_ignore, trivyignore_yaml_rejects_bad_documents)
{
    static const struct {
        const char *doc;
        const char *want;
    } bad[] = {
        {"vulnerabilities:\n  - id: CVE-1\n    pahts: [a]\n", "t.yaml:3:5: unknown key 'pahts'"},
        {"vulnerabilites:\n  - id: CVE-1\n", "t.yaml:1:1: unknown key 'vulnerabilites'"},
        {"vulnerabilities:\n  - statement: no id\n", "t.yaml:2:5: entry without an id"},
        {"vulnerabilities:\n  - id: CVE-1\n    expired_at: soon\n", "t.yaml:3:17: expired_at"},
        {"vulnerabilities:\n  - id: CVE-1\n    expired_at: 2024-02-30\n", "t.yaml:3:17"},
        {"vulnerabilities:\n  - id: CVE-1\n    purls: [\"not a purl\"]\n", "t.yaml:3:13: purls"},
        {"vulnerabilities:\n  - id: CVE-1\n    paths: a\n", "t.yaml:3:12: 'paths' must be a list"},
        {"vulnerabilities:\n  - id: [a]\n", "t.yaml:2:9: 'id' must be a string"},
        {"vulnerabilities:\n  - id:\n", "t.yaml:2:"},
        {"vulnerabilities:\n  - CVE-1\n", "each entry must be a mapping"},
        {"vulnerabilities: CVE-1\n", "t.yaml:1:18: 'vulnerabilities' must be a list"},
        {"- CVE-1\n", "top level must be a mapping"},
        {"vulnerabilities: [\n", "t.yaml:"},
        {"vulnerabilities:\n  - id: CVE-1\n    id: CVE-2\n", "duplicate key 'id'"},
        {"vulnerabilities: []\n---\nsecrets: []\n", "one YAML document expected"},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        struct vg_ignore ig;
        struct vg_err *err = NULL;
        cr_expect_lt(vg_ignore_parse_yaml(&ig, "t.yaml", bad[i].doc, strlen(bad[i].doc), &err), 0,
                     "%zu", i);
        char *m = err ? vg_err_format(err) : vg_strdup("(no error)");
        cr_expect(strstr(m, bad[i].want), "doc %zu: %s", i, m);
        cr_expect_eq(ig.len, 0);
        free(m);
        vg_err_free(&err);
    }
}

Test(scan_ignore, trivyignore_yaml_limits)
{
    struct vg_buf b = VG_BUF_INIT(64u << 20);
    cr_assert_eq(vg_buf_appendf(&b, NULL, "vulnerabilities:\n  - id: CVE-1\n    paths:\n"), 0);
    for (unsigned i = 0; i < VG_IGNORE_MAX_LIST; i++) {
        cr_assert_eq(vg_buf_appendf(&b, NULL, "      - p%u\n", i), 0);
    }
    struct vg_ignore ig;
    struct vg_err *err = NULL;
    cr_expect_eq(vg_ignore_parse_yaml(&ig, NULL, b.data, b.len, &err), 0, "at the limit");
    cr_expect_eq(ig.len == 1 ? ig.items[0].npaths : 0, VG_IGNORE_MAX_LIST);
    vg_ignore_dispose(&ig);
    cr_assert_eq(vg_buf_appendf(&b, NULL, "      - one-more\n"), 0);
    cr_expect_lt(vg_ignore_parse_yaml(&ig, NULL, b.data, b.len, &err), 0, "over the limit");
    cr_expect(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);

    b.len = 0;
    cr_assert_eq(vg_buf_appendf(&b, NULL, "secrets:\n"), 0);
    for (unsigned i = 0; i < VG_IGNORE_MAX_ENTRIES; i++) {
        cr_assert_eq(vg_buf_appendf(&b, NULL, "- id: r%u\n", i), 0);
    }
    cr_expect_eq(vg_ignore_parse_yaml(&ig, NULL, b.data, b.len, &err), 0, "entries at the limit");
    cr_expect_eq(ig.len, VG_IGNORE_MAX_ENTRIES);
    vg_ignore_dispose(&ig);
    cr_assert_eq(vg_buf_appendf(&b, NULL, "- id: last\n"), 0);
    cr_expect_lt(vg_ignore_parse_yaml(&ig, NULL, b.data, b.len, &err), 0, "entries over the limit");
    cr_expect(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
    vg_buf_dispose(&b);
}

Test(scan_ignore, filters_load_reads_trivyignore_yaml)
{
    char dir[] = "/tmp/vg-ignore-XXXXXX";
    cr_assert(mkdtemp(dir));
    write_file(dir, ".trivyignore", "CVE-1\n");
    write_file(dir, ".trivyignore.yaml", "vulnerabilities:\n  - id: CVE-2\n");
    struct vg_scan_filters lf;
    struct vg_scan_filter_files in = {.dir = dir};
    struct vg_err *err = NULL;
    cr_assert_eq(vg_scan_filters_load(&lf, &in, &err), 0);
    cr_expect_eq(lf.ignore.len, 2);
    struct vg_ignore_query q = {.kind = VG_IGNORE_VULN, .id = "CVE-2"};
    cr_expect_not_null(vg_ignore_lookup(&lf.ignore, &q, T_2024_03_01));
    vg_scan_filters_dispose(&lf);

    /* --ignorefile: the extension decides the format, as Trivy. */
    char *yml = vg_fmt("%s/mine.yml", dir);
    write_file(dir, "mine.yml", "secrets:\n  - id: aws-access-key-id\n");
    in.ignorefile = yml;
    cr_assert_eq(vg_scan_filters_load(&lf, &in, &err), 0);
    cr_assert_eq(lf.ignore.len, 1);
    cr_expect_eq(lf.ignore.items[0].kind, VG_IGNORE_SECRET);
    vg_scan_filters_dispose(&lf);

    /* A broken YAML default file is an error naming it and the line. */
    in.ignorefile = NULL;
    write_file(dir, ".trivyignore.yaml", "vulnerabilities:\n  - id: CVE-2\n    bad: 1\n");
    cr_assert_lt(vg_scan_filters_load(&lf, &in, &err), 0);
    char *m = vg_err_format(err);
    cr_expect(strstr(m, ".trivyignore.yaml:3:5: unknown key 'bad'"), "%s", m);
    free(m);
    vg_err_free(&err);

    const char *made[] = {".trivyignore", ".trivyignore.yaml", "mine.yml"};
    for (size_t i = 0; i < VG_ARRAY_LEN(made); i++) {
        char *p = vg_fmt("%s/%s", dir, made[i]);
        cr_expect_eq(unlink(p), 0, "%s", p);
        free(p);
    }
    cr_expect_eq(rmdir(dir), 0);
    free(yml);
}
