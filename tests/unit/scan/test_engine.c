/* SPDX-License-Identifier: Apache-2.0
 *
 * Scan engine pieces that need no image: the CycloneDX writer's unique vulnerability entries,
 * the analysis cache round trip (and its refusal of foreign or torn entries), the filters and
 * the --exit-code count.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan/scan.h"
#include "scan/scan_int.h"

#include "../../support/scanreport.h"

/* minimist 1.2.0 found twice (lock file and installed manifest), with the same CVE on each,
 * plus lodash with one CVE. */
static struct vg_scan_report *
sample_report(void)
{
    struct vg_scan_report *r = report_new(3, 4);
    pkg_set(&r->inv->pkgs[0], "minimist", "1.2.0", "app/node_modules/minimist/package.json");
    pkg_set(&r->inv->pkgs[1], "minimist", "1.2.0", "app/package-lock.json");
    pkg_set(&r->inv->pkgs[2], "lodash", "4.17.15", "app/node_modules/lodash/package.json");
    vuln_set(&r->vulns[0], "CVE-2021-44906", 0, VG_SEV_CRITICAL, "1.2.6");
    vuln_set(&r->vulns[1], "CVE-2021-44906", 1, VG_SEV_CRITICAL, "1.2.6");
    vuln_set(&r->vulns[2], "CVE-2020-8203", 2, VG_SEV_HIGH, "4.17.20");
    vuln_set(&r->vulns[3], "CVE-2099-0001", 2, VG_SEV_LOW, NULL);
    return r;
}

Test(scan_engine, cyclonedx_vulnerabilities_are_unique_and_list_every_component)
{
    struct vg_scan_report *r = sample_report();
    json_t *doc = vg_report_cyclonedx(r);
    cr_assert_not_null(doc);
    json_t *vulns = json_object_get(doc, "vulnerabilities");
    cr_assert_eq(json_array_size(vulns), 3, "one entry per vulnerability and name@version");
    json_t *mm = json_array_get(vulns, 0);
    cr_assert_str_eq(vg_json_str(mm, "id"), "CVE-2021-44906");
    json_t *aff = json_object_get(mm, "affects");
    cr_assert_eq(json_array_size(aff), 2, "both minimist components are affected");
    const char *a = vg_json_str(json_array_get(aff, 0), "ref");
    const char *b = vg_json_str(json_array_get(aff, 1), "ref");
    cr_assert(a && b && strcmp(a, b) != 0, "each component by its own bom-ref: %s %s", a, b);
    for (size_t i = 0; i < json_array_size(vulns); i++) {
        for (size_t k = i + 1; k < json_array_size(vulns); k++) {
            cr_assert_str_neq(vg_json_str(json_array_get(vulns, i), "bom-ref"),
                              vg_json_str(json_array_get(vulns, k), "bom-ref"));
        }
    }
    json_decref(doc);
    vg_scan_report_free(r);
}

Test(scan_engine, cyclonedx_keeps_suppressed_and_unsuppressed_apart)
{
    struct vg_scan_report *r = sample_report();
    r->vulns[1].suppressed_by = vg_strdup("vex: vulnerable_code_not_in_execute_path");
    json_t *doc = vg_report_cyclonedx(r);
    json_t *vulns = json_object_get(doc, "vulnerabilities");
    cr_assert_eq(json_array_size(vulns), 4);
    size_t with_analysis = 0;
    for (size_t i = 0; i < json_array_size(vulns); i++) {
        json_t *v = json_array_get(vulns, i);
        with_analysis += json_object_get(v, "analysis") != NULL;
        for (size_t k = i + 1; k < json_array_size(vulns); k++) {
            cr_assert_str_neq(vg_json_str(v, "bom-ref"),
                              vg_json_str(json_array_get(vulns, k), "bom-ref"));
        }
    }
    cr_assert_eq(with_analysis, 1);
    json_decref(doc);
    vg_scan_report_free(r);
}

