/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil admit serve`: the Kubernetes admission webhook (docs/admit.md). Flags into
 * admit/ and httpd/ options; the webhook itself lives in admit/, the HTTP machinery in httpd/.
 * `vigil admit check`: the webhook's /validate verdict on each object of manifest files,
 * without a cluster (the same admit/ decision code, on the calling thread).
 */
#include "cli.h"

#include "admit/admit.h"
#include "config/config.h"
#include "crypto/crypto.h"
#include "httpd/httpd.h"
#include "policy/facts.h"
#include "sign/notation.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: vigil admit serve --policy FILE... --tls-cert CERT --tls-key KEY [options]\n"
    "       vigil admit check --policy FILE... [options] MANIFEST...  (see admit check -h)\n"
    "       vigil admit manifests --namespace NS --policy FILE...   (see admit manifests -h)\n"
    "\n"
    "Runs the Kubernetes admission webhook: POST /validate decides AdmissionReview v1 and\n"
    "v1beta1 requests against image policies (vigil ImagePolicy, Gatekeeper constraints,\n"
    "Sigstore ClusterImagePolicy, Kyverno; see docs/policy.md) and POST /mutate pins each\n"
    "image's tag to its digest (image:tag@sha256:...). The apiserver's ?timeout= is the\n"
    "deadline: a check that cannot finish in time is denied (fail closed).\n"
    "\n"
    "Options:\n"
    "  -p, --policy FILE      policy file (repeatable; reloaded on SIGHUP)\n"
    "      --tls-cert FILE    PEM certificate chain (reloaded on SIGHUP)\n"
    "      --tls-key FILE     PEM private key (reloaded on SIGHUP)\n"
    "      --addr HOST:PORT   listen address (default :8443)\n"
    "      --no-match M       deny (default), warn or allow: an image no ClusterImagePolicy\n"
    "                         matches, when any is loaded\n"
    "      --offline          never contact registries: signature, vulnerability and config\n"
    "                         requirements deny; /mutate pins nothing\n"
    "      --db PATH          vulnerability database for vulnerability requirements\n"
    "      --vuln-source S    auto (default): a vigil registry's scan of the image\n"
    "                         (/vigil/v1/scans/), else a local scan; registry or local only\n"
    "      --trusted-root [NAME=]FILE\n"
    "                         Sigstore trusted_root.json for keyless authorities (repeatable;\n"
    "                         NAME=FILE: the root a policy names), as vigil policy check\n"
    "                         (also the Rekor keys of Kyverno keys/certificates attestors)\n"
    "      --in-cluster       read the pods' imagePullSecrets through the Kubernetes API\n"
    "                         with the webhook's service account (needs get on secrets)\n"
    "      --kubeconfig FILE  the same through FILE's current context (token auth)\n"
    "      --pull-secrets-dir DIR\n"
    "                         the same from DIR/<namespace>/<name>.json Secret objects\n"
    "      --timeout DUR      deadline when a request has no ?timeout= (default 10s)\n"
    "      --cache-ttl DUR    how long facts of a digest are cached (default 5m; 0: not\n"
    "                         cached); images named by tag are cached under the digest\n"
    "                         the tag names when reviewed (resolved on every review)\n"
    "      --failure-ttl DUR  how long a fact that could not be fetched (registry down) is\n"
    "                         remembered before asking again (default 10s; 0: never)\n"
    "      --max-cold N       reviews checked against one registry at once (default 4); a\n"
    "                         review takes a slot on each registry its images name; the\n"
    "                         others wait, without delaying cached ones or other\n"
    "                         registries' reviews, and are denied when no slot frees before\n"
    "                         their deadline\n"
    "      --max-cold-total N reviews checked against registries at once in all (default 64;\n"
    "                         never below --max-cold)\n"
    "      --access-log FILE  JSON access log (default stderr; 'off' for none)\n"
    "      --insecure-plain-http-for-tests\n"
    "                         serve plain HTTP without TLS (tests only; the apiserver\n"
    "                         requires HTTPS)\n" VG_CLI_HELP_INSECURE_REGISTRIES
        VG_CLI_HELP_NOTATION_REVOCATION VG_CLI_HELP_REGISTRY "  -h, --help             this help\n"
    "\n"
    "Signals: SIGTERM/SIGINT drain and stop; SIGHUP reloads the policies (requests running\n"
    "keep the old set; a broken file keeps the old set and is logged), TLS and the access log.\n"
    "\n"
    "Examples:\n"
    "  vigil admit serve -p prod.yaml --tls-cert tls.crt --tls-key tls.key\n"
    "  vigil admit serve -p gatekeeper/ -p cip.yaml --addr 0.0.0.0:9443 \\\n"
    "      --tls-cert /tls/tls.crt --tls-key /tls/tls.key --timeout 5s\n"
    "  vigil admit serve -p notary.yaml --tls-cert tls.crt --tls-key tls.key \\\n"
    "      --notation-revocation-timeout 500ms      # or --notation-revocation skip\n"
    "  vigil admit serve -p prod.yaml --tls-cert tls.crt --tls-key tls.key \\\n"
    "      --max-cold 8 --max-cold-total 32 --cache-ttl 10m --failure-ttl 5s\n"
    "  curl --cacert ca.crt -H 'Content-Type: application/json' --data @review.json \\\n"
    "      'https://127.0.0.1:8443/validate?timeout=10s'\n";

enum {
    OPT_CERT = 0x100,
    OPT_KEY,
    OPT_ADDR,
    OPT_NOMATCH,
    OPT_OFFLINE,
    OPT_DB,
    OPT_TIMEOUT,
    OPT_TTL,
    OPT_LOG,
    OPT_PLAIN,
    OPT_FORMAT,
    OPT_VSRC,
    OPT_ROOT,
    OPT_SECRETS_DIR,
    OPT_KUBECONFIG,
    OPT_IN_CLUSTER,
    OPT_INSECURE_REGS,
    OPT_MAX_COLD,
    OPT_MAX_COLD_TOTAL,
    OPT_FAIL_TTL,
    OPT_NREV,
    OPT_NREV_TIMEOUT,
};

static void
on_hup(void *ud)
{
    struct vg_admit *a = ud;
    struct vg_err *err = NULL;
    if (vg_admit_reload(a, &err) < 0) {
        char *m = vg_err_format(err);
        VG_EVENT(VG_LOG_ERROR, "admit", "policy reload failed, keeping the old set",
                 VG_KV_STR("error", m));
        free(m);
        vg_err_free(&err);
    }
}

static int
parse_ms(const char *what, const char *s, unsigned *out)
{
    uint64_t ms = 0;
    if (vg_config_parse_duration_ms((struct vg_str){s, strlen(s)}, 86400000u, &ms) < 0 || !ms) {
        return vg_cli_usage("admit serve", "%s: '%s' is not a duration like 10s or 500ms", what, s);
    }
    *out = (unsigned)ms;
    return 0;
}

/* --cache-ttl in ms; "0" is UINT_MAX: verdicts are not cached. */
static int
parse_ttl(const char *s, unsigned *out)
{
    if (strcmp(s, "0") == 0) {
        *out = UINT_MAX;
        return 0;
    }
    return parse_ms("--cache-ttl", s, out);
}

/* Whole seconds (rounded up); 0 is UINT_MAX: failures are not cached. */
static int
parse_fail_ttl(const char *s, unsigned *out)
{
    uint64_t ms = 0;
    if (vg_config_parse_duration_ms((struct vg_str){s, strlen(s)}, 3600000u, &ms) < 0) {
        return vg_cli_usage("admit serve", "--failure-ttl: '%s' is not a duration like 10s or 0",
                            s);
    }
    *out = ms ? (unsigned)((ms + 999) / 1000) : UINT_MAX;
    return 0;
}

static int
parse_count(const char *what, const char *s, unsigned *out)
{
    uint64_t n = 0;
    if (vg_parse_u64((struct vg_str){s, strlen(s)}, 1024, &n) < 0 || !n) {
        return vg_cli_usage("admit serve", "%s: '%s' is not a number from 1 to 1024", what, s);
    }
    *out = (unsigned)n;
    return 0;
}

static int
parse_nomatch(const char *cmd, const char *s, enum vg_policy_nomatch *out)
{
    if (strcmp(s, "deny") == 0) {
        *out = VG_POLICY_NOMATCH_DENY;
    } else if (strcmp(s, "warn") == 0) {
        *out = VG_POLICY_NOMATCH_WARN;
    } else if (strcmp(s, "allow") == 0) {
        *out = VG_POLICY_NOMATCH_ALLOW;
    } else {
        return vg_cli_usage(cmd, "--no-match must be deny, warn or allow");
    }
    return 0;
}

static int
parse_vsrc(const char *cmd, const char *s, int *out)
{
    *out = vg_policy_vuln_source_parse(s);
    return *out < 0 ? vg_cli_usage(cmd, "--vuln-source must be auto, registry or local") : 0;
}

struct serve_args {
    VG_VEC(const char *) policies;
    VG_VEC(const char *) roots;
    struct vg_admit_opts ao;
    const char *cert, *key, *addr, *log;
    bool plain;
    unsigned ttl_ms;
    struct vg_notation_revocation_config nrev; /* memory cache only */
};

/* The combinations parse_args refuses once every option is read. */
static int
check_serve_args(const struct serve_args *sa, int argc, char **argv)
{
    int rc = 0;
    if (rc == 0 && optind < argc) {
        rc = vg_cli_usage("admit serve", "unexpected argument '%s'", argv[optind]);
    }
    if (rc == 0 && sa->policies.n == 0) {
        rc = vg_cli_usage("admit serve", "at least one --policy FILE is required");
    }
    if (rc == 0 && !sa->plain && (!sa->cert || !sa->key)) {
        rc = vg_cli_usage("admit serve", "--tls-cert and --tls-key are required (the apiserver "
                                         "only calls webhooks over HTTPS)");
    }
    if (rc == 0 && (!!sa->ao.secrets.dir + !!sa->ao.secrets.api.kubeconfig +
                    sa->ao.secrets.api.in_cluster) > 1) {
        rc = vg_cli_usage("admit serve",
                          "--pull-secrets-dir, --kubeconfig and --in-cluster exclude each other");
    }
    if (rc == 0 && sa->plain && (sa->cert || sa->key)) {
        rc = vg_cli_usage("admit serve",
                          "--insecure-plain-http-for-tests excludes --tls-cert/--tls-key");
    }
    return rc;
}

/* --notation-revocation[-timeout]: true when c was one of them (*rc its verdict). */
static bool
nrev_opt(struct serve_args *sa, int c, const char *arg, int *rc)
{
    if (c != OPT_NREV && c != OPT_NREV_TIMEOUT) {
        return false;
    }
    *rc = vg_cli_notation_revocation_opt("admit serve", c == OPT_NREV_TIMEOUT, arg, &sa->nrev);
    return true;
}

/* 0, VG_EXIT_* for a usage error, or -1 after --help. */
static int
parse_args(struct serve_args *sa, int argc, char **argv)
{
    static const struct option opts[] = {
        {"policy", required_argument, NULL, 'p'},
        {"tls-cert", required_argument, NULL, OPT_CERT},
        {"tls-key", required_argument, NULL, OPT_KEY},
        {"addr", required_argument, NULL, OPT_ADDR},
        {"no-match", required_argument, NULL, OPT_NOMATCH},
        {"offline", no_argument, NULL, OPT_OFFLINE},
        {"db", required_argument, NULL, OPT_DB},
        {"vuln-source", required_argument, NULL, OPT_VSRC},
        {"trusted-root", required_argument, NULL, OPT_ROOT},
        {"pull-secrets-dir", required_argument, NULL, OPT_SECRETS_DIR},
        {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
        {"in-cluster", no_argument, NULL, OPT_IN_CLUSTER},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"cache-ttl", required_argument, NULL, OPT_TTL},
        {"max-cold", required_argument, NULL, OPT_MAX_COLD},
        {"max-cold-total", required_argument, NULL, OPT_MAX_COLD_TOTAL},
        {"failure-ttl", required_argument, NULL, OPT_FAIL_TTL},
        {"access-log", required_argument, NULL, OPT_LOG},
        {"insecure-plain-http-for-tests", no_argument, NULL, OPT_PLAIN},
        {"notation-revocation", required_argument, NULL, OPT_NREV},
        {"notation-revocation-timeout", required_argument, NULL, OPT_NREV_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        VG_CLI_INSECURE_REGISTRIES_LONGOPT(OPT_INSECURE_REGS),
        VG_CLI_REGISTRY_LONGOPTS,
        {NULL, 0, NULL, 0}};
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &sa->ao.open) || nrev_opt(sa, c, optarg, &rc)) {
            continue;
        }
        switch (c) {
        case 'p':
            vg_vec_push(&sa->policies, optarg);
            break;
        case OPT_CERT:
            sa->cert = optarg;
            break;
        case OPT_KEY:
            sa->key = optarg;
            break;
        case OPT_ADDR:
            sa->addr = optarg;
            break;
        case OPT_NOMATCH:
            rc = parse_nomatch("admit serve", optarg, &sa->ao.nomatch);
            break;
        case OPT_OFFLINE:
            sa->ao.offline = true;
            break;
        case OPT_DB:
            sa->ao.db = optarg;
            break;
        case OPT_VSRC:
            rc = parse_vsrc("admit serve", optarg, &sa->ao.vuln_source);
            break;
        case OPT_ROOT:
            vg_vec_push(&sa->roots, optarg);
            break;
        case OPT_SECRETS_DIR:
            sa->ao.secrets.dir = optarg;
            break;
        case OPT_KUBECONFIG:
            sa->ao.secrets.api.kubeconfig = optarg;
            break;
        case OPT_IN_CLUSTER:
            sa->ao.secrets.api.in_cluster = true;
            break;
        case OPT_TIMEOUT:
            rc = parse_ms("--timeout", optarg, &sa->ao.default_timeout_ms);
            break;
        case OPT_TTL:
            rc = parse_ttl(optarg, &sa->ttl_ms);
            break;
        case OPT_LOG:
            sa->log = optarg;
            break;
        case OPT_FAIL_TTL:
            rc = parse_fail_ttl(optarg, &sa->ao.failure_ttl_s);
            break;
        case OPT_MAX_COLD:
        case OPT_MAX_COLD_TOTAL:
            rc = parse_count(c == OPT_MAX_COLD ? "--max-cold" : "--max-cold-total", optarg,
                             c == OPT_MAX_COLD ? &sa->ao.max_cold : &sa->ao.max_cold_total);
            break;
        case OPT_PLAIN:
            sa->plain = true;
            break;
        case OPT_INSECURE_REGS:
            rc = vg_cli_insecure_registries("admit serve", optarg, &sa->ao.open);
            break;
        case 'h':
            fputs(usage_text, stdout);
            return -1;
        default:
            rc = vg_cli_usage("admit serve", "unknown option");
        }
    }
    return rc == 0 ? check_serve_args(sa, argc, argv) : rc;
}

static int
admit_serve(int argc, char **argv)
{
    struct serve_args sa = {.ao = {.open = VG_OCI_OPEN_OPTS_INIT}, .addr = ":8443"};
    int rc = parse_args(&sa, argc, argv);
    if (rc != 0) {
        vg_vec_dispose(&sa.policies);
        vg_vec_dispose(&sa.roots);
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    vg_notation_revocation_configure(&sa.nrev);
    struct vg_admit_opts ao = sa.ao;
    const char *cert = sa.cert, *key = sa.key, *addr = sa.addr, *log = sa.log;
    unsigned ttl_ms = sa.ttl_ms;
    ao.policies = sa.policies.v;
    ao.npolicies = sa.policies.n;
    ao.trusted_roots = sa.roots.v;
    ao.ntrusted_roots = sa.roots.n;
    ao.cache_ttl_s = ttl_ms == UINT_MAX ? UINT_MAX : ttl_ms ? (ttl_ms + 999) / 1000 : 0;
    /* ":8443" listens on every address */
    vg_autofree char *listen = addr[0] == ':' ? vg_fmt("0.0.0.0%s", addr) : vg_strdup(addr);
    /* 32 KiB of request line and headers (the apiserver sends a few hundred bytes): it is also
     * libmicrohttpd's per-connection pool, which it zeroes for every request (64 KiB by default,
     * a sixth of a cached decision's instructions). */
    struct vg_httpd_config hc = {.addr = listen,
                                 .tls_cert = cert,
                                 .tls_key = key,
                                 .access_log = log,
                                 .max_header_bytes = 32u * 1024u,
                                 .suspendable = true}; /* cold reviews wait off-thread */
    /* One JSON audit line per decision by default (the environment still decides when set). */
    if (!getenv("VG_LOG") && !getenv("VIGIL_LOG_LEVEL")) {
        vg_log_init("warn,admit=info");
    }
    if (!getenv("VIGIL_LOG_FORMAT")) {
        vg_log_set_json(true);
    }
    struct vg_err *err = NULL;
    struct vg_admit *a = NULL;
    struct vg_httpd *h = NULL;
    int code = VG_EXIT_OK;
    if (vg_crypto_init(&err) < 0 || vg_admit_new(&a, &ao, &err) < 0 ||
        !(h = vg_httpd_new(&hc, &err)) || vg_admit_mount(a, h, &err) < 0 ||
        vg_httpd_start(h, &err) < 0) {
        code = vg_cli_fail(&err, "admit serve");
    } else {
        vg_httpd_on_hup(h, on_hup, a);
        vg_httpd_set_ready(h, true);
        const char *colon = strrchr(listen, ':');
        vg_autofree char *host =
            colon ? vg_strndup(listen, (size_t)(colon - listen)) : vg_strdup(listen);
        vg_autofree char *url =
            vg_fmt("%s://%s:%u", vg_httpd_is_tls(h) ? "https" : "http", host, vg_httpd_port(h));
        VG_EVENT(VG_LOG_WARN, "admit", "admission webhook listening", VG_KV_STR("url", url),
                 VG_KV_U64("policy_files", sa.policies.n));
        if (vg_httpd_run(h, 30, &err) < 0) {
            code = vg_cli_fail(&err, "admit serve");
        }
    }
    vg_httpd_free(h);
    vg_vec_dispose(&sa.policies);
    vg_vec_dispose(&sa.roots);
    if (!vg_admit_free(a)) {
        vg_cli_exit_now(code); /* evaluations still run: no library cleanup under them */
    }
    return code;
}

/* ---------------------------------------------------------------- admit check */

static const char check_usage[] =
    "Usage: vigil admit check --policy FILE... [options] MANIFEST...\n"
    "\n"
    "Prints the verdict `vigil admit serve` would give on POST /validate for every object of\n"
    "the Kubernetes manifests (multi-document YAML or JSON; a v1 List's items too), as a\n"
    "CREATE in the object's namespace: the same parsing of the object, the same policies and\n"
    "the same message, so CI sees the admission decision before deploying. Pod, Deployment,\n"
    "ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController and PodTemplate\n"
    "are decided; other kinds are allowed with the webhook's warning.\n"
    "\n"
    "Options:\n"
    "  -p, --policy FILE      policy file (repeatable)\n"
    "  -n, --namespace NS     namespace of objects that name none (default: default)\n"
    "      --format F         table (default) or json\n"
    "      --no-match M       deny (default), warn or allow (as admit serve)\n"
    "      --offline          never contact registries: signature, vulnerability and config\n"
    "                         requirements are unverifiable (a deny)\n"
    "      --db PATH          vulnerability database for vulnerability requirements\n"
    "      --vuln-source S    auto (default): a vigil registry's scan of the image\n"
    "                         (/vigil/v1/scans/), else a local scan; registry or local "
    "only\n" VG_CLI_HELP_INSECURE_REGISTRIES VG_CLI_HELP_REGISTRY
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 every object admitted (warnings allowed), 1 some object denied (policy or\n"
    "invalid object), 2 usage, 3 runtime error, 6 a policy or manifest is malformed or holds\n"
    "something vigil cannot evaluate.\n"
    "\n"
    "Examples:\n"
    "  vigil admit check -p prod.yaml deploy/*.yaml\n"
    "  kubectl kustomize overlays/prod | vigil admit check -p prod.yaml --format json /dev/stdin\n";

struct check_args {
    VG_VEC(const char *) policies;
    VG_VEC(const char *) manifests;
    struct vg_admit_opts ao;
    const char *ns;
    bool json;
};

struct check_out {
    json_t *objects;
    size_t total, denied, warned;
    bool json;
};

/* ans: the /validate answer (NULL when /mutate denied); mans: the /mutate answer. The verdict
 * and warnings are the sequence's (the apiserver returns both webhooks' warnings). */
static void
check_print(struct check_out *out, const char *source, const struct vg_admit_review *rv,
            const char *result, const struct vg_admit_answer *ans,
            const struct vg_admit_answer *mans, json_t *mresp)
{
    const struct vg_admit_answer *last = ans ? ans : mans;
    VG_VEC(const char *) warn = {0};
    for (size_t i = 0; i < mans->warnings.n; i++) {
        vg_vec_push(&warn, mans->warnings.v[i]);
    }
    for (size_t i = 0; ans && i < ans->warnings.n; i++) {
        bool dup = false; /* an unchecked kind gets the same warning from both */
        for (size_t j = 0; j < mans->warnings.n && !dup; j++) {
            dup = strcmp(mans->warnings.v[j], ans->warnings.v[i]) == 0;
        }
        if (!dup) {
            vg_vec_push(&warn, ans->warnings.v[i]);
        }
    }
    out->total++;
    out->denied += !last->allowed;
    out->warned += last->allowed && warn.n > 0;
    const char *verdict = !last->allowed ? "deny" : warn.n ? "warn" : "allow";
    if (out->json) {
        json_t *w = json_array();
        for (size_t i = 0; i < warn.n; i++) {
            vg_json_append_take(w, json_string(warn.v[i]));
        }
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:o}", "source", source, "kind",
                      rv->kind, "namespace", rv->namespace, "name", rv->name, "verdict", verdict,
                      "result", result, "allowed", last->allowed, "images",
                      (json_int_t)(rv->has_object ? rv->obj.ncontainers : 0), "warnings", w);
        if (!last->allowed) {
            vg_json_set_take(o, "code", json_integer(last->code ? last->code : 403));
            vg_json_set_str(o, "message", last->message ? last->message : "denied by vigil");
        }
        vg_json_set_take(o, "mutate", json_incref(mresp));
        if (ans) {
            vg_json_set_take(o, "response", vg_admit_response(rv, ans));
        }
        vg_json_append_take(out->objects, o);
        vg_vec_dispose(&warn);
        return;
    }
    const char *kind = *rv->kind ? rv->kind : "(no kind)";
    const char *name = *rv->name ? rv->name : "(no name)";
    vg_autofree char *k = vg_escape(kind, strlen(kind), 100);
    vg_autofree char *n = vg_escape(name, strlen(name), 200);
    vg_autofree char *ns = vg_escape(rv->namespace, strlen(rv->namespace), 100);
    printf("%-5s  %s  %s %s/%s\n", verdict, source, k, ns, n);
    if (!last->allowed) {
        const char *msg = last->message ? last->message : "denied by vigil";
        vg_autofree char *m = vg_escape(msg, strlen(msg), 8192);
        printf("       %s\n", m);
    }
    for (size_t i = 0; i < warn.n; i++) {
        printf("       warning: %s\n", warn.v[i]);
    }
    vg_vec_dispose(&warn);
}

/* The /mutate patch applied to the object in doc: each "replace" of an image (a container's
 * or an image volume's reference; rv is the review the patch was made for). */
static void
check_apply_patch(struct vg_config_doc *doc, const struct vg_admit_review *rv, const json_t *patch)
{
    for (size_t i = 0; i < json_array_size(patch); i++) {
        const json_t *op = json_array_get(patch, i);
        const char *kind = vg_json_str(op, "op"), *path = vg_json_str(op, "path");
        const char *value = vg_json_str(op, "value");
        if (!kind || strcmp(kind, "replace") != 0 || !path || !value) {
            continue;
        }
        for (size_t c = 0; c < rv->obj.ncontainers; c++) {
            const struct vg_policy_container *ct = &rv->obj.containers[c];
            vg_autofree char *ptr = vg_admit_json_pointer(ct->path);
            if (strcmp(ptr, path) != 0) {
                continue;
            }
            const struct vg_config_node *img =
                strcmp(ct->field, "volumes") == 0
                    ? vg_config_map_get(vg_config_map_get(ct->node, "image"), "reference")
                    : vg_config_map_get(ct->node, "image");
            struct vg_err *err = NULL;
            if (vg_config_scalar_replace(doc, img, value, &err) < 0) {
                vg_err_free(&err); /* cannot happen: the node is the object's image */
            }
        }
    }
}

/* As the apiserver calls the webhooks on a CREATE: POST /mutate first (its denial is the
 * answer), its patch applied (tags pinned to digests), then POST /validate on the result. */
static int
check_object(struct vg_admit *a, const struct check_args *ca, struct check_out *out,
             struct vg_config_doc *doc, const struct vg_config_node *root, const char *file)
{
    /* kubectl's `kind: List` (kubectl get -o yaml) carries its objects in items */
    const struct vg_config_node *kind =
        vg_config_node_type(root) == VG_CONFIG_MAP ? vg_config_map_get(root, "kind") : NULL;
    const struct vg_config_node *items =
        vg_config_node_type(root) == VG_CONFIG_MAP ? vg_config_map_get(root, "items") : NULL;
    const char *ks = kind && vg_config_node_type(kind) == VG_CONFIG_SCALAR
                         ? vg_config_node_scalar(kind, NULL)
                         : NULL;
    if (ks && strcmp(ks, "List") == 0 && items && vg_config_node_type(items) == VG_CONFIG_SEQ) {
        for (size_t i = 0; i < vg_config_node_len(items); i++) {
            check_object(a, ca, out, doc, vg_config_seq_at(items, i), file);
        }
        return 0;
    }
    struct vg_admit_review rv;
    vg_admit_review_from_object(&rv, root, ca->ns);
    struct vg_admit_answer mans, ans;
    const char *result = vg_admit_decide(a, &rv, true, &mans);
    json_t *mresp = vg_admit_response(&rv, &mans);
    bool validated = mans.allowed;
    if (validated) {
        if (mans.patch) {
            check_apply_patch(doc, &rv, mans.patch);
            vg_admit_review_dispose(&rv);
            vg_admit_review_from_object(&rv, root, ca->ns);
        }
        result = vg_admit_decide(a, &rv, false, &ans);
    }
    vg_autofree char *source = vg_fmt("%s:%u", file, vg_config_node_line(root));
    check_print(out, source, &rv, result, validated ? &ans : NULL, &mans, mresp);
    json_decref(mresp);
    if (validated) {
        vg_admit_answer_dispose(&ans);
    }
    vg_admit_answer_dispose(&mans);
    vg_admit_review_dispose(&rv);
    return 0;
}

/* 0, VG_EXIT_* for a usage error, or -1 after --help. */
static int
check_parse_args(struct check_args *ca, int argc, char **argv)
{
    static const struct option opts[] = {{"policy", required_argument, NULL, 'p'},
                                         {"namespace", required_argument, NULL, 'n'},
                                         {"format", required_argument, NULL, OPT_FORMAT},
                                         {"no-match", required_argument, NULL, OPT_NOMATCH},
                                         {"offline", no_argument, NULL, OPT_OFFLINE},
                                         {"db", required_argument, NULL, OPT_DB},
                                         {"vuln-source", required_argument, NULL, OPT_VSRC},
                                         {"help", no_argument, NULL, 'h'},
                                         VG_CLI_INSECURE_REGISTRIES_LONGOPT(OPT_INSECURE_REGS),
                                         VG_CLI_REGISTRY_LONGOPTS,
                                         {NULL, 0, NULL, 0}};
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "p:n:h", opts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &ca->ao.open)) {
            continue;
        }
        switch (c) {
        case 'p':
            vg_vec_push(&ca->policies, optarg);
            break;
        case 'n':
            ca->ns = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0) {
                rc = vg_cli_usage("admit check", "--format must be table or json");
            }
            ca->json = strcmp(optarg, "json") == 0;
            break;
        case OPT_NOMATCH:
            rc = parse_nomatch("admit check", optarg, &ca->ao.nomatch);
            break;
        case OPT_OFFLINE:
            ca->ao.offline = true;
            break;
        case OPT_DB:
            ca->ao.db = optarg;
            break;
        case OPT_VSRC:
            rc = parse_vsrc("admit check", optarg, &ca->ao.vuln_source);
            break;
        case OPT_INSECURE_REGS:
            rc = vg_cli_insecure_registries("admit check", optarg, &ca->ao.open);
            break;
        case 'h':
            fputs(check_usage, stdout);
            return -1;
        default:
            rc = vg_cli_usage("admit check", "unknown option");
        }
    }
    for (int i = optind; rc == 0 && i < argc; i++) {
        vg_vec_push(&ca->manifests, argv[i]);
    }
    if (rc == 0 && ca->policies.n == 0) {
        rc = vg_cli_usage("admit check", "at least one --policy FILE is required");
    }
    if (rc == 0 && ca->manifests.n == 0) {
        rc = vg_cli_usage("admit check", "give at least one MANIFEST file");
    }
    return rc;
}

static int
admit_check(int argc, char **argv)
{
    struct check_args ca = {.ao = {.open = VG_OCI_OPEN_OPTS_INIT}};
    int rc = check_parse_args(&ca, argc, argv);
    if (rc != 0) {
        vg_vec_dispose(&ca.policies);
        vg_vec_dispose(&ca.manifests);
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    ca.ao.policies = ca.policies.v;
    ca.ao.npolicies = ca.policies.n;
    struct vg_err *err = NULL;
    struct vg_admit *a = NULL;
    struct check_out out = {.objects = json_array(), .json = ca.json};
    int code = VG_EXIT_OK;
    /* load-time warnings (look-alike prefixes ...) as policy check prints them */
    if (!getenv("VG_LOG") && !getenv("VIGIL_LOG_LEVEL")) {
        vg_log_init("warn");
    }
    if (vg_crypto_init(&err) < 0 || vg_admit_new(&a, &ca.ao, &err) < 0) {
        code = vg_cli_fail(&err, "admit check");
        goto done;
    }
    for (size_t i = 0; i < ca.manifests.n; i++) {
        struct vg_config_doc *doc = NULL;
        if (vg_config_load_file(&doc, ca.manifests.v[i], NULL, &err) < 0) {
            code = vg_cli_fail(&err, "admit check");
            goto done;
        }
        for (size_t d = 0; d < vg_config_doc_count(doc); d++) {
            const struct vg_config_node *root = vg_config_doc_root(doc, d);
            if (!vg_config_node_is_null(root)) { /* an empty document between two "---" */
                check_object(a, &ca, &out, doc, root, ca.manifests.v[i]);
            }
        }
        vg_config_doc_free(doc);
    }
    if (ca.json) {
        json_t *doc = json_pack("{s:b, s:I, s:I, s:o}", "allowed", out.denied == 0, "objects",
                                (json_int_t)out.total, "denied", (json_int_t)out.denied, "results",
                                out.objects);
        out.objects = NULL;
        char *text = json_dumps(doc, JSON_INDENT(2));
        puts(text);
        free(text);
        json_decref(doc);
    } else {
        printf("%zu object(s) checked: %zu denied, %zu allowed with warnings\n", out.total,
               out.denied, out.warned);
    }
    code = out.denied ? VG_EXIT_NEGATIVE : VG_EXIT_OK;
done:
    json_decref(out.objects);
    if (!vg_admit_free(a)) {
        vg_cli_exit_now(code);
    }
    vg_vec_dispose(&ca.policies);
    vg_vec_dispose(&ca.manifests);
    return code;
}

int
cmd_admit(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
    }
    if (strcmp(argv[1], "serve") == 0) {
        return admit_serve(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "check") == 0) {
        return admit_check(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "manifests") == 0) {
        return cmd_admit_manifests(argc - 1, argv + 1);
    }
    return vg_cli_usage("admit", "unknown subcommand '%s' (known: serve, check, manifests)",
                        argv[1]);
}
