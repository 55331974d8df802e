/* SPDX-License-Identifier: Apache-2.0
 *
 * The keyless Sigstore flags that verify, verify-attestation and verify-blob share (cosign's
 * names; docs/sigstore.md) and the trusted root they name.
 */
#include "cli.h"

#include <string.h>

#include "sign/sign.h"

bool
vg_cli_keyless_opt(struct vg_cli_keyless *k, int c, const char *arg)
{
    switch (c) {
    case VG_CLI_OPT_TRUSTED_ROOT:
        k->trusted_root = arg;
        return true;
    case VG_CLI_OPT_CERT_ID:
        k->identity = arg;
        return true;
    case VG_CLI_OPT_CERT_ID_RE:
        k->identity_regexp = arg;
        return true;
    case VG_CLI_OPT_CERT_ISS:
        k->issuer = arg;
        return true;
    case VG_CLI_OPT_CERT_ISS_RE:
        k->issuer_regexp = arg;
        return true;
    case VG_CLI_OPT_GH_TRIGGER:
        k->gh_trigger = arg;
        return true;
    case VG_CLI_OPT_GH_SHA:
        k->gh_sha = arg;
        return true;
    case VG_CLI_OPT_GH_NAME:
        k->gh_name = arg;
        return true;
    case VG_CLI_OPT_GH_REPO:
        k->gh_repository = arg;
        return true;
    case VG_CLI_OPT_GH_REF:
        k->gh_ref = arg;
        return true;
    case VG_CLI_OPT_NO_SCT:
        k->ignore_sct = true;
        return true;
    case VG_CLI_OPT_NO_TLOG:
        k->ignore_tlog = true;
        return true;
    default:
        return false;
    }
}

bool
vg_cli_keyless_wanted(const struct vg_cli_keyless *k)
{
    return k->identity || k->identity_regexp || k->issuer || k->issuer_regexp || k->gh_trigger ||
           k->gh_sha || k->gh_name || k->gh_repository || k->gh_ref;
}

void
vg_cli_keyless_policy(const struct vg_cli_keyless *k, struct vg_sigstore_policy *p)
{
    *p = (struct vg_sigstore_policy){
        .identity = k->identity,
        .identity_regexp = k->identity_regexp,
        .issuer = k->issuer,
        .issuer_regexp = k->issuer_regexp,
        .github_trigger = k->gh_trigger,
        .github_sha = k->gh_sha,
        .github_name = k->gh_name,
        .github_repository = k->gh_repository,
        .github_ref = k->gh_ref,
        .ignore_sct = k->ignore_sct,
        .ignore_tlog = k->ignore_tlog,
    };
}

int
vg_cli_keyless_check(const char *cmd, const struct vg_cli_keyless *k, bool have_key)
{
    if (!vg_cli_keyless_wanted(k)) {
        return 0;
    }
    if (have_key) {
        return vg_cli_usage(cmd, "--key and --certificate-* exclude each other");
    }
    if (!(k->identity || k->identity_regexp) || !(k->issuer || k->issuer_regexp)) {
        return vg_cli_usage(cmd, "keyless verification needs --certificate-identity[-regexp] and "
                                 "--certificate-oidc-issuer[-regexp]");
    }
    if (!k->trusted_root) {
        return vg_cli_usage(cmd, "keyless verification needs --trusted-root FILE");
    }
    return 0;
}

int
vg_cli_trusted_root_load(struct vg_sigstore_root **out, const struct vg_cli_keyless *k,
                         struct vg_err **err)
{
    *out = NULL;
    if (!k->trusted_root) {
        return vg_err_set(err, VG_E_USAGE, "no trusted root: give --trusted-root FILE");
    }
    vg_autobuf struct vg_buf buf = VG_BUF_INIT(VG_SIGSTORE_ROOT_MAX);
    if (vg_file_read(&buf, k->trusted_root, VG_SIGSTORE_ROOT_MAX, err) < 0 ||
        vg_sigstore_root_parse(out, buf.data, buf.len, err) < 0) {
        return vg_err_wrap(err, "trusted root %s", k->trusted_root);
    }
    return 0;
}
