/* SPDX-License-Identifier: Apache-2.0
 *
 * Secrets: guarded memory from libsodium for passwords and plaintext private keys, wiping, and
 * asking a password source (crypto.h's vg_crypto_password). It never reads a terminal, the
 * environment or standard input: the CLI's source does (cli/password.c). It does not decide
 * what the password protects (envelope.c).
 */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sodium.h>

int
vg_crypto_init(struct vg_err **err)
{
    if (sodium_init() < 0) {
        return vg_err_set(err, VG_E_INTERNAL, "libsodium initialisation failed");
    }
    return 0;
}

void
vg_crypto_thread_stop(void)
{
    OPENSSL_thread_stop();
}

struct vg_secret *
vg_secret_alloc(size_t len)
{
    if (sodium_init() < 0) {
        abort();
    }
    struct vg_secret *s = vg_calloc(1, sizeof(*s));
    size_t n;
    if (vg_ckd_add(&n, len, (size_t)1)) {
        abort();
    }
    s->data = sodium_malloc(n);
    if (!s->data) {
        abort();
    }
    sodium_memzero(s->data, n);
    s->len = len;
    return s;
}

struct vg_secret *
vg_secret_new(const void *data, size_t len)
{
    struct vg_secret *s = vg_secret_alloc(len);
    if (len) {
        memcpy(s->data, data, len);
    }
    return s;
}

void
vg_secret_free(struct vg_secret *s)
{
    if (!s) {
        return;
    }
    sodium_free(s->data); /* sodium_free wipes before releasing */
    free(s);
}

void
vg_crypto_memzero(void *p, size_t n)
{
    if (p && n) {
        sodium_memzero(p, n);
    }
}

bool
vg_crypto_memeq(const void *a, const void *b, size_t n)
{
    return n == 0 || sodium_memcmp(a, b, n) == 0;
}

int
vg_secret_read_file(struct vg_secret **out, const char *path, size_t max, struct vg_err **err)
{
    vg_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "open %s", path);
    }
    struct vg_secret *s = vg_secret_alloc(max);
    size_t len = 0;
    for (;;) {
        /* Read one byte past max so an oversized file is detected, not truncated. */
        uint8_t extra;
        uint8_t *dst = len < max ? s->data + len : &extra;
        size_t want = len < max ? max - len : 1;
        ssize_t r = read(fd, dst, want);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            vg_secret_free(s);
            return vg_err_sys(err, VG_E_IO, "read %s", path);
        }
        if (r == 0) {
            break;
        }
        if (len >= max) {
            vg_secret_free(s);
            return vg_err_set(err, VG_E_LIMIT, "%s exceeds the limit of %zu bytes", path, max);
        }
        len += (size_t)r;
    }
    s->data[len] = '\0';
    s->len = len;
    *out = s;
    return 0;
}

int
vg_crypto_password_ask(struct vg_secret **out, const struct vg_crypto_password *src, bool confirm,
                       struct vg_err **err)
{
    struct vg_err *local = NULL;
    struct vg_err **e = err ? err : &local;
    struct vg_secret *pw = NULL;
    int rc = src->fn(&pw, confirm, src->payload, e);
    if (rc < 0 || !pw) {
        vg_secret_free(pw);
        if (!*e) {
            rc = vg_err_set(e, VG_E_INTERNAL, "the password source failed without saying why");
        }
        vg_err_free(&local);
        return rc < 0 ? rc : -(int)VG_E_INTERNAL;
    }
    if (pw->len > VG_CRYPTO_PASSWORD_MAX) {
        vg_secret_free(pw);
        return vg_err_set(err, VG_E_LIMIT, "password longer than %u bytes", VG_CRYPTO_PASSWORD_MAX);
    }
    *out = pw;
    return 0;
}

int
vg_crypto_password_fixed(struct vg_secret **out, bool confirm, void *payload, struct vg_err **err)
{
    (void)confirm;
    const struct vg_secret *s = payload;
    if (!s) {
        return vg_err_set(err, VG_E_USAGE, "no password configured");
    }
    *out = vg_secret_new(s->data, s->len);
    return 0;
}
