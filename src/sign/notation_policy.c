/* SPDX-License-Identifier: Apache-2.0
 *
 * Notation's trust policy and trust store (trust-store-trust-policy.md): trustpolicy.json
 * version 1.0 with its registry scopes (fully qualified repositories, or "*" once), its
 * verification levels and per-check overrides, its "type:name" trust stores and its trusted
 * identities ("*" or x509.subject distinguished names with notation's escapes), and the
 * trust store directory DIR/x509/{ca,signingAuthority,tsa}/NAME with its certificate files.
 * The document is validated whole when loaded, so a bad policy fails before any signature is
 * looked at.
 */
#include "notation_int.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const check_names[VG_NOTATION_CHECKS] = {
    "integrity", "authenticity", "authenticTimestamp", "expiry", "revocation",
};

const char *
vg_notation_check_name(enum vg_notation_check c)
{
    return (unsigned)c < VG_NOTATION_CHECKS ? check_names[c] : "unknown";
}

const char *
vg_notation_level_name(enum vg_notation_level l)
{
    switch (l) {
    case VG_NOTATION_STRICT:
        return "strict";
    case VG_NOTATION_PERMISSIVE:
        return "permissive";
    case VG_NOTATION_AUDIT:
        return "audit";
    case VG_NOTATION_SKIP:
        return "skip";
    }
    return "unknown";
}

/* The table of trust-store-trust-policy.md "Signature Verification details". */
static void
level_actions(enum vg_notation_level l, enum vg_notation_action a[VG_NOTATION_CHECKS])
{
    enum vg_notation_action E = VG_NOTATION_ENFORCE, L = VG_NOTATION_LOG, S = VG_NOTATION_SKIPPED;
    enum vg_notation_action t[4][VG_NOTATION_CHECKS] = {
        {E, E, E, E, E}, /* strict */
        {E, E, L, L, L}, /* permissive */
        {E, L, L, L, L}, /* audit */
        {S, S, S, S, S}, /* skip */
    };
    memcpy(a, t[l - 1], sizeof(t[0]));
}

void
vg_notation_identity_dispose(struct vg_notation_identity *id)
{
    vg_x509_rdns_free(id->rdns, id->n);
    *id = (struct vg_notation_identity){0};
}

static void
entry_dispose(struct vg_notation_policy_entry *e)
{
    free(e->name);
    vg_strv_free(e->scopes, e->nscopes);
    vg_strv_free(e->stores, e->nstores);
    for (size_t i = 0; i < e->nidentities; i++) {
        vg_notation_identity_dispose(&e->identities[i]);
    }
    free(e->identities);
}

void
vg_notation_policy_free(struct vg_notation_policy *p)
{
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->n; i++) {
        entry_dispose(&p->entries[i]);
    }
    free(p->entries);
    free(p);
}

/* ---------------------------------------------------------------- distinguished names */

static char *
trim_unescaped(const char *s, size_t n, size_t *lead_esc)
{
    size_t a = 0;
    while (a < n && s[a] == ' ') {
        a++;
    }
    *lead_esc = a;
    return vg_strndup(s + a, n - a);
}

