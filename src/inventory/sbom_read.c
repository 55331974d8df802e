/* SPDX-License-Identifier: Apache-2.0
 *
 * SBOM reader for rescans (vigil scan --sbom): CycloneDX JSON (components, recursively), SPDX
 * 2.x JSON and SPDX tag-value, as written by vigil, Trivy or Syft, into an inventory. Each
 * format is reduced to one record per component (struct comp) and resolved in one place.
 * The purl is the source of truth for the ecosystem: its type picks the analyzer kind, and
 * for OS packages its distro qualifier (or the document's operating-system component) picks
 * the OSV ecosystem. OS advisories are keyed by source package, so the source name and
 * version are read from whichever tool wrote them: vigil's `vigil:package:src_*` and Trivy's
 * `aquasecurity:trivy:Src{Name,Version,Release,Epoch}` properties, Syft's `upstream=` purl
 * qualifier and `syft:metadata:{source,sourceVersion,originPackage,sourceRpm}` properties,
 * SPDX `sourceInfo: built package from: NAME VERSION`. Epochs come from the `epoch`
 * qualifier or the version itself. Components without a usable purl are skipped: they cannot
 * be matched.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "inventory/inventory_int.h"

#define SBOM_MAX_BYTES (256u * 1024u * 1024u)
#define SBOM_MAX_DEPTH 32u

static const struct {
    const char *type, *kind;
} purl_kinds[] = {
    {"deb", "dpkg"},    {"apk", "apk"},           {"rpm", "rpm"},   {"npm", "node"},
    {"pypi", "python"}, {"golang", "gobinary"},   {"maven", "jar"}, {"cargo", "cargo"},
    {"gem", "gemspec"}, {"composer", "composer"},
};

/* distro qualifier -> OS info: "debian-12", "ubuntu-22.04", "3.19.1" (apk), "redhat-9". */
/* One component, whatever the format; every pointer is borrowed from the document. */
struct comp {
    const char *purl, *name, *version;
    const char *src_name, *src_version, *src_release, *src_epoch; /* vigil / Trivy */
    const char *syft_source, *syft_source_version, *syft_origin, *syft_source_rpm;
    const char *source_info; /* SPDX sourceInfo */
};

/* distro qualifier -> OS info: "debian-12", "ubuntu-22.04", "3.19.1" (apk), "redhat-9". */
static void
os_from_distro(struct vg_os_info *os, const struct vg_purl *p)
{
    const char *d = vg_purl_qual(p, "distro");
    if (!d) {
        return;
    }
    const char *dash = strrchr(d, '-');
    if (strcmp(p->type, "apk") == 0 && !dash) {
        os->family = vg_strdup(p->ns && strcmp(p->ns, "alpine") != 0 ? p->ns : "alpine");
        os->version = vg_strdup(d);
        return;
    }
    if (!dash) {
        return;
    }
    vg_autofree char *fam = vg_strndup(d, (size_t)(dash - d));
    for (char *c = fam; *c; c++) {
        *c = (char)tolower((unsigned char)*c);
    }
    static const char *const alias[][2] = {{"redhat", "rhel"}, {"almalinux", "alma"}};
    const char *f = fam;
    for (size_t i = 0; i < VG_ARRAY_LEN(alias); i++) {
        if (strcmp(alias[i][0], fam) == 0) {
            f = alias[i][1];
        }
    }
    os->family = vg_strdup(f);
    os->version = vg_strdup(dash + 1);
}

static bool
has_epoch(const char *v)
{
    size_t n = strspn(v, "0123456789");
    return n > 0 && v[n] == ':';
}

/* "2.36-9+b1" -> "2.36-9": a binNMU rebuilds the binary, the source version stays. */
static char *
strip_binnmu(const char *v)
{
    const char *b = strstr(v, "+b");
    if (b && b[2] != '\0' && strspn(b + 2, "0123456789") == strlen(b + 2)) {
        return vg_strndup(v, (size_t)(b - v));
    }
    return vg_strdup(v);
}

