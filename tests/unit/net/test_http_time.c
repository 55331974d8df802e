/* SPDX-License-Identifier: Apache-2.0
 *
 * The HTTP client's time limits against a loopback server that accepts, reads the request and
 * then says nothing: the stall limit (a transfer without a byte fails, naming the URL, and is
 * not retried) and the client's deadline (transfers end at it; nothing is sent after it).
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net.h"

#include "../../support/loopback.h"

struct silent {
    int fd, port;
    pthread_t th;
    int conns[16];
    size_t n; /* connections accepted (each one request) */
};

static void *
silent_main(void *p)
{
    struct silent *s = p;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) {
            return NULL;
        }
        char buf[4096];
        if (read(c, buf, sizeof(buf)) < 0) {
            /* the request's bytes do not matter */
        }
        if (s->n < 16) {
            s->conns[s->n] = c; /* kept open, silent, until the test ends */
        } else {
            close(c);
        }
        s->n++;
    }
}

static void
silent_start(struct silent *s)
{
    memset(s, 0, sizeof(*s));
    s->fd = lo_listen(&s->port);
    cr_assert_geq(s->fd, 0, "listen on 127.0.0.1");
    pthread_create(&s->th, NULL, silent_main, s);
}

static void
silent_stop(struct silent *s)
{
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->th, NULL);
    for (size_t i = 0; i < s->n && i < 16; i++) {
        close(s->conns[i]);
    }
}

static struct vg_http_client *
timed_client(long stall_s, uint64_t deadline_ns)
{
    struct vg_http_client_opts o = VG_HTTP_CLIENT_OPTS_INIT;
    o.retry_base_ms = 1;
    o.stall_timeout_s = stall_s;
    o.deadline_ns = deadline_ns;
    struct vg_http_client *c = NULL;
    cr_assert_eq(vg_http_client_new(&c, &o, NULL), 0);
    return c;
}

static char *
url(int port, const char *path)
{
    char *u = lo_url(port, path);
    cr_assert_not_null(u);
    return u;
}

static uint64_t
ms_since(uint64_t t0)
{
    return (vg_now_ns() - t0) / 1000000u;
}

Test(net_http_time, stalled_server_fails_after_the_stall_limit_unretried)
{
    struct silent s;
    silent_start(&s);
    struct vg_http_client *c = timed_client(1, 0);
    char *u = url(s.port, "/blob?token=secret");
    struct vg_http_req req = {.url = u};
    struct vg_http_resp r;
    struct vg_err *err = NULL;
    uint64_t t0 = vg_now_ns();
    cr_assert_lt(vg_http_do(c, &req, &r, &err), 0);
    uint64_t took = ms_since(t0);
    cr_assert(took >= 900 && took < 3500, "took %llu ms", (unsigned long long)took);
    cr_assert_eq(vg_err_code(err), VG_E_NET);
    char *msg = vg_err_format(err);
    cr_assert(strstr(msg, "/blob: stalled: no data received for 1 s"), "%s", msg);
    cr_assert_null(strstr(msg, "secret"), "%s", msg);
    free(msg);
    vg_err_free(&err);
    cr_assert_eq(s.n, 1); /* not retried */
    free(u);
    vg_http_client_free(c);
    silent_stop(&s);
}

Test(net_http_time, stalled_stream_fails_too)
{
    struct silent s;
    silent_start(&s);
    struct vg_http_client *c = timed_client(1, 0);
    char *u = url(s.port, "/layer");
    struct vg_http_req req = {.url = u};
    struct vg_http_stream *st = NULL;
    struct vg_err *err = NULL;
    uint64_t t0 = vg_now_ns();
    cr_assert_lt(vg_http_stream_open(c, &req, false, &st, &err), 0);
    cr_assert_lt(ms_since(t0), 3500);
    char *msg = vg_err_format(err);
    cr_assert(strstr(msg, "/layer: stalled"), "%s", msg);
    free(msg);
    vg_err_free(&err);
    free(u);
    vg_http_client_free(c);
    silent_stop(&s);
}

Test(net_http_time, deadline_ends_transfers_and_retries)
{
    struct silent s;
    silent_start(&s);
    struct vg_http_client *c = timed_client(30, vg_now_ns() + 1000000000ull);
    char *u = url(s.port, "/x");
    struct vg_http_req req = {.url = u};
    struct vg_http_resp r;
    struct vg_err *err = NULL;
    uint64_t t0 = vg_now_ns();
    cr_assert_lt(vg_http_do(c, &req, &r, &err), 0);
    uint64_t took = ms_since(t0);
    cr_assert(took >= 900 && took < 3500, "took %llu ms", (unsigned long long)took);
    char *msg = vg_err_format(err);
    cr_assert(strstr(msg, "/x: time limit reached"), "%s", msg);
    free(msg);
    vg_err_free(&err);
    /* Past the deadline nothing more is sent. */
    size_t before = s.n;
    cr_assert_lt(vg_http_do(c, &req, &r, &err), 0);
    msg = vg_err_format(err);
    cr_assert(strstr(msg, "time limit reached before the request"), "%s", msg);
    free(msg);
    vg_err_free(&err);
    usleep(100000);
    cr_assert_eq(s.n, before);
    free(u);
    vg_http_client_free(c);
    silent_stop(&s);
}
