/* SPDX-License-Identifier: Apache-2.0
 *
 * registry supply-chain configuration: the `scan:` and `gates:` keys of `vigil registry
 * serve --config` (docs/registry.md, "Scan-on-push" and "Pull gates"):
 *
 *     scan:  {db: FILE, on-push: true, workers: 2, db-check-interval: 1m}
 *     gates: [{repos: [GLOB, ...], require-signature: {keys: [cosign.pub]}, max-severity: HIGH,
 *              fixed-only: false, require-scan: true}]
 *
 * A gate's require-signature: {keys: [FILE or inline PEM], threshold: N, annotations: {k: v}}
 * is loaded here (registry/sigcheck_int.h verifies against the registry's own storage).
 */
#ifndef VG_REGISTRY_SUPPLY_H
#define VG_REGISTRY_SUPPLY_H

#include "config/config.h"
#include "registry/gate.h"

struct vg_sign_keyset;
struct vg_sign_kv;

/* A gate's require-signature policy as loaded: the keys (files or inline PEM; their labels are
 * the gate's `keys`), distinct keys that must each verify, annotations every accepted
 * signature must carry. */
struct vg_registry_keyless;
struct vg_registry_notation;
struct vg_registry_dct;
struct vg_registry_sigpolicy {
    struct vg_sign_keyset *keyset; /* owned; NULL when the gate has no require-signature */
    size_t threshold;
    struct vg_sign_kv *annotations; /* key and value strings owned */
    size_t nannotations;
    /* require-signature.keyless (docs/registry.md): one more authority for the threshold;
     * owned, NULL when none (sigcheck.c) */
    struct vg_registry_keyless *keyless;
    /* require-signature.notation (docs/registry.md): one more authority for the threshold;
     * owned, NULL when none (sigcheck_notation.c) */
    struct vg_registry_notation *notation;
    /* require-signature.dct (docs/registry.md): Docker Content Trust, one more authority for
     * the threshold; owned, NULL when none (sigcheck_dct.c) */
    struct vg_registry_dct *dct;
};

struct vg_registry_supply {
    char *scan_db; /* vulnerability DB; NULL: the default location; owned */
    bool scan_on_push;
    unsigned scan_workers; /* 0: 1 */
    uint64_t db_check_ms;  /* scan.db-check-interval: DB stamp checks; 0: SIGHUP only */
    uint64_t db_update_ms; /* scan.db-update-interval: `vigil db update` from the server; 0: off */
    char *db_mirror;       /* scan.db-mirror: the update's OSV mirror; NULL: the default; owned */
    unsigned scanners;     /* VG_SCANNER_* bits; 0: vigil scan's default */
    struct vg_registry_gate *gates; /* owned */
    size_t ngates;
    struct vg_registry_sigpolicy *sigpolicies; /* [ngates], owned */
};

/* Parses the `scan` mapping and the `gates` sequence (either may be NULL). Errors are
 * VG_E_PARSE at FILE:LINE:COL. */
VG_NODISCARD int vg_registry_supply_parse(struct vg_registry_supply *out,
                                          const struct vg_config_node *scan,
                                          const struct vg_config_node *gates, struct vg_err **err);
void vg_registry_supply_dispose(struct vg_registry_supply *s);

#endif
