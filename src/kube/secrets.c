/* SPDX-License-Identifier: Apache-2.0
 *
 * Registry credentials of a workload: its imagePullSecrets, read from the Kubernetes API or from
 * a directory of Secret objects, merged into one {"auths": ...} for the registry client (oci/'s
 * pull_secret_json). Secret objects are untrusted input: bounded, parsed with jansson, names
 * checked against Kubernetes' DNS-1123 grammar before they reach a path or a URL.
 */
#include "kube/kube.h"

#include <stdlib.h>
#include <string.h>

struct vg_kube_secrets {
    char *dir;         /* directory source, or NULL */
    struct vg_kube *k; /* API source */
    bool own;          /* k is ours to free */
};

void
vg_kube_secrets_free(struct vg_kube_secrets *s)
{
    if (!s) {
        return;
    }
    if (s->own) {
        vg_kube_free(s->k);
    }
    free(s->dir);
    free(s);
}

int
vg_kube_secrets_new(struct vg_kube_secrets **out, const struct vg_kube_secrets_opts *o,
                    struct vg_err **err)
{
    *out = NULL;
    struct vg_kube_secrets *s = vg_calloc(1, sizeof(*s));
    if (o->dir) {
        s->dir = vg_strdup(o->dir);
    } else if (vg_kube_new(&s->k, &o->api, err) < 0) {
        free(s);
        return -1;
    } else {
        s->own = true;
    }
    *out = s;
    return 0;
}

struct vg_kube_secrets *
vg_kube_secrets_over(struct vg_kube *k)
{
    struct vg_kube_secrets *s = vg_calloc(1, sizeof(*s));
    s->k = k;
    return s;
}

/* The Secret object ns/name as JSON (owned), from the directory or the API. */
static int
fetch_secret(struct vg_kube_secrets *s, const char *ns, const char *name, json_t **out,
             struct vg_err **err)
{
    vg_autofree char *what = vg_fmt("Secret %s/%s", ns, name);
    if (s->dir) {
        vg_autofree char *path = vg_fmt("%s/%s/%s.json", s->dir, ns, name);
        struct vg_buf b = VG_BUF_INIT(VG_KUBE_OBJECT_MAX);
        struct vg_err *e = NULL;
        int rc = vg_file_read(&b, path, VG_KUBE_OBJECT_MAX, &e);
        if (rc < 0 && vg_err_code(e) == VG_E_NOTFOUND) {
            vg_err_free(&e);
            rc = vg_err_set(err, VG_E_NOTFOUND, "%s: not found", what);
        } else if (rc < 0) {
            *err = e;
        }
        if (rc == 0) {
            rc = vg_json_parse(out, b.data, b.len, VG_KUBE_OBJECT_MAX, what, err);
        }
        vg_buf_dispose(&b);
        return rc;
    }
    vg_autofree char *path = vg_fmt("/api/v1/namespaces/%s/secrets/%s", ns, name);
    int rc = vg_kube_get(s->k, path, VG_KUBE_OBJECT_MAX, what, out, err);
    if (rc < 0 && vg_err_code(*err) == VG_E_AUTH) {
        return vg_err_wrap(err, "the identity vigil uses needs get on secrets");
    }
    return rc;
}

