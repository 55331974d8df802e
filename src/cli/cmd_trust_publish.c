/* SPDX-License-Identifier: Apache-2.0
 *
 * The publishing half of `vigil trust`, docker trust's workflow: `key generate` and `key load`
 * (keys in docker's trust directory, $DOCKER_CONFIG/trust/private), `signer add` and `signer
 * remove` (the targets/<name> and targets/releases delegations), `sign` (a tag's manifest
 * length and SHA-256 into every role the trust directory can sign) and `revoke`. The TUF work
 * and the POST to the notary server are tuf/'s (publish.c); this file resolves references to
 * GUNs and servers (cmd_trust.c's rules), reads public keys, finds passphrases and renders.
 *
 * Passphrases: docker's variables, then notary's (DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE /
 * NOTARY_ROOT_PASSPHRASE for root keys; DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE, then
 * NOTARY_TARGETS_/SNAPSHOT_/DELEGATION_PASSPHRASE for the others), else a prompt when standard
 * input is a terminal, else an error naming the variables.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "oci/oci.h"
#include "sign/sign.h"
#include "oci/remote.h"
#include "tuf/tuf.h"

static const char key_help[] =
    "Usage: vigil trust key generate NAME [--dir DIR] [--format text|json]\n"
    "       vigil trust key load FILE [--name NAME] [--format text|json]\n"
    "\n"
    "generate makes an ECDSA P-256 signing key: the private key goes to docker's trust\n"
    "directory ($DOCKER_CONFIG/trust/private/<key id>.key, default ~/.docker/trust), PEM\n"
    "ENCRYPTED PRIVATE KEY with a \"role: NAME\" header, as docker trust key generate writes\n"
    "it; the public key to DIR/NAME.pub (default: the current directory). load imports a PEM\n"
    "private key (PKCS#8, encrypted or not, or SEC1 / PKCS#1) under the role NAME (default\n"
    "\"signer\"), encrypted again with NAME's passphrase.\n"
    "\n"
    "Passphrases: $DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE, else $NOTARY_DELEGATION_PASSPHRASE\n"
    "(root keys: $DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE, $NOTARY_ROOT_PASSPHRASE), else a prompt\n"
    "on a terminal.\n"
    "\n"
    "Examples:\n"
    "  vigil trust key generate alice --dir ~/keys\n"
    "  vigil trust key load alice.key --name alice\n"
    "\n"
    "Exit codes: 0 done, 2 usage (bad NAME, NAME.pub exists), 3 runtime, 4 FILE not found,\n"
    "5 wrong passphrase, 6 malformed or unsupported key file.\n";

static const char signer_help[] =
    "Usage: vigil trust signer add --key PUB [--key PUB...] NAME REPO... [--format text|json]\n"
    "       vigil trust signer remove [--force] NAME REPO... [--format text|json]\n"
    "       (both also take " VG_CLI_USAGE_REGISTRY ")\n"
    "\n"
    "add gives the public key(s) PUB (PEM PUBLIC KEY or CERTIFICATE, e.g. from trust key\n"
    "generate) to the signer NAME of each repository: the targets/NAME and targets/releases\n"
    "delegations (paths: all), signed with the repository (targets) key from the trust\n"
    "directory. A repository without trust data is initialised first: a root key (the trust\n"
    "directory's, else a new one) behind a certificate naming the GUN, a new repository key,\n"
    "the server's timestamp and snapshot keys. remove deletes targets/NAME and takes its keys\n"
    "out of targets/releases (--force when they are the last keys of targets/releases).\n"
    "\n"
    "Examples:\n"
    "  vigil trust signer add --key alice.pub alice registry.example.com/team/app\n"
    "  vigil trust signer remove alice registry.example.com/team/app\n"
    "\n"
    "Exit codes: 0 done, 1 the trust data does not verify or the server refused the update,\n"
    "2 usage, 3 runtime, 4 no such signer / no repository key, 5 wrong passphrase or\n"
    "refused by the server's authentication, 6 malformed key, 7 network.\n";

static const char sign_help[] =
    "Usage: vigil trust sign IMAGE:TAG [--format text|json] " VG_CLI_USAGE_REGISTRY "\n"
    "       vigil trust revoke IMAGE[:TAG] [--yes] [--format text|json] " VG_CLI_USAGE_REGISTRY "\n"
    "\n"
    "sign publishes the tag's manifest (SHA-256 and length, read from the registry) to the\n"
    "repository's notary server, as docker trust sign: into every delegation directly under\n"
    "targets (targets/releases and the signers' roles) whose key is in the trust directory, or\n"
    "into targets when the repository has no delegations (a repository without trust data is\n"
    "initialised first). revoke removes the tag (without TAG: every tag, with --yes) from the\n"
    "roles the trust directory can sign.\n"
    "\n"
    "Examples:\n"
    "  vigil trust sign registry.example.com/team/app:1.4\n"
    "  vigil trust revoke registry.example.com/team/app:1.3\n"
    "\n"
    "Exit codes: 0 done, 1 the trust data does not verify or the server refused the update,\n"
    "2 usage, 3 runtime, 4 no such tag / no signing key, 5 wrong passphrase or authentication,\n"
    "6 malformed input, 7 network.\n";

/* ---------------------------------------------------------------- passphrases */

