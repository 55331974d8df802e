/* SPDX-License-Identifier: Apache-2.0
 *
 * tuf: a client of The Update Framework (theupdateframework.io specification 1.0, "Detailed
 * client workflow" §5) shared by Docker Content Trust (Notary v1 repositories) and Sigstore's
 * trust-root distribution. It owns canonical JSON, the four top-level roles and delegated
 * targets roles, signature thresholds, the update workflow (root rotation chain, timestamp →
 * snapshot → targets with version, length and hash checks, expiry, rollback and fast-forward
 * protection, consistent snapshots), the local trusted-metadata cache (atomic writes), and the
 * Notary v1 repository layout on top (notary.c: GUNs, `~/.docker/trust`, trust on first use).
 *
 * Two dialects share one engine: the specification's (hex signatures and hashes, "*.json"
 * names in snapshot/timestamp meta, versioned root files "N.root.json", glob `paths`) and
 * Notary v1's (base64 signatures and hashes, bare role names in meta, x509 key types, prefix
 * `paths`, only the newest root served as "root.json").
 *
 * What it does NOT do: fetch over the network by itself (metadata and target files come
 * through a narrow `struct vg_tuf_fetcher`; vg_tuf_fetcher_http is the libcurl-backed one).
 *
 * Error codes callers may branch on: VG_E_VERIFY (signature threshold, hash, length, version,
 * rollback, expiry: the repository is not trusted), VG_E_NOTFOUND (no such target / metadata),
 * VG_E_PARSE (malformed metadata), VG_E_LIMIT (a bound below), VG_E_NET / VG_E_AUTH (fetch),
 * VG_E_IO (the cache), VG_E_UNSUPPORTED (a role name that cannot be a file name).
 * Thread safety: a client belongs to one thread at a time.
 */
#ifndef VG_TUF_H
#define VG_TUF_H

#include "core/core.h"

/* Bounds (this module's own). Sizes are the most bytes fetched for a file whose length no
 * trusted metadata states; a stated length is still capped by them. */
#define VG_TUF_ROOT_MAX_BYTES      (512u * 1024u)
#define VG_TUF_TIMESTAMP_MAX_BYTES (64u * 1024u)
#define VG_TUF_SNAPSHOT_MAX_BYTES  (8u * 1024u * 1024u)
#define VG_TUF_TARGETS_MAX_BYTES   (32u * 1024u * 1024u)
#define VG_TUF_MAX_KEYS            1024u    /* keys in one metadata file */
#define VG_TUF_MAX_SIGNATURES      1024u    /* signatures on one metadata file */
#define VG_TUF_MAX_KEYIDS          1024u    /* key ids of one role */
#define VG_TUF_MAX_DELEGATIONS     1024u    /* roles delegated by one targets file */
#define VG_TUF_MAX_PATHS           1024u    /* paths or hash prefixes of one delegation */
#define VG_TUF_MAX_META            100000u  /* entries of a snapshot's meta */
#define VG_TUF_MAX_TARGETS         1000000u /* targets of one targets file */
#define VG_TUF_MAX_ROLES_VISITED   32u      /* delegated roles searched per target (spec §5.6.7) */
#define VG_TUF_MAX_ROOT_ROTATIONS  1024u    /* root versions walked in one update (spec §5.3.3) */
#define VG_TUF_ROLE_NAME_MAX       255u
#define VG_TUF_JSON_DEPTH_MAX      64u

enum vg_tuf_dialect {
    VG_TUF_DIALECT_SPEC = 0,
    VG_TUF_DIALECT_NOTARY,
};

enum vg_tuf_type {
    VG_TUF_ROOT = 1,
    VG_TUF_TIMESTAMP,
    VG_TUF_SNAPSHOT,
    VG_TUF_TARGETS,
};

/* ---------------------------------------------------------------- canonical JSON */

/* Canonical JSON (OLPC, as securesystemslib and docker/go/canonical emit it): object keys
 * sorted by their UTF-8 bytes, no whitespace, integers only (a real is VG_E_PARSE), strings
 * escaping only '"' and '\\'. Appends to out. Deeper than VG_TUF_JSON_DEPTH_MAX: VG_E_LIMIT. */
VG_NODISCARD int vg_tuf_cjson_encode(struct vg_buf *out, json_t *j, struct vg_err **err);

