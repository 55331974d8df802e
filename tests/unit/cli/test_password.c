/* SPDX-License-Identifier: Apache-2.0
 *
 * The CLI's password source (src/cli/password.c): the environment (VIGIL_PASSWORD before
 * COSIGN_PASSWORD, an empty value counts), standard input taken verbatim, and the terminal
 * prompt on a pseudo-terminal: echo off while typing and restored after, and a SIGINT while
 * echo is off (also one sent the moment the prompt appears, before the wait starts) restores
 * the terminal, fails the prompt, and reaches the previous handler once.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crypto/crypto.h"

static void
clear_env(void)
{
    unsetenv("VIGIL_PASSWORD");
    unsetenv("COSIGN_PASSWORD");
}

static char *
get_ok(bool confirm)
{
    struct vg_err *err = NULL;
    struct vg_secret *pw = NULL;
    if (vg_cli_password_get(&pw, confirm, NULL, &err) < 0) {
        cr_assert_fail("unexpected error: %s", vg_err_format(err));
    }
    char *s = vg_strndup((const char *)pw->data, pw->len);
    cr_assert_eq(strlen(s), pw->len);
    vg_secret_free(pw);
    return s;
}

Test(cli_password, vigil_password_wins_over_cosign_password)
{
    clear_env();
    setenv("COSIGN_PASSWORD", "cosign", 1);
    vg_autofree char *a = get_ok(false);
    cr_assert_str_eq(a, "cosign");
    setenv("VIGIL_PASSWORD", "vigil", 1);
    vg_autofree char *b = get_ok(true);
    cr_assert_str_eq(b, "vigil");
}

Test(cli_password, empty_variable_is_a_password)
{
    clear_env();
    setenv("COSIGN_PASSWORD", "", 1);
    vg_autofree char *a = get_ok(false);
    cr_assert_str_eq(a, "");
}

Test(cli_password, over_long_variable_is_refused)
{
    clear_env();
    char *v = vg_malloc(VG_CRYPTO_PASSWORD_MAX + 2);
    memset(v, 'p', VG_CRYPTO_PASSWORD_MAX + 1);
    v[VG_CRYPTO_PASSWORD_MAX + 1] = '\0';
    setenv("COSIGN_PASSWORD", v, 1);
    struct vg_err *err = NULL;
    struct vg_secret *pw = NULL;
    cr_assert_lt(vg_cli_password_get(&pw, false, NULL, &err), 0);
    cr_assert_null(pw);
    cr_assert_eq(vg_err_code(err), VG_E_LIMIT);
    vg_err_free(&err);
    v[VG_CRYPTO_PASSWORD_MAX] = '\0';
    setenv("COSIGN_PASSWORD", v, 1);
    vg_autofree char *ok = get_ok(false);
    cr_assert_eq(strlen(ok), VG_CRYPTO_PASSWORD_MAX);
    free(v);
}

Test(cli_password, source_handed_to_crypto_is_this_one)
{
    clear_env();
    setenv("VIGIL_PASSWORD", "through-ask", 1);
    struct vg_err *err = NULL;
    struct vg_secret *pw = NULL;
    cr_assert_eq(vg_crypto_password_ask(&pw, vg_cli_password(), false, &err), 0);
    cr_assert_str_eq((const char *)pw->data, "through-ask");
    vg_secret_free(pw);
}

static void
stdin_from(const char *text)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
    close(p[1]);
    cr_assert_eq(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
    close(p[0]);
}

Test(cli_password, standard_input_is_taken_verbatim)
{
    clear_env();
    stdin_from("two words\n");
    vg_autofree char *a = get_ok(false);
    cr_assert_str_eq(a, "two words\n");
}

/* ---------------------------------------------------------------- terminal */

struct tty {
    int master, slave;
};

static struct tty
tty_as_stdin(void)
{
    struct tty t;
    t.master = posix_openpt(O_RDWR | O_NOCTTY);
    cr_assert_geq(t.master, 0);
    cr_assert_eq(grantpt(t.master), 0);
    cr_assert_eq(unlockpt(t.master), 0);
    t.slave = open(ptsname(t.master), O_RDWR | O_NOCTTY);
    cr_assert_geq(t.slave, 0);
    cr_assert_eq(dup2(t.slave, STDIN_FILENO), STDIN_FILENO);
    return t;
}

static bool
echo_on(int fd)
{
    struct termios tio;
    cr_assert_eq(tcgetattr(fd, &tio), 0);
    return (tio.c_lflag & ECHO) != 0;
}

/* What the helper thread does once echo is off: type a line, or send SIGINT to the prompting
 * thread. With `at_prompt`, stderr is a full pipe, so the prompting thread blocks writing its
 * prompt (its signals already held, the handler not yet waiting): the helper waits until the
 * thread sits in write(2), sends SIGINT then, and only afterwards drains the pipe. A prompt
 * that let the signal in before its wait would be stuck in read(2) for good. */
