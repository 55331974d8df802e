/* SPDX-License-Identifier: Apache-2.0
 *
 * Benchmark driver for the layer walk: opens an image (any vigil image reference, e.g.
 * oci:DIR), walks every layer once with a realistic consumer set (a metadata consumer that
 * sees every entry, a WHOLE consumer for the dpkg database, a STREAM consumer for os-release)
 * and prints per-layer statistics. Built by run.sh against the static libraries.
 */
#include <stdio.h>
#include <string.h>

#include "layers/layers.h"

struct counts {
    uint64_t meta, whole_bytes, stream_bytes;
};

static enum vg_layer_want
want_meta(void *ctx, const struct vg_layer_file *f)
{
    (void)ctx;
    (void)f;
    return VG_WANT_META;
}

static enum vg_layer_want
want_dpkg(void *ctx, const struct vg_layer_file *f)
{
    (void)ctx;
    return strcmp(f->path, "var/lib/dpkg/status") == 0 ? VG_WANT_WHOLE : VG_WANT_NONE;
}

static enum vg_layer_want
want_osrel(void *ctx, const struct vg_layer_file *f)
{
    (void)ctx;
    return strcmp(f->path, "usr/lib/os-release") == 0 ? VG_WANT_STREAM : VG_WANT_NONE;
}

/* Consumers may run concurrently for different layers: atomic counters. */
static int
on_file(void *ctx, const struct vg_layer_file *f, const uint8_t *d, size_t n, struct vg_err **err)
{
    (void)f;
    (void)d;
    (void)err;
    struct counts *c = ctx;
    __atomic_add_fetch(n ? &c->whole_bytes : &c->meta, n ? n : 1, __ATOMIC_RELAXED);
    return 0;
}

static int
on_chunk(void *ctx, const struct vg_layer_file *f, const uint8_t *d, size_t n, struct vg_err **err)
{
    (void)f;
    (void)d;
    (void)err;
    struct counts *c = ctx;
    __atomic_add_fetch(&c->stream_bytes, n, __ATOMIC_RELAXED);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: walk_bench IMAGE [JOBS]\n");
        return 2;
    }
    vg_log_init(NULL);
    struct counts c = {0};
    struct vg_layer_consumer meta = {"meta", &c, 0, want_meta, on_file, on_chunk};
    struct vg_layer_consumer dpkg = {"dpkg", &c, 0, want_dpkg, on_file, on_chunk};
    struct vg_layer_consumer osrel = {"os-release", &c, 0, want_osrel, on_file, on_chunk};
    struct vg_layer_consumer *cons[] = {&meta, &dpkg, &osrel};
    struct vg_layers_opts opts = VG_LAYERS_OPTS_INIT;
    opts.quiet = true;
    if (argc > 2) {
        uint64_t j = 0;
        if (vg_parse_u64(vg_str_c(argv[2]), 64, &j) < 0) {
            fprintf(stderr, "walk_bench: bad JOBS\n");
            return 2;
        }
        opts.jobs = (unsigned)j;
    }
    struct vg_err *err = NULL;
    struct vg_oci_image *img = NULL;
    struct vg_oci_open_opts oo = VG_OCI_OPEN_OPTS_INIT;
    struct vg_layers_result *r = NULL;
    if (vg_oci_image_open(&img, argv[1], &oo, &err) < 0 ||
        vg_layers_walk(&r, img, cons, VG_ARRAY_LEN(cons), &opts, &err) < 0) {
        char *m = vg_err_format(err);
        fprintf(stderr, "walk_bench: %s\n", m);
        free(m);
        vg_err_free(&err);
        vg_oci_image_free(img);
        return 1;
    }
    size_t n = 0;
    const struct vg_layer_stats *st = vg_layers_result_stats(r, &n);
    for (size_t i = 0; i < n; i++) {
        printf("layer %zu %s %s compressed=%llu plain=%llu files=%llu whiteouts=%llu\n", i,
               st[i].digest.text, st[i].compression, (unsigned long long)st[i].compressed_size,
               (unsigned long long)st[i].uncompressed_size, (unsigned long long)st[i].files,
               (unsigned long long)st[i].whiteouts);
    }
    size_t layer = 0;
    bool dpkg_present = vg_layers_result_lookup(r, "var/lib/dpkg/status", &layer);
    printf("entries=%llu dpkg_status_bytes=%llu os_release_bytes=%llu dpkg_present=%d@%zu\n",
           (unsigned long long)c.meta, (unsigned long long)c.whole_bytes,
           (unsigned long long)c.stream_bytes, dpkg_present, layer);
    vg_layers_result_free(r);
    vg_oci_image_free(img);
    return 0;
}
