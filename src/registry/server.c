/* SPDX-License-Identifier: Apache-2.0
 *
 * The registry's request path on httpd: one route (/v2/) whose begin() parses the target with
 * oci/dist's grammar, asks the authorizer (authz.h) what this request needs, and dispatches to
 * the endpoint files; end() finishes requests that took a body; done() releases what a request
 * held (an upload writer is rolled back when its body did not arrive whole). Every failure is
 * answered with the spec's JSON error body; nothing here answers plain text. The default
 * authorizer (everything allowed) lives here too.
 */
#include "registry/registry.h"

#include <string.h>

#include "registry/notify.h"
#include "registry/registry_int.h"

/* ---------------------------------------------------------------- responses */

void
vg_registry_header(struct vg_httpd_req *r, const char *name, const char *value)
{
    struct vg_err *err = NULL;
    if (vg_httpd_header_add(r, name, value, &err) < 0) {
        VG_EVENT(VG_LOG_ERROR, "registry", "response header refused", VG_KV_STR("header", name));
        vg_err_free(&err);
    }
}

int
vg_registry_respond_empty(struct vg_httpd_req *r, unsigned status)
{
    struct vg_err *err = NULL;
    if (vg_httpd_respond(r, status, NULL, "", 0, &err) < 0) {
        vg_err_free(&err);
        return -1;
    }
    return 0;
}

int
vg_registry_error(struct vg_httpd_req *r, enum vg_oci_dist_code code, unsigned status,
                  const char *message)
{
    vg_autobuf struct vg_buf body = VG_BUF_INIT(VG_OCI_DIST_ERRORS_BYTES);
    struct vg_oci_dist_error_out e = {code, message, NULL};
    struct vg_err *err = NULL;
    if (vg_oci_dist_errors_format(&body, &e, 1, &err) < 0) {
        vg_err_free(&err);
        e.message = NULL; /* a message that is not UTF-8: the default one instead */
        if (vg_oci_dist_errors_format(&body, &e, 1, &err) < 0) {
            vg_err_free(&err);
            return -1;
        }
    }
    if (!status) {
        status = (unsigned)vg_oci_dist_code_status(code);
    }
    if (vg_httpd_respond(r, status, "application/json", body.data, body.len, &err) < 0) {
        vg_err_free(&err);
        return -1;
    }
    return 0;
}

int
vg_registry_error_from(struct vg_httpd_req *r, struct vg_err **err, enum vg_oci_dist_code notfound,
                       const char *what)
{
    enum vg_errc c = vg_err_code(*err);
    int rc;
    if (c == VG_E_NOTFOUND) {
        rc = vg_registry_error(r, notfound, 0, NULL);
    } else if (c == VG_E_VERIFY) {
        rc = vg_registry_error(r, VG_OCI_DIST_DIGEST_INVALID, 0, NULL);
    } else if (c == VG_E_LIMIT) {
        rc = vg_registry_error(r, VG_OCI_DIST_SIZE_INVALID, 0, NULL);
    } else {
        /* The cause may name internal paths: it goes to the log, never to the client. */
        vg_autofree char *msg = vg_err_format(*err);
        VG_EVENT(VG_LOG_ERROR, "registry", what, VG_KV_STR("req_id", vg_httpd_request_id(r)),
                 VG_KV_STR("error", msg));
        char text[128];
        snprintf(text, sizeof(text), "internal error (request %s)", vg_httpd_request_id(r));
        rc = vg_registry_error(r, VG_OCI_DIST_UNKNOWN, 500, text);
    }
    vg_err_free(err);
    return rc;
}

/* ---------------------------------------------------------------- default authorizer */

void
vg_registry_authz_res_dispose(struct vg_registry_authz_res *res)
{
    free(res->user);
    free(res->challenge);
    free(res->message);
    memset(res, 0, sizeof(*res));
}

static int
open_check(void *ud, const struct vg_registry_authz_req *req, struct vg_registry_authz_res *res,
           struct vg_err **err)
{
    (void)ud;
    (void)req;
    (void)err;
    res->verdict = VG_REGISTRY_ALLOW;
    return 0;
}

