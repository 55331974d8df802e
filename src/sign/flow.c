/* SPDX-License-Identifier: Apache-2.0
 *
 * The registry side of signing (cosign-format.md §3, §4, §6.3): resolving an image to the
 * digest that gets signed, choosing the repository that holds its attachments
 * (VIGIL_REPOSITORY / COSIGN_REPOSITORY), and pushing signatures and attestations either in
 * cosign's legacy layout (`sha256-<hex>.sig` / `.att` images, read-modify-write with a
 * re-read so a concurrent signer's layer is never silently lost) or in cosign 3's layout
 * (bundle referrer with `subject`, plus the referrers tag schema index when the registry has
 * no referrers API). The image itself is never uploaded. Verification and listing are in
 * check.c; the byte formats in payload.c, sigimage.c, attimage.c and bundle.c.
 */
#include "flow_int.h"

#include <string.h>
#include <time.h>

/* How often a push is retried when a concurrent writer replaced the tag in between. */
#define PUSH_ATTEMPTS 6
/* The re-read after a push is repeated after this long (plus jitter) before we trust it. */
#define SETTLE_MS     250ull
#define SETTLE_MAX_NS (5ull * 1000000000ull)

const char *
vg_sign_repository_env(void)
{
    const char *names[] = {"VIGIL_REPOSITORY", "COSIGN_REPOSITORY"};
    for (size_t i = 0; i < VG_ARRAY_LEN(names); i++) {
        const char *v = getenv(names[i]);
        if (v && *v) {
            return v;
        }
    }
    return NULL;
}

void
vg_sign_target_free(struct vg_sign_target *t)
{
    if (!t) {
        return;
    }
    if (!t->borrowed) {
        if (t->store != t->images) {
            vg_oci_remote_client_free(t->store);
        }
        vg_oci_remote_client_free(t->images);
    }
    vg_oci_ref_free(t->ref);
    free(t->name);
    free(t->docker_reference);
    free(t->media_type);
    free(t->manifest);
    free(t->store_name);
    free(t);
}

static int
open_store(struct vg_sign_target *t, const char *repository, const struct vg_oci_open_opts *o,
           struct vg_err **err)
{
    if (!repository) {
        t->store = t->images;
        t->store_name = vg_strdup(t->name);
        return 0;
    }
    struct vg_oci_ref *r = NULL;
    if (vg_oci_ref_parse(&r, repository, err) < 0) {
        return vg_err_wrap(err, "signature repository \"%s\"", repository);
    }
    if (r->digest || !r->tag_implied) {
        vg_oci_ref_free(r);
        return vg_err_set(err, VG_E_USAGE,
                          "signature repository \"%s\" must not have a tag or "
                          "digest",
                          repository);
    }
    t->store_name = vg_oci_ref_name(r);
    t->store = vg_oci_remote_client_new(r, o, err);
    vg_oci_ref_free(r);
    return t->store ? 0 : vg_err_wrap(err, "signature repository %s", t->store_name);
}