/* One "TYPE=value" with escapes resolved; the value keeps an escaped leading/trailing space. */
static int
rdn_parse(struct vg_x509_rdn *out, const char *s, size_t n, struct vg_err **err)
{
    size_t skip = 0;
    vg_autofree char *t = trim_unescaped(s, n, &skip);
    char *eq = strchr(t, '=');
    if (!eq || eq == t) {
        return vg_err_set(err, VG_E_PARSE, "\"%.*s\" is not TYPE=value", (int)(n > 80 ? 80 : n), s);
    }
    size_t tl = (size_t)(eq - t);
    while (tl > 0 && t[tl - 1] == ' ') {
        tl--;
    }
    const char *v = eq + 1;
    while (*v == ' ') {
        v++;
    }
    struct vg_buf b = VG_BUF_INIT(VG_X509_SAN_MAX);
    size_t keep = 0; /* length up to the last escaped or non-space character */
    for (size_t i = 0; v[i]; i++) {
        char c = v[i];
        if (c == '\\') {
            c = v[++i];
            if (c != '\\' && c != ',' && c != ';' && c != ' ' && c != '+' && c != '"' && c != '=' &&
                c != '<' && c != '>' && c != '#') {
                vg_buf_dispose(&b);
                return vg_err_set(err, VG_E_PARSE, "bad escape in \"%s\"", t);
            }
            if (vg_buf_appendc(&b, c, err) < 0) {
                vg_buf_dispose(&b);
                return -1;
            }
            keep = b.len;
            continue;
        }
        if (vg_buf_appendc(&b, c, err) < 0) {
            vg_buf_dispose(&b);
            return -1;
        }
        if (c != ' ') {
            keep = b.len;
        }
    }
    if (keep == 0) {
        vg_buf_dispose(&b);
        return vg_err_set(err, VG_E_PARSE, "empty value in \"%s\"", t);
    }
    out->type = vg_strndup(t, tl);
    out->value = vg_strndup((const char *)b.data, keep);
    vg_buf_dispose(&b);
    return 0;
}

int
vg_notation_dn_parse(struct vg_notation_identity *out, const char *dn, struct vg_err **err)
{
    *out = (struct vg_notation_identity){0};
    size_t start = 0, len = strlen(dn);
    for (size_t i = 0; i <= len; i++) {
        if (i < len && dn[i] == '\\') {
            i++;
            continue;
        }
        if (i < len && dn[i] != ',' && dn[i] != ';') {
            continue;
        }
        if (out->n == VG_NOTATION_LIST_MAX) {
            vg_notation_identity_dispose(out);
            return vg_err_set(err, VG_E_LIMIT, "distinguished name with over %u attributes",
                              VG_NOTATION_LIST_MAX);
        }
        struct vg_x509_rdn r = {0};
        if (rdn_parse(&r, dn + start, i - start, err) < 0) {
            vg_notation_identity_dispose(out);
            return -1;
        }
        for (size_t j = 0; j < out->n; j++) {
            if (strcasecmp(out->rdns[j].type, r.type) == 0) {
                vg_autofree char *ty = r.type;
                free(r.value);
                vg_notation_identity_dispose(out);
                return vg_err_set(err, VG_E_PARSE, "attribute %s appears twice", ty);
            }
        }
        VG_ARRAY_PUSH(out->rdns, out->n, r);
        start = i + 1;
    }
    return 0;
}

/* notation's short names differ from OpenSSL's for a few attributes. */
static bool
type_eq(const char *a, const char *b)
{
    static const char *const alias[][2] = {
        {"emailAddress", "E"}, {"serialNumber", "SERIALNUMBER"},
        {"street", "STREET"},  {"postalCode", "POSTALCODE"},
        {"DC", "DC"},          {"L", "L"},
    };
    if (strcasecmp(a, b) == 0) {
        return true;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(alias); i++) {
        if ((strcasecmp(a, alias[i][0]) == 0 && strcasecmp(b, alias[i][1]) == 0) ||
            (strcasecmp(b, alias[i][0]) == 0 && strcasecmp(a, alias[i][1]) == 0)) {
            return true;
        }
    }
    return false;
}

bool
vg_notation_identity_match(const struct vg_notation_identity *id, const struct vg_x509_rdn *subject,
                           size_t n)
{
    for (size_t i = 0; i < id->n; i++) {
        bool found = false;
        for (size_t j = 0; j < n && !found; j++) {
            found = type_eq(id->rdns[i].type, subject[j].type) &&
                    strcmp(id->rdns[i].value, subject[j].value) == 0;
        }
        if (!found) {
            return false;
        }
    }
    return id->n > 0;
}

