/* SPDX-License-Identifier: Apache-2.0
 *
 * The bound on cold evaluations (admit_int.h, struct vg_admit_cold): slots per registry host
 * and a global ceiling, taken all at once under one lock, a queue in arrival order, and a scan
 * of the queue whenever slots are freed.
 */
#include "admit_int.h"

#include <string.h>

struct vg_admit_cold_host {
    char *name;
    unsigned running, waiting;
    struct vg_admit_cold_host *next;
};

void
vg_admit_cold_init(struct vg_admit_cold *c, unsigned per_host, unsigned total)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    c->per_host = per_host ? per_host : 1;
    c->total = total > c->per_host ? total : c->per_host;
    atomic_init(&c->unstarted, 0);
}

void
vg_admit_cold_dispose(struct vg_admit_cold *c)
{
    while (c->hosts) {
        struct vg_admit_cold_host *h = c->hosts;
        c->hosts = h->next;
        free(h->name);
        free(h);
    }
    pthread_mutex_destroy(&c->mu);
}

void
vg_admit_cold_req_add_host(struct vg_admit_cold_req *r, const char *host)
{
    char *name = vg_strdup(host);
    for (char *p = name; *p; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            *p = (char)(*p - 'A' + 'a');
        }
    }
    for (size_t i = 0; i < r->hosts.n; i++) {
        if (strcmp(r->hosts.v[i], name) == 0) {
            free(name);
            return;
        }
    }
    vg_vec_push(&r->hosts, name);
}

void
vg_admit_cold_req_dispose(struct vg_admit_cold_req *r)
{
    for (size_t i = 0; i < r->hosts.n; i++) {
        free(r->hosts.v[i]);
    }
    vg_vec_dispose(&r->hosts);
}

/* c->mu held. The host record of name, made when make is set (else NULL when absent). */
static struct vg_admit_cold_host *
host_get(struct vg_admit_cold *c, const char *name, bool make)
{
    for (struct vg_admit_cold_host *h = c->hosts; h; h = h->next) {
        if (strcmp(h->name, name) == 0) {
            return h;
        }
    }
    if (!make) {
        return NULL;
    }
    struct vg_admit_cold_host *h = vg_calloc(1, sizeof(*h));
    h->name = vg_strdup(name);
    h->next = c->hosts;
    c->hosts = h;
    return h;
}

/* c->mu held. Frees host records no review uses any more. */
static void
hosts_trim(struct vg_admit_cold *c)
{
    for (struct vg_admit_cold_host **pp = &c->hosts; *pp;) {
        struct vg_admit_cold_host *h = *pp;
        if (!h->running && !h->waiting) {
            *pp = h->next;
            free(h->name);
            free(h);
        } else {
            pp = &h->next;
        }
    }
}

/* c->mu held. Whether r could take its slots now. */
static bool
can_start(struct vg_admit_cold *c, const struct vg_admit_cold_req *r)
{
    if (c->running >= c->total) {
        return false;
    }
    for (size_t i = 0; i < r->hosts.n; i++) {
        const struct vg_admit_cold_host *h = host_get(c, r->hosts.v[i], false);
        if (h && h->running >= c->per_host) {
            return false;
        }
    }
    return true;
}

/* c->mu held. r takes its slots (all of them). */
static void
take(struct vg_admit_cold *c, struct vg_admit_cold_req *r)
{
    c->running++;
    for (size_t i = 0; i < r->hosts.n; i++) {
        host_get(c, r->hosts.v[i], true)->running++;
    }
    r->state = VG_ADMIT_COLD_RUNNING;
}

/* c->mu held. Unlinks a waiting r from the queue. */
static void
unqueue(struct vg_admit_cold *c, struct vg_admit_cold_req *r)
{
    if (r->qprev) {
        r->qprev->qnext = r->qnext;
    } else {
        c->head = r->qnext;
    }
    if (r->qnext) {
        r->qnext->qprev = r->qprev;
    } else {
        c->tail = r->qprev;
    }
    r->qnext = r->qprev = NULL;
    c->waiting--;
    for (size_t i = 0; i < r->hosts.n; i++) {
        host_get(c, r->hosts.v[i], true)->waiting--;
    }
}

