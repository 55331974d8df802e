/* SPDX-License-Identifier: Apache-2.0
 *
 * Which VEX statement applies to a finding. The rule that matters for safety: a statement
 * about an image never reaches a finding in another image. A product that is an image (or
 * other artifact) must identify the scanned subject with every identifier it carries, and
 * anything ambiguous (an oci purl with neither digest nor repository_url, a subject whose
 * repository is unknown, an unknown hash algorithm, a CPE) fails to match rather than
 * guessing. The statement model and loading are in ignore_vex.c and vex_cdx.c.
 */
#include <string.h>

#include "scan/vex_int.h"

static bool
streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* purl-spec matching of a statement purl `s` against a concrete purl `c`: same type,
 * namespace and name; a version in `s` must be equal; every qualifier of `s` must be present
 * in `c` with the same value. */
static bool
purl_covers(const struct vg_purl *s, const struct vg_purl *c)
{
    if (strcmp(s->type, c->type) != 0 || strcmp(s->name, c->name) != 0 ||
        !(s->ns ? streq(s->ns, c->ns) : !c->ns)) {
        return false;
    }
    if (s->version && !streq(s->version, c->version)) {
        return false;
    }
    for (size_t i = 0; i < s->nquals; i++) {
        if (!streq(vg_purl_qual(c, s->quals[i].key), s->quals[i].value)) {
            return false;
        }
    }
    return !s->subpath || streq(s->subpath, c->subpath);
}

static bool
is_image_purl(const struct vg_purl *p)
{
    return strcmp(p->type, "oci") == 0 || strcmp(p->type, "docker") == 0;
}

static bool
subject_has_digest(const struct vg_vex_subject *s, const char *d, bool config_too)
{
    return streq(s->manifest_digest, d) || streq(s->index_digest, d) ||
           (config_too && streq(s->config_digest, d));
}

/* "ghcr.io/x/app" (from repository_url) compared with the subject's normalized name. */
static bool
same_repository(const struct vg_vex_subject *s, const char *name)
{
    if (!s->repository || !name) {
        return false;
    }
    vg_autofree char *tagged = vg_fmt("%s:x", name);
    struct vg_oci_ref *r = NULL;
    struct vg_err *err = NULL;
    bool same = false;
    if (vg_oci_ref_parse(&r, tagged, &err) == 0) {
        vg_autofree char *n = vg_oci_ref_name(r);
        same = strcmp(n, s->repository) == 0;
    }
    vg_oci_ref_free(r);
    vg_err_free(&err);
    return same;
}

static bool
last_segment_is(const char *repo, const char *name)
{
    const char *slash = repo ? strrchr(repo, '/') : NULL;
    return streq(slash ? slash + 1 : repo, name);
}

/* pkg:oci/NAME@DIGEST?repository_url=..&tag=..&arch=..&os=.. */
static bool
oci_purl_is_subject(const struct vg_purl *p, const struct vg_vex_subject *s)
{
    const char *url = vg_purl_qual(p, "repository_url");
    if (!p->version && !url) {
        return false; /* "pkg:oci/app" names every image called app */
    }
    if (p->version && !subject_has_digest(s, p->version, false)) {
        return false;
    }
    if (url ? !same_repository(s, url)
            : s->repository && !last_segment_is(s->repository, p->name)) {
        return false;
    }
    if (url && !last_segment_is(s->repository, p->name)) {
        return false;
    }
    static const char *const keys[] = {"tag", "arch", "os"};
    const char *have[] = {s->tag, s->arch, s->os};
    for (size_t i = 0; i < VG_ARRAY_LEN(keys); i++) {
        const char *want = vg_purl_qual(p, keys[i]);
        if (want && !streq(want, have[i])) {
            return false;
        }
    }
    return true;
}

/* pkg:docker/NS/NAME@TAG-or-DIGEST?repository_url=REGISTRY (registry default docker.io). */
static bool
docker_purl_is_subject(const struct vg_purl *p, const struct vg_vex_subject *s)
{
    if (!p->version) {
        return false;
    }
    const char *reg = vg_purl_qual(p, "repository_url");
    vg_autofree char *name =
        vg_fmt("%s/%s%s%s", reg ? reg : "docker.io", p->ns ? p->ns : "", p->ns ? "/" : "", p->name);
    if (!same_repository(s, name)) {
        return false;
    }
    return vg_digest_valid(p->version) ? subject_has_digest(s, p->version, false)
                                       : streq(p->version, s->tag);
}

static bool
ref_is_subject(const struct vg_oci_ref *r, const struct vg_vex_subject *s)
{
    vg_autofree char *name = vg_oci_ref_name(r);
    if (!streq(name, s->repository)) {
        return false;
    }
    if (r->digest) {
        return subject_has_digest(s, r->digest, false);
    }
    return streq(r->tag, s->tag);
}

