/* SPDX-License-Identifier: Apache-2.0
 *
 * SBOM reader for rescans (vigil scan --sbom): CycloneDX JSON (components, recursively) and
 * SPDX 2.x JSON (packages with a purl external reference) into an inventory. The purl is the
 * source of truth for the ecosystem: its type picks the analyzer kind, and for OS packages its
 * distro qualifier (or the document's operating-system component) picks the OSV ecosystem.
 * Components without a purl carry no ecosystem and are skipped: they cannot be matched.
 */
#include <ctype.h>
#include <string.h>

#include "inventory/inventory_int.h"

#define SBOM_MAX_BYTES (256u * 1024u * 1024u)
#define SBOM_MAX_DEPTH 32u

struct purl {
    char *type, *ns, *name, *version, *distro, *arch, *epoch;
};

static void
purl_dispose(struct purl *p)
{
    free(p->type);
    free(p->ns);
    free(p->name);
    free(p->version);
    free(p->distro);
    free(p->arch);
    free(p->epoch);
}

static int
hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static char *
pct_decode(const char *s, size_t n)
{
    char *o = vg_malloc(n + 1);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            o[w++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            o[w++] = s[i];
        }
    }
    o[w] = '\0';
    return o;
}

static bool
purl_parse(struct purl *p, const char *s)
{
    memset(p, 0, sizeof(*p));
    if (!vg_cstr_startswith(s, "pkg:")) {
        return false;
    }
    s += 4;
    size_t n = strcspn(s, "#");
    const char *q = memchr(s, '?', n);
    size_t main_len = q ? (size_t)(q - s) : n;
    const char *at = memrchr(s, '@', main_len);
    const char *slash = memchr(s, '/', main_len);
    if (!slash) {
        return false;
    }
    p->type = vg_strndup(s, (size_t)(slash - s));
    for (char *c = p->type; *c; c++) {
        *c = (char)tolower((unsigned char)*c);
    }
    const char *path = slash + 1;
    size_t plen = (at && at > path ? (size_t)(at - path) : main_len - (size_t)(path - s));
    const char *last = memrchr(path, '/', plen);
    if (last) {
        p->ns = pct_decode(path, (size_t)(last - path));
        p->name = pct_decode(last + 1, plen - (size_t)(last + 1 - path));
    } else {
        p->name = pct_decode(path, plen);
    }
    if (at && at > path) {
        p->version = pct_decode(at + 1, main_len - (size_t)(at + 1 - s));
    }
    for (const char *k = q ? q + 1 : NULL; k && k < s + n;) {
        size_t kl = strcspn(k, "&#");
        if (kl > (size_t)(s + n - k)) {
            kl = (size_t)(s + n - k);
        }
        const char *eq = memchr(k, '=', kl);
        if (eq) {
            struct vg_str key = {k, (size_t)(eq - k)};
            char *val = pct_decode(eq + 1, kl - (size_t)(eq + 1 - k));
            char **dst = vg_str_eq_c(key, "distro")  ? &p->distro
                         : vg_str_eq_c(key, "arch")  ? &p->arch
                         : vg_str_eq_c(key, "epoch") ? &p->epoch
                                                     : NULL;
            if (dst) {
                free(*dst);
                *dst = val;
            } else {
                free(val);
            }
        }
        k += kl + 1;
    }
    return p->name && *p->name;
}

static const struct {
    const char *type, *kind;
} purl_kinds[] = {
    {"deb", "dpkg"},    {"apk", "apk"},           {"rpm", "rpm"},   {"npm", "node"},
    {"pypi", "python"}, {"golang", "gobinary"},   {"maven", "jar"}, {"cargo", "cargo"},
    {"gem", "gemspec"}, {"composer", "composer"},
};

/* distro qualifier -> OS info: "debian-12", "ubuntu-22.04", "3.19.1" (apk), "redhat-9". */
static void
os_from_distro(struct vg_os_info *os, const struct purl *p)
{
    if (!p->distro) {
        return;
    }
    const char *d = p->distro;
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

static int
add_from_purl(struct vg_pkg_list *out, struct vg_os_info *docos, const char *purl, const char *name,
              const char *version, struct vg_err **err)
{
    struct purl p = {0};
    if (!purl || !purl_parse(&p, purl)) {
        purl_dispose(&p);
        return 0;
    }
    const char *kind = NULL;
    for (size_t i = 0; i < VG_ARRAY_LEN(purl_kinds); i++) {
        if (strcmp(purl_kinds[i].type, p.type) == 0) {
            kind = purl_kinds[i].kind;
        }
    }
    if (!kind) {
        purl_dispose(&p);
        return 0;
    }
    struct vg_pkg *k = vg_pkg_list_add(out, err);
    if (!k) {
        purl_dispose(&p);
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
    const char *v = p.version ? p.version : version;
    k->version = p.epoch && v ? vg_fmt("%s:%s", p.epoch, v) : vg_strdup(v);
    (void)name;
    k->arch = vg_steal_ptr(&p.arch);
    k->purl = vg_strdup(purl);
    if (os) {
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
        k->purl = vg_strdup(purl);
    }
    purl_dispose(&p);
    return 0;
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
            os->family = vg_strdup(vg_json_str(c, "name"));
            os->version = vg_strdup(vg_json_str(c, "version"));
            continue;
        }
        if (add_from_purl(out, os, vg_json_str(c, "purl"), vg_json_str(c, "name"),
                          vg_json_str(c, "version"), err) < 0 ||
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
            if (purpose && strcmp(purpose, "OPERATING_SYSTEM") == 0 && !spdx_purl(p) &&
                !os.family) {
                os.family = vg_strdup(vg_json_str(p, "name"));
                os.version = vg_strdup(vg_json_str(p, "versionInfo"));
                continue;
            }
            if ((rc = add_from_purl(&l, &os, spdx_purl(p), vg_json_str(p, "name"),
                                    vg_json_str(p, "versionInfo"), err)) < 0) {
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
