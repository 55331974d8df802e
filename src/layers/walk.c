/* SPDX-License-Identifier: Apache-2.0
 *
 * One layer, one pass: libarchive parses the plain tar stream that lz.c produces (tar formats
 * only, no filters, no extraction), and for every entry this file normalizes the name,
 * refuses unsafe names, resolves whiteout markers into merge events, asks each consumer what
 * it wants and hands over metadata, the whole content or a stream of chunks. Content nobody
 * wants is skipped with archive_read_data_skip (it still flows through the diffID hash).
 *
 * Links are data: symlink targets are reported verbatim and never resolved, hardlink targets
 * are normalized like entry names. Nothing here touches the host filesystem.
 *
 * Every failure is reported once, as "<layer>: entry '<name>': <what>", so a corrupt or
 * hostile layer names itself and the place where it broke.
 */
#include "layers_int.h"

#include <errno.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#define UNSAFE_WARN_MAX 10
#define NAME_SHOWN_MAX  200

static const char WH_PREFIX[] = ".wh.";
static const char WH_OPAQUE[] = ".wh..wh..opq";
static const char WH_META[] = ".wh..wh.";

struct walk {
    struct archive *a;
    struct vg_lz *lz;
    struct vg_lz_pipe *pipe;   /* args->pipeline: lz runs on its own thread */
    struct vg_hasher *h_plain; /* with a pipe: the diffID, hashed on this thread */
    const struct vg_layers_walk_args *args;
    struct vg_layers_limits lim;
    struct vg_layer_consumer *const *cons;
    size_t ncons;
    enum vg_layer_want *wants;
    struct vg_layer_stats *st;
    struct vg_err *read_err; /* stashed by the libarchive read callback */
    char *path;              /* normalized entry name, lim.path_bytes + 1 */
    char *aux;               /* hardlink target or whiteout target, same size */
    char *raw_name;          /* current entry's name as stored, for messages */
    bool in_entry;           /* raw_name belongs to the entry being read */
    uint64_t entries;
};

long
vg_layers_path_normalize(const char *name, char *out, size_t cap)
{
    size_t n = 0;
    if (name[0] == '/') {
        return -1;
    }
    const char *p = name;
    while (*p) {
        while (*p == '/') {
            p++;
        }
        const char *s = p;
        while (*p && *p != '/') {
            p++;
        }
        size_t cl = (size_t)(p - s);
        if (cl == 0 || (cl == 1 && s[0] == '.')) {
            continue;
        }
        if (cl == 2 && s[0] == '.' && s[1] == '.') {
            return -1;
        }
        size_t need = n + (n > 0) + cl + 1;
        if (need > cap) {
            return -2;
        }
        if (n > 0) {
            out[n++] = '/';
        }
        memcpy(out + n, s, cl);
        n += cl;
    }
    if (cap == 0) {
        return -2;
    }
    out[n] = '\0';
    return (long)n;
}

/* Wraps *err with the layer label and the entry being read (or the last one read). */
static int
walk_fail(struct walk *w, struct vg_err **err)
{
    if (!w->raw_name) {
        return vg_err_wrap(err, "%s: before the first entry", w->args->label);
    }
    char *e = vg_escape(w->raw_name, strlen(w->raw_name), NAME_SHOWN_MAX);
    int rc = vg_err_wrap(err, "%s: %s entry '%s'", w->args->label, w->in_entry ? "at" : "after", e);
    free(e);
    return rc;
}

/* Turns a libarchive failure into our error, preferring what the read callback stashed. */
static int
archive_fail(struct walk *w, struct vg_err **err)
{
    if (w->read_err) {
        *err = vg_steal_ptr(&w->read_err);
    } else {
        const char *m = archive_error_string(w->a);
        vg_err_set(err, VG_E_PARSE, "corrupt tar: %s", m ? m : "unknown libarchive error");
    }
    return walk_fail(w, err);
}

/* The next plain chunk: from the pipe (hashing it here, off the inflating thread) or lz. */
static int
walk_pull(struct walk *w, const uint8_t **d, size_t *n, struct vg_err **err)
{
    if (!w->pipe) {
        return vg_lz_pull(w->lz, d, n, err);
    }
    if (vg_lz_pipe_pull(w->pipe, d, n, err) < 0) {
        return -1;
    }
    vg_hasher_update(w->h_plain, *d, *n);
    return 0;
}

