/* SPDX-License-Identifier: Apache-2.0
 *
 * Dockerfile (Containerfile) checks over the instructions misconf_dfparse.c parses (the ids
 * and texts are misconf.c's table). Trivy's
 * checks are reproduced as Trivy evaluates them (the last USER of the file, 'sudo' at the
 * start of an '&&' part, ...) so that the same ids fire on the same files; vigil's own add
 * what Trivy lacks. Nothing is executed and no variable is expanded except the global ARG
 * defaults a FROM names.
 */
#include "scan.h"
#include "misconf_int.h"
#include "scan_int.h"

#include <string.h>

#define is_space vg_misconf_is_space
#define rtrim    vg_misconf_rtrim

/* ---------------------------------------------------------------- helpers for the checks */

static const char *
flag_value(const struct df_ins *in, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < in->flags.n; i++) {
        const char *f = in->flags.v[i];
        if (strncmp(f, name, n) == 0 && f[n] == '=') {
            return f + n + 1;
        }
    }
    return NULL;
}

/* The '&&'-separated parts of a RUN text, trimmed (Trivy splits on `\s*&&\s*`). */
static size_t
and_parts(const char *text, struct vg_str *out, size_t max)
{
    size_t n = 0;
    const char *p = text;
    while (n < max) {
        const char *a = strstr(p, "&&");
        struct vg_str part = {p, a ? (size_t)(a - p) : strlen(p)};
        out[n++] = vg_str_trim(part);
        if (!a) {
            break;
        }
        p = a + 2;
    }
    return n;
}

#define MAX_PARTS 256

static bool
part_starts_with_word(struct vg_str part, const char *word)
{
    size_t n = strlen(word);
    return part.len >= n && memcmp(part.ptr, word, n) == 0 &&
           (part.len == n || is_space(part.ptr[n]));
}

/* "apt-get [-flags...] install" as Trivy's regex `apt-get (-(-)?[a-zA-Z]+ *)*install` reads it:
 * only flag words between the tool and the subcommand. */
static const char *
tool_subcommand(const char *text, const char *tool, const char *sub)
{
    size_t tl = strlen(tool), sl = strlen(sub);
    for (const char *p = strstr(text, tool); p; p = strstr(p + 1, tool)) {
        if (p != text && !is_space(p[-1]) && p[-1] != ';' && p[-1] != '&' && p[-1] != '|' &&
            p[-1] != '(' && p[-1] != '/') {
            continue;
        }
        const char *q = p + tl;
        if (*q != ' ') {
            continue;
        }
        while (*q == ' ') {
            q++;
        }
        for (;;) {
            if (strncmp(q, sub, sl) == 0) {
                return p;
            }
            if (*q != '-') {
                break;
            }
            q++;
            if (*q == '-') {
                q++;
            }
            const char *s = q;
            while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')) {
                q++;
            }
            if (q == s) {
                break;
            }
            while (*q == ' ') {
                q++;
            }
        }
    }
    return NULL;
}

static bool
has_word(const char *text, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = strstr(text, w); p; p = strstr(p + 1, w)) {
        bool left = p == text || is_space(p[-1]) || p[-1] == ';' || p[-1] == '&' || p[-1] == '|' ||
                    p[-1] == '(';
        bool right =
            !p[n] || is_space(p[n]) || p[n] == ';' || p[n] == '&' || p[n] == '|' || p[n] == ')';
        if (left && right) {
            return true;
        }
    }
    return false;
}

static bool
is_run(const struct df_ins *in)
{
    return strcmp(in->cmd, "RUN") == 0;
}

/* -y as apt-get reads it: a short-option group with 'y', --yes, --assume-yes; -qq implies
 * it. Looked for in the words after the apt-get that installs. */