static char *
fresh_cache_home(void)
{
    char tmpl[] = "/tmp/vg-scan-cache-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    setenv("XDG_CACHE_HOME", tmpl, 1);
    return vg_strdup(tmpl);
}

Test(scan_engine, cache_round_trip_keeps_inventory_and_findings)
{
    vg_autofree char *home = fresh_cache_home();
    cr_assert_eq(home[0], '/');
    struct vg_scan_report *r = sample_report();
    r->inv->os.family = vg_strdup("debian");
    r->inv->os.version = vg_strdup("12");
    r->nsecrets = 1;
    r->secrets = vg_calloc(1, sizeof(*r->secrets));
    r->secrets[0].f.rule_id = vg_strdup("aws-access-key-id");
    r->secrets[0].f.path = vg_strdup("/app/.env");
    r->secrets[0].f.severity = VG_SCAN_SEV_CRITICAL;
    r->secrets[0].f.start_line = 2;
    r->secrets[0].layer = 1;
    vg_scan_cache_store(r, "k1", "i1");

    struct vg_scan_report *back = vg_calloc(1, sizeof(*back));
    cr_assert_eq(vg_scan_cache_load(back, "k1", "i1"), 0);
    cr_assert_eq(back->inv->npkgs, 3);
    cr_assert_str_eq(back->inv->pkgs[1].path, "app/package-lock.json");
    cr_assert_str_eq(back->inv->os.family, "debian");
    cr_assert_eq(back->nsecrets, 1);
    cr_assert_str_eq(back->secrets[0].f.rule_id, "aws-access-key-id");
    cr_assert_eq(back->secrets[0].f.start_line, 2);
    cr_assert_eq(back->secrets[0].layer, 1);
    cr_assert_eq(back->nvulns, 0, "vulnerabilities are never cached: the DB may change");
    vg_scan_report_free(back);

    struct vg_scan_report *miss = vg_calloc(1, sizeof(*miss));
    cr_assert_lt(vg_scan_cache_load(miss, "other-key", "i1"), 0);
    vg_scan_report_free(miss);

    /* The inventory is an entry of its own (shared with `vigil sbom`), complete: */
    struct vg_inventory *inv = NULL;
    cr_assert_eq(vg_scan_inventory_cache_load(&inv, "i1"), 0);
    cr_assert_eq(inv->npkgs, 3);
    vg_inventory_free(inv);
    cr_assert_lt(vg_scan_inventory_cache_load(&inv, "k1"), 0, "a scan entry is no inventory");
    /* ... and a scan entry whose inventory entry is gone (evicted) is a miss. */
    vg_autofree char *ip = vg_fmt("%s/vigil/inventory/i1.json", home);
    cr_assert_eq(unlink(ip), 0);
    miss = vg_calloc(1, sizeof(*miss));
    cr_assert_lt(vg_scan_cache_load(miss, "k1", "i1"), 0);
    vg_scan_report_free(miss);
    vg_scan_report_free(r);
}

