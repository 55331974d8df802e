/* SPDX-License-Identifier: Apache-2.0
 *
 * Shared pieces of the thin CLI: the subcommand entry points, exit codes, and error rendering.
 * Each subcommand lives in cmd_<name>.c, parses its own flags (getopt_long), fills a module's
 * options struct, calls the module and renders the result. The image-access flags that many
 * commands share (--platform, --creds, --insecure, --plain-http) are declared once here.
 */
#ifndef VG_CLI_H
#define VG_CLI_H

#include "core/core.h"
#include "sign/sigstore.h"

#include <getopt.h>

struct vg_oci_open_opts;
struct vg_scan_cache_limits;
struct vg_secret;
struct vg_crypto_password;

/* Exit codes (documented in docs/exit-codes.md). */
enum vg_exit {
    VG_EXIT_OK = 0,
    VG_EXIT_NEGATIVE = 1, /* findings over the threshold, or verification failed */
    VG_EXIT_USAGE = 2,
    VG_EXIT_RUNTIME = 3,  /* I/O, database, internal errors */
    VG_EXIT_NOTFOUND = 4, /* image, tag, blob or file not found */
    VG_EXIT_AUTH = 5,     /* authentication or authorization refused */
    VG_EXIT_CORRUPT = 6,  /* malformed, oversized, unsupported or digest-mismatched input */
    VG_EXIT_NETWORK = 7,  /* registry unreachable, timeout, unexpected HTTP status */
};

/* Prints "vigil: error: <context>: <chain>" on stderr, frees err, returns the exit code that
 * the root cause maps to. */
int vg_cli_fail(struct vg_err **err, const char *context);
int vg_cli_exit_for(const struct vg_err *err);
/* Flushes stdout and stderr and ends the process with code through _exit(): no atexit
 * handlers, so no library's global cleanup runs while a thread the command had to leave
 * behind (an evaluation stuck on a registry) may still be inside that library. */
_Noreturn void vg_cli_exit_now(int code);
/* What a reserved error exit code (2..7) means ("usage errors", ...), NULL for any other code:
 * a `--exit-code N` naming one of them is allowed (as Trivy) but warned about. */
const char *vg_cli_exit_meaning(long code);
/* Prints "vigil: <cmd>: <msg>\nTry 'vigil <cmd> --help'." and returns VG_EXIT_USAGE. */
int vg_cli_usage(const char *cmd, const char *fmt, ...) VG_PRINTF(2, 3);
/* After option parsing in the offline commands on a registry's storage (registry scans, gc,
 * rescan): no operand may follow and --root DIR is required. Returns 0 or VG_EXIT_USAGE. */
int vg_cli_root_only(const char *cmd, int argc, char **argv, const char *root);
/* Opens --output FILE (or stdout for NULL/"-"). Output files are written to a temp name and
 * renamed by vg_cli_output_close, so a failed run never leaves a half-written file. */
struct vg_cli_out {
    FILE *f;
    char *path;
    char *tmp;
};
int vg_cli_output_open(struct vg_cli_out *o, const char *path, struct vg_err **err);
int vg_cli_output_close(struct vg_cli_out *o, bool commit, struct vg_err **err);

/* Image-access flags (docs/image-sources.md, docs/registry-client.md). Their getopt codes lie
 * above every command's own codes. A command that opens images (oci/, registry or local)
 * puts VG_CLI_IMAGE_LONGOPTS in its option table; a command that addresses a manifest digest
 * in a registry and never picks a platform (sign, verify, attest, tree) puts
 * VG_CLI_REGISTRY_LONGOPTS. Either way, its getopt loop first offers each code to
 * vg_cli_image_opt, and its --help includes the matching VG_CLI_HELP_* lines. */
