/* SPDX-License-Identifier: Apache-2.0
 *
 * Image reference normalization, three ways, because each engine decides with its own:
 *   - vigil: Docker's (oci/ref.c): docker.io, "library/", ":latest".
 *   - policy-controller: go-containerregistry's weak-validation Name(): index.docker.io, a
 *     first component is a registry only when it holds '.' or ':' ("localhost/app" is a Docker
 *     Hub namespace), repositories of at least 2 characters, only sha256 digests, and a
 *     digest reference drops its tag.
 *   - Kyverno: "<registry>/<path>:<tag>" or "@<digest>", docker.io, no "library/".
 * Every entry point refuses strings over VG_POLICY_IMAGE_MAX before looking at them.
 */
#include "policy.h"
#include "policy_int.h"

#include "oci/oci.h"

#include <string.h>

int
vg_policy_ref_normalize(char **out, const char *image, struct vg_err **err)
{
    if (!image) {
        return vg_err_set(err, VG_E_USAGE, "invalid image reference: missing");
    }
    size_t n = strnlen(image, VG_POLICY_IMAGE_MAX + 1);
    if (n > VG_POLICY_IMAGE_MAX) {
        return vg_err_set(err, VG_E_USAGE,
                          "invalid image reference: longer than %u characters (%.32s...)",
                          VG_POLICY_IMAGE_MAX, image);
    }
    struct vg_oci_ref *r = NULL;
    if (vg_oci_ref_parse(&r, image, err) < 0) {
        return -(int)vg_err_code(*err);
    }
    *out = vg_oci_ref_string(r);
    vg_oci_ref_free(r);
    return 0;
}

static bool
lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)* per component, components joined by '/'. */
static bool
repo_grammar(const char *s, size_t n)
{
    if (n == 0) {
        return false;
    }
    size_t i = 0;
    for (;;) {
        if (i >= n || !lower_alnum(s[i])) {
            return false;
        }
        while (i < n && lower_alnum(s[i])) {
            i++;
        }
        if (i == n) {
            return true;
        }
        if (s[i] == '/') {
            i++;
            continue;
        }
        if (s[i] == '.') {
            i++;
        } else if (s[i] == '_') {
            i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
        } else if (s[i] == '-') {
            while (i < n && s[i] == '-') {
                i++;
            }
        } else {
            return false;
        }
    }
}

static bool
tag_grammar(const char *s, size_t n)
{
    if (n == 0 || n > 128) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool w = lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_';
        if (!w && (i == 0 || (c != '.' && c != '-'))) {
            return false;
        }
    }
    return true;
}

static bool
sha256_digest(const char *s, size_t n)
{
    if (n != 71 || memcmp(s, "sha256:", 7) != 0) {
        return false;
    }
    for (size_t i = 7; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

/* go-containerregistry registry check: a URL host ("//" + name must parse back to name). We
 * accept host characters only. */
static bool
ggcr_registry(const char *s, size_t n)
{
    if (n == 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == ':' ||
              c == '[' || c == ']' || c == '_')) {
            return false;
        }
    }
    return true;
}

/* NewRepository(name).Name(), or NULL. */
static char *
ggcr_repo_name(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    const char *reg = "index.docker.io";
    size_t reglen = strlen(reg);
    const char *repo = s;
    size_t repolen = n;
    if (slash && (memchr(s, '.', (size_t)(slash - s)) || memchr(s, ':', (size_t)(slash - s)))) {
        size_t hl = (size_t)(slash - s);
        if (!ggcr_registry(s, hl)) {
            return NULL;
        }
        if (!(hl == 9 && memcmp(s, "docker.io", 9) == 0)) {
            reg = s;
            reglen = hl;
        }
        repo = slash + 1;
        repolen = n - hl - 1;
    }
    if (repolen < 2 || repolen > 255 || !repo_grammar(repo, repolen)) {
        return NULL;
    }
    bool library = strcmp(reg, "index.docker.io") == 0 && !memchr(repo, '/', repolen);
    return vg_fmt("%.*s/%s%.*s", (int)reglen, reg, library ? "library/" : "", (int)repolen, repo);
}

char *
vg_policy_ref_cip_name(const char *image)
{
    if (!image) {
        return NULL;
    }
    size_t n = strnlen(image, VG_POLICY_IMAGE_MAX + 1);
    if (n == 0 || n > VG_POLICY_IMAGE_MAX) {
        return NULL;
    }
    const char *at = memchr(image, '@', n);
    if (at) {
        if (memchr(at + 1, '@', n - (size_t)(at - image) - 1)) {
            return NULL;
        }
        const char *dig = at + 1;
        size_t diglen = n - (size_t)(at - image) - 1;
        if (!sha256_digest(dig, diglen)) {
            return NULL;
        }
        size_t base = (size_t)(at - image);
        /* A tag before the digest is parsed, then dropped. */
        const char *lastslash = memrchr(image, '/', base);
        size_t from = lastslash ? (size_t)(lastslash - image) + 1 : 0;
        const char *colon = memchr(image + from, ':', base - from);
        if (colon && tag_grammar(colon + 1, base - (size_t)(colon - image) - 1)) {
            base = (size_t)(colon - image);
        }
        char *repo = ggcr_repo_name(image, base);
        if (!repo) {
            return NULL;
        }
        char *out = vg_fmt("%s@%.*s", repo, (int)diglen, dig);
        free(repo);
        return out;
    }
    const char *lastslash = memrchr(image, '/', n);
    size_t from = lastslash ? (size_t)(lastslash - image) + 1 : 0;
    const char *colon = memchr(image + from, ':', n - from);
    size_t base = n;
    const char *tag = "latest";
    size_t taglen = 6;
    if (colon) {
        tag = colon + 1;
        taglen = n - (size_t)(colon - image) - 1;
        if (!tag_grammar(tag, taglen)) {
            return NULL;
        }
        base = (size_t)(colon - image);
    }
    char *repo = ggcr_repo_name(image, base);
    if (!repo) {
        return NULL;
    }
    char *out = vg_fmt("%s:%.*s", repo, (int)taglen, tag);
    free(repo);
    return out;
}

char *
vg_policy_ref_kyverno(const char *image)
{
    if (!image) {
        return NULL;
    }
    size_t n = strnlen(image, VG_POLICY_IMAGE_MAX + 1);
    if (n == 0 || n > VG_POLICY_IMAGE_MAX) {
        return NULL;
    }
    struct vg_oci_ref *r = NULL;
    struct vg_err *e = NULL;
    if (vg_oci_ref_parse(&r, image, &e) < 0) {
        vg_err_free(&e);
        return NULL;
    }
    /* Kyverno keeps the path as written: undo "library/" when the input did not have it. */
    const char *repo = r->repository;
    if (strcmp(r->registry, "docker.io") == 0 && strncmp(repo, "library/", 8) == 0) {
        char *lib = vg_fmt("/%s", repo);
        bool written = strstr(image, lib) != NULL || strncmp(image, "library/", 8) == 0;
        free(lib);
        if (!written) {
            repo += 8;
        }
    }
    char *out = r->digest ? vg_fmt("%s/%s@%s", r->registry, repo, r->digest)
                          : vg_fmt("%s/%s:%s", r->registry, repo, r->tag);
    vg_oci_ref_free(r);
    return out;
}
