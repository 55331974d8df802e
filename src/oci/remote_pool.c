/* SPDX-License-Identifier: Apache-2.0
 *
 * The registry client pool: idle clients kept per registry for reuse, and one Bearer token
 * cache shared by every client of the pool, keyed by (registry, scope), with expiry and a
 * single flight per key (one thread fetches, the others needing that scope wait on a condition
 * variable). One mutex guards everything here; it is never held across I/O, a callback or
 * another module's call (the token fetch happens in remote_auth.c with the lock released).
 * Lock order: this is a leaf lock (docs/internals/LOCKING.md).
 */
#include "remote_int.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

struct pool_token {
    char *registry;
    char *scope;
    char *token;        /* NULL while being fetched; wiped on release */
    int64_t expires_at; /* unix seconds */
    bool fetching;
};

struct vg_oci_remote_pool {
    pthread_mutex_t mu;
    pthread_cond_t fetched;                /* a fetch finished (stored or abandoned) */
    struct vg_oci_open_opts opts;          /* immutable after creation */
    char *creds, *docker_config, *ca_file; /* owned copies behind opts */
    struct pool_token *tokens;             /* guarded by mu */
    size_t ntokens;                        /* guarded by mu */
    struct vg_oci_remote_client **idle;    /* guarded by mu */
    size_t nidle;                          /* guarded by mu */
    uint64_t fetches;                      /* guarded by mu */
};

struct vg_oci_remote_pool *
vg_oci_remote_pool_new(const struct vg_oci_open_opts *o)
{
    struct vg_oci_open_opts none = VG_OCI_OPEN_OPTS_INIT;
    struct vg_oci_remote_pool *p = vg_calloc(1, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->fetched, NULL);
    p->opts = o ? *o : none;
    p->creds = vg_strdup(p->opts.creds);
    p->docker_config = vg_strdup(p->opts.docker_config);
    p->ca_file = vg_strdup(p->opts.ca_file);
    p->opts.creds = p->creds;
    p->opts.docker_config = p->docker_config;
    p->opts.ca_file = p->ca_file;
    p->opts.pull_secret_json = NULL; /* shared tokens: never one workload's credentials */
    p->opts.pool = NULL;             /* its clients are made here */
    p->tokens = vg_calloc(VG_OCI_REMOTE_POOL_TOKENS_MAX, sizeof(*p->tokens));
    p->idle = vg_calloc(VG_OCI_REMOTE_POOL_IDLE_MAX, sizeof(*p->idle));
    return p;
}

static void
token_release(struct pool_token *t)
{
    free(t->registry);
    free(t->scope);
    vg_http_secret_free(t->token);
    memset(t, 0, sizeof(*t));
}

void
vg_oci_remote_pool_free(struct vg_oci_remote_pool *p)
{
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->nidle; i++) {
        p->idle[i]->pool = NULL;
        vg_oci_remote_client_free(p->idle[i]);
    }
    for (size_t i = 0; i < p->ntokens; i++) {
        token_release(&p->tokens[i]);
    }
    free(p->idle);
    free(p->tokens);
    if (p->creds) {
        explicit_bzero(p->creds, strlen(p->creds));
    }
    free(p->creds);
    free(p->docker_config);
    free(p->ca_file);
    pthread_cond_destroy(&p->fetched);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

/* ---------------------------------------------------------------- clients */

struct vg_oci_remote_client *
vg_oci_remote_pool_get(struct vg_oci_remote_pool *p, const struct vg_oci_ref *ref,
                       struct vg_err **err)
{
    struct vg_oci_remote_client *c = NULL;
    pthread_mutex_lock(&p->mu);
    for (size_t i = p->nidle; i-- > 0;) {
        if (strcmp(p->idle[i]->registry, ref->registry) == 0) {
            c = p->idle[i];
            p->idle[i] = p->idle[--p->nidle];
            break;
        }
    }
    pthread_mutex_unlock(&p->mu);
    if (c) {
        if (!vg_oci_dist_name_valid(vg_str_c(ref->repository))) {
            vg_oci_remote_pool_put(p, c);
            vg_autofree char *e = vg_escape(ref->repository, strlen(ref->repository), 120);
            vg_err_set(err, VG_E_USAGE, "invalid repository name \"%s\"", e);
            return NULL;
        }
        free(c->repo);
        c->repo = vg_strdup(ref->repository);
        return c;
    }
    c = vg_oci_remote_client_new(ref, &p->opts, err);
    if (c) {
        c->pool = p;
    }
    return c;
}

void
vg_oci_remote_pool_put(struct vg_oci_remote_pool *p, struct vg_oci_remote_client *c)
{
    if (!c) {
        return;
    }
    pthread_mutex_lock(&p->mu);
    bool kept = p->nidle < VG_OCI_REMOTE_POOL_IDLE_MAX;
    if (kept) {
        p->idle[p->nidle++] = c;
    }
    pthread_mutex_unlock(&p->mu);
    if (!kept) {
        c->pool = NULL;
        vg_oci_remote_client_free(c);
    }
}

uint64_t
vg_oci_remote_pool_token_fetches(struct vg_oci_remote_pool *p)
{
    pthread_mutex_lock(&p->mu);
    uint64_t n = p->fetches;
    pthread_mutex_unlock(&p->mu);
    return n;
}