enum {
    VG_CLI_OPT_PLATFORM = 0x1000,
    VG_CLI_OPT_CREDS,
    VG_CLI_OPT_INSECURE,
    VG_CLI_OPT_PLAIN_HTTP,
    VG_CLI_OPT_TIMEOUT,
    VG_CLI_OPT_STALL_TIMEOUT,
    VG_CLI_OPT_CACHE_DIR,
    VG_CLI_OPT_CACHE_MAX_SIZE,
    VG_CLI_OPT_CACHE_MAX_AGE,
};
#define VG_CLI_REGISTRY_LONGOPTS                                                                   \
    {"creds", required_argument, NULL, VG_CLI_OPT_CREDS},                                          \
        {"insecure", no_argument, NULL, VG_CLI_OPT_INSECURE},                                      \
    {                                                                                              \
        "plain-http", no_argument, NULL, VG_CLI_OPT_PLAIN_HTTP                                     \
    }
/* --scanners LIST (vuln, secret, misconfig|config, model) into VG_SCANNER_* bits; with
 * image_config, --image-config-scanners (misconfig, secret only). Usage error naming cmd. */
int vg_cli_parse_scanners(unsigned *out, const char *list, bool image_config, const char *cmd);

/* cosign's names for --insecure and --plain-http, for the cosign-compatible commands (copy,
 * download, attach, clean IMAGE, save, load); vg_cli_image_opt takes them like the originals. */
#define VG_CLI_COSIGN_REGISTRY_ALIASES                                                             \
    {"allow-insecure-registry", no_argument, NULL, VG_CLI_OPT_INSECURE},                           \
    {                                                                                              \
        "allow-http-registry", no_argument, NULL, VG_CLI_OPT_PLAIN_HTTP                            \
    }
#define VG_CLI_IMAGE_LONGOPTS                                                                      \
    {"platform", required_argument, NULL, VG_CLI_OPT_PLATFORM}, VG_CLI_REGISTRY_LONGOPTS
/* Synopsis and --help lines (option column 25 wide, as the commands' own lines). */
#define VG_CLI_USAGE_REGISTRY "[--creds USER:PASS] [--insecure] [--plain-http]"
#define VG_CLI_HELP_PLATFORM                                                                       \
    "  --platform P           OS/ARCH[/VARIANT] to pick from a multi-platform index\n"             \
    "                         (default: linux/<host arch>)\n"
#define VG_CLI_HELP_REGISTRY                                                                       \
    "  --creds USER:PASS      registry credentials (default: docker config.json)\n"                \
    "  --insecure             skip TLS certificate verification; fall back to HTTP when the\n"     \
    "                         registry answers in plain HTTP (automatic for localhost)\n"          \
    "  --plain-http           talk HTTP instead of HTTPS to the registry\n"
/* Time limits of the commands that scan or inventory an image (Trivy's --timeout, default
 * 5m0s; a per-transfer stall limit): in their option table and --help, their codes offered to
 * vg_cli_timeout_opt in the getopt loop, then vg_cli_timeout_start once parsing is done. */
#define VG_CLI_TIMEOUT_LONGOPTS                                                                    \
    {"timeout", required_argument, NULL, VG_CLI_OPT_TIMEOUT},                                      \
    {                                                                                              \
        "stall-timeout", required_argument, NULL, VG_CLI_OPT_STALL_TIMEOUT                         \
    }
/* --cache-dir (Trivy's name): sets $VIGIL_CACHE_DIR for the process, which vg_cache_dir()
 * reads; handled by vg_cli_timeout_opt as well. --cache-max-size and --cache-max-age bound the
 * analysis cache (vg_cli_cache_opt). */
#define VG_CLI_CACHE_LONGOPTS                                                                      \
    {"cache-dir", required_argument, NULL, VG_CLI_OPT_CACHE_DIR},                                  \
        {"cache-max-size", required_argument, NULL, VG_CLI_OPT_CACHE_MAX_SIZE},                    \
    {                                                                                              \
        "cache-max-age", required_argument, NULL, VG_CLI_OPT_CACHE_MAX_AGE                         \
    }
#define VG_CLI_HELP_CACHE                                                                          \
    "  --cache-dir DIR        cache directory: analysis cache, default database (default:\n"       \
    "                         $VIGIL_CACHE_DIR, else $XDG_CACHE_HOME/vigil); see 'vigil clean'\n"  \
    "  --cache-max-size SIZE  bound of the analysis cache, least recently used entries go\n"       \
    "                         first: 500MB, 2GB, a number of MB; 0: none (default 1GB)\n"          \
    "  --cache-max-age DUR    drop analysis cache entries unused for this long, e.g. 168h;\n"      \
    "                         0: never (default 720h, 30 days)\n"
