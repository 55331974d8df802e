/* SPDX-License-Identifier: Apache-2.0
 *
 * The scan engine: opens the image, walks its layers ONCE with every analyzer attached
 * (inventory, secrets, model files, configuration metadata), then matches the inventory
 * against the vulnerability database. Results of the expensive part (the walk) are cached per
 * image manifest digest, so rescanning an unchanged image only re-runs the matching, and per
 * layer diffID, so an image sharing base layers with a scanned one only reads its new layers.
 */
#include "scan.h"

#include "scan_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/glob.h"

/* Files larger than this are not read for secrets (Trivy skips big files too). */
#define SECRET_FILE_MAX (VG_SECRET_DEFAULT_MAX_FILE_BYTES)

/* Secret scanning is the costliest consumer after decompression and hashing. On a machine
 * with a spare core it runs on a worker thread fed through a queue bounded in bytes, so the
 * walk thread of a big layer only copies text files out; when the queue is full the walk
 * thread scans the file itself (never blocks, memory stays bounded). */
#define SECRET_QUEUE_BYTES (SECRET_FILE_MAX + 4u * 1024u * 1024u)

struct secret_job {
    struct secret_job *next;
    char *path; /* absolute, "/app/.env" */
    uint8_t *data;
    size_t len, layer;
};

struct secret_consumer {
    struct vg_layer_consumer c;
    const struct vg_secret_engine *engine;
    const struct vg_inventory_opts *inv;
    bool relative;      /* a directory scan: paths as given (Trivy's fs), not "/path" */
    pthread_mutex_t mu; /* guards report->secrets */
    struct vg_scan_report *report;
    /* The queue: fields below guarded by qmu. */
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    struct secret_job *head, *tail;
    size_t qbytes;
    bool closed, worker_started;
    pthread_t worker;
};

/* Model files larger than VG_MODEL_HEAD_BYTES (real checkpoints often are) are streamed and
 * only their first MODEL_STREAM_HEAD bytes kept: the pickle of a PyTorch zip or legacy file
 * comes first, and the detectors report what the head cannot show (VG-MODEL-005). Smaller
 * than the whole-file bound so that parallel layers stay within the memory budget. */
#define MODEL_STREAM_HEAD (16u * 1024u * 1024u)

struct model_consumer {
    struct vg_layer_consumer c;
    bool relative;      /* as secret_consumer's */
    pthread_mutex_t mu; /* guards report->models */
    struct vg_scan_report *report;
    struct vg_buf *heads; /* one per layer: a layer's entries arrive on one thread, in order */
    size_t nheads;
};

/* --skip-dirs / --skip-files: doublestar globs as Trivy (a directory pattern skips
 * everything below a matching directory; a plain path is a glob that matches itself). */
static bool
skipped_path(const struct vg_inventory_opts *o, const char *path)
{
    for (size_t i = 0; i < o->nskip_dirs; i++) {
        if (vg_glob_match_dir(o->skip_dirs[i], path)) {
            return true;
        }
    }
    for (size_t i = 0; i < o->nskip_files; i++) {
        if (vg_glob_match(o->skip_files[i], path)) {
            return true;
        }
    }
    return false;
}

static bool
binary_extension(const char *path)
{
    static const char *exts[] = {".so",   ".a",     ".o",   ".png",         ".jpg", ".jpeg",
                                 ".gif",  ".ico",   ".gz",  ".xz",          ".zst", ".bz2",
                                 ".zip",  ".jar",   ".whl", ".pyc",         ".mo",  ".ttf",
                                 ".woff", ".woff2", ".deb", ".rpm",         ".db",  ".sqlite",
                                 ".pkl",  ".pt",    ".pth", ".safetensors", ".gguf"};
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (size_t i = 0; i < VG_ARRAY_LEN(exts); i++) {
        if (vg_cstr_endswith(base, exts[i])) {
            return true;
        }
    }
    return strstr(path, ".so.") != NULL;
}

static enum vg_layer_want
secret_want(void *ctx, const struct vg_layer_file *f)
{
    struct secret_consumer *sc = ctx;
    if ((f->mode & 0170000) != 0100000 || f->size == 0 || f->size > SECRET_FILE_MAX) {
        return VG_WANT_NONE;
    }
    if (binary_extension(f->path) || skipped_path(sc->inv, f->path) ||
        vg_secret_path_allowed(sc->engine, f->path)) {
        return VG_WANT_NONE;
    }
    return VG_WANT_WHOLE;
}

