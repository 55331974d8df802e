/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil sign-blob` and `vigil verify-blob`: cosign's blob signatures, either a bare
 * standard-base64 signature over the file's bytes (ECDSA P-256/SHA-256 DER for generated keys)
 * or, with --bundle, cosign 3's Sigstore bundle holding a messageSignature. No transparency log.
 * Flags, files and messages live here; the cryptography is crypto/'s, the bundle sign/'s.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
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
    "       vigil sign-blob --bundle FILE [--identity-token TOKEN | --identity-token-file F]\n"
    "             [--fulcio-url URL] [--rekor-url URL] [--output-certificate FILE]\n"
    "             [--timestamp-server-url URL]\n"
    "             [--trusted-root ROOT | --tuf-mirror URL [--tuf-root FILE]] BLOB\n"
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
    "Keyless (no --key; docs/sigstore.md): an ephemeral ECDSA P-256 key certified by Fulcio\n"
    "for the OIDC identity token, the signature logged in Rekor (hashedrekord), and a v0.3\n"
    "bundle (certificate, SET, inclusion proof) written to --bundle, as 'cosign sign-blob\n"
    "--new-bundle-format --bundle FILE' does. The result is verified under the trusted root\n"
    "(--trusted-root, else TUF as in verify-blob) before it is written.\n"
    "  --identity-token T       the OIDC token (else --identity-token-file, $SIGSTORE_ID_TOKEN)\n"
    "  --fulcio-url URL         default https://fulcio.sigstore.dev\n"
    "  --rekor-url URL          default https://rekor.sigstore.dev\n"
    "  --output-certificate F   also write the PEM certificate to F\n"
    "  --timestamp-server-url URL  also an RFC 3161 timestamp of the signature from this TSA\n"
    "                           (in timestampVerificationData; the trusted root must list it)\n"
    "\n"
    "Examples:\n"
    "  vigil sign-blob --key cosign.key artifact.tar.gz > artifact.sig\n"
    "  COSIGN_PASSWORD= vigil sign-blob --key cosign.key --output-signature a.sig a.tgz\n"
    "  vigil sign-blob --key cosign.key --bundle a.tgz.sigstore.json a.tgz\n"
    "  vigil sign-blob --identity-token-file tok --bundle a.tgz.sigstore.json a.tgz\n";

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

static int
sign_blob_keyless(const struct vg_cli_sign_keyless *o, const char *blobpath, const char *bundle,
                  const char *outsig, const char *outcert, struct vg_err **err)
{
    vg_autobuf struct vg_buf blob = VG_BUF_INIT(0);
    struct vg_cli_keyless_signed s;
    int rc = read_blob(&blob, blobpath, err);
    if (rc < 0 || (rc = vg_cli_keyless_sign(&s, o, blob.data, blob.len, err)) < 0) {
        return rc;
    }
    fprintf(stderr, "Successfully verified SCT...\ntlog entry created with index: %" PRId64 "\n",
            s.entry.log_index);
    if ((rc = vg_buf_append_str(&s.bundle, "\n", err)) == 0) {
        rc = write_file(bundle, s.bundle.data, s.bundle.len, "Wrote bundle to file", err);
    }
    if (rc == 0 && outcert) {
        rc = write_file(outcert, s.cert->leaf_pem, strlen(s.cert->leaf_pem),
                        "Wrote certificate to file", err);
    }
    if (rc == 0 && outsig) {
        vg_autofree char *b64 = vg_base64_encode(s.sig, s.siglen);
        rc = emit_signature(b64, outsig, err);
    }
    vg_cli_keyless_signed_dispose(&s);
    return rc;
}

enum {
    S_FULCIO = 256,
    S_REKOR,
    S_TOKEN,
    S_TOKEN_FILE,
    S_CERT,
};

/* The keyless flags of sign-blob: true when c was one of them. */
static bool
sign_keyless_flag(struct vg_cli_sign_keyless *k, const char **outcert, int c, const char *arg)
{
    switch (c) {
    case S_FULCIO:
        k->fulcio_url = arg;
        return true;
    case S_REKOR:
        k->rekor_url = arg;
        return true;
    case S_TOKEN:
        k->token = arg;
        return true;
    case S_TOKEN_FILE:
        k->token_file = arg;
        return true;
    case S_CERT:
        *outcert = arg;
        return true;
    default:
        return vg_cli_sign_keyless_opt(k, c, arg);
    }
}

int
cmd_sign_blob(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, 'k'},
        {"output-signature", required_argument, NULL, 'o'},
        {"bundle", required_argument, NULL, 'b'},
        {"fulcio-url", required_argument, NULL, S_FULCIO},
        {"rekor-url", required_argument, NULL, S_REKOR},
        {"identity-token", required_argument, NULL, S_TOKEN},
        {"identity-token-file", required_argument, NULL, S_TOKEN_FILE},
        {"output-certificate", required_argument, NULL, S_CERT},
        {"timestamp-server-url", required_argument, NULL, VG_CLI_OPT_TSA},
        {"trusted-root", required_argument, NULL, VG_CLI_OPT_TRUSTED_ROOT},
        {"tuf-mirror", required_argument, NULL, VG_CLI_OPT_TUF_MIRROR},
        {"tuf-root", required_argument, NULL, VG_CLI_OPT_TUF_ROOT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *key = NULL, *out = NULL, *bundle = NULL, *outcert = NULL;
    struct vg_cli_sign_keyless kl = {.fulcio_url = "https://fulcio.sigstore.dev",
                                     .rekor_url = "https://rekor.sigstore.dev"};
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
            if (!sign_keyless_flag(&kl, &outcert, c, optarg)) {
                return vg_cli_usage(argv[0], "invalid option");
            }
        }
    }
    if (argc - optind != 1) {
        return vg_cli_usage(argv[0], "exactly one BLOB argument is required");
    }
    if (!key) {
        struct vg_err *err = NULL;
        if (!bundle || (kl.kl.trusted_root && (kl.kl.tuf_mirror || kl.kl.tuf_root))) {
            return vg_cli_usage(argv[0], "keyless signing needs --bundle FILE (and "
                                         "--trusted-root or --tuf-mirror/--tuf-root)");
        }
        if (sign_blob_keyless(&kl, argv[optind], bundle, out, outcert, &err) < 0) {
            return vg_cli_fail(&err, "sign-blob");
        }
        return VG_EXIT_OK;
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
    "       vigil verify-blob --bundle FILE --trusted-root ROOT\n"
    "             (--certificate-identity ID | --certificate-identity-regexp RE)\n"
    "             (--certificate-oidc-issuer ISS | --certificate-oidc-issuer-regexp RE) BLOB\n"
    "       vigil verify-blob --bundle FILE --trusted-root ROOT --key PUB BLOB\n"
    "\n"
    "Verifies a cosign blob signature. SIG is a file holding the base64 signature (raw DER is\n"
    "also accepted from a file), or the base64 text itself. --bundle reads a Sigstore bundle\n"
    "(v0.1-v0.3, messageSignature content, as 'cosign sign-blob --bundle' writes): the blob's\n"
    "digest must equal the bundle's and the signature must verify; without --trusted-root,\n"
    "transparency-log entries in it are not checked. PUB is a PEM public key (PUBLIC KEY or\n"
    "RSA PUBLIC KEY) or a DER SubjectPublicKeyInfo. BLOB may be - for standard input.\n"
    "\n"
    "With --trusted-root (a Sigstore trusted_root.json) the bundle is verified completely and\n"
    "offline (docs/sigstore.md): messageSignature or DSSE content (the blob must be a subject\n"
    "of the in-toto statement), every Rekor entry (body, signed entry timestamp, inclusion\n"
    "proof and signed checkpoint), RFC 3161 timestamps, and for keyless bundles the Fulcio\n"
    "certificate chain at the signing time, its SCT and the identity:\n"
    "  --certificate-identity ID            a SAN of the certificate equals ID\n"
    "  --certificate-identity-regexp RE     a SAN matches RE (POSIX extended, unanchored)\n"
    "  --certificate-oidc-issuer ISS        the Fulcio OIDC issuer extension equals ISS\n"
    "  --certificate-oidc-issuer-regexp RE  the issuer matches RE\n"
    "  --certificate-github-workflow-trigger|-sha|-name|-repository|-ref VALUE\n"
    "                                       the GitHub workflow claim equals VALUE\n"
    "  --insecure-ignore-sct                do not require an SCT\n"
    "Without --trusted-root, keyless verification takes trusted_root.json from Sigstore's TUF\n"
    "repository (verified and cached; the cache is used when the mirror is unreachable):\n"
    "  --tuf-mirror URL                     the TUF repository (default\n"
    "                                       https://tuf-repo-cdn.sigstore.dev)\n"
    "  --tuf-root FILE                      its initial root.json (default: the public-good\n"
    "                                       root shipped with vigil)\n"
    "  --format text|json                   json prints what was verified on stdout\n"
    "BLOB may then also be sha256:<64 hex> (when no such file exists) to verify by digest.\n"
    "\n"
    "Exit status: 0 and 'Verified OK' on stderr when the signature verifies; 1 when it does\n"
    "not; other codes as documented in docs/exit-codes.md.\n"
    "\n"
    "Examples:\n"
    "  vigil verify-blob --key cosign.pub --signature artifact.sig artifact.tar.gz\n"
    "  vigil verify-blob --key cosign.pub --signature MEUCIQ... artifact.tar.gz\n"
    "  vigil verify-blob --key cosign.pub --bundle a.tgz.sigstore.json a.tgz\n"
    "  vigil verify-blob --bundle a.tgz.sigstore.json --trusted-root trusted_root.json \\\n"
    "      --certificate-identity https://github.com/o/r/.github/workflows/rel.yml@refs/tags/v1 "
    "\\\n"
    "      --certificate-oidc-issuer https://token.actions.githubusercontent.com a.tgz\n";

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

/* ---------------------------------------------------------------- verify-blob, Sigstore */

struct keyless_opts {
    const char *key, *bundle, *root, *blob, *tuf_mirror, *tuf_root;
    struct vg_sigstore_policy policy;
    bool json;
};

static bool
is_digest_arg(const char *arg)
{
    if (!vg_cstr_startswith(arg, "sha256:") || strlen(arg) != 7 + 64 || vg_path_exists(arg)) {
        return false;
    }
    for (size_t i = 7; arg[i]; i++) {
        if (!((arg[i] >= '0' && arg[i] <= '9') || (arg[i] >= 'a' && arg[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

static void
print_result(const struct keyless_opts *o, const struct vg_sigstore_bundle *b,
             const struct vg_sigstore_result *r, const uint8_t sha256[32])
{
    char hex[65];
    vg_hex_encode(hex, sha256, 32);
    json_t *j = json_object();
    vg_json_set_take(j, "verified", json_true());
    vg_json_set_str(j, "mediaType", b->media_type);
    vg_json_set_str(j, "content", b->dsse ? "dsseEnvelope" : "messageSignature");
    vg_autofree char *digest = vg_fmt("sha256:%s", hex);
    vg_json_set_str(j, "artifactDigest", digest);
    if (r->identity) {
        json_t *c = json_object();
        vg_json_set_str(c, "identity", r->identity);
        vg_json_set_str(c, "issuer", r->issuer);
        vg_json_set_take(c, "verifiedSCTs", json_integer((json_int_t)r->nscts));
        vg_json_set_take(j, "certificate", c);
    } else {
        vg_json_set_str(j, "key", o->key);
    }
    json_t *times = json_array();
    for (size_t i = 0; i < r->ntimes; i++) {
        char t[32];
        vg_time_rfc3339(t, sizeof(t), r->times[i]);
        json_t *e = json_object();
        vg_json_set_str(e, "source", r->time_is_tsa[i] ? "rfc3161" : "tlog");
        vg_json_set_str(e, "time", t);
        vg_json_append_take(times, e);
    }
    vg_json_set_take(j, "timestamps", times);
    json_t *entries = json_array();
    for (size_t i = 0; i < b->nentries; i++) {
        const struct vg_sigstore_tlog_entry *e = &b->entries[i];
        char id[65];
        vg_hex_encode(id, e->log_id, 32);
        json_t *x = json_object();
        vg_json_set_take(x, "logIndex", json_integer((json_int_t)e->log_index));
        vg_json_set_str(x, "logId", id);
        vg_json_set_str(x, "kind", e->kind);
        vg_json_set_str(x, "version", e->version);
        vg_json_set_take(x, "inclusionProof", json_boolean(e->has_proof));
        vg_json_set_take(x, "signedEntryTimestamp", json_boolean(e->set != NULL));
        vg_json_append_take(entries, x);
    }
    vg_json_set_take(j, "tlogEntries", entries);
    vg_autofree char *text = vg_json_dump(j, false);
    json_decref(j);
    if (text) {
        fputs(text, stdout);
        fputc('\n', stdout);
    }
}

static int
verify_keyless(struct keyless_opts *o, struct vg_err **err)
{
    vg_autobuf struct vg_buf rootbuf = VG_BUF_INIT(0);
    vg_autobuf struct vg_buf bbuf = VG_BUF_INIT(VG_SIGSTORE_BUNDLE_MAX);
    vg_autobuf struct vg_buf blob = VG_BUF_INIT(0);
    vg_autokey struct vg_crypto_key *key = NULL;
    if (vg_cli_trusted_root_read(&rootbuf, o->root, o->tuf_mirror, o->tuf_root, err) < 0) {
        return -1;
    }
    if (vg_file_read(&bbuf, o->bundle, VG_SIGSTORE_BUNDLE_MAX, err) < 0) {
        return vg_err_wrap(err, "bundle");
    }
    if (o->key && vg_sign_key_load_public(&key, o->key, err) < 0) {
        return -1;
    }
    struct vg_sigstore_artifact a = {0};
    if (is_digest_arg(o->blob)) {
        for (size_t i = 0; i < 32; i++) {
            const char *h = o->blob + 7 + 2 * i;
            unsigned hi = (unsigned)(h[0] <= '9' ? h[0] - '0' : h[0] - 'a' + 10);
            unsigned lo = (unsigned)(h[1] <= '9' ? h[1] - '0' : h[1] - 'a' + 10);
            a.sha256[i] = (uint8_t)(hi << 4 | lo);
        }
    } else {
        if (read_blob(&blob, o->blob, err) < 0) {
            return -1;
        }
        static const uint8_t empty[1];
        a.data = blob.data ? blob.data : empty;
        a.len = blob.len;
    }
    struct vg_sigstore_root *root = NULL;
    if (vg_sigstore_root_parse(&root, rootbuf.data, rootbuf.len, err) < 0) {
        return vg_err_wrap(err, "%s", o->root);
    }
    struct vg_sigstore_bundle *b = NULL;
    if (vg_sigstore_bundle_parse(&b, bbuf.data, bbuf.len, err) < 0) {
        vg_sigstore_root_free(root);
        return vg_err_wrap(err, "%s", o->bundle);
    }
    o->policy.key = key;
    struct vg_sigstore_result res;
    int rc = vg_sigstore_verify(&res, b, root, &o->policy, &a, err);
    if (rc == 0 && o->json) {
        print_result(o, b, &res, a.sha256);
    }
    if (rc == 0) {
        vg_sigstore_result_dispose(&res);
    }
    vg_sigstore_bundle_free(b);
    vg_sigstore_root_free(root);
    return rc;
}

enum {
    O_ROOT = 256,
    O_ID,
    O_ID_RE,
    O_ISS,
    O_ISS_RE,
    O_GH_TRIGGER,
    O_GH_SHA,
    O_GH_NAME,
    O_GH_REPO,
    O_GH_REF,
    O_NO_SCT,
    O_FORMAT,
    O_TUF_MIRROR,
    O_TUF_ROOT,
};

/* The Sigstore flags of verify-blob: true when c was one of them. */
static bool
keyless_flag(struct keyless_opts *ko, int c, const char *arg)
{
    struct vg_sigstore_policy *p = &ko->policy;
    switch (c) {
    case O_ROOT:
        ko->root = arg;
        return true;
    case O_TUF_MIRROR:
        ko->tuf_mirror = arg;
        return true;
    case O_TUF_ROOT:
        ko->tuf_root = arg;
        return true;
    case O_ID:
        p->identity = arg;
        return true;
    case O_ID_RE:
        p->identity_regexp = arg;
        return true;
    case O_ISS:
        p->issuer = arg;
        return true;
    case O_ISS_RE:
        p->issuer_regexp = arg;
        return true;
    case O_GH_TRIGGER:
        p->github_trigger = arg;
        return true;
    case O_GH_SHA:
        p->github_sha = arg;
        return true;
    case O_GH_NAME:
        p->github_name = arg;
        return true;
    case O_GH_REPO:
        p->github_repository = arg;
        return true;
    case O_GH_REF:
        p->github_ref = arg;
        return true;
    case O_NO_SCT:
        p->ignore_sct = true;
        return true;
    default:
        return false;
    }
}

int
cmd_verify_blob(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, 'k'},
        {"signature", required_argument, NULL, 's'},
        {"bundle", required_argument, NULL, 'b'},
        {"trusted-root", required_argument, NULL, O_ROOT},
        {"tuf-mirror", required_argument, NULL, O_TUF_MIRROR},
        {"tuf-root", required_argument, NULL, O_TUF_ROOT},
        {"certificate-identity", required_argument, NULL, O_ID},
        {"certificate-identity-regexp", required_argument, NULL, O_ID_RE},
        {"certificate-oidc-issuer", required_argument, NULL, O_ISS},
        {"certificate-oidc-issuer-regexp", required_argument, NULL, O_ISS_RE},
        {"certificate-github-workflow-trigger", required_argument, NULL, O_GH_TRIGGER},
        {"certificate-github-workflow-sha", required_argument, NULL, O_GH_SHA},
        {"certificate-github-workflow-name", required_argument, NULL, O_GH_NAME},
        {"certificate-github-workflow-repository", required_argument, NULL, O_GH_REPO},
        {"certificate-github-workflow-ref", required_argument, NULL, O_GH_REF},
        {"insecure-ignore-sct", no_argument, NULL, O_NO_SCT},
        {"format", required_argument, NULL, O_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *key = NULL, *sig = NULL, *bundle = NULL, *format = "text";
    struct keyless_opts ko = {0};
    const struct vg_sigstore_policy *p = &ko.policy;
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
        case O_FORMAT:
            format = optarg;
            break;
        case 'h':
            fputs(verify_help, stdout);
            return VG_EXIT_OK;
        default:
            if (!keyless_flag(&ko, c, optarg)) {
                return vg_cli_usage(argv[0], "invalid option");
            }
        }
    }
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        return vg_cli_usage(argv[0], "--format must be text or json");
    }
    bool identity = p->identity || p->identity_regexp || p->issuer || p->issuer_regexp ||
                    p->github_trigger || p->github_sha || p->github_name || p->github_repository ||
                    p->github_ref;
    if (argc - optind != 1) {
        return vg_cli_usage(argv[0], "exactly one BLOB argument is required");
    }
    struct vg_err *err = NULL;
    int rc = 0;
    bool tuf = ko.tuf_mirror || ko.tuf_root;
    if (ko.root || tuf || identity) {
        if (!bundle || sig || (ko.root && tuf)) {
            return vg_cli_usage(argv[0], "Sigstore verification needs --bundle, no --signature, "
                                         "and --trusted-root or --tuf-mirror/--tuf-root");
        }
        if (key && identity) {
            return vg_cli_usage(argv[0], "--key and --certificate-* exclude each other");
        }
        if (!key && (!(p->identity || p->identity_regexp) || !(p->issuer || p->issuer_regexp))) {
            return vg_cli_usage(argv[0],
                                "keyless verification needs --certificate-identity[-regexp] and "
                                "--certificate-oidc-issuer[-regexp]");
        }
        ko.key = key;
        ko.bundle = bundle;
        ko.blob = argv[optind];
        ko.json = strcmp(format, "json") == 0;
        rc = verify_keyless(&ko, &err);
    } else {
        if (!key || !(sig || bundle)) {
            return vg_cli_usage(argv[0], "--key and one of --signature or --bundle are required");
        }
        if (sig && bundle) {
            return vg_cli_usage(argv[0], "--signature and --bundle exclude each other");
        }
        rc = verify_blob(key, sig, bundle, argv[optind], &err);
    }
    if (rc < 0) {
        if (vg_err_root_code(err) == VG_E_VERIFY || vg_err_code(err) == VG_E_VERIFY) {
            vg_cli_fail(&err, "verify-blob");
            return VG_EXIT_NEGATIVE;
        }
        return vg_cli_fail(&err, "verify-blob");
    }
    fputs("Verified OK\n", stderr);
    return VG_EXIT_OK;
}
