/* SPDX-License-Identifier: Apache-2.0
 *
 * Operating system detection from the marker files of the final filesystem: os-release
 * (etc/ then usr/lib/), lsb-release, alpine-release, debian_version and the Red Hat family's
 * "<Name> release <version>" files. os-release wins when it names a distribution we know;
 * the others fill gaps (Debian sid has no VERSION_ID) or stand alone in old images.
 *
 * Families are vigil's own short names (see inventory.h); unknown os-release IDs are not
 * guessed at, so an unrecognised image gets no OS ecosystem rather than a wrong one.
 */
#include <ctype.h>
#include <string.h>

#include "inventory/inventory_int.h"

static const struct {
    const char *id, *family;
} os_ids[] = {
    {"debian", "debian"},
    {"ubuntu", "ubuntu"},
    {"alpine", "alpine"},
    {"wolfi", "wolfi"},
    {"chainguard", "chainguard"},
    {"rhel", "rhel"},
    {"centos", "centos"},
    {"rocky", "rocky"},
    {"almalinux", "alma"},
    {"fedora", "fedora"},
    {"amzn", "amazon"},
    {"ol", "oracle"},
    {"sles", "suse"},
    {"sles_sap", "suse"},
    {"sle-micro", "suse"},
    {"sle-micro-rancher", "suse"},
    {"sl-micro", "suse"},
    {"opensuse-leap", "opensuse"},
    {"opensuse-tumbleweed", "opensuse"},
    {"opensuse", "opensuse"},
    {"mariner", "mariner"},
    {"azurelinux", "azurelinux"},
    {"photon", "photon"},
    {"activestate", "activestate"},
    {"echo", "echo"},
    {"minimos", "minimos"},
    {"bottlerocket", "bottlerocket"},
    {"coreos", "coreos"},
};

static const struct {
    const char *prefix, *family;
} release_names[] = {
    {"Red Hat", "rhel"},  {"CentOS", "centos"}, {"Rocky", "rocky"},         {"AlmaLinux", "alma"},
    {"Fedora", "fedora"}, {"Oracle", "oracle"}, {"Amazon Linux", "amazon"},
};

static const char *const os_files[] = {
    "etc/os-release",        "usr/lib/os-release", "etc/lsb-release",    "etc/alpine-release",
    "etc/debian_version",    "etc/redhat-release", "etc/centos-release", "etc/rocky-release",
    "etc/almalinux-release", "etc/fedora-release", "etc/oracle-release", "etc/system-release",
};