static void
secret_scan_one(struct secret_consumer *sc, const char *abs, const uint8_t *data, size_t len,
                size_t layer)
{
    struct vg_secret_findings found = {0};
    struct vg_err *e = NULL;
    if (vg_secret_scan(sc->engine, abs, data, len, &found, &e) < 0) {
        char *m = vg_err_format(e);
        VG_WARN("scan", "secret scan of %s skipped: %s", abs, m);
        free(m);
        vg_err_free(&e);
    }
    if (found.len) {
        pthread_mutex_lock(&sc->mu);
        struct vg_scan_report *r = sc->report;
        VG_ARRAY_GROW(r->secrets, r->nsecrets, found.len);
        for (size_t i = 0; i < found.len; i++) {
            r->secrets[r->nsecrets++] =
                (struct vg_scan_secret){.f = found.items[i], .layer = layer};
        }
        pthread_mutex_unlock(&sc->mu);
        found.len = 0; /* ownership of the strings moved into the report */
    }
    vg_secret_findings_dispose(&found);
}

static void *
secret_worker(void *arg)
{
    struct secret_consumer *sc = arg;
    pthread_mutex_lock(&sc->qmu);
    for (;;) {
        while (!sc->head && !sc->closed) {
            pthread_cond_wait(&sc->qcv, &sc->qmu);
        }
        struct secret_job *j = sc->head;
        if (!j) {
            break;
        }
        sc->head = j->next;
        if (!sc->head) {
            sc->tail = NULL;
        }
        pthread_mutex_unlock(&sc->qmu);
        secret_scan_one(sc, j->path, j->data, j->len, j->layer);
        pthread_mutex_lock(&sc->qmu);
        sc->qbytes -= j->len;
        free(j->path);
        free(j->data);
        free(j);
    }
    pthread_mutex_unlock(&sc->qmu);
    return NULL;
}

/* Hands the file to the worker; false when the queue is full (or there is no worker). */
static bool
secret_enqueue(struct secret_consumer *sc, const char *abs, const uint8_t *data, size_t len,
               size_t layer)
{
    pthread_mutex_lock(&sc->qmu);
    bool room = sc->worker_started && sc->qbytes + len <= SECRET_QUEUE_BYTES;
    if (room) {
        sc->qbytes += len;
    }
    pthread_mutex_unlock(&sc->qmu);
    if (!room) {
        return false;
    }
    struct secret_job *j = vg_calloc(1, sizeof(*j));
    j->path = vg_strdup(abs);
    j->data = vg_memdup(data, len);
    j->len = len;
    j->layer = layer;
    pthread_mutex_lock(&sc->qmu);
    if (sc->tail) {
        sc->tail->next = j;
    } else {
        sc->head = j;
    }
    sc->tail = j;
    pthread_cond_signal(&sc->qcv);
    pthread_mutex_unlock(&sc->qmu);
    return true;
}

static int
secret_on_file(void *ctx, const struct vg_layer_file *f, const uint8_t *data, size_t len,
               struct vg_err **err)
{
    (void)err;
    struct secret_consumer *sc = ctx;
    if (!data) {
        return 0;
    }
    vg_autofree char *abs = vg_fmt("%s%s", sc->relative ? "" : "/", f->path);
    if (!secret_enqueue(sc, abs, data, len, f->layer_index)) {
        secret_scan_one(sc, abs, data, len, f->layer_index);
    }
    return 0;
}

static void
secret_worker_start(struct secret_consumer *sc)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 2) {
        return; /* no spare core: scanning inline is cheaper than copying */
    }
    sc->worker_started = pthread_create(&sc->worker, NULL, secret_worker, sc) == 0;
}

/* Drains the queue: every finding is in the report when this returns. */
static void
secret_worker_finish(struct secret_consumer *sc)
{
    if (!sc->worker_started) {
        return;
    }
    pthread_mutex_lock(&sc->qmu);
    sc->closed = true;
    pthread_cond_broadcast(&sc->qcv);
    pthread_mutex_unlock(&sc->qmu);
    pthread_join(sc->worker, NULL);
    sc->worker_started = false;
}

static enum vg_layer_want
model_want(void *ctx, const struct vg_layer_file *f)
{
    struct model_consumer *mc = ctx;
    if ((f->mode & 0170000) != 0100000 || f->size == 0 || !vg_model_path_wanted(f->path)) {
        return VG_WANT_NONE;
    }
    if (f->size > VG_MODEL_HEAD_BYTES) {
        return f->layer_index < mc->nheads ? VG_WANT_STREAM : VG_WANT_NONE;
    }
    return VG_WANT_WHOLE;
}

static void model_check(struct model_consumer *mc, const struct vg_layer_file *f,
                        const uint8_t *data, size_t len);

static int
model_on_file(void *ctx, const struct vg_layer_file *f, const uint8_t *data, size_t len,
              struct vg_err **err)
{
    (void)err;
    if (data) {
        model_check(ctx, f, data, len);
    }
    return 0;
}

