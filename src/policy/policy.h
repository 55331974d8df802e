/* SPDX-License-Identifier: Apache-2.0
 *
 * policy: the image policy model, its parsers and a pure evaluation (docs/policy.md).
 *
 * A policy set is loaded from YAML files (config/ does the YAML). Each document is one of:
 *   - vigil's own `vigil.dev/v1 ImagePolicy`;
 *   - Gatekeeper constraints of the five image templates (K8sAllowedRepos, K8sAllowedReposv2,
 *     K8sDisallowedRepos, K8sDisallowedTags, K8sImageDigests) and those ConstraintTemplates;
 *   - Sigstore policy-controller `ClusterImagePolicy` (v1alpha1, v1beta1);
 *   - Kyverno `ClusterPolicy` / `Policy` image rules (the subset in docs/policy.md).
 * Each foreign format keeps ITS engine's semantics, look-alike pitfalls included (a Gatekeeper
 * `gcr.io` repo admits `gcr.io.evil/x`); such entries produce a load warning naming them.
 * What vigil cannot evaluate (unknown templates, Rego/CUE/CEL, KMS keys, ...) is
 * refused at load with FILE:LINE:COL and the reason: never silently allowed.
 *
 * Evaluation does no I/O: signature, vulnerability and image-config facts come from the
 * caller through struct vg_policy_inputs (the CLI and the webhook supply their own).
 * The webhook loads AdmissionReview.request.object with config/ (JSON is YAML), fills a
 * vg_policy_object with vg_policy_object_init (plus nslabels from its namespace lookup) and
 * calls vg_policy_eval with its cached, deadline-bounded callbacks: the same engine as
 * `vigil policy check`.
 *
 * Error codes: VG_E_PARSE (malformed or invalid policy), VG_E_UNSUPPORTED (well-formed but not
 * evaluable by vigil), VG_E_USAGE (bad reference), VG_E_LIMIT, VG_E_NOTFOUND, VG_E_IO.
 * Thread safety: a loaded set is immutable; vg_policy_eval may run on several threads at once
 * (the inputs' callbacks must then be thread-safe themselves).
 */
#ifndef VG_POLICY_H
#define VG_POLICY_H

#include "core/core.h"

struct vg_config_node;
struct vg_config_doc;

/* ---------------------------------------------------------------- references (ref.c) */

/* Longest image string any policy function looks at; longer strings are refused (the
 * reference grammar allows at most 255 + 128 + 135 characters). */
#define VG_POLICY_IMAGE_MAX 4096u

/* vigil's normalization (Docker's): "nginx" -> "docker.io/library/nginx:latest",
 * "a/b@sha256:.." keeps the digest, "h:5000/x:1@sha256:.." keeps both. Caller frees *out.
 * VG_E_USAGE with the reason for an invalid reference (or one over VG_POLICY_IMAGE_MAX). */
VG_NODISCARD int vg_policy_ref_normalize(char **out, const char *image, struct vg_err **err);
/* The name policy-controller matches globs against (go-containerregistry `Name()`):
 * "index.docker.io/library/nginx:latest", a digest reference as "repo@sha256:<hex>" (a tag next
 * to the digest is dropped). NULL when go-containerregistry would refuse the reference. */
char *vg_policy_ref_cip_name(const char *image);
/* Kyverno's normalized image: "<registry>/<path>:<tag>" or "<registry>/<path>@<digest>",
 * registry docker.io by default, no "library/" added. NULL when unparseable. */
char *vg_policy_ref_kyverno(const char *image);

/* ---------------------------------------------------------------- matching (match.c) */

/* vigil globs over normalized names "registry/repository" (docs/policy.md): `*` one run of
 * characters within a path segment, `?` one character, `**` (a whole segment) any number of
 * segments. The first segment must be a registry host. NULL when valid, else the reason. */
const char *vg_policy_glob_check(const char *glob);
bool vg_policy_glob_match(const char *glob, const char *name);
/* policy-controller globs: `**` any run, `*` any run without '/', anchored; characters limited
 * to letters, digits and - _ : / * . @; exactly "*" and "*" "/" "*" are rewritten to Docker Hub. */
