/* SPDX-License-Identifier: Apache-2.0
 *
 * Alpine secdb documents (https://secdb.alpinelinux.org/v3.X/main.json): each package lists
 * `secfixes` as {fixed-version: [ids]}. Every (package, id) becomes a pseudo-advisory in
 * ecosystem "Alpine:v3.X" with one ECOSYSTEM range [introduced 0, fixed V], its id being the
 * CVE (or other) id so that severity comes from a record sharing it.
 *
 * Quirks handled: `"packages": null`, a null id list, fixed version "0" (Alpine's marker for
 * "never affected in this release": no advisory), ids followed by commentary ("CVE-1 (x)"),
 * the same id listed under several versions (the lowest wins).
 */
#include "vulndb/vulndb_int.h"

#include <string.h>

bool
vg_secdb_detect(const json_t *root)
{
    return json_is_object(root) && json_object_get(root, "packages") &&
           json_is_string(json_object_get(root, "distroversion"));
}

struct fix {
    char *id;
    const char *version; /* borrowed from the JSON document */
};

static struct vg_str
first_token(const char *s)
{
    struct vg_str t = vg_str_trim(vg_str_c(s));
    for (size_t i = 0; i < t.len; i++) {
        if (t.ptr[i] == ' ' || t.ptr[i] == '\t') {
            t.len = i;
            break;
        }
    }
    return t;
}

static bool
token_ok(struct vg_str t)
{
    if (t.len == 0 || t.len > VULNDB_MAX_ID_BYTES) {
        return false;
    }
    for (size_t i = 0; i < t.len; i++) {
        unsigned char c = (unsigned char)t.ptr[i];
        if (c < 0x21 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

/* Collects the (id, lowest fixed version) pairs of one package. */
static void
collect(struct fix **fixes, size_t *n, json_t *secfixes, secdb_bad_fn bad, void *ctx,
        const char *pkg)
{
    const char *ver;
    json_t *ids;
    json_object_foreach (secfixes, ver, ids) {
        if (strcmp(ver, "0") == 0) {
            continue;
        }
        if (!vg_ver_valid(VG_VER_APK, ver) || strlen(ver) > VULNDB_MAX_VERSION_BYTES) {
            vg_autofree char *e = vg_escape(ver, strlen(ver), 60);
            vg_autofree char *what = vg_fmt("package %s", pkg);
            vg_autofree char *why = vg_fmt("unparsable apk version '%s'", e);
            bad(what, why, ctx);
            continue;
        }
        size_t i;
        json_t *idv;
        json_array_foreach (ids, i, idv) {
            const char *s = json_string_value(idv);
            struct vg_str t = s ? first_token(s) : VG_STR_NULL;
            if (!token_ok(t)) {
                continue;
            }
            size_t j = 0;
            while (j < *n && !vg_str_eq_c(t, (*fixes)[j].id)) {
                j++;
            }
            if (j < *n) {
                if (vg_ver_cmp(VG_VER_APK, ver, (*fixes)[j].version) < 0) {
                    (*fixes)[j].version = ver;
                }
                continue;
            }
            VG_ARRAY_GROW(*fixes, *n, 1);
            (*fixes)[(*n)++] = (struct fix){vg_str_dup(t), ver};
        }
    }
}

static int
emit(const char *eco, const char *repo, const char *pkg, const struct fix *f, secdb_record_fn fn,
     void *ctx, struct vg_err **err)
{
    struct osv_record r = {0};
    vg_buf_init(&r.refs, 1024);
    r.id = vg_strdup(f->id);
    r.uid = vg_fmt("alpine-secdb:%s:%s:%s:%s", eco, repo, pkg, f->id);
    r.affected = vg_calloc(1, sizeof(*r.affected));
    r.n_affected = 1;
    struct osv_affected *a = &r.affected[0];
    a->ecosystem = vg_strdup(eco);
    a->name = vg_strdup(pkg);
    a->ranges = vg_calloc(1, sizeof(*a->ranges));
    a->n_ranges = 1;
    a->ranges[0].type = VG_RANGE_ECOSYSTEM;
    a->ranges[0].events = vg_calloc(2, sizeof(struct vg_ver_event));
    a->ranges[0].n_events = 2;
    a->ranges[0].events[0] = (struct vg_ver_event){VG_EV_INTRODUCED, vg_strdup("0")};
    a->ranges[0].events[1] = (struct vg_ver_event){VG_EV_FIXED, vg_strdup(f->version)};
    int rc = fn(&r, ctx, err);
    vg_osv_record_dispose(&r);
    return rc;
}

int
vg_secdb_parse(const json_t *root, secdb_record_fn fn, secdb_bad_fn bad, void *ctx,
               struct vg_err **err)
{
    const char *dv = vg_json_str(root, "distroversion");
    const char *repo = vg_json_str(root, "reponame");
    if (!dv || !token_ok(vg_str_c(dv))) {
        return vg_err_set(err, VG_E_PARSE, "secdb: missing or bad distroversion");
    }
    vg_autofree char *eco = vg_fmt("Alpine:%s", dv);
    json_t *pkgs = json_object_get(root, "packages");
    if (json_is_null(pkgs)) {
        return 0;
    }
    if (!json_is_array(pkgs)) {
        return vg_err_set(err, VG_E_PARSE, "secdb %s: packages: not an array", dv);
    }
    size_t i;
    json_t *p;
    json_array_foreach (pkgs, i, p) {
        json_t *pkg = vg_json_obj(p, "pkg");
        const char *name = vg_json_str(pkg, "name");
        json_t *secfixes = vg_json_obj(pkg, "secfixes");
        if (!name || !token_ok(vg_str_c(name))) {
            vg_autofree char *what = vg_fmt("packages[%zu]", i);
            bad(what, "missing or bad package name", ctx);
            continue;
        }
        struct fix *fixes = NULL;
        size_t n = 0;
        collect(&fixes, &n, secfixes, bad, ctx, name);
        int rc = 0;
        for (size_t j = 0; j < n; j++) {
            if (rc == 0) {
                rc = emit(eco, repo ? repo : "", name, &fixes[j], fn, ctx, err);
            }
            free(fixes[j].id);
        }
        free(fixes);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}