/* ---------------------------------------------------------------- metadata */

struct vg_crypto_key;

struct vg_tuf_key {
    char *keyid;   /* owned */
    char *keytype; /* owned: "ed25519", "ecdsa", "rsa", "ecdsa-x509", ... */
    char *scheme;  /* owned: the spec's scheme, or Notary's implied one; NULL if unknown */
    struct vg_crypto_key *key; /* owned; NULL for a key type this client cannot use */
    /* Notary "-x509" keys: the certificate's subject CN (owned; NULL when it has none) and
     * validity period (unix seconds) */
    bool is_cert;
    char *cert_cn;
    int64_t cert_not_before, cert_not_after;
};

struct vg_tuf_role {
    char *name;    /* owned: "root", "targets", "targets/releases", ... */
    char **keyids; /* owned */
    size_t nkeyids;
    uint64_t threshold; /* >= 1 */
    /* delegations only */
    char **paths; /* owned; NULL with npaths 0 when absent */
    size_t npaths;
    char **hash_prefixes; /* owned; lowercase hex */
    size_t nhash_prefixes;
    bool terminating;
};

struct vg_tuf_hashes {
    bool has_sha256, has_sha512;
    uint8_t sha256[32];
    uint8_t sha512[64];
};

/* An entry of timestamp or snapshot meta: the metadata file it names. */
struct vg_tuf_metafile {
    char *name; /* owned: role name without ".json" (both dialects) */
    uint64_t version;
    bool has_version;
    uint64_t length;
    bool has_length;
    struct vg_tuf_hashes hashes;
};

struct vg_tuf_target {
    char *name; /* owned */
    uint64_t length;
    struct vg_tuf_hashes hashes;
};

struct vg_tuf_sig {
    char *keyid;  /* owned */
    uint8_t *sig; /* owned */
    size_t siglen;
};

struct vg_tuf_meta {
    enum vg_tuf_type type;
    enum vg_tuf_dialect dialect;
    uint64_t version;
    int64_t expires; /* unix seconds */
    struct vg_tuf_sig *sigs;
    size_t nsigs;
    uint8_t *signed_bytes; /* owned: canonical JSON of "signed", what the signatures cover */
    size_t signed_len;
    struct vg_tuf_key *keys; /* root: all keys; targets: delegation keys */
    size_t nkeys;
    /* root */
    struct vg_tuf_role roles[4]; /* root, timestamp, snapshot, targets (vg_tuf_type - 1) */
    bool consistent_snapshot;
    /* timestamp and snapshot */
    struct vg_tuf_metafile *meta;
    size_t nmeta;
    /* targets */
    struct vg_tuf_target *targets;
    size_t ntargets;
    struct vg_tuf_role *delegations;
    size_t ndelegations;
};

/* Parses a signed metadata file of the expected type (its `_type`, case-insensitively for
 * Notary's "Root"/"Targets"...). Every field used later is checked here: version >= 1,
 * expires as RFC 3339, thresholds >= 1, key ids and hashes well-formed, bounds above. Keys of
 * an unknown type are kept with key NULL (they can never count toward a threshold). No
 * signature is checked. */
VG_NODISCARD int vg_tuf_meta_parse(struct vg_tuf_meta **out, enum vg_tuf_dialect dialect,
                                   enum vg_tuf_type expect, const void *data, size_t len,
                                   struct vg_err **err);
void vg_tuf_meta_free(struct vg_tuf_meta *m);

/* Checks that at least role->threshold DISTINCT keys of role (looked up in keys) made valid
 * signatures over m->signed_bytes. A key id listed twice, a signature repeated, or the same
 * public key under two key ids counts once. VG_E_VERIFY "<what>: N of M required signatures". */
VG_NODISCARD int vg_tuf_meta_verify(const struct vg_tuf_meta *m, const char *what,
                                    const struct vg_tuf_key *keys, size_t nkeys,
                                    const struct vg_tuf_role *role, struct vg_err **err);

const struct vg_tuf_metafile *vg_tuf_meta_find(const struct vg_tuf_meta *m, const char *name);
const struct vg_tuf_target *vg_tuf_meta_target(const struct vg_tuf_meta *m, const char *name);

