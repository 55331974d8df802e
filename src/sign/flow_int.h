/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal helpers shared by the registry-flow files (flow.c pushes, check.c verifies and
 * lists).
 */
#ifndef VG_SIGN_FLOW_INT_H
#define VG_SIGN_FLOW_INT_H

#include "sign_int.h"

/* The `.sig`/`.att` image at tag, or an empty one when the tag does not exist (404). Other
 * registry errors are returned as they are. */
VG_NODISCARD int vg_sign__read_sig_image(struct vg_oci_remote_client *c, const char *tag,
                                         struct vg_sign_sig_image **out, struct vg_err **err);
/* The same from a MANIFEST read of a batch (its error, if any, moves to err). */
VG_NODISCARD int vg_sign__sig_image_from(struct vg_oci_remote_get *g,
                                         struct vg_sign_sig_image **out, struct vg_err **err);
/* The referrers tag schema (a registry without the referrers API): adds manifest, as a referrer
 * of artifact_type, to the index at "sha256-<hex>" of t's digest, re-reading after a settle
 * interval so a concurrent writer's replacement is noticed. */
VG_NODISCARD int vg_sign__fallback_index_update(const struct vg_sign_target *t,
                                                const struct vg_buf *manifest,
                                                const char *artifact_type, struct vg_err **err);

#endif
