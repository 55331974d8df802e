/* SPDX-License-Identifier: Apache-2.0
 *
 * The Distribution API v2 client, read side: client setup (credentials, TLS options), URL
 * building, manifests by tag or digest (verified when asked by digest; digest recorded from the
 * bytes, never from Docker-Content-Digest), blobs (buffered and streamed), tag listing with Link
 * pagination, OCI 1.1 referrers with the tag-schema fallback, and the image source behind
 * "docker://REF" and bare references.
 *
 * Authentication lives in remote_auth.c, uploads in remote_push.c.
 */
#include "remote_int.h"
#include "source_int.h"

#include <string.h>

#define MANIFEST_ACCEPT                                                                            \
    "Accept: " VG_MT_OCI_MANIFEST ", " VG_MT_OCI_INDEX ", " VG_MT_DOCKER_MANIFEST                  \
    ", " VG_MT_DOCKER_LIST
#define TAGS_PAGE_BYTES     (4u * 1024u * 1024u)
#define TAGS_PAGES_MAX      1000u
#define REFERRERS_PAGES_MAX 100u

/* ---------------------------------------------------------------- client */

char *
vg_oci_remote_build_url(bool plain_http, const char *host, const char *repo, const char *kind,
                        const char *ref)
{
    return vg_fmt("%s://%s/v2/%s/%s%s%s", plain_http ? "http" : "https", host, repo, kind,
                  ref ? "/" : "", ref ? ref : "");
}

char *
vg_oci_remote_url(const struct vg_oci_remote_client *c, const char *kind, const char *ref)
{
    return vg_oci_remote_build_url(c->plain_http, c->host, c->repo, kind, ref);
}

int
vg_oci_remote_route_url(const struct vg_oci_remote_client *c, const struct vg_oci_dist_route *route,
                        char **out, struct vg_err **err)
{
    struct vg_oci_dist_route r = *route;
    if (!r.name) {
        r.name = c->repo;
    }
    vg_autofree char *target = NULL;
    *out = NULL;
    if (vg_oci_dist_route_format(&target, &r, err) < 0) {
        return -1;
    }
    *out = vg_fmt("%s://%s%s", c->plain_http ? "http" : "https", c->host, target);
    return 0;
}

/* The URL of a route that cannot fail: its parts come from validated digests and references. */
static char *
route_url(const struct vg_oci_remote_client *c, enum vg_oci_dist_route_kind kind,
          const char *reference)
{
    struct vg_oci_dist_route r = {.kind = kind, .reference = reference};
    char *url = NULL;
    vg_autoerr struct vg_err *e = NULL;
    if (vg_oci_remote_route_url(c, &r, &url, &e) < 0) {
        abort(); /* unreachable: callers pass checked digests, tags and the client's name */
    }
    return url;
}

char *
vg_oci_remote_scope(const struct vg_oci_remote_client *c, bool push)
{
    return vg_fmt("repository:%s:%s", c->repo, push ? "pull,push" : "pull");
}

struct vg_oci_remote_client *
vg_oci_remote_client_new(const struct vg_oci_ref *ref, const struct vg_oci_open_opts *o,
                         struct vg_err **err)
{
    struct vg_oci_open_opts none = VG_OCI_OPEN_OPTS_INIT;
    if (!o) {
        o = &none;
    }
    if (o->pool && !o->pull_secret_json) {
        return vg_oci_remote_pool_get(o->pool, ref, err);
    }
    if (!vg_oci_dist_name_valid(vg_str_c(ref->repository))) {
        vg_autofree char *e = vg_escape(ref->repository, strlen(ref->repository), 120);
        vg_err_set(err, VG_E_USAGE, "invalid repository name \"%s\"", e);
        return NULL;
    }
    struct vg_http_client_opts ho = VG_HTTP_CLIENT_OPTS_INIT;
    ho.insecure = o->insecure;
    /* As go-containerregistry (Trivy, crane): a loopback registry, or any with --insecure, that
     * answers TLS in plain HTTP is spoken to in HTTP. */
    ho.plain_fallback = o->insecure ? VG_HTTP_PLAIN_ANY : VG_HTTP_PLAIN_LOOPBACK;
    ho.ca_file = o->ca_file;
    ho.deadline_ns = o->deadline_ns;
    ho.stall_timeout_s = o->stall_timeout_s;
    struct vg_oci_remote_client *c = vg_calloc(1, sizeof(*c));
    if (vg_http_client_new(&c->http, &ho, err) < 0) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->auth_mu, NULL);
    c->registry = vg_strdup(ref->registry);
    c->host = vg_strdup(vg_oci_ref_api_host(ref));
    c->repo = vg_strdup(ref->repository);
    c->plain_http =
        o->plain_http || vg_oci_remote_registry_listed(o->plain_http_registries, ref->registry);
    c->docker_config = vg_strdup(o->docker_config);
    if (o->pull_secret_json) {
        /* a Kubernetes pull secret's {"auths": ...}: the workload's credentials come first */
        if (vg_oci_remote_creds_from_json(&c->creds, &c->have_creds, ref->registry,
                                          o->pull_secret_json, strlen(o->pull_secret_json),
                                          "imagePullSecrets", err) < 0) {
            vg_oci_remote_client_free(c);
            return NULL;
        }
        c->creds_loaded = c->have_creds;
    }
    if (o->creds && !c->have_creds) {
        c->creds_loaded = true;
        if (vg_oci_remote_creds_lookup(&c->creds, &c->have_creds, ref->registry, o->creds, NULL,
                                       err) < 0) {
            vg_oci_remote_client_free(c);
            return NULL;
        }
    }
    return c;
}

