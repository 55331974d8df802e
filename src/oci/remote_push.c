/* SPDX-License-Identifier: Apache-2.0
 *
 * The Distribution API v2 client, write side: blob existence checks, monolithic blob uploads
 * (POST an upload session, PUT the bytes with ?digest=), optional cross-repository mounts,
 * manifest PUTs and DELETEs. Every write asks for the "pull,push" scope.
 *
 * Chunked (PATCH) uploads are not implemented: signatures and attestations are small, and
 * `vigil copy` holds each blob in memory (sign/copy.c bounds it).
 */
#include "remote_int.h"

#include <string.h>

static int
blob_head(struct vg_oci_remote_client *c, const struct vg_digest *d, bool push, bool *exists,
          uint64_t *size, struct vg_err **err)
{
    struct vg_oci_dist_route route = {.kind = VG_OCI_DIST_R_BLOB, .reference = d->text};
    vg_autofree char *url = NULL;
    if (vg_oci_remote_route_url(c, &route, &url, err) < 0) {
        return -1;
    }
    struct vg_http_req req = {.method = "HEAD", .url = url};
    struct vg_http_resp resp;
    if (vg_oci_remote_do(c, &req, push, &resp, err) < 0) {
        return vg_err_wrap(err, "blob %s", d->text);
    }
    int rc = 0;
    *exists = resp.status == 200;
    if (resp.status == 200 && size) {
        const char *cl = vg_http_resp_header(&resp, "Content-Length");
        *size = 0;
        if (cl && vg_parse_u64(vg_str_c(cl), UINT64_MAX, size) < 0) {
            *size = 0;
        }
    } else if (resp.status != 200 && resp.status != 404) {
        vg_autofree char *what = vg_fmt("blob %s", d->text);
        rc = vg_oci_remote_status_error(c, what, resp.status, NULL, err);
    }
    vg_http_resp_dispose(&resp);
    return rc;
}

int
vg_oci_remote_blob_exists(struct vg_oci_remote_client *c, const struct vg_digest *d, bool *exists,
                          uint64_t *size, struct vg_err **err)
{
    return blob_head(c, d, false, exists, size, err);
}

/* Resolves an upload Location against the request URL; it must stay on the registry, since
 * the session is authorised with our token. */
static int
upload_location(const struct vg_http_resp *resp, const char *req_url, char **out,
                struct vg_err **err)
{
    const char *loc = vg_http_resp_header(resp, "Location");
    if (!loc || !*loc) {
        return vg_err_set(err, VG_E_NET, "upload session: registry sent no Location");
    }
    if (vg_http_url_resolve(out, req_url, loc, err) < 0) {
        return vg_err_wrap(err, "upload session");
    }
    if (!vg_http_url_same_origin(*out, req_url)) {
        free(*out);
        *out = NULL;
        return vg_err_set(err, VG_E_UNSUPPORTED, "upload session: Location points to another host");
    }
    return 0;
}

/* POST to start a session (or mount); *location is NULL when the mount succeeded. */
static int
upload_start(struct vg_oci_remote_client *c, const struct vg_digest *d, const char *mount_from,
             char **location, struct vg_err **err)
{
    struct vg_oci_dist_route route = {.kind = VG_OCI_DIST_R_UPLOAD_START,
                                      .has_mount = mount_from != NULL,
                                      .mount = *d,
                                      .from = mount_from};
    vg_autofree char *url = NULL;
    *location = NULL;
    if (vg_oci_remote_route_url(c, &route, &url, err) < 0) {
        return vg_err_wrap(err, "start upload of %s", d->text);
    }
    bool from = mount_from != NULL;
    struct vg_http_req req = {.method = "POST", .url = url};
    struct vg_http_resp resp;
    if (vg_oci_remote_do(c, &req, true, &resp, err) < 0) {
        return vg_err_wrap(err, "start upload of %s", d->text);
    }
    int rc = 0;
    if (resp.status == 201 && from) {
        VG_DEBUG("registry", "mounted %s from %s", d->text, mount_from);
    } else if (resp.status == 202 || resp.status == 201) {
        rc = upload_location(&resp, url, location, err);
    } else {
        vg_autofree char *what = vg_fmt("start upload of %s", d->text);
        rc = vg_oci_remote_status_error(c, what, resp.status, &resp.body, err);
    }
    vg_http_resp_dispose(&resp);
    return rc;
}

