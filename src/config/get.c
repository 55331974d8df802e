/* SPDX-License-Identifier: Apache-2.0
 *
 * Typed getters over a mapping for schema code (registry config, policy files): a key that is
 * absent or null yields the caller's default; a present value of the wrong shape is an error
 * at the value's FILE:LINE:COL naming the key. Also the unknown-key check (a misspelt key must
 * not silently fall back to a default) and the size ("512MiB") and duration ("1h30m") grammars.
 */
#include "config.h"

#include <string.h>

/* Value of key, or NULL when absent or null (a null value means "use the default"). */
static const struct vg_config_node *
value_of(const struct vg_config_node *map, const char *key)
{
    const struct vg_config_node *v = vg_config_map_get(map, key);
    return v && vg_config_node_is_null(v) ? NULL : v;
}

static int
scalar_of(const struct vg_config_node *v, const char *key, const char *expected, struct vg_str *out,
          struct vg_err **err)
{
    size_t len = 0;
    const char *s = vg_config_node_scalar(v, &len);
    if (!s) {
        return vg_config_err(err, v, VG_E_PARSE, "'%s' must be %s, not a %s", key, expected,
                             vg_config_type_name(vg_config_node_type(v)));
    }
    if (memchr(s, '\0', len)) {
        return vg_config_err(err, v, VG_E_PARSE, "'%s' contains a NUL byte", key);
    }
    *out = (struct vg_str){s, len};
    return 0;
}

