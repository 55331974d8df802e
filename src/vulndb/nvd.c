/* SPDX-License-Identifier: Apache-2.0
 *
 * NVD CVE API 2.0 feeds and the Debian security tracker JSON, both read as streams.
 *
 * A yearly NVD feed (`nvdcve-2.0-YYYY.json.gz`, and the modified/recent feeds in the same
 * layout) is one JSON object whose "vulnerabilities" array holds one {"cve": {...}} per CVE;
 * the tracker JSON (`/tracker/data/json`) is one object keyed by source package. Both are far
 * too big to load as one jansson tree, so a small byte-level splitter finds the items (the
 * elements of the root's "vulnerabilities" array, or the values of the root object) while
 * the file is inflated, and each item alone goes through jansson. Only one item is held in
 * memory at a time, bounded by VG_LIMIT_OSV_RECORD_BYTES; a larger item is skipped and
 * reported, a structurally broken or truncated file is VG_E_PARSE naming the byte offset.
 *
 * gzip, zstd and plain files are read the same way (layers/' vg_zread detects which by magic).
 */
#include "vulndb/vulndb_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "layers/layers.h"

/* ---------------------------------------------------------------- splitter */

void
vg_json_splitter_init(struct vg_json_splitter *s, enum vg_json_split_mode mode, split_item_fn fn,
                      split_bad_fn bad, void *ctx)
{
    *s = (struct vg_json_splitter){.mode = mode, .fn = fn, .bad = bad, .ctx = ctx};
    vg_buf_init(&s->item, VG_LIMIT_OSV_RECORD_BYTES);
}

void
vg_json_splitter_dispose(struct vg_json_splitter *s)
{
    vg_buf_dispose(&s->item);
}

/* Depth (1 = inside the root object) at which captured items open. */
static int
capture_depth(const struct vg_json_splitter *s)
{
    return s->mode == VG_SPLIT_NVD ? 2 : 1;
}

static int
split_fail(struct vg_json_splitter *s, const char *why, struct vg_err **err)
{
    return vg_err_set(err, VG_E_PARSE, "byte %llu: %s", (unsigned long long)s->offset, why);
}

static int
finish_item(struct vg_json_splitter *s, struct vg_err **err)
{
    int rc = 0;
    if (s->oversized) {
        if (s->bad) {
            s->bad(s->key, "item larger than the record limit", s->ctx);
        }
    } else {
        rc = s->fn(s->key, s->item.data, s->item.len, s->ctx, err);
    }
    vg_buf_reset(&s->item);
    s->capturing = s->oversized = false;
    return rc;
}

static void
capture(struct vg_json_splitter *s, uint8_t c)
{
    if (!s->oversized) {
        struct vg_err *e = NULL;
        if (vg_buf_appendc(&s->item, (char)c, &e) < 0) {
            vg_err_free(&e);
            s->oversized = true;
        }
    }
}

/* One byte outside strings. */
static int
structural(struct vg_json_splitter *s, uint8_t c, struct vg_err **err)
{
    int cd = capture_depth(s);
    switch (c) {
    case '{':
    case '[':
        if (s->depth == 0 && c != '{') {
            return split_fail(s, "top level is not a JSON object", err);
        }
        if (s->depth >= 64) {
            return split_fail(s, "nesting deeper than 64", err);
        }
        if (s->depth == 1 && c == '[' && s->mode == VG_SPLIT_NVD) {
            s->in_target = strcmp(s->key, "vulnerabilities") == 0;
        }
        if (s->depth == cd && (s->mode == VG_SPLIT_MEMBERS || s->in_target) && c == '{') {
            s->capturing = true;
        }
        s->stack[s->depth++] = (char)c;
        break;
    case '}':
    case ']':
        if (s->depth == 0 || s->stack[s->depth - 1] != (c == '}' ? '{' : '[')) {
            return split_fail(s, "unbalanced brackets", err);
        }
        s->depth--;
        if (s->capturing && s->depth == cd) {
            capture(s, c);
            return finish_item(s, err);
        }
        if (s->depth == 1) {
            s->in_target = false;
        }
        if (s->depth == 0) {
            s->done = true;
        }
        break;
    case ',':
        if (s->depth == 1) {
            s->expect_key = true;
        }
        break;
    case ':':
        if (s->depth == 1) {
            s->expect_key = false;
        }
        break;
    case ' ':
    case '\t':
    case '\r':
    case '\n':
        break;
    default:
        if (s->depth == 0) {
            return split_fail(
                s, s->done ? "data after the top-level object" : "top level is not a JSON object",
                err);
        }
        break;
    }
    if (s->capturing) {
        capture(s, c);
    }
    return 0;
}

