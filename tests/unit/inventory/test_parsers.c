/* SPDX-License-Identifier: Apache-2.0
 *
 * Hermetic tests of the inventory analyzers on small inputs written here (no ../shared):
 * dpkg, apk, OS detection, Python, Node, Go modinfo, rpm ndb (built with librpm's header
 * API), cargo, gemspec, composer, purls and ecosystems, the builder without a layer walker,
 * the SBOM reader, and hostile input (long lines, oversized JSON, garbage databases).
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rpm/header.h>
#include <rpm/rpmtag.h>

#include "inventory/inventory_int.h"

#define PARSE(fn, l, path, text) fn(&(l), (path), (const uint8_t *)(text), strlen(text), &err)

static struct vg_err *err;

static void
reset_err(void)
{
    vg_err_free(&err);
}

TestSuite(inventory_parsers, .fini = reset_err);

static const struct vg_pkg *
find(const struct vg_pkg_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].name, name) == 0) {
            return &l->v[i];
        }
    }
    return NULL;
}

Test(inventory_parsers, dpkg_status_fields_binnmu_and_status_filter)
{
    const char *st = "Package: libgcc-s1\nStatus: install ok installed\nArchitecture: amd64\n"
                     "Source: gcc-12 (12.2.0-14)\nVersion: 12.2.0-14\nDescription: x\n y\n\n"
                     "Package: zlib1g\nStatus: hold ok installed\nArchitecture: amd64\n"
                     "Source: zlib\nVersion: 1:1.2.13.dfsg-1+b1\n\n"
                     "Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\n"
                     "Package: purged\nStatus: purge ok not-installed\nVersion: 1.0\n\n"
                     "Package: novers\nStatus: install ok installed\n\n"
                     "Package: badvers\nStatus: install ok installed\nVersion: 1:5.#\n";
    struct vg_pkg_list l = {0};
    cr_assert_eq(PARSE(vg_inv_parse_dpkg_status, l, "var/lib/dpkg/status", st), 0);
    cr_assert_eq(l.n, 2);
    const struct vg_pkg *g = find(&l, "libgcc-s1");
    cr_assert_str_eq(g->src_name, "gcc-12");
    cr_assert_str_eq(g->src_version, "12.2.0-14");
    const struct vg_pkg *z = find(&l, "zlib1g");
    cr_assert_str_eq(z->src_name, "zlib");
    cr_assert_str_eq(z->src_version, "1:1.2.13.dfsg-1", "binNMU maps to the source version");
    char fam[] = "debian", ver[] = "12";
    struct vg_os_info os = {.family = fam, .version = ver};
    vg_inv_pkg_finalize(&l.v[1], &os);
    cr_assert_str_eq(z->ecosystem, "Debian:12");
    cr_assert_str_eq(
        z->purl, "pkg:deb/debian/zlib1g@1.2.13.dfsg-1%2Bb1?arch=amd64&distro=debian-12&epoch=1");
    vg_pkg_list_dispose(&l);
}

Test(inventory_parsers, dpkg_distroless_statusd_without_status_counts)
{
    const char *st = "Package: libssl3\nSource: openssl\nVersion: 3.0.15-1~deb12u1\n"
                     "Architecture: arm64\n";
    struct vg_pkg_list l = {0};
    cr_assert_eq(PARSE(vg_inv_parse_dpkg_status, l, "var/lib/dpkg/status.d/libssl3", st), 0);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.v[0].src_version, "3.0.15-1~deb12u1");
    vg_pkg_list_dispose(&l);
}

Test(inventory_parsers, dpkg_megabyte_description_line_is_skipped_not_fatal)
{
    size_t n = 1u << 20;
    struct vg_buf b = VG_BUF_INIT(4u << 20);
    cr_assert(vg_buf_append_str(&b, "Package: a\nVersion: 1.0\nDescription: ", NULL) == 0);
    for (size_t i = 0; i < n; i++) {
        cr_assert(vg_buf_appendc(&b, 'x', NULL) == 0);
    }
    cr_assert(vg_buf_append_str(&b, "\n\nPackage: b\nVersion: 2.0\n", NULL) == 0);
    struct vg_pkg_list l = {0};
    cr_assert_eq(vg_inv_parse_dpkg_status(&l, "status", b.data, b.len, &err), 0);
    cr_assert_eq(l.n, 2);
    vg_pkg_list_dispose(&l);
    vg_buf_dispose(&b);
}

Test(inventory_parsers, dpkg_megabyte_package_name_fails_the_file)
{
    struct vg_buf b = VG_BUF_INIT(4u << 20);
    cr_assert(vg_buf_append_str(&b, "Package: ok\nVersion: 1\n\nPackage: ", NULL) == 0);
    for (size_t i = 0; i < 2000; i++) {
        cr_assert(vg_buf_appendc(&b, 'x', NULL) == 0);
    }
    struct vg_pkg_list l = {0};
    cr_assert_lt(vg_inv_parse_dpkg_status(&l, "status", b.data, b.len, &err), 0);
    cr_assert_eq(l.n, 0, "a failed file leaks no packages");
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    vg_pkg_list_dispose(&l);
    vg_buf_dispose(&b);
}

Test(inventory_parsers, dpkg_file_lists)
{
    char **files = NULL;
    size_t n = 0;
    const char *list = "/.\n/usr\n/usr/bin/tar\n";
    cr_assert_eq(
        vg_inv_parse_dpkg_filelist(&files, &n, (const uint8_t *)list, strlen(list), false, &err),
        0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(files[1], "usr/bin/tar");
    for (size_t i = 0; i < n; i++) {
        free(files[i]);
    }
    free(files);
    const char *md5 = "0123456789abcdef0123456789abcdef  usr/bin/tar\n";
    cr_assert_eq(
        vg_inv_parse_dpkg_filelist(&files, &n, (const uint8_t *)md5, strlen(md5), true, &err), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(files[0], "usr/bin/tar");
    free(files[0]);
    free(files);
}

Test(inventory_parsers, apk_records_files_and_purl)
{
    const char *db = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nL:MIT\nF:lib\n"
                     "R:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\n"
                     "P:busybox-binsh\nV:1.36.1-r15\nA:x86_64\no:busybox\nL:GPL-2.0-only\n\n"
                     "P:noversion\n";
    struct vg_pkg_list l = {0};
    cr_assert_eq(PARSE(vg_inv_parse_apk, l, "lib/apk/db/installed", db), 0);
    cr_assert_eq(l.n, 2);
    cr_assert_eq(l.v[0].nfiles, 2);
    cr_assert_str_eq(l.v[0].files[0], "lib/ld-musl-x86_64.so.1");
    cr_assert_str_eq(l.v[1].src_name, "busybox");
    char fam[] = "alpine", ver[] = "3.19.1";
    struct vg_os_info os = {.family = fam, .version = ver};
    vg_inv_pkg_finalize(&l.v[0], &os);
    cr_assert_str_eq(l.v[0].ecosystem, "Alpine:v3.19");
    cr_assert_str_eq(l.v[0].purl, "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.19.1");
    vg_pkg_list_dispose(&l);
}

Test(inventory_parsers, apk_garbage_is_an_error)
{
    struct vg_pkg_list l = {0};
    cr_assert_lt(PARSE(vg_inv_parse_apk, l, "installed", "P:a\nV:1\nthis is not apk\n"), 0);
    cr_assert_eq(l.n, 0);
}

Test(inventory_parsers, os_detection_priority_and_fallbacks)
{
    struct vg_os_info os;
    const char *osr = "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n";
    const char *dv = "trixie/sid\n";
    struct vg_inv_os_file f[] = {
        {"etc/os-release", (const uint8_t *)osr, strlen(osr)},
        {"etc/debian_version", (const uint8_t *)dv, strlen(dv)},
    };
    vg_inv_os_detect(&os, f, 2, false);
    cr_assert_str_eq(os.family, "debian");
    cr_assert_str_eq(os.version, "trixie/sid");
    vg_os_info_dispose(&os);

    const char *rh = "Rocky Linux release 8.4 (Green Obsidian)\n";
    struct vg_inv_os_file g[] = {{"etc/redhat-release", (const uint8_t *)rh, strlen(rh)}};
    vg_inv_os_detect(&os, g, 1, false);
    cr_assert_str_eq(os.family, "rocky");
    cr_assert_str_eq(os.version, "8.4");
    char *eco = vg_inv_os_ecosystem(&os);
    cr_assert_str_eq(eco, "Rocky Linux:8");
    free(eco);
    vg_os_info_dispose(&os);

    vg_inv_os_detect(&os, NULL, 0, true);
    cr_assert_str_eq(os.family, "distroless");
    vg_os_info_dispose(&os);

    const char *unk = "ID=plan9\nVERSION_ID=4\n";
    struct vg_inv_os_file u[] = {{"etc/os-release", (const uint8_t *)unk, strlen(unk)}};
    vg_inv_os_detect(&os, u, 1, false);
    cr_assert_null(os.family, "unknown IDs are not guessed");
}

Test(inventory_parsers, python_metadata_pep503_and_licenses)
{
    const char *m = "Metadata-Version: 2.1\nName: Zope.Interface_x\nVersion: 6.1\n"
                    "License: UNKNOWN\nClassifier: License :: OSI Approved :: Zope Public License\n"
                    "\nName: NotThis\n";
    struct vg_pkg_list l = {0};
    cr_assert_eq(PARSE(vg_inv_parse_python_metadata, l, "x.dist-info/METADATA", m), 0);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.v[0].name, "zope-interface-x");
    cr_assert_eq(l.v[0].nlicenses, 1);
    cr_assert_str_eq(l.v[0].licenses[0], "Zope Public License");
    vg_inv_pkg_finalize(&l.v[0], NULL);
    cr_assert_str_eq(l.v[0].purl, "pkg:pypi/zope-interface-x@6.1");
    vg_pkg_list_dispose(&l);
    cr_assert_lt(PARSE(vg_inv_parse_python_metadata, l, "PKG-INFO", "Summary: none\n"), 0);
}

Test(inventory_parsers, node_package_json_scoped_purl_and_not_json)
{
    struct vg_pkg_list l = {0};
    cr_assert_eq(PARSE(vg_inv_parse_npm_package_json, l, "node_modules/@a/b/package.json",
                       "{\"name\":\"@a/b\",\"version\":\"1.0.0\",\"license\":{\"type\":\"MIT\"}}"),
                 0);
    vg_inv_pkg_finalize(&l.v[0], NULL);
    cr_assert_str_eq(l.v[0].purl, "pkg:npm/%40a/b@1.0.0");
    cr_assert_str_eq(l.v[0].ecosystem, "npm");
    cr_assert_str_eq(l.v[0].licenses[0], "MIT");
    vg_pkg_list_dispose(&l);
    cr_assert_lt(PARSE(vg_inv_parse_npm_package_json, l, "package.json", "{not json"), 0);
    reset_err();
    cr_assert_lt(PARSE(vg_inv_parse_npm_package_json, l, "package.json",
                       "{\"name\":\"a\",\"name\":\"b\",\"version\":\"1\"}"),
                 0, "duplicate keys are rejected");
}

Test(inventory_parsers, node_oversized_package_json_is_a_limit_error)
{
    size_t n = VG_INV_MAX_JSON_BYTES + 1;
    uint8_t *big = vg_malloc(n);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    struct vg_pkg_list l = {0};
    cr_assert_lt(vg_inv_parse_npm_package_json(&l, "package.json", big, n, &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    free(big);
}

Test(inventory_parsers, npm_lock_v1_and_v3_dedup)
{
    const char *v3 = "{\"lockfileVersion\":3,\"packages\":{\"\":{\"version\":\"1.0.0\"},"
                     "\"node_modules/a\":{\"version\":\"1.0.0\"},"
                     "\"node_modules/b/node_modules/a\":{\"version\":\"1.0.0\"},"
                     "\"node_modules/@s/c\":{\"version\":\"2.0.0\",\"dev\":true},"
                     "\"packages/ws\":{\"link\":true}}}";
    struct vg_pkg_list l = {0};
    cr_assert_eq(PARSE(vg_inv_parse_npm_lock, l, "package-lock.json", v3), 0);
    cr_assert_eq(l.n, 2);
    cr_assert_not_null(find(&l, "@s/c"));
    vg_pkg_list_dispose(&l);
    const char *v1 = "{\"lockfileVersion\":1,\"dependencies\":{\"x\":{\"version\":\"1.0.0\","
                     "\"dependencies\":{\"y\":{\"version\":\"0.1.0\"}}}}}";
    cr_assert_eq(PARSE(vg_inv_parse_npm_lock, l, "package-lock.json", v1), 0);
    cr_assert_eq(l.n, 2);
    vg_pkg_list_dispose(&l);
}

Test(inventory_parsers, yarn_and_pnpm_locks)
{
    const char *y1 = "# yarn lockfile v1\n\n\"@babel/x@^7.0.0\", \"@babel/x@^7.4.4\":\n"
                     "  version \"7.4.4\"\n  resolved \"https://r\"\n\nleft-pad@^1.0.0:\n"
                     "  version \"1.3.0\"\n";
    struct vg_pkg_list l = {0};
    cr_assert_eq(PARSE(vg_inv_parse_yarn_lock, l, "yarn.lock", y1), 0);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(find(&l, "@babel/x")->version, "7.4.4");
    vg_pkg_list_dispose(&l);
    const char *p5 = "lockfileVersion: 5.3\npackages:\n\n  /asap/2.0.6:\n    dev: false\n"
                     "  /@types/node/18.0.0_abc:\n    dev: true\n";
    cr_assert_eq(PARSE(vg_inv_parse_pnpm_lock, l, "pnpm-lock.yaml", p5), 0);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(find(&l, "@types/node")->version, "18.0.0");
    vg_pkg_list_dispose(&l);
    const char *p9 = "lockfileVersion: '9.0'\npackages:\n  '@a/b@1.0.0':\n    x: y\n"
                     "  c@2.0.0(peer@1.0.0):\n    x: y\nsnapshots:\n  d@1.0.0: {}\n";
    cr_assert_eq(PARSE(vg_inv_parse_pnpm_lock, l, "pnpm-lock.yaml", p9), 0);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(find(&l, "c")->version, "2.0.0");
    vg_pkg_list_dispose(&l);
}

/* Issue 10 fuzz finding: an indented last line of exactly 2 bytes made the yarn parser read
 * line.ptr[2], one past the input. The input is placed right before a PROT_NONE page so that
 * an over-read faults even without ASan. */