static const struct vg_registry_authz open_authz = {.name = "open", .check = open_check};

const struct vg_registry_authz *
vg_registry_authz_open(void)
{
    return &open_authz;
}

/* ---------------------------------------------------------------- authorization */

static unsigned
needed_actions(const struct vg_oci_dist_route *rt, enum vg_httpd_method m)
{
    switch (rt->kind) {
    case VG_OCI_DIST_R_BASE:
        return 0;
    case VG_OCI_DIST_R_CATALOG:
        return VG_REGISTRY_CATALOG;
    case VG_OCI_DIST_R_MANIFEST:
    case VG_OCI_DIST_R_BLOB:
        if (m == VG_HTTP_DELETE) {
            return VG_REGISTRY_DELETE;
        }
        return m == VG_HTTP_PUT ? VG_REGISTRY_PULL | VG_REGISTRY_PUSH : VG_REGISTRY_PULL;
    case VG_OCI_DIST_R_UPLOAD_START:
    case VG_OCI_DIST_R_UPLOAD:
        return VG_REGISTRY_PULL | VG_REGISTRY_PUSH;
    case VG_OCI_DIST_R_TAGS:
    case VG_OCI_DIST_R_REFERRERS:
        return VG_REGISTRY_PULL;
    }
    return VG_REGISTRY_PULL;
}

/* Asks the authorizer; *allowed false means the refusal has been answered (or, with answer
 * false, only reported in *allowed: the mount source check). */
static int
authorize(struct vg_httpd_req *r, struct rq *q, const char *repo, unsigned actions, const char *tag,
          bool answer, bool *allowed)
{
    const struct vg_registry_authz *az = q->reg->authz;
    struct vg_registry_authz_req req = {
        .method = vg_httpd_method_name(r),
        .path = vg_httpd_path(r),
        .authorization = vg_httpd_header(r, "Authorization"),
        .remote = vg_httpd_remote(r),
        .repo = repo,
        .actions = actions,
        .tag = tag,
    };
    struct vg_registry_authz_res res = {0};
    struct vg_err *err = NULL;
    *allowed = false;
    if (az->check(az->ud, &req, &res, &err) < 0) {
        vg_registry_authz_res_dispose(&res);
        return answer ? vg_registry_error_from(r, &err, VG_OCI_DIST_UNKNOWN, "authorizer failed")
                      : (vg_err_free(&err), 0);
    }
    if (res.user) {
        vg_httpd_set_user(r, res.user);
        q->user = vg_httpd_strdup(r, res.user);
    }
    int rc = 0;
    if (res.verdict == VG_REGISTRY_ALLOW) {
        *allowed = true;
    } else if (answer && res.verdict == VG_REGISTRY_CHALLENGE) {
        if (res.challenge) {
            vg_registry_header(r, "WWW-Authenticate", res.challenge);
        }
        rc = vg_registry_error(r, VG_OCI_DIST_UNAUTHORIZED, 0, res.message);
    } else if (answer) {
        rc = vg_registry_error(r, VG_OCI_DIST_DENIED, 0, res.message);
    }
    vg_registry_authz_res_dispose(&res);
    return rc;
}

/* The tags a manifest PUT sets: the reference when it is a tag, else every ?tag= value. */
static int
collect_tags(struct vg_httpd_req *r, struct rq *q, bool *ok)
{
    struct vg_oci_dist_route *rt = &q->route;
    *ok = false;
    if (!rt->by_digest) {
        q->tags[q->ntags++] = rt->reference;
        *ok = true;
        return 0;
    }
    for (size_t i = 0; rt->query; i++) {
        char *v = NULL;
        struct vg_err *err = NULL;
        if (vg_oci_dist_query_get(&v, rt->query, "tag", i, &err) < 0) {
            vg_err_free(&err);
            return vg_registry_error(r, VG_OCI_DIST_TAG_INVALID, 400, "malformed tag parameter");
        }
        if (!v) {
            break;
        }
        char *t = vg_httpd_strdup(r, v);
        free(v);
        if (!vg_oci_dist_tag_valid(vg_str_c(t))) {
            return vg_registry_error(r, VG_OCI_DIST_TAG_INVALID, 0, NULL);
        }
        if (q->ntags == REG_TAGS_PER_PUT) {
            return vg_registry_error(r, VG_OCI_DIST_TAG_INVALID, 414, "too many tag parameters");
        }
        q->tags[q->ntags++] = t;
    }
    *ok = true;
    return 0;
}