/* "bash-5.1.8-6.el9.src.rpm" -> name "bash", version "5.1.8-6.el9". */
static void
rpm_source(struct vg_pkg *k, const char *srpm)
{
    size_t n = strlen(srpm);
    if (vg_cstr_endswith(srpm, ".src.rpm")) {
        n -= 8;
    } else if (vg_cstr_endswith(srpm, ".nosrc.rpm")) {
        n -= 10;
    }
    const char *rel = memrchr(srpm, '-', n);
    const char *ver = rel ? memrchr(srpm, '-', (size_t)(rel - srpm)) : NULL;
    if (!ver || ver == srpm) {
        return;
    }
    k->src_name = vg_strndup(srpm, (size_t)(ver - srpm));
    k->src_version = vg_strndup(ver + 1, n - (size_t)(ver + 1 - srpm));
}

/* Source package of an OS package, from the first tool-specific hint present. */
static void
set_source(struct vg_pkg *k, const struct comp *c, const struct vg_purl *p)
{
    const char *up = vg_purl_qual(p, "upstream");
    if (c->src_name && *c->src_name) {
        k->src_name = vg_strdup(c->src_name);
        if (c->src_version && *c->src_version) {
            bool ep = c->src_epoch && *c->src_epoch && strcmp(c->src_epoch, "0") != 0 &&
                      !has_epoch(c->src_version);
            k->src_version = vg_fmt("%s%s%s%s%s", ep ? c->src_epoch : "", ep ? ":" : "",
                                    c->src_version, c->src_release && *c->src_release ? "-" : "",
                                    c->src_release ? c->src_release : "");
        }
    } else if (strcmp(k->kind, "rpm") == 0 && (c->syft_source_rpm || up)) {
        rpm_source(k, c->syft_source_rpm ? c->syft_source_rpm : up);
    } else if (c->syft_source && *c->syft_source) {
        k->src_name = vg_strdup(c->syft_source);
        k->src_version = vg_strdup(c->syft_source_version);
    } else if (c->syft_origin && *c->syft_origin) {
        k->src_name = vg_strdup(c->syft_origin);
    } else if (up && *up) {
        const char *at = strchr(up, '@'); /* Syft: "glibc" or "glibc@2.36-9" */
        k->src_name = at ? vg_strndup(up, (size_t)(at - up)) : vg_strdup(up);
        k->src_version = at && at[1] ? vg_strdup(at + 1) : NULL;
    } else if (c->source_info && vg_cstr_startswith(c->source_info, "built package from: ")) {
        const char *v = c->source_info + strlen("built package from: ");
        const char *sp = strchr(v, ' ');
        k->src_name = sp ? vg_strndup(v, (size_t)(sp - v)) : vg_strdup(v);
        k->src_version = sp && sp[1] ? vg_strdup(sp + 1) : NULL;
    }
    if (k->src_name && !*k->src_name) {
        free(k->src_name);
        k->src_name = NULL;
    }
    if (!k->src_name && strcmp(k->kind, "dpkg") == 0) {
        k->src_name = vg_strdup(k->name); /* dpkg's rule when Source: is absent */
    }
    if (k->src_name && !k->src_version && k->version && strcmp(k->kind, "dpkg") == 0) {
        k->src_version = strip_binnmu(k->version);
    }
}

