/* SPDX-License-Identifier: Apache-2.0
 *
 * The upstream a matched advisory really comes from, named as Trivy's JSON names its data
 * sources (`DataSource{ID,Name,URL}`). vigil reads most advisories through OSV, but OSV is a
 * format and an aggregator, not the author: a DSA-/DLA- record is the Debian security tracker's,
 * a GHSA- record GitHub's reviewed advisories for one ecosystem, and so on. The advisory id's
 * prefix decides; the ecosystem picks GitHub's per-ecosystem name; anything unrecognised is
 * named honestly as OSV for its ecosystem.
 */
#include <string.h>

#include "scan_int.h"

static const struct vg_scan_data_source DEBIAN = {
    "debian", "Debian Security Tracker",
    "https://salsa.debian.org/security-tracker-team/security-tracker"};
static const struct vg_scan_data_source UBUNTU = {"ubuntu", "Ubuntu CVE Tracker",
                                                  "https://git.launchpad.net/ubuntu-cve-tracker"};
static const struct vg_scan_data_source ALPINE = {"alpine", "Alpine Secdb",
                                                  "https://secdb.alpinelinux.org/"};
static const struct vg_scan_data_source GOVULNDB = {"govulndb", "The Go Vulnerability Database",
                                                    "https://pkg.go.dev/vuln/"};
static const struct vg_scan_data_source PYPA = {"osv", "Python Packaging Advisory Database",
                                                "https://github.com/pypa/advisory-db"};
static const struct vg_scan_data_source RUSTSEC = {"osv", "RustSec Advisory Database",
                                                   "https://github.com/RustSec/advisory-db"};
static const struct vg_scan_data_source REDHAT = {"redhat", "Red Hat Security Data",
                                                  "https://security.access.redhat.com/data/osv/"};
static const struct vg_scan_data_source OSV = {"osv", "OSV", "https://osv.dev/"};

#define GHSA_URL "https://github.com/advisories?query=type%3Areviewed+ecosystem%3A"

/* GitHub's own ecosystem names, keyed by OSV's. */
static const struct {
    const char *osv;
    struct vg_scan_data_source ds;
} GHSA[] = {
    {"npm", {"ghsa", "GitHub Security Advisory npm", GHSA_URL "npm"}},
    {"PyPI", {"ghsa", "GitHub Security Advisory pip", GHSA_URL "pip"}},
    {"Go", {"ghsa", "GitHub Security Advisory Go", GHSA_URL "go"}},
    {"Maven", {"ghsa", "GitHub Security Advisory Maven", GHSA_URL "maven"}},
    {"RubyGems", {"ghsa", "GitHub Security Advisory RubyGems", GHSA_URL "rubygems"}},
    {"Packagist", {"ghsa", "GitHub Security Advisory Composer", GHSA_URL "composer"}},
    {"NuGet", {"ghsa", "GitHub Security Advisory NuGet", GHSA_URL "nuget"}},
    {"crates.io", {"ghsa", "GitHub Security Advisory Rust", GHSA_URL "rust"}},
};

static bool
prefix(const char *s, const char *p)
{
    return s && strncmp(s, p, strlen(p)) == 0;
}

const struct vg_scan_data_source *
vg_scan_data_source(const char *advisory_id, const char *ecosystem, const char *source)
{
    if (prefix(advisory_id, "GHSA-")) {
        for (size_t i = 0; ecosystem && i < VG_ARRAY_LEN(GHSA); i++) {
            if (strcmp(GHSA[i].osv, ecosystem) == 0) {
                return &GHSA[i].ds;
            }
        }
        return &OSV;
    }
    if (prefix(advisory_id, "DSA-") || prefix(advisory_id, "DLA-") ||
        prefix(advisory_id, "DTSA-") || prefix(advisory_id, "DEBIAN-") ||
        (prefix(ecosystem, "Debian") && prefix(advisory_id, "CVE-"))) {
        return &DEBIAN;
    }
    if (prefix(advisory_id, "USN-") || prefix(advisory_id, "UBUNTU-") ||
        (prefix(ecosystem, "Ubuntu") && prefix(advisory_id, "CVE-"))) {
        return &UBUNTU;
    }
    if (prefix(advisory_id, "ALPINE-") || prefix(source, "alpine-secdb") ||
        (prefix(ecosystem, "Alpine") && prefix(advisory_id, "CVE-"))) {
        return &ALPINE;
    }
    if (prefix(advisory_id, "GO-")) {
        return &GOVULNDB;
    }
    if (prefix(advisory_id, "PYSEC-")) {
        return &PYPA;
    }
    if (prefix(advisory_id, "RUSTSEC-")) {
        return &RUSTSEC;
    }
    if (prefix(advisory_id, "RHSA-") || prefix(advisory_id, "RHBA-") ||
        prefix(advisory_id, "RHEA-")) {
        return &REDHAT;
    }
    return &OSV;
}
