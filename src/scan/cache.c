/* SPDX-License-Identifier: Apache-2.0
 *
 * The analysis cache: what the layer walk found (inventory, secrets, model-file findings,
 * layer-file configuration findings) stored as JSON under $XDG_CACHE_HOME/vigil/scan/, keyed
 * by a hash of the image manifest digest (which pins every layer digest) and the options that
 * change the walk. A rescan of an unchanged image then skips the walk entirely and only
 * re-matches against the (possibly newer) vulnerability database. Entries are written
 * atomically (temp file + rename), so concurrent scans never read a torn entry; a corrupt or
 * foreign entry is ignored and rewritten.
 */
#include "scan.h"
#include "scan_int.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#define CACHE_FORMAT    2
#define CACHE_MAX_BYTES (512u * 1024u * 1024u)

static json_t *
strv(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_string(v[i]));
    }
    return a;
}

static char **
strv_back(json_t *a, size_t *n)
{
    *n = json_array_size(a);
    char **v = vg_calloc(*n ? *n : 1, sizeof(char *));
    for (size_t i = 0; i < *n; i++) {
        v[i] = vg_strdup(
            json_string_value(json_array_get(a, i)) ? json_string_value(json_array_get(a, i)) : "");
    }
    return v;
}

static void
set_digest(json_t *o, const char *k, const struct vg_digest *d)
{
    if (d->alg) {
        vg_json_set_str(o, k, d->text);
    }
}

static void
get_digest(json_t *o, const char *k, struct vg_digest *d)
{
    const char *s = vg_json_str(o, k);
    if (!s || vg_digest_parse(d, s, NULL) < 0) {
        memset(d, 0, sizeof(*d));
    }
}

static char *
dup_str(json_t *o, const char *k)
{
    return vg_strdup(vg_json_str(o, k));
}

static json_t *
pkg_out(const struct vg_pkg *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_integer(p->type));
    vg_json_set_str(o, "ecosystem", p->ecosystem);
    vg_json_set_str(o, "kind", p->kind);
    vg_json_set_str(o, "name", p->name);
    vg_json_set_str(o, "version", p->version);
    vg_json_set_str(o, "src_name", p->src_name);
    vg_json_set_str(o, "src_version", p->src_version);
    vg_json_set_str(o, "arch", p->arch);
    vg_json_set_str(o, "purl", p->purl);
    vg_json_set_str(o, "path", p->path);
    vg_json_set_str(o, "modularity_label", p->modularity_label);
    json_object_set_new(o, "licenses", strv(p->licenses, p->nlicenses));
    json_object_set_new(o, "files", strv(p->files, p->nfiles));
    json_object_set_new(o, "layer_index", json_integer((json_int_t)p->layer_index));
    set_digest(o, "layer_digest", &p->layer_digest);
    set_digest(o, "layer_diff_id", &p->layer_diff_id);
    return o;
}

static void
pkg_in(struct vg_pkg *p, json_t *o)
{
    memset(p, 0, sizeof(*p));
    p->type = (enum vg_pkg_type)json_integer_value(json_object_get(o, "type"));
    p->ecosystem = dup_str(o, "ecosystem");
    p->kind = dup_str(o, "kind");
    p->name = dup_str(o, "name");
    p->version = dup_str(o, "version");
    p->src_name = dup_str(o, "src_name");
    p->src_version = dup_str(o, "src_version");
    p->arch = dup_str(o, "arch");
    p->purl = dup_str(o, "purl");
    p->path = dup_str(o, "path");
    p->modularity_label = dup_str(o, "modularity_label");
    p->licenses = strv_back(json_object_get(o, "licenses"), &p->nlicenses);
    p->files = strv_back(json_object_get(o, "files"), &p->nfiles);
    if (!p->nfiles) {
        free(p->files);
        p->files = NULL;
    }
    p->layer_index = (size_t)json_integer_value(json_object_get(o, "layer_index"));
    get_digest(o, "layer_digest", &p->layer_digest);
    get_digest(o, "layer_diff_id", &p->layer_diff_id);
}

