/* SPDX-License-Identifier: Apache-2.0
 *
 * The containers-storage transport, "containers-storage:[STORE]REF": an image in the local
 * store of podman, buildah, CRI-O and skopeo (containers/storage), read only.
 *
 * The store is found as containers/storage finds it: "[DRIVER@GRAPHROOT+RUNROOT:OPTIONS]"
 * before REF when given (containers/image's syntax), else storage.conf's [storage] table
 * ($CONTAINERS_STORAGE_CONF, or /etc/containers/storage.conf then
 * /usr/share/containers/storage.conf; rootless: ~/.config/containers/storage.conf and
 * rootless_storage_path), else /var/lib/containers/storage (root) or
 * ~/.local/share/containers/storage. The driver is $STORAGE_DRIVER, the configured one, or
 * whichever of overlay and vfs has an images.json. Only overlay and vfs are read.
 *
 * REF is looked up in <driver>-images/images.json, the layer chain in
 * <driver>-layers/layers.json, the config in the image's big-data file. Each layer is rebuilt
 * as its original uncompressed tar from <driver>-layers/<id>.tar-split.gz and the files of the
 * layer directory (overlay/<id>/diff or vfs/dir/<id>), so image.c verifies it against the
 * layer's diff digest like any blob and layers/ applies its whiteouts as written. A manifest is
 * synthesized (OCI, layers uncompressed: digest = diff digest), so the manifest digest is not
 * the one the image had in a registry.
 *
 * Nothing is written and no lock is taken: the JSON files are read once each (containers/storage
 * replaces them by rename), and a layer changed or removed meanwhile fails verification or is
 * "not found" instead of being misread. Podman is never blocked by a scan.
 */
#include "cstore_int.h"
#include "source_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cstore_source {
    struct vg_oci_source base;
    const struct vg_oci_gunzip *gz;
    char *graphroot, *driver;
    int rootfd, layersfd, contentfd;
    struct vg_cstore_image im;
    uint8_t *config;
    size_t config_len;
    struct vg_digest config_digest;
    struct vg_buf manifest;
};

struct cstore_loc {
    char *graphroot, *driver, *ref;
};

static void
loc_dispose(struct cstore_loc *l)
{
    free(l->graphroot);
    free(l->driver);
    free(l->ref);
}

/* "[DRIVER@GRAPHROOT+RUNROOT:OPTIONS]REF": the store part as containers/image reads it. */
static int
loc_from_brackets(struct cstore_loc *l, const char *spec, struct vg_err **err)
{
    const char *close_b = strchr(spec, ']');
    if (!close_b) {
        return vg_err_set(err, VG_E_USAGE, "containers-storage:%s: unterminated [store]", spec);
    }
    struct vg_str st = {spec + 1, (size_t)(close_b - spec - 1)}, drv, rest, opts;
    const char *at = memchr(st.ptr, '@', st.len), *sl = memchr(st.ptr, '/', st.len);
    if (at && (!sl || at < sl)) {
        vg_str_cut(st, '@', &drv, &st);
        l->driver = vg_str_dup(drv);
    }
    vg_str_cut(st, ':', &st, &opts);
    vg_str_cut(st, '+', &st, &rest);
    l->graphroot = vg_str_dup(st);
    l->ref = vg_strdup(close_b + 1);
    if (l->graphroot[0] != '/') {
        return vg_err_set(err, VG_E_USAGE,
                          "containers-storage:%s: the store needs an absolute graph root "
                          "([DRIVER@/GRAPHROOT+RUNROOT]REF)",
                          spec);
    }
    return 0;
}

static char *
home_path(const char *xdg_env, const char *fallback, const char *leaf)
{
    const char *x = getenv(xdg_env), *home = getenv("HOME");
    if (x && *x == '/') {
        return vg_fmt("%s/%s", x, leaf);
    }
    return vg_fmt("%s/%s/%s", home && *home ? home : "/", fallback, leaf);
}

