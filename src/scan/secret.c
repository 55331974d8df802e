/* SPDX-License-Identifier: Apache-2.0
 *
 * The secret engine: compiles the rule set once (the built-in part once per process), then scans
 * file bytes with it. A scan is (1) size, binary and path-allow checks, (2) one pass over the
 * content that finds which rule keywords occur (case-insensitive, bucketed by first byte), (3) for
 * every rule whose keywords occurred, all regex matches over the whole content (multi-line rules
 * such as private keys need that), each filtered by allow rules and exclude blocks, then located
 * (lines) and masked. Specific rules run before the "generic" password rules, and a generic finding
 * that overlaps a specific one is dropped, so a GitHub token in `TOKEN=ghp_...` is reported once.
 *
 * The engine is immutable after vg_secret_engine_new, and regexec on a compiled regex_t is
 * thread safe, so concurrent scans need no locking. The YAML config lives in secret_config.c,
 * the regex dialect in secret_regex.c, the rule table in secret_rules.c.
 */
#include <ctype.h>
#include <pthread.h>
#include <string.h>

#include "secret_int.h"

/* ---------------------------------------------------------------- small helpers */

static const char *const sev_names[] = {"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"};

const char *
vg_scan_severity_name(enum vg_scan_severity s)
{
    return (size_t)s < VG_ARRAY_LEN(sev_names) ? sev_names[s] : "UNKNOWN";
}

bool
vg_scan_severity_parse(const char *s, enum vg_scan_severity *out)
{
    for (size_t i = 0; s && i < VG_ARRAY_LEN(sev_names); i++) {
        if (strcmp(s, sev_names[i]) == 0) {
            *out = (enum vg_scan_severity)i;
            return true;
        }
    }
    return false;
}

char *
vg_secret_mask(const char *s, size_t len)
{
    char *m = vg_malloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        m[i] = (len >= 16 && (i < 4 || i >= len - 4)) ? s[i] : '*';
    }
    m[len] = '\0';
    return m;
}

/* Copies text for display: control bytes and invalid UTF-8 become \xNN so the result is
 * always valid UTF-8 (reports are JSON). */
static int
append_clean(struct vg_buf *b, const uint8_t *p, size_t n, struct vg_err **err)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        size_t need = c < 0x80             ? 1
                      : (c & 0xe0) == 0xc0 ? 2
                      : (c & 0xf0) == 0xe0 ? 3
                      : (c & 0xf8) == 0xf0 ? 4
                                           : 0;
        bool ok = need > 0 && i + need <= n && !(need == 2 && c < 0xc2);
        for (size_t k = 1; ok && k < need; k++) {
            ok = (p[i + k] & 0xc0) == 0x80;
        }
        if (ok && need == 1 && (c < 0x20 || c == 0x7f) && c != '\t') {
            ok = false;
        }
        int rc = ok ? vg_buf_append(b, p + i, need, err)
                    : vg_buf_appendf(b, err, "\\x%02x", (unsigned)c);
        if (rc < 0) {
            return rc;
        }
        i += ok ? need : 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- engine construction */

void
vg_secret_grow(void *pp, size_t *cap, size_t n, size_t elem)
{
    void **p = pp;
    *p = vg_vec_grow(*p, cap, n, 1, elem);
}

size_t
vg_secret_engine_keyword(struct vg_secret_engine *e, const char *kw, size_t len)
{
    char *low = vg_strndup(kw, len);
    for (size_t i = 0; i < len; i++) {
        low[i] = (char)tolower((unsigned char)low[i]);
    }
    for (size_t i = 0; i < e->nkeywords; i++) {
        if (strcmp(e->keywords[i], low) == 0) {
            free(low);
            return i;
        }
    }
    vg_secret_grow(&e->keywords, &e->keywords_cap, e->nkeywords, sizeof(*e->keywords));
    e->keywords[e->nkeywords] = low;
    return e->nkeywords++;
}

void
vg_secret_allow_dispose(struct vg_secret_allow *a)
{
    free(a->id);
    vg_secret_regex_free(&a->path);
    vg_secret_regex_free(&a->regex);
}

void
vg_secret_rule_dispose(struct vg_secret_rule *r)
{
    free(r->id);
    free(r->category);
    free(r->title);
    vg_secret_regex_free(&r->re);
    vg_secret_regex_free(&r->path);
    for (size_t i = 0; i < r->nallows; i++) {
        vg_secret_allow_dispose(&r->allows[i]);
    }
    free(r->allows);
}

