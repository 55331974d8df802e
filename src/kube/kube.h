/* SPDX-License-Identifier: Apache-2.0
 *
 * kube: a small read-only Kubernetes API client shared by the admission webhook (imagePullSecrets)
 * and `vigil k8s` (the images of every workload). It owns:
 *   - kubeconfig.c: the kubeconfig reader (context, cluster, user: bearer token or tokenFile,
 *     client certificate and key, CA file or data, insecure-skip-tls-verify) and the in-cluster
 *     service account;
 *   - client.c: GET of one object and LIST with paging (`limit`/`continue`) as JSON, with the
 *     API's Status answers mapped to errors;
 *   - secrets.c: the .dockerconfigjson / .dockercfg pull secrets of a namespace, merged into one
 *     {"auths": ...} for oci/'s pull_secret_json (from the API or a directory of Secret objects);
 *   - workloads.c: the top-level workloads (Deployment, StatefulSet, DaemonSet, CronJob, Job,
 *     ReplicaSet, ReplicationController, Pod) with their containers' images and the digests the
 *     pods' statuses report.
 * Everything the API server sends is untrusted: bounded, parsed with jansson, names checked
 * against Kubernetes' grammar before they reach a path or URL. Exec plugins and auth providers
 * are refused with a message, never run.
 *
 * Errors callers may branch on: VG_E_PARSE (kubeconfig or object malformed), VG_E_UNSUPPORTED
 * (kubeconfig auth vigil does not do), VG_E_AUTH (HTTP 401/403: RBAC), VG_E_NOTFOUND, VG_E_NET,
 * VG_E_LIMIT, VG_E_USAGE (in-cluster without $KUBERNETES_SERVICE_HOST).
 *
 * Thread safety: a client serialises its requests under a mutex (several threads may share it).
 */
#ifndef VG_KUBE_H
#define VG_KUBE_H

#include "core/core.h"

#define VG_KUBE_CONFIG_MAX  (4u * 1024u * 1024u)  /* kubeconfig bytes (YAML bound) */
#define VG_KUBE_OBJECT_MAX  (1u << 20)            /* one object (a Secret is at most 1 MiB) */
#define VG_KUBE_PAGE_MAX    (64u * 1024u * 1024u) /* one page of a list */
#define VG_KUBE_PAGE_LIMIT  500u                  /* items asked per page (kubectl's default) */
#define VG_KUBE_PAGES_MAX   10000u                /* pages of one list */
#define VG_KUBE_TOKEN_MAX   (64u * 1024u)         /* token file bytes */
#define VG_KUBE_PEM_MAX     (1u << 20)            /* CA bundle, client certificate or key */
#define VG_KUBE_SECRETS_MAX 16u                   /* imagePullSecrets used per workload */

/* ---------------------------------------------------------------- kubeconfig.c */

/* One context of a kubeconfig, resolved (strings owned; the token and key are wiped on
 * dispose). */
struct vg_kubeconfig {
    char *context;   /* the context used */
    char *server;    /* "https://host:port" (no trailing slash) */
    char *namespace; /* the context's namespace, or NULL */
    char *token;     /* bearer token (from token, or read from tokenFile), or NULL */
    char *token_file;
    char *ca_file;    /* certificate-authority, or NULL */
    struct vg_buf ca; /* certificate-authority-data, decoded (len 0: none) */
    char *cert_file;  /* client-certificate / client-key files, or NULL */
    char *key_file;
    struct vg_buf cert; /* client-certificate-data / client-key-data, decoded */
    struct vg_buf key;
    bool insecure; /* insecure-skip-tls-verify: true */
};
/* Parses kubeconfig YAML (name labels errors) and resolves context (NULL: current-context).
 * Files named in it (tokenFile, certificate files) are not read here. VG_E_PARSE names the
 * missing or malformed part ("no current-context", "context 'x' not found", "bad base64 in
 * users[0].user.client-key-data"); VG_E_UNSUPPORTED for exec plugins, auth providers,
 * username/password and a user with no credentials; VG_E_LIMIT over VG_KUBE_CONFIG_MAX or the
 * YAML bounds. */
VG_NODISCARD int vg_kubeconfig_parse(struct vg_kubeconfig *out, const void *data, size_t len,
                                     const char *name, const char *context, struct vg_err **err);
void vg_kubeconfig_dispose(struct vg_kubeconfig *kc);

/* ---------------------------------------------------------------- client.c */

/* Where the API server is: a kubeconfig file (and context), or the pod's service account. */
struct vg_kube_source {
    const char *kubeconfig; /* path; "$KUBECONFIG"-style lists are not split */
    const char *context;    /* NULL: current-context */
    bool in_cluster;        /* $KUBERNETES_SERVICE_HOST, the service account token and CA */
    unsigned page_limit;    /* items per list page when a list names none; 0: VG_KUBE_PAGE_LIMIT */
    uint64_t deadline_ns;   /* vg_now_ns() time at which API requests end; 0: none */
};

struct vg_kube;
/* Reads the kubeconfig (and the files it names) or the service account; no request is made. */
VG_NODISCARD int vg_kube_new(struct vg_kube **out, const struct vg_kube_source *src,
                             struct vg_err **err);
void vg_kube_free(struct vg_kube *k);
const char *vg_kube_server(const struct vg_kube *k);
/* The context's namespace (in-cluster: the service account's), or "default". */
const char *vg_kube_namespace(const struct vg_kube *k);
const char *vg_kube_context(const struct vg_kube *k); /* "in-cluster" for the service account */
/* Requests made so far (for tests and the summary). */
uint64_t vg_kube_requests(const struct vg_kube *k);

