/* SPDX-License-Identifier: Apache-2.0
 *
 * JSON values written as block-style YAML, for manifests people read and `kubectl apply`
 * (`vigil admit manifests`). The output is chosen to mean exactly the JSON to YAML 1.1 and
 * 1.2 parsers alike (PyYAML, libfyaml, sigs.k8s.io/yaml):
 *
 * - a string is plain only when nothing can read it as another type or as syntax: ASCII
 *   letters, digits and `. _ / -`, not starting with a digit, `.` or `-`, and not one of the
 *   YAML 1.1 booleans or null (`on`, `no`, `y`, `null`, ... in any case);
 * - a multi-line string is a literal block (`|`, `|-`, `|+` by its trailing newlines) when every
 *   line is printable, the first does not start with a blank and no line ends with one;
 * - anything else is double-quoted, escaping `"`, `\`, control characters, DEL, the C1 range,
 *   NEL, LS and PS (which YAML would fold as line breaks) and U+FFFE/U+FFFF;
 * - empty mappings and sequences are `{}` and `[]`; keys are plain or double-quoted.
 *
 * Written without libfyaml's emitter so the quoting rules above are ours and stable.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EMIT_INDENT 2

static bool
plain_ok(const char *s, size_t n)
{
    static const char *const reserved[] = {"y",     "n",  "yes", "no",  "true",
                                           "false", "on", "off", "null"};
    if (n == 0 || (s[0] >= '0' && s[0] <= '9') || s[0] == '.' || s[0] == '-') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '/' || c == '-';
        if (!ok) {
            return false;
        }
    }
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        if (strlen(reserved[i]) == n && strncasecmp(reserved[i], s, n) == 0) {
            return false;
        }
    }
    return true;
}

/* Length of a character YAML does not print as itself at s[i] (UTF-8 of the C1 range, LS, PS,
 * U+FFFE, U+FFFF), or 0. */
static size_t
special_utf8(const unsigned char *s, size_t n, size_t i, unsigned *cp)
{
    if (i + 1 < n && s[i] == 0xc2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
        *cp = s[i + 1];
        return 2;
    }
    if (i + 2 < n && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
        *cp = s[i + 2] == 0xa8 ? 0x2028u : 0x2029u;
        return 3;
    }
    if (i + 2 < n && s[i] == 0xef && s[i + 1] == 0xbf && (s[i + 2] == 0xbe || s[i + 2] == 0xbf)) {
        *cp = s[i + 2] == 0xbe ? 0xfffeu : 0xffffu;
        return 3;
    }
    return 0;
}

static bool
literal_ok(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0 || !memchr(s, '\n', n) || s[0] == ' ' || s[0] == '\t' || s[0] == '\n') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned cp = 0;
        if ((u[i] < 0x20 && u[i] != '\n' && u[i] != '\t') || u[i] == 0x7f ||
            special_utf8(u, n, i, &cp)) {
            return false;
        }
        if (u[i] == '\n' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) {
            return false;
        }
    }
    return s[n - 1] != ' ' && s[n - 1] != '\t';
}

static void
emit_quoted(FILE *f, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned cp = 0;
        size_t k = special_utf8(u, n, i, &cp);
        if (k) {
            fprintf(f,
                    cp == 0x85     ? "\\N"
                    : cp == 0x2028 ? "\\L"
                    : cp == 0x2029 ? "\\P"
                                   : "\\u%04x",
                    cp);
            i += k - 1;
        } else if (u[i] == '"' || u[i] == '\\') {
            fputc('\\', f);
            fputc(u[i], f);
        } else if (u[i] == '\n') {
            fputs("\\n", f);
        } else if (u[i] == '\t') {
            fputs("\\t", f);
        } else if (u[i] < 0x20 || u[i] == 0x7f) {
            fprintf(f, "\\x%02x", u[i]);
        } else {
            fputc(u[i], f);
        }
    }
    fputc('"', f);
}