/* ---------------------------------------------------------------- built-in set */

/* The built-in regexes are compiled once per process: glibc's regcomp of the whole rule table
 * costs tens of milliseconds and hundreds of allocations, which every engine (one per scan,
 * per request in a server, per input under the fuzzer) used to pay again. After the one-time
 * initialisation the set is read-only, so engines borrow it without locking. */
struct builtin_set {
    struct vg_secret_re *rule_re, *rule_path;   /* [vg_secret_builtin_rule_count] */
    struct vg_secret_re *allow_path, *allow_re; /* [vg_secret_builtin_allow_count] */
    struct vg_err *err;                         /* set when a built-in failed to compile */
};
static struct builtin_set builtins;
static pthread_once_t builtins_once = PTHREAD_ONCE_INIT;

static void
share(struct vg_secret_re *r)
{
    r->shared = r->compiled;
}

static void
builtins_compile(void)
{
    struct builtin_set *b = &builtins;
    size_t nr = vg_secret_builtin_rule_count, na = vg_secret_builtin_allow_count;
    b->rule_re = vg_calloc(nr ? nr : 1, sizeof(*b->rule_re));
    b->rule_path = vg_calloc(nr ? nr : 1, sizeof(*b->rule_path));
    b->allow_path = vg_calloc(na ? na : 1, sizeof(*b->allow_path));
    b->allow_re = vg_calloc(na ? na : 1, sizeof(*b->allow_re));
    for (size_t i = 0; i < nr; i++) {
        const struct vg_secret_rule_def *d = &vg_secret_builtin_rules[i];
        if (vg_secret_regex_compile(&b->rule_re[i], d->regex, NULL, &b->err) < 0 ||
            (d->path && vg_secret_regex_compile(&b->rule_path[i], d->path, "", &b->err) < 0)) {
            vg_err_wrap(&b->err, "built-in secret rule %s", d->id);
            return;
        }
        share(&b->rule_re[i]);
        share(&b->rule_path[i]);
    }
    for (size_t i = 0; i < na; i++) {
        const struct vg_secret_builtin_allow *d = &vg_secret_builtin_allows[i];
        if ((d->path && vg_secret_regex_compile(&b->allow_path[i], d->path, "", &b->err) < 0) ||
            (d->regex && vg_secret_regex_compile(&b->allow_re[i], d->regex, "", &b->err) < 0)) {
            vg_err_wrap(&b->err, "built-in allow rule %s", d->id);
            return;
        }
        share(&b->allow_path[i]);
        share(&b->allow_re[i]);
    }
}

static int
builtins_get(const struct builtin_set **out, struct vg_err **err)
{
    if (pthread_once(&builtins_once, builtins_compile) != 0) {
        return vg_err_set(err, VG_E_INTERNAL, "compile built-in secret rules: pthread_once");
    }
    if (builtins.err) {
        vg_autofree char *msg = vg_err_format(builtins.err);
        return vg_err_set(err, VG_E_INTERNAL, "%s", msg);
    }
    *out = &builtins;
    return 0;
}

static void
add_builtin_rule(struct vg_secret_engine *e, const struct vg_secret_rule_def *d,
                 const struct vg_secret_re *re, const struct vg_secret_re *path)
{
    struct vg_secret_rule r = {.re = *re, .path = *path};
    r.id = vg_strdup(d->id);
    r.category = vg_strdup(d->category);
    r.title = vg_strdup(d->title);
    r.severity = d->severity;
    r.generic = d->generic;
    r.whole = d->multiline;
    for (size_t k = 0; k < VG_ARRAY_LEN(d->keywords) && d->keywords[k]; k++) {
        r.kw[r.nkw++] = vg_secret_engine_keyword(e, d->keywords[k], strlen(d->keywords[k]));
    }
    vg_secret_grow(&e->rules, &e->rules_cap, e->nrules, sizeof(*e->rules));
    e->rules[e->nrules++] = r;
}

static void
add_builtin_allow(struct vg_secret_engine *e, const struct vg_secret_builtin_allow *d,
                  const struct vg_secret_re *path, const struct vg_secret_re *re)
{
    struct vg_secret_allow a = {.secret_only = d->secret_only, .path = *path, .regex = *re};
    a.id = vg_strdup(d->id);
    vg_secret_grow(&e->allows, &e->allows_cap, e->nallows, sizeof(*e->allows));
    e->allows[e->nallows++] = a;
}

