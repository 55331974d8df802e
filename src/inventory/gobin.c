/* SPDX-License-Identifier: Apache-2.0
 *
 * Go executables: the build information the linker embeds (runtime/debug.BuildInfo), read
 * from a stream with bounded state so that a 2 GB binary is never held in memory.
 *
 * Layout (Go's debug/buildinfo): a 32-byte header "\xff Go buildinf:" + ptrsize + flags at a
 * 16-byte-aligned offset at the start of the writable data. Go >= 1.18 (flags & 2) follows it
 * with two varint-length strings, the toolchain version and the modinfo text. Older binaries
 * store two pointers to string headers instead; we resolve them through the ELF program
 * headers or PE section table (both at the start of the file): the string headers live after
 * the build-info header (captured as they stream by), the version bytes usually before it, so
 * every "go1." occurrence is remembered with its offset and looked up by the pointer's exact
 * file offset. The modinfo text is recognised in both layouts by the 16-byte sentinels
 * runtime/debug wraps it in.
 */
#include <string.h>
#include <strings.h>

#include "inventory/inventory_int.h"

#define GO_HEAD_BYTES  4096u
#define GO_WIN         64u /* bytes kept from the previous chunk */
#define GO_LOOKAHEAD   48u /* bytes a scan position needs after it */
#define GO_MAX_CANDS   4096u
#define GO_MAX_SEGS    64u
#define GO_BI_BYTES    (64u * 1024u)
#define GO_VERSION_MAX 64u

static const uint8_t go_magic[14] = "\xff Go buildinf:";
static const uint8_t mod_start[16] = {0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02,
                                      0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6};
static const uint8_t mod_end[16] = {0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72,
                                    0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2};

struct go_seg {
    uint64_t vaddr, off, size;
};

struct go_target {
    bool active, done, lost;
    uint64_t off;
    size_t want;
    struct vg_buf data;
};

struct go_cand {
    uint64_t off;
    uint8_t s[32];
};

struct vg_inv_gostream {
    uint64_t pos;  /* bytes fed so far */
    uint64_t next; /* next scan position (absolute) */
    bool rejected;
    uint8_t head[GO_HEAD_BYTES];
    size_t headlen;
    bool segs_parsed;
    struct go_seg segs[GO_MAX_SEGS];
    size_t nsegs;
    uint8_t win[GO_WIN];
    size_t winlen;
    bool magic_found, old_hdr_set, old_str_set;
    struct go_target bi, hdr, str, mod;
    struct go_cand *cands;
    size_t ncands;
    char version[GO_VERSION_MAX + 1];
};

struct vg_inv_gostream *
vg_inv_gostream_new(void)
{
    struct vg_inv_gostream *s = vg_calloc(1, sizeof(*s));
    return s;
}

void
vg_inv_gostream_free(struct vg_inv_gostream *s)
{
    if (!s) {
        return;
    }
    vg_buf_dispose(&s->bi.data);
    vg_buf_dispose(&s->hdr.data);
    vg_buf_dispose(&s->str.data);
    vg_buf_dispose(&s->mod.data);
    free(s->cands);
    free(s);
}

static uint64_t
rd(const uint8_t *p, size_t n, bool be)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v |= (uint64_t)p[be ? n - 1 - i : i] << (8 * i);
    }
    return v;
}

static void
seg_add(struct vg_inv_gostream *s, uint64_t vaddr, uint64_t off, uint64_t size)
{
    if (s->nsegs < GO_MAX_SEGS && size > 0) {
        s->segs[s->nsegs++] = (struct go_seg){vaddr, off, size};
    }
}

static void
parse_elf(struct vg_inv_gostream *s)
{
    const uint8_t *h = s->head;
    if (s->headlen < 64 || (h[4] != 1 && h[4] != 2) || (h[5] != 1 && h[5] != 2)) {
        return;
    }
    bool is64 = h[4] == 2, be = h[5] == 2;
    uint64_t phoff = is64 ? rd(h + 32, 8, be) : rd(h + 28, 4, be);
    uint64_t entsz = rd(h + (is64 ? 54 : 42), 2, be);
    uint64_t num = rd(h + (is64 ? 56 : 44), 2, be);
    if (entsz < (is64 ? 56u : 32u) || num > GO_MAX_SEGS) {
        return;
    }
    for (uint64_t i = 0; i < num; i++) {
        uint64_t o = phoff + i * entsz;
        if (o > s->headlen || s->headlen - o < entsz) {
            return;
        }
        const uint8_t *p = h + o;
        if (rd(p, 4, be) != 1) { /* PT_LOAD */
            continue;
        }
        if (is64) {
            seg_add(s, rd(p + 16, 8, be), rd(p + 8, 8, be), rd(p + 32, 8, be));
        } else {
            seg_add(s, rd(p + 8, 4, be), rd(p + 4, 4, be), rd(p + 16, 4, be));
        }
    }
}

