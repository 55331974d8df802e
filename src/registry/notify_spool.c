/* SPDX-License-Identifier: Apache-2.0
 *
 * The notifications spool's files as the server reads them back (notify.h, "spool files").
 * ROOT/notifications/<endpoint>/ and its inbox/ are written by the server and by `vigil
 * registry rescan`, but anyone with write access there can put anything in them: names that
 * are not ours, symlinks to files outside, FIFOs, hard links, empty, huge or non-JSON files, or
 * JSON that would splice extra events into an envelope. Every file is opened without following
 * a symlink and without waiting on a FIFO, must be a regular file with one link and a bounded,
 * non-zero size, and must hold one JSON event object, which is re-serialised (compact) before
 * it is embedded in an envelope. What fails goes to <endpoint>/quarantine/ with one log line;
 * quarantine/ itself is bounded (count and bytes, oldest removed first, one log line a trim).
 */
#include "registry/notify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUFFIX        ".json"
#define INBOX_NAME    (16u + 1u + 8u + 1u + 8u) /* <ns>-<pid>-<n>, then the suffix */
#define TEMP_INFIX    ".tmp."
#define QUARANTINE    "quarantine"
#define SEQ_MAX_VALID (UINT64_MAX >> 1) /* sequences the server writes never get near 2^63 */

static bool
hex_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

bool
vg_registry_notify_spool_name(const char *name, uint64_t *seq)
{
    if (strlen(name) != 16 + strlen(SUFFIX) || strcmp(name + 16, SUFFIX) != 0 ||
        !hex_digits(name, 16)) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < 16; i++) {
        char c = name[i];
        v = v << 4 | (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    if (v > SEQ_MAX_VALID) {
        return false; /* next_seq would wrap around onto existing files */
    }
    *seq = v;
    return true;
}

bool
vg_registry_notify_inbox_name(const char *name)
{
    return strlen(name) == INBOX_NAME + strlen(SUFFIX) && hex_digits(name, 16) && name[16] == '-' &&
           hex_digits(name + 17, 8) && name[25] == '-' && hex_digits(name + 26, 8) &&
           strcmp(name + INBOX_NAME, SUFFIX) == 0;
}

bool
vg_registry_notify_temp_name(const char *name)
{
    /* vg_file_write_atomic's "<final name>.tmp.<pid>.XXXXXX" */
    const char *t = strstr(name, SUFFIX TEMP_INFIX);
    if (!t || !t[strlen(SUFFIX TEMP_INFIX)] || strchr(name, '/')) {
        return false;
    }
    size_t base = (size_t)(t - name) + strlen(SUFFIX);
    char head[INBOX_NAME + sizeof(SUFFIX)];
    if (base >= sizeof(head)) {
        return false;
    }
    memcpy(head, name, base);
    head[base] = '\0';
    uint64_t seq;
    return vg_registry_notify_spool_name(head, &seq) || vg_registry_notify_inbox_name(head);
}

int
vg_registry_notify_event_check(char **out, const void *data, size_t len, struct vg_err **err)
{
    *out = NULL;
    if (len == 0) {
        return vg_err_set(err, VG_E_PARSE, "empty file");
    }
    json_t *doc = NULL;
    if (vg_json_parse(&doc, data, len, VG_REGISTRY_NOTIFY_EVENT_MAX, "event", err) < 0) {
        return -1;
    }
    int rc = 0;
    const char *action = json_is_object(doc) ? vg_json_str(doc, "action") : NULL;
    bool known = false;
    for (unsigned bit = 1; action && bit <= VG_NOTIFY_DENY && !known; bit <<= 1) {
        known = strcmp(action, vg_registry_notify_action_name(bit)) == 0;
    }
    if (!json_is_object(doc)) {
        rc = vg_err_set(err, VG_E_PARSE, "event: not a JSON object");
    } else if (!vg_json_str(doc, "id") || !*vg_json_str(doc, "id")) {
        rc = vg_err_set(err, VG_E_PARSE, "event: no \"id\" string");
    } else if (!known) {
        rc = vg_err_set(err, VG_E_PARSE, "event: \"action\" is not one of the registry's");
    } else if (!(*out = vg_json_dump(doc, false))) {
        rc = vg_err_set(err, VG_E_PARSE, "event: cannot be serialised");
    }
    json_decref(doc);
    return rc;
}

int
vg_registry_notify_spool_read(char **out, const char *dir, const char *name, struct vg_err **err)
{
    *out = NULL;
    vg_autofree char *path = vg_fmt("%s/%s", dir, name);
    /* O_NOFOLLOW: a symlink is refused (ELOOP), never followed out of the spool; O_NONBLOCK: a
     * FIFO is not waited on (it is refused below). */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "open");
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0) {
        rc = vg_err_sys(err, VG_E_IO, "stat");
    } else if (!S_ISREG(st.st_mode)) {
        rc = vg_err_set(err, VG_E_PARSE, "not a regular file");
    } else if (st.st_nlink != 1) {
        rc = vg_err_set(err, VG_E_PARSE, "%ju links (a hard link to another file)",
                        (uintmax_t)st.st_nlink);
    } else if (st.st_size == 0) {
        rc = vg_err_set(err, VG_E_PARSE, "empty file");
    } else if ((uint64_t)st.st_size > VG_REGISTRY_NOTIFY_EVENT_MAX) {
        rc = vg_err_set(err, VG_E_LIMIT, "%lld bytes exceed %u", (long long)st.st_size,
                        VG_REGISTRY_NOTIFY_EVENT_MAX);
    }
    struct vg_buf b = VG_BUF_INIT(VG_REGISTRY_NOTIFY_EVENT_MAX);
    while (rc == 0) {
        uint8_t chunk[8192];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rc = vg_err_sys(err, VG_E_IO, "read");
        } else if (n == 0) {
            break;
        } else if (vg_buf_append(&b, chunk, (size_t)n, err) < 0) {
            rc = -1; /* grew past the bound while being read */
        }
    }
    close(fd);
    if (rc == 0) {
        rc = vg_registry_notify_event_check(out, b.data, b.len, err);
    }
    vg_buf_dispose(&b);
    return rc;
}

