/* SPDX-License-Identifier: Apache-2.0
 *
 * The OCI image layout transport, "oci:DIR[:TAG]" (image-spec image-layout.md): oci-layout
 * must declare version 1.0.0, index.json names the images (a TAG matches the
 * org.opencontainers.image.ref.name annotation; "@sha256:..." matches a digest), and blobs
 * live under blobs/<alg>/<hex>. Like skopeo, the path ends at the first ':'.
 *
 * Every file is opened beneath the layout's directory fd with O_NOFOLLOW on the final
 * component; blob names are built from validated digests only, so index.json content can
 * never name a path. The root document is verified here against its index.json descriptor;
 * image.c verifies everything below it.
 *
 * The same reader serves "oci-archive:FILE[:TAG]", a tar of such a layout (buildx --output
 * type=oci, podman save --format oci-archive, skopeo copy ... oci-archive:): the tar is indexed
 * once by its headers (archive.c) and files are read in place, never extracted. Such an archive
 * is refused when an entry escapes the root (".."), and a file the reader needs must occur once
 * and be a regular file (no duplicates, no symlinks or hardlinks followed). A gzip- or
 * zstd-compressed archive is decompressed once by layers/ into an unlinked temporary file.
 */
#include "archive_int.h"
#include "manifest_int.h"
#include "source_int.h"

#include "core/compress.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REF_NAME_ANNOTATION "org.opencontainers.image.ref.name"

struct layout_source {
    struct vg_oci_source base;
    int dirfd;
    int tarfd;                   /* oci-archive: the tar, else -1 */
    struct vg_oci_tar_index idx; /* oci-archive: its entries */
    char *dir;                   /* the directory, or the archive file */
    char *tag;                   /* NULL when none given */
    uint8_t *index_raw;          /* index.json bytes, when the root is index.json itself */
    size_t index_len;
    struct vg_oci_desc root; /* the selected index.json entry (unused when index_raw) */
};

struct fd_stream {
    struct vg_oci_stream base;
    int fd;
    char *what;
};

static int
fd_stream_read(struct vg_oci_stream *s, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    struct fd_stream *f = (struct fd_stream *)s;
    for (;;) {
        ssize_t n = read(f->fd, buf, cap);
        if (n >= 0) {
            *got = (size_t)n;
            return 0;
        }
        if (errno != EINTR) {
            return vg_err_sys(err, VG_E_IO, "read %s", f->what);
        }
    }
}

static void
fd_stream_close(struct vg_oci_stream *s)
{
    struct fd_stream *f = (struct fd_stream *)s;
    close(f->fd);
    free(f->what);
    free(f);
}

static char *
blob_path(const struct vg_digest *d)
{
    return vg_fmt("blobs/%s/%s", d->alg == VG_DIGEST_SHA512 ? "sha512" : "sha256",
                  vg_digest_hex(d));
}

static int
open_blob_fd(struct layout_source *ls, const struct vg_digest *d, struct vg_err **err)
{
    vg_autofree char *p = blob_path(d);
    int fd = openat(ls->dirfd, p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) {
            return vg_err_set(err, VG_E_NOTFOUND, "blob %s not found in layout %s (%s)", d->text,
                              ls->dir, p);
        }
        return vg_err_sys(err, VG_E_IO, "open %s/%s", ls->dir, p);
    }
    return fd;
}

static int
layout_open_stream(struct layout_source *ls, const struct vg_digest *d, struct vg_oci_stream **out,
                   struct vg_err **err)
{
    if (ls->tarfd >= 0) {
        vg_autofree char *p = blob_path(d);
        const struct vg_oci_tar_entry *e = NULL;
        if (vg_oci_tar_lookup_strict(&e, &ls->idx, p, ls->dir, err) < 0) {
            return vg_err_wrap(err, "blob %s", d->text);
        }
        *out = vg_oci_range_stream_new(ls->tarfd, e->offset, e->size,
                                       vg_fmt("%s:%s", ls->dir, e->name));
        return 0;
    }
    int fd = open_blob_fd(ls, d, err);
    if (fd < 0) {
        return -1;
    }
    struct fd_stream *f = vg_calloc(1, sizeof(*f));
    f->base.read = fd_stream_read;
    f->base.close = fd_stream_close;
    f->fd = fd;
    f->what = vg_fmt("%s blob %s", ls->dir, d->text);
    *out = &f->base;
    return 0;
}

