/* SPDX-License-Identifier: Apache-2.0
 *
 * The Dockerfile (Containerfile) parser of the configuration checks: parser directives
 * (escape), comments, line continuations (comment and blank lines inside them skipped, as
 * BuildKit does), heredocs (`<<EOF`, `<<-EOF`, quoted markers), leading flags (--from=,
 * --mount=, --platform=, ...), JSON and shell forms, and stages (FROM ... AS alias). It reads
 * text that misconf.c has checked is UTF-8 without NUL bytes; nothing is expanded or executed.
 */
#include "scan.h"
#include "misconf_int.h"

#include <string.h>

#define is_space vg_misconf_is_space
#define rtrim    vg_misconf_rtrim

void
vg_misconf_df_dispose(struct df *d)
{
    for (size_t i = 0; i < d->ins.n; i++) {
        struct df_ins *in = &d->ins.v[i];
        free(in->text);
        for (size_t k = 0; k < in->flags.n; k++) {
            free(in->flags.v[k]);
        }
        vg_vec_dispose(&in->flags);
        for (size_t k = 0; k < in->words.n; k++) {
            free(in->words.v[k]);
        }
        vg_vec_dispose(&in->words);
    }
    vg_vec_dispose(&d->ins);
    vg_vec_dispose(&d->stages);
}

/* ---------------------------------------------------------------- lines */

struct lines {
    const char *data;
    size_t len, off, lineno;
};

static bool
next_line(struct lines *l, struct vg_str *out)
{
    if (l->off >= l->len) {
        return false;
    }
    const char *nl = memchr(l->data + l->off, '\n', l->len - l->off);
    size_t end = nl ? (size_t)(nl - l->data) : l->len;
    *out = (struct vg_str){l->data + l->off, end - l->off};
    if (out->len && out->ptr[out->len - 1] == '\r') {
        out->len--;
    }
    l->off = end + 1;
    l->lineno++;
    return true;
}

static bool
directive(struct vg_str line, char *escape)
{
    struct vg_str t = vg_str_trim(line);
    if (!t.len || t.ptr[0] != '#') {
        return false;
    }
    t = vg_str_trim((struct vg_str){t.ptr + 1, t.len - 1});
    struct vg_str key, val;
    if (!vg_str_cut(t, '=', &key, &val)) {
        return false;
    }
    key = vg_str_trim(key);
    val = vg_str_trim(val);
    for (size_t i = 0; i < key.len; i++) {
        char c = key.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            return false;
        }
    }
    if (key.len == 6 && strncasecmp(key.ptr, "escape", 6) == 0 && val.len == 1 &&
        (val.ptr[0] == '`' || val.ptr[0] == '\\')) {
        *escape = val.ptr[0];
    }
    return key.len > 0;
}

/* Shell-like words: whitespace separates outside quotes; quotes are removed; the escape
 * character (backslash, or the `# escape=` directive's) outside single quotes keeps the next
 * character. */
static void
split_words(struct df_ins *in, struct vg_str s, char escape)
{
    struct vg_buf w = VG_BUF_INIT(s.len + 1);
    bool have = false;
    char q = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        bool add = true;
        if (q) {
            if (c == q) {
                q = 0;
                add = false;
            } else if (c == escape && q == '"' && i + 1 < s.len) {
                c = s.ptr[++i];
            }
        } else if (c == '"' || c == '\'') {
            q = c;
            have = true;
            add = false;
        } else if (c == escape && i + 1 < s.len) {
            c = s.ptr[++i];
        } else if (is_space(c)) {
            if (have) {
                vg_vec_push(&in->words, vg_buf_take(&w, NULL));
                have = false;
            }
            add = false;
        }
        if (add) {
            /* the buffer holds at most s.len bytes, its bound: this append cannot fail */
            if (vg_buf_appendc(&w, c, NULL) < 0) {
                break;
            }
            have = true;
        }
    }
    if (have) {
        vg_vec_push(&in->words, vg_buf_take(&w, NULL));
    }
    vg_buf_dispose(&w);
}