Test(inventory_parsers, yarn_lock_short_indented_last_line_stays_in_bounds)
{
    const char *tail = "a@^1:\n n";
    size_t len = strlen(tail);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(map, MAP_FAILED);
    cr_assert_eq(mprotect(map + pg, pg, PROT_NONE), 0);
    uint8_t *in = map + pg - len;
    memcpy(in, tail, len);
    struct vg_pkg_list l = {0};
    cr_assert_eq(vg_inv_parse_yarn_lock(&l, "yarn.lock", in, len, &err), 0);
    cr_assert_eq(l.n, 0);
    vg_pkg_list_dispose(&l);
    memcpy(map + pg - 2, " n", 2);
    cr_assert_eq(vg_inv_parse_yarn_lock(&l, "yarn.lock", map + pg - 2, 2, &err), 0);
    vg_pkg_list_dispose(&l);
    munmap(map, 2 * pg);
}

Test(inventory_parsers, go_modinfo_replacements_ldflags_and_stdlib)
{
    const char *mi =
        "path\texample.com/cmd/app\nmod\texample.com\t(devel)\t\n"
        "dep\tgithub.com/a/b\tv1.2.3\th1:x=\n"
        "dep\tgolang.org/x/net\tv0.1.0\th1:y=\n=>\tgithub.com/fork/net\tv0.2.0\th1:z=\n"
        "build\t-ldflags=\"-s -X main.version=v1.4.0\"\n";
    struct vg_pkg_list l = {0};
    cr_assert_eq(vg_inv_go_modinfo(&l, "usr/bin/app", "go1.22.1 X:loopvar", mi, strlen(mi), &err),
                 0);
    cr_assert_eq(l.n, 4);
    cr_assert_str_eq(find(&l, "example.com")->version, "v1.4.0");
    cr_assert_str_eq(find(&l, "github.com/fork/net")->version, "v0.2.0");
    cr_assert_null(find(&l, "golang.org/x/net"));
    const struct vg_pkg *std = find(&l, "stdlib");
    cr_assert_str_eq(std->version, "v1.22.1");
    vg_inv_pkg_finalize(&l.v[0], NULL);
    cr_assert_str_eq(l.v[0].purl, "pkg:golang/github.com/a/b@v1.2.3");
    vg_pkg_list_dispose(&l);
}