static int
layout_open_blob(struct vg_oci_source *src, const struct vg_oci_desc *d, struct vg_oci_stream **out,
                 struct vg_err **err)
{
    return layout_open_stream((struct layout_source *)src, &d->digest, out, err);
}

/* Reads a small blob whole, at most size + 1 bytes so an oversize file is detected. */
static int
read_small_blob(struct layout_source *ls, const struct vg_oci_desc *d, struct vg_buf *raw,
                size_t max, struct vg_err **err)
{
    if (d->size > max) {
        return vg_err_set(err, VG_E_LIMIT, "%s: declared size %llu exceeds the limit of %zu",
                          d->digest.text, (unsigned long long)d->size, max);
    }
    struct vg_oci_stream *s = NULL;
    if (layout_open_stream(ls, &d->digest, &s, err) < 0) {
        return -1;
    }
    size_t want = (size_t)d->size + 1;
    if (raw->max < want) {
        raw->max = want;
    }
    uint8_t chunk[16384];
    int rc = 0;
    while (raw->len < want) {
        size_t n = 0, cap = want - raw->len < sizeof(chunk) ? want - raw->len : sizeof(chunk);
        rc = s->read(s, chunk, cap, &n, err);
        if (rc < 0 || n == 0) {
            break; /* oversize or short: the caller's size check names the mismatch */
        }
        rc = vg_buf_append(raw, chunk, n, err);
        if (rc < 0) {
            break;
        }
    }
    s->close(s);
    return rc;
}

/* A small file of the layout (oci-layout, index.json) by name. */
static int
layout_read_file(struct layout_source *ls, const char *name, size_t max, struct vg_buf *b,
                 struct vg_err **err)
{
    if (ls->tarfd < 0) {
        return vg_file_read_at(b, ls->dirfd, name, max, err);
    }
    const struct vg_oci_tar_entry *e = NULL;
    if (vg_oci_tar_lookup_strict(&e, &ls->idx, name, ls->dir, err) < 0) {
        return -1;
    }
    if (e->size > max) {
        return vg_err_set(err, VG_E_LIMIT, "%s:%s: %llu bytes exceeds the limit of %zu", ls->dir,
                          name, (unsigned long long)e->size, max);
    }
    b->max = max + 1;
    if (vg_buf_reserve(b, (size_t)e->size + 1, err) < 0 ||
        vg_oci_tar_pread(ls->tarfd, e->offset, b->data, (size_t)e->size, err) < 0) {
        return -1;
    }
    b->len = (size_t)e->size;
    b->data[b->len] = '\0';
    return 0;
}

static int
check_raw(const struct vg_oci_desc *d, const struct vg_buf *raw, struct vg_err **err)
{
    struct vg_oci_verifier *v = vg_oci_verifier_new(&d->digest, d->size);
    int rc = vg_oci_verifier_update(v, raw->data, raw->len, err);
    if (rc == 0) {
        rc = vg_oci_verifier_finish(v, err);
    }
    vg_oci_verifier_free(v);
    return rc;
}

static int
layout_get_manifest(struct vg_oci_source *src, const struct vg_oci_desc *d, struct vg_buf *raw,
                    char **media_type, struct vg_err **err)
{
    struct layout_source *ls = (struct layout_source *)src;
    if (read_small_blob(ls, d, raw, VG_LIMIT_MANIFEST_BYTES, err) < 0) {
        return -1;
    }
    *media_type = vg_strdup(d->media_type);
    return 0;
}

