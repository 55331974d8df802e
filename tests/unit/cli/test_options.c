/* SPDX-License-Identifier: Apache-2.0
 *
 * Option sources (src/cli/options.c): command line > $VIGIL_<FLAG> > $TRIVY_<FLAG> (Trivy's
 * flags only) > config file > default, and the config file's schema errors.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

enum { O_SEV = 256, O_EXIT, O_VEX, O_SKIPDIRS, O_DB, O_UNFIXED, O_CONFIG, O_TIMEOUT };

static const struct option LONGOPTS[] = {
    {"severity", required_argument, NULL, O_SEV},
    {"exit-code", required_argument, NULL, O_EXIT},
    {"vex", required_argument, NULL, O_VEX},
    {"skip-dirs", required_argument, NULL, O_SKIPDIRS},
    {"db", required_argument, NULL, O_DB},
    {"ignore-unfixed", no_argument, NULL, O_UNFIXED},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"config", required_argument, NULL, O_CONFIG},
    {"output", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
static const char *const REPEATABLE[] = {"vex", "skip-dirs", NULL};
static char g_cfg[64];

static struct vg_cli_optspec
spec(void)
{
    return (struct vg_cli_optspec){.cmd = "scan",
                                   .shortopts = "o:qh",
                                   .longopts = LONGOPTS,
                                   .repeatable = REPEATABLE,
                                   .config_default = g_cfg[0] ? g_cfg : NULL};
}

/* The default config file of these tests, with the given text. */
static void
config(const char *text)
{
    snprintf(g_cfg, sizeof(g_cfg), "/tmp/vg-test-opts-XXXXXX");
    int fd = mkstemp(g_cfg);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static char *g_argv[16];

/* A writable argv from the NULL-terminated words (getopt permutes it). */
static char **
mkargv(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    size_t n = 0;
    for (const char *w = first; w && n + 1 < VG_ARRAY_LEN(g_argv); w = va_arg(ap, const char *)) {
        free(g_argv[n]);
        g_argv[n++] = vg_strdup(w);
    }
    va_end(ap);
    free(g_argv[n]);
    g_argv[n] = NULL;
    return g_argv;
}

static void
cleanup(void)
{
    if (g_cfg[0]) {
        unlink(g_cfg);
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(g_argv); i++) {
        free(g_argv[i]);
        g_argv[i] = NULL;
    }
}

TestSuite(cli_options, .fini = cleanup);

/* The words resolve put between argv[0] and the command line, joined by spaces. */
static char *
added(const struct vg_cli_args *a, int argc)
{
    struct vg_buf b = VG_BUF_INIT(4096);
    for (int i = 1; i < a->argc - (argc - 1); i++) {
        cr_assert_eq(vg_buf_appendf(&b, NULL, "%s%s", b.len ? " " : "", a->argv[i]), 0);
    }
    return vg_buf_take(&b, NULL);
}

static int
resolve(struct vg_cli_args *a, int argc, char **argv, struct vg_err **err)
{
    struct vg_cli_optspec s = spec();
    return vg_cli_args_resolve(a, &s, argc, argv, err);
}

Test(cli_options, derived_names)
{
    char *v = vg_cli_option_env_name("VIGIL_", "skip-dirs");
    cr_assert_str_eq(v, "VIGIL_SKIP_DIRS");
    free(v);
    v = vg_cli_option_env_name("TRIVY_", "exit-code");
    cr_assert_str_eq(v, "TRIVY_EXIT_CODE");
    free(v);
    cr_assert_str_eq(vg_cli_option_config_key("skip-dirs"), "scan.skip-dirs");
    cr_assert_str_eq(vg_cli_option_config_key("ignore-unfixed"), "vulnerability.ignore-unfixed");
    cr_assert_str_eq(vg_cli_option_config_key("cache-dir"), "cache.dir");
    cr_assert_str_eq(vg_cli_option_config_key("severity"), "severity");
    cr_assert_str_eq(vg_cli_option_config_key("db"), "db"); /* vigil's own: its flag name */
    cr_assert(vg_cli_option_shared_with_trivy("timeout"));
    cr_assert_not(vg_cli_option_shared_with_trivy("db"));
}

Test(cli_options, nothing_set_leaves_argv_alone)
{
    char **argv = mkargv("scan", "--severity", "HIGH", "img", NULL);
    struct vg_cli_args a;
    struct vg_err *err = NULL;
    cr_assert_eq(resolve(&a, 4, argv, &err), 0);
    cr_assert_eq(a.argc, 4);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(a.argv[i], argv[i]);
    }
    cr_assert_null(a.argv[4]);
    cr_assert_null(vg_cli_args_origin(&a, argv[2]));
    vg_cli_args_dispose(&a);
}

