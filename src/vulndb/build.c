/* SPDX-License-Identifier: Apache-2.0
 *
 * Building a vulnerability database: the schema, bulk ingestion of OSV records and secdb
 * pseudo-advisories into a brand-new file beside the published one, the alias severity pass,
 * index creation, and the atomic publish (fsync + rename + fsync dir).
 *
 * Schema (PRAGMA user_version = 2):
 *   meta(key, value)            built_at (unix seconds), schema
 *   sources(name, kind, location, records, skipped, etag, last_modified)
 *   advisories(id, uid UNIQUE, vuln_id, source, summary, details, published, modified,
 *              withdrawn, aliases "\n"-joined, refs "TYPE url\n" lines, severity 0..5 (enum
 *              vg_vulndb_severity), severity_source, inherited, cvss_version (enum
 *              vg_cvss_version), cvss_vector, cvss_score)
 *   affected(adv -> advisories.id, ecosystem, name (PEP 503 for PyPI), ranges (encoded, see
 *            osv.c vg_vulndb_ranges_encode), versions "\n"-joined, eco_specific JSON, db_specific
 * JSON) ids(adv, key)               the id, aliases and upstream ids of each advisory
 *   ecosystems(ecosystem, advisories, packages)   counts for `db info`
 *   cves(cve PRIMARY KEY, published, last_modified, status, description, cwes "\n"-joined)
 *                               NVD's record of each CVE (schema 2)
 *   cvss(cve, source, is_primary, version, vector, score, severity)  NVD and CNA metrics
 *   vendor_severity(cve, vendor, package, release, severity)         e.g. Debian urgencies
 * Indexes: affected(ecosystem, name, adv) for lookups; ids(key), ids(adv) for aliases.
 *
 * Ingestion speed: one transaction, prepared statements, journal_mode=OFF / synchronous=OFF
 * on the new file (it is published only when complete), secondary indexes after the bulk load.
 */
#include "vulndb/vulndb_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

