/* SPDX-License-Identifier: Apache-2.0
 *
 * Signature verification against a store the caller owns (sign.h vg_sign_store_verify): the
 * registry server verifies the signatures of an image held in its own storage and metadata,
 * never over HTTP. The same checks as check.c (blob digests and sizes, the signature over the
 * exact bytes, then claims; distinct keys against the threshold), plus a failure class for
 * each item that did not verify so a pull gate can say "signed by an unknown key" or "bad
 * signature".
 */
#include "sign_int.h"

#include <string.h>

/* A bundle blob: the envelope at most, plus verification material and framing. */
#define BUNDLE_BLOB_MAX (VG_SIGN_ENVELOPE_MAX + 64u * 1024u)

struct st_item {
    char *where;
    struct vg_sign_bundle *b; /* bundles */
    struct vg_err *err;       /* read or parse failure */
};

struct st_ctx {
    const struct vg_sign_store *s;
    struct st_item *bundles;
    size_t nbundles;
    struct vg_sign_sig_image img; /* simple-signing layers of the .sig tag and referrers */
    char **layer_where;           /* [img.n] */
    struct vg_buf *blobs;         /* [img.n], read on first use */
    bool *fetched;
};

/* Hands e on through err (the caller's out-parameter) and returns -1. */
static int
pass_on(struct vg_err **err, struct vg_err **e)
{
    if (err) {
        *err = vg_steal_ptr(e);
    }
    vg_err_free(e);
    return -1;
}

/* Reads blob d (at most max bytes) through the provider and checks it against its digest. */
int
vg_sign__store_read_blob(const struct vg_sign_store *s, const struct vg_digest *d, size_t max,
                         struct vg_buf *out, struct vg_err **err)
{
    void *stream = NULL;
    if (s->blobs.open(s->blobs.ud, d, &stream, err) < 0) {
        return vg_err_wrap(err, "blob %s", d->text);
    }
    struct vg_hasher *h = vg_hasher_new(d->alg);
    uint8_t chunk[16384];
    int rc = 0;
    for (;;) {
        size_t got = 0;
        if ((rc = s->blobs.read(stream, chunk, sizeof(chunk), &got, err)) < 0) {
            rc = vg_err_wrap(err, "blob %s", d->text);
            break;
        }
        if (got == 0) {
            break;
        }
        if (out->len + got > max) {
            rc =
                vg_err_set(err, VG_E_LIMIT, "blob %s exceeds the limit of %zu bytes", d->text, max);
            break;
        }
        vg_hasher_update(h, chunk, got);
        if ((rc = vg_buf_append(out, chunk, got, err)) < 0) {
            break;
        }
    }
    s->blobs.close(stream);
    struct vg_digest got;
    vg_hasher_final(h, &got);
    vg_hasher_free(h);
    if (rc == 0 && !vg_digest_eq(&got, d)) {
        rc = vg_err_set(err, VG_E_VERIFY, "blob %s does not match its digest", d->text);
    }
    if (rc < 0) {
        vg_buf_reset(out);
    }
    return rc;
}

/* Moves every simple-signing layer of img into c->img, labelled with where. */
static int
take_layers(struct st_ctx *c, struct vg_sign_sig_image *img, const char *where, struct vg_err **err)
{
    for (size_t i = 0; i < img->n; i++) {
        if (strcmp(img->layers[i].media_type, VG_SIGN_MT_SIMPLESIGNING) != 0) {
            continue;
        }
        if (c->img.n >= VG_SIGN_MAX_SIG_LAYERS) {
            return vg_err_set(err, VG_E_LIMIT, "more than %u signature layers",
                              VG_SIGN_MAX_SIG_LAYERS);
        }
        VG_ARRAY_GROW(c->img.layers, c->img.n, 1);
        VG_ARRAY_GROW(c->layer_where, c->img.n, 1);
        c->img.layers[c->img.n] = img->layers[i];
        memset(&img->layers[i], 0, sizeof(img->layers[i]));
        c->layer_where[c->img.n++] = vg_fmt("%s layer %zu", where, i);
    }
    return 0;
}

