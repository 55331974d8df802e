/* SPDX-License-Identifier: Apache-2.0
 *
 * Blob reads and deletes (spec end-2, end-10). Existence in a repository is the metadata
 * store's answer; the bytes come from the storage driver's read handle, sent from its fd
 * (sendfile) with single byte ranges answered 206. Deleting removes only the repository's
 * link; the bytes go at garbage collection.
 */
#include <string.h>
#include <unistd.h>

#include "registry/registry_int.h"

/* One range of RFC 9110: "bytes=a-b", "bytes=a-" or "bytes=-n". Returns 1 for a satisfiable
 * range, 0 when the header is to be ignored (not bytes, several ranges), -1 unsatisfiable. */
static int
parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
    struct vg_str v = vg_str_trim(vg_str_c(h)), lo, hi;
    if (!vg_str_startswith(v, "bytes=") || memchr(v.ptr, ',', v.len)) {
        return 0;
    }
    v.ptr += 6;
    v.len -= 6;
    if (!vg_str_cut(v, '-', &lo, &hi)) {
        return 0;
    }
    lo = vg_str_trim(lo);
    hi = vg_str_trim(hi);
    uint64_t a, b;
    if (lo.len == 0) {
        if (vg_parse_u64(hi, UINT64_MAX, &b) < 0) {
            return 0;
        }
        if (b == 0 || size == 0) {
            return -1;
        }
        *len = b < size ? b : size;
        *off = size - *len;
        return 1;
    }
    if (vg_parse_u64(lo, UINT64_MAX, &a) < 0 || (hi.len && vg_parse_u64(hi, UINT64_MAX, &b) < 0)) {
        return 0;
    }
    if (!hi.len || b >= size) {
        b = size ? size - 1 : 0;
    }
    if (a >= size || b < a) {
        return -1;
    }
    *off = a;
    *len = b - a + 1;
    return 1;
}

int
vg_registry_blob_get(struct vg_httpd_req *r, struct rq *q)
{
    struct vg_registry *reg = q->reg;
    const struct vg_digest *d = &q->route.digest;
    uint64_t size;
    struct vg_err *err = NULL;
    if (reg->meta->ops->blob_get(reg->meta, q->route.name, d, &size, &err) < 0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_BLOB_UNKNOWN, "blob lookup failed");
    }
    struct vg_registry_rhandle *h = NULL;
    if (reg->storage->ops->blob_open(reg->storage, d, &h, &err) < 0) {
        /* A row without bytes is damage (or a GC race): say unknown, log it. */
        VG_EVENT(VG_LOG_WARN, "registry", "blob row without content", VG_KV_STR("digest", d->text));
        return vg_registry_error_from(r, &err, VG_OCI_DIST_BLOB_UNKNOWN, "blob open failed");
    }
    size = h->size;
    char etag[sizeof(d->text) + 2];
    snprintf(etag, sizeof(etag), "\"%s\"", d->text);
    vg_registry_header(r, "Docker-Content-Digest", d->text);
    vg_registry_header(r, "ETag", etag);
    vg_registry_header(r, "Accept-Ranges", "bytes");
    unsigned status = 200;
    uint64_t off = 0, len = size;
    const char *range = vg_httpd_header(r, "Range");
    int pr = range && vg_httpd_method(r) == VG_HTTP_GET ? parse_range(range, size, &off, &len) : 0;
    if (pr < 0) {
        vg_registry_rhandle_free(h);
        char cr[48];
        snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
        vg_registry_header(r, "Content-Range", cr);
        return vg_registry_error(r, VG_OCI_DIST_RANGE_INVALID, 416, "range not satisfiable");
    }
    if (pr > 0) {
        char cr[80];
        snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)off,
                 (unsigned long long)(off + len - 1), (unsigned long long)size);
        vg_registry_header(r, "Content-Range", cr);
        status = 206;
    }
    int fd = h->ops->take_fd(h);
    vg_registry_rhandle_free(h);
    if (fd < 0) {
        vg_err_set(&err, VG_E_UNSUPPORTED, "storage driver has no file descriptor");
        return vg_registry_error_from(r, &err, VG_OCI_DIST_BLOB_UNKNOWN, "blob send failed");
    }
    if (vg_httpd_respond_fd(r, status, "application/octet-stream", fd, off, len, &err) < 0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_BLOB_UNKNOWN, "blob send failed");
    }
    return 0;
}

int
vg_registry_blob_delete(struct vg_httpd_req *r, struct rq *q)
{
    struct vg_registry *reg = q->reg;
    struct vg_err *err = NULL;
    if (reg->meta->ops->blob_unlink(reg->meta, q->route.name, &q->route.digest, &err) < 0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_BLOB_UNKNOWN, "blob delete failed");
    }
    VG_EVENT(VG_LOG_INFO, "registry", "blob unlinked", VG_KV_STR("repo", q->route.name),
             VG_KV_STR("digest", q->route.digest.text));
    return vg_registry_respond_empty(r, 202);
}
