/* SPDX-License-Identifier: Apache-2.0
 *
 * registry supply-chain configuration: the `scan:` and `gates:` keys of `vigil registry
 * serve --config` (docs/registry.md, "Scan-on-push" and "Pull gates"):
 *
 *     scan:  {db: FILE, on-push: true, workers: 2}
 *     gates: [{repos: [GLOB, ...], max-severity: HIGH, fixed-only: false, require-scan: true}]
 *
 * require-signature is refused at load for now (the verifier against the registry's own
 * storage is not wired yet): a gate that cannot be enforced must not look enforced.
 */
#ifndef VG_REGISTRY_SUPPLY_H
#define VG_REGISTRY_SUPPLY_H

#include "config/config.h"
#include "registry/gate.h"

struct vg_registry_supply {
    char *scan_db; /* vulnerability DB; NULL: the default location; owned */
    bool scan_on_push;
    unsigned scan_workers;          /* 0: 1 */
    unsigned scanners;              /* VG_SCANNER_* bits; 0: vigil scan's default */
    struct vg_registry_gate *gates; /* owned */
    size_t ngates;
};

/* Parses the `scan` mapping and the `gates` sequence (either may be NULL). Errors are
 * VG_E_PARSE at FILE:LINE:COL. */
VG_NODISCARD int vg_registry_supply_parse(struct vg_registry_supply *out,
                                          const struct vg_config_node *scan,
                                          const struct vg_config_node *gates, struct vg_err **err);
void vg_registry_supply_dispose(struct vg_registry_supply *s);

#endif
