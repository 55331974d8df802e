/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil k8s`: scans what runs. kube/ lists the workloads and the digests their pods run; each
 * distinct image (a digest, else the reference of a workload without pods) is scanned once with
 * `vigil scan`'s engine, with registry credentials from the imagePullSecrets of the workloads
 * that use it; the results are reported per workload: a summary table, JSON (Trivy's k8s
 * layout), or one VulnerabilityReport per container. See docs/k8s.md.
 */
#include "cli.h"
#include "kube/kube.h"
#include "oci/oci.h"
#include "scan/scan.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: vigil k8s [OPTIONS]\n"
    "\n"
    "Scans the images that run in a Kubernetes cluster. Lists every workload through the API\n"
    "(Deployments, StatefulSets, DaemonSets, CronJobs, Jobs, ReplicaSets,\n"
    "ReplicationControllers and bare Pods; a pod counts for its top-level owner), resolves each\n"
    "container, init container and ephemeral container to the digest its pod's status reports,\n"
    "scans each distinct digest once (registry credentials from the workloads' imagePullSecrets)\n"
    "and reports per workload. Needs list on those kinds and get on secrets (docs/k8s.md).\n"
    "\n"
    "Options:\n"
    "  --kubeconfig FILE      kubeconfig (default: $KUBECONFIG, else ~/.kube/config)\n"
    "  --context NAME         kubeconfig context (default: its current-context)\n"
    "  --in-cluster           the pod's service account instead of a kubeconfig\n"
    "  -n, --namespace NS     only this namespace (default: every namespace)\n"
    "  --page-size N          objects asked per list request (default 500)\n"
    "  --scanners LIST        vuln,secret,misconfig,model (default: vuln)\n"
    "  --severity LIST        report only these: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL\n"
    "  --exit-code N          exit N when findings at the listed severities remain (default 0)\n"
    "  --ignore-unfixed       drop vulnerabilities without a fixed version\n"
    "  --ignorefile FILE      IDs to ignore (as 'vigil scan')\n"
    "  --format FMT           table (default: a summary per workload), json, or\n"
    "                         vulnerabilityreport (a List of VulnerabilityReports, one per\n"
    "                         container, as trivy-operator writes them)\n"
    "  -o, --output FILE      write the report to FILE (atomically) instead of stdout\n"
    "  --db PATH              vulnerability database (default: $VIGIL_DB, else\n"
    "                         db/vulndb.sqlite in the cache directory)\n"
    "  --offline              never download the database\n"
    "  --no-cache             do not reuse or store the per-image analysis "
    "cache\n" VG_CLI_HELP_TIMEOUT VG_CLI_HELP_REGISTRY
    "  -q, --quiet            no progress, notices or warnings on stderr (errors only)\n"
    "  -h, --help             this help\n"
    "\n"
    "Examples:\n"
    "  vigil k8s\n"
    "  vigil k8s --kubeconfig ~/.kube/prod --namespace shop --severity HIGH,CRITICAL\n"
    "  vigil k8s --format json -o cluster.json\n"
    "  vigil k8s --format vulnerabilityreport -n shop | jq '.items[].report.summary'\n"
    "  vigil k8s --severity CRITICAL --exit-code 1   # a CI gate on what runs\n"
    "\n"
    "Exit codes: 0 ok (or nothing at the listed severities), N from --exit-code when findings\n"
    "remain, 2 usage, 3 runtime, 4 not found, 5 the API server or a registry refused, 6 corrupt\n"
    "input (kubeconfig, API answers), 7 network; an image that cannot be scanned is reported and\n"
    "makes the exit code that of its error when no finding decided it.\n";

enum {
    O_KUBECONFIG = 256,
    O_CONTEXT,
    O_INCLUSTER,
    O_PAGESIZE,
    O_SCANNERS,
    O_SEVERITY,
    O_EXIT,
    O_UNFIXED,
    O_IGNOREFILE,
    O_FORMAT,
    O_DB,
    O_OFFLINE,
    O_NOCACHE,
};

static const struct option LONGOPTS[] = {
    {"kubeconfig", required_argument, NULL, O_KUBECONFIG},
    {"context", required_argument, NULL, O_CONTEXT},
    {"in-cluster", no_argument, NULL, O_INCLUSTER},
    {"namespace", required_argument, NULL, 'n'},
    {"page-size", required_argument, NULL, O_PAGESIZE},
    {"scanners", required_argument, NULL, O_SCANNERS},
    {"severity", required_argument, NULL, O_SEVERITY},
    {"exit-code", required_argument, NULL, O_EXIT},
    {"ignore-unfixed", no_argument, NULL, O_UNFIXED},
    {"ignorefile", required_argument, NULL, O_IGNOREFILE},
    {"format", required_argument, NULL, O_FORMAT},
    {"output", required_argument, NULL, 'o'},
    {"db", required_argument, NULL, O_DB},
    {"offline", no_argument, NULL, O_OFFLINE},
    {"no-cache", no_argument, NULL, O_NOCACHE},
    VG_CLI_REGISTRY_LONGOPTS,
    VG_CLI_TIMEOUT_LONGOPTS,
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

enum fmt { F_TABLE, F_JSON, F_VR };

struct args {
    struct vg_kube_source src;
    const char *ns, *ignorefile, *output;
    unsigned severities;
    long exit_code;
    bool ignore_unfixed;
    enum fmt fmt;
    uint64_t timeout_ms;
    struct vg_scan_opts so;
};

/* One distinct image to scan, and what became of it. */
struct target {
    char *key;   /* digest, or the normalized reference of an unresolved image */
    char *ref;   /* what is scanned: "registry/repo@sha256:..." or the reference */
    char *auths; /* merged pull secrets, or NULL */
    struct vg_scan_report *r;
    char *error; /* why it could not be scanned, or NULL */
    int exit;    /* exit code of that error */
};

struct run {
    struct args *a;
    struct vg_kube *k;
    struct vg_kube_secrets *secrets;
    struct vg_kube_workloads w;
    VG_VEC(struct target) targets;
    size_t *image_target; /* per workload image, in walk order: its target */
    size_t nimages;
};

static int
parse_opt(struct args *a, int c, const char *arg)
{
    struct vg_err *err = NULL;
    uint64_t v;
    switch (c) {
    case O_KUBECONFIG:
        a->src.kubeconfig = arg;
        return 0;
    case O_CONTEXT:
        a->src.context = arg;
        return 0;
    case O_INCLUSTER:
        a->src.in_cluster = true;
        return 0;
    case 'n':
        if (!vg_kube_name_ok(arg, false) || strlen(arg) > 63) {
            return vg_cli_usage("k8s", "--namespace wants a namespace name (DNS-1123 label)");
        }
        a->ns = arg;
        return 0;
    case O_PAGESIZE:
        if (vg_parse_u64(vg_str_c(arg), 10000, &v) < 0 || v == 0) {
            return vg_cli_usage("k8s", "--page-size wants a number from 1 to 10000");
        }
        a->src.page_limit = (unsigned)v;
        return 0;
    case O_SCANNERS:
        return vg_cli_parse_scanners(&a->so.scanners, arg, false, "k8s");
    case O_SEVERITY:
        return vg_scan_severities_parse(&a->severities, arg, &err) < 0
                   ? vg_cli_fail(&err, "--severity")
                   : 0;
    case O_EXIT:
        if (vg_parse_u64(vg_str_c(arg), 255, &v) < 0) {
            return vg_cli_usage("k8s", "--exit-code wants a number from 0 to 255");
        }
        a->exit_code = (long)v;
        return 0;
    case O_UNFIXED:
        a->ignore_unfixed = true;
        return 0;
    case O_IGNOREFILE:
        a->ignorefile = arg;
        return 0;
    case O_FORMAT:
        if (strcmp(arg, "table") == 0) {
            a->fmt = F_TABLE;
        } else if (strcmp(arg, "json") == 0) {
            a->fmt = F_JSON;
        } else if (strcmp(arg, "vulnerabilityreport") == 0) {
            a->fmt = F_VR;
        } else {
            return vg_cli_usage("k8s", "--format wants table, json or vulnerabilityreport");
        }
        return 0;
    case 'o':
        a->output = arg;
        return 0;
    case O_DB:
        a->so.db_path = arg;
        return 0;
    case O_OFFLINE:
        a->so.offline = true;
        return 0;
    case O_NOCACHE:
        a->so.use_cache = false;
        return 0;
    case 'q':
        a->so.quiet = true;
        return 0;
    default:
        return vg_cli_usage("k8s", "invalid option");
    }
}

static int
parse_args(struct args *a, int argc, char **argv)
{
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:o:qh", LONGOPTS, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &a->so.open) ||
            vg_cli_timeout_opt(c, optarg, "k8s", &a->timeout_ms, &a->so.open)) {
            continue;
        }
        if (c == 'h') {
            fputs(HELP, stdout);
            return -1;
        }
        int rc = parse_opt(a, c, optarg);
        if (rc != 0) {
            return rc;
        }
    }
    if (optind != argc) {
        return vg_cli_usage("k8s", "unexpected argument '%s'", argv[optind]);
    }
    if (a->src.in_cluster && (a->src.kubeconfig || a->src.context)) {
        return vg_cli_usage("k8s", "--in-cluster takes no --kubeconfig or --context");
    }
    return 0;
}

/* ---------------------------------------------------------------- targets */

static size_t
target_for(struct run *run, const struct vg_kube_image *im)
{
    struct vg_oci_ref *ref = NULL;
    struct vg_err *err = NULL;
    char *key = NULL, *what = NULL, *error = NULL;
    if (vg_oci_ref_parse(&ref, im->image, &err) < 0) {
        key = vg_strdup(im->image);
        what = vg_strdup(im->image);
        char *m = vg_err_format(err);
        error = vg_fmt("image reference: %s", m);
        free(m);
        vg_err_free(&err);
    } else if (im->digest) {
        vg_autofree char *name = vg_oci_ref_name(ref);
        key = vg_strdup(im->digest);
        what = vg_fmt("%s@%s", name, im->digest);
    } else {
        key = vg_oci_ref_string(ref);
        what = vg_strdup(key);
    }
    vg_oci_ref_free(ref);
    for (size_t i = 0; i < run->targets.n; i++) {
        if (strcmp(run->targets.v[i].key, key) == 0) {
            free(key);
            free(what);
            free(error);
            return i;
        }
    }
    struct target *t = vg_vec_push_zero(&run->targets);
    t->key = key;
    t->ref = what;
    t->error = error;
    t->exit = error ? VG_EXIT_CORRUPT : 0;
    return run->targets.n - 1;
}

static void
build_targets(struct run *run)
{
    for (size_t i = 0; i < run->w.items.n; i++) {
        run->nimages += run->w.items.v[i].images.n;
    }
    run->image_target = vg_calloc(run->nimages ? run->nimages : 1, sizeof(size_t));
    size_t at = 0;
    for (size_t i = 0; i < run->w.items.n; i++) {
        const struct vg_kube_workload *wl = &run->w.items.v[i];
        for (size_t j = 0; j < wl->images.n; j++) {
            run->image_target[at++] = target_for(run, &wl->images.v[j]);
        }
    }
}

/* Frees a string that held credentials. */
static void
wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* Merges the "auths" of json (a {"auths": ...} text) into into (first entry wins). */
static void
merge_auths(json_t *into, const char *json)
{
    json_t *doc = NULL;
    struct vg_err *err = NULL;
    if (vg_json_parse(&doc, json, strlen(json), VG_KUBE_OBJECT_MAX, "auths", &err) < 0) {
        vg_err_free(&err);
        return;
    }
    const char *reg;
    json_t *v;
    json_object_foreach (vg_json_obj(doc, "auths"), reg, v) {
        if (!json_object_get(into, reg)) {
            json_object_set(into, reg, v);
        }
    }
    json_decref(doc);
}

/* The pull secrets of every workload running target ti, merged ({"auths": ...} or NULL). Each
 * workload's secrets are read once (wl_done), problems warned about once. */
static char *
target_auths(struct run *run, size_t ti, char **wl_auths, bool *wl_done)
{
    json_t *auths = json_object();
    size_t at = 0;
    for (size_t i = 0; i < run->w.items.n; i++) {
        const struct vg_kube_workload *wl = &run->w.items.v[i];
        bool uses = false;
        for (size_t j = 0; j < wl->images.n; j++) {
            uses = uses || run->image_target[at + j] == ti;
        }
        at += wl->images.n;
        if (!uses || !wl->npull_secrets) {
            continue;
        }
        if (!wl_done[i]) {
            char *problems = NULL;
            wl_done[i] = true;
            (void)vg_kube_secrets_auths(run->secrets, wl->namespace,
                                        (const char *const *)wl->pull_secrets, wl->npull_secrets,
                                        &wl_auths[i], &problems);
            if (problems) {
                VG_WARN("k8s", "%s/%s/%s: imagePullSecrets not used: %s", wl->namespace, wl->kind,
                        wl->name, problems);
                free(problems);
            }
        }
        if (wl_auths[i]) {
            merge_auths(auths, wl_auths[i]);
        }
    }
    char *out = NULL;
    if (json_object_size(auths)) {
        json_t *doc = json_pack("{s:O}", "auths", auths);
        out = vg_json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
    }
    json_decref(auths);
    return out;
}

static void
scan_target(struct run *run, struct target *t, const struct vg_scan_filter *filter)
{
    struct vg_scan_opts so = run->a->so;
    struct vg_err *err = NULL;
    so.open.pull_secret_json = t->auths;
    so.quiet = true; /* one progress line for the whole run, not one per layer */
    if (vg_scan_image(&t->r, t->ref, &so, &err) < 0) {
        char *m = vg_err_format(err);
        t->error = vg_cli_timed_out(&so.open) ? vg_fmt("%s (--timeout)", m) : vg_strdup(m);
        t->exit = vg_cli_exit_for(err);
        free(m);
        vg_err_free(&err);
        return;
    }
    vg_scan_filter_apply(t->r, filter);
}

static void
scan_all(struct run *run, const struct vg_scan_filter *filter)
{
    char **wl_auths = vg_calloc(run->w.items.n + 1, sizeof(char *));
    bool *wl_done = vg_calloc(run->w.items.n + 1, sizeof(bool));
    bool tty = !run->a->so.quiet && vg_isatty_stderr();
    for (size_t i = 0; i < run->targets.n; i++) {
        struct target *t = &run->targets.v[i];
        if (t->error) {
            continue;
        }
        if (tty) {
            fprintf(stderr, "\r\033[Kk8s: scanning image %zu/%zu %.80s", i + 1, run->targets.n,
                    t->ref);
        }
        t->auths = target_auths(run, i, wl_auths, wl_done);
        scan_target(run, t, filter);
    }
    if (tty) {
        fputs("\r\033[K", stderr);
    }
    for (size_t i = 0; i < run->w.items.n; i++) {
        wipe_free(wl_auths[i]);
    }
    free(wl_auths);
    free(wl_done);
}

/* ---------------------------------------------------------------- reports */

/* Unsuppressed findings of r by severity (enum vg_vulndb_severity). */
static void
count(const struct vg_scan_report *r, size_t n[6])
{
    memset(n, 0, 6 * sizeof(*n));
    for (size_t i = 0; r && i < r->nvulns; i++) {
        if (!r->vulns[i].suppressed_by && (size_t)r->vulns[i].severity < 6) {
            n[r->vulns[i].severity]++;
        }
    }
}

static void
write_table(FILE *f, const struct run *run)
{
    size_t w[4] = {8, 9, 5, 19}; /* WORKLOAD, CONTAINER, IMAGE, DIGEST: at least the headers */
    size_t at = 0;
    for (size_t i = 0; i < run->w.items.n; i++) {
        const struct vg_kube_workload *wl = &run->w.items.v[i];
        size_t n = strlen(wl->namespace) + strlen(wl->kind) + strlen(wl->name) + 2;
        w[0] = n > w[0] ? n : w[0];
        for (size_t j = 0; j < wl->images.n; j++) {
            n = strlen(wl->images.v[j].container);
            w[1] = n > w[1] ? n : w[1];
            n = strlen(wl->images.v[j].image);
            w[2] = n > w[2] ? n : w[2];
        }
    }
    fprintf(f, "%-*s  %-*s  %-*s  %-*s  %8s %4s %6s %3s %7s\n", (int)w[0], "WORKLOAD", (int)w[1],
            "CONTAINER", (int)w[2], "IMAGE", (int)w[3], "DIGEST", "CRITICAL", "HIGH", "MEDIUM",
            "LOW", "UNKNOWN");
    for (size_t i = 0; i < run->w.items.n; i++) {
        const struct vg_kube_workload *wl = &run->w.items.v[i];
        vg_autofree char *name = vg_fmt("%s/%s/%s", wl->namespace, wl->kind, wl->name);
        for (size_t j = 0; j < wl->images.n; j++, at++) {
            const struct vg_kube_image *im = &wl->images.v[j];
            const struct target *t = &run->targets.v[run->image_target[at]];
            const char *dg = im->digest ? im->digest : "-";
            fprintf(f, "%-*s  %-*s  %-*s  %-*.*s  ", (int)w[0], j ? "" : name, (int)w[1],
                    im->container, (int)w[2], im->image, (int)w[3], (int)w[3], dg);
            if (t->error) {
                fprintf(f, "error: %s\n", t->error);
                continue;
            }
            size_t n[6];
            count(t->r, n);
            fprintf(f, "%8zu %4zu %6zu %3zu %7zu\n", n[VG_SEV_CRITICAL], n[VG_SEV_HIGH],
                    n[VG_SEV_MEDIUM], n[VG_SEV_LOW], n[VG_SEV_UNKNOWN] + n[VG_SEV_NONE]);
        }
        if (!wl->images.n) {
            fprintf(f, "%-*s  (no images)\n", (int)w[0], name);
        }
    }
}

static json_t *
summary_json(const struct vg_scan_report *r)
{
    size_t n[6];
    count(r, n);
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "CRITICAL", (json_int_t)n[VG_SEV_CRITICAL],
                     "HIGH", (json_int_t)n[VG_SEV_HIGH], "MEDIUM", (json_int_t)n[VG_SEV_MEDIUM],
                     "LOW", (json_int_t)n[VG_SEV_LOW], "UNKNOWN",
                     (json_int_t)(n[VG_SEV_UNKNOWN] + n[VG_SEV_NONE]));
}

static json_t *
resource_json(const struct run *run, const struct vg_kube_workload *wl, size_t at)
{
    json_t *images = json_array(), *results = json_array();
    VG_VEC(size_t) seen = VG_VEC_INIT;
    for (size_t j = 0; j < wl->images.n; j++) {
        const struct vg_kube_image *im = &wl->images.v[j];
        size_t ti = run->image_target[at + j];
        const struct target *t = &run->targets.v[ti];
        json_t *o = json_pack("{s:s, s:s, s:s}", "Container", im->container, "ContainerType",
                              vg_kube_container_kind_name(im->kind), "Image", im->image);
        vg_json_set_str(o, "Digest", im->digest);
        vg_json_set_str(o, "Artifact", t->ref);
        vg_json_set_str(o, "Error", t->error);
        if (t->r) {
            json_object_set_new(o, "Summary", summary_json(t->r));
        }
        json_array_append_new(images, o);
        bool dup = false;
        for (size_t k = 0; k < seen.n; k++) {
            dup = dup || seen.v[k] == ti;
        }
        if (t->r && !dup) {
            vg_vec_push(&seen, ti);
            json_t *doc = vg_report_trivy_json(t->r);
            json_array_extend(results, vg_json_arr(doc, "Results"));
            json_decref(doc);
        }
    }
    vg_vec_dispose(&seen);
    return json_pack("{s:s, s:s, s:s, s:I, s:o, s:o}", "Namespace", wl->namespace, "Kind", wl->kind,
                     "Name", wl->name, "Pods", (json_int_t)wl->pods, "Images", images, "Results",
                     results);
}

static json_t *
report_json(const struct run *run)
{
    json_t *res = json_array(), *notes = json_array();
    size_t at = 0;
    for (size_t i = 0; i < run->w.items.n; i++) {
        json_array_append_new(res, resource_json(run, &run->w.items.v[i], at));
        at += run->w.items.v[i].images.n;
    }
    for (size_t i = 0; i < run->w.notes.n; i++) {
        json_array_append_new(notes, json_string(run->w.notes.v[i]));
    }
    json_t *doc = json_pack("{s:s, s:s, s:o, s:o}", "ClusterName", vg_kube_context(run->k),
                            "Server", vg_kube_server(run->k), "Resources", res, "Notes", notes);
    vg_json_set_str(doc, "Namespace", run->a->ns);
    return doc;
}

static const char *
api_version_of(const char *kind)
{
    static const struct {
        const char *kind, *api;
    } map[] = {{"Deployment", "apps/v1"},
               {"StatefulSet", "apps/v1"},
               {"DaemonSet", "apps/v1"},
               {"ReplicaSet", "apps/v1"},
               {"Job", "batch/v1"},
               {"CronJob", "batch/v1"},
               {"Pod", "v1"},
               {"ReplicationController", "v1"}};
    for (size_t i = 0; i < VG_ARRAY_LEN(map); i++) {
        if (strcmp(map[i].kind, kind) == 0) {
            return map[i].api;
        }
    }
    return NULL;
}

static json_t *
vulnerability_reports(const struct run *run)
{
    char now[32];
    time_t tnow = time(NULL);
    struct tm tm;
    gmtime_r(&tnow, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *items = json_array();
    size_t at = 0;
    for (size_t i = 0; i < run->w.items.n; i++) {
        const struct vg_kube_workload *wl = &run->w.items.v[i];
        for (size_t j = 0; j < wl->images.n; j++, at++) {
            const struct target *t = &run->targets.v[run->image_target[at]];
            if (!t->r) {
                continue;
            }
            const char *api = api_version_of(wl->kind);
            struct vg_report_k8s_resource res = {.kind = wl->kind,
                                                 .name = wl->name,
                                                 .namespace = wl->namespace,
                                                 .uid = api ? wl->uid : NULL,
                                                 .api_version = api,
                                                 .container = wl->images.v[j].container};
            json_array_append_new(items, vg_report_vulnerability_report(t->r, &res, now));
        }
    }
    return json_pack("{s:s, s:s, s:o}", "apiVersion", "v1", "kind", "List", "items", items);
}

/* ---------------------------------------------------------------- main */

static int
write_report(const struct run *run)
{
    struct vg_err *err = NULL;
    struct vg_cli_out out;
    if (vg_cli_output_open(&out, run->a->output, &err) < 0) {
        return vg_cli_fail(&err, NULL);
    }
    int wrc = 0;
    if (run->a->fmt == F_TABLE) {
        write_table(out.f, run);
    } else {
        json_t *doc = run->a->fmt == F_JSON ? report_json(run) : vulnerability_reports(run);
        wrc = vg_json_write_file(doc, out.f, true, &err);
        json_decref(doc);
    }
    if (vg_cli_output_close(&out, wrc == 0, wrc == 0 ? &err : NULL) < 0 || wrc < 0) {
        return vg_cli_fail(&err, "write report");
    }
    return 0;
}

/* --exit-code when a finding counts, else the first unscannable image's error, else 0. */
static int
exit_status(const struct run *run)
{
    int first_error = 0;
    size_t failed = 0;
    bool findings = false;
    for (size_t i = 0; i < run->targets.n; i++) {
        const struct target *t = &run->targets.v[i];
        if (t->r && run->a->exit_code && vg_scan_count_failing(t->r, run->a->severities) > 0) {
            findings = true;
        }
        if (t->error) {
            failed++;
            first_error = first_error ? first_error : t->exit;
        }
    }
    if (!run->a->so.quiet) {
        fprintf(stderr,
                "vigil k8s: %zu workloads, %zu images, %zu distinct scanned, %zu failed, "
                "%llu API requests\n",
                run->w.items.n, run->nimages, run->targets.n - failed, failed,
                (unsigned long long)vg_kube_requests(run->k));
    }
    if (findings) {
        return (int)run->a->exit_code;
    }
    return first_error;
}

static int
k8s_run(struct run *run)
{
    struct args *a = run->a;
    struct vg_err *err = NULL;
    struct vg_scan_filters loaded = {0};
    struct vg_scan_filter_files files = {.ignorefile = a->ignorefile};
    struct vg_scan_filter filter = {
        .severities = a->severities, .ignore_unfixed = a->ignore_unfixed, .now = vg_now_unix()};
    if (vg_scan_filters_load(&loaded, &files, &err) < 0) {
        return vg_cli_fail(&err, NULL);
    }
    vg_scan_filter_use(&filter, &loaded);
    int rc = 0;
    if (vg_kube_new(&run->k, &a->src, &err) < 0) {
        rc = vg_cli_fail(&err, "k8s");
    } else if (vg_kube_workloads_list(&run->w, run->k, a->ns, &err) < 0) {
        vg_autofree char *ctx = vg_fmt("k8s: %s", vg_kube_server(run->k));
        rc = vg_cli_fail(&err, ctx);
    }
    if (rc == 0) {
        for (size_t i = 0; !a->so.quiet && i < run->w.notes.n; i++) {
            VG_WARN("k8s", "%s", run->w.notes.v[i]);
        }
        run->secrets = vg_kube_secrets_over(run->k);
        build_targets(run);
        scan_all(run, &filter);
        rc = write_report(run);
        rc = rc ? rc : exit_status(run);
    }
    vg_scan_filters_dispose(&loaded);
    return rc;
}

static void
run_dispose(struct run *run)
{
    for (size_t i = 0; i < run->targets.n; i++) {
        struct target *t = &run->targets.v[i];
        free(t->key);
        free(t->ref);
        wipe_free(t->auths);
        free(t->error);
        vg_scan_report_free(t->r);
    }
    vg_vec_dispose(&run->targets);
    free(run->image_target);
    vg_kube_workloads_dispose(&run->w);
    vg_kube_secrets_free(run->secrets);
    vg_kube_free(run->k);
}

int
cmd_k8s(int argc, char **argv)
{
    struct args a = {.so = VG_SCAN_OPTS_INIT, .timeout_ms = UINT64_MAX};
    int rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    if (!a.so.scanners) {
        a.so.scanners = VG_SCANNER_VULN;
    }
    vg_log_set_quiet(a.so.quiet);
    vg_cli_timeout_start(a.timeout_ms, &a.so.open);
    vg_autofree char *home_cfg = NULL;
    if (!a.src.in_cluster && !a.src.kubeconfig) {
        const char *env = getenv("KUBECONFIG");
        const char *home = getenv("HOME");
        if (env && *env) {
            /* a list merges files in kubectl; vigil reads the first */
            home_cfg = vg_fmt("%.*s", (int)strcspn(env, ":"), env);
        } else if (home && *home) {
            home_cfg = vg_fmt("%s/.kube/config", home);
        } else {
            return vg_cli_usage("k8s", "no --kubeconfig, $KUBECONFIG or $HOME");
        }
        a.src.kubeconfig = home_cfg;
    }
    if (a.exit_code && vg_cli_exit_meaning(a.exit_code)) {
        VG_WARN("k8s", "--exit-code %ld is also vigil's exit code for %s (docs/exit-codes.md)",
                a.exit_code, vg_cli_exit_meaning(a.exit_code));
    }
    a.src.deadline_ns = a.so.open.deadline_ns; /* --timeout covers the API requests too */
    struct run run = {.a = &a};
    rc = k8s_run(&run);
    run_dispose(&run);
    return rc;
}