static const char *
env_first(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (v && *v) {
        return v;
    }
    v = getenv(b);
    return v && *v ? v : NULL;
}

static int
dct_pass(struct vg_secret **out, const char *role, const char *keyid, bool create, void *payload,
         struct vg_err **err)
{
    (void)payload;
    const char *docker = strcmp(role, "root") == 0 ? "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE"
                                                   : "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE";
    const char *notary = strcmp(role, "root") == 0       ? "NOTARY_ROOT_PASSPHRASE"
                         : strcmp(role, "targets") == 0  ? "NOTARY_TARGETS_PASSPHRASE"
                         : strcmp(role, "snapshot") == 0 ? "NOTARY_SNAPSHOT_PASSPHRASE"
                                                         : "NOTARY_DELEGATION_PASSPHRASE";
    const char *v = env_first(docker, notary);
    if (v) {
        if (strlen(v) > VG_CRYPTO_PASSWORD_MAX) {
            return vg_err_set(err, VG_E_LIMIT, "passphrase longer than %u bytes",
                              VG_CRYPTO_PASSWORD_MAX);
        }
        *out = vg_secret_new(v, strlen(v));
        return 0;
    }
    if (!isatty(STDIN_FILENO)) {
        return vg_err_set(err, VG_E_USAGE,
                          "no passphrase for the %s key %.7s: set %s (or %s), or run on a "
                          "terminal",
                          *role ? role : "imported", keyid, docker, notary);
    }
    vg_autofree char *prompt =
        vg_fmt("Enter passphrase for %s%s key with ID %.7s: ", create ? "new " : "",
               *role ? role : "imported", keyid);
    return vg_cli_password_prompt(out, prompt, create, err);
}

static const struct vg_tuf_pass dct_pass_src = {dct_pass, NULL};

/* ---------------------------------------------------------------- shared */

static bool
signer_name_ok(const char *s)
{
    /* docker: ^[a-z0-9][a-z0-9\_\-]*$ */
    if (!*s || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')) || strlen(s) > 64) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')) {
            return false;
        }
    }
    return true;
}

static int
parse_format(const char *arg, bool *json)
{
    if (strcmp(arg, "json") == 0) {
        *json = true;
    } else if (strcmp(arg, "text") == 0) {
        *json = false;
    } else {
        return -1;
    }
    return 0;
}

static void
print_json(json_t *j)
{
    vg_autofree char *s = vg_json_dump(j, true);
    printf("%s\n", s ? s : "{}");
    json_decref(j);
}

/* Maps a publishing error to an exit code: trust data that does not verify and a server that
 * refuses the update are negative results (1), as in trust inspect. */
static int
fail(struct vg_err **err, const char *ctx)
{
    if (vg_err_is(*err, VG_E_VERIFY)) {
        vg_autofree char *msg = vg_err_format(*err);
        vg_err_free(err);
        fprintf(stderr, "vigil: error: %s: %s\n", ctx, msg);
        return VG_EXIT_NEGATIVE;
    }
    return vg_cli_fail(err, ctx);
}

struct repo_ctx {
    struct vg_sign_dct_creds_ctx creds;
    struct vg_oci_ref *ref;
    char *gun;
    struct vg_tuf_repo *repo;
};

static void
repo_dispose(struct repo_ctx *c)
{
    vg_tuf_repo_free(c->repo);
    free(c->gun);
    vg_oci_ref_free(c->ref);
    memset(c, 0, sizeof(*c));
}

