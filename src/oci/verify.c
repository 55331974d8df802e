/* SPDX-License-Identifier: Apache-2.0
 *
 * The blob verifier: a streaming digest plus a byte count that every source's blob stream is
 * wrapped with, and that the registry server feeds an upload through. It fails as soon as more
 * bytes than the expected size arrive (so a lying or endless stream is cut off at size + 1
 * bytes, never buffered), and at the end checks the exact size and the digest, the expected
 * digest given either up front (a descriptor) or only at the end (an upload's ?digest=).
 * Failures carry the Distribution code a server answers with (SIZE_INVALID, DIGEST_INVALID).
 * It does no I/O of its own.
 */
#include "oci.h"

struct vg_oci_verifier {
    struct vg_digest want;
    bool has_want;
    enum vg_digest_alg alg;
    bool has_size;
    uint64_t size;
    uint64_t seen;
    struct vg_hasher *h;
    bool failed;
    bool finished; /* the hasher is consumed by finish; later calls are errors */
    enum vg_oci_dist_code code;
};

struct vg_oci_verifier *
vg_oci_verifier_new(const struct vg_digest *want, uint64_t size)
{
    struct vg_oci_verifier *v = vg_calloc(1, sizeof(*v));
    v->want = *want;
    v->has_want = true;
    v->alg = want->alg;
    v->size = size;
    v->has_size = true;
    v->h = vg_hasher_new(want->alg);
    return v;
}

struct vg_oci_verifier *
vg_oci_verifier_new_alg(enum vg_digest_alg alg, int64_t size)
{
    struct vg_oci_verifier *v = vg_calloc(1, sizeof(*v));
    v->alg = alg;
    v->has_size = size >= 0;
    v->size = size >= 0 ? (uint64_t)size : 0;
    v->h = vg_hasher_new(alg);
    return v;
}

/* "blob sha256:..." or "upload" when the digest is not known yet. */
static const char *
what(const struct vg_oci_verifier *v, const struct vg_digest *want)
{
    return want ? want->text : v->has_want ? v->want.text : "(digest not given)";
}

int
vg_oci_verifier_update(struct vg_oci_verifier *v, const void *data, size_t n, struct vg_err **err)
{
    uint64_t total;
    if (v->failed || v->finished) {
        return vg_err_set(err, VG_E_VERIFY, "blob %s: read after the end of verification",
                          what(v, NULL));
    }
    if (vg_ckd_add(&total, v->seen, (uint64_t)n) || (v->has_size && total > v->size)) {
        v->failed = true;
        v->code = VG_OCI_DIST_SIZE_INVALID;
        return vg_err_set(err, VG_E_VERIFY,
                          "blob %s: more data than the declared size of %llu bytes", what(v, NULL),
                          (unsigned long long)v->size);
    }
    vg_hasher_update(v->h, data, n);
    v->seen = total;
    return 0;
}

int
vg_oci_verifier_finish_as(struct vg_oci_verifier *v, const struct vg_digest *want,
                          struct vg_digest *got, struct vg_err **err)
{
    if (v->failed || v->finished) {
        return vg_err_set(err, VG_E_VERIFY, "blob %s: verification already finished",
                          what(v, want));
    }
    v->finished = true;
    struct vg_digest d;
    vg_hasher_final(v->h, &d);
    if (got) {
        *got = d;
    }
    if (v->has_size && v->seen != v->size) {
        v->code = VG_OCI_DIST_SIZE_INVALID;
        return vg_err_set(err, VG_E_VERIFY,
                          "blob %s: size mismatch: got %llu bytes, descriptor says %llu",
                          what(v, want), (unsigned long long)v->seen, (unsigned long long)v->size);
    }
    if (!want && v->has_want) {
        want = &v->want;
    }
    if (want && !vg_digest_eq(&d, want)) {
        v->code = VG_OCI_DIST_DIGEST_INVALID;
        return vg_err_set(err, VG_E_VERIFY, "blob %s: digest mismatch: content hashes to %s",
                          want->text, d.text);
    }
    return 0;
}

int
vg_oci_verifier_finish(struct vg_oci_verifier *v, struct vg_err **err)
{
    return vg_oci_verifier_finish_as(v, NULL, NULL, err);
}

enum vg_oci_dist_code
vg_oci_verifier_code(const struct vg_oci_verifier *v)
{
    return v->code;
}

uint64_t
vg_oci_verifier_seen(const struct vg_oci_verifier *v)
{
    return v->seen;
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
