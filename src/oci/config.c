/* SPDX-License-Identifier: Apache-2.0
 *
 * Image configs (OCI image config and Docker container image v1, which share one shape): the
 * platform, the runtime defaults (user, env, entrypoint, cmd, ports, volumes, labels,
 * healthcheck, stop signal), the history, and rootfs.diff_ids — the uncompressed layer digests
 * that layers/ checks each walked tar against.
 *
 * Every member is type-checked; JSON null is accepted wherever Docker writes it (a null
 * Entrypoint, Labels or Volumes) and means absent. Unknown members are ignored, as the spec
 * requires.
 */
#include "oci.h"

#include <string.h>

void
vg_oci_config_free(struct vg_oci_config *c)
{
    if (!c) {
        return;
    }
    char **strs[] = {&c->os,     &c->architecture, &c->variant, &c->created,
                     &c->author, &c->user,         &c->workdir, &c->stop_signal};
    for (size_t i = 0; i < VG_ARRAY_LEN(strs); i++) {
        free(*strs[i]);
    }
    struct {
        char **v;
        size_t n;
    } lists[] = {{c->env, c->nenv},
                 {c->entrypoint, c->nentrypoint},
                 {c->cmd, c->ncmd},
                 {c->exposed_ports, c->nexposed_ports},
                 {c->volumes, c->nvolumes}};
    for (size_t i = 0; i < VG_ARRAY_LEN(lists); i++) {
        for (size_t j = 0; j < lists[i].n; j++) {
            free(lists[i].v[j]);
        }
        free(lists[i].v);
    }
    json_decref(c->labels);
    json_decref(c->healthcheck);
    for (size_t i = 0; i < c->nhistory; i++) {
        free(c->history[i].created);
        free(c->history[i].created_by);
        free(c->history[i].comment);
    }
    free(c->history);
    free(c->diff_ids);
    free(c);
}

