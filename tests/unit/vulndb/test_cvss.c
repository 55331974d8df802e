/* SPDX-License-Identifier: Apache-2.0
 *
 * CVSS scoring against the specifications' published examples (v2 guide §3.3, v3.1
 * specification §8 examples document, v4.0 calculator) and the strict parser's refusals.
 * A wider cross-check (17 000 random vectors against an independent implementation) lives
 * in tests/e2e/test_db.py and runs when node and ae-cvss-calculator are available.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "vulndb/vulndb.h"

static void
expect(const char *vec, double want, enum vg_cvss_version wantv)
{
    double got = -1;
    enum vg_cvss_version v = 0;
    struct vg_err *err = NULL;
    int rc = vg_cvss_score(vec, &got, &v, &err);
    cr_assert_eq(rc, 0, "%s: %s", vec, err && err->msg ? err->msg : "");
    cr_assert_eq(v, wantv, "%s: version %d", vec, (int)v);
    cr_assert(fabs(got - want) < 1e-9, "%s: got %.2f want %.1f", vec, got, want);
}

static void
refuse(const char *vec)
{
    double got = -1;
    enum vg_cvss_version v = 0;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_cvss_score(vec, &got, &v, &err), 0, "accepted %s", vec);
    cr_assert_not_null(err);
    vg_err_free(&err);
}

Test(vulndb_cvss, v2_guide_examples)
{
    expect("AV:N/AC:L/Au:N/C:N/I:N/A:C", 7.8, VG_CVSS_V2);  /* CVE-2002-0392 */
    expect("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0, VG_CVSS_V2); /* CVE-2003-0818 */
    expect("AV:L/AC:H/Au:N/C:C/I:C/A:C", 6.2, VG_CVSS_V2);  /* CVE-2003-0062 */
    expect("(AV:N/AC:L/Au:N/C:P/I:P/A:P)", 7.5, VG_CVSS_V2);
    expect("CVSS:2.0/AV:N/AC:M/Au:N/C:P/I:N/A:N", 4.3, VG_CVSS_V2);
    expect("AV:N/AC:L/Au:N/C:N/I:N/A:N", 0.0, VG_CVSS_V2);
    expect("AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C", 7.8, VG_CVSS_V2); /* temporal ignored */
}

Test(vulndb_cvss, v3_specification_examples)
{
    expect("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, VG_CVSS_V31); /* CVE-2013-1937 */
    expect("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, VG_CVSS_V31); /* CVE-2013-0375 */
    expect("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, VG_CVSS_V31); /* CVE-2014-3566 */
    expect("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, VG_CVSS_V31); /* CVE-2014-0160 */
    expect("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, VG_CVSS_V31); /* CVE-2014-6271 */
    expect("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8, VG_CVSS_V31); /* CVE-2016-1645 */
    expect("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, VG_CVSS_V30);
    expect("CVSS:3.0/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, VG_CVSS_V30);
    expect("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L", 5.6, VG_CVSS_V31);
    /* order is free and temporal/environmental metrics do not change the base score */
    expect("CVSS:3.1/S:U/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H/E:U/RL:O", 9.8, VG_CVSS_V31);
}

Test(vulndb_cvss, v4_examples)
{
    expect("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0, VG_CVSS_V40);
    expect("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 6.9, VG_CVSS_V40);
    expect("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, VG_CVSS_V40);
    expect("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.5, VG_CVSS_V40);
    /* values cross-checked against an independent implementation (ae-cvss-calculator) */
    expect("CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:P/VC:N/VI:H/VA:L/SC:H/SI:H/SA:H", 7.2, VG_CVSS_V40);
    expect("CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:N/VC:N/VI:H/VA:N/SC:H/SI:H/SA:H", 7.0, VG_CVSS_V40);
    expect("CVSS:4.0/AV:P/AC:L/AT:P/PR:N/UI:N/VC:N/VI:L/VA:L/SC:N/SI:H/SA:H", 2.1, VG_CVSS_V40);
    expect("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0, VG_CVSS_V40);
}

Test(vulndb_cvss, severity_bands)
{
    cr_assert_eq(vg_cvss_severity(0.0, VG_CVSS_V31), VG_SEV_NONE);
    cr_assert_eq(vg_cvss_severity(0.1, VG_CVSS_V31), VG_SEV_LOW);
    cr_assert_eq(vg_cvss_severity(3.9, VG_CVSS_V31), VG_SEV_LOW);
    cr_assert_eq(vg_cvss_severity(4.0, VG_CVSS_V31), VG_SEV_MEDIUM);
    cr_assert_eq(vg_cvss_severity(6.9, VG_CVSS_V40), VG_SEV_MEDIUM);
    cr_assert_eq(vg_cvss_severity(7.0, VG_CVSS_V40), VG_SEV_HIGH);
    cr_assert_eq(vg_cvss_severity(8.9, VG_CVSS_V30), VG_SEV_HIGH);
    cr_assert_eq(vg_cvss_severity(9.0, VG_CVSS_V30), VG_SEV_CRITICAL);
    cr_assert_eq(vg_cvss_severity(10.0, VG_CVSS_V31), VG_SEV_CRITICAL);
    cr_assert_eq(vg_cvss_severity(10.0, VG_CVSS_V2), VG_SEV_HIGH);
    cr_assert_eq(vg_cvss_severity(3.9, VG_CVSS_V2), VG_SEV_LOW);
    cr_assert_eq(vg_cvss_severity(4.0, VG_CVSS_V2), VG_SEV_MEDIUM);
    cr_assert_eq(vg_vulndb_severity_parse("moderate"), VG_SEV_MEDIUM);
    cr_assert_eq(vg_vulndb_severity_parse("CRITICAL"), VG_SEV_CRITICAL);
    cr_assert_eq(vg_vulndb_severity_parse("bogus"), VG_SEV_UNKNOWN);
    cr_assert_eq(vg_vulndb_severity_parse(NULL), VG_SEV_UNKNOWN);
    cr_assert_str_eq(vg_vulndb_severity_name(VG_SEV_UNKNOWN), "UNKNOWN");
}

Test(vulndb_cvss, strict_parsing)
{
    refuse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H");          /* missing A */
    refuse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L");  /* duplicate */
    refuse("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");      /* bad value */
    refuse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1"); /* unknown metric */
    refuse("CVSS:3.1/AV:N//AC:L");
    refuse("CVSS:3.1/");
    refuse("CVSS:5.0/AV:N");
    refuse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:S/SA:H"); /* S only in MSI */
    refuse("AV:N/AC:L/Au:N/C:P/I:P");
    refuse("");
    refuse(NULL);
    refuse("AV:NN/AC:L/Au:N/C:P/I:P/A:P");
    char big[700];
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    refuse(big);
}

/* Every v2 and v3 base metric is required: a vector missing one is refused before scoring
 * (the scorers also read an absent metric as '\0' rather than dereferencing NULL). */
Test(vulndb_cvss, missing_base_metric_is_refused_not_scored)
{
    refuse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H");
    refuse("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H");
    refuse("AV:N/AC:L/C:C/I:C/A:C");
}
