/* SPDX-License-Identifier: Apache-2.0
 *
 * Level-checked logging: text for the CLI ("vigil: LEVEL: msg"), JSON Lines for servers.
 * Per-component levels come from a spec like "info,registry=trace" ($VG_LOG, then
 * $VIGIL_LOG_LEVEL); $VIGIL_LOG_FORMAT=json|text picks the format and $VIGIL_LOG_FILE a file
 * to append to instead of stderr.
 *
 * Each event is formatted in full into one buffer and written with one write(2) under a
 * mutex, so lines from different threads never interleave. Every value is escaped here:
 * control characters and bytes that are not valid UTF-8 never reach the sink raw (log
 * injection), whatever the caller passed.
 */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_COMPONENTS 16
#define MAX_VALUE      8192       /* bytes of one value (or message) before "..." */
#define MAX_KEY        128        /* bytes of one key */
#define MAX_KV         64         /* key/values per event */
#define MAX_LINE       (4u << 20) /* one formatted line */
#define REQ_ID_MAX     128

struct comp_level {
    char name[32];
    enum vg_log_level level;
};

static const char *const g_level_names[] = {"error", "warn", "info", "debug", "trace"};

/* Configuration: set in main() before any thread starts; read without locking afterwards. */
static enum vg_log_level g_default = VG_LOG_WARN;
static enum vg_log_level g_cap = VG_LOG_TRACE; /* vg_log_set_quiet: nothing above ERROR */
static struct comp_level g_comps[MAX_COMPONENTS];
static size_t g_ncomps;
static bool g_json;

/* The sink: guarded by g_lock (so it may be switched while threads log). */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_fd = 2;
static bool g_fd_owned;

static _Thread_local char t_req_id[REQ_ID_MAX];

static bool
level_from(struct vg_str s, enum vg_log_level *out)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(g_level_names); i++) {
        if (vg_str_eq_c(s, g_level_names[i])) {
            *out = (enum vg_log_level)i;
            return true;
        }
    }
    return false;
}

static void
parse_spec(const char *spec)
{
    struct vg_str rest = vg_str_c(spec), item;
    while (rest.len) {
        vg_str_cut(rest, ',', &item, &rest);
        struct vg_str name, lvl;
        enum vg_log_level l;
        if (vg_str_cut(item, '=', &name, &lvl)) {
            if (!level_from(lvl, &l) || name.len >= sizeof(g_comps[0].name)) {
                continue;
            }
            size_t i = 0;
            while (i < g_ncomps && !vg_str_eq_c(name, g_comps[i].name)) {
                i++;
            }
            if (i == MAX_COMPONENTS) {
                continue;
            }
            memcpy(g_comps[i].name, name.ptr, name.len);
            g_comps[i].name[name.len] = '\0';
            g_comps[i].level = l;
            if (i == g_ncomps) {
                g_ncomps++;
            }
        } else if (level_from(item, &l)) {
            g_default = l;
        }
    }
}

/* A problem with the logging environment itself: said once on stderr, never fatal. */
static void log_env_warning(const char *fmt, ...) VG_PRINTF(1, 2);

static void
log_env_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = vg_vfmt(fmt, ap);
    va_end(ap);
    vg_log_write(VG_LOG_WARN, "core", "%s", m ? m : "logging set-up failed");
    free(m);
}

void
vg_log_init(const char *spec)
{
    g_default = VG_LOG_WARN;
    g_cap = VG_LOG_TRACE;
    g_ncomps = 0;
    if (spec) {
        parse_spec(spec);
        return;
    }
    const char *e = getenv("VG_LOG");
    if (e) {
        parse_spec(e);
    }
    e = getenv("VIGIL_LOG_LEVEL");
    if (e) {
        parse_spec(e);
    }
    e = getenv("VIGIL_LOG_FORMAT");
    if (e && *e) {
        if (strcmp(e, "json") == 0 || strcmp(e, "text") == 0) {
            g_json = e[0] == 'j';
        } else {
            char *v = vg_escape(e, strlen(e), 64);
            log_env_warning("VIGIL_LOG_FORMAT '%s' is neither json nor text; using text",
                            v ? v : "?");
            free(v);
        }
    }
    e = getenv("VIGIL_LOG_FILE");
    if (e && *e) {
        struct vg_err *err = NULL;
        if (vg_log_open_file(e, &err) < 0) {
            char *m = vg_err_format(err);
            log_env_warning("VIGIL_LOG_FILE: %s; logging to stderr", m ? m : "?");
            free(m);
            vg_err_free(&err);
        }
    }
}

void
vg_log_set_json(bool json)
{
    g_json = json;
}

