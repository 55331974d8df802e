/* SPDX-License-Identifier: Apache-2.0
 *
 * safetensors validation, following the rules of the reference implementation
 * (huggingface/safetensors): an 8-byte little-endian header length (bounded, within the file),
 * a JSON object header without duplicate keys, an optional `__metadata__` map of strings, and
 * for every tensor a known dtype, a shape of non-negative integers and data_offsets [begin, end]
 * whose size equals shape-product x dtype size (checked arithmetic). Sorted by offset, the
 * tensors must tile the data area exactly: no gaps, no overlaps, nothing left over.
 *
 * safetensors cannot execute code; what we catch are files crafted to crash or confuse loaders
 * (overlapping tensors, out-of-bounds offsets, size overflows, giant headers).
 */
#include <string.h>

#include "model_int.h"

struct dtype {
    const char *name;
    unsigned bits;
};

static const struct dtype dtypes[] = {
    {"BOOL", 8},    {"U8", 8},   {"I8", 8},   {"F8_E5M2", 8}, {"F8_E4M3", 8},
    {"F8_E8M0", 8}, {"I16", 16}, {"U16", 16}, {"F16", 16},    {"BF16", 16},
    {"I32", 32},    {"U32", 32}, {"F32", 32}, {"F64", 64},    {"I64", 64},
    {"U64", 64},    {"C64", 64}, {"F4", 4},   {"F6_E2M3", 6}, {"F6_E3M2", 6},
};

struct span {
    uint64_t begin, end;
    const char *name;
};

static void
bad(struct vg_model_findings *out, const char *path, uint64_t off, const char *fmt, const char *a,
    const char *b)
{
    char *ea = vg_escape(a, strlen(a), 128);
    char *eb = vg_escape(b, strlen(b), 128);
    vg_model_add(out, VG_MODEL_ID_SAFETENSORS, VG_SCAN_SEV_HIGH, "Malformed safetensors file", path,
                 off, fmt, ea, eb);
    free(ea);
    free(eb);
}

static bool
json_u64(json_t *v, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return false;
    }
    *out = (uint64_t)json_integer_value(v);
    return true;
}

/* Validates one tensor entry; fills span on success. */
static bool
check_tensor(struct vg_model_findings *out, const char *path, const char *name, json_t *t,
             struct span *sp)
{
    if (!json_is_object(t)) {
        bad(out, path, 8, "safetensors tensor '%s' is not an object%s", name, "");
        return false;
    }
    const char *key;
    json_t *v;
    json_object_foreach (t, key, v) {
        if (strcmp(key, "dtype") != 0 && strcmp(key, "shape") != 0 &&
            strcmp(key, "data_offsets") != 0) {
            bad(out, path, 8, "safetensors tensor '%s' has unknown field '%s'", name, key);
            return false;
        }
    }
    const char *dt = vg_json_str(t, "dtype");
    const struct dtype *d = NULL;
    for (size_t i = 0; dt && i < VG_ARRAY_LEN(dtypes); i++) {
        d = strcmp(dtypes[i].name, dt) == 0 ? &dtypes[i] : d;
    }
    if (!d) {
        bad(out, path, 8, "safetensors tensor '%s' has unknown dtype '%s'", name, dt ? dt : "");
        return false;
    }
    json_t *shape = vg_json_arr(t, "shape");
    json_t *offs = vg_json_arr(t, "data_offsets");
    if (!shape || !offs || json_array_size(offs) != 2) {
        bad(out, path, 8, "safetensors tensor '%s' needs a shape array and two data_offsets%s",
            name, "");
        return false;
    }
    uint64_t nbits = d->bits, dim = 0;
    size_t i;
    json_array_foreach (shape, i, v) {
        if (!json_u64(v, &dim)) {
            bad(out, path, 8, "safetensors tensor '%s' has a negative or non-integer dimension%s",
                name, "");
            return false;
        }
        if (vg_ckd_mul(&nbits, nbits, dim)) {
            bad(out, path, 8, "safetensors tensor '%s' size overflows 64 bits%s", name, "");
            return false;
        }
    }
    if (!json_u64(json_array_get(offs, 0), &sp->begin) ||
        !json_u64(json_array_get(offs, 1), &sp->end) || sp->end < sp->begin) {
        bad(out, path, 8, "safetensors tensor '%s' has invalid data_offsets%s", name, "");
        return false;
    }
    if (nbits % 8 != 0 || nbits / 8 != sp->end - sp->begin) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%llu bytes but data_offsets span %llu",
                 (unsigned long long)(nbits / 8), (unsigned long long)(sp->end - sp->begin));
        bad(out, path, 8, "safetensors tensor '%s' shape x dtype is %s", name, msg);
        return false;
    }
    sp->name = name;
    return true;
}

