/* SPDX-License-Identifier: Apache-2.0
 *
 * Registry credentials: "--creds user:pass", and Docker's config.json (also the
 * .dockerconfigjson of Kubernetes pull secrets): "auths" entries keyed by host, with or without
 * a scheme and path ("https://index.docker.io/v1/" for Docker Hub), holding a base64 "auth" of
 * "user:pass", or "username"/"password", or an "identitytoken".
 *
 * For a config.json on disk (never for pull-secret bytes) it also runs Docker credential
 * helpers, as docker/cli does: "credHelpers" per registry, else "credsStore". The protocol of
 * docker/docker-credential-helpers: `docker-credential-<name> get` with the server URL on stdin
 * answers {"ServerURL","Username","Secret"} on stdout; a failure exits non-zero with a message
 * on stdout, "credentials not found in native keychain" meaning "no entry". The helper is found
 * on $PATH and started without a shell, with a bounded answer and a deadline.
 *
 * Passwords, tokens and the helper's answer are wiped on dispose. The registry client decides
 * when credentials are sent; this file only finds them.
 */
#include "remote_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DOCKER_CONFIG_MAX (4u * 1024u * 1024u)

#define HELPER_PREFIX         "docker-credential-"
#define HELPER_NAME_MAX       100u
#define HELPER_OUT_MAX        (64u * 1024u) /* a credentials answer is a few hundred bytes */
#define HELPER_ERR_MAX        (4u * 1024u)  /* stderr kept for the error message */
#define HELPER_MSG_MAX        200u          /* helper text quoted in an error */
#define HELPER_TIMEOUT_MS     30000u
#define HELPER_TIMEOUT_MS_MAX 600000u
#define HELPER_NOT_FOUND_MSG  "credentials not found in native keychain"
#define HELPER_TOKEN_USER     "<token>" /* Secret is an identity (refresh) token */
#define DOCKER_HUB_KEY        "https://index.docker.io/v1/"

void
vg_oci_remote_creds_dispose(struct vg_oci_remote_creds *c)
{
    if (!c) {
        return;
    }
    vg_http_secret_free(c->username);
    vg_http_secret_free(c->password);
    vg_http_secret_free(c->identity_token);
    memset(c, 0, sizeof(*c));
}

/* "user:pass" (the password may contain ':'). */
static int
split_userpass(struct vg_oci_remote_creds *out, const char *s, size_t len, const char *what,
               struct vg_err **err)
{
    const char *colon = memchr(s, ':', len);
    if (!colon || colon == s) {
        return vg_err_set(err, VG_E_USAGE, "%s: expected \"user:password\"", what);
    }
    if (memchr(s, '\0', len) || memchr(s, '\n', len) || memchr(s, '\r', len)) {
        return vg_err_set(err, VG_E_PARSE, "%s: control characters in credentials", what);
    }
    out->username = vg_strndup(s, (size_t)(colon - s));
    out->password = vg_strndup(colon + 1, len - (size_t)(colon - s) - 1);
    return 0;
}

/* The host part of an auths key: "https://host/v1/" -> "host". */
static struct vg_str
key_host(const char *key)
{
    struct vg_str s = vg_str_c(key);
    if (vg_str_startswith(s, "https://")) {
        s = (struct vg_str){s.ptr + 8, s.len - 8};
    } else if (vg_str_startswith(s, "http://")) {
        s = (struct vg_str){s.ptr + 7, s.len - 7};
    }
    struct vg_str host, rest;
    vg_str_cut(s, '/', &host, &rest);
    return host;
}

static bool
is_docker_hub(struct vg_str h)
{
    return vg_str_eq_c(h, "docker.io") || vg_str_eq_c(h, "index.docker.io") ||
           vg_str_eq_c(h, "registry-1.docker.io");
}

static bool
key_matches(const char *key, const char *registry)
{
    struct vg_str h = key_host(key);
    if (h.len == strlen(registry) && strncasecmp(h.ptr, registry, h.len) == 0) {
        return true;
    }
    return strcmp(registry, "docker.io") == 0 && is_docker_hub(h);
}

/* The member of obj (auths or credHelpers) for registry: an exact key wins over one that only
 * matches after normalization; filter rejects members of the wrong type. */