static bool
apt_assume_yes(const char *from)
{
    struct vg_str rest = vg_str_c(from);
    size_t words = 0;
    while (rest.len && words++ < 64) {
        struct vg_str w;
        rest = vg_str_trim(rest);
        size_t e = 0;
        while (e < rest.len && !is_space(rest.ptr[e])) {
            e++;
        }
        w = (struct vg_str){rest.ptr, e};
        rest = (struct vg_str){rest.ptr + e, rest.len - e};
        if (vg_str_eq_c(w, "&&") || vg_str_eq_c(w, ";") || vg_str_eq_c(w, "||") ||
            vg_str_eq_c(w, "|")) {
            break;
        }
        if (vg_str_eq_c(w, "--yes") || vg_str_eq_c(w, "--assume-yes") ||
            vg_str_startswith(w, "--force-yes")) {
            return true;
        }
        if (w.len >= 2 && w.ptr[0] == '-' && w.ptr[1] != '-') {
            bool letters = true, y = false;
            for (size_t i = 1; i < w.len; i++) {
                letters &=
                    (w.ptr[i] >= 'a' && w.ptr[i] <= 'z') || (w.ptr[i] >= 'A' && w.ptr[i] <= 'Z');
                y |= w.ptr[i] == 'y';
            }
            if (letters && y) {
                return true;
            }
        }
    }
    return false;
}

static char *
esc(const char *s)
{
    return vg_escape(s, strlen(s), 200);
}

/* Global ARG defaults (before the first FROM), for FROM ${BASE}. */
static char *
resolve_image(const struct df *d, const char *image)
{
    if (!strchr(image, '$')) {
        return vg_strdup(image);
    }
    struct vg_buf out = VG_BUF_INIT(4096);
    const char *p = image;
    while (*p) {
        if (*p != '$') {
            if (vg_buf_appendc(&out, *p++, NULL) < 0) {
                goto fail;
            }
            continue;
        }
        p++;
        bool brace = *p == '{';
        p += brace;
        const char *s = p;
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
               *p == '_') {
            p++;
        }
        struct vg_str name = {s, (size_t)(p - s)};
        if (brace) {
            if (*p != '}') {
                goto fail;
            }
            p++;
        }
        const char *val = NULL;
        for (size_t i = 0; i < d->ins.n && d->ins.v[i].stage == SIZE_MAX; i++) {
            const struct df_ins *in = &d->ins.v[i];
            for (size_t k = 0; strcmp(in->cmd, "ARG") == 0 && k < in->words.n; k++) {
                struct vg_str n, v;
                if (vg_str_cut(vg_str_c(in->words.v[k]), '=', &n, &v) && vg_str_eq(n, name)) {
                    val = v.ptr;
                }
            }
        }
        if (!val || !*val || vg_buf_append_str(&out, val, NULL) < 0) {
            goto fail;
        }
    }
    return vg_buf_take(&out, NULL);
fail:
    vg_buf_dispose(&out);
    return NULL;
}

static bool
is_alias(const struct df *d, const char *name, size_t before)
{
    for (size_t i = 0; i < before && i < d->stages.n; i++) {
        if (d->stages.v[i].alias && strcasecmp(d->stages.v[i].alias, name) == 0) {
            return true;
        }
    }
    return false;
}

/* ---------------------------------------------------------------- the checks */

static void
check_from(struct vg_misconf_ctx *m, const struct df *d)
{
    for (size_t s = 0; s < d->stages.n; s++) {
        const struct df_stage *st = &d->stages.v[s];
        const struct df_ins *in = &d->ins.v[st->from];
        vg_autofree char *img = resolve_image(d, st->image);
        if (!img || !*img || strcmp(img, "scratch") == 0 || is_alias(d, img, s)) {
            continue;
        }
        const char *slash = strrchr(img, '/');
        const char *colon = strrchr(slash ? slash : img, ':');
        bool digest = strchr(img, '@') != NULL;
        if (!digest && (!colon || strcmp(colon, ":latest") == 0)) {
            vg_autofree char *name =
                colon ? vg_str_dup((struct vg_str){img, (size_t)(colon - img)}) : vg_strdup(img);
            vg_autofree char *e = esc(name);
            vg_misconf_fail(m, "DS001", in->start, in->end, in->start,
                            vg_fmt("Specify a tag in the 'FROM' statement for image '%s'", e));
        }
        if (!digest) {
            vg_autofree char *e = esc(img);
            vg_misconf_fail(m, "VG-DS-002", in->start, in->end, in->start,
                            vg_fmt("FROM %s: the base image is not pinned by digest", e));
        }
    }
    for (size_t s = 0; s < d->stages.n; s++) {
        for (size_t t = s + 1; d->stages.v[s].alias && t < d->stages.n; t++) {
            const struct df_stage *b = &d->stages.v[t];
            if (b->alias && strcasecmp(d->stages.v[s].alias, b->alias) == 0) {
                const struct df_ins *in = &d->ins.v[b->from];
                vg_autofree char *e = esc(b->alias);
                vg_misconf_fail(m, "DS012", in->start, in->end, in->start,
                                vg_fmt("Duplicate aliases '%s' are found in different FROMs", e));
            }
        }
    }
}

