/* SPDX-License-Identifier: Apache-2.0
 *
 * Runs every analyzer over the real package databases of ../shared/fixtures/pkgdb and checks
 * the package counts and name@version samples that their upstream tests expect (read from
 * MANIFEST.tsv). Skips when ../shared is absent; rows of formats vigil does not analyze
 * (Pipfile.lock, Gemfile.lock, ...) are listed as skipped, never counted as passes. Jar rows
 * count; the one sample that needs a Maven Central lookup is checked in its offline form
 * (offline_samples). Rust rows cover Cargo.lock and cargo-auditable binaries (ELF, PE, Mach-O).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "inventory/inventory_int.h"

#ifndef VG_SHARED_DIR
#define VG_SHARED_DIR "/work/shared"
#endif

static const char *
shared_dir(void)
{
    const char *e = getenv("SHARED_DIR");
    return e ? e : VG_SHARED_DIR;
}

struct route {
    const char *kind;
    const char *match; /* suffix of the fixture's file column, "*" for any */
    vg_inv_parse_fn parse;
};

static const struct route routes[] = {
    {"dpkg", "-status", vg_inv_parse_dpkg_status},
    {"dpkg", "libsqlite3-0", vg_inv_parse_dpkg_status},
    {"apk", "*", vg_inv_parse_apk},
    {"rpm", "*", vg_inv_parse_rpmdb},
    {"python", ".METADATA", vg_inv_parse_python_metadata},
    {"python", ".PKG-INFO", vg_inv_parse_python_metadata},
    {"python", ".egg-info", vg_inv_parse_python_metadata},
    {"node", "package.json", vg_inv_parse_npm_package_json},
    {"node", ".json", vg_inv_parse_npm_lock},
    {"node", "yarn_happy.lock", vg_inv_parse_yarn_lock},
    {"node", "yarn_v2_happy.lock", vg_inv_parse_yarn_lock},
    {"node", ".yaml", vg_inv_parse_pnpm_lock},
    {"gobinary", "*", vg_inv_parse_gobinary},
    {"jar", "*", vg_inv_parse_jar},
    {"rust", ".lock", vg_inv_parse_cargo_lock},
    {"rust", "*", vg_inv_parse_rustbinary},
    {"ruby", ".gemspec", vg_inv_parse_gemspec},
    {"php", "composer_happy.lock", vg_inv_parse_composer},
    {"php", "-composer.lock", vg_inv_parse_composer},
    {"php", "installed.json", vg_inv_parse_composer},
};

static vg_inv_parse_fn
route_for(const char *kind, const char *file)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(routes); i++) {
        if (strcmp(routes[i].kind, kind) == 0 &&
            (strcmp(routes[i].match, "*") == 0 || vg_cstr_endswith(file, routes[i].match))) {
            return routes[i].parse;
        }
    }
    return NULL;
}

/* Trivy's family names -> vigil's. */
static const char *
family_alias(const char *f)
{
    static const char *const map[][2] = {
        {"redhat", "rhel"},
        {"opensuse-leap", "opensuse"},
        {"opensuse-tumbleweed", "opensuse"},
        {"sles", "suse"},
        {"slem", "suse"},
        {"centos-stream", "centos"},
        {"cbl-mariner", "mariner"},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(map); i++) {
        if (strcmp(map[i][0], f) == 0) {
            return map[i][1];
        }
    }
    return f;
}

/* Rows whose upstream expectation needs an online lookup vigil never makes (Trivy asks Maven
 * Central for the groupId of a jar known only by its file name): the sample vigil must give
 * offline instead. */
static const char *const offline_samples[][3] = {
    {"jar/heuristic-1.0.0-SNAPSHOT.jar", "com.example:heuristic@1.0.0-SNAPSHOT",
     "heuristic@1.0.0-SNAPSHOT"},
};

static const char *
offline_sample(const char *file, const char *s)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(offline_samples); i++) {
        if (strcmp(offline_samples[i][0], file) == 0 && strcmp(offline_samples[i][1], s) == 0) {
            cr_log_info("%s: %s expected as %s offline", file, s, offline_samples[i][2]);
            return offline_samples[i][2];
        }
    }
    return s;
}

/* Maven samples come from purls: "Spring%20Framework". */
static char *
percent_decode(const char *s, size_t n)
{
    char *o = vg_malloc(n + 1);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && strncmp(s + i + 1, "20", 2) == 0) {
            o[w++] = ' ';
            i += 2;
        } else {
            o[w++] = s[i];
        }
    }
    o[w] = '\0';
    return o;
}

static bool
sample_found(const struct vg_pkg_list *l, const char *kind, const char *s)
{
    const char *at = strrchr(s, '@');
    if (!at) {
        return false;
    }
    vg_autofree char *name = strcmp(kind, "jar") == 0 ? percent_decode(s, (size_t)(at - s))
                                                      : vg_strndup(s, (size_t)(at - s));
    if (strcmp(kind, "python") == 0) {
        char *n = vg_inv_pep503(name, strlen(name));
        free(name);
        name = n;
    }
    for (size_t i = 0; i < l->n; i++) {
        const char *v = l->v[i].version ? l->v[i].version : "";
        const char *colon = strchr(v, ':');
        bool vmatch = strcmp(v, at + 1) == 0 ||
                      (strcmp(kind, "rpm") == 0 && colon && strcmp(colon + 1, at + 1) == 0);
        if (strcmp(l->v[i].name, name) == 0 && vmatch) {
            return true;
        }
    }
    return false;
}

