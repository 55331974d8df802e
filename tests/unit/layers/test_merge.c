/* SPDX-License-Identifier: Apache-2.0
 *
 * The merged view across layers: whiteouts, opaque directories, replacement by later layers,
 * directories replaced by links, dangling whiteouts. A small harness walks in-memory layers
 * into one index through the internal API, in manifest order and in reverse order, and every
 * assertion must hold for both (the merge is order-independent by design).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tarbuild.h"

#define MAXL 4

struct image {
    uint8_t *tar[MAXL];
    size_t len[MAXL];
    size_t n;
};

static struct tb *
layer(struct image *im)
{
    (void)im;
    return tb_new("gzip");
}

static void
done(struct image *im, struct tb *t)
{
    cr_assert_lt(im->n, MAXL);
    im->tar[im->n] = tb_finish(t, &im->len[im->n]);
    im->n++;
}

static struct vg_layers_result *
merge(const struct image *im, bool reverse)
{
    struct vg_layers_index *idx = vg_layers_index_new();
    struct vg_layer_stats *st = vg_calloc(im->n, sizeof(*st));
    for (size_t k = 0; k < im->n; k++) {
        size_t i = reverse ? im->n - 1 - k : k;
        struct mem_src m = {im->tar[i], im->len[i], 0, 0};
        struct vg_layers_walk_args a = {
            .layer_index = i, .label = "layer", .index = idx, .hash_compressed = true};
        vg_autoerr struct vg_err *err = NULL;
        cr_assert_eq(vg_layers_walk_one(&st[i], mem_read, &m, &a, NULL, 0, &err), 0);
    }
    return vg_layers_result_new(idx, st, im->n);
}

/* The same image merged from recorded listings only (what a per-layer cache replays): each
 * layer is walked alone with its listing recorded, then the index is built from the listings
 * without any tar bytes. */
static struct vg_layers_result *
merge_from_listings(const struct image *im)
{
    struct vg_layers_index *idx = vg_layers_index_new();
    struct vg_layer_stats *st = vg_calloc(im->n, sizeof(*st));
    for (size_t i = 0; i < im->n; i++) {
        struct mem_src m = {im->tar[i], im->len[i], 0, 0};
        vg_autobuf struct vg_buf l = VG_BUF_INIT(1u << 20);
        struct vg_layers_walk_args a = {.layer_index = i, .label = "layer", .listing = &l};
        vg_autoerr struct vg_err *err = NULL;
        cr_assert_eq(vg_layers_walk_one(&st[i], mem_read, &m, &a, NULL, 0, &err), 0);
        cr_assert(vg_layers_listing_valid(l.data, l.len));
        vg_layers_index_add_listing(idx, l.data, l.len, i);
    }
    return vg_layers_result_new(idx, st, im->n);
}

static void
image_free(struct image *im)
{
    for (size_t i = 0; i < im->n; i++) {
        free(im->tar[i]);
    }
}

/* Checks present(path, layer) == want on both merge orders. */
struct expect {
    const char *path;
    size_t layer;
    bool want;
};

static void
check(const struct image *im, const struct expect *ex, size_t n)
{
    for (int rev = 0; rev < 3; rev++) {
        struct vg_layers_result *r = rev == 2 ? merge_from_listings(im) : merge(im, rev);
        for (size_t i = 0; i < n; i++) {
            cr_assert_eq(vg_layers_result_present(r, ex[i].path, ex[i].layer), ex[i].want,
                         "present(%s, %zu) should be %d (reverse=%d)", ex[i].path, ex[i].layer,
                         ex[i].want, rev);
        }
        vg_layers_result_free(r);
    }
}

