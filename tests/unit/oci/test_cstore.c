/* SPDX-License-Identifier: Apache-2.0
 *
 * containers-storage parsers (oci/cstore_meta.c, oci/tarsplit.c): storage.conf, big-data file
 * names, images.json/layers.json resolution and tar-split reassembly, with hostile inputs.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/cstore_int.h"

static const char *
err_text(const struct vg_err *e)
{
    static char b[2048];
    char *s = vg_err_format(e);
    snprintf(b, sizeof(b), "%s", s ? s : "");
    free(s);
    return b;
}

static enum vg_errc
code_of(struct vg_err **err)
{
    enum vg_errc c = vg_err_root_code(*err);
    vg_err_free(err);
    return c;
}

/* ---------------------------------------------------------------- storage.conf */

Test(oci_cstore, conf_reads_the_storage_table)
{
    static const char conf[] = "# comment\n"
                               "[storage]\n"
                               "driver = \"overlay\" # trailing comment\n"
                               "runroot = '/run/containers/storage'\n"
                               "graphroot = \"/var/lib/\\\"x\\\"\"\n"
                               "additionalimagestores = [\n"
                               "  \"/usr/lib/containers/storage\",\n"
                               "]\n"
                               "[storage.options]\n"
                               "graphroot = \"/not/this\"\n"
                               "pull_options = {enable_partial_images = \"false\"}\n"
                               "[storage.options.overlay]\n"
                               "mountopt = \"nodev,metacopy=on\"\n";
    struct vg_cstore_conf c;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_cstore_conf_parse(&c, conf, strlen(conf), "storage.conf", &err), 0);
    cr_assert_str_eq(c.driver, "overlay");
    cr_assert_str_eq(c.runroot, "/run/containers/storage");
    cr_assert_str_eq(c.graphroot, "/var/lib/\"x\"");
    cr_assert_null(c.rootless_storage_path);
    vg_oci_cstore_conf_dispose(&c);
}

Test(oci_cstore, conf_refuses_malformed_values)
{
    static const char *const bad[] = {
        "[storage]\ngraphroot = \"/unterminated\n",
        "[storage]\ndriver = overlay\n",
        "[storage]\ngraphroot = \"/a\\q\"\n",
        "[storage]\ngraphroot = \"/a\" junk\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vg_cstore_conf c;
        struct vg_err *err = NULL;
        cr_assert_lt(vg_oci_cstore_conf_parse(&c, bad[i], strlen(bad[i]), "s.conf", &err), 0, "%s",
                     bad[i]);
        cr_assert(strstr(err_text(err), "s.conf: line 2"), "%s", err_text(err));
        cr_assert_eq(code_of(&err), VG_E_PARSE);
    }
    struct vg_cstore_conf c;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_oci_cstore_conf_parse(&c, "a\0b", 3, "s.conf", &err), 0);
    cr_assert_eq(code_of(&err), VG_E_PARSE);
}

/* ---------------------------------------------------------------- big-data names */

Test(oci_cstore, bigdata_names_as_containers_storage)
{
    char *n = vg_oci_cstore_bigdata_name("manifest");
    cr_assert_str_eq(n, "manifest");
    free(n);
    /* Seen in a store written by skopeo 1.x: base64 of the key, after '='. */
    n = vg_oci_cstore_bigdata_name("sha256:c433acc60d2b93ed948ec5f74dee2c7fc957f6c4c798d7ce89b931b0"
                                   "d8b7d0f8");
    cr_assert_str_eq(n, "=c2hhMjU2OmM0MzNhY2M2MGQyYjkzZWQ5NDhlYzVmNzRkZWUyYzdmYzk1N2Y2YzRjNzk4ZDdj"
                        "ZTg5YjkzMWIwZDhiN2QwZjg=");
    free(n);
    n = vg_oci_cstore_bigdata_name("Manifest");
    cr_assert_eq(n[0], '=');
    free(n);
}

/* ---------------------------------------------------------------- images.json, layers.json */