int
vg_json_splitter_feed(struct vg_json_splitter *s, const uint8_t *p, size_t n, struct vg_err **err)
{
    for (size_t i = 0; i < n; i++, s->offset++) {
        uint8_t c = p[i];
        if (s->done && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            return split_fail(s, "data after the top-level object", err);
        }
        if (s->in_string) {
            if (s->capturing) {
                capture(s, c);
            }
            if (s->escape) {
                s->escape = false;
            } else if (c == '\\') {
                s->escape = true;
            } else if (c == '"') {
                s->in_string = false;
                if (s->key_pending) {
                    s->key[s->key_len] = '\0';
                    s->key_pending = false;
                }
            } else if (s->key_pending && s->key_len + 1 < sizeof(s->key)) {
                s->key[s->key_len++] = (char)c;
            }
            continue;
        }
        if (c == '"') {
            if (s->depth == 0) {
                return split_fail(s, "top level is not a JSON object", err);
            }
            s->in_string = true;
            if (s->depth == 1 && s->expect_key) {
                s->key_pending = true;
                s->key_len = 0;
            }
            if (s->capturing) {
                capture(s, c);
            }
            continue;
        }
        if (c == '{' && s->depth == 0) {
            s->expect_key = true;
        }
        if (structural(s, c, err) < 0) {
            return -VG_E_PARSE;
        }
    }
    return 0;
}

int
vg_json_splitter_end(struct vg_json_splitter *s, struct vg_err **err)
{
    if (!s->done) {
        return split_fail(s, "truncated: the top-level object is not closed", err);
    }
    return 0;
}

int
vg_json_split_file(const char *path, struct vg_json_splitter *s, struct vg_err **err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "open %s", path);
    }
    struct vg_zread *zr = NULL;
    if (vg_zread_open(&zr, fd, path, VULNDB_MAX_ZIP_TOTAL, err) < 0) {
        close(fd);
        return -1;
    }
    int rc = 0;
    for (;;) {
        const uint8_t *d;
        size_t n;
        if (vg_zread_read(zr, &d, &n, err) < 0) {
            rc = -1; /* truncated, corrupt or too large: the message names the file */
            break;
        }
        if (n == 0) {
            rc = vg_json_splitter_end(s, err);
            if (rc < 0) {
                vg_err_wrap(err, "%s", path);
            }
            break;
        }
        rc = vg_json_splitter_feed(s, d, n, err);
        if (rc < 0) {
            if (vg_err_is(*err, VG_E_PARSE)) {
                vg_err_wrap(err, "%s", path);
            }
            break;
        }
    }
    vg_zread_close(zr);
    close(fd);
    return rc;
}

/* ---------------------------------------------------------------- NVD records */

void
vg_nvd_cve_dispose(struct nvd_cve *c)
{
    free(c->id);
    free(c->published);
    free(c->last_modified);
    free(c->description);
    free(c->status);
    for (size_t i = 0; i < c->n_cwes; i++) {
        free(c->cwes[i]);
    }
    free(c->cwes);
    for (size_t i = 0; i < c->n_metrics; i++) {
        free(c->metrics[i].source);
        free(c->metrics[i].vector);
    }
    free(c->metrics);
    *c = (struct nvd_cve){0};
}

static char *
str_dup_bounded(const json_t *o, const char *key, size_t max)
{
    const char *s = vg_json_str(o, key);
    if (!s) {
        return NULL;
    }
    size_t n = strlen(s);
    return vg_strndup(s, n > max ? max : n);
}

