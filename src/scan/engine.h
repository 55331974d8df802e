/* SPDX-License-Identifier: Apache-2.0
 *
 * Part of scan.h (included from it): the scan engine — one pass over an image's layers that
 * feeds the inventory analyzers, the secret engine and the model-file checks at once; image
 * configuration checks; matching of the inventory against the vulnerability database; the
 * filters (severity, unfixed, ignore file, VEX); and the report writers (table, Trivy JSON,
 * SARIF, CycloneDX with vulnerabilities).
 *
 * Ownership: a vg_scan_report owns everything it points to; free with vg_scan_report_free.
 */
#ifndef VG_SCAN_ENGINE_H
#define VG_SCAN_ENGINE_H

#include "core/core.h"
#include "inventory/inventory.h"
#include "oci/oci.h"
#include "vulndb/vulndb.h"

#include "scan/scan.h"

enum vg_scanner {
    VG_SCANNER_VULN = 1u,
    VG_SCANNER_SECRET = 2u,
    VG_SCANNER_CONFIG = 4u,
    VG_SCANNER_MODEL = 8u
};
/* What a scan runs when no scanner is named: as Trivy's `image` command, vulnerabilities and
 * secrets (plus vigil's model-file checks, which Trivy lacks); the image-config checks only
 * when asked for (`--scanners ...,misconfig`, `--image-config-scanners misconfig`). */
#define VG_SCANNER_DEFAULT (VG_SCANNER_VULN | VG_SCANNER_SECRET | VG_SCANNER_MODEL)

struct vg_scan_layer {
    struct vg_digest digest, diff_id; /* alg 0 when unknown */
};

/* One entry of a finding's CVSS map (Trivy's `CVSS.<source>`). */
struct vg_vuln_cvss {
    char *source;                             /* "nvd", "ghsa", "osv" */
    char *v2_vector, *v3_vector, *v40_vector; /* NULL when absent */
    double v2_score, v3_score, v40_score;
};
/* One entry of a finding's VendorSeverity map. */
struct vg_vuln_vendor_severity {
    const char *source; /* static: "nvd", "debian", "ghsa" */
    enum vg_vulndb_severity severity;
};

/* Trivy's DataSource: who published the matched advisory (static strings). */
struct vg_scan_data_source {
    const char *id, *name, *url;
};

struct vg_vuln_finding {
    char *vuln_id;  /* CVE alias preferred */
    char **aliases; /* record id and every alias, vuln_id excluded */
    size_t naliases;
    size_t pkg;          /* index into report->inv->pkgs */
    char *fixed_version; /* NULL when none */
    char *status;        /* "fixed", "affected", "will_not_fix" */
    enum vg_vulndb_severity severity;
    /* Where `severity` came from (severity.c): "debian" (the matched data source's vendor),
     * "ghsa", "nvd", or the advisory's own ("osv"); NULL when UNKNOWN. Before
     * vg_scan_severity_resolve: the advisory's own provenance ("CVSS_V3", "alias GHSA-…"). */
    char *severity_source;
    double cvss_score; /* the advisory's own vector; 0 when none */
    char *cvss_vector;
    enum vg_cvss_version cvss_version;
    enum vg_vulndb_severity ghsa_severity; /* GitHub's, when a GHSA record (or alias) matched */
    struct vg_vuln_vendor_severity *vendor_severity;
    size_t nvendor_severity;
    struct vg_vuln_cvss *cvss; /* per source: NVD's own metrics, the advisory's vector */
    size_t ncvss;
    char **cwe_ids; /* from NVD */
    size_t ncwe_ids;
    char *title, *description, *primary_url;
    char **refs;
    size_t nrefs;
    char *published, *modified;
    char *data_source;                          /* advisory source, e.g. "osv/Debian/all.zip" */
    const struct vg_scan_data_source *upstream; /* static; NULL before matching */
    char *suppressed_by;                        /* NULL; or "ignorefile", "vex: <justification>" */
};