const char *vg_policy_cip_glob_check(const char *glob);
bool vg_policy_cip_glob_match(const char *glob, const char *name);
/* Kyverno wildcards: `*` any run (including '/'), `?` one character, anchored. */
bool vg_policy_wildcard_match(const char *pattern, const char *s);

/* ---------------------------------------------------------------- objects (object.c) */

/* One image-bearing field of the object. */
struct vg_policy_container {
    /* "containers", "initContainers", "ephemeralContainers", or "volumes" for an image volume
     * (volumes[].image.reference; name is the volume's) */
    const char *field;
    size_t index;
    const char *name;  /* may be NULL */
    const char *image; /* NULL when the container has no image */
    char *path;        /* "spec.template.spec.containers[0].image" (owned) */
    const struct vg_config_node *node;
};

/* An image volume (field "volumes"): vigil's ImagePolicy checks it like a container image;
 * the other formats' engines look at containers only and skip it. */
bool vg_policy_container_is_volume(const struct vg_policy_container *ct);

/* A Kubernetes object as admission sees it. Strings and nodes are borrowed from the document
 * (or from the caller for vg_policy_object_image); containers are owned. */
struct vg_policy_object {
    const char *api_version; /* "v1", "apps/v1" */
    const char *kind;        /* "Pod", "Deployment", ... */
    const char *name;
    const char *namespace;                 /* "" for cluster-scoped; "default" when unset */
    const struct vg_config_node *root;     /* whole object; NULL for a bare image */
    const struct vg_config_node *labels;   /* mapping or NULL */
    const struct vg_config_node *podspec;  /* the embedded PodSpec or NULL */
    const struct vg_config_node *nslabels; /* the namespace's labels, when the caller knows */
    struct vg_policy_container *containers;
    size_t ncontainers;
    char *owned_image;               /* vg_policy_object_image only */
    struct vg_config_doc *owned_doc; /* vg_policy_object_image only: the synthesized Pod */
};
/* Fills o from an object node (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
 * CronJob, ReplicationController, PodTemplate; anything else has no containers): the
 * containers, init and ephemeral containers, then the image volumes. */
VG_NODISCARD int vg_policy_object_init(struct vg_policy_object *o,
                                       const struct vg_config_node *root, struct vg_err **err);
/* A bare image: a Pod named "image" in namespace ns (NULL: "default") with one container. */
void vg_policy_object_image(struct vg_policy_object *o, const char *image, const char *ns);
void vg_policy_object_dispose(struct vg_policy_object *o);

/* ---------------------------------------------------------------- inputs */

enum vg_policy_fact {
    VG_POLICY_FACT_YES = 0, /* verified / available */
    VG_POLICY_FACT_NO,      /* checked and negative (bad or missing signature, ...) */
    VG_POLICY_FACT_UNKNOWN, /* could not be determined (unreachable, no input): a deny */
};

struct vg_policy_kv {
    const char *key, *value;
};

/* Severities as scan/ orders them. */
enum vg_policy_severity {
    VG_POLICY_SEV_UNKNOWN = 0,
    VG_POLICY_SEV_LOW,
    VG_POLICY_SEV_MEDIUM,
    VG_POLICY_SEV_HIGH,
    VG_POLICY_SEV_CRITICAL,
    VG_POLICY_SEV_COUNT
};
struct vg_policy_vulns {
    size_t total[VG_POLICY_SEV_COUNT]; /* findings per severity */
    size_t fixed[VG_POLICY_SEV_COUNT]; /* of which a fixed version exists */
};

/* A keyless (Fulcio) signer: issuer and subject (the certificate's SAN), each exact or a
 * regular expression (POSIX extended, unanchored like Go's MatchString); NULL on both sides
 * of a pair leaves it unconstrained. */
struct vg_policy_identity {
    const char *issuer, *subject, *issuer_regexp, *subject_regexp;
};
/* A keyless authority: any one identity suffices. */
struct vg_policy_keyless {
    const struct vg_policy_identity *ids;
    size_t nids;
    const char *trust_root; /* a trusted root the caller knows by this name (CIP trustRootRef,
                             * vigil's trustedRoot); NULL: the caller's default root */
    const char *ca_pem;     /* PEM Fulcio CA certificates replacing the root's CAs (Kyverno
                             * `roots`, CIP `ca-cert.data`); NULL: the root's */
    const char *rekor_pem;  /* a PEM Rekor public key replacing the root's Rekor keys (Kyverno
                             * `rekor.pubkey`); NULL: the root's */
    bool ignore_sct, ignore_tlog;
};

