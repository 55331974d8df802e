/* SPDX-License-Identifier: Apache-2.0
 *
 * The merged view of an image's filesystem, built from the entries of every layer without
 * storing any content. Each distinct path gets one compact node: the highest layer that has
 * an entry for it, the highest layer where it is a non-directory, the highest layer that
 * whites it out and the highest layer that marks it as an opaque directory. Because every
 * field is a maximum, layers can be added in any order (parallel walks) and the answer is
 * the same as applying them in manifest order.
 *
 * A file from layer L is present in the final filesystem when L is the last layer with an
 * entry for that path and no later layer (index > L) deletes it: a whiteout of the path or
 * of an ancestor, an opaque marker in an ancestor, or a non-directory entry at an ancestor
 * (a directory replaced by a file or a symlink). Deletions in the same layer as the entry do
 * not apply to it (OCI image spec, "Whiteouts": they only affect lower layers).
 *
 * The table is open addressing over node indices; path bytes live in one arena. Per path
 * that is about 40 bytes plus the path itself.
 */
#include "layers_int.h"

#include <pthread.h>
#include <string.h>

#define NONE              (-1)
#define INDEX_MAX_BYTES   (SIZE_MAX / 4)
#define DANGLING_WARN_MAX 20

struct node {
    uint64_t hash;
    size_t off; /* into names */
    size_t len;
    int32_t entry_max, nondir_max, whiteout_max, opaque_max;
    int32_t min_layer; /* lowest layer with an entry at or beneath this path */
};

struct vg_layers_index {
    pthread_mutex_t mu; /* guards every field below during the walk */
    struct vg_buf names;
    struct vg_buf nodes; /* array of struct node */
    uint32_t *slots;     /* node index + 1; 0 = empty */
    size_t nslots;
};

struct vg_layers_result {
    struct vg_layers_index *idx;
    struct vg_layer_stats *stats;
    size_t nlayers;
    struct vg_buf *listings; /* nlayers, or NULL */
    bool *cached;            /* nlayers, or NULL */
};

static uint64_t
path_hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)p[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

static size_t
nnodes(const struct vg_layers_index *idx)
{
    return idx->nodes.len / sizeof(struct node);
}

static struct node *
node_at(const struct vg_layers_index *idx, size_t i)
{
    return (struct node *)(void *)idx->nodes.data + i;
}

struct vg_layers_index *
vg_layers_index_new(void)
{
    struct vg_layers_index *idx = vg_calloc(1, sizeof(*idx));
    pthread_mutex_init(&idx->mu, NULL);
    vg_buf_init(&idx->names, INDEX_MAX_BYTES);
    vg_buf_init(&idx->nodes, INDEX_MAX_BYTES);
    idx->nslots = 1024;
    idx->slots = vg_calloc(idx->nslots, sizeof(uint32_t));
    return idx;
}

void
vg_layers_index_free(struct vg_layers_index *idx)
{
    if (!idx) {
        return;
    }
    pthread_mutex_destroy(&idx->mu);
    vg_buf_dispose(&idx->names);
    vg_buf_dispose(&idx->nodes);
    free(idx->slots);
    free(idx);
}

static long
index_find(const struct vg_layers_index *idx, const char *p, size_t n, uint64_t h)
{
    size_t mask = idx->nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint32_t s = idx->slots[i];
        if (s == 0) {
            return -1;
        }
        const struct node *nd = node_at(idx, s - 1);
        if (nd->hash == h && nd->len == n && memcmp(idx->names.data + nd->off, p, n) == 0) {
            return (long)(s - 1);
        }
    }
}

static void
index_grow(struct vg_layers_index *idx)
{
    size_t ns = idx->nslots * 2;
    uint32_t *slots = vg_calloc(ns, sizeof(uint32_t));
    for (size_t k = 0; k < nnodes(idx); k++) {
        size_t i = (size_t)node_at(idx, k)->hash & (ns - 1);
        while (slots[i] != 0) {
            i = (i + 1) & (ns - 1);
        }
        slots[i] = (uint32_t)(k + 1);
    }
    free(idx->slots);
    idx->slots = slots;
    idx->nslots = ns;
}

/* The arena and node array only fail past INDEX_MAX_BYTES: treated like out-of-memory. */
static void
must(int rc)
{
    if (rc < 0) {
        abort();
    }
}

static size_t
index_intern(struct vg_layers_index *idx, const char *p, size_t n)
{
    uint64_t h = path_hash(p, n);
    long found = index_find(idx, p, n, h);
    if (found >= 0) {
        return (size_t)found;
    }
    if ((nnodes(idx) + 1) * 2 > idx->nslots) {
        index_grow(idx);
    }
    if (nnodes(idx) >= UINT32_MAX - 1) {
        abort();
    }
    struct node nd = {h, idx->names.len, n, NONE, NONE, NONE, NONE, NONE};
    must(vg_buf_append(&idx->names, p, n, NULL));
    must(vg_buf_appendc(&idx->names, '\0', NULL));
    must(vg_buf_append(&idx->nodes, &nd, sizeof(nd), NULL));
    size_t k = nnodes(idx) - 1;
    size_t mask = idx->nslots - 1;
    size_t i = (size_t)h & mask;
    while (idx->slots[i] != 0) {
        i = (i + 1) & mask;
    }
    idx->slots[i] = (uint32_t)(k + 1);
    return k;
}

