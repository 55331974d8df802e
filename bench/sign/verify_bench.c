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
 * Reference, timed in the same run: the bare HTTP requests cosign 3's lookup order makes for the
 * same image, one after another on one fresh keep-alive connection with plain libcurl (resolve
 * the tag, referrers API, fallback tag, `.sig` manifest, every payload blob) and nothing else:
 * no parsing, no crypto. vigil runs the lookups and the payload fetches in parallel, so it can
 * beat this floor when the registry has spare cores.
 *
 * Usage: verify_bench HOST:PORT [ROUNDS [SIZE...]]   (sizes: default 1 10 100)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "sign/sign.h"

static void
die(struct vg_err **err, const char *what)
{
    char *m = vg_err_format(*err);
    fprintf(stderr, "verify_bench: %s: %s\n", what, m);
    exit(1);
}

static size_t
discard(char *d, size_t sz, size_t n, void *u)
{
    (void)d;
    (void)u;
    return sz * n;
}

/* The reference: the same GETs, sequential, one fresh connection, no processing. */
static uint64_t
bare_requests(char **urls, size_t n)
{
    CURL *e = curl_easy_init();
    struct curl_slist *h =
        curl_slist_append(NULL, "Accept: application/vnd.oci.image.manifest.v1+json, "
                                "application/vnd.oci.image.index.v1+json");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    uint64_t t0 = vg_now_ns();
    for (size_t i = 0; i < n; i++) {
        curl_easy_setopt(e, CURLOPT_URL, urls[i]);
        if (curl_easy_perform(e) != CURLE_OK) {
            fprintf(stderr, "verify_bench: reference GET %s failed\n", urls[i]);
            exit(1);
        }
    }
    uint64_t dt = vg_now_ns() - t0;
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    return dt;
}

/* URLs of the reference requests for image (tag v1) with digest d. */
static char **
reference_urls(struct vg_oci_remote_client *c, const char *host, size_t n,
               const struct vg_digest *d, size_t *count)
{
    struct vg_err *err = NULL;
    const char *hex = vg_digest_hex(d);
    char *tag = vg_fmt("sha256-%s.sig", hex);
    struct vg_oci_remote_manifest m;
    if (vg_oci_remote_manifest_get(c, tag, &m, &err) < 0) {
        die(&err, "read .sig manifest");
    }
    json_t *j = json_loadb((const char *)m.data, m.len, 0, NULL);
    json_t *layers = json_object_get(j, "layers");
    size_t nl = json_array_size(layers);
    char **u = calloc(4 + nl, sizeof(*u));
    size_t k = 0;
    u[k++] = vg_fmt("http://%s/v2/bench/s%zu/manifests/v1", host, n);
    u[k++] = vg_fmt("http://%s/v2/bench/s%zu/referrers/%s", host, n, d->text);
    u[k++] = vg_fmt("http://%s/v2/bench/s%zu/manifests/sha256-%s", host, n, hex);
    u[k++] = vg_fmt("http://%s/v2/bench/s%zu/manifests/%s", host, n, tag);
    for (size_t i = 0; i < nl; i++) {
        const char *bd = json_string_value(json_object_get(json_array_get(layers, i), "digest"));
        u[k++] = vg_fmt("http://%s/v2/bench/s%zu/blobs/%s", host, n, bd ? bd : "none");
    }
    json_decref(j);
    vg_oci_remote_manifest_dispose(&m);
    free(tag);
    *count = k;
    return u;
}

static struct vg_digest pushed;

