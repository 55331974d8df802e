/* SPDX-License-Identifier: Apache-2.0
 *
 * cosign 3's storage of signatures and attestations (cosign-format.md §4): the in-toto v1
 * statement `cosign sign` signs, the Sigstore bundle v0.3 (key-signed: publicKey hint, DSSE
 * envelope, no transparency log), the OCI 1.1 referrer manifest that carries it with a
 * `subject`, and the "referrers tag schema" fallback index kept at `sha256-<hex>` for
 * registries without the referrers API. Bundle verification follows §4.4: DSSE signature over
 * the PAE, in-toto payload type, then the statement's subject digest and annotations.
 * No network I/O here; flow.c moves the bytes.
 */
#include "sign_int.h"

#include <string.h>

/* A bundle: the envelope at most, plus verification material and JSON framing. */
#define BUNDLE_MAX (VG_SIGN_ENVELOPE_MAX + 64u * 1024u)

static int
cmp_kv(const void *a, const void *b)
{
    return strcmp(((const struct vg_sign_kv *)a)->key, ((const struct vg_sign_kv *)b)->key);
}

int
vg_sign_statement_v1_build(struct vg_buf *out, const struct vg_digest *subject,
                           const struct vg_sign_kv *annotations, size_t n, struct vg_err **err)
{
    if (subject->alg != VG_DIGEST_SHA256) {
        return vg_err_set(err, VG_E_USAGE, "statement subjects need a sha256 digest");
    }
    if (n > VG_SIGN_MAX_ANNOTATIONS) {
        return vg_err_set(err, VG_E_USAGE, "more than %u annotations", VG_SIGN_MAX_ANNOTATIONS);
    }
    vg_autofree struct vg_sign_kv *sorted = vg_calloc(n ? n : 1, sizeof(*sorted));
    if (n) {
        memcpy(sorted, annotations, n * sizeof(*sorted));
        vg_qsort(sorted, n, sizeof(*sorted), cmp_kv);
    }
    vg_autojson json_t *root = json_object();
    json_t *subj = json_object();
    json_t *digest = json_object();
    json_object_set_new(digest, "sha256", json_string(vg_digest_hex(subject)));
    json_object_set_new(subj, "digest", digest);
    if (n) {
        json_t *ann = json_object();
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && strcmp(sorted[i].key, sorted[i - 1].key) == 0) {
                json_decref(subj);
                json_decref(ann);
                return vg_err_set(err, VG_E_USAGE, "annotation \"%s\" given twice", sorted[i].key);
            }
            json_object_set_new(ann, sorted[i].key, json_string(sorted[i].value));
        }
        json_object_set_new(subj, "annotations", ann);
    }
    json_object_set_new(root, "_type", json_string(VG_SIGN_STATEMENT_V1));
    json_object_set_new(root, "subject", json_pack("[o]", subj));
    json_object_set_new(root, "predicateType", json_string(VG_SIGN_PREDICATE_SIGN));
    json_object_set_new(root, "predicate", json_object());
    vg_autofree char *s = vg_json_dumps(root, JSON_COMPACT);
    if (!s) {
        return vg_err_set(err, VG_E_USAGE, "statement: annotations are not UTF-8");
    }
    return vg_buf_append_str(out, s, err);
}

int
vg_sign_bundle_build(struct vg_buf *out, const struct vg_crypto_key *key, const char *statement,
                     size_t len, struct vg_err **err)
{
    vg_autobuf struct vg_buf env = VG_BUF_INIT(VG_SIGN_ENVELOPE_MAX);
    vg_autofree char *hint = NULL;
    int rc = vg_sign_dsse_sign(&env, key, VG_SIGN_PAYLOAD_TYPE_INTOTO, statement, len, err);
    if (rc < 0 || (rc = vg_crypto_key_hint(key, &hint, err)) < 0) {
        return rc;
    }
    return vg_buf_appendf(out, err,
                          "{\"mediaType\":\"" VG_SIGN_MT_BUNDLE_V03 "\",\"verificationMaterial\":"
                          "{\"publicKey\":{\"hint\":\"%s\"}},\"dsseEnvelope\":%s}",
                          hint, vg_buf_cstr(&env));
}

