/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil vercmp`: compares two versions with one ecosystem's rules and prints <, = or >; with
 * "-" instead of the versions it reads "A B" pairs from standard input, one per line, and
 * prints one result per line ('!' for a pair that cannot be compared, with a warning naming
 * the line on stderr), so differential tests against reference tools run in one process.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "version/version.h"

/* Longest stdin line: two maximal versions plus generous blank space. */
#define VERCMP_LINE_MAX (2u * VG_VER_MAX_BYTES + 256u)
/* Warnings printed in stdin mode before the rest are only counted. */
#define VERCMP_MAX_WARNINGS 100u

static void
help(void)
{
    printf(
        "Usage: vigil vercmp [OPTIONS] ECOSYSTEM A B\n"
        "       vigil vercmp [OPTIONS] ECOSYSTEM -\n"
        "\n"
        "Compares versions A and B with the ordering rules of ECOSYSTEM and prints '<', '='\n"
        "or '>'. With '-', reads whitespace-separated 'A B' pairs from standard input, one\n"
        "pair per line, and prints one result per line; a pair that cannot be compared\n"
        "prints '!' and a warning naming the line on stderr.\n"
        "\n"
        "ECOSYSTEM is a scheme name (deb, rpm, apk, semver, go, pep440, maven, rubygems,\n"
        "composer, nuget, or an alias such as npm, pypi, gem) or an OSV ecosystem name\n"
        "(Debian:12, Alpine:v3.19, PyPI, crates.io, Red Hat, ...).\n"
        "\n"
        "Options:\n"
        "  -l, --list   list the ecosystems, their aliases and reference implementations\n"
        "  -h, --help   show this help\n"
        "\n"
        "Examples:\n"
        "  vigil vercmp deb 1:1.2-1 1.3-1            # prints >\n"
        "  vigil vercmp deb 1.0~rc1 1.0              # prints <\n"
        "  vigil vercmp pypi 1.0.post1 1.0           # prints >\n"
        "  vigil vercmp maven 1.0-SNAPSHOT 1.0       # prints <\n"
        "  vigil vercmp Alpine:v3.19 1.2.3_rc1-r0 1.2.3-r0  # prints <\n"
        "  printf '1.0.0 1.1.0\\n2.0.0 2.0.0+build\\n' | vigil vercmp npm -   # prints < then =\n"
        "\n"
        "Exit codes: 0 compared; 2 usage error or unknown ecosystem; 6 invalid version (in\n"
        "'-' mode: at least one line printed '!'); 3 read or write failure.\n");
}

static void
list(void)
{
    printf("%-10s %-28s %s\n", "SCHEME", "ALIASES", "MATCHES");
    for (int s = 1; s <= (int)VG_VER_SCHEME_MAX; s++) {
        enum vg_ver_scheme sc = (enum vg_ver_scheme)s;
        printf("%-10s %-28s %s\n", vg_ver_scheme_name(sc), vg_ver_scheme_aliases(sc),
               vg_ver_scheme_describe(sc));
    }
}

static char
result_char(int c)
{
    return c < 0 ? '<' : (c > 0 ? '>' : '=');
}

struct stdin_state {
    size_t lineno;
    size_t warnings;
    bool any_bad;
};

static void
warn_line(struct stdin_state *st, const char *fmt, const char *detail)
{
    st->any_bad = true;
    if (st->warnings++ < VERCMP_MAX_WARNINGS) {
        fprintf(stderr, "vigil vercmp: warning: line %zu: ", st->lineno);
        fprintf(stderr, fmt, detail);
        fputc('\n', stderr);
    }
}

static bool
is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Handles one line (NUL-terminated, no '\n'): prints the result character. */
static void
one_line(enum vg_ver_scheme s, char *line, struct stdin_state *st, FILE *out)
{
    char *tok[3] = {NULL, NULL, NULL};
    size_t nt = 0;
    char *p = line;
    while (*p) {
        while (*p && is_ws((unsigned char)*p)) {
            *p++ = '\0';
        }
        if (!*p) {
            break;
        }
        if (nt < 3) {
            tok[nt] = p;
        }
        nt++;
        while (*p && !is_ws((unsigned char)*p)) {
            p++;
        }
    }
    if (nt != 2) {
        warn_line(st, "%s", "expected two versions");
        fputs("!\n", out);
        return;
    }
    struct vg_err *err = NULL;
    int c = 0;
    if (vg_ver_cmp_checked(&c, s, tok[0], tok[1], &err) < 0) {
        char *msg = vg_err_format(err);
        warn_line(st, "%s", msg);
        free(msg);
        vg_err_free(&err);
        fputs("!\n", out);
        return;
    }
    fputc(result_char(c), out);
    fputc('\n', out);
}

static int
run_stdin(enum vg_ver_scheme s)
{
    struct stdin_state st = {0};
    vg_autofree char *line = vg_malloc(VERCMP_LINE_MAX + 1);
    size_t len = 0;
    bool overlong = false, pending = false;
    int ch;
    while ((ch = getc_unlocked(stdin)) != EOF) {
        pending = true;
        if (ch == '\n') {
            st.lineno++;
            line[len] = '\0';
            if (overlong) {
                warn_line(&st, "%s", "line too long");
                fputs("!\n", stdout);
            } else {
                one_line(s, line, &st, stdout);
            }
            len = 0;
            overlong = false;
            pending = false;
            continue;
        }
        if (len < VERCMP_LINE_MAX && ch != '\0') {
            line[len++] = (char)ch;
        } else {
            overlong = true;
        }
    }
    if (ferror(stdin)) {
        fprintf(stderr, "vigil: error: vercmp: read standard input failed\n");
        return VG_EXIT_RUNTIME;
    }
    if (pending) {
        st.lineno++;
        line[len] = '\0';
        if (overlong) {
            warn_line(&st, "%s", "line too long");
            fputs("!\n", stdout);
        } else {
            one_line(s, line, &st, stdout);
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "vigil: error: vercmp: write standard output failed\n");
        return VG_EXIT_RUNTIME;
    }
    if (st.warnings > VERCMP_MAX_WARNINGS) {
        fprintf(stderr, "vigil vercmp: %zu more warnings not shown\n",
                st.warnings - VERCMP_MAX_WARNINGS);
    }
    return st.any_bad ? VG_EXIT_CORRUPT : VG_EXIT_OK;
}

int
cmd_vercmp(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"list", no_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "+hl", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            help();
            return VG_EXIT_OK;
        case 'l':
            list();
            return VG_EXIT_OK;
        default:
            return vg_cli_usage("vercmp", "unknown option");
        }
    }
    int nargs = argc - optind;
    if (nargs != 2 && nargs != 3) {
        return vg_cli_usage("vercmp", "expected ECOSYSTEM A B, or ECOSYSTEM -");
    }
    const char *eco = argv[optind];
    enum vg_ver_scheme s = vg_ver_scheme_from_name(eco);
    if (!s) {
        s = vg_ver_scheme_from_ecosystem(eco);
    }
    if (!s) {
        vg_autofree char *esc = vg_escape(eco, strlen(eco), 64);
        return vg_cli_usage("vercmp", "unknown ecosystem '%s' (see 'vigil vercmp --list')", esc);
    }
    if (nargs == 2) {
        if (strcmp(argv[optind + 1], "-") != 0) {
            return vg_cli_usage("vercmp", "expected two versions, or '-' to read pairs");
        }
        return run_stdin(s);
    }
    struct vg_err *err = NULL;
    int r = 0;
    if (vg_ver_cmp_checked(&r, s, argv[optind + 1], argv[optind + 2], &err) < 0) {
        return vg_cli_fail(&err, "vercmp");
    }
    printf("%c\n", result_char(r));
    if (fflush(stdout) != 0) {
        fprintf(stderr, "vigil: error: vercmp: write standard output failed\n");
        return VG_EXIT_RUNTIME;
    }
    return VG_EXIT_OK;
}
