/* SPDX-License-Identifier: Apache-2.0
 *
 * Kyverno ClusterPolicy rules: value patterns and anchors, foreach, preconditions over the
 * images context (JMESPath subset), autogen for pod controllers, verifyImages (digest,
 * required, public-key attestors through the verify callback), Enforce/Audit, and refusals.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/core.h"
#include "policy/policy.h"

#define POLICY(action, rules)                                                                      \
    "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: kp}\nspec:\n"                \
    "  validationFailureAction: " action "\n  rules:\n" rules

#define MATCH_POD "    match: {any: [{resources: {kinds: [Pod]}}]}\n"

static struct vg_policy_set *
load(const char *yaml)
{
    struct vg_policy_set *s = vg_policy_set_new(NULL);
    struct vg_err *err = NULL;
    if (vg_policy_set_load_buf(s, "k.yaml", yaml, strlen(yaml), &err) < 0) {
        char *m = vg_err_format(err);
        cr_assert_fail("load: %s", m);
    }
    return s;
}

static void
refused(const char *yaml, const char *want)
{
    struct vg_policy_set *s = vg_policy_set_new(NULL);
    struct vg_err *err = NULL;
    cr_assert_lt(vg_policy_set_load_buf(s, "k.yaml", yaml, strlen(yaml), &err), 0);
    char *m = vg_err_format(err);
    cr_assert(strstr(m, want), "%s", m);
    cr_assert(strncmp(m, "k.yaml:", 7) == 0, "%s", m);
    free(m);
    vg_err_free(&err);
    vg_policy_set_free(s);
}

/* The outcome of the first rule result ('P', 'F', 'S', or '-' when no rule applied). */
static char
outcome(struct vg_policy_set *s, const char *object, const struct vg_policy_inputs *in,
        bool *allowed)
{
    struct vg_config_doc *doc = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_config_load_buf(&doc, "o.yaml", object, strlen(object), NULL, &err), 0);
    struct vg_policy_object o;
    cr_assert_eq(vg_policy_object_init(&o, vg_config_doc_root(doc, 0), &err), 0);
    struct vg_policy_decision d;
    cr_assert_eq(vg_policy_eval(s, &o, in, &d, &err), 0);
    char c = d.nrules ? "PFS"[d.rules[0].outcome] : '-';
    if (allowed) {
        *allowed = d.allowed;
    }
    vg_policy_decision_dispose(&d);
    vg_policy_object_dispose(&o);
    vg_config_doc_free(doc);
    return c;
}

#define POD(containers)                                                                            \
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec:\n  "                     \
    "containers: " containers "\n"
#define DEPLOY(containers)                                                                         \
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n"  \
    "      containers: " containers "\n"

Test(kyverno, pattern_wildcards_and_anchors)
{
    struct vg_policy_set *s = load(
        POLICY("Enforce",
               "  - name: registries\n" MATCH_POD "    validate:\n      pattern:\n        spec:\n"
               "          =(initContainers): [{image: \"eu.foo.io/* | bar.io/*\"}]\n"
               "          containers:\n          - (image): \"*:latest | !*:*\"\n"
               "            imagePullPolicy: Always\n"));
    bool ok;
    cr_assert_eq(outcome(s, POD("[{name: a, image: nginx:1.2}]"), NULL, &ok), 'P');
    cr_assert_eq(outcome(s, POD("[{name: a, image: nginx:latest}]"), NULL, &ok), 'F');
    cr_assert_not(ok);
    cr_assert_eq(outcome(s, POD("[{name: a, image: nginx, imagePullPolicy: Always}]"), NULL, &ok),
                 'P');
    cr_assert_eq(outcome(s,
                         "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                         "  initContainers: [{name: i, image: evil.io/x}]\n"
                         "  containers: [{name: a, image: nginx:1}]\n",
                         NULL, &ok),
                 'F');
    /* autogen: the Pod rule applies to a Deployment's template */
    cr_assert_eq(outcome(s, DEPLOY("[{name: a, image: nginx:latest}]"), NULL, &ok), 'F');
    vg_policy_set_free(s);
}

