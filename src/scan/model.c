/* SPDX-License-Identifier: Apache-2.0
 *
 * Model-file checks: decides the format of a file from its extension and magic bytes and hands
 * it to the right checker (pickle disassembly for raw pickles, joblib, legacy PyTorch, numpy
 * object arrays and PyTorch zips; structural validation for safetensors and GGUF). Also owns
 * the findings list and the two small header formats (.npy and GGUF) that need no file of
 * their own. Nothing here executes, decompresses or allocates from declared sizes.
 */
#include <stdarg.h>
#include <string.h>

#include "model_int.h"

static const char *const format_names[] = {
    "unknown", "pickle", "pytorch-zip", "pytorch-legacy", "numpy", "safetensors", "gguf"};

const char *
vg_model_format_name(enum vg_model_format f)
{
    return (size_t)f < VG_ARRAY_LEN(format_names) ? format_names[f] : "unknown";
}

void
vg_model_add(struct vg_model_findings *out, const char *id, enum vg_scan_severity sev,
             const char *title, const char *path, uint64_t offset, const char *fmt, ...)
{
    if (out->len >= VG_MODEL_MAX_FINDINGS) {
        out->truncated = true;
        return;
    }
    out->items = vg_vec_grow(out->items, &out->cap, out->len, 1, sizeof(*out->items));
    struct vg_model_finding *f = &out->items[out->len++];
    memset(f, 0, sizeof(*f));
    snprintf(f->id, sizeof(f->id), "%s", id);
    f->severity = sev;
    f->title = vg_strdup(title);
    f->path = vg_strdup(path ? path : "");
    f->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    f->message = vg_vfmt(fmt, ap);
    va_end(ap);
}

void
vg_model_finding_dispose(struct vg_model_finding *x)
{
    free(x->title);
    free(x->message);
    free(x->path);
    memset(x, 0, sizeof(*x));
}

void
vg_model_findings_dispose(struct vg_model_findings *f)
{
    for (size_t i = 0; i < f->len; i++) {
        vg_model_finding_dispose(&f->items[i]);
    }
    free(f->items);
    memset(f, 0, sizeof(*f));
}

/* ---------------------------------------------------------------- format detection */

static bool
ext_is(const char *path, const char *const *exts)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot || strchr(dot, '/')) {
        return false;
    }
    for (size_t i = 0; exts[i]; i++) {
        if (strcasecmp(dot, exts[i]) == 0) {
            return true;
        }
    }
    return false;
}

static const char *const pickle_exts[] = {".pkl", ".pickle", ".joblib", ".pck", NULL};
static const char *const torch_exts[] = {".pt", ".pth", ".bin", ".ckpt", ".pt2", ".mar", NULL};
static const char *const st_exts[] = {".safetensors", NULL};
static const char *const gguf_exts[] = {".gguf", NULL};
static const char *const npy_exts[] = {".npy", NULL};

bool
vg_model_path_wanted(const char *path)
{
    return ext_is(path, pickle_exts) || ext_is(path, torch_exts) || ext_is(path, st_exts) ||
           ext_is(path, gguf_exts) || ext_is(path, npy_exts);
}

/* Legacy torch.save: the first pickle is the LONG1 magic number 0x1950a86a20f9469cfc6c. */
static const uint8_t torch_legacy_magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c,
                                             0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

static enum vg_model_format
detect(const char *path, const uint8_t *d, size_t len)
{
    if (len >= 4 && memcmp(d, "PK\x03\x04", 4) == 0 &&
        (ext_is(path, torch_exts) || ext_is(path, pickle_exts))) {
        return VG_MODEL_TORCH_ZIP;
    }
    if (len >= sizeof(torch_legacy_magic) &&
        memcmp(d, torch_legacy_magic, sizeof(torch_legacy_magic)) == 0) {
        return VG_MODEL_TORCH_LEGACY;
    }
    if (ext_is(path, st_exts)) {
        return VG_MODEL_SAFETENSORS;
    }
    if (ext_is(path, gguf_exts) || (len >= 4 && memcmp(d, "GGUF", 4) == 0)) {
        return VG_MODEL_GGUF;
    }
    if (ext_is(path, npy_exts) || (len >= 6 && memcmp(d, "\x93NUMPY", 6) == 0)) {
        return VG_MODEL_NUMPY;
    }
    if (ext_is(path, pickle_exts)) {
        return VG_MODEL_PICKLE;
    }
    /* .pt/.bin that is neither zip nor legacy: only a pickle if it starts like one. */
    if (ext_is(path, torch_exts) && len >= 2 && d[0] == 0x80 && d[1] <= 5) {
        return VG_MODEL_PICKLE;
    }
    return VG_MODEL_UNKNOWN;
}