/* Keeps the head of a streamed model file; checks it at the end of the file. */
static int
model_on_chunk(void *ctx, const struct vg_layer_file *f, const uint8_t *data, size_t len,
               struct vg_err **err)
{
    struct model_consumer *mc = ctx;
    struct vg_buf *b = &mc->heads[f->layer_index];
    if (data) {
        size_t take = len < b->max - b->len ? len : b->max - b->len;
        return take ? vg_buf_append(b, data, take, err) : 0;
    }
    model_check(mc, f, b->data ? b->data : (const uint8_t *)"", b->len);
    vg_buf_dispose(b);
    vg_buf_init(b, MODEL_STREAM_HEAD);
    return 0;
}

static void
model_check(struct model_consumer *mc, const struct vg_layer_file *f, const uint8_t *data,
            size_t len)
{
    vg_autofree char *abs = vg_fmt("%s%s", mc->relative ? "" : "/", f->path);
    struct vg_model_findings found = {0};
    struct vg_model_opts mo = {.truncated_input = f->size > len};
    struct vg_err *e = NULL;
    if (vg_model_check(abs, data, len, &mo, &found, &e) < 0) {
        char *m = vg_err_format(e);
        VG_WARN("scan", "model check of %s skipped: %s", abs, m);
        free(m);
        vg_err_free(&e);
    }
    if (found.len) {
        pthread_mutex_lock(&mc->mu);
        struct vg_scan_report *r = mc->report;
        VG_ARRAY_GROW(r->models, r->nmodels, found.len);
        for (size_t i = 0; i < found.len; i++) {
            r->models[r->nmodels++] =
                (struct vg_scan_model){.f = found.items[i], .layer = f->layer_index};
        }
        pthread_mutex_unlock(&mc->mu);
        found.len = 0;
    }
    vg_model_findings_dispose(&found);
}

static struct vg_scan_report *
report_new(void)
{
    struct vg_scan_report *r = vg_calloc(1, sizeof(*r));
    r->created_at = vg_now_unix();
    return r;
}

static void
report_from_image(struct vg_scan_report *r, const struct vg_oci_image *img)
{
    r->artifact = vg_strdup(img->reference);
    r->artifact_type = vg_strdup("container_image");
    r->manifest_digest = img->manifest_digest;
    r->index_digest = img->index_digest;
    if (img->ref) {
        r->repository = vg_oci_ref_name(img->ref);
        r->tag = vg_strdup(img->ref->tag);
    }
    if (img->manifest) {
        r->config_digest = img->manifest->config.digest;
        r->nlayers = img->manifest->nlayers;
        r->layers = vg_calloc(r->nlayers, sizeof(*r->layers));
        for (size_t i = 0; i < r->nlayers; i++) {
            r->layers[i].digest = img->manifest->layers[i].digest;
            if (img->config && i < img->config->ndiff_ids) {
                r->layers[i].diff_id = img->config->diff_ids[i];
            }
        }
    }
    r->platform = vg_oci_platform_string(&img->platform);
    if (img->ref && img->ref->tag) {
        r->repo_tags = vg_calloc(1, sizeof(char *));
        r->repo_tags[0] = vg_oci_ref_string(img->ref);
        r->nrepo_tags = 1;
    }
    /* The config was validated when the image was opened; a document that fails here only
     * loses its copy in the report. */
    if (img->config_raw && vg_json_parse(&r->image_config, img->config_raw, img->config_len,
                                         VG_LIMIT_CONFIG_BYTES, "image config", NULL) < 0) {
        r->image_config = NULL;
    }
}

/* ---------------------------------------------------------------- per-layer cache */

/* The configuration collector's inputs, recorded per layer so that a cached layer can replay
 * them: a tee in front of the collector's consumer. */
struct cfg_rec {
    char *path;
    uint32_t mode;
    size_t layer;
};

struct cfg_tee {
    struct vg_layer_consumer c;
    struct vg_layer_consumer *inner;
    pthread_mutex_t mu; /* guards v, n */
    struct cfg_rec *v;
    size_t n;
};

#define CFG_TEE_MAX 100000u

static enum vg_layer_want
tee_want(void *ctx, const struct vg_layer_file *f)
{
    struct cfg_tee *t = ctx;
    return t->inner->want(t->inner->ctx, f);
}

static int
tee_on_file(void *ctx, const struct vg_layer_file *f, const uint8_t *data, size_t len,
            struct vg_err **err)
{
    struct cfg_tee *t = ctx;
    pthread_mutex_lock(&t->mu);
    if (t->n < CFG_TEE_MAX) {
        VG_ARRAY_GROW(t->v, t->n, 1);
        t->v[t->n++] = (struct cfg_rec){vg_strdup(f->path), f->mode, f->layer_index};
    }
    pthread_mutex_unlock(&t->mu);
    return t->inner->on_file(t->inner->ctx, f, data, len, err);
}

