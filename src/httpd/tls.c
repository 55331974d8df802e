/* SPDX-License-Identifier: Apache-2.0
 *
 * TLS credentials for libmicrohttpd through GnuTLS's certificate callback: each handshake
 * takes the newest loaded pair, so a reload (SIGHUP) swaps certificates without restarting
 * the daemon or dropping open connections. The callback has no user pointer, so the current
 * pair is process-wide: one TLS server per process (the registry and the webhook are separate
 * processes). Generations are kept until release: a handshake in flight may still hold one.
 */
#include "httpd_int.h"

#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#define MAX_CHAIN     16
#define MAX_PEM_BYTES (1u * 1024u * 1024u)

struct tls_gen {
    gnutls_pcert_st pcert[MAX_CHAIN];
    unsigned npcert;
    gnutls_privkey_t key;
    struct tls_gen *older;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tls_gen *_Atomic g_cur;

static void
gen_free(struct tls_gen *g)
{
    for (unsigned i = 0; i < g->npcert; i++) {
        gnutls_pcert_deinit(&g->pcert[i]);
    }
    if (g->key) {
        gnutls_privkey_deinit(g->key);
    }
    free(g);
}

static int
read_pem(const char *path, const char *what, struct vg_buf *out, struct vg_err **err)
{
    if (vg_file_read(out, path, MAX_PEM_BYTES, err) < 0) {
        return vg_err_wrap(err, "TLS %s %s", what, path);
    }
    return 0;
}

static int
gen_load(struct tls_gen *g, const char *cert, const char *key, struct vg_err **err)
{
    vg_autobuf struct vg_buf cb = VG_BUF_INIT(0), kb = VG_BUF_INIT(0);
    if (read_pem(cert, "certificate", &cb, err) < 0 || read_pem(key, "key", &kb, err) < 0) {
        return -1;
    }
    gnutls_datum_t cd = {(unsigned char *)cb.data, (unsigned)cb.len};
    g->npcert = MAX_CHAIN;
    int rc = gnutls_pcert_list_import_x509_raw(g->pcert, &g->npcert, &cd, GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0) {
        g->npcert = 0;
        return vg_err_set(err, VG_E_PARSE, "TLS certificate %s: %s", cert, gnutls_strerror(rc));
    }
    if (g->npcert == 0) {
        return vg_err_set(err, VG_E_PARSE, "TLS certificate %s: no certificate", cert);
    }
    gnutls_datum_t kd = {(unsigned char *)kb.data, (unsigned)kb.len};
    rc = gnutls_privkey_init(&g->key);
    if (rc >= 0) {
        rc = gnutls_privkey_import_x509_raw(g->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
    }
    gnutls_memset(kb.data, 0, kb.len);
    if (rc < 0) {
        return vg_err_set(err, VG_E_PARSE, "TLS key %s: %s", key, gnutls_strerror(rc));
    }
    /* The key must belong to the leaf certificate. */
    gnutls_pubkey_t pub = g->pcert[0].pubkey;
    unsigned char sigbuf[] = "vigil-tls-key-check";
    gnutls_datum_t data = {sigbuf, sizeof(sigbuf)}, sig = {NULL, 0};
    gnutls_sign_algorithm_t algo;
    int pk = gnutls_privkey_get_pk_algorithm(g->key, NULL);
    algo = gnutls_pk_to_sign((gnutls_pk_algorithm_t)pk, GNUTLS_DIG_SHA256);
    rc = gnutls_privkey_sign_data2(g->key, algo, 0, &data, &sig);
    if (rc >= 0) {
        rc = gnutls_pubkey_verify_data2(pub, algo, 0, &data, &sig);
        gnutls_free(sig.data);
    }
    if (rc < 0) {
        return vg_err_set(err, VG_E_VERIFY, "TLS key %s does not match certificate %s", key, cert);
    }
    return 0;
}

int
vg_httpd_tls_load(const char *cert, const char *key, struct vg_err **err)
{
    struct tls_gen *g = vg_calloc(1, sizeof(*g));
    if (gen_load(g, cert, key, err) < 0) {
        gen_free(g);
        return -1;
    }
    pthread_mutex_lock(&g_lock);
    g->older = atomic_load(&g_cur);
    atomic_store(&g_cur, g);
    pthread_mutex_unlock(&g_lock);
    return 0;
}

static int
cert_cb(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int nreqs,
        const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
        unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
    (void)s;
    (void)req_ca_dn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    struct tls_gen *g = atomic_load(&g_cur);
    if (!g) {
        return -1;
    }
    *pcert = g->pcert;
    *pcert_length = g->npcert;
    *privkey = g->key; /* not released by GnuTLS: owned here until vg_httpd_tls_release */
    return 0;
}

void *
vg_httpd_tls_callback(void)
{
    return (void *)&cert_cb;
}

void
vg_httpd_tls_release(void)
{
    pthread_mutex_lock(&g_lock);
    struct tls_gen *g = atomic_exchange(&g_cur, NULL);
    pthread_mutex_unlock(&g_lock);
    while (g) {
        struct tls_gen *o = g->older;
        gen_free(g);
        g = o;
    }
}

/* ---------------------------------------------------------------- one record per response */

#define UNCORK_WAIT_MS 1000 /* for room in a socket buffer an empty queue did not have */

static gnutls_session_t
session_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    return ci ? (gnutls_session_t)ci->tls_session : NULL;
}

static int
fd_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? ci->connect_fd : -1;
}

void
vg_httpd_tls_cork(struct vg_httpd_req *r)
{
    gnutls_session_t s = session_of(r->c);
    int fd = fd_of(r->c), queued = -1;
    /* Only on an empty send queue (nothing unsent or unacknowledged: a client that reads its
     * answers), where a small record always fits; otherwise libmicrohttpd's own sends, which
     * wait for the socket when it is full. */
    if (!s || fd < 0 || ioctl(fd, SIOCOUTQ, &queued) != 0 || queued != 0) {
        return;
    }
    gnutls_record_cork(s);
    r->tls_corked = true;
}

void
vg_httpd_tls_uncork(struct vg_httpd_req *r, struct conn *k)
{
    r->tls_corked = false;
    gnutls_session_t s = session_of(r->c);
    int fd = fd_of(r->c);
    if (!s || fd < 0) {
        return;
    }
    uint64_t until = vg_now_ns() + UNCORK_WAIT_MS * 1000000ull;
    ssize_t rc;
    for (;;) {
        rc = gnutls_record_uncork(s, 0);
        if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED) {
            break;
        }
        /* unexpected on an empty queue; the session stays corked with the record pending */
        uint64_t now = vg_now_ns();
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        if (now >= until ||
            (poll(&pfd, 1, (int)((until - now) / 1000000ull) + 1) < 0 && errno != EINTR)) {
            break;
        }
    }
    if (rc < 0) {
        shutdown(fd, SHUT_RDWR); /* the answer cannot leave: libmicrohttpd then closes */
        return;
    }
    if (k && !k->tcp_uncorked) {
        int off = 0;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
        k->tcp_uncorked = true;
    }
}
