/* SPDX-License-Identifier: Apache-2.0
 *
 * config: YAML documents, and the ONLY module that includes <libfyaml.h>. It loads a file or a
 * buffer (a stream of one or more documents) into a read-only tree of nodes — scalars,
 * sequences and mappings — that callers walk without libfyaml. Every node knows its
 * file:line:column, and every error reads `FILE:LINE:COL: message` on one line.
 *
 * It owns no schema: the secret config, registry config and policy files interpret the tree.
 * It deliberately refuses what configuration never needs and attackers like: duplicate keys,
 * non-scalar keys, tags outside YAML's core schema, aliases to unknown or enclosing anchors.
 * Merge keys (`<<`) are ordinary keys.
 *
 * Bounds (struct vg_config_limits, defaults from core/limits.h): input bytes, nesting depth,
 * nodes after alias expansion (an alias counts every node it stands for, so "billion laughs"
 * stops at the limit while the tree itself shares the anchored nodes), anchors, aliases and
 * documents. Exceeding one is VG_E_LIMIT; malformed or refused YAML is VG_E_PARSE; a missing
 * file is VG_E_NOTFOUND.
 *
 * Ownership: a vg_config_doc owns every node; node pointers and scalar text are borrowed and
 * valid until vg_config_doc_free. An aliased node is the anchored node itself, so its position
 * is where the anchor was defined.
 *
 * Thread safety: a loaded document is immutable; it may be read from several threads.
 */
#ifndef VG_CONFIG_H
#define VG_CONFIG_H

#include "core/core.h"

struct vg_config_limits {
    size_t max_bytes;      /* input size */
    size_t max_depth;      /* nested sequences/mappings */
    size_t max_nodes;      /* nodes in the stream, counting each alias as its whole subtree */
    size_t max_anchors;    /* anchor definitions per document */
    size_t max_aliases;    /* alias references per document */
    size_t max_documents;  /* documents in the stream */
    size_t max_text_nodes; /* vg_config_parse_json: nodes in the whole text (0: no bound) */
};
#define VG_CONFIG_LIMITS_INIT                                                                      \
    ((struct vg_config_limits){VG_LIMIT_YAML_BYTES, VG_LIMIT_YAML_DEPTH, VG_LIMIT_YAML_NODES,      \
                               VG_LIMIT_YAML_ALIASES, VG_LIMIT_YAML_ALIASES,                       \
                               VG_LIMIT_YAML_DOCUMENTS, 0})

enum vg_config_type {
    VG_CONFIG_SCALAR = 1,
    VG_CONFIG_SEQ,
    VG_CONFIG_MAP,
};

struct vg_config_doc;  /* a loaded stream: its documents and all their nodes */
struct vg_config_node; /* borrowed from its vg_config_doc */

/* Loads a YAML stream. name is what errors print as FILE (a path, or e.g. "<secret-config>").
 * lim NULL means VG_CONFIG_LIMITS_INIT. An empty stream has zero documents. */
VG_NODISCARD int vg_config_load_buf(struct vg_config_doc **out, const char *name, const void *data,
                                    size_t len, const struct vg_config_limits *lim,
                                    struct vg_err **err);
VG_NODISCARD int vg_config_load_file(struct vg_config_doc **out, const char *path,
                                     const struct vg_config_limits *lim, struct vg_err **err);
/* The document of one root vg_config_load_buf makes of j's compact JSON text (json_dumps
 * JSON_COMPACT: strings quoted, other scalars plain, positions on line 1 at the text's column),
 * the same limits refused with the same messages, but without writing and parsing that text.
 * name as for vg_config_load_buf. */
VG_NODISCARD int vg_config_load_json(struct vg_config_doc **out, const char *name, const json_t *j,
                                     const struct vg_config_limits *lim, struct vg_err **err);
/* The same, straight from JSON text (one object, as jansson reads it with
 * JSON_REJECT_DUPLICATES), without a jansson value: the document vg_config_load_json makes of
 * the parsed text, except that positions restart at the member `at` names (keys from the root,
 * NULL-terminated; NULL: none), whose subtree is positioned and limited (lim) as
 * vg_config_load_json positions and limits that member's value alone. -1 (no error: nothing to
 * show) for text it does not take: invalid JSON, duplicate keys, reals, "-0", a NUL or a
 * character YAML cannot carry raw in a string, a limit crossed under `at`, more than
 * lim->max_text_nodes nodes in the whole text (when set: what it builds stays bounded),
 * nesting over 512.
 * The caller then parses with jansson and vg_config_load_json, which give the exact result or
 * error. *depth (may be NULL) is set to the deepest nesting of the whole text (the root
 * object is 1). */
VG_NODISCARD int vg_config_parse_json(struct vg_config_doc **out, const char *name,
                                      const void *text, size_t len, const char *const *at,
                                      const struct vg_config_limits *lim, size_t *depth);
void vg_config_doc_free(struct vg_config_doc *doc);

size_t vg_config_doc_count(const struct vg_config_doc *doc);
/* Root of document i (< count); never NULL for a valid i (an empty document is a null scalar). */
const struct vg_config_node *vg_config_doc_root(const struct vg_config_doc *doc, size_t i);
/* The name errors print (control characters escaped). */
const char *vg_config_doc_name(const struct vg_config_doc *doc);

enum vg_config_type vg_config_node_type(const struct vg_config_node *n);
const char *vg_config_type_name(enum vg_config_type t);       /* "scalar", "list", "mapping" */
unsigned vg_config_node_line(const struct vg_config_node *n); /* 1-based */
unsigned vg_config_node_col(const struct vg_config_node *n);  /* 1-based */
const char *vg_config_node_file(const struct vg_config_node *n);
/* True for a plain (unquoted) scalar that YAML's core schema reads as null: empty, ~, null,
 * Null, NULL. `key:` with no value is such a scalar. */
