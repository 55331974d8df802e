/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: arbitrary bytes as one layer stream (any compression, any tar). Consumers of
 * every kind are attached (chosen per path by a hash), and the merge index is fed, so the
 * whole single-layer path runs: magic detection, inflate/zstd, libarchive, name checks,
 * whiteouts, content delivery. Reads arrive in uneven chunks to split headers.
 */
#include <stdint.h>
#include <string.h>

#include "layers/layers_int.h"

struct src {
    const uint8_t *d;
    size_t len, pos, step;
};

static int
src_read(void *ctx, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    (void)err;
    struct src *s = ctx;
    size_t n = s->len - s->pos;
    size_t lim = 1 + (s->step++ * 7919u) % 4096u;
    n = n < cap ? n : cap;
    n = n < lim ? n : lim;
    memcpy(buf, s->d + s->pos, n);
    s->pos += n;
    *got = n;
    return 0;
}

static enum vg_layer_want
want(void *ctx, const struct vg_layer_file *f)
{
    (void)ctx;
    size_t h = 0;
    for (const char *p = f->path; *p; p++) {
        h = h * 31 + (unsigned char)*p;
    }
    return (enum vg_layer_want)(h % 4);
}

static int
on_file(void *ctx, const struct vg_layer_file *f, const uint8_t *d, size_t n, struct vg_err **err)
{
    (void)err;
    size_t *sum = ctx;
    *sum += n + strlen(f->path) + (d && n ? d[n - 1] : 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t sum = 0;
    struct vg_layer_consumer c = {"fuzz", &sum, 1u << 20, want, on_file, on_file};
    struct vg_layer_consumer *cs[] = {&c};
    struct vg_layers_limits lim = {64u << 20, 100000, VG_LIMIT_PATH_BYTES};
    struct vg_layers_index *idx = vg_layers_index_new();
    struct src s = {data, size, 0, 0};
    struct vg_layers_walk_args a = {
        .label = "layer fuzz", .index = idx, .limits = &lim, .hash_compressed = true};
    struct vg_layer_stats *st = vg_calloc(1, sizeof(*st));
    struct vg_err *err = NULL;
    if (vg_layers_walk_one(st, src_read, &s, &a, cs, 1, &err) == 0) {
        struct vg_layers_result *r = vg_layers_result_new(idx, st, 1);
        (void)vg_layers_result_present(r, "etc/passwd", 0);
        vg_layers_result_free(r);
    } else {
        vg_layers_index_free(idx);
        free(st);
    }
    vg_err_free(&err);
    return 0;
}
