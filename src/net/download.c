/* SPDX-License-Identifier: Apache-2.0
 *
 * File downloads for database updates: conditional GET (If-None-Match / If-Modified-Since),
 * writing to "<dest>.part" beside the destination, resuming a partial file with Range +
 * If-Range when the server gave it a validator ("<dest>.part.validator"), and an atomic rename
 * once the file is complete and fsynced. A download interrupted mid-body is resumed within the
 * same call, at most VG_LIMIT_HTTP_RETRIES times.
 *
 * It does not verify content (the caller checks signatures or digests of what it downloaded).
 */
#include "xfer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAX_DOWNLOAD (16ull * 1024ull * 1024ull * 1024ull)
#define CHUNK                (64u * 1024u)
#define VALIDATOR_MAX        1024u

void
vg_http_download_result_dispose(struct vg_http_download_result *r)
{
    if (!r) {
        return;
    }
    free(r->etag);
    free(r->last_modified);
    memset(r, 0, sizeof(*r));
}

struct dl {
    struct vg_http_client *c;
    const char *url, *dest;
    char *part, *vfile;
    uint64_t max;
    vg_http_progress_fn progress;
    void *pud;
};

/* Validator stored for a partial file: a strong ETag, else Last-Modified. */
static char *
validator_of(struct vg_http_stream *s)
{
    const char *et = vg_http_stream_header(s, "ETag");
    if (et && *et && !vg_cstr_startswith(et, "W/") && strlen(et) < VALIDATOR_MAX) {
        return vg_strdup(et);
    }
    const char *lm = vg_http_stream_header(s, "Last-Modified");
    if (lm && *lm && strlen(lm) < VALIDATOR_MAX) {
        return vg_strdup(lm);
    }
    return NULL;
}

static bool
header_value_ok(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return false;
        }
    }
    return true;
}

/* Size of a resumable partial file (0 when there is none or no validator for it). */
static uint64_t
partial_size(struct dl *d, char **validator)
{
    struct stat st;
    *validator = NULL;
    if (stat(d->part, &st) < 0 || st.st_size <= 0) {
        return 0;
    }
    struct vg_buf v = VG_BUF_INIT(VALIDATOR_MAX);
    if (vg_file_read(&v, d->vfile, VALIDATOR_MAX, NULL) < 0 || v.len == 0 ||
        !header_value_ok(vg_buf_cstr(&v))) {
        vg_buf_dispose(&v);
        return 0;
    }
    *validator = vg_buf_take(&v, NULL);
    return (uint64_t)st.st_size;
}

/* "bytes START-END/TOTAL": START must equal what we have. */
static bool
content_range_starts_at(const char *cr, uint64_t at)
{
    if (!cr || !vg_cstr_startswith(cr, "bytes ")) {
        return false;
    }
    struct vg_str rest = vg_str_c(cr + 6), start, tail;
    uint64_t v = 0;
    if (!vg_str_cut(rest, '-', &start, &tail) || vg_parse_u64(start, UINT64_MAX, &v) < 0) {
        return false;
    }
    return v == at;
}

static int
write_all(int fd, const void *p, size_t n, const char *path, struct vg_err **err)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return vg_err_sys(err, VG_E_IO, "write %s", path);
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int
copy_body(struct dl *d, struct vg_http_stream *s, int fd, uint64_t have, struct vg_err **err)
{
    uint8_t buf[CHUNK];
    int64_t cl = vg_http_stream_length(s);
    uint64_t total = cl >= 0 ? have + (uint64_t)cl : 0;
    if (total > d->max) {
        return vg_err_set(err, VG_E_LIMIT, "download exceeds %llu bytes",
                          (unsigned long long)d->max);
    }
    for (;;) {
        size_t got = 0;
        if (vg_http_stream_read(s, buf, sizeof(buf), &got, err) < 0) {
            return -1;
        }
        if (got == 0) {
            return 0;
        }
        if (have + got > d->max) {
            return vg_err_set(err, VG_E_LIMIT, "download exceeds %llu bytes",
                              (unsigned long long)d->max);
        }
        if (write_all(fd, buf, got, d->part, err) < 0) {
            return -1;
        }
        have += got;
        if (d->progress) {
            d->progress(d->pud, have, total);
        }
    }
}

static int
finish_file(struct dl *d, int fd, struct vg_http_download_result *res, struct vg_err **err)
{
    struct stat st;
    if (fsync(fd) < 0 || fstat(fd, &st) < 0) {
        return vg_err_sys(err, VG_E_IO, "sync %s", d->part);
    }
    if (rename(d->part, d->dest) < 0) {
        return vg_err_sys(err, VG_E_IO, "rename %s to %s", d->part, d->dest);
    }
    unlink(d->vfile);
    res->bytes = (uint64_t)st.st_size;
    return 0;
}

static void
record_validators(struct vg_http_stream *s, struct vg_http_download_result *res)
{
    const char *et = vg_http_stream_header(s, "ETag");
    const char *lm = vg_http_stream_header(s, "Last-Modified");
    if (et && header_value_ok(et)) {
        free(res->etag);
        res->etag = vg_strdup(et);
    }
    if (lm && header_value_ok(lm)) {
        free(res->last_modified);
        res->last_modified = vg_strdup(lm);
    }
}

