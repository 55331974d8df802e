/* SPDX-License-Identifier: Apache-2.0
 *
 * Notification events (notify.h): which endpoint takes which event, the event object in
 * Distribution's shape plus vigil's scan/rescan/deny members, and the HMAC signature of a
 * body. Pure functions: no I/O, no locks.
 */
#include "registry/notify.h"

#include <string.h>

#include "crypto/crypto.h"

static bool
mediatype_ignored(const struct vg_registry_notify_endpoint *ep, const char *mt)
{
    for (size_t i = 0; mt && i < ep->nignore_mediatypes; i++) {
        if (strcmp(ep->ignore_mediatypes[i], mt) == 0) {
            return true;
        }
    }
    return false;
}

static int
by_severity_desc(const void *a, const void *b)
{
    const struct vg_registry_gate_finding *x = *(const struct vg_registry_gate_finding *const *)a;
    const struct vg_registry_gate_finding *y = *(const struct vg_registry_gate_finding *const *)b;
    if (x->severity != y->severity) {
        return x->severity > y->severity ? -1 : 1;
    }
    int c = strcmp(x->id ? x->id : "", y->id ? y->id : "");
    return c ? c : strcmp(x->pkg ? x->pkg : "", y->pkg ? y->pkg : "");
}

/* NONE and UNKNOWN severities count together as UNKNOWN in summaries. */
static const char *
summary_key(enum vg_vulndb_severity s)
{
    return s <= VG_SEV_NONE ? "UNKNOWN" : vg_vulndb_severity_name(s);
}

/* {minSeverity, summary (all findings at or above it), findings (the most severe first, at most
 * VG_REGISTRY_NOTIFY_FINDINGS_MAX), truncated}; NULL when no finding is at or above it. */
static json_t *
findings_json(const struct vg_registry_notify_endpoint *ep,
              const struct vg_registry_notify_event *ev)
{
    const struct vg_registry_gate_finding **v = vg_calloc(ev->nfindings + 1, sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < ev->nfindings; i++) {
        if (ev->findings[i].severity >= ep->min_severity) {
            v[n++] = &ev->findings[i];
        }
    }
    if (n == 0) {
        free(v);
        return NULL;
    }
    vg_qsort(v, n, sizeof(*v), by_severity_desc);
    json_t *summary = json_pack("{s:i,s:i,s:i,s:i,s:i}", "CRITICAL", 0, "HIGH", 0, "MEDIUM", 0,
                                "LOW", 0, "UNKNOWN", 0);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *k = summary_key(v[i]->severity);
        json_object_set_new(summary, k,
                            json_integer(json_integer_value(json_object_get(summary, k)) + 1));
        if (i >= VG_REGISTRY_NOTIFY_FINDINGS_MAX) {
            continue;
        }
        json_t *f = json_object();
        vg_json_set_str(f, "id", v[i]->id);
        vg_json_set_str(f, "package", v[i]->pkg);
        vg_json_set_str(f, "installedVersion", v[i]->version);
        if (v[i]->fixed && *v[i]->fixed) {
            vg_json_set_str(f, "fixedVersion", v[i]->fixed);
        }
        vg_json_set_str(f, "severity", summary_key(v[i]->severity));
        json_array_append_new(list, f);
    }
    json_t *o =
        json_pack("{s:s,s:o,s:o,s:b}", "minSeverity", summary_key(ep->min_severity), "summary",
                  summary, "findings", list, "truncated", n > VG_REGISTRY_NOTIFY_FINDINGS_MAX);
    free(v);
    return o;
}

json_t *
vg_registry_notify_event_json(const struct vg_registry_notify_endpoint *ep,
                              const struct vg_registry_notify_event *ev,
                              const struct vg_registry_notify_stamp *st)
{
    const char *action = vg_registry_notify_action_name(ev->action);
    if (!action || ep->disabled || !(ep->actions & ev->action) ||
        (ep->ignore_actions & ev->action) || mediatype_ignored(ep, ev->media_type)) {
        return NULL;
    }
    json_t *extra = NULL;
    if (ev->action == VG_NOTIFY_SCAN || ev->action == VG_NOTIFY_RESCAN) {
        if (!(extra = findings_json(ep, ev))) {
            return NULL;
        }
    } else if (ev->action == VG_NOTIFY_DENY) {
        extra = json_object();
        vg_json_set_str(extra, "reason", ev->reason ? ev->reason : "");
    }
    json_t *target = json_object();
    vg_json_set_str(target, "mediaType", ev->media_type);
    if (ev->digest) {
        vg_json_set_str(target, "digest", ev->digest->text);
        json_object_set_new(target, "size", json_integer((json_int_t)ev->size));
    }
    vg_json_set_str(target, "repository", ev->repo);
    vg_json_set_str(target, "url", ev->url);
    vg_json_set_str(target, "tag", ev->tag);
    json_t *e = json_object();
    vg_json_set_str(e, "id", st->id);
    vg_json_set_str(e, "timestamp", st->timestamp);
    vg_json_set_str(e, "action", action);
    json_object_set_new(e, "target", target);
    if (ev->req_id || ev->req_method) {
        json_t *req = json_object();
        vg_json_set_str(req, "id", ev->req_id);
        vg_json_set_str(req, "addr", ev->req_addr);
        vg_json_set_str(req, "host", ev->req_host);
        vg_json_set_str(req, "method", ev->req_method);
        vg_json_set_str(req, "useragent", ev->req_useragent);
        json_object_set_new(e, "request", req);
        json_t *actor = json_object();
        vg_json_set_str(actor, "name", ev->actor);
        json_object_set_new(e, "actor", actor);
    }
    json_t *src = json_object();
    vg_json_set_str(src, "addr", st->source_addr);
    vg_json_set_str(src, "instanceID", st->instance_id);
    json_object_set_new(e, "source", src);
    if (extra) {
        json_object_set_new(e, action, extra);
    }
    return e;
}

void
vg_registry_notify_signature(char out[VG_REGISTRY_NOTIFY_SIG_LEN + 1], const char *key,
                             const void *body, size_t len)
{
    uint8_t mac[VG_CRYPTO_HMAC_SHA256_BYTES];
    vg_crypto_hmac_sha256(mac, key, strlen(key), body, len);
    memcpy(out, "sha256=", 7);
    vg_hex_encode(out + 7, mac, sizeof(mac));
}