/* Verifies a verified target entry against bytes the caller holds: length, then every hash
 * the entry has (at least one is required). VG_E_VERIFY. */
VG_NODISCARD int vg_tuf_target_check(const struct vg_tuf_target *t, const void *data, size_t len,
                                     struct vg_err **err);

/* ---------------------------------------------------------------- client */

/* Fetches the repository file `name` (a relative path such as "timestamp.json",
 * "3.root.json", "targets/releases.json") into out, which the caller initialised with the
 * most bytes it accepts (more is VG_E_LIMIT). An absent file is VG_E_NOTFOUND. */
typedef int (*vg_tuf_fetch_fn)(void *payload, const char *name, struct vg_buf *out,
                               struct vg_err **err);
struct vg_tuf_fetcher {
    vg_tuf_fetch_fn fetch;
    void *payload;
};

struct vg_tuf_client_opts {
    enum vg_tuf_dialect dialect;
    /* The trusted-metadata directory (created 0700 if absent). Its root.json is the trust
     * anchor; verified metadata is written back atomically. Required. */
    const char *cache_dir;
    /* An out-of-band root used when cache_dir holds none (it must be signed by its own root
     * threshold); NULL: see tofu. */
    const void *bootstrap_root;
    size_t bootstrap_root_len;
    /* With no cached and no bootstrap root, accept the repository's current root after it
     * verifies against itself (Notary/docker's trust on first use). Otherwise VG_E_NOTFOUND. */
    bool tofu;
    int64_t now; /* unix seconds for expiry checks; 0: the clock */
    struct vg_tuf_fetcher fetcher;
};
#define VG_TUF_CLIENT_OPTS_INIT                                                                    \
    {                                                                                              \
        0                                                                                          \
    }

struct vg_tuf_client;

/* Copies opts (strings included). No I/O. */
VG_NODISCARD int vg_tuf_client_new(struct vg_tuf_client **out, const struct vg_tuf_client_opts *o,
                                   struct vg_err **err);
void vg_tuf_client_free(struct vg_tuf_client *c);

/* The whole top-level update (spec §5.2–§5.6): trusted root, root rotation, timestamp,
 * snapshot, targets. On success every top-level role is verified, unexpired and cached. */
VG_NODISCARD int vg_tuf_client_update(struct vg_tuf_client *c, struct vg_err **err);

/* Searches the target (spec §5.6.7: targets, then delegations in order, pre-order, paths and
 * hash prefixes, terminating), loading and verifying delegated roles on the way. *out and
 * *role (the role that listed it, may be NULL) stay valid while the client lives.
 * VG_E_NOTFOUND when no trusted role lists it. Requires a successful update. */
VG_NODISCARD int vg_tuf_client_target(struct vg_tuf_client *c, const char *name,
                                      const struct vg_tuf_target **out, const char **role,
                                      struct vg_err **err);

/* Downloads a target file found by vg_tuf_client_target (spec §5.7): "targets/<name>", or
 * "targets/[<dir>/]<sha256 hex>.<base>" with consistent snapshots, read up to its signed
 * length (a t->length over max is VG_E_LIMIT) and checked against its length and hashes
 * (VG_E_VERIFY). *out receives the bytes (dispose with vg_buf_dispose). Names with empty,
 * "." or ".." components are VG_E_UNSUPPORTED. */
VG_NODISCARD int vg_tuf_client_download_target(struct vg_tuf_client *c,
                                               const struct vg_tuf_target *t, size_t max,
                                               struct vg_buf *out, struct vg_err **err);

/* Verified metadata by role name ("root", "timestamp", "snapshot", "targets", or a delegated
 * role loaded so far), or NULL. Valid while the client lives. */
const struct vg_tuf_meta *vg_tuf_client_meta(const struct vg_tuf_client *c, const char *role);

/* Loads every delegated role reachable from targets (at most VG_TUF_MAX_ROLES_VISITED; an
 * unlisted or absent role is skipped), for listings such as `trust inspect`. */
VG_NODISCARD int vg_tuf_client_load_delegations(struct vg_tuf_client *c, struct vg_err **err);

/* Calls fn for every role loaded so far in load order (targets first). */
typedef void (*vg_tuf_role_fn)(void *payload, const char *role, const struct vg_tuf_meta *m);
void vg_tuf_client_each_targets(const struct vg_tuf_client *c, vg_tuf_role_fn fn, void *payload);