/* The configuration collector's consumer, behind the tee when the per-layer cache records. */
static struct vg_layer_consumer *
cfg_consumer_init(struct cfg_tee *tee, struct vg_cfg_collector *cc, bool cache)
{
    tee->inner = vg_cfg_collector_consumer(cc);
    tee->c = *tee->inner;
    tee->c.ctx = tee;
    tee->c.want = tee_want;
    tee->c.on_file = tee_on_file;
    return cache ? &tee->c : tee->inner;
}

static void
tee_dispose(struct cfg_tee *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].path);
    }
    free(t->v);
    pthread_mutex_destroy(&t->mu);
}

/* What the per-layer cache knows for this scan: a key per cacheable layer (one with a diffID
 * in the config) and the entries found. */
struct lcache {
    size_t n;
    char **keys;                      /* NULL: layer not cacheable */
    struct vg_scan_layer_entry *hits; /* listing.max == 0: miss */
    bool *hit;
};

static char *
layer_key(const struct vg_digest *diff_id, const struct vg_scan_opts *o)
{
    struct vg_buf b = VG_BUF_INIT(1u << 20);
    int rc =
        vg_buf_appendf(&b, NULL, "layer|%s|%s|%u|%d%d|%s", VG_VERSION, diff_id->text,
                       o->scanners ? o->scanners : (unsigned)VG_SCANNER_DEFAULT, o->inv.os_pkgs,
                       o->inv.lib_pkgs, o->secret_config ? o->secret_config : "");
    for (size_t i = 0; rc == 0 && i < o->inv.nskip_dirs; i++) {
        rc = vg_buf_appendf(&b, NULL, "|d:%s", o->inv.skip_dirs[i]);
    }
    for (size_t i = 0; rc == 0 && i < o->inv.nskip_files; i++) {
        rc = vg_buf_appendf(&b, NULL, "|f:%s", o->inv.skip_files[i]);
    }
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, b.data, b.len);
    vg_buf_dispose(&b);
    return rc == 0 ? vg_strdup(vg_digest_hex(&d)) : NULL;
}

static bool
lcache_listing(void *ctx, size_t i, const uint8_t **data, size_t *len)
{
    struct lcache *lc = ctx;
    if (i >= lc->n || !lc->hit[i]) {
        return false;
    }
    *data = lc->hits[i].listing.data ? lc->hits[i].listing.data : (const uint8_t *)"";
    *len = lc->hits[i].listing.len;
    return true;
}

static void
lcache_free(struct lcache *lc)
{
    for (size_t i = 0; i < lc->n; i++) {
        free(lc->keys[i]);
        vg_scan_layer_entry_dispose(&lc->hits[i]);
    }
    free(lc->keys);
    free(lc->hits);
    free(lc->hit);
}

/* Applies a loaded entry for layer i; false (nothing applied) when the records do not import. */
static bool
lcache_apply(struct vg_scan_report *r, const struct vg_oci_image *img,
             struct vg_inventory_builder *ib, struct vg_layer_consumer *cfg,
             const struct vg_scan_layer_entry *e, size_t i)
{
    const struct vg_digest *dg = &img->manifest->layers[i].digest;
    const struct vg_digest *did = &img->config->diff_ids[i];
    if (ib && (!e->inv || vg_inventory_builder_import(ib, e->inv, i, dg, did, NULL) < 0)) {
        return false;
    }
    vg_scan_layer_cache_restore(r, e, i);
    for (size_t k = 0; cfg && k < json_array_size(e->files); k++) {
        json_t *o = json_array_get(e->files, k);
        struct vg_layer_file f = {.path = vg_json_str(o, "path"),
                                  .mode = (uint32_t)json_integer_value(json_object_get(o, "mode")),
                                  .layer_index = i,
                                  .layer_digest = dg,
                                  .diff_id = did};
        if (f.path && *f.path) {
            (void)cfg->on_file(cfg->ctx, &f, NULL, 0, NULL);
        }
    }
    return true;
}