static const char schema_v1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE sources(name TEXT PRIMARY KEY, kind TEXT NOT NULL, location TEXT,"
    " records INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,"
    " etag TEXT, last_modified TEXT);"
    "CREATE TABLE advisories(id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE,"
    " vuln_id TEXT NOT NULL, source TEXT NOT NULL, summary TEXT, details TEXT,"
    " published TEXT, modified TEXT, withdrawn INTEGER NOT NULL DEFAULT 0, aliases TEXT,"
    " refs TEXT, severity INTEGER NOT NULL DEFAULT 0, severity_source TEXT,"
    " inherited INTEGER NOT NULL DEFAULT 0, cvss_version INTEGER, cvss_vector TEXT,"
    " cvss_score REAL);"
    "CREATE TABLE affected(adv INTEGER NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL,"
    " ranges TEXT, versions TEXT, eco_specific TEXT, db_specific TEXT);"
    "CREATE TABLE ids(adv INTEGER NOT NULL, key TEXT NOT NULL);"
    "CREATE TABLE ecosystems(ecosystem TEXT PRIMARY KEY, advisories INTEGER NOT NULL,"
    " packages INTEGER NOT NULL);";

/* Per-CVE data from NVD feeds and vendor trackers, keyed by CVE id (not by advisory). */
static const char schema_v2[] =
    "CREATE TABLE cves(cve TEXT PRIMARY KEY, published TEXT, last_modified TEXT, status TEXT,"
    " description TEXT, cwes TEXT);"
    "CREATE TABLE cvss(cve TEXT NOT NULL, source TEXT NOT NULL, is_primary INTEGER NOT NULL,"
    " version INTEGER NOT NULL, vector TEXT NOT NULL, score REAL NOT NULL,"
    " severity INTEGER NOT NULL);"
    "CREATE TABLE vendor_severity(cve TEXT NOT NULL, vendor TEXT NOT NULL,"
    " package TEXT NOT NULL DEFAULT '', release TEXT NOT NULL DEFAULT '',"
    " severity INTEGER NOT NULL);";

const char *const vg_vulndb_schema[] = {schema_v1, schema_v2};
const size_t vg_vulndb_schema_len = VG_ARRAY_LEN(vg_vulndb_schema);

const char vg_vulndb_index_sql[] = "CREATE INDEX affected_pkg ON affected(ecosystem, name, adv);"
                                   "CREATE INDEX ids_key ON ids(key);"
                                   "CREATE INDEX ids_adv ON ids(adv);"
                                   "CREATE INDEX cvss_cve ON cvss(cve);"
                                   "CREATE INDEX vendor_cve ON vendor_severity(cve);";

/* A record without severity takes the highest severity among the records sharing one of its
 * ids (CVE aliases, upstream ids, GHSA ids); ties go to the smallest id for determinism.
 * Only records whose severity is their own are sources, so the result does not depend on
 * the order of updates. */
static const char resolve_sql[] =
    "WITH cand AS (SELECT ka.adv AS aid, b.severity AS sev, b.vuln_id AS bvid,"
    "  b.severity_source AS bsrc, b.cvss_version AS cv, b.cvss_vector AS cvec,"
    "  b.cvss_score AS cs, row_number() OVER (PARTITION BY ka.adv"
    "  ORDER BY b.severity DESC, b.vuln_id) AS rn"
    " FROM advisories a JOIN ids ka ON ka.adv = a.id"
    " JOIN ids kb ON kb.key = ka.key AND kb.adv <> ka.adv"
    " JOIN advisories b ON b.id = kb.adv"
    " WHERE a.severity = 0 AND b.severity > 0 AND b.inherited = 0 AND b.withdrawn = 0)"
    "UPDATE advisories SET severity = cand.sev,"
    " severity_source = 'alias ' || cand.bvid || ' (' || cand.bsrc || ')', inherited = 1,"
    " cvss_version = cand.cv, cvss_vector = cand.cvec, cvss_score = cand.cs"
    " FROM cand WHERE cand.aid = advisories.id AND cand.rn = 1;";

struct source_acc {
    char *name, *kind, *location, *etag, *last_modified;
    uint64_t records, skipped;
    uint64_t dropped; /* records kept without some ranges */
};

struct vg_vulndb_builder {
    struct vg_store *s;
    char *final_path, *tmp_path;
    bool committed;
    struct vg_store_stmt *ins_adv, *find_adv, *del_adv, *del_aff, *del_ids, *ins_aff, *ins_ids;
    /* Per-CVE tables, prepared on the first NVD / tracker file. */
    struct vg_store_stmt *find_cve, *ins_cve, *del_cvss, *ins_cvss, *ins_vsev;
    struct vg_vulndb_build_stats stats;
    struct source_acc *srcs;
    size_t n_srcs, cur;
    struct vg_buf tmp1, tmp2;
};

/* ---------------------------------------------------------------- sources */

static size_t
source_use(struct vg_vulndb_builder *b, const char *name, const char *kind, const char *loc)
{
    for (size_t i = 0; i < b->n_srcs; i++) {
        if (strcmp(b->srcs[i].name, name) == 0) {
            return b->cur = i;
        }
    }
    VG_ARRAY_GROW(b->srcs, b->n_srcs, 1);
    b->srcs[b->n_srcs] = (struct source_acc){
        .name = vg_strdup(name), .kind = vg_strdup(kind), .location = vg_strdup(loc)};
    return b->cur = b->n_srcs++;
}

static void
record_bad(struct vg_vulndb_builder *b, const char *what, const char *why)
{
    struct source_acc *src = &b->srcs[b->cur];
    if (src->skipped < VULNDB_MAX_WARNINGS) {
        vg_autofree char *e = vg_escape(what, strlen(what), 200);
        VG_WARN("vulndb", "%s: %s: skipped: %s", src->name, e, why);
    } else if (src->skipped == VULNDB_MAX_WARNINGS) {
        VG_WARN("vulndb", "%s: more bad records; counting only", src->name);
    }
    src->skipped++;
    b->stats.skipped++;
}

/* A record kept without some of its ranges (unparsable versions): warned about with the
 * same per-source bound as skipped records. */
static void
record_dropped(struct vg_vulndb_builder *b, const char *what, const struct osv_record *rec)
{
    struct source_acc *src = &b->srcs[b->cur];
    if (src->dropped < VULNDB_MAX_WARNINGS) {
        vg_autofree char *e = vg_escape(what, strlen(what), 200);
        VG_WARN("vulndb", "%s: %s: %zu range(s) left out, record kept: %s", src->name, e,
                rec->n_dropped, rec->dropped ? rec->dropped : "unparsable version");
    } else if (src->dropped == VULNDB_MAX_WARNINGS) {
        VG_WARN("vulndb", "%s: more records with unparsable ranges; counting only", src->name);
    }
    src->dropped++;
    b->stats.ranges_dropped += rec->n_dropped;
}

/* ---------------------------------------------------------------- lifecycle */

static int
prepare_all(struct vg_vulndb_builder *b, struct vg_err **err)
{
    static const char ins_adv[] =
        "INSERT INTO advisories(uid, vuln_id, source, summary, details, published, modified,"
        " withdrawn, aliases, refs, severity, severity_source, cvss_version, cvss_vector,"
        " cvss_score) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)"
        " ON CONFLICT(uid) DO NOTHING RETURNING id";
    if (vg_store_prepare(&b->ins_adv, b->s, ins_adv, err) < 0 ||
        vg_store_prepare(&b->find_adv, b->s,
                         "SELECT id, coalesce(modified, '') FROM advisories WHERE uid = ?1",
                         err) < 0 ||
        vg_store_prepare(&b->del_adv, b->s, "DELETE FROM advisories WHERE id = ?1", err) < 0 ||
        vg_store_prepare(&b->del_aff, b->s, "DELETE FROM affected WHERE adv = ?1", err) < 0 ||
        vg_store_prepare(&b->del_ids, b->s, "DELETE FROM ids WHERE adv = ?1", err) < 0 ||
        vg_store_prepare(&b->ins_aff, b->s,
                         "INSERT INTO affected(adv, ecosystem, name, ranges, versions,"
                         " eco_specific, db_specific) VALUES(?1,?2,?3,?4,?5,?6,?7)",
                         err) < 0 ||
        vg_store_prepare(&b->ins_ids, b->s, "INSERT INTO ids(adv, key) VALUES(?1, ?2)", err) < 0) {
        return -VG_E_DB;
    }
    return 0;
}

static void
free_stmts(struct vg_vulndb_builder *b)
{
    struct vg_store_stmt **sts[] = {&b->ins_adv, &b->find_adv, &b->del_adv,  &b->del_aff,
                                    &b->del_ids, &b->ins_aff,  &b->ins_ids,  &b->find_cve,
                                    &b->ins_cve, &b->del_cvss, &b->ins_cvss, &b->ins_vsev};
    for (size_t i = 0; i < VG_ARRAY_LEN(sts); i++) {
        vg_store_stmt_free(*sts[i]);
        *sts[i] = NULL;
    }
}

int
vg_vulndb_builder_new(struct vg_vulndb_builder **out, const char *final_path, struct vg_err **err)
{
    vg_autofree char *dircopy = vg_strdup(final_path);
    const char *dir = dirname(dircopy);
    if (vg_mkdir_p(dir, 0755, err) < 0) {
        return vg_err_wrap(err, "database directory");
    }
    struct vg_vulndb_builder *b = vg_calloc(1, sizeof(*b));
    b->final_path = vg_strdup(final_path);
    b->tmp_path = vg_fmt("%s.new.%ld.XXXXXX", final_path, (long)getpid());
    vg_buf_init(&b->tmp1, VG_LIMIT_OSV_RECORD_BYTES);
    vg_buf_init(&b->tmp2, VG_LIMIT_OSV_RECORD_BYTES);
    int fd = mkstemp(b->tmp_path);
    if (fd < 0) {
        int rc = vg_err_sys(err, VG_E_IO, "create %s", b->tmp_path);
        free(b->tmp_path);
        b->tmp_path = NULL;
        vg_vulndb_builder_free(b);
        return rc;
    }
    close(fd);
    if (vg_store_open(&b->s, b->tmp_path, VG_STORE_BULK, err) < 0 ||
        vg_store_migrate(b->s, vg_vulndb_schema, vg_vulndb_schema_len, err) < 0 ||
        prepare_all(b, err) < 0 || vg_store_begin(b->s, err) < 0) {
        vg_vulndb_builder_free(b);
        return vg_err_wrap(err, "start database build");
    }
    source_use(b, "(inline)", "osv-json", "");
    *out = b;
    return 0;
}

void
vg_vulndb_builder_free(struct vg_vulndb_builder *b)
{
    if (!b) {
        return;
    }
    free_stmts(b);
    if (b->s) {
        vg_store_rollback(b->s);
        vg_store_close(b->s);
    }
    if (!b->committed && b->tmp_path) {
        unlink(b->tmp_path);
    }
    for (size_t i = 0; i < b->n_srcs; i++) {
        free(b->srcs[i].name);
        free(b->srcs[i].kind);
        free(b->srcs[i].location);
        free(b->srcs[i].etag);
        free(b->srcs[i].last_modified);
    }
    free(b->srcs);
    vg_buf_dispose(&b->tmp1);
    vg_buf_dispose(&b->tmp2);
    free(b->final_path);
    free(b->tmp_path);
    free(b);
}

const struct vg_vulndb_build_stats *
vg_vulndb_builder_stats(const struct vg_vulndb_builder *b)
{
    return &b->stats;
}

/* ---------------------------------------------------------------- inserting */

static int
join_lines(struct vg_buf *out, char **v, size_t n, struct vg_err **err)
{
    vg_buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        if ((i && vg_buf_appendc(out, '\n', err) < 0) || vg_buf_append_str(out, v[i], err) < 0) {
            return -VG_E_LIMIT;
        }
    }
    return 0;
}

