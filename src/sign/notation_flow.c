/* SPDX-License-Identifier: Apache-2.0
 *
 * Notary Project signatures in a registry (signature-specification.md "Storage"): signing
 * pushes the envelope blob, the empty "{}" config and an OCI image manifest whose
 * artifactType is application/vnd.cncf.notary.signature, whose single layer is the envelope
 * and whose subject is the signed manifest, annotated with the chain's SHA-256 thumbprints; a
 * registry without the referrers API gets the sha256-<hex> fallback index as well.
 * Verification lists the image's referrers of that artifact type (API or fallback tag), reads
 * each signature manifest and its envelope (bounded, digest-checked) and verifies them in
 * order until one passes, as notation does.
 */
#include "notation_int.h"

#include <string.h>

#include "flow_int.h"

#define ANN_CREATED "org.opencontainers.image.created"

void
vg_notation_push_result_dispose(struct vg_notation_push_result *r)
{
    free(r->location);
    *r = (struct vg_notation_push_result){0};
}

static json_t *
desc_json(const char *mt, const struct vg_digest *d, uint64_t size)
{
    json_t *o = json_object();
    vg_json_set_str(o, "mediaType", mt);
    vg_json_set_str(o, "digest", d->text);
    vg_json_set_take(o, "size", json_integer((json_int_t)size));
    return o;
}

static char *
thumbprints(struct vg_x509 *const *chain, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const uint8_t *der = vg_x509_der(chain[i], &len);
        struct vg_digest d;
        vg_digest_of(&d, VG_DIGEST_SHA256, der, len);
        vg_json_append_take(a, json_string(vg_digest_hex(&d)));
    }
    char *s = vg_json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

static int
manifest_build(struct vg_buf *out, const struct vg_sign_target *t, const char *env_mt,
               const struct vg_digest *env, uint64_t envlen, const struct vg_notation_sign_opts *o,
               struct vg_err **err)
{
    struct vg_digest empty;
    vg_digest_of(&empty, VG_DIGEST_SHA256, "{}", 2);
    vg_autojson json_t *m = json_object();
    vg_json_set_take(m, "schemaVersion", json_integer(2));
    vg_json_set_str(m, "mediaType", VG_SIGN_MT_OCI_MANIFEST);
    vg_json_set_str(m, "artifactType", VG_NOTATION_ARTIFACT_TYPE);
    vg_json_set_take(m, "config", desc_json(VG_SIGN_MT_OCI_EMPTY, &empty, 2));
    json_t *layers = json_array();
    vg_json_append_take(layers, desc_json(env_mt, env, envlen));
    vg_json_set_take(m, "layers", layers);
    vg_json_set_take(m, "subject", desc_json(t->media_type, &t->digest, t->size));
    json_t *ann = json_object();
    vg_autofree char *tp = thumbprints(o->chain, o->nchain);
    char created[32];
    vg_time_rfc3339(created, sizeof(created), o->now);
    vg_json_set_str(ann, VG_NOTATION_ANN_THUMBPRINT, tp);
    vg_json_set_str(ann, ANN_CREATED, created);
    vg_json_set_take(m, "annotations", ann);
    vg_autofree char *s = vg_json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
    return vg_buf_append_str(out, s, err);
}

int
vg_notation_target_sign(const struct vg_sign_target *t, const struct vg_notation_sign_opts *o,
                        const struct vg_sign_kv *metadata, size_t nmetadata,
                        struct vg_notation_push_result *res, struct vg_err **err)
{
    *res = (struct vg_notation_push_result){0};
    struct vg_notation_target target = {
        .media_type = t->media_type,
        .digest = t->digest,
        .size = t->size,
        .annotations = metadata,
        .nannotations = nmetadata,
    };
    vg_autobuf struct vg_buf env = VG_BUF_INIT(VG_NOTATION_ENVELOPE_MAX);
    vg_autobuf struct vg_buf manifest = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    const char *env_mt = NULL;
    struct vg_digest ed, cd;
    int rc = vg_notation_envelope_sign(&env, &env_mt, o, &target, err);
    if (rc < 0) {
        return rc;
    }
    vg_digest_of(&ed, VG_DIGEST_SHA256, env.data, env.len);
    vg_digest_of(&cd, VG_DIGEST_SHA256, "{}", 2);
    if ((rc = vg_oci_remote_blob_upload(t->store, &ed, env.data, env.len, NULL, err)) < 0 ||
        (rc = vg_oci_remote_blob_upload(t->store, &cd, "{}", 2, NULL, err)) < 0) {
        return vg_err_wrap(err, "upload signature to %s", t->store_name);
    }
    if ((rc = manifest_build(&manifest, t, env_mt, &ed, env.len, o, err)) < 0) {
        return rc;
    }
    vg_digest_of(&res->manifest, VG_DIGEST_SHA256, manifest.data, manifest.len);
    res->location = vg_fmt("%s@%s", t->store_name, res->manifest.text);
    struct vg_digest put;
    if ((rc = vg_oci_remote_manifest_put(t->store, res->manifest.text, manifest.data, manifest.len,
                                         VG_SIGN_MT_OCI_MANIFEST, &put, err)) < 0) {
        return vg_err_wrap(err, "push %s", res->location);
    }
    vg_autobuf struct vg_buf probe = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    if ((rc = vg_oci_remote_referrers(t->store, &t->digest, VG_NOTATION_ARTIFACT_TYPE, &probe,
                                      &res->fallback, err)) < 0) {
        return vg_err_wrap(err, "referrers of %s", t->digest.text);
    }
    return res->fallback
               ? vg_sign__fallback_index_update(t, &manifest, VG_NOTATION_ARTIFACT_TYPE, err)
               : 0;
}

/* ---------------------------------------------------------------- verification */