/* Loads the entries of every cacheable layer and applies them (before the walk). */
static void
lcache_open(struct lcache *lc, struct vg_scan_report *r, const struct vg_oci_image *img,
            const struct vg_scan_opts *o, struct vg_inventory_builder *ib,
            struct vg_layer_consumer *cfg)
{
    lc->n = img->manifest ? img->manifest->nlayers : 0;
    lc->keys = vg_calloc(lc->n ? lc->n : 1, sizeof(*lc->keys));
    lc->hits = vg_calloc(lc->n ? lc->n : 1, sizeof(*lc->hits));
    lc->hit = vg_calloc(lc->n ? lc->n : 1, sizeof(*lc->hit));
    for (size_t i = 0; i < lc->n; i++) {
        if (!img->config || i >= img->config->ndiff_ids || !img->config->diff_ids[i].alg) {
            continue;
        }
        lc->keys[i] = layer_key(&img->config->diff_ids[i], o);
        if (lc->keys[i] && vg_scan_layer_cache_load(&lc->hits[i], lc->keys[i]) == 0) {
            lc->hit[i] = lcache_apply(r, img, ib, cfg, &lc->hits[i], i);
            VG_DEBUG("scan", "layer %zu: %s", i, lc->hit[i] ? "from the layer cache" : "stale");
        }
    }
}

static json_t *
tee_files(const struct cfg_tee *t, size_t layer)
{
    json_t *a = json_array();
    for (size_t i = 0; t && i < t->n; i++) {
        if (t->v[i].layer == layer) {
            json_t *o =
                json_pack("{s:s,s:I}", "path", t->v[i].path, "mode", (json_int_t)t->v[i].mode);
            if (!o) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, o);
        }
    }
    return a;
}

/* After a walk (before the inventory is finished): stores every walked cacheable layer. */
static void
lcache_store(const struct lcache *lc, const struct vg_scan_report *r,
             const struct vg_layers_result *lr, struct vg_inventory_builder *ib,
             const struct cfg_tee *tee)
{
    for (size_t i = 0; i < lc->n; i++) {
        size_t len = 0;
        const uint8_t *lst = vg_layers_result_listing(lr, i, &len);
        if (!lc->keys[i] || lc->hit[i] || !lst) {
            continue;
        }
        json_t *inv = NULL;
        if (ib && vg_inventory_builder_export(&inv, ib, i, NULL) < 0) {
            continue;
        }
        json_t *files = tee_files(tee, i);
        if (files) {
            vg_scan_layer_cache_store(lc->keys[i], lst, len, inv, r, i, files);
        }
        json_decref(files);
        json_decref(inv);
    }
}

/* The secrets consumer of walk_image, its worker started; se stays owned by the caller. */
static struct vg_layer_consumer *
secret_consumer_start(struct secret_consumer *scons, struct vg_secret_engine *se,
                      struct vg_scan_report *r, const struct vg_scan_opts *o)
{
    scons->engine = se;
    scons->inv = &o->inv;
    scons->report = r;
    scons->c = (struct vg_layer_consumer){.name = "secrets",
                                          .ctx = scons,
                                          .max_file_bytes = SECRET_FILE_MAX,
                                          .want = secret_want,
                                          .on_file = secret_on_file};
    secret_worker_start(scons);
    return &scons->c;
}

/* The model-file consumer of walk_image, one stream head per layer of the manifest. */
static struct vg_layer_consumer *
model_consumer_init(struct model_consumer *mcons, struct vg_scan_report *r, size_t nlayers)
{
    mcons->report = r;
    mcons->nheads = nlayers;
    mcons->heads = vg_calloc(mcons->nheads ? mcons->nheads : 1, sizeof(*mcons->heads));
    for (size_t i = 0; i < mcons->nheads; i++) {
        vg_buf_init(&mcons->heads[i], MODEL_STREAM_HEAD);
    }
    mcons->c = (struct vg_layer_consumer){.name = "models",
                                          .ctx = mcons,
                                          .max_file_bytes = VG_MODEL_HEAD_BYTES,
                                          .want = model_want,
                                          .on_file = model_on_file,
                                          .on_chunk = model_on_chunk};
    return &mcons->c;
}

/* Secrets in the image config (env, labels, history) join the report with no layer. */
static int
scan_config_secrets(struct vg_scan_report *r, struct vg_secret_engine *se,
                    const struct vg_oci_image *img, struct vg_err **err)
{
    struct vg_secret_findings found = {0};
    if (vg_secret_scan_image_config(se, img->config_raw, img->config_len, &found, err) < 0) {
        vg_secret_findings_dispose(&found);
        return vg_err_wrap(err, "scan image config for secrets");
    }
    VG_ARRAY_GROW(r->secrets, r->nsecrets, found.len);
    for (size_t i = 0; i < found.len; i++) {
        r->secrets[r->nsecrets++] = (struct vg_scan_secret){.f = found.items[i], .layer = SIZE_MAX};
    }
    found.len = 0;
    vg_secret_findings_dispose(&found);
    return 0;
}

static void
locks_init(struct cfg_tee *tee, struct secret_consumer *scons, struct model_consumer *mcons)
{
    pthread_mutex_init(&tee->mu, NULL);
    pthread_mutex_init(&scons->mu, NULL);
    pthread_mutex_init(&scons->qmu, NULL);
    pthread_cond_init(&scons->qcv, NULL);
    pthread_mutex_init(&mcons->mu, NULL);
}