/* GET path ("/api/v1/namespaces/x/secrets/y"): the object (*out, decref). 404 VG_E_NOTFOUND,
 * 401/403 VG_E_AUTH (the Status message quoted), other statuses VG_E_NET; what names the object
 * in messages. */
VG_NODISCARD int vg_kube_get(struct vg_kube *k, const char *path, size_t max, const char *what,
                             json_t **out, struct vg_err **err);
/* Called for each item of a list (borrowed for the call). A negative return stops the walk. */
typedef int (*vg_kube_item_fn)(void *ud, const json_t *item, struct vg_err **err);
/* LIST path ("/apis/apps/v1/replicasets"), page by page (?limit=page_limit&continue=...; 0:
 * the source's page_limit), calling fn for every item; *found (may be NULL) false when the API
 * answered 404 (the resource does not exist on this server: not an error). Any other failure,
 * a 410 Gone for an expired continue token included, is an error. */
VG_NODISCARD int vg_kube_list(struct vg_kube *k, const char *path, unsigned page_limit,
                              vg_kube_item_fn fn, void *ud, bool *found, struct vg_err **err);

/* Kubernetes object names: DNS-1123 subdomains (dots true: lowercase alphanumerics, '-' and
 * '.', at most 253, alphanumeric at both ends) or labels (dots false: no '.'; the caller
 * checks the 63-character limit of namespaces). */
bool vg_kube_name_ok(const char *s, bool dots);

/* ---------------------------------------------------------------- secrets.c */

struct vg_kube_secrets_opts {
    const char *dir;           /* DIR/<namespace>/<name>.json: Secret objects as the API returns */
    struct vg_kube_source api; /* else the API (kubeconfig or in_cluster) */
};
struct vg_kube_secrets;
/* From opts (dir, else the API source), or over a client the caller keeps (borrowed: k must
 * outlive the result). */
VG_NODISCARD int vg_kube_secrets_new(struct vg_kube_secrets **out,
                                     const struct vg_kube_secrets_opts *o, struct vg_err **err);
struct vg_kube_secrets *vg_kube_secrets_over(struct vg_kube *k);
void vg_kube_secrets_free(struct vg_kube_secrets *s);
/* The merged {"auths": ...} (*out, caller frees; the first secret naming a registry wins) of
 * the kubernetes.io/dockerconfigjson (or legacy dockercfg) Secrets names[0..n) of namespace ns;
 * 1 when some registry has credentials, else 0 and *out NULL. As the kubelet does, a secret
 * that is missing, refused or malformed is skipped: *problems (caller frees, or NULL) says
 * which and why, one line each. At most VG_KUBE_SECRETS_MAX names are read. Thread-safe. */
int vg_kube_secrets_auths(struct vg_kube_secrets *s, const char *ns, const char *const *names,
                          size_t n, char **out, char **problems);
/* Merges the registries of one Secret object (JSON bytes, at most VG_KUBE_OBJECT_MAX) into the
 * auths object (the first entry for a registry wins); VG_E_PARSE names what is wrong (not
 * JSON, another type, no data, bad base64, no auths). Exposed for the fuzz harness. */
VG_NODISCARD int vg_kube_secret_merge(json_t *auths, const void *data, size_t len, const char *what,
                                      struct vg_err **err);

/* ---------------------------------------------------------------- workloads.c */

enum vg_kube_container_kind {
    VG_KUBE_CONTAINER = 0,
    VG_KUBE_INIT_CONTAINER,
    VG_KUBE_EPHEMERAL_CONTAINER,
};
const char *vg_kube_container_kind_name(enum vg_kube_container_kind k); /* "initContainer" */

/* One image a container of the workload runs (or would run: a workload without pods lists its
 * template's images, unresolved). */
struct vg_kube_image {
    char *container; /* container name */
    enum vg_kube_container_kind kind;
    char *image;  /* as the spec names it ("nginx:1.27") */
    char *digest; /* "sha256:..." from status imageID, or NULL (not running, or no repo digest) */
};

struct vg_kube_workload {
    char *kind; /* "Deployment", "CronJob", ..., "Pod" */
    char *name;
    char *namespace;
    char *uid;
    size_t pods;                         /* running pods that belong to it */
    VG_VEC(struct vg_kube_image) images; /* distinct (container, image, digest), spec order */
    char **pull_secrets;                 /* imagePullSecrets names, distinct */
    size_t npull_secrets;
};
struct vg_kube_workloads {
    VG_VEC(struct vg_kube_workload) items; /* sorted by namespace, kind, name */
    VG_VEC(char *) notes;                  /* lists that could not be read (404/403), one each */
};
/* Lists the workloads of namespace ns (NULL: every namespace) and their images: pods are
 * attributed to their top-level controller through ownerReferences (Pod -> ReplicaSet ->
 * Deployment, Pod -> Job -> CronJob, ...); a controller with no pods contributes its template.
 * Pods and ReplicaSets/Jobs are required (VG_E_AUTH when refused); a refused or absent list of
 * another kind is a note. */
VG_NODISCARD int vg_kube_workloads_list(struct vg_kube_workloads *out, struct vg_kube *k,
                                        const char *ns, struct vg_err **err);
void vg_kube_workloads_dispose(struct vg_kube_workloads *w);
/* The manifest digest in a container status' imageID ("docker-pullable://nginx@sha256:...",
 * "docker.io/library/nginx@sha256:..."), or NULL when it names none (a bare "sha256:..." image
 * ID is the config's, not the manifest's). Caller frees. */
char *vg_kube_image_id_digest(const char *image_id);

#endif