static const struct vg_x509_rdn *
rdn_get(const struct vg_notation_identity *id, const char *type)
{
    for (size_t i = 0; i < id->n; i++) {
        if (type_eq(id->rdns[i].type, type)) {
            return &id->rdns[i];
        }
    }
    return NULL;
}

/* Two identities overlap when some certificate matches both: every attribute they share has
 * the same value (then a subject holding the union of both matches both). */
static bool
overlap(const struct vg_notation_identity *a, const struct vg_notation_identity *b)
{
    for (size_t i = 0; i < a->n; i++) {
        const struct vg_x509_rdn *r = rdn_get(b, a->rdns[i].type);
        if (r && strcmp(r->value, a->rdns[i].value) != 0) {
            return false;
        }
    }
    return true;
}

/* ---------------------------------------------------------------- policy document */

static int
strings(char ***out, size_t *n, json_t *arr, const char *what, const char *name,
        struct vg_err **err)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        return vg_err_set(err, VG_E_PARSE, "trust policy \"%s\": %s must be a non-empty array",
                          name, what);
    }
    if (json_array_size(arr) > VG_NOTATION_LIST_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "trust policy \"%s\": more than %u %s", name,
                          VG_NOTATION_LIST_MAX, what);
    }
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0) {
            return vg_err_set(err, VG_E_PARSE, "trust policy \"%s\": %s[%zu] is not a string", name,
                              what, i);
        }
        if (!vg_strv_add_unique(out, n, json_string_value(v))) {
            return vg_err_set(err, VG_E_PARSE, "trust policy \"%s\": %s lists \"%s\" twice", name,
                              what, json_string_value(v));
        }
    }
    return 0;
}

static int
level_parse(struct vg_notation_policy_entry *e, json_t *sv, struct vg_err **err)
{
    const char *lvl = json_is_object(sv) ? vg_json_str(sv, "level") : NULL;
    static const char *const names[] = {"strict", "permissive", "audit", "skip"};
    for (size_t i = 0; lvl && i < VG_ARRAY_LEN(names); i++) {
        if (strcmp(lvl, names[i]) == 0) {
            e->level = (enum vg_notation_level)(i + 1);
        }
    }
    if (!e->level) {
        return vg_err_set(err, VG_E_PARSE,
                          "trust policy \"%s\": signatureVerification.level must be strict, "
                          "permissive, audit or skip",
                          e->name);
    }
    level_actions(e->level, e->actions);
    json_t *ov = json_object_get(sv, "override");
    if (!ov) {
        return 0;
    }
    if (!json_is_object(ov) || e->level == VG_NOTATION_SKIP) {
        return vg_err_set(err, VG_E_PARSE,
                          "trust policy \"%s\": override must be an object and cannot customize "
                          "skip",
                          e->name);
    }
    const char *k;
    json_t *v;
    json_object_foreach (ov, k, v) {
        size_t c = 1;
        while (c < VG_NOTATION_CHECKS && strcmp(k, check_names[c]) != 0) {
            c++;
        }
        const char *a = json_is_string(v) ? json_string_value(v) : "";
        enum vg_notation_action act = strcmp(a, "enforce") == 0 ? VG_NOTATION_ENFORCE
                                      : strcmp(a, "log") == 0   ? VG_NOTATION_LOG
                                      : strcmp(a, "skip") == 0  ? VG_NOTATION_SKIPPED
                                                                : 0;
        if (c == VG_NOTATION_CHECKS || !act ||
            (act == VG_NOTATION_SKIPPED && c != VG_NOTATION_CHECK_REVOCATION)) {
            vg_autofree char *esc = vg_escape(k, strlen(k), 60);
            return vg_err_set(err, VG_E_PARSE,
                              "trust policy \"%s\": override \"%s\": \"%s\" is not allowed "
                              "(authenticity, authenticTimestamp and expiry take enforce or "
                              "log; revocation also skip; integrity cannot be overridden)",
                              e->name, esc, a);
        }
        e->actions[c] = act;
    }
    return 0;
}