/* ---------------------------------------------------------------- HTTP fetcher */

struct vg_http_client;
/* A fetcher reading base_url + "/" + name through http (borrowed; must outlive the fetcher's
 * use). base_url is copied; free the payload with vg_tuf_fetcher_http_free. */
VG_NODISCARD int vg_tuf_fetcher_http(struct vg_tuf_fetcher *out, struct vg_http_client *http,
                                     const char *base_url, struct vg_err **err);
void vg_tuf_fetcher_http_free(struct vg_tuf_fetcher *f);

/* ---------------------------------------------------------------- token authentication
 * (auth.c) A notary server configured with `auth: {type: token}` answers 401 with
 * `WWW-Authenticate: Bearer realm=...,service=...,scope=...`, as Docker Hub's does: the token
 * comes from the realm (Docker token flow, GET with Basic credentials or anonymous; with an
 * identity token, the OAuth2 refresh_token grant, POST) and the request is repeated once with
 * it. */

#define VG_TUF_AUTH_SCOPE_MAX 1024u /* a challenge's scope (or the one made from the GUN) */

/* From the WWW-Authenticate values of a 401, the URL that asks the realm for a token:
 * realm + "?service=...&scope=..." (scope: the challenge's, else default_scope). A Basic
 * challenge alone sets *basic and *url NULL. A realm that is not http(s), a scope or service
 * too long or with control characters, no usable challenge: VG_E_AUTH / VG_E_PARSE /
 * VG_E_LIMIT naming what. *plain_realm says the realm is http:// (credentials never go there). */
VG_NODISCARD int vg_tuf_auth_token_url(char **url, bool *basic, bool *plain_realm,
                                       const char *const *values, size_t n,
                                       const char *default_scope, struct vg_err **err);

/* ---------------------------------------------------------------- Sigstore (sigstore.c) */

#define VG_TUF_SIGSTORE_MIRROR     "https://tuf-repo-cdn.sigstore.dev"
#define VG_TUF_SIGSTORE_TARGET     "trusted_root.json"
#define VG_TUF_SIGSTORE_TARGET_MAX (1024u * 1024u) /* a target's bytes */

struct vg_tuf_sigstore_opts {
    const char *mirror; /* base URL of the TUF repository (required) */
    const void *root;   /* initial root.json (used when the cache has no root yet) */
    size_t root_len;
    const char *cache_dir; /* NULL: vg_tuf_sigstore_cache_dir(mirror) */
    const char *target;    /* NULL: "trusted_root.json"; [A-Za-z0-9._-] only */
    bool offline;          /* never fetch: the verified cache only */
    const char *ca_file;   /* extra CA bundle for an https mirror, or NULL */
    uint64_t deadline_ns;  /* vg_now_ns() deadline of the whole fetch; 0: none */
    long connect_timeout_s;
    int max_retries; /* as vg_http_client_opts */
    int64_t now;     /* unix seconds for expiry; 0: the clock */
};
/* <vg_cache_dir()>/tuf/<first 16 hex digits of SHA-256(mirror)> (caller frees). */
char *vg_tuf_sigstore_cache_dir(const char *mirror);
/* The verified bytes of the target (trusted_root.json): a full TUF update from the mirror
 * (metadata cached under <dir>/metadata, the target under <dir>/targets), or, when the mirror
 * is unreachable (VG_E_NET) or offline is set, the same update against the cache alone
 * (*from_cache true). Errors as vg_tuf_client_update; no root at all is VG_E_NOTFOUND. */
VG_NODISCARD int vg_tuf_sigstore_fetch(struct vg_buf *out, const struct vg_tuf_sigstore_opts *o,
                                       bool *from_cache, struct vg_err **err);

/* ---------------------------------------------------------------- Notary v1 / DCT */

/* $DOCKER_CONFIG/trust, else ~/.docker/trust (caller frees). */
char *vg_tuf_notary_trust_dir(void);

