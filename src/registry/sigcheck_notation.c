/* SPDX-License-Identifier: Apache-2.0
 *
 * The require-signature gate's Notary Project authority (docs/registry.md):
 * `notation: {certificates: FILE or inline PEM, trusted-identities: [...], level}` becomes a
 * one-policy trustpolicy.json (every scope, trust store "ca:gate", the identities or "*") and
 * the certificates its trust store; an image passes when one of its Notary signatures, found
 * among the referrers the registry holds, verifies under it (sign/'s vg_notation_store_verify:
 * nothing goes over HTTP).
 */
#include "registry/sigcheck_int.h"

#include <string.h>

#include "sign/notation.h"

#define CERT_FILE_MAX (1024u * 1024u)

struct vg_registry_notation {
    struct vg_notation_policy *tp;
    struct vg_x509 **certs;
    size_t ncerts;
};

void
vg_registry__notation_free(struct vg_registry_notation *n)
{
    if (n) {
        vg_notation_policy_free(n->tp);
        vg_x509_list_free(n->certs, n->ncerts);
        free(n);
    }
}

static int
certs_load(struct vg_registry_notation *p, const struct vg_config_node *c, struct vg_err **err)
{
    size_t len = 0;
    const char *s =
        c && vg_config_node_type(c) == VG_CONFIG_SCALAR ? vg_config_node_scalar(c, &len) : NULL;
    if (!s || !*s) {
        return vg_config_err(err, c, VG_E_PARSE,
                             "require-signature.notation needs 'certificates' (a PEM file or "
                             "inline PEM certificates)");
    }
    vg_autobuf struct vg_buf b = VG_BUF_INIT(CERT_FILE_MAX);
    struct vg_err *inner = NULL;
    bool inline_pem = vg_cstr_startswith(s, "-----BEGIN");
    if ((!inline_pem && vg_file_read(&b, s, CERT_FILE_MAX, &inner) < 0) ||
        vg_x509_parse_all(&p->certs, &p->ncerts, inline_pem ? s : (const char *)b.data,
                          inline_pem ? len : b.len, &inner) < 0) {
        vg_autofree char *m = vg_err_format(inner);
        vg_err_free(&inner);
        return vg_config_err(err, c, VG_E_PARSE, "require-signature.notation.certificates: %s", m);
    }
    return 0;
}

int
vg_registry__notation_parse(struct vg_registry_notation **out, const struct vg_config_node *n,
                            struct vg_err **err)
{
    static const char *const allowed[] = {"certificates", "trusted-identities", "level"};
    struct vg_registry_notation *p = *out = vg_calloc(1, sizeof(*p));
    const struct vg_config_node *ids = NULL;
    if (vg_config_check_keys(n, "require-signature.notation", allowed, VG_ARRAY_LEN(allowed), err) <
            0 ||
        vg_config_get_seq(n, "trusted-identities", &ids, err) < 0 ||
        certs_load(p, vg_config_map_get(n, "certificates"), err) < 0) {
        return -1;
    }
    const struct vg_config_node *lv = vg_config_map_get(n, "level");
    const char *level = lv ? vg_config_node_scalar(lv, NULL) : "strict";
    if (!level || (strcmp(level, "strict") != 0 && strcmp(level, "permissive") != 0 &&
                   strcmp(level, "audit") != 0)) {
        return vg_config_err(err, lv, VG_E_PARSE,
                             "require-signature.notation.level: strict, permissive or audit");
    }
    json_t *arr = json_array();
    for (size_t i = 0; ids && i < vg_config_node_len(ids); i++) {
        const char *id = vg_config_node_scalar(vg_config_seq_at(ids, i), NULL);
        if (!id) {
            json_decref(arr);
            return vg_config_err(err, vg_config_seq_at(ids, i), VG_E_PARSE,
                                 "trusted-identities[%zu] must be a string", i);
        }
        json_array_append_new(arr, json_string(id));
    }
    if (json_array_size(arr) == 0) {
        json_array_append_new(arr, json_string("*"));
    }
    json_t *doc =
        json_pack("{s:s, s:[{s:s, s:[s], s:{s:s}, s:[s], s:o}]}", "version", "1.0", "trustPolicies",
                  "name", "gate", "registryScopes", "*", "signatureVerification", "level", level,
                  "trustStores", "ca:gate", "trustedIdentities", arr);
    vg_autofree char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    struct vg_err *inner = NULL;
    if (!text || vg_notation_policy_parse(&p->tp, text, strlen(text), &inner) < 0) {
        vg_autofree char *m = inner ? vg_err_format(inner) : vg_strdup("out of memory");
        vg_err_free(&inner);
        return vg_config_err(err, n, VG_E_PARSE, "require-signature.notation: %s", m);
    }
    return 0;
}

int
vg_registry__notation_check(const struct vg_registry_notation *p, const struct vg_sign_store *st,
                            const char *repo, const struct vg_digest *d, bool *ok, size_t *nsigs,
                            bool *untrusted, bool *uncacheable, char **detail, struct vg_err **err)
{
    struct vg_notation_verify_opts o = {.policy = &p->tp->entries[0],
                                        .now = vg_now_unix(),
                                        .anchors = p->certs,
                                        .nanchors = p->ncerts};
    struct vg_notation_result res;
    struct vg_err *e = NULL;
    int rc = vg_notation_store_verify(st, repo, d, &o, &res, &e);
    *ok = rc == 0;
    *nsigs = res.n;
    *untrusted = false;
    *uncacheable = rc < 0 && vg_notation_result_unavailable(&res);
    *detail = NULL;
    if (rc < 0 && !vg_err_is(e, VG_E_VERIFY)) {
        vg_notation_result_dispose(&res);
        if (err) {
            *err = e;
        } else {
            vg_err_free(&e);
        }
        return -1;
    }
    for (size_t i = 0; rc < 0 && i < res.n && !*detail; i++) {
        const struct vg_notation_outcome *oc = &res.items[i].outcome;
        if (oc->error) {
            vg_autofree char *m = vg_err_format(oc->error);
            *detail = vg_fmt("notation: %s@%s: %s", repo, res.items[i].manifest.text, m);
            *untrusted = oc->failed[VG_NOTATION_CHECK_AUTHENTICITY];
        }
    }
    if (rc < 0 && !*detail) { /* none attached */
        vg_autofree char *m = vg_err_format(e);
        *detail = vg_fmt("notation: %s", m);
    }
    vg_err_free(&e);
    vg_notation_result_dispose(&res);
    return 0;
}
