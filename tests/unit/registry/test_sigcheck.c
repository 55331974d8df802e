/* SPDX-License-Identifier: Apache-2.0
 *
 * Tests for the require-signature decision: per-gate verdicts (registry/gate.h sigs) and their
 * wording (unsigned, unknown key, bad signature, threshold), each gate judged by its own
 * verdict; and vg_registry_sigcheck_run over a real storage + metadata store with signatures
 * made by sign/ (unsigned, verified, unknown key, replayed signature, missing annotation,
 * threshold), its verdict cache and the invalidation by a pushed `sha256-<hex>.sig` tag.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "registry/gate.h"
#include "registry/sigcheck_int.h"
#include "testutil.h"
#include "sign/sign.h"

static char *prod[] = {(char[]){"prod/**"}};
static char *all[] = {(char[]){"**"}};
static char *key_labels[] = {(char[]){"a.pub"}};

static struct vg_registry_gate
sig_gate(char **repos)
{
    return (struct vg_registry_gate){
        .repos = repos, .nrepos = 1, .require_signature = true, .keys = key_labels, .nkeys = 1};
}

static char *
deny_reason(const struct vg_registry_gate *gs, size_t n, const struct vg_registry_gate_sigfact *s)
{
    struct vg_registry_gate_facts f = {.repo = "prod/app", .scan = VG_GATE_SCAN_DONE, .sigs = s};
    struct vg_registry_gate_decision d;
    vg_registry_gates_eval(gs, n, &f, &d);
    char *r = d.deny ? vg_strdup(d.reason) : NULL;
    vg_registry_gate_decision_dispose(&d);
    return r;
}

Test(registry_sigcheck, verdict_wording)
{
    struct vg_registry_gate g = sig_gate(prod);
    struct vg_registry_gate_sigfact s = {VG_GATE_SIG_VERIFIED, NULL};
    cr_assert_null(deny_reason(&g, 1, &s));

    s = (struct vg_registry_gate_sigfact){VG_GATE_SIG_NONE, NULL};
    char *r = deny_reason(&g, 1, &s);
    cr_assert_str_eq(r, "require-signature: unsigned: no cosign signature of this image in the "
                        "registry");
    free(r);

    s = (struct vg_registry_gate_sigfact){VG_GATE_SIG_UNKNOWN_KEY, "1 signature(s) found"};
    r = deny_reason(&g, 1, &s);
    cr_assert(strstr(r, "signed by an unknown key") && strstr(r, "(1 signature(s) found)"), "%s",
              r);
    free(r);

    s = (struct vg_registry_gate_sigfact){VG_GATE_SIG_INVALID, "payload digest x does not match"};
    r = deny_reason(&g, 1, &s);
    cr_assert(strstr(r, "bad signature") && strstr(r, "does not match"), "%s", r);
    free(r);

    s = (struct vg_registry_gate_sigfact){VG_GATE_SIG_THRESHOLD, "1 distinct key(s) verified"};
    r = deny_reason(&g, 1, &s);
    cr_assert(strstr(r, "too few of the configured keys signed"), "%s", r);
    free(r);

    /* content trust: no trust data, and a notary that could not be asked */
    s = (struct vg_registry_gate_sigfact){VG_GATE_SIG_NO_TRUST_DATA, "no trust data for h/a:v2"};
    r = deny_reason(&g, 1, &s);
    cr_assert_str_eq(r, "require-signature: unsigned: no content trust (Notary v1) signature of "
                        "this image (no trust data for h/a:v2)");
    free(r);
    s = (struct vg_registry_gate_sigfact){VG_GATE_SIG_UNVERIFIABLE, "connection failed"};
    r = deny_reason(&g, 1, &s);
    cr_assert_str_eq(r, "require-signature: cannot be verified now (connection failed)");
    free(r);

    /* hostile detail text is escaped */
    s = (struct vg_registry_gate_sigfact){VG_GATE_SIG_INVALID, "a\nb\x1b"};
    r = deny_reason(&g, 1, &s);
    cr_assert_null(strchr(r, '\n'));
    cr_assert_null(strchr(r, '\x1b'));
    free(r);
}