/* storage.conf: the file that applies, or none (defaults). */
static int
loc_from_conf(struct cstore_loc *l, struct vg_err **err)
{
    bool root = geteuid() == 0;
    const char *env = getenv("CONTAINERS_STORAGE_CONF");
    vg_autofree char *user =
        root ? NULL : home_path("XDG_CONFIG_HOME", ".config", "containers/storage.conf");
    const char *cands[] = {env && *env ? env : user, "/etc/containers/storage.conf",
                           "/usr/share/containers/storage.conf"};
    size_t ncands = env && *env ? 1 : 3;
    struct vg_cstore_conf c = {0};
    for (size_t i = 0; i < ncands; i++) {
        if (!cands[i]) {
            continue;
        }
        vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_CSTORE_CONF_MAX_BYTES);
        if (vg_file_read(&b, cands[i], VG_CSTORE_CONF_MAX_BYTES, err) < 0) {
            if (vg_err_is(*err, VG_E_NOTFOUND) && !(env && *env)) {
                vg_err_free(err);
                continue;
            }
            return vg_err_wrap(err, "storage.conf");
        }
        if (vg_oci_cstore_conf_parse(&c, (const char *)b.data, b.len, cands[i], err) < 0) {
            return -1;
        }
        break;
    }
    const char *e = getenv("STORAGE_DRIVER");
    l->driver = vg_strdup(e && *e ? e : c.driver && *c.driver ? c.driver : NULL);
    if (root) {
        l->graphroot =
            vg_strdup(c.graphroot && *c.graphroot ? c.graphroot : "/var/lib/containers/storage");
    } else if (c.rootless_storage_path && *c.rootless_storage_path) {
        l->graphroot = vg_strdup(c.rootless_storage_path);
    } else {
        l->graphroot = home_path("XDG_DATA_HOME", ".local/share", "containers/storage");
    }
    vg_oci_cstore_conf_dispose(&c);
    return 0;
}

static int
store_driver(struct cstore_source *cs, const char *driver, struct vg_err **err)
{
    if (driver && (strcmp(driver, "overlay") == 0 || strcmp(driver, "overlay2") == 0)) {
        cs->driver = vg_strdup("overlay");
    } else if (driver && strcmp(driver, "vfs") == 0) {
        cs->driver = vg_strdup("vfs");
    } else if (driver) {
        vg_autofree char *esc = vg_escape(driver, strlen(driver), 40);
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "containers-storage: driver \"%s\" is not supported (overlay, vfs)", esc);
    } else {
        struct stat st;
        cs->driver =
            vg_strdup(fstatat(cs->rootfd, "vfs-images/images.json", &st, 0) == 0 &&
                              fstatat(cs->rootfd, "overlay-images/images.json", &st, 0) != 0
                          ? "vfs"
                          : "overlay");
    }
    return 0;
}

static int
open_dir_at(int dirfd, const char *path, const char *what, struct vg_err **err)
{
    int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return errno == ENOENT ? vg_err_set(err, VG_E_NOTFOUND, "%s: no such directory", what)
                               : vg_err_sys(err, VG_E_IO, "open %s", what);
    }
    return fd;
}

/* ---------------------------------------------------------------- blob streams */

struct mem_stream {
    struct vg_oci_stream base;
    const uint8_t *p;
    size_t left;
};

static int
mem_read(struct vg_oci_stream *s, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    (void)err;
    struct mem_stream *m = (struct mem_stream *)s;
    size_t n = cap < m->left ? cap : m->left;
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    *got = n;
    return 0;
}

static void
mem_close(struct vg_oci_stream *s)
{
    free(s);
}

struct layer_stream {
    struct vg_oci_stream base;
    const struct vg_oci_gunzip *gz;
    void *z;
    int tsfd, dirfd;
    struct vg_cstore_tarsplit *ts;
};

static int
layer_chunk(void *ctx, const uint8_t **data, size_t *len, struct vg_err **err)
{
    struct layer_stream *ls = ctx;
    return ls->gz->read(ls->z, data, len, err);
}

static int
layer_read(struct vg_oci_stream *s, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    return vg_oci_tarsplit_read(((struct layer_stream *)s)->ts, buf, cap, got, err);
}

static void
layer_close(struct vg_oci_stream *s)
{
    struct layer_stream *ls = (struct layer_stream *)s;
    vg_oci_tarsplit_free(ls->ts);
    if (ls->z) {
        ls->gz->close(ls->z);
    }
    if (ls->tsfd >= 0) {
        close(ls->tsfd);
    }
    if (ls->dirfd >= 0) {
        close(ls->dirfd);
    }
    free(ls);
}

