/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to oci/: descriptor parsing and media-type classification shared by the manifest
 * parser, the sources and image.c.
 */
#ifndef VG_OCI_MANIFEST_INT_H
#define VG_OCI_MANIFEST_INT_H

#include "oci.h"

/* Parses one descriptor object; `where` is its JSON pointer for messages. VG_E_PARSE. */
int vg_oci_desc_parse(struct vg_oci_desc *out, const json_t *j, const char *where,
                      struct vg_err **err);

bool vg_oci_mt_is_manifest(const char *mt); /* OCI manifest or Docker schema2 */
bool vg_oci_mt_is_index(const char *mt);    /* OCI index or Docker manifest list */
bool vg_oci_mt_is_schema1(const char *mt);
bool vg_oci_mt_is_image_config(const char *mt);
bool vg_oci_mt_is_layer(const char *mt); /* tar layers: plain, gzip, zstd, Docker, foreign */

#endif
