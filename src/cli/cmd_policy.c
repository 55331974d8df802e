/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil policy check`: loads policy files (vigil ImagePolicy, Gatekeeper constraints,
 * ClusterImagePolicy, Kyverno), evaluates images given on the command line or the workloads
 * of manifest files, prints the decision per image with every reason (table or JSON) and
 * exits 1 on any deny. Facts the policies need come from vigil's own verifier (sign/) and
 * scanner (scan/) here; the webhook supplies the same callbacks (policy/policy.h).
 */
#include "cli.h"

#include "config/config.h"
#include "crypto/crypto.h"
#include "oci/oci.h"
#include "policy/facts.h"
#include "policy/policy.h"

#include <getopt.h>
#include <string.h>

static const char usage_text[] =
    "Usage: vigil policy check --policy FILE... [options] [IMAGE | -f MANIFEST.yaml]...\n"
    "\n"
    "Evaluates images against image policies and prints the decision for each image with\n"
    "every reason. Policy files may hold vigil ImagePolicy documents, Gatekeeper constraints\n"
    "(K8sAllowedRepos, K8sAllowedReposv2, K8sDisallowedRepos, K8sDisallowedTags,\n"
    "K8sImageDigests) and their templates, Sigstore ClusterImagePolicy and Kyverno policies;\n"
    "each format is decided with its own engine's semantics (docs/policy.md). What vigil\n"
    "cannot evaluate is refused at load, never allowed.\n"
    "\n"
    "A bare IMAGE is evaluated as a Pod with one container in --namespace; -f MANIFEST reads\n"
    "every workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ...).\n"
    "\n"
    "Options:\n"
    "  -p, --policy FILE      policy file (repeatable; every document is loaded)\n"
    "  -f, --file MANIFEST    Kubernetes manifest to evaluate (repeatable)\n"
    "  -n, --namespace NS     namespace of bare images (default: default)\n"
    "      --format F         table (default) or json\n"
    "      --no-match M       deny (default), warn or allow: an image no ClusterImagePolicy\n"
    "                         matches, when any is loaded (policy-controller's no-match-policy)\n"
    "      --offline          do not contact registries: signature, vulnerability and config\n"
    "                         requirements are then unverifiable (a deny)\n"
    "      --db PATH          vulnerability database for vulnerability requirements\n"
    "      --trusted-root [NAME=]FILE\n"
    "                         Sigstore trusted_root.json for keyless authorities (repeatable):\n"
    "                         FILE is the default root, NAME=FILE the root a policy names\n"
    "                         (ClusterImagePolicy trustRootRef, ImagePolicy "
    "trustedRoot);\n"
    "                         the default root's Rekor keys also verify the tlog entries\n"
    "                         of Kyverno keys/certificates attestors without rekor.pubkey\n"
    "                         (none: the public-good Rekor key shipped with "
    "vigil)\n" VG_CLI_HELP_INSECURE_REGISTRIES VG_CLI_HELP_REGISTRY
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 every image allowed (warnings allowed), 1 some image denied, 2 usage,\n"
    "3 runtime error, 6 a policy or manifest is malformed or not evaluable by vigil.\n"
    "\n"
    "Examples:\n"
    "  vigil policy check --policy prod.yaml nginx:latest ghcr.io/acme/app@sha256:...\n"
    "  vigil policy check -p gatekeeper/constraint.yaml -f deploy.yaml --format json\n"
    "  vigil policy check -p cip.yaml --no-match warn --offline registry.example.com/app:1\n";

enum { OPT_FORMAT = 0x100, OPT_NOMATCH, OPT_OFFLINE, OPT_DB, OPT_ROOT, OPT_INSECURE_REGS };

struct check_args {
    VG_VEC(const char *) policies;
    VG_VEC(const char *) manifests;
    VG_VEC(const char *) images;
    VG_VEC(const char *) roots;
    const char *ns;
    bool json;
    bool offline;
    const char *db;
    enum vg_policy_nomatch nomatch;
    struct vg_oci_open_opts open;
};

/* ---------------------------------------------------------------- output */

struct outcome {
    json_t *results; /* JSON array */
    size_t denied, checked;
};

/* deny / warn / allow for one container of a decision. */
static const char *
verdict_of(const struct vg_policy_decision *d, const struct vg_policy_container *ct)
{
    const char *v = "allow";
    for (size_t i = 0; i < d->nreasons; i++) {
        const struct vg_policy_reason *r = &d->reasons[i];
        if (r->path && strcmp(r->path, ct->path) != 0) {
            continue;
        }
        if (r->mode == VG_POLICY_ENFORCE) {
            return "deny";
        }
        if (r->mode == VG_POLICY_WARN) {
            v = "warn";
        }
    }
    return v;
}

static void
record(struct outcome *out, const char *source, const struct vg_policy_object *o,
       const struct vg_policy_decision *d, bool json)
{
    for (size_t c = 0; c < o->ncontainers; c++) {
        const struct vg_policy_container *ct = &o->containers[c];
        const char *verdict = verdict_of(d, ct);
        out->checked++;
        out->denied += strcmp(verdict, "deny") == 0;
        json_t *reasons = json_array();
        if (!json) {
            vg_autofree char *img =
                vg_escape(ct->image ? ct->image : "(none)", ct->image ? strlen(ct->image) : 6, 200);
            printf("%-5s  %s  (%s %s)\n", verdict, img, source, ct->path);
        }
        for (size_t i = 0; i < d->nreasons; i++) {
            const struct vg_policy_reason *r = &d->reasons[i];
            if (r->path && strcmp(r->path, ct->path) != 0) {
                continue;
            }
            if (json) {
                json_array_append_new(reasons, json_pack("{s:s, s:s, s:s}", "policy", r->policy,
                                                         "mode", vg_policy_mode_name(r->mode),
                                                         "message", r->message));
            } else {
                vg_autofree char *m = vg_escape(r->message, strlen(r->message), 400);
                printf("       - [%s] %s: %s\n", vg_policy_mode_name(r->mode), r->policy, m);
            }
        }
        json_array_append_new(out->results, json_pack("{s:s, s:s?, s:s, s:s, s:o}", "source",
                                                      source, "image", ct->image, "path", ct->path,
                                                      "decision", verdict, "reasons", reasons));
    }
}

static int
evaluate(const struct vg_policy_set *s, const struct vg_policy_object *o, const char *source,
         struct vg_policy_facts *f, bool json, struct outcome *out, struct vg_err **err)
{
    struct vg_policy_inputs in = {0};
    if (f) {
        vg_policy_facts_inputs(f, &in);
    }
    struct vg_policy_decision d;
    if (vg_policy_eval(s, o, &in, &d, err) < 0) {
        return -(int)vg_err_code(*err);
    }
    record(out, source, o, &d, json);
    vg_policy_decision_dispose(&d);
    return 0;
}

static int
check_manifest(const struct vg_policy_set *s, const char *path, struct vg_policy_facts *f,
               bool json, struct outcome *out, struct vg_err **err)
{
    struct vg_config_doc *doc = NULL;
    if (vg_config_load_file(&doc, path, NULL, err) < 0) {
        return -(int)vg_err_code(*err);
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < vg_config_doc_count(doc); i++) {
        const struct vg_config_node *root = vg_config_doc_root(doc, i);
        if (vg_config_node_type(root) != VG_CONFIG_MAP) {
            continue;
        }
        struct vg_policy_object o;
        if (vg_policy_object_init(&o, root, err) < 0) {
            rc = -(int)vg_err_code(*err);
            break;
        }
        if (o.ncontainers > 0) {
            vg_autofree char *src = vg_fmt("%s %s/%s", path, o.kind, o.name ? o.name : "");
            rc = evaluate(s, &o, src, f, json, out, err);
        }
        vg_policy_object_dispose(&o);
    }
    vg_config_doc_free(doc);
    return rc;
}

/* ---------------------------------------------------------------- arguments */

static int
parse_args(struct check_args *a, int argc, char **argv)
{
    static const struct option opts[] = {{"policy", required_argument, NULL, 'p'},
                                         {"file", required_argument, NULL, 'f'},
                                         {"namespace", required_argument, NULL, 'n'},
                                         {"format", required_argument, NULL, OPT_FORMAT},
                                         {"no-match", required_argument, NULL, OPT_NOMATCH},
                                         {"offline", no_argument, NULL, OPT_OFFLINE},
                                         {"db", required_argument, NULL, OPT_DB},
                                         {"trusted-root", required_argument, NULL, OPT_ROOT},
                                         {"help", no_argument, NULL, 'h'},
                                         VG_CLI_INSECURE_REGISTRIES_LONGOPT(OPT_INSECURE_REGS),
                                         VG_CLI_REGISTRY_LONGOPTS,
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:f:n:h", opts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &a->open)) {
            continue;
        }
        switch (c) {
        case 'p':
            vg_vec_push(&a->policies, optarg);
            break;
        case 'f':
            vg_vec_push(&a->manifests, optarg);
            break;
        case 'n':
            a->ns = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0) {
                return vg_cli_usage("policy check", "--format must be table or json");
            }
            a->json = strcmp(optarg, "json") == 0;
            break;
        case OPT_NOMATCH:
            if (strcmp(optarg, "deny") == 0) {
                a->nomatch = VG_POLICY_NOMATCH_DENY;
            } else if (strcmp(optarg, "warn") == 0) {
                a->nomatch = VG_POLICY_NOMATCH_WARN;
            } else if (strcmp(optarg, "allow") == 0) {
                a->nomatch = VG_POLICY_NOMATCH_ALLOW;
            } else {
                return vg_cli_usage("policy check", "--no-match must be deny, warn or allow");
            }
            break;
        case OPT_OFFLINE:
            a->offline = true;
            break;
        case OPT_DB:
            a->db = optarg;
            break;
        case OPT_ROOT:
            vg_vec_push(&a->roots, optarg);
            break;
        case OPT_INSECURE_REGS:
            if (vg_cli_insecure_registries("policy check", optarg, &a->open) != 0) {
                return VG_EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(usage_text, stdout);
            return -1;
        default:
            return vg_cli_usage("policy check", "unknown option");
        }
    }
    for (int i = optind; i < argc; i++) {
        vg_vec_push(&a->images, argv[i]);
    }
    if (a->policies.n == 0) {
        return vg_cli_usage("policy check", "at least one --policy FILE is required");
    }
    if (a->images.n == 0 && a->manifests.n == 0) {
        return vg_cli_usage("policy check", "give an IMAGE or -f MANIFEST");
    }
    return 0;
}

static void
args_dispose(struct check_args *a)
{
    vg_vec_dispose(&a->policies);
    vg_vec_dispose(&a->manifests);
    vg_vec_dispose(&a->images);
    vg_vec_dispose(&a->roots);
}

static int
load_policies(struct vg_policy_set *s, const struct check_args *a, struct vg_err **err)
{
    for (size_t i = 0; i < a->policies.n; i++) {
        if (vg_policy_set_load_file(s, a->policies.v[i], err) < 0) {
            return -(int)vg_err_code(*err);
        }
    }
    for (size_t i = 0; i < vg_policy_set_warning_count(s); i++) {
        fprintf(stderr, "vigil: warning: %s\n", vg_policy_set_warning(s, i));
    }
    return 0;
}

static int
policy_check(int argc, char **argv)
{
    struct check_args a = {.open = VG_OCI_OPEN_OPTS_INIT};
    int rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        args_dispose(&a);
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    struct vg_err *err = NULL;
    struct vg_policy_set_opts so = VG_POLICY_SET_OPTS_INIT;
    so.cip_no_match = a.nomatch;
    struct vg_policy_set *s = vg_policy_set_new(&so);
    struct vg_policy_facts_opts fo = {
        .open = a.open, .db = a.db, .trusted_roots = a.roots.v, .ntrusted_roots = a.roots.n};
    struct vg_policy_facts *f = a.offline ? NULL : vg_policy_facts_new(&fo);
    struct outcome out = {.results = json_array()};
    int code = VG_EXIT_OK;
    if (vg_crypto_init(&err) < 0 || load_policies(s, &a, &err) < 0) {
        code = vg_cli_fail(&err, "policy check");
        goto done;
    }
    for (size_t i = 0; i < a.images.n; i++) {
        struct vg_policy_object o;
        vg_policy_object_image(&o, a.images.v[i], a.ns);
        rc = evaluate(s, &o, "image", f, a.json, &out, &err);
        vg_policy_object_dispose(&o);
        if (rc < 0) {
            code = vg_cli_fail(&err, "policy check");
            goto done;
        }
    }
    for (size_t i = 0; i < a.manifests.n; i++) {
        if (check_manifest(s, a.manifests.v[i], f, a.json, &out, &err) < 0) {
            code = vg_cli_fail(&err, "policy check");
            goto done;
        }
    }
    if (a.json) {
        json_t *doc = json_pack("{s:b, s:o}", "allowed", out.denied == 0, "results", out.results);
        out.results = NULL;
        char *text = json_dumps(doc, JSON_INDENT(2));
        puts(text);
        free(text);
        json_decref(doc);
    } else {
        printf("%zu image(s) checked, %zu denied\n", out.checked, out.denied);
    }
    code = out.denied ? VG_EXIT_NEGATIVE : VG_EXIT_OK;
done:
    json_decref(out.results);
    vg_policy_facts_free(f);
    vg_policy_set_free(s);
    args_dispose(&a);
    return code;
}

int
cmd_policy(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
    }
    if (strcmp(argv[1], "check") == 0) {
        return policy_check(argc - 1, argv + 1);
    }
    return vg_cli_usage("policy", "unknown subcommand '%s' (known: check)", argv[1]);
}
