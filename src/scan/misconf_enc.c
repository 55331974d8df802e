/* SPDX-License-Identifier: Apache-2.0
 *
 * EncryptionConfiguration checks (apiserver.config.k8s.io/v1, the file the apiserver reads
 * with --encryption-provider-config): whether Secrets are encrypted at rest at all, whether
 * identity comes before a real provider (new writes then go to etcd in plain text), which
 * providers are used (kms v2 is what Kubernetes recommends; aescbc and aesgcm have known
 * weaknesses; kms v1 is deprecated), and the keys the file itself holds: committed at all,
 * valid base64, of the size the provider needs. Trivy has no such checks: the ids are vigil's.
 */
#include "scan.h"
#include "config/config.h"
#include "misconf_int.h"

#include <string.h>

static bool
covers_secrets(const struct vg_config_node *resources)
{
    for (size_t i = 0; resources && i < vg_config_node_len(resources); i++) {
        const char *r = vg_config_node_scalar(vg_config_seq_at(resources, i), NULL);
        if (r && (strcmp(r, "secrets") == 0 || strcmp(r, "*.*") == 0 || strcmp(r, "*.") == 0)) {
            return true;
        }
    }
    return false;
}

static char *
resource_list(const struct vg_config_node *resources)
{
    struct vg_buf b = VG_BUF_INIT(512);
    for (size_t i = 0; resources && i < vg_config_node_len(resources) && b.len < 400; i++) {
        const char *r = vg_config_node_scalar(vg_config_seq_at(resources, i), NULL);
        vg_autofree char *er = r ? vg_escape(r, strlen(r), 80) : NULL;
        if (er && vg_buf_appendf(&b, NULL, "%s%s", b.len ? ", " : "", er) < 0) {
            break;
        }
    }
    char *s = vg_buf_take(&b, NULL);
    if (!*s) {
        free(s);
        s = vg_strdup("(no resources)");
    }
    return s;
}

static void
check_keys(struct vg_misconf_ctx *m, const char *name, const struct vg_config_node *prov,
           size_t scope)
{
    const struct vg_config_node *keys = vg_misconf_seq(prov, "keys");
    size_t n = keys ? vg_config_node_len(keys) : 0;
    if (!n) {
        return;
    }
    vg_misconf_fail(m, "VG-ENC-006", vg_config_node_line(keys), vg_config_node_line(keys), scope,
                    vg_fmt("%s provider: %zu key%s in the file", name, n, n == 1 ? "" : "s"));
    bool secretbox = strcmp(name, "secretbox") == 0;
    for (size_t i = 0; i < n; i++) {
        const struct vg_config_node *k = vg_config_seq_at(keys, i);
        const char *kname = vg_misconf_str(k, "name");
        vg_autofree char *ek = kname ? vg_escape(kname, strlen(kname), 80) : vg_fmt("#%zu", i + 1);
        const char *secret = vg_misconf_str(k, "secret");
        size_t line = vg_config_node_line(k);
        uint8_t *raw = NULL;
        size_t rawlen = 0;
        struct vg_err *err = NULL;
        if (!secret || !*secret ||
            vg_base64_decode(&raw, &rawlen, secret, strlen(secret), false, &err) < 0) {
            vg_err_free(&err); /* a bad key is this finding, not an error of the scan */
            vg_misconf_fail(m, "VG-ENC-007", line, line, scope,
                            vg_fmt("%s key %s: the secret is not valid base64", name, ek));
            continue;
        }
        bool ok = secretbox ? rawlen == 32 : (rawlen == 16 || rawlen == 24 || rawlen == 32);
        if (!ok) {
            vg_misconf_fail(m, "VG-ENC-007", line, line, scope,
                            vg_fmt("%s key %s is %zu bytes (%s)", name, ek, rawlen,
                                   secretbox ? "secretbox needs 32" : "want 16, 24 or 32"));
        } else if (!secretbox && rawlen < 32) {
            vg_misconf_fail(m, "VG-ENC-007", line, line, scope,
                            vg_fmt("%s key %s is %zu bytes: use 32-byte keys", name, ek, rawlen));
        }
        if (raw) {
            explicit_bzero(raw, rawlen);
        }
        free(raw);
    }
}

void
vg_misconf_encryption(struct vg_misconf_ctx *m, const struct vg_config_node *root)
{
    size_t scope = vg_config_node_line(root);
    const struct vg_config_node *entries = vg_misconf_seq(root, "resources");
    bool secrets = false;
    for (size_t i = 0; entries && i < vg_config_node_len(entries); i++) {
        const struct vg_config_node *ent = vg_config_seq_at(entries, i);
        const struct vg_config_node *res = vg_misconf_seq(ent, "resources");
        const struct vg_config_node *provs = vg_misconf_seq(ent, "providers");
        vg_autofree char *what = resource_list(res);
        bool has_secrets = covers_secrets(res);
        for (size_t k = 0; provs && k < vg_config_node_len(provs); k++) {
            const struct vg_config_node *p = vg_config_seq_at(provs, k);
            if (vg_config_node_type(p) != VG_CONFIG_MAP || !vg_config_node_len(p)) {
                continue;
            }
            const char *name = vg_config_node_scalar(vg_config_map_key(p, 0), NULL);
            const struct vg_config_node *body = vg_config_map_value(p, 0);
            size_t line = vg_config_node_line(p);
            if (!name) {
                continue;
            }
            if (k == 0 && strcmp(name, "identity") == 0) {
                vg_misconf_fail(m, "VG-ENC-002", line, line, scope,
                                vg_fmt("%s: identity is the first provider, so new writes are "
                                       "stored in plain text",
                                       what));
                if (has_secrets) {
                    continue; /* such an entry does not encrypt secrets */
                }
            }
            if (k == 0 && strcmp(name, "identity") != 0) {
                secrets |= has_secrets;
            }
            if (strcmp(name, "aescbc") == 0) {
                vg_misconf_fail(m, "VG-ENC-003", line, line, scope,
                                vg_fmt("%s: aescbc provider", what));
            } else if (strcmp(name, "aesgcm") == 0) {
                vg_misconf_fail(m, "VG-ENC-004", line, line, scope,
                                vg_fmt("%s: aesgcm provider", what));
            } else if (strcmp(name, "kms") == 0) {
                const char *v = vg_misconf_str(body, "apiVersion");
                if (!v || strcmp(v, "v2") != 0) {
                    vg_misconf_fail(m, "VG-ENC-005", line, line, scope,
                                    vg_fmt("%s: kms provider with apiVersion %s", what,
                                           v ? "v1" : "v1 (the default)"));
                }
            }
            if (strcmp(name, "aescbc") == 0 || strcmp(name, "aesgcm") == 0 ||
                strcmp(name, "secretbox") == 0) {
                check_keys(m, name, body, scope);
            }
        }
    }
    if (!secrets) {
        vg_misconf_fail(m, "VG-ENC-001", entries ? vg_config_node_line(entries) : scope,
                        entries ? vg_config_node_line(entries) : scope, scope,
                        vg_strdup("no resources entry encrypts secrets with a real provider "
                                  "first"));
    }
}