/* ---------------------------------------------------------------- keys */

/* Each field is hashed with its length in front, so no field can run into the next one and
 * no option can be silently cut off (the key is streamed, never built in a bounded buffer). */
static void
key_field(struct vg_hasher *h, const char *s)
{
    uint64_t n = s ? (uint64_t)strlen(s) : UINT64_MAX;
    vg_hasher_update(h, &n, sizeof(n));
    if (s) {
        vg_hasher_update(h, s, strlen(s));
    }
}

char *
vg_scan_cache_key(const struct vg_digest *manifest, const struct vg_scan_opts *o)
{
    struct vg_hasher *h = vg_hasher_new(VG_DIGEST_SHA256);
    vg_autofree char *head = vg_fmt("%s|%u|%d%d", manifest->text,
                                    o->scanners ? o->scanners : (unsigned)VG_SCANNER_DEFAULT,
                                    o->inv.os_pkgs, o->inv.lib_pkgs);
    key_field(h, head);
    key_field(h, o->secret_config);
    uint64_t counts[2] = {o->inv.nskip_dirs, o->inv.nskip_files};
    vg_hasher_update(h, counts, sizeof(counts));
    for (size_t i = 0; i < o->inv.nskip_dirs; i++) {
        key_field(h, o->inv.skip_dirs[i]);
    }
    for (size_t i = 0; i < o->inv.nskip_files; i++) {
        key_field(h, o->inv.skip_files[i]);
    }
    struct vg_digest d;
    vg_hasher_final(h, &d);
    vg_hasher_free(h);
    return vg_strdup(vg_digest_hex(&d));
}

char *
vg_scan_inventory_cache_key(const struct vg_digest *manifest, const struct vg_inventory_opts *inv)
{
    struct vg_hasher *h = vg_hasher_new(VG_DIGEST_SHA256);
    vg_autofree char *head =
        vg_fmt("inventory|%s|%s|%d%d", VG_VERSION, manifest->text, inv->os_pkgs, inv->lib_pkgs);
    key_field(h, head);
    uint64_t counts[2] = {inv->nskip_dirs, inv->nskip_files};
    vg_hasher_update(h, counts, sizeof(counts));
    for (size_t i = 0; i < inv->nskip_dirs; i++) {
        key_field(h, inv->skip_dirs[i]);
    }
    for (size_t i = 0; i < inv->nskip_files; i++) {
        key_field(h, inv->skip_files[i]);
    }
    struct vg_digest d;
    vg_hasher_final(h, &d);
    vg_hasher_free(h);
    return vg_strdup(vg_digest_hex(&d));
}

/* A hit makes its entry the most recently used one for vg_scan_cache_trim. */
static void
touch(const char *path)
{
    (void)utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW);
}

void
vg_scan_cache_enforce(const struct vg_scan_cache_limits *lim)
{
    if (!lim->max_bytes && !lim->max_age_s) {
        return;
    }
    vg_autofree char *dir = vg_cache_dir();
    struct vg_scan_cache_trim_stats st;
    struct vg_err *err = NULL;
    if (vg_scan_cache_trim(dir, lim, vg_now_unix(), &st, &err) < 0) {
        char *m = vg_err_format(err);
        VG_DEBUG("scan", "analysis cache not trimmed: %s", m);
        free(m);
        vg_err_free(&err);
        return;
    }
    if (st.removed) {
        VG_DEBUG("scan", "analysis cache: removed %llu entr%s (%llu bytes); %llu left (%llu bytes)",
                 (unsigned long long)st.removed, st.removed == 1 ? "y" : "ies",
                 (unsigned long long)st.removed_bytes, (unsigned long long)st.entries,
                 (unsigned long long)st.bytes);
    }
}

static char *
path_for(const char *key)
{
    vg_autofree char *dir = vg_cache_dir();
    return vg_fmt("%s/scan/%s.json", dir, key);
}