int
vg_sign_target_open(struct vg_sign_target **out, const char *image,
                    const struct vg_oci_open_opts *o, const char *repository, struct vg_err **err)
{
    if (vg_cstr_startswith(image, "docker://")) {
        image += strlen("docker://");
    }
    struct vg_sign_target *t = vg_calloc(1, sizeof(*t));
    int rc = vg_oci_ref_parse(&t->ref, image, err);
    if (rc < 0) {
        vg_sign_target_free(t);
        return rc;
    }
    t->name = vg_oci_ref_name(t->ref);
    t->docker_reference = vg_sign_docker_reference(t->name);
    if (!(t->images = vg_oci_remote_client_new(t->ref, o, err))) {
        vg_sign_target_free(t);
        return -1;
    }
    const char *reference = t->ref->digest ? t->ref->digest : t->ref->tag;
    struct vg_oci_remote_manifest m;
    if ((rc = vg_oci_remote_manifest_get(t->images, reference, &m, err)) < 0) {
        vg_sign_target_free(t);
        return rc;
    }
    t->digest = m.digest;
    t->media_type = vg_steal_ptr(&m.media_type);
    t->manifest = vg_steal_ptr(&m.data);
    t->manifest_len = t->size = m.len;
    vg_oci_remote_manifest_dispose(&m);
    if (!t->media_type) {
        t->media_type = vg_strdup(VG_MT_OCI_MANIFEST);
    }
    if ((rc = open_store(t, repository ? repository : vg_sign_repository_env(), o, err)) < 0) {
        vg_sign_target_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int
vg_sign_target_child(struct vg_sign_target **out, const struct vg_sign_target *parent,
                     const struct vg_oci_desc *child, struct vg_err **err)
{
    struct vg_sign_target *t = vg_calloc(1, sizeof(*t));
    vg_autofree char *s = vg_oci_ref_string(parent->ref);
    int rc = vg_oci_ref_parse(&t->ref, s, err);
    if (rc < 0) {
        vg_sign_target_free(t);
        return rc;
    }
    t->name = vg_strdup(parent->name);
    t->docker_reference = vg_strdup(parent->docker_reference);
    t->digest = child->digest;
    t->media_type = vg_strdup(child->media_type ? child->media_type : VG_MT_OCI_MANIFEST);
    t->size = child->size;
    t->store_name = vg_strdup(parent->store_name);
    t->images = parent->images;
    t->store = parent->store;
    t->borrowed = true;
    *out = t;
    return 0;
}

void
vg_sign_push_result_dispose(struct vg_sign_push_result *r)
{
    free(r->location);
    *r = (struct vg_sign_push_result){0};
}

/* ---------------------------------------------------------------- shared registry helpers */

int
vg_sign__sig_image_from(struct vg_oci_remote_get *g, struct vg_sign_sig_image **out,
                        struct vg_err **err)
{
    if (g->rc < 0) {
        if (vg_err_root_code(g->err) == VG_E_NOTFOUND) {
            *out = vg_sign_sig_image_new();
            return 0;
        }
        if (err) {
            *err = vg_steal_ptr(&g->err);
        }
        return -1;
    }
    int rc = vg_sign_sig_image_parse(out, g->manifest.data, g->manifest.len, err);
    return rc < 0 ? vg_err_wrap(err, "%s", g->reference) : 0;
}

int
vg_sign__read_sig_image(struct vg_oci_remote_client *c, const char *tag,
                        struct vg_sign_sig_image **out, struct vg_err **err)
{
    struct vg_oci_remote_get g = {.kind = VG_OCI_REMOTE_GET_MANIFEST, .reference = tag};
    g.rc = vg_oci_remote_manifest_get(c, tag, &g.manifest, &g.err);
    int rc = vg_sign__sig_image_from(&g, out, err);
    vg_oci_remote_get_dispose(&g);
    return rc;
}

/* Is our layer (or, for signatures, an equivalent one: same payload, signature valid with
 * key) already in img? */
static bool
has_layer(const struct vg_sign_sig_image *img, const struct vg_sign_layer *l,
          const struct vg_crypto_key *key)
{
    for (size_t i = 0; i < img->n; i++) {
        const struct vg_sign_sig_entry *e = &img->layers[i];
        if (!vg_digest_eq(&e->digest, &l->digest)) {
            continue;
        }
        if (!key) {
            return true;
        }
        const char *sig = vg_sign_sig_entry_annotation(e, VG_SIGN_ANN_SIGNATURE);
        vg_autoerr struct vg_err *ignored = NULL;
        if (sig && strcmp(e->media_type, VG_SIGN_MT_SIMPLESIGNING) == 0 &&
            vg_sign_payload_verify(key, l->payload, l->payload_len, sig, &ignored) == 0) {
            return true;
        }
    }
    return false;
}

static int
upload(struct vg_oci_remote_client *c, const void *data, size_t len, struct vg_digest *d,
       struct vg_err **err)
{
    struct vg_digest local;
    if (!d) {
        d = &local;
    }
    vg_digest_of(d, VG_DIGEST_SHA256, data, len);
    return vg_oci_remote_blob_upload(c, d, data, len, NULL, err);
}

/* One read-modify-write round: append, render, upload blobs, PUT at tag. */
static int
legacy_put(const struct vg_sign_target *t, struct vg_sign_sig_image *img, const char *tag,
           const struct vg_sign_layer *l, const char *predicate_type, bool replace,
           struct vg_sign_push_result *res, struct vg_err **err)
{
    bool appended = false;
    int rc = predicate_type
                 ? vg_sign_att_image_append(img, l, predicate_type, replace, &appended, err)
                 : vg_sign_sig_image_append(img, l, &appended, err);
    if (rc < 0) {
        return rc;
    }
    vg_autobuf struct vg_buf config = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    vg_autobuf struct vg_buf manifest = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    if ((rc = vg_sign_sig_image_render(img, &config, &manifest, err)) < 0 ||
        (rc = upload(t->store, l->payload, l->payload_len, NULL, err)) < 0 ||
        (rc = upload(t->store, config.data, config.len, NULL, err)) < 0) {
        return rc;
    }
    return vg_oci_remote_manifest_put(t->store, tag, manifest.data, manifest.len,
                                      VG_SIGN_MT_OCI_MANIFEST, &res->manifest, err);
}

static void
backoff(unsigned attempt)
{
    /* 20, 40, 80 ... ms, plus the low bits of the clock so two racing signers drift apart. */
    uint64_t ns = (20ull << attempt) * 1000000ull + (vg_now_ns() % 20000000ull);
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
                          .tv_nsec = (long)(ns % 1000000000ull)};
    nanosleep(&ts, NULL);
}

/* How long another signer's read-modify-write may take: read, sign, upload, PUT. */
static void
settle(uint64_t rmw_ns)
{
    /* A peer's read-modify-write is assumed to take about as long as ours did. */
    uint64_t ns = SETTLE_MS * 1000000ull;
    if (rmw_ns > ns / 2) {
        ns = rmw_ns * 2 < SETTLE_MAX_NS ? rmw_ns * 2 : SETTLE_MAX_NS;
    }
    ns += vg_now_ns() % 50000000ull;
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
                          .tv_nsec = (long)(ns % 1000000000ull)};
    nanosleep(&ts, NULL);
}

