/* SPDX-License-Identifier: Apache-2.0
 *
 * Sigstore policy-controller ClusterImagePolicy (shared/docs/admission.md §4), decided as
 * pkg/policy does: an image's go-containerregistry Name() is matched against every CIP's
 * globs; every matching CIP must pass (AND); inside one CIP any authority passing is enough
 * (OR); `mode: warn` turns that CIP's failure into a warning; an image no CIP matches gets
 * the set's no-match policy (set.c). An image that does not parse is denied.
 *
 * Evaluated authorities: `key` with inline `data` (verified through the caller's verify
 * callback), `keyless` (identities, trustRootRef, inline ca-cert, insecureIgnoreSCT; through
 * the verify_keyless callback) and `static` pass/fail. Refused at load, never allowed: KMS and
 * Secret keys or CAs, attestations, alternate signature sources, and CUE/Rego `policy` blocks.
 */
#include "policy.h"
#include "policy_int.h"

#include "config/config.h"

#include <string.h>

enum auth_kind { AUTH_KEY = 1, AUTH_PASS, AUTH_FAIL, AUTH_KEYLESS };

struct cip_auth {
    enum auth_kind kind;
    const char *name;
    const char *pem;
    const char *message;
    struct vg_policy_identity *ids; /* keyless */
    struct vg_policy_keyless keyless;
};

struct cip {
    const struct vg_config_node *images; /* seq of {glob} */
    const struct vg_config_node *match;  /* seq or NULL */
    struct cip_auth *auths;
    size_t nauths;
};

static void
cip_free(void *v)
{
    struct cip *c = v;
    if (c) {
        for (size_t i = 0; i < c->nauths; i++) {
            free(c->auths[i].ids);
        }
        free(c->auths);
        free(c);
    }
}

static int
refuse(struct vg_err **err, const struct vg_config_node *n, const char *fmt, const char *what)
{
    return vg_config_err(err, n, VG_E_UNSUPPORTED, fmt, what);
}