static void
add_cwe(struct nvd_cve *c, const char *v)
{
    if (!v || !*v || strlen(v) > 64) {
        return;
    }
    for (size_t i = 0; i < c->n_cwes; i++) {
        if (strcmp(c->cwes[i], v) == 0) {
            return;
        }
    }
    if (c->n_cwes >= 64) {
        return;
    }
    VG_ARRAY_GROW(c->cwes, c->n_cwes, 1);
    c->cwes[c->n_cwes++] = vg_strdup(v);
}

static const struct {
    const char *key;
    enum vg_cvss_version version;
} metric_keys[] = {
    {"cvssMetricV2", VG_CVSS_V2},
    {"cvssMetricV30", VG_CVSS_V30},
    {"cvssMetricV31", VG_CVSS_V31},
    {"cvssMetricV40", VG_CVSS_V40},
};

static int
parse_metric(struct nvd_cve *c, const json_t *m, enum vg_cvss_version want, const char *where,
             struct vg_err **err)
{
    json_t *data = vg_json_obj(m, "cvssData");
    const char *vector = vg_json_str(data, "vectorString");
    if (!json_is_object(m) || !vector || strlen(vector) > 512) {
        return vg_err_set(err, VG_E_PARSE, "%s: %s: no cvssData.vectorString", c->id, where);
    }
    const char *source = vg_json_str(m, "source");
    const char *type = vg_json_str(m, "type");
    json_t *score_j = json_object_get(data, "baseScore");
    double score = 0;
    enum vg_cvss_version ver = want;
    struct vg_err *e = NULL;
    double computed = 0;
    enum vg_cvss_version cver = 0;
    bool valid = vg_cvss_score(vector, &computed, &cver, &e) == 0;
    vg_err_free(&e);
    if (json_is_number(score_j)) {
        score = json_number_value(score_j);
    } else if (valid) {
        score = computed;
    } else {
        return vg_err_set(err, VG_E_PARSE, "%s: %s: no baseScore and an unscorable vector", c->id,
                          where);
    }
    if (!(score >= 0 && score <= 10)) {
        return vg_err_set(err, VG_E_PARSE, "%s: %s: baseScore out of range", c->id, where);
    }
    if (valid && cver) {
        ver = cver;
    }
    const char *sev_s = vg_json_str(data, "baseSeverity");
    if (!sev_s) {
        sev_s = vg_json_str(m, "baseSeverity"); /* v2 keeps it beside cvssData */
    }
    enum vg_vulndb_severity sev = sev_s ? vg_vulndb_severity_parse(sev_s) : VG_SEV_UNKNOWN;
    if (sev == VG_SEV_UNKNOWN) {
        sev = vg_cvss_severity(score, ver);
    }
    if (c->n_metrics >= 64) {
        return 0;
    }
    VG_ARRAY_GROW(c->metrics, c->n_metrics, 1);
    c->metrics[c->n_metrics++] = (struct nvd_metric){
        .source = vg_strndup(source ? source : "", source && strlen(source) < 256 ? strlen(source)
                                                   : source                       ? 255
                                                                                  : 0),
        .primary = type ? strcmp(type, "Primary") == 0
                        : (source && strcmp(source, VG_NVD_PRIMARY_SOURCE) == 0),
        .version = ver,
        .vector = vg_strdup(vector),
        .score = score,
        .severity = sev,
    };
    return 0;
}