static int
repo_open(struct repo_ctx *c, const char *image, const struct vg_oci_open_opts *open,
          struct vg_err **err)
{
    memset(c, 0, sizeof(*c));
    if (vg_oci_ref_parse(&c->ref, image, err) < 0) {
        return -1;
    }
    c->gun = vg_oci_ref_name(c->ref);
    vg_autofree char *server = vg_cli_dct_server(c->ref);
    vg_autofree char *ca = vg_cstr_startswith(server, "https://") ? vg_cli_dct_ca(server) : NULL;
    struct vg_tuf_notary_opts no = {
        .server = server,
        .gun = c->gun,
        .ca_file = ca ? ca : open->ca_file,
        .insecure = open->insecure,
        .deadline_ns = open->deadline_ns,
        .creds = vg_sign_dct_creds,
        .plain_http_realm = open->plain_http,
        .creds_payload = &c->creds,
    };
    c->creds = (struct vg_sign_dct_creds_ctx){c->ref->registry, open};
    return vg_tuf_repo_open(&c->repo, &no, &dct_pass_src, err);
}

/* ---------------------------------------------------------------- key generate / load */

static int
write_pub(const char *path, const struct vg_crypto_key *key, const char *name, struct vg_err **err)
{
    vg_autofree uint8_t *der = NULL;
    size_t n = 0;
    if (vg_crypto_key_public_der(key, &der, &n, err) < 0) {
        return -1;
    }
    vg_autofree char *b64 = vg_base64_encode(der, n);
    struct vg_buf b = VG_BUF_INIT(64 * 1024);
    int rc = vg_buf_appendf(&b, err, "-----BEGIN PUBLIC KEY-----\nrole: %s\n\n", name);
    for (size_t i = 0, len = strlen(b64); rc == 0 && i < len; i += 64) {
        rc = vg_buf_appendf(&b, err, "%.*s\n", (int)(len - i < 64 ? len - i : 64), b64 + i);
    }
    if (rc == 0) {
        rc = vg_buf_append_str(&b, "-----END PUBLIC KEY-----\n", err);
    }
    if (rc == 0) {
        rc = vg_file_write_exclusive(path, b.data, b.len, 0644, err);
    }
    vg_buf_dispose(&b);
    return rc;
}

static int
key_generate(const char *name, const char *dir, bool json)
{
    struct vg_err *err = NULL;
    vg_autofree char *ctx = vg_fmt("trust key generate %s", name);
    vg_autofree char *pub = vg_fmt("%s/%s.pub", dir ? dir : ".", name);
    if (vg_path_exists(pub)) {
        return vg_cli_usage("trust", "public key file already exists: \"%s\"", pub);
    }
    vg_autofree char *trust_dir = vg_tuf_notary_trust_dir();
    vg_autokey struct vg_crypto_key *k = NULL;
    vg_autosecret struct vg_secret *pw = NULL;
    char id[65];
    if (!json) {
        fprintf(stderr, "Generating key for %s...\n", name);
    }
    if (vg_crypto_key_generate(&k, &err) < 0 || vg_tuf_key_id(id, k, &err) < 0 ||
        dct_pass(&pw, name, id, true, NULL, &err) < 0 ||
        vg_tuf_keystore_put(NULL, trust_dir, k, name, NULL, pw, &err) < 0 ||
        write_pub(pub, k, name, &err) < 0) {
        return vg_cli_fail(&err, ctx);
    }
    if (json) {
        json_t *j = json_object();
        vg_json_set_str(j, "name", name);
        vg_json_set_str(j, "keyID", id);
        vg_json_set_str(j, "publicKey", pub);
        vg_autofree char *priv = vg_fmt("%s/private/%s.key", trust_dir, id);
        vg_json_set_str(j, "privateKey", priv);
        print_json(j);
    } else {
        printf("Successfully generated and loaded private key. Corresponding public key "
               "available: %s\n",
               pub);
    }
    return VG_EXIT_OK;
}

static int
read_private(struct vg_crypto_key **out, const char *path, struct vg_err **err)
{
    vg_autosecret struct vg_secret *raw = NULL;
    if (vg_secret_read_file(&raw, path, VG_TUF_KEYFILE_MAX_BYTES, err) < 0) {
        return -1;
    }
    /* PKCS#8, or SEC1 / PKCS#1 (plain or with legacy PEM encryption) as docker also loads */
    struct vg_tuf_keyfile kf;
    if (vg_tuf_keyfile_parse(&kf, raw->data, raw->len, err) < 0) {
        return -1;
    }
    if (kf.role && strcmp(kf.role, "root") == 0) {
        vg_tuf_keyfile_dispose(&kf);
        return vg_err_set(err, VG_E_USAGE, "%s is a root key: load signing (delegation) keys only",
                          path);
    }
    int rc = vg_tuf_keyfile_key(out, &kf, "", &dct_pass_src, err);
    vg_tuf_keyfile_dispose(&kf);
    return rc;
}