Test(layers_merge, whiteout_deletes_lower_file_only)
{
    struct image im = {0};
    struct tb *t = layer(&im);
    tb_dir(t, "etc");
    tb_file_str(t, "etc/a", "1");
    tb_file_str(t, "etc/b", "1");
    done(&im, t);
    t = layer(&im);
    tb_file_str(t, "etc/.wh.a", "");
    done(&im, t);
    t = layer(&im);
    tb_file_str(t, "etc/c", "3");
    done(&im, t);
    const struct expect ex[] = {
        {"etc/a", 0, false}, {"etc/b", 0, true},     {"etc/c", 2, true},      {"/etc/b", 0, true},
        {"etc/b", 1, false}, {"etc/nope", 0, false}, {"etc/.wh.a", 1, false}, {"etc", 0, true},
    };
    check(&im, ex, VG_ARRAY_LEN(ex));
    image_free(&im);
}

Test(layers_merge, recreated_after_whiteout)
{
    struct image im = {0};
    struct tb *t = layer(&im);
    tb_file_str(t, "var/lib/dpkg/status", "old");
    done(&im, t);
    t = layer(&im);
    tb_file_str(t, "var/lib/.wh.dpkg", "");
    done(&im, t);
    t = layer(&im);
    tb_file_str(t, "var/lib/dpkg/status", "new");
    done(&im, t);
    const struct expect ex[] = {
        {"var/lib/dpkg/status", 0, false},
        {"var/lib/dpkg/status", 2, true},
    };
    check(&im, ex, VG_ARRAY_LEN(ex));
    image_free(&im);
}

Test(layers_merge, replaced_by_later_entry)
{
    struct image im = {0};
    struct tb *t = layer(&im);
    tb_file_str(t, "etc/os-release", "a");
    done(&im, t);
    t = layer(&im);
    tb_file_str(t, "etc/os-release", "b");
    done(&im, t);
    const struct expect ex[] = {{"etc/os-release", 0, false}, {"etc/os-release", 1, true}};
    check(&im, ex, VG_ARRAY_LEN(ex));
    struct vg_layers_result *r = merge(&im, false);
    size_t l = 9;
    cr_assert(vg_layers_result_lookup(r, "/etc/os-release", &l));
    cr_assert_eq(l, 1);
    cr_assert_not(vg_layers_result_lookup(r, "etc/none", NULL));
    vg_layers_result_free(r);
    image_free(&im);
}

Test(layers_merge, opaque_dir_hides_lower_keeps_own_layer)
{
    struct image im = {0};
    struct tb *t = layer(&im);
    tb_dir(t, "d");
    tb_file_str(t, "d/x", "0");
    tb_file_str(t, "d/sub/y", "0");
    tb_file_str(t, "dd/x", "0"); /* a sibling sharing the prefix "d" */
    done(&im, t);
    t = layer(&im);
    tb_file_str(t, "d/z", "1"); /* before the marker in the same layer: must stay */
    tb_file_str(t, "d/.wh..wh..opq", "");
    tb_file_str(t, "d/w", "1");
    done(&im, t);
    const struct expect ex[] = {
        {"d/x", 0, false}, {"d/sub/y", 0, false}, {"d/z", 1, true},
        {"d/w", 1, true},  {"dd/x", 0, true},     {"d", 0, true},
    };
    check(&im, ex, VG_ARRAY_LEN(ex));
    image_free(&im);
}

Test(layers_merge, root_opaque_hides_everything_lower)
{
    struct image im = {0};
    struct tb *t = layer(&im);
    tb_file_str(t, "a", "0");
    tb_file_str(t, "b/c", "0");
    done(&im, t);
    t = layer(&im);
    tb_file_str(t, ".wh..wh..opq", "");
    tb_file_str(t, "n", "1");
    done(&im, t);
    const struct expect ex[] = {{"a", 0, false}, {"b/c", 0, false}, {"n", 1, true}};
    check(&im, ex, VG_ARRAY_LEN(ex));
    image_free(&im);
}

Test(layers_merge, directory_replaced_by_symlink_hides_contents)
{
    struct image im = {0};
    struct tb *t = layer(&im);
    tb_dir(t, "lib");
    tb_file_str(t, "lib/libc.so", "0");
    done(&im, t);
    t = layer(&im);
    tb_symlink(t, "lib", "usr/lib");
    done(&im, t);
    const struct expect ex[] = {{"lib/libc.so", 0, false}, {"lib", 1, true}, {"lib", 0, false}};
    check(&im, ex, VG_ARRAY_LEN(ex));
    image_free(&im);
}