int
vg_nvd_cve_parse(struct nvd_cve *out, const json_t *item, struct vg_err **err)
{
    *out = (struct nvd_cve){0};
    const json_t *cve = vg_json_obj(item, "cve");
    if (!cve) {
        cve = item; /* a bare CVE API object */
    }
    const char *id = vg_json_str(cve, "id");
    if (!json_is_object(cve) || !id || !vg_cstr_startswith(id, "CVE-") ||
        strlen(id) > VULNDB_MAX_ID_BYTES) {
        return vg_err_set(err, VG_E_PARSE, "cve.id missing or not a CVE id");
    }
    out->id = vg_strdup(id);
    out->published = str_dup_bounded(cve, "published", 64);
    out->last_modified = str_dup_bounded(cve, "lastModified", 64);
    out->status = str_dup_bounded(cve, "vulnStatus", 64);
    size_t i;
    json_t *d;
    json_array_foreach (vg_json_arr(cve, "descriptions"), i, d) {
        const char *lang = vg_json_str(d, "lang");
        if (lang && strcmp(lang, "en") == 0 && !out->description) {
            out->description = str_dup_bounded(d, "value", 64u * 1024u);
        }
    }
    json_t *w;
    json_array_foreach (vg_json_arr(cve, "weaknesses"), i, w) {
        size_t k;
        json_t *wd;
        json_array_foreach (vg_json_arr(w, "description"), k, wd) {
            add_cwe(out, vg_json_str(wd, "value"));
        }
    }
    json_t *metrics = vg_json_obj(cve, "metrics");
    for (size_t m = 0; metrics && m < VG_ARRAY_LEN(metric_keys); m++) {
        json_t *arr = json_object_get(metrics, metric_keys[m].key);
        if (arr && !json_is_array(arr)) {
            vg_nvd_cve_dispose(out);
            return vg_err_set(err, VG_E_PARSE, "%s: metrics.%s is not an array", id,
                              metric_keys[m].key);
        }
        json_t *mv;
        json_array_foreach (arr, i, mv) {
            char where[64];
            snprintf(where, sizeof(where), "metrics.%s[%zu]", metric_keys[m].key, i);
            if (parse_metric(out, mv, metric_keys[m].version, where, err) < 0) {
                vg_nvd_cve_dispose(out);
                return -VG_E_PARSE;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- Debian tracker */

enum vg_vulndb_severity
vg_debian_urgency_severity(const char *u)
{
    if (!u) {
        return VG_SEV_UNKNOWN;
    }
    /* Trailing '*' marks are the tracker's confidence hints ("medium**"): ignored. */
    size_t n = strcspn(u, "*");
    static const struct {
        const char *name;
        enum vg_vulndb_severity sev;
    } map[] = {{"unimportant", VG_SEV_LOW},
               {"end-of-life", VG_SEV_LOW},
               {"low", VG_SEV_LOW},
               {"medium", VG_SEV_MEDIUM},
               {"high", VG_SEV_HIGH}};
    for (size_t i = 0; i < VG_ARRAY_LEN(map); i++) {
        if (strlen(map[i].name) == n && strncmp(u, map[i].name, n) == 0) {
            return map[i].sev;
        }
    }
    return VG_SEV_UNKNOWN; /* "not yet assigned" and anything new */
}

int
vg_debian_tracker_package(const char *pkg, json_t *cves, debian_sev_fn fn, void *ctx,
                          struct vg_err **err)
{
    if (!json_is_object(cves)) {
        return vg_err_set(err, VG_E_PARSE, "%s: not an object of CVEs", pkg);
    }
    const char *cve;
    json_t *v;
    json_object_foreach (cves, cve, v) {
        if (!vg_cstr_startswith(cve, "CVE-") || strlen(cve) > VULNDB_MAX_ID_BYTES) {
            continue; /* TEMP-… ids have no cross-reference */
        }
        const char *rel;
        json_t *r;
        json_object_foreach (vg_json_obj(v, "releases"), rel, r) {
            enum vg_vulndb_severity s = vg_debian_urgency_severity(vg_json_str(r, "urgency"));
            if (s == VG_SEV_UNKNOWN || strlen(rel) > 64) {
                continue;
            }
            int rc = fn(cve, pkg, rel, s, ctx, err);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

const char *
vg_vulndb_debian_codename(const char *version)
{
    static const struct {
        const char *ver, *name;
    } map[] = {{"9", "stretch"},   {"10", "buster"}, {"11", "bullseye"},
               {"12", "bookworm"}, {"13", "trixie"}, {"14", "forky"}};
    if (!version) {
        return NULL;
    }
    size_t n = strcspn(version, ".");
    for (size_t i = 0; i < VG_ARRAY_LEN(map); i++) {
        if (strlen(map[i].ver) == n && strncmp(version, map[i].ver, n) == 0) {
            return map[i].name;
        }
    }
    return NULL;
}
