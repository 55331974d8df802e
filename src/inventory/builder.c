/* SPDX-License-Identifier: Apache-2.0
 *
 * The inventory builder: one layer consumer that routes each wanted path to its analyzer
 * during the single pass over the image, keeps what it learns per (path, layer), and in
 * finish() turns that into the inventory of the final filesystem:
 *   - records whose file a later layer deleted or replaced are dropped
 *     (vg_layers_result_present);
 *   - the OS is detected from the surviving marker files;
 *   - an OS package is attributed to the earliest layer whose copy of the same database
 *     already listed it (package databases are rewritten by every layer that installs
 *     anything, so "the layer of the surviving file" would blame the last layer);
 *   - dpkg file lists are attached to their packages, and language packages whose file an
 *     OS package owns (Debian's python3-requests) are dropped as already reported;
 *   - ecosystems and purls are derived, and the result is sorted deterministically.
 *
 * Callbacks for different layers may run on different threads: parsing happens outside the
 * lock, and only appending a record takes it. Go executables are streamed; each layer has at
 * most one file in flight, so the stream state is kept per layer without locking.
 */
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "core/glob.h"
#include "inventory/builder_int.h"

/* One executable in flight: Go build info and cargo-auditable data are looked for together. */
struct bin_stream {
    struct vg_inv_gostream *go;
    struct vg_inv_ruststream *rust;
    bool go_live, rust_live;
};

static void
bin_stream_free(struct bin_stream *s)
{
    if (s) {
        vg_inv_gostream_free(s->go);
        vg_inv_ruststream_free(s->rust);
        free(s);
    }
}

static const char *
base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static bool
under(const char *path, const char *dir)
{
    return strstr(path, dir) != NULL;
}

/* node_modules/<name>/package.json or node_modules/@scope/<name>/package.json */
static bool
npm_installed(const char *path)
{
    const char *nm = NULL;
    for (const char *q = strstr(path, "node_modules/"); q; q = strstr(q + 1, "node_modules/")) {
        nm = q + strlen("node_modules/");
    }
    if (!nm || !vg_cstr_endswith(nm, "/package.json")) {
        return false;
    }
    size_t slashes = 0;
    for (const char *c = nm; *c; c++) {
        slashes += *c == '/';
    }
    return nm[0] == '@' ? slashes == 2 : slashes == 1;
}

static bool
is_archive(const char *base)
{
    return vg_inv_jar_wants(base) || vg_cstr_endswith(base, ".egg");
}

static enum inv_an
classify_lang(const char *path, const char *base)
{
    if (is_archive(base)) {
        return vg_inv_jar_wants(base) ? AN_JAR : AN_EGG;
    }
    if (vg_cstr_endswith(path, ".dist-info/METADATA") ||
        vg_cstr_endswith(path, ".egg-info/PKG-INFO") || vg_cstr_endswith(base, ".egg-info")) {
        return AN_PYTHON;
    }
    if (strcmp(base, "package.json") == 0) {
        return npm_installed(path) ? AN_NPM_PKG : AN_NONE;
    }
    bool in_nm = under(path, "node_modules/");
    if (!in_nm && strcmp(base, "package-lock.json") == 0) {
        return AN_NPM_LOCK;
    }
    if (!in_nm && strcmp(base, "yarn.lock") == 0) {
        return AN_YARN;
    }
    if (!in_nm && strcmp(base, "pnpm-lock.yaml") == 0) {
        return AN_PNPM;
    }
    if (strcmp(base, "Cargo.lock") == 0) {
        return AN_CARGO;
    }
    if (vg_cstr_endswith(base, ".gemspec") && under(path, "specifications/")) {
        return AN_GEM;
    }
    if ((strcmp(base, "composer.lock") == 0 && !under(path, "vendor/")) ||
        vg_cstr_endswith(path, "vendor/composer/installed.json")) {
        return AN_COMPOSER;
    }
    return AN_NONE;
}

