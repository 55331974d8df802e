/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations shared by the secret engine's files: the built-in rule table, the
 * regex dialect translator and the compiled engine layout. Not part of the public API.
 */
#ifndef VG_SCAN_SECRET_INT_H
#define VG_SCAN_SECRET_INT_H

#include <regex.h>

#include "scan/scan.h"

#define VG_SECRET_MAX_KEYWORDS_PER_RULE 12
/* Bounds on a user config: enough for any real rule set, small enough to compile quickly. */
#define VG_SECRET_MAX_RULES    1024u
#define VG_SECRET_MAX_REGEX    4096u
#define VG_SECRET_MAX_KEYWORDS 4096u
/* Keyword occurrences remembered per file; beyond this a rule falls back to a full scan. */
#define VG_SECRET_MAX_KW_HITS 4096u

/* A built-in rule as written in secret_rules.c. Regexes use the rule dialect accepted by
 * vg_secret_regex_compile (ERE plus (?i), (?P<name>...), (?:...), \d \s \w). */
struct vg_secret_rule_def {
    const char *id;
    const char *category;
    const char *title;
    enum vg_scan_severity severity;
    const char *regex;
    const char *keywords[VG_SECRET_MAX_KEYWORDS_PER_RULE]; /* NULL-terminated */
    const char *path; /* optional: the rule only runs on matching paths */
    bool generic;     /* suppressed where a specific rule already found a secret */
    bool multiline;   /* may span more than two lines: always run over the whole content */
};

extern const struct vg_secret_rule_def vg_secret_builtin_rules[];
extern const size_t vg_secret_builtin_rule_count;

struct vg_secret_builtin_allow {
    const char *id;
    const char *description;
    const char *path;  /* matched against the file path */
    const char *regex; /* matched against the whole rule match */
    bool secret_only;  /* regex is matched against the secret group only */
};
extern const struct vg_secret_builtin_allow vg_secret_builtin_allows[];
extern const size_t vg_secret_builtin_allow_count;

/* A compiled regex plus the index of its secret sub-group (0 = the whole match). A `shared`
 * regex belongs to the process-wide built-in set (compiled once, never freed, read-only, and
 * regexec on it is thread safe): copies of it are borrowed and vg_secret_regex_free leaves it. */
struct vg_secret_re {
    regex_t *re;
    bool compiled;
    bool shared;
    size_t group;
    size_t ngroups;
};

/* Translates the rule dialect into POSIX ERE and compiles it with REG_EXTENDED | REG_NEWLINE
 * (and REG_ICASE for (?i)). `group_name` selects the reported sub-group (NULL: "secret" if
 * present, else the whole match). Errors are VG_E_PARSE with the pattern offset. */
int vg_secret_regex_compile(struct vg_secret_re *out, const char *pattern, const char *group_name,
                            struct vg_err **err);
void vg_secret_regex_free(struct vg_secret_re *r);
/* True when the regex matches anywhere in s[0..len). */
bool vg_secret_regex_search(const struct vg_secret_re *r, const char *s, size_t len);

struct vg_secret_allow {
    char *id;
    bool secret_only;
    struct vg_secret_re path;
    struct vg_secret_re regex;
};

struct vg_secret_rule {
    char *id, *category, *title;
    enum vg_scan_severity severity;
    struct vg_secret_re re;
    struct vg_secret_re path;
    size_t kw[VG_SECRET_MAX_KEYWORDS_PER_RULE];
    size_t nkw;
    bool generic;
    bool whole; /* run over the whole content, not only around keyword hits */
    struct vg_secret_allow *allows;
    size_t nallows;
};

struct vg_secret_engine {
    struct vg_secret_rule *rules;
    size_t nrules, rules_cap;
    struct vg_secret_allow *allows;
    size_t nallows, allows_cap;
    struct vg_secret_re *excludes; /* exclude-block regexes */
    size_t nexcludes, excludes_cap;
    char **keywords; /* lower-cased, deduplicated */
    size_t nkeywords, keywords_cap;
    size_t *kw_bucket_start; /* [257]: keywords sorted by first byte */
    size_t *kw_order;
    size_t *kw_len;      /* strlen of each keyword */
    uint8_t *kw_pair;    /* [65536 / 8]: bit (a << 8 | b) set when a keyword may start "ab" */
    uint8_t kw_low[256]; /* tolower of every byte */
    size_t max_file, max_findings, max_line;
};

/* Config loader (secret_config.c): applies a Trivy-like YAML to an engine holding the built-in
 * rules. name is the FILE that errors print (the path, or "<secret-config>"). */
int vg_secret_config_apply(struct vg_secret_engine *e, const char *name, const char *data,
                           size_t len, struct vg_err **err);
/* Makes room for one more element in the array *pp of n elements of `elem` bytes with
 * capacity *cap, doubling it (one element at a time made engine creation quadratic). The
 * engine's counts are bounded by VG_SECRET_MAX_*, far from overflow; it aborts if not. */
void vg_secret_grow(void *pp, size_t *cap, size_t n, size_t elem);
/* Adds a keyword (lower-cased, deduplicated) and returns its index. */
size_t vg_secret_engine_keyword(struct vg_secret_engine *e, const char *kw, size_t len);
void vg_secret_rule_dispose(struct vg_secret_rule *r);
void vg_secret_allow_dispose(struct vg_secret_allow *a);

#endif