static bool
id_is_subject(const struct vex_id *id, const struct vg_vex_subject *s,
              const struct vg_purl *subject_purl)
{
    switch (id->kind) {
    case VEX_ID_PURL:
        if (strcmp(id->purl.type, "oci") == 0) {
            return oci_purl_is_subject(&id->purl, s);
        }
        if (strcmp(id->purl.type, "docker") == 0) {
            return docker_purl_is_subject(&id->purl, s);
        }
        return subject_purl && purl_covers(&id->purl, subject_purl);
    case VEX_ID_DIGEST:
        return subject_has_digest(s, id->text, true);
    case VEX_ID_REF:
        return ref_is_subject(id->ref, s);
    case VEX_ID_OTHER:
        return false;
    }
    return false;
}

static bool
comp_is_subject(const struct vex_comp *c, const struct vg_vex_subject *s,
                const struct vg_purl *subject_purl)
{
    for (size_t i = 0; s && i < c->nids; i++) {
        if (!id_is_subject(&c->ids[i], s, subject_purl)) {
            return false;
        }
    }
    return s && c->nids > 0;
}

static bool
comp_is_package(const struct vex_comp *c, const struct vg_purl *pkg)
{
    for (size_t i = 0; i < c->nids; i++) {
        const struct vex_id *id = &c->ids[i];
        if (id->kind != VEX_ID_PURL || is_image_purl(&id->purl) || !purl_covers(&id->purl, pkg)) {
            return false;
        }
    }
    return c->nids > 0;
}

static bool
stmt_applies(const struct vex_stmt *st, const struct vg_vex_subject *s,
             const struct vg_purl *subject_purl, const struct vg_purl *pkg)
{
    for (size_t i = 0; i < st->nprods; i++) {
        const struct vex_product *p = &st->prods[i];
        if (p->nsubs == 0) {
            if (comp_is_package(&p->c, pkg) || comp_is_subject(&p->c, s, subject_purl)) {
                return true;
            }
            continue;
        }
        if (!comp_is_subject(&p->c, s, subject_purl)) {
            continue;
        }
        for (size_t k = 0; k < p->nsubs; k++) {
            if (comp_is_package(&p->subs[k], pkg)) {
                return true;
            }
        }
    }
    return false;
}

static const struct vex_key *
key_first(const struct vg_vex *v, const char *vuln)
{
    size_t lo = 0, hi = v->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v->keys[mid].vuln, vuln) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < v->nkeys && strcmp(v->keys[lo].vuln, vuln) == 0 ? &v->keys[lo] : NULL;
}

/* The latest statement (highest index) about `vuln` that applies, or `best`. */
static const struct vex_stmt *
latest_for(const struct vg_vex *v, const char *vuln, const struct vex_stmt *best,
           const struct vg_vex_subject *s, const struct vg_purl *subject_purl,
           const struct vg_purl *pkg)
{
    const struct vex_key *k = vuln ? key_first(v, vuln) : NULL;
    const struct vex_key *end = v->keys + v->nkeys;
    const struct vex_key *last = NULL;
    for (; k && k < end && strcmp(k->vuln, vuln) == 0; k++) {
        last = k;
    }
    /* Walk back from the latest: the first statement that applies is the one that wins. */
    for (const struct vex_key *q = last; q && q >= v->keys && strcmp(q->vuln, vuln) == 0; q--) {
        const struct vex_stmt *st = &v->st[q->stmt];
        if (best && st <= best) {
            break;
        }
        if (stmt_applies(st, s, subject_purl, pkg)) {
            return st;
        }
        if (q == v->keys) {
            break;
        }
    }
    return best;
}

bool
vg_vex_suppresses(const struct vg_vex *v, const struct vg_vex_subject *subject, const char *vuln_id,
                  const char *const *aliases, const char *purl, const char **justification)
{
    if (justification) {
        *justification = NULL;
    }
    if (!v || !purl || v->nkeys == 0) {
        return false;
    }
    struct vg_purl pkg, sp;
    struct vg_err *err = NULL;
    if (vg_purl_parse(&pkg, purl, &err) < 0) {
        vg_err_free(&err);
        return false;
    }
    bool have_sp = subject && subject->purl && vg_purl_parse(&sp, subject->purl, &err) == 0;
    vg_err_free(&err);
    const struct vex_stmt *best = latest_for(v, vuln_id, NULL, subject, have_sp ? &sp : NULL, &pkg);
    for (size_t a = 0; aliases && aliases[a]; a++) {
        best = latest_for(v, aliases[a], best, subject, have_sp ? &sp : NULL, &pkg);
    }
    vg_purl_dispose(&pkg);
    if (have_sp) {
        vg_purl_dispose(&sp);
    }
    bool sup = best && (best->status == VG_VEX_NOT_AFFECTED || best->status == VG_VEX_FIXED);
    if (justification && sup) {
        *justification = best->justification;
    }
    return sup;
}
