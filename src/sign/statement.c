/* SPDX-License-Identifier: Apache-2.0
 *
 * In-toto statements for attestations (cosign-format.md §6.2, §6.4): the `--type` shortcut
 * table, a statement builder shaped like `cosign attest`'s, a bounded parser keeping only what
 * verification needs (predicate type, subjects), cosign's claim checks, and the full
 * envelope → signature → statement → claims verification. Policy evaluation of predicates is
 * policy/'s job.
 */
#include "sign_int.h"

#include <string.h>

static const struct {
    const char *name, *uri;
} predicate_types[] = {
    {"custom", "https://cosign.sigstore.dev/attestation/v1"},
    {"slsaprovenance", "https://slsa.dev/provenance/v0.2"},
    {"slsaprovenance02", "https://slsa.dev/provenance/v0.2"},
    {"slsaprovenance1", "https://slsa.dev/provenance/v1"},
    {"spdx", "https://spdx.dev/Document"},
    {"spdxjson", "https://spdx.dev/Document"},
    {"cyclonedx", "https://cyclonedx.org/bom"},
    {"link", "https://in-toto.io/Link/v1"},
    {"vuln", "https://cosign.sigstore.dev/attestation/vuln/v1"},
    {"openvex", "https://openvex.dev/ns"},
};

/* An absolute URI: scheme ":" and something after it (RFC 3986 scheme characters). */
static bool
is_absolute_uri(const char *s)
{
    const char *colon = strchr(s, ':');
    if (!colon || colon == s || !colon[1]) {
        return false;
    }
    for (const char *p = s; p < colon; p++) {
        bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z');
        bool other = (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.';
        if (!alpha && (p == s || !other)) {
            return false;
        }
    }
    return true;
}

const char *
vg_sign_predicate_type(const char *type)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(predicate_types); i++) {
        if (strcmp(type, predicate_types[i].name) == 0) {
            return predicate_types[i].uri;
        }
    }
    return is_absolute_uri(type) ? type : NULL;
}

/* `--type vuln` with a scan report (vigil's or Trivy's JSON: "SchemaVersion" + "Results")
 * instead of a ready cosign vuln predicate: wrap it as cosign's predicate
 * {"invocation":{…},"scanner":{"uri","version","db":{…},"result":REPORT},"metadata":{…}}
 * so verifiers that read the cosign schema find the report under scanner.result. A document
 * that already has "scanner" is used as is. */
static void
wrap_scan_report(json_t **pred, int64_t now)
{
    json_t *r = *pred;
    if (!json_is_object(r) || json_object_get(r, "scanner") ||
        !json_object_get(r, "SchemaVersion") || !json_object_get(r, "Results")) {
        return;
    }
    char ts[32];
    vg_time_rfc3339(ts, sizeof(ts), now);
    const char *created = vg_json_str(r, "CreatedAt");
    json_t *w = json_object();
    json_object_set_new(
        w, "invocation",
        json_pack("{s:[],s:s,s:s,s:s}", "parameters", "uri", "", "event_id", "", "builder.id", ""));
    json_t *scanner = json_pack("{s:s,s:s,s:{s:s,s:s}}", "uri", "pkg:generic/vigil", "version",
                                VG_VERSION, "db", "uri", "", "version", "");
    json_object_set(scanner, "result", r);
    json_object_set_new(w, "scanner", scanner);
    json_object_set_new(w, "metadata",
                        json_pack("{s:s,s:s}", "scanStartedOn", created ? created : ts,
                                  "scanFinishedOn", created ? created : ts));
    json_decref(r);
    *pred = w;
}

static int
build_predicate(json_t **out, const char *type, const void *data, size_t len, int64_t now,
                struct vg_err **err)
{
    if (strcmp(type, "custom") == 0 || strcmp(type, "spdx") == 0) {
        json_t *text = json_stringn(data, len);
        if (!text) {
            return vg_err_set(err, VG_E_PARSE, "predicate: not UTF-8 text");
        }
        if (strcmp(type, "spdx") == 0) {
            *out = text;
            return 0;
        }
        char ts[32];
        vg_time_rfc3339(ts, sizeof(ts), now);
        *out = json_object();
        json_object_set_new(*out, "Data", text);
        json_object_set_new(*out, "Timestamp", json_string(ts));
        return 0;
    }
    int rc = vg_json_parse(out, data, len, VG_LIMIT_PAYLOAD_BYTES, "predicate", err);
    if (rc == 0 && strcmp(type, "vuln") == 0) {
        wrap_scan_report(out, now);
    }
    return rc;
}