/* Errors a concurrent writer can cause; authentication, usage and limits are final. */
static bool
transient(const struct vg_err *e)
{
    enum vg_errc c = vg_err_root_code(e);
    return c == VG_E_NET || c == VG_E_VERIFY || c == VG_E_NOTFOUND;
}

static int
legacy_push(const struct vg_sign_target *t, const char *suffix, const struct vg_sign_layer *l,
            const struct vg_crypto_key *key, const char *predicate_type, bool replace,
            struct vg_sign_push_result *res, struct vg_err **err)
{
    vg_autofree char *tag = vg_sign_tag(&t->digest, suffix);
    res->location = vg_fmt("%s:%s", t->store_name, tag);
    bool pushed = false, confirmed = false;
    uint64_t rmw_ns = 0;
    unsigned put_failures = 0;
    for (;;) {
        struct vg_sign_sig_image *img = NULL;
        uint64_t t0 = vg_now_ns();
        int rc = vg_sign__read_sig_image(t->store, tag, &img, err);
        if (rc < 0) {
            return vg_err_wrap(err, "read %s", res->location);
        }
        if (has_layer(img, l, key)) {
            vg_sign_sig_image_free(img);
            if (pushed && !confirmed) {
                /* A signer that read the tag before our PUT may still overwrite it: look
                 * once more after the window such a read-modify-write takes. */
                confirmed = true;
                settle(rmw_ns);
                continue;
            }
            res->appended = pushed;
            return 0;
        }
        confirmed = false;
        if (pushed && res->retries >= PUSH_ATTEMPTS) {
            vg_sign_sig_image_free(img);
            return vg_err_set(err, VG_E_NET,
                              "%s: our layer was replaced %u times by concurrent "
                              "writers; giving up",
                              res->location, PUSH_ATTEMPTS);
        }
        if (pushed) {
            res->retries++;
            VG_WARN("sign", "%s was replaced by a concurrent writer; appending again",
                    res->location);
            backoff(res->retries);
        }
        vg_autoerr struct vg_err *e = NULL;
        rc = legacy_put(t, img, tag, l, predicate_type, replace && !pushed, res, &e);
        rmw_ns = vg_now_ns() - t0;
        vg_sign_sig_image_free(img);
        if (rc < 0 && (!transient(e) || ++put_failures > PUSH_ATTEMPTS)) {
            if (err) {
                *err = vg_steal_ptr(&e);
            }
            return vg_err_wrap(err, "push %s", res->location);
        }
        if (rc < 0) {
            /* e.g. docker-registry's DIGEST_INVALID while a concurrent writer commits the
             * same blob: read the tag again and redo the round. */
            vg_autofree char *msg = vg_err_format(e);
            VG_WARN("sign", "push %s: %s; retrying", res->location, msg);
            backoff(put_failures);
            continue;
        }
        pushed = true;
    }
}

/* ---------------------------------------------------------------- bundle layout */

/* The referrers tag schema (no referrers API): add the referrer to the index at
 * "sha256-<hex>", with the same re-read as the legacy tag. */