void
vg_sign_bundle_free(struct vg_sign_bundle *b)
{
    if (!b) {
        return;
    }
    free(b->media_type);
    free(b->envelope_json);
    vg_sign_dsse_free(b->envelope);
    vg_sigstore_bundle_free(b->sigstore);
    vg_err_free(&b->sigstore_err);
    free(b);
}

static bool
bundle_media_type_ok(const char *mt)
{
    return strcmp(mt, VG_SIGN_MT_BUNDLE_V03) == 0 ||
           strcmp(mt, "application/vnd.dev.sigstore.bundle+json;version=0.3") == 0;
}

int
vg_sign__bundle_open(json_t **root, const char **media_type, const void *data, size_t len,
                     size_t max, bool (*type_ok)(const char *mt), const char *refusal,
                     struct vg_err **err)
{
    *root = NULL;
    json_t *j = NULL;
    int rc = vg_json_parse(&j, data, len, max, "bundle", err);
    if (rc < 0) {
        return rc;
    }
    const char *mt = json_is_object(j) ? vg_json_str(j, "mediaType") : NULL;
    if (!mt) {
        rc = vg_err_set(err, VG_E_PARSE, "bundle: mediaType: missing or not a string");
    } else if (!type_ok(mt)) {
        vg_autofree char *esc = vg_escape(mt, strlen(mt), 120);
        rc = vg_err_set(err, VG_E_UNSUPPORTED, "bundle: media type \"%s\"%s", esc, refusal);
    } else if (!vg_json_obj(j, "verificationMaterial")) {
        rc = vg_err_set(err, VG_E_PARSE, "bundle: verificationMaterial: missing");
    }
    if (rc < 0) {
        json_decref(j);
        return rc;
    }
    *root = j;
    *media_type = mt;
    return 0;
}

int
vg_sign_bundle_parse(struct vg_sign_bundle **out, const void *data, size_t len, struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    const char *mt = NULL;
    int rc = vg_sign__bundle_open(&root, &mt, data, len, BUNDLE_MAX, bundle_media_type_ok,
                                  " is not v0.3 (older bundles are refused for images, as in "
                                  "cosign)",
                                  err);
    if (rc < 0) {
        return rc;
    }
    json_t *env = vg_json_obj(root, "dsseEnvelope");
    if (!env) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          json_object_get(root, "messageSignature")
                              ? "bundle: holds a messageSignature, not a DSSE envelope"
                              : "bundle: dsseEnvelope: missing or not an object");
    }
    struct vg_sign_bundle *b = vg_calloc(1, sizeof(*b));
    b->media_type = vg_strdup(mt);
    b->envelope_json = vg_json_dumps(env, JSON_COMPACT);
    if (!b->envelope_json) {
        vg_sign_bundle_free(b);
        return vg_err_set(err, VG_E_INTERNAL, "bundle: cannot serialize dsseEnvelope");
    }
    if ((rc = vg_sign_dsse_parse(&b->envelope, b->envelope_json, strlen(b->envelope_json), err)) <
        0) {
        vg_sign_bundle_free(b);
        return vg_err_wrap(err, "bundle");
    }
    if (vg_sigstore_bundle_parse(&b->sigstore, data, len, &b->sigstore_err) < 0) {
        b->sigstore = NULL; /* key-signed verification does not need it */
    }
    *out = b;
    return 0;
}

/* §4.4 step 4: a subject with the image's sha256 whose annotations hold every wanted pair. */
static int
check_subject(const struct vg_sign_statement *st, const struct vg_digest *image,
              const struct vg_sign_kv *want, size_t n, struct vg_err **err)
{
    const char *hex = image->alg == VG_DIGEST_SHA256 ? vg_digest_hex(image) : "";
    const struct vg_sign_subject *hit = NULL;
    for (size_t i = 0; i < st->nsubjects; i++) {
        /* Not secret, but compared in constant time like every digest. */
        if (strlen(st->subjects[i].sha256) == 64 && strlen(hex) == 64 &&
            vg_crypto_memeq(st->subjects[i].sha256, hex, 64)) {
            hit = &st->subjects[i];
            break;
        }
    }
    if (!hit) {
        return vg_err_set(err, VG_E_VERIFY, "statement names no subject with digest %s",
                          image->text);
    }
    for (size_t i = 0; i < n; i++) {
        const char *got = NULL;
        for (size_t j = 0; j < hit->nannotations && !got; j++) {
            if (strcmp(hit->annotations[j].key, want[i].key) == 0) {
                got = hit->annotations[j].value;
            }
        }
        if (!got || strcmp(got, want[i].value) != 0) {
            return vg_err_set(err, VG_E_VERIFY, "missing or different annotation %s=%s",
                              want[i].key, want[i].value);
        }
    }
    return 0;
}

