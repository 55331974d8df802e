/* SPDX-License-Identifier: Apache-2.0
 *
 * Rust executables built with cargo-auditable: the `.dep-v0` section holds the dependency
 * tree as zlib-compressed JSON ({"packages":[{"name","version","source","kind","root",
 * "dependencies"}]}). The section table sits at the end of an ELF file, so a stream cannot
 * look the section up by name before its bytes have gone by; instead every zlib header
 * (0x78 plus a valid FLG byte, one position in ~16k) is probed by inflating the next few
 * hundred bytes, and the one whose output starts with {"packages": is inflated to its end as
 * the file streams past. State is bounded: a look-ahead window, one probe stream, one
 * inflating stream and the JSON (VG_INV_MAX_RUST_DEPS_BYTES).
 *
 * Reported: every runtime package (the root crate included, as Trivy does); build-time
 * dependencies (kind "build") are not part of the executable and are skipped.
 */
#include <string.h>

#include "inventory/inventory_int.h"
#include "layers/layers.h"

#define RS_LOOK 512u /* compressed bytes a probe may need (dynamic Huffman header) */
#define RS_HEAD 4u
static const char rs_prefix[] = "{\"packages\":";

struct vg_inv_ruststream {
    uint64_t pos; /* bytes fed so far */
    uint8_t head[RS_HEAD];
    size_t headlen;
    bool rejected, active, done, failed;
    struct vg_inflater *probe, *zs; /* zlib streams (layers/ owns the codec) */
    uint8_t win[RS_LOOK];
    size_t winlen;
    uint64_t next; /* next absolute position to probe */
    struct vg_buf json;
};

struct vg_inv_ruststream *
vg_inv_ruststream_new(void)
{
    struct vg_inv_ruststream *s = vg_calloc(1, sizeof(*s));
    vg_buf_init(&s->json, VG_INV_MAX_RUST_DEPS_BYTES);
    return s;
}

void
vg_inv_ruststream_free(struct vg_inv_ruststream *s)
{
    if (!s) {
        return;
    }
    vg_inflater_free(s->probe);
    vg_inflater_free(s->zs);
    vg_buf_dispose(&s->json);
    free(s);
}

static bool
executable_magic(const uint8_t *h)
{
    static const uint8_t magics[][4] = {
        {0x7f, 'E', 'L', 'F'},    {0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf},
        {0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}, {0xca, 0xfe, 0xba, 0xbe},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(magics); i++) {
        if (memcmp(h, magics[i], 4) == 0) {
            return true;
        }
    }
    return h[0] == 'M' && h[1] == 'Z';
}

/* Inflates what the active stream gets; done at Z_STREAM_END, failed on corruption or when
 * the JSON outgrows its bound. */
static void
pump(struct vg_inv_ruststream *s, const uint8_t *p, size_t n)
{
    while (!s->done && !s->failed && n) {
        size_t room = 64u * 1024u;
        if (s->json.len + room > s->json.max) {
            room = s->json.max - s->json.len;
        }
        if (room == 0 || vg_buf_reserve(&s->json, room, NULL) < 0) {
            s->failed = true;
            return;
        }
        size_t got = 0, before = n;
        int zr = vg_inflater_run(s->zs, &p, &n, s->json.data + s->json.len, room, &got, NULL);
        s->json.len += got;
        s->json.data[s->json.len] = '\0';
        if (zr == 1) {
            s->done = true;
        } else if (zr < 0 || (got == 0 && n == before)) {
            s->failed = true; /* corrupt, or no progress possible */
        }
    }
}

/* Does a zlib stream starting at p (avail bytes known) inflate to {"packages":? */
static bool
probe_at(struct vg_inv_ruststream *s, const uint8_t *p, size_t avail)
{
    if (!s->probe) {
        s->probe = vg_inflater_new(VG_INFLATE_ZLIB);
    } else {
        vg_inflater_reset(s->probe);
    }
    uint8_t out[sizeof(rs_prefix) - 1];
    size_t n = avail < RS_LOOK ? avail : RS_LOOK, got = 0;
    int zr = vg_inflater_run(s->probe, &p, &n, out, sizeof(out), &got, NULL);
    return zr >= 0 && got == sizeof(out) && memcmp(out, rs_prefix, sizeof(out)) == 0;
}

/* Probes zlib headers in buf (absolute offset base) up to stop; starts inflating at a hit. */
static void
scan(struct vg_inv_ruststream *s, const uint8_t *buf, size_t n, uint64_t base, uint64_t stop)
{
    while (s->next < stop) {
        size_t from = (size_t)(s->next - base);
        const uint8_t *q = memchr(buf + from, 0x78, (size_t)(stop - s->next));
        if (!q) {
            s->next = stop;
            return;
        }
        size_t at = (size_t)(q - buf);
        s->next = base + at + 1;
        if (at + 1 >= n) {
            continue;
        }
        uint8_t flg = buf[at + 1];
        if ((0x7800u | flg) % 31u != 0 || (flg & 0x20u) || !probe_at(s, q, n - at)) {
            continue;
        }
        s->zs = vg_inflater_new(VG_INFLATE_ZLIB);
        s->active = true;
        pump(s, q, n - at);
        s->next = UINT64_MAX;
        return;
    }
}

