/* SPDX-License-Identifier: Apache-2.0
 *
 * Manifests, tags, catalog and referrers (spec end-3, end-7, end-8, end-9, end-12, and
 * Docker's /v2/_catalog). A pushed manifest is validated (manifest.c), every blob and child
 * manifest it references must already be in the repository (one MANIFEST_BLOB_UNKNOWN entry
 * per missing descriptor; the subject may be absent), its exact bytes are published as a blob
 * and only then the metadata transaction makes it and its tags visible. Manifests are served
 * byte-for-byte with the stored media type whatever the Accept header says (no rewriting, no
 * substitution of a list's child).
 */
#include <string.h>

#include "registry/notify.h"
#include "registry/registry_int.h"

/* ---------------------------------------------------------------- GET, HEAD, DELETE */

static int
resolve(struct vg_httpd_req *r, struct rq *q, struct vg_digest *d, bool *found)
{
    struct vg_registry *reg = q->reg;
    struct vg_err *err = NULL;
    *found = false;
    if (q->route.by_digest) {
        *d = q->route.digest;
    } else if (reg->meta->ops->tag_resolve(reg->meta, q->route.name, q->route.reference, d, &err) <
               0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_MANIFEST_UNKNOWN, "tag lookup failed");
    }
    *found = true;
    return 0;
}

int
vg_registry_manifest_get(struct vg_httpd_req *r, struct rq *q)
{
    struct vg_registry *reg = q->reg;
    struct vg_digest d;
    bool found;
    if (resolve(r, q, &d, &found) < 0 || !found) {
        return vg_httpd_responded(r) ? 0 : -1;
    }
    struct vg_registry_manifest_rec rec = {0};
    struct vg_err *err = NULL;
    if (reg->meta->ops->manifest_get(reg->meta, q->route.name, &d, &rec, &err) < 0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_MANIFEST_UNKNOWN,
                                      "manifest lookup failed");
    }
    bool denied = false;
    if (vg_registry_supply_gate(r, q, &d, &rec, &denied) < 0 || denied) {
        vg_registry_manifest_rec_dispose(&rec);
        return denied ? 0 : -1;
    }
    struct vg_registry_rhandle *h = NULL;
    int rc = reg->storage->ops->blob_open(reg->storage, &d, &h, &err);
    int fd = rc == 0 ? h->ops->take_fd(h) : -1;
    uint64_t size = rc == 0 ? h->size : 0;
    vg_registry_rhandle_free(h);
    if (rc == 0 && fd < 0) {
        rc = vg_err_set(&err, VG_E_UNSUPPORTED, "storage driver has no file descriptor");
    }
    if (rc < 0) {
        vg_registry_manifest_rec_dispose(&rec);
        return vg_registry_error_from(r, &err, VG_OCI_DIST_MANIFEST_UNKNOWN,
                                      "manifest open failed");
    }
    char etag[sizeof(d.text) + 2];
    snprintf(etag, sizeof(etag), "\"%s\"", d.text);
    vg_registry_header(r, "Docker-Content-Digest", d.text);
    vg_registry_header(r, "ETag", etag);
    rc = vg_httpd_respond_fd(r, 200, rec.media_type, fd, 0, size, &err);
    if (rc == 0 && vg_httpd_method(r) == VG_HTTP_GET) {
        vg_registry_notify_request(r, q, VG_NOTIFY_PULL, rec.media_type, &d, size, NULL);
    }
    vg_registry_manifest_rec_dispose(&rec);
    if (rc < 0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_MANIFEST_UNKNOWN,
                                      "manifest send failed");
    }
    return 0;
}

