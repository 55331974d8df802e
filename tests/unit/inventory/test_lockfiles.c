/* SPDX-License-Identifier: Apache-2.0
 *
 * The source-tree lock file parsers of `vigil fs` (pylock.c, gomod.c, gemlock.c, javalock.c,
 * nuget.c) on small inputs written here and on the fixture tree tests/data/fs/tree, their
 * kinds, ecosystems and purls, the builder's source-tree routing, and hostile input (long
 * lines, oversized documents, DTDs, a file that is not what its name says).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "inventory/inventory_int.h"

#define PARSE(fn, l, path, text) fn(&(l), (path), (const uint8_t *)(text), strlen(text), &err)

static struct vg_err *err;
static struct vg_pkg_list l;

static void
reset(void)
{
    vg_err_free(&err);
    vg_pkg_list_dispose(&l);
}

TestSuite(inventory_lockfiles, .fini = reset);

static struct vg_pkg *
find(const char *name)
{
    for (size_t i = 0; i < l.n; i++) {
        if (strcmp(l.v[i].name, name) == 0) {
            return &l.v[i];
        }
    }
    return NULL;
}

static void
expect(const char *name, const char *version, const char *kind)
{
    const struct vg_pkg *p = find(name);
    cr_assert(p, "%s missing", name);
    cr_assert_str_eq(p->version, version, "%s", name);
    cr_assert_str_eq(p->kind, kind, "%s", name);
}

Test(inventory_lockfiles, requirements_pins_only)
{
    const char *t = "# comment\n"
                    "requests==2.19.1\n"
                    "urllib3 == 1.24.1 ; python_version >= \"3\"\n"
                    "Jinja2[i18n]==2.10  # templating\n"
                    "PyYAML==5.3.1 \\\n    --hash=sha256:abc\n"
                    "exact===1.0\n"
                    "flask>=1.0\nrange==1.0,<2\nwild==1.*\n"
                    "-r other.txt\n--index-url https://pypi.org/simple\n"
                    "git+https://example.com/x.git#egg=x\n"
                    "requests==2.19.1\n"
                    "tail==0.1 \\";
    cr_assert_eq(PARSE(vg_inv_parse_requirements, l, "requirements.txt", t), 0);
    cr_assert_eq(l.n, 6, "%zu", l.n);
    expect("requests", "2.19.1", "pip");
    expect("urllib3", "1.24.1", "pip");
    expect("Jinja2", "2.10", "pip");
    expect("PyYAML", "5.3.1", "pip");
    expect("exact", "1.0", "pip");
    expect("tail", "0.1", "pip");
    cr_assert_null(find("flask"));
    cr_assert_null(find("range"));
    cr_assert_null(find("wild"));
    vg_inv_pkg_finalize(find("PyYAML"), NULL);
    cr_assert_str_eq(find("PyYAML")->ecosystem, "PyPI");
    cr_assert_str_eq(find("PyYAML")->purl, "pkg:pypi/pyyaml@5.3.1");
}

Test(inventory_lockfiles, pipfile_lock_default_only)
{
    const char *t = "{\"_meta\": {}, \"default\": {\"django\": {\"version\": \"==2.2.0\"},"
                    "\"local\": {\"path\": \".\"}}, \"develop\": {\"pytest\": {\"version\": "
                    "\"==7.0.0\"}}}";
    cr_assert_eq(PARSE(vg_inv_parse_pipfile_lock, l, "Pipfile.lock", t), 0);
    cr_assert_eq(l.n, 1);
    expect("django", "2.2.0", "pipenv");
    cr_assert_lt(PARSE(vg_inv_parse_pipfile_lock, l, "Pipfile.lock", "[1]"), 0);
    cr_assert_eq(vg_err_code(err), VG_E_PARSE);
}

Test(inventory_lockfiles, poetry_and_uv)
{
    const char *poetry = "[[package]]\nname = \"pillow\"\nversion = \"8.1.0\"\n"
                         "[package.dependencies]\ncffi = \">=1.12\"\n"
                         "[[package]]\nname = \"pytest\"\nversion = \"7.0\"\ncategory = \"dev\"\n"
                         "[[package]]\nname = \"cffi\"\nversion = \"1.15.1\"\n"
                         "[metadata]\nlock-version = \"2.0\"\n";
    cr_assert_eq(PARSE(vg_inv_parse_poetry_lock, l, "poetry.lock", poetry), 0);
    cr_assert_eq(l.n, 2);
    expect("pillow", "8.1.0", "poetry");
    expect("cffi", "1.15.1", "poetry");
    vg_pkg_list_dispose(&l);
    const char *uv =
        "version = 1\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n"
        "source = { editable = \".\" }\ndependencies = [\n    { name = \"aiohttp\" },\n]\n"
        "[[package]]\nname = \"aiohttp\"\nversion = \"3.8.1\"\n"
        "source = { registry = \"https://pypi.org/simple\" }\n";
    cr_assert_eq(PARSE(vg_inv_parse_uv_lock, l, "uv.lock", uv), 0);
    cr_assert_eq(l.n, 1);
    expect("aiohttp", "3.8.1", "uv");
}

Test(inventory_lockfiles, gomod_blocks_comments_and_replace)
{
    const char *t = "// header\nmodule example.com/x\n\ngo 1.21\n\nrequire (\n"
                    "\tgithub.com/a/b v1.2.3\n\tgolang.org/x/text v0.3.5 // indirect\n"
                    "\texample.com/local v0.0.0\n\texample.com/old v1.0.0\n)\n"
                    "require github.com/c/d v0.1.0+incompatible\n"
                    "replace example.com/local => ./local\n"
                    "replace (\n\texample.com/old v1.0.0 => example.com/new v1.1.0\n)\n"
                    "exclude github.com/a/b v1.0.0\n";
    cr_assert_eq(PARSE(vg_inv_parse_gomod, l, "go.mod", t), 0);
    cr_assert_eq(l.n, 4, "%zu", l.n);
    expect("github.com/a/b", "v1.2.3", "gomod");
    expect("golang.org/x/text", "v0.3.5", "gomod");
    expect("github.com/c/d", "v0.1.0+incompatible", "gomod");
    expect("example.com/new", "v1.1.0", "gomod");
    cr_assert_null(find("example.com/local"));
    struct vg_pkg *p = find("github.com/a/b");
    vg_inv_pkg_finalize(p, NULL);
    cr_assert_str_eq(p->ecosystem, "Go");
    cr_assert_str_eq(p->purl, "pkg:golang/github.com/a/b@v1.2.3");
    cr_assert_lt(PARSE(vg_inv_parse_gomod, l, "go.mod", "not a go.mod\n"), 0);
    cr_assert_eq(vg_err_code(err), VG_E_PARSE);
}

Test(inventory_lockfiles, gemfile_lock_specs_and_platforms)
{
    const char *t = "GIT\n  remote: https://example.com/g.git\n  specs:\n    gitgem (0.1.0)\n\n"
                    "GEM\n  remote: https://rubygems.org/\n  specs:\n"
                    "    nokogiri (1.10.8-x86_64-linux)\n      racc (~> 1.4)\n"
                    "    racc (1.4.16)\n    rails (7.0.0.rc1)\n\n"
                    "PLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  nokogiri (= 1.10.8)\n";
    cr_assert_eq(PARSE(vg_inv_parse_gemfile_lock, l, "Gemfile.lock", t), 0);
    cr_assert_eq(l.n, 4, "%zu", l.n);
    expect("nokogiri", "1.10.8", "bundler");
    expect("racc", "1.4.16", "bundler");
    expect("rails", "7.0.0.rc1", "bundler");
    expect("gitgem", "0.1.0", "bundler");
    struct vg_pkg *p = find("racc");
    vg_inv_pkg_finalize(p, NULL);
    cr_assert_str_eq(p->ecosystem, "RubyGems");
    cr_assert_str_eq(p->purl, "pkg:gem/racc@1.4.16");
}

Test(inventory_lockfiles, pom_properties_management_and_scopes)
{
    const char *t =
        "<?xml version=\"1.0\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n"
        "<parent><groupId>org.p</groupId><artifactId>par</artifactId><version>3.0</version>"
        "</parent><artifactId>app</artifactId>\n"
        "<properties><jackson.version>2.9.10</jackson.version><a>${b}</a><b>1.1</b>"
        "</properties>\n"
        "<dependencyManagement><dependencies><dependency><groupId>org.m</groupId>"
        "<artifactId>managed</artifactId><version>5.0</version></dependency></dependencies>"
        "</dependencyManagement>\n<dependencies>\n"
        "<dependency><groupId>com.f</groupId><artifactId>jd</artifactId>"
        "<version>${jackson.version}</version></dependency>\n"
        "<dependency><groupId>${project.groupId}</groupId><artifactId>sib</artifactId>"
        "<version>${project.version}</version></dependency>\n"
        "<dependency><groupId>org.c</groupId><artifactId>chain</artifactId>"
        "<version>${a}</version></dependency>\n"
        "<dependency><groupId>org.m</groupId><artifactId>managed</artifactId></dependency>\n"
        "<dependency><groupId>org.u</groupId><artifactId>unknown</artifactId>"
        "<version>${nope}</version></dependency>\n"
        "<dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.12"
        "</version><scope>test</scope></dependency>\n"
        "</dependencies></project>\n";
    cr_assert_eq(PARSE(vg_inv_parse_pom, l, "pom.xml", t), 0);
    cr_assert_eq(l.n, 5, "%zu", l.n);
    expect("org.p:app", "3.0", "pom");
    expect("com.f:jd", "2.9.10", "pom");
    expect("org.p:sib", "3.0", "pom");
    expect("org.c:chain", "1.1", "pom");
    expect("org.m:managed", "5.0", "pom");
    struct vg_pkg *p = find("com.f:jd");
    vg_inv_pkg_finalize(p, NULL);
    cr_assert_str_eq(p->ecosystem, "Maven");
    cr_assert_str_eq(p->purl, "pkg:maven/com.f/jd@2.9.10");
}

Test(inventory_lockfiles, pom_hostile)
{
    const char *dtd = "<?xml version=\"1.0\"?><!DOCTYPE project [<!ENTITY a \"aaaa\">]>"
                      "<project><groupId>&a;</groupId></project>";
    cr_assert_lt(PARSE(vg_inv_parse_pom, l, "pom.xml", dtd), 0);
    cr_assert_eq(vg_err_code(err), VG_E_PARSE);
    vg_err_free(&err);
    cr_assert_lt(PARSE(vg_inv_parse_pom, l, "pom.xml",
                       "\x7f"
                       "ELF\x01\x02"),
                 0);
    cr_assert_eq(vg_err_code(err), VG_E_PARSE);
    vg_err_free(&err);
    cr_assert_lt(PARSE(vg_inv_parse_pom, l, "pom.xml", "<settings/>"), 0);
    vg_err_free(&err);
    /* a self-referencing property expands a bounded number of times, then is unknown */
    const char *loop = "<project><groupId>g</groupId><artifactId>a</artifactId>"
                       "<properties><x>${x}${x}</x></properties><dependencies><dependency>"
                       "<groupId>g</groupId><artifactId>b</artifactId><version>${x}</version>"
                       "</dependency></dependencies></project>";
    cr_assert_eq(PARSE(vg_inv_parse_pom, l, "pom.xml", loop), 0);
    cr_assert_eq(l.n, 0);
    size_t big = VG_INV_MAX_JSON_BYTES + 1;
    char *b = malloc(big);
    memset(b, ' ', big);
    cr_assert_lt(vg_inv_parse_pom(&l, "pom.xml", (const uint8_t *)b, big, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_LIMIT);
    free(b);
}

