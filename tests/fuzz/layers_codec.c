/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: layers' codec API (codec.c) on arbitrary bytes: the one-shot bounded inflate in
 * each format (zlib, raw deflate, gzip; 1 MiB cap), the incremental inflater fed in small
 * pieces, and the streaming reader (gzip/zstd/plain by magic; 4 MiB cap) over a memfd.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "layers/layers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP_BUF   (1u << 20)
#define CAP_ZREAD (4u << 20)

static void
incremental(const uint8_t *data, size_t size)
{
    struct vg_inflater *z = vg_inflater_new(VG_INFLATE_ZLIB);
    uint8_t out[512];
    size_t total = 0;
    for (size_t off = 0; off < size && total < CAP_BUF;) {
        const uint8_t *in = data + off;
        size_t left = size - off < 7 ? size - off : 7, before = left, got = 0;
        int r = vg_inflater_run(z, &in, &left, out, sizeof(out), &got, NULL);
        if (got > sizeof(out)) {
            abort(); /* the caller's cap is the inflater's guarantee */
        }
        total += got;
        off = (size_t)(in - data);
        if (r != 0 || (got == 0 && left == before)) {
            break;
        }
    }
    vg_inflater_free(z);
}

static void
zread(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-codec", MFD_CLOEXEC);
    if (fd < 0) {
        return;
    }
    if (write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0) {
        struct vg_zread *r = NULL;
        struct vg_err *err = NULL;
        uint64_t total = 0;
        if (vg_zread_open(&r, fd, "fuzz", CAP_ZREAD, &err) == 0) {
            for (;;) {
                const uint8_t *d;
                size_t n;
                if (vg_zread_read(r, &d, &n, &err) < 0 || n == 0) {
                    break;
                }
                total += n;
                if (total > CAP_ZREAD) {
                    abort();
                }
            }
        }
        vg_zread_close(r);
        vg_err_free(&err);
    }
    close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum vg_inflate_fmt fmts[] = {VG_INFLATE_ZLIB, VG_INFLATE_RAW, VG_INFLATE_GZIP};
    for (size_t i = 0; i < 3; i++) {
        struct vg_buf out = VG_BUF_INIT(CAP_BUF + 1);
        struct vg_err *err = NULL;
        if (vg_inflate_buf(fmts[i], data, size, CAP_BUF, &out, &err) == 0 && out.len > CAP_BUF) {
            abort();
        }
        vg_err_free(&err);
        vg_buf_dispose(&out);
    }
    incremental(data, size);
    zread(data, size);
    return 0;
}