struct helper {
    struct tty t;
    pthread_t target;
    pid_t target_tid;
    const char *line;
    int stderr_read; /* with at_prompt */
    bool at_prompt;
};

static bool
blocked_in_write(pid_t tid)
{
    vg_autofree char *path = vg_fmt("/proc/self/task/%d/syscall", (int)tid);
    char text[64] = {0};
    int fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0);
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    uint64_t nr = 0;
    struct vg_str first = {text, strcspn(text, " \n")};
    return n > 0 && vg_parse_u64(first, UINT64_MAX, &nr) == 0 && nr == (uint64_t)SYS_write;
}

static void
at_prompt(struct helper *h)
{
    while (!blocked_in_write(h->target_tid)) {
        usleep(1000);
    }
    pthread_kill(h->target, SIGINT);
    usleep(20000); /* time for a prompt that let it in to run its handler */
    char buf[4096];
    ssize_t n;
    while ((n = read(h->stderr_read, buf, sizeof(buf))) > 0) {
        if (memchr(buf, ':', (size_t)n)) {
            return;
        }
    }
}

static void *
helper_main(void *arg)
{
    struct helper *h = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are for the prompting thread */
    if (h->at_prompt) {
        at_prompt(h);
        return NULL;
    }
    while (echo_on(h->t.slave)) {
        usleep(1000);
    }
    if (h->line) {
        size_t n = strlen(h->line);
        cr_assert_eq(write(h->t.master, h->line, n), (ssize_t)n);
    } else {
        pthread_kill(h->target, SIGINT);
    }
    return NULL;
}

static volatile sig_atomic_t sigint_seen;

static void
on_sigint(int sig)
{
    (void)sig;
    sigint_seen++;
}

static void
install_sigint_counter(void)
{
    struct sigaction act;
    memset(&act, 0, sizeof(act));
    act.sa_handler = on_sigint;
    sigemptyset(&act.sa_mask);
    cr_assert_eq(sigaction(SIGINT, &act, NULL), 0);
    sigint_seen = 0;
}

Test(cli_password, terminal_prompt_reads_a_line_with_echo_off, .timeout = 20)
{
    clear_env();
    struct helper h = {.t = tty_as_stdin(), .target = pthread_self(), .line = "typed\n"};
    cr_assert(echo_on(h.t.slave));
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, helper_main, &h), 0);
    vg_autofree char *a = get_ok(false);
    pthread_join(th, NULL);
    cr_assert_str_eq(a, "typed");
    cr_assert(echo_on(h.t.slave), "echo not restored");
}

static void
expect_interrupted(struct helper *h)
{
    install_sigint_counter();
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, helper_main, h), 0);
    struct vg_err *err = NULL;
    struct vg_secret *pw = NULL;
    int rc = vg_cli_password_get(&pw, false, NULL, &err);
    pthread_join(th, NULL);
    cr_assert_eq(rc, -(int)VG_E_IO);
    cr_assert_null(pw);
    vg_autofree char *m = vg_err_format(err);
    cr_assert_str_eq(m, "password prompt interrupted");
    vg_err_free(&err);
    cr_assert(echo_on(h->t.slave), "echo not restored after SIGINT");
    cr_assert_eq(sigint_seen, 1, "the previous SIGINT handler ran %d times", (int)sigint_seen);
    /* The previous disposition is back: another SIGINT reaches it directly. */
    raise(SIGINT);
    cr_assert_eq(sigint_seen, 2);
}

Test(cli_password, sigint_while_waiting_restores_the_terminal, .timeout = 20)
{
    clear_env();
    struct helper h = {.t = tty_as_stdin(), .target = pthread_self()};
    expect_interrupted(&h);
}

Test(cli_password, sigint_before_the_wait_is_not_lost, .timeout = 20)
{
    clear_env();
    int p[2];
    cr_assert_eq(pipe(p), 0);
    /* Fill the pipe so that the next write blocks. */
    cr_assert_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
    static const char fill[4096] = {'x'};
    while (write(p[1], fill, sizeof(fill)) > 0) {
    }
    while (write(p[1], fill, 1) > 0) {
    }
    cr_assert_eq(errno, EAGAIN);
    cr_assert_eq(fcntl(p[1], F_SETFL, 0), 0);
    cr_assert_eq(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
    close(p[1]);
    struct helper h = {.t = tty_as_stdin(),
                       .target = pthread_self(),
                       .target_tid = gettid(),
                       .stderr_read = p[0],
                       .at_prompt = true};
    expect_interrupted(&h);
}