Test(inventory_lockfiles, gradle_lockfile)
{
    const char *t = "# This is a Gradle generated file for dependency locking.\n"
                    "com.google.guava:guava:29.0-jre=compileClasspath,runtimeClasspath\n"
                    "org.yaml:snakeyaml:1.26=runtimeClasspath\nbad:line=x\nempty=annotation\n";
    cr_assert_eq(PARSE(vg_inv_parse_gradle_lock, l, "gradle.lockfile", t), 0);
    cr_assert_eq(l.n, 2);
    expect("com.google.guava:guava", "29.0-jre", "gradle");
    expect("org.yaml:snakeyaml", "1.26", "gradle");
}

Test(inventory_lockfiles, nuget_lock_frameworks_dedup_projects)
{
    const char *t = "{\"version\": 1, \"dependencies\": {"
                    "\"net6.0\": {\"Newtonsoft.Json\": {\"type\": \"Direct\", \"resolved\": "
                    "\"12.0.1\"}, \"lib\": {\"type\": \"Project\"}},"
                    "\"net8.0\": {\"Newtonsoft.Json\": {\"type\": \"Direct\", \"resolved\": "
                    "\"12.0.1\"}, \"System.Text.Json\": {\"type\": \"Transitive\", "
                    "\"resolved\": \"8.0.0\"}}}}";
    cr_assert_eq(PARSE(vg_inv_parse_nuget_lock, l, "packages.lock.json", t), 0);
    cr_assert_eq(l.n, 2);
    expect("Newtonsoft.Json", "12.0.1", "nuget");
    expect("System.Text.Json", "8.0.0", "nuget");
    struct vg_pkg *p = find("Newtonsoft.Json");
    vg_inv_pkg_finalize(p, NULL);
    cr_assert_str_eq(p->ecosystem, "NuGet");
    cr_assert_str_eq(p->purl, "pkg:nuget/Newtonsoft.Json@12.0.1");
    cr_assert_lt(PARSE(vg_inv_parse_nuget_lock, l, "packages.lock.json", "{}"), 0);
}