bool vg_config_node_is_null(const struct vg_config_node *n);
/* True for a scalar written plain (no quotes, no block style): from JSON, a number, true,
 * false or null; false for strings and collections. */
bool vg_config_node_plain(const struct vg_config_node *n);
/* Scalar text (NUL-terminated; may also contain NUL bytes, see len); NULL for a non-scalar. */
const char *vg_config_node_scalar(const struct vg_config_node *n, size_t *len);
/* Replaces the text of scalar n, a node of doc, with text (a quoted string from then on), as a
 * JSON Patch "replace" of that value would (aliases of n see it too): `vigil admit check`
 * applies the /mutate patch with it. doc must come from vg_config_load_buf/_file.
 * VG_E_USAGE when n is not a scalar node of doc. */
VG_NODISCARD int vg_config_scalar_replace(struct vg_config_doc *doc, const struct vg_config_node *n,
                                          const char *text, struct vg_err **err);
/* Items of a sequence, pairs of a mapping, 0 for a scalar. */
size_t vg_config_node_len(const struct vg_config_node *n);
/* NULL when n is not a sequence (mapping) or i is out of range. Keys are always scalars. */
const struct vg_config_node *vg_config_seq_at(const struct vg_config_node *n, size_t i);
const struct vg_config_node *vg_config_map_key(const struct vg_config_node *n, size_t i);
const struct vg_config_node *vg_config_map_value(const struct vg_config_node *n, size_t i);
/* Value of key in a mapping; NULL when absent or n is not a mapping. */
const struct vg_config_node *vg_config_map_get(const struct vg_config_node *n, const char *key);

/* Sets the error "FILE:LINE:COL: message" at node n (non-NULL). Returns -(int)code, like
 * vg_err_set. */
int vg_config_err(struct vg_err **err, const struct vg_config_node *n, enum vg_errc code,
                  const char *fmt, ...) VG_PRINTF(4, 5);

/* ---------------------------------------------------------------- typed getters (get.c)
 *
 * For schema code. map is a mapping node; a key that is absent, or whose value is null (`key:`,
 * `key: ~`), yields def. A value of the wrong shape is VG_E_PARSE "FILE:LINE:COL: 'key' must
 * be ..." at the value. Strings are borrowed from the document; NUL bytes are refused. */
VG_NODISCARD int vg_config_get_str(const struct vg_config_node *map, const char *key,
                                   const char *def, const char **out, struct vg_err **err);
/* true/True/TRUE, false/False/FALSE (YAML 1.2 core schema; no yes/no/on/off). */
VG_NODISCARD int vg_config_get_bool(const struct vg_config_node *map, const char *key, bool def,
                                    bool *out, struct vg_err **err);
/* Decimal digits only, at most max. */
VG_NODISCARD int vg_config_get_u64(const struct vg_config_node *map, const char *key, uint64_t def,
                                   uint64_t max, uint64_t *out, struct vg_err **err);
/* Bytes, see vg_config_parse_size; at most max. */
VG_NODISCARD int vg_config_get_size(const struct vg_config_node *map, const char *key, uint64_t def,
                                    uint64_t max, uint64_t *out, struct vg_err **err);
/* Milliseconds, see vg_config_parse_duration_ms; at most max. */
VG_NODISCARD int vg_config_get_duration_ms(const struct vg_config_node *map, const char *key,
                                           uint64_t def, uint64_t max, uint64_t *out,
                                           struct vg_err **err);
/* The mapping / sequence at key; *out NULL when absent or null. */
VG_NODISCARD int vg_config_get_map(const struct vg_config_node *map, const char *key,
                                   const struct vg_config_node **out, struct vg_err **err);
VG_NODISCARD int vg_config_get_seq(const struct vg_config_node *map, const char *key,
                                   const struct vg_config_node **out, struct vg_err **err);
/* Every key of map must be one of allowed[0..nallowed). Otherwise VG_E_PARSE at the first
 * unknown key: "FILE:LINE:COL: unknown key 'PATH.key'", where path names map ("" or NULL at
 * the top level, e.g. "storage.filesystem" below). Also fails when map is not a mapping. */
VG_NODISCARD int vg_config_check_keys(const struct vg_config_node *map, const char *path,
                                      const char *const *allowed, size_t nallowed,
                                      struct vg_err **err);

/* Sizes: decimal digits, optional spaces, then a unit: none or B (bytes); k K kB KB, M MB,
 * G GB, T TB (powers of 1000); Ki KiB, Mi MiB, Gi GiB, Ti TiB (powers of 1024). -1 when
 * malformed, overflowing or over max. */
VG_NODISCARD int vg_config_parse_size(struct vg_str s, uint64_t max, uint64_t *out);
/* Durations in milliseconds, Go style without fractions: "0", or one or more <digits><unit>
 * with units h, m, s, ms in strictly decreasing order ("1h30m", "2m30s", "500ms"). -1 when
 * malformed, overflowing or over max. */
VG_NODISCARD int vg_config_parse_duration_ms(struct vg_str s, uint64_t max, uint64_t *out);

/* The JSON values docs[0..n) as a block-style YAML stream (emit.c), each document opening with
 * "---". Strings are plain, literal blocks or double-quoted so that YAML 1.1 and 1.2 parsers
 * read back exactly the JSON (types included). Caller frees. */
char *vg_config_yaml_emit(json_t *const *docs, size_t n);

#endif