enum inv_an
vg_inv_builder_classify(const char *path)
{
    const char *base = base_name(path);
    if (vg_inv_os_wants(path)) {
        return AN_OS;
    }
    if (strcmp(path, "var/lib/dpkg/status") == 0) {
        return AN_DPKG;
    }
    if (vg_cstr_startswith(path, "var/lib/dpkg/status.d/") && *base &&
        strchr(path + strlen("var/lib/dpkg/status.d/"), '/') == NULL) {
        return vg_cstr_endswith(base, ".md5sums") ? AN_DPKG_MD5 : AN_DPKG_STATUSD;
    }
    if (vg_cstr_startswith(path, "var/lib/dpkg/info/")) {
        return vg_cstr_endswith(base, ".list")      ? AN_DPKG_LIST
               : vg_cstr_endswith(base, ".md5sums") ? AN_DPKG_MD5
                                                    : AN_NONE;
    }
    if (vg_cstr_startswith(path, "usr/share/doc/") && strcmp(base, "copyright") == 0 &&
        base - path > (ptrdiff_t)strlen("usr/share/doc/") + 1 &&
        memchr(path + strlen("usr/share/doc/"), '/',
               (size_t)(base - path) - strlen("usr/share/doc/") - 1) == NULL) {
        return AN_DPKG_COPYRIGHT;
    }
    if (strcmp(path, "lib/apk/db/installed") == 0) {
        return AN_APK;
    }
    if ((vg_cstr_startswith(path, "var/lib/rpm/") ||
         vg_cstr_startswith(path, "usr/lib/sysimage/rpm/")) &&
        (strcmp(base, "rpmdb.sqlite") == 0 || strcmp(base, "Packages") == 0 ||
         strcmp(base, "Packages.db") == 0)) {
        return AN_RPM;
    }
    return classify_lang(path, base);
}

/* Trivy's fs analyzers: lock files and manifests only. */
static enum inv_an
classify_source(const char *path)
{
    static const struct {
        const char *base;
        enum inv_an an;
    } exact[] = {{"package-lock.json", AN_NPM_LOCK},
                 {"yarn.lock", AN_YARN},
                 {"pnpm-lock.yaml", AN_PNPM},
                 {"Pipfile.lock", AN_PIPENV},
                 {"poetry.lock", AN_POETRY},
                 {"uv.lock", AN_UV},
                 {"go.mod", AN_GOMOD},
                 {"Cargo.lock", AN_CARGO},
                 {"Gemfile.lock", AN_BUNDLER},
                 {"composer.lock", AN_COMPOSER},
                 {"pom.xml", AN_POM},
                 {"packages.lock.json", AN_NUGET}};
    const char *base = base_name(path);
    bool in_deps = under(path, "node_modules/") || under(path, "vendor/");
    for (size_t i = 0; i < VG_ARRAY_LEN(exact); i++) {
        if (strcmp(base, exact[i].base) == 0) {
            return in_deps ? AN_NONE : exact[i].an;
        }
    }
    if (vg_cstr_startswith(base, "requirements") && vg_cstr_endswith(base, ".txt")) {
        return AN_PIP;
    }
    if (vg_cstr_endswith(base, "gradle.lockfile") ||
        (vg_cstr_endswith(base, ".lockfile") && under(path, "gradle/dependency-locks/"))) {
        return AN_GRADLE;
    }
    return AN_NONE;
}

static enum inv_an
classify(const struct vg_inventory_builder *b, const char *path)
{
    return b->opts.source_tree ? classify_source(path) : vg_inv_builder_classify(path);
}

static bool
is_os_an(enum inv_an an)
{
    return an >= AN_DPKG && an <= AN_RPM;
}

/* --skip-dirs / --skip-files: doublestar globs as Trivy (see core/glob.h). */
static bool
skipped(const struct vg_inventory_opts *o, const char *path)
{
    for (size_t i = 0; i < o->nskip_files; i++) {
        if (vg_glob_match(o->skip_files[i], path)) {
            return true;
        }
    }
    for (size_t i = 0; i < o->nskip_dirs; i++) {
        if (vg_glob_match_dir(o->skip_dirs[i], path)) {
            return true;
        }
    }
    return false;
}

