/* SPDX-License-Identifier: Apache-2.0
 *
 * The package model: the growable package list the analyzers fill, copying and freeing, and
 * the finishing step that derives each package's OSV ecosystem and package URL (purl spec,
 * github.com/package-url/purl-spec) from its analyzer kind and the detected distribution.
 *
 * Analyzers never compute purls themselves: the OS is only known once every layer has been
 * read, and one place for the encoding rules keeps them consistent.
 */
#include <ctype.h>
#include <string.h>

#include "inventory/inventory_int.h"

struct vg_pkg *
vg_pkg_list_add(struct vg_pkg_list *l, struct vg_err **err)
{
    if (l->n >= VG_INV_MAX_PKGS_PER_FILE) {
        vg_err_set(err, VG_E_LIMIT, "more than %u packages", VG_INV_MAX_PKGS_PER_FILE);
        return NULL;
    }
    l->v = vg_vec_grow(l->v, &l->cap, l->n, 1, sizeof(*l->v));
    struct vg_pkg *p = &l->v[l->n++];
    memset(p, 0, sizeof(*p));
    return p;
}

void
vg_pkg_list_move(struct vg_pkg_list *dst, struct vg_pkg_list *src)
{
    for (size_t i = 0; i < src->n; i++) {
        dst->v = vg_vec_grow(dst->v, &dst->cap, dst->n, 1, sizeof(*dst->v));
        dst->v[dst->n++] = src->v[i];
    }
    free(src->v);
    *src = (struct vg_pkg_list){0};
}

void
vg_pkg_list_truncate(struct vg_pkg_list *l, size_t from)
{
    while (l->n > from) {
        vg_pkg_dispose(&l->v[--l->n]);
    }
}

void
vg_pkg_list_dispose(struct vg_pkg_list *l)
{
    vg_pkg_list_truncate(l, 0);
    free(l->v);
    *l = (struct vg_pkg_list){0};
}

void
vg_pkg_dispose(struct vg_pkg *p)
{
    free(p->ecosystem);
    free(p->kind);
    free(p->name);
    free(p->version);
    free(p->src_name);
    free(p->src_version);
    free(p->arch);
    free(p->purl);
    vg_strv_free(p->licenses, p->nlicenses);
    free(p->path);
    free(p->modularity_label);
    vg_strv_free(p->files, p->nfiles);
    memset(p, 0, sizeof(*p));
}

void
vg_pkg_copy(struct vg_pkg *dst, const struct vg_pkg *src)
{
    *dst = *src;
    dst->ecosystem = vg_strdup(src->ecosystem);
    dst->kind = vg_strdup(src->kind);
    dst->name = vg_strdup(src->name);
    dst->version = vg_strdup(src->version);
    dst->src_name = vg_strdup(src->src_name);
    dst->src_version = vg_strdup(src->src_version);
    dst->arch = vg_strdup(src->arch);
    dst->purl = vg_strdup(src->purl);
    dst->licenses = vg_strv_dup(src->licenses, src->nlicenses);
    dst->path = vg_strdup(src->path);
    dst->modularity_label = vg_strdup(src->modularity_label);
    dst->files = vg_strv_dup(src->files, src->nfiles);
}

void
vg_pkg_add_license(struct vg_pkg *p, const char *lic, size_t len)
{
    struct vg_str s = vg_str_trim((struct vg_str){lic, len});
    if (s.len == 0 || p->nlicenses >= 64) {
        return;
    }
    for (size_t i = 0; i < p->nlicenses; i++) {
        if (vg_str_eq_c(s, p->licenses[i])) {
            return;
        }
    }
    VG_ARRAY_GROW(p->licenses, p->nlicenses, 1);
    p->licenses[p->nlicenses++] = vg_str_dup(s);
}

void
vg_pkg_add_file(struct vg_pkg *p, const char *file, size_t len)
{
    if (p->nfiles >= VG_INV_MAX_FILES_PER_PKG || len == 0) {
        return;
    }
    if ((p->nfiles & (p->nfiles - 1)) == 0) {
        size_t nc = p->nfiles ? p->nfiles * 2 : 8;
        p->files = vg_reallocarray(p->files, nc, sizeof(char *));
    }
    p->files[p->nfiles++] = vg_strndup(file, len);
}

void
vg_os_info_dispose(struct vg_os_info *os)
{
    free(os->family);
    free(os->name);
    free(os->version);
    free(os->version_id_full);
    memset(os, 0, sizeof(*os));
}

