/* SPDX-License-Identifier: Apache-2.0
 *
 * Tests for the SQLite wrapper: modes, statements, transactions, migrations, error mapping.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static char *
tmp_db(void)
{
    char tmpl[] = "/tmp/vg_store_test.XXXXXX";
    char *d = mkdtemp(tmpl);
    cr_assert(d);
    return vg_fmt("%s/t.db", d);
}

static const char *const steps[] = {
    "CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER)",
    "ALTER TABLE kv ADD COLUMN note TEXT",
};

Test(store_store, migrate_insert_query_roundtrip)
{
    vg_autofree char *path = tmp_db();
    struct vg_err *err = NULL;
    struct vg_store *s = NULL;
    cr_assert_eq(vg_store_open(&s, path, VG_STORE_READWRITE, &err), 0);
    cr_assert_eq(vg_store_migrate(s, steps, 2, &err), 0);
    int64_t ver = 0;
    cr_assert_eq(vg_store_user_version(s, &ver, &err), 0);
    cr_assert_eq(ver, 2);
    /* idempotent */
    cr_assert_eq(vg_store_migrate(s, steps, 2, &err), 0);

    struct vg_store_stmt *ins = NULL;
    cr_assert_eq(vg_store_prepare(&ins, s, "INSERT INTO kv(k, v, note) VALUES(?1, ?2, ?3)", &err),
                 0);
    cr_assert_eq(vg_store_begin(s, &err), 0);
    for (int i = 0; i < 10; i++) {
        char k[16];
        snprintf(k, sizeof(k), "key%d", i);
        cr_assert_eq(vg_store_bind_cstr(ins, 1, k, &err), 0);
        cr_assert_eq(vg_store_bind_i64(ins, 2, i * 10, &err), 0);
        cr_assert_eq(vg_store_bind_cstr(ins, 3, i % 2 ? NULL : "even", &err), 0);
        cr_assert_eq(vg_store_step(ins, &err), 0);
        vg_store_reset(ins);
    }
    cr_assert_eq(vg_store_commit(s, &err), 0);
    vg_store_stmt_free(ins);

    struct vg_store_stmt *q = NULL;
    cr_assert_eq(vg_store_prepare(&q, s, "SELECT v, note FROM kv WHERE k = ?1", &err), 0);
    cr_assert_eq(vg_store_bind_cstr(q, 1, "key3", &err), 0);
    cr_assert_eq(vg_store_step(q, &err), 1);
    cr_assert_eq(vg_store_col_i64(q, 0), 30);
    cr_assert(vg_store_col_is_null(q, 1));
    cr_assert_null(vg_store_col_text(q, 1, NULL));
    cr_assert_eq(vg_store_step(q, &err), 0);
    vg_store_stmt_free(q);
    vg_store_close(s);

    /* snapshot (immutable) and read-only opens see the data */
    cr_assert_eq(vg_store_open(&s, path, VG_STORE_SNAPSHOT, &err), 0);
    cr_assert_eq(vg_store_prepare(&q, s, "SELECT count(*) FROM kv", &err), 0);
    cr_assert_eq(vg_store_step(q, &err), 1);
    cr_assert_eq(vg_store_col_i64(q, 0), 10);
    vg_store_stmt_free(q);
    /* writes are refused */
    cr_assert_lt(vg_store_exec(s, "DELETE FROM kv", &err), 0);
    cr_assert(vg_err_is(err, VG_E_DB));
    vg_err_free(&err);
    vg_store_close(s);
}

