/* SPDX-License-Identifier: Apache-2.0
 *
 * DataSource: the upstream each kind of advisory id names, as Trivy's data sources.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "scan/scan_int.h"

static void
expect(const char *id, const char *eco, const char *source, const char *want_id,
       const char *want_name)
{
    const struct vg_scan_data_source *ds = vg_scan_data_source(id, eco, source);
    cr_assert_not_null(ds);
    cr_expect_str_eq(ds->id, want_id, "%s/%s", id, eco);
    cr_expect_str_eq(ds->name, want_name, "%s/%s", id, eco);
    cr_expect(strncmp(ds->url, "https://", 8) == 0, "%s", ds->url);
}

Test(scan_datasource, upstream_by_advisory)
{
    expect("DSA-5678-1", "Debian:12", "osv/Debian/all.zip", "debian", "Debian Security Tracker");
    expect("DLA-3000-1", "Debian:11", NULL, "debian", "Debian Security Tracker");
    expect("CVE-2024-2961", "Debian:12", "Debian", "debian", "Debian Security Tracker");
    expect("USN-6000-1", "Ubuntu:22.04", NULL, "ubuntu", "Ubuntu CVE Tracker");
    expect("CVE-2023-1", "Alpine:v3.19", "alpine-secdb v3.19", "alpine", "Alpine Secdb");
    expect("GHSA-p6mc-m468-83gw", "npm", "npm", "ghsa", "GitHub Security Advisory npm");
    expect("GHSA-x84v-xcm2-53pg", "PyPI", NULL, "ghsa", "GitHub Security Advisory pip");
    expect("GHSA-aaaa-bbbb-cccc", "crates.io", NULL, "ghsa", "GitHub Security Advisory Rust");
    expect("GO-2023-1234", "Go", NULL, "govulndb", "The Go Vulnerability Database");
    expect("PYSEC-2018-28", "PyPI", NULL, "osv", "Python Packaging Advisory Database");
    expect("RUSTSEC-2020-0001", "crates.io", NULL, "osv", "RustSec Advisory Database");
    expect("RHSA-2024:0001", "Red Hat", NULL, "redhat", "Red Hat Security Data");
    expect("MAL-2024-1", "npm", NULL, "osv", "OSV");
    expect(NULL, NULL, NULL, "osv", "OSV");
}