static void
push_image(struct vg_oci_remote_client *c, size_t n)
{
    struct vg_err *err = NULL;
    char cfg[128];
    int len = snprintf(cfg, sizeof(cfg),
                       "{\"architecture\":\"amd64\",\"os\":\"linux\","
                       "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"n\":%zu}",
                       n);
    struct vg_digest d, md;
    vg_digest_of(&d, VG_DIGEST_SHA256, cfg, (size_t)len);
    if (vg_oci_remote_blob_upload(c, &d, cfg, (size_t)len, NULL, &err) < 0) {
        die(&err, "upload config");
    }
    char *m = vg_fmt("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
                     "\"size\":%d,\"digest\":\"%s\"},\"layers\":[]}",
                     VG_MT_OCI_MANIFEST, VG_MT_OCI_CONFIG, len, d.text);
    if (vg_oci_remote_manifest_put(c, "v1", m, strlen(m), VG_MT_OCI_MANIFEST, &md, &err) < 0) {
        die(&err, "put manifest");
    }
    pushed = md;
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
    struct vg_oci_remote_client *c = vg_oci_remote_client_new(ref, &o, &err);
    if (!c) {
        die(&err, "client");
    }
    push_image(c, n);
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
    size_t nurls = 0;
    char **urls = reference_urls(c, host, n, &pushed, &nurls);
    vg_oci_remote_client_free(c);
    vg_oci_ref_free(ref);

    uint64_t *lat = calloc(rounds, sizeof(*lat));
    uint64_t *floor = calloc(rounds, sizeof(*floor));
    uint64_t net = 0, total = 0;
    const struct vg_crypto_key *keys[] = {key};
    for (size_t r = 0; r < rounds; r++) {
        uint64_t t0 = vg_now_ns();
        if (vg_sign_target_open(&t, image, &o, NULL, &err) < 0) {
            die(&err, "open");
        }
        uint64_t t1 = vg_now_ns();
        struct vg_sign_check_opts co = {
            .keys = keys, .nkeys = 1, .check_claims = true, .check_reference = true};
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
        floor[r] = bare_requests(urls, nurls);
        total += t2 - t0;
        net += (t1 - t0) + res.net_ns; /* resolving the tag is a registry request too */
        vg_sign_check_result_dispose(&res);
        vg_sign_target_free(t);
    }
    qsort(lat, rounds, sizeof(*lat), cmp_u64);
    qsort(floor, rounds, sizeof(*floor), cmp_u64);
    size_t p99 = (rounds * 99 + 99) / 100 - 1;
    printf("%4zu signature(s): %5zu runs  p50 %8.3f ms  p99 %8.3f ms  network %5.1f%%  "
           "crypto+parse %5.1f%%  (%.3f ms/signature at p50)\n",
           n, rounds, ms(lat[rounds / 2]), ms(lat[p99]), 100.0 * (double)net / (double)total,
           100.0 * (double)(total - net) / (double)total, ms(lat[rounds / 2]) / (double)n);
    printf("%4zu signature(s): reference, the %zu bare requests in sequence: p50 %8.3f ms  "
           "p99 %8.3f ms  -> vigil/reference at p50 %.2fx\n",
           n, nurls, ms(floor[rounds / 2]), ms(floor[p99]),
           (double)lat[rounds / 2] / (double)floor[rounds / 2]);
    for (size_t i = 0; i < nurls; i++) {
        free(urls[i]);
    }
    free(urls);
    free(floor);
    free(lat);
    free(image);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: verify_bench HOST:PORT [ROUNDS [SIZE...]]\n");
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
    size_t sizes[8] = {1, 10, 100}, nsizes = 3;
    if (argc > 3) {
        nsizes = 0;
        for (int a = 3; a < argc && nsizes < 8; a++) {
            uint64_t v = 0;
            if (vg_parse_u64(vg_str_c(argv[a]), 1000, &v) < 0 || v == 0) {
                fprintf(stderr, "verify_bench: bad size %s\n", argv[a]);
                return 2;
            }
            sizes[nsizes++] = (size_t)v;
        }
    }
    for (size_t i = 0; i < nsizes; i++) {
        size_t r = sizes[i] >= 100 ? (size_t)(rounds / 4 ? rounds / 4 : 1) : (size_t)rounds;
        bench(argv[1], sizes[i], r, key);
    }
    vg_crypto_key_free(key);
    return 0;
}
