/* SPDX-License-Identifier: Apache-2.0
 *
 * Objects as policies see them: kind, name, namespace, labels and every image-bearing
 * container field of the embedded pod spec (shared/docs/admission.md §3), then its image
 * volumes. Also the key check the loaders share.
 */
#include "policy.h"
#include "policy_int.h"

#include "config/config.h"
#include "sign/sign.h"

#include <string.h>

static const struct {
    const char *kind;
    const char *podspec;
    const char *prefix;
} kinds[] = {
    {"Pod", "spec", "spec"},
    {"Deployment", "spec.template.spec", "spec.template.spec"},
    {"ReplicaSet", "spec.template.spec", "spec.template.spec"},
    {"StatefulSet", "spec.template.spec", "spec.template.spec"},
    {"DaemonSet", "spec.template.spec", "spec.template.spec"},
    {"Job", "spec.template.spec", "spec.template.spec"},
    {"ReplicationController", "spec.template.spec", "spec.template.spec"},
    {"CronJob", "spec.jobTemplate.spec.template.spec", "spec.jobTemplate.spec.template.spec"},
    {"PodTemplate", "template.spec", "template.spec"},
};

static const char *const fields[] = {"initContainers", "containers", "ephemeralContainers"};

/* "prefix.field[i]suffix", as vg_fmt("%s.%s[%zu]%s") spells it, without its formatting pass
 * (once per container and review in the webhook). */
