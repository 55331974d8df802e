/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: bytes through the streaming JSON splitter in both modes (NVD feed items and
 * tracker members), each item through the NVD record parser or the Debian tracker walker.
 */
#include <stdint.h>

#include "vulndb/vulndb_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
sev(const char *cve, const char *pkg, const char *release, enum vg_vulndb_severity s, void *ctx,
    struct vg_err **err)
{
    (void)cve;
    (void)pkg;
    (void)release;
    (void)err;
    *(size_t *)ctx += (size_t)s;
    return 0;
}

static int
item(const char *key, const uint8_t *data, size_t len, void *ctx, struct vg_err **err)
{
    (void)err;
    json_t *root = NULL;
    struct vg_err *e = NULL;
    if (vg_json_parse(&root, data, len, VG_LIMIT_OSV_RECORD_BYTES, "fuzz", &e) == 0) {
        struct nvd_cve c;
        if (vg_nvd_cve_parse(&c, root, &e) == 0) {
            vg_nvd_cve_dispose(&c);
        }
        vg_err_free(&e);
        if (vg_debian_tracker_package(key, root, sev, ctx, &e) < 0) {
            vg_err_free(&e);
        }
        json_decref(root);
    }
    vg_err_free(&e);
    return 0;
}

static void
bad(const char *key, const char *why, void *ctx)
{
    (void)key;
    (void)why;
    (void)ctx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    for (int mode = VG_SPLIT_NVD; mode <= VG_SPLIT_MEMBERS; mode++) {
        struct vg_json_splitter s;
        struct vg_err *err = NULL;
        vg_json_splitter_init(&s, (enum vg_json_split_mode)mode, item, bad, &n);
        if (vg_json_splitter_feed(&s, data, size, &err) < 0 || vg_json_splitter_end(&s, &err) < 0) {
            vg_err_free(&err);
        }
        vg_json_splitter_dispose(&s);
    }
    return 0;
}