static void
set_sink(int fd, bool owned)
{
    pthread_mutex_lock(&g_lock);
    if (g_fd_owned && g_fd != fd) {
        close(g_fd);
    }
    g_fd = fd;
    g_fd_owned = owned;
    pthread_mutex_unlock(&g_lock);
}

void
vg_log_set_fd(int fd)
{
    set_sink(fd < 0 ? 2 : fd, false);
}

int
vg_log_open_file(const char *path, struct vg_err **err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0) {
        return vg_err_sys(err, VG_E_IO, "open log file %s", path);
    }
    set_sink(fd, true);
    return 0;
}

void
vg_log_set_quiet(bool quiet)
{
    g_cap = quiet ? VG_LOG_ERROR : VG_LOG_TRACE;
}

bool
vg_log_enabled(enum vg_log_level lvl, const char *component)
{
    if (lvl > g_cap) {
        return false;
    }
    for (size_t i = 0; i < g_ncomps; i++) {
        if (strcmp(g_comps[i].name, component) == 0) {
            return lvl <= g_comps[i].level;
        }
    }
    return lvl <= g_default;
}

void
vg_log_set_request_id(const char *id)
{
    t_req_id[0] = '\0';
    if (!id) {
        return;
    }
    size_t n = strlen(id);
    if (n >= sizeof(t_req_id)) {
        n = sizeof(t_req_id) - 1;
    }
    memcpy(t_req_id, id, n);
    t_req_id[n] = '\0';
}

const char *
vg_log_request_id(void)
{
    return t_req_id[0] ? t_req_id : NULL;
}

char *
vg_escape(const char *s, size_t len, size_t maxlen)
{
    struct vg_buf b = VG_BUF_INIT(maxlen * 4 + 16);
    for (size_t i = 0; i < len && i < maxlen; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (c == '\\') {
            rc = vg_buf_append_str(&b, "\\\\", NULL);
        } else if (c < 0x20 || c == 0x7f) {
            rc = vg_buf_appendf(&b, NULL, "\\x%02x", c);
        } else {
            rc = vg_buf_appendc(&b, (char)c, NULL);
        }
        if (rc < 0) {
            break;
        }
    }
    if (len > maxlen && vg_buf_append_str(&b, "...", NULL) < 0) {
        b.len = b.len; /* already at the ceiling: keep what fits */
    }
    return vg_buf_take(&b, NULL);
}

size_t
vg_utf8_seq_len(const uint8_t *p, size_t n)
{
    if (n == 0) {
        return 0;
    }
    uint8_t c = p[0];
    if (c < 0x80) {
        return 1;
    }
    size_t len;
    uint32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, cp = c & 0x1fu, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, cp = c & 0x0fu, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, cp = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return len;
}

/* Length of s to keep under MAX_VALUE bytes, cut at a character boundary. */
static size_t
value_cut(const char *s, size_t len, bool *cut)
{
    *cut = len > MAX_VALUE;
    if (!*cut) {
        return len;
    }
    size_t n = MAX_VALUE;
    for (int i = 0; i < 3 && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; i++) {
        n--;
    }
    return n;
}

/* Appends s as the inside of a JSON string: '"' and '\' escaped, control characters as
 * \uXXXX (or \n, \t, ...), valid UTF-8 as is, every other byte as the text "\xNN". */
static int
json_esc(struct vg_buf *b, const char *s, size_t len)
{
    bool cut;
    size_t n = value_cut(s, len, &cut);
    const uint8_t *p = (const uint8_t *)s;
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        size_t run = i; /* printable ASCII but '"' and '\\': copied as a run */
        while (run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' && p[run] != '\\') {
            run++;
        }
        if (run > i) {
            if (vg_buf_append(b, p + i, run - i, NULL) < 0) {
                return -1;
            }
            i = run;
            continue;
        }
        size_t l = vg_utf8_seq_len(p + i, n - i);
        int rc;
        if (l > 1) {
            rc = vg_buf_append(b, p + i, l, NULL);
            i += l;
            if (rc < 0) {
                return -1;
            }
            continue;
        }
        if (l == 0) {
            rc = vg_buf_appendf(b, NULL, "\\\\x%02x", c);
        } else if (c == '"' || c == '\\') {
            rc = vg_buf_appendf(b, NULL, "\\%c", c);
        } else if (c == '\n') {
            rc = vg_buf_append_str(b, "\\n", NULL);
        } else if (c == '\r') {
            rc = vg_buf_append_str(b, "\\r", NULL);
        } else if (c == '\t') {
            rc = vg_buf_append_str(b, "\\t", NULL);
        } else if (c < 0x20 || c == 0x7f) {
            rc = vg_buf_appendf(b, NULL, "\\u%04x", c);
        } else {
            rc = vg_buf_appendc(b, (char)c, NULL);
        }
        if (rc < 0) {
            return -1;
        }
        i++;
    }
    return cut ? vg_buf_append_str(b, "...", NULL) : 0;
}