int
vg_oci_remote_creds_ensure(struct vg_oci_remote_client *c, struct vg_err **err)
{
    if (c->creds_loaded) {
        return 0;
    }
    c->creds_loaded = true;
    return vg_oci_remote_creds_lookup(&c->creds, &c->have_creds, c->registry, NULL,
                                      c->docker_config, err);
}

void
vg_oci_remote_client_free(struct vg_oci_remote_client *c)
{
    if (!c) {
        return;
    }
    if (c->pool) { /* back to its pool, which frees it when it keeps enough idle clients */
        vg_oci_remote_pool_put(c->pool, c);
        return;
    }
    vg_oci_remote_auth_reset(c);
    vg_oci_remote_creds_dispose(&c->creds);
    pthread_mutex_destroy(&c->auth_mu);
    free(c->docker_config);
    vg_http_client_free(c->http);
    free(c->registry);
    free(c->host);
    free(c->repo);
    free(c);
}

/* "registry/repo:tag" or "registry/repo@digest" for messages. */
static char *
display(const struct vg_oci_remote_client *c, const char *prefix, const char *reference)
{
    if (!reference) {
        return vg_fmt("%s%s/%s", prefix, c->registry, c->repo);
    }
    vg_autofree char *r = vg_escape(reference, strlen(reference), 200);
    return vg_fmt("%s%s/%s%s%s", prefix, c->registry, c->repo, strchr(reference, ':') ? "@" : ":",
                  r);
}

/* Tags and digests go into URL paths: only the protocol's grammar (dist.h). */
static int
check_reference(const char *reference, struct vg_err **err)
{
    bool ok = strchr(reference, ':') ? vg_digest_valid(reference)
                                     : vg_oci_dist_tag_valid(vg_str_c(reference));
    if (!ok) {
        vg_autofree char *e = vg_escape(reference, strlen(reference), 200);
        return vg_err_set(err, VG_E_USAGE, "invalid tag or digest \"%s\"", e);
    }
    return 0;
}

void
vg_oci_remote_manifest_dispose(struct vg_oci_remote_manifest *m)
{
    if (!m) {
        return;
    }
    free(m->data);
    free(m->media_type);
    memset(m, 0, sizeof(*m));
}

/* Content-Type without parameters ("; charset=..."). */
static char *
media_type_of(const char *ct)
{
    if (!ct) {
        return NULL;
    }
    struct vg_str s = vg_str_c(ct), head, tail;
    vg_str_cut(s, ';', &head, &tail);
    head = vg_str_trim(head);
    return head.len ? vg_str_dup(head) : NULL;
}

static bool
is_schema1(const char *mt, const uint8_t *data, size_t len)
{
    if (mt && (strcmp(mt, VG_MT_DOCKER_SCHEMA1) == 0 || strcmp(mt, VG_MT_DOCKER_SCHEMA1_S) == 0)) {
        return true;
    }
    vg_autojson json_t *j = NULL;
    uint64_t v = 0;
    return vg_json_parse(&j, data, len, VG_LIMIT_MANIFEST_BYTES, "manifest", NULL) == 0 &&
           vg_json_u64(j, "schemaVersion", &v) && v == 1;
}

static int
manifest_check(const struct vg_oci_remote_client *c, const char *reference,
               struct vg_oci_remote_manifest *m, const struct vg_http_resp *resp,
               struct vg_err **err)
{
    vg_autofree char *what = display(c, "", reference);
    if (is_schema1(m->media_type, m->data, m->len)) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "manifest %s is Docker schema 1, which is deprecated and not supported "
                          "(re-push the image with a current client)",
                          what);
    }
    struct vg_digest want;
    if (vg_digest_valid(reference)) {
        if (vg_digest_parse(&want, reference, err) < 0) {
            return -1;
        }
        vg_digest_of(&m->digest, want.alg, m->data, m->len);
        if (!vg_digest_eq(&want, &m->digest)) {
            return vg_err_set(err, VG_E_VERIFY, "manifest %s: content hashes to %s", what,
                              m->digest.text);
        }
        return 0;
    }
    vg_digest_of(&m->digest, VG_DIGEST_SHA256, m->data, m->len);
    const char *hdr = vg_http_resp_header(resp, "Docker-Content-Digest");
    if (hdr && vg_digest_parse(&want, hdr, NULL) == 0 && want.alg == VG_DIGEST_SHA256 &&
        !vg_digest_eq(&want, &m->digest)) {
        VG_WARN("registry", "%s: Docker-Content-Digest %s differs from the content's %s", what,
                want.text, m->digest.text);
    }
    return 0;
}