/* 1 when c was --cache-max-size or --cache-max-age (stored in lim), 0 for any other code, -1
 * when the value is malformed (a usage error of `cmd`, printed: the caller exits 2). */
int vg_cli_cache_opt(int c, const char *arg, const char *cmd, struct vg_scan_cache_limits *lim);
/* "500MB", "2GB", "1.5GB", "300" (MB), "0": SIZE of --cache-max-size in bytes; binary units
 * (KB = 1024 bytes, also KiB, K; MB, GB, TB likewise); VG_E_USAGE otherwise. */
int vg_cli_parse_size(const char *s, uint64_t *bytes, struct vg_err **err);
#define VG_CLI_DEFAULT_TIMEOUT_MS (5u * 60u * 1000u)
#define VG_CLI_HELP_TIMEOUT                                                                        \
    "  --timeout DURATION     time limit of the whole run, e.g. 90s, 10m, 1h30m; 0: none\n"        \
    "                         (default 5m0s)\n"                                                    \
    "  --stall-timeout DUR    fail a download that receives nothing for this long\n"               \
    "                         (default 30s)\n"
/* True when c was one of the time-limit options (stored in o, or in *timeout_ms until
 * vg_cli_timeout_start; *timeout_ms starts as UINT64_MAX, "not given"), false for any other
 * code. A malformed value is a usage error of `cmd`: printed, and the process exits 2 (like
 * getopt's own errors, before anything was done). */
bool vg_cli_timeout_opt(int c, const char *arg, const char *cmd, uint64_t *timeout_ms,
                        struct vg_oci_open_opts *o);
/* Sets o's deadline from the --timeout given (or the default) counted from now. */
void vg_cli_timeout_start(uint64_t timeout_ms, struct vg_oci_open_opts *o);
/* True when o's deadline has passed (a failure is then reported as a timeout). */
bool vg_cli_timed_out(const struct vg_oci_open_opts *o);
/* Go's duration syntax as Trivy and cosign take it: "300ms", "90s", "5m0s", "1h30m", "1.5h",
 * "0"; VG_E_USAGE otherwise. */
int vg_cli_parse_duration(const char *s, uint64_t *ms, struct vg_err **err);

/* Stores an image-access option's value in o. Returns true when c was one of them (then the
 * caller is done with it), false for any other code. arg is kept, not copied. */
bool vg_cli_image_opt(int c, const char *arg, struct vg_oci_open_opts *o);
/* --insecure-registries HOST[:PORT],... (admit serve, admit check, policy check): those
 * registries are spoken to in plain HTTP (o->plain_http_registries, borrowing arg). Each entry
 * must be a host (letters, digits, '.', '-', '_', or an [IPv6]) with an optional port; given
 * twice is a usage error. Returns 0 or VG_EXIT_USAGE. */
#define VG_CLI_INSECURE_REGISTRIES_LONGOPT(code)                                                   \
    {                                                                                              \
        "insecure-registries", required_argument, NULL, code                                       \
    }
#define VG_CLI_HELP_INSECURE_REGISTRIES                                                            \
    "  --insecure-registries HOST:PORT,...\n"                                                      \
    "                         registries reached over plain HTTP (as containerd's and\n"           \
    "                         docker's insecure registries); others keep HTTPS\n"
int vg_cli_insecure_registries(const char *cmd, const char *arg, struct vg_oci_open_opts *o);

/* Options from the environment and a config file (options.c, docs/scan-config.md). Precedence:
 * command line > $VIGIL_<FLAG> > $TRIVY_<FLAG> (Trivy's flags only) > config file > default.
 * The config file is --config FILE, else $VIGIL_CONFIG, else spec->config_default when it
 * exists; its keys are Trivy's (`scan.skip-dirs`, `vulnerability.ignore-unfixed`, ...) for
 * the flags vigil shares with Trivy and the flag's own name otherwise. */
