/* SPDX-License-Identifier: Apache-2.0
 *
 * The docker-archive transport, "docker-archive:FILE[:REF]": tarballs written by `docker save`
 * and `skopeo copy ... docker-archive:`. manifest.json lists images as {Config, RepoTags,
 * Layers}; layers are uncompressed tars named either "<id>/layer.tar" (classic, where repeated
 * layers may be symlinks) or "blobs/sha256/<hex>" (Docker 25+), and configs "<hex>.json" or
 * "blobs/sha256/<hex>". REF is a tag from RepoTags (normalized before comparing) or "@N", the
 * N-th image.
 *
 * Such archives carry no registry manifest, so one is synthesized byte for byte as
 * containers/image does (Docker schema2; layer digests are the diffIDs, sizes the tar sizes):
 * the manifest digest then agrees with `skopeo inspect --raw`.
 *
 * The tar is indexed once by reading headers only (ustar, GNU long names, pax path/size) and
 * blobs are then read in place with pread; nothing is extracted. A gzip- or zstd-compressed
 * archive (detected by magic) is first decompressed once by layers/ (vg_layers_image_open:
 * oci/ owns no decompressor) into an unlinked temporary file,
 * bounded in size, and read from there; layer digests are then verified exactly as for a
 * plain archive. Compressed layers inside an archive are refused as unsupported.
 */
#include "archive_int.h"
#include "manifest_int.h"
#include "source_int.h"

#include "core/compress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAR_BLOCK     512u
#define TAR_LINK_HOPS 8u /* symlink/hardlink chain length we follow inside an archive */
#define MANIFEST_JSON "manifest.json"

/* ---------------------------------------------------------------- tar index */

struct tar_in {
    int fd; /* -1 for memory input */
    const uint8_t *mem;
    uint64_t size;
};

static int
tar_read_at(const struct tar_in *in, uint64_t off, void *buf, size_t n, struct vg_err **err)
{
    uint64_t end;
    if (vg_ckd_add(&end, off, (uint64_t)n) || end > in->size) {
        return vg_err_set(err, VG_E_PARSE, "tar truncated at offset %llu", (unsigned long long)off);
    }
    if (in->fd < 0) {
        memcpy(buf, in->mem + off, n);
        return 0;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(in->fd, (uint8_t *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return vg_err_sys(err, VG_E_IO, "read tar at offset %llu", (unsigned long long)off);
        }
        if (r == 0) {
            return vg_err_set(err, VG_E_PARSE, "tar truncated at offset %llu",
                              (unsigned long long)(off + done));
        }
        done += (size_t)r;
    }
    return 0;
}

static bool
tar_octal(const uint8_t *f, size_t n, uint64_t *out)
{
    if (f[0] & 0x80) { /* GNU base-256 for large values; negative values are refused */
        if (f[0] & 0x40) {
            return false;
        }
        uint64_t v = f[0] & 0x3f;
        for (size_t i = 1; i < n; i++) {
            if (v > (UINT64_MAX >> 8)) {
                return false;
            }
            v = (v << 8) | f[i];
        }
        *out = v;
        return true;
    }
    size_t i = 0;
    while (i < n && f[i] == ' ') {
        i++;
    }
    uint64_t v = 0;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v > (UINT64_MAX >> 3)) {
            return false;
        }
        v = (v << 3) | (uint64_t)(f[i] - '0');
    }
    for (; i < n; i++) {
        if (f[i] != ' ' && f[i] != '\0') {
            return false;
        }
    }
    *out = v; /* an all-blank field is 0, as GNU tar reads it */
    return true;
}

static bool
tar_checksum_ok(const uint8_t *h)
{
    uint64_t want;
    if (!tar_octal(h + 148, 8, &want)) {
        return false;
    }
    uint64_t u = 0;
    int64_t s = 0;
    for (size_t i = 0; i < TAR_BLOCK; i++) {
        uint8_t c = (i >= 148 && i < 156) ? ' ' : h[i];
        u += c;
        s += (int8_t)c;
    }
    return u == want || (s >= 0 && (uint64_t)s == want);
}

