/* SPDX-License-Identifier: Apache-2.0
 *
 * SBOM reader for rescans (vigil scan --sbom): CycloneDX 1.x JSON and XML (components,
 * recursively), SPDX 2.x JSON and tag-value, as written by vigil, Trivy or Syft, into an inventory.
 * Each format is reduced to one record per component (struct comp) and resolved in one place. The
 * purl is the source of truth for the ecosystem: its type picks the analyzer kind, and for OS
 * packages its distro qualifier (or the document's operating-system component) picks the OSV
 * ecosystem. OS advisories are keyed by source package, so the source name and version are read
 * from whichever tool wrote them: vigil's `vigil:package:src_*` and Trivy's
 * `aquasecurity:trivy:Src{Name,Version,Release,Epoch}` properties, Syft's `upstream=` purl
 * qualifier and `syft:metadata:{source,sourceVersion,originPackage,sourceRpm}` properties,
 * SPDX `sourceInfo: built package from: NAME VERSION`. Epochs come from the `epoch`
 * qualifier or the version itself. Components without a usable purl are skipped: they cannot
 * be matched.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

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

/* ---------------------------------------------------------------- SPDX tag-value */

#define TV_MAX_LINE (64u * 1024u)

/* One package's fields, owned (lines are not NUL-terminated). */
struct tv_pkg {
    char *id, *name, *version, *purl, *source_info, *purpose;
    size_t line;
};

static void
tv_pkg_dispose(struct tv_pkg *t)
{
    free(t->id);
    free(t->name);
    free(t->version);
    free(t->purl);
    free(t->source_info);
    free(t->purpose);
    memset(t, 0, sizeof(*t));
}

static int
tv_flush(struct vg_pkg_list *out, struct vg_os_info *os, struct tv_pkg *t, const char *describes,
         char **subject, struct vg_err **err)
{
    int rc = 0;
    if (t->name && t->purpose && strcmp(t->purpose, "OPERATING-SYSTEM") == 0 && !t->purl &&
        !os->family) {
        vg_os_info_dispose(os);
        os->family = vg_strdup(t->name);
        os->version = vg_strdup(t->version);
    } else if (t->name) {
        struct comp k = {
            .purl = t->purl, .name = t->name, .version = t->version, .source_info = t->source_info};
        rc = add_comp(out, os, &k, err);
        if (rc < 0) {
            vg_err_wrap(err, "SPDX package at line %zu", t->line);
        }
    }
    if (describes && t->id && t->purl && strcmp(describes, t->id) == 0 && !*subject) {
        *subject = vg_strdup(t->purl);
    }
    tv_pkg_dispose(t);
    return rc;
}

static void
tv_set(char **dst, struct vg_str v)
{
    free(*dst);
    *dst = vg_str_dup(v);
}

/* "ExternalRef: PACKAGE-MANAGER purl pkg:..." -> the locator when the type is purl. */
static bool
tv_purl(struct vg_str v, struct vg_str *loc)
{
    struct vg_str cat, rest, type;
    if (!vg_str_cut(v, ' ', &cat, &rest) || !vg_str_cut(vg_str_trim(rest), ' ', &type, loc)) {
        return false;
    }
    *loc = vg_str_trim(*loc);
    return vg_str_eq_c(type, "purl") && loc->len;
}

/* SPDX 2.x tag-value (spec clause 5 / annex): `Tag: value` lines, multi-line values inside
 * <text>...</text>, packages introduced by PackageName. */
