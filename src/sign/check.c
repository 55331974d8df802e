/* SPDX-License-Identifier: Apache-2.0
 *
 * Verification and listing against a registry (cosign-format.md §4.4, §5, §6.4): collects
 * cosign 3 bundles through the referrers API (or its fallback tag) and the legacy `.sig` /
 * `.att` layers, fetches every blob once, then verifies each item with every key (key
 * rotation, `--threshold`), and renders the verified payloads the way cosign prints them.
 * Also `vigil tree`'s inventory of attachments. Time spent in registry requests is measured
 * separately so the benchmark can split network from crypto.
 */
#include "flow_int.h"

#include <string.h>

/* A bundle blob: the envelope at most, plus verification material and framing. */
#define BUNDLE_BLOB_MAX (VG_SIGN_ENVELOPE_MAX + 64u * 1024u)

struct found_bundle {
    char *where;
    struct vg_sign_bundle *b;
    struct vg_err *err; /* fetch or parse failure */
};

struct check_ctx {
    const struct vg_sign_target *t;
    uint64_t net_ns;
    struct found_bundle *bundles;
    size_t nbundles;
    struct vg_sign_sig_image *img; /* legacy layers (possibly empty) */
    char *tag;
    struct vg_buf *blobs; /* [img->n], fetched on first use */
    bool *fetched;
};

static void
ctx_dispose(struct check_ctx *c)
{
    for (size_t i = 0; i < c->nbundles; i++) {
        free(c->bundles[i].where);
        vg_sign_bundle_free(c->bundles[i].b);
        vg_err_free(&c->bundles[i].err);
    }
    free(c->bundles);
    for (size_t i = 0; c->img && i < c->img->n; i++) {
        vg_buf_dispose(&c->blobs[i]);
    }
    free(c->blobs);
    free(c->fetched);
    vg_sign_sig_image_free(c->img);
    free(c->tag);
}

/* ---------------------------------------------------------------- collecting */

static int
fetch_cached(void *vctx, const struct vg_sign_sig_entry *layer, struct vg_buf *out,
             struct vg_err **err)
{
    struct check_ctx *c = vctx;
    size_t i = (size_t)(layer - c->img->layers);
    if (!c->fetched[i]) {
        uint64_t t0 = vg_now_ns();
        vg_buf_init(&c->blobs[i], out->max);
        int rc = vg_oci_remote_blob_get(c->t->store, &layer->digest, &c->blobs[i], err);
        c->net_ns += vg_now_ns() - t0;
        if (rc < 0) {
            vg_buf_reset(&c->blobs[i]);
            return rc;
        }
        c->fetched[i] = true;
    }
    return vg_buf_append(out, c->blobs[i].data, c->blobs[i].len, err);
}

/* Exactly one layer with a bundle media type (§4.3: readers do not trust the index). */
static const struct vg_oci_desc *
bundle_layer(const struct vg_oci_manifest *m)
{
    if (m->is_index || m->nlayers != 1 || !m->layers[0].media_type ||
        !vg_cstr_startswith(m->layers[0].media_type, VG_SIGN_MT_BUNDLE_PREFIX)) {
        return NULL;
    }
    return &m->layers[0];
}

/* The unsigned predicate-type hint of a referrer, used only to skip unrelated bundles. */
static bool
skip_by_hint(const struct vg_oci_manifest *m, const char *want)
{
    const char *hint =
        m->annotations ? vg_json_str(m->annotations, "dev.sigstore.bundle.predicateType") : NULL;
    return want && hint && strcmp(hint, want) != 0;
}

/* Legacy payload blobs fetched ahead, in the same batch as the referrer manifests: only those
 * verification would fetch (declared size within the bound), at most PREFETCH_BYTES declared in
 * all; the rest are fetched on first use. */
#define PREFETCH_BYTES (64u * 1024u * 1024u)
/* Referrer manifests read per round, and what all bundle blobs together may take. */
#define REFERRER_WINDOW   32u
#define BUNDLES_TOTAL_MAX (256u * 1024u * 1024u)

