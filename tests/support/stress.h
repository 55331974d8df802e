/* SPDX-License-Identifier: Apache-2.0
 *
 * Test support for the concurrency stress tests (tests/unit/<module>/stress_*.c): plain
 * programs that start threads on a shared object and check what they computed. They run in
 * every build (meson suites 'unit' and 'tsan'); `make check-tsan` runs them in the
 * ThreadSanitizer build, where a data race makes the program exit 66 (docs/internals/LOCKING.md
 * "Checking with ThreadSanitizer"). Header-only: include it as "../../support/stress.h".
 */
#ifndef VG_TEST_SUPPORT_STRESS_H
#define VG_TEST_SUPPORT_STRESS_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Fails the program with the condition and where it was checked. */
#define STRESS_CHECK(cond)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* Starts n threads running fn(arg_i) where arg_i = (char *)args + i * size, joins them all. */
static inline void
stress_run(unsigned n, void *(*fn)(void *), void *args, size_t size)
{
    pthread_t t[64];
    STRESS_CHECK(n <= 64);
    for (unsigned i = 0; i < n; i++) {
        STRESS_CHECK(pthread_create(&t[i], NULL, fn, (char *)args + (size_t)i * size) == 0);
    }
    for (unsigned i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
    }
}

#endif
