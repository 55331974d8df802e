/* SPDX-License-Identifier: Apache-2.0
 *
 * `db update`: downloads <mirror>/<Ecosystem>/all.zip for each ecosystem into a cache
 * directory beside the database (conditional requests from the validators remembered in
 * <cache>/state.json, resumable partial downloads — both handled by net's vg_http_download),
 * then rebuilds the database from the cached archives and swaps it in with rename. Any
 * network or archive failure returns before the swap, so the old database stays intact.
 */
#include "vulndb/vulndb_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"

struct eco_state {
    char *name, *url, *zip, *etag, *last_modified;
    bool present; /* a complete archive is cached */
    bool nvd;     /* an NVD feed file (optional: years the mirror lacks are skipped quietly) */
};

static char *
eco_dirname(const char *eco)
{
    /* Ecosystem names are data from the command line: keep [A-Za-z0-9.:_-], map the rest. */
    char *d = vg_strdup(eco);
    for (char *p = d; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-' || *p == ':';
        if (!ok) {
            *p = '_';
        }
    }
    if (d[0] == '.') {
        d[0] = '_';
    }
    return d;
}

static char *
eco_url(const char *mirror, const char *eco)
{
    size_t ml = strlen(mirror);
    while (ml && mirror[ml - 1] == '/') {
        ml--;
    }
    vg_autofree char *esc = vg_http_query_escape(eco);
    return vg_fmt("%.*s/%s/all.zip", (int)ml, mirror, esc);
}

/* --nvd-mirror, else $VIGIL_NVD_MIRROR, else NVD itself when the OSV mirror is the default one
 * (a custom OSV mirror usually means a closed network: NVD only when named). "none": off. */
static const char *
nvd_mirror(const struct vg_vulndb_update_opts *o)
{
    const char *m = o->nvd_mirror;
    if (!m || !*m) {
        m = getenv("VIGIL_NVD_MIRROR");
    }
    if (!m || !*m) {
        m = o->mirror ? NULL : VG_VULNDB_DEFAULT_NVD_MIRROR;
    }
    return m && strcmp(m, "none") != 0 ? m : NULL;
}

static int
current_year(void)
{
    time_t now = (time_t)vg_now_unix();
    struct tm tm;
    if (!gmtime_r(&now, &tm) || tm.tm_year + 1900 < VG_NVD_FIRST_YEAR) {
        return VG_NVD_FIRST_YEAR;
    }
    return tm.tm_year + 1900 > 9999 ? 9999 : tm.tm_year + 1900;
}

json_t *
vg_vulndb_update_state_parse(const void *data, size_t len, const char *what)
{
    json_t *j = NULL;
    struct vg_err *e = NULL;
    if (vg_json_parse(&j, data, len, VG_LIMIT_SMALL_JSON_BYTES, what, &e) < 0 ||
        !json_is_object(j)) {
        vg_autofree char *m = e ? vg_err_format(e) : vg_fmt("%s: not a JSON object", what);
        VG_DEBUG("vulndb", "%s (starting from no validators)", m);
        json_decref(j);
        j = json_object();
    }
    vg_err_free(&e);
    return j;
}

/* A validator we may send back in a request header: a string without control characters. */
static const char *
validator(const json_t *entry, const char *key)
{
    const json_t *v = json_object_get(entry, key);
    if (!json_is_string(v)) {
        return NULL;
    }
    const unsigned char *s = (const unsigned char *)json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0 || len > VG_VULNDB_VALIDATOR_MAX) {
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f) {
            return NULL;
        }
    }
    return (const char *)s;
}

void
vg_vulndb_update_state_validators(const json_t *state, const char *name, const char **etag,
                                  const char **last_modified)
{
    const json_t *entry = vg_json_obj(state, name);
    *etag = entry ? validator(entry, "etag") : NULL;
    *last_modified = entry ? validator(entry, "last_modified") : NULL;
}

static void
load_state(json_t **out, const char *path)
{
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_LIMIT_SMALL_JSON_BYTES);
    struct vg_err *e = NULL;
    if (vg_file_read(&b, path, VG_LIMIT_SMALL_JSON_BYTES, &e) == 0) {
        *out = vg_vulndb_update_state_parse(b.data, b.len, path);
    } else {
        *out = json_object(); /* a missing or unreadable state only costs a full download */
    }
    vg_err_free(&e);
}

struct progress_ctx {
    struct vg_progress p;
    bool started, quiet;
    const char *label;
};

static void
on_progress(void *ud, uint64_t done, uint64_t total)
{
    struct progress_ctx *pc = ud;
    if (!pc->started) {
        vg_progress_start(&pc->p, pc->label, total, pc->quiet);
        pc->started = true;
    }
    pc->p.total = total;
    vg_progress_update(&pc->p, done);
}

