/* SPDX-License-Identifier: Apache-2.0
 *
 * vulndb: the vulnerability database. OSV records (from all.zip files or directories of JSON)
 * and Alpine secdb files are ingested into a SQLite file (schema in db.c) that is built beside
 * the published one and swapped in with rename, so readers never see a half-built database
 * and a failed build leaves the old one intact. Scans open it read-only (immutable snapshot)
 * and look up advisories by (ecosystem, package name); the range evaluation uses the
 * ecosystem's comparator from version/.
 *
 * Also here: CVSS v2 / v3.0 / v3.1 / v4.0 base scores from vector strings (FIRST
 * specifications), and the per-alias severity resolution done at build time.
 *
 * Ownership: handles from _open/_new are released with _close/_free; query results with
 * vg_vulndb_result_dispose. Strings inside results are owned by the result.
 *
 * Errors callers may branch on: VG_E_NOTFOUND (no database file), VG_E_UNSUPPORTED (database
 * written by a newer vigil), VG_E_DB, VG_E_NET (update), VG_E_PARSE/VG_E_LIMIT (whole input
 * unusable; single bad records are skipped and counted, never fatal).
 *
 * Thread safety: a vg_vulndb handle belongs to one thread; open one per thread (cheap).
 */
#ifndef VG_VULNDB_H
#define VG_VULNDB_H

#include "core/core.h"
#include "version/version.h"

/* ---------------------------------------------------------------- severity and CVSS */

enum vg_vulndb_severity {
    VG_SEV_UNKNOWN = 0,
    VG_SEV_NONE,
    VG_SEV_LOW,
    VG_SEV_MEDIUM,
    VG_SEV_HIGH,
    VG_SEV_CRITICAL,
};
const char *vg_vulndb_severity_name(enum vg_vulndb_severity s); /* "UNKNOWN", "LOW", ... */
/* Case-insensitive; "MODERATE" (GitHub) maps to MEDIUM. UNKNOWN for anything else. */
enum vg_vulndb_severity vg_vulndb_severity_parse(const char *s);

enum vg_cvss_version { VG_CVSS_V2 = 20, VG_CVSS_V30 = 30, VG_CVSS_V31 = 31, VG_CVSS_V40 = 40 };
const char *vg_cvss_version_name(enum vg_cvss_version v); /* "2.0", "3.0", "3.1", "4.0" */

/* Computes the base score of a vector string. v3.x and v4.0 vectors carry their
 * "CVSS:x.y/" prefix; v2 vectors are bare ("AV:N/AC:L/Au:N/C:P/I:P/A:P", optionally in
 * parentheses or prefixed "CVSS:2.0/"). Unknown, duplicate or missing mandatory metrics are
 * VG_E_PARSE. v4.0 vectors with threat/environmental metrics are scored as the FIRST
 * calculator does (CVSS-BTE). */
VG_NODISCARD int vg_cvss_score(const char *vector, double *score, enum vg_cvss_version *version,
                               struct vg_err **err);
/* Qualitative rating: v3/v4 use NONE/LOW/MEDIUM/HIGH/CRITICAL; v2 uses the NVD mapping
 * LOW (0-3.9), MEDIUM (4-6.9), HIGH (7-10). */
enum vg_vulndb_severity vg_cvss_severity(double score, enum vg_cvss_version version);

/* ---------------------------------------------------------------- location */

/* Staleness threshold for "vigil scan" warnings. */
#define VG_VULNDB_STALE_SECS (7 * 24 * 3600)

/* The database file: `flag` if non-NULL, else $VIGIL_DB, else
 * <vg_cache_dir()>/db/vulndb.sqlite ($VIGIL_CACHE_DIR, $XDG_CACHE_HOME/vigil or ~/.cache/vigil).
 * Caller frees. */
char *vg_vulndb_path_resolve(const char *flag);

/* ---------------------------------------------------------------- reading */

struct vg_vulndb;

/* Opens read-only (immutable snapshot: a concurrent update replaces the file, never edits
 * it). `readonly` false opens read-write (maintenance only). */
VG_NODISCARD int vg_vulndb_open(struct vg_vulndb **out, const char *path, bool readonly,
                                struct vg_err **err);
void vg_vulndb_close(struct vg_vulndb *db);

enum vg_vulndb_range_type { VG_RANGE_SEMVER = 1, VG_RANGE_ECOSYSTEM, VG_RANGE_GIT };

