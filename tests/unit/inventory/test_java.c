/* SPDX-License-Identifier: Apache-2.0
 *
 * Hermetic tests of the zip reader and the Java archive analyzer on archives built here with
 * zlib (a tiny zip writer below): fat jars with nested jars (stored and deflated), manifest-
 * only and name-only jars, zip64 end records, a launcher script in front of the archive,
 * Python eggs, and hostile archives — lying sizes, nesting past the depth limit, a jar bomb
 * that exceeds the total inflation budget, truncated directories.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <zlib.h>

#include "inventory/inventory_int.h"

static struct vg_err *err;

static void
reset_err(void)
{
    vg_err_free(&err);
}

TestSuite(inventory_java, .fini = reset_err);

/* ---------------------------------------------------------------- a minimal zip writer */

struct zw {
    struct vg_buf out, cd;
    size_t n;
    bool zip64;
};

static void
put16(struct vg_buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    cr_assert(vg_buf_append(b, x, 2, NULL) == 0);
}

static void
put32(struct vg_buf *b, uint32_t v)
{
    put16(b, (uint16_t)v);
    put16(b, (uint16_t)(v >> 16));
}

static void
put64(struct vg_buf *b, uint64_t v)
{
    put32(b, (uint32_t)v);
    put32(b, (uint32_t)(v >> 32));
}

static void
putb(struct vg_buf *b, const void *p, size_t n)
{
    cr_assert(vg_buf_append(b, p, n, NULL) == 0);
}

static void
zw_init(struct zw *z)
{
    memset(z, 0, sizeof(*z));
    vg_buf_init(&z->out, (size_t)1 << 30);
    vg_buf_init(&z->cd, (size_t)1 << 26);
}

static void
zw_dispose(struct zw *z)
{
    vg_buf_dispose(&z->out);
    vg_buf_dispose(&z->cd);
}

static void
raw_deflate(struct vg_buf *dst, const void *src, size_t n)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    cr_assert(deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    size_t bound = deflateBound(&zs, (uLong)n);
    cr_assert(vg_buf_reserve(dst, bound, NULL) == 0);
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)n;
    zs.next_out = dst->data;
    zs.avail_out = (uInt)bound;
    cr_assert(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    dst->len = zs.total_out;
    deflateEnd(&zs);
}

/* Adds a member; declared_usize != 0 overrides the size written in the headers. */
static void
zw_add_ex(struct zw *z, const char *name, const void *data, size_t len, bool deflate,
          uint64_t declared_usize)
{
    struct vg_buf body = VG_BUF_INIT((size_t)1 << 30);
    if (deflate) {
        raw_deflate(&body, data, len);
    } else {
        putb(&body, data, len);
    }
    uint32_t crc = (uint32_t)crc32(0, data, (uInt)len);
    uint64_t usize = declared_usize ? declared_usize : len;
    uint32_t lho = (uint32_t)z->out.len;
    uint16_t nl = (uint16_t)strlen(name);
    put32(&z->out, 0x04034b50u);
    put16(&z->out, 20);
    put16(&z->out, 0);
    put16(&z->out, deflate ? 8 : 0);
    put32(&z->out, 0);
    put32(&z->out, crc);
    put32(&z->out, (uint32_t)body.len);
    put32(&z->out, (uint32_t)usize);
    put16(&z->out, nl);
    put16(&z->out, 0);
    putb(&z->out, name, nl);
    putb(&z->out, body.data, body.len);

    put32(&z->cd, 0x02014b50u);
    put16(&z->cd, 20);
    put16(&z->cd, 20);
    put16(&z->cd, 0);
    put16(&z->cd, deflate ? 8 : 0);
    put32(&z->cd, 0);
    put32(&z->cd, crc);
    put32(&z->cd, (uint32_t)body.len);
    put32(&z->cd, z->zip64 ? 0xffffffffu : (uint32_t)usize);
    put16(&z->cd, nl);
    put16(&z->cd, z->zip64 ? 12 : 0);
    put16(&z->cd, 0);
    put16(&z->cd, 0);
    put16(&z->cd, 0);
    put32(&z->cd, 0);
    put32(&z->cd, lho);
    putb(&z->cd, name, nl);
    if (z->zip64) {
        put16(&z->cd, 0x0001);
        put16(&z->cd, 8);
        put64(&z->cd, usize);
    }
    z->n++;
    vg_buf_dispose(&body);
}