static int
layout_get_root(struct vg_oci_source *src, struct vg_buf *raw, char **media_type,
                struct vg_err **err)
{
    struct layout_source *ls = (struct layout_source *)src;
    if (ls->index_raw) {
        if (vg_buf_append(raw, ls->index_raw, ls->index_len, err) < 0) {
            return -1;
        }
        *media_type = vg_strdup(VG_MT_OCI_INDEX);
        return 0;
    }
    if (layout_get_manifest(src, &ls->root, raw, media_type, err) < 0 ||
        check_raw(&ls->root, raw, err) < 0) {
        free(*media_type);
        *media_type = NULL;
        return vg_err_wrap(err, "%s/index.json entry", ls->dir);
    }
    return 0;
}

static void
layout_free(struct vg_oci_source *src)
{
    struct layout_source *ls = (struct layout_source *)src;
    if (ls->dirfd >= 0) {
        close(ls->dirfd);
    }
    if (ls->tarfd >= 0) {
        close(ls->tarfd);
    }
    vg_oci_tar_index_dispose(&ls->idx);
    free(ls->dir);
    free(ls->tag);
    free(ls->index_raw);
    vg_oci_desc_dispose(&ls->root);
    free(ls->base.reference);
    free(ls);
}

static const struct vg_oci_source_ops layout_ops = {
    .transport = "oci",
    .get_root = layout_get_root,
    .get_manifest = layout_get_manifest,
    .open_blob = layout_open_blob,
    .free = layout_free,
};

static int
check_oci_layout_file(struct layout_source *ls, struct vg_err **err)
{
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_LIMIT_SMALL_JSON_BYTES);
    vg_autojson json_t *j = NULL;
    if (layout_read_file(ls, "oci-layout", 64u * 1024u, &b, err) < 0) {
        if (vg_err_is(*err, VG_E_NOTFOUND)) {
            vg_err_free(err);
            return vg_err_set(err, VG_E_NOTFOUND, "%s is not an OCI layout (no oci-layout file)",
                              ls->dir);
        }
        return -1;
    }
    if (vg_json_parse(&j, b.data, b.len, 64u * 1024u, "oci-layout", err) < 0) {
        return vg_err_wrap(err, "%s", ls->dir);
    }
    const char *v = vg_json_str(j, "imageLayoutVersion");
    if (!v || strcmp(v, "1.0.0") != 0) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "%s/oci-layout: imageLayoutVersion must be \"1.0.0\"", ls->dir);
    }
    return 0;
}

static char *
list_tags(const struct vg_oci_manifest *idx)
{
    struct vg_buf b = VG_BUF_INIT(2048);
    for (size_t i = 0; i < idx->nmanifests; i++) {
        const char *t = vg_json_str(idx->manifests[i].annotations, REF_NAME_ANNOTATION);
        if (t) {
            char *e = vg_escape(t, strlen(t), 64);
            bool full = vg_buf_appendf(&b, NULL, "%s%s", b.len ? ", " : "", e) < 0;
            free(e);
            if (full) {
                break;
            }
        }
    }
    if (b.len == 0) {
        vg_buf_dispose(&b);
        return vg_strdup("none");
    }
    return vg_buf_take(&b, NULL);
}