char *
vg_oci_tar_clean(const char *path, size_t len)
{
    struct vg_buf b = VG_BUF_INIT((size_t)VG_LIMIT_PATH_BYTES + 1);
    size_t *starts = vg_calloc(len / 2 + 2, sizeof(size_t));
    size_t depth = 0, i = 0;
    bool ok = true;
    while (ok && i < len) {
        size_t j = i;
        while (j < len && path[j] != '/') {
            j++;
        }
        size_t cl = j - i;
        if (cl == 0 || (cl == 1 && path[i] == '.')) {
            /* empty or "." component */
        } else if (cl == 2 && path[i] == '.' && path[i + 1] == '.') {
            ok = depth > 0;
            if (ok) {
                b.len = starts[--depth];
                b.data[b.len] = '\0';
            }
        } else {
            starts[depth++] = b.len;
            ok = vg_buf_appendf(&b, NULL, "%s%.*s", b.len ? "/" : "", (int)cl, path + i) == 0;
        }
        i = j + 1;
    }
    free(starts);
    if (!ok) {
        vg_buf_dispose(&b);
        return NULL;
    }
    if (b.len == 0) {
        vg_buf_dispose(&b);
        return vg_strdup(".");
    }
    return vg_buf_take(&b, NULL);
}

/* pax records: "<len> <key>=<value>\n"; only path, linkpath and size matter here. */
static int
tar_parse_pax(const uint8_t *p, size_t n, char **path, char **link, uint64_t *size, bool *has_size,
              struct vg_err **err)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && p[j] >= '0' && p[j] <= '9') {
            j++;
        }
        uint64_t rl;
        if (j == i || j >= n || p[j] != ' ' ||
            vg_parse_u64((struct vg_str){(const char *)p + i, j - i}, n - i, &rl) < 0 ||
            rl <= j - i + 1 || p[i + rl - 1] != '\n') {
            return vg_err_set(err, VG_E_PARSE, "tar: malformed pax record");
        }
        struct vg_str rec = {(const char *)p + j + 1, (size_t)rl - (j - i) - 2};
        struct vg_str key, val;
        if (vg_str_cut(rec, '=', &key, &val)) {
            if (vg_str_eq_c(key, "path")) {
                free(*path);
                *path = vg_str_dup(val);
            } else if (vg_str_eq_c(key, "linkpath")) {
                free(*link);
                *link = vg_str_dup(val);
            } else if (vg_str_eq_c(key, "size")) {
                if (vg_parse_u64(val, UINT64_MAX, size) < 0) {
                    return vg_err_set(err, VG_E_PARSE, "tar: bad pax size");
                }
                *has_size = true;
            }
        }
        i += (size_t)rl;
    }
    return 0;
}

static char *
tar_field_str(const uint8_t *f, size_t n)
{
    size_t l = 0;
    while (l < n && f[l]) {
        l++;
    }
    return vg_strndup((const char *)f, l);
}

struct tar_pending {
    char *name, *link;
    uint64_t size;
    bool has_size;
};

static void
pending_reset(struct tar_pending *pd)
{
    free(pd->name);
    free(pd->link);
    *pd = (struct tar_pending){0};
}

