/* SPDX-License-Identifier: Apache-2.0
 *
 * The keyless Sigstore flags that verify, verify-attestation and verify-blob share (cosign's
 * names; docs/sigstore.md) and the trusted root they name.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"
#include "tuf/tuf.h"

bool
vg_cli_keyless_opt(struct vg_cli_keyless *k, int c, const char *arg)
{
    switch (c) {
    case VG_CLI_OPT_TRUSTED_ROOT:
        k->trusted_root = arg;
        return true;
    case VG_CLI_OPT_TUF_MIRROR:
        k->tuf_mirror = arg;
        return true;
    case VG_CLI_OPT_TUF_ROOT:
        k->tuf_root = arg;
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
    if (k->trusted_root && (k->tuf_mirror || k->tuf_root)) {
        return vg_cli_usage(cmd, "--trusted-root and --tuf-mirror/--tuf-root exclude each other");
    }
    return 0;
}

/* The shipped public-good TUF root: $VIGIL_DATA_DIR or the installed data directory. */
static char *
shipped_root_path(void)
{
    const char *d = getenv("VIGIL_DATA_DIR");
    return vg_fmt("%s/sigstore-public-good-root.json", d && *d ? d : VG_DATADIR);
}

int
vg_cli_trusted_root_read(struct vg_buf *out, const char *trusted_root, const char *tuf_mirror,
                         const char *tuf_root, struct vg_err **err)
{
    if (trusted_root) {
        vg_buf_init(out, VG_SIGSTORE_ROOT_MAX);
        if (vg_file_read(out, trusted_root, VG_SIGSTORE_ROOT_MAX, err) < 0) {
            return vg_err_wrap(err, "trusted root %s", trusted_root);
        }
        return 0;
    }
    struct vg_tuf_sigstore_opts o = {.mirror = tuf_mirror ? tuf_mirror : VG_TUF_SIGSTORE_MIRROR};
    vg_autofree char *shipped = NULL;
    const char *root_file = tuf_root;
    if (!root_file && !tuf_mirror) {
        root_file = shipped = shipped_root_path();
    }
    vg_autobuf struct vg_buf root = VG_BUF_INIT(VG_TUF_ROOT_MAX_BYTES);
    if (root_file) {
        if (vg_file_read(&root, root_file, VG_TUF_ROOT_MAX_BYTES, err) < 0) {
            return vg_err_wrap(err, "TUF root %s", root_file);
        }
        o.root = root.data;
        o.root_len = root.len;
    }
    o.deadline_ns = vg_now_ns() + 120ull * 1000000000ull;
    o.connect_timeout_s = 10;
    bool cached = false;
    if (vg_tuf_sigstore_fetch(out, &o, &cached, err) < 0) {
        return -1;
    }
    if (cached) {
        fprintf(stderr,
                "vigil: warning: TUF mirror %s unreachable: using the verified cached "
                "trusted root\n",
                o.mirror);
    }
    return 0;
}

int
vg_cli_trusted_root_load(struct vg_sigstore_root **out, const struct vg_cli_keyless *k,
                         struct vg_err **err)
{
    *out = NULL;
    vg_autobuf struct vg_buf buf = VG_BUF_INIT(0);
    if (vg_cli_trusted_root_read(&buf, k->trusted_root, k->tuf_mirror, k->tuf_root, err) < 0) {
        return -1;
    }
    if (vg_sigstore_root_parse(out, buf.data, buf.len, err) < 0) {
        return vg_err_wrap(err, "trusted root %s", k->trusted_root ? k->trusted_root : "from TUF");
    }
    return 0;
}
