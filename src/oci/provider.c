/* SPDX-License-Identifier: Apache-2.0
 *
 * The blob-provider image source (vg_oci_image_open_provider): an image read by digest from
 * any content-addressed store the caller wraps in a struct vg_oci_blob_provider — the registry
 * server scans what was pushed to it from its own storage driver this way. Manifests and blobs
 * are fetched by digest only; image.c verifies every byte against its descriptor, and the root
 * against the digest it was asked for, exactly as for the other transports.
 */
#include "source_int.h"

#include <string.h>

struct provider_source {
    struct vg_oci_source base;
    struct vg_oci_blob_provider p; /* copied; p.ud borrowed */
    struct vg_digest root;
};

struct provider_stream {
    struct vg_oci_stream base;
    const struct vg_oci_blob_provider *p;
    void *s;
};

static int
pstream_read(struct vg_oci_stream *s, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    struct provider_stream *ps = (struct provider_stream *)s;
    return ps->p->read(ps->s, buf, cap, got, err);
}

static void
pstream_close(struct vg_oci_stream *s)
{
    struct provider_stream *ps = (struct provider_stream *)s;
    ps->p->close(ps->s);
    free(ps);
}

static int
provider_open(struct provider_source *src, const struct vg_digest *d, struct vg_oci_stream **out,
              struct vg_err **err)
{
    void *s = NULL;
    if (src->p.open(src->p.ud, d, &s, err) < 0) {
        return -1;
    }
    struct provider_stream *ps = vg_calloc(1, sizeof(*ps));
    ps->base.read = pstream_read;
    ps->base.close = pstream_close;
    ps->p = &src->p;
    ps->s = s;
    *out = &ps->base;
    return 0;
}

/* Reads the whole blob d (a manifest) into raw, bounded by raw->max. */
static int
read_all(struct provider_source *src, const struct vg_digest *d, struct vg_buf *raw,
         struct vg_err **err)
{
    struct vg_oci_stream *s = NULL;
    if (provider_open(src, d, &s, err) < 0) {
        return -1;
    }
    uint8_t chunk[16384];
    int rc = 0;
    for (;;) {
        size_t got = 0;
        rc = s->read(s, chunk, sizeof(chunk), &got, err);
        if (rc < 0 || got == 0) {
            break;
        }
        rc = vg_buf_append(raw, chunk, got, err);
        if (rc < 0) {
            break;
        }
    }
    s->close(s);
    return rc < 0 ? vg_err_wrap(err, "manifest %s", d->text) : 0;
}

static int
provider_get_root(struct vg_oci_source *base, struct vg_buf *raw, char **media_type,
                  struct vg_err **err)
{
    struct provider_source *src = (struct provider_source *)base;
    if (read_all(src, &src->root, raw, err) < 0) {
        return -1;
    }
    struct vg_digest got;
    vg_digest_of(&got, src->root.alg, raw->data, raw->len);
    if (strcmp(got.text, src->root.text) != 0) {
        return vg_err_set(err, VG_E_VERIFY, "manifest %s: digest mismatch: content hashes to %s",
                          src->root.text, got.text);
    }
    *media_type = NULL; /* taken from the body's mediaType */
    return 0;
}

static int
provider_get_manifest(struct vg_oci_source *base, const struct vg_oci_desc *d, struct vg_buf *raw,
                      char **media_type, struct vg_err **err)
{
    struct provider_source *src = (struct provider_source *)base;
    if (read_all(src, &d->digest, raw, err) < 0) {
        return -1;
    }
    *media_type = vg_strdup(d->media_type);
    return 0;
}

static int
provider_open_blob(struct vg_oci_source *base, const struct vg_oci_desc *d,
                   struct vg_oci_stream **out, struct vg_err **err)
{
    return provider_open((struct provider_source *)base, &d->digest, out, err);
}

static void
provider_free(struct vg_oci_source *base)
{
    free(base->reference);
    free(base);
}

static const struct vg_oci_source_ops provider_ops = {
    .transport = "blobs",
    .get_root = provider_get_root,
    .get_manifest = provider_get_manifest,
    .open_blob = provider_open_blob,
    .free = provider_free,
};

int
vg_oci_provider_source_new(struct vg_oci_source **out, const struct vg_oci_blob_provider *p,
                           const struct vg_digest *root, const char *reference, struct vg_err **err)
{
    if (!p || !p->open || !p->read || !p->close || !root || root->alg == 0) {
        return vg_err_set(err, VG_E_USAGE, "blob provider: incomplete provider or no root digest");
    }
    struct provider_source *src = vg_calloc(1, sizeof(*src));
    src->base.ops = &provider_ops;
    src->base.reference = vg_strdup(reference ? reference : root->text);
    src->p = *p;
    src->root = *root;
    *out = &src->base;
    return 0;
}
