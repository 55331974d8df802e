#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

/* A temporary file as the log sink; returns its path (static buffer per test process). */
static char g_path[64];

static void
sink_to_tmpfile(void)
{
    snprintf(g_path, sizeof(g_path), "/tmp/vg-test-log-XXXXXX");
    int fd = mkstemp(g_path);
    cr_assert(fd >= 0);
    close(fd);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_log_open_file(g_path, &err), 0);
}

static char *
slurp(size_t *len)
{
    FILE *f = fopen(g_path, "rb");
    cr_assert_not_null(f);
    struct vg_buf b = VG_BUF_INIT(64u << 20);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
        cr_assert_eq(vg_buf_append(&b, tmp, n, NULL), 0);
    }
    fclose(f);
    unlink(g_path);
    return vg_buf_take(&b, len);
}

/* Parses the only line of the sink as JSON. */
static json_t *
one_json_line(void)
{
    size_t len;
    char *s = slurp(&len);
    cr_assert(len > 0 && s[len - 1] == '\n', "not one terminated line: %s", s);
    cr_assert_null(memchr(s, '\n', len - 1), "more than one line: %s", s);
    json_error_t je;
    json_t *o = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
    cr_assert_not_null(o, "not JSON (%s): %s", je.text, s);
    free(s);
    return o;
}

Test(core_log, text_default_is_the_cli_format)
{
    sink_to_tmpfile();
    vg_log_init("info");
    VG_WARN("oci", "pull %s: %d retries", "alpine", 3);
    VG_DEBUG("oci", "not shown");
    vg_log_write(VG_LOG_ERROR, "x", "bad\nline\\ \x01");
    size_t len;
    char *s = slurp(&len);
    cr_assert_str_eq(s, "vigil: warn: pull alpine: 3 retries\n"
                        "vigil: error: bad\\x0aline\\\\ \\x01\n");
    free(s);
}

Test(core_log, text_event_with_key_values)
{
    sink_to_tmpfile();
    vg_log_init("info");
    VG_EVENT(VG_LOG_INFO, "registry", "blob stored", VG_KV_STR("repo", "lib/alpine"),
             VG_KV_STR("note", "two words \"q\""), VG_KV_U64("bytes", 42), VG_KV_BOOL("new", true),
             VG_KV_I64("delta", -7), VG_KV_STR("none", NULL), VG_KV_STR("ctl", "a\tb"));
    size_t len;
    char *s = slurp(&len);
    cr_assert_str_eq(s, "vigil: info: blob stored repo=lib/alpine note=\"two words \\\"q\\\"\" "
                        "bytes=42 new=true delta=-7 none=null ctl=a\\x09b\n");
    free(s);
}

Test(core_log, json_event_has_typed_fields)
{
    sink_to_tmpfile();
    vg_log_init("debug");
    vg_log_set_json(true);
    VG_EVENT(VG_LOG_DEBUG, "registry", "blob stored", VG_KV_STR("digest", "sha256:ab"),
             VG_KV_U64("bytes", (uint64_t)1 << 40), VG_KV_I64("neg", INT64_MIN),
             VG_KV_BOOL("ok", false), VG_KV_F64("ratio", 0.5), VG_KV_F64("inf", 1.0 / 0.0),
             VG_KV_STR("none", NULL), VG_KV_STR("msg", "shadow"), VG_KV_STR("level", "shadow2"));
    json_t *o = one_json_line();
    const char *ts = json_string_value(json_object_get(o, "ts"));
    cr_assert_not_null(ts);
    regex_t re;
    cr_assert_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
    cr_assert_eq(regexec(&re, ts, 0, NULL, 0), 0, "ts %s", ts);
    regfree(&re);
    cr_assert_str_eq(json_string_value(json_object_get(o, "level")), "debug");
    cr_assert_str_eq(json_string_value(json_object_get(o, "component")), "registry");
    cr_assert_str_eq(json_string_value(json_object_get(o, "msg")), "blob stored");
    cr_assert_null(json_object_get(o, "req_id"));
    cr_assert_str_eq(json_string_value(json_object_get(o, "digest")), "sha256:ab");
    cr_assert_eq(json_integer_value(json_object_get(o, "bytes")), (json_int_t)1 << 40);
    cr_assert_eq(json_integer_value(json_object_get(o, "neg")), INT64_MIN);
    cr_assert(json_is_false(json_object_get(o, "ok")));
    cr_assert_float_eq(json_real_value(json_object_get(o, "ratio")), 0.5, 1e-12);
    cr_assert(json_is_null(json_object_get(o, "inf")));
    cr_assert(json_is_null(json_object_get(o, "none")));
    cr_assert_str_eq(json_string_value(json_object_get(o, "x_msg")), "shadow");
    cr_assert_str_eq(json_string_value(json_object_get(o, "x_level")), "shadow2");
    json_decref(o);
}

