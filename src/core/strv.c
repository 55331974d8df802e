/* SPDX-License-Identifier: Apache-2.0
 *
 * String lists: a heap array of `n` owned, NUL-terminated strings, carried as a (char **, size_t)
 * pair in the structs that hold them (package licenses, advisory aliases, tags, ...). The array
 * is NULL while n is 0. Lists are small (aliases, tags, keywords), so membership is a linear scan.
 * Not thread-safe; a list belongs to one owner.
 */
#include "core.h"

#include <string.h>

void
vg_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i]);
    }
    free(v);
}

char **
vg_strv_dup(char *const *v, size_t n)
{
    if (n == 0) {
        return NULL;
    }
    char **out = vg_calloc(n, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        out[i] = vg_strdup(v[i]);
    }
    return out;
}

bool
vg_strv_has(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++) {
        if (strcmp(v[i], s) == 0) {
            return true;
        }
    }
    return false;
}

void
vg_strv_push(char ***v, size_t *n, const char *s)
{
    size_t bytes;
    if (vg_ckd_mul(&bytes, *n + 1, sizeof(**v))) {
        abort(); /* unreachable: n strings already fit in memory */
    }
    *v = vg_realloc(*v, bytes);
    (*v)[(*n)++] = vg_strdup(s);
}

bool
vg_strv_add_unique(char ***v, size_t *n, const char *s)
{
    if (!s || vg_strv_has(*v, *n, s)) {
        return false;
    }
    vg_strv_push(v, n, s);
    return true;
}