static int
bind_adv(struct vg_vulndb_builder *b, const struct osv_record *r, struct vg_err **err)
{
    struct vg_store_stmt *st = b->ins_adv;
    if (join_lines(&b->tmp1, r->aliases, r->n_aliases, err) < 0) {
        return -VG_E_LIMIT;
    }
    if (vg_store_bind_cstr(st, 1, r->uid, err) < 0 || vg_store_bind_cstr(st, 2, r->id, err) < 0 ||
        vg_store_bind_cstr(st, 3, b->srcs[b->cur].name, err) < 0 ||
        vg_store_bind_cstr(st, 4, r->summary, err) < 0 ||
        vg_store_bind_cstr(st, 5, r->details, err) < 0 ||
        vg_store_bind_cstr(st, 6, r->published, err) < 0 ||
        vg_store_bind_cstr(st, 7, r->modified, err) < 0 ||
        vg_store_bind_i64(st, 8, r->withdrawn, err) < 0 ||
        vg_store_bind_text(st, 9, r->n_aliases ? (const char *)b->tmp1.data : NULL, b->tmp1.len,
                           err) < 0 ||
        vg_store_bind_text(st, 10, r->refs.len ? (const char *)r->refs.data : NULL, r->refs.len,
                           err) < 0 ||
        vg_store_bind_i64(st, 11, r->severity, err) < 0 ||
        vg_store_bind_cstr(st, 12, r->severity_source, err) < 0) {
        return -VG_E_DB;
    }
    if (r->cvss_version) {
        if (vg_store_bind_i64(st, 13, r->cvss_version, err) < 0 ||
            vg_store_bind_cstr(st, 14, r->cvss_vector, err) < 0 ||
            vg_store_bind_double(st, 15, r->cvss_score, err) < 0) {
            return -VG_E_DB;
        }
    }
    return 0;
}