static size_t
legacy_blob_max(bool att)
{
    return att ? VG_SIGN_ENVELOPE_MAX : VG_LIMIT_PAYLOAD_BYTES;
}

/* The referrers listing as an index, or NULL (any failure means "no bundles", like cosign 3). */
static struct vg_oci_manifest *
referrers_index(struct check_ctx *c, struct vg_oci_remote_get *g)
{
    struct vg_oci_manifest *idx = NULL;
    vg_autoerr struct vg_err *e = vg_steal_ptr(&g->err);
    int rc = g->rc;
    if (rc == 0) {
        rc = vg_oci_manifest_parse(&idx, g->out.data, g->out.len, VG_MT_OCI_INDEX, &e);
    }
    if (rc < 0 || !idx->is_index) {
        if (e) {
            vg_autofree char *msg = vg_err_format(e);
            VG_DEBUG("sign", "referrers of %s: %s (looking at legacy signatures only)",
                     c->t->digest.text, msg);
        }
        vg_oci_manifest_free(idx);
        return NULL;
    }
    if (idx->nmanifests > VG_SIGN_MAX_REFERRERS) {
        VG_WARN("sign", "%s has %zu referrers; looking at the first %u", c->t->digest.text,
                idx->nmanifests, VG_SIGN_MAX_REFERRERS);
    }
    return idx;
}

/* A referrer's manifest read: records it as a bundle to fetch (returns its layer digest through
 * *blob, adding its size to *total), as a failure (also once *total would pass
 * BUNDLES_TOTAL_MAX), or skips it (another kind of referrer). */
static bool
bundle_from_manifest(struct check_ctx *c, const struct vg_oci_desc *ref, const char *want,
                     struct vg_oci_remote_get *g, struct vg_digest *blob, uint64_t *total)
{
    struct vg_oci_manifest *m = NULL;
    struct vg_err *e = vg_steal_ptr(&g->err);
    int rc = g->rc;
    if (rc == 0) {
        rc = vg_oci_manifest_parse(&m, g->manifest.data, g->manifest.len, g->manifest.media_type,
                                   &e);
    }
    const struct vg_oci_desc *l = rc == 0 ? bundle_layer(m) : NULL;
    if (rc == 0 && (!l || skip_by_hint(m, want))) {
        vg_oci_manifest_free(m);
        return false;
    }
    if (rc == 0 && l->size > BUNDLE_BLOB_MAX) {
        rc = vg_err_set(&e, VG_E_LIMIT, "bundle of %llu bytes exceeds the limit of %u",
                        (unsigned long long)l->size, BUNDLE_BLOB_MAX);
    } else if (rc == 0 && l->size > BUNDLES_TOTAL_MAX - *total) {
        rc = vg_err_set(&e, VG_E_LIMIT,
                        "not fetched: the bundles before it already take "
                        "%llu of the %u bytes all bundles may take",
                        (unsigned long long)*total, BUNDLES_TOTAL_MAX);
    }
    if (rc == 0) {
        *blob = l->digest;
        *total += l->size;
    }
    vg_oci_manifest_free(m);
    struct found_bundle *fb = &c->bundles[c->nbundles++];
    fb->where = vg_fmt("%s@%s (referrer)", c->t->store_name, ref->digest.text);
    fb->err = e;
    return rc == 0;
}

static void
timed_batch(struct check_ctx *c, struct vg_oci_remote_get *g, size_t n)
{
    uint64_t t0 = vg_now_ns();
    vg_oci_remote_get_many(c->t->store, g, n);
    c->net_ns += vg_now_ns() - t0;
}

/* Legacy payloads to fetch ahead (declared within the bound and the prefetch budget); *leg_of
 * maps each read to its layer. */
