/* SPDX-License-Identifier: Apache-2.0
 *
 * registry/notify: the `notifications:` configuration, the event objects (Distribution's
 * fields, vigil's scan/rescan/deny members, which endpoint takes which event), the HMAC
 * signature, and the notifier's queue: bounded (drops counted), spooled across a restart, and
 * delivered in order to a real HTTP receiver (an httpd on 127.0.0.1) with the signature header.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "httpd/httpd.h"
#include "registry/notify.h"

static struct vg_config_doc *g_doc;

static int
parse(struct vg_registry_notify_config *c, const char *yaml, struct vg_err **err)
{
    vg_config_doc_free(g_doc);
    g_doc = NULL;
    if (vg_config_load_buf(&g_doc, "n.yaml", yaml, strlen(yaml), NULL, err) < 0) {
        return -1;
    }
    const struct vg_config_node *root = vg_config_doc_root(g_doc, 0);
    return vg_registry_notify_config_parse(c, vg_config_map_get(root, "notifications"), err);
}

static void
fini(void)
{
    vg_config_doc_free(g_doc);
    g_doc = NULL;
}

TestSuite(registry_notify, .fini = fini, .timeout = 60);

Test(registry_notify, config_defaults_and_header_forms)
{
    struct vg_registry_notify_config c;
    struct vg_err *err = NULL;
    cr_assert_eq(parse(&c,
                       "notifications:\n  endpoints:\n    - name: a\n      url: http://x/h\n"
                       "      headers: {Authorization: [Bearer t, Bearer u], X-One: v}\n",
                       &err),
                 0);
    cr_assert_eq(c.n, 1);
    const struct vg_registry_notify_endpoint *e = &c.endpoints[0];
    cr_expect_eq(e->timeout_ms, 5000);
    cr_expect_eq(e->threshold, 5);
    cr_expect_eq(e->backoff_ms, 1000);
    cr_expect_eq(e->max_backoff_ms, 300000);
    cr_expect_eq(e->max_queued, 1000);
    cr_expect_eq(e->quarantine_max_files, 1000);
    cr_expect_eq(e->quarantine_max_bytes, 64u * 1024u * 1024u);
    cr_expect_eq(e->actions, VG_NOTIFY_DEFAULT_ACTIONS);
    cr_expect_eq(e->min_severity, VG_SEV_UNKNOWN);
    cr_assert_eq(e->nheaders, 3);
    cr_expect_str_eq(e->headers[0], "Authorization: Bearer t");
    cr_expect_str_eq(e->headers[1], "Authorization: Bearer u");
    cr_expect_str_eq(e->headers[2], "X-One: v");
    vg_registry_notify_config_dispose(&c);
    cr_assert_eq(parse(&c,
                       "notifications:\n  endpoints:\n    - {name: a, url: http://x/h,"
                       " quarantine-max-files: 0, quarantine-max-bytes: 3 MiB}\n",
                       &err),
                 0);
    cr_expect_eq(c.endpoints[0].quarantine_max_files, 0);
    cr_expect_eq(c.endpoints[0].quarantine_max_bytes, 3u * 1024u * 1024u);
    vg_registry_notify_config_dispose(&c);
    cr_assert_eq(parse(&c, "notifications:\n", &err), 0);
    cr_expect_eq(c.n, 0);
    vg_registry_notify_config_dispose(&c);
}

Test(registry_notify, config_refuses_bad_endpoints)
{
    static const char *const bad[][2] = {
        {"- {name: ../x, url: http://x/}", "name"},
        {"- {name: a, url: ftp://x/}", "http:// or https://"},
        {"- {name: a, url: http://x/, adress: y}", "unknown key"},
        {"- {name: a, url: http://x/, events: [push, pushed]}", "expected push"},
        {"- {name: a, url: http://x/}\n    - {name: a, url: http://y/}", "used twice"},
        {"- {name: a, url: http://x/, headers: {Content-Type: x}}", "set by the registry"},
        {"- {name: a, url: http://x/, headers: {X-A: \"a\\nb\"}}", "control characters"},
        {"- {name: a, url: http://x/, min-severity: SEVERE}", "max-severity"},
        {"- {name: a, url: http://x/, max-queued: 0}", "max-queued"},
        {"- {name: a, url: http://x/, quarantine-max-bytes: lots}", "quarantine-max-bytes"},
        {"- {name: a, url: http://x/, quarantine-max-files: -1}", "quarantine-max-files"},
        {"- {name: a, url: http://x/, ignore: {kinds: [x]}}", "unknown key"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vg_registry_notify_config c;
        struct vg_err *err = NULL;
        char *yaml = vg_fmt("notifications:\n  endpoints:\n    %s\n", bad[i][0]);
        cr_expect_lt(parse(&c, yaml, &err), 0, "%s", yaml);
        char *m = vg_err_format(err);
        cr_expect(m && strstr(m, bad[i][1]), "%s: %s", yaml, m);
        free(m);
        vg_err_free(&err);
        free(yaml);
    }
}

static const struct vg_registry_notify_stamp STAMP = {"0b5c9d9e-0000-4000-8000-000000000001",
                                                      "2026-12-07T05:00:00.123Z", "host:5000",
                                                      "0b5c9d9e-0000-4000-8000-000000000002"};

static struct vg_digest
dg(void)
{
    struct vg_digest d;
    cr_assert_eq(vg_digest_parse(&d,
                                 "sha256:"
                                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                                 NULL),
                 0);
    return d;
}

Test(registry_notify, push_event_has_distribution_fields)
{
    struct vg_registry_notify_endpoint ep = {.actions = VG_NOTIFY_DEFAULT_ACTIONS};
    struct vg_digest d = dg();
    struct vg_registry_notify_event ev = {
        .action = VG_NOTIFY_PUSH,
        .repo = "prod/app",
        .tag = "1",
        .media_type = "application/vnd.oci.image.manifest.v1+json",
        .digest = &d,
        .size = 527,
        .url = "http://r/v2/prod/app/manifests/sha256:e3",
        .req_id = "rid",
        .req_addr = "127.0.0.1",
        .req_host = "r:5000",
        .req_method = "PUT",
        .req_useragent = "skopeo",
        .actor = "ci",
    };
    json_t *e = vg_registry_notify_event_json(&ep, &ev, &STAMP);
    cr_assert(e);
    char *s = vg_json_dump(e, false);
    cr_expect_str_eq(
        s, "{\"id\":\"0b5c9d9e-0000-4000-8000-000000000001\","
           "\"timestamp\":\"2026-12-07T05:00:00.123Z\",\"action\":\"push\","
           "\"target\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
           "\"digest\":\"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
           "\"size\":527,\"repository\":\"prod/app\",\"url\":\"http://r/v2/prod/app/manifests/"
           "sha256:e3\",\"tag\":\"1\"},\"request\":{\"id\":\"rid\",\"addr\":\"127.0.0.1\","
           "\"host\":\"r:5000\",\"method\":\"PUT\",\"useragent\":\"skopeo\"},"
           "\"actor\":{\"name\":\"ci\"},\"source\":{\"addr\":\"host:5000\","
           "\"instanceID\":\"0b5c9d9e-0000-4000-8000-000000000002\"}}");
    free(s);
    json_decref(e);
}

Test(registry_notify, endpoints_filter_actions_and_media_types)
{
    struct vg_digest d = dg();
    struct vg_registry_notify_event ev = {
        .action = VG_NOTIFY_PULL, .repo = "a", .media_type = "mt/x", .digest = &d};
    struct vg_registry_notify_endpoint ep = {.actions = VG_NOTIFY_DEFAULT_ACTIONS};
    cr_expect_null(vg_registry_notify_event_json(&ep, &ev, &STAMP), "pull is not a default");
    ep.actions |= VG_NOTIFY_PULL;
    json_t *e = vg_registry_notify_event_json(&ep, &ev, &STAMP);
    cr_expect(e);
    json_decref(e);
    ep.ignore_actions = VG_NOTIFY_PULL;
    cr_expect_null(vg_registry_notify_event_json(&ep, &ev, &STAMP));
    ep.ignore_actions = 0;
    char *mts[] = {(char *)(uintptr_t) "mt/x"};
    ep.ignore_mediatypes = mts;
    ep.nignore_mediatypes = 1;
    cr_expect_null(vg_registry_notify_event_json(&ep, &ev, &STAMP));
    ep.nignore_mediatypes = 0;
    ep.disabled = true;
    cr_expect_null(vg_registry_notify_event_json(&ep, &ev, &STAMP));
    ep.disabled = false;
    ev.action = VG_NOTIFY_DENY;
    ev.reason = "1 CRITICAL vulnerability: CVE-1 in zlib";
    e = vg_registry_notify_event_json(&ep, &ev, &STAMP);
    cr_assert(e);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(e, "deny"), "reason")),
                     ev.reason);
    cr_expect_null(json_object_get(e, "request"), "no request given: no request member");
    json_decref(e);
}

Test(registry_notify, scan_events_keep_findings_at_or_above_min_severity)
{
    struct vg_registry_gate_finding f[] = {
        {(char *)(uintptr_t) "CVE-L", (char *)(uintptr_t) "p", (char *)(uintptr_t) "1", NULL,
         VG_SEV_LOW},
        {(char *)(uintptr_t) "CVE-H", (char *)(uintptr_t) "p", (char *)(uintptr_t) "1",
         (char *)(uintptr_t) "2", VG_SEV_HIGH},
        {(char *)(uintptr_t) "CVE-C", (char *)(uintptr_t) "q", (char *)(uintptr_t) "1",
         (char *)(uintptr_t) "", VG_SEV_CRITICAL},
    };
    struct vg_digest d = dg();
    struct vg_registry_notify_event ev = {
        .action = VG_NOTIFY_SCAN, .repo = "a", .digest = &d, .findings = f, .nfindings = 3};
    struct vg_registry_notify_endpoint ep = {.actions = VG_NOTIFY_DEFAULT_ACTIONS,
                                             .min_severity = VG_SEV_HIGH};
    json_t *e = vg_registry_notify_event_json(&ep, &ev, &STAMP);
    cr_assert(e);
    json_t *sc = json_object_get(e, "scan");
    cr_expect_str_eq(json_string_value(json_object_get(sc, "minSeverity")), "HIGH");
    json_t *sum = json_object_get(sc, "summary");
    cr_expect_eq(json_integer_value(json_object_get(sum, "CRITICAL")), 1);
    cr_expect_eq(json_integer_value(json_object_get(sum, "HIGH")), 1);
    cr_expect_eq(json_integer_value(json_object_get(sum, "LOW")), 0);
    json_t *list = json_object_get(sc, "findings");
    cr_assert_eq(json_array_size(list), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "id")), "CVE-C");
    cr_expect_null(json_object_get(json_array_get(list, 0), "fixedVersion"), "empty fix: none");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "fixedVersion")),
                     "2");
    cr_expect(json_is_false(json_object_get(sc, "truncated")));
    json_decref(e);
    ev.nfindings = 1; /* only the LOW one */
    cr_expect_null(vg_registry_notify_event_json(&ep, &ev, &STAMP));
    ev.action = VG_NOTIFY_RESCAN;
    ep.min_severity = VG_SEV_UNKNOWN;
    e = vg_registry_notify_event_json(&ep, &ev, &STAMP);
    cr_assert(e);
    cr_expect_eq(json_array_size(json_object_get(json_object_get(e, "rescan"), "findings")), 1);
    json_decref(e);
}