static int
key_load(const char *file, const char *name, bool json)
{
    struct vg_err *err = NULL;
    vg_autofree char *ctx = vg_fmt("trust key load %s", file);
    if (!signer_name_ok(name) || strcmp(name, "releases") == 0) {
        return vg_cli_usage("trust",
                            "key name \"%s\" must match ^[a-z0-9][a-z0-9_-]*$ and not "
                            "be \"releases\"",
                            name);
    }
    vg_autofree char *trust_dir = vg_tuf_notary_trust_dir();
    vg_autokey struct vg_crypto_key *k = NULL;
    vg_autosecret struct vg_secret *pw = NULL;
    char id[65];
    if (!json) {
        fprintf(stderr, "Loading key from \"%s\"...\n", file);
    }
    if (read_private(&k, file, &err) < 0) {
        return vg_cli_fail(&err, ctx);
    }
    if (vg_crypto_key_type(k) != VG_KEY_ECDSA_P256 && vg_crypto_key_type(k) != VG_KEY_ED25519 &&
        vg_crypto_key_type(k) != VG_KEY_RSA) {
        return vg_cli_usage("trust",
                            "%s: a %s key cannot sign notary metadata (ECDSA P-256, "
                            "Ed25519 or RSA)",
                            file, vg_crypto_key_describe(k));
    }
    if (vg_tuf_key_id(id, k, &err) < 0 || dct_pass(&pw, name, id, true, NULL, &err) < 0 ||
        vg_tuf_keystore_put(NULL, trust_dir, k, name, NULL, pw, &err) < 0) {
        return vg_cli_fail(&err, ctx);
    }
    if (json) {
        json_t *j = json_object();
        vg_json_set_str(j, "name", name);
        vg_json_set_str(j, "keyID", id);
        print_json(j);
    } else {
        printf("Successfully imported key from %s\n", file);
    }
    return VG_EXIT_OK;
}

static int
trust_key(int argc, char **argv)
{
    enum { OPT_DIR = 1, OPT_NAME, OPT_FORMAT, OPT_HELP };
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, OPT_DIR},
        {"name", required_argument, NULL, OPT_NAME},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *name = NULL;
    bool json = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == OPT_DIR) {
            dir = optarg;
        } else if (c == OPT_NAME) {
            name = optarg;
        } else if (c == OPT_FORMAT) {
            if (parse_format(optarg, &json) < 0) {
                return vg_cli_usage("trust", "--format: text or json, not '%s'", optarg);
            }
        } else if (c == 'h' || c == OPT_HELP) {
            fputs(key_help, stdout);
            return VG_EXIT_OK;
        } else {
            return vg_cli_usage("trust", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2) {
        return vg_cli_usage("trust", "key: want generate NAME or load FILE");
    }
    const char *verb = argv[optind], *arg = argv[optind + 1];
    if (strcmp(verb, "generate") == 0 && !name) {
        if (!signer_name_ok(arg) || strcmp(arg, "releases") == 0) {
            return vg_cli_usage("trust",
                                "key name \"%s\" must match ^[a-z0-9][a-z0-9_-]*$ and "
                                "not be \"releases\"",
                                arg);
        }
        return key_generate(arg, dir, json);
    }
    if (strcmp(verb, "load") == 0 && !dir) {
        return key_load(arg, name ? name : "signer", json);
    }
    return vg_cli_usage("trust", "key: want generate NAME [--dir DIR] or load FILE [--name NAME]");
}

/* ---------------------------------------------------------------- signer add / remove */

struct pubkeys {
    char **types, **values;
    size_t ntypes, n;
};

static void
pubkeys_dispose(struct pubkeys *p)
{
    vg_strv_free(p->types, p->ntypes);
    vg_strv_free(p->values, p->n);
}

/* Drops the "role: NAME" style header lines docker writes after BEGIN (up to the blank line),
 * which the PEM readers of crypto/ do not take. */
static void
strip_pem_headers(struct vg_buf *b)
{
    char *begin = memmem(b->data, b->len, "-----BEGIN ", 11);
    char *eol = begin ? memchr(begin, '\n', b->len - (size_t)((uint8_t *)begin - b->data)) : NULL;
    if (!eol) {
        return;
    }
    char *first = eol + 1;
    char *end = (char *)b->data + b->len;
    char *colon = memchr(first, ':', (size_t)(end - first));
    char *next_nl = memchr(first, '\n', (size_t)(end - first));
    if (!colon || !next_nl || colon > next_nl) {
        return;
    }
    char *blank = memmem(first, (size_t)(end - first), "\n\n", 2);
    if (!blank) {
        return;
    }
    blank += 2;
    memmove(first, blank, (size_t)(end - blank));
    b->len -= (size_t)(blank - first);
    b->data[b->len] = '\0';
}