static int
add_comp(struct vg_pkg_list *out, struct vg_os_info *docos, const struct comp *c,
         struct vg_err **err)
{
    struct vg_purl p;
    struct vg_err *perr = NULL;
    if (!c->purl || vg_purl_parse(&p, c->purl, &perr) < 0) {
        vg_err_free(&perr);
        return 0;
    }
    const char *kind = NULL;
    for (size_t i = 0; i < VG_ARRAY_LEN(purl_kinds); i++) {
        if (strcmp(purl_kinds[i].type, p.type) == 0) {
            kind = purl_kinds[i].kind;
        }
    }
    const char *v = p.version ? p.version : c->version;
    if (!kind || !v || !*v) {
        vg_purl_dispose(&p);
        return 0;
    }
    struct vg_pkg *k = vg_pkg_list_add(out, err);
    if (!k) {
        vg_purl_dispose(&p);
        return -1;
    }
    bool os = strcmp(kind, "dpkg") == 0 || strcmp(kind, "apk") == 0 || strcmp(kind, "rpm") == 0;
    k->type = os ? VG_PKG_OS : VG_PKG_LIBRARY;
    k->kind = vg_strdup(kind);
    if (strcmp(kind, "jar") == 0 && p.ns) {
        k->name = vg_fmt("%s:%s", p.ns, p.name);
    } else if (p.ns && (strcmp(kind, "node") == 0 || strcmp(kind, "gobinary") == 0 ||
                        strcmp(kind, "composer") == 0)) {
        k->name = vg_fmt("%s/%s", p.ns, p.name);
    } else {
        k->name = vg_strdup(p.name);
    }
    const char *epoch = vg_purl_qual(&p, "epoch");
    bool ep = os && epoch && *epoch && strcmp(epoch, "0") != 0 && !has_epoch(v);
    k->version = ep ? vg_fmt("%s:%s", epoch, v) : vg_strdup(v);
    k->arch = vg_strdup(vg_purl_qual(&p, "arch"));
    k->purl = vg_strdup(c->purl);
    if (os) {
        set_source(k, c, &p);
        struct vg_os_info pos = {0};
        os_from_distro(&pos, &p);
        const struct vg_os_info *use = pos.family ? &pos : docos;
        k->ecosystem = vg_inv_os_ecosystem(use);
        if (!docos->family && pos.family) {
            /* docos may hold a version from a nameless OS component: replace it whole. */
            vg_os_info_dispose(docos);
            vg_os_info_copy(docos, &pos);
        }
        vg_os_info_dispose(&pos);
    }
    if (!k->ecosystem) {
        vg_inv_pkg_finalize(k, docos);
        free(k->purl);
        k->purl = vg_strdup(c->purl);
    }
    vg_purl_dispose(&p);
    return 0;
}

/* CycloneDX `properties` (JSON: [{name, value}]) into the comp's hint fields. */
static void
comp_prop(struct comp *c, const char *name, const char *value)
{
    static const struct {
        const char *name;
        size_t off;
    } map[] = {
        {"vigil:package:src_name", offsetof(struct comp, src_name)},
        {"vigil:package:src_version", offsetof(struct comp, src_version)},
        {"aquasecurity:trivy:SrcName", offsetof(struct comp, src_name)},
        {"aquasecurity:trivy:SrcVersion", offsetof(struct comp, src_version)},
        {"aquasecurity:trivy:SrcRelease", offsetof(struct comp, src_release)},
        {"aquasecurity:trivy:SrcEpoch", offsetof(struct comp, src_epoch)},
        {"syft:metadata:source", offsetof(struct comp, syft_source)},
        {"syft:metadata:sourceVersion", offsetof(struct comp, syft_source_version)},
        {"syft:metadata:originPackage", offsetof(struct comp, syft_origin)},
        {"syft:metadata:sourceRpm", offsetof(struct comp, syft_source_rpm)},
    };
    for (size_t i = 0; name && value && i < VG_ARRAY_LEN(map); i++) {
        if (strcmp(name, map[i].name) == 0) {
            *(const char **)(void *)((char *)c + map[i].off) = value;
        }
    }
}

