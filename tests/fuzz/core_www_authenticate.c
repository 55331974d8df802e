/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: WWW-Authenticate challenge lists and Link headers (core/httphdr.c). Every
 * parsed challenge without a token68 is formatted again and re-parsed: the formatter must
 * accept what the parser produced and the round trip must give the same challenge back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/httphdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const struct vg_http_challenge *c)
{
    char *s = NULL;
    struct vg_err *err = NULL;
    struct vg_http_auth_kv kv[VG_HTTP_AUTH_PARAMS_MAX];
    for (size_t i = 0; i < c->nparams && i < VG_HTTP_AUTH_PARAMS_MAX; i++) {
        kv[i] = (struct vg_http_auth_kv){c->params[i].name, c->params[i].value};
    }
    if (c->token68 || c->nparams > VG_HTTP_AUTH_PARAMS_MAX ||
        vg_http_challenge_format(&s, c->scheme, kv, c->nparams, &err) < 0) {
        vg_err_free(&err); /* control characters inside quoted values are refused: fine */
        return;
    }
    struct vg_http_challenge *back = NULL;
    size_t n = 0;
    if (vg_http_challenges_parse(&back, &n, s, strlen(s), &err) < 0 || n != 1 ||
        strcmp(back->scheme, c->scheme) != 0 || back->nparams != c->nparams) {
        abort();
    }
    for (size_t i = 0; i < c->nparams; i++) {
        if (strcmp(back->params[i].name, c->params[i].name) != 0 ||
            strcmp(back->params[i].value, c->params[i].value) != 0) {
            abort();
        }
    }
    vg_http_challenges_free(back, n);
    free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_http_challenge *c = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    if (vg_http_challenges_parse(&c, &n, (const char *)data, size, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            (void)vg_http_challenge_param(&c[i], "realm"); /* result unused: exercising only */
            round_trip(&c[i]);
        }
        vg_http_challenges_free(c, n);
    }
    vg_err_free(&err);
    char *next = NULL;
    if (size < 4096) {
        char *s = vg_strndup((const char *)data, size);
        next = vg_http_link_next(s);
        free(s);
    }
    free(next);
    return 0;
}