/* A minimal ELF64 with a Go >= 1.18 build-info blob in its writable segment. */
static uint8_t *
fake_go_elf(size_t *len, size_t pad)
{
    static const char ver[] = "go1.21.5";
    static const char mod[] = "path\tex.com/x\nmod\tex.com/x\tv1.0.0\t\n";
    static const uint8_t s1[16] = {0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02,
                                   0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6};
    static const uint8_t s2[16] = {0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72,
                                   0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2};
    size_t bi = 4096 + pad;
    size_t n = bi + 32 + 1 + sizeof(ver) + 1 + 32 + sizeof(mod) + 64;
    uint8_t *b = vg_calloc(1, n);
    memcpy(b,
           "\x7f"
           "ELF\x02\x01\x01",
           7);
    memcpy(b + bi, "\xff Go buildinf:\x08\x02", 16);
    size_t o = bi + 32;
    b[o++] = (uint8_t)(sizeof(ver) - 1);
    memcpy(b + o, ver, sizeof(ver) - 1);
    o += sizeof(ver) - 1;
    b[o++] = (uint8_t)(32 + sizeof(mod) - 1);
    memcpy(b + o, s1, 16);
    memcpy(b + o + 16, mod, sizeof(mod) - 1);
    memcpy(b + o + 16 + sizeof(mod) - 1, s2, 16);
    *len = n;
    return b;
}

