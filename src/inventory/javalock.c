/* SPDX-License-Identifier: Apache-2.0
 *
 * Java build files of a source tree (`vigil fs`):
 *   - pom.xml without resolution (no repository is contacted, no parent POM is read): the
 *     project itself and its direct <dependencies> whose version is known from the file —
 *     literal, `${property}` from its <properties>, `${project.version}` / `${project.groupId}`
 *     (falling back to <parent>'s), or the file's own <dependencyManagement>. Test-scoped
 *     dependencies are left out, as Trivy does. Kind "pom", names "groupId:artifactId".
 *   - Gradle dependency locks (gradle.lockfile, and `*.lockfile` under gradle/dependency-locks):
 *     "group:artifact:version=configurations" lines; `empty=` and comments skipped. Kind
 *     "gradle".
 * The POM goes through libxml2 with no network and a DTD refused (no entity expansion); its
 * size is bounded by VG_INV_MAX_JSON_BYTES like the other manifests.
 */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "inventory/inventory_int.h"

#define JV_MAX_FIELD     512u
#define POM_MAX_PROPS    10000u
#define POM_PROP_ROUNDS  8u /* ${a} -> ${b} -> ... */
#define POM_MAX_EXPANDED 4096u

static int
jv_add(struct vg_pkg_list *out, struct vg_inv_strset *seen, const char *kind, const char *path,
       struct vg_str name, struct vg_str ver, struct vg_err **err)
{
    if (!name.len || !ver.len || name.len > JV_MAX_FIELD || ver.len > JV_MAX_FIELD ||
        !vg_inv_strset_add(seen, name, ver)) {
        return 0;
    }
    struct vg_pkg *p = vg_pkg_list_add(out, err);
    if (!p) {
        return -1;
    }
    p->type = VG_PKG_LIBRARY;
    p->kind = vg_strdup(kind);
    p->name = vg_str_dup(name);
    p->version = vg_str_dup(ver);
    p->path = vg_strdup(path);
    return 0;
}

/* ---------------------------------------------------------------- gradle */

int
vg_inv_parse_gradle_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                         struct vg_err **err)
{
    VG_CLEANUP(vg_inv_strset_dispose) struct vg_inv_strset seen = {0};
    size_t start = out->n;
    struct vg_reader r;
    struct vg_str line;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_text_line(&r, VG_LIMIT_LINE_BYTES, &line, err)) > 0) {
        line = vg_str_trim(line);
        struct vg_str coord, confs;
        if (!line.len || line.ptr[0] == '#' || !vg_str_cut(line, '=', &coord, &confs)) {
            continue;
        }
        struct vg_str group, rest, artifact, ver;
        if (!vg_str_cut(coord, ':', &group, &rest) || !vg_str_cut(rest, ':', &artifact, &ver) ||
            !group.len || !artifact.len || memchr(ver.ptr, ':', ver.len)) {
            continue;
        }
        vg_autofree char *name =
            vg_fmt("%.*s:%.*s", (int)group.len, group.ptr, (int)artifact.len, artifact.ptr);
        if (jv_add(out, &seen, "gradle", path, vg_str_c(name), ver, err) < 0) {
            rc = -1;
            break;
        }
    }
    if (rc < 0) {
        vg_pkg_list_truncate(out, start);
        return vg_err_wrap(err, "%s", path);
    }
    return 0;
}

/* ---------------------------------------------------------------- pom.xml */

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

/* Trimmed text of the child element `name`, or NULL (caller frees). */
static char *
child_text(const xmlNode *n, const char *name)
{
    const xmlNode *c = xml_child(n, name);
    xmlChar *t = c ? xmlNodeGetContent(c) : NULL;
    if (!t) {
        return NULL;
    }
    struct vg_str s = vg_str_trim(vg_str_c((const char *)t));
    char *r = s.len && s.len <= JV_MAX_FIELD ? vg_str_dup(s) : NULL;
    xmlFree(t);
    return r;
}

struct pom {
    char **keys, **vals;
    size_t n;
    char *group, *artifact, *version;
    const xmlNode *mgmt; /* dependencyManagement/dependencies */
};

static const char *
pom_prop(const struct pom *p, struct vg_str key)
{
    if (vg_str_eq_c(key, "project.version") || vg_str_eq_c(key, "pom.version") ||
        vg_str_eq_c(key, "version")) {
        return p->version;
    }
    if (vg_str_eq_c(key, "project.groupId") || vg_str_eq_c(key, "pom.groupId")) {
        return p->group;
    }
    if (vg_str_eq_c(key, "project.artifactId")) {
        return p->artifact;
    }
    for (size_t i = 0; i < p->n; i++) {
        if (vg_str_eq_c(key, p->keys[i])) {
            return p->vals[i];
        }
    }
    return NULL;
}

/* Expands ${...} references; NULL when one is unknown (the version is then not known). */
static char *
pom_expand(const struct pom *p, const char *s)
{
    vg_autofree char *cur = vg_strdup(s);
    for (unsigned round = 0; round < POM_PROP_ROUNDS; round++) {
        const char *open = strstr(cur, "${");
        if (!open) {
            return vg_steal_ptr(&cur);
        }
        const char *close = strchr(open, '}');
        if (!close) {
            return NULL;
        }
        const char *v = pom_prop(p, (struct vg_str){open + 2, (size_t)(close - open - 2)});
        if (!v) {
            return NULL;
        }
        char *next = vg_fmt("%.*s%s%s", (int)(open - cur), cur, v, close + 1);
        free(cur);
        cur = next;
        if (strlen(cur) > POM_MAX_EXPANDED) {
            return NULL;
        }
    }
    return strstr(cur, "${") ? NULL : vg_steal_ptr(&cur);
}

