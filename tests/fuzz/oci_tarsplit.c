/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for tar-split reassembly (oci/tarsplit.c): arbitrary JSON lines, fed in chunks
 * whose size the first byte picks, against a small layer directory made once (a file, a
 * directory, a symlink out of it and a FIFO): file names must never escape it or block.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/cstore_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/vigil-fuzz-tarsplit-XXXXXX";
static int dirfd_ = -1;

static void
cleanup(void)
{
    close(dirfd_);
    char p[128];
    const char *names[] = {"etc/hostname", "out", "fifo"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        unlink(p);
    }
    snprintf(p, sizeof(p), "%s/etc", dir);
    rmdir(p);
    rmdir(dir);
}

static void
setup(void)
{
    if (!mkdtemp(dir)) {
        abort();
    }
    char p[128];
    snprintf(p, sizeof(p), "%s/etc", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/etc/hostname", dir);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs("box\n", f);
        fclose(f);
    }
    snprintf(p, sizeof(p), "%s/out", dir);
    if (symlink("/etc", p) < 0) {
        abort();
    }
    snprintf(p, sizeof(p), "%s/fifo", dir);
    mkfifo(p, 0644);
    dirfd_ = open(dir, O_RDONLY | O_DIRECTORY);
    atexit(cleanup);
}

struct in {
    const uint8_t *p;
    size_t left, step;
};

static int
chunk(void *ctx, const uint8_t **data, size_t *len, struct vg_err **err)
{
    (void)err;
    struct in *in = ctx;
    size_t n = in->left < in->step ? in->left : in->step;
    *data = in->p;
    *len = n;
    in->p += n;
    in->left -= n;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (dirfd_ < 0) {
        setup();
    }
    if (size < 1) {
        return 0;
    }
    struct in in = {data + 1, size - 1, (size_t)data[0] % 64 + 1};
    struct vg_cstore_tarsplit *t = vg_oci_tarsplit_new(chunk, &in, dirfd_, "fuzz");
    struct vg_err *err = NULL;
    uint8_t buf[512];
    size_t total = 0;
    for (;;) {
        size_t got = 0;
        if (vg_oci_tarsplit_read(t, buf, sizeof(buf), &got, &err) < 0 || got == 0) {
            break;
        }
        total += got;
    }
    (void)total;
    vg_oci_tarsplit_free(t);
    vg_err_free(&err);
    return 0;
}