struct vg_cli_optspec {
    const char *cmd;               /* "scan", for messages */
    const char *shortopts;         /* as passed to getopt_long */
    const struct option *longopts; /* the command's table; must contain "config" */
    const char *const *repeatable; /* NULL-terminated: options a list repeats (not joined) */
    const char *config_default;    /* "vigil.yaml", or NULL */
};
struct vg_cli_arg_origin {
    const char *value; /* a value word of argv */
    const char *what;  /* "--severity came from $VIGIL_SEVERITY" */
};
struct vg_cli_args {
    int argc;
    char **argv; /* owned array for getopt_long: argv[0], the settings the lower sources add
                  * (as `--flag [value]` words), then the command line's words (borrowed) */
    VG_VEC(char *) owned;                     /* strings allocated here */
    VG_VEC(struct vg_cli_arg_origin) origins; /* where each added value came from */
    char *config_path;                        /* owned: the config file read, or NULL */
};
/* Builds out from argv (getopt's optind is left at 0: the caller's own loop re-initialises).
 * With --help on the command line nothing else is read. Errors: VG_E_USAGE for a bad boolean
 * in a variable; VG_E_NOTFOUND for a named config file that is absent; VG_E_PARSE /
 * VG_E_LIMIT "FILE:LINE:COL: ..." for a config file that is malformed, has an unknown key or a
 * value of the wrong shape. */
VG_NODISCARD int vg_cli_args_resolve(struct vg_cli_args *out, const struct vg_cli_optspec *spec,
                                     int argc, char **argv, struct vg_err **err);
/* The origin of a value word of a->argv (e.g. getopt's optarg), NULL when it was typed. */
const char *vg_cli_args_origin(const struct vg_cli_args *a, const char *value);
void vg_cli_args_dispose(struct vg_cli_args *a);
/* The names one flag goes by: "VIGIL_SKIP_DIRS" (caller frees), "scan.skip-dirs". */
char *vg_cli_option_env_name(const char *prefix, const char *flag);
const char *vg_cli_option_config_key(const char *flag);
bool vg_cli_option_shared_with_trivy(const char *flag);

/* The CLI's password source (password.c, cosign-format.md §1.2), crypto.h's
 * vg_crypto_password_fn:
 *   1. $VIGIL_PASSWORD, else $COSIGN_PASSWORD, if the variable EXISTS (even empty) — verbatim;
 *   2. else if stdin is a terminal: prompt on stderr with echo off (twice when confirm, failing
 *      with VG_E_USAGE "passwords do not match"); a signal while echo is off restores the
 *      terminal, fails the prompt with VG_E_IO "password prompt interrupted", then is raised
 *      again under the previous disposition;
 *   3. else all of stdin, verbatim (a trailing newline is part of the password, as in cosign).
 * Longer than VG_CRYPTO_PASSWORD_MAX is VG_E_LIMIT. payload is unused. vg_cli_password() is
 * this source as a vg_crypto_password, to hand to crypto/ and sign/. */
int vg_cli_password_get(struct vg_secret **out, bool confirm, void *payload, struct vg_err **err);
const struct vg_crypto_password *vg_cli_password(void);

/* Docker Content Trust check of IMAGE:TAG (cmd_trust.c), for verify --dct and
 * DOCKER_CONTENT_TRUST=1: prints what it found, returns an exit code. */
int vg_cli_dct_verify(const char *image, const struct vg_oci_open_opts *open);
/* The notary server of an image (DOCKER_CONTENT_TRUST_SERVER, docker's defaults) and its CA
 * file from $DOCKER_CONFIG/tls/<host>/ca.crt (NULL when absent); caller frees (cmd_trust.c). */
struct vg_oci_ref;
char *vg_cli_dct_server(const struct vg_oci_ref *ref);
char *vg_cli_dct_ca(const char *server);
/* DOCKER_CONTENT_TRUST is "1" or "true". */
bool vg_cli_dct_enabled(void);
/* docker pull's content trust for commands that pull by tag (scan, sbom, copy): with
 * DOCKER_CONTENT_TRUST=1, a registry reference with a tag is resolved through the notary
 * targets of its GUN to *pinned = "registry/repo:tag@sha256:<signed hash>"; local sources,
 * digests and DOCKER_CONTENT_TRUST unset leave *pinned NULL. A tag without trust data is
 * VG_E_NOTFOUND, metadata that does not verify VG_E_VERIFY (caller frees *pinned). */