/* The whole bundle under the keyless root and identities; its DSSE statement must name the
 * image (sigstore-go's artifact digest check). */
static int
keyless_bundle(const struct vg_sign_bundle *b, const struct vg_sign_verify_opts *o,
               struct vg_err **err)
{
    if (!o->keyless) {
        return vg_err_set(err, VG_E_USAGE, "neither a key nor a keyless identity to verify with");
    }
    if (!b->sigstore) {
        vg_autofree char *why =
            b->sigstore_err ? vg_err_format(b->sigstore_err) : vg_strdup("not parsed");
        return vg_err_set(err, b->sigstore_err ? vg_err_code(b->sigstore_err) : VG_E_PARSE,
                          "bundle: %s", why);
    }
    struct vg_sigstore_artifact a = {0};
    if (vg_sign__digest_raw(a.sha256, o->image, err) < 0) {
        return -1;
    }
    return vg_sign__keyless_verify(o->keyless, b->sigstore, &a, NULL, err);
}

/* A key-signed bundle's transparency-log evidence (o->tlog): the whole bundle under those logs
 * with o->key (its tlog entries: body, SET, inclusion proof and checkpoint). */
static int
key_bundle_tlog(const struct vg_sign_bundle *b, const struct vg_sign_verify_opts *o,
                struct vg_err **err)
{
    if (!b->sigstore) {
        vg_autofree char *why =
            b->sigstore_err ? vg_err_format(b->sigstore_err) : vg_strdup("not parsed");
        return vg_err_set(err, VG_E_VERIFY, "transparency log: bundle: %s", why);
    }
    struct vg_sigstore_artifact a = {0};
    if (vg_sign__digest_raw(a.sha256, o->image, err) < 0) {
        return -1;
    }
    struct vg_sigstore_policy p = {.key = o->key};
    struct vg_sigstore_result res;
    if (vg_sigstore_verify(&res, b->sigstore, o->tlog, &p, &a, err) < 0) {
        return vg_err_wrap(err, "transparency log");
    }
    vg_sigstore_result_dispose(&res);
    return 0;
}

int
vg_sign_bundle_verify(const struct vg_sign_bundle *b, const struct vg_sign_verify_opts *o,
                      const char *predicate_type, struct vg_sign_statement **out,
                      struct vg_err **err)
{
    const struct vg_dsse_envelope *e = b->envelope;
    int rc = o->key ? vg_sign_dsse_verify(e, o->key, err) : keyless_bundle(b, o, err);
    if (rc == 0 && o->key && o->tlog) {
        rc = key_bundle_tlog(b, o, err);
    }
    if (rc < 0) {
        return rc;
    }
    if (strcmp(e->payload_type, VG_SIGN_PAYLOAD_TYPE_INTOTO) != 0) {
        vg_autofree char *esc = vg_escape(e->payload_type, strlen(e->payload_type), 120);
        return vg_err_set(err, VG_E_VERIFY,
                          "envelope payloadType \"%s\" is not " VG_SIGN_PAYLOAD_TYPE_INTOTO, esc);
    }
    struct vg_sign_statement *st = NULL;
    if ((rc = vg_sign_statement_parse(&st, e->payload, e->payload_len, err)) < 0) {
        return rc;
    }
    if (predicate_type && strcmp(st->predicate_type, predicate_type) != 0) {
        vg_autofree char *esc = vg_escape(st->predicate_type, strlen(st->predicate_type), 160);
        rc = vg_err_set(err, VG_E_VERIFY, "predicate type \"%s\" is not %s", esc, predicate_type);
    } else if (o->check_claims) {
        rc = check_subject(st, o->image, o->annotations, o->nannotations, err);
    }
    if (rc < 0) {
        vg_sign_statement_free(st);
        return rc;
    }
    if (out) {
        *out = st;
    } else {
        vg_sign_statement_free(st);
    }
    return 0;
}