static int
walk_drain(struct walk *w, struct vg_err **err)
{
    const uint8_t *d;
    size_t n;
    do {
        if (walk_pull(w, &d, &n, err) < 0) {
            return -1;
        }
    } while (n > 0);
    return 0;
}

static la_ssize_t
la_read(struct archive *a, void *ud, const void **buf)
{
    struct walk *w = ud;
    const uint8_t *d = NULL;
    size_t n = 0;
    if (walk_pull(w, &d, &n, &w->read_err) < 0) {
        archive_set_error(a, EIO, "layer stream failed");
        return -1;
    }
    *buf = d;
    return (la_ssize_t)n;
}

static void
warn_unsafe(struct walk *w, const char *why)
{
    w->st->skipped_unsafe++;
    if (w->st->skipped_unsafe <= UNSAFE_WARN_MAX) {
        char *e = vg_escape(w->raw_name, strlen(w->raw_name), NAME_SHOWN_MAX);
        VG_WARN("layers", "%s: skipping entry '%s': %s", w->args->label, e, why);
        free(e);
    } else if (w->st->skipped_unsafe == UNSAFE_WARN_MAX + 1) {
        VG_WARN("layers", "%s: more unsafe entries skipped (counted, not shown)", w->args->label);
    }
}

static size_t
consumer_max(const struct vg_layer_consumer *c)
{
    return c->max_file_bytes ? c->max_file_bytes : VG_LIMIT_ANALYZER_FILE_BYTES;
}

static int
consumer_fail(struct walk *w, const struct vg_layer_consumer *c, struct vg_err **err)
{
    vg_err_wrap(err, "consumer %s", c->name ? c->name : "?");
    return walk_fail(w, err);
}

/* Asks every consumer. *any: someone wants something; *whole: someone wants the content in
 * one buffer; returns whether the content must be read at all. */
static bool
collect_wants(struct walk *w, const struct vg_layer_file *f, bool has_content, bool *any,
              bool *whole)
{
    bool content = false;
    *any = false;
    *whole = false;
    for (size_t i = 0; i < w->ncons; i++) {
        const struct vg_layer_consumer *c = w->cons[i];
        enum vg_layer_want wt = c->want ? c->want(c->ctx, f) : VG_WANT_NONE;
        if (wt == VG_WANT_WHOLE && has_content && f->size > consumer_max(c)) {
            char *e = vg_escape(f->path, strlen(f->path), NAME_SHOWN_MAX);
            VG_WARN("layers", "%s: file '%s' (%llu bytes) exceeds %zu bytes: skipped for %s",
                    w->args->label, e, (unsigned long long)f->size, consumer_max(c),
                    c->name ? c->name : "?");
            free(e);
            wt = VG_WANT_NONE;
        }
        w->wants[i] = wt;
        *any = *any || wt != VG_WANT_NONE;
        if (has_content && (wt == VG_WANT_STREAM || wt == VG_WANT_WHOLE)) {
            content = true;
            *whole = *whole || wt == VG_WANT_WHOLE;
        }
    }
    return content;
}

static int
stream_chunk(struct walk *w, const struct vg_layer_file *f, const uint8_t *d, size_t n,
             struct vg_err **err)
{
    for (size_t i = 0; i < w->ncons; i++) {
        const struct vg_layer_consumer *c = w->cons[i];
        if (w->wants[i] == VG_WANT_STREAM && c->on_chunk && c->on_chunk(c->ctx, f, d, n, err) < 0) {
            return consumer_fail(w, c, err);
        }
    }
    return 0;
}

/* Reads the entry's data blocks once, feeding STREAM consumers and, when whole is non-NULL,
 * filling it at each block's offset (sparse holes stay zero). */