static char *
item_path(const char *prefix, const char *field, size_t i, const char *suffix)
{
    char num[24];
    size_t k = sizeof(num);
    do {
        num[--k] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    size_t lp = strlen(prefix), lf = strlen(field), ln = sizeof(num) - k, ls = strlen(suffix);
    char *out = vg_malloc(vg_size_add_or_abort(lp + lf + ln + ls, 4)), *o = out;
    memcpy(o, prefix, lp);
    o += lp;
    *o++ = '.';
    memcpy(o, field, lf);
    o += lf;
    *o++ = '[';
    memcpy(o, num + k, ln);
    o += ln;
    *o++ = ']';
    memcpy(o, suffix, ls + 1);
    return out;
}

int
vg_policy_object_init(struct vg_policy_object *o, const struct vg_config_node *root,
                      struct vg_err **err)
{
    memset(o, 0, sizeof(*o));
    if (!root || vg_config_node_type(root) != VG_CONFIG_MAP) {
        return vg_err_set(err, VG_E_PARSE, "object: not a mapping");
    }
    o->root = root;
    o->api_version = vg_policy_node_str(root, "apiVersion");
    o->kind = vg_policy_node_str(root, "kind");
    if (!o->kind) {
        return vg_config_err(err, root, VG_E_PARSE, "object has no kind");
    }
    const struct vg_config_node *meta = vg_config_map_get(root, "metadata");
    o->name = vg_policy_node_str(meta, "name");
    o->namespace = vg_policy_node_str(meta, "namespace");
    if (!o->namespace) {
        o->namespace = "default";
    }
    const struct vg_config_node *labels = meta ? vg_config_map_get(meta, "labels") : NULL;
    o->labels = labels && vg_config_node_type(labels) == VG_CONFIG_MAP ? labels : NULL;
    const char *prefix = NULL;
    for (size_t i = 0; i < VG_ARRAY_LEN(kinds); i++) {
        if (strcmp(kinds[i].kind, o->kind) == 0) {
            o->podspec = vg_policy_node_path(root, kinds[i].podspec);
            prefix = kinds[i].prefix;
        }
    }
    if (!o->podspec || vg_config_node_type(o->podspec) != VG_CONFIG_MAP) {
        o->podspec = NULL;
        return 0;
    }
    for (size_t f = 0; f < VG_ARRAY_LEN(fields); f++) {
        const struct vg_config_node *seq = vg_config_map_get(o->podspec, fields[f]);
        if (!seq || vg_config_node_type(seq) != VG_CONFIG_SEQ) {
            continue;
        }
        for (size_t i = 0; i < vg_config_node_len(seq); i++) {
            const struct vg_config_node *c = vg_config_seq_at(seq, i);
            struct vg_policy_container ct = {
                .field = fields[f],
                .index = i,
                .name = vg_policy_node_str(c, "name"),
                .image = vg_policy_node_str(c, "image"),
                .path = item_path(prefix, fields[f], i, ".image"),
                .node = c,
            };
            VG_ARRAY_PUSH(o->containers, o->ncontainers, ct);
        }
    }
    /* Image volumes (Kubernetes 1.31+ ImageVolume): volumes[].image.reference is pulled like a
     * container image. Entries after the containers, field "volumes". */
    const struct vg_config_node *vols = vg_config_map_get(o->podspec, "volumes");
    for (size_t i = 0;
         vols && vg_config_node_type(vols) == VG_CONFIG_SEQ && i < vg_config_node_len(vols); i++) {
        const struct vg_config_node *v = vg_config_seq_at(vols, i);
        const struct vg_config_node *img =
            vg_config_node_type(v) == VG_CONFIG_MAP ? vg_config_map_get(v, "image") : NULL;
        if (!img || vg_config_node_is_null(img)) {
            continue; /* not an image volume */
        }
        struct vg_policy_container ct = {
            .field = "volumes",
            .index = i,
            .name = vg_policy_node_str(v, "name"),
            .image = vg_policy_node_str(img, "reference"),
            .path = item_path(prefix, "volumes", i, ".image.reference"),
            .node = v,
        };
        VG_ARRAY_PUSH(o->containers, o->ncontainers, ct);
    }
    return 0;
}

bool
vg_policy_container_is_volume(const struct vg_policy_container *ct)
{
    return strcmp(ct->field, "volumes") == 0;
}

void
vg_policy_object_image(struct vg_policy_object *o, const char *image, const char *ns)
{
    memset(o, 0, sizeof(*o));
    const char *nsv = ns ? ns : "default";
    /* A real Pod document, so that every format (Kyverno patterns included) sees an object.
     * JSON is YAML: jansson quotes the strings. */
    json_t *pod = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:[{s:s, s:s}]}}", "apiVersion", "v1",
                            "kind", "Pod", "metadata", "name", "image", "namespace", nsv, "spec",
                            "containers", "name", "image", "image", image ? image : "");
    char *text = pod ? json_dumps(pod, JSON_COMPACT) : NULL;
    json_decref(pod);
    struct vg_config_doc *doc = NULL;
    if (text && vg_config_load_buf(&doc, "<image>", text, strlen(text), NULL, NULL) == 0 &&
        vg_policy_object_init(o, vg_config_doc_root(doc, 0), NULL) == 0 && o->ncontainers == 1) {
        free(text);
        o->owned_doc = doc;
        return;
    }
    free(text);
    vg_policy_object_dispose(o);
    vg_config_doc_free(doc);
    /* Not representable as a document (e.g. invalid UTF-8): a Pod without a root; formats
     * that need the object refuse to decide it. */
    o->api_version = "v1";
    o->kind = "Pod";
    o->name = "image";
    o->namespace = nsv;
    o->owned_image = vg_strdup(image);
    struct vg_policy_container ct = {
        .field = "containers",
        .index = 0,
        .name = "image",
        .image = o->owned_image,
        .path = vg_strdup("spec.containers[0].image"),
    };
    VG_ARRAY_PUSH(o->containers, o->ncontainers, ct);
}

void
vg_policy_object_dispose(struct vg_policy_object *o)
{
    for (size_t i = 0; i < o->ncontainers; i++) {
        free(o->containers[i].path);
    }
    free(o->containers);
    free(o->owned_image);
    vg_config_doc_free(o->owned_doc);
    memset(o, 0, sizeof(*o));
}

int
vg_policy_key_check(const struct vg_config_node *n, const char *pem, size_t len,
                    struct vg_err **err)
{
    struct vg_crypto_key *k = NULL;
    struct vg_err *e = NULL;
    if (vg_sign_key_load_public_mem(&k, "inline", pem, len, &e) < 0) {
        char *why = vg_err_format(e);
        vg_err_free(&e);
        int rc = vg_config_err(err, n, VG_E_PARSE, "invalid public key: %s", why);
        free(why);
        return rc;
    }
    vg_crypto_key_free(k);
    return 0;
}
