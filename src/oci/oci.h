/* SPDX-License-Identifier: Apache-2.0
 *
 * oci: image references, descriptors, manifests and indexes (OCI and Docker schema2), image
 * configs, platform selection, and image sources — OCI layout directories, docker-archive
 * tarballs and Distribution registries — behind one interface that yields a resolved image
 * and verified blob streams.
 *
 * Every blob is verified against its descriptor's digest and size while it streams; a
 * mismatch fails the read that reaches the end (or overshoots the size) with VG_E_VERIFY.
 *
 * Error codes callers may branch on: VG_E_USAGE (bad reference syntax), VG_E_NOTFOUND,
 * VG_E_AUTH, VG_E_NET, VG_E_PARSE / VG_E_LIMIT / VG_E_VERIFY / VG_E_UNSUPPORTED (corrupt or
 * unsupported input).
 *
 * Thread safety: an image and its source may be shared by several threads reading distinct
 * blobs (each blob reader is single-threaded); references and parsed documents are immutable.
 */
#ifndef VG_OCI_H
#define VG_OCI_H

#include "core/core.h"

/* ---------------------------------------------------------------- media types */

#define VG_MT_OCI_MANIFEST     "application/vnd.oci.image.manifest.v1+json"
#define VG_MT_OCI_INDEX        "application/vnd.oci.image.index.v1+json"
#define VG_MT_OCI_CONFIG       "application/vnd.oci.image.config.v1+json"
#define VG_MT_OCI_LAYER        "application/vnd.oci.image.layer.v1.tar"
#define VG_MT_OCI_LAYER_GZIP   "application/vnd.oci.image.layer.v1.tar+gzip"
#define VG_MT_OCI_LAYER_ZSTD   "application/vnd.oci.image.layer.v1.tar+zstd"
#define VG_MT_OCI_EMPTY        "application/vnd.oci.empty.v1+json"
#define VG_MT_DOCKER_MANIFEST  "application/vnd.docker.distribution.manifest.v2+json"
#define VG_MT_DOCKER_LIST      "application/vnd.docker.distribution.manifest.list.v2+json"
#define VG_MT_DOCKER_CONFIG    "application/vnd.docker.container.image.v1+json"
#define VG_MT_DOCKER_LAYER     "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define VG_MT_DOCKER_SCHEMA1   "application/vnd.docker.distribution.manifest.v1+json"
#define VG_MT_DOCKER_SCHEMA1_S "application/vnd.docker.distribution.manifest.v1+prettyjws"

/* ---------------------------------------------------------------- references */

/* A normalized registry reference, exactly as Docker normalizes it:
 * "nginx" -> docker.io/library/nginx:latest; "localhost:5000/x" keeps its host;
 * "a/b@sha256:..." keeps the digest (tag may be NULL when only a digest is given). */
struct vg_oci_ref {
    char *registry;   /* "docker.io", "localhost:5000", "ghcr.io" */
    char *repository; /* "library/nginx" */
    char *tag;        /* NULL if absent and a digest is given; "latest" filled in otherwise */
    char *digest;     /* validated "sha256:..." or NULL */
    bool tag_implied; /* true when "latest" was filled in (no tag and no digest in input) */
};
/* VG_E_USAGE for invalid syntax (uppercase repository, bad tag, bad digest, ...). */
int vg_oci_ref_parse(struct vg_oci_ref **out, const char *s, struct vg_err **err);
void vg_oci_ref_free(struct vg_oci_ref *r);
/* "docker.io/library/nginx:latest", "...@sha256:..", or "...:tag@sha256:..". Caller frees. */
char *vg_oci_ref_string(const struct vg_oci_ref *r);
/* "registry/repository" (no tag or digest). Caller frees. */
char *vg_oci_ref_name(const struct vg_oci_ref *r);
/* Host to contact: "registry-1.docker.io" for docker.io, else the registry itself. */
const char *vg_oci_ref_api_host(const struct vg_oci_ref *r);

/* ---------------------------------------------------------------- documents */