/* Keyword lookup table: keywords ordered by first byte so the scan pass only compares the
 * candidates that start with the current (lower-cased) byte. */
static void
build_keyword_index(struct vg_secret_engine *e)
{
    e->kw_bucket_start = vg_calloc(257, sizeof(size_t));
    e->kw_order = vg_calloc(e->nkeywords ? e->nkeywords : 1, sizeof(size_t));
    for (size_t i = 0; i < e->nkeywords; i++) {
        e->kw_bucket_start[(unsigned char)e->keywords[i][0] + 1]++;
    }
    for (size_t b = 1; b <= 256; b++) {
        e->kw_bucket_start[b] += e->kw_bucket_start[b - 1];
    }
    size_t *fill = vg_calloc(256, sizeof(size_t));
    for (size_t i = 0; i < e->nkeywords; i++) {
        unsigned char b = (unsigned char)e->keywords[i][0];
        e->kw_order[e->kw_bucket_start[b] + fill[b]++] = i;
    }
    free(fill);
    /* The scan pass first checks the (lower-cased) byte pair at a position against the
     * keywords' first two bytes, so most positions cost one table lookup; a keyword shorter
     * than two bytes allows every second byte. */
    e->kw_len = vg_calloc(e->nkeywords ? e->nkeywords : 1, sizeof(size_t));
    e->kw_pair = vg_calloc(65536 / 8, 1);
    for (size_t i = 0; i < e->nkeywords; i++) {
        const unsigned char *kw = (const unsigned char *)e->keywords[i];
        e->kw_len[i] = strlen(e->keywords[i]);
        for (unsigned b = 0; b < 256; b++) {
            if (e->kw_len[i] < 2 || b == kw[1]) {
                unsigned pair = (unsigned)kw[0] << 8 | b;
                e->kw_pair[pair >> 3] |= (uint8_t)(1u << (pair & 7));
            }
        }
    }
    for (unsigned b = 0; b < 256; b++) {
        e->kw_low[b] = (uint8_t)tolower((int)b);
    }
}

struct vg_secret_engine *
vg_secret_engine_new(const struct vg_secret_opts *opts, struct vg_err **err)
{
    static const struct vg_secret_opts none = {0};
    if (!opts) {
        opts = &none;
    }
    struct vg_secret_engine *e = vg_calloc(1, sizeof(*e));
    e->max_file = opts->max_file_bytes ? opts->max_file_bytes : VG_SECRET_DEFAULT_MAX_FILE_BYTES;
    e->max_findings =
        opts->max_findings_per_file ? opts->max_findings_per_file : VG_SECRET_DEFAULT_MAX_FINDINGS;
    e->max_line = opts->max_match_line ? opts->max_match_line : VG_SECRET_DEFAULT_MAX_MATCH_LINE;
    const struct builtin_set *b = NULL;
    if (builtins_get(&b, err) < 0) {
        goto fail;
    }
    for (size_t i = 0; i < vg_secret_builtin_rule_count; i++) {
        add_builtin_rule(e, &vg_secret_builtin_rules[i], &b->rule_re[i], &b->rule_path[i]);
    }
    for (size_t i = 0; i < vg_secret_builtin_allow_count; i++) {
        add_builtin_allow(e, &vg_secret_builtin_allows[i], &b->allow_path[i], &b->allow_re[i]);
    }
    if (opts->config_path || opts->config_data) {
        vg_autobuf struct vg_buf cfg = VG_BUF_INIT(VG_SECRET_MAX_CONFIG_BYTES);
        const char *data = opts->config_data;
        size_t len = opts->config_len;
        if (opts->config_path) {
            if (vg_file_read(&cfg, opts->config_path, VG_SECRET_MAX_CONFIG_BYTES, err) < 0) {
                vg_err_wrap(err, "secret config %s", opts->config_path);
                goto fail;
            }
            data = (const char *)cfg.data;
            len = cfg.len;
        }
        const char *name = opts->config_path ? opts->config_path : "<secret-config>";
        if (vg_secret_config_apply(e, name, data ? data : "", len, err) < 0) {
            vg_err_wrap(err, "secret config %s", opts->config_path ? opts->config_path : "");
            goto fail;
        }
    }
    build_keyword_index(e);
    return e;
fail:
    vg_secret_engine_free(e);
    return NULL;
}