/* usr/share/doc/<pkg> as a symlink to a sibling ("gcc-12-base"): Debian packages built from
 * one source often share the documentation, copyright file included. */
static bool
doc_link(const struct vg_layer_file *f)
{
    const char *name = f->path + strlen("usr/share/doc/");
    return S_ISLNK(f->mode) && f->linkname && vg_cstr_startswith(f->path, "usr/share/doc/") &&
           *name && !strchr(name, '/') && f->linkname[0] && !strchr(f->linkname, '/') &&
           strcmp(f->linkname, ".") != 0 && strcmp(f->linkname, "..") != 0;
}

static enum vg_layer_want
inv_want(void *ctx, const struct vg_layer_file *f)
{
    struct vg_inventory_builder *b = ctx;
    if (b->opts.os_pkgs && doc_link(f)) {
        return VG_WANT_META;
    }
    if (!S_ISREG(f->mode) || skipped(&b->opts, f->path)) {
        return VG_WANT_NONE;
    }
    enum inv_an an = classify(b, f->path);
    if (b->opts.source_tree) {
        return an != AN_NONE && b->opts.lib_pkgs ? VG_WANT_WHOLE : VG_WANT_NONE;
    }
    if (an == AN_NONE) {
        /* Any other executable may be a Go binary; tiny files cannot be. */
        return b->opts.lib_pkgs && (f->mode & 0111) && f->size >= 1024 ? VG_WANT_STREAM
                                                                       : VG_WANT_NONE;
    }
    if ((is_os_an(an) && !b->opts.os_pkgs) || (an > AN_RPM && !b->opts.lib_pkgs) || an == AN_JAR ||
        an == AN_EGG) {
        return VG_WANT_NONE;
    }
    return VG_WANT_WHOLE;
}

/* The archive consumer: same routing, larger per-file limit (VG_INV_MAX_JAR_FILE_BYTES). */
static enum vg_layer_want
inv_want_archive(void *ctx, const struct vg_layer_file *f)
{
    struct vg_inventory_builder *b = ctx;
    if (!S_ISREG(f->mode) || !b->opts.lib_pkgs || b->opts.source_tree ||
        !is_archive(base_name(f->path)) || skipped(&b->opts, f->path)) {
        return VG_WANT_NONE;
    }
    return VG_WANT_WHOLE;
}

void
vg_inv_rec_dispose(struct inv_rec *r)
{
    free(r->path);
    vg_pkg_list_dispose(&r->pkgs);
    free(r->data);
    vg_strv_free(r->files, r->nfiles);
}

static void
add_rec(struct vg_inventory_builder *b, struct inv_rec *r, const struct vg_layer_file *f,
        bool failed)
{
    r->path = vg_strdup(f->path);
    r->layer = f->layer_index;
    if (f->layer_digest) {
        r->digest = *f->layer_digest;
    }
    if (f->diff_id) {
        r->diff_id = *f->diff_id;
    }
    for (size_t i = 0; i < r->pkgs.n; i++) {
        struct vg_pkg *p = &r->pkgs.v[i];
        p->layer_index = r->layer;
        p->layer_digest = r->digest;
        p->layer_diff_id = r->diff_id;
    }
    r->failed = failed;
    pthread_mutex_lock(&b->mu);
    b->warnings += failed;
    b->recs = vg_vec_grow(b->recs, &b->cap, b->nrecs, 1, sizeof(*b->recs));
    b->recs[b->nrecs++] = *r;
    pthread_mutex_unlock(&b->mu);
}

