/* SPDX-License-Identifier: Apache-2.0
 *
 * The admission webhook: POST /validate and POST /mutate on httpd/ (docs/admit.md).
 *
 * What cannot wait on a registry is decided on the request thread: everything offline, a
 * review whose every fact is in the decision cache (tried speculatively with the cache alone,
 * without secrets), and /mutate with nothing to resolve. The rest is evaluated on a pool thread
 * (pool.c; no thread per request) while the request thread waits until the deadline (the
 * apiserver's ?timeout= less a margin, and never past httpd's own): when the evaluation has
 * not finished by then the answer is a denial (fail closed), so a hanging registry never makes
 * the apiserver time out. A late job finishes on its own and frees itself. Policy sets are
 * reference counted: a reload swaps the set for new requests while the running ones keep
 * theirs. Facts (signatures, scans) of digest-pinned images are cached (cache.c) by (image
 * digest, policy generation, question) with a TTL.
 */
#include "admit/admit.h"
#include "admit_int.h"

#include "config/config.h"
#include "httpd/httpd.h"
#include "oci/remote.h"
#include "policy/facts.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

struct pset {
    struct vg_policy_set *set;
    uint64_t gen;
    atomic_uint refs;
};

enum result { R_ALLOW, R_WARN, R_DENY, R_INVALID, R_TIMEOUT, R_ERROR, R_COUNT };
static const char *const result_names[R_COUNT] = {"allow",   "warn",    "deny",
                                                  "invalid", "timeout", "error"};

struct vg_admit {
    struct vg_admit_opts o;
    VG_VEC(char *) policies;
    pthread_mutex_t mu; /* cur, next_gen */
    struct pset *cur;
    uint64_t next_gen;
    struct vg_admit_cache cache;
    struct vg_admit_pool pool_threads; /* evaluations that may wait on registries */
    struct vg_admit_cold cold;         /* their bound, per registry and in all */
    struct vg_oci_remote_pool *pool;
    struct vg_kube_secrets *secrets;         /* imagePullSecrets source, or NULL */
    struct vg_policy_key_cache *keys;        /* parsed policy keys, shared by requests */
    atomic_uint_fast64_t counts[2][R_COUNT]; /* [mutate][result] */
    atomic_uint_fast64_t cache_hits, cache_misses, inline_decisions, reloads, reload_errors;
};

static void
pset_unref(struct pset *p)
{
    if (p && atomic_fetch_sub(&p->refs, 1) == 1) {
        vg_policy_set_free(p->set);
        free(p);
    }
}

static struct pset *
pset_get(struct vg_admit *a)
{
    pthread_mutex_lock(&a->mu);
    struct pset *p = a->cur;
    atomic_fetch_add(&p->refs, 1);
    pthread_mutex_unlock(&a->mu);
    return p;
}

static int
load_set(struct vg_admit *a, struct vg_policy_set **out, struct vg_err **err)
{
    struct vg_policy_set_opts so = VG_POLICY_SET_OPTS_INIT;
    so.cip_no_match = a->o.nomatch;
    struct vg_policy_set *s = vg_policy_set_new(&so);
    for (size_t i = 0; i < a->policies.n; i++) {
        if (vg_policy_set_load_file(s, a->policies.v[i], err) < 0) {
            vg_policy_set_free(s);
            return -1;
        }
    }
    for (size_t i = 0; i < vg_policy_set_warning_count(s); i++) {
        VG_EVENT(VG_LOG_WARN, "admit", "policy warning",
                 VG_KV_STR("warning", vg_policy_set_warning(s, i)));
    }
    *out = s;
    return 0;
}

int
vg_admit_reload(struct vg_admit *a, struct vg_err **err)
{
    struct vg_policy_set *s = NULL;
    if (load_set(a, &s, err) < 0) {
        atomic_fetch_add(&a->reload_errors, 1);
        return -1;
    }
    struct pset *p = vg_calloc(1, sizeof(*p));
    p->set = s;
    atomic_init(&p->refs, 1);
    pthread_mutex_lock(&a->mu);
    p->gen = ++a->next_gen;
    struct pset *old = a->cur;
    a->cur = p;
    pthread_mutex_unlock(&a->mu);
    pset_unref(old);
    atomic_fetch_add(&a->reloads, 1);
    VG_EVENT(VG_LOG_INFO, "admit", "policies loaded", VG_KV_U64("generation", p->gen),
             VG_KV_U64("policies", vg_policy_set_count(s)));
    return 0;
}

uint64_t
vg_admit_generation(struct vg_admit *a)
{
    pthread_mutex_lock(&a->mu);
    uint64_t g = a->cur ? a->cur->gen : 0;
    pthread_mutex_unlock(&a->mu);
    return g;
}

