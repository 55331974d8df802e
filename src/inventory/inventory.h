/* SPDX-License-Identifier: Apache-2.0
 *
 * inventory: the package model and the analyzers that turn files into packages — OS release,
 * dpkg (incl. distroless status.d), apk, rpm (sqlite/bdb via librpm, ndb by hand), Python,
 * Node, Go binaries, Java archives (nested too), Rust (Cargo.lock and cargo-auditable
 * binaries), Ruby, PHP — plus SBOM writers (CycloneDX, SPDX, vigil JSON) and the reader of
 * CycloneDX/SPDX SBOMs for rescans.
 *
 * Analyzers run as layer consumers (layers.h) in the single pass over the image; each parser
 * is also callable on bytes directly (tests, fuzzing). A bad file is skipped with a warning
 * naming it; it never aborts the inventory.
 */
#ifndef VG_INVENTORY_H
#define VG_INVENTORY_H

#include "core/core.h"
#include "layers/layers.h"
#include "oci/oci.h"

enum vg_pkg_type { VG_PKG_OS = 1, VG_PKG_LIBRARY };

struct vg_pkg {
    enum vg_pkg_type type;
    char *ecosystem; /* OSV ecosystem: "Debian:12", "Alpine:v3.19", "PyPI", "npm", "Go",
                        "Maven", "crates.io", "RubyGems", "Packagist", "Red Hat", ... */
    char *kind;      /* analyzer: "dpkg", "apk", "rpm", "python", "node", "gobinary", "jar",
                        "cargo", "rustbinary", "gemspec", "composer" */
    char *name;
    char *version;  /* full version as the ecosystem writes it (deb: [epoch:]upstream-rev) */
    char *src_name; /* source package (dpkg Source:, apk origin, rpm source rpm name) */
    char *src_version;
    char *arch;
    char *purl;
    char **licenses;
    size_t nlicenses;
    char *path; /* file it was found in */
    size_t layer_index;
    struct vg_digest layer_digest;
    struct vg_digest layer_diff_id; /* alg 0 when unknown */
    char *modularity_label;         /* rpm */
    char **files;
    size_t nfiles; /* owned files (OS packages), for de-duplication */
};

struct vg_os_info {
    char *family;  /* "debian", "ubuntu", "alpine", "wolfi", "rhel", "centos", "rocky",
                      "alma", "fedora", "amazon", "suse", "distroless" ... or NULL */
    char *name;    /* PRETTY_NAME */
    char *version; /* "12", "3.19.1", "22.04" */
    char *version_id_full;
    bool eosl;
};

struct vg_inventory {
    struct vg_os_info os;
    struct vg_pkg *pkgs;
    size_t npkgs;
    size_t warnings;    /* files skipped as unreadable/corrupt */
    char *subject_purl; /* read from an SBOM: purl of the artifact it describes, or NULL */
};

struct vg_inventory_opts {
    bool os_pkgs;  /* --pkg-types os */
    bool lib_pkgs; /* --pkg-types library */
    const char *const *skip_dirs;
    size_t nskip_dirs;
    const char *const *skip_files;
    size_t nskip_files;
    /* A source tree (`vigil fs`, Trivy's fs): lock files and manifests are the packages, each
     * reported under its own kind ("npm", "yarn", "pip", "gomod", ...); installed packages,
     * executables, archives and OS databases are not read. */
    bool source_tree;
};
#define VG_INVENTORY_OPTS_INIT                                                                     \
    {                                                                                              \
        true, true, NULL, 0, NULL, 0, false                                                        \
    }

/* Creates the analyzers as layer consumers; after vg_layers_walk, call _finish to build the
 * inventory (drops packages whose files a later layer deleted, attributes language packages
 * owned by OS packages to the OS package, sorts deterministically). */
struct vg_inventory_builder;
struct vg_inventory_builder *vg_inventory_builder_new(const struct vg_inventory_opts *opts);
/* Consumers to pass to vg_layers_walk; borrowed, valid until _builder_free. */
struct vg_layer_consumer *const *vg_inventory_builder_consumers(struct vg_inventory_builder *b,
                                                                size_t *n);
int vg_inventory_builder_finish(struct vg_inventory **out, struct vg_inventory_builder *b,
                                const struct vg_layers_result *layers, struct vg_err **err);
void vg_inventory_builder_free(struct vg_inventory_builder *b);
/* Per-layer caching (before _finish): the analyzer records of one layer as a JSON array, and
 * the way back into a builder for a layer that is not walked (index, blob digest and diffID
 * of the image at hand are applied). Export fails when a string is not valid UTF-8; import
 * checks every field and takes all records or none (VG_E_PARSE). */
int vg_inventory_builder_export(json_t **out, struct vg_inventory_builder *b, size_t layer_index,
                                struct vg_err **err);
int vg_inventory_builder_import(struct vg_inventory_builder *b, const json_t *recs,
                                size_t layer_index, const struct vg_digest *layer_digest,
                                const struct vg_digest *diff_id, struct vg_err **err);

/* Convenience: walk the image's layers with the inventory analyzers only. */
int vg_inventory_of_image(struct vg_inventory **out, struct vg_oci_image *img,
                          const struct vg_inventory_opts *opts, struct vg_err **err);
void vg_inventory_free(struct vg_inventory *inv);

/* Package URLs as other tools write them: parts percent-decoded, type and qualifier keys
 * lowercased, an empty version is NULL. VG_E_PARSE (naming the purl) for a missing type or
 * name, a decoded NUL or a duplicate qualifier; VG_E_LIMIT above the limits. */
#define VG_PURL_MAX_BYTES      4096u
#define VG_PURL_MAX_QUALIFIERS 32u
struct vg_purl_qual {
    char *key, *value;
};
struct vg_purl {
    char *type, *ns, *name, *version, *subpath; /* ns, version, subpath may be NULL */
    struct vg_purl_qual *quals;
    size_t nquals;
};
int vg_purl_parse(struct vg_purl *out, const char *s, struct vg_err **err);
/* The value of qualifier `key` (lowercase), or NULL; borrowed from p. */
const char *vg_purl_qual(const struct vg_purl *p, const char *key);
void vg_purl_dispose(struct vg_purl *p);

/* SBOM output. */
enum vg_sbom_format { VG_SBOM_CYCLONEDX = 1, VG_SBOM_SPDX_JSON, VG_SBOM_VIGIL_JSON };
/* Returns a new JSON document (caller decrefs). img may be NULL for a bare inventory. */
json_t *vg_sbom_build(const struct vg_inventory *inv, const struct vg_oci_image *img,
                      enum vg_sbom_format fmt);
/* Reads a CycloneDX or SPDX JSON SBOM (as written by vigil or others) into an inventory. */
int vg_sbom_read(struct vg_inventory **out, const void *data, size_t len, struct vg_err **err);

#endif