Test(inventory_parsers, gobinary_streaming_any_chunking)
{
    size_t len;
    uint8_t *elf = fake_go_elf(&len, 1u << 16);
    for (size_t chunk = 1; chunk < 300; chunk += 37) {
        struct vg_inv_gostream *s = vg_inv_gostream_new();
        for (size_t off = 0; off < len; off += chunk) {
            vg_inv_gostream_feed(s, elf + off, len - off < chunk ? len - off : chunk);
        }
        struct vg_pkg_list l = {0};
        cr_assert_eq(vg_inv_gostream_finish(s, &l, "bin/x", &err), 0);
        vg_inv_gostream_free(s);
        cr_assert_eq(l.n, 2, "chunk %zu", chunk);
        cr_assert_str_eq(find(&l, "ex.com/x")->version, "v1.0.0");
        cr_assert_str_eq(find(&l, "stdlib")->version, "v1.21.5");
        vg_pkg_list_dispose(&l);
    }
    free(elf);
}

Test(inventory_parsers, gobinary_not_go_and_malformed)
{
    struct vg_pkg_list l = {0};
    cr_assert_eq(PARSE(vg_inv_parse_gobinary, l, "bin/sh", "#!/bin/sh\necho hi\n"), 0);
    cr_assert_eq(l.n, 0);
    size_t len;
    uint8_t *elf = fake_go_elf(&len, 0);
    /* truncate right after the magic: present but unreadable -> an error, not a crash */
    cr_assert_lt(vg_inv_parse_gobinary(&l, "bin/x", elf, 4096 + 20, &err), 0);
    cr_assert_eq(l.n, 0);
    free(elf);
}