/* One request. Returns 1 when a retry (resume) makes sense, 0 when done, <0 on error. */
static int
attempt(struct dl *d, const char *etag_in, const char *lm_in, struct vg_http_download_result *res,
        struct vg_err **err)
{
    vg_autofree char *validator = NULL;
    uint64_t have = partial_size(d, &validator);
    vg_autofree char *h_inm =
        etag_in && header_value_ok(etag_in) ? vg_fmt("If-None-Match: %s", etag_in) : NULL;
    vg_autofree char *h_ims =
        lm_in && header_value_ok(lm_in) ? vg_fmt("If-Modified-Since: %s", lm_in) : NULL;
    vg_autofree char *h_range =
        have ? vg_fmt("Range: bytes=%llu-", (unsigned long long)have) : NULL;
    vg_autofree char *h_ifr = have ? vg_fmt("If-Range: %s", validator) : NULL;
    const char *hdrs[4];
    size_t nh = 0;
    const char *cand[] = {h_inm, h_ims, h_range, h_ifr};
    for (size_t i = 0; i < VG_ARRAY_LEN(cand); i++) {
        if (cand[i]) {
            hdrs[nh++] = cand[i];
        }
    }
    struct vg_http_req req = {.url = d->url, .headers = hdrs, .nheaders = nh};
    struct vg_http_stream *s = NULL;
    if (vg_http_stream_open(d->c, &req, true, &s, err) < 0) {
        return -1;
    }
    long st = vg_http_stream_status(s);
    res->status = st;
    if (st == 304) {
        res->not_modified = true;
        record_validators(s, res);
        vg_http_stream_close(s);
        return 0;
    }
    if (st == 416 && have) {
        vg_http_stream_close(s);
        unlink(d->part);
        unlink(d->vfile);
        return 1;
    }
    if (st != 200 && !(st == 206 && have)) {
        vg_http_stream_close(s);
        return vg_http_check_status("GET", d->url, st, NULL, err);
    }
    bool resume =
        st == 206 && content_range_starts_at(vg_http_stream_header(s, "Content-Range"), have);
    if (st == 206 && !resume) {
        vg_http_stream_close(s);
        unlink(d->part);
        unlink(d->vfile);
        return vg_err_set(err, VG_E_NET, "GET: server resumed at an unexpected offset");
    }
    record_validators(s, res);
    res->resumed = resume;
    vg_autofree char *v = validator_of(s);
    if (!resume) {
        unlink(d->vfile);
        have = 0;
    }
    vg_autoclose int fd =
        open(d->part, O_WRONLY | O_CREAT | O_CLOEXEC | (resume ? O_APPEND : O_TRUNC), 0644);
    if (fd < 0) {
        vg_http_stream_close(s);
        return vg_err_sys(err, VG_E_IO, "open %s", d->part);
    }
    if (v && !resume && vg_file_write_atomic(d->vfile, v, strlen(v), 0644, err) < 0) {
        vg_http_stream_close(s);
        return -1;
    }
    int rc = copy_body(d, s, fd, have, err);
    vg_http_stream_close(s);
    if (rc < 0) {
        /* A body cut short by the network is resumable when the server gave a validator. */
        return vg_err_root_code(*err) == VG_E_NET && v ? 1 : -1;
    }
    return finish_file(d, fd, res, err);
}

int
vg_http_download(struct vg_http_client *c, const char *url, const char *dest_path,
                 const char *etag_in, const char *last_modified_in, uint64_t max_bytes,
                 struct vg_http_download_result *result, vg_http_progress_fn progress,
                 void *progress_ud, struct vg_err **err)
{
    memset(result, 0, sizeof(*result));
    vg_autofree char *part = vg_fmt("%s.part", dest_path);
    vg_autofree char *vfile = vg_fmt("%s.part.validator", dest_path);
    struct dl d = {c,        url,        dest_path,
                   part,     vfile,      max_bytes ? max_bytes : DEFAULT_MAX_DOWNLOAD,
                   progress, progress_ud};
    for (int i = 0;; i++) {
        vg_autoerr struct vg_err *e = NULL;
        int rc = attempt(&d, etag_in, last_modified_in, result, &e);
        if (rc == 0) {
            return 0;
        }
        if (rc < 0 && !e) {
            return vg_err_set(err, VG_E_INTERNAL, "download failed without an error");
        }
        if (rc < 0 || i >= VG_LIMIT_HTTP_RETRIES) {
            vg_http_download_result_dispose(result);
            if (e) {
                enum vg_errc code = vg_err_root_code(e);
                if (err) {
                    *err = vg_steal_ptr(&e);
                }
                return -(int)code;
            }
            vg_autofree char *u = vg_http_url_redact(url);
            return vg_err_set(err, VG_E_NET, "GET %s: download did not complete", u);
        }
        VG_DEBUG("net", "download interrupted, resuming");
    }
}
