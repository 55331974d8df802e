/* SPDX-License-Identifier: Apache-2.0
 *
 * The scan cache readers from memory (vg_scan_cache_parse, vg_scan_inventory_cache_parse,
 * vg_scan_layer_cache_parse): what a
 * current entry gives back, what a foreign, damaged or mis-shaped one gives (nothing, the
 * report untouched), and a report restored from a secrets-only entry (no inventory) rendered in
 * every format — CycloneDX crashed on it (tests/fuzz/scan_cache found it; also
 * `vigil scan --scanners secret --format cyclonedx`).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "scan/engine.h"
#include "scan/scan_int.h"

static struct vg_scan_report *
empty_report(void)
{
    struct vg_scan_report *r = vg_calloc(1, sizeof(*r));
    r->artifact = vg_strdup("example/app:1");
    return r;
}

static int
parse(struct vg_scan_report *r, const char *fmt)
{
    char *text = vg_fmt(fmt, VG_VERSION);
    int rc = vg_scan_cache_parse(r, text, strlen(text), NULL);
    free(text);
    return rc;
}

Test(scan_cache_parse, current_entry)
{
    struct vg_scan_report *r = empty_report();
    cr_assert_eq(parse(r, "{\"format\":2,\"vigil\":\"%s\",\"inventory\":false,"
                          "\"secrets\":[{\"rule_id\":\"aws-access-key-id\",\"category\":null,"
                          "\"severity\":4,\"path\":\"app/.env\",\"start_line\":3,\"layer\":0}],"
                          "\"models\":[],\"configs\":[]}"),
                 0);
    cr_assert_null(r->inv);
    cr_assert_eq(r->nsecrets, 1);
    cr_assert_str_eq(r->secrets[0].f.rule_id, "aws-access-key-id");
    cr_assert_null(r->secrets[0].f.category);
    cr_assert_eq(r->secrets[0].f.start_line, 3);
    vg_scan_report_free(r);
    /* An entry whose inventory lives in an inventory entry needs that entry's key. */
    r = empty_report();
    cr_assert_lt(parse(r, "{\"format\":2,\"vigil\":\"%s\",\"inventory\":true,\"secrets\":[]}"), 0);
    cr_assert(!r->inv && !r->secrets);
    vg_scan_report_free(r);
}

Test(scan_cache_parse, inventory_entries)
{
    struct vg_inventory *inv = NULL;
    char *text = vg_fmt(
        "{\"format\":2,\"vigil\":\"%s\",\"key\":\"k1\",\"os_family\":\"debian\","
        "\"os_version\":\"12\",\"pkgs\":[{\"type\":1,\"kind\":\"dpkg\",\"ecosystem\":"
        "\"Debian:12\",\"name\":\"openssl\",\"version\":\"3.0.11-1\",\"licenses\":"
        "[\"Apache-2.0\"],\"layer_index\":1,\"layer_digest\":\"sha256:e08d24827364d2fc39b13a9"
        "72f1226f1be0fdc06bb420706032de64e2578e2f7\"}]}",
        VG_VERSION);
    cr_assert_eq(vg_scan_inventory_cache_parse(&inv, text, strlen(text), "k1"), 0);
    cr_assert_str_eq(inv->os.family, "debian");
    cr_assert_eq(inv->npkgs, 1);
    cr_assert_str_eq(inv->pkgs[0].name, "openssl");
    cr_assert_eq(inv->pkgs[0].nlicenses, 1);
    cr_assert_eq(inv->pkgs[0].layer_digest.alg, VG_DIGEST_SHA256);
    vg_inventory_free(inv);
    inv = NULL;
    cr_assert_lt(vg_scan_inventory_cache_parse(&inv, text, strlen(text), "k2"), 0);
    cr_assert_null(inv);
    free(text);
}

