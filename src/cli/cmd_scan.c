/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil scan`: flags (Trivy's names where Trivy has one), then the scan engine, the filters
 * and a report writer. The exit status follows --exit-code and --severity.
 */
#include "cli.h"
#include "scan/scan.h"

#include <getopt.h>
#include <string.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: vigil scan [OPTIONS] IMAGE\n"
    "       vigil scan [OPTIONS] --sbom FILE\n"
    "\n"
    "Scans a container image for known vulnerabilities in OS and language packages, embedded\n"
    "secrets and malicious model files (pickle, safetensors); on request, for risky image\n"
    "configuration too.\n"
    "IMAGE is oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF],\n"
    "containers-storage:[STORE]REF, docker-daemon:REF, docker://REF or a bare REF\n"
    "(docs/image-sources.md).\n"
    "\n"
    "Options:\n"
    "  --scanners LIST        vuln,secret,misconfig,model (default: vuln,secret,model;\n"
    "                         misconfig, alias config, adds the image-config checks)\n"
    "  --image-config-scanners LIST\n"
    "                         misconfig,secret: also run these on the image config\n"
    "  --severity LIST        report only these: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL\n"
    "  --exit-code N          exit N when findings at the listed severities remain (default 0)\n"
    "  --ignore-unfixed       drop vulnerabilities without a fixed version\n"
    "  --list-all-pkgs        JSON: list every package under its result's Packages\n"
    "  --ignorefile FILE      IDs to ignore: 'ID [pkg:NAME] [exp:YYYY-MM-DD]' per line, or\n"
    "                         Trivy's YAML format when FILE ends in .yaml/.yml (default:\n"
    "                         .vigilignore, .trivyignore and .trivyignore.yaml when present)\n"
    "  --vex FILE             OpenVEX or CycloneDX VEX document (repeatable): its\n"
    "                         not_affected/fixed statements suppress findings in the\n"
    "                         images (purl, reference, digest) and packages they name\n"
    "  --pkg-types LIST       os,library (default: both)\n"
    "  --skip-dirs GLOB       skip directories in the image (repeatable, or comma list;\n"
    "                         globs as Trivy: '**/node_modules', 'usr/lib/*/site-packages')\n"
    "  --skip-files GLOB      skip files in the image (repeatable, or comma list)\n"
    "  --secret-config FILE   extra/disabled secret rules (YAML, "
    "Trivy-compatible)\n" VG_CLI_HELP_PLATFORM
    "  --format FMT           table (default), json (Trivy-compatible), sarif, cyclonedx\n"
    "  -o, --output FILE      write the report to FILE (atomically) instead of stdout\n"
    "  --db PATH              vulnerability database (default: $VIGIL_DB, else\n"
    "                         db/vulndb.sqlite in the cache directory)\n"
    "  --offline              never download the database\n"
    "  --sbom FILE            rescan an SBOM instead of an image: CycloneDX (JSON, XML)\n"
    "                         or SPDX (JSON, tag-value), from vigil, Trivy or Syft\n"
    "  --no-cache             do not reuse or store the per-image analysis "
    "cache\n" VG_CLI_HELP_CACHE VG_CLI_HELP_TIMEOUT VG_CLI_HELP_REGISTRY
    "  -q, --quiet            no progress, notices or warnings on stderr (errors only)\n"
    "  --config FILE          options from a YAML file (default: vigil.yaml when present;\n"
    "                         Trivy's trivy.yaml keys for the options Trivy has)\n"
    "  -h, --help             this help\n"
    "\n"
    "Every option also reads $VIGIL_<OPTION> (VIGIL_SEVERITY, VIGIL_SKIP_DIRS, ...) and, for\n"
    "Trivy's options, $TRIVY_<OPTION>. Precedence: flag, VIGIL_, TRIVY_, config file.\n"
    "\n"
    "Examples:\n"
    "  vigil scan alpine:3.19\n"
    "  vigil scan --severity HIGH,CRITICAL --exit-code 1 oci:./build/image:latest\n"
    "  vigil scan --format sarif -o vigil.sarif docker://registry.example.com/app:1.4\n"
    "  vigil scan --scanners secret,model docker-archive:app.tar\n"
    "  vigil scan --image-config-scanners misconfig alpine:3.19\n"
    "  vigil sbom --format cyclonedx -o app.cdx.json app:1.4 && vigil scan --sbom app.cdx.json\n"
    "\n"
    "DOCKER_CONTENT_TRUST=1: a registry IMAGE:TAG is pulled by the digest signed in its notary\n"
    "repository, refused without trust data (exit 4), as docker pull (docs/trust.md).\n"
    "\n"
    "Exit codes: 0 ok (or nothing at the listed severities), N from --exit-code when findings\n"
    "remain, 2 usage, 3 runtime, 4 not found, 5 auth, 6 corrupt input, 7 network. An N from\n"
    "2 to 7 is allowed (as Trivy) but cannot be told from those errors: vigil warns.\n";

enum {
    O_SCANNERS = 256,
    O_SEVERITY,
    O_EXIT,
    O_UNFIXED,
    O_IGNOREFILE,
    O_VEX,
    O_PKGTYPES,
    O_SKIPDIRS,
    O_SKIPFILES,
    O_SECRETCFG,
    O_FORMAT,
    O_DB,
    O_OFFLINE,
    O_SBOM,
    O_NOCACHE,
    O_IMGCFG,
    O_LISTALL,
    O_CONFIG
};

static const struct option LONGOPTS[] = {
    {"scanners", required_argument, NULL, O_SCANNERS},
    {"image-config-scanners", required_argument, NULL, O_IMGCFG},
    {"severity", required_argument, NULL, O_SEVERITY},
    {"exit-code", required_argument, NULL, O_EXIT},
    {"ignore-unfixed", no_argument, NULL, O_UNFIXED},
    {"ignorefile", required_argument, NULL, O_IGNOREFILE},
    {"vex", required_argument, NULL, O_VEX},
    {"pkg-types", required_argument, NULL, O_PKGTYPES},
    {"skip-dirs", required_argument, NULL, O_SKIPDIRS},
    {"skip-files", required_argument, NULL, O_SKIPFILES},
    {"secret-config", required_argument, NULL, O_SECRETCFG},
    {"format", required_argument, NULL, O_FORMAT},
    {"output", required_argument, NULL, 'o'},
    {"db", required_argument, NULL, O_DB},
    {"offline", no_argument, NULL, O_OFFLINE},
    {"sbom", required_argument, NULL, O_SBOM},
    {"no-cache", no_argument, NULL, O_NOCACHE},
    {"list-all-pkgs", no_argument, NULL, O_LISTALL},
    {"config", required_argument, NULL, O_CONFIG},
    VG_CLI_IMAGE_LONGOPTS,
    VG_CLI_TIMEOUT_LONGOPTS,
    VG_CLI_CACHE_LONGOPTS,
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct strlist {
    const char **v;
    size_t n;
};

static void
list_add(struct strlist *l, char *arg)
{
    for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        VG_ARRAY_GROW(l->v, l->n, 1);
        l->v[l->n++] = tok;
    }
}

/* `--scanners`, or with `image_config` Trivy's `--image-config-scanners` (misconfig, secret:
 * vigil's secret scanner reads the image config whenever it runs). */
int
vg_cli_parse_scanners(unsigned *out, const char *list, bool image_config, const char *cmd)
{
    static const struct {
        const char *name;
        unsigned bit;
    } map[] = {{"vuln", VG_SCANNER_VULN},
               {"secret", VG_SCANNER_SECRET},
               {"config", VG_SCANNER_CONFIG},
               {"misconfig", VG_SCANNER_CONFIG},
               {"model", VG_SCANNER_MODEL}};
    unsigned bits = 0;
    struct vg_str rest = vg_str_c(list), item;
    while (rest.len) {
        vg_str_cut(rest, ',', &item, &rest);
        bool found = false;
        for (size_t i = 0; i < VG_ARRAY_LEN(map); i++) {
            if (image_config && (map[i].bit == VG_SCANNER_VULN || map[i].bit == VG_SCANNER_MODEL)) {
                continue;
            }
            if (vg_str_eq_c(vg_str_trim(item), map[i].name)) {
                bits |= map[i].bit;
                found = true;
            }
        }
        if (!found) {
            vg_autofree char *w = vg_str_dup(item);
            return image_config ? vg_cli_usage(cmd,
                                               "unknown image-config scanner '%s' "
                                               "(want misconfig, secret)",
                                               w)
                                : vg_cli_usage(cmd,
                                               "unknown scanner '%s' "
                                               "(want vuln, secret, misconfig, model)",
                                               w);
        }
    }
    *out = bits;
    return 0;
}

static int
parse_pkg_types(struct vg_inventory_opts *o, const char *list, const char *cmd)
{
    o->os_pkgs = o->lib_pkgs = false;
    struct vg_str rest = vg_str_c(list), item;
    while (rest.len) {
        vg_str_cut(rest, ',', &item, &rest);
        item = vg_str_trim(item);
        if (vg_str_eq_c(item, "os")) {
            o->os_pkgs = true;
        } else if (vg_str_eq_c(item, "library")) {
            o->lib_pkgs = true;
        } else {
            vg_autofree char *w = vg_str_dup(item);
            return vg_cli_usage(cmd, "unknown package type '%s' (want os, library)", w);
        }
    }
    return 0;
}

struct args {
    const char *cmd;                   /* "scan", "fs", "rootfs" */
    const struct vg_cli_scan_dir *dir; /* fs, rootfs: the directory target; NULL for scan */
    struct vg_scan_opts so;
    unsigned image_config_scanners; /* added to --scanners or to the default */
    unsigned severities;
    long exit_code;
    uint64_t timeout_ms;
    bool ignore_unfixed, list_all_pkgs;
    const char *ignorefile, *format, *output, *sbom;
    struct strlist skip_dirs, skip_files, vex;
    const char *bad_value; /* the value a usage error is about, when there is one */
};

static int finish_args(struct args *a, int argc);

static int
parse_args(struct args *a, int argc, char **argv)
{
    struct vg_err *err = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", LONGOPTS, NULL)) != -1) {
        a->bad_value = optarg;
        if (vg_cli_image_opt(c, optarg, &a->so.open) ||
            vg_cli_timeout_opt(c, optarg, a->cmd, &a->timeout_ms, &a->so.open)) {
            continue;
        }
        int cc = vg_cli_cache_opt(c, optarg, a->cmd, &a->so.cache_limits);
        if (cc != 0) {
            if (cc < 0) {
                return VG_EXIT_USAGE;
            }
            continue;
        }
        switch (c) {
        case O_SCANNERS:
            if (vg_cli_parse_scanners(&a->so.scanners, optarg, false, a->cmd) != 0) {
                return VG_EXIT_USAGE;
            }
            break;
        case O_IMGCFG:
            if (vg_cli_parse_scanners(&a->image_config_scanners, optarg, true, a->cmd) != 0) {
                return VG_EXIT_USAGE;
            }
            break;
        case O_SEVERITY:
            if (vg_scan_severities_parse(&a->severities, optarg, &err) < 0) {
                return vg_cli_fail(&err, "--severity");
            }
            break;
        case O_EXIT: {
            uint64_t v;
            if (vg_parse_u64(vg_str_c(optarg), 255, &v) < 0) {
                return vg_cli_usage(a->cmd, "--exit-code wants a number from 0 to 255");
            }
            a->exit_code = (long)v;
            break;
        }
        case O_LISTALL:
            a->list_all_pkgs = true;
            break;
        case O_UNFIXED:
            a->ignore_unfixed = true;
            break;
        case O_IGNOREFILE:
            a->ignorefile = optarg;
            break;
        case O_VEX:
            VG_ARRAY_GROW(a->vex.v, a->vex.n, 1);
            a->vex.v[a->vex.n++] = optarg;
            break;
        case O_PKGTYPES:
            if (parse_pkg_types(&a->so.inv, optarg, a->cmd) != 0) {
                return VG_EXIT_USAGE;
            }
            break;
        case O_SKIPDIRS:
            list_add(&a->skip_dirs, optarg);
            break;
        case O_SKIPFILES:
            list_add(&a->skip_files, optarg);
            break;
        case O_SECRETCFG:
            a->so.secret_config = optarg;
            break;
        case O_FORMAT:
            a->format = optarg;
            break;
        case 'o':
            a->output = optarg;
            break;
        case O_DB:
            a->so.db_path = optarg;
            break;
        case O_OFFLINE:
            a->so.offline = true;
            break;
        case O_SBOM:
            a->sbom = optarg;
            break;
        case O_NOCACHE:
            a->so.use_cache = false;
            break;
        case O_CONFIG:
            break; /* read by vg_cli_args_resolve */
        case 'q':
            a->so.quiet = true;
            break;
        case 'h':
            fputs(a->dir ? a->dir->help : HELP, stdout);
            return -1;
        default:
            return vg_cli_usage(a->cmd, "invalid option");
        }
    }
    return finish_args(a, argc);
}

/* What the flags together mean, once all are read. */
static int
finish_args(struct args *a, int argc)
{
    a->bad_value = a->sbom && optind != argc ? a->sbom : NULL;
    if (a->dir && (a->sbom || a->image_config_scanners)) {
        return vg_cli_usage(a->cmd, "%s applies to images only",
                            a->sbom ? "--sbom" : "--image-config-scanners");
    }
    if (a->dir && optind != argc - 1) {
        return vg_cli_usage(a->cmd, "expected exactly one DIR argument");
    }
    if (a->sbom ? optind != argc : optind != argc - 1) {
        return vg_cli_usage("scan", a->sbom ? "--sbom takes no IMAGE argument"
                                            : "expected exactly one IMAGE argument");
    }
    if (a->image_config_scanners) {
        a->so.scanners = (a->so.scanners ? a->so.scanners : (unsigned)VG_SCANNER_DEFAULT) |
                         a->image_config_scanners;
    }
    a->so.inv.skip_dirs = a->skip_dirs.v;
    a->so.inv.nskip_dirs = a->skip_dirs.n;
    a->so.inv.skip_files = a->skip_files.v;
    a->so.inv.nskip_files = a->skip_files.n;
    return 0;
}

static const char *const REPEATABLE[] = {"vex", "skip-dirs", "skip-files", NULL};

/* Names the source of a value a usage error is about, when it was not typed. */
static void
note_origin(const struct vg_cli_args *ca, const char *cmd, const char *value)
{
    const char *origin = vg_cli_args_origin(ca, value);
    if (origin) {
        fprintf(stderr, "vigil %s: note: %s\n", cmd, origin);
    }
}

/* vg_scan_image, by the signed digest when DOCKER_CONTENT_TRUST=1 (docs/trust.md). */
static int
scan_image_trusted(struct vg_scan_report **r, const char *image, const struct vg_scan_opts *so,
                   struct vg_err **err)
{
    vg_autofree char *pinned = NULL;
    if (vg_cli_dct_pin(&pinned, image, &so->open, err) < 0) {
        return -1;
    }
    return vg_scan_image(r, pinned ? pinned : image, so, err);
}

/* `vigil scan`, or with dir `vigil fs` / `vigil rootfs`: same flags, filters, reports. */
static int
scan_main(int argc, char **argv, const struct vg_cli_scan_dir *dir)
{
    struct args a = {.cmd = dir ? dir->cmd : "scan",
                     .dir = dir,
                     .so = VG_SCAN_OPTS_INIT,
                     .timeout_ms = UINT64_MAX};
    struct vg_err *err = NULL;
    struct vg_cli_args ca;
    const struct vg_cli_optspec spec = {.cmd = a.cmd,
                                        .shortopts = "o:qh",
                                        .longopts = LONGOPTS,
                                        .repeatable = REPEATABLE,
                                        .config_default = "vigil.yaml"};
    if (vg_cli_args_resolve(&ca, &spec, argc, argv, &err) < 0) {
        return vg_cli_fail(&err, NULL);
    }
    argv = ca.argv;
    int rc = parse_args(&a, ca.argc, argv);
    vg_cli_timeout_start(a.timeout_ms, &a.so.open);
    if (rc != 0) {
        if (rc > 0) {
            note_origin(&ca, a.cmd, a.bad_value);
        }
        free(a.skip_dirs.v);
        free(a.skip_files.v);
        free(a.vex.v);
        vg_cli_args_dispose(&ca);
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    vg_log_set_quiet(a.so.quiet);
    const char *clash = a.exit_code ? vg_cli_exit_meaning(a.exit_code) : NULL;
    if (clash) {
        VG_WARN(a.cmd,
                "--exit-code %ld is also vigil's exit code for %s (docs/exit-codes.md): "
                "a script cannot tell findings from that failure",
                a.exit_code, clash);
    }
    enum vg_report_format fmt = VG_REPORT_TABLE;
    struct vg_scan_filters loaded = {0};
    struct vg_scan_filter_files files = {
        .ignorefile = a.ignorefile, .vex = a.vex.v, .nvex = a.vex.n};
    struct vg_scan_report *r = NULL;
    struct vg_scan_filter filter = {
        .severities = a.severities, .ignore_unfixed = a.ignore_unfixed, .now = vg_now_unix()};
    const char *what = a.sbom ? a.sbom : argv[optind];
    if (a.format && vg_report_format_parse(&fmt, a.format, &err) < 0) {
        rc = vg_cli_fail(&err, "--format");
        note_origin(&ca, a.cmd, a.format);
        goto out;
    }
    if (vg_scan_filters_load(&loaded, &files, &err) < 0) {
        rc = vg_cli_fail(&err, NULL);
        goto out;
    }
    vg_scan_filter_use(&filter, &loaded);
    if (a.sbom && a.so.scanners & ~(unsigned)VG_SCANNER_VULN) {
        a.so.scanners = VG_SCANNER_VULN;
    }
    if ((dir      ? vg_scan_dir(&r, what, (enum vg_scan_target)dir->target, &a.so, &err)
         : a.sbom ? vg_scan_sbom(&r, a.sbom, &a.so, &err)
                  : scan_image_trusted(&r, argv[optind], &a.so, &err)) < 0) {
        vg_autofree char *ctx =
            vg_fmt("%s %s%s", a.cmd, what, vg_cli_timed_out(&a.so.open) ? " (--timeout)" : "");
        rc = vg_cli_fail(&err, ctx);
        goto out;
    }
    if (r->from_cache && !a.so.quiet) {
        fputs("vigil: image analysis reused from the cache (--no-cache redoes it); "
              "vulnerabilities matched afresh\n",
              stderr);
    }
    vg_scan_filter_apply(r, &filter);
    r->list_all_pkgs = a.list_all_pkgs;
    struct vg_cli_out out;
    if (vg_cli_output_open(&out, a.output, &err) < 0) {
        rc = vg_cli_fail(&err, NULL);
        goto out;
    }
    /* no-color.org: NO_COLOR present and not empty turns colours off. */
    const char *no_color = getenv("NO_COLOR");
    bool to_stdout = !a.output || strcmp(a.output, "-") == 0;
    struct vg_report_opts ro = {.color = to_stdout && isatty(1) == 1 && !(no_color && no_color[0]),
                                .width = to_stdout ? vg_tty_columns(1) : 0};
    int wrc = vg_report_write(out.f, r, fmt, &ro, &err);
    if (vg_cli_output_close(&out, wrc == 0, wrc == 0 ? &err : NULL) < 0 || wrc < 0) {
        rc = vg_cli_fail(&err, "write report");
        goto out;
    }
    rc = VG_EXIT_OK;
    if (a.exit_code && vg_scan_count_failing(r, a.severities) > 0) {
        rc = (int)a.exit_code;
    }
out:
    vg_scan_report_free(r);
    vg_scan_filters_dispose(&loaded);
    free(a.skip_dirs.v);
    free(a.skip_files.v);
    free(a.vex.v);
    vg_cli_args_dispose(&ca);
    return rc;
}

int
cmd_scan(int argc, char **argv)
{
    return scan_main(argc, argv, NULL);
}

int
vg_cli_scan_dir(int argc, char **argv, const struct vg_cli_scan_dir *d)
{
    return scan_main(argc, argv, d);
}