static void
check_user(struct vg_misconf_ctx *m, const struct df *d)
{
    const struct df_ins *last = NULL;
    for (size_t i = 0; i < d->ins.n; i++) {
        if (strcmp(d->ins.v[i].cmd, "USER") == 0 && d->ins.v[i].words.n) {
            last = &d->ins.v[i];
        }
    }
    if (!last) {
        if (d->stages.n) {
            vg_misconf_fail(m, "DS002", 0, 0, 0,
                            vg_strdup("Specify at least 1 USER command in Dockerfile with "
                                      "non-root user as argument"));
        }
        return;
    }
    struct vg_str user, group;
    vg_str_cut(vg_str_c(last->words.v[0]), ':', &user, &group);
    if (vg_str_eq_c(user, "root") || vg_str_eq_c(user, "0")) {
        vg_misconf_fail(m, "DS002", last->start, last->end, 0,
                        vg_strdup("Last USER command in Dockerfile should not be 'root'"));
    }
}

static void
check_counts(struct vg_misconf_ctx *m, const struct df *d)
{
    static const struct {
        const char *cmd, *id, *msg;
    } once[] = {{"CMD", "DS016", "There are %zu duplicate CMD instructions"},
                {"ENTRYPOINT", "DS007", "There are %zu duplicate ENTRYPOINT instructions"},
                {"HEALTHCHECK", "DS023", "There are %zu duplicate HEALTHCHECK instructions"}};
    bool any_hc = false;
    for (size_t s = 0; s < d->stages.n; s++) {
        for (size_t k = 0; k < VG_ARRAY_LEN(once); k++) {
            size_t n = 0;
            const struct df_ins *lastof = NULL;
            for (size_t i = 0; i < d->ins.n; i++) {
                if (d->ins.v[i].stage == s && strcmp(d->ins.v[i].cmd, once[k].cmd) == 0) {
                    n++;
                    lastof = &d->ins.v[i];
                }
            }
            any_hc |= k == 2 && n > 0;
            if (n > 1) {
                vg_misconf_fail(m, once[k].id, lastof->start, lastof->end,
                                d->ins.v[d->stages.v[s].from].start, vg_fmt(once[k].msg, n));
            }
        }
    }
    if (d->stages.n && !any_hc) {
        vg_misconf_fail(m, "DS026", 0, 0, 0,
                        vg_strdup("Add HEALTHCHECK instruction in your Dockerfile"));
    }
}

static size_t
scope_of(const struct df *d, const struct df_ins *in)
{
    return in->stage < d->stages.n ? d->ins.v[d->stages.v[in->stage].from].start : 0;
}

