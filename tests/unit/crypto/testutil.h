/* SPDX-License-Identifier: Apache-2.0
 *
 * Helpers for the crypto and sign unit tests: fixture paths (tests/data/sign, always present)
 * and the shared cosign interop vectors (SHARED_DIR or the compiled-in default; tests that
 * need them skip cleanly when the directory is absent).
 */
#ifndef VG_TEST_CRYPTO_UTIL_H
#define VG_TEST_CRYPTO_UTIL_H

#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>

#include "core/core.h"

#ifndef VG_TEST_DATA
#error "VG_TEST_DATA must name tests/data"
#endif
#ifndef VG_TEST_SHARED
#define VG_TEST_SHARED "/nonexistent"
#endif

static inline const char *
tu_shared_root(void)
{
    const char *d = getenv("SHARED_DIR");
    return d && *d ? d : VG_TEST_SHARED;
}

/* Path under shared/interop/cosign, or NULL when the vectors are absent. Caller frees. */
static inline char *
tu_vector(const char *rel)
{
    char *p = vg_fmt("%s/interop/cosign/%s", tu_shared_root(), rel);
    struct stat st;
    if (stat(p, &st) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

#define TU_REQUIRE_VECTOR(var, rel)                                                                \
    vg_autofree char *var = tu_vector(rel);                                                        \
    if (!var) {                                                                                    \
        cr_skip_test("cosign interop vectors absent (%s)", rel);                                   \
    }

static inline char *
tu_data(const char *rel)
{
    return vg_fmt("%s/sign/%s", VG_TEST_DATA, rel);
}

/* Reads a whole file (<= 16 MiB) or fails the test. */
static inline void
tu_read(struct vg_buf *b, const char *path)
{
    struct vg_err *err = NULL;
    vg_buf_init(b, 16u * 1024u * 1024u);
    if (vg_file_read(b, path, 16u * 1024u * 1024u, &err) < 0) {
        char *m = vg_err_format(err);
        cr_assert_fail("read %s: %s", path, m);
    }
}

static inline void
tu_read_data(struct vg_buf *b, const char *rel)
{
    char *p = tu_data(rel);
    tu_read(b, p);
    free(p);
}

static inline bool
tu_err_contains(const struct vg_err *err, const char *needle)
{
    char *m = vg_err_format(err);
    bool ok = m && strstr(m, needle) != NULL;
    free(m);
    return ok;
}

#define TU_ASSERT_OK(rc, err)                                                                      \
    do {                                                                                           \
        if ((rc) < 0) {                                                                            \
            char *m_ = vg_err_format(err);                                                         \
            cr_assert_fail("unexpected error: %s", m_);                                            \
        }                                                                                          \
    } while (0)

#endif