int vg_cli_dct_pin(char **pinned, const char *image, const struct vg_oci_open_opts *open,
                   struct vg_err **err);
/* trust key|signer|sign|revoke (cmd_trust_publish.c); argv[0] is the subcommand. */
int vg_cli_trust_publish(int argc, char **argv);
/* Prompts on the terminal (stdin) with echo off, twice when confirm (password.c). */
int vg_cli_password_prompt(struct vg_secret **out, const char *prompt, bool confirm,
                           struct vg_err **err);

/* Keyless Sigstore verification flags shared by verify, verify-attestation and verify-blob
 * (keyless.c, docs/sigstore.md), cosign's names. Codes above the image options'. */
enum {
    VG_CLI_OPT_TRUSTED_ROOT = 0x1100,
    VG_CLI_OPT_CERT_ID,
    VG_CLI_OPT_CERT_ID_RE,
    VG_CLI_OPT_CERT_ISS,
    VG_CLI_OPT_CERT_ISS_RE,
    VG_CLI_OPT_GH_TRIGGER,
    VG_CLI_OPT_GH_SHA,
    VG_CLI_OPT_GH_NAME,
    VG_CLI_OPT_GH_REPO,
    VG_CLI_OPT_GH_REF,
    VG_CLI_OPT_NO_SCT,
    VG_CLI_OPT_NO_TLOG,
    VG_CLI_OPT_TUF_MIRROR,
    VG_CLI_OPT_TUF_ROOT,
};
#define VG_CLI_KEYLESS_LONGOPTS                                                                    \
    {"trusted-root", required_argument, NULL, VG_CLI_OPT_TRUSTED_ROOT},                            \
        {"certificate-identity", required_argument, NULL, VG_CLI_OPT_CERT_ID},                     \
        {"certificate-identity-regexp", required_argument, NULL, VG_CLI_OPT_CERT_ID_RE},           \
        {"certificate-oidc-issuer", required_argument, NULL, VG_CLI_OPT_CERT_ISS},                 \
        {"certificate-oidc-issuer-regexp", required_argument, NULL, VG_CLI_OPT_CERT_ISS_RE},       \
        {"certificate-github-workflow-trigger", required_argument, NULL, VG_CLI_OPT_GH_TRIGGER},   \
        {"certificate-github-workflow-sha", required_argument, NULL, VG_CLI_OPT_GH_SHA},           \
        {"certificate-github-workflow-name", required_argument, NULL, VG_CLI_OPT_GH_NAME},         \
        {"certificate-github-workflow-repository", required_argument, NULL, VG_CLI_OPT_GH_REPO},   \
        {"certificate-github-workflow-ref", required_argument, NULL, VG_CLI_OPT_GH_REF},           \
        {"tuf-mirror", required_argument, NULL, VG_CLI_OPT_TUF_MIRROR},                            \
        {"tuf-root", required_argument, NULL, VG_CLI_OPT_TUF_ROOT},                                \
    {                                                                                              \
        "insecure-ignore-sct", no_argument, NULL, VG_CLI_OPT_NO_SCT                                \
    }
#define VG_CLI_HELP_KEYLESS                                                                        \
    "  --certificate-identity ID           keyless: a SAN of the Fulcio certificate equals ID\n"   \
    "  --certificate-identity-regexp RE    ... or matches RE (POSIX extended, unanchored)\n"       \
    "  --certificate-oidc-issuer ISS       keyless: the certificate's OIDC issuer equals ISS\n"    \
    "  --certificate-oidc-issuer-regexp RE ... or matches RE\n"                                    \
    "  --certificate-github-workflow-trigger|-sha|-name|-repository|-ref V\n"                      \
    "                                      the GitHub workflow extensions equal V\n"               \
    "  --trusted-root FILE                 Sigstore trusted_root.json (Fulcio CAs, Rekor, CT\n"    \
    "                                      log and TSA keys); default: from TUF, below\n"          \
    "  --tuf-mirror URL                    TUF repository serving trusted_root.json (default\n"    \
    "                                      https://tuf-repo-cdn.sigstore.dev; verified copy\n"     \
    "                                      cached, used offline when the mirror is unreachable)\n" \
    "  --tuf-root FILE                     the mirror's initial root.json (default: the\n"         \
    "                                      public-good root shipped with vigil)\n"                 \
    "  --insecure-ignore-sct               do not require an SCT in the certificate\n"