int
vg_registry_manifest_delete(struct vg_httpd_req *r, struct rq *q)
{
    struct vg_registry *reg = q->reg;
    struct vg_err *err = NULL;
    int rc = q->route.by_digest
                 ? reg->meta->ops->manifest_delete(reg->meta, q->route.name, &q->route.digest, &err)
                 : reg->meta->ops->tag_delete(reg->meta, q->route.name, q->route.reference, &err);
    if (rc < 0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_MANIFEST_UNKNOWN,
                                      "manifest delete failed");
    }
    vg_registry_supply_deleted(q);
    if (q->route.by_digest) {
        vg_registry_notify_request(r, q, VG_NOTIFY_DELETE, NULL, &q->route.digest, 0, NULL);
    }
    VG_EVENT(VG_LOG_INFO, "registry", q->route.by_digest ? "manifest deleted" : "tag deleted",
             VG_KV_STR("repo", q->route.name), VG_KV_STR("reference", q->route.reference));
    return vg_registry_respond_empty(r, 202);
}

/* ---------------------------------------------------------------- PUT */

/* Answers 400 with one MANIFEST_BLOB_UNKNOWN per reference missing from the repository. */
static int
check_refs(struct vg_httpd_req *r, struct rq *q, const struct vg_registry_manifest_info *mi,
           bool *ok)
{
    struct vg_registry *reg = q->reg;
    VG_VEC(struct vg_oci_dist_error_out) miss = VG_VEC_INIT;
    VG_VEC(char *) details = VG_VEC_INIT;
    int rc = 0;
    for (size_t i = 0; i < mi->nrefs && rc == 0; i++) {
        const struct vg_registry_manifest_ref *ref = &mi->refs[i];
        struct vg_err *err = NULL;
        uint64_t size;
        struct vg_registry_manifest_rec rec = {0};
        int got =
            ref->is_manifest
                ? reg->meta->ops->manifest_get(reg->meta, q->route.name, &ref->digest, &rec, &err)
                : reg->meta->ops->blob_get(reg->meta, q->route.name, &ref->digest, &size, &err);
        vg_registry_manifest_rec_dispose(&rec);
        if (got == 0) {
            continue;
        }
        if (vg_err_code(err) != VG_E_NOTFOUND) {
            rc = vg_registry_error_from(r, &err, VG_OCI_DIST_UNKNOWN, "reference lookup failed");
            break;
        }
        vg_err_free(&err);
        if (miss.n < VG_OCI_DIST_ERRORS_MAX) {
            char *det = vg_fmt("{\"digest\":\"%s\"}", ref->digest.text);
            vg_vec_push(&details, det);
            struct vg_oci_dist_error_out e = {VG_OCI_DIST_MANIFEST_BLOB_UNKNOWN,
                                              ref->is_manifest ? "manifest unknown to registry"
                                                               : "blob unknown to registry",
                                              det};
            vg_vec_push(&miss, e);
        }
    }
    *ok = rc == 0 && miss.n == 0 && !vg_httpd_responded(r);
    if (rc == 0 && miss.n) {
        vg_autobuf struct vg_buf body = VG_BUF_INIT(VG_OCI_DIST_ERRORS_BYTES * 2);
        struct vg_err *err = NULL;
        if (vg_oci_dist_errors_format(&body, miss.v, miss.n, &err) < 0 ||
            vg_httpd_respond(r, 400, "application/json", body.data, body.len, &err) < 0) {
            vg_err_free(&err);
            rc = -1;
        }
    }
    vg_strv_free(details.v, details.n);
    free(miss.v);
    return rc;
}

static int
digest_of_body(struct vg_httpd_req *r, struct rq *q, const void *body, size_t len,
               struct vg_digest *d, bool *ok)
{
    *ok = false;
    enum vg_digest_alg alg = q->route.by_digest ? q->route.digest.alg : VG_DIGEST_SHA256;
    vg_digest_of(d, alg, body, len);
    if (q->route.by_digest && !vg_digest_eq(d, &q->route.digest)) {
        return vg_registry_error(r, VG_OCI_DIST_DIGEST_INVALID, 0,
                                 "the manifest does not match the digest in the URL");
    }
    *ok = true;
    return 0;
}