int
vg_sign_statement_build(struct vg_buf *out, const char *type, const char *subject_name,
                        const struct vg_digest *subject, const void *predicate,
                        size_t predicate_len, int64_t now, struct vg_err **err)
{
    const char *uri = vg_sign_predicate_type(type);
    if (!uri) {
        vg_autofree char *esc = vg_escape(type, strlen(type), 128);
        return vg_err_set(err, VG_E_UNSUPPORTED, "unknown predicate type \"%s\"", esc);
    }
    if (subject->alg != VG_DIGEST_SHA256) {
        return vg_err_set(err, VG_E_USAGE, "statement subjects need a sha256 digest");
    }
    json_t *pred = NULL;
    int rc = build_predicate(&pred, type, predicate, predicate_len, now, err);
    if (rc < 0) {
        return rc;
    }
    vg_autojson json_t *root = json_object();
    json_t *digest = json_object();
    json_t *subj = json_object();
    json_object_set_new(root, "_type", json_string(VG_SIGN_STATEMENT_V01));
    json_object_set_new(root, "predicateType", json_string(uri));
    json_object_set_new(digest, "sha256", json_string(vg_digest_hex(subject)));
    json_object_set_new(subj, "name", json_string(subject_name));
    json_object_set_new(subj, "digest", digest);
    json_object_set_new(root, "subject", json_pack("[o]", subj));
    json_object_set_new(root, "predicate", pred);
    vg_autofree char *s = vg_json_dumps(root, JSON_COMPACT);
    if (!s) {
        return vg_err_set(err, VG_E_USAGE, "statement: subject name is not UTF-8");
    }
    return vg_buf_append_str(out, s, err);
}

void
vg_sign_statement_free(struct vg_sign_statement *s)
{
    if (!s) {
        return;
    }
    free(s->type);
    free(s->predicate_type);
    for (size_t i = 0; i < s->nsubjects; i++) {
        free(s->subjects[i].name);
        for (size_t j = 0; j < s->subjects[i].nannotations; j++) {
            vg_free_const(s->subjects[i].annotations[j].key);
            vg_free_const(s->subjects[i].annotations[j].value);
        }
        free(s->subjects[i].annotations);
    }
    free(s->subjects);
    free(s);
}

static bool
is_sha256_hex(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        bool hex = (s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f');
        if (!hex || n >= 64) {
            return false;
        }
    }
    return n == 64;
}

/* v1 subjects may carry annotations (cosign sign puts the -a pairs there); only string values
 * are kept, anything else in them is ignored like cosign's claim check does. */
static int
parse_subject_annotations(struct vg_sign_subject *d, const json_t *s, size_t idx,
                          struct vg_err **err)
{
    json_t *ann = json_object_get(s, "annotations");
    if (!ann) {
        return 0;
    }
    size_t n = json_object_size(ann);
    if (!json_is_object(ann) || n > VG_SIGN_MAX_ANNOTATIONS) {
        return vg_err_set(err, VG_E_PARSE,
                          "statement: subject[%zu].annotations: not an object "
                          "of at most %u entries",
                          idx, VG_SIGN_MAX_ANNOTATIONS);
    }
    d->annotations = vg_calloc(n ? n : 1, sizeof(*d->annotations));
    const char *key;
    json_t *v;
    json_object_foreach (ann, key, v) {
        if (json_is_string(v)) {
            d->annotations[d->nannotations].key = vg_strdup(key);
            d->annotations[d->nannotations].value = vg_strdup(json_string_value(v));
            d->nannotations++;
        }
    }
    return 0;
}