static int
cdx_components(struct vg_pkg_list *out, struct vg_os_info *os, const json_t *arr, unsigned depth,
               struct vg_err **err)
{
    if (depth > SBOM_MAX_DEPTH) {
        return vg_err_set(err, VG_E_LIMIT, "CycloneDX components nested deeper than %u",
                          SBOM_MAX_DEPTH);
    }
    size_t i;
    json_t *c;
    json_array_foreach (arr, i, c) {
        const char *type = vg_json_str(c, "type");
        if (type && strcmp(type, "operating-system") == 0 && !os->family) {
            vg_os_info_dispose(os);
            os->family = vg_strdup(vg_json_str(c, "name"));
            os->version = vg_strdup(vg_json_str(c, "version"));
            continue;
        }
        struct comp k = {.purl = vg_json_str(c, "purl"),
                         .name = vg_json_str(c, "name"),
                         .version = vg_json_str(c, "version")};
        size_t pi;
        json_t *pr;
        json_array_foreach (vg_json_arr(c, "properties"), pi, pr) {
            comp_prop(&k, vg_json_str(pr, "name"), vg_json_str(pr, "value"));
        }
        if (add_comp(out, os, &k, err) < 0 ||
            cdx_components(out, os, vg_json_arr(c, "components"), depth + 1, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static const char *
spdx_purl(const json_t *pkg)
{
    size_t i;
    json_t *r;
    json_array_foreach (vg_json_arr(pkg, "externalRefs"), i, r) {
        const char *t = vg_json_str(r, "referenceType");
        if (t && strcmp(t, "purl") == 0) {
            return vg_json_str(r, "referenceLocator");
        }
    }
    return NULL;
}

/* The purl of what the document describes: CycloneDX metadata.component, or the SPDX package
 * named by documentDescribes (or a DESCRIBES relationship of the document). */
static const char *
subject_purl(const json_t *j)
{
    const json_t *meta = vg_json_obj(vg_json_obj(j, "metadata"), "component");
    if (meta) {
        return vg_json_str(meta, "purl");
    }
    const json_t *desc = vg_json_arr(j, "documentDescribes");
    const char *id = json_string_value(json_array_get(desc, 0));
    size_t i;
    json_t *r;
    json_array_foreach (vg_json_arr(j, "relationships"), i, r) {
        const char *t = vg_json_str(r, "relationshipType");
        const char *from = vg_json_str(r, "spdxElementId");
        if (!id && t && from && strcmp(t, "DESCRIBES") == 0 &&
            strcmp(from, "SPDXRef-DOCUMENT") == 0) {
            id = vg_json_str(r, "relatedSpdxElement");
        }
    }
    json_t *p;
    json_array_foreach (vg_json_arr(j, "packages"), i, p) {
        const char *pid = vg_json_str(p, "SPDXID");
        if (id && pid && strcmp(id, pid) == 0) {
            return spdx_purl(p);
        }
    }
    return NULL;
}

int
vg_sbom_read(struct vg_inventory **out, const void *data, size_t len, struct vg_err **err)
{
    vg_autojson json_t *j = NULL;
    if (vg_json_parse(&j, data, len, SBOM_MAX_BYTES, "SBOM", err) < 0) {
        return -1;
    }
    struct vg_pkg_list l = {0};
    struct vg_os_info os = {0};
    int rc = 0;
    if (vg_json_str(j, "bomFormat") && strcmp(vg_json_str(j, "bomFormat"), "CycloneDX") == 0) {
        rc = cdx_components(&l, &os, vg_json_arr(j, "components"), 0, err);
    } else if (vg_json_str(j, "spdxVersion")) {
        size_t i;
        json_t *p;
        json_array_foreach (vg_json_arr(j, "packages"), i, p) {
            const char *purpose = vg_json_str(p, "primaryPackagePurpose");
            if (purpose &&
                (strcmp(purpose, "OPERATING_SYSTEM") == 0 ||
                 strcmp(purpose, "OPERATING-SYSTEM") == 0) &&
                !spdx_purl(p) && !os.family) {
                os.family = vg_strdup(vg_json_str(p, "name"));
                os.version = vg_strdup(vg_json_str(p, "versionInfo"));
                continue;
            }
            struct comp k = {.purl = spdx_purl(p),
                             .name = vg_json_str(p, "name"),
                             .version = vg_json_str(p, "versionInfo"),
                             .source_info = vg_json_str(p, "sourceInfo")};
            if ((rc = add_comp(&l, &os, &k, err)) < 0) {
                break;
            }
        }
    } else {
        rc = vg_err_set(err, VG_E_UNSUPPORTED, "SBOM: neither CycloneDX nor SPDX JSON");
    }
    if (rc < 0) {
        vg_pkg_list_dispose(&l);
        vg_os_info_dispose(&os);
        return rc;
    }
    struct vg_inventory *inv = vg_calloc(1, sizeof(*inv));
    inv->subject_purl = vg_strdup(subject_purl(j));
    inv->os = os;
    inv->pkgs = l.v;
    inv->npkgs = l.n;
    *out = inv;
    return 0;
}