/* Writes text to the cache file path (best effort: the cache is an optimisation). */
static void
write_entry(const char *path, const char *text)
{
    vg_autofree char *dir = vg_strdup(path);
    *strrchr(dir, '/') = '\0';
    struct vg_err *err = NULL;
    if (vg_mkdir_p(dir, 0700, &err) < 0 ||
        vg_file_write_atomic(path, text, strlen(text), 0600, &err) < 0) {
        char *m = vg_err_format(err);
        VG_DEBUG("scan", "analysis cache not written: %s", m);
        free(m);
        vg_err_free(&err);
    }
}

/* ---------------------------------------------------------------- inventory entries
 *
 * The inventory of an image (what `vigil sbom` writes and what scan matches), stored apart
 * from the scan's findings under inventory/KEY.json, KEY over the manifest digest and the
 * inventory options only: a scan and an sbom of the same image share it. */

static bool all_objects(const json_t *a, const char *const *strs, size_t nstrs);

/* Absent, or an array of strings. */
static bool
all_strings(const json_t *a)
{
    if (!a) {
        return true;
    }
    if (!json_is_array(a)) {
        return false;
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        if (!json_is_string(json_array_get(a, i))) {
            return false;
        }
    }
    return true;
}

static char *
inv_path_for(const char *key)
{
    vg_autofree char *dir = vg_cache_dir();
    return vg_fmt("%s/inventory/%s.json", dir, key);
}

static json_t *
inventory_doc(const struct vg_inventory *inv, const char *key)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "format", json_integer(CACHE_FORMAT));
    vg_json_set_str(doc, "vigil", VG_VERSION);
    vg_json_set_str(doc, "key", key);
    vg_json_set_str(doc, "os_family", inv->os.family);
    vg_json_set_str(doc, "os_name", inv->os.name);
    vg_json_set_str(doc, "os_version", inv->os.version);
    vg_json_set_str(doc, "os_version_full", inv->os.version_id_full);
    json_object_set_new(doc, "os_eosl", json_boolean(inv->os.eosl));
    json_object_set_new(doc, "warnings", json_integer((json_int_t)inv->warnings));
    json_t *pk = json_array();
    for (size_t i = 0; i < inv->npkgs; i++) {
        json_array_append_new(pk, pkg_out(&inv->pkgs[i]));
    }
    json_object_set_new(doc, "pkgs", pk);
    return doc;
}

void
vg_scan_inventory_cache_store(const struct vg_inventory *inv, const char *key)
{
    json_t *doc = inventory_doc(inv, key);
    char *text = vg_json_dump(doc, false);
    json_decref(doc);
    if (!text) {
        VG_DEBUG("scan", "inventory not cached (not representable as JSON text)");
        return;
    }
    vg_autofree char *path = inv_path_for(key);
    write_entry(path, text);
    free(text);
}

int
vg_scan_inventory_cache_load(struct vg_inventory **out, const char *key)
{
    vg_autofree char *path = inv_path_for(key);
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(CACHE_MAX_BYTES);
    if (vg_file_read(&raw, path, CACHE_MAX_BYTES, NULL) < 0 ||
        vg_scan_inventory_cache_parse(out, raw.data, raw.len, key) < 0) {
        return -1;
    }
    touch(path);
    return 0;
}

