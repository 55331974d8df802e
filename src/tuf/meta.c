/* SPDX-License-Identifier: Apache-2.0
 *
 * TUF metadata files: parsing the signed envelope and the four role types into checked
 * structs, and counting a role's signature threshold. Parsing validates everything the
 * client later relies on (versions, expiry, thresholds, hashes, bounds); it checks no
 * signature, and never trusts a count before bounding it. The canonical JSON of "signed" is
 * computed here once: it is what every signature is verified over.
 */
#include "tuf_int.h"

#include <inttypes.h>
#include <strings.h>
#include <time.h>

#include "crypto/crypto.h"

static const char *const TYPE_NAMES[] = {"", "root", "timestamp", "snapshot", "targets"};

/* ---------------------------------------------------------------- time */

static int
digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int
vg_tuf_time_parse(const char *s, int64_t *out, struct vg_err **err)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, sec;
    size_t n = strlen(s);
    if (n < 20 || digits(s, 4, &y) < 0 || s[4] != '-' || digits(s + 5, 2, &mo) < 0 || s[7] != '-' ||
        digits(s + 8, 2, &d) < 0 || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) < 0 ||
        s[13] != ':' || digits(s + 14, 2, &mi) < 0 || s[16] != ':' || digits(s + 17, 2, &sec) < 0 ||
        mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
        goto bad;
    }
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        size_t nd = 0;
        while (*p >= '0' && *p <= '9' && nd < 9) {
            p++, nd++;
        }
        if (nd == 0 || (*p >= '0' && *p <= '9')) {
            goto bad;
        }
    }
    int64_t off = 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        off = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (digits(p + 1, 2, &oh) < 0 || digits(p + 4, 2, &om) < 0 || oh > 23 || om > 59) {
            goto bad;
        }
        off = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
    } else {
        goto bad;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (int64_t)timegm(&tm) - off;
    return 0;
bad : {
    vg_autofree char *e = vg_escape(s, n, 64);
    return vg_err_set(err, VG_E_PARSE, "expires: \"%s\" is not an RFC 3339 time", e);
}
}

/* ---------------------------------------------------------------- helpers */

static int
get_u64(const json_t *obj, const char *key, bool required, uint64_t *out, bool *has,
        struct vg_err **err)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (has) {
            *has = false;
        }
        return required ? vg_err_set(err, VG_E_PARSE, "%s is required", key) : 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return vg_err_set(err, VG_E_PARSE, "%s must be a non-negative integer", key);
    }
    *out = (uint64_t)json_integer_value(v);
    if (has) {
        *has = true;
    }
    return 0;
}

static int
decode_bin(uint8_t **out, size_t *outlen, enum vg_tuf_dialect d, const char *s, struct vg_err **err)
{
    size_t n = strlen(s);
    if (d == VG_TUF_DIALECT_NOTARY) {
        return vg_base64_decode(out, outlen, s, n, false, err);
    }
    if (n % 2 || n == 0) {
        return vg_err_set(err, VG_E_PARSE, "not an even number of hex digits");
    }
    uint8_t *b = vg_malloc(n / 2);
    if (vg_tuf__hex_decode(b, n / 2, s, n) < 0) {
        free(b);
        return vg_err_set(err, VG_E_PARSE, "not hexadecimal");
    }
    *out = b;
    *outlen = n / 2;
    return 0;
}

static int
parse_hashes(struct vg_tuf_hashes *h, enum vg_tuf_dialect d, json_t *obj, struct vg_err **err)
{
    memset(h, 0, sizeof(*h));
    if (!json_is_object(obj)) {
        return vg_err_set(err, VG_E_PARSE, "hashes must be an object");
    }
    const char *alg;
    json_t *v;
    json_object_foreach (obj, alg, v) {
        uint8_t *dst = NULL;
        size_t want = 0;
        bool *has = NULL;
        if (strcmp(alg, "sha256") == 0) {
            dst = h->sha256, want = sizeof(h->sha256), has = &h->has_sha256;
        } else if (strcmp(alg, "sha512") == 0) {
            dst = h->sha512, want = sizeof(h->sha512), has = &h->has_sha512;
        } else {
            continue;
        }
        vg_autofree uint8_t *raw = NULL;
        size_t rawlen = 0;
        if (!json_is_string(v) || decode_bin(&raw, &rawlen, d, json_string_value(v), err) < 0) {
            return json_is_string(v) ? vg_err_wrap(err, "hash %s", alg)
                                     : vg_err_set(err, VG_E_PARSE, "hash %s: not a string", alg);
        }
        if (rawlen != want) {
            return vg_err_set(err, VG_E_PARSE, "hash %s: %zu bytes, not %zu", alg, rawlen, want);
        }
        memcpy(dst, raw, want);
        *has = true;
    }
    return 0;
}

