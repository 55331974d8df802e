/* SPDX-License-Identifier: Apache-2.0
 *
 * Java archives (jar, war, ear, par and Jenkins hpi/jpi): Maven coordinates from every
 * META-INF/maven/<groupId>/<artifactId>/pom.properties, the main section of
 * META-INF/MANIFEST.MF as a fallback, and the file name (name-1.2.3.jar) as the last
 * resort; archives nested inside (Spring Boot BOOT-INF/lib, war WEB-INF/lib, shaded and
 * "jar in jar" layouts) are opened recursively.
 *
 * The choice of coordinates follows Trivy's offline jar parser so results compare: a
 * pom.properties whose artifactId and version match the file name settles the archive's own
 * identity; otherwise the manifest yields groupId (Implementation-Vendor-Id, Bundle-SymbolicName
 * without its last segment, Implementation-Vendor, Specification-Vendor), artifactId
 * (Implementation-Title, Specification-Title, Bundle-Name) and version
 * (Implementation-Version, Specification-Version, Bundle-Version). Only when the archive holds
 * no pom.properties at all and the manifest is incomplete does the file name speak, and then
 * the name has no groupId (no Maven Central lookup happens offline).
 *
 * Jar bombs: nesting depth, each inflated member and the total inflated bytes per outer archive
 * are bounded (inventory_int.h). Stored nested archives (Spring Boot's layout) are parsed in
 * place without a copy. A corrupt nested archive is skipped with a warning; exceeding the total
 * budget fails the whole archive.
 */
#include <string.h>
#include <strings.h>

#include "inventory/inventory_int.h"

#define JAR_TEXT_MAX (1u * 1024u * 1024u) /* pom.properties, MANIFEST.MF */
#define JAR_NAME_MAX 1024u

struct jar_ctx {
    struct vg_pkg_list *out;
    uint64_t inflated; /* bytes inflated so far under this outer archive */
    bool over_budget;
};

struct jar_props {
    char *group, *artifact, *version;
};

static void
props_dispose(struct jar_props *p)
{
    free(p->group);
    free(p->artifact);
    free(p->version);
    memset(p, 0, sizeof(*p));
}

static bool
props_valid(const struct jar_props *p)
{
    return p->group && *p->group && p->artifact && *p->artifact && p->version && *p->version;
}