/* ---------------------------------------------------------------- numpy .npy */

#define NPY_MAX_HEADER 65536u

void
vg_model_check_npy(const char *path, const uint8_t *d, size_t len, struct vg_model_findings *out)
{
    struct vg_reader r;
    const uint8_t *magic = NULL, *hdr = NULL;
    uint8_t major = 0, minor = 0;
    uint16_t h16 = 0;
    uint32_t hlen = 0;
    struct vg_err *err = NULL;
    vg_reader_init(&r, d, len);
    if (vg_reader_take(&r, 6, &magic, &err) < 0 || memcmp(magic, "\x93NUMPY", 6) != 0 ||
        vg_reader_u8(&r, &major, &err) < 0 || vg_reader_u8(&r, &minor, &err) < 0) {
        vg_err_free(&err);
        vg_model_add(out, VG_MODEL_ID_NPY, VG_SCAN_SEV_HIGH, "Malformed numpy file", path, 0,
                     "missing \\x93NUMPY magic and version");
        return;
    }
    int rc = major == 1 ? vg_reader_le16(&r, &h16, &err) : vg_reader_le32(&r, &hlen, &err);
    if (major == 1) {
        hlen = h16;
    }
    if (rc < 0 || major < 1 || major > 3 || hlen > NPY_MAX_HEADER ||
        vg_reader_take(&r, hlen, &hdr, &err) < 0 || hlen == 0 || hdr[0] != '{') {
        vg_err_free(&err);
        vg_model_add(out, VG_MODEL_ID_NPY, VG_SCAN_SEV_HIGH, "Malformed numpy file", path, 8,
                     "npy version %u.%u header of %u bytes is invalid or exceeds the file or "
                     "the %u byte bound",
                     major, minor, hlen, NPY_MAX_HEADER);
        return;
    }
    /* Object arrays ('O' in the descr) store a pickle right after the header. */
    const char *descr = memmem(hdr, hlen, "'descr':", 8);
    bool object = false;
    if (descr) {
        const char *p = descr + 8, *end = (const char *)hdr + hlen;
        while (p < end && *p == ' ') {
            p++;
        }
        if (p < end && (*p == '\'' || *p == '"')) {
            const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
            object = q && memchr(p + 1, 'O', (size_t)(q - p - 1)) != NULL;
        } else {
            object = memmem(hdr, hlen, "'O'", 3) || memmem(hdr, hlen, "'|O'", 4);
        }
    }
    if (object) {
        vg_pickle_scan_stream(path, r.p, r.left, r.off, out);
    }
}

/* ---------------------------------------------------------------- GGUF */

#define GGUF_MAX_TENSORS (1u << 20)
#define GGUF_MAX_KV      (1u << 20)
#define GGUF_MAX_STRING  (16u * 1024u * 1024u)
#define GGUF_MAX_DIMS    8u
#define GGUF_MAX_TYPE    12u /* GGUF_TYPE_FLOAT64 */

static int
gguf_string(struct vg_reader *r, struct vg_err **err)
{
    uint64_t n = 0;
    if (vg_reader_le64(r, &n, err) < 0) {
        return -1;
    }
    if (n > GGUF_MAX_STRING) {
        return vg_err_set(err, VG_E_LIMIT, "string of %llu bytes at offset %llu",
                          (unsigned long long)n, (unsigned long long)r->off);
    }
    return vg_reader_skip(r, (size_t)n, err);
}

