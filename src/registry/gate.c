/* SPDX-License-Identifier: Apache-2.0
 *
 * Pull-gate decisions (gate.h): pure functions over the facts the manifest handler gathers.
 */
#include "registry/gate.h"

#include <string.h>
#include <strings.h>

#include "core/glob.h"

#define GATE_JSON_MAX     (64u * 1024u * 1024u)
#define GATE_FINDINGS_MAX 1000000u
#define GATE_REASON_IDS   5u /* vulnerabilities named in a denial before "and N more" */

void
vg_registry_gate_dispose(struct vg_registry_gate *g)
{
    if (!g) {
        return;
    }
    vg_strv_free(g->repos, g->nrepos);
    vg_strv_free(g->keys, g->nkeys);
    memset(g, 0, sizeof(*g));
}

void
vg_registry_gates_free(struct vg_registry_gate *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        vg_registry_gate_dispose(&v[i]);
    }
    free(v);
}

int
vg_registry_gate_severity_parse(enum vg_vulndb_severity *out, const char *s, struct vg_err **err)
{
    enum vg_vulndb_severity sev = vg_vulndb_severity_parse(s);
    if (sev < VG_SEV_LOW) {
        vg_autofree char *e = vg_escape(s ? s : "", s ? strlen(s) : 0, 64);
        return vg_err_set(err, VG_E_USAGE,
                          "max-severity %s: expected LOW, MEDIUM, HIGH or CRITICAL", e);
    }
    *out = sev;
    return 0;
}

bool
vg_registry_gate_applies(const struct vg_registry_gate *g, const char *repo)
{
    for (size_t i = 0; i < g->nrepos; i++) {
        if (vg_glob_match(g->repos[i], repo)) {
            return true;
        }
    }
    return false;
}

void
vg_registry_gates_needs(const struct vg_registry_gate *gates, size_t n, const char *repo,
                        bool *need_signature, bool *need_scan, const char ***keys, size_t *nkeys)
{
    *need_signature = false;
    *need_scan = false;
    *keys = NULL;
    *nkeys = 0;
    for (size_t i = 0; i < n; i++) {
        const struct vg_registry_gate *g = &gates[i];
        if (!vg_registry_gate_applies(g, repo)) {
            continue;
        }
        if (g->require_scan || g->max_severity >= VG_SEV_LOW) {
            *need_scan = true;
        }
        if (!g->require_signature) {
            continue;
        }
        *need_signature = true;
        for (size_t k = 0; k < g->nkeys; k++) {
            bool seen = false;
            for (size_t j = 0; j < *nkeys && !seen; j++) {
                seen = strcmp((*keys)[j], g->keys[k]) == 0;
            }
            if (!seen) {
                VG_ARRAY_PUSH(*keys, *nkeys, g->keys[k]);
            }
        }
    }
}

/* Media types of signatures, attestations and SBOMs (artifactType or a layer's). */
static const char *const ARTIFACT_TYPES[] = {
    "application/vnd.dev.cosign.simplesigning.v1+json",
    "application/vnd.dev.cosign.artifact.sig.v1+json",
    "application/vnd.dev.cosign.artifact.sbom.v1+json",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
    "application/vnd.dev.sigstore.bundle+json",
    "application/vnd.dsse.envelope.v1+json",
    "application/vnd.in-toto+json",
    "application/spdx+json",
    "text/spdx",
    "application/vnd.cyclonedx+json",
    "application/vnd.cyclonedx+xml",
    "application/vnd.cyclonedx",
    "application/vnd.syft+json",
    "application/vnd.cncf.notary.signature",
};

static bool
artifact_media_type(const char *mt)
{
    if (!mt) {
        return false;
    }
    size_t n = strcspn(mt, ";"); /* parameters (e.g. "; version=...") do not matter */
    while (n > 0 && mt[n - 1] == ' ') {
        n--;
    }
    for (size_t i = 0; i < sizeof(ARTIFACT_TYPES) / sizeof(ARTIFACT_TYPES[0]); i++) {
        const char *t = ARTIFACT_TYPES[i];
        if (strlen(t) == n && strncasecmp(t, mt, n) == 0) {
            return true;
        }
    }
    /* versioned Sigstore bundles: application/vnd.dev.sigstore.bundle.v0.N+json */
    return n > 36 && strncasecmp(mt, "application/vnd.dev.sigstore.bundle.", 36) == 0;
}

/* sha256-<64 hex>.sig|.att|.sbom: cosign's tag-schema signature, attestation, SBOM tags. */
static bool
cosign_tag(const char *tag)
{
    if (!tag || strncmp(tag, "sha256-", 7) != 0) {
        return false;
    }
    const char *p = tag + 7;
    for (size_t i = 0; i < 64; i++) {
        char c = p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    p += 64;
    return strcmp(p, ".sig") == 0 || strcmp(p, ".att") == 0 || strcmp(p, ".sbom") == 0;
}

bool
vg_registry_gate_is_artifact(const char *tag, bool has_subject, const char *artifact_type,
                             const char *const *layer_media_types, size_t nlayers)
{
    if (has_subject || cosign_tag(tag) || artifact_media_type(artifact_type)) {
        return true;
    }
    for (size_t i = 0; i < nlayers; i++) {
        if (artifact_media_type(layer_media_types[i])) {
            return true;
        }
    }
    return false;
}

void
vg_registry_gate_findings_free(struct vg_registry_gate_finding *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].id);
        free(v[i].pkg);
        free(v[i].version);
        free(v[i].fixed);
    }
    free(v);
}