int
vg_scan_inventory_cache_parse(struct vg_inventory **out, const void *data, size_t len,
                              const char *key)
{
    static const char *const pstr[] = {
        "ecosystem", "kind", "name", "version",          "src_name",     "src_version",
        "arch",      "purl", "path", "modularity_label", "layer_digest", "layer_diff_id"};
    vg_autojson json_t *doc = NULL;
    if (vg_json_parse(&doc, data, len, CACHE_MAX_BYTES, "inventory cache", NULL) < 0 ||
        json_integer_value(json_object_get(doc, "format")) != CACHE_FORMAT ||
        !vg_json_str(doc, "vigil") || strcmp(vg_json_str(doc, "vigil"), VG_VERSION) != 0 ||
        !vg_json_str(doc, "key") || strcmp(vg_json_str(doc, "key"), key) != 0) {
        return -1;
    }
    json_t *pk = json_object_get(doc, "pkgs");
    if (!all_objects(pk, pstr, VG_ARRAY_LEN(pstr))) {
        return -1;
    }
    for (size_t i = 0; i < json_array_size(pk); i++) {
        json_t *o = json_array_get(pk, i);
        if (!json_is_string(json_object_get(o, "kind")) ||
            !json_is_string(json_object_get(o, "name")) ||
            !json_is_integer(json_object_get(o, "type")) ||
            (json_integer_value(json_object_get(o, "type")) != VG_PKG_OS &&
             json_integer_value(json_object_get(o, "type")) != VG_PKG_LIBRARY) ||
            !all_strings(json_object_get(o, "licenses")) ||
            !all_strings(json_object_get(o, "files"))) {
            return -1;
        }
    }
    struct vg_inventory *inv = vg_calloc(1, sizeof(*inv));
    inv->os.family = dup_str(doc, "os_family");
    inv->os.name = dup_str(doc, "os_name");
    inv->os.version = dup_str(doc, "os_version");
    inv->os.version_id_full = dup_str(doc, "os_version_full");
    inv->os.eosl = json_is_true(json_object_get(doc, "os_eosl"));
    inv->warnings = (size_t)json_integer_value(json_object_get(doc, "warnings"));
    inv->npkgs = json_array_size(pk);
    inv->pkgs = vg_calloc(inv->npkgs ? inv->npkgs : 1, sizeof(struct vg_pkg));
    for (size_t i = 0; i < inv->npkgs; i++) {
        pkg_in(&inv->pkgs[i], json_array_get(pk, i));
    }
    *out = inv;
    return 0;
}

/* What the walk found besides the inventory: secrets, model and layer-file findings. */
static json_t *
findings_doc(const struct vg_scan_report *r, bool has_inv)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "format", json_integer(CACHE_FORMAT));
    vg_json_set_str(doc, "vigil", VG_VERSION);
    json_object_set_new(doc, "inventory", json_boolean(has_inv));
    json_t *secrets = json_array();
    for (size_t i = 0; i < r->nsecrets; i++) {
        const struct vg_secret_finding *f = &r->secrets[i].f;
        json_array_append_new(
            secrets,
            json_pack("{s:s?,s:s?,s:s?,s:i,s:s?,s:I,s:I,s:I,s:s?,s:s?,s:I}", "rule_id", f->rule_id,
                      "category", f->category, "title", f->title, "severity", (int)f->severity,
                      "path", f->path, "start_line", (json_int_t)f->start_line, "end_line",
                      (json_int_t)f->end_line, "offset", (json_int_t)f->offset, "secret", f->secret,
                      "match", f->match, "layer", (json_int_t)r->secrets[i].layer));
    }
    json_object_set_new(doc, "secrets", secrets);
    json_t *models = json_array();
    for (size_t i = 0; i < r->nmodels; i++) {
        const struct vg_model_finding *f = &r->models[i].f;
        json_array_append_new(models,
                              json_pack("{s:s,s:i,s:s?,s:s?,s:s?,s:I,s:I}", "id", f->id, "severity",
                                        (int)f->severity, "title", f->title, "message", f->message,
                                        "path", f->path, "offset", (json_int_t)f->offset, "layer",
                                        (json_int_t)r->models[i].layer));
    }
    json_object_set_new(doc, "models", models);
    json_t *configs = json_array();
    for (size_t i = 0; i < r->nconfigs; i++) {
        json_array_append_new(configs, json_pack("{s:s,s:s?}", "id", r->configs[i].id, "message",
                                                 r->configs[i].message));
    }
    json_object_set_new(doc, "configs", configs);
    return doc;
}

void
vg_scan_cache_store(const struct vg_scan_report *r, const char *key, const char *inv_key)
{
    json_t *doc = findings_doc(r, r->inv && inv_key);
    char *text = vg_json_dump(doc, false);
    json_decref(doc);
    if (r->inv && inv_key) {
        vg_scan_inventory_cache_store(r->inv, inv_key);
    }
    vg_autofree char *path = path_for(key);
    if (text) {
        write_entry(path, text);
    }
    free(text);
}