struct vg_oci_platform {
    char *os, *architecture, *variant, *os_version; /* NULL when absent */
};
/* "linux/arm64/v8" -> platform; VG_E_USAGE on bad syntax. */
int vg_oci_platform_parse(struct vg_oci_platform *out, const char *s, struct vg_err **err);
void vg_oci_platform_dispose(struct vg_oci_platform *p);
/* "linux/amd64" or "linux/arm/v7". Caller frees. */
char *vg_oci_platform_string(const struct vg_oci_platform *p);

struct vg_oci_desc {
    char *media_type;
    struct vg_digest digest;
    uint64_t size;
    struct vg_oci_platform platform; /* index entries only */
    char *artifact_type;             /* may be NULL */
    json_t *annotations;             /* object or NULL; owned */
};
void vg_oci_desc_dispose(struct vg_oci_desc *d);
/* A deep copy (strings, platform, annotations). */
void vg_oci_desc_copy(struct vg_oci_desc *dst, const struct vg_oci_desc *src);

/* A parsed image manifest (OCI manifest or Docker schema2), or an index (OCI index or Docker
 * manifest list). Schema1 is refused with VG_E_UNSUPPORTED and a clear message. */
struct vg_oci_manifest {
    char *media_type; /* from the document, or from the transport when the document has none */
    bool is_index;
    struct vg_oci_desc config; /* manifests only */
    struct vg_oci_desc *layers;
    size_t nlayers;
    struct vg_oci_desc *manifests; /* indexes only */
    size_t nmanifests;
    struct vg_oci_desc *subject; /* OCI 1.1 subject, or NULL */
    char *artifact_type;
    json_t *annotations;
};
/* media_type_hint: the Content-Type or descriptor media type, may be NULL. */
int vg_oci_manifest_parse(struct vg_oci_manifest **out, const void *data, size_t len,
                          const char *media_type_hint, struct vg_err **err);
void vg_oci_manifest_free(struct vg_oci_manifest *m);
/* Picks the entry matching `want` (os/arch, then variant: arm64 defaults to v8, arm to v7).
 * VG_E_NOTFOUND listing the available platforms when none matches. */
int vg_oci_index_select(const struct vg_oci_desc **out, const struct vg_oci_manifest *index,
                        const struct vg_oci_platform *want, struct vg_err **err);

/* An image index as an editable value (referrers listings, the referrers tag-schema fallback
 * index, merged pages): descriptors in order, no duplicate digests added by vg_oci_index_add.
 * Serialization is deterministic (fixed key order, annotations sorted, compact), so equal
 * indexes have equal digests. Index-level mediaType/artifactType/annotations are kept;
 * unknown descriptor fields (urls, data) are not. Zero-initialize before use. */
struct vg_oci_index {
    struct vg_oci_desc *v;
    size_t n, cap;
    char *media_type;    /* NULL: serialized as the OCI index type */
    char *artifact_type; /* may be NULL */
    json_t *annotations; /* object or NULL; owned */
};
/* Parses an index document (needs only a "manifests" array of valid descriptors; at most
 * VG_LIMIT_INDEX_ENTRIES). `what` names the document in messages. VG_E_PARSE / VG_E_LIMIT. */
VG_NODISCARD int vg_oci_index_parse(struct vg_oci_index *out, const void *data, size_t len,
                                    const char *what, struct vg_err **err);
/* Appends the manifests[] of another index document (a further page) as they are. */
VG_NODISCARD int vg_oci_index_append_json(struct vg_oci_index *ix, const void *data, size_t len,
                                          const char *what, struct vg_err **err);
const struct vg_oci_desc *vg_oci_index_find(const struct vg_oci_index *ix,
                                            const struct vg_digest *d);
/* Appends a copy of d unless its digest is listed already (*added says which). */
VG_NODISCARD int vg_oci_index_add(struct vg_oci_index *ix, const struct vg_oci_desc *d, bool *added,
                                  struct vg_err **err);
