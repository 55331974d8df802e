/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations shared by the inventory analyzers: the growable package list, the
 * per-analyzer byte parsers (each usable without the layer walker, for tests and fuzzing),
 * OS detection, and the finishing step that turns raw analyzer output into OSV ecosystems
 * and purls once the distribution is known.
 *
 * Parser contract: parse(out, path, data, len, err) appends zero or more packages to `out`
 * and returns 0, or returns negative with *err set and `out` unchanged (a partially parsed
 * file never leaks half its packages). `path` is only used for messages and pkg->path.
 */
#ifndef VG_INVENTORY_INT_H
#define VG_INVENTORY_INT_H

#include "inventory/inventory.h"

/* Bounds specific to analyzers (the generic ones live in core/limits.h). */
#define VG_INV_MAX_PKGS_PER_FILE 200000u /* a huge distro has ~10k packages */
#define VG_INV_MAX_FILES_PER_PKG 200000u /* texlive-ish packages own ~100k files */
#define VG_INV_MAX_FIELD_BYTES   (256u * 1024u)
#define VG_INV_MAX_JSON_BYTES    (32u * 1024u * 1024u) /* lock files, package.json */
#define VG_INV_MAX_OS_FILE_BYTES (64u * 1024u)
/* Outer archives handed over whole: Spring Boot fat jars run to ~150 MB; bigger ones are
 * skipped with a warning by the layer walker. */
#define VG_INV_MAX_JAR_FILE_BYTES  (256u * 1024u * 1024u)
#define VG_INV_MAX_JAR_DEPTH       4u /* the outer archive plus three levels of nesting */
#define VG_INV_MAX_JAR_ENTRIES     200000u
#define VG_INV_MAX_JAR_ENTRY_BYTES (32u * 1024u * 1024u)  /* one inflated member */
#define VG_INV_MAX_JAR_TOTAL_BYTES (256u * 1024u * 1024u) /* all inflated members of one jar */
#define VG_INV_MAX_GO_MODINFO      (4u * 1024u * 1024u)
#define VG_INV_MAX_RUST_DEPS_BYTES (8u * 1024u * 1024u) /* inflated cargo-auditable JSON */

struct vg_pkg_list {
    struct vg_pkg *v;
    size_t n, cap;
};

/* Appends a zeroed package and returns it; VG_E_LIMIT past VG_INV_MAX_PKGS_PER_FILE. */
struct vg_pkg *vg_pkg_list_add(struct vg_pkg_list *l, struct vg_err **err);
/* Moves every package of src to the end of dst (src becomes empty). */
void vg_pkg_list_move(struct vg_pkg_list *dst, struct vg_pkg_list *src);
void vg_pkg_list_dispose(struct vg_pkg_list *l);
/* Drops packages from index `from` on (rollback after a failed parse). */
void vg_pkg_list_truncate(struct vg_pkg_list *l, size_t from);
void vg_pkg_dispose(struct vg_pkg *p);
void vg_pkg_copy(struct vg_pkg *dst, const struct vg_pkg *src);
void vg_pkg_add_license(struct vg_pkg *p, const char *lic, size_t len);
/* Appends a file (copied) to p->files; silently stops at VG_INV_MAX_FILES_PER_PKG. */
void vg_pkg_add_file(struct vg_pkg *p, const char *file, size_t len);

/* A set of strings (open addressing, FNV-1a), for de-duplication of large lists. */
struct vg_inv_strset {
    char **slots;
    size_t cap, n;
};
/* Adds "a\nb" (b may be NULL); returns true when it was new. */
bool vg_inv_strset_add(struct vg_inv_strset *s, struct vg_str a, struct vg_str b);
bool vg_inv_strset_has(const struct vg_inv_strset *s, struct vg_str a, struct vg_str b);
void vg_inv_strset_dispose(struct vg_inv_strset *s);

void vg_os_info_dispose(struct vg_os_info *os);
void vg_os_info_copy(struct vg_os_info *dst, const struct vg_os_info *src);

/* Fills ecosystem and purl of every package from its kind and the detected OS. */
void vg_inv_pkg_finalize(struct vg_pkg *p, const struct vg_os_info *os);
/* OSV ecosystem of the OS packages of this distribution ("Debian:12"), caller frees; NULL when
 * the family is unknown. */
char *vg_inv_os_ecosystem(const struct vg_os_info *os);
/* PEP 503 normalisation: lowercase, runs of [-_.] become one '-'. Caller frees. */
char *vg_inv_pep503(const char *name, size_t len);
/* Percent-encodes for a purl component (keeps A-Za-z0-9 . - _ ~). Appends to b. */
int vg_inv_purl_escape(struct vg_buf *b, const char *s, struct vg_err **err);

/* ---------------------------------------------------------------- OS detection */

/* Which OS marker files the detector reads (relative, normalized paths). */
bool vg_inv_os_wants(const char *path);
/* Collected marker files, resolved by priority in vg_inv_os_detect. */
struct vg_inv_os_file {
    const char *path;
    const uint8_t *data;
    size_t len;
};
/* Detects the distribution from the marker files present in the final filesystem. Leaves os
 * zeroed (family NULL) when nothing is recognised. dpkg_seen marks a distroless image (dpkg
 * status.d with no os-release). */
void vg_inv_os_detect(struct vg_os_info *os, const struct vg_inv_os_file *files, size_t n,
                      bool dpkg_statusd_seen);
/* Parses one file alone into os (for tests): returns true when it yielded a family. */
bool vg_inv_os_parse_file(struct vg_os_info *os, const char *path, const uint8_t *data, size_t len);

/* ---------------------------------------------------------------- parsers */