static struct vg_oci_remote_get *
legacy_reads(const struct check_ctx *c, bool att, size_t **leg_of, size_t *n)
{
    size_t nleg = c->img->n, max = legacy_blob_max(att), budget = PREFETCH_BYTES;
    struct vg_oci_remote_get *g = vg_calloc(nleg + 1, sizeof(*g));
    *leg_of = vg_calloc(nleg + 1, sizeof(**leg_of));
    *n = 0;
    for (size_t i = 0; i < nleg; i++) {
        const struct vg_sign_sig_entry *l = &c->img->layers[i];
        if (l->size > max || l->size > budget) {
            continue;
        }
        budget -= l->size;
        (*leg_of)[*n] = i;
        g[(*n)++] = (struct vg_oci_remote_get){
            .kind = VG_OCI_REMOTE_GET_BLOB, .digest = l->digest, .out = VG_BUF_INIT(max)};
    }
    return g;
}

static void
legacy_keep(struct check_ctx *c, struct vg_oci_remote_get *g, const size_t *leg_of, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (g[k].rc == 0) { /* a failure is fetched again, and reported, on first use */
            c->blobs[leg_of[k]] = g[k].out;
            g[k].out = VG_BUF_INIT(0);
            c->fetched[leg_of[k]] = true;
        }
    }
}

/* Bundle blobs of the referrers whose manifests are in g[0..n), fetched and parsed. */
static void
window_bundles(struct check_ctx *c, const struct vg_oci_desc *refs, struct vg_oci_remote_get *g,
               size_t n, const char *want, uint64_t *total)
{
    size_t *bundle_of = vg_calloc(n + 1, sizeof(*bundle_of));
    struct vg_oci_remote_get *bg = vg_calloc(n + 1, sizeof(*bg));
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        struct vg_digest d;
        if (bundle_from_manifest(c, &refs[i], want, &g[i], &d, total)) {
            bundle_of[nb] = c->nbundles - 1;
            bg[nb++] = (struct vg_oci_remote_get){
                .kind = VG_OCI_REMOTE_GET_BLOB, .digest = d, .out = VG_BUF_INIT(BUNDLE_BLOB_MAX)};
        }
    }
    timed_batch(c, bg, nb);
    for (size_t k = 0; k < nb; k++) {
        struct found_bundle *fb = &c->bundles[bundle_of[k]];
        if (bg[k].rc < 0) {
            fb->err = vg_steal_ptr(&bg[k].err);
        } else if (vg_sign_bundle_parse(&fb->b, bg[k].out.data, bg[k].out.len, &fb->err) < 0) {
            VG_DEBUG("sign", "%s: unusable bundle", fb->where); /* fb->err says why */
        }
        vg_oci_remote_get_dispose(&bg[k]);
    }
    free(bg);
    free(bundle_of);
}

/* Referrer manifests in windows of REFERRER_WINDOW (the first window's round also carries the
 * legacy payloads), each followed by its bundle blobs: memory stays bounded by a window of
 * manifests plus BUNDLES_TOTAL_MAX of bundles whatever the registry lists. */
static void
collect_payloads(struct check_ctx *c, const struct vg_oci_manifest *idx, const char *want, bool att)
{
    size_t nref =
        idx ? (idx->nmanifests < VG_SIGN_MAX_REFERRERS ? idx->nmanifests : VG_SIGN_MAX_REFERRERS)
            : 0;
    size_t *leg_of = NULL, nleg = 0;
    struct vg_oci_remote_get *lg = legacy_reads(c, att, &leg_of, &nleg);
    c->bundles = vg_calloc(nref ? nref : 1, sizeof(*c->bundles));
    uint64_t total = 0;
    for (size_t w = 0; w == 0 || w < nref; w += REFERRER_WINDOW) {
        size_t nw = nref - w < REFERRER_WINDOW ? nref - w : REFERRER_WINDOW;
        size_t extra = w == 0 ? nleg : 0;
        struct vg_oci_remote_get *g = vg_calloc(nw + extra + 1, sizeof(*g));
        for (size_t i = 0; i < nw; i++) {
            g[i] = (struct vg_oci_remote_get){.kind = VG_OCI_REMOTE_GET_MANIFEST,
                                              .reference = idx->manifests[w + i].digest.text};
        }
        memcpy(g + nw, lg, extra * sizeof(*g));
        timed_batch(c, g, nw + extra);
        if (w == 0) {
            legacy_keep(c, g + nw, leg_of, nleg);
        }
        window_bundles(c, nw ? &idx->manifests[w] : NULL, g, nw, want, &total);
        for (size_t k = 0; k < nw + extra; k++) {
            vg_oci_remote_get_dispose(&g[k]);
        }
        free(g);
    }
    free(lg);
    free(leg_of);
}

