/* SPDX-License-Identifier: Apache-2.0
 *
 * Registry credentials: "--creds user:pass", and Docker's config.json (also the
 * .dockerconfigjson of Kubernetes pull secrets): "auths" entries keyed by host, with or without
 * a scheme and path ("https://index.docker.io/v1/" for Docker Hub), holding a base64 "auth" of
 * "user:pass", or "username"/"password", or an "identitytoken".
 *
 * Credential helpers (credsStore, credHelpers) are not run: executing programs named by a
 * config file is out of scope for a scanner. Passwords are wiped on dispose.
 */
#include "registry_int.h"

#include <string.h>
#include <strings.h>

#define DOCKER_CONFIG_MAX (4u * 1024u * 1024u)

void
vg_registry_creds_dispose(struct vg_registry_creds *c)
{
    if (!c) {
        return;
    }
    vg_http_secret_free(c->username);
    vg_http_secret_free(c->password);
    vg_http_secret_free(c->identity_token);
    memset(c, 0, sizeof(*c));
}

/* "user:pass" (the password may contain ':'). */
static int
split_userpass(struct vg_registry_creds *out, const char *s, size_t len, const char *what,
               struct vg_err **err)
{
    const char *colon = memchr(s, ':', len);
    if (!colon || colon == s) {
        return vg_err_set(err, VG_E_USAGE, "%s: expected \"user:password\"", what);
    }
    if (memchr(s, '\0', len) || memchr(s, '\n', len) || memchr(s, '\r', len)) {
        return vg_err_set(err, VG_E_PARSE, "%s: control characters in credentials", what);
    }
    out->username = vg_strndup(s, (size_t)(colon - s));
    out->password = vg_strndup(colon + 1, len - (size_t)(colon - s) - 1);
    return 0;
}

/* The host part of an auths key: "https://host/v1/" -> "host". */
static struct vg_str
key_host(const char *key)
{
    struct vg_str s = vg_str_c(key);
    if (vg_str_startswith(s, "https://")) {
        s = (struct vg_str){s.ptr + 8, s.len - 8};
    } else if (vg_str_startswith(s, "http://")) {
        s = (struct vg_str){s.ptr + 7, s.len - 7};
    }
    struct vg_str host, rest;
    vg_str_cut(s, '/', &host, &rest);
    return host;
}

static bool
is_docker_hub(struct vg_str h)
{
    return vg_str_eq_c(h, "docker.io") || vg_str_eq_c(h, "index.docker.io") ||
           vg_str_eq_c(h, "registry-1.docker.io");
}

static bool
key_matches(const char *key, const char *registry)
{
    struct vg_str h = key_host(key);
    if (h.len == strlen(registry) && strncasecmp(h.ptr, registry, h.len) == 0) {
        return true;
    }
    return strcmp(registry, "docker.io") == 0 && is_docker_hub(h);
}

static int
entry_creds(struct vg_registry_creds *out, const json_t *e, const char *what,
            struct vg_err **err)
{
    const char *auth = vg_json_str(e, "auth");
    const char *user = vg_json_str(e, "username");
    const char *pass = vg_json_str(e, "password");
    const char *idt = vg_json_str(e, "identitytoken");
    if (auth && *auth) {
        uint8_t *raw = NULL;
        size_t rawlen = 0;
        if (vg_base64_decode(&raw, &rawlen, auth, strlen(auth), true, err) < 0) {
            return vg_err_wrap(err, "%s: invalid base64 \"auth\"", what);
        }
        int rc = split_userpass(out, (const char *)raw, rawlen, what, err);
        explicit_bzero(raw, rawlen);
        free(raw);
        if (rc < 0) {
            return rc;
        }
    } else if (user && *user && pass) {
        out->username = vg_strdup(user);
        out->password = vg_strdup(pass);
    }
    if (idt && *idt) {
        out->identity_token = vg_strdup(idt);
    }
    return 0;
}

int
vg_registry_creds_from_json(struct vg_registry_creds *out, bool *found, const char *registry,
                            const void *json, size_t len, const char *what, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    *found = false;
    vg_autojson json_t *j = NULL;
    if (vg_json_parse(&j, json, len, DOCKER_CONFIG_MAX, what, err) < 0) {
        return -1;
    }
    if (!json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "%s: not a JSON object", what);
    }
    json_t *auths = json_object_get(j, "auths");
    if (!auths) {
        return 0;
    }
    if (!json_is_object(auths)) {
        return vg_err_set(err, VG_E_PARSE, "%s: \"auths\" is not an object", what);
    }
    /* An exact key wins over one that only matches after normalization. */
    const char *key;
    json_t *e, *best = NULL;
    json_object_foreach(auths, key, e) {
        if (!json_is_object(e) || !key_matches(key, registry)) {
            continue;
        }
        if (!best || strcmp(key, registry) == 0) {
            best = e;
        }
    }
    if (!best) {
        return 0;
    }
    if (entry_creds(out, best, what, err) < 0) {
        vg_registry_creds_dispose(out);
        return -1;
    }
    *found = out->username || out->identity_token;
    return 0;
}

static char *
config_path(const char *docker_config_dir)
{
    if (docker_config_dir && *docker_config_dir) {
        return vg_fmt("%s/config.json", docker_config_dir);
    }
    const char *env = getenv("DOCKER_CONFIG");
    if (env && *env) {
        return vg_fmt("%s/config.json", env);
    }
    const char *home = getenv("HOME");
    if (home && *home) {
        return vg_fmt("%s/.docker/config.json", home);
    }
    return NULL;
}

int
vg_registry_creds_lookup(struct vg_registry_creds *out, bool *found, const char *registry,
                         const char *creds_opt, const char *docker_config_dir,
                         struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    *found = false;
    if (creds_opt) {
        if (split_userpass(out, creds_opt, strlen(creds_opt), "--creds", err) < 0) {
            return -1;
        }
        *found = true;
        return 0;
    }
    vg_autofree char *path = config_path(docker_config_dir);
    if (!path) {
        return 0;
    }
    struct vg_buf b = VG_BUF_INIT(DOCKER_CONFIG_MAX);
    vg_autoerr struct vg_err *rerr = NULL;
    if (vg_file_read(&b, path, DOCKER_CONFIG_MAX, &rerr) < 0) {
        vg_buf_dispose(&b);
        if (vg_err_root_code(rerr) == VG_E_NOTFOUND) {
            return 0;
        }
        if (err) {
            *err = vg_steal_ptr(&rerr);
        }
        return vg_err_wrap(err, "docker config");
    }
    int rc = vg_registry_creds_from_json(out, found, registry, b.data, b.len, path, err);
    explicit_bzero(b.data, b.len);
    vg_buf_dispose(&b);
    return rc;
}