/* The layers of img, or the directory tree dir walked as one layer (vigil fs, rootfs: no
 * cache, nothing deleted by a later layer). */
static int
walk_tree(struct vg_scan_report *r, struct vg_oci_image *img, const char *dir,
          const struct vg_scan_opts *o, struct vg_err **err)
{
    unsigned sc = o->scanners ? o->scanners : (unsigned)VG_SCANNER_DEFAULT;
    struct vg_inventory_builder *ib = NULL;
    struct vg_secret_engine *se = NULL;
    struct vg_cfg_collector *cc = NULL;
    struct vg_layers_result *lr = NULL;
    struct secret_consumer scons = {0};
    struct model_consumer mcons = {0};
    struct vg_scan_misconf_consumer misc;
    vg_autofree struct vg_layer_consumer **consumers = NULL;
    struct cfg_tee tee = {0};
    struct lcache lc = {0};
    size_t n = 0;
    int rc = 0;

    locks_init(&tee, &scons, &mcons);
    /* Every analyzer of the inventory, then at most one each for secrets, models, config
     * (two for a directory: the files misconf.h checks too). */
    size_t ni = 0;
    struct vg_layer_consumer *const *ic = NULL;
    if (sc & VG_SCANNER_VULN) {
        ib = vg_inventory_builder_new(&o->inv);
        ic = vg_inventory_builder_consumers(ib, &ni);
    }
    consumers = vg_calloc(ni + 4, sizeof(*consumers));
    for (size_t i = 0; i < ni; i++) {
        consumers[n++] = ic[i];
    }
    if (sc & VG_SCANNER_SECRET) {
        struct vg_secret_opts so = {.config_path = o->secret_config};
        se = vg_secret_engine_new(&so, err);
        if (!se) {
            rc = vg_err_wrap(err, "secret rules");
            goto out;
        }
        scons.relative = dir != NULL;
        consumers[n++] = secret_consumer_start(&scons, se, r, o);
    }
    if (sc & VG_SCANNER_MODEL) {
        mcons.relative = dir != NULL;
        size_t nl = dir ? 1 : img->manifest ? img->manifest->nlayers : 0;
        consumers[n++] = model_consumer_init(&mcons, r, nl);
    }
    if (sc & VG_SCANNER_CONFIG) {
        cc = vg_cfg_collector_new();
        consumers[n++] = cfg_consumer_init(&tee, cc, o->use_cache && !dir);
        if (dir) {
            consumers[n++] = vg_scan_misconf_consumer_init(&misc, r, se);
        }
    }
    struct vg_layers_opts lo = VG_LAYERS_OPTS_INIT;
    lo.jobs = o->jobs;
    lo.quiet = o->quiet;
    lo.deadline_ns = o->open.deadline_ns;
    bool cache = o->use_cache && !dir;
    if (cache) {
        lcache_open(&lc, r, img, o, ib, tee.inner);
        lo.record_listings = true;
        lo.cached = lcache_listing;
        lo.cached_ctx = &lc;
    }
    int wrc = dir ? vg_scan_walk_dir(dir, consumers, n, o, err)
                  : vg_layers_walk(&lr, img, consumers, n, &lo, err);
    secret_worker_finish(&scons);
    if (wrc < 0) {
        rc = -1;
        goto out;
    }
    if (cache) {
        lcache_store(&lc, r, lr, ib, cc ? &tee : NULL);
    }
    if (ib && vg_inventory_builder_finish(&r->inv, ib, lr, err) < 0) {
        rc = vg_err_wrap(err, "inventory");
        goto out;
    }
    if (se && img && img->config_raw && scan_config_secrets(r, se, img, err) < 0) {
        rc = -1;
        goto out;
    }
    if (cc) {
        vg_scan_config_check_files(r, cc, lr);
    }
out:
    vg_layers_result_free(lr);
    lcache_free(&lc);
    tee_dispose(&tee);
    vg_cfg_collector_free(cc);
    vg_secret_engine_free(se);
    vg_inventory_builder_free(ib);
    for (size_t i = 0; i < mcons.nheads; i++) {
        vg_buf_dispose(&mcons.heads[i]);
    }
    free(mcons.heads);
    secret_worker_finish(&scons);
    pthread_mutex_destroy(&scons.mu);
    pthread_mutex_destroy(&scons.qmu);
    pthread_cond_destroy(&scons.qcv);
    pthread_mutex_destroy(&mcons.mu);
    return rc;
}

/* --timeout covers the whole scan: the network requests end at the deadline (net.h), and
 * the stages between them check it. */