static void
zw_add(struct zw *z, const char *name, const char *text, bool deflate)
{
    zw_add_ex(z, name, text, strlen(text), deflate, 0);
}

/* Finishes the archive; the result is z->out. */
static void
zw_finish(struct zw *z)
{
    uint64_t cdoff = z->out.len;
    putb(&z->out, z->cd.data, z->cd.len);
    if (z->zip64) {
        uint64_t rec = z->out.len;
        put32(&z->out, 0x06064b50u);
        put64(&z->out, 44);
        put16(&z->out, 45);
        put16(&z->out, 45);
        put32(&z->out, 0);
        put32(&z->out, 0);
        put64(&z->out, z->n);
        put64(&z->out, z->n);
        put64(&z->out, z->cd.len);
        put64(&z->out, cdoff);
        put32(&z->out, 0x07064b50u);
        put32(&z->out, 0);
        put64(&z->out, rec);
        put32(&z->out, 1);
    }
    put32(&z->out, 0x06054b50u);
    put16(&z->out, 0);
    put16(&z->out, 0);
    put16(&z->out, z->zip64 ? 0xffff : (uint16_t)z->n);
    put16(&z->out, z->zip64 ? 0xffff : (uint16_t)z->n);
    put32(&z->out, (uint32_t)z->cd.len);
    put32(&z->out, z->zip64 ? 0xffffffffu : (uint32_t)cdoff);
    put16(&z->out, 0);
}

static void
pom(struct zw *z, const char *g, const char *a, const char *v)
{
    char *path = vg_fmt("META-INF/maven/%s/%s/pom.properties", g, a);
    char *text = vg_fmt("#Generated by Maven\ngroupId=%s\nartifactId=%s\nversion=%s\n", g, a, v);
    zw_add(z, path, text, true);
    free(path);
    free(text);
}

/* A jar holding one pom.properties (and, when inner is given, that archive nested). */
static void
make_jar(struct vg_buf *out, const char *g, const char *a, const char *v, const char *inner_name,
         const struct vg_buf *inner, bool inner_deflated)
{
    struct zw z;
    zw_init(&z);
    zw_add(&z, "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n", true);
    if (g) {
        pom(&z, g, a, v);
    }
    if (inner_name) {
        zw_add_ex(&z, inner_name, inner->data, inner->len, inner_deflated, 0);
    }
    zw_finish(&z);
    *out = z.out;
    vg_buf_dispose(&z.cd);
}

static const struct vg_pkg *
find(const struct vg_pkg_list *l, const char *name, const char *version)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].name, name) == 0 &&
            strcmp(l->v[i].version ? l->v[i].version : "", version) == 0) {
            return &l->v[i];
        }
    }
    return NULL;
}

static int
parse_jar(struct vg_pkg_list *l, const char *path, const struct vg_buf *b)
{
    return vg_inv_parse_jar(l, path, b->data, b->len, &err);
}

/* ---------------------------------------------------------------- tests */

