/* SPDX-License-Identifier: Apache-2.0
 *
 * A tiny server over httpd for the end-to-end tests (tests/e2e/test_httpd.py): real TLS with
 * Python's ssl client, SIGHUP certificate reload and SIGTERM drain. Not installed.
 * Usage: httpd_testsrv ADDR [CERT KEY]   — prints "port N" once listening.
 */
#include <string.h>
#include <unistd.h>

#include "httpd/httpd.h"

static int
echo_begin(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    return vg_httpd_body_buffer(r, 1u << 20);
}

static int
echo_end(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    size_t n;
    const void *p = vg_httpd_body(r, &n);
    struct vg_err *err = NULL;
    int rc = vg_httpd_respond(r, 200, "application/octet-stream", p, n, &err);
    vg_err_free(&err);
    return rc;
}

static int
slow_begin(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    fprintf(stderr, "slow: started\n");
    sleep(1);
    struct vg_err *err = NULL;
    int rc = vg_httpd_respond(r, 200, "text/plain", "slow\n", 5, &err);
    vg_err_free(&err);
    return rc;
}

int
main(int argc, char **argv)
{
    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: httpd_testsrv ADDR [CERT KEY]\n");
        return 2;
    }
    vg_log_init(NULL); /* VG_LOG, VIGIL_LOG_FORMAT as the CLI reads them */
    struct vg_httpd_config cfg = {.addr = argv[1], .threads = 2, .access_log = "-"};
    if (argc == 4) {
        cfg.tls_cert = argv[2];
        cfg.tls_key = argv[3];
    }
    struct vg_err *err = NULL;
    struct vg_httpd *h = vg_httpd_new(&cfg, &err);
    const struct vg_httpd_handler echo = {"echo",   "/echo", VG_HTTP_POST, echo_begin,
                                          echo_end, NULL,    NULL};
    const struct vg_httpd_handler slow = {"slow", "/slow", VG_HTTP_GET, slow_begin,
                                          NULL,   NULL,    NULL};
    if (!h || vg_httpd_route(h, &echo, &err) < 0 || vg_httpd_route(h, &slow, &err) < 0 ||
        vg_httpd_start(h, &err) < 0) {
        char *m = vg_err_format(err);
        fprintf(stderr, "httpd_testsrv: %s\n", m);
        free(m);
        vg_err_free(&err);
        vg_httpd_free(h);
        return 1;
    }
    vg_httpd_set_ready(h, true);
    printf("port %u\n", vg_httpd_port(h));
    fflush(stdout);
    int rc = vg_httpd_run(h, 10, &err);
    vg_httpd_free(h);
    vg_err_free(&err);
    return rc < 0 ? 1 : 0;
}
