/* SPDX-License-Identifier: Apache-2.0
 *
 * Part of oci.h (included from it; not included directly): the Distribution API client —
 * manifests and blobs by reference, uploads, tag listing and OCI 1.1 referrers — used by
 * signing and by tests. Owned by registry.c / registry_*.c.
 *
 * Authentication is automatic: every request goes out anonymously first; a 401 challenge is
 * answered with Basic credentials or a Bearer token (fetched from the challenge's realm for the
 * scope "repository:<repo>:pull" or ":pull,push" for writes, cached per scope for the life of
 * the client). Credentials come from opts->creds ("user:pass"), else from the Docker
 * config.json in opts->docker_config, $DOCKER_CONFIG or ~/.docker (its credential helpers,
 * then "auths"; see vg_oci_remote_creds_lookup), read on the first 401 only, so registries that
 * need no credentials never run a helper. A malformed config.json surfaces then.
 *
 * Errors callers may branch on: VG_E_NOTFOUND (manifest, blob or tag absent), VG_E_AUTH
 * (credentials missing or refused), VG_E_NET (unreachable, timeout, unexpected status),
 * VG_E_VERIFY (content does not match its digest), VG_E_UNSUPPORTED (schema1 manifests),
 * VG_E_LIMIT (oversized documents).
 *
 * Thread safety: requests of one client may run on several threads at once (its HTTP client
 * is thread-safe and its authentication state is locked), as the threads reading distinct blobs
 * of one remote image do (oci.h); a blob stream belongs to the thread that opened it. Threads
 * share clients across images through a pool (vg_oci_remote_pool_*), which is safe to use from
 * any thread and keeps one token cache for all its clients.
 */
#ifndef VG_OCI_REGISTRY_H
#define VG_OCI_REGISTRY_H

struct vg_oci_remote_client;

/* A client for ref's registry and repository (its tag/digest are ignored). o may be NULL.
 * With o->pool (and no pull secret) the client comes from that pool, and
 * vg_oci_remote_client_free hands it back. */
struct vg_oci_remote_client *vg_oci_remote_client_new(const struct vg_oci_ref *ref,
                                                      const struct vg_oci_open_opts *o,
                                                      struct vg_err **err);
void vg_oci_remote_client_free(struct vg_oci_remote_client *c);

/* ---------------------------------------------------------------- pool */

/* A pool of clients for servers answering many requests (the admission webhook): clients are
 * handed out per registry and reused (their connections stay open), and all share one Bearer
 * token cache keyed by (registry, scope) with expiry, so N threads pulling from one
 * repository fetch one token, not N: a thread that needs a token the cache lacks fetches it
 * while the others needing the same scope wait for it (no lock is held across I/O).
 * Credentials and TLS options come from the pool's options (copied at creation).
 * Thread safety: every pool function may be called from any thread; a client from
 * vg_oci_remote_pool_get belongs to the calling thread until vg_oci_remote_pool_put. */
#define VG_OCI_REMOTE_POOL_IDLE_MAX   64u  /* idle clients kept per pool */
#define VG_OCI_REMOTE_POOL_TOKENS_MAX 256u /* cached tokens; expired ones go first */
struct vg_oci_remote_pool;
struct vg_oci_remote_pool *vg_oci_remote_pool_new(const struct vg_oci_open_opts *o);
/* Every client must have been put back (or freed) before. */
void vg_oci_remote_pool_free(struct vg_oci_remote_pool *p);
/* A client for ref's registry and repository: an idle one of that registry retargeted to the
 * repository, or a new one. NULL with *err set as vg_oci_remote_client_new. */
struct vg_oci_remote_client *vg_oci_remote_pool_get(struct vg_oci_remote_pool *p,
                                                    const struct vg_oci_ref *ref,
                                                    struct vg_err **err);
/* Hands a client back (kept idle, or freed beyond VG_OCI_REMOTE_POOL_IDLE_MAX). c may be NULL.
 * vg_oci_remote_client_free does the same with a pool's client, and vg_oci_remote_client_new
 * takes one from the pool named in its options (vg_oci_open_opts.pool). */
void vg_oci_remote_pool_put(struct vg_oci_remote_pool *p, struct vg_oci_remote_client *c);
/* Token requests the pool's clients have sent so far (for tests and metrics). */
uint64_t vg_oci_remote_pool_token_fetches(struct vg_oci_remote_pool *p);

/* A manifest exactly as served. */
struct vg_oci_remote_manifest {
    uint8_t *data;
    size_t len;
    char *media_type;        /* Content-Type without parameters */
    struct vg_digest digest; /* of the bytes (sha256, or the algorithm of the digest asked) */
};
void vg_oci_remote_manifest_dispose(struct vg_oci_remote_manifest *m);

/* reference: a tag or a digest. By digest, the bytes must hash to it (VG_E_VERIFY). Accepts
 * OCI manifest/index and Docker schema2 manifest/list; schema1 is VG_E_UNSUPPORTED. */
int vg_oci_remote_manifest_get(struct vg_oci_remote_client *c, const char *reference,
                               struct vg_oci_remote_manifest *out, struct vg_err **err);