static int
read_content(struct walk *w, const struct vg_layer_file *f, uint8_t *whole, struct vg_err **err)
{
    for (;;) {
        const void *blk = NULL;
        size_t n = 0;
        la_int64_t off = 0;
        int r = archive_read_data_block(w->a, &blk, &n, &off);
        if (r == ARCHIVE_EOF) {
            return 0;
        }
        if (r < ARCHIVE_WARN) {
            return archive_fail(w, err);
        }
        if (n == 0) {
            continue;
        }
        if (off < 0 || (uint64_t)off > f->size || n > f->size - (uint64_t)off) {
            vg_err_set(err, VG_E_PARSE, "data block at offset %lld beyond the declared size",
                       (long long)off);
            return walk_fail(w, err);
        }
        if (whole) {
            memcpy(whole + off, blk, n);
        }
        if (stream_chunk(w, f, blk, n, err) < 0) {
            return -1;
        }
    }
}

static int
skip_data(struct walk *w, struct vg_err **err)
{
    if (archive_read_data_skip(w->a) < ARCHIVE_WARN) {
        return archive_fail(w, err);
    }
    return 0;
}

static int
deliver(struct walk *w, const struct vg_layer_file *f, bool has_content, struct vg_err **err)
{
    bool any, want_whole;
    bool content = collect_wants(w, f, has_content, &any, &want_whole);
    /* f->size is within the largest WHOLE consumer's limit here (collect_wants). */
    vg_autofree uint8_t *whole = want_whole ? vg_calloc((size_t)f->size + 1, 1) : NULL;
    if (content ? read_content(w, f, whole, err) < 0 : skip_data(w, err) < 0) {
        return -1;
    }
    if (!any) {
        return 0;
    }
    for (size_t i = 0; i < w->ncons; i++) {
        const struct vg_layer_consumer *c = w->cons[i];
        int rc = 0;
        if (w->wants[i] == VG_WANT_META || w->wants[i] == VG_WANT_WHOLE) {
            const uint8_t *d = w->wants[i] == VG_WANT_WHOLE && has_content ? whole : NULL;
            rc = c->on_file ? c->on_file(c->ctx, f, d, d ? (size_t)f->size : 0, err) : 0;
        } else if (w->wants[i] == VG_WANT_STREAM) {
            rc = c->on_chunk ? c->on_chunk(c->ctx, f, NULL, 0, err) : 0;
        }
        if (rc < 0) {
            return consumer_fail(w, c, err);
        }
    }
    return 0;
}

/* Adds one merge event to the index and, when recording, to the layer's listing. */
static void
emit(struct walk *w, const char *path, size_t len, enum vg_layers_event ev)
{
    static const char kinds[] = {
        [VG_LEV_DIR] = VG_LISTING_DIR,
        [VG_LEV_NONDIR] = VG_LISTING_NONDIR,
        [VG_LEV_WHITEOUT] = VG_LISTING_WHITEOUT,
        [VG_LEV_OPAQUE] = VG_LISTING_OPAQUE,
    };
    if (w->args->index) {
        vg_layers_index_add(w->args->index, path, len, w->args->layer_index, ev);
    }
    if (w->args->listing) {
        /* Bounded by the layer's entry and path limits; past the buffer's max the listing is
         * dropped (the caller then does not cache the layer). */
        struct vg_buf *l = w->args->listing;
        if (vg_buf_appendc(l, kinds[ev], NULL) < 0 || vg_buf_append(l, path, len, NULL) < 0 ||
            vg_buf_appendc(l, '\0', NULL) < 0) {
            vg_buf_dispose(l);
            w->args->listing->max = 0;
        }
    }
}

/* Handles a name whose last component starts with ".wh.". Returns 1 when it was a marker. */
static int
handle_whiteout(struct walk *w, size_t len)
{
    const char *slash = strrchr(w->path, '/');
    const char *base = slash ? slash + 1 : w->path;
    size_t dirlen = slash ? (size_t)(slash - w->path) : 0;
    if (strncmp(base, WH_PREFIX, sizeof(WH_PREFIX) - 1) != 0) {
        return 0;
    }
    w->st->whiteouts++;
    if (strcmp(base, WH_OPAQUE) == 0) {
        emit(w, w->path, dirlen, VG_LEV_OPAQUE);
        return 1;
    }
    if (strncmp(base, WH_META, sizeof(WH_META) - 1) == 0) {
        return 1; /* AUFS bookkeeping (.wh..wh.plnk and friends): no effect on the view */
    }
    const char *name = base + sizeof(WH_PREFIX) - 1;
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        w->st->whiteouts--;
        warn_unsafe(w, "whiteout of an invalid name");
        return 1;
    }
    size_t nl = len - (size_t)(name - w->path);
    memcpy(w->aux, w->path, dirlen);
    size_t tl = dirlen;
    if (dirlen > 0) {
        w->aux[tl++] = '/';
    }
    memcpy(w->aux + tl, name, nl);
    tl += nl;
    w->aux[tl] = '\0';
    emit(w, w->aux, tl, VG_LEV_WHITEOUT);
    return 1;
}