bool
vg_inv_os_wants(const char *path)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(os_files); i++) {
        if (strcmp(path, os_files[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Value of KEY=VALUE / KEY="VALUE" in a shell-style file, unquoted; NULL when absent. */
static char *
kv_get(const uint8_t *data, size_t len, const char *key)
{
    struct vg_reader r;
    struct vg_str line;
    size_t klen = strlen(key);
    vg_reader_init(&r, data, len);
    while (vg_reader_line(&r, VG_INV_MAX_OS_FILE_BYTES, &line, NULL) > 0) {
        line = vg_str_trim(line);
        if (line.len <= klen || memcmp(line.ptr, key, klen) != 0 || line.ptr[klen] != '=') {
            continue;
        }
        struct vg_str v = vg_str_trim((struct vg_str){line.ptr + klen + 1, line.len - klen - 1});
        if (v.len >= 2 && (v.ptr[0] == '"' || v.ptr[0] == '\'') && v.ptr[v.len - 1] == v.ptr[0]) {
            v.ptr++;
            v.len -= 2;
        }
        return v.len ? vg_str_dup(v) : NULL;
    }
    return NULL;
}

static const char *
family_of_id(const char *id)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(os_ids); i++) {
        if (strcmp(os_ids[i].id, id) == 0) {
            return os_ids[i].family;
        }
    }
    return NULL;
}

static void
os_set(struct vg_os_info *os, const char *family, char *version, char *pretty)
{
    vg_os_info_dispose(os);
    os->family = vg_strdup(family);
    os->version = version;
    os->version_id_full = vg_strdup(version);
    os->name = pretty;
}

static bool
parse_os_release(struct vg_os_info *os, const uint8_t *data, size_t len)
{
    vg_autofree char *id = kv_get(data, len, "ID");
    if (!id) {
        return false;
    }
    for (char *p = id; *p; p++) {
        *p = (char)tolower((unsigned char)*p);
    }
    const char *fam = family_of_id(id);
    char *ver = kv_get(data, len, "VERSION_ID");
    if (!fam || (!ver && strcmp(fam, "debian") != 0)) {
        free(ver);
        return false;
    }
    os_set(os, fam, ver, kv_get(data, len, "PRETTY_NAME"));
    return true;
}

static char *
first_line(const uint8_t *data, size_t len)
{
    struct vg_reader r;
    struct vg_str line;
    vg_reader_init(&r, data, len);
    if (vg_reader_line(&r, VG_INV_MAX_OS_FILE_BYTES, &line, NULL) <= 0) {
        return NULL;
    }
    line = vg_str_trim(line);
    return line.len ? vg_str_dup(line) : NULL;
}

/* "<Name> release <version> (<codename>)" */
static bool
parse_release_line(struct vg_os_info *os, const uint8_t *data, size_t len)
{
    vg_autofree char *l = first_line(data, len);
    if (!l) {
        return false;
    }
    const char *fam = NULL;
    for (size_t i = 0; i < VG_ARRAY_LEN(release_names); i++) {
        if (vg_cstr_startswith(l, release_names[i].prefix)) {
            fam = release_names[i].family;
            break;
        }
    }
    const char *rel = strstr(l, " release ");
    if (!fam || !rel) {
        return false;
    }
    rel += strlen(" release ");
    size_t n = strcspn(rel, " \t(");
    if (n == 0) {
        return false;
    }
    os_set(os, fam, vg_strndup(rel, n), vg_strdup(l));
    return true;
}

bool
vg_inv_os_parse_file(struct vg_os_info *os, const char *path, const uint8_t *data, size_t len)
{
    if (len > VG_INV_MAX_OS_FILE_BYTES) {
        return false;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strcmp(base, "os-release") == 0) {
        return parse_os_release(os, data, len);
    }
    if (strcmp(base, "lsb-release") == 0) {
        vg_autofree char *id = kv_get(data, len, "DISTRIB_ID");
        char *ver = kv_get(data, len, "DISTRIB_RELEASE");
        if (!id || strcmp(id, "Ubuntu") != 0 || !ver) {
            free(ver);
            return false;
        }
        os_set(os, "ubuntu", ver, kv_get(data, len, "DISTRIB_DESCRIPTION"));
        return true;
    }
    if (strcmp(base, "alpine-release") == 0 || strcmp(base, "debian_version") == 0) {
        char *v = first_line(data, len);
        if (!v) {
            return false;
        }
        bool alpine = base[0] == 'a';
        vg_autofree char *pretty = vg_fmt("%s %s", alpine ? "Alpine Linux" : "Debian GNU/Linux", v);
        os_set(os, alpine ? "alpine" : "debian", v, vg_steal_ptr(&pretty));
        return true;
    }
    return parse_release_line(os, data, len);
}

static const struct vg_inv_os_file *
find_file(const struct vg_inv_os_file *files, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(files[i].path, path) == 0) {
            return &files[i];
        }
    }
    return NULL;
}

void
vg_inv_os_detect(struct vg_os_info *os, const struct vg_inv_os_file *files, size_t n,
                 bool dpkg_statusd_seen)
{
    memset(os, 0, sizeof(*os));
    for (size_t i = 0; i < VG_ARRAY_LEN(os_files); i++) {
        const struct vg_inv_os_file *f = find_file(files, n, os_files[i]);
        if (f && vg_inv_os_parse_file(os, f->path, f->data, f->len)) {
            break;
        }
    }
    if (os->family && strcmp(os->family, "debian") == 0) {
        /* os-release of testing/sid has no VERSION_ID; debian_version has "12.5" or
         * "trixie/sid". */
        const struct vg_inv_os_file *f = find_file(files, n, "etc/debian_version");
        vg_autofree char *full = f ? first_line(f->data, f->len) : NULL;
        if (full) {
            if (!os->version) {
                os->version = vg_strdup(full);
            }
            free(os->version_id_full);
            os->version_id_full = vg_steal_ptr(&full);
        }
    }
    if (os->family && strcmp(os->family, "alpine") == 0) {
        const struct vg_inv_os_file *f = find_file(files, n, "etc/alpine-release");
        char *full = f ? first_line(f->data, f->len) : NULL;
        if (full) {
            free(os->version_id_full);
            os->version_id_full = full;
        }
    }
    if (!os->family && dpkg_statusd_seen) {
        os->family = vg_strdup("distroless");
        os->name = vg_strdup("Distroless");
    }
}