/* Adds the registries of one Secret to auths (the first secret naming a registry wins). */
static int
merge_secret(json_t *auths, const json_t *secret, const char *what, struct vg_err **err)
{
    const char *type = vg_json_str(secret, "type");
    const json_t *data = vg_json_obj(secret, "data");
    const char *key = NULL;
    bool legacy = false;
    if (type && strcmp(type, "kubernetes.io/dockerconfigjson") == 0) {
        key = ".dockerconfigjson";
    } else if (type && strcmp(type, "kubernetes.io/dockercfg") == 0) {
        key = ".dockercfg";
        legacy = true;
    } else {
        vg_autofree char *t = type ? vg_escape(type, strlen(type), 80) : NULL;
        return vg_err_set(err, VG_E_PARSE,
                          "%s: type %s is not kubernetes.io/dockerconfigjson or dockercfg", what,
                          t ? t : "unset");
    }
    const char *b64 = data ? vg_json_str(data, key) : NULL;
    if (!b64) {
        return vg_err_set(err, VG_E_PARSE, "%s: no data.%s", what, key);
    }
    uint8_t *raw = NULL;
    size_t n = 0;
    json_t *cfg = NULL;
    if (vg_base64_decode(&raw, &n, b64, strlen(b64), true, err) < 0 ||
        vg_json_parse(&cfg, raw, n, VG_KUBE_OBJECT_MAX, what, err) < 0) {
        if (raw) {
            explicit_bzero(raw, n);
        }
        free(raw);
        return vg_err_wrap(err, "%s: data.%s", what, key);
    }
    explicit_bzero(raw, n);
    free(raw);
    /* .dockercfg is the "auths" map itself */
    json_t *entries = legacy ? cfg : json_object_get(cfg, "auths");
    int rc = 0;
    if (!json_is_object(entries)) {
        rc = vg_err_set(err, VG_E_PARSE, "%s: data.%s has no auths object", what, key);
    } else {
        const char *reg;
        json_t *v;
        json_object_foreach (entries, reg, v) {
            if (!json_object_get(auths, reg) && json_is_object(v)) {
                json_object_set(auths, reg, v);
            }
        }
    }
    json_decref(cfg);
    return rc;
}

int
vg_kube_secret_merge(json_t *auths, const void *data, size_t len, const char *what,
                     struct vg_err **err)
{
    json_t *secret = NULL;
    if (vg_json_parse(&secret, data, len, VG_KUBE_OBJECT_MAX, what, err) < 0) {
        return -1;
    }
    int rc = merge_secret(auths, secret, what, err);
    json_decref(secret);
    return rc;
}

int
vg_kube_secrets_auths(struct vg_kube_secrets *s, const char *ns, const char *const *names, size_t n,
                      char **out, char **problems)
{
    *out = NULL;
    *problems = NULL;
    struct vg_buf pb = VG_BUF_INIT(8192);
    json_t *auths = json_object();
    struct vg_err *err = NULL;
    for (size_t i = 0; i < n && i < VG_KUBE_SECRETS_MAX; i++) {
        json_t *secret = NULL;
        if (!vg_kube_name_ok(ns, false) || !vg_kube_name_ok(names[i], true)) {
            vg_autofree char *e = vg_escape(names[i], strlen(names[i]), 80);
            vg_autofree char *en = vg_escape(ns, strlen(ns), 63);
            vg_err_set(&err, VG_E_PARSE,
                       "imagePullSecrets: '%s' in namespace '%s' is not a valid Secret name", e,
                       en);
        } else if (fetch_secret(s, ns, names[i], &secret, &err) == 0) {
            vg_autofree char *what = vg_fmt("Secret %s/%s", ns, names[i]);
            (void)merge_secret(auths, secret, what, &err);
            json_decref(secret);
        }
        if (err) { /* as the kubelet: a missing or broken secret is skipped, the others used */
            char *m = vg_err_format(err);
            vg_err_free(&err);
            struct vg_err *e2 = NULL;
            if (vg_buf_appendf(&pb, &e2, "%s%s", pb.len ? "\n" : "", m) < 0) {
                vg_err_free(&e2);
            }
            free(m);
        }
    }
    if (json_object_size(auths)) {
        json_t *doc = json_pack("{s:o}", "auths", auths);
        *out = vg_json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
    } else {
        json_decref(auths);
    }
    if (pb.len) {
        *problems = vg_strdup(vg_buf_cstr(&pb));
    }
    vg_buf_dispose(&pb);
    return *out ? 1 : 0;
}
