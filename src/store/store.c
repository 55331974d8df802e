/* SPDX-License-Identifier: Apache-2.0
 *
 * The SQLite wrapper: connection modes, statements, transactions and migrations. Every
 * SQLite call in vigil goes through this file, so error mapping (SQLite codes to VG_E_DB with
 * the connection's message) and pragmas live in one place. No schema lives here.
 */
#include "store/store.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

struct vg_store {
    sqlite3 *db;
    char *path;
};

struct vg_store_stmt {
    sqlite3_stmt *st;
    struct vg_store *owner;
};

static int
db_fail(struct vg_err **err, sqlite3 *db, int rc, const char *what)
{
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return vg_err_set(err, VG_E_DB, "%s: %s (sqlite %d)", what, msg, rc);
}

/* "file:" URI for a path, percent-escaping the characters URI parsing gives meaning to. */
static char *
snapshot_uri(const char *path)
{
    struct vg_buf b = VG_BUF_INIT(SIZE_MAX / 2);
    struct vg_err *e = NULL;
    bool ok = vg_buf_append_str(&b, "file:", &e) == 0;
    for (const char *p = path; ok && *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '%' || c == '?' || c == '#' || c < 0x20) {
            ok = vg_buf_appendf(&b, &e, "%%%02X", c) == 0;
        } else {
            ok = vg_buf_appendc(&b, (char)c, &e) == 0;
        }
    }
    ok = ok && vg_buf_append_str(&b, "?immutable=1", &e) == 0;
    vg_err_free(&e);
    if (!ok) {
        vg_buf_dispose(&b);
        return NULL;
    }
    return vg_buf_take(&b, NULL);
}

static int
apply_pragmas(struct vg_store *s, enum vg_store_mode mode, struct vg_err **err)
{
    switch (mode) {
    case VG_STORE_READONLY:
        sqlite3_busy_timeout(s->db, VG_STORE_BUSY_TIMEOUT_MS);
        return 0;
    case VG_STORE_SNAPSHOT:
        return 0;
    case VG_STORE_READWRITE:
        sqlite3_busy_timeout(s->db, VG_STORE_BUSY_TIMEOUT_MS);
        return vg_store_exec(s,
                             "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                             "PRAGMA foreign_keys=ON;",
                             err);
    case VG_STORE_BULK:
        return vg_store_exec(s,
                             "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                             "PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=MEMORY;"
                             "PRAGMA cache_size=-65536;",
                             err);
    }
    return vg_err_set(err, VG_E_USAGE, "unknown store mode %d", (int)mode);
}

int
vg_store_open(struct vg_store **out, const char *path, enum vg_store_mode mode, struct vg_err **err)
{
    int flags = SQLITE_OPEN_NOMUTEX;
    vg_autofree char *uri = NULL;
    const char *name = path;
    struct stat st;

    switch (mode) {
    case VG_STORE_READONLY:
    case VG_STORE_SNAPSHOT:
        if (stat(path, &st) < 0) {
            return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "open database %s",
                              path);
        }
        flags |= SQLITE_OPEN_READONLY;
        if (mode == VG_STORE_SNAPSHOT) {
            uri = snapshot_uri(path);
            if (!uri) {
                return vg_err_set(err, VG_E_INTERNAL, "database path too long: %s", path);
            }
            name = uri;
            flags |= SQLITE_OPEN_URI;
        }
        break;
    case VG_STORE_READWRITE:
        flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        break;
    case VG_STORE_BULK:
        if (lstat(path, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size != 0)) {
            return vg_err_set(err, VG_E_USAGE, "bulk database %s already exists", path);
        }
        flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        break;
    default:
        return vg_err_set(err, VG_E_USAGE, "unknown store mode %d", (int)mode);
    }

    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(name, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        db_fail(err, db, rc, "open database");
        sqlite3_close(db);
        return vg_err_wrap(err, "%s", path);
    }
    sqlite3_extended_result_codes(db, 1);
    struct vg_store *s = vg_calloc(1, sizeof(*s));
    s->db = db;
    s->path = vg_strdup(path);
    if (apply_pragmas(s, mode, err) < 0) {
        vg_store_close(s);
        return vg_err_wrap(err, "configure database %s", path);
    }
    *out = s;
    return 0;
}

void
vg_store_close(struct vg_store *s)
{
    if (!s) {
        return;
    }
    sqlite3_close_v2(s->db);
    free(s->path);
    free(s);
}

const char *
vg_store_path(const struct vg_store *s)
{
    return s->path;
}

int
vg_store_exec(struct vg_store *s, const char *sql, struct vg_err **err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int r = vg_err_set(err, VG_E_DB, "%s (sqlite %d)", msg ? msg : sqlite3_errstr(rc), rc);
        sqlite3_free(msg);
        return r;
    }
    return 0;
}

int
vg_store_begin(struct vg_store *s, struct vg_err **err)
{
    return vg_store_exec(s, "BEGIN IMMEDIATE", err);
}

int
vg_store_commit(struct vg_store *s, struct vg_err **err)
{
    return vg_store_exec(s, "COMMIT", err);
}