/* HEAD: the digest (Docker-Content-Digest) and media type; VG_E_NOTFOUND when absent.
 * media_type may be NULL. */
int vg_oci_remote_manifest_head(struct vg_oci_remote_client *c, const char *reference,
                                struct vg_digest *digest, char **media_type, struct vg_err **err);
/* PUT under a tag or its digest; *out gets the digest of data. */
int vg_oci_remote_manifest_put(struct vg_oci_remote_client *c, const char *reference,
                               const void *data, size_t len, const char *media_type,
                               struct vg_digest *out, struct vg_err **err);

/* DELETE a manifest by tag or digest (push scope). VG_E_NOTFOUND when absent; VG_E_UNSUPPORTED
 * when the registry refuses the method for this reference (HTTP 400, 405, 501: deletion
 * disabled, or tags not deletable: a caller may retry by digest). */
int vg_oci_remote_manifest_delete(struct vg_oci_remote_client *c, const char *reference,
                                  struct vg_err **err);

/* HEAD blob: *exists and (when found and size is not NULL) its size. */
int vg_oci_remote_blob_exists(struct vg_oci_remote_client *c, const struct vg_digest *d,
                              bool *exists, uint64_t *size, struct vg_err **err);
/* Monolithic upload (POST then PUT ?digest=). d may be NULL (computed as sha256). When
 * mount_from names another repository of the same registry, a cross-repository mount is tried
 * first. Already-present blobs are not uploaded again. */
int vg_oci_remote_blob_upload(struct vg_oci_remote_client *c, const struct vg_digest *d,
                              const void *data, size_t len, const char *mount_from,
                              struct vg_err **err);
/* Whole blob into out (bounded by out->max: VG_E_LIMIT), verified against d (VG_E_VERIFY). */
int vg_oci_remote_blob_get(struct vg_oci_remote_client *c, const struct vg_digest *d,
                           struct vg_buf *out, struct vg_err **err);
/* A blob's bytes produced on demand: up to cap bytes into buf, *got = 0 at the end. */
typedef int (*vg_oci_remote_read_fn)(void *ud, void *buf, size_t cap, size_t *got,
                                     struct vg_err **err);
/* Streamed monolithic upload (POST, then a PUT ?digest= whose body read produces) of blob d,
 * checked against d's size and digest on the way. read is never asked for more than d->size
 * bytes; once they arrived, the source must be at its end and the digest right before the last
 * chunk is sent, so a short, long or wrong source aborts the PUT with its body incomplete
 * (VG_E_VERIFY, or read's error) and the upload session is cancelled (DELETE): the registry
 * never commits wrong content. Memory: a few transfer chunks whatever the size. Does not check
 * whether the registry has the blob already. */
int vg_oci_remote_blob_put_stream(struct vg_oci_remote_client *c, const struct vg_oci_desc *d,
                                  vg_oci_remote_read_fn read, void *ud, struct vg_err **err);
/* Streams blob d into fd (written from its current offset) without holding it, checked
 * against d's size and digest on the way: a source sending more than d->size is cut off, and
 * a short or wrong one fails at the end (VG_E_VERIFY). On failure fd holds a partial,
 * unverified prefix: the caller writes to a temporary file and publishes it only on success.
 * Write failures are VG_E_IO. */
int vg_oci_remote_blob_fetch_fd(struct vg_oci_remote_client *c, const struct vg_oci_desc *d, int fd,
                                struct vg_err **err);
/* Copies blob d from src to dst without holding it: a streamed GET feeds a streamed monolithic
 * PUT (?digest=), the bytes checked against d's size and digest on the way; a mismatch, a
 * source sending more than d->size, or a source failure aborts the PUT (VG_E_VERIFY or the
 * source's error) and cancels the session, so dst never commits wrong content. Memory: a few
 * transfer chunks whatever the size. A blob dst already has is not sent. */
int vg_oci_remote_blob_copy(struct vg_oci_remote_client *dst, struct vg_oci_remote_client *src,
                            const struct vg_oci_desc *d, struct vg_err **err);

/* All tags of the repository, following Link pagination (at most VG_OCI_REMOTE_TAGS_MAX).
 * Free with vg_strv_free. */
#define VG_OCI_REMOTE_TAGS_MAX 100000u
int vg_oci_remote_tags_list(struct vg_oci_remote_client *c, char ***tags, size_t *ntags,
                            struct vg_err **err);

/* OCI 1.1 referrers of subject as an image index (raw JSON into out, bounded by out->max).
 * artifact_type (may be NULL) is passed as the filter. When the registry lacks the API (404),
 * falls back to the "sha256-<hex>" tag schema and sets *fallback: out gets that tag's index, or
 * an empty index when the tag does not exist. */
int vg_oci_remote_referrers(struct vg_oci_remote_client *c, const struct vg_digest *subject,
                            const char *artifact_type, struct vg_buf *out, bool *fallback,
                            struct vg_err **err);

/* ---------------------------------------------------------------- several at once */