Test(scan_cache_parse, foreign_or_damaged_entries_are_ignored)
{
    const char *bad[] = {
        "not json",
        "[]",
        "{\"format\":1,\"vigil\":\"%s\"}",
        "{\"format\":2,\"vigil\":\"0.0.0-other%s\"}",
        "{\"format\":\"2\",\"vigil\":\"%s\"}",
        "{\"format\":2,\"vigil\":\"%s\",\"secrets\":{}}",
        "{\"format\":2,\"vigil\":\"%s\",\"secrets\":[null]}",
        "{\"format\":2,\"vigil\":\"%s\",\"models\":[{\"id\":[]}]}",
        "{\"format\":2,\"vigil\":\"%s\",\"configs\":[{\"message\":1}]}",
        /* Findings without what the writers group them by (libFuzzer found a model finding
         * without a path reaching strcmp(NULL) in the Trivy JSON writer). */
        "{\"format\":2,\"vigil\":\"%s\",\"models\":[{\"id\":\"VG-PICKLE-001\"}]}",
        "{\"format\":2,\"vigil\":\"%s\",\"models\":[{\"id\":\"x\",\"path\":null}]}",
        "{\"format\":2,\"vigil\":\"%s\",\"models\":[{\"path\":\"m.pkl\"}]}",
        "{\"format\":2,\"vigil\":\"%s\",\"secrets\":[{\"rule_id\":\"github-pat\"}]}",
        "{\"format\":2,\"vigil\":\"%s\",\"secrets\":[{\"path\":\"x\"}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vg_scan_report *r = empty_report();
        cr_assert_lt(parse(r, bad[i]), 0, "%s", bad[i]);
        cr_assert(!r->inv && !r->secrets && !r->models && !r->nconfigs, "%s", bad[i]);
        vg_scan_report_free(r);
    }
}

Test(scan_cache_parse, layer_entries)
{
    struct vg_scan_layer_entry e;
    char *text = vg_fmt("{\"format\":1,\"vigil\":\"%s\",\"key\":\"abc\",\"listing\":\"\","
                        "\"secrets\":[{\"rule_id\":\"github-pat\",\"severity\":3,\"path\":\"x\"}],"
                        "\"models\":[],\"files\":[{\"path\":\"etc/passwd\",\"mode\":420}]}",
                        VG_VERSION);
    cr_assert_eq(vg_scan_layer_cache_parse(&e, text, strlen(text), "abc"), 0);
    struct vg_scan_report *r = empty_report();
    vg_scan_layer_cache_restore(r, &e, 2);
    cr_assert_eq(r->nsecrets, 1);
    cr_assert_eq(r->secrets[0].layer, 2);
    cr_assert_str_eq(r->secrets[0].f.rule_id, "github-pat");
    vg_scan_layer_entry_dispose(&e);
    /* Another key, a missing listing, mis-shaped findings. */
    cr_assert_lt(vg_scan_layer_cache_parse(&e, text, strlen(text), "abd"), 0);
    cr_assert_null(e.secrets);
    free(text);
    text = vg_fmt("{\"format\":1,\"vigil\":\"%s\",\"key\":\"abc\",\"secrets\":[],\"models\":[],"
                  "\"files\":[]}",
                  VG_VERSION);
    cr_assert_lt(vg_scan_layer_cache_parse(&e, text, strlen(text), "abc"), 0);
    free(text);
    text = vg_fmt("{\"format\":1,\"vigil\":\"%s\",\"key\":\"abc\",\"listing\":\"\","
                  "\"secrets\":[{\"path\":5}],\"models\":[],\"files\":[]}",
                  VG_VERSION);
    cr_assert_lt(vg_scan_layer_cache_parse(&e, text, strlen(text), "abc"), 0);
    free(text);
    text = vg_fmt("{\"format\":1,\"vigil\":\"%s\",\"key\":\"abc\",\"listing\":\"\","
                  "\"secrets\":[],\"models\":[{\"id\":\"x\"}],\"files\":[]}",
                  VG_VERSION);
    cr_assert_lt(vg_scan_layer_cache_parse(&e, text, strlen(text), "abc"), 0);
    free(text);
    vg_scan_report_free(r);
}

Test(scan_cache_parse, secrets_only_report_renders_in_every_format)
{
    struct vg_scan_report *r = empty_report();
    cr_assert_eq(parse(r, "{\"format\":2,\"vigil\":\"%s\",\"secrets\":[{\"rule_id\":\"github-pat\","
                          "\"severity\":3,\"path\":\"root/.gitconfig\"}]}"),
                 0);
    cr_assert_null(r->inv);
    json_t *cdx = vg_report_cyclonedx(r);
    cr_assert_not_null(cdx);
    cr_assert_eq(json_array_size(json_object_get(cdx, "components")), 0);
    json_t *comp = json_object_get(json_object_get(cdx, "metadata"), "component");
    cr_assert_str_eq(json_string_value(json_object_get(comp, "name")), "example/app:1");
    json_decref(cdx);
    json_t *j = vg_report_trivy_json(r);
    cr_assert_not_null(j);
    json_decref(j);
    j = vg_report_sarif(r);
    cr_assert_not_null(j);
    json_decref(j);
    vg_scan_report_free(r);
}
