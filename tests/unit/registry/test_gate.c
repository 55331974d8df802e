/* SPDX-License-Identifier: Apache-2.0
 *
 * Tests for the pull-gate decision logic (registry/gate.h): which gates apply to a repository,
 * what the handler must look up, artifact exemption, require-signature with per-gate keys,
 * require-scan states, max-severity with fixed-only and the wording of denials, and the
 * parser of stored scan results with hostile input.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "registry/gate.h"

static char *prod_repos[] = {(char[]){"prod/**"}};
static char *all_repos[] = {(char[]){"**"}};
static char *keys_a[] = {(char[]){"a.pub"}};
static char *keys_b[] = {(char[]){"b.pub"}, (char[]){"a.pub"}};

static struct vg_registry_gate
gate(char **repos, size_t nrepos, char **keys, size_t nkeys, enum vg_vulndb_severity max,
     bool fixed_only, bool require_scan)
{
    return (struct vg_registry_gate){repos, nrepos, nkeys > 0,  keys,
                                     nkeys, max,    fixed_only, require_scan};
}

static struct vg_registry_gate_finding F[] = {
    {(char[]){"CVE-2024-2961"}, (char[]){"glibc"}, (char[]){"2.36-9"}, (char[]){"2.36-9+deb12u7"},
     VG_SEV_CRITICAL},
    {(char[]){"CVE-2025-6965"}, (char[]){"sqlite3"}, (char[]){"3.40.1-2"}, NULL, VG_SEV_CRITICAL},
    {(char[]){"CVE-2023-0001"}, (char[]){"zlib"}, (char[]){"1.2.13"}, (char[]){"1.2.13.1"},
     VG_SEV_HIGH},
    {(char[]){"CVE-2023-0002"}, (char[]){"tar"}, (char[]){"1.34"}, NULL, VG_SEV_MEDIUM},
    {(char[]){"CVE-2023-0003"}, (char[]){"bash"}, (char[]){"5.2"}, NULL, VG_SEV_UNKNOWN},
};

static struct vg_registry_gate_facts
facts(const char *repo)
{
    return (struct vg_registry_gate_facts){.repo = repo, .scan = VG_GATE_SCAN_DONE};
}

Test(registry_gate, applies_by_glob)
{
    struct vg_registry_gate g = gate(prod_repos, 1, NULL, 0, VG_SEV_HIGH, false, false);
    cr_assert(vg_registry_gate_applies(&g, "prod/app"));
    cr_assert(vg_registry_gate_applies(&g, "prod/team/app"));
    cr_assert_not(vg_registry_gate_applies(&g, "dev/app"));
    cr_assert_not(vg_registry_gate_applies(&g, "production/app"));
}

Test(registry_gate, needs_union_of_keys_and_scan)
{
    struct vg_registry_gate gs[] = {
        gate(prod_repos, 1, keys_a, 1, VG_SEV_UNKNOWN, false, false),
        gate(all_repos, 1, keys_b, 2, VG_SEV_UNKNOWN, false, false),
        gate(all_repos, 1, NULL, 0, VG_SEV_HIGH, false, false),
    };
    bool sig, scan;
    const char **keys;
    size_t nkeys;
    vg_registry_gates_needs(gs, 3, "prod/app", &sig, &scan, &keys, &nkeys);
    cr_assert(sig);
    cr_assert(scan);
    cr_assert_eq(nkeys, 2);
    cr_assert_str_eq(keys[0], "a.pub");
    cr_assert_str_eq(keys[1], "b.pub");
    free(keys);
    vg_registry_gates_needs(gs, 1, "dev/app", &sig, &scan, &keys, &nkeys);
    cr_assert_not(sig);
    cr_assert_not(scan);
    cr_assert_eq(nkeys, 0);
    cr_assert_null(keys);
}

Test(registry_gate, no_gate_allows)
{
    struct vg_registry_gate g = gate(prod_repos, 1, keys_a, 1, VG_SEV_LOW, false, true);
    struct vg_registry_gate_facts f = facts("dev/app");
    f.scan = VG_GATE_SCAN_NONE;
    struct vg_registry_gate_decision d;
    vg_registry_gates_eval(&g, 1, &f, &d);
    cr_assert_not(d.deny);
    cr_assert_null(d.reason);
    vg_registry_gates_eval(NULL, 0, &f, &d);
    cr_assert_not(d.deny);
}

Test(registry_gate, artifacts_never_gated)
{
    const char *sig_layers[] = {"application/vnd.dev.cosign.simplesigning.v1+json"};
    const char *img_layers[] = {"application/vnd.oci.image.layer.v1.tar+gzip"};
    cr_assert(vg_registry_gate_is_artifact(
        "sha256-44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a.sig", false, NULL,
        NULL, 0));
    cr_assert(vg_registry_gate_is_artifact(
        "sha256-44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a.att", false, NULL,
        NULL, 0));
    cr_assert(vg_registry_gate_is_artifact(NULL, true, NULL, NULL, 0));
    cr_assert(vg_registry_gate_is_artifact(NULL, false, NULL, sig_layers, 1));
    cr_assert(vg_registry_gate_is_artifact(
        NULL, false, "application/vnd.dev.sigstore.bundle.v0.3+json", NULL, 0));
    cr_assert(vg_registry_gate_is_artifact(NULL, false, "application/spdx+json", NULL, 0));
    cr_assert(
        vg_registry_gate_is_artifact(NULL, false, "application/vnd.in-toto+json; x=1", NULL, 0));
    /* images, and tags that only look like cosign's, are gated */
    cr_assert_not(vg_registry_gate_is_artifact(
        "latest", false, "application/vnd.oci.image.config.v1+json", img_layers, 1));
    cr_assert_not(vg_registry_gate_is_artifact("sha256-abc.sig", false, NULL, NULL, 0));
    cr_assert_not(vg_registry_gate_is_artifact(
        "sha256-44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a.sigx", false, NULL,
        NULL, 0));

    struct vg_registry_gate g = gate(all_repos, 1, keys_a, 1, VG_SEV_LOW, false, true);
    struct vg_registry_gate_facts f = facts("prod/app");
    f.is_artifact = true;
    f.sig = VG_GATE_SIG_NONE;
    f.scan = VG_GATE_SCAN_NONE;
    struct vg_registry_gate_decision d;
    vg_registry_gates_eval(&g, 1, &f, &d);
    cr_assert_not(d.deny);
}

