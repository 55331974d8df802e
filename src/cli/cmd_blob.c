/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil sign-blob` and `vigil verify-blob`: cosign's blob signatures, either a bare
 * standard-base64 signature over the file's bytes (ECDSA P-256/SHA-256 DER for generated keys)
 * or, with --bundle, cosign 3's Sigstore bundle holding a messageSignature. No transparency log.
 * Flags, files and messages live here; the cryptography is crypto/'s, the bundle sign/'s.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "sign/sign.h"

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
    "Usage: vigil sign-blob --key KEY [--output-signature FILE] [--bundle FILE] BLOB\n"
    "\n"
    "Signs BLOB (a file, or - for standard input) with a cosign encrypted private key and\n"
    "prints the signature in standard base64, as 'cosign sign-blob --new-bundle-format=false\n"
    "--tlog-upload=false' does. With --bundle it writes cosign 3's Sigstore bundle (v0.3,\n"
    "messageSignature: the blob's SHA-256 and the signature, key hint, no transparency log)\n"
    "instead, as 'cosign sign-blob --bundle FILE --tlog-upload=false' does; the signature is\n"
    "then printed only when --output-signature asks for it. Password: $VIGIL_PASSWORD or\n"
    "$COSIGN_PASSWORD, else the terminal, else standard input.\n"
    "\n"
    "Options:\n"
    "  --key FILE               encrypted private key (cosign.key)\n"
    "  --output-signature FILE  write the signature to FILE (no trailing newline) instead of\n"
    "                           standard output\n"
    "  --bundle FILE            write a Sigstore bundle to FILE (written whole or not at all)\n"
    "\n"
    "Examples:\n"
    "  vigil sign-blob --key cosign.key artifact.tar.gz > artifact.sig\n"
    "  COSIGN_PASSWORD= vigil sign-blob --key cosign.key --output-signature a.sig a.tgz\n"
    "  vigil sign-blob --key cosign.key --bundle a.tgz.sigstore.json a.tgz\n";

/* Writes data to path whole or not at all, then tells stderr `note` followed by the path. */
static int
write_file(const char *path, const void *data, size_t len, const char *note, struct vg_err **err)
{
    struct vg_cli_out o;
    int rc = vg_cli_output_open(&o, path, err);
    if (rc < 0) {
        return rc;
    }
    bool ok = fwrite(data, 1, len, o.f) == len;
    if ((rc = vg_cli_output_close(&o, ok, err)) < 0) {
        return rc;
    }
    if (!ok) {
        return vg_err_sys(err, VG_E_IO, "write %s", path);
    }
    fprintf(stderr, "%s %s\n", note, path);
    return 0;
}

static int
emit_signature(const char *b64, const char *outpath, struct vg_err **err)
{
    if (!outpath) {
        printf("%s\n", b64);
        return fflush(stdout) == 0 ? 0 : vg_err_sys(err, VG_E_IO, "write standard output");
    }
    return write_file(outpath, b64, strlen(b64), "Signature wrote in the file", err);
}

static int
emit_bundle(const struct vg_crypto_key *key, const struct vg_buf *blob, const uint8_t *sig,
            size_t siglen, const char *path, struct vg_err **err)
{
    vg_autobuf struct vg_buf b = VG_BUF_INIT(64u * 1024u);
    int rc = vg_sign_blob_bundle_render(&b, key, blob->data, blob->len, sig, siglen, err);
    if (rc < 0 || (rc = vg_buf_append_str(&b, "\n", err)) < 0) {
        return rc;
    }
    return write_file(path, b.data, b.len, "Wrote bundle to file", err);
}

static int
sign_blob(const char *keypath, const char *blobpath, const char *outpath, const char *bundle,
          struct vg_err **err)
{
    vg_autokey struct vg_crypto_key *key = NULL;
    vg_autobuf struct vg_buf blob = VG_BUF_INIT(0);
    vg_autofree uint8_t *sig = NULL;
    size_t siglen = 0;
    int rc = vg_crypto_init(err);
    if (rc < 0 || (rc = vg_sign_key_load_private(&key, keypath, vg_cli_password(), err)) < 0 ||
        (rc = read_blob(&blob, blobpath, err)) < 0 ||
        (rc = vg_crypto_sign(key, blob.data, blob.len, &sig, &siglen, err)) < 0) {
        return rc;
    }
    /* One signature, in the bundle and (when asked, or without a bundle) as base64. */
    if (bundle && (rc = emit_bundle(key, &blob, sig, siglen, bundle, err)) < 0) {
        return rc;
    }
    if (bundle && !outpath) {
        return 0;
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
        {"bundle", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *key = NULL, *out = NULL, *bundle = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            key = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'b':
            bundle = optarg;
            break;
        case 'h':
            fputs(sign_help, stdout);
            return VG_EXIT_OK;
        default:
            return vg_cli_usage(argv[0], "invalid option");
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
    if (bundle && out && strcmp(bundle, out) == 0) {
        return vg_cli_usage(argv[0], "--bundle and --output-signature name the same file");
    }
    if (sign_blob(key, blob, out, bundle, &err) < 0) {
        return vg_cli_fail(&err, "sign-blob");
    }
    return VG_EXIT_OK;
}

/* ---------------------------------------------------------------- verify-blob */

static const char verify_help[] =
    "Usage: vigil verify-blob --key PUB (--signature SIG | --bundle FILE) BLOB\n"
    "\n"
    "Verifies a cosign blob signature. SIG is a file holding the base64 signature (raw DER is\n"
    "also accepted from a file), or the base64 text itself. --bundle reads a Sigstore bundle\n"
    "(v0.1-v0.3, messageSignature content, as 'cosign sign-blob --bundle' writes): the blob's\n"
    "digest must equal the bundle's and the signature must verify; transparency-log entries\n"
    "in it are not checked. PUB is a PEM public key (PUBLIC KEY or RSA PUBLIC KEY) or a DER\n"
    "SubjectPublicKeyInfo. BLOB may be - for standard input.\n"
    "\n"
    "Exit status: 0 and 'Verified OK' on stderr when the signature verifies; 1 when it does\n"
    "not; other codes as documented in docs/exit-codes.md.\n"
    "\n"
    "Examples:\n"
    "  vigil verify-blob --key cosign.pub --signature artifact.sig artifact.tar.gz\n"
    "  vigil verify-blob --key cosign.pub --signature MEUCIQ... artifact.tar.gz\n"
    "  vigil verify-blob --key cosign.pub --bundle a.tgz.sigstore.json a.tgz\n";

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
        return vg_err_set(err, VG_E_PARSE, "signature is neither an existing file nor base64 text");
    }
    *sig = vg_memdup(text.data, text.len);
    *siglen = text.len;
    return 0;
}

/* The bundle at path against blob. */
static int
verify_bundle(const struct vg_crypto_key *key, const char *path, const struct vg_buf *blob,
              struct vg_err **err)
{
    vg_autobuf struct vg_buf text = VG_BUF_INIT(64u * 1024u);
    struct vg_sign_blob_bundle *b = NULL;
    int rc = vg_file_read(&text, path, 64u * 1024u, err);
    if (rc < 0) {
        return rc;
    }
    if ((rc = vg_sign_blob_bundle_parse(&b, text.data, text.len, err)) < 0) {
        return vg_err_wrap(err, "%s", path);
    }
    rc = vg_sign_blob_bundle_verify(b, key, blob->data, blob->len, err);
    vg_sign_blob_bundle_free(b);
    return rc;
}

static int
verify_blob(const char *keypath, const char *sigarg, const char *bundle, const char *blobpath,
            struct vg_err **err)
{
    vg_autobuf struct vg_buf blob = VG_BUF_INIT(0);
    vg_autokey struct vg_crypto_key *key = NULL;
    vg_autofree uint8_t *sig = NULL;
    size_t siglen = 0;
    int rc = vg_sign_key_load_public(&key, keypath, err);
    if (rc < 0) {
        return rc;
    }
    if ((!bundle && (rc = load_signature(sigarg, &sig, &siglen, err)) < 0) ||
        (rc = read_blob(&blob, blobpath, err)) < 0) {
        return rc;
    }
    if (bundle) {
        return verify_bundle(key, bundle, &blob, err);
    }
    return vg_crypto_verify(key, blob.data, blob.len, sig, siglen, err);
}

int
cmd_verify_blob(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, 'k'},
        {"signature", required_argument, NULL, 's'},
        {"bundle", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *key = NULL, *sig = NULL, *bundle = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            key = optarg;
            break;
        case 's':
            sig = optarg;
            break;
        case 'b':
            bundle = optarg;
            break;
        case 'h':
            fputs(verify_help, stdout);
            return VG_EXIT_OK;
        default:
            return vg_cli_usage(argv[0], "invalid option");
        }
    }
    if (!key || !(sig || bundle)) {
        return vg_cli_usage(argv[0], "--key and one of --signature or --bundle are required");
    }
    if (sig && bundle) {
        return vg_cli_usage(argv[0], "--signature and --bundle exclude each other");
    }
    if (argc - optind != 1) {
        return vg_cli_usage(argv[0], "exactly one BLOB argument is required");
    }
    struct vg_err *err = NULL;
    if (verify_blob(key, sig, bundle, argv[optind], &err) < 0) {
        if (vg_err_root_code(err) == VG_E_VERIFY) {
            vg_cli_fail(&err, "verify-blob");
            return VG_EXIT_NEGATIVE;
        }
        return vg_cli_fail(&err, "verify-blob");
    }
    fputs("Verified OK\n", stderr);
    return VG_EXIT_OK;
}
