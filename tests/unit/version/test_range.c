/* SPDX-License-Identifier: Apache-2.0
 *
 * OSV range evaluation (vg_ver_range_affected): the schema's "Evaluation" pseudocode — sort the
 * events by version ("0" first), walk them, apply limits — including unsorted records,
 * several introduced/fixed pairs, last_affected, limits, ties and broken events.
 */
#include <criterion/criterion.h>

#include "version/version.h"

#define EV(k, v)                                                                                   \
    {                                                                                              \
        VG_EV_##k, v                                                                               \
    }
#define N(arr) (sizeof(arr) / sizeof((arr)[0]))

Test(version_range, introduced_zero_fixed)
{
    const struct vg_ver_event ev[] = {EV(INTRODUCED, "0"), EV(FIXED, "1.2.3")};
    cr_expect(vg_ver_range_affected(VG_VER_SEMVER, ev, N(ev), "0.0.1"));
    cr_expect(vg_ver_range_affected(VG_VER_SEMVER, ev, N(ev), "1.2.3-rc.1"));
    cr_expect_not(vg_ver_range_affected(VG_VER_SEMVER, ev, N(ev), "1.2.3"));
    cr_expect_not(vg_ver_range_affected(VG_VER_SEMVER, ev, N(ev), "2.0.0"));
}

Test(version_range, only_introduced_means_unfixed)
{
    const struct vg_ver_event ev[] = {EV(INTRODUCED, "1.0-1")};
    cr_expect_not(vg_ver_range_affected(VG_VER_DEB, ev, N(ev), "1.0-0"));
    cr_expect(vg_ver_range_affected(VG_VER_DEB, ev, N(ev), "1.0-1"));
    cr_expect(vg_ver_range_affected(VG_VER_DEB, ev, N(ev), "99:1"));
}

Test(version_range, several_pairs_unsorted)
{
    /* given out of order on purpose: the spec sorts before walking */
    const struct vg_ver_event ev[] = {EV(FIXED, "2.0.5"),      EV(INTRODUCED, "3.0.0"),
                                      EV(FIXED, "1.4.2"),      EV(INTRODUCED, "2.0.0"),
                                      EV(INTRODUCED, "1.0.0"), EV(FIXED, "3.1.0")};
    const char *yes[] = {"1.0.0", "1.4.1", "2.0.0", "2.0.4", "3.0.0", "3.0.9"};
    const char *no[] = {"0.9.9", "1.4.2", "1.9.9", "2.0.5", "2.9.9", "3.1.0", "4.0.0"};
    for (size_t i = 0; i < N(yes); i++) {
        cr_expect(vg_ver_range_affected(VG_VER_SEMVER, ev, N(ev), yes[i]), "%s", yes[i]);
    }
    for (size_t i = 0; i < N(no); i++) {
        cr_expect_not(vg_ver_range_affected(VG_VER_SEMVER, ev, N(ev), no[i]), "%s", no[i]);
    }
}

Test(version_range, last_affected)
{
    const struct vg_ver_event ev[] = {EV(INTRODUCED, "0"), EV(LAST_AFFECTED, "2.1.214")};
    cr_expect(vg_ver_range_affected(VG_VER_MAVEN, ev, N(ev), "2.1.214"));
    cr_expect(vg_ver_range_affected(VG_VER_MAVEN, ev, N(ev), "2.1.214-SNAPSHOT"));
    cr_expect_not(vg_ver_range_affected(VG_VER_MAVEN, ev, N(ev), "2.1.215"));
    cr_expect_not(vg_ver_range_affected(VG_VER_MAVEN, ev, N(ev), "2.1.214-sp"));
}

Test(version_range, limits)
{
    const struct vg_ver_event ev[] = {EV(INTRODUCED, "1.0"), EV(LIMIT, "1.5"), EV(LIMIT, "2.5")};
    cr_expect(vg_ver_range_affected(VG_VER_PEP440, ev, N(ev), "1.0"));
    cr_expect(vg_ver_range_affected(VG_VER_PEP440, ev, N(ev), "2.4"));
    cr_expect_not(vg_ver_range_affected(VG_VER_PEP440, ev, N(ev), "2.5"));
    cr_expect_not(vg_ver_range_affected(VG_VER_PEP440, ev, N(ev), "0.9"));
    const struct vg_ver_event inf[] = {EV(INTRODUCED, "1.0"), EV(LIMIT, "*")};
    cr_expect(vg_ver_range_affected(VG_VER_PEP440, inf, N(inf), "100.0"));
}

