/* SPDX-License-Identifier: Apache-2.0
 *
 * AdmissionReview v1 / v1beta1: parsing (bounded) and the response in the version asked.
 */
#include "admit/admit.h"

#include "config/config.h"

#include <stdarg.h>
#include <string.h>

#define WARNING_MAX 256u /* runes the apiserver keeps per warning once they pile up */
#define MESSAGE_MAX 400u /* bytes of one input-derived string quoted in a message */

const char *
vg_admit_version_name(enum vg_admit_version v)
{
    return v == VG_ADMIT_V1BETA1 ? "admission.k8s.io/v1beta1" : "admission.k8s.io/v1";
}

/* Nesting depth and the number of values (VG_ADMIT_VALUES_MAX, before jansson builds them)
 * outside strings, and "\u0000" inside them (a NUL would cut the C strings the policy engine
 * sees short of what the kubelet would pull). */
static int
prescan(const char *p, size_t n, struct vg_err **err)
{
    size_t depth = 0, values = 0; /* a container, its first value, one more per comma */
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\') {
                if (i + 5 < n && memcmp(p + i + 1, "u0000", 5) == 0) {
                    return vg_err_set(err, VG_E_PARSE,
                                      "AdmissionReview: NUL character in a string at byte %zu", i);
                }
                i++;
            } else if (c == '"') {
                in_str = false;
            }
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == ',' || c == '{' || c == '[') {
            values += c == ',' ? 1 : 2;
            if (values > VG_ADMIT_VALUES_MAX) {
                return vg_err_set(err, VG_E_LIMIT,
                                  "AdmissionReview: more than %u JSON values at byte %zu",
                                  VG_ADMIT_VALUES_MAX, i);
            }
            if (c != ',' && ++depth > VG_ADMIT_DEPTH_MAX) {
                return vg_err_set(err, VG_E_PARSE,
                                  "AdmissionReview: nested deeper than %u levels at byte %zu",
                                  VG_ADMIT_DEPTH_MAX, i);
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

static char *
dup_str(const json_t *obj, const char *key, const char *def)
{
    const char *s = vg_json_str(obj, key);
    return s ? vg_strdup(s) : def ? vg_strdup(def) : NULL;
}

static const char *const checked_kinds[] = {
    "Pod",         "Deployment", "ReplicaSet", "StatefulSet",
    "DaemonSet",   "Job",        "CronJob",    "ReplicationController",
    "PodTemplate",
};

static bool
kind_checked(const char *kind)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(checked_kinds); i++) {
        if (strcmp(kind, checked_kinds[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void set_invalid(struct vg_admit_review *rv, const char *fmt, ...) VG_PRINTF(2, 3);
static void
set_invalid(struct vg_admit_review *rv, const char *fmt, ...)
{
    if (rv->invalid) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    rv->invalid = vg_vfmt(fmt, ap);
    va_end(ap);
}

/* Images the engine cannot take are denied here with the field named. */
static void
check_images(struct vg_admit_review *rv)
{
    for (size_t i = 0; i < rv->obj.ncontainers; i++) {
        const struct vg_policy_container *c = &rv->obj.containers[i];
        if (!c->image) {
            set_invalid(rv, "%s: no image (or not a string)", c->path);
        } else if (strlen(c->image) > VG_POLICY_IMAGE_MAX) {
            set_invalid(rv, "%s: image of %zu bytes is over the limit of %u", c->path,
                        strlen(c->image), VG_POLICY_IMAGE_MAX);
        }
    }
}

static struct vg_config_limits
object_limits(void)
{
    struct vg_config_limits lim = VG_CONFIG_LIMITS_INIT;
    lim.max_bytes = VG_ADMIT_BODY_MAX;
    lim.max_depth = VG_ADMIT_DEPTH_MAX;
    lim.max_nodes = VG_ADMIT_VALUES_MAX;
    lim.max_text_nodes = VG_ADMIT_VALUES_MAX; /* the whole review's (vg_config_parse_json) */
    return lim;
}

/* request.object's node loaded into rv->obj. */
static void
init_object(struct vg_admit_review *rv, const struct vg_config_node *root)
{
    struct vg_err *err = NULL;
    if (vg_policy_object_init(&rv->obj, root, &err) < 0) {
        char *m = vg_err_format(err);
        set_invalid(rv, "request.object: %s", m);
        free(m);
        vg_err_free(&err);
        return;
    }
    rv->has_object = true;
    check_images(rv);
}

static void
load_object(struct vg_admit_review *rv, const json_t *object)
{
    if (!object || json_is_null(object)) {
        return;
    }
    if (!json_is_object(object)) {
        set_invalid(rv, "request.object is a %s, not an object",
                    json_is_string(object)  ? "string"
                    : json_is_array(object) ? "list"
                                            : "scalar");
        return;
    }
    struct vg_config_limits lim = object_limits();
    struct vg_err *err = NULL;
    /* the nodes of the object's compact JSON text, built from the parsed body */
    if (vg_config_load_json(&rv->doc, "request.object", object, &lim, &err) < 0) {
        char *m = vg_err_format(err);
        set_invalid(rv, "request.object: %s", m);
        free(m);
        vg_err_free(&err);
        return;
    }
    init_object(rv, vg_config_doc_root(rv->doc, 0));
}

/* ---------------------------------------------------------------- one parse (the fast path) */

static const struct vg_config_node *
member(const struct vg_config_node *map, const char *key)
{
    return map && vg_config_node_type(map) == VG_CONFIG_MAP ? vg_config_map_get(map, key) : NULL;
}

/* A JSON string member (as vg_json_str), else NULL. */
static const char *
member_str(const struct vg_config_node *map, const char *key)
{
    const struct vg_config_node *v = member(map, key);
    return v && vg_config_node_type(v) == VG_CONFIG_SCALAR && !vg_config_node_plain(v)
               ? vg_config_node_scalar(v, NULL)
               : NULL;
}

static char *
dup_member(const struct vg_config_node *map, const char *key, const char *def)
{
    const char *s = member_str(map, key);
    return s ? vg_strdup(s) : def ? vg_strdup(def) : NULL;
}

static bool
is_map(const struct vg_config_node *n)
{
    return n && vg_config_node_type(n) == VG_CONFIG_MAP;
}

static void fill_request(struct vg_admit_review *rv, const json_t *req,
                         const struct vg_config_node *nreq);

/* The body parsed once, straight into nodes (vg_config_parse_json: request.object positioned
 * and limited as load_object does it). false when that parser leaves the body to jansson, or
 * when the body is not a well-formed AdmissionReview or nested deeper than prescan allows
 * (prescan and jansson's path word the error). A body it takes passes prescan: the parser
 * refuses "\u0000", and the depth is checked here. */
static bool
parse_once(struct vg_admit_review *rv, const void *body, size_t len)
{
    static const char *const at[] = {"request", "object", NULL};
    struct vg_config_limits lim = object_limits();
    struct vg_config_doc *doc = NULL;
    size_t depth = 0;
    if (vg_config_parse_json(&doc, "request.object", body, len, at, &lim, &depth) < 0) {
        return false;
    }
    if (depth > VG_ADMIT_DEPTH_MAX) {
        vg_config_doc_free(doc);
        return false;
    }
    const struct vg_config_node *root = vg_config_doc_root(doc, 0);
    const char *av = member_str(root, "apiVersion");
    const char *kind = member_str(root, "kind");
    const struct vg_config_node *req = member(root, "request");
    if (!av ||
        (strcmp(av, "admission.k8s.io/v1") != 0 && strcmp(av, "admission.k8s.io/v1beta1") != 0) ||
        !kind || strcmp(kind, "AdmissionReview") != 0 || !is_map(req)) {
        vg_config_doc_free(doc);
        return false;
    }
    rv->version = strcmp(av, "admission.k8s.io/v1beta1") == 0 ? VG_ADMIT_V1BETA1 : VG_ADMIT_V1;
    rv->doc = doc;
    fill_request(rv, NULL, req);
    return true;
}

/* request.object as a node (the fast path): what load_object decides from the jansson value. */
static void
node_object(struct vg_admit_review *rv, const struct vg_config_node *o)
{
    if (!o || vg_config_node_is_null(o)) {
        return;
    }
    if (!is_map(o)) {
        set_invalid(rv, "request.object is a %s, not an object",
                    vg_config_node_type(o) == VG_CONFIG_SEQ ? "list"
                    : vg_config_node_plain(o)               ? "scalar"
                                                            : "string");
        return;
    }
    init_object(rv, o);
}

int
vg_admit_review_parse(struct vg_admit_review *rv, const void *body, size_t len, struct vg_err **err)
{
    return vg_admit_review_parse2(rv, body, len, true, err);
}

int
vg_admit_review_parse2(struct vg_admit_review *rv, const void *body, size_t len, bool once,
                       struct vg_err **err)
{
    memset(rv, 0, sizeof(*rv));
    if (len > VG_ADMIT_BODY_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "AdmissionReview: %zu bytes is over the limit of %u",
                          len, VG_ADMIT_BODY_MAX);
    }
    if (once && parse_once(rv, body, len)) {
        return 0;
    }
    if (prescan(body, len, err) < 0) {
        return -1;
    }
    json_t *j = NULL;
    if (vg_json_parse(&j, body, len, VG_ADMIT_BODY_MAX, "AdmissionReview", err) < 0) {
        return -1;
    }
    int rc = 0;
    const char *av = vg_json_str(j, "apiVersion");
    const char *kind = vg_json_str(j, "kind");
    json_t *req = vg_json_obj(j, "request");
    if (!json_is_object(j)) {
        rc = vg_err_set(err, VG_E_PARSE, "AdmissionReview: the body is not a JSON object");
    } else if (!av || (strcmp(av, "admission.k8s.io/v1") != 0 &&
                       strcmp(av, "admission.k8s.io/v1beta1") != 0)) {
        vg_autofree char *e = av ? vg_escape(av, strlen(av), 80) : NULL;
        rc = vg_err_set(err, VG_E_PARSE,
                        "AdmissionReview: apiVersion %s%s%s is not admission.k8s.io/v1 or v1beta1",
                        e ? "'" : "", e ? e : "missing", e ? "'" : "");
    } else if (!kind || strcmp(kind, "AdmissionReview") != 0) {
        rc = vg_err_set(err, VG_E_PARSE, "AdmissionReview: kind is not AdmissionReview");
    } else if (!req) {
        rc = vg_err_set(err, VG_E_PARSE, "AdmissionReview: no request object");
    }
    if (rc < 0) {
        json_decref(j);
        return rc;
    }
    rv->version = strcmp(av, "admission.k8s.io/v1beta1") == 0 ? VG_ADMIT_V1BETA1 : VG_ADMIT_V1;
    fill_request(rv, req, NULL);
    json_decref(j);
    return 0;
}

/* rv's request fields from the jansson value req, or (the fast path) from the node nreq. */
static void
fill_request(struct vg_admit_review *rv, const json_t *req, const struct vg_config_node *nreq)
{
    const json_t *gvk = req ? vg_json_obj(req, "kind") : NULL;
    const struct vg_config_node *ngvk = member(nreq, "kind");
    ngvk = is_map(ngvk) ? ngvk : NULL;
    rv->uid = req ? dup_str(req, "uid", "") : dup_member(nreq, "uid", "");
    rv->kind = req ? dup_str(gvk, "kind", "") : dup_member(ngvk, "kind", "");
    rv->group = req ? dup_str(gvk, "group", "") : dup_member(ngvk, "group", "");
    rv->subresource =
        req ? dup_str(req, "subResource", NULL) : dup_member(nreq, "subResource", NULL);
    if (rv->subresource && !*rv->subresource) {
        free(rv->subresource);
        rv->subresource = NULL;
    }
    rv->namespace = req ? dup_str(req, "namespace", "") : dup_member(nreq, "namespace", "");
    rv->name = req ? dup_str(req, "name", "") : dup_member(nreq, "name", "");
    rv->operation = req ? dup_str(req, "operation", "") : dup_member(nreq, "operation", "");
    const struct vg_config_node *ndry = member(nreq, "dryRun");
    rv->dry_run =
        req ? json_is_true(json_object_get(req, "dryRun"))
            : vg_config_node_plain(ndry) && strcmp(vg_config_node_scalar(ndry, NULL), "true") == 0;
    if (!*rv->uid) {
        set_invalid(rv, "request.uid is missing");
    }
    rv->checked = kind_checked(rv->kind) &&
                  (!rv->subresource || (strcmp(rv->kind, "Pod") == 0 &&
                                        strcmp(rv->subresource, "ephemeralcontainers") == 0));
    if (rv->checked && strcmp(rv->operation, "DELETE") != 0 &&
        strcmp(rv->operation, "CONNECT") != 0) {
        if (req) {
            load_object(rv, json_object_get(req, "object"));
        } else {
            node_object(rv, member(nreq, "object"));
        }
        /* request.namespace is the authority (older captures lack object.metadata.namespace) */
        if (rv->has_object && *rv->namespace) {
            rv->obj.namespace = rv->namespace;
        }
    }
}

/* A scalar member of a mapping, NULL when absent or not a scalar. */
static const char *
node_str(const struct vg_config_node *map, const char *key)
{
    const struct vg_config_node *v =
        map && vg_config_node_type(map) == VG_CONFIG_MAP ? vg_config_map_get(map, key) : NULL;
    if (!v || vg_config_node_type(v) != VG_CONFIG_SCALAR || vg_config_node_is_null(v)) {
        return NULL;
    }
    return vg_config_node_scalar(v, NULL);
}

void
vg_admit_review_from_object(struct vg_admit_review *rv, const struct vg_config_node *root,
                            const char *ns)
{
    memset(rv, 0, sizeof(*rv));
    rv->version = VG_ADMIT_V1;
    rv->uid = vg_strdup("manifest");
    rv->operation = vg_strdup("CREATE");
    const char *kind = node_str(root, "kind");
    const char *av = node_str(root, "apiVersion");
    const struct vg_config_node *meta = root ? vg_config_map_get(root, "metadata") : NULL;
    const char *name = node_str(meta, "name");
    const char *objns = node_str(meta, "namespace");
    const char *slash = av ? strchr(av, '/') : NULL;
    rv->kind = vg_strdup(kind ? kind : "");
    rv->group = slash ? vg_strndup(av, (size_t)(slash - av)) : vg_strdup("");
    rv->name = vg_strdup(name ? name : "");
    rv->namespace = vg_strdup(objns ? objns : ns ? ns : "default");
    if (!root || vg_config_node_type(root) != VG_CONFIG_MAP) {
        set_invalid(rv, "the document is not a mapping");
        return;
    }
    if (!kind) {
        set_invalid(rv, "the object has no kind");
        return;
    }
    rv->checked = kind_checked(rv->kind);
    if (!rv->checked) {
        return;
    }
    struct vg_err *err = NULL;
    if (vg_policy_object_init(&rv->obj, root, &err) < 0) {
        char *m = vg_err_format(err);
        set_invalid(rv, "%s", m);
        free(m);
        vg_err_free(&err);
        return;
    }
    rv->has_object = true;
    rv->obj.namespace = rv->namespace;
    check_images(rv);
}

void
vg_admit_review_dispose(struct vg_admit_review *rv)
{
    if (rv->has_object) {
        vg_policy_object_dispose(&rv->obj);
    }
    vg_config_doc_free(rv->doc);
    free(rv->uid);
    free(rv->kind);
    free(rv->group);
    free(rv->subresource);
    free(rv->namespace);
    free(rv->name);
    free(rv->operation);
    free(rv->invalid);
    memset(rv, 0, sizeof(*rv));
}

void
vg_admit_answer_warn(struct vg_admit_answer *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = vg_vfmt(fmt, ap);
    va_end(ap);
    char *e = vg_escape(m, strlen(m), WARNING_MAX);
    free(m);
    vg_vec_push(&a->warnings, e);
}

void
vg_admit_answer_dispose(struct vg_admit_answer *a)
{
    free(a->message);
    for (size_t i = 0; i < a->warnings.n; i++) {
        free(a->warnings.v[i]);
    }
    vg_vec_dispose(&a->warnings);
    json_decref(a->patch);
    memset(a, 0, sizeof(*a));
}

static const char *
reason_for(unsigned code)
{
    switch (code) {
    case 400:
        return "BadRequest";
    case 403:
        return "Forbidden";
    case 504:
        return "Timeout";
    default:
        return "InternalError";
    }
}

json_t *
vg_admit_response(const struct vg_admit_review *rv, const struct vg_admit_answer *a)
{
    json_t *resp = json_object();
    vg_json_set_str(resp, "uid", rv->uid ? rv->uid : "");
    vg_json_set_take(resp, "allowed", json_boolean(a->allowed));
    if (!a->allowed) {
        unsigned code = a->code ? a->code : 403;
        const char *msg = a->message ? a->message : "denied by vigil";
        vg_autofree char *m = vg_escape(msg, strlen(msg), 8192);
        vg_json_set_take(resp, "status",
                         json_pack("{s:s, s:I, s:s, s:s}", "status", "Failure", "code",
                                   (json_int_t)code, "reason", reason_for(code), "message", m));
    }
    if (a->warnings.n) {
        json_t *w = json_array();
        for (size_t i = 0; i < a->warnings.n; i++) {
            vg_json_append_take(w, json_string(a->warnings.v[i]));
        }
        vg_json_set_take(resp, "warnings", w);
    }
    if (a->patch && a->allowed) {
        char *text = vg_json_dumps(a->patch, JSON_COMPACT);
        char *b64 = vg_base64_encode(text, text ? strlen(text) : 0);
        vg_json_set_str(resp, "patchType", "JSONPatch");
        vg_json_set_str(resp, "patch", b64);
        free(b64);
        free(text);
    }
    return json_pack("{s:s, s:s, s:o}", "apiVersion", vg_admit_version_name(rv->version), "kind",
                     "AdmissionReview", "response", resp);
}

/* A string JSON carries as it is: printable ASCII other than '"' and '\\' (what jansson
 * writes unescaped and unchanged). */
static bool
json_plain(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            return false;
        }
    }
    return true;
}

char *
vg_admit_response_text(const struct vg_admit_review *rv, const struct vg_admit_answer *a,
                       size_t *len)
{
    const char *uid = rv->uid ? rv->uid : "";
    if (a->allowed && !a->warnings.n && !a->patch && json_plain(uid)) {
        /* the answer to most reviews, as vg_json_dump writes vg_admit_response */
        static const char *const part[] = {
            "{\"apiVersion\":\"",
            "\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"",
            "\",\"allowed\":true}}",
        };
        const char *ver = vg_admit_version_name(rv->version);
        size_t n[5] = {strlen(part[0]), strlen(ver), strlen(part[1]), strlen(uid), strlen(part[2])};
        const char *src[5] = {part[0], ver, part[1], uid, part[2]};
        char *out = vg_malloc(n[0] + n[1] + n[2] + n[3] + n[4] + 1);
        size_t o = 0;
        for (size_t i = 0; i < 5; i++) {
            memcpy(out + o, src[i], n[i]);
            o += n[i];
        }
        out[o] = '\0';
        *len = o;
        return out;
    }
    json_t *doc = vg_admit_response(rv, a);
    char *out = vg_json_dump(doc, false);
    json_decref(doc);
    *len = strlen(out);
    return out;
}

char *
vg_admit_json_pointer(const char *path)
{
    char *out = vg_malloc(2 * strlen(path) + 2);
    size_t n = 0;
    out[n++] = '/';
    for (const char *p = path; *p; p++) {
        if (*p == '.' || *p == '[') {
            out[n++] = '/';
        } else if (*p == '~' || *p == '/') {
            out[n++] = '~';
            out[n++] = *p == '~' ? '0' : '1';
        } else if (*p != ']') {
            out[n++] = *p;
        }
    }
    out[n] = 0;
    return out;
}