void
vg_secret_engine_free(struct vg_secret_engine *e)
{
    if (!e) {
        return;
    }
    for (size_t i = 0; i < e->nrules; i++) {
        vg_secret_rule_dispose(&e->rules[i]);
    }
    for (size_t i = 0; i < e->nallows; i++) {
        vg_secret_allow_dispose(&e->allows[i]);
    }
    for (size_t i = 0; i < e->nexcludes; i++) {
        vg_secret_regex_free(&e->excludes[i]);
    }
    vg_strv_free(e->keywords, e->nkeywords);
    free(e->rules);
    free(e->allows);
    free(e->excludes);
    free(e->kw_bucket_start);
    free(e->kw_order);
    free(e->kw_len);
    free(e->kw_pair);
    free(e);
}

size_t
vg_secret_engine_rule_count(const struct vg_secret_engine *e)
{
    return e->nrules;
}

/* ---------------------------------------------------------------- scanning */

static bool
allows_path(const struct vg_secret_allow *a, size_t n, const char *path)
{
    for (size_t i = 0; path && i < n; i++) {
        if (vg_secret_regex_search(&a[i].path, path, strlen(path))) {
            return true;
        }
    }
    return false;
}

bool
vg_secret_path_allowed(const struct vg_secret_engine *e, const char *path)
{
    return allows_path(e->allows, e->nallows, path);
}

static bool
allows_match(const struct vg_secret_allow *a, size_t n, const char *whole, size_t wlen,
             const char *sec, size_t slen)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i].secret_only ? vg_secret_regex_search(&a[i].regex, sec, slen)
                             : vg_secret_regex_search(&a[i].regex, whole, wlen)) {
            return true;
        }
    }
    return false;
}

/* Where each keyword occurs (case-insensitive), in one pass over the content. */
struct kw_hits {
    size_t *pos;
    size_t n, cap;
    bool saturated; /* more than VG_SECRET_MAX_KW_HITS occurrences */
};

static void
find_keywords(const struct vg_secret_engine *e, const char *data, size_t len, struct kw_hits *hit)
{
    const unsigned char *d = (const unsigned char *)data;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = e->kw_low[d[i]];
        if (i + 1 < len) {
            unsigned pair = (unsigned)c << 8 | e->kw_low[d[i + 1]];
            if (!(e->kw_pair[pair >> 3] & (1u << (pair & 7)))) {
                continue;
            }
        }
        for (size_t k = e->kw_bucket_start[c]; k < e->kw_bucket_start[c + 1]; k++) {
            size_t idx = e->kw_order[k];
            const char *kw = e->keywords[idx];
            size_t kl = e->kw_len[idx];
            struct kw_hits *h = &hit[idx];
            if (h->saturated || kl > len - i || strncasecmp(data + i, kw, kl) != 0) {
                continue;
            }
            if (h->n == VG_SECRET_MAX_KW_HITS) {
                h->saturated = true;
                continue;
            }
            h->pos = vg_vec_grow(h->pos, &h->cap, h->n, 1, sizeof(*h->pos));
            h->pos[h->n++] = i;
        }
    }
}

/* Generic rules need a value that looks like a secret, not a word or a number. */
static bool
looks_random(const char *s, size_t n)
{
    bool lo = false, up = false, dig = false, sym = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        lo |= islower(c) != 0;
        up |= isupper(c) != 0;
        dig |= isdigit(c) != 0;
        sym |= !isalnum(c);
    }
    return (lo + up + dig + sym) >= 2;
}

struct scan_ctx {
    const struct vg_secret_engine *e;
    const char *path;
    const char *data;
    size_t len;
    struct vg_secret_findings *out;
    size_t first;     /* index in out of this file's first finding */
    size_t line_base; /* added to computed line numbers (config strings) */
    regmatch_t *ex;   /* exclude-block ranges, computed on first use */
    size_t nex;
    bool ex_done;
};

