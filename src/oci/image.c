/* SPDX-License-Identifier: Apache-2.0
 *
 * Opening an image: the transport prefix picks a source (oci:, docker-archive:, docker:// or a
 * bare registry reference), the source yields the root document, indexes are resolved to one
 * platform (nested up to VG_LIMIT_INDEX_DEPTH), and the chosen manifest and its config are
 * fetched, verified against their descriptors and parsed. Blob streams handed out by
 * vg_oci_blob_* wrap the source's raw stream with the verifier, so no caller ever sees
 * unverified bytes succeed.
 *
 * Transports own their storage format; this file owns only dispatch, resolution and checks
 * that are the same for every transport.
 */
#include "manifest_int.h"
#include "platform_int.h"
#include "source_int.h"

#include <string.h>
#include <unistd.h>

struct vg_oci_blob {
    struct vg_oci_stream *s;
    struct vg_oci_verifier *v;
    bool done;
};

int
vg_oci_blob_open(struct vg_oci_blob **out, struct vg_oci_image *img, const struct vg_oci_desc *desc,
                 struct vg_err **err)
{
    struct vg_oci_stream *s = NULL;
    if (img->src->ops->open_blob(img->src, desc, &s, err) < 0) {
        return vg_err_wrap(err, "open blob %s", desc->digest.text);
    }
    struct vg_oci_blob *b = vg_calloc(1, sizeof(*b));
    b->s = s;
    b->v = vg_oci_verifier_new(&desc->digest, desc->size);
    *out = b;
    return 0;
}

int
vg_oci_blob_read(struct vg_oci_blob *b, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    *got = 0;
    if (b->done) {
        return 0;
    }
    size_t n = 0;
    if (b->s->read(b->s, buf, cap, &n, err) < 0) {
        b->done = true;
        return -1;
    }
    if (n == 0) {
        b->done = true;
        return vg_oci_verifier_finish(b->v, err);
    }
    if (vg_oci_verifier_update(b->v, buf, n, err) < 0) {
        b->done = true;
        return -1;
    }
    *got = n;
    return 0;
}

void
vg_oci_blob_close(struct vg_oci_blob *b)
{
    if (!b) {
        return;
    }
    if (b->s) {
        b->s->close(b->s);
    }
    vg_oci_verifier_free(b->v);
    free(b);
}

int
vg_oci_blob_read_all(struct vg_buf *out, struct vg_oci_image *img, const struct vg_oci_desc *desc,
                     size_t max, struct vg_err **err)
{
    if (desc->size > max) {
        return vg_err_set(err, VG_E_LIMIT, "blob %s: declared size %llu exceeds the limit of %zu",
                          desc->digest.text, (unsigned long long)desc->size, max);
    }
    struct vg_oci_blob *b = NULL;
    if (vg_oci_blob_open(&b, img, desc, err) < 0) {
        return -1;
    }
    if (out->max < (size_t)desc->size) {
        out->max = (size_t)desc->size;
    }
    uint8_t chunk[16384];
    int rc = 0;
    for (;;) {
        size_t got = 0;
        rc = vg_oci_blob_read(b, chunk, sizeof(chunk), &got, err);
        if (rc < 0 || got == 0) {
            break;
        }
        rc = vg_buf_append(out, chunk, got, err);
        if (rc < 0) {
            break;
        }
    }
    vg_oci_blob_close(b);
    return rc < 0 ? -1 : 0;
}

void
vg_oci_image_free(struct vg_oci_image *img)
{
    if (!img) {
        return;
    }
    free(img->transport);
    free(img->reference);
    vg_oci_ref_free(img->ref);
    free(img->manifest_media_type);
    free(img->manifest_raw);
    vg_oci_manifest_free(img->manifest);
    free(img->config_raw);
    vg_oci_config_free(img->config);
    vg_oci_platform_dispose(&img->platform);
    if (img->src) {
        img->src->ops->free(img->src);
    }
    free(img);
}

/* Where an image comes from: a transport-prefixed name, a decompressed docker archive, or a
 * caller's blob provider. */
struct image_origin {
    struct vg_oci_archive_plain *plain;
    const struct vg_oci_blob_provider *provider;
    const struct vg_digest *root;
};

