/* SPDX-License-Identifier: Apache-2.0
 *
 * OSV record parsing and validation (https://ossf.github.io/osv-schema/): turns one parsed
 * JSON document into the checked record model of vulndb_int.h. It owns the rules for which
 * fields are required, how severity is chosen from `severity[]` and
 * `database_specific.severity`, and which version strings are acceptable. It does not touch
 * the database (build.c) and does not evaluate ranges (query.c, version/).
 */
#include "vulndb/vulndb_int.h"

#include <ctype.h>
#include <string.h>

/* Rejects control characters (the stored encodings are line based) and overlong text. */
static bool
clean_token(const char *s, size_t max, bool allow_space)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
        if (*p < 0x20 || *p == 0x7f || (!allow_space && *p == ' ') || n >= max) {
            return false;
        }
    }
    return n > 0;
}

char *
vg_vulndb_name_normalize(const char *ecosystem, const char *name)
{
    if (!ecosystem || strcmp(ecosystem, "PyPI") != 0) {
        return vg_strdup(name);
    }
    /* PEP 503: lowercase, runs of '-', '_' and '.' become one '-'. */
    size_t n = strlen(name);
    char *out = vg_malloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (c == '-' || c == '_' || c == '.') {
            if (o == 0 || out[o - 1] != '-') {
                out[o++] = '-';
            }
        } else {
            out[o++] = (char)tolower((unsigned char)c);
        }
    }
    out[o] = '\0';
    return out;
}

static void
affected_dispose(struct osv_affected *a)
{
    free(a->ecosystem);
    free(a->name);
    for (size_t i = 0; i < a->n_ranges; i++) {
        for (size_t j = 0; j < a->ranges[i].n_events; j++) {
            vg_free_const(a->ranges[i].events[j].version);
        }
        free(a->ranges[i].events);
    }
    free(a->ranges);
    vg_strv_free(a->versions, a->n_versions);
    free(a->eco_specific);
    free(a->db_specific);
    free(a->dropped);
}

void
vg_osv_record_dispose(struct osv_record *r)
{
    free(r->uid);
    free(r->id);
    free(r->summary);
    free(r->details);
    free(r->published);
    free(r->modified);
    vg_strv_free(r->aliases, r->n_aliases);
    vg_buf_dispose(&r->refs);
    free(r->cvss_vector);
    for (size_t i = 0; i < r->n_affected; i++) {
        affected_dispose(&r->affected[i]);
    }
    free(r->affected);
    free(r->dropped);
    *r = (struct osv_record){0};
}

/* Optional string field: absent or null is fine, another type is an error. */
static int
opt_str(char **out, const json_t *obj, const char *key, const char *where, struct vg_err **err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)) {
        return vg_err_set(err, VG_E_PARSE, "%s.%s: not a string", where, key);
    }
    *out = vg_strndup(json_string_value(v), json_string_length(v));
    return 0;
}

static int
opt_arr(json_t **out, const json_t *obj, const char *key, const char *where, struct vg_err **err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        return 0;
    }
    if (!json_is_array(v)) {
        return vg_err_set(err, VG_E_PARSE, "%s.%s: not an array", where, key);
    }
    *out = v;
    return 0;
}

static int
parse_ids(struct osv_record *r, const json_t *root, const char *key, struct vg_err **err)
{
    json_t *arr = NULL;
    if (opt_arr(&arr, root, key, r->id, err) < 0) {
        return -VG_E_PARSE;
    }
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        const char *s = json_string_value(v);
        if (!s || !clean_token(s, VULNDB_MAX_ID_BYTES, false)) {
            return vg_err_set(err, VG_E_PARSE, "%s: %s[%zu]: not an identifier", r->id, key, i);
        }
        if (strcmp(s, r->id) != 0) {
            vg_strv_add_unique(&r->aliases, &r->n_aliases, s);
        }
    }
    return 0;
}

/* Preference among several CVSS vectors: v3.x (what most tools and NVD report), then v4.0,
 * then v2. */
static int
cvss_rank(enum vg_cvss_version v)
{
    switch (v) {
    case VG_CVSS_V31:
        return 4;
    case VG_CVSS_V30:
        return 3;
    case VG_CVSS_V40:
        return 2;
    case VG_CVSS_V2:
        return 1;
    }
    return 0;
}

