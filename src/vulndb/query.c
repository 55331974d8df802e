/* SPDX-License-Identifier: Apache-2.0
 *
 * Reading the vulnerability database: locating it (flag, $VIGIL_DB, XDG cache), opening it as
 * an immutable snapshot, the indexed (ecosystem, name) lookup that turns rows into advisories,
 * range evaluation for one installed version, and `db info` data. Building lives in build.c.
 */
#include "vulndb/vulndb_int.h"

#include <string.h>

#include "store/store.h"

struct vg_vulndb {
    struct vg_store *s;
    struct vg_store_stmt *q;     /* every advisory of a package, full rows */
    struct vg_store_stmt *q_rng; /* ranges and versions only, for version filtering */
    struct vg_store_stmt *q_one; /* full rows of one advisory for one package */
    bool has_cves;               /* schema >= 2: cves, cvss, vendor_severity tables */
    struct vg_store_stmt *q_cve, *q_cvss, *q_vsev;
};

static const char query_sql[] =
    "SELECT a.id, a.vuln_id, a.summary, a.details, a.published, a.modified, a.withdrawn,"
    " a.aliases, a.refs, a.severity, a.severity_source, a.cvss_version, a.cvss_vector,"
    " a.cvss_score, a.source, f.ecosystem, f.name, f.ranges, f.versions, f.eco_specific,"
    " f.db_specific"
    " FROM affected f JOIN advisories a ON a.id = f.adv"
    " WHERE f.ecosystem = ?1 AND f.name = ?2 AND a.withdrawn = 0 ORDER BY f.adv";

static const char ranges_sql[] = "SELECT adv, ranges, versions FROM affected"
                                 " WHERE ecosystem = ?1 AND name = ?2 ORDER BY adv";

static const char one_sql[] =
    "SELECT a.id, a.vuln_id, a.summary, a.details, a.published, a.modified, a.withdrawn,"
    " a.aliases, a.refs, a.severity, a.severity_source, a.cvss_version, a.cvss_vector,"
    " a.cvss_score, a.source, f.ecosystem, f.name, f.ranges, f.versions, f.eco_specific,"
    " f.db_specific"
    " FROM affected f JOIN advisories a ON a.id = f.adv"
    " WHERE f.adv = ?1 AND f.ecosystem = ?2 AND f.name = ?3 AND a.withdrawn = 0";

static const char cve_sql[] =
    "SELECT published, last_modified, status, description, cwes FROM cves WHERE cve = ?1";
static const char cvss_sql[] = "SELECT source, is_primary, version, vector, score, severity"
                               " FROM cvss WHERE cve = ?1 ORDER BY rowid";
static const char vsev_sql[] = "SELECT vendor, package, release, severity FROM vendor_severity"
                               " WHERE cve = ?1 ORDER BY rowid";

enum {
    C_ROWID,
    C_ID,
    C_SUMMARY,
    C_DETAILS,
    C_PUBLISHED,
    C_MODIFIED,
    C_WITHDRAWN,
    C_ALIASES,
    C_REFS,
    C_SEVERITY,
    C_SEVSRC,
    C_CVSSVER,
    C_CVSSVEC,
    C_CVSSSCORE,
    C_SOURCE,
    C_ECO,
    C_NAME,
    C_RANGES,
    C_VERSIONS,
    C_ECOSPEC,
    C_DBSPEC,
};

char *
vg_vulndb_path_resolve(const char *flag)
{
    if (flag && *flag) {
        return vg_strdup(flag);
    }
    const char *env = getenv("VIGIL_DB");
    if (env && *env) {
        return vg_strdup(env);
    }
    vg_autofree char *cache = vg_cache_dir();
    return vg_fmt("%s/db/vulndb.sqlite", cache);
}