int
vg_sign__fallback_index_update(const struct vg_sign_target *t, const struct vg_buf *manifest,
                               const char *artifact_type, struct vg_err **err)
{
    vg_autofree char *tag = vg_sign_tag(&t->digest, "");
    bool confirmed = false;
    for (unsigned attempt = 0; attempt <= 2 * PUSH_ATTEMPTS; attempt++) {
        struct vg_oci_remote_manifest cur = {0};
        vg_autoerr struct vg_err *e = NULL;
        if (vg_oci_remote_manifest_get(t->store, tag, &cur, &e) < 0 &&
            vg_err_root_code(e) != VG_E_NOTFOUND) {
            if (err) {
                *err = vg_steal_ptr(&e);
            }
            return vg_err_wrap(err, "referrers index %s", tag);
        }
        vg_autobuf struct vg_buf idx = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
        bool added = false;
        int rc = vg_sign_referrers_index_add(&idx, cur.data, cur.len, manifest->data, manifest->len,
                                             artifact_type, &added, err);
        vg_oci_remote_manifest_dispose(&cur);
        if (rc < 0) {
            return vg_err_wrap(err, "referrers index %s", tag);
        }
        if (!added && (attempt == 0 || confirmed)) {
            return 0; /* listed (before us, or still after a settle interval) */
        }
        if (!added) {
            confirmed = true; /* as for the .sig tag: look once more a little later */
            settle(0);
            continue;
        }
        confirmed = false;
        if (attempt > 1) {
            backoff(attempt);
        }
        struct vg_digest put;
        if ((rc = vg_oci_remote_manifest_put(t->store, tag, idx.data, idx.len, VG_MT_OCI_INDEX,
                                             &put, err)) < 0) {
            return vg_err_wrap(err, "referrers index %s", tag);
        }
    }
    return vg_err_set(err, VG_E_NET,
                      "referrers index %s keeps being replaced by concurrent "
                      "writers",
                      tag);
}

static int
bundle_push(const struct vg_sign_target *t, const struct vg_sign_push_opts *o,
            const char *statement, size_t len, const char *predicate_type, int64_t now,
            struct vg_sign_push_result *res, struct vg_err **err)
{
    vg_autobuf struct vg_buf bundle = VG_BUF_INIT(VG_SIGN_ENVELOPE_MAX + 256u * 1024u);
    vg_autobuf struct vg_buf manifest = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    struct vg_digest bd;
    int rc = o->sign_statement ? o->sign_statement(o->sign_layer_ud, statement, len, &t->digest,
                                                   &bundle, NULL, err)
                               : vg_sign_bundle_build(&bundle, o->key, statement, len, err);
    if (rc < 0 || (rc = upload(t->store, bundle.data, bundle.len, &bd, err)) < 0 ||
        (rc = upload(t->store, "{}", 2, NULL, err)) < 0) {
        return rc < 0 ? vg_err_wrap(err, "upload bundle to %s", t->store_name) : rc;
    }
    char created[32];
    vg_time_rfc3339(created, sizeof(created), now);
    struct vg_sign_referrer r = {
        .bundle = &bd,
        .bundle_size = bundle.len,
        .predicate_type = predicate_type,
        .created = created,
        .subject_media_type = t->media_type,
        .subject = &t->digest,
        .subject_size = t->size,
    };
    if ((rc = vg_sign_referrer_manifest_build(&manifest, &r, err)) < 0) {
        return rc;
    }
    vg_digest_of(&res->manifest, VG_DIGEST_SHA256, manifest.data, manifest.len);
    res->location = vg_fmt("%s@%s", t->store_name, res->manifest.text);
    struct vg_digest put;
    if ((rc = vg_oci_remote_manifest_put(t->store, res->manifest.text, manifest.data, manifest.len,
                                         VG_SIGN_MT_OCI_MANIFEST, &put, err)) < 0) {
        return vg_err_wrap(err, "push %s", res->location);
    }
    res->appended = true;
    /* Does the registry index referrers itself? Otherwise keep the fallback tag. */
    vg_autobuf struct vg_buf probe = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    if ((rc = vg_oci_remote_referrers(t->store, &t->digest, VG_SIGN_MT_BUNDLE_V03, &probe,
                                      &res->fallback, err)) < 0) {
        return vg_err_wrap(err, "referrers of %s", t->digest.text);
    }
    return res->fallback ? vg_sign__fallback_index_update(t, &manifest, VG_SIGN_MT_BUNDLE_V03, err)
                         : 0;
}

/* ---------------------------------------------------------------- public entry points */

/* Statement → bundle referrer; the result is cleared again on failure. */
static int
bundle_flow(const struct vg_sign_target *t, const struct vg_sign_push_opts *o, const char *uri,
            struct vg_sign_push_result *res, struct vg_err **err)
{
    vg_autobuf struct vg_buf st = VG_BUF_INIT(VG_LIMIT_PAYLOAD_BYTES);
    int rc =
        o->type ? vg_sign_statement_build(&st, o->type, t->docker_reference, &t->digest,
                                          o->predicate, o->predicate_len, o->now, err)
                : vg_sign_statement_v1_build(&st, &t->digest, o->annotations, o->nannotations, err);
    if (rc == 0) {
        rc = bundle_push(t, o, (const char *)st.data, st.len, uri, o->now, res, err);
    }
    if (rc < 0) {
        vg_sign_push_result_dispose(res);
    }
    return rc;
}