Test(store_store, rollback_discards)
{
    vg_autofree char *path = tmp_db();
    struct vg_err *err = NULL;
    struct vg_store *s = NULL;
    cr_assert_eq(vg_store_open(&s, path, VG_STORE_READWRITE, &err), 0);
    cr_assert_eq(vg_store_migrate(s, steps, 1, &err), 0);
    cr_assert_eq(vg_store_begin(s, &err), 0);
    cr_assert_eq(vg_store_exec(s, "INSERT INTO kv VALUES('a', 1)", &err), 0);
    vg_store_rollback(s);
    struct vg_store_stmt *q = NULL;
    cr_assert_eq(vg_store_prepare(&q, s, "SELECT count(*) FROM kv", &err), 0);
    cr_assert_eq(vg_store_step(q, &err), 1);
    cr_assert_eq(vg_store_col_i64(q, 0), 0);
    vg_store_stmt_free(q);
    vg_store_rollback(s); /* no open transaction: harmless */
    vg_store_close(s);
}

Test(store_store, newer_schema_is_unsupported)
{
    vg_autofree char *path = tmp_db();
    struct vg_err *err = NULL;
    struct vg_store *s = NULL;
    cr_assert_eq(vg_store_open(&s, path, VG_STORE_READWRITE, &err), 0);
    cr_assert_eq(vg_store_migrate(s, steps, 2, &err), 0);
    cr_assert_lt(vg_store_migrate(s, steps, 1, &err), 0);
    cr_assert(vg_err_is(err, VG_E_UNSUPPORTED));
    vg_err_free(&err);
    vg_store_close(s);
}

Test(store_store, errors_are_mapped)
{
    struct vg_err *err = NULL;
    struct vg_store *s = NULL;
    cr_assert_lt(vg_store_open(&s, "/nonexistent/dir/x.db", VG_STORE_READONLY, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);

    vg_autofree char *path = tmp_db();
    cr_assert_eq(vg_store_open(&s, path, VG_STORE_BULK, &err), 0);
    struct vg_store_stmt *q = NULL;
    cr_assert_lt(vg_store_prepare(&q, s, "SELEC nonsense", &err), 0);
    cr_assert(vg_err_is(err, VG_E_DB));
    vg_err_free(&err);
    cr_assert_eq(vg_store_exec(s, "CREATE TABLE t(x)", &err), 0);
    vg_store_close(s);
    /* bulk refuses an existing non-empty file: it is only for brand-new builds */
    cr_assert_lt(vg_store_open(&s, path, VG_STORE_BULK, &err), 0);
    cr_assert(vg_err_is(err, VG_E_USAGE));
    vg_err_free(&err);

    /* a file that is not a database */
    vg_autofree char *junk = vg_fmt("%s.junk", path);
    cr_assert_eq(
        vg_file_write_atomic(junk, "not a database at all, just text.....", 37, 0644, &err), 0);
    cr_assert_eq(vg_store_open(&s, junk, VG_STORE_SNAPSHOT, &err), 0);
    cr_assert_lt(vg_store_exec(s, "SELECT * FROM sqlite_master", &err), 0);
    cr_assert(vg_err_is(err, VG_E_DB));
    vg_err_free(&err);
    vg_store_close(s);
}

Test(store_store, snapshot_path_with_uri_characters)
{
    char tmpl[] = "/tmp/vg_store_test.XXXXXX";
    char *d = mkdtemp(tmpl);
    vg_autofree char *path = vg_fmt("%s/we?ird#na%%me.db", d);
    struct vg_err *err = NULL;
    struct vg_store *s = NULL;
    cr_assert_eq(vg_store_open(&s, path, VG_STORE_READWRITE, &err), 0);
    cr_assert_eq(vg_store_exec(s, "CREATE TABLE t(x); INSERT INTO t VALUES(7)", &err), 0);
    vg_store_close(s);
    cr_assert_eq(vg_store_open(&s, path, VG_STORE_SNAPSHOT, &err), 0);
    struct vg_store_stmt *q = NULL;
    cr_assert_eq(vg_store_prepare(&q, s, "SELECT x FROM t", &err), 0);
    cr_assert_eq(vg_store_step(q, &err), 1);
    cr_assert_eq(vg_store_col_i64(q, 0), 7);
    vg_store_stmt_free(q);
    vg_store_close(s);
}