Test(cli_options, precedence_flag_vigil_trivy_config)
{
    config("severity: [LOW]\n"
           "exit-code: 9\n"
           "db: /from/config\n"
           "timeout: 10m\n");
    setenv("VIGIL_EXIT_CODE", "3", 1);
    setenv("TRIVY_EXIT_CODE", "4", 1);     /* VIGIL_ wins */
    setenv("TRIVY_SEVERITY", "MEDIUM", 1); /* the flag wins */
    setenv("TRIVY_DB", "/from/trivy", 1);  /* not Trivy's flag: never read */
    setenv("TRIVY_TIMEOUT", "1m", 1);      /* Trivy's flag: beats the config file */
    char **argv = mkargv("scan", "--severity", "HIGH", "img", NULL);
    struct vg_cli_args a;
    struct vg_err *err = NULL;
    cr_assert_eq(resolve(&a, 4, argv, &err), 0, "%s", err ? err->msg : "");
    char *w = added(&a, 4);
    cr_assert_str_eq(w, "--exit-code 3 --timeout 1m --db /from/config");
    free(w);
    /* The command line follows, untouched. */
    cr_assert_eq(a.argv[a.argc - 3], argv[1]);
    cr_assert_eq(a.argv[a.argc - 1], argv[3]);
    cr_assert_str_eq(vg_cli_args_origin(&a, a.argv[2]), "--exit-code came from $VIGIL_EXIT_CODE");
    cr_assert_str_eq(vg_cli_args_origin(&a, a.argv[4]), "--timeout came from $TRIVY_TIMEOUT");
    char *o = vg_fmt("--db came from %s:3:5 (db)", g_cfg);
    cr_assert_str_eq(vg_cli_args_origin(&a, a.argv[6]), o);
    free(o);
    cr_assert_str_eq(a.config_path, g_cfg);
    vg_cli_args_dispose(&a);
}

Test(cli_options, trivy_keys_lists_and_booleans)
{
    config("severity: [HIGH, CRITICAL]\n"
           "scan:\n  skip-dirs: ['**/node_modules', usr/share]\n"
           "vulnerability:\n  ignore-unfixed: true\n  vex: [a.json, 'b,c.json']\n"
           "quiet: false\n"
           "output:\n");
    char **argv = mkargv("scan", "img", NULL);
    struct vg_cli_args a;
    struct vg_err *err = NULL;
    cr_assert_eq(resolve(&a, 2, argv, &err), 0, "%s", err ? err->msg : "");
    char *w = added(&a, 2);
    cr_assert_str_eq(w, "--severity HIGH,CRITICAL --skip-dirs **/node_modules --skip-dirs "
                        "usr/share --ignore-unfixed --vex a.json --vex b,c.json");
    free(w);
    vg_cli_args_dispose(&a);
}

Test(cli_options, env_lists_and_booleans)
{
    setenv("VIGIL_VEX", "a.json, b.json", 1); /* repeatable: one flag per item */
    setenv("VIGIL_SEVERITY", "HIGH,CRITICAL", 1);
    setenv("TRIVY_IGNORE_UNFIXED", "true", 1);
    setenv("VIGIL_QUIET", "false", 1);
    setenv("VIGIL_DB", "", 1); /* empty = unset */
    char **argv = mkargv("scan", "img", NULL);
    struct vg_cli_args a;
    struct vg_err *err = NULL;
    cr_assert_eq(resolve(&a, 2, argv, &err), 0);
    char *w = added(&a, 2);
    cr_assert_str_eq(w, "--severity HIGH,CRITICAL --vex a.json --vex b.json --ignore-unfixed");
    free(w);
    vg_cli_args_dispose(&a);
}

Test(cli_options, short_flags_count_as_set)
{
    setenv("VIGIL_OUTPUT", "env.json", 1);
    setenv("VIGIL_QUIET", "1", 1);
    char **argv = mkargv("scan", "-qo", "cli.json", "img", NULL);
    struct vg_cli_args a;
    struct vg_err *err = NULL;
    cr_assert_eq(resolve(&a, 4, argv, &err), 0);
    cr_assert_eq(a.argc, 4);
    vg_cli_args_dispose(&a);
}

