/* SPDX-License-Identifier: Apache-2.0
 *
 * A read-only view of a zip archive held in memory (jar, war, ear, egg): the central
 * directory parsed through the bounded reader (zip64 aware, prepended data such as the shell
 * launcher of "fully executable" Spring Boot jars tolerated), and bounded extraction of one
 * member (stored, or deflated through zlib). Entry names are borrowed from the archive bytes.
 *
 * Nothing is trusted: declared sizes are claims checked against the caller's bound before
 * anything is allocated, and inflation stops at that bound whatever the header said.
 */
#ifndef VG_INV_ZIP_INT_H
#define VG_INV_ZIP_INT_H

#include "inventory/inventory_int.h"

struct vg_inv_zip_entry {
    struct vg_str name; /* borrowed; not NUL-terminated */
    uint16_t flags, method;
    uint64_t csize, usize, lho;
};

struct vg_inv_zip {
    const uint8_t *data; /* the whole file, borrowed */
    size_t len;
    uint64_t base; /* bytes of prepended data before the archive proper */
    struct vg_inv_zip_entry *ents;
    size_t n;
};

/* True when data starts like a zip archive or carries an end-of-central-directory record. */
bool vg_inv_zip_sniff(const uint8_t *data, size_t len);
/* Parses the central directory (VG_E_PARSE when corrupt, VG_E_LIMIT past
 * VG_INV_MAX_JAR_ENTRIES). On failure z is left empty. */
int vg_inv_zip_open(struct vg_inv_zip *z, const uint8_t *data, size_t len, struct vg_err **err);
void vg_inv_zip_dispose(struct vg_inv_zip *z);
/* Locates an entry's compressed bytes inside the archive. */
int vg_inv_zip_raw(const struct vg_inv_zip *z, const struct vg_inv_zip_entry *e,
                   const uint8_t **data, size_t *len, struct vg_err **err);
/* Extracts an entry into out (reset first): VG_E_LIMIT when its declared or actual size
 * exceeds max, VG_E_UNSUPPORTED for encrypted entries or methods other than stored/deflate. */
int vg_inv_zip_read(const struct vg_inv_zip *z, const struct vg_inv_zip_entry *e, size_t max,
                    struct vg_buf *out, struct vg_err **err);

#endif
