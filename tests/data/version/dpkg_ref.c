/* SPDX-License-Identifier: Apache-2.0
 *
 * Reference comparator for the differential test of `vigil vercmp deb`: reads "A B" lines on
 * stdin and prints <, = or > using libdpkg's own parseversion() and dpkg_version_compare() —
 * the functions behind `dpkg --compare-versions` — or '!' when dpkg would reject a version
 * (parse warnings are ignored, as dpkg --compare-versions does). Built by the e2e test with
 * `cc dpkg_ref.c -ldpkg` when libdpkg-dev is installed.
 */
#define LIBDPKG_VOLATILE_API 1
#include <stdio.h>
#include <string.h>

#include <dpkg/dpkg-db.h>
#include <dpkg/dpkg.h>
#include <dpkg/version.h>

static int
parse(struct dpkg_version *v, const char *s)
{
    struct dpkg_error err = DPKG_ERROR_INIT;
    int rc = parseversion(v, s, &err);
    if (rc < 0 && err.type == DPKG_MSG_ERROR) {
        dpkg_error_destroy(&err);
        return -1;
    }
    dpkg_error_destroy(&err);
    return 0;
}

/* Splits off the next blank-separated word of *p (NUL-terminating it), or NULL. */
static char *
word(char **p)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
        s++;
    }
    if (!*s) {
        return NULL;
    }
    char *e = s;
    while (*e && *e != ' ' && *e != '\t' && *e != '\r' && *e != '\n') {
        e++;
    }
    if (*e) {
        *e++ = '\0';
    }
    *p = e;
    return s;
}

int
main(void)
{
    char line[8192];
    while (fgets(line, sizeof(line), stdin)) {
        char *p = line;
        char *a = word(&p);
        char *b = word(&p);
        struct dpkg_version va, vb;
        if (!a || !b || parse(&va, a) < 0 || parse(&vb, b) < 0) {
            puts("!");
            continue;
        }
        int r = dpkg_version_compare(&va, &vb);
        puts(r < 0 ? "<" : (r > 0 ? ">" : "="));
    }
    return 0;
}