static void
compute_excludes(struct scan_ctx *c)
{
    c->ex_done = true;
    for (size_t i = 0; i < c->e->nexcludes; i++) {
        size_t pos = 0;
        while (pos < c->len && c->nex < c->e->max_findings * 4) {
            regmatch_t m = {.rm_so = (regoff_t)pos, .rm_eo = (regoff_t)c->len};
            if (regexec(c->e->excludes[i].re, c->data, 1, &m, REG_STARTEND) != 0) {
                break;
            }
            VG_ARRAY_GROW(c->ex, c->nex, 1);
            c->ex[c->nex++] = m;
            pos = (size_t)m.rm_eo > pos ? (size_t)m.rm_eo : pos + 1;
        }
    }
}

static bool
excluded(struct scan_ctx *c, size_t so, size_t eo)
{
    if (c->e->nexcludes == 0) {
        return false;
    }
    if (!c->ex_done) {
        compute_excludes(c);
    }
    for (size_t i = 0; i < c->nex; i++) {
        if ((size_t)c->ex[i].rm_so <= so && eo <= (size_t)c->ex[i].rm_eo) {
            return true;
        }
    }
    return false;
}

static bool
overlaps_existing(const struct scan_ctx *c, size_t so, size_t eo)
{
    for (size_t i = c->first; i < c->out->len; i++) {
        const struct vg_secret_finding *f = &c->out->items[i];
        size_t fso = (size_t)f->offset;
        size_t feo = fso + strlen(f->secret);
        if (so < feo && fso < eo) {
            return true;
        }
    }
    return false;
}

/* The secret's first line with the secret replaced by '*', windowed when long. */
static char *
build_match(const struct scan_ctx *c, size_t so, size_t eo)
{
    const char *d = c->data;
    size_t ls = so, le = so;
    while (ls > 0 && d[ls - 1] != '\n') {
        ls--;
    }
    while (le < c->len && d[le] != '\n') {
        le++;
    }
    size_t mend = eo < le ? eo : le;
    if (le - ls > c->e->max_line) {
        size_t ws = so > ls + 30 ? so - 30 : ls;
        size_t we = mend + 20 < le ? mend + 20 : le;
        ls = ws;
        le = we;
    }
    while (ls < so && isspace((unsigned char)d[ls])) {
        ls++;
    }
    while (le > mend && isspace((unsigned char)d[le - 1])) {
        le--;
    }
    struct vg_buf b = VG_BUF_INIT(c->e->max_line * 4 + 256);
    size_t stars = mend - so > 64 ? 64 : mend - so;
    if (append_clean(&b, (const uint8_t *)d + ls, so - ls, NULL) < 0) {
        b.len = 0;
    }
    for (size_t i = 0; i < stars; i++) {
        (void)!vg_buf_appendc(&b, '*', NULL); /* bounded by max above */
    }
    (void)!append_clean(&b, (const uint8_t *)d + mend, le - mend, NULL);
    char *s = vg_buf_take(&b, NULL);
    return s ? s : vg_strdup("");
}

static void
line_of(const char *d, size_t off, size_t *cursor, size_t *line)
{
    if (off < *cursor) {
        *cursor = 0;
        *line = 1;
    }
    for (size_t i = *cursor; i < off; i++) {
        *line += d[i] == '\n';
    }
    *cursor = off;
}

static void
add_finding(struct scan_ctx *c, const struct vg_secret_rule *r, size_t so, size_t eo,
            size_t *cursor, size_t *line)
{
    struct vg_secret_findings *o = c->out;
    o->items = vg_vec_grow(o->items, &o->cap, o->len, 1, sizeof(*o->items));
    struct vg_secret_finding *f = &o->items[o->len++];
    memset(f, 0, sizeof(*f));
    f->rule_id = vg_strdup(r->id);
    f->category = vg_strdup(r->category);
    f->title = vg_strdup(r->title);
    f->severity = r->severity;
    f->path = vg_strdup(c->path ? c->path : "");
    f->offset = so;
    line_of(c->data, so, cursor, line);
    f->start_line = *line + c->line_base;
    size_t nl = 0;
    for (size_t i = so; i < eo; i++) {
        nl += c->data[i] == '\n';
    }
    f->end_line = f->start_line + nl;
    f->secret = vg_secret_mask(c->data + so, eo - so);
    f->match = build_match(c, so, eo);
}

/* Runs one rule over content[from, to); returns false when the findings limit stopped it.
 * *cursor / *line carry the line count between calls (ranges come in increasing order). */