Test(scan_engine, inventory_entry_keeps_what_an_sbom_writes)
{
    vg_autofree char *home = fresh_cache_home();
    struct vg_inventory *inv = vg_calloc(1, sizeof(*inv));
    inv->os.family = vg_strdup("debian");
    inv->os.name = vg_strdup("Debian GNU/Linux 12 (bookworm)");
    inv->os.version = vg_strdup("12");
    inv->os.version_id_full = vg_strdup("12.5");
    inv->os.eosl = true;
    inv->warnings = 2;
    inv->pkgs = vg_calloc(1, sizeof(*inv->pkgs));
    inv->npkgs = 1;
    struct vg_pkg *p = &inv->pkgs[0];
    p->type = VG_PKG_OS;
    p->ecosystem = vg_strdup("Debian:12");
    p->kind = vg_strdup("dpkg");
    p->name = vg_strdup("a");
    p->version = vg_strdup("1:2.3-4");
    p->src_name = vg_strdup("a-src");
    p->src_version = vg_strdup("2.3-4");
    p->arch = vg_strdup("amd64");
    p->purl = vg_strdup("pkg:deb/debian/a@1:2.3-4?arch=amd64");
    p->licenses = vg_calloc(1, sizeof(char *));
    p->licenses[0] = vg_strdup("GPL-2.0-only");
    p->nlicenses = 1;
    p->path = vg_strdup("var/lib/dpkg/status");
    p->layer_index = 1;
    p->files = vg_calloc(2, sizeof(char *));
    p->files[0] = vg_strdup("usr/bin/a");
    p->files[1] = vg_strdup("usr/share/doc/a/copyright");
    p->nfiles = 2;
    cr_assert_eq(vg_digest_parse(&p->layer_digest,
                                 "sha256:"
                                 "1111111111111111111111111111111111111111111111111111111111111111",
                                 NULL),
                 0);
    vg_scan_inventory_cache_store(inv, "inv-key");
    struct vg_inventory *back = NULL;
    cr_assert_eq(vg_scan_inventory_cache_load(&back, "inv-key"), 0);
    cr_assert_str_eq(back->os.version_id_full, "12.5");
    cr_assert(back->os.eosl);
    cr_assert_eq(back->warnings, 2);
    cr_assert_eq(back->npkgs, 1);
    const struct vg_pkg *q = &back->pkgs[0];
    cr_assert_eq(q->type, VG_PKG_OS);
    cr_assert_str_eq(q->version, "1:2.3-4");
    cr_assert_str_eq(q->src_name, "a-src");
    cr_assert_eq(q->nfiles, 2);
    cr_assert_str_eq(q->files[1], "usr/share/doc/a/copyright");
    cr_assert_eq(q->nlicenses, 1);
    cr_assert_eq(q->layer_index, 1);
    cr_assert(vg_digest_eq(&q->layer_digest, &p->layer_digest));
    vg_inventory_free(back);
    vg_inventory_free(inv);
    /* Malformed entries are refused, never half-read. */
    static const char *bad[] = {
        "{\"pkgs\":[{\"type\":9,\"kind\":\"dpkg\",\"name\":\"a\"}]}",
        "{\"pkgs\":[{\"type\":1,\"kind\":\"dpkg\"}]}",
        "{\"pkgs\":[{\"type\":1,\"kind\":\"dpkg\",\"name\":\"a\",\"files\":[1]}]}",
        "{\"pkgs\":{}}"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        vg_autofree char *key = vg_fmt("bad%zu", i);
        vg_autofree char *doc =
            vg_fmt("{\"format\":2,\"vigil\":\"%s\",\"key\":\"%s\",%s", VG_VERSION, key, bad[i] + 1);
        vg_autofree char *path = vg_fmt("%s/vigil/inventory/%s.json", home, key);
        cr_assert_eq(vg_file_write_atomic(path, doc, strlen(doc), 0600, NULL), 0);
        cr_assert_lt(vg_scan_inventory_cache_load(&back, key), 0, "entry %zu must be refused", i);
    }
}

Test(scan_engine, cache_ignores_torn_and_foreign_entries)
{
    vg_autofree char *home = fresh_cache_home();
    vg_autofree char *dir = vg_fmt("%s/vigil/scan", home);
    cr_assert_eq(vg_mkdir_p(dir, 0700, NULL), 0);
    static const char *bad[] = {"{\"format\":1,\"vigil\":\"", "[]",
                                "{\"format\":999,\"vigil\":\"" VG_VERSION "\"}",
                                "{\"format\":1,\"vigil\":\"0.0.0-other\"}"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        vg_autofree char *p = vg_fmt("%s/bad%zu.json", dir, i);
        cr_assert_eq(vg_file_write_atomic(p, bad[i], strlen(bad[i]), 0600, NULL), 0);
        vg_autofree char *key = vg_fmt("bad%zu", i);
        struct vg_scan_report *r = vg_calloc(1, sizeof(*r));
        cr_assert_lt(vg_scan_cache_load(r, key, NULL), 0, "entry %zu must be refused", i);
        cr_assert_null(r->inv);
        vg_scan_report_free(r);
    }
}

