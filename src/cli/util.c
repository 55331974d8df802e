/* SPDX-License-Identifier: Apache-2.0
 *
 * Error rendering, exit-code mapping, safe output files, the shared image-access flags and the
 * time limits (--timeout, --stall-timeout) for the CLI.
 */
#include "cli.h"

#include "oci/oci.h"
#include "scan/scan.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
vg_cli_exit_for(const struct vg_err *err)
{
    switch (vg_err_code(err)) {
    case VG_E_USAGE:
        return VG_EXIT_USAGE;
    case VG_E_NOTFOUND:
        return VG_EXIT_NOTFOUND;
    case VG_E_AUTH:
        return VG_EXIT_AUTH;
    case VG_E_PARSE:
    case VG_E_LIMIT:
    case VG_E_VERIFY:
    case VG_E_UNSUPPORTED:
        return VG_EXIT_CORRUPT;
    case VG_E_NET:
        return VG_EXIT_NETWORK;
    case VG_E_IO:
    case VG_E_DB:
    case VG_E_INTERNAL:
        return VG_EXIT_RUNTIME;
    }
    return VG_EXIT_RUNTIME;
}

const char *
vg_cli_exit_meaning(long code)
{
    switch (code) {
    case VG_EXIT_USAGE:
        return "usage errors";
    case VG_EXIT_RUNTIME:
        return "runtime errors";
    case VG_EXIT_NOTFOUND:
        return "'not found'";
    case VG_EXIT_AUTH:
        return "refused authentication";
    case VG_EXIT_CORRUPT:
        return "corrupt or unsupported input";
    case VG_EXIT_NETWORK:
        return "network errors";
    default:
        return NULL;
    }
}

int
vg_cli_fail(struct vg_err **err, const char *context)
{
    int code = vg_cli_exit_for(*err);
    char *msg = vg_err_format(*err);
    if (context && *context) {
        fprintf(stderr, "vigil: error: %s: %s\n", context, msg);
    } else {
        fprintf(stderr, "vigil: error: %s\n", msg);
    }
    free(msg);
    vg_err_free(err);
    return code;
}

int
vg_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = vg_vfmt(fmt, ap);
    va_end(ap);
    fprintf(stderr, "vigil %s: %s\nTry 'vigil %s --help'.\n", cmd, msg, cmd);
    free(msg);
    return VG_EXIT_USAGE;
}

int
vg_cli_output_open(struct vg_cli_out *o, const char *path, struct vg_err **err)
{
    *o = (struct vg_cli_out){0};
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    o->path = vg_strdup(path);
    o->tmp = vg_fmt("%s.tmp.%ld.XXXXXX", path, (long)getpid());
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int rc = vg_err_sys(err, VG_E_IO, "create %s", path);
        free(o->path);
        free(o->tmp);
        *o = (struct vg_cli_out){0};
        return rc;
    }
    o->f = fdopen(fd, "w");
    if (!o->f) {
        close(fd);
        unlink(o->tmp);
        return vg_err_sys(err, VG_E_IO, "open %s", path);
    }
    return 0;
}

int
vg_cli_output_close(struct vg_cli_out *o, bool commit, struct vg_err **err)
{
    int rc = 0;
    if (o->f == stdout) {
        if (fflush(stdout) != 0) {
            rc = vg_err_sys(err, VG_E_IO, "write standard output");
        }
        o->f = NULL;
        return rc;
    }
    if (!o->f) {
        return 0;
    }
    bool ok = fflush(o->f) == 0 && fsync(fileno(o->f)) == 0;
    ok = (fclose(o->f) == 0) && ok;
    o->f = NULL;
    if (commit && ok) {
        if (rename(o->tmp, o->path) < 0) {
            rc = vg_err_sys(err, VG_E_IO, "rename %s to %s", o->tmp, o->path);
            unlink(o->tmp);
        }
    } else {
        unlink(o->tmp);
        if (commit) {
            rc = vg_err_sys(err, VG_E_IO, "write %s", o->path);
        }
    }
    free(o->path);
    free(o->tmp);
    o->path = o->tmp = NULL;
    return rc;
}

bool
vg_cli_image_opt(int c, const char *arg, struct vg_oci_open_opts *o)
{
    switch (c) {
    case VG_CLI_OPT_PLATFORM:
        o->platform = arg;
        return true;
    case VG_CLI_OPT_CREDS:
        o->creds = arg;
        return true;
    case VG_CLI_OPT_INSECURE:
        o->insecure = true;
        return true;
    case VG_CLI_OPT_PLAIN_HTTP:
        o->plain_http = true;
        return true;
    default:
        return false;
    }
}

