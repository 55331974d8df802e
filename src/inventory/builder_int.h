/* SPDX-License-Identifier: Apache-2.0
 *
 * Shared inside inventory/ between the builder (builder.c: routing, finish) and its per-layer
 * cache records (builder_cache.c: export and import of one layer's records). Never included
 * by other modules.
 */
#ifndef VG_INVENTORY_BUILDER_INT_H
#define VG_INVENTORY_BUILDER_INT_H

#include <pthread.h>

#include "inventory/inventory_int.h"

enum inv_an {
    AN_NONE = 0,
    AN_OS,
    AN_DPKG,
    AN_DPKG_STATUSD,
    AN_DPKG_LIST,
    AN_DPKG_MD5,
    AN_DPKG_COPYRIGHT,
    AN_DPKG_DOCLINK,
    AN_APK,
    AN_RPM,
    AN_PYTHON,
    AN_NPM_PKG,
    AN_NPM_LOCK,
    AN_YARN,
    AN_PNPM,
    AN_JAR,
    AN_EGG,
    AN_CARGO,
    AN_GEM,
    AN_COMPOSER,
    AN_GO,
    /* Source-tree lock files and manifests: only with opts.source_tree (vigil fs), never
     * in a layer cache record. */
    AN_PIP,
    AN_PIPENV,
    AN_POETRY,
    AN_UV,
    AN_GOMOD,
    AN_BUNDLER,
    AN_POM,
    AN_GRADLE,
    AN_NUGET,
};

struct inv_rec {
    enum inv_an an;
    char *path;
    size_t layer;
    struct vg_digest digest, diff_id;
    struct vg_pkg_list pkgs;
    uint8_t *data; /* AN_OS: the marker file */
    size_t len;
    char **files; /* AN_DPKG_LIST / AN_DPKG_MD5 */
    size_t nfiles;
    bool failed; /* the file was skipped with a warning */
};

struct bin_stream;

struct vg_inventory_builder {
    struct vg_inventory_opts opts;
    struct vg_layer_consumer cons;
    struct vg_layer_consumer jar_cons; /* archives, with their own size limit */
    struct vg_layer_consumer *consp[2];
    pthread_mutex_t mu; /* guards recs, nrecs, cap, warnings */
    struct inv_rec *recs;
    size_t nrecs, cap;
    size_t warnings;
    struct bin_stream *streams[VG_LIMIT_LAYERS]; /* slot i: only layer i's thread */
};

/* The analyzer a path is routed to, AN_NONE when no analyzer wants it. */
enum inv_an vg_inv_builder_classify(const char *path);
void vg_inv_rec_dispose(struct inv_rec *r);

#endif