static void
max_into(int32_t *field, int32_t layer)
{
    if (*field < layer) {
        *field = layer;
    }
}

/* Keeps min_layer(ancestor) <= min_layer(descendant), stopping at the first ancestor that
 * already satisfies it (its own ancestors then do too). */
static void
propagate_min(struct vg_layers_index *idx, const char *p, size_t n, int32_t layer)
{
    size_t k = index_intern(idx, p, n);
    for (;;) {
        struct node *nd = node_at(idx, k);
        if (nd->min_layer != NONE && nd->min_layer <= layer) {
            return;
        }
        nd->min_layer = layer;
        while (n > 0 && p[n - 1] != '/') {
            n--;
        }
        if (n == 0) {
            return;
        }
        n--; /* drop the '/' */
        k = index_intern(idx, p, n);
    }
}

void
vg_layers_index_add(struct vg_layers_index *idx, const char *path, size_t len, size_t layer,
                    enum vg_layers_event ev)
{
    int32_t l = (int32_t)layer;
    pthread_mutex_lock(&idx->mu);
    size_t k = index_intern(idx, path, len);
    struct node *nd = node_at(idx, k);
    switch (ev) {
    case VG_LEV_NONDIR:
        max_into(&nd->nondir_max, l);
        max_into(&nd->entry_max, l);
        propagate_min(idx, path, len, l);
        break;
    case VG_LEV_DIR:
        max_into(&nd->entry_max, l);
        propagate_min(idx, path, len, l);
        break;
    case VG_LEV_WHITEOUT:
        max_into(&nd->whiteout_max, l);
        break;
    case VG_LEV_OPAQUE:
        max_into(&nd->opaque_max, l);
        break;
    }
    pthread_mutex_unlock(&idx->mu);
}

static const char *
layer_name(const struct vg_layers_result *r, int32_t layer, char *buf, size_t cap)
{
    if (layer >= 0 && (size_t)layer < r->nlayers && r->stats[layer].digest.alg != 0) {
        return r->stats[layer].digest.text;
    }
    snprintf(buf, cap, "%d", (int)layer);
    return buf;
}

static void
warn_dangling_whiteouts(const struct vg_layers_result *r)
{
    size_t shown = 0, total = 0;
    for (size_t k = 0; k < nnodes(r->idx); k++) {
        const struct node *nd = node_at(r->idx, k);
        if (nd->whiteout_max == NONE ||
            (nd->min_layer != NONE && nd->min_layer < nd->whiteout_max)) {
            continue;
        }
        total++;
        if (shown < DANGLING_WARN_MAX) {
            char lb[32];
            const char *p = (const char *)r->idx->names.data + nd->off;
            char *e = vg_escape(p, nd->len, 200);
            VG_WARN("layers", "layer %s: whiteout of '%s': no such path in a lower layer",
                    layer_name(r, nd->whiteout_max, lb, sizeof(lb)), e);
            free(e);
            shown++;
        }
    }
    if (total > shown) {
        VG_WARN("layers", "%zu more whiteouts of paths absent from lower layers", total - shown);
    }
}

struct vg_layers_result *
vg_layers_result_new(struct vg_layers_index *idx, struct vg_layer_stats *stats, size_t nlayers)
{
    struct vg_layers_result *r = vg_calloc(1, sizeof(*r));
    r->idx = idx;
    r->stats = stats;
    r->nlayers = nlayers;
    warn_dangling_whiteouts(r);
    return r;
}

void
vg_layers_result_free(struct vg_layers_result *r)
{
    if (!r) {
        return;
    }
    vg_layers_index_free(r->idx);
    free(r->stats);
    for (size_t i = 0; r->listings && i < r->nlayers; i++) {
        vg_buf_dispose(&r->listings[i]);
    }
    free(r->listings);
    free(r->cached);
    free(r);
}

void
vg_layers_result_set_listings(struct vg_layers_result *r, struct vg_buf *listings, bool *cached)
{
    r->listings = listings;
    r->cached = cached;
}

const uint8_t *
vg_layers_result_listing(const struct vg_layers_result *r, size_t layer_index, size_t *len)
{
    *len = 0;
    if (!r || !r->listings || layer_index >= r->nlayers || r->listings[layer_index].max == 0 ||
        (r->cached && r->cached[layer_index])) {
        return NULL;
    }
    const struct vg_buf *b = &r->listings[layer_index];
    *len = b->len;
    return b->data ? b->data : (const uint8_t *)"";
}

bool
vg_layers_result_cached(const struct vg_layers_result *r, size_t layer_index)
{
    return r && r->cached && layer_index < r->nlayers && r->cached[layer_index];
}

