/* SPDX-License-Identifier: Apache-2.0
 *
 * Shared body of the policy parser harnesses: header + input is loaded as a policy set (the
 * per-format harnesses fix apiVersion and kind so the fuzzer spends its time inside one
 * parser), and an accepted set is evaluated against a bare image and a Deployment without
 * facts. Loading and evaluating must never crash, hang or leak.
 */
#ifndef VG_TESTS_POLICY_FUZZ_H
#define VG_TESTS_POLICY_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "policy/policy.h"

static const char policy_fuzz_deployment[] =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: prod, labels: {a: "
    "b}}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: c, image: nginx}\n"
    "      initContainers:\n      - {name: i, image: \"ghcr.io/a/b@sha256:"
    "5504f2a95018e3d8a52d80d9e1a128c6ea337581808ff9fe96f5628ce2336350\"}\n";

static void
policy_fuzz_eval(const struct vg_policy_set *s, const struct vg_policy_object *o)
{
    struct vg_policy_decision d;
    struct vg_err *err = NULL;
    if (vg_policy_eval(s, o, NULL, &d, &err) == 0) {
        vg_policy_decision_dispose(&d);
    }
    vg_err_free(&err);
}

static int
policy_fuzz_one(const char *header, const uint8_t *data, size_t size)
{
    size_t hl = strlen(header);
    char *buf = vg_malloc(hl + size + 1);
    memcpy(buf, header, hl);
    if (size) {
        memcpy(buf + hl, data, size);
    }
    struct vg_policy_set *s = vg_policy_set_new(NULL);
    struct vg_err *err = NULL;
    if (vg_policy_set_load_buf(s, "fuzz.yaml", buf, hl + size, &err) == 0) {
        struct vg_policy_object o;
        vg_policy_object_image(&o, "registry.example.com/app:latest", NULL);
        policy_fuzz_eval(s, &o);
        vg_policy_object_dispose(&o);
        struct vg_config_doc *doc = NULL;
        if (vg_config_load_buf(&doc, "d.yaml", policy_fuzz_deployment,
                               strlen(policy_fuzz_deployment), NULL, NULL) == 0 &&
            vg_policy_object_init(&o, vg_config_doc_root(doc, 0), NULL) == 0) {
            policy_fuzz_eval(s, &o);
            vg_policy_object_dispose(&o);
        }
        vg_config_doc_free(doc);
    }
    vg_err_free(&err);
    vg_policy_set_free(s);
    free(buf);
    return 0;
}

#endif
