/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to oci/: platform normalization shared by image.c and platform.c.
 */
#ifndef VG_OCI_PLATFORM_INT_H
#define VG_OCI_PLATFORM_INT_H

#include "oci.h"

/* The default platform: linux/<architecture of this host> (amd64 when unknown). */
void vg_oci_platform_host(struct vg_oci_platform *out);
/* Copies src into dst (deep). */
void vg_oci_platform_copy(struct vg_oci_platform *dst, const struct vg_oci_platform *src);

#endif