int
vg_admit_new(struct vg_admit **out, const struct vg_admit_opts *o, struct vg_err **err)
{
    struct vg_admit *a = vg_calloc(1, sizeof(*a));
    a->o = *o;
    for (size_t i = 0; i < o->npolicies; i++) {
        vg_vec_push(&a->policies, vg_strdup(o->policies[i]));
    }
    a->o.policies = NULL;
    if (!a->o.default_timeout_ms) {
        a->o.default_timeout_ms = 10000;
    }
    if (!a->o.margin_ms) {
        a->o.margin_ms = 300;
    }
    if (!a->o.cache_ttl_s) {
        a->o.cache_ttl_s = 300;
    }
    if (!a->o.max_cold) {
        a->o.max_cold = 4;
    }
    if (!a->o.max_cold_total) {
        a->o.max_cold_total = a->o.max_cold > 64 ? a->o.max_cold : 64;
    }
    vg_admit_cold_init(&a->cold, a->o.max_cold, a->o.max_cold_total);
    pthread_mutex_init(&a->mu, NULL);
    if (!a->o.failure_ttl_s) {
        a->o.failure_ttl_s = 10;
    }
    vg_admit_cache_init(&a->cache, a->o.cache_ttl_s == UINT_MAX ? 0 : a->o.cache_ttl_s,
                        a->o.failure_ttl_s == UINT_MAX ? 0 : a->o.failure_ttl_s);
    a->keys = vg_policy_key_cache_new();
    vg_admit_pool_init(&a->pool_threads);
    if (vg_admit_reload(a, err) < 0) {
        vg_admit_free(a);
        return -1;
    }
    if (!a->o.offline) {
        a->pool = vg_oci_remote_pool_new(&a->o.open);
    }
    const struct vg_kube_secrets_opts *so = &a->o.secrets;
    if (!a->o.offline && (so->dir || so->api.kubeconfig || so->api.in_cluster) &&
        vg_kube_secrets_new(&a->secrets, so, err) < 0) {
        vg_admit_free(a);
        return -1;
    }
    *out = a;
    return 0;
}

bool
vg_admit_free(struct vg_admit *a)
{
    if (!a) {
        return true;
    }
    /* Late workers hold the webhook: wait for them a while (a registry that never answers
     * can keep one stuck until its socket times out); if some remain, the webhook is left
     * to them (the process is exiting). */
    uint64_t until = vg_now_ns() + 5000000000ull;
    unsigned left;
    while ((left = vg_admit_cold_running(&a->cold)) && vg_now_ns() < until) {
        struct timespec ts = {0, 50000000L};
        nanosleep(&ts, NULL);
    }
    /* No evaluation runs: the pool's threads are idle and leave as soon as they are scheduled
     * (seconds on a loaded machine). Leaving one behind would run OpenSSL's per-thread cleanup
     * while exit() runs the library's global one. */
    if (left || !vg_admit_pool_stop(&a->pool_threads, 30000)) {
        VG_EVENT(VG_LOG_WARN, "admit", "evaluations still running at exit",
                 VG_KV_U64("running", left));
        return false;
    }
    pset_unref(a->cur);
    vg_admit_cache_dispose(&a->cache);
    vg_policy_key_cache_free(a->keys);
    vg_admit_pool_dispose(&a->pool_threads);
    vg_admit_cold_dispose(&a->cold);
    for (size_t i = 0; i < a->policies.n; i++) {
        free(a->policies.v[i]);
    }
    vg_vec_dispose(&a->policies);
    if (a->pool) {
        vg_oci_remote_pool_free(a->pool);
    }
    vg_kube_secrets_free(a->secrets);
    pthread_mutex_destroy(&a->mu);
    free(a);
    return true;
}

/* ---------------------------------------------------------------- evaluation */

/* A cold evaluation. Its place in the bound (cold, the bound's lock): waiting for free slots,
 * running (on a pool thread: the slots are its until it finishes, late or not), or abandoned
 * while waiting (never runs). done, the answer and req are under its own mu. */
struct job {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned refs; /* request side + worker */
    bool done;
    struct vg_httpd_req *req; /* suspended request to resume when done; NULL: none, or gone */
    struct vg_admit_cold_req cold;
    bool mutate;
    struct vg_admit *a;
    struct pset *ps;
    struct vg_admit_review rv;
    struct vg_admit_answer ans;
    enum result result;
    struct vg_admit_pool_item item;
};

static void
job_unref(struct job *j)
{
    pthread_mutex_lock(&j->mu);
    bool last = --j->refs == 0;
    pthread_mutex_unlock(&j->mu);
    if (!last) {
        return;
    }
    pset_unref(j->ps);
    vg_admit_cold_req_dispose(&j->cold);
    vg_admit_review_dispose(&j->rv);
    vg_admit_answer_dispose(&j->ans);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
}

/* The pod's imagePullSecrets list when they are to be read (a source is configured), else
 * NULL. */
