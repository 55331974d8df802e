/* SPDX-License-Identifier: Apache-2.0
 *
 * Secret engine: rule compilation, fixtures (our own in tests/data/scan/secrets, and Trivy's
 * testdata under ../shared when present), masking, allow rules, limits and the YAML config.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "scan/scan.h"

#include "test_util.h"

static struct vg_secret_engine *
engine_with(const char *yaml)
{
    struct vg_err *err = NULL;
    struct vg_secret_opts o = {.config_data = yaml, .config_len = yaml ? strlen(yaml) : 0};
    struct vg_secret_engine *e = vg_secret_engine_new(&o, &err);
    if (!e) {
        char *m = vg_err_format(err);
        cr_log_error("engine: %s", m);
        free(m);
    }
    vg_err_free(&err);
    return e;
}

static void
scan_str(struct vg_secret_engine *e, const char *path, const char *s,
         struct vg_secret_findings *out)
{
    cr_assert_eq(vg_secret_scan(e, path, s, strlen(s), out, NULL), 0);
}

/* Compares findings against "rule@Lline rule@Lline" (any order). */
static void
expect_set(const struct vg_secret_findings *f, const char *expected, const char *what)
{
    char got[8192] = "";
    size_t n = 0;
    for (size_t i = 0; i < f->len; i++) {
        n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s@L%zu", i ? " " : "",
                              f->items[i].rule_id, f->items[i].start_line);
        cr_assert_lt(n, sizeof(got));
    }
    char *exp = vg_strdup(expected);
    size_t want = 0;
    for (char *save = NULL, *tok = strtok_r(exp, " \t\n", &save); tok;
         tok = strtok_r(NULL, " \t\n", &save)) {
        want++;
        bool found = false;
        for (size_t i = 0; i < f->len && !found; i++) {
            char one[256];
            snprintf(one, sizeof(one), "%s@L%zu", f->items[i].rule_id, f->items[i].start_line);
            found = strcmp(one, tok) == 0;
        }
        cr_expect(found, "%s: expected %s, got [%s]", what, tok, got);
    }
    cr_expect_eq(f->len, want, "%s: expected [%s], got [%s]", what, expected, got);
    free(exp);
}

Test(scan_secret, builtin_rules_compile_and_cover_forty_services)
{
    struct vg_secret_engine *e = engine_with(NULL);
    cr_assert_not_null(e);
    cr_assert_geq(vg_secret_engine_rule_count(e), 40);
    vg_secret_engine_free(e);
}

