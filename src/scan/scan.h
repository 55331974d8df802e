/* SPDX-License-Identifier: Apache-2.0
 *
 * scan: the public API of the scanner's detectors. Each section below is self-contained:
 *
 *   - severities shared by every detector (vg_scan_severity)
 *   - secrets: a compiled rule set (built-in + optional Trivy-like YAML) run over file bytes
 *   - model files: pickle disassembly, PyTorch zips, numpy .npy, safetensors and GGUF checks
 *   - ignore files (.vigilignore / .trivyignore) and OpenVEX documents
 *
 * Everything here works on bytes already in memory: no detector opens files, walks
 * directories or executes anything found in its input (pickles are disassembled, never run).
 * The one exception is vg_scan_filters_load, which reads the user's own ignore files and VEX
 * documents (never anything from the scanned artifact).
 *
 * Error contract (STYLE.md): functions return 0 (or non-NULL) on success; on failure they return
 * a negative value (or NULL) and set *err once. Codes a caller may branch on: VG_E_PARSE
 * (malformed input given to a parser that must succeed, e.g. a config or ignore file),
 * VG_E_LIMIT (a bound from limits.h or the options was exceeded), VG_E_USAGE (bad options).
 * Hostile *scanned* content is never an error: it becomes a finding.
 */
#ifndef VG_SCAN_H
#define VG_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* ================================================================ severities */

enum vg_scan_severity {
    VG_SCAN_SEV_UNKNOWN = 0,
    VG_SCAN_SEV_LOW,
    VG_SCAN_SEV_MEDIUM,
    VG_SCAN_SEV_HIGH,
    VG_SCAN_SEV_CRITICAL,
};

/* "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL" (static strings). */
const char *vg_scan_severity_name(enum vg_scan_severity s);
/* Exact upper-case names only; false for anything else. */
bool vg_scan_severity_parse(const char *s, enum vg_scan_severity *out);

/* ================================================================ secrets */

/* Defaults applied when the matching option is 0. */
#define VG_SECRET_DEFAULT_MAX_FILE_BYTES (10u * 1024u * 1024u) /* larger files are skipped */
#define VG_SECRET_DEFAULT_MAX_FINDINGS   100u /* per file; the rest set `truncated` */
#define VG_SECRET_DEFAULT_MAX_MATCH_LINE 100u /* bytes of context kept in `match` */
/* Files with a NUL byte in their first VG_SECRET_BINARY_PROBE bytes are treated as binary. */
#define VG_SECRET_BINARY_PROBE (8u * 1024u)
/* Bound on a user secret-config YAML file. */
#define VG_SECRET_MAX_CONFIG_BYTES (1u * 1024u * 1024u)

struct vg_secret_opts {
    /* Optional Trivy-compatible YAML (`--secret-config FILE`): `rules:`, `allow-rules:`,
     * `disable-rules:`, `disable-allow-rules:`, `enable-builtin-rules:`, `exclude-block:`.
     * Either a path (read here, missing file = VG_E_NOTFOUND) or in-memory text. */
    const char *config_path;
    const char *config_data;
    size_t config_len;
    size_t max_file_bytes;        /* 0: VG_SECRET_DEFAULT_MAX_FILE_BYTES */
    size_t max_findings_per_file; /* 0: VG_SECRET_DEFAULT_MAX_FINDINGS */
    size_t max_match_line;        /* 0: VG_SECRET_DEFAULT_MAX_MATCH_LINE */
};

/* One finding. All strings are owned by the finding (freed by vg_secret_findings_dispose). */
struct vg_secret_finding {
    char *rule_id;
    char *category;
    char *title;
    enum vg_scan_severity severity;
    char *path;        /* as given to vg_secret_scan, or the pseudo path for config strings */
    size_t start_line; /* 1-based line of the secret's first byte */
    size_t end_line;   /* 1-based line of its last byte */
    uint64_t offset;   /* byte offset of the secret in the scanned data */
    char *secret;      /* masked: first 4 and last 4 characters kept when >= 16 long */
    char *match;       /* the line (or a window of it) with the secret replaced by '*' */
};

struct vg_secret_findings {
    struct vg_secret_finding *items;
    size_t len, cap;
    bool truncated; /* a per-file findings limit was hit */
};

struct vg_secret_engine; /* opaque, immutable after creation */

/* Compiles the built-in rules plus the optional config. Returns NULL and sets *err on a bad
 * config (VG_E_PARSE naming the rule id and the YAML line) or unreadable file. */
struct vg_secret_engine *vg_secret_engine_new(const struct vg_secret_opts *opts,
                                              struct vg_err **err);
void vg_secret_engine_free(struct vg_secret_engine *e);
/* Number of active rules (built-in minus disabled plus custom). */
size_t vg_secret_engine_rule_count(const struct vg_secret_engine *e);

