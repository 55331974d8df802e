/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to scan/'s configuration-file checks (misconf*.c): the check table, the per-file
 * context that findings are added through, and the entry points of each file type.
 */
#ifndef VG_SCAN_MISCONF_INT_H
#define VG_SCAN_MISCONF_INT_H

#include "scan.h"

struct vg_misconf_check {
    const char *id;     /* "DS002", "KSV017", or vigil's "VG-K8S-003" */
    const char *avd_id; /* "AVD-DS-0002", or the id */
    const char *title;
    const char *description;
    const char *resolution;
    enum vg_vulndb_severity severity;
    enum vg_misconf_type type;
};

/* An inline `# vigil:ignore:ID` comment: the id (or "*") and the line it applies to. */
struct vg_misconf_ignore {
    char *id;
    size_t line;
};

/* One file being checked. */
struct vg_misconf_ctx {
    struct vg_scan_report *r;
    const char *target;
    enum vg_misconf_type type;
    const struct vg_misconf_opts *o;
    VG_VEC(struct vg_misconf_ignore) ignores;
    size_t first_line; /* first line with content: file-level findings' scope */
};

/* The check with this id (static), or NULL. */
const struct vg_misconf_check *vg_misconf_check_find(const char *id);
/* Adds a failure of check `id` at lines start..end (0: the file as a whole) inside the object
 * or stage starting at scope (0: none); message is taken. */
void vg_misconf_fail(struct vg_misconf_ctx *m, const char *id, size_t start, size_t end,
                     size_t scope, char *message);
/* Runs the secret rules over one value (name=value for a variable): the title of the first rule
 * that matches (caller frees), or NULL. */
char *vg_misconf_secret_rule(const struct vg_misconf_ctx *m, const char *text);

/* Per type: 0 checked, negative on error (nothing added then is the caller's concern). */
int vg_misconf_dockerfile(struct vg_misconf_ctx *m, const char *data, size_t len,
                          struct vg_err **err);
/* 1 when the stream held a Kubernetes object (checked), 0 when none. */
int vg_misconf_kubernetes(struct vg_misconf_ctx *m, const char *data, size_t len,
                          struct vg_err **err);
/* The EncryptionConfiguration object at root (misconf_enc.c). */
void vg_misconf_encryption(struct vg_misconf_ctx *m, const struct vg_config_node *root);

/* ---------------------------------------------------------------- Dockerfiles (misconf_dfparse.c)
 */

/* One instruction, continuation lines joined and heredocs read. */
struct df_ins {
    char cmd[16];         /* keyword in upper case */
    char *text;           /* owned: the arguments after the flags (JSON form: items joined) */
    VG_VEC(char *) flags; /* owned: leading --name[=value] words */
    VG_VEC(char *) words; /* owned: JSON items, or shell words (quotes removed) */
    bool json;
    size_t start, end; /* lines */
    size_t stage;      /* index into stages, SIZE_MAX before the first FROM */
};

struct df_stage {
    size_t from;       /* index of its FROM */
    const char *image; /* borrowed from the FROM's words ("" when none) */
    const char *alias; /* or NULL */
};

struct df {
    VG_VEC(struct df_ins) ins;
    VG_VEC(struct df_stage) stages;
};

/* Parses a Dockerfile; VG_E_LIMIT over VG_MISCONF_MAX_INSTRUCTIONS (target names the file in
 * the message). Whatever was parsed is in d either way: dispose it. */
int vg_misconf_df_parse(struct df *d, const char *data, size_t len, const char *target,
                        struct vg_err **err);
void vg_misconf_df_dispose(struct df *d);

static inline bool
vg_misconf_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static inline struct vg_str
vg_misconf_rtrim(struct vg_str s)
{
    while (s.len && vg_misconf_is_space(s.ptr[s.len - 1])) {
        s.len--;
    }
    return s;
}

/* Small YAML accessors shared by the Kubernetes and EncryptionConfiguration checks: NULL when
 * absent or of another shape. */
const struct vg_config_node *vg_misconf_map(const struct vg_config_node *n, const char *key);
const struct vg_config_node *vg_misconf_seq(const struct vg_config_node *n, const char *key);
const char *vg_misconf_str(const struct vg_config_node *n, const char *key);
/* True/false when the key holds a YAML boolean, def otherwise. */
bool vg_misconf_bool(const struct vg_config_node *n, const char *key, bool def);

#endif