int
vg_inv_sbom_read_spdx_tv(struct vg_inventory **out, const void *data, size_t len,
                         struct vg_err **err)
{
    struct vg_reader r;
    vg_reader_init(&r, data, len);
    struct vg_pkg_list l = {0};
    struct vg_os_info os = {0};
    struct tv_pkg t = {0};
    vg_autofree char *describes = NULL;
    char *subject = NULL;
    struct vg_str line;
    size_t lineno = 0;
    bool in_pkg = false, in_text = false;
    int rc;
    /* Relationships may come after the packages: read them in a first pass. */
    while ((rc = vg_reader_text_line(&r, TV_MAX_LINE, &line, err)) > 0) {
        struct vg_str tag, v, from, rest, rel, to;
        if (vg_str_cut(line, ':', &tag, &v) && vg_str_eq_c(vg_str_trim(tag), "Relationship") &&
            vg_str_cut(vg_str_trim(v), ' ', &from, &rest) &&
            vg_str_cut(vg_str_trim(rest), ' ', &rel, &to) &&
            vg_str_eq_c(from, "SPDXRef-DOCUMENT") && vg_str_eq_c(rel, "DESCRIBES") && !describes) {
            describes = vg_str_dup(vg_str_trim(to));
        }
    }
    vg_reader_init(&r, data, len);
    while (rc >= 0 && (rc = vg_reader_text_line(&r, TV_MAX_LINE, &line, err)) > 0) {
        lineno++;
        if (in_text) {
            in_text = !memmem(line.ptr, line.len, "</text>", 7);
            continue;
        }
        struct vg_str tag, v;
        if (!line.len || line.ptr[0] == '#' || !vg_str_cut(line, ':', &tag, &v)) {
            continue;
        }
        tag = vg_str_trim(tag);
        v = vg_str_trim(v);
        if (vg_str_startswith(v, "<text>")) {
            in_text = !memmem(v.ptr, v.len, "</text>", 7);
            v = (struct vg_str){v.ptr + 6, v.len - 6};
            const char *end = memmem(v.ptr, v.len, "</text>", 7);
            v.len = end ? (size_t)(end - v.ptr) : v.len;
        }
        if (vg_str_eq_c(tag, "PackageName") || vg_str_eq_c(tag, "FileName") ||
            vg_str_eq_c(tag, "SnippetSPDXID") || vg_str_eq_c(tag, "LicenseID")) {
            if (in_pkg && (rc = tv_flush(&l, &os, &t, describes, &subject, err)) < 0) {
                break;
            }
            in_pkg = vg_str_eq_c(tag, "PackageName");
            if (in_pkg) {
                tv_set(&t.name, v);
                t.line = lineno;
            }
        } else if (!in_pkg) {
            continue;
        } else if (vg_str_eq_c(tag, "SPDXID")) {
            tv_set(&t.id, v);
        } else if (vg_str_eq_c(tag, "PackageVersion")) {
            tv_set(&t.version, v);
        } else if (vg_str_eq_c(tag, "PackageSourceInfo")) {
            tv_set(&t.source_info, v);
        } else if (vg_str_eq_c(tag, "PrimaryPackagePurpose")) {
            tv_set(&t.purpose, v);
        } else if (vg_str_eq_c(tag, "ExternalRef")) {
            struct vg_str loc;
            if (tv_purl(v, &loc) && !t.purl) {
                tv_set(&t.purl, loc);
            }
        }
    }
    if (rc >= 0 && in_pkg) {
        rc = tv_flush(&l, &os, &t, describes, &subject, err);
    }
    tv_pkg_dispose(&t);
    if (rc < 0) {
        vg_pkg_list_dispose(&l);
        vg_os_info_dispose(&os);
        free(subject);
        return vg_err_wrap(err, "SPDX tag-value line %zu", lineno);
    }
    struct vg_inventory *inv = vg_calloc(1, sizeof(*inv));
    inv->subject_purl = subject;
    inv->os = os;
    inv->pkgs = l.v;
    inv->npkgs = l.n;
    *out = inv;
    return 0;
}

/* ---------------------------------------------------------------- CycloneDX XML */

static bool
xml_is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

static const xmlNode *
xml_child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next) {
        if (xml_is(c, name)) {
            return c;
        }
    }
    return NULL;
}

/* Text content of an element, NULL without one; freed with xmlFree. */
static char *
xml_text(const xmlNode *n)
{
    return n ? (char *)xmlNodeGetContent(n) : NULL;
}