static int
stored(struct vg_httpd_req *r, struct rq *q, const struct vg_registry_manifest_info *mi,
       const struct vg_digest *d)
{
    vg_autofree char *loc = vg_fmt("/v2/%s/manifests/%s", q->route.name, d->text);
    vg_registry_header(r, "Location", loc);
    vg_registry_header(r, "Docker-Content-Digest", d->text);
    if (mi->has_subject) {
        vg_registry_header(r, "OCI-Subject", mi->subject.text);
    }
    for (size_t i = 0; q->route.by_digest && i < q->ntags; i++) {
        vg_registry_header(r, "OCI-Tag", q->tags[i]);
    }
    VG_EVENT(VG_LOG_INFO, "registry", "manifest stored", VG_KV_STR("repo", q->route.name),
             VG_KV_STR("digest", d->text), VG_KV_STR("tag", q->ntags ? q->tags[0] : NULL));
    return vg_registry_respond_empty(r, 201);
}

static int
finish_manifest(struct vg_httpd_req *r, struct rq *q)
{
    struct vg_registry *reg = q->reg;
    size_t len;
    const void *body = vg_httpd_body(r, &len);
    struct vg_registry_manifest_info mi;
    struct vg_err *err = NULL;
    enum vg_oci_dist_code c =
        vg_registry_manifest_check(&mi, vg_httpd_header(r, "Content-Type"), body, len, &err);
    if (c != VG_OCI_DIST_OK) {
        vg_autofree char *msg = vg_err_format(err);
        vg_err_free(&err);
        return vg_registry_error(r, c, 0, msg);
    }
    struct vg_digest d;
    bool ok;
    int rc = digest_of_body(r, q, body, len, &d, &ok);
    if (rc == 0 && ok) {
        rc = check_refs(r, q, &mi, &ok);
    }
    if (rc == 0 && ok) {
        vg_autofree char *mt = vg_strdup(mi.media_type);
        struct vg_registry_manifest_rec rec = {
            .repo = q->route.name,
            .digest = d,
            .media_type = mt,
            .size = len,
            .artifact_type = mi.artifact_type,
            .has_subject = mi.has_subject,
            .subject = mi.subject,
            .annotations = mi.annotations,
        };
        if (reg->storage->ops->blob_put(reg->storage, &d, body, len, &err) < 0 ||
            reg->meta->ops->manifest_put(reg->meta, &rec, mi.refs, mi.nrefs, q->tags, q->ntags,
                                         &err) < 0) {
            rc = vg_registry_error_from(r, &err, VG_OCI_DIST_MANIFEST_INVALID,
                                        "manifest store failed");
        } else {
            rc = stored(r, q, &mi, &d);
            vg_registry_supply_pushed(q, &mi, &d);
            vg_registry_notify_request(r, q, VG_NOTIFY_PUSH, mi.media_type, &d, len, NULL);
        }
    }
    vg_registry_manifest_info_dispose(&mi);
    return rc;
}

static int
discard(void *sud, const void *p, size_t n, struct vg_err **err)
{
    (void)sud;
    (void)p;
    (void)n;
    (void)err;
    return 0;
}

static int
finish_too_large(struct vg_httpd_req *r, struct rq *q)
{
    char msg[96];
    snprintf(msg, sizeof(msg), "manifest larger than %llu bytes",
             (unsigned long long)q->reg->max_manifest);
    return vg_registry_error(r, VG_OCI_DIST_MANIFEST_INVALID, 413, msg);
}

/* Bodies up to this are read and dropped before a 413, so a client that sends without
 * "Expect: 100-continue" reads the answer instead of a reset connection. */
#define MANIFEST_DISCARD_MAX (64u * 1024u * 1024u)