/* Reads an extension entry's data (GNU long name, pax) of bounded size. */
static int
tar_ext_data(const struct tar_in *in, uint64_t off, uint64_t size, size_t max, uint8_t **out,
             struct vg_err **err)
{
    if (size > max) {
        return vg_err_set(err, VG_E_LIMIT, "tar: extension header of %llu bytes at offset %llu",
                          (unsigned long long)size, (unsigned long long)off);
    }
    *out = vg_malloc((size_t)size + 1);
    if (tar_read_at(in, off, *out, (size_t)size, err) < 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    (*out)[size] = '\0';
    return 0;
}

static void
tar_add(struct vg_oci_tar_index *idx, struct vg_oci_tar_entry e)
{
    idx->entries = vg_vec_grow(idx->entries, &idx->cap, idx->n, 1, sizeof(*idx->entries));
    idx->entries[idx->n++] = e;
}

static enum vg_oci_tar_type
tar_type(uint8_t t)
{
    switch (t) {
    case '0':
    case '\0':
    case '7':
        return VG_TAR_FILE;
    case '1':
        return VG_TAR_HARDLINK;
    case '2':
        return VG_TAR_SYMLINK;
    case '5':
        return VG_TAR_DIR;
    default:
        return VG_TAR_OTHER;
    }
}

/* One header at *off: extension headers fill `pd`, real entries are added to idx. */
static int
tar_step(struct vg_oci_tar_index *idx, const struct tar_in *in, uint64_t *off,
         struct tar_pending *pd, bool *end, struct vg_err **err)
{
    uint8_t h[TAR_BLOCK];
    if (tar_read_at(in, *off, h, TAR_BLOCK, err) < 0) {
        return -1;
    }
    static const uint8_t zero[TAR_BLOCK];
    if (memcmp(h, zero, TAR_BLOCK) == 0) {
        *end = true;
        return 0;
    }
    uint64_t size;
    if (!tar_checksum_ok(h) || !tar_octal(h + 124, 12, &size)) {
        return vg_err_set(err, VG_E_PARSE, "tar: corrupt header at offset %llu",
                          (unsigned long long)*off);
    }
    uint64_t data = *off + TAR_BLOCK, padded;
    if (pd->has_size) {
        size = pd->size;
    }
    if (vg_ckd_add(&padded, size, (uint64_t)(TAR_BLOCK - 1)) ||
        vg_ckd_add(off, data, padded - padded % TAR_BLOCK)) {
        return vg_err_set(err, VG_E_PARSE, "tar: entry size overflows at offset %llu",
                          (unsigned long long)data);
    }
    uint64_t data_end;
    if (vg_ckd_add(&data_end, data, size) || data_end > in->size) {
        return vg_err_set(err, VG_E_PARSE,
                          "tar truncated: entry at offset %llu needs %llu bytes of data",
                          (unsigned long long)(data - TAR_BLOCK), (unsigned long long)size);
    }
    uint8_t t = h[156];
    if (t == 'L' || t == 'K' || t == 'x') {
        uint8_t *ext = NULL;
        size_t max = t == 'x' ? VG_OCI_TAR_MAX_PAX_BYTES : VG_LIMIT_PATH_BYTES;
        if (tar_ext_data(in, data, size, max, &ext, err) < 0) {
            return -1;
        }
        int rc = 0;
        if (t == 'x') {
            rc = tar_parse_pax(ext, (size_t)size, &pd->name, &pd->link, &pd->size, &pd->has_size,
                               err);
        } else {
            char **dst = t == 'L' ? &pd->name : &pd->link;
            free(*dst);
            *dst = vg_strdup((const char *)ext);
        }
        free(ext);
        return rc;
    }
    if (t == 'g') {
        return 0;
    }
    if (idx->n >= VG_OCI_TAR_MAX_ENTRIES) {
        return vg_err_set(err, VG_E_LIMIT, "tar: more than %u entries", VG_OCI_TAR_MAX_ENTRIES);
    }
    char *raw = pd->name;
    if (!raw) {
        bool ustar = memcmp(h + 257, "ustar\0", 6) == 0;
        vg_autofree char *nm = tar_field_str(h, 100);
        vg_autofree char *pre = ustar ? tar_field_str(h + 345, 155) : vg_strdup("");
        raw = *pre ? vg_fmt("%s/%s", pre, nm) : vg_steal_ptr(&nm);
    }
    pd->name = NULL;
    struct vg_oci_tar_entry e = {0};
    e.name = vg_oci_tar_clean(raw, strlen(raw));
    free(raw);
    e.type = tar_type(t);
    e.offset = data;
    e.size = size;
    if (e.type == VG_TAR_SYMLINK || e.type == VG_TAR_HARDLINK) {
        e.link = pd->link ? vg_steal_ptr(&pd->link) : tar_field_str(h + 157, 100);
    }
    pending_reset(pd);
    if (!e.name) { /* escapes the root: data, never a lookup target */
        free(e.link);
        idx->escaped++;
        return 0;
    }
    tar_add(idx, e);
    return 0;
}

static int
tar_index(struct vg_oci_tar_index *idx, const struct tar_in *in, struct vg_err **err)
{
    *idx = (struct vg_oci_tar_index){0};
    struct tar_pending pd = {0};
    uint64_t off = 0;
    bool end = false;
    int rc = 0;
    while (!end && off < in->size) {
        rc = tar_step(idx, in, &off, &pd, &end, err);
        if (rc < 0) {
            break;
        }
    }
    pending_reset(&pd);
    if (rc < 0) {
        vg_oci_tar_index_dispose(idx);
        return -1;
    }
    return 0;
}

int
vg_oci_tar_index_build(struct vg_oci_tar_index *idx, int fd, uint64_t file_size,
                       struct vg_err **err)
{
    struct tar_in in = {fd, NULL, file_size};
    return tar_index(idx, &in, err);
}

int
vg_oci_tar_index_build_mem(struct vg_oci_tar_index *idx, const uint8_t *data, size_t len,
                           struct vg_err **err)
{
    struct tar_in in = {-1, data, len};
    return tar_index(idx, &in, err);
}

void
vg_oci_tar_index_dispose(struct vg_oci_tar_index *idx)
{
    for (size_t i = 0; i < idx->n; i++) {
        free(idx->entries[i].name);
        free(idx->entries[i].link);
    }
    free(idx->entries);
    *idx = (struct vg_oci_tar_index){0};
}

static const struct vg_oci_tar_entry *
tar_find(const struct vg_oci_tar_index *idx, const char *name)
{
    /* The last entry of a name wins, as when a tar is extracted. */
    for (size_t i = idx->n; i-- > 0;) {
        if (strcmp(idx->entries[i].name, name) == 0) {
            return &idx->entries[i];
        }
    }
    return NULL;
}

const struct vg_oci_tar_entry *
vg_oci_tar_lookup(const struct vg_oci_tar_index *idx, const char *name)
{
    const struct vg_oci_tar_entry *e = tar_find(idx, name);
    for (unsigned hops = 0; e && hops <= TAR_LINK_HOPS; hops++) {
        if (e->type == VG_TAR_FILE) {
            return e;
        }
        if (e->type != VG_TAR_SYMLINK && e->type != VG_TAR_HARDLINK) {
            return NULL;
        }
        char *target;
        if (e->type == VG_TAR_SYMLINK && e->link[0] != '/') {
            const char *slash = strrchr(e->name, '/');
            char *joined = slash ? vg_fmt("%.*s/%s", (int)(slash - e->name), e->name, e->link)
                                 : vg_strdup(e->link);
            target = vg_oci_tar_clean(joined, strlen(joined));
            free(joined);
        } else {
            target = vg_oci_tar_clean(e->link, strlen(e->link));
        }
        e = target ? tar_find(idx, target) : NULL;
        free(target);
    }
    return NULL;
}

int
vg_oci_tar_lookup_strict(const struct vg_oci_tar_entry **out, const struct vg_oci_tar_index *idx,
                         const char *name, const char *file, struct vg_err **err)
{
    const struct vg_oci_tar_entry *e = NULL;
    size_t count = 0;
    for (size_t i = 0; i < idx->n; i++) {
        if (strcmp(idx->entries[i].name, name) == 0) {
            e = &idx->entries[i];
            count++;
        }
    }
    vg_autofree char *esc = vg_escape(name, strlen(name), 200);
    if (!e) {
        return vg_err_set(err, VG_E_NOTFOUND, "%s: \"%s\" is missing from the archive", file, esc);
    }
    if (count > 1) {
        return vg_err_set(err, VG_E_PARSE, "%s: \"%s\" occurs %zu times in the archive", file, esc,
                          count);
    }
    if (e->type == VG_TAR_SYMLINK || e->type == VG_TAR_HARDLINK) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "%s: \"%s\" is a %s in the archive; links are not followed", file, esc,
                          e->type == VG_TAR_SYMLINK ? "symlink" : "hardlink");
    }
    if (e->type != VG_TAR_FILE) {
        return vg_err_set(err, VG_E_PARSE, "%s: \"%s\" is not a regular file in the archive", file,
                          esc);
    }
    *out = e;
    return 0;
}