/* Removes the entry with digest d; false when none is listed. */
bool vg_oci_index_remove(struct vg_oci_index *ix, const struct vg_digest *d);
/* Keeps only entries whose artifactType equals artifact_type; returns how many remain. */
size_t vg_oci_index_filter(struct vg_oci_index *ix, const char *artifact_type);
/* Appends the canonical JSON to out. */
VG_NODISCARD int vg_oci_index_serialize(const struct vg_oci_index *ix, struct vg_buf *out,
                                        struct vg_err **err);
void vg_oci_index_dispose(struct vg_oci_index *ix);

struct vg_oci_history {
    char *created, *created_by, *comment;
    bool empty_layer;
};
struct vg_oci_config {
    char *os, *architecture, *variant, *created, *author;
    char *user, *workdir;
    char **env;
    size_t nenv;
    char **entrypoint;
    size_t nentrypoint;
    char **cmd;
    size_t ncmd;
    char **exposed_ports;
    size_t nexposed_ports; /* "80/tcp" */
    char **volumes;
    size_t nvolumes;
    json_t *labels;      /* object or NULL */
    json_t *healthcheck; /* object or NULL (Docker "Healthcheck") */
    char *stop_signal;
    struct vg_oci_history *history;
    size_t nhistory;
    struct vg_digest *diff_ids;
    size_t ndiff_ids;
};
int vg_oci_config_parse(struct vg_oci_config **out, const void *data, size_t len,
                        struct vg_err **err);
void vg_oci_config_free(struct vg_oci_config *c);

/* ---------------------------------------------------------------- images and sources */

struct vg_oci_open_opts {
    const char *platform;      /* "os/arch[/variant]"; NULL: linux/<host arch> */
    const char *creds;         /* "user:pass" for registries, or NULL */
    const char *docker_config; /* directory of config.json; NULL: $DOCKER_CONFIG or ~/.docker */
    bool insecure;             /* skip TLS verification */
    bool plain_http;           /* http:// instead of https:// */
    const char *ca_file;       /* extra CA bundle, or NULL */
    uint64_t deadline_ns;      /* vg_now_ns() time at which registry requests end; 0: none */
    long stall_timeout_s;      /* a transfer without a byte for this long fails; 0: net's default */
    /* {"auths": {...}} of Kubernetes pull secrets (NUL-terminated JSON), consulted before creds
     * and docker_config; never runs credential helpers; NULL: none */
    const char *pull_secret_json;
    /* "HOST[:PORT],..." registries spoken to in plain HTTP, as containerd's and docker's
     * insecure registries (matched case-insensitively against the reference's registry, port
     * included); NULL: none. plain_http applies to every registry. */
    const char *plain_http_registries;
    /* A gzip decoder lent by layers/ (oci/ owns none): containers-storage reads each layer's
     * tar-split.gz through it. vg_layers_image_open fills it in; NULL: such images are refused
     * with a message saying so. */
    const struct vg_oci_gunzip *gunzip;
    /* Registry clients come from this pool (remote.h) and go back to it when freed: their
     * connections, TLS state, plain-HTTP fallbacks and tokens serve the next request (the
     * admission webhook's facts). The pool's own options apply to them, not these; ignored
     * with pull_secret_json (a pool's tokens serve every caller). NULL: a client per use. */
    struct vg_oci_remote_pool *pool;
};
/* Reads a gzip stream from fd (borrowed, read sequentially), at most max_out decoded bytes;
 * read gives the next chunk (valid until the next call), *len 0 at the verified end. */
struct vg_oci_gunzip {
    int (*open)(void **r, int fd, const char *name, uint64_t max_out, struct vg_err **err);
    int (*read)(void *r, const uint8_t **data, size_t *len, struct vg_err **err);
    void (*close)(void *r);
};
#define VG_OCI_OPEN_OPTS_INIT                                                                      \
    {                                                                                              \
        0                                                                                          \
    }

