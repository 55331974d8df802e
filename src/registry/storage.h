/* SPDX-License-Identifier: Apache-2.0
 *
 * registry storage: the byte store behind the registry, as a driver interface. Content is
 * addressed by digest (algorithm + hex) only; repositories, tags and which repository may see
 * which blob live in the metadata store (meta.h), never in storage paths. Uploads are temporary
 * objects named by a server-chosen session id and become blobs by an atomic publish.
 *
 * The filesystem driver (storage_fs.c) keeps
 *     ROOT/blobs/<alg>/<hex[0:2]>/<hex>     published, immutable
 *     ROOT/uploads/<id>                     in progress
 * and publishes with fsync(temp) + rename + fsync(directory), so a crash leaves either no blob
 * or the whole blob, never a partial one under a digest name. Every path is built from a
 * validated digest or a session id of [A-Za-z0-9_-]{1,64}, resolved beneath the root's
 * directory fd with O_NOFOLLOW: no request can reach outside the root.
 *
 * An object-store driver (S3) is an addition: the protocol layer sees blobs only through a
 * read handle (size, positioned reads, and an fd when the driver has one, for sendfile) and
 * uploads only through a writer (append, finish, abort).
 *
 * Errors: VG_E_NOTFOUND for an absent blob or session; VG_E_VERIFY when an upload's stored
 * length is shorter than the offset the caller resumes at (a crash lost unsynced bytes: the
 * session must restart); VG_E_USAGE for an invalid session id; VG_E_IO otherwise.
 *
 * Thread safety: a driver instance may be used from several threads at once; a handle or a
 * writer belongs to one thread at a time.
 */
#ifndef VG_REGISTRY_STORAGE_H
#define VG_REGISTRY_STORAGE_H

#include "core/core.h"

#define VG_REGISTRY_UPLOAD_ID_MAX 64u

struct vg_registry_storage;
struct vg_registry_rhandle;
struct vg_registry_writer;

struct vg_registry_rhandle_ops {
    /* Reads up to n bytes at off into buf; *got 0 only at the end. */
    int (*read)(struct vg_registry_rhandle *h, uint64_t off, void *buf, size_t n, size_t *got,
                struct vg_err **err);
    /* Hands out an fd positioned anywhere (the caller owns it), or -1 when the driver has none. */
    int (*take_fd)(struct vg_registry_rhandle *h);
    void (*free)(struct vg_registry_rhandle *h);
};
struct vg_registry_rhandle {
    const struct vg_registry_rhandle_ops *ops;
    uint64_t size;
};

struct vg_registry_writer_ops {
    int (*write)(struct vg_registry_writer *w, const void *p, size_t n, struct vg_err **err);
    /* Undoes every write of this writer (the upload is back at the offset it was opened at). */
    void (*abort)(struct vg_registry_writer *w);
    void (*free)(struct vg_registry_writer *w);
};
struct vg_registry_writer {
    const struct vg_registry_writer_ops *ops;
    uint64_t start; /* offset the writer was opened at */
    uint64_t written;
};

typedef int (*vg_registry_blob_walk_fn)(void *ud, const struct vg_digest *d, uint64_t size);
/* An upload object: its id, when it was last written (unix seconds) and its size. */
typedef int (*vg_registry_upload_walk_fn)(void *ud, const char *id, int64_t mtime, uint64_t size);

struct vg_registry_storage_ops {
    const char *name;
    /* *size of a published blob; VG_E_NOTFOUND when absent. */
    int (*blob_stat)(struct vg_registry_storage *s, const struct vg_digest *d, uint64_t *size,
                     struct vg_err **err);
    int (*blob_open)(struct vg_registry_storage *s, const struct vg_digest *d,
                     struct vg_registry_rhandle **out, struct vg_err **err);
    /* Publishes small content the caller has already hashed to d (manifests). */
    int (*blob_put)(struct vg_registry_storage *s, const struct vg_digest *d, const void *data,
                    size_t len, struct vg_err **err);
    int (*blob_delete)(struct vg_registry_storage *s, const struct vg_digest *d,
                       struct vg_err **err);
    /* Every published blob, in no particular order; fn returning < 0 stops the walk. */
    int (*blob_walk)(struct vg_registry_storage *s, vg_registry_blob_walk_fn fn, void *ud,
                     struct vg_err **err);
    int (*upload_create)(struct vg_registry_storage *s, const char *id, struct vg_err **err);
    /* Opens for appending at offset (bytes stored beyond it are dropped first). */
    int (*upload_open)(struct vg_registry_storage *s, const char *id, uint64_t offset,
                       struct vg_registry_writer **out, struct vg_err **err);
    int (*upload_read)(struct vg_registry_storage *s, const char *id,
                       struct vg_registry_rhandle **out, struct vg_err **err);
    /* Makes the first `size` bytes of the upload the blob d, durably and atomically, and
     * removes the upload. The caller has verified the digest. */
    int (*upload_publish)(struct vg_registry_storage *s, const char *id, uint64_t size,
                          const struct vg_digest *d, struct vg_err **err);
    int (*upload_delete)(struct vg_registry_storage *s, const char *id, struct vg_err **err);
    /* Every upload object (sessions and the driver's own temporaries), in no particular order;
     * fn returning < 0 stops the walk. For GC: objects are listed, never opened. */
    int (*upload_walk)(struct vg_registry_storage *s, vg_registry_upload_walk_fn fn, void *ud,
                       struct vg_err **err);
    void (*free)(struct vg_registry_storage *s);
};
struct vg_registry_storage {
    const struct vg_registry_storage_ops *ops;
};

/* The filesystem driver rooted at root (created 0755 when missing). */
VG_NODISCARD int vg_registry_storage_fs_new(struct vg_registry_storage **out, const char *root,
                                            struct vg_err **err);
void vg_registry_storage_free(struct vg_registry_storage *s); /* NULL is a no-op */
/* True for ids the drivers accept: [A-Za-z0-9_-]{1,VG_REGISTRY_UPLOAD_ID_MAX}. */
bool vg_registry_upload_id_valid(const char *id);
/* A fresh random session id (32 hex digits) into out[33]. */
void vg_registry_upload_id_new(char out[33]);

void vg_registry_rhandle_free(struct vg_registry_rhandle *h); /* NULL is a no-op */
void vg_registry_writer_free(struct vg_registry_writer *w);   /* NULL is a no-op */

#endif
