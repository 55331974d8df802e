/* SPDX-License-Identifier: Apache-2.0
 *
 * The require-signature gate's Docker Content Trust authority (docs/registry.md, "Docker
 * Content Trust"): `dct: {registry-name, server, signers, ca, trust-dir, cache-ttl, timeout}`.
 * The image's GUN is <registry-name>/<repo> (the registry cannot know the name clients give
 * it, so the configuration says it); its notary repository is fetched, verified and pinned by
 * sign/'s vg_sign_dct_check (the same code as the ImagePolicy `dct` authority and `vigil verify
 * --dct`): a pull by tag needs the tag's signed target to be the stored manifest (SHA-256 and
 * length), a pull by digest needs the digest to be the signed target of some tag.
 */
#include "registry/sigcheck_int.h"

#include <string.h>

#include "sign/sign.h"

#define DCT_TTL_DEFAULT_MS     30000u
#define DCT_TTL_MAX_MS         (24u * 3600u * 1000u)
#define DCT_TIMEOUT_DEFAULT_MS 10000u
#define DCT_TIMEOUT_MAX_MS     (10u * 60u * 1000u)
#define DCT_NAME_MAX           255u

struct vg_registry_dct {
    char *registry_name; /* host[:port] clients use: GUN = registry_name/repo */
    char *server;        /* https URL */
    char *ca;            /* CA bundle for the server, or NULL (docker's tls/<host>/ca.crt) */
    char *trust_dir;     /* NULL: docker's */
    char **signers;
    size_t nsigners;
    uint64_t ttl_ms;     /* verdicts cached this long; 0: not cached */
    uint64_t timeout_ms; /* one check's deadline */
};

void
vg_registry__dct_free(struct vg_registry_dct *p)
{
    if (p) {
        free(p->registry_name);
        free(p->server);
        free(p->ca);
        free(p->trust_dir);
        vg_strv_free(p->signers, p->nsigners);
        free(p);
    }
}

uint64_t
vg_registry__dct_ttl_ms(const struct vg_registry_dct *p)
{
    return p->ttl_ms;
}

/* host[:port] as a reference names a registry: letters, digits, '.', '-', ':' and an IPv6
 * literal's brackets; no '/'. */
static bool
registry_name_ok(const char *s)
{
    if (!*s || strlen(s) > DCT_NAME_MAX) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(".-:[]", *p))) {
            return false;
        }
    }
    return true;
}

static int
str_opt(char **out, const struct vg_config_node *n, const char *key, struct vg_err **err)
{
    const char *s = NULL;
    if (vg_config_get_str(n, key, NULL, &s, err) < 0) {
        return -1;
    }
    *out = s && *s ? vg_strdup(s) : NULL;
    return 0;
}

static int
signers_parse(struct vg_registry_dct *p, const struct vg_config_node *n, struct vg_err **err)
{
    const struct vg_config_node *sg = NULL;
    if (vg_config_get_seq(n, "signers", &sg, err) < 0) {
        return -1;
    }
    for (size_t i = 0; sg && i < vg_config_node_len(sg); i++) {
        const struct vg_config_node *e = vg_config_seq_at(sg, i);
        const char *name =
            vg_config_node_type(e) == VG_CONFIG_SCALAR ? vg_config_node_scalar(e, NULL) : NULL;
        if (!name || !*name || strchr(name, '/')) {
            return vg_config_err(err, e, VG_E_PARSE,
                                 "require-signature.dct.signers[%zu] must be a signer name "
                                 "(targets/<name>)",
                                 i);
        }
        vg_strv_push(&p->signers, &p->nsigners, name);
    }
    return 0;
}

