/* SPDX-License-Identifier: Apache-2.0
 *
 * Lookup latency of the vulnerability database: reads "ecosystem<TAB>name" lines from a file,
 * runs vg_vulndb_query (all advisories of the package) or, with a VERSION, the scan path
 * vg_vulndb_query_affecting, frees the result, and prints mean / p50 / p99 / max in
 * microseconds. Built by bench/vulndb/run.sh against the static libraries of a build dir.
 *
 * Usage: lookup_bench DB PAIRS_FILE ROUNDS [VERSION]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vulndb/vulndb.h"

/* CPU time of this thread: unlike wall time, not inflated when the machine is busy. */
static uint64_t
cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s DB PAIRS_FILE ROUNDS [VERSION]\n", argv[0]);
        return 2;
    }
    uint64_t rounds = 1;
    const char *version = argc > 4 ? argv[4] : NULL;
    if (argc > 3 && vg_parse_u64(vg_str_c(argv[3]), 1000, &rounds) < 0) {
        fprintf(stderr, "bad ROUNDS\n");
        return 2;
    }
    struct vg_err *err = NULL;
    struct vg_buf pairs = VG_BUF_INIT(256u * 1024u * 1024u);
    if (vg_file_read(&pairs, argv[2], pairs.max, &err) < 0) {
        fprintf(stderr, "read %s failed\n", argv[2]);
        return 1;
    }
    char **eco = NULL, **name = NULL;
    size_t n = 0;
    struct vg_str s = {(const char *)pairs.data, pairs.len}, line, rest, e, nm;
    while (s.len) {
        vg_str_cut(s, '\n', &line, &rest);
        if (vg_str_cut(line, '\t', &e, &nm)) {
            eco = vg_realloc(eco, (n + 1) * sizeof(char *));
            name = vg_realloc(name, (n + 1) * sizeof(char *));
            eco[n] = vg_str_dup(e);
            name[n] = vg_str_dup(nm);
            n++;
        }
        s = rest;
    }
    struct vg_vulndb *db = NULL;
    if (vg_vulndb_open(&db, argv[1], true, &err) < 0) {
        char *m = vg_err_format(err);
        fprintf(stderr, "open: %s\n", m);
        free(m);
        return 1;
    }
    uint64_t *lat = vg_calloc(n * rounds, sizeof(uint64_t));
    uint64_t hits = 0, total = 0, miss_total = 0, misses = 0;
    uint64_t cpu0 = cpu_ns();
    for (uint64_t r = 0; r < rounds; r++) {
        for (size_t i = 0; i < n; i++) {
            struct vg_vulndb_result res = {0};
            uint64_t t0 = vg_now_ns();
            int rc = version
                         ? vg_vulndb_query_affecting(&res, db, eco[i], name[i], 0, version, &err)
                         : vg_vulndb_query(&res, db, eco[i], name[i], &err);
            if (rc < 0) {
                fprintf(stderr, "query failed\n");
                return 1;
            }
            hits += res.n;
            bool miss = res.n == 0;
            vg_vulndb_result_dispose(&res);
            lat[r * n + i] = vg_now_ns() - t0;
            total += lat[r * n + i];
            if (miss) {
                miss_total += lat[r * n + i];
                misses++;
            }
        }
    }
    uint64_t cpu = cpu_ns() - cpu0;
    size_t m = n * rounds;
    qsort(lat, m, sizeof(uint64_t), cmp_u64);
    printf("cpu_mean_us=%.2f ", (double)cpu / (double)(n * rounds) / 1000.0);
    printf("%s lookups=%zu advisories_returned=%llu mean_us=%.2f p50_us=%.2f p99_us=%.2f "
           "max_us=%.2f empty_results=%llu empty_mean_us=%.2f nonempty_mean_us=%.2f\n",
           version ? "query_affecting" : "query", m, (unsigned long long)hits,
           (double)total / (double)m / 1000.0, (double)lat[m / 2] / 1000.0,
           (double)lat[m * 99 / 100] / 1000.0, (double)lat[m - 1] / 1000.0,
           (unsigned long long)misses, misses ? (double)miss_total / (double)misses / 1000.0 : 0.0,
           m > misses ? (double)(total - miss_total) / (double)(m - misses) / 1000.0 : 0.0);
    vg_vulndb_close(db);
    for (size_t i = 0; i < n; i++) {
        free(eco[i]);
        free(name[i]);
    }
    free(eco);
    free(name);
    free(lat);
    vg_buf_dispose(&pairs);
    return 0;
}