static int
fetch_one(struct vg_http_client *c, struct eco_state *es, json_t *state, bool allow_missing,
          bool quiet, struct vg_vulndb_update_stats *st, struct vg_err **err)
{
    const char *etag = NULL, *lm = NULL;
    if (vg_path_exists(es->zip)) {
        vg_vulndb_update_state_validators(state, es->name, &etag, &lm);
    }
    struct vg_http_download_result res = {0};
    vg_autofree char *label = es->nvd ? vg_strdup(es->name) : vg_fmt("%s/all.zip", es->name);
    struct progress_ctx pc = {.quiet = quiet, .label = label};
    int rc = vg_http_download(c, es->url, es->zip, etag, lm, 0, &res, on_progress, &pc, err);
    if (pc.started) {
        vg_progress_finish(&pc.p);
    }
    if (rc < 0) {
        vg_http_download_result_dispose(&res);
        if ((allow_missing || es->nvd) && vg_err_is(*err, VG_E_NOTFOUND)) {
            vg_autofree char *m = vg_err_format(*err);
            if (es->nvd) {
                VG_DEBUG("vulndb", "%s: not on the mirror, skipped (%s)", es->name, m);
            } else {
                VG_WARN("vulndb", "%s: not on the mirror, skipped (%s)", es->name, m);
            }
            vg_err_free(err);
            st->missing++;
            return 0;
        }
        return vg_err_wrap(err, "download %s", es->name);
    }
    if (res.not_modified) {
        st->not_modified++;
    } else {
        st->downloaded++;
        st->bytes += res.bytes;
    }
    es->present = true;
    /* A 304 need not repeat the validators (Python's http.server does not): keep ours. */
    es->etag = vg_strdup(res.etag ? res.etag : res.not_modified ? etag : NULL);
    es->last_modified = vg_strdup(res.last_modified  ? res.last_modified
                                  : res.not_modified ? lm
                                                     : NULL);
    vg_http_download_result_dispose(&res);
    return 0;
}

/* Merges the validators of the archives present into `state` and writes it. */
static int
save_state(const char *path, const struct eco_state *es, size_t n, json_t *j, struct vg_err **err)
{
    for (size_t i = 0; i < n; i++) {
        if (!es[i].present) {
            continue;
        }
        json_t *o = json_object();
        vg_json_set_str(o, "url", es[i].url);
        vg_json_set_str(o, "etag", es[i].etag);
        vg_json_set_str(o, "last_modified", es[i].last_modified);
        vg_json_set_take(j, es[i].name, o);
    }
    vg_autofree char *text = vg_json_dump(j, true);
    return vg_file_write_atomic(path, text, strlen(text), 0644, err);
}

static bool
same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* True when the database exists and its sources are exactly the present archives with the
 * same validators (so a rebuild that failed earlier is retried even when the mirror now
 * answers 304). */
static bool
db_is_current(const char *db_path, const struct eco_state *es, size_t n)
{
    struct vg_vulndb *db = NULL;
    struct vg_vulndb_info info;
    struct vg_err *e = NULL;
    if (vg_vulndb_open(&db, db_path, true, &e) < 0) {
        vg_err_free(&e);
        return false;
    }
    int rc = vg_vulndb_info_get(&info, db, &e);
    vg_vulndb_close(db);
    if (rc < 0) {
        vg_err_free(&e);
        return false;
    }
    size_t present = 0, matched = 0;
    for (size_t i = 0; i < n; i++) {
        if (!es[i].present) {
            continue;
        }
        present++;
        for (size_t j = 0; j < info.n_sources; j++) {
            const struct vg_vulndb_source_info *src = &info.sources[j];
            if (strcmp(src->name, es[i].name) == 0 && same(src->location, es[i].url) &&
                same(src->etag, es[i].etag) && same(src->last_modified, es[i].last_modified)) {
                matched++;
                break;
            }
        }
    }
    bool current = present == matched && info.n_sources == present;
    vg_vulndb_info_dispose(&info);
    return current;
}

static int
rebuild(const struct vg_vulndb_update_opts *o, struct eco_state *es, size_t n,
        struct vg_vulndb_update_stats *st, struct vg_err **err)
{
    struct vg_vulndb_builder *b = NULL;
    if (vg_vulndb_builder_new(&b, o->db_path, err) < 0) {
        return -VG_E_IO;
    }
    for (size_t i = 0; i < n; i++) {
        if (!es[i].present) {
            continue;
        }
        struct vg_vulndb_source_meta m = {.name = es[i].name,
                                          .location = es[i].url,
                                          .etag = es[i].etag,
                                          .last_modified = es[i].last_modified};
        int rc = es[i].nvd ? vg_vulndb_builder_add_nvd(b, es[i].zip, &m, err)
                           : vg_vulndb_builder_add_zip(b, es[i].zip, &m, err);
        if (rc < 0) {
            vg_vulndb_builder_free(b);
            return vg_err_wrap(err, "ingest %s", es[i].name);
        }
    }
    int rc = vg_vulndb_builder_commit(b, &st->build, err);
    vg_vulndb_builder_free(b);
    if (rc == 0) {
        st->rebuilt = true;
    }
    return rc;
}