Test(registry_notify, scan_findings_are_capped)
{
    size_t n = VG_REGISTRY_NOTIFY_FINDINGS_MAX + 1;
    struct vg_registry_gate_finding *f = calloc(n, sizeof(*f));
    for (size_t i = 0; i < n; i++) {
        f[i] =
            (struct vg_registry_gate_finding){(char *)(uintptr_t) "CVE-X", (char *)(uintptr_t) "p",
                                              (char *)(uintptr_t) "1", NULL, VG_SEV_MEDIUM};
    }
    struct vg_digest d = dg();
    struct vg_registry_notify_event ev = {
        .action = VG_NOTIFY_SCAN, .repo = "a", .digest = &d, .findings = f, .nfindings = n};
    struct vg_registry_notify_endpoint ep = {.actions = VG_NOTIFY_DEFAULT_ACTIONS};
    json_t *e = vg_registry_notify_event_json(&ep, &ev, &STAMP);
    json_t *sc = json_object_get(e, "scan");
    cr_expect_eq(json_array_size(json_object_get(sc, "findings")), VG_REGISTRY_NOTIFY_FINDINGS_MAX);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(sc, "summary"), "MEDIUM")),
                 (json_int_t)n);
    cr_expect(json_is_true(json_object_get(sc, "truncated")));
    json_decref(e);
    free(f);
}

