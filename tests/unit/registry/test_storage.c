/* SPDX-License-Identifier: Apache-2.0
 *
 * Tests for the filesystem storage driver: content-addressed layout, upload append/abort/
 * resume, atomic publish, read handles with fds, walk, delete, and ids that cannot name
 * anything outside the root.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/storage.h"

static char *
tmp_root(void)
{
    char tmpl[] = "/tmp/vg_regstore.XXXXXX";
    char *d = mkdtemp(tmpl);
    cr_assert(d);
    return vg_fmt("%s/root", d);
}

static struct vg_registry_storage *
open_fs(const char *root)
{
    struct vg_registry_storage *s = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_registry_storage_fs_new(&s, root, &err), 0);
    return s;
}

static int
count_blob(void *ud, const struct vg_digest *d, uint64_t size)
{
    (void)d;
    (void)size;
    (*(int *)ud)++;
    return 0;
}

Test(registry_storage, upload_append_publish_read)
{
    vg_autofree char *root = tmp_root();
    struct vg_registry_storage *s = open_fs(root);
    struct vg_err *err = NULL;
    char id[33];
    vg_registry_upload_id_new(id);
    cr_assert(vg_registry_upload_id_valid(id));
    cr_assert_eq(s->ops->upload_create(s, id, &err), 0);

    struct vg_registry_writer *w = NULL;
    cr_assert_eq(s->ops->upload_open(s, id, 0, &w, &err), 0);
    cr_assert_eq(w->ops->write(w, "hello ", 6, &err), 0);
    vg_registry_writer_free(w);

    /* a second chunk that is aborted leaves the upload at its offset */
    cr_assert_eq(s->ops->upload_open(s, id, 6, &w, &err), 0);
    cr_assert_eq(w->ops->write(w, "garbage", 7, &err), 0);
    w->ops->abort(w);
    vg_registry_writer_free(w);
    /* resuming beyond what is stored is refused (a crash lost bytes) */
    cr_assert_lt(s->ops->upload_open(s, id, 100, &w, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_VERIFY);
    vg_err_free(&err);

    cr_assert_eq(s->ops->upload_open(s, id, 6, &w, &err), 0);
    cr_assert_eq(w->ops->write(w, "world", 5, &err), 0);
    vg_registry_writer_free(w);

    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, "hello world", 11);
    uint64_t size = 0;
    cr_assert_lt(s->ops->blob_stat(s, &d, &size, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
    cr_assert_eq(s->ops->upload_publish(s, id, 11, &d, &err), 0);
    cr_assert_eq(s->ops->blob_stat(s, &d, &size, &err), 0);
    cr_assert_eq(size, 11);

    /* the upload is gone, the blob is at its content address */
    cr_assert_lt(s->ops->upload_read(s, id, &(struct vg_registry_rhandle *){NULL}, &err), 0);
    vg_err_free(&err);
    vg_autofree char *path =
        vg_fmt("%s/blobs/sha256/%.2s/%s", root, vg_digest_hex(&d), vg_digest_hex(&d));
    cr_assert(vg_path_exists(path));

    struct vg_registry_rhandle *h = NULL;
    cr_assert_eq(s->ops->blob_open(s, &d, &h, &err), 0);
    cr_assert_eq(h->size, 11);
    char buf[16] = {0};
    size_t got = 0;
    cr_assert_eq(h->ops->read(h, 6, buf, sizeof(buf), &got, &err), 0);
    cr_assert_eq(got, 5);
    cr_assert_str_eq(buf, "world");
    int fd = h->ops->take_fd(h);
    cr_assert_geq(fd, 0);
    close(fd);
    vg_registry_rhandle_free(h);

    int n = 0;
    cr_assert_eq(s->ops->blob_walk(s, count_blob, &n, &err), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(s->ops->blob_delete(s, &d, &err), 0);
    cr_assert_lt(s->ops->blob_stat(s, &d, &size, &err), 0);
    vg_err_free(&err);
    vg_registry_storage_free(s);
}

Test(registry_storage, blob_put_sha512_and_publish_truncates)
{
    vg_autofree char *root = tmp_root();
    struct vg_registry_storage *s = open_fs(root);
    struct vg_err *err = NULL;
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA512, "{}", 2);
    cr_assert_eq(s->ops->blob_put(s, &d, "{}", 2, &err), 0);
    uint64_t size = 0;
    cr_assert_eq(s->ops->blob_stat(s, &d, &size, &err), 0);
    cr_assert_eq(size, 2);
    /* put again: same content, no error */
    cr_assert_eq(s->ops->blob_put(s, &d, "{}", 2, &err), 0);

    /* publish takes only the first `size` bytes */
    char id[33];
    vg_registry_upload_id_new(id);
    cr_assert_eq(s->ops->upload_create(s, id, &err), 0);
    struct vg_registry_writer *w = NULL;
    cr_assert_eq(s->ops->upload_open(s, id, 0, &w, &err), 0);
    cr_assert_eq(w->ops->write(w, "abcXYZ", 6, &err), 0);
    vg_registry_writer_free(w);
    struct vg_digest abc;
    vg_digest_of(&abc, VG_DIGEST_SHA256, "abc", 3);
    cr_assert_eq(s->ops->upload_publish(s, id, 3, &abc, &err), 0);
    cr_assert_eq(s->ops->blob_stat(s, &abc, &size, &err), 0);
    cr_assert_eq(size, 3);
    vg_registry_storage_free(s);
}

Test(registry_storage, ids_cannot_escape_the_root)
{
    cr_assert_not(vg_registry_upload_id_valid("../x"));
    cr_assert_not(vg_registry_upload_id_valid("a/b"));
    cr_assert_not(vg_registry_upload_id_valid(".."));
    cr_assert_not(vg_registry_upload_id_valid(""));
    cr_assert_not(vg_registry_upload_id_valid(NULL));
    char longid[VG_REGISTRY_UPLOAD_ID_MAX + 2];
    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    cr_assert_not(vg_registry_upload_id_valid(longid));
    longid[VG_REGISTRY_UPLOAD_ID_MAX] = '\0';
    cr_assert(vg_registry_upload_id_valid(longid));

    vg_autofree char *root = tmp_root();
    struct vg_registry_storage *s = open_fs(root);
    struct vg_err *err = NULL;
    cr_assert_lt(s->ops->upload_create(s, "../../escape", &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_USAGE);
    vg_err_free(&err);
    cr_assert_lt(s->ops->upload_delete(s, "../meta.db", &err), 0);
    vg_err_free(&err);
    vg_registry_storage_free(s);
}

Test(registry_storage, symlinked_upload_is_not_followed)
{
    vg_autofree char *root = tmp_root();
    struct vg_registry_storage *s = open_fs(root);
    struct vg_err *err = NULL;
    vg_autofree char *outside = vg_fmt("%s.outside", root);
    int fd = open(outside, O_WRONLY | O_CREAT, 0644);
    cr_assert_geq(fd, 0);
    close(fd);
    vg_autofree char *link = vg_fmt("%s/uploads/planted", root);
    cr_assert_eq(symlink(outside, link), 0);
    struct vg_registry_writer *w = NULL;
    cr_assert_lt(s->ops->upload_open(s, "planted", 0, &w, &err), 0);
    vg_err_free(&err);
    vg_registry_storage_free(s);
}

/* Uploads larger than the writeback step (storage_fs.c starts writeback every few MiB while
 * an upload streams in): chunks that cross steps, resume at an offset inside a step, an abort
 * after writeback of its bytes started, then publish: the blob is exactly what was kept. */
Test(registry_storage, large_upload_across_writeback_steps)
{
    vg_autofree char *root = tmp_root();
    struct vg_registry_storage *s = open_fs(root);
    struct vg_err *err = NULL;
    char id[33];
    vg_registry_upload_id_new(id);
    cr_assert_eq(s->ops->upload_create(s, id, &err), 0);
    size_t n = 21u * 1024u * 1024u + 777u, piece = 32749u;
    uint8_t *data = vg_malloc(n);
    for (size_t i = 0; i < n; i++) {
        data[i] = (uint8_t)(i * 131u + i / 4099u);
    }
    size_t split = 9u * 1024u * 1024u + 12345u;
    struct vg_registry_writer *w = NULL;
    cr_assert_eq(s->ops->upload_open(s, id, 0, &w, &err), 0);
    for (size_t off = 0; off < split; off += piece) {
        size_t k = split - off < piece ? split - off : piece;
        cr_assert_eq(w->ops->write(w, data + off, k, &err), 0);
    }
    vg_registry_writer_free(w);
    /* 9 MiB of garbage after the offset, aborted */
    cr_assert_eq(s->ops->upload_open(s, id, split, &w, &err), 0);
    for (size_t off = 0; off < 9u * 1024u * 1024u; off += piece) {
        cr_assert_eq(w->ops->write(w, data, piece, &err), 0);
    }
    w->ops->abort(w);
    vg_registry_writer_free(w);
    cr_assert_eq(s->ops->upload_open(s, id, split, &w, &err), 0);
    for (size_t off = split; off < n; off += piece) {
        size_t k = n - off < piece ? n - off : piece;
        cr_assert_eq(w->ops->write(w, data + off, k, &err), 0);
    }
    vg_registry_writer_free(w);
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, data, n);
    cr_assert_eq(s->ops->upload_publish(s, id, n, &d, &err), 0);
    struct vg_registry_rhandle *h = NULL;
    cr_assert_eq(s->ops->blob_open(s, &d, &h, &err), 0);
    cr_assert_eq(h->size, n);
    uint8_t *back = vg_malloc(n);
    size_t off = 0;
    while (off < n) {
        size_t got = 0;
        cr_assert_eq(h->ops->read(h, off, back + off, n - off, &got, &err), 0);
        cr_assert_gt(got, 0);
        off += got;
    }
    cr_assert(memcmp(back, data, n) == 0);
    vg_registry_rhandle_free(h);
    vg_registry_storage_free(s);
    free(back);
    free(data);
}
