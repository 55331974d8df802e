/* SPDX-License-Identifier: Apache-2.0
 *
 * Kyverno `ClusterPolicy` / `Policy` (kyverno.io/v1, v2beta1) rules on images, decided as
 * Kyverno does (shared/docs/admission.md §5):
 *   - match / exclude (any, all, or the legacy single block): kinds, names, namespaces,
 *     selector, namespaceSelector, operations;
 *   - auto-generated rules: a rule matching only Pods also applies to the pod controllers
 *     (DaemonSet, Deployment, Job, StatefulSet, ReplicaSet, ReplicationController, CronJob, or
 *     the policy's pod-policies.kyverno.io/autogen-controllers list; "none" disables), on the
 *     pod template;
 *   - preconditions; validate.pattern / anyPattern / deny.conditions / foreach (list, element,
 *     nested preconditions, pattern, deny); the `images` context; JMESPath subset;
 *   - verifyImages: imageReferences / skipImageReferences (Kyverno's normalized image and
 *     wildcards), verifyDigest, required, attestor sets (count, entries: public keys, keyless
 *     identities with roots and rekor/ctlog options, certificates) through the caller's verify
 *     and verify_keyless callbacks, and `type: Notary` with certificates through
 *     verify_notation;
 *   - validationFailureAction / failureAction: Enforce denies, Audit reports.
 * Refused at load (never allowed): CEL, podSecurity, manifests, mutate and generate rules,
 * external context (API calls, ConfigMaps, image registries), nested attestor sets, inline
 * CT log keys, keyless additionalExtensions, attestations, JMESPath
 * functions and filters, user-info match clauses. keys and certificates attestors require
 * transparency-log evidence unless rekor.ignoreTlog (verified offline: the signature's Rekor
 * bundle, by rekor.pubkey or the default Rekor key).
 */
#include "policy.h"
#include "kyverno_int.h"

#include "config/config.h"
#include "crypto/crypto.h"
#include "oci/oci.h"
#include "sign/sign.h"

#include <stdarg.h>
#include <string.h>

static void
ky_free(void *v)
{
    struct ky_policy *p = v;
    if (p) {
        free(p->rules);
        free(p);
    }
}

static const char *const default_controllers =
    "DaemonSet,Deployment,Job,StatefulSet,ReplicaSet,ReplicationController,CronJob";

/* ---------------------------------------------------------------- load-time checks */

static int
unsupported(struct vg_err **err, const struct vg_config_node *n, const char *what)
{
    return vg_config_err(err, n, VG_E_UNSUPPORTED,
                         "Kyverno %s is not evaluated by vigil "
                         "(refused, not allowed)",
                         what);
}