static int
exec_id(struct vg_store_stmt *st, int64_t id, struct vg_err **err)
{
    int rc = vg_store_bind_i64(st, 1, id, err);
    if (rc == 0) {
        rc = vg_store_step(st, err);
    }
    vg_store_reset(st);
    return rc < 0 ? rc : 0;
}

/* Returns 1 when the record should replace an existing one (newer `modified`), 0 to keep the
 * existing one, after deleting the old rows in the replace case. */
static int
resolve_duplicate(struct vg_vulndb_builder *b, const struct osv_record *r, struct vg_err **err)
{
    struct vg_store_stmt *st = b->find_adv;
    if (vg_store_bind_cstr(st, 1, r->uid, err) < 0) {
        return -VG_E_DB;
    }
    int rc = vg_store_step(st, err);
    if (rc <= 0) {
        vg_store_reset(st);
        return rc < 0 ? rc : vg_err_set(err, VG_E_INTERNAL, "duplicate %s vanished", r->uid);
    }
    int64_t old = vg_store_col_i64(st, 0);
    bool newer = strcmp(r->modified ? r->modified : "", vg_store_col_text(st, 1, NULL)) > 0;
    vg_store_reset(st);
    b->stats.duplicates++;
    if (!newer) {
        return 0;
    }
    if (exec_id(b->del_aff, old, err) < 0 || exec_id(b->del_ids, old, err) < 0 ||
        exec_id(b->del_adv, old, err) < 0) {
        return -VG_E_DB;
    }
    return 1;
}

static int
insert_affected(struct vg_vulndb_builder *b, int64_t adv, const struct osv_affected *a,
                struct vg_err **err)
{
    struct vg_store_stmt *st = b->ins_aff;
    vg_buf_reset(&b->tmp1);
    if (vg_vulndb_ranges_encode(&b->tmp1, a->ranges, a->n_ranges, err) < 0 ||
        join_lines(&b->tmp2, a->versions, a->n_versions, err) < 0) {
        return -VG_E_LIMIT;
    }
    int rc = 0;
    if (vg_store_bind_i64(st, 1, adv, err) < 0 ||
        vg_store_bind_cstr(st, 2, a->ecosystem, err) < 0 ||
        vg_store_bind_cstr(st, 3, a->name, err) < 0 ||
        vg_store_bind_text(st, 4, b->tmp1.len ? (const char *)b->tmp1.data : NULL, b->tmp1.len,
                           err) < 0 ||
        vg_store_bind_text(st, 5, b->tmp2.len ? (const char *)b->tmp2.data : NULL, b->tmp2.len,
                           err) < 0 ||
        vg_store_bind_cstr(st, 6, a->eco_specific, err) < 0 ||
        vg_store_bind_cstr(st, 7, a->db_specific, err) < 0 || vg_store_step(st, err) < 0) {
        rc = -VG_E_DB;
    }
    vg_store_reset(st);
    return rc;
}

static int
insert_key(struct vg_vulndb_builder *b, int64_t adv, const char *key, struct vg_err **err)
{
    struct vg_store_stmt *st = b->ins_ids;
    int rc = 0;
    if (vg_store_bind_i64(st, 1, adv, err) < 0 || vg_store_bind_cstr(st, 2, key, err) < 0 ||
        vg_store_step(st, err) < 0) {
        rc = -VG_E_DB;
    }
    vg_store_reset(st);
    return rc;
}

static int
insert_record(struct osv_record *r, void *ctx, struct vg_err **err)
{
    struct vg_vulndb_builder *b = ctx;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (bind_adv(b, r, err) < 0) {
            vg_store_reset(b->ins_adv);
            return -VG_E_DB;
        }
        int rc = vg_store_step(b->ins_adv, err);
        int64_t adv = rc == 1 ? vg_store_col_i64(b->ins_adv, 0) : 0;
        if (rc == 1) {
            rc = vg_store_step(b->ins_adv, err); /* finish the RETURNING statement */
        }
        vg_store_reset(b->ins_adv);
        if (rc < 0) {
            return rc;
        }
        if (adv == 0) {
            rc = attempt == 0 ? resolve_duplicate(b, r, err) : 0;
            if (rc <= 0) {
                return rc;
            }
            continue;
        }
        for (size_t i = 0; i < r->n_affected; i++) {
            if (insert_affected(b, adv, &r->affected[i], err) < 0) {
                return -VG_E_DB;
            }
        }
        if (insert_key(b, adv, r->id, err) < 0) {
            return -VG_E_DB;
        }
        for (size_t i = 0; i < r->n_aliases; i++) {
            if (insert_key(b, adv, r->aliases[i], err) < 0) {
                return -VG_E_DB;
            }
        }
        b->stats.records++;
        b->srcs[b->cur].records++;
        return 0;
    }
    return 0;
}