static void
split_list(char ***out, size_t *n, const char *list)
{
    struct vg_str s = vg_str_c(list);
    while (s.len) {
        struct vg_str item, rest;
        vg_str_cut(s, ',', &item, &rest);
        item = vg_str_trim(item);
        if (item.len) {
            VG_ARRAY_GROW(*out, *n, 1);
            (*out)[(*n)++] = vg_str_dup(item);
        }
        s = rest;
    }
}

static int
run_update(const struct vg_vulndb_update_opts *o, struct eco_state *es, size_t n, const char *cache,
           struct vg_vulndb_update_stats *st, struct vg_err **err)
{
    vg_autofree char *state_path = vg_fmt("%s/state.json", cache);
    vg_autojson json_t *state = NULL;
    load_state(&state, state_path);
    struct vg_http_client *c = NULL;
    struct vg_http_client_opts ho = VG_HTTP_CLIENT_OPTS_INIT;
    ho.deadline_ns = o->deadline_ns;
    ho.stall_timeout_s = o->stall_timeout_s;
    if (vg_http_client_new(&c, &ho, err) < 0) {
        return -VG_E_NET;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        vg_autofree char *dir = es[i].nvd ? vg_strdup("nvd") : eco_dirname(es[i].name);
        vg_autofree char *d = vg_fmt("%s/%s", cache, dir);
        rc = vg_mkdir_p(d, 0755, err);
        if (rc == 0) {
            rc = fetch_one(c, &es[i], state, o->ecosystems == NULL, o->quiet, st, err);
            if (rc == 0 && !es[i].present) {
                (void)rmdir(d); /* best effort: only removes the directory if still empty */
            }
        }
        /* Remember validators as soon as an archive is complete, so an interrupted run does
         * not download it again. */
        if (rc == 0 && es[i].present) {
            rc = save_state(state_path, es, n, state, err);
        }
    }
    vg_http_client_free(c);
    if (rc < 0) {
        return rc;
    }
    size_t present = 0, nvd_wanted = 0, nvd_present = 0;
    for (size_t i = 0; i < n; i++) {
        present += es[i].present && !es[i].nvd;
        nvd_wanted += es[i].nvd;
        nvd_present += es[i].present && es[i].nvd;
    }
    if (nvd_wanted && !nvd_present) {
        VG_WARN("vulndb", "no NVD feed file found on the NVD mirror: severities from NVD are"
                          " missing");
    }
    if (present == 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "no ecosystem archive found on the mirror");
    }
    if (db_is_current(o->db_path, es, n)) {
        return 0; /* built from exactly these archives already: keep it */
    }
    return rebuild(o, es, n, st, err);
}

int
vg_vulndb_update(const struct vg_vulndb_update_opts *o, struct vg_vulndb_update_stats *st,
                 struct vg_err **err)
{
    *st = (struct vg_vulndb_update_stats){0};
    const char *mirror = o->mirror ? o->mirror : VG_VULNDB_DEFAULT_MIRROR;
    vg_autofree char *cache = o->cache_dir ? vg_strdup(o->cache_dir) : vg_fmt("%s.d", o->db_path);
    char **names = NULL;
    size_t n = 0;
    if (o->ecosystems) {
        for (const char **p = o->ecosystems; *p; p++) {
            split_list(&names, &n, *p);
        }
    } else {
        split_list(&names, &n, VG_VULNDB_DEFAULT_ECOSYSTEMS);
    }
    if (n == 0) {
        free(names);
        return vg_err_set(err, VG_E_USAGE, "no ecosystems to update");
    }
    const char *nvd = nvd_mirror(o);
    size_t n_osv = n;
    if (nvd) {
        n += (size_t)(current_year() - VG_NVD_FIRST_YEAR + 1) + 1; /* years + modified */
    }
    struct eco_state *es = vg_calloc(n, sizeof(*es));
    for (size_t i = 0; i < n_osv; i++) {
        vg_autofree char *dir = eco_dirname(names[i]);
        es[i].name = names[i];
        es[i].url = eco_url(mirror, names[i]);
        es[i].zip = vg_fmt("%s/%s/all.zip", cache, dir);
    }
    free(names);
    size_t ml = nvd ? strlen(nvd) : 0;
    while (ml && nvd[ml - 1] == '/') {
        ml--;
    }
    for (size_t i = n_osv; i < n; i++) {
        vg_autofree char *file =
            i + 1 == n ? vg_strdup("nvdcve-2.0-modified.json.gz")
                       : vg_fmt("nvdcve-2.0-%d.json.gz", VG_NVD_FIRST_YEAR + (int)(i - n_osv));
        es[i].nvd = true;
        es[i].name = vg_fmt("nvd/%s", file);
        es[i].url = vg_fmt("%.*s/%s", (int)ml, nvd, file);
        es[i].zip = vg_fmt("%s/nvd/%s", cache, file);
    }
    int rc = run_update(o, es, n, cache, st, err);
    for (size_t i = 0; i < n; i++) {
        free(es[i].name);
        free(es[i].url);
        free(es[i].zip);
        free(es[i].etag);
        free(es[i].last_modified);
    }
    free(es);
    if (rc < 0) {
        return vg_err_wrap(err, "update vulnerability database %s", o->db_path);
    }
    return 0;
}
