/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil generate-key-pair` and `vigil import-key-pair`: cosign-compatible encrypted key files.
 * This file parses flags, obtains the password, and writes NAME.key (0600, created with O_EXCL
 * unless --force) and NAME.pub (0644). Key handling and encryption are crypto/'s job.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"

struct keys_opts {
    const char *prefix;
    const char *key; /* import only */
    bool force;
};

static int
write_key_file(const char *path, const char *data, size_t n, mode_t mode, bool force,
               struct vg_err **err)
{
    if (force) {
        return vg_file_write_atomic(path, data, n, mode, err);
    }
    struct vg_err *e = NULL;
    if (vg_file_write_exclusive(path, data, n, mode, &e) < 0) {
        if (e->sys_errno != EEXIST) {
            int rc = -(int)e->code;
            *err = e;
            return rc;
        }
        vg_err_free(&e);
        return vg_err_set(err, VG_E_USAGE, "%s already exists (use --force to overwrite)", path);
    }
    return 0;
}

/* Encrypts key with a freshly asked password and writes PREFIX.key and PREFIX.pub. */
static int
write_pair(const struct vg_crypto_key *key, const struct keys_opts *o, struct vg_err **err)
{
    vg_autofree char *keypath = vg_fmt("%s.key", o->prefix);
    vg_autofree char *pubpath = vg_fmt("%s.pub", o->prefix);
    if (!o->force) {
        /* Fail before asking for a password or writing anything. */
        const char *existing = vg_path_exists(keypath)   ? keypath
                               : vg_path_exists(pubpath) ? pubpath
                                                         : NULL;
        if (existing) {
            return vg_err_set(err, VG_E_USAGE, "%s already exists (use --force to overwrite)",
                              existing);
        }
    }
    vg_autosecret struct vg_secret *pw = NULL;
    int rc = vg_crypto_password_ask(&pw, vg_cli_password(), true, err);
    if (rc < 0) {
        return rc;
    }
    vg_autofree char *enc = NULL;
    vg_autofree char *pub = NULL;
    size_t enclen = 0;
    if ((rc = vg_crypto_key_encrypt(key, pw, &enc, &enclen, err)) < 0 ||
        (rc = vg_crypto_key_public_pem(key, &pub, err)) < 0) {
        return rc;
    }
    if ((rc = write_key_file(keypath, enc, enclen, 0600, o->force, err)) < 0) {
        return rc;
    }
    if ((rc = write_key_file(pubpath, pub, strlen(pub), 0644, o->force, err)) < 0) {
        if (!o->force) {
            unlink(keypath);
        }
        return rc;
    }
    fprintf(stderr, "Private key written to %s\nPublic key written to %s\n", keypath, pubpath);
    return 0;
}

static const struct option keys_longopts[] = {
    {"output-key-prefix", required_argument, NULL, 'o'},
    {"key", required_argument, NULL, 'k'},
    {"force", no_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char generate_help[] =
    "Usage: vigil generate-key-pair [--output-key-prefix NAME] [--force]\n"
    "\n"
    "Creates an ECDSA P-256 key pair in cosign's format: NAME.key (encrypted with scrypt +\n"
    "nacl/secretbox, mode 0600) and NAME.pub (PEM public key). NAME defaults to 'cosign'.\n"
    "\n"
    "Password: $VIGIL_PASSWORD or $COSIGN_PASSWORD when set (even empty), else asked twice on\n"
    "the terminal, else read from standard input.\n"
    "\n"
    "Options:\n"
    "  --output-key-prefix NAME  file name prefix (default cosign)\n"
    "  --force                   overwrite existing NAME.key / NAME.pub\n"
    "\n"
    "Examples:\n"
    "  vigil generate-key-pair\n"
    "  COSIGN_PASSWORD=s3cret vigil generate-key-pair --output-key-prefix release\n";

static const char import_help[] =
    "Usage: vigil import-key-pair --key FILE [--output-key-prefix NAME] [--force]\n"
    "\n"
    "Encrypts an existing PEM private key in cosign's format. Accepted: RSA PRIVATE KEY\n"
    "(PKCS#1), EC PRIVATE KEY (SEC1) and PRIVATE KEY (PKCS#8): RSA 2048-4096 bits, ECDSA\n"
    "P-256/P-384/P-521, Ed25519. Writes NAME.key and NAME.pub (NAME defaults to\n"
    "'import-cosign'). Password sources as for generate-key-pair.\n"
    "\n"
    "Options:\n"
    "  --key FILE                the PEM private key to import\n"
    "  --output-key-prefix NAME  file name prefix (default import-cosign)\n"
    "  --force                   overwrite existing NAME.key / NAME.pub\n"
    "\n"
    "Examples:\n"
    "  vigil import-key-pair --key ec.pem --output-key-prefix imported\n";

/* Returns -1 to continue, or an exit code. */
static int
parse_keys_opts(int argc, char **argv, struct keys_opts *o, const char *help, bool want_key)
{
    const char *cmd = argv[0];
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", keys_longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            o->prefix = optarg;
            break;
        case 'k':
            if (!want_key) {
                return vg_cli_usage(cmd, "unknown option --key");
            }
            o->key = optarg;
            break;
        case 'f':
            o->force = true;
            break;
        case 'h':
            fputs(help, stdout);
            return VG_EXIT_OK;
        default:
            return vg_cli_usage(cmd, "invalid option");
        }
    }
    if (optind != argc) {
        return vg_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    }
    if (want_key && !o->key) {
        return vg_cli_usage(cmd, "--key is required");
    }
    if (!o->prefix[0]) {
        return vg_cli_usage(cmd, "--output-key-prefix must not be empty");
    }
    return -1;
}

int
cmd_generate_key_pair(int argc, char **argv)
{
    struct keys_opts o = {.prefix = "cosign"};
    int ec = parse_keys_opts(argc, argv, &o, generate_help, false);
    if (ec >= 0) {
        return ec;
    }
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *key = NULL;
    if (vg_crypto_init(&err) < 0 || vg_crypto_key_generate(&key, &err) < 0 ||
        write_pair(key, &o, &err) < 0) {
        return vg_cli_fail(&err, "generate-key-pair");
    }
    return VG_EXIT_OK;
}

int
cmd_import_key_pair(int argc, char **argv)
{
    struct keys_opts o = {.prefix = "import-cosign"};
    int ec = parse_keys_opts(argc, argv, &o, import_help, true);
    if (ec >= 0) {
        return ec;
    }
    struct vg_err *err = NULL;
    vg_autosecret struct vg_secret *pem = NULL;
    vg_autokey struct vg_crypto_key *key = NULL;
    if (vg_crypto_init(&err) < 0) {
        return vg_cli_fail(&err, "import-key-pair");
    }
    if (vg_secret_read_file(&pem, o.key, VG_CRYPTO_KEY_FILE_MAX, &err) < 0 ||
        vg_crypto_key_import_pem(&key, pem->data, pem->len, &err) < 0) {
        vg_autofree char *ctx = vg_fmt("import-key-pair: %s", o.key);
        return vg_cli_fail(&err, ctx);
    }
    if (write_pair(key, &o, &err) < 0) {
        return vg_cli_fail(&err, "import-key-pair");
    }
    return VG_EXIT_OK;
}