Test(scan_secret, own_fixtures)
{
    struct vg_secret_engine *e = engine_with(NULL);
    cr_assert_not_null(e);
    struct vg_buf tsv = VG_BUF_INIT(1 << 20);
    char *p = test_data_path("scan/secrets/expected.tsv");
    cr_assert_eq(vg_file_read(&tsv, p, 1 << 20, NULL), 0, "%s", p);
    free(p);
    char *save = NULL;
    for (char *line = strtok_r((char *)tsv.data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *tab = strchr(line, '\t');
        cr_assert_not_null(tab);
        *tab = '\0';
        char rel[512];
        snprintf(rel, sizeof(rel), "scan/secrets/%s", line);
        struct vg_buf data = VG_BUF_INIT(1 << 20);
        char *fp = test_data_path(rel);
        cr_assert_eq(vg_file_read(&data, fp, 1 << 20, NULL), 0, "%s", fp);
        free(fp);
        char vpath[512];
        snprintf(vpath, sizeof(vpath), "app/%s", line); /* the real path has tests/ in it */
        struct vg_secret_findings f = {0};
        cr_assert_eq(vg_secret_scan(e, vpath, data.data, data.len, &f, NULL), 0);
        expect_set(&f, tab + 1, line);
        vg_secret_findings_dispose(&f);
        vg_buf_dispose(&data);
    }
    vg_buf_dispose(&tsv);
    vg_secret_engine_free(e);
}

/* Trivy's own testdata with the expected findings from MANIFEST.tsv. */
Test(scan_secret, shared_trivy_fixtures)
{
    char *dir = shared_dir_path("fixtures/pkgdb");
    char *manifest = vg_fmt("%s/MANIFEST.tsv", dir);
    if (!vg_path_exists(manifest)) {
        free(dir);
        free(manifest);
        cr_skip_test("../shared is absent");
    }
    struct vg_buf tsv = VG_BUF_INIT(1 << 22);
    cr_assert_eq(vg_file_read(&tsv, manifest, 1 << 22, NULL), 0);
    struct vg_secret_engine *e = engine_with(NULL);
    struct vg_buf cfg = VG_BUF_INIT(1 << 20);
    char *cfgpath = vg_fmt("%s/secrets/config.yaml", dir);
    cr_assert_eq(vg_file_read(&cfg, cfgpath, 1 << 20, NULL), 0);
    struct vg_secret_engine *ec = engine_with((const char *)cfg.data);
    cr_assert(e && ec);
    size_t checked = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)tsv.data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *cols[5] = {0};
        char *c = line;
        for (int i = 0; i < 5 && c; i++) {
            cols[i] = c;
            c = strchr(c, '\t');
            if (c) {
                *c++ = '\0';
            }
        }
        if (!cols[1] || strcmp(cols[1], "secrets") != 0 || !cols[3] || !*cols[3]) {
            continue; /* other kinds, and the config files themselves (no expectation) */
        }
        const char *expected = cols[4] ? cols[4] : "";
        struct vg_buf data = VG_BUF_INIT(1 << 22);
        char *fp = vg_fmt("%s/%s", dir, cols[0]);
        cr_assert_eq(vg_file_read(&data, fp, 1 << 22, NULL), 0, "%s", fp);
        struct vg_secret_findings f = {0};
        struct vg_secret_engine *use = strstr(expected, "rule1") ? ec : e;
        cr_assert_eq(vg_secret_scan(use, cols[0], data.data, data.len, &f, NULL), 0);
        expect_set(&f, expected, cols[0]);
        vg_secret_findings_dispose(&f);
        vg_buf_dispose(&data);
        free(fp);
        checked++;
    }
    cr_expect_geq(checked, 40);
    vg_secret_engine_free(e);
    vg_secret_engine_free(ec);
    vg_buf_dispose(&cfg);
    vg_buf_dispose(&tsv);
    free(cfgpath);
    free(manifest);
    free(dir);
}

Test(scan_secret, masks_secret_and_match_line)
{
    struct vg_secret_engine *e = engine_with(NULL);
    struct vg_secret_findings f = {0};
    scan_str(e, "etc/app.env", "first\nAWS_ACCESS_KEY_ID=AKIAFAKEFAKEFAKELMRT\n", &f);
    cr_assert_eq(f.len, 1);
    cr_expect_str_eq(f.items[0].rule_id, "aws-access-key-id");
    cr_expect_str_eq(f.items[0].secret, "AKIA************LMRT");
    cr_expect_str_eq(f.items[0].match, "AWS_ACCESS_KEY_ID=********************");
    cr_expect_str_eq(f.items[0].severity == VG_SCAN_SEV_CRITICAL ? "ok" : "no", "ok");
    cr_expect_eq(f.items[0].start_line, 2);
    cr_expect_eq(f.items[0].end_line, 2);
    cr_expect_eq(f.items[0].offset, 24);
    cr_expect_str_eq(f.items[0].path, "etc/app.env");
    vg_secret_findings_dispose(&f);
    vg_secret_engine_free(e);
}

Test(scan_secret, mask_short_values_entirely)
{
    char *m = vg_secret_mask("abcdefghijklmno", 15);
    cr_expect_str_eq(m, "***************");
    free(m);
    m = vg_secret_mask("abcdefghijklmnop", 16);
    cr_expect_str_eq(m, "abcd********mnop");
    free(m);
}

