/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil download signature|attestation|sbom` and `vigil triangulate`: read the legacy
 * `sha256-<hex>.sig/.att/.sbom` images of an image and print them the way cosign 2 does
 * (cosign-format.md §3, §6.3), and the Sigstore bundles attached as OCI 1.1 referrers (cosign's
 * --new-bundle-format, §4; the referrers API or its sha256-<hex> tag schema fallback) as cosign 3
 * does: download signature prints the signature bundles instead of the legacy layers when there
 * are any, download attestation the DSSE envelopes of both. Every blob is checked against its
 * digest and bounded before it is interpreted; a manifest that is not a signature image is
 * refused with the tag.
 */
#include "cosign_ops.h"

#include <string.h>

#include "flow_int.h"

/* Blobs fetched per round trip batch (memory: this many times the per-blob bound). */
#define DOWNLOAD_BATCH 16u
/* A bundle blob: an envelope and its verification material. */
#define DOWNLOAD_BUNDLE_MAX (VG_SIGN_ENVELOPE_MAX + 64u * 1024u)
#define ANN_PREDICATE       "dev.sigstore.bundle.predicateType"

void
vg_sign_download_dispose(struct vg_sign_download *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i]);
        free(d->media_types[i]);
    }
    free(d->items);
    free(d->lens);
    free(d->media_types);
    *d = (struct vg_sign_download){0};
}

static void
add_item(struct vg_sign_download *d, char *item, size_t len, const char *mt)
{
    VG_ARRAY_GROW(d->items, d->n, 1);
    VG_ARRAY_GROW(d->lens, d->n, 1);
    VG_ARRAY_GROW(d->media_types, d->n, 1);
    d->items[d->n] = item;
    d->lens[d->n] = len;
    d->media_types[d->n] = vg_strdup(mt ? mt : "");
    d->n++;
}

/* The image at tag; VG_E_NOTFOUND (naming it) when the tag does not exist. */
static int
read_tag(const struct vg_sign_target *t, const char *suffix, struct vg_sign_sig_image **out,
         char **where, struct vg_err **err)
{
    static const char *const what[] = {".sig",         "signatures", ".att",
                                       "attestations", ".sbom",      "SBOM"};
    vg_autofree char *tag = vg_sign_tag(&t->digest, suffix);
    *where = vg_fmt("%s:%s", t->store_name, tag);
    struct vg_oci_remote_manifest m = {0};
    vg_autoerr struct vg_err *e = NULL;
    if (vg_oci_remote_manifest_get(t->store, tag, &m, &e) < 0) {
        if (vg_err_root_code(e) == VG_E_NOTFOUND) {
            const char *kind = "attachments";
            for (size_t i = 0; i < VG_ARRAY_LEN(what); i += 2) {
                kind = strcmp(what[i], suffix) == 0 ? what[i + 1] : kind;
            }
            return vg_err_set(err, VG_E_NOTFOUND, "no %s associated with %s@%s (no tag %s)", kind,
                              t->name, t->digest.text, *where);
        }
        if (err) {
            *err = vg_steal_ptr(&e);
        }
        return -1;
    }
    int rc = vg_sign_sig_image_parse(out, m.data, m.len, err);
    vg_oci_remote_manifest_dispose(&m);
    return rc < 0 ? vg_err_wrap(err, "%s", *where) : 0;
}

/* Calls each(ctx, layer, bytes) for every layer of img in order, blobs fetched in batches and
 * each bounded by max. */
typedef int (*layer_fn)(void *ctx, const struct vg_sign_sig_entry *l, struct vg_buf *blob,
                        struct vg_err **err);
static int
each_layer(const struct vg_sign_target *t, const struct vg_sign_sig_image *img, size_t max,
           layer_fn each, void *ctx, struct vg_err **err)
{
    int rc = 0;
    for (size_t base = 0; base < img->n && rc == 0; base += DOWNLOAD_BATCH) {
        size_t n = img->n - base < DOWNLOAD_BATCH ? img->n - base : DOWNLOAD_BATCH;
        struct vg_oci_remote_get g[DOWNLOAD_BATCH];
        for (size_t i = 0; i < n; i++) {
            const struct vg_sign_sig_entry *l = &img->layers[base + i];
            g[i] = (struct vg_oci_remote_get){
                .kind = VG_OCI_REMOTE_GET_BLOB, .digest = l->digest, .out = VG_BUF_INIT(max)};
            if (l->size > max) { /* refused before any byte is read */
                g[i].kind = VG_OCI_REMOTE_GET_MANIFEST;
            }
        }
        size_t nfetch = 0;
        struct vg_oci_remote_get fetch[DOWNLOAD_BATCH];
        for (size_t i = 0; i < n; i++) {
            if (g[i].kind == VG_OCI_REMOTE_GET_BLOB) {
                fetch[nfetch++] = g[i];
            }
        }
        vg_oci_remote_get_many(t->store, fetch, nfetch);
        for (size_t i = 0, k = 0; i < n; i++) {
            const struct vg_sign_sig_entry *l = &img->layers[base + i];
            if (g[i].kind != VG_OCI_REMOTE_GET_BLOB) {
                if (rc == 0) {
                    rc = vg_err_set(err, VG_E_LIMIT, "layer %zu (%s): %llu bytes, more than %zu",
                                    base + i, l->digest.text, (unsigned long long)l->size, max);
                }
                continue;
            }
            struct vg_oci_remote_get *f = &fetch[k++];
            if (rc == 0 && f->rc < 0) {
                if (err) {
                    *err = vg_steal_ptr(&f->err);
                }
                rc = vg_err_wrap(err, "layer %zu", base + i);
            } else if (rc == 0 && f->out.len != l->size) {
                rc = vg_err_set(err, VG_E_VERIFY, "layer %zu (%s): %zu bytes, manifest says %llu",
                                base + i, l->digest.text, f->out.len, (unsigned long long)l->size);
            } else if (rc == 0) {
                rc = each(ctx, l, &f->out, err);
            }
            vg_oci_remote_get_dispose(f);
        }
    }
    return rc;
}

/* A PEM bundle as an array of PEM strings, one per certificate (cosign's Chain). */
static json_t *
pem_array(const char *pem)
{
    static const char end[] = "-----END CERTIFICATE-----";
    json_t *arr = json_array();
    const char *p = pem;
    for (const char *e; (e = strstr(p, end)) != NULL; p = e + strlen(end)) {
        const char *b = strstr(p, "-----BEGIN");
        if (!b || b > e) {
            break;
        }
        vg_autofree char *one = vg_fmt("%.*s%s\n", (int)(e - b), b, end);
        json_array_append_new(arr, json_string(one));
    }
    return arr;
}

/* An annotation holding JSON, re-emitted as JSON (null when absent or not JSON). */
static json_t *
json_annotation(const struct vg_sign_sig_entry *l, const char *key)
{
    const char *v = vg_sign_sig_entry_annotation(l, key);
    json_t *j = NULL;
    vg_autoerr struct vg_err *e = NULL;
    if (v && vg_json_parse(&j, v, strlen(v), VG_LIMIT_SMALL_JSON_BYTES, key, &e) < 0) {
        VG_WARN("sign", "annotation %s is not JSON, printed as null", key);
        j = NULL;
    }
    return j ? j : json_null();
}

char *
vg_sign_signed_payload_json(const struct vg_sign_sig_entry *l, const void *payload, size_t len)
{
    const char *sig = vg_sign_sig_entry_annotation(l, VG_SIGN_ANN_SIGNATURE);
    const char *cert = vg_sign_sig_entry_annotation(l, VG_SIGN_ANN_CERTIFICATE);
    const char *chain = vg_sign_sig_entry_annotation(l, VG_SIGN_ANN_CHAIN);
    vg_autofree char *b64 = vg_base64_encode(payload, len);
    vg_autojson json_t *o = json_object();
    json_object_set_new(o, "Base64Signature", json_string(sig ? sig : ""));
    json_object_set_new(o, "Payload", json_string(b64));
    json_object_set_new(o, "Cert", cert && *cert ? json_string(cert) : json_null());
    json_object_set_new(o, "Chain", chain && *chain ? pem_array(chain) : json_null());
    json_object_set_new(o, "Bundle", json_annotation(l, VG_SIGN_ANN_BUNDLE));
    json_object_set_new(o, "RFC3161Timestamp", json_annotation(l, VG_SIGN_ANN_RFC3161));
    return vg_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static int
one_signature(void *ctx, const struct vg_sign_sig_entry *l, struct vg_buf *blob,
              struct vg_err **err)
{
    char *s = vg_sign_signed_payload_json(l, blob->data, blob->len);
    if (!s) {
        return vg_err_set(err, VG_E_PARSE, "layer %s: annotations are not valid UTF-8",
                          l->digest.text);
    }
    add_item(ctx, s, strlen(s), l->media_type);
    return 0;
}

/* ---------------------------------------------------------------- bundles as referrers */

/* Called with each bundle (the whole document and, when it holds one, its DSSE envelope)
 * of the kind asked; `where` names the referrer manifest. */
typedef int (*bundle_fn)(void *ctx, const char *where, json_t *bundle,
                         const struct vg_dsse_envelope *env, struct vg_err **err);

static bool
bundle_type_ok(const char *mt)
{
    return vg_cstr_startswith(mt, VG_SIGN_MT_BUNDLE_PREFIX);
}

/* A signature bundle: the predicate-type hint says sign/v1, or (no hint) it holds a message
 * signature or a DSSE statement of that predicate. */
static bool
is_signature(const char *hint, const struct vg_dsse_envelope *env)
{
    if (hint) {
        return strcmp(hint, VG_SIGN_PREDICATE_SIGN) == 0;
    }
    if (!env) {
        return true;
    }
    struct vg_sign_statement *st = NULL;
    vg_autoerr struct vg_err *e = NULL;
    bool sig = vg_sign_statement_parse(&st, env->payload, env->payload_len, &e) == 0 &&
               st->predicate_type && strcmp(st->predicate_type, VG_SIGN_PREDICATE_SIGN) == 0;
    vg_sign_statement_free(st);
    return sig;
}

/* One referrer: its manifest (by digest: checked), one bundle layer, the blob (bounded,
 * checked), the bundle document. 1 when it is a bundle of the kind asked and was handed to
 * each, 0 when it is another kind of referrer. */
static int
one_referrer(const struct vg_sign_target *t, const struct vg_oci_desc *d, bool att, bundle_fn each,
             void *ctx, struct vg_err **err)
{
    vg_autofree char *where = vg_fmt("%s@%s (referrer)", t->store_name, d->digest.text);
    struct vg_oci_remote_manifest raw = {0};
    struct vg_oci_manifest *m = NULL;
    if (vg_oci_remote_manifest_get(t->store, d->digest.text, &raw, err) < 0 ||
        vg_oci_manifest_parse(&m, raw.data, raw.len, raw.media_type, err) < 0) {
        vg_oci_remote_manifest_dispose(&raw);
        return vg_err_wrap(err, "%s", where);
    }
    vg_oci_remote_manifest_dispose(&raw);
    if (m->is_index || m->nlayers != 1 || !m->layers[0].media_type ||
        !bundle_type_ok(m->layers[0].media_type)) {
        vg_oci_manifest_free(m);
        return 0;
    }
    const char *hint = m->annotations ? vg_json_str(m->annotations, ANN_PREDICATE) : NULL;
    vg_autofree char *hint_copy = hint ? vg_strdup(hint) : NULL;
    struct vg_oci_desc layer = m->layers[0];
    vg_oci_manifest_free(m);
    if (layer.size > DOWNLOAD_BUNDLE_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "%s: bundle of %llu bytes, more than %u", where,
                          (unsigned long long)layer.size, DOWNLOAD_BUNDLE_MAX);
    }
    vg_autobuf struct vg_buf blob = VG_BUF_INIT(DOWNLOAD_BUNDLE_MAX);
    json_t *root = NULL;
    const char *mt = NULL;
    if (vg_oci_remote_blob_get(t->store, &layer.digest, &blob, err) < 0 ||
        vg_sign__bundle_open(&root, &mt, blob.data, blob.len, DOWNLOAD_BUNDLE_MAX, bundle_type_ok,
                             "", err) < 0) {
        return vg_err_wrap(err, "%s", where);
    }
    struct vg_dsse_envelope *env = NULL;
    json_t *dsse = json_object_get(root, "dsseEnvelope");
    int rc = 0;
    if (dsse) {
        vg_autofree char *txt = vg_json_dumps(dsse, JSON_COMPACT);
        rc = txt ? vg_sign_dsse_parse(&env, txt, strlen(txt), err)
                 : vg_err_set(err, VG_E_PARSE, "dsseEnvelope is not valid UTF-8");
    }
    if (rc == 0 && is_signature(hint_copy, env) != att) {
        rc = each(ctx, where, root, env, err) < 0 ? -1 : 1;
    }
    vg_sign_dsse_free(env);
    json_decref(root);
    return rc < 0 ? vg_err_wrap(err, "%s", where) : rc;
}

/* The image's referrers (the API, else the tag schema index); a registry that can list
 * neither has no bundles (cosign 3 reads legacy tags then). *found counts the bundles. */
static int
each_bundle(const struct vg_sign_target *t, bool att, bundle_fn each, void *ctx, size_t *found,
            struct vg_err **err)
{
    vg_autobuf struct vg_buf idxraw = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    bool fallback = false;
    vg_autoerr struct vg_err *e = NULL;
    struct vg_oci_manifest *idx = NULL;
    if (vg_oci_remote_referrers(t->store, &t->digest, NULL, &idxraw, &fallback, &e) < 0 ||
        vg_oci_manifest_parse(&idx, idxraw.data, idxraw.len, VG_MT_OCI_INDEX, &e) < 0 ||
        !idx->is_index) {
        vg_autofree char *msg = e ? vg_err_format(e) : vg_strdup("not an index");
        VG_DEBUG("sign", "referrers of %s: %s (legacy tags only)", t->digest.text, msg);
        vg_oci_manifest_free(idx);
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; i < idx->nmanifests && i < VG_SIGN_MAX_REFERRERS && rc >= 0; i++) {
        rc = one_referrer(t, &idx->manifests[i], att, each, ctx, err);
        *found += rc > 0;
    }
    vg_oci_manifest_free(idx);
    return rc < 0 ? -1 : 0;
}

static int
signature_bundle(void *ctx, const char *where, json_t *bundle, const struct vg_dsse_envelope *env,
                 struct vg_err **err)
{
    (void)env;
    char *s = vg_json_dumps(bundle, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s) {
        return vg_err_set(err, VG_E_PARSE, "%s: bundle is not valid UTF-8", where);
    }
    add_item(ctx, s, strlen(s), VG_SIGN_MT_BUNDLE_PREFIX ".v0.3+json");
    return 0;
}

int
vg_sign_download_signatures(struct vg_sign_download *out, const struct vg_sign_target *t,
                            struct vg_err **err)
{
    *out = (struct vg_sign_download){0};
    size_t bundles = 0;
    if (each_bundle(t, false, signature_bundle, out, &bundles, err) < 0) {
        vg_sign_download_dispose(out);
        return -1;
    }
    if (bundles > 0) {
        return 0; /* cosign 3: the bundles, when there are any, instead of the legacy layers */
    }
    struct vg_sign_sig_image *img = NULL;
    vg_autofree char *where = NULL;
    if (read_tag(t, ".sig", &img, &where, err) < 0) {
        return -1;
    }
    int rc = each_layer(t, img, VG_LIMIT_PAYLOAD_BYTES, one_signature, out, err);
    vg_sign_sig_image_free(img);
    if (rc < 0) {
        vg_sign_download_dispose(out);
        return vg_err_wrap(err, "%s", where);
    }
    return 0;
}

struct att_ctx {
    struct vg_sign_download *out;
    const char *want; /* predicate type URI, or NULL */
};

/* The envelope in cosign's field order (AttestationPayload: payloadType, payload, signatures). */
static char *
envelope_json(const struct vg_dsse_envelope *e)
{
    vg_autojson json_t *o = json_object();
    json_object_set_new(o, "payloadType", json_string(e->payload_type));
    vg_autofree char *p = vg_base64_encode(e->payload, e->payload_len);
    json_object_set_new(o, "payload", json_string(p));
    json_t *sigs = json_array();
    for (size_t i = 0; i < e->nsigs; i++) {
        vg_autofree char *s = vg_base64_encode(e->sigs[i].sig, e->sigs[i].siglen);
        json_array_append_new(sigs, json_pack("{s:s,s:s}", "keyid", e->sigs[i].keyid, "sig", s));
    }
    json_object_set_new(o, "signatures", sigs);
    return vg_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* Keeps envelope e when it is of the predicate type asked (any when none is). */
static int
add_envelope(struct att_ctx *c, const struct vg_dsse_envelope *e, const char *what,
             const char *media_type, struct vg_err **err)
{
    int rc = 0;
    bool keep = true;
    if (c->want) {
        struct vg_sign_statement *st = NULL;
        vg_autoerr struct vg_err *se = NULL;
        keep = vg_sign_statement_parse(&st, e->payload, e->payload_len, &se) == 0 &&
               st->predicate_type && strcmp(st->predicate_type, c->want) == 0;
        vg_sign_statement_free(st);
    }
    if (keep) {
        char *s = envelope_json(e);
        if (!s) {
            rc = vg_err_set(err, VG_E_PARSE, "%s: envelope is not valid UTF-8", what);
        } else {
            add_item(c->out, s, strlen(s), media_type);
        }
    }
    return rc;
}

static int
one_attestation(void *vctx, const struct vg_sign_sig_entry *l, struct vg_buf *blob,
                struct vg_err **err)
{
    struct vg_dsse_envelope *e = NULL;
    if (vg_sign_dsse_parse(&e, blob->data, blob->len, err) < 0) {
        return vg_err_wrap(err, "layer %s", l->digest.text);
    }
    vg_autofree char *what = vg_fmt("layer %s", l->digest.text);
    int rc = add_envelope(vctx, e, what, l->media_type, err);
    vg_sign_dsse_free(e);
    return rc;
}

static int
attestation_bundle(void *ctx, const char *where, json_t *bundle, const struct vg_dsse_envelope *env,
                   struct vg_err **err)
{
    (void)bundle;
    if (!env) {
        return vg_err_set(err, VG_E_PARSE, "%s: an attestation bundle without a dsseEnvelope",
                          where);
    }
    return add_envelope(ctx, env, where, "application/vnd.dsse.envelope.v1+json", err);
}

int
vg_sign_download_attestations(struct vg_sign_download *out, const struct vg_sign_target *t,
                              const char *predicate_type, struct vg_err **err)
{
    *out = (struct vg_sign_download){0};
    struct att_ctx c = {.out = out};
    if (predicate_type && !(c.want = vg_sign_predicate_type(predicate_type))) {
        return vg_err_set(err, VG_E_USAGE, "unknown predicate type \"%s\"", predicate_type);
    }
    struct vg_sign_sig_image *img = NULL;
    vg_autofree char *where = NULL;
    vg_autoerr struct vg_err *tag_err = NULL;
    int rc = 0;
    if (read_tag(t, ".att", &img, &where, &tag_err) == 0) {
        rc = each_layer(t, img, VG_SIGN_ENVELOPE_MAX, one_attestation, &c, err);
        vg_sign_sig_image_free(img);
        if (rc < 0) {
            vg_sign_download_dispose(out);
            return vg_err_wrap(err, "%s", where);
        }
    } else if (vg_err_root_code(tag_err) != VG_E_NOTFOUND) {
        if (err) {
            *err = vg_steal_ptr(&tag_err);
        }
        return -1;
    }
    /* Then the attestation bundles attached as referrers (cosign --new-bundle-format). */
    size_t bundles = 0;
    if (each_bundle(t, true, attestation_bundle, &c, &bundles, err) < 0) {
        vg_sign_download_dispose(out);
        return -1;
    }
    if (tag_err && bundles == 0) {
        if (err) {
            *err = vg_steal_ptr(&tag_err);
        }
        return -1;
    }
    if (out->n == 0 && c.want) {
        return vg_err_set(err, VG_E_NOTFOUND, "no attestations with predicate type %s in %s%s",
                          c.want, where, bundles ? " or its referrers" : "");
    }
    return 0;
}

static int
one_sbom(void *ctx, const struct vg_sign_sig_entry *l, struct vg_buf *blob, struct vg_err **err)
{
    (void)err;
    size_t len = 0;
    char *data = vg_buf_take(blob, &len);
    add_item(ctx, data, len, l->media_type);
    return 0;
}

int
vg_sign_download_sbom(struct vg_sign_download *out, const struct vg_sign_target *t,
                      struct vg_err **err)
{
    *out = (struct vg_sign_download){0};
    struct vg_sign_sig_image *img = NULL;
    vg_autofree char *where = NULL;
    if (read_tag(t, ".sbom", &img, &where, err) < 0) {
        return -1;
    }
    int rc = each_layer(t, img, VG_SIGN_SBOM_MAX, one_sbom, out, err);
    vg_sign_sig_image_free(img);
    if (rc < 0) {
        vg_sign_download_dispose(out);
        return vg_err_wrap(err, "%s", where);
    }
    return 0;
}

char *
vg_sign_triangulate(const struct vg_sign_target *t, const char *type, struct vg_err **err)
{
    static const char *const types[] = {"signature", "attestation", "sbom"};
    static const char *const suffix[] = {".sig", ".att", ".sbom"};
    if (strcmp(type, "digest") == 0) {
        return vg_fmt("%s@%s", t->name, t->digest.text);
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(types); i++) {
        if (strcmp(type, types[i]) == 0) {
            vg_autofree char *tag = vg_sign_tag(&t->digest, suffix[i]);
            return vg_fmt("%s:%s", t->store_name, tag);
        }
    }
    vg_err_set(err, VG_E_USAGE, "--type must be signature, attestation, sbom or digest, not '%s'",
               type);
    return NULL;
}