static vg_inv_parse_fn
parser_for(const struct vg_inventory_builder *b, enum inv_an an)
{
    if (b->opts.source_tree && (an == AN_NPM_LOCK || an == AN_COMPOSER)) {
        return an == AN_NPM_LOCK ? vg_inv_parse_npm_lock_prod : vg_inv_parse_composer_prod;
    }
    switch (an) {
    case AN_DPKG:
    case AN_DPKG_STATUSD:
        return vg_inv_parse_dpkg_status;
    case AN_APK:
        return vg_inv_parse_apk;
    case AN_RPM:
        return vg_inv_parse_rpmdb;
    case AN_PYTHON:
        return vg_inv_parse_python_metadata;
    case AN_NPM_PKG:
        return vg_inv_parse_npm_package_json;
    case AN_NPM_LOCK:
        return vg_inv_parse_npm_lock;
    case AN_YARN:
        return vg_inv_parse_yarn_lock;
    case AN_PNPM:
        return vg_inv_parse_pnpm_lock;
    case AN_CARGO:
        return vg_inv_parse_cargo_lock;
    case AN_GEM:
        return vg_inv_parse_gemspec;
    case AN_COMPOSER:
        return vg_inv_parse_composer;
    case AN_JAR:
        return vg_inv_parse_jar;
    case AN_EGG:
        return vg_inv_parse_egg;
    case AN_PIP:
        return vg_inv_parse_requirements;
    case AN_PIPENV:
        return vg_inv_parse_pipfile_lock;
    case AN_POETRY:
        return vg_inv_parse_poetry_lock;
    case AN_UV:
        return vg_inv_parse_uv_lock;
    case AN_GOMOD:
        return vg_inv_parse_gomod;
    case AN_BUNDLER:
        return vg_inv_parse_gemfile_lock;
    case AN_POM:
        return vg_inv_parse_pom;
    case AN_GRADLE:
        return vg_inv_parse_gradle_lock;
    case AN_NUGET:
        return vg_inv_parse_nuget_lock;
    default:
        return NULL;
    }
}

/* In a source tree each node lock file is its own target type, as Trivy's fs reports them
 * (in an image they are all "node" packages, shadowed by node_modules). */
static void
source_kinds(struct inv_rec *r)
{
    const char *kind = r->an == AN_NPM_LOCK ? "npm"
                       : r->an == AN_YARN   ? "yarn"
                       : r->an == AN_PNPM   ? "pnpm"
                                            : NULL;
    for (size_t i = 0; kind && i < r->pkgs.n; i++) {
        free(r->pkgs.v[i].kind);
        r->pkgs.v[i].kind = vg_strdup(kind);
    }
}

static void
warn_skip(const char *path, size_t layer, struct vg_err **err)
{
    vg_autofree char *m = vg_err_format(*err);
    vg_autofree char *p = vg_escape(path, strlen(path), 512);
    VG_WARN("inventory", "skipping %s (layer %zu): %s", p, layer, m);
    vg_err_free(err);
}

static int
inv_on_file(void *ctx, const struct vg_layer_file *f, const uint8_t *data, size_t len,
            struct vg_err **err)
{
    (void)err; /* a bad file is skipped with a warning; it never aborts the walk */
    struct vg_inventory_builder *b = ctx;
    struct inv_rec r = {.an = doc_link(f) ? AN_DPKG_DOCLINK : classify(b, f->path)};
    struct vg_err *perr = NULL;
    bool failed = false;
    if (!data && len == 0 && f->size > 0 && r.an != AN_DPKG_DOCLINK) {
        return 0; /* the walker skipped it (over max_file_bytes) and warned */
    }
    if (r.an == AN_DPKG_DOCLINK) {
        r.data = (uint8_t *)vg_strdup(f->linkname);
        r.len = strlen(f->linkname);
    } else if (r.an == AN_OS) {
        if (len <= VG_INV_MAX_OS_FILE_BYTES) {
            r.data = vg_memdup(data ? data : (const uint8_t *)"", len);
            r.len = len;
        }
    } else if (r.an == AN_DPKG_COPYRIGHT) {
        failed = vg_inv_parse_dpkg_copyright(&r.files, &r.nfiles, data, len, &perr) < 0;
    } else if (r.an == AN_DPKG_LIST || r.an == AN_DPKG_MD5) {
        failed = vg_inv_parse_dpkg_filelist(&r.files, &r.nfiles, data, len, r.an == AN_DPKG_MD5,
                                            &perr) < 0;
    } else if (parser_for(b, r.an)) {
        failed = parser_for(b, r.an)(&r.pkgs, f->path, data ? data : (const uint8_t *)"", len,
                                     &perr) < 0;
    }
    if (failed) {
        warn_skip(f->path, f->layer_index, &perr);
    }
    if (b->opts.source_tree) {
        source_kinds(&r);
    }
    add_rec(b, &r, f, failed);
    return 0;
}

