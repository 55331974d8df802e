/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to registry/'s SQLite metadata store: the connection pool shared by meta_sqlite.c
 * (schema, protocol operations) and meta_sqlite_supply.c (scan results, garbage collection).
 */
#ifndef VG_REGISTRY_META_SQLITE_INT_H
#define VG_REGISTRY_META_SQLITE_INT_H

#include <pthread.h>

#include "registry/meta.h"
#include "store/store.h"

#define POOL_MAX 16u

struct sq {
    struct vg_registry_meta base;
    char *path;
    pthread_mutex_t lock; /* guards idle, nidle */
    struct vg_store *idle[POOL_MAX];
    size_t nidle;
};

struct vg_store *vg_registry_sq_conn_get(struct sq *q, struct vg_err **err);
void vg_registry_sq_conn_put(struct sq *q, struct vg_store *s);

/* Runs sql with text parameters (NULL binds NULL) and discards rows. */
int vg_registry_sq_exec_args(struct vg_store *s, const char *sql, const char *const *args, size_t n,
                             struct vg_err **err);
/* Column col as a new string, NULL for SQL NULL. */
char *vg_registry_sq_col_dup(struct vg_store_stmt *st, int col);

/* Runs fn with a pooled connection. */
#define WITH_CONN(q, err, call)                                                                    \
    do {                                                                                           \
        struct vg_store *s_ = vg_registry_sq_conn_get((q), (err));                                 \
        if (!s_) {                                                                                 \
            return -1;                                                                             \
        }                                                                                          \
        int rc_ = (call);                                                                          \
        vg_registry_sq_conn_put((q), s_);                                                          \
        return rc_;                                                                                \
    } while (0)

/* meta_sqlite_supply.c */
int vg_registry_sq_scan_put(struct vg_registry_meta *m, const struct vg_registry_scan_rec *rec,
                            struct vg_err **err);
int vg_registry_sq_scan_get(struct vg_registry_meta *m, const struct vg_digest *d,
                            struct vg_registry_scan_rec *out, struct vg_err **err);
int vg_registry_sq_scan_list(struct vg_registry_meta *m, struct vg_registry_scan_rec **out,
                             size_t *n, struct vg_err **err);
int vg_registry_sq_gc_candidates(struct vg_registry_meta *m, int64_t before, struct vg_digest **out,
                                 size_t *n, struct vg_err **err);
int vg_registry_sq_gc_blob_delete(struct vg_registry_meta *m, const struct vg_digest *d,
                                  int64_t before, bool *deleted, struct vg_err **err);

#endif