int
vg_cli_insecure_registries(const char *cmd, const char *arg, struct vg_oci_open_opts *o)
{
    if (o->plain_http_registries) {
        return vg_cli_usage(cmd, "--insecure-registries is given twice: list every registry in "
                                 "one, separated by commas");
    }
    for (const char *p = arg;;) {
        size_t len = strcspn(p, ",");
        const char *host_end = p + len;
        bool ok = len > 0 && len <= 255;
        if (ok && p[0] == '[') {
            const char *rb = memchr(p, ']', len);
            ok = rb && rb > p + 1 &&
                 strspn(p + 1, "0123456789abcdefABCDEF:") == (size_t)(rb - p - 1);
            host_end = rb ? rb + 1 : host_end;
        } else if (ok) {
            size_t h =
                strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_");
            ok = h > 0;
            host_end = p + h;
        }
        if (ok && host_end < p + len) {
            size_t digits = strspn(host_end + 1, "0123456789");
            ok = host_end[0] == ':' && digits >= 1 && digits <= 5 &&
                 host_end + 1 + digits == p + len;
        }
        if (!ok) {
            vg_autofree char *e = vg_escape(p, len, 80);
            return vg_cli_usage(cmd, "--insecure-registries: '%s' is not HOST[:PORT]", e);
        }
        if (!p[len]) {
            break;
        }
        p += len + 1;
    }
    o->plain_http_registries = arg;
    return 0;
}

int
vg_cli_root_only(const char *cmd, int argc, char **argv, const char *root)
{
    if (optind < argc) {
        return vg_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    }
    if (!root) {
        return vg_cli_usage(cmd, "--root DIR is required");
    }
    return 0;
}

/* Reads digits[.digits] at *p into *v, advancing *p. Returns 1 when digits were read, 0 when
 * none, -1 once the value passes max (the caller names what was too large). */
static int
read_decimal(const char **p, double max, double *v)
{
    double scale = 1;
    bool digits = false, dot = false;
    *v = 0;
    for (; (**p >= '0' && **p <= '9') || (**p == '.' && !dot); (*p)++) {
        if (**p == '.') {
            dot = true;
            continue;
        }
        digits = true;
        if (dot) {
            scale /= 10;
            *v += (**p - '0') * scale;
        } else {
            *v = *v * 10 + (**p - '0');
        }
        if (*v > max) {
            return -1;
        }
    }
    return digits ? 1 : 0;
}

int
vg_cli_parse_duration(const char *s, uint64_t *ms, struct vg_err **err)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"ms", 1.0}, {"s", 1e3}, {"m", 6e4}, {"h", 3.6e6}};
    vg_autofree char *esc = vg_escape(s, strlen(s), 64);
    if (strcmp(s, "0") == 0) {
        *ms = 0;
        return 0;
    }
    double total = 0;
    const char *p = s;
    if (!*p) {
        return vg_err_set(err, VG_E_USAGE, "empty duration");
    }
    while (*p) {
        /* digits[.digits] then a unit; each part bounded so the sum stays exact enough */
        double v;
        int digits = read_decimal(&p, 1e12, &v);
        if (digits < 0) {
            return vg_err_set(err, VG_E_USAGE, "duration \"%s\" is too long", esc);
        }
        size_t best = 0, bi = 0;
        for (size_t i = 0; i < VG_ARRAY_LEN(units); i++) {
            size_t n = strlen(units[i].unit);
            if (n > best && strncmp(p, units[i].unit, n) == 0) {
                best = n;
                bi = i;
            }
        }
        if (!digits || best == 0) {
            return vg_err_set(err, VG_E_USAGE,
                              "invalid duration \"%s\" (want e.g. 90s, 5m0s, 1h30m)", esc);
        }
        total += v * units[bi].ms;
        p += best;
    }
    if (total > 1e12) {
        return vg_err_set(err, VG_E_USAGE, "duration \"%s\" is too long", esc);
    }
    *ms = (uint64_t)(total + 0.5);
    return 0;
}