void
vg_notation_result_dispose(struct vg_notation_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].media_type);
        vg_notation_outcome_dispose(&r->items[i].outcome);
    }
    free(r->items);
    *r = (struct vg_notation_result){0};
}

static bool
is_signature(const struct vg_oci_desc *d)
{
    return d->artifact_type && strcmp(d->artifact_type, VG_NOTATION_ARTIFACT_TYPE) == 0;
}

/* Reads one signature manifest and its envelope; any failure is recorded in the item as an
 * integrity failure (a signature that cannot be read does not verify). */
static void
verify_one(struct vg_notation_item *it, const struct vg_sign_target *t,
           const struct vg_notation_verify_opts *o)
{
    struct vg_oci_remote_manifest rm = {0};
    struct vg_oci_manifest *m = NULL;
    struct vg_err *e = NULL;
    vg_autobuf struct vg_buf blob = VG_BUF_INIT(VG_NOTATION_ENVELOPE_MAX);
    int rc = vg_oci_remote_manifest_get(t->store, it->manifest.text, &rm, &e);
    if (rc == 0) {
        rc = vg_oci_manifest_parse(&m, rm.data, rm.len, rm.media_type, &e);
    }
    bool notary =
        rc == 0 && !m->is_index &&
        ((m->artifact_type && strcmp(m->artifact_type, VG_NOTATION_ARTIFACT_TYPE) == 0) ||
         (m->config.media_type && strcmp(m->config.media_type, VG_NOTATION_ARTIFACT_TYPE) == 0));
    if (rc == 0 && (!notary || m->nlayers != 1)) {
        rc = vg_err_set(&e, VG_E_PARSE,
                        "signature manifest: not a Notary signature with exactly one layer");
    } else if (rc == 0 && (!m->subject || !vg_digest_eq(&m->subject->digest, &t->digest))) {
        rc = vg_err_set(&e, VG_E_VERIFY, "signature manifest: its subject is not this image");
    } else if (rc == 0 && m->layers[0].size > VG_NOTATION_ENVELOPE_MAX) {
        rc = vg_err_set(&e, VG_E_LIMIT, "signature envelope of %llu bytes exceeds the limit of %u",
                        (unsigned long long)m->layers[0].size, VG_NOTATION_ENVELOPE_MAX);
    }
    if (rc == 0) {
        it->media_type = vg_strdup(m->layers[0].media_type ? m->layers[0].media_type : "");
        rc = vg_oci_remote_blob_get(t->store, &m->layers[0].digest, &blob, &e);
    }
    vg_oci_manifest_free(m);
    vg_oci_remote_manifest_dispose(&rm);
    if (rc < 0) {
        it->outcome = (struct vg_notation_outcome){0};
        it->outcome.results[VG_NOTATION_CHECK_INTEGRITY] = VG_NOTATION_ENFORCE;
        it->outcome.failed[VG_NOTATION_CHECK_INTEGRITY] = true;
        it->outcome.errors[VG_NOTATION_CHECK_INTEGRITY] = vg_err_format(e);
        vg_err_wrap(&e, "integrity");
        it->outcome.error = e;
        return;
    }
    vg_notation_verify_envelope(&it->outcome, o, it->media_type, blob.data, blob.len);
}

int
vg_notation_target_verify(const struct vg_sign_target *t, const struct vg_notation_policy *policy,
                          const struct vg_notation_verify_opts *o, struct vg_notation_result *res,
                          struct vg_err **err)
{
    *res = (struct vg_notation_result){0};
    struct vg_notation_verify_opts vo = *o;
    if (!vo.policy) {
        vo.policy = vg_notation_policy_select(policy, t->name);
    }
    if (!vo.policy) {
        return vg_err_set(err, VG_E_NOTFOUND, "no trust policy applies to %s", t->name);
    }
    res->policy = vo.policy;
    if (vo.policy->level == VG_NOTATION_SKIP) {
        res->skipped = res->ok = true;
        return 0;
    }
    vo.digest = &t->digest;
    vo.size = t->size;
    vo.media_type = t->media_type;
    vg_autobuf struct vg_buf list = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    bool fallback = false;
    int rc = vg_oci_remote_referrers(t->store, &t->digest, VG_NOTATION_ARTIFACT_TYPE, &list,
                                     &fallback, err);
    struct vg_oci_manifest *idx = NULL;
    if (rc < 0 ||
        (rc = vg_oci_manifest_parse(&idx, list.data, list.len, VG_MT_OCI_INDEX, err)) < 0) {
        return vg_err_wrap(err, "referrers of %s", t->digest.text);
    }
    for (size_t i = 0; idx->is_index && i < idx->nmanifests && !res->ok; i++) {
        if (!is_signature(&idx->manifests[i])) {
            continue;
        }
        if (res->n == VG_NOTATION_VERIFY_MAX) {
            VG_WARN("notation", "%s has more than %u Notary signatures; looked at the first %u",
                    t->digest.text, VG_NOTATION_VERIFY_MAX, VG_NOTATION_VERIFY_MAX);
            break;
        }
        VG_ARRAY_GROW(res->items, res->n, 1);
        struct vg_notation_item *it = &res->items[res->n++];
        *it = (struct vg_notation_item){.manifest = idx->manifests[i].digest};
        verify_one(it, t, &vo);
        res->ok = it->outcome.ok;
    }
    vg_oci_manifest_free(idx);
    if (res->ok) {
        return 0;
    }
    if (res->n == 0) {
        return vg_err_set(err, VG_E_VERIFY, "no Notary signature is attached to %s@%s", t->name,
                          t->digest.text);
    }
    return vg_err_set(err, VG_E_VERIFY, "none of the %zu Notary signature(s) of %s@%s verified",
                      res->n, t->name, t->digest.text);
}
