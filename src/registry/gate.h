/* SPDX-License-Identifier: Apache-2.0
 *
 * registry pull gates: per-repository-glob rules evaluated on manifest GET/HEAD
 * (docs/registry.md, "Pull gates"). This header is the decision logic only — pure functions
 * over facts the caller gathers (signature verified or not, the stored scan's findings), so
 * every rule is testable without a server:
 *
 *     gates: [{repos: [GLOB, ...], require-signature: {keys: [cosign.pub]},
 *              max-severity: HIGH, fixed-only: true, require-scan: true}]
 *
 * Semantics:
 *   - every gate whose `repos` globs (core/glob.h, `**` spans segments) match the repository
 *     applies; the pull is denied when any applicable gate denies, and the reason names the
 *     first failing rule of the first gate that denied;
 *   - signature, attestation and SBOM artifacts (vg_registry_gate_is_artifact) are never gated;
 *   - require-signature: the manifest has a cosign signature by one of the gate's keys (the
 *     caller verifies; this module only reads the verdict);
 *   - max-severity S: a finding of the stored scan above S denies (with fixed-only, only
 *     findings that have a fixed version count); while no scan result exists max-severity
 *     alone does not deny — require-scan does ("not scanned yet");
 *   - require-scan: a completed scan result must exist.
 *
 * Thread safety: pure functions; a gate list is immutable once built.
 */
#ifndef VG_REGISTRY_GATE_H
#define VG_REGISTRY_GATE_H

#include "core/core.h"
#include "vulndb/vulndb.h"

struct vg_registry_gate {
    char **repos; /* globs; owned */
    size_t nrepos;
    bool require_signature;
    char **keys; /* public key files (require-signature.keys); owned */
    size_t nkeys;
    enum vg_vulndb_severity max_severity; /* VG_SEV_UNKNOWN: no limit */
    bool fixed_only;
    bool require_scan;
};
void vg_registry_gate_dispose(struct vg_registry_gate *g);
void vg_registry_gates_free(struct vg_registry_gate *v, size_t n); /* NULL is a no-op */

/* Parses `max-severity` (LOW, MEDIUM, HIGH, CRITICAL; case-insensitive); VG_E_USAGE otherwise. */
int vg_registry_gate_severity_parse(enum vg_vulndb_severity *out, const char *s,
                                    struct vg_err **err);

/* True when one of g's globs matches repo. */
bool vg_registry_gate_applies(const struct vg_registry_gate *g, const char *repo);

/* What the caller must find out before evaluating the gates of repo: whether a signature
 * check is needed (then *keys/nkeys is the union of the applicable gates' key files, borrowed
 * from gates, in gate order, duplicates kept out) and whether the stored scan is needed.
 * *keys is allocated (caller frees the array, not the strings); NULL when none. */
void vg_registry_gates_needs(const struct vg_registry_gate *gates, size_t n, const char *repo,
                             bool *need_signature, bool *need_scan, const char ***keys,
                             size_t *nkeys);

/* True for the supply-chain artifacts that are never gated: a manifest with a subject
 * (a referrer), a cosign `sha256-<hex>.sig/.att/.sbom` tag, or an artifactType / layer media
 * type of a signature (cosign simple signing, Sigstore bundle), an attestation (DSSE, in-toto)
 * or an SBOM (SPDX, CycloneDX, Syft). tag and artifact_type may be NULL. */
bool vg_registry_gate_is_artifact(const char *tag, bool has_subject, const char *artifact_type,
                                  const char *const *layer_media_types, size_t nlayers);

enum vg_registry_gate_sig {
    VG_GATE_SIG_UNCHECKED = 0, /* not needed */
    VG_GATE_SIG_NONE,          /* no signature found */
    VG_GATE_SIG_INVALID,       /* signatures found, none verifies with the gate's keys */
    VG_GATE_SIG_VERIFIED,
    VG_GATE_SIG_UNKNOWN_KEY,   /* signatures found, no configured key verifies any of them */
    VG_GATE_SIG_THRESHOLD,     /* verified, but by fewer distinct keys than the threshold */
    VG_GATE_SIG_NO_TRUST_DATA, /* content trust: the notary repository does not sign it */
    VG_GATE_SIG_UNVERIFIABLE,  /* could not be checked now (content trust: notary unreachable) */
};

/* The signature verdict for one gate's require-signature policy (its keys, threshold,
 * annotations). sig INVALID means a bad signature: a configured key verifies it but it does
 * not hold for this image (another digest, a required annotation missing), or its content is
 * malformed. */
struct vg_registry_gate_sigfact {
    enum vg_registry_gate_sig sig;
    const char *detail; /* the verifier's reason, or NULL */
};
enum vg_registry_gate_scan {
    VG_GATE_SCAN_NONE = 0, /* never queued (scanning off, or pushed before it was on) */
    VG_GATE_SCAN_QUEUED,
    VG_GATE_SCAN_FAILED,
    VG_GATE_SCAN_DONE,
};

/* One vulnerability of the stored scan (strings borrowed or owned by the finding list). */
struct vg_registry_gate_finding {
    char *id, *pkg, *version, *fixed; /* fixed NULL/empty: no fix */
    enum vg_vulndb_severity severity;
};
void vg_registry_gate_findings_free(struct vg_registry_gate_finding *v, size_t n);

/* The findings of a stored scan result (`vigil scan --format json`: Results[].Vulnerabilities[]
 * with VulnerabilityID, PkgName, InstalledVersion, FixedVersion, Severity). Bounded: at most
 * `len` <= 64 MiB of JSON and 1,000,000 findings; VG_E_PARSE naming the field otherwise. */
int vg_registry_gate_findings_parse(struct vg_registry_gate_finding **out, size_t *n,
                                    const void *json, size_t len, struct vg_err **err);

struct vg_registry_gate_facts {
    const char *repo;
    bool is_artifact; /* vg_registry_gate_is_artifact */
    enum vg_registry_gate_sig sig;
    const char *sig_detail; /* why NONE/INVALID (verifier's message), or NULL */
    /* Which key verified, for VERIFIED: the key file path as configured, or NULL. A gate
     * accepts the signature only when this key is one of its own (NULL: any of them). */
    const char *sig_key;
    enum vg_registry_gate_scan scan;
    const struct vg_registry_gate_finding *findings; /* meaningful when scan is DONE */
    size_t nfindings;
    /* Per-gate verdicts ([n] of vg_registry_gates_eval, indexed like the gates), each for that
     * gate's own policy; when set, sig, sig_detail and sig_key above are not used. */
    const struct vg_registry_gate_sigfact *sigs;
};

struct vg_registry_gate_decision {
    bool deny;
    char *reason;                        /* owned; NULL when allowed */
    const struct vg_registry_gate *gate; /* the gate that denied (borrowed), or NULL */
};
void vg_registry_gate_decision_dispose(struct vg_registry_gate_decision *d);

/* Evaluates every gate that applies to facts->repo. */
void vg_registry_gates_eval(const struct vg_registry_gate *gates, size_t n,
                            const struct vg_registry_gate_facts *facts,
                            struct vg_registry_gate_decision *out);

#endif
