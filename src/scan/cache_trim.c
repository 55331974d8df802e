/* SPDX-License-Identifier: Apache-2.0
 *
 * Bounding the analysis cache (vg_scan_cache_trim, engine.h): after a scan writes entries, the
 * entries of DIR/scan, DIR/inventory and DIR/layers older than the age limit are removed, then the
 * least recently used ones (oldest mtime first; a cache hit touches its entry) until the rest fits
 * in the size limit.
 *
 * Several vigil processes may share the cache. Entries are only ever created by rename (the
 * atomic write of core/fs), so a file named like an entry is complete; the temporary file of a
 * write in progress ("KEY.json.tmp.PID.XXXXXX") is never counted nor removed unless it is older
 * than an hour (a crashed writer's leftover). Removing an entry another process is reading is
 * harmless (its open descriptor stays valid) and one that vanished meanwhile is skipped. Nothing
 * outside these directories is looked at, and no symbolic link is followed or removed.
 */
#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRIM_TMP_STALE_S  3600
#define TRIM_MAX_ENTRIES  1000000u
#define TRIM_MAX_NAME     255u
#define TRIM_ENTRY_SUFFIX ".json"
#define TRIM_TEMP_INFIX   ".json.tmp."

struct trim_entry {
    int dirfd; /* borrowed from the caller's array */
    char name[TRIM_MAX_NAME + 1];
    uint64_t size;
    int64_t mtime_s;
    long mtime_ns;
    unsigned written; /* order of writing within one run: layers 0, inventory 1, image 2 */
};

struct trim_list {
    struct trim_entry *v;
    size_t n, cap;
};

static int
by_mtime(const void *a, const void *b)
{
    const struct trim_entry *x = a, *y = b;
    if (x->mtime_s != y->mtime_s) {
        return x->mtime_s < y->mtime_s ? -1 : 1;
    }
    if (x->mtime_ns != y->mtime_ns) {
        return x->mtime_ns < y->mtime_ns ? -1 : 1;
    }
    /* Equal times (the file clock is coarse): a run writes its layer entries, then the
     * inventory, then the image entry, so that is their age order. */
    if (x->written != y->written) {
        return x->written < y->written ? -1 : 1;
    }
    return strcmp(x->name, y->name);
}

static bool
is_entry_name(const char *name)
{
    size_t n = strlen(name), s = strlen(TRIM_ENTRY_SUFFIX);
    return n > s && name[0] != '.' && strcmp(name + n - s, TRIM_ENTRY_SUFFIX) == 0 &&
           !strstr(name, TRIM_TEMP_INFIX);
}

/* Removes dirfd/name if it is still the regular file first seen (same inode): a file renamed
 * over it since is another process's fresh entry and stays. */
static bool
remove_if_same(int dirfd, const char *name, const struct stat *seen)
{
    struct stat now;
    if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 || now.st_ino != seen->st_ino ||
        now.st_dev != seen->st_dev || !S_ISREG(now.st_mode)) {
        return false;
    }
    return unlinkat(dirfd, name, 0) == 0;
}

/* Lists the entries of one directory into *v, removing stale temporary files on the way. */
static int
collect(int dirfd, const char *path, int64_t now, struct trim_list *v,
        struct vg_scan_cache_trim_stats *st, struct vg_err **err)
{
    int fd = dup(dirfd);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0) {
            close(fd);
        }
        return vg_err_sys(err, VG_E_IO, "read directory %s", path);
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        struct stat sb;
        if (strlen(name) > TRIM_MAX_NAME || fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(sb.st_mode)) {
            continue;
        }
        if (strstr(name, TRIM_TEMP_INFIX)) {
            if (now - (int64_t)sb.st_mtim.tv_sec > TRIM_TMP_STALE_S &&
                remove_if_same(dirfd, name, &sb)) {
                st->removed++;
                st->removed_bytes += (uint64_t)sb.st_size;
            }
            continue;
        }
        if (!is_entry_name(name) || v->n >= TRIM_MAX_ENTRIES) {
            continue;
        }
        struct trim_entry e = {.dirfd = dirfd,
                               .size = (uint64_t)sb.st_size,
                               .mtime_s = (int64_t)sb.st_mtim.tv_sec,
                               .mtime_ns = sb.st_mtim.tv_nsec};
        memcpy(e.name, name, strlen(name) + 1);
        vg_vec_push(v, e);
    }
    closedir(d);
    return 0;
}

static bool
remove_entry(const struct trim_entry *e)
{
    struct stat sb;
    if (fstatat(e->dirfd, e->name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode) ||
        (int64_t)sb.st_mtim.tv_sec != e->mtime_s || sb.st_mtim.tv_nsec != e->mtime_ns) {
        return false; /* gone, or used or rewritten since it was listed: keep it */
    }
    return remove_if_same(e->dirfd, e->name, &sb);
}

int
vg_scan_cache_trim(const char *cache_dir, const struct vg_scan_cache_limits *lim, int64_t now,
                   struct vg_scan_cache_trim_stats *st, struct vg_err **err)
{
    static const char *const SUBDIRS[] = {"scan", "inventory", "layers"};
    struct vg_scan_cache_trim_stats local = {0};
    st = st ? st : &local;
    memset(st, 0, sizeof(*st));
    int fds[VG_ARRAY_LEN(SUBDIRS)];
    struct trim_list v = {0};
    int rc = 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(SUBDIRS); i++) {
        vg_autofree char *path = vg_fmt("%s/%s", cache_dir, SUBDIRS[i]);
        fds[i] = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fds[i] < 0) {
            if (errno != ENOENT) {
                rc = vg_err_sys(err, VG_E_IO, "open %s", path);
            }
            continue;
        }
        size_t first = v.n;
        if (rc == 0 && collect(fds[i], path, now, &v, st, err) < 0) {
            rc = -1;
        }
        for (size_t k = first; k < v.n; k++) {
            v.v[k].written = (unsigned)(VG_ARRAY_LEN(SUBDIRS) - 1 - i);
        }
    }
    if (rc == 0) {
        vg_qsort(v.v, v.n, sizeof(*v.v), by_mtime);
        uint64_t total = 0, kept = v.n;
        for (size_t i = 0; i < v.n; i++) {
            total += v.v[i].size;
        }
        for (size_t i = 0; i < v.n; i++) {
            const struct trim_entry *e = &v.v[i];
            bool too_old =
                lim->max_age_s && now > e->mtime_s && (uint64_t)(now - e->mtime_s) > lim->max_age_s;
            bool too_big = lim->max_bytes && total > lim->max_bytes;
            if (!too_old && !too_big) {
                continue;
            }
            if (remove_entry(e)) {
                st->removed++;
                st->removed_bytes += e->size;
            }
            /* Removed, or used or rewritten by another process since it was listed (then that
             * process's own trim accounts for it): not counted either way. */
            total -= e->size;
            kept--;
        }
        st->bytes = total;
        st->entries = kept;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(SUBDIRS); i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    vg_vec_dispose(&v);
    return rc;
}
