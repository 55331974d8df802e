/* SPDX-License-Identifier: Apache-2.0
 *
 * Helpers for the registry auth tests: real bcrypt lines made by Apache's `htpasswd -nbB`
 * (apache2-utils, installed by scripts/install-deps), temporary directories, YAML snippets.
 */
#ifndef VG_TEST_REGISTRY_UTIL_H
#define VG_TEST_REGISTRY_UTIL_H

#include <criterion/criterion.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "core/core.h"

extern char **environ;

#define TU_ASSERT_OK(rc, err)                                                                      \
    do {                                                                                           \
        if ((rc) < 0) {                                                                            \
            char *m_ = vg_err_format(err);                                                         \
            cr_assert_fail("unexpected error: %s", m_);                                            \
        }                                                                                          \
    } while (0)

/* "user:$2y$04$..." from `htpasswd -nbB -C 4 user password` (cost 4 keeps tests fast), or
 * skips the test when htpasswd is absent. Caller frees. */
static inline char *
tu_htpasswd_line(const char *user, const char *password)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char a0[] = "htpasswd", a1[] = "-nbB", a2[] = "-C", a3[] = "4";
    char *argv[] = {a0, a1, a2, a3, (char *)(uintptr_t)user, (char *)(uintptr_t)password, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "htpasswd", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        cr_skip_test("htpasswd (apache2-utils) is not installed");
    }
    char buf[512];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof(buf) - 1 && (r = read(fds[0], buf + n, sizeof(buf) - 1 - n)) > 0) {
        n += (size_t)r;
    }
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "htpasswd failed");
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }
    buf[n] = '\0';
    return vg_strdup(buf);
}

static inline char *
tu_tmpdir(void)
{
    char tmpl[] = "/tmp/vg-regauth-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    return vg_strdup(tmpl);
}

static inline void
tu_write(const char *path, const char *text)
{
    struct vg_err *err = NULL;
    (void)unlink(path);
    TU_ASSERT_OK(vg_file_write_atomic(path, text, strlen(text), 0600, &err), err);
}

#endif