Test(inventory_lockfiles, long_lines_are_limit_errors_and_leave_nothing)
{
    size_t n = VG_LIMIT_LINE_BYTES + 10;
    char *b = malloc(n + 32);
    memcpy(b, "a==1.0\n", 7);
    memset(b + 7, 'x', n);
    b[7 + n] = '\n';
    vg_inv_parse_fn fns[] = {vg_inv_parse_requirements, vg_inv_parse_poetry_lock,
                             vg_inv_parse_uv_lock,      vg_inv_parse_gomod,
                             vg_inv_parse_gemfile_lock, vg_inv_parse_gradle_lock};
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        cr_assert_lt(fns[i](&l, "f", (const uint8_t *)b, n + 8, &err), 0, "parser %zu", i);
        cr_assert_eq(vg_err_code(err), VG_E_LIMIT, "parser %zu", i);
        cr_assert_eq(l.n, 0, "parser %zu", i);
        vg_err_free(&err);
    }
    free(b);
}

static void
read_fixture(struct vg_buf *b, const char *rel)
{
    char *p = vg_fmt("%s/tree/%s", VG_TEST_FS_DATA, rel);
    vg_buf_init(b, 1u << 20);
    cr_assert_eq(vg_file_read(b, p, b->max, &err), 0, "%s", p);
    free(p);
}

