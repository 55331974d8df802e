/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to oci/ (cstore.c, cstore_meta.c, tarsplit.c): the pieces of the containers-storage
 * source that parse untrusted bytes, exposed for unit tests and fuzz harnesses.
 */
#ifndef VG_OCI_CSTORE_INT_H
#define VG_OCI_CSTORE_INT_H

#include "oci.h"

/* Bounds on the store's own files. */
#define VG_CSTORE_CONF_MAX_BYTES  (1024u * 1024u)
#define VG_CSTORE_JSON_MAX_BYTES  (64u * 1024u * 1024u)
#define VG_CSTORE_TARSPLIT_LINE   (4u * 1024u * 1024u)
#define VG_CSTORE_TARSPLIT_MAX_GZ (4ull * 1024ull * 1024ull * 1024ull)

/* The [storage] table of storage.conf: only these keys are read (NULL when absent). */
struct vg_cstore_conf {
    char *driver, *graphroot, *runroot, *rootless_storage_path;
};
/* A TOML subset: tables, comments, key = "basic" or 'literal' strings; other values (arrays,
 * numbers, booleans, inline tables) are skipped. VG_E_PARSE naming the line for a malformed
 * line or an unterminated or badly escaped string. `what` names the file. */
int vg_oci_cstore_conf_parse(struct vg_cstore_conf *out, const char *data, size_t len,
                             const char *what, struct vg_err **err);
void vg_oci_cstore_conf_dispose(struct vg_cstore_conf *c);

struct vg_cstore_layer {
    char id[65];           /* 64 lowercase hex digits */
    struct vg_digest diff; /* uncompressed digest ("diff-digest") */
    uint64_t size;         /* uncompressed size ("diff-size") */
};

/* One image of images.json with its layer chain (bottom first) from layers.json. */
struct vg_cstore_image {
    char id[65];
    char *name;       /* the matching name, or the first name, or NULL */
    char *config_key; /* big-data key of the config ("sha256:<id>") */
    struct vg_cstore_layer *layers;
    size_t nlayers;
};
/* Finds REF in images.json, in containers/storage's order: a full image ID, a name
 * (normalized as Docker does; "NAME" without registry also matches "localhost/NAME") or
 * NAME@sha256:... (the name and the manifest digest), a unique ID prefix (at least 3 hex
 * digits); then follows the top layer's parent chain
 * through layers.json (at most VG_LIMIT_LAYERS, incomplete layers refused).
 * VG_E_NOTFOUND / VG_E_USAGE (ambiguous) / VG_E_PARSE / VG_E_LIMIT / VG_E_UNSUPPORTED. */
int vg_oci_cstore_resolve(struct vg_cstore_image *out, const void *images_json, size_t ilen,
                          const void *layers_json, size_t llen, const char *ref,
                          struct vg_err **err);
void vg_oci_cstore_image_dispose(struct vg_cstore_image *img);
/* The file name containers/storage gives a big-data key: the key itself when it is made only
 * of [0-9a-z.], else "=" + its standard base64. Caller frees. */
char *vg_oci_cstore_bigdata_name(const char *key);

/* The uncompressed layer tar rebuilt from its tar-split record (JSON lines of raw header
 * segments and file entries) and the file contents in a layer directory (overlay diff/ or the
 * vfs layer directory), byte for byte the tar the layer was created from, so it hashes to the
 * layer's diff digest. File names are opened beneath dirfd one component at a time with
 * O_NOFOLLOW (no symlink, no "..", regular files only). */
typedef int (*vg_cstore_chunk_fn)(void *ctx, const uint8_t **data, size_t *len,
                                  struct vg_err **err);
struct vg_cstore_tarsplit;
/* read/rctx supply the decompressed tar-split bytes; dirfd is borrowed; what names the layer. */
struct vg_cstore_tarsplit *vg_oci_tarsplit_new(vg_cstore_chunk_fn read, void *rctx, int dirfd,
                                               const char *what);
/* 0 with *got = 0 at the end. VG_E_PARSE for malformed records, VG_E_NOTFOUND / VG_E_VERIFY
 * for a file missing from the directory or shorter than recorded. */
int vg_oci_tarsplit_read(struct vg_cstore_tarsplit *t, void *buf, size_t cap, size_t *got,
                         struct vg_err **err);
void vg_oci_tarsplit_free(struct vg_cstore_tarsplit *t);

#endif