static void
parse_pe(struct vg_inv_gostream *s)
{
    const uint8_t *h = s->head;
    if (s->headlen < 0x40) {
        return;
    }
    uint64_t pe = rd(h + 0x3c, 4, false);
    if (pe > s->headlen || s->headlen - pe < 24 + 28 || memcmp(h + pe, "PE\0\0", 4) != 0) {
        return;
    }
    const uint8_t *coff = h + pe + 4;
    uint64_t nsec = rd(coff + 2, 2, false), optsz = rd(coff + 16, 2, false);
    const uint8_t *opt = coff + 20;
    uint64_t magic = rd(opt, 2, false);
    uint64_t base = magic == 0x20b ? rd(opt + 24, 8, false) : rd(opt + 28, 4, false);
    uint64_t sec = pe + 4 + 20 + optsz;
    for (uint64_t i = 0; i < nsec && i < GO_MAX_SEGS; i++) {
        uint64_t o = sec + i * 40;
        if (o > s->headlen || s->headlen - o < 40) {
            return;
        }
        const uint8_t *p = h + o;
        seg_add(s, base + rd(p + 12, 4, false), rd(p + 20, 4, false), rd(p + 16, 4, false));
    }
}

static bool
vaddr_to_off(const struct vg_inv_gostream *s, uint64_t va, uint64_t *off)
{
    for (size_t i = 0; i < s->nsegs; i++) {
        const struct go_seg *g = &s->segs[i];
        if (va >= g->vaddr && va - g->vaddr < g->size) {
            *off = g->off + (va - g->vaddr);
            return true;
        }
    }
    return false;
}

static void
target_start(struct go_target *t, uint64_t off, size_t want)
{
    t->active = true;
    t->off = off;
    t->want = want;
    vg_buf_init(&t->data, want);
}

/* Copies the part of [base, base+n) the target still needs. */
static void
target_feed(struct go_target *t, uint64_t base, const uint8_t *p, size_t n)
{
    if (!t->active || t->done || t->lost) {
        return;
    }
    uint64_t need = t->off + t->data.len;
    if (need < base) {
        t->lost = true;
        return;
    }
    if (need >= base + n) {
        return;
    }
    size_t from = (size_t)(need - base);
    size_t take = n - from;
    if (take > t->want - t->data.len) {
        take = t->want - t->data.len;
    }
    if (vg_buf_append(&t->data, p + from, take, NULL) < 0) {
        t->lost = true;
        return;
    }
    if (t->data.len == t->want) {
        t->done = true;
    }
}

