/* SPDX-License-Identifier: Apache-2.0
 *
 * Concurrency stress for httpd (no Criterion: see tests/support/stress.h), in both threading
 * modes: client threads keep keep-alive connections open across several of the header
 * watchdog's rounds while the main thread reopens the access log again and again (what SIGHUP
 * does). Checks every answer, and that the access log, reopened at the same path, has one line
 * per request. Under ThreadSanitizer this is the regression test for two races: the watchdog
 * read a connection's first_request_seen that the connection's thread stored without the lock,
 * and a request read log_fd without log_lock while a reopen replaced it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../support/stress.h"
#include "httpd/httpd.h"

#define CLIENTS       4u
#define CONNS         3u
#define REQS_PER_CONN 4u

struct client {
    uint16_t port;
    unsigned ok;
};

static int
hello_begin(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    struct vg_err *err = NULL;
    int rc = vg_httpd_respond(r, 200, "text/plain", "ok\n", 3, &err);
    vg_err_free(&err);
    return rc;
}

/* One response on a keep-alive connection: true when it is "200" with the body "ok\n". */
static bool
exchange(int fd)
{
    static const char req[] = "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1)) {
        return false;
    }
    char buf[2048];
    size_t len = 0;
    for (;;) {
        const char *end = len ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
        if (end && (size_t)(buf + len - (end + 4)) >= 3) {
            return strncmp(buf, "HTTP/1.1 200", 12) == 0 && memcmp(end + 4, "ok\n", 3) == 0;
        }
        if (len == sizeof(buf)) {
            return false;
        }
        ssize_t n = recv(fd, buf + len, sizeof(buf) - len, 0);
        if (n <= 0) {
            return false;
        }
        len += (size_t)n;
    }
}

static void *
client_main(void *arg)
{
    struct client *c = arg;
    for (unsigned k = 0; k < CONNS; k++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        STRESS_CHECK(fd >= 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(c->port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        STRESS_CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
        struct timeval tv = {.tv_sec = 30};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        for (unsigned i = 0; i < REQS_PER_CONN; i++) {
            c->ok += exchange(fd);
            usleep(80 * 1000); /* the connection stays open across watchdog rounds (200 ms) */
        }
        close(fd);
    }
    return NULL;
}

struct reopener {
    struct vg_httpd *h;
    atomic_bool stop;
    unsigned n;
};

static void *
reopen_main(void *arg)
{
    struct reopener *ro = arg;
    while (!atomic_load(&ro->stop)) {
        struct vg_err *err = NULL;
        STRESS_CHECK(vg_httpd_reopen_logs(ro->h, &err) == 0);
        ro->n++;
        usleep(5 * 1000);
    }
    return NULL;
}

static size_t
count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    STRESS_CHECK(f);
    size_t n = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF) {
        n += ch == '\n';
    }
    fclose(f);
    return n;
}

static void
run(bool tpc)
{
    char log[] = "/tmp/vg-httpd-stress-XXXXXX";
    int lfd = mkstemp(log);
    STRESS_CHECK(lfd >= 0);
    close(lfd);
    struct vg_httpd_config cfg = {.addr = "127.0.0.1:0",
                                  .threads = 2,
                                  .thread_per_connection = tpc,
                                  .access_log = log,
                                  .header_timeout_s = 30};
    struct vg_err *err = NULL;
    struct vg_httpd *h = vg_httpd_new(&cfg, &err);
    STRESS_CHECK(h);
    const struct vg_httpd_handler hd = {"hello", "/hello", VG_HTTP_GET, hello_begin,
                                        NULL,    NULL,     NULL};
    STRESS_CHECK(vg_httpd_route(h, &hd, &err) == 0);
    STRESS_CHECK(vg_httpd_start(h, &err) == 0);
    struct reopener ro = {.h = h};
    pthread_t rt;
    STRESS_CHECK(pthread_create(&rt, NULL, reopen_main, &ro) == 0);
    struct client cl[CLIENTS];
    for (unsigned i = 0; i < CLIENTS; i++) {
        cl[i] = (struct client){.port = vg_httpd_port(h)};
    }
    stress_run(CLIENTS, client_main, cl, sizeof(cl[0]));
    atomic_store(&ro.stop, true);
    pthread_join(rt, NULL);
    vg_httpd_free(h); /* joins the connection threads: every request is logged */
    for (unsigned i = 0; i < CLIENTS; i++) {
        STRESS_CHECK(cl[i].ok == CONNS * REQS_PER_CONN);
    }
    STRESS_CHECK(ro.n > 0);
    STRESS_CHECK(count_lines(log) == (size_t)CLIENTS * CONNS * REQS_PER_CONN);
    unlink(log);
}

int
main(void)
{
    run(false);
    run(true);
    printf("httpd stress: %u requests in each mode, log reopened meanwhile\n",
           CLIENTS * CONNS * REQS_PER_CONN);
    return 0;
}