/* The `.sig` tag's manifest, when the tag exists. A malformed one becomes a failed item. */
static int
collect_tag(struct st_ctx *c, const char *name, const struct vg_digest *image, struct vg_err **err)
{
    vg_autofree char *tag = vg_sign_tag(image, ".sig");
    struct vg_digest md;
    struct vg_err *e = NULL;
    if (c->s->tag_resolve(c->s->ud, tag, &md, &e) < 0) {
        if (vg_err_code(e) == VG_E_NOTFOUND) {
            vg_err_free(&e);
            return 0;
        }
        pass_on(err, &e);
        return vg_err_wrap(err, "%s:%s", name, tag);
    }
    vg_autofree char *where = vg_fmt("%s:%s", name, tag);
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    struct vg_sign_sig_image *img = NULL;
    if (vg_sign__store_read_blob(c->s, &md, VG_LIMIT_MANIFEST_BYTES, &raw, &e) < 0 ||
        vg_sign_sig_image_parse(&img, raw.data, raw.len, &e) < 0) {
        if (!vg_err_is(e, VG_E_PARSE) && !vg_err_is(e, VG_E_LIMIT) && !vg_err_is(e, VG_E_VERIFY)) {
            pass_on(err, &e);
            return vg_err_wrap(err, "%s", where);
        }
        VG_ARRAY_GROW(c->bundles, c->nbundles, 1);
        c->bundles[c->nbundles++] = (struct st_item){vg_steal_ptr(&where), NULL, e};
        return 0;
    }
    int rc = take_layers(c, img, where, err);
    vg_sign_sig_image_free(img);
    return rc;
}

/* Exactly one layer with a bundle media type (cosign-format.md §4.3). */
static const struct vg_oci_desc *
bundle_layer(const struct vg_oci_manifest *m)
{
    if (m->is_index || m->nlayers != 1 || !m->layers[0].media_type ||
        !vg_cstr_startswith(m->layers[0].media_type, VG_SIGN_MT_BUNDLE_PREFIX)) {
        return NULL;
    }
    return &m->layers[0];
}

static bool
has_simplesigning(const struct vg_oci_manifest *m)
{
    for (size_t i = 0; !m->is_index && i < m->nlayers; i++) {
        if (m->layers[i].media_type &&
            strcmp(m->layers[i].media_type, VG_SIGN_MT_SIMPLESIGNING) == 0) {
            return true;
        }
    }
    return false;
}

/* One referrer: a bundle item, simple-signing layers, or nothing (another kind of referrer).
 * Content that cannot be read as what it claims to be becomes a failed item. */
static int
collect_referrer(struct st_ctx *c, const char *name, const struct vg_digest *rd, uint64_t *total,
                 struct vg_err **err)
{
    vg_autofree char *where = vg_fmt("%s@%s (referrer)", name, rd->text);
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    struct vg_oci_manifest *m = NULL;
    struct vg_err *e = NULL;
    if (vg_sign__store_read_blob(c->s, rd, VG_LIMIT_MANIFEST_BYTES, &raw, &e) < 0) {
        pass_on(err, &e);
        return vg_err_wrap(err, "%s", where);
    }
    if (vg_oci_manifest_parse(&m, raw.data, raw.len, NULL, &e) < 0) {
        vg_err_free(&e); /* not a manifest we can read: not a signature either */
        return 0;
    }
    int rc = 0;
    const struct vg_oci_desc *l = bundle_layer(m);
    if (l) {
        struct st_item it = {vg_steal_ptr(&where), NULL, NULL};
        vg_autobuf struct vg_buf blob = VG_BUF_INIT(BUNDLE_BLOB_MAX);
        if (l->size > BUNDLE_BLOB_MAX || l->size > 256u * 1024u * 1024u - *total) {
            vg_err_set(&it.err, VG_E_LIMIT, "bundle of %llu bytes exceeds the limit",
                       (unsigned long long)l->size);
        } else if (vg_sign__store_read_blob(c->s, &l->digest, BUNDLE_BLOB_MAX, &blob, &it.err) ==
                   0) {
            *total += blob.len;
            if (vg_sign_bundle_parse(&it.b, blob.data, blob.len, &it.err) < 0) {
                it.b = NULL;
            }
        }
        VG_ARRAY_GROW(c->bundles, c->nbundles, 1);
        c->bundles[c->nbundles++] = it;
    } else if (has_simplesigning(m)) {
        struct vg_sign_sig_image *img = NULL;
        if (vg_sign_sig_image_parse(&img, raw.data, raw.len, &e) < 0) {
            VG_ARRAY_GROW(c->bundles, c->nbundles, 1);
            c->bundles[c->nbundles++] = (struct st_item){vg_steal_ptr(&where), NULL, e};
        } else {
            rc = take_layers(c, img, where, err);
            vg_sign_sig_image_free(img);
        }
    }
    vg_oci_manifest_free(m);
    return rc;
}