bool
vg_inv_ruststream_feed(struct vg_inv_ruststream *s, const uint8_t *data, size_t len)
{
    if (s->rejected || s->done || s->failed || len == 0) {
        return !s->rejected && !s->done && !s->failed;
    }
    if (s->headlen < RS_HEAD) {
        size_t take = RS_HEAD - s->headlen < len ? RS_HEAD - s->headlen : len;
        memcpy(s->head + s->headlen, data, take);
        s->headlen += take;
        if (s->headlen == RS_HEAD && !executable_magic(s->head)) {
            s->rejected = true;
            return false;
        }
    }
    if (s->active) {
        s->pos += len;
        pump(s, data, len);
        return !s->done && !s->failed;
    }
    /* Probe over (window + chunk) so a header near a chunk end still sees RS_LOOK bytes. */
    size_t n = s->winlen + len;
    vg_autofree uint8_t *buf = vg_malloc(n);
    memcpy(buf, s->win, s->winlen);
    memcpy(buf + s->winlen, data, len);
    uint64_t base = s->pos - s->winlen;
    s->pos += len;
    uint64_t end = base + n;
    scan(s, buf, n, base, end > RS_LOOK ? end - RS_LOOK : 0);
    if (!s->active) {
        s->winlen = n < RS_LOOK ? n : RS_LOOK;
        memcpy(s->win, buf + n - s->winlen, s->winlen);
    }
    return !s->done && !s->failed;
}

static int
rust_json(struct vg_pkg_list *out, const char *path, const struct vg_buf *json, struct vg_err **err)
{
    vg_autojson json_t *j = NULL;
    if (vg_json_parse(&j, json->data, json->len, VG_INV_MAX_RUST_DEPS_BYTES, path, err) < 0) {
        return vg_err_wrap(err, "%s: cargo-auditable .dep-v0", path);
    }
    json_t *pkgs = vg_json_arr(j, "packages");
    if (!pkgs) {
        return vg_err_set(err, VG_E_PARSE, "%s: .dep-v0 without a packages array", path);
    }
    VG_CLEANUP(vg_inv_strset_dispose) struct vg_inv_strset seen = {0};
    size_t start = out->n, i;
    json_t *e;
    json_array_foreach (pkgs, i, e) {
        const char *name = vg_json_str(e, "name"), *ver = vg_json_str(e, "version");
        const char *kind = vg_json_str(e, "kind");
        if (!name || !ver || !*name || !*ver || strlen(name) > 256 || strlen(ver) > 256 ||
            (kind && strcmp(kind, "runtime") != 0) ||
            !vg_inv_strset_add(&seen, vg_str_c(name), vg_str_c(ver))) {
            continue;
        }
        struct vg_pkg *p = vg_pkg_list_add(out, err);
        if (!p) {
            vg_pkg_list_truncate(out, start);
            return -1;
        }
        p->type = VG_PKG_LIBRARY;
        p->kind = vg_strdup("rustbinary");
        p->name = vg_strdup(name);
        p->version = vg_strdup(ver);
        p->path = vg_strdup(path);
    }
    return 0;
}

int
vg_inv_ruststream_finish(struct vg_inv_ruststream *s, struct vg_pkg_list *out, const char *path,
                         struct vg_err **err)
{
    if (s->rejected || s->headlen < RS_HEAD) {
        return 0;
    }
    if (!s->active && !s->failed) {
        scan(s, s->win, s->winlen, s->pos - s->winlen, s->pos);
    }
    if (!s->active) {
        return 0;
    }
    if (s->failed || !s->done) {
        return vg_err_set(err, VG_E_PARSE, "%s: cargo-auditable .dep-v0 %s", path,
                          s->json.len >= s->json.max ? "exceeds its size limit"
                                                     : "is corrupt or truncated");
    }
    return rust_json(out, path, &s->json, err);
}

int
vg_inv_parse_rustbinary(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                        struct vg_err **err)
{
    struct vg_inv_ruststream *s = vg_inv_ruststream_new();
    const size_t chunk = 65521; /* odd, so headers straddle chunk ends */
    for (size_t off = 0; off < len; off += chunk) {
        if (!vg_inv_ruststream_feed(s, data + off, len - off < chunk ? len - off : chunk)) {
            break;
        }
    }
    int rc = vg_inv_ruststream_finish(s, out, path, err);
    vg_inv_ruststream_free(s);
    return rc;
}
