/* SPDX-License-Identifier: Apache-2.0
 *
 * registry notifications: HTTP webhooks (docs/registry.md, "Notifications"), shaped like CNCF
 * Distribution's: each configured endpoint receives POSTs of an envelope
 *
 *     {"events": [{"id", "timestamp", "action", "target": {mediaType, digest, size, repository,
 *                  url, tag}, "request": {id, addr, host, method, useragent}, "actor": {name},
 *                  "source": {addr, instanceID}, ...}]}
 *
 * with Content-Type application/vnd.docker.distribution.events.v1+json. Distribution's actions
 * are `push`, `pull` and `delete` (manifests); vigil adds `scan` (a completed scan-on-push
 * result with findings at or above the endpoint's min-severity: "scan": {minSeverity, summary,
 * findings}), `rescan` (vulnerabilities a rescan found that the previous result lacked:
 * "rescan": {...the same}) and `deny` (a pull a gate refused: "deny": {reason}).
 *
 * Configuration (the `notifications:` key of `vigil registry serve --config`):
 *
 *     notifications:
 *       endpoints:
 *         - name: ci                      # [A-Za-z0-9._-], unique; names the spool directory
 *           url: https://hooks.example/registry
 *           headers: {Authorization: [Bearer xyz]}   # a string or a list of strings
 *           timeout: 5s                   # one delivery attempt
 *           threshold: 5                  # failures in a row before backing off
 *           backoff: 1s                   # first back-off; doubles per failure, up to max-backoff
 *           max-backoff: 5m
 *           events: [push, scan, rescan, deny]   # the default; pull and delete may be added
 *           min-severity: HIGH            # scan/rescan: findings at or above this count
 *           ignore: {mediatypes: [...], actions: [...]}
 *           secret: S                     # X-Vigil-Signature: sha256=HMAC-SHA256(S, body)
 *           ca-file: ca.pem               # TLS trust for https:// URLs (else the system's)
 *           max-queued: 1000              # events waiting; more are dropped (logged)
 *           disabled: false
 *
 * Delivery never blocks a request: an event is handed to the endpoint's bounded in-memory
 * queue; the endpoint's thread writes it to the spool (ROOT/notifications/<name>/<seq>.json,
 * atomically) and POSTs the spooled events oldest first, deleting each once the endpoint
 * answered 2xx. A failure (transport error, timeout, any other status) is logged and retried.
 * Spooled events survive a restart; at shutdown what is still in memory is spooled first.
 *
 * Thread safety: vg_registry_notifier_emit may be called from any thread; each endpoint has
 * one mutex (leaf, never held across I/O) over its queue and counters.
 */
#ifndef VG_REGISTRY_NOTIFY_H
#define VG_REGISTRY_NOTIFY_H

#include "config/config.h"
#include "registry/gate.h"
#include "registry/meta.h"

enum vg_registry_notify_action {
    VG_NOTIFY_PUSH = 1u << 0,
    VG_NOTIFY_PULL = 1u << 1,
    VG_NOTIFY_DELETE = 1u << 2,
    VG_NOTIFY_SCAN = 1u << 3,
    VG_NOTIFY_RESCAN = 1u << 4,
    VG_NOTIFY_DENY = 1u << 5,
};
#define VG_NOTIFY_DEFAULT_ACTIONS                                                                  \
    (VG_NOTIFY_PUSH | VG_NOTIFY_SCAN | VG_NOTIFY_RESCAN | VG_NOTIFY_DENY)
/* "push", "pull", ...; NULL for anything that is not exactly one action bit. */
const char *vg_registry_notify_action_name(unsigned action);

#define VG_REGISTRY_NOTIFY_MEDIA_TYPE "application/vnd.docker.distribution.events.v1+json"
#define VG_REGISTRY_NOTIFY_SIG_HEADER "X-Vigil-Signature"

struct vg_registry_notify_endpoint {
    char *name, *url; /* owned */
    char **headers;   /* "Name: value" lines; owned */
    size_t nheaders;
    uint64_t timeout_ms, backoff_ms, max_backoff_ms;
    unsigned threshold;
    unsigned actions, ignore_actions; /* VG_NOTIFY_* bits */
    char **ignore_mediatypes;         /* owned */
    size_t nignore_mediatypes;
    enum vg_vulndb_severity min_severity; /* VG_SEV_UNKNOWN: every finding counts */
    char *secret;                         /* HMAC key or NULL; owned, wiped on dispose */
    char *ca_file;                        /* owned or NULL */
    size_t max_queued;
    /* quarantine/ keeps at most this many entries and bytes (lstat sizes); the oldest go first */
    size_t quarantine_max_files;
    uint64_t quarantine_max_bytes;
    bool disabled;
};

struct vg_registry_notify_config {
    struct vg_registry_notify_endpoint *endpoints; /* owned */
    size_t n;
};

/* Parses the `notifications` mapping (NULL or null: no endpoints). VG_E_PARSE at
 * FILE:LINE:COL naming the key. */