struct vg_tuf_notary_opts {
    const char *server;    /* "https://notary.example.com:4443" (required) */
    const char *gun;       /* "docker.io/library/nginx" (required) */
    const char *trust_dir; /* NULL: vg_tuf_notary_trust_dir() */
    const char *ca_file;   /* extra CA bundle for the server, or NULL */
    bool insecure;         /* skip TLS verification (tests only) */
    uint64_t deadline_ns;  /* vg_now_ns() deadline for every request; 0: none */
    int64_t now;           /* unix seconds for expiry; 0: the clock */
    /* Credentials for a server behind authentication (Docker Hub's notary answers 401 with a
     * Bearer challenge): called at most once, on the first 401, to get the registry's
     * username and password (*user NULL: none) and identity token (`identitytoken` of
     * config.json, an OAuth2 refresh token; *identity_token NULL: none). An identity token is
     * preferred: the token comes from the realm's OAuth2 refresh_token grant (POST); else
     * Basic credentials or anonymously (GET). NULL: anonymous. The strings are the caller's
     * allocations, wiped and freed by tuf. */
    int (*creds)(void *payload, char **user, char **password, char **identity_token,
                 struct vg_err **err);
    void *creds_payload;
    bool plain_http_realm; /* credentials may go to an http:// token realm (--plain-http) */
};
struct vg_tuf_notary;
/* Fetches and verifies the GUN's metadata (root pinned on first use under
 * <trust_dir>/tuf/<gun>/metadata, docker's layout). A repository without trust data is
 * VG_E_NOTFOUND; everything else as vg_tuf_client_update. */
VG_NODISCARD int vg_tuf_notary_open(struct vg_tuf_notary **out, const struct vg_tuf_notary_opts *o,
                                    struct vg_err **err);
void vg_tuf_notary_free(struct vg_tuf_notary *n);
struct vg_tuf_client *vg_tuf_notary_client(const struct vg_tuf_notary *n);
/* The signed target of a tag, docker's way: "targets/releases" first, then the TUF search
 * from "targets". *role names the role that signed it. VG_E_NOTFOUND when unsigned. */
VG_NODISCARD int vg_tuf_notary_tag(struct vg_tuf_notary *n, const char *tag,
                                   const struct vg_tuf_target **out, const char **role,
                                   struct vg_err **err);

/* ---------------------------------------------------------------- trust directory keys
 * (keystore.c) docker's and notary's private key files: <trust dir>/private/<key id>.key, PEM
 * `ENCRYPTED PRIVATE KEY` (PKCS#8, PBES2) with `role` and `gun` headers. Reading and listing
 * also find the layouts of docker < 1.11 / notary < 0.3 (keystore_legacy.c):
 * private/root_keys/<id>.key, private/tuf_keys/<gun>/<id>.key, private/tuf_keys/<id>.key and
 * `<id>_<role>.key` names, role and GUN taken from the place when the headers lack them. */

#define VG_TUF_KEYFILE_MAX_BYTES   (64u * 1024u) /* one key file */
#define VG_TUF_KEYFILE_MAX_HEADERS 16u           /* PEM headers of one key file */
#define VG_TUF_KEYFILE_LINE_MAX    1024u         /* one line of a key file */
#define VG_TUF_KEYSTORE_MAX_KEYS   10000u        /* key files scanned in private/ */

struct vg_secret;

/* A passphrase source for a key of `role` (the file's role header, "" when absent) and id
 * keyid; create says a new key is being encrypted. Stores a fresh secret in *out. */
typedef int (*vg_tuf_pass_fn)(struct vg_secret **out, const char *role, const char *keyid,
                              bool create, void *payload, struct vg_err **err);
struct vg_tuf_pass {
    vg_tuf_pass_fn fn;
    void *payload;
};

struct vg_tuf_keyfile {
    bool encrypted;        /* ENCRYPTED PRIVATE KEY (or legacy Proc-Type: 4,ENCRYPTED) */
    bool legacy;           /* EC PRIVATE KEY / RSA PRIVATE KEY (older docker and notary) */
    char *dek_info;        /* owned: legacy encryption's "CIPHER,IV"; NULL when plain */
    char *role;            /* owned; NULL when the file has no role header */
    char *gun;             /* owned; NULL when absent */
    struct vg_secret *der; /* owned: the block's DER (checked PBES2 parameters when encrypted) */
};
/* Parses one key file (hostile input; no passphrase needed): PKCS#8 (`ENCRYPTED PRIVATE KEY`,
 * `PRIVATE KEY`) as docker and notary write them, or the legacy `EC PRIVATE KEY` / `RSA
 * PRIVATE KEY` blocks of older versions, plain or with RFC 1421 `Proc-Type: 4,ENCRYPTED` and
 * `DEK-Info` headers (vg_crypto_pem_legacy_key). VG_E_PARSE, VG_E_LIMIT, VG_E_UNSUPPORTED
 * (another PEM type, another PKCS#8 scheme). */
