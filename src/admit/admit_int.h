/* SPDX-License-Identifier: Apache-2.0
 *
 * admit internals shared by webhook.c, cache.c and pool.c. Nothing here leaves the module.
 */
#ifndef VG_ADMIT_INT_H
#define VG_ADMIT_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "admit.h"

struct vg_oci_remote_pool;

/* ---------------------------------------------------------------- cache.c */

/* The decision cache: facts of digest-pinned images by key (question, policy generation,
 * image, key...), each kept for the TTL, or for the failure TTL when the fact is "unknown" (a
 * registry that could not be asked: remembered briefly so that a storm of reviews does not
 * hammer a registry that is down; the next answer after it expires replaces it); at most
 * VG_ADMIT_CACHE_MAX entries (when full, the expired go, then the oldest half). Lookups are
 * hashed; entries also sit on a list in store order, so expired entries leave from its head
 * (a failure stored after a success may outlive its TTL there until evicted, never answered:
 * every lookup checks its entry's expiry). Thread-safe (its own leaf lock). */
#define VG_ADMIT_CACHE_MAX 4096u

struct vg_admit_cache_val {
    enum vg_policy_fact fact;
    char *why; /* owned by whoever holds the value */
    struct vg_policy_vulns vulns;
    char *user;
};

struct vg_admit_cache_entry;
struct vg_admit_cache {
    pthread_mutex_t mu;
    uint64_t ttl_ns, fail_ttl_ns;
    struct vg_admit_cache_entry **buckets; /* VG_ADMIT_CACHE_BUCKETS chains */
    struct vg_admit_cache_entry *oldest, *newest;
    size_t n;
    atomic_uint_fast64_t hits, misses;
};

void vg_admit_cache_init(struct vg_admit_cache *c, unsigned ttl_s, unsigned fail_ttl_s);
void vg_admit_cache_dispose(struct vg_admit_cache *c);
/* A live entry's value copied into *out (its strings duplicated); counts a hit or a miss. */
bool vg_admit_cache_get(struct vg_admit_cache *c, const char *key, struct vg_admit_cache_val *out);
/* Stores a copy of *val under key (taken, freed by the cache), replacing the key's entry; a
 * TTL of 0 for its kind (success or "unknown") stores nothing. */
void vg_admit_cache_put(struct vg_admit_cache *c, char *key, const struct vg_admit_cache_val *val);
size_t vg_admit_cache_size(struct vg_admit_cache *c);

/* Keys (caller frees; NULL over VG_ADMIT_CACHE_KEY_MAX bytes: not cached), the parts each on a
 * line: "QUESTION\nGENERATION\nIMAGE" ("vulns", "user"), and "verify\nGENERATION\nIMAGE\nKEY_PEM"
 * followed by "\nKEY=VALUE" for each required annotation. */
#define VG_ADMIT_CACHE_KEY_MAX (1u << 20)
char *vg_admit_cache_key(uint64_t gen, const char *question, const char *image);
char *vg_admit_cache_key_verify(uint64_t gen, const char *image, const char *key_pem,
                                const struct vg_policy_kv *ann, size_t nann);

/* ---------------------------------------------------------------- cached.c */

struct vg_admit_asked {
    char *image;
    bool missed;
};
struct vg_admit_askedv {
    struct vg_admit_asked *v;
    size_t n, cap;
};
/* Whether a speculative pass settled image: asked about it, and every answer came from the
 * cache (the pass's images as the policy named them; an image not asked is not settled). */
bool vg_admit_asked_settled(const struct vg_admit_askedv *a, const char *image);
void vg_admit_asked_dispose(struct vg_admit_askedv *a);

/* A tag resolved during one review: image -> "IMAGE@DIGEST", or why it could not be. */
struct vg_admit_resolved {
    char *image, *pinned, *why;
};

/* The facts behind the decision cache. A speculative evaluation (on the request thread) has no
 * facts: the first question the cache cannot answer marks it missed, and it is redone on a pool
 * thread with the facts; its hits count only when it stands.
 *
 * Images named by tag: with a resolver (pool or own set, not speculating), the tag is resolved
 * to its digest once per review (a HEAD; never remembered beyond the review: tags move) and the
 * image's facts are asked and cached as "IMAGE@DIGEST", the image /mutate pins. A tag that
 * cannot be resolved makes its facts "unknown" (not cached). Speculating, a tag is a miss (the
 * request thread does no I/O). Without a resolver tags go to the facts uncached. One object per
 * evaluation (one thread); vg_admit_cached_dispose frees what it resolved. */
struct vg_admit_cached_facts {
    struct vg_admit_cache *cache;
    atomic_uint_fast64_t *misses; /* counted here; hits are counted by the caller (hits) */
    uint64_t gen;                 /* the policy set's generation: part of every key */
    struct vg_policy_facts *facts;
    struct vg_policy_inputs inner; /* the facts' callbacks (unset when speculating) */
    bool speculative, missed;
    uint64_t hits;
    struct vg_oci_remote_pool *pool;    /* resolve with the shared clients, or */
    const struct vg_oci_open_opts *own; /* with clients of their own (pull secrets) */
    VG_VEC(struct vg_admit_resolved) resolved;
    /* Speculating: the images asked about (as the policy named them), each with whether any
     * of its questions missed the cache; `asking` is the image of the question in progress.
     * An image asked and never missed is settled: its facts need no registry. */
    struct vg_admit_askedv asked;
    const char *asking;
};
/* Fills in with callbacks over cf (in->ctx = cf): every input, through the cache. */
void vg_admit_cached_inputs(struct vg_admit_cached_facts *cf, struct vg_policy_inputs *in);
void vg_admit_cached_dispose(struct vg_admit_cached_facts *cf);
/* The digest a tagged image names now (manifest HEAD), through a client of pool, or of its own
 * made with own (pull secrets; own wins when set). */
