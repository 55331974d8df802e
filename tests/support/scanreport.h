/* SPDX-License-Identifier: Apache-2.0
 *
 * Test support: hand-built scan reports (struct vg_scan_report) for the tests of the report
 * writers and the scan engine, which need findings without an image or a database.
 * Header-only: include it as "../../support/scanreport.h" after "scan/scan.h".
 */
#ifndef VG_TEST_SUPPORT_SCANREPORT_H
#define VG_TEST_SUPPORT_SCANREPORT_H

#include <string.h>

#include "scan/scan.h"

/* An npm library package found at path. */
static inline void
pkg_set(struct vg_pkg *p, const char *name, const char *version, const char *path)
{
    memset(p, 0, sizeof(*p));
    p->type = VG_PKG_LIBRARY;
    p->ecosystem = vg_strdup("npm");
    p->kind = vg_strdup("node");
    p->name = vg_strdup(name);
    p->version = vg_strdup(version);
    p->purl = vg_fmt("pkg:npm/%s@%s", name, version);
    p->path = vg_strdup(path);
    p->licenses = vg_calloc(1, sizeof(char *));
}

/* A finding of id on package index pkg; status "fixed" when fixed is given, else "affected". */
static inline void
vuln_set(struct vg_vuln_finding *f, const char *id, size_t pkg, enum vg_vulndb_severity sev,
         const char *fixed)
{
    memset(f, 0, sizeof(*f));
    f->vuln_id = vg_strdup(id);
    f->pkg = pkg;
    f->severity = sev;
    f->fixed_version = fixed ? vg_strdup(fixed) : NULL;
    f->status = vg_strdup(fixed ? "fixed" : "affected");
}

/* An image report ("oci:/x:t") with room for npkgs packages and nvulns findings, all zeroed. */
static inline struct vg_scan_report *
report_new(size_t npkgs, size_t nvulns)
{
    struct vg_scan_report *r = vg_calloc(1, sizeof(*r));
    r->artifact = vg_strdup("oci:/x:t");
    r->artifact_type = vg_strdup("container_image");
    r->inv = vg_calloc(1, sizeof(*r->inv));
    r->inv->npkgs = npkgs;
    r->inv->pkgs = vg_calloc(npkgs, sizeof(struct vg_pkg));
    r->nvulns = nvulns;
    r->vulns = vg_calloc(nvulns, sizeof(*r->vulns));
    return r;
}

#endif