void
vg_store_rollback(struct vg_store *s)
{
    if (!sqlite3_get_autocommit(s->db)) {
        /* Failure here means there was nothing to roll back; the connection stays usable. */
        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

int
vg_store_user_version(struct vg_store *s, int64_t *out, struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (vg_store_prepare(&st, s, "PRAGMA user_version", err) < 0) {
        return -VG_E_DB;
    }
    int rc = vg_store_step(st, err);
    if (rc < 0) {
        return rc;
    }
    *out = rc == 1 ? vg_store_col_i64(st, 0) : 0;
    return 0;
}

int
vg_store_migrate(struct vg_store *s, const char *const *steps, size_t n, struct vg_err **err)
{
    int64_t cur = 0;
    if (vg_store_user_version(s, &cur, err) < 0) {
        return vg_err_wrap(err, "read schema version of %s", s->path);
    }
    if (cur < 0 || (uint64_t)cur > n) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "database %s has schema version %lld, newer than this vigil (%zu)",
                          s->path, (long long)cur, n);
    }
    for (size_t i = (size_t)cur; i < n; i++) {
        vg_autofree char *bump = vg_fmt("PRAGMA user_version=%zu", i + 1);
        if (vg_store_begin(s, err) < 0 || vg_store_exec(s, steps[i], err) < 0 ||
            vg_store_exec(s, bump, err) < 0 || vg_store_commit(s, err) < 0) {
            vg_store_rollback(s);
            return vg_err_wrap(err, "migrate %s to schema version %zu", s->path, i + 1);
        }
    }
    return 0;
}

int64_t
vg_store_last_rowid(struct vg_store *s)
{
    return sqlite3_last_insert_rowid(s->db);
}

int64_t
vg_store_changes(struct vg_store *s)
{
    return sqlite3_changes64(s->db);
}

int
vg_store_prepare(struct vg_store_stmt **out, struct vg_store *s, const char *sql,
                 struct vg_err **err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        return db_fail(err, s->db, rc, "prepare statement");
    }
    struct vg_store_stmt *w = vg_calloc(1, sizeof(*w));
    w->st = st;
    w->owner = s;
    *out = w;
    return 0;
}

void
vg_store_stmt_free(struct vg_store_stmt *st)
{
    if (!st) {
        return;
    }
    sqlite3_finalize(st->st);
    free(st);
}

static int
bind_check(struct vg_store_stmt *st, int rc, int idx, struct vg_err **err)
{
    if (rc != SQLITE_OK) {
        return db_fail(err, st->owner->db, rc, idx > 0 ? "bind parameter" : "bind");
    }
    return 0;
}

int
vg_store_bind_text(struct vg_store_stmt *st, int idx, const char *s, size_t len,
                   struct vg_err **err)
{
    if (!s) {
        return vg_store_bind_null(st, idx, err);
    }
    if (len > (size_t)INT32_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "text of %zu bytes is too large for the database", len);
    }
    return bind_check(st, sqlite3_bind_text(st->st, idx, s, (int)len, SQLITE_TRANSIENT), idx, err);
}

int
vg_store_bind_cstr(struct vg_store_stmt *st, int idx, const char *s, struct vg_err **err)
{
    return vg_store_bind_text(st, idx, s, s ? strlen(s) : 0, err);
}

int
vg_store_bind_i64(struct vg_store_stmt *st, int idx, int64_t v, struct vg_err **err)
{
    return bind_check(st, sqlite3_bind_int64(st->st, idx, v), idx, err);
}

int
vg_store_bind_double(struct vg_store_stmt *st, int idx, double v, struct vg_err **err)
{
    return bind_check(st, sqlite3_bind_double(st->st, idx, v), idx, err);
}

int
vg_store_bind_null(struct vg_store_stmt *st, int idx, struct vg_err **err)
{
    return bind_check(st, sqlite3_bind_null(st->st, idx), idx, err);
}

int
vg_store_step(struct vg_store_stmt *st, struct vg_err **err)
{
    int rc = sqlite3_step(st->st);
    if (rc == SQLITE_ROW) {
        return 1;
    }
    if (rc == SQLITE_DONE) {
        return 0;
    }
    return db_fail(err, st->owner->db, rc, "execute statement");
}

void
vg_store_reset(struct vg_store_stmt *st)
{
    /* sqlite3_reset repeats the last step's error, which the caller already handled. */
    (void)sqlite3_reset(st->st);
    (void)sqlite3_clear_bindings(st->st);
}

bool
vg_store_col_is_null(struct vg_store_stmt *st, int col)
{
    return sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

const char *
vg_store_col_text(struct vg_store_stmt *st, int col, size_t *len)
{
    const unsigned char *t = sqlite3_column_text(st->st, col);
    if (len) {
        *len = t ? (size_t)sqlite3_column_bytes(st->st, col) : 0;
    }
    return (const char *)t;
}

int64_t
vg_store_col_i64(struct vg_store_stmt *st, int col)
{
    return sqlite3_column_int64(st->st, col);
}

double
vg_store_col_double(struct vg_store_stmt *st, int col)
{
    return sqlite3_column_double(st->st, col);
}