Test(scan_secret, long_lines_are_windowed)
{
    struct vg_secret_engine *e = engine_with(NULL);
    struct vg_secret_findings f = {0};
    char buf[4096];
    memset(buf, 'a', 2000);
    memcpy(buf + 1000, " ghp_FakeToken0123456789FakeToken01234567 ", 42);
    buf[2000] = '\0';
    scan_str(e, "x.txt", buf, &f);
    cr_assert_eq(f.len, 1);
    cr_expect_leq(strlen(f.items[0].match), 30 + 40 + 20);
    cr_expect_not_null(strstr(f.items[0].match, "************"));
    cr_expect_null(strstr(f.items[0].match, "FakeToken"));
    vg_secret_findings_dispose(&f);
    vg_secret_engine_free(e);
}

Test(scan_secret, binary_and_allowed_paths_and_size_limit)
{
    struct vg_secret_engine *e = engine_with(NULL);
    struct vg_secret_findings f = {0};
    const char tok[] = "ghp_FakeToken0123456789FakeToken01234567\n";
    scan_str(e, "src/app/tests/fixture.txt", tok, &f);
    scan_str(e, "README.md", tok, &f);
    scan_str(e, "srv/vendor/x/y.go", tok, &f);
    cr_expect_eq(f.len, 0);
    char bin[64] = "ghp_FakeToken0123456789FakeToken01234567";
    bin[50] = '\0';
    cr_assert_eq(vg_secret_scan(e, "bin/x", bin, sizeof(bin), &f, NULL), 0);
    cr_expect_eq(f.len, 0, "NUL byte in the probe window means binary");
    cr_expect(vg_secret_path_allowed(e, "usr/share/doc/x"));
    cr_expect(!vg_secret_path_allowed(e, "etc/x"));
    vg_secret_engine_free(e);

    struct vg_secret_opts o = {.max_file_bytes = sizeof(tok) - 1};
    e = vg_secret_engine_new(&o, NULL);
    cr_assert_eq(vg_secret_scan(e, "a", tok, sizeof(tok) - 1, &f, NULL), 0);
    cr_expect_eq(f.len, 1, "file exactly at the limit is scanned");
    cr_assert_eq(vg_secret_scan(e, "a", "x\nghp_FakeToken0123456789FakeToken01234567\n",
                                sizeof(tok) + 1, &f, NULL),
                 0);
    cr_expect_eq(f.len, 1, "file one byte over the limit is skipped");
    vg_secret_findings_dispose(&f);
    vg_secret_engine_free(e);
}

Test(scan_secret, findings_limit_per_file)
{
    struct vg_secret_opts o = {.max_findings_per_file = 3};
    struct vg_secret_engine *e = vg_secret_engine_new(&o, NULL);
    struct vg_buf b = VG_BUF_INIT(1 << 16);
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(
            vg_buf_appendf(&b, NULL, "k%d=ghp_FakeToken0123456789FakeToken0123456%d\n", i, i), 0);
    }
    struct vg_secret_findings f = {0};
    cr_assert_eq(vg_secret_scan(e, "a", b.data, b.len, &f, NULL), 0);
    cr_expect_eq(f.len, 3);
    cr_expect(f.truncated);
    vg_secret_findings_dispose(&f);
    vg_buf_dispose(&b);
    vg_secret_engine_free(e);
}

Test(scan_secret, generic_rule_does_not_duplicate_specific_one)
{
    struct vg_secret_engine *e = engine_with(NULL);
    struct vg_secret_findings f = {0};
    scan_str(e, "a.env", "GITHUB_TOKEN=ghp_FakeToken0123456789FakeToken01234567\n", &f);
    expect_set(&f, "github-pat@L1", "dedup");
    vg_secret_findings_dispose(&f);
    vg_secret_engine_free(e);
}