Test(kyverno, foreach_preconditions_images_context)
{
    struct vg_policy_set *s = load(POLICY(
        "Audit", "  - name: tags\n" MATCH_POD "    preconditions:\n      all:\n"
                 "      - key: \"{{ images.containers.*.registry }}\"\n        operator: AnyNotIn\n"
                 "        value: [ghcr.io]\n"
                 "    validate:\n      message: no latest\n      foreach:\n"
                 "      - list: \"request.object.spec.containers\"\n        pattern: {image: "
                 "\"!*:latest\"}\n"
                 "      - list: \"request.object.spec.[initContainers, containers][]\"\n"
                 "        deny:\n          conditions:\n            all:\n"
                 "            - {key: \"{{ element.image }}\", operator: Equals, value: "
                 "\"k8s.gcr.io/*\"}\n"));
    bool ok;
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/a/b:latest}]"), NULL, &ok), 'S');
    cr_assert_eq(outcome(s, POD("[{name: a, image: nginx:latest}]"), NULL, &ok), 'F');
    cr_assert(ok); /* Audit reports, does not deny */
    cr_assert_eq(outcome(s, POD("[{name: a, image: k8s.gcr.io/pause:3}]"), NULL, &ok), 'F');
    cr_assert_eq(outcome(s, POD("[{name: a, image: registry.k8s.io/pause:3}]"), NULL, &ok), 'P');
    vg_policy_set_free(s);
    s = load(POLICY("Enforce",
                    "  - name: names\n" MATCH_POD
                    "    validate:\n      deny:\n        conditions:\n          all:\n"
                    "          - key: \"{{ images.[containers, initContainers][].*.name[] "
                    "}}\"\n            operator: AnyNotIn\n            value: [nginx, "
                    "busybox]\n"));
    cr_assert_eq(outcome(s, POD("[{name: a, image: nginx}, {name: b, image: ghcr.io/x/busybox}]"),
                         NULL, &ok),
                 'P');
    cr_assert_eq(
        outcome(s, POD("[{name: a, image: nginx}, {name: b, image: ghcr.io/x/evil}]"), NULL, &ok),
        'F');
    cr_assert_not(ok);
    vg_policy_set_free(s);
}

static enum vg_policy_fact
verify_signed(void *ctx, const char *image, const char *key, const struct vg_policy_kv *a, size_t n,
              char **why)
{
    (void)ctx;
    (void)key;
    (void)a;
    (void)n;
    if (strstr(image, "signed")) {
        return VG_POLICY_FACT_YES;
    }
    *why = strdup("no signatures found");
    return VG_POLICY_FACT_NO;
}

static const char *key_block =
    "            publicKeys: |-\n"
    "              -----BEGIN PUBLIC KEY-----\n"
    "              MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAECnrdnuEQriFWGGoQ3PIGvLy3/fXS\n"
    "              zzSPLwzkdqLZpQopMggUFaQRzvrlST3gZD//hLBYxTDaEk5zGah5HOP3ig==\n"
    "              -----END PUBLIC KEY-----\n";

/* Key signatures with transparency-log evidence: "tlogsigned" images have it. */
struct tlog_seen {
    size_t n;
    char rekor_pem[64], url[64];
};

static enum vg_policy_fact
verify_tlog_signed(void *ctx, const char *image, const char *key, const struct vg_policy_tlog *t,
                   const struct vg_policy_kv *a, size_t n, char **why)
{
    (void)key;
    (void)a;
    (void)n;
    struct tlog_seen *ts = ctx;
    if (ts) {
        ts->n++;
        snprintf(ts->rekor_pem, sizeof(ts->rekor_pem), "%s", t->rekor_pem ? t->rekor_pem : "");
        snprintf(ts->url, sizeof(ts->url), "%s", t->rekor_url ? t->rekor_url : "");
    }
    if (strstr(image, "tlogsigned")) {
        return VG_POLICY_FACT_YES;
    }
    *why = strdup("no transparency-log entry");
    return VG_POLICY_FACT_NO;
}

