/* SPDX-License-Identifier: Apache-2.0
 *
 * The error chain: each layer adds its own context and keeps the lower error as its cause.
 * Formatting walks the chain outermost first. Nothing here prints.
 */
#include "core.h"

#include <errno.h>
#include <string.h>

static struct vg_err *
err_new(enum vg_errc c, int sys, const char *fmt, va_list ap)
{
    struct vg_err *e = vg_calloc(1, sizeof(*e));
    e->code = c;
    e->sys_errno = sys;
    e->msg = vg_vfmt(fmt, ap);
    return e;
}

/* An error is set exactly once. Setting over an existing error means a failure path lost
 * track of what it returned (two reports, or an exit code taken from the wrong layer). Debug
 * builds (VG_ERR_CHECKS) abort naming both messages; release builds keep the old error as the
 * cause so that nothing is lost. */
static void
attach(struct vg_err **err, struct vg_err *e)
{
#if VG_ERR_CHECKS
    if (*err) {
        fprintf(stderr, "vigil: internal: error set twice: \"%s\" over \"%s\"\n",
                e->msg ? e->msg : "", (*err)->msg ? (*err)->msg : "");
        abort();
    }
#endif
    e->cause = *err;
    *err = e;
}

int
vg_err_set(struct vg_err **err, enum vg_errc c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct vg_err *e = err_new(c, 0, fmt, ap);
    va_end(ap);
    if (err == NULL) {
        vg_err_free(&e);
        return -(int)c;
    }
    attach(err, e);
    return -(int)c;
}

int
vg_err_sys(struct vg_err **err, enum vg_errc c, const char *fmt, ...)
{
    int sys = errno;
    va_list ap;
    va_start(ap, fmt);
    struct vg_err *e = err_new(c, sys, fmt, ap);
    va_end(ap);
    if (err == NULL) {
        vg_err_free(&e);
        return -(int)c;
    }
    attach(err, e);
    return -(int)c;
}

static int
wrap(struct vg_err **err, enum vg_errc c, const char *fmt, va_list ap)
{
    struct vg_err *e = err_new(c, 0, fmt, ap);
    e->cause = *err;
    *err = e;
    return -(int)c;
}

int
vg_err_wrap(struct vg_err **err, const char *fmt, ...)
{
    if (err == NULL) {
        return -(int)VG_E_INTERNAL;
    }
    va_list ap;
    va_start(ap, fmt);
    int rc = wrap(err, *err ? (*err)->code : VG_E_INTERNAL, fmt, ap);
    va_end(ap);
    return rc;
}

int
vg_err_wrap_code(struct vg_err **err, enum vg_errc c, const char *fmt, ...)
{
    if (err == NULL) {
        return -(int)c;
    }
    va_list ap;
    va_start(ap, fmt);
    int rc = wrap(err, c, fmt, ap);
    va_end(ap);
    return rc;
}

bool
vg_err_is(const struct vg_err *err, enum vg_errc c)
{
    for (; err; err = err->cause) {
        if (err->code == c) {
            return true;
        }
    }
    return false;
}

enum vg_errc
vg_err_code(const struct vg_err *err)
{
    return err ? err->code : VG_E_INTERNAL;
}

enum vg_errc
vg_err_root_code(const struct vg_err *err)
{
    if (!err) {
        return VG_E_INTERNAL;
    }
    while (err->cause) {
        err = err->cause;
    }
    return err->code;
}

char *
vg_err_format(const struct vg_err *err)
{
    struct vg_buf b = VG_BUF_INIT(1u << 20);
    for (const struct vg_err *e = err; e; e = e->cause) {
        if (e != err && vg_buf_append_str(&b, ": ", NULL) < 0) {
            break;
        }
        if (vg_buf_append_str(&b, e->msg ? e->msg : "error", NULL) < 0) {
            break;
        }
        if (e->sys_errno && vg_buf_appendf(&b, NULL, " (%s)", strerror(e->sys_errno)) < 0) {
            break;
        }
    }
    if (b.len == 0) {
        return vg_strdup("unknown error");
    }
    return vg_buf_take(&b, NULL);
}

void
vg_err_free(struct vg_err **err)
{
    if (!err) {
        return;
    }
    struct vg_err *e = *err;
    while (e) {
        struct vg_err *next = e->cause;
        free(e->msg);
        free(e);
        e = next;
    }
    *err = NULL;
}

const char *
vg_errc_name(enum vg_errc c)
{
    switch (c) {
    case VG_E_IO:
        return "io";
    case VG_E_PARSE:
        return "parse";
    case VG_E_LIMIT:
        return "limit";
    case VG_E_NOTFOUND:
        return "notfound";
    case VG_E_AUTH:
        return "auth";
    case VG_E_VERIFY:
        return "verify";
    case VG_E_NET:
        return "net";
    case VG_E_DB:
        return "db";
    case VG_E_USAGE:
        return "usage";
    case VG_E_UNSUPPORTED:
        return "unsupported";
    case VG_E_INTERNAL:
        return "internal";
    }
    return "unknown";
}
