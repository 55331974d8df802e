/* SPDX-License-Identifier: Apache-2.0
 *
 * Scans of an image read from a caller's blob provider (the registry's own storage): a full
 * scan, and a re-match from a saved analysis that reads no layer (registry rescans).
 */
#include "scan.h"
#include "scan_int.h"

int
vg_scan_image_provider(struct vg_scan_report **out, const struct vg_oci_blob_provider *p,
                       const struct vg_digest *root, const char *reference,
                       const struct vg_scan_opts *o, struct vg_err **err)
{
    struct vg_oci_image *img = NULL;
    if (vg_oci_image_open_provider(&img, p, root, reference, &o->open, err) < 0) {
        return -1;
    }
    return vg_scan_opened_image(out, img, o, NULL, 0, err);
}

int
vg_scan_image_provider_rematch(struct vg_scan_report **out, const struct vg_oci_blob_provider *p,
                               const struct vg_digest *root, const char *reference,
                               const char *analysis, size_t len, const struct vg_scan_opts *o,
                               struct vg_err **err)
{
    struct vg_oci_image *img = NULL;
    if (vg_oci_image_open_provider(&img, p, root, reference, &o->open, err) < 0) {
        return -1;
    }
    return vg_scan_opened_image(out, img, o, analysis ? analysis : "", analysis ? len : 0, err);
}