Test(registry_gate, require_signature)
{
    struct vg_registry_gate g = gate(prod_repos, 1, keys_a, 1, VG_SEV_UNKNOWN, false, false);
    struct vg_registry_gate_facts f = facts("prod/app");
    struct vg_registry_gate_decision d;

    f.sig = VG_GATE_SIG_NONE;
    vg_registry_gates_eval(&g, 1, &f, &d);
    cr_assert(d.deny);
    cr_assert_eq(d.gate, &g);
    cr_assert_str_eq(d.reason, "require-signature: no signature with the configured keys");
    vg_registry_gate_decision_dispose(&d);

    f.sig = VG_GATE_SIG_INVALID;
    f.sig_detail = "signature sha256:ab: ECDSA verification failed";
    vg_registry_gates_eval(&g, 1, &f, &d);
    cr_assert(d.deny);
    cr_assert(strstr(d.reason, "no signature verifies"), "%s", d.reason);
    cr_assert(strstr(d.reason, "ECDSA verification failed"), "%s", d.reason);
    vg_registry_gate_decision_dispose(&d);

    f.sig = VG_GATE_SIG_VERIFIED;
    f.sig_detail = NULL;
    f.sig_key = "a.pub";
    vg_registry_gates_eval(&g, 1, &f, &d);
    cr_assert_not(d.deny);

    /* verified, but by a key another gate trusts */
    f.sig_key = "b.pub";
    vg_registry_gates_eval(&g, 1, &f, &d);
    cr_assert(d.deny);
    cr_assert(strstr(d.reason, "this gate's keys"), "%s", d.reason);
    vg_registry_gate_decision_dispose(&d);
}

