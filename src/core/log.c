/* SPDX-License-Identifier: Apache-2.0
 *
 * Level-checked logging to stderr: text for the CLI, JSON Lines for servers. Per-component
 * levels come from a spec like "info,registry=trace" ($VG_LOG). Input-derived text must be
 * passed through vg_escape() by callers; the logger escapes control characters again anyway.
 */
#include "core.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_COMPONENTS 16

struct comp_level {
    char name[32];
    enum vg_log_level level;
};

static enum vg_log_level g_default = VG_LOG_WARN;
static struct comp_level g_comps[MAX_COMPONENTS];
static size_t g_ncomps;
static bool g_json;

static bool
level_from(struct vg_str s, enum vg_log_level *out)
{
    static const char *names[] = {"error", "warn", "info", "debug", "trace"};
    for (size_t i = 0; i < VG_ARRAY_LEN(names); i++) {
        if (vg_str_eq_c(s, names[i])) {
            *out = (enum vg_log_level)i;
            return true;
        }
    }
    return false;
}

void
vg_log_init(const char *spec)
{
    if (!spec) {
        spec = getenv("VG_LOG");
    }
    if (!spec) {
        return;
    }
    struct vg_str rest = vg_str_c(spec), item;
    while (rest.len) {
        vg_str_cut(rest, ',', &item, &rest);
        struct vg_str name, lvl;
        enum vg_log_level l;
        if (vg_str_cut(item, '=', &name, &lvl)) {
            if (level_from(lvl, &l) && g_ncomps < MAX_COMPONENTS && name.len < 32) {
                memcpy(g_comps[g_ncomps].name, name.ptr, name.len);
                g_comps[g_ncomps].name[name.len] = '\0';
                g_comps[g_ncomps].level = l;
                g_ncomps++;
            }
        } else if (level_from(item, &l)) {
            g_default = l;
        }
    }
}

void
vg_log_set_json(bool json)
{
    g_json = json;
}

bool
vg_log_enabled(enum vg_log_level lvl, const char *component)
{
    for (size_t i = 0; i < g_ncomps; i++) {
        if (strcmp(g_comps[i].name, component) == 0) {
            return lvl <= g_comps[i].level;
        }
    }
    return lvl <= g_default;
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

void
vg_log_write(enum vg_log_level lvl, const char *component, const char *fmt, ...)
{
    static const char *names[] = {"error", "warn", "info", "debug", "trace"};
    va_list ap;
    va_start(ap, fmt);
    char *msg = vg_vfmt(fmt, ap);
    va_end(ap);
    char *esc = vg_escape(msg, strlen(msg), 8192);
    free(msg);
    if (g_json) {
        char ts[32];
        vg_time_rfc3339(ts, sizeof(ts), vg_now_unix());
        json_t *o = json_object();
        vg_json_set_str(o, "ts", ts);
        vg_json_set_str(o, "level", names[lvl]);
        vg_json_set_str(o, "component", component);
        vg_json_set_str(o, "msg", esc);
        char *line = vg_json_dump(o, false);
        fprintf(stderr, "%s\n", line);
        free(line);
        json_decref(o);
    } else {
        fprintf(stderr, "vigil: %s: %s\n", names[lvl], esc);
    }
    free(esc);
}