/* Every object of array a (absent: none) has a string at each of keys. */
static bool
has_strings(const json_t *a, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < json_array_size(a); i++) {
        for (size_t k = 0; k < n; k++) {
            if (!json_is_string(json_object_get(json_array_get(a, i), keys[k]))) {
                return false;
            }
        }
    }
    return true;
}

/* What every finding has (the report writers group findings by path): a secret its rule and
 * path, a model finding its id and path. */
static bool
findings_complete(const json_t *sec, const json_t *mod)
{
    static const char *const sreq[] = {"rule_id", "path"};
    static const char *const mreq[] = {"id", "path"};
    return has_strings(sec, sreq, VG_ARRAY_LEN(sreq)) && has_strings(mod, mreq, VG_ARRAY_LEN(mreq));
}

/* The findings arrays hold objects whose text fields are strings (or null) when present, as
 * vg_scan_cache_store writes them, with findings_complete; anything else is a foreign or
 * damaged entry. */
static bool
findings_shape_ok(const json_t *doc)
{
    static const char *const sstr[] = {"rule_id", "category", "title", "path", "secret", "match"};
    static const char *const mstr[] = {"id", "title", "message", "path"};
    static const char *const cstr[] = {"id", "message"};
    const json_t *sec = json_object_get(doc, "secrets"), *mod = json_object_get(doc, "models");
    const json_t *cfg = json_object_get(doc, "configs");
    return (!sec || all_objects(sec, sstr, VG_ARRAY_LEN(sstr))) &&
           (!mod || all_objects(mod, mstr, VG_ARRAY_LEN(mstr))) &&
           (!cfg || all_objects(cfg, cstr, VG_ARRAY_LEN(cstr))) && findings_complete(sec, mod);
}

/* The saved analysis: the findings document (its "inventory" false) with the inventory inside
 * as "packages", an inventory entry keyed SAVED_KEY. */
#define SAVED_KEY "saved-analysis"

char *
vg_scan_report_analysis(const struct vg_scan_report *r)
{
    json_t *doc = findings_doc(r, false);
    if (r->inv) {
        json_object_set_new(doc, "packages", inventory_doc(r->inv, SAVED_KEY));
    }
    char *text = vg_json_dump(doc, false);
    json_decref(doc);
    return text;
}

int
vg_scan_analysis_restore(struct vg_scan_report *r, const void *data, size_t len,
                         struct vg_err **err)
{
    vg_autojson json_t *doc = NULL;
    if (vg_json_parse(&doc, data, len, CACHE_MAX_BYTES, "saved analysis", err) < 0) {
        return -1;
    }
    json_t *pk = json_object_get(doc, "packages");
    vg_autofree char *pk_text = json_is_object(pk) ? vg_json_dump(pk, false) : NULL;
    if ((pk && (!pk_text ||
                vg_scan_inventory_cache_parse(&r->inv, pk_text, strlen(pk_text), SAVED_KEY) < 0)) ||
        vg_scan_cache_parse(r, data, len, NULL) < 0) {
        return vg_err_set(err, VG_E_PARSE,
                          "saved analysis: not a format %d analysis of vigil " VG_VERSION,
                          CACHE_FORMAT);
    }
    return 0;
}

int
vg_scan_cache_load(struct vg_scan_report *r, const char *key, const char *inv_key)
{
    vg_autofree char *path = path_for(key);
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(CACHE_MAX_BYTES);
    if (vg_file_read(&raw, path, CACHE_MAX_BYTES, NULL) < 0 ||
        vg_scan_cache_parse(r, raw.data, raw.len, inv_key) < 0) {
        return -1;
    }
    touch(path);
    return 0;
}