int
vg_oci_remote_blob_upload(struct vg_oci_remote_client *c, const struct vg_digest *d,
                          const void *data, size_t len, const char *mount_from, struct vg_err **err)
{
    struct vg_digest computed;
    vg_digest_of(&computed, d ? d->alg : VG_DIGEST_SHA256, data, len);
    if (d && !vg_digest_eq(d, &computed)) {
        return vg_err_set(err, VG_E_VERIFY, "upload %s: content hashes to %s", d->text,
                          computed.text);
    }
    bool exists = false;
    if (blob_head(c, &computed, true, &exists, NULL, err) < 0) {
        return -1;
    }
    if (exists) {
        return 0;
    }
    vg_autofree char *loc = NULL;
    if (upload_start(c, &computed, mount_from, &loc, err) < 0) {
        return -1;
    }
    if (!loc) {
        return 0;
    }
    vg_autofree char *url =
        vg_fmt("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", computed.text);
    const char *hdrs[] = {"Content-Type: application/octet-stream"};
    struct vg_http_req req = {
        .method = "PUT", .url = url, .headers = hdrs, .nheaders = 1, .body = data, .body_len = len};
    struct vg_http_resp resp;
    if (vg_oci_remote_do(c, &req, true, &resp, err) < 0) {
        return vg_err_wrap(err, "upload %s", computed.text);
    }
    int rc = 0;
    if (resp.status != 201 && resp.status != 204 && resp.status != 200) {
        vg_autofree char *what = vg_fmt("upload %s", computed.text);
        rc = vg_oci_remote_status_error(c, what, resp.status, &resp.body, err);
    }
    vg_http_resp_dispose(&resp);
    return rc;
}

int
vg_oci_remote_manifest_put(struct vg_oci_remote_client *c, const char *reference, const void *data,
                           size_t len, const char *media_type, struct vg_digest *out,
                           struct vg_err **err)
{
    if (len > VG_LIMIT_MANIFEST_BYTES) {
        return vg_err_set(err, VG_E_LIMIT, "manifest of %zu bytes exceeds %u", len,
                          VG_LIMIT_MANIFEST_BYTES);
    }
    struct vg_digest want;
    bool by_digest = vg_digest_valid(reference);
    vg_digest_of(out, VG_DIGEST_SHA256, data, len);
    if (by_digest) {
        if (vg_digest_parse(&want, reference, err) < 0) {
            return -1;
        }
        vg_digest_of(out, want.alg, data, len);
        if (!vg_digest_eq(&want, out)) {
            return vg_err_set(err, VG_E_VERIFY, "put manifest %s: content hashes to %s", reference,
                              out->text);
        }
    }
    struct vg_oci_dist_route route = {.kind = VG_OCI_DIST_R_MANIFEST, .reference = reference};
    vg_autofree char *url = NULL;
    if (vg_oci_remote_route_url(c, &route, &url, err) < 0) {
        return -1;
    }
    vg_autofree char *ct = vg_fmt("Content-Type: %s", media_type);
    const char *hdrs[] = {ct};
    struct vg_http_req req = {
        .method = "PUT", .url = url, .headers = hdrs, .nheaders = 1, .body = data, .body_len = len};
    struct vg_http_resp resp;
    vg_autofree char *what = vg_fmt("put manifest %s/%s:%s", c->registry, c->repo, reference);
    if (vg_oci_remote_do(c, &req, true, &resp, err) < 0) {
        return vg_err_wrap(err, "%s", what);
    }
    int rc = 0;
    if (resp.status != 201 && resp.status != 200 && resp.status != 204) {
        rc = vg_oci_remote_status_error(c, what, resp.status, &resp.body, err);
    } else {
        const char *hd = vg_http_resp_header(&resp, "Docker-Content-Digest");
        struct vg_digest sd;
        if (hd && vg_digest_parse(&sd, hd, NULL) == 0 && sd.alg == out->alg &&
            !vg_digest_eq(&sd, out)) {
            rc = vg_err_set(err, VG_E_VERIFY, "%s: registry stored %s, expected %s", what, sd.text,
                            out->text);
        }
    }
    vg_http_resp_dispose(&resp);
    return rc;
}

int
vg_oci_remote_manifest_delete(struct vg_oci_remote_client *c, const char *reference,
                              struct vg_err **err)
{
    struct vg_oci_dist_route route = {.kind = VG_OCI_DIST_R_MANIFEST, .reference = reference};
    vg_autofree char *url = NULL;
    if (vg_oci_remote_route_url(c, &route, &url, err) < 0) {
        return -1;
    }
    struct vg_http_req req = {.method = "DELETE", .url = url};
    struct vg_http_resp resp;
    vg_autofree char *what = vg_fmt("delete manifest %s/%s:%s", c->registry, c->repo, reference);
    if (vg_oci_remote_do(c, &req, true, &resp, err) < 0) {
        return vg_err_wrap(err, "%s", what);
    }
    int rc = 0;
    if (resp.status == 400 || resp.status == 405 || resp.status == 501) {
        rc = vg_err_set(err, VG_E_UNSUPPORTED, "%s: the registry refuses (HTTP %ld)", what,
                        resp.status);
    } else if (resp.status != 202 && resp.status != 200 && resp.status != 204) {
        rc = vg_oci_remote_status_error(c, what, resp.status, &resp.body, err);
    }
    vg_http_resp_dispose(&resp);
    return rc;
}

