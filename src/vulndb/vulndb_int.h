/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations shared by the vulndb files: the validated record model produced by
 * the OSV and secdb parsers, the compact text encodings stored in the database, the schema,
 * and the zip walker.
 */
#ifndef VG_VULNDB_INT_H
#define VG_VULNDB_INT_H

#include "vulndb/vulndb.h"

/* Bounds for ingestion (module-local; see the report to move them into core/limits.h). */
#define VULNDB_MAX_ZIP_ENTRIES   2000000u
#define VULNDB_MAX_ZIP_TOTAL     (16ull * 1024ull * 1024ull * 1024ull)
#define VULNDB_MAX_SECDB_BYTES   (64u * 1024u * 1024u)
#define VULNDB_MAX_DIR_DEPTH     16
#define VULNDB_MAX_VERSION_BYTES 256u
#define VULNDB_MAX_ID_BYTES      256u
#define VULNDB_MAX_WARNINGS      20 /* per source; the rest are only counted */
#define VULNDB_SCHEMA_VERSION    2  /* 2: cves, cvss, vendor_severity */

/* ---------------------------------------------------------------- record model */

struct osv_range {
    enum vg_vulndb_range_type type;
    struct vg_ver_event *events; /* versions owned */
    size_t n_events;
};

struct osv_affected {
    char *ecosystem, *name; /* name already normalised */
    struct osv_range *ranges;
    size_t n_ranges;
    char **versions;
    size_t n_versions;
    char *eco_specific, *db_specific; /* compact JSON or NULL */
    /* Ranges left out because one of their versions is unparsable (the entry is kept). */
    size_t n_dropped;
    char *dropped; /* why the first one was dropped, or NULL */
};

struct osv_record {
    char *uid; /* uniqueness key: the OSV id, or a synthetic key for secdb entries */
    char *id;
    char *summary, *details, *published, *modified;
    bool withdrawn;
    char **aliases; /* aliases and upstream ids, deduplicated */
    size_t n_aliases;
    struct vg_buf refs; /* "TYPE url\n" lines */
    enum vg_vulndb_severity severity;
    const char *severity_source; /* static string or NULL */
    enum vg_cvss_version cvss_version;
    char *cvss_vector;
    double cvss_score;
    struct osv_affected *affected;
    size_t n_affected;
    size_t n_dropped; /* ranges dropped over all affected[] entries */
    char *dropped;    /* the first reason, or NULL */
};

void vg_osv_record_dispose(struct osv_record *r);

/* Parses and validates one OSV record. Unknown range types, bad ids and wrong types are
 * VG_E_PARSE naming the JSON path. A range with a version the ecosystem's comparator cannot
 * parse is left out (counted in n_dropped, reason in `dropped`); the record is kept. */
VG_NODISCARD int vg_osv_record_parse(struct osv_record *out, const json_t *root,
                                     struct vg_err **err);

/* Calls `fn` for each pseudo-record of one Alpine secdb document. */
typedef int (*secdb_record_fn)(struct osv_record *rec, void *ctx, struct vg_err **err);
/* Called for each skipped entry (unparsable fixed version, nameless package). */
typedef void (*secdb_bad_fn)(const char *what, const char *why, void *ctx);
VG_NODISCARD int vg_secdb_parse(const json_t *root, secdb_record_fn fn, secdb_bad_fn bad, void *ctx,
                                struct vg_err **err);
bool vg_secdb_detect(const json_t *root);

/* ---------------------------------------------------------------- encodings */

/* Ranges: "R <TYPE>\n" then "<k> <version>\n" with k in i f l L. */
VG_NODISCARD int vg_vulndb_ranges_encode(struct vg_buf *out, const struct osv_range *r, size_t n,
                                         struct vg_err **err);
/* Decodes into adv->ranges (appending); versions are copied. False on a malformed encoding. */
bool vg_vulndb_ranges_decode(struct vg_vulndb_advisory *adv, const char *text, size_t len);

/* ---------------------------------------------------------------- zip */

typedef int (*zip_entry_fn)(const char *name, const uint8_t *data, size_t len, void *ctx,
                            struct vg_err **err);
/* Walks *.json entries of a zip file (through layers' zip reader). An entry over
 * VG_LIMIT_OSV_RECORD_BYTES or one that fails to decompress or its CRC is reported to `bad`
 * (counted and skipped), not fatal. */
typedef void (*zip_bad_fn)(const char *name, const char *why, void *ctx);
VG_NODISCARD int vg_vulndb_zip_walk(const char *path, zip_entry_fn fn, zip_bad_fn bad, void *ctx,
                                    struct vg_err **err);