Test(scan_engine, filter_and_exit_count_follow_severity)
{
    struct vg_scan_report *r = sample_report();
    unsigned crit = 0;
    cr_assert_eq(vg_scan_severities_parse(&crit, "critical", NULL), 0);
    cr_assert_eq(vg_scan_count_failing(r, crit), 2);
    cr_assert_eq(vg_scan_count_failing(r, 0), 4);
    struct vg_scan_filter f = {.ignore_unfixed = true};
    vg_scan_filter_apply(r, &f);
    cr_assert_eq(r->nvulns, 3, "the unfixed LOW finding is dropped");
    f = (struct vg_scan_filter){.severities = crit};
    vg_scan_filter_apply(r, &f);
    cr_assert_eq(r->nvulns, 2);
    cr_assert_eq(vg_scan_count_failing(r, crit), 2);
    vg_scan_report_free(r);
}

Test(scan_engine, severities_parse_rejects_unknown_words)
{
    unsigned bits = 0;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_scan_severities_parse(&bits, "HIGH,SEVERE", &err), 0);
    cr_assert(vg_err_is(err, VG_E_USAGE));
    vg_err_free(&err);
    cr_assert_eq(vg_scan_severities_parse(&bits, " low , High ", NULL), 0);
    cr_assert_eq(bits, (1u << VG_SEV_LOW) | (1u << VG_SEV_HIGH));
}

/* The key covers every option in full: two option sets that differ only after a megabyte of
 * skip-dir text (where a bounded key buffer used to stop) still get different keys. */
Test(scan_engine, cache_key_covers_every_option)
{
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, "m", 1);
    size_t big = (1u << 20) + 16;
    char *dir = vg_malloc(big + 1);
    memset(dir, 'a', big);
    dir[big] = '\0';
    const char *dirs[] = {dir};
    const char *files_a[] = {"x"}, *files_b[] = {"y"};
    struct vg_scan_opts a = VG_SCAN_OPTS_INIT, b = VG_SCAN_OPTS_INIT;
    a.inv.skip_dirs = b.inv.skip_dirs = dirs;
    a.inv.nskip_dirs = b.inv.nskip_dirs = 1;
    a.inv.skip_files = files_a;
    b.inv.skip_files = files_b;
    a.inv.nskip_files = b.inv.nskip_files = 1;
    char *ka = vg_scan_cache_key(&d, &a), *kb = vg_scan_cache_key(&d, &b);
    cr_assert_str_neq(ka, kb);
    cr_assert_eq(strlen(ka), 64);
    char *ka2 = vg_scan_cache_key(&d, &a);
    cr_assert_str_eq(ka, ka2);
    /* A separator inside a name cannot make two option sets collide. */
    const char *d1[] = {"a|f:b"}, *d2[] = {"a"}, *f2[] = {"b"};
    struct vg_scan_opts c = VG_SCAN_OPTS_INIT, e = VG_SCAN_OPTS_INIT;
    c.inv.skip_dirs = d1;
    c.inv.nskip_dirs = 1;
    e.inv.skip_dirs = d2;
    e.inv.nskip_dirs = 1;
    e.inv.skip_files = f2;
    e.inv.nskip_files = 1;
    char *kc = vg_scan_cache_key(&d, &c), *ke = vg_scan_cache_key(&d, &e);
    cr_assert_str_neq(kc, ke);
    free(ka);
    free(kb);
    free(ka2);
    free(kc);
    free(ke);
    free(dir);
}