static int
stores_check(struct vg_notation_policy_entry *e, struct vg_err **err)
{
    for (size_t i = 0; i < e->nstores; i++) {
        const char *s = e->stores[i];
        const char *colon = strchr(s, ':');
        size_t tl = colon ? (size_t)(colon - s) : 0;
        bool known = colon && ((tl == 2 && strncmp(s, "ca", 2) == 0) ||
                               (tl == 3 && strncmp(s, "tsa", 3) == 0) ||
                               (tl == 16 && strncmp(s, "signingAuthority", 16) == 0));
        const char *name = colon ? colon + 1 : "";
        if (!known || !*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
            strcmp(name, "..") == 0) {
            return vg_err_set(err, VG_E_PARSE,
                              "trust policy \"%s\": trust store \"%s\" is not "
                              "ca:NAME, signingAuthority:NAME or tsa:NAME",
                              e->name, s);
        }
    }
    return 0;
}

static int
identities_parse(struct vg_notation_policy_entry *e, char **ids, size_t n, struct vg_err **err)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ids[i], "*") == 0) {
            if (n > 1) {
                return vg_err_set(err, VG_E_PARSE,
                                  "trust policy \"%s\": \"*\" must be the only trusted identity",
                                  e->name);
            }
            e->any_identity = true;
            return 0;
        }
        const char *pfx = "x509.subject:";
        if (!vg_cstr_startswith(ids[i], pfx)) {
            return vg_err_set(err, VG_E_PARSE,
                              "trust policy \"%s\": trusted identity \"%s\" must start with "
                              "x509.subject:",
                              e->name, ids[i]);
        }
        struct vg_notation_identity id;
        if (vg_notation_dn_parse(&id, ids[i] + strlen(pfx), err) < 0) {
            return vg_err_wrap(err, "trust policy \"%s\": trusted identity %zu", e->name, i + 1);
        }
        VG_ARRAY_PUSH(e->identities, e->nidentities, id);
        if (!rdn_get(&id, "C") || !rdn_get(&id, "ST") || !rdn_get(&id, "O")) {
            return vg_err_set(err, VG_E_PARSE,
                              "trust policy \"%s\": trusted identity \"%s\" must name C, ST "
                              "and O",
                              e->name, ids[i]);
        }
        for (size_t j = 0; j + 1 < e->nidentities; j++) {
            if (overlap(&e->identities[j], &id)) {
                return vg_err_set(err, VG_E_PARSE,
                                  "trust policy \"%s\": trusted identities %zu and %zu overlap",
                                  e->name, j + 1, e->nidentities);
            }
        }
    }
    return 0;
}