static int
select_root(struct layout_source *ls, const struct vg_oci_manifest *idx, const uint8_t *raw,
            size_t len, struct vg_err **err)
{
    const struct vg_oci_desc *found = NULL;
    if (ls->tag) {
        for (size_t i = 0; i < idx->nmanifests && !found; i++) {
            const struct vg_oci_desc *d = &idx->manifests[i];
            const char *t = vg_json_str(d->annotations, REF_NAME_ANNOTATION);
            if ((ls->tag[0] == '@' && strcmp(ls->tag + 1, d->digest.text) == 0) ||
                (t && strcmp(t, ls->tag) == 0)) {
                found = d;
            }
        }
        if (!found) {
            vg_autofree char *tags = list_tags(idx);
            vg_autofree char *e = vg_escape(ls->tag, strlen(ls->tag), 128);
            return vg_err_set(err, VG_E_NOTFOUND, "%s: no image \"%s\" in index.json (tags: %s)",
                              ls->dir, e, tags);
        }
    } else if (idx->nmanifests == 1) {
        found = &idx->manifests[0];
    } else if (idx->nmanifests == 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "%s: index.json lists no images", ls->dir);
    } else {
        bool all_platforms = true;
        for (size_t i = 0; i < idx->nmanifests; i++) {
            all_platforms = all_platforms && idx->manifests[i].platform.os &&
                            vg_oci_mt_is_manifest(idx->manifests[i].media_type);
        }
        if (!all_platforms) {
            vg_autofree char *tags = list_tags(idx);
            return vg_err_set(err, VG_E_USAGE,
                              "%s: index.json lists %zu images; name one with oci:%s:TAG "
                              "(tags: %s)",
                              ls->dir, idx->nmanifests, ls->dir, tags);
        }
        ls->index_raw = vg_memdup(raw, len);
        ls->index_len = len;
        return 0;
    }
    vg_oci_desc_copy(&ls->root, found);
    return 0;
}

static int
load_index(struct layout_source *ls, struct vg_err **err)
{
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_LIMIT_SMALL_JSON_BYTES);
    if (layout_read_file(ls, "index.json", VG_LIMIT_SMALL_JSON_BYTES, &b, err) < 0) {
        return vg_err_wrap(err, "%s/index.json", ls->dir);
    }
    struct vg_oci_manifest *idx = NULL;
    if (vg_oci_manifest_parse(&idx, b.data, b.len, VG_MT_OCI_INDEX, err) < 0) {
        return vg_err_wrap(err, "%s/index.json", ls->dir);
    }
    int rc = 0;
    if (!idx->is_index) {
        rc = vg_err_set(err, VG_E_PARSE, "%s/index.json: not an image index", ls->dir);
    } else {
        rc = select_root(ls, idx, b.data, b.len, err);
    }
    vg_oci_manifest_free(idx);
    return rc;
}