struct vg_sigstore_policy;
struct vg_sigstore_root;
struct vg_cli_keyless {
    const char *trusted_root, *tuf_mirror, *tuf_root;
    const char *identity, *identity_regexp, *issuer, *issuer_regexp;
    const char *gh_trigger, *gh_sha, *gh_name, *gh_repository, *gh_ref;
    bool ignore_sct, ignore_tlog;
};
/* True when c was one of VG_CLI_KEYLESS_LONGOPTS (or VG_CLI_OPT_NO_TLOG), stored in k. */
bool vg_cli_keyless_opt(struct vg_cli_keyless *k, int c, const char *arg);
/* True when any identity flag was given (keyless verification is asked for). */
bool vg_cli_keyless_wanted(const struct vg_cli_keyless *k);
/* The identity flags as a verifier policy (borrowing k's strings). */
void vg_cli_keyless_policy(const struct vg_cli_keyless *k, struct vg_sigstore_policy *p);
/* Usage check of cmd's keyless flags: an identity and an issuer (exact or regexp each), not
 * with a key. Returns 0 or VG_EXIT_USAGE (printed). */
int vg_cli_keyless_check(const char *cmd, const struct vg_cli_keyless *k, bool have_key);
/* The bytes of the Sigstore trusted root: --trusted-root FILE, else trusted_root.json from
 * the TUF mirror (--tuf-mirror, default Sigstore's public-good one) anchored by --tuf-root or
 * the shipped public-good root (docs/sigstore.md "Trusted roots from TUF"). */
VG_NODISCARD int vg_cli_trusted_root_read(struct vg_buf *out, const char *trusted_root,
                                          const char *tuf_mirror, const char *tuf_root,
                                          struct vg_err **err);
/* The trusted root of the flags (vg_cli_trusted_root_read), parsed. */
VG_NODISCARD int vg_cli_trusted_root_load(struct vg_sigstore_root **out,
                                          const struct vg_cli_keyless *k, struct vg_err **err);

/* Keyless signing (sign_keyless.c, docs/sigstore.md "Keyless signing"). */
struct vg_cli_sign_keyless {
    const char *fulcio_url, *rekor_url; /* defaults: the public-good instances */
    const char *token, *token_file;     /* else $SIGSTORE_ID_TOKEN */
    const char *tsa_url;                /* --timestamp-server-url (RFC 3161), or NULL */
    struct vg_cli_keyless kl;           /* the trusted root that checks the result */
};
struct vg_fulcio_cert;
struct vg_cli_keyless_signed {
    struct vg_crypto_key *key; /* the ephemeral key */
    struct vg_fulcio_cert *cert;
    struct vg_sigstore_tlog_entry entry;
    uint8_t sha256[32];
    uint8_t *sig;
    size_t siglen;
    char *envelope;              /* DSSE: the envelope JSON */
    struct vg_buf tsr;           /* RFC 3161 TimeStampResp (DER) when a TSA was asked */
    struct vg_buf bundle;        /* v0.3 bundle (messageSignature or dsseEnvelope) */
    struct vg_buf legacy_bundle; /* dev.sigstore.cosign/bundle */
    char *identity, *issuer;     /* what the certificate says */
};
/* Ephemeral key, Fulcio certificate, signature over data, Rekor entry, checks, and the
 * bundles; verified under o->kl's trusted root before it returns. */
VG_NODISCARD int vg_cli_keyless_sign(struct vg_cli_keyless_signed *s,
                                     const struct vg_cli_sign_keyless *o, const void *data,
                                     size_t len, struct vg_err **err);