int
vg_scan_cache_parse(struct vg_scan_report *r, const void *data, size_t len, const char *inv_key)
{
    vg_autojson json_t *doc = NULL;
    if (vg_json_parse(&doc, data, len, CACHE_MAX_BYTES, "cache", NULL) < 0) {
        return -1;
    }
    json_t *fmt = json_object_get(doc, "format");
    const char *ver = vg_json_str(doc, "vigil");
    if (!json_is_integer(fmt) || json_integer_value(fmt) != CACHE_FORMAT || !ver ||
        strcmp(ver, VG_VERSION) != 0 || !findings_shape_ok(doc)) {
        return -1;
    }
    bool has_inv = json_is_true(json_object_get(doc, "inventory"));
    if (has_inv && (!inv_key || vg_scan_inventory_cache_load(&r->inv, inv_key) < 0)) {
        return -1; /* the inventory entry was evicted or is stale: walk again */
    }
    json_t *a = vg_json_arr(doc, "secrets");
    r->nsecrets = json_array_size(a);
    r->secrets = vg_calloc(r->nsecrets ? r->nsecrets : 1, sizeof(*r->secrets));
    for (size_t i = 0; i < r->nsecrets; i++) {
        json_t *o = json_array_get(a, i);
        struct vg_secret_finding *f = &r->secrets[i].f;
        f->rule_id = dup_str(o, "rule_id");
        f->category = dup_str(o, "category");
        f->title = dup_str(o, "title");
        f->severity = (enum vg_scan_severity)json_integer_value(json_object_get(o, "severity"));
        f->path = dup_str(o, "path");
        f->start_line = (size_t)json_integer_value(json_object_get(o, "start_line"));
        f->end_line = (size_t)json_integer_value(json_object_get(o, "end_line"));
        f->offset = (uint64_t)json_integer_value(json_object_get(o, "offset"));
        f->secret = dup_str(o, "secret");
        f->match = dup_str(o, "match");
        r->secrets[i].layer = (size_t)json_integer_value(json_object_get(o, "layer"));
    }
    a = vg_json_arr(doc, "models");
    r->nmodels = json_array_size(a);
    r->models = vg_calloc(r->nmodels ? r->nmodels : 1, sizeof(*r->models));
    for (size_t i = 0; i < r->nmodels; i++) {
        json_t *o = json_array_get(a, i);
        struct vg_model_finding *f = &r->models[i].f;
        const char *id = vg_json_str(o, "id");
        snprintf(f->id, sizeof(f->id), "%s", id ? id : "");
        f->severity = (enum vg_scan_severity)json_integer_value(json_object_get(o, "severity"));
        f->title = dup_str(o, "title");
        f->message = dup_str(o, "message");
        f->path = dup_str(o, "path");
        f->offset = (uint64_t)json_integer_value(json_object_get(o, "offset"));
        r->models[i].layer = (size_t)json_integer_value(json_object_get(o, "layer"));
    }
    a = vg_json_arr(doc, "configs");
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *o = json_array_get(a, i);
        vg_scan_config_restore(r, vg_json_str(o, "id"), vg_json_str(o, "message"));
    }
    return 0;
}

/* ---------------------------------------------------------------- per-layer entries
 *
 * One JSON file per (layer diffID, options) under $XDG_CACHE_HOME/vigil/layers/: the layer's
 * listing for the merge (base64), its inventory analyzer records, the secret and model
 * findings of its files and its configuration-relevant file metadata. Images sharing base
 * layers then only walk the layers they add. Entries carry the format and vigil version and
 * their own key; anything malformed is ignored (the layer is walked and the entry rewritten). */

#define LAYER_FORMAT 1

static json_t *
secret_out(const struct vg_scan_secret *s)
{
    const struct vg_secret_finding *f = &s->f;
    return json_pack("{s:s?,s:s?,s:s?,s:i,s:s?,s:I,s:I,s:I,s:s?,s:s?}", "rule_id", f->rule_id,
                     "category", f->category, "title", f->title, "severity", (int)f->severity,
                     "path", f->path, "start_line", (json_int_t)f->start_line, "end_line",
                     (json_int_t)f->end_line, "offset", (json_int_t)f->offset, "secret", f->secret,
                     "match", f->match);
}

