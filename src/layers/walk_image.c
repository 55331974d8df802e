/* SPDX-License-Identifier: Apache-2.0
 *
 * The whole-image walk: opts.jobs worker threads each take the next unwalked layer, stream
 * its verified blob (oci's vg_oci_blob_read checks digest and size) through walk.c, and add
 * its entries to the shared merge index. The merge is order-independent (merge.c), so the
 * result does not depend on scheduling. The first failing layer cancels the others; the error
 * reported is the one of the lowest failing layer, so it is deterministic too.
 *
 * Kept apart from walk.c so that programs using only vg_layers_walk_stream do not pull in
 * the image sources.
 */
#include "layers_int.h"

#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define JOBS_DEFAULT_MAX 4u
#define PROGRESS_TICK_NS (100u * 1000u * 1000u)

static const char *const LAYER_MEDIA_TYPES[] = {
    VG_MT_OCI_LAYER,
    VG_MT_OCI_LAYER_GZIP,
    VG_MT_OCI_LAYER_ZSTD,
    VG_MT_DOCKER_LAYER,
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
};

struct shared {
    struct vg_oci_image *img;
    struct vg_layer_consumer *const *cons;
    size_t ncons;
    const struct vg_layers_opts *opts;
    struct vg_layers_index *idx;
    struct vg_layer_stats *stats; /* one per layer, written only by its walker */
    struct vg_err **errs;         /* one per layer */
    bool *cancelled;              /* errs[i] is only the echo of another layer's failure */
    struct vg_buf *listings;      /* one per layer when opts->record_listings, else NULL */
    bool *cached;                 /* one per layer: supplied by opts->cached */
    size_t nlayers;
    atomic_size_t next;
    atomic_bool cancel;
    atomic_uint_fast64_t bytes;  /* compressed bytes read, for progress */
    atomic_size_t finished;      /* workers done */
    bool pipeline;               /* inflate each layer on a thread of its own */
    atomic_bool *active;         /* one per layer: being walked */
    atomic_size_t timeout_layer; /* SIZE_MAX, or the layer being walked when time ran out */
};

struct blob_reader {
    struct vg_oci_blob *blob;
    struct shared *sh;
    size_t layer;
};

/* Past opts->deadline_ns: records the lowest layer being walked (or `layer`) as the one time
 * ran out on and cancels the walk. */
static bool
deadline_passed(struct shared *sh, size_t layer)
{
    if (!sh->opts->deadline_ns || vg_now_ns() < sh->opts->deadline_ns) {
        return false;
    }
    size_t pick = layer;
    for (size_t i = 0; i < sh->nlayers; i++) {
        if (atomic_load(&sh->active[i])) {
            pick = i;
            break;
        }
    }
    size_t none = SIZE_MAX;
    atomic_compare_exchange_strong(&sh->timeout_layer, &none, pick);
    atomic_store(&sh->cancel, true);
    return true;
}

static int
blob_read(void *ctx, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    struct blob_reader *br = ctx;
    if (deadline_passed(br->sh, br->layer)) {
        return vg_err_set(err, VG_E_NET, "time limit reached");
    }
    if (vg_oci_blob_read(br->blob, buf, cap, got, err) < 0) {
        return -1;
    }
    atomic_fetch_add(&br->sh->bytes, (uint_fast64_t)*got);
    return 0;
}

static bool
media_type_known(const char *mt)
{
    if (!mt || !*mt) {
        return true; /* sources without media types (docker-archive): magic decides */
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(LAYER_MEDIA_TYPES); i++) {
        if (strcmp(mt, LAYER_MEDIA_TYPES[i]) == 0) {
            return true;
        }
    }
    return false;
}

static int
check_diff_id(const struct vg_layer_stats *st, const struct vg_digest *want, const char *label,
              struct vg_err **err)
{
    if (want->alg != st->diff_id_computed.alg || !vg_digest_eq(want, &st->diff_id_computed)) {
        return vg_err_set(err, VG_E_VERIFY, "%s: diffID mismatch: config says %s, content is %s",
                          label, want->text, st->diff_id_computed.text);
    }
    return 0;
}