int
vg_oci_layout_source_new(struct vg_oci_source **out, const char *spec,
                         const struct vg_oci_open_opts *opts, struct vg_err **err)
{
    (void)opts; /* a local directory: no credentials or TLS options apply */
    struct vg_str all = vg_str_c(spec), dir, tag;
    bool has_tag = vg_str_cut(all, ':', &dir, &tag);
    if (dir.len == 0) {
        return vg_err_set(err, VG_E_USAGE, "oci: needs a directory (oci:DIR[:TAG])");
    }
    if (has_tag && tag.len == 0) {
        return vg_err_set(err, VG_E_USAGE, "oci:%s: empty tag", spec);
    }
    struct layout_source *ls = vg_calloc(1, sizeof(*ls));
    ls->base.ops = &layout_ops;
    ls->dir = vg_str_dup(dir);
    ls->tag = has_tag ? vg_str_dup(tag) : NULL;
    ls->base.reference =
        has_tag ? vg_fmt("oci:%s:%s", ls->dir, ls->tag) : vg_fmt("oci:%s", ls->dir);
    ls->tarfd = -1;
    ls->dirfd = open(ls->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (ls->dirfd < 0) {
        rc = errno == ENOENT ? vg_err_set(err, VG_E_NOTFOUND, "%s: no such directory", ls->dir)
                             : vg_err_sys(err, VG_E_IO, "open %s", ls->dir);
    } else if (check_oci_layout_file(ls, err) < 0 || load_index(ls, err) < 0) {
        rc = -1;
    }
    if (rc < 0) {
        layout_free(&ls->base);
        return -1;
    }
    *out = &ls->base;
    return 0;
}

/* ---------------------------------------------------------------- oci-archive */

static const struct vg_oci_source_ops oci_archive_ops = {
    .transport = "oci-archive",
    .get_root = layout_get_root,
    .get_manifest = layout_get_manifest,
    .open_blob = layout_open_blob,
    .free = layout_free,
};

/* Opens FILE (or takes layers/' decompressed copy) and indexes the tar. */
static int
oci_archive_open(struct layout_source *ls, struct vg_oci_archive_plain *plain, struct vg_err **err)
{
    uint64_t size;
    if (plain) {
        ls->tarfd = plain->fd;
        plain->fd = -1;
        size = plain->size;
    } else {
        ls->tarfd = open(ls->dir, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (ls->tarfd < 0) {
            return errno == ENOENT ? vg_err_set(err, VG_E_NOTFOUND, "%s: no such file", ls->dir)
                                   : vg_err_sys(err, VG_E_IO, "open %s", ls->dir);
        }
        if (fstat(ls->tarfd, &st) < 0) {
            return vg_err_sys(err, VG_E_IO, "stat %s", ls->dir);
        }
        if (!S_ISREG(st.st_mode)) {
            return vg_err_set(err, VG_E_USAGE, "%s is not a regular file", ls->dir);
        }
        size = (uint64_t)st.st_size;
        uint8_t m[VG_COMP_MAGIC_BYTES] = {0};
        size_t mlen = size < sizeof(m) ? (size_t)size : sizeof(m);
        if (vg_oci_tar_pread(ls->tarfd, 0, m, mlen, err) < 0) {
            return vg_err_wrap(err, "%s", ls->dir);
        }
        enum vg_compression c = vg_compression_detect(m, mlen);
        if (c != VG_COMP_NONE) {
            return vg_err_set(err, VG_E_UNSUPPORTED,
                              "%s is %s-compressed: open it through layers/ "
                              "(vg_layers_image_open), which decompresses it",
                              ls->dir, vg_compression_name(c));
        }
    }
    if (vg_oci_tar_index_build(&ls->idx, ls->tarfd, size, err) < 0) {
        return vg_err_wrap(err, "%s", ls->dir);
    }
    if (ls->idx.escaped) {
        return vg_err_set(err, VG_E_PARSE,
                          "%s: %zu entries escape the archive root (\"..\"): refusing the archive",
                          ls->dir, ls->idx.escaped);
    }
    return 0;
}

int
vg_oci_oci_archive_source_new(struct vg_oci_source **out, const char *spec,
                              struct vg_oci_archive_plain *plain,
                              const struct vg_oci_open_opts *opts, struct vg_err **err)
{
    (void)opts; /* a local file: no credentials or TLS options apply */
    struct vg_str all = vg_str_c(spec), file, tag;
    bool has_tag = vg_str_cut(all, ':', &file, &tag);
    int rc = 0;
    if (file.len == 0) {
        rc = vg_err_set(err, VG_E_USAGE, "oci-archive: needs a file (oci-archive:FILE[:TAG])");
    } else if (has_tag && tag.len == 0) {
        rc = vg_err_set(err, VG_E_USAGE, "oci-archive:%s: empty tag", spec);
    }
    if (rc < 0) {
        if (plain && plain->fd >= 0) {
            close(plain->fd);
            plain->fd = -1;
        }
        return -1;
    }
    struct layout_source *ls = vg_calloc(1, sizeof(*ls));
    ls->base.ops = &oci_archive_ops;
    ls->dirfd = -1;
    ls->tarfd = -1;
    ls->dir = vg_str_dup(file);
    ls->tag = has_tag ? vg_str_dup(tag) : NULL;
    ls->base.reference = vg_fmt("oci-archive:%s", spec);
    if (oci_archive_open(ls, plain, err) < 0 || check_oci_layout_file(ls, err) < 0 ||
        load_index(ls, err) < 0) {
        layout_free(&ls->base);
        return -1;
    }
    *out = &ls->base;
    return 0;
}