VG_NODISCARD int vg_registry_notify_config_parse(struct vg_registry_notify_config *out,
                                                 const struct vg_config_node *node,
                                                 struct vg_err **err);
void vg_registry_notify_config_dispose(struct vg_registry_notify_config *c);
/* Deep copy, comparison (every setting) and disposal of one endpoint's settings. */
void vg_registry_notify_endpoint_copy(struct vg_registry_notify_endpoint *dst,
                                      const struct vg_registry_notify_endpoint *src);
bool vg_registry_notify_endpoint_equal(const struct vg_registry_notify_endpoint *a,
                                       const struct vg_registry_notify_endpoint *b);
void vg_registry_notify_endpoint_dispose(struct vg_registry_notify_endpoint *ep);

/* What happened, as the registry saw it (every pointer borrowed; NULL strings are left out). */
struct vg_registry_notify_event {
    unsigned action; /* one VG_NOTIFY_* bit */
    const char *repo, *tag, *media_type;
    const struct vg_digest *digest;
    uint64_t size;
    const char *url; /* target.url */
    /* the request that caused it (push, pull, delete, deny); all NULL for scans */
    const char *req_id, *req_addr, *req_host, *req_method, *req_useragent;
    const char *actor;
    /* scan: every finding of the result; rescan: the new ones */
    const struct vg_registry_gate_finding *findings;
    size_t nfindings;
    const char *reason; /* deny */
};

/* Findings listed in one scan/rescan event (the most severe first); the summary counts all. */
#define VG_REGISTRY_NOTIFY_FINDINGS_MAX 100u

/* Where the events come from ("source") and their identity, shared by every endpoint. */
struct vg_registry_notify_stamp {
    const char *id;          /* unique per event */
    const char *timestamp;   /* RFC 3339 UTC with milliseconds */
    const char *source_addr; /* host:port of this registry */
    const char *instance_id; /* per process */
};

/* The event object for endpoint ep, or NULL when ep does not take it: disabled, the action not
 * in `events` or in ignore.actions, the media type ignored, or (scan, rescan) no finding at or
 * above min-severity. Caller decrefs. */
json_t *vg_registry_notify_event_json(const struct vg_registry_notify_endpoint *ep,
                                      const struct vg_registry_notify_event *ev,
                                      const struct vg_registry_notify_stamp *st);

/* `sha256=<hex of HMAC-SHA256(key, body)>` into out. */
#define VG_REGISTRY_NOTIFY_SIG_LEN (7u + 64u)
void vg_registry_notify_signature(char out[VG_REGISTRY_NOTIFY_SIG_LEN + 1], const char *key,
                                  const void *body, size_t len);

/* ---------------------------------------------------------------- the notifier */

struct vg_registry_notifier;

/* Opens (creating) spool_dir/<endpoint name>/ and its inbox/ for every enabled endpoint and
 * counts what is spooled there (events accepted before a restart). cfg is copied. No thread
 * runs before start. */
VG_NODISCARD int vg_registry_notifier_new(struct vg_registry_notifier **out,
                                          const struct vg_registry_notify_config *cfg,
                                          const char *spool_dir, struct vg_err **err);
/* A notifier that never delivers: what is emitted goes, at vg_registry_notifier_free, to each
 * endpoint's inbox (spool_dir/<name>/inbox/<time>-<pid>-<n>.json, written atomically), where
 * the server's delivery thread for that endpoint takes it into its spool within a second (or
 * at its next start). For processes beside the server: `vigil registry rescan`. */
VG_NODISCARD int vg_registry_notifier_new_producer(struct vg_registry_notifier **out,
                                                   const struct vg_registry_notify_config *cfg,
                                                   const char *spool_dir, struct vg_err **err);
/* Starts one delivery thread per enabled endpoint (a producer's: none). */
VG_NODISCARD int vg_registry_notifier_start(struct vg_registry_notifier *n, struct vg_err **err);

/* What a reconfiguration did, per endpoint. */
struct vg_registry_notify_reload {
    size_t unchanged, changed, added, removed;
};
/* Replaces the endpoints with cfg's (copied), for a configuration reload (SIGHUP). An enabled
 * endpoint whose name is enabled in cfg too is kept — the same delivery thread, queue, spool
 * and counters: nothing is handed over, so nothing can be lost or sent twice. When its other
 * settings differ they are swapped in under its lock and its next attempt uses them (an
 * attempt in flight finishes with the previous ones; the back-off restarts). New endpoints
 * open their spool (sending what an earlier endpoint of that name left there) and start;
 * removed or disabled ones stop, spooling what they hold (this waits for an attempt in flight,
 * at most its timeout). On error (a new spool cannot be opened, a thread cannot start) nothing
 * changed. */
VG_NODISCARD int vg_registry_notifier_reconfigure(struct vg_registry_notifier *n,
                                                  const struct vg_registry_notify_config *cfg,
                                                  struct vg_registry_notify_reload *st,
                                                  struct vg_err **err);