/* The same for an in-toto statement about subject: a DSSE envelope, logged as dsse 0.0.1
 * (bundles) or intoto 0.0.2 (intoto: cosign 2's legacy attestations); verified in digest
 * mode with subject as the artifact. */
struct vg_digest;
VG_NODISCARD int vg_cli_keyless_sign_dsse(struct vg_cli_keyless_signed *s,
                                          const struct vg_cli_sign_keyless *o,
                                          const char *statement, size_t len,
                                          const struct vg_digest *subject, bool intoto,
                                          struct vg_err **err);
void vg_cli_keyless_signed_dispose(struct vg_cli_keyless_signed *s);
/* POST an RFC 3161 request for data (SHA-`bits` imprint: 256, 384 or 512; 0 is 256) to url;
 * the checked DER response into *out. */
#define VG_TSA_RESPONSE_MAX (32u * 1024u)
struct vg_http_client;
VG_NODISCARD int vg_cli_tsa_timestamp(struct vg_buf *out, struct vg_http_client *http,
                                      const char *url, const void *data, size_t len, unsigned bits,
                                      struct vg_err **err);
/* The servers' Notation revocation switch (admit serve, registry serve; docs/notation.md):
 * --notation-revocation check|skip (timeout false) and --notation-revocation-timeout DUR
 * (timeout true) into c, for vg_notation_revocation_configure. 0 or a usage exit code. */
#define VG_CLI_HELP_NOTATION_REVOCATION                                                            \
    "  --notation-revocation check|skip\n"                                                         \
    "                         check (default): the OCSP responders and CRLs of Notary\n"           \
    "                         signatures' chains are asked where the policy's level wants it;\n"   \
    "                         skip: nobody is asked, the check is reported skipped\n"              \
    "  --notation-revocation-timeout DUR\n"                                                        \
    "                         time per OCSP responder or CRL URL (default 2s OCSP, 5s CRL);\n"     \
    "                         a responder that does not answer in time makes the status\n"         \
    "                         unknown, which the decision names (strict then denies)\n"
struct vg_notation_revocation_config;
VG_NODISCARD int vg_cli_notation_revocation_opt(const char *cmd, bool timeout, const char *arg,
                                                struct vg_notation_revocation_config *c);
/* Keyless signing flags shared by sign, sign-blob and attest (cases of getopt's result). */
enum {
    VG_CLI_OPT_FULCIO = 0x1200,
    VG_CLI_OPT_REKOR,
    VG_CLI_OPT_TOKEN,
    VG_CLI_OPT_TOKEN_FILE,
    VG_CLI_OPT_TSA,
};
#define VG_CLI_SIGN_KEYLESS_LONGOPTS                                                               \
    {"fulcio-url", required_argument, NULL, VG_CLI_OPT_FULCIO},                                    \
        {"rekor-url", required_argument, NULL, VG_CLI_OPT_REKOR},                                  \
        {"identity-token", required_argument, NULL, VG_CLI_OPT_TOKEN},                             \
        {"identity-token-file", required_argument, NULL, VG_CLI_OPT_TOKEN_FILE},                   \
        {"timestamp-server-url", required_argument, NULL, VG_CLI_OPT_TSA},                         \
        {"trusted-root", required_argument, NULL, VG_CLI_OPT_TRUSTED_ROOT},                        \
        {"tuf-mirror", required_argument, NULL, VG_CLI_OPT_TUF_MIRROR},                            \
    {                                                                                              \
        "tuf-root", required_argument, NULL, VG_CLI_OPT_TUF_ROOT                                   \
    }
/* True when c was one of VG_CLI_SIGN_KEYLESS_LONGOPTS, stored in o. */
bool vg_cli_sign_keyless_opt(struct vg_cli_sign_keyless *o, int c, const char *arg);
/* An identity token was given (flag or $SIGSTORE_ID_TOKEN). */
bool vg_cli_sign_keyless_wanted(const struct vg_cli_sign_keyless *o);
/* vg_sign_push_opts.sign_layer for `vigil sign` keyless (ud: struct vg_cli_keyless_layer; the
 * caller disposes ud->last): the legacy layer's signature, certificate, chain and Rekor bundle
 * annotations. */