static int
entry_parse(struct vg_notation_policy_entry *e, json_t *o, size_t idx, struct vg_err **err)
{
    const char *name = json_is_object(o) ? vg_json_str(o, "name") : NULL;
    if (!name || !*name) {
        return vg_err_set(err, VG_E_PARSE, "trustPolicies[%zu]: name is required", idx);
    }
    e->name = vg_escape(name, strlen(name), 128);
    int rc = strings(&e->scopes, &e->nscopes, json_object_get(o, "registryScopes"),
                     "registryScopes", e->name, err);
    if (rc < 0 || (rc = level_parse(e, json_object_get(o, "signatureVerification"), err)) < 0) {
        return rc;
    }
    for (size_t i = 0; i < e->nscopes; i++) {
        bool star = strcmp(e->scopes[i], "*") == 0;
        if (star && e->nscopes > 1) {
            return vg_err_set(err, VG_E_PARSE,
                              "trust policy \"%s\": \"*\" must be the only registry scope",
                              e->name);
        }
        if (!star && (strchr(e->scopes[i], '*') || !strchr(e->scopes[i], '/') ||
                      strchr(e->scopes[i], '@') || strchr(e->scopes[i], ' '))) {
            return vg_err_set(err, VG_E_PARSE,
                              "trust policy \"%s\": registry scope \"%s\" is not a fully "
                              "qualified repository (registry/namespace/repository) or \"*\"",
                              e->name, e->scopes[i]);
        }
        e->global = star;
    }
    if (e->level == VG_NOTATION_SKIP) {
        if (e->global) {
            return vg_err_set(err, VG_E_PARSE,
                              "trust policy \"%s\": level skip cannot have the global scope",
                              e->name);
        }
        return 0;
    }
    char **ids = NULL;
    size_t nids = 0;
    if ((rc = strings(&e->stores, &e->nstores, json_object_get(o, "trustStores"), "trustStores",
                      e->name, err)) == 0 &&
        (rc = stores_check(e, err)) == 0 &&
        (rc = strings(&ids, &nids, json_object_get(o, "trustedIdentities"), "trustedIdentities",
                      e->name, err)) == 0) {
        rc = identities_parse(e, ids, nids, err);
    }
    vg_strv_free(ids, nids);
    return rc;
}

int
vg_notation_policy_parse(struct vg_notation_policy **out, const void *data, size_t len,
                         struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    int rc = vg_json_parse(&root, data, len, VG_NOTATION_POLICY_MAX, "trust policy", err);
    if (rc < 0) {
        return rc;
    }
    const char *version = json_is_object(root) ? vg_json_str(root, "version") : NULL;
    if (!version || strcmp(version, "1.0") != 0) {
        return vg_err_set(err, VG_E_PARSE, "trust policy: version must be \"1.0\"");
    }
    json_t *arr = json_object_get(root, "trustPolicies");
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        return vg_err_set(err, VG_E_PARSE,
                          "trust policy: trustPolicies must be a non-empty "
                          "array");
    }
    if (json_array_size(arr) > VG_NOTATION_POLICIES_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "trust policy: more than %u policies",
                          VG_NOTATION_POLICIES_MAX);
    }
    struct vg_notation_policy *p = vg_calloc(1, sizeof(*p));
    p->entries = vg_calloc(json_array_size(arr), sizeof(*p->entries));
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        struct vg_notation_policy_entry *e = &p->entries[p->n++];
        if ((rc = entry_parse(e, v, i, err)) < 0) {
            break;
        }
        for (size_t j = 0; j + 1 < p->n && rc == 0; j++) {
            const struct vg_notation_policy_entry *o = &p->entries[j];
            if (strcmp(o->name, e->name) == 0) {
                rc =
                    vg_err_set(err, VG_E_PARSE, "trust policy: name \"%s\" is used twice", e->name);
            } else if (o->global && e->global) {
                rc = vg_err_set(err, VG_E_PARSE,
                                "trust policy: \"%s\" and \"%s\" both have the global scope",
                                o->name, e->name);
            }
            for (size_t k = 0; k < e->nscopes && rc == 0 && !e->global; k++) {
                if (vg_strv_has(o->scopes, o->nscopes, e->scopes[k])) {
                    rc = vg_err_set(err, VG_E_PARSE,
                                    "trust policy: registry scope \"%s\" is in both \"%s\" and "
                                    "\"%s\"",
                                    e->scopes[k], o->name, e->name);
                }
            }
        }
        if (rc < 0) {
            break;
        }
    }
    if (rc < 0) {
        vg_notation_policy_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

const struct vg_notation_policy_entry *
vg_notation_policy_select(const struct vg_notation_policy *p, const char *repository)
{
    const struct vg_notation_policy_entry *global = NULL;
    for (size_t i = 0; i < p->n; i++) {
        if (p->entries[i].global) {
            global = &p->entries[i];
        } else if (vg_strv_has(p->entries[i].scopes, p->entries[i].nscopes, repository)) {
            return &p->entries[i];
        }
    }
    return global;
}

/* ---------------------------------------------------------------- trust store */

char *
vg_notation_config_dir(void)
{
    const char *x = getenv("XDG_CONFIG_HOME");
    if (x && *x) {
        return vg_fmt("%s/notation", x);
    }
    const char *home = getenv("HOME");
    return vg_fmt("%s/.config/notation", home && *home ? home : ".");
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
cert_ext(const char *name)
{
    return vg_cstr_endswith(name, ".pem") || vg_cstr_endswith(name, ".crt") ||
           vg_cstr_endswith(name, ".cer");
}

static int
store_files(char ***out, size_t *n, int dfd, const char *path, struct vg_err **err)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) {
            close(fd);
        }
        return vg_err_sys(err, VG_E_IO, "open trust store %s", path);
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.') {
            continue;
        }
        struct stat st;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = vg_err_sys(err, VG_E_IO, "trust store %s: stat %s", path, de->d_name);
        } else if (S_ISLNK(st.st_mode)) {
            rc = vg_err_set(err, VG_E_VERIFY, "trust store %s: %s is a symlink (not allowed)", path,
                            de->d_name);
        } else if (S_ISDIR(st.st_mode)) {
            VG_WARN("notation", "trust store %s: subdirectory %s is ignored", path, de->d_name);
        } else if (S_ISREG(st.st_mode) && cert_ext(de->d_name)) {
            if (*n == VG_NOTATION_STORE_FILES) {
                rc = vg_err_set(err, VG_E_LIMIT, "trust store %s: more than %u certificate files",
                                path, VG_NOTATION_STORE_FILES);
            } else {
                vg_strv_push(out, n, de->d_name);
            }
        }
    }
    closedir(d);
    if (rc == 0 && *n > 1) {
        vg_qsort(*out, *n, sizeof(**out), cmp_names);
    }
    return rc;
}