int
vg_oci_tar_pread(int fd, uint64_t off, void *buf, size_t n, struct vg_err **err)
{
    struct tar_in in = {fd, NULL, UINT64_MAX};
    return tar_read_at(&in, off, buf, n, err);
}

/* ---------------------------------------------------------------- docker-archive source */

struct archive_layer {
    const struct vg_oci_tar_entry *e;
    struct vg_digest diff_id;
};

struct archive_source {
    struct vg_oci_source base;
    int fd;
    char *file;
    struct vg_oci_tar_index idx;
    const struct vg_oci_tar_entry *config;
    struct vg_digest config_digest;
    struct archive_layer *layers;
    size_t nlayers;
    struct vg_buf manifest; /* synthesized schema2 manifest */
};

struct range_stream {
    struct vg_oci_stream base;
    int fd; /* borrowed from the source */
    uint64_t off, left;
    char *what;
};

static int
range_read(struct vg_oci_stream *s, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    struct range_stream *r = (struct range_stream *)s;
    size_t n = cap;
    if ((uint64_t)n > r->left) {
        n = (size_t)r->left;
    }
    *got = 0;
    if (n == 0) {
        return 0;
    }
    for (;;) {
        ssize_t k = pread(r->fd, buf, n, (off_t)r->off);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0) {
            return vg_err_sys(err, VG_E_IO, "read %s", r->what);
        }
        if (k == 0) {
            return vg_err_set(err, VG_E_PARSE, "%s: archive truncated", r->what);
        }
        r->off += (uint64_t)k;
        r->left -= (uint64_t)k;
        *got = (size_t)k;
        return 0;
    }
}