typedef int (*vg_inv_parse_fn)(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                               size_t len, struct vg_err **err);

int vg_inv_parse_dpkg_status(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                             size_t len, struct vg_err **err);
/* dpkg info/<pkg>[:arch].list or .md5sums: the owned file list, one path per line. */
int vg_inv_parse_dpkg_filelist(char ***files, size_t *nfiles, const uint8_t *data, size_t len,
                               bool md5sums, struct vg_err **err);
/* usr/share/doc/<pkg>/copyright: license names (SPDX identifiers where Debian's short name
 * has one), de-duplicated, in order of appearance. Caller frees the array and strings. */
int vg_inv_parse_dpkg_copyright(char ***lics, size_t *n, const uint8_t *data, size_t len,
                                struct vg_err **err);
int vg_inv_parse_apk(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                     struct vg_err **err);
/* rpmdb.sqlite, Berkeley DB Packages or ndb Packages.db, detected by magic. */
int vg_inv_parse_rpmdb(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                       struct vg_err **err);
int vg_inv_parse_python_metadata(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                                 size_t len, struct vg_err **err);
int vg_inv_parse_npm_package_json(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                                  size_t len, struct vg_err **err);
int vg_inv_parse_npm_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                          size_t len, struct vg_err **err);
int vg_inv_parse_yarn_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                           size_t len, struct vg_err **err);
int vg_inv_parse_pnpm_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                           size_t len, struct vg_err **err);
/* A whole Go executable in memory (tests, fuzzing); the walker uses the streaming form. */
int vg_inv_parse_gobinary(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                          size_t len, struct vg_err **err);
/* jar/war/ear/par/hpi/jpi (by base name, case-insensitive). */
bool vg_inv_jar_wants(const char *base);
/* A Java archive with its nested archives: Maven coordinates (kind "jar"). */
int vg_inv_parse_jar(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                     struct vg_err **err);
/* A zipped Python egg: its EGG-INFO/PKG-INFO. */
int vg_inv_parse_egg(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                     struct vg_err **err);
int vg_inv_parse_cargo_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                            size_t len, struct vg_err **err);
int vg_inv_parse_gemspec(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                         struct vg_err **err);
int vg_inv_parse_composer(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                          size_t len, struct vg_err **err);

/* Lock files and manifests of a source tree (`vigil fs`, docs/fs.md): kinds "pip", "pipenv",
 * "poetry", "uv" (pylock.c), "gomod" (gomod.c), "bundler" (gemlock.c), "pom", "gradle"
 * (javalock.c), "nuget" (nuget.c). Same contract as the parsers above. */
/* package-lock.json and composer.lock without their dev dependencies ("dev": true entries,
 * "packages-dev"), as Trivy's fs reads them. */
int vg_inv_parse_npm_lock_prod(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                               size_t len, struct vg_err **err);
int vg_inv_parse_composer_prod(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                               size_t len, struct vg_err **err);
int vg_inv_parse_requirements(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                              size_t len, struct vg_err **err);
int vg_inv_parse_pipfile_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                              size_t len, struct vg_err **err);
int vg_inv_parse_poetry_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                             size_t len, struct vg_err **err);
int vg_inv_parse_uv_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                         struct vg_err **err);
int vg_inv_parse_gomod(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                       struct vg_err **err);
int vg_inv_parse_gemfile_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                              size_t len, struct vg_err **err);
int vg_inv_parse_pom(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                     struct vg_err **err);
int vg_inv_parse_gradle_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                             size_t len, struct vg_err **err);
int vg_inv_parse_nuget_lock(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                            size_t len, struct vg_err **err);

/* Streaming Go build-info extraction (bounded state, any file size). */
struct vg_inv_gostream;
struct vg_inv_gostream *vg_inv_gostream_new(void);
/* Feeds the next chunk; returns false once the stream is known not to be a Go binary (the
 * caller may stop feeding). */
bool vg_inv_gostream_feed(struct vg_inv_gostream *s, const uint8_t *data, size_t len);
/* At end of file: appends the packages found (none for non-Go files). */
int vg_inv_gostream_finish(struct vg_inv_gostream *s, struct vg_pkg_list *out, const char *path,
                           struct vg_err **err);
void vg_inv_gostream_free(struct vg_inv_gostream *s);

/* Streaming cargo-auditable extraction (`.dep-v0`), same contract as the Go stream. */
struct vg_inv_ruststream;
struct vg_inv_ruststream *vg_inv_ruststream_new(void);
bool vg_inv_ruststream_feed(struct vg_inv_ruststream *s, const uint8_t *data, size_t len);
int vg_inv_ruststream_finish(struct vg_inv_ruststream *s, struct vg_pkg_list *out, const char *path,
                             struct vg_err **err);
void vg_inv_ruststream_free(struct vg_inv_ruststream *s);
/* A whole Rust executable in memory (tests, fuzzing). */
int vg_inv_parse_rustbinary(struct vg_pkg_list *out, const char *path, const uint8_t *data,
                            size_t len, struct vg_err **err);

/* Parses Go's modinfo text ("path\t...\nmod\t...\ndep\t...") into packages. */
int vg_inv_go_modinfo(struct vg_pkg_list *out, const char *path, const char *goversion,
                      const char *modinfo, size_t len, struct vg_err **err);

/* SBOM readers behind vg_sbom_read (fuzzed on their own). */
int vg_inv_sbom_read_spdx_tv(struct vg_inventory **out, const void *data, size_t len,
                             struct vg_err **err);
int vg_inv_sbom_read_cdx_xml(struct vg_inventory **out, const void *data, size_t len,
                             struct vg_err **err);

#endif