static void
secdb_bad(const char *what, const char *why, void *ctx)
{
    record_bad(ctx, what, why);
}

/* One JSON document: an OSV record or a secdb file. Bad documents are counted and skipped;
 * only database failures are returned. */
static int
ingest_json(struct vg_vulndb_builder *b, const char *what, const uint8_t *data, size_t len,
            size_t max, struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    struct vg_err *perr = NULL;
    b->stats.json_bytes += len;
    if (vg_json_parse(&root, data, len, max, what, &perr) < 0) {
        vg_autofree char *m = vg_err_format(perr);
        vg_err_free(&perr);
        record_bad(b, what, m);
        return 0;
    }
    if (vg_secdb_detect(root)) {
        int rc = vg_secdb_parse(root, insert_record, secdb_bad, b, &perr);
        if (rc < 0 && vg_err_is(perr, VG_E_DB)) {
            *err = perr;
            return rc;
        }
        if (rc < 0) {
            vg_autofree char *m = vg_err_format(perr);
            vg_err_free(&perr);
            record_bad(b, what, m);
        }
        return 0;
    }
    if (len > VG_LIMIT_OSV_RECORD_BYTES) {
        record_bad(b, what, "record larger than the OSV record limit");
        return 0;
    }
    struct osv_record rec;
    if (vg_osv_record_parse(&rec, root, &perr) < 0) {
        vg_autofree char *m = vg_err_format(perr);
        vg_err_free(&perr);
        record_bad(b, what, m);
        return 0;
    }
    if (rec.n_dropped) {
        record_dropped(b, what, &rec);
    }
    int rc = insert_record(&rec, b, err);
    vg_osv_record_dispose(&rec);
    return rc;
}

int
vg_vulndb_builder_add_json(struct vg_vulndb_builder *b, const char *source, const void *data,
                           size_t len, struct vg_err **err)
{
    source_use(b, source ? source : "(inline)", "osv-json", "");
    return ingest_json(b, source ? source : "(inline)", data, len, VULNDB_MAX_SECDB_BYTES, err);
}

static int
zip_entry(const char *name, const uint8_t *data, size_t len, void *ctx, struct vg_err **err)
{
    return ingest_json(ctx, name, data, len, VG_LIMIT_OSV_RECORD_BYTES, err);
}

static void
zip_bad(const char *name, const char *why, void *ctx)
{
    record_bad(ctx, name, why);
}

int
vg_vulndb_builder_add_zip(struct vg_vulndb_builder *b, const char *zip_path,
                          const struct vg_vulndb_source_meta *meta, struct vg_err **err)
{
    size_t i = source_use(b, meta && meta->name ? meta->name : zip_path, "osv-zip",
                          meta && meta->location ? meta->location : zip_path);
    if (meta) {
        free(b->srcs[i].etag);
        free(b->srcs[i].last_modified);
        b->srcs[i].etag = vg_strdup(meta->etag);
        b->srcs[i].last_modified = vg_strdup(meta->last_modified);
    }
    return vg_vulndb_zip_walk(zip_path, zip_entry, zip_bad, b, err);
}

/* ---------------------------------------------------------------- NVD and Debian tracker */

static int
prepare_cve_stmts(struct vg_vulndb_builder *b, struct vg_err **err)
{
    if (b->find_cve) {
        return 0;
    }
    if (vg_store_prepare(&b->find_cve, b->s,
                         "SELECT coalesce(last_modified, '') FROM cves WHERE cve = ?1", err) < 0 ||
        vg_store_prepare(&b->ins_cve, b->s,
                         "INSERT OR REPLACE INTO cves(cve, published, last_modified, status,"
                         " description, cwes) VALUES(?1,?2,?3,?4,?5,?6)",
                         err) < 0 ||
        vg_store_prepare(&b->del_cvss, b->s, "DELETE FROM cvss WHERE cve = ?1", err) < 0 ||
        vg_store_prepare(&b->ins_cvss, b->s,
                         "INSERT INTO cvss(cve, source, is_primary, version, vector, score,"
                         " severity) VALUES(?1,?2,?3,?4,?5,?6,?7)",
                         err) < 0 ||
        vg_store_prepare(&b->ins_vsev, b->s,
                         "INSERT INTO vendor_severity(cve, vendor, package, release, severity)"
                         " VALUES(?1,?2,?3,?4,?5)",
                         err) < 0) {
        return -VG_E_DB;
    }
    return 0;
}

static int
step_reset(struct vg_store_stmt *st, int rc, struct vg_err **err)
{
    if (rc == 0 && vg_store_step(st, err) < 0) {
        rc = -VG_E_DB;
    }
    vg_store_reset(st);
    return rc < 0 ? -VG_E_DB : 0;
}

