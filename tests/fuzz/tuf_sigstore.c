/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for Sigstore's TUF trust-root path (tuf/sigstore.c) as it runs without the
 * network: the input is a list of records (1 byte: which file, 2 bytes big-endian: length,
 * then the bytes) written as the cache of one mirror — metadata/root.json, timestamp.json,
 * snapshot.json, targets.json and targets/trusted_root.json — and the offline update runs over
 * it: parsing, signature thresholds, versions, hashes and expiry of each role, the cached
 * target against the targets metadata. Nothing may be read outside the cache directory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tuf/tuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const files[] = {
    "metadata/root.json",    "metadata/timestamp.json",   "metadata/snapshot.json",
    "metadata/targets.json", "targets/trusted_root.json",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/vg-fuzz-tuf-XXXXXX");
        if (!mkdtemp(dir)) {
            abort();
        }
    }
    struct vg_err *err = NULL;
    if (vg_remove_tree(dir, NULL, &err) < 0) {
        abort();
    }
    vg_autofree char *meta = vg_fmt("%s/metadata", dir);
    vg_autofree char *tgts = vg_fmt("%s/targets", dir);
    if (vg_mkdir_p(meta, 0700, &err) < 0 || vg_mkdir_p(tgts, 0700, &err) < 0) {
        abort();
    }
    size_t i = 0;
    while (i + 3 <= size) {
        size_t which = data[i] % (sizeof(files) / sizeof(files[0]));
        size_t len = (size_t)data[i + 1] << 8 | data[i + 2];
        i += 3;
        if (len > size - i) {
            len = size - i;
        }
        vg_autofree char *path = vg_fmt("%s/%s", dir, files[which]);
        if (vg_file_write_atomic(path, data + i, len, 0600, &err) < 0) {
            abort();
        }
        i += len;
    }
    struct vg_tuf_sigstore_opts o = {
        .mirror = "http://127.0.0.1:9", .cache_dir = dir, .offline = true, .now = 1700000000};
    struct vg_buf out = VG_BUF_INIT(0);
    bool cached = false;
    if (vg_tuf_sigstore_fetch(&out, &o, &cached, &err) == 0) {
        if (!cached || out.len > VG_TUF_SIGSTORE_TARGET_MAX) {
            abort();
        }
    }
    vg_err_free(&err);
    vg_buf_dispose(&out);
    return 0;
}
