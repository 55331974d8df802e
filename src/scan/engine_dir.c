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