static void
parse_severity(struct osv_record *r, const json_t *root)
{
    json_t *arr = json_object_get(root, "severity");
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        const char *type = vg_json_str(v, "type");
        const char *score = vg_json_str(v, "score");
        if (!type || !score || strncmp(type, "CVSS_V", 6) != 0) {
            continue;
        }
        double s = 0;
        enum vg_cvss_version ver = 0;
        struct vg_err *e = NULL;
        if (vg_cvss_score(score, &s, &ver, &e) < 0) {
            /* A malformed vector is not a reason to drop the advisory; it just gives no
             * score, and the other sources of severity still apply. */
            VG_DEBUG("vulndb", "%s: ignoring severity[%zu]: %s", r->id, i,
                     e && e->msg ? e->msg : "bad vector");
            vg_err_free(&e);
            continue;
        }
        if (cvss_rank(ver) > cvss_rank(r->cvss_version)) {
            free(r->cvss_vector);
            r->cvss_vector = vg_strdup(score);
            r->cvss_version = ver;
            r->cvss_score = s;
        }
    }
    if (r->cvss_version) {
        r->severity = vg_cvss_severity(r->cvss_score, r->cvss_version);
        r->severity_source = r->cvss_version == VG_CVSS_V2    ? "CVSS_V2"
                             : r->cvss_version == VG_CVSS_V40 ? "CVSS_V4"
                                                              : "CVSS_V3";
        return;
    }
    json_t *dbs = json_object_get(root, "database_specific");
    enum vg_vulndb_severity ds = vg_vulndb_severity_parse(vg_json_str(dbs, "severity"));
    if (ds != VG_SEV_UNKNOWN) {
        r->severity = ds;
        r->severity_source = "database_specific";
    }
}

static int
parse_refs(struct osv_record *r, const json_t *root, struct vg_err **err)
{
    json_t *arr = NULL;
    if (opt_arr(&arr, root, "references", r->id, err) < 0) {
        return -VG_E_PARSE;
    }
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        const char *type = vg_json_str(v, "type");
        const char *url = vg_json_str(v, "url");
        if (!url || !clean_token(url, 8192, false)) {
            continue; /* a reference without a usable URL carries nothing to show */
        }
        if (!type || !clean_token(type, 64, false)) {
            type = "WEB";
        }
        if (vg_buf_appendf(&r->refs, err, "%s %s\n", type, url) < 0) {
            return vg_err_wrap(err, "%s: references", r->id);
        }
    }
    return 0;
}

static int
event_parse(struct vg_ver_event *ev, const json_t *obj, enum vg_ver_scheme scheme,
            const char *where, struct vg_err **err)
{
    static const struct {
        const char *key;
        enum vg_ver_event_kind kind;
    } kinds[] = {{"introduced", VG_EV_INTRODUCED},
                 {"fixed", VG_EV_FIXED},
                 {"last_affected", VG_EV_LAST_AFFECTED},
                 {"limit", VG_EV_LIMIT}};
    if (!json_is_object(obj) || json_object_size(obj) != 1) {
        return vg_err_set(err, VG_E_PARSE, "%s: an event must be an object with one key", where);
    }
    for (size_t k = 0; k < VG_ARRAY_LEN(kinds); k++) {
        json_t *v = json_object_get(obj, kinds[k].key);
        if (!v) {
            continue;
        }
        const char *s = json_string_value(v);
        if (!s || !clean_token(s, VULNDB_MAX_VERSION_BYTES, false)) {
            return vg_err_set(err, VG_E_PARSE, "%s.%s: not a version string", where, kinds[k].key);
        }
        bool special = (kinds[k].kind == VG_EV_INTRODUCED && strcmp(s, "0") == 0) ||
                       (kinds[k].kind == VG_EV_LIMIT && strcmp(s, "*") == 0);
        if (scheme && !special && !vg_ver_valid(scheme, s)) {
            vg_autofree char *esc = vg_escape(s, strlen(s), 80);
            vg_err_set(err, VG_E_PARSE, "%s.%s: unparsable %s version '%s'", where, kinds[k].key,
                       vg_ver_scheme_name(scheme), esc);
            return 1; /* the range cannot be evaluated; the record is still good */
        }
        ev->kind = kinds[k].kind;
        ev->version = vg_strdup(s);
        return 0;
    }
    return vg_err_set(err, VG_E_PARSE, "%s: unknown event kind", where);
}