int
vg_vulndb_open(struct vg_vulndb **out, const char *path, bool readonly, struct vg_err **err)
{
    struct vg_vulndb *db = vg_calloc(1, sizeof(*db));
    int64_t ver = 0;
    if (vg_store_open(&db->s, path, readonly ? VG_STORE_SNAPSHOT : VG_STORE_READWRITE, err) < 0) {
        free(db);
        return vg_err_wrap(err, "open vulnerability database");
    }
    if (vg_store_user_version(db->s, &ver, err) < 0) {
        vg_vulndb_close(db);
        return vg_err_wrap(err, "open vulnerability database %s", path);
    }
    /* Schema 1 databases (before NVD data) stay readable: they only lack per-CVE data. */
    if (ver != VULNDB_SCHEMA_VERSION && !(ver == 1 && readonly)) {
        vg_vulndb_close(db);
        if (ver > VULNDB_SCHEMA_VERSION) {
            return vg_err_set(err, VG_E_UNSUPPORTED,
                              "vulnerability database %s has schema %lld; this vigil reads %d"
                              " (run 'vigil db update')",
                              path, (long long)ver, VULNDB_SCHEMA_VERSION);
        }
        return vg_err_set(err, VG_E_PARSE, "%s is not a vigil vulnerability database", path);
    }
    if (vg_store_prepare(&db->q, db->s, query_sql, err) < 0 ||
        vg_store_prepare(&db->q_rng, db->s, ranges_sql, err) < 0 ||
        vg_store_prepare(&db->q_one, db->s, one_sql, err) < 0 ||
        (ver >= 2 && (vg_store_prepare(&db->q_cve, db->s, cve_sql, err) < 0 ||
                      vg_store_prepare(&db->q_cvss, db->s, cvss_sql, err) < 0 ||
                      vg_store_prepare(&db->q_vsev, db->s, vsev_sql, err) < 0))) {
        vg_vulndb_close(db);
        return vg_err_wrap(err, "open vulnerability database %s", path);
    }
    db->has_cves = ver >= 2;
    *out = db;
    return 0;
}

void
vg_vulndb_close(struct vg_vulndb *db)
{
    if (!db) {
        return;
    }
    vg_store_stmt_free(db->q);
    vg_store_stmt_free(db->q_rng);
    vg_store_stmt_free(db->q_one);
    vg_store_stmt_free(db->q_cve);
    vg_store_stmt_free(db->q_cvss);
    vg_store_stmt_free(db->q_vsev);
    vg_store_close(db->s);
    free(db);
}

/* ---------------------------------------------------------------- results */

static void
advisory_dispose(struct vg_vulndb_advisory *a)
{
    free(a->id);
    vg_strv_free(a->aliases, a->n_aliases);
    free(a->summary);
    free(a->details);
    free(a->severity_source);
    free(a->cvss_vector);
    for (size_t i = 0; i < a->n_refs; i++) {
        free(a->refs[i].type);
        free(a->refs[i].url);
    }
    free(a->refs);
    free(a->published);
    free(a->modified);
    free(a->source);
    free(a->ecosystem);
    free(a->package);
    for (size_t i = 0; i < a->n_ranges; i++) {
        for (size_t j = 0; j < a->ranges[i].n_events; j++) {
            vg_free_const(a->ranges[i].events[j].version);
        }
        free(a->ranges[i].events);
    }
    free(a->ranges);
    vg_strv_free(a->versions, a->n_versions);
    free(a->ecosystem_specific);
    free(a->database_specific);
}

void
vg_vulndb_result_dispose(struct vg_vulndb_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        advisory_dispose(&r->items[i]);
    }
    free(r->items);
    *r = (struct vg_vulndb_result){0};
}

static char *
col_dup(struct vg_store_stmt *st, int c)
{
    size_t n = 0;
    const char *t = vg_store_col_text(st, c, &n);
    return t ? vg_strndup(t, n) : NULL;
}

static void
split_lines(char ***out, size_t *n, struct vg_store_stmt *st, int c)
{
    size_t len = 0;
    const char *t = vg_store_col_text(st, c, &len);
    struct vg_str s = {t, t ? len : 0};
    if (!s.len) {
        return;
    }
    size_t lines = 1;
    for (const char *p = memchr(s.ptr, '\n', s.len); p;
         p = memchr(p + 1, '\n', s.len - (size_t)(p + 1 - s.ptr))) {
        lines++;
    }
    VG_ARRAY_GROW(*out, *n, lines); /* one allocation per column */
    while (s.len) {
        struct vg_str line, rest;
        vg_str_cut(s, '\n', &line, &rest);
        if (line.len) {
            (*out)[(*n)++] = vg_str_dup(line);
        }
        s = rest;
    }
}