static int
check_deadline(const struct vg_scan_opts *o, const char *stage, struct vg_err **err)
{
    if (o->open.deadline_ns && vg_now_ns() >= o->open.deadline_ns) {
        return vg_err_set(err, VG_E_NET, "time limit reached before %s", stage);
    }
    return 0;
}

static int
open_db_and_match(struct vg_scan_report *r, const struct vg_scan_opts *o, struct vg_err **err)
{
    if (check_deadline(o, "matching vulnerabilities", err) < 0) {
        return -1;
    }
    vg_autofree char *path = vg_vulndb_path_resolve(o->db_path);
    if (!vg_path_exists(path)) {
        if (o->offline) {
            return vg_err_set(err, VG_E_NOTFOUND,
                              "vulnerability database not found at %s (run 'vigil db update', "
                              "or 'vigil db build --from DIR' offline)",
                              path);
        }
        struct vg_vulndb_update_opts uo = {.db_path = path,
                                           .quiet = o->quiet,
                                           .deadline_ns = o->open.deadline_ns,
                                           .stall_timeout_s = o->open.stall_timeout_s};
        struct vg_vulndb_update_stats us = {0};
        if (vg_vulndb_update(&uo, &us, err) < 0) {
            return vg_err_wrap(err, "download the vulnerability database");
        }
    }
    struct vg_vulndb *db = NULL;
    if (vg_vulndb_open(&db, path, true, err) < 0) {
        return vg_err_wrap(err, "open vulnerability database %s", path);
    }
    struct vg_vulndb_info info = {0};
    if (vg_vulndb_built_at(db, &info.built_at, NULL) == 0) {
        r->db_built_at = info.built_at;
        if (vg_vulndb_is_stale(&info, vg_now_unix())) {
            VG_WARN("scan", "the vulnerability database is more than 7 days old: run "
                            "'vigil db update'");
        }
    }
    int rc = vg_scan_match(r, db, err);
    vg_vulndb_close(db);
    return rc;
}

/* Scans an opened image (always freed). */
int
vg_scan_opened_image(struct vg_scan_report **out, struct vg_oci_image *img,
                     const struct vg_scan_opts *o, const char *analysis, size_t alen,
                     struct vg_err **err)
{
    struct vg_scan_report *r = report_new();
    report_from_image(r, img);
    unsigned sc = o->scanners ? o->scanners : (unsigned)VG_SCANNER_DEFAULT;
    bool cache = o->use_cache && !analysis; /* a saved analysis replaces the walk */
    vg_autofree char *key = cache ? vg_scan_cache_key(&img->manifest_digest, o) : NULL;
    vg_autofree char *inv_key =
        cache ? vg_scan_inventory_cache_key(&img->manifest_digest, &o->inv) : NULL;
    int rc = 0;
    if (analysis) {
        rc = vg_scan_analysis_restore(r, analysis, alen, err);
    } else if (key && vg_scan_cache_load(r, key, inv_key) == 0) {
        r->from_cache = true;
    } else {
        rc = walk_tree(r, img, NULL, o, err);
        if (rc == 0 && key) {
            vg_scan_cache_store(r, key, inv_key);
        }
        if (cache) {
            vg_scan_cache_enforce(&o->cache_limits); /* after the walk's layer entries too */
        }
    }
    if (rc == 0 && (sc & VG_SCANNER_CONFIG)) {
        vg_scan_config_check_image(r, img);
    }
    if (rc == 0 && r->inv) {
        r->os_family = vg_strdup(r->inv->os.family);
        r->os_version = vg_strdup(r->inv->os.version);
    }
    if (rc == 0 && (sc & VG_SCANNER_VULN)) {
        rc = open_db_and_match(r, o, err);
    }
    vg_oci_image_free(img);
    if (rc < 0) {
        vg_scan_report_free(r);
        return rc;
    }
    vg_scan_report_sort(r);
    *out = r;
    return 0;
}

int
vg_scan_image(struct vg_scan_report **out, const char *image, const struct vg_scan_opts *o,
              struct vg_err **err)
{
    struct vg_oci_image *img = NULL;
    if (vg_layers_image_open(&img, image, &o->open, err) < 0) {
        return -1;
    }
    return vg_scan_opened_image(out, img, o, NULL, 0, err);
}