static int
span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->begin < y->begin   ? -1
           : x->begin > y->begin ? 1
                                 : (x->end > y->end) - (x->end < y->end);
}

static bool
check_metadata(struct vg_model_findings *out, const char *path, json_t *md)
{
    const char *k;
    json_t *v;
    if (!json_is_object(md)) {
        bad(out, path, 8, "safetensors __metadata__ is not an object%s%s", "", "");
        return false;
    }
    json_object_foreach (md, k, v) {
        if (!json_is_string(v)) {
            bad(out, path, 8, "safetensors __metadata__ value '%s' is not a string%s", k, "");
            return false;
        }
    }
    return true;
}

/* Sorted spans must tile [0, data_len) exactly (data_len unknown when truncated). */
static void
check_tiling(struct vg_model_findings *out, const char *path, struct span *sp, size_t n,
             uint64_t data_len, bool truncated)
{
    vg_qsort(sp, n, sizeof(*sp), span_cmp);
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (sp[i].begin != at) {
            bad(out, path, 8,
                sp[i].begin < at ? "safetensors tensor '%s' overlaps the previous tensor%s"
                                 : "safetensors data area has a gap before tensor '%s'%s",
                sp[i].name, "");
            return;
        }
        at = sp[i].end;
    }
    if (!truncated && at != data_len) {
        char msg[96];
        snprintf(msg, sizeof(msg), "tensors cover %llu of %llu data bytes", (unsigned long long)at,
                 (unsigned long long)data_len);
        bad(out, path, 8, "safetensors %s%s", msg, at > data_len ? " (offsets out of bounds)" : "");
    }
}

void
vg_model_check_safetensors_int(const char *path, const uint8_t *d, size_t len, bool truncated,
                               struct vg_model_findings *out)
{
    struct vg_reader r;
    uint64_t hlen = 0;
    vg_reader_init(&r, d, len);
    if (vg_reader_le64(&r, &hlen, NULL) < 0) {
        bad(out, path, 0, "safetensors file is shorter than its 8-byte header length%s%s", "", "");
        return;
    }
    if (hlen > VG_SAFETENSORS_MAX_HEADER || hlen > r.left || hlen < 2) {
        char msg[128];
        snprintf(msg, sizeof(msg), "%llu bytes (file has %zu after it, bound %u)",
                 (unsigned long long)hlen, r.left, VG_SAFETENSORS_MAX_HEADER);
        bad(out, path, 0, "safetensors header length %s%s", msg, "");
        return;
    }
    if (r.p[0] != '{') {
        bad(out, path, 8, "safetensors header does not start with '{'%s%s", "", "");
        return;
    }
    json_t *root = NULL;
    struct vg_err *err = NULL;
    if (vg_json_parse(&root, r.p, (size_t)hlen, VG_SAFETENSORS_MAX_HEADER, "safetensors header",
                      &err) < 0) {
        char *m = vg_err_format(err);
        bad(out, path, 8, "safetensors header is not valid JSON: %s%s", m, "");
        free(m);
        vg_err_free(&err);
        return;
    }
    if (!json_is_object(root)) {
        bad(out, path, 8, "safetensors header is not a JSON object%s%s", "", "");
        json_decref(root);
        return;
    }
    struct span *sp = vg_calloc(json_object_size(root) + 1, sizeof(*sp));
    size_t n = 0;
    bool ok = true;
    const char *key;
    json_t *v;
    json_object_foreach (root, key, v) {
        if (strcmp(key, "__metadata__") == 0) {
            ok = check_metadata(out, path, v);
        } else {
            ok = check_tensor(out, path, key, v, &sp[n]);
            n += ok;
        }
        if (!ok) {
            break;
        }
    }
    if (ok) {
        check_tiling(out, path, sp, n, r.left - (size_t)hlen, truncated);
    }
    free(sp);
    json_decref(root);
}

int
vg_model_check_safetensors(const char *path, const void *data, size_t len,
                           struct vg_model_findings *out, struct vg_err **err)
{
    (void)err;
    out->format = VG_MODEL_SAFETENSORS;
    vg_model_check_safetensors_int(path, data, len, false, out);
    return 0;
}