static void
pom_dispose(struct pom *p)
{
    vg_strv_free(p->keys, p->n);
    vg_strv_free(p->vals, p->n);
    free(p->group);
    free(p->artifact);
    free(p->version);
}

static int
pom_props(struct pom *p, const xmlNode *project, const char *path, struct vg_err **err)
{
    const xmlNode *parent = xml_child(project, "parent");
    p->group = child_text(project, "groupId");
    p->artifact = child_text(project, "artifactId");
    p->version = child_text(project, "version");
    if (!p->group) {
        p->group = child_text(parent, "groupId");
    }
    if (!p->version) {
        p->version = child_text(parent, "version");
    }
    size_t cap = 0;
    const xmlNode *props = xml_child(project, "properties");
    for (const xmlNode *c = props ? props->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (p->n >= POM_MAX_PROPS) {
            return vg_err_set(err, VG_E_LIMIT, "%s: more than %u properties", path, POM_MAX_PROPS);
        }
        xmlChar *t = xmlNodeGetContent(c);
        struct vg_str v = vg_str_trim(vg_str_c(t ? (const char *)t : ""));
        p->keys = vg_vec_grow(p->keys, &cap, p->n, 1, sizeof(char *));
        p->vals = vg_reallocarray(p->vals, cap, sizeof(char *));
        p->keys[p->n] = vg_strdup((const char *)c->name);
        p->vals[p->n] = v.len <= JV_MAX_FIELD ? vg_str_dup(v) : vg_strdup("");
        p->n++;
        xmlFree(t);
    }
    p->mgmt = xml_child(xml_child(project, "dependencyManagement"), "dependencies");
    return 0;
}

/* The version <dependencyManagement> gives group:artifact, or NULL. */
static char *
managed_version(const struct pom *p, const char *g, const char *a)
{
    for (const xmlNode *d = p->mgmt ? p->mgmt->children : NULL; d; d = d->next) {
        if (!xml_is(d, "dependency")) {
            continue;
        }
        vg_autofree char *mg = child_text(d, "groupId");
        vg_autofree char *ma = child_text(d, "artifactId");
        vg_autofree char *eg = mg ? pom_expand(p, mg) : NULL;
        if (eg && ma && strcmp(eg, g) == 0 && strcmp(ma, a) == 0) {
            vg_autofree char *v = child_text(d, "version");
            return v ? pom_expand(p, v) : NULL;
        }
    }
    return NULL;
}

static int
pom_dep(struct vg_pkg_list *out, struct vg_inv_strset *seen, const char *path, const struct pom *p,
        const xmlNode *d, struct vg_err **err)
{
    vg_autofree char *scope = child_text(d, "scope");
    if (scope && strcmp(scope, "test") == 0) {
        return 0;
    }
    vg_autofree char *g0 = child_text(d, "groupId");
    vg_autofree char *a0 = child_text(d, "artifactId");
    vg_autofree char *v0 = child_text(d, "version");
    vg_autofree char *g = g0 ? pom_expand(p, g0) : NULL;
    vg_autofree char *a = a0 ? pom_expand(p, a0) : NULL;
    if (!g || !a) {
        return 0;
    }
    vg_autofree char *v = v0 ? pom_expand(p, v0) : managed_version(p, g, a);
    if (!v) {
        return 0; /* the version comes from a parent or a BOM: unknown without resolution */
    }
    vg_autofree char *name = vg_fmt("%s:%s", g, a);
    return jv_add(out, seen, "pom", path, vg_str_c(name), vg_str_c(v), err);
}

int
vg_inv_parse_pom(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                 struct vg_err **err)
{
    if (len > VG_INV_MAX_JSON_BYTES) {
        return vg_err_set(err, VG_E_LIMIT, "%s: larger than %u bytes", path, VG_INV_MAX_JSON_BYTES);
    }
    xmlDoc *doc = xmlReadMemory((const char *)data, (int)len, "pom.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        return vg_err_set(err, VG_E_PARSE, "%s: line %d: malformed XML", path, e ? e->line : 0);
    }
    const xmlNode *root = xmlDocGetRootElement(doc);
    VG_CLEANUP(vg_inv_strset_dispose) struct vg_inv_strset seen = {0};
    struct pom p = {0};
    size_t start = out->n;
    int rc = 0;
    if (doc->intSubset || doc->extSubset) {
        rc = vg_err_set(err, VG_E_PARSE, "%s: a DTD is not allowed", path);
    } else if (!xml_is(root, "project")) {
        rc = vg_err_set(err, VG_E_PARSE, "%s: not a Maven POM (no <project>)", path);
    } else {
        rc = pom_props(&p, root, path, err);
    }
    if (rc == 0 && p.group && p.artifact && p.version) {
        vg_autofree char *v = pom_expand(&p, p.version);
        vg_autofree char *name = vg_fmt("%s:%s", p.group, p.artifact);
        rc = v ? jv_add(out, &seen, "pom", path, vg_str_c(name), vg_str_c(v), err) : 0;
    }
    const xmlNode *deps = rc == 0 ? xml_child(root, "dependencies") : NULL;
    for (const xmlNode *d = deps ? deps->children : NULL; rc == 0 && d; d = d->next) {
        if (xml_is(d, "dependency")) {
            rc = pom_dep(out, &seen, path, &p, d, err);
        }
    }
    pom_dispose(&p);
    xmlFreeDoc(doc);
    if (rc < 0) {
        vg_pkg_list_truncate(out, start);
        return -1;
    }
    return 0;
}