Test(scan_secret, custom_config_rules_allow_and_disable)
{
    const char *yaml = "rules:\n"
                       "  - id: corp-token\n"
                       "    category: Corp\n"
                       "    title: Corp token\n"
                       "    severity: high\n"
                       "    regex: (?i)corp_(?P<secret>[a-f\\d]{16})\\b\n"
                       "    keywords: [corp_]\n"
                       "allow-rules:\n"
                       "  - id: skip-fixtures\n"
                       "    path: fixtures/\n"
                       "disable-rules: [github-pat]\n";
    struct vg_secret_engine *e = engine_with(yaml);
    cr_assert_not_null(e);
    struct vg_secret_findings f = {0};
    scan_str(e, "a.txt", "x CORP_0123456789abcdef y\nghp_FakeToken0123456789FakeToken01234567\n",
             &f);
    expect_set(&f, "corp-token@L1", "custom");
    cr_expect_eq(f.items[0].severity, VG_SCAN_SEV_HIGH);
    cr_expect_str_eq(f.items[0].secret, "0123********cdef");
    vg_secret_findings_dispose(&f);
    scan_str(e, "fixtures/a.txt", "CORP_0123456789abcdef\n", &f);
    cr_expect_eq(f.len, 0);
    vg_secret_engine_free(e);
}

/* Built-in regexes are compiled once per process and borrowed by every engine: an engine that
 * dropped built-in rules, or failed on its config, must not free them for the others. */
Test(scan_secret, engines_share_builtin_rules_without_freeing_them)
{
    const char *tok = "GITHUB_TOKEN=ghp_FakeToken0123456789FakeToken01234567\n";
    struct vg_secret_engine *a = engine_with("disable-rules: [github-pat]\n"
                                             "disable-allow-rules: [tests]\n");
    cr_assert_not_null(a);
    struct vg_secret_engine *b = engine_with("enable-builtin-rules: [aws-access-key-id]\n");
    cr_assert_not_null(b);
    const char *bad = "rules: [{id: x, regex: '('}]\n";
    struct vg_secret_opts o = {.config_data = bad, .config_len = strlen(bad)};
    struct vg_err *err = NULL;
    cr_assert_null(vg_secret_engine_new(&o, &err));
    cr_expect(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
    vg_secret_engine_free(a);
    vg_secret_engine_free(b);
    for (int round = 0; round < 3; round++) {
        struct vg_secret_engine *e = engine_with(NULL);
        cr_assert_not_null(e);
        struct vg_secret_findings f = {0};
        scan_str(e, "a.env", tok, &f);
        expect_set(&f, "github-pat@L1", "after other engines were freed");
        vg_secret_findings_dispose(&f);
        vg_secret_engine_free(e);
    }
}

Test(scan_secret, bad_config_names_rule_and_line)
{
    const char *bad[] = {
        "rules:\n  - id: r1\n    regex: '(?=lookahead)'\n",
        "rules:\n  - id: r1\n    regex: abc\n    severity: SEVERE\n",
        "rules:\n  - id: r1\n    regex: abc\n    secret-group-name: nope\n",
        "rules: {}\n",
        "rules:\n  - category: x\n",
        "[unclosed\n",
        "- just\n- a list\n",
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        struct vg_err *err = NULL;
        struct vg_secret_opts o = {.config_data = bad[i], .config_len = strlen(bad[i])};
        struct vg_secret_engine *e = vg_secret_engine_new(&o, &err);
        cr_expect_null(e, "config %zu must fail", i);
        cr_expect(vg_err_is(err, VG_E_PARSE), "config %zu", i);
        if (i < 3) {
            char *m = vg_err_format(err);
            cr_expect_not_null(strstr(m, "rule r1 (line 2)"), "%s", m);
            free(m);
        }
        vg_err_free(&err);
        vg_secret_engine_free(e);
    }
}

/* Config errors start with FILE:LINE:COL of the offending node (the path, or "<secret-config>"
 * for in-memory data), and the YAML loader's rules (duplicate keys, bounds) apply. */
Test(scan_secret, config_errors_carry_file_line_col)
{
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        {"rules:\n  - id: r1\n    regex: abc\n    severity: SEVERE\n",
         "<secret-config>:4:15: invalid severity 'SEVERE'"},
        {"rules:\n  - id: r1\n    regex: '(?=x)'\n", "<secret-config>:3:12: "},
        {"rules: []\nrules: []\n", "<secret-config>:2:1: duplicate key 'rules'"},
        {"disable-rules: x\n", "<secret-config>:1:16: 'disable-rules' must be a list"},
        {"exclude-block:\n  regexes: ['[']\n", "<secret-config>:2:13: "},
        {"rules:\n  - id: r1\n    regex: abc\n    keywords: ['']\n",
         "<secret-config>:4:16: empty keyword"},
        {"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
         "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c]\n"
         "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d,"
         " *d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
         "<secret-config>:5:"},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        struct vg_err *err = NULL;
        struct vg_secret_opts o = {.config_data = cases[i].yaml,
                                   .config_len = strlen(cases[i].yaml)};
        struct vg_secret_engine *e = vg_secret_engine_new(&o, &err);
        cr_expect_null(e, "config %zu must fail", i);
        char *m = vg_err_format(err);
        cr_expect_not_null(strstr(m, cases[i].want), "config %zu: '%s' lacks '%s'", i, m,
                           cases[i].want);
        cr_expect_null(strchr(m, '\n'), "one line: %s", m);
        free(m);
        vg_err_free(&err);
        vg_secret_engine_free(e);
    }

    char dir[] = "/tmp/vg_secret_cfg.XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *path = vg_fmt("%s/secret.yaml", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("rules:\n  - id: r1\n    category: [x]\n    regex: abc\n", f);
    fclose(f);
    struct vg_err *err = NULL;
    struct vg_secret_opts o = {.config_path = path};
    cr_expect_null(vg_secret_engine_new(&o, &err));
    char *m = vg_err_format(err);
    char *want = vg_fmt("%s:3:15: 'category' must be a string", path);
    cr_expect_not_null(strstr(m, want), "'%s' lacks '%s'", m, want);
    free(want);
    free(m);
    vg_err_free(&err);
    remove(path);
    remove(dir);
    free(path);
}