/* Builds an ndb Packages.db holding the given headers. */
static uint8_t *
make_ndb(Header *hs, size_t nh, size_t *len)
{
    size_t cap = 4096 + nh * 65536;
    uint8_t *b = vg_calloc(1, cap);
    uint32_t hdr[8] = {0x506d7052u, 0, 1, 1, 0, 0, 0, 0};
    memcpy(b, hdr, sizeof(hdr));
    size_t blob_off = 4096;
    for (size_t i = 0; i < 4096 / 16 - 2; i++) {
        uint32_t slot[4] = {0x746f6c53u, 0, 0, 0};
        if (i < nh) {
            unsigned int sz = 0;
            void *blob = headerExport(hs[i], &sz);
            uint32_t bh[4] = {0x53626c42u, (uint32_t)(i + 1), 0, sz};
            memcpy(b + blob_off, bh, 16);
            memcpy(b + blob_off + 16, blob, sz);
            free(blob);
            slot[1] = (uint32_t)(i + 1);
            slot[2] = (uint32_t)(blob_off / 16);
            slot[3] = (uint32_t)((16 + sz + 15) / 16);
            blob_off += (16 + sz + 15) / 16 * 16;
        }
        memcpy(b + 32 + i * 16, slot, 16);
    }
    *len = blob_off;
    return b;
}

Test(inventory_parsers, rpm_ndb_built_with_librpm_headers)
{
    Header h = headerNew();
    headerPutString(h, RPMTAG_NAME, "openssl-libs");
    headerPutString(h, RPMTAG_VERSION, "3.0.7");
    headerPutString(h, RPMTAG_RELEASE, "27.el9");
    uint32_t epoch = 1;
    headerPutUint32(h, RPMTAG_EPOCH, &epoch, 1);
    headerPutString(h, RPMTAG_ARCH, "x86_64");
    headerPutString(h, RPMTAG_SOURCERPM, "openssl-3.0.7-27.el9.src.rpm");
    headerPutString(h, RPMTAG_LICENSE, "ASL 2.0");
    Header hs[1] = {h};
    size_t len;
    uint8_t *db = make_ndb(hs, 1, &len);
    struct vg_pkg_list l = {0};
    cr_assert_eq(vg_inv_parse_rpmdb(&l, "var/lib/rpm/Packages.db", db, len, &err), 0);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.v[0].version, "1:3.0.7-27.el9");
    cr_assert_str_eq(l.v[0].src_name, "openssl");
    cr_assert_str_eq(l.v[0].src_version, "1:3.0.7-27.el9");
    char fam[] = "rhel", ver[] = "9.4";
    struct vg_os_info os = {.family = fam, .version = ver};
    vg_inv_pkg_finalize(&l.v[0], &os);
    cr_assert_str_eq(
        l.v[0].purl,
        "pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=redhat-9.4&epoch=1");
    vg_pkg_list_dispose(&l);
    /* every truncation of the database fails cleanly */
    for (size_t cut = 0; cut < len; cut += 97) {
        struct vg_pkg_list t = {0};
        int rc = vg_inv_parse_rpmdb(&t, "Packages.db", db, cut, &err);
        cr_assert(rc < 0 || t.n <= 1);
        vg_pkg_list_dispose(&t);
        reset_err();
    }
    free(db);
    headerFree(h);
}