static void
check_os(const char *file, const uint8_t *data, size_t len, const char *sample, int *fails)
{
    struct vg_os_info os = {0};
    const char *base = strrchr(file, '/') + 1;
    const char *dash = strrchr(base, '-');
    vg_autofree char *as =
        vg_cstr_endswith(base, "debian_version")     ? vg_strdup("etc/debian_version")
        : strcmp(base, "lsb-release") == 0           ? vg_strdup("etc/lsb-release")
        : vg_cstr_endswith(base, "-release") && dash ? vg_fmt("etc/%s", base)
                                                     : vg_strdup("etc/os-release");
    bool ok = vg_inv_os_parse_file(&os, as, data, len);
    vg_autofree char *got = ok ? vg_fmt("%s@%s", os.family, os.version) : vg_strdup("");
    vg_autofree char *want = NULL;
    if (*sample) {
        const char *at = strchr(sample, '@');
        vg_autofree char *fam = vg_strndup(sample, (size_t)(at - sample));
        want = vg_fmt("%s@%s", family_alias(fam), at + 1);
    } else {
        want = vg_strdup("");
    }
    if (strcmp(got, want) != 0 && !vg_cstr_endswith(file, ".json")) {
        cr_log_error("%s: os %s, want %s", file, got, want);
        (*fails)++;
    }
    vg_os_info_dispose(&os);
}

static void
check_row(char **col, int *fails, int *checked)
{
    const char *file = col[0], *kind = col[1], *expected = col[3], *samples = col[4];
    vg_autofree char *path = vg_fmt("%s/fixtures/pkgdb/%s", shared_dir(), file);
    struct vg_buf b = VG_BUF_INIT(512u * 1024u * 1024u);
    struct vg_err *err = NULL;
    cr_assert(vg_file_read(&b, path, b.max, &err) == 0, "read %s", path);
    if (strcmp(kind, "os-release") == 0) {
        check_os(file, b.data, b.len, samples, fails);
        (*checked)++;
        vg_buf_dispose(&b);
        return;
    }
    vg_inv_parse_fn parse = route_for(kind, file);
    if (!parse) {
        cr_log_info("skipped (format not analyzed): %s", file);
        vg_buf_dispose(&b);
        return;
    }
    (*checked)++;
    struct vg_pkg_list l = {0};
    int rc = parse(&l, file, b.data, b.len, &err);
    if (rc < 0) {
        vg_autofree char *m = vg_err_format(err);
        cr_log_error("%s: %s", file, m);
        vg_err_free(&err);
        (*fails)++;
    }
    uint64_t want = 0;
    if (*expected && vg_parse_u64(vg_str_c(expected), 1000000, &want) == 0 && rc == 0 &&
        l.n != want) {
        cr_log_error("%s: %zu packages, want %llu", file, l.n, (unsigned long long)want);
        (*fails)++;
    }
    vg_autofree char *sdup = vg_strdup(samples);
    for (char *s = sdup, *sp; s && *s; s = sp) {
        sp = strchr(s, ' ');
        if (sp) {
            *sp++ = '\0';
        }
        if (!sample_found(&l, kind, offline_sample(file, s))) {
            cr_log_error("%s: sample %s not found", file, s);
            (*fails)++;
        }
    }
    vg_pkg_list_dispose(&l);
    vg_buf_dispose(&b);
}

Test(inventory_manifest, every_fixture_matches_upstream_expectations)
{
    vg_autofree char *tsv = vg_fmt("%s/fixtures/pkgdb/MANIFEST.tsv", shared_dir());
    struct vg_buf b = VG_BUF_INIT(1u << 20);
    struct vg_err *err = NULL;
    if (vg_file_read(&b, tsv, b.max, &err) < 0) {
        vg_err_free(&err);
        cr_skip_test("../shared is absent");
    }
    int fails = 0, checked = 0;
    char *next = strchr((char *)b.data, '\n');
    for (char *line = next ? next + 1 : NULL; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }
        char *col[5] = {0};
        char *p = line;
        for (int i = 0; i < 5 && p; i++) {
            col[i] = p;
            p = strchr(p, '\t');
            if (p) {
                *p++ = '\0';
            }
        }
        if (!col[4] || strcmp(col[1], "secrets") == 0 || strcmp(col[1], "other") == 0) {
            continue;
        }
        check_row(col, &fails, &checked);
    }
    vg_buf_dispose(&b);
    cr_log_info("%d fixtures checked", checked);
    cr_expect(checked > 50);
    cr_expect_eq(fails, 0, "%d fixture mismatches (see log)", fails);
}