static json_t *
config_member(json_t *obj, const char *registry, bool (*filter)(const json_t *))
{
    const char *key;
    json_t *e, *best = NULL;
    json_object_foreach (obj, key, e) {
        if (!filter(e) || !key_matches(key, registry)) {
            continue;
        }
        if (!best || strcmp(key, registry) == 0) {
            best = e;
        }
    }
    return best;
}

static bool
is_object(const json_t *j)
{
    return json_is_object(j);
}

static bool
is_any(const json_t *j)
{
    return j != NULL;
}

static int
entry_creds(struct vg_oci_remote_creds *out, const json_t *e, const char *what, struct vg_err **err)
{
    const char *auth = vg_json_str(e, "auth");
    const char *user = vg_json_str(e, "username");
    const char *pass = vg_json_str(e, "password");
    const char *idt = vg_json_str(e, "identitytoken");
    if (auth && *auth) {
        uint8_t *raw = NULL;
        size_t rawlen = 0;
        if (vg_base64_decode(&raw, &rawlen, auth, strlen(auth), true, err) < 0) {
            return vg_err_wrap(err, "%s: invalid base64 \"auth\"", what);
        }
        int rc = split_userpass(out, (const char *)raw, rawlen, what, err);
        explicit_bzero(raw, rawlen);
        free(raw);
        if (rc < 0) {
            return rc;
        }
    } else if (user && *user && pass) {
        out->username = vg_strdup(user);
        out->password = vg_strdup(pass);
    }
    if (idt && *idt) {
        out->identity_token = vg_strdup(idt);
    }
    return 0;
}

/* The "auths" part of a parsed config: out is zeroed first. */
static int
auths_lookup(struct vg_oci_remote_creds *out, bool *found, const json_t *j, const char *registry,
             const char *what, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    *found = false;
    json_t *auths = json_object_get(j, "auths");
    if (!auths) {
        return 0;
    }
    if (!json_is_object(auths)) {
        return vg_err_set(err, VG_E_PARSE, "%s: \"auths\" is not an object", what);
    }
    json_t *best = config_member(auths, registry, is_object);
    if (!best) {
        return 0;
    }
    if (entry_creds(out, best, what, err) < 0) {
        vg_oci_remote_creds_dispose(out);
        return -1;
    }
    *found = out->username || out->identity_token;
    return 0;
}

static int
config_parse(json_t **out, const void *json, size_t len, const char *what, struct vg_err **err)
{
    vg_autojson json_t *j = NULL;
    if (vg_json_parse(&j, json, len, DOCKER_CONFIG_MAX, what, err) < 0) {
        return -1;
    }
    if (!json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "%s: not a JSON object", what);
    }
    *out = vg_steal_ptr(&j);
    return 0;
}

int
vg_oci_remote_creds_from_json(struct vg_oci_remote_creds *out, bool *found, const char *registry,
                              const void *json, size_t len, const char *what, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    *found = false;
    vg_autojson json_t *j = NULL;
    if (config_parse(&j, json, len, what, err) < 0) {
        return -1;
    }
    return auths_lookup(out, found, j, registry, what, err);
}

/* ---------------------------------------------------------------- helper selection */

/* Helper names come from a file; they become part of a program name looked up on $PATH, so
 * anything beyond this alphabet (a '/', a space) is refused rather than interpreted. */
static bool
helper_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > HELPER_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Which helper docker would run for registry: credHelpers[registry] (an empty value means
 * "the file store", skipping credsStore, as in docker/cli), else credsStore. *name is NULL
 * when none; *source names the setting for messages. Borrowed from j. */