/* Everything to verify, in rounds of parallel requests: the referrers listing with the legacy
 * tag; referrer manifests with legacy payloads; bundle blobs (the last two per window). */
static int
collect(struct check_ctx *c, const char *want, const char *suffix, struct vg_err **err)
{
    c->tag = vg_sign_tag(&c->t->digest, suffix);
    struct vg_oci_remote_get g[2] = {
        {.kind = VG_OCI_REMOTE_GET_REFERRERS,
         .digest = c->t->digest,
         .out = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES)},
        {.kind = VG_OCI_REMOTE_GET_MANIFEST, .reference = c->tag},
    };
    timed_batch(c, g, 2);
    struct vg_oci_manifest *idx = referrers_index(c, &g[0]);
    int rc = vg_sign__sig_image_from(&g[1], &c->img, err);
    vg_oci_remote_get_dispose(&g[0]);
    vg_oci_remote_get_dispose(&g[1]);
    if (rc < 0) {
        vg_oci_manifest_free(idx);
        return vg_err_wrap(err, "%s:%s", c->t->store_name, c->tag);
    }
    c->blobs = vg_calloc(c->img->n ? c->img->n : 1, sizeof(*c->blobs));
    c->fetched = vg_calloc(c->img->n ? c->img->n : 1, sizeof(*c->fetched));
    collect_payloads(c, idx, want, strcmp(suffix, ".att") == 0);
    vg_oci_manifest_free(idx);
    return 0;
}

/* ---------------------------------------------------------------- outputs */

/* cosign's synthesized payload for a bundle signature (§5.2). */
static char *
bundle_output(const struct vg_sign_target *t, const struct vg_sign_statement *st)
{
    const struct vg_sign_subject *s = NULL;
    for (size_t i = 0; i < st->nsubjects && !s; i++) {
        if (strcmp(st->subjects[i].sha256, vg_digest_hex(&t->digest)) == 0) {
            s = &st->subjects[i];
        }
    }
    vg_autojson json_t *root = json_object();
    json_t *opt = json_object();
    for (size_t i = 0; s && i < s->nannotations; i++) {
        json_object_set_new(opt, s->annotations[i].key, json_string(s->annotations[i].value));
    }
    vg_autofree char *digest = vg_fmt("sha256:%s", s ? s->sha256 : "");
    json_object_set_new(root, "critical",
                        json_pack("{s:{s:s},s:{s:s},s:s}", "identity", "docker-reference", t->name,
                                  "image", "docker-manifest-digest", digest, "type",
                                  st->predicate_type));
    json_object_set_new(root, "optional", opt);
    return vg_json_dumps(root, JSON_COMPACT);
}

static void
mark_verified(struct vg_sign_check_item *it, char *output, char *payload)
{
    it->keys_ok++;
    if (it->verified) {
        free(output);
        free(payload);
        return;
    }
    it->verified = true;
    it->output = output;
    it->payload = payload;
    vg_err_free(&it->error);
}

static void
note_failure(struct vg_sign_check_item *it, struct vg_err **e)
{
    if (!it->verified && !it->error) {
        it->error = vg_steal_ptr(e);
    }
    vg_err_free(e);
}