static int
collect(struct st_ctx *c, const char *name, const struct vg_digest *image, struct vg_err **err)
{
    if (collect_tag(c, name, image, err) < 0) {
        return -1;
    }
    struct vg_digest *refs = NULL;
    size_t nrefs = 0;
    if (c->s->referrers(c->s->ud, image, &refs, &nrefs, err) < 0) {
        return vg_err_wrap(err, "referrers of %s@%s", name, image->text);
    }
    if (nrefs > VG_SIGN_MAX_REFERRERS) {
        VG_WARN("sign", "%s@%s has %zu referrers; looking at the first %u", name, image->text,
                nrefs, VG_SIGN_MAX_REFERRERS);
        nrefs = VG_SIGN_MAX_REFERRERS;
    }
    uint64_t total = 0;
    int rc = 0;
    for (size_t i = 0; i < nrefs && rc == 0; i++) {
        rc = collect_referrer(c, name, &refs[i], &total, err);
    }
    free(refs);
    if (rc < 0) {
        return -1;
    }
    c->blobs = vg_calloc(c->img.n ? c->img.n : 1, sizeof(*c->blobs));
    c->fetched = vg_calloc(c->img.n ? c->img.n : 1, sizeof(*c->fetched));
    return 0;
}

static void
ctx_dispose(struct st_ctx *c)
{
    for (size_t i = 0; i < c->nbundles; i++) {
        free(c->bundles[i].where);
        vg_sign_bundle_free(c->bundles[i].b);
        vg_err_free(&c->bundles[i].err);
    }
    free(c->bundles);
    for (size_t i = 0; i < c->img.n; i++) {
        free(c->layer_where[i]);
        if (c->blobs) {
            vg_buf_dispose(&c->blobs[i]);
        }
    }
    free(c->layer_where);
    free(c->blobs);
    free(c->fetched);
    /* the layers were moved in: free them through an image shell */
    struct vg_sign_sig_image *shell = vg_sign_sig_image_new();
    free(shell->layers);
    shell->layers = c->img.layers;
    shell->n = c->img.n;
    vg_sign_sig_image_free(shell);
}

/* ---------------------------------------------------------------- verifying */

static int
fetch_cached(void *vctx, const struct vg_sign_sig_entry *layer, struct vg_buf *out,
             struct vg_err **err)
{
    struct st_ctx *c = vctx;
    size_t i = (size_t)(layer - c->img.layers);
    if (!c->fetched[i]) {
        if (layer->size > out->max) {
            return vg_err_set(err, VG_E_LIMIT, "payload of %llu bytes exceeds the limit",
                              (unsigned long long)layer->size);
        }
        vg_buf_init(&c->blobs[i], out->max);
        if (vg_sign__store_read_blob(c->s, &layer->digest, out->max, &c->blobs[i], err) < 0) {
            return -1;
        }
        c->fetched[i] = true;
    }
    return vg_buf_append(out, c->blobs[i].data, c->blobs[i].len, err);
}

static void
item_verified(struct vg_sign_check_item *it, const void *payload, size_t len)
{
    it->keys_ok++;
    if (!it->verified) {
        it->verified = true;
        it->payload = vg_strndup(payload, len);
        it->output = vg_strndup(payload, len);
        vg_err_free(&it->error);
    }
}

static void
item_failed(struct vg_sign_check_item *it, struct vg_err **e)
{
    if (!it->verified && !it->error) {
        it->error = vg_steal_ptr(e);
    }
    vg_err_free(e);
}

/* Verifies every item with one key; true when any verified. */
static bool
verify_with(struct st_ctx *c, const struct vg_sign_verify_opts *vo,
            struct vg_sign_check_item *items)
{
    bool hit = false;
    for (size_t i = 0; i < c->nbundles; i++) {
        if (!c->bundles[i].b) {
            continue;
        }
        struct vg_err *e = NULL;
        if (vg_sign_bundle_verify(c->bundles[i].b, vo, VG_SIGN_PREDICATE_SIGN, NULL, &e) < 0) {
            item_failed(&items[i], &e);
            continue;
        }
        const struct vg_dsse_envelope *env = c->bundles[i].b->envelope;
        item_verified(&items[i], env->payload, env->payload_len);
        hit = true;
    }
    if (c->img.n == 0) {
        return hit;
    }
    struct vg_sign_verify_result r;
    struct vg_err *ignored = NULL;
    if (vg_sign_sig_image_verify(&c->img, vo, fetch_cached, c, &r, &ignored) < 0) {
        vg_err_free(&ignored); /* per-layer reasons are in r.errors */
    }
    struct vg_sign_check_item *legacy = items + c->nbundles;
    for (size_t i = 0; i < r.n; i++) {
        if (r.payloads[i]) {
            item_verified(&legacy[i], c->blobs[i].data, c->blobs[i].len);
            hit = true;
        } else {
            item_failed(&legacy[i], &r.errors[i]);
        }
    }
    vg_sign_verify_result_dispose(&r);
    return hit;
}