static const struct vg_config_node *
pull_secrets(const struct vg_admit *a, const struct vg_admit_review *rv)
{
    const struct vg_config_node *seq = a->secrets && rv->obj.podspec
                                           ? vg_config_map_get(rv->obj.podspec, "imagePullSecrets")
                                           : NULL;
    if (!seq || vg_config_node_type(seq) != VG_CONFIG_SEQ || !vg_config_node_len(seq)) {
        return NULL;
    }
    return seq;
}

/* The registry credentials of the pod's imagePullSecrets ({"auths": ...}, caller frees), or
 * NULL; secrets that could not be used are reported as a warning. */
static char *
pull_auths(struct vg_admit *a, const struct vg_admit_review *rv, struct vg_admit_answer *ans)
{
    const struct vg_config_node *seq = pull_secrets(a, rv);
    if (!seq) {
        return NULL;
    }
    VG_VEC(const char *) names = {0};
    for (size_t i = 0; i < vg_config_node_len(seq); i++) {
        const struct vg_config_node *e = vg_config_seq_at(seq, i);
        const struct vg_config_node *n =
            vg_config_node_type(e) == VG_CONFIG_MAP ? vg_config_map_get(e, "name") : NULL;
        if (n && vg_config_node_type(n) == VG_CONFIG_SCALAR) {
            vg_vec_push(&names, vg_config_node_scalar(n, NULL));
        }
    }
    char *json = NULL, *problems = NULL;
    (void)vg_kube_secrets_auths(a->secrets, rv->obj.namespace, names.v, names.n, &json, &problems);
    if (problems) {
        for (char *line = problems, *nl; line && *line; line = nl ? nl + 1 : NULL) {
            nl = strchr(line, '\n');
            vg_admit_answer_warn(ans, "vigil: imagePullSecrets: %.*s not used",
                                 (int)(nl ? (size_t)(nl - line) : strlen(line)), line);
        }
        VG_EVENT(VG_LOG_WARN, "admit", "imagePullSecrets not used",
                 VG_KV_STR("namespace", rv->obj.namespace), VG_KV_STR("error", problems));
        free(problems);
    }
    vg_vec_dispose(&names);
    return json;
}

/* Every input must be wired below, speculating too (an input left NULL would be answered
 * "unverifiable" from the request thread instead of being asked on a pool thread). */
_Static_assert(sizeof(struct vg_policy_inputs) == 8 * sizeof(void *),
               "a new vg_policy_inputs callback must be wired into validate()");

/* Speculative (see struct vg_admit_cached_facts): R_COUNT and ans untouched when a fact is not in
 * the cache, with the images the pass settled in *settled (when not NULL). */
static enum result
validate(struct vg_admit *a, struct pset *ps, const struct vg_admit_review *rv,
         struct vg_admit_answer *ans, bool speculative, struct vg_admit_askedv *settled)
{
    struct vg_policy_inputs in = {0};
    struct vg_admit_cached_facts cf = {
        .cache = &a->cache, .misses = &a->cache_misses, .gen = ps->gen, .speculative = speculative};
    vg_autofree char *pull = NULL;
    struct vg_oci_open_opts own = a->o.open; /* tags resolved with the pull secrets */
    if (!a->o.offline && !speculative) {
        struct vg_policy_facts_opts fo = {.open = a->o.open,
                                          .db = a->o.db,
                                          .vuln_source =
                                              (enum vg_policy_vuln_source)a->o.vuln_source,
                                          .trusted_roots = a->o.trusted_roots,
                                          .ntrusted_roots = a->o.ntrusted_roots,
                                          .keys = a->keys};
        pull = pull_auths(a, rv, ans);
        fo.open.pull_secret_json = pull;
        fo.open.pool = a->pool; /* not used with pull secrets: clients of their own then */
        cf.facts = vg_policy_facts_new(&fo);
        vg_policy_facts_inputs(cf.facts, &cf.inner);
        own.pull_secret_json = pull;
        cf.pool = a->pool;
        cf.own = pull ? &own : NULL;
    }
    if (!a->o.offline) { /* the same callbacks speculating (no facts behind them) or not */
        vg_admit_cached_inputs(&cf, &in);
    }
    struct vg_policy_decision d;
    struct vg_err *err = NULL;
    int erc = vg_policy_eval(ps->set, &rv->obj, &in, &d, &err);
    if (cf.missed && settled) {
        *settled = cf.asked;
        cf.asked = (struct vg_admit_askedv){0};
    }
    vg_admit_cached_dispose(&cf);
    if (cf.missed) {
        if (erc == 0) {
            vg_policy_decision_dispose(&d);
        }
        vg_err_free(&err);
        return R_COUNT;
    }
    atomic_fetch_add(&a->cache_hits, cf.hits);
    if (erc < 0) {
        char *m = vg_err_format(err);
        vg_err_free(&err);
        ans->allowed = false;
        ans->code = 500;
        ans->message = vg_fmt("vigil: policy evaluation failed: %s", m);
        free(m);
        vg_policy_facts_free(cf.facts);
        return R_ERROR;
    }
    vg_policy_facts_free(cf.facts);
    struct vg_buf msg = VG_BUF_INIT(16384);
    size_t ndeny = 0;
    for (size_t i = 0; i < d.nreasons; i++) {
        const struct vg_policy_reason *r = &d.reasons[i];
        vg_autofree char *img = r->image ? vg_escape(r->image, strlen(r->image), 200) : NULL;
        if (r->mode == VG_POLICY_ENFORCE) {
            if (vg_buf_appendf(&msg, &err, "%s%s%s%s%s%s: %s (%s)", ndeny ? "; " : "",
                               img ? "image '" : "", img ? img : "", img ? "' " : "",
                               r->path ? r->path : "object", "", r->message, r->policy) < 0) {
                vg_err_free(&err); /* the message is long enough already */
            }
            ndeny++;
        } else if (r->mode == VG_POLICY_WARN) {
            vg_admit_answer_warn(ans, "image %s: %s (%s, mode=warn)", img ? img : "(object)",
                                 r->message, r->policy);
        }
    }
    ans->allowed = d.allowed;
    if (!d.allowed) {
        ans->code = 403;
        ans->message =
            vg_fmt("vigil denied %zu image requirement(s): %s", ndeny, vg_buf_cstr(&msg));
    }
    vg_buf_dispose(&msg);
    vg_policy_decision_dispose(&d);
    return !ans->allowed ? R_DENY : ans->warnings.n ? R_WARN : R_ALLOW;
}