/* ---------------------------------------------------------------- verifying */

static bool
verify_bundles(struct check_ctx *c, const struct vg_sign_verify_opts *vo, const char *want,
               bool att, struct vg_sign_check_item *items)
{
    bool hit = false;
    for (size_t i = 0; i < c->nbundles; i++) {
        struct found_bundle *fb = &c->bundles[i];
        if (!fb->b) {
            continue;
        }
        struct vg_sign_statement *st = NULL;
        struct vg_err *e = NULL;
        if (vg_sign_bundle_verify(fb->b, vo, want, &st, &e) < 0) {
            note_failure(&items[i], &e);
            continue;
        }
        const struct vg_dsse_envelope *env = fb->b->envelope;
        char *payload = vg_strndup((const char *)env->payload, env->payload_len);
        mark_verified(&items[i], att ? vg_strdup(fb->b->envelope_json) : bundle_output(c->t, st),
                      payload);
        vg_sign_statement_free(st);
        hit = true;
    }
    return hit;
}

static char *
statement_of(const struct vg_buf *envelope)
{
    struct vg_dsse_envelope *e = NULL;
    if (vg_sign_dsse_parse(&e, envelope->data, envelope->len, NULL) < 0) {
        return NULL;
    }
    char *s = vg_strndup((const char *)e->payload, e->payload_len);
    vg_sign_dsse_free(e);
    return s;
}

static bool
verify_legacy(struct check_ctx *c, const struct vg_sign_verify_opts *vo, const char *att_type,
              struct vg_sign_check_item *items)
{
    if (c->img->n == 0) {
        return false;
    }
    bool hit = false;
    vg_autoerr struct vg_err *ignored = NULL;
    if (att_type) {
        struct vg_sign_att_result r;
        if (vg_sign_att_image_verify(c->img, vo, att_type, fetch_cached, c, &r, &ignored) < 0) {
            vg_err_free(&ignored); /* per-layer reasons are in r.errors */
        }
        for (size_t i = 0; i < r.n; i++) {
            if (r.statements && r.statements[i]) {
                mark_verified(&items[i],
                              vg_strndup((const char *)c->blobs[i].data, c->blobs[i].len),
                              statement_of(&c->blobs[i]));
                hit = true;
            } else if (r.errors) {
                note_failure(&items[i], &r.errors[i]);
            }
        }
        vg_sign_att_result_dispose(&r);
        return hit;
    }
    struct vg_sign_verify_result r;
    if (vg_sign_sig_image_verify(c->img, vo, fetch_cached, c, &r, &ignored) < 0) {
        vg_err_free(&ignored); /* per-layer reasons are in r.errors */
    }
    for (size_t i = 0; i < r.n; i++) {
        if (r.payloads[i]) {
            mark_verified(&items[i], vg_strndup((const char *)c->blobs[i].data, c->blobs[i].len),
                          vg_strndup((const char *)c->blobs[i].data, c->blobs[i].len));
            hit = true;
        } else {
            note_failure(&items[i], &r.errors[i]);
        }
    }
    vg_sign_verify_result_dispose(&r);
    return hit;
}

void
vg_sign_check_result_dispose(struct vg_sign_check_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].where);
        free(r->items[i].output);
        free(r->items[i].payload);
        vg_err_free(&r->items[i].error);
    }
    free(r->items);
    *r = (struct vg_sign_check_result){0};
}

static void
make_items(struct check_ctx *c, struct vg_sign_check_result *res)
{
    res->n = c->nbundles + c->img->n;
    res->items = vg_calloc(res->n ? res->n : 1, sizeof(*res->items));
    for (size_t i = 0; i < c->nbundles; i++) {
        res->items[i].where = vg_steal_ptr(&c->bundles[i].where);
        res->items[i].bundle = true;
        res->items[i].error = vg_steal_ptr(&c->bundles[i].err);
    }
    for (size_t i = 0; i < c->img->n; i++) {
        res->items[c->nbundles + i].where = vg_fmt("%s:%s layer %zu", c->t->store_name, c->tag, i);
    }
}