static int
range_parse(struct osv_affected *a, const json_t *rj, enum vg_ver_scheme eco_scheme,
            const char *where, struct vg_err **err)
{
    const char *type = vg_json_str(rj, "type");
    enum vg_vulndb_range_type t;
    enum vg_ver_scheme scheme;
    if (!type) {
        return vg_err_set(err, VG_E_PARSE, "%s.type: missing", where);
    }
    if (strcmp(type, "SEMVER") == 0) {
        t = VG_RANGE_SEMVER;
        scheme = VG_VER_SEMVER;
    } else if (strcmp(type, "ECOSYSTEM") == 0) {
        t = VG_RANGE_ECOSYSTEM;
        scheme = eco_scheme;
    } else if (strcmp(type, "GIT") == 0) {
        return 0; /* commit ranges cannot be evaluated against package versions */
    } else {
        vg_autofree char *esc = vg_escape(type, strlen(type), 40);
        return vg_err_set(err, VG_E_PARSE, "%s: unknown range type '%s'", where, esc);
    }
    json_t *events = vg_json_arr(rj, "events");
    if (!events || json_array_size(events) == 0) {
        return vg_err_set(err, VG_E_PARSE, "%s.events: missing or empty", where);
    }
    struct osv_range r = {.type = t};
    r.events = vg_calloc(json_array_size(events), sizeof(*r.events));
    size_t i;
    json_t *ev;
    json_array_foreach (events, i, ev) {
        vg_autofree char *w = vg_fmt("%s.events[%zu]", where, i);
        int rc = event_parse(&r.events[r.n_events], ev, scheme, w, err);
        if (rc != 0) {
            for (size_t j = 0; j < r.n_events; j++) {
                vg_free_const(r.events[j].version);
            }
            free(r.events);
            if (rc < 0) {
                return -VG_E_PARSE;
            }
            /* Dropping only the bad event would change what the range means (a lost
             * `fixed` opens it to every later version, a lost `introduced` extends it down
             * to 0), so the whole range is left out and the rest of the record kept. */
            if (!a->dropped) {
                a->dropped = err && *err ? vg_err_format(*err) : vg_strdup("unparsable version");
            }
            if (err) {
                vg_err_free(err);
            }
            a->n_dropped++;
            return 0;
        }
        r.n_events++;
    }
    VG_ARRAY_GROW(a->ranges, a->n_ranges, 1);
    a->ranges[a->n_ranges++] = r;
    return 0;
}

static char *
json_compact(const json_t *v)
{
    if (!json_is_object(v) || json_object_size(v) == 0) {
        return NULL;
    }
    return vg_json_dump(v, false);
}

static int
affected_parse(struct osv_affected *a, const json_t *aj, const char *where, struct vg_err **err)
{
    json_t *pkg = vg_json_obj(aj, "package");
    const char *eco = vg_json_str(pkg, "ecosystem");
    const char *name = vg_json_str(pkg, "name");
    if (!eco || !name || !clean_token(eco, 128, true) || !clean_token(name, 1024, true)) {
        return vg_err_set(err, VG_E_PARSE, "%s.package: missing or bad ecosystem/name", where);
    }
    a->ecosystem = vg_strdup(eco);
    a->name = vg_vulndb_name_normalize(eco, name);
    enum vg_ver_scheme scheme = vg_ver_scheme_from_ecosystem(eco);

    json_t *ranges = NULL, *versions = NULL;
    if (opt_arr(&ranges, aj, "ranges", where, err) < 0 ||
        opt_arr(&versions, aj, "versions", where, err) < 0) {
        return -VG_E_PARSE;
    }
    size_t i;
    json_t *v;
    json_array_foreach (ranges, i, v) {
        vg_autofree char *w = vg_fmt("%s.ranges[%zu]", where, i);
        if (range_parse(a, v, scheme, w, err) < 0) {
            return -VG_E_PARSE;
        }
    }
    if (versions && json_array_size(versions)) {
        a->versions = vg_calloc(json_array_size(versions), sizeof(char *));
    }
    json_array_foreach (versions, i, v) {
        const char *s = json_string_value(v);
        if (!s || !clean_token(s, VULNDB_MAX_VERSION_BYTES, false)) {
            return vg_err_set(err, VG_E_PARSE, "%s.versions[%zu]: not a version string", where, i);
        }
        a->versions[a->n_versions++] = vg_strdup(s);
    }
    a->eco_specific = json_compact(json_object_get(aj, "ecosystem_specific"));
    a->db_specific = json_compact(json_object_get(aj, "database_specific"));
    return 0;
}

static int
parse_affected(struct osv_record *r, const json_t *root, struct vg_err **err)
{
    json_t *arr = NULL;
    if (opt_arr(&arr, root, "affected", r->id, err) < 0) {
        return -VG_E_PARSE;
    }
    if (!arr) {
        return 0;
    }
    r->affected = vg_calloc(json_array_size(arr) ? json_array_size(arr) : 1, sizeof(*r->affected));
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        if (!json_is_object(v)) {
            return vg_err_set(err, VG_E_PARSE, "%s: affected[%zu]: not an object", r->id, i);
        }
        if (!json_object_get(v, "package")) {
            continue; /* repository-only entries (GIT ranges) name no package to match */
        }
        vg_autofree char *w = vg_fmt("%s: affected[%zu]", r->id, i);
        struct osv_affected *a = &r->affected[r->n_affected];
        if (affected_parse(a, v, w, err) < 0) {
            affected_dispose(a);
            *a = (struct osv_affected){0};
            return -VG_E_PARSE;
        }
        r->n_affected++;
        r->n_dropped += a->n_dropped;
        if (!r->dropped && a->dropped) {
            r->dropped = vg_strdup(a->dropped);
        }
    }
    return 0;
}

