/* SPDX-License-Identifier: Apache-2.0
 *
 * admit: the Kubernetes admission webhook (docs/admit.md). review.c parses AdmissionReview
 * v1/v1beta1 requests (bounded; hostile bodies get an error, never a crash) and builds the
 * response in the version asked; webhook.c mounts POST /validate and POST /mutate on httpd/,
 * evaluates the objects' images with policy/ (facts from policy/facts.h behind a decision
 * cache) within the apiserver's ?timeout=, and pins tags to digests for /mutate.
 *
 * Thread safety: a parsed review belongs to one thread; a webhook serves many threads
 * (policy reloads swap the set under a lock; evaluations keep their set alive by reference).
 */
#ifndef VG_ADMIT_H
#define VG_ADMIT_H

#include "core/core.h"
#include "kube/kube.h"
#include "oci/oci.h"
#include "policy/policy.h"

struct vg_config_doc;
struct vg_config_node;
struct vg_httpd;

/* ---------------------------------------------------------------- review.c */

#define VG_ADMIT_BODY_MAX  (10u * 1024u * 1024u) /* AdmissionReview bytes */
#define VG_ADMIT_DEPTH_MAX 100u                  /* JSON nesting */
/* JSON values in a whole AdmissionReview (its nodes cost about 140 bytes each: this bounds a
 * review's memory near 40 MiB; a Pod has a few hundred to a few thousand) */
#define VG_ADMIT_VALUES_MAX 300000u

enum vg_admit_version {
    VG_ADMIT_V1 = 1,
    VG_ADMIT_V1BETA1,
};
const char *vg_admit_version_name(enum vg_admit_version v); /* "admission.k8s.io/v1" */

struct vg_admit_review {
    enum vg_admit_version version;
    char *uid;         /* "" when absent */
    char *kind;        /* request.kind.kind, "" when absent */
    char *group;       /* request.kind.group */
    char *subresource; /* NULL when absent */
    char *namespace;   /* request.namespace, "" for cluster-scoped */
    char *name;
    char *operation;
    bool dry_run;
    /* Set when the request is understood but cannot be admitted (object of the wrong type, an
     * image that is missing, too long or not a string, ...): the answer is a denial with
     * code 400 naming it. */
    char *invalid;
    /* Kind this webhook checks (the pod-spec kinds, pods/ephemeralcontainers); false for other
     * kinds and subresources, which are allowed with a warning. */
    bool checked;
    bool has_object;             /* object present and loaded (not DELETE / null) */
    struct vg_config_doc *doc;   /* request.object as a config document */
    struct vg_policy_object obj; /* over doc; valid when has_object */
};

/* Parses an AdmissionReview. An error (VG_E_PARSE: not JSON, not UTF-8, nested deeper than
 * VG_ADMIT_DEPTH_MAX, not an AdmissionReview v1/v1beta1, no request; VG_E_LIMIT: over
 * VG_ADMIT_BODY_MAX) is answered with HTTP 400 and the message. */
VG_NODISCARD int vg_admit_review_parse(struct vg_admit_review *rv, const void *body, size_t len,
                                       struct vg_err **err);
/* once false: always through jansson (vg_admit_review_parse parses the body once, straight
 * into nodes, when it can: the same review either way; for the differential fuzz harness). */
VG_NODISCARD int vg_admit_review_parse2(struct vg_admit_review *rv, const void *body, size_t len,
                                        bool once, struct vg_err **err);
void vg_admit_review_dispose(struct vg_admit_review *rv);
/* The review the apiserver would send for a CREATE of the manifest object root (borrowed: it
 * must outlive rv), for deciding manifests offline (`vigil admit check`). The namespace is the
 * object's, else ns, else "default". Never fails: what the webhook would refuse is set in
 * rv->invalid. */
void vg_admit_review_from_object(struct vg_admit_review *rv, const struct vg_config_node *root,
                                 const char *ns);

struct vg_admit_answer {
    bool allowed;
    unsigned code; /* status.code when denied (403 policy, 400 invalid, 500 cannot decide) */
    char *message; /* denial message (owned) */
    VG_VEC(char *) warnings; /* owned; each cut to 256 characters, control characters escaped */
    json_t *patch;           /* JSON Patch array (owned) or NULL */
};
void vg_admit_answer_warn(struct vg_admit_answer *a, const char *fmt, ...) VG_PRINTF(2, 3);
void vg_admit_answer_dispose(struct vg_admit_answer *a);
/* The AdmissionReview answering rv (its version and uid); the patch is base64 JSONPatch. */
json_t *vg_admit_response(const struct vg_admit_review *rv, const struct vg_admit_answer *a);
/* Its compact JSON text (vg_json_dump), written without jansson for a plain allow; caller
 * frees, *len its length. */
char *vg_admit_response_text(const struct vg_admit_review *rv, const struct vg_admit_answer *a,
                             size_t *len);

/* "spec.template.spec.containers[0].image" -> "/spec/template/spec/containers/0/image"
 * (JSON Pointer, "~" and "/" escaped). Caller frees. */
char *vg_admit_json_pointer(const char *path);

