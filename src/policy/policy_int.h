/* SPDX-License-Identifier: Apache-2.0
 *
 * Shared inside policy/: the loaded-policy record every format fills, the evaluation context
 * its evaluator writes reasons into, and the per-format loaders set.c dispatches to.
 */
#ifndef VG_POLICY_INT_H
#define VG_POLICY_INT_H

#include "policy.h"

struct vg_config_node;
struct vg_config_doc;
struct vg_policy_ctx;

enum vg_policy_format {
    VG_POLICY_FMT_VIGIL = 1,
    VG_POLICY_FMT_GATEKEEPER,
    VG_POLICY_FMT_CIP,
    VG_POLICY_FMT_KYVERNO,
};

struct vg_policy {
    enum vg_policy_format fmt;
    char *label; /* "FILE:LINE: Kind/name" */
    enum vg_policy_mode mode;
    const struct vg_config_node *node; /* the document root (borrowed from the set's docs) */
    void *impl;
    void (*free_impl)(void *impl);
    int (*eval)(const struct vg_policy *p, struct vg_policy_ctx *c, struct vg_err **err);
};

struct vg_policy_set {
    struct vg_policy_set_opts opts;
    VG_VEC(struct vg_policy *) pols;
    VG_VEC(struct vg_config_doc *) docs;
    char **warnings;
    size_t nwarnings;
    bool has_cip;
};

struct vg_policy_ctx {
    const struct vg_policy_set *set;
    const struct vg_policy_object *obj;
    const struct vg_policy_inputs *in;
    struct vg_policy_decision *out;
    bool *cip_matched; /* per container of obj */
};

/* Adds a reason (message from fmt) for policy p; ct NULL for an object-level reason. */
void vg_policy_reason_add(struct vg_policy_ctx *c, const struct vg_policy *p,
                          const struct vg_policy_container *ct, enum vg_policy_mode mode,
                          const char *fmt, ...) VG_PRINTF(5, 6);
/* Appends "FILE:LINE:COL: message" to the set's warnings. */
void vg_policy_set_warn(struct vg_policy_set *s, const struct vg_config_node *n, const char *fmt,
                        ...) VG_PRINTF(3, 4);
/* Creates a record for the document root, labelled "FILE:LINE: kind/name", appended to s. */
struct vg_policy *vg_policy_add(struct vg_policy_set *s, enum vg_policy_format fmt,
                                const struct vg_config_node *root, const char *kind,
                                const char *name);

/* Asks the caller's verify callback; never NULL *why on NO/UNKNOWN. */
enum vg_policy_fact vg_policy_ask_verify(const struct vg_policy_ctx *c, const char *image,
                                         const char *key_pem, const struct vg_policy_kv *ann,
                                         size_t nann, char **why);

/* Asks the caller's verify_tlog callback; never NULL *why on NO/UNKNOWN. */
enum vg_policy_fact vg_policy_ask_verify_tlog(const struct vg_policy_ctx *c, const char *image,
                                              const char *key_pem, const struct vg_policy_tlog *t,
                                              const struct vg_policy_kv *ann, size_t nann,
                                              char **why);

/* Asks the caller's verify_keyless callback; never NULL *why on NO/UNKNOWN. */
enum vg_policy_fact vg_policy_ask_verify_keyless(const struct vg_policy_ctx *c, const char *image,
                                                 const struct vg_policy_keyless *k,
                                                 const struct vg_policy_kv *ann, size_t nann,
                                                 char **why);

/* Asks the caller's verify_dct callback; never NULL *why on NO/UNKNOWN. */
enum vg_policy_fact vg_policy_ask_verify_dct(const struct vg_policy_ctx *c, const char *image,
                                             const struct vg_policy_dct *d, char **why);
/* Asks the caller's verify_notation callback; never NULL *why on NO/UNKNOWN. */
enum vg_policy_fact vg_policy_ask_verify_notation(const struct vg_policy_ctx *c, const char *image,
                                                  const struct vg_policy_notation *n, char **why);
/* keyless.c: checks a notation authority at load (n names it in errors): the PEM certificates
 * parse (at least one), every identity is "*" or an x509.subject DN notation accepts (C, ST and
 * O present), "*" alone, level strict, permissive or audit. */
VG_NODISCARD int vg_policy_notation_check(const struct vg_config_node *n,
                                          const struct vg_policy_notation *a, struct vg_err **err);

/* keyless.c: one identity {issuer, subject, issuerRegExp, subjectRegExp} of a policy
 * (`path` names it in errors): exact and regexp forms of one side exclude each other, at least
 * one field is needed, and without wildcards both an issuer and a subject side (exact or
 * regexp, as policy-controller), regexps must compile (POSIX extended). With wildcards (Kyverno),
 * an exact value holding `*` or `?` becomes an anchored regexp, owned by re_owned[0] (subject) and
 * re_owned[1] (issuer), NULL otherwise. */
VG_NODISCARD int vg_policy_identity_load(struct vg_policy_identity *out, char *re_owned[2],
                                         const struct vg_config_node *n, const char *path,
                                         bool wildcards, struct vg_err **err);

/* Loaders: root is one document; dir the policy file's directory (for key files). */
VG_NODISCARD int vg_policy_load_vigil(struct vg_policy_set *s, const struct vg_config_node *root,
                                      const char *dir, struct vg_err **err);
VG_NODISCARD int vg_policy_load_gk_template(struct vg_policy_set *s,
                                            const struct vg_config_node *root, struct vg_err **err);
VG_NODISCARD int vg_policy_load_gk_constraint(struct vg_policy_set *s,
                                              const struct vg_config_node *root, const char *kind,
                                              struct vg_err **err);
VG_NODISCARD int vg_policy_load_cip(struct vg_policy_set *s, const struct vg_config_node *root,
                                    struct vg_err **err);
VG_NODISCARD int vg_policy_load_kyverno(struct vg_policy_set *s, const struct vg_config_node *root,
                                        const char *kind, struct vg_err **err);

/* match.c */
VG_NODISCARD int vg_policy_selector_check(const struct vg_config_node *sel, const char *path,
                                          struct vg_err **err);
bool vg_policy_selector_match(const struct vg_config_node *sel,
                              const struct vg_config_node *labels);
bool vg_policy_ns_match(const char *pattern, const char *ns);

/* Small node helpers (object.c). */
const char *vg_policy_node_str(const struct vg_config_node *n, const char *key);
const struct vg_config_node *vg_policy_node_path(const struct vg_config_node *n, const char *path);
/* Refuses a PEM public key that crypto/ cannot load, at node n. */
VG_NODISCARD int vg_policy_key_check(const struct vg_config_node *n, const char *pem, size_t len,
                                     struct vg_err **err);

#endif
