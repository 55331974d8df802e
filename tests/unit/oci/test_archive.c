#include <criterion/criterion.h>
#include <string.h>

#include "oci/archive_int.h"

#include "../../support/ustar.h"

Test(oci_archive, indexes_files_links_and_longnames)
{
    struct tarb t = {0};
    ustar_add(&t, "./manifest.json", '0', "[]", NULL);
    ustar_add(&t, "abc/layer.tar", '0', "LAYER", NULL);
    ustar_add(&t, "def/layer.tar", '2', NULL, "../abc/layer.tar");
    ustar_add(&t, "hard.tar", '1', NULL, "abc/layer.tar");
    ustar_add(&t, "././@LongLink", 'L', "very/long/name/that/needs/gnu", NULL);
    ustar_add(&t, "ignored", '0', "L", NULL);
    ustar_add(&t, "../escape", '0', "x", NULL);
    t.len += 1024;
    struct vg_oci_tar_index idx;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_tar_index_build_mem(&idx, t.data, t.len, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_eq(idx.n, 5, "the escaping entry is not indexed");
    const struct vg_oci_tar_entry *e = vg_oci_tar_lookup(&idx, "manifest.json");
    cr_assert_not_null(e);
    cr_assert_eq(e->size, 2);
    cr_assert_eq(memcmp(t.data + e->offset, "[]", 2), 0);
    const struct vg_oci_tar_entry *sym = vg_oci_tar_lookup(&idx, "def/layer.tar");
    cr_assert_not_null(sym);
    cr_assert_str_eq(sym->name, "abc/layer.tar");
    cr_assert_eq(vg_oci_tar_lookup(&idx, "hard.tar"), sym);
    cr_assert_not_null(vg_oci_tar_lookup(&idx, "very/long/name/that/needs/gnu"));
    cr_assert_null(vg_oci_tar_lookup(&idx, "escape"));
    vg_oci_tar_index_dispose(&idx);
}

Test(oci_archive, symlink_loop_is_not_found)
{
    struct tarb t = {0};
    ustar_add(&t, "a", '2', NULL, "b");
    ustar_add(&t, "b", '2', NULL, "a");
    struct vg_oci_tar_index idx;
    cr_assert_eq(vg_oci_tar_index_build_mem(&idx, t.data, t.len, NULL), 0);
    cr_assert_null(vg_oci_tar_lookup(&idx, "a"));
    vg_oci_tar_index_dispose(&idx);
}

Test(oci_archive, bad_checksum_and_truncation)
{
    struct tarb t = {0};
    ustar_add(&t, "f", '0', "hello", NULL);
    struct vg_oci_tar_index idx;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_oci_tar_index_build_mem(&idx, t.data, 515, &err), 0);
    cr_assert_eq(err->code, VG_E_PARSE);
    vg_err_free(&err);
    t.data[0] = 'g';
    cr_assert_lt(vg_oci_tar_index_build_mem(&idx, t.data, t.len, &err), 0);
    cr_assert(strstr(err->msg, "corrupt header"));
    vg_err_free(&err);
}

Test(oci_archive, huge_declared_size_rejected)
{
    struct tarb t = {0};
    ustar_hdr(t.data, "f", '0', 0, NULL);
    /* base-256 size of 2^62: must not overflow or allocate */
    memset(t.data + 124, 0, 12);
    t.data[124] = 0x80;
    t.data[124 + 4] = 0x40;
    memset(t.data + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) {
        sum += t.data[i];
    }
    snprintf((char *)t.data + 148, 8, "%06o", sum);
    t.len = 512;
    struct vg_oci_tar_index idx;
    struct vg_err *err = NULL;
    int rc = vg_oci_tar_index_build_mem(&idx, t.data, t.len, &err);
    if (rc == 0) {
        /* Indexed lazily; the entry's data is past the end and reading it fails later. */
        cr_assert_eq(idx.n, 1);
        vg_oci_tar_index_dispose(&idx);
    } else {
        vg_err_free(&err);
    }
}

Test(oci_archive, pax_path_and_oversize_pax)
{
    struct tarb t = {0};
    ustar_add(&t, "PaxHeader", 'x', "28 path=blobs/sha256/abcdef\n", NULL);
    ustar_add(&t, "short", '0', "z", NULL);
    struct vg_oci_tar_index idx;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_tar_index_build_mem(&idx, t.data, t.len, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_not_null(vg_oci_tar_lookup(&idx, "blobs/sha256/abcdef"));
    vg_oci_tar_index_dispose(&idx);

    struct tarb u = {0};
    ustar_add(&u, "PaxHeader", 'x', "7 path=x\n", NULL); /* record length lies */
    ustar_add(&u, "short", '0', "z", NULL);
    cr_assert_lt(vg_oci_tar_index_build_mem(&idx, u.data, u.len, &err), 0);
    cr_assert(strstr(err->msg, "pax"));
    vg_err_free(&err);
}

Test(oci_archive, clean_paths)
{
    char *c = vg_oci_tar_clean("./a//b/./c/../d", 15);
    cr_assert_str_eq(c, "a/b/d");
    free(c);
    cr_assert_null(vg_oci_tar_clean("a/../../x", 9));
    c = vg_oci_tar_clean("/abs/x", 6);
    cr_assert_str_eq(c, "abs/x");
    free(c);
}

/* ---------------------------------------------------------------- compressed archives */

#include <stdlib.h>
#include <unistd.h>

#include "oci/source_int.h"

/* oci/ owns no decompressor: a compressed file is refused by name, pointing at layers/ (which
 * opens it: tests/unit/layers/test_unpack.c). */
Test(oci_archive, compressed_file_refused_without_layers)
{
    static const uint8_t magics[][6] = {
        {0x1f, 0x8b, 8, 0, 0, 0}, {0x28, 0xb5, 0x2f, 0xfd, 0, 0}, {0x5e, 0x2a, 0x4d, 0x18, 0, 0}};
    static const char *const names[] = {"gzip", "zstd", "zstd"};
    for (size_t i = 0; i < 3; i++) {
        char path[] = "/tmp/vg-oci-comp-XXXXXX";
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, magics[i], 6), 6);
        close(fd);
        struct vg_oci_source *src = NULL;
        struct vg_err *err = NULL;
        cr_assert_lt(vg_oci_archive_source_new(&src, path, NULL, &err), 0);
        cr_assert(vg_err_is(err, VG_E_UNSUPPORTED), "%s", err->msg);
        cr_assert(strstr(err->msg, path) && strstr(err->msg, names[i]) &&
                      strstr(err->msg, "vg_layers_image_open"),
                  "%s", err->msg);
        vg_err_free(&err);
        unlink(path);
    }
}