static void
emit_string(FILE *f, const char *s, size_t n, int indent)
{
    if (plain_ok(s, n)) {
        fwrite(s, 1, n, f);
        return;
    }
    if (!literal_ok(s, n)) {
        emit_quoted(f, s, n);
        return;
    }
    size_t trailing = 0;
    while (trailing < n && s[n - 1 - trailing] == '\n') {
        trailing++;
    }
    fputs(trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+", f);
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '\n') {
            if (i == n && start == n) {
                break;
            }
            fputc('\n', f);
            if (i > start) {
                fprintf(f, "%*s", indent + EMIT_INDENT, "");
                fwrite(s + start, 1, i - start, f);
            }
            start = i + 1;
        }
    }
}

static bool
is_block(json_t *v)
{
    return (json_is_object(v) && json_object_size(v) > 0) ||
           (json_is_array(v) && json_array_size(v) > 0);
}

/* A scalar or an empty collection, on the current line. */
static void
emit_inline(FILE *f, json_t *v, int indent)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        fputs("{}", f);
        break;
    case JSON_ARRAY:
        fputs("[]", f);
        break;
    case JSON_STRING:
        emit_string(f, json_string_value(v), json_string_length(v), indent);
        break;
    case JSON_INTEGER:
        fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        fprintf(f, "%.17g", json_real_value(v));
        break;
    case JSON_TRUE:
        fputs("true", f);
        break;
    case JSON_FALSE:
        fputs("false", f);
        break;
    case JSON_NULL:
        fputs("null", f);
        break;
    }
}

static void emit_block(FILE *f, json_t *v, int indent, bool inline_first);

/* A mapping entry or sequence item's value after "key:" or "-". */
static void
emit_value(FILE *f, json_t *v, int indent)
{
    if (json_is_object(v) && json_object_size(v) > 0) {
        fputc('\n', f);
        emit_block(f, v, indent + EMIT_INDENT, false);
    } else if (json_is_array(v) && json_array_size(v) > 0) {
        fputc('\n', f);
        emit_block(f, v, indent + EMIT_INDENT, false);
    } else {
        fputc(' ', f);
        emit_inline(f, v, indent);
        fputc('\n', f);
    }
}

/* A non-empty collection at indent; inline_first: the first line's indentation is written
 * already (a mapping that is a sequence item). */
static void
emit_block(FILE *f, json_t *v, int indent, bool inline_first)
{
    bool first = true;
    if (json_is_object(v)) {
        const char *key;
        json_t *val;
        json_object_foreach (v, key, val) {
            if (!(first && inline_first)) {
                fprintf(f, "%*s", indent, "");
            }
            first = false;
            /* a key is never a block scalar: implicit keys are one line */
            if (plain_ok(key, strlen(key))) {
                fputs(key, f);
            } else {
                emit_quoted(f, key, strlen(key));
            }
            fputc(':', f);
            emit_value(f, val, indent);
        }
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach (v, i, item) {
        if (!(first && inline_first)) {
            fprintf(f, "%*s", indent, "");
        }
        first = false;
        if (json_is_object(item) && is_block(item)) {
            fputs("- ", f);
            emit_block(f, item, indent + EMIT_INDENT, true);
        } else if (is_block(item)) {
            fputs("-\n", f);
            emit_block(f, item, indent + EMIT_INDENT, false);
        } else {
            fputs("- ", f);
            emit_inline(f, item, indent);
            fputc('\n', f);
        }
    }
}

char *
vg_config_yaml_emit(json_t *const *docs, size_t n)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) {
        abort(); /* open_memstream fails only on OOM */
    }
    for (size_t d = 0; d < n; d++) {
        fputs("---\n", f);
        if (is_block(docs[d])) {
            emit_block(f, docs[d], 0, false);
        } else {
            emit_inline(f, docs[d], 0);
            fputc('\n', f);
        }
    }
    if (fclose(f) != 0 || !out) {
        abort(); /* open_memstream fails only on OOM */
    }
    return out;
}
