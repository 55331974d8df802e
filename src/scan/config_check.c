/* SPDX-License-Identifier: Apache-2.0
 *
 * Image configuration checks: what the config and the layers say about how the image will
 * run — as root, from a floating tag, with secrets in its environment or build arguments,
 * with remote ADDs, SSH exposed, no health check, package caches left behind, setuid binaries
 * added on top of the base, world-writable system files. The layer metadata comes from a
 * META-only consumer in the same single walk as every other analyzer.
 */
#include "scan.h"
#include "scan_int.h"

#include <pthread.h>
#include <string.h>

struct cfg_entry {
    char *path;
    uint32_t mode;
    size_t layer;
};

struct vg_cfg_collector {
    struct vg_layer_consumer c;
    pthread_mutex_t mu; /* guards items */
    struct cfg_entry *items;
    size_t n;
};

#define MAX_ENTRIES 100000u

static const char *cache_dirs[] = {
    "var/cache/apt/archives/", "var/lib/apt/lists/",           "var/cache/apk/",
    "root/.cache/pip/",        "root/.npm/_cacache/",          "var/cache/yum/",
    "var/cache/dnf/",          "usr/local/share/.cache/yarn/",
};
static const char *system_dirs[] = {"bin/", "sbin/", "usr/", "lib/", "lib64/", "etc/"};

static bool
is_cache_path(const char *p)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(cache_dirs); i++) {
        if (vg_cstr_startswith(p, cache_dirs[i]) && p[strlen(cache_dirs[i])] != '\0' &&
            !vg_cstr_endswith(p, "/lock") && !vg_cstr_endswith(p, "/partial")) {
            return true;
        }
    }
    return false;
}

static bool
is_system_path(const char *p)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(system_dirs); i++) {
        if (vg_cstr_startswith(p, system_dirs[i])) {
            return true;
        }
    }
    return false;
}

static enum vg_layer_want
cfg_want(void *ctx, const struct vg_layer_file *f)
{
    (void)ctx;
    uint32_t type = f->mode & 0170000;
    if (type == 0100000 && (f->mode & 06000)) {
        return VG_WANT_META;
    }
    if ((type == 0100000 || type == 0040000) && (f->mode & 0002) && !(f->mode & 01000) &&
        is_system_path(f->path)) {
        return VG_WANT_META;
    }
    if (type == 0100000 && is_cache_path(f->path)) {
        return VG_WANT_META;
    }
    return VG_WANT_NONE;
}

static int
cfg_on_file(void *ctx, const struct vg_layer_file *f, const uint8_t *data, size_t len,
            struct vg_err **err)
{
    (void)data;
    (void)len;
    (void)err;
    struct vg_cfg_collector *c = ctx;
    pthread_mutex_lock(&c->mu);
    if (c->n < MAX_ENTRIES) {
        VG_ARRAY_GROW(c->items, c->n, 1);
        c->items[c->n++] = (struct cfg_entry){vg_strdup(f->path), f->mode, f->layer_index};
    }
    pthread_mutex_unlock(&c->mu);
    return 0;
}

struct vg_cfg_collector *
vg_cfg_collector_new(void)
{
    struct vg_cfg_collector *c = vg_calloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    c->c = (struct vg_layer_consumer){
        .name = "config", .ctx = c, .want = cfg_want, .on_file = cfg_on_file};
    return c;
}

struct vg_layer_consumer *
vg_cfg_collector_consumer(struct vg_cfg_collector *c)
{
    return &c->c;
}

void
vg_cfg_collector_free(struct vg_cfg_collector *c)
{
    if (!c) {
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].path);
    }
    free(c->items);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* `id` is Trivy's check id where Trivy has the same check (its Dockerfile checks, which it also
 * runs on image configs), with its AVD id; vigil's own checks keep their VG-CFG ids. `vg_id` is
 * the id vigil used before adopting Trivy's, still accepted by ignore files. */
struct check {
    const char *id, *avd_id, *vg_id, *title, *resolution;
    enum vg_vulndb_severity severity;
};

