/* SPDX-License-Identifier: Apache-2.0
 *
 * Standalone replay driver for fuzz harnesses when not building with libFuzzer: feeds every
 * file under the given directories (or the files themselves) to LLVMFuzzerTestOneInput once.
 * A crash, sanitizer report or hang fails the test; a missing corpus dir is not an error.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return 0;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (!buf) {
        return 1;
    }
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 1;
}

static int
run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return 0;
    }
    if (!S_ISDIR(st.st_mode)) {
        return run_file(path);
    }
    DIR *d = opendir(path);
    if (!d) {
        return 0;
    }
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        size_t l = strlen(path) + strlen(e->d_name) + 2;
        char *p = malloc(l);
        if (!p) {
            break;
        }
        snprintf(p, l, "%s/%s", path, e->d_name);
        count += run_path(p);
        free(p);
    }
    closedir(d);
    return count;
}

int
main(int argc, char **argv)
{
    int count = 0;
    /* The empty input and a few tiny ones always run, corpus or not. */
    static const uint8_t tiny[] = {0, '{', '}', '[', ']', 0xff};
    LLVMFuzzerTestOneInput(tiny, 0);
    for (size_t i = 1; i <= sizeof(tiny); i++) {
        LLVMFuzzerTestOneInput(tiny, i);
    }
    for (int i = 1; i < argc; i++) {
        count += run_path(argv[i]);
    }
    printf("replayed %d corpus inputs\n", count);
    return 0;
}