Test(scan_secret, image_config_env_and_history)
{
    struct vg_secret_engine *e = engine_with(NULL);
    const char *cfg =
        "{\"config\":{\"Env\":[\"PATH=/usr/bin\",\"GH=ghp_FakeToken0123456789FakeToken01234567\"]},"
        "\"history\":[{\"created_by\":\"/bin/sh -c #(nop) ENV X=1\"},"
        "{\"created_by\":\"RUN echo AKIAFAKEFAKEFAKEFAKE > /c\"}]}";
    struct vg_secret_findings f = {0};
    cr_assert_eq(vg_secret_scan_image_config(e, cfg, strlen(cfg), &f, NULL), 0);
    cr_assert_eq(f.len, 2);
    cr_expect_str_eq(f.items[0].path, "config:Env");
    cr_expect_eq(f.items[0].start_line, 2);
    cr_expect_str_eq(f.items[1].path, "config:history");
    cr_expect_eq(f.items[1].start_line, 2);
    vg_secret_findings_dispose(&f);
    vg_secret_engine_free(e);
}

struct thr {
    const struct vg_secret_engine *e;
    size_t found;
};

static void *
thr_run(void *arg)
{
    struct thr *t = arg;
    for (int i = 0; i < 200; i++) {
        struct vg_secret_findings f = {0};
        const char *s = "a\nk=AKIAFAKEFAKEFAKEFAKE\nghp_FakeToken0123456789FakeToken01234567\n";
        (void)!vg_secret_scan(t->e, "x", s, strlen(s), &f, NULL);
        t->found += f.len;
        vg_secret_findings_dispose(&f);
    }
    return NULL;
}

Test(scan_secret, concurrent_scans_share_one_engine)
{
    struct vg_secret_engine *e = engine_with(NULL);
    pthread_t th[4];
    struct thr t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (struct thr){e, 0};
        pthread_create(&th[i], NULL, thr_run, &t[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(t[i].found, 400);
    }
    vg_secret_engine_free(e);
}