static void
range_close(struct vg_oci_stream *s)
{
    struct range_stream *r = (struct range_stream *)s;
    free(r->what);
    free(r);
}

struct vg_oci_stream *
vg_oci_range_stream_new(int fd, uint64_t off, uint64_t size, char *what)
{
    struct range_stream *r = vg_calloc(1, sizeof(*r));
    r->base.read = range_read;
    r->base.close = range_close;
    r->fd = fd;
    r->off = off;
    r->left = size;
    r->what = what;
    return &r->base;
}

static int
archive_open_blob(struct vg_oci_source *src, const struct vg_oci_desc *d,
                  struct vg_oci_stream **out, struct vg_err **err)
{
    struct archive_source *as = (struct archive_source *)src;
    const struct vg_oci_tar_entry *e = NULL;
    if (vg_digest_eq(&d->digest, &as->config_digest)) {
        e = as->config;
    }
    for (size_t i = 0; !e && i < as->nlayers; i++) {
        if (vg_digest_eq(&d->digest, &as->layers[i].diff_id)) {
            e = as->layers[i].e;
        }
    }
    if (!e) {
        return vg_err_set(err, VG_E_NOTFOUND, "blob %s not found in %s", d->digest.text, as->file);
    }
    *out = vg_oci_range_stream_new(as->fd, e->offset, e->size, vg_fmt("%s:%s", as->file, e->name));
    return 0;
}

static int
archive_get_root(struct vg_oci_source *src, struct vg_buf *raw, char **media_type,
                 struct vg_err **err)
{
    struct archive_source *as = (struct archive_source *)src;
    if (vg_buf_append(raw, as->manifest.data, as->manifest.len, err) < 0) {
        return -1;
    }
    *media_type = vg_strdup(VG_MT_DOCKER_MANIFEST);
    return 0;
}

static int
archive_get_manifest(struct vg_oci_source *src, const struct vg_oci_desc *d, struct vg_buf *raw,
                     char **media_type, struct vg_err **err)
{
    struct archive_source *as = (struct archive_source *)src;
    (void)raw;
    (void)media_type;
    return vg_err_set(err, VG_E_NOTFOUND, "%s: docker archives hold no manifest %s", as->file,
                      d->digest.text);
}

static void
archive_source_free(struct vg_oci_source *src)
{
    struct archive_source *as = (struct archive_source *)src;
    if (as->fd >= 0) {
        close(as->fd);
    }
    free(as->file);
    vg_oci_tar_index_dispose(&as->idx);
    free(as->layers);
    vg_buf_dispose(&as->manifest);
    free(as->base.reference);
    free(as);
}

static const struct vg_oci_source_ops archive_ops = {
    .transport = "docker-archive",
    .get_root = archive_get_root,
    .get_manifest = archive_get_manifest,
    .open_blob = archive_open_blob,
    .free = archive_source_free,
};

/* Reads a whole small file of the archive. */
static int
archive_read_entry(struct archive_source *as, const struct vg_oci_tar_entry *e, size_t max,
                   struct vg_buf *out, struct vg_err **err)
{
    if (e->size > max) {
        return vg_err_set(err, VG_E_LIMIT, "%s:%s: %llu bytes exceeds the limit of %zu", as->file,
                          e->name, (unsigned long long)e->size, max);
    }
    struct tar_in in = {as->fd, NULL, UINT64_MAX};
    out->max = max;
    if (vg_buf_reserve(out, (size_t)e->size + 1, err) < 0 ||
        tar_read_at(&in, e->offset, out->data, (size_t)e->size, err) < 0) {
        return vg_err_wrap(err, "%s:%s", as->file, e->name);
    }
    out->len = (size_t)e->size;
    out->data[out->len] = '\0';
    return 0;
}

