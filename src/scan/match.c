/* SPDX-License-Identifier: Apache-2.0
 *
 * Matching an inventory against the vulnerability database: each package is looked up in
 * its own ecosystem (Debian/Ubuntu by SOURCE package and source version, Alpine by origin,
 * language packages by name) and every advisory is evaluated with that ecosystem's
 * comparator. Findings for the same package and the same vulnerability (a GHSA and a PYSEC
 * record for one CVE, say) collapse into one, keeping every alias, the best-known severity
 * and the lowest fixed version. Also the filters applied after matching.
 */
#include "scan.h"
#include "scan_int.h"

#include <stdlib.h>
#include <string.h>

static bool
is_os_eco(const struct vg_pkg *p)
{
    return p->type == VG_PKG_OS;
}

/* The (name, version) a package is looked up under. */
static void
lookup_key(const struct vg_pkg *p, const char **name, const char **version)
{
    *name = p->name;
    *version = p->version;
    if (is_os_eco(p) && p->src_name && p->src_name[0]) {
        bool deb = vg_cstr_startswith(p->ecosystem, "Debian") ||
                   vg_cstr_startswith(p->ecosystem, "Ubuntu");
        bool apk = vg_cstr_startswith(p->ecosystem, "Alpine") ||
                   vg_cstr_startswith(p->ecosystem, "Wolfi") ||
                   vg_cstr_startswith(p->ecosystem, "Chainguard");
        if (deb || apk) {
            *name = p->src_name;
            if (deb && p->src_version && p->src_version[0]) {
                *version = p->src_version;
            }
        }
    }
}

/* CVE alias preferred, as users and dashboards key on CVE ids. */
static const char *
preferred_id(const struct vg_vulndb_advisory *a)
{
    if (vg_cstr_startswith(a->id, "CVE-")) {
        return a->id;
    }
    for (size_t i = 0; i < a->n_aliases; i++) {
        if (vg_cstr_startswith(a->aliases[i], "CVE-")) {
            return a->aliases[i];
        }
    }
    return a->id;
}

static const char *
primary_url(const struct vg_vulndb_advisory *a)
{
    for (size_t i = 0; i < a->n_refs; i++) {
        if (a->refs[i].type && strcmp(a->refs[i].type, "ADVISORY") == 0) {
            return a->refs[i].url;
        }
    }
    return a->n_refs ? a->refs[0].url : NULL;
}

static bool
will_not_fix(const struct vg_vulndb_advisory *a)
{
    const char *hints[] = {a->ecosystem_specific, a->database_specific};
    for (size_t i = 0; i < VG_ARRAY_LEN(hints); i++) {
        if (hints[i] && (strstr(hints[i], "\"will_not_fix\"") || strstr(hints[i], "wontfix") ||
                         strstr(hints[i], "\"unimportant\""))) {
            return true;
        }
    }
    return false;
}

/* Findings of one package are contiguous (packages are matched in order), so only those
 * from `from` on can be the same finding: keeps matching linear in the number of findings. */
static struct vg_vuln_finding *
find_existing(struct vg_scan_report *r, size_t from, size_t pkg, const char *vid)
{
    for (size_t i = from; i < r->nvulns; i++) {
        if (r->vulns[i].pkg == pkg && strcmp(r->vulns[i].vuln_id, vid) == 0) {
            return &r->vulns[i];
        }
    }
    return NULL;
}

static void
fill_from(struct vg_vuln_finding *f, const struct vg_vulndb_advisory *a)
{
    free(f->severity_source);
    free(f->cvss_vector);
    free(f->title);
    free(f->description);
    free(f->primary_url);
    free(f->published);
    free(f->modified);
    free(f->data_source);
    f->severity = a->severity;
    f->severity_source = vg_strdup(a->severity_source);
    f->cvss_score = a->cvss_score;
    f->cvss_vector = vg_strdup(a->cvss_vector);
    f->cvss_version = a->cvss_version;
    f->title = vg_strdup(a->summary);
    f->description = vg_strdup(a->details);
    f->primary_url = vg_strdup(primary_url(a));
    f->published = vg_strdup(a->published);
    f->modified = vg_strdup(a->modified);
    f->data_source = vg_strdup(a->source);
    f->upstream = vg_scan_data_source(a->id, a->ecosystem, a->source);
}

struct match_state {
    size_t cap;      /* allocated entries of r->vulns */
    size_t pkg_from; /* first finding of the package being matched */
};