static bool
uvarint(const uint8_t **p, size_t *left, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64 && *left; shift += 7) {
        uint8_t b = **p;
        (*p)++;
        (*left)--;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static void
set_version(struct vg_inv_gostream *s, const uint8_t *p, size_t n)
{
    if (n == 0 || n > GO_VERSION_MAX) {
        return;
    }
    memcpy(s->version, p, n);
    s->version[n] = '\0';
}

/* Advances the old-format pointer chain as captures complete. */
static void
old_format_step(struct vg_inv_gostream *s)
{
    const uint8_t *b = s->bi.data.data;
    if (s->bi.data.len < 32) {
        return;
    }
    uint8_t ptrsize = b[14], flags = b[15];
    bool be = flags & 1;
    if (flags & 2) {
        const uint8_t *p = b + 32;
        size_t left = s->bi.data.len - 32;
        uint64_t n;
        if (!s->version[0] && uvarint(&p, &left, &n) && n <= left) {
            set_version(s, p, (size_t)n);
        }
        return;
    }
    if ((ptrsize != 4 && ptrsize != 8) || !s->segs_parsed) {
        return;
    }
    uint64_t off;
    if (!s->old_hdr_set) {
        s->old_hdr_set = true;
        if (vaddr_to_off(s, rd(b + 16, ptrsize, be), &off)) {
            target_start(&s->hdr, off, 2u * ptrsize);
        }
        return;
    }
    if (s->hdr.done && !s->old_str_set) {
        s->old_str_set = true;
        uint64_t ptr = rd(s->hdr.data.data, ptrsize, be);
        uint64_t len = rd(s->hdr.data.data + ptrsize, ptrsize, be);
        if (len == 0 || len > GO_VERSION_MAX || !vaddr_to_off(s, ptr, &off)) {
            return;
        }
        for (size_t i = 0; i < s->ncands; i++) {
            if (s->cands[i].off == off && len <= sizeof(s->cands[i].s)) {
                set_version(s, s->cands[i].s, (size_t)len);
                return;
            }
        }
        target_start(&s->str, off, (size_t)len);
        return;
    }
    if (s->str.done && !s->version[0]) {
        set_version(s, s->str.data.data, s->str.data.len);
    }
}

static void
scan_at(struct vg_inv_gostream *s, uint64_t abs, const uint8_t *p, size_t avail)
{
    if (!s->magic_found && (abs & 15) == 0 && avail >= 16 && memcmp(p, go_magic, 14) == 0) {
        s->magic_found = true;
        target_start(&s->bi, abs, GO_BI_BYTES);
    }
    if (avail >= 4 && memcmp(p, "go1.", 4) == 0 && s->ncands < GO_MAX_CANDS) {
        if (!s->cands) {
            s->cands = vg_calloc(GO_MAX_CANDS, sizeof(*s->cands));
        }
        struct go_cand *c = &s->cands[s->ncands++];
        c->off = abs;
        memcpy(c->s, p, avail < sizeof(c->s) ? avail : sizeof(c->s));
    }
    if (!s->mod.active && avail >= 16 && memcmp(p, mod_start, 16) == 0) {
        target_start(&s->mod, abs, VG_INV_MAX_GO_MODINFO);
    }
}

static void
mod_check_end(struct vg_inv_gostream *s)
{
    struct go_target *t = &s->mod;
    if (!t->active || t->done || t->data.len < 32) {
        return;
    }
    const uint8_t *e = memmem(t->data.data + 16, t->data.len - 16, mod_end, 16);
    if (e) {
        t->data.len = (size_t)(e - t->data.data) + 16;
        t->done = true;
    } else if (t->lost || t->data.len == t->want) {
        t->lost = true;
    }
}

/* Visits every occurrence of pat starting in [from, stop) with scan_at. memmem skips the
 * bytes in between at memory speed: a byte-by-byte pass over every executable of an image
 * costs more than decompressing it. */
static void
scan_for(struct vg_inv_gostream *s, const uint8_t *buf, uint64_t base, uint64_t from, uint64_t stop,
         uint64_t end, const void *pat, size_t plen)
{
    uint64_t hend = stop + plen - 1 < end ? stop + plen - 1 : end;
    size_t lo = (size_t)(from - base), hi = (size_t)(hend - base);
    while (hi > lo && hi - lo >= plen) {
        const uint8_t *q = memmem(buf + lo, hi - lo, pat, plen);
        if (!q) {
            return;
        }
        size_t at = (size_t)(q - buf);
        scan_at(s, base + at, q, (size_t)(end - base - at));
        lo = at + 1;
    }
}

static void
process(struct vg_inv_gostream *s, const uint8_t *buf, size_t n, uint64_t base, bool final)
{
    uint64_t end = base + n;
    uint64_t stop = final ? end : (end > GO_LOOKAHEAD ? end - GO_LOOKAHEAD : 0);
    if (stop > s->next) {
        /* Each pattern is recognised by scan_at alone, so they may be searched one by one. */
        if (!s->magic_found) {
            scan_for(s, buf, base, s->next, stop, end, go_magic, sizeof(go_magic));
        }
        if (s->ncands < GO_MAX_CANDS) {
            scan_for(s, buf, base, s->next, stop, end, "go1.", 4);
        }
        if (!s->mod.active) {
            scan_for(s, buf, base, s->next, stop, end, mod_start, sizeof(mod_start));
        }
    }
    if (stop > s->next) {
        s->next = stop;
    }
    for (int round = 0; round < 3; round++) {
        target_feed(&s->bi, base, buf, n);
        target_feed(&s->hdr, base, buf, n);
        target_feed(&s->str, base, buf, n);
        target_feed(&s->mod, base, buf, n);
        mod_check_end(s);
        if (s->magic_found) {
            old_format_step(s);
        }
    }
}

bool
vg_inv_gostream_feed(struct vg_inv_gostream *s, const uint8_t *data, size_t len)
{
    if (s->rejected || len == 0) {
        return !s->rejected;
    }
    if (s->headlen < GO_HEAD_BYTES) {
        size_t take = GO_HEAD_BYTES - s->headlen < len ? GO_HEAD_BYTES - s->headlen : len;
        memcpy(s->head + s->headlen, data, take);
        s->headlen += take;
        if (s->headlen >= 4 &&
            memcmp(s->head,
                   "\x7f"
                   "ELF",
                   4) != 0 &&
            memcmp(s->head, "MZ", 2) != 0) {
            s->rejected = true;
            return false;
        }
    }
    if (!s->segs_parsed && s->headlen == GO_HEAD_BYTES) {
        s->segs_parsed = true;
        s->head[0] == 'M' ? parse_pe(s) : parse_elf(s);
    }
    /* Scan over (window + chunk) so patterns spanning chunks are seen exactly once. */
    size_t n = s->winlen + len;
    vg_autofree uint8_t *buf = vg_malloc(n);
    memcpy(buf, s->win, s->winlen);
    memcpy(buf + s->winlen, data, len);
    uint64_t base = s->pos - s->winlen;
    s->pos += len;
    process(s, buf, n, base, false);
    s->winlen = n < GO_WIN ? n : GO_WIN;
    memcpy(s->win, buf + n - s->winlen, s->winlen);
    return true;
}

int
vg_inv_gostream_finish(struct vg_inv_gostream *s, struct vg_pkg_list *out, const char *path,
                       struct vg_err **err)
{
    if (s->rejected || s->headlen < 4) {
        return 0;
    }
    if (!s->segs_parsed) {
        s->segs_parsed = true;
        s->head[0] == 'M' ? parse_pe(s) : parse_elf(s);
    }
    process(s, s->win, s->winlen, s->pos - s->winlen, true);
    if (!s->magic_found) {
        return 0;
    }
    if (!s->version[0] && !s->mod.done) {
        return vg_err_set(err, VG_E_PARSE, "%s: Go build info present but unreadable", path);
    }
    const char *mod = "";
    size_t modlen = 0;
    if (s->mod.done && s->mod.data.len >= 32) {
        mod = (const char *)s->mod.data.data + 16;
        modlen = s->mod.data.len - 32;
    }
    return vg_inv_go_modinfo(out, path, s->version[0] ? s->version : NULL, mod, modlen, err);
}

int
vg_inv_parse_gobinary(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                      struct vg_err **err)
{
    struct vg_inv_gostream *s = vg_inv_gostream_new();
    /* Odd chunk sizes exercise the cross-chunk paths the streaming walker takes. */
    const size_t chunk = 65521;
    for (size_t off = 0; off < len; off += chunk) {
        if (!vg_inv_gostream_feed(s, data + off, len - off < chunk ? len - off : chunk)) {
            break;
        }
    }
    int rc = vg_inv_gostream_finish(s, out, path, err);
    vg_inv_gostream_free(s);
    return rc;
}

static int
go_add(struct vg_pkg_list *out, const char *path, struct vg_str name, struct vg_str ver,
       bool main_module, struct vg_err **err)
{
    /* The main module of a "(devel)" build has no version; it is still the root package. */
    if (!name.len || (!ver.len && !main_module) || name.len > 1024 || ver.len > 256) {
        return 0;
    }
    struct vg_pkg *p = vg_pkg_list_add(out, err);
    if (!p) {
        return -1;
    }
    p->type = VG_PKG_LIBRARY;
    p->kind = vg_strdup("gobinary");
    p->name = vg_str_dup(name);
    p->version = ver.len ? vg_str_dup(ver) : NULL;
    p->path = vg_strdup(path);
    return 0;
}

/* -ldflags "-X main.version=v1.2.3": the version a "(devel)" main module was stamped with. */
static struct vg_str
ldflags_version(struct vg_str flags)
{
    static const char *const keys[] = {"main.version", "common.version", "version.version",
                                       "cmd.version"};
    struct vg_str tok, rest = flags;
    bool after_x = false;
    while (rest.len) {
        vg_str_cut(rest, ' ', &tok, &rest);
        tok = vg_str_trim(tok);
        if (tok.len >= 2 && (tok.ptr[0] == '\'' || tok.ptr[0] == '"')) {
            tok.ptr++;
            tok.len--;
        }
        if (tok.len && (tok.ptr[tok.len - 1] == '\'' || tok.ptr[tok.len - 1] == '"')) {
            tok.len--;
        }
        if (vg_str_eq_c(tok, "-X")) {
            after_x = true;
            continue;
        }
        if (vg_str_startswith(tok, "-X=")) {
            tok.ptr += 3;
            tok.len -= 3;
            after_x = true;
        }
        struct vg_str k, v;
        if (after_x && vg_str_cut(tok, '=', &k, &v) && v.len) {
            for (size_t i = 0; i < VG_ARRAY_LEN(keys); i++) {
                size_t kl = strlen(keys[i]);
                if (k.len >= kl && strncasecmp(k.ptr + k.len - kl, keys[i], kl) == 0 &&
                    (v.ptr[0] == 'v' || (v.ptr[0] >= '0' && v.ptr[0] <= '9'))) {
                    return v;
                }
            }
        }
        after_x = false;
    }
    return VG_STR_NULL;
}

int
vg_inv_go_modinfo(struct vg_pkg_list *out, const char *path, const char *goversion,
                  const char *modinfo, size_t len, struct vg_err **err)
{
    size_t start = out->n;
    struct vg_str main_path = VG_STR_NULL, main_ver = VG_STR_NULL, ldflags = VG_STR_NULL;
    struct vg_reader r;
    struct vg_str line;
    int rc;
    bool last_was_dep = false;
    vg_reader_init(&r, modinfo, len);
    while ((rc = vg_reader_line(&r, VG_LIMIT_LINE_BYTES, &line, err)) > 0) {
        struct vg_str kind, rest, p, v;
        vg_str_cut(line, '\t', &kind, &rest);
        vg_str_cut(rest, '\t', &p, &rest);
        vg_str_cut(rest, '\t', &v, &rest);
        if (vg_str_eq_c(kind, "mod")) {
            main_path = p;
            main_ver = v;
        } else if (vg_str_eq_c(kind, "dep")) {
            if (go_add(out, path, p, v, false, err) < 0) {
                goto fail;
            }
            last_was_dep = out->n > start;
            continue;
        } else if (vg_str_eq_c(kind, "=>") && last_was_dep && v.len) {
            struct vg_pkg *d = &out->v[out->n - 1];
            free(d->name);
            free(d->version);
            d->name = vg_str_dup(p);
            d->version = vg_str_dup(v);
        } else if (vg_str_eq_c(kind, "build")) {
            struct vg_str k, val;
            if (vg_str_cut(p, '=', &k, &val) && vg_str_eq_c(k, "-ldflags")) {
                ldflags = val;
            }
        }
        last_was_dep = false;
    }
    if (rc < 0) {
        vg_err_wrap(err, "%s: Go modinfo", path);
        goto fail;
    }
    if (main_path.len && !vg_str_eq_c(main_path, "command-line-arguments")) {
        if (vg_str_eq_c(main_ver, "(devel)")) {
            main_ver = ldflags.len ? ldflags_version(ldflags) : VG_STR_NULL;
        }
        if (go_add(out, path, main_path, main_ver, true, err) < 0) {
            goto fail;
        }
    }
    if (goversion && vg_cstr_startswith(goversion, "go")) {
        size_t n = strcspn(goversion + 2, " ");
        vg_autofree char *v = vg_fmt("v%.*s", (int)n, goversion + 2);
        if (go_add(out, path, VG_STR("stdlib"), vg_str_c(v), false, err) < 0) {
            goto fail;
        }
    }
    return 0;
fail:
    vg_pkg_list_truncate(out, start);
    return -1;
}
