/* SPDX-License-Identifier: Apache-2.0
 *
 * The docker-daemon transport, "docker-daemon:REF": an image held by a local Docker Engine,
 * read through its API on the Unix socket DOCKER_HOST names (unix:// only; default
 * /var/run/docker.sock). GET /images/{REF}/json resolves the name (a clear "not found" before
 * anything is streamed), then GET /images/{REF}/get streams the image as a docker-archive tar,
 * which is spooled into an unlinked temporary file (O_TMPFILE in $TMPDIR, bounded in size) and
 * read by the docker-archive reader: the archive's layers need random access, which a socket
 * cannot give. Every layer is then verified against its diffID as for any docker archive.
 */
#include "source_int.h"

#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAEMON_DEFAULT_SOCKET "/var/run/docker.sock"
#define DAEMON_SPOOL_MAX      VG_LIMIT_LAYER_UNPACKED_BYTES

/* The socket path from DOCKER_HOST, or the default. */
static int
daemon_socket(char **out, struct vg_err **err)
{
    const char *h = getenv("DOCKER_HOST");
    if (!h || !*h) {
        *out = vg_strdup(DAEMON_DEFAULT_SOCKET);
        return 0;
    }
    if (!vg_cstr_startswith(h, "unix://") || h[7] != '/') {
        vg_autofree char *esc = vg_escape(h, strlen(h), 100);
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "DOCKER_HOST=%s: docker-daemon: reads only a local unix:///PATH socket",
                          esc);
    }
    *out = vg_strdup(h + 7);
    return 0;
}

/* REF goes into a URL path as it is: only reference and ID characters are allowed. */
static int
daemon_check_ref(const char *spec, struct vg_err **err)
{
    size_t n = strlen(spec);
    if (n == 0) {
        return vg_err_set(err, VG_E_USAGE, "docker-daemon: needs an image (docker-daemon:REF)");
    }
    for (size_t i = 0; i < n; i++) {
        char c = spec[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-' || c == '/' || c == ':' || c == '@';
        if (!ok || n > 512) {
            vg_autofree char *esc = vg_escape(spec, n, 100);
            return vg_err_set(err, VG_E_USAGE, "docker-daemon:%s: not an image reference or ID",
                              esc);
        }
    }
    struct vg_digest d;
    bool is_id =
        (n == 64 && strspn(spec, "0123456789abcdef") == 64) || vg_digest_parse(&d, spec, NULL) == 0;
    struct vg_oci_ref *r = NULL;
    if (!is_id && vg_oci_ref_parse(&r, spec, err) < 0) {
        return vg_err_wrap(err, "docker-daemon:%s", spec);
    }
    vg_oci_ref_free(r);
    return 0;
}

/* GET /images/{ref}/json: the image must exist; its Id is checked for shape. */
static int
daemon_inspect(struct vg_http_client *c, const char *sock, const char *spec, struct vg_err **err)
{
    vg_autofree char *url = vg_fmt("http://docker/images/%s/json", spec);
    struct vg_http_req req = {.url = url, .max_body = VG_LIMIT_SMALL_JSON_BYTES, .no_retry = true};
    struct vg_http_resp resp = {0};
    if (vg_http_do(c, &req, &resp, err) < 0) {
        vg_http_resp_dispose(&resp);
        return vg_err_wrap(err,
                           "cannot reach the Docker daemon at unix://%s (is dockerd running? "
                           "DOCKER_HOST names another socket)",
                           sock);
    }
    int rc = 0;
    if (resp.status == 404) {
        rc = vg_err_set(err, VG_E_NOTFOUND, "docker-daemon: no image %s in the daemon at unix://%s",
                        spec, sock);
    } else if (vg_http_check_status("GET", url, resp.status, &resp.body, err) < 0) {
        rc = vg_err_wrap(err, "Docker daemon at unix://%s", sock);
    } else {
        vg_autojson json_t *j = NULL;
        struct vg_digest id;
        const char *s = NULL;
        if (vg_json_parse(&j, resp.body.data, resp.body.len, VG_LIMIT_SMALL_JSON_BYTES,
                          "image inspect", err) < 0) {
            rc = vg_err_wrap(err, "Docker daemon at unix://%s", sock);
        } else if (!(s = vg_json_str(j, "Id")) || vg_digest_parse(&id, s, NULL) < 0) {
            rc = vg_err_set(err, VG_E_PARSE,
                            "Docker daemon at unix://%s: image inspect of %s has no valid Id", sock,
                            spec);
        }
    }
    vg_http_resp_dispose(&resp);
    return rc;
}

static int
spool_tmpfile(int *out, struct vg_err **err)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) {
        dir = "/tmp";
    }
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        vg_autofree char *path = vg_fmt("%s/vigil-daemon-XXXXXX", dir);
        fd = mkostemp(path, O_CLOEXEC);
        if (fd >= 0) {
            (void)unlink(path);
        }
    }
    if (fd < 0) {
        return vg_err_sys(err, VG_E_IO, "create a temporary file in %s (set TMPDIR)", dir);
    }
    *out = fd;
    return 0;
}