/* Whether some endpoint takes this action at all (cheap; lets callers skip building). */
bool vg_registry_notifier_wants(struct vg_registry_notifier *n, unsigned action);
/* Queues ev for every endpoint that takes it, under one new event id shared by every endpoint
 * (receivers de-duplicate by it: delivery is at least once); never blocks on I/O. A full queue
 * drops the event for that endpoint (logged, counted). source_addr is the events' source.addr
 * (host:port of this registry). NULL n is a no-op. */
void vg_registry_notifier_emit(struct vg_registry_notifier *n,
                               const struct vg_registry_notify_event *ev, const char *source_addr);

struct vg_registry_notify_stats {
    uint64_t sent, failed, dropped, queued; /* queued: in memory and spooled */
};
/* Number of configured endpoints (disabled ones included). */
size_t vg_registry_notifier_count(struct vg_registry_notifier *n);
/* Counters of endpoint i (in configuration order, disabled ones included: all zero). */
void vg_registry_notifier_stats(struct vg_registry_notifier *n, size_t i,
                                struct vg_registry_notify_stats *out);
/* Prometheus text for /metrics (an httpd metrics hook; ud is the notifier). */
void vg_registry_notifier_metrics(struct vg_buf *out, void *ud);
/* "hostname:port" (source.addr of the events) for a registry listening on port. */
char *vg_registry_notify_source_addr(unsigned port);
/* Emits a scan or rescan event (action) for repo@d with findings f[nf] (a rescan: the new ones
 * only), its media type and size read from meta; target.url is scheme://src/v2/... For the
 * server's scan workers and rescans, and for `vigil registry rescan` (a producer notifier). */
void vg_registry_notify_scan_event(struct vg_registry_notifier *n, struct vg_registry_meta *meta,
                                   unsigned action, const char *scheme, const char *src,
                                   const char *repo, const struct vg_digest *d,
                                   const struct vg_registry_gate_finding *f, size_t nf);
/* ---------------------------------------------------------------- spool files */

/* The files the server reads back (spool_dir/<endpoint>/ and its inbox/) may have been shaped
 * by anyone with write access there; notify_spool.c checks them before use and moves what fails
 * to spool_dir/<endpoint>/quarantine/ with one log line, never blocking the good events. */
#define VG_REGISTRY_NOTIFY_EVENT_MAX (4u * 1024u * 1024u) /* one spooled event */
/* A spool file name, "<16 lowercase hex>.json", of a sequence number below 2^63 (*seq). */
bool vg_registry_notify_spool_name(const char *name, uint64_t *seq);
/* An inbox file name, "<16 hex ns>-<8 hex pid>-<8 hex n>.json". */
bool vg_registry_notify_inbox_name(const char *name);
/* The temporary file of an atomic write in progress: a spool or inbox name + ".tmp.<...>". */
bool vg_registry_notify_temp_name(const char *name);
/* One spooled event: a JSON object (duplicate keys, invalid UTF-8 and raw NUL bytes refused) with a
 * non-empty "id" string and an "action" among the registry's, at most
 * VG_REGISTRY_NOTIFY_EVENT_MAX bytes; *out gets its compact serialisation (what an envelope
 * embeds, so the file cannot splice anything else into it). VG_E_PARSE or VG_E_LIMIT saying
 * what is wrong. Caller frees *out. */
VG_NODISCARD int vg_registry_notify_event_check(char **out, const void *data, size_t len,
                                                struct vg_err **err);
/* Reads dir/name and checks it as above: only a regular file with one link is read (a symlink
 * is not followed, a FIFO or device not waited on, a hard link refused), not empty, not over
 * the bound. VG_E_NOTFOUND when it is gone. */
VG_NODISCARD int vg_registry_notify_spool_read(char **out, const char *dir, const char *name,
                                               struct vg_err **err);
/* Moves from_dir/name (the entry itself, never a symlink's target) into ep_dir/quarantine/
 * (created 0700; an inbox file's name gets the prefix "inbox."), or removes it when it cannot
 * be moved, and logs one warning naming the endpoint, the file and why. */
void vg_registry_notify_quarantine(const char *ep_dir, const char *from_dir, const char *name,
                                   const char *endpoint, const char *why);
/* Bounds ep_dir/quarantine/ to max_files entries and max_bytes bytes (each entry's lstat size;
 * a directory counts as its own size): removes entries oldest first (by ctime, which the move
 * into quarantine/ sets; then by name) until both hold, and logs one warning naming the
 * endpoint, how many entries and bytes were removed and the bounds. Nothing to do: no line.
 * Called after a batch of vg_registry_notify_quarantine calls (it reads the whole directory),
 * by the endpoint's delivery thread or while the endpoint is created (before that thread
 * runs); two trims of one directory at once are harmless: an entry already gone counts as
 * removed. */
void vg_registry_notify_quarantine_trim(const char *ep_dir, const char *endpoint, size_t max_files,
                                        uint64_t max_bytes);

/* Spools what is still in memory (a producer: into the inboxes), stops the threads (an
 * attempt in flight ends within its timeout). NULL is a no-op. */
void vg_registry_notifier_free(struct vg_registry_notifier *n);

#endif
