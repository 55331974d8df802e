/* SPDX-License-Identifier: Apache-2.0
 *
 * The Kubernetes objects that install the webhook (`vigil admit manifests`, docs/admit.md
 * "Installing"): Namespace, ServiceAccount, the RBAC to get Secrets (imagePullSecrets), the
 * policy ConfigMap, the serving certificate Secret, the Deployment, Service and
 * PodDisruptionBudget, and the Validating/MutatingWebhookConfiguration whose caBundle verifies
 * that certificate. With a webhook URL, only the two webhook configurations (clientConfig.url),
 * for a webhook running outside the cluster. Pure: the certificates come from the caller.
 */
#include "admit.h"

#include <stdlib.h>
#include <string.h>

#define MF_PORT         8443
#define MF_UID          65532
#define MF_CONFIG_MAX   (1000u * 1000u) /* ConfigMap data (etcd stores objects up to 1.5 MiB) */
#define MF_LABEL_MAX    63u
#define MF_POLICY_DIR   "/etc/vigil/policies"
#define MF_TLS_DIR      "/etc/vigil/tls"
#define MF_DEFAULT_NAME "vigil-admit"

static json_t *
labels(const struct vg_admit_manifests_opts *o)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "app.kubernetes.io/name", "vigil-admit",
                     "app.kubernetes.io/instance", o->name, "app.kubernetes.io/component",
                     "admission-webhook", "app.kubernetes.io/part-of", "vigil");
}

static json_t *
selector_labels(const struct vg_admit_manifests_opts *o)
{
    return json_pack("{s:s, s:s}", "app.kubernetes.io/name", "vigil-admit",
                     "app.kubernetes.io/instance", o->name);
}

/* metadata of a namespaced (ns set) or cluster-scoped object */
static json_t *
meta(const struct vg_admit_manifests_opts *o, const char *name, const char *ns)
{
    json_t *m = json_pack("{s:s}", "name", name);
    if (ns) {
        vg_json_set_str(m, "namespace", ns);
    }
    vg_json_set_take(m, "labels", labels(o));
    return m;
}

static json_t *
object(const char *api, const char *kind, json_t *metadata)
{
    return json_pack("{s:s, s:s, s:o}", "apiVersion", api, "kind", kind, "metadata", metadata);
}

static json_t *
b64(const char *s, size_t n)
{
    vg_autofree char *e = vg_base64_encode(s, n);
    return json_string(e);
}

static json_t *
rule(const char *group, const char *version, const char *const *resources)
{
    json_t *res = json_array();
    for (size_t i = 0; resources[i]; i++) {
        vg_json_append_take(res, json_string(resources[i]));
    }
    return json_pack("{s:[s,s], s:[s], s:[s], s:o, s:s}", "operations", "CREATE", "UPDATE",
                     "apiGroups", group, "apiVersions", version, "resources", res, "scope",
                     "Namespaced");
}

static json_t *
webhook(const struct vg_admit_manifests_opts *o, bool mutating)
{
    static const char *const core[] = {"pods", "pods/ephemeralcontainers", "replicationcontrollers",
                                       "podtemplates", NULL};
    static const char *const apps[] = {"deployments", "replicasets", "statefulsets", "daemonsets",
                                       NULL};
    static const char *const batch[] = {"jobs", "cronjobs", NULL};
    const char *path = mutating ? "mutate" : "validate";
    json_t *client;
    if (o->webhook_url) {
        size_t n = strlen(o->webhook_url);
        while (n > 0 && o->webhook_url[n - 1] == '/') {
            n--;
        }
        vg_autofree char *url = vg_fmt("%.*s/%s", (int)n, o->webhook_url, path);
        client = json_pack("{s:s}", "url", url);
    } else {
        vg_autofree char *p = vg_fmt("/%s", path);
        client = json_pack("{s:{s:s, s:s, s:s, s:i}}", "service", "namespace", o->namespace, "name",
                           o->name, "path", p, "port", 443);
    }
    vg_json_set_take(client, "caBundle", b64(o->ca_pem, strlen(o->ca_pem)));
    json_t *excluded = json_array();
    if (o->namespace) {
        vg_json_append_take(excluded, json_string(o->namespace));
    }
    if (!o->namespace || strcmp(o->namespace, "kube-system") != 0) {
        vg_json_append_take(excluded, json_string("kube-system"));
    }
    vg_autofree char *name = vg_fmt("%s.%s.vigil.dev", path, o->name);
    json_t *w = json_pack(
        "{s:s, s:o, s:[o,o,o], s:s, s:{s:[{s:s, s:s, s:o}]}, s:s, s:s, s:i, s:[s,s]}", "name", name,
        "clientConfig", client, "rules", rule("", "v1", core), rule("apps", "v1", apps),
        rule("batch", "v1", batch), "matchPolicy", "Equivalent", "namespaceSelector",
        "matchExpressions", "key", "kubernetes.io/metadata.name", "operator", "NotIn", "values",
        excluded, "failurePolicy", o->failure_policy, "sideEffects", "None", "timeoutSeconds",
        (int)o->timeout_s, "admissionReviewVersions", "v1", "v1beta1");
    if (mutating) {
        /* a later mutating webhook may change an image: pin it again */
        vg_json_set_str(w, "reinvocationPolicy", "IfNeeded");
    }
    return w;
}