static int
inv_on_chunk(void *ctx, const struct vg_layer_file *f, const uint8_t *data, size_t len,
             struct vg_err **err)
{
    (void)err;
    struct vg_inventory_builder *b = ctx;
    if (f->layer_index >= VG_LIMIT_LAYERS) {
        return 0;
    }
    struct bin_stream **slot = &b->streams[f->layer_index];
    if (data) {
        if (!*slot) {
            *slot = vg_calloc(1, sizeof(**slot));
            (*slot)->go = vg_inv_gostream_new();
            (*slot)->rust = vg_inv_ruststream_new();
            (*slot)->go_live = (*slot)->rust_live = true;
        }
        struct bin_stream *s = *slot;
        s->go_live = s->go_live && vg_inv_gostream_feed(s->go, data, len);
        s->rust_live = s->rust_live && vg_inv_ruststream_feed(s->rust, data, len);
        return 0;
    }
    if (!*slot) {
        return 0;
    }
    struct inv_rec r = {.an = AN_GO};
    struct vg_err *perr = NULL;
    bool failed = vg_inv_gostream_finish((*slot)->go, &r.pkgs, f->path, &perr) < 0;
    if (failed) {
        warn_skip(f->path, f->layer_index, &perr);
    }
    bool rfailed = vg_inv_ruststream_finish((*slot)->rust, &r.pkgs, f->path, &perr) < 0;
    if (rfailed) {
        warn_skip(f->path, f->layer_index, &perr);
    }
    bin_stream_free(*slot);
    *slot = NULL;
    if (failed || rfailed || r.pkgs.n > 0) {
        add_rec(b, &r, f, failed || rfailed);
    } else {
        vg_pkg_list_dispose(&r.pkgs);
    }
    return 0;
}

struct vg_inventory_builder *
vg_inventory_builder_new(const struct vg_inventory_opts *opts)
{
    struct vg_inventory_builder *b = vg_calloc(1, sizeof(*b));
    struct vg_inventory_opts def = VG_INVENTORY_OPTS_INIT;
    b->opts = opts ? *opts : def;
    pthread_mutex_init(&b->mu, NULL);
    b->cons = (struct vg_layer_consumer){
        .name = "inventory",
        .ctx = b,
        .max_file_bytes = VG_LIMIT_ANALYZER_FILE_BYTES,
        .want = inv_want,
        .on_file = inv_on_file,
        .on_chunk = inv_on_chunk,
    };
    b->jar_cons = b->cons;
    b->jar_cons.name = "inventory-archives";
    b->jar_cons.max_file_bytes = VG_INV_MAX_JAR_FILE_BYTES;
    b->jar_cons.want = inv_want_archive;
    b->jar_cons.on_chunk = NULL;
    b->consp[0] = &b->cons;
    b->consp[1] = &b->jar_cons;
    return b;
}

struct vg_layer_consumer *const *
vg_inventory_builder_consumers(struct vg_inventory_builder *b, size_t *n)
{
    *n = VG_ARRAY_LEN(b->consp);
    return b->consp;
}

