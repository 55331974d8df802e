/* SPDX-License-Identifier: Apache-2.0
 *
 * policy/facts: the facts policies ask for (signatures, vulnerabilities, the image config's
 * user), taken from vigil's own verifier (sign/) and scanner (scan/), as vg_policy_inputs
 * callbacks. `vigil policy check` and the admission webhook share this wiring; the pure
 * evaluation (policy.h) stays free of I/O.
 *
 * A facts object caches per image what it fetched (the signature target, one scan), so the
 * several requirements of one evaluation fetch once. Thread safety: one object per thread
 * (the webhook makes one per request); the callbacks are not thread-safe.
 */
#ifndef VG_POLICY_FACTS_H
#define VG_POLICY_FACTS_H

#include "oci/oci.h"
#include "policy/policy.h"

struct vg_policy_facts_opts {
    struct vg_oci_open_opts open; /* registry access (strings borrowed) */
    const char *db;               /* vulnerability database, NULL: the default */
};

struct vg_policy_facts;
struct vg_policy_facts *vg_policy_facts_new(const struct vg_policy_facts_opts *o);
/* Fills in with the callbacks over f (in->ctx = f). */
void vg_policy_facts_inputs(struct vg_policy_facts *f, struct vg_policy_inputs *in);
void vg_policy_facts_free(struct vg_policy_facts *f);

#endif