Test(inventory_parsers, rpm_garbage_is_an_error)
{
    struct vg_pkg_list l = {0};
    cr_assert_lt(PARSE(vg_inv_parse_rpmdb, l, "Packages", "garbage garbage garbage"), 0);
    reset_err();
    uint8_t sq[4096] = "SQLite format 3";
    cr_assert_lt(vg_inv_parse_rpmdb(&l, "rpmdb.sqlite", sq, sizeof(sq), &err), 0);
    cr_assert_eq(l.n, 0);
}

Test(inventory_parsers, cargo_gemspec_composer)
{
    const char *cl = "version = 3\n[[package]]\nname = \"libc\"\nversion = \"0.2.54\"\n"
                     "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n"
                     "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n[metadata]\nx = 1\n";
    struct vg_pkg_list l = {0};
    cr_assert_eq(PARSE(vg_inv_parse_cargo_lock, l, "Cargo.lock", cl), 0);
    cr_assert_eq(l.n, 2);
    vg_inv_pkg_finalize(&l.v[0], NULL);
    cr_assert_str_eq(l.v[0].purl, "pkg:cargo/libc@0.2.54");
    vg_pkg_list_dispose(&l);
    const char *gs = "Gem::Specification.new do |s|\n  s.name = \"rake\".freeze\n"
                     "  s.version = \"13.0.3\"\n  s.licenses = [\"MIT\".freeze, \"Ruby\"]\nend\n";
    cr_assert_eq(PARSE(vg_inv_parse_gemspec, l, "specifications/rake.gemspec", gs), 0);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.v[0].nlicenses, 2);
    vg_pkg_list_dispose(&l);
    const char *cj = "[{\"name\":\"psr/log\",\"version\":\"1.1.4\",\"license\":[\"MIT\"]}]";
    cr_assert_eq(PARSE(vg_inv_parse_composer, l, "vendor/composer/installed.json", cj), 0);
    vg_inv_pkg_finalize(&l.v[0], NULL);
    cr_assert_str_eq(l.v[0].purl, "pkg:composer/psr/log@1.1.4");
    cr_assert_str_eq(l.v[0].ecosystem, "Packagist");
    vg_pkg_list_dispose(&l);
}

static struct vg_layer_file
lf(const char *path, size_t layer, uint32_t mode)
{
    return (struct vg_layer_file){.path = path, .size = 1, .mode = mode, .layer_index = layer};
}

static void
feed(struct vg_inventory_builder *b, const char *path, size_t layer, const char *text)
{
    size_t n;
    struct vg_layer_consumer *c = vg_inventory_builder_consumers(b, &n)[0];
    struct vg_layer_file f = lf(path, layer, 0100644);
    cr_assert_eq(c->want(c->ctx, &f), VG_WANT_WHOLE, "%s", path);
    cr_assert_eq(c->on_file(c->ctx, &f, (const uint8_t *)text, strlen(text), &err), 0);
}

Test(inventory_parsers, builder_attribution_ownership_and_warnings)
{
    struct vg_inventory_builder *b = vg_inventory_builder_new(NULL);
    size_t n;
    struct vg_layer_consumer *c = vg_inventory_builder_consumers(b, &n)[0];
    struct vg_layer_file other = lf("usr/share/doc/readme", 0, 0100644);
    cr_assert_eq(c->want(c->ctx, &other), VG_WANT_NONE);
    feed(b, "etc/os-release", 0, "ID=ubuntu\nVERSION_ID=\"22.04\"\n");
    feed(b, "var/lib/dpkg/status", 0, "Package: a\nVersion: 1\n\nPackage: py\nVersion: 2\n");
    feed(b, "var/lib/dpkg/info/py.list", 0,
         "/usr/lib/python3/dist-packages/x.egg-info\n"
         "/usr/lib/python3/dist-packages/x.egg-info/PKG-INFO\n");
    feed(b, "usr/lib/python3/dist-packages/x.egg-info/PKG-INFO", 0, "Name: x\nVersion: 2\n");
    feed(b, "var/lib/dpkg/status", 1,
         "Package: a\nVersion: 1\n\nPackage: py\nVersion: 2\n\nPackage: b\nVersion: 3\n");
    feed(b, "srv/node_modules/q/package.json", 1, "{broken");
    struct vg_inventory *inv = NULL;
    cr_assert_eq(vg_inventory_builder_finish(&inv, b, NULL, &err), 0);
    cr_assert_str_eq(inv->os.family, "ubuntu");
    cr_assert_eq(inv->warnings, 1);
    /* Without a layers result every record counts as present, so both status copies are
     * reported; attribution still points each package at its first layer. */
    size_t a_first = 99, b_layer = 99, python = 0;
    for (size_t i = 0; i < inv->npkgs; i++) {
        const struct vg_pkg *p = &inv->pkgs[i];
        if (strcmp(p->name, "a") == 0 && p->layer_index < a_first) {
            a_first = p->layer_index;
        }
        if (strcmp(p->name, "b") == 0) {
            b_layer = p->layer_index;
            cr_assert_str_eq(p->ecosystem, "Ubuntu:22.04");
        }
        python += strcmp(p->kind, "python") == 0;
    }
    cr_assert_eq(a_first, 0);
    cr_assert_eq(b_layer, 1);
    cr_assert_eq(python, 0, "x is owned by dpkg package py and not reported twice");
    vg_inventory_free(inv);
    vg_inventory_builder_free(b);
}