static bool
json_form(struct df_ins *in, struct vg_str s)
{
    if (!s.len || s.ptr[0] != '[') {
        return false;
    }
    json_t *a = json_loadb(s.ptr, s.len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_array(a)) {
        json_decref(a);
        return false;
    }
    size_t i;
    json_t *v;
    json_array_foreach (a, i, v) {
        if (!json_is_string(v)) {
            json_decref(a);
            return false;
        }
    }
    struct vg_buf joined = VG_BUF_INIT(s.len + 1);
    json_array_foreach (a, i, v) {
        const char *str = json_string_value(v);
        vg_vec_push(&in->words, vg_strdup(str));
        /* joined items are never longer than their JSON text, the buffer's bound */
        if ((i && vg_buf_appendc(&joined, ' ', NULL) < 0) ||
            vg_buf_append_str(&joined, str, NULL) < 0) {
            break;
        }
    }
    json_decref(a);
    in->text = vg_buf_take(&joined, NULL);
    in->json = true;
    return true;
}

/* Heredoc markers (`<<EOF`, `<<-EOF`, `<<"EOF"`) of RUN/COPY/ADD: their bodies are read
 * from the following lines and appended to the text. */
static void
heredocs(struct df_ins *in, struct lines *l, struct vg_buf *text)
{
    const char *t = vg_buf_cstr(text);
    size_t tlen = text->len;
    VG_VEC(struct vg_str) marks = VG_VEC_INIT;
    VG_VEC(bool) dash = VG_VEC_INIT;
    for (size_t i = 0; i + 2 < tlen && marks.n < 8; i++) {
        if (t[i] != '<' || t[i + 1] != '<' || (i && t[i - 1] == '<')) {
            continue;
        }
        size_t j = i + 2;
        bool d = false;
        if (j < tlen && t[j] == '-') {
            d = true;
            j++;
        }
        char q = j < tlen && (t[j] == '"' || t[j] == '\'') ? t[j] : 0;
        j += q ? 1 : 0;
        size_t s = j;
        while (j < tlen && ((t[j] >= 'A' && t[j] <= 'Z') || (t[j] >= 'a' && t[j] <= 'z') ||
                            (t[j] >= '0' && t[j] <= '9') || t[j] == '_')) {
            j++;
        }
        if (j > s) {
            vg_vec_push(&marks, ((struct vg_str){t + s, j - s}));
            vg_vec_push(&dash, d);
        }
        i = j;
    }
    VG_VEC(char) body = VG_VEC_INIT;
    for (size_t k = 0; k < marks.n; k++) {
        struct vg_str line;
        while (next_line(l, &line)) {
            struct vg_str cmp = line;
            while (dash.v[k] && cmp.len && cmp.ptr[0] == '\t') {
                cmp.ptr++;
                cmp.len--;
            }
            if (vg_str_eq(rtrim(cmp), marks.v[k])) {
                break;
            }
            vg_vec_reserve(&body, line.len + 1);
            body.v[body.n++] = '\n';
            memcpy(body.v + body.n, line.ptr, line.len);
            body.n += line.len;
        }
    }
    in->end = l->lineno;
    if (body.n) {
        struct vg_buf all = VG_BUF_INIT(tlen + body.n + 1);
        if (vg_buf_append(&all, t, tlen, NULL) == 0 &&
            vg_buf_append(&all, body.v, body.n, NULL) == 0) {
            vg_buf_dispose(text);
            *text = all;
        } else {
            vg_buf_dispose(&all);
        }
    }
    free(body.v);
    vg_vec_dispose(&marks);
    vg_vec_dispose(&dash);
}