Test(registry_notify, signature_is_hmac_sha256)
{
    char sig[VG_REGISTRY_NOTIFY_SIG_LEN + 1];
    const char *body = "what do ya want for nothing?"; /* RFC 4231 test case 2 */
    vg_registry_notify_signature(sig, "Jefe", body, strlen(body));
    cr_expect_str_eq(sig,
                     "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* ---------------------------------------------------------------- queue and delivery */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static char *g_bodies[16];
static char *g_sigs[16];
static size_t g_nbodies;

static int
hook_begin(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    return vg_httpd_body_buffer(r, 1u << 20);
}

static int
hook_end(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    size_t len;
    const char *b = vg_httpd_body(r, &len);
    const char *sig = vg_httpd_header(r, VG_REGISTRY_NOTIFY_SIG_HEADER);
    const char *ct = vg_httpd_header(r, "Content-Type");
    pthread_mutex_lock(&g_mu);
    if (g_nbodies < 16 && ct && strcmp(ct, VG_REGISTRY_NOTIFY_MEDIA_TYPE) == 0) {
        g_bodies[g_nbodies] = vg_strndup(b, len);
        g_sigs[g_nbodies++] = sig ? vg_strdup(sig) : NULL;
    }
    pthread_mutex_unlock(&g_mu);
    struct vg_err *err = NULL;
    return vg_httpd_respond(r, 200, "text/plain", "", 0, &err);
}

static size_t
spool_files(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        n += strstr(de->d_name, ".json") != NULL;
    }
    if (d) {
        closedir(d);
    }
    return n;
}

static void
emit_push(struct vg_registry_notifier *n, const char *tag)
{
    struct vg_digest d = dg();
    struct vg_registry_notify_event ev = {
        .action = VG_NOTIFY_PUSH, .repo = "r", .tag = tag, .digest = &d, .media_type = "m"};
    vg_registry_notifier_emit(n, &ev, "h:1");
}

Test(registry_notify, queue_is_bounded_spooled_and_delivered_in_order)
{
    char tmp[] = "/tmp/vg-notify-XXXXXX";
    cr_assert(mkdtemp(tmp));
    struct vg_err *err = NULL;
    struct vg_registry_notify_config down;
    /* port 1 on loopback: nothing listens, every attempt fails at once */
    cr_assert_eq(parse(&down,
                       "notifications:\n  endpoints:\n    - {name: e, url: 'http://127.0.0.1:1/',"
                       " max-queued: 3}\n",
                       &err),
                 0);
    struct vg_registry_notifier *n = NULL;
    cr_assert_eq(vg_registry_notifier_new(&n, &down, tmp, &err), 0);
    cr_expect(vg_registry_notifier_wants(n, VG_NOTIFY_PUSH));
    cr_expect_not(vg_registry_notifier_wants(n, VG_NOTIFY_PULL));
    emit_push(n, "a");
    emit_push(n, "b");
    emit_push(n, "c");
    emit_push(n, "d"); /* over max-queued: dropped */
    struct vg_registry_notify_stats st;
    vg_registry_notifier_stats(n, 0, &st);
    cr_expect_eq(st.queued, 3);
    cr_expect_eq(st.dropped, 1);
    vg_registry_notifier_free(n); /* never started: what is pending is spooled */
    char *dir = vg_fmt("%s/e", tmp);
    cr_expect_eq(spool_files(dir), 3);
    vg_registry_notify_config_dispose(&down);

    struct vg_httpd_config hc = {.addr = "127.0.0.1:0", .threads = 1, .access_log = "off"};
    struct vg_httpd *h = vg_httpd_new(&hc, &err);
    cr_assert(h);
    const struct vg_httpd_handler hd = {"hook",   "/hook", VG_HTTP_POST, hook_begin,
                                        hook_end, NULL,    NULL};
    cr_assert_eq(vg_httpd_route(h, &hd, &err), 0);
    cr_assert_eq(vg_httpd_start(h, &err), 0);
    char *yaml = vg_fmt("notifications:\n  endpoints:\n    - {name: e, url: "
                        "'http://127.0.0.1:%u/hook', secret: k3y, max-queued: 3}\n",
                        vg_httpd_port(h));
    struct vg_registry_notify_config up;
    cr_assert_eq(parse(&up, yaml, &err), 0);
    cr_assert_eq(vg_registry_notifier_new(&n, &up, tmp, &err), 0);
    vg_registry_notifier_stats(n, 0, &st);
    cr_expect_eq(st.queued, 3, "the spooled events are counted after a restart");
    cr_assert_eq(vg_registry_notifier_start(n, &err), 0);
    for (int i = 0; i < 500; i++) {
        vg_registry_notifier_stats(n, 0, &st);
        if (st.sent == 3) {
            break;
        }
        usleep(10 * 1000);
    }
    cr_expect_eq(st.sent, 3);
    cr_expect_eq(st.queued, 0);
    cr_expect_eq(spool_files(dir), 0);
    pthread_mutex_lock(&g_mu);
    cr_assert_eq(g_nbodies, 3);
    const char *tags[] = {"a", "b", "c"};
    for (size_t i = 0; i < 3; i++) {
        json_t *env = json_loads(g_bodies[i], 0, NULL);
        json_t *ev = json_array_get(json_object_get(env, "events"), 0);
        cr_expect_str_eq(json_string_value(json_object_get(json_object_get(ev, "target"), "tag")),
                         tags[i]);
        json_decref(env);
        char want[VG_REGISTRY_NOTIFY_SIG_LEN + 1];
        vg_registry_notify_signature(want, "k3y", g_bodies[i], strlen(g_bodies[i]));
        cr_expect(g_sigs[i] && strcmp(g_sigs[i], want) == 0, "%s", g_sigs[i]);
        free(g_bodies[i]);
        free(g_sigs[i]);
    }
    g_nbodies = 0;
    pthread_mutex_unlock(&g_mu);
    struct vg_buf m = VG_BUF_INIT(1u << 20);
    vg_registry_notifier_metrics(&m, n);
    cr_expect(
        strstr((const char *)m.data, "vigil_registry_notifications_sent_total{endpoint=\"e\"} 3\n"),
        "%s", m.data);
    vg_buf_dispose(&m);
    vg_registry_notifier_free(n);
    vg_registry_notify_config_dispose(&up);
    vg_httpd_free(h);
    free(yaml);
    free(dir);
    cr_expect_eq(vg_remove_tree(tmp, NULL, &err), 0);
}

Test(registry_notify, reconfigure_keeps_queues_swaps_settings_and_spools_removed)
{
    char tmp[] = "/tmp/vg-notify-XXXXXX";
    cr_assert(mkdtemp(tmp));
    struct vg_err *err = NULL;
    struct vg_registry_notify_config cfg;
    cr_assert_eq(parse(&cfg,
                       "notifications:\n  endpoints:\n    - {name: e, url: 'http://127.0.0.1:1/',"
                       " max-queued: 2}\n    - {name: gone, url: 'http://127.0.0.1:1/'}\n"
                       "    - {name: same, url: 'http://127.0.0.1:1/'}\n",
                       &err),
                 0);
    struct vg_registry_notifier *n = NULL;
    cr_assert_eq(vg_registry_notifier_new(&n, &cfg, tmp, &err), 0);
    vg_registry_notify_config_dispose(&cfg); /* the notifier has its own copy */
    emit_push(n, "a");
    emit_push(n, "b");
    emit_push(n, "c"); /* dropped for e (max-queued 2), queued for gone and same */
    struct vg_registry_notify_config cfg2;
    struct vg_config_doc *keep = g_doc;
    g_doc = NULL;
    cr_assert_eq(parse(&cfg2,
                       "notifications:\n  endpoints:\n    - {name: same, url: "
                       "'http://127.0.0.1:1/'}\n    - {name: e, url: 'http://127.0.0.1:1/',"
                       " max-queued: 5}\n    - {name: new, url: 'http://127.0.0.1:1/'}\n",
                       &err),
                 0);
    struct vg_registry_notify_reload rl;
    cr_assert_eq(vg_registry_notifier_reconfigure(n, &cfg2, &rl, &err), 0);
    cr_expect_eq(rl.unchanged, 1);
    cr_expect_eq(rl.changed, 1);
    cr_expect_eq(rl.added, 1);
    cr_expect_eq(rl.removed, 1);
    vg_registry_notify_config_dispose(&cfg2);
    cr_expect_eq(vg_registry_notifier_count(n), 3);
    struct vg_registry_notify_stats st;
    vg_registry_notifier_stats(n, 0, &st); /* same: its queue, in its new place */
    cr_expect_eq(st.queued, 3);
    vg_registry_notifier_stats(n, 1, &st); /* e: the same queue and counters */
    cr_expect_eq(st.queued, 2);
    cr_expect_eq(st.dropped, 1, "counters carry over a reload");
    emit_push(n, "d");
    emit_push(n, "e");
    emit_push(n, "f"); /* e takes 5 now: the new max-queued applies */
    vg_registry_notifier_stats(n, 1, &st);
    cr_expect_eq(st.queued, 5);
    cr_expect_eq(st.dropped, 1);
    char *dg_ = vg_fmt("%s/gone", tmp);
    cr_expect_eq(spool_files(dg_), 3, "a removed endpoint spools what it held");
    vg_registry_notifier_free(n);
    char *de = vg_fmt("%s/e", tmp), *dn = vg_fmt("%s/new", tmp), *ds = vg_fmt("%s/same", tmp);
    cr_expect_eq(spool_files(de), 5);
    cr_expect_eq(spool_files(dn), 3);
    cr_expect_eq(spool_files(ds), 6);
    vg_config_doc_free(keep);
    cr_expect_eq(vg_remove_tree(tmp, NULL, &err), 0);
    free(de);
    free(dg_);
    free(dn);
    free(ds);
}

Test(registry_notify, producer_events_go_through_the_inbox_to_the_server)
{
    char tmp[] = "/tmp/vg-notify-XXXXXX";
    cr_assert(mkdtemp(tmp));
    struct vg_err *err = NULL;
    struct vg_httpd_config hc = {.addr = "127.0.0.1:0", .threads = 1, .access_log = "off"};
    struct vg_httpd *h = vg_httpd_new(&hc, &err);
    cr_assert(h);
    const struct vg_httpd_handler hd = {"hook",   "/hook", VG_HTTP_POST, hook_begin,
                                        hook_end, NULL,    NULL};
    cr_assert_eq(vg_httpd_route(h, &hd, &err), 0);
    cr_assert_eq(vg_httpd_start(h, &err), 0);
    char *yaml = vg_fmt("notifications:\n  endpoints:\n    - {name: e, url: "
                        "'http://127.0.0.1:%u/hook'}\n",
                        vg_httpd_port(h));
    struct vg_registry_notify_config cfg;
    cr_assert_eq(parse(&cfg, yaml, &err), 0);
    /* another process's notifier (vigil registry rescan) writes to the inbox only */
    struct vg_registry_notifier *p = NULL;
    cr_assert_eq(vg_registry_notifier_new_producer(&p, &cfg, tmp, &err), 0);
    emit_push(p, "x");
    emit_push(p, "y");
    vg_registry_notifier_free(p);
    char *dir = vg_fmt("%s/e", tmp), *inbox = vg_fmt("%s/e/inbox", tmp);
    cr_expect_eq(spool_files(inbox), 2);
    cr_expect_eq(spool_files(dir), 0, "a producer never writes the server's spool");
    struct vg_registry_notifier *n = NULL;
    cr_assert_eq(vg_registry_notifier_new(&n, &cfg, tmp, &err), 0);
    cr_assert_eq(vg_registry_notifier_start(n, &err), 0);
    struct vg_registry_notify_stats st = {0};
    for (int i = 0; i < 1000 && st.sent < 2; i++) {
        vg_registry_notifier_stats(n, 0, &st);
        usleep(10 * 1000);
    }
    cr_expect_eq(st.sent, 2);
    cr_expect_eq(spool_files(inbox), 0);
    cr_expect_eq(spool_files(dir), 0);
    pthread_mutex_lock(&g_mu);
    cr_assert_eq(g_nbodies, 2);
    const char *tags[] = {"x", "y"};
    for (size_t i = 0; i < 2; i++) {
        json_t *env = json_loads(g_bodies[i], 0, NULL);
        json_t *ev = json_array_get(json_object_get(env, "events"), 0);
        cr_expect_str_eq(json_string_value(json_object_get(json_object_get(ev, "target"), "tag")),
                         tags[i], "inbox events are sent oldest first");
        json_decref(env);
        free(g_bodies[i]);
        free(g_sigs[i]);
    }
    g_nbodies = 0;
    pthread_mutex_unlock(&g_mu);
    vg_registry_notifier_free(n);
    vg_registry_notify_config_dispose(&cfg);
    vg_httpd_free(h);
    free(yaml);
    free(dir);
    free(inbox);
    cr_expect_eq(vg_remove_tree(tmp, NULL, &err), 0);
}

/* ---------------------------------------------------------------- spool files read back */

Test(notify_spool, file_names)
{
    uint64_t seq = 0;
    cr_assert(vg_registry_notify_spool_name("000000000000002a.json", &seq) && seq == 42);
    cr_assert(vg_registry_notify_spool_name("7fffffffffffffff.json", &seq));
    const char *bad_spool[] = {"ffffffffffffffff.json",
                               "8000000000000000.json",
                               "000000000000002A.json",
                               "000000000000002a.JSON",
                               "000000000000002a.json.tmp.1.abc",
                               "00000000000002a.json",
                               "../00000000000002a.json",
                               "a/0000000000000000.json",
                               "",
                               ".",
                               ".."};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad_spool); i++) {
        cr_assert(!vg_registry_notify_spool_name(bad_spool[i], &seq), "%s", bad_spool[i]);
    }
    cr_assert(vg_registry_notify_inbox_name("0000018a2b3c4d5e-00001f40-00000000.json"));
    const char *bad_inbox[] = {"0000018a2b3c4d5e-00001f40-00000000.jso",
                               "0000018a2b3c4d5e_00001f40-00000000.json",
                               "0000018a2b3c4d5e-00001f40-0000000g.json",
                               "../18a2b3c4d5e-00001f40-00000000.json",
                               "evil.json",
                               "..json"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad_inbox); i++) {
        cr_assert(!vg_registry_notify_inbox_name(bad_inbox[i]), "%s", bad_inbox[i]);
    }
    cr_assert(vg_registry_notify_temp_name("000000000000002a.json.tmp.123.AbCdEf"));
    cr_assert(vg_registry_notify_temp_name("0000018a2b3c4d5e-00001f40-00000000.json.tmp.9.x"));
    cr_assert(!vg_registry_notify_temp_name("000000000000002a.json.tmp."));
    cr_assert(!vg_registry_notify_temp_name("evil.json.tmp.1.x"));
    cr_assert(!vg_registry_notify_temp_name("000000000000002a.json.tmp./../../x")); /* fuzz */
    cr_assert(!vg_registry_notify_temp_name("000000000000002a.json"));
}