void
vg_inventory_builder_free(struct vg_inventory_builder *b)
{
    if (!b) {
        return;
    }
    for (size_t i = 0; i < b->nrecs; i++) {
        vg_inv_rec_dispose(&b->recs[i]);
    }
    free(b->recs);
    for (size_t i = 0; i < VG_LIMIT_LAYERS; i++) {
        bin_stream_free(b->streams[i]);
    }
    pthread_mutex_destroy(&b->mu);
    free(b);
}

/* ---------------------------------------------------------------- finish */

struct attr {
    char *key; /* "path\nname\nversion" */
    const struct inv_rec *rec;
};

static int
attr_cmp(const void *a, const void *b)
{
    const struct attr *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c) {
        return c;
    }
    return x->rec->layer < y->rec->layer ? -1 : x->rec->layer > y->rec->layer;
}

static char *
attr_key(const char *path, const struct vg_pkg *p)
{
    return vg_fmt("%s\n%s\n%s", path, p->name, p->version ? p->version : "");
}

struct attr_table {
    struct attr *v;
    size_t n;
};

static void
attr_build(struct attr_table *t, const struct vg_inventory_builder *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->nrecs; i++) {
        n += is_os_an(b->recs[i].an) ? b->recs[i].pkgs.n : 0;
    }
    t->v = vg_calloc(n ? n : 1, sizeof(*t->v));
    t->n = 0;
    for (size_t i = 0; i < b->nrecs; i++) {
        const struct inv_rec *r = &b->recs[i];
        for (size_t k = 0; is_os_an(r->an) && k < r->pkgs.n; k++) {
            t->v[t->n++] = (struct attr){attr_key(r->path, &r->pkgs.v[k]), r};
        }
    }
    vg_qsort(t->v, t->n, sizeof(*t->v), attr_cmp);
}

/* The earliest layer whose copy of this database already listed the package. */
static const struct inv_rec *
attr_first(const struct attr_table *t, const char *path, const struct vg_pkg *p)
{
    vg_autofree char *key = attr_key(path, p);
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->v[mid].key, key) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < t->n && strcmp(t->v[lo].key, key) == 0 ? t->v[lo].rec : NULL;
}

static void
attr_free(struct attr_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].key);
    }
    free(t->v);
}

/* info/<name>[:arch].list -> the dpkg package it belongs to. */
static void
attach_dpkg_files(struct vg_pkg_list *out, struct inv_rec *r)
{
    const char *base = base_name(r->path);
    size_t n = strlen(base) - (r->an == AN_DPKG_LIST ? 5 : 8);
    const char *colon = memchr(base, ':', n);
    struct vg_str name = {base, colon ? (size_t)(colon - base) : n};
    struct vg_str arch = colon ? (struct vg_str){colon + 1, n - name.len - 1} : VG_STR_NULL;
    for (size_t i = 0; i < out->n; i++) {
        struct vg_pkg *p = &out->v[i];
        if (strcmp(p->kind, "dpkg") != 0 || !vg_str_eq_c(name, p->name) ||
            (arch.len && p->arch && !vg_str_eq_c(arch, p->arch)) || p->nfiles) {
            continue;
        }
        p->files = r->files;
        p->nfiles = r->nfiles;
        r->files = NULL;
        r->nfiles = 0;
        return;
    }
}

/* usr/share/doc/<name>/copyright -> licenses of every dpkg package <name> (all
 * architectures) that has none yet. */
static void
attach_dpkg_licenses(struct vg_pkg_list *out, const struct inv_rec *r, struct vg_str name)
{
    for (size_t i = 0; i < out->n; i++) {
        struct vg_pkg *p = &out->v[i];
        if (strcmp(p->kind, "dpkg") != 0 || p->nlicenses || !vg_str_eq_c(name, p->name)) {
            continue;
        }
        for (size_t k = 0; k < r->nfiles; k++) {
            vg_pkg_add_license(p, r->files[k], strlen(r->files[k]));
        }
    }
}

