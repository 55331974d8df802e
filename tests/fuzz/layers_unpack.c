/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for compressed docker-archive files (layers/unpack.c, formerly
 * oci/archive_unpack.c): arbitrary bytes as a gzip/zstd/xz/bzip2 stream through the detector
 * and the one-pass decompressor (bounded to 4 MiB, so bombs stop early), then, when it yields
 * a file, through oci's tar indexer as the docker-archive source would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layers/layers.h"
#include "oci/archive_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int in = memfd_create("fuzz-in", MFD_CLOEXEC);
    if (in < 0) {
        return 0;
    }
    if (write(in, data, size) != (ssize_t)size || lseek(in, 0, SEEK_SET) != 0) {
        close(in);
        return 0;
    }
    struct vg_layers_unpack_opts o = {.max_bytes = 4u * 1024u * 1024u, .min_free_bytes = 1};
    struct vg_err *err = NULL;
    int out = -1;
    uint64_t n = 0;
    if (vg_layers_unpack_file(&out, &n, in, "fuzz", &o, &err) == 0) {
        struct stat st;
        if (n > o.max_bytes || fstat(out, &st) != 0 || (uint64_t)st.st_size != n) {
            abort(); /* the bound and the reported size are the unpacker's guarantees */
        }
        struct vg_oci_tar_index idx;
        if (vg_oci_tar_index_build(&idx, out, n, &err) == 0) {
            vg_oci_tar_index_dispose(&idx);
        }
        close(out);
    }
    vg_err_free(&err);
    close(in);
    return 0;
}