/* True when `path` is excluded by a global allow rule (tests, examples, vendor, *.md, ...), so
 * the caller need not even read it. */
bool vg_secret_path_allowed(const struct vg_secret_engine *e, const char *path);

/* Scans one file's bytes and appends findings to `out`. Binary files, allow-listed paths and
 * files over max_file_bytes yield nothing (not an error). Thread safe: any number of threads
 * may scan with the same engine concurrently. Fails only on internal errors. */
int vg_secret_scan(const struct vg_secret_engine *e, const char *path, const void *data, size_t len,
                   struct vg_secret_findings *out, struct vg_err **err);

/* Scans strings that are not files, such as image config `Env` entries or
 * `history[].created_by`: each string is scanned on its own, path allow rules do not apply,
 * findings carry `pseudo_path` and start_line = index + 1. */
int vg_secret_scan_strings(const struct vg_secret_engine *e, const char *pseudo_path,
                           const char *const *strs, size_t n, struct vg_secret_findings *out,
                           struct vg_err **err);

/* Convenience over vg_secret_scan_strings for an image config JSON blob: scans
 * config.Env (pseudo path "config:Env") and history[].created_by ("config:history"). */
int vg_secret_scan_image_config(const struct vg_secret_engine *e, const void *config_json,
                                size_t len, struct vg_secret_findings *out, struct vg_err **err);

void vg_secret_findings_dispose(struct vg_secret_findings *f);
/* Frees one finding's strings (for findings moved out of a list). */
void vg_secret_finding_dispose(struct vg_secret_finding *f);

/* Masks a secret for display into a fresh string (caller frees): first 4 and last 4 bytes
 * kept when len >= 16, otherwise every byte becomes '*'. */
char *vg_secret_mask(const char *s, size_t len);

/* ================================================================ model files */

/* Bytes of a model file the scanner should hand over. Pickles sit at the start of the file
 * (raw pickles, .npy object arrays, legacy torch) or in a stored zip entry whose central
 * directory is at the end; for files larger than this, pass the first VG_MODEL_HEAD_BYTES
 * and set `truncated_input` (see docs/model-files.md). */
#define VG_MODEL_HEAD_BYTES (64u * 1024u * 1024u)
/* Pickle machine bounds. */
#define VG_PICKLE_MAX_STACK   10000u /* values on the stack + nested marks */
#define VG_PICKLE_MAX_MEMO    100000u
#define VG_PICKLE_MAX_OPS     (50u * 1000u * 1000u)
#define VG_PICKLE_MAX_GLOBALS 4096u /* distinct imports recorded per pickle */
/* safetensors JSON header bound (the reference implementation uses 100 MB). */
#define VG_SAFETENSORS_MAX_HEADER (100u * 1024u * 1024u)
/* Zip entries examined in a PyTorch archive. */
#define VG_MODEL_MAX_ZIP_ENTRIES 65536u
/* Findings recorded per model file. */
#define VG_MODEL_MAX_FINDINGS 256u

enum vg_model_format {
    VG_MODEL_UNKNOWN = 0,
    VG_MODEL_PICKLE,       /* .pkl .pickle .joblib .dat, or pickle magic */
    VG_MODEL_TORCH_ZIP,    /* .pt .pth .bin .ckpt zip with <dir>/data.pkl */
    VG_MODEL_TORCH_LEGACY, /* sequence of pickles (magic number, protocol, sys info, ...) */
    VG_MODEL_NUMPY,        /* .npy */
    VG_MODEL_SAFETENSORS,  /* .safetensors */
    VG_MODEL_GGUF,         /* .gguf */
};
const char *vg_model_format_name(enum vg_model_format f);

/* Finding IDs (stable, documented in docs/model-files.md):
 *   VG-MODEL-001 CRITICAL  pickle imports a dangerous global (os.system, builtins.eval, ...)
 *   VG-MODEL-002 MEDIUM    pickle imports a global outside the safe allow-list
 *   VG-MODEL-003 HIGH      malformed / truncated pickle stream
 *   VG-MODEL-004 HIGH      pickle exceeds a machine bound (stack, memo, opcodes)
 *   VG-MODEL-005 LOW       model content not analysed (compressed zip entry, truncated input)
 *   VG-MODEL-006 HIGH      malformed zip container
 *   VG-MODEL-010 HIGH      malformed safetensors file
 *   VG-MODEL-020 HIGH      malformed GGUF header
 *   VG-MODEL-030 HIGH      malformed .npy header */
struct vg_model_finding {
    char id[16];
    enum vg_scan_severity severity;
    char *title;     /* owned */
    char *message;   /* owned, input-derived text escaped */
    char *path;      /* owned: file path, plus "!entry" for zip members */
    uint64_t offset; /* byte offset in the file (or member) where the problem is */
};

