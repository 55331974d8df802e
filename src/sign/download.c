/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil download signature|attestation|sbom` and `vigil triangulate`: read the legacy
 * `sha256-<hex>.sig/.att/.sbom` images of an image and print them the way cosign 2 does
 * (cosign-format.md §3, §6.3). Every blob is checked against its layer digest and bounded
 * before it is interpreted; a manifest that is not a signature image is refused with the tag.
 */
#include "cosign_ops.h"

#include <string.h>

#include "flow_int.h"

/* Blobs fetched per round trip batch (memory: this many times the per-blob bound). */
#define DOWNLOAD_BATCH 16u

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

int
vg_sign_download_signatures(struct vg_sign_download *out, const struct vg_sign_target *t,
                            struct vg_err **err)
{
    *out = (struct vg_sign_download){0};
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

static int
one_attestation(void *vctx, const struct vg_sign_sig_entry *l, struct vg_buf *blob,
                struct vg_err **err)
{
    struct att_ctx *c = vctx;
    struct vg_dsse_envelope *e = NULL;
    if (vg_sign_dsse_parse(&e, blob->data, blob->len, err) < 0) {
        return vg_err_wrap(err, "layer %s", l->digest.text);
    }
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
            rc = vg_err_set(err, VG_E_PARSE, "layer %s: envelope is not valid UTF-8",
                            l->digest.text);
        } else {
            add_item(c->out, s, strlen(s), l->media_type);
        }
    }
    vg_sign_dsse_free(e);
    return rc;
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
    if (read_tag(t, ".att", &img, &where, err) < 0) {
        return -1;
    }
    int rc = each_layer(t, img, VG_SIGN_ENVELOPE_MAX, one_attestation, &c, err);
    vg_sign_sig_image_free(img);
    if (rc < 0) {
        vg_sign_download_dispose(out);
        return vg_err_wrap(err, "%s", where);
    }
    if (out->n == 0 && c.want) {
        return vg_err_set(err, VG_E_NOTFOUND, "no attestations with predicate type %s in %s",
                          c.want, where);
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