/* ---------------------------------------------------------------- tokens (mu held) */

static struct pool_token *
find(struct vg_oci_remote_pool *p, const char *registry, const char *scope)
{
    for (size_t i = 0; i < p->ntokens; i++) {
        if (strcmp(p->tokens[i].registry, registry) == 0 &&
            strcmp(p->tokens[i].scope, scope) == 0) {
            return &p->tokens[i];
        }
    }
    return NULL;
}

static bool
valid(const struct pool_token *t, int64_t now)
{
    return t && t->token && t->expires_at > now;
}

static void
remove_at(struct vg_oci_remote_pool *p, size_t i)
{
    token_release(&p->tokens[i]);
    p->tokens[i] = p->tokens[--p->ntokens];
    memset(&p->tokens[p->ntokens], 0, sizeof(p->tokens[0]));
}

/* A free slot: drops expired tokens first, then the oldest one not being fetched. */
static struct pool_token *
slot(struct vg_oci_remote_pool *p, int64_t now)
{
    if (p->ntokens == VG_OCI_REMOTE_POOL_TOKENS_MAX) {
        for (size_t i = p->ntokens; i-- > 0;) {
            if (!p->tokens[i].fetching && p->tokens[i].expires_at <= now) {
                remove_at(p, i);
            }
        }
    }
    if (p->ntokens == VG_OCI_REMOTE_POOL_TOKENS_MAX) {
        size_t oldest = SIZE_MAX;
        for (size_t i = 0; i < p->ntokens; i++) {
            if (!p->tokens[i].fetching &&
                (oldest == SIZE_MAX || p->tokens[i].expires_at < p->tokens[oldest].expires_at)) {
                oldest = i;
            }
        }
        if (oldest == SIZE_MAX) {
            return NULL; /* every slot is being fetched: the caller fetches unshared */
        }
        remove_at(p, oldest);
    }
    return &p->tokens[p->ntokens++];
}

enum vg_oci_remote_pool_answer
vg_oci_remote_pool_token_get(struct vg_oci_remote_pool *p, const char *registry, const char *scope,
                             const char *push_scope, char **line)
{
    *line = NULL;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        int64_t now = vg_now_unix();
        struct pool_token *hit = find(p, registry, scope);
        if (!valid(hit, now)) {
            hit = find(p, registry, push_scope); /* a pull,push token also serves pulls */
        }
        if (valid(hit, now)) {
            *line = vg_fmt("Authorization: Bearer %s", hit->token);
            pthread_mutex_unlock(&p->mu);
            return VG_POOL_HIT;
        }
        struct pool_token *t = find(p, registry, scope);
        if (t && t->fetching) {
            pthread_cond_wait(&p->fetched, &p->mu);
            continue;
        }
        if (!t) {
            t = slot(p, now);
            if (t) {
                t->registry = vg_strdup(registry);
                t->scope = vg_strdup(scope);
            }
        }
        if (t) {
            vg_http_secret_free(t->token);
            t->token = NULL;
            t->fetching = true;
        }
        p->fetches++;
        pthread_mutex_unlock(&p->mu);
        return VG_POOL_FETCH;
    }
}

void
vg_oci_remote_pool_token_put(struct vg_oci_remote_pool *p, const char *registry, const char *scope,
                             char *token, uint64_t expires_in)
{
    if (expires_in > 365u * 86400u) {
        expires_in = 365u * 86400u;
    }
    int64_t life = (int64_t)expires_in - VG_OCI_REMOTE_TOKEN_MARGIN_S;
    pthread_mutex_lock(&p->mu);
    int64_t now = vg_now_unix();
    struct pool_token *t = find(p, registry, scope);
    if (!t && (t = slot(p, now)) != NULL) {
        t->registry = vg_strdup(registry);
        t->scope = vg_strdup(scope);
    }
    if (t) {
        vg_http_secret_free(t->token);
        t->token = token;
        t->expires_at = now + (life > 0 ? life : 1);
        t->fetching = false;
        token = NULL;
    }
    pthread_cond_broadcast(&p->fetched);
    pthread_mutex_unlock(&p->mu);
    vg_http_secret_free(token);
}

void
vg_oci_remote_pool_token_abandon(struct vg_oci_remote_pool *p, const char *registry,
                                 const char *scope)
{
    pthread_mutex_lock(&p->mu);
    struct pool_token *t = find(p, registry, scope);
    if (t && t->fetching) {
        remove_at(p, (size_t)(t - p->tokens));
    }
    pthread_cond_broadcast(&p->fetched);
    pthread_mutex_unlock(&p->mu);
}

void
vg_oci_remote_pool_token_drop(struct vg_oci_remote_pool *p, const char *registry, const char *scope)
{
    pthread_mutex_lock(&p->mu);
    struct pool_token *t = find(p, registry, scope);
    if (t && !t->fetching) {
        remove_at(p, (size_t)(t - p->tokens));
    }
    pthread_mutex_unlock(&p->mu);
}

bool
vg_oci_remote_registry_listed(const char *list, const char *registry)
{
    size_t n = strlen(registry);
    for (const char *p = list; p && *p; p += *p == ',') {
        size_t len = strcspn(p, ",");
        if (len == n && strncasecmp(p, registry, n) == 0) {
            return true;
        }
        p += len;
    }
    return false;
}
