/* SPDX-License-Identifier: Apache-2.0
 *
 * Allocation that aborts on out-of-memory (every input-derived size is bounded before it gets
 * here), string slices and strict number parsing.
 */
#include "core.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void
oom(void)
{
    static const char msg[] = "vigil: out of memory\n";
    ssize_t w = write(2, msg, sizeof(msg) - 1);
    (void)w; /* nothing left to do if even this fails */
    abort();
}

void *
vg_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        oom();
    }
    return p;
}

void *
vg_calloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p) {
        oom();
    }
    return p;
}

void *
vg_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        oom();
    }
    return q;
}

void
vg_free_const(const void *p)
{
    free((void *)(uintptr_t)p);
}

char *
vg_strdup(const char *s)
{
    return s ? vg_strndup(s, strlen(s)) : NULL;
}

char *
vg_strndup(const char *s, size_t n)
{
    if (!s) {
        return NULL;
    }
    size_t len = strnlen(s, n);
    char *d = vg_malloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void *
vg_memdup(const void *p, size_t n)
{
    void *d = vg_malloc(n);
    if (n) {
        memcpy(d, p, n);
    }
    return d;
}

void
vg_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

struct vg_str
vg_str_c(const char *s)
{
    return (struct vg_str){s, s ? strlen(s) : 0};
}

char *
vg_str_dup(struct vg_str s)
{
    char *d = vg_malloc(s.len + 1);
    if (s.len) {
        memcpy(d, s.ptr, s.len);
    }
    d[s.len] = '\0';
    return d;
}

bool
vg_str_eq(struct vg_str a, struct vg_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool
vg_str_eq_c(struct vg_str a, const char *b)
{
    return vg_str_eq(a, vg_str_c(b));
}

bool
vg_str_startswith(struct vg_str s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && memcmp(s.ptr, prefix, n) == 0;
}

bool
vg_str_endswith(struct vg_str s, const char *suffix)
{
    size_t n = strlen(suffix);
    return s.len >= n && memcmp(s.ptr + s.len - n, suffix, n) == 0;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

struct vg_str
vg_str_trim(struct vg_str s)
{
    while (s.len && is_space(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len && is_space(s.ptr[s.len - 1])) {
        s.len--;
    }
    return s;
}

bool
vg_str_cut(struct vg_str s, char c, struct vg_str *head, struct vg_str *tail)
{
    const char *p = s.len ? memchr(s.ptr, c, s.len) : NULL;
    if (!p) {
        *head = s;
        *tail = (struct vg_str){s.ptr ? s.ptr + s.len : NULL, 0};
        return false;
    }
    *head = (struct vg_str){s.ptr, (size_t)(p - s.ptr)};
    *tail = (struct vg_str){p + 1, s.len - (size_t)(p - s.ptr) - 1};
    return true;
}

bool
vg_cstr_startswith(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
vg_cstr_endswith(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int
vg_parse_u64(struct vg_str s, uint64_t max, uint64_t *out)
{
    if (s.len == 0) {
        return -1;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c < '0' || c > '9') {
            return -1;
        }
        if (vg_ckd_mul(&v, v, (uint64_t)10) || vg_ckd_add(&v, v, (uint64_t)(c - '0'))) {
            return -1;
        }
    }
    if (v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

int
vg_parse_i64(struct vg_str s, int64_t *out)
{
    bool neg = false;
    if (s.len && (s.ptr[0] == '-' || s.ptr[0] == '+')) {
        neg = s.ptr[0] == '-';
        s.ptr++;
        s.len--;
    }
    uint64_t v;
    if (vg_parse_u64(s, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v) < 0) {
        return -1;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

void
vg_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (base && n > 1) {
        qsort(base, n, size, cmp);
    }
}

void *
vg_bsearch(const void *key, const void *base, size_t n, size_t size,
           int (*cmp)(const void *, const void *))
{
    if (!base || n == 0) {
        return NULL;
    }
    return bsearch(key, base, n, size, cmp);
}