#define L1 "1111111111111111111111111111111111111111111111111111111111111111"
#define L2 "2222222222222222222222222222222222222222222222222222222222222222"
#define I1 "aaaa111111111111111111111111111111111111111111111111111111111111"
#define I2 "aaaa222222222222222222222222222222222222222222222222222222222222"
#define D1 "sha256:" L1
#define D2 "sha256:" L2
#define MD "sha256:9650d9f32d85470d7badd45ba54ed5d876c3907b943069c64652cfcb1080d578"

static const char images[] =
    "[{\"id\":\"" I1 "\",\"digest\":\"" MD "\",\"names\":[\"localhost/t:v1\"],"
    "\"layer\":\"" L2 "\",\"big-data-names\":[\"manifest\",\"sha256:" I1 "\"]},"
    " {\"id\":\"" I2 "\",\"names\":[\"docker.io/library/alpine:3\"],"
    "\"big-data-names\":[\"sha256:" I2 "\"]}]";
static const char layers[] =
    "[{\"id\":\"" L1 "\",\"diff-digest\":\"" D1 "\",\"diff-size\":10240},"
    " {\"id\":\"" L2 "\",\"parent\":\"" L1 "\",\"diff-digest\":\"" D2 "\",\"diff-size\":2048}]";

static int
resolve(struct vg_cstore_image *im, const char *imgs, const char *lays, const char *ref,
        struct vg_err **err)
{
    return vg_oci_cstore_resolve(im, imgs, strlen(imgs), lays, strlen(lays), ref, err);
}

Test(oci_cstore, resolves_names_ids_and_chains)
{
    static const char *const refs[] = {"localhost/t:v1", "t:v1", "aaaa1", "sha256:" I1,
                                       "localhost/t@" MD};
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        struct vg_cstore_image im;
        struct vg_err *err = NULL;
        cr_assert_eq(resolve(&im, images, layers, refs[i], &err), 0, "%s: %s", refs[i],
                     err ? err_text(err) : "");
        cr_assert_str_eq(im.id, I1);
        cr_assert_str_eq(im.config_key, "sha256:" I1);
        cr_assert_eq(im.nlayers, 2);
        cr_assert_str_eq(im.layers[0].id, L1, "bottom layer first");
        cr_assert_str_eq(im.layers[1].diff.text, D2);
        cr_assert_eq(im.layers[0].size, 10240);
        vg_oci_cstore_image_dispose(&im);
    }
    struct vg_cstore_image im;
    struct vg_err *err = NULL;
    cr_assert_eq(resolve(&im, images, layers, "alpine:3", &err), 0);
    cr_assert_eq(im.nlayers, 0, "an image without layers");
    vg_oci_cstore_image_dispose(&im);
}

