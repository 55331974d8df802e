/* SPDX-License-Identifier: Apache-2.0
 *
 * Checked growth of arrays: the one place that multiplies an element count by an element size
 * for realloc. Overflow of that product aborts like out-of-memory does: counts that come from
 * input are checked against a limits.h bound before they get here, so an overflow is a bug,
 * not a hostile input. Typed use goes through the VG_VEC macros in core.h.
 */
#include "core.h"

#include <string.h>
#include <unistd.h>

static void
overflow(void)
{
    static const char msg[] = "vigil: array size overflow\n";
    ssize_t w = write(2, msg, sizeof(msg) - 1);
    (void)w; /* nothing left to do if even this fails */
    abort();
}

void *
vg_reallocarray(void *p, size_t n, size_t elem)
{
    size_t bytes;
    if (vg_ckd_mul(&bytes, n, elem)) {
        overflow();
    }
    return vg_realloc(p, bytes);
}

size_t
vg_size_add_or_abort(size_t a, size_t b)
{
    size_t r;
    if (vg_ckd_add(&r, a, b)) {
        overflow();
    }
    return r;
}

void *
vg_vec_grow(void *p, size_t *cap, size_t n, size_t extra, size_t elem)
{
    size_t need;
    if (vg_ckd_add(&need, n, extra)) {
        overflow();
    }
    if (need <= *cap) {
        return p;
    }
    /* Doubling keeps pushes amortised O(1); the first allocation holds a few elements. */
    size_t nc = *cap ? *cap : 4;
    while (nc < need) {
        if (vg_ckd_mul(&nc, nc, (size_t)2)) {
            nc = need;
            break;
        }
    }
    void *q = vg_reallocarray(p, nc, elem);
    *cap = nc;
    return q;
}