/* 1 when `c` should be stored (new CVE, or newer than the stored record). */
static int
cve_is_newer(struct vg_vulndb_builder *b, const struct nvd_cve *c, struct vg_err **err)
{
    struct vg_store_stmt *st = b->find_cve;
    if (vg_store_bind_cstr(st, 1, c->id, err) < 0) {
        return -VG_E_DB;
    }
    int rc = vg_store_step(st, err);
    int newer = 1;
    if (rc == 1) {
        b->stats.duplicates++;
        newer =
            strcmp(c->last_modified ? c->last_modified : "", vg_store_col_text(st, 0, NULL)) > 0;
    }
    vg_store_reset(st);
    return rc < 0 ? rc : newer;
}

static int
insert_cve(struct vg_vulndb_builder *b, const struct nvd_cve *c, struct vg_err **err)
{
    int newer = cve_is_newer(b, c, err);
    if (newer <= 0) {
        return newer;
    }
    if (join_lines(&b->tmp1, c->cwes, c->n_cwes, err) < 0) {
        return -VG_E_LIMIT;
    }
    struct vg_store_stmt *st = b->ins_cve;
    int rc = vg_store_bind_cstr(st, 1, c->id, err) < 0 ||
                     vg_store_bind_cstr(st, 2, c->published, err) < 0 ||
                     vg_store_bind_cstr(st, 3, c->last_modified, err) < 0 ||
                     vg_store_bind_cstr(st, 4, c->status, err) < 0 ||
                     vg_store_bind_cstr(st, 5, c->description, err) < 0 ||
                     vg_store_bind_text(st, 6, c->n_cwes ? (const char *)b->tmp1.data : NULL,
                                        b->tmp1.len, err) < 0
                 ? -VG_E_DB
                 : 0;
    if (step_reset(st, rc, err) < 0) {
        return -VG_E_DB;
    }
    rc = vg_store_bind_cstr(b->del_cvss, 1, c->id, err) < 0 ? -VG_E_DB : 0;
    if (step_reset(b->del_cvss, rc, err) < 0) {
        return -VG_E_DB;
    }
    for (size_t i = 0; i < c->n_metrics; i++) {
        const struct nvd_metric *m = &c->metrics[i];
        st = b->ins_cvss;
        rc = vg_store_bind_cstr(st, 1, c->id, err) < 0 ||
                     vg_store_bind_cstr(st, 2, m->source, err) < 0 ||
                     vg_store_bind_i64(st, 3, m->primary, err) < 0 ||
                     vg_store_bind_i64(st, 4, m->version, err) < 0 ||
                     vg_store_bind_cstr(st, 5, m->vector, err) < 0 ||
                     vg_store_bind_double(st, 6, m->score, err) < 0 ||
                     vg_store_bind_i64(st, 7, m->severity, err) < 0
                 ? -VG_E_DB
                 : 0;
        if (step_reset(st, rc, err) < 0) {
            return -VG_E_DB;
        }
    }
    b->stats.records++;
    b->srcs[b->cur].records++;
    return 0;
}

static void
split_bad(const char *key, const char *why, void *ctx)
{
    record_bad(ctx, key, why);
}

static int
nvd_item(const char *key, const uint8_t *data, size_t len, void *ctx, struct vg_err **err)
{
    (void)key;
    struct vg_vulndb_builder *b = ctx;
    vg_autojson json_t *root = NULL;
    struct vg_err *perr = NULL;
    struct nvd_cve c;
    b->stats.json_bytes += len;
    if (vg_json_parse(&root, data, len, VG_LIMIT_OSV_RECORD_BYTES, "NVD record", &perr) < 0 ||
        vg_nvd_cve_parse(&c, root, &perr) < 0) {
        vg_autofree char *m = vg_err_format(perr);
        vg_err_free(&perr);
        const char *id = vg_json_str(vg_json_obj(root, "cve"), "id");
        record_bad(b, id ? id : "NVD record", m);
        return 0;
    }
    int rc = insert_cve(b, &c, err);
    vg_nvd_cve_dispose(&c);
    return rc;
}

static int
split_source(struct vg_vulndb_builder *b, const char *path, const char *kind,
             const struct vg_vulndb_source_meta *meta, enum vg_json_split_mode mode,
             split_item_fn fn, struct vg_err **err)
{
    if (prepare_cve_stmts(b, err) < 0) {
        return -VG_E_DB;
    }
    size_t i = source_use(b, meta && meta->name ? meta->name : path, kind,
                          meta && meta->location ? meta->location : path);
    if (meta) {
        free(b->srcs[i].etag);
        free(b->srcs[i].last_modified);
        b->srcs[i].etag = vg_strdup(meta->etag);
        b->srcs[i].last_modified = vg_strdup(meta->last_modified);
    }
    struct vg_json_splitter sp;
    vg_json_splitter_init(&sp, mode, fn, split_bad, b);
    int rc = vg_json_split_file(path, &sp, err);
    vg_json_splitter_dispose(&sp);
    return rc;
}

int
vg_vulndb_builder_add_nvd(struct vg_vulndb_builder *b, const char *path,
                          const struct vg_vulndb_source_meta *meta, struct vg_err **err)
{
    return split_source(b, path, "nvd-feed", meta, VG_SPLIT_NVD, nvd_item, err);
}

