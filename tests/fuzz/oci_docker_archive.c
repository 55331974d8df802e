/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: a docker-archive's manifest.json. The input becomes manifest.json in a small
 * in-memory tar next to a fixed image config (config.json, one diff_id) and an empty
 * layer.tar, opened through vg_oci_image_open_archive as `docker save` output would be.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config_json[] =
    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
    "[\"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"]}}";

static void
tar_add(uint8_t **buf, size_t *len, const char *name, const void *data, size_t n)
{
    size_t pad = (n + 511) / 512 * 512;
    uint8_t *p = realloc(*buf, *len + 512 + pad);
    if (!p) {
        abort();
    }
    *buf = p;
    uint8_t *h = p + *len;
    memset(h, 0, 512 + pad);
    snprintf((char *)h, 100, "%s", name);
    memcpy(h + 100, "0000644", 7);
    memcpy(h + 108, "0000000", 7);
    memcpy(h + 116, "0000000", 7);
    snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)n);
    memcpy(h + 136, "00000000000", 11);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < 512; i++) {
        sum += h[i];
    }
    snprintf((char *)h + 148, 8, "%06o", sum);
    if (n) {
        memcpy(h + 512, data, n);
    }
    *len += 512 + pad;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256 * 1024) {
        return 0;
    }
    uint8_t *tar = NULL;
    size_t len = 0;
    tar_add(&tar, &len, "config.json", config_json, sizeof(config_json) - 1);
    tar_add(&tar, &len, "layer.tar", NULL, 0);
    tar_add(&tar, &len, "manifest.json", data, size);
    uint8_t *end = realloc(tar, len + 1024);
    if (!end) {
        abort();
    }
    tar = end;
    memset(tar + len, 0, 1024);
    len += 1024;
    int fd = memfd_create("docker-archive", MFD_CLOEXEC);
    if (fd < 0 || write(fd, tar, len) != (ssize_t)len) {
        abort();
    }
    free(tar);
    struct vg_oci_archive_plain plain = {.fd = fd, .size = len, .compression = NULL};
    struct vg_oci_image *img = NULL;
    struct vg_err *err = NULL;
    if (vg_oci_image_open_archive(&img, "fuzz.tar", &plain, NULL, &err) == 0) {
        vg_oci_image_free(img);
    }
    vg_err_free(&err);
    return 0;
}