static int
gguf_value(struct vg_reader *r, uint32_t type, bool in_array, struct vg_err **err)
{
    static const uint8_t size[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    if (type > GGUF_MAX_TYPE) {
        return vg_err_set(err, VG_E_PARSE, "unknown value type %u at offset %llu", type,
                          (unsigned long long)r->off);
    }
    if (type == 8) {
        return gguf_string(r, err);
    }
    if (type != 9) {
        return vg_reader_skip(r, size[type], err);
    }
    uint32_t et = 0;
    uint64_t count = 0;
    if (in_array) {
        return vg_err_set(err, VG_E_PARSE, "nested array at offset %llu",
                          (unsigned long long)r->off);
    }
    if (vg_reader_le32(r, &et, err) < 0 || vg_reader_le64(r, &count, err) < 0) {
        return -1;
    }
    if (et == 9 || et > GGUF_MAX_TYPE) {
        return vg_err_set(err, VG_E_PARSE, "bad array element type %u", et);
    }
    if (count > r->left) { /* every element takes at least one byte */
        return vg_err_set(err, VG_E_PARSE, "array of %llu elements exceeds the file",
                          (unsigned long long)count);
    }
    for (uint64_t i = 0; i < count; i++) {
        if (gguf_value(r, et, true, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
gguf_walk(struct vg_reader *r, struct vg_err **err)
{
    const uint8_t *magic = NULL;
    uint32_t version = 0;
    uint64_t nt = 0, nkv = 0;
    if (vg_reader_take(r, 4, &magic, err) < 0) {
        return vg_err_wrap(err, "missing GGUF magic");
    }
    if (memcmp(magic, "GGUF", 4) != 0) {
        return vg_err_set(err, VG_E_PARSE, "missing GGUF magic");
    }
    if (vg_reader_le32(r, &version, err) < 0) {
        return vg_err_wrap(err, "GGUF version");
    }
    if (version < 2 || version > 3) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "unsupported GGUF version %u", version);
    }
    if (vg_reader_le64(r, &nt, err) < 0 || vg_reader_le64(r, &nkv, err) < 0) {
        return -1;
    }
    if (nt > GGUF_MAX_TENSORS || nkv > GGUF_MAX_KV) {
        return vg_err_set(err, VG_E_LIMIT, "%llu tensors / %llu metadata entries exceed %u / %u",
                          (unsigned long long)nt, (unsigned long long)nkv, GGUF_MAX_TENSORS,
                          GGUF_MAX_KV);
    }
    for (uint64_t i = 0; i < nkv; i++) {
        uint32_t type = 0;
        if (gguf_string(r, err) < 0 || vg_reader_le32(r, &type, err) < 0 ||
            gguf_value(r, type, false, err) < 0) {
            return vg_err_wrap(err, "metadata entry %llu", (unsigned long long)i);
        }
    }
    for (uint64_t i = 0; i < nt; i++) {
        uint32_t ndims = 0, ttype = 0;
        uint64_t off = 0;
        if (gguf_string(r, err) < 0 || vg_reader_le32(r, &ndims, err) < 0) {
            return vg_err_wrap(err, "tensor info %llu", (unsigned long long)i);
        }
        if (ndims == 0 || ndims > GGUF_MAX_DIMS) {
            return vg_err_set(err, VG_E_PARSE, "tensor info %llu has %u dimensions",
                              (unsigned long long)i, ndims);
        }
        if (vg_reader_skip(r, (size_t)ndims * 8u, err) < 0 || vg_reader_le32(r, &ttype, err) < 0 ||
            vg_reader_le64(r, &off, err) < 0) {
            return vg_err_wrap(err, "tensor info %llu", (unsigned long long)i);
        }
    }
    return 0;
}

void
vg_model_check_gguf(const char *path, const uint8_t *d, size_t len, struct vg_model_findings *out)
{
    struct vg_reader r;
    struct vg_err *err = NULL;
    vg_reader_init(&r, d, len);
    if (gguf_walk(&r, &err) < 0) {
        char *m = vg_err_format(err);
        vg_model_add(out, VG_MODEL_ID_GGUF, VG_SCAN_SEV_HIGH, "Malformed GGUF header", path, r.off,
                     "GGUF: %s", m);
        free(m);
        vg_err_free(&err);
    }
}

/* ---------------------------------------------------------------- dispatch */

int
vg_model_check(const char *path, const void *data, size_t len, const struct vg_model_opts *opts,
               struct vg_model_findings *out, struct vg_err **err)
{
    (void)err;
    const uint8_t *d = data;
    bool trunc = opts && opts->truncated_input;
    out->format = detect(path, d, len);
    switch (out->format) {
    case VG_MODEL_UNKNOWN:
        return 0;
    case VG_MODEL_PICKLE:
    case VG_MODEL_TORCH_LEGACY:
        vg_pickle_scan_stream(path, d, len, 0, out);
        break;
    case VG_MODEL_TORCH_ZIP:
        vg_model_check_torch_zip(path, d, len, trunc, out);
        break;
    case VG_MODEL_NUMPY:
        vg_model_check_npy(path, d, len, out);
        break;
    case VG_MODEL_SAFETENSORS:
        vg_model_check_safetensors_int(path, d, len, trunc, out);
        break;
    case VG_MODEL_GGUF:
        vg_model_check_gguf(path, d, len, out);
        break;
    }
    if (trunc && out->format != VG_MODEL_TORCH_ZIP) {
        vg_model_add(out, VG_MODEL_ID_NOT_ANALYSED, VG_SCAN_SEV_LOW,
                     "Model file only partly analysed", path, len,
                     "only the first %zu bytes of %s were analysed", len, path);
    }
    return 1;
}