static int
authorize_request(struct vg_httpd_req *r, struct rq *q, bool *allowed)
{
    struct vg_oci_dist_route *rt = &q->route;
    enum vg_httpd_method m = vg_httpd_method(r);
    unsigned actions = needed_actions(rt, m);
    if (rt->kind == VG_OCI_DIST_R_MANIFEST && m == VG_HTTP_PUT) {
        bool ok;
        if (collect_tags(r, q, &ok) < 0 || !ok) {
            *allowed = false;
            return 0;
        }
        for (size_t i = 0; i < q->ntags; i++) {
            if (authorize(r, q, rt->name, actions, q->tags[i], true, allowed) < 0 || !*allowed) {
                return 0;
            }
        }
        if (q->ntags) {
            return 0;
        }
    }
    return authorize(r, q, rt->name, actions, NULL, true, allowed);
}

/* ---------------------------------------------------------------- dispatch */

static unsigned
allowed_methods(enum vg_oci_dist_route_kind k)
{
    switch (k) {
    case VG_OCI_DIST_R_MANIFEST:
        return VG_HTTP_GET | VG_HTTP_HEAD | VG_HTTP_PUT | VG_HTTP_DELETE;
    case VG_OCI_DIST_R_BLOB:
        return VG_HTTP_GET | VG_HTTP_HEAD | VG_HTTP_DELETE;
    case VG_OCI_DIST_R_UPLOAD_START:
        return VG_HTTP_POST;
    case VG_OCI_DIST_R_UPLOAD:
        return VG_HTTP_GET | VG_HTTP_PATCH | VG_HTTP_PUT | VG_HTTP_DELETE;
    default:
        return VG_HTTP_GET | VG_HTTP_HEAD;
    }
}

static int
base(struct vg_httpd_req *r)
{
    static const char body[] = "{}";
    struct vg_err *err = NULL;
    if (vg_httpd_respond(r, 200, "application/json", body, 2, &err) < 0) {
        vg_err_free(&err);
        return -1;
    }
    return 0;
}

static int
dispatch(struct vg_httpd_req *r, struct rq *q)
{
    enum vg_httpd_method m = vg_httpd_method(r);
    switch (q->route.kind) {
    case VG_OCI_DIST_R_BASE:
        return base(r);
    case VG_OCI_DIST_R_CATALOG:
        return vg_registry_catalog(r, q);
    case VG_OCI_DIST_R_TAGS:
        return vg_registry_tags_list(r, q);
    case VG_OCI_DIST_R_REFERRERS:
        return vg_registry_referrers(r, q);
    case VG_OCI_DIST_R_BLOB:
        return m == VG_HTTP_DELETE ? vg_registry_blob_delete(r, q) : vg_registry_blob_get(r, q);
    case VG_OCI_DIST_R_MANIFEST:
        return m == VG_HTTP_PUT      ? vg_registry_manifest_put(r, q)
               : m == VG_HTTP_DELETE ? vg_registry_manifest_delete(r, q)
                                     : vg_registry_manifest_get(r, q);
    case VG_OCI_DIST_R_UPLOAD_START:
        return vg_registry_upload_start(r, q);
    case VG_OCI_DIST_R_UPLOAD:
        return m == VG_HTTP_PATCH    ? vg_registry_upload_patch(r, q)
               : m == VG_HTTP_PUT    ? vg_registry_upload_put(r, q)
               : m == VG_HTTP_DELETE ? vg_registry_upload_cancel(r, q)
                                     : vg_registry_upload_status(r, q);
    }
    return vg_registry_error(r, VG_OCI_DIST_ROUTE_UNKNOWN, 404, NULL);
}

