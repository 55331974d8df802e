/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil config PATH...`: checks Dockerfiles, Kubernetes manifests and EncryptionConfiguration
 * files (scan/misconf.h) in the files and directory trees named, with the scanner's filters,
 * report writers and exit-code gate; with --policy, the images of the manifests' workloads are
 * decided by the admission engine (admit/, offline) and its denials become findings.
 * Directory walks never follow symbolic links and skip .git; a file found in a walk that
 * cannot be checked (binary, oversized, malformed YAML) is skipped with a note on stderr, a
 * file named on the command line is an error.
 */
#include "cli.h"
#include "admit/admit.h"
#include "config/config.h"
#include "core/glob.h"
#include "crypto/crypto.h"
#include "scan/scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: vigil config [OPTIONS] PATH...\n"
    "\n"
    "Checks configuration files for security problems before anything is built or deployed:\n"
    "  Dockerfiles and Containerfiles  root user, :latest or unpinned bases, ADD from URLs,\n"
    "                                  secrets in ENV/ARG, curl | sh, package-manager hygiene,\n"
    "                                  sudo, HEALTHCHECK, SSH, toolchains in the final stage\n"
    "  Kubernetes manifests (YAML/JSON, multi-document, Helm-rendered, every pod-carrying kind)\n"
    "                                  Pod Security Standards (baseline, restricted), images on\n"
    "                                  :latest or without digest, pull policy, resources,\n"
    "                                  literal secrets in env, Secret objects committed\n"
    "  EncryptionConfiguration         secrets not encrypted, identity first, weak providers,\n"
    "                                  keys committed, key sizes\n"
    "PATH is a file or a directory (walked recursively; symbolic links are not followed).\n"
    "Check ids are Trivy's (DS..., KSV...) where Trivy has the check, else vigil's (VG-...);\n"
    "docs/config.md lists them.\n"
    "\n"
    "Options:\n"
    "  --severity LIST        report only these: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL\n"
    "  --exit-code N          exit N when findings at the listed severities remain (default 0)\n"
    "  -f, --format FMT       table (default), json (as trivy config), sarif\n"
    "  -o, --output FILE      write the report to FILE (atomically) instead of stdout\n"
    "  --ignorefile FILE      ids to ignore (default: .vigilignore, .trivyignore,\n"
    "                         .trivyignore.yaml in the current directory when present);\n"
    "                         inline '# vigil:ignore:ID' or '# trivy:ignore:ID' comments too\n"
    "  --secret-config FILE   extra/disabled secret rules for ENV/ARG and env values\n"
    "  --skip-dirs GLOB       skip directories (repeatable, or comma list)\n"
    "  --skip-files GLOB      skip files (repeatable, or comma list)\n"
    "  --file-type T          dockerfile or kubernetes: read every file named as this type\n"
    "  -p, --policy FILE      also decide the manifests' workloads with these image policies\n"
    "                         (repeatable), as 'vigil admit check --offline' does: a denial is\n"
    "                         a finding VG-ADMIT-DENY (HIGH), a warning VG-ADMIT-WARN (LOW)\n"
    "  -n, --namespace NS     namespace of objects that name none, for --policy (default:\n"
    "                         default)\n"
    "  -q, --quiet            no notes or warnings on stderr (errors only)\n"
    "  -h, --help             this help\n"
    "\n"
    "Examples:\n"
    "  vigil config .\n"
    "  vigil config --severity HIGH,CRITICAL --exit-code 1 Dockerfile deploy/\n"
    "  helm template ./chart | vigil config --file-type kubernetes /dev/stdin\n"
    "  vigil config --format sarif -o config.sarif k8s/\n"
    "  vigil config --policy prod-policy.yaml --exit-code 1 deploy/\n"
    "  vigil config --format json . | jq '.Results[].Misconfigurations[]?.ID'\n"
    "\n"
    "Exit codes: 0 ok (or nothing at the listed severities), N from --exit-code when findings\n"
    "remain, 2 usage, 3 runtime, 4 a PATH not found, 6 a named file is malformed, binary or\n"
    "too large.\n";

enum {
    O_SEVERITY = 256,
    O_EXIT,
    O_FORMAT,
    O_IGNOREFILE,
    O_SECRETCFG,
    O_SKIPDIRS,
    O_SKIPFILES,
    O_FILETYPE,
};

static const struct option LONGOPTS[] = {
    {"severity", required_argument, NULL, O_SEVERITY},
    {"exit-code", required_argument, NULL, O_EXIT},
    {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"ignorefile", required_argument, NULL, O_IGNOREFILE},
    {"secret-config", required_argument, NULL, O_SECRETCFG},
    {"skip-dirs", required_argument, NULL, O_SKIPDIRS},
    {"skip-files", required_argument, NULL, O_SKIPFILES},
    {"file-type", required_argument, NULL, O_FILETYPE},
    {"policy", required_argument, NULL, 'p'},
    {"namespace", required_argument, NULL, 'n'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Bounds of a directory walk. */
#define WALK_MAX_DEPTH 64u
#define WALK_MAX_FILES 1000000u

struct args {
    unsigned severities;
    long exit_code;
    const char *format, *output, *ignorefile, *secret_config, *ns;
    enum vg_misconf_type type;
    VG_VEC(char *) skip_dirs;
    VG_VEC(char *) skip_files;
    VG_VEC(const char *) policies;
    bool quiet;
};

struct run {
    const struct args *a;
    struct vg_scan_report *r;
    struct vg_misconf_opts mo;
    struct vg_admit *admit;
    size_t files, skipped;
};

static void
list_add(void *vec, char *arg)
{
    VG_VEC(char *) *v = vec;
    for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        vg_vec_push(v, tok);
    }
}

static int
parse_args(struct args *a, int argc, char **argv)
{
    struct vg_err *err = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:o:p:n:qh", LONGOPTS, NULL)) != -1) {
        switch (c) {
        case O_SEVERITY:
            if (vg_scan_severities_parse(&a->severities, optarg, &err) < 0) {
                return vg_cli_fail(&err, "--severity");
            }
            break;
        case O_EXIT: {
            uint64_t v;
            if (vg_parse_u64(vg_str_c(optarg), 255, &v) < 0) {
                return vg_cli_usage("config", "--exit-code wants a number from 0 to 255");
            }
            a->exit_code = (long)v;
            break;
        }
        case 'f':
            a->format = optarg;
            break;
        case 'o':
            a->output = optarg;
            break;
        case O_IGNOREFILE:
            a->ignorefile = optarg;
            break;
        case O_SECRETCFG:
            a->secret_config = optarg;
            break;
        case O_SKIPDIRS:
            list_add(&a->skip_dirs, optarg);
            break;
        case O_SKIPFILES:
            list_add(&a->skip_files, optarg);
            break;
        case O_FILETYPE:
            if (strcmp(optarg, "dockerfile") == 0) {
                a->type = VG_MISCONF_DOCKERFILE;
            } else if (strcmp(optarg, "kubernetes") == 0) {
                a->type = VG_MISCONF_KUBERNETES;
            } else {
                return vg_cli_usage("config", "--file-type must be dockerfile or kubernetes");
            }
            break;
        case 'p':
            vg_vec_push(&a->policies, optarg);
            break;
        case 'n':
            a->ns = optarg;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'h':
            fputs(HELP, stdout);
            return -1;
        default:
            return vg_cli_usage("config", "invalid option");
        }
    }
    if (optind >= argc) {
        return vg_cli_usage("config", "give at least one PATH (a file or a directory)");
    }
    return 0;
}

/* --policy: the admission verdict on each pod-carrying object, as findings. */
static int
on_object(void *ctx, struct vg_scan_report *r, const char *target, const struct vg_config_node *obj,
          struct vg_err **err)
{
    (void)err;
    struct run *run = ctx;
    if (!run->admit) {
        return 0;
    }
    struct vg_admit_review rv;
    vg_admit_review_from_object(&rv, obj, run->a->ns);
    if (rv.checked) {
        struct vg_admit_answer ans;
        vg_admit_decide(run->admit, &rv, false, &ans);
        vg_autofree char *name = vg_escape(rv.name, strlen(rv.name), 200);
        vg_autofree char *kind = vg_escape(rv.kind, strlen(rv.kind), 100);
        size_t line = vg_config_node_line(obj);
        if (!ans.allowed) {
            const char *msg = ans.message ? ans.message : "denied by vigil";
            vg_autofree char *m = vg_escape(msg, strlen(msg), 4096);
            vg_misconf_add_external(r, target, "VG-ADMIT-DENY",
                                    "Denied by the image policy (admission webhook verdict)",
                                    "Deploy images the policy admits (signed, from trusted "
                                    "registries, pinned, ...), or change the policy.",
                                    VG_SEV_HIGH, line, vg_fmt("%s '%s': %s", kind, name, m));
        }
        for (size_t i = 0; i < ans.warnings.n; i++) {
            vg_misconf_add_external(
                r, target, "VG-ADMIT-WARN", "Image policy warning (admission webhook verdict)",
                "Review the warning; the webhook admits the object.", VG_SEV_LOW, line,
                vg_fmt("%s '%s': %s", kind, name, ans.warnings.v[i]));
        }
        vg_admit_answer_dispose(&ans);
    }
    vg_admit_review_dispose(&rv);
    return 0;
}

static bool
skipped(char *const *globs, size_t n, const char *rel, bool dir)
{
    for (size_t i = 0; i < n; i++) {
        if (dir ? vg_glob_match_dir(globs[i], rel) : vg_glob_match(globs[i], rel)) {
            return true;
        }
    }
    return false;
}

/* Checks one file; named: given on the command line (errors are errors, not notes). */
static int
check_file(struct run *run, const char *path, const char *target, bool named, off_t size,
           struct vg_err **err)
{
    enum vg_misconf_type t = run->a->type ? run->a->type : vg_misconf_path_type(target);
    if (t == VG_MISCONF_NONE) {
        if (named && !run->a->quiet) {
            vg_autofree char *e = vg_escape(target, strlen(target), 300);
            fprintf(stderr,
                    "vigil config: note: %s is not a Dockerfile or YAML/JSON file (--file-type "
                    "reads it as one)\n",
                    e);
        }
        return 0;
    }
    struct vg_err *local = NULL;
    struct vg_buf buf = VG_BUF_INIT(VG_MISCONF_MAX_BYTES);
    int rc = 0;
    if (size > (off_t)VG_MISCONF_MAX_BYTES) {
        vg_autofree char *e = vg_escape(target, strlen(target), 300);
        rc = vg_err_set(&local, VG_E_LIMIT,
                        "%s: %lld bytes, over the %u-byte limit of a config file", e,
                        (long long)size, VG_MISCONF_MAX_BYTES);
    } else if ((rc = vg_file_read(&buf, path, VG_MISCONF_MAX_BYTES, &local)) == 0) {
        struct vg_misconf_opts mo = run->mo;
        mo.type = t;
        rc = vg_misconf_scan_file(run->r, target, buf.data, buf.len, &mo, &local);
        if (rc == 0 && named && !run->a->quiet) {
            vg_autofree char *e = vg_escape(target, strlen(target), 300);
            fprintf(stderr, "vigil config: note: %s holds no Kubernetes object\n", e);
        }
        run->files += rc > 0;
        rc = rc < 0 ? rc : 0;
    }
    vg_buf_dispose(&buf);
    if (rc < 0) {
        if (named) {
            *err = local;
            return rc;
        }
        run->skipped++;
        if (!run->a->quiet) {
            vg_autofree char *msg = vg_err_format(local);
            fprintf(stderr, "vigil config: note: skipped: %s\n", msg);
        }
        vg_err_free(&local);
    }
    return 0;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
walk_dir(struct run *run, const char *dir, const char *rel, unsigned depth, struct vg_err **err)
{
    if (depth > WALK_MAX_DEPTH) {
        if (!run->a->quiet) {
            vg_autofree char *e = vg_escape(dir, strlen(dir), 300);
            fprintf(stderr, "vigil config: note: skipped %s: deeper than %u directories\n", e,
                    WALK_MAX_DEPTH);
        }
        return 0;
    }
    DIR *d = opendir(dir);
    if (!d) {
        if (!run->a->quiet) {
            vg_autofree char *e = vg_escape(dir, strlen(dir), 300);
            fprintf(stderr, "vigil config: note: skipped %s: %s\n", e, strerror(errno));
        }
        run->skipped++;
        return 0;
    }
    VG_VEC(char *) names = VG_VEC_INIT;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            strcmp(de->d_name, ".git") == 0) {
            continue;
        }
        vg_vec_push(&names, vg_strdup(de->d_name));
    }
    closedir(d);
    vg_qsort(names.v, names.n, sizeof(*names.v), cmp_str);
    int rc = 0;
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        vg_autofree char *path = vg_fmt("%s/%s", dir, names.v[i]);
        vg_autofree char *r = *rel ? vg_fmt("%s/%s", rel, names.v[i]) : vg_strdup(names.v[i]);
        struct stat st;
        if (lstat(path, &st) < 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (!skipped(run->a->skip_dirs.v, run->a->skip_dirs.n, r, true)) {
                rc = walk_dir(run, path, r, depth + 1, err);
            }
        } else if (S_ISREG(st.st_mode) &&
                   !skipped(run->a->skip_files.v, run->a->skip_files.n, r, false)) {
            if (run->files + run->skipped >= WALK_MAX_FILES) {
                rc = vg_err_set(err, VG_E_LIMIT, "more than %u config files", WALK_MAX_FILES);
                break;
            }
            rc = check_file(run, path, r, false, st.st_size, err);
        }
    }
    for (size_t i = 0; i < names.n; i++) {
        free(names.v[i]);
    }
    vg_vec_dispose(&names);
    return rc;
}

static int
check_path(struct run *run, const char *path, struct vg_err **err)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        vg_autofree char *e = vg_escape(path, strlen(path), 300);
        return vg_err_sys(err, errno == ENOENT ? VG_E_NOTFOUND : VG_E_IO, "%s", e);
    }
    if (S_ISDIR(st.st_mode)) {
        return walk_dir(run, path, "", 0, err);
    }
    return check_file(run, path, path, true, S_ISREG(st.st_mode) ? st.st_size : 0, err);
}

static void
args_dispose(struct args *a)
{
    vg_vec_dispose(&a->skip_dirs);
    vg_vec_dispose(&a->skip_files);
    vg_vec_dispose(&a->policies);
}

int
cmd_config(int argc, char **argv)
{
    struct args a = {.type = VG_MISCONF_NONE};
    int rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        args_dispose(&a);
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    vg_log_set_quiet(a.quiet);
    struct vg_err *err = NULL;
    enum vg_report_format fmt = VG_REPORT_TABLE;
    struct vg_scan_filters loaded = {0};
    struct vg_scan_filter_files files = {.ignorefile = a.ignorefile};
    struct vg_scan_filter filter = {.severities = a.severities, .now = vg_now_unix()};
    struct vg_secret_opts so = {.config_path = a.secret_config};
    struct vg_secret_engine *secrets = NULL;
    struct vg_scan_report *r = vg_calloc(1, sizeof(*r));
    struct run run = {.a = &a, .r = r};
    r->artifact = vg_strdup(argv[optind]);
    r->artifact_type = vg_strdup("filesystem");
    r->created_at = vg_now_unix();
    if (a.format &&
        (vg_report_format_parse(&fmt, a.format, &err) < 0 || fmt == VG_REPORT_CYCLONEDX)) {
        if (!err) {
            vg_err_set(&err, VG_E_USAGE, "--format must be table, json or sarif");
        }
        rc = vg_cli_fail(&err, "--format");
        goto out;
    }
    if (vg_scan_filters_load(&loaded, &files, &err) < 0 ||
        !(secrets = vg_secret_engine_new(&so, &err))) {
        rc = vg_cli_fail(&err, NULL);
        goto out;
    }
    vg_scan_filter_use(&filter, &loaded);
    if (a.policies.n) {
        struct vg_admit_opts ao = {.policies = a.policies.v,
                                   .npolicies = a.policies.n,
                                   .open = VG_OCI_OPEN_OPTS_INIT,
                                   .offline = true};
        if (vg_crypto_init(&err) < 0 || vg_admit_new(&run.admit, &ao, &err) < 0) {
            rc = vg_cli_fail(&err, "--policy");
            goto out;
        }
    }
    run.mo = (struct vg_misconf_opts){.secrets = secrets, .on_object = on_object, .ctx = &run};
    for (int i = optind; i < argc; i++) {
        if (check_path(&run, argv[i], &err) < 0) {
            rc = vg_cli_fail(&err, "config");
            goto out;
        }
    }
    vg_scan_filter_apply(r, &filter);
    struct vg_cli_out out;
    if (vg_cli_output_open(&out, a.output, &err) < 0) {
        rc = vg_cli_fail(&err, NULL);
        goto out;
    }
    const char *no_color = getenv("NO_COLOR");
    bool to_stdout = !a.output || strcmp(a.output, "-") == 0;
    struct vg_report_opts ro = {.color = to_stdout && isatty(1) == 1 && !(no_color && no_color[0]),
                                .width = to_stdout ? vg_tty_columns(1) : 0};
    int wrc = vg_report_write(out.f, r, fmt, &ro, &err);
    if (vg_cli_output_close(&out, wrc == 0, wrc == 0 ? &err : NULL) < 0 || wrc < 0) {
        rc = vg_cli_fail(&err, "write report");
        goto out;
    }
    if (!a.quiet && fmt == VG_REPORT_TABLE) {
        fprintf(stderr, "vigil config: %zu file(s) checked, %zu skipped\n", run.files, run.skipped);
    }
    rc = VG_EXIT_OK;
    if (a.exit_code && vg_scan_count_failing(r, a.severities) > 0) {
        rc = (int)a.exit_code;
    }
out:
    if (!vg_admit_free(run.admit)) {
        vg_cli_exit_now(rc);
    }
    vg_secret_engine_free(secrets);
    vg_scan_report_free(r);
    vg_scan_filters_dispose(&loaded);
    args_dispose(&a);
    return rc;
}