int
vg_registry__dct_parse(struct vg_registry_dct **out, const struct vg_config_node *n,
                       struct vg_err **err)
{
    static const char *const allowed[] = {"registry-name", "server",    "signers", "ca",
                                          "trust-dir",     "cache-ttl", "timeout"};
    struct vg_registry_dct *p = *out = vg_calloc(1, sizeof(*p));
    if (vg_config_node_type(n) != VG_CONFIG_MAP) {
        return vg_config_err(err, n, VG_E_PARSE,
                             "require-signature.dct must be a map with 'registry-name'");
    }
    if (vg_config_check_keys(n, "require-signature.dct", allowed, VG_ARRAY_LEN(allowed), err) < 0 ||
        str_opt(&p->registry_name, n, "registry-name", err) < 0 ||
        str_opt(&p->server, n, "server", err) < 0 || str_opt(&p->ca, n, "ca", err) < 0 ||
        str_opt(&p->trust_dir, n, "trust-dir", err) < 0 || signers_parse(p, n, err) < 0 ||
        vg_config_get_duration_ms(n, "cache-ttl", DCT_TTL_DEFAULT_MS, DCT_TTL_MAX_MS, &p->ttl_ms,
                                  err) < 0 ||
        vg_config_get_duration_ms(n, "timeout", DCT_TIMEOUT_DEFAULT_MS, DCT_TIMEOUT_MAX_MS,
                                  &p->timeout_ms, err) < 0) {
        return -1;
    }
    if (!p->registry_name || !registry_name_ok(p->registry_name)) {
        return vg_config_err(
            err, vg_config_map_get(n, "registry-name") ? vg_config_map_get(n, "registry-name") : n,
            VG_E_PARSE,
            "require-signature.dct needs 'registry-name': the registry's "
            "host[:port] as clients name it (the GUN is <registry-name>/<repo>)");
    }
    if (p->timeout_ms == 0) {
        p->timeout_ms = DCT_TIMEOUT_DEFAULT_MS;
    }
    if (!p->server) {
        /* as docker and the ImagePolicy authority: $DOCKER_CONTENT_TRUST_SERVER, else the
         * registry's own host (read once, at start) */
        struct vg_oci_ref ref = {.registry = p->registry_name};
        p->server = vg_sign_dct_server(&ref);
    }
    if (!vg_cstr_startswith(p->server, "https://")) {
        return vg_config_err(err,
                             vg_config_map_get(n, "server") ? vg_config_map_get(n, "server") : n,
                             VG_E_PARSE, "require-signature.dct.server must be an https:// URL");
    }
    if (p->ca && !vg_path_exists(p->ca)) {
        vg_autofree char *e = vg_escape(p->ca, strlen(p->ca), 128);
        return vg_config_err(err, vg_config_map_get(n, "ca"), VG_E_PARSE,
                             "require-signature.dct.ca: %s does not exist", e);
    }
    return 0;
}

int
vg_registry__dct_check(const struct vg_registry_dct *p, const char *repo, const char *tag,
                       const struct vg_digest *d, uint64_t size, enum vg_registry_gate_sig *out,
                       char **detail, bool *cacheable)
{
    *detail = NULL;
    *cacheable = false;
    vg_autofree char *gun = vg_fmt("%s/%s", p->registry_name, repo);
    struct vg_oci_open_opts open = VG_OCI_OPEN_OPTS_INIT;
    open.deadline_ns = vg_now_ns() + p->timeout_ms * 1000000u;
    struct vg_sign_dct_opts o = {
        .server = p->server,
        .trust_dir = p->trust_dir,
        .open = &open,
        .signers = (const char *const *)p->signers,
        .nsigners = p->nsigners,
        .ca_file = p->ca,
    };
    struct vg_sign_dct_result r;
    struct vg_err *e = NULL;
    uint64_t t0 = vg_now_ns();
    if (vg_sign_dct_check(gun, p->registry_name, tag, d, size, &o, &r, &e) == 0) {
        *out = VG_GATE_SIG_VERIFIED;
        *cacheable = true;
        VG_EVENT(VG_LOG_DEBUG, "registry", "content trust verified", VG_KV_STR("gun", gun),
                 VG_KV_STR("digest", d->text), VG_KV_STR("role", r.role),
                 VG_KV_U64("us", (vg_now_ns() - t0) / 1000u));
        vg_sign_dct_result_dispose(&r);
        return 0;
    }
    enum vg_errc code = vg_err_root_code(e);
    *detail = vg_err_format(e);
    if (code == VG_E_NOTFOUND || code == VG_E_UNSUPPORTED) {
        *out = VG_GATE_SIG_NO_TRUST_DATA; /* unsigned (or sha512): cached for the TTL */
        *cacheable = true;
    } else if (vg_err_is(e, VG_E_VERIFY)) {
        *out = VG_GATE_SIG_INVALID; /* another manifest signed, or metadata that fails */
        *cacheable = true;
    } else {
        *out = VG_GATE_SIG_UNVERIFIABLE; /* notary unreachable, refused, a bad CA: not cached */
    }
    VG_EVENT(VG_LOG_INFO, "registry", "content trust refused", VG_KV_STR("gun", gun),
             VG_KV_STR("digest", d->text), VG_KV_STR("reason", *detail));
    vg_err_free(&e);
    return 0;
}