struct vg_model_findings {
    struct vg_model_finding *items;
    size_t len, cap;
    bool truncated;              /* VG_MODEL_MAX_FINDINGS hit */
    enum vg_model_format format; /* what was detected */
};

struct vg_model_opts {
    bool truncated_input; /* data is only the head of a larger file */
};

/* Decides the format from the extension and magic bytes, then checks it. Returns 1 when the
 * file was recognised as a model file (findings may be empty: clean), 0 when it is not a model
 * file, negative only on internal errors. opts may be NULL. */
int vg_model_check(const char *path, const void *data, size_t len, const struct vg_model_opts *opts,
                   struct vg_model_findings *out, struct vg_err **err);
/* True when the path's extension names a model format (cheap pre-filter for the walker). */
bool vg_model_path_wanted(const char *path);
void vg_model_findings_dispose(struct vg_model_findings *f);
/* Frees one finding's strings (for findings moved out of a list). */
void vg_model_finding_dispose(struct vg_model_finding *f);

/* Lower-level entry points (the fuzz harnesses use these). `path` only labels findings. */
int vg_model_check_pickle(const char *path, const void *data, size_t len,
                          struct vg_model_findings *out, struct vg_err **err);
int vg_model_check_safetensors(const char *path, const void *data, size_t len,
                               struct vg_model_findings *out, struct vg_err **err);

/* ================================================================ ignore files and VEX */

#define VG_IGNORE_MAX_BYTES   (4u * 1024u * 1024u)
#define VG_IGNORE_MAX_LINE    4096u
#define VG_VEX_MAX_BYTES      (16u * 1024u * 1024u)
#define VG_VEX_MAX_STATEMENTS 100000u

#define VG_IGNORE_MAX_ENTRIES 50000u /* entries of one .trivyignore.yaml */
#define VG_IGNORE_MAX_LIST    1000u  /* paths or purls of one YAML entry */

/* Which findings an entry may suppress: a plain-format entry names an id of any kind; a
 * .trivyignore.yaml entry only ids of its list's kind. */
enum vg_ignore_kind {
    VG_IGNORE_ANY = 0,
    VG_IGNORE_VULN,
    VG_IGNORE_MISCONFIG,
    VG_IGNORE_SECRET,
    VG_IGNORE_LICENSE,
};

struct vg_ignore_entry {
    char *id;        /* vulnerability / secret rule / check ID */
    char *pkg;       /* optional package name restriction (NULL = any) */
    int64_t expires; /* unix seconds of the end of the exp: day (UTC), 0 = never */
    size_t line;
    enum vg_ignore_kind kind;
    char **paths; /* globs (core/glob.h) over the finding's file; none = any file */
    size_t npaths;
    char **purls; /* package purls (validated); version and qualifiers compared only when
                     given, as Trivy; none = any package */
    size_t npurls;
    char *statement; /* YAML `statement`, or NULL */
};

struct vg_ignore {
    struct vg_ignore_entry *items;
    size_t len, cap;
};

/* Parses a .vigilignore / .trivyignore: one `ID [pkg:NAME] [exp:YYYY-MM-DD]` per line, `#`
 * comments (whole-line or after whitespace), blank lines. Bad syntax is VG_E_PARSE with the
 * line number. */
int vg_ignore_parse(struct vg_ignore *out, const void *data, size_t len, struct vg_err **err);
/* Parses a .trivyignore.yaml (Trivy's schema): top-level `vulnerabilities`, `misconfigurations`,
 * `secrets` and `licenses` lists of {id, paths, purls, expired_at: YYYY-MM-DD, statement}.
 * Errors read "NAME:LINE:COL: ..." (name: the file, for messages; NULL = "<ignorefile>"):
 * VG_E_PARSE for bad YAML, unknown keys, a missing id, bad dates or purls; VG_E_LIMIT beyond
 * config/'s YAML bounds, VG_IGNORE_MAX_ENTRIES entries or VG_IGNORE_MAX_LIST paths/purls. */
int vg_ignore_parse_yaml(struct vg_ignore *out, const char *name, const void *data, size_t len,
                         struct vg_err **err);
/* True when an active (not expired at `now`) entry matches id (and pkg, when the entry
 * names one; pkg may be NULL). Entries restricted by kind, paths or purls never match here. */
bool vg_ignore_match(const struct vg_ignore *ig, const char *id, const char *pkg, int64_t now);

/* One finding as ignore entries see it; NULL fields are unknown (an entry restricted on an
 * unknown field does not match). */