static const struct vg_oci_tar_entry *
archive_entry(struct archive_source *as, const char *path, const char *what, struct vg_err **err)
{
    vg_autofree char *clean = vg_oci_tar_clean(path, strlen(path));
    const struct vg_oci_tar_entry *e = clean ? vg_oci_tar_lookup(&as->idx, clean) : NULL;
    if (!e) {
        vg_autofree char *esc = vg_escape(path, strlen(path), 200);
        vg_err_set(err, VG_E_NOTFOUND, "%s: %s \"%s\" is missing from the archive", as->file, what,
                   esc);
    }
    return e;
}

static bool
tags_match(const char *want, const char *have)
{
    struct vg_oci_ref *a = NULL, *b = NULL;
    bool eq = false;
    if (vg_oci_ref_parse(&a, want, NULL) == 0 && vg_oci_ref_parse(&b, have, NULL) == 0) {
        char *sa = vg_oci_ref_string(a), *sb = vg_oci_ref_string(b);
        eq = strcmp(sa, sb) == 0;
        free(sa);
        free(sb);
    }
    vg_oci_ref_free(a);
    vg_oci_ref_free(b);
    return eq;
}

static int
select_image(const json_t **out, struct archive_source *as, const json_t *list, const char *ref,
             struct vg_err **err)
{
    size_t n = json_array_size(list);
    if (!ref) {
        if (n != 1) {
            return vg_err_set(err, n ? VG_E_USAGE : VG_E_NOTFOUND,
                              "%s holds %zu images; name one with docker-archive:%s:REF or "
                              ":@N",
                              as->file, n, as->file);
        }
        *out = json_array_get(list, 0);
        return 0;
    }
    if (ref[0] == '@') {
        uint64_t i;
        if (vg_parse_u64(vg_str_c(ref + 1), UINT32_MAX, &i) < 0 || i >= n) {
            return vg_err_set(err, VG_E_NOTFOUND, "%s: no image %s (the archive holds %zu)",
                              as->file, ref, n);
        }
        *out = json_array_get(list, (size_t)i);
        return 0;
    }
    struct vg_oci_ref *r = NULL;
    if (vg_oci_ref_parse(&r, ref, err) < 0) {
        return -1;
    }
    bool has_digest = r->digest != NULL;
    vg_oci_ref_free(r);
    if (has_digest) {
        return vg_err_set(err, VG_E_USAGE, "docker-archive references cannot contain digests");
    }
    for (size_t i = 0; i < n; i++) {
        json_t *tags = vg_json_arr(json_array_get(list, i), "RepoTags");
        for (size_t j = 0; j < json_array_size(tags); j++) {
            const char *t = json_string_value(json_array_get(tags, j));
            if (t && tags_match(ref, t)) {
                *out = json_array_get(list, i);
                return 0;
            }
        }
    }
    vg_autofree char *e = vg_escape(ref, strlen(ref), 200);
    return vg_err_set(err, VG_E_NOTFOUND, "%s: no image tagged \"%s\"", as->file, e);
}

/* Refuses compressed layer tars: their diffID would not describe the stored bytes. */
static int
check_uncompressed(struct archive_source *as, const struct vg_oci_tar_entry *e, struct vg_err **err)
{
    uint8_t m[VG_COMP_MAGIC_BYTES] = {0};
    size_t n = e->size < sizeof(m) ? (size_t)e->size : sizeof(m);
    struct tar_in in = {as->fd, NULL, UINT64_MAX};
    if (tar_read_at(&in, e->offset, m, n, err) < 0) {
        return -1;
    }
    enum vg_compression c = vg_compression_detect(m, n);
    if (c != VG_COMP_NONE) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "%s:%s: %s-compressed layers in docker archives are not supported",
                          as->file, e->name, vg_compression_name(c));
    }
    return 0;
}

