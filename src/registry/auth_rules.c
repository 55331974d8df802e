/* SPDX-License-Identifier: Apache-2.0
 *
 * The registry's access model from its YAML config: `auth:` (htpasswd, token service, groups,
 * robot accounts), `access:` (who may pull/push/delete which repository globs, and what
 * anonymous callers may do) and `immutable:` (repository globs whose tags are write-once).
 * Pure data and decisions; files, keys and credentials are opened by auth.c.
 *
 * Globs are core/glob.h doublestar patterns over repository names: "prod/" followed by a
 * double star covers `prod/app` and `prod/team/app` but never `prod-evil/app`, because the
 * double star only spans whole path segments after the literal "prod/".
 */
#include "auth_int.h"

#include <string.h>
#include <time.h>

#include "core/glob.h"

static const char *const auth_keys[] = {"htpasswd", "token", "groups", "robots"};
static const char *const token_keys[] = {"realm", "service",  "issuer",     "key",
                                         "ttl",   "push-ttl", "refresh-ttl"};
static const char *const rule_keys[] = {"repos", "users", "groups", "actions", "anonymous"};
static const char *const robot_keys[] = {"name", "password-hash", "repos", "actions", "expires"};

static int
scalar(const struct vg_config_node *n, const char *what, const char **out, struct vg_err **err)
{
    size_t len = 0;
    const char *s = vg_config_node_scalar(n, &len);
    if (!s || vg_config_node_is_null(n) || len == 0 || memchr(s, '\0', len)) {
        return vg_config_err(err, n, VG_E_PARSE, "%s must be a non-empty string", what);
    }
    *out = s;
    return 0;
}