static json_t *
model_out(const struct vg_scan_model *m)
{
    const struct vg_model_finding *f = &m->f;
    return json_pack("{s:s,s:i,s:s?,s:s?,s:s?,s:I}", "id", f->id, "severity", (int)f->severity,
                     "title", f->title, "message", f->message, "path", f->path, "offset",
                     (json_int_t)f->offset);
}

/* An array of objects whose fields named in strs are, when present, strings or null (json_pack's
 * "s?" writes an absent text as null). */
static bool
all_objects(const json_t *a, const char *const *strs, size_t nstrs)
{
    if (!json_is_array(a)) {
        return false;
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *o = json_array_get(a, i);
        if (!json_is_object(o)) {
            return false;
        }
        for (size_t k = 0; k < nstrs; k++) {
            const json_t *v = json_object_get(o, strs[k]);
            if (v && !json_is_string(v) && !json_is_null(v)) {
                return false;
            }
        }
    }
    return true;
}

void
vg_scan_layer_entry_dispose(struct vg_scan_layer_entry *e)
{
    vg_buf_dispose(&e->listing);
    json_decref(e->inv);
    json_decref(e->secrets);
    json_decref(e->models);
    json_decref(e->files);
    memset(e, 0, sizeof(*e));
}

static char *
layer_path_for(const char *key)
{
    vg_autofree char *dir = vg_cache_dir();
    return vg_fmt("%s/layers/%s.json", dir, key);
}

int
vg_scan_layer_cache_load(struct vg_scan_layer_entry *e, const char *key)
{
    memset(e, 0, sizeof(*e));
    vg_autofree char *path = layer_path_for(key);
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(CACHE_MAX_BYTES);
    if (vg_file_read(&raw, path, CACHE_MAX_BYTES, NULL) < 0 ||
        vg_scan_layer_cache_parse(e, raw.data, raw.len, key) < 0) {
        return -1;
    }
    touch(path);
    return 0;
}

int
vg_scan_layer_cache_parse(struct vg_scan_layer_entry *e, const void *data, size_t len,
                          const char *key)
{
    static const char *const sstr[] = {"rule_id", "category", "title", "path", "secret", "match"};
    static const char *const mstr[] = {"id", "title", "message", "path"};
    static const char *const fstr[] = {"path"};
    memset(e, 0, sizeof(*e));
    vg_autojson json_t *doc = NULL;
    if (vg_json_parse(&doc, data, len, CACHE_MAX_BYTES, "layer cache", NULL) < 0 ||
        json_integer_value(json_object_get(doc, "format")) != LAYER_FORMAT ||
        !vg_json_str(doc, "vigil") || strcmp(vg_json_str(doc, "vigil"), VG_VERSION) != 0 ||
        !vg_json_str(doc, "key") || strcmp(vg_json_str(doc, "key"), key) != 0) {
        return -1;
    }
    const char *b64 = vg_json_str(doc, "listing");
    json_t *inv = json_object_get(doc, "inventory");
    json_t *sec = json_object_get(doc, "secrets"), *mod = json_object_get(doc, "models");
    json_t *files = json_object_get(doc, "files");
    uint8_t *lst = NULL;
    size_t lstlen = 0;
    if (!b64 || (inv && !json_is_array(inv)) || !all_objects(sec, sstr, 6) ||
        !all_objects(mod, mstr, 4) || !all_objects(files, fstr, 1) ||
        !findings_complete(sec, mod) ||
        vg_base64_decode(&lst, &lstlen, b64, strlen(b64), false, NULL) < 0) {
        return -1;
    }
    if (!vg_layers_listing_valid(lst ? lst : (const uint8_t *)"", lstlen)) {
        free(lst);
        return -1;
    }
    e->listing = (struct vg_buf){lst, lstlen, lstlen, lstlen ? lstlen : 1};
    e->inv = json_incref(inv);
    e->secrets = json_incref(sec);
    e->models = json_incref(mod);
    e->files = json_incref(files);
    return 0;
}

