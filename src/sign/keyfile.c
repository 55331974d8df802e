/* SPDX-License-Identifier: Apache-2.0
 *
 * Key loading, the one place that turns key files or key bytes into crypto/ keys for every
 * user (the CLI's sign/verify/attest/blob commands, and servers holding keys inline in their
 * configuration): a cosign encrypted private key (the password asked of the caller's source
 * only after the envelope parsed) and public keys given as files, as
 * bytes, or as a directory of keys (key rotation: every `*.pub` / `*.pem` in it, sorted by
 * name). Error messages name the key ("key NAME: ...", "public key NAME: ...").
 */
#include "sign_int.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

int
vg_sign_key_load_private_mem(struct vg_crypto_key **out, const char *name, const void *data,
                             size_t len, const struct vg_crypto_password *pw, struct vg_err **err)
{
    if (vg_crypto_key_load_private(out, data, len, pw, err) < 0) {
        return vg_err_wrap(err, "key %s", name);
    }
    return 0;
}

int
vg_sign_key_load_private(struct vg_crypto_key **out, const char *path,
                         const struct vg_crypto_password *pw, struct vg_err **err)
{
    vg_autobuf struct vg_buf pem = VG_BUF_INIT(VG_CRYPTO_KEY_FILE_MAX);
    if (vg_file_read(&pem, path, VG_CRYPTO_KEY_FILE_MAX, err) < 0) {
        return vg_err_wrap(err, "key %s", path);
    }
    return vg_sign_key_load_private_mem(out, path, pem.data, pem.len, pw, err);
}

int
vg_sign_key_load_public_mem(struct vg_crypto_key **out, const char *name, const void *data,
                            size_t len, struct vg_err **err)
{
    if (vg_crypto_key_load_public(out, data, len, err) < 0) {
        return vg_err_wrap(err, "public key %s", name);
    }
    return 0;
}

int
vg_sign_key_load_public(struct vg_crypto_key **out, const char *path, struct vg_err **err)
{
    vg_autobuf struct vg_buf data = VG_BUF_INIT(VG_CRYPTO_KEY_FILE_MAX);
    if (vg_file_read(&data, path, VG_CRYPTO_KEY_FILE_MAX, err) < 0) {
        return vg_err_wrap(err, "public key %s", path);
    }
    return vg_sign_key_load_public_mem(out, path, data.data, data.len, err);
}

int
vg_sign_keyset_add_mem(struct vg_sign_keyset *ks, const char *name, const void *data, size_t len,
                       struct vg_err **err)
{
    if (ks->n >= VG_SIGN_MAX_KEYS) {
        return vg_err_set(err, VG_E_LIMIT, "more than %u public keys", VG_SIGN_MAX_KEYS);
    }
    struct vg_crypto_key *k = NULL;
    int rc = vg_sign_key_load_public_mem(&k, name, data, len, err);
    if (rc < 0) {
        return rc;
    }
    VG_ARRAY_GROW(ks->keys, ks->n, 1);
    VG_ARRAY_GROW(ks->paths, ks->n, 1);
    ks->keys[ks->n] = k;
    ks->paths[ks->n] = vg_strdup(name);
    ks->n++;
    return 0;
}

static int
load_one(struct vg_sign_keyset *ks, const char *path, struct vg_err **err)
{
    vg_autobuf struct vg_buf data = VG_BUF_INIT(VG_CRYPTO_KEY_FILE_MAX);
    if (vg_file_read(&data, path, VG_CRYPTO_KEY_FILE_MAX, err) < 0) {
        return vg_err_wrap(err, "public key %s", path);
    }
    return vg_sign_keyset_add_mem(ks, path, data.data, data.len, err);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
load_dir(struct vg_sign_keyset *ks, const char *dir, struct vg_err **err)
{
    DIR *d = opendir(dir);
    if (!d) {
        return vg_err_sys(err, VG_E_IO, "open key directory %s", dir);
    }
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' ||
            !(vg_cstr_endswith(e->d_name, ".pub") || vg_cstr_endswith(e->d_name, ".pem"))) {
            continue;
        }
        if (n >= VG_SIGN_MAX_KEYS) {
            rc = vg_err_set(err, VG_E_LIMIT, "%s holds more than %u keys", dir, VG_SIGN_MAX_KEYS);
            break;
        }
        VG_ARRAY_GROW(names, n, 1);
        names[n++] = vg_fmt("%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (rc == 0 && n == 0) {
        rc = vg_err_set(err, VG_E_NOTFOUND, "no *.pub or *.pem keys in %s", dir);
    }
    if (n) {
        vg_qsort(names, n, sizeof(*names), cmp_str);
    }
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            rc = load_one(ks, names[i], err);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int
vg_sign_keyset_add(struct vg_sign_keyset *ks, const char *path, struct vg_err **err)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        return vg_err_sys(err, VG_E_NOTFOUND, "public key %s", path);
    }
    return S_ISDIR(st.st_mode) ? load_dir(ks, path, err) : load_one(ks, path, err);
}

void
vg_sign_keyset_dispose(struct vg_sign_keyset *ks)
{
    for (size_t i = 0; i < ks->n; i++) {
        vg_crypto_key_free(ks->keys[i]);
        free(ks->paths[i]);
    }
    free(ks->keys);
    free(ks->paths);
    *ks = (struct vg_sign_keyset){0};
}