bool
vg_cli_timeout_opt(int c, const char *arg, const char *cmd, uint64_t *timeout_ms,
                   struct vg_oci_open_opts *o)
{
    if (c == VG_CLI_OPT_CACHE_DIR) {
        if (!arg[0] || setenv("VIGIL_CACHE_DIR", arg, 1) < 0) {
            exit(vg_cli_usage(cmd, "--cache-dir wants a directory"));
        }
        return true;
    }
    if (c != VG_CLI_OPT_TIMEOUT && c != VG_CLI_OPT_STALL_TIMEOUT) {
        return false;
    }
    struct vg_err *err = NULL;
    uint64_t ms = 0;
    if (vg_cli_parse_duration(arg, &ms, &err) < 0) {
        char *msg = vg_err_format(err);
        vg_err_free(&err);
        vg_cli_usage(cmd, "%s: %s", c == VG_CLI_OPT_TIMEOUT ? "--timeout" : "--stall-timeout", msg);
        free(msg);
        exit(VG_EXIT_USAGE);
    }
    if (c == VG_CLI_OPT_TIMEOUT) {
        *timeout_ms = ms;
        return true;
    }
    if (ms < 1000 || ms > 24u * 3600u * 1000u) {
        exit(vg_cli_usage(cmd, "--stall-timeout wants 1s to 24h"));
    }
    o->stall_timeout_s = (long)(ms / 1000u);
    return true;
}

void
vg_cli_timeout_start(uint64_t timeout_ms, struct vg_oci_open_opts *o)
{
    if (timeout_ms == UINT64_MAX) {
        timeout_ms = VG_CLI_DEFAULT_TIMEOUT_MS;
    }
    o->deadline_ns = timeout_ms == 0 ? 0 : vg_now_ns() + timeout_ms * 1000000u;
}

bool
vg_cli_timed_out(const struct vg_oci_open_opts *o)
{
    return o->deadline_ns && vg_now_ns() >= o->deadline_ns;
}

int
vg_cli_parse_size(const char *s, uint64_t *bytes, struct vg_err **err)
{
    static const struct {
        const char *unit;
        unsigned shift;
    } units[] = {{"", 20},    {"B", 0},   {"K", 10},   {"KB", 10}, {"KiB", 10},
                 {"M", 20},   {"MB", 20}, {"MiB", 20}, {"G", 30},  {"GB", 30},
                 {"GiB", 30}, {"T", 40},  {"TB", 40},  {"TiB", 40}};
    vg_autofree char *esc = vg_escape(s, strlen(s), 64);
    double v;
    const char *p = s;
    int digits = read_decimal(&p, 1e15, &v);
    if (digits < 0) {
        return vg_err_set(err, VG_E_USAGE, "size \"%s\" is too large", esc);
    }
    for (size_t i = 0; digits && i < VG_ARRAY_LEN(units); i++) {
        if (strcmp(p, units[i].unit) == 0) {
            double b = v * (double)(1ull << units[i].shift);
            if (b > 9e18) {
                return vg_err_set(err, VG_E_USAGE, "size \"%s\" is too large", esc);
            }
            *bytes = (uint64_t)(b + 0.5);
            return 0;
        }
    }
    return vg_err_set(err, VG_E_USAGE, "invalid size \"%s\" (want e.g. 500MB, 2GB, 0)", esc);
}

int
vg_cli_cache_opt(int c, const char *arg, const char *cmd, struct vg_scan_cache_limits *lim)
{
    if (c != VG_CLI_OPT_CACHE_MAX_SIZE && c != VG_CLI_OPT_CACHE_MAX_AGE) {
        return 0;
    }
    struct vg_err *err = NULL;
    uint64_t v = 0;
    int rc = c == VG_CLI_OPT_CACHE_MAX_SIZE ? vg_cli_parse_size(arg, &v, &err)
                                            : vg_cli_parse_duration(arg, &v, &err);
    if (rc < 0) {
        char *msg = vg_err_format(err);
        vg_err_free(&err);
        vg_cli_usage(cmd, "%s: %s",
                     c == VG_CLI_OPT_CACHE_MAX_SIZE ? "--cache-max-size" : "--cache-max-age", msg);
        free(msg);
        return -1;
    }
    if (c == VG_CLI_OPT_CACHE_MAX_SIZE) {
        lim->max_bytes = v;
    } else {
        /* A positive age below a second still bounds: round it up. */
        lim->max_age_s = v ? (v + 999u) / 1000u : 0;
    }
    return 1;
}

void
vg_cli_exit_now(int code)
{
    fflush(stdout);
    fflush(stderr);
    _exit(code);
}
