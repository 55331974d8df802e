/* SPDX-License-Identifier: Apache-2.0
 *
 * Part of oci.h (included from it; not included directly): the OCI Distribution protocol pieces
 * shared by the registry client (oci/remote*.c) and the registry server (registry/):
 *
 *  - the route grammar of spec v1.1 (plus Docker's /v2/_catalog): parse a request target
 *    ("/v2/<name>/manifests/<ref>?...") into a typed route, and build one back;
 *  - the {"errors":[{"code","message","detail"}]} error codes with their HTTP status: parse a
 *    body (client), emit one (server, deterministic JSON);
 *  - the digest-verifying stream (verify.c): bytes in, digest and size checked at the end,
 *    failures typed with the protocol's codes.
 *
 * Names follow the spec's regex (lowercase components joined by '.', '_', '__' or '-'+,
 * separated by '/'), at most VG_OCI_DIST_NAME_MAX characters (distribution refuses longer
 * names; clients cap host + "/" + name at 255, see vg_oci_ref_parse). Tags are
 * [A-Za-z0-9_][A-Za-z0-9._-]{0,127}; digests are sha256/sha512 with exact lowercase hex (core's
 * vg_digest_parse). Path components are percent-decoded one by one after splitting at '/', so
 * "%2F" or "%2E%2E" never create or escape a component: they fail the grammar.
 *
 * Thread safety: no shared state; a route or error list belongs to its caller.
 */
#ifndef VG_OCI_DIST_H
#define VG_OCI_DIST_H

#define VG_OCI_DIST_NAME_MAX     255u         /* distribution: repository name length */
#define VG_OCI_DIST_TAG_MAX      128u         /* tag grammar: 1 + 127 */
#define VG_OCI_DIST_SESSION_MAX  256u         /* upload session id (server-chosen, opaque) */
#define VG_OCI_DIST_TARGET_MAX   (8u * 1024u) /* a whole request target (path + query) */
#define VG_OCI_DIST_MEDIA_MAX    255u         /* RFC 6838: type/subtype, 127 each */
#define VG_OCI_DIST_ERRORS_MAX   256u         /* entries in one error body */
#define VG_OCI_DIST_ERRORS_BYTES VG_LIMIT_SMALL_JSON_BYTES
#define VG_OCI_DIST_DETAIL_BYTES (64u * 1024u) /* one emitted "detail" */

/* ---------------------------------------------------------------- error codes */

/* The spec's error codes, then distribution's that clients must tolerate. VG_OCI_DIST_OK is
 * "no error"; VG_OCI_DIST_ROUTE_UNKNOWN is no wire code: the route parser's answer for a path
 * no endpoint has (404; emitted as UNSUPPORTED so the body stays in the spec's list). */
enum vg_oci_dist_code {
    VG_OCI_DIST_OK = 0,
    VG_OCI_DIST_BLOB_UNKNOWN,              /* 404 */
    VG_OCI_DIST_BLOB_UPLOAD_INVALID,       /* 400 */
    VG_OCI_DIST_BLOB_UPLOAD_UNKNOWN,       /* 404 */
    VG_OCI_DIST_DIGEST_INVALID,            /* 400 */
    VG_OCI_DIST_MANIFEST_BLOB_UNKNOWN,     /* 400 */
    VG_OCI_DIST_MANIFEST_INVALID,          /* 400 */
    VG_OCI_DIST_MANIFEST_UNKNOWN,          /* 404 */
    VG_OCI_DIST_NAME_INVALID,              /* 400 */
    VG_OCI_DIST_NAME_UNKNOWN,              /* 404 */
    VG_OCI_DIST_SIZE_INVALID,              /* 400 */
    VG_OCI_DIST_UNAUTHORIZED,              /* 401 */
    VG_OCI_DIST_DENIED,                    /* 403 */
    VG_OCI_DIST_UNSUPPORTED,               /* 405 (a server may answer 400 for bad parameters) */
    VG_OCI_DIST_TOOMANYREQUESTS,           /* 429 */
    VG_OCI_DIST_TAG_INVALID,               /* 400, distribution */
    VG_OCI_DIST_MANIFEST_UNVERIFIED,       /* 400, distribution */
    VG_OCI_DIST_PAGINATION_NUMBER_INVALID, /* 400, distribution */
    VG_OCI_DIST_RANGE_INVALID,             /* 416, distribution */
    VG_OCI_DIST_UNKNOWN,                   /* 500; also any code not in this table (parse) */
    VG_OCI_DIST_ROUTE_UNKNOWN,             /* 404, not a wire code (see above) */
};
#define VG_OCI_DIST_CODE_COUNT ((size_t)VG_OCI_DIST_ROUTE_UNKNOWN + 1)

