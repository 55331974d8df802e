/* SPDX-License-Identifier: Apache-2.0
 *
 * Exit codes follow the error the CLI reports (the outermost), not its root cause.
 */
#include <criterion/criterion.h>

#include "cli/cli.h"

Test(cli_util, exit_code_follows_the_outermost_error)
{
    struct vg_err *err = NULL;
    vg_err_set(&err, VG_E_NOTFOUND, "signature tag sha256-x.sig");
    vg_err_wrap_code(&err, VG_E_VERIFY, "no valid signature");
    cr_assert_eq(vg_cli_exit_for(err), VG_EXIT_CORRUPT);
    vg_err_wrap(&err, "verify nginx");
    cr_assert_eq(vg_cli_exit_for(err), VG_EXIT_CORRUPT);
    vg_err_free(&err);
}

Test(cli_util, exit_code_per_error_code)
{
    static const struct {
        enum vg_errc c;
        int exit;
    } cases[] = {
        {VG_E_USAGE, VG_EXIT_USAGE},         {VG_E_NOTFOUND, VG_EXIT_NOTFOUND},
        {VG_E_AUTH, VG_EXIT_AUTH},           {VG_E_PARSE, VG_EXIT_CORRUPT},
        {VG_E_LIMIT, VG_EXIT_CORRUPT},       {VG_E_VERIFY, VG_EXIT_CORRUPT},
        {VG_E_NET, VG_EXIT_NETWORK},         {VG_E_IO, VG_EXIT_RUNTIME},
        {VG_E_DB, VG_EXIT_RUNTIME},          {VG_E_INTERNAL, VG_EXIT_RUNTIME},
        {VG_E_UNSUPPORTED, VG_EXIT_CORRUPT},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        struct vg_err *err = NULL;
        vg_err_set(&err, cases[i].c, "x");
        cr_assert_eq(vg_cli_exit_for(err), cases[i].exit, "code %s", vg_errc_name(cases[i].c));
        vg_err_free(&err);
    }
}

Test(cli_util, reserved_exit_codes_are_named)
{
    cr_assert_null(vg_cli_exit_meaning(0));
    cr_assert_null(vg_cli_exit_meaning(1));
    for (long c = 2; c <= 7; c++) {
        cr_assert_not_null(vg_cli_exit_meaning(c), "code %ld", c);
    }
    cr_assert_str_eq(vg_cli_exit_meaning(VG_EXIT_RUNTIME), "runtime errors");
    cr_assert_null(vg_cli_exit_meaning(8));
    cr_assert_null(vg_cli_exit_meaning(255));
}