void
vg_scan_layer_cache_store(const char *key, const uint8_t *listing, size_t listing_len, json_t *inv,
                          const struct vg_scan_report *r, size_t layer, json_t *files)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "format", json_integer(LAYER_FORMAT));
    vg_json_set_str(doc, "vigil", VG_VERSION);
    vg_json_set_str(doc, "key", key);
    char *b64 = vg_base64_encode(listing, listing_len);
    vg_json_set_str(doc, "listing", b64);
    free(b64);
    if (inv) {
        json_object_set(doc, "inventory", inv);
    }
    bool ok = true;
    json_t *sec = json_array(), *mod = json_array();
    for (size_t i = 0; i < r->nsecrets; i++) {
        if (r->secrets[i].layer == layer) {
            json_t *o = secret_out(&r->secrets[i]);
            ok = ok && o && json_array_append_new(sec, o) == 0;
        }
    }
    for (size_t i = 0; i < r->nmodels; i++) {
        if (r->models[i].layer == layer) {
            json_t *o = model_out(&r->models[i]);
            ok = ok && o && json_array_append_new(mod, o) == 0;
        }
    }
    json_object_set_new(doc, "secrets", sec);
    json_object_set_new(doc, "models", mod);
    json_object_set(doc, "files", files);
    char *text = ok ? vg_json_dump(doc, false) : NULL;
    json_decref(doc);
    if (!text) {
        VG_DEBUG("scan", "layer %zu: not cached (findings not representable)", layer);
        return;
    }
    vg_autofree char *path = layer_path_for(key);
    vg_autofree char *dir = vg_strdup(path);
    *strrchr(dir, '/') = '\0';
    struct vg_err *err = NULL;
    if (vg_mkdir_p(dir, 0700, &err) < 0 ||
        vg_file_write_atomic(path, text, strlen(text), 0600, &err) < 0) {
        char *m = vg_err_format(err);
        VG_DEBUG("scan", "layer cache not written: %s", m);
        free(m);
        vg_err_free(&err);
    }
    free(text);
}

/* Appends a cached layer's secret and model findings to r, attributed to `layer`. */
void
vg_scan_layer_cache_restore(struct vg_scan_report *r, const struct vg_scan_layer_entry *e,
                            size_t layer)
{
    size_t ns = json_array_size(e->secrets), nm = json_array_size(e->models);
    VG_ARRAY_GROW(r->secrets, r->nsecrets + ns, 1);
    for (size_t i = 0; i < ns; i++) {
        json_t *o = json_array_get(e->secrets, i);
        struct vg_scan_secret *s = &r->secrets[r->nsecrets++];
        memset(s, 0, sizeof(*s));
        s->f.rule_id = dup_str(o, "rule_id");
        s->f.category = dup_str(o, "category");
        s->f.title = dup_str(o, "title");
        s->f.severity = (enum vg_scan_severity)json_integer_value(json_object_get(o, "severity"));
        s->f.path = dup_str(o, "path");
        s->f.start_line = (size_t)json_integer_value(json_object_get(o, "start_line"));
        s->f.end_line = (size_t)json_integer_value(json_object_get(o, "end_line"));
        s->f.offset = (uint64_t)json_integer_value(json_object_get(o, "offset"));
        s->f.secret = dup_str(o, "secret");
        s->f.match = dup_str(o, "match");
        s->layer = layer;
    }
    VG_ARRAY_GROW(r->models, r->nmodels + nm, 1);
    for (size_t i = 0; i < nm; i++) {
        json_t *o = json_array_get(e->models, i);
        struct vg_scan_model *m = &r->models[r->nmodels++];
        memset(m, 0, sizeof(*m));
        const char *id = vg_json_str(o, "id");
        snprintf(m->f.id, sizeof(m->f.id), "%s", id ? id : "");
        m->f.severity = (enum vg_scan_severity)json_integer_value(json_object_get(o, "severity"));
        m->f.title = dup_str(o, "title");
        m->f.message = dup_str(o, "message");
        m->f.path = dup_str(o, "path");
        m->f.offset = (uint64_t)json_integer_value(json_object_get(o, "offset"));
        m->layer = layer;
    }
}