static void
check_expose_workdir_copy(struct vg_misconf_ctx *m, const struct df *d, const struct df_ins *in)
{
    size_t sc = scope_of(d, in);
    if (strcmp(in->cmd, "EXPOSE") == 0) {
        for (size_t k = 0; k < in->words.n; k++) {
            struct vg_str port, proto;
            vg_str_cut(vg_str_c(in->words.v[k]), '/', &port, &proto);
            uint64_t v;
            if (vg_str_eq_c(port, "22")) {
                vg_misconf_fail(m, "DS004", in->start, in->end, sc,
                                vg_strdup("Port 22 should not be exposed in Dockerfile"));
            } else if (vg_parse_u64(port, UINT64_MAX, &v) == 0 && v > 65535) {
                vg_autofree char *e = esc(in->words.v[k]);
                vg_misconf_fail(m, "DS008", in->start, in->end, sc,
                                vg_fmt("'EXPOSE' contains port which is out of range [0, 65535]: "
                                       "%s",
                                       e));
            }
        }
    } else if (strcmp(in->cmd, "WORKDIR") == 0 && in->words.n) {
        const char *p = in->words.v[0];
        bool abs = p[0] == '/' || p[0] == '$' ||
                   (((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) && p[1] == ':' &&
                    p[2] == '\\');
        if (!abs) {
            vg_autofree char *e = esc(p);
            vg_misconf_fail(m, "DS009", in->start, in->end, sc,
                            vg_fmt("WORKDIR path '%s' should be absolute", e));
        }
    } else if (strcmp(in->cmd, "COPY") == 0) {
        if (in->words.n > 2 && !vg_cstr_endswith(in->words.v[in->words.n - 1], "/")) {
            vg_misconf_fail(m, "DS011", in->start, in->end, sc,
                            vg_fmt("Slash is expected at the end of COPY command argument '%s'",
                                   in->words.v[in->words.n - 1]));
        }
        const char *from = flag_value(in, "--from");
        const char *alias = in->stage < d->stages.n ? d->stages.v[in->stage].alias : NULL;
        if (from && alias && strcasecmp(from, alias) == 0) {
            vg_autofree char *e = esc(from);
            vg_misconf_fail(m, "DS006", in->start, in->end, sc,
                            vg_fmt("'COPY --from' should not mention the current FROM alias "
                                   "'%s'",
                                   e));
        }
    } else if (strcmp(in->cmd, "ADD") == 0) {
        bool url = false;
        for (size_t k = 0; k + 1 < in->words.n; k++) {
            url |= vg_cstr_startswith(in->words.v[k], "http://") ||
                   vg_cstr_startswith(in->words.v[k], "https://");
        }
        if (!strstr(in->text, ".tar")) {
            vg_autofree char *e = esc(in->text);
            vg_misconf_fail(m, "DS005", in->start, in->end, sc,
                            vg_fmt("Consider using 'COPY %s' command instead of 'ADD %s'", e, e));
        }
        if (url && !flag_value(in, "--checksum")) {
            vg_autofree char *e = esc(in->text);
            vg_misconf_fail(m, "VG-DS-001", in->start, in->end, sc,
                            vg_fmt("ADD %s downloads without verifying a checksum", e));
        }
    } else if (strcmp(in->cmd, "MAINTAINER") == 0) {
        vg_autofree char *e = esc(in->text);
        vg_misconf_fail(m, "DS022", in->start, in->end, sc,
                        vg_fmt("MAINTAINER should not be used: 'MAINTAINER %s'", e));
    }
}

/* DS017: an '&&' part ending in "update" with no install after the first "update". */
static bool
update_alone(const char *text)
{
    struct vg_str parts[MAX_PARTS];
    size_t n = and_parts(text, parts, MAX_PARTS);
    bool upd = false;
    for (size_t i = 0; i < n; i++) {
        struct vg_str p = rtrim(parts[i]);
        upd |= p.len > 6 && (vg_str_endswith(p, " update") || vg_str_endswith(p, " --update"));
    }
    if (!upd) {
        return false;
    }
    const char *u = strstr(text, "update");
    static const char *const installs[] = {"upgrade",   "install",      "source-install",
                                           "reinstall", "groupinstall", "localinstall",
                                           "apk add"};
    for (size_t i = 0; i < VG_ARRAY_LEN(installs); i++) {
        const char *x = strstr(u, installs[i]);
        if (x && x > u) {
            return false;
        }
    }
    return true;
}

static bool
pipe_to_shell(const char *text)
{
    static const char *const shells[] = {"sh",     "bash",    "zsh",  "ash",  "dash", "ksh",
                                         "python", "python3", "perl", "ruby", "node"};
    for (const char *p = strchr(text, '|'); p; p = strchr(p + 1, '|')) {
        if (p[1] == '|' || (p > text && p[-1] == '|')) {
            continue;
        }
        /* the command before the pipe downloads */
        const char *s = p;
        while (s > text && s[-1] != '&' && s[-1] != ';' && s[-1] != '\n' && s[-1] != '(') {
            s--;
        }
        vg_autofree char *before = vg_str_dup((struct vg_str){s, (size_t)(p - s)});
        if (!has_word(before, "curl") && !has_word(before, "wget")) {
            continue;
        }
        struct vg_str after = vg_str_trim(vg_str_c(p + 1));
        if (vg_str_startswith(after, "sudo ")) {
            after = vg_str_trim((struct vg_str){after.ptr + 5, after.len - 5});
        }
        for (size_t i = 0; i < VG_ARRAY_LEN(shells); i++) {
            if (part_starts_with_word(after, shells[i])) {
                return true;
            }
            vg_autofree char *abs = vg_fmt("/bin/%s", shells[i]);
            vg_autofree char *usr = vg_fmt("/usr/bin/%s", shells[i]);
            if (part_starts_with_word(after, abs) || part_starts_with_word(after, usr)) {
                return true;
            }
        }
    }
    return false;
}

static void
check_run(struct vg_misconf_ctx *m, const struct df *d, const struct df_ins *in, bool *wget,
          bool *curl, const struct df_ins **first_dl)
{
    const char *t = in->text;
    size_t sc = scope_of(d, in);
    vg_autofree char *e = esc(t);
    struct vg_str parts[MAX_PARTS];
    size_t n = and_parts(t, parts, MAX_PARTS);
    bool sudo = false, cd = false;
    for (size_t i = 0; !in->json && i < n; i++) {
        sudo |= part_starts_with_word(parts[i], "sudo");
        cd |= vg_str_startswith(parts[i], "cd ");
        if (part_starts_with_word(parts[i], "wget") || part_starts_with_word(parts[i], "curl")) {
            *wget |= part_starts_with_word(parts[i], "wget");
            *curl |= part_starts_with_word(parts[i], "curl");
            if (!*first_dl) {
                *first_dl = in;
            }
        }
    }
    if (sudo) {
        vg_misconf_fail(m, "DS010", in->start, in->end, sc,
                        vg_strdup("Using 'sudo' in Dockerfile should be avoided"));
    }
    if (cd) {
        vg_misconf_fail(m, "DS013", in->start, in->end, sc,
                        vg_fmt("RUN should not be used to change directory: '%s'. Use 'WORKDIR' "
                               "statement instead.",
                               e));
    }
    const char *apt = tool_subcommand(t, "apt-get", "install");
    if (apt && !strstr(t, "--no-install-recommends") &&
        !strstr(t, "APT::Install-Recommends=false") && !strstr(t, "APT::Install-Recommends=0")) {
        vg_misconf_fail(m, "DS029", in->start, in->end, sc,
                        vg_fmt("'--no-install-recommends' flag is missed: '%s'", e));
    }
    if (apt && !apt_assume_yes(apt)) {
        vg_misconf_fail(m, "DS021", in->start, in->end, sc, vg_fmt("'-y' flag is missed: '%s'", e));
    }
    bool apt_any = apt || tool_subcommand(t, "apt", "install");
    if (apt_any && !strstr(t, "/var/lib/apt/lists") && !flag_value(in, "--mount")) {
        vg_misconf_fail(m, "VG-DS-004", in->start, in->end, sc,
                        vg_fmt("'%s' leaves /var/lib/apt/lists in the layer", e));
    }
    if (tool_subcommand(t, "apt-get", "dist-upgrade")) {
        vg_misconf_fail(m, "DS024", in->start, in->end, sc,
                        vg_fmt("'apt-get dist-upgrade' should not be used in Dockerfile"));
    }
    if (tool_subcommand(t, "apk", "add") && !strstr(t, "--no-cache")) {
        vg_misconf_fail(m, "DS025", in->start, in->end, sc,
                        vg_fmt("'--no-cache' is missed: %s", e));
    }
    static const struct {
        const char *tool, *id, *clean;
    } cleans[] = {{"yum", "DS015", "yum clean all"},
                  {"dnf", "DS019", "dnf clean all"},
                  {"microdnf", "DS027", "microdnf clean all"}};
    for (size_t i = 0; i < VG_ARRAY_LEN(cleans); i++) {
        if (tool_subcommand(t, cleans[i].tool, "install") && !strstr(t, cleans[i].clean)) {
            vg_misconf_fail(m, cleans[i].id, in->start, in->end, sc,
                            vg_fmt("'%s' is missed: %s", cleans[i].clean, e));
        }
    }
    if ((tool_subcommand(t, "zypper", "install") || tool_subcommand(t, "zypper", "in ") ||
         tool_subcommand(t, "zypper", "patch")) &&
        !strstr(t, "zypper clean") && !strstr(t, "zypper cc")) {
        vg_misconf_fail(m, "DS020", in->start, in->end, sc,
                        vg_fmt("'zypper clean' is missed: '%s'", e));
    }
    if (update_alone(t)) {
        vg_misconf_fail(m, "DS017", in->start, in->end, sc,
                        vg_fmt("The instruction 'RUN <package-manager> update' should always be "
                               "followed by '<package-manager> install' in the same RUN "
                               "statement."));
    }
    if (pipe_to_shell(t)) {
        vg_misconf_fail(m, "VG-DS-003", in->start, in->end, sc,
                        vg_fmt("'%s' pipes a download into an interpreter", e));
    }
}

/* DS031: ENV and ARG values. */
static void
secret_var(struct vg_misconf_ctx *m, const struct df *d, const struct df_ins *in,
           struct vg_str name, struct vg_str value, bool has_value)
{
    if (!name.len) {
        return;
    }
    bool named = vg_scan_secret_name(name) && !vg_str_endswith(name, "_FILE") &&
                 !vg_str_endswith(name, "_PATH") && !vg_str_endswith(name, "_DIR");
    vg_autofree char *n = vg_str_dup(name);
    vg_autofree char *en = esc(n);
    size_t sc = scope_of(d, in);
    vg_autofree char *pair = vg_fmt("%s=%.*s", n, (int)value.len, value.ptr);
    vg_autofree char *rule = has_value && value.len ? vg_misconf_secret_rule(m, pair) : NULL;
    if (rule) {
        vg_autofree char *er = esc(rule);
        vg_misconf_fail(m, "DS031", in->start, in->end, sc,
                        vg_fmt("%s %s holds a secret (%s)", in->cmd, en, er));
    } else if (named && has_value && value.len) {
        vg_misconf_fail(m, "DS031", in->start, in->end, sc,
                        vg_fmt("%s sets %s to a non-empty value", in->cmd, en));
    } else if (named && strcmp(in->cmd, "ARG") == 0) {
        vg_misconf_fail(m, "DS031", in->start, in->end, sc,
                        vg_fmt("ARG %s: a secret build argument is recorded in the image "
                               "history",
                               en));
    }
}

static void
check_env_arg(struct vg_misconf_ctx *m, const struct df *d, const struct df_ins *in)
{
    bool env = strcmp(in->cmd, "ENV") == 0;
    if (!env && strcmp(in->cmd, "ARG") != 0) {
        return;
    }
    if (env && in->words.n >= 2 && !strchr(in->words.v[0], '=')) {
        /* legacy `ENV NAME value words` */
        struct vg_str rest = vg_str_c(in->text);
        size_t e = 0;
        while (e < rest.len && !is_space(rest.ptr[e])) {
            e++;
        }
        struct vg_str v = vg_str_trim((struct vg_str){rest.ptr + e, rest.len - e});
        secret_var(m, d, in, vg_str_c(in->words.v[0]), v, true);
        return;
    }
    for (size_t k = 0; k < in->words.n; k++) {
        struct vg_str name, value;
        bool has = vg_str_cut(vg_str_c(in->words.v[k]), '=', &name, &value);
        secret_var(m, d, in, name, value, has);
    }
}

/* VG-DS-005: the final stage of a multi-stage build is a toolchain image or installs one. */
static void
check_final_stage(struct vg_misconf_ctx *m, const struct df *d)
{
    if (d->stages.n < 2) {
        return;
    }
    size_t s = d->stages.n - 1;
    const struct df_ins *from = &d->ins.v[d->stages.v[s].from];
    vg_autofree char *img = resolve_image(d, d->stages.v[s].image);
    if (img && !is_alias(d, img, s)) {
        static const char *const toolchains[] = {"golang",     "rust",    "gcc",
                                                 "maven",      "gradle",  "buildpack-deps",
                                                 "dotnet/sdk", "openjdk", "clang"};
        const char *base = strrchr(img, '/');
        const char *name = base ? base + 1 : img;
        if (strstr(img, "dotnet/sdk")) {
            name = "dotnet/sdk";
        }
        for (size_t i = 0; i < VG_ARRAY_LEN(toolchains); i++) {
            size_t n = strlen(toolchains[i]);
            if (strncmp(name, toolchains[i], n) == 0 &&
                (name[n] == ':' || name[n] == '\0' || name[n] == '@')) {
                if (strcmp(toolchains[i], "openjdk") == 0 && strstr(name, "jre")) {
                    continue;
                }
                vg_autofree char *e = esc(img);
                vg_misconf_fail(m, "VG-DS-005", from->start, from->end, from->start,
                                vg_fmt("the final stage runs from the toolchain image %s", e));
                return;
            }
        }
    }
    static const char *const pkgs[] = {"build-essential", "gcc",   "g++",   "make",  "clang",
                                       "golang",          "cargo", "rustc", "maven", "build-base"};
    for (size_t i = d->stages.v[s].from; i < d->ins.n; i++) {
        const struct df_ins *in = &d->ins.v[i];
        if (!is_run(in) || !(tool_subcommand(in->text, "apt-get", "install") ||
                             tool_subcommand(in->text, "apk", "add") ||
                             tool_subcommand(in->text, "yum", "install") ||
                             tool_subcommand(in->text, "dnf", "install"))) {
            continue;
        }
        for (size_t k = 0; k < VG_ARRAY_LEN(pkgs); k++) {
            if (has_word(in->text, pkgs[k])) {
                vg_misconf_fail(
                    m, "VG-DS-005", in->start, in->end, from->start,
                    vg_fmt("the final stage installs the toolchain package %s", pkgs[k]));
                return;
            }
        }
    }
}

int
vg_misconf_dockerfile(struct vg_misconf_ctx *m, const char *data, size_t len, struct vg_err **err)
{
    struct df d = {0};
    if (vg_misconf_df_parse(&d, data, len, m->target, err) < 0) {
        vg_misconf_df_dispose(&d);
        return -1;
    }
    check_from(m, &d);
    check_user(m, &d);
    check_counts(m, &d);
    bool wget = false, curl = false;
    const struct df_ins *first_dl = NULL;
    for (size_t i = 0; i < d.ins.n; i++) {
        const struct df_ins *in = &d.ins.v[i];
        check_expose_workdir_copy(m, &d, in);
        check_env_arg(m, &d, in);
        if (is_run(in)) {
            check_run(m, &d, in, &wget, &curl, &first_dl);
        }
    }
    if (wget && curl && first_dl) {
        vg_misconf_fail(m, "DS014", first_dl->start, first_dl->end, scope_of(&d, first_dl),
                        vg_strdup("Shouldn't use both curl and wget"));
    }
    check_final_stage(m, &d);
    vg_misconf_df_dispose(&d);
    return 0;
}
