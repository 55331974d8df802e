/* SPDX-License-Identifier: Apache-2.0
 *
 * The Distribution API v2 client, write side: blob existence checks, monolithic blob uploads
 * (POST an upload session, PUT the bytes with ?digest=), optional cross-repository mounts,
 * manifest PUTs and DELETEs. Every write asks for the "pull,push" scope.
 *
 * Chunked (PATCH) uploads are not implemented. Large blobs go through the streamed functions at
 * the end (a monolithic PUT whose body is produced on demand and verified on the way; a blob
 * streamed into a file descriptor): `vigil copy`, `save` and `load` hold no blob in memory.
 */
#include "remote_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>

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

/* ---------------------------------------------------------------- streamed uploads */

/* The PUT's body, pulled from the caller's reader as curl asks, so at most a few chunks are in
 * memory. Every byte goes through the verifier; the reader is never asked for more than the
 * descriptor's size, and once that many bytes have arrived the source must be at its end and
 * the digest right BEFORE the last chunk is handed to curl: a wrong, short or long source
 * fails the read, curl aborts the PUT with its body incomplete, and the registry cannot
 * commit the blob whatever it checks itself. */
struct put_pipe {
    vg_oci_remote_read_fn read;
    void *ud;
    const struct vg_oci_desc *d;
    struct vg_oci_verifier *v;
    struct vg_err *err;
    bool done;
};

/* All d->size bytes went through: the source must be exhausted and the digest must match. */
static int
pipe_verify_end(struct put_pipe *p)
{
    uint8_t probe[1];
    size_t got = 0;
    p->done = true;
    if (p->read(p->ud, probe, sizeof(probe), &got, &p->err) < 0 ||
        (got && vg_oci_verifier_update(p->v, probe, got, &p->err) < 0)) {
        return -1;
    }
    return vg_oci_verifier_finish_as(p->v, &p->d->digest, NULL, &p->err);
}

static long
pipe_read(void *ud, void *buf, size_t cap)
{
    struct put_pipe *p = ud;
    if (p->err) {
        return -1;
    }
    if (p->done) {
        return 0;
    }
    uint64_t left = p->d->size - vg_oci_verifier_seen(p->v);
    size_t want = left < (uint64_t)cap ? (size_t)left : cap;
    size_t got = 0;
    if (want && (p->read(p->ud, buf, want, &got, &p->err) < 0 ||
                 (got && vg_oci_verifier_update(p->v, buf, got, &p->err) < 0))) {
        return -1;
    }
    if (want && got == 0) { /* the source ended early: the size check says so */
        p->done = true;
        if (vg_oci_verifier_finish_as(p->v, &p->d->digest, NULL, &p->err) == 0) {
            vg_err_set(&p->err, VG_E_VERIFY, "blob %s: source ended early", p->d->digest.text);
        }
        return -1;
    }
    if (vg_oci_verifier_seen(p->v) == p->d->size && pipe_verify_end(p) < 0) {
        return -1;
    }
    return (long)got;
}

/* Best effort: a session left behind is abandoned anyway (the registry expires it). A registry
 * that has not yet noticed the aborted PUT's connection close may still hold the session as
 * busy (409, as vigil's registry does): the DELETE is retried a few times over about 6 s. */