/* The manifest in a GET's response (any status): what vg_oci_remote_manifest_get returns. */
static int
manifest_from_resp(struct vg_oci_remote_client *c, const char *reference, struct vg_http_resp *resp,
                   struct vg_oci_remote_manifest *out, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    if (resp->status != 200) {
        vg_autofree char *what = display(c, "manifest ", reference);
        return vg_oci_remote_status_error(c, what, resp->status, &resp->body, err);
    }
    out->media_type = media_type_of(vg_http_resp_header(resp, "Content-Type"));
    out->data = (uint8_t *)vg_buf_take(&resp->body, &out->len);
    int rc = manifest_check(c, reference, out, resp, err);
    if (rc < 0) {
        vg_oci_remote_manifest_dispose(out);
    }
    return rc;
}

static void
manifest_req(const struct vg_oci_remote_client *c, const char *reference, const char **hdrs,
             struct vg_http_req *req, char **url)
{
    *url = route_url(c, VG_OCI_DIST_R_MANIFEST, reference);
    hdrs[0] = MANIFEST_ACCEPT;
    *req = (struct vg_http_req){
        .url = *url, .headers = hdrs, .nheaders = 1, .max_body = VG_LIMIT_MANIFEST_BYTES};
}

int
vg_oci_remote_manifest_get(struct vg_oci_remote_client *c, const char *reference,
                           struct vg_oci_remote_manifest *out, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    if (check_reference(reference, err) < 0) {
        return -1;
    }
    vg_autofree char *url = NULL;
    const char *hdrs[1];
    struct vg_http_req req;
    manifest_req(c, reference, hdrs, &req, &url);
    struct vg_http_resp resp;
    if (vg_oci_remote_do(c, &req, false, &resp, err) < 0) {
        vg_autofree char *what = display(c, "manifest ", reference);
        return vg_err_wrap(err, "%s", what);
    }
    int rc = manifest_from_resp(c, reference, &resp, out, err);
    vg_http_resp_dispose(&resp);
    return rc;
}

int
vg_oci_remote_manifest_head(struct vg_oci_remote_client *c, const char *reference,
                            struct vg_digest *digest, char **media_type, struct vg_err **err)
{
    if (check_reference(reference, err) < 0) {
        return -1;
    }
    vg_autofree char *url = route_url(c, VG_OCI_DIST_R_MANIFEST, reference);
    const char *hdrs[] = {MANIFEST_ACCEPT};
    struct vg_http_req req = {.method = "HEAD", .url = url, .headers = hdrs, .nheaders = 1};
    struct vg_http_resp resp;
    vg_autofree char *what = display(c, "manifest ", reference);
    if (vg_oci_remote_do(c, &req, false, &resp, err) < 0) {
        return vg_err_wrap(err, "%s", what);
    }
    int rc = 0;
    const char *d = vg_http_resp_header(&resp, "Docker-Content-Digest");
    if (resp.status != 200) {
        rc = vg_oci_remote_status_error(c, what, resp.status, NULL, err);
    } else if (d && vg_digest_parse(digest, d, NULL) == 0) {
        if (media_type) {
            *media_type = media_type_of(vg_http_resp_header(&resp, "Content-Type"));
        }
    } else if (vg_digest_valid(reference)) {
        rc = vg_digest_parse(digest, reference, err);
    } else {
        /* No digest header: fall back to fetching the bytes. */
        struct vg_oci_remote_manifest m;
        rc = vg_oci_remote_manifest_get(c, reference, &m, err);
        if (rc == 0) {
            *digest = m.digest;
            if (media_type) {
                *media_type = vg_steal_ptr(&m.media_type);
            }
            vg_oci_remote_manifest_dispose(&m);
        }
    }
    vg_http_resp_dispose(&resp);
    return rc;
}

/* ---------------------------------------------------------------- blobs */

static int
blob_stream(struct vg_oci_remote_client *c, const struct vg_digest *d, struct vg_http_stream **out,
            struct vg_err **err)
{
    vg_autofree char *url = route_url(c, VG_OCI_DIST_R_BLOB, d->text);
    struct vg_http_req req = {.url = url};
    if (vg_oci_remote_stream(c, &req, false, out, err) < 0) {
        vg_autofree char *what = display(c, "", NULL);
        return vg_err_wrap(err, "blob %s in %s", d->text, what);
    }
    return 0;
}