static void
add_finding(struct vg_scan_report *r, struct match_state *ms, size_t pkg,
            const struct vg_vulndb_advisory *a, const char *fixed, const char *installed,
            enum vg_ver_scheme scheme)
{
    const char *vid = preferred_id(a);
    struct vg_vuln_finding *f = find_existing(r, ms->pkg_from, pkg, vid);
    if (!f) {
        r->vulns = vg_vec_grow(r->vulns, &ms->cap, r->nvulns, 1, sizeof(*r->vulns));
        f = &r->vulns[r->nvulns++];
        memset(f, 0, sizeof(*f));
        f->vuln_id = vg_strdup(vid);
        f->pkg = pkg;
        fill_from(f, a);
    } else if (f->severity == VG_SEV_UNKNOWN && a->severity != VG_SEV_UNKNOWN) {
        fill_from(f, a);
    } else if (!f->title && a->summary) {
        f->title = vg_strdup(a->summary);
    }
    bool ghsa = vg_cstr_startswith(a->id, "GHSA-")
                    ? !a->severity_source || !vg_cstr_startswith(a->severity_source, "alias ")
                    : a->severity_source && vg_cstr_startswith(a->severity_source, "alias GHSA-");
    if (ghsa && a->severity > f->ghsa_severity) {
        f->ghsa_severity = a->severity;
    }
    if (strcmp(a->id, vid) != 0) {
        vg_strv_add_unique(&f->aliases, &f->naliases, a->id);
    }
    for (size_t i = 0; i < a->n_aliases; i++) {
        if (strcmp(a->aliases[i], vid) != 0) {
            vg_strv_add_unique(&f->aliases, &f->naliases, a->aliases[i]);
        }
    }
    for (size_t i = 0; i < a->n_refs; i++) {
        vg_strv_add_unique(&f->refs, &f->nrefs, a->refs[i].url);
    }
    if (fixed && vg_ver_cmp(scheme, fixed, installed) > 0 &&
        (!f->fixed_version || vg_ver_cmp(scheme, fixed, f->fixed_version) < 0)) {
        free(f->fixed_version);
        f->fixed_version = vg_strdup(fixed);
    }
    free(f->status);
    f->status = vg_strdup(f->fixed_version  ? "fixed"
                          : will_not_fix(a) ? "will_not_fix"
                                            : "affected");
}

int
vg_scan_match(struct vg_scan_report *r, struct vg_vulndb *db, struct vg_err **err)
{
    const struct vg_inventory *inv = r->inv;
    struct match_state ms = {.cap = r->nvulns};
    for (size_t i = 0; inv && i < inv->npkgs; i++) {
        const struct vg_pkg *p = &inv->pkgs[i];
        ms.pkg_from = r->nvulns;
        if (!p->ecosystem || !p->name || !p->version) {
            continue;
        }
        enum vg_ver_scheme scheme = vg_ver_scheme_from_ecosystem(p->ecosystem);
        if (!scheme) {
            continue;
        }
        const char *name, *version;
        lookup_key(p, &name, &version);
        struct vg_vulndb_result res = {0};
        if (vg_vulndb_query_affecting(&res, db, p->ecosystem, name, scheme, version, err) < 0) {
            vg_vulndb_result_dispose(&res);
            return vg_err_wrap(err, "look up %s %s", p->ecosystem, p->name);
        }
        for (size_t k = 0; k < res.n; k++) {
            const char *fixed = NULL;
            if (vg_vulndb_advisory_affects(&res.items[k], scheme, version, &fixed)) {
                add_finding(r, &ms, i, &res.items[k], fixed, version, scheme);
            }
        }
        vg_vulndb_result_dispose(&res);
    }
    return vg_scan_severity_resolve(r, db, err);
}

/* ---------------------------------------------------------------- filters */

int
vg_scan_severities_parse(unsigned *out, const char *list, struct vg_err **err)
{
    unsigned bits = 0;
    struct vg_str rest = vg_str_c(list), item;
    while (rest.len) {
        vg_str_cut(rest, ',', &item, &rest);
        item = vg_str_trim(item);
        if (!item.len) {
            continue;
        }
        vg_autofree char *w = vg_str_dup(item);
        for (char *c = w; *c; c++) {
            if (*c >= 'a' && *c <= 'z') {
                *c = (char)(*c - 'a' + 'A');
            }
        }
        enum vg_vulndb_severity s = vg_vulndb_severity_parse(w);
        if (s == VG_SEV_UNKNOWN && strcmp(w, "UNKNOWN") != 0) {
            return vg_err_set(err, VG_E_USAGE,
                              "unknown severity '%s' (want UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)",
                              w);
        }
        bits |= 1u << s;
    }
    *out = bits;
    return 0;
}

static bool
sev_listed(unsigned bits, enum vg_vulndb_severity s)
{
    return bits == 0 || (bits & (1u << s)) != 0;
}