int
vg_notation_truststore_load(struct vg_x509 ***out, size_t *nout, const char *dir, const char *type,
                            const char *name, struct vg_err **err)
{
    vg_autofree char *path = vg_fmt("%s/x509/%s/%s", dir, type, name);
    struct stat st;
    if (lstat(path, &st) < 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "trust store %s:%s: %s does not exist", type, name,
                          path);
    }
    if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
        return vg_err_set(err, VG_E_VERIFY, "trust store %s: %s", path,
                          S_ISLNK(st.st_mode) ? "is a symlink (not allowed)" : "not a directory");
    }
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        return vg_err_sys(err, VG_E_IO, "open trust store %s", path);
    }
    char **files = NULL;
    size_t nfiles = 0;
    struct vg_x509 **certs = NULL;
    size_t n = 0;
    int rc = store_files(&files, &nfiles, dfd, path, err);
    for (size_t i = 0; rc == 0 && i < nfiles; i++) {
        vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_NOTATION_CERT_FILE_MAX);
        struct vg_x509 **c = NULL;
        size_t nc = 0;
        if ((rc = vg_file_read_at(&b, dfd, files[i], VG_NOTATION_CERT_FILE_MAX, err)) < 0 ||
            (rc = vg_x509_parse_all(&c, &nc, b.data, b.len, err)) < 0) {
            rc = vg_err_wrap(err, "trust store %s: %s", path, files[i]);
            break;
        }
        for (size_t j = 0; j < nc; j++) {
            VG_ARRAY_PUSH(certs, n, c[j]);
        }
        free(c);
    }
    vg_strv_free(files, nfiles);
    close(dfd);
    if (rc == 0 && n == 0) {
        rc = vg_err_set(err, VG_E_NOTFOUND, "trust store %s holds no certificate", path);
    }
    if (rc < 0) {
        vg_x509_list_free(certs, n);
        return rc;
    }
    *out = certs;
    *nout = n;
    return 0;
}