static enum result
mutate(struct vg_admit *a, const struct vg_admit_review *rv, struct vg_admit_answer *ans)
{
    enum result res = R_ALLOW;
    ans->allowed = true;
    json_t *patch = json_array();
    /* with the pod's pull secrets: clients of their own, never the pool (its tokens are
     * shared by every request) */
    vg_autofree char *pull = a->pool ? pull_auths(a, rv, ans) : NULL;
    struct vg_oci_open_opts own = a->o.open;
    own.pull_secret_json = pull;
    for (size_t i = 0; i < rv->obj.ncontainers; i++) {
        const struct vg_policy_container *c = &rv->obj.containers[i];
        if (strchr(c->image, '@')) {
            continue; /* pinned already: reinvocation changes nothing */
        }
        if (!a->pool) {
            vg_autofree char *img = vg_escape(c->image, strlen(c->image), 200);
            vg_admit_answer_warn(ans, "vigil: offline, image %s not pinned to a digest", img);
            res = R_WARN;
            continue;
        }
        struct vg_err *err = NULL;
        struct vg_digest dg;
        if (vg_admit_resolve_tag(a->pool, pull ? &own : NULL, c->image, &dg, &err) < 0) {
            char *m = vg_err_format(err);
            vg_err_free(&err);
            vg_autofree char *img = vg_escape(c->image, strlen(c->image), 200);
            ans->allowed = false;
            ans->code = 403;
            ans->message = vg_fmt("vigil: image '%s' (%s): cannot resolve its tag to a digest: %s",
                                  img, c->path, m);
            free(m);
            json_decref(patch);
            return R_DENY;
        }
        vg_autofree char *ptr = vg_admit_json_pointer(c->path);
        vg_autofree char *pinned = vg_fmt("%s@%s", c->image, dg.text);
        vg_json_append_take(
            patch, json_pack("{s:s, s:s, s:s}", "op", "test", "path", ptr, "value", c->image));
        vg_json_append_take(
            patch, json_pack("{s:s, s:s, s:s}", "op", "replace", "path", ptr, "value", pinned));
    }
    if (json_array_size(patch)) {
        ans->patch = patch;
    } else {
        json_decref(patch);
    }
    return res;
}

static void job_start(struct vg_admit *a, struct job *j);

/* j (running) is over: its slots go to the waiting reviews that can start now; drops the
 * worker's reference. */
static void
job_release(struct vg_admit *a, struct job *j)
{
    struct vg_admit_cold_req *next = vg_admit_cold_leave(&a->cold, &j->cold);
    job_unref(j);
    while (next) {
        struct vg_admit_cold_req *n = next->ready;
        job_start(a, next->owner);
        next = n;
    }
}

/* Runs on a pool thread. Its slots go to the waiting reviews that can start, if any. */
static void
worker(void *arg)
{
    struct job *j = arg;
    struct vg_admit *a = j->a;
    j->result =
        j->mutate ? mutate(a, &j->rv, &j->ans) : validate(a, j->ps, &j->rv, &j->ans, false, NULL);
    pthread_mutex_lock(&j->mu);
    j->done = true;
    pthread_cond_signal(&j->cv);
    if (j->req) {
        vg_httpd_resume(j->req);
    }
    pthread_mutex_unlock(&j->mu);
    job_release(a, j);
}

