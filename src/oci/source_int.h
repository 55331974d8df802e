/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to oci/: the image-source vtable that each transport (layout.c, archive.c,
 * registry.c) implements, and their constructors. image.c dispatches on the transport prefix,
 * resolves indexes to a platform, and wraps blob reads with the verifier.
 */
#ifndef VG_OCI_SOURCE_INT_H
#define VG_OCI_SOURCE_INT_H

#include "oci.h"

struct vg_oci_source;

/* A raw (unverified) blob stream from a source; image.c adds verification on top. */
struct vg_oci_stream {
    /* Returns 0 with *got = 0 at end of stream. */
    int (*read)(struct vg_oci_stream *s, void *buf, size_t cap, size_t *got, struct vg_err **err);
    void (*close)(struct vg_oci_stream *s);
};

struct vg_oci_source_ops {
    const char *transport;
    /* Fetches the top-level manifest or index the user named (tag, digest, ref.name, or the
     * only/first entry) — raw bytes and media type. */
    int (*get_root)(struct vg_oci_source *src, struct vg_buf *raw, char **media_type,
                    struct vg_err **err);
    /* Fetches a manifest/index by descriptor (raw bytes; caller verifies). */
    int (*get_manifest)(struct vg_oci_source *src, const struct vg_oci_desc *d, struct vg_buf *raw,
                        char **media_type, struct vg_err **err);
    /* Opens a blob stream by descriptor. */
    int (*open_blob)(struct vg_oci_source *src, const struct vg_oci_desc *d,
                     struct vg_oci_stream **out, struct vg_err **err);
    void (*free)(struct vg_oci_source *src);
};

struct vg_oci_source {
    const struct vg_oci_source_ops *ops;
    char *reference; /* normalized display reference */
};

/* Constructors: `spec` is what follows the transport prefix. */
int vg_oci_layout_source_new(struct vg_oci_source **out, const char *spec,
                             const struct vg_oci_open_opts *opts, struct vg_err **err);
/* "oci-archive:FILE[:TAG]" (layout.c); plain (may be NULL) is layers/' decompressed copy of a
 * compressed FILE, taken (closed also on failure). */
int vg_oci_oci_archive_source_new(struct vg_oci_source **out, const char *spec,
                                  struct vg_oci_archive_plain *plain,
                                  const struct vg_oci_open_opts *opts, struct vg_err **err);
int vg_oci_archive_source_new(struct vg_oci_source **out, const char *spec,
                              const struct vg_oci_open_opts *opts, struct vg_err **err);
/* Same over an already decompressed copy (takes plain->fd; see vg_oci_image_open_archive). */
int vg_oci_archive_source_new_plain(struct vg_oci_source **out, const char *spec,
                                    struct vg_oci_archive_plain *plain,
                                    const struct vg_oci_open_opts *opts, struct vg_err **err);
/* Over a caller's blob provider, rooted at the manifest `root` (provider.c). */
int vg_oci_provider_source_new(struct vg_oci_source **out, const struct vg_oci_blob_provider *p,
                               const struct vg_digest *root, const char *reference,
                               struct vg_err **err);
/* "containers-storage:[STORE]REF" (cstore.c), read only. */
int vg_oci_cstore_source_new(struct vg_oci_source **out, const char *spec,
                             const struct vg_oci_open_opts *opts, struct vg_err **err);
/* "docker-daemon:REF" (daemon.c): the Engine API over DOCKER_HOST's Unix socket. */
int vg_oci_daemon_source_new(struct vg_oci_source **out, const char *spec,
                             const struct vg_oci_open_opts *opts, struct vg_err **err);
int vg_oci_remote_source_new(struct vg_oci_source **out, const char *spec,
                             const struct vg_oci_open_opts *opts, struct vg_err **err);

#endif