Test(inventory_java, spring_boot_fat_jar_with_stored_and_deflated_nested_jars)
{
    struct vg_buf dep_a, dep_b, deep;
    make_jar(&deep, "org.deep", "deep", "0.1", NULL, NULL, false);
    make_jar(&dep_a, "org.a", "dep-a", "2.0", "lib/deep-0.1.jar", &deep, true);
    /* dep-b has no pom.properties: its manifest names it. */
    struct zw zb;
    zw_init(&zb);
    zw_add(&zb, "META-INF/MANIFEST.MF",
           "Manifest-Version: 1.0\nBundle-SymbolicName: org.b.dep-b;singleton:=true\n"
           "Bundle-Name: dep-b\nBundle-Version: 3.1.0\nBundle-License: Apache-2.0\n\n"
           "Name: org/b/\nImplementation-Version: 9.9\n",
           true);
    zw_finish(&zb);
    dep_b = zb.out;
    vg_buf_dispose(&zb.cd);

    struct zw z;
    zw_init(&z);
    zw_add(&z, "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: x\n", true);
    pom(&z, "com.acme", "app", "1.0");
    zw_add(&z, "BOOT-INF/classes/", "", false);
    zw_add_ex(&z, "BOOT-INF/lib/dep-a-2.0.jar", dep_a.data, dep_a.len, false, 0);
    zw_add_ex(&z, "BOOT-INF/lib/dep-b-3.1.0.jar", dep_b.data, dep_b.len, true, 0);
    zw_finish(&z);

    struct vg_pkg_list l = {0};
    cr_assert_eq(parse_jar(&l, "app/app-1.0.jar", &z.out), 0);
    cr_expect_eq(l.n, 4);
    const struct vg_pkg *p = find(&l, "com.acme:app", "1.0");
    cr_assert(p);
    cr_expect_str_eq(p->path, "app/app-1.0.jar");
    cr_expect_str_eq(p->kind, "jar");
    p = find(&l, "org.a:dep-a", "2.0");
    cr_assert(p);
    cr_expect_str_eq(p->path, "app/app-1.0.jar/BOOT-INF/lib/dep-a-2.0.jar");
    p = find(&l, "org.deep:deep", "0.1");
    cr_assert(p);
    cr_expect_str_eq(p->path, "app/app-1.0.jar/BOOT-INF/lib/dep-a-2.0.jar/lib/deep-0.1.jar");
    p = find(&l, "org.b:dep-b", "3.1.0");
    cr_assert(p, "Bundle-SymbolicName minus its last segment is the groupId; only the main "
                 "section counts");
    cr_assert_eq(p->nlicenses, 1);
    cr_expect_str_eq(p->licenses[0], "Apache-2.0");
    vg_inv_pkg_finalize(&l.v[0], NULL);
    vg_pkg_list_dispose(&l);
    zw_dispose(&z);
    vg_buf_dispose(&dep_a);
    vg_buf_dispose(&dep_b);
    vg_buf_dispose(&deep);
}

Test(inventory_java, war_lib_jars_and_purls)
{
    struct vg_buf lib;
    make_jar(&lib, "com.fasterxml.jackson.core", "jackson-databind", "2.9.10.6", NULL, NULL, false);
    struct zw z;
    zw_init(&z);
    pom(&z, "com.example", "web-app", "1.0-SNAPSHOT");
    zw_add_ex(&z, "WEB-INF/lib/jackson-databind-2.9.10.6.jar", lib.data, lib.len, true, 0);
    zw_finish(&z);
    struct vg_pkg_list l = {0};
    cr_assert_eq(parse_jar(&l, "srv/ROOT.war", &z.out), 0);
    cr_assert_eq(l.n, 2);
    for (size_t i = 0; i < l.n; i++) {
        vg_inv_pkg_finalize(&l.v[i], NULL);
    }
    const struct vg_pkg *p = find(&l, "com.fasterxml.jackson.core:jackson-databind", "2.9.10.6");
    cr_assert(p);
    cr_expect_str_eq(p->ecosystem, "Maven");
    cr_expect_str_eq(p->purl, "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10.6");
    vg_pkg_list_dispose(&l);
    zw_dispose(&z);
    vg_buf_dispose(&lib);
}