/* A Notary Project (Notation) authority: a signature attached through the referrers API whose
 * chain reaches one of the certificates (trust store "ca"), whose leaf subject is a trusted
 * identity, verified at a verification level, as notation's trust policy (docs/notation.md). */
struct vg_policy_notation {
    const char *certs_pem;         /* PEM certificates: the trust store */
    const char *const *identities; /* "x509.subject: C=..., O=..."; none: "*" (any) */
    size_t nidentities;
    const char *level; /* "strict" (NULL), "permissive", "audit" */
};

/* A Docker Content Trust (Notary v1) authority: the image's tag is signed in its notary
 * repository and is the manifest the registry serves (docs/trust.md); with signers, by one
 * of those delegations (targets/<name>). */
struct vg_policy_dct {
    const char *server; /* https URL; NULL: DOCKER_CONTENT_TRUST_SERVER, else docker's */
    const char *const *signers;
    size_t nsigners;
};

/* Transparency-log evidence a key-based signature must also carry (Kyverno's keys and
 * certificates attestors unless rekor.ignoreTlog is true): every signature counted has a Rekor
 * entry verified offline, its signed entry timestamp (SET) by the Rekor key (docs/policy.md
 * "Kyverno and the transparency log"). */
struct vg_policy_tlog {
    const char *rekor_pem; /* the Rekor public key (Kyverno rekor.pubkey); NULL: the Rekor
                            * keys of the caller's default trusted root, else the public-good
                            * Rekor key shipped with vigil */
    const char *rekor_url; /* rekor.url, for reasons only: vigil never queries it */
};

/* The trustpolicy.json (version 1.0, one policy "policy" for every scope, trust store
 * "ca:policy", the identities or "*", the level) that expresses n for sign/'s verifier.
 * Caller frees; NULL only on allocation failure. */
char *vg_policy_notation_trustpolicy(const struct vg_policy_notation *n);

/* What a verification asks, as one string (every field, each length-prefixed: two questions
 * are the same string only when they are the same question), for caches of verdicts:
 * a key-based signature (key_pem and annotations), a keyless one (k and annotations), a
 * Notation one. Caller frees. */
char *vg_policy_verify_question(const char *key_pem, const struct vg_policy_kv *annotations,
                                size_t nannotations);
char *vg_policy_keyless_question(const struct vg_policy_keyless *k,
                                 const struct vg_policy_kv *annotations, size_t nannotations);
char *vg_policy_notation_question(const struct vg_policy_notation *n);
/* A key-based signature with transparency-log evidence (key_pem, t, annotations). */
char *vg_policy_tlog_question(const char *key_pem, const struct vg_policy_tlog *t,
                              const struct vg_policy_kv *annotations, size_t nannotations);

/* Facts the caller supplies; any callback may be NULL (the requirement is then "unknown" and
 * denies). *why (caller of the callback frees) explains a NO or UNKNOWN. */
struct vg_policy_inputs {
    void *ctx;
    /* Does image carry a signature that verifies with key_pem (a PEM public key) and whose
     * payload holds every annotation? */
    enum vg_policy_fact (*verify)(void *ctx, const char *image, const char *key_pem,
                                  const struct vg_policy_kv *annotations, size_t nannotations,
                                  char **why);
    enum vg_policy_fact (*vulns)(void *ctx, const char *image, struct vg_policy_vulns *out,
                                 char **why);
    /* The image config's user ("" or NULL: root by default). *user is caller-freed. */
    enum vg_policy_fact (*config_user)(void *ctx, const char *image, char **user, char **why);
    /* Does image carry a keyless signature by one of k's identities, verified under the
     * trusted root (certificate chain, SCT, transparency log evidence), whose payload holds
     * every annotation? */
    enum vg_policy_fact (*verify_keyless)(void *ctx, const char *image,
                                          const struct vg_policy_keyless *k,
                                          const struct vg_policy_kv *annotations,
                                          size_t nannotations, char **why);
    /* Does image carry a Notary signature that verifies under n? */
    enum vg_policy_fact (*verify_notation)(void *ctx, const char *image,
                                           const struct vg_policy_notation *n, char **why);
    /* As verify, and every signature counted also carries the transparency-log evidence t
     * asks for. */
    enum vg_policy_fact (*verify_tlog)(void *ctx, const char *image, const char *key_pem,
                                       const struct vg_policy_tlog *t,
                                       const struct vg_policy_kv *annotations, size_t nannotations,
                                       char **why);
    /* Is image signed with Docker Content Trust as d asks? */
    enum vg_policy_fact (*verify_dct)(void *ctx, const char *image, const struct vg_policy_dct *d,
                                      char **why);
};

