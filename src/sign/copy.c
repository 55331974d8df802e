/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil copy`: an image and what is attached to it, from one repository to another (same or
 * other registry), as `cosign copy` does, plus the OCI 1.1 referrers cosign 2 leaves behind.
 *
 * Order: for every manifest, its blobs first (skipped when the destination has them), then the
 * manifest by digest; indexes after their children. Attachments of the image (and of every
 * child of an index) follow: the `sha256-<hex>.sig/.att/.sbom` tags and the referrers. The
 * destination tag is written last, so a reader never sees a tag whose signatures are missing.
 * cosign also tags each copied manifest `sha256-<hex>`; vigil pushes them by digest instead,
 * since that tag is the OCI referrers tag schema's index.
 */
#include "cosign_ops.h"

#include <string.h>

#include "flow_int.h"

#define MT_COSIGN_SIG_ARTIFACT  "application/vnd.dev.cosign.artifact.sig.v1+json"
#define MT_COSIGN_SBOM_ARTIFACT "application/vnd.dev.cosign.artifact.sbom.v1+json"

struct copy_ctx {
    const struct vg_sign_target *src;
    struct vg_oci_remote_client *dst; /* the destination repository */
    char *dst_name;                   /* "host/repo" */
    const struct vg_sign_copy_opts *o;
    struct vg_sign_copy_result *res;
};

void
vg_sign_copy_result_dispose(struct vg_sign_copy_result *r)
{
    free(r->destination);
    *r = (struct vg_sign_copy_result){0};
}

static void
note(const struct copy_ctx *c, const char *src, const char *dst)
{
    if (c->o->note) {
        vg_autofree char *line = vg_fmt("Copying %s to %s...", src, dst);
        c->o->note(c->o->ud, line);
    }
}

static int
copy_blob(struct copy_ctx *c, struct vg_oci_remote_client *from, const struct vg_oci_desc *d,
          struct vg_err **err)
{
    bool exists = false;
    if (vg_oci_remote_blob_exists(c->dst, &d->digest, &exists, NULL, err) < 0) {
        return vg_err_wrap(err, "destination %s", c->dst_name);
    }
    if (exists) {
        c->res->blobs_present++;
        return 0;
    }
    /* Streamed from registry to registry, checked against the descriptor on the way: no blob
     * is held in memory, whatever its size. */
    if (vg_oci_remote_blob_copy(c->dst, from, d, err) < 0) {
        return vg_err_wrap(err, "destination %s", c->dst_name);
    }
    c->res->blobs++;
    return 0;
}

static int copy_tree(struct copy_ctx *c, struct vg_oci_remote_client *from,
                     const struct vg_oci_remote_manifest *m, unsigned depth, struct vg_err **err);

/* GETs the manifest d from `from` and copies it with everything it references. */
static int
copy_by_digest(struct copy_ctx *c, struct vg_oci_remote_client *from, const struct vg_digest *d,
               unsigned depth, struct vg_err **err)
{
    struct vg_oci_remote_manifest m = {0};
    if (vg_oci_remote_manifest_get(from, d->text, &m, err) < 0) {
        return -1;
    }
    int rc = copy_tree(c, from, &m, depth, err);
    vg_oci_remote_manifest_dispose(&m);
    return rc;
}

/* Pushes m by digest after its blobs (manifest) or children (index). */
static int
copy_tree(struct copy_ctx *c, struct vg_oci_remote_client *from,
          const struct vg_oci_remote_manifest *m, unsigned depth, struct vg_err **err)
{
    if (depth > VG_LIMIT_INDEX_DEPTH) {
        return vg_err_set(err, VG_E_LIMIT, "manifest %s: indexes nested deeper than %d",
                          m->digest.text, VG_LIMIT_INDEX_DEPTH);
    }
    bool exists = false;
    struct vg_digest have;
    vg_autoerr struct vg_err *e = NULL;
    if (vg_oci_remote_manifest_head(c->dst, m->digest.text, &have, NULL, &e) == 0) {
        exists = vg_digest_eq(&have, &m->digest);
    } else if (vg_err_root_code(e) != VG_E_NOTFOUND) {
        if (err) {
            *err = vg_steal_ptr(&e);
        }
        return vg_err_wrap(err, "destination %s", c->dst_name);
    }
    if (exists) {
        c->res->manifests_present++;
        return 0;
    }
    struct vg_oci_manifest *pm = NULL;
    if (vg_oci_manifest_parse(&pm, m->data, m->len, m->media_type, err) < 0) {
        return vg_err_wrap(err, "manifest %s", m->digest.text);
    }
    int rc = 0;
    if (pm->is_index) {
        for (size_t i = 0; i < pm->nmanifests && rc == 0; i++) {
            rc = copy_by_digest(c, from, &pm->manifests[i].digest, depth + 1, err);
        }
    } else {
        rc = copy_blob(c, from, &pm->config, err);
        for (size_t i = 0; i < pm->nlayers && rc == 0; i++) {
            rc = copy_blob(c, from, &pm->layers[i], err);
        }
    }
    const char *mt = m->media_type ? m->media_type : pm->media_type;
    struct vg_digest put;
    if (rc == 0 &&
        (rc = vg_oci_remote_manifest_put(c->dst, m->digest.text, m->data, m->len,
                                         mt ? mt : VG_MT_OCI_MANIFEST, &put, err)) == 0) {
        c->res->manifests++;
    }
    vg_oci_manifest_free(pm);
    return rc < 0 ? vg_err_wrap(err, "copy manifest %s", m->digest.text) : 0;
}

/* Points dst's tag at m (already pushed), unless it names something else and !force. */
static int
put_tag(struct copy_ctx *c, const char *tag, const struct vg_oci_remote_manifest *m,
        struct vg_err **err)
{
    struct vg_digest have;
    vg_autoerr struct vg_err *e = NULL;
    if (vg_oci_remote_manifest_head(c->dst, tag, &have, NULL, &e) == 0) {
        if (vg_digest_eq(&have, &m->digest)) {
            return 0;
        }
        if (!c->o->force) {
            return vg_err_set(err, VG_E_USAGE,
                              "%s:%s already exists (%s, not %s): use --force to overwrite",
                              c->dst_name, tag, have.text, m->digest.text);
        }
    } else if (vg_err_root_code(e) != VG_E_NOTFOUND) {
        if (err) {
            *err = vg_steal_ptr(&e);
        }
        return vg_err_wrap(err, "destination %s:%s", c->dst_name, tag);
    }
    struct vg_digest put;
    const char *mt = m->media_type ? m->media_type : VG_MT_OCI_MANIFEST;
    if (vg_oci_remote_manifest_put(c->dst, tag, m->data, m->len, mt, &put, err) < 0) {
        return -1;
    }
    return 0;
}

/* The `.sig`/`.att`/`.sbom` tags of one manifest. */
static int
copy_attachments(struct copy_ctx *c, const struct vg_digest *entity, struct vg_err **err)
{
    static const char *const suffix[] = {".sig", ".att", ".sbom"};
    static const unsigned kind[] = {VG_SIGN_COPY_SIG, VG_SIGN_COPY_ATT, VG_SIGN_COPY_SBOM};
    for (size_t i = 0; i < VG_ARRAY_LEN(suffix); i++) {
        if (!(c->o->kinds & kind[i])) {
            continue;
        }
        vg_autofree char *tag = vg_sign_tag(entity, suffix[i]);
        struct vg_oci_remote_manifest m = {0};
        vg_autoerr struct vg_err *e = NULL;
        if (vg_oci_remote_manifest_get(c->src->store, tag, &m, &e) < 0) {
            if (vg_err_root_code(e) == VG_E_NOTFOUND) {
                continue; /* most images have only some of them, as cosign says */
            }
            if (err) {
                *err = vg_steal_ptr(&e);
            }
            return vg_err_wrap(err, "%s:%s", c->src->store_name, tag);
        }
        vg_autofree char *from = vg_fmt("%s:%s", c->src->store_name, tag);
        vg_autofree char *to = vg_fmt("%s:%s", c->dst_name, tag);
        note(c, from, to);
        int rc = copy_tree(c, c->src->store, &m, 0, err);
        if (rc == 0 && (rc = put_tag(c, tag, &m, err)) == 0) {
            c->res->attachments++;
        }
        vg_oci_remote_manifest_dispose(&m);
        if (rc < 0) {
            return vg_err_wrap(err, "copy %s", from);
        }
    }
    return 0;
}

/* Which --only kind a referrer manifest belongs to. */
static unsigned
referrer_kind(const struct vg_oci_manifest *m)
{
    if (m->nlayers == 1 && m->layers[0].media_type &&
        vg_cstr_startswith(m->layers[0].media_type, VG_SIGN_MT_BUNDLE_PREFIX)) {
        const char *pt = m->annotations
                             ? vg_json_str(m->annotations, "dev.sigstore.bundle.predicateType")
                             : NULL;
        return pt && strcmp(pt, VG_SIGN_PREDICATE_SIGN) == 0 ? VG_SIGN_COPY_SIG : VG_SIGN_COPY_ATT;
    }
    const char *cfg = m->config.media_type ? m->config.media_type : "";
    const char *at = m->artifact_type ? m->artifact_type : cfg;
    if (strcmp(at, MT_COSIGN_SIG_ARTIFACT) == 0) {
        return VG_SIGN_COPY_SIG;
    }
    if (strcmp(at, MT_COSIGN_SBOM_ARTIFACT) == 0) {
        return VG_SIGN_COPY_SBOM;
    }
    return VG_SIGN_COPY_OTHER;
}

/* One referrer: classify, copy, and list it in dst's fallback index when dst needs one. */
static int
copy_referrer(struct copy_ctx *c, const struct vg_sign_target *fake, const struct vg_oci_desc *d,
              bool *fallback_known, struct vg_err **err)
{
    struct vg_oci_remote_manifest m = {0};
    if (vg_oci_remote_manifest_get(c->src->store, d->digest.text, &m, err) < 0) {
        return vg_err_wrap(err, "referrer %s", d->digest.text);
    }
    struct vg_oci_manifest *pm = NULL;
    int rc = vg_oci_manifest_parse(&pm, m.data, m.len, m.media_type, err);
    if (rc < 0) {
        vg_oci_remote_manifest_dispose(&m);
        return vg_err_wrap(err, "referrer %s", d->digest.text);
    }
    const char *at = pm->artifact_type ? pm->artifact_type : pm->config.media_type;
    vg_autofree char *atype = vg_strdup(at ? at : VG_MT_OCI_EMPTY);
    bool want = (referrer_kind(pm) & c->o->kinds) != 0;
    vg_oci_manifest_free(pm);
    if (want) {
        vg_autofree char *from = vg_fmt("%s@%s", c->src->store_name, d->digest.text);
        vg_autofree char *to = vg_fmt("%s@%s", c->dst_name, d->digest.text);
        note(c, from, to);
        rc = copy_tree(c, c->src->store, &m, 0, err);
    }
    if (want && rc == 0) {
        c->res->referrers++;
        if (!*fallback_known) {
            vg_autobuf struct vg_buf probe = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
            rc = vg_oci_remote_referrers(c->dst, &fake->digest, NULL, &probe, &c->res->fallback,
                                         err);
            *fallback_known = rc == 0;
        }
        if (rc == 0 && c->res->fallback) {
            struct vg_buf mb = {.data = m.data, .len = m.len, .max = m.len};
            rc = vg_sign__fallback_index_update(fake, &mb, atype, err);
        }
    }
    vg_oci_remote_manifest_dispose(&m);
    return rc < 0 ? vg_err_wrap(err, "copy referrer %s", d->digest.text) : 0;
}

static int
copy_referrers(struct copy_ctx *c, const struct vg_digest *entity, struct vg_err **err)
{
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    bool src_fallback = false;
    if (vg_oci_remote_referrers(c->src->store, entity, NULL, &raw, &src_fallback, err) < 0) {
        return vg_err_wrap(err, "referrers of %s in %s", entity->text, c->src->store_name);
    }
    struct vg_oci_index ix = {0};
    vg_autofree char *what = vg_fmt("referrers of %s", entity->text);
    vg_autoerr struct vg_err *e = NULL;
    if (vg_oci_index_parse(&ix, raw.data, raw.len, what, &e) < 0) {
        if (!src_fallback) {
            if (err) {
                *err = vg_steal_ptr(&e);
            }
            return -1;
        }
        /* `cosign copy` tags copied manifests sha256-<hex>: not an index, no referrers. */
        vg_autofree char *m = vg_err_format(e);
        VG_WARN("sign", "%s: fallback tag is not a referrers index, skipped: %s", what, m);
        return 0;
    }
    if (ix.n > VG_SIGN_MAX_REFERRERS) {
        vg_oci_index_dispose(&ix);
        return vg_err_set(err, VG_E_LIMIT, "%s: %zu referrers, more than %u", what, ix.n,
                          VG_SIGN_MAX_REFERRERS);
    }
    /* A stand-in target for the fallback index helper: dst's client, the subject's digest. */
    struct vg_sign_target fake = {.digest = *entity, .store = c->dst, .store_name = c->dst_name};
    bool fallback_known = false;
    int rc = 0;
    for (size_t i = 0; i < ix.n && rc == 0; i++) {
        rc = copy_referrer(c, &fake, &ix.v[i], &fallback_known, err);
    }
    vg_oci_index_dispose(&ix);
    return rc;
}

static int
copy_entity(struct copy_ctx *c, const struct vg_digest *d, struct vg_err **err)
{
    if (copy_attachments(c, d, err) < 0) {
        return -1;
    }
    return copy_referrers(c, d, err);
}

/* The manifest to copy: the source's, or the platform's entry of its index. */
static int
pick_root(const struct vg_sign_target *src, const char *platform,
          struct vg_oci_remote_manifest *out, struct vg_err **err)
{
    *out = (struct vg_oci_remote_manifest){0};
    struct vg_oci_manifest *pm = NULL;
    if (vg_oci_manifest_parse(&pm, src->manifest, src->manifest_len, src->media_type, err) < 0) {
        return vg_err_wrap(err, "manifest %s", src->digest.text);
    }
    int rc = 0;
    if (platform && pm->is_index) {
        struct vg_oci_platform want = {0};
        const struct vg_oci_desc *pick = NULL;
        rc = vg_oci_platform_parse(&want, platform, err);
        if (rc == 0) {
            rc = vg_oci_index_select(&pick, pm, &want, err);
        }
        if (rc == 0) {
            rc = vg_oci_remote_manifest_get(src->images, pick->digest.text, out, err);
        }
        vg_oci_platform_dispose(&want);
    } else {
        out->data = vg_memdup(src->manifest, src->manifest_len);
        out->len = src->manifest_len;
        out->media_type = vg_strdup(src->media_type);
        out->digest = src->digest;
    }
    vg_oci_manifest_free(pm);
    return rc;
}

static int
dst_open(struct copy_ctx *c, const char *dst, const struct vg_oci_open_opts *o,
         struct vg_oci_ref **ref, struct vg_err **err)
{
    if (vg_cstr_startswith(dst, "docker://")) {
        dst += strlen("docker://");
    }
    if (vg_oci_ref_parse(ref, dst, err) < 0) {
        return vg_err_wrap(err, "destination");
    }
    c->dst_name = vg_oci_ref_name(*ref);
    if (!(c->dst = vg_oci_remote_client_new(*ref, o, err))) {
        return vg_err_wrap(err, "destination %s", c->dst_name);
    }
    return 0;
}

/* Copies root's tree, each entity's attachments (children of an index first), then the tag. */
static int
copy_all(struct copy_ctx *c, const struct vg_oci_ref *ref,
         const struct vg_oci_remote_manifest *root, struct vg_err **err)
{
    vg_autofree char *from = vg_fmt("%s@%s", c->src->name, root->digest.text);
    note(c, from, c->res->destination);
    if (copy_tree(c, c->src->images, root, 0, err) < 0) {
        return -1;
    }
    struct vg_oci_manifest *pm = NULL;
    if (vg_oci_manifest_parse(&pm, root->data, root->len, root->media_type, err) < 0) {
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; pm->is_index && i < pm->nmanifests && rc == 0; i++) {
        rc = copy_entity(c, &pm->manifests[i].digest, err);
    }
    vg_oci_manifest_free(pm);
    if (rc == 0) {
        rc = copy_entity(c, &root->digest, err);
    }
    if (rc == 0 && !c->o->only && !ref->digest) {
        rc = put_tag(c, ref->tag, root, err);
    }
    return rc;
}

int
vg_sign_copy(const struct vg_sign_target *src, const char *dst, const struct vg_oci_open_opts *o,
             const struct vg_sign_copy_opts *co, struct vg_sign_copy_result *res,
             struct vg_err **err)
{
    *res = (struct vg_sign_copy_result){0};
    struct vg_sign_copy_opts opts = *co;
    if (opts.kinds == 0) {
        opts.kinds = VG_SIGN_COPY_ALL;
    }
    struct copy_ctx c = {.src = src, .o = &opts, .res = res};
    struct vg_oci_ref *ref = NULL;
    struct vg_oci_remote_manifest root = {0};
    int rc = dst_open(&c, dst, o, &ref, err);
    if (rc == 0) {
        rc = pick_root(src, opts.platform, &root, err);
    }
    if (rc == 0 && ref->digest && strcmp(ref->digest, root.digest.text) != 0) {
        rc = vg_err_set(err, VG_E_USAGE, "destination names %s but the source is %s", ref->digest,
                        root.digest.text);
    }
    if (rc == 0) {
        res->digest = root.digest;
        res->destination = ref->digest ? vg_fmt("%s@%s", c.dst_name, ref->digest)
                                       : vg_fmt("%s:%s", c.dst_name, ref->tag);
        rc = copy_all(&c, ref, &root, err);
    }
    vg_oci_remote_manifest_dispose(&root);
    vg_oci_remote_client_free(c.dst);
    vg_oci_ref_free(ref);
    free(c.dst_name);
    if (rc < 0) {
        vg_sign_copy_result_dispose(res);
    }
    return rc;
}
