/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil save IMAGE --dir DIR` and `vigil load --dir DIR IMAGE`: an image with its legacy
 * signatures and attestations in an OCI image layout, laid out as cosign's save/load do:
 * index.json lists the image (annotation kind dev.cosignproject.cosign/image, or /imageIndex),
 * its `.sig` image (kind .../sigs) and its `.att` image (kind .../atts); every manifest and
 * blob is a file blobs/sha256/<hex>.
 *
 * No blob is held in memory, whatever its size. save streams each blob from the registry into
 * a temporary file blobs/sha256/.partial-<hex>-XXXXXX (never a digest name), checked against its
 * descriptor's size and digest on the way, fsyncs it and only then renames it to its digest
 * name: a failed or killed save leaves no wrong or partial blob under a digest name, and
 * index.json (written last, atomically) names nothing missing. load streams each layout file
 * into a monolithic PUT, verified on the way; a file of the wrong size is refused before the
 * upload, and a wrong digest aborts the PUT before its last chunk and cancels the session
 * (vg_oci_remote_blob_put_stream), so the registry never commits it. Manifests are small
 * (VG_LIMIT_MANIFEST_BYTES) and read whole.
 */
#include "cosign_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow_int.h"

#define KIND_IMAGE "dev.cosignproject.cosign/image"
#define KIND_INDEX "dev.cosignproject.cosign/imageIndex"
#define KIND_SIGS  "dev.cosignproject.cosign/sigs"
#define KIND_ATTS  "dev.cosignproject.cosign/atts"

static char *
blob_path(const char *dir, const struct vg_digest *d)
{
    return vg_fmt("%s/blobs/sha256/%s", dir, vg_digest_hex(d));
}

static int
write_blob(const char *dir, const struct vg_digest *d, const void *data, size_t len,
           struct vg_err **err)
{
    if (d->alg != VG_DIGEST_SHA256) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "%s: only sha256 blobs are saved", d->text);
    }
    vg_autofree char *p = blob_path(dir, d);
    return vg_path_exists(p) ? 0 : vg_file_write_atomic(p, data, len, 0644, err);
}

static void
fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd); /* durability best effort: the blob itself is synced */
        close(fd);
    }
}

/* Blob d from c into dir, streamed through a temporary file published under its digest name
 * only once complete, verified and synced. A blob already in dir is not fetched again. */
static int
save_blob(struct vg_oci_remote_client *c, const char *dir, const struct vg_oci_desc *d,
          struct vg_err **err)
{
    if (d->digest.alg != VG_DIGEST_SHA256) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "%s: only sha256 blobs are saved", d->digest.text);
    }
    vg_autofree char *p = blob_path(dir, &d->digest);
    if (vg_path_exists(p)) {
        return 0;
    }
    vg_autofree char *blobs = vg_fmt("%s/blobs/sha256", dir);
    vg_autofree char *tmp = vg_fmt("%s/.partial-%s-XXXXXX", blobs, vg_digest_hex(&d->digest));
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        return vg_err_sys(err, VG_E_IO, "blob %s: create a temporary file in %s", d->digest.text,
                          blobs);
    }
    int rc = vg_oci_remote_blob_fetch_fd(c, d, fd, err);
    if (rc == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0)) {
        rc = vg_err_sys(err, VG_E_IO, "blob %s: sync %s", d->digest.text, tmp);
    }
    if (close(fd) < 0 && rc == 0) {
        rc = vg_err_sys(err, VG_E_IO, "blob %s: close %s", d->digest.text, tmp);
    }
    if (rc == 0 && rename(tmp, p) < 0) {
        rc = vg_err_sys(err, VG_E_IO, "blob %s: rename %s", d->digest.text, tmp);
    }
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    fsync_dir(blobs);
    return 0;
}

/* The manifest m (from c) and everything it references, into dir. */
static int
save_tree(struct vg_oci_remote_client *c, const char *dir, const struct vg_oci_remote_manifest *m,
          unsigned depth, struct vg_err **err)
{
    if (depth > VG_LIMIT_INDEX_DEPTH) {
        return vg_err_set(err, VG_E_LIMIT, "manifest %s: indexes nested too deep", m->digest.text);
    }
    struct vg_oci_manifest *pm = NULL;
    if (vg_oci_manifest_parse(&pm, m->data, m->len, m->media_type, err) < 0) {
        return vg_err_wrap(err, "manifest %s", m->digest.text);
    }
    int rc = 0;
    for (size_t i = 0; pm->is_index && i < pm->nmanifests && rc == 0; i++) {
        struct vg_oci_remote_manifest child = {0};
        rc = vg_oci_remote_manifest_get(c, pm->manifests[i].digest.text, &child, err);
        if (rc == 0) {
            rc = save_tree(c, dir, &child, depth + 1, err);
        }
        vg_oci_remote_manifest_dispose(&child);
    }
    for (size_t i = 0; !pm->is_index && i <= pm->nlayers && rc == 0; i++) {
        rc = save_blob(c, dir, i == 0 ? &pm->config : &pm->layers[i - 1], err);
    }
    vg_oci_manifest_free(pm);
    return rc < 0 ? -1 : write_blob(dir, &m->digest, m->data, m->len, err);
}

static void
index_add(json_t *manifests, const struct vg_oci_remote_manifest *m, const char *kind)
{
    json_array_append_new(manifests, json_pack("{s:s,s:I,s:s,s:{s:s}}", "mediaType",
                                               m->media_type ? m->media_type : VG_MT_OCI_MANIFEST,
                                               "size", (json_int_t)m->len, "digest", m->digest.text,
                                               "annotations", "kind", kind));
}

int
vg_sign_save(const struct vg_sign_target *t, const char *dir, struct vg_err **err)
{
    vg_autofree char *blobs = vg_fmt("%s/blobs/sha256", dir);
    if (vg_mkdir_p(blobs, 0755, err) < 0) {
        return -1;
    }
    struct vg_oci_remote_manifest root = {.data = t->manifest,
                                          .len = t->manifest_len,
                                          .media_type = t->media_type,
                                          .digest = t->digest};
    if (save_tree(t->images, dir, &root, 0, err) < 0) {
        return vg_err_wrap(err, "save %s@%s", t->name, t->digest.text);
    }
    struct vg_oci_manifest *pm = NULL;
    if (vg_oci_manifest_parse(&pm, t->manifest, t->manifest_len, t->media_type, err) < 0) {
        return -1;
    }
    bool is_index = pm->is_index;
    vg_oci_manifest_free(pm);
    vg_autojson json_t *ix =
        json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", VG_MT_OCI_INDEX, "manifests");
    json_t *manifests = json_object_get(ix, "manifests");
    index_add(manifests, &root, is_index ? KIND_INDEX : KIND_IMAGE);
    static const char *const suffix[] = {".sig", ".att"};
    static const char *const kind[] = {KIND_SIGS, KIND_ATTS};
    for (size_t i = 0; i < VG_ARRAY_LEN(suffix); i++) {
        vg_autofree char *tag = vg_sign_tag(&t->digest, suffix[i]);
        struct vg_oci_remote_manifest m = {0};
        vg_autoerr struct vg_err *e = NULL;
        if (vg_oci_remote_manifest_get(t->store, tag, &m, &e) < 0) {
            if (vg_err_root_code(e) == VG_E_NOTFOUND) {
                continue;
            }
            if (err) {
                *err = vg_steal_ptr(&e);
            }
            return vg_err_wrap(err, "%s:%s", t->store_name, tag);
        }
        int rc = save_tree(t->store, dir, &m, 0, err);
        if (rc == 0) {
            index_add(manifests, &m, kind[i]);
        }
        vg_oci_remote_manifest_dispose(&m);
        if (rc < 0) {
            return vg_err_wrap(err, "save %s:%s", t->store_name, tag);
        }
    }
    static const char layout[] = "{\n    \"imageLayoutVersion\": \"1.0.0\"\n}";
    vg_autofree char *lp = vg_fmt("%s/oci-layout", dir);
    vg_autofree char *ip = vg_fmt("%s/index.json", dir);
    vg_autofree char *text = vg_json_dumps(ix, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
    if (vg_file_write_atomic(lp, layout, strlen(layout), 0644, err) < 0 ||
        vg_file_write_atomic(ip, text, strlen(text), 0644, err) < 0) {
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- load */

/* The file for d, checked against d (and against size when known). */
static int
read_blob(const char *dir, const struct vg_digest *d, uint64_t size, struct vg_buf *out,
          struct vg_err **err)
{
    if (d->alg != VG_DIGEST_SHA256) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "%s: only sha256 blobs are loaded", d->text);
    }
    vg_autofree char *p = blob_path(dir, d);
    if (vg_file_read(out, p, out->max, err) < 0) {
        return vg_err_wrap(err, "layout blob %s", d->text);
    }
    struct vg_digest got;
    vg_digest_of(&got, VG_DIGEST_SHA256, out->data, out->len);
    if (!vg_digest_eq(&got, d) || (size != UINT64_MAX && size != out->len)) {
        return vg_err_set(err, VG_E_VERIFY, "layout blob %s: content hashes to %s (%zu bytes)",
                          d->text, got.text, out->len);
    }
    return 0;
}

static int
file_read(void *ud, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    const int *fd = ud;
    ssize_t n;
    do {
        n = read(*fd, buf, cap);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return vg_err_sys(err, VG_E_IO, "read");
    }
    *got = (size_t)n;
    return 0;
}

/* The layout file of blob d, streamed to c: its size must be d's, and its digest is checked
 * before the upload's last chunk is sent (the session is cancelled on a mismatch). */
static int
load_blob(struct vg_oci_remote_client *c, const char *dir, const struct vg_oci_desc *d,
          struct vg_err **err)
{
    if (d->digest.alg != VG_DIGEST_SHA256) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "%s: only sha256 blobs are loaded",
                          d->digest.text);
    }
    vg_autofree char *p = blob_path(dir, &d->digest);
    int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "layout blob %s: open %s",
                          d->digest.text, p);
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0) {
        rc = vg_err_sys(err, VG_E_IO, "layout blob %s: stat %s", d->digest.text, p);
    } else if (!S_ISREG(st.st_mode)) {
        rc = vg_err_set(err, VG_E_PARSE, "layout blob %s: %s is not a regular file", d->digest.text,
                        p);
    } else if ((uint64_t)st.st_size != d->size) {
        rc = vg_err_set(err, VG_E_VERIFY,
                        "layout blob %s: %s has %lld bytes, its descriptor says %llu",
                        d->digest.text, p, (long long)st.st_size, (unsigned long long)d->size);
    } else if ((rc = vg_oci_remote_blob_put_stream(c, d, file_read, &fd, err)) < 0) {
        vg_err_wrap(err, "layout blob %s", d->digest.text);
    }
    close(fd);
    return rc;
}

static int
load_tree(struct vg_oci_remote_client *c, const char *dir, const struct vg_oci_desc *desc,
          unsigned depth, struct vg_err **err)
{
    if (depth > VG_LIMIT_INDEX_DEPTH) {
        return vg_err_set(err, VG_E_LIMIT, "manifest %s: indexes nested too deep",
                          desc->digest.text);
    }
    vg_autobuf struct vg_buf m = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    if (read_blob(dir, &desc->digest, desc->size, &m, err) < 0) {
        return -1;
    }
    struct vg_oci_manifest *pm = NULL;
    if (vg_oci_manifest_parse(&pm, m.data, m.len, desc->media_type, err) < 0) {
        return vg_err_wrap(err, "manifest %s", desc->digest.text);
    }
    int rc = 0;
    for (size_t i = 0; pm->is_index && i < pm->nmanifests && rc == 0; i++) {
        rc = load_tree(c, dir, &pm->manifests[i], depth + 1, err);
    }
    for (size_t i = 0; !pm->is_index && i <= pm->nlayers && rc == 0; i++) {
        const struct vg_oci_desc *d = i == 0 ? &pm->config : &pm->layers[i - 1];
        bool exists = false;
        if ((rc = vg_oci_remote_blob_exists(c, &d->digest, &exists, NULL, err)) < 0 || exists) {
            continue;
        }
        rc = load_blob(c, dir, d, err);
    }
    const char *mt = desc->media_type ? desc->media_type : pm->media_type;
    vg_oci_manifest_free(pm);
    struct vg_digest put;
    return rc < 0 ? -1
                  : vg_oci_remote_manifest_put(c, desc->digest.text, m.data, m.len,
                                               mt ? mt : VG_MT_OCI_MANIFEST, &put, err);
}

static const char *
kind_of(const struct vg_oci_desc *d)
{
    const char *k = d->annotations ? vg_json_str(d->annotations, "kind") : NULL;
    return k ? k : "";
}

/* Tags desc (already pushed) as `tag`. */
static int
tag_manifest(struct vg_oci_remote_client *c, const char *dir, const struct vg_oci_desc *desc,
             const char *tag, struct vg_err **err)
{
    vg_autobuf struct vg_buf m = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    struct vg_digest put;
    if (read_blob(dir, &desc->digest, desc->size, &m, err) < 0) {
        return -1;
    }
    return vg_oci_remote_manifest_put(
        c, tag, m.data, m.len, desc->media_type ? desc->media_type : VG_MT_OCI_MANIFEST, &put, err);
}

int
vg_sign_load(const char *dir, const char *image, const struct vg_oci_open_opts *o,
             struct vg_digest *loaded, struct vg_err **err)
{
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    vg_autofree char *ip = vg_fmt("%s/index.json", dir);
    if (vg_file_read(&raw, ip, raw.max, err) < 0) {
        return vg_err_wrap(err, "layout %s", dir);
    }
    struct vg_oci_index ix = {0};
    if (vg_oci_index_parse(&ix, raw.data, raw.len, ip, err) < 0) {
        return -1;
    }
    const struct vg_oci_desc *img = NULL;
    for (size_t i = 0; i < ix.n && !img; i++) {
        const char *k = kind_of(&ix.v[i]);
        img = strcmp(k, KIND_IMAGE) == 0 || strcmp(k, KIND_INDEX) == 0 ? &ix.v[i] : NULL;
    }
    img = img ? img : (ix.n == 1 ? &ix.v[0] : NULL); /* a plain layout with one image */
    struct vg_oci_ref *ref = NULL;
    struct vg_oci_remote_client *c = NULL;
    int rc = img ? 0
                 : vg_err_set(err, VG_E_NOTFOUND, "%s: no entry of kind %s or %s", ip, KIND_IMAGE,
                              KIND_INDEX);
    if (rc == 0 && (rc = vg_oci_ref_parse(&ref, image, err)) == 0 &&
        !(c = vg_oci_remote_client_new(ref, o, err))) {
        rc = -1;
    }
    if (rc == 0 && ref->digest && strcmp(ref->digest, img->digest.text) != 0) {
        rc = vg_err_set(err, VG_E_USAGE, "%s names %s but the layout holds %s", image, ref->digest,
                        img->digest.text);
    }
    if (rc == 0 && (rc = load_tree(c, dir, img, 0, err)) == 0 && !ref->digest) {
        rc = tag_manifest(c, dir, img, ref->tag, err);
    }
    static const char *const kinds[] = {KIND_SIGS, KIND_ATTS};
    static const char *const suffix[] = {".sig", ".att"};
    for (size_t i = 0; i < ix.n && rc == 0; i++) {
        for (size_t k = 0; k < VG_ARRAY_LEN(kinds) && rc == 0; k++) {
            if (strcmp(kind_of(&ix.v[i]), kinds[k]) != 0) {
                continue;
            }
            vg_autofree char *tag = vg_sign_tag(&img->digest, suffix[k]);
            if ((rc = load_tree(c, dir, &ix.v[i], 0, err)) == 0) {
                rc = tag_manifest(c, dir, &ix.v[i], tag, err);
            }
        }
    }
    if (rc == 0 && loaded) {
        *loaded = img->digest;
    }
    vg_oci_remote_client_free(c);
    vg_oci_ref_free(ref);
    vg_oci_index_dispose(&ix);
    return rc < 0 ? vg_err_wrap(err, "load %s into %s", dir, image) : 0;
}