/* j holds its slots (running): onto a pool thread. */
static void
job_start(struct vg_admit *a, struct job *j)
{
    if (vg_admit_pool_submit(&a->pool_threads, &j->item, worker, j) == 0) {
        return;
    }
    pthread_mutex_lock(&j->mu);
    j->done = true;
    j->result = R_ERROR;
    j->ans.allowed = false;
    j->ans.code = 500;
    j->ans.message = vg_strdup("vigil: cannot start an evaluation thread");
    pthread_cond_signal(&j->cv);
    if (j->req) {
        vg_httpd_resume(j->req);
    }
    pthread_mutex_unlock(&j->mu);
    job_release(a, j); /* and the worker's reference */
}

/* Decides on the request thread what cannot wait on a registry: everything offline; with
 * every fact in the cache (a speculative evaluation); /mutate with nothing to resolve. No
 * secrets are read here (their warnings belong to the answer). false: a pool thread must. */
static bool
decide_inline(struct vg_admit *a, struct pset *ps, const struct vg_admit_review *rv, bool mutating,
              struct vg_admit_answer *ans, enum result *res, struct vg_admit_askedv *settled)
{
    if (mutating) {
        for (size_t i = 0; a->pool && i < rv->obj.ncontainers; i++) {
            if (!strchr(rv->obj.containers[i].image, '@')) {
                return false;
            }
        }
        if (a->pool && pull_secrets(a, rv)) {
            return false;
        }
        *res = mutate(a, rv, ans);
        atomic_fetch_add(&a->inline_decisions, 1);
        return true;
    }
    if (!a->o.offline && pull_secrets(a, rv)) {
        return false;
    }
    enum result r = validate(a, ps, rv, ans, !a->o.offline, settled);
    if (r == R_COUNT) {
        return false;
    }
    *res = r;
    atomic_fetch_add(&a->inline_decisions, 1);
    return true;
}

/* Go durations as the apiserver writes them ("10s", "1m30s", "500ms"); 0 when absent or bad. */
static uint64_t
timeout_ms(struct vg_httpd_req *r)
{
    const char *t = vg_httpd_query(r, "timeout");
    uint64_t ms = 0;
    if (!t || vg_config_parse_duration_ms((struct vg_str){t, strlen(t)}, 3600000, &ms) < 0) {
        return 0;
    }
    return ms;
}

/* ---------------------------------------------------------------- HTTP */

static int
handler_begin(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    struct vg_err *err = NULL;
    const char *cl = vg_httpd_header(r, "Content-Length");
    uint64_t clen = 0;
    if (cl && (vg_parse_u64((struct vg_str){cl, strlen(cl)}, UINT64_MAX, &clen) < 0 ||
               clen > VG_ADMIT_BODY_MAX)) {
        json_t *b = json_pack("{s:s}", "error", "AdmissionReview: body over the limit of 10 MiB");
        int rc = vg_httpd_respond_json(r, 413, b, &err);
        json_decref(b);
        vg_err_free(&err);
        return rc;
    }
    return vg_httpd_body_buffer(r, VG_ADMIT_BODY_MAX);
}

static void
audit(struct vg_httpd_req *r, bool mutating, const struct vg_admit_review *rv,
      const struct vg_admit_answer *ans, enum result res, uint64_t gen, uint64_t start)
{
    VG_EVENT(VG_LOG_INFO, "admit", "decision", VG_KV_STR("request_id", vg_httpd_request_id(r)),
             VG_KV_STR("endpoint", mutating ? "mutate" : "validate"), VG_KV_STR("uid", rv->uid),
             VG_KV_STR("kind", rv->kind), VG_KV_STR("namespace", rv->namespace),
             VG_KV_STR("name", rv->name), VG_KV_STR("operation", rv->operation),
             VG_KV_BOOL("dry_run", rv->dry_run), VG_KV_STR("result", result_names[res]),
             VG_KV_BOOL("allowed", ans->allowed),
             VG_KV_U64("images", rv->has_object ? rv->obj.ncontainers : 0),
             VG_KV_U64("patched", ans->patch ? json_array_size(ans->patch) / 2 : 0),
             VG_KV_U64("warnings", ans->warnings.n),
             VG_KV_STR("message", ans->message ? ans->message : ""),
             VG_KV_U64("policy_generation", gen),
             VG_KV_U64("duration_ms", (vg_now_ns() - start) / 1000000u));
}

static int
answer(struct vg_httpd_req *r, const struct vg_admit_review *rv, const struct vg_admit_answer *ans)
{
    size_t len = 0;
    char *text = vg_admit_response_text(rv, ans, &len);
    struct vg_err *err = NULL;
    int rc = vg_httpd_respond(r, 200, "application/json", text, len, &err);
    free(text);
    vg_err_free(&err);
    return rc;
}

