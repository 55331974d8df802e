/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil trust inspect` and the Docker Content Trust check behind `vigil verify --dct` (and
 * DOCKER_CONTENT_TRUST=1): an image's GUN is its registry/repository, its notary server
 * $DOCKER_CONTENT_TRUST_SERVER, else https://notary.docker.io for Docker Hub, else
 * https://<registry> (docker's choice), with the server's CA from
 * $DOCKER_CONFIG/tls/<host>/ca.crt when present (docker's layout). The TUF work is tuf/'s;
 * this file maps references to GUNs, compares a tag's signed target with the manifest the
 * registry serves, and renders docker's JSON.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "crypto/crypto.h"
#include "oci/oci.h"
#include "sign/sign.h"
#include "tuf/tuf.h"

static const char trust_help[] =
    "Usage: vigil trust inspect [--pretty] IMAGE...\n"
    "       vigil trust key generate NAME [--dir DIR] | key load FILE [--name NAME]\n"
    "       vigil trust signer add --key PUB NAME REPO... | signer remove NAME REPO...\n"
    "       vigil trust sign IMAGE:TAG | revoke IMAGE[:TAG]\n"
    "       (vigil trust key|signer|sign|revoke --help for each)\n"
    "\n"
    "Docker Content Trust (Notary v1). inspect fetches and verifies the TUF metadata of each\n"
    "IMAGE's repository from its notary server and prints docker trust inspect's JSON: signed\n"
    "tags with their digests and signers, the signers (delegations) and the administrative\n"
    "(root and repository) keys. The root is pinned on first use under\n"
    "$DOCKER_CONFIG/trust/tuf/<gun>/metadata (default ~/.docker/trust), as docker does.\n"
    "\n"
    "Environment: DOCKER_CONTENT_TRUST_SERVER (an https URL; default: https://notary.docker.io\n"
    "for Docker Hub, else https://<registry>), DOCKER_CONFIG. The server's CA may be put in\n"
    "$DOCKER_CONFIG/tls/<host[:port]>/ca.crt.\n"
    "\n"
    "Examples:\n"
    "  vigil trust inspect --pretty registry.example.com/team/app\n"
    "  vigil trust key generate alice && vigil trust signer add --key alice.pub alice \\\n"
    "      registry.example.com/team/app && vigil trust sign registry.example.com/team/app:1.4\n"
    "\n"
    "Exit codes: 0 verified, 1 no valid trust data, 2 usage, 3 runtime, 4 not found,\n"
    "6 malformed metadata, 7 network.\n";

struct dct_ctx {
    struct vg_sign_dct_creds_ctx creds;
    struct vg_oci_ref *ref;
    char *gun;
    struct vg_tuf_notary *notary;
};

static void
dct_dispose(struct dct_ctx *d)
{
    vg_tuf_notary_free(d->notary);
    free(d->gun);
    vg_oci_ref_free(d->ref);
    memset(d, 0, sizeof(*d));
}

char *
vg_cli_dct_server(const struct vg_oci_ref *ref)
{
    return vg_sign_dct_server(ref);
}

char *
vg_cli_dct_ca(const char *server)
{
    return vg_sign_dct_ca(server);
}

static int
dct_open(struct dct_ctx *d, const char *image, const struct vg_oci_open_opts *open,
         struct vg_err **err)
{
    memset(d, 0, sizeof(*d));
    if (vg_oci_ref_parse(&d->ref, image, err) < 0) {
        return -1;
    }
    d->gun = vg_oci_ref_name(d->ref);
    vg_autofree char *server = vg_cli_dct_server(d->ref);
    vg_autofree char *ca = vg_cstr_startswith(server, "https://") ? vg_cli_dct_ca(server) : NULL;
    struct vg_tuf_notary_opts no = {
        .server = server,
        .gun = d->gun,
        .ca_file = ca ? ca : open->ca_file,
        .insecure = open->insecure,
        .deadline_ns = open->deadline_ns,
        .creds = vg_sign_dct_creds,
        .plain_http_realm = open->plain_http,
        .creds_payload = &d->creds,
    };
    d->creds = (struct vg_sign_dct_creds_ctx){d->ref->registry, open};
    return vg_tuf_notary_open(&d->notary, &no, err);
}

/* ---------------------------------------------------------------- verify --dct */

int
vg_cli_dct_verify(const char *image, const struct vg_oci_open_opts *open)
{
    struct vg_err *err = NULL;
    vg_autofree char *ctx = vg_fmt("verify --dct %s", image);
    struct dct_ctx d;
    if (dct_open(&d, image, open, &err) < 0) {
        dct_dispose(&d);
        if (vg_err_is(err, VG_E_VERIFY) || vg_err_root_code(err) == VG_E_NOTFOUND) {
            vg_autofree char *msg = vg_err_format(err);
            vg_err_free(&err);
            fprintf(stderr, "vigil: error: %s: %s\n", ctx, msg);
            return VG_EXIT_NEGATIVE;
        }
        return vg_cli_fail(&err, ctx);
    }
    if (!d.ref->tag || d.ref->digest) {
        dct_dispose(&d);
        return vg_cli_usage("verify", "--dct needs IMAGE:TAG (content trust signs tags)");
    }
    const struct vg_tuf_target *t = NULL;
    const char *role = NULL;
    int code = VG_EXIT_OK;
    struct vg_oci_remote_client *rc = NULL;
    struct vg_oci_remote_manifest m = {0};
    if (vg_tuf_notary_tag(d.notary, d.ref->tag, &t, &role, &err) < 0) {
        if (vg_err_root_code(err) == VG_E_NOTFOUND || vg_err_is(err, VG_E_VERIFY)) {
            vg_autofree char *msg = vg_err_format(err);
            vg_err_free(&err);
            fprintf(stderr, "vigil: error: %s: %s\n", ctx, msg);
            code = VG_EXIT_NEGATIVE;
        } else {
            code = vg_cli_fail(&err, ctx);
        }
    } else if (!(rc = vg_oci_remote_client_new(d.ref, open, &err)) ||
               vg_oci_remote_manifest_get(rc, d.ref->tag, &m, &err) < 0) {
        code = vg_cli_fail(&err, ctx);
    } else if (vg_tuf_target_check(t, m.data, m.len, &err) < 0) {
        vg_autofree char *msg = vg_err_format(err);
        vg_err_free(&err);
        fprintf(stderr,
                "vigil: error: %s: the registry's manifest for tag %s (%s) is not the one "
                "signed in trust data: %s\n",
                ctx, d.ref->tag, m.digest.text, msg);
        code = VG_EXIT_NEGATIVE;
    } else {
        fprintf(stderr,
                "\nDocker Content Trust verification for %s:%s --\n"
                "  - the notary metadata (root, timestamp, snapshot, targets) verified\n"
                "  - tag %s is signed by %s; the registry's manifest matches its length and "
                "hash\n",
                d.gun, d.ref->tag, d.ref->tag,
                strcmp(role, "targets") == 0 || strcmp(role, "targets/releases") == 0
                    ? "the repository key"
                    : role);
        printf("%s:%s@%s\n", d.gun, d.ref->tag, m.digest.text);
    }
    vg_oci_remote_manifest_dispose(&m);
    vg_oci_remote_client_free(rc);
    dct_dispose(&d);
    return code;
}

/* ---------------------------------------------------------------- DOCKER_CONTENT_TRUST=1 */

bool
vg_cli_dct_enabled(void)
{
    const char *v = getenv("DOCKER_CONTENT_TRUST");
    return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

int
vg_cli_dct_pin(char **pinned, const char *image, const struct vg_oci_open_opts *open,
               struct vg_err **err)
{
    static const char *const local[] = {
        "oci:",           "oci-archive:", "docker-archive:", "containers-storage:",
        "docker-daemon:", "dir:",         "ostree:",         "sif:"};
    *pinned = NULL;
    if (!vg_cli_dct_enabled() || vg_path_exists(image)) {
        return 0;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(local); i++) {
        if (vg_cstr_startswith(image, local[i])) {
            return 0; /* not pulled from a registry: content trust does not apply */
        }
    }
    const char *spec = vg_cstr_startswith(image, "docker://") ? image + 9 : image;
    struct dct_ctx d;
    memset(&d, 0, sizeof(d));
    if (vg_oci_ref_parse(&d.ref, spec, err) < 0) {
        return -1;
    }
    if (d.ref->digest) {
        vg_oci_ref_free(d.ref);
        return 0; /* pulled by digest: the content is fixed already, as docker pull */
    }
    vg_oci_ref_free(d.ref);
    const struct vg_tuf_target *t = NULL;
    int rc = dct_open(&d, spec, open, err);
    if (rc == 0 && vg_tuf_notary_tag(d.notary, d.ref->tag, &t, NULL, err) == 0 &&
        !t->hashes.has_sha256) {
        rc = vg_err_set(err, VG_E_VERIFY, "the signed target of %s:%s has no SHA-256", d.gun,
                        d.ref->tag);
    } else if (rc == 0 && t) {
        char hex[65];
        vg_hex_encode(hex, t->hashes.sha256, 32);
        *pinned = vg_fmt("%s:%s@sha256:%s", d.gun, d.ref->tag, hex);
        VG_INFO("trust", "DOCKER_CONTENT_TRUST=1: %s:%s is signed as sha256:%s (%s)", d.gun,
                d.ref->tag, hex, "pulling by that digest");
    } else {
        rc = -1;
    }
    if (rc < 0) {
        vg_err_wrap(err, "DOCKER_CONTENT_TRUST=1");
    }
    dct_dispose(&d);
    return rc;
}

/* ---------------------------------------------------------------- inspect */

/* docker: "targets" and "targets/releases" are shown as "Repo Admin"; others without the
 * "targets/" prefix. */
static const char *
signer_name(const char *role)
{
    if (strcmp(role, "targets") == 0 || strcmp(role, "targets/releases") == 0) {
        return "Repo Admin";
    }
    return vg_cstr_startswith(role, "targets/") ? role + strlen("targets/") : role;
}

static json_t *
keys_json(char *const *ids, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *k = json_object();
        vg_json_set_str(k, "ID", ids[i]);
        vg_json_append_take(arr, k);
    }
    return arr;
}

static int
cmp_by_field(const void *a, const void *b, const char *field)
{
    const char *x = vg_json_str(*(json_t *const *)a, field);
    const char *y = vg_json_str(*(json_t *const *)b, field);
    return strcmp(x ? x : "", y ? y : "");
}

static int
cmp_tag(const void *a, const void *b)
{
    return cmp_by_field(a, b, "SignedTag");
}

static int
cmp_name(const void *a, const void *b)
{
    return cmp_by_field(a, b, "Name");
}

static json_t *
sorted(json_t *arr, int (*cmp)(const void *, const void *))
{
    size_t n = json_array_size(arr);
    json_t **v = vg_calloc(n + 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        v[i] = json_incref(json_array_get(arr, i));
    }
    vg_qsort(v, n, sizeof(*v), cmp);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(out, v[i]);
    }
    free(v);
    json_decref(arr);
    return out;
}

static void
add_tags(void *payload, const char *role, const struct vg_tuf_meta *m)
{
    json_t *tags = payload;
    for (size_t i = 0; i < m->ntargets; i++) {
        const struct vg_tuf_target *t = &m->targets[i];
        char hex[65] = "";
        if (t->hashes.has_sha256) {
            vg_hex_encode(hex, t->hashes.sha256, 32);
        }
        json_t *entry = NULL;
        size_t k;
        json_t *e;
        json_array_foreach (tags, k, e) {
            if (strcmp(vg_json_str(e, "SignedTag"), t->name) == 0 &&
                strcmp(vg_json_str(e, "Digest"), hex) == 0) {
                entry = e;
            }
        }
        if (!entry) {
            entry = json_object();
            vg_json_set_str(entry, "SignedTag", t->name);
            vg_json_set_str(entry, "Digest", hex);
            vg_json_set_take(entry, "Signers", json_array());
            vg_json_append_take(tags, entry);
        }
        json_t *signers = vg_json_arr(entry, "Signers");
        const char *who = signer_name(role);
        bool seen = false;
        json_array_foreach (signers, k, e) {
            seen |= strcmp(json_string_value(e), who) == 0;
        }
        if (!seen) {
            json_array_append_new(signers, json_string(who));
        }
    }
}

static int
inspect_one(const char *image, const struct vg_oci_open_opts *open, json_t *out,
            struct vg_err **err)
{
    struct dct_ctx d;
    if (dct_open(&d, image, open, err) < 0 ||
        vg_tuf_client_load_delegations(vg_tuf_notary_client(d.notary), err) < 0) {
        dct_dispose(&d);
        return -1;
    }
    struct vg_tuf_client *c = vg_tuf_notary_client(d.notary);
    json_t *repo = json_object();
    vg_json_set_str(repo, "Name", d.gun);
    json_t *tags = json_array();
    vg_tuf_client_each_targets(c, add_tags, tags);
    vg_json_set_take(repo, "SignedTags", sorted(tags, cmp_tag));
    json_t *signers = json_array();
    const struct vg_tuf_meta *targets = vg_tuf_client_meta(c, "targets");
    for (size_t i = 0; i < targets->ndelegations; i++) {
        const struct vg_tuf_role *r = &targets->delegations[i];
        if (strcmp(r->name, "targets/releases") == 0) {
            continue;
        }
        json_t *s = json_object();
        vg_json_set_str(s, "Name", signer_name(r->name));
        vg_json_set_take(s, "Keys", keys_json(r->keyids, r->nkeyids));
        vg_json_append_take(signers, s);
    }
    vg_json_set_take(repo, "Signers", sorted(signers, cmp_name));
    const struct vg_tuf_meta *root = vg_tuf_client_meta(c, "root");
    json_t *admin = json_array();
    json_t *rk = json_object();
    vg_json_set_str(rk, "Name", "Root");
    vg_json_set_take(rk, "Keys", keys_json(root->roles[0].keyids, root->roles[0].nkeyids));
    vg_json_append_take(admin, rk);
    json_t *tk = json_object();
    vg_json_set_str(tk, "Name", "Repository");
    vg_json_set_take(tk, "Keys", keys_json(root->roles[3].keyids, root->roles[3].nkeyids));
    vg_json_append_take(admin, tk);
    vg_json_set_take(repo, "AdministrativeKeys", admin);
    vg_json_append_take(out, repo);
    dct_dispose(&d);
    return 0;
}

static int
trust_inspect(int argc, char **argv)
{
    enum { OPT_PRETTY = 1, OPT_HELP };
    static const struct option longopts[] = {
        {"pretty", no_argument, NULL, OPT_PRETTY},
        VG_CLI_REGISTRY_LONGOPTS,
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    struct vg_oci_open_opts open = VG_OCI_OPEN_OPTS_INIT;
    bool pretty = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &open)) {
            continue;
        }
        if (c == OPT_PRETTY) {
            pretty = true;
        } else if (c == 'h' || c == OPT_HELP) {
            fputs(trust_help, stdout);
            return VG_EXIT_OK;
        } else {
            return vg_cli_usage("trust", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind == argc) {
        return vg_cli_usage("trust", "inspect: missing IMAGE");
    }
    json_t *out = json_array();
    int code = VG_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        struct vg_err *err = NULL;
        if (inspect_one(argv[i], &open, out, &err) < 0) {
            vg_autofree char *ctx = vg_fmt("trust inspect %s", argv[i]);
            int rc = vg_err_is(err, VG_E_VERIFY) ? VG_EXIT_NEGATIVE : 0;
            int fc = vg_cli_fail(&err, ctx);
            code = code ? code : (rc ? rc : fc);
        }
    }
    vg_autofree char *text = vg_json_dump(out, pretty);
    json_decref(out);
    printf("%s\n", text ? text : "[]");
    return code;
}

int
cmd_trust(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(trust_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
    }
    struct vg_err *err = NULL;
    if (vg_crypto_init(&err) < 0) {
        return vg_cli_fail(&err, "trust");
    }
    if (strcmp(argv[1], "inspect") == 0) {
        return trust_inspect(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "key") == 0 || strcmp(argv[1], "signer") == 0 ||
        strcmp(argv[1], "sign") == 0 || strcmp(argv[1], "revoke") == 0) {
        return vg_cli_trust_publish(argc - 1, argv + 1);
    }
    return vg_cli_usage("trust", "unknown subcommand '%s'", argv[1]);
}
