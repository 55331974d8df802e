/* SPDX-License-Identifier: Apache-2.0
 *
 * CVSS base scores from vector strings: v2 (FIRST CVSS v2 guide §3.2.1), v3.0 and v3.1
 * (specification §7.1 and Appendix A for Roundup), v4.0 (specification §8: MacroVector
 * lookup plus interpolation by severity distance, as in the FIRST/Red Hat reference
 * calculator). Also the qualitative severity names. Parsing is strict: unknown metrics,
 * unknown values, duplicates and missing mandatory base metrics are errors.
 */
#include "vulndb/vulndb.h"

#include <math.h>
#include <string.h>

#define MAX_METRICS 40
#define VECTOR_MAX  512

struct metric {
    char key[8];
    char val[8];
};

struct vec {
    struct metric m[MAX_METRICS];
    size_t n;
};

const char *
vg_vulndb_severity_name(enum vg_vulndb_severity s)
{
    switch (s) {
    case VG_SEV_NONE:
        return "NONE";
    case VG_SEV_LOW:
        return "LOW";
    case VG_SEV_MEDIUM:
        return "MEDIUM";
    case VG_SEV_HIGH:
        return "HIGH";
    case VG_SEV_CRITICAL:
        return "CRITICAL";
    case VG_SEV_UNKNOWN:
        break;
    }
    return "UNKNOWN";
}

enum vg_vulndb_severity
vg_vulndb_severity_parse(const char *s)
{
    static const struct {
        const char *name;
        enum vg_vulndb_severity sev;
    } map[] = {
        {"NONE", VG_SEV_NONE},       {"LOW", VG_SEV_LOW},   {"MEDIUM", VG_SEV_MEDIUM},
        {"MODERATE", VG_SEV_MEDIUM}, {"HIGH", VG_SEV_HIGH}, {"CRITICAL", VG_SEV_CRITICAL},
        {"IMPORTANT", VG_SEV_HIGH},
    };
    if (!s) {
        return VG_SEV_UNKNOWN;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(map); i++) {
        if (strcasecmp(s, map[i].name) == 0) {
            return map[i].sev;
        }
    }
    return VG_SEV_UNKNOWN;
}

const char *
vg_cvss_version_name(enum vg_cvss_version v)
{
    switch (v) {
    case VG_CVSS_V2:
        return "2.0";
    case VG_CVSS_V30:
        return "3.0";
    case VG_CVSS_V31:
        return "3.1";
    case VG_CVSS_V40:
        return "4.0";
    }
    return "";
}

enum vg_vulndb_severity
vg_cvss_severity(double score, enum vg_cvss_version version)
{
    /* Compare in tenths so 6.9999 noise cannot fall between bands. */
    long t = lround(score * 10.0);
    if (version == VG_CVSS_V2) {
        return t >= 70 ? VG_SEV_HIGH : t >= 40 ? VG_SEV_MEDIUM : VG_SEV_LOW;
    }
    if (t == 0) {
        return VG_SEV_NONE;
    }
    return t >= 90 ? VG_SEV_CRITICAL : t >= 70 ? VG_SEV_HIGH : t >= 40 ? VG_SEV_MEDIUM : VG_SEV_LOW;
}

/* Splits "K:V/K:V/..." into metrics; rejects empty parts, overlong keys or values, and
 * duplicate keys. */
static int
vec_parse(struct vec *v, struct vg_str s, const char *vector, struct vg_err **err)
{
    v->n = 0;
    while (s.len) {
        struct vg_str part, rest, key, val;
        vg_str_cut(s, '/', &part, &rest);
        if (!vg_str_cut(part, ':', &key, &val) || key.len == 0 || val.len == 0 ||
            key.len >= sizeof(v->m[0].key) || val.len >= sizeof(v->m[0].val)) {
            return vg_err_set(err, VG_E_PARSE, "CVSS vector %s: malformed metric '%.*s'", vector,
                              (int)part.len, part.ptr);
        }
        if (v->n == MAX_METRICS) {
            return vg_err_set(err, VG_E_PARSE, "CVSS vector %s: too many metrics", vector);
        }
        struct metric *m = &v->m[v->n];
        memcpy(m->key, key.ptr, key.len);
        m->key[key.len] = '\0';
        memcpy(m->val, val.ptr, val.len);
        m->val[val.len] = '\0';
        for (size_t i = 0; i < v->n; i++) {
            if (strcmp(v->m[i].key, m->key) == 0) {
                return vg_err_set(err, VG_E_PARSE, "CVSS vector %s: duplicate metric %s", vector,
                                  m->key);
            }
        }
        v->n++;
        s = rest;
    }
    return 0;
}