static bool
listing_kind(uint8_t k, enum vg_layers_event *ev)
{
    switch (k) {
    case VG_LISTING_DIR:
        *ev = VG_LEV_DIR;
        return true;
    case VG_LISTING_NONDIR:
        *ev = VG_LEV_NONDIR;
        return true;
    case VG_LISTING_WHITEOUT:
        *ev = VG_LEV_WHITEOUT;
        return true;
    case VG_LISTING_OPAQUE:
        *ev = VG_LEV_OPAQUE;
        return true;
    default:
        return false;
    }
}

bool
vg_layers_listing_valid(const uint8_t *data, size_t len)
{
    char norm[VG_LIMIT_PATH_BYTES + 1];
    size_t i = 0;
    while (i < len) {
        enum vg_layers_event ev;
        if (!listing_kind(data[i], &ev)) {
            return false;
        }
        const uint8_t *p = data + i + 1;
        const uint8_t *z = memchr(p, '\0', len - i - 1);
        size_t n = z ? (size_t)(z - p) : 0;
        if (!z || n > VG_LIMIT_PATH_BYTES || (n == 0 && ev != VG_LEV_OPAQUE)) {
            return false; /* only an opaque marker may name the root ("") */
        }
        /* Normalized already: normalizing again must change nothing. */
        long m = vg_layers_path_normalize((const char *)p, norm, sizeof(norm));
        if (m != (long)n || memcmp(norm, p, n) != 0) {
            return false;
        }
        i += n + 2;
    }
    return true;
}

void
vg_layers_index_add_listing(struct vg_layers_index *idx, const uint8_t *data, size_t len,
                            size_t layer)
{
    size_t i = 0;
    while (i < len) {
        enum vg_layers_event ev = VG_LEV_NONDIR;
        bool ok = listing_kind(data[i], &ev);
        const char *p = (const char *)data + i + 1;
        size_t n = strnlen(p, len - i - 1);
        if (ok && (n > 0 || ev == VG_LEV_OPAQUE)) {
            vg_layers_index_add(idx, p, n, layer, ev);
        }
        i += n + 2;
    }
}

size_t
vg_layers_result_npaths(const struct vg_layers_result *r)
{
    return r ? nnodes(r->idx) : 0;
}

const struct vg_layer_stats *
vg_layers_result_stats(const struct vg_layers_result *r, size_t *nlayers)
{
    *nlayers = r ? r->nlayers : 0;
    return r ? r->stats : NULL;
}

static const struct node *
lookup(const struct vg_layers_index *idx, const char *p, size_t n)
{
    long k = index_find(idx, p, n, path_hash(p, n));
    return k < 0 ? NULL : node_at(idx, (size_t)k);
}

/* Deleted by a later layer through an ancestor of p (root included)? */
static bool
hidden_by_ancestor(const struct vg_layers_index *idx, const char *p, size_t n, int32_t layer)
{
    for (;;) {
        while (n > 0 && p[n - 1] != '/') {
            n--;
        }
        size_t an = n > 0 ? n - 1 : 0;
        const struct node *a = lookup(idx, p, an);
        if (a && (a->whiteout_max > layer || a->opaque_max > layer || a->nondir_max > layer)) {
            return true;
        }
        if (an == 0) {
            return false;
        }
        n = an;
    }
}

static bool
present_norm(const struct vg_layers_result *r, const char *p, size_t n, int32_t layer)
{
    const struct node *nd = lookup(r->idx, p, n);
    if (!nd || nd->entry_max != layer || nd->whiteout_max > layer) {
        return false;
    }
    return !hidden_by_ancestor(r->idx, p, n, layer);
}

/* Callers may ask about "/etc/passwd" as well as "etc/passwd". */
static long
query_normalize(const char *path, char *out, size_t cap)
{
    while (*path == '/') {
        path++;
    }
    return vg_layers_path_normalize(path, out, cap);
}

bool
vg_layers_result_present(const struct vg_layers_result *r, const char *path, size_t layer_index)
{
    char norm[VG_LIMIT_PATH_BYTES + 1];
    if (!r || !path || layer_index >= (size_t)INT32_MAX) {
        return false;
    }
    long n = query_normalize(path, norm, sizeof(norm));
    if (n <= 0) {
        return false;
    }
    return present_norm(r, norm, (size_t)n, (int32_t)layer_index);
}

bool
vg_layers_result_lookup(const struct vg_layers_result *r, const char *path, size_t *layer_index)
{
    char norm[VG_LIMIT_PATH_BYTES + 1];
    if (!r || !path) {
        return false;
    }
    long n = query_normalize(path, norm, sizeof(norm));
    if (n <= 0) {
        return false;
    }
    const struct node *nd = lookup(r->idx, norm, (size_t)n);
    if (!nd || nd->entry_max == NONE || !present_norm(r, norm, (size_t)n, nd->entry_max)) {
        return false;
    }
    if (layer_index) {
        *layer_index = (size_t)nd->entry_max;
    }
    return true;
}
