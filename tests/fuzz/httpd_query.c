/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for httpd's query decoding (httpd/req.c through httpd_int.h, core/pct.c): the
 * input is "KEY\nQUERY". Looking KEY up either finds a raw value inside QUERY or nothing; the
 * decoded value is never longer than the raw one, holds no NUL before its end, and matches
 * an independent byte-by-byte decoding; a refused value really has a bad escape or a %00.
 * The same raw bytes also go through the Distribution rule (oci/'s vg_oci_dist_pct_decode:
 * '+' is a space, every control byte refused), which must refuse whatever httpd refuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpd/httpd_int.h"
#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
hex(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The reference: decoded length, or -1 where httpd must refuse. */
static long
reference(const char *p, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '%') {
            out[k++] = p[i];
            continue;
        }
        if (i + 2 >= n || hex(p[i + 1]) < 0 || hex(p[i + 2]) < 0) {
            return -1;
        }
        char c = (char)(hex(p[i + 1]) * 16 + hex(p[i + 2]));
        if (c == '\0') {
            return -1;
        }
        out[k++] = c;
        i += 2;
    }
    return (long)k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    if (!nl || memchr(data, '\0', size)) {
        return 0;
    }
    size_t klen = (size_t)(nl - data);
    char *key = vg_strndup((const char *)data, klen);
    char *query = vg_strndup((const char *)nl + 1, size - klen - 1);
    struct vg_str raw = VG_STR_NULL;
    if (vg_httpd_query_raw(query, key, &raw)) {
        if (!raw.ptr ||
            (raw.len && (raw.ptr < query || raw.ptr + raw.len > query + strlen(query))) ||
            memchr(raw.ptr, '&', raw.len)) {
            abort();
        }
        char *out = vg_malloc(raw.len + 1);
        char *ref = vg_malloc(raw.len + 1);
        int rc = vg_httpd_query_value_decode(out, raw);
        long want = reference(raw.ptr, raw.len, ref);
        if ((rc < 0) != (want < 0)) {
            abort();
        }
        if (rc == 0 && (strlen(out) != (size_t)want || memcmp(out, ref, (size_t)want) != 0)) {
            abort();
        }
        char *dist = NULL;
        struct vg_err *err = NULL;
        int drc = vg_oci_dist_pct_decode(&dist, raw.ptr, raw.len, true, &err);
        if ((rc < 0 && drc == 0) || (drc < 0) != (err != NULL) || (err && strchr(err->msg, '\n'))) {
            abort();
        }
        for (const char *c = dist; c && *c; c++) {
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                abort();
            }
        }
        vg_err_free(&err);
        free(dist);
        free(ref);
        free(out);
    }
    free(query);
    free(key);
    return 0;
}
