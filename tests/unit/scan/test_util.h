/* SPDX-License-Identifier: Apache-2.0
 *
 * Helpers shared by the scan unit tests: locating tests/data and ../shared. meson passes
 * VG_TEST_DATA; SHARED_DIR overrides the default ../shared beside the checkout.
 */
#ifndef VG_TEST_SCAN_UTIL_H
#define VG_TEST_SCAN_UTIL_H

#include <stdlib.h>

#include "core/core.h"

static inline char *
test_data_path(const char *rel)
{
    const char *d = getenv("VG_TEST_DATA");
    return vg_fmt("%s/%s", d ? d : "tests/data", rel);
}

static inline char *
shared_dir_path(const char *rel)
{
    const char *d = getenv("SHARED_DIR");
    const char *def = getenv("VG_SHARED_DEFAULT");
    return vg_fmt("%s/%s", d ? d : def ? def : "../shared", rel);
}

static inline struct vg_buf
test_read(const char *rel)
{
    struct vg_buf b = VG_BUF_INIT(256u * 1024u * 1024u);
    char *p = test_data_path(rel);
    if (vg_file_read(&b, p, b.max, NULL) < 0) {
        vg_buf_dispose(&b);
    }
    free(p);
    return b;
}

#endif