static void
split_refs(struct vg_vulndb_advisory *a, struct vg_store_stmt *st)
{
    char **lines = NULL;
    size_t n = 0;
    split_lines(&lines, &n, st, C_REFS);
    if (n) {
        a->refs = vg_calloc(n, sizeof(*a->refs));
    }
    for (size_t i = 0; i < n; i++) {
        struct vg_str type, url;
        if (vg_str_cut(vg_str_c(lines[i]), ' ', &type, &url)) {
            a->refs[a->n_refs].type = vg_str_dup(type);
            a->refs[a->n_refs].url = vg_str_dup(url);
            a->n_refs++;
        }
        free(lines[i]);
    }
    free(lines);
}

static void
fill_advisory(struct vg_vulndb_advisory *a, struct vg_store_stmt *st)
{
    a->id = col_dup(st, C_ID);
    split_lines(&a->aliases, &a->n_aliases, st, C_ALIASES);
    a->summary = col_dup(st, C_SUMMARY);
    a->details = col_dup(st, C_DETAILS);
    a->published = col_dup(st, C_PUBLISHED);
    a->modified = col_dup(st, C_MODIFIED);
    a->withdrawn = vg_store_col_i64(st, C_WITHDRAWN) != 0;
    split_refs(a, st);
    int64_t sev = vg_store_col_i64(st, C_SEVERITY);
    a->severity = sev >= VG_SEV_NONE && sev <= VG_SEV_CRITICAL ? (enum vg_vulndb_severity)sev
                                                               : VG_SEV_UNKNOWN;
    a->severity_source = col_dup(st, C_SEVSRC);
    a->cvss_version = (enum vg_cvss_version)vg_store_col_i64(st, C_CVSSVER);
    a->cvss_vector = col_dup(st, C_CVSSVEC);
    a->cvss_score = vg_store_col_double(st, C_CVSSSCORE);
    a->source = col_dup(st, C_SOURCE);
    a->ecosystem = col_dup(st, C_ECO);
    a->package = col_dup(st, C_NAME);
}

/* Adds one affected row's ranges/versions/hints to the advisory. */
static int
merge_affected(struct vg_vulndb_advisory *a, struct vg_store_stmt *st, struct vg_err **err)
{
    size_t len = 0;
    const char *r = vg_store_col_text(st, C_RANGES, &len);
    if (r && !vg_vulndb_ranges_decode(a, r, len)) {
        return vg_err_set(err, VG_E_DB, "advisory %s: corrupt range encoding", a->id);
    }
    split_lines(&a->versions, &a->n_versions, st, C_VERSIONS);
    if (!a->ecosystem_specific) {
        a->ecosystem_specific = col_dup(st, C_ECOSPEC);
    }
    if (!a->database_specific) {
        a->database_specific = col_dup(st, C_DBSPEC);
    }
    return 0;
}

static int collect_rows_ids(struct vg_vulndb_result *out, struct vg_store_stmt *st,
                            const int64_t *ids, size_t n_ids, struct vg_err **err);

static int
collect_rows(struct vg_vulndb_result *out, struct vg_store_stmt *st, struct vg_err **err)
{
    return collect_rows_ids(out, st, NULL, 0, err);
}

int
vg_vulndb_query(struct vg_vulndb_result *out, struct vg_vulndb *db, const char *ecosystem,
                const char *name, struct vg_err **err)
{
    vg_autofree char *norm = vg_vulndb_name_normalize(ecosystem, name);
    struct vg_store_stmt *st = db->q;
    int rc = -VG_E_DB;
    if (vg_store_bind_cstr(st, 1, ecosystem, err) == 0 &&
        vg_store_bind_cstr(st, 2, norm, err) == 0) {
        rc = collect_rows(out, st, err);
    }
    vg_store_reset(st);
    if (rc < 0) {
        return vg_err_wrap(err, "query %s/%s", ecosystem, name);
    }
    return 0;
}

static bool
id_wanted(const int64_t *ids, size_t n, int64_t id)
{
    size_t lo = 0, hi = n; /* ids ascend: affected rows are read ORDER BY adv */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] == id) {
            return true;
        }
        if (ids[mid] < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return false;
}

/* Steps `st` (already bound) and appends one merged advisory per advisory id; with `ids`,
 * only the rows of those advisories (sorted ascending) are decoded. */