static int
strv_from(char ***out, size_t *n, const json_t *arr, const char *what, size_t max,
          struct vg_err **err)
{
    if (!json_is_array(arr)) {
        return vg_err_set(err, VG_E_PARSE, "%s must be an array", what);
    }
    if (json_array_size(arr) > max) {
        return vg_err_set(err, VG_E_LIMIT, "%s: %zu entries exceed the limit of %zu", what,
                          json_array_size(arr), max);
    }
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        if (!json_is_string(v)) {
            return vg_err_set(err, VG_E_PARSE, "%s[%zu] must be a string", what, i);
        }
        vg_strv_push(out, n, json_string_value(v));
    }
    return 0;
}

static int
parse_role(struct vg_tuf_role *r, const char *name, const json_t *obj, bool delegation,
           struct vg_err **err)
{
    r->name = vg_strdup(name);
    if (!json_is_object(obj)) {
        return vg_err_set(err, VG_E_PARSE, "must be an object");
    }
    if (strv_from(&r->keyids, &r->nkeyids, json_object_get(obj, "keyids"), "keyids",
                  VG_TUF_MAX_KEYIDS, err) < 0 ||
        get_u64(obj, "threshold", true, &r->threshold, NULL, err) < 0) {
        return -1;
    }
    if (r->threshold < 1) {
        return vg_err_set(err, VG_E_PARSE, "threshold must be at least 1");
    }
    if (!delegation) {
        return 0;
    }
    json_t *paths = json_object_get(obj, "paths");
    json_t *prefixes = json_object_get(obj, "path_hash_prefixes");
    if (paths && strv_from(&r->paths, &r->npaths, paths, "paths", VG_TUF_MAX_PATHS, err) < 0) {
        return -1;
    }
    if (prefixes && strv_from(&r->hash_prefixes, &r->nhash_prefixes, prefixes, "path_hash_prefixes",
                              VG_TUF_MAX_PATHS, err) < 0) {
        return -1;
    }
    json_t *term = json_object_get(obj, "terminating");
    if (term && !json_is_boolean(term)) {
        return vg_err_set(err, VG_E_PARSE, "terminating must be a boolean");
    }
    r->terminating = json_is_true(term);
    return 0;
}

