/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: one OSV record through JSON parsing, validation, the range encoding round
 * trip and range evaluation (what `db build` and a scan do with an untrusted record).
 */
#include <stdint.h>

#include "vulndb/vulndb_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = NULL;
    struct vg_err *err = NULL;
    if (vg_json_parse(&root, data, size, VG_LIMIT_OSV_RECORD_BYTES, "fuzz", &err) < 0) {
        vg_err_free(&err);
        return 0;
    }
    struct osv_record r;
    if (vg_osv_record_parse(&r, root, &err) == 0) {
        for (size_t i = 0; i < r.n_affected; i++) {
            struct vg_buf b = VG_BUF_INIT(VG_LIMIT_OSV_RECORD_BYTES);
            if (vg_vulndb_ranges_encode(&b, r.affected[i].ranges, r.affected[i].n_ranges, &err) ==
                0) {
                struct vg_vulndb_advisory adv = {0};
                adv.ecosystem = r.affected[i].ecosystem;
                if (vg_vulndb_ranges_decode(&adv, b.len ? (const char *)b.data : "", b.len)) {
                    const char *fixed = NULL;
                    (void)vg_vulndb_advisory_affects(&adv, 0, "1.0.0", &fixed);
                }
                adv.ecosystem = NULL;
                struct vg_vulndb_result res = {.items = vg_memdup(&adv, sizeof(adv)), .n = 1};
                vg_vulndb_result_dispose(&res);
            }
            vg_err_free(&err);
            vg_buf_dispose(&b);
        }
        vg_osv_record_dispose(&r);
    }
    vg_err_free(&err);
    json_decref(root);
    return 0;
}