Test(kyverno, verify_images)
{
    char *yaml = vg_fmt(POLICY("Enforce", "  - name: sig\n" MATCH_POD "    verifyImages:\n"
                                          "    - imageReferences: [\"ghcr.io/acme/*\"]\n"
                                          "      mutateDigest: false\n      verifyDigest: false\n"
                                          "      attestors:\n      - entries:\n        - keys:\n"
                                          "%s            rekor: {ignoreTlog: true}\n"),
                        key_block);
    struct vg_policy_set *s = load(yaml);
    struct vg_policy_inputs in = {.verify = verify_signed};
    bool ok;
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/signed:1}]"), &in, &ok), 'P');
    cr_assert(ok);
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/plain:1}]"), &in, &ok), 'F');
    cr_assert_not(ok);
    cr_assert_eq(outcome(s, POD("[{name: a, image: docker.io/other:1}]"), &in, &ok), 'S');
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/signed:1}]"), NULL, &ok), 'F');
    vg_policy_set_free(s);
    free(yaml);
    /* Kyverno's default (no rekor block, or ignoreTlog false): the key signature must carry
     * transparency-log evidence; a verifier of key signatures alone cannot allow it */
    static const char *const tails[] = {"", "            rekor: {ignoreTlog: false}\n"};
    for (size_t i = 0; i < 2; i++) {
        yaml = vg_fmt(POLICY("Enforce", "  - name: sig\n" MATCH_POD "    verifyImages:\n"
                                        "    - imageReferences: [\"ghcr.io/acme/*\"]\n"
                                        "      mutateDigest: false\n      verifyDigest: false\n"
                                        "      attestors:\n      - entries:\n        - keys:\n"
                                        "%s%s"),
                      key_block, tails[i]);
        s = load(yaml);
        struct tlog_seen ts = {0};
        cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/signed:1}]"), &in, &ok), 'F');
        cr_assert_not(ok);
        struct vg_policy_inputs tin = {
            .ctx = &ts, .verify = verify_signed, .verify_tlog = verify_tlog_signed};
        cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/signed:1}]"), &tin, &ok), 'F');
        cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/tlogsigned:1}]"), &tin, &ok),
                     'P');
        cr_assert(ok);
        cr_assert_eq(ts.n, 2);
        cr_assert_str_eq(ts.rekor_pem, ""); /* the default Rekor key */
        cr_assert_str_eq(ts.url, "https://rekor.sigstore.dev");
        vg_policy_set_free(s);
        free(yaml);
    }
    s = load(POLICY("Audit", "  - name: digest\n" MATCH_POD
                             "    verifyImages:\n    - imageReferences: [\"*\"]\n"
                             "      mutateDigest: false\n      required: false\n"));
    cr_assert_eq(outcome(s, POD("[{name: a, image: nginx:1}]"), NULL, &ok), 'F');
    cr_assert_eq(
        outcome(s,
                POD("[{name: a, image: \"nginx@sha256:"
                    "5504f2a95018e3d8a52d80d9e1a128c6ea337581808ff9fe96f5628ce2336350\"}]"),
                NULL, &ok),
        'P');
    vg_policy_set_free(s);
}