/* One read of a batch. The caller fills the request fields (and out.max for blobs and
 * referrers); vg_oci_remote_get_many fills the result exactly as the single function would. */
enum vg_oci_remote_get_kind {
    VG_OCI_REMOTE_GET_MANIFEST,  /* vg_oci_remote_manifest_get(reference) -> manifest */
    VG_OCI_REMOTE_GET_BLOB,      /* vg_oci_remote_blob_get(digest) -> out */
    VG_OCI_REMOTE_GET_REFERRERS, /* vg_oci_remote_referrers(digest, artifact_type) -> out, fallback
                                  */
};
struct vg_oci_remote_get {
    enum vg_oci_remote_get_kind kind;
    const char *reference;     /* MANIFEST: a tag or digest */
    struct vg_digest digest;   /* BLOB: the blob; REFERRERS: the subject */
    const char *artifact_type; /* REFERRERS: filter, or NULL */
    int rc;                    /* 0, or negative with err set */
    struct vg_err *err;
    struct vg_oci_remote_manifest manifest;
    struct vg_buf out;
    bool fallback;
};
/* Frees the results (manifest, out's bytes, err); the request fields stay. */
void vg_oci_remote_get_dispose(struct vg_oci_remote_get *g);
/* Runs the reads concurrently over up to VG_HTTP_PARALLEL connections in the calling thread. A
 * referrers read asks the API and the fallback tag at the same time. Anything the fast path does
 * not settle (a 401 challenge, retries, redirects, transport failures) is redone by the single
 * function, so errors and checks are the same as calling them one by one. */
void vg_oci_remote_get_many(struct vg_oci_remote_client *c, struct vg_oci_remote_get *g, size_t n);

/* ---------------------------------------------------------------- vigil's scan API */

/* GET /vigil/v1/scans/<repo>@<digest> of a vigil registry (docs/registry.md "Scan-on-push"),
 * pull scope. *status is "done" with *doc the scan document (`vigil scan --format json`'s);
 * "queued", "failed" or "unknown" when the registry answered SCAN_UNKNOWN (*message says
 * why); "absent" when the registry does not serve the API (another 4xx: not vigil, or no
 * scan section). Errors: VG_E_AUTH/VG_E_NET as other requests, VG_E_NOTFOUND when the
 * digest is not a manifest of the repository, VG_E_PARSE for a 200 that is not JSON. */
int vg_oci_remote_vigil_scan(struct vg_oci_remote_client *c, const struct vg_digest *d,
                             json_t **doc, char **status, char **message, struct vg_err **err);

/* ---------------------------------------------------------------- credentials */

struct vg_oci_remote_creds {
    char *username;       /* NULL when only an identity token is known */
    char *password;       /* wiped on dispose */
    char *identity_token; /* OAuth2 refresh token from `docker login` with a token server */
};
void vg_oci_remote_creds_dispose(struct vg_oci_remote_creds *c);
/* Looks up credentials for registry (as in a reference: "docker.io", "host:5000"):
 * creds_opt "user:pass" when given, else <docker_config_dir or $DOCKER_CONFIG or
 * ~/.docker>/config.json, in docker's order: the credential helper named by
 * credHelpers[registry] (an empty name means "no helper"), else by credsStore, is run as
 * `docker-credential-<name> get` from $PATH (no shell; 64 KiB answer; 30 s deadline, or
 * $VIGIL_CREDENTIAL_HELPER_TIMEOUT_MS, meant for tests); when it has no entry, "auths".
 * *found is false when none apply (not an error). Errors: a malformed config.json or helper
 * name is VG_E_PARSE naming the file; a helper that is missing, fails, crashes or times out is
 * VG_E_AUTH naming the helper and the registry; a malformed answer VG_E_PARSE, an oversized
 * one VG_E_LIMIT. A helper child is always reaped; SIGPIPE is blocked only in the calling
 * thread, only while the server URL is written. */
int vg_oci_remote_creds_lookup(struct vg_oci_remote_creds *out, bool *found, const char *registry,
                               const char *creds_opt, const char *docker_config_dir,
                               struct vg_err **err);
/* `vigil login`: writes {"auth": base64(user:pass)} for registry into "auths" of
 * <docker_config_dir or $DOCKER_CONFIG or ~/.docker>/config.json (created 0600 in a 0700
 * directory; other keys kept; older entries for the same registry replaced; Docker Hub under
 * "https://index.docker.io/v1/" as docker writes it), atomically. *path_out (may be NULL) gets
 * the file. A credential helper configured there is not used (its entry, if any, still wins
 * on reads). VG_E_PARSE for an existing malformed file. */
int vg_oci_remote_creds_store(const char *registry, const char *username, const char *password,
                              const char *docker_config_dir, char **path_out, struct vg_err **err);
/* The "auths" lookup over config.json / .dockerconfigjson bytes ({"auths": {...}}). Never
 * runs credential helpers: the bytes may come from a Kubernetes pull secret. */
int vg_oci_remote_creds_from_json(struct vg_oci_remote_creds *out, bool *found,
                                  const char *registry, const void *json, size_t len,
                                  const char *what, struct vg_err **err);

#endif