/* "BLOB_UNKNOWN"...; VG_OCI_DIST_OK gives NULL. */
const char *vg_oci_dist_code_name(enum vg_oci_dist_code c);
/* The HTTP status a server answers with (0 for VG_OCI_DIST_OK). */
int vg_oci_dist_code_status(enum vg_oci_dist_code c);
/* The spec's default message ("blob unknown to registry"...); NULL for VG_OCI_DIST_OK. */
const char *vg_oci_dist_code_message(enum vg_oci_dist_code c);
/* Wire name to code: exact, case-sensitive; unknown names are VG_OCI_DIST_UNKNOWN. */
enum vg_oci_dist_code vg_oci_dist_code_from_name(const char *name);

/* One entry of a parsed error body (owned strings). */
struct vg_oci_dist_error {
    enum vg_oci_dist_code code;
    char *code_text; /* the code as sent (differs from the table's name for UNKNOWN) */
    char *message;   /* or NULL */
    char *detail;    /* compact JSON text of "detail" (keys sorted), or NULL (absent or null) */
};
/* One entry to emit (borrowed strings). */
struct vg_oci_dist_error_out {
    enum vg_oci_dist_code code;
    const char *message; /* NULL: the code's default message */
    const char *detail;  /* JSON text, or NULL for null */
};
void vg_oci_dist_errors_free(struct vg_oci_dist_error *e, size_t n);

/* Parses an error body (client side; hostile input): at most VG_OCI_DIST_ERRORS_BYTES and
 * VG_OCI_DIST_ERRORS_MAX entries (VG_E_LIMIT); not JSON, no "errors" array, an entry that is
 * not an object or lacks a string "code", a non-string "message" is VG_E_PARSE naming the
 * entry. *n may be 0 (an empty list). Free with vg_oci_dist_errors_free. */
VG_NODISCARD int vg_oci_dist_errors_parse(struct vg_oci_dist_error **out, size_t *n,
                                          const void *body, size_t len, struct vg_err **err);

/* Emits {"errors":[{"code":..,"detail":..,"message":..}]} (keys sorted, compact, detail's
 * keys sorted too: the same input gives the same bytes) into out. detail must be one JSON value
 * of at most VG_OCI_DIST_DETAIL_BYTES (VG_E_USAGE otherwise); message must be UTF-8.
 * VG_OCI_DIST_OK is VG_E_USAGE; VG_OCI_DIST_ROUTE_UNKNOWN is written as UNSUPPORTED. */
VG_NODISCARD int vg_oci_dist_errors_format(struct vg_buf *out,
                                           const struct vg_oci_dist_error_out *e, size_t n,
                                           struct vg_err **err);

/* ---------------------------------------------------------------- names, tags */

/* The spec's name regex, any length. */
bool vg_oci_dist_name_grammar(struct vg_str name);
/* The grammar and at most VG_OCI_DIST_NAME_MAX characters. */
bool vg_oci_dist_name_valid(struct vg_str name);
bool vg_oci_dist_tag_valid(struct vg_str tag);

/* ---------------------------------------------------------------- routes */

enum vg_oci_dist_route_kind {
    VG_OCI_DIST_R_BASE = 1,     /* /v2/ */
    VG_OCI_DIST_R_CATALOG,      /* /v2/_catalog[?n=&last=] */
    VG_OCI_DIST_R_MANIFEST,     /* /v2/<name>/manifests/<tag|digest> */
    VG_OCI_DIST_R_BLOB,         /* /v2/<name>/blobs/<digest> */
    VG_OCI_DIST_R_UPLOAD_START, /* /v2/<name>/blobs/uploads/[?digest=|?mount=&from=] */
    VG_OCI_DIST_R_UPLOAD,       /* /v2/<name>/blobs/uploads/<session>[?digest=] */
    VG_OCI_DIST_R_TAGS,         /* /v2/<name>/tags/list[?n=&last=] */
    VG_OCI_DIST_R_REFERRERS,    /* /v2/<name>/referrers/<digest>[?artifactType=] */
};

/* A route. Parsing fills it with strings owned by the route (vg_oci_dist_route_dispose);
 * building reads caller-owned strings from it. Fields that do not apply to the kind are
 * NULL / false. */
struct vg_oci_dist_route {
    enum vg_oci_dist_route_kind kind;
    const char *name;        /* every kind but BASE and CATALOG */
    const char *reference;   /* MANIFEST: tag or digest; BLOB, REFERRERS: digest; UPLOAD: session */
    struct vg_digest digest; /* parse: the reference when it is a digest (by_digest) */
    bool by_digest;
    /* query */
    bool has_query_digest; /* UPLOAD_START, UPLOAD: ?digest= */
    struct vg_digest query_digest;
    bool has_mount; /* UPLOAD_START: ?mount=<digest>, with optional &from=<name> */
    struct vg_digest mount;
    const char *from;
    bool has_n; /* TAGS, CATALOG: ?n= (0..VG_OCI_DIST_N_MAX) and ?last= */
    uint64_t n;
    const char *last;
    const char *artifact_type; /* REFERRERS: ?artifactType= */
    const char *query;         /* parse: the raw query (after '?') or NULL, for other parameters */
    char *own_[7];             /* parse: owns the strings above */
};
#define VG_OCI_DIST_N_MAX 0xffffffffu