/* ep_dir/quarantine/, opened without following a symlink (created 0700 when create and
 * missing): a symlink planted in its place must lead no move and no removal elsewhere. -1
 * when it is not a directory of its own. */
static int
quarantine_open(const char *ep_dir, bool create)
{
    vg_autofree char *qdir = vg_fmt("%s/" QUARANTINE, ep_dir);
    if (create && mkdir(qdir, 0700) < 0 && errno != EEXIST) {
        return -1;
    }
    return open(qdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

void
vg_registry_notify_quarantine(const char *ep_dir, const char *from_dir, const char *name,
                              const char *endpoint, const char *why)
{
    vg_autofree char *from = vg_fmt("%s/%s", from_dir, name);
    bool inbox = strcmp(from_dir, ep_dir) != 0;
    vg_autofree char *to = vg_fmt("%s%s", inbox ? "inbox." : "", name);
    const char *done = "quarantined";
    int qfd = quarantine_open(ep_dir, true);
    if (qfd < 0 || renameat(AT_FDCWD, from, qfd, to) < 0) {
        /* Kept nowhere rather than read again and again (a directory that cannot be removed
         * stays, and is skipped each time without another line: it is not renamed again). */
        done = unlink(from) == 0 || rmdir(from) == 0 ? "removed" : "left in place";
    }
    if (qfd >= 0) {
        close(qfd);
    }
    VG_EVENT(VG_LOG_WARN, "registry", "notification spool file skipped",
             VG_KV_STR("endpoint", endpoint), VG_KV_STR("file", from), VG_KV_STR("reason", why),
             VG_KV_STR("action", done));
}

struct qent {
    int64_t sec;
    long nsec;
    uint64_t size;
    bool dir;
    char *name;
};

static int
qent_cmp(const void *a, const void *b)
{
    const struct qent *x = a, *y = b;
    if (x->sec != y->sec) {
        return x->sec < y->sec ? -1 : 1;
    }
    if (x->nsec != y->nsec) {
        return x->nsec < y->nsec ? -1 : 1;
    }
    return strcmp(x->name, y->name);
}

/* Removes the entry q of the quarantine directory qfd without following a symlink (a
 * directory through the open descriptor's /proc link, so that no path outside is taken). */
static bool
qent_remove(int qfd, const struct qent *q)
{
    if (!q->dir) {
        return unlinkat(qfd, q->name, 0) == 0 || errno == ENOENT; /* gone: as good as removed */
    }
    vg_autofree char *path = vg_fmt("/proc/self/fd/%d/%s", qfd, q->name);
    struct vg_err *err = NULL;
    if (vg_remove_tree(path, NULL, &err) < 0) {
        vg_err_free(&err);
        return false;
    }
    return true;
}

void
vg_registry_notify_quarantine_trim(const char *ep_dir, const char *endpoint, size_t max_files,
                                   uint64_t max_bytes)
{
    int qfd = quarantine_open(ep_dir, false);
    DIR *d = qfd >= 0 ? fdopendir(qfd) : NULL;
    if (!d) {
        if (qfd >= 0) {
            close(qfd);
        }
        return; /* none yet, or not a directory of its own: nothing to trim there */
    }
    VG_VEC(struct qent) v = VG_VEC_INIT;
    uint64_t total = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            fstatat(qfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            continue;
        }
        uint64_t size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
        struct qent q = {st.st_ctim.tv_sec, st.st_ctim.tv_nsec, size, S_ISDIR(st.st_mode),
                         vg_strdup(de->d_name)};
        vg_vec_push(&v, q);
        total += size;
    }
    size_t kept = v.n, removed = 0;
    uint64_t removed_bytes = 0;
    if (kept > max_files || total > max_bytes) {
        vg_qsort(v.v, v.n, sizeof(*v.v), qent_cmp);
        for (size_t i = 0; i < v.n && (kept > max_files || total > max_bytes); i++) {
            if (!qent_remove(qfd, &v.v[i])) {
                continue; /* stays, and counts; the next one goes instead */
            }
            kept--;
            total -= v.v[i].size;
            removed++;
            removed_bytes += v.v[i].size;
        }
    }
    closedir(d);
    for (size_t i = 0; i < v.n; i++) {
        free(v.v[i].name);
    }
    vg_vec_dispose(&v);
    if (removed) {
        VG_EVENT(VG_LOG_WARN, "registry", "notification quarantine trimmed",
                 VG_KV_STR("endpoint", endpoint), VG_KV_U64("removed", removed),
                 VG_KV_U64("removed_bytes", removed_bytes), VG_KV_U64("kept", kept),
                 VG_KV_U64("kept_bytes", total), VG_KV_U64("max_files", max_files),
                 VG_KV_U64("max_bytes", max_bytes));
    }
}