/* Appends s for the text format: control characters and invalid UTF-8 as \xNN, '\' doubled;
 * quoted (with '"' escaped) when asked. */
static int
text_esc(struct vg_buf *b, const char *s, size_t len, bool quote)
{
    bool cut;
    size_t n = value_cut(s, len, &cut);
    const uint8_t *p = (const uint8_t *)s;
    if (quote && vg_buf_appendc(b, '"', NULL) < 0) {
        return -1;
    }
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        size_t l = vg_utf8_seq_len(p + i, n - i);
        int rc;
        if (l > 1) {
            rc = vg_buf_append(b, p + i, l, NULL);
            i += l - 1;
        } else if (l == 0 || c < 0x20 || c == 0x7f) {
            rc = vg_buf_appendf(b, NULL, "\\x%02x", c);
        } else if (c == '\\' || (quote && c == '"')) {
            rc = vg_buf_appendf(b, NULL, "\\%c", c);
        } else {
            rc = vg_buf_appendc(b, (char)c, NULL);
        }
        if (rc < 0) {
            return -1;
        }
        i++;
    }
    if (cut && vg_buf_append_str(b, "...", NULL) < 0) {
        return -1;
    }
    return quote ? vg_buf_appendc(b, '"', NULL) : 0;
}

static bool
text_needs_quotes(const char *s)
{
    return !*s || strpbrk(s, " \"=") != NULL;
}

static const char *const g_reserved[] = {"ts", "level", "component", "req_id", "msg"};

/* Keys are the programmer's, but escaped anyway; one that would shadow a reserved field gets
 * an "x_" prefix so the line never has a duplicate key. */
static int
json_key(struct vg_buf *b, const char *key)
{
    const char *k = key ? key : "";
    size_t kl = strnlen(k, MAX_KEY);
    bool clash = false;
    for (size_t i = 0; i < VG_ARRAY_LEN(g_reserved); i++) {
        clash = clash || strcmp(k, g_reserved[i]) == 0;
    }
    if (vg_buf_append_str(b, clash ? ",\"x_" : ",\"", NULL) < 0 || json_esc(b, k, kl) < 0) {
        return -1;
    }
    return vg_buf_append_str(b, "\":", NULL);
}

static int
json_value(struct vg_buf *b, const struct vg_log_kv *kv)
{
    switch (kv->type) {
    case VG_KV_T_STR:
        if (!kv->v.s) {
            return vg_buf_append_str(b, "null", NULL);
        }
        if (vg_buf_appendc(b, '"', NULL) < 0 || json_esc(b, kv->v.s, strlen(kv->v.s)) < 0) {
            return -1;
        }
        return vg_buf_appendc(b, '"', NULL);
    case VG_KV_T_I64:
        return vg_buf_appendf(b, NULL, "%" PRId64, kv->v.i);
    case VG_KV_T_U64:
        return vg_buf_appendf(b, NULL, "%" PRIu64, kv->v.u);
    case VG_KV_T_BOOL:
        return vg_buf_append_str(b, kv->v.b ? "true" : "false", NULL);
    case VG_KV_T_F64:
        if (!isfinite(kv->v.d)) {
            return vg_buf_append_str(b, "null", NULL);
        }
        return vg_buf_appendf(b, NULL, "%.17g", kv->v.d);
    }
    return vg_buf_append_str(b, "null", NULL);
}

static int
text_value(struct vg_buf *b, const struct vg_log_kv *kv)
{
    switch (kv->type) {
    case VG_KV_T_STR:
        if (!kv->v.s) {
            return vg_buf_append_str(b, "null", NULL);
        }
        return text_esc(b, kv->v.s, strlen(kv->v.s), text_needs_quotes(kv->v.s));
    case VG_KV_T_F64:
        if (!isfinite(kv->v.d)) {
            return vg_buf_append_str(b, "null", NULL);
        }
        return vg_buf_appendf(b, NULL, "%.17g", kv->v.d);
    default:
        return json_value(b, kv);
    }
}

/* "2026-12-06T19:52:47.123Z" */
static void
timestamp_ms(char *out, size_t n)
{
    struct timespec ts;
    struct tm tm;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !gmtime_r(&ts.tv_sec, &tm)) {
        snprintf(out, n, "1970-01-01T00:00:00.000Z");
        return;
    }
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000L) % 1000L);
}