void
vg_os_info_copy(struct vg_os_info *dst, const struct vg_os_info *src)
{
    dst->family = vg_strdup(src->family);
    dst->name = vg_strdup(src->name);
    dst->version = vg_strdup(src->version);
    dst->version_id_full = vg_strdup(src->version_id_full);
    dst->eosl = src->eosl;
}

char *
vg_inv_pep503(const char *name, size_t len)
{
    struct vg_buf b = VG_BUF_INIT(len + 1);
    bool sep = false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '-' || c == '_' || c == '.') {
            sep = true;
            continue;
        }
        if (sep && b.len > 0) {
            (void)!vg_buf_appendc(&b, '-', NULL); /* within max: output <= input */
        }
        sep = false;
        (void)!vg_buf_appendc(&b, (char)tolower((unsigned char)c), NULL);
    }
    char *out = vg_buf_take(&b, NULL);
    return out ? out : vg_strdup("");
}

int
vg_inv_purl_escape(struct vg_buf *b, const char *s, struct vg_err **err)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '.' || *p == '-' || *p == '_' || *p == '~') {
            if (vg_buf_appendc(b, (char)*p, err) < 0) {
                return -1;
            }
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            if (vg_buf_append(b, e, 3, err) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Major version: "12.5" -> "12", "3.19.1" -> "3.19" when minor, for Alpine's "v3.19". */
static char *
version_prefix(const char *v, int parts)
{
    if (!v) {
        return NULL;
    }
    size_t i = 0;
    int seen = 0;
    for (; v[i]; i++) {
        if (v[i] == '.' && ++seen == parts) {
            break;
        }
    }
    return vg_strndup(v, i);
}

struct os_eco {
    const char *family;
    const char *eco; /* OSV ecosystem prefix */
    int parts;       /* version parts appended after ':' (0: none) */
    const char *vprefix;
    const char *purl_ns; /* purl namespace for OS packages */
};

static const struct os_eco os_ecos[] = {
    {"debian", "Debian", 1, "", "debian"},
    {"distroless", "Debian", 1, "", "debian"},
    {"ubuntu", "Ubuntu", 2, "", "ubuntu"},
    {"alpine", "Alpine", 2, "v", "alpine"},
    {"wolfi", "Wolfi", 0, "", "wolfi"},
    {"chainguard", "Chainguard", 0, "", "chainguard"},
    {"rhel", "Red Hat", 0, "", "redhat"},
    {"centos", "CentOS", 1, "", "centos"},
    {"rocky", "Rocky Linux", 1, "", "rocky"},
    {"alma", "AlmaLinux", 1, "", "almalinux"},
    {"fedora", "Fedora", 1, "", "fedora"},
    {"amazon", "Amazon Linux", 1, "", "amazon"},
    {"oracle", "Oracle Linux", 1, "", "oracle"},
    {"suse", "SUSE", 0, "", "suse"},
    {"opensuse", "openSUSE", 0, "", "opensuse"},
    {"mariner", "Mariner", 1, "", "mariner"},
    {"azurelinux", "Azure Linux", 1, "", "azurelinux"},
    {"photon", "Photon OS", 1, "", "photon"},
};

static const struct os_eco *
os_eco_find(const char *family)
{
    if (!family) {
        return NULL;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(os_ecos); i++) {
        if (strcmp(os_ecos[i].family, family) == 0) {
            return &os_ecos[i];
        }
    }
    return NULL;
}

char *
vg_inv_os_ecosystem(const struct vg_os_info *os)
{
    if (!os) {
        return NULL;
    }
    const struct os_eco *e = os_eco_find(os->family);
    if (!e) {
        return NULL;
    }
    if (e->parts == 0 || !os->version) {
        return vg_strdup(e->eco);
    }
    vg_autofree char *v = version_prefix(os->version, e->parts);
    return vg_fmt("%s:%s%s", e->eco, e->vprefix, v);
}

/* Splits "[epoch:]rest": returns the epoch digits (or NULL) and points *rest past them. */
static char *
split_epoch(const char *v, const char **rest)
{
    *rest = v;
    const char *c = strchr(v, ':');
    if (!c || c == v) {
        return NULL;
    }
    for (const char *p = v; p < c; p++) {
        if (!isdigit((unsigned char)*p)) {
            return NULL;
        }
    }
    *rest = c + 1;
    return vg_strndup(v, (size_t)(c - v));
}

struct qual {
    const char *k, *v;
};

/* pkg:<type>/<ns...>/<name>@<version>?<qualifiers sorted by key>; ns may contain '/'. */
static char *
purl_make(const char *type, const char *ns, const char *name, const char *version,
          const struct qual *q, size_t nq)
{
    struct vg_buf b = VG_BUF_INIT(64 * 1024);
    bool ok = vg_buf_appendf(&b, NULL, "pkg:%s/", type) == 0;
    if (ns && *ns) {
        const char *p = ns;
        while (ok) {
            const char *sl = strchr(p, '/');
            vg_autofree char *seg = sl ? vg_strndup(p, (size_t)(sl - p)) : vg_strdup(p);
            ok = vg_inv_purl_escape(&b, seg, NULL) == 0 && vg_buf_appendc(&b, '/', NULL) == 0;
            if (!sl) {
                break;
            }
            p = sl + 1;
        }
    }
    ok = ok && vg_inv_purl_escape(&b, name, NULL) == 0;
    if (ok && version && *version) {
        ok = vg_buf_appendc(&b, '@', NULL) == 0 && vg_inv_purl_escape(&b, version, NULL) == 0;
    }
    char sep = '?';
    for (size_t i = 0; ok && i < nq; i++) {
        if (!q[i].v || !*q[i].v) {
            continue;
        }
        ok = vg_buf_appendf(&b, NULL, "%c%s=", sep, q[i].k) == 0 &&
             vg_inv_purl_escape(&b, q[i].v, NULL) == 0;
        sep = '&';
    }
    if (!ok) {
        vg_buf_dispose(&b);
        return NULL;
    }
    return vg_buf_take(&b, NULL);
}

static char *
os_purl(const struct vg_pkg *p, const struct vg_os_info *os, const char *type,
        const char *default_ns, bool epoch_qualifier)
{
    const struct os_eco *e = os_eco_find(os->family);
    const char *ns = e ? e->purl_ns : default_ns;
    vg_autofree char *distro = NULL;
    if (os->family && os->version) {
        distro = strcmp(type, "apk") == 0
                     ? vg_strdup(os->version)
                     : vg_fmt("%s-%s", e ? e->purl_ns : os->family, os->version);
    }
    const char *ver = p->version ? p->version : "";
    vg_autofree char *epoch = epoch_qualifier ? split_epoch(ver, &ver) : NULL;
    struct qual q[] = {{"arch", p->arch}, {"distro", distro}, {"epoch", epoch}};
    return purl_make(type, ns, p->name, ver, q, VG_ARRAY_LEN(q));
}

static char *
lang_purl(const struct vg_pkg *p)
{
    const char *k = p->kind;
    const char *name = p->name ? p->name : "";
    const char *slash = strrchr(name, '/');
    if (strcmp(k, "python") == 0) {
        vg_autofree char *n = vg_inv_pep503(name, strlen(name));
        return purl_make("pypi", NULL, n, p->version, NULL, 0);
    }
    if (strcmp(k, "pip") == 0 || strcmp(k, "pipenv") == 0 || strcmp(k, "poetry") == 0 ||
        strcmp(k, "uv") == 0) {
        vg_autofree char *n = vg_inv_pep503(name, strlen(name));
        return purl_make("pypi", NULL, n, p->version, NULL, 0);
    }
    bool npm = strcmp(k, "node") == 0 || strcmp(k, "npm") == 0 || strcmp(k, "yarn") == 0 ||
               strcmp(k, "pnpm") == 0;
    bool golang = strcmp(k, "gobinary") == 0 || strcmp(k, "gomod") == 0;
    if (npm || golang || strcmp(k, "composer") == 0) {
        const char *type = npm ? "npm" : golang ? "golang" : "composer";
        if (!slash) {
            return purl_make(type, NULL, name, p->version, NULL, 0);
        }
        vg_autofree char *ns = vg_strndup(name, (size_t)(slash - name));
        return purl_make(type, ns, slash + 1, p->version, NULL, 0);
    }
    if (strcmp(k, "jar") == 0 || strcmp(k, "pom") == 0 || strcmp(k, "gradle") == 0) {
        const char *colon = strchr(name, ':');
        if (!colon) {
            return purl_make("maven", NULL, name, p->version, NULL, 0);
        }
        vg_autofree char *g = vg_strndup(name, (size_t)(colon - name));
        /* A Maven groupId is one namespace segment even though it contains dots. */
        struct vg_buf b = VG_BUF_INIT(64 * 1024);
        if (vg_inv_purl_escape(&b, g, NULL) < 0) {
            vg_buf_dispose(&b);
            return NULL;
        }
        vg_autofree char *ge = vg_buf_take(&b, NULL);
        return purl_make("maven", ge, colon + 1, p->version, NULL, 0);
    }
    const char *type = strcmp(k, "cargo") == 0 || strcmp(k, "rustbinary") == 0  ? "cargo"
                       : strcmp(k, "gemspec") == 0 || strcmp(k, "bundler") == 0 ? "gem"
                                                                                : k;
    return purl_make(type, NULL, name, p->version, NULL, 0);
}

static const char *
lang_ecosystem(const char *kind)
{
    static const struct {
        const char *kind, *eco;
    } t[] = {{"python", "PyPI"},
             {"node", "npm"},
             {"gobinary", "Go"},
             {"jar", "Maven"},
             {"cargo", "crates.io"},
             {"gemspec", "RubyGems"},
             {"composer", "Packagist"},
             {"rustbinary", "crates.io"},
             {"npm", "npm"},
             {"yarn", "npm"},
             {"pnpm", "npm"},
             {"pip", "PyPI"},
             {"pipenv", "PyPI"},
             {"poetry", "PyPI"},
             {"uv", "PyPI"},
             {"gomod", "Go"},
             {"bundler", "RubyGems"},
             {"pom", "Maven"},
             {"gradle", "Maven"},
             {"nuget", "NuGet"}};
    for (size_t i = 0; i < VG_ARRAY_LEN(t); i++) {
        if (strcmp(t[i].kind, kind) == 0) {
            return t[i].eco;
        }
    }
    return NULL;
}

void
vg_inv_pkg_finalize(struct vg_pkg *p, const struct vg_os_info *os)
{
    static const struct vg_os_info no_os;
    if (!p->kind || !p->name) {
        return;
    }
    if (!os) {
        os = &no_os;
    }
    free(p->purl);
    p->purl = NULL;
    if (p->type == VG_PKG_OS) {
        if (!p->ecosystem) {
            p->ecosystem = vg_inv_os_ecosystem(os);
        }
        if (!p->ecosystem) {
            p->ecosystem = vg_strdup(strcmp(p->kind, "dpkg") == 0  ? "Debian"
                                     : strcmp(p->kind, "apk") == 0 ? "Alpine"
                                                                   : "Red Hat");
        }
        if (strcmp(p->kind, "dpkg") == 0) {
            p->purl = os_purl(p, os, "deb", "debian", true);
        } else if (strcmp(p->kind, "apk") == 0) {
            p->purl = os_purl(p, os, "apk", "alpine", false);
        } else {
            p->purl = os_purl(p, os, "rpm", "redhat", true);
        }
        return;
    }
    if (!p->ecosystem) {
        const char *e = lang_ecosystem(p->kind);
        p->ecosystem = e ? vg_strdup(e) : NULL;
    }
    p->purl = lang_purl(p);
}

void
vg_inventory_free(struct vg_inventory *inv)
{
    if (!inv) {
        return;
    }
    vg_os_info_dispose(&inv->os);
    free(inv->subject_purl);
    for (size_t i = 0; i < inv->npkgs; i++) {
        vg_pkg_dispose(&inv->pkgs[i]);
    }
    free(inv->pkgs);
    free(inv);
}

static uint64_t
strset_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    }
    return h;
}

