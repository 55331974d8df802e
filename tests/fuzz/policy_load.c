/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for every policy parser (policy/set.c dispatches each YAML document by
 * apiVersion and kind: vigil ImagePolicy, Gatekeeper templates and constraints,
 * ClusterImagePolicy, Kyverno): loading never crashes, and an accepted set is evaluated
 * against a bare image and a Deployment without facts. The seed corpus holds one small policy
 * of each format.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char deployment[] =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: prod, labels: {a: "
    "b}}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: c, image: nginx}\n"
    "      initContainers:\n      - {name: i, image: \"ghcr.io/a/b@sha256:"
    "5504f2a95018e3d8a52d80d9e1a128c6ea337581808ff9fe96f5628ce2336350\"}\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_policy_set *s = vg_policy_set_new(NULL);
    struct vg_err *err = NULL;
    if (vg_policy_set_load_buf(s, "fuzz.yaml", data, size, &err) == 0) {
        struct vg_policy_object o;
        struct vg_policy_decision d;
        vg_policy_object_image(&o, "registry.example.com/app:latest", NULL);
        if (vg_policy_eval(s, &o, NULL, &d, &err) == 0) {
            vg_policy_decision_dispose(&d);
        }
        vg_err_free(&err);
        vg_policy_object_dispose(&o);
        struct vg_config_doc *doc = NULL;
        if (vg_config_load_buf(&doc, "d.yaml", deployment, strlen(deployment), NULL, NULL) == 0 &&
            vg_policy_object_init(&o, vg_config_doc_root(doc, 0), NULL) == 0) {
            if (vg_policy_eval(s, &o, NULL, &d, &err) == 0) {
                vg_policy_decision_dispose(&d);
            }
            vg_policy_object_dispose(&o);
        }
        vg_config_doc_free(doc);
    }
    vg_err_free(&err);
    vg_policy_set_free(s);
    return 0;
}