/* ---------------------------------------------------------------- streamed copy */

/* The PUT's body, pulled from the source's GET as curl asks: the source stream pauses while
 * the upload drains, so at most a few chunks are in memory. The verifier cuts the transfer off
 * at size + 1 bytes and, at the end, on a wrong size or digest, by failing the read (curl then
 * aborts the PUT, so the destination never commits the blob). */
struct copy_pipe {
    struct vg_http_stream *src;
    struct vg_oci_verifier *v;
    const struct vg_digest *want;
    struct vg_err *err;
    bool done;
};

static long
pipe_read(void *ud, void *buf, size_t cap)
{
    struct copy_pipe *p = ud;
    if (p->err) {
        return -1;
    }
    if (p->done) {
        return 0;
    }
    size_t got = 0;
    if (vg_http_stream_read(p->src, buf, cap, &got, &p->err) < 0 ||
        (got && vg_oci_verifier_update(p->v, buf, got, &p->err) < 0)) {
        return -1;
    }
    if (got == 0) {
        p->done = true;
        if (vg_oci_verifier_finish_as(p->v, p->want, NULL, &p->err) < 0) {
            return -1;
        }
    }
    return (long)got;
}

int
vg_oci_remote_blob_copy(struct vg_oci_remote_client *dst, struct vg_oci_remote_client *src,
                        const struct vg_oci_desc *d, struct vg_err **err)
{
    bool exists = false;
    if (blob_head(dst, &d->digest, true, &exists, NULL, err) < 0) {
        return -1;
    }
    if (exists) {
        return 0;
    }
    struct vg_oci_dist_route route = {.kind = VG_OCI_DIST_R_BLOB, .reference = d->digest.text};
    vg_autofree char *src_url = NULL;
    if (vg_oci_remote_route_url(src, &route, &src_url, err) < 0) {
        return -1;
    }
    struct vg_http_req get = {.url = src_url};
    struct copy_pipe p = {.want = &d->digest};
    if (vg_oci_remote_stream(src, &get, false, &p.src, err) < 0) {
        return vg_err_wrap(err, "blob %s", d->digest.text);
    }
    int64_t cl = vg_http_stream_length(p.src);
    if (cl >= 0 && (uint64_t)cl != d->size) {
        vg_http_stream_close(p.src);
        return vg_err_set(err, VG_E_VERIFY,
                          "blob %s: the source sends %lld bytes, the descriptor says %llu",
                          d->digest.text, (long long)cl, (unsigned long long)d->size);
    }
    vg_autofree char *loc = NULL;
    int rc = upload_start(dst, &d->digest, NULL, &loc, err);
    if (rc == 0 && loc) {
        p.v = vg_oci_verifier_new(&d->digest, d->size);
        vg_autofree char *url =
            vg_fmt("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", d->digest.text);
        const char *hdrs[] = {"Content-Type: application/octet-stream"};
        struct vg_http_req req = {.method = "PUT",
                                  .url = url,
                                  .headers = hdrs,
                                  .nheaders = 1,
                                  .body_read = pipe_read,
                                  .body_read_ud = &p,
                                  .body_read_len = (int64_t)d->size,
                                  .no_retry = true};
        struct vg_http_resp resp;
        rc = vg_oci_remote_do(dst, &req, true, &resp, err);
        if (p.err) {
            /* The source's failure (or a digest/size mismatch) explains the aborted PUT. */
            if (rc == 0) {
                vg_http_resp_dispose(&resp);
            } else if (err) {
                vg_err_free(err);
            }
            if (err) {
                *err = vg_steal_ptr(&p.err);
            }
            vg_err_free(&p.err);
            rc = vg_err_wrap(err, "copy blob %s", d->digest.text);
        } else if (rc < 0) {
            rc = vg_err_wrap(err, "upload %s", d->digest.text);
        } else {
            if (resp.status != 201 && resp.status != 204 && resp.status != 200) {
                vg_autofree char *what = vg_fmt("upload %s", d->digest.text);
                rc = vg_oci_remote_status_error(dst, what, resp.status, &resp.body, err);
            }
            vg_http_resp_dispose(&resp);
        }
        vg_oci_verifier_free(p.v);
    }
    vg_http_stream_close(p.src);
    return rc;
}