/* ---------------------------------------------------------------- sets and decisions */

enum vg_policy_mode {
    VG_POLICY_ENFORCE = 0, /* a violation denies */
    VG_POLICY_WARN,        /* a violation is a warning; allowed */
    VG_POLICY_AUDIT,       /* a violation is recorded only; allowed */
};
const char *vg_policy_mode_name(enum vg_policy_mode m);

enum vg_policy_nomatch {
    VG_POLICY_NOMATCH_DENY = 0, /* policy-controller's default */
    VG_POLICY_NOMATCH_WARN,
    VG_POLICY_NOMATCH_ALLOW,
};

struct vg_policy_set_opts {
    /* What an image matching no ClusterImagePolicy gets, when the set holds any CIP. */
    enum vg_policy_nomatch cip_no_match;
};
#define VG_POLICY_SET_OPTS_INIT ((struct vg_policy_set_opts){VG_POLICY_NOMATCH_DENY})

struct vg_policy_set;
struct vg_policy_set *vg_policy_set_new(const struct vg_policy_set_opts *o);
void vg_policy_set_free(struct vg_policy_set *s);
/* Loads every document of a YAML file (or buffer; name is what errors print). Documents of
 * other kinds than the policy formats are refused. */
VG_NODISCARD int vg_policy_set_load_file(struct vg_policy_set *s, const char *path,
                                         struct vg_err **err);
VG_NODISCARD int vg_policy_set_load_buf(struct vg_policy_set *s, const char *name, const void *data,
                                        size_t len, struct vg_err **err);
size_t vg_policy_set_count(const struct vg_policy_set *s);
/* Load-time warnings ("FILE:LINE:COL: K8sAllowedRepos/x: repo 'gcr.io' is a raw string
 * prefix: it also admits 'gcr.io.evil.example/...'"). */
size_t vg_policy_set_warning_count(const struct vg_policy_set *s);
const char *vg_policy_set_warning(const struct vg_policy_set *s, size_t i);

/* One violated requirement. */
struct vg_policy_reason {
    char *policy;  /* "FILE:LINE: Kind/name" (+ " rule NAME" for Kyverno) */
    char *image;   /* the image as written; NULL for an object-level reason */
    char *path;    /* "spec.containers[0].image" or NULL */
    char *message; /* what is wrong */
    enum vg_policy_mode mode;
};

/* Per-rule outcomes, for formats with named rules (Kyverno): what policy reports show. */
enum vg_policy_outcome {
    VG_POLICY_PASS = 0,
    VG_POLICY_FAIL,
    VG_POLICY_SKIP, /* preconditions false, conditional anchors unmet, nothing to check */
};
struct vg_policy_rule_result {
    char *policy; /* as in reasons */
    char *rule;   /* the rule's name (autogen rules keep the Pod rule's name) */
    enum vg_policy_outcome outcome;
};

struct vg_policy_decision {
    bool allowed; /* no enforce-mode reason */
    struct vg_policy_reason *reasons;
    size_t nreasons;
    struct vg_policy_rule_result *rules;
    size_t nrules;
    size_t napplied; /* (policy, image) pairs evaluated */
};
void vg_policy_decision_dispose(struct vg_policy_decision *d);

/* Evaluates every policy of s whose scope matches o. in may be NULL (no facts: every
 * signature, vulnerability or config requirement is "unknown" and denies). */
VG_NODISCARD int vg_policy_eval(const struct vg_policy_set *s, const struct vg_policy_object *o,
                                const struct vg_policy_inputs *in, struct vg_policy_decision *out,
                                struct vg_err **err);

#endif