static char *
strset_key(struct vg_str a, struct vg_str b)
{
    return vg_fmt("%.*s\n%.*s", (int)a.len, a.ptr ? a.ptr : "", (int)b.len, b.ptr ? b.ptr : "");
}

static char **
strset_slot(char **slots, size_t cap, const char *key)
{
    size_t klen = strlen(key);
    size_t i = (size_t)strset_hash(key, klen) & (cap - 1);
    while (slots[i] && strcmp(slots[i], key) != 0) {
        i = (i + 1) & (cap - 1);
    }
    return &slots[i];
}

bool
vg_inv_strset_has(const struct vg_inv_strset *s, struct vg_str a, struct vg_str b)
{
    if (s->n == 0) {
        return false;
    }
    vg_autofree char *key = strset_key(a, b);
    return *strset_slot(s->slots, s->cap, key) != NULL;
}

bool
vg_inv_strset_add(struct vg_inv_strset *s, struct vg_str a, struct vg_str b)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        char **ns = vg_calloc(nc, sizeof(char *));
        for (size_t i = 0; i < s->cap; i++) {
            if (s->slots[i]) {
                *strset_slot(ns, nc, s->slots[i]) = s->slots[i];
            }
        }
        free(s->slots);
        s->slots = ns;
        s->cap = nc;
    }
    char *key = strset_key(a, b);
    char **slot = strset_slot(s->slots, s->cap, key);
    if (*slot) {
        free(key);
        return false;
    }
    *slot = key;
    s->n++;
    return true;
}

void
vg_inv_strset_dispose(struct vg_inv_strset *s)
{
    for (size_t i = 0; i < s->cap; i++) {
        free(s->slots[i]);
    }
    free(s->slots);
    *s = (struct vg_inv_strset){0};
}