static const char *
entry_name(struct archive_entry *e)
{
    const char *n = archive_entry_pathname(e);
    return n ? n : archive_entry_pathname_utf8(e);
}

/* Fills f from the entry; returns 1 to deliver, 0 to skip (unsafe), -1 on error. */
static int
entry_meta(struct walk *w, struct archive_entry *e, struct vg_layer_file *f, bool *content,
           struct vg_err **err)
{
    memset(f, 0, sizeof(*f));
    const char *hl = archive_entry_hardlink(e);
    unsigned type = archive_entry_filetype(e);
    f->path = w->path;
    f->mode = (uint32_t)archive_entry_mode(e);
    f->uid = (uint32_t)archive_entry_uid(e);
    f->gid = (uint32_t)archive_entry_gid(e);
    f->mtime = (int64_t)archive_entry_mtime(e);
    f->layer_index = w->args->layer_index;
    f->layer_digest = w->args->layer_digest;
    f->diff_id = w->args->diff_id;
    *content = type == AE_IFREG && !hl;
    la_int64_t sz = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    f->size = *content && sz > 0 ? (uint64_t)sz : 0;
    if (hl) {
        long n = vg_layers_path_normalize(hl, w->aux, w->lim.path_bytes + 1);
        if (n == -2) {
            vg_err_set(err, VG_E_LIMIT, "hardlink target longer than %zu bytes", w->lim.path_bytes);
            return walk_fail(w, err);
        }
        if (n < 0) {
            warn_unsafe(w, "hardlink target outside the root");
            return 0;
        }
        f->linkname = w->aux;
    } else if (type == AE_IFLNK) {
        f->linkname = archive_entry_symlink(e);
        if (!f->linkname) {
            f->linkname = archive_entry_symlink_utf8(e);
        }
    }
    return 1;
}

static int
walk_entry(struct walk *w, struct archive_entry *e, struct vg_err **err)
{
    if (++w->entries > w->lim.entries) {
        vg_err_set(err, VG_E_LIMIT, "more than %llu entries in one layer",
                   (unsigned long long)w->lim.entries);
        return walk_fail(w, err);
    }
    size_t rawlen = strlen(w->raw_name);
    if (rawlen > w->lim.path_bytes) {
        vg_err_set(err, VG_E_LIMIT, "entry name longer than %zu bytes", w->lim.path_bytes);
        return walk_fail(w, err);
    }
    long len = vg_layers_path_normalize(w->raw_name, w->path, w->lim.path_bytes + 1);
    if (len < 0) {
        warn_unsafe(w, w->raw_name[0] == '/' ? "absolute path" : "'..' component");
        return skip_data(w, err);
    }
    if (len == 0) {
        w->st->files++; /* the root directory itself: nothing to report */
        return skip_data(w, err);
    }
    if (handle_whiteout(w, (size_t)len)) {
        return skip_data(w, err);
    }
    struct vg_layer_file f;
    bool content;
    int m = entry_meta(w, e, &f, &content, err);
    if (m <= 0) {
        return m < 0 ? -1 : skip_data(w, err);
    }
    w->st->files++;
    bool dir = archive_entry_filetype(e) == AE_IFDIR;
    emit(w, w->path, (size_t)len, dir ? VG_LEV_DIR : VG_LEV_NONDIR);
    return deliver(w, &f, content, err);
}

static int
walk_entries(struct walk *w, struct vg_err **err)
{
    for (;;) {
        struct archive_entry *e = NULL;
        w->in_entry = false;
        int r = archive_read_next_header(w->a, &e);
        if (r == ARCHIVE_EOF) {
            return 0;
        }
        if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY) {
            return archive_fail(w, err);
        }
        const char *name = entry_name(e);
        if (!name) {
            vg_err_set(err, VG_E_PARSE, "entry without a name");
            return walk_fail(w, err);
        }
        free(w->raw_name);
        w->raw_name = vg_strdup(name);
        w->in_entry = true;
        if (walk_entry(w, e, err) < 0) {
            return -1;
        }
    }
}