struct vg_vulndb_range {
    enum vg_vulndb_range_type type;
    struct vg_ver_event *events; /* versions owned by the advisory */
    size_t n_events;
};

struct vg_vulndb_ref {
    char *type; /* "ADVISORY", "FIX", "WEB", ... */
    char *url;
};

struct vg_vulndb_advisory {
    char *id; /* OSV id; for Alpine secdb entries the CVE id */
    char **aliases;
    size_t n_aliases;
    char *summary; /* may be NULL */
    char *details; /* may be NULL */
    enum vg_vulndb_severity severity;
    /* Where the severity came from: "CVSS_V3", "database_specific", "alias GHSA-… (CVSS_V3)",
     * or NULL when UNKNOWN. */
    char *severity_source;
    enum vg_cvss_version cvss_version; /* 0 when no vector */
    char *cvss_vector;
    double cvss_score;
    struct vg_vulndb_ref *refs;
    size_t n_refs;
    char *published, *modified; /* RFC 3339 as in the record; may be NULL */
    bool withdrawn;
    char *source; /* the source this record came from ("osv/Go/all.zip", "alpine-secdb v3.6") */
    /* For the queried package: */
    char *ecosystem, *package;
    struct vg_vulndb_range *ranges;
    size_t n_ranges;
    char **versions; /* explicit affected versions */
    size_t n_versions;
    char *ecosystem_specific; /* compact JSON text of the first non-empty object, or NULL */
    char *database_specific;  /* idem, affected[].database_specific */
};

struct vg_vulndb_result {
    struct vg_vulndb_advisory *items;
    size_t n;
};

/* All non-withdrawn advisories for (ecosystem, name), one per advisory (several affected[]
 * entries for the same package are merged). `ecosystem` is an OSV ecosystem with its release
 * suffix ("Debian:12", "Alpine:v3.19", "PyPI"); PyPI names are normalised (PEP 503). Appends
 * to *out (zero-initialise it first). */
VG_NODISCARD int vg_vulndb_query(struct vg_vulndb_result *out, struct vg_vulndb *db,
                                 const char *ecosystem, const char *name, struct vg_err **err);
void vg_vulndb_result_dispose(struct vg_vulndb_result *r);

/* Only the advisories affecting `version` (what a scan needs): ranges are evaluated before
 * the full rows are read, so packages with many advisories stay cheap. `scheme` 0: derived
 * from the ecosystem. Call vg_vulndb_advisory_affects on an item for its fixed version. */
VG_NODISCARD int vg_vulndb_query_affecting(struct vg_vulndb_result *out, struct vg_vulndb *db,
                                           const char *ecosystem, const char *name,
                                           enum vg_ver_scheme scheme, const char *version,
                                           struct vg_err **err);

/* Does the advisory affect `version`? Evaluates explicit versions and SEMVER/ECOSYSTEM ranges
 * (GIT ranges are ignored) with the comparator `scheme` (0: derived from the advisory's
 * ecosystem). Withdrawn advisories never affect anything. When affected, *fixed_out (optional)
 * gets the lowest `fixed` version above `version` from the matching ranges, or NULL; it is
 * borrowed from adv. */
bool vg_vulndb_advisory_affects(const struct vg_vulndb_advisory *adv, enum vg_ver_scheme scheme,
                                const char *version, const char **fixed_out);

/* PEP 503 normalisation for PyPI names, identity elsewhere. Caller frees. */
char *vg_vulndb_name_normalize(const char *ecosystem, const char *name);

/* ---------------------------------------------------------------- per-CVE data (NVD, vendors) */

/* One CVSS metric of a CVE as NVD publishes it. */
struct vg_vulndb_cvss {
    char *source; /* "nvd@nist.gov" (NVD's own, primary) or the CNA's source identifier */
    bool primary;
    enum vg_cvss_version version;
    char *vector;
    double score;
    enum vg_vulndb_severity severity;
};
/* A vendor's severity for a CVE: "debian" (security tracker urgency, per source package and
 * release). */
struct vg_vulndb_vendor_severity {
    char *vendor, *package, *release;
    enum vg_vulndb_severity severity;
};
struct vg_vulndb_cve {
    char *id;
    bool in_nvd; /* an NVD record exists (the fields below may still be empty) */
    char *published, *last_modified, *description, *status; /* NVD's; may be NULL */
    char **cwes;
    size_t n_cwes;
    struct vg_vulndb_cvss *cvss;
    size_t n_cvss;
    struct vg_vulndb_vendor_severity *vendors;
    size_t n_vendors;
};
/* Everything the database holds about one CVE id. Returns 1 when anything was found, 0 when
 * nothing (out is still valid and empty); databases built before schema 2 always give 0. */