struct vg_ignore_query {
    enum vg_ignore_kind kind;
    const char *id;
    const char *pkg;  /* package name */
    const char *purl; /* package purl */
    const char *path; /* file the finding was found in */
};
/* The first active entry that suppresses q, or NULL; borrowed from ig. */
const struct vg_ignore_entry *vg_ignore_lookup(const struct vg_ignore *ig,
                                               const struct vg_ignore_query *q, int64_t now);
void vg_ignore_dispose(struct vg_ignore *ig);

/* What suppresses findings, loaded once and shared by the CLI and the registry's scan-on-push so
 * both get the same result: the ignore file(s) and the VEX documents. */
struct vg_scan_filter_files {
    const char *ignorefile; /* explicit file: the only one read; NULL = look in dir */
    const char *dir; /* where .vigilignore, .trivyignore and .trivyignore.yaml are looked for;
                        NULL = "." */
    const char *const *vex; /* VEX documents (OpenVEX, CycloneDX), in order */
    size_t nvex;
};
struct vg_scan_filters {
    struct vg_ignore ignore;
    bool has_ignore;    /* an ignore file was read */
    struct vg_vex *vex; /* NULL without documents */
};
/* Reads the explicit ignore file, or else every default one present in dir (.vigilignore,
 * .trivyignore, .trivyignore.yaml; entries merged), then the VEX documents. A file named
 * *.yaml or *.yml is read as .trivyignore.yaml, any other as the plain format (as Trivy's
 * --ignorefile). Errors name the file. */
int vg_scan_filters_load(struct vg_scan_filters *out, const struct vg_scan_filter_files *in,
                         struct vg_err **err);
void vg_scan_filters_dispose(struct vg_scan_filters *f);

enum vg_vex_status {
    VG_VEX_NOT_AFFECTED = 1,
    VG_VEX_FIXED,
    VG_VEX_AFFECTED,
    VG_VEX_UNDER_INVESTIGATION,
};

struct vg_vex; /* opaque: statements of one or more VEX documents, in load order */

/* What was scanned, as VEX products name it; unknown fields are NULL. A statement about an
 * image applies only when its product identifies this subject (see vg_vex_suppresses). */
struct vg_vex_subject {
    const char *repository;      /* normalized "registry/repository", NULL for local files */
    const char *tag;             /* tag the image was scanned by */
    const char *manifest_digest; /* "sha256:..." */
    const char *index_digest;    /* when resolved through an index */
    const char *config_digest;   /* the image ID */
    const char *arch, *os;       /* platform */
    const char *purl;            /* an SBOM's own subject when it is not an image, else NULL */
};

/* Parses one OpenVEX (v0.0.1 .. v0.2) or CycloneDX VEX JSON document into a new set.
 * VG_E_PARSE naming the statement (or vulnerability) index for unknown statuses, missing
 * vulnerability names or products; VG_E_LIMIT above VG_VEX_MAX_BYTES/_STATEMENTS. */
struct vg_vex *vg_vex_parse(const void *data, size_t len, struct vg_err **err);
/* Adds one more document's statements after those already loaded (--vex repeated): a later
 * document's statement overrides an earlier one's. On error v is unchanged. */
struct vg_vex *vg_vex_new(void);
int vg_vex_add(struct vg_vex *v, const void *data, size_t len, struct vg_err **err);
void vg_vex_free(struct vg_vex *v);
size_t vg_vex_statement_count(const struct vg_vex *v);

/* True when the loaded statements say `vuln_id` (or one of `aliases`, NULL-terminated, may be
 * NULL) is not_affected or fixed for the package `purl` found in `subject` (may be NULL: no
 * image-level statement applies then). A statement applies through one of its products:
 *   - a product with no subcomponents applies when it is the package itself (purl rules:
 *     a product without version matches every version, its qualifiers must all be present),
 *     or when it identifies the subject (then it covers every package in it);
 *   - a product with subcomponents (its own, or v0.0.1's statement-level list) applies only
 *     when the product identifies the subject AND a subcomponent is the package.
 * A product identifies the subject when every identifier it carries does: pkg:oci purls need
 * a digest (version) or repository_url, and each of digest, repository_url (or the name when
 * absent), tag, arch and os must agree; image references need the same repository and
 * digest or tag; bare digests the manifest, index or config digest. Anything ambiguous or
 * unknown never matches. The last applicable statement in load order wins, so a later
 * `affected` overrides an earlier `not_affected`. *justification (may be NULL) gets the
 * winning statement's justification or status name; it points into `v`. */
bool vg_vex_suppresses(const struct vg_vex *v, const struct vg_vex_subject *subject,
                       const char *vuln_id, const char *const *aliases, const char *purl,
                       const char **justification);

/* The scan engine: walk, matching, filters and reports (see engine.h). */
#include "scan/engine.h"
/* Checks of configuration files: Dockerfiles, Kubernetes manifests (see misconf.h). */
#include "scan/misconf.h"

#endif