Test(inventory_lockfiles, fixture_tree_files)
{
    static const struct {
        const char *rel;
        vg_inv_parse_fn fn;
        size_t n;
    } t[] = {{"python/requirements.txt", vg_inv_parse_requirements, 4},
             {"pipenv/Pipfile.lock", vg_inv_parse_pipfile_lock, 2},
             {"poetry/poetry.lock", vg_inv_parse_poetry_lock, 3},
             {"uv/uv.lock", vg_inv_parse_uv_lock, 1},
             {"go/go.mod", vg_inv_parse_gomod, 3},
             {"ruby/Gemfile.lock", vg_inv_parse_gemfile_lock, 3},
             {"java/pom.xml", vg_inv_parse_pom, 3},
             {"gradle/gradle.lockfile", vg_inv_parse_gradle_lock, 2},
             {"dotnet/packages.lock.json", vg_inv_parse_nuget_lock, 1}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct vg_buf b;
        read_fixture(&b, t[i].rel);
        cr_assert_eq(t[i].fn(&l, t[i].rel, b.data, b.len, &err), 0, "%s", t[i].rel);
        cr_assert_eq(l.n, t[i].n, "%s: %zu", t[i].rel, l.n);
        vg_pkg_list_dispose(&l);
        vg_buf_dispose(&b);
    }
}

Test(inventory_lockfiles, npm_and_composer_prod_leave_dev_dependencies_out)
{
    const char *v3 = "{\"lockfileVersion\": 3, \"packages\": {\"\": {\"name\": \"app\"},"
                     "\"node_modules/a\": {\"version\": \"1.0.0\"},"
                     "\"node_modules/t\": {\"version\": \"2.0.0\", \"dev\": true}}}";
    cr_assert_eq(PARSE(vg_inv_parse_npm_lock_prod, l, "package-lock.json", v3), 0);
    cr_assert_eq(l.n, 1);
    expect("a", "1.0.0", "node");
    vg_pkg_list_dispose(&l);
    cr_assert_eq(PARSE(vg_inv_parse_npm_lock, l, "package-lock.json", v3), 0);
    cr_assert_eq(l.n, 2, "the image analyzer keeps them");
    vg_pkg_list_dispose(&l);
    const char *v1 = "{\"lockfileVersion\": 1, \"dependencies\": {\"a\": {\"version\": \"1.0.0\","
                     "\"dependencies\": {\"b\": {\"version\": \"1.1.0\", \"dev\": true}}},"
                     "\"t\": {\"version\": \"2.0.0\", \"dev\": true}}}";
    cr_assert_eq(PARSE(vg_inv_parse_npm_lock_prod, l, "package-lock.json", v1), 0);
    cr_assert_eq(l.n, 1);
    vg_pkg_list_dispose(&l);
    const char *c = "{\"packages\": [{\"name\": \"g/h\", \"version\": \"7.4.0\"}],"
                    "\"packages-dev\": [{\"name\": \"p/u\", \"version\": \"9.0.0\"}]}";
    cr_assert_eq(PARSE(vg_inv_parse_composer_prod, l, "composer.lock", c), 0);
    cr_assert_eq(l.n, 1);
    expect("g/h", "7.4.0", "composer");
}