static int
load_key(struct cip_auth *a, const struct vg_config_node *key, const char *path,
         struct vg_err **err)
{
    static const char *const keys[] = {"data", "secretRef", "kms", "hashAlgorithm"};
    if (vg_config_check_keys(key, path, keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *data = vg_config_map_get(key, "data");
    const struct vg_config_node *sref = vg_config_map_get(key, "secretRef");
    const struct vg_config_node *kms = vg_config_map_get(key, "kms");
    int n = !!data + !!sref + !!kms;
    if (n != 1) {
        return vg_config_err(err, key, VG_E_PARSE,
                             "expected exactly one, got %s: %s.data, %s.kms, %s.secretref",
                             n == 0 ? "neither" : "both", path, path, path);
    }
    const char *hash = vg_policy_node_str(key, "hashAlgorithm");
    if (hash && strcmp(hash, "sha224") != 0 && strcmp(hash, "sha256") != 0 &&
        strcmp(hash, "sha384") != 0 && strcmp(hash, "sha512") != 0) {
        return vg_config_err(err, vg_config_map_get(key, "hashAlgorithm"), VG_E_PARSE,
                             "invalid value: %s: %s.hashAlgorithm", hash, path);
    }
    if (hash && strcmp(hash, "sha256") != 0) {
        return vg_config_err(err, vg_config_map_get(key, "hashAlgorithm"), VG_E_UNSUPPORTED,
                             "%s.hashAlgorithm %s: vigil verifies sha256 signatures only", path,
                             hash);
    }
    if (sref) {
        return refuse(err, sref,
                      "%s: keys from Kubernetes Secrets need the cluster; give the key inline "
                      "as data (refused, not allowed)",
                      "key.secretRef");
    }
    if (kms) {
        return refuse(err, kms, "%s: KMS keys are not supported by vigil (refused, not allowed)",
                      "key.kms");
    }
    size_t len = 0;
    const char *pem = vg_config_node_scalar(data, &len);
    if (!pem) {
        return vg_config_err(err, data, VG_E_PARSE, "%s.data must be a string", path);
    }
    if (vg_policy_key_check(data, pem, len, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    a->kind = AUTH_KEY;
    a->pem = pem;
    return 0;
}

/* keyless: {url, identities: [{issuer, subject, issuerRegExp, subjectRegExp}], trustRootRef,
 * ca-cert: {data}, insecureIgnoreSCT}, as policy-controller validates it. */
static int
load_keyless(struct cip_auth *a, const struct vg_config_node *kl, const char *path,
             struct vg_err **err)
{
    static const char *const keys[] = {"url", "identities", "trustRootRef", "ca-cert",
                                       "insecureIgnoreSCT"};
    if (vg_config_check_keys(kl, path, keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *ids = NULL;
    if (vg_config_get_seq(kl, "identities", &ids, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (!ids || vg_config_node_len(ids) == 0) {
        return vg_config_err(err, kl, VG_E_PARSE,
                             "%s.identities: Invalid value: identities are required", path);
    }
    const struct vg_config_node *ca = vg_config_map_get(kl, "ca-cert");
    if (ca) {
        static const char *const ckeys[] = {"data", "secretRef", "kms"};
        if (vg_config_check_keys(ca, "ca-cert", ckeys, 3, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        if (vg_config_map_get(ca, "kms")) {
            return refuse(err, ca, "%s: KMS CAs are not supported by vigil (refused, not allowed)",
                          "keyless.ca-cert.kms");
        }
        if (vg_config_map_get(ca, "secretRef")) {
            return refuse(err, ca,
                          "%s: CA certificates from Kubernetes Secrets need the cluster; give "
                          "them inline as data (refused, not allowed)",
                          "keyless.ca-cert.secretRef");
        }
        a->keyless.ca_pem = vg_policy_node_str(ca, "data");
        if (!a->keyless.ca_pem) {
            return vg_config_err(err, ca, VG_E_PARSE, "%s.ca-cert.data must be a string", path);
        }
    }
    const char *sct = vg_policy_node_str(kl, "insecureIgnoreSCT");
    a->keyless.ignore_sct = sct && strcmp(sct, "true") == 0;
    a->keyless.trust_root = vg_policy_node_str(kl, "trustRootRef");
    size_t n = vg_config_node_len(ids);
    a->ids = vg_calloc(n, sizeof(*a->ids));
    for (size_t i = 0; i < n; i++) {
        char ipath[160], *owned[2];
        int w = snprintf(ipath, sizeof(ipath), "%s.identities[%zu]", path, i);
        (void)w;
        if (vg_policy_identity_load(&a->ids[i], owned, vg_config_seq_at(ids, i), ipath, false,
                                    err) < 0) {
            return -(int)VG_E_PARSE;
        }
    }
    a->keyless.ids = a->ids;
    a->keyless.nids = n;
    a->kind = AUTH_KEYLESS;
    return 0;
}

static int
load_authority(struct cip_auth *a, const struct vg_config_node *n, size_t idx, struct vg_err **err)
{
    static const char *const keys[] = {
        "name",  "key",          "keyless",          "static",         "source",
        "ctlog", "attestations", "rfc3161timestamp", "signatureFormat"};
    char path[64];
    int w = snprintf(path, sizeof(path), "spec.authorities[%zu]", idx);
    (void)w;
    if (vg_config_check_keys(n, path, keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    a->name = vg_policy_node_str(n, "name");
    const struct vg_config_node *key = vg_config_map_get(n, "key");
    const struct vg_config_node *keyless = vg_config_map_get(n, "keyless");
    const struct vg_config_node *stat = vg_config_map_get(n, "static");
    int count = !!key + !!keyless + !!stat;
    if (count != 1) {
        return vg_config_err(err, n, VG_E_PARSE,
                             "expected exactly one, got %s: %s.key, %s.keyless, %s.static",
                             count == 0 ? "neither" : "both", path, path, path);
    }
    if (stat) {
        static const char *const skeys[] = {"action", "message"};
        if (vg_config_check_keys(stat, "static", skeys, VG_ARRAY_LEN(skeys), err) < 0) {
            return -(int)VG_E_PARSE;
        }
        const char *action = vg_policy_node_str(stat, "action");
        if (!action || (strcmp(action, "pass") != 0 && strcmp(action, "fail") != 0)) {
            return vg_config_err(err, stat, VG_E_PARSE, "%s.static.action must be pass or fail",
                                 path);
        }
        static const char *const excl[] = {"attestations", "source", "ctlog", "rfc3161timestamp"};
        for (size_t i = 0; i < VG_ARRAY_LEN(excl); i++) {
            if (vg_config_map_get(n, excl[i])) {
                return vg_config_err(err, vg_config_map_get(n, excl[i]), VG_E_PARSE,
                                     "%s: static authorities cannot have %s", path, excl[i]);
            }
        }
        a->kind = strcmp(action, "pass") == 0 ? AUTH_PASS : AUTH_FAIL;
        a->message = vg_policy_node_str(stat, "message");
        return 0;
    }
    char kpath[96];
    w = snprintf(kpath, sizeof(kpath), "%s.%s", path, keyless ? "keyless" : "key");
    (void)w;
    if ((keyless ? load_keyless(a, keyless, kpath, err) : load_key(a, key, kpath, err)) < 0) {
        return -(int)vg_err_code(*err);
    }
    if (vg_config_map_get(n, "attestations")) {
        return refuse(err, vg_config_map_get(n, "attestations"),
                      "%s: attestation policies are not evaluated by vigil (refused, not "
                      "allowed)",
                      "attestations");
    }
    if (vg_config_map_get(n, "source")) {
        return refuse(err, vg_config_map_get(n, "source"),
                      "%s: alternate signature repositories are not supported (refused, not "
                      "allowed)",
                      "source");
    }
    if (vg_config_map_get(n, "rfc3161timestamp")) {
        return refuse(err, vg_config_map_get(n, "rfc3161timestamp"),
                      "%s: timestamp authorities are not supported (refused, not allowed)",
                      "rfc3161timestamp");
    }
    return 0;
}

static int cip_eval(const struct vg_policy *p, struct vg_policy_ctx *c, struct vg_err **err);

static const char *const match_resources[] = {
    "pods", "replicasets", "deployments", "statefulsets", "daemonsets", "jobs", "cronjobs"};

int
vg_policy_load_cip(struct vg_policy_set *s, const struct vg_config_node *root, struct vg_err **err)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status"};
    if (vg_config_check_keys(root, NULL, top, VG_ARRAY_LEN(top), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *spec = vg_config_map_get(root, "spec");
    if (!spec || vg_config_node_type(spec) != VG_CONFIG_MAP) {
        return vg_config_err(err, root, VG_E_PARSE, "missing field(s): spec");
    }
    static const char *const skeys[] = {"images", "authorities", "policy", "mode", "match"};
    if (vg_config_check_keys(spec, "spec", skeys, VG_ARRAY_LEN(skeys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *images = NULL, *auths = NULL, *match = NULL;
    if (vg_config_get_seq(spec, "images", &images, err) < 0 ||
        vg_config_get_seq(spec, "authorities", &auths, err) < 0 ||
        vg_config_get_seq(spec, "match", &match, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (!images || vg_config_node_len(images) == 0) {
        return vg_config_err(err, spec, VG_E_PARSE, "missing field(s): spec.images");
    }
    for (size_t i = 0; i < vg_config_node_len(images); i++) {
        const struct vg_config_node *im = vg_config_seq_at(images, i);
        static const char *const ikeys[] = {"glob"};
        if (vg_config_check_keys(im, "spec.images[]", ikeys, 1, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        const char *glob = vg_policy_node_str(im, "glob");
        if (!glob) {
            return vg_config_err(err, im, VG_E_PARSE, "missing field(s): spec.images[%zu].glob", i);
        }
        const char *why = vg_policy_cip_glob_check(glob);
        if (why) {
            return vg_config_err(err, vg_config_map_get(im, "glob"), VG_E_PARSE,
                                 "invalid value: %s: spec.images[%zu].glob (%s)", glob, i, why);
        }
    }
    const char *mode = vg_policy_node_str(spec, "mode");
    if (mode && strcmp(mode, "enforce") != 0 && strcmp(mode, "warn") != 0) {
        return vg_config_err(err, vg_config_map_get(spec, "mode"), VG_E_PARSE,
                             "invalid value: %s: spec.mode", mode);
    }
    for (size_t i = 0; match && i < vg_config_node_len(match); i++) {
        const struct vg_config_node *m = vg_config_seq_at(match, i);
        static const char *const mkeys[] = {"group", "version", "resource", "selector"};
        if (vg_config_check_keys(m, "spec.match[]", mkeys, VG_ARRAY_LEN(mkeys), err) < 0) {
            return -(int)VG_E_PARSE;
        }
        const char *res = vg_policy_node_str(m, "resource");
        bool ok = !res;
        for (size_t j = 0; res && j < VG_ARRAY_LEN(match_resources); j++) {
            ok |= strcmp(res, match_resources[j]) == 0;
        }
        if (!ok) {
            return vg_config_err(err, vg_config_map_get(m, "resource"), VG_E_PARSE,
                                 "validation failed: invalid value: %s: spec.match[%zu].resource",
                                 res, i);
        }
        const struct vg_config_node *sel = vg_config_map_get(m, "selector");
        if (sel && !res) {
            return vg_config_err(err, sel, VG_E_PARSE,
                                 "spec.match[%zu]: a selector needs a "
                                 "resource",
                                 i);
        }
        if (sel && vg_policy_selector_check(sel, "spec.match[].selector", err) < 0) {
            return -(int)VG_E_PARSE;
        }
    }
    if (!auths || vg_config_node_len(auths) == 0) {
        return vg_config_err(err, spec, VG_E_PARSE,
                             "missing field(s): spec.authorities (fail-on-empty-authorities)");
    }
    struct cip *cp = vg_calloc(1, sizeof(*cp));
    cp->images = images;
    cp->match = match;
    cp->nauths = vg_config_node_len(auths);
    cp->auths = vg_calloc(cp->nauths, sizeof(*cp->auths));
    for (size_t i = 0; i < cp->nauths; i++) {
        if (load_authority(&cp->auths[i], vg_config_seq_at(auths, i), i, err) < 0) {
            cip_free(cp);
            return -(int)vg_err_code(*err);
        }
    }
    const struct vg_config_node *pol = vg_config_map_get(spec, "policy");
    if (pol) {
        cip_free(cp);
        return vg_config_err(err, pol, VG_E_UNSUPPORTED,
                             "spec.policy: CUE/Rego policies are not evaluated by vigil "
                             "(refused, not allowed)");
    }
    struct vg_policy *p =
        vg_policy_add(s, VG_POLICY_FMT_CIP, root, "ClusterImagePolicy",
                      vg_config_node_scalar(vg_policy_node_path(root, "metadata.name"), NULL));
    p->mode = mode && strcmp(mode, "warn") == 0 ? VG_POLICY_WARN : VG_POLICY_ENFORCE;
    p->impl = cp;
    p->free_impl = cip_free;
    p->eval = cip_eval;
    return 0;
}

/* The CIP's `match` (resource kinds and label selectors); no match list: every object. */
static bool
cip_match_object(const struct cip *cp, const struct vg_policy_object *o)
{
    if (!cp->match || vg_config_node_len(cp->match) == 0) {
        return true;
    }
    static const struct {
        const char *kind, *resource;
    } map[] = {{"Pod", "pods"},
               {"ReplicaSet", "replicasets"},
               {"Deployment", "deployments"},
               {"StatefulSet", "statefulsets"},
               {"DaemonSet", "daemonsets"},
               {"Job", "jobs"},
               {"CronJob", "cronjobs"}};
    const char *res = NULL;
    for (size_t i = 0; i < VG_ARRAY_LEN(map); i++) {
        if (strcmp(map[i].kind, o->kind) == 0) {
            res = map[i].resource;
        }
    }
    for (size_t i = 0; i < vg_config_node_len(cp->match); i++) {
        const struct vg_config_node *m = vg_config_seq_at(cp->match, i);
        const char *want = vg_policy_node_str(m, "resource");
        if (want && (!res || strcmp(want, res) != 0)) {
            continue;
        }
        if (vg_policy_selector_match(vg_config_map_get(m, "selector"), o->labels)) {
            return true;
        }
    }
    return false;
}

static int
cip_eval(const struct vg_policy *p, struct vg_policy_ctx *c, struct vg_err **err)
{
    (void)err;
    const struct cip *cp = p->impl;
    const struct vg_policy_object *o = c->obj;
    if (!cip_match_object(cp, o)) {
        return 0;
    }
    for (size_t i = 0; i < o->ncontainers; i++) {
        const struct vg_policy_container *ct = &o->containers[i];
        if (!ct->image || vg_policy_container_is_volume(ct)) {
            continue; /* policy-controller checks the three container lists only */
        }
        char *name = vg_policy_ref_cip_name(ct->image);
        if (!name) {
            /* Not a reference go-containerregistry parses: the webhook denies it. */
            if (!c->cip_matched[i]) {
                c->cip_matched[i] = true;
                vg_policy_reason_add(c, p, ct, VG_POLICY_ENFORCE,
                                     "invalid image reference (go-containerregistry)");
            }
            continue;
        }
        bool hit = false;
        for (size_t g = 0; !hit && g < vg_config_node_len(cp->images); g++) {
            const char *glob = vg_policy_node_str(vg_config_seq_at(cp->images, g), "glob");
            hit = vg_policy_cip_glob_match(glob, name);
        }
        if (!hit) {
            free(name);
            continue;
        }
        c->cip_matched[i] = true;
        c->out->napplied++;
        /* OR across authorities; collect why each failed. */
        struct vg_buf why = VG_BUF_INIT(16384);
        struct vg_err *e = NULL;
        bool pass = false;
        for (size_t a = 0; !pass && a < cp->nauths; a++) {
            const struct cip_auth *au = &cp->auths[a];
            char *r = NULL;
            switch (au->kind) {
            case AUTH_PASS:
                pass = true;
                break;
            case AUTH_FAIL:
                r = vg_strdup(au->message ? au->message : "disallowed by static policy");
                break;
            case AUTH_KEY:
                pass =
                    vg_policy_ask_verify(c, ct->image, au->pem, NULL, 0, &r) == VG_POLICY_FACT_YES;
                break;
            case AUTH_KEYLESS:
                pass = vg_policy_ask_verify_keyless(c, ct->image, &au->keyless, NULL, 0, &r) ==
                       VG_POLICY_FACT_YES;
                break;
            }
            if (r) {
                if (vg_buf_appendf(&why, &e, "%sauthority %s: %s", why.len ? "; " : "",
                                   au->name ? au->name : "#", r) < 0) {
                    vg_err_free(&e);
                }
                free(r);
            }
        }
        if (!pass) {
            vg_policy_reason_add(c, p, ct, p->mode, "%s fails: %s", name, vg_buf_cstr(&why));
        }
        vg_buf_dispose(&why);
        free(name);
    }
    return 0;
}