Test(kyverno, refusals)
{
    refused(POLICY("Audit", "  - name: c\n" MATCH_POD
                            "    validate: {cel: {expressions: [{expression: \"true\"}]}}\n"),
            "validate.cel");
    refused(POLICY("Audit",
                   "  - name: c\n" MATCH_POD "    context: [{name: x, apiCall: {urlPath: /x}}]\n"
                   "    validate: {pattern: {spec: {}}}\n"),
            "rule context");
    refused(POLICY("Audit", "  - name: c\n" MATCH_POD "    mutate: {patchStrategicMerge: {}}\n"),
            "rule mutate");
    refused(POLICY("Audit",
                   "  - name: c\n" MATCH_POD "    verifyImages:\n    - imageReferences: [\"*\"]\n"
                   "      attestors: [{entries: [{keyless: {issuer: x}}]}]\n"),
            "k.yaml:11:40: keyless: Either Rekor URL or roots are required");
    refused(POLICY("Audit",
                   "  - name: c\n" MATCH_POD "    validate:\n      deny:\n        conditions:\n"
                   "        - {key: \"{{ length(images) }}\", operator: Equals, value: 1}\n"),
            "JMESPath");
    refused(POLICY("Audit",
                   "  - name: c\n" MATCH_POD
                   "    validate: {pattern: {spec: {containers: [{image: x}]}}, bogus: 1}\n"),
            "unknown key 'validate.bogus'");
    refused(POLICY("Audit",
                   "  - name: c\n" MATCH_POD
                   "    validate: {pattern: {metadata: {name: \"{{ request.namespace }}\"}}}\n"),
            "variables inside validate patterns");
}

/* ---------------------------------------------------------------- keyless, certificates, Notary */

static char *data_block(const char *rel, int ind);

/* The PEM file of tests/data/policy/authorities as a YAML block scalar indented by `ind`. */
static char *
pem_block(const char *name, int ind)
{
    char *rel = vg_fmt("authorities/%s", name);
    char *b = data_block(rel, ind);
    free(rel);
    return b;
}

/* A file of tests/data/policy (rel) as a YAML block scalar indented by `ind`. */
static char *
data_block(const char *rel, int ind)
{
    char *path = vg_fmt("%s/%s", VG_TEST_DATA, rel);
    struct vg_buf b = VG_BUF_INIT(1u << 16);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_file_read(&b, path, 1u << 16, &err), 0, "%s", path);
    free(path);
    struct vg_buf o = VG_BUF_INIT(1u << 17);
    cr_assert_eq(vg_buf_append_str(&o, "|\n", &err), 0);
    const char *t = (const char *)b.data;
    for (size_t i = 0; i < b.len;) {
        size_t j = i;
        while (j < b.len && t[j] != '\n') {
            j++;
        }
        cr_assert_eq(vg_buf_appendf(&o, &err, "%*s%.*s\n", ind, "", (int)(j - i), t + i), 0);
        i = j + 1;
    }
    vg_buf_dispose(&b);
    return vg_buf_take(&o, NULL);
}

struct seen {
    const struct vg_policy_keyless *k;
    char subject_re[256], ca[64];
    bool ignore_tlog, ignore_sct;
    size_t nkeyless, nverify, nnotation;
    char key[64], level[16];
    size_t nids;
};

static enum vg_policy_fact
kl_cb(void *ctx, const char *image, const struct vg_policy_keyless *k, const struct vg_policy_kv *a,
      size_t n, char **why)
{
    (void)a;
    (void)n;
    struct seen *s = ctx;
    s->nkeyless++;
    snprintf(s->subject_re, sizeof(s->subject_re), "%s",
             k->nids && k->ids[0].subject_regexp ? k->ids[0].subject_regexp : "");
    snprintf(s->ca, sizeof(s->ca), "%s", k->ca_pem ? k->ca_pem : "");
    s->ignore_tlog = k->ignore_tlog;
    s->ignore_sct = k->ignore_sct;
    if (strstr(image, "signed")) {
        return VG_POLICY_FACT_YES;
    }
    *why = strdup("no matching keyless signature");
    return VG_POLICY_FACT_NO;
}

