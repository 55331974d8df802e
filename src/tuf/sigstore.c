/* SPDX-License-Identifier: Apache-2.0
 *
 * Sigstore's trust-root distribution on the TUF client: a TUF repository in the
 * specification's dialect (consistent snapshots, "N.root.json", hash-prefixed target files)
 * whose target "trusted_root.json" is the Sigstore trusted root. Everything verified lives in
 * one cache directory per mirror (metadata/ for the TUF roles, targets/ for the target bytes),
 * so a later run without the network still has a verified root: when the mirror cannot be
 * reached (VG_E_NET), the same update runs against the cache alone (a fetcher that serves the
 * cached timestamp and nothing else), with every signature, version, hash and expiry check,
 * and the cached target is used when it matches the trusted targets metadata.
 */
#include "tuf.h"

#include <inttypes.h>

#include "net/net.h"

char *
vg_tuf_sigstore_cache_dir(const char *mirror)
{
    uint8_t d[32];
    vg_sha256_raw(d, mirror, strlen(mirror));
    char hex[65];
    vg_hex_encode(hex, d, sizeof(d));
    hex[16] = '\0';
    vg_autofree char *base = vg_cache_dir();
    return vg_fmt("%s/tuf/%s", base, hex);
}

/* The offline fetcher: the cached timestamp.json is "the repository's"; anything else is
 * absent, so the root walk stops at the cached root and the snapshot and targets are taken
 * from the cache only when they are the versions the timestamp and snapshot name. */
static int
cache_fetch(void *payload, const char *name, struct vg_buf *out, struct vg_err **err)
{
    const char *dir = payload;
    if (strcmp(name, "timestamp.json") != 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "%s: not in the offline cache", name);
    }
    vg_autofree char *path = vg_fmt("%s/%s", dir, name);
    return vg_file_read(out, path, out->max, err);
}

