/* SPDX-License-Identifier: Apache-2.0
 *
 * Part of oci.h (included from it; not included directly): the Distribution API client —
 * manifests and blobs by reference, uploads, tag listing and OCI 1.1 referrers — used by
 * signing and by tests. Owned by registry.c / registry_*.c.
 */
#ifndef VG_OCI_REGISTRY_H
#define VG_OCI_REGISTRY_H

#endif