struct vg_config_finding {
    const char *id;     /* static: Trivy's "DS002" where Trivy has the check, else "VG-CFG-007" */
    const char *avd_id; /* static: "AVD-DS-0002", or the same as id */
    const char *vg_id;  /* static: vigil's own id ("VG-CFG-001"), still matched by ignore files */
    const char *title;
    const char *resolution;
    enum vg_vulndb_severity severity;
    char *message; /* owned, specific to this image */
    char *suppressed_by;
    /* Findings of configuration files (misconf.h) also carry: */
    char *target;            /* owned: the file ("deploy/app.yaml"); NULL: the image config */
    const char *file_type;   /* static: "dockerfile", "kubernetes"; NULL for the image config */
    const char *check_type;  /* static: "Kubernetes Security Check", ...; NULL: as the id says */
    const char *description; /* static, or NULL: the title */
    size_t start_line, end_line; /* 1-based lines in target; 0: the file as a whole */
};
/* A configuration file that was checked (vigil config, vigil fs), even without findings: the
 * reports list it with Trivy's MisconfSummary. */
struct vg_config_target {
    char *path;            /* owned */
    const char *file_type; /* static: "dockerfile", "kubernetes" */
    size_t successes;      /* checks that ran and passed */
};

/* Secret and model findings keep the detectors' types, plus the layer they came from. */
struct vg_scan_secret {
    struct vg_secret_finding f; /* owned strings */
    size_t layer;               /* SIZE_MAX for image-config pseudo files */
    char *suppressed_by;
};
struct vg_scan_model {
    struct vg_model_finding f;
    size_t layer;
    char *suppressed_by;
};

struct vg_scan_report {
    char *artifact;                   /* the reference as given (normalized for registries) */
    char *artifact_type;              /* "container_image" or "sbom" */
    struct vg_digest manifest_digest; /* alg 0 for SBOM rescans */
    struct vg_digest config_digest;
    char *platform;
    char *os_family, *os_version;
    char **repo_tags;
    size_t nrepo_tags;
    char *repository;              /* normalized "registry/repository" of a registry image */
    char *tag;                     /* the tag it was scanned by, or NULL */
    struct vg_digest index_digest; /* alg 0 unless resolved through an index */
    char *subject_purl;            /* SBOM rescans: purl of what the SBOM describes, or NULL */
    struct vg_scan_layer *layers;
    size_t nlayers;
    struct vg_inventory *inv;
    struct vg_vuln_finding *vulns;
    size_t nvulns;
    struct vg_config_finding *configs;
    size_t nconfigs;
    struct vg_config_target *config_targets; /* files checked by misconf.h, in scan order */
    size_t nconfig_targets;
    struct vg_scan_secret *secrets;
    size_t nsecrets;
    struct vg_scan_model *models;
    size_t nmodels;
    json_t *image_config; /* raw config JSON, or NULL */
    int64_t db_built_at;  /* 0 when no DB was used */
    int64_t created_at;
    bool from_cache;
    bool list_all_pkgs; /* JSON: every package under its result's Packages (--list-all-pkgs) */
};

/* Bounds of the analysis cache (the scan/, inventory/ and layers/ parts of the cache directory; the
 * vulnerability database is not counted): enforced whenever a scan writes to the cache, by
 * removing entries older than max_age_s, then the least recently used (by mtime: a cache hit
 * touches its entry) until the rest fits in max_bytes. 0: no bound. docs/scan.md#caching. */
struct vg_scan_cache_limits {
    uint64_t max_bytes;
    uint64_t max_age_s;
};
#define VG_SCAN_CACHE_MAX_BYTES_DEFAULT (1024ull * 1024u * 1024u) /* 1 GiB */
#define VG_SCAN_CACHE_MAX_AGE_DEFAULT   (30ull * 24u * 3600u)     /* 30 days */
#define VG_SCAN_CACHE_LIMITS_INIT                                                                  \
    {                                                                                              \
        VG_SCAN_CACHE_MAX_BYTES_DEFAULT, VG_SCAN_CACHE_MAX_AGE_DEFAULT                             \
    }