/* A resolved single-platform image. */
struct vg_oci_image {
    char *transport;        /* "oci", "oci-archive", "docker-archive", "containers-storage",
                               "docker-daemon", "docker", "blobs" */
    char *reference;        /* what the user asked for, normalized (e.g. docker.io/library/x:1) */
    struct vg_oci_ref *ref; /* registry references only, else NULL */
    struct vg_digest manifest_digest;
    char *manifest_media_type;
    uint8_t *manifest_raw;
    size_t manifest_len;           /* exact bytes, as stored/served */
    struct vg_digest index_digest; /* when resolved through an index; alg 0 otherwise */
    struct vg_oci_manifest *manifest;
    uint8_t *config_raw;
    size_t config_len;
    struct vg_oci_config *config;
    struct vg_oci_platform platform; /* from the config (os/architecture/variant) */
    struct vg_oci_source *src;       /* owned */
};

/* Opens "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]", "docker-archive:FILE[:REF]",
 * "containers-storage:[STORE]REF", "docker-daemon:REF", "docker://REF" or a bare REF, resolves
 * to one manifest for the wanted platform, fetches and verifies manifest and config
 * (docs/image-sources.md). */
int vg_oci_image_open(struct vg_oci_image **out, const char *image,
                      const struct vg_oci_open_opts *opts, struct vg_err **err);
/* A docker archive whose plain tar is already open: layers/ decompresses a compressed
 * docker-archive file (vg_layers_image_open; oci/ has no decompressor) and hands the copy
 * over here. */
struct vg_oci_archive_plain {
    int fd;                  /* the plain tar; ownership passes to vg_oci_image_open_archive */
    uint64_t size;           /* its size in bytes */
    const char *compression; /* of the original file, for messages ("gzip") */
    bool oci;                /* an oci-archive: spec (else docker-archive:) */
};
/* vg_oci_image_open("docker-archive:" spec) reading the tar from plain->fd (always closed,
 * also on failure) instead of the file spec names; messages still name that file. */
int vg_oci_image_open_archive(struct vg_oci_image **out, const char *spec,
                              struct vg_oci_archive_plain *plain,
                              const struct vg_oci_open_opts *opts, struct vg_err **err);
/* Content read by digest from a store the caller owns (the registry's storage driver): open
 * the blob d into *stream (VG_E_NOTFOUND when absent), read up to cap bytes (*got 0 at the
 * end), close. oci/ verifies every byte as for any other source. */
struct vg_oci_blob_provider {
    void *ud;
    int (*open)(void *ud, const struct vg_digest *d, void **stream, struct vg_err **err);
    int (*read)(void *stream, void *buf, size_t cap, size_t *got, struct vg_err **err);
    void (*close)(void *stream);
};
/* Opens the image whose manifest (or index: the platform comes from opts as usual) is the blob
 * `root` of p; transport "blobs", reference as given (root's digest when NULL). p and p->ud
 * must outlive the image. */
int vg_oci_image_open_provider(struct vg_oci_image **out, const struct vg_oci_blob_provider *p,
                               const struct vg_digest *root, const char *reference,
                               const struct vg_oci_open_opts *opts, struct vg_err **err);
void vg_oci_image_free(struct vg_oci_image *img);

/* Streaming, verified blob reads. `read` returns 0 and *got = 0 at a verified end. */
struct vg_oci_blob;
int vg_oci_blob_open(struct vg_oci_blob **out, struct vg_oci_image *img,
                     const struct vg_oci_desc *desc, struct vg_err **err);
int vg_oci_blob_read(struct vg_oci_blob *b, void *buf, size_t cap, size_t *got,
                     struct vg_err **err);
void vg_oci_blob_close(struct vg_oci_blob *b);
/* Reads a whole (small) blob, verified, bounded by max. */
int vg_oci_blob_read_all(struct vg_buf *out, struct vg_oci_image *img,
                         const struct vg_oci_desc *desc, size_t max, struct vg_err **err);

/* The verifier every source wraps its blob streams with is in dist.h. */

/* The registry client (push, tags, referrers) used by sign/ and registry tests. */
#include "oci/dist.h"
#include "oci/remote.h"

#endif
