/* SPDX-License-Identifier: Apache-2.0
 *
 * Where a command's options come from, as Trivy users expect (docs/scan-config.md): the
 * command line, then `VIGIL_<FLAG>`, then `TRIVY_<FLAG>` for the flags vigil shares with Trivy,
 * then a YAML config file (`--config FILE`, `$VIGIL_CONFIG`, else `vigil.yaml` in the current
 * directory when present; Trivy's `trivy.yaml` keys for the shared flags), then the default.
 *
 * It does not interpret a single value. It rewrites argv: every option the command line
 * leaves unset but a lower source sets is put in front of the command line's own words, as if
 * typed, so the command's one getopt loop parses and checks every value the same way wherever
 * it came from, and a command-line flag always replaces a lower source's value (lists are not
 * merged across sources). The derived names are generic: every long option of the command's
 * table gets its `VIGIL_` variable and config key, so a flag added later is covered with no
 * change here; only the list of Trivy's flags (their `TRIVY_` variables and `trivy.yaml` keys)
 * is a fact kept in this file.
 *
 * The config file is loaded through config/ (bounded, duplicate keys refused); an unknown key
 * is an error naming FILE:LINE:COL, so a misspelt key never silently falls back to a default.
 */
#include "cli.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"

/* Trivy's flags that vigil also has, with the same meaning: `TRIVY_<FLAG>` is read for them,
 * and their config key is Trivy's (each flag's ConfigName in pkg/flag of Trivy's sources). Flags
 * vigil does not have yet are listed too, so they are covered once a command adds them. */
static const struct {
    const char *flag, *key;
} TRIVY_FLAGS[] = {
    {"cache-dir", "cache.dir"},
    {"exit-code", "exit-code"},
    {"format", "format"},
    {"ignore-unfixed", "vulnerability.ignore-unfixed"},
    {"ignorefile", "ignorefile"},
    {"image-config-scanners", "image.image-config-scanners"},
    {"insecure", "insecure"},
    {"list-all-pkgs", "list-all-pkgs"},
    {"output", "output"},
    {"pkg-types", "pkg.types"},
    {"platform", "image.platform"},
    {"quiet", "quiet"},
    {"scanners", "scan.scanners"},
    {"secret-config", "secret.config"},
    {"severity", "severity"},
    {"skip-dirs", "scan.skip-dirs"},
    {"skip-files", "scan.skip-files"},
    {"timeout", "timeout"},
    {"vex", "vulnerability.vex"},
};

/* Options that are not settings: never read from the environment or a config file. */
static bool
not_a_setting(const char *name)
{
    return strcmp(name, "help") == 0 || strcmp(name, "config") == 0 || strcmp(name, "version") == 0;
}

static const char *
trivy_key(const char *flag)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(TRIVY_FLAGS); i++) {
        if (strcmp(TRIVY_FLAGS[i].flag, flag) == 0) {
            return TRIVY_FLAGS[i].key;
        }
    }
    return NULL;
}

const char *
vg_cli_option_config_key(const char *flag)
{
    const char *k = trivy_key(flag);
    return k ? k : flag;
}

char *
vg_cli_option_env_name(const char *prefix, const char *flag)
{
    char *s = vg_fmt("%s%s", prefix, flag);
    for (char *p = s + strlen(prefix); *p; p++) {
        *p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    }
    return s;
}

bool
vg_cli_option_shared_with_trivy(const char *flag)
{
    return trivy_key(flag) != NULL;
}