static int
helper_choose(const char **name, const char **source, const json_t *j, const char *registry,
              const char *what, struct vg_err **err)
{
    *name = NULL;
    *source = NULL;
    json_t *helpers = json_object_get(j, "credHelpers");
    json_t *store = json_object_get(j, "credsStore");
    if (helpers && !json_is_object(helpers)) {
        return vg_err_set(err, VG_E_PARSE, "%s: \"credHelpers\" is not an object", what);
    }
    if (store && !json_is_string(store)) {
        return vg_err_set(err, VG_E_PARSE, "%s: \"credsStore\" is not a string", what);
    }
    json_t *v = helpers ? config_member(helpers, registry, is_any) : NULL;
    if (v) {
        if (!json_is_string(v)) {
            return vg_err_set(err, VG_E_PARSE, "%s: \"credHelpers\" entry for %s is not a string",
                              what, registry);
        }
        *source = "credHelpers";
    } else if (store) {
        v = store;
        *source = "credsStore";
    }
    if (!v || json_string_length(v) == 0) {
        return 0;
    }
    const char *s = json_string_value(v);
    if (!helper_name_valid(s, json_string_length(v))) {
        vg_autofree char *esc = vg_escape(s, json_string_length(v), HELPER_MSG_MAX);
        return vg_err_set(err, VG_E_PARSE,
                          "%s: \"%s\" names an invalid credential helper \"%s\" (allowed: "
                          "letters, digits, '.', '_', '-')",
                          what, *source, esc);
    }
    *name = s;
    return 0;
}

/* The server URL docker passes to helpers: Docker Hub's historical key, else host[:port]. */
static const char *
helper_server_url(const char *registry)
{
    return is_docker_hub(vg_str_c(registry)) ? DOCKER_HUB_KEY : registry;
}

static unsigned
helper_timeout_ms(void)
{
    const char *env = getenv("VIGIL_CREDENTIAL_HELPER_TIMEOUT_MS");
    uint64_t v = 0;
    if (!env || vg_parse_u64(vg_str_c(env), HELPER_TIMEOUT_MS_MAX, &v) < 0 || v == 0) {
        return HELPER_TIMEOUT_MS;
    }
    return (unsigned)v;
}

/* ---------------------------------------------------------------- running a helper */

struct helper_proc {
    pid_t pid; /* > 0 while not reaped */
    int in, out, errfd;
    int status;
};

static void
proc_close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void
proc_kill(struct helper_proc *p)
{
    proc_close_fd(&p->in);
    proc_close_fd(&p->out);
    proc_close_fd(&p->errfd);
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR) {
        }
        p->pid = -1;
    }
}

/* A pipe whose ends are close-on-exec and above 2, so the dup2 onto 0-2 in the child never
 * lands on one of them when the caller runs with a standard descriptor closed. */
static int
pipe_high(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) < 0) {
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        if (fds[i] > 2) {
            continue;
        }
        int nfd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        int saved = errno;
        close(fds[i]);
        fds[i] = nfd;
        if (nfd < 0) {
            close(fds[1 - i]);
            errno = saved;
            return -1;
        }
    }
    return 0;
}

static void
close_pair(int fds[2])
{
    proc_close_fd(&fds[0]);
    proc_close_fd(&fds[1]);
}

/* `prog get` with stdin, stdout and stderr on pipes; the child gets an empty signal mask and
 * default SIGPIPE whatever the caller uses. */
static int
proc_spawn(struct helper_proc *p, const char *prog, struct vg_err **err)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};
    if (pipe_high(in) < 0 || pipe_high(out) < 0 || pipe_high(er) < 0) {
        int rc = vg_err_sys(err, VG_E_IO, "pipe");
        close_pair(in);
        close_pair(out);
        close_pair(er);
        return rc;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, er[1], 2);
    posix_spawnattr_init(&at);
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    /* posix_spawnp takes char *const argv[]: give it writable copies. */
    vg_autofree char *arg0 = vg_strdup(prog);
    char arg1[] = "get";
    char *argv[] = {arg0, arg1, NULL};
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, prog, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    proc_close_fd(&in[0]);
    proc_close_fd(&out[1]);
    proc_close_fd(&er[1]);
    if (rc != 0) {
        close_pair(in);
        close_pair(out);
        close_pair(er);
        errno = rc;
        return rc == ENOENT ? vg_err_set(err, VG_E_NOTFOUND, "not found on $PATH")
                            : vg_err_sys(err, VG_E_AUTH, "cannot be run");
    }
    *p = (struct helper_proc){.pid = pid, .in = in[1], .out = out[0], .errfd = er[0]};
    return 0;
}

/* Writes with SIGPIPE blocked in this thread, so a helper that exits without reading its
 * input cannot kill us; a SIGPIPE raised by this write is consumed, one already pending is
 * left alone. */
static int
write_nosigpipe(int fd, const void *data, size_t n)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    int rc = vg_fd_write_all(fd, data, n);
    int saved = errno;
    if (rc < 0 && saved == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return rc;
}

