/* SPDX-License-Identifier: Apache-2.0
 *
 * The directory side of the scan engine (`vigil fs`, `vigil rootfs`): the walk of a tree with
 * the engine's consumers, and what it never enters. The consumers and the rest of the scan
 * are engine.c's, shared with image scans.
 */
#include "scan.h"

#include "scan_int.h"

/* What a directory walk never enters: Trivy's defaults (.git anywhere; the pseudo file
 * systems of a live root) and --skip-dirs. */
int
vg_scan_walk_dir(const char *dir, struct vg_layer_consumer *const *consumers, size_t n,
                 const struct vg_scan_opts *o, struct vg_err **err)
{
    static const char *const defaults[] = {"**/.git", "proc", "sys", "dev"};
    size_t ns = VG_ARRAY_LEN(defaults) + o->inv.nskip_dirs;
    vg_autofree const char **skip = vg_calloc(ns, sizeof(*skip));
    for (size_t i = 0; i < VG_ARRAY_LEN(defaults); i++) {
        skip[i] = defaults[i];
    }
    for (size_t i = 0; i < o->inv.nskip_dirs; i++) {
        skip[VG_ARRAY_LEN(defaults) + i] = o->inv.skip_dirs[i];
    }
    struct vg_layers_dir_opts dopts = {
        .skip_dirs = skip, .nskip_dirs = ns, .quiet = o->quiet, .deadline_ns = o->open.deadline_ns};
    struct vg_layer_stats st;
    if (vg_layers_walk_dir(&st, dir, consumers, n, &dopts, err) < 0) {
        return vg_err_wrap(err, "walk %s", dir);
    }
    VG_DEBUG("scan", "%s: %llu entries, %llu skipped", dir, (unsigned long long)st.files,
             (unsigned long long)st.skipped_unsafe);
    return 0;
}

/* --scanners misconfig over a tree: every Dockerfile and Kubernetes/EncryptionConfiguration
 * candidate goes through misconf.h, named by its path relative to the tree. Directory walks
 * call consumers on one thread, so r->configs needs no lock here. */
static enum vg_layer_want
misconf_want(void *ctx, const struct vg_layer_file *f)
{
    (void)ctx;
    return (f->mode & 0170000) == 0100000 && f->size > 0 &&
                   vg_misconf_path_type(f->path) != VG_MISCONF_NONE
               ? VG_WANT_WHOLE
               : VG_WANT_NONE;
}

static int
misconf_on_file(void *ctx, const struct vg_layer_file *f, const uint8_t *data, size_t len,
                struct vg_err **err)
{
    (void)err;
    struct vg_scan_misconf_consumer *m = ctx;
    if (!data) {
        return 0;
    }
    struct vg_misconf_opts mo = {.secrets = m->secrets};
    struct vg_err *e = NULL;
    if (vg_misconf_scan_file(m->report, f->path, data, len, &mo, &e) < 0) {
        vg_autofree char *msg = vg_err_format(e);
        VG_WARN("scan", "configuration check of %s skipped: %s", f->path, msg);
        vg_err_free(&e);
    }
    return 0;
}

struct vg_layer_consumer *
vg_scan_misconf_consumer_init(struct vg_scan_misconf_consumer *m, struct vg_scan_report *r,
                              const struct vg_secret_engine *secrets)
{
    m->report = r;
    m->secrets = secrets;
    m->c = (struct vg_layer_consumer){.name = "misconfig",
                                      .ctx = m,
                                      .max_file_bytes = VG_MISCONF_MAX_BYTES,
                                      .want = misconf_want,
                                      .on_file = misconf_on_file};
    return &m->c;
}