static void
upload_cancel(struct vg_oci_remote_client *c, const char *loc)
{
    long delay_ms = 20;
    for (int attempt = 0; attempt < 10; attempt++) {
        struct vg_http_req req = {.method = "DELETE", .url = loc, .no_retry = true};
        struct vg_http_resp resp;
        vg_autoerr struct vg_err *e = NULL;
        if (vg_oci_remote_do(c, &req, true, &resp, &e) < 0) {
            VG_DEBUG("registry", "cancel upload: %s", e && e->msg ? e->msg : "failed");
            return;
        }
        long status = resp.status;
        vg_http_resp_dispose(&resp);
        VG_DEBUG("registry", "cancel upload: HTTP %ld", status);
        if (status != 409) {
            return;
        }
        struct timespec ts = {.tv_sec = delay_ms / 1000, .tv_nsec = (delay_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        }
        delay_ms = delay_ms < 1000 ? delay_ms * 2 : delay_ms;
    }
}

/* The PUT of an open session loc; the pipe's error (a source failure or a mismatch) explains an
 * aborted transfer better than curl's. */
static int
put_session(struct vg_oci_remote_client *c, const char *loc, struct put_pipe *p,
            struct vg_err **err)
{
    const struct vg_digest *d = &p->d->digest;
    vg_autofree char *url = vg_fmt("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", d->text);
    const char *hdrs[] = {"Content-Type: application/octet-stream"};
    struct vg_http_req req = {.method = "PUT",
                              .url = url,
                              .headers = hdrs,
                              .nheaders = 1,
                              .body_read = pipe_read,
                              .body_read_ud = p,
                              .body_read_len = (int64_t)p->d->size,
                              .no_retry = true};
    struct vg_http_resp resp;
    int rc = vg_oci_remote_do(c, &req, true, &resp, err);
    if (p->err) {
        if (rc == 0) {
            vg_http_resp_dispose(&resp);
        } else if (err) {
            vg_err_free(err);
        }
        if (err) {
            *err = vg_steal_ptr(&p->err);
        }
        vg_err_free(&p->err);
        return -1;
    }
    if (rc < 0) {
        return vg_err_wrap(err, "upload %s", d->text);
    }
    if (resp.status != 201 && resp.status != 204 && resp.status != 200) {
        vg_autofree char *what = vg_fmt("upload %s", d->text);
        rc = vg_oci_remote_status_error(c, what, resp.status, &resp.body, err);
    } else if (!p->done) {
        rc = vg_err_set(err, VG_E_INTERNAL, "upload %s: committed before it was verified", d->text);
    }
    vg_http_resp_dispose(&resp);
    return rc;
}

int
vg_oci_remote_blob_put_stream(struct vg_oci_remote_client *c, const struct vg_oci_desc *d,
                              vg_oci_remote_read_fn read, void *ud, struct vg_err **err)
{
    struct put_pipe p = {.read = read, .ud = ud, .d = d};
    p.v = vg_oci_verifier_new(&d->digest, d->size);
    int rc = 0;
    /* An empty blob: curl may never ask for its body, so it is verified up front. */
    if (d->size == 0 && pipe_verify_end(&p) < 0) {
        if (err) {
            *err = vg_steal_ptr(&p.err);
        }
        vg_err_free(&p.err);
        rc = -1;
    }
    vg_autofree char *loc = NULL;
    if (rc == 0 && (rc = upload_start(c, &d->digest, NULL, &loc, err)) == 0 && loc &&
        (rc = put_session(c, loc, &p, err)) < 0) {
        upload_cancel(c, loc);
    }
    vg_oci_verifier_free(p.v);
    return rc;
}

/* ---------------------------------------------------------------- streamed copy */

static int
http_src_read(void *ud, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    return vg_http_stream_read(ud, buf, cap, got, err);
}

/* A streamed GET of blob d whose Content-Length (when sent) must be d->size. */
static int
blob_open(struct vg_oci_remote_client *c, const struct vg_oci_desc *d, struct vg_http_stream **out,
          struct vg_err **err)
{
    struct vg_oci_dist_route route = {.kind = VG_OCI_DIST_R_BLOB, .reference = d->digest.text};
    vg_autofree char *url = NULL;
    if (vg_oci_remote_route_url(c, &route, &url, err) < 0) {
        return -1;
    }
    struct vg_http_req get = {.url = url};
    if (vg_oci_remote_stream(c, &get, false, out, err) < 0) {
        return vg_err_wrap(err, "blob %s", d->digest.text);
    }
    int64_t cl = vg_http_stream_length(*out);
    if (cl >= 0 && (uint64_t)cl != d->size) {
        vg_http_stream_close(*out);
        *out = NULL;
        return vg_err_set(err, VG_E_VERIFY,
                          "blob %s: the source sends %lld bytes, the descriptor says %llu",
                          d->digest.text, (long long)cl, (unsigned long long)d->size);
    }
    return 0;
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
    struct vg_http_stream *s = NULL;
    if (blob_open(src, d, &s, err) < 0) {
        return -1;
    }
    int rc = vg_oci_remote_blob_put_stream(dst, d, http_src_read, s, err);
    vg_http_stream_close(s);
    return rc < 0 ? vg_err_wrap(err, "copy blob %s", d->digest.text) : 0;
}

int
vg_oci_remote_blob_fetch_fd(struct vg_oci_remote_client *c, const struct vg_oci_desc *d, int fd,
                            struct vg_err **err)
{
    struct vg_http_stream *s = NULL;
    if (blob_open(c, d, &s, err) < 0) {
        return -1;
    }
    enum { CHUNK = 64 * 1024 };
    uint8_t *chunk = vg_malloc(CHUNK);
    struct vg_oci_verifier *v = vg_oci_verifier_new(&d->digest, d->size);
    int rc = 0;
    for (;;) {
        size_t got = 0;
        if ((rc = vg_http_stream_read(s, chunk, CHUNK, &got, err)) < 0 || got == 0) {
            break;
        }
        if ((rc = vg_oci_verifier_update(v, chunk, got, err)) < 0) {
            break;
        }
        if (vg_fd_write_all(fd, chunk, got) < 0) {
            rc = vg_err_sys(err, VG_E_IO, "blob %s: write", d->digest.text);
            break;
        }
    }
    if (rc == 0) {
        rc = vg_oci_verifier_finish_as(v, &d->digest, NULL, err);
    }
    vg_oci_verifier_free(v);
    free(chunk);
    vg_http_stream_close(s);
    return rc;
}