VG_NODISCARD int vg_vulndb_cve_get(struct vg_vulndb_cve *out, struct vg_vulndb *db, const char *cve,
                                   struct vg_err **err);
void vg_vulndb_cve_dispose(struct vg_vulndb_cve *c);
/* NVD's own metric of one family (VG_CVSS_V2, VG_CVSS_V31 for any v3.x with 3.1 preferred, or
 * VG_CVSS_V40), or NULL. */
const struct vg_vulndb_cvss *vg_vulndb_cve_nvd(const struct vg_vulndb_cve *c,
                                               enum vg_cvss_version family);
/* NVD's severity as Trivy takes it: the v3.x metric's, else the v2 metric's, else UNKNOWN. */
enum vg_vulndb_severity vg_vulndb_cve_nvd_severity(const struct vg_vulndb_cve *c);
/* The vendor's severity: the entry for (package, release) when present, else the highest for
 * the package, else the highest for the CVE; UNKNOWN when the vendor has none. package and
 * release may be NULL. */
enum vg_vulndb_severity vg_vulndb_cve_vendor_severity(const struct vg_vulndb_cve *c,
                                                      const char *vendor, const char *package,
                                                      const char *release);
/* "12" → "bookworm" (Debian release codename used by the tracker), NULL when unknown. */
const char *vg_vulndb_debian_codename(const char *version);

/* ---------------------------------------------------------------- info */

struct vg_vulndb_source_info {
    char *name, *kind, *location; /* location: URL or local path */
    uint64_t records, skipped;
    char *etag, *last_modified; /* may be NULL */
};
struct vg_vulndb_eco_count {
    char *ecosystem;
    uint64_t advisories, packages;
};
struct vg_vulndb_info {
    char *path;
    int64_t built_at; /* unix seconds */
    int64_t schema_version;
    uint64_t advisories, withdrawn, inherited_severity;
    struct vg_vulndb_source_info *sources;
    size_t n_sources;
    struct vg_vulndb_eco_count *ecosystems;
    size_t n_ecosystems;
};
VG_NODISCARD int vg_vulndb_info_get(struct vg_vulndb_info *out, struct vg_vulndb *db,
                                    struct vg_err **err);
void vg_vulndb_info_dispose(struct vg_vulndb_info *info);
/* Only the build time (unix seconds) from the meta table: what a scan needs, without the
 * counting vg_vulndb_info_get does. VG_E_DB when missing or malformed. */
VG_NODISCARD int vg_vulndb_built_at(struct vg_vulndb *db, int64_t *out, struct vg_err **err);
/* True when built more than VG_VULNDB_STALE_SECS before `now`. */
bool vg_vulndb_is_stale(const struct vg_vulndb_info *info, int64_t now);

/* ---------------------------------------------------------------- building */

struct vg_vulndb_build_stats {
    uint64_t records;    /* records ingested */
    uint64_t skipped;    /* bad records skipped (each logged as a warning) */
    uint64_t duplicates; /* same id seen again; the newest `modified` wins */
    uint64_t json_bytes; /* bytes of JSON parsed */
    uint64_t inherited;  /* advisories whose severity came from an alias */
    /* Ranges left out of kept records because a version in them is unparsable (warned). */
    uint64_t ranges_dropped;
};

struct vg_vulndb_builder;

/* Starts a new database in a temporary file beside `final_path` (its directory is created). */
VG_NODISCARD int vg_vulndb_builder_new(struct vg_vulndb_builder **out, const char *final_path,
                                       struct vg_err **err);
/* Adds a file or a directory tree: *.zip files are read as OSV all.zip archives;
 * `nvdcve-*.json[.gz]` as NVD feeds; `debian-security-tracker*.json[.gz]` and files in a
 * `debian-tracker/` folder as the Debian tracker JSON; other *.json files are Alpine secdb
 * documents when they have "packages" and "distroversion", OSV records otherwise. Bad records are
 * skipped and counted; an unreadable archive is an error. */
VG_NODISCARD int vg_vulndb_builder_add_path(struct vg_vulndb_builder *b, const char *path,
                                            struct vg_err **err);