/* A layer whose listing a cache supplies: merged without reading its blob. */
static bool
use_cached(struct shared *sh, size_t i, const struct vg_digest *diff_id)
{
    const uint8_t *data = NULL;
    size_t len = 0;
    if (!sh->opts->cached || !sh->opts->cached(sh->opts->cached_ctx, i, &data, &len)) {
        return false;
    }
    vg_layers_index_add_listing(sh->idx, data, len, i);
    struct vg_layer_stats *st = &sh->stats[i];
    memset(st, 0, sizeof(*st));
    st->digest = sh->img->manifest->layers[i].digest;
    if (diff_id) {
        st->diff_id_computed = *diff_id;
    }
    snprintf(st->compression, sizeof(st->compression), "cached");
    sh->cached[i] = true;
    atomic_fetch_add(&sh->bytes, (uint_fast64_t)sh->img->manifest->layers[i].size);
    return true;
}

static int
walk_layer(struct shared *sh, size_t i, struct vg_err **err)
{
    const struct vg_oci_desc *d = &sh->img->manifest->layers[i];
    const struct vg_oci_config *cfg = sh->img->config;
    const struct vg_digest *diff_id = cfg && i < cfg->ndiff_ids ? &cfg->diff_ids[i] : NULL;
    if (use_cached(sh, i, diff_id)) {
        return 0;
    }
    vg_autofree char *label = vg_fmt("layer %s", d->digest.text);
    if (!media_type_known(d->media_type)) {
        char *e = vg_escape(d->media_type, strlen(d->media_type), 200);
        int rc = vg_err_set(err, VG_E_UNSUPPORTED, "%s: unsupported media type '%s'", label, e);
        free(e);
        return rc;
    }
    struct blob_reader br = {NULL, sh, i};
    if (vg_oci_blob_open(&br.blob, sh->img, d, err) < 0) {
        return vg_err_wrap(err, "%s", label);
    }
    struct vg_layers_walk_args args = {
        .layer_index = i,
        .layer_digest = &d->digest,
        .diff_id = diff_id,
        .label = label,
        .index = sh->idx,
        .listing = sh->listings ? &sh->listings[i] : NULL,
        .cancel = &sh->cancel,
        .pipeline = sh->pipeline,
    };
    int rc = vg_layers_walk_one(&sh->stats[i], blob_read, &br, &args, sh->cons, sh->ncons, err);
    vg_oci_blob_close(br.blob);
    if (rc < 0) {
        return rc;
    }
    if (sh->opts->verify_diff_ids && diff_id) {
        return check_diff_id(&sh->stats[i], diff_id, label, err);
    }
    return 0;
}

static void *
worker(void *arg)
{
    struct shared *sh = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&sh->next, 1);
        if (i >= sh->nlayers || atomic_load(&sh->cancel)) {
            break;
        }
        atomic_store(&sh->active[i], true);
        int rc = walk_layer(sh, i, &sh->errs[i]);
        atomic_store(&sh->active[i], false);
        if (rc < 0) {
            /* A layer failing after another one cancelled the walk only echoes that. */
            sh->cancelled[i] = atomic_exchange(&sh->cancel, true);
        }
    }
    atomic_fetch_add(&sh->finished, 1);
    return NULL;
}

static unsigned
jobs_for(const struct vg_layers_opts *opts, size_t nlayers)
{
    unsigned jobs = opts->jobs;
    if (jobs == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n > 0 ? (unsigned)n : 1u;
        if (jobs > JOBS_DEFAULT_MAX) {
            jobs = JOBS_DEFAULT_MAX;
        }
    }
    if (jobs > nlayers) {
        jobs = (unsigned)nlayers;
    }
    return jobs ? jobs : 1u;
}

static void
wait_with_progress(struct shared *sh, unsigned nthreads)
{
    struct vg_progress prog;
    uint64_t total = 0;
    for (size_t i = 0; i < sh->nlayers; i++) {
        total += sh->img->manifest->layers[i].size;
    }
    vg_progress_start(&prog, "layers", total, sh->opts->quiet);
    while (atomic_load(&sh->finished) < nthreads) {
        struct timespec ts = {0, PROGRESS_TICK_NS};
        nanosleep(&ts, NULL);
        vg_progress_update(&prog, (uint64_t)atomic_load(&sh->bytes));
        (void)deadline_passed(sh, 0); /* also while a layer is analysed, not only read */
    }
    vg_progress_finish(&prog);
}

static int
check_image(const struct vg_oci_image *img, const struct vg_layers_opts *opts, struct vg_err **err)
{
    if (!img || !img->manifest) {
        return vg_err_set(err, VG_E_USAGE, "walk layers: no image manifest");
    }
    size_t n = img->manifest->nlayers;
    if (n > VG_LIMIT_LAYERS) {
        return vg_err_set(err, VG_E_LIMIT, "image has %zu layers, more than the limit of %u", n,
                          VG_LIMIT_LAYERS);
    }
    if (opts->verify_diff_ids && img->config && img->config->ndiff_ids != n) {
        return vg_err_set(err, VG_E_VERIFY,
                          "image config lists %zu diffIDs for %zu layers in the manifest",
                          img->config->ndiff_ids, n);
    }
    return 0;
}