struct vg_cli_keyless_layer {
    const struct vg_cli_sign_keyless *o;
    struct vg_cli_keyless_signed last;
};
struct vg_sign_layer;
/* vg_sign_push_opts.sign_statement for keyless bundles and attestations (same ud). */
VG_NODISCARD int vg_cli_keyless_sign_statement(void *ud, const char *statement, size_t len,
                                               const struct vg_digest *subject,
                                               struct vg_buf *bundle, struct vg_sign_layer *l,
                                               struct vg_err **err);
VG_NODISCARD int vg_cli_keyless_sign_layer(void *ud, struct vg_sign_layer *l,
                                           const struct vg_crypto_key **key, struct vg_err **err);
/* vg_sign_push_opts.sign_layer for `vigil sign --key --tlog-upload` (ud: struct
 * vg_cli_key_tlog): the key's signature of the payload logged in Rekor (o->rekor_url, a
 * hashedrekord 0.0.1 naming the public key), the answer checked against what was sent and
 * stored as the layer's Rekor bundle annotation, as cosign sign --key does; with
 * --trusted-root its SET is verified under the root's Rekor keys first. */
struct vg_cli_key_tlog {
    const struct vg_crypto_key *key;
    const struct vg_cli_sign_keyless *o;
};
VG_NODISCARD int vg_cli_key_tlog_sign_layer(void *ud, struct vg_sign_layer *l,
                                            const struct vg_crypto_key **key, struct vg_err **err);

/* `vigil fs` and `vigil rootfs` (cmd_fs.c): `vigil scan`'s flags, filters and report writers
 * over a directory (cmd_scan.c). target is an enum vg_scan_target. */
struct vg_cli_scan_dir {
    const char *cmd;  /* "fs", "rootfs" */
    const char *help; /* --help text */
    int target;
};
int vg_cli_scan_dir(int argc, char **argv, const struct vg_cli_scan_dir *d);

/* Subcommands, one cmd_<name>.c each. */
#define VG_CMD(name) int cmd_##name(int argc, char **argv)
VG_CMD(inspect);
VG_CMD(sbom);
VG_CMD(scan);
VG_CMD(config);
VG_CMD(fs);     /* cmd_fs.c */
VG_CMD(rootfs); /* cmd_fs.c */
VG_CMD(k8s);    /* cmd_k8s.c */
VG_CMD(vercmp);
VG_CMD(db);
VG_CMD(generate_key_pair);
VG_CMD(registry_rescan); /* cmd_registry_rescan.c, dispatched by cmd_registry */
/* The top-level keys of `vigil registry serve --config` (cmd_registry.c). */
extern const char *const vg_cli_registry_keys[];
extern const size_t vg_cli_registry_nkeys;
VG_CMD(admit_manifests); /* cmd_admit_manifests.c, dispatched by cmd_admit */
VG_CMD(import_key_pair);
VG_CMD(sign);
VG_CMD(verify);
VG_CMD(attest);
VG_CMD(verify_attestation);
VG_CMD(sign_blob);
VG_CMD(verify_blob);
VG_CMD(tree);
VG_CMD(clean);
VG_CMD(policy);
VG_CMD(registry);
VG_CMD(admit);
VG_CMD(trust);
VG_CMD(notation);
VG_CMD(copy);        /* cmd_copy.c */
VG_CMD(download);    /* cmd_download.c */
VG_CMD(triangulate); /* cmd_download.c */
VG_CMD(attach);      /* cmd_attach.c */
VG_CMD(login);       /* cmd_login.c */
VG_CMD(save);        /* cmd_save.c */
VG_CMD(load);        /* cmd_save.c */
/* `vigil clean IMAGE` (cosign clean, cmd_clean_image.c): chosen by cmd_clean when an operand
 * that is not an option's value is present. */
bool vg_cli_clean_wants_image(int argc, char **argv);
int vg_cli_clean_image(int argc, char **argv);
#undef VG_CMD

#endif