static enum vg_policy_fact
key_cb(void *ctx, const char *image, const char *key, const struct vg_policy_kv *a, size_t n,
       char **why)
{
    (void)a;
    (void)n;
    struct seen *s = ctx;
    s->nverify++;
    snprintf(s->key, sizeof(s->key), "%s", key);
    if (strstr(image, "keysigned")) {
        return VG_POLICY_FACT_YES;
    }
    *why = strdup("no signatures found");
    return VG_POLICY_FACT_NO;
}

/* kl_cb, recording the Rekor key in s->key. */
static enum vg_policy_fact
kl_rekor_cb(void *ctx, const char *image, const struct vg_policy_keyless *k,
            const struct vg_policy_kv *a, size_t n, char **why)
{
    struct seen *s = ctx;
    snprintf(s->key, sizeof(s->key), "%s", k->rekor_pem ? k->rekor_pem : "");
    return kl_cb(ctx, image, k, a, n, why);
}

static enum vg_policy_fact
tlog_cb(void *ctx, const char *image, const char *key, const struct vg_policy_tlog *t,
        const struct vg_policy_kv *a, size_t n, char **why)
{
    (void)t;
    return key_cb(ctx, image, key, a, n, why);
}

static enum vg_policy_fact
notation_cb(void *ctx, const char *image, const struct vg_policy_notation *nt, char **why)
{
    struct seen *s = ctx;
    s->nnotation++;
    snprintf(s->level, sizeof(s->level), "%s", nt->level ? nt->level : "");
    snprintf(s->ca, sizeof(s->ca), "%.40s", nt->certs_pem);
    s->nids = nt->nidentities;
    if (strstr(image, "signed")) {
        return VG_POLICY_FACT_YES;
    }
    *why = strdup("no Notary signature is attached");
    return VG_POLICY_FACT_NO;
}

#define VERIFY_HEAD(type)                                                                          \
    "  - name: sig\n" MATCH_POD "    verifyImages:\n    - imageReferences: [\"ghcr.io/acme/*\"]\n" \
    "      mutateDigest: false\n      verifyDigest: false\n" type "      attestors:\n"

Test(kyverno, keyless_attestor)
{
    char *roots = pem_block("root.pem", 14);
    char *yaml = vg_fmt(
        POLICY("Enforce",
               VERIFY_HEAD("") "      - entries:\n        - keyless:\n"
                               "            subject: \"https://github.com/acme/*\"\n"
                               "            issuer: https://token.actions.githubusercontent.com\n"
                               "            rekor: {url: https://rekor.example, ignoreTlog: true}\n"
                               "            ctlog: {ignoreSCT: true}\n"
                               "            roots: %s"),
        roots);
    struct vg_policy_set *s = load(yaml);
    struct seen sn = {0};
    struct vg_policy_inputs in = {.ctx = &sn, .verify_keyless = kl_cb};
    bool ok;
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/signed:1}]"), &in, &ok), 'P');
    cr_assert(ok);
    cr_assert_str_eq(sn.subject_re, "^https://github\\.com/acme/.*$");
    cr_assert(strncmp(sn.ca, "-----BEGIN CERTIFICATE-----", 27) == 0, "%s", sn.ca);
    cr_assert(sn.ignore_tlog && sn.ignore_sct);
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/plain:1}]"), &in, &ok), 'F');
    cr_assert_not(ok);
    /* no facts: unverifiable, a deny */
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/signed:1}]"), NULL, &ok), 'F');
    vg_policy_set_free(s);
    free(yaml);
    free(roots);
}