/* A layer → the legacy tag; the result is cleared again on failure. */
static int
legacy_flow(const struct vg_sign_target *t, struct vg_sign_layer *l, const char *suffix,
            const struct vg_crypto_key *key, const char *uri, bool replace,
            struct vg_sign_push_result *res, struct vg_err **err)
{
    int rc = legacy_push(t, suffix, l, key, uri, replace, res, err);
    vg_sign_layer_dispose(l);
    if (rc < 0) {
        vg_sign_push_result_dispose(res);
    }
    return rc;
}

/* The payload as vg_sign_image_payload builds it, signed by the keyless hook. */
static int
keyless_layer(struct vg_sign_layer *l, const struct vg_crypto_key **key,
              const struct vg_sign_target *t, const struct vg_sign_push_opts *o,
              struct vg_err **err)
{
    struct vg_buf p = VG_BUF_INIT(VG_LIMIT_PAYLOAD_BYTES);
    if (vg_sign_payload_build(&p, t->docker_reference, &t->digest, o->annotations, o->nannotations,
                              err) < 0 ||
        vg_buf_append(&p, "", 1, err) < 0) {
        vg_buf_dispose(&p);
        return -1;
    }
    size_t n = 0;
    l->payload = vg_buf_take(&p, &n);
    l->payload_len = n - 1;
    vg_digest_of(&l->digest, VG_DIGEST_SHA256, l->payload, l->payload_len);
    return o->sign_layer(o->sign_layer_ud, l, key, err);
}

/* The v0.1 statement as vg_sign_attestation_sign builds it, signed by the keyless hook. */
static int
keyless_att_layer(struct vg_sign_layer *l, const struct vg_sign_target *t,
                  const struct vg_sign_push_opts *o, struct vg_err **err)
{
    vg_autobuf struct vg_buf st = VG_BUF_INIT(VG_LIMIT_PAYLOAD_BYTES);
    if (vg_sign_statement_build(&st, o->type, t->docker_reference, &t->digest, o->predicate,
                                o->predicate_len, o->now, err) < 0 ||
        vg_buf_append(&st, "", 1, err) < 0) {
        return -1;
    }
    return o->sign_statement(o->sign_layer_ud, (const char *)st.data, st.len - 1, &t->digest, NULL,
                             l, err);
}

int
vg_sign_target_sign(const struct vg_sign_target *t, const struct vg_sign_push_opts *o,
                    struct vg_sign_push_result *res, struct vg_err **err)
{
    *res = (struct vg_sign_push_result){0};
    if (o->bundle) {
        struct vg_sign_push_opts so = *o;
        so.type = NULL;
        return bundle_flow(t, &so, VG_SIGN_PREDICATE_SIGN, res, err);
    }
    struct vg_sign_layer l = {0};
    const struct vg_crypto_key *key = o->key;
    int rc = o->sign_layer ? keyless_layer(&l, &key, t, o, err)
                           : vg_sign_image_payload(&l, o->key, t->docker_reference, &t->digest,
                                                   o->annotations, o->nannotations, err);
    if (rc < 0) {
        vg_sign_layer_dispose(&l);
        return rc;
    }
    return legacy_flow(t, &l, ".sig", key, NULL, false, res, err);
}

int
vg_sign_target_attest(const struct vg_sign_target *t, const struct vg_sign_push_opts *o,
                      struct vg_sign_push_result *res, struct vg_err **err)
{
    *res = (struct vg_sign_push_result){0};
    const char *uri = o->type ? vg_sign_predicate_type(o->type) : NULL;
    if (!uri) {
        const char *ty = o->type ? o->type : "";
        vg_autofree char *esc = vg_escape(ty, strlen(ty), 120);
        return vg_err_set(err, VG_E_USAGE, "unknown predicate type \"%s\"", esc);
    }
    if (o->bundle) {
        return bundle_flow(t, o, uri, res, err);
    }
    struct vg_sign_layer l = {0};
    int rc = o->sign_statement
                 ? keyless_att_layer(&l, t, o, err)
                 : vg_sign_attestation_sign(&l, o->key, o->type, t->docker_reference, &t->digest,
                                            o->predicate, o->predicate_len, o->now, err);
    if (rc < 0) {
        vg_sign_layer_dispose(&l);
        return rc;
    }
    return legacy_flow(t, &l, ".att", NULL, uri, o->replace, res, err);
}