/* jansson reads only signed 64-bit integers, so this one is checked as text. */
Test(core_log, json_u64_is_written_exactly)
{
    sink_to_tmpfile();
    vg_log_init("info");
    vg_log_set_json(true);
    VG_EVENT(VG_LOG_INFO, "c", "m", VG_KV_U64("n", UINT64_MAX));
    size_t len;
    char *s = slurp(&len);
    cr_assert_not_null(strstr(s, ",\"n\":18446744073709551615}\n"), "%s", s);
    free(s);
}

Test(core_log, json_escapes_control_chars_and_invalid_utf8)
{
    sink_to_tmpfile();
    vg_log_init("info");
    vg_log_set_json(true);
    /* quote, backslash, newline, ESC, DEL, valid 2/3/4-byte characters, then invalid: a lone
     * 0xff, an overlong '/', a UTF-16 surrogate, a code point over U+10FFFF, a stray
     * continuation byte and a truncated sequence at the end. */
    const char *v = "q\"b\\n\n\x1b[31m\x7f"
                    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                    "\xff\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\x80\xe2\x82";
    VG_EVENT(VG_LOG_INFO, "c\n", "line1\nline2\r", VG_KV_STR("v", v), VG_KV_STR("k\"ey", "x"));
    json_t *o = one_json_line();
    cr_assert_str_eq(json_string_value(json_object_get(o, "v")),
                     "q\"b\\n\n\x1b[31m\x7f"
                     "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                     "\\xff\\xc0\\xaf\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80\\x80\\xe2\\x82");
    cr_assert_str_eq(json_string_value(json_object_get(o, "msg")), "line1\nline2\r");
    cr_assert_str_eq(json_string_value(json_object_get(o, "component")), "c\n");
    cr_assert_str_eq(json_string_value(json_object_get(o, "k\"ey")), "x");
    json_decref(o);
}

Test(core_log, printf_messages_in_json_are_escaped_once)
{
    sink_to_tmpfile();
    vg_log_init("warn");
    vg_log_set_json(true);
    VG_WARN("layers", "skipping '%s'", "a\x01\xfe");
    json_t *o = one_json_line();
    cr_assert_str_eq(json_string_value(json_object_get(o, "msg")), "skipping 'a\x01\\xfe'");
    cr_assert_str_eq(json_string_value(json_object_get(o, "level")), "warn");
    json_decref(o);
}

Test(core_log, long_values_are_cut_on_a_character_boundary)
{
    sink_to_tmpfile();
    vg_log_init("info");
    vg_log_set_json(true);
    /* 8191 ASCII bytes then a 3-byte character straddling the 8 KiB cut. */
    char *v = vg_malloc(8191 + 3 + 100 + 1);
    memset(v, 'a', 8191);
    memcpy(v + 8191, "\xe2\x82\xac", 3);
    memset(v + 8194, 'b', 100);
    v[8294] = '\0';
    VG_EVENT(VG_LOG_INFO, "c", "m", VG_KV_STR("v", v));
    json_t *o = one_json_line();
    const char *got = json_string_value(json_object_get(o, "v"));
    cr_assert_not_null(got);
    cr_assert_eq(strlen(got), 8191 + 3);
    cr_assert_str_eq(got + 8191, "...");
    json_decref(o);
    free(v);
}

static void *
other_thread_request_id(void *arg)
{
    const char **seen = arg;
    *seen = vg_log_request_id();
    return NULL;
}

Test(core_log, request_id_is_per_thread)
{
    sink_to_tmpfile();
    vg_log_init("info");
    vg_log_set_json(true);
    vg_log_set_request_id("req-\"1\"");
    pthread_t t;
    const char *seen = "not written";
    cr_assert_eq(pthread_create(&t, NULL, other_thread_request_id, &seen), 0);
    pthread_join(t, NULL);
    cr_assert_null(seen);
    VG_EVENT(VG_LOG_INFO, "c", "m", VG_KV_I64("n", 1));
    json_t *o = one_json_line();
    cr_assert_str_eq(json_string_value(json_object_get(o, "req_id")), "req-\"1\"");
    json_decref(o);
    vg_log_set_request_id(NULL);
    cr_assert_null(vg_log_request_id());
}

Test(core_log, text_shows_request_id_only_when_set)
{
    sink_to_tmpfile();
    vg_log_init("info");
    vg_log_set_request_id("abc");
    VG_INFO("c", "one");
    vg_log_set_request_id(NULL);
    VG_INFO("c", "two");
    size_t len;
    char *s = slurp(&len);
    cr_assert_str_eq(s, "vigil: info: one req_id=abc\nvigil: info: two\n");
    free(s);
}

Test(core_log, levels_per_component)
{
    vg_log_init("error,oci=debug,net=bogus,bogus");
    cr_assert(vg_log_enabled(VG_LOG_ERROR, "scan"));
    cr_assert_not(vg_log_enabled(VG_LOG_WARN, "scan"));
    cr_assert(vg_log_enabled(VG_LOG_DEBUG, "oci"));
    cr_assert_not(vg_log_enabled(VG_LOG_TRACE, "oci"));
    cr_assert_not(vg_log_enabled(VG_LOG_WARN, "net"));
    vg_log_init("trace");
    cr_assert(vg_log_enabled(VG_LOG_TRACE, "oci"));
}

Test(core_log, quiet_keeps_errors_only_whatever_the_levels)
{
    vg_log_init("trace,oci=debug");
    vg_log_set_quiet(true);
    cr_assert(vg_log_enabled(VG_LOG_ERROR, "scan"));
    cr_assert(vg_log_enabled(VG_LOG_ERROR, "oci"));
    cr_assert_not(vg_log_enabled(VG_LOG_WARN, "scan"));
    cr_assert_not(vg_log_enabled(VG_LOG_DEBUG, "oci"));
    vg_log_set_quiet(false);
    cr_assert(vg_log_enabled(VG_LOG_DEBUG, "oci"));
    vg_log_set_quiet(true);
    vg_log_init("info"); /* a fresh set-up is not quiet */
    cr_assert(vg_log_enabled(VG_LOG_WARN, "scan"));
}

Test(core_log, environment_selects_level_format_and_file)
{
    char path[] = "/tmp/vg-test-log-env-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    setenv("VG_LOG", "error", 1);
    setenv("VIGIL_LOG_LEVEL", "info,scan=error", 1);
    setenv("VIGIL_LOG_FORMAT", "json", 1);
    setenv("VIGIL_LOG_FILE", path, 1);
    vg_log_init(NULL);
    cr_assert(vg_log_enabled(VG_LOG_INFO, "oci"));
    cr_assert_not(vg_log_enabled(VG_LOG_WARN, "scan"));
    VG_INFO("oci", "hello");
    VG_WARN("scan", "dropped");
    snprintf(g_path, sizeof(g_path), "%s", path);
    json_t *o = one_json_line();
    cr_assert_str_eq(json_string_value(json_object_get(o, "msg")), "hello");
    cr_assert_str_eq(json_string_value(json_object_get(o, "level")), "info");
    json_decref(o);
}

Test(core_log, unusable_environment_is_reported_not_fatal)
{
    /* stderr is redirected so the warnings can be read back. */
    sink_to_tmpfile();
    setenv("VIGIL_LOG_FORMAT", "xml", 1);
    setenv("VIGIL_LOG_FILE", "/nonexistent-dir/x.log", 1);
    vg_log_init(NULL);
    VG_WARN("c", "still logging");
    size_t len;
    char *s = slurp(&len);
    cr_assert_not_null(strstr(s, "vigil: warn: VIGIL_LOG_FORMAT 'xml' is neither json nor text"),
                       "%s", s);
    cr_assert_not_null(strstr(s, "vigil: warn: VIGIL_LOG_FILE: open log file "
                                 "/nonexistent-dir/x.log"),
                       "%s", s);
    cr_assert_not_null(strstr(s, "vigil: warn: still logging\n"), "%s", s);
    free(s);
}

Test(core_log, utf8_sequence_lengths)
{
    cr_assert_eq(vg_utf8_seq_len((const uint8_t *)"a", 1), 1);
    cr_assert_eq(vg_utf8_seq_len((const uint8_t *)"\xc3\xa9", 2), 2);
    cr_assert_eq(vg_utf8_seq_len((const uint8_t *)"\xc3\xa9", 1), 0);
    cr_assert_eq(vg_utf8_seq_len((const uint8_t *)"\xef\xbf\xbf", 3), 3);
    cr_assert_eq(vg_utf8_seq_len((const uint8_t *)"\xf4\x8f\xbf\xbf", 4), 4);
    cr_assert_eq(vg_utf8_seq_len((const uint8_t *)"\xc1\xbf", 2), 0);         /* overlong */
    cr_assert_eq(vg_utf8_seq_len((const uint8_t *)"\xe0\x9f\xbf", 3), 0);     /* overlong */
    cr_assert_eq(vg_utf8_seq_len((const uint8_t *)"\xf0\x8f\xbf\xbf", 4), 0); /* overlong */
    cr_assert_eq(vg_utf8_seq_len((const uint8_t *)"\xed\xbf\xbf", 3), 0);     /* surrogate */
    cr_assert_eq(vg_utf8_seq_len((const uint8_t *)"\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
    cr_assert_eq(vg_utf8_seq_len((const uint8_t *)"\x80", 1), 0);
    cr_assert_eq(vg_utf8_seq_len((const uint8_t *)"\xe2\x28\xa1", 3), 0);
    cr_assert_eq(vg_utf8_seq_len((const uint8_t *)"", 0), 0);
}

#define THREADS 8
#define EVENTS  300

struct worker {
    int id;
    char *big;
};

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    char rid[32];
    snprintf(rid, sizeof(rid), "req-%d", w->id);
    vg_log_set_request_id(rid);
    for (int i = 0; i < EVENTS; i++) {
        /* Lines well over PIPE_BUF (4096) so a torn write would show. */
        VG_EVENT(VG_LOG_INFO, "test", "event", VG_KV_I64("thread", w->id), VG_KV_I64("i", i),
                 VG_KV_STR("big", w->big), VG_KV_STR("ctl", "\n\x01\xff\""));
        if (i % 50 == 0) {
            VG_INFO("test", "printf-style %d/%d", w->id, i);
        }
    }
    return NULL;
}

Test(core_log, threads_never_interleave_lines, .timeout = 120)
{
    sink_to_tmpfile();
    vg_log_init("info");
    vg_log_set_json(true);
    struct worker w[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i].id = i;
        w[i].big = vg_malloc(6001);
        memset(w[i].big, 'a' + i, 6000);
        w[i].big[6000] = '\0';
        cr_assert_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
    }
    size_t len;
    char *s = slurp(&len);
    int count[THREADS] = {0}, printf_lines = 0, lines = 0;
    char *save = NULL;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lines++;
        json_error_t je;
        json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &je);
        cr_assert_not_null(o, "line %d is not JSON (%s): %.200s", lines, je.text, line);
        const char *rid = json_string_value(json_object_get(o, "req_id"));
        cr_assert_not_null(rid);
        json_t *th = json_object_get(o, "thread");
        if (th) {
            int id = (int)json_integer_value(th);
            cr_assert(id >= 0 && id < THREADS);
            char want[32];
            snprintf(want, sizeof(want), "req-%d", id);
            cr_assert_str_eq(rid, want);
            const char *big = json_string_value(json_object_get(o, "big"));
            cr_assert(big && strlen(big) == 6000 && big[0] == 'a' + id && big[5999] == 'a' + id);
            cr_assert_str_eq(json_string_value(json_object_get(o, "ctl")), "\n\x01\\xff\"");
            count[id]++;
        } else {
            printf_lines++;
        }
        json_decref(o);
    }
    for (int i = 0; i < THREADS; i++) {
        cr_assert_eq(count[i], EVENTS, "thread %d: %d events", i, count[i]);
        free(w[i].big);
    }
    cr_assert_eq(printf_lines, THREADS * (EVENTS / 50));
    cr_assert_eq(lines, THREADS * EVENTS + printf_lines);
    free(s);
}