Test(notify_spool, event_check)
{
    char *out = NULL;
    struct vg_err *err = NULL;
    const char *ok = "{ \"id\": \"e1\", \"action\": \"push\", \"target\": {\"tag\": \"v1\"} }";
    cr_assert_eq(vg_registry_notify_event_check(&out, ok, strlen(ok), NULL), 0);
    cr_assert_str_eq(out, "{\"id\":\"e1\",\"action\":\"push\",\"target\":{\"tag\":\"v1\"}}");
    free(out);
    const char *bad[] = {"",
                         "hello",
                         "[1,2]",
                         "{\"id\":\"a\",\"action\":\"push\"},{\"id\":\"b\",\"action\":\"push\"}",
                         "{\"id\":\"a\",\"action\":\"push\"",
                         "{\"id\":\"a\",\"id\":\"b\",\"action\":\"push\"}",
                         "{\"id\":\"\",\"action\":\"push\"}",
                         "{\"id\":1,\"action\":\"push\"}",
                         "{\"id\":\"a\",\"action\":\"exfiltrate\"}",
                         "{\"action\":\"push\"}"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        cr_assert_lt(vg_registry_notify_event_check(&out, bad[i], strlen(bad[i]), &err), 0, "%s",
                     bad[i]);
        cr_assert_null(out);
        cr_assert_not_null(err);
        vg_err_free(&err);
    }
    /* A raw NUL byte (a C string reader would stop there) is not JSON. */
    static const char nul[] = "{\"id\":\"a\",\"action\":\"push\"}\0{\"id\":\"b\"}";
    cr_assert_lt(vg_registry_notify_event_check(&out, nul, sizeof(nul) - 1, &err), 0);
    cr_assert_null(out);
    vg_err_free(&err);
}
