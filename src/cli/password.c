/* SPDX-License-Identifier: Apache-2.0
 *
 * The CLI's password source (crypto.h's vg_crypto_password), as cosign obtains passwords
 * (cosign-format.md §1.2): the environment, a terminal prompt with echo off, or standard
 * input. Reading is done byte by byte straight into guarded memory so that no copy of a
 * password lands in a stdio buffer. crypto/ only asks this source; what the password protects
 * is crypto/'s business.
 *
 * The prompt must never leave the terminal without echo. Ctrl-C (and SIGTERM, SIGQUIT,
 * SIGHUP) is caught while echo is off: the signals are blocked for the whole prompt and only
 * let through inside ppoll(), which unblocks them atomically with the wait. A signal arriving
 * anywhere else stays pending until that wait, so it cannot slip in between the check of the
 * flag and a blocking read (the race a plain read() loop has). The terminal and the previous
 * dispositions are restored first, then the signal is raised again so that it takes effect.
 */
#include "cli.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "crypto/crypto.h"

/* Set by the prompt's signal handler; signal dispositions are process-wide anyway, and only
 * the single-threaded CLI prompts. */
static volatile sig_atomic_t prompt_signal;

static void
on_prompt_signal(int sig)
{
    prompt_signal = sig;
}

static int
secret_put(struct vg_secret *s, uint8_t c, struct vg_err **err)
{
    if (s->len >= VG_CRYPTO_PASSWORD_MAX) {
        vg_crypto_memzero(s->data, s->len);
        s->len = 0;
        return vg_err_set(err, VG_E_LIMIT, "password longer than %u bytes", VG_CRYPTO_PASSWORD_MAX);
    }
    s->data[s->len++] = c;
    return 0;
}

/* All of fd (standard input that is not a terminal) into s, verbatim: a trailing newline is
 * part of the password, as in cosign. */
static int
read_all(int fd, struct vg_secret *s, struct vg_err **err)
{
    s->len = 0;
    for (;;) {
        uint8_t c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return vg_err_sys(err, VG_E_IO, "read password");
        }
        if (r == 0) {
            break;
        }
        if (secret_put(s, c, err) < 0) {
            return -VG_E_LIMIT;
        }
    }
    s->data[s->len] = '\0';
    return 0;
}

/* One line from the terminal fd (the newline is not stored). The caller blocks the prompt's
 * signals; wait_mask (the caller's previous mask) lets them in only while ppoll waits. */
static int
read_line(int fd, struct vg_secret *s, const sigset_t *wait_mask, struct vg_err **err)
{
    s->len = 0;
    for (;;) {
        if (prompt_signal) {
            vg_crypto_memzero(s->data, s->len);
            s->len = 0;
            return vg_err_set(err, VG_E_IO, "password prompt interrupted");
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = ppoll(&p, 1, NULL, wait_mask);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return vg_err_sys(err, VG_E_IO, "wait for the password");
        }
        uint8_t c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (r < 0) {
            return vg_err_sys(err, VG_E_IO, "read password");
        }
        if (r == 0 || c == '\n') {
            break;
        }
        if (secret_put(s, c, err) < 0) {
            return -VG_E_LIMIT;
        }
    }
    s->data[s->len] = '\0';
    return 0;
}

/* Echo is off while the password is typed on the terminal fd. SIGTSTP is held back for the
 * whole prompt (delivered once the terminal is restored). */
static int
prompt_tty(int fd, struct vg_secret *s, const char *prompt, struct vg_err **err)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP};
    struct sigaction act, old_act[VG_ARRAY_LEN(sigs)];
    struct termios old, quiet;
    if (tcgetattr(fd, &old) < 0) {
        return vg_err_sys(err, VG_E_IO, "read terminal settings");
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    sigset_t hold, saved, wait_mask;
    sigemptyset(&hold);
    sigaddset(&hold, SIGTSTP);
    for (size_t i = 0; i < VG_ARRAY_LEN(sigs); i++) {
        sigaddset(&hold, sigs[i]);
    }
    sigprocmask(SIG_BLOCK, &hold, &saved);
    wait_mask = saved;
    sigaddset(&wait_mask, SIGTSTP);
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
    if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
        rc = vg_err_sys(err, VG_E_IO, "turn off terminal echo");
    } else {
        rc = read_line(fd, s, &wait_mask, err);
        (void)tcsetattr(fd, TCSAFLUSH, &old); /* best effort: nothing else to do */
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
vg_cli_password_get(struct vg_secret **out, bool confirm, void *payload, struct vg_err **err)
{
    (void)payload;
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
        int rc = read_all(STDIN_FILENO, pw, err);
        if (rc < 0) {
            return rc;
        }
        *out = vg_secret_new(pw->data, pw->len);
        return 0;
    }
    int rc = prompt_tty(STDIN_FILENO, pw, "Enter password for private key: ", err);
    if (rc < 0) {
        return rc;
    }
    if (confirm) {
        vg_autosecret struct vg_secret *again = vg_secret_alloc(VG_CRYPTO_PASSWORD_MAX);
        rc = prompt_tty(STDIN_FILENO, again, "Enter password for private key again: ", err);
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

const struct vg_crypto_password *
vg_cli_password(void)
{
    static const struct vg_crypto_password src = {vg_cli_password_get, NULL};
    return &src;
}

int
vg_cli_password_prompt(struct vg_secret **out, const char *prompt, bool confirm,
                       struct vg_err **err)
{
    vg_autosecret struct vg_secret *pw = vg_secret_alloc(VG_CRYPTO_PASSWORD_MAX);
    int rc = prompt_tty(STDIN_FILENO, pw, prompt, err);
    if (rc < 0) {
        return rc;
    }
    if (confirm) {
        vg_autosecret struct vg_secret *again = vg_secret_alloc(VG_CRYPTO_PASSWORD_MAX);
        rc = prompt_tty(STDIN_FILENO, again, "Repeat passphrase: ", err);
        if (rc < 0) {
            return rc;
        }
        if (again->len != pw->len || !vg_crypto_memeq(again->data, pw->data, pw->len)) {
            return vg_err_set(err, VG_E_USAGE, "passphrases do not match");
        }
    }
    *out = vg_secret_new(pw->data, pw->len);
    return 0;
}