VG_NODISCARD int vg_admit_resolve_tag(struct vg_oci_remote_pool *pool,
                                      const struct vg_oci_open_opts *own, const char *image,
                                      struct vg_digest *dg, struct vg_err **err);

/* ---------------------------------------------------------------- pool.c */

/* Threads for evaluations that wait on registries: a job goes to an idle thread, or to a new
 * one when none is idle (the caller bounds how many jobs run at once); a thread idle for
 * VG_ADMIT_POOL_IDLE_S exits. No thread is created per request while threads are idle. */
#define VG_ADMIT_POOL_IDLE_S 30u

struct vg_admit_pool_item {
    void (*fn)(void *arg);
    void *arg;
    struct vg_admit_pool_item *next;
};

struct vg_admit_pool {
    pthread_mutex_t mu;
    pthread_cond_t work, gone;
    struct vg_admit_pool_item *head, *tail;
    unsigned queued, idle, threads;
    bool stop;
    atomic_uint_fast64_t started; /* threads created so far */
};

void vg_admit_pool_init(struct vg_admit_pool *p);
/* Runs fn(arg) on a pool thread; the item (caller memory, untouched after fn starts) carries
 * it. -1 when no thread could be created and none is idle (fn is not run). */
VG_NODISCARD int vg_admit_pool_submit(struct vg_admit_pool *p, struct vg_admit_pool_item *it,
                                      void (*fn)(void *arg), void *arg);
/* Asks the idle threads to exit and waits up to timeout_ms for every thread to be gone;
 * false when some remain (a job still running): the pool must then not be freed. */
bool vg_admit_pool_stop(struct vg_admit_pool *p, unsigned timeout_ms);
void vg_admit_pool_dispose(struct vg_admit_pool *p);

/* ---------------------------------------------------------------- cold.c */

/* The bound on cold evaluations (those that wait on registries): at most per_host at once on
 * each registry host, and at most total at once in all (the evaluation threads). A review
 * takes a slot on every registry its images name, all of them at once or none, under one lock:
 * nothing is held while waiting, so reviews naming several registries cannot deadlock. A
 * review that cannot start waits in arrival order; whenever slots are freed, every waiting
 * review whose registries all have a free slot starts, oldest first, so reviews stuck behind a
 * hung registry never hold back those of other registries (a review naming several registries
 * may be overtaken by ones naming fewer; its deadline bounds the wait). Host records exist only
 * while a review running or waiting names them. Thread-safe: mu is a leaf lock. */
enum vg_admit_cold_state {
    VG_ADMIT_COLD_NEW = 0,
    VG_ADMIT_COLD_WAITING,
    VG_ADMIT_COLD_RUNNING,
    VG_ADMIT_COLD_DONE,
    VG_ADMIT_COLD_ABANDONED,
};

/* One review's claim; its fields but hosts and owner are the bound's (under its mu). */
struct vg_admit_cold_req {
    VG_VEC(char *) hosts; /* lowercase, unique: set before vg_admit_cold_enter */
    void *owner;          /* the caller's */
    enum vg_admit_cold_state state;
    struct vg_admit_cold_req *qprev, *qnext; /* the waiting queue */
    struct vg_admit_cold_req *ready;         /* the list vg_admit_cold_leave returns */
};

struct vg_admit_cold_host;
struct vg_admit_cold {
    pthread_mutex_t mu;
    unsigned per_host, total;
    unsigned running, waiting;
    struct vg_admit_cold_host *hosts;
    struct vg_admit_cold_req *head, *tail;
    atomic_uint_fast64_t unstarted; /* reviews abandoned while waiting */
};

/* per_host 0 is 1; total is at least per_host. */
void vg_admit_cold_init(struct vg_admit_cold *c, unsigned per_host, unsigned total);
void vg_admit_cold_dispose(struct vg_admit_cold *c);
void vg_admit_cold_req_add_host(struct vg_admit_cold_req *r, const char *host);
void vg_admit_cold_req_dispose(struct vg_admit_cold_req *r);
/* true: r runs now (its slots taken); false: r waits for them. */
bool vg_admit_cold_enter(struct vg_admit_cold *c, struct vg_admit_cold_req *r);
/* r (running) is finished: its slots are freed and given to waiting reviews, which are
 * returned (linked by ->ready, now running) for the caller to start. */
struct vg_admit_cold_req *vg_admit_cold_leave(struct vg_admit_cold *c, struct vg_admit_cold_req *r);
/* A review that gives up (its deadline): true when r was waiting (it is dequeued and never
 * runs; *why, owned, says what held it back; counted as unstarted); false when it runs or
 * ran (its slots stay taken until vg_admit_cold_leave). */
bool vg_admit_cold_abandon(struct vg_admit_cold *c, struct vg_admit_cold_req *r, char **why);
unsigned vg_admit_cold_running(struct vg_admit_cold *c);
/* The gauges and counter, Prometheus text. */
VG_NODISCARD int vg_admit_cold_metrics(struct vg_admit_cold *c, struct vg_buf *out,
                                       struct vg_err **err);

#endif
