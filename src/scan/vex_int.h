/* SPDX-License-Identifier: Apache-2.0
 *
 * The parsed form of VEX documents shared by the OpenVEX reader (ignore_vex.c), the CycloneDX
 * VEX reader (vex_cdx.c) and the matcher (vex_match.c). Every identifier is parsed once, at
 * load time, so a lookup never re-parses text.
 */
#ifndef VG_SCAN_VEX_INT_H
#define VG_SCAN_VEX_INT_H

#include "inventory/inventory.h"
#include "oci/oci.h"

#include "scan/scan.h"

/* Products and subcomponents (hierarchy levels) per statement; more is VG_E_LIMIT. */
#define VEX_MAX_COMPONENTS 10000u
#define VEX_MAX_IDS        16u /* identifiers of one product or subcomponent */

enum vex_id_kind {
    VEX_ID_PURL = 1, /* pkg:... */
    VEX_ID_DIGEST,   /* sha256:<hex> from an @id or a hashes entry */
    VEX_ID_REF,      /* an image reference (registry/repo[:tag][@digest]) */
    VEX_ID_OTHER     /* anything else: never matches */
};

struct vex_id {
    enum vex_id_kind kind;
    char *text;             /* as written (purl/other), or the digest */
    struct vg_purl purl;    /* VEX_ID_PURL */
    struct vg_oci_ref *ref; /* VEX_ID_REF */
};

/* A product or a subcomponent: every identifier it carries must match. */
struct vex_comp {
    struct vex_id *ids;
    size_t nids;
};

struct vex_product {
    struct vex_comp c;
    struct vex_comp *subs;
    size_t nsubs;
};

struct vex_stmt {
    char **vulns; /* name, @id, aliases */
    size_t nvulns;
    struct vex_product *prods;
    size_t nprods;
    enum vg_vex_status status;
    char *justification; /* justification, else impact statement, else status name */
};

struct vex_key {
    const char *vuln; /* borrowed from a statement */
    size_t stmt;
};

struct vg_vex {
    struct vex_stmt *st;
    size_t n, cap;
    struct vex_key *keys; /* sorted by vuln then stmt; rebuilt after each document */
    size_t nkeys;
};

/* Adds one identifier to c (classifying and parsing it). Unparseable purls and references
 * become VEX_ID_OTHER; VG_E_LIMIT past VEX_MAX_IDS. */
int vg_vex_comp_add_id(struct vex_comp *c, const char *id, struct vg_err **err);
/* Adds a hashes entry ("sha-256": hex); other algorithms become VEX_ID_OTHER. */
int vg_vex_comp_add_hash(struct vex_comp *c, const char *alg, const char *hex, struct vg_err **err);
void vg_vex_comp_dispose(struct vex_comp *c);
/* A new zeroed statement at the end of v (grows the array). */
struct vex_stmt *vg_vex_stmt_push(struct vg_vex *v);
void vg_vex_stmt_add_vuln(struct vex_stmt *s, const char *name);
/* The CycloneDX VEX reader: statements of a parsed CycloneDX document appended to v. */
int vg_vex_parse_cyclonedx(struct vg_vex *v, const json_t *root, struct vg_err **err);

#endif