static const char *
last_segment(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

bool
vg_inv_jar_wants(const char *base)
{
    static const char *const exts[] = {".jar", ".war", ".ear", ".par", ".hpi", ".jpi"};
    size_t n = strlen(base);
    for (size_t i = 0; i < VG_ARRAY_LEN(exts); i++) {
        if (n > 4 && strcasecmp(base + n - 4, exts[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool
artifact_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* Trivy's ^([a-zA-Z0-9\._-]*[^-*])-(\d\S*(?:-SNAPSHOT)?).[jwe]ar$ : the greedy artifactId
 * ends at the last "-<digit>" whose prefix qualifies. */
static void
props_from_filename(struct jar_props *p, const char *base)
{
    size_t n = strlen(base);
    if (n < 5 || base[n - 4] != '.' || !strchr("jwe", base[n - 3]) || base[n - 2] != 'a' ||
        base[n - 1] != 'r') {
        return;
    }
    size_t stem = n - 4;
    for (size_t i = 0; i < stem; i++) {
        if (base[i] == ' ' || base[i] == '\t') {
            return; /* \S* in the version; an artifactId never holds spaces */
        }
    }
    for (size_t dash = stem; dash-- > 1;) {
        if (base[dash] != '-' || dash + 1 >= stem || base[dash + 1] < '0' || base[dash + 1] > '9' ||
            base[dash - 1] == '-' || base[dash - 1] == '*') {
            continue;
        }
        bool ok = true;
        for (size_t i = 0; i + 1 < dash && ok; i++) {
            ok = artifact_char(base[i]);
        }
        if (ok) {
            p->artifact = vg_strndup(base, dash);
            p->version = vg_strndup(base + dash + 1, stem - dash - 1);
            return;
        }
    }
}

/* Java .properties subset: key=value or key: value, '#'/'!' comments. */
static void
parse_pom_properties(struct jar_props *p, const uint8_t *data, size_t len)
{
    struct vg_reader r;
    struct vg_str line;
    struct vg_err *err = NULL;
    vg_reader_init(&r, data, len);
    while (vg_reader_line(&r, VG_LIMIT_LINE_BYTES, &line, &err) > 0) {
        line = vg_str_trim(line);
        if (!line.len || line.ptr[0] == '#' || line.ptr[0] == '!') {
            continue;
        }
        struct vg_str k, v;
        if (!vg_str_cut(line, '=', &k, &v) && !vg_str_cut(line, ':', &k, &v)) {
            continue;
        }
        k = vg_str_trim(k);
        v = vg_str_trim(v);
        char **slot = vg_str_eq_c(k, "groupId")      ? &p->group
                      : vg_str_eq_c(k, "artifactId") ? &p->artifact
                      : vg_str_eq_c(k, "version")    ? &p->version
                                                     : NULL;
        if (slot && v.len <= JAR_NAME_MAX) {
            free(*slot);
            *slot = vg_str_dup(v);
        }
    }
    vg_err_free(&err);
}

/* ---------------------------------------------------------------- MANIFEST.MF */

enum mf_key {
    MF_IMPL_VENDOR_ID,
    MF_BUNDLE_SYMBOLIC,
    MF_IMPL_VENDOR,
    MF_SPEC_VENDOR,
    MF_IMPL_TITLE,
    MF_SPEC_TITLE,
    MF_BUNDLE_NAME,
    MF_IMPL_VERSION,
    MF_SPEC_VERSION,
    MF_BUNDLE_VERSION,
    MF_BUNDLE_LICENSE,
    MF_PLUGIN_LICENSE,
    MF_NKEYS,
};

static const char *const mf_names[MF_NKEYS] = {
    "Implementation-Vendor-Id",
    "Bundle-SymbolicName",
    "Implementation-Vendor",
    "Specification-Vendor",
    "Implementation-Title",
    "Specification-Title",
    "Bundle-Name",
    "Implementation-Version",
    "Specification-Version",
    "Bundle-Version",
    "Bundle-License",
    "Plugin-License-Name",
};

struct manifest {
    char *v[MF_NKEYS];
};

static void
manifest_dispose(struct manifest *m)
{
    for (size_t i = 0; i < MF_NKEYS; i++) {
        free(m->v[i]);
        m->v[i] = NULL;
    }
}

static void
manifest_set(struct manifest *m, struct vg_str logical)
{
    struct vg_str k, v;
    if (!vg_str_cut(logical, ':', &k, &v)) {
        return;
    }
    v = vg_str_trim(v);
    for (size_t i = 0; i < MF_NKEYS; i++) {
        if (k.len == strlen(mf_names[i]) && strncasecmp(k.ptr, mf_names[i], k.len) == 0 &&
            !m->v[i] && v.len && v.len <= JAR_NAME_MAX) {
            m->v[i] = vg_str_dup(v);
        }
    }
}

/* The main section: lines up to the first blank one; a line starting with one space continues
 * the previous line (JAR File Specification, "Manifest Specification"). */
static void
parse_manifest(struct manifest *m, const uint8_t *data, size_t len)
{
    struct vg_reader r;
    struct vg_str line;
    struct vg_err *err = NULL;
    vg_autobuf struct vg_buf logical = VG_BUF_INIT(VG_LIMIT_LINE_BYTES);
    vg_reader_init(&r, data, len);
    while (vg_reader_text_line(&r, VG_LIMIT_LINE_BYTES, &line, &err) > 0) {
        if (line.len && line.ptr[0] == ' ') {
            if (vg_buf_append(&logical, line.ptr + 1, line.len - 1, &err) < 0) {
                break;
            }
            continue;
        }
        if (logical.len) {
            manifest_set(m, (struct vg_str){(const char *)logical.data, logical.len});
            vg_buf_reset(&logical);
        }
        if (line.len == 0) {
            break;
        }
        if (vg_buf_append(&logical, line.ptr, line.len, &err) < 0) {
            break;
        }
    }
    if (logical.len && !err) {
        manifest_set(m, (struct vg_str){(const char *)logical.data, logical.len});
    }
    vg_err_free(&err);
}

static void
manifest_props(struct jar_props *p, const struct manifest *m)
{
    const char *g = m->v[MF_IMPL_VENDOR_ID];
    if (!g && m->v[MF_BUNDLE_SYMBOLIC]) {
        /* "com.fasterxml.jackson.core.jackson-databind;singleton:=true" -> the groupId */
        const char *s = m->v[MF_BUNDLE_SYMBOLIC];
        size_t n = strcspn(s, ";");
        const char *dot = memrchr(s, '.', n);
        p->group = vg_strndup(s, dot && dot > s ? (size_t)(dot - s) : n);
    } else {
        g = g ? g : m->v[MF_IMPL_VENDOR] ? m->v[MF_IMPL_VENDOR] : m->v[MF_SPEC_VENDOR];
        p->group = vg_strdup(g);
    }
    const char *a = m->v[MF_IMPL_TITLE]   ? m->v[MF_IMPL_TITLE]
                    : m->v[MF_SPEC_TITLE] ? m->v[MF_SPEC_TITLE]
                                          : m->v[MF_BUNDLE_NAME];
    const char *v = m->v[MF_IMPL_VERSION]   ? m->v[MF_IMPL_VERSION]
                    : m->v[MF_SPEC_VERSION] ? m->v[MF_SPEC_VERSION]
                                            : m->v[MF_BUNDLE_VERSION];
    p->artifact = vg_strdup(a);
    p->version = vg_strdup(v);
}

/* ---------------------------------------------------------------- walking */

static struct vg_pkg *
add_pkg(struct jar_ctx *c, const char *path, const char *group, const char *artifact,
        const char *version, struct vg_err **err)
{
    struct vg_pkg *p = vg_pkg_list_add(c->out, err);
    if (!p) {
        return NULL;
    }
    p->type = VG_PKG_LIBRARY;
    p->kind = vg_strdup("jar");
    p->name = group ? vg_fmt("%s:%s", group, artifact) : vg_strdup(artifact);
    p->version = vg_strdup(version);
    p->path = vg_strdup(path);
    return p;
}

static void
warn_member(const char *path, struct vg_str name, struct vg_err **err)
{
    vg_autofree char *m = vg_err_format(*err);
    vg_autofree char *p = vg_escape(path, strlen(path), 512);
    vg_autofree char *n = vg_escape(name.ptr, name.len, 512);
    VG_WARN("inventory", "%s: skipping member %s: %s", p, n, m);
    vg_err_free(err);
}

#define JAR_POMS_KEPT 64u

/* Per-archive findings while its members are visited. */
struct jar_state {
    const char *path;
    struct jar_props file;
    bool pom_seen, pom_matches;
    struct manifest mf;
    struct jar_props poms[JAR_POMS_KEPT]; /* this archive's own pom.properties (first ones) */
    size_t npoms;
};

/* Whether a pom.properties of this archive already names what the manifest describes: same
 * version, and an artifactId equal to the manifest title or to the file name's artifactId
 * (also in the "groupId.artifactId-version.jar" form of Maven repository mirrors). */
static bool
pom_covers(const struct jar_state *st, const struct jar_props *mp)
{
    const char *fa = st->file.artifact;
    for (size_t i = 0; i < st->npoms; i++) {
        const struct jar_props *p = &st->poms[i];
        if (strcmp(p->version, mp->version) != 0) {
            continue;
        }
        size_t al = strlen(p->artifact), fl = fa ? strlen(fa) : 0;
        bool dotted =
            fa && fl > al && fa[fl - al - 1] == '.' && strcmp(fa + fl - al, p->artifact) == 0;
        if (strcasecmp(p->artifact, mp->artifact) == 0 || (fa && strcmp(fa, p->artifact) == 0) ||
            dotted) {
            return true;
        }
    }
    return false;
}

static int jar_walk(struct jar_ctx *c, const char *path, const uint8_t *data, size_t len,
                    unsigned depth, struct vg_err **err);

/* Counts inflated bytes against the per-archive budget (VG_E_LIMIT once exceeded). */
static int
charge(struct jar_ctx *c, size_t n, struct vg_err **err)
{
    c->inflated += n;
    if (c->inflated > VG_INV_MAX_JAR_TOTAL_BYTES) {
        c->over_budget = true;
        return vg_err_set(err, VG_E_LIMIT, "more than %u bytes inflated (jar bomb?)",
                          VG_INV_MAX_JAR_TOTAL_BYTES);
    }
    return 0;
}

/* A small text member; a bad one is skipped (returns 1), the budget running out fails. */
static int
read_small(const struct vg_zip *z, const struct vg_zip_entry *e, struct jar_ctx *c,
           const char *path, struct vg_buf *b, struct vg_err **err)
{
    int rc = vg_zip_read(z, e, JAR_TEXT_MAX, b, err);
    if (rc < 0) {
        warn_member(path, e->name, err);
    }
    /* A member that failed mid-inflation still cost its inflated bytes. */
    if (charge(c, b->len, err) < 0) {
        return -1;
    }
    return rc < 0 ? 1 : 0;
}

static int
visit_pom(struct jar_ctx *c, struct jar_state *st, const struct vg_zip *z,
          const struct vg_zip_entry *e, struct vg_err **err)
{
    vg_autobuf struct vg_buf b = VG_BUF_INIT(JAR_TEXT_MAX);
    struct jar_props pp = {0};
    int rc = read_small(z, e, c, st->path, &b, err);
    if (rc != 0) {
        return rc < 0 ? -1 : 0;
    }
    parse_pom_properties(&pp, b.data, b.len);
    if (props_valid(&pp)) {
        st->pom_seen = true;
        if (st->file.artifact && strcmp(st->file.artifact, pp.artifact) == 0 &&
            strcmp(st->file.version, pp.version) == 0) {
            st->pom_matches = true;
        }
        rc = add_pkg(c, st->path, pp.group, pp.artifact, pp.version, err) ? 0 : -1;
        if (st->npoms < JAR_POMS_KEPT) {
            st->poms[st->npoms++] = pp;
            return rc;
        }
    }
    props_dispose(&pp);
    return rc;
}

static int
visit_nested(struct jar_ctx *c, struct jar_state *st, const struct vg_zip *z,
             const struct vg_zip_entry *e, unsigned depth, struct vg_err **err)
{
    vg_autofree char *inner = vg_fmt("%s/%.*s", st->path, (int)e->name.len, e->name.ptr);
    if (depth + 1 >= VG_INV_MAX_JAR_DEPTH) {
        vg_err_set(err, VG_E_LIMIT, "archives nested more than %u deep", VG_INV_MAX_JAR_DEPTH);
        warn_member(st->path, e->name, err);
        return 0;
    }
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_INV_MAX_JAR_ENTRY_BYTES);
    const uint8_t *bytes;
    size_t n;
    int rc;
    if (e->method == 0 && !(e->flags & 1u)) {
        rc = vg_zip_raw(z, e, &bytes, &n, err); /* stored: parsed in place */
    } else {
        rc = vg_zip_read(z, e, VG_INV_MAX_JAR_ENTRY_BYTES, &b, err);
        bytes = b.data;
        n = b.len;
        struct vg_err *cerr = NULL;
        if (charge(c, b.len, &cerr) < 0) {
            vg_err_free(err);
            *err = cerr;
            return -1;
        }
    }
    size_t mark = c->out->n;
    if (rc == 0) {
        rc = jar_walk(c, inner, bytes, n, depth + 1, err);
    }
    if (rc < 0 && c->over_budget) {
        return -1;
    }
    if (rc < 0) {
        vg_pkg_list_truncate(c->out, mark);
        warn_member(st->path, e->name, err);
    }
    return 0;
}

static int
visit(struct jar_ctx *c, struct jar_state *st, const struct vg_zip *z, const struct vg_zip_entry *e,
      unsigned depth, struct vg_err **err)
{
    if (!e->name.len || e->name.ptr[e->name.len - 1] == '/' || e->name.len > VG_LIMIT_PATH_BYTES ||
        memchr(e->name.ptr, '\0', e->name.len)) {
        return 0;
    }
    vg_autofree char *name = vg_str_dup(e->name);
    const char *base = last_segment(name);
    if (strcmp(base, "pom.properties") == 0) {
        return visit_pom(c, st, z, e, err);
    }
    if (strcasecmp(name, "META-INF/MANIFEST.MF") == 0) {
        vg_autobuf struct vg_buf b = VG_BUF_INIT(JAR_TEXT_MAX);
        int rc = read_small(z, e, c, st->path, &b, err);
        if (rc != 0) {
            return rc < 0 ? -1 : 0;
        }
        manifest_dispose(&st->mf);
        parse_manifest(&st->mf, b.data, b.len);
        return 0;
    }
    if (vg_inv_jar_wants(base)) {
        return visit_nested(c, st, z, e, depth, err);
    }
    return 0;
}

static int
add_own_identity(struct jar_ctx *c, struct jar_state *st, struct vg_err **err)
{
    if (st->pom_matches) {
        return 0;
    }
    struct jar_props mp = {0};
    manifest_props(&mp, &st->mf);
    int rc = 0;
    if (props_valid(&mp) && !pom_covers(st, &mp)) {
        struct vg_pkg *p = add_pkg(c, st->path, mp.group, mp.artifact, mp.version, err);
        rc = p ? 0 : -1;
        for (size_t i = MF_BUNDLE_LICENSE; p && i <= MF_PLUGIN_LICENSE; i++) {
            if (st->mf.v[i]) {
                vg_pkg_add_license(p, st->mf.v[i], strlen(st->mf.v[i]));
            }
        }
    } else if (!props_valid(&mp) && !st->pom_seen && st->file.artifact) {
        rc = add_pkg(c, st->path, NULL, st->file.artifact, st->file.version, err) ? 0 : -1;
    }
    props_dispose(&mp);
    return rc;
}

static int
jar_walk(struct jar_ctx *c, const char *path, const uint8_t *data, size_t len, unsigned depth,
         struct vg_err **err)
{
    struct vg_zip z;
    if (vg_zip_open(&z, data, len, VG_INV_MAX_JAR_ENTRIES, err) < 0) {
        return -1;
    }
    struct jar_state st = {.path = path};
    props_from_filename(&st.file, last_segment(path));
    int rc = 0;
    for (size_t i = 0; i < z.n && rc == 0; i++) {
        rc = visit(c, &st, &z, &z.ents[i], depth, err);
    }
    if (rc == 0) {
        rc = add_own_identity(c, &st, err);
    }
    manifest_dispose(&st.mf);
    props_dispose(&st.file);
    for (size_t i = 0; i < st.npoms; i++) {
        props_dispose(&st.poms[i]);
    }
    vg_zip_dispose(&z);
    return rc;
}

/* Shaded jars repeat the same pom.properties under several directories. */
static void
dedup(struct vg_pkg_list *l, size_t from)
{
    struct vg_inv_strset seen = {0};
    size_t w = from;
    for (size_t i = from; i < l->n; i++) {
        struct vg_pkg *p = &l->v[i];
        vg_autofree char *key = vg_fmt("%s\n%s", p->name, p->version ? p->version : "");
        if (!vg_inv_strset_add(&seen, vg_str_c(key), vg_str_c(p->path))) {
            vg_pkg_dispose(p);
            continue;
        }
        l->v[w++] = *p;
    }
    l->n = w;
    vg_inv_strset_dispose(&seen);
}

int
vg_inv_parse_jar(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                 struct vg_err **err)
{
    struct jar_ctx c = {.out = out};
    size_t start = out->n;
    if (jar_walk(&c, path, data, len, 0, err) < 0) {
        vg_pkg_list_truncate(out, start);
        return vg_err_wrap(err, "%s", path);
    }
    dedup(out, start);
    return 0;
}