static bool
duplicate_key(const struct vg_sign_check_opts *o, size_t k)
{
    for (size_t j = 0; j < k; j++) {
        if (vg_crypto_key_public_eq(o->keys[j], o->keys[k])) {
            return true;
        }
    }
    return false;
}

static int
verdict(const struct vg_sign_check_opts *o, struct vg_sign_check_result *res, struct vg_err **err)
{
    for (size_t i = 0; i < res->n; i++) {
        res->nverified += res->items[i].verified;
    }
    const char *what = o->att_type ? "attestations" : "signatures";
    size_t need = o->threshold > 1 ? o->threshold : 1;
    if (res->n == 0) {
        return vg_err_set(err, VG_E_VERIFY, "no %s found", what);
    }
    if (res->nverified == 0) {
        return vg_err_set(err, VG_E_VERIFY, "no matching %s: none of %zu verified", what, res->n);
    }
    if (res->keys_ok < need) {
        return vg_err_set(err, VG_E_VERIFY, "%zu distinct key(s) verified, threshold is %zu",
                          res->keys_ok, need);
    }
    return 0;
}

int
vg_sign_target_verify(const struct vg_sign_target *t, const struct vg_sign_check_opts *o,
                      struct vg_sign_check_result *res, struct vg_err **err)
{
    *res = (struct vg_sign_check_result){0};
    uint64_t t0 = vg_now_ns();
    const char *want = VG_SIGN_PREDICATE_SIGN;
    if (o->att_type && !(want = vg_sign_predicate_type(o->att_type))) {
        vg_autofree char *esc = vg_escape(o->att_type, strlen(o->att_type), 120);
        return vg_err_set(err, VG_E_USAGE, "unknown predicate type \"%s\"", esc);
    }
    if (o->tlog && o->att_type) {
        return vg_err_set(err, VG_E_USAGE,
                          "transparency-log evidence is checked for signatures only");
    }
    struct check_ctx c = {.t = t};
    if (collect(&c, want, o->att_type ? ".att" : ".sig", err) < 0) {
        ctx_dispose(&c);
        return -1;
    }
    make_items(&c, res);
    struct vg_sign_verify_opts vo = {
        .image = &t->digest,
        .annotations = o->annotations,
        .nannotations = o->nannotations,
        .check_claims = o->check_claims,
        .docker_reference = o->check_reference ? t->docker_reference : NULL,
        .tlog = o->tlog,
    };
    for (size_t k = 0; k < o->nkeys; k++) {
        vo.key = o->keys[k];
        bool b = verify_bundles(&c, &vo, want, o->att_type != NULL, res->items);
        bool l = verify_legacy(&c, &vo, o->att_type, res->items + c.nbundles);
        if ((b || l) && !duplicate_key(o, k)) {
            res->keys_ok++;
        }
    }
    if (o->keyless) { /* the keyless authority counts as one more key */
        vo.key = NULL;
        vo.keyless = o->keyless;
        bool b = verify_bundles(&c, &vo, want, o->att_type != NULL, res->items);
        bool l = verify_legacy(&c, &vo, o->att_type, res->items + c.nbundles);
        if (b || l) {
            res->keys_ok++;
        }
    }
    res->net_ns = c.net_ns;
    ctx_dispose(&c);
    res->total_ns = vg_now_ns() - t0;
    return verdict(o, res, err);
}

/* ---------------------------------------------------------------- tree */

void
vg_sign_tree_dispose(struct vg_sign_tree *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->entries[i].kind);
        free(t->entries[i].location);
        free(t->entries[i].digest);
        free(t->entries[i].detail);
    }
    free(t->entries);
    *t = (struct vg_sign_tree){0};
}

