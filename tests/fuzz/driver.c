/* SPDX-License-Identifier: Apache-2.0
 *
 * Standalone replay driver for fuzz harnesses when not building with libFuzzer: feeds every
 * file under the given directories (or the files themselves) to LLVMFuzzerTestOneInput once.
 * Each input is copied into a heap buffer of exactly its size, so a harness reading one byte
 * past the end is caught by ASan as it would be under libFuzzer. A crash, sanitizer report or
 * hang fails the test, and so does a corpus that is missing, unreadable or empty: a replay
 * that silently runs nothing proves nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs one input from an exact-size heap copy (malloc(0) for the empty input). */
static int
run_exact(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        fprintf(stderr, "fuzz driver: out of memory for a %zu-byte input\n", len);
        return -1;
    }
    if (len) {
        memcpy(copy, data, len);
    }
    LLVMFuzzerTestOneInput(len ? copy : copy + 1, len);
    free(copy);
    return 0;
}

static int
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz driver: cannot open %s: %s\n", path, strerror(errno));
        return -1;
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
            }
            buf = nb;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        fprintf(stderr, "fuzz driver: cannot read %s\n", path);
        free(buf);
        return -1;
    }
    int rc = run_exact(buf, len);
    free(buf);
    return rc < 0 ? -1 : 1;
}

/* Number of inputs run under path, or -1 after the first one that cannot be read. */
static int
run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz driver: corpus %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        return run_file(path);
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "fuzz driver: cannot open corpus dir %s: %s\n", path, strerror(errno));
        return -1;
    }
    int count = 0;
    struct dirent *e;
    while (count >= 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        size_t l = strlen(path) + strlen(e->d_name) + 2;
        char *p = malloc(l);
        if (!p) {
            count = -1;
            break;
        }
        snprintf(p, l, "%s/%s", path, e->d_name);
        int n = run_path(p);
        count = n < 0 ? -1 : count + n;
        free(p);
    }
    closedir(d);
    if (count == 0) {
        fprintf(stderr, "fuzz driver: corpus dir %s holds no inputs\n", path);
        return -1;
    }
    return count;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    /* The empty input and a few tiny ones always run, corpus or not. */
    static const uint8_t tiny[] = {0, '{', '}', '[', ']', 0xff};
    for (size_t i = 0; i <= sizeof(tiny); i++) {
        if (run_exact(tiny, i) < 0) {
            return 1;
        }
    }
    int count = 0;
    for (int i = 1; i < argc; i++) {
        int n = run_path(argv[i]);
        if (n < 0) {
            return 1;
        }
        count += n;
    }
    printf("replayed %d corpus inputs\n", count);
    return 0;
}