static int
collect_rows_ids(struct vg_vulndb_result *out, struct vg_store_stmt *st, const int64_t *ids,
                 size_t n_ids, struct vg_err **err)
{
    int64_t last = -1;
    int rc;
    while ((rc = vg_store_step(st, err)) == 1) {
        int64_t rowid = vg_store_col_i64(st, C_ROWID);
        if (ids && !id_wanted(ids, n_ids, rowid)) {
            continue;
        }
        if (rowid != last) {
            VG_ARRAY_GROW(out->items, out->n, 1);
            out->items[out->n] = (struct vg_vulndb_advisory){0};
            fill_advisory(&out->items[out->n++], st);
            last = rowid;
        }
        if (merge_affected(&out->items[out->n - 1], st, err) < 0) {
            return -VG_E_DB;
        }
    }
    return rc;
}

static bool advisory_ranges_affect(const struct vg_vulndb_advisory *adv, enum vg_ver_scheme scheme,
                                   const char *version);
static bool versions_text_lists(struct vg_str text, enum vg_ver_scheme scheme, const char *version);

/* Does one affected row (ranges, then the "\n"-joined versions read in place) affect
 * `version`? An advisory spread over several rows affects it when any row does, exactly as
 * vg_vulndb_advisory_affects on the merged advisory. */
static int
row_affects(bool *hit, struct vg_store_stmt *st, const char *ecosystem, enum vg_ver_scheme scheme,
            const char *version, struct vg_err **err)
{
    struct vg_vulndb_advisory light = {0};
    if (!scheme) {
        scheme = vg_ver_scheme_from_ecosystem(ecosystem);
    }
    size_t len = 0;
    const char *r = vg_store_col_text(st, 1, &len);
    bool ok = !r || vg_vulndb_ranges_decode(&light, r, len);
    *hit = ok && advisory_ranges_affect(&light, scheme, version);
    advisory_dispose(&light);
    if (!ok) {
        return vg_err_set(err, VG_E_DB, "advisory row %lld: corrupt range encoding",
                          (long long)vg_store_col_i64(st, 0));
    }
    if (!*hit) {
        const char *v = vg_store_col_text(st, 2, &len);
        *hit = v && versions_text_lists((struct vg_str){v, len}, scheme, version);
    }
    return 0;
}

/* The ids (ascending) of the advisories whose ranges or versions (only those are decoded)
 * affect `version`; withdrawn ones are dropped later by the full-row queries. */
static int
affecting_ids(int64_t **ids, size_t *n, size_t *total, struct vg_vulndb *db, const char *ecosystem,
              const char *norm, enum vg_ver_scheme scheme, const char *version, struct vg_err **err)
{
    struct vg_store_stmt *st = db->q_rng;
    int64_t cur = -1;
    bool cur_hit = false;
    int rc = 0;
    if (vg_store_bind_cstr(st, 1, ecosystem, err) < 0 || vg_store_bind_cstr(st, 2, norm, err) < 0) {
        vg_store_reset(st);
        return -VG_E_DB;
    }
    for (;;) {
        rc = vg_store_step(st, err);
        int64_t adv = rc == 1 ? vg_store_col_i64(st, 0) : -1;
        if (adv != cur && cur >= 0) {
            (*total)++;
            if (cur_hit) {
                VG_ARRAY_GROW(*ids, *n, 1);
                (*ids)[(*n)++] = cur;
            }
            cur_hit = false;
        }
        if (rc != 1) {
            break;
        }
        cur = adv;
        bool hit = false;
        if (!cur_hit && row_affects(&hit, st, ecosystem, scheme, version, err) < 0) {
            rc = -VG_E_DB;
            break;
        }
        cur_hit = cur_hit || hit;
    }
    vg_store_reset(st);
    return rc < 0 ? rc : 0;
}