int
vg_scan_inventory(struct vg_inventory **out, struct vg_oci_image *img, const struct vg_scan_opts *o,
                  bool *from_cache, struct vg_err **err)
{
    *from_cache = false;
    vg_autofree char *key =
        o->use_cache ? vg_scan_inventory_cache_key(&img->manifest_digest, &o->inv) : NULL;
    if (key && vg_scan_inventory_cache_load(out, key) == 0) {
        if (!(*out)->warnings) {
            *from_cache = true;
            return 0;
        }
        /* The messages naming the unreadable files are not cached: walk again to show them. */
        vg_inventory_free(*out);
        *out = NULL;
    }
    /* Without the per-layer cache: a walk then reports every unreadable file by name, as
     * `vigil sbom` always did (layer entries keep only that a file failed). */
    struct vg_scan_opts io = *o;
    io.scanners = VG_SCANNER_VULN;
    io.use_cache = false;
    struct vg_scan_report *r = report_new();
    int rc = walk_tree(r, img, NULL, &io, err);
    if (rc == 0 && key) {
        vg_scan_inventory_cache_store(r->inv, key);
    }
    if (o->use_cache) {
        vg_scan_cache_enforce(&o->cache_limits);
    }
    if (rc == 0) {
        *out = vg_steal_ptr(&r->inv);
    }
    vg_scan_report_free(r);
    return rc;
}

int
vg_scan_dir(struct vg_scan_report **out, const char *dir, enum vg_scan_target target,
            const struct vg_scan_opts *o, struct vg_err **err)
{
    struct vg_scan_opts so = *o;
    so.use_cache = false;
    so.inv.source_tree = target == VG_SCAN_TARGET_FS;
    if (so.inv.source_tree) {
        so.inv.os_pkgs = false;
    }
    unsigned sc = so.scanners ? so.scanners : (unsigned)VG_SCANNER_DEFAULT;
    struct vg_scan_report *r = report_new();
    r->artifact = vg_strdup(dir);
    r->artifact_type = vg_strdup("filesystem");
    int rc = walk_tree(r, NULL, dir, &so, err);
    if (rc == 0 && r->inv) {
        r->os_family = vg_strdup(r->inv->os.family);
        r->os_version = vg_strdup(r->inv->os.version);
    }
    if (rc == 0 && (sc & VG_SCANNER_VULN)) {
        rc = open_db_and_match(r, &so, err);
    }
    if (rc < 0) {
        vg_scan_report_free(r);
        return rc;
    }
    vg_scan_report_sort(r);
    *out = r;
    return 0;
}

int
vg_scan_sbom(struct vg_scan_report **out, const char *sbom_path, const struct vg_scan_opts *o,
             struct vg_err **err)
{
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(256u * 1024u * 1024u);
    if (vg_file_read(&raw, sbom_path, raw.max, err) < 0) {
        return -1;
    }
    struct vg_scan_report *r = report_new();
    r->artifact = vg_strdup(sbom_path);
    r->artifact_type = vg_strdup("sbom");
    if (vg_sbom_read(&r->inv, raw.data, raw.len, err) < 0) {
        vg_scan_report_free(r);
        return vg_err_wrap(err, "SBOM %s", sbom_path);
    }
    r->os_family = vg_strdup(r->inv->os.family);
    r->os_version = vg_strdup(r->inv->os.version);
    r->subject_purl = vg_strdup(r->inv->subject_purl);
    if (open_db_and_match(r, o, err) < 0) {
        vg_scan_report_free(r);
        return -1;
    }
    vg_scan_report_sort(r);
    *out = r;
    return 0;
}

void
vg_scan_secret_dispose(struct vg_scan_secret *s)
{
    vg_secret_finding_dispose(&s->f);
    free(s->suppressed_by);
    memset(s, 0, sizeof(*s));
}

void
vg_scan_model_dispose(struct vg_scan_model *m)
{
    vg_model_finding_dispose(&m->f);
    free(m->suppressed_by);
    memset(m, 0, sizeof(*m));
}

void
vg_scan_report_free(struct vg_scan_report *r)
{
    if (!r) {
        return;
    }
    free(r->artifact);
    free(r->artifact_type);
    free(r->platform);
    free(r->os_family);
    free(r->os_version);
    vg_strv_free(r->repo_tags, r->nrepo_tags);
    free(r->repository);
    free(r->tag);
    free(r->subject_purl);
    free(r->layers);
    for (size_t i = 0; i < r->nvulns; i++) {
        vg_scan_vuln_dispose(&r->vulns[i]);
    }
    free(r->vulns);
    for (size_t i = 0; i < r->nconfigs; i++) {
        free(r->configs[i].message);
        free(r->configs[i].suppressed_by);
        free(r->configs[i].target);
    }
    free(r->configs);
    for (size_t i = 0; i < r->nconfig_targets; i++) {
        free(r->config_targets[i].path);
    }
    free(r->config_targets);
    for (size_t i = 0; i < r->nsecrets; i++) {
        vg_scan_secret_dispose(&r->secrets[i]);
    }
    free(r->secrets);
    for (size_t i = 0; i < r->nmodels; i++) {
        vg_scan_model_dispose(&r->models[i]);
    }
    free(r->models);
    vg_inventory_free(r->inv);
    json_decref(r->image_config);
    free(r);
}