static int
format_json(struct vg_buf *b, enum vg_log_level lvl, const char *component, const char *msg,
            const struct vg_log_kv *kv, size_t nkv)
{
    char ts[96];
    timestamp_ms(ts, sizeof(ts));
    if (vg_buf_appendf(b, NULL, "{\"ts\":\"%s\",\"level\":\"%s\",\"component\":\"", ts,
                       g_level_names[lvl]) < 0 ||
        json_esc(b, component, strlen(component)) < 0) {
        return -1;
    }
    const char *rid = vg_log_request_id();
    if (rid &&
        (vg_buf_append_str(b, "\",\"req_id\":\"", NULL) < 0 || json_esc(b, rid, strlen(rid)) < 0)) {
        return -1;
    }
    if (vg_buf_append_str(b, "\",\"msg\":\"", NULL) < 0 || json_esc(b, msg, strlen(msg)) < 0 ||
        vg_buf_appendc(b, '"', NULL) < 0) {
        return -1;
    }
    for (size_t i = 0; i < nkv; i++) {
        if (json_key(b, kv[i].key) < 0 || json_value(b, &kv[i]) < 0) {
            return -1;
        }
    }
    return vg_buf_append_str(b, "}\n", NULL);
}

static int
format_text(struct vg_buf *b, enum vg_log_level lvl, const char *msg, bool raw_msg,
            const struct vg_log_kv *kv, size_t nkv)
{
    if (vg_buf_appendf(b, NULL, "vigil: %s: ", g_level_names[lvl]) < 0) {
        return -1;
    }
    /* Printf-style messages keep vg_escape's historical form byte for byte. */
    int rc = raw_msg ? vg_buf_append_str(b, msg, NULL) : text_esc(b, msg, strlen(msg), false);
    if (rc < 0) {
        return -1;
    }
    for (size_t i = 0; i < nkv; i++) {
        const char *k = kv[i].key ? kv[i].key : "";
        if (vg_buf_appendc(b, ' ', NULL) < 0 || text_esc(b, k, strnlen(k, MAX_KEY), false) < 0 ||
            vg_buf_appendc(b, '=', NULL) < 0 || text_value(b, &kv[i]) < 0) {
            return -1;
        }
    }
    const char *rid = vg_log_request_id();
    if (rid && (vg_buf_append_str(b, " req_id=", NULL) < 0 ||
                text_esc(b, rid, strlen(rid), text_needs_quotes(rid)) < 0)) {
        return -1;
    }
    return vg_buf_appendc(b, '\n', NULL);
}

/* One write(2) per line normally; the lock keeps a partial write's remainder from being
 * interleaved with another thread's line. */
static void
emit(const uint8_t *p, size_t len)
{
    pthread_mutex_lock(&g_lock);
    while (len > 0) {
        ssize_t n = write(g_fd, p, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        p += n;
        len -= (size_t)n;
    }
    pthread_mutex_unlock(&g_lock);
}

static void
log_line(enum vg_log_level lvl, const char *component, const char *msg, bool raw_msg,
         const struct vg_log_kv *kv, size_t nkv)
{
    if ((unsigned)lvl >= VG_ARRAY_LEN(g_level_names)) {
        lvl = VG_LOG_ERROR;
    }
    if (nkv > MAX_KV) {
        nkv = MAX_KV;
    }
    struct vg_buf b = VG_BUF_INIT(MAX_LINE);
    int rc = g_json ? format_json(&b, lvl, component ? component : "", msg, kv, nkv)
                    : format_text(&b, lvl, msg, raw_msg, kv, nkv);
    if (rc == 0) {
        emit(b.data, b.len);
    } else {
        static const char oom[] = "vigil: error: log line dropped (over the line limit)\n";
        emit((const uint8_t *)oom, sizeof(oom) - 1);
    }
    vg_buf_dispose(&b);
}

void
vg_log_event(enum vg_log_level lvl, const char *component, const char *msg,
             const struct vg_log_kv *kv, size_t nkv)
{
    log_line(lvl, component, msg ? msg : "", false, kv, nkv);
}

void
vg_log_write(enum vg_log_level lvl, const char *component, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = vg_vfmt(fmt, ap);
    va_end(ap);
    if (!msg) {
        return;
    }
    if (g_json) {
        log_line(lvl, component, msg, false, NULL, 0);
    } else {
        char *esc = vg_escape(msg, strlen(msg), MAX_VALUE);
        if (esc) {
            log_line(lvl, component, esc, true, NULL, 0);
        }
        free(esc);
    }
    free(msg);
}