/* ---------------------------------------------------------------- NVD and Debian tracker */

/* Streams a big JSON document item by item (nvd.c). VG_SPLIT_NVD: each object element of the
 * root's "vulnerabilities" array (key = "vulnerabilities"); VG_SPLIT_MEMBERS: each object
 * value of the root object (key = its member name, truncated to the key buffer). */
enum vg_json_split_mode { VG_SPLIT_NVD = 1, VG_SPLIT_MEMBERS };
typedef int (*split_item_fn)(const char *key, const uint8_t *data, size_t len, void *ctx,
                             struct vg_err **err);
typedef void (*split_bad_fn)(const char *key, const char *why, void *ctx);
struct vg_json_splitter {
    enum vg_json_split_mode mode;
    split_item_fn fn;
    split_bad_fn bad;
    void *ctx;
    uint64_t offset;
    int depth;
    char stack[64];
    bool in_string, escape, expect_key, key_pending, in_target, capturing, oversized, done;
    char key[128];
    size_t key_len;
    struct vg_buf item; /* bounded by VG_LIMIT_OSV_RECORD_BYTES */
};
void vg_json_splitter_init(struct vg_json_splitter *s, enum vg_json_split_mode mode,
                           split_item_fn fn, split_bad_fn bad, void *ctx);
void vg_json_splitter_dispose(struct vg_json_splitter *s);
VG_NODISCARD int vg_json_splitter_feed(struct vg_json_splitter *s, const uint8_t *p, size_t n,
                                       struct vg_err **err);
/* VG_E_PARSE when the document is not complete. */
VG_NODISCARD int vg_json_splitter_end(struct vg_json_splitter *s, struct vg_err **err);
/* Feeds a gzip or plain file through the splitter and ends it. */
VG_NODISCARD int vg_json_split_file(const char *path, struct vg_json_splitter *s,
                                    struct vg_err **err);

#define VG_NVD_PRIMARY_SOURCE "nvd@nist.gov"

struct nvd_metric {
    char *source; /* "nvd@nist.gov" or the CNA's source identifier */
    bool primary;
    enum vg_cvss_version version;
    char *vector;
    double score;
    enum vg_vulndb_severity severity;
};
struct nvd_cve {
    char *id, *published, *last_modified, *description, *status;
    char **cwes;
    size_t n_cwes;
    struct nvd_metric *metrics;
    size_t n_metrics;
};
/* One element of "vulnerabilities" ({"cve": {...}}) or a bare CVE API object. */
VG_NODISCARD int vg_nvd_cve_parse(struct nvd_cve *out, const json_t *item, struct vg_err **err);
void vg_nvd_cve_dispose(struct nvd_cve *c);

/* Debian security tracker: urgency → severity as Trivy maps it (UNKNOWN: not usable). */
enum vg_vulndb_severity vg_debian_urgency_severity(const char *urgency);
typedef int (*debian_sev_fn)(const char *cve, const char *pkg, const char *release,
                             enum vg_vulndb_severity sev, void *ctx, struct vg_err **err);
/* One package member of the tracker JSON: calls fn per (CVE, release) with a usable urgency. */
VG_NODISCARD int vg_debian_tracker_package(const char *pkg, json_t *cves, debian_sev_fn fn,
                                           void *ctx, struct vg_err **err);

/* ---------------------------------------------------------------- schema */

extern const char *const vg_vulndb_schema[];
extern const size_t vg_vulndb_schema_len;
extern const char vg_vulndb_index_sql[];

/* `db update`'s <cache>/state.json: {"<source>": {"url","etag","last_modified"}, ...}, the
 * validators of the cached archives. Untrusted bytes (at most VG_LIMIT_SMALL_JSON_BYTES): anything
 * that is not a JSON object yields an empty object (a damaged state only costs a full download),
 * never NULL; `what` names it in the debug log. */
json_t *vg_vulndb_update_state_parse(const void *data, size_t len, const char *what);
/* The longest validator (ETag, Last-Modified) remembered. */
#define VG_VULNDB_VALIDATOR_MAX 1024u
/* The validators remembered for source `name`, pointing into state: strings of 1 to
 * VG_VULNDB_VALIDATOR_MAX bytes without control characters (they go back into request headers),
 * else NULL. */
void vg_vulndb_update_state_validators(const json_t *state, const char *name, const char **etag,
                                       const char **last_modified);

#endif