/* GET /images/{ref}/get into a temporary file. */
static int
daemon_export(struct vg_http_client *c, const char *sock, const char *spec,
              struct vg_oci_archive_plain *plain, struct vg_err **err)
{
    vg_autofree char *url = vg_fmt("http://docker/images/%s/get", spec);
    struct vg_http_req req = {.url = url, .no_retry = true};
    struct vg_http_stream *s = NULL;
    if (vg_http_stream_open(c, &req, false, &s, err) < 0) {
        return vg_err_wrap(err, "Docker daemon at unix://%s: export %s", sock, spec);
    }
    int rc = spool_tmpfile(&plain->fd, err);
    uint8_t *buf = vg_malloc(256u * 1024u);
    while (rc == 0) {
        size_t got = 0;
        rc = vg_http_stream_read(s, buf, 256u * 1024u, &got, err);
        if (rc < 0) {
            vg_err_wrap(err, "Docker daemon at unix://%s: export %s", sock, spec);
            break;
        }
        if (got == 0) {
            break;
        }
        if (plain->size + got > DAEMON_SPOOL_MAX) {
            rc = vg_err_set(err, VG_E_LIMIT, "docker-daemon:%s: export larger than %llu bytes",
                            spec, (unsigned long long)DAEMON_SPOOL_MAX);
        } else if (vg_fd_write_all(plain->fd, buf, got) < 0) {
            rc = vg_err_sys(err, VG_E_IO, "docker-daemon:%s: write the temporary copy", spec);
        }
        plain->size += got;
    }
    free(buf);
    vg_http_stream_close(s);
    return rc;
}

int
vg_oci_daemon_source_new(struct vg_oci_source **out, const char *spec,
                         const struct vg_oci_open_opts *opts, struct vg_err **err)
{
    vg_autofree char *sock = NULL;
    if (daemon_check_ref(spec, err) < 0 || daemon_socket(&sock, err) < 0) {
        return -1;
    }
    struct vg_http_client_opts co = VG_HTTP_CLIENT_OPTS_INIT;
    co.unix_socket = sock;
    co.deadline_ns = opts ? opts->deadline_ns : 0;
    co.stall_timeout_s = opts ? opts->stall_timeout_s : 0;
    co.max_retries = -1;
    struct vg_http_client *c = NULL;
    if (vg_http_client_new(&c, &co, err) < 0) {
        return -1;
    }
    struct vg_oci_archive_plain plain = {.fd = -1, .compression = "none"};
    int rc = daemon_inspect(c, sock, spec, err);
    if (rc == 0) {
        rc = daemon_export(c, sock, spec, &plain, err);
    }
    vg_http_client_free(c);
    if (rc < 0) {
        if (plain.fd >= 0) {
            close(plain.fd);
        }
        return -1;
    }
    /* The export holds exactly this image; "docker-daemon" names the spooled copy in
     * messages (a name without ':' so that no REF is read from it). */
    if (vg_oci_archive_source_new_plain(out, "docker-daemon", &plain, opts, err) < 0) {
        return vg_err_wrap(err, "docker-daemon:%s", spec);
    }
    free((*out)->reference);
    (*out)->reference = vg_fmt("docker-daemon:%s", spec);
    return 0;
}