static int
image_source_new(struct vg_oci_image *img, const char *image, const struct image_origin *origin,
                 const struct vg_oci_open_opts *o, struct vg_err **err)
{
    struct vg_oci_archive_plain *plain = origin->plain;
    if (origin->provider) {
        img->transport = vg_strdup("blobs");
        return vg_oci_provider_source_new(&img->src, origin->provider, origin->root, image, err);
    }
    if (plain && plain->oci) {
        img->transport = vg_strdup("oci-archive");
        return vg_oci_oci_archive_source_new(&img->src, image, plain, o, err);
    }
    if (plain) {
        img->transport = vg_strdup("docker-archive");
        return vg_oci_archive_source_new_plain(&img->src, image, plain, o, err);
    }
    static const char *const unsupported[] = {"dir:", "ostree:", "sif:"};
    if (vg_cstr_startswith(image, "oci:")) {
        img->transport = vg_strdup("oci");
        return vg_oci_layout_source_new(&img->src, image + 4, o, err);
    }
    if (vg_cstr_startswith(image, "oci-archive:")) {
        img->transport = vg_strdup("oci-archive");
        return vg_oci_oci_archive_source_new(&img->src, image + 12, NULL, o, err);
    }
    if (vg_cstr_startswith(image, "containers-storage:")) {
        img->transport = vg_strdup("containers-storage");
        return vg_oci_cstore_source_new(&img->src, image + 19, o, err);
    }
    if (vg_cstr_startswith(image, "docker-daemon:")) {
        img->transport = vg_strdup("docker-daemon");
        return vg_oci_daemon_source_new(&img->src, image + 14, o, err);
    }
    if (vg_cstr_startswith(image, "docker-archive:")) {
        img->transport = vg_strdup("docker-archive");
        return vg_oci_archive_source_new(&img->src, image + 15, o, err);
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(unsupported); i++) {
        if (vg_cstr_startswith(image, unsupported[i])) {
            return vg_err_set(err, VG_E_USAGE,
                              "transport %s is not supported (use oci:, oci-archive:, "
                              "docker-archive:, containers-storage:, docker-daemon:, docker:// "
                              "or a registry reference)",
                              unsupported[i]);
        }
    }
    const char *spec = vg_cstr_startswith(image, "docker://") ? image + 9 : image;
    img->transport = vg_strdup("docker");
    if (vg_oci_ref_parse(&img->ref, spec, err) < 0) {
        return -1;
    }
    return vg_oci_remote_source_new(&img->src, spec, o, err);
}

static int
check_blob_bytes(const struct vg_oci_desc *d, const uint8_t *data, size_t len, struct vg_err **err)
{
    struct vg_oci_verifier *v = vg_oci_verifier_new(&d->digest, d->size);
    int rc = vg_oci_verifier_update(v, data, len, err);
    if (rc == 0) {
        rc = vg_oci_verifier_finish(v, err);
    }
    vg_oci_verifier_free(v);
    return rc;
}

/* Loads the root, then descends through indexes to the manifest for `want`. */
static int
resolve_manifest(struct vg_oci_image *img, const struct vg_oci_platform *want, struct vg_err **err)
{
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    vg_autofree char *mt = NULL;
    if (img->src->ops->get_root(img->src, &raw, &mt, err) < 0) {
        return -1;
    }
    vg_digest_of(&img->manifest_digest, VG_DIGEST_SHA256, raw.data, raw.len);
    if (img->ref && img->ref->digest && strcmp(img->ref->digest, img->manifest_digest.text) != 0) {
        struct vg_digest want_d;
        if (vg_digest_parse(&want_d, img->ref->digest, NULL) == 0 &&
            want_d.alg == VG_DIGEST_SHA512) {
            vg_digest_of(&img->manifest_digest, VG_DIGEST_SHA512, raw.data, raw.len);
        }
        if (strcmp(img->ref->digest, img->manifest_digest.text) != 0) {
            return vg_err_set(err, VG_E_VERIFY,
                              "manifest %s: digest mismatch: content hashes "
                              "to %s",
                              img->ref->digest, img->manifest_digest.text);
        }
    }
    struct vg_oci_manifest *m = NULL;
    if (vg_oci_manifest_parse(&m, raw.data, raw.len, mt, err) < 0) {
        return vg_err_wrap(err, "manifest %s", img->manifest_digest.text);
    }
    for (unsigned depth = 0; m->is_index; depth++) {
        if (depth >= VG_LIMIT_INDEX_DEPTH) {
            vg_oci_manifest_free(m);
            return vg_err_set(err, VG_E_LIMIT, "indexes nested deeper than %d levels",
                              VG_LIMIT_INDEX_DEPTH);
        }
        img->index_digest = img->manifest_digest;
        const struct vg_oci_desc *sel = NULL;
        if (vg_oci_index_select(&sel, m, want, err) < 0) {
            vg_oci_manifest_free(m);
            return vg_err_wrap(err, "index %s", img->index_digest.text);
        }
        struct vg_oci_desc d;
        vg_oci_desc_copy(&d, sel);
        vg_oci_manifest_free(m);
        m = NULL;
        vg_buf_reset(&raw);
        free(mt);
        mt = NULL;
        int rc = d.size > VG_LIMIT_MANIFEST_BYTES
                     ? vg_err_set(err, VG_E_LIMIT, "declared size %llu exceeds the limit of %u",
                                  (unsigned long long)d.size, VG_LIMIT_MANIFEST_BYTES)
                     : img->src->ops->get_manifest(img->src, &d, &raw, &mt, err);
        if (rc == 0) {
            rc = check_blob_bytes(&d, raw.data, raw.len, err);
        }
        if (rc == 0) {
            img->manifest_digest = d.digest;
            rc = vg_oci_manifest_parse(&m, raw.data, raw.len, d.media_type, err);
        }
        if (rc < 0) {
            vg_err_wrap(err, "manifest %s", d.digest.text);
        }
        vg_oci_desc_dispose(&d);
        if (rc < 0) {
            return -1;
        }
    }
    img->manifest = m;
    img->manifest_media_type = vg_strdup(m->media_type);
    img->manifest_raw = (uint8_t *)vg_buf_take(&raw, &img->manifest_len);
    return 0;
}

