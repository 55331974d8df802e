/* SPDX-License-Identifier: Apache-2.0
 *
 * Part of scan.h (included from it): checks of configuration files — Dockerfiles and
 * Containerfiles, Kubernetes manifests (multi-document YAML, every pod-carrying kind, Helm's
 * rendered output) and the apiserver's EncryptionConfiguration — as `vigil config` runs them
 * and `vigil fs` runs them on the config files it finds. Findings go into a vg_scan_report's
 * configs (with their file and lines), so the filters (severity, ignore files), the exit-code
 * gate and the report writers (table, Trivy-compatible JSON, SARIF) are the scanner's own.
 * Check ids are Trivy's (DS..., KSV...) where Trivy has the same check, vigil's otherwise
 * (VG-DS-..., VG-K8S-..., VG-ENC-...); docs/config.md lists them.
 *
 * Nothing here opens files: callers hand over bytes. YAML goes through config/ with its bounds
 * (aliases counted expanded, depth, nodes, documents) raised for Helm-sized manifests.
 */
#ifndef VG_SCAN_MISCONF_H
#define VG_SCAN_MISCONF_H

#include "core/core.h"
#include "vulndb/vulndb.h"

struct vg_scan_report;
struct vg_secret_engine;
struct vg_config_node;

/* Largest config file checked (Dockerfile or YAML stream); larger is VG_E_LIMIT. */
#define VG_MISCONF_MAX_BYTES (16u * 1024u * 1024u)
/* YAML bounds for manifests (config/'s defaults are for vigil's own small config files). */
#define VG_MISCONF_YAML_NODES     2000000u
#define VG_MISCONF_YAML_DOCUMENTS 20000u
/* Dockerfile instructions (after joining continuation lines); more is VG_E_LIMIT. */
#define VG_MISCONF_MAX_INSTRUCTIONS 20000u

enum vg_misconf_type {
    VG_MISCONF_NONE = 0,
    VG_MISCONF_DOCKERFILE,
    VG_MISCONF_KUBERNETES, /* Kubernetes objects, EncryptionConfiguration included */
};
/* "dockerfile", "kubernetes" (Trivy's result Type); "" for NONE. Static. */
const char *vg_misconf_type_name(enum vg_misconf_type t);
/* What a path's file name says: Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*,
 * *.dockerfile -> DOCKERFILE; *.yaml, *.yml, *.json -> KUBERNETES (a candidate: the content
 * decides, see vg_misconf_scan_file); anything else NONE. */
enum vg_misconf_type vg_misconf_path_type(const char *path);

/* Called with every Kubernetes object of a manifest after its own checks (`vigil config
 * --policy` adds the admission verdict here); obj is borrowed for the call. A negative return
 * stops the scan with that error. */
typedef int (*vg_misconf_object_fn)(void *ctx, struct vg_scan_report *r, const char *target,
                                    const struct vg_config_node *obj, struct vg_err **err);

struct vg_misconf_opts {
    enum vg_misconf_type type;              /* NONE: from the path and the content */
    const struct vg_secret_engine *secrets; /* the secret rules run over ENV/ARG values and
                                               manifest env values; NULL: names only */
    vg_misconf_object_fn on_object;         /* NULL: none */
    void *ctx;
};

/* Checks one configuration file's bytes; target names it in findings (a path relative to
 * what was scanned, as Trivy's Target). Findings are appended to r->configs and the file to
 * r->config_targets. Inline comments `# vigil:ignore:ID` and `# trivy:ignore:ID` (several ids
 * may follow, separated by ':' or ','; `*` for all) mark findings suppressed (reported as
 * such, not counted): on the finding's line (trailing), on the line(s) right above it, or
 * right above the object or stage it belongs to (above the first instruction for a
 * Dockerfile's file-level findings).
 * Returns 1 when the file was checked, 0 when it is not a file this checks (a YAML file with no
 * Kubernetes object; nothing is added), negative on error: VG_E_LIMIT over
 * VG_MISCONF_MAX_BYTES or a YAML bound (alias bombs, depth, nodes), VG_E_PARSE for a
 * Dockerfile that is not text (NUL bytes, invalid UTF-8) or malformed YAML, each one line
 * naming the file (and line). On error r is unchanged. */
VG_NODISCARD int vg_misconf_scan_file(struct vg_scan_report *r, const char *target,
                                      const void *data, size_t len, const struct vg_misconf_opts *o,
                                      struct vg_err **err);

/* Adds a finding that is not one of the built-in checks (`--policy`: the admission
 * engine's verdict) to the file target; id, title and resolution are static strings. */
void vg_misconf_add_external(struct vg_scan_report *r, const char *target, const char *id,
                             const char *title, const char *resolution,
                             enum vg_vulndb_severity severity, size_t line, char *message_take);

#endif
