/* SPDX-License-Identifier: Apache-2.0
 *
 * Hermetic tests of the cargo-auditable reader: a fake executable carrying zlib-compressed
 * dependency JSON at offsets that straddle the streaming chunk boundaries, build-only
 * dependencies, decoy zlib headers, and hostile data (truncated stream, oversized JSON).
 */
#include <criterion/criterion.h>
#include <string.h>
#include <zlib.h>

#include "inventory/inventory_int.h"

static struct vg_err *err;

static void
reset_err(void)
{
    vg_err_free(&err);
}

TestSuite(inventory_rustbin, .fini = reset_err);

static const char deps[] =
    "{\"packages\":[{\"name\":\"app\",\"version\":\"0.1.0\",\"source\":\"local\","
    "\"dependencies\":[1,2],\"root\":true},{\"name\":\"serde\",\"version\":\"1.0.200\","
    "\"source\":\"crates.io\"},{\"name\":\"cc\",\"version\":\"1.0.90\",\"source\":\"crates.io\","
    "\"kind\":\"build\"},{\"name\":\"serde\",\"version\":\"1.0.200\",\"source\":\"crates.io\"}]}";

/* An ELF-looking file of `size` bytes with the compressed JSON at `at`, and decoys before. */
static uint8_t *
fake_exe(size_t size, size_t at, const void *json, size_t jlen, size_t *clen_out)
{
    uLongf clen = compressBound((uLong)jlen);
    uint8_t *z = vg_malloc(clen);
    cr_assert(compress2(z, &clen, json, (uLong)jlen, 9) == Z_OK);
    uint8_t *f = vg_calloc(size, 1);
    memcpy(f,
           "\x7f"
           "ELF\x02\x01\x01",
           7);
    for (size_t i = 64; i + 2 < at && i < 4096; i += 97) {
        f[i] = 0x78;
        f[i + 1] = 0x9c; /* a zlib header whose data is zeros: probed and rejected */
    }
    cr_assert(at + clen <= size);
    memcpy(f + at, z, clen);
    free(z);
    *clen_out = clen;
    return f;
}

static struct vg_pkg *
find(const struct vg_pkg_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].name, name) == 0) {
            return &l->v[i];
        }
    }
    return NULL;
}

Test(inventory_rustbin, runtime_packages_at_any_offset)
{
    /* 65521 is the chunk size of vg_inv_parse_rustbinary: put the header on both sides. */
    const size_t offsets[] = {100, 65521 - 200, 65521 - 2, 65521 - 1, 65521, 3 * 65521 - 300};
    for (size_t k = 0; k < VG_ARRAY_LEN(offsets); k++) {
        size_t clen;
        uint8_t *f = fake_exe(300000, offsets[k], deps, strlen(deps), &clen);
        struct vg_pkg_list l = {0};
        cr_assert_eq(vg_inv_parse_rustbinary(&l, "usr/bin/app", f, 300000, &err), 0, "offset %zu",
                     offsets[k]);
        cr_expect_eq(l.n, 2, "offset %zu: root + serde once, build dep cc skipped", offsets[k]);
        cr_expect(find(&l, "app"));
        struct vg_pkg *s = find(&l, "serde");
        cr_assert(s);
        vg_inv_pkg_finalize(s, NULL);
        cr_expect_str_eq(s->ecosystem, "crates.io");
        cr_expect_str_eq(s->purl, "pkg:cargo/serde@1.0.200");
        cr_expect(!find(&l, "cc"));
        vg_pkg_list_dispose(&l);
        free(f);
    }
}

Test(inventory_rustbin, at_the_very_end_and_not_executables)
{
    size_t clen;
    uint8_t *f = fake_exe(200000, 0, deps, strlen(deps), &clen);
    memset(f + 7, 0, 200000 - 7);
    size_t at = 200000 - 4096;
    uint8_t *g = fake_exe(200000, at, deps, strlen(deps), &clen);
    struct vg_pkg_list l = {0};
    cr_assert_eq(vg_inv_parse_rustbinary(&l, "x", g, at + clen, &err), 0);
    cr_expect_eq(l.n, 2, "a section ending the file is found by the final scan");
    vg_pkg_list_dispose(&l);
    memcpy(g, "#!/bin", 6);
    cr_assert_eq(vg_inv_parse_rustbinary(&l, "x", g, at + clen, &err), 0);
    cr_expect_eq(l.n, 0, "a script is not an executable");
    cr_assert_eq(vg_inv_parse_rustbinary(&l, "x", f, 200000, &err), 0);
    cr_expect_eq(l.n, 0);
    free(f);
    free(g);
}

Test(inventory_rustbin, truncated_and_oversized)
{
    size_t clen;
    uint8_t *f = fake_exe(100000, 90000, deps, strlen(deps), &clen);
    struct vg_pkg_list l = {0};
    cr_expect_lt(vg_inv_parse_rustbinary(&l, "x", f, 90000 + clen - 8, &err), 0);
    cr_expect_eq(l.n, 0);
    vg_err_free(&err);
    free(f);

    /* JSON one byte over the limit: refused; at the limit it would be read. */
    size_t n = VG_INV_MAX_RUST_DEPS_BYTES + 1;
    char *big = vg_malloc(n);
    memset(big, ' ', n);
    memcpy(big, deps, strlen(deps));
    f = fake_exe(200000, 5000, big, n, &clen);
    cr_expect_lt(vg_inv_parse_rustbinary(&l, "x", f, 200000, &err), 0);
    cr_expect_eq(l.n, 0);
    vg_err_free(&err);
    free(f);
    f = fake_exe(200000, 5000, big, n - 1, &clen);
    cr_expect_eq(vg_inv_parse_rustbinary(&l, "x", f, 200000, &err), 0);
    cr_expect_eq(l.n, 2);
    vg_pkg_list_dispose(&l);
    free(f);
    free(big);
}