int
vg_oci_remote_blob_get(struct vg_oci_remote_client *c, const struct vg_digest *d,
                       struct vg_buf *out, struct vg_err **err)
{
    struct vg_http_stream *s = NULL;
    if (blob_stream(c, d, &s, err) < 0) {
        return -1;
    }
    int64_t cl = vg_http_stream_length(s);
    if (cl > 0 && (uint64_t)cl > out->max) {
        vg_http_stream_close(s);
        return vg_err_set(err, VG_E_LIMIT, "blob %s: %lld bytes exceed the limit of %zu", d->text,
                          (long long)cl, out->max);
    }
    /* The size is known only from the digest's content: verify the digest, bound by out->max. */
    struct vg_oci_verifier *v = vg_oci_verifier_new_alg(d->alg, -1);
    uint8_t chunk[16384];
    int rc = 0;
    for (;;) {
        size_t got = 0;
        rc = vg_http_stream_read(s, chunk, sizeof(chunk), &got, err);
        if (rc < 0 || got == 0) {
            break;
        }
        if ((rc = vg_oci_verifier_update(v, chunk, got, err)) < 0) {
            break;
        }
        if ((rc = vg_buf_append(out, chunk, got, err)) < 0) {
            vg_err_wrap(err, "blob %s", d->text);
            break;
        }
    }
    vg_http_stream_close(s);
    struct vg_digest got_d;
    if (rc == 0 && vg_oci_verifier_finish_as(v, NULL, &got_d, NULL) == 0 &&
        !vg_digest_eq(&got_d, d)) {
        rc = vg_err_set(err, VG_E_VERIFY, "blob %s: content hashes to %s", d->text, got_d.text);
    }
    vg_oci_verifier_free(v);
    return rc;
}

/* ---------------------------------------------------------------- tags */

int
vg_oci_remote_tags_page_parse(const void *body, size_t len, char ***tags, size_t *n,
                              struct vg_err **err)
{
    vg_autojson json_t *j = NULL;
    if (vg_json_parse(&j, body, len, TAGS_PAGE_BYTES, "tag list", err) < 0) {
        return -1;
    }
    json_t *arr = vg_json_arr(j, "tags");
    size_t i;
    json_t *t;
    json_array_foreach (arr, i, t) {
        if (!json_is_string(t)) {
            return vg_err_set(err, VG_E_PARSE, "tag list: entry %zu is not a string", i);
        }
        if (*n >= VG_OCI_REMOTE_TAGS_MAX) {
            return vg_err_set(err, VG_E_LIMIT, "more than %u tags", VG_OCI_REMOTE_TAGS_MAX);
        }
        VG_ARRAY_GROW(*tags, *n, 1);
        (*tags)[(*n)++] = vg_strdup(json_string_value(t));
    }
    return 0;
}

int
vg_oci_remote_page_next(const char *cur, const char *link, char **out, const char *what,
                        struct vg_err **err)
{
    *out = NULL;
    vg_autofree char *next = vg_http_link_next(link);
    if (!next) {
        return 0;
    }
    char *abs = NULL;
    if (vg_http_url_resolve(&abs, cur, next, err) < 0) {
        return vg_err_wrap(err, "%s: bad pagination link", what);
    }
    if (!vg_http_url_same_origin(abs, cur)) {
        free(abs);
        return vg_err_set(err, VG_E_NET, "%s: pagination link leaves the registry", what);
    }
    *out = abs;
    return 0;
}

int
vg_oci_remote_tags_list(struct vg_oci_remote_client *c, char ***tags, size_t *ntags,
                        struct vg_err **err)
{
    char **v = NULL;
    size_t n = 0;
    char *url = route_url(c, VG_OCI_DIST_R_TAGS, NULL);
    vg_autofree char *what = display(c, "tags of ", NULL);
    int rc = 0;
    for (unsigned page = 0; url && rc == 0; page++) {
        struct vg_http_req req = {.url = url, .max_body = TAGS_PAGE_BYTES};
        struct vg_http_resp resp;
        if (page >= TAGS_PAGES_MAX) {
            rc = vg_err_set(err, VG_E_LIMIT, "%s: more than %u pages", what, TAGS_PAGES_MAX);
            break;
        }
        if ((rc = vg_oci_remote_do(c, &req, false, &resp, err)) < 0) {
            break;
        }
        if (resp.status != 200) {
            rc = vg_oci_remote_status_error(c, what, resp.status, &resp.body, err);
        } else {
            rc = vg_oci_remote_tags_page_parse(resp.body.data, resp.body.len, &v, &n, err);
        }
        char *next = NULL;
        if (rc == 0) {
            rc = vg_oci_remote_page_next(url, vg_http_resp_header(&resp, "Link"), &next, what, err);
        }
        vg_http_resp_dispose(&resp);
        free(url);
        url = next;
    }
    free(url);
    if (rc < 0) {
        vg_strv_free(v, n);
        return rc;
    }
    *tags = v;
    *ntags = n;
    return 0;
}

/* ---------------------------------------------------------------- referrers */

#define EMPTY_INDEX "{\"schemaVersion\":2,\"mediaType\":\"" VG_MT_OCI_INDEX "\",\"manifests\":[]}"

/* The fallback tag's answer (manifest GET result rc/e/m) as vg_oci_remote_referrers gives it. */
static int
fallback_result(int rc, struct vg_err **e, struct vg_oci_remote_manifest *m, struct vg_buf *out,
                struct vg_err **err)
{
    if (rc < 0) {
        if (vg_err_root_code(*e) != VG_E_NOTFOUND) {
            if (err) {
                *err = vg_steal_ptr(e);
            }
            return -1;
        }
        return vg_buf_append_str(out, EMPTY_INDEX, err);
    }
    return vg_buf_append(out, m->data, m->len, err);
}

