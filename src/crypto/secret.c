/* SPDX-License-Identifier: Apache-2.0
 *
 * Secrets: guarded memory from libsodium for passwords and plaintext private keys, wiping, and
 * the password sources cosign uses (environment, terminal prompt with echo off, stdin). Reading
 * is done byte by byte straight into guarded memory so that no copy of a password lands in a
 * stdio buffer. It does not decide what the password protects (envelope.c).
 */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

int
vg_crypto_init(struct vg_err **err)
{
    if (sodium_init() < 0) {
        return vg_err_set(err, VG_E_INTERNAL, "libsodium initialisation failed");
    }
    return 0;
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

/* Set by the prompt's signal handler; signal dispositions are process-wide anyway, and only
 * the single-threaded CLI prompts. */
static volatile sig_atomic_t prompt_signal;

static void
on_prompt_signal(int sig)
{
    prompt_signal = sig;
}

/* Reads from fd into s (capacity VG_CRYPTO_PASSWORD_MAX) until EOF, or until '\n' when line
 * is set (the newline is not stored). A signal caught by the prompt ends the read. */
static int
read_secret_fd(int fd, struct vg_secret *s, bool line, struct vg_err **err)
{
    s->len = 0;
    for (;;) {
        uint8_t c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR && prompt_signal) {
            vg_crypto_memzero(s->data, s->len);
            s->len = 0;
            return vg_err_set(err, VG_E_IO, "password prompt interrupted");
        }
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return vg_err_sys(err, VG_E_IO, "read password");
        }
        if (r == 0 || (line && c == '\n')) {
            break;
        }
        if (s->len >= VG_CRYPTO_PASSWORD_MAX) {
            vg_crypto_memzero(s->data, s->len);
            s->len = 0;
            return vg_err_set(err, VG_E_LIMIT, "password longer than %u bytes",
                              VG_CRYPTO_PASSWORD_MAX);
        }
        s->data[s->len++] = c;
    }
    s->data[s->len] = '\0';
    return 0;
}

/* Echo is off while the password is typed. Interrupting signals are caught (without
 * SA_RESTART, so the read returns at once); the terminal settings and the previous
 * dispositions are restored first, and then the signal is raised again so that Ctrl-C takes
 * effect immediately and never leaves the terminal without echo. SIGTSTP is held back. */
static int
prompt_tty(struct vg_secret *s, const char *prompt, struct vg_err **err)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP};
    struct sigaction act, old_act[VG_ARRAY_LEN(sigs)];
    struct termios old, quiet;
    if (tcgetattr(STDIN_FILENO, &old) < 0) {
        return vg_err_sys(err, VG_E_IO, "read terminal settings");
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    sigset_t hold, saved;
    sigemptyset(&hold);
    sigaddset(&hold, SIGTSTP);
    sigprocmask(SIG_BLOCK, &hold, &saved);
    memset(&act, 0, sizeof(act));
    act.sa_handler = on_prompt_signal;
    sigemptyset(&act.sa_mask);
    prompt_signal = 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(sigs); i++) {
        sigaction(sigs[i], &act, &old_act[i]);
    }
    fputs(prompt, stderr);
    fflush(stderr);
    int rc;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) < 0) {
        rc = vg_err_sys(err, VG_E_IO, "turn off terminal echo");
    } else {
        rc = read_secret_fd(STDIN_FILENO, s, true, err);
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old); /* best effort: nothing else to do */
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(sigs); i++) {
        sigaction(sigs[i], &old_act[i], NULL);
    }
    sigprocmask(SIG_SETMASK, &saved, NULL);
    if (prompt_signal) {
        raise(prompt_signal);
    }
    return rc;
}

static int
password_from_env(struct vg_secret **out)
{
    static const char *const vars[] = {"VIGIL_PASSWORD", "COSIGN_PASSWORD"};
    for (size_t i = 0; i < VG_ARRAY_LEN(vars); i++) {
        const char *v = getenv(vars[i]);
        if (v) {
            *out = vg_secret_new(v, strlen(v));
            return 1;
        }
    }
    return 0;
}

int
vg_crypto_password_get(struct vg_secret **out, bool confirm, struct vg_err **err)
{
    if (password_from_env(out)) {
        if ((*out)->len > VG_CRYPTO_PASSWORD_MAX) {
            vg_secret_free(*out);
            *out = NULL;
            return vg_err_set(err, VG_E_LIMIT, "password longer than %u bytes",
                              VG_CRYPTO_PASSWORD_MAX);
        }
        return 0;
    }
    vg_autosecret struct vg_secret *pw = vg_secret_alloc(VG_CRYPTO_PASSWORD_MAX);
    if (!isatty(STDIN_FILENO)) {
        int rc = read_secret_fd(STDIN_FILENO, pw, false, err);
        if (rc < 0) {
            return rc;
        }
        *out = vg_secret_new(pw->data, pw->len);
        return 0;
    }
    int rc = prompt_tty(pw, "Enter password for private key: ", err);
    if (rc < 0) {
        return rc;
    }
    if (confirm) {
        vg_autosecret struct vg_secret *again = vg_secret_alloc(VG_CRYPTO_PASSWORD_MAX);
        rc = prompt_tty(again, "Enter password for private key again: ", err);
        if (rc < 0) {
            return rc;
        }
        if (again->len != pw->len || !vg_crypto_memeq(again->data, pw->data, pw->len)) {
            return vg_err_set(err, VG_E_USAGE, "passwords do not match");
        }
    }
    *out = vg_secret_new(pw->data, pw->len);
    return 0;
}