Test(registry_gate, require_scan_states)
{
    struct vg_registry_gate g = gate(all_repos, 1, NULL, 0, VG_SEV_UNKNOWN, false, true);
    struct vg_registry_gate_facts f = facts("a");
    struct vg_registry_gate_decision d;
    static const struct {
        enum vg_registry_gate_scan s;
        const char *reason;
    } cases[] = {
        {VG_GATE_SCAN_NONE, "require-scan: image not scanned"},
        {VG_GATE_SCAN_QUEUED, "require-scan: scan not finished yet"},
        {VG_GATE_SCAN_FAILED, "require-scan: the scan failed"},
        {VG_GATE_SCAN_DONE, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f.scan = cases[i].s;
        vg_registry_gates_eval(&g, 1, &f, &d);
        if (cases[i].reason) {
            cr_assert(d.deny);
            cr_assert_str_eq(d.reason, cases[i].reason);
        } else {
            cr_assert_not(d.deny);
        }
        vg_registry_gate_decision_dispose(&d);
    }
}

Test(registry_gate, max_severity_without_scan_waits)
{
    struct vg_registry_gate g = gate(all_repos, 1, NULL, 0, VG_SEV_LOW, false, false);
    struct vg_registry_gate_facts f = facts("a");
    f.scan = VG_GATE_SCAN_QUEUED;
    f.findings = F;
    f.nfindings = 5;
    struct vg_registry_gate_decision d;
    vg_registry_gates_eval(&g, 1, &f, &d);
    cr_assert_not(d.deny);
}

Test(registry_gate, max_severity_reason_names_cves)
{
    struct vg_registry_gate g = gate(prod_repos, 1, NULL, 0, VG_SEV_HIGH, false, false);
    struct vg_registry_gate_facts f = facts("prod/app");
    f.findings = F;
    f.nfindings = 5;
    struct vg_registry_gate_decision d;
    vg_registry_gates_eval(&g, 1, &f, &d);
    cr_assert(d.deny);
    cr_assert_str_eq(d.reason, "2 CRITICAL vulnerabilities above max-severity HIGH: "
                               "CVE-2024-2961 in glibc 2.36-9 (fixed in 2.36-9+deb12u7), "
                               "CVE-2025-6965 in sqlite3 3.40.1-2");
    vg_registry_gate_decision_dispose(&d);

    g.max_severity = VG_SEV_LOW;
    vg_registry_gates_eval(&g, 1, &f, &d);
    cr_assert(d.deny);
    cr_assert(vg_cstr_startswith(d.reason, "2 CRITICAL, 1 HIGH, 1 MEDIUM vulnerabilities above "
                                           "max-severity LOW: CVE-2024-2961 in glibc"),
              "%s", d.reason);
    cr_assert(strstr(d.reason, "CVE-2023-0002 in tar 1.34"), "%s", d.reason);
    cr_assert_null(strstr(d.reason, "bash"), "UNKNOWN is never above a threshold: %s", d.reason);
    vg_registry_gate_decision_dispose(&d);

    g.max_severity = VG_SEV_CRITICAL;
    vg_registry_gates_eval(&g, 1, &f, &d);
    cr_assert_not(d.deny);
}

Test(registry_gate, fixed_only)
{
    struct vg_registry_gate g = gate(all_repos, 1, NULL, 0, VG_SEV_MEDIUM, true, false);
    struct vg_registry_gate_facts f = facts("x");
    f.findings = F;
    f.nfindings = 5;
    struct vg_registry_gate_decision d;
    vg_registry_gates_eval(&g, 1, &f, &d);
    cr_assert(d.deny);
    cr_assert_str_eq(d.reason, "1 CRITICAL, 1 HIGH fixable vulnerabilities above max-severity "
                               "MEDIUM: CVE-2024-2961 in glibc 2.36-9 (fixed in 2.36-9+deb12u7), "
                               "CVE-2023-0001 in zlib 1.2.13 (fixed in 1.2.13.1)");
    vg_registry_gate_decision_dispose(&d);
    f.nfindings = 0;
    vg_registry_gates_eval(&g, 1, &f, &d);
    cr_assert_not(d.deny);
}

Test(registry_gate, many_findings_are_summarised)
{
    struct vg_registry_gate_finding many[12];
    char ids[12][32];
    char pkg[] = "p";
    for (size_t i = 0; i < 12; i++) {
        snprintf(ids[i], sizeof(ids[i]), "CVE-2024-%04zu", i);
        many[i] = (struct vg_registry_gate_finding){ids[i], pkg, NULL, NULL, VG_SEV_HIGH};
    }
    struct vg_registry_gate g = gate(all_repos, 1, NULL, 0, VG_SEV_MEDIUM, false, false);
    struct vg_registry_gate_facts f = facts("x");
    f.findings = many;
    f.nfindings = 12;
    struct vg_registry_gate_decision d;
    vg_registry_gates_eval(&g, 1, &f, &d);
    cr_assert(d.deny);
    cr_assert(vg_cstr_endswith(d.reason, "CVE-2024-0004 in p and 7 more"), "%s", d.reason);
    cr_assert(vg_cstr_startswith(d.reason, "12 HIGH vulnerabilities"), "%s", d.reason);
    vg_registry_gate_decision_dispose(&d);
}

Test(registry_gate, first_denying_gate_wins)
{
    struct vg_registry_gate gs[] = {
        gate(all_repos, 1, NULL, 0, VG_SEV_CRITICAL, false, false),
        gate(prod_repos, 1, keys_a, 1, VG_SEV_UNKNOWN, false, false),
        gate(prod_repos, 1, NULL, 0, VG_SEV_LOW, false, false),
    };
    struct vg_registry_gate_facts f = facts("prod/x");
    f.findings = F;
    f.nfindings = 5;
    f.sig = VG_GATE_SIG_NONE;
    struct vg_registry_gate_decision d;
    vg_registry_gates_eval(gs, 3, &f, &d);
    cr_assert(d.deny);
    cr_assert_eq(d.gate, &gs[1]);
    vg_registry_gate_decision_dispose(&d);
    f.repo = "dev/x";
    vg_registry_gates_eval(gs, 3, &f, &d);
    cr_assert_not(d.deny);
}

Test(registry_gate, severity_parse)
{
    struct vg_err *err = NULL;
    enum vg_vulndb_severity s;
    cr_assert_eq(vg_registry_gate_severity_parse(&s, "high", &err), 0);
    cr_assert_eq(s, VG_SEV_HIGH);
    cr_assert_lt(vg_registry_gate_severity_parse(&s, "NONE", &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_USAGE);
    vg_err_free(&err);
    cr_assert_lt(vg_registry_gate_severity_parse(&s, "bogus\n", &err), 0);
    vg_err_free(&err);
}

Test(registry_gate, findings_parse)
{
    const char *j = "{\"SchemaVersion\":2,\"Results\":["
                    "{\"Target\":\"t\",\"Vulnerabilities\":["
                    "{\"VulnerabilityID\":\"CVE-1\",\"PkgName\":\"glibc\","
                    "\"InstalledVersion\":\"1\",\"FixedVersion\":\"2\",\"Severity\":\"CRITICAL\"},"
                    "{\"VulnerabilityID\":\"CVE-2\",\"PkgName\":\"zlib\",\"FixedVersion\":\"\","
                    "\"Severity\":\"LOW\"}]},"
                    "{\"Target\":\"u\"}]}";
    struct vg_registry_gate_finding *v;
    size_t n;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_registry_gate_findings_parse(&v, &n, j, strlen(j), &err), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(v[0].id, "CVE-1");
    cr_assert_str_eq(v[0].fixed, "2");
    cr_assert_eq(v[0].severity, VG_SEV_CRITICAL);
    cr_assert_null(v[1].fixed);
    cr_assert_null(v[1].version);
    cr_assert_eq(v[1].severity, VG_SEV_LOW);
    vg_registry_gate_findings_free(v, n);

    const char *empty = "{\"Results\":[]}";
    cr_assert_eq(vg_registry_gate_findings_parse(&v, &n, empty, strlen(empty), &err), 0);
    cr_assert_eq(n, 0);
    vg_registry_gate_findings_free(v, n);
}

Test(registry_gate, findings_parse_hostile)
{
    static const char *bad[] = {
        "",
        "[]",
        "{\"Results\":{}}",
        "{\"Results\":[{\"Vulnerabilities\":1}]}",
        "{\"Results\":[{\"Vulnerabilities\":[{\"PkgName\":\"x\"}]}]}",
        "{\"Results\":[{\"Vulnerabilities\":[{\"VulnerabilityID\":\"a\"},",
        "{\"a\":1,\"a\":2}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vg_registry_gate_finding *v = (void *)1;
        size_t n = 99;
        struct vg_err *err = NULL;
        cr_assert_lt(vg_registry_gate_findings_parse(&v, &n, bad[i], strlen(bad[i]), &err), 0, "%s",
                     bad[i]);
        cr_assert(err);
        cr_assert_null(v);
        cr_assert_eq(n, 0);
        vg_err_free(&err);
    }
}