Test(inventory_java, manifest_only_and_file_name_only)
{
    struct zw z;
    zw_init(&z);
    zw_add(&z, "META-INF/MANIFEST.MF",
           "Manifest-Version: 1.0\r\nImplementation-Title: Spring \r\n Framework\r\n"
           "Implementation-Version: 2.5.6.SEC03\r\nImplementation-Vendor-Id: org.spr\r\n"
           " ingframework\r\n\r\n",
           false);
    zw_finish(&z);
    struct vg_pkg_list l = {0};
    cr_assert_eq(parse_jar(&l, "spring.jar", &z.out), 0);
    cr_assert_eq(l.n, 1);
    cr_expect_str_eq(l.v[0].name, "org.springframework:Spring Framework",
                     "continuation lines join");
    cr_expect_str_eq(l.v[0].version, "2.5.6.SEC03");
    vg_pkg_list_dispose(&l);
    zw_dispose(&z);

    /* Nothing inside: the file name speaks, without a groupId. */
    zw_init(&z);
    zw_add(&z, "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n", true);
    zw_add(&z, "a/B.class", "\xca\xfe\xba\xbe", false);
    zw_finish(&z);
    cr_assert_eq(parse_jar(&l, "lib/commons-lang3-3.12.0.jar", &z.out), 0);
    cr_assert_eq(l.n, 1);
    cr_expect_str_eq(l.v[0].name, "commons-lang3");
    cr_expect_str_eq(l.v[0].version, "3.12.0");
    vg_pkg_list_dispose(&l);
    cr_assert_eq(parse_jar(&l, "lib/no-version.jar", &z.out), 0);
    cr_expect_eq(l.n, 0, "no version in the name: nothing to report");
    vg_pkg_list_dispose(&l);
    zw_dispose(&z);
}

Test(inventory_java, pom_matching_file_name_suppresses_manifest)
{
    struct zw z;
    zw_init(&z);
    zw_add(&z, "META-INF/MANIFEST.MF",
           "Implementation-Title: Gizmo\nImplementation-Version: 1.1\n"
           "Implementation-Vendor: JBoss by Red Hat\n",
           true);
    pom(&z, "io.quarkus.gizmo", "gizmo", "1.1");
    /* Shaded copies of one pom.properties are reported once. */
    zw_add(&z, "a/pom.properties", "groupId=x\nartifactId=y\nversion=1\n", true);
    zw_add(&z, "b/pom.properties", "groupId=x\nartifactId=y\nversion=1\n", true);
    zw_add(&z, "c/pom.properties", "groupId=x\nartifactId=y\n", true);
    zw_finish(&z);
    struct vg_pkg_list l = {0};
    cr_assert_eq(parse_jar(&l, "io.quarkus.gizmo.gizmo-1.1.jar", &z.out), 0);
    cr_expect_eq(l.n, 2);
    cr_expect(find(&l, "io.quarkus.gizmo:gizmo", "1.1"));
    cr_expect(find(&l, "x:y", "1"));
    vg_pkg_list_dispose(&l);
    zw_dispose(&z);
}

Test(inventory_java, zip64_end_records_and_launcher_script)
{
    struct zw z;
    zw_init(&z);
    z.zip64 = true;
    pom(&z, "org.z", "z64", "6.4");
    zw_finish(&z);
    struct vg_pkg_list l = {0};
    cr_assert_eq(parse_jar(&l, "z64.jar", &z.out), 0, "%s", err ? err->msg : "");
    cr_assert_eq(l.n, 1);
    cr_expect_str_eq(l.v[0].name, "org.z:z64");
    vg_pkg_list_dispose(&l);

    /* "Fully executable" jar: a shell script prepended, offsets still archive-relative. */
    struct vg_buf exe = VG_BUF_INIT((size_t)1 << 30);
    const char *sh = "#!/bin/bash\nexec java -jar \"$0\" \"$@\"\n";
    putb(&exe, sh, strlen(sh));
    putb(&exe, z.out.data, z.out.len);
    cr_assert(vg_zip_sniff(exe.data, exe.len));
    cr_assert_eq(parse_jar(&l, "app.jar", &exe), 0, "%s", err ? err->msg : "");
    cr_expect_eq(l.n, 1);
    vg_pkg_list_dispose(&l);
    vg_buf_dispose(&exe);
    zw_dispose(&z);

    zw_init(&z);
    pom(&z, "org.y", "plain", "1");
    zw_finish(&z);
    exe = (struct vg_buf)VG_BUF_INIT((size_t)1 << 30);
    putb(&exe, sh, strlen(sh));
    putb(&exe, z.out.data, z.out.len);
    cr_assert_eq(parse_jar(&l, "app.jar", &exe), 0, "%s", err ? err->msg : "");
    cr_expect_eq(l.n, 1);
    vg_pkg_list_dispose(&l);
    vg_buf_dispose(&exe);
    zw_dispose(&z);
}