static char *
fallback_tag(const struct vg_digest *subject)
{
    return vg_fmt("%s-%s", subject->alg == VG_DIGEST_SHA512 ? "sha512" : "sha256",
                  vg_digest_hex(subject));
}

/* NULL with *err set when artifact_type is not a media type. */
static char *
referrers_url(const struct vg_oci_remote_client *c, const struct vg_digest *subject,
              const char *artifact_type, struct vg_err **err)
{
    struct vg_oci_dist_route r = {.kind = VG_OCI_DIST_R_REFERRERS,
                                  .reference = subject->text,
                                  .artifact_type = artifact_type};
    char *url = NULL;
    if (vg_oci_remote_route_url(c, &r, &url, err) < 0) {
        return NULL;
    }
    return url;
}

static int
referrers_fallback(struct vg_oci_remote_client *c, const struct vg_digest *subject,
                   struct vg_buf *out, struct vg_err **err)
{
    vg_autofree char *tag = fallback_tag(subject);
    struct vg_oci_remote_manifest m = {0};
    vg_autoerr struct vg_err *e = NULL;
    int rc = vg_oci_remote_manifest_get(c, tag, &m, &e);
    rc = fallback_result(rc, &e, &m, out, err);
    vg_oci_remote_manifest_dispose(&m);
    return rc;
}

static int
referrers_collect(struct vg_oci_remote_client *c, const char *url, struct vg_http_resp *resp,
                  const char *what, struct vg_buf *out, struct vg_err **err)
{
    char *next = NULL;
    if (vg_oci_remote_page_next(url, vg_http_resp_header(resp, "Link"), &next, what, err) < 0) {
        return -1;
    }
    if (!next) {
        return vg_buf_append(out, resp->body.data, resp->body.len, err);
    }
    vg_autofree char *cur = NULL;
    struct vg_oci_index all = {0};
    int rc = vg_oci_index_append_json(&all, resp->body.data, resp->body.len, what, err);
    const char *hdrs[] = {"Accept: " VG_MT_OCI_INDEX};
    size_t total = resp->body.len, max = out->max ? out->max : VG_LIMIT_MANIFEST_BYTES;
    for (unsigned page = 1; next && rc == 0; page++) {
        free(cur);
        cur = vg_steal_ptr(&next);
        if (page >= REFERRERS_PAGES_MAX) {
            rc = vg_err_set(err, VG_E_LIMIT, "%s: more than %u pages", what, REFERRERS_PAGES_MAX);
            break;
        }
        struct vg_http_req req = {
            .url = cur, .headers = hdrs, .nheaders = 1, .max_body = VG_LIMIT_MANIFEST_BYTES};
        struct vg_http_resp r;
        if (vg_oci_remote_do(c, &req, false, &r, err) < 0) {
            rc = vg_err_wrap(err, "%s", what);
            break;
        }
        total += r.body.len;
        rc = r.status != 200 ? vg_oci_remote_status_error(c, what, r.status, &r.body, err)
             : total > max   ? vg_err_set(err, VG_E_LIMIT, "%s: pages exceed %zu bytes", what, max)
                             : vg_oci_index_append_json(&all, r.body.data, r.body.len, what, err);
        if (rc == 0) {
            rc = vg_oci_remote_page_next(cur, vg_http_resp_header(&r, "Link"), &next, what, err);
        }
        vg_http_resp_dispose(&r);
    }
    free(next);
    if (rc == 0 && vg_oci_index_serialize(&all, out, err) < 0) {
        rc = vg_err_wrap(err, "%s", what);
    }
    vg_oci_index_dispose(&all);
    return rc < 0 ? -1 : 0;
}

int
vg_oci_remote_referrers(struct vg_oci_remote_client *c, const struct vg_digest *subject,
                        const char *artifact_type, struct vg_buf *out, bool *fallback,
                        struct vg_err **err)
{
    *fallback = false;
    vg_autofree char *url = referrers_url(c, subject, artifact_type, err);
    if (!url) {
        return -1;
    }
    const char *hdrs[] = {"Accept: " VG_MT_OCI_INDEX};
    struct vg_http_req req = {.url = url,
                              .headers = hdrs,
                              .nheaders = 1,
                              .max_body = out->max ? out->max : VG_LIMIT_MANIFEST_BYTES};
    struct vg_http_resp resp;
    vg_autofree char *what = display(c, "referrers of ", subject->text);
    if (vg_oci_remote_do(c, &req, false, &resp, err) < 0) {
        return vg_err_wrap(err, "%s", what);
    }
    int rc;
    if (resp.status == 404) {
        *fallback = true;
        rc = referrers_fallback(c, subject, out, err);
    } else if (resp.status != 200) {
        rc = vg_oci_remote_status_error(c, what, resp.status, &resp.body, err);
    } else {
        rc = referrers_collect(c, url, &resp, what, out, err);
    }
    vg_http_resp_dispose(&resp);
    return rc;
}