struct vg_scan_cache_trim_stats {
    uint64_t entries, bytes;         /* what the cache holds after the trim */
    uint64_t removed, removed_bytes; /* entries (and stale temporary files) removed */
};
/* Enforces lim on the analysis cache under cache_dir (DIR/scan, DIR/inventory, DIR/layers) as of
 * `now` (unix seconds). Only regular files named like a finished entry (*.json) count and are
 * removed; a temporary file of an atomic write in progress is never touched (one older than an
 * hour, left by a crashed process, is removed). Symbolic links and other files are left alone, and
 * an entry another process removed or replaced meanwhile is skipped. st may be NULL. */
int vg_scan_cache_trim(const char *cache_dir, const struct vg_scan_cache_limits *lim, int64_t now,
                       struct vg_scan_cache_trim_stats *st, struct vg_err **err);

struct vg_scan_opts {
    unsigned scanners;   /* VG_SCANNER_* bits; 0 = VG_SCANNER_DEFAULT */
    const char *db_path; /* NULL: default location */
    bool offline;
    const char *secret_config;    /* --secret-config */
    struct vg_inventory_opts inv; /* pkg types, skip dirs/files */
    struct vg_oci_open_opts open;
    bool use_cache; /* per-image analysis cache under $XDG_CACHE_HOME/vigil */
    bool quiet;
    unsigned jobs;
    struct vg_scan_cache_limits cache_limits;
};
#define VG_SCAN_OPTS_INIT                                                                          \
    {                                                                                              \
        0, NULL, false, NULL, VG_INVENTORY_OPTS_INIT, VG_OCI_OPEN_OPTS_INIT, true, false, 0,       \
            VG_SCAN_CACHE_LIMITS_INIT                                                              \
    }

/* Scans an image (any transport of vg_oci_image_open). */
int vg_scan_image(struct vg_scan_report **out, const char *image, const struct vg_scan_opts *o,
                  struct vg_err **err);
/* Scans the image whose manifest is blob `root` of a caller's blob provider (the registry's own
 * storage), with the same analysis as vg_scan_image; reference is what reports show. */
int vg_scan_image_provider(struct vg_scan_report **out, const struct vg_oci_blob_provider *p,
                           const struct vg_digest *root, const char *reference,
                           const struct vg_scan_opts *o, struct vg_err **err);
/* The inventory of an opened image (not freed; `vigil sbom`), as vg_scan_image finds it and
 * through the same analysis cache: a scan then an sbom of the same image (same manifest
 * digest, same o->inv) walks the layers once. Only o->inv, use_cache, cache_limits, jobs,
 * quiet and open.deadline_ns matter. *from_cache tells whether the walk was skipped. An entry
 * whose inventory counted unreadable files is not reused (the warnings naming them are not
 * cached), so they are reported again. */
int vg_scan_inventory(struct vg_inventory **out, struct vg_oci_image *img,
                      const struct vg_scan_opts *o, bool *from_cache, struct vg_err **err);
/* The analysis of a report — what the layer walk found: packages, secrets, model-file and
 * layer-file configuration findings; no vulnerabilities — as JSON text (caller frees). The
 * registry saves it at scan-on-push to re-match later without reading layers again. */
char *vg_scan_report_analysis(const struct vg_scan_report *r);
/* Like vg_scan_image_provider, but the walk's results come from `analysis` (len bytes, from
 * vg_scan_report_analysis): only the manifest and config blobs are read through p, never a
 * layer; then the image-config checks and the matching against the (possibly newer) DB run as
 * usual. VG_E_PARSE when analysis is not a saved analysis. */
int vg_scan_image_provider_rematch(struct vg_scan_report **out,
                                   const struct vg_oci_blob_provider *p,
                                   const struct vg_digest *root, const char *reference,
                                   const char *analysis, size_t len, const struct vg_scan_opts *o,
                                   struct vg_err **err);
/* Scans a directory (docs/fs.md): VG_SCAN_TARGET_ROOTFS, an unpacked root filesystem, finds
 * what an image scan of the same tree finds (OS and installed language packages, secrets,
 * model files); VG_SCAN_TARGET_FS, a source tree, reads lock files and manifests instead
 * (o->inv.source_tree) and no OS packages. Never cached. Errors: the root unreadable
 * (VG_E_NOTFOUND, VG_E_IO), the walk's bounds (VG_E_LIMIT, VG_E_NET at the deadline), the
 * database's. */