static const struct inv_rec *
copyright_of(const struct vg_inventory_builder *b, const bool *present, const char *dir,
             size_t dirlen)
{
    for (size_t i = 0; i < b->nrecs; i++) {
        const struct inv_rec *r = &b->recs[i];
        const char *d = r->path + strlen("usr/share/doc/");
        if (present[i] && r->an == AN_DPKG_COPYRIGHT && strncmp(d, dir, dirlen) == 0 &&
            d[dirlen] == '/') {
            return r;
        }
    }
    return NULL;
}

static void
attach_all_licenses(struct vg_pkg_list *all, const struct vg_inventory_builder *b,
                    const bool *present)
{
    for (size_t i = 0; i < b->nrecs; i++) {
        const struct inv_rec *r = &b->recs[i];
        if (present[i] && r->an == AN_DPKG_COPYRIGHT && r->nfiles) {
            const char *dir = r->path + strlen("usr/share/doc/");
            attach_dpkg_licenses(all, r, (struct vg_str){dir, strcspn(dir, "/")});
        }
    }
    for (size_t i = 0; i < b->nrecs; i++) {
        const struct inv_rec *r = &b->recs[i];
        if (!present[i] || r->an != AN_DPKG_DOCLINK) {
            continue;
        }
        const struct inv_rec *c = copyright_of(b, present, (const char *)r->data, r->len);
        if (c && c->nfiles) {
            attach_dpkg_licenses(all, c, vg_str_c(base_name(r->path)));
        }
    }
}

static void
drop_owned_lang(struct vg_pkg_list *out)
{
    struct vg_inv_strset owned = {0};
    for (size_t i = 0; i < out->n; i++) {
        for (size_t k = 0; out->v[i].type == VG_PKG_OS && k < out->v[i].nfiles; k++) {
            vg_inv_strset_add(&owned, vg_str_c(out->v[i].files[k]), VG_STR_NULL);
        }
    }
    size_t w = 0;
    for (size_t i = 0; i < out->n; i++) {
        struct vg_pkg *p = &out->v[i];
        if (p->type == VG_PKG_LIBRARY && p->path &&
            vg_inv_strset_has(&owned, vg_str_c(p->path), VG_STR_NULL)) {
            vg_pkg_dispose(p);
            continue;
        }
        out->v[w++] = *p;
    }
    out->n = w;
    vg_inv_strset_dispose(&owned);
}