/* Moves the error of the lowest really-failing layer into *err; a walk stopped by the deadline
 * fails with VG_E_NET naming what was being done. */
static int
pick_error(struct shared *sh, struct vg_err **err)
{
    size_t tl = atomic_load(&sh->timeout_layer);
    if (tl != SIZE_MAX) {
        const struct vg_oci_desc *d = &sh->img->manifest->layers[tl];
        vg_err_set(err, VG_E_NET,
                   "time limit reached while analysing layer %zu of %zu (%s, %llu bytes: reading, "
                   "decompressing and scanning its files)",
                   tl + 1, sh->nlayers, d->digest.text, (unsigned long long)d->size);
        return -(int)VG_E_NET;
    }
    size_t pick = sh->nlayers;
    for (size_t i = 0; i < sh->nlayers; i++) {
        if (sh->errs[i] && (pick == sh->nlayers || (sh->cancelled[pick] && !sh->cancelled[i]))) {
            pick = i;
        }
    }
    if (pick == sh->nlayers) {
        return 0;
    }
    *err = vg_steal_ptr(&sh->errs[pick]);
    return -(int)vg_err_root_code(*err);
}

int
vg_layers_walk(struct vg_layers_result **out, struct vg_oci_image *img,
               struct vg_layer_consumer *const *consumers, size_t nconsumers,
               const struct vg_layers_opts *opts, struct vg_err **err)
{
    static const struct vg_layers_opts defopts = VG_LAYERS_OPTS_INIT;
    opts = opts ? opts : &defopts;
    if (check_image(img, opts, err) < 0) {
        return -1;
    }
    struct shared sh = {.img = img, .cons = consumers, .ncons = nconsumers, .opts = opts};
    sh.nlayers = img->manifest->nlayers;
    sh.idx = vg_layers_index_new();
    sh.stats = vg_calloc(sh.nlayers ? sh.nlayers : 1, sizeof(*sh.stats));
    sh.errs = vg_calloc(sh.nlayers ? sh.nlayers : 1, sizeof(*sh.errs));
    sh.cancelled = vg_calloc(sh.nlayers ? sh.nlayers : 1, sizeof(*sh.cancelled));
    sh.cached = vg_calloc(sh.nlayers ? sh.nlayers : 1, sizeof(*sh.cached));
    sh.active = vg_calloc(sh.nlayers ? sh.nlayers : 1, sizeof(*sh.active));
    atomic_init(&sh.timeout_layer, SIZE_MAX);
    if (opts->record_listings) {
        sh.listings = vg_calloc(sh.nlayers ? sh.nlayers : 1, sizeof(*sh.listings));
        for (size_t i = 0; i < sh.nlayers; i++) {
            vg_buf_init(&sh.listings[i], VG_LISTING_MAX_BYTES);
        }
    }
    unsigned nthreads = jobs_for(opts, sh.nlayers);
    sh.pipeline = !opts->inline_inflate && sysconf(_SC_NPROCESSORS_ONLN) > 1;
    pthread_t *tids = vg_calloc(nthreads, sizeof(*tids));
    unsigned started = 0;
    for (; started < nthreads; started++) {
        if (pthread_create(&tids[started], NULL, worker, &sh) != 0) {
            break;
        }
    }
    if (started == 0) {
        worker(&sh); /* no thread could start: walk on this one */
        started = 1;
    } else {
        wait_with_progress(&sh, started);
        for (unsigned t = 0; t < started; t++) {
            pthread_join(tids[t], NULL);
        }
    }
    free(tids);
    int rc = pick_error(&sh, err);
    for (size_t i = 0; i < sh.nlayers; i++) {
        vg_err_free(&sh.errs[i]);
    }
    free(sh.errs);
    free(sh.cancelled);
    free(sh.active);
    if (rc < 0) {
        vg_layers_index_free(sh.idx);
        free(sh.stats);
        for (size_t i = 0; sh.listings && i < sh.nlayers; i++) {
            vg_buf_dispose(&sh.listings[i]);
        }
        free(sh.listings);
        free(sh.cached);
        return rc;
    }
    *out = vg_layers_result_new(sh.idx, sh.stats, sh.nlayers);
    vg_layers_result_set_listings(*out, sh.listings, sh.cached);
    return 0;
}