/* ---------------------------------------------------------------- several at once */

void
vg_oci_remote_get_dispose(struct vg_oci_remote_get *g)
{
    vg_oci_remote_manifest_dispose(&g->manifest);
    vg_buf_dispose(&g->out);
    vg_err_free(&g->err);
    g->rc = 0;
    g->fallback = false;
}

/* A blob GET's response (any status) checked like vg_oci_remote_blob_get. */
static int
blob_from_resp(struct vg_oci_remote_client *c, const struct vg_digest *d, struct vg_http_resp *resp,
               struct vg_buf *out, struct vg_err **err)
{
    if (resp->status != 200) {
        vg_autofree char *u = vg_http_url_redact(resp->url);
        vg_autofree char *what = vg_fmt("GET %s", u);
        vg_autofree char *where = display(c, "", NULL);
        vg_oci_remote_status_error(c, what, resp->status, &resp->body, err);
        return vg_err_wrap(err, "blob %s in %s", d->text, where);
    }
    struct vg_digest got;
    vg_digest_of(&got, d->alg, resp->body.data, resp->body.len);
    if (!vg_digest_eq(&got, d)) {
        return vg_err_set(err, VG_E_VERIFY, "blob %s: content hashes to %s", d->text, got.text);
    }
    if (vg_buf_append(out, resp->body.data, resp->body.len, err) < 0) {
        return vg_err_wrap(err, "blob %s", d->text);
    }
    return 0;
}

/* Per item: up to two requests (referrers: the API and the fallback tag). */
struct many_slot {
    char *url[2];
    char *tag;
    const char *hdr[2][2];
    size_t first; /* index of the item's first request */
};

/* False (g->rc, g->err set) when the item cannot be requested. */
static bool
many_reqs(struct vg_oci_remote_client *c, struct vg_oci_remote_get *g, struct many_slot *s,
          const char *auth, struct vg_http_req *reqs, size_t *nreqs)
{
    if (g->kind == VG_OCI_REMOTE_GET_REFERRERS) {
        s->url[0] = referrers_url(c, &g->digest, g->artifact_type, &g->err);
        if (!s->url[0]) {
            g->rc = -1;
            return false;
        }
    }
    s->first = *nreqs;
    struct vg_http_req *r = &reqs[(*nreqs)++];
    switch (g->kind) {
    case VG_OCI_REMOTE_GET_MANIFEST:
        manifest_req(c, g->reference, s->hdr[0], r, &s->url[0]);
        break;
    case VG_OCI_REMOTE_GET_BLOB:
        s->url[0] = route_url(c, VG_OCI_DIST_R_BLOB, g->digest.text);
        *r = (struct vg_http_req){.url = s->url[0], .max_body = g->out.max};
        break;
    case VG_OCI_REMOTE_GET_REFERRERS:
        s->hdr[0][0] = "Accept: " VG_MT_OCI_INDEX;
        *r = (struct vg_http_req){.url = s->url[0],
                                  .headers = s->hdr[0],
                                  .nheaders = 1,
                                  .max_body = g->out.max ? g->out.max : VG_LIMIT_MANIFEST_BYTES};
        s->tag = fallback_tag(&g->digest);
        manifest_req(c, s->tag, s->hdr[1], &reqs[(*nreqs)++], &s->url[1]);
        break;
    }
    for (size_t i = s->first; i < *nreqs; i++) {
        if (auth) {
            size_t k = reqs[i].nheaders;
            const char **h = s->hdr[i - s->first];
            h[k] = auth;
            reqs[i].headers = h;
            reqs[i].nheaders = k + 1;
        }
    }
    return true;
}

/* Was the parallel answer final (no challenge to answer, no transport error)? */
static bool
many_ok(const struct vg_http_resp *resp, const struct vg_err *e)
{
    return !e && resp->status != 401;
}

static void
many_finish(struct vg_oci_remote_client *c, struct vg_oci_remote_get *g, struct many_slot *s,
            struct vg_http_resp *resps, struct vg_err **errs)
{
    struct vg_http_resp *r = &resps[s->first];
    struct vg_err **e = &errs[s->first];
    switch (g->kind) {
    case VG_OCI_REMOTE_GET_MANIFEST:
        g->rc = many_ok(r, *e) ? manifest_from_resp(c, g->reference, r, &g->manifest, &g->err)
                               : vg_oci_remote_manifest_get(c, g->reference, &g->manifest, &g->err);
        break;
    case VG_OCI_REMOTE_GET_BLOB:
        g->rc = many_ok(r, *e) ? blob_from_resp(c, &g->digest, r, &g->out, &g->err)
                               : vg_oci_remote_blob_get(c, &g->digest, &g->out, &g->err);
        break;
    case VG_OCI_REMOTE_GET_REFERRERS:
        if (!many_ok(r, *e) || (r->status != 404 && r->status != 200)) {
            g->rc = vg_oci_remote_referrers(c, &g->digest, g->artifact_type, &g->out, &g->fallback,
                                            &g->err);
        } else if (r->status == 200) {
            vg_autofree char *what = display(c, "referrers of ", g->digest.text);
            g->rc = referrers_collect(c, s->url[0], r, what, &g->out, &g->err);
        } else {
            g->fallback = true;
            struct vg_oci_remote_manifest m = {0};
            vg_autoerr struct vg_err *fe = NULL;
            int rc = many_ok(&r[1], e[1]) ? manifest_from_resp(c, s->tag, &r[1], &m, &fe)
                                          : vg_oci_remote_manifest_get(c, s->tag, &m, &fe);
            g->rc = fallback_result(rc, &fe, &m, &g->out, &g->err);
            vg_oci_remote_manifest_dispose(&m);
        }
        break;
    }
}

