/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: the scan cache files read back on a rescan or an sbom ($XDG_CACHE_HOME/vigil/
 * scan/<key>.json, inventory/<key>.json, layers/<key>.json). The input goes to all three
 * readers; what they accept is used as a scan does: the image entry and the inventory entry
 * become reports rendered as Trivy JSON, SARIF and CycloneDX; the layer entry's findings are
 * restored into a report and rendered too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/engine.h"
#include "scan/scan_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The key seed inventory and layer entries carry; "@VERSION@" in the input stands for this build's
 * version (entries of another version are refused first thing, so seeds stay useful across
 * releases). */
#define FUZZ_KEY      "fuzzkey"
#define VERSION_TOKEN "@VERSION@"

static uint8_t *
with_version(const uint8_t *data, size_t size, size_t *out_len)
{
    struct vg_buf b = VG_BUF_INIT((size + 1) * 8);
    size_t tl = strlen(VERSION_TOKEN);
    for (size_t i = 0; i < size;) {
        if (size - i >= tl && memcmp(data + i, VERSION_TOKEN, tl) == 0) {
            if (vg_buf_append(&b, VG_VERSION, strlen(VG_VERSION), NULL) < 0) {
                abort();
            }
            i += tl;
        } else {
            if (vg_buf_append(&b, data + i, 1, NULL) < 0) {
                abort();
            }
            i++;
        }
    }
    *out_len = b.len;
    char *p = vg_buf_take(&b, NULL);
    return (uint8_t *)(p ? p : vg_strdup(""));
}

static void
render(struct vg_scan_report *r)
{
    json_t *j = vg_report_trivy_json(r);
    json_decref(j);
    j = vg_report_sarif(r);
    json_decref(j);
    j = vg_report_cyclonedx(r);
    json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t insize)
{
    size_t size = 0;
    uint8_t *data = with_version(in, insize, &size);
    struct vg_scan_report *r = vg_calloc(1, sizeof(*r));
    r->artifact = vg_strdup("fuzz/image:latest");
    if (vg_scan_cache_parse(r, data, size, NULL) == 0) {
        render(r);
    }
    vg_scan_report_free(r);

    r = vg_calloc(1, sizeof(*r));
    r->artifact = vg_strdup("fuzz/image:latest");
    if (vg_scan_inventory_cache_parse(&r->inv, data, size, FUZZ_KEY) == 0) {
        render(r);
    }
    vg_scan_report_free(r);

    struct vg_scan_layer_entry e;
    if (vg_scan_layer_cache_parse(&e, data, size, FUZZ_KEY) == 0) {
        r = vg_calloc(1, sizeof(*r));
        r->artifact = vg_strdup("fuzz/image:latest");
        vg_scan_layer_cache_restore(r, &e, 0);
        render(r);
        vg_scan_report_free(r);
        vg_scan_layer_entry_dispose(&e);
    }
    free(data);
    return 0;
}