Test(cli_options, bad_boolean_in_env_is_usage_error)
{
    setenv("VIGIL_IGNORE_UNFIXED", "maybe", 1);
    char **argv = mkargv("scan", "img", NULL);
    struct vg_cli_args a;
    struct vg_err *err = NULL;
    cr_assert_lt(resolve(&a, 2, argv, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_USAGE);
    cr_assert(strstr(err->msg, "$VIGIL_IGNORE_UNFIXED"), "%s", err->msg);
    vg_err_free(&err);
    cr_assert_null(a.argv);
}

static void
expect_config_error(const char *text, const char *where, const char *what)
{
    config(text);
    char **argv = mkargv("scan", "img", NULL);
    struct vg_cli_args a;
    struct vg_err *err = NULL;
    cr_assert_lt(resolve(&a, 2, argv, &err), 0, "accepted: %s", text);
    char *m = vg_err_format(err);
    char *pos = vg_fmt("%s:%s: ", g_cfg, where);
    cr_assert(strstr(m, pos), "want %s in %s", pos, m);
    cr_assert(strstr(m, what), "want %s in %s", what, m);
    cr_assert_eq(vg_err_code(err), VG_E_PARSE);
    free(pos);
    free(m);
    vg_err_free(&err);
    unlink(g_cfg);
}

Test(cli_options, config_schema_errors_name_file_line_col)
{
    expect_config_error("severity: HIGH\nscan:\n  skip-dirz: [a]\n", "3:3",
                        "unknown key 'scan.skip-dirz'");
    expect_config_error("debug: true\n", "1:1", "unknown key 'debug'");
    expect_config_error("scan: [a]\n", "1:7", "'scan' must be a mapping");
    expect_config_error("severity: {a: b}\n", "1:11", "must be a string or a list");
    expect_config_error("severity: [[a]]\n", "1:12", "must be a string or a list");
    expect_config_error("vulnerability:\n  ignore-unfixed: yes\n", "2:19", "true or false");
    expect_config_error("- a\n", "1:1", "mapping of options");
    expect_config_error("a: 1\n---\nb: 2\n", "3:1", "one YAML document");
    expect_config_error("help: true\n", "1:1", "unknown key 'help'");
    expect_config_error("config: x.yaml\n", "1:1", "unknown key 'config'");
}

Test(cli_options, config_syntax_error_is_parse_error)
{
    config("severity: [HIGH\n");
    char **argv = mkargv("scan", "img", NULL);
    struct vg_cli_args a;
    struct vg_err *err = NULL;
    cr_assert_lt(resolve(&a, 2, argv, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_PARSE);
    vg_err_free(&err);
}

Test(cli_options, empty_config_sets_nothing)
{
    config("# nothing yet\n");
    char **argv = mkargv("scan", "img", NULL);
    struct vg_cli_args a;
    struct vg_err *err = NULL;
    cr_assert_eq(resolve(&a, 2, argv, &err), 0);
    cr_assert_eq(a.argc, 2);
    vg_cli_args_dispose(&a);
}

Test(cli_options, named_config_must_exist_default_need_not)
{
    snprintf(g_cfg, sizeof(g_cfg), "/nonexistent/vigil.yaml");
    char **argv = mkargv("scan", "img", NULL);
    struct vg_cli_args a;
    struct vg_err *err = NULL;
    cr_assert_eq(resolve(&a, 2, argv, &err), 0); /* the default, absent: fine */
    cr_assert_null(a.config_path);
    vg_cli_args_dispose(&a);

    char **argv2 = mkargv("scan", "--config", "/nonexistent/x.yaml", "img", NULL);
    cr_assert_lt(resolve(&a, 4, argv2, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
    setenv("VIGIL_CONFIG", "/nonexistent/y.yaml", 1);
    argv = mkargv("scan", "img", NULL);
    cr_assert_lt(resolve(&a, 2, argv, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
}

Test(cli_options, config_flag_beats_env_and_default)
{
    config("exit-code: 7\n");
    char *named = vg_strdup(g_cfg);
    g_cfg[0] = '\0';
    setenv("VIGIL_CONFIG", "/nonexistent/y.yaml", 1);
    char **argv = mkargv("scan", "--config", named, "img", NULL);
    struct vg_cli_args a;
    struct vg_err *err = NULL;
    cr_assert_eq(resolve(&a, 4, argv, &err), 0);
    char *w = added(&a, 4);
    cr_assert_str_eq(w, "--exit-code 7");
    free(w);
    vg_cli_args_dispose(&a);
    unlink(named);
    free(named);
}

Test(cli_options, help_reads_nothing_else)
{
    config("bogus: 1\n");
    setenv("VIGIL_QUIET", "maybe", 1);
    char **argv = mkargv("scan", "--help", NULL);
    struct vg_cli_args a;
    struct vg_err *err = NULL;
    cr_assert_eq(resolve(&a, 2, argv, &err), 0);
    cr_assert_eq(a.argc, 2);
    vg_cli_args_dispose(&a);
}