static json_t *
webhook_config(const struct vg_admit_manifests_opts *o, bool mutating)
{
    json_t *obj =
        object("admissionregistration.k8s.io/v1",
               mutating ? "MutatingWebhookConfiguration" : "ValidatingWebhookConfiguration",
               meta(o, o->name, NULL));
    vg_json_set_take(obj, "webhooks", json_pack("[o]", webhook(o, mutating)));
    return obj;
}

static json_t *
probe(const char *path, int period, int failures)
{
    return json_pack("{s:{s:s, s:s, s:s}, s:i, s:i, s:i}", "httpGet", "path", path, "port", "https",
                     "scheme", "HTTPS", "periodSeconds", period, "timeoutSeconds", 2,
                     "failureThreshold", failures);
}

/* A digest of what the pods read from the ConfigMap and Secret, as a pod-template annotation:
 * applying changed policies or a new certificate rolls the pods. */
static json_t *
config_digest(const struct vg_admit_manifests_opts *o)
{
    struct vg_hasher *h = vg_hasher_new(VG_DIGEST_SHA256);
    for (size_t i = 0; i < o->npolicies; i++) {
        vg_hasher_update(h, o->policies[i].name, strlen(o->policies[i].name) + 1);
        vg_hasher_update(h, o->policies[i].data, o->policies[i].len);
    }
    vg_hasher_update(h, o->tls_cert_pem, strlen(o->tls_cert_pem));
    struct vg_digest d;
    vg_hasher_final(h, &d);
    vg_hasher_free(h);
    return json_string(d.text);
}

static json_t *
container(const struct vg_admit_manifests_opts *o)
{
    json_t *args = json_pack("[s, s, s, s, s, s]", "admit", "serve", "--addr=:8443",
                             "--tls-cert=" MF_TLS_DIR "/tls.crt",
                             "--tls-key=" MF_TLS_DIR "/tls.key", "--in-cluster");
    for (size_t i = 0; i < o->npolicies; i++) {
        vg_autofree char *a = vg_fmt("--policy=" MF_POLICY_DIR "/%s", o->policies[i].name);
        vg_json_append_take(args, json_string(a));
    }
    return json_pack("{s:s, s:s, s:s, s:[s], s:o, s:[{s:s, s:i, s:s}], s:[{s:s, s:s}], s:o, s:o,"
                     " s:{s:{s:s, s:s}, s:{s:s}}, s:{s:b, s:b, s:b, s:i, s:i, s:{s:[s]}},"
                     " s:[{s:s, s:s, s:b}, {s:s, s:s, s:b}, {s:s, s:s}]}",
                     "name", "webhook", "image", o->image, "imagePullPolicy", "IfNotPresent",
                     "command", "vigil", "args", args, "ports", "name", "https", "containerPort",
                     MF_PORT, "protocol", "TCP", "env", "name", "HOME", "value", "/tmp",
                     "readinessProbe", probe("/readyz", 5, 3), "livenessProbe",
                     probe("/healthz", 10, 6), "resources", "requests", "cpu", "100m", "memory",
                     "64Mi", "limits", "memory", "256Mi", "securityContext", "runAsNonRoot", 1,
                     "readOnlyRootFilesystem", 1, "allowPrivilegeEscalation", 0, "runAsUser",
                     MF_UID, "runAsGroup", MF_UID, "capabilities", "drop", "ALL", "volumeMounts",
                     "name", "policies", "mountPath", MF_POLICY_DIR, "readOnly", 1, "name", "tls",
                     "mountPath", MF_TLS_DIR, "readOnly", 1, "name", "tmp", "mountPath", "/tmp");
}