Test(registry_sigcheck, each_gate_judged_by_its_own_verdict)
{
    struct vg_registry_gate gs[] = {sig_gate(all), sig_gate(prod)};
    struct vg_registry_gate_sigfact s[] = {{VG_GATE_SIG_VERIFIED, NULL},
                                           {VG_GATE_SIG_UNKNOWN_KEY, NULL}};
    char *r = deny_reason(gs, 2, s);
    cr_assert(r && strstr(r, "unknown key"), "%s", r ? r : "(allowed)");
    free(r);
    s[1].sig = VG_GATE_SIG_VERIFIED;
    cr_assert_null(deny_reason(gs, 2, s));
    /* a gate that does not apply is not consulted, whatever its slot says */
    struct vg_registry_gate_facts f = {.repo = "dev/app", .scan = VG_GATE_SCAN_DONE, .sigs = s};
    s[1].sig = VG_GATE_SIG_NONE;
    struct vg_registry_gate_decision d;
    vg_registry_gates_eval(gs, 2, &f, &d);
    cr_assert_not(d.deny);
    /* signature artifacts are never gated */
    f.repo = "prod/app";
    f.is_artifact = true;
    vg_registry_gates_eval(gs, 2, &f, &d);
    cr_assert_not(d.deny);
}

/* ---------------------------------------------------------------- against a real store */

struct env {
    struct vg_registry_storage *st;
    struct vg_registry_meta *meta;
    struct vg_registry_sigcache *cache;
    struct vg_crypto_key *ka, *kb;
};

static void
env_init(struct env *e)
{
    char tmpl[] = "/tmp/vg_regsig.XXXXXX";
    char *dir = mkdtemp(tmpl);
    cr_assert(dir);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_registry_storage_fs_new(&e->st, dir, &err), 0);
    vg_autofree char *db = vg_fmt("%s/meta.db", dir);
    cr_assert_eq(vg_registry_meta_sqlite_open(&e->meta, db, &err), 0);
    e->cache = vg_registry_sigcache_new();
    cr_assert_eq(vg_crypto_key_generate(&e->ka, &err), 0);
    cr_assert_eq(vg_crypto_key_generate(&e->kb, &err), 0);
}

static void
env_dispose(struct env *e)
{
    vg_registry_sigcache_free(e->cache);
    vg_registry_meta_free(e->meta);
    vg_registry_storage_free(e->st);
    vg_crypto_key_free(e->ka);
    vg_crypto_key_free(e->kb);
}

static void
put_blob(struct env *e, const char *repo, const void *data, size_t len, struct vg_digest *d)
{
    vg_digest_of(d, VG_DIGEST_SHA256, data, len);
    struct vg_err *err = NULL;
    cr_assert_eq(e->st->ops->blob_put(e->st, d, data, len, &err), 0);
    cr_assert_eq(e->meta->ops->blob_link(e->meta, repo, d, len, &err), 0);
}

/* Pushes a `.sig` image for `image` holding one layer signing `signed_digest` with key and the
 * annotations, as a client would (blobs, then the manifest at the tag). */
static void
push_sig(struct env *e, const char *repo, const struct vg_digest *image,
         const struct vg_digest *signed_digest, const struct vg_crypto_key *key,
         const struct vg_sign_kv *ann, size_t nann)
{
    struct vg_err *err = NULL;
    struct vg_sign_layer l;
    cr_assert_eq(vg_sign_image_payload(&l, key, "127.0.0.1/x", signed_digest, ann, nann, &err), 0);
    struct vg_sign_sig_image *img = vg_sign_sig_image_new();
    bool appended;
    cr_assert_eq(vg_sign_sig_image_append(img, &l, &appended, &err), 0);
    vg_autobuf struct vg_buf cfg = VG_BUF_INIT(1u << 20);
    vg_autobuf struct vg_buf man = VG_BUF_INIT(1u << 20);
    cr_assert_eq(vg_sign_sig_image_render(img, &cfg, &man, &err), 0);
    struct vg_digest pd, cd, md;
    put_blob(e, repo, l.payload, l.payload_len, &pd);
    put_blob(e, repo, cfg.data, cfg.len, &cd);
    vg_digest_of(&md, VG_DIGEST_SHA256, man.data, man.len);
    cr_assert_eq(e->st->ops->blob_put(e->st, &md, man.data, man.len, &err), 0);
    char mt[] = "application/vnd.oci.image.manifest.v1+json";
    struct vg_registry_manifest_rec rec = {
        .repo = repo, .digest = md, .media_type = mt, .size = man.len};
    struct vg_registry_manifest_ref refs[] = {{cd, false}, {pd, false}};
    vg_autofree char *tag = vg_sign_tag(image, ".sig");
    const char *tags[] = {tag};
    cr_assert_eq(e->meta->ops->manifest_put(e->meta, &rec, refs, 2, tags, 1, &err), 0);
    vg_registry_sigcache_pushed(e->cache, false, NULL, tags, 1);
    vg_sign_sig_image_free(img);
    vg_sign_layer_dispose(&l);
}

