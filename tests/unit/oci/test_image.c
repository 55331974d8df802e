#include <criterion/criterion.h>
#include <string.h>

#include "oci/oci.h"

/* vg_oci_image_open dispatch and argument errors that need no image on disk. */

static enum vg_errc
open_code(const char *image, const char *platform)
{
    struct vg_oci_open_opts o = VG_OCI_OPEN_OPTS_INIT;
    o.platform = platform;
    struct vg_oci_image *img = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_oci_image_open(&img, image, &o, &err), 0, "%s opened", image);
    cr_assert_null(img);
    enum vg_errc c = vg_err_root_code(err);
    vg_err_free(&err);
    return c;
}

Test(oci_image, usage_errors)
{
    cr_assert_eq(open_code("", NULL), VG_E_USAGE);
    cr_assert_eq(open_code("Nginx", NULL), VG_E_USAGE);
    cr_assert_eq(open_code("docker://:x", NULL), VG_E_USAGE);
    cr_assert_eq(open_code("oci:", NULL), VG_E_USAGE);
    cr_assert_eq(open_code("oci:/tmp:", NULL), VG_E_USAGE);
    cr_assert_eq(open_code("docker-archive:", NULL), VG_E_USAGE);
    cr_assert_eq(open_code("dir:x", NULL), VG_E_USAGE);
    cr_assert_eq(open_code("oci-archive:", NULL), VG_E_USAGE);
    cr_assert_eq(open_code("oci-archive:/tmp/x.tar:", NULL), VG_E_USAGE);
    cr_assert_eq(open_code("docker-daemon:", NULL), VG_E_USAGE);
    cr_assert_eq(open_code("docker-daemon:Bad Name", NULL), VG_E_USAGE);
    cr_assert_eq(open_code("containers-storage:[relative]x", NULL), VG_E_UNSUPPORTED,
                 "no gzip decoder lent by layers/");
    cr_assert_eq(open_code("oci:/nonexistent", "linux"), VG_E_USAGE);
}

Test(oci_image, missing_local_sources)
{
    cr_assert_eq(open_code("oci:/nonexistent/vigil-test", NULL), VG_E_NOTFOUND);
    cr_assert_eq(open_code("docker-archive:/nonexistent/vigil.tar", NULL), VG_E_NOTFOUND);
    cr_assert_eq(open_code("oci-archive:/nonexistent/vigil.tar", NULL), VG_E_NOTFOUND);
    cr_assert_eq(open_code("oci:" VG_TEST_DATA, NULL), VG_E_NOTFOUND, "no oci-layout file");
}

Test(oci_image, blob_read_all_refuses_oversize_claim)
{
    struct vg_oci_desc d = {0};
    cr_assert_eq(vg_digest_parse(&d.digest,
                                 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f"
                                 "20015ad",
                                 NULL),
                 0);
    d.size = 1000;
    struct vg_buf b = VG_BUF_INIT(10);
    struct vg_err *err = NULL;
    cr_assert_lt(vg_oci_blob_read_all(&b, NULL, &d, 999, &err), 0);
    cr_assert_eq(err->code, VG_E_LIMIT);
    vg_err_free(&err);
}
