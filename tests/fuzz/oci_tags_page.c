/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: a registry's tag-list page (GET /v2/<name>/tags/list) and its Link header. The
 * input is "<Link header value>\n<body>" (no newline: body only). Tags accumulate over two
 * pages as the client does; the next-page URL, when there is one, must stay on the registry.
 */
#include <stdint.h>
#include <string.h>

#include "oci/oci.h"
#include "oci/remote_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    const uint8_t *body = nl ? nl + 1 : data;
    size_t blen = nl ? size - (size_t)(body - data) : size;
    char **tags = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    for (int page = 0; page < 2; page++) {
        size_t before = n;
        if (vg_oci_remote_tags_page_parse(body, blen, &tags, &n, &err) < 0) {
            vg_err_free(&err);
            break;
        }
        for (size_t i = before; i < n; i++) {
            if (!tags[i]) {
                __builtin_trap();
            }
        }
    }
    vg_strv_free(tags, n);
    if (nl) {
        char *link = vg_strndup((const char *)data, (size_t)(nl - data));
        static const char cur[] = "https://registry.example:5000/v2/team/app/tags/list?n=100";
        char *next = NULL;
        if (vg_oci_remote_page_next(cur, link, &next, "tags", &err) == 0 && next &&
            !vg_cstr_startswith(next, "https://registry.example:5000/")) {
            __builtin_trap(); /* the same-origin check let another host through */
        }
        free(next);
        free(link);
        vg_err_free(&err);
    }
    return 0;
}