static enum vg_registry_gate_sig
check(struct env *e, struct vg_crypto_key **keys, size_t nkeys, size_t threshold,
      const struct vg_sign_kv *ann, size_t nann, size_t gi, const struct vg_digest *d,
      char **detail)
{
    char p0[] = "a", p1[] = "b";
    char *paths[] = {p0, p1};
    struct vg_sign_keyset ks = {keys, paths, nkeys};
    struct vg_registry_sigpolicy p = {
        &ks, threshold, (struct vg_sign_kv *)(uintptr_t)ann, nann, NULL, NULL, NULL};
    struct vg_registry_sigcheck sc = {e->st, e->meta, e->cache, NULL, 0};
    enum vg_registry_gate_sig out;
    struct vg_err *err = NULL;
    int rc = vg_registry_sigcheck_run(&sc, &p, gi, "x/app", d, &out, detail, &err);
    TU_ASSERT_OK(rc, err);
    return out;
}

Test(registry_sigcheck, store_verdicts_and_cache)
{
    struct env e = {0};
    env_init(&e);
    struct vg_digest img, other;
    put_blob(&e, "x/app", "image-1", 7, &img);
    put_blob(&e, "x/app", "image-2", 7, &other);
    struct vg_crypto_key *ka[] = {e.ka}, *kb[] = {e.kb}, *kab[] = {e.ka, e.kb};
    char *detail = NULL;
    uint64_t verified, hits;

    cr_assert_eq(check(&e, ka, 1, 1, NULL, 0, 0, &img, &detail), VG_GATE_SIG_NONE);
    free(detail);
    cr_assert_eq(check(&e, ka, 1, 1, NULL, 0, 0, &img, &detail), VG_GATE_SIG_NONE);
    free(detail);
    vg_registry_sigcache_stats(e.cache, &verified, &hits);
    cr_assert_eq(verified, 1);
    cr_assert_eq(hits, 1);

    /* signed with key A: the push invalidates the cached "unsigned" */
    push_sig(&e, "x/app", &img, &img, e.ka, NULL, 0);
    cr_assert_eq(check(&e, ka, 1, 1, NULL, 0, 0, &img, &detail), VG_GATE_SIG_VERIFIED);
    free(detail);
    /* another policy (gate 1, key B only): an unknown key */
    cr_assert_eq(check(&e, kb, 1, 1, NULL, 0, 1, &img, &detail), VG_GATE_SIG_UNKNOWN_KEY);
    cr_assert(detail && strstr(detail, "1 signature(s) found"), "%s", detail);
    free(detail);
    /* gate 2 requires an annotation the signature lacks: verified by A, claims fail */
    struct vg_sign_kv want[] = {{"env", "prod"}};
    cr_assert_eq(check(&e, ka, 1, 1, want, 1, 2, &img, &detail), VG_GATE_SIG_INVALID);
    cr_assert(detail && strstr(detail, "env"), "%s", detail);
    free(detail);
    /* gate 3: both keys, threshold 2 */
    cr_assert_eq(check(&e, kab, 2, 2, NULL, 0, 3, &img, &detail), VG_GATE_SIG_THRESHOLD);
    free(detail);
    push_sig(&e, "x/app", &img, &img, e.kb, NULL, 0); /* replaces the tag: only B's layer now */
    cr_assert_eq(check(&e, kab, 2, 2, NULL, 0, 3, &img, &detail), VG_GATE_SIG_THRESHOLD);
    free(detail);
    cr_assert_eq(check(&e, ka, 1, 1, NULL, 0, 0, &img, &detail), VG_GATE_SIG_UNKNOWN_KEY);
    free(detail);

    /* a signature of img replayed onto other: A verifies it, its payload names img */
    push_sig(&e, "x/app", &other, &img, e.ka, NULL, 0);
    cr_assert_eq(check(&e, ka, 1, 1, NULL, 0, 0, &other, &detail), VG_GATE_SIG_INVALID);
    cr_assert(detail && strstr(detail, "does not match image"), "%s", detail);
    free(detail);
    env_dispose(&e);
}