static int
read_public(struct pubkeys *p, const char *path, struct vg_err **err)
{
    struct vg_buf b = VG_BUF_INIT(VG_X509_DER_MAX * 2);
    if (vg_file_read(&b, path, VG_X509_DER_MAX * 2, err) < 0) {
        return vg_err_wrap(err, "read %s", path);
    }
    strip_pem_headers(&b);
    int rc = 0;
    vg_autofree char *kt = NULL;
    vg_autofree char *val = NULL;
    if (memmem(b.data, b.len, "-----BEGIN CERTIFICATE-----", 27)) {
        vg_autox509 struct vg_x509 *x = NULL;
        vg_autokey struct vg_crypto_key *k = NULL;
        rc = vg_x509_parse(&x, b.data, b.len, err);
        if (rc == 0) {
            rc = vg_x509_public_key(&k, x, err);
        }
        if (rc == 0) {
            size_t n = 0;
            const uint8_t *der = vg_x509_der(x, &n);
            vg_autofree char *b64 = vg_base64_encode(der, n);
            struct vg_buf pem = VG_BUF_INIT(VG_X509_DER_MAX * 2);
            rc = vg_buf_append_str(&pem, "-----BEGIN CERTIFICATE-----\n", err);
            for (size_t i = 0, len = strlen(b64); rc == 0 && i < len; i += 64) {
                rc = vg_buf_appendf(&pem, err, "%.*s\n", (int)(len - i < 64 ? len - i : 64),
                                    b64 + i);
            }
            if (rc == 0) {
                rc = vg_buf_append_str(&pem, "-----END CERTIFICATE-----\n", err);
            }
            kt = vg_strdup(vg_crypto_key_type(k) == VG_KEY_RSA ? "rsa-x509" : "ecdsa-x509");
            val = rc == 0 ? vg_base64_encode(pem.data, pem.len) : NULL;
            vg_buf_dispose(&pem);
        }
    } else {
        vg_autokey struct vg_crypto_key *k = NULL;
        rc = vg_crypto_key_load_public(&k, b.data, b.len, err);
        if (rc == 0) {
            rc = vg_tuf_key_public(&kt, &val, k, err);
        }
    }
    vg_buf_dispose(&b);
    if (rc < 0) {
        return vg_err_wrap(err, "public key %s", path);
    }
    vg_strv_push(&p->types, &p->ntypes, kt);
    vg_strv_push(&p->values, &p->n, val);
    return 0;
}

static void
list_ids(void *payload, const char *role, const char *const *ids, size_t n)
{
    json_t *out = payload;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, json_string(ids[i]));
    }
    vg_json_set_take(out, role, arr);
}

static int
signer_add_one(const char *name, const char *image, const struct pubkeys *keys,
               const struct vg_oci_open_opts *open, bool json, json_t *out)
{
    struct vg_err *err = NULL;
    vg_autofree char *ctx = vg_fmt("trust signer add %s %s", name, image);
    struct repo_ctx c;
    bool created = false;
    if (repo_open(&c, image, open, &err) < 0) {
        repo_dispose(&c);
        return fail(&err, ctx);
    }
    if (!vg_tuf_repo_exists(c.repo)) {
        if (!json) {
            fprintf(stderr, "Initializing signed repository for %s...\n", c.gun);
        }
        created = true;
    }
    if (!json) {
        fprintf(stderr, "Adding signer \"%s\" to %s...\n", name, c.gun);
    }
    vg_autofree char *role = vg_fmt("targets/%s", name);
    const char *const *t = (const char *const *)keys->types;
    const char *const *v = (const char *const *)keys->values;
    int rc = vg_tuf_repo_init(c.repo, &err);
    if (rc == 0) {
        rc = vg_tuf_repo_delegation_add(c.repo, role, t, v, keys->n, &err);
    }
    if (rc == 0) {
        rc = vg_tuf_repo_delegation_add(c.repo, "targets/releases", t, v, keys->n, &err);
    }
    if (rc == 0) {
        rc = vg_tuf_repo_publish(c.repo, &err);
    }
    if (rc < 0) {
        repo_dispose(&c);
        return fail(&err, ctx);
    }
    if (json) {
        json_t *j = json_object();
        vg_json_set_str(j, "repository", c.gun);
        vg_json_set_str(j, "signer", name);
        json_object_set_new(j, "initialized", json_boolean(created));
        json_t *roles = json_object();
        vg_tuf_repo_each_delegation(c.repo, list_ids, roles);
        vg_json_set_take(j, "delegations", roles);
        json_array_append_new(out, j);
    } else {
        printf("Successfully added signer: %s to %s\n", name, c.gun);
    }
    repo_dispose(&c);
    return VG_EXIT_OK;
}