int
vg_config_get_str(const struct vg_config_node *map, const char *key, const char *def,
                  const char **out, struct vg_err **err)
{
    const struct vg_config_node *v = value_of(map, key);
    struct vg_str s = {0};
    if (!v) {
        *out = def;
        return 0;
    }
    if (scalar_of(v, key, "a string", &s, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    *out = s.ptr;
    return 0;
}

int
vg_config_get_bool(const struct vg_config_node *map, const char *key, bool def, bool *out,
                   struct vg_err **err)
{
    static const char *const yes[] = {"true", "True", "TRUE"};
    static const char *const no[] = {"false", "False", "FALSE"};
    const struct vg_config_node *v = value_of(map, key);
    struct vg_str s;
    if (!v) {
        *out = def;
        return 0;
    }
    if (scalar_of(v, key, "true or false", &s, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(yes); i++) {
        if (vg_str_eq_c(s, yes[i]) || vg_str_eq_c(s, no[i])) {
            *out = vg_str_eq_c(s, yes[i]);
            return 0;
        }
    }
    return vg_config_err(err, v, VG_E_PARSE, "'%s' must be true or false", key);
}

/* Shared by the number-like getters: parse the scalar with fn, check max, or explain. */
typedef int (*num_fn)(struct vg_str s, uint64_t max, uint64_t *out);

static int
get_num(const struct vg_config_node *map, const char *key, uint64_t def, uint64_t max,
        uint64_t *out, num_fn fn, const char *expected, struct vg_err **err)
{
    const struct vg_config_node *v = value_of(map, key);
    struct vg_str s;
    if (!v) {
        *out = def;
        return 0;
    }
    if (scalar_of(v, key, expected, &s, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    uint64_t n = 0;
    if (fn(s, UINT64_MAX, &n) < 0) {
        return vg_config_err(err, v, VG_E_PARSE, "'%s' must be %s", key, expected);
    }
    if (n > max) {
        return vg_config_err(err, v, VG_E_PARSE, "'%s' is over the maximum %llu", key,
                             (unsigned long long)max);
    }
    *out = n;
    return 0;
}

int
vg_config_get_u64(const struct vg_config_node *map, const char *key, uint64_t def, uint64_t max,
                  uint64_t *out, struct vg_err **err)
{
    return get_num(map, key, def, max, out, vg_parse_u64, "a non-negative integer", err);
}

int
vg_config_get_size(const struct vg_config_node *map, const char *key, uint64_t def, uint64_t max,
                   uint64_t *out, struct vg_err **err)
{
    return get_num(map, key, def, max, out, vg_config_parse_size,
                   "a size like 1024, 10MB or 512MiB", err);
}

int
vg_config_get_duration_ms(const struct vg_config_node *map, const char *key, uint64_t def,
                          uint64_t max, uint64_t *out, struct vg_err **err)
{
    return get_num(map, key, def, max, out, vg_config_parse_duration_ms,
                   "a duration like 500ms, 30s, 10m or 1h30m", err);
}

static int
get_kind(const struct vg_config_node *map, const char *key, enum vg_config_type want,
         const struct vg_config_node **out, struct vg_err **err)
{
    const struct vg_config_node *v = value_of(map, key);
    *out = NULL;
    if (!v) {
        return 0;
    }
    if (vg_config_node_type(v) != want) {
        return vg_config_err(err, v, VG_E_PARSE, "'%s' must be a %s, not a %s", key,
                             vg_config_type_name(want),
                             vg_config_type_name(vg_config_node_type(v)));
    }
    *out = v;
    return 0;
}

int
vg_config_get_map(const struct vg_config_node *map, const char *key,
                  const struct vg_config_node **out, struct vg_err **err)
{
    return get_kind(map, key, VG_CONFIG_MAP, out, err);
}

int
vg_config_get_seq(const struct vg_config_node *map, const char *key,
                  const struct vg_config_node **out, struct vg_err **err)
{
    return get_kind(map, key, VG_CONFIG_SEQ, out, err);
}

int
vg_config_check_keys(const struct vg_config_node *map, const char *path, const char *const *allowed,
                     size_t nallowed, struct vg_err **err)
{
    if (vg_config_node_type(map) != VG_CONFIG_MAP) {
        return vg_config_err(err, map, VG_E_PARSE, "%s must be a mapping, not a %s",
                             path && *path ? path : "the document",
                             vg_config_type_name(vg_config_node_type(map)));
    }
    for (size_t i = 0; i < vg_config_node_len(map); i++) {
        const struct vg_config_node *k = vg_config_map_key(map, i);
        size_t len = 0;
        const char *name = vg_config_node_scalar(k, &len);
        bool known = false;
        for (size_t j = 0; j < nallowed && !known; j++) {
            known = strlen(allowed[j]) == len && memcmp(allowed[j], name, len) == 0;
        }
        if (!known) {
            vg_autofree char *esc = vg_escape(name, len, 64);
            return vg_config_err(err, k, VG_E_PARSE, "unknown key '%s%s%s'",
                                 path && *path ? path : "", path && *path ? "." : "", esc);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- grammars */

/* Splits s into its leading digits and the rest. */
static struct vg_str
take_digits(struct vg_str *s)
{
    size_t n = 0;
    while (n < s->len && s->ptr[n] >= '0' && s->ptr[n] <= '9') {
        n++;
    }
    struct vg_str d = {s->ptr, n};
    s->ptr += n;
    s->len -= n;
    return d;
}

int
vg_config_parse_size(struct vg_str s, uint64_t max, uint64_t *out)
{
    static const struct {
        const char *unit;
        uint64_t mul;
    } units[] = {
        {"", 1},
        {"B", 1},
        {"k", 1000ull},
        {"kB", 1000ull},
        {"K", 1000ull},
        {"KB", 1000ull},
        {"M", 1000ull * 1000},
        {"MB", 1000ull * 1000},
        {"G", 1000ull * 1000 * 1000},
        {"GB", 1000ull * 1000 * 1000},
        {"T", 1000ull * 1000 * 1000 * 1000},
        {"TB", 1000ull * 1000 * 1000 * 1000},
        {"Ki", 1ull << 10},
        {"KiB", 1ull << 10},
        {"Mi", 1ull << 20},
        {"MiB", 1ull << 20},
        {"Gi", 1ull << 30},
        {"GiB", 1ull << 30},
        {"Ti", 1ull << 40},
        {"TiB", 1ull << 40},
    };
    s = vg_str_trim(s);
    struct vg_str digits = take_digits(&s);
    uint64_t n = 0;
    if (vg_parse_u64(digits, UINT64_MAX, &n) < 0) {
        return -1;
    }
    s = vg_str_trim(s); /* "512 MiB" */
    for (size_t i = 0; i < VG_ARRAY_LEN(units); i++) {
        uint64_t v;
        if (vg_str_eq_c(s, units[i].unit)) {
            if (vg_ckd_mul(&v, n, units[i].mul) || v > max) {
                return -1;
            }
            *out = v;
            return 0;
        }
    }
    return -1;
}

int
vg_config_parse_duration_ms(struct vg_str s, uint64_t max, uint64_t *out)
{
    /* Longest unit first so "ms" is not read as "m" followed by "s". */
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = {{"ms", 1}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
    s = vg_str_trim(s);
    if (vg_str_eq_c(s, "0")) {
        *out = 0;
        return 0;
    }
    uint64_t total = 0;
    size_t last = VG_ARRAY_LEN(units); /* index of the previous unit: units only decrease */
    if (s.len == 0) {
        return -1;
    }
    while (s.len > 0) {
        uint64_t n = 0, part;
        if (vg_parse_u64(take_digits(&s), UINT64_MAX, &n) < 0) {
            return -1;
        }
        size_t u = 0;
        while (u < VG_ARRAY_LEN(units) && !vg_str_startswith(s, units[u].unit)) {
            u++;
        }
        if (u == VG_ARRAY_LEN(units) ||
            (last < VG_ARRAY_LEN(units) && units[u].ms >= units[last].ms)) {
            return -1; /* no unit, or "10s5m" / "1h1h": units must strictly decrease */
        }
        last = u;
        s.ptr += strlen(units[u].unit);
        s.len -= strlen(units[u].unit);
        if (vg_ckd_mul(&part, n, units[u].ms) || vg_ckd_add(&total, total, part)) {
            return -1;
        }
    }
    if (total > max) {
        return -1;
    }
    *out = total;
    return 0;
}