int
vg_registry_manifest_put(struct vg_httpd_req *r, struct rq *q)
{
    struct vg_registry *reg = q->reg;
    const char *cl = vg_httpd_header(r, "Content-Length");
    uint64_t n;
    if (cl && vg_parse_u64(vg_str_c(cl), UINT64_MAX, &n) == 0 && n > reg->max_manifest) {
        if (n > MANIFEST_DISCARD_MAX || vg_httpd_header(r, "Expect")) {
            return finish_too_large(r, q);
        }
        q->finish = finish_too_large;
        return vg_httpd_body_sink(r, discard, q, n);
    }
    q->finish = finish_manifest;
    return vg_httpd_body_buffer(r, (size_t)reg->max_manifest);
}

/* ---------------------------------------------------------------- lists */

/* Link: </v2/...?n=N&last=L>; rel="next" for a page that has more after it. */
static void
link_next(struct vg_httpd_req *r, enum vg_oci_dist_route_kind kind, const char *name, size_t n,
          const char *last)
{
    struct vg_oci_dist_route rt = {.kind = kind, .name = name, .has_n = true, .n = n, .last = last};
    char *target = NULL;
    struct vg_err *err = NULL;
    if (vg_oci_dist_route_format(&target, &rt, &err) < 0) {
        vg_err_free(&err);
        return;
    }
    vg_autofree char *link = vg_fmt("<%s>; rel=\"next\"", target);
    free(target);
    vg_registry_header(r, "Link", link);
}

static size_t
page_size(struct rq *q)
{
    size_t max = q->reg->tags_page_max;
    return q->route.has_n && q->route.n < max ? (size_t)q->route.n : max;
}

static int
respond_list(struct vg_httpd_req *r, struct rq *q, const char *key, char **names, size_t n,
             const char *next_last)
{
    vg_autojson json_t *o = json_object();
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        vg_json_append_take(arr, json_string(names[i]));
    }
    if (q->route.kind == VG_OCI_DIST_R_TAGS) {
        vg_json_set_str(o, "name", q->route.name);
    }
    vg_json_set_take(o, key, arr);
    if (next_last) {
        link_next(r, q->route.kind, q->route.name, page_size(q), next_last);
    }
    struct vg_err *err = NULL;
    if (vg_httpd_respond_json(r, 200, o, &err) < 0) {
        vg_err_free(&err);
        return -1;
    }
    return 0;
}

int
vg_registry_tags_list(struct vg_httpd_req *r, struct rq *q)
{
    struct vg_registry *reg = q->reg;
    char **names = NULL;
    size_t n = 0;
    bool more = false;
    struct vg_err *err = NULL;
    if (reg->meta->ops->tags_list(reg->meta, q->route.name, q->route.last, page_size(q), &names, &n,
                                  &more, &err) < 0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_NAME_UNKNOWN, "tag list failed");
    }
    int rc = respond_list(r, q, "tags", names, n, more && n ? names[n - 1] : NULL);
    vg_strv_free(names, n);
    return rc;
}

#define CATALOG_SCAN_CHUNK 256u /* names read from the store per step of a filtered catalog */

/* A page of the repositories the caller may see: the store is read in chunks after `last` and
 * each name is asked about, until the page is full and one more visible name proves there is
 * a next page (so `n`, `last` and `Link` mean the same as unfiltered, over the visible names).
 * At most reg->catalog_scan_max names are read per request: when that budget runs out first,
 * the page is what was found so far (maybe empty) and *next_last is the last name read, so the
 * client's next request continues the walk there instead of one request walking every
 * repository a caller cannot see. *next_last NULL: no next page. */