static int
parse_instruction(struct df *d, struct lines *l, struct vg_str first, char escape,
                  const char *target, struct vg_err **err)
{
    if (d->ins.n >= VG_MISCONF_MAX_INSTRUCTIONS) {
        vg_autofree char *t = vg_escape(target, strlen(target), 200);
        return vg_err_set(err, VG_E_LIMIT, "%s:%zu: more than %u instructions", t, l->lineno,
                          VG_MISCONF_MAX_INSTRUCTIONS);
    }
    size_t start = l->lineno;
    struct vg_buf text = VG_BUF_INIT(l->len + 1);
    struct vg_str cur = rtrim(first);
    for (;;) {
        bool cont = cur.len && cur.ptr[cur.len - 1] == escape;
        if (vg_buf_append(&text, cur.ptr, cont ? cur.len - 1 : cur.len, NULL) < 0) {
            break; /* bounded by the file's size: cannot happen */
        }
        if (!cont) {
            break;
        }
        struct vg_str nx;
        bool got = false;
        while (next_line(l, &nx)) {
            struct vg_str t = vg_str_trim(nx);
            if (t.len && t.ptr[0] != '#') {
                got = true;
                break;
            }
        }
        if (!got) {
            break;
        }
        cur = rtrim(nx);
    }
    struct df_ins *in = vg_vec_push_zero(&d->ins);
    in->start = start;
    in->end = l->lineno;
    in->stage = d->stages.n ? d->stages.n - 1 : SIZE_MAX;
    struct vg_str s = vg_str_trim((struct vg_str){(const char *)text.data, text.len});
    size_t k = 0;
    while (k < s.len && !is_space(s.ptr[k])) {
        k++;
    }
    for (size_t i = 0; i < k && i < sizeof(in->cmd) - 1; i++) {
        char c = s.ptr[i];
        in->cmd[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    struct vg_str rest = vg_str_trim((struct vg_str){s.ptr + k, s.len - k});
    if (strcmp(in->cmd, "RUN") == 0 || strcmp(in->cmd, "COPY") == 0 ||
        strcmp(in->cmd, "ADD") == 0) {
        size_t off = (size_t)(rest.ptr - (const char *)text.data);
        heredocs(in, l, &text);
        rest = vg_str_trim((struct vg_str){(const char *)text.data + off, text.len - off});
    }
    while (rest.len > 2 && rest.ptr[0] == '-' && rest.ptr[1] == '-' && strcmp(in->cmd, "ENV") &&
           strcmp(in->cmd, "ARG") && strcmp(in->cmd, "LABEL")) {
        size_t e = 0;
        while (e < rest.len && !is_space(rest.ptr[e])) {
            e++;
        }
        vg_vec_push(&in->flags, vg_str_dup((struct vg_str){rest.ptr, e}));
        rest = vg_str_trim((struct vg_str){rest.ptr + e, rest.len - e});
    }
    if (!json_form(in, rest)) {
        in->text = vg_str_dup(rest);
        split_words(in, rest, escape);
    }
    vg_buf_dispose(&text);
    if (strcmp(in->cmd, "FROM") == 0) {
        struct df_stage *st = vg_vec_push_zero(&d->stages);
        st->from = d->ins.n - 1;
        st->image = in->words.n ? in->words.v[0] : "";
        if (in->words.n >= 3 && strcasecmp(in->words.v[1], "AS") == 0) {
            st->alias = in->words.v[2];
        }
        in->stage = d->stages.n - 1;
    }
    return 0;
}

int
vg_misconf_df_parse(struct df *d, const char *data, size_t len, const char *target,
                    struct vg_err **err)
{
    struct lines l = {data, len, 0, 0};
    char escape = '\\';
    bool directives = true;
    struct vg_str line;
    while (next_line(&l, &line)) {
        if (directives && directive(line, &escape)) {
            continue;
        }
        directives = false;
        struct vg_str t = vg_str_trim(line);
        if (!t.len || t.ptr[0] == '#') {
            continue;
        }
        if (parse_instruction(d, &l, line, escape, target, err) < 0) {
            return -1;
        }
    }
    return 0;
}
