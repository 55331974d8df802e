/* SPDX-License-Identifier: Apache-2.0
 *
 * One HTTP client used by several threads at once (net.h, thread safety), as the layer walk's
 * workers read distinct blobs of one remote image through one registry client: buffered
 * requests and streams from four threads against a keep-alive loopback server, so that the
 * client's shared connection cache hands connections between threads all the time. Each
 * response must be the one its request asked for. Before the share had lock callbacks this
 * corrupted the heap within a few hundred requests ("double free", SIGSEGV, or a response
 * read as HTTP/0.9).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net.h"

#include "../../support/loopback.h"

#define THREADS  4
#define REQUESTS 150
#define BODY_LEN 3000 /* more than one read of a stream */

struct ka_server {
    int fd, port;
    pthread_t th;
    atomic_size_t conns;
};

/* Each request "GET /n/<k>": answers BODY_LEN bytes of the letter 'a' + k % 26, keep-alive. */
static void *
conn_main(void *p)
{
    int c = (int)(intptr_t)p;
    char buf[8192];
    size_t len = 0;
    for (;;) {
        char *end = len ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
        if (!end) {
            if (len == sizeof(buf)) {
                break;
            }
            ssize_t r = read(c, buf + len, sizeof(buf) - len);
            if (r <= 0) {
                break;
            }
            len += (size_t)r;
            continue;
        }
        /* "GET /n/<k> HTTP/1.1" */
        const char *sp = memchr(buf, ' ', (size_t)(end - buf));
        const char *num = sp && strncmp(sp, " /n/", 4) == 0 ? sp + 4 : NULL;
        const char *numend = num ? memchr(num, ' ', (size_t)(end - num)) : NULL;
        uint64_t k64 = 0;
        if (!numend ||
            vg_parse_u64((struct vg_str){num, (size_t)(numend - num)}, UINT32_MAX, &k64) < 0) {
            break;
        }
        unsigned k = (unsigned)k64;
        char body[BODY_LEN];
        memset(body, 'a' + (int)(k % 26), sizeof(body));
        char head[128];
        int hl = snprintf(head, sizeof(head),
                          "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-N: %u\r\n\r\n", BODY_LEN, k);
        if (write(c, head, (size_t)hl) != hl || write(c, body, sizeof(body)) != BODY_LEN) {
            break;
        }
        size_t used = (size_t)(end + 4 - buf);
        memmove(buf, buf + used, len - used);
        len -= used;
    }
    close(c);
    return NULL;
}

static void *
ka_main(void *p)
{
    struct ka_server *s = p;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) {
            return NULL;
        }
        atomic_fetch_add(&s->conns, 1);
        pthread_t t;
        if (pthread_create(&t, NULL, conn_main, (void *)(intptr_t)c) != 0) {
            close(c);
            continue;
        }
        pthread_detach(t);
    }
}

struct worker {
    struct vg_http_client *c;
    int port;
    unsigned id;
    unsigned ok;
    char failure[256];
};

static bool
body_is(const uint8_t *b, size_t len, unsigned k)
{
    if (len != BODY_LEN) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (b[i] != 'a' + k % 26) {
            return false;
        }
    }
    return true;
}

static bool
one(struct worker *w, unsigned k)
{
    char *u = NULL;
    if (asprintf(&u, "http://127.0.0.1:%d/n/%u", w->port, k) < 0) {
        return false;
    }
    struct vg_http_req req = {.url = u};
    struct vg_err *e = NULL;
    bool ok = false;
    if (k % 2) { /* a stream, read in small pieces as the layer walk does */
        struct vg_http_stream *s = NULL;
        if (vg_http_stream_open(w->c, &req, false, &s, &e) == 0) {
            uint8_t all[BODY_LEN + 1];
            size_t n = 0, got = 0;
            while (vg_http_stream_read(s, all + n, sizeof(all) - n < 700 ? sizeof(all) - n : 700,
                                       &got, &e) == 0 &&
                   got > 0) {
                n += got;
            }
            ok = !e && body_is(all, n, k);
            vg_http_stream_close(s);
        }
    } else {
        struct vg_http_resp r;
        if (vg_http_do(w->c, &req, &r, &e) == 0) {
            const char *xn = vg_http_resp_header(&r, "X-N");
            uint64_t got_k = 0;
            ok = r.status == 200 && xn && vg_parse_u64(vg_str_c(xn), UINT32_MAX, &got_k) == 0 &&
                 got_k == k && body_is(r.body.data, r.body.len, k);
            vg_http_resp_dispose(&r);
        }
    }
    if (!ok && !w->failure[0]) {
        char *m = e ? vg_err_format(e) : NULL;
        snprintf(w->failure, sizeof(w->failure), "thread %u request %u: %s", w->id, k,
                 m ? m : "wrong response");
        free(m);
    }
    vg_err_free(&e);
    free(u);
    return ok;
}

static void *
worker_main(void *p)
{
    struct worker *w = p;
    for (unsigned i = 0; i < REQUESTS; i++) {
        w->ok += one(w, w->id * 1000 + i);
    }
    return NULL;
}

Test(net_http_threads, one_client_many_threads)
{
    cr_assert_eq(vg_net_init(NULL), 0);
    struct ka_server srv = {0};
    srv.fd = lo_listen(&srv.port);
    cr_assert_geq(srv.fd, 0);
    cr_assert_eq(pthread_create(&srv.th, NULL, ka_main, &srv), 0);

    struct vg_http_client *c = NULL;
    cr_assert_eq(vg_http_client_new(&c, NULL, NULL), 0);
    struct worker w[THREADS];
    pthread_t t[THREADS];
    for (unsigned i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.c = c, .port = srv.port, .id = i};
        cr_assert_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    unsigned total = 0;
    for (unsigned i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        cr_expect_str_empty(w[i].failure);
        total += w[i].ok;
    }
    vg_http_client_free(c);
    cr_assert_eq(total, THREADS * REQUESTS);
    /* Connections were reused across requests (the shared cache was exercised), and there were
     * at least as many as threads running at once. */
    size_t conns = atomic_load(&srv.conns);
    cr_expect_lt(conns, (size_t)(THREADS * REQUESTS / 4), "%zu connections", conns);
    shutdown(srv.fd, SHUT_RDWR);
    close(srv.fd);
    pthread_join(srv.th, NULL);
    vg_net_cleanup();
}
