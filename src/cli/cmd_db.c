/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil db`: build, update, inspect and query the vulnerability database. Flag parsing, help
 * text and rendering live here; ingestion, downloads and lookups are vulndb/'s.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "version/version.h"
#include "vulndb/vulndb.h"

static const char db_help[] =
    "Usage: vigil db SUBCOMMAND [OPTIONS]\n"
    "\n"
    "Subcommands:\n"
    "  update   download OSV archives from a mirror and rebuild the database\n"
    "  build    build the database from local OSV zips, OSV JSON and Alpine secdb files\n"
    "  info     show sources, record counts per ecosystem and the database's age\n"
    "  query    list the advisories for one package (optionally for one version)\n"
    "\n"
    "The database lives at db/vulndb.sqlite in the cache directory ($VIGIL_CACHE_DIR, else\n"
    "$XDG_CACHE_HOME/vigil) unless --db or $VIGIL_DB names another file. Every rebuild writes a "
    "new file and renames it over the old one, so\n"
    "running scans never see a half-built database and a failed update changes nothing.\n"
    "\n"
    "Examples:\n"
    "  vigil db update\n"
    "  vigil db update --mirror http://127.0.0.1:8000/osv --ecosystems Go,PyPI,npm\n"
    "  vigil db build --from ./osv-data\n"
    "  vigil db info --format json\n"
    "  vigil db query Debian:12 openssl 3.0.11-1~deb12u1\n"
    "\n"
    "Run 'vigil db SUBCOMMAND --help' for the options of each.\n";

static const char update_help[] =
    "Usage: vigil db update [--mirror URL] [--ecosystems LIST] [--nvd-mirror URL] [--db FILE]\n"
    "                       [--quiet]\n"
    "\n"
    "Downloads URL/<Ecosystem>/all.zip for each ecosystem with conditional requests (ETag,\n"
    "Last-Modified) and resumable transfers, then builds a new database beside the old one\n"
    "and swaps it in atomically. When nothing changed upstream the database is kept.\n"
    "Downloads are cached in FILE.d/. NVD's CVE API 2.0 feed files (nvdcve-2.0-YYYY.json.gz\n"
    "for every year since 2002, and nvdcve-2.0-modified.json.gz) are fetched the same way\n"
    "from the NVD mirror; years it lacks are skipped.\n"
    "\n"
    "Options:\n"
    "  --mirror URL       base URL (default " VG_VULNDB_DEFAULT_MIRROR ")\n"
    "  --ecosystems LIST  comma-separated OSV ecosystems (default\n"
    "                     " VG_VULNDB_DEFAULT_ECOSYSTEMS ";\n"
    "                     defaults missing on the mirror are skipped, listed ones are errors)\n"
    "  --nvd-mirror URL   NVD feed base URL (default $VIGIL_NVD_MIRROR, else\n"
    "                     " VG_VULNDB_DEFAULT_NVD_MIRROR "\n"
    "                     when --mirror is not given; 'none': no NVD data)\n"
    "  --db FILE          database file\n"
    "  -q, --quiet        no progress bar\n"
    "\n"
    "Examples:\n"
    "  vigil db update\n"
    "  vigil db update --mirror http://127.0.0.1:8000/osv --nvd-mirror http://127.0.0.1:8000/nvd\n"
    "  vigil db update --mirror http://127.0.0.1:8000/osv --ecosystems Go,npm\n";

static const char build_help[] =
    "Usage: vigil db build --from PATH [--from PATH...] [--db FILE]\n"
    "\n"
    "Builds the database from local files and swaps it in atomically. PATH is a file or a\n"
    "directory searched recursively: *.zip files are OSV all.zip archives;\n"
    "nvdcve-*.json[.gz] files are NVD CVE API 2.0 feeds (yearly or modified); files named\n"
    "debian-security-tracker*.json[.gz] or inside a debian-tracker/ folder are the Debian\n"
    "security tracker's JSON; other *.json files are Alpine secdb documents (with\n"
    "\"distroversion\" and \"packages\") or single OSV records.\n"
    "Bad records are skipped with a warning and counted.\n"
    "\n"
    "Examples:\n"
    "  vigil db build --from /srv/vulndata\n"
    "  vigil db build --from osv/Go/all.zip --from alpine-secdb/ --db /tmp/v.db\n";

static const char info_help[] =
    "Usage: vigil db info [--db FILE] [--format table|json]\n"
    "\n"
    "Shows the database's sources, advisory counts per ecosystem, build time and age.\n"
    "Warns when the database is older than 7 days.\n"
    "\n"
    "Examples:\n"
    "  vigil db info\n"
    "  vigil db info --format json | jq .ecosystems\n";

static const char query_help[] =
    "Usage: vigil db query [--db FILE] [--format table|json] ECOSYSTEM NAME [VERSION]\n"
    "\n"
    "Lists the advisories for a package. With VERSION, only those affecting that version,\n"
    "with the lowest fixed version above it. ECOSYSTEM is an OSV ecosystem with its release\n"
    "suffix (Debian:12, Alpine:v3.19, PyPI, npm, Go).\n"
    "\n"
    "Exit status: 0 when nothing matched, 1 when advisories matched.\n"
    "\n"
    "Examples:\n"
    "  vigil db query npm lodash 4.17.15\n"
    "  vigil db query --format json PyPI Django\n";

enum { OPT_DB = 1000, OPT_FORMAT, OPT_MIRROR, OPT_ECOS, OPT_FROM, OPT_NVD_MIRROR };

static bool
format_json(const char *fmt, bool *json)
{
    if (!fmt || strcmp(fmt, "table") == 0) {
        *json = false;
        return true;
    }
    *json = strcmp(fmt, "json") == 0;
    return *json;
}

/* Pretty JSON on stdout; reals with 4 significant digits so CVSS scores print as 5.6. */
static int
write_json(const json_t *j, struct vg_err **err)
{
    if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4)) < 0 ||
        fputc('\n', stdout) == EOF || fflush(stdout) == EOF) {
        return vg_err_sys(err, VG_E_IO, "write standard output");
    }
    return 0;
}

/* ---------------------------------------------------------------- update / build */

static void
print_build_stats(const char *path, const struct vg_vulndb_build_stats *s)
{
    fprintf(stderr,
            "vigil: database %s: %llu records, %llu skipped, %llu duplicates,"
            " %llu with severity from an alias\n",
            path, (unsigned long long)s->records, (unsigned long long)s->skipped,
            (unsigned long long)s->duplicates, (unsigned long long)s->inherited);
}

static int
db_update(int argc, char **argv)
{
    static const struct option opts[] = {{"mirror", required_argument, NULL, OPT_MIRROR},
                                         {"ecosystems", required_argument, NULL, OPT_ECOS},
                                         {"nvd-mirror", required_argument, NULL, OPT_NVD_MIRROR},
                                         {"db", required_argument, NULL, OPT_DB},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct vg_vulndb_update_opts o = {0};
    const char *db = NULL;
    const char *ecos[2] = {NULL, NULL};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_MIRROR:
            o.mirror = optarg;
            break;
        case OPT_ECOS:
            ecos[0] = optarg;
            break;
        case OPT_NVD_MIRROR:
            o.nvd_mirror = optarg;
            break;
        case OPT_DB:
            db = optarg;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'h':
            fputs(update_help, stdout);
            return VG_EXIT_OK;
        default:
            return vg_cli_usage("db update", "invalid option");
        }
    }
    if (optind != argc) {
        return vg_cli_usage("db update", "unexpected argument '%s'", argv[optind]);
    }
    vg_autofree char *path = vg_vulndb_path_resolve(db);
    o.db_path = path;
    o.ecosystems = ecos[0] ? ecos : NULL;
    struct vg_vulndb_update_stats st;
    struct vg_err *err = NULL;
    if (vg_vulndb_update(&o, &st, &err) < 0) {
        return vg_cli_fail(&err, "db update");
    }
    fprintf(stderr, "vigil: %zu archives downloaded, %zu not modified, %zu missing\n",
            st.downloaded, st.not_modified, st.missing);
    if (st.rebuilt) {
        print_build_stats(path, &st.build);
    } else {
        fprintf(stderr, "vigil: database %s is up to date\n", path);
    }
    return VG_EXIT_OK;
}

static int
db_build(int argc, char **argv)
{
    static const struct option opts[] = {{"from", required_argument, NULL, OPT_FROM},
                                         {"db", required_argument, NULL, OPT_DB},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL;
    const char *from[64];
    size_t nfrom = 0;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_FROM:
            if (nfrom == VG_ARRAY_LEN(from)) {
                return vg_cli_usage("db build", "too many --from paths (at most %zu)",
                                    VG_ARRAY_LEN(from));
            }
            from[nfrom++] = optarg;
            break;
        case OPT_DB:
            db = optarg;
            break;
        case 'h':
            fputs(build_help, stdout);
            return VG_EXIT_OK;
        default:
            return vg_cli_usage("db build", "invalid option");
        }
    }
    if (optind != argc) {
        return vg_cli_usage("db build", "unexpected argument '%s'", argv[optind]);
    }
    if (nfrom == 0) {
        return vg_cli_usage("db build", "--from PATH is required");
    }
    vg_autofree char *path = vg_vulndb_path_resolve(db);
    struct vg_err *err = NULL;
    struct vg_vulndb_builder *b = NULL;
    if (vg_vulndb_builder_new(&b, path, &err) < 0) {
        return vg_cli_fail(&err, "db build");
    }
    for (size_t i = 0; i < nfrom; i++) {
        if (vg_vulndb_builder_add_path(b, from[i], &err) < 0) {
            vg_vulndb_builder_free(b);
            return vg_cli_fail(&err, "db build");
        }
    }
    struct vg_vulndb_build_stats st;
    int rc = vg_vulndb_builder_commit(b, &st, &err);
    vg_vulndb_builder_free(b);
    if (rc < 0) {
        return vg_cli_fail(&err, "db build");
    }
    print_build_stats(path, &st);
    return VG_EXIT_OK;
}

/* ---------------------------------------------------------------- info */

static json_t *
info_json(const struct vg_vulndb_info *in, bool stale)
{
    char built[32];
    vg_time_rfc3339(built, sizeof(built), in->built_at);
    json_t *j = json_object();
    vg_json_set_str(j, "path", in->path);
    vg_json_set_take(j, "schema_version", json_integer(in->schema_version));
    vg_json_set_str(j, "built_at", built);
    vg_json_set_take(j, "age_seconds", json_integer(vg_now_unix() - in->built_at));
    vg_json_set_take(j, "stale", json_boolean(stale));
    vg_json_set_take(j, "advisories", json_integer((json_int_t)in->advisories));
    vg_json_set_take(j, "withdrawn", json_integer((json_int_t)in->withdrawn));
    vg_json_set_take(j, "inherited_severity", json_integer((json_int_t)in->inherited_severity));
    json_t *srcs = json_array();
    for (size_t i = 0; i < in->n_sources; i++) {
        const struct vg_vulndb_source_info *s = &in->sources[i];
        json_t *o = json_object();
        vg_json_set_str(o, "name", s->name);
        vg_json_set_str(o, "kind", s->kind);
        vg_json_set_str(o, "location", s->location);
        vg_json_set_take(o, "records", json_integer((json_int_t)s->records));
        vg_json_set_take(o, "skipped", json_integer((json_int_t)s->skipped));
        vg_json_set_str(o, "etag", s->etag);
        vg_json_set_str(o, "last_modified", s->last_modified);
        vg_json_append_take(srcs, o);
    }
    vg_json_set_take(j, "sources", srcs);
    json_t *ecos = json_array();
    for (size_t i = 0; i < in->n_ecosystems; i++) {
        json_t *o = json_object();
        vg_json_set_str(o, "ecosystem", in->ecosystems[i].ecosystem);
        vg_json_set_take(o, "advisories", json_integer((json_int_t)in->ecosystems[i].advisories));
        vg_json_set_take(o, "packages", json_integer((json_int_t)in->ecosystems[i].packages));
        vg_json_append_take(ecos, o);
    }
    vg_json_set_take(j, "ecosystems", ecos);
    return j;
}

static void
info_table(const struct vg_vulndb_info *in)
{
    char built[32];
    vg_time_rfc3339(built, sizeof(built), in->built_at);
    int64_t age = vg_now_unix() - in->built_at;
    printf("Database:    %s\n", in->path);
    printf("Built:       %s (%lld days %lld hours ago)\n", built, (long long)(age / 86400),
           (long long)(age % 86400 / 3600));
    printf("Schema:      %lld\n", (long long)in->schema_version);
    printf("Advisories:  %llu (%llu withdrawn, %llu with severity from an alias)\n",
           (unsigned long long)in->advisories, (unsigned long long)in->withdrawn,
           (unsigned long long)in->inherited_severity);
    printf("\nSources:\n  %-32s %-12s %9s %8s  %s\n", "NAME", "KIND", "RECORDS", "SKIPPED",
           "LOCATION");
    for (size_t i = 0; i < in->n_sources; i++) {
        const struct vg_vulndb_source_info *s = &in->sources[i];
        vg_autofree char *name = vg_escape(s->name, strlen(s->name), 200);
        vg_autofree char *loc = vg_escape(s->location, strlen(s->location), 300);
        printf("  %-32s %-12s %9llu %8llu  %s\n", name, s->kind, (unsigned long long)s->records,
               (unsigned long long)s->skipped, loc);
    }
    printf("\nEcosystems:\n  %-24s %10s %9s\n", "ECOSYSTEM", "ADVISORIES", "PACKAGES");
    for (size_t i = 0; i < in->n_ecosystems; i++) {
        const struct vg_vulndb_eco_count *e = &in->ecosystems[i];
        vg_autofree char *name = vg_escape(e->ecosystem, strlen(e->ecosystem), 200);
        printf("  %-24s %10llu %9llu\n", name, (unsigned long long)e->advisories,
               (unsigned long long)e->packages);
    }
}

static int
parse_read_opts(int argc, char **argv, const char *cmd, const char *help, const char **db,
                bool *json, bool *helped)
{
    static const struct option opts[] = {{"db", required_argument, NULL, OPT_DB},
                                         {"format", required_argument, NULL, OPT_FORMAT},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    *helped = false;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_DB:
            *db = optarg;
            break;
        case OPT_FORMAT:
            if (!format_json(optarg, json)) {
                return vg_cli_usage(cmd, "unknown format '%s' (table, json)", optarg);
            }
            break;
        case 'h':
            fputs(help, stdout);
            *helped = true;
            return VG_EXIT_OK;
        default:
            return vg_cli_usage(cmd, "invalid option");
        }
    }
    return -1;
}

static int
db_info(int argc, char **argv)
{
    const char *db = NULL;
    bool json = false, helped;
    int rc = parse_read_opts(argc, argv, "db info", info_help, &db, &json, &helped);
    if (rc >= 0) {
        return rc;
    }
    if (optind != argc) {
        return vg_cli_usage("db info", "unexpected argument '%s'", argv[optind]);
    }
    vg_autofree char *path = vg_vulndb_path_resolve(db);
    struct vg_err *err = NULL;
    struct vg_vulndb *vdb = NULL;
    struct vg_vulndb_info info;
    if (vg_vulndb_open(&vdb, path, true, &err) < 0) {
        return vg_cli_fail(&err, "db info");
    }
    rc = vg_vulndb_info_get(&info, vdb, &err);
    vg_vulndb_close(vdb);
    if (rc < 0) {
        return vg_cli_fail(&err, "db info");
    }
    bool stale = vg_vulndb_is_stale(&info, vg_now_unix());
    if (stale) {
        fprintf(stderr, "vigil: warning: the vulnerability database is older than 7 days;"
                        " run 'vigil db update'\n");
    }
    if (json) {
        vg_autojson json_t *j = info_json(&info, stale);
        rc = write_json(j, &err);
    } else {
        info_table(&info);
    }
    vg_vulndb_info_dispose(&info);
    return rc < 0 ? vg_cli_fail(&err, "db info") : VG_EXIT_OK;
}

/* ---------------------------------------------------------------- query */

static json_t *
advisory_json(const struct vg_vulndb_advisory *a, const char *fixed)
{
    json_t *o = json_object();
    vg_json_set_str(o, "id", a->id);
    json_t *al = json_array();
    for (size_t i = 0; i < a->n_aliases; i++) {
        vg_json_append_take(al, json_string(a->aliases[i]));
    }
    vg_json_set_take(o, "aliases", al);
    vg_json_set_str(o, "summary", a->summary);
    vg_json_set_str(o, "severity", vg_vulndb_severity_name(a->severity));
    vg_json_set_str(o, "severity_source", a->severity_source);
    if (a->cvss_version) {
        vg_json_set_str(o, "cvss_version", vg_cvss_version_name(a->cvss_version));
        vg_json_set_str(o, "cvss_vector", a->cvss_vector);
        vg_json_set_take(o, "cvss_score", json_real(a->cvss_score));
    }
    vg_json_set_str(o, "ecosystem", a->ecosystem);
    vg_json_set_str(o, "package", a->package);
    vg_json_set_take(o, "fixed_version", fixed ? json_string(fixed) : json_null());
    vg_json_set_str(o, "published", a->published);
    vg_json_set_str(o, "modified", a->modified);
    vg_json_set_str(o, "source", a->source);
    json_t *refs = json_array();
    for (size_t i = 0; i < a->n_refs; i++) {
        vg_json_append_take(refs, json_string(a->refs[i].url));
    }
    vg_json_set_take(o, "references", refs);
    return o;
}

/* OSV's ecosystem names, spelled exactly (the database keys on them), without the release
 * suffix ("Debian:12" -> "Debian"). */
static bool
osv_ecosystem_known(const char *eco)
{
    static const char *const names[] = {
        "AlmaLinux", "Alpine",    "Android",     "Bitnami",   "Chainguard",     "ConanCenter",
        "CRAN",      "crates.io", "Debian",      "GHC",       "GitHub Actions", "Go",
        "Hackage",   "Hex",       "Linux",       "Mageia",    "Maven",          "npm",
        "NuGet",     "openSUSE",  "OSS-Fuzz",    "Packagist", "Photon OS",      "Pub",
        "PyPI",      "Red Hat",   "Rocky Linux", "RubyGems",  "SUSE",           "SwiftURL",
        "Ubuntu",    "Wolfi",
    };
    size_t n = strcspn(eco, ":");
    for (size_t i = 0; i < VG_ARRAY_LEN(names); i++) {
        if (strlen(names[i]) == n && strncmp(names[i], eco, n) == 0) {
            return vg_ver_scheme_from_ecosystem(eco) != 0 || eco[n] == '\0';
        }
    }
    return false;
}

static int
db_query(int argc, char **argv)
{
    const char *db = NULL;
    bool json = false, helped;
    int rc = parse_read_opts(argc, argv, "db query", query_help, &db, &json, &helped);
    if (rc >= 0) {
        return rc;
    }
    if (argc - optind < 2 || argc - optind > 3) {
        return vg_cli_usage("db query", "expected ECOSYSTEM NAME [VERSION]");
    }
    const char *eco = argv[optind], *name = argv[optind + 1];
    const char *version = argc - optind == 3 ? argv[optind + 2] : NULL;
    vg_autofree char *path = vg_vulndb_path_resolve(db);
    struct vg_err *err = NULL;
    struct vg_vulndb *vdb = NULL;
    struct vg_vulndb_result res = {0};
    if (vg_vulndb_open(&vdb, path, true, &err) < 0) {
        return vg_cli_fail(&err, "db query");
    }
    rc = version ? vg_vulndb_query_affecting(&res, vdb, eco, name, 0, version, &err)
                 : vg_vulndb_query(&res, vdb, eco, name, &err);
    vg_vulndb_close(vdb);
    if (rc < 0) {
        return vg_cli_fail(&err, "db query");
    }
    /* An ecosystem vigil has no comparator for and the database has no record of is a typo
     * ("pypi", "Debian12"), not a package without advisories. */
    if (res.n == 0 && !osv_ecosystem_known(eco)) {
        vg_vulndb_result_dispose(&res);
        return vg_cli_usage("db query",
                            "unknown ecosystem '%s' (OSV names: Debian:12, Ubuntu:22.04, "
                            "Alpine:v3.19, Red Hat, npm, PyPI, Go, Maven, crates.io, RubyGems, "
                            "Packagist, NuGet)",
                            eco);
    }
    vg_autojson json_t *arr = json_array();
    size_t matched = 0;
    if (!json) {
        printf("%-22s %-9s %-24s %s\n", "ID", "SEVERITY", "FIXED", "SUMMARY");
    }
    for (size_t i = 0; i < res.n; i++) {
        const struct vg_vulndb_advisory *a = &res.items[i];
        const char *fixed = NULL;
        if (version && !vg_vulndb_advisory_affects(a, 0, version, &fixed)) {
            continue;
        }
        matched++;
        if (json) {
            vg_json_append_take(arr, advisory_json(a, fixed));
        } else {
            vg_autofree char *sum =
                a->summary ? vg_escape(a->summary, strlen(a->summary), 70) : vg_strdup("");
            printf("%-22s %-9s %-24s %s\n", a->id, vg_vulndb_severity_name(a->severity),
                   fixed ? fixed : "-", sum);
        }
    }
    vg_vulndb_result_dispose(&res);
    if (json && write_json(arr, &err) < 0) {
        return vg_cli_fail(&err, "db query");
    }
    return matched ? VG_EXIT_NEGATIVE : VG_EXIT_OK;
}

int
cmd_db(int argc, char **argv)
{
    if (argc < 2) {
        return vg_cli_usage("db", "missing subcommand (update, build, info, query)");
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        fputs(db_help, stdout);
        return VG_EXIT_OK;
    }
    if (strcmp(sub, "update") == 0) {
        return db_update(argc - 1, argv + 1);
    }
    if (strcmp(sub, "build") == 0) {
        return db_build(argc - 1, argv + 1);
    }
    if (strcmp(sub, "info") == 0) {
        return db_info(argc - 1, argv + 1);
    }
    if (strcmp(sub, "query") == 0) {
        return db_query(argc - 1, argv + 1);
    }
    return vg_cli_usage("db", "unknown subcommand '%s' (update, build, info, query)", sub);
}