/* count: 1 of a keys entry and a keyless entry; without count both must verify. */
Test(kyverno, attestor_count)
{
    for (int with_count = 0; with_count < 2; with_count++) {
        char *yaml = vg_fmt(
            POLICY("Enforce",
                   VERIFY_HEAD(
                       "") "      - %s\n        entries:\n"
                           "        - keyless: {subject: x, issuer: y, rekor: {url: https://r}}\n"
                           "        - keys:\n%s"),
            with_count ? "count: 1" : "entries: []", key_block);
        char *fixed = NULL;
        if (!with_count) { /* drop the placeholder so that the set has one entries list */
            const char *p = strstr(yaml, "entries: []\n        entries:");
            cr_assert(p);
            fixed = vg_fmt("%.*s%s", (int)(p - yaml), yaml, p + strlen("entries: []\n        "));
        }
        struct vg_policy_set *s = load(fixed ? fixed : yaml);
        struct seen sn = {0};
        struct vg_policy_inputs in = {
            .ctx = &sn, .verify = key_cb, .verify_keyless = kl_cb, .verify_tlog = tlog_cb};
        bool ok;
        /* keyless verifies, the key does not */
        char r = outcome(s, POD("[{name: a, image: ghcr.io/acme/signed:1}]"), &in, &ok);
        cr_assert_eq(r, with_count ? 'P' : 'F', "count %d: %c", with_count, r);
        /* both verify */
        cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/keysigned:1}]"), &in, &ok),
                     'P');
        vg_policy_set_free(s);
        free(yaml);
        free(fixed);
    }
}

Test(kyverno, certificate_attestor)
{
    char *leaf = pem_block("leaf.pem", 14), *root = pem_block("root.pem", 14);
    char *other = pem_block("other.pem", 14);
    const char *chains[2] = {root, other};
    for (int i = 0; i < 2; i++) {
        char *yaml = vg_fmt(
            POLICY("Enforce",
                   VERIFY_HEAD("") "      - entries:\n        - certificates:\n"
                                   "            cert: %s"
                                   "            certChain: %s"
                                   "            ctlog: {ignoreSCT: true}\n"
                                   "            rekor: {url: https://r, ignoreTlog: true}\n"),
            leaf, chains[i]);
        struct vg_policy_set *s = load(yaml);
        struct seen sn = {0};
        struct vg_policy_inputs in = {.ctx = &sn, .verify = key_cb};
        struct vg_policy_decision d;
        struct vg_config_doc *doc = NULL;
        struct vg_err *err = NULL;
        const char *pod = POD("[{name: a, image: ghcr.io/acme/keysigned:1}]");
        cr_assert_eq(vg_config_load_buf(&doc, "o.yaml", pod, strlen(pod), NULL, &err), 0);
        struct vg_policy_object o;
        cr_assert_eq(vg_policy_object_init(&o, vg_config_doc_root(doc, 0), &err), 0);
        cr_assert_eq(vg_policy_eval(s, &o, &in, &d, &err), 0);
        if (i == 0) { /* the leaf's key is what the signature is checked with */
            cr_assert(d.allowed);
            cr_assert_eq(sn.nverify, 1);
            cr_assert(strncmp(sn.key, "-----BEGIN PUBLIC KEY-----", 26) == 0, "%s", sn.key);
        } else { /* another chain: the certificate does not verify, nothing is asked */
            cr_assert_not(d.allowed);
            cr_assert_eq(sn.nverify, 0);
            cr_assert(d.nreasons && strstr(d.reasons[0].message, "certificates:"), "%s",
                      d.nreasons ? d.reasons[0].message : "");
        }
        vg_policy_decision_dispose(&d);
        vg_policy_object_dispose(&o);
        vg_config_doc_free(doc);
        vg_policy_set_free(s);
        free(yaml);
    }
    free(leaf);
    free(root);
    free(other);
}

Test(kyverno, notary_attestor)
{
    char *root = pem_block("root.pem", 14);
    char *yaml = vg_fmt(
        POLICY("Enforce",
               VERIFY_HEAD("      type: Notary\n") "      - entries:\n        - certificates:\n"
                                                   "            cert: %s"),
        root);
    struct vg_policy_set *s = load(yaml);
    struct seen sn = {0};
    struct vg_policy_inputs in = {.ctx = &sn, .verify = key_cb, .verify_notation = notation_cb};
    bool ok;
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/signed:1}]"), &in, &ok), 'P');
    cr_assert(ok);
    cr_assert_eq(sn.nverify, 0);
    cr_assert_str_eq(sn.level, "strict");
    cr_assert_eq(sn.nids, 0); /* Kyverno trusts any identity under the certificates */
    cr_assert(strncmp(sn.ca, "-----BEGIN CERTIFICATE-----", 27) == 0);
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/plain:1}]"), &in, &ok), 'F');
    cr_assert_not(ok);
    vg_policy_set_free(s);
    free(yaml);
    free(root);
}