static void
tree_add(struct vg_sign_tree *t, const char *kind, char *location, const char *digest,
         const char *detail)
{
    VG_ARRAY_GROW(t->entries, t->n, 1);
    t->entries[t->n++] = (struct vg_sign_tree_entry){
        .kind = vg_strdup(kind),
        .location = location,
        .digest = vg_strdup(digest),
        .detail = vg_strdup(detail ? detail : ""),
    };
}

static int
tree_tag(const struct vg_sign_target *t, struct vg_sign_tree *out, struct vg_oci_remote_get *g,
         const char *kind, struct vg_err **err)
{
    struct vg_sign_sig_image *img = NULL;
    if (vg_sign__sig_image_from(g, &img, err) < 0) {
        return vg_err_wrap(err, "%s:%s", t->store_name, g->reference);
    }
    for (size_t i = 0; i < img->n; i++) {
        const struct vg_sign_sig_entry *e = &img->layers[i];
        const char *pt = vg_sign_sig_entry_annotation(e, "predicateType");
        tree_add(out, kind, vg_fmt("%s:%s", t->store_name, g->reference), e->digest.text,
                 pt ? pt : e->media_type);
    }
    vg_sign_sig_image_free(img);
    return 0;
}

static void
tree_referrers(const struct vg_sign_target *t, struct vg_sign_tree *out,
               struct vg_oci_remote_get *g)
{
    vg_autoerr struct vg_err *e = vg_steal_ptr(&g->err);
    struct vg_oci_manifest *idx = NULL;
    if (g->rc < 0 ||
        vg_oci_manifest_parse(&idx, g->out.data, g->out.len, VG_MT_OCI_INDEX, &e) < 0) {
        vg_autofree char *msg = vg_err_format(e);
        VG_WARN("sign", "referrers of %s: %s", t->digest.text, msg);
        return;
    }
    out->referrers_api = !g->fallback;
    for (size_t i = 0; i < idx->nmanifests && i < VG_SIGN_MAX_REFERRERS; i++) {
        const struct vg_oci_desc *d = &idx->manifests[i];
        const char *pt = d->annotations
                             ? vg_json_str(d->annotations, "dev.sigstore.bundle.predicateType")
                             : NULL;
        const char *detail = pt ? pt : d->artifact_type ? d->artifact_type : d->media_type;
        bool sig = pt && strcmp(pt, VG_SIGN_PREDICATE_SIGN) == 0;
        tree_add(out,
                 sig  ? "signature"
                 : pt ? "attestation"
                      : "referrer",
                 vg_fmt("%s@%s", t->store_name, d->digest.text), d->digest.text, detail);
    }
    vg_oci_manifest_free(idx);
}

int
vg_sign_target_tree(const struct vg_sign_target *t, struct vg_sign_tree *out, struct vg_err **err)
{
    *out = (struct vg_sign_tree){0};
    static const char *const suffix[] = {".sig", ".att", ".sbom"};
    static const char *const kind[] = {"signature", "attestation", "sbom"};
    char *tags[3];
    struct vg_oci_remote_get g[4] = {{.kind = VG_OCI_REMOTE_GET_REFERRERS,
                                      .digest = t->digest,
                                      .out = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES)}};
    for (size_t i = 0; i < 3; i++) {
        tags[i] = vg_sign_tag(&t->digest, suffix[i]);
        g[i + 1] =
            (struct vg_oci_remote_get){.kind = VG_OCI_REMOTE_GET_MANIFEST, .reference = tags[i]};
    }
    vg_oci_remote_get_many(t->store, g, 4);
    tree_referrers(t, out, &g[0]);
    int rc = 0;
    for (size_t i = 0; i < 3 && rc == 0; i++) {
        rc = tree_tag(t, out, &g[i + 1], kind[i], err);
    }
    for (size_t i = 0; i < 4; i++) {
        vg_oci_remote_get_dispose(&g[i]);
        if (i < 3) {
            free(tags[i]);
        }
    }
    if (rc < 0) {
        vg_sign_tree_dispose(out);
    }
    return rc;
}