static int
signer_remove_one(const char *name, const char *image, bool force,
                  const struct vg_oci_open_opts *open, bool json, json_t *out)
{
    struct vg_err *err = NULL;
    vg_autofree char *ctx = vg_fmt("trust signer remove %s %s", name, image);
    struct repo_ctx c;
    if (repo_open(&c, image, open, &err) < 0) {
        repo_dispose(&c);
        return fail(&err, ctx);
    }
    if (!vg_tuf_repo_exists(c.repo)) {
        fprintf(stderr, "vigil: error: %s: no trust data for %s\n", ctx, c.gun);
        repo_dispose(&c);
        return VG_EXIT_NOTFOUND;
    }
    if (!json) {
        fprintf(stderr, "Removing signer \"%s\" from %s...\n", name, c.gun);
    }
    vg_autofree char *role = vg_fmt("targets/%s", name);
    char **ids = NULL;
    size_t n = 0, left = 1;
    int rc = vg_tuf_repo_delegation_remove(c.repo, role, &ids, &n, &err);
    if (rc == 0) {
        struct vg_err *e = NULL;
        if (vg_tuf_repo_delegation_remove_keys(c.repo, "targets/releases", ids, n, &left, &e) < 0) {
            vg_err_free(&e); /* no targets/releases: nothing to take the keys from */
            left = 1;
        }
    }
    vg_strv_free(ids, n);
    if (rc == 0 && left == 0 && !force) {
        fprintf(stderr,
                "vigil: error: %s: %s holds the last keys of targets/releases: no one could sign "
                "releases any more; pass --force to remove it anyway\n",
                ctx, name);
        repo_dispose(&c);
        return VG_EXIT_USAGE;
    }
    if (rc == 0) {
        rc = vg_tuf_repo_publish(c.repo, &err);
    }
    if (rc < 0) {
        repo_dispose(&c);
        return fail(&err, ctx);
    }
    if (json) {
        json_t *j = json_object();
        vg_json_set_str(j, "repository", c.gun);
        vg_json_set_str(j, "removed", name);
        json_array_append_new(out, j);
    } else {
        printf("Successfully removed %s from %s\n", name, c.gun);
    }
    repo_dispose(&c);
    return VG_EXIT_OK;
}

static int
trust_signer(int argc, char **argv)
{
    enum { OPT_KEY = 1, OPT_FORCE, OPT_FORMAT, OPT_HELP };
    static const struct option longopts[] = {
        {"key", required_argument, NULL, OPT_KEY},       {"force", no_argument, NULL, OPT_FORCE},
        {"format", required_argument, NULL, OPT_FORMAT}, VG_CLI_REGISTRY_LONGOPTS,
        {"help", no_argument, NULL, OPT_HELP},           {NULL, 0, NULL, 0},
    };
    struct vg_oci_open_opts open = VG_OCI_OPEN_OPTS_INIT;
    char **pubs = NULL;
    size_t npubs = 0;
    bool json = false, force = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &open)) {
            continue;
        }
        if (c == OPT_KEY) {
            vg_strv_push(&pubs, &npubs, optarg);
        } else if (c == OPT_FORCE || c == 'f') {
            force = true;
        } else if (c == OPT_FORMAT) {
            if (parse_format(optarg, &json) < 0) {
                vg_strv_free(pubs, npubs);
                return vg_cli_usage("trust", "--format: text or json, not '%s'", optarg);
            }
        } else if (c == 'h' || c == OPT_HELP) {
            vg_strv_free(pubs, npubs);
            fputs(signer_help, stdout);
            return VG_EXIT_OK;
        } else {
            vg_strv_free(pubs, npubs);
            return vg_cli_usage("trust", "unknown option '%s'", argv[optind - 1]);
        }
    }
    int code = VG_EXIT_OK;
    bool add = optind < argc && strcmp(argv[optind], "add") == 0;
    bool remove = optind < argc && strcmp(argv[optind], "remove") == 0;
    const char *name = argc - optind >= 2 ? argv[optind + 1] : "";
    struct pubkeys keys = {0};
    if ((!add && !remove) || argc - optind < 3) {
        code = vg_cli_usage("trust", "signer: want add --key PUB NAME REPO... or remove NAME "
                                     "REPO...");
    } else if (!signer_name_ok(name) || strcmp(name, "releases") == 0) {
        code = vg_cli_usage("trust",
                            "signer name \"%s\" must match ^[a-z0-9][a-z0-9_-]*$ and "
                            "not be \"releases\" (reserved)",
                            name);
    } else if (add && npubs == 0) {
        code = vg_cli_usage("trust", "signer add: --key PUB is required");
    } else if (remove && npubs > 0) {
        code = vg_cli_usage("trust", "signer remove takes no --key");
    }
    for (size_t i = 0; code == VG_EXIT_OK && i < npubs; i++) {
        struct vg_err *err = NULL;
        if (read_public(&keys, pubs[i], &err) < 0) {
            code = vg_cli_fail(&err, "trust signer add");
        }
    }
    json_t *out = json_array();
    for (int i = optind + 2; code == VG_EXIT_OK && i < argc; i++) {
        int rc = add ? signer_add_one(name, argv[i], &keys, &open, json, out)
                     : signer_remove_one(name, argv[i], force, &open, json, out);
        code = code ? code : rc;
    }
    if (json && code == VG_EXIT_OK) {
        print_json(out);
    } else {
        json_decref(out);
    }
    pubkeys_dispose(&keys);
    vg_strv_free(pubs, npubs);
    return code;
}