static int
ms_left(uint64_t deadline_ns)
{
    uint64_t now = vg_now_ns();
    if (now >= deadline_ns) {
        return 0;
    }
    uint64_t ms = (deadline_ns - now + 999999u) / 1000000u;
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* One read from fd into b; stdout over its bound is VG_E_LIMIT, stderr past its bound is
 * drained and dropped. Sets *fd to -1 at end of file. */
static int
drain_once(int *fd, struct vg_buf *b, bool drop_excess, struct vg_err **err)
{
    uint8_t chunk[4096];
    ssize_t n = read(*fd, chunk, sizeof(chunk));
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) {
            return 0;
        }
        return vg_err_sys(err, VG_E_IO, "read");
    }
    if (n == 0) {
        proc_close_fd(fd);
        return 0;
    }
    size_t room = b->max - b->len;
    size_t take = (size_t)n;
    if (take > room) {
        if (!drop_excess) {
            explicit_bzero(chunk, sizeof(chunk));
            return vg_err_set(err, VG_E_LIMIT, "answer exceeds %zu bytes", b->max);
        }
        take = room;
    }
    int rc = take ? vg_buf_append(b, chunk, take, err) : 0;
    explicit_bzero(chunk, sizeof(chunk));
    return rc;
}

/* Reads stdout and stderr to their end, then reaps the child, all before the deadline. */
static int
proc_collect(struct helper_proc *p, struct vg_buf *out, struct vg_buf *errout, uint64_t deadline_ns,
             unsigned timeout_ms, struct vg_err **err)
{
    while (p->out >= 0 || p->errfd >= 0) {
        struct pollfd pf[2] = {{.fd = p->out, .events = POLLIN},
                               {.fd = p->errfd, .events = POLLIN}};
        int left = ms_left(deadline_ns);
        if (left == 0) {
            return vg_err_set(err, VG_E_AUTH, "no answer within %u ms (killed)", timeout_ms);
        }
        int n = poll(pf, 2, left);
        if (n < 0 && errno != EINTR) {
            return vg_err_sys(err, VG_E_IO, "poll");
        }
        if (n > 0 && pf[0].revents && drain_once(&p->out, out, false, err) < 0) {
            return -1;
        }
        if (n > 0 && pf[1].revents && drain_once(&p->errfd, errout, true, err) < 0) {
            return -1;
        }
    }
    for (;;) {
        pid_t r = waitpid(p->pid, &p->status, WNOHANG);
        if (r == p->pid) {
            p->pid = -1;
            return 0;
        }
        if (r < 0 && errno != EINTR) {
            return vg_err_sys(err, VG_E_IO, "waitpid");
        }
        if (ms_left(deadline_ns) == 0) {
            return vg_err_set(err, VG_E_AUTH, "did not exit within %u ms (killed)", timeout_ms);
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Runs `prog get` with url on stdin; on success p->status holds the wait status and out the
 * (bounded) stdout. The child is always reaped and every descriptor closed. */
static int
helper_exec(struct helper_proc *p, const char *prog, const char *url, struct vg_buf *out,
            struct vg_buf *errout, struct vg_err **err)
{
    unsigned timeout_ms = helper_timeout_ms();
    uint64_t deadline = vg_now_ns() + (uint64_t)timeout_ms * 1000000u;
    *p = (struct helper_proc){.pid = -1, .in = -1, .out = -1, .errfd = -1};
    if (proc_spawn(p, prog, err) < 0) {
        return -1;
    }
    /* The URL is far below PIPE_BUF, so this write never blocks. A helper that exits without
     * reading (EPIPE) is judged by its answer, as Go's os/exec does. */
    if (write_nosigpipe(p->in, url, strlen(url)) < 0 && errno != EPIPE) {
        int rc = vg_err_sys(err, VG_E_IO, "write to %s", prog);
        proc_kill(p);
        return rc;
    }
    proc_close_fd(&p->in);
    if (proc_collect(p, out, errout, deadline, timeout_ms, err) < 0) {
        proc_kill(p);
        return -1;
    }
    proc_kill(p);
    return 0;
}

/* The helper's message for an error: its stdout (where helpers write errors), else the first
 * line of stderr; escaped and truncated. */
static char *
helper_message(const struct vg_buf *out, const struct vg_buf *errout)
{
    struct vg_str s = vg_str_trim((struct vg_str){(const char *)out->data, out->len});
    if (s.len == 0) {
        struct vg_str rest;
        vg_str_cut(vg_str_trim((struct vg_str){(const char *)errout->data, errout->len}), '\n', &s,
                   &rest);
    }
    if (s.len == 0) {
        return vg_strdup("no message");
    }
    return vg_escape(s.ptr, s.len, HELPER_MSG_MAX);
}

/* Overwrites a secret held in a jansson string before the tree is freed. jansson hands out
 * its string storage (a private, writable allocation) only as const; wiping it in place is
 * the one write vigil makes through that pointer, hence the explicit integer round trip. */
static void
wipe_json_string(json_t *v)
{
    if (json_is_string(v)) {
        char *storage = (char *)(uintptr_t)json_string_value(v);
        explicit_bzero(storage, json_string_length(v));
    }
}

static void
wipe_json_tree(json_t *j)
{
    const char *key;
    json_t *v;
    if (json_is_object(j)) {
        json_object_foreach (j, key, v) {
            wipe_json_string(v);
        }
    }
}

static bool
usable_text(const json_t *v)
{
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    return !memchr(s, '\0', len) && !memchr(s, '\n', len) && !memchr(s, '\r', len);
}

/* Go's encoding/json, which docker decodes the answer with, matches field names without
 * regard to case; a name given twice in different cases is ambiguous and refused. */
static int
answer_fields(json_t *j, json_t **user, json_t **secret, struct vg_err **err)
{
    const char *key;
    json_t *v;
    *user = *secret = NULL;
    json_object_foreach (j, key, v) {
        json_t **slot = strcasecmp(key, "Username") == 0 ? user
                        : strcasecmp(key, "Secret") == 0 ? secret
                                                         : NULL;
        if (!slot && strcasecmp(key, "ServerURL") != 0) {
            continue;
        }
        if (!json_is_string(v) || (slot && *slot)) {
            return vg_err_set(err, VG_E_PARSE, "answer has a repeated or non-string \"%s\"",
                              strcasecmp(key, "ServerURL") == 0 ? "ServerURL"
                              : slot == user                    ? "Username"
                                                                : "Secret");
        }
        if (slot) {
            *slot = v;
        }
    }
    return 0;
}

int
vg_oci_remote_creds_from_helper_answer(struct vg_oci_remote_creds *out, bool *found,
                                       const void *data, size_t len, struct vg_err **err)
{
    vg_autojson json_t *j = NULL;
    vg_autoerr struct vg_err *perr = NULL;
    if (vg_json_parse(&j, data, len, HELPER_OUT_MAX, "answer", &perr) < 0 || !json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "answer is not a JSON object");
    }
    json_t *user = NULL, *secret = NULL;
    int rc = answer_fields(j, &user, &secret, err);
    if (rc == 0 && ((user && !usable_text(user)) || (secret && !usable_text(secret)))) {
        rc = vg_err_set(err, VG_E_PARSE, "control characters in the answer");
    }
    const char *u = user ? json_string_value(user) : "";
    const char *s = secret ? json_string_value(secret) : "";
    if (rc == 0 && !*u && *s) {
        rc = vg_err_set(err, VG_E_PARSE, "answer has a Secret but no Username");
    }
    if (rc == 0 && *s) {
        if (strcmp(u, HELPER_TOKEN_USER) == 0) {
            out->identity_token = vg_strdup(s);
        } else {
            out->username = vg_strdup(u);
            out->password = vg_strdup(s);
        }
        *found = true;
    } else if (rc == 0 && *u && strcmp(u, HELPER_TOKEN_USER) != 0) {
        out->username = vg_strdup(u);
        out->password = vg_strdup("");
        *found = true;
    }
    wipe_json_tree(j);
    return rc;
}

static int
helper_status_error(const struct helper_proc *p, const struct vg_buf *out,
                    const struct vg_buf *errout, struct vg_err **err)
{
    vg_autofree char *msg = helper_message(out, errout);
    if (WIFSIGNALED(p->status)) {
        return vg_err_set(err, VG_E_AUTH, "killed by signal %d: %s", WTERMSIG(p->status), msg);
    }
    return vg_err_set(err, VG_E_AUTH, "exited with status %d: %s", WEXITSTATUS(p->status), msg);
}

/* Credentials from helper `name` for registry. *found stays false when the helper has none
 * ("credentials not found" or an empty answer). Errors name the helper and the registry: a
 * malformed answer is VG_E_PARSE, an oversized one VG_E_LIMIT (exit 6, like any corrupt
 * input), a helper not on $PATH VG_E_NOTFOUND (the caller warns and goes on without it),
 * everything else (not executable, failed, crashed, timed out) VG_E_AUTH (exit 5). */
static int
helper_get(struct vg_oci_remote_creds *out, bool *found, const char *name, const char *source,
           const char *registry, const char *what, struct vg_err **err)
{
    vg_autofree char *prog = vg_fmt(HELPER_PREFIX "%s", name);
    struct vg_buf b = VG_BUF_INIT(HELPER_OUT_MAX);
    vg_autobuf struct vg_buf eb = VG_BUF_INIT(HELPER_ERR_MAX);
    struct helper_proc p;
    /* Reserved up front so the answer is never copied by a realloc, leaving no unwiped copy. */
    int rc = vg_buf_reserve(&b, HELPER_OUT_MAX, err);
    if (rc == 0) {
        rc = helper_exec(&p, prog, helper_server_url(registry), &b, &eb, err);
    }
    if (rc == 0 && (!WIFEXITED(p.status) || WEXITSTATUS(p.status) != 0)) {
        struct vg_str msg = vg_str_trim((struct vg_str){(const char *)b.data, b.len});
        if (WIFEXITED(p.status) && vg_str_eq_c(msg, HELPER_NOT_FOUND_MSG)) {
            VG_DEBUG("registry", "credential helper %s has no credentials for %s", prog, registry);
        } else {
            rc = helper_status_error(&p, &b, &eb, err);
        }
    } else if (rc == 0) {
        rc = vg_oci_remote_creds_from_helper_answer(out, found, b.data, b.len, err);
    }
    if (b.data) {
        explicit_bzero(b.data, b.cap);
    }
    vg_buf_dispose(&b);
    if (rc < 0) {
        vg_oci_remote_creds_dispose(out);
        *found = false;
        return vg_err_wrap(err, "credential helper %s (%s in %s) for %s", prog, source, what,
                           registry);
    }
    return 0;
}

/* ---------------------------------------------------------------- lookup */

static char *
config_path(const char *docker_config_dir)
{
    if (docker_config_dir && *docker_config_dir) {
        return vg_fmt("%s/config.json", docker_config_dir);
    }
    const char *env = getenv("DOCKER_CONFIG");
    if (env && *env) {
        return vg_fmt("%s/config.json", env);
    }
    const char *home = getenv("HOME");
    if (home && *home) {
        return vg_fmt("%s/.docker/config.json", home);
    }
    return NULL;
}

/* The helper (when one applies and has an entry), else auths. */
static int
config_lookup(struct vg_oci_remote_creds *out, bool *found, const char *registry, const json_t *j,
              const char *path, struct vg_err **err)
{
    const char *helper, *source;
    if (helper_choose(&helper, &source, j, registry, path, err) < 0) {
        return -1;
    }
    if (helper) {
        vg_autoerr struct vg_err *he = NULL;
        if (helper_get(out, found, helper, source, registry, path, &he) < 0) {
            if (vg_err_root_code(he) != VG_E_NOTFOUND) {
                if (err) {
                    *err = vg_steal_ptr(&he);
                }
                return -1;
            }
            /* A config copied from a desktop (credsStore "desktop", "osxkeychain") must not
             * break public pulls: say so, then go on as if no helper were configured. */
            vg_autofree char *msg = vg_err_format(he);
            VG_WARN("registry", "%s; continuing without it", msg);
        }
        if (*found) {
            return 0;
        }
    }
    return auths_lookup(out, found, j, registry, path, err);
}

int
vg_oci_remote_creds_lookup(struct vg_oci_remote_creds *out, bool *found, const char *registry,
                           const char *creds_opt, const char *docker_config_dir,
                           struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    *found = false;
    if (creds_opt) {
        if (split_userpass(out, creds_opt, strlen(creds_opt), "--creds", err) < 0) {
            return -1;
        }
        *found = true;
        return 0;
    }
    vg_autofree char *path = config_path(docker_config_dir);
    if (!path) {
        return 0;
    }
    struct vg_buf b = VG_BUF_INIT(DOCKER_CONFIG_MAX);
    vg_autoerr struct vg_err *rerr = NULL;
    if (vg_file_read(&b, path, DOCKER_CONFIG_MAX, &rerr) < 0) {
        vg_buf_dispose(&b);
        if (vg_err_root_code(rerr) == VG_E_NOTFOUND) {
            return 0;
        }
        if (err) {
            *err = vg_steal_ptr(&rerr);
        }
        return vg_err_wrap(err, "docker config");
    }
    vg_autojson json_t *j = NULL;
    int rc = config_parse(&j, b.data, b.len, path, err);
    explicit_bzero(b.data, b.len);
    vg_buf_dispose(&b);
    if (rc < 0) {
        return rc;
    }
    return config_lookup(out, found, registry, j, path, err);
}

/* ---------------------------------------------------------------- store (vigil login) */

int
vg_oci_remote_creds_store(const char *registry, const char *username, const char *password,
                          const char *docker_config_dir, char **path_out, struct vg_err **err)
{
    vg_autofree char *path = config_path(docker_config_dir);
    if (!path) {
        return vg_err_set(err, VG_E_USAGE, "no docker config directory: set DOCKER_CONFIG or HOME");
    }
    if (strchr(username, ':')) {
        return vg_err_set(err, VG_E_USAGE, "a username must not contain ':'");
    }
    struct vg_buf b = VG_BUF_INIT(DOCKER_CONFIG_MAX);
    vg_autoerr struct vg_err *rerr = NULL;
    vg_autojson json_t *j = NULL;
    int rc = vg_file_read(&b, path, DOCKER_CONFIG_MAX, &rerr);
    if (rc < 0 && vg_err_root_code(rerr) != VG_E_NOTFOUND) {
        vg_buf_dispose(&b);
        if (err) {
            *err = vg_steal_ptr(&rerr);
        }
        return vg_err_wrap(err, "docker config");
    }
    rc = rc == 0 ? config_parse(&j, b.data, b.len, path, err) : 0;
    explicit_bzero(b.data, b.cap);
    vg_buf_dispose(&b);
    if (rc < 0) {
        return rc;
    }
    if (!j) {
        j = json_object();
    }
    json_t *auths = json_object_get(j, "auths");
    if (!json_is_object(auths)) {
        auths = json_object();
        json_object_set_new(j, "auths", auths);
    }
    /* Older spellings of the same registry ("https://host/", "http://host") would shadow or
     * confuse: one entry per registry, under docker's key. */
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(auths, tmp, key, v)
    {
        if (key_matches(key, registry)) {
            wipe_json_tree(v);
            json_object_del(auths, key);
        }
    }
    size_t n = strlen(username) + 1 + strlen(password);
    char *up = vg_malloc(n + 1);
    snprintf(up, n + 1, "%s:%s", username, password);
    char *b64 = vg_base64_encode(up, n);
    explicit_bzero(up, n);
    free(up);
    bool hub = strcmp(registry, "docker.io") == 0 || strcmp(registry, "index.docker.io") == 0;
    json_object_set_new(auths, hub ? DOCKER_HUB_KEY : registry, json_pack("{s:s}", "auth", b64));
    explicit_bzero(b64, strlen(b64));
    free(b64);
    char *out = vg_json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    wipe_json_tree(j);
    if (!out) {
        return vg_err_set(err, VG_E_PARSE, "%s: cannot serialise", path);
    }
    vg_autofree char *dir = vg_strdup(path);
    *strrchr(dir, '/') = '\0';
    size_t outlen = strlen(out);
    rc = vg_mkdir_p(dir, 0700, err);
    if (rc == 0) {
        rc = vg_file_write_atomic(path, out, outlen, 0600, err);
    }
    explicit_bzero(out, outlen);
    free(out);
    if (rc == 0 && path_out) {
        *path_out = vg_steal_ptr(&path);
    }
    return rc;
}