/* strconv.ParseBool's spellings, as Trivy reads its variables. */
static int
parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
    static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
    for (size_t i = 0; i < VG_ARRAY_LEN(yes); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

struct resolver {
    const struct vg_cli_optspec *spec;
    struct vg_cli_args *out;
    VG_VEC(char *) words; /* settings to put in front (borrowed from out->owned) */
};

static char *
own(struct vg_cli_args *a, char *s)
{
    vg_vec_push(&a->owned, s);
    return s;
}

static bool
repeatable(const struct vg_cli_optspec *spec, const char *name)
{
    for (const char *const *r = spec->repeatable; r && *r; r++) {
        if (strcmp(*r, name) == 0) {
            return true;
        }
    }
    return false;
}

/* Adds `--name [value]`, remembering where the value came from. */
static void
add_setting(struct resolver *rs, const struct option *o, const char *value, const char *origin)
{
    struct vg_cli_args *a = rs->out;
    vg_vec_push(&rs->words, own(a, vg_fmt("--%s", o->name)));
    const char *what = own(a, vg_fmt("--%s came from %s", o->name, origin));
    if (o->has_arg != no_argument) {
        char *v = own(a, vg_strdup(value));
        vg_vec_push(&rs->words, v);
        vg_vec_push(&a->origins, ((struct vg_cli_arg_origin){v, what}));
    }
}

/* A value from the environment: a boolean for a flag without argument; for a repeatable
 * option a comma-separated list is one flag per item (Trivy's string slices). */
static int
from_env(struct resolver *rs, const struct option *o, const char *var, const char *val,
         struct vg_err **err)
{
    vg_autofree char *origin = vg_fmt("$%s", var);
    if (o->has_arg == no_argument) {
        bool on;
        if (parse_bool(val, &on) < 0) {
            vg_autofree char *e = vg_escape(val, strlen(val), 64);
            return vg_err_set(err, VG_E_USAGE, "$%s: '%s' is not a boolean (want true or false)",
                              var, e);
        }
        if (on) {
            add_setting(rs, o, NULL, origin);
        }
        return 0;
    }
    if (!repeatable(rs->spec, o->name)) {
        add_setting(rs, o, val, origin);
        return 0;
    }
    struct vg_str rest = vg_str_c(val), item;
    while (rest.len) {
        vg_str_cut(rest, ',', &item, &rest);
        vg_autofree char *v = vg_str_dup(vg_str_trim(item));
        if (v[0]) {
            add_setting(rs, o, v, origin);
        }
    }
    return 0;
}

static int
scalar_text(const struct vg_config_node *n, const char *key, const char **out, struct vg_err **err)
{
    size_t len = 0;
    const char *s = vg_config_node_scalar(n, &len);
    if (!s) {
        return vg_config_err(err, n, VG_E_PARSE, "'%s' must be a string or a list of strings", key);
    }
    if (memchr(s, '\0', len)) {
        return vg_config_err(err, n, VG_E_PARSE, "'%s' contains a NUL byte", key);
    }
    *out = s;
    return 0;
}

static char *
node_origin(const struct vg_config_node *n, const char *key)
{
    return vg_fmt("%s:%u:%u (%s)", vg_config_node_file(n), vg_config_node_line(n),
                  vg_config_node_col(n), key);
}

/* A value from the config file: true/false for a flag without argument; a scalar, or a list
 * that repeats a repeatable option and is joined with ',' for any other. */
static int
from_config(struct resolver *rs, const struct option *o, const char *key,
            const struct vg_config_node *v, struct vg_err **err)
{
    if (vg_config_node_is_null(v)) {
        return 0;
    }
    vg_autofree char *origin = node_origin(v, key);
    const char *s = NULL;
    if (o->has_arg == no_argument) {
        bool on;
        size_t len = 0;
        if (vg_config_node_type(v) != VG_CONFIG_SCALAR ||
            parse_bool(vg_config_node_scalar(v, &len), &on) < 0) {
            return vg_config_err(err, v, VG_E_PARSE, "'%s' must be true or false", key);
        }
        if (on) {
            add_setting(rs, o, NULL, origin);
        }
        return 0;
    }
    if (vg_config_node_type(v) != VG_CONFIG_SEQ) {
        if (scalar_text(v, key, &s, err) < 0) {
            return -1;
        }
        add_setting(rs, o, s, origin);
        return 0;
    }
    bool each = repeatable(rs->spec, o->name);
    struct vg_buf joined = VG_BUF_INIT(VG_LIMIT_YAML_BYTES);
    for (size_t i = 0; i < vg_config_node_len(v); i++) {
        const struct vg_config_node *item = vg_config_seq_at(v, i);
        if (scalar_text(item, key, &s, err) < 0) {
            vg_buf_dispose(&joined);
            return -1;
        }
        if (each) {
            vg_autofree char *io = node_origin(item, key);
            add_setting(rs, o, s, io);
        } else if ((joined.len && vg_buf_appendc(&joined, ',', err) < 0) ||
                   vg_buf_append_str(&joined, s, err) < 0) {
            vg_buf_dispose(&joined);
            return -1;
        }
    }
    if (!each && joined.len) {
        add_setting(rs, o, (const char *)joined.data, origin);
    }
    vg_buf_dispose(&joined);
    return 0;
}

/* ---------------------------------------------------------------- the config file */

/* The option whose config key is key, or NULL. */
static const struct option *
option_for_key(const struct vg_cli_optspec *spec, const char *key)
{
    for (const struct option *o = spec->longopts; o->name; o++) {
        if (!not_a_setting(o->name) && strcmp(vg_cli_option_config_key(o->name), key) == 0) {
            return o;
        }
    }
    return NULL;
}

/* True when some option's config key lies below the group `prefix` ("scan" for scan.*). */
static bool
is_group(const struct vg_cli_optspec *spec, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const struct option *o = spec->longopts; o->name; o++) {
        const char *k = vg_cli_option_config_key(o->name);
        if (!not_a_setting(o->name) && strncmp(k, prefix, n) == 0 && k[n] == '.') {
            return true;
        }
    }
    return false;
}