bool
vg_admit_cold_enter(struct vg_admit_cold *c, struct vg_admit_cold_req *r)
{
    pthread_mutex_lock(&c->mu);
    /* Waiting reviews that could start have been started (leave() scans the queue), so a new
     * one only overtakes those held back by a registry it does not name. */
    bool run = can_start(c, r);
    if (run) {
        take(c, r);
    } else {
        r->state = VG_ADMIT_COLD_WAITING;
        r->qprev = c->tail;
        r->qnext = NULL;
        if (c->tail) {
            c->tail->qnext = r;
        } else {
            c->head = r;
        }
        c->tail = r;
        c->waiting++;
        for (size_t i = 0; i < r->hosts.n; i++) {
            host_get(c, r->hosts.v[i], true)->waiting++;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return run;
}

struct vg_admit_cold_req *
vg_admit_cold_leave(struct vg_admit_cold *c, struct vg_admit_cold_req *r)
{
    struct vg_admit_cold_req *ready = NULL, **tail = &ready;
    pthread_mutex_lock(&c->mu);
    c->running--;
    for (size_t i = 0; i < r->hosts.n; i++) {
        host_get(c, r->hosts.v[i], true)->running--;
    }
    r->state = VG_ADMIT_COLD_DONE;
    for (struct vg_admit_cold_req *w = c->head, *next; w && c->running < c->total; w = next) {
        next = w->qnext;
        if (can_start(c, w)) {
            unqueue(c, w);
            take(c, w);
            w->ready = NULL;
            *tail = w;
            tail = &w->ready;
        }
    }
    hosts_trim(c);
    pthread_mutex_unlock(&c->mu);
    return ready;
}

bool
vg_admit_cold_abandon(struct vg_admit_cold *c, struct vg_admit_cold_req *r, char **why)
{
    pthread_mutex_lock(&c->mu);
    bool waiting = r->state == VG_ADMIT_COLD_WAITING;
    if (waiting) {
        /* what held it back: the first of its registries without a free slot, else the
         * ceiling */
        const struct vg_admit_cold_host *full = NULL;
        for (size_t i = 0; i < r->hosts.n && !full; i++) {
            const struct vg_admit_cold_host *h = host_get(c, r->hosts.v[i], false);
            full = h && h->running >= c->per_host ? h : NULL;
        }
        if (full) {
            vg_autofree char *name = vg_escape(full->name, strlen(full->name), 200);
            *why = vg_fmt("%u registry checks running already on %s (at most %u at once per "
                          "registry, --max-cold)",
                          full->running, name, c->per_host);
        } else {
            *why = vg_fmt("%u registry checks running already (at most %u at once, "
                          "--max-cold-total)",
                          c->running, c->total);
        }
        unqueue(c, r);
        r->state = VG_ADMIT_COLD_ABANDONED;
        hosts_trim(c);
        atomic_fetch_add(&c->unstarted, 1);
    }
    pthread_mutex_unlock(&c->mu);
    return waiting;
}

unsigned
vg_admit_cold_running(struct vg_admit_cold *c)
{
    pthread_mutex_lock(&c->mu);
    unsigned n = c->running;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* A label value as Prometheus' text format wants it: \\, \" and \n escaped. */
static int
label(struct vg_buf *out, const char *s, struct vg_err **err)
{
    for (; *s; s++) {
        const char *e = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : *s == '\n' ? "\\n" : NULL;
        if ((e ? vg_buf_append_str(out, e, err) : vg_buf_append(out, s, 1, err)) < 0) {
            return -1;
        }
    }
    return 0;
}

int
vg_admit_cold_metrics(struct vg_admit_cold *c, struct vg_buf *out, struct vg_err **err)
{
    pthread_mutex_lock(&c->mu);
    int rc = vg_buf_appendf(
        out, err,
        "# HELP vigil_admit_cold_running Evaluations waiting on registries now (at most "
        "--max-cold per registry, --max-cold-total in all).\n"
        "# TYPE vigil_admit_cold_running gauge\nvigil_admit_cold_running %u\n"
        "# HELP vigil_admit_cold_waiting Reviews waiting for a free slot.\n"
        "# TYPE vigil_admit_cold_waiting gauge\nvigil_admit_cold_waiting %u\n"
        "# HELP vigil_admit_cold_unstarted_total Reviews denied because no evaluation could "
        "start before their deadline.\n# TYPE vigil_admit_cold_unstarted_total counter\n"
        "vigil_admit_cold_unstarted_total %llu\n"
        "# HELP vigil_admit_cold_registry_running Evaluations running per registry named (the "
        "registries of reviews running or waiting now).\n"
        "# TYPE vigil_admit_cold_registry_running gauge\n",
        c->running, c->waiting, (unsigned long long)atomic_load(&c->unstarted));
    for (const struct vg_admit_cold_host *h = c->hosts; rc == 0 && h; h = h->next) {
        rc = vg_buf_append_str(out, "vigil_admit_cold_registry_running{registry=\"", err) ||
             label(out, h->name, err) || vg_buf_appendf(out, err, "\"} %u\n", h->running);
    }
    if (rc == 0) {
        rc = vg_buf_append_str(out,
                               "# HELP vigil_admit_cold_registry_waiting Reviews waiting per "
                               "registry they name.\n"
                               "# TYPE vigil_admit_cold_registry_waiting gauge\n",
                               err);
    }
    for (const struct vg_admit_cold_host *h = c->hosts; rc == 0 && h; h = h->next) {
        rc = vg_buf_append_str(out, "vigil_admit_cold_registry_waiting{registry=\"", err) ||
             label(out, h->name, err) || vg_buf_appendf(out, err, "\"} %u\n", h->waiting);
    }
    pthread_mutex_unlock(&c->mu);
    return rc ? -1 : 0;
}