Test(kyverno, attestor_refusals)
{
    char *root = pem_block("root.pem", 14);
    struct {
        const char *type, *entry, *want;
    } cases[] = {
        {"", "        - keyless: {subject: x, issuer: y, rekor: {url: https://r, pubkey: k}}\n",
         "k.yaml:13:76: rekor.pubkey: exactly one PEM public key block is required"},
        {"",
         "        - keyless: {subject: x, rekor: {url: https://r}, additionalExtensions: {a: b}}\n",
         "k.yaml:13:80: Kyverno keyless.additionalExtensions is not evaluated"},
        {"", "        - keyless: {subject: x, rekor: {}}\n", "keyless.rekor: An URL is required"},
        {"", "        - keyless: {subjectRegExp: \"(\", roots: x, rekor: {url: u}}\n",
         "certificates that are not inline PEM"},
        {"", "        - keyless: {subjectRegExp: \"(\", rekor: {url: u}}\n",
         "regular expression does not compile"},
        {"", "        - certificates: {rekor: {url: u}}\n", "cert or certChain required"},
        {"",
         "        - certificates: {cert: \"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END "
         "CERTIFICATE-----\\n\"}\n",
         "certificates.cert:"},
        {"", "        - certificates: {cert: \"k8s://ns/secret\"}\n", "not inline PEM"},
        {"", "        - {attestor: {entries: []}}\n", "nested attestor sets"},
        {"", "        - {keyless: {subject: x, rekor: {url: u}}, keys: {publicKeys: x}}\n",
         "exactly one of keys, keyless, certificates"},
        {"      type: Notary\n", "        - keys: {publicKeys: x}\n",
         "type Notary attestors other than certificates"},
        {"      type: SigstoreBundle\n", "        - keys: {publicKeys: x}\n",
         "verifyImages type other than Cosign and Notary"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *yaml = vg_fmt("%s%s%s%s%s", POLICY("Audit", "  - name: sig\n" MATCH_POD),
                            "    verifyImages:\n    - imageReferences: [\"*\"]\n", cases[i].type,
                            "      attestors:\n      - entries:\n", cases[i].entry);
        refused(yaml, cases[i].want);
        free(yaml);
    }
    /* a certificate chain whose SCTs would be checked */
    char *leaf = pem_block("leaf.pem", 14), *chain = pem_block("root.pem", 14);
    char *yaml =
        vg_fmt(POLICY("Audit", VERIFY_HEAD("") "      - entries:\n        - certificates:\n"
                                               "            cert: %s"
                                               "            certChain: %s"),
               leaf, chain);
    refused(yaml, "certChain with SCT verification");
    free(yaml);
    free(leaf);
    free(chain);
    free(root);
}

/* rekor.pubkey of keys and certificates attestors: one ECDSA PEM public key, checked at load
 * with file:line:col; passed to verify_tlog as the Rekor key; ignoreTlog true or false. */
Test(kyverno, rekor_pubkey)
{
    char *ec = data_block("../sign/ecp256.pub", 16), *rsa = data_block("../sign/rsa2048.pub", 16);
    char *two = vg_fmt("%s%s", ec, strchr(ec, '\n') + 1);
    const char *head = POLICY("Enforce", VERIFY_HEAD("") "      - entries:\n        - keys:\n");
    struct {
        const char *pubkey, *want;
    } bad[] = {
        {"not a key\n", "k.yaml:23:23: rekor.pubkey: exactly one PEM public key block"},
        {"|\n                -----BEGIN PUBLIC KEY-----\n                AAAA\n"
         "                -----END PUBLIC KEY-----\n",
         "k.yaml:24:1: invalid rekor.pubkey"},
        {two, "k.yaml:24:1: rekor.pubkey: exactly one PEM public key block"},
        {rsa, "k.yaml:24:1: rekor.pubkey is a RSA 2048 key: Rekor signed entry timestamps are "
              "verified with ECDSA keys only"},
        {"[a, b]\n", "k.yaml:23:23: rekor.pubkey must be a PEM public key string"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *yaml = vg_fmt("%s%s            rekor:\n              url: https://rekor.example\n"
                            "              pubkey: %s",
                            head, key_block, bad[i].pubkey);
        refused(yaml, bad[i].want);
        free(yaml);
    }
    char *yaml = vg_fmt("%s%s            rekor: {ignoreTlog: yes}\n", head, key_block);
    refused(yaml, "k.yaml:21:33: rekor.ignoreTlog must be true or false");
    free(yaml);
    /* certificates attestors read the same rekor block */
    char *leaf = pem_block("leaf.pem", 14);
    yaml = vg_fmt("%s"
                  "        - certificates:\n            cert: %s"
                  "            rekor: {pubkey: nope}\n",
                  POLICY("Enforce", VERIFY_HEAD("") "      - entries:\n"), leaf);
    refused(yaml, "rekor.pubkey: exactly one PEM public key block");
    free(yaml);
    /* a valid key: loaded and handed to the callback with the url */
    yaml = vg_fmt("%s%s            rekor:\n              url: https://rekor.example\n"
                  "              pubkey: %s",
                  head, key_block, ec);
    struct vg_policy_set *s = load(yaml);
    struct tlog_seen ts = {0};
    struct vg_policy_inputs in = {.ctx = &ts, .verify_tlog = verify_tlog_signed};
    bool ok;
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/tlogsigned:1}]"), &in, &ok), 'P');
    cr_assert(ok);
    cr_assert_eq(ts.n, 1);
    cr_assert(strncmp(ts.rekor_pem, "-----BEGIN PUBLIC KEY-----", 26) == 0, "%s", ts.rekor_pem);
    cr_assert_str_eq(ts.url, "https://rekor.example");
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/keysigned:1}]"), &in, &ok), 'F');
    cr_assert_not(ok);
    vg_policy_set_free(s);
    free(yaml);
    /* a certificates attestor with the default log asks verify_tlog with the leaf's key */
    yaml = vg_fmt("%s"
                  "        - certificates:\n            cert: %s",
                  POLICY("Enforce", VERIFY_HEAD("") "      - entries:\n"), leaf);
    s = load(yaml);
    ts = (struct tlog_seen){0};
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/tlogsigned:1}]"), &in, &ok), 'P');
    cr_assert_eq(ts.n, 1);
    cr_assert_str_eq(ts.url, "https://rekor.sigstore.dev");
    vg_policy_set_free(s);
    free(yaml);
    /* keyless attestors hand rekor.pubkey to verify_keyless in place of the root's keys */
    yaml = vg_fmt("%s"
                  "        - keyless:\n            subject: x\n            issuer: y\n"
                  "            rekor:\n              url: https://rekor.example\n"
                  "              pubkey: %s",
                  POLICY("Enforce", VERIFY_HEAD("") "      - entries:\n"), ec);
    s = load(yaml);
    struct seen sn = {0};
    struct vg_policy_inputs kin = {.ctx = &sn, .verify_keyless = kl_rekor_cb};
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/signed:1}]"), &kin, &ok), 'P');
    cr_assert_eq(sn.nkeyless, 1);
    cr_assert(strncmp(sn.key, "-----BEGIN PUBLIC KEY-----", 26) == 0, "%s", sn.key);
    vg_policy_set_free(s);
    free(yaml);
    free(leaf);
    free(two);
    free(ec);
    free(rsa);
}