static const struct check CHECKS[] = {
    {"DS002", "AVD-DS-0002", "VG-CFG-001", "Image runs as root",
     "Add a non-root USER (e.g. 'USER 10001') to the Dockerfile.", VG_SEV_HIGH},
    {"DS001", "AVD-DS-0001", "VG-CFG-002", "Image reference is not pinned",
     "Reference a specific version tag or, better, a digest (image@sha256:...).", VG_SEV_MEDIUM},
    {"DS031", "AVD-DS-0031", "VG-CFG-003", "Secret in environment or build argument",
     "Pass secrets at run time (mounted files, a secret manager) or with BuildKit "
     "'--mount=type=secret'; never bake them into ENV or ARG.",
     VG_SEV_CRITICAL},
    {"DS005", "AVD-DS-0005", "VG-CFG-004", "ADD of a remote URL",
     "Download with curl/wget in a RUN step and verify a checksum, or COPY a vetted file.",
     VG_SEV_MEDIUM},
    {"DS004", "AVD-DS-0004", "VG-CFG-005", "SSH port 22 exposed",
     "Do not run sshd in containers; use 'kubectl exec' or 'docker exec' for access.",
     VG_SEV_MEDIUM},
    {"DS026", "AVD-DS-0026", "VG-CFG-006", "No HEALTHCHECK",
     "Add a HEALTHCHECK instruction (or define liveness/readiness probes in Kubernetes).",
     VG_SEV_LOW},
    {"VG-CFG-007", "VG-CFG-007", "VG-CFG-007", "Package manager cache left in the image",
     "Clean caches in the same RUN step: 'apt-get clean && rm -rf /var/lib/apt/lists/*', "
     "'apk add --no-cache', 'pip install --no-cache-dir', 'npm cache clean --force'.",
     VG_SEV_LOW},
    {"VG-CFG-008", "VG-CFG-008", "VG-CFG-008",
     "setuid/setgid binary added on top of the base layer",
     "Remove the setuid/setgid bit (chmod u-s,g-s) unless the binary truly needs it.", VG_SEV_HIGH},
    {"VG-CFG-009", "VG-CFG-009", "VG-CFG-009", "World-writable file in a system directory",
     "Remove world write permission (chmod o-w) from files under /bin, /sbin, /usr, /lib and "
     "/etc.",
     VG_SEV_MEDIUM},
};

static void
add(struct vg_scan_report *r, size_t which, char *message)
{
    const struct check *c = &CHECKS[which];
    VG_ARRAY_GROW(r->configs, r->nconfigs, 1);
    r->configs[r->nconfigs++] = (struct vg_config_finding){.id = c->id,
                                                           .avd_id = c->avd_id,
                                                           .vg_id = c->vg_id,
                                                           .title = c->title,
                                                           .resolution = c->resolution,
                                                           .severity = c->severity,
                                                           .message = message};
}

static bool
root_user(const char *u)
{
    if (!u || !*u) {
        return true;
    }
    struct vg_str user, group;
    vg_str_cut(vg_str_c(u), ':', &user, &group);
    return vg_str_eq_c(user, "0") || vg_str_eq_c(user, "root");
}

bool
vg_scan_secret_name(struct vg_str name)
{
    static const char *words[] = {"PASSWORD", "PASSWD",      "SECRET",     "TOKEN",     "API_KEY",
                                  "APIKEY",   "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL"};
    vg_autofree char *up = vg_str_dup(name);
    for (char *p = up; *p; p++) {
        if (*p >= 'a' && *p <= 'z') {
            *p = (char)(*p - 'a' + 'A');
        }
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(words); i++) {
        if (strstr(up, words[i])) {
            return true;
        }
    }
    return false;
}

/* NAME=value assignments with a secret-looking name and a non-empty value. */
static void
check_assignments(struct vg_scan_report *r, const char *where, const char *text)
{
    struct vg_str rest = vg_str_c(text), word;
    while (rest.len) {
        vg_str_cut(rest, ' ', &word, &rest);
        struct vg_str name, value;
        if (!vg_str_cut(word, '=', &name, &value) || !value.len || !name.len) {
            continue;
        }
        if (name.ptr[0] == '|' || !vg_scan_secret_name(name)) {
            continue;
        }
        vg_autofree char *n = vg_str_dup(name);
        add(r, 2, vg_fmt("%s sets %s to a non-empty value", where, n));
    }
}