static const char *const method_names[] = {"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"};

static void
allow_header(struct vg_httpd_req *r, unsigned mask)
{
    char allow[64] = "";
    size_t o = 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(method_names); i++) {
        if (mask & (1u << i)) {
            o += (size_t)snprintf(allow + o, sizeof(allow) - o, "%s%s", o ? ", " : "",
                                  method_names[i]);
        }
    }
    vg_registry_header(r, "Allow", allow);
}

static int
reg_begin(struct vg_httpd_req *r, void *ud)
{
    struct rq *q = vg_httpd_alloc(r, sizeof(*q));
    memset(q, 0, sizeof(*q));
    q->reg = ud;
    vg_httpd_set_ctx(r, q);
    vg_registry_header(r, "Docker-Distribution-API-Version", "registry/2.0");

    const char *path = vg_httpd_path(r);
    const char *query = vg_httpd_query_string(r);
    /* No parameter this API reads may hold a space, while media types hold '+': a raw '+'
     * from a client that did not escape it (cosign's artifactType) means '+'. */
    vg_autobuf struct vg_buf tb = VG_BUF_INIT(VG_OCI_DIST_TARGET_MAX * 3);
    struct vg_err *err = NULL;
    if (vg_buf_append_str(&tb, path, &err) < 0 || (query && vg_buf_appendc(&tb, '?', &err) < 0)) {
        vg_err_free(&err);
        return vg_registry_error(r, VG_OCI_DIST_ROUTE_UNKNOWN, 404, "request target too long");
    }
    for (const char *p = query; p && *p; p++) {
        if ((*p == '+' ? vg_buf_append_str(&tb, "%2B", &err) : vg_buf_appendc(&tb, *p, &err)) < 0) {
            vg_err_free(&err);
            return vg_registry_error(r, VG_OCI_DIST_ROUTE_UNKNOWN, 404, "request target too long");
        }
    }
    char *target = vg_buf_take(&tb, NULL);
    enum vg_oci_dist_code c = vg_oci_dist_route_parse(&q->route, target, strlen(target), &err);
    free(target);
    if (c != VG_OCI_DIST_OK) {
        vg_autofree char *msg = vg_err_format(err);
        vg_err_free(&err);
        return vg_registry_error(r, c, c == VG_OCI_DIST_ROUTE_UNKNOWN ? 404 : 400, msg);
    }
    q->route_ok = true;
    unsigned mask = allowed_methods(q->route.kind);
    if (!((unsigned)vg_httpd_method(r) & mask)) {
        allow_header(r, mask);
        return vg_registry_error(r, VG_OCI_DIST_UNSUPPORTED, 405, "method not allowed here");
    }
    bool allowed;
    if (authorize_request(r, q, &allowed) < 0 || !allowed) {
        return vg_httpd_responded(r) ? 0 : -1;
    }
    int rc = dispatch(r, q);
    if (vg_httpd_responded(r)) {
        vg_registry_upload_release(q);
    }
    return rc;
}

static int
reg_end(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    struct rq *q = vg_httpd_ctx(r);
    if (!q || !q->finish) {
        return vg_registry_error(r, VG_OCI_DIST_UNSUPPORTED, 400, "unexpected request body");
    }
    int rc = q->finish(r, q);
    vg_registry_upload_release(q);
    return rc;
}

static void
reg_done(struct vg_httpd_req *r, void *ud, bool completed)
{
    (void)ud;
    struct rq *q = vg_httpd_ctx(r);
    if (!q) {
        return;
    }
    vg_registry_upload_done(q, completed);
    if (q->route_ok) {
        vg_oci_dist_route_dispose(&q->route);
    }
}

int
vg_registry_authorize_pull(struct vg_httpd_req *r, struct rq *q, const char *repo, bool *allowed)
{
    return authorize(r, q, repo, VG_REGISTRY_PULL, NULL, false, allowed);
}