static bool
run_rule(struct scan_ctx *c, const struct vg_secret_rule *r, size_t from, size_t to, size_t *cursor,
         size_t *line)
{
    regmatch_t m[32];
    size_t ng = r->re.ngroups + 1 < VG_ARRAY_LEN(m) ? r->re.ngroups + 1 : VG_ARRAY_LEN(m);
    size_t pos = from;
    while (pos < to) {
        m[0].rm_so = (regoff_t)pos;
        m[0].rm_eo = (regoff_t)to;
        if (regexec(r->re.re, c->data, ng, m, REG_STARTEND) != 0) {
            break;
        }
        size_t g = r->re.group < ng ? r->re.group : 0;
        regoff_t rso = m[g].rm_so, reo = m[g].rm_eo;
        size_t next = (size_t)m[0].rm_so + 1;
        if (rso >= 0 && (size_t)reo > next) {
            next = (size_t)reo;
        }
        pos = next;
        if (rso < 0) {
            continue;
        }
        size_t so = (size_t)rso, eo = (size_t)reo;
        while (so < eo && isspace((unsigned char)c->data[so])) {
            so++;
        }
        while (eo > so && isspace((unsigned char)c->data[eo - 1])) {
            eo--;
        }
        const char *whole = c->data + m[0].rm_so;
        size_t wlen = (size_t)(m[0].rm_eo - m[0].rm_so);
        if (eo == so ||
            allows_match(c->e->allows, c->e->nallows, whole, wlen, c->data + so, eo - so) ||
            allows_match(r->allows, r->nallows, whole, wlen, c->data + so, eo - so) ||
            excluded(c, so, eo) ||
            (r->generic &&
             (!looks_random(c->data + so, eo - so) || overlaps_existing(c, so, eo)))) {
            continue;
        }
        if (c->out->len - c->first >= c->e->max_findings) {
            c->out->truncated = true;
            return false;
        }
        add_finding(c, r, so, eo, cursor, line);
    }
    return true;
}

static int
pos_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static size_t
line_end(const char *d, size_t len, size_t p)
{
    const char *nl = p < len ? memchr(d + p, '\n', len - p) : NULL;
    return nl ? (size_t)(nl - d) : len;
}

/* Single-line rules only look at the lines around their keyword hits: the hit's line and the
 * one after it (for `key:\n  value` layouts). Windows are merged so every match is seen once,
 * and each byte is searched for line ends a bounded number of times. */
static bool
run_rule_windows(struct scan_ctx *c, const struct vg_secret_rule *r, const struct kw_hits *hit)
{
    size_t n = 0;
    for (size_t k = 0; k < r->nkw; k++) {
        n += hit[r->kw[k]].n;
    }
    size_t *pos = vg_calloc(n ? n : 1, sizeof(*pos));
    n = 0;
    for (size_t k = 0; k < r->nkw; k++) {
        if (hit[r->kw[k]].n) {
            memcpy(pos + n, hit[r->kw[k]].pos, hit[r->kw[k]].n * sizeof(*pos));
            n += hit[r->kw[k]].n;
        }
    }
    vg_qsort(pos, n, sizeof(*pos), pos_cmp);
    const char *d = c->data;
    size_t ws = 0, we = 0, floor = 0, cursor = 0, line = 1;
    bool open = false, ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        size_t p = pos[i];
        if (open && p < we) {
            if (!memchr(d + p, '\n', we - p) && we < c->len) {
                we = line_end(d, c->len, we + 1); /* hit on the window's last line */
            }
            continue;
        }
        if (open) {
            ok = run_rule(c, r, ws, we, &cursor, &line);
            floor = we;
        }
        ws = p;
        while (ws > floor && d[ws - 1] != '\n') {
            ws--;
        }
        we = line_end(d, c->len, p);
        we = we < c->len ? line_end(d, c->len, we + 1) : we;
        open = true;
    }
    if (open && ok) {
        ok = run_rule(c, r, ws, we, &cursor, &line);
    }
    free(pos);
    return ok;
}

static bool
is_binary(const char *data, size_t len)
{
    return memchr(data, '\0', len < VG_SECRET_BINARY_PROBE ? len : VG_SECRET_BINARY_PROBE) != NULL;
}