static int
check_image_media_types(const struct vg_oci_manifest *m, struct vg_err **err)
{
    if (!vg_oci_mt_is_image_config(m->config.media_type)) {
        char *e = vg_escape(m->config.media_type, strlen(m->config.media_type), 100);
        int rc =
            vg_err_set(err, VG_E_UNSUPPORTED, "not a container image: config media type \"%s\"", e);
        free(e);
        return rc;
    }
    for (size_t i = 0; i < m->nlayers; i++) {
        if (!vg_oci_mt_is_layer(m->layers[i].media_type)) {
            const char *mt = m->layers[i].media_type;
            char *e = vg_escape(mt, strlen(mt), 100);
            int rc = vg_err_set(err, VG_E_UNSUPPORTED,
                                "layer %zu (%s): unsupported layer media type \"%s\"", i,
                                m->layers[i].digest.text, e);
            free(e);
            return rc;
        }
    }
    return 0;
}

static int
load_config(struct vg_oci_image *img, struct vg_err **err)
{
    const struct vg_oci_manifest *m = img->manifest;
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(VG_LIMIT_CONFIG_BYTES);
    if (vg_oci_blob_read_all(&raw, img, &m->config, VG_LIMIT_CONFIG_BYTES, err) < 0) {
        return vg_err_wrap(err, "config %s", m->config.digest.text);
    }
    if (vg_oci_config_parse(&img->config, raw.data, raw.len, err) < 0) {
        return vg_err_wrap(err, "config %s", m->config.digest.text);
    }
    if (img->config->ndiff_ids != m->nlayers) {
        return vg_err_set(
            err, VG_E_PARSE, "config %s lists %zu diff_ids but manifest %s has %zu layers",
            m->config.digest.text, img->config->ndiff_ids, img->manifest_digest.text, m->nlayers);
    }
    img->platform.os = vg_strdup(img->config->os);
    img->platform.architecture = vg_strdup(img->config->architecture);
    img->platform.variant = vg_strdup(img->config->variant);
    img->config_raw = (uint8_t *)vg_buf_take(&raw, &img->config_len);
    return 0;
}

static int
image_open(struct vg_oci_image **out, const char *image, const struct image_origin *origin,
           const struct vg_oci_open_opts *opts, struct vg_err **err)
{
    struct vg_oci_archive_plain *plain = origin->plain;
    struct vg_oci_open_opts none = VG_OCI_OPEN_OPTS_INIT;
    const struct vg_oci_open_opts *o = opts ? opts : &none;
    struct vg_oci_platform want = {0};
    if (o->platform) {
        if (vg_oci_platform_parse(&want, o->platform, err) < 0) {
            if (plain) {
                close(plain->fd);
            }
            return -1;
        }
    } else {
        vg_oci_platform_host(&want);
    }
    if (!image || !*image) {
        vg_oci_platform_dispose(&want);
        if (plain) {
            close(plain->fd);
        }
        return vg_err_set(err, VG_E_USAGE, "no image given");
    }
    struct vg_oci_image *img = vg_calloc(1, sizeof(*img));
    int rc = image_source_new(img, image, origin, o, err);
    if (rc == 0) {
        img->reference = vg_strdup(img->src->reference);
        rc = resolve_manifest(img, &want, err);
    }
    if (rc == 0) {
        rc = check_image_media_types(img->manifest, err);
        if (rc < 0) {
            vg_err_wrap(err, "manifest %s", img->manifest_digest.text);
        }
    }
    if (rc == 0) {
        rc = load_config(img, err);
    }
    vg_oci_platform_dispose(&want);
    if (rc < 0) {
        vg_oci_image_free(img);
        return -1;
    }
    *out = img;
    return 0;
}

int
vg_oci_image_open(struct vg_oci_image **out, const char *image, const struct vg_oci_open_opts *opts,
                  struct vg_err **err)
{
    struct image_origin origin = {0};
    return image_open(out, image, &origin, opts, err);
}

int
vg_oci_image_open_archive(struct vg_oci_image **out, const char *spec,
                          struct vg_oci_archive_plain *plain, const struct vg_oci_open_opts *opts,
                          struct vg_err **err)
{
    struct image_origin origin = {.plain = plain};
    return image_open(out, spec, &origin, opts, err);
}

int
vg_oci_image_open_provider(struct vg_oci_image **out, const struct vg_oci_blob_provider *p,
                           const struct vg_digest *root, const char *reference,
                           const struct vg_oci_open_opts *opts, struct vg_err **err)
{
    if (!root || root->alg == 0) {
        return vg_err_set(err, VG_E_USAGE, "blob provider: no root digest");
    }
    struct image_origin origin = {.provider = p, .root = root};
    return image_open(out, reference ? reference : root->text, &origin, opts, err);
}