Test(inventory_parsers, sbom_roundtrip_cyclonedx_and_spdx)
{
    struct vg_pkg_list l = {0};
    struct vg_pkg *a = vg_pkg_list_add(&l, &err);
    a->type = VG_PKG_OS;
    a->kind = vg_strdup("dpkg");
    a->name = vg_strdup("libc6");
    a->version = vg_strdup("1:2.36-9");
    a->arch = vg_strdup("amd64");
    struct vg_pkg *j0 = vg_pkg_list_add(&l, &err);
    j0->type = VG_PKG_LIBRARY;
    j0->kind = vg_strdup("jar");
    j0->name = vg_strdup("org.apache:commons-text");
    j0->version = vg_strdup("1.9");
    struct vg_inventory *inv = vg_calloc(1, sizeof(*inv));
    inv->os.family = vg_strdup("debian");
    inv->os.version = vg_strdup("12");
    for (size_t i = 0; i < l.n; i++) {
        vg_inv_pkg_finalize(&l.v[i], &inv->os);
    }
    inv->pkgs = l.v;
    inv->npkgs = l.n;
    for (int f = VG_SBOM_CYCLONEDX; f <= VG_SBOM_SPDX_JSON; f++) {
        json_t *doc = vg_sbom_build(inv, NULL, (enum vg_sbom_format)f);
        char *s = vg_json_dump(doc, false);
        struct vg_inventory *back = NULL;
        cr_assert_eq(vg_sbom_read(&back, s, strlen(s), &err), 0);
        cr_assert_eq(back->npkgs, 2);
        const struct vg_pkg *d =
            strcmp(back->pkgs[0].kind, "dpkg") == 0 ? &back->pkgs[0] : &back->pkgs[1];
        const struct vg_pkg *j = d == &back->pkgs[0] ? &back->pkgs[1] : &back->pkgs[0];
        cr_assert_str_eq(d->name, "libc6");
        cr_assert_str_eq(d->version, "1:2.36-9");
        cr_assert_str_eq(d->ecosystem, "Debian:12");
        cr_assert_eq(d->type, VG_PKG_OS);
        cr_assert_str_eq(j->name, "org.apache:commons-text");
        cr_assert_str_eq(j->ecosystem, "Maven");
        cr_assert_str_eq(j->purl, "pkg:maven/org.apache/commons-text@1.9");
        vg_inventory_free(back);
        free(s);
        json_decref(doc);
    }
    vg_inventory_free(inv);
    struct vg_inventory *none = NULL;
    cr_assert_lt(vg_sbom_read(&none, "{\"x\":1}", 7, &err), 0);
}

/* Issue 10 fuzz finding: an OS component with a version but no name, then a purl naming a
 * distro. The distro's OS info replaces the partial one (the old version used to leak: the
 * ASan build of this test catches a regression). */
Test(inventory_parsers, sbom_read_nameless_os_component_then_distro_purl)
{
    const char *doc = "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"components\":["
                      "{\"type\":\"operating-system\",\"version\":\"11\"},"
                      "{\"type\":\"library\",\"name\":\"libc6\",\"version\":\"2.36-9\","
                      "\"purl\":\"pkg:deb/debian/libc6@2.36-9?distro=debian-12\"}]}";
    struct vg_inventory *inv = NULL;
    cr_assert_eq(vg_sbom_read(&inv, doc, strlen(doc), &err), 0);
    cr_assert_eq(inv->npkgs, 1);
    cr_assert_str_eq(inv->os.family, "debian");
    cr_assert_str_eq(inv->os.version, "12");
    cr_assert_str_eq(inv->pkgs[0].ecosystem, "Debian:12");
    vg_inventory_free(inv);
}

static void
copyright(const char *text, char ***lics, size_t *n)
{
    cr_assert_eq(vg_inv_parse_dpkg_copyright(lics, n, (const uint8_t *)text, strlen(text), &err),
                 0);
}

static void
free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