/* Parses an origin-form request target (path, optional "?query"; no fragment). On success
 * returns VG_OCI_DIST_OK and fills *out. Otherwise returns what a server answers (status from
 * vg_oci_dist_code_status, except that every failure but VG_OCI_DIST_ROUTE_UNKNOWN is 400) and
 * sets *err (VG_E_PARSE, one line naming the part and its offset; input text escaped):
 *   ROUTE_UNKNOWN   not under /v2/, no endpoint with this shape, a fragment, an empty or
 *                   over-long target;
 *   NAME_INVALID    the name (or ?from=, or catalog's ?last=) fails the grammar or is longer
 *                   than VG_OCI_DIST_NAME_MAX, has empty, "." or ".." components;
 *   TAG_INVALID     a manifest reference (or tags' ?last=) without ':' that is not a tag;
 *   DIGEST_INVALID  a reference with ':' or a blob/referrers digest or ?digest= or ?mount=
 *                   that is not a valid sha256/sha512 digest;
 *   BLOB_UPLOAD_INVALID  a session id outside [A-Za-z0-9._~-]{1,256} or "."/"..";
 *   PAGINATION_NUMBER_INVALID  ?n= not digits or over VG_OCI_DIST_N_MAX;
 *   UNSUPPORTED     a malformed query (bad %-escape, control characters after decoding), a
 *                   single-valued parameter given twice, an artifactType that is not a media
 *                   type.
 * Unknown query parameters are ignored (vg_oci_dist_query_get reads them). */
enum vg_oci_dist_code vg_oci_dist_route_parse(struct vg_oci_dist_route *out, const char *target,
                                              size_t len, struct vg_err **err);
void vg_oci_dist_route_dispose(struct vg_oci_dist_route *r);

/* Builds the target ("/v2/...?...") of r, query values percent-encoded. Every part is checked
 * against the same grammar as parsing (VG_E_USAGE naming the part), so a built target always
 * parses back to r. Caller frees *out. */
VG_NODISCARD int vg_oci_dist_route_format(char **out, const struct vg_oci_dist_route *r,
                                          struct vg_err **err);

/* The idx-th (0-based) value of key in a raw query ("a=1&b=2"), percent-decoded ('+' is a
 * space, as in HTML forms and Go's url.ParseQuery). *out is NULL when absent; a malformed
 * escape or a decoded control character is VG_E_PARSE. Caller frees. */
VG_NODISCARD int vg_oci_dist_query_get(char **out, const char *query, const char *key, size_t idx,
                                       struct vg_err **err);
/* Percent-decodes s[0..len) ('+' is a space when plus_space). VG_E_PARSE on a bad escape or a
 * decoded byte below 0x20 or 0x7f. Caller frees. */
VG_NODISCARD int vg_oci_dist_pct_decode(char **out, const char *s, size_t len, bool plus_space,
                                        struct vg_err **err);

/* ---------------------------------------------------------------- verifying stream */

/* Wraps any byte stream with digest and size verification (oci/verify.c): every image
 * source's blob stream, and the server's uploads. It fails as soon as more bytes than the
 * expected size arrive (a lying or endless stream is cut off at size + 1 bytes, never
 * buffered), and at the end checks the exact size and the digest. No I/O of its own; one
 * thread at a time. */
struct vg_oci_verifier;
/* Expected digest and size known from the start (a descriptor). */
struct vg_oci_verifier *vg_oci_verifier_new(const struct vg_digest *want, uint64_t size);
/* Digest named only at the end (an upload's PUT ?digest=): hash with alg; size < 0 when
 * unknown (a Content-Length known up front is the bound). */
struct vg_oci_verifier *vg_oci_verifier_new_alg(enum vg_digest_alg alg, int64_t size);
/* Feeds bytes; VG_E_VERIFY once more than the expected size arrives (code SIZE_INVALID). */
int vg_oci_verifier_update(struct vg_oci_verifier *v, const void *data, size_t n,
                           struct vg_err **err);
/* At end of stream: VG_E_VERIFY if the size or digest differs (message names the digest). */
int vg_oci_verifier_finish(struct vg_oci_verifier *v, struct vg_err **err);
/* The same with the expected digest given now (want may be NULL: the one given at creation,
 * or none: only the size is checked) and the content's digest into *got (may be NULL). A want
 * of another algorithm than the one hashed is a mismatch (DIGEST_INVALID). */
int vg_oci_verifier_finish_as(struct vg_oci_verifier *v, const struct vg_digest *want,
                              struct vg_digest *got, struct vg_err **err);
/* Why the last update/finish failed, as the protocol names it: VG_OCI_DIST_SIZE_INVALID,
 * VG_OCI_DIST_DIGEST_INVALID, or VG_OCI_DIST_OK when nothing failed. */
enum vg_oci_dist_code vg_oci_verifier_code(const struct vg_oci_verifier *v);
uint64_t vg_oci_verifier_seen(const struct vg_oci_verifier *v); /* bytes fed so far */
void vg_oci_verifier_free(struct vg_oci_verifier *v);

#endif
