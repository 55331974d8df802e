/* SPDX-License-Identifier: Apache-2.0
 *
 * Kyverno ClusterPolicy / Policy image rules.
 */
#include "policy.h"
#include "policy_int.h"

#include "config/config.h"

int
vg_policy_load_kyverno(struct vg_policy_set *s, const struct vg_config_node *root, const char *kind,
                       struct vg_err **err)
{
    (void)s;
    return vg_config_err(err, root, VG_E_UNSUPPORTED,
                         "Kyverno %s: not evaluated by this vigil yet (refused, not allowed)",
                         kind);
}