void
vg_oci_remote_get_many(struct vg_oci_remote_client *c, struct vg_oci_remote_get *g, size_t n)
{
    size_t cap = 2 * n + 1, nreqs = 0;
    struct vg_http_req *reqs = vg_calloc(cap, sizeof(*reqs));
    struct vg_http_resp *resps = vg_calloc(cap, sizeof(*resps));
    struct vg_err **errs = vg_calloc(cap, sizeof(*errs));
    struct many_slot *slots = vg_calloc(n ? n : 1, sizeof(*slots));
    char *auth = NULL;
    vg_autoerr struct vg_err *ae = NULL;
    bool parallel = vg_oci_remote_auth_line(c, false, &auth, &ae) == 0;
    for (size_t i = 0; i < n; i++) {
        g[i].rc = 0;
        g[i].err = NULL;
        g[i].fallback = false;
        memset(&g[i].manifest, 0, sizeof(g[i].manifest));
        if (g[i].kind == VG_OCI_REMOTE_GET_MANIFEST &&
            check_reference(g[i].reference, &g[i].err) < 0) {
            g[i].rc = -1;
            continue;
        }
        (void)many_reqs(c, &g[i], &slots[i], auth, reqs, &nreqs); /* failure: g[i].rc < 0 */
    }
    if (parallel) {
        vg_http_do_many(c->http, reqs, resps, errs, nreqs);
    } else {
        for (size_t i = 0; i < nreqs; i++) {
            vg_err_set(&errs[i], VG_E_AUTH, "not attempted"); /* the single path reports it */
        }
    }
    vg_http_secret_free(auth);
    for (size_t i = 0; i < n; i++) {
        if (g[i].rc == 0) {
            many_finish(c, &g[i], &slots[i], resps, errs);
        }
        free(slots[i].url[0]);
        free(slots[i].url[1]);
        free(slots[i].tag);
    }
    for (size_t i = 0; i < nreqs; i++) {
        vg_http_resp_dispose(&resps[i]);
        vg_err_free(&errs[i]);
    }
    free(slots);
    free(errs);
    free(resps);
    free(reqs);
}

/* ---------------------------------------------------------------- image source */

struct reg_source {
    struct vg_oci_source base;
    struct vg_oci_remote_client *c;
    struct vg_oci_ref *ref;
};

struct reg_stream {
    struct vg_oci_stream base;
    struct vg_http_stream *s;
};

static int
copy_manifest(struct vg_oci_remote_manifest *m, struct vg_buf *raw, char **media_type,
              struct vg_err **err)
{
    int rc = vg_buf_append(raw, m->data, m->len, err);
    if (rc == 0) {
        *media_type = vg_steal_ptr(&m->media_type);
    }
    vg_oci_remote_manifest_dispose(m);
    return rc;
}

static int
src_get_root(struct vg_oci_source *src, struct vg_buf *raw, char **media_type, struct vg_err **err)
{
    struct reg_source *rs = (struct reg_source *)src;
    const char *reference = rs->ref->digest ? rs->ref->digest : rs->ref->tag;
    struct vg_oci_remote_manifest m;
    if (vg_oci_remote_manifest_get(rs->c, reference, &m, err) < 0) {
        return -1;
    }
    return copy_manifest(&m, raw, media_type, err);
}

static int
src_get_manifest(struct vg_oci_source *src, const struct vg_oci_desc *d, struct vg_buf *raw,
                 char **media_type, struct vg_err **err)
{
    struct reg_source *rs = (struct reg_source *)src;
    struct vg_oci_remote_manifest m;
    if (vg_oci_remote_manifest_get(rs->c, d->digest.text, &m, err) < 0) {
        return -1;
    }
    return copy_manifest(&m, raw, media_type, err);
}

static int
stream_read(struct vg_oci_stream *s, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    return vg_http_stream_read(((struct reg_stream *)s)->s, buf, cap, got, err);
}

static void
stream_close(struct vg_oci_stream *s)
{
    vg_http_stream_close(((struct reg_stream *)s)->s);
    free(s);
}