/* The registries j's evaluation may ask: for /validate every image's (facts, tags) but those
 * the speculative pass settled (every question about them answered by the cache: the
 * evaluation asks them again and gets the same answers, so a review of a cached image of a
 * hung registry does not wait for that registry's slots); for /mutate the tagged ones'. An
 * image that does not parse names none (its evaluation asks nothing). */
static void
job_hosts(struct job *j, const struct vg_admit_askedv *settled)
{
    for (size_t i = 0; i < j->rv.obj.ncontainers; i++) {
        const char *image = j->rv.obj.containers[i].image;
        struct vg_oci_ref *ref = NULL;
        struct vg_err *err = NULL;
        if ((j->mutate && strchr(image, '@')) ||
            (settled && vg_admit_asked_settled(settled, image)) ||
            vg_oci_ref_parse(&ref, image, &err) < 0) {
            vg_err_free(&err);
            continue;
        }
        vg_admit_cold_req_add_host(&j->cold, ref->registry);
        vg_oci_ref_free(ref);
    }
}

/* A job for rv (moved into the job; rv keeps copies of what the answer and the audit need),
 * running, or waiting for a free slot; the caller holds one reference, the worker the other. */
static struct job *
job_submit(struct vg_admit *a, struct pset *ps, struct vg_admit_review *rvp, bool mutating,
           const struct vg_admit_askedv *settled)
{
    struct job *j = vg_calloc(1, sizeof(*j));
    pthread_mutex_init(&j->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cv, &ca);
    pthread_condattr_destroy(&ca);
    j->refs = 2;
    j->mutate = mutating;
    j->a = a;
    j->ps = ps;
    atomic_fetch_add(&ps->refs, 1);
    j->rv = *rvp; /* the job owns the review now */
    memset(rvp, 0, sizeof(*rvp));
    rvp->uid = vg_strdup(j->rv.uid);
    rvp->kind = vg_strdup(j->rv.kind);
    rvp->namespace = vg_strdup(j->rv.namespace);
    rvp->name = vg_strdup(j->rv.name);
    rvp->operation = vg_strdup(j->rv.operation);
    rvp->version = j->rv.version;
    rvp->dry_run = j->rv.dry_run;
    j->cold.owner = j;
    job_hosts(j, settled);
    if (vg_admit_cold_enter(&a->cold, &j->cold)) {
        job_start(a, j);
    }
    return j;
}

/* Blocks until j is done or the deadline passes (a server that cannot suspend requests). */
static void
job_wait(struct job *j, uint64_t deadline)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000ull),
                          .tv_nsec = (long)(deadline % 1000000000ull)}; /* vg_now_ns's clock */
    pthread_mutex_lock(&j->mu);
    while (!j->done) {
        if (pthread_cond_timedwait(&j->cv, &j->mu, &ts) == ETIMEDOUT) {
            break;
        }
    }
    pthread_mutex_unlock(&j->mu);
}

/* The answer once the wait is over (done, or the deadline): the job's, or a denial (fail
 * closed) saying whether the evaluation ran late or never started. Drops the caller's
 * reference (and the worker's of a job that never started). */
static enum result
job_conclude(struct vg_admit *a, struct job *j, struct vg_admit_answer *ansp, uint64_t budget_ms)
{
    vg_autofree char *held = NULL;
    bool never = vg_admit_cold_abandon(&a->cold, &j->cold, &held);
    pthread_mutex_lock(&j->mu);
    j->req = NULL;
    bool done = j->done;
    pthread_mutex_unlock(&j->mu);
    enum result res = R_TIMEOUT;
    size_t nimages = j->rv.obj.ncontainers;
    if (done) {
        *ansp = j->ans;
        memset(&j->ans, 0, sizeof(j->ans));
        res = j->result;
    } else if (never) {
        ansp->allowed = false;
        ansp->code = 504;
        ansp->message = vg_fmt("vigil: the image checks of %zu image(s) could not start within "
                               "%llu ms: %s (registries slow or unreachable); denied (fail "
                               "closed)",
                               nimages, (unsigned long long)budget_ms, held);
        job_unref(j); /* the worker's: it never runs */
    } else {
        ansp->allowed = false;
        ansp->code = 504;
        ansp->message =
            vg_fmt("vigil: the image checks of %zu image(s) did not finish within %llu ms "
                   "(registry slow or unreachable); denied (fail closed)",
                   nimages, (unsigned long long)budget_ms);
    }
    job_unref(j);
    return res;
}

/* What is decided without evaluating policies: an invalid review (denied, 400), a kind or
 * subresource this webhook does not check (allowed with a warning), nothing to check
 * (allowed). false when the policies must decide. */
