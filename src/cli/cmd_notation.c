/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil notation sign` and `vigil notation verify`: Notary Project signatures (Notation) of
 * images in a registry, attached through the OCI referrers API (docs/notation.md). Flags follow
 * the notation CLI where it has one (--signature-format, --expiry, --user-metadata); keys and
 * chains are plain PEM files, trust policies and trust stores use notation's layout under
 * $XDG_CONFIG_HOME/notation. The envelopes, policies and flows are sign/notation's.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "net/net.h"
#include "sign/notation.h"

static const char notation_help[] =
    "Usage: vigil notation sign --key KEY --cert CHAIN.pem [--signature-format jws|cose]\n"
    "                           [--expiry DURATION] [--signing-scheme SCHEME]\n"
    "                           [--timestamp-url URL --timestamp-root-cert FILE]\n"
    "                           [-m KEY=VALUE]... [--format text|json]\n"
    "                           " VG_CLI_USAGE_REGISTRY " IMAGE\n"
    "       vigil notation verify [--trust-policy FILE] [--trust-store DIR] [-m KEY=VALUE]...\n"
    "                           [--format text|json] " VG_CLI_USAGE_REGISTRY " IMAGE\n"
    "\n"
    "Notary Project signatures (what 'notation sign' and 'notation verify' make and check).\n"
    "sign signs IMAGE's manifest with an X.509 key and its certificate chain and attaches the\n"
    "signature as an OCI 1.1 referrer (artifact type application/vnd.cncf.notary.signature):\n"
    "a JWS (default) or COSE envelope as the only layer of a manifest whose subject is IMAGE.\n"
    "verify finds IMAGE's Notary signatures through the referrers API and checks them against\n"
    "the trust policy that applies to IMAGE's repository and the trust store.\n"
    "\n"
    "sign options:\n"
    "  --key FILE             private key: PEM (PKCS#8, PKCS#1 or SEC1, unencrypted) or a\n"
    "                         cosign encrypted key ($VIGIL_PASSWORD / $COSIGN_PASSWORD)\n"
    "  --cert FILE            PEM certificate chain: the signing certificate first, then its\n"
    "                         issuers up to and including the root\n"
    "  --signature-format F   jws (default) or cose (also --envelope-type)\n"
    "  --expiry DURATION      signature expiry after signing, e.g. 24h, 720h (default: none)\n"
    "  --signing-scheme S     notary.x509 (default) or notary.x509.signingAuthority\n"
    "  -m, --user-metadata K=V  signed metadata (in the payload's annotations; repeatable)\n"
    "  --timestamp-url URL    RFC 3161 time-stamping authority: its countersignature of the\n"
    "                         signature value goes in the envelope's unprotected header\n"
    "                         io.cncf.notary.timestampSignature (notary.x509 scheme only)\n"
    "  --timestamp-root-cert FILE  PEM root certificate of that TSA: the timestamp must verify\n"
    "                         under it (and the signing chain be valid at its time) before\n"
    "                         anything is pushed; required with --timestamp-url\n"
    "\n"
    "verify options:\n"
    "  --trust-policy FILE    trustpolicy.json (default: $XDG_CONFIG_HOME/notation/\n"
    "                         trustpolicy.oci.json, else trustpolicy.json there)\n"
    "  --trust-store DIR      directory holding x509/{ca,signingAuthority,tsa}/NAME/*.pem\n"
    "                         (default: $XDG_CONFIG_HOME/notation/truststore)\n"
    "  -m, --user-metadata K=V  metadata the signature must carry (repeatable)\n"
    "  --no-revocation        ask no OCSP responder or CRL distribution point: the revocation\n"
    "                         check is reported skipped whatever the trust policy says\n"
    "\n"
    "Common options:\n"
    "  --format text|json     output (default text)\n" VG_CLI_HELP_REGISTRY "\n"
    "Verification levels (trust policy): strict enforces integrity, authenticity, the authentic\n"
    "timestamp (certificate validity), expiry and revocation; permissive only logs the last\n"
    "three; audit enforces integrity alone; skip verifies nothing. Logged failures are printed\n"
    "as warnings. Revocation asks the OCSP responders (then the CRL distribution points) the\n"
    "chain's certificates name, over http://; a status that cannot be had (offline, responder\n"
    "down, expired CRL) fails the check like a revocation: strict then fails, permissive and\n"
    "audit warn. Override \"revocation\": \"skip\" in the policy, or --no-revocation, to ask\n"
    "nobody (docs/notation.md). Responses are cached until their nextUpdate (a revocation for\n"
    "good) under the cache directory's notation-revocation/.\n"
    "\n"
    "Examples:\n"
    "  vigil notation sign --key leaf.key --cert chain.pem registry.example.com/app:1.4\n"
    "  vigil notation sign --key leaf.key --cert chain.pem --signature-format cose \\\n"
    "      --expiry 720h -m buildId=123 registry.example.com/app@sha256:...\n"
    "  vigil notation sign --key leaf.key --cert chain.pem --timestamp-url http://tsa.example/ \\\n"
    "      --timestamp-root-cert tsa-root.pem registry.example.com/app:1.4\n"
    "  vigil notation verify registry.example.com/app:1.4\n"
    "  vigil notation verify --no-revocation registry.example.com/app:1.4   # air-gapped\n"
    "  vigil notation verify --trust-policy policy.json --trust-store ./truststore \\\n"
    "      --format json registry.example.com/app:1.4\n"
    "\n"
    "Exit codes: 0 signed / verified, 1 verification failed, 2 usage, 3 runtime, 4 image, key,\n"
    "policy or trust store not found (or no policy applies), 5 auth, 6 malformed input,\n"
    "7 network.\n";

enum {
    OPT_KEY = 1,
    OPT_CERT,
    OPT_FORMAT_SIG,
    OPT_EXPIRY,
    OPT_SCHEME,
    OPT_POLICY,
    OPT_STORE,
    OPT_OUTPUT,
    OPT_NO_REVOCATION,
    OPT_TSA_URL,
    OPT_TSA_ROOT,
    OPT_HELP,
};

#define MAX_METADATA 64

struct notation_args {
    bool sign;
    const char *key, *cert, *policy, *store, *tsa_url, *tsa_root;
    enum vg_notation_format envelope;
    enum vg_notation_scheme scheme;
    uint64_t expiry_ms;
    bool json;
    bool no_revocation;
    struct vg_sign_kv meta[MAX_METADATA];
    size_t nmeta;
    struct vg_oci_open_opts open;
    const char *image;
};

static int
usage(const char *fmt, const char *arg)
{
    return vg_cli_usage("notation", fmt, arg);
}

static int
add_meta(struct notation_args *a, char *arg)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        return usage("-m wants KEY=VALUE, not '%s'", arg);
    }
    if (a->nmeta == MAX_METADATA) {
        return usage("at most 64 metadata pairs%s", "");
    }
    *eq = '\0';
    a->meta[a->nmeta++] = (struct vg_sign_kv){arg, eq + 1};
    return 0;
}

static int
option(struct notation_args *a, int c, char *arg)
{
    vg_autoerr struct vg_err *e = NULL;
    switch (c) {
    case OPT_KEY:
        a->key = arg;
        return 0;
    case OPT_CERT:
        a->cert = arg;
        return 0;
    case OPT_FORMAT_SIG:
        if (strcmp(arg, "jws") && strcmp(arg, "cose")) {
            return usage("--signature-format is jws or cose, not '%s'", arg);
        }
        a->envelope = strcmp(arg, "cose") == 0 ? VG_NOTATION_COSE : VG_NOTATION_JWS;
        return 0;
    case OPT_EXPIRY:
        if (vg_cli_parse_duration(arg, &a->expiry_ms, &e) < 0 || a->expiry_ms < 1000) {
            return usage("--expiry wants a duration of at least 1s (e.g. 24h), not '%s'", arg);
        }
        return 0;
    case OPT_SCHEME:
        if (strcmp(arg, VG_NOTATION_SCHEME_X509) && strcmp(arg, VG_NOTATION_SCHEME_SA)) {
            return usage("--signing-scheme is notary.x509 or notary.x509.signingAuthority, not "
                         "'%s'",
                         arg);
        }
        a->scheme = strcmp(arg, VG_NOTATION_SCHEME_SA) == 0 ? VG_NOTATION_SIGNING_AUTHORITY
                                                            : VG_NOTATION_X509;
        return 0;
    case OPT_POLICY:
        a->policy = arg;
        return 0;
    case OPT_STORE:
        a->store = arg;
        return 0;
    case OPT_OUTPUT:
        if (strcmp(arg, "json") && strcmp(arg, "text")) {
            return usage("--format is text or json, not '%s'", arg);
        }
        a->json = strcmp(arg, "json") == 0;
        return 0;
    case OPT_NO_REVOCATION:
        a->no_revocation = true;
        return 0;
    case OPT_TSA_URL:
        if (!vg_cstr_startswith(arg, "http://") && !vg_cstr_startswith(arg, "https://")) {
            return usage("--timestamp-url wants an http:// or https:// URL, not '%s'", arg);
        }
        a->tsa_url = arg;
        return 0;
    case OPT_TSA_ROOT:
        a->tsa_root = arg;
        return 0;
    case 'm':
        return add_meta(a, arg);
    default:
        return usage("unknown option '%s'", arg ? arg : "?");
    }
}

static int
parse_args(struct notation_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, OPT_KEY},
        {"cert", required_argument, NULL, OPT_CERT},
        {"signature-format", required_argument, NULL, OPT_FORMAT_SIG},
        {"envelope-type", required_argument, NULL, OPT_FORMAT_SIG},
        {"expiry", required_argument, NULL, OPT_EXPIRY},
        {"signing-scheme", required_argument, NULL, OPT_SCHEME},
        {"trust-policy", required_argument, NULL, OPT_POLICY},
        {"trust-store", required_argument, NULL, OPT_STORE},
        {"format", required_argument, NULL, OPT_OUTPUT},
        {"user-metadata", required_argument, NULL, 'm'},
        {"no-revocation", no_argument, NULL, OPT_NO_REVOCATION},
        {"timestamp-url", required_argument, NULL, OPT_TSA_URL},
        {"timestamp-root-cert", required_argument, NULL, OPT_TSA_ROOT},
        VG_CLI_REGISTRY_LONGOPTS,
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(notation_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? VG_EXIT_USAGE : -1;
    }
    if (strcmp(argv[1], "sign") && strcmp(argv[1], "verify")) {
        return usage("unknown subcommand '%s' (sign or verify)", argv[1]);
    }
    a->sign = strcmp(argv[1], "sign") == 0;
    argc--;
    argv++;
    int c, rc;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "hm:", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &a->open)) {
            continue;
        }
        if (c == 'h' || c == OPT_HELP) {
            fputs(notation_help, stdout);
            return -1;
        }
        if ((rc = option(a, c, c == '?' ? argv[optind - 1] : optarg)) != 0) {
            return rc;
        }
    }
    bool sign_only =
        a->key || a->cert || a->envelope || a->expiry_ms || a->scheme || a->tsa_url || a->tsa_root;
    if (a->sign && (!a->key || !a->cert)) {
        return usage("sign needs --key and --cert%s", "");
    }
    if (!a->sign && sign_only) {
        return usage("--key, --cert, --signature-format, --expiry, --signing-scheme and "
                     "--timestamp-* are sign options%s",
                     "");
    }
    if (!a->tsa_url != !a->tsa_root) {
        return usage("--timestamp-url and --timestamp-root-cert go together%s", "");
    }
    if (a->tsa_url && a->scheme == VG_NOTATION_SIGNING_AUTHORITY) {
        return usage("--timestamp-url is for the notary.x509 scheme%s", "");
    }
    if (a->sign && (a->policy || a->store)) {
        return usage("--trust-policy and --trust-store are verify options%s", "");
    }
    if (optind + 1 != argc) {
        return usage(optind == argc ? "missing IMAGE%s" : "one IMAGE at a time%s", "");
    }
    a->image = argv[optind];
    return 0;
}

int
vg_cli_notation_revocation_opt(const char *cmd, bool timeout, const char *arg,
                               struct vg_notation_revocation_config *c)
{
    if (!timeout) {
        if (strcmp(arg, "check") && strcmp(arg, "skip")) {
            return vg_cli_usage(cmd, "--notation-revocation is check or skip, not '%s'", arg);
        }
        c->skip = strcmp(arg, "skip") == 0;
        return 0;
    }
    uint64_t ms = 0;
    vg_autoerr struct vg_err *e = NULL;
    if (vg_cli_parse_duration(arg, &ms, &e) < 0 || ms < 100 || ms > 60000) {
        return vg_cli_usage(cmd,
                            "--notation-revocation-timeout wants a duration from 100ms to 60s, "
                            "not '%s'",
                            arg);
    }
    c->timeout_ms = (uint32_t)ms;
    return 0;
}

/* ---------------------------------------------------------------- sign */

static int
load_key(struct vg_crypto_key **out, const char *path, struct vg_err **err)
{
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_CRYPTO_KEY_FILE_MAX);
    int rc = vg_file_read(&b, path, VG_CRYPTO_KEY_FILE_MAX, err);
    if (rc < 0) {
        return vg_err_wrap(err, "key %s", path);
    }
    if (memmem(b.data, b.len, "ENCRYPTED", 9)) {
        vg_crypto_memzero(b.data, b.len);
        return vg_sign_key_load_private(out, path, vg_cli_password(), err);
    }
    rc = vg_crypto_key_import_pem(out, b.data, b.len, err);
    vg_crypto_memzero(b.data, b.len);
    return rc < 0 ? vg_err_wrap(err, "key %s", path) : 0;
}

/* notation sign --timestamp-url: the TSA's token for the signature value, verified under
 * --timestamp-root-cert, with the signing chain valid at its time, before anything is pushed
 * (what notation 1.2 checks). */
struct stamp {
    const char *url;
    struct vg_x509 **roots;
    size_t nroots;
    struct vg_x509 **chain;
    size_t nchain;
    int64_t gen;
};

static int
stamp_chain_valid(const struct stamp *s, struct vg_err **err)
{
    for (size_t i = 0; i < s->nchain; i++) {
        int64_t nb = 0, na = 0;
        if (vg_x509_validity(s->chain[i], &nb, &na, err) < 0) {
            return -1;
        }
        if (s->gen < nb || s->gen > na) {
            char t[32];
            vg_time_rfc3339(t, sizeof(t), s->gen);
            vg_autofree char *subj = vg_x509_subject_string(s->chain[i]);
            return vg_err_set(err, VG_E_VERIFY,
                              "certificate %zu (%s) of the signing chain is not valid at the "
                              "timestamp's time %s",
                              i + 1, subj, t);
        }
    }
    return 0;
}

static int
stamp(void *ctx, struct vg_buf *tst, const uint8_t *sig, size_t siglen, enum vg_crypto_alg alg,
      struct vg_err **err)
{
    struct stamp *s = ctx;
    unsigned bits = alg == VG_CRYPTO_ALG_ES384 || alg == VG_CRYPTO_ALG_PS384   ? 384
                    : alg == VG_CRYPTO_ALG_ES512 || alg == VG_CRYPTO_ALG_PS512 ? 512
                                                                               : 256;
    struct vg_http_client *http = NULL;
    vg_autobuf struct vg_buf tsr = VG_BUF_INIT(VG_TSA_RESPONSE_MAX);
    int rc = vg_http_client_new(&http, NULL, err);
    if (rc == 0) {
        rc = vg_cli_tsa_timestamp(&tsr, http, s->url, sig, siglen, bits, err);
        vg_http_client_free(http);
    }
    if (rc < 0 || (rc = vg_tsa_response_token(tst, tsr.data, tsr.len, err)) < 0) {
        return rc;
    }
    if (vg_x509_tst_verify(&s->gen, tst->data, tst->len, sig, siglen, s->roots, s->nroots, err) <
        0) {
        return vg_err_wrap(err, "the timestamp of %s under --timestamp-root-cert", s->url);
    }
    return stamp_chain_valid(s, err);
}

static int
stamp_roots(struct stamp *s, const char *path, struct vg_err **err)
{
    vg_autobuf struct vg_buf pem = VG_BUF_INIT(VG_NOTATION_CERT_FILE_MAX);
    if (vg_file_read(&pem, path, VG_NOTATION_CERT_FILE_MAX, err) < 0 ||
        vg_x509_parse_all(&s->roots, &s->nroots, pem.data, pem.len, err) < 0) {
        return vg_err_wrap(err, "--timestamp-root-cert %s", path);
    }
    return 0;
}

static int
run_sign(const struct notation_args *a, struct vg_err **err)
{
    vg_autokey struct vg_crypto_key *key = NULL;
    vg_autobuf struct vg_buf pem = VG_BUF_INIT(VG_NOTATION_CERT_FILE_MAX);
    struct vg_x509 **chain = NULL;
    size_t nchain = 0;
    int rc = vg_crypto_init(err);
    if (rc < 0 || (rc = load_key(&key, a->key, err)) < 0) {
        return rc;
    }
    if ((rc = vg_file_read(&pem, a->cert, VG_NOTATION_CERT_FILE_MAX, err)) < 0 ||
        (rc = vg_x509_parse_all(&chain, &nchain, pem.data, pem.len, err)) < 0) {
        return vg_err_wrap(err, "certificate chain %s", a->cert);
    }
    struct stamp st = {.url = a->tsa_url, .chain = chain, .nchain = nchain};
    struct vg_sign_target *t = NULL;
    if ((a->tsa_root && (rc = stamp_roots(&st, a->tsa_root, err)) < 0) ||
        (rc = vg_sign_target_open(&t, a->image, &a->open, NULL, err)) < 0) {
        vg_x509_list_free(st.roots, st.nroots);
        vg_x509_list_free(chain, nchain);
        return rc;
    }
    int64_t now = vg_now_unix();
    struct vg_notation_sign_opts o = {
        .key = key,
        .chain = chain,
        .nchain = nchain,
        .format = a->envelope,
        .scheme = a->scheme,
        .now = now,
        .expiry = a->expiry_ms ? now + (int64_t)(a->expiry_ms / 1000u) : 0,
        .agent = "vigil/" VG_VERSION,
        .timestamp = a->tsa_url ? stamp : NULL,
        .timestamp_ctx = &st,
    };
    struct vg_notation_push_result res;
    rc = vg_notation_target_sign(t, &o, a->meta, a->nmeta, &res, err);
    if (rc == 0) {
        const char *fmt = a->envelope == VG_NOTATION_COSE ? "cose" : "jws";
        if (a->json) {
            vg_autojson json_t *j = json_object();
            vg_autofree char *ref = vg_fmt("%s@%s", t->name, t->digest.text);
            vg_json_set_str(j, "reference", ref);
            vg_json_set_str(j, "signature", res.location);
            vg_json_set_str(j, "signatureFormat", fmt);
            vg_json_set_take(j, "referrersApi", json_boolean(!res.fallback));
            if (a->tsa_url) {
                char gt[32];
                vg_time_rfc3339(gt, sizeof(gt), st.gen);
                vg_json_set_str(j, "timestamp", gt);
            }
            vg_autofree char *s = vg_json_dump(j, true);
            printf("%s\n", s);
        } else {
            printf("Successfully signed %s@%s\n", t->name, t->digest.text);
            fprintf(stderr, "Pushed the %s signature to %s%s\n", fmt, res.location,
                    res.fallback ? " (registry has no referrers API: updated the fallback tag)"
                                 : "");
            if (a->tsa_url) {
                char gt[32];
                vg_time_rfc3339(gt, sizeof(gt), st.gen);
                fprintf(stderr, "Timestamped by %s at %s\n", a->tsa_url, gt);
            }
        }
        vg_notation_push_result_dispose(&res);
    }
    vg_sign_target_free(t);
    vg_x509_list_free(st.roots, st.nroots);
    vg_x509_list_free(chain, nchain);
    return rc;
}

/* ---------------------------------------------------------------- verify */

static int
load_policy(struct vg_notation_policy **out, const char *path, struct vg_err **err)
{
    vg_autofree char *dflt = NULL;
    if (!path) {
        vg_autofree char *dir = vg_notation_config_dir();
        dflt = vg_fmt("%s/trustpolicy.oci.json", dir);
        if (!vg_path_exists(dflt)) {
            free(dflt);
            dflt = vg_fmt("%s/trustpolicy.json", dir);
        }
        path = dflt;
    }
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_NOTATION_POLICY_MAX);
    if (vg_file_read(&b, path, VG_NOTATION_POLICY_MAX, err) < 0 ||
        vg_notation_policy_parse(out, b.data, b.len, err) < 0) {
        return vg_err_wrap(err, "trust policy %s", path);
    }
    return 0;
}

static const char *
action_name(enum vg_notation_action a)
{
    return a == VG_NOTATION_ENFORCE ? "enforce" : a == VG_NOTATION_LOG ? "log" : "skip";
}

static json_t *
item_json(const struct vg_notation_item *it)
{
    const struct vg_notation_outcome *o = &it->outcome;
    json_t *j = json_object();
    vg_json_set_str(j, "manifest", it->manifest.text);
    vg_json_set_str(j, "mediaType", it->media_type);
    vg_json_set_take(j, "verified", json_boolean(o->ok));
    if (o->env) {
        char t[32];
        vg_json_set_str(j, "signer", o->signer);
        vg_json_set_str(j, "signingScheme",
                        o->env->scheme == VG_NOTATION_SIGNING_AUTHORITY ? VG_NOTATION_SCHEME_SA
                                                                        : VG_NOTATION_SCHEME_X509);
        vg_json_set_str(j, "algorithm", vg_crypto_alg_jws_name(o->env->alg));
        vg_time_rfc3339(t, sizeof(t), o->env->signing_time);
        vg_json_set_str(j, "signingTime", t);
        if (o->env->expiry) {
            vg_time_rfc3339(t, sizeof(t), o->env->expiry);
            vg_json_set_str(j, "expiry", t);
        }
        vg_json_set_str(j, "signingAgent", o->env->agent);
        if (o->env->target_annotations) {
            vg_json_set_take(j, "userMetadata", json_incref(o->env->target_annotations));
        }
    }
    json_t *checks = json_object();
    for (int c = 0; c < VG_NOTATION_CHECKS; c++) {
        json_t *cj = json_object();
        bool ran = o->results[c] != 0;
        vg_json_set_str(cj, "action", ran ? action_name(o->results[c]) : "not reached");
        vg_json_set_str(cj, "result",
                        o->failed[c]                           ? "failed"
                        : !ran                                 ? "not reached"
                        : o->results[c] == VG_NOTATION_SKIPPED ? "skipped"
                                                               : "passed");
        vg_json_set_str(cj, "error", o->errors[c]);
        vg_json_set_take(checks, vg_notation_check_name((enum vg_notation_check)c), cj);
    }
    vg_json_set_take(j, "checks", checks);
    return j;
}

static void
render_verify(const struct vg_sign_target *t, const struct vg_notation_result *r, bool json)
{
    if (json) {
        vg_autojson json_t *j = json_object();
        vg_autofree char *ref = vg_fmt("%s@%s", t->name, t->digest.text);
        vg_json_set_str(j, "reference", ref);
        vg_json_set_take(j, "verified", json_boolean(r->ok));
        vg_json_set_str(j, "trustPolicy", r->policy ? r->policy->name : NULL);
        vg_json_set_str(j, "level", r->policy ? vg_notation_level_name(r->policy->level) : NULL);
        json_t *arr = json_array();
        for (size_t i = 0; i < r->n; i++) {
            vg_json_append_take(arr, item_json(&r->items[i]));
        }
        vg_json_set_take(j, "signatures", arr);
        vg_autofree char *s = vg_json_dump(j, true);
        printf("%s\n", s);
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        const struct vg_notation_outcome *o = &r->items[i].outcome;
        for (int c = 0; c < VG_NOTATION_CHECKS; c++) {
            if (o->failed[c] && o->results[c] == VG_NOTATION_LOG) {
                fprintf(stderr, "Warning: %s: %s check failed (logged by level %s): %s\n",
                        r->items[i].manifest.text,
                        vg_notation_check_name((enum vg_notation_check)c),
                        vg_notation_level_name(r->policy->level), o->errors[c]);
            }
        }
        if (!o->ok && o->error) {
            vg_autofree char *msg = vg_err_format(o->error);
            fprintf(stderr, "Signature %s: %s\n", r->items[i].manifest.text, msg);
        }
    }
    if (r->skipped) {
        printf("Trust policy \"%s\" has level skip: no signature verification for %s@%s\n",
               r->policy->name, t->name, t->digest.text);
    } else if (r->ok) {
        const struct vg_notation_outcome *o = &r->items[r->n - 1].outcome;
        printf("Successfully verified signature for %s@%s\n", t->name, t->digest.text);
        printf("  signed by: %s (trust policy \"%s\", level %s)\n", o->signer, r->policy->name,
               vg_notation_level_name(r->policy->level));
    }
}

/* A verification that ran and found no valid signature sets *negative (exit 1) rather than
 * failing: only errors that stopped it (policy, registry, trust store I/O) are returned. */
static int
run_verify(const struct notation_args *a, bool *negative, struct vg_err **err)
{
    struct vg_notation_policy *policy = NULL;
    int rc = vg_crypto_init(err);
    if (rc < 0 || (rc = load_policy(&policy, a->policy, err)) < 0) {
        return rc;
    }
    vg_autofree char *dir = vg_notation_config_dir();
    vg_autofree char *store = a->store ? vg_strdup(a->store) : vg_fmt("%s/truststore", dir);
    struct vg_sign_target *t = NULL;
    if ((rc = vg_sign_target_open(&t, a->image, &a->open, NULL, err)) < 0) {
        vg_notation_policy_free(policy);
        return rc;
    }
    struct vg_notation_verify_opts o = {
        .truststore = store,
        .now = vg_now_unix(),
        .metadata = a->meta,
        .nmetadata = a->nmeta,
        .no_revocation = a->no_revocation,
    };
    struct vg_notation_result res;
    rc = vg_notation_target_verify(t, policy, &o, &res, err);
    if (rc == 0 || vg_err_root_code(*err) == VG_E_VERIFY) {
        render_verify(t, &res, a->json);
    }
    if (rc < 0 && vg_err_root_code(*err) == VG_E_VERIFY) {
        vg_autofree char *msg = vg_err_format(*err);
        vg_err_free(err);
        fprintf(stderr, "vigil: error: notation verify %s: %s\n", a->image, msg);
        *negative = true;
        rc = 0;
    }
    vg_notation_result_dispose(&res);
    vg_sign_target_free(t);
    vg_notation_policy_free(policy);
    return rc;
}

int
cmd_notation(int argc, char **argv)
{
    struct notation_args a = {0};
    int rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    struct vg_err *err = NULL;
    bool negative = false;
    if ((a.sign ? run_sign(&a, &err) : run_verify(&a, &negative, &err)) < 0) {
        vg_autofree char *ctx = vg_fmt("notation %s %s", a.sign ? "sign" : "verify", a.image);
        return vg_cli_fail(&err, ctx);
    }
    return negative ? VG_EXIT_NEGATIVE : VG_EXIT_OK;
}