/* Adds one OSV all.zip under a source name, recording where it came from (for `db info`). */
struct vg_vulndb_source_meta {
    const char *name;                 /* "Go" */
    const char *location;             /* URL or path */
    const char *etag, *last_modified; /* optional */
};
VG_NODISCARD int vg_vulndb_builder_add_zip(struct vg_vulndb_builder *b, const char *zip_path,
                                           const struct vg_vulndb_source_meta *meta,
                                           struct vg_err **err);
/* An NVD CVE API 2.0 feed file (`nvdcve-2.0-*.json[.gz]`, yearly or modified/recent), streamed
 * record by record; for a CVE seen twice the newer lastModified wins. */
VG_NODISCARD int vg_vulndb_builder_add_nvd(struct vg_vulndb_builder *b, const char *path,
                                           const struct vg_vulndb_source_meta *meta,
                                           struct vg_err **err);
/* The Debian security tracker JSON (`https://security-tracker.debian.org/tracker/data/json`,
 * plain or gzip), streamed package by package: urgencies become vendor severities. */
VG_NODISCARD int vg_vulndb_builder_add_debian_tracker(struct vg_vulndb_builder *b, const char *path,
                                                      const struct vg_vulndb_source_meta *meta,
                                                      struct vg_err **err);
/* One OSV record or secdb document from memory (used by tests and the fuzz harness). */
VG_NODISCARD int vg_vulndb_builder_add_json(struct vg_vulndb_builder *b, const char *source,
                                            const void *data, size_t len, struct vg_err **err);
/* Resolves severities through aliases, creates indexes, syncs, and renames over final_path. */
VG_NODISCARD int vg_vulndb_builder_commit(struct vg_vulndb_builder *b,
                                          struct vg_vulndb_build_stats *stats, struct vg_err **err);
/* Removes the temporary file unless committed. */
void vg_vulndb_builder_free(struct vg_vulndb_builder *b);
const struct vg_vulndb_build_stats *vg_vulndb_builder_stats(const struct vg_vulndb_builder *b);

/* ---------------------------------------------------------------- update */

struct vg_vulndb_update_opts {
    const char *db_path;
    const char *mirror;      /* base URL; NULL: VG_VULNDB_DEFAULT_MIRROR */
    const char **ecosystems; /* NULL-terminated; NULL: VG_VULNDB_DEFAULT_ECOSYSTEMS */
    const char *cache_dir;   /* downloads; NULL: "<db_path>.d" */
    bool quiet;              /* no progress bar */
    /* NVD feed base URL (<base>/nvdcve-2.0-YYYY.json.gz, -modified.json.gz); NULL:
     * $VIGIL_NVD_MIRROR, else VG_VULNDB_DEFAULT_NVD_MIRROR when `mirror` is NULL, else none.
     * "none" turns NVD off. */
    const char *nvd_mirror;
    uint64_t deadline_ns; /* vg_now_ns() time at which downloads end (net.h); 0: none */
    long stall_timeout_s; /* 0: net's default */
};
#define VG_VULNDB_DEFAULT_NVD_MIRROR "https://nvd.nist.gov/feeds/json/cve/2.0"
#define VG_NVD_FIRST_YEAR            2002
#define VG_VULNDB_DEFAULT_MIRROR     "https://osv-vulnerabilities.storage.googleapis.com"
#define VG_VULNDB_DEFAULT_ECOSYSTEMS                                                               \
    "Alpine,Debian,Ubuntu,Go,PyPI,npm,Maven,RubyGems,Packagist,NuGet,crates.io"

struct vg_vulndb_update_stats {
    size_t downloaded, not_modified, missing; /* per ecosystem archive */
    uint64_t bytes;
    bool rebuilt;
    struct vg_vulndb_build_stats build;
};
/* Downloads <mirror>/<Ecosystem>/all.zip for each ecosystem and the NVD feed files (yearly
 * from VG_NVD_FIRST_YEAR, and the modified feed; years missing on the mirror are skipped), with
 * conditional requests (the cached ETag/Last-Modified, resuming partial downloads), then builds a
 * new database and swaps it in. When nothing changed and the database exists, it is left alone. */
VG_NODISCARD int vg_vulndb_update(const struct vg_vulndb_update_opts *opts,
                                  struct vg_vulndb_update_stats *stats, struct vg_err **err);

#endif