static bool
precheck(const struct vg_admit_review *rv, struct vg_admit_answer *ans, enum result *res)
{
    if (rv->invalid) {
        ans->allowed = false;
        ans->code = 400;
        ans->message = vg_fmt("vigil: invalid AdmissionReview: %s", rv->invalid);
        *res = R_INVALID;
        return true;
    }
    if (!rv->checked) {
        vg_autofree char *k = vg_escape(rv->kind, strlen(rv->kind), 100);
        vg_autofree char *s =
            rv->subresource ? vg_escape(rv->subresource, strlen(rv->subresource), 100) : NULL;
        vg_admit_answer_warn(ans, "vigil: %s%s%s is not checked for images", k, s ? "/" : "",
                             s ? s : "");
        *res = R_WARN;
        return true;
    }
    return !rv->has_object || rv->obj.ncontainers == 0;
}

const char *
vg_admit_decide(struct vg_admit *a, const struct vg_admit_review *rv, bool mutating,
                struct vg_admit_answer *ans)
{
    memset(ans, 0, sizeof(*ans));
    ans->allowed = true;
    enum result res = R_ALLOW;
    if (!precheck(rv, ans, &res)) {
        struct pset *ps = pset_get(a);
        res = mutating ? mutate(a, rv, ans) : validate(a, ps, rv, ans, false, NULL);
        pset_unref(ps);
    }
    atomic_fetch_add(&a->counts[mutating][res], 1);
    return result_names[res];
}

/* A review whose cold evaluation runs (or waits for a slot) while its request is suspended
 * (vg_httpd_ctx): what the answer and the audit line need when end() is called again. */
struct parked {
    struct job *j;
    struct vg_admit_review rv; /* the request side's copy (uid, names, version) */
    struct pset *ps;
    uint64_t start, budget_ms;
    bool mutating;
};

static int
finish(struct vg_httpd_req *r, struct vg_admit *a, bool mutating, struct vg_admit_review *rv,
       struct vg_admit_answer *ans, enum result res, struct pset *ps, uint64_t start)
{
    atomic_fetch_add(&a->counts[mutating][res], 1);
    audit(r, mutating, rv, ans, res, ps->gen, start);
    int rc = answer(r, rv, ans);
    pset_unref(ps);
    vg_admit_answer_dispose(ans);
    vg_admit_review_dispose(rv);
    return rc;
}

/* end() again, after the suspension: the job finished, or the deadline came. */
static int
handle_resumed(struct vg_httpd_req *r, struct vg_admit *a, struct parked *pk)
{
    vg_httpd_set_ctx(r, NULL);
    struct vg_admit_answer ans = {.allowed = true};
    enum result res = job_conclude(a, pk->j, &ans, pk->budget_ms);
    int rc = finish(r, a, pk->mutating, &pk->rv, &ans, res, pk->ps, pk->start);
    free(pk);
    return rc;
}

static int
handle(struct vg_httpd_req *r, struct vg_admit *a, bool mutating)
{
    struct parked *pk = vg_httpd_ctx(r);
    if (pk) {
        return handle_resumed(r, a, pk);
    }
    uint64_t start = vg_now_ns();
    size_t len = 0;
    const void *body = vg_httpd_body(r, &len);
    struct vg_admit_review rv;
    struct vg_err *err = NULL;
    if (vg_admit_review_parse(&rv, body, len, &err) < 0) {
        char *m = vg_err_format(err);
        unsigned status = vg_err_code(err) == VG_E_LIMIT ? 413 : 400;
        vg_err_free(&err);
        atomic_fetch_add(&a->counts[mutating][R_INVALID], 1);
        VG_EVENT(VG_LOG_WARN, "admit", "bad request",
                 VG_KV_STR("request_id", vg_httpd_request_id(r)), VG_KV_STR("error", m));
        json_t *b = json_pack("{s:s}", "error", m);
        free(m);
        int rc = vg_httpd_respond_json(r, status, b, &err);
        json_decref(b);
        vg_err_free(&err);
        return rc;
    }
    struct vg_admit_answer ans = {.allowed = true};
    enum result res = R_ALLOW;
    struct pset *ps = pset_get(a);
    struct vg_admit_askedv settled = {0};
    if (!precheck(&rv, &ans, &res) && !decide_inline(a, ps, &rv, mutating, &ans, &res, &settled)) {
        uint64_t tmo = timeout_ms(r);
        if (!tmo) {
            tmo = a->o.default_timeout_ms;
        }
        uint64_t margin = a->o.margin_ms < tmo / 2 ? a->o.margin_ms : tmo / 2;
        uint64_t deadline = start + (tmo - margin) * 1000000ull;
        uint64_t hd = vg_httpd_deadline_ns(r);
        if (hd && hd < deadline) {
            deadline = hd;
        }
        struct job *j = job_submit(a, ps, &rv, mutating, &settled);
        vg_admit_asked_dispose(&settled);
        /* Wait without holding the server thread (cached reviews on the same thread go on):
         * suspended until the worker resumes the request or the deadline. */
        pthread_mutex_lock(&j->mu);
        bool parked = !j->done && vg_httpd_suspend(r, deadline) == 0;
        if (parked) {
            j->req = r;
        }
        pthread_mutex_unlock(&j->mu);
        if (parked) {
            pk = vg_calloc(1, sizeof(*pk));
            *pk = (struct parked){.j = j,
                                  .rv = rv,
                                  .ps = ps,
                                  .start = start,
                                  .budget_ms = tmo - margin,
                                  .mutating = mutating};
            vg_httpd_set_ctx(r, pk);
            return 0;
        }
        job_wait(j, deadline);
        res = job_conclude(a, j, &ans, tmo - margin);
    }
    return finish(r, a, mutating, &rv, &ans, res, ps, start);
}