/* ---------------------------------------------------------------- manifests.c */

/* A policy file for the webhook's ConfigMap: its key (the file's base name) and text. */
struct vg_admit_manifest_file {
    const char *name;
    const char *data;
    size_t len;
};
struct vg_admit_manifests_opts {
    const char *namespace;      /* the webhook's namespace (optional with webhook_url) */
    const char *name;           /* object and webhook names (NULL: "vigil-admit") */
    const char *image;          /* the webhook's container image */
    unsigned replicas;          /* Deployment replicas (>= 1) */
    unsigned timeout_s;         /* timeoutSeconds, 1..30 */
    const char *failure_policy; /* "Fail" (NULL) or "Ignore" */
    const struct vg_admit_manifest_file *policies; /* the ConfigMap's files (at least one) */
    size_t npolicies;
    const char *ca_pem;       /* the caBundle: the CA certificate(s), PEM */
    const char *tls_cert_pem; /* the serving certificate and key for the kubernetes.io/tls */
    const char *tls_key_pem;  /* Secret */
    const char *webhook_url;  /* set: only the webhook configurations, clientConfig.url */
};
/* The objects that install the webhook as a JSON array (caller decrefs), in apply order:
 * Namespace, ServiceAccount, ClusterRole and ClusterRoleBinding (get secrets), ConfigMap (the
 * policies), Secret (kubernetes.io/tls), Deployment, Service, PodDisruptionBudget,
 * ValidatingWebhookConfiguration, MutatingWebhookConfiguration; with webhook_url only the last
 * two, calling webhook_url + "/validate" and "/mutate". Bad options are VG_E_USAGE. */
VG_NODISCARD int vg_admit_manifests(json_t **out, const struct vg_admit_manifests_opts *o,
                                    struct vg_err **err);
/* The checks vg_admit_manifests makes on everything but the certificates and key (names,
 * timeout, failure policy, URL, policy file names and size), before they are made. */
VG_NODISCARD int vg_admit_manifests_check(const struct vg_admit_manifests_opts *o,
                                          struct vg_err **err);

/* ---------------------------------------------------------------- webhook.c */

struct vg_admit_opts {
    const char *const *policies; /* policy files, loaded at start and on reload */
    size_t npolicies;
    enum vg_policy_nomatch nomatch;
    struct vg_oci_open_opts open; /* registry access for facts and tag resolution */
    const char *db;               /* vulnerability database */
    int vuln_source;              /* enum vg_policy_vuln_source (policy/facts.h) */
    bool offline;                 /* no registry access: facts unknown (deny), no resolution */
    unsigned default_timeout_ms;  /* when the request has no ?timeout= (0: 10000) */
    unsigned margin_ms;           /* answer this long before the deadline (0: 300) */
    unsigned cache_ttl_s;         /* decision cache TTL (0: 300; UINT_MAX: not cached) */
    /* "unknown" facts (a registry or scan that could not be asked) are cached this long so a
     * storm of reviews does not hammer a registry that is down (0: 10; UINT_MAX: not cached) */
    unsigned failure_ttl_s;
    /* Cold evaluations (those waiting on registries) running at once per registry host
     * (0: 4), and in all (max_cold_total, 0: 64 or max_cold if more): a review takes a slot
     * on every registry its images name (admit_int.h, cold.c). A review that cannot start its
     * evaluation before its deadline is denied (fail closed); waiting reviews hold no server
     * thread when the server is suspendable (httpd). */
    unsigned max_cold;
    unsigned max_cold_total;
    struct vg_kube_secrets_opts secrets; /* imagePullSecrets source (kube/); none set: not read */
    const char *const *trusted_roots;    /* keyless authorities' roots, policy/facts.h */
    size_t ntrusted_roots;
};

struct vg_admit;
VG_NODISCARD int vg_admit_new(struct vg_admit **out, const struct vg_admit_opts *o,
                              struct vg_err **err);
/* Mounts /validate and /mutate and the admit metrics on h. */
VG_NODISCARD int vg_admit_mount(struct vg_admit *a, struct vg_httpd *h, struct vg_err **err);
/* Loads the policy files again; on success new requests use the new set (requests running
 * keep the old one), on error the old set stays. */
VG_NODISCARD int vg_admit_reload(struct vg_admit *a, struct vg_err **err);
uint64_t vg_admit_generation(struct vg_admit *a);
/* Decides rv as POST /validate (mutating false) or POST /mutate would, on the calling thread
 * and without a deadline; fills ans (dispose it) and returns the result as the audit line
 * names it: "allow", "warn", "deny", "invalid" or "error". */
const char *vg_admit_decide(struct vg_admit *a, const struct vg_admit_review *rv, bool mutating,
                            struct vg_admit_answer *ans);
/* Waits for running evaluations (a few seconds) and frees. Returns false when some still run
 * (a registry that never answers): the webhook is then left to them, and the process must end
 * with _exit(), not exit(), so that no library's global cleanup (OpenSSL's, libcurl's) runs
 * under a thread still inside it. True when a was NULL or freed. */
bool vg_admit_free(struct vg_admit *a);

#endif