static int
xml_components(struct vg_pkg_list *out, struct vg_os_info *os, const xmlNode *list, unsigned depth,
               struct vg_err **err)
{
    if (depth > SBOM_MAX_DEPTH) {
        return vg_err_set(err, VG_E_LIMIT, "CycloneDX components nested deeper than %u",
                          SBOM_MAX_DEPTH);
    }
    for (const xmlNode *c = list ? list->children : NULL; c; c = c->next) {
        if (!xml_is(c, "component")) {
            continue;
        }
        xmlChar *type = xmlGetProp(c, (const xmlChar *)"type");
        char *name = xml_text(xml_child(c, "name"));
        char *version = xml_text(xml_child(c, "version"));
        char *purl = xml_text(xml_child(c, "purl"));
        int rc = 0;
        if (type && xmlStrcmp(type, (const xmlChar *)"operating-system") == 0 && !os->family) {
            vg_os_info_dispose(os);
            os->family = vg_strdup(name);
            os->version = vg_strdup(version);
        } else {
            struct comp k = {.purl = purl, .name = name, .version = version};
            /* Property values stay alive in `vals` until the component is resolved. */
            xmlChar *vals[64];
            size_t nvals = 0;
            const xmlNode *props = xml_child(c, "properties");
            for (const xmlNode *p = props ? props->children : NULL; p && nvals < 64; p = p->next) {
                if (!xml_is(p, "property")) {
                    continue;
                }
                xmlChar *pn = xmlGetProp(p, (const xmlChar *)"name");
                xmlChar *pv = xmlNodeGetContent(p);
                vals[nvals++] = pv;
                comp_prop(&k, (const char *)pn, (const char *)pv);
                xmlFree(pn);
            }
            rc = add_comp(out, os, &k, err);
            for (size_t i = 0; i < nvals; i++) {
                xmlFree(vals[i]);
            }
            if (rc == 0) {
                rc = xml_components(out, os, xml_child(c, "components"), depth + 1, err);
            }
        }
        xmlFree(type);
        xmlFree(name);
        xmlFree(version);
        xmlFree(purl);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

/* CycloneDX 1.x XML. No network, no DTD: a document with one is refused, so entity
 * expansion (billion laughs, external entities) never happens. libxml2's default limits
 * (depth, text node size) stay on. */
int
vg_inv_sbom_read_cdx_xml(struct vg_inventory **out, const void *data, size_t len,
                         struct vg_err **err)
{
    if (len > SBOM_MAX_BYTES || len > INT32_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "SBOM larger than %u bytes", SBOM_MAX_BYTES);
    }
    xmlDoc *doc = xmlReadMemory(data, (int)len, "sbom.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        return vg_err_set(err, VG_E_PARSE, "CycloneDX XML: line %d: malformed", e ? e->line : 0);
    }
    const xmlNode *root = xmlDocGetRootElement(doc);
    int rc = 0;
    if (doc->intSubset || doc->extSubset) {
        rc = vg_err_set(err, VG_E_PARSE, "CycloneDX XML: a DTD is not allowed");
    } else if (!xml_is(root, "bom") || !root->ns ||
               xmlStrncmp(root->ns->href, (const xmlChar *)"http://cyclonedx.org/schema/bom/",
                          32) != 0) {
        rc = vg_err_set(err, VG_E_UNSUPPORTED, "XML SBOM: not a CycloneDX bom");
    }
    struct vg_pkg_list l = {0};
    struct vg_os_info os = {0};
    if (rc == 0) {
        rc = xml_components(&l, &os, xml_child(root, "components"), 0, err);
    }
    char *subject = NULL;
    if (rc == 0) {
        char *p = xml_text(xml_child(xml_child(xml_child(root, "metadata"), "component"), "purl"));
        subject = vg_strdup(p);
        xmlFree(p);
    }
    xmlFreeDoc(doc);
    if (rc < 0) {
        vg_pkg_list_dispose(&l);
        vg_os_info_dispose(&os);
        return rc;
    }
    struct vg_inventory *inv = vg_calloc(1, sizeof(*inv));
    inv->subject_purl = subject;
    inv->os = os;
    inv->pkgs = l.v;
    inv->npkgs = l.n;
    *out = inv;
    return 0;
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
    size_t ws = 0;
    const char *c = data;
    while (ws < len && ws < 4096 &&
           (c[ws] == ' ' || c[ws] == '\t' || c[ws] == '\r' || c[ws] == '\n' ||
            (unsigned char)c[ws] == 0xef || (unsigned char)c[ws] == 0xbb ||
            (unsigned char)c[ws] == 0xbf)) {
        ws++;
    }
    if (ws < len && (c[ws] == '#' || (len - ws >= 12 && memcmp(c + ws, "SPDXVersion:", 12) == 0))) {
        if (len > SBOM_MAX_BYTES) {
            return vg_err_set(err, VG_E_LIMIT, "SBOM larger than %u bytes", SBOM_MAX_BYTES);
        }
        return vg_inv_sbom_read_spdx_tv(out, data, len, err);
    }
    if (ws < len && c[ws] == '<') {
        return vg_inv_sbom_read_cdx_xml(out, data, len, err);
    }
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
        rc = vg_err_set(err, VG_E_UNSUPPORTED,
                        "SBOM: neither CycloneDX (JSON, XML) nor SPDX (JSON, tag-value)");
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