enum vg_vulndb_severity
vg_scan_sev_to_db(enum vg_scan_severity s)
{
    switch (s) {
    case VG_SCAN_SEV_LOW:
        return VG_SEV_LOW;
    case VG_SCAN_SEV_MEDIUM:
        return VG_SEV_MEDIUM;
    case VG_SCAN_SEV_HIGH:
        return VG_SEV_HIGH;
    case VG_SCAN_SEV_CRITICAL:
        return VG_SEV_CRITICAL;
    case VG_SCAN_SEV_UNKNOWN:
        break;
    }
    return VG_SEV_UNKNOWN;
}

void
vg_scan_vuln_dispose(struct vg_vuln_finding *f)
{
    free(f->vuln_id);
    vg_strv_free(f->aliases, f->naliases);
    vg_strv_free(f->refs, f->nrefs);
    free(f->fixed_version);
    free(f->status);
    free(f->severity_source);
    free(f->cvss_vector);
    free(f->title);
    free(f->description);
    free(f->primary_url);
    free(f->published);
    free(f->modified);
    free(f->data_source);
    free(f->suppressed_by);
    vg_scan_vuln_enrich_dispose(f);
}

/* The common step for every kind of finding: false when its severity is not listed (the
 * caller drops it); otherwise marks it suppressed when an ignore entry names one of its ids
 * (and, when the entry says so, its kind, package, purl and file). */
static bool
screen(const struct vg_scan_filter *flt, enum vg_vulndb_severity sev, struct vg_ignore_query q,
       const char *const *more_ids, size_t nmore, char **suppressed_by)
{
    if (!sev_listed(flt->severities, sev)) {
        return false;
    }
    if (*suppressed_by) { /* already suppressed where it was found (an inline ignore comment) */
        return true;
    }
    const struct vg_ignore_entry *e =
        flt->ignore ? vg_ignore_lookup(flt->ignore, &q, flt->now) : NULL;
    for (size_t k = 0; flt->ignore && !e && k < nmore; k++) {
        q.id = more_ids[k];
        e = vg_ignore_lookup(flt->ignore, &q, flt->now);
    }
    if (e) {
        *suppressed_by =
            e->statement ? vg_fmt("ignorefile: %s", e->statement) : vg_strdup("ignorefile");
    }
    return true;
}

/* What was scanned, as VEX products name it. An SBOM's own subject counts only as far as the
 * SBOM states it: a pkg:oci purl gives digest, repository, tag and arch. */
struct vex_subject {
    struct vg_vex_subject s;
    struct vg_purl p;
    char *repository, *os, *arch;
};

static void
vex_subject_init(struct vex_subject *x, const struct vg_scan_report *r)
{
    memset(x, 0, sizeof(*x));
    struct vg_vex_subject *s = &x->s;
    s->repository = r->repository;
    s->tag = r->tag;
    s->manifest_digest = r->manifest_digest.alg ? r->manifest_digest.text : NULL;
    s->index_digest = r->index_digest.alg ? r->index_digest.text : NULL;
    s->config_digest = r->config_digest.alg ? r->config_digest.text : NULL;
    const char *slash = r->platform ? strchr(r->platform, '/') : NULL;
    if (slash) { /* "linux/arm64/v8" */
        x->os = vg_strndup(r->platform, (size_t)(slash - r->platform));
        x->arch = vg_strndup(slash + 1, strcspn(slash + 1, "/"));
        s->os = x->os;
        s->arch = x->arch;
    }
    struct vg_err *err = NULL;
    if (!r->subject_purl || vg_purl_parse(&x->p, r->subject_purl, &err) < 0) {
        vg_err_free(&err);
        return;
    }
    if (strcmp(x->p.type, "oci") != 0) {
        s->purl = r->subject_purl;
        return;
    }
    s->manifest_digest = x->p.version && vg_digest_valid(x->p.version) ? x->p.version : NULL;
    s->tag = vg_purl_qual(&x->p, "tag");
    s->arch = vg_purl_qual(&x->p, "arch");
    s->os = vg_purl_qual(&x->p, "os");
    const char *url = vg_purl_qual(&x->p, "repository_url");
    vg_autofree char *tagged = url ? vg_fmt("%s:x", url) : NULL;
    struct vg_oci_ref *ref = NULL;
    if (tagged && vg_oci_ref_parse(&ref, tagged, &err) == 0) {
        x->repository = vg_oci_ref_name(ref);
        s->repository = x->repository;
    }
    vg_oci_ref_free(ref);
    vg_err_free(&err);
}