Test(inventory_java, python_egg)
{
    struct zw z;
    zw_init(&z);
    zw_add(&z, "EGG-INFO/PKG-INFO", "Metadata-Version: 1.1\nName: Foo_Bar\nVersion: 0.3\n\n", true);
    zw_add(&z, "foo_bar/__init__.py", "", false);
    zw_finish(&z);
    struct vg_pkg_list l = {0};
    cr_assert_eq(vg_inv_parse_egg(&l, "site/Foo_Bar-0.3-py3.egg", z.out.data, z.out.len, &err), 0);
    cr_assert_eq(l.n, 1);
    cr_expect_str_eq(l.v[0].name, "foo-bar");
    cr_expect_str_eq(l.v[0].kind, "python");
    vg_pkg_list_dispose(&l);
    zw_dispose(&z);
    zw_init(&z);
    zw_add(&z, "x.py", "", false);
    zw_finish(&z);
    cr_expect_lt(vg_inv_parse_egg(&l, "x.egg", z.out.data, z.out.len, &err), 0);
    cr_expect_eq(l.n, 0);
    zw_dispose(&z);
}

/* Nests jars `levels` deep, each with its own pom.properties. */
static void
nest(struct vg_buf *out, unsigned levels)
{
    struct vg_buf cur = VG_BUF_INIT(0);
    for (unsigned i = levels; i >= 1; i--) {
        char a[16], name[32];
        snprintf(a, sizeof(a), "n%u", i);
        snprintf(name, sizeof(name), "lib/n%u-1.jar", i + 1);
        struct vg_buf next;
        make_jar(&next, "org.n", a, "1", i < levels ? name : NULL, &cur, i % 2 == 0);
        vg_buf_dispose(&cur);
        cur = next;
    }
    *out = cur;
}

Test(inventory_java, nesting_depth_limit_and_limit_plus_one)
{
    struct vg_buf b;
    struct vg_pkg_list l = {0};
    nest(&b, VG_INV_MAX_JAR_DEPTH);
    cr_assert_eq(parse_jar(&l, "n1-1.jar", &b), 0);
    cr_expect_eq(l.n, VG_INV_MAX_JAR_DEPTH, "every level up to the limit is read");
    vg_pkg_list_dispose(&l);
    vg_buf_dispose(&b);
    nest(&b, VG_INV_MAX_JAR_DEPTH + 1);
    cr_assert_eq(parse_jar(&l, "n1-1.jar", &b), 0, "too deep is skipped, not fatal");
    cr_expect_eq(l.n, VG_INV_MAX_JAR_DEPTH);
    vg_pkg_list_dispose(&l);
    vg_buf_dispose(&b);
}

Test(inventory_java, declared_size_over_entry_limit_is_skipped)
{
    struct vg_buf inner;
    make_jar(&inner, "org.i", "i", "1", NULL, NULL, false);
    struct zw z;
    zw_init(&z);
    pom(&z, "org.o", "o", "1");
    zw_add_ex(&z, "lib/at-limit.jar", inner.data, inner.len, true, VG_INV_MAX_JAR_ENTRY_BYTES);
    zw_add_ex(&z, "lib/over.jar", inner.data, inner.len, true,
              (uint64_t)VG_INV_MAX_JAR_ENTRY_BYTES + 1);
    zw_add_ex(&z, "META-INF/maven/x/y/pom.properties", "groupId=a", 9, true, 1u << 30);
    zw_finish(&z);
    struct vg_pkg_list l = {0};
    cr_assert_eq(parse_jar(&l, "o.jar", &z.out), 0);
    cr_expect_eq(l.n, 2, "the outer pom and the member declared at the limit");
    cr_expect(find(&l, "org.i:i", "1"));
    vg_pkg_list_dispose(&l);
    zw_dispose(&z);
    vg_buf_dispose(&inner);
}