Test(version_range, ties_keep_record_order)
{
    /* introduced and fixed at the same version: stable sort keeps the record's order */
    const struct vg_ver_event a[] = {EV(INTRODUCED, "1.0.0"), EV(FIXED, "1.0.0")};
    cr_expect_not(vg_ver_range_affected(VG_VER_SEMVER, a, N(a), "1.0.0"));
    const struct vg_ver_event b[] = {EV(FIXED, "1.0.0"), EV(INTRODUCED, "1.0.0")};
    cr_expect(vg_ver_range_affected(VG_VER_SEMVER, b, N(b), "1.0.0"));
    /* "1.0" and "1.0.0" tie in PEP 440 too */
    const struct vg_ver_event c[] = {EV(INTRODUCED, "1.0"), EV(FIXED, "1.0.0")};
    cr_expect_not(vg_ver_range_affected(VG_VER_PEP440, c, N(c), "1.0"));
}

Test(version_range, zero_sorts_first_even_when_invalid_for_scheme)
{
    /* "0" is not a valid Go version but still means "from the beginning" */
    const struct vg_ver_event ev[] = {EV(FIXED, "v0.0.1"), EV(INTRODUCED, "0")};
    cr_expect(vg_ver_range_affected(VG_VER_GO, ev, N(ev), "v0.0.0-20200101000000-abcdefabcdef"));
    cr_expect_not(vg_ver_range_affected(VG_VER_GO, ev, N(ev), "v0.0.1"));
}

Test(version_range, ecosystem_schemes)
{
    const struct vg_ver_event deb[] = {EV(INTRODUCED, "0"), EV(FIXED, "1:2.3-1")};
    cr_expect(vg_ver_range_affected(VG_VER_DEB, deb, N(deb), "2.9-9"));
    cr_expect_not(vg_ver_range_affected(VG_VER_DEB, deb, N(deb), "1:2.3-1"));
    const struct vg_ver_event apk[] = {EV(INTRODUCED, "0"), EV(FIXED, "1.2.3-r2")};
    cr_expect(vg_ver_range_affected(VG_VER_APK, apk, N(apk), "1.2.3-r1"));
    cr_expect(vg_ver_range_affected(VG_VER_APK, apk, N(apk), "1.2.3_rc1-r5"));
    cr_expect_not(vg_ver_range_affected(VG_VER_APK, apk, N(apk), "1.2.3_p1"));
    const struct vg_ver_event go[] = {EV(INTRODUCED, "1.21.0-0"), EV(FIXED, "1.21.4")};
    cr_expect(vg_ver_range_affected(VG_VER_GO, go, N(go), "go1.21.3"));
    cr_expect(vg_ver_range_affected(VG_VER_GO, go, N(go), "go1.21rc1"));
    cr_expect_not(vg_ver_range_affected(VG_VER_GO, go, N(go), "go1.21.4"));
    cr_expect_not(vg_ver_range_affected(VG_VER_GO, go, N(go), "go1.20.9"));
}

Test(version_range, degenerate)
{
    cr_expect_not(vg_ver_range_affected(VG_VER_SEMVER, NULL, 0, "1.0.0"));
    const struct vg_ver_event ev[] = {EV(INTRODUCED, NULL), EV(INTRODUCED, "0")};
    cr_expect(vg_ver_range_affected(VG_VER_SEMVER, ev, N(ev), "1.0.0"));
    cr_expect_not(vg_ver_range_affected(VG_VER_SEMVER, ev, N(ev), NULL));
    const struct vg_ver_event lim_only[] = {EV(LIMIT, "2.0.0")};
    cr_expect_not(vg_ver_range_affected(VG_VER_SEMVER, lim_only, N(lim_only), "1.0.0"));
}

Test(version_range, many_events)
{
    /* 20000 alternating events in reverse order: sorting is O(n log n), not quadratic */
    size_t n = 20000;
    struct vg_ver_event *ev = calloc(n, sizeof(*ev));
    char(*vers)[16] = calloc(n, sizeof(*vers));
    cr_assert(ev && vers);
    for (size_t i = 0; i < n; i++) {
        size_t k = n - 1 - i;
        snprintf(vers[i], sizeof(vers[i]), "%zu.0.0", k);
        ev[i].kind = (k % 2 == 0) ? VG_EV_INTRODUCED : VG_EV_FIXED;
        ev[i].version = vers[i];
    }
    cr_expect(vg_ver_range_affected(VG_VER_SEMVER, ev, n, "10.5.0"));
    cr_expect_not(vg_ver_range_affected(VG_VER_SEMVER, ev, n, "11.5.0"));
    free(ev);
    free(vers);
}