/* A list of non-empty strings at key (absent: empty). */
static int
str_list(const struct vg_config_node *map, const char *key, char ***v, size_t *n,
         struct vg_err **err)
{
    const struct vg_config_node *seq = NULL;
    if (vg_config_get_seq(map, key, &seq, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    for (size_t i = 0; seq && i < vg_config_node_len(seq); i++) {
        const char *s = NULL;
        vg_autofree char *what = vg_fmt("each item of '%s'", key);
        if (scalar(vg_config_seq_at(seq, i), what, &s, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        vg_strv_push(v, n, s);
    }
    return 0;
}

/* Repository globs: the characters of repository names plus glob syntax. Upper case could
 * never match a valid name, so it is refused rather than silently dead. */
static int
repo_globs(const struct vg_config_node *map, const char *key, char ***v, size_t *n,
           struct vg_err **err)
{
    if (str_list(map, key, v, n, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *seq = vg_config_map_get(map, key);
    for (size_t i = 0; i < *n; i++) {
        for (const char *p = (*v)[i]; *p; p++) {
            if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._-/*?[]!^\\", *p)) {
                return vg_config_err(err, vg_config_seq_at(seq, i), VG_E_PARSE,
                                     "'%s': '%c' cannot occur in a repository name or glob", key,
                                     *p >= 0x20 && *p < 0x7f ? *p : '?');
            }
        }
    }
    return 0;
}

static int
actions(const struct vg_config_node *map, const char *key, bool allow_catalog, unsigned *out,
        struct vg_err **err)
{
    const struct vg_config_node *seq = NULL;
    if (vg_config_get_seq(map, key, &seq, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    *out = 0;
    for (size_t i = 0; seq && i < vg_config_node_len(seq); i++) {
        const struct vg_config_node *it = vg_config_seq_at(seq, i);
        const char *s = NULL;
        if (scalar(it, "an action", &s, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        if (strcmp(s, "pull") == 0) {
            *out |= VG_AUTH_PULL;
        } else if (strcmp(s, "push") == 0) {
            *out |= VG_AUTH_PUSH;
        } else if (strcmp(s, "delete") == 0) {
            *out |= VG_AUTH_DELETE;
        } else if (strcmp(s, "*") == 0) {
            *out |= VG_AUTH_REPO_ALL;
        } else if (allow_catalog && strcmp(s, "catalog") == 0) {
            *out |= VG_AUTH_CATALOG;
        } else {
            vg_autofree char *e = vg_escape(s, strlen(s), 40);
            return vg_config_err(err, it, VG_E_PARSE,
                                 "unknown action '%s' (pull, push, delete, *%s)", e,
                                 allow_catalog ? ", catalog" : "");
        }
    }
    return 0;
}

static const struct vg_auth_group *
group_find(const struct vg_auth_config *c, const char *name)
{
    for (size_t i = 0; i < c->ngroups; i++) {
        if (strcmp(c->groups[i].name, name) == 0) {
            return &c->groups[i];
        }
    }
    return NULL;
}

static const struct vg_auth_robot *
robot_find(const struct vg_auth_config *c, const char *name)
{
    for (size_t i = 0; name && i < c->nrobots; i++) {
        if (strcmp(c->robots[i].name, name) == 0) {
            return &c->robots[i];
        }
    }
    return NULL;
}

static int
parse_token(struct vg_auth_config *c, const struct vg_config_node *t, struct vg_err **err)
{
    c->ttl_ms = VG_AUTH_TOKEN_TTL_MS;
    c->push_ttl_ms = VG_AUTH_TOKEN_TTL_PUSH_MS;
    c->refresh_ttl_ms = VG_AUTH_REFRESH_TTL_MS;
    if (!t) {
        return 0;
    }
    size_t len = 0;
    const char *s = vg_config_node_scalar(t, &len);
    if (s) {
        if (strcmp(s, "true") == 0) {
            c->token = true;
        } else if (strcmp(s, "false") != 0 && !vg_config_node_is_null(t)) {
            return vg_config_err(err, t, VG_E_PARSE,
                                 "'auth.token' must be true, false or a "
                                 "mapping");
        }
        return 0;
    }
    if (vg_config_check_keys(t, "auth.token", token_keys, VG_ARRAY_LEN(token_keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const char *realm = NULL, *service = NULL, *issuer = NULL, *key = NULL;
    const uint64_t day = 24u * 3600u * 1000u;
    if (vg_config_get_str(t, "realm", NULL, &realm, err) < 0 ||
        vg_config_get_str(t, "service", NULL, &service, err) < 0 ||
        vg_config_get_str(t, "issuer", NULL, &issuer, err) < 0 ||
        vg_config_get_str(t, "key", NULL, &key, err) < 0 ||
        vg_config_get_duration_ms(t, "ttl", c->ttl_ms, day, &c->ttl_ms, err) < 0 ||
        vg_config_get_duration_ms(t, "push-ttl", c->push_ttl_ms, day, &c->push_ttl_ms, err) < 0 ||
        vg_config_get_duration_ms(t, "refresh-ttl", c->refresh_ttl_ms, 365u * day,
                                  &c->refresh_ttl_ms, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (c->ttl_ms < 60000u || c->push_ttl_ms < 60000u || c->refresh_ttl_ms < 60000u) {
        /* registry.md §2.2: tokens should never live less than 60 s. */
        return vg_config_err(err, t, VG_E_PARSE,
                             "'auth.token' ttl, push-ttl and refresh-ttl must be >= 60s");
    }
    c->token = true;
    c->realm = vg_strdup(realm);
    free(c->service);
    c->service = vg_strdup(service ? service : "vigil-registry");
    free(c->issuer);
    c->issuer = vg_strdup(issuer ? issuer : "vigil-registry");
    c->key = vg_strdup(key);
    return 0;
}

static int
parse_groups(struct vg_auth_config *c, const struct vg_config_node *auth, struct vg_err **err)
{
    const struct vg_config_node *g = NULL;
    if (vg_config_get_map(auth, "groups", &g, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    for (size_t i = 0; g && i < vg_config_node_len(g); i++) {
        const char *name = vg_config_node_scalar(vg_config_map_key(g, i), NULL);
        VG_ARRAY_GROW(c->groups, c->ngroups, 1);
        struct vg_auth_group *gr = &c->groups[c->ngroups++];
        *gr = (struct vg_auth_group){.name = vg_strdup(name)};
        const struct vg_config_node *v = vg_config_map_value(g, i);
        if (vg_config_node_type(v) != VG_CONFIG_SEQ) {
            return vg_config_err(err, v, VG_E_PARSE, "group '%s' must be a list of users", name);
        }
        for (size_t j = 0; j < vg_config_node_len(v); j++) {
            const char *u = NULL;
            if (scalar(vg_config_seq_at(v, j), "a group member", &u, err) < 0) {
                return -(int)VG_E_PARSE;
            }
            vg_strv_push(&gr->users, &gr->nusers, u);
        }
    }
    return 0;
}

/* "2027-01-31" or "2027-01-31T00:00:00Z" (UTC only: an expiry must not depend on the
 * server's time zone). */
static int
parse_date(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (n != 10 && n != 20) {
        return -1;
    }
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    for (size_t i = 0; i < n; i++) {
        bool digit = s[i] >= '0' && s[i] <= '9';
        if (shape[i] == 'd' ? !digit : s[i] != shape[i]) {
            return -1;
        }
    }
#define D2(i) ((s[i] - '0') * 10 + (s[(i) + 1] - '0'))
    struct tm tm = {.tm_year = D2(0) * 100 + D2(2) - 1900, .tm_mon = D2(5) - 1, .tm_mday = D2(8)};
    if (n == 20) {
        tm.tm_hour = D2(11);
        tm.tm_min = D2(14);
        tm.tm_sec = D2(17);
    }
#undef D2
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60) {
        return -1;
    }
    *out = (int64_t)timegm(&tm);
    return 0;
}

static int
parse_robot(struct vg_auth_config *c, const struct vg_config_node *r, struct vg_err **err)
{
    if (vg_config_check_keys(r, "auth.robots[]", robot_keys, VG_ARRAY_LEN(robot_keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    VG_ARRAY_GROW(c->robots, c->nrobots, 1);
    struct vg_auth_robot *rb = &c->robots[c->nrobots++];
    *rb = (struct vg_auth_robot){0};
    const char *name = NULL, *hash = NULL, *expires = NULL;
    if (vg_config_get_str(r, "name", NULL, &name, err) < 0 ||
        vg_config_get_str(r, "password-hash", NULL, &hash, err) < 0 ||
        vg_config_get_str(r, "expires", NULL, &expires, err) < 0 ||
        repo_globs(r, "repos", &rb->repos, &rb->nrepos, err) < 0 ||
        actions(r, "actions", false, &rb->actions, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (!name || !*name || strchr(name, ':')) {
        return vg_config_err(err, r, VG_E_PARSE, "a robot needs a 'name' without ':'");
    }
    rb->name = vg_strdup(name);
    if (!hash || !vg_crypto_bcrypt_hash_valid(hash)) {
        return vg_config_err(err, r, VG_E_PARSE,
                             "robot '%s': 'password-hash' must be a bcrypt hash (htpasswd -nB)",
                             name);
    }
    rb->hash = vg_strdup(hash);
    if (expires && parse_date(expires, &rb->expires) < 0) {
        return vg_config_err(err, vg_config_map_get(r, "expires"), VG_E_PARSE,
                             "robot '%s': 'expires' must be RFC 3339 UTC "
                             "(2027-01-31T00:00:00Z)",
                             name);
    }
    if (group_find(c, name) || robot_find(c, name) != rb) {
        return vg_config_err(err, r, VG_E_PARSE, "robot '%s' is defined twice or is a group", name);
    }
    return 0;
}

static int
parse_auth(struct vg_auth_config *c, const struct vg_config_node *auth, struct vg_err **err)
{
    if (vg_config_check_keys(auth, "auth", auth_keys, VG_ARRAY_LEN(auth_keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const char *htpasswd = NULL;
    const struct vg_config_node *robots = NULL;
    if (vg_config_get_str(auth, "htpasswd", NULL, &htpasswd, err) < 0 ||
        parse_token(c, vg_config_map_get(auth, "token"), err) < 0 ||
        parse_groups(c, auth, err) < 0 || vg_config_get_seq(auth, "robots", &robots, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    c->htpasswd = vg_strdup(htpasswd);
    for (size_t i = 0; robots && i < vg_config_node_len(robots); i++) {
        if (parse_robot(c, vg_config_seq_at(robots, i), err) < 0) {
            return -(int)VG_E_PARSE;
        }
    }
    if (c->nrobots && !c->token) {
        return vg_config_err(err, robots, VG_E_PARSE,
                             "robot accounts are token-only: enable 'auth.token'");
    }
    return 0;
}

static int
parse_rule(struct vg_auth_config *c, const struct vg_config_node *r, struct vg_err **err)
{
    if (vg_config_check_keys(r, "access[]", rule_keys, VG_ARRAY_LEN(rule_keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    VG_ARRAY_GROW(c->rules, c->nrules, 1);
    struct vg_auth_rule *ru = &c->rules[c->nrules++];
    *ru = (struct vg_auth_rule){.line = vg_config_node_line(r)};
    if (repo_globs(r, "repos", &ru->repos, &ru->nrepos, err) < 0 ||
        str_list(r, "users", &ru->users, &ru->nusers, err) < 0 ||
        str_list(r, "groups", &ru->groups, &ru->ngroups, err) < 0 ||
        actions(r, "actions", true, &ru->actions, err) < 0 ||
        actions(r, "anonymous", false, &ru->anonymous, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (ru->nrepos == 0) {
        return vg_config_err(err, r, VG_E_PARSE, "an access rule needs 'repos'");
    }
    if (ru->actions && ru->nusers == 0 && ru->ngroups == 0) {
        return vg_config_err(err, r, VG_E_PARSE,
                             "'actions' without 'users' or 'groups' grants nothing (use "
                             "'users: [\"*\"]' for every authenticated user)");
    }
    for (size_t i = 0; i < ru->ngroups; i++) {
        if (!group_find(c, ru->groups[i])) {
            vg_autofree char *e = vg_escape(ru->groups[i], strlen(ru->groups[i]), 64);
            return vg_config_err(err, vg_config_map_get(r, "groups"), VG_E_PARSE,
                                 "group '%s' is not defined in 'auth.groups'", e);
        }
    }
    return 0;
}

int
vg_auth_config_parse(struct vg_auth_config *out, const struct vg_config_node *auth,
                     const struct vg_config_node *access, const struct vg_config_node *immutable,
                     struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    out->service = vg_strdup("vigil-registry");
    out->issuer = vg_strdup("vigil-registry");
    out->ttl_ms = VG_AUTH_TOKEN_TTL_MS;
    out->push_ttl_ms = VG_AUTH_TOKEN_TTL_PUSH_MS;
    out->refresh_ttl_ms = VG_AUTH_REFRESH_TTL_MS;
    if (auth && !vg_config_node_is_null(auth) && parse_auth(out, auth, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (access && !vg_config_node_is_null(access)) {
        if (vg_config_node_type(access) != VG_CONFIG_SEQ) {
            return vg_config_err(err, access, VG_E_PARSE, "'access' must be a list of rules");
        }
        for (size_t i = 0; i < vg_config_node_len(access); i++) {
            if (parse_rule(out, vg_config_seq_at(access, i), err) < 0) {
                return -(int)VG_E_PARSE;
            }
        }
    }
    if (immutable && !vg_config_node_is_null(immutable)) {
        if (vg_config_node_type(immutable) != VG_CONFIG_SEQ) {
            return vg_config_err(err, immutable, VG_E_PARSE,
                                 "'immutable' must be a list of repository globs");
        }
        /* repo_globs reads a key of a mapping; the list itself is checked item by item. */
        for (size_t i = 0; i < vg_config_node_len(immutable); i++) {
            const char *s = NULL;
            if (scalar(vg_config_seq_at(immutable, i), "each item of 'immutable'", &s, err) < 0) {
                return -(int)VG_E_PARSE;
            }
            vg_strv_push(&out->immutable, &out->nimmutable, s);
        }
    }
    return 0;
}

void
vg_auth_config_dispose(struct vg_auth_config *c)
{
    free(c->htpasswd);
    free(c->realm);
    free(c->service);
    free(c->issuer);
    free(c->key);
    for (size_t i = 0; i < c->ngroups; i++) {
        free(c->groups[i].name);
        vg_strv_free(c->groups[i].users, c->groups[i].nusers);
    }
    free(c->groups);
    for (size_t i = 0; i < c->nrobots; i++) {
        free(c->robots[i].name);
        free(c->robots[i].hash);
        vg_strv_free(c->robots[i].repos, c->robots[i].nrepos);
    }
    free(c->robots);
    for (size_t i = 0; i < c->nrules; i++) {
        vg_strv_free(c->rules[i].repos, c->rules[i].nrepos);
        vg_strv_free(c->rules[i].users, c->rules[i].nusers);
        vg_strv_free(c->rules[i].groups, c->rules[i].ngroups);
    }
    free(c->rules);
    vg_strv_free(c->immutable, c->nimmutable);
    memset(c, 0, sizeof(*c));
}

bool
vg_auth_config_enabled(const struct vg_auth_config *c)
{
    return c->htpasswd || c->token || c->nrobots || c->nrules;
}

static bool
any_glob(char *const *globs, size_t n, const char *repo)
{
    for (size_t i = 0; i < n; i++) {
        if (vg_glob_match(globs[i], repo)) {
            return true;
        }
    }
    return false;
}

static bool
rule_names(const struct vg_auth_config *c, const struct vg_auth_rule *r, const char *user)
{
    if (!user) {
        return false;
    }
    if (vg_strv_has(r->users, r->nusers, user) || vg_strv_has(r->users, r->nusers, "*")) {
        return true;
    }
    for (size_t i = 0; i < r->ngroups; i++) {
        const struct vg_auth_group *g = group_find(c, r->groups[i]);
        if (g && vg_strv_has(g->users, g->nusers, user)) {
            return true;
        }
    }
    return false;
}

unsigned
vg_auth_rules_grant(const struct vg_auth_config *c, const char *user, const char *repo)
{
    if (!vg_auth_config_enabled(c)) {
        return VG_AUTH_REPO_ALL;
    }
    unsigned g = 0;
    const struct vg_auth_robot *rb = robot_find(c, user);
    if (rb && any_glob(rb->repos, rb->nrepos, repo)) {
        g |= rb->actions;
    }
    for (size_t i = 0; i < c->nrules; i++) {
        const struct vg_auth_rule *r = &c->rules[i];
        if (!any_glob(r->repos, r->nrepos, repo)) {
            continue;
        }
        g |= r->anonymous;
        if (!rb && rule_names(c, r, user)) { /* robots get only their own scope */
            g |= r->actions;
        }
    }
    return g & VG_AUTH_REPO_ALL;
}

unsigned
vg_auth_rules_grant_registry(const struct vg_auth_config *c, const char *user)
{
    if (!vg_auth_config_enabled(c)) {
        return VG_AUTH_CATALOG;
    }
    if (robot_find(c, user)) {
        return 0;
    }
    for (size_t i = 0; i < c->nrules; i++) {
        if ((c->rules[i].actions & VG_AUTH_CATALOG) && rule_names(c, &c->rules[i], user)) {
            return VG_AUTH_CATALOG;
        }
    }
    return 0;
}

const struct vg_auth_robot *
vg_auth__robot(const struct vg_auth_config *c, const char *name)
{
    return robot_find(c, name);
}

static bool
hex_run(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return s[n] == '\0' || s[n] == '.';
}

/* cosign's `sha256-<hex>.sig/.att/.sbom` and the referrers fallback tag `<alg>-<hex>` (the
 * digest with ':' replaced by '-', truncated to the 128 characters a tag may have). */
static bool
tag_is_artifact(const char *tag)
{
    size_t hexlen = 0;
    const char *h = NULL;
    if (vg_cstr_startswith(tag, "sha256-")) {
        h = tag + 7;
        hexlen = 64;
    } else if (vg_cstr_startswith(tag, "sha512-")) {
        h = tag + 7;
        hexlen = 121;
    } else {
        return false;
    }
    if (strlen(h) < hexlen || !hex_run(h, hexlen)) {
        return false;
    }
    const char *suffix = h + hexlen;
    return !*suffix ||
           (hexlen == 64 && (strcmp(suffix, ".sig") == 0 || strcmp(suffix, ".att") == 0 ||
                             strcmp(suffix, ".sbom") == 0));
}

bool
vg_auth_tag_immutable(const struct vg_auth_config *c, const char *repo, const char *tag)
{
    return any_glob(c->immutable, c->nimmutable, repo) && !tag_is_artifact(tag);
}