static int
parse_subjects(struct vg_sign_statement *st, const json_t *root, struct vg_err **err)
{
    json_t *arr = vg_json_arr(root, "subject");
    if (!arr) {
        return vg_err_set(err, VG_E_PARSE, "statement: subject: missing or not an array");
    }
    size_t n = json_array_size(arr);
    if (n > VG_SIGN_MAX_SUBJECTS) {
        return vg_err_set(err, VG_E_LIMIT, "statement: %zu subjects exceed the limit of %u", n,
                          VG_SIGN_MAX_SUBJECTS);
    }
    st->subjects = vg_calloc(n ? n : 1, sizeof(*st->subjects));
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(arr, i);
        if (!json_is_object(s)) {
            return vg_err_set(err, VG_E_PARSE, "statement: subject[%zu]: not an object", i);
        }
        struct vg_sign_subject *d = &st->subjects[st->nsubjects++];
        const char *name = vg_json_str(s, "name");
        d->name = vg_strdup(name ? name : "");
        json_t *dig = vg_json_obj(s, "digest");
        const char *sha = dig ? vg_json_str(dig, "sha256") : NULL;
        if (sha && is_sha256_hex(sha)) {
            memcpy(d->sha256, sha, 65);
        }
        int rc = parse_subject_annotations(d, s, i, err);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

int
vg_sign_statement_parse(struct vg_sign_statement **out, const void *data, size_t len,
                        struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    int rc = vg_json_parse(&root, data, len, VG_LIMIT_PAYLOAD_BYTES, "statement", err);
    if (rc < 0) {
        return rc;
    }
    const char *type = json_is_object(root) ? vg_json_str(root, "_type") : NULL;
    const char *ptype = type ? vg_json_str(root, "predicateType") : NULL;
    if (!type || !ptype) {
        return vg_err_set(err, VG_E_PARSE,
                          "statement: want an object with string _type and predicateType");
    }
    struct vg_sign_statement *st = vg_calloc(1, sizeof(*st));
    st->type = vg_strdup(type);
    st->predicate_type = vg_strdup(ptype);
    if ((rc = parse_subjects(st, root, err)) < 0) {
        vg_sign_statement_free(st);
        return rc;
    }
    *out = st;
    return 0;
}

int
vg_sign_statement_check(const struct vg_sign_statement *s, const struct vg_digest *subject,
                        const char *type, struct vg_err **err)
{
    if (subject) {
        if (s->nsubjects == 0) {
            return vg_err_set(err, VG_E_VERIFY, "statement has no subjects");
        }
        bool found = false;
        for (size_t i = 0; i < s->nsubjects && !found; i++) {
            found = subject->alg == VG_DIGEST_SHA256 &&
                    strcmp(s->subjects[i].sha256, vg_digest_hex(subject)) == 0;
        }
        if (!found) {
            return vg_err_set(err, VG_E_VERIFY,
                              "provided artifact digest %s does not match any subject digest "
                              "in the statement",
                              subject->text);
        }
    }
    if (type) {
        const char *want = vg_sign_predicate_type(type);
        if (!want) {
            vg_autofree char *esc = vg_escape(type, strlen(type), 128);
            return vg_err_set(err, VG_E_UNSUPPORTED, "unknown predicate type \"%s\"", esc);
        }
        if (strcmp(s->predicate_type, want) != 0) {
            vg_autofree char *esc = vg_escape(s->predicate_type, strlen(s->predicate_type), 160);
            return vg_err_set(err, VG_E_VERIFY, "predicate type \"%s\" is not %s", esc, want);
        }
    }
    return 0;
}

int
vg_sign_attestation_verify(const void *envelope, size_t len, const struct vg_crypto_key *key,
                           const struct vg_digest *subject, const char *type,
                           struct vg_sign_statement **out, struct vg_err **err)
{
    struct vg_dsse_envelope *e = NULL;
    int rc = vg_sign_dsse_parse(&e, envelope, len, err);
    if (rc < 0) {
        return rc;
    }
    if ((rc = vg_sign_dsse_verify(e, key, err)) == 0) {
        rc = vg_sign__attestation_claims(e, subject, type, out, err);
    }
    vg_sign_dsse_free(e);
    return rc;
}

int
vg_sign__attestation_claims(const struct vg_dsse_envelope *e, const struct vg_digest *subject,
                            const char *type, struct vg_sign_statement **out, struct vg_err **err)
{
    int rc = 0;
    struct vg_sign_statement *st = NULL;
    if (strcmp(e->payload_type, VG_SIGN_PAYLOAD_TYPE_INTOTO) != 0) {
        vg_autofree char *esc = vg_escape(e->payload_type, strlen(e->payload_type), 128);
        rc = vg_err_set(err, VG_E_VERIFY,
                        "envelope payloadType \"%s\" is not " VG_SIGN_PAYLOAD_TYPE_INTOTO, esc);
        goto out;
    }
    if ((rc = vg_sign_statement_parse(&st, e->payload, e->payload_len, err)) < 0 ||
        (rc = vg_sign_statement_check(st, subject, type, err)) < 0) {
        goto out;
    }
    if (out) {
        *out = vg_steal_ptr(&st);
    }
out:
    vg_sign_statement_free(st);
    return rc;
}