static int
scan_bytes(const struct vg_secret_engine *e, const char *path, bool check_path, const char *data,
           size_t len, size_t line_base, struct vg_secret_findings *out)
{
    if (len == 0 || len > e->max_file || is_binary(data, len) ||
        (check_path && vg_secret_path_allowed(e, path))) {
        return 0;
    }
    /* regexec gets explicit bounds (REG_STARTEND), but sanitizer interceptors and some libcs
     * still look for a terminator, so scan a NUL-terminated copy. */
    char *copy = vg_malloc(len + 1);
    memcpy(copy, data, len);
    copy[len] = '\0';
    data = copy;
    struct kw_hits *hit = vg_calloc(e->nkeywords ? e->nkeywords : 1, sizeof(*hit));
    find_keywords(e, data, len, hit);
    struct scan_ctx c = {.e = e,
                         .path = path,
                         .data = data,
                         .len = len,
                         .out = out,
                         .first = out->len,
                         .line_base = line_base};
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < e->nrules; i++) {
            const struct vg_secret_rule *r = &e->rules[i];
            bool any = r->nkw == 0, saturated = false;
            for (size_t k = 0; k < r->nkw; k++) {
                any |= hit[r->kw[k]].n > 0 || hit[r->kw[k]].saturated;
                saturated |= hit[r->kw[k]].saturated;
            }
            if (r->generic != (pass == 1) || !any ||
                (r->path.compiled &&
                 !(check_path && path && vg_secret_regex_search(&r->path, path, strlen(path)))) ||
                (check_path && allows_path(r->allows, r->nallows, path))) {
                continue;
            }
            size_t cursor = 0, line = 1;
            bool ok = (r->whole || r->nkw == 0 || saturated)
                          ? run_rule(&c, r, 0, len, &cursor, &line)
                          : run_rule_windows(&c, r, hit);
            if (!ok) {
                pass = 2;
                break;
            }
        }
    }
    for (size_t k = 0; k < e->nkeywords; k++) {
        free(hit[k].pos);
    }
    free(c.ex);
    free(hit);
    free(copy);
    return 0;
}

int
vg_secret_scan(const struct vg_secret_engine *e, const char *path, const void *data, size_t len,
               struct vg_secret_findings *out, struct vg_err **err)
{
    (void)err; /* no failure mode besides OOM, which aborts */
    return scan_bytes(e, path, true, data, len, 0, out);
}

int
vg_secret_scan_strings(const struct vg_secret_engine *e, const char *pseudo_path,
                       const char *const *strs, size_t n, struct vg_secret_findings *out,
                       struct vg_err **err)
{
    (void)err;
    for (size_t i = 0; i < n; i++) {
        if (strs[i]) {
            scan_bytes(e, pseudo_path, false, strs[i], strlen(strs[i]), i, out);
        }
    }
    return 0;
}

static int
scan_json_strings(const struct vg_secret_engine *e, const char *pseudo, json_t *arr,
                  const char *member, struct vg_secret_findings *out, struct vg_err **err)
{
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    const char **strs = vg_calloc(n ? n : 1, sizeof(*strs));
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        strs[i] = member ? vg_json_str(v, member) : json_string_value(v);
    }
    int rc = vg_secret_scan_strings(e, pseudo, strs, n, out, err);
    free(strs);
    return rc;
}

int
vg_secret_scan_image_config(const struct vg_secret_engine *e, const void *config_json, size_t len,
                            struct vg_secret_findings *out, struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    if (vg_json_parse(&root, config_json, len, VG_LIMIT_CONFIG_BYTES, "image config", err) < 0) {
        return -1;
    }
    json_t *cfg = vg_json_obj(root, "config");
    if (scan_json_strings(e, "config:Env", vg_json_arr(cfg, "Env"), NULL, out, err) < 0) {
        return -1;
    }
    return scan_json_strings(e, "config:history", vg_json_arr(root, "history"), "created_by", out,
                             err);
}

void
vg_secret_finding_dispose(struct vg_secret_finding *x)
{
    free(x->rule_id);
    free(x->category);
    free(x->title);
    free(x->path);
    free(x->secret);
    free(x->match);
    memset(x, 0, sizeof(*x));
}

void
vg_secret_findings_dispose(struct vg_secret_findings *f)
{
    for (size_t i = 0; i < f->len; i++) {
        vg_secret_finding_dispose(&f->items[i]);
    }
    free(f->items);
    memset(f, 0, sizeof(*f));
}
