/* SPDX-License-Identifier: Apache-2.0
 *
 * Notary Project signatures kept by a store the caller owns (the registry's pull gate): the
 * same verification as vg_notation_target_verify, with every manifest and blob read through
 * the store's provider and checked against its digest, nothing over HTTP.
 */
#include "notation_int.h"

#include <string.h>

/* The signature manifest rd: one envelope layer whose subject is image. */
static void
store_one(struct vg_notation_item *it, const struct vg_sign_store *s, const struct vg_digest *image,
          const struct vg_notation_verify_opts *o)
{
    struct vg_oci_manifest *m = NULL;
    struct vg_err *e = NULL;
    vg_autobuf struct vg_buf mb = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    vg_autobuf struct vg_buf blob = VG_BUF_INIT(VG_NOTATION_ENVELOPE_MAX);
    int rc = vg_sign__store_read_blob(s, &it->manifest, VG_LIMIT_MANIFEST_BYTES, &mb, &e);
    if (rc == 0) {
        rc = vg_oci_manifest_parse(&m, mb.data, mb.len, NULL, &e);
    }
    bool notary =
        rc == 0 && !m->is_index &&
        ((m->artifact_type && strcmp(m->artifact_type, VG_NOTATION_ARTIFACT_TYPE) == 0) ||
         (m->config.media_type && strcmp(m->config.media_type, VG_NOTATION_ARTIFACT_TYPE) == 0));
    if (rc == 0 && (!notary || m->nlayers != 1)) {
        rc = vg_err_set(&e, VG_E_PARSE,
                        "signature manifest: not a Notary signature with exactly one layer");
    } else if (rc == 0 && (!m->subject || !vg_digest_eq(&m->subject->digest, image))) {
        rc = vg_err_set(&e, VG_E_VERIFY, "signature manifest: its subject is not this image");
    }
    if (rc == 0) {
        it->media_type = vg_strdup(m->layers[0].media_type ? m->layers[0].media_type : "");
        rc = vg_sign__store_read_blob(s, &m->layers[0].digest, VG_NOTATION_ENVELOPE_MAX, &blob, &e);
    }
    vg_oci_manifest_free(m);
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
vg_notation_store_verify(const struct vg_sign_store *s, const char *name,
                         const struct vg_digest *image, const struct vg_notation_verify_opts *o,
                         struct vg_notation_result *res, struct vg_err **err)
{
    *res = (struct vg_notation_result){.policy = o->policy};
    if (o->policy->level == VG_NOTATION_SKIP) {
        res->skipped = res->ok = true;
        return 0;
    }
    /* the signed descriptor names the image manifest's size and media type */
    vg_autobuf struct vg_buf mb = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    if (vg_sign__store_read_blob(s, image, VG_LIMIT_MANIFEST_BYTES, &mb, err) < 0) {
        return vg_err_wrap(err, "image manifest %s", image->text);
    }
    json_t *doc = json_loadb((const char *)mb.data, mb.len, JSON_REJECT_DUPLICATES, NULL);
    const char *mt = doc ? vg_json_str(doc, "mediaType") : NULL;
    struct vg_notation_verify_opts vo = *o;
    vo.digest = image;
    vo.size = mb.len;
    vo.media_type = mt;
    struct vg_digest *refs = NULL;
    size_t nrefs = 0;
    if (s->referrers(s->ud, image, &refs, &nrefs, err) < 0) {
        json_decref(doc);
        return vg_err_wrap(err, "referrers of %s", image->text);
    }
    for (size_t i = 0; i < nrefs && !res->ok; i++) {
        if (res->n == VG_NOTATION_VERIFY_MAX) {
            VG_WARN("notation", "%s has more than %u referrers; looked at the first %u",
                    image->text, VG_NOTATION_VERIFY_MAX, VG_NOTATION_VERIFY_MAX);
            break;
        }
        VG_ARRAY_GROW(res->items, res->n, 1);
        struct vg_notation_item *it = &res->items[res->n++];
        *it = (struct vg_notation_item){.manifest = refs[i]};
        store_one(it, s, image, &vo);
        res->ok = it->outcome.ok;
    }
    free(refs);
    json_decref(doc);
    if (res->ok) {
        return 0;
    }
    if (res->n == 0) {
        return vg_err_set(err, VG_E_VERIFY, "no Notary signature is attached to %s@%s", name,
                          image->text);
    }
    return vg_err_set(err, VG_E_VERIFY, "none of the %zu Notary signature(s) of %s@%s verified",
                      res->n, name, image->text);
}