static int
catalog_filtered(struct rq *q, size_t want, char ***out, size_t *nout, char **next_last,
                 struct vg_err **err)
{
    struct vg_registry *reg = q->reg;
    const struct vg_registry_authz *az = reg->authz;
    VG_VEC(char *) keep = VG_VEC_INIT;
    vg_autofree char *cursor = q->route.last ? vg_strdup(q->route.last) : NULL;
    bool more = false;
    bool store_more = want > 0;
    size_t budget = reg->catalog_scan_max;
    *next_last = NULL;
    while (store_more && !more && budget > 0) {
        char **names = NULL;
        size_t n = 0;
        size_t chunk = budget < CATALOG_SCAN_CHUNK ? budget : CATALOG_SCAN_CHUNK;
        if (reg->meta->ops->catalog(reg->meta, cursor, chunk, &names, &n, &store_more, err) < 0) {
            vg_strv_free(keep.v, keep.n);
            return -1;
        }
        budget -= n < budget ? n : budget;
        if (n) {
            free(cursor);
            cursor = vg_strdup(names[n - 1]); /* before the names are taken */
        }
        for (size_t i = 0; i < n && !more; i++) {
            if (!az->visible(az->ud, q->user, names[i])) {
                continue;
            }
            if (keep.n == want) {
                more = true;
            } else {
                vg_vec_push(&keep, vg_steal_ptr(&names[i]));
            }
        }
        vg_strv_free(names, n);
    }
    if (more) {
        *next_last = vg_strdup(keep.v[keep.n - 1]);
    } else if (store_more && budget == 0) {
        *next_last = vg_steal_ptr(&cursor);
    }
    *out = keep.v;
    *nout = keep.n;
    return 0;
}

int
vg_registry_catalog(struct vg_httpd_req *r, struct rq *q)
{
    struct vg_registry *reg = q->reg;
    char **names = NULL;
    size_t n = 0;
    bool more = false;
    vg_autofree char *next_last = NULL;
    struct vg_err *err = NULL;
    int rc = reg->authz->visible ? catalog_filtered(q, page_size(q), &names, &n, &next_last, &err)
                                 : reg->meta->ops->catalog(reg->meta, q->route.last, page_size(q),
                                                           &names, &n, &more, &err);
    if (rc < 0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_UNKNOWN, "catalog failed");
    }
    rc = respond_list(r, q, "repositories", names, n,
                      next_last   ? next_last
                      : more && n ? names[n - 1]
                                  : NULL);
    vg_strv_free(names, n);
    return rc;
}

int
vg_registry_referrers(struct vg_httpd_req *r, struct rq *q)
{
    struct vg_registry *reg = q->reg;
    struct vg_registry_manifest_rec *v = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    if (reg->meta->ops->referrers(reg->meta, q->route.name, &q->route.digest,
                                  q->route.artifact_type, &v, &n, &err) < 0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_UNKNOWN, "referrers failed");
    }
    vg_autojson json_t *idx = json_object();
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_object();
        vg_json_set_str(d, "mediaType", v[i].media_type);
        vg_json_set_str(d, "digest", v[i].digest.text);
        vg_json_set_take(d, "size", json_integer((json_int_t)v[i].size));
        vg_json_set_str(d, "artifactType", v[i].artifact_type);
        if (v[i].annotations) {
            vg_json_set_take(d, "annotations", json_loads(v[i].annotations, 0, NULL));
        }
        vg_json_append_take(arr, d);
    }
    vg_registry_manifest_recs_free(v, n);
    vg_json_set_take(idx, "schemaVersion", json_integer(2));
    vg_json_set_str(idx, "mediaType", VG_MT_OCI_INDEX);
    vg_json_set_take(idx, "manifests", arr);
    if (q->route.artifact_type) {
        vg_registry_header(r, "OCI-Filters-Applied", "artifactType");
    }
    char *text = vg_json_dumps(idx, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) {
        vg_err_set(&err, VG_E_INTERNAL, "referrers index not serialisable");
        return vg_registry_error_from(r, &err, VG_OCI_DIST_UNKNOWN, "referrers failed");
    }
    int rc = vg_httpd_respond(r, 200, VG_MT_OCI_INDEX, text, strlen(text), &err);
    free(text);
    if (rc < 0) {
        vg_err_free(&err);
    }
    return rc;
}
