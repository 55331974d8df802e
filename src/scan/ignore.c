/* SPDX-License-Identifier: Apache-2.0
 *
 * `.vigilignore` parsing (a superset of Trivy's `.trivyignore`): one finding ID per line,
 * `#` comments (whole line, or after whitespace), blank lines, CRLF tolerated, plus two
 * optional vigil/Trivy extensions after the ID: `pkg:NAME` restricts the entry to one package
 * and `exp:YYYY-MM-DD` makes it inactive after that day (UTC). Anything else on a line is an
 * error naming the line, so a typo never silently ignores the wrong thing. OpenVEX lives in
 * ignore_vex.c.
 */
#include <string.h>
#include <unistd.h>

#include "scan/scan.h"

#define IGNORE_MAX_ID 512u

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool
parse_date(struct vg_str s, int64_t *end_of_day)
{
    uint64_t y = 0, m = 0, d = 0;
    if (s.len != 10 || s.ptr[4] != '-' || s.ptr[7] != '-' ||
        vg_parse_u64((struct vg_str){s.ptr, 4}, 9999, &y) < 0 ||
        vg_parse_u64((struct vg_str){s.ptr + 5, 2}, 12, &m) < 0 ||
        vg_parse_u64((struct vg_str){s.ptr + 8, 2}, 31, &d) < 0 || y < 1970 || m < 1 || d < 1) {
        return false;
    }
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap)) {
        return false;
    }
    *end_of_day = (days_from_civil((int64_t)y, (unsigned)m, (unsigned)d) + 1) * 86400;
    return true;
}

static bool
valid_token(struct vg_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c <= 0x20 || c == 0x7f) {
            return false;
        }
    }
    return s.len > 0 && s.len <= IGNORE_MAX_ID;
}

/* Next whitespace-separated token of *rest. */
static bool
next_token(struct vg_str *rest, struct vg_str *tok)
{
    size_t i = 0;
    while (i < rest->len && (rest->ptr[i] == ' ' || rest->ptr[i] == '\t')) {
        i++;
    }
    size_t s = i;
    while (i < rest->len && rest->ptr[i] != ' ' && rest->ptr[i] != '\t') {
        i++;
    }
    *tok = (struct vg_str){rest->ptr + s, i - s};
    *rest = (struct vg_str){rest->ptr + i, rest->len - i};
    return tok->len > 0;
}

static int
parse_line(struct vg_ignore *out, struct vg_str line, size_t lineno, struct vg_err **err)
{
    /* "#" starts a comment at the line start or after whitespace. */
    for (size_t i = 0; i < line.len; i++) {
        if (line.ptr[i] == '#' && (i == 0 || line.ptr[i - 1] == ' ' || line.ptr[i - 1] == '\t')) {
            line.len = i;
            break;
        }
    }
    struct vg_str rest = vg_str_trim(line), tok;
    if (!next_token(&rest, &tok)) {
        return 0;
    }
    if (!valid_token(tok)) {
        return vg_err_set(err, VG_E_PARSE, "line %zu: invalid ID", lineno);
    }
    struct vg_ignore_entry e = {.id = vg_str_dup(tok), .line = lineno};
    while (next_token(&rest, &tok)) {
        const char *bad = NULL;
        if (vg_str_startswith(tok, "pkg:")) {
            struct vg_str v = {tok.ptr + 4, tok.len - 4};
            bad = e.pkg ? "duplicate pkg:" : !valid_token(v) ? "empty pkg:" : NULL;
            if (!bad) {
                e.pkg = vg_str_dup(v);
            }
        } else if (vg_str_startswith(tok, "exp:")) {
            bad = e.expires ? "duplicate exp:"
                  : !parse_date((struct vg_str){tok.ptr + 4, tok.len - 4}, &e.expires)
                      ? "exp: wants a valid date YYYY-MM-DD"
                      : NULL;
        } else {
            bad = "unknown field (expected pkg:NAME or exp:YYYY-MM-DD)";
        }
        if (bad) {
            char *t = vg_escape(tok.ptr, tok.len, 64);
            vg_err_set(err, VG_E_PARSE, "line %zu: %s: '%s'", lineno, bad, t);
            free(t);
            free(e.id);
            free(e.pkg);
            return -(int)VG_E_PARSE;
        }
    }
    if (out->len == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 16;
        out->items = vg_realloc(out->items, out->cap * sizeof(*out->items));
    }
    out->items[out->len++] = e;
    return 0;
}