static int
strcmp0(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int
pkg_cmp(const void *a, const void *b)
{
    const struct vg_pkg *x = a, *y = b;
    int c;
    if (x->type != y->type) {
        return x->type == VG_PKG_OS ? -1 : 1;
    }
    if ((c = strcmp0(x->kind, y->kind)) || (c = strcmp0(x->name, y->name)) ||
        (c = strcmp0(x->version, y->version)) || (c = strcmp0(x->path, y->path))) {
        return c;
    }
    return x->layer_index < y->layer_index ? -1 : x->layer_index > y->layer_index;
}

static bool
is_lock_an(enum inv_an an)
{
    return an == AN_NPM_LOCK || an == AN_YARN || an == AN_PNPM;
}

/* A lock file describes what would be installed; node_modules what is. When the lock's
 * directory has installed packages (node_modules/<pkg>/package.json surviving in the final
 * filesystem) those are reported and the lock is ignored, so no package appears twice and dev
 * dependencies left out by `npm ci --omit=dev` are not reported. A lock without node_modules
 * (an unbuilt app) is still reported. */
static void
drop_shadowed_locks(const struct vg_inventory_builder *b, bool *present)
{
    struct vg_inv_strset installed = {0};
    for (size_t i = 0; i < b->nrecs; i++) {
        const struct inv_rec *r = &b->recs[i];
        const char *nm =
            present[i] && r->an == AN_NPM_PKG ? strstr(r->path, "node_modules/") : NULL;
        if (nm && (nm == r->path || nm[-1] == '/')) {
            vg_inv_strset_add(&installed, (struct vg_str){r->path, (size_t)(nm - r->path)},
                              VG_STR_NULL);
        }
    }
    for (size_t i = 0; installed.n && i < b->nrecs; i++) {
        const struct inv_rec *r = &b->recs[i];
        if (present[i] && is_lock_an(r->an) &&
            vg_inv_strset_has(&installed,
                              (struct vg_str){r->path, (size_t)(base_name(r->path) - r->path)},
                              VG_STR_NULL)) {
            present[i] = false;
        }
    }
    vg_inv_strset_dispose(&installed);
}

static void
detect_os(struct vg_os_info *os, const struct vg_inventory_builder *b, const bool *present)
{
    struct vg_inv_os_file files[32];
    size_t n = 0;
    bool statusd = false;
    for (size_t i = 0; i < b->nrecs; i++) {
        const struct inv_rec *r = &b->recs[i];
        statusd |= present[i] && r->an == AN_DPKG_STATUSD;
        if (present[i] && r->an == AN_OS && r->data && n < VG_ARRAY_LEN(files)) {
            files[n++] = (struct vg_inv_os_file){r->path, r->data, r->len};
        }
    }
    vg_inv_os_detect(os, files, n, statusd);
}

int
vg_inventory_builder_finish(struct vg_inventory **out, struct vg_inventory_builder *b,
                            const struct vg_layers_result *layers, struct vg_err **err)
{
    (void)err;
    vg_autofree bool *present = vg_calloc(b->nrecs ? b->nrecs : 1, sizeof(bool));
    for (size_t i = 0; i < b->nrecs; i++) {
        present[i] = !layers || vg_layers_result_present(layers, b->recs[i].path, b->recs[i].layer);
    }
    struct vg_inventory *inv = vg_calloc(1, sizeof(*inv));
    inv->warnings = b->warnings;
    detect_os(&inv->os, b, present);
    drop_shadowed_locks(b, present);
    struct attr_table at;
    attr_build(&at, b);
    struct vg_pkg_list all = {0};
    for (size_t i = 0; i < b->nrecs; i++) {
        struct inv_rec *r = &b->recs[i];
        for (size_t k = 0; present[i] && k < r->pkgs.n; k++) {
            struct vg_pkg *p = &r->pkgs.v[k];
            const struct inv_rec *first = is_os_an(r->an) ? attr_first(&at, r->path, p) : NULL;
            if (first) {
                p->layer_index = first->layer;
                p->layer_digest = first->digest;
                p->layer_diff_id = first->diff_id;
            }
        }
        if (present[i]) {
            vg_pkg_list_move(&all, &r->pkgs);
        }
    }
    attr_free(&at);
    for (size_t i = 0; i < b->nrecs; i++) {
        if (present[i] && (b->recs[i].an == AN_DPKG_LIST || b->recs[i].an == AN_DPKG_MD5)) {
            attach_dpkg_files(&all, &b->recs[i]);
        }
    }
    attach_all_licenses(&all, b, present);
    drop_owned_lang(&all);
    for (size_t i = 0; i < all.n; i++) {
        vg_inv_pkg_finalize(&all.v[i], &inv->os);
    }
    if (all.n) {
        vg_qsort(all.v, all.n, sizeof(*all.v), pkg_cmp);
    }
    inv->pkgs = all.v;
    inv->npkgs = all.n;
    *out = inv;
    return 0;
}

int
vg_inventory_of_image(struct vg_inventory **out, struct vg_oci_image *img,
                      const struct vg_inventory_opts *opts, struct vg_err **err)
{
    struct vg_inventory_builder *b = vg_inventory_builder_new(opts);
    struct vg_layers_result *res = NULL;
    struct vg_layers_opts lo = VG_LAYERS_OPTS_INIT;
    size_t n;
    struct vg_layer_consumer *const *c = vg_inventory_builder_consumers(b, &n);
    int rc = vg_layers_walk(&res, img, c, n, &lo, err);
    if (rc == 0) {
        rc = vg_inventory_builder_finish(out, b, res, err);
    }
    vg_layers_result_free(res);
    vg_inventory_builder_free(b);
    return rc;
}
