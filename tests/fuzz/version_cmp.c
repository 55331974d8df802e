/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the version comparators and OSV range evaluation. Input: one byte picks
 * the scheme, the rest is split at the first '\n' into versions A and B. Every comparator
 * must terminate without memory errors on arbitrary bytes, be reflexive, antisymmetric
 * (A vs B is the negation of B vs A), and range evaluation must not crash on events built
 * from the same strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "version/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    enum vg_ver_scheme s = (enum vg_ver_scheme)(1 + data[0] % VG_VER_SCHEME_MAX);
    const char *rest = (const char *)data + 1;
    size_t n = size - 1;
    const char *nl = memchr(rest, '\n', n);
    size_t la = nl ? (size_t)(nl - rest) : n;
    char *a = vg_strndup(rest, la);
    char *b = vg_strndup(nl ? nl + 1 : "", nl ? n - la - 1 : 0);
    (void)vg_ver_valid(s, a); /* only crashes matter here */
    (void)vg_ver_valid(s, b);
    int x = vg_ver_cmp(s, a, b), y = vg_ver_cmp(s, b, a);
    if (x != -y || vg_ver_cmp(s, a, a) != 0 || vg_ver_cmp(s, b, b) != 0) {
        abort();
    }
    struct vg_err *err = NULL;
    int r;
    if (vg_ver_cmp_checked(&r, s, a, b, &err) < 0) {
        vg_err_free(&err);
    } else if (r != x) {
        abort();
    }
    const struct vg_ver_event ev[] = {
        {VG_EV_INTRODUCED, a}, {VG_EV_FIXED, b}, {VG_EV_LAST_AFFECTED, a}, {VG_EV_LIMIT, b}};
    (void)vg_ver_range_affected(s, ev, sizeof(ev) / sizeof(ev[0]), a);
    (void)vg_ver_range_affected(s, ev, sizeof(ev) / sizeof(ev[0]), b);
    free(a);
    free(b);
    return 0;
}