Test(oci_cstore, resolve_errors)
{
    struct {
        const char *imgs, *lays, *ref;
        enum vg_errc code;
    } cases[] = {
        {images, layers, "t:v2", VG_E_NOTFOUND},
        {images, layers, "aaaa", VG_E_USAGE}, /* ambiguous prefix */
        {images, layers, "localhost/t@sha256:" L1, VG_E_NOTFOUND},
        {images, layers, "Bad Ref", VG_E_USAGE},
        {"{}", layers, "t:v1", VG_E_PARSE},
        {"[{\"id\":\"../../etc\",\"names\":[\"localhost/t:v1\"]}]", layers, "t:v1", VG_E_PARSE},
        {images, "[]", "t:v1", VG_E_NOTFOUND},
        {images, "{", "t:v1", VG_E_PARSE},
        /* a parent cycle stops at the layer bound */
        {images,
         "[{\"id\":\"" L1 "\",\"parent\":\"" L2 "\",\"diff-digest\":\"" D1 "\",\"diff-size\":1},"
         "{\"id\":\"" L2 "\",\"parent\":\"" L1 "\",\"diff-digest\":\"" D2 "\",\"diff-size\":1}]",
         "t:v1", VG_E_LIMIT},
        {images,
         "[{\"id\":\"" L2 "\",\"parent\":\"../x\",\"diff-digest\":\"" D2 "\",\"diff-size\":1}]",
         "t:v1", VG_E_PARSE},
        {images,
         "[{\"id\":\"" L2 "\",\"flags\":{\"incomplete\":true},\"diff-digest\":\"" D2
         "\",\"diff-size\":1}]",
         "t:v1", VG_E_UNSUPPORTED},
        {images, "[{\"id\":\"" L2 "\",\"diff-digest\":\"" D2 "\"}]", "t:v1", VG_E_UNSUPPORTED},
        {images, "[{\"id\":\"" L2 "\",\"diff-digest\":\"md5:x\",\"diff-size\":1}]", "t:v1",
         VG_E_PARSE},
        {"[{\"id\":\"" I1 "\",\"names\":[\"localhost/t:v1\"]}]", layers, "t:v1", VG_E_UNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vg_cstore_image im;
        struct vg_err *err = NULL;
        cr_assert_lt(resolve(&im, cases[i].imgs, cases[i].lays, cases[i].ref, &err), 0, "case %zu",
                     i);
        enum vg_errc c = vg_err_root_code(err);
        cr_assert_eq(c, cases[i].code, "case %zu: %s", i, err_text(err));
        vg_err_free(&err);
    }
}

/* ---------------------------------------------------------------- tar-split */

struct mem_in {
    const char *data;
    size_t len;
    bool done;
};

static int
mem_chunk(void *ctx, const uint8_t **data, size_t *len, struct vg_err **err)
{
    (void)err;
    struct mem_in *m = ctx;
    *data = (const uint8_t *)m->data;
    *len = m->done ? 0 : m->len;
    m->done = true;
    return 0;
}

static char tmpdir[] = "/tmp/vigil-tarsplit-XXXXXX";

static int
layer_dir(void)
{
    cr_assert_not_null(mkdtemp(tmpdir));
    char p[256];
    snprintf(p, sizeof(p), "%s/etc", tmpdir);
    cr_assert_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/etc/hostname", tmpdir);
    FILE *f = fopen(p, "w");
    fputs("box\n", f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/link", tmpdir);
    cr_assert_eq(symlink("etc", p), 0);
    snprintf(p, sizeof(p), "%s/fifo", tmpdir);
    cr_assert_eq(mkfifo(p, 0644), 0);
    return open(tmpdir, O_RDONLY | O_DIRECTORY);
}

static void
rm_layer_dir(int fd)
{
    close(fd);
    static const char *const names[] = {"etc/hostname", "link", "fifo", "etc", ""};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char p[256];
        snprintf(p, sizeof(p), "%s/%s", tmpdir, names[i]);
        cr_assert_eq(i >= 3 ? rmdir(p) : unlink(p), 0, "%s", p);
    }
}

static int
reassemble(int dirfd, const char *ts, struct vg_buf *out, struct vg_err **err)
{
    struct mem_in m = {ts, strlen(ts), false};
    struct vg_cstore_tarsplit *t = vg_oci_tarsplit_new(mem_chunk, &m, dirfd, "layer x");
    int rc = 0;
    for (;;) {
        uint8_t buf[3]; /* tiny reads cross every boundary */
        size_t got = 0;
        rc = vg_oci_tarsplit_read(t, buf, sizeof(buf), &got, err);
        if (rc < 0 || got == 0) {
            break;
        }
        cr_assert_eq(vg_buf_append(out, buf, got, NULL), 0);
    }
    vg_oci_tarsplit_free(t);
    return rc;
}

Test(oci_cstore, tarsplit_rebuilds_segments_and_files)
{
    int fd = layer_dir();
    /* "SGVhZA==" is "Head", "VGFpbA==" "Tail". */
    const char *ts = "{\"type\":2,\"payload\":\"SGVhZA==\",\"position\":0}\n"
                     "{\"type\":1,\"name\":\"./etc/\",\"payload\":null,\"position\":1}\n"
                     "{\"type\":1,\"name\":\"etc/hostname\",\"size\":4,\"position\":2}\n"
                     "{\"type\":1,\"name\":\"link\",\"position\":3}\n"
                     "{\"type\":2,\"payload\":\"VGFpbA==\",\"position\":4}";
    struct vg_buf out = VG_BUF_INIT(1024);
    struct vg_err *err = NULL;
    cr_assert_eq(reassemble(fd, ts, &out, &err), 0, "%s", err ? err_text(err) : "");
    cr_assert_eq(out.len, 12);
    cr_assert_eq(memcmp(out.data, "Headbox\nTail", 12), 0);
    vg_buf_dispose(&out);
    rm_layer_dir(fd);
}

Test(oci_cstore, tarsplit_hostile_records)
{
    int fd = layer_dir();
    struct {
        const char *ts;
        enum vg_errc code;
    } cases[] = {
        {"{\"type\":1,\"name\":\"../../etc/passwd\",\"size\":4}\n", VG_E_PARSE},
        {"{\"type\":1,\"name\":\"link/hostname\",\"size\":4}\n", VG_E_PARSE}, /* via a symlink */
        {"{\"type\":1,\"name\":\"link\",\"size\":4}\n", VG_E_PARSE},
        {"{\"type\":1,\"name\":\"fifo\",\"size\":4}\n", VG_E_PARSE}, /* never blocks on a FIFO */
        {"{\"type\":1,\"name\":\"etc\",\"size\":4}\n", VG_E_PARSE},
        {"{\"type\":1,\"name\":\"missing\",\"size\":4}\n", VG_E_NOTFOUND},
        {"{\"type\":1,\"name\":\"etc/hostname\",\"size\":9}\n", VG_E_VERIFY}, /* short */
        {"{\"type\":1,\"size\":4}\n", VG_E_PARSE},
        {"{\"type\":1,\"name\":\"etc/hostname\",\"size\":-1}\n", VG_E_PARSE},
        {"{\"type\":2,\"payload\":\"!!!\"}\n", VG_E_PARSE},
        {"{\"type\":2}\n", VG_E_PARSE},
        {"{\"type\":3,\"payload\":\"\"}\n", VG_E_PARSE},
        {"[1]\n", VG_E_PARSE},
        {"{\"type\":2,\"payload\":\"SGVhZA==\"}\nnot json\n", VG_E_PARSE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vg_buf out = VG_BUF_INIT(1024);
        struct vg_err *err = NULL;
        cr_assert_lt(reassemble(fd, cases[i].ts, &out, &err), 0, "case %zu", i);
        cr_assert(strstr(err_text(err), "layer x"), "case %zu: %s", i, err_text(err));
        enum vg_errc c = vg_err_root_code(err);
        cr_assert_eq(c, cases[i].code, "case %zu: %s", i, err_text(err));
        vg_err_free(&err);
        vg_buf_dispose(&out);
    }
    rm_layer_dir(fd);
}

Test(oci_cstore, names_before_id_prefixes)
{
    /* "aaaa2" is a prefix of I2 and the short name of the other image: the name wins, as in
     * containers/storage; a full ID always means the ID. */
    static const char imgs[] = "[{\"id\":\"" I1 "\",\"names\":[\"localhost/aaaa2:latest\"],"
                               "\"big-data-names\":[\"sha256:" I1 "\"]},"
                               " {\"id\":\"" I2 "\",\"big-data-names\":[\"sha256:" I2 "\"]}]";
    struct vg_cstore_image im;
    struct vg_err *err = NULL;
    cr_assert_eq(resolve(&im, imgs, "[]", "aaaa2", &err), 0);
    cr_assert_str_eq(im.id, I1);
    vg_oci_cstore_image_dispose(&im);
    cr_assert_eq(resolve(&im, imgs, "[]", "aaaa22", &err), 0);
    cr_assert_str_eq(im.id, I2);
    vg_oci_cstore_image_dispose(&im);
    cr_assert_eq(resolve(&im, imgs, "[]", I2, &err), 0);
    cr_assert_str_eq(im.id, I2);
    vg_oci_cstore_image_dispose(&im);
}
