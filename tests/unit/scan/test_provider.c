/* SPDX-License-Identifier: Apache-2.0
 *
 * Scanning an image read by digest from a caller's blob provider (vg_scan_image_provider,
 * oci's "blobs" source): the registry's scan-on-push path. An in-memory store holds a
 * hand-built image (one uncompressed layer with a secret in it); the scan finds the secret
 * and reports the root's digests; a tampered layer fails verification; a missing blob is
 * NOTFOUND.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "scan/scan.h"

#include "../../support/ustar.h"

#define NBLOBS 3

struct mem_store {
    struct vg_digest d[NBLOBS];
    char *data[NBLOBS];
    size_t len[NBLOBS];
    size_t n;
    int opens;
};

struct mem_stream {
    const char *p;
    size_t left;
};

static int
mem_open(void *ud, const struct vg_digest *d, void **stream, struct vg_err **err)
{
    struct mem_store *s = ud;
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->d[i].text, d->text) == 0) {
            struct mem_stream *m = vg_calloc(1, sizeof(*m));
            m->p = s->data[i];
            m->left = s->len[i];
            *stream = m;
            s->opens++;
            return 0;
        }
    }
    return vg_err_set(err, VG_E_NOTFOUND, "blob %s not found", d->text);
}

static int
mem_read(void *stream, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    (void)err;
    struct mem_stream *m = stream;
    size_t n = m->left < cap ? m->left : cap;
    if (n > 7) {
        n = 7; /* short reads, to exercise the loops */
    }
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    *got = n;
    return 0;
}

static void
mem_close(void *stream)
{
    free(stream);
}

static struct vg_digest *
store_add(struct mem_store *s, char *data, size_t len)
{
    cr_assert_lt(s->n, NBLOBS);
    s->data[s->n] = data;
    s->len[s->n] = len;
    vg_digest_of(&s->d[s->n], VG_DIGEST_SHA256, data, len);
    return &s->d[s->n++];
}

static const struct vg_digest *
build_image(struct mem_store *s)
{
    size_t tlen;
    char *tar = ustar_one("app/settings.txt",
                          "github_token = ghp_Zx8QmW3nR7tY1uI5oP9aS2dF6gH0jK4lL3vB\n", &tlen);
    struct vg_digest *layer = store_add(s, tar, tlen);
    char *config = vg_fmt("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
                          "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
                          layer->text);
    struct vg_digest *cfg = store_add(s, config, strlen(config));
    char *manifest =
        vg_fmt("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
               "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
               "\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"
               "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
               cfg->text, strlen(config), layer->text, tlen);
    return store_add(s, manifest, strlen(manifest));
}

static void
store_dispose(struct mem_store *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->data[i]);
    }
}

static const struct vg_oci_blob_provider *
provider(struct mem_store *s)
{
    static struct vg_oci_blob_provider p = {NULL, mem_open, mem_read, mem_close};
    p.ud = s;
    return &p;
}

static struct vg_scan_opts
opts(void)
{
    struct vg_scan_opts o = VG_SCAN_OPTS_INIT;
    o.scanners = VG_SCANNER_SECRET;
    o.use_cache = false;
    return o;
}

Test(scan_provider, scans_image_from_blobs)
{
    struct mem_store s = {0};
    const struct vg_digest *root = build_image(&s);
    struct vg_scan_opts o = opts();
    struct vg_scan_report *r = NULL;
    struct vg_err *err = NULL;
    int rc = vg_scan_image_provider(&r, provider(&s), root, "localhost/app@x", &o, &err);
    cr_assert_eq(rc, 0, "%s", err ? vg_err_format(err) : "");
    cr_assert_str_eq(r->manifest_digest.text, root->text);
    cr_assert_str_eq(r->config_digest.text, s.d[1].text);
    cr_assert_str_eq(r->artifact, "localhost/app@x");
    cr_assert_eq(r->nsecrets, 1);
    cr_assert_gt(s.opens, 2, "manifest, config and layer read from the provider");
    vg_scan_report_free(r);
    store_dispose(&s);
}

Test(scan_provider, tampered_layer_fails_verification)
{
    struct mem_store s = {0};
    const struct vg_digest *root = build_image(&s);
    s.data[0][512] ^= 1; /* the layer no longer hashes to its descriptor */
    struct vg_scan_opts o = opts();
    struct vg_scan_report *r = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_scan_image_provider(&r, provider(&s), root, NULL, &o, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_VERIFY, "%s", vg_err_format(err));
    vg_err_free(&err);
    store_dispose(&s);
}

Test(scan_provider, root_must_match_its_digest_and_exist)
{
    struct mem_store s = {0};
    build_image(&s);
    struct vg_scan_opts o = opts();
    struct vg_scan_report *r = NULL;
    struct vg_err *err = NULL;
    struct vg_digest absent;
    vg_digest_of(&absent, VG_DIGEST_SHA256, "nope", 4);
    cr_assert_lt(vg_scan_image_provider(&r, provider(&s), &absent, NULL, &o, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_NOTFOUND, "%s", vg_err_format(err));
    vg_err_free(&err);
    /* the config blob asked for as a root: not a manifest */
    cr_assert_lt(vg_scan_image_provider(&r, provider(&s), &s.d[1], NULL, &o, &err), 0);
    vg_err_free(&err);
    struct vg_digest none = {0};
    cr_assert_lt(vg_scan_image_provider(&r, provider(&s), &none, NULL, &o, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_USAGE);
    vg_err_free(&err);
    store_dispose(&s);
}