Test(layers_merge, whiteout_in_same_layer_does_not_delete_own_entry)
{
    struct image im = {0};
    struct tb *t = layer(&im);
    tb_file_str(t, "x", "0");
    done(&im, t);
    t = layer(&im);
    tb_file_str(t, ".wh.x", "");
    tb_file_str(t, "x", "1");
    done(&im, t);
    const struct expect ex[] = {{"x", 0, false}, {"x", 1, true}};
    check(&im, ex, VG_ARRAY_LEN(ex));
    image_free(&im);
}

Test(layers_merge, dangling_whiteout_is_harmless)
{
    struct image im = {0};
    struct tb *t = layer(&im);
    tb_file_str(t, "a", "0");
    done(&im, t);
    t = layer(&im);
    tb_file_str(t, "nowhere/.wh.ghost", "");
    tb_file_str(t, ".wh.missing", "");
    done(&im, t);
    const struct expect ex[] = {{"a", 0, true}, {"nowhere/ghost", 1, false}, {"missing", 0, false}};
    check(&im, ex, VG_ARRAY_LEN(ex));
    image_free(&im);
}

Test(layers_merge, hundred_thousand_paths, .timeout = 60)
{
    struct vg_layers_index *idx = vg_layers_index_new();
    char p[64];
    for (size_t i = 0; i < 100000; i++) {
        snprintf(p, sizeof(p), "usr/share/d%zu/file%zu", i % 997, i);
        vg_layers_index_add(idx, p, strlen(p), i % 3, VG_LEV_NONDIR);
    }
    snprintf(p, sizeof(p), "usr/share/d5");
    vg_layers_index_add(idx, p, strlen(p), 3, VG_LEV_WHITEOUT);
    struct vg_layer_stats *st = vg_calloc(4, sizeof(*st));
    struct vg_layers_result *r = vg_layers_result_new(idx, st, 4);
    cr_assert_leq(vg_layers_result_npaths(r), 100000 + 997 + 2);
    size_t present = 0;
    for (size_t i = 0; i < 100000; i++) {
        snprintf(p, sizeof(p), "usr/share/d%zu/file%zu", i % 997, i);
        present += vg_layers_result_present(r, p, i % 3);
    }
    cr_assert_eq(present, 100000 - (100000 / 997 + (5 < 100000 % 997)));
    vg_layers_result_free(r);
}

Test(layers_merge, listing_validation_rejects_hostile_listings)
{
    static const struct {
        const char *data;
        size_t len;
        bool ok;
    } cases[] = {
        {"", 0, true},           {"fa\0dx/y\0wz\0ox\0o\0", 16, true}, /* "o" + "": root opaque */
        {"fa", 2, false},                                             /* no terminator */
        {"f\0", 2, false},       /* empty path (only opaque may) */
        {"xa\0", 3, false},      /* unknown kind */
        {"f/etc\0", 6, false},   /* absolute */
        {"fa/../b\0", 8, false}, /* '..' component */
        {"f./a\0", 5, false},    /* not normalized */
        {"fa//b\0", 6, false},   /* not normalized */
        {"fa\0f", 5, false},     /* truncated record */
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        cr_assert_eq(vg_layers_listing_valid((const uint8_t *)cases[i].data, cases[i].len),
                     cases[i].ok, "case %zu", i);
    }
    char big[VG_LIMIT_PATH_BYTES + 8];
    memset(big, 'a', sizeof(big));
    big[0] = 'f';
    big[sizeof(big) - 1] = '\0';
    cr_assert_not(vg_layers_listing_valid((const uint8_t *)big, sizeof(big)));
    /* Garbage fed to the index anyway (unvalidated) must not crash it. */
    struct vg_layers_index *idx = vg_layers_index_new();
    vg_layers_index_add_listing(idx, (const uint8_t *)"q\0fa", 5, 0);
    vg_layers_index_free(idx);
}