static const char *
vec_get(const struct vec *v, const char *key)
{
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->m[i].key, key) == 0) {
            return v->m[i].val;
        }
    }
    return NULL;
}

/* First letter of a metric's value, or '\0' when the metric is absent: the scoring functions
 * treat an absent metric like an unknown value instead of trusting an earlier check. */
static char
vec_letter(const struct vec *v, const char *key)
{
    const char *val = vec_get(v, key);
    return val ? val[0] : '\0';
}

/* Metric definition: key, allowed values (one char each, in a string), mandatory flag. */
struct mdef {
    const char *key;
    const char *vals;
    bool mandatory;
};

static bool
value_allowed(const char *vals, const char *val)
{
    if (!strchr(vals, '|')) {
        return strlen(val) == 1 && strchr(vals, val[0]);
    }
    struct vg_str rest = vg_str_c(vals), tok;
    while (rest.len) {
        vg_str_cut(rest, '|', &tok, &rest);
        if (vg_str_eq_c(tok, val)) {
            return true;
        }
    }
    return false;
}

static int
vec_check(const struct vec *v, const struct mdef *defs, size_t ndefs, const char *vector,
          struct vg_err **err)
{
    for (size_t i = 0; i < v->n; i++) {
        const struct mdef *d = NULL;
        for (size_t j = 0; j < ndefs; j++) {
            if (strcmp(defs[j].key, v->m[i].key) == 0) {
                d = &defs[j];
                break;
            }
        }
        if (!d) {
            return vg_err_set(err, VG_E_PARSE, "CVSS vector %s: unknown metric %s", vector,
                              v->m[i].key);
        }
        /* Values are single letters, or a "|"-separated list of words (v2 temporal and
         * environmental metrics), or "*" for supplemental values (U:Clear, ...) that do not
         * take part in scoring. */
        bool ok = strcmp(d->vals, "*") == 0 || value_allowed(d->vals, v->m[i].val);
        if (!ok) {
            return vg_err_set(err, VG_E_PARSE, "CVSS vector %s: bad value %s:%s", vector,
                              v->m[i].key, v->m[i].val);
        }
    }
    for (size_t j = 0; j < ndefs; j++) {
        if (defs[j].mandatory && !vec_get(v, defs[j].key)) {
            return vg_err_set(err, VG_E_PARSE, "CVSS vector %s: missing base metric %s", vector,
                              defs[j].key);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- v2 */

static const struct mdef v2_defs[] = {
    {"AV", "LAN", true},          {"AC", "HML", true},
    {"Au", "MSN", true},          {"C", "NPC", true},
    {"I", "NPC", true},           {"A", "NPC", true},
    {"E", "U|POC|F|H|ND", false}, {"RL", "OF|TF|W|U|ND", false},
    {"RC", "UC|UR|C|ND", false},  {"CDP", "N|L|LM|MH|H|ND", false},
    {"TD", "N|L|M|H|ND", false},  {"CR", "L|M|H|ND", false},
    {"IR", "L|M|H|ND", false},    {"AR", "L|M|H|ND", false},
};

static double
v2_cia(char c)
{
    return c == 'P' ? 0.275 : c == 'C' ? 0.660 : 0.0;
}

static double
score_v2(const struct vec *v)
{
    char av = vec_letter(v, "AV"), ac = vec_letter(v, "AC"), au = vec_letter(v, "Au");
    double impact =
        10.41 * (1.0 - (1.0 - v2_cia(vec_letter(v, "C"))) * (1.0 - v2_cia(vec_letter(v, "I"))) *
                           (1.0 - v2_cia(vec_letter(v, "A"))));
    double avw = av == 'L' ? 0.395 : av == 'A' ? 0.646 : 1.0;
    double acw = ac == 'H' ? 0.35 : ac == 'M' ? 0.61 : 0.71;
    double auw = au == 'M' ? 0.45 : au == 'S' ? 0.56 : 0.704;
    double expl = 20.0 * avw * acw * auw;
    double f = impact == 0.0 ? 0.0 : 1.176;
    double base = ((0.6 * impact) + (0.4 * expl) - 1.5) * f;
    /* round_to_1_decimal; the epsilon absorbs binary noise such as 4.2999999. */
    return floor(base * 10.0 + 0.5 + 1e-9) / 10.0;
}

/* ---------------------------------------------------------------- v3.x */

static const struct mdef v3_defs[] = {
    {"AV", "NALP", true},   {"AC", "LH", true},     {"PR", "NLH", true},     {"UI", "NR", true},
    {"S", "UC", true},      {"C", "HLN", true},     {"I", "HLN", true},      {"A", "HLN", true},
    {"E", "XUPFH", false},  {"RL", "XOTWU", false}, {"RC", "XURC", false},   {"CR", "XLMH", false},
    {"IR", "XLMH", false},  {"AR", "XLMH", false},  {"MAV", "XNALP", false}, {"MAC", "XLH", false},
    {"MPR", "XNLH", false}, {"MUI", "XNR", false},  {"MS", "XUC", false},    {"MC", "XNLH", false},
    {"MI", "XNLH", false},  {"MA", "XNLH", false},
};

/* v3.1 Appendix A: Roundup avoids floating-point artefacts by working in 1e-5 units. */
static double
roundup_31(double x)
{
    long long i = llround(x * 100000.0);
    if (i % 10000 == 0) {
        return (double)i / 100000.0;
    }
    return (double)(i / 10000 + 1) / 10.0;
}

static double
roundup_30(double x)
{
    return ceil(x * 10.0 - 1e-9) / 10.0;
}

static double
v3_cia(char c)
{
    return c == 'H' ? 0.56 : c == 'L' ? 0.22 : 0.0;
}

static double
score_v3(const struct vec *v, bool v31)
{
    bool changed = vec_letter(v, "S") == 'C';
    char av = vec_letter(v, "AV"), ac = vec_letter(v, "AC");
    char pr = vec_letter(v, "PR"), ui = vec_letter(v, "UI");
    double iss = 1.0 - (1.0 - v3_cia(vec_letter(v, "C"))) * (1.0 - v3_cia(vec_letter(v, "I"))) *
                           (1.0 - v3_cia(vec_letter(v, "A")));
    double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss;
    double avw = av == 'N' ? 0.85 : av == 'A' ? 0.62 : av == 'L' ? 0.55 : 0.2;
    double acw = ac == 'L' ? 0.77 : 0.44;
    double prw = pr == 'N' ? 0.85 : pr == 'L' ? (changed ? 0.68 : 0.62) : (changed ? 0.5 : 0.27);
    double uiw = ui == 'N' ? 0.85 : 0.62;
    double expl = 8.22 * avw * acw * prw * uiw;
    if (impact <= 0) {
        return 0.0;
    }
    double raw = changed ? fmin(1.08 * (impact + expl), 10.0) : fmin(impact + expl, 10.0);
    return v31 ? roundup_31(raw) : roundup_30(raw);
}

/* ---------------------------------------------------------------- v4.0 */

static const struct mdef v4_defs[] = {
    {"AV", "NALP", true},    {"AC", "LH", true},      {"AT", "NP", true},
    {"PR", "NLH", true},     {"UI", "NPA", true},     {"VC", "HLN", true},
    {"VI", "HLN", true},     {"VA", "HLN", true},     {"SC", "HLN", true},
    {"SI", "HLN", true},     {"SA", "HLN", true},     {"E", "XAPU", false},
    {"CR", "XHML", false},   {"IR", "XHML", false},   {"AR", "XHML", false},
    {"MAV", "XNALP", false}, {"MAC", "XLH", false},   {"MAT", "XNP", false},
    {"MPR", "XNLH", false},  {"MUI", "XNPA", false},  {"MVC", "XHLN", false},
    {"MVI", "XHLN", false},  {"MVA", "XHLN", false},  {"MSC", "XHLN", false},
    {"MSI", "XSHLN", false}, {"MSA", "XSHLN", false}, {"S", "XNP", false},
    {"AU", "XNY", false},    {"R", "XAUI", false},    {"V", "XDC", false},
    {"RE", "XLMH", false},   {"U", "*", false},
};

/* MacroVector scores (specification §8.2; the published lookup table), indexed by the six EQ
 * digits eq1 (0-2), eq2 (0-1), eq3 (0-2), eq4 (0-2), eq5 (0-2), eq6 (0-1). Negative entries
 * are combinations that cannot occur (eq3=2 with eq6=0). */
static const double v4_lookup[3][2][3][3][3][2] = {
    {{{{{10, 9.9}, {9.8, 9.5}, {9.5, 9.2}},
       {{10, 9.6}, {9.3, 8.7}, {9.1, 8.1}},
       {{9.3, 9.0}, {8.9, 8.0}, {8.1, 6.8}}},
      {{{9.8, 9.5}, {9.5, 9.2}, {9.0, 8.4}},
       {{9.3, 9.2}, {8.9, 8.1}, {8.1, 6.5}},
       {{8.8, 8.0}, {7.8, 7.0}, {6.9, 4.8}}},
      {{{-1, 9.2}, {-1, 8.2}, {-1, 7.2}},
       {{-1, 7.9}, {-1, 6.9}, {-1, 5.0}},
       {{-1, 6.9}, {-1, 5.5}, {-1, 2.7}}}},
     {{{{9.9, 9.7}, {9.5, 9.2}, {9.2, 8.5}},
       {{9.5, 9.1}, {9.0, 8.3}, {8.4, 7.1}},
       {{9.2, 8.1}, {8.2, 7.1}, {7.2, 5.3}}},
      {{{9.5, 9.3}, {9.2, 8.5}, {8.5, 7.3}},
       {{9.2, 8.2}, {8.0, 7.2}, {7.0, 5.9}},
       {{8.4, 7.0}, {7.1, 5.2}, {5.0, 3.0}}},
      {{{-1, 8.6}, {-1, 7.5}, {-1, 5.2}},
       {{-1, 7.1}, {-1, 5.2}, {-1, 2.9}},
       {{-1, 6.3}, {-1, 2.9}, {-1, 1.7}}}}},
    {{{{{9.8, 9.5}, {9.4, 8.7}, {9.1, 8.1}},
       {{9.4, 8.9}, {8.6, 7.4}, {7.7, 6.4}},
       {{8.7, 7.5}, {7.4, 6.3}, {6.3, 4.9}}},
      {{{9.4, 8.9}, {8.8, 7.7}, {7.6, 6.7}},
       {{8.6, 7.6}, {7.4, 5.8}, {5.9, 5.0}},
       {{7.2, 5.7}, {5.7, 5.2}, {5.2, 2.5}}},
      {{{-1, 8.3}, {-1, 7.0}, {-1, 5.4}},
       {{-1, 6.5}, {-1, 5.8}, {-1, 2.6}},
       {{-1, 5.3}, {-1, 2.1}, {-1, 1.3}}}},
     {{{{9.5, 9.0}, {8.8, 7.6}, {7.6, 7.0}},
       {{9.0, 7.7}, {7.5, 6.2}, {6.1, 5.3}},
       {{7.7, 6.6}, {6.8, 5.9}, {5.2, 3.0}}},
      {{{8.9, 7.8}, {7.6, 6.7}, {6.2, 5.8}},
       {{7.4, 5.9}, {5.7, 5.7}, {4.7, 2.3}},
       {{6.1, 5.2}, {5.7, 2.9}, {2.4, 1.6}}},
      {{{-1, 7.1}, {-1, 5.9}, {-1, 3.0}},
       {{-1, 5.8}, {-1, 2.6}, {-1, 1.5}},
       {{-1, 2.3}, {-1, 1.3}, {-1, 0.6}}}}},
    {{{{{9.3, 8.7}, {8.6, 7.2}, {7.5, 5.8}},
       {{8.6, 7.4}, {7.4, 6.1}, {5.6, 3.4}},
       {{7.0, 5.4}, {5.2, 4.0}, {4.0, 2.2}}},
      {{{8.5, 7.5}, {7.4, 5.5}, {6.2, 5.1}},
       {{7.2, 5.7}, {5.5, 4.1}, {4.6, 1.9}},
       {{5.3, 3.6}, {3.4, 1.9}, {1.9, 0.8}}},
      {{{-1, 6.4}, {-1, 5.1}, {-1, 2.0}},
       {{-1, 4.7}, {-1, 2.1}, {-1, 1.1}},
       {{-1, 2.4}, {-1, 0.9}, {-1, 0.4}}}},
     {{{{8.8, 7.5}, {7.3, 5.3}, {6.0, 5.0}},
       {{7.3, 5.5}, {5.9, 4.0}, {4.1, 2.0}},
       {{5.4, 4.3}, {4.5, 2.2}, {2.0, 1.1}}},
      {{{7.5, 5.5}, {5.8, 4.5}, {4.0, 2.1}},
       {{6.1, 5.1}, {4.8, 1.8}, {2.0, 0.9}},
       {{4.6, 1.8}, {1.7, 0.7}, {0.8, 0.2}}},
      {{{-1, 5.3}, {-1, 2.4}, {-1, 1.4}},
       {{-1, 2.4}, {-1, 1.2}, {-1, 0.5}},
       {{-1, 1.0}, {-1, 0.3}, {-1, 0.1}}}}},
};

static double
v4_mv(int e1, int e2, int e3, int e4, int e5, int e6)
{
    if (e1 < 0 || e1 > 2 || e2 < 0 || e2 > 1 || e3 < 0 || e3 > 2 || e4 < 0 || e4 > 2 || e5 < 0 ||
        e5 > 2 || e6 < 0 || e6 > 1) {
        return -1;
    }
    return v4_lookup[e1][e2][e3][e4][e5][e6];
}

/* Effective value: modified metric when set, worst case for unset E/CR/IR/AR (§8.1). */
static char
v4_eff(const struct vec *v, const char *key)
{
    char mkey[8] = "M";
    size_t kl = strlen(key);
    memcpy(mkey + 1, key, kl + 1);
    const char *m = vec_get(v, mkey);
    if (m && m[0] != 'X') {
        return m[0];
    }
    const char *b = vec_get(v, key);
    if (!b || b[0] == 'X') {
        if (strcmp(key, "E") == 0) {
            return 'A';
        }
        return 'H'; /* CR, IR, AR */
    }
    return b[0];
}

/* Severity levels of each value, in tenths (reference calculator's METRIC_LEVELS). */
static int
v4_level(const char *key, char val)
{
    static const struct {
        const char *key;
        const char *vals;
        int base;
    } lv[] = {
        {"AV", "NALP", 0}, {"PR", "NLH", 0}, {"UI", "NPA", 0}, {"AC", "LH", 0},  {"AT", "NP", 0},
        {"VC", "HLN", 0},  {"VI", "HLN", 0}, {"VA", "HLN", 0}, {"SC", "HLN", 1}, {"SI", "SHLN", 0},
        {"SA", "SHLN", 0}, {"CR", "HML", 0}, {"IR", "HML", 0}, {"AR", "HML", 0},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(lv); i++) {
        if (strcmp(lv[i].key, key) == 0) {
            const char *p = strchr(lv[i].vals, val);
            return p ? lv[i].base + (int)(p - lv[i].vals) : 0;
        }
    }
    return 0;
}

struct v4_eqs {
    int eq[6];
};

static void
v4_macrovector(const struct vec *v, struct v4_eqs *q)
{
    char av = v4_eff(v, "AV"), pr = v4_eff(v, "PR"), ui = v4_eff(v, "UI");
    char ac = v4_eff(v, "AC"), at = v4_eff(v, "AT");
    char vc = v4_eff(v, "VC"), vi = v4_eff(v, "VI"), va = v4_eff(v, "VA");
    char sc = v4_eff(v, "SC"), si = v4_eff(v, "SI"), sa = v4_eff(v, "SA");
    char e = v4_eff(v, "E"), cr = v4_eff(v, "CR"), ir = v4_eff(v, "IR"), ar = v4_eff(v, "AR");
    bool any_n = av == 'N' || pr == 'N' || ui == 'N';

    q->eq[0] = (av == 'N' && pr == 'N' && ui == 'N') ? 0 : (any_n && av != 'P') ? 1 : 2;
    q->eq[1] = (ac == 'L' && at == 'N') ? 0 : 1;
    q->eq[2] = (vc == 'H' && vi == 'H') ? 0 : (vc == 'H' || vi == 'H' || va == 'H') ? 1 : 2;
    q->eq[3] = (si == 'S' || sa == 'S') ? 0 : (sc == 'H' || si == 'H' || sa == 'H') ? 1 : 2;
    q->eq[4] = e == 'A' ? 0 : e == 'P' ? 1 : 2;
    q->eq[5] =
        ((cr == 'H' && vc == 'H') || (ir == 'H' && vi == 'H') || (ar == 'H' && va == 'H')) ? 0 : 1;
}

/* Highest-severity vectors of each EQ level (reference calculator's max_composed), as
 * "K:V/..." fragments. */
static const char *const v4_max_eq1[3][3] = {
    {"AV:N/PR:N/UI:N", NULL, NULL},
    {"AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"},
    {"AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P", NULL},
};
static const char *const v4_max_eq2[2][2] = {
    {"AC:L/AT:N", NULL},
    {"AC:H/AT:N", "AC:L/AT:P"},
};
static const char *const v4_max_eq3eq6[3][2][5] = {
    {{"VC:H/VI:H/VA:H/CR:H/IR:H/AR:H", NULL},
     {"VC:H/VI:H/VA:L/CR:M/IR:M/AR:H", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M", NULL}},
    {{"VC:L/VI:H/VA:H/CR:H/IR:H/AR:H", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H", NULL},
     {"VC:L/VI:H/VA:L/CR:H/IR:M/AR:H", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
      "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
      "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M"}},
    {{NULL}, {"VC:L/VI:L/VA:L/CR:H/IR:H/AR:H", NULL}},
};
static const char *const v4_max_eq4[3] = {"SC:H/SI:S/SA:S", "SC:H/SI:H/SA:H", "SC:L/SI:L/SA:L"};
/* Depth of each MacroVector level in severity steps (reference calculator's max_severity). */
static const int v4_depth_eq1[3] = {1, 4, 5};
static const int v4_depth_eq2[2] = {1, 2};
static const int v4_depth_eq3eq6[3][2] = {{7, 6}, {8, 8}, {0, 10}};
static const int v4_depth_eq4[3] = {6, 5, 4};

static char
frag_get(const char *frags[], size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = frags[i];
        while (p && *p) {
            const char *colon = strchr(p, ':');
            if ((size_t)(colon - p) == strlen(key) && strncmp(p, key, strlen(key)) == 0) {
                return colon[1];
            }
            p = strchr(p, '/');
            p = p ? p + 1 : NULL;
        }
    }
    return 0;
}

/* Severity distances (in tenths) between the vector and one candidate max vector, per metric
 * group; false when the candidate is not at least as severe in every metric. */
static bool
v4_distances(const struct vec *v, const char *frags[4], int d[4])
{
    static const char *const keys[] = {"AV", "PR", "UI", "AC", "AT", "VC", "VI",
                                       "VA", "CR", "IR", "AR", "SC", "SI", "SA"};
    static const int group[] = {0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3};
    memset(d, 0, 4 * sizeof(int));
    for (size_t i = 0; i < VG_ARRAY_LEN(keys); i++) {
        char mv = frag_get(frags, 4, keys[i]);
        int dist = v4_level(keys[i], v4_eff(v, keys[i])) - v4_level(keys[i], mv);
        if (dist < 0) {
            return false;
        }
        d[group[i]] += dist;
    }
    return true;
}

static double
v4_next_lower(const struct v4_eqs *q, int which)
{
    int e[6];
    memcpy(e, q->eq, sizeof(e));
    switch (which) {
    case 0:
        e[0]++;
        break;
    case 1:
        e[1]++;
        break;
    case 2:
        if (e[2] == 0 && e[5] == 0) {
            int l[6], r[6];
            memcpy(l, e, sizeof(l));
            memcpy(r, e, sizeof(r));
            l[5]++;
            r[2]++;
            return fmax(v4_mv(l[0], l[1], l[2], l[3], l[4], l[5]),
                        v4_mv(r[0], r[1], r[2], r[3], r[4], r[5]));
        }
        if (e[2] == 1 && e[5] == 0) {
            e[5]++;
        } else if (e[2] == 2) {
            e[2]++;
            e[5]++;
        } else {
            e[2]++;
        }
        break;
    case 3:
        e[3]++;
        break;
    default:
        e[4]++;
        break;
    }
    return v4_mv(e[0], e[1], e[2], e[3], e[4], e[5]);
}

static double
score_v4(const struct vec *v)
{
    static const char *const imp[] = {"VC", "VI", "VA", "SC", "SI", "SA"};
    bool none = true;
    for (size_t i = 0; i < VG_ARRAY_LEN(imp); i++) {
        none = none && v4_eff(v, imp[i]) == 'N';
    }
    if (none) {
        return 0.0;
    }
    struct v4_eqs q;
    v4_macrovector(v, &q);
    int *e = q.eq;
    double value = v4_mv(e[0], e[1], e[2], e[3], e[4], e[5]);

    /* Find the first composed max vector that dominates the scored vector. */
    int d[4] = {0};
    bool found = false;
    for (int a = 0; a < 3 && !found && v4_max_eq1[e[0]][a]; a++) {
        for (int b = 0; b < 2 && !found && v4_max_eq2[e[1]][b]; b++) {
            for (int c = 0; c < 5 && !found && v4_max_eq3eq6[e[2]][e[5]][c]; c++) {
                const char *frags[4] = {v4_max_eq1[e[0]][a], v4_max_eq2[e[1]][b],
                                        v4_max_eq3eq6[e[2]][e[5]][c], v4_max_eq4[e[3]]};
                found = v4_distances(v, frags, d);
            }
        }
    }
    double depth[4] = {v4_depth_eq1[e[0]] * 0.1, v4_depth_eq2[e[1]] * 0.1,
                       v4_depth_eq3eq6[e[2]][e[5]] * 0.1, v4_depth_eq4[e[3]] * 0.1};
    double sum = 0;
    int n_lower = 0;
    for (int i = 0; i < 5; i++) {
        double lower = v4_next_lower(&q, i);
        if (lower < 0) {
            continue;
        }
        n_lower++;
        if (i < 4) {
            sum += (value - lower) * ((d[i] * 0.1) / depth[i]);
        }
    }
    double mean = n_lower ? sum / n_lower : 0.0;
    double s = fmax(0.0, fmin(10.0, value - mean));
    /* Round half up to one decimal, absorbing binary noise (x.x4999999 vs x.x5). */
    return floor(s * 10.0 + 0.5 + 1e-9) / 10.0;
}

/* ---------------------------------------------------------------- entry point */

int
vg_cvss_score(const char *vector, double *score, enum vg_cvss_version *version, struct vg_err **err)
{
    if (!vector) {
        return vg_err_set(err, VG_E_PARSE, "CVSS vector missing");
    }
    size_t len = strnlen(vector, VECTOR_MAX + 1);
    if (len > VECTOR_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "CVSS vector longer than %d bytes", VECTOR_MAX);
    }
    vg_autofree char *esc = vg_escape(vector, len, 200);
    struct vg_str s = vg_str_trim((struct vg_str){vector, len});
    struct vec v;
    if (vg_str_startswith(s, "CVSS:3.0/") || vg_str_startswith(s, "CVSS:3.1/")) {
        bool v31 = s.ptr[7] == '1';
        s.ptr += 9;
        s.len -= 9;
        if (vec_parse(&v, s, esc, err) < 0 ||
            vec_check(&v, v3_defs, VG_ARRAY_LEN(v3_defs), esc, err) < 0) {
            return -VG_E_PARSE;
        }
        *score = score_v3(&v, v31);
        *version = v31 ? VG_CVSS_V31 : VG_CVSS_V30;
        return 0;
    }
    if (vg_str_startswith(s, "CVSS:4.0/")) {
        s.ptr += 9;
        s.len -= 9;
        if (vec_parse(&v, s, esc, err) < 0 ||
            vec_check(&v, v4_defs, VG_ARRAY_LEN(v4_defs), esc, err) < 0) {
            return -VG_E_PARSE;
        }
        *score = score_v4(&v);
        *version = VG_CVSS_V40;
        return 0;
    }
    if (vg_str_startswith(s, "CVSS:2.0/")) {
        s.ptr += 9;
        s.len -= 9;
    } else if (s.len >= 2 && s.ptr[0] == '(' && s.ptr[s.len - 1] == ')') {
        s.ptr++;
        s.len -= 2;
    }
    if (vg_str_startswith(s, "CVSS:")) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "CVSS vector %s: unknown version", esc);
    }
    if (vec_parse(&v, s, esc, err) < 0 ||
        vec_check(&v, v2_defs, VG_ARRAY_LEN(v2_defs), esc, err) < 0) {
        return -VG_E_PARSE;
    }
    *score = score_v2(&v);
    *version = VG_CVSS_V2;
    return 0;
}