/* ---------------------------------------------------------------- sign / revoke */

static int
trust_sign(int argc, char **argv)
{
    enum { OPT_FORMAT = 1, OPT_HELP };
    static const struct option longopts[] = {
        {"format", required_argument, NULL, OPT_FORMAT},
        VG_CLI_REGISTRY_LONGOPTS,
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    struct vg_oci_open_opts open = VG_OCI_OPEN_OPTS_INIT;
    bool json = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &open)) {
            continue;
        }
        if (c == OPT_FORMAT) {
            if (parse_format(optarg, &json) < 0) {
                return vg_cli_usage("trust", "--format: text or json, not '%s'", optarg);
            }
        } else if (c == 'h' || c == OPT_HELP) {
            fputs(sign_help, stdout);
            return VG_EXIT_OK;
        } else {
            return vg_cli_usage("trust", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1) {
        return vg_cli_usage("trust", "sign: want one IMAGE:TAG");
    }
    const char *image = argv[optind];
    struct vg_err *err = NULL;
    vg_autofree char *ctx = vg_fmt("trust sign %s", image);
    struct repo_ctx rc_;
    struct vg_oci_remote_client *rc = NULL;
    struct vg_oci_remote_manifest m = {0};
    char **roles = NULL;
    size_t nroles = 0;
    int code = VG_EXIT_OK;
    if (repo_open(&rc_, image, &open, &err) < 0) {
        code = fail(&err, ctx);
        goto out;
    }
    if (!rc_.ref->tag || rc_.ref->digest || rc_.ref->tag_implied) {
        code = vg_cli_usage("trust", "sign needs IMAGE:TAG (content trust signs tags)");
        goto out;
    }
    if (!json) {
        fprintf(stderr, "Signing and pushing trust metadata for %s:%s\n", rc_.gun, rc_.ref->tag);
    }
    uint8_t sha[32];
    if (!(rc = vg_oci_remote_client_new(rc_.ref, &open, &err)) ||
        vg_oci_remote_manifest_get(rc, rc_.ref->tag, &m, &err) < 0) {
        code = vg_cli_fail(&err, ctx);
        goto out;
    }
    vg_sha256_raw(sha, m.data, m.len);
    if (vg_tuf_repo_init(rc_.repo, &err) < 0 ||
        vg_tuf_repo_signable_roles(&roles, &nroles, rc_.repo, rc_.ref->tag, &err) < 0) {
        code = fail(&err, ctx);
        goto out;
    }
    for (size_t i = 0; i < nroles; i++) {
        if (vg_tuf_repo_target_add(rc_.repo, roles[i], rc_.ref->tag, sha, m.len, &err) < 0) {
            code = fail(&err, ctx);
            goto out;
        }
    }
    if (vg_tuf_repo_publish(rc_.repo, &err) < 0) {
        code = fail(&err, ctx);
        goto out;
    }
    if (json) {
        json_t *j = json_object();
        vg_json_set_str(j, "repository", rc_.gun);
        vg_json_set_str(j, "tag", rc_.ref->tag);
        vg_json_set_str(j, "digest", m.digest.text);
        json_object_set_new(j, "size", json_integer((json_int_t)m.len));
        json_t *r = json_array();
        for (size_t i = 0; i < nroles; i++) {
            json_array_append_new(r, json_string(roles[i]));
        }
        vg_json_set_take(j, "roles", r);
        print_json(j);
    } else {
        printf("Successfully signed %s:%s (%s)\n", rc_.gun, rc_.ref->tag, m.digest.text);
    }
out:
    vg_strv_free(roles, nroles);
    vg_oci_remote_manifest_dispose(&m);
    vg_oci_remote_client_free(rc);
    repo_dispose(&rc_);
    return code;
}

