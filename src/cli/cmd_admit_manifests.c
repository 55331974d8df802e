/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil admit manifests`: prints the Kubernetes objects that install the webhook
 * (docs/admit.md "Installing"). Reads and checks the policy files, makes the CA and the serving
 * certificate (crypto/, ECDSA P-256), and hands them to admit/'s manifest builder; the output
 * is YAML (config/'s emitter) or a JSON v1 List. Dispatched by cmd_admit.
 */
#include "cli.h"

#include "admit/admit.h"
#include "config/config.h"
#include "crypto/crypto.h"
#include "policy/policy.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VG_VERSION
#define VG_VERSION "0.0.0"
#endif

#define MANIFESTS_IMAGE      "ghcr.io/vigil-dev/vigil:" VG_VERSION
#define MANIFESTS_CA_DAYS    3650u
#define MANIFESTS_CERT_DAYS  730u
#define MANIFESTS_POLICY_MAX (1024u * 1024u)
#define MANIFESTS_CA_MAX     (64u * 1024u)

static const char usage_text[] =
    "Usage: vigil admit manifests --namespace NS --policy FILE... [options]\n"
    "       vigil admit manifests --webhook-url URL --ca-bundle FILE [options]\n"
    "\n"
    "Prints everything that installs the webhook in a cluster, for `kubectl apply -f -`:\n"
    "Namespace, ServiceAccount, a ClusterRole and ClusterRoleBinding to get Secrets (the pods'\n"
    "imagePullSecrets), a ConfigMap holding the policy files, a kubernetes.io/tls Secret with\n"
    "the serving certificate for <name>.<namespace>.svc, a Deployment (non-root, read-only root\n"
    "filesystem, probes on /healthz and /readyz), a Service, a PodDisruptionBudget, and the\n"
    "ValidatingWebhookConfiguration (/validate) and MutatingWebhookConfiguration (/mutate) for\n"
    "pods, pods/ephemeralcontainers and the pod controllers, with failurePolicy Fail,\n"
    "sideEffects None and a namespaceSelector that leaves out the webhook's own namespace and\n"
    "kube-system. The certificate is signed by a CA made for this run (ECDSA P-256) whose\n"
    "certificate is the caBundle; the CA's key is thrown away, so nothing else can be signed\n"
    "with it: run the command again to rotate. The output holds a private key: treat it as a\n"
    "secret.\n"
    "\n"
    "With --webhook-url only the two webhook configurations are printed, calling URL/validate\n"
    "and URL/mutate (clientConfig.url) and trusting the CA certificates of --ca-bundle: for a\n"
    "webhook running outside the cluster (vigil admit serve with your own certificate).\n"
    "\n"
    "Options:\n"
    "  -n, --namespace NS       the webhook's namespace (created; left out of the webhooks)\n"
    "  -p, --policy FILE        policy file for the ConfigMap (repeatable; checked here; its\n"
    "                           base name is the key, so names must differ)\n"
    "      --name NAME          name of the objects (default vigil-admit)\n"
    "      --image IMAGE        the webhook's image (default " MANIFESTS_IMAGE ";\n"
    "                           its PATH must hold vigil)\n"
    "      --replicas N         Deployment replicas (default 2)\n"
    "      --timeout SECONDS    the webhooks' timeoutSeconds, 1 to 30 (default 10)\n"
    "      --failure-policy P   Fail (default) or Ignore\n"
    "      --cert-days N        validity of the serving certificate (default 730; the CA: 3650)\n"
    "      --webhook-url URL    https:// base URL of a webhook outside the cluster\n"
    "      --ca-bundle FILE     PEM CA certificate(s) that verify that webhook (with\n"
    "                           --webhook-url)\n"
    "      --format F           yaml (default: a multi-document stream) or json (a v1 List)\n"
    "  -h, --help               this help\n"
    "\n"
    "Examples:\n"
    "  vigil admit manifests -n vigil-system -p prod.yaml | kubectl apply -f -\n"
    "  vigil admit manifests -n vigil-system -p prod.yaml -p gatekeeper.yaml \\\n"
    "      --image registry.example.com/vigil:1.0 --replicas 3 --timeout 5 > vigil-admit.yaml\n"
    "  vigil admit manifests --webhook-url https://admit.example.com:8443 --ca-bundle ca.crt \\\n"
    "      | kubectl apply -f -\n";

enum {
    OPT_NAME = 0x100,
    OPT_IMAGE,
    OPT_REPLICAS,
    OPT_TIMEOUT,
    OPT_FAILURE,
    OPT_DAYS,
    OPT_URL,
    OPT_CA,
    OPT_FORMAT,
};

struct manifests_args {
    VG_VEC(const char *) policies;
    struct vg_admit_manifests_opts mo;
    const char *ca_bundle;
    unsigned cert_days;
    bool json;
};

static int
parse_uint(const char *opt, const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    uint64_t v = 0;
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == 's' && strcmp(opt, "--timeout") == 0) {
        n--; /* "--timeout 5s" */
    }
    bool ok = n > 0 && n <= 9;
    for (size_t i = 0; ok && i < n; i++) {
        ok = s[i] >= '0' && s[i] <= '9';
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (!ok || v < lo || v > hi) {
        return vg_cli_usage("admit manifests", "%s must be a number from %u to %u", opt, lo, hi);
    }
    *out = (unsigned)v;
    return 0;
}

/* 0, VG_EXIT_USAGE, or -1 after --help. */
static int
parse_args(struct manifests_args *ma, int argc, char **argv)
{
    static const struct option opts[] = {{"namespace", required_argument, NULL, 'n'},
                                         {"policy", required_argument, NULL, 'p'},
                                         {"name", required_argument, NULL, OPT_NAME},
                                         {"image", required_argument, NULL, OPT_IMAGE},
                                         {"replicas", required_argument, NULL, OPT_REPLICAS},
                                         {"timeout", required_argument, NULL, OPT_TIMEOUT},
                                         {"failure-policy", required_argument, NULL, OPT_FAILURE},
                                         {"cert-days", required_argument, NULL, OPT_DAYS},
                                         {"webhook-url", required_argument, NULL, OPT_URL},
                                         {"ca-bundle", required_argument, NULL, OPT_CA},
                                         {"format", required_argument, NULL, OPT_FORMAT},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "n:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            ma->mo.namespace = optarg;
            break;
        case 'p':
            vg_vec_push(&ma->policies, optarg);
            break;
        case OPT_NAME:
            ma->mo.name = optarg;
            break;
        case OPT_IMAGE:
            ma->mo.image = optarg;
            break;
        case OPT_REPLICAS:
            rc = parse_uint("--replicas", optarg, 1, 100, &ma->mo.replicas);
            break;
        case OPT_TIMEOUT:
            rc = parse_uint("--timeout", optarg, 1, 30, &ma->mo.timeout_s);
            break;
        case OPT_FAILURE:
            if (strcmp(optarg, "Fail") != 0 && strcmp(optarg, "Ignore") != 0) {
                rc = vg_cli_usage("admit manifests", "--failure-policy must be Fail or Ignore");
            }
            ma->mo.failure_policy = optarg;
            break;
        case OPT_DAYS:
            rc = parse_uint("--cert-days", optarg, 1, MANIFESTS_CA_DAYS, &ma->cert_days);
            break;
        case OPT_URL:
            ma->mo.webhook_url = optarg;
            break;
        case OPT_CA:
            ma->ca_bundle = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "yaml") != 0 && strcmp(optarg, "json") != 0) {
                rc = vg_cli_usage("admit manifests", "--format must be yaml or json");
            }
            ma->json = strcmp(optarg, "json") == 0;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return -1;
        default:
            rc = vg_cli_usage("admit manifests", "unknown option");
        }
    }
    if (rc == 0 && optind < argc) {
        rc = vg_cli_usage("admit manifests", "unexpected argument '%s'", argv[optind]);
    }
    if (rc == 0 && !!ma->mo.webhook_url != !!ma->ca_bundle) {
        rc = vg_cli_usage("admit manifests", "--webhook-url and --ca-bundle go together");
    }
    if (rc == 0 && ma->mo.webhook_url && ma->policies.n) {
        rc = vg_cli_usage("admit manifests",
                          "--policy installs the in-cluster webhook: it excludes --webhook-url");
    }
    if (rc == 0 && !ma->mo.webhook_url && !ma->mo.namespace) {
        rc = vg_cli_usage("admit manifests", "--namespace NS is required");
    }
    if (rc == 0 && !ma->mo.webhook_url && ma->policies.n == 0) {
        rc = vg_cli_usage("admit manifests", "at least one --policy FILE is required (the "
                                             "webhook needs a policy to enforce)");
    }
    return rc;
}

/* Reads each policy file and checks it loads as the webhook will load it. */
static int
read_policies(const struct manifests_args *ma, struct vg_admit_manifest_file *files,
              struct vg_buf *bufs, struct vg_err **err)
{
    struct vg_policy_set_opts so = VG_POLICY_SET_OPTS_INIT;
    struct vg_policy_set *set = vg_policy_set_new(&so);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ma->policies.n; i++) {
        const char *path = ma->policies.v[i];
        vg_buf_init(&bufs[i], MANIFESTS_POLICY_MAX);
        rc = vg_file_read(&bufs[i], path, MANIFESTS_POLICY_MAX, err);
        if (rc == 0) {
            rc = vg_policy_set_load_buf(set, path, bufs[i].data, bufs[i].len, err);
        }
        const char *slash = strrchr(path, '/');
        files[i] = (struct vg_admit_manifest_file){slash ? slash + 1 : path,
                                                   (const char *)bufs[i].data, bufs[i].len};
    }
    for (size_t i = 0; rc == 0 && i < vg_policy_set_warning_count(set); i++) {
        fprintf(stderr, "vigil: warning: %s\n", vg_policy_set_warning(set, i));
    }
    vg_policy_set_free(set);
    return rc;
}

/* The CA (its PEM into *ca) and the serving pair for NAME.NS.svc. */
static int
make_certs(const struct vg_admit_manifests_opts *mo, unsigned days, char **ca, char **cert,
           struct vg_secret **key, struct vg_err **err)
{
    const char *name = mo->name ? mo->name : "vigil-admit";
    vg_autokey struct vg_crypto_key *cakey = NULL;
    vg_autokey struct vg_crypto_key *leafkey = NULL;
    vg_autox509 struct vg_x509 *cacert = NULL;
    vg_autofree char *cn = vg_fmt("%s.%s.svc", name, mo->namespace);
    vg_autofree char *dns1 = vg_fmt("%s.%s", name, mo->namespace);
    vg_autofree char *dns3 = vg_fmt("%s.%s.svc.cluster.local", name, mo->namespace);
    const char *dns[] = {name, dns1, cn, dns3};
    vg_autofree char *cacn = vg_fmt("%s webhook CA (%s)", name, mo->namespace);
    if (strlen(cacn) > 64) {
        cacn[64] = '\0';
    }
    struct vg_x509_issue_opts cao = {.cn = cacn, .days = MANIFESTS_CA_DAYS, .ca = true};
    struct vg_x509_issue_opts lo = {.cn = cn, .dns = dns, .ndns = 4, .days = days};
    int rc = vg_crypto_key_generate(&cakey, err);
    if (rc == 0) {
        cao.key = cakey;
        rc = vg_x509_issue(ca, &cao, err);
    }
    if (rc == 0) {
        rc = vg_x509_parse(&cacert, *ca, strlen(*ca), err);
    }
    if (rc == 0) {
        rc = vg_crypto_key_generate(&leafkey, err);
    }
    if (rc == 0) {
        lo.key = leafkey;
        lo.signer = cakey;
        lo.issuer = cacert;
        rc = vg_x509_issue(cert, &lo, err);
    }
    if (rc == 0) {
        rc = vg_crypto_key_private_pem(leafkey, key, err);
    }
    return rc;
}

static int
print_objects(json_t *all, bool json)
{
    char *text = NULL;
    if (json) {
        json_t *list =
            json_pack("{s:s, s:s, s:O}", "apiVersion", "v1", "kind", "List", "items", all);
        text = vg_json_dump(list, true);
        json_decref(list);
    } else {
        size_t n = json_array_size(all);
        json_t **docs = vg_calloc(n ? n : 1, sizeof *docs);
        for (size_t i = 0; i < n; i++) {
            docs[i] = json_array_get(all, i);
        }
        text = vg_config_yaml_emit(docs, n);
        free(docs);
    }
    bool ok =
        fputs(text, stdout) >= 0 && (!json || fputc('\n', stdout) != EOF) && fflush(stdout) == 0;
    free(text);
    if (!ok) {
        fprintf(stderr, "vigil: admit manifests: write standard output failed\n");
        return VG_EXIT_RUNTIME;
    }
    return VG_EXIT_OK;
}

int
cmd_admit_manifests(int argc, char **argv)
{
    struct manifests_args ma = {.mo = {.image = MANIFESTS_IMAGE, .replicas = 2, .timeout_s = 10},
                                .cert_days = MANIFESTS_CERT_DAYS};
    int rc = parse_args(&ma, argc, argv);
    if (rc != 0) {
        vg_vec_dispose(&ma.policies);
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    struct vg_err *err = NULL;
    size_t np = ma.policies.n;
    struct vg_admit_manifest_file *files = vg_calloc(np ? np : 1, sizeof *files);
    struct vg_buf *bufs = vg_calloc(np ? np : 1, sizeof *bufs);
    struct vg_buf cabuf = VG_BUF_INIT(MANIFESTS_CA_MAX);
    char *ca = NULL, *cert = NULL;
    struct vg_secret *key = NULL;
    json_t *all = NULL;
    int code = VG_EXIT_OK;
    if (!getenv("VG_LOG") && !getenv("VIGIL_LOG_LEVEL")) {
        vg_log_init("warn");
    }
    rc = vg_crypto_init(&err);
    if (rc == 0 && ma.mo.webhook_url) {
        struct vg_x509 *c = NULL;
        rc = vg_admit_manifests_check(&ma.mo, &err);
        if (rc == 0) {
            rc = vg_file_read(&cabuf, ma.ca_bundle, MANIFESTS_CA_MAX, &err);
        }
        if (rc == 0 && (rc = vg_x509_parse(&c, cabuf.data, cabuf.len, &err)) < 0) {
            rc = vg_err_wrap(&err, "--ca-bundle %s", ma.ca_bundle);
        }
        vg_x509_free(c);
        ma.mo.ca_pem = vg_buf_cstr(&cabuf);
    } else if (rc == 0) {
        rc = read_policies(&ma, files, bufs, &err);
        ma.mo.policies = files;
        ma.mo.npolicies = np;
        if (rc == 0) {
            rc = vg_admit_manifests_check(&ma.mo, &err);
        }
        if (rc == 0) {
            rc = make_certs(&ma.mo, ma.cert_days, &ca, &cert, &key, &err);
        }
        ma.mo.ca_pem = ca;
        ma.mo.tls_cert_pem = cert;
        ma.mo.tls_key_pem = key ? (const char *)key->data : NULL;
    }
    if (rc == 0) {
        rc = vg_admit_manifests(&all, &ma.mo, &err);
    }
    code = rc < 0 ? vg_cli_fail(&err, "admit manifests") : print_objects(all, ma.json);
    json_decref(all);
    free(ca);
    free(cert);
    vg_secret_free(key);
    vg_buf_dispose(&cabuf);
    for (size_t i = 0; i < np; i++) {
        vg_buf_dispose(&bufs[i]);
    }
    free(bufs);
    free(files);
    vg_vec_dispose(&ma.policies);
    return code;
}
