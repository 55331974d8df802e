/* SPDX-License-Identifier: Apache-2.0
 *
 * The blob verifier: a streaming digest plus a byte count that every source's blob stream is
 * wrapped with. It fails as soon as more bytes than the descriptor's size arrive (so a lying
 * or endless stream is cut off at size + 1 bytes, never buffered), and at the end checks the
 * exact size and the digest. It does no I/O of its own.
 */
#include "oci.h"

struct vg_oci_verifier {
    struct vg_digest want;
    uint64_t size;
    uint64_t seen;
    struct vg_hasher *h;
    bool failed;
    bool finished; /* the hasher is consumed by finish; later calls are errors */
};

struct vg_oci_verifier *
vg_oci_verifier_new(const struct vg_digest *want, uint64_t size)
{
    struct vg_oci_verifier *v = vg_calloc(1, sizeof(*v));
    v->want = *want;
    v->size = size;
    v->h = vg_hasher_new(want->alg);
    return v;
}

int
vg_oci_verifier_update(struct vg_oci_verifier *v, const void *data, size_t n, struct vg_err **err)
{
    uint64_t total;
    if (v->failed || v->finished) {
        return vg_err_set(err, VG_E_VERIFY, "blob %s: read after the end of verification",
                          v->want.text);
    }
    if (vg_ckd_add(&total, v->seen, (uint64_t)n) || total > v->size) {
        v->failed = true;
        return vg_err_set(err, VG_E_VERIFY,
                          "blob %s: more data than the declared size of %llu bytes", v->want.text,
                          (unsigned long long)v->size);
    }
    vg_hasher_update(v->h, data, n);
    v->seen = total;
    return 0;
}

int
vg_oci_verifier_finish(struct vg_oci_verifier *v, struct vg_err **err)
{
    if (v->failed || v->finished) {
        return vg_err_set(err, VG_E_VERIFY, "blob %s: verification already finished", v->want.text);
    }
    v->finished = true;
    if (v->seen != v->size) {
        return vg_err_set(err, VG_E_VERIFY,
                          "blob %s: size mismatch: got %llu bytes, descriptor says %llu",
                          v->want.text, (unsigned long long)v->seen, (unsigned long long)v->size);
    }
    struct vg_digest got;
    vg_hasher_final(v->h, &got);
    if (!vg_digest_eq(&got, &v->want)) {
        return vg_err_set(err, VG_E_VERIFY, "blob %s: digest mismatch: content hashes to %s",
                          v->want.text, got.text);
    }
    return 0;
}

void
vg_oci_verifier_free(struct vg_oci_verifier *v)
{
    if (!v) {
        return;
    }
    vg_hasher_free(v->h);
    free(v);
}