static json_t *
deployment(const struct vg_admit_manifests_opts *o, const char *cm, const char *secret)
{
    json_t *pod = json_pack(
        "{s:s, s:b, s:{s:b, s:i, s:i, s:i, s:{s:s}}, s:[o],"
        " s:[{s:s, s:{s:s, s:i}}, {s:s, s:{s:s, s:i}}, {s:s, s:{s:s}}],"
        " s:{s:{s:[{s:i, s:{s:s, s:{s:o}}}]}}}",
        "serviceAccountName", o->name, "automountServiceAccountToken", 1, "securityContext",
        "runAsNonRoot", 1, "runAsUser", MF_UID, "runAsGroup", MF_UID, "fsGroup", MF_UID,
        "seccompProfile", "type", "RuntimeDefault", "containers", container(o), "volumes", "name",
        "policies", "configMap", "name", cm, "defaultMode", 0444, "name", "tls", "secret",
        "secretName", secret, "defaultMode", 0440, "name", "tmp", "emptyDir", "medium", "Memory",
        "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution", "weight",
        100, "podAffinityTerm", "topologyKey", "kubernetes.io/hostname", "labelSelector",
        "matchLabels", selector_labels(o));
    json_t *d = object("apps/v1", "Deployment", meta(o, o->name, o->namespace));
    vg_json_set_take(d, "spec",
                     json_pack("{s:i, s:{s:o}, s:{s:{s:o, s:{s:o}}, s:o}}", "replicas",
                               (int)o->replicas, "selector", "matchLabels", selector_labels(o),
                               "template", "metadata", "labels", labels(o), "annotations",
                               "vigil.dev/config-sha256", config_digest(o), "spec", pod));
    return d;
}

int
vg_admit_manifests_check(const struct vg_admit_manifests_opts *opts, struct vg_err **err)
{
    struct vg_admit_manifests_opts d = *opts;
    d.name = d.name ? d.name : MF_DEFAULT_NAME;
    d.failure_policy = d.failure_policy ? d.failure_policy : "Fail";
    const struct vg_admit_manifests_opts *o = &d;
    const char *ns = o->namespace;
    if (ns && (!vg_kube_name_ok(ns, false) || strlen(ns) > MF_LABEL_MAX)) {
        vg_autofree char *e = vg_escape(ns, strlen(ns), 80);
        return vg_err_set(err, VG_E_USAGE, "namespace '%s' is not a DNS-1123 label", e);
    }
    if (!vg_kube_name_ok(o->name, false) || strlen(o->name) > MF_LABEL_MAX) {
        vg_autofree char *e = vg_escape(o->name, strlen(o->name), 80);
        return vg_err_set(err, VG_E_USAGE, "name '%s' is not a DNS-1123 label", e);
    }
    if (o->timeout_s < 1 || o->timeout_s > 30) {
        return vg_err_set(err, VG_E_USAGE, "timeoutSeconds must be 1 to 30");
    }
    if (strcmp(o->failure_policy, "Fail") != 0 && strcmp(o->failure_policy, "Ignore") != 0) {
        return vg_err_set(err, VG_E_USAGE, "failurePolicy must be Fail or Ignore");
    }
    if (o->webhook_url) {
        const char *u = o->webhook_url;
        if (strncmp(u, "https://", 8) != 0 || !u[8] || u[8] == '/' || strpbrk(u, "?#@ ")) {
            vg_autofree char *e = vg_escape(u, strlen(u), 200);
            return vg_err_set(err, VG_E_USAGE,
                              "webhook URL '%s': the apiserver needs https://HOST[:PORT][/PATH] "
                              "without user, query or fragment",
                              e);
        }
        return 0;
    }
    if (!ns || !o->image || !*o->image || o->replicas < 1) {
        return vg_err_set(err, VG_E_USAGE, "manifests: namespace, image and replicas are needed");
    }
    if (o->npolicies == 0) {
        return vg_err_set(err, VG_E_USAGE, "manifests: at least one policy file is needed");
    }
    size_t total = 0;
    for (size_t i = 0; i < o->npolicies; i++) {
        const char *k = o->policies[i].name;
        bool ok = *k && strcmp(k, ".") != 0 && strcmp(k, "..") != 0 && strlen(k) <= 253;
        for (const char *c = k; ok && *c; c++) {
            ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                 *c == '-' || *c == '_' || *c == '.';
        }
        if (!ok) {
            vg_autofree char *e = vg_escape(k, strlen(k), 80);
            return vg_err_set(err, VG_E_USAGE,
                              "policy file name '%s' cannot be a ConfigMap key "
                              "(letters, digits, '-', '_', '.')",
                              e);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(o->policies[j].name, k) == 0) {
                return vg_err_set(err, VG_E_USAGE,
                                  "two policy files are named '%s': the ConfigMap holds one", k);
            }
        }
        total += o->policies[i].len;
    }
    if (total > MF_CONFIG_MAX) {
        return vg_err_set(err, VG_E_LIMIT,
                          "policy files: %zu bytes, more than a ConfigMap holds (%u)", total,
                          MF_CONFIG_MAX);
    }
    return 0;
}