/* Whether some key verifies the signature over the bytes (the claims then failed: a bad
 * signature for this image) or none does (an unknown key). Malformed content is bad. */
static enum vg_sign_failure
classify(struct st_ctx *c, size_t i, const struct vg_sign_check_opts *o)
{
    if (i < c->nbundles) {
        const struct vg_sign_bundle *b = c->bundles[i].b;
        for (size_t k = 0; b && k < o->nkeys; k++) {
            struct vg_err *e = NULL;
            if (vg_sign_dsse_verify(b->envelope, o->keys[k], &e) == 0) {
                return VG_SIGN_FAILURE_BAD;
            }
            vg_err_free(&e);
        }
        return b ? VG_SIGN_FAILURE_KEY : VG_SIGN_FAILURE_BAD;
    }
    size_t l = i - c->nbundles;
    const struct vg_sign_sig_entry *e = &c->img.layers[l];
    const char *sig = vg_sign_sig_entry_annotation(e, VG_SIGN_ANN_SIGNATURE);
    if (!c->fetched[l] || !sig || !*sig) {
        return VG_SIGN_FAILURE_BAD; /* unreadable payload, or no signature annotation */
    }
    for (size_t k = 0; k < o->nkeys; k++) {
        struct vg_err *err = NULL;
        if (vg_sign_payload_verify(o->keys[k], c->blobs[l].data, c->blobs[l].len, sig, &err) == 0) {
            return VG_SIGN_FAILURE_BAD;
        }
        bool malformed = vg_err_is(err, VG_E_PARSE);
        vg_err_free(&err);
        if (malformed) {
            return VG_SIGN_FAILURE_BAD; /* the signature annotation is not base64 */
        }
    }
    return VG_SIGN_FAILURE_KEY;
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

int
vg_sign_store_verify(const struct vg_sign_store *s, const char *name, const struct vg_digest *image,
                     const struct vg_sign_check_opts *o, struct vg_sign_check_result *res,
                     struct vg_err **err)
{
    *res = (struct vg_sign_check_result){0};
    uint64_t t0 = vg_now_ns();
    if (o->att_type) {
        return vg_err_set(err, VG_E_USAGE, "store verification covers signatures only");
    }
    struct st_ctx c = {.s = s};
    if (collect(&c, name, image, err) < 0) {
        ctx_dispose(&c);
        return -1;
    }
    res->net_ns = vg_now_ns() - t0;
    res->n = c.nbundles + c.img.n;
    res->items = vg_calloc(res->n ? res->n : 1, sizeof(*res->items));
    for (size_t i = 0; i < c.nbundles; i++) {
        res->items[i].where = vg_steal_ptr(&c.bundles[i].where);
        res->items[i].bundle = true;
        res->items[i].error = vg_steal_ptr(&c.bundles[i].err);
    }
    for (size_t i = 0; i < c.img.n; i++) {
        res->items[c.nbundles + i].where = vg_steal_ptr(&c.layer_where[i]);
    }
    struct vg_sign_verify_opts vo = {
        .image = image,
        .annotations = o->annotations,
        .nannotations = o->nannotations,
        .check_claims = o->check_claims,
    };
    for (size_t k = 0; k < o->nkeys; k++) {
        vo.key = o->keys[k];
        if (verify_with(&c, &vo, res->items) && !duplicate_key(o, k)) {
            res->keys_ok++;
        }
    }
    if (o->keyless) { /* the keyless authority counts as one more key */
        vo.key = NULL;
        vo.keyless = o->keyless;
        if (verify_with(&c, &vo, res->items)) {
            res->keys_ok++;
        }
    }
    for (size_t i = 0; i < res->n; i++) {
        res->nverified += res->items[i].verified;
        if (!res->items[i].verified) {
            res->items[i].failure = classify(&c, i, o);
        }
    }
    ctx_dispose(&c);
    res->total_ns = vg_now_ns() - t0;
    size_t need = o->threshold > 1 ? o->threshold : 1;
    if (res->n == 0) {
        return vg_err_set(err, VG_E_VERIFY, "no signatures found");
    }
    if (res->nverified == 0) {
        return vg_err_set(err, VG_E_VERIFY, "no matching signatures: none of %zu verified", res->n);
    }
    if (res->keys_ok < need) {
        return vg_err_set(err, VG_E_VERIFY, "%zu distinct key(s) verified, threshold is %zu",
                          res->keys_ok, need);
    }
    return 0;
}