static int
validate_end(struct vg_httpd_req *r, void *ud)
{
    return handle(r, ud, false);
}

static int
mutate_end(struct vg_httpd_req *r, void *ud)
{
    return handle(r, ud, true);
}

/* A request gone while suspended (the server stopping): the worker must not resume it. */
static void
handler_done(struct vg_httpd_req *r, void *ud, bool completed)
{
    (void)completed;
    struct parked *pk = vg_httpd_ctx(r);
    if (!pk) {
        return;
    }
    vg_httpd_set_ctx(r, NULL);
    struct vg_admit_answer ans = {0};
    (void)job_conclude(ud, pk->j, &ans, pk->budget_ms);
    vg_admit_answer_dispose(&ans);
    pset_unref(pk->ps);
    vg_admit_review_dispose(&pk->rv);
    free(pk);
}

static void
metrics(struct vg_buf *out, void *ud)
{
    struct vg_admit *a = ud;
    struct vg_err *err = NULL;
    int rc = vg_buf_append_str(
        out,
        "# HELP vigil_admit_decisions_total Admission decisions by endpoint and result.\n"
        "# TYPE vigil_admit_decisions_total counter\n",
        &err);
    for (int m = 0; rc == 0 && m < 2; m++) {
        for (int i = 0; rc == 0 && i < R_COUNT; i++) {
            rc = vg_buf_appendf(out, &err,
                                "vigil_admit_decisions_total{endpoint=\"%s\",result=\"%s\"} %llu\n",
                                m ? "mutate" : "validate", result_names[i],
                                (unsigned long long)atomic_load(&a->counts[m][i]));
        }
    }
    if (rc == 0) {
        rc = vg_buf_appendf(
            out, &err,
            "# TYPE vigil_admit_cache_hits_total counter\nvigil_admit_cache_hits_total %llu\n"
            "# TYPE vigil_admit_cache_misses_total counter\nvigil_admit_cache_misses_total %llu\n"
            "# TYPE vigil_admit_policy_reloads_total counter\n"
            "vigil_admit_policy_reloads_total{result=\"ok\"} %llu\n"
            "vigil_admit_policy_reloads_total{result=\"error\"} %llu\n"
            "# TYPE vigil_admit_policy_generation gauge\nvigil_admit_policy_generation %llu\n"
            "# HELP vigil_admit_inline_decisions_total Decisions made on the request thread "
            "(no registry to wait on).\n"
            "# TYPE vigil_admit_inline_decisions_total counter\n"
            "vigil_admit_inline_decisions_total %llu\n"
            "# HELP vigil_admit_eval_threads_started_total Evaluation threads created.\n"
            "# TYPE vigil_admit_eval_threads_started_total counter\n"
            "vigil_admit_eval_threads_started_total %llu\n",
            (unsigned long long)atomic_load(&a->cache_hits),
            (unsigned long long)atomic_load(&a->cache_misses),
            (unsigned long long)atomic_load(&a->reloads),
            (unsigned long long)atomic_load(&a->reload_errors),
            (unsigned long long)vg_admit_generation(a),
            (unsigned long long)atomic_load(&a->inline_decisions),
            (unsigned long long)atomic_load(&a->pool_threads.started));
    }
    if (rc == 0) {
        rc = vg_admit_cold_metrics(&a->cold, out, &err);
    }
    vg_err_free(&err);
}

int
vg_admit_mount(struct vg_admit *a, struct vg_httpd *h, struct vg_err **err)
{
    struct vg_httpd_handler v = {.name = "admit",
                                 .prefix = "/validate",
                                 .methods = VG_HTTP_POST,
                                 .begin = handler_begin,
                                 .end = validate_end,
                                 .done = handler_done,
                                 .ud = a};
    struct vg_httpd_handler m = v;
    m.prefix = "/mutate";
    m.end = mutate_end;
    if (vg_httpd_route(h, &v, err) < 0 || vg_httpd_route(h, &m, err) < 0) {
        return -1;
    }
    vg_httpd_metrics_hook(h, metrics, a);
    return 0;
}