int
vg_sign_referrer_manifest_build(struct vg_buf *out, const struct vg_sign_referrer *r,
                                struct vg_err **err)
{
    vg_autojson json_t *root = json_object();
    json_t *cfg = json_object();
    json_object_set_new(cfg, "mediaType", json_string(VG_SIGN_MT_OCI_EMPTY));
    json_object_set_new(cfg, "size", json_integer(2));
    json_object_set_new(cfg, "digest", json_string(VG_SIGN_EMPTY_CONFIG_DIGEST));
    json_object_set_new(cfg, "artifactType", json_string(VG_SIGN_MT_BUNDLE_V03));
    json_t *layer = json_object();
    json_object_set_new(layer, "mediaType", json_string(VG_SIGN_MT_BUNDLE_V03));
    json_object_set_new(layer, "size", json_integer((json_int_t)r->bundle_size));
    json_object_set_new(layer, "digest", json_string(r->bundle->text));
    json_t *ann = json_object();
    json_object_set_new(ann, "dev.sigstore.bundle.content", json_string("dsse-envelope"));
    json_object_set_new(ann, "dev.sigstore.bundle.predicateType", json_string(r->predicate_type));
    json_object_set_new(ann, "org.opencontainers.image.created", json_string(r->created));
    json_t *subj = json_object();
    json_object_set_new(subj, "mediaType", json_string(r->subject_media_type));
    json_object_set_new(subj, "size", json_integer((json_int_t)r->subject_size));
    json_object_set_new(subj, "digest", json_string(r->subject->text));
    json_object_set_new(root, "schemaVersion", json_integer(2));
    json_object_set_new(root, "mediaType", json_string(VG_SIGN_MT_OCI_MANIFEST));
    json_object_set_new(root, "config", cfg);
    json_object_set_new(root, "layers", json_pack("[o]", layer));
    json_object_set_new(root, "annotations", ann);
    json_object_set_new(root, "subject", subj);
    json_object_set_new(root, "artifactType", json_string(VG_SIGN_MT_BUNDLE_V03));
    vg_autofree char *s = vg_json_dumps(root, JSON_COMPACT);
    if (!s) {
        return vg_err_set(err, VG_E_USAGE, "referrer manifest: a field is not UTF-8");
    }
    return vg_buf_append_str(out, s, err);
}

/* The annotations of a referrer manifest, copied into its index entry. */
static json_t *
manifest_annotations(const void *manifest, size_t len)
{
    vg_autojson json_t *m = NULL;
    if (vg_json_parse(&m, manifest, len, VG_LIMIT_MANIFEST_BYTES, "manifest", NULL) < 0) {
        return NULL;
    }
    json_t *ann = vg_json_obj(m, "annotations");
    return ann ? json_deep_copy(ann) : NULL;
}

int
vg_sign_referrers_index_add(struct vg_buf *out, const void *index, size_t len, const void *manifest,
                            size_t mlen, const char *artifact_type, bool *added,
                            struct vg_err **err)
{
    *added = false;
    struct vg_oci_index ix = {0};
    if (len > 0 && vg_oci_index_parse(&ix, index, len, "referrers index", err) < 0) {
        return -1;
    }
    if (ix.n >= VG_SIGN_MAX_REFERRERS) {
        vg_oci_index_dispose(&ix);
        return vg_err_set(err, VG_E_LIMIT, "referrers index already lists %u manifests",
                          VG_SIGN_MAX_REFERRERS);
    }
    struct vg_oci_desc d = {.media_type = vg_strdup(VG_SIGN_MT_OCI_MANIFEST),
                            .size = mlen,
                            .artifact_type = vg_strdup(artifact_type),
                            .annotations = manifest_annotations(manifest, mlen)};
    vg_digest_of(&d.digest, VG_DIGEST_SHA256, manifest, mlen);
    int rc = vg_oci_index_add(&ix, &d, added, err);
    vg_oci_desc_dispose(&d);
    if (rc == 0) {
        /* An index that already lists the manifest is left byte for byte as it is. */
        rc = *added ? vg_oci_index_serialize(&ix, out, err) : vg_buf_append(out, index, len, err);
    }
    vg_oci_index_dispose(&ix);
    return rc;
}