static int
parse_keys(struct vg_tuf_meta *m, json_t *keys, struct vg_err **err)
{
    if (!json_is_object(keys)) {
        return vg_err_set(err, VG_E_PARSE, "keys must be an object");
    }
    if (json_object_size(keys) > VG_TUF_MAX_KEYS) {
        return vg_err_set(err, VG_E_LIMIT, "%zu keys exceed the limit of %u",
                          json_object_size(keys), VG_TUF_MAX_KEYS);
    }
    m->keys = vg_calloc(json_object_size(keys) + 1, sizeof(*m->keys));
    const char *id;
    json_t *v;
    json_object_foreach (keys, id, v) {
        if (vg_tuf__key_parse(&m->keys[m->nkeys++], m->dialect, id, v, err) < 0) {
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- per type */

static int
parse_root(struct vg_tuf_meta *m, const json_t *s, struct vg_err **err)
{
    if (parse_keys(m, json_object_get(s, "keys"), err) < 0) {
        return -1;
    }
    json_t *roles = vg_json_obj(s, "roles");
    if (!roles) {
        return vg_err_set(err, VG_E_PARSE, "roles is required");
    }
    for (int t = VG_TUF_ROOT; t <= VG_TUF_TARGETS; t++) {
        json_t *r = json_object_get(roles, TYPE_NAMES[t]);
        if (!r) {
            return vg_err_set(err, VG_E_PARSE, "roles.%s is required", TYPE_NAMES[t]);
        }
        if (parse_role(&m->roles[t - 1], TYPE_NAMES[t], r, false, err) < 0) {
            return vg_err_wrap(err, "roles.%s", TYPE_NAMES[t]);
        }
    }
    json_t *cs = json_object_get(s, "consistent_snapshot");
    if (cs && !json_is_boolean(cs)) {
        return vg_err_set(err, VG_E_PARSE, "consistent_snapshot must be a boolean");
    }
    m->consistent_snapshot = json_is_true(cs);
    return 0;
}

static int
parse_metafiles(struct vg_tuf_meta *m, const json_t *s, struct vg_err **err)
{
    json_t *meta = vg_json_obj(s, "meta");
    if (!meta) {
        return vg_err_set(err, VG_E_PARSE, "meta is required");
    }
    if (json_object_size(meta) > VG_TUF_MAX_META) {
        return vg_err_set(err, VG_E_LIMIT, "meta: %zu entries exceed the limit of %u",
                          json_object_size(meta), VG_TUF_MAX_META);
    }
    m->meta = vg_calloc(json_object_size(meta) + 1, sizeof(*m->meta));
    const char *name;
    json_t *v;
    json_object_foreach (meta, name, v) {
        struct vg_tuf_metafile *f = &m->meta[m->nmeta++];
        size_t n = strlen(name);
        if (m->dialect == VG_TUF_DIALECT_SPEC) {
            if (n <= 5 || !vg_cstr_endswith(name, ".json")) {
                vg_autofree char *e = vg_escape(name, n, 64);
                return vg_err_set(err, VG_E_PARSE, "meta \"%s\": not a .json file name", e);
            }
            n -= 5;
        }
        f->name = vg_strndup(name, n);
        json_t *h = json_object_get(v, "hashes");
        if (!json_is_object(v) ||
            get_u64(v, "version", m->dialect == VG_TUF_DIALECT_SPEC, &f->version, &f->has_version,
                    err) < 0 ||
            get_u64(v, "length", false, &f->length, &f->has_length, err) < 0 ||
            (h && parse_hashes(&f->hashes, m->dialect, h, err) < 0)) {
            vg_autofree char *e = vg_escape(name, strlen(name), 64);
            if (!json_is_object(v)) {
                return vg_err_set(err, VG_E_PARSE, "meta \"%s\": not an object", e);
            }
            return vg_err_wrap(err, "meta \"%s\"", e);
        }
        if (f->has_version && f->version < 1) {
            return vg_err_set(err, VG_E_PARSE, "meta %s: version must be at least 1", f->name);
        }
    }
    if (m->type == VG_TUF_TIMESTAMP &&
        (m->nmeta != 1 || strcmp(m->meta[0].name, "snapshot") != 0)) {
        return vg_err_set(err, VG_E_PARSE, "timestamp meta must list exactly the snapshot");
    }
    return 0;
}

static int
parse_delegations(struct vg_tuf_meta *m, const json_t *del, struct vg_err **err)
{
    if (!json_is_object(del)) {
        return vg_err_set(err, VG_E_PARSE, "delegations must be an object");
    }
    if (parse_keys(m, json_object_get(del, "keys"), err) < 0) {
        return vg_err_wrap(err, "delegations");
    }
    json_t *roles = json_object_get(del, "roles");
    if (!json_is_array(roles)) {
        return vg_err_set(err, VG_E_PARSE, "delegations.roles must be an array");
    }
    if (json_array_size(roles) > VG_TUF_MAX_DELEGATIONS) {
        return vg_err_set(err, VG_E_LIMIT, "delegations: %zu roles exceed the limit of %u",
                          json_array_size(roles), VG_TUF_MAX_DELEGATIONS);
    }
    m->delegations = vg_calloc(json_array_size(roles) + 1, sizeof(*m->delegations));
    size_t i;
    json_t *r;
    json_array_foreach (roles, i, r) {
        const char *name = vg_json_str(r, "name");
        if (!name || !*name || strlen(name) > VG_TUF_ROLE_NAME_MAX) {
            return vg_err_set(err, VG_E_PARSE, "delegations.roles[%zu]: bad or missing name", i);
        }
        for (size_t k = 0; k < m->ndelegations; k++) {
            if (strcmp(m->delegations[k].name, name) == 0) {
                return vg_err_set(err, VG_E_PARSE, "delegations.roles[%zu]: role delegated twice",
                                  i);
            }
        }
        if (parse_role(&m->delegations[m->ndelegations++], name, r, true, err) < 0) {
            return vg_err_wrap(err, "delegations.roles[%zu]", i);
        }
    }
    return 0;
}

static int
parse_targets(struct vg_tuf_meta *m, const json_t *s, struct vg_err **err)
{
    json_t *targets = vg_json_obj(s, "targets");
    if (!targets) {
        return vg_err_set(err, VG_E_PARSE, "targets is required");
    }
    if (json_object_size(targets) > VG_TUF_MAX_TARGETS) {
        return vg_err_set(err, VG_E_LIMIT, "%zu targets exceed the limit of %u",
                          json_object_size(targets), VG_TUF_MAX_TARGETS);
    }
    m->targets = vg_calloc(json_object_size(targets) + 1, sizeof(*m->targets));
    const char *name;
    json_t *v;
    json_object_foreach (targets, name, v) {
        struct vg_tuf_target *t = &m->targets[m->ntargets++];
        t->name = vg_strdup(name);
        json_t *h = json_object_get(v, "hashes");
        if (!json_is_object(v) || get_u64(v, "length", true, &t->length, NULL, err) < 0 || !h ||
            parse_hashes(&t->hashes, m->dialect, h, err) < 0 ||
            (!t->hashes.has_sha256 && !t->hashes.has_sha512)) {
            vg_autofree char *e = vg_escape(name, strlen(name), 64);
            if (err && *err) {
                return vg_err_wrap(err, "target \"%s\"", e);
            }
            return vg_err_set(err, VG_E_PARSE,
                              "target \"%s\": length and a sha256 or sha512 "
                              "hash are required",
                              e);
        }
    }
    json_t *del = json_object_get(s, "delegations");
    if (del && !json_is_null(del)) {
        return parse_delegations(m, del, err);
    }
    return 0;
}

static int
parse_sigs(struct vg_tuf_meta *m, const json_t *sigs, struct vg_err **err)
{
    if (!json_is_array(sigs)) {
        return vg_err_set(err, VG_E_PARSE, "signatures must be an array");
    }
    if (json_array_size(sigs) > VG_TUF_MAX_SIGNATURES) {
        return vg_err_set(err, VG_E_LIMIT, "%zu signatures exceed the limit of %u",
                          json_array_size(sigs), VG_TUF_MAX_SIGNATURES);
    }
    m->sigs = vg_calloc(json_array_size(sigs) + 1, sizeof(*m->sigs));
    size_t i;
    json_t *v;
    json_array_foreach (sigs, i, v) {
        const char *keyid = vg_json_str(v, "keyid");
        const char *sig = vg_json_str(v, "sig");
        if (!keyid || !sig) {
            return vg_err_set(err, VG_E_PARSE, "signatures[%zu]: keyid and sig are required", i);
        }
        if (!*sig && m->dialect == VG_TUF_DIALECT_SPEC) {
            continue; /* a key holder who has not signed (Sigstore's roots list them): no
                         signature, nothing to count (as python-tuf and go-tuf) */
        }
        struct vg_tuf_sig *s = &m->sigs[m->nsigs++];
        s->keyid = vg_strdup(keyid);
        if (decode_bin(&s->sig, &s->siglen, m->dialect, sig, err) < 0) {
            return vg_err_wrap(err, "signatures[%zu]", i);
        }
    }
    return 0;
}

static int
check_type(const char *type, enum vg_tuf_type expect, enum vg_tuf_dialect d, struct vg_err **err)
{
    bool ok = type && (d == VG_TUF_DIALECT_NOTARY ? strcasecmp(type, TYPE_NAMES[expect]) == 0
                                                  : strcmp(type, TYPE_NAMES[expect]) == 0);
    if (!ok) {
        vg_autofree char *e = type ? vg_escape(type, strlen(type), 32) : vg_strdup("(none)");
        return vg_err_set(err, VG_E_PARSE, "_type is \"%s\", expected \"%s\"", e,
                          TYPE_NAMES[expect]);
    }
    return 0;
}

static int
parse_signed(struct vg_tuf_meta *m, const json_t *s, enum vg_tuf_type expect, struct vg_err **err)
{
    if (!json_is_object(s)) {
        return vg_err_set(err, VG_E_PARSE, "signed must be an object");
    }
    if (check_type(vg_json_str(s, "_type"), expect, m->dialect, err) < 0 ||
        get_u64(s, "version", true, &m->version, NULL, err) < 0) {
        return -1;
    }
    if (m->version < 1) {
        return vg_err_set(err, VG_E_PARSE, "version must be at least 1");
    }
    const char *exp = vg_json_str(s, "expires");
    if (!exp) {
        return vg_err_set(err, VG_E_PARSE, "expires is required");
    }
    if (vg_tuf_time_parse(exp, &m->expires, err) < 0) {
        return -1;
    }
    switch (expect) {
    case VG_TUF_ROOT:
        return parse_root(m, s, err);
    case VG_TUF_TIMESTAMP:
    case VG_TUF_SNAPSHOT:
        return parse_metafiles(m, s, err);
    case VG_TUF_TARGETS:
        return parse_targets(m, s, err);
    }
    return vg_err_set(err, VG_E_INTERNAL, "unknown metadata type %d", (int)expect);
}

int
vg_tuf_meta_parse(struct vg_tuf_meta **out, enum vg_tuf_dialect dialect, enum vg_tuf_type expect,
                  const void *data, size_t len, struct vg_err **err)
{
    const char *what = TYPE_NAMES[expect];
    vg_autojson json_t *doc = NULL;
    if (vg_json_parse(&doc, data, len, VG_TUF_TARGETS_MAX_BYTES, what, err) < 0) {
        return -1;
    }
    struct vg_tuf_meta *m = vg_calloc(1, sizeof(*m));
    m->type = expect;
    m->dialect = dialect;
    json_t *s = json_object_get(doc, "signed");
    struct vg_buf canon = VG_BUF_INIT(VG_TUF_TARGETS_MAX_BYTES);
    int rc = -1;
    if (!json_is_object(doc)) {
        vg_err_set(err, VG_E_PARSE, "%s: not a JSON object", what);
    } else if (parse_sigs(m, json_object_get(doc, "signatures"), err) < 0 ||
               parse_signed(m, s, expect, err) < 0 || vg_tuf_cjson_encode(&canon, s, err) < 0) {
        vg_err_wrap(err, "%s metadata", what);
    } else {
        m->signed_bytes = (uint8_t *)vg_buf_take(&canon, &m->signed_len);
        rc = 0;
    }
    vg_buf_dispose(&canon);
    if (rc < 0) {
        vg_tuf_meta_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void
vg_tuf_meta_free(struct vg_tuf_meta *m)
{
    if (!m) {
        return;
    }
    for (size_t i = 0; i < m->nsigs; i++) {
        free(m->sigs[i].keyid);
        free(m->sigs[i].sig);
    }
    free(m->sigs);
    for (size_t i = 0; i < m->nkeys; i++) {
        vg_tuf__key_dispose(&m->keys[i]);
    }
    free(m->keys);
    for (size_t i = 0; i < VG_ARRAY_LEN(m->roles); i++) {
        vg_tuf__role_dispose(&m->roles[i]);
    }
    for (size_t i = 0; i < m->nmeta; i++) {
        free(m->meta[i].name);
    }
    free(m->meta);
    for (size_t i = 0; i < m->ntargets; i++) {
        free(m->targets[i].name);
    }
    free(m->targets);
    for (size_t i = 0; i < m->ndelegations; i++) {
        vg_tuf__role_dispose(&m->delegations[i]);
    }
    free(m->delegations);
    free(m->signed_bytes);
    free(m);
}

/* ---------------------------------------------------------------- threshold */

static const struct vg_tuf_key *
find_key(const struct vg_tuf_key *keys, size_t nkeys, const char *id)
{
    for (size_t i = 0; i < nkeys; i++) {
        if (strcmp(keys[i].keyid, id) == 0) {
            return &keys[i];
        }
    }
    return NULL;
}

int
vg_tuf_meta_verify(const struct vg_tuf_meta *m, const char *what, const struct vg_tuf_key *keys,
                   size_t nkeys, const struct vg_tuf_role *role, struct vg_err **err)
{
    /* Keys already counted: by key id AND by public key, so a key listed under two ids (or a
     * signature repeated) cannot satisfy a threshold alone (spec §5.3.4's "unique keys"). */
    vg_autofree const struct vg_tuf_key **counted = vg_calloc(role->nkeyids + 1, sizeof(*counted));
    size_t good = 0;
    for (size_t i = 0; i < m->nsigs && good < role->threshold; i++) {
        const struct vg_tuf_sig *s = &m->sigs[i];
        if (!vg_strv_has(role->keyids, role->nkeyids, s->keyid)) {
            continue;
        }
        const struct vg_tuf_key *k = find_key(keys, nkeys, s->keyid);
        if (!k || !k->key) {
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < good && !dup; j++) {
            dup = counted[j] == k || strcmp(counted[j]->keyid, k->keyid) == 0 ||
                  vg_crypto_key_public_eq(counted[j]->key, k->key);
        }
        if (dup) {
            continue;
        }
        struct vg_err *e = NULL;
        if (vg_tuf__key_verify(k, m->signed_bytes, m->signed_len, s->sig, s->siglen, &e) < 0) {
            vg_err_free(&e);
            continue;
        }
        counted[good++] = k;
    }
    if (good < role->threshold) {
        return vg_err_set(err, VG_E_VERIFY,
                          "%s: %zu of %" PRIu64 " required signatures of role %s are valid", what,
                          good, role->threshold, role->name);
    }
    return 0;
}

const struct vg_tuf_metafile *
vg_tuf_meta_find(const struct vg_tuf_meta *m, const char *name)
{
    for (size_t i = 0; m && i < m->nmeta; i++) {
        if (strcmp(m->meta[i].name, name) == 0) {
            return &m->meta[i];
        }
    }
    return NULL;
}

const struct vg_tuf_target *
vg_tuf_meta_target(const struct vg_tuf_meta *m, const char *name)
{
    for (size_t i = 0; m && i < m->ntargets; i++) {
        if (strcmp(m->targets[i].name, name) == 0) {
            return &m->targets[i];
        }
    }
    return NULL;
}

int
vg_tuf_target_check(const struct vg_tuf_target *t, const void *data, size_t len,
                    struct vg_err **err)
{
    if (t->length != len) {
        return vg_err_set(err, VG_E_VERIFY, "target %s: length %zu, trusted metadata says %" PRIu64,
                          t->name, len, t->length);
    }
    if (!t->hashes.has_sha256 && !t->hashes.has_sha512) {
        return vg_err_set(err, VG_E_VERIFY, "target %s: no hash to check", t->name);
    }
    if (t->hashes.has_sha256) {
        uint8_t h[32];
        vg_sha256_raw(h, data, len);
        if (!vg_crypto_memeq(h, t->hashes.sha256, sizeof(h))) {
            return vg_err_set(err, VG_E_VERIFY, "target %s: sha256 mismatch", t->name);
        }
    }
    if (t->hashes.has_sha512) {
        struct vg_digest d;
        vg_digest_of(&d, VG_DIGEST_SHA512, data, len);
        uint8_t h[64];
        if (vg_tuf__hex_decode(h, sizeof(h), vg_digest_hex(&d), 128) < 0 ||
            !vg_crypto_memeq(h, t->hashes.sha512, sizeof(h))) {
            return vg_err_set(err, VG_E_VERIFY, "target %s: sha512 mismatch", t->name);
        }
    }
    return 0;
}