static int
load_layers(struct archive_source *as, const json_t *item, const struct vg_oci_config *cfg,
            struct vg_err **err)
{
    json_t *layers = vg_json_arr(item, "Layers");
    size_t n = json_array_size(layers);
    if (!layers) {
        return vg_err_set(err, VG_E_PARSE, "%s: manifest.json: Layers missing", as->file);
    }
    if (n != cfg->ndiff_ids) {
        return vg_err_set(err, VG_E_PARSE,
                          "%s: manifest.json lists %zu layers but the config has %zu diff_ids",
                          as->file, n, cfg->ndiff_ids);
    }
    as->layers = vg_calloc(n ? n : 1, sizeof(*as->layers));
    for (size_t i = 0; i < n; i++) {
        const char *p = json_string_value(json_array_get(layers, i));
        if (!p) {
            return vg_err_set(err, VG_E_PARSE, "%s: manifest.json: Layers/%zu not a string",
                              as->file, i);
        }
        const struct vg_oci_tar_entry *e = archive_entry(as, p, "layer", err);
        if (!e || check_uncompressed(as, e, err) < 0) {
            return -1;
        }
        as->layers[i] = (struct archive_layer){e, cfg->diff_ids[i]};
        as->nlayers++;
    }
    return 0;
}

/* The manifest containers/image synthesizes for docker-archive sources (Go encoding/json of
 * manifest.Schema2: fixed member order, compact, no trailing newline). */
static int
synthesize_manifest(struct archive_source *as, uint64_t config_size, struct vg_err **err)
{
    struct vg_buf *b = &as->manifest;
    vg_buf_init(b, VG_LIMIT_MANIFEST_BYTES);
    if (vg_buf_appendf(b, err,
                       "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
                       "\"%s\",\"size\":%llu,\"digest\":\"%s\"},\"layers\":[",
                       VG_MT_DOCKER_MANIFEST, VG_MT_DOCKER_CONFIG, (unsigned long long)config_size,
                       as->config_digest.text) < 0) {
        return -1;
    }
    for (size_t i = 0; i < as->nlayers; i++) {
        if (vg_buf_appendf(b, err, "%s{\"mediaType\":\"%s\",\"size\":%llu,\"digest\":\"%s\"}",
                           i ? "," : "", VG_MT_DOCKER_LAYER,
                           (unsigned long long)as->layers[i].e->size,
                           as->layers[i].diff_id.text) < 0) {
            return -1;
        }
    }
    return vg_buf_append_str(b, "]}", err);
}

static int
load_image(struct archive_source *as, const char *ref, struct vg_err **err)
{
    const struct vg_oci_tar_entry *me = archive_entry(as, MANIFEST_JSON, "file", err);
    if (!me) {
        return vg_err_wrap(err, "not a docker archive");
    }
    vg_autobuf struct vg_buf mj = VG_BUF_INIT(VG_LIMIT_SMALL_JSON_BYTES);
    vg_autojson json_t *list = NULL;
    if (archive_read_entry(as, me, VG_LIMIT_SMALL_JSON_BYTES, &mj, err) < 0 ||
        vg_json_parse(&list, mj.data, mj.len, VG_LIMIT_SMALL_JSON_BYTES, "manifest.json", err) <
            0) {
        return vg_err_wrap(err, "%s", as->file);
    }
    if (!json_is_array(list)) {
        return vg_err_set(err, VG_E_PARSE, "%s: manifest.json is not an array", as->file);
    }
    const json_t *item = NULL;
    if (select_image(&item, as, list, ref, err) < 0) {
        return -1;
    }
    const char *cfgname = vg_json_str(item, "Config");
    if (!cfgname) {
        return vg_err_set(err, VG_E_PARSE, "%s: manifest.json: Config missing", as->file);
    }
    as->config = archive_entry(as, cfgname, "config", err);
    vg_autobuf struct vg_buf cb = VG_BUF_INIT(VG_LIMIT_CONFIG_BYTES);
    if (!as->config || archive_read_entry(as, as->config, VG_LIMIT_CONFIG_BYTES, &cb, err) < 0) {
        return -1;
    }
    vg_digest_of(&as->config_digest, VG_DIGEST_SHA256, cb.data, cb.len);
    struct vg_oci_config *cfg = NULL;
    if (vg_oci_config_parse(&cfg, cb.data, cb.len, err) < 0) {
        return vg_err_wrap(err, "%s:%s", as->file, as->config->name);
    }
    int rc = load_layers(as, item, cfg, err);
    vg_oci_config_free(cfg);
    if (rc < 0) {
        return -1;
    }
    return synthesize_manifest(as, cb.len, err);
}

