/* SPDX-License-Identifier: Apache-2.0
 *
 * The workloads of a cluster (or one namespace) and the images they run, as `trivy k8s`
 * reports them: per top-level workload. Controllers are listed first (ReplicaSets, Jobs and the
 * kinds that own them), then every pod is attributed to its top-level controller by following
 * the controller ownerReferences (Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob), so a
 * Deployment's images carry the digests its pods' statuses report. A controller without pods
 * contributes its pod template's images, unresolved. A pod whose owner is of a kind vigil does
 * not list (an operator's custom resource) is reported under that owner.
 */
#include "kube/kube.h"

#include <stdlib.h>
#include <string.h>

#define OWNER_DEPTH 8u /* controller chain followed from a pod */

/* A controller as listed: its controller owner and pod template (borrowed from the list,
 * kept alive by a reference). */
struct ctl {
    char *uid, *kind, *name, *ns;
    char *owner_uid, *owner_kind, *owner_name;
    json_t *podspec;
    size_t pods;
};

struct walk {
    struct vg_kube_workloads *out;
    VG_VEC(struct ctl) ctls; /* sorted by uid once every controller is in */
    const char *kind;        /* of the list being read */
};

static const struct {
    const char *kind, *path; /* path after the optional /namespaces/NS */
    const char *template;    /* where the pod spec is, '.'-separated */
} KINDS[] = {
    {"Deployment", "/apis/apps/v1|deployments", "spec.template.spec"},
    {"StatefulSet", "/apis/apps/v1|statefulsets", "spec.template.spec"},
    {"DaemonSet", "/apis/apps/v1|daemonsets", "spec.template.spec"},
    {"ReplicaSet", "/apis/apps/v1|replicasets", "spec.template.spec"},
    {"ReplicationController", "/api/v1|replicationcontrollers", "spec.template.spec"},
    {"CronJob", "/apis/batch/v1|cronjobs", "spec.jobTemplate.spec.template.spec"},
    {"Job", "/apis/batch/v1|jobs", "spec.template.spec"},
};

const char *
vg_kube_container_kind_name(enum vg_kube_container_kind k)
{
    return k == VG_KUBE_INIT_CONTAINER        ? "initContainer"
           : k == VG_KUBE_EPHEMERAL_CONTAINER ? "ephemeralContainer"
                                              : "container";
}

char *
vg_kube_image_id_digest(const char *image_id)
{
    if (!image_id) {
        return NULL;
    }
    const char *at = strrchr(image_id, '@');
    if (!at || !vg_digest_valid(at + 1)) {
        return NULL;
    }
    return vg_strdup(at + 1);
}

static const json_t *
at_path(const json_t *j, const char *path)
{
    char buf[64];
    const char *p = path;
    while (j && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof(buf)) {
            return NULL;
        }
        memcpy(buf, p, n);
        buf[n] = 0;
        j = json_object_get(j, buf);
        p = dot ? dot + 1 : p + n;
    }
    return json_is_object(j) ? j : NULL;
}

/* The controller ownerReference of an object's metadata, or NULL. */
static const json_t *
controller_ref(const json_t *meta)
{
    const json_t *refs = vg_json_arr(meta, "ownerReferences");
    size_t i;
    const json_t *r;
    json_array_foreach (refs, i, r) {
        if (json_is_true(json_object_get(r, "controller")) && vg_json_str(r, "uid") &&
            vg_json_str(r, "kind") && vg_json_str(r, "name")) {
            return r;
        }
    }
    return NULL;
}

/* metadata's uid, name and namespace: VG_E_PARSE naming the item when one is missing. */
static int
meta_of(const json_t *item, const char *kind, const char **uid, const char **name, const char **ns,
        struct vg_err **err)
{
    const json_t *meta = vg_json_obj(item, "metadata");
    *uid = vg_json_str(meta, "uid");
    *name = vg_json_str(meta, "name");
    *ns = vg_json_str(meta, "namespace");
    if (!*uid || !*name || !*ns) {
        return vg_err_set(err, VG_E_PARSE, "a %s without metadata.uid, name or namespace", kind);
    }
    return 0;
}

static int
on_ctl(void *ud, const json_t *item, struct vg_err **err)
{
    struct walk *w = ud;
    const char *uid, *name, *ns;
    if (meta_of(item, w->kind, &uid, &name, &ns, err) < 0) {
        return -1;
    }
    const char *tpl = NULL;
    for (size_t i = 0; i < VG_ARRAY_LEN(KINDS); i++) {
        if (strcmp(KINDS[i].kind, w->kind) == 0) {
            tpl = KINDS[i].template;
        }
    }
    const json_t *owner = controller_ref(vg_json_obj(item, "metadata"));
    struct ctl *c = vg_vec_push_zero(&w->ctls);
    c->uid = vg_strdup(uid);
    c->kind = vg_strdup(w->kind);
    c->name = vg_strdup(name);
    c->ns = vg_strdup(ns);
    c->owner_uid = owner ? vg_strdup(vg_json_str(owner, "uid")) : NULL;
    c->owner_kind = owner ? vg_strdup(vg_json_str(owner, "kind")) : NULL;
    c->owner_name = owner ? vg_strdup(vg_json_str(owner, "name")) : NULL;
    c->podspec = tpl ? json_incref((json_t *)(uintptr_t)at_path(item, tpl)) : NULL;
    return 0;
}