VG_NODISCARD int vg_tuf_keyfile_parse(struct vg_tuf_keyfile *out, const void *data, size_t len,
                                      struct vg_err **err);
void vg_tuf_keyfile_dispose(struct vg_tuf_keyfile *k);
/* The private key of a parsed file, asking pass (only when encrypted). Wrong passphrase:
 * VG_E_AUTH. */
VG_NODISCARD int vg_tuf_keyfile_key(struct vg_crypto_key **out, const struct vg_tuf_keyfile *k,
                                    const char *keyid, const struct vg_tuf_pass *pass,
                                    struct vg_err **err);
/* A key file for key: encrypted with password, headers gun (when non-NULL) and role. */
VG_NODISCARD int vg_tuf_keyfile_format(char **pem, size_t *pemlen, const struct vg_crypto_key *key,
                                       const char *role, const char *gun,
                                       const struct vg_secret *password, struct vg_err **err);

/* {"keytype": keytype, "keyval": {"private": null, "public": public_b64}} (new reference). */
json_t *vg_tuf_key_json(const char *keytype, const char *public_b64);
/* Notary's key id: lowercase hex SHA-256 of that object's canonical JSON. */
VG_NODISCARD int vg_tuf_key_id_of(char out[65], const char *keytype, const char *public_b64,
                                  struct vg_err **err);
/* The Notary key type ("ecdsa", "rsa", "ed25519") and base64 public value of key (DER SPKI;
 * raw 32 bytes for Ed25519). Caller frees both. */
VG_NODISCARD int vg_tuf_key_public(char **keytype, char **public_b64,
                                   const struct vg_crypto_key *key, struct vg_err **err);
VG_NODISCARD int vg_tuf_key_id(char out[65], const struct vg_crypto_key *key, struct vg_err **err);

/* Writes <trust_dir>/private/<id>.key (directories 0700, the file 0600, never replacing one;
 * an existing key is VG_E_USAGE) and returns the id in keyid (may be NULL). */
VG_NODISCARD int vg_tuf_keystore_put(char keyid[65], const char *trust_dir,
                                     const struct vg_crypto_key *key, const char *role,
                                     const char *gun, const struct vg_secret *password,
                                     struct vg_err **err);
/* Reads and parses <trust_dir>/private/<keyid>.key. Absent: VG_E_NOTFOUND. */
VG_NODISCARD int vg_tuf_keystore_read(struct vg_tuf_keyfile *out, const char *trust_dir,
                                      const char *keyid, struct vg_err **err);
/* Whether the trust directory holds the key: private/<keyid>.key exists, or a readable file
 * of an old layout (below) has that id. */
bool vg_tuf_keystore_has(const char *trust_dir, const char *keyid);
/* vg_tuf_keystore_read, then vg_tuf_keyfile_key. */
VG_NODISCARD int vg_tuf_keystore_get(struct vg_crypto_key **out, const char *trust_dir,
                                     const char *keyid, const struct vg_tuf_pass *pass,
                                     struct vg_err **err);
/* Ids (sorted) of the keys whose role header is role and, when gun is non-NULL, whose gun
 * header is gun. Unreadable files are skipped. *ids is a string vector (vg_strv_free). */
VG_NODISCARD int vg_tuf_keystore_list(char ***ids, size_t *n, const char *trust_dir,
                                      const char *role, const char *gun, struct vg_err **err);

/* ---------------------------------------------------------------- publishing (publish.c) */

/* An editable Notary v1 repository: its verified metadata (vg_tuf_notary_open: pinned root,
 * full update) as JSON, changed by the calls below and published with vg_tuf_repo_publish
 * (one multipart POST of the re-signed roles to <server>/v2/<gun>/_trust/tuf/). Keys come
 * from the trust directory's private/ (pass asks for passphrases). */