/* Opens FILE, or takes the decompressed copy layers/ made of it, and indexes the tar. */
static int
open_archive_file(struct archive_source *as, struct vg_oci_archive_plain *plain,
                  struct vg_err **err)
{
    if (plain) {
        as->fd = plain->fd;
        plain->fd = -1;
        if (vg_oci_tar_index_build(&as->idx, as->fd, plain->size, err) < 0) {
            return vg_err_wrap(err, "%s (decompressed %s)", as->file, plain->compression);
        }
        return 0;
    }
    as->fd = open(as->file, O_RDONLY | O_CLOEXEC);
    if (as->fd < 0) {
        return errno == ENOENT ? vg_err_set(err, VG_E_NOTFOUND, "%s: no such file", as->file)
                               : vg_err_sys(err, VG_E_IO, "open %s", as->file);
    }
    struct stat st;
    if (fstat(as->fd, &st) < 0) {
        return vg_err_sys(err, VG_E_IO, "stat %s", as->file);
    }
    if (!S_ISREG(st.st_mode)) {
        return vg_err_set(err, VG_E_USAGE, "%s is not a regular file", as->file);
    }
    uint64_t size = (uint64_t)st.st_size;
    uint8_t m[VG_COMP_MAGIC_BYTES] = {0};
    struct tar_in in = {as->fd, NULL, size};
    size_t mlen = size < sizeof(m) ? (size_t)size : sizeof(m);
    if (tar_read_at(&in, 0, m, mlen, err) < 0) {
        return vg_err_wrap(err, "%s", as->file);
    }
    enum vg_compression c = vg_compression_detect(m, mlen);
    if (c != VG_COMP_NONE) {
        /* oci/ owns no decompressor: layers/ (vg_layers_image_open) unpacks such files. */
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "%s is %s-compressed: open it through layers/ (vg_layers_image_open), "
                          "which decompresses it",
                          as->file, vg_compression_name(c));
    }
    if (vg_oci_tar_index_build(&as->idx, as->fd, size, err) < 0) {
        return vg_err_wrap(err, "%s", as->file);
    }
    return 0;
}

static int
archive_source_new(struct vg_oci_source **out, const char *spec, struct vg_oci_archive_plain *plain,
                   struct vg_err **err)
{
    struct vg_str all = vg_str_c(spec), file, ref;
    bool has_ref = vg_str_cut(all, ':', &file, &ref);
    if (file.len == 0) {
        return vg_err_set(err, VG_E_USAGE,
                          "docker-archive: needs a file (docker-archive:FILE[:REF])");
    }
    if (has_ref && ref.len == 0) {
        return vg_err_set(err, VG_E_USAGE, "docker-archive:%s: empty reference", spec);
    }
    struct archive_source *as = vg_calloc(1, sizeof(*as));
    as->base.ops = &archive_ops;
    as->fd = -1;
    as->file = vg_str_dup(file);
    as->base.reference = vg_fmt("docker-archive:%s", spec);
    vg_autofree char *r = has_ref ? vg_str_dup(ref) : NULL;
    if (open_archive_file(as, plain, err) < 0 || load_image(as, r, err) < 0) {
        archive_source_free(&as->base);
        return -1;
    }
    *out = &as->base;
    return 0;
}

int
vg_oci_archive_source_new(struct vg_oci_source **out, const char *spec,
                          const struct vg_oci_open_opts *opts, struct vg_err **err)
{
    (void)opts; /* a local file: no credentials or TLS options apply */
    return archive_source_new(out, spec, NULL, err);
}

int
vg_oci_archive_source_new_plain(struct vg_oci_source **out, const char *spec,
                                struct vg_oci_archive_plain *plain,
                                const struct vg_oci_open_opts *opts, struct vg_err **err)
{
    (void)opts;
    int rc = archive_source_new(out, spec, plain, err);
    if (plain->fd >= 0) { /* not taken: refused before the file was read */
        close(plain->fd);
        plain->fd = -1;
    }
    return rc;
}