/* Every key of the mapping must be an option's key or a group of them; collects the values of
 * options the command line and the environment left unset. */
static int
walk_config(struct resolver *rs, const struct vg_config_node *map, const char *prefix,
            const bool *taken, struct vg_err **err)
{
    for (size_t i = 0; i < vg_config_node_len(map); i++) {
        const struct vg_config_node *kn = vg_config_map_key(map, i);
        const struct vg_config_node *v = vg_config_map_value(map, i);
        size_t klen = 0;
        const char *k = vg_config_node_scalar(kn, &klen);
        vg_autofree char *key = prefix ? vg_fmt("%s.%s", prefix, k) : vg_strdup(k);
        const struct option *o = memchr(k, '\0', klen) ? NULL : option_for_key(rs->spec, key);
        if (o) {
            if (!taken[o - rs->spec->longopts] && from_config(rs, o, key, v, err) < 0) {
                return -1;
            }
            continue;
        }
        if (!memchr(k, '\0', klen) && is_group(rs->spec, key)) {
            if (vg_config_node_is_null(v)) {
                continue;
            }
            if (vg_config_node_type(v) != VG_CONFIG_MAP) {
                return vg_config_err(err, v, VG_E_PARSE, "'%s' must be a mapping", key);
            }
            if (walk_config(rs, v, key, taken, err) < 0) {
                return -1;
            }
            continue;
        }
        vg_autofree char *e = vg_escape(key, strlen(key), 128);
        return vg_config_err(err, kn, VG_E_PARSE, "unknown key '%s' (not a 'vigil %s' option)", e,
                             rs->spec->cmd);
    }
    return 0;
}

static int
read_config(struct resolver *rs, const char *path, bool must_exist, const bool *taken,
            struct vg_err **err)
{
    if (!must_exist && !vg_path_exists(path)) {
        return 0;
    }
    struct vg_config_doc *doc = NULL;
    if (vg_config_load_file(&doc, path, NULL, err) < 0) {
        return vg_err_wrap(err, "config file %s", path);
    }
    int rc = 0;
    size_t ndocs = vg_config_doc_count(doc);
    const struct vg_config_node *root = ndocs ? vg_config_doc_root(doc, 0) : NULL;
    if (ndocs > 1) {
        rc = vg_config_err(err, vg_config_doc_root(doc, 1), VG_E_PARSE,
                           "one YAML document expected, found %zu", ndocs);
    } else if (root && !vg_config_node_is_null(root)) {
        if (vg_config_node_type(root) != VG_CONFIG_MAP) {
            rc = vg_config_err(err, root, VG_E_PARSE, "the config must be a mapping of options");
        } else {
            rc = walk_config(rs, root, NULL, taken, err);
        }
    }
    if (rc == 0) {
        rs->out->config_path = vg_strdup(path);
    }
    vg_config_doc_free(doc);
    return rc;
}

/* ---------------------------------------------------------------- resolution */

/* The option table entry a getopt_long result stands for, or -1. */
static long
option_index(const struct option *longopts, int c, int longindex)
{
    if (longindex >= 0) {
        return longindex;
    }
    for (long i = 0; longopts[i].name; i++) {
        if (!longopts[i].flag && longopts[i].val == c) {
            return i;
        }
    }
    return -1;
}

/* What the command line sets (taken[i] for longopts[i]), with opterr off: the command's own
 * getopt loop reports the mistakes. Works on a copy of the array because getopt permutes. */