int
vg_osv_record_parse(struct osv_record *out, const json_t *root, struct vg_err **err)
{
    struct osv_record r = {0};
    vg_buf_init(&r.refs, 4u * 1024u * 1024u);
    if (!json_is_object(root)) {
        return vg_err_set(err, VG_E_PARSE, "OSV record: not a JSON object");
    }
    const char *id = vg_json_str(root, "id");
    if (!id || !clean_token(id, VULNDB_MAX_ID_BYTES, false)) {
        return vg_err_set(err, VG_E_PARSE, "OSV record: missing or bad \"id\"");
    }
    r.id = vg_strdup(id);
    r.uid = vg_strdup(id);
    vg_autofree char *withdrawn = NULL;
    if (opt_str(&r.summary, root, "summary", id, err) < 0 ||
        opt_str(&r.details, root, "details", id, err) < 0 ||
        opt_str(&r.published, root, "published", id, err) < 0 ||
        opt_str(&r.modified, root, "modified", id, err) < 0 ||
        opt_str(&withdrawn, root, "withdrawn", id, err) < 0 ||
        parse_ids(&r, root, "aliases", err) < 0 || parse_ids(&r, root, "upstream", err) < 0 ||
        parse_refs(&r, root, err) < 0 || parse_affected(&r, root, err) < 0) {
        vg_osv_record_dispose(&r);
        return -VG_E_PARSE;
    }
    r.withdrawn = withdrawn != NULL;
    parse_severity(&r, root);
    *out = r;
    return 0;
}

/* ---------------------------------------------------------------- range encoding */

static char
kind_char(enum vg_ver_event_kind k)
{
    switch (k) {
    case VG_EV_INTRODUCED:
        return 'i';
    case VG_EV_FIXED:
        return 'f';
    case VG_EV_LAST_AFFECTED:
        return 'l';
    case VG_EV_LIMIT:
        return 'L';
    }
    return '?';
}

int
vg_vulndb_ranges_encode(struct vg_buf *out, const struct osv_range *r, size_t n,
                        struct vg_err **err)
{
    for (size_t i = 0; i < n; i++) {
        const char *t = r[i].type == VG_RANGE_SEMVER ? "SEMVER" : "ECOSYSTEM";
        if (vg_buf_appendf(out, err, "R %s\n", t) < 0) {
            return -VG_E_LIMIT;
        }
        for (size_t j = 0; j < r[i].n_events; j++) {
            if (vg_buf_appendf(out, err, "%c %s\n", kind_char(r[i].events[j].kind),
                               r[i].events[j].version) < 0) {
                return -VG_E_LIMIT;
            }
        }
    }
    return 0;
}

static bool
decode_line(struct vg_vulndb_advisory *adv, struct vg_str line)
{
    if (line.len < 3 || line.ptr[1] != ' ') {
        return false;
    }
    struct vg_str val = {line.ptr + 2, line.len - 2};
    if (line.ptr[0] == 'R') {
        enum vg_vulndb_range_type t = vg_str_eq_c(val, "SEMVER")      ? VG_RANGE_SEMVER
                                      : vg_str_eq_c(val, "ECOSYSTEM") ? VG_RANGE_ECOSYSTEM
                                                                      : 0;
        if (!t) {
            return false;
        }
        VG_ARRAY_GROW(adv->ranges, adv->n_ranges, 1);
        adv->ranges[adv->n_ranges++] = (struct vg_vulndb_range){.type = t};
        return true;
    }
    if (adv->n_ranges == 0) {
        return false;
    }
    enum vg_ver_event_kind k;
    switch (line.ptr[0]) {
    case 'i':
        k = VG_EV_INTRODUCED;
        break;
    case 'f':
        k = VG_EV_FIXED;
        break;
    case 'l':
        k = VG_EV_LAST_AFFECTED;
        break;
    case 'L':
        k = VG_EV_LIMIT;
        break;
    default:
        return false;
    }
    struct vg_vulndb_range *r = &adv->ranges[adv->n_ranges - 1];
    VG_ARRAY_GROW(r->events, r->n_events, 1);
    r->events[r->n_events++] = (struct vg_ver_event){k, vg_str_dup(val)};
    return true;
}

bool
vg_vulndb_ranges_decode(struct vg_vulndb_advisory *adv, const char *text, size_t len)
{
    struct vg_str s = {text, len};
    while (s.len) {
        struct vg_str line, rest;
        vg_str_cut(s, '\n', &line, &rest);
        if (line.len && !decode_line(adv, line)) {
            return false;
        }
        s = rest;
    }
    return true;
}