static int
ctl_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ctl *)a)->uid, ((const struct ctl *)b)->uid);
}

static struct ctl *
ctl_find(struct walk *w, const char *uid)
{
    struct ctl key = {.uid = (char *)(uintptr_t)uid};
    return vg_bsearch(&key, w->ctls.v, w->ctls.n, sizeof(*w->ctls.v), ctl_cmp);
}

static struct vg_kube_workload *
workload_get(struct walk *w, const char *uid, const char *kind, const char *name, const char *ns)
{
    for (size_t i = 0; i < w->out->items.n; i++) {
        if (strcmp(w->out->items.v[i].uid, uid) == 0) {
            return &w->out->items.v[i];
        }
    }
    struct vg_kube_workload *wl = vg_vec_push_zero(&w->out->items);
    wl->uid = vg_strdup(uid);
    wl->kind = vg_strdup(kind);
    wl->name = vg_strdup(name);
    wl->namespace = vg_strdup(ns);
    return wl;
}

static void
add_image(struct vg_kube_workload *wl, const char *container, enum vg_kube_container_kind kind,
          const char *image, const char *digest)
{
    for (size_t i = 0; i < wl->images.n; i++) {
        const struct vg_kube_image *m = &wl->images.v[i];
        if (m->kind == kind && strcmp(m->container, container) == 0 &&
            strcmp(m->image, image) == 0 &&
            (m->digest && digest ? strcmp(m->digest, digest) == 0 : m->digest == digest)) {
            return;
        }
    }
    struct vg_kube_image *im = vg_vec_push_zero(&wl->images);
    im->container = vg_strdup(container);
    im->kind = kind;
    im->image = vg_strdup(image);
    im->digest = vg_strdup(digest);
}

/* The imageID the status list reports for container name, or NULL. */
static const char *
status_image_id(const json_t *status, const char *list, const char *name)
{
    size_t i;
    const json_t *s;
    json_array_foreach (vg_json_arr(status, list), i, s) {
        const char *n = vg_json_str(s, "name");
        if (n && strcmp(n, name) == 0) {
            return vg_json_str(s, "imageID");
        }
    }
    return NULL;
}

/* Adds the images of a pod spec (and the digests status reports, when given). */
static void
add_podspec(struct vg_kube_workload *wl, const json_t *spec, const json_t *status)
{
    static const struct {
        const char *spec, *status;
        enum vg_kube_container_kind kind;
    } lists[] = {
        {"initContainers", "initContainerStatuses", VG_KUBE_INIT_CONTAINER},
        {"containers", "containerStatuses", VG_KUBE_CONTAINER},
        {"ephemeralContainers", "ephemeralContainerStatuses", VG_KUBE_EPHEMERAL_CONTAINER},
    };
    for (size_t l = 0; l < VG_ARRAY_LEN(lists); l++) {
        size_t i;
        const json_t *c;
        json_array_foreach (vg_json_arr(spec, lists[l].spec), i, c) {
            const char *name = vg_json_str(c, "name");
            const char *image = vg_json_str(c, "image");
            if (!name || !image || !*image) {
                continue;
            }
            vg_autofree char *digest =
                status ? vg_kube_image_id_digest(status_image_id(status, lists[l].status, name))
                       : NULL;
            add_image(wl, name, lists[l].kind, image, digest);
        }
    }
    size_t i;
    const json_t *s;
    json_array_foreach (vg_json_arr(spec, "imagePullSecrets"), i, s) {
        const char *n = vg_json_str(s, "name");
        if (n && *n) {
            vg_strv_add_unique(&wl->pull_secrets, &wl->npull_secrets, n);
        }
    }
}

static int
on_pod(void *ud, const json_t *item, struct vg_err **err)
{
    struct walk *w = ud;
    const char *uid, *name, *ns;
    if (meta_of(item, "Pod", &uid, &name, &ns, err) < 0) {
        return -1;
    }
    const char *kind = "Pod";
    const json_t *ref = controller_ref(vg_json_obj(item, "metadata"));
    if (ref) { /* climb the controller chain: the last owner named is the top-level workload */
        uid = vg_json_str(ref, "uid");
        kind = vg_json_str(ref, "kind");
        name = vg_json_str(ref, "name");
        struct ctl *c = ctl_find(w, uid);
        for (unsigned depth = 0; c && depth < OWNER_DEPTH; depth++) {
            c->pods++;
            if (!c->owner_uid) {
                break;
            }
            uid = c->owner_uid;
            kind = c->owner_kind;
            name = c->owner_name;
            c = ctl_find(w, uid);
        }
    }
    struct vg_kube_workload *wl = workload_get(w, uid, kind, name, ns);
    wl->pods++;
    add_podspec(wl, vg_json_obj(item, "spec"), vg_json_obj(item, "status"));
    return 0;
}

