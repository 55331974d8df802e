/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: an Alpine secdb document through detection and pseudo-advisory generation.
 */
#include <stdint.h>

#include "vulndb/vulndb_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
sink(struct osv_record *r, void *ctx, struct vg_err **err)
{
    (void)err;
    *(size_t *)ctx += r->n_affected;
    return 0;
}

static void
bad(const char *what, const char *why, void *ctx)
{
    (void)what;
    (void)why;
    (void)ctx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = NULL;
    struct vg_err *err = NULL;
    if (vg_json_parse(&root, data, size, VULNDB_MAX_SECDB_BYTES, "fuzz", &err) == 0) {
        size_t n = 0;
        if (vg_secdb_detect(root)) {
            if (vg_secdb_parse(root, sink, bad, &n, &err) < 0) {
                vg_err_free(&err);
            }
        }
        json_decref(root);
    }
    vg_err_free(&err);
    return 0;
}