static int
install_objects(json_t **out, const struct vg_admit_manifests_opts *o, struct vg_err **err)
{
    const char *ns = o->namespace;
    vg_autofree char *cm = vg_fmt("%s-policies", o->name);
    vg_autofree char *secret = vg_fmt("%s-tls", o->name);
    vg_autofree char *role = vg_fmt("%s-pull-secrets", o->name);
    json_t *all = json_array();

    json_t *nsobj = object("v1", "Namespace", meta(o, ns, NULL));
    /* the webhook's pods meet the restricted Pod Security Standard */
    json_object_set_new(json_object_get(json_object_get(nsobj, "metadata"), "labels"),
                        "pod-security.kubernetes.io/enforce", json_string("restricted"));
    vg_json_append_take(all, nsobj);
    vg_json_append_take(all, object("v1", "ServiceAccount", meta(o, o->name, ns)));

    json_t *cr = object("rbac.authorization.k8s.io/v1", "ClusterRole", meta(o, role, NULL));
    /* get by name only (the pods' imagePullSecrets): no list, no watch */
    vg_json_set_take(cr, "rules",
                     json_pack("[{s:[s], s:[s], s:[s]}]", "apiGroups", "", "resources", "secrets",
                               "verbs", "get"));
    vg_json_append_take(all, cr);
    json_t *crb = object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", meta(o, role, NULL));
    vg_json_set_take(crb, "roleRef",
                     json_pack("{s:s, s:s, s:s}", "apiGroup", "rbac.authorization.k8s.io", "kind",
                               "ClusterRole", "name", role));
    vg_json_set_take(
        crb, "subjects",
        json_pack("[{s:s, s:s, s:s}]", "kind", "ServiceAccount", "name", o->name, "namespace", ns));
    vg_json_append_take(all, crb);

    json_t *data = json_object();
    for (size_t i = 0; i < o->npolicies; i++) {
        json_t *text = json_stringn(o->policies[i].data, o->policies[i].len);
        if (!text) {
            json_decref(data);
            json_decref(all);
            vg_autofree char *e = vg_escape(o->policies[i].name, strlen(o->policies[i].name), 80);
            return vg_err_set(err, VG_E_PARSE, "policy file %s: not UTF-8 text", e);
        }
        vg_json_set_take(data, o->policies[i].name, text);
    }
    json_t *cmobj = object("v1", "ConfigMap", meta(o, cm, ns));
    vg_json_set_take(cmobj, "data", data);
    vg_json_append_take(all, cmobj);

    json_t *sec = object("v1", "Secret", meta(o, secret, ns));
    vg_json_set_take(sec, "type", json_string("kubernetes.io/tls"));
    vg_json_set_take(sec, "data",
                     json_pack("{s:o, s:o, s:o}", "tls.crt",
                               b64(o->tls_cert_pem, strlen(o->tls_cert_pem)), "tls.key",
                               b64(o->tls_key_pem, strlen(o->tls_key_pem)), "ca.crt",
                               b64(o->ca_pem, strlen(o->ca_pem))));
    vg_json_append_take(all, sec);

    vg_json_append_take(all, deployment(o, cm, secret));

    json_t *svc = object("v1", "Service", meta(o, o->name, ns));
    vg_json_set_take(svc, "spec",
                     json_pack("{s:s, s:o, s:[{s:s, s:i, s:s, s:s}]}", "type", "ClusterIP",
                               "selector", selector_labels(o), "ports", "name", "https", "port",
                               443, "targetPort", "https", "protocol", "TCP"));
    vg_json_append_take(all, svc);

    json_t *pdb = object("policy/v1", "PodDisruptionBudget", meta(o, o->name, ns));
    /* one pod at a time: a drain never takes the last webhook pod (failurePolicy Fail would
     * then refuse every pod of the cluster) */
    vg_json_set_take(pdb, "spec",
                     json_pack("{s:i, s:{s:o}}", "maxUnavailable", 1, "selector", "matchLabels",
                               selector_labels(o)));
    vg_json_append_take(all, pdb);
    *out = all;
    return 0;
}

int
vg_admit_manifests(json_t **out, const struct vg_admit_manifests_opts *opts, struct vg_err **err)
{
    struct vg_admit_manifests_opts o = *opts;
    if (!o.name) {
        o.name = MF_DEFAULT_NAME;
    }
    if (!o.failure_policy) {
        o.failure_policy = "Fail";
    }
    if (!o.ca_pem || !*o.ca_pem || (!o.webhook_url && (!o.tls_cert_pem || !o.tls_key_pem))) {
        return vg_err_set(err, VG_E_USAGE, "manifests: the CA bundle and serving pair are needed");
    }
    int rc = vg_admit_manifests_check(&o, err);
    if (rc < 0) {
        return rc;
    }
    json_t *all = NULL;
    if (o.webhook_url) {
        all = json_array();
    } else if ((rc = install_objects(&all, &o, err)) < 0) {
        return rc;
    }
    vg_json_append_take(all, webhook_config(&o, false));
    vg_json_append_take(all, webhook_config(&o, true));
    *out = all;
    return 0;
}