static void
scan_command_line(const struct vg_cli_optspec *spec, int argc, char **argv, bool *taken,
                  const char **config, bool *help)
{
    char **copy = vg_calloc((size_t)argc + 1, sizeof(*copy));
    memcpy(copy, argv, (size_t)argc * sizeof(*copy));
    int saved_opterr = opterr;
    opterr = 0;
    optind = 0; /* glibc: a full re-initialisation */
    int c, li = -1;
    while ((c = getopt_long(argc, copy, spec->shortopts, spec->longopts, &li)) != -1) {
        long i = c == '?' || c == ':' ? -1 : option_index(spec->longopts, c, li);
        li = -1;
        if (i < 0) {
            continue;
        }
        taken[i] = true;
        if (strcmp(spec->longopts[i].name, "config") == 0) {
            *config = optarg;
        } else if (strcmp(spec->longopts[i].name, "help") == 0) {
            *help = true;
        }
    }
    opterr = saved_opterr;
    optind = 0;
    free(copy);
}

static int
read_env(struct resolver *rs, const bool *taken, bool *set, struct vg_err **err)
{
    static const char *const prefixes[] = {"VIGIL_", "TRIVY_"};
    for (const struct option *o = rs->spec->longopts; o->name; o++) {
        size_t i = (size_t)(o - rs->spec->longopts);
        if (taken[i] || not_a_setting(o->name)) {
            continue;
        }
        for (size_t p = 0; p < VG_ARRAY_LEN(prefixes) && !set[i]; p++) {
            if (p == 1 && !vg_cli_option_shared_with_trivy(o->name)) {
                continue;
            }
            vg_autofree char *var = vg_cli_option_env_name(prefixes[p], o->name);
            const char *val = getenv(var);
            if (!val || !val[0]) {
                continue; /* unset or empty: as viper, the next source decides */
            }
            if (from_env(rs, o, var, val, err) < 0) {
                return -1;
            }
            set[i] = true;
        }
    }
    return 0;
}

int
vg_cli_args_resolve(struct vg_cli_args *out, const struct vg_cli_optspec *spec, int argc,
                    char **argv, struct vg_err **err)
{
    *out = (struct vg_cli_args){0};
    size_t nopts = 0;
    while (spec->longopts[nopts].name) {
        nopts++;
    }
    vg_autofree bool *taken = vg_calloc(nopts + 1, sizeof(*taken));
    vg_autofree bool *set = vg_calloc(nopts + 1, sizeof(*set));
    const char *config = NULL;
    bool help = false;
    struct resolver rs = {.spec = spec, .out = out};
    scan_command_line(spec, argc, argv, taken, &config, &help);
    int rc = 0;
    if (argc < 1) {
        rc = vg_err_set(err, VG_E_INTERNAL, "no argv[0]");
    } else if (!help) {
        rc = read_env(&rs, taken, set, err);
        const char *env_config = getenv("VIGIL_CONFIG");
        bool must_exist = config || (env_config && env_config[0]);
        if (!config) {
            config = env_config && env_config[0] ? env_config : spec->config_default;
        }
        for (size_t i = 0; i < nopts; i++) {
            taken[i] = taken[i] || set[i];
        }
        if (rc == 0 && config) {
            rc = read_config(&rs, config, must_exist, taken, err);
        }
    }
    if (rc < 0) {
        vg_vec_dispose(&rs.words);
        vg_cli_args_dispose(out);
        return rc;
    }
    /* argv[0], the lower sources' settings, then the command line's words as typed. */
    out->argc = argc + (int)rs.words.n;
    out->argv = vg_calloc((size_t)out->argc + 1, sizeof(*out->argv));
    out->argv[0] = argv[0];
    for (size_t i = 0; i < rs.words.n; i++) {
        out->argv[1 + i] = rs.words.v[i];
    }
    for (int i = 1; i < argc; i++) {
        out->argv[(int)rs.words.n + i] = argv[i];
    }
    vg_vec_dispose(&rs.words);
    return 0;
}

const char *
vg_cli_args_origin(const struct vg_cli_args *a, const char *value)
{
    for (size_t i = 0; value && i < a->origins.n; i++) {
        if (a->origins.v[i].value == value) {
            return a->origins.v[i].what;
        }
    }
    return NULL;
}

void
vg_cli_args_dispose(struct vg_cli_args *a)
{
    free(a->argv);
    for (size_t i = 0; i < a->owned.n; i++) {
        free(a->owned.v[i]);
    }
    vg_vec_dispose(&a->owned);
    vg_vec_dispose(&a->origins);
    free(a->config_path);
    *a = (struct vg_cli_args){0};
}