struct vg_tuf_repo;
/* A repository without trust data on the server opens too (vg_tuf_repo_exists is false). */
VG_NODISCARD int vg_tuf_repo_open(struct vg_tuf_repo **out, const struct vg_tuf_notary_opts *o,
                                  const struct vg_tuf_pass *pass, struct vg_err **err);
void vg_tuf_repo_free(struct vg_tuf_repo *r);
bool vg_tuf_repo_exists(const struct vg_tuf_repo *r);
/* Creates the repository's metadata if it has none: root key (the trust directory's first
 * root key, else a new one) behind a self-signed certificate CN=<gun>, a new targets key, the
 * server's timestamp and snapshot keys. Published by vg_tuf_repo_publish. */
VG_NODISCARD int vg_tuf_repo_init(struct vg_tuf_repo *r, struct vg_err **err);
/* A new ECDSA P-256 key stored in the trust directory with headers role (and gun), encrypted
 * with the passphrase pass gives for it (create = true). */
VG_NODISCARD int vg_tuf_repo_new_key(struct vg_crypto_key **out, char keyid[65],
                                     struct vg_tuf_repo *r, const char *role, const char *gun,
                                     struct vg_err **err);
/* Adds keys (Notary key types and base64 public values) to the delegation `role` (e.g.
 * "targets/alice"), creating it with threshold 1 and paths [""] (docker's signer add). */
VG_NODISCARD int vg_tuf_repo_delegation_add(struct vg_tuf_repo *r, const char *role,
                                            const char *const *keytypes, const char *const *publics,
                                            size_t nkeys, struct vg_err **err);
/* Removes the delegation; *keyids (may be NULL) receives its key ids. VG_E_NOTFOUND. */
VG_NODISCARD int vg_tuf_repo_delegation_remove(struct vg_tuf_repo *r, const char *role,
                                               char ***keyids, size_t *nkeyids,
                                               struct vg_err **err);
/* Removes keyids from the delegation's keys; *left: how many it keeps. VG_E_NOTFOUND. */
VG_NODISCARD int vg_tuf_repo_delegation_remove_keys(struct vg_tuf_repo *r, const char *role,
                                                    char *const *keyids, size_t nkeyids,
                                                    size_t *left, struct vg_err **err);
typedef void (*vg_tuf_repo_role_fn)(void *payload, const char *role, const char *const *keyids,
                                    size_t nkeyids);
/* Calls fn for every delegation of targets. */
void vg_tuf_repo_each_delegation(struct vg_tuf_repo *r, vg_tuf_repo_role_fn fn, void *payload);
/* docker's signable roles for target (NULL: any): "targets" when there are no delegations,
 * else every direct child of targets whose paths allow it and one of whose keys the trust
 * directory holds (none: VG_E_NOTFOUND). A string vector (vg_strv_free). */
VG_NODISCARD int vg_tuf_repo_signable_roles(char ***roles, size_t *n, struct vg_tuf_repo *r,
                                            const char *target, struct vg_err **err);
/* Sets target name (length, SHA-256) in role, creating the role's metadata if needed. */
VG_NODISCARD int vg_tuf_repo_target_add(struct vg_tuf_repo *r, const char *role, const char *name,
                                        const uint8_t sha256[32], uint64_t length,
                                        struct vg_err **err);
/* Removes target name (NULL: every target) from role; returns how many were removed. */
size_t vg_tuf_repo_target_remove(struct vg_tuf_repo *r, const char *role, const char *name);
/* Signs every changed role (and the snapshot when its key is in the trust directory), POSTs
 * them, and pins a new repository's root in the cache. A server refusal is VG_E_VERIFY (HTTP
 * 400, notary's message and detail), VG_E_AUTH (401/403) or VG_E_NET; a missing signing key
 * VG_E_NOTFOUND; a wrong passphrase VG_E_AUTH. */
VG_NODISCARD int vg_tuf_repo_publish(struct vg_tuf_repo *r, struct vg_err **err);

/* ---------------------------------------------------------------- helpers */

/* RFC 3339 ("2030-01-01T00:00:00Z", fractional seconds and numeric offsets accepted). */
VG_NODISCARD int vg_tuf_time_parse(const char *s, int64_t *out, struct vg_err **err);

#endif