static int
debian_sev(const char *cve, const char *pkg, const char *release, enum vg_vulndb_severity sev,
           void *ctx, struct vg_err **err)
{
    struct vg_vulndb_builder *b = ctx;
    struct vg_store_stmt *st = b->ins_vsev;
    int rc = vg_store_bind_cstr(st, 1, cve, err) < 0 ||
                     vg_store_bind_cstr(st, 2, "debian", err) < 0 ||
                     vg_store_bind_cstr(st, 3, pkg, err) < 0 ||
                     vg_store_bind_cstr(st, 4, release, err) < 0 ||
                     vg_store_bind_i64(st, 5, sev, err) < 0
                 ? -VG_E_DB
                 : 0;
    return step_reset(st, rc, err);
}

static int
tracker_item(const char *key, const uint8_t *data, size_t len, void *ctx, struct vg_err **err)
{
    struct vg_vulndb_builder *b = ctx;
    vg_autojson json_t *root = NULL;
    struct vg_err *perr = NULL;
    b->stats.json_bytes += len;
    if (vg_json_parse(&root, data, len, VG_LIMIT_OSV_RECORD_BYTES, key, &perr) < 0) {
        vg_autofree char *m = vg_err_format(perr);
        vg_err_free(&perr);
        record_bad(b, key, m);
        return 0;
    }
    int rc = vg_debian_tracker_package(key, root, debian_sev, b, err);
    if (rc == 0) {
        b->stats.records++;
        b->srcs[b->cur].records++;
    }
    return rc;
}

int
vg_vulndb_builder_add_debian_tracker(struct vg_vulndb_builder *b, const char *path,
                                     const struct vg_vulndb_source_meta *meta, struct vg_err **err)
{
    return split_source(b, path, "debian-tracker", meta, VG_SPLIT_MEMBERS, tracker_item, err);
}

/* ---------------------------------------------------------------- directory walk */

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_tree(struct vg_vulndb_builder *b, const char *root, const char *rel, int depth,
                    struct vg_err **err);

enum file_kind { FILE_OTHER, FILE_NVD, FILE_TRACKER };

static enum file_kind
classify(const char *path)
{
    if (!vg_cstr_endswith(path, ".json") && !vg_cstr_endswith(path, ".json.gz")) {
        return FILE_OTHER;
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (vg_cstr_startswith(base, "nvdcve-")) {
        return FILE_NVD;
    }
    if (vg_cstr_startswith(base, "debian-security-tracker") ||
        vg_cstr_startswith(path, "debian-tracker/") || strstr(path, "/debian-tracker/")) {
        return FILE_TRACKER;
    }
    return FILE_OTHER;
}

static int
add_file(struct vg_vulndb_builder *b, const char *path, const char *rel, struct vg_err **err)
{
    enum file_kind kind = classify(path);
    if (kind != FILE_OTHER) {
        struct vg_vulndb_source_meta m = {.name = rel, .location = path};
        int rc = kind == FILE_NVD ? vg_vulndb_builder_add_nvd(b, path, &m, err)
                                  : vg_vulndb_builder_add_debian_tracker(b, path, &m, err);
        if (rc < 0 && !vg_err_is(*err, VG_E_DB)) {
            /* A damaged feed file is skipped like a bad record: the rest still builds. */
            vg_autofree char *msg = vg_err_format(*err);
            vg_err_free(err);
            record_bad(b, rel, msg);
            return 0;
        }
        return rc;
    }
    if (vg_cstr_endswith(path, ".zip")) {
        struct vg_vulndb_source_meta m = {.name = rel, .location = path};
        return vg_vulndb_builder_add_zip(b, path, &m, err);
    }
    if (!vg_cstr_endswith(path, ".json")) {
        return 0;
    }
    vg_autofree char *dircopy = vg_strdup(rel);
    vg_autofree char *pathcopy = vg_strdup(path);
    const char *loc = dirname(pathcopy);
    source_use(b, strchr(rel, '/') ? dirname(dircopy) : loc, "json-dir", loc);
    vg_autobuf struct vg_buf buf = VG_BUF_INIT(VULNDB_MAX_SECDB_BYTES);
    struct vg_err *e = NULL;
    if (vg_file_read(&buf, path, VULNDB_MAX_SECDB_BYTES, &e) < 0) {
        vg_autofree char *m = vg_err_format(e);
        vg_err_free(&e);
        record_bad(b, rel, m);
        return 0;
    }
    return ingest_json(b, rel, buf.data, buf.len, VULNDB_MAX_SECDB_BYTES, err);
}

static int
add_tree(struct vg_vulndb_builder *b, const char *root, const char *rel, int depth,
         struct vg_err **err)
{
    vg_autofree char *path = rel[0] ? vg_fmt("%s/%s", root, rel) : vg_strdup(root);
    struct stat st;
    if (stat(path, &st) < 0) {
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "%s", path);
    }
    if (!S_ISDIR(st.st_mode)) {
        return S_ISREG(st.st_mode) ? add_file(b, path, rel[0] ? rel : path, err) : 0;
    }
    if (depth > VULNDB_MAX_DIR_DEPTH) {
        return vg_err_set(err, VG_E_LIMIT, "%s: directories nested deeper than %d", path,
                          VULNDB_MAX_DIR_DEPTH);
    }
    DIR *d = opendir(path);
    if (!d) {
        return vg_err_sys(err, VG_E_IO, "open directory %s", path);
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') {
            continue;
        }
        VG_ARRAY_GROW(names, n, 1);
        names[n++] = rel[0] ? vg_fmt("%s/%s", rel, de->d_name) : vg_strdup(de->d_name);
    }
    closedir(d);
    vg_qsort(names, n, sizeof(char *), cmp_names);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            rc = add_tree(b, root, names[i], depth + 1, err);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int