enum vg_scan_target { VG_SCAN_TARGET_FS = 1, VG_SCAN_TARGET_ROOTFS };
int vg_scan_dir(struct vg_scan_report **out, const char *dir, enum vg_scan_target target,
                const struct vg_scan_opts *o, struct vg_err **err);
/* Rescans a CycloneDX or SPDX JSON SBOM (vulnerabilities only). */
int vg_scan_sbom(struct vg_scan_report **out, const char *sbom_path, const struct vg_scan_opts *o,
                 struct vg_err **err);
void vg_scan_report_free(struct vg_scan_report *r);

/* Matching (also used by the registry's scan-on-push): fills r->vulns from r->inv. */
int vg_scan_match(struct vg_scan_report *r, struct vg_vulndb *db, struct vg_err **err);
/* Trivy's severity precedence for every finding (called by vg_scan_match): the vendor severity
 * of the matched data source (Debian tracker for Debian packages, GitHub for language
 * packages), then NVD's, then the advisory's own; UNKNOWN when none. Also fills the
 * VendorSeverity and CVSS maps, CWE ids, and NVD's dates and description where the advisory
 * has none. */
int vg_scan_severity_resolve(struct vg_scan_report *r, struct vg_vulndb *db, struct vg_err **err);

/* ---------------------------------------------------------------- filters */

struct vg_scan_filter {
    unsigned severities; /* bit (1u << enum vg_vulndb_severity); 0 = all */
    bool ignore_unfixed;
    const struct vg_ignore *ignore; /* may be NULL */
    const struct vg_vex *vex;       /* may be NULL */
    int64_t now;
};
/* Marks suppressed findings (ignore file, VEX) and drops those outside the severity list or
 * unfixed when asked; suppressed ones are kept (reported in JSON) but do not count. */
void vg_scan_filter_apply(struct vg_scan_report *r, const struct vg_scan_filter *f);
/* Points f's ignore and vex at what vg_scan_filters_load read (borrowed). */
void vg_scan_filter_use(struct vg_scan_filter *f, const struct vg_scan_filters *loaded);
/* Findings that count for --exit-code: unsuppressed, at a listed severity. */
size_t vg_scan_count_failing(const struct vg_scan_report *r, unsigned severities);
/* "CRITICAL,HIGH" → bit set; VG_E_USAGE naming the bad word. */
int vg_scan_severities_parse(unsigned *out, const char *list, struct vg_err **err);

/* ---------------------------------------------------------------- reports */

enum vg_report_format { VG_REPORT_TABLE = 1, VG_REPORT_JSON, VG_REPORT_SARIF, VG_REPORT_CYCLONEDX };
int vg_report_format_parse(enum vg_report_format *out, const char *s, struct vg_err **err);
struct vg_report_opts {
    bool color;     /* ANSI colours (table on a TTY only) */
    unsigned width; /* table: the terminal's columns; 0 (pipes, files) for fixed widths */
    bool show_suppressed;
};
int vg_report_write(FILE *f, const struct vg_scan_report *r, enum vg_report_format fmt,
                    const struct vg_report_opts *o, struct vg_err **err);
/* Trivy-compatible JSON (SchemaVersion 2). */
json_t *vg_report_trivy_json(const struct vg_scan_report *r);
json_t *vg_report_sarif(const struct vg_scan_report *r);
json_t *vg_report_cyclonedx(const struct vg_scan_report *r);

/* The Kubernetes object a VulnerabilityReport is about: one container of a workload. */
struct vg_report_k8s_resource {
    const char *kind, *name, *namespace, *uid; /* uid NULL: no ownerReferences */
    const char *api_version;                   /* of the workload ("apps/v1"); NULL: "v1" */
    const char *container;
};
/* A VulnerabilityReport (aquasecurity.github.io/v1alpha1, as trivy-operator writes them) of r
 * for the container res, updated at `updated` (RFC 3339); unsuppressed findings only. */
json_t *vg_report_vulnerability_report(const struct vg_scan_report *r,
                                       const struct vg_report_k8s_resource *res,
                                       const char *updated);

#endif