static int
src_open_blob(struct vg_oci_source *src, const struct vg_oci_desc *d, struct vg_oci_stream **out,
              struct vg_err **err)
{
    struct reg_source *rs = (struct reg_source *)src;
    struct vg_http_stream *hs = NULL;
    if (blob_stream(rs->c, &d->digest, &hs, err) < 0) {
        return -1;
    }
    int64_t cl = vg_http_stream_length(hs);
    if (cl >= 0 && (uint64_t)cl != d->size) {
        vg_http_stream_close(hs);
        return vg_err_set(err, VG_E_VERIFY,
                          "blob %s: registry sends %lld bytes, descriptor "
                          "says %llu",
                          d->digest.text, (long long)cl, (unsigned long long)d->size);
    }
    struct reg_stream *s = vg_calloc(1, sizeof(*s));
    s->base.read = stream_read;
    s->base.close = stream_close;
    s->s = hs;
    *out = &s->base;
    return 0;
}

static void
src_free(struct vg_oci_source *src)
{
    struct reg_source *rs = (struct reg_source *)src;
    vg_oci_remote_client_free(rs->c);
    vg_oci_ref_free(rs->ref);
    free(rs->base.reference);
    free(rs);
}

static const struct vg_oci_source_ops registry_ops = {
    .transport = "docker",
    .get_root = src_get_root,
    .get_manifest = src_get_manifest,
    .open_blob = src_open_blob,
    .free = src_free,
};

int
vg_oci_remote_source_new(struct vg_oci_source **out, const char *spec,
                         const struct vg_oci_open_opts *opts, struct vg_err **err)
{
    struct vg_oci_ref *ref = NULL;
    if (vg_oci_ref_parse(&ref, spec, err) < 0) {
        return -1;
    }
    struct vg_oci_remote_client *c = vg_oci_remote_client_new(ref, opts, err);
    if (!c) {
        vg_oci_ref_free(ref);
        return -1;
    }
    struct reg_source *rs = vg_calloc(1, sizeof(*rs));
    rs->base.ops = &registry_ops;
    rs->base.reference = vg_oci_ref_string(ref);
    rs->c = c;
    rs->ref = ref;
    *out = &rs->base;
    return 0;
}

/* ---------------------------------------------------------------- vigil's scan API */

#define VIGIL_SCAN_BYTES (64u << 20)

int
vg_oci_remote_vigil_scan(struct vg_oci_remote_client *c, const struct vg_digest *d, json_t **doc,
                         char **status, char **message, struct vg_err **err)
{
    *doc = NULL;
    *status = NULL;
    *message = NULL;
    /* the repository matched the Distribution grammar at client creation; the digest is parsed */
    vg_autofree char *url = vg_fmt("%s://%s/vigil/v1/scans/%s@%s", c->plain_http ? "http" : "https",
                                   c->host, c->repo, d->text);
    vg_autofree char *what = display(c, "scan of ", d->text);
    struct vg_http_req req = {.url = url, .max_body = VIGIL_SCAN_BYTES};
    struct vg_http_resp resp;
    if (vg_oci_remote_do(c, &req, false, &resp, err) < 0) {
        return -1;
    }
    int rc = 0;
    json_t *j = NULL;
    if (resp.status == 200) {
        if (vg_json_parse(&j, resp.body.data, resp.body.len, VIGIL_SCAN_BYTES, what, err) < 0) {
            rc = -1;
        } else if (!json_is_object(j)) {
            rc = vg_err_set(err, VG_E_PARSE, "%s: not a JSON object", what);
        } else {
            *doc = j;
            j = NULL;
            *status = vg_strdup("done");
        }
    } else {
        bool parsed =
            vg_json_parse(&j, resp.body.data, resp.body.len, VIGIL_SCAN_BYTES, what, NULL) == 0;
        const json_t *e0 = parsed ? json_array_get(json_object_get(j, "errors"), 0) : NULL;
        const char *code = e0 ? vg_json_str(e0, "code") : NULL;
        const char *st = parsed ? vg_json_str(j, "status") : NULL;
        if (resp.status == 404 && code && strcmp(code, "SCAN_UNKNOWN") == 0 && st) {
            const char *m = vg_json_str(e0, "message");
            *status = vg_escape(st, strlen(st), 40);
            *message = m ? vg_escape(m, strlen(m), 400) : vg_strdup("");
        } else if (resp.status == 403 || resp.status == 401) {
            rc = vg_oci_remote_status_error(c, what, resp.status, &resp.body, err);
        } else if (resp.status == 404 && code && strcmp(code, "MANIFEST_UNKNOWN") == 0) {
            rc = vg_err_set(err, VG_E_NOTFOUND, "%s: the manifest is not in the repository", what);
        } else if (resp.status >= 400 && resp.status < 500) {
            *status = vg_strdup("absent"); /* not a vigil registry, or one without scanning */
            *message =
                vg_fmt("the registry does not serve vigil's scan API (HTTP %ld)", resp.status);
        } else {
            rc = vg_oci_remote_status_error(c, what, resp.status, &resp.body, err);
        }
    }
    json_decref(j);
    vg_http_resp_dispose(&resp);
    return rc;
}
