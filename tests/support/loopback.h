/* SPDX-License-Identifier: Apache-2.0
 *
 * Test support: a listening TCP socket on 127.0.0.1 with a kernel-chosen port, and URLs to it,
 * for the tests that run a hand-written server thread. Header-only: include it as
 * "../../support/loopback.h".
 */
#ifndef VG_TEST_SUPPORT_LOOPBACK_H
#define VG_TEST_SUPPORT_LOOPBACK_H

#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/* Listens on 127.0.0.1:0 (backlog 16); sets *port. Returns the socket, or -1. */
static inline int
lo_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0 || listen(fd, 16) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* "http://127.0.0.1:PORT" + path, malloc'd (NULL on failure). */
static inline char *
lo_url(int port, const char *path)
{
    char *u = NULL;
    return asprintf(&u, "http://127.0.0.1:%d%s", port, path) > 0 ? u : NULL;
}

#endif