static int
check_resources(const struct vg_config_node *f, struct vg_err **err)
{
    static const char *const keys[] = {"resources", "subjects", "roles", "clusterRoles"};
    if (vg_config_check_keys(f, "match", keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    for (size_t i = 1; i < VG_ARRAY_LEN(keys); i++) {
        if (vg_config_map_get(f, keys[i])) {
            return unsupported(err, vg_config_map_get(f, keys[i]), "matching on request users");
        }
    }
    const struct vg_config_node *r = vg_config_map_get(f, "resources");
    if (!r) {
        return 0;
    }
    static const char *const rkeys[] = {"kinds",      "names",      "name",
                                        "namespaces", "selector",   "namespaceSelector",
                                        "operations", "annotations"};
    if (vg_config_check_keys(r, "match.resources", rkeys, VG_ARRAY_LEN(rkeys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *sel = vg_config_map_get(r, "selector");
    const struct vg_config_node *nss = vg_config_map_get(r, "namespaceSelector");
    if ((sel && vg_policy_selector_check(sel, "match.resources.selector", err) < 0) ||
        (nss && vg_policy_selector_check(nss, "match.resources.namespaceSelector", err) < 0)) {
        return -(int)VG_E_PARSE;
    }
    return 0;
}

static int
check_match(const struct vg_config_node *m, struct vg_err **err)
{
    if (!m) {
        return 0;
    }
    static const char *const keys[] = {"any",      "all",   "resources",
                                       "subjects", "roles", "clusterRoles"};
    if (vg_config_check_keys(m, "match", keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (vg_config_map_get(m, "resources") || vg_config_map_get(m, "subjects") ||
        vg_config_map_get(m, "roles") || vg_config_map_get(m, "clusterRoles")) {
        return check_resources(m, err);
    }
    for (int k = 0; k < 2; k++) {
        const struct vg_config_node *seq = NULL;
        if (vg_config_get_seq(m, k ? "all" : "any", &seq, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        for (size_t i = 0; seq && i < vg_config_node_len(seq); i++) {
            if (check_resources(vg_config_seq_at(seq, i), err) < 0) {
                return -(int)vg_err_code(*err);
            }
        }
    }
    return 0;
}

static const char *const operators[] = {"Equals", "Equal", "NotEquals", "NotEqual", "In",
                                        "NotIn",  "AnyIn", "AllIn",     "AnyNotIn", "AllNotIn"};

static int
check_condition(const struct vg_config_node *c, struct vg_err **err)
{
    static const char *const keys[] = {"key", "operator", "value", "message"};
    if (vg_config_check_keys(c, "conditions[]", keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const char *op = vg_policy_node_str(c, "operator");
    bool known = false;
    for (size_t i = 0; op && i < VG_ARRAY_LEN(operators); i++) {
        known |= strcmp(op, operators[i]) == 0;
    }
    if (!known) {
        return vg_config_err(err, c, VG_E_UNSUPPORTED,
                             "Kyverno condition operator '%s' is not evaluated by vigil",
                             op ? op : "");
    }
    const struct vg_config_node *parts[] = {vg_config_map_get(c, "key"),
                                            vg_config_map_get(c, "value")};
    for (size_t i = 0; i < 2; i++) {
        const struct vg_config_node *n = parts[i];
        size_t count = n && vg_config_node_type(n) == VG_CONFIG_SEQ ? vg_config_node_len(n) : 1;
        for (size_t k = 0; n && k < count; k++) {
            const struct vg_config_node *item =
                vg_config_node_type(n) == VG_CONFIG_SEQ ? vg_config_seq_at(n, k) : n;
            const char *text = vg_config_node_scalar(item, NULL);
            if (!text) {
                return vg_config_err(err, item, VG_E_UNSUPPORTED,
                                     "Kyverno condition operands must be strings or lists of "
                                     "strings here");
            }
            const char *why = vg_ky_subst_check(text);
            if (why) {
                return vg_config_err(err, item, VG_E_UNSUPPORTED, "Kyverno variable: %s", why);
            }
        }
    }
    return 0;
}

/* A condition block: a list (all), or {any: [...], all: [...]}. */
static int
check_conditions(const struct vg_config_node *b, struct vg_err **err)
{
    if (!b) {
        return 0;
    }
    if (vg_config_node_type(b) == VG_CONFIG_SEQ) {
        for (size_t i = 0; i < vg_config_node_len(b); i++) {
            if (check_condition(vg_config_seq_at(b, i), err) < 0) {
                return -(int)vg_err_code(*err);
            }
        }
        return 0;
    }
    static const char *const keys[] = {"any", "all"};
    if (vg_config_check_keys(b, "conditions", keys, 2, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    for (int k = 0; k < 2; k++) {
        const struct vg_config_node *seq = NULL;
        if (vg_config_get_seq(b, keys[k], &seq, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        for (size_t i = 0; seq && i < vg_config_node_len(seq); i++) {
            if (check_condition(vg_config_seq_at(seq, i), err) < 0) {
                return -(int)vg_err_code(*err);
            }
        }
    }
    return 0;
}

static int
check_deny(const struct vg_config_node *d, struct vg_err **err)
{
    static const char *const keys[] = {"conditions"};
    if (vg_config_check_keys(d, "deny", keys, 1, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    return check_conditions(vg_config_map_get(d, "conditions"), err);
}

static int
check_foreach(const struct vg_config_node *seq, struct vg_err **err)
{
    for (size_t i = 0; i < vg_config_node_len(seq); i++) {
        const struct vg_config_node *f = vg_config_seq_at(seq, i);
        static const char *const keys[] = {"list", "preconditions", "pattern", "anyPattern",
                                           "deny", "elementScope",  "context", "foreach"};
        if (vg_config_check_keys(f, "validate.foreach[]", keys, VG_ARRAY_LEN(keys), err) < 0) {
            return -(int)VG_E_PARSE;
        }
        if (vg_config_map_get(f, "context")) {
            return unsupported(err, vg_config_map_get(f, "context"), "foreach context");
        }
        if (vg_config_map_get(f, "foreach")) {
            return unsupported(err, vg_config_map_get(f, "foreach"), "nested foreach");
        }
        const char *list = vg_policy_node_str(f, "list");
        const char *why = list ? vg_ky_jp_check(list) : "foreach needs a list";
        if (why) {
            return vg_config_err(err, f, VG_E_UNSUPPORTED, "Kyverno foreach list: %s", why);
        }
        const struct vg_config_node *pat = vg_config_map_get(f, "pattern");
        const struct vg_config_node *any = NULL;
        if (vg_config_get_seq(f, "anyPattern", &any, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        const struct vg_config_node *deny = vg_config_map_get(f, "deny");
        if ((pat && vg_ky_pattern_check(pat, err) < 0) ||
            (any && vg_ky_pattern_check(any, err) < 0) || (deny && check_deny(deny, err) < 0) ||
            check_conditions(vg_config_map_get(f, "preconditions"), err) < 0) {
            return -(int)vg_err_code(*err);
        }
    }
    return 0;
}

static int
check_validate(const struct vg_config_node *v, struct vg_err **err)
{
    static const char *const keys[] = {"message",
                                       "pattern",
                                       "anyPattern",
                                       "deny",
                                       "foreach",
                                       "failureAction",
                                       "allowExistingViolations",
                                       "cel",
                                       "podSecurity",
                                       "manifests",
                                       "failureActionOverrides",
                                       "assert"};
    if (vg_config_check_keys(v, "validate", keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    static const char *const refused[] = {"cel", "podSecurity", "manifests", "assert"};
    for (size_t i = 0; i < VG_ARRAY_LEN(refused); i++) {
        if (vg_config_map_get(v, refused[i])) {
            char *what = vg_fmt("validate.%s", refused[i]);
            int rc = unsupported(err, vg_config_map_get(v, refused[i]), what);
            free(what);
            return rc;
        }
    }
    const struct vg_config_node *pat = vg_config_map_get(v, "pattern");
    const struct vg_config_node *any = NULL, *fe = NULL;
    const struct vg_config_node *deny = vg_config_map_get(v, "deny");
    if (vg_config_get_seq(v, "anyPattern", &any, err) < 0 ||
        vg_config_get_seq(v, "foreach", &fe, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (!pat && !any && !deny && !fe) {
        return vg_config_err(err, v, VG_E_PARSE,
                             "validate needs pattern, anyPattern, deny or foreach");
    }
    if ((pat && vg_ky_pattern_check(pat, err) < 0) || (any && vg_ky_pattern_check(any, err) < 0) ||
        (deny && check_deny(deny, err) < 0) || (fe && check_foreach(fe, err) < 0)) {
        return -(int)vg_err_code(*err);
    }
    return 0;
}

/* Splits every PEM block of text; refuses anything crypto/ cannot load. */
static int
check_keys(const struct vg_config_node *n, const char *text, struct vg_err **err)
{
    if (strncmp(text, "k8s://", 6) == 0) {
        return unsupported(err, n, "public keys from Kubernetes Secrets (k8s://)");
    }
    const char *p = text;
    size_t count = 0;
    while ((p = strstr(p, "-----BEGIN"))) {
        const char *end = strstr(p, "-----END");
        const char *stop = end ? strstr(end + 8, "-----") : NULL;
        if (!stop) {
            return vg_config_err(err, n, VG_E_PARSE, "invalid public key: unterminated PEM");
        }
        stop += 5;
        if (vg_policy_key_check(n, p, (size_t)(stop - p), err) < 0) {
            return -(int)VG_E_PARSE;
        }
        count++;
        p = stop;
    }
    if (count == 0) {
        return vg_config_err(err, n, VG_E_PARSE, "invalid public key: no PEM block");
    }
    return 0;
}

/* PEM certificates of a Kyverno attestor field (one at least), refused when one does not
 * parse. */
static int
check_certs(const struct vg_config_node *n, const char *what, struct vg_err **err)
{
    const char *pem = n ? vg_config_node_scalar(n, NULL) : NULL;
    if (!pem) {
        return vg_config_err(err, n, VG_E_PARSE, "%s must be a string of PEM certificates", what);
    }
    if (strncmp(pem, "k8s://", 6) == 0 || !strstr(pem, "-----BEGIN CERTIFICATE-----")) {
        return unsupported(err, n, "certificates that are not inline PEM");
    }
    struct vg_x509 **certs = NULL;
    size_t nc = 0;
    struct vg_err *e = NULL;
    if (vg_x509_parse_all(&certs, &nc, pem, strlen(pem), &e) < 0) {
        vg_autofree char *m = vg_err_format(e);
        vg_err_free(&e);
        return vg_config_err(err, n, VG_E_PARSE, "%s: %s", what, m);
    }
    vg_x509_list_free(certs, nc);
    return 0;
}

/* rekor.pubkey of a keys or certificates attestor: one PEM public key, ECDSA (cosign verifies
 * signed entry timestamps with ECDSA Rekor keys only: any other never verifies). */
static int
check_rekor_pubkey(const struct vg_config_node *n, struct vg_err **err)
{
    const char *pem = vg_config_node_scalar(n, NULL);
    if (!pem) {
        return vg_config_err(err, n, VG_E_PARSE, "rekor.pubkey must be a PEM public key string");
    }
    const char *begin = strstr(pem, "-----BEGIN");
    if (!begin || strstr(begin + 10, "-----BEGIN")) {
        return vg_config_err(err, n, VG_E_PARSE,
                             "rekor.pubkey: exactly one PEM public key block is required");
    }
    struct vg_crypto_key *k = NULL;
    struct vg_err *e = NULL;
    if (vg_sign_key_load_public_mem(&k, "rekor.pubkey", pem, strlen(pem), &e) < 0) {
        vg_autofree char *why = vg_err_format(e);
        vg_err_free(&e);
        return vg_config_err(err, n, VG_E_PARSE, "invalid rekor.pubkey: %s", why);
    }
    enum vg_key_type t = vg_crypto_key_type(k);
    vg_autofree char *what = vg_strdup(vg_crypto_key_describe(k));
    vg_crypto_key_free(k);
    if (t != VG_KEY_ECDSA_P256 && t != VG_KEY_ECDSA_P384 && t != VG_KEY_ECDSA_P521) {
        return vg_config_err(err, n, VG_E_PARSE,
                             "rekor.pubkey is a %s key: Rekor signed entry timestamps are "
                             "verified with ECDSA keys only",
                             what);
    }
    return 0;
}

/* rekor {url, pubkey, ignoreTlog} and ctlog {ignoreSCT, pubkey, tsaCertChain} of attestors:
 * rekor.pubkey is the key their signatures' Rekor entries are verified with (docs/policy.md
 * "Kyverno and the transparency log"); CT logs and TSAs come from vigil's trusted root, so
 * those inline keys are refused rather than ignored. */
static int
check_logs(const struct vg_config_node *a, bool keyless, struct vg_err **err)
{
    static const char *const rkeys[] = {"url", "pubkey", "ignoreTlog"};
    static const char *const ckeys[] = {"ignoreSCT", "pubkey", "tsaCertChain"};
    const struct vg_config_node *rekor = vg_config_map_get(a, "rekor");
    const struct vg_config_node *ctlog = vg_config_map_get(a, "ctlog");
    if ((rekor && vg_config_check_keys(rekor, "rekor", rkeys, 3, err) < 0) ||
        (ctlog && vg_config_check_keys(ctlog, "ctlog", ckeys, 3, err) < 0)) {
        return -(int)VG_E_PARSE;
    }
    if (keyless && !rekor && !vg_config_map_get(a, "roots")) {
        return vg_config_err(err, a, VG_E_PARSE, "keyless: Either Rekor URL or roots are required");
    }
    if (keyless && rekor && !vg_policy_node_str(rekor, "url")) {
        return vg_config_err(err, rekor, VG_E_PARSE, "keyless.rekor: An URL is required");
    }
    const struct vg_config_node *pubkey = rekor ? vg_config_map_get(rekor, "pubkey") : NULL;
    if (pubkey && check_rekor_pubkey(pubkey, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const char *ignore = rekor ? vg_policy_node_str(rekor, "ignoreTlog") : NULL;
    if (ignore && strcmp(ignore, "true") != 0 && strcmp(ignore, "false") != 0) {
        return vg_config_err(err, vg_config_map_get(rekor, "ignoreTlog"), VG_E_PARSE,
                             "rekor.ignoreTlog must be true or false");
    }
    for (size_t i = 1; ctlog && i < 3; i++) {
        if (vg_config_map_get(ctlog, ckeys[i])) {
            char *what =
                vg_fmt("ctlog.%s (vigil takes CT log keys from its trusted root)", ckeys[i]);
            int rc = unsupported(err, vg_config_map_get(ctlog, ckeys[i]), what);
            free(what);
            return rc;
        }
    }
    return 0;
}

static int
check_keyless(const struct vg_config_node *kl, struct vg_err **err)
{
    static const char *const keys[] = {"issuer", "subject", "issuerRegExp", "subjectRegExp",
                                       "roots",  "rekor",   "ctlog",        "additionalExtensions"};
    if (vg_config_check_keys(kl, "keyless", keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (vg_config_map_get(kl, "additionalExtensions")) {
        return unsupported(err, vg_config_map_get(kl, "additionalExtensions"),
                           "keyless.additionalExtensions");
    }
    if (check_logs(kl, true, err) < 0) {
        return -(int)vg_err_code(*err);
    }
    if (vg_config_map_get(kl, "roots") &&
        check_certs(vg_config_map_get(kl, "roots"), "keyless.roots", err) < 0) {
        return -(int)vg_err_code(*err);
    }
    bool any = false;
    for (size_t i = 0; i < 4; i++) {
        any = any || vg_config_map_get(kl, keys[i]);
    }
    struct vg_policy_identity id;
    char *owned[2] = {NULL, NULL};
    int rc = any ? vg_policy_identity_load(&id, owned, kl, "keyless", true, err) : 0;
    free(owned[0]);
    free(owned[1]);
    return rc;
}

static int
check_certificates(const struct vg_config_node *c, bool notary, struct vg_err **err)
{
    static const char *const keys[] = {"cert", "certChain", "rekor", "ctlog"};
    if (vg_config_check_keys(c, "certificates", keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *cert = vg_config_map_get(c, "cert");
    const struct vg_config_node *chain = vg_config_map_get(c, "certChain");
    if (!cert && !chain) {
        return vg_config_err(err, c, VG_E_PARSE, "certificates: cert or certChain required");
    }
    if (!notary && !cert) {
        return unsupported(err, c, "certificates.certChain without cert (type Cosign)");
    }
    if ((cert && check_certs(cert, "certificates.cert", err) < 0) ||
        (chain && check_certs(chain, "certificates.certChain", err) < 0)) {
        return -(int)vg_err_code(*err);
    }
    if (notary) {
        return 0; /* Kyverno's Notary verifier reads cert and certChain only */
    }
    const struct vg_config_node *ctlog = vg_config_map_get(c, "ctlog");
    const char *nosct = ctlog ? vg_policy_node_str(ctlog, "ignoreSCT") : NULL;
    if (chain && !(nosct && strcmp(nosct, "true") == 0)) {
        return unsupported(err, c,
                           "certificates.certChain with SCT verification (set "
                           "ctlog.ignoreSCT: true; vigil does not check SCTs of a certificate "
                           "chain given inline)");
    }
    return check_logs(c, false, err);
}

/* One entry of an attestor set: exactly one of keys, keyless, certificates (nested attestor
 * sets are refused). */
static int
check_entry(const struct vg_config_node *e, bool notary, struct vg_err **err)
{
    static const char *const ekeys[] = {
        "keys",        "keyless",    "certificates",      "attestor",
        "annotations", "repository", "signatureAlgorithm"};
    if (vg_config_check_keys(e, "attestors[].entries[]", ekeys, VG_ARRAY_LEN(ekeys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (vg_config_map_get(e, "attestor")) {
        return unsupported(err, vg_config_map_get(e, "attestor"), "nested attestor sets");
    }
    if (vg_config_map_get(e, "repository")) {
        return unsupported(err, vg_config_map_get(e, "repository"),
                           "alternate signature repositories");
    }
    const struct vg_config_node *keys = vg_config_map_get(e, "keys");
    const struct vg_config_node *kl = vg_config_map_get(e, "keyless");
    const struct vg_config_node *certs = vg_config_map_get(e, "certificates");
    if (!!keys + !!kl + !!certs != 1) {
        return vg_config_err(err, e, VG_E_PARSE,
                             "attestors[].entries[]: exactly one of keys, keyless, certificates "
                             "or attestor is required");
    }
    if (notary && !certs) {
        return unsupported(err, e,
                           "type Notary attestors other than certificates (Kyverno's Notary "
                           "verifier reads only certificates)");
    }
    if (notary && vg_config_map_get(e, "annotations")) {
        return unsupported(err, vg_config_map_get(e, "annotations"),
                           "annotations on a Notary attestor");
    }
    if (kl) {
        return check_keyless(kl, err);
    }
    if (certs) {
        return check_certificates(certs, notary, err);
    }
    const char *pem = vg_policy_node_str(keys, "publicKeys");
    if (!pem) {
        return unsupported(err, e, "attestors without publicKeys (KMS, secrets)");
    }
    static const char *const kkeys[] = {"publicKeys", "rekor", "ctlog", "signatureAlgorithm"};
    if (vg_config_check_keys(keys, "keys", kkeys, VG_ARRAY_LEN(kkeys), err) < 0 ||
        check_keys(vg_config_map_get(keys, "publicKeys"), pem, err) < 0 ||
        check_logs(keys, false, err) < 0) {
        return -(int)vg_err_code(*err);
    }
    return 0;
}

static int
check_attestors(const struct vg_config_node *atts, bool notary, struct vg_err **err)
{
    for (size_t i = 0; atts && i < vg_config_node_len(atts); i++) {
        const struct vg_config_node *set = vg_config_seq_at(atts, i);
        static const char *const skeys[] = {"count", "entries"};
        if (vg_config_check_keys(set, "attestors[]", skeys, 2, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        const struct vg_config_node *entries = NULL;
        if (vg_config_get_seq(set, "entries", &entries, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        for (size_t j = 0; entries && j < vg_config_node_len(entries); j++) {
            if (check_entry(vg_config_seq_at(entries, j), notary, err) < 0) {
                return -(int)vg_err_code(*err);
            }
        }
    }
    return 0;
}

static int
check_verify(const struct vg_config_node *seq, struct vg_err **err)
{
    for (size_t i = 0; i < vg_config_node_len(seq); i++) {
        const struct vg_config_node *v = vg_config_seq_at(seq, i);
        static const char *const keys[] = {"imageReferences",
                                           "skipImageReferences",
                                           "image",
                                           "key",
                                           "type",
                                           "failureAction",
                                           "mutateDigest",
                                           "verifyDigest",
                                           "required",
                                           "useCache",
                                           "attestors",
                                           "attestations",
                                           "repository",
                                           "imageRegistryCredentials",
                                           "validate",
                                           "cosignOCI11",
                                           "roots",
                                           "subject",
                                           "issuer"};
        if (vg_config_check_keys(v, "verifyImages[]", keys, VG_ARRAY_LEN(keys), err) < 0) {
            return -(int)VG_E_PARSE;
        }
        const char *type = vg_policy_node_str(v, "type");
        if (type && strcmp(type, "Cosign") != 0 && strcmp(type, "Notary") != 0) {
            return unsupported(err, vg_config_map_get(v, "type"),
                               "verifyImages type other than Cosign and Notary");
        }
        bool notary = type && strcmp(type, "Notary") == 0;
        static const char *const refused[] = {"attestations", "repository", "validate",
                                              "image",        "key",        "roots",
                                              "subject",      "issuer",     "cosignOCI11"};
        for (size_t k = 0; k < VG_ARRAY_LEN(refused); k++) {
            const struct vg_config_node *n = vg_config_map_get(v, refused[k]);
            if (n && !(vg_config_node_type(n) == VG_CONFIG_SEQ && vg_config_node_len(n) == 0)) {
                char *what = vg_fmt("verifyImages.%s", refused[k]);
                int rc = unsupported(err, n, what);
                free(what);
                return rc;
            }
        }
        const struct vg_config_node *refs = vg_config_map_get(v, "imageReferences");
        if (!refs || vg_config_node_type(refs) != VG_CONFIG_SEQ || vg_config_node_len(refs) == 0) {
            return vg_config_err(err, v, VG_E_PARSE, "verifyImages needs imageReferences");
        }
        const struct vg_config_node *atts = NULL;
        if (vg_config_get_seq(v, "attestors", &atts, err) < 0 ||
            check_attestors(atts, notary, err) < 0) {
            return -(int)vg_err_code(*err);
        }
    }
    return 0;
}

static enum vg_policy_mode
mode_of(const char *action, enum vg_policy_mode def)
{
    if (!action) {
        return def;
    }
    if (strcmp(action, "Enforce") == 0 || strcmp(action, "enforce") == 0) {
        return VG_POLICY_ENFORCE;
    }
    return VG_POLICY_AUDIT;
}

/* True when every kinds list of match names Pod only (autogen applies). */
static bool
pod_only(const struct vg_config_node *m)
{
    if (!m) {
        return false;
    }
    const struct vg_config_node *blocks[3] = {m, NULL, NULL};
    size_t nb = 1;
    if (!vg_config_map_get(m, "resources")) {
        nb = 0;
        for (int k = 0; k < 2; k++) {
            const struct vg_config_node *seq = vg_config_map_get(m, k ? "all" : "any");
            for (size_t i = 0; seq && i < vg_config_node_len(seq) && nb < 3; i++) {
                blocks[nb++] = vg_config_seq_at(seq, i);
            }
            if (seq && vg_config_node_len(seq) > 2) {
                return false;
            }
        }
    }
    if (nb == 0) {
        return false;
    }
    for (size_t b = 0; b < nb; b++) {
        const struct vg_config_node *kinds = vg_policy_node_path(blocks[b], "resources.kinds");
        if (!kinds || vg_config_node_len(kinds) == 0) {
            return false;
        }
        for (size_t i = 0; i < vg_config_node_len(kinds); i++) {
            const char *k = vg_config_node_scalar(vg_config_seq_at(kinds, i), NULL);
            if (!k || (strcmp(k, "Pod") != 0 && strcmp(k, "v1/Pod") != 0)) {
                return false;
            }
        }
    }
    return true;
}

static int
load_rule(struct ky_rule *r, const struct vg_config_node *n, enum vg_policy_mode def,
          struct vg_err **err)
{
    static const char *const keys[] = {"name",
                                       "match",
                                       "exclude",
                                       "preconditions",
                                       "validate",
                                       "verifyImages",
                                       "context",
                                       "mutate",
                                       "generate",
                                       "celPreconditions",
                                       "skipBackgroundRequests",
                                       "imageExtractors",
                                       "reportProperties"};
    if (vg_config_check_keys(n, "spec.rules[]", keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    static const char *const refused[] = {"context", "mutate", "generate", "celPreconditions",
                                          "imageExtractors"};
    for (size_t i = 0; i < VG_ARRAY_LEN(refused); i++) {
        if (vg_config_map_get(n, refused[i])) {
            char *what = vg_fmt("rule %s", refused[i]);
            int rc = unsupported(err, vg_config_map_get(n, refused[i]), what);
            free(what);
            return rc;
        }
    }
    r->node = n;
    r->name = vg_policy_node_str(n, "name");
    r->match = vg_config_map_get(n, "match");
    r->exclude = vg_config_map_get(n, "exclude");
    r->pre = vg_config_map_get(n, "preconditions");
    r->validate = vg_config_map_get(n, "validate");
    if (vg_config_get_seq(n, "verifyImages", &r->verify, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (!r->name || !r->match) {
        return vg_config_err(err, n, VG_E_PARSE, "a Kyverno rule needs name and match");
    }
    if (!r->validate && !r->verify) {
        return vg_config_err(err, n, VG_E_PARSE, "rule %s has neither validate nor verifyImages",
                             r->name);
    }
    if (check_match(r->match, err) < 0 || check_match(r->exclude, err) < 0 ||
        check_conditions(r->pre, err) < 0 ||
        (r->validate && check_validate(r->validate, err) < 0) ||
        (r->verify && check_verify(r->verify, err) < 0)) {
        return -(int)vg_err_code(*err);
    }
    r->mode = mode_of(vg_policy_node_str(r->validate, "failureAction"), def);
    const struct vg_config_node *v0 = r->verify ? vg_config_seq_at(r->verify, 0) : NULL;
    if (v0) {
        r->mode = mode_of(vg_policy_node_str(v0, "failureAction"), def);
    }
    r->autogen = pod_only(r->match);
    return 0;
}

int
vg_policy_load_kyverno(struct vg_policy_set *s, const struct vg_config_node *root, const char *kind,
                       struct vg_err **err)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status"};
    if (vg_config_check_keys(root, NULL, top, VG_ARRAY_LEN(top), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *spec = vg_config_map_get(root, "spec");
    const struct vg_config_node *rules = spec ? vg_config_map_get(spec, "rules") : NULL;
    if (!rules || vg_config_node_type(rules) != VG_CONFIG_SEQ) {
        return vg_config_err(err, root, VG_E_PARSE, "Kyverno %s: spec.rules is required", kind);
    }
    const char *action = vg_policy_node_str(spec, "validationFailureAction");
    enum vg_policy_mode def = mode_of(action, VG_POLICY_AUDIT);
    struct ky_policy *kp = vg_calloc(1, sizeof(*kp));
    kp->nrules = vg_config_node_len(rules);
    kp->rules = vg_calloc(kp->nrules + 1, sizeof(*kp->rules));
    for (size_t i = 0; i < kp->nrules; i++) {
        if (load_rule(&kp->rules[i], vg_config_seq_at(rules, i), def, err) < 0) {
            ky_free(kp);
            return -(int)vg_err_code(*err);
        }
    }
    const struct vg_config_node *ann = vg_policy_node_path(root, "metadata.annotations");
    kp->controllers = vg_policy_node_str(ann, "pod-policies.kyverno.io/autogen-controllers");
    if (!kp->controllers) {
        kp->controllers = default_controllers;
    }
    if (strcmp(kind, "Policy") == 0) {
        kp->ns = vg_config_node_scalar(vg_policy_node_path(root, "metadata.namespace"), NULL);
        if (!kp->ns) {
            kp->ns = "default";
        }
    }
    struct vg_policy *p =
        vg_policy_add(s, VG_POLICY_FMT_KYVERNO, root, kind,
                      vg_config_node_scalar(vg_policy_node_path(root, "metadata.name"), NULL));
    p->mode = def;
    p->impl = kp;
    p->free_impl = ky_free;
    p->eval = vg_ky_eval;
    return 0;
}
