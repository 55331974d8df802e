/* SPDX-License-Identifier: Apache-2.0
 *
 * store: the thin SQLite wrapper, and the ONLY module that includes <sqlite3.h>. It opens
 * databases in one of four modes, prepares statements, binds and reads columns, runs
 * transactions and applies numbered migrations (PRAGMA user_version).
 *
 * It owns no schema: callers (vulndb, registry metadata) pass their SQL.
 *
 * Ownership: vg_store_open hands out a connection freed with vg_store_close; statements are
 * freed with vg_store_stmt_free and must be freed before their connection. Text returned by
 * vg_store_col_text is borrowed: valid until the statement is stepped, reset or freed.
 *
 * Errors: every failure is VG_E_DB (VG_E_NOTFOUND when a read-only open finds no file,
 * VG_E_IO when the directory of a new file cannot be used), with SQLite's message attached.
 *
 * Thread safety: a connection and its statements belong to one thread at a time (SQLite is
 * opened with SQLITE_OPEN_NOMUTEX); give each worker its own connection.
 */
#ifndef VG_STORE_H
#define VG_STORE_H

#include "core/core.h"

enum vg_store_mode {
    /* Read-only; waits busy_timeout on locks. For databases updated in place (WAL). */
    VG_STORE_READONLY = 1,
    /* Read-only and immutable: no locking at all. Only for files that are never modified in
     * place, only replaced by rename (the vulnerability database). */
    VG_STORE_SNAPSHOT,
    /* Read-write, created when missing; WAL, synchronous=NORMAL, busy_timeout, foreign keys. */
    VG_STORE_READWRITE,
    /* A brand-new file being bulk-loaded by a single writer before it is published with
     * rename: journal_mode=OFF, synchronous=OFF (a crash leaves a temp file, never a broken
     * published one). The file must not exist or be empty (a reserved mkstemp name). */
    VG_STORE_BULK,
};

/* Lock wait for READONLY and READWRITE connections. */
#define VG_STORE_BUSY_TIMEOUT_MS 5000

struct vg_store;
struct vg_store_stmt;

VG_NODISCARD int vg_store_open(struct vg_store **out, const char *path, enum vg_store_mode mode,
                               struct vg_err **err);
void vg_store_close(struct vg_store *s); /* NULL is a no-op */
const char *vg_store_path(const struct vg_store *s);

/* Runs one or more statements without results. */
VG_NODISCARD int vg_store_exec(struct vg_store *s, const char *sql, struct vg_err **err);

VG_NODISCARD int vg_store_begin(struct vg_store *s, struct vg_err **err);
VG_NODISCARD int vg_store_commit(struct vg_store *s, struct vg_err **err);
void vg_store_rollback(struct vg_store *s); /* best effort; safe without an open transaction */

/* Applies steps[i] for every i >= the stored PRAGMA user_version, each in its own transaction
 * together with the user_version bump. A database newer than n steps is VG_E_UNSUPPORTED. */
VG_NODISCARD int vg_store_migrate(struct vg_store *s, const char *const *steps, size_t n,
                                  struct vg_err **err);
VG_NODISCARD int vg_store_user_version(struct vg_store *s, int64_t *out, struct vg_err **err);

int64_t vg_store_last_rowid(struct vg_store *s);
/* Rows changed by the last INSERT, UPDATE or DELETE of this connection. */
int64_t vg_store_changes(struct vg_store *s);

/* Prepared statements. Parameter indexes start at 1, column indexes at 0. */
VG_NODISCARD int vg_store_prepare(struct vg_store_stmt **out, struct vg_store *s, const char *sql,
                                  struct vg_err **err);
void vg_store_stmt_free(struct vg_store_stmt *st); /* NULL is a no-op */
static inline void
vg_store_stmt_freep(struct vg_store_stmt **st)
{
    vg_store_stmt_free(*st);
}
#define vg_autostmt VG_CLEANUP(vg_store_stmt_freep)

/* Text is copied by SQLite. A NULL `s` binds SQL NULL. */
VG_NODISCARD int vg_store_bind_text(struct vg_store_stmt *st, int idx, const char *s, size_t len,
                                    struct vg_err **err);
VG_NODISCARD int vg_store_bind_cstr(struct vg_store_stmt *st, int idx, const char *s,
                                    struct vg_err **err);
VG_NODISCARD int vg_store_bind_i64(struct vg_store_stmt *st, int idx, int64_t v,
                                   struct vg_err **err);
VG_NODISCARD int vg_store_bind_double(struct vg_store_stmt *st, int idx, double v,
                                      struct vg_err **err);
VG_NODISCARD int vg_store_bind_null(struct vg_store_stmt *st, int idx, struct vg_err **err);

/* 1 when a row is available, 0 when done, negative on error. */
VG_NODISCARD int vg_store_step(struct vg_store_stmt *st, struct vg_err **err);
/* Resets for re-execution and clears bindings. */
void vg_store_reset(struct vg_store_stmt *st);

bool vg_store_col_is_null(struct vg_store_stmt *st, int col);
/* NULL for SQL NULL; *len (optional) gets the byte length. Borrowed. */
const char *vg_store_col_text(struct vg_store_stmt *st, int col, size_t *len);
int64_t vg_store_col_i64(struct vg_store_stmt *st, int col);
double vg_store_col_double(struct vg_store_stmt *st, int col);

#endif
