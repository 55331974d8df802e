/* SPDX-License-Identifier: Apache-2.0
 *
 * Finding the pickles inside a PyTorch checkpoint (torch.save since 1.6 writes a zip:
 * `<archive>/data.pkl`, `<archive>/data/0`, ...) through the one zip reader of layers/. Each
 * `.pkl` member stored uncompressed is scanned in place (PyTorch always stores; anything
 * compressed or encrypted becomes a "not analysed" finding). When the central directory is
 * missing or corrupt (damaged file, or only the head of a large file was handed to us) we fall
 * back to walking local file headers from the start, which is where torch puts data.pkl.
 */
#include <string.h>

#include "layers/layers.h"
#include "model_int.h"

struct zctx {
    const char *path;
    const uint8_t *d;
    size_t len;
    struct vg_model_findings *out;
    unsigned scanned;
};

static void
zbad(struct zctx *z, uint64_t off, const char *what)
{
    if (strncmp(what, "zip: ", 5) == 0) {
        what += 5; /* the reader's own prefix */
    }
    vg_model_add(z->out, VG_MODEL_ID_ZIP_MALFORMED, VG_SCAN_SEV_HIGH, "Malformed zip container",
                 z->path, off, "zip: %s at offset %llu", what, (unsigned long long)off);
}

static bool
is_pickle_name(struct vg_str n)
{
    return vg_str_endswith(n, ".pkl") || vg_str_endswith(n, ".pickle");
}

/* Scans a member whose stored bytes are data[0..n) (data NULL: they could not be located). */
static void
scan_member(struct zctx *z, const struct vg_zip_entry *e, const uint8_t *data, size_t n)
{
    char *name = vg_escape(e->name.ptr, e->name.len, 256);
    char *label = vg_fmt("%s!%s", z->path ? z->path : "", name);
    if (e->method != 0 || (e->flags & 1u)) {
        vg_model_add(z->out, VG_MODEL_ID_NOT_ANALYSED, VG_SCAN_SEV_LOW,
                     "Model content not analysed", label, e->lho,
                     "zip member %s is %s (method %u); only stored pickles are analysed", name,
                     (e->flags & 1u) ? "encrypted" : "compressed", e->method);
    } else if (!data) {
        zbad(z, e->lho, "member data extends past the end of the file");
    } else {
        vg_pickle_scan_stream(label, data, n, 0, z->out);
        z->scanned++;
    }
    free(label);
    free(name);
}

/* The central directory; false when it is missing or corrupt (reported unless truncated). */
static bool
walk_central(struct zctx *z, bool truncated)
{
    struct vg_zip zip;
    struct vg_err *err = NULL;
    if (vg_zip_open(&zip, z->d, z->len, VG_MODEL_MAX_ZIP_ENTRIES, &err) < 0) {
        if (!truncated || !vg_err_is(err, VG_E_PARSE)) {
            zbad(z, z->len, err->msg);
        }
        vg_err_free(&err);
        return false;
    }
    for (size_t i = 0; i < zip.n; i++) {
        const struct vg_zip_entry *e = &zip.ents[i];
        if (!is_pickle_name(e->name)) {
            continue;
        }
        const uint8_t *data = NULL;
        size_t n = 0;
        if (e->method == 0 && !(e->flags & 1u) && vg_zip_raw(&zip, e, &data, &n, &err) < 0) {
            zbad(z, e->lho, err->msg);
            vg_err_free(&err);
            continue;
        }
        scan_member(z, e, data, n);
    }
    vg_zip_dispose(&zip);
    return true;
}

/* Fallback: local headers in file order (sizes must be in the header, not a data descriptor). */
static void
walk_local(struct zctx *z)
{
    uint64_t off = 0, data_off = 0;
    struct vg_zip_entry e;
    for (unsigned n = 0; n < VG_MODEL_MAX_ZIP_ENTRIES; n++) {
        if (vg_zip_local_next(z->d, z->len, &off, &e, &data_off) != 1) {
            return;
        }
        bool whole = e.csize <= z->len - data_off;
        if (is_pickle_name(e.name)) {
            scan_member(z, &e, whole ? z->d + data_off : NULL, whole ? (size_t)e.csize : 0);
        }
        if (!whole) {
            return;
        }
    }
}

void
vg_model_check_torch_zip(const char *path, const uint8_t *data, size_t len, bool truncated,
                         struct vg_model_findings *out)
{
    struct zctx z = {.path = path, .d = data, .len = len, .out = out};
    if (walk_central(&z, truncated)) {
        return;
    }
    walk_local(&z);
    if (truncated) {
        vg_model_add(out, VG_MODEL_ID_NOT_ANALYSED, VG_SCAN_SEV_LOW,
                     "Model file only partly analysed", path, len,
                     "only the first %zu bytes were analysed (%u pickle members found)", len,
                     z.scanned);
    }
}