static void
check_config(struct vg_scan_report *r, const struct vg_oci_image *img)
{
    const struct vg_oci_config *c = img->config;
    if (!c) {
        return;
    }
    if (root_user(c->user)) {
        add(r, 0,
            c->user && *c->user ? vg_fmt("USER is '%s'", c->user)
                                : vg_strdup("no USER is set, so the container runs as root"));
    }
    if (img->ref && (img->ref->tag_implied || (img->ref->tag && !img->ref->digest &&
                                               strcmp(img->ref->tag, "latest") == 0))) {
        add(r, 1,
            vg_fmt("%s uses %s", img->reference,
                   img->ref->tag_implied ? "no tag (implicitly :latest)" : "the :latest tag"));
    }
    for (size_t i = 0; i < c->nenv; i++) {
        check_assignments(r, "ENV", c->env[i]);
    }
    for (size_t i = 0; i < c->nhistory; i++) {
        const char *cb = c->history[i].created_by;
        if (!cb) {
            continue;
        }
        /* BuildKit records build args of RUN steps as "RUN |N NAME=value ... cmd". */
        if (strstr(cb, "|1 ") || strstr(cb, "|2 ") || strstr(cb, "|3 ") || strstr(cb, "ARG ")) {
            vg_autofree char *where = vg_fmt("build step %zu (ARG)", i + 1);
            check_assignments(r, where, cb);
        }
        const char *add_at = strstr(cb, "ADD ");
        if (add_at && (strstr(add_at, "http://") || strstr(add_at, "https://"))) {
            vg_autofree char *e = vg_escape(cb, strlen(cb), 200);
            add(r, 3, vg_fmt("build step %zu: %s", i + 1, e));
        }
    }
    for (size_t i = 0; i < c->nexposed_ports; i++) {
        if (strcmp(c->exposed_ports[i], "22/tcp") == 0 || strcmp(c->exposed_ports[i], "22") == 0) {
            add(r, 4, vg_strdup("port 22/tcp is exposed"));
        }
    }
    bool hc = c->healthcheck && json_is_object(c->healthcheck);
    if (hc) {
        json_t *test = json_object_get(c->healthcheck, "Test");
        const char *first = json_is_array(test) ? json_string_value(json_array_get(test, 0)) : NULL;
        hc = !(first && strcmp(first, "NONE") == 0);
    }
    if (!hc) {
        add(r, 5, vg_strdup("the image config defines no HEALTHCHECK"));
    }
}

static void
check_files(struct vg_scan_report *r, const struct vg_cfg_collector *cc,
            const struct vg_layers_result *lr)
{
    size_t caches = 0;
    const char *first_cache = NULL;
    for (size_t i = 0; i < cc->n; i++) {
        const struct cfg_entry *e = &cc->items[i];
        if (lr && !vg_layers_result_present(lr, e->path, e->layer)) {
            continue;
        }
        uint32_t type = e->mode & 0170000;
        if (type == 0100000 && (e->mode & 06000) && e->layer > 0) {
            add(r, 7,
                vg_fmt("/%s (mode %04o) added in layer %zu", e->path, (unsigned)(e->mode & 07777),
                       e->layer + 1));
        }
        if ((e->mode & 0002) && !(e->mode & 01000) && is_system_path(e->path)) {
            add(r, 8,
                vg_fmt("/%s is world-writable (mode %04o)", e->path, (unsigned)(e->mode & 07777)));
        }
        if (type == 0100000 && is_cache_path(e->path)) {
            if (!first_cache) {
                first_cache = e->path;
            }
            caches++;
        }
    }
    if (caches) {
        add(r, 6,
            vg_fmt("%zu cached package file%s left, e.g. /%s", caches, caches == 1 ? "" : "s",
                   first_cache));
    }
}

void
vg_scan_config_check_image(struct vg_scan_report *r, const struct vg_oci_image *img)
{
    check_config(r, img);
}

void
vg_scan_config_check_files(struct vg_scan_report *r, const struct vg_cfg_collector *cc,
                           const struct vg_layers_result *lr)
{
    check_files(r, cc, lr);
}

void
vg_scan_config_restore(struct vg_scan_report *r, const char *id, const char *message)
{
    for (size_t i = 0; id && i < VG_ARRAY_LEN(CHECKS); i++) {
        if (strcmp(CHECKS[i].id, id) == 0 || strcmp(CHECKS[i].vg_id, id) == 0) {
            add(r, i, vg_strdup(message ? message : ""));
            return;
        }
    }
}