int
vg_ignore_parse(struct vg_ignore *out, const void *data, size_t len, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    if (len > VG_IGNORE_MAX_BYTES) {
        return vg_err_set(err, VG_E_LIMIT, "ignore file larger than %u bytes", VG_IGNORE_MAX_BYTES);
    }
    struct vg_reader r;
    struct vg_str line;
    size_t lineno = 0;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_line(&r, VG_IGNORE_MAX_LINE, &line, err)) > 0) {
        lineno++;
        if (memchr(line.ptr, '\0', line.len)) {
            rc = vg_err_set(err, VG_E_PARSE, "line %zu: NUL byte", lineno);
            break;
        }
        if (line.len && line.ptr[line.len - 1] == '\r') {
            line.len--;
        }
        if ((rc = parse_line(out, line, lineno, err)) < 0) {
            break;
        }
    }
    if (rc < 0) {
        if (vg_err_is(*err, VG_E_LIMIT) && !strstr((*err)->msg, "line ")) {
            vg_err_wrap(err, "line %zu", lineno + 1);
        }
        vg_ignore_dispose(out);
        return -1;
    }
    return 0;
}

bool
vg_ignore_match(const struct vg_ignore *ig, const char *id, const char *pkg, int64_t now)
{
    for (size_t i = 0; ig && id && i < ig->len; i++) {
        const struct vg_ignore_entry *e = &ig->items[i];
        if (strcmp(e->id, id) != 0 || (e->expires && now >= e->expires)) {
            continue;
        }
        if (e->pkg && (!pkg || strcmp(e->pkg, pkg) != 0)) {
            continue;
        }
        return true;
    }
    return false;
}

void
vg_ignore_dispose(struct vg_ignore *ig)
{
    for (size_t i = 0; i < ig->len; i++) {
        free(ig->items[i].id);
        free(ig->items[i].pkg);
    }
    free(ig->items);
    memset(ig, 0, sizeof(*ig));
}

static int
ignore_file_add(struct vg_scan_filters *out, const char *path, struct vg_err **err)
{
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(VG_IGNORE_MAX_BYTES);
    struct vg_ignore one;
    if (vg_file_read(&raw, path, VG_IGNORE_MAX_BYTES, err) < 0 ||
        vg_ignore_parse(&one, raw.data, raw.len, err) < 0) {
        return vg_err_wrap(err, "ignore file %s", path);
    }
    if (!out->has_ignore) {
        out->ignore = one;
        out->has_ignore = true;
        return 0;
    }
    struct vg_ignore *ig = &out->ignore;
    size_t n, bytes;
    if (vg_ckd_add(&n, ig->len, one.len) || vg_ckd_mul(&bytes, n, sizeof(*ig->items))) {
        vg_ignore_dispose(&one);
        return vg_err_set(err, VG_E_LIMIT, "ignore file %s: too many entries", path);
    }
    ig->items = vg_realloc(ig->items, bytes ? bytes : sizeof(*ig->items));
    memcpy(ig->items + ig->len, one.items, one.len * sizeof(*one.items));
    ig->len = ig->cap = n;
    free(one.items);
    return 0;
}

int
vg_scan_filters_load(struct vg_scan_filters *out, const struct vg_scan_filter_files *in,
                     struct vg_err **err)
{
    static const char *defaults[] = {".vigilignore", ".trivyignore"};
    memset(out, 0, sizeof(*out));
    int rc = 0;
    if (in->ignorefile) {
        rc = ignore_file_add(out, in->ignorefile, err);
    }
    for (size_t i = 0; rc == 0 && !in->ignorefile && i < VG_ARRAY_LEN(defaults); i++) {
        vg_autofree char *path = vg_fmt("%s/%s", in->dir ? in->dir : ".", defaults[i]);
        /* Absent is the normal case; present but unreadable is an error naming the file. */
        if (access(path, F_OK) == 0) {
            rc = ignore_file_add(out, in->dir ? path : defaults[i], err);
        }
    }
    for (size_t i = 0; rc == 0 && i < in->nvex; i++) {
        vg_autobuf struct vg_buf raw = VG_BUF_INIT(VG_VEX_MAX_BYTES);
        if (vg_file_read(&raw, in->vex[i], VG_VEX_MAX_BYTES, err) < 0) {
            rc = vg_err_wrap(err, "VEX document");
            break;
        }
        if (!out->vex) {
            out->vex = vg_vex_new();
        }
        if (vg_vex_add(out->vex, raw.data, raw.len, err) < 0) {
            rc = vg_err_wrap(err, "VEX document %s", in->vex[i]);
        }
    }
    if (rc < 0) {
        vg_scan_filters_dispose(out);
    }
    return rc;
}

void
vg_scan_filters_dispose(struct vg_scan_filters *f)
{
    if (!f) {
        return;
    }
    vg_ignore_dispose(&f->ignore);
    vg_vex_free(f->vex);
    memset(f, 0, sizeof(*f));
}
