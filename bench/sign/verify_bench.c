/* SPDX-License-Identifier: Apache-2.0
 *
 * Signature verification benchmark (bench/sign/run.sh starts the registry): pushes a small
 * image to REGISTRY/bench/sN for each N in {1, 10, 100}, signs it N times in cosign's legacy
 * layout (one key, N distinct payloads via an annotation, so N layers), then times R complete
 * verifications - resolve the tag, read the .sig manifest, fetch every payload, verify every
 * signature and its claims - each with a fresh registry client (new connection), as one
 * `vigil verify` would. Reports p50/p99 per verification and the share spent in registry
 * requests (network) versus everything else (crypto, parsing).
 *
 * Usage: verify_bench HOST:PORT [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

static void
die(struct vg_err **err, const char *what)
{
    char *m = vg_err_format(*err);
    fprintf(stderr, "verify_bench: %s: %s\n", what, m);
    exit(1);
}

static void
push_image(struct vg_registry_client *c, size_t n)
{
    struct vg_err *err = NULL;
    char cfg[128];
    int len = snprintf(cfg, sizeof(cfg), "{\"architecture\":\"amd64\",\"os\":\"linux\","
                       "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"n\":%zu}", n);
    struct vg_digest d, md;
    vg_digest_of(&d, VG_DIGEST_SHA256, cfg, (size_t)len);
    if (vg_registry_blob_upload(c, &d, cfg, (size_t)len, NULL, &err) < 0) {
        die(&err, "upload config");
    }
    char *m = vg_fmt("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
                     "\"size\":%d,\"digest\":\"%s\"},\"layers\":[]}",
                     VG_MT_OCI_MANIFEST, VG_MT_OCI_CONFIG, len, d.text);
    if (vg_registry_manifest_put(c, "v1", m, strlen(m), VG_MT_OCI_MANIFEST, &md, &err) < 0) {
        die(&err, "put manifest");
    }
    free(m);
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double
ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static void
bench(const char *host, size_t n, size_t rounds, const struct vg_crypto_key *key)
{
    struct vg_err *err = NULL;
    struct vg_oci_open_opts o = {.plain_http = true};
    char *image = vg_fmt("%s/bench/s%zu:v1", host, n);
    struct vg_sign_target *t = NULL;
    struct vg_oci_ref *ref = NULL;
    if (vg_oci_ref_parse(&ref, image, &err) < 0) {
        die(&err, image);
    }
    struct vg_registry_client *c = vg_registry_client_new(ref, &o, &err);
    if (!c) {
        die(&err, "client");
    }
    push_image(c, n);
    vg_registry_client_free(c);
    vg_oci_ref_free(ref);
    if (vg_sign_target_open(&t, image, &o, NULL, &err) < 0) {
        die(&err, "open");
    }
    for (size_t i = 0; i < n; i++) {
        char v[32];
        snprintf(v, sizeof(v), "%zu", i);
        struct vg_sign_kv kv = {"n", v};
        struct vg_sign_push_opts po = {.key = key, .annotations = &kv, .nannotations = 1};
        struct vg_sign_push_result res;
        if (vg_sign_target_sign(t, &po, &res, &err) < 0) {
            die(&err, "sign");
        }
        vg_sign_push_result_dispose(&res);
    }
    vg_sign_target_free(t);

    uint64_t *lat = calloc(rounds, sizeof(*lat));
    uint64_t net = 0, total = 0;
    const struct vg_crypto_key *keys[] = {key};
    for (size_t r = 0; r < rounds; r++) {
        uint64_t t0 = vg_now_ns();
        if (vg_sign_target_open(&t, image, &o, NULL, &err) < 0) {
            die(&err, "open");
        }
        uint64_t t1 = vg_now_ns();
        struct vg_sign_check_opts co = {.keys = keys, .nkeys = 1, .check_claims = true,
                                        .check_reference = true};
        struct vg_sign_check_result res;
        if (vg_sign_target_verify(t, &co, &res, &err) < 0) {
            die(&err, "verify");
        }
        uint64_t t2 = vg_now_ns();
        if (res.nverified != n) {
            fprintf(stderr, "verify_bench: %zu of %zu verified\n", res.nverified, n);
            exit(1);
        }
        lat[r] = t2 - t0;
        total += t2 - t0;
        net += (t1 - t0) + res.net_ns; /* resolving the tag is a registry request too */
        vg_sign_check_result_dispose(&res);
        vg_sign_target_free(t);
    }
    qsort(lat, rounds, sizeof(*lat), cmp_u64);
    size_t p99 = (rounds * 99 + 99) / 100 - 1;
    printf("%4zu signature(s): %5zu runs  p50 %8.3f ms  p99 %8.3f ms  network %5.1f%%  "
           "crypto+parse %5.1f%%  (%.3f ms/signature at p50)\n",
           n, rounds, ms(lat[rounds / 2]), ms(lat[p99]), 100.0 * (double)net / (double)total,
           100.0 * (double)(total - net) / (double)total, ms(lat[rounds / 2]) / (double)n);
    free(lat);
    free(image);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: verify_bench HOST:PORT [ROUNDS]\n");
        return 2;
    }
    uint64_t rounds = 200;
    if (argc > 2 && (vg_parse_u64(vg_str_c(argv[2]), 100000, &rounds) < 0 || rounds == 0)) {
        fprintf(stderr, "verify_bench: bad ROUNDS\n");
        return 2;
    }
    struct vg_err *err = NULL;
    struct vg_crypto_key *key = NULL;
    if (vg_crypto_init(&err) < 0 || vg_crypto_key_generate(&key, &err) < 0) {
        die(&err, "key");
    }
    const size_t sizes[] = {1, 10, 100};
    for (size_t i = 0; i < 3; i++) {
        size_t r = sizes[i] == 100 ? (size_t)(rounds / 4 ? rounds / 4 : 1) : (size_t)rounds;
        bench(argv[1], sizes[i], r, key);
    }
    vg_crypto_key_free(key);
    return 0;
}