int
vg_registry_gate_findings_parse(struct vg_registry_gate_finding **out, size_t *n, const void *json,
                                size_t len, struct vg_err **err)
{
    *out = NULL;
    *n = 0;
    vg_autojson json_t *root = NULL;
    if (vg_json_parse(&root, json, len, GATE_JSON_MAX, "scan result", err) < 0) {
        return -1;
    }
    if (!json_is_object(root)) {
        return vg_err_set(err, VG_E_PARSE, "scan result: not a JSON object");
    }
    json_t *results = json_object_get(root, "Results");
    if (results && !json_is_array(results)) {
        return vg_err_set(err, VG_E_PARSE, "scan result: Results: not an array");
    }
    struct vg_registry_gate_finding *v = NULL;
    size_t nv = 0;
    size_t ri;
    json_t *res;
    json_array_foreach (results, ri, res) {
        json_t *vulns = json_is_object(res) ? json_object_get(res, "Vulnerabilities") : NULL;
        if (vulns && !json_is_array(vulns)) {
            vg_registry_gate_findings_free(v, nv);
            return vg_err_set(err, VG_E_PARSE,
                              "scan result: Results[%zu].Vulnerabilities: not an array", ri);
        }
        size_t vi;
        json_t *f;
        json_array_foreach (vulns, vi, f) {
            const char *id = vg_json_str(f, "VulnerabilityID");
            if (!id) {
                vg_registry_gate_findings_free(v, nv);
                return vg_err_set(err, VG_E_PARSE,
                                  "scan result: Results[%zu].Vulnerabilities[%zu]: no "
                                  "VulnerabilityID",
                                  ri, vi);
            }
            if (nv >= GATE_FINDINGS_MAX) {
                vg_registry_gate_findings_free(v, nv);
                return vg_err_set(err, VG_E_LIMIT, "scan result: more than %u findings",
                                  GATE_FINDINGS_MAX);
            }
            VG_ARRAY_GROW(v, nv, 1);
            struct vg_registry_gate_finding *x = &v[nv++];
            x->id = vg_strdup(id);
            x->pkg = vg_strdup(vg_json_str(f, "PkgName"));
            x->version = vg_strdup(vg_json_str(f, "InstalledVersion"));
            const char *fixed = vg_json_str(f, "FixedVersion");
            x->fixed = fixed && *fixed ? vg_strdup(fixed) : NULL;
            x->severity = vg_vulndb_severity_parse(vg_json_str(f, "Severity"));
        }
    }
    *out = v;
    *n = nv;
    return 0;
}

void
vg_registry_gate_decision_dispose(struct vg_registry_gate_decision *d)
{
    free(d->reason);
    memset(d, 0, sizeof(*d));
}

static bool
has_key(const struct vg_registry_gate *g, const char *key)
{
    if (!key) {
        return true;
    }
    for (size_t i = 0; i < g->nkeys; i++) {
        if (strcmp(g->keys[i], key) == 0) {
            return true;
        }
    }
    return false;
}

/* "2 CRITICAL, 1 HIGH vulnerabilities above max-severity MEDIUM: CVE-a in glibc 2.36-9 (fixed
 * in 2.36-9+deb12u4), CVE-b in zlib 1.2 and 1 more", most severe first; NULL when none. */
