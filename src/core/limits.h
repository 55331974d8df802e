/* SPDX-License-Identifier: Apache-2.0
 *
 * Every bound vigil applies to untrusted input, with the reason for its size. Exceeding one is
 * VG_E_LIMIT, never an out-of-memory abort.
 */
#ifndef VG_LIMITS_H
#define VG_LIMITS_H

/* Manifests and indexes: registries commonly cap at 4 MiB. */
#define VG_LIMIT_MANIFEST_BYTES (4u * 1024u * 1024u)
/* Image config JSON: large histories exist but stay well under 8 MiB. */
#define VG_LIMIT_CONFIG_BYTES (8u * 1024u * 1024u)
/* Generic small JSON documents (index.json, manifest.json of docker-archive, tokens). */
#define VG_LIMIT_SMALL_JSON_BYTES (4u * 1024u * 1024u)
/* Registry auth token responses. */
#define VG_LIMIT_TOKEN_BYTES (1u * 1024u * 1024u)
/* Largest single file an analyzer may receive in memory (package DBs, lock files). */
#define VG_LIMIT_ANALYZER_FILE_BYTES (64u * 1024u * 1024u)
/* Number of layers in one image (Docker's own limit is 127; OCI allows more). */
#define VG_LIMIT_LAYERS 1024u
/* Manifests in one index. */
#define VG_LIMIT_INDEX_ENTRIES 4096u
/* Tar entries per layer (a full distro layer has ~100k files). */
#define VG_LIMIT_LAYER_ENTRIES 4000000u
/* Total unpacked bytes per layer: decompression-bomb guard. */
#define VG_LIMIT_LAYER_UNPACKED_BYTES (64ull * 1024ull * 1024ull * 1024ull)
/* Path length inside a layer. */
#define VG_LIMIT_PATH_BYTES 4096u
/* One line of a text database (dpkg status, apk installed). */
#define VG_LIMIT_LINE_BYTES (256u * 1024u)
/* HTTP response headers per response. */
#define VG_LIMIT_HTTP_HEADER_BYTES (64u * 1024u)
/* Redirects followed for one request. */
#define VG_LIMIT_HTTP_REDIRECTS 5
/* Retries on 429/5xx for one request. */
#define VG_LIMIT_HTTP_RETRIES 4
/* Nested index depth in OCI layouts. */
#define VG_LIMIT_INDEX_DEPTH 8
/* One OSV record. */
#define VG_LIMIT_OSV_RECORD_BYTES (16u * 1024u * 1024u)
/* Signature payloads (simple signing, DSSE). */
#define VG_LIMIT_PAYLOAD_BYTES (4u * 1024u * 1024u)

/* YAML configuration streams (config/): input bytes; nesting depth; nodes counting each alias
 * as the whole subtree it stands for (billion laughs); anchors and aliases per document;
 * documents per stream (multi-document Kubernetes manifests). */
#define VG_LIMIT_YAML_BYTES     (4u * 1024u * 1024u)
#define VG_LIMIT_YAML_DEPTH     64u
#define VG_LIMIT_YAML_NODES     200000u
#define VG_LIMIT_YAML_ALIASES   1024u
#define VG_LIMIT_YAML_DOCUMENTS 1024u

#endif