static void
vex_subject_dispose(struct vex_subject *x)
{
    vg_purl_dispose(&x->p);
    free(x->repository);
    free(x->os);
    free(x->arch);
}

static void
vex_screen(const struct vg_scan_filter *flt, const struct vg_vex_subject *subj,
           struct vg_vuln_finding *f, const struct vg_pkg *p)
{
    const char **al = vg_calloc(f->naliases + 1, sizeof(*al));
    for (size_t k = 0; k < f->naliases; k++) {
        al[k] = f->aliases[k];
    }
    const char *just = NULL;
    if (vg_vex_suppresses(flt->vex, subj, f->vuln_id, al, p->purl, &just)) {
        f->suppressed_by = vg_fmt("vex: %s", just ? just : "not_affected");
    }
    free(al);
}

void
vg_scan_filter_use(struct vg_scan_filter *f, const struct vg_scan_filters *loaded)
{
    f->ignore = loaded->has_ignore ? &loaded->ignore : NULL;
    f->vex = loaded->vex;
}

void
vg_scan_filter_apply(struct vg_scan_report *r, const struct vg_scan_filter *flt)
{
    size_t keep = 0;
    struct vex_subject subj;
    vex_subject_init(&subj, r);
    for (size_t i = 0; i < r->nvulns; i++) {
        struct vg_vuln_finding *f = &r->vulns[i];
        const struct vg_pkg *p = &r->inv->pkgs[f->pkg];
        if ((flt->ignore_unfixed && !f->fixed_version) ||
            !screen(flt, f->severity,
                    (struct vg_ignore_query){VG_IGNORE_VULN, f->vuln_id, p->name, p->purl, p->path},
                    /* C converts char ** to const char *const * only by a cast; it adds
                     * const at both levels and removes none */
                    (const char *const *)f->aliases, f->naliases, &f->suppressed_by)) {
            vg_scan_vuln_dispose(f);
            continue;
        }
        if (!f->suppressed_by && flt->vex) {
            vex_screen(flt, &subj.s, f, p);
        }
        r->vulns[keep++] = *f;
    }
    r->nvulns = keep;
    vex_subject_dispose(&subj);

    keep = 0;
    for (size_t i = 0; i < r->nsecrets; i++) {
        struct vg_scan_secret *s = &r->secrets[i];
        struct vg_ignore_query q = {
            .kind = VG_IGNORE_SECRET, .id = s->f.rule_id, .path = s->f.path};
        if (!screen(flt, vg_scan_sev_to_db(s->f.severity), q, NULL, 0, &s->suppressed_by)) {
            vg_scan_secret_dispose(s);
            continue;
        }
        r->secrets[keep++] = *s;
    }
    r->nsecrets = keep;

    keep = 0;
    for (size_t i = 0; i < r->nmodels; i++) {
        struct vg_scan_model *m = &r->models[i];
        struct vg_ignore_query q = {.kind = VG_IGNORE_ANY, .id = m->f.id, .path = m->f.path};
        if (!screen(flt, vg_scan_sev_to_db(m->f.severity), q, NULL, 0, &m->suppressed_by)) {
            vg_scan_model_dispose(m);
            continue;
        }
        r->models[keep++] = *m;
    }
    r->nmodels = keep;

    keep = 0;
    for (size_t i = 0; i < r->nconfigs; i++) {
        struct vg_config_finding *c = &r->configs[i];
        const char *const more[] = {c->avd_id, c->vg_id};
        struct vg_ignore_query q = {.kind = VG_IGNORE_MISCONFIG, .id = c->id, .path = c->target};
        if (!screen(flt, c->severity, q, more, VG_ARRAY_LEN(more), &c->suppressed_by)) {
            free(c->message);
            free(c->target);
            continue;
        }
        r->configs[keep++] = *c;
    }
    r->nconfigs = keep;
}

size_t
vg_scan_count_failing(const struct vg_scan_report *r, unsigned sev)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nvulns; i++) {
        n += !r->vulns[i].suppressed_by && sev_listed(sev, r->vulns[i].severity);
    }
    for (size_t i = 0; i < r->nsecrets; i++) {
        n += !r->secrets[i].suppressed_by &&
             sev_listed(sev, vg_scan_sev_to_db(r->secrets[i].f.severity));
    }
    for (size_t i = 0; i < r->nmodels; i++) {
        n += !r->models[i].suppressed_by &&
             sev_listed(sev, vg_scan_sev_to_db(r->models[i].f.severity));
    }
    for (size_t i = 0; i < r->nconfigs; i++) {
        n += !r->configs[i].suppressed_by && sev_listed(sev, r->configs[i].severity);
    }
    return n;
}
