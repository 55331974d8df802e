/* SPDX-License-Identifier: Apache-2.0
 *
 * Inflate while analysing: a layer's decompression stage (lz.c: reading the blob, which
 * verifies its digest, and inflating) runs on a thread of its own and hands the plain chunks
 * to the tar walker through a small ring of fixed buffers; the walker hashes them (diffID),
 * which balances the two threads (inflating is the heavier half). On a
 * 2-core machine the largest layer, which bounds a scan's time, then costs about
 * max(inflate, parse + analyse) instead of their sum.
 *
 * The producer stops at the end of the stream, on its first error (kept for the consumer,
 * which reports it in order, after the chunks before it) or when the consumer closes the
 * pipe early (a tar or analyzer error). Memory: PIPE_SLOTS buffers of VG_LAYERS_OUT_BUF.
 */
#include "layers_int.h"

#include <pthread.h>
#include <string.h>

#define PIPE_SLOTS 8u

struct slot {
    uint8_t *data;
    size_t len;
};

struct vg_lz_pipe {
    struct vg_lz *lz;
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slot slots[PIPE_SLOTS];
    size_t head;   /* next slot the producer fills */
    size_t tail;   /* next slot the consumer reads */
    bool holding;  /* the consumer holds slot tail-1 (returned by the last pull) */
    bool ended;    /* the producer published the end of the stream */
    bool failed;   /* the producer stopped on perr */
    bool stop;     /* the consumer closed the pipe */
    bool eof_seen; /* the consumer has been handed the end */
    struct vg_err *perr;
};

static void *
producer(void *arg)
{
    struct vg_lz_pipe *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->stop && p->head - p->tail >= PIPE_SLOTS) {
            pthread_cond_wait(&p->cv, &p->mu);
        }
        bool stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop) {
            return NULL;
        }
        /* Slot head is not visible to the consumer until head moves: fill it unlocked. */
        struct slot *s = &p->slots[p->head % PIPE_SLOTS];
        const uint8_t *d = NULL;
        size_t n = 0;
        struct vg_err *e = NULL;
        int rc = vg_lz_pull(p->lz, &d, &n, &e);
        if (rc == 0 && n > VG_LAYERS_OUT_BUF) {
            rc = vg_err_set(&e, VG_E_INTERNAL, "decompressed chunk larger than the pipe slot");
        }
        if (rc == 0 && n > 0) {
            memcpy(s->data, d, n);
        }
        s->len = n;
        pthread_mutex_lock(&p->mu);
        if (rc < 0) {
            p->perr = e;
            p->failed = true;
        } else {
            p->head++;
            p->ended = n == 0;
        }
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (rc < 0 || n == 0) {
            return NULL;
        }
    }
}

int
vg_lz_pipe_start(struct vg_lz_pipe **out, struct vg_lz *lz, struct vg_err **err)
{
    struct vg_lz_pipe *p = vg_calloc(1, sizeof(*p));
    p->lz = lz;
    for (size_t i = 0; i < PIPE_SLOTS; i++) {
        p->slots[i].data = vg_malloc(VG_LAYERS_OUT_BUF);
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->tid, NULL, producer, p) != 0) {
        for (size_t i = 0; i < PIPE_SLOTS; i++) {
            free(p->slots[i].data);
        }
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p);
        *out = NULL;
        return vg_err_set(err, VG_E_INTERNAL, "cannot start the decompression thread");
    }
    *out = p;
    return 0;
}

int
vg_lz_pipe_pull(struct vg_lz_pipe *p, const uint8_t **data, size_t *len, struct vg_err **err)
{
    *data = NULL;
    *len = 0;
    pthread_mutex_lock(&p->mu);
    if (p->holding) {
        p->holding = false;
        p->tail++; /* the slot handed out last time is free again */
        pthread_cond_broadcast(&p->cv);
    }
    while (p->tail == p->head && !p->failed && !p->eof_seen) {
        pthread_cond_wait(&p->cv, &p->mu);
    }
    int rc = 0;
    if (p->eof_seen) {
        rc = 0;
    } else if (p->tail < p->head) {
        struct slot *s = &p->slots[p->tail % PIPE_SLOTS];
        if (s->len == 0) {
            p->eof_seen = true;
            p->tail++;
        } else {
            *data = s->data;
            *len = s->len;
            p->holding = true;
        }
    } else { /* failed, every chunk before the error consumed */
        *err = vg_steal_ptr(&p->perr);
        rc = -(int)vg_err_root_code(*err);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void
vg_lz_pipe_close(struct vg_lz_pipe *p)
{
    if (!p) {
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->tid, NULL);
    vg_err_free(&p->perr);
    for (size_t i = 0; i < PIPE_SLOTS; i++) {
        free(p->slots[i].data);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}