vg_vulndb_builder_add_path(struct vg_vulndb_builder *b, const char *path, struct vg_err **err)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "%s", path);
    }
    if (!S_ISDIR(st.st_mode)) {
        vg_autofree char *copy = vg_strdup(path);
        const char *base = basename(copy);
        return add_file(b, path, base, err);
    }
    return add_tree(b, path, "", 0, err);
}

/* ---------------------------------------------------------------- commit */

static int
write_meta(struct vg_vulndb_builder *b, struct vg_err **err)
{
    vg_autofree char *sql = vg_fmt("INSERT INTO meta VALUES('built_at', '%lld'),"
                                   " ('schema', '%d');",
                                   (long long)vg_now_unix(), VULNDB_SCHEMA_VERSION);
    if (vg_store_exec(b->s, sql, err) < 0) {
        return -VG_E_DB;
    }
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (vg_store_prepare(&st, b->s, "INSERT INTO sources VALUES(?1,?2,?3,?4,?5,?6,?7)", err) < 0) {
        return -VG_E_DB;
    }
    for (size_t i = 0; i < b->n_srcs; i++) {
        const struct source_acc *s = &b->srcs[i];
        if (s->records == 0 && s->skipped == 0 && strcmp(s->name, "(inline)") == 0) {
            continue;
        }
        if (vg_store_bind_cstr(st, 1, s->name, err) < 0 ||
            vg_store_bind_cstr(st, 2, s->kind, err) < 0 ||
            vg_store_bind_cstr(st, 3, s->location, err) < 0 ||
            vg_store_bind_i64(st, 4, (int64_t)s->records, err) < 0 ||
            vg_store_bind_i64(st, 5, (int64_t)s->skipped, err) < 0 ||
            vg_store_bind_cstr(st, 6, s->etag, err) < 0 ||
            vg_store_bind_cstr(st, 7, s->last_modified, err) < 0 || vg_store_step(st, err) < 0) {
            return -VG_E_DB;
        }
        vg_store_reset(st);
    }
    return 0;
}

static int
count_inherited(struct vg_vulndb_builder *b, struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (vg_store_prepare(&st, b->s, "SELECT count(*) FROM advisories WHERE inherited = 1", err) <
            0 ||
        vg_store_step(st, err) < 0) {
        return -VG_E_DB;
    }
    b->stats.inherited = (uint64_t)vg_store_col_i64(st, 0);
    return 0;
}

static int
sync_and_publish(struct vg_vulndb_builder *b, struct vg_err **err)
{
    vg_autoclose int fd = open(b->tmp_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0) {
        return vg_err_sys(err, VG_E_IO, "sync %s", b->tmp_path);
    }
    if (fchmod(fd, 0644) < 0) {
        return vg_err_sys(err, VG_E_IO, "chmod %s", b->tmp_path);
    }
    if (rename(b->tmp_path, b->final_path) < 0) {
        return vg_err_sys(err, VG_E_IO, "rename %s to %s", b->tmp_path, b->final_path);
    }
    b->committed = true;
    vg_autofree char *dircopy = vg_strdup(b->final_path);
    vg_autoclose int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        /* Durability of the rename is best effort: the new file itself is already synced. */
        (void)fsync(dfd);
    }
    return 0;
}

int
vg_vulndb_builder_commit(struct vg_vulndb_builder *b, struct vg_vulndb_build_stats *stats,
                         struct vg_err **err)
{
    if (vg_store_exec(b->s, vg_vulndb_index_sql, err) < 0 ||
        vg_store_exec(b->s, resolve_sql, err) < 0 ||
        vg_store_exec(b->s,
                      "INSERT INTO ecosystems SELECT f.ecosystem, count(DISTINCT f.adv),"
                      " count(DISTINCT f.name) FROM affected f JOIN advisories a"
                      " ON a.id = f.adv WHERE a.withdrawn = 0 GROUP BY f.ecosystem",
                      err) < 0 ||
        write_meta(b, err) < 0 || count_inherited(b, err) < 0 || vg_store_commit(b->s, err) < 0 ||
        vg_store_exec(b->s, "PRAGMA optimize", err) < 0) {
        return vg_err_wrap(err, "finish database %s", b->tmp_path);
    }
    free_stmts(b);
    vg_store_close(b->s);
    b->s = NULL;
    if (sync_and_publish(b, err) < 0) {
        return vg_err_wrap(err, "publish database %s", b->final_path);
    }
    if (stats) {
        *stats = b->stats;
    }
    return 0;
}
