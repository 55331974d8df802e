/* SPDX-License-Identifier: Apache-2.0
 *
 * Per-layer cache support of the inventory builder: the records of one layer exported as
 * JSON and imported into another builder (for another image, at another index and blob
 * digest) give the same inventory as walking the files; malformed or inconsistent records are
 * refused whole.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>

#include "inventory/inventory.h"

static const char STATUS[] = "Package: openssl\nStatus: install ok installed\n"
                             "Version: 3.0.11-1~deb12u2\nArchitecture: amd64\n"
                             "Source: openssl\n\nPackage: zlib1g\nStatus: install ok installed\n"
                             "Version: 1:1.2.13.dfsg-1\nArchitecture: amd64\nSource: zlib\n";
static const char OSREL[] = "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian 12\"\n";
static const char NPM[] = "{\"name\": \"lodash\", \"version\": \"4.17.15\"}";

static void
feed(struct vg_inventory_builder *b, size_t layer, const char *path, const char *data,
     const struct vg_digest *dg)
{
    size_t n;
    struct vg_layer_consumer *const *c = vg_inventory_builder_consumers(b, &n);
    struct vg_layer_file f = {.path = path,
                              .size = strlen(data),
                              .mode = S_IFREG | 0644,
                              .layer_index = layer,
                              .layer_digest = dg,
                              .diff_id = dg};
    for (size_t i = 0; i < n; i++) {
        if (c[i]->want(c[i]->ctx, &f) == VG_WANT_WHOLE) {
            vg_autoerr struct vg_err *err = NULL;
            cr_assert_eq(c[i]->on_file(c[i]->ctx, &f, (const uint8_t *)data, strlen(data), &err),
                         0);
        }
    }
}

static struct vg_inventory *
finish(struct vg_inventory_builder *b)
{
    struct vg_inventory *inv = NULL;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(vg_inventory_builder_finish(&inv, b, NULL, &err), 0);
    return inv;
}

static void
digest(struct vg_digest *d, const char *s)
{
    vg_digest_of(d, VG_DIGEST_SHA256, s, strlen(s));
}

Test(inventory_layercache, export_import_round_trip)
{
    struct vg_digest d0, d1, e0, e1;
    digest(&d0, "layer0");
    digest(&d1, "layer1");
    digest(&e0, "other0");
    digest(&e1, "other1");
    struct vg_inventory_builder *walked = vg_inventory_builder_new(NULL);
    feed(walked, 0, "etc/os-release", OSREL, &d0);
    feed(walked, 0, "var/lib/dpkg/status", STATUS, &d0);
    feed(walked, 1, "app/node_modules/lodash/package.json", NPM, &d1);
    json_t *l0 = NULL, *l1 = NULL;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(vg_inventory_builder_export(&l0, walked, 0, &err), 0);
    cr_assert_eq(vg_inventory_builder_export(&l1, walked, 1, &err), 0);
    cr_assert_eq(json_array_size(l0), 2);
    cr_assert_eq(json_array_size(l1), 1);
    /* Through text, as the cache stores it. */
    char *t0 = vg_json_dumps(l0, 0);
    json_t *r0 = json_loads(t0, 0, NULL);
    free(t0);

    /* Another image: the cached base at index 0 with its own blob digest; the app layer is
     * cached too but sits at index 2 there. */
    struct vg_inventory_builder *cached = vg_inventory_builder_new(NULL);
    cr_assert_eq(vg_inventory_builder_import(cached, r0, 0, &e0, &d0, &err), 0);
    cr_assert_eq(vg_inventory_builder_import(cached, l1, 2, &e1, &d1, &err), 0);
    struct vg_inventory *a = finish(walked), *b = finish(cached);
    cr_assert_str_eq(a->os.family, "debian");
    cr_assert_str_eq(b->os.family, "debian");
    cr_assert_eq(a->npkgs, 3);
    cr_assert_eq(b->npkgs, a->npkgs);
    for (size_t i = 0; i < a->npkgs; i++) {
        const struct vg_pkg *x = &a->pkgs[i], *y = &b->pkgs[i];
        cr_assert_str_eq(x->name, y->name);
        cr_assert_str_eq(x->version, y->version);
        cr_assert_str_eq(x->purl, y->purl);
        cr_assert_str_eq(x->path, y->path);
        bool npm = strcmp(x->kind, "node") == 0;
        cr_assert_eq(y->layer_index, npm ? 2u : 0u, "%s", y->name);
        cr_assert(vg_digest_eq(&y->layer_digest, npm ? &e1 : &e0));
        cr_assert(vg_digest_eq(&y->layer_diff_id, npm ? &d1 : &d0));
    }
    vg_inventory_free(a);
    vg_inventory_free(b);
    json_decref(l0);
    json_decref(l1);
    json_decref(r0);
    vg_inventory_builder_free(walked);
    vg_inventory_builder_free(cached);
}

Test(inventory_layercache, malformed_records_are_refused_whole)
{
    static const char *bad[] = {
        "{}",
        "[1]",
        "[{\"an\": 999, \"path\": \"x\"}]",
        "[{\"an\": 2, \"path\": \"\"}]",
        /* copyright analyzer on a path finish() would read past the end of */
        "[{\"an\": 6, \"path\": \"x\"}]",
        /* dpkg status analyzer on some other file */
        "[{\"an\": 2, \"path\": \"etc/passwd\"}]",
        "[{\"an\": 2, \"path\": \"var/lib/dpkg/status\", \"pkgs\": [{\"type\": 7, "
        "\"kind\": \"dpkg\", \"name\": \"a\"}]}]",
        "[{\"an\": 2, \"path\": \"var/lib/dpkg/status\", \"pkgs\": [{\"type\": 1, "
        "\"kind\": \"dpkg\"}]}]",
        "[{\"an\": 2, \"path\": \"var/lib/dpkg/status\", \"files\": [1]}]",
        "[{\"an\": 1, \"path\": \"etc/os-release\", \"data\": \"not base64!\"}]",
        /* a valid record followed by a bad one: nothing is taken */
        "[{\"an\": 1, \"path\": \"etc/os-release\"}, {\"an\": 2, \"path\": 5}]",
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        json_t *j = json_loads(bad[i], 0, NULL);
        cr_assert(j, "case %zu", i);
        struct vg_inventory_builder *b = vg_inventory_builder_new(NULL);
        vg_autoerr struct vg_err *err = NULL;
        cr_assert_lt(vg_inventory_builder_import(b, j, 0, NULL, NULL, &err), 0, "case %zu", i);
        cr_assert_eq(vg_err_root_code(err), VG_E_PARSE);
        json_t *out = NULL;
        cr_assert_eq(vg_inventory_builder_export(&out, b, 0, NULL), 0);
        cr_assert_eq(json_array_size(out), 0, "case %zu left records behind", i);
        json_decref(out);
        json_decref(j);
        vg_inventory_builder_free(b);
    }
}