static int
walk_open(struct walk *w, struct vg_err **err)
{
    w->a = archive_read_new();
    if (!w->a) {
        return vg_err_set(err, VG_E_INTERNAL, "archive_read_new failed");
    }
    /* Tar only: compression was handled by lz.c, and no other format belongs in a layer. */
    if (archive_read_support_format_tar(w->a) != ARCHIVE_OK ||
        archive_read_support_format_empty(w->a) != ARCHIVE_OK) {
        return vg_err_set(err, VG_E_INTERNAL, "libarchive lacks tar support");
    }
    if (archive_read_open(w->a, w, NULL, la_read, NULL) != ARCHIVE_OK) {
        return archive_fail(w, err);
    }
    return 0;
}

static void
walk_dispose(struct walk *w)
{
    if (w->a) {
        archive_read_free(w->a);
    }
    vg_lz_pipe_close(w->pipe); /* before lz: the producer thread uses it */
    vg_lz_free(w->lz);
    vg_hasher_free(w->h_plain);
    vg_err_free(&w->read_err);
    free(w->wants);
    free(w->path);
    free(w->aux);
    free(w->raw_name);
}

int
vg_layers_walk_one(struct vg_layer_stats *stats, vg_layers_read_fn read, void *rctx,
                   const struct vg_layers_walk_args *args,
                   struct vg_layer_consumer *const *consumers, size_t nconsumers,
                   struct vg_err **err)
{
    static const struct vg_layers_limits deflim = VG_LAYERS_LIMITS_DEFAULT;
    struct walk w = {.args = args, .cons = consumers, .ncons = nconsumers, .st = stats};
    w.lim = args->limits ? *args->limits : deflim;
    memset(stats, 0, sizeof(*stats));
    if (args->layer_digest) {
        stats->digest = *args->layer_digest;
    }
    w.wants = vg_calloc(nconsumers ? nconsumers : 1, sizeof(*w.wants));
    w.path = vg_malloc(w.lim.path_bytes + 1);
    w.aux = vg_malloc(w.lim.path_bytes + 1);
    struct vg_lz_opts lo = {args->hash_compressed, w.lim.unpacked_bytes, args->cancel,
                            args->pipeline};
    int rc = -1;
    if (vg_lz_open(&w.lz, read, rctx, &lo, err) < 0) {
        walk_fail(&w, err);
        goto out;
    }
    snprintf(stats->compression, sizeof(stats->compression), "%s", vg_lz_kind_name(w.lz));
    if (args->pipeline) {
        w.h_plain = vg_hasher_new(VG_DIGEST_SHA256);
        if (vg_lz_pipe_start(&w.pipe, w.lz, err) < 0) {
            walk_fail(&w, err);
            goto out;
        }
    }
    if (walk_open(&w, err) < 0 || walk_entries(&w, err) < 0) {
        goto out;
    }
    w.in_entry = false;
    /* Past the tar end marker: the rest still counts for both digests and must be read for
     * the blob verifier to see the end of the stream. */
    if (walk_drain(&w, err) < 0) {
        walk_fail(&w, err);
        goto out;
    }
    vg_lz_pipe_close(w.pipe); /* joined: lz is this thread's again */
    w.pipe = NULL;
    vg_lz_stats(w.lz, stats);
    if (w.h_plain) {
        vg_hasher_final(w.h_plain, &stats->diff_id_computed);
    }
    rc = 0;
out:
    walk_dispose(&w);
    return rc;
}

int
vg_layers_walk_stream(struct vg_layer_stats *stats, vg_layers_read_fn read, void *rctx,
                      size_t layer_index, struct vg_layer_consumer *const *consumers,
                      size_t nconsumers, struct vg_err **err)
{
    char label[48];
    snprintf(label, sizeof(label), "layer %zu", layer_index);
    struct vg_layers_walk_args args = {
        .layer_index = layer_index,
        .label = label,
        .hash_compressed = true,
    };
    return vg_layers_walk_one(stats, read, rctx, &args, consumers, nconsumers, err);
}
