/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to scan/: helpers shared by the engine, the filters, the cache and the report
 * writers.
 */
#ifndef VG_SCAN_INT_H
#define VG_SCAN_INT_H

#include "scan.h"

enum vg_vulndb_severity vg_scan_sev_to_db(enum vg_scan_severity s);
/* The upstream an advisory comes from, as Trivy's DataSource (datasource.c); never NULL,
 * static storage. */
const struct vg_scan_data_source *vg_scan_data_source(const char *advisory_id,
                                                      const char *ecosystem, const char *source);
void vg_scan_vuln_dispose(struct vg_vuln_finding *f);
/* Frees what vg_scan_severity_resolve added to a finding (severity.c). */
void vg_scan_vuln_enrich_dispose(struct vg_vuln_finding *f);
void vg_scan_secret_dispose(struct vg_scan_secret *s);
void vg_scan_model_dispose(struct vg_scan_model *m);
/* Image configuration checks over the config and the layer metadata collected in the walk. */
struct vg_cfg_collector;
struct vg_cfg_collector *vg_cfg_collector_new(void);
struct vg_layer_consumer *vg_cfg_collector_consumer(struct vg_cfg_collector *c);
void vg_cfg_collector_free(struct vg_cfg_collector *c);
/* Checks of the config and reference: cheap, run on every scan (also after a cache hit). */
void vg_scan_config_check_image(struct vg_scan_report *r, const struct vg_oci_image *img);
/* Checks of layer files (setuid, world-writable, caches): part of the cached walk. */
void vg_scan_config_check_files(struct vg_scan_report *r, const struct vg_cfg_collector *c,
                                const struct vg_layers_result *layers);
/* True when an environment variable or build argument name says it holds a secret (PASSWORD,
 * TOKEN, API_KEY, ... in any case): the image-config and the Dockerfile/manifest checks. */
bool vg_scan_secret_name(struct vg_str name);
/* Re-adds a cached configuration finding by its check ID (unknown IDs are ignored). */
void vg_scan_config_restore(struct vg_scan_report *r, const char *id, const char *message);
/* Display name of a package's target, as Trivy groups results. */
const char *vg_scan_pkg_type(const struct vg_pkg *p); /* "debian", "npm", "python-pkg", ... */
/* Per-image analysis cache (inventory, secrets, model findings) keyed by manifest digest. */
int vg_scan_cache_load(struct vg_scan_report *r, const char *key, const char *inv_key);
/* The same from the bytes of an entry (untrusted: at most 512 MiB of JSON; its inventory, when it
 * has one, is read from the inventory entry inv_key, NULL: none). -1 unless it is an entry of this
 * format and vigil version whose findings are objects with string (or null) text fields; r is
 * filled only on success. */
int vg_scan_cache_parse(struct vg_scan_report *r, const void *data, size_t len,
                        const char *inv_key);
/* That cache's key (hex SHA-256) over the manifest digest and every option that changes the
 * analysis; caller frees. */
char *vg_scan_cache_key(const struct vg_digest *manifest, const struct vg_scan_opts *o);
void vg_scan_cache_store(const struct vg_scan_report *r, const char *key, const char *inv_key);
/* Scans an opened image (always freed): the walk (or the caches), config checks, matching.
 * With analysis (a saved one, rematch), it replaces the walk and no layer is read. */
/* Walks the tree dir with the engine's consumers (engine_dir.c): .git anywhere and the pseudo
 * file systems of a live root (proc, sys, dev) are never entered, nor o->inv.skip_dirs. */
int vg_scan_walk_dir(const char *dir, struct vg_layer_consumer *const *consumers, size_t n,
                     const struct vg_scan_opts *o, struct vg_err **err);
/* The configuration-file checks of a directory scan (engine_dir.c): files misconf.h takes
 * are checked as they are walked; secrets may be NULL. Directory walks only (one thread). */
struct vg_scan_misconf_consumer {
    struct vg_layer_consumer c;
    struct vg_scan_report *report;
    const struct vg_secret_engine *secrets;
};
struct vg_layer_consumer *vg_scan_misconf_consumer_init(struct vg_scan_misconf_consumer *m,
                                                        struct vg_scan_report *r,
                                                        const struct vg_secret_engine *secrets);
int vg_scan_opened_image(struct vg_scan_report **out, struct vg_oci_image *img,
                         const struct vg_scan_opts *o, const char *analysis, size_t alen,
                         struct vg_err **err);
/* Restores a saved analysis (vg_scan_report_analysis's text) into r; VG_E_PARSE when it is
 * not one (at most 512 MiB). */
int vg_scan_analysis_restore(struct vg_scan_report *r, const void *data, size_t len,
                             struct vg_err **err);
/* The inventory part, shared by scan and sbom (inventory/KEY.json), KEY from
 * vg_scan_inventory_cache_key; load: -1 when absent, stale or malformed. */
char *vg_scan_inventory_cache_key(const struct vg_digest *manifest,
                                  const struct vg_inventory_opts *inv);
int vg_scan_inventory_cache_load(struct vg_inventory **out, const char *key);
/* The same from the bytes of an entry, which must name `key`. */
int vg_scan_inventory_cache_parse(struct vg_inventory **out, const void *data, size_t len,
                                  const char *key);
void vg_scan_inventory_cache_store(const struct vg_inventory *inv, const char *key);
/* vg_scan_cache_trim of the cache directory with lim, after entries were written (failures
 * are only logged: the cache is an optimisation). */
void vg_scan_cache_enforce(const struct vg_scan_cache_limits *lim);
/* Per-layer analysis cache, keyed by layer diffID and the options (see cache.c). */
struct vg_scan_layer_entry {
    struct vg_buf listing;    /* validated (vg_layers_listing_valid) */
    json_t *inv;              /* inventory records (vg_inventory_builder_import), or NULL */
    json_t *secrets, *models; /* arrays of checked objects */
    json_t *files;            /* configuration metadata: [{"path", "mode"}] */
};
int vg_scan_layer_cache_load(struct vg_scan_layer_entry *e, const char *key);
/* The same from the bytes of an entry, which must name `key` (-1 otherwise, e zeroed). */
int vg_scan_layer_cache_parse(struct vg_scan_layer_entry *e, const void *data, size_t len,
                              const char *key);
void vg_scan_layer_cache_store(const char *key, const uint8_t *listing, size_t listing_len,
                               json_t *inv, const struct vg_scan_report *r, size_t layer,
                               json_t *files);
void vg_scan_layer_cache_restore(struct vg_scan_report *r, const struct vg_scan_layer_entry *e,
                                 size_t layer);
void vg_scan_layer_entry_dispose(struct vg_scan_layer_entry *e);
/* Sort findings: severity descending, then package, then id. */
void vg_scan_report_sort(struct vg_scan_report *r);

#endif