static char *
severity_reason(const struct vg_registry_gate *g, const struct vg_registry_gate_facts *f)
{
    size_t count[VG_SEV_CRITICAL + 1] = {0};
    size_t total = 0;
    for (size_t i = 0; i < f->nfindings; i++) {
        const struct vg_registry_gate_finding *x = &f->findings[i];
        if (x->severity > g->max_severity && x->severity <= VG_SEV_CRITICAL &&
            (!g->fixed_only || (x->fixed && *x->fixed))) {
            count[x->severity]++;
            total++;
        }
    }
    if (total == 0) {
        return NULL;
    }
    struct vg_buf b = VG_BUF_INIT(16u * 1024u);
    struct vg_err *e = NULL;
    int rc = 0;
    const char *sep = "";
    for (int s = VG_SEV_CRITICAL; s > (int)g->max_severity && rc == 0; s--) {
        if (count[s]) {
            rc = vg_buf_appendf(&b, &e, "%s%zu %s", sep, count[s],
                                vg_vulndb_severity_name((enum vg_vulndb_severity)s));
            sep = ", ";
        }
    }
    if (rc == 0) {
        rc = vg_buf_appendf(&b, &e, " %s%s above max-severity %s:", g->fixed_only ? "fixable " : "",
                            total == 1 ? "vulnerability" : "vulnerabilities",
                            vg_vulndb_severity_name(g->max_severity));
    }
    size_t named = 0;
    sep = " ";
    for (int s = VG_SEV_CRITICAL; s > (int)g->max_severity && rc == 0; s--) {
        for (size_t i = 0; i < f->nfindings && named < GATE_REASON_IDS && rc == 0; i++) {
            const struct vg_registry_gate_finding *x = &f->findings[i];
            if ((int)x->severity != s || (g->fixed_only && !(x->fixed && *x->fixed))) {
                continue;
            }
            vg_autofree char *id = vg_escape(x->id, strlen(x->id), 64);
            vg_autofree char *pkg =
                vg_escape(x->pkg ? x->pkg : "?", strlen(x->pkg ? x->pkg : "?"), 64);
            rc = vg_buf_appendf(&b, &e, "%s%s in %s", sep, id, pkg);
            if (rc == 0 && x->version && *x->version) {
                vg_autofree char *ver = vg_escape(x->version, strlen(x->version), 64);
                rc = vg_buf_appendf(&b, &e, " %s", ver);
            }
            if (rc == 0 && x->fixed && *x->fixed) {
                vg_autofree char *fx = vg_escape(x->fixed, strlen(x->fixed), 64);
                rc = vg_buf_appendf(&b, &e, " (fixed in %s)", fx);
            }
            sep = ", ";
            named++;
        }
    }
    if (rc == 0 && total > named) {
        rc = vg_buf_appendf(&b, &e, " and %zu more", total - named);
    }
    /* The buffer bound is far above what 5 escaped, capped names can take. */
    vg_err_free(&e);
    return vg_buf_take(&b, NULL);
}

/* require-signature with a per-gate verdict: unsigned, unknown key, bad signature, threshold.
 * The detail keeps 512 bytes: a Notation revocation failure names the signature manifest, the
 * certificate's subject, the responder and why it gave no status. */
static char *
sig_reason(const struct vg_registry_gate_sigfact *sf)
{
    vg_autofree char *d =
        sf->detail && *sf->detail ? vg_escape(sf->detail, strlen(sf->detail), 512) : NULL;
    const char *why;
    switch (sf->sig) {
    case VG_GATE_SIG_VERIFIED:
        return NULL;
    case VG_GATE_SIG_UNKNOWN_KEY:
        why = "signed by an unknown key: no signature verifies with the configured keys";
        break;
    case VG_GATE_SIG_INVALID:
        why = "bad signature: a signature does not hold for this image";
        break;
    case VG_GATE_SIG_THRESHOLD:
        why = "too few of the configured keys signed";
        break;
    case VG_GATE_SIG_NO_TRUST_DATA:
        why = "unsigned: no content trust (Notary v1) signature of this image";
        break;
    case VG_GATE_SIG_UNVERIFIABLE:
        why = "cannot be verified now";
        break;
    default:
        why = "unsigned: no cosign signature of this image in the registry";
        break;
    }
    return d ? vg_fmt("require-signature: %s (%s)", why, d) : vg_fmt("require-signature: %s", why);
}

static char *
gate_deny_reason(const struct vg_registry_gate *g, const struct vg_registry_gate_facts *f,
                 size_t idx)
{
    if (g->require_signature && f->sigs) {
        char *r = sig_reason(&f->sigs[idx]);
        if (r) {
            return r;
        }
    } else if (g->require_signature &&
               !(f->sig == VG_GATE_SIG_VERIFIED && has_key(g, f->sig_key))) {
        const char *why = f->sig == VG_GATE_SIG_NONE      ? "no signature"
                          : f->sig == VG_GATE_SIG_INVALID ? "no signature verifies"
                                                          : "no signature by this gate's keys";
        if (f->sig_detail && *f->sig_detail) {
            vg_autofree char *d = vg_escape(f->sig_detail, strlen(f->sig_detail), 256);
            return vg_fmt("require-signature: %s with the configured keys (%s)", why, d);
        }
        return vg_fmt("require-signature: %s with the configured keys", why);
    }
    if (f->scan != VG_GATE_SCAN_DONE) {
        if (!g->require_scan) {
            return NULL; /* max-severity alone waits for a result, it does not deny */
        }
        return vg_strdup(f->scan == VG_GATE_SCAN_QUEUED   ? "require-scan: scan not finished yet"
                         : f->scan == VG_GATE_SCAN_FAILED ? "require-scan: the scan failed"
                                                          : "require-scan: image not scanned");
    }
    if (g->max_severity >= VG_SEV_LOW) {
        return severity_reason(g, f);
    }
    return NULL;
}

void
vg_registry_gates_eval(const struct vg_registry_gate *gates, size_t n,
                       const struct vg_registry_gate_facts *facts,
                       struct vg_registry_gate_decision *out)
{
    memset(out, 0, sizeof(*out));
    if (facts->is_artifact) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!vg_registry_gate_applies(&gates[i], facts->repo)) {
            continue;
        }
        char *reason = gate_deny_reason(&gates[i], facts, i);
        if (reason) {
            out->deny = true;
            out->reason = reason;
            out->gate = &gates[i];
            return;
        }
    }
}