Test(inventory_java, jar_bomb_exceeds_total_budget, .timeout = 60)
{
    /* Members of zeros that each inflate to just under the per-member limit: the total
     * crosses VG_INV_MAX_JAR_TOTAL_BYTES and the archive is refused as a whole. */
    size_t each = VG_INV_MAX_JAR_ENTRY_BYTES - 1;
    unsigned n = VG_INV_MAX_JAR_TOTAL_BYTES / VG_INV_MAX_JAR_ENTRY_BYTES + 1;
    uint8_t *zeros = vg_calloc(each, 1);
    struct zw z;
    zw_init(&z);
    pom(&z, "org.bomb", "bomb", "1");
    for (unsigned i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "lib/b%u.jar", i);
        zw_add_ex(&z, name, zeros, each, true, 0);
    }
    zw_finish(&z);
    free(zeros);
    cr_log_info("bomb: %zu bytes inflating to %zu", z.out.len, (size_t)n * each);
    struct vg_pkg_list l = {0};
    cr_assert_lt(parse_jar(&l, "bomb.jar", &z.out), 0);
    cr_expect(vg_err_is(err, VG_E_LIMIT));
    cr_expect_eq(l.n, 0, "a refused archive leaks no packages");
    vg_pkg_list_dispose(&l);
    zw_dispose(&z);
}

Test(inventory_java, hostile_directories)
{
    struct zw z;
    zw_init(&z);
    pom(&z, "org.h", "h", "1");
    zw_finish(&z);
    struct vg_pkg_list l = {0};
    /* Truncated at every length: never a crash, never a half result. */
    for (size_t n = 0; n < z.out.len; n++) {
        int rc = vg_inv_parse_jar(&l, "t.jar", z.out.data, n, &err);
        vg_err_free(&err);
        if (rc < 0) {
            cr_assert_eq(l.n, 0);
        }
        vg_pkg_list_dispose(&l);
    }
    /* Central directory offset pointing past the end. */
    struct vg_buf bad = VG_BUF_INIT((size_t)1 << 20);
    putb(&bad, z.out.data, z.out.len);
    bad.data[bad.len - 6] = 0xff;
    bad.data[bad.len - 5] = 0xff;
    cr_expect_lt(vg_inv_parse_jar(&l, "t.jar", bad.data, bad.len, &err), 0);
    cr_expect(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
    /* A directory claiming more entries than the limit. */
    vg_buf_reset(&bad);
    putb(&bad, z.out.data, z.out.len);
    bad.data[bad.len - 12] = 0xff;
    bad.data[bad.len - 11] = 0xff;
    bad.data[bad.len - 14] = 0xff;
    bad.data[bad.len - 13] = 0xff;
    cr_expect_lt(vg_inv_parse_jar(&l, "t.jar", bad.data, bad.len, &err), 0);
    vg_err_free(&err);
    cr_expect_lt(vg_inv_parse_jar(&l, "t.jar", (const uint8_t *)"PK\3\4", 4, &err), 0);
    cr_expect_eq(l.n, 0);
    vg_buf_dispose(&bad);
    zw_dispose(&z);
}

static void
many_entries(struct zw *z, unsigned n)
{
    zw_init(z);
    z->zip64 = true; /* more than 65535 entries need the zip64 end record */
    for (unsigned i = 0; i < n; i++) {
        zw_add_ex(z, "d/", "", 0, false, 0);
    }
    zw_finish(z);
}

Test(inventory_java, entry_count_limit)
{
    struct zw z;
    struct vg_zip zip;
    many_entries(&z, VG_INV_MAX_JAR_ENTRIES);
    cr_assert_eq(vg_zip_open(&zip, z.out.data, z.out.len, VG_INV_MAX_JAR_ENTRIES, &err), 0, "%s",
                 err ? err->msg : "");
    cr_expect_eq(zip.n, VG_INV_MAX_JAR_ENTRIES);
    vg_zip_dispose(&zip);
    zw_dispose(&z);
    many_entries(&z, VG_INV_MAX_JAR_ENTRIES + 1);
    cr_assert_lt(vg_zip_open(&zip, z.out.data, z.out.len, VG_INV_MAX_JAR_ENTRIES, &err), 0);
    cr_expect(vg_err_is(err, VG_E_LIMIT));
    zw_dispose(&z);
}