/* The list path of kind i (KINDS) or pods, cluster-wide or in ns. */
static char *
list_path(const char *group_res, const char *ns)
{
    const char *bar = strchr(group_res, '|');
    if (ns) {
        return vg_fmt("%.*s/namespaces/%s/%s", (int)(bar - group_res), group_res, ns, bar + 1);
    }
    return vg_fmt("%.*s/%s", (int)(bar - group_res), group_res, bar + 1);
}

static void
note(struct vg_kube_workloads *out, const char *fmt, const char *a, const char *b)
{
    vg_vec_push(&out->notes, vg_fmt(fmt, a, b));
}

static int
wl_cmp(const void *a, const void *b)
{
    const struct vg_kube_workload *x = a, *y = b;
    int c = strcmp(x->namespace, y->namespace);
    c = c ? c : strcmp(x->kind, y->kind);
    return c ? c : strcmp(x->name, y->name);
}

static int
list_controllers(struct walk *w, struct vg_kube *k, const char *ns, struct vg_err **err)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(KINDS); i++) {
        vg_autofree char *path = list_path(KINDS[i].path, ns);
        bool found = true;
        w->kind = KINDS[i].kind;
        if (vg_kube_list(k, path, 0, on_ctl, w, &found, err) < 0) {
            if (vg_err_code(*err) != VG_E_AUTH) {
                return -1;
            }
            vg_autofree char *m = vg_err_format(*err);
            vg_err_free(err);
            note(w->out, "%s not listed (%s): their pods are reported as their owners", path, m);
        } else if (!found) {
            note(w->out, "%s: not served by this API server%s", path, "");
        }
    }
    return 0;
}

int
vg_kube_workloads_list(struct vg_kube_workloads *out, struct vg_kube *k, const char *ns,
                       struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    struct walk w = {.out = out};
    int rc = list_controllers(&w, k, ns, err);
    if (rc == 0) {
        vg_qsort(w.ctls.v, w.ctls.n, sizeof(*w.ctls.v), ctl_cmp);
        vg_autofree char *path = list_path("/api/v1|pods", ns);
        rc = vg_kube_list(k, path, 0, on_pod, &w, NULL, err);
    }
    /* controllers at the top with no pods: their templates */
    for (size_t i = 0; rc == 0 && i < w.ctls.n; i++) {
        struct ctl *c = &w.ctls.v[i];
        if (c->pods || (c->owner_uid && ctl_find(&w, c->owner_uid))) {
            continue;
        }
        /* an owner vigil does not list (a custom resource) stands for it, as for its pods */
        struct vg_kube_workload *wl =
            c->owner_uid ? workload_get(&w, c->owner_uid, c->owner_kind, c->owner_name, c->ns)
                         : workload_get(&w, c->uid, c->kind, c->name, c->ns);
        add_podspec(wl, c->podspec, NULL);
    }
    for (size_t i = 0; i < w.ctls.n; i++) {
        struct ctl *c = &w.ctls.v[i];
        free(c->uid);
        free(c->kind);
        free(c->name);
        free(c->ns);
        free(c->owner_uid);
        free(c->owner_kind);
        free(c->owner_name);
        json_decref(c->podspec);
    }
    vg_vec_dispose(&w.ctls);
    if (rc < 0) {
        vg_kube_workloads_dispose(out);
        return -1;
    }
    vg_qsort(out->items.v, out->items.n, sizeof(*out->items.v), wl_cmp);
    return 0;
}

void
vg_kube_workloads_dispose(struct vg_kube_workloads *w)
{
    for (size_t i = 0; i < w->items.n; i++) {
        struct vg_kube_workload *wl = &w->items.v[i];
        for (size_t j = 0; j < wl->images.n; j++) {
            free(wl->images.v[j].container);
            free(wl->images.v[j].image);
            free(wl->images.v[j].digest);
        }
        vg_vec_dispose(&wl->images);
        vg_strv_free(wl->pull_secrets, wl->npull_secrets);
        free(wl->kind);
        free(wl->name);
        free(wl->namespace);
        free(wl->uid);
    }
    vg_vec_dispose(&w->items);
    vg_strv_free(w->notes.v, w->notes.n);
    memset(w, 0, sizeof(*w));
}
