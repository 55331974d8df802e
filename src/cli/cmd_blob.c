/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil sign-blob` and `vigil verify-blob`: cosign's legacy blob signatures, i.e. a bare
 * standard-base64 signature over the file's bytes (ECDSA P-256/SHA-256 DER for generated keys).
 * No transparency log and no bundle output. Flags, files and messages live here; the
 * cryptography is crypto/'s.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"

/* Blobs are signed in memory (Ed25519 has no streaming mode); 1 GiB bounds the allocation. */
#define BLOB_MAX (1024ull * 1024ull * 1024ull)
/* A signature argument or file: base64 of the largest signature plus whitespace slack. */
#define SIG_TEXT_MAX (4u * 1024u)

static int
read_stdin(struct vg_buf *out, struct vg_err **err)
{
    uint8_t chunk[65536];
    for (;;) {
        ssize_t r = read(STDIN_FILENO, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return vg_err_sys(err, VG_E_IO, "read standard input");
        }
        if (r == 0) {
            return 0;
        }
        if (vg_buf_append(out, chunk, (size_t)r, err) < 0) {
            return vg_err_wrap(err, "standard input");
        }
    }
}

static int
read_blob(struct vg_buf *out, const char *path, struct vg_err **err)
{
    vg_buf_init(out, (size_t)BLOB_MAX);
    if (strcmp(path, "-") == 0) {
        return read_stdin(out, err);
    }
    return vg_file_read(out, path, (size_t)BLOB_MAX, err);
}

/* ---------------------------------------------------------------- sign-blob */

static const char sign_help[] =
    "Usage: vigil sign-blob --key KEY [--output-signature FILE] BLOB\n"
    "\n"
    "Signs BLOB (a file, or - for standard input) with a cosign encrypted private key and\n"
    "prints the signature in standard base64, as 'cosign sign-blob --new-bundle-format=false\n"
    "--tlog-upload=false' does. Password: $VIGIL_PASSWORD or $COSIGN_PASSWORD, else the\n"
    "terminal, else standard input.\n"
    "\n"
    "Options:\n"
    "  --key FILE               encrypted private key (cosign.key)\n"
    "  --output-signature FILE  write the signature to FILE (no trailing newline) instead of\n"
    "                           standard output\n"
    "\n"
    "Examples:\n"
    "  vigil sign-blob --key cosign.key artifact.tar.gz > artifact.sig\n"
    "  COSIGN_PASSWORD= vigil sign-blob --key cosign.key --output-signature a.sig a.tgz\n";

static int
load_signing_key(struct vg_crypto_key **out, const char *path, struct vg_err **err)
{
    vg_autobuf struct vg_buf pem = VG_BUF_INIT(VG_CRYPTO_KEY_FILE_MAX);
    int rc = vg_file_read(&pem, path, VG_CRYPTO_KEY_FILE_MAX, err);
    if (rc < 0) {
        return rc;
    }
    /* Parse the envelope before asking for a password, so a wrong file fails fast. */
    uint64_t n = 0;
    if ((rc = vg_crypto_envelope_inspect(pem.data, pem.len, &n, err)) < 0) {
        return vg_err_wrap(err, "%s", path);
    }
    vg_autosecret struct vg_secret *pw = NULL;
    if ((rc = vg_crypto_password_get(&pw, false, err)) < 0) {
        return rc;
    }
    if ((rc = vg_crypto_key_load_private_encrypted(out, pem.data, pem.len, pw, err)) < 0) {
        return vg_err_wrap(err, "%s", path);
    }
    return 0;
}

static int
emit_signature(const char *b64, const char *outpath, struct vg_err **err)
{
    if (!outpath) {
        printf("%s\n", b64);
        return fflush(stdout) == 0 ? 0 : vg_err_sys(err, VG_E_IO, "write standard output");
    }
    struct vg_cli_out o;
    int rc = vg_cli_output_open(&o, outpath, err);
    if (rc < 0) {
        return rc;
    }
    bool ok = fputs(b64, o.f) >= 0;
    if ((rc = vg_cli_output_close(&o, ok, err)) < 0) {
        return rc;
    }
    if (!ok) {
        return vg_err_sys(err, VG_E_IO, "write %s", outpath);
    }
    fprintf(stderr, "Signature wrote in the file %s\n", outpath);
    return 0;
}

static int
sign_blob(const char *keypath, const char *blobpath, const char *outpath, struct vg_err **err)
{
    vg_autokey struct vg_crypto_key *key = NULL;
    vg_autobuf struct vg_buf blob = VG_BUF_INIT(0);
    int rc = vg_crypto_init(err);
    if (rc < 0 || (rc = load_signing_key(&key, keypath, err)) < 0) {
        return rc;
    }
    if ((rc = read_blob(&blob, blobpath, err)) < 0) {
        return rc;
    }
    vg_autofree uint8_t *sig = NULL;
    size_t siglen = 0;
    if ((rc = vg_crypto_sign(key, blob.data, blob.len, &sig, &siglen, err)) < 0) {
        return rc;
    }
    vg_autofree char *b64 = vg_base64_encode(sig, siglen);
    return emit_signature(b64, outpath, err);
}

int
cmd_sign_blob(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, 'k'},
        {"output-signature", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *key = NULL, *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'k': key = optarg; break;
        case 'o': out = optarg; break;
        case 'h': fputs(sign_help, stdout); return VG_EXIT_OK;
        default: return vg_cli_usage(argv[0], "invalid option");
        }
    }
    if (!key) {
        return vg_cli_usage(argv[0], "--key is required");
    }
    if (argc - optind != 1) {
        return vg_cli_usage(argv[0], "exactly one BLOB argument is required");
    }
    const char *blob = argv[optind];
    if (strcmp(blob, "-") == 0 && !getenv("VIGIL_PASSWORD") && !getenv("COSIGN_PASSWORD")) {
        return vg_cli_usage(argv[0], "signing standard input needs the password in "
                                     "$VIGIL_PASSWORD or $COSIGN_PASSWORD");
    }
    struct vg_err *err = NULL;
    if (sign_blob(key, blob, out, &err) < 0) {
        return vg_cli_fail(&err, "sign-blob");
    }
    return VG_EXIT_OK;
}

/* ---------------------------------------------------------------- verify-blob */

static const char verify_help[] =
    "Usage: vigil verify-blob --key PUB --signature SIG BLOB\n"
    "\n"
    "Verifies a cosign blob signature. SIG is a file holding the base64 signature (raw DER is\n"
    "also accepted from a file), or the base64 text itself. PUB is a PEM public key (PUBLIC KEY\n"
    "or RSA PUBLIC KEY) or a DER SubjectPublicKeyInfo. BLOB may be - for standard input.\n"
    "\n"
    "Exit status: 0 and 'Verified OK' on stderr when the signature verifies; 1 when it does\n"
    "not; other codes as documented in docs/exit-codes.md.\n"
    "\n"
    "Examples:\n"
    "  vigil verify-blob --key cosign.pub --signature artifact.sig artifact.tar.gz\n"
    "  vigil verify-blob --key cosign.pub --signature MEUCIQ... artifact.tar.gz\n";

static bool
is_b64_text(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' || c == '=' || c == '\n' || c == '\r' || c == ' ' ||
                  c == '\t';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* cosign accepts the signature as a path or as the base64 text itself. */
static int
load_signature(const char *arg, uint8_t **sig, size_t *siglen, struct vg_err **err)
{
    vg_autobuf struct vg_buf text = VG_BUF_INIT(SIG_TEXT_MAX);
    bool from_file = vg_path_exists(arg);
    int rc = 0;
    if (from_file) {
        if ((rc = vg_file_read(&text, arg, SIG_TEXT_MAX, err)) < 0) {
            return rc;
        }
    } else if ((rc = vg_buf_append_str(&text, arg, err)) < 0) {
        return vg_err_wrap(err, "signature argument");
    }
    if (is_b64_text(text.data, text.len)) {
        rc = vg_base64_decode(sig, siglen, (const char *)text.data, text.len, true, err);
        return rc < 0 ? vg_err_wrap(err, "decode signature") : 0;
    }
    if (!from_file) {
        return vg_err_set(err, VG_E_PARSE,
                          "signature is neither an existing file nor base64 text");
    }
    *sig = vg_memdup(text.data, text.len);
    *siglen = text.len;
    return 0;
}

static int
verify_blob(const char *keypath, const char *sigarg, const char *blobpath, struct vg_err **err)
{
    vg_autobuf struct vg_buf pub = VG_BUF_INIT(VG_CRYPTO_KEY_FILE_MAX);
    vg_autobuf struct vg_buf blob = VG_BUF_INIT(0);
    vg_autokey struct vg_crypto_key *key = NULL;
    vg_autofree uint8_t *sig = NULL;
    size_t siglen = 0;
    int rc = vg_file_read(&pub, keypath, VG_CRYPTO_KEY_FILE_MAX, err);
    if (rc < 0) {
        return rc;
    }
    if ((rc = vg_crypto_key_load_public(&key, pub.data, pub.len, err)) < 0) {
        return vg_err_wrap(err, "%s", keypath);
    }
    if ((rc = load_signature(sigarg, &sig, &siglen, err)) < 0 ||
        (rc = read_blob(&blob, blobpath, err)) < 0) {
        return rc;
    }
    return vg_crypto_verify(key, blob.data, blob.len, sig, siglen, err);
}

int
cmd_verify_blob(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, 'k'},
        {"signature", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *key = NULL, *sig = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'k': key = optarg; break;
        case 's': sig = optarg; break;
        case 'h': fputs(verify_help, stdout); return VG_EXIT_OK;
        default: return vg_cli_usage(argv[0], "invalid option");
        }
    }
    if (!key || !sig) {
        return vg_cli_usage(argv[0], "--key and --signature are required");
    }
    if (argc - optind != 1) {
        return vg_cli_usage(argv[0], "exactly one BLOB argument is required");
    }
    struct vg_err *err = NULL;
    if (verify_blob(key, sig, argv[optind], &err) < 0) {
        if (vg_err_root_code(err) == VG_E_VERIFY) {
            vg_cli_fail(&err, "verify-blob");
            return VG_EXIT_NEGATIVE;
        }
        return vg_cli_fail(&err, "verify-blob");
    }
    fputs("Verified OK\n", stderr);
    return VG_EXIT_OK;
}
