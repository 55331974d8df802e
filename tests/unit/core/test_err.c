#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "core/core.h"

static int
inner(struct vg_err **err)
{
    return vg_err_set(err, VG_E_NOTFOUND, "blob %s", "sha256:x");
}

Test(core_err, wrap_keeps_code_and_formats_chain)
{
    struct vg_err *err = NULL;
    int rc = inner(&err);
    cr_assert_eq(rc, -(int)VG_E_NOTFOUND);
    vg_err_wrap(&err, "pull %s", "nginx");
    cr_assert(vg_err_is(err, VG_E_NOTFOUND));
    cr_assert_eq(vg_err_root_code(err), VG_E_NOTFOUND);
    char *s = vg_err_format(err);
    cr_assert_str_eq(s, "pull nginx: blob sha256:x");
    free(s);
    vg_err_free(&err);
    cr_assert_null(err);
}

Test(core_err, sys_records_errno)
{
    struct vg_err *err = NULL;
    errno = ENOENT;
    vg_err_sys(&err, VG_E_IO, "open x");
    char *s = vg_err_format(err);
    cr_assert(strstr(s, "No such file") != NULL);
    free(s);
    vg_err_free(&err);
}

Test(core_err, null_err_pointer_is_tolerated)
{
    cr_assert_eq(vg_err_set(NULL, VG_E_PARSE, "x"), -(int)VG_E_PARSE);
}

Test(core_err, code_is_the_outermost_and_root_code_the_innermost)
{
    struct vg_err *err = NULL;
    inner(&err);
    vg_err_wrap_code(&err, VG_E_VERIFY, "verify %s", "nginx");
    cr_assert_eq(vg_err_code(err), VG_E_VERIFY);
    cr_assert_eq(vg_err_root_code(err), VG_E_NOTFOUND);
    cr_assert(vg_err_is(err, VG_E_NOTFOUND));
    char *s = vg_err_format(err);
    cr_assert_str_eq(s, "verify nginx: blob sha256:x");
    free(s);
    vg_err_wrap(&err, "scan");
    cr_assert_eq(vg_err_code(err), VG_E_VERIFY);
    vg_err_free(&err);
    cr_assert_eq(vg_err_code(NULL), VG_E_INTERNAL);
}

Test(core_err, wrap_code_without_a_cause_sets_one_error)
{
    struct vg_err *err = NULL;
    cr_assert_eq(vg_err_wrap_code(&err, VG_E_AUTH, "login"), -(int)VG_E_AUTH);
    cr_assert_null(err->cause);
    cr_assert_eq(vg_err_code(err), VG_E_AUTH);
    vg_err_free(&err);
}

Test(core_err, set_after_free_is_allowed)
{
    struct vg_err *err = NULL;
    inner(&err);
    vg_err_free(&err);
    vg_err_set(&err, VG_E_PARSE, "again");
    cr_assert_null(err->cause);
    vg_err_free(&err);
}

#if VG_ERR_CHECKS
/* Debug and test builds: a second set over a live error is a contract violation. */
Test(core_err, second_set_aborts_in_debug_builds, .signal = SIGABRT)
{
    struct vg_err *err = NULL;
    inner(&err);
    vg_err_set(&err, VG_E_PARSE, "second");
}

Test(core_err, second_sys_aborts_in_debug_builds, .signal = SIGABRT)
{
    struct vg_err *err = NULL;
    inner(&err);
    vg_err_sys(&err, VG_E_IO, "second");
}
#endif