int
vg_vulndb_query_affecting(struct vg_vulndb_result *out, struct vg_vulndb *db, const char *ecosystem,
                          const char *name, enum vg_ver_scheme scheme, const char *version,
                          struct vg_err **err)
{
    vg_autofree char *norm = vg_vulndb_name_normalize(ecosystem, name);
    vg_autofree int64_t *ids = NULL;
    size_t n = 0, total = 0;
    if (!scheme) {
        scheme = vg_ver_scheme_from_ecosystem(ecosystem);
    }
    if (affecting_ids(&ids, &n, &total, db, ecosystem, norm, scheme, version, err) < 0) {
        return vg_err_wrap(err, "query %s/%s", ecosystem, name);
    }
    if (n * 2 > total) {
        /* Most advisories match: one pass over the full rows is cheaper than a lookup per
         * advisory. */
        struct vg_vulndb_result all = {0};
        struct vg_store_stmt *st = db->q;
        int rc = -VG_E_DB;
        if (vg_store_bind_cstr(st, 1, ecosystem, err) == 0 &&
            vg_store_bind_cstr(st, 2, norm, err) == 0) {
            rc = collect_rows_ids(&all, st, ids, n, err);
        }
        vg_store_reset(st);
        if (rc < 0) {
            vg_vulndb_result_dispose(&all);
            return vg_err_wrap(err, "query %s/%s", ecosystem, name);
        }
        /* Every collected advisory is one of `ids`, already evaluated: no second pass. */
        if (all.n) {
            VG_ARRAY_GROW(out->items, out->n, all.n);
            memcpy(out->items + out->n, all.items, all.n * sizeof(*out->items));
            out->n += all.n;
        }
        free(all.items);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        struct vg_store_stmt *st = db->q_one;
        int rc = -VG_E_DB;
        if (vg_store_bind_i64(st, 1, ids[i], err) == 0 &&
            vg_store_bind_cstr(st, 2, ecosystem, err) == 0 &&
            vg_store_bind_cstr(st, 3, norm, err) == 0) {
            rc = collect_rows(out, st, err);
        }
        vg_store_reset(st);
        if (rc < 0) {
            return vg_err_wrap(err, "query %s/%s", ecosystem, name);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- evaluation */

static enum vg_ver_scheme
range_scheme(enum vg_vulndb_range_type t, enum vg_ver_scheme eco)
{
    if (t == VG_RANGE_SEMVER) {
        /* Go records use SEMVER ranges; the Go comparator also accepts a leading "v". */
        return eco == VG_VER_GO ? VG_VER_GO : VG_VER_SEMVER;
    }
    return eco;
}

/* A cheap necessary condition for vg_ver_cmp(scheme, a, b) == 0, so that long explicit
 * `versions` lists (PyPI records list hundreds) do not parse every entry: in every
 * comparator two versions whose leading numeric components differ (after an optional "v"
 * prefix, ignoring leading zeros) are different. Anything with an epoch separator (':' deb,
 * rpm; '!' PEP 440) or without a leading number is left to the comparator. */
static struct vg_str
leading_number(const char *v)
{
    if (*v == 'v' || *v == 'V') {
        v++;
    }
    while (*v == '0' && v[1] >= '0' && v[1] <= '9') {
        v++;
    }
    size_t n = 0;
    while (v[n] >= '0' && v[n] <= '9') {
        n++;
    }
    return (struct vg_str){v, n};
}

static bool
maybe_equal(const char *a, const char *b)
{
    struct vg_str x = leading_number(a), y = leading_number(b);
    if (!x.len || !y.len || strpbrk(a, ":!") || strpbrk(b, ":!")) {
        return true;
    }
    return x.len == y.len && memcmp(x.ptr, y.ptr, x.len) == 0;
}

/* Is `version` one of the "\n"-separated versions of `text` (not NUL-terminated)? */
static bool
versions_text_lists(struct vg_str text, enum vg_ver_scheme scheme, const char *version)
{
    size_t vlen = strlen(version);
    while (text.len) {
        struct vg_str line, rest;
        vg_str_cut(text, '\n', &line, &rest);
        text = rest;
        if (!line.len) {
            continue;
        }
        if (line.len == vlen && memcmp(line.ptr, version, vlen) == 0) {
            return true;
        }
        if (!scheme || line.len > VG_VER_MAX_BYTES) {
            continue;
        }
        char buf[VG_VER_MAX_BYTES + 1];
        memcpy(buf, line.ptr, line.len);
        buf[line.len] = '\0';
        if (maybe_equal(buf, version) && vg_ver_cmp(scheme, buf, version) == 0) {
            return true;
        }
    }
    return false;
}

/* The ranges part of vg_vulndb_advisory_affects, without the fixed version. */
static bool
advisory_ranges_affect(const struct vg_vulndb_advisory *adv, enum vg_ver_scheme scheme,
                       const char *version)
{
    if (!scheme) {
        scheme = vg_ver_scheme_from_ecosystem(adv->ecosystem);
    }
    for (size_t i = 0; i < adv->n_ranges; i++) {
        const struct vg_vulndb_range *r = &adv->ranges[i];
        enum vg_ver_scheme s = range_scheme(r->type, scheme);
        if (s && vg_ver_range_affected(s, r->events, r->n_events, version)) {
            return true;
        }
    }
    return false;
}

static bool
listed(const struct vg_vulndb_advisory *adv, enum vg_ver_scheme scheme, const char *version)
{
    for (size_t i = 0; i < adv->n_versions; i++) {
        const char *v = adv->versions[i];
        if (strcmp(v, version) == 0 ||
            (scheme && maybe_equal(v, version) && vg_ver_cmp(scheme, v, version) == 0)) {
            return true;
        }
    }
    return false;
}

bool
vg_vulndb_advisory_affects(const struct vg_vulndb_advisory *adv, enum vg_ver_scheme scheme,
                           const char *version, const char **fixed_out)
{
    if (fixed_out) {
        *fixed_out = NULL;
    }
    if (adv->withdrawn || !version) {
        return false;
    }
    if (!scheme) {
        scheme = vg_ver_scheme_from_ecosystem(adv->ecosystem);
    }
    bool affected = false;
    const char *fixed = NULL;
    for (size_t i = 0; i < adv->n_ranges; i++) {
        const struct vg_vulndb_range *r = &adv->ranges[i];
        enum vg_ver_scheme s = range_scheme(r->type, scheme);
        if (!s || !vg_ver_range_affected(s, r->events, r->n_events, version)) {
            continue;
        }
        affected = true;
        if (!fixed_out) {
            return true; /* the caller does not want the fixed version: done */
        }
        for (size_t j = 0; j < r->n_events; j++) {
            const char *f = r->events[j].version;
            if (r->events[j].kind == VG_EV_FIXED && vg_ver_cmp(s, f, version) > 0 &&
                (!fixed || vg_ver_cmp(s, f, fixed) < 0)) {
                fixed = f;
            }
        }
    }
    /* Explicit versions only matter when no range matched (they carry no fixed version). */
    if (!affected) {
        affected = listed(adv, scheme, version);
    }
    if (affected && fixed_out) {
        *fixed_out = fixed;
    }
    return affected;
}

/* ---------------------------------------------------------------- info */

static int
info_meta(struct vg_vulndb_info *out, struct vg_vulndb *db, struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (vg_store_prepare(&st, db->s,
                         "SELECT (SELECT value FROM meta WHERE key = 'built_at'),"
                         " (SELECT count(*) FROM advisories),"
                         " (SELECT count(*) FROM advisories WHERE withdrawn = 1),"
                         " (SELECT count(*) FROM advisories WHERE inherited = 1)",
                         err) < 0 ||
        vg_store_step(st, err) < 0) {
        return -VG_E_DB;
    }
    size_t n = 0;
    const char *b = vg_store_col_text(st, 0, &n);
    int64_t built = 0;
    if (b && vg_parse_i64((struct vg_str){b, n}, &built) < 0) {
        built = 0;
    }
    out->built_at = built;
    out->advisories = (uint64_t)vg_store_col_i64(st, 1);
    out->withdrawn = (uint64_t)vg_store_col_i64(st, 2);
    out->inherited_severity = (uint64_t)vg_store_col_i64(st, 3);
    return 0;
}

static int
info_sources(struct vg_vulndb_info *out, struct vg_vulndb *db, struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (vg_store_prepare(&st, db->s,
                         "SELECT name, kind, location, records, skipped, etag, last_modified"
                         " FROM sources ORDER BY name",
                         err) < 0) {
        return -VG_E_DB;
    }
    int rc;
    while ((rc = vg_store_step(st, err)) == 1) {
        VG_ARRAY_GROW(out->sources, out->n_sources, 1);
        out->sources[out->n_sources++] = (struct vg_vulndb_source_info){
            .name = col_dup(st, 0),
            .kind = col_dup(st, 1),
            .location = col_dup(st, 2),
            .records = (uint64_t)vg_store_col_i64(st, 3),
            .skipped = (uint64_t)vg_store_col_i64(st, 4),
            .etag = col_dup(st, 5),
            .last_modified = col_dup(st, 6),
        };
    }
    return rc;
}

static int
info_ecosystems(struct vg_vulndb_info *out, struct vg_vulndb *db, struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (vg_store_prepare(&st, db->s,
                         "SELECT ecosystem, advisories, packages FROM ecosystems"
                         " ORDER BY ecosystem",
                         err) < 0) {
        return -VG_E_DB;
    }
    int rc;
    while ((rc = vg_store_step(st, err)) == 1) {
        VG_ARRAY_GROW(out->ecosystems, out->n_ecosystems, 1);
        out->ecosystems[out->n_ecosystems++] = (struct vg_vulndb_eco_count){
            .ecosystem = col_dup(st, 0),
            .advisories = (uint64_t)vg_store_col_i64(st, 1),
            .packages = (uint64_t)vg_store_col_i64(st, 2),
        };
    }
    return rc;
}

int
vg_vulndb_built_at(struct vg_vulndb *db, int64_t *out, struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    *out = 0;
    if (vg_store_prepare(&st, db->s, "SELECT value FROM meta WHERE key = 'built_at'", err) < 0) {
        return vg_err_wrap(err, "read database build time");
    }
    int rc = vg_store_step(st, err);
    if (rc < 0) {
        return vg_err_wrap(err, "read database build time");
    }
    size_t n = 0;
    const char *b = rc == 1 ? vg_store_col_text(st, 0, &n) : NULL;
    if (!b || vg_parse_i64((struct vg_str){b, n}, out) < 0) {
        *out = 0;
        return vg_err_set(err, VG_E_DB, "%s: no valid build time in meta", vg_store_path(db->s));
    }
    return 0;
}

int
vg_vulndb_info_get(struct vg_vulndb_info *out, struct vg_vulndb *db, struct vg_err **err)
{
    *out = (struct vg_vulndb_info){0};
    out->path = vg_strdup(vg_store_path(db->s));
    out->schema_version = VULNDB_SCHEMA_VERSION;
    if (info_meta(out, db, err) < 0 || info_sources(out, db, err) < 0 ||
        info_ecosystems(out, db, err) < 0) {
        vg_vulndb_info_dispose(out);
        return vg_err_wrap(err, "read database info");
    }
    return 0;
}

void
vg_vulndb_info_dispose(struct vg_vulndb_info *info)
{
    free(info->path);
    for (size_t i = 0; i < info->n_sources; i++) {
        struct vg_vulndb_source_info *s = &info->sources[i];
        free(s->name);
        free(s->kind);
        free(s->location);
        free(s->etag);
        free(s->last_modified);
    }
    free(info->sources);
    for (size_t i = 0; i < info->n_ecosystems; i++) {
        free(info->ecosystems[i].ecosystem);
    }
    free(info->ecosystems);
    *info = (struct vg_vulndb_info){0};
}

bool
vg_vulndb_is_stale(const struct vg_vulndb_info *info, int64_t now)
{
    return now - info->built_at > VG_VULNDB_STALE_SECS;
}

/* ---------------------------------------------------------------- per-CVE data */

static enum vg_vulndb_severity
sev_col(struct vg_store_stmt *st, int c)
{
    int64_t v = vg_store_col_i64(st, c);
    return v >= VG_SEV_NONE && v <= VG_SEV_CRITICAL ? (enum vg_vulndb_severity)v : VG_SEV_UNKNOWN;
}

static int
cve_rows(struct vg_vulndb_cve *out, struct vg_vulndb *db, const char *cve, struct vg_err **err)
{
    struct vg_store_stmt *st = db->q_cve;
    if (vg_store_bind_cstr(st, 1, cve, err) < 0) {
        return -VG_E_DB;
    }
    int rc = vg_store_step(st, err);
    if (rc == 1) {
        out->in_nvd = true;
        out->published = col_dup(st, 0);
        out->last_modified = col_dup(st, 1);
        out->status = col_dup(st, 2);
        out->description = col_dup(st, 3);
        split_lines(&out->cwes, &out->n_cwes, st, 4);
    }
    vg_store_reset(st);
    if (rc < 0) {
        return rc;
    }
    st = db->q_cvss;
    if (vg_store_bind_cstr(st, 1, cve, err) < 0) {
        return -VG_E_DB;
    }
    while ((rc = vg_store_step(st, err)) == 1) {
        VG_ARRAY_GROW(out->cvss, out->n_cvss, 1);
        out->cvss[out->n_cvss++] = (struct vg_vulndb_cvss){
            .source = col_dup(st, 0),
            .primary = vg_store_col_i64(st, 1) != 0,
            .version = (enum vg_cvss_version)vg_store_col_i64(st, 2),
            .vector = col_dup(st, 3),
            .score = vg_store_col_double(st, 4),
            .severity = sev_col(st, 5),
        };
    }
    vg_store_reset(st);
    if (rc < 0) {
        return rc;
    }
    st = db->q_vsev;
    if (vg_store_bind_cstr(st, 1, cve, err) < 0) {
        return -VG_E_DB;
    }
    while ((rc = vg_store_step(st, err)) == 1) {
        VG_ARRAY_GROW(out->vendors, out->n_vendors, 1);
        out->vendors[out->n_vendors++] = (struct vg_vulndb_vendor_severity){
            .vendor = col_dup(st, 0),
            .package = col_dup(st, 1),
            .release = col_dup(st, 2),
            .severity = sev_col(st, 3),
        };
    }
    vg_store_reset(st);
    return rc < 0 ? rc : 0;
}

int
vg_vulndb_cve_get(struct vg_vulndb_cve *out, struct vg_vulndb *db, const char *cve,
                  struct vg_err **err)
{
    *out = (struct vg_vulndb_cve){.id = vg_strdup(cve)};
    if (!db->has_cves) {
        return 0;
    }
    if (cve_rows(out, db, cve, err) < 0) {
        vg_vulndb_cve_dispose(out);
        return vg_err_wrap(err, "look up %s", cve);
    }
    return out->in_nvd || out->n_cvss || out->n_vendors ? 1 : 0;
}

void
vg_vulndb_cve_dispose(struct vg_vulndb_cve *c)
{
    free(c->id);
    free(c->published);
    free(c->last_modified);
    free(c->description);
    free(c->status);
    vg_strv_free(c->cwes, c->n_cwes);
    for (size_t i = 0; i < c->n_cvss; i++) {
        free(c->cvss[i].source);
        free(c->cvss[i].vector);
    }
    free(c->cvss);
    for (size_t i = 0; i < c->n_vendors; i++) {
        free(c->vendors[i].vendor);
        free(c->vendors[i].package);
        free(c->vendors[i].release);
    }
    free(c->vendors);
    *c = (struct vg_vulndb_cve){0};
}

const struct vg_vulndb_cvss *
vg_vulndb_cve_nvd(const struct vg_vulndb_cve *c, enum vg_cvss_version family)
{
    const struct vg_vulndb_cvss *best = NULL;
    for (size_t i = 0; i < c->n_cvss; i++) {
        const struct vg_vulndb_cvss *m = &c->cvss[i];
        if (!m->source || strcmp(m->source, "nvd@nist.gov") != 0) {
            continue;
        }
        bool v3 = m->version == VG_CVSS_V30 || m->version == VG_CVSS_V31;
        bool want = family == VG_CVSS_V30 || family == VG_CVSS_V31 ? v3 : m->version == family;
        if (want && (!best || m->version > best->version)) {
            best = m;
        }
    }
    return best;
}

enum vg_vulndb_severity
vg_vulndb_cve_nvd_severity(const struct vg_vulndb_cve *c)
{
    const struct vg_vulndb_cvss *m = vg_vulndb_cve_nvd(c, VG_CVSS_V31);
    if (!m) {
        m = vg_vulndb_cve_nvd(c, VG_CVSS_V2);
    }
    return m ? m->severity : VG_SEV_UNKNOWN;
}

static bool
eq_or_null(const char *want, const char *have)
{
    return !want || (have && strcmp(want, have) == 0);
}

enum vg_vulndb_severity
vg_vulndb_cve_vendor_severity(const struct vg_vulndb_cve *c, const char *vendor,
                              const char *package, const char *release)
{
    /* Three passes, narrowest first: (package, release), package, any. */
    for (int pass = 0; pass < 3; pass++) {
        enum vg_vulndb_severity best = VG_SEV_UNKNOWN;
        for (size_t i = 0; i < c->n_vendors; i++) {
            const struct vg_vulndb_vendor_severity *v = &c->vendors[i];
            if (strcmp(v->vendor, vendor) != 0 || (pass < 2 && !eq_or_null(package, v->package)) ||
                (pass < 1 && !eq_or_null(release, v->release))) {
                continue;
            }
            if (v->severity > best) {
                best = v->severity;
            }
        }
        if (best != VG_SEV_UNKNOWN) {
            return best;
        }
    }
    return VG_SEV_UNKNOWN;
}