static json_t *
member(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

static int
get_str(char **out, const json_t *obj, const char *key, const char *where, struct vg_err **err)
{
    json_t *v = member(obj, key);
    if (!v) {
        return 0;
    }
    if (!json_is_string(v)) {
        return vg_err_set(err, VG_E_PARSE, "config%s/%s: not a string", where, key);
    }
    *out = vg_strndup(json_string_value(v), json_string_length(v));
    return 0;
}

static int
get_str_array(char ***out, size_t *n, const json_t *obj, const char *key, const char *where,
              struct vg_err **err)
{
    json_t *v = member(obj, key);
    if (!v) {
        return 0;
    }
    if (!json_is_array(v)) {
        return vg_err_set(err, VG_E_PARSE, "config%s/%s: not an array", where, key);
    }
    size_t count = json_array_size(v);
    *out = vg_calloc(count ? count : 1, sizeof(char *));
    for (size_t i = 0; i < count; i++) {
        json_t *s = json_array_get(v, i);
        if (!json_is_string(s)) {
            return vg_err_set(err, VG_E_PARSE, "config%s/%s/%zu: not a string", where, key, i);
        }
        (*out)[i] = vg_strndup(json_string_value(s), json_string_length(s));
        (*n)++;
    }
    return 0;
}

/* {"80/tcp": {}, ...} and {"/data": {}} sets: keys only, in document order. */
static int
get_key_set(char ***out, size_t *n, const json_t *obj, const char *key, const char *where,
            struct vg_err **err)
{
    json_t *v = member(obj, key);
    if (!v) {
        return 0;
    }
    if (!json_is_object(v)) {
        return vg_err_set(err, VG_E_PARSE, "config%s/%s: not an object", where, key);
    }
    size_t count = json_object_size(v);
    *out = vg_calloc(count ? count : 1, sizeof(char *));
    const char *k;
    json_t *val;
    json_object_foreach (v, k, val) {
        (*out)[(*n)++] = vg_strdup(k);
    }
    return 0;
}

static int
get_labels(json_t **out, const json_t *obj, struct vg_err **err)
{
    json_t *v = member(obj, "Labels");
    if (!v) {
        return 0;
    }
    if (!json_is_object(v)) {
        return vg_err_set(err, VG_E_PARSE, "config/config/Labels: not an object");
    }
    const char *k;
    json_t *val;
    json_object_foreach (v, k, val) {
        if (!json_is_string(val)) {
            char *e = vg_escape(k, strlen(k), 64);
            int rc = vg_err_set(err, VG_E_PARSE, "config/config/Labels/%s: not a string", e);
            free(e);
            return rc;
        }
    }
    *out = json_incref(v);
    return 0;
}

static int
parse_runtime(struct vg_oci_config *c, const json_t *doc, struct vg_err **err)
{
    json_t *rc = member(doc, "config");
    if (!rc) {
        return 0;
    }
    if (!json_is_object(rc)) {
        return vg_err_set(err, VG_E_PARSE, "config/config: not an object");
    }
    const char *w = "/config";
    if (get_str(&c->user, rc, "User", w, err) < 0 ||
        get_str(&c->workdir, rc, "WorkingDir", w, err) < 0 ||
        get_str(&c->stop_signal, rc, "StopSignal", w, err) < 0 ||
        get_str_array(&c->env, &c->nenv, rc, "Env", w, err) < 0 ||
        get_str_array(&c->entrypoint, &c->nentrypoint, rc, "Entrypoint", w, err) < 0 ||
        get_str_array(&c->cmd, &c->ncmd, rc, "Cmd", w, err) < 0 ||
        get_key_set(&c->exposed_ports, &c->nexposed_ports, rc, "ExposedPorts", w, err) < 0 ||
        get_key_set(&c->volumes, &c->nvolumes, rc, "Volumes", w, err) < 0 ||
        get_labels(&c->labels, rc, err) < 0) {
        return -1;
    }
    json_t *hc = member(rc, "Healthcheck");
    if (hc && !json_is_object(hc)) {
        return vg_err_set(err, VG_E_PARSE, "config/config/Healthcheck: not an object");
    }
    c->healthcheck = hc ? json_incref(hc) : NULL;
    return 0;
}

static int
parse_history(struct vg_oci_config *c, const json_t *doc, struct vg_err **err)
{
    json_t *h = member(doc, "history");
    if (!h) {
        return 0;
    }
    if (!json_is_array(h)) {
        return vg_err_set(err, VG_E_PARSE, "config/history: not an array");
    }
    size_t count = json_array_size(h);
    c->history = vg_calloc(count ? count : 1, sizeof(*c->history));
    for (size_t i = 0; i < count; i++) {
        json_t *e = json_array_get(h, i);
        struct vg_oci_history *hi = &c->history[i];
        c->nhistory++;
        char *w = vg_fmt("/history/%zu", i);
        int rc = 0;
        if (!json_is_object(e)) {
            rc = vg_err_set(err, VG_E_PARSE, "config%s: not an object", w);
        } else if (get_str(&hi->created, e, "created", w, err) < 0 ||
                   get_str(&hi->created_by, e, "created_by", w, err) < 0 ||
                   get_str(&hi->comment, e, "comment", w, err) < 0) {
            rc = -1;
        } else {
            json_t *el = member(e, "empty_layer");
            if (el && !json_is_boolean(el)) {
                rc = vg_err_set(err, VG_E_PARSE, "config%s/empty_layer: not a boolean", w);
            }
            hi->empty_layer = json_is_true(el);
        }
        free(w);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static int
parse_rootfs(struct vg_oci_config *c, const json_t *doc, struct vg_err **err)
{
    json_t *r = member(doc, "rootfs");
    if (!json_is_object(r)) {
        return vg_err_set(err, VG_E_PARSE, "config/rootfs: missing or not an object");
    }
    const char *type = vg_json_str(r, "type");
    if (!type || strcmp(type, "layers") != 0) {
        return vg_err_set(err, VG_E_PARSE, "config/rootfs/type: must be \"layers\"");
    }
    json_t *ids = member(r, "diff_ids");
    if (ids && !json_is_array(ids)) {
        return vg_err_set(err, VG_E_PARSE, "config/rootfs/diff_ids: not an array");
    }
    size_t count = json_array_size(ids);
    if (count > VG_LIMIT_LAYERS) {
        return vg_err_set(err, VG_E_LIMIT,
                          "config/rootfs/diff_ids: %zu entries exceeds the limit of %u", count,
                          VG_LIMIT_LAYERS);
    }
    c->diff_ids = vg_calloc(count ? count : 1, sizeof(*c->diff_ids));
    for (size_t i = 0; i < count; i++) {
        const char *s = json_string_value(json_array_get(ids, i));
        if (!s || vg_digest_parse(&c->diff_ids[i], s, NULL) < 0) {
            return vg_err_set(err, VG_E_PARSE, "config/rootfs/diff_ids/%zu: invalid digest", i);
        }
        c->ndiff_ids++;
    }
    return 0;
}

int
vg_oci_config_parse(struct vg_oci_config **out, const void *data, size_t len, struct vg_err **err)
{
    vg_autojson json_t *doc = NULL;
    if (vg_json_parse(&doc, data, len, VG_LIMIT_CONFIG_BYTES, "config", err) < 0) {
        return -1;
    }
    if (!json_is_object(doc)) {
        return vg_err_set(err, VG_E_PARSE, "config: not a JSON object");
    }
    struct vg_oci_config *c = vg_calloc(1, sizeof(*c));
    if (get_str(&c->os, doc, "os", "", err) < 0 ||
        get_str(&c->architecture, doc, "architecture", "", err) < 0 ||
        get_str(&c->variant, doc, "variant", "", err) < 0 ||
        get_str(&c->created, doc, "created", "", err) < 0 ||
        get_str(&c->author, doc, "author", "", err) < 0 || parse_runtime(c, doc, err) < 0 ||
        parse_history(c, doc, err) < 0 || parse_rootfs(c, doc, err) < 0) {
        vg_oci_config_free(c);
        return -1;
    }
    *out = c;
    return 0;
}
