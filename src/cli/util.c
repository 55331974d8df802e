/* SPDX-License-Identifier: Apache-2.0
 *
 * Error rendering, exit-code mapping, safe output files and the shared image-access flags
 * for the CLI.
 */
#include "cli.h"

#include "oci/oci.h"

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