static int
run_update(struct vg_tuf_client **out, const struct vg_tuf_sigstore_opts *o, const char *metadir,
           struct vg_tuf_fetcher f, struct vg_err **err)
{
    struct vg_tuf_client_opts co = VG_TUF_CLIENT_OPTS_INIT;
    co.dialect = VG_TUF_DIALECT_SPEC;
    co.cache_dir = metadir;
    co.bootstrap_root = o->root;
    co.bootstrap_root_len = o->root_len;
    co.now = o->now;
    co.fetcher = f;
    struct vg_tuf_client *c = NULL;
    if (vg_tuf_client_new(&c, &co, err) < 0) {
        return -1;
    }
    if (vg_tuf_client_update(c, err) < 0) {
        vg_tuf_client_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

/* The target's bytes: the cached copy when it matches the trusted entry, else (online) the
 * download, written back to the cache. */
static int
get_target(struct vg_buf *out, struct vg_tuf_client *c, const char *dir, const char *name,
           bool online, struct vg_err **err)
{
    const struct vg_tuf_target *t = NULL;
    if (vg_tuf_client_target(c, name, &t, NULL, err) < 0) {
        return -1;
    }
    vg_autofree char *path = vg_fmt("%s/targets/%s", dir, name);
    vg_autobuf struct vg_buf cached = VG_BUF_INIT(VG_TUF_SIGSTORE_TARGET_MAX);
    struct vg_err *e = NULL;
    if (vg_file_read(&cached, path, VG_TUF_SIGSTORE_TARGET_MAX, &e) == 0 &&
        vg_tuf_target_check(t, cached.data, cached.len, &e) == 0) {
        *out = cached;
        cached = (struct vg_buf)VG_BUF_INIT(0);
        return 0;
    }
    if (!online) {
        *err = e;
        return vg_err_wrap_code(err, VG_E_NOTFOUND, "no verified %s in the offline cache", name);
    }
    vg_err_free(&e);
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(0);
    if (vg_tuf_client_download_target(c, t, VG_TUF_SIGSTORE_TARGET_MAX, &raw, err) < 0) {
        return -1;
    }
    vg_autofree char *tdir = vg_fmt("%s/targets", dir);
    if (vg_mkdir_p(tdir, 0700, err) < 0 ||
        vg_file_write_atomic(path, raw.data, raw.len, 0644, err) < 0) {
        return vg_err_wrap(err, "tuf cache");
    }
    *out = raw;
    raw = (struct vg_buf)VG_BUF_INIT(0);
    return 0;
}

static bool
safe_target_name(const char *n)
{
    if (!*n || strlen(n) > VG_TUF_ROLE_NAME_MAX || n[0] == '.') {
        return false;
    }
    for (const char *p = n; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-')) {
            return false;
        }
    }
    return true;
}

static int
online(struct vg_buf *out, const struct vg_tuf_sigstore_opts *o, const char *dir,
       const char *metadir, const char *name, struct vg_err **err)
{
    struct vg_http_client_opts ho = VG_HTTP_CLIENT_OPTS_INIT;
    ho.ca_file = o->ca_file;
    ho.deadline_ns = o->deadline_ns;
    ho.connect_timeout_s = o->connect_timeout_s;
    ho.max_retries = o->max_retries;
    struct vg_http_client *http = NULL;
    if (vg_http_client_new(&http, &ho, err) < 0) {
        return -1;
    }
    struct vg_tuf_fetcher f = {0};
    struct vg_tuf_client *c = NULL;
    int rc = -1;
    if (vg_tuf_fetcher_http(&f, http, o->mirror, err) == 0 &&
        run_update(&c, o, metadir, f, err) == 0) {
        rc = get_target(out, c, dir, name, true, err);
    }
    vg_tuf_client_free(c);
    vg_tuf_fetcher_http_free(&f);
    vg_http_client_free(http);
    return rc;
}

int
vg_tuf_sigstore_fetch(struct vg_buf *out, const struct vg_tuf_sigstore_opts *o, bool *from_cache,
                      struct vg_err **err)
{
    *from_cache = false;
    const char *name = o->target ? o->target : VG_TUF_SIGSTORE_TARGET;
    if (!o->mirror || !safe_target_name(name)) {
        return vg_err_set(err, VG_E_USAGE, "tuf: a mirror URL and a plain target name are needed");
    }
    vg_autofree char *dir =
        o->cache_dir ? vg_strdup(o->cache_dir) : vg_tuf_sigstore_cache_dir(o->mirror);
    vg_autofree char *metadir = vg_fmt("%s/metadata", dir);
    if (!o->offline) {
        if (online(out, o, dir, metadir, name, err) == 0) {
            return 0;
        }
        if (vg_err_root_code(*err) != VG_E_NET) {
            return vg_err_wrap(err, "TUF repository %s", o->mirror);
        }
    }
    /* The mirror is unreachable (or offline was asked for): the verified cache alone. */
    struct vg_tuf_fetcher f = {.fetch = cache_fetch, .payload = metadir};
    struct vg_tuf_client *c = NULL;
    struct vg_err *e = NULL;
    struct vg_tuf_sigstore_opts oo = *o;
    oo.root = NULL; /* offline, only a cached root can anchor */
    oo.root_len = 0;
    if (run_update(&c, &oo, metadir, f, &e) < 0 || get_target(out, c, dir, name, false, &e) < 0) {
        vg_tuf_client_free(c);
        if (o->offline) {
            *err = e;
            return vg_err_wrap(err, "TUF cache %s (offline)", dir);
        }
        vg_autofree char *why = vg_err_format(e);
        vg_err_free(&e);
        return vg_err_wrap(err, "TUF repository %s unreachable and no usable cache in %s (%s)",
                           o->mirror, dir, why);
    }
    vg_tuf_client_free(c);
    vg_err_free(err);
    *from_cache = true;
    return 0;
}