static int
layer_open(struct cstore_source *cs, const struct vg_cstore_layer *l, struct layer_stream *ls,
           struct vg_err **err)
{
    vg_autofree char *tsname = vg_fmt("%s.tar-split.gz", l->id);
    ls->tsfd = openat(cs->layersfd, tsname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (ls->tsfd < 0) {
        return errno == ENOENT
                   ? vg_err_set(err, VG_E_UNSUPPORTED,
                                "layer %s has no tar-split record (%s-layers/%s); vigil rebuilds "
                                "layers only from it",
                                l->id, cs->driver, tsname)
                   : vg_err_sys(err, VG_E_IO, "open %s-layers/%s", cs->driver, tsname);
    }
    vg_autofree char *dir =
        strcmp(cs->driver, "overlay") == 0 ? vg_fmt("%s/diff", l->id) : vg_strdup(l->id);
    vg_autofree char *what = vg_fmt("layer %s directory", l->id);
    ls->dirfd = open_dir_at(cs->contentfd, dir, what, err);
    if (ls->dirfd < 0) {
        return -1;
    }
    if (cs->gz->open(&ls->z, ls->tsfd, tsname, VG_CSTORE_TARSPLIT_MAX_GZ, err) < 0) {
        ls->z = NULL;
        return -1;
    }
    vg_autofree char *lname = vg_fmt("layer %s", l->id);
    ls->ts = vg_oci_tarsplit_new(layer_chunk, ls, ls->dirfd, lname);
    return 0;
}

static int
cstore_open_blob(struct vg_oci_source *src, const struct vg_oci_desc *d, struct vg_oci_stream **out,
                 struct vg_err **err)
{
    struct cstore_source *cs = (struct cstore_source *)src;
    if (vg_digest_eq(&d->digest, &cs->config_digest)) {
        struct mem_stream *m = vg_calloc(1, sizeof(*m));
        m->base.read = mem_read;
        m->base.close = mem_close;
        m->p = cs->config;
        m->left = cs->config_len;
        *out = &m->base;
        return 0;
    }
    for (size_t i = 0; i < cs->im.nlayers; i++) {
        if (!vg_digest_eq(&d->digest, &cs->im.layers[i].diff)) {
            continue;
        }
        struct layer_stream *ls = vg_calloc(1, sizeof(*ls));
        ls->base.read = layer_read;
        ls->base.close = layer_close;
        ls->gz = cs->gz;
        ls->tsfd = ls->dirfd = -1;
        if (layer_open(cs, &cs->im.layers[i], ls, err) < 0) {
            layer_close(&ls->base);
            return vg_err_wrap(err, "%s", cs->base.reference);
        }
        *out = &ls->base;
        return 0;
    }
    return vg_err_set(err, VG_E_NOTFOUND, "blob %s not found in %s", d->digest.text,
                      cs->base.reference);
}

static int
cstore_get_root(struct vg_oci_source *src, struct vg_buf *raw, char **media_type,
                struct vg_err **err)
{
    struct cstore_source *cs = (struct cstore_source *)src;
    if (vg_buf_append(raw, cs->manifest.data, cs->manifest.len, err) < 0) {
        return -1;
    }
    *media_type = vg_strdup(VG_MT_OCI_MANIFEST);
    return 0;
}

static int
cstore_get_manifest(struct vg_oci_source *src, const struct vg_oci_desc *d, struct vg_buf *raw,
                    char **media_type, struct vg_err **err)
{
    (void)raw;
    (void)media_type;
    return vg_err_set(err, VG_E_NOTFOUND, "%s holds no manifest %s", src->reference,
                      d->digest.text);
}

static void
cstore_free(struct vg_oci_source *src)
{
    struct cstore_source *cs = (struct cstore_source *)src;
    int fds[] = {cs->rootfd, cs->layersfd, cs->contentfd};
    for (size_t i = 0; i < VG_ARRAY_LEN(fds); i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    free(cs->graphroot);
    free(cs->driver);
    vg_oci_cstore_image_dispose(&cs->im);
    free(cs->config);
    vg_buf_dispose(&cs->manifest);
    free(cs->base.reference);
    free(cs);
}

static const struct vg_oci_source_ops cstore_ops = {
    .transport = "containers-storage",
    .get_root = cstore_get_root,
    .get_manifest = cstore_get_manifest,
    .open_blob = cstore_open_blob,
    .free = cstore_free,
};

/* ---------------------------------------------------------------- opening */

static int
load_config(struct cstore_source *cs, struct vg_err **err)
{
    vg_autofree char *name = vg_oci_cstore_bigdata_name(cs->im.config_key);
    vg_autofree char *path = vg_fmt("%s-images/%s/%s", cs->driver, cs->im.id, name);
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_LIMIT_CONFIG_BYTES);
    if (vg_file_read_at(&b, cs->rootfd, path, VG_LIMIT_CONFIG_BYTES, err) < 0) {
        return vg_err_wrap(err, "image %s config (%s)", cs->im.id, path);
    }
    vg_digest_of(&cs->config_digest, VG_DIGEST_SHA256, b.data, b.len);
    if (strcmp(cs->config_digest.text, cs->im.config_key) != 0) {
        return vg_err_set(err, VG_E_VERIFY, "image %s: config %s hashes to %s", cs->im.id,
                          cs->im.config_key, cs->config_digest.text);
    }
    cs->config = (uint8_t *)vg_buf_take(&b, &cs->config_len);
    return 0;
}

static int
synthesize_manifest(struct cstore_source *cs, struct vg_err **err)
{
    struct vg_buf *b = &cs->manifest;
    vg_buf_init(b, VG_LIMIT_MANIFEST_BYTES);
    if (vg_buf_appendf(b, err,
                       "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
                       "\"digest\":\"%s\",\"size\":%zu},\"layers\":[",
                       VG_MT_OCI_MANIFEST, VG_MT_OCI_CONFIG, cs->config_digest.text,
                       cs->config_len) < 0) {
        return -1;
    }
    for (size_t i = 0; i < cs->im.nlayers; i++) {
        const struct vg_cstore_layer *l = &cs->im.layers[i];
        if (vg_buf_appendf(b, err, "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%llu}",
                           i ? "," : "", VG_MT_OCI_LAYER, l->diff.text,
                           (unsigned long long)l->size) < 0) {
            return -1;
        }
    }
    return vg_buf_append_str(b, "]}", err);
}

static int
load_image(struct cstore_source *cs, const char *ref, struct vg_err **err)
{
    vg_autofree char *ipath = vg_fmt("%s-images/images.json", cs->driver);
    vg_autofree char *lpath = vg_fmt("%s-layers/layers.json", cs->driver);
    vg_autobuf struct vg_buf ib = VG_BUF_INIT(VG_CSTORE_JSON_MAX_BYTES);
    vg_autobuf struct vg_buf lb = VG_BUF_INIT(VG_CSTORE_JSON_MAX_BYTES);
    if (vg_file_read_at(&ib, cs->rootfd, ipath, VG_CSTORE_JSON_MAX_BYTES, err) < 0) {
        return vg_err_wrap(err, "%s/%s", cs->graphroot, ipath);
    }
    if (vg_file_read_at(&lb, cs->rootfd, lpath, VG_CSTORE_JSON_MAX_BYTES, err) < 0) {
        if (!vg_err_is(*err, VG_E_NOTFOUND)) {
            return vg_err_wrap(err, "%s/%s", cs->graphroot, lpath);
        }
        vg_err_free(err);
        vg_buf_reset(&lb);
        if (vg_buf_append_str(&lb, "[]", err) < 0) {
            return -1;
        }
    }
    if (vg_oci_cstore_resolve(&cs->im, ib.data, ib.len, lb.data, lb.len, ref, err) < 0) {
        return vg_err_wrap(err, "%s (%s)", cs->graphroot, cs->driver);
    }
    return 0;
}

static int
open_store(struct cstore_source *cs, const struct cstore_loc *l, struct vg_err **err)
{
    cs->graphroot = vg_strdup(l->graphroot);
    cs->rootfd = open(cs->graphroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cs->rootfd < 0) {
        return errno == ENOENT ? vg_err_set(err, VG_E_NOTFOUND,
                                            "containers-storage: no store at %s", cs->graphroot)
                               : vg_err_sys(err, VG_E_IO, "open %s", cs->graphroot);
    }
    if (store_driver(cs, l->driver, err) < 0 || load_image(cs, l->ref, err) < 0 ||
        load_config(cs, err) < 0) {
        return -1;
    }
    vg_autofree char *ld = vg_fmt("%s-layers", cs->driver);
    vg_autofree char *ldw = vg_fmt("%s/%s", cs->graphroot, ld);
    const char *content = strcmp(cs->driver, "overlay") == 0 ? "overlay" : "vfs/dir";
    vg_autofree char *cw = vg_fmt("%s/%s", cs->graphroot, content);
    if (cs->im.nlayers > 0 && ((cs->layersfd = open_dir_at(cs->rootfd, ld, ldw, err)) < 0 ||
                               (cs->contentfd = open_dir_at(cs->rootfd, content, cw, err)) < 0)) {
        return -1;
    }
    return synthesize_manifest(cs, err);
}

int
vg_oci_cstore_source_new(struct vg_oci_source **out, const char *spec,
                         const struct vg_oci_open_opts *opts, struct vg_err **err)
{
    if (!opts || !opts->gunzip) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "containers-storage: needs layers/' gzip decoder (open the image "
                          "through vg_layers_image_open)");
    }
    struct cstore_loc l = {0};
    int rc = spec[0] == '[' ? loc_from_brackets(&l, spec, err) : loc_from_conf(&l, err);
    if (rc == 0 && !l.ref) {
        l.ref = vg_strdup(spec);
    }
    if (rc == 0 && !*l.ref) {
        rc = vg_err_set(err, VG_E_USAGE,
                        "containers-storage: needs an image (containers-storage:[STORE]REF)");
    }
    if (rc < 0) {
        loc_dispose(&l);
        return -1;
    }
    struct cstore_source *cs = vg_calloc(1, sizeof(*cs));
    cs->base.ops = &cstore_ops;
    cs->base.reference = vg_fmt("containers-storage:%s", spec);
    cs->gz = opts->gunzip;
    cs->rootfd = cs->layersfd = cs->contentfd = -1;
    rc = open_store(cs, &l, err);
    loc_dispose(&l);
    if (rc < 0) {
        cstore_free(&cs->base);
        return -1;
    }
    *out = &cs->base;
    return 0;
}