static int
trust_revoke(int argc, char **argv)
{
    enum { OPT_YES = 1, OPT_FORMAT, OPT_HELP };
    static const struct option longopts[] = {
        {"yes", no_argument, NULL, OPT_YES},
        {"format", required_argument, NULL, OPT_FORMAT},
        VG_CLI_REGISTRY_LONGOPTS,
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    struct vg_oci_open_opts open = VG_OCI_OPEN_OPTS_INIT;
    bool json = false, yes = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "yh", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &open)) {
            continue;
        }
        if (c == OPT_YES || c == 'y') {
            yes = true;
        } else if (c == OPT_FORMAT) {
            if (parse_format(optarg, &json) < 0) {
                return vg_cli_usage("trust", "--format: text or json, not '%s'", optarg);
            }
        } else if (c == 'h' || c == OPT_HELP) {
            fputs(sign_help, stdout);
            return VG_EXIT_OK;
        } else {
            return vg_cli_usage("trust", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1) {
        return vg_cli_usage("trust", "revoke: want one IMAGE[:TAG]");
    }
    const char *image = argv[optind];
    struct vg_err *err = NULL;
    vg_autofree char *ctx = vg_fmt("trust revoke %s", image);
    struct repo_ctx r;
    char **roles = NULL;
    size_t nroles = 0, removed = 0;
    int code = VG_EXIT_OK;
    if (repo_open(&r, image, &open, &err) < 0) {
        code = fail(&err, ctx);
        goto out;
    }
    const char *tag = r.ref->tag_implied ? NULL : r.ref->tag;
    if (r.ref->digest) {
        code = vg_cli_usage("trust", "revoke takes IMAGE or IMAGE:TAG, not a digest");
        goto out;
    }
    if (!tag && !yes) {
        code = vg_cli_usage("trust", "revoke %s removes the signatures of every tag: pass --yes",
                            r.gun);
        goto out;
    }
    if (!vg_tuf_repo_exists(r.repo)) {
        fprintf(stderr, "vigil: error: %s: no trust data for %s\n", ctx, r.gun);
        code = VG_EXIT_NOTFOUND;
        goto out;
    }
    if (vg_tuf_repo_signable_roles(&roles, &nroles, r.repo, tag, &err) < 0) {
        code = fail(&err, ctx);
        goto out;
    }
    for (size_t i = 0; i < nroles; i++) {
        removed += vg_tuf_repo_target_remove(r.repo, roles[i], tag);
    }
    if (removed == 0) {
        fprintf(stderr, "vigil: error: %s: no signature for %s%s%s in the roles you can sign\n",
                ctx, r.gun, tag ? ":" : "", tag ? tag : "");
        code = VG_EXIT_NOTFOUND;
        goto out;
    }
    if (vg_tuf_repo_publish(r.repo, &err) < 0) {
        code = fail(&err, ctx);
        goto out;
    }
    if (json) {
        json_t *j = json_object();
        vg_json_set_str(j, "repository", r.gun);
        if (tag) {
            vg_json_set_str(j, "tag", tag);
        }
        json_object_set_new(j, "removed", json_integer((json_int_t)removed));
        print_json(j);
    } else {
        printf("Successfully deleted signature for %s%s%s\n", r.gun, tag ? ":" : "",
               tag ? tag : "");
    }
out:
    vg_strv_free(roles, nroles);
    repo_dispose(&r);
    return code;
}

int
vg_cli_trust_publish(int argc, char **argv)
{
    if (strcmp(argv[0], "key") == 0) {
        return trust_key(argc, argv);
    }
    if (strcmp(argv[0], "signer") == 0) {
        return trust_signer(argc, argv);
    }
    if (strcmp(argv[0], "sign") == 0) {
        return trust_sign(argc, argv);
    }
    return trust_revoke(argc, argv);
}