Test(inventory_parsers, dpkg_copyright_machine_readable_and_common_licenses)
{
    char **l = NULL;
    size_t n = 0;
    copyright("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
              "Files: *\nCopyright: 2000 A\nLicense: GPL-2+\n This program is free...\n\n"
              "Files: lib/*\nLicense: LGPL-2.1+ or Artistic, and BSD-3-clause\n\n"
              "Files: x\nLicense: Expat\n\nFiles: y\nLicense: GPL-2+\n\n"
              "License: The MIT License (MIT)\n\nLicense: LGPLv3+_or_GPLv2+\n\n"
              "License: GPL-2+ with OpenSSL exception\n\n"
              "License: Permission to use, copy, modify, and distribute this software\n",
              &l, &n);
    cr_assert_eq(n, 6, "\"The MIT License (MIT)\" is MIT again; prose is no license name");
    cr_expect_str_eq(l[0], "GPL-2.0-or-later");
    cr_expect_str_eq(l[1], "LGPL-2.1-or-later");
    cr_expect_str_eq(l[2], "Artistic");
    cr_expect_str_eq(l[3], "BSD-3-Clause");
    cr_expect_str_eq(l[4], "MIT");
    cr_expect_str_eq(l[5], "LGPL-3.0-or-later");
    free_strv(l, n);
    copyright("This package is free software.\nOn Debian systems, the complete text of the GNU "
              "General\nPublic License can be found in `/usr/share/common-licenses/GPL-2'.\n"
              "See /usr/share/common-licenses/Apache-2.0.\n",
              &l, &n);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(l[0], "GPL-2.0-only");
    cr_expect_str_eq(l[1], "Apache-2.0");
    free_strv(l, n);
    copyright("no license information at all\n", &l, &n);
    cr_expect_eq(n, 0);
    free_strv(l, n);
}

Test(inventory_parsers, dpkg_copyright_shared_fixtures)
{
    static const char *const want[][4] = {
        {"all-patterns-copyright", "GPL-2.0-or-later", "GPL-2.0-only", NULL},
        {"common-license-copyright", "GPL-2.0-only", NULL, NULL},
        {"license-pattern-and-classifier-copyright", "GPL-1.0-or-later", "Artistic",
         "BSD-4-clause-POWERDOG"},
        {"no-license-copyright", NULL, NULL, NULL},
    };
    const char *sd = getenv("SHARED_DIR") ? getenv("SHARED_DIR") : "/work/shared";
    for (size_t i = 0; i < VG_ARRAY_LEN(want); i++) {
        vg_autofree char *path = vg_fmt("%s/fixtures/pkgdb/dpkg/%s", sd, want[i][0]);
        vg_autobuf struct vg_buf b = VG_BUF_INIT(1u << 20);
        if (vg_file_read(&b, path, b.max, &err) < 0) {
            cr_skip_test("../shared is absent");
        }
        char **l = NULL;
        size_t n = 0;
        cr_assert_eq(vg_inv_parse_dpkg_copyright(&l, &n, b.data, b.len, &err), 0);
        for (size_t k = 1; k < 4 && want[i][k]; k++) {
            bool found = false;
            for (size_t j = 0; j < n; j++) {
                found |= strcmp(l[j], want[i][k]) == 0;
            }
            cr_expect(found, "%s: %s not found", want[i][0], want[i][k]);
        }
        if (!want[i][1]) {
            cr_expect_eq(n, 0, "%s", want[i][0]);
        }
        free_strv(l, n);
    }
}

/* Found by fuzz_inv_dpkg_copyright: NUL bytes were taken into a license name (strchr matches
 * the terminator), which then read back as "" or a truncated name. */
Test(inventory_parsers, dpkg_copyright_nul_and_control_bytes_are_no_license_name)
{
    static const char text[] = "See /usr/share/common-licenses/\0\0GPL-2\n"
                               "License: MIT\0x, BSD-3-clause\n"
                               "License: Zlib\x01\n"
                               "See /usr/share/common-licenses/Apache-2.0\0.\n";
    char **l = NULL;
    size_t n = 0;
    cr_assert_eq(vg_inv_parse_dpkg_copyright(&l, &n, (const uint8_t *)text, sizeof(text) - 1, &err),
                 0);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(l[0], "Apache-2.0");
    free_strv(l, n);
}

Test(inventory_parsers, dpkg_copyright_hostile_long_line)
{
    size_t n = VG_LIMIT_LINE_BYTES + 10;
    char *big = vg_malloc(n + 1);
    memset(big, 'a', n);
    memcpy(big, "License: ", 9);
    big[n] = '\0';
    char **l = NULL;
    size_t k = 0;
    cr_expect_lt(vg_inv_parse_dpkg_copyright(&l, &k, (const uint8_t *)big, n, &err), 0);
    cr_expect(vg_err_is(err, VG_E_LIMIT));
    free(big);
}