int
vg_registry_authorize_push_quiet(struct vg_httpd_req *r, struct rq *q, const char *repo,
                                 bool *allowed)
{
    const char *mode = q->reg->authz->name;
    if (q->reg->authz == &open_authz || !mode || strcmp(mode, "open") == 0) {
        *allowed = false; /* an open registry has no publishers apart from consumers */
        return 0;
    }
    return authorize(r, q, repo, VG_REGISTRY_PUSH, NULL, false, allowed);
}

/* ---------------------------------------------------------------- lifecycle */

int
vg_registry_new(struct vg_registry **out, const struct vg_registry_opts *opts, struct vg_err **err)
{
    struct vg_registry *reg = vg_calloc(1, sizeof(*reg));
    reg->authz = opts->authz ? opts->authz : &open_authz;
    reg->max_manifest =
        opts->max_manifest_bytes ? opts->max_manifest_bytes : VG_LIMIT_MANIFEST_BYTES;
    reg->max_blob = opts->max_blob_bytes ? opts->max_blob_bytes : VG_LIMIT_LAYER_UNPACKED_BYTES;
    reg->tags_page_max = opts->tags_page_max ? opts->tags_page_max : 1000;
    reg->catalog_scan_max =
        opts->catalog_scan_max ? opts->catalog_scan_max : VG_REGISTRY_CATALOG_SCAN_DEFAULT;
    reg->upload_expiry_ms = opts->upload_expiry_ms ? opts->upload_expiry_ms : 24ull * 3600 * 1000;
    reg->max_uploads_per_user = opts->max_uploads_per_user ? opts->max_uploads_per_user
                                                           : VG_REGISTRY_UPLOADS_PER_USER_DEFAULT;
    pthread_mutex_init(&reg->busy_lock, NULL);
    pthread_rwlock_init(&reg->notify_lock, NULL);
    if (vg_registry_storage_fs_new(&reg->storage, opts->root, err) < 0) {
        vg_registry_free(reg);
        return -1;
    }
    if (vg_registry_meta_open_root(&reg->meta, opts->root, err) < 0 ||
        vg_registry_notify_new(reg, opts->notify, opts->root, err) < 0 ||
        vg_registry_supply_new(reg, opts->supply, err) < 0) {
        vg_registry_free(reg);
        return -1;
    }
    *out = reg;
    return 0;
}

int
vg_registry_tag_exists(struct vg_registry *reg, const char *repo, const char *tag,
                       struct vg_err **err)
{
    struct vg_digest d;
    if (reg->meta->ops->tag_resolve(reg->meta, repo, tag, &d, err) == 0) {
        return 1;
    }
    if (vg_err_code(*err) == VG_E_NOTFOUND) {
        vg_err_free(err);
        return 0;
    }
    return -1;
}

int
vg_registry_mount(struct vg_registry *reg, struct vg_httpd *h, struct vg_err **err)
{
    const struct vg_httpd_handler hd = {
        .name = "registry",
        .prefix = "/v2/",
        .methods = VG_HTTP_ANY,
        .begin = reg_begin,
        .end = reg_end,
        .done = reg_done,
        .ud = reg,
    };
    if (vg_registry_notify_mount(reg, h, err) < 0 || vg_registry_supply_mount(reg, h, err) < 0) {
        return -1;
    }
    return vg_httpd_route(h, &hd, err);
}

void
vg_registry_free(struct vg_registry *reg)
{
    if (!reg) {
        return;
    }
    vg_registry_supply_free(reg); /* workers use storage, meta and the notifier */
    vg_registry_notifier_free(reg->notifier);
    free(reg->notify_spool);
    pthread_rwlock_destroy(&reg->notify_lock);
    vg_registry_meta_free(reg->meta);
    vg_registry_storage_free(reg->storage);
    vg_strv_free(reg->busy.v, reg->busy.n);
    vg_registry_hashes_free(reg);
    pthread_mutex_destroy(&reg->busy_lock);
    free(reg);
}
