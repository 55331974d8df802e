/* SPDX-License-Identifier: Apache-2.0
 *
 * The TUF client against repositories built by the test (repo.h): the whole update, root
 * rotation, thresholds with duplicate keys and signatures, expiry, rollback and
 * fast-forward recovery, hashes and lengths, consistent snapshots, delegations (paths,
 * terminating, bounds), canonical JSON, and Notary's dialect.
 */
#include "repo.h"

struct world {
    struct tk root, ts, snap, tgt;
    struct t_repo repo;
    char *cache;
    struct vg_tuf_client *c;
    char *root1;               /* bootstrap root text */
    const char *snapshot_root; /* Notary: the root text snapshot pins, or NULL */
};

static struct tk *
K4(struct world *w, struct tk *k[4])
{
    k[0] = &w->root, k[1] = &w->ts, k[2] = &w->snap, k[3] = &w->tgt;
    return k[0];
}

static void
w_init(struct world *w, enum vg_tuf_dialect d)
{
    memset(w, 0, sizeof(*w));
    t_dialect = d;
    tk_gen(&w->root, "ed25519");
    tk_gen(&w->ts, "ecdsa");
    tk_gen(&w->snap, d == VG_TUF_DIALECT_NOTARY ? "ecdsa" : "rsa");
    tk_gen(&w->tgt, "ed25519");
    w->cache = t_tmpdir();
    struct tk *k[4];
    K4(w, k);
    w->root1 = t_sign(t_root(1, T_FUTURE, k), &k[0], 1);
    t_put(&w->repo, "root.json", vg_strdup(w->root1));
}

static void
w_fini(struct world *w)
{
    vg_tuf_client_free(w->c);
    struct vg_err *err = NULL;
    cr_assert(vg_remove_tree(w->cache, NULL, &err) == 0);
    free(w->cache);
    free(w->root1);
    t_repo_free(&w->repo);
    tk_free(&w->root), tk_free(&w->ts), tk_free(&w->snap), tk_free(&w->tgt);
}

/* targets (version tv, one target "app" = content), snapshot sv, timestamp tsv. */
static void
publish(struct world *w, uint64_t tsv, uint64_t sv, uint64_t tv, const char *content,
        const char *ts_expires)
{
    char n1[64];
    json_t *t = t_signed("targets", tv, T_FUTURE);
    json_t *targets = json_object();
    json_object_set_new(targets, "app", t_target(content));
    json_object_set_new(t, "targets", targets);
    struct tk *tk = &w->tgt;
    char *ttext = t_sign(t, &tk, 1);
    json_t *s = t_signed("snapshot", sv, T_FUTURE);
    json_t *meta = json_object();
    json_object_set_new(meta, t_metaname("targets", n1, sizeof(n1)), t_metafile(tv, ttext));
    if (w->snapshot_root) {
        json_object_set_new(meta, t_metaname("root", n1, sizeof(n1)),
                            t_metafile(0, w->snapshot_root));
    }
    json_object_set_new(s, "meta", meta);
    struct tk *sk = &w->snap;
    char *stext = t_sign(s, &sk, 1);
    json_t *ts = t_signed("timestamp", tsv, ts_expires);
    meta = json_object();
    json_object_set_new(meta, t_metaname("snapshot", n1, sizeof(n1)), t_metafile(sv, stext));
    json_object_set_new(ts, "meta", meta);
    struct tk *tsk = &w->ts;
    t_put(&w->repo, "timestamp.json", t_sign(ts, &tsk, 1));
    t_put(&w->repo, "snapshot.json", stext);
    t_put(&w->repo, "targets.json", ttext);
}

static int
w_update(struct world *w, struct vg_err **err)
{
    vg_tuf_client_free(w->c);
    w->c = NULL;
    struct vg_tuf_client_opts o = VG_TUF_CLIENT_OPTS_INIT;
    o.dialect = t_dialect;
    o.cache_dir = w->cache;
    o.bootstrap_root = w->root1;
    o.bootstrap_root_len = strlen(w->root1);
    o.fetcher = (struct vg_tuf_fetcher){t_fetch, &w->repo};
    cr_assert(vg_tuf_client_new(&w->c, &o, err) == 0);
    return vg_tuf_client_update(w->c, err);
}

static void
expect_fail(struct world *w, enum vg_errc code, const char *needle)
{
    struct vg_err *err = NULL;
    cr_assert(w_update(w, &err) < 0, "update should fail (%s)", needle);
    char *msg = vg_err_format(err);
    cr_assert(vg_err_code(err) == code, "code %s: %s", vg_errc_name(vg_err_code(err)), msg);
    cr_assert(strstr(msg, needle), "message lacks \"%s\": %s", needle, msg);
    free(msg);
    vg_err_free(&err);
}

static void
expect_ok(struct world *w)
{
    struct vg_err *err = NULL;
    int rc = w_update(w, &err);
    char *msg = err ? vg_err_format(err) : NULL;
    cr_assert(rc == 0, "update: %s", msg ? msg : "?");
    free(msg);
}

Test(tuf_client, full_update_finds_and_checks_target)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_SPEC);
    publish(&w, 1, 1, 1, "hello", T_FUTURE);
    expect_ok(&w);
    const struct vg_tuf_target *t = NULL;
    const char *role = NULL;
    struct vg_err *err = NULL;
    cr_assert(vg_tuf_client_target(w.c, "app", &t, &role, &err) == 0);
    cr_assert_str_eq(role, "targets");
    cr_assert(vg_tuf_target_check(t, "hello", 5, &err) == 0);
    cr_assert(vg_tuf_target_check(t, "hellO", 5, &err) < 0);
    cr_assert(vg_err_code(err) == VG_E_VERIFY);
    vg_err_free(&err);
    cr_assert(vg_tuf_target_check(t, "hello!", 6, &err) < 0);
    vg_err_free(&err);
    cr_assert(vg_tuf_client_target(w.c, "other", &t, NULL, &err) < 0);
    cr_assert(vg_err_code(err) == VG_E_NOTFOUND);
    vg_err_free(&err);
    /* the cache now holds every top-level role; a second client works from it */
    char *p = vg_fmt("%s/targets.json", w.cache);
    cr_assert(vg_path_exists(p));
    free(p);
    unsigned before = w.repo.fetches;
    expect_ok(&w);
    /* timestamp and the 1.. root probe are fetched; snapshot and targets come from cache */
    cr_assert(w.repo.fetches - before == 2, "fetches %u", w.repo.fetches - before);
    w_fini(&w);
}

Test(tuf_client, root_threshold_not_met)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_SPEC);
    struct tk *k[4];
    K4(&w, k);
    json_t *r = t_root(1, T_FUTURE, k);
    json_integer_set(
        json_object_get(json_object_get(json_object_get(r, "roles"), "root"), "threshold"), 2);
    free(w.root1);
    w.root1 = t_sign(r, &k[0], 1);
    publish(&w, 1, 1, 1, "x", T_FUTURE);
    expect_fail(&w, VG_E_VERIFY, "1 of 2 required signatures");
    w_fini(&w);
}

Test(tuf_client, duplicate_signature_counts_once)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_SPEC);
    struct tk *k[4];
    K4(&w, k);
    json_t *r = t_root(1, T_FUTURE, k);
    json_integer_set(
        json_object_get(json_object_get(json_object_get(r, "roles"), "root"), "threshold"), 2);
    struct tk *twice[2] = {&w.root, &w.root};
    free(w.root1);
    w.root1 = t_sign(r, twice, 2);
    publish(&w, 1, 1, 1, "x", T_FUTURE);
    expect_fail(&w, VG_E_VERIFY, "1 of 2 required signatures");
    w_fini(&w);
}

Test(tuf_client, same_key_under_two_ids_counts_once)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_SPEC);
    struct tk *k[4];
    K4(&w, k);
    json_t *r = t_root(1, T_FUTURE, k);
    /* the root key listed again under a second id, and the root role requiring two */
    json_object_set(json_object_get(r, "keys"), "aaaa", w.root.pub);
    json_t *role = json_object_get(json_object_get(r, "roles"), "root");
    json_array_append_new(json_object_get(role, "keyids"), json_string("aaaa"));
    json_integer_set(json_object_get(role, "threshold"), 2);
    struct tk *twice[2] = {&w.root, &w.root};
    const char *ids[2] = {w.root.id, "aaaa"};
    free(w.root1);
    w.root1 = t_sign_as(r, twice, ids, 2);
    publish(&w, 1, 1, 1, "x", T_FUTURE);
    expect_fail(&w, VG_E_VERIFY, "1 of 2 required signatures");
    w_fini(&w);
}

Test(tuf_client, expired_timestamp_refused)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_SPEC);
    publish(&w, 1, 1, 1, "x", T_PAST);
    expect_fail(&w, VG_E_VERIFY, "timestamp metadata expired");
    w_fini(&w);
}

Test(tuf_client, expired_root_refused)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_SPEC);
    struct tk *k[4];
    K4(&w, k);
    free(w.root1);
    w.root1 = t_sign(t_root(1, T_PAST, k), &k[0], 1);
    publish(&w, 1, 1, 1, "x", T_FUTURE);
    expect_fail(&w, VG_E_VERIFY, "root metadata expired");
    w_fini(&w);
}

Test(tuf_client, rolled_back_timestamp_and_snapshot_refused)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_SPEC);
    publish(&w, 5, 5, 5, "new", T_FUTURE);
    expect_ok(&w);
    publish(&w, 4, 5, 5, "new", T_FUTURE);
    expect_fail(&w, VG_E_VERIFY, "timestamp: version 4 is older than the trusted 5");
    publish(&w, 6, 4, 4, "old", T_FUTURE);
    expect_fail(&w, VG_E_VERIFY, "snapshot version 4 is older than the trusted 5");
    /* a newer snapshot that rolls targets back */
    publish(&w, 7, 6, 4, "old", T_FUTURE);
    expect_fail(&w, VG_E_VERIFY, "targets version 4 is older than the trusted 5");
    publish(&w, 8, 7, 6, "newer", T_FUTURE);
    expect_ok(&w);
    w_fini(&w);
}

Test(tuf_client, wrong_hash_or_length_refused)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_SPEC);
    publish(&w, 1, 1, 1, "x", T_FUTURE);
    /* swap the served targets for another validly signed one: snapshot's hash pins it */
    char *good = vg_strdup(t_get(&w.repo, "targets.json"));
    json_t *t = t_signed("targets", 1, T_FUTURE);
    json_t *targets = json_object();
    json_object_set_new(targets, "app", t_target("evil"));
    json_object_set_new(t, "targets", targets);
    struct tk *tk = &w.tgt;
    char *evil = t_sign(t, &tk, 1);
    if (strlen(evil) == strlen(good)) {
        t_put(&w.repo, "targets.json", evil);
        expect_fail(&w, VG_E_VERIFY, "sha256 mismatch");
    } else {
        t_put(&w.repo, "targets.json", evil);
        expect_fail(&w, VG_E_VERIFY, "trusted metadata says");
    }
    /* one byte more than the stated length is refused before parsing */
    char *longer = vg_fmt("%s ", good);
    t_put(&w.repo, "targets.json", longer);
    expect_fail(&w, VG_E_VERIFY, "targets: longer than the");
    free(good);
    w_fini(&w);
}

Test(tuf_client, version_mismatch_with_parent_refused)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_SPEC);
    publish(&w, 1, 2, 1, "x", T_FUTURE);
    /* re-sign a snapshot that claims version 3 while timestamp says 2 (no hashes pinned) */
    char n1[64];
    json_t *s = t_signed("snapshot", 3, T_FUTURE);
    json_t *meta = json_object();
    json_object_set_new(meta, t_metaname("targets", n1, sizeof(n1)),
                        t_metafile(1, t_get(&w.repo, "targets.json")));
    json_object_set_new(s, "meta", meta);
    struct tk *sk = &w.snap;
    t_put(&w.repo, "snapshot.json", t_sign(s, &sk, 1));
    json_t *ts = t_signed("timestamp", 1, T_FUTURE);
    meta = json_object();
    json_object_set_new(meta, "snapshot.json", t_metafile(2, NULL));
    json_object_set_new(ts, "meta", meta);
    struct tk *tsk = &w.ts;
    t_put(&w.repo, "timestamp.json", t_sign(ts, &tsk, 1));
    expect_fail(&w, VG_E_VERIFY, "snapshot: version 3, trusted metadata says 2");
    w_fini(&w);
}

Test(tuf_client, root_rotation_and_swapped_root)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_SPEC);
    publish(&w, 1, 1, 1, "x", T_FUTURE);
    expect_ok(&w);
    struct tk newroot, newts;
    tk_gen(&newroot, "ecdsa");
    tk_gen(&newts, "ed25519");
    struct tk *k[4] = {&newroot, &newts, &w.snap, &w.tgt};
    /* swapped: version 2 signed only by the new root key */
    t_put(&w.repo, "2.root.json", t_sign(t_root(2, T_FUTURE, k), &k[0], 1));
    expect_fail(&w, VG_E_VERIFY, "new root (signed by the trusted root)");
    /* signed by the old key only: the new root's own threshold is not met */
    struct tk *old = &w.root;
    t_put(&w.repo, "2.root.json", t_sign(t_root(2, T_FUTURE, k), &old, 1));
    expect_fail(&w, VG_E_VERIFY, "new root (signed by itself)");
    /* a version that skips ahead */
    struct tk *both[2] = {&w.root, &newroot};
    t_put(&w.repo, "2.root.json", t_sign(t_root(3, T_FUTURE, k), both, 2));
    expect_fail(&w, VG_E_VERIFY, "version 3, expected 2");
    /* a proper rotation, which also rotates the timestamp key: the cached timestamp (v1 by
     * the old key) is dropped, so a new timestamp with a lower version is accepted */
    t_put(&w.repo, "2.root.json", t_sign(t_root(2, T_FUTURE, k), both, 2));
    struct tk saved = w.ts;
    w.ts = newts;
    publish(&w, 1, 1, 1, "x", T_FUTURE);
    expect_ok(&w);
    cr_assert(vg_tuf_client_meta(w.c, "root")->version == 2);
    char *p = vg_fmt("%s/root.json", w.cache);
    struct vg_buf b = VG_BUF_INIT(1u << 20);
    struct vg_err *err = NULL;
    cr_assert(vg_file_read(&b, p, b.max, &err) == 0);
    cr_assert_str_eq((const char *)b.data, t_get(&w.repo, "2.root.json"));
    vg_buf_dispose(&b);
    free(p);
    w.ts = saved;
    tk_free(&newroot);
    tk_free(&newts);
    w_fini(&w);
}

Test(tuf_client, consistent_snapshot_names)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_SPEC);
    struct tk *k[4];
    K4(&w, k);
    json_t *r = t_root(1, T_FUTURE, k);
    json_object_set_new(r, "consistent_snapshot", json_true());
    free(w.root1);
    w.root1 = t_sign(r, &k[0], 1);
    publish(&w, 3, 4, 5, "x", T_FUTURE);
    expect_fail(&w, VG_E_NOTFOUND, "4.snapshot.json");
    t_put(&w.repo, "4.snapshot.json", vg_strdup(t_get(&w.repo, "snapshot.json")));
    t_put(&w.repo, "5.targets.json", vg_strdup(t_get(&w.repo, "targets.json")));
    expect_ok(&w);
    /* target files: by hash-prefixed name, checked against the signed length and hash */
    const struct vg_tuf_target *t = NULL;
    struct vg_err *err = NULL;
    cr_assert(vg_tuf_client_target(w.c, "app", &t, NULL, &err) == 0);
    char hex[65];
    vg_hex_encode(hex, t->hashes.sha256, 32);
    char *name = vg_fmt("targets/%s.app", hex);
    struct vg_buf b = VG_BUF_INIT(0);
    cr_assert(vg_tuf_client_download_target(w.c, t, 1024, &b, &err) < 0);
    cr_assert(vg_err_code(err) == VG_E_NOTFOUND);
    vg_err_free(&err);
    t_put(&w.repo, name, vg_strdup("x"));
    cr_assert(vg_tuf_client_download_target(w.c, t, 1024, &b, &err) == 0);
    cr_assert(b.len == 1 && b.data[0] == 'x');
    vg_buf_dispose(&b);
    t_put(&w.repo, name, vg_strdup("y"));
    cr_assert(vg_tuf_client_download_target(w.c, t, 1024, &b, &err) < 0);
    cr_assert(vg_err_code(err) == VG_E_VERIFY);
    vg_err_free(&err);
    t_put(&w.repo, name, vg_strdup("xx"));
    cr_assert(vg_tuf_client_download_target(w.c, t, 1024, &b, &err) < 0);
    cr_assert(vg_err_code(err) == VG_E_VERIFY);
    vg_err_free(&err);
    cr_assert(vg_tuf_client_download_target(w.c, t, 0, &b, &err) < 0);
    cr_assert(vg_err_code(err) == VG_E_LIMIT);
    vg_err_free(&err);
    struct vg_tuf_target evil = *t;
    char dots[] = "../../v2/other";
    evil.name = dots;
    cr_assert(vg_tuf_client_download_target(w.c, &evil, 1024, &b, &err) < 0);
    cr_assert(vg_err_code(err) == VG_E_UNSUPPORTED);
    vg_err_free(&err);
    free(name);
    w_fini(&w);
}

/* targets delegating to roles with given paths; each delegated role lists "<role>-file". */
static void
publish_delegations(struct world *w, struct tk *dk, size_t nroles, const char *const *names,
                    const char *const *paths, const bool *terminating, const char *const *lists)
{
    char n1[300];
    json_t *s = t_signed("snapshot", 1, T_FUTURE);
    json_t *meta = json_object();
    json_t *t = t_signed("targets", 1, T_FUTURE);
    json_object_set_new(t, "targets", json_object());
    json_t *del = json_object(), *keys = json_object(), *roles = json_array();
    json_object_set(keys, dk->id, dk->pub);
    for (size_t i = 0; i < nroles; i++) {
        json_t *r = t_role(&dk, 1, 1);
        json_object_set_new(r, "name", json_string(names[i]));
        json_t *pa = json_array();
        json_array_append_new(pa, json_string(paths[i]));
        json_object_set_new(r, "paths", pa);
        json_object_set_new(r, "terminating", json_boolean(terminating[i]));
        json_array_append_new(roles, r);
        json_t *d = t_signed("targets", 1, T_FUTURE);
        json_t *dt = json_object();
        json_object_set_new(dt, lists[i], t_target(names[i]));
        json_object_set_new(d, "targets", dt);
        char *text = t_sign(d, &dk, 1);
        json_object_set_new(meta, t_metaname(names[i], n1, sizeof(n1)), t_metafile(1, text));
        snprintf(n1, sizeof(n1), "%s.json", names[i]);
        t_put(&w->repo, n1, text);
    }
    json_object_set_new(del, "keys", keys);
    json_object_set_new(del, "roles", roles);
    json_object_set_new(t, "delegations", del);
    struct tk *tk = &w->tgt;
    char *ttext = t_sign(t, &tk, 1);
    json_object_set_new(meta, t_metaname("targets", n1, sizeof(n1)), t_metafile(1, ttext));
    json_object_set_new(s, "meta", meta);
    struct tk *sk = &w->snap;
    char *stext = t_sign(s, &sk, 1);
    json_t *ts = t_signed("timestamp", 1, T_FUTURE);
    meta = json_object();
    json_object_set_new(meta, t_metaname("snapshot", n1, sizeof(n1)), t_metafile(1, stext));
    json_object_set_new(ts, "meta", meta);
    struct tk *tsk = &w->ts;
    t_put(&w->repo, "timestamp.json", t_sign(ts, &tsk, 1));
    t_put(&w->repo, "snapshot.json", stext);
    t_put(&w->repo, "targets.json", ttext);
}

Test(tuf_client, delegations_paths_and_terminating)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_SPEC);
    struct tk dk;
    tk_gen(&dk, "ecdsa");
    const char *names[] = {"a", "b", "c"};
    const char *paths[] = {"lib/*", "bin/*", "bin/*"};
    const bool term[] = {false, true, false};
    const char *lists[] = {"lib/x", "bin/other", "bin/tool"};
    publish_delegations(&w, &dk, 3, names, paths, term, lists);
    expect_ok(&w);
    const struct vg_tuf_target *t = NULL;
    const char *role = NULL;
    struct vg_err *err = NULL;
    cr_assert(vg_tuf_client_target(w.c, "lib/x", &t, &role, &err) == 0);
    cr_assert_str_eq(role, "a");
    /* "b" is terminating and does not list bin/tool: "c" must never be consulted */
    cr_assert(vg_tuf_client_target(w.c, "bin/tool", &t, &role, &err) < 0);
    cr_assert(vg_err_code(err) == VG_E_NOTFOUND);
    vg_err_free(&err);
    cr_assert(vg_tuf_client_meta(w.c, "c") == NULL);
    /* paths outside every delegation: no role loaded for it */
    cr_assert(vg_tuf_client_target(w.c, "lib/deep/x", &t, &role, &err) < 0);
    vg_err_free(&err);
    tk_free(&dk);
    w_fini(&w);
}

Test(tuf_client, delegated_role_signed_by_wrong_key_refused)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_SPEC);
    struct tk dk, other;
    tk_gen(&dk, "ed25519");
    tk_gen(&other, "ed25519");
    const char *names[] = {"a"};
    const char *paths[] = {"*"};
    const bool term[] = {false};
    const char *lists[] = {"f"};
    publish_delegations(&w, &dk, 1, names, paths, term, lists);
    /* re-sign a.json with a key the delegation does not name (snapshot pins no hash then) */
    json_t *d = t_signed("targets", 1, T_FUTURE);
    json_t *dt = json_object();
    json_object_set_new(dt, "f", t_target("evil"));
    json_object_set_new(d, "targets", dt);
    struct tk *o = &other;
    char *text = t_sign(d, &o, 1);
    t_put(&w.repo, "a.json", text);
    expect_ok(&w);
    const struct vg_tuf_target *t = NULL;
    struct vg_err *err = NULL;
    cr_assert(vg_tuf_client_target(w.c, "f", &t, NULL, &err) < 0);
    cr_assert(vg_err_code(err) == VG_E_VERIFY);
    vg_err_free(&err);
    tk_free(&dk);
    tk_free(&other);
    w_fini(&w);
}

Test(tuf_client, huge_delegations_refused)
{
    t_dialect = VG_TUF_DIALECT_SPEC;
    json_t *t = t_signed("targets", 1, T_FUTURE);
    json_object_set_new(t, "targets", json_object());
    json_t *del = json_object(), *roles = json_array();
    for (unsigned i = 0; i <= VG_TUF_MAX_DELEGATIONS; i++) {
        json_t *r = json_object();
        char name[32];
        snprintf(name, sizeof(name), "r%u", i);
        json_object_set_new(r, "name", json_string(name));
        json_object_set_new(r, "keyids", json_array());
        json_object_set_new(r, "threshold", json_integer(1));
        json_object_set_new(r, "paths", json_array());
        json_array_append_new(roles, r);
    }
    json_object_set_new(del, "keys", json_object());
    json_object_set_new(del, "roles", roles);
    json_object_set_new(t, "delegations", del);
    json_t *doc = json_object();
    json_object_set_new(doc, "signatures", json_array());
    json_object_set_new(doc, "signed", t);
    char *text = json_dumps(doc, JSON_COMPACT);
    struct vg_tuf_meta *m = NULL;
    struct vg_err *err = NULL;
    cr_assert(vg_tuf_meta_parse(&m, VG_TUF_DIALECT_SPEC, VG_TUF_TARGETS, text, strlen(text), &err) <
              0);
    cr_assert(vg_err_code(err) == VG_E_LIMIT);
    vg_err_free(&err);
    /* at the limit it parses */
    json_array_remove(roles, 0);
    free(text);
    text = json_dumps(doc, JSON_COMPACT);
    cr_assert(
        vg_tuf_meta_parse(&m, VG_TUF_DIALECT_SPEC, VG_TUF_TARGETS, text, strlen(text), &err) == 0);
    cr_assert(m->ndelegations == VG_TUF_MAX_DELEGATIONS);
    vg_tuf_meta_free(m);
    free(text);
    json_decref(doc);
}

Test(tuf_client, notary_dialect_round_trip_and_swapped_root)
{
    struct world w;
    w_init(&w, VG_TUF_DIALECT_NOTARY);
    publish(&w, 1, 1, 1, "manifest-bytes", T_FUTURE);
    expect_ok(&w);
    const struct vg_tuf_target *t = NULL;
    struct vg_err *err = NULL;
    cr_assert(vg_tuf_client_target(w.c, "app", &t, NULL, &err) == 0);
    cr_assert(vg_tuf_target_check(t, "manifest-bytes", 14, &err) == 0);
    /* a new root the trusted root did not sign is refused */
    struct tk evil;
    tk_gen(&evil, "ecdsa");
    struct tk *k[4] = {&evil, &w.ts, &w.snap, &w.tgt};
    t_put(&w.repo, "2.root.json", t_sign(t_root(2, T_FUTURE, k), &k[0], 1));
    expect_fail(&w, VG_E_VERIFY, "signed by the trusted root");
    t_put(&w.repo, "2.root.json", vg_strdup("{}"));
    t_del(&w.repo, "2.root.json");
    /* Notary's snapshot pins the root: one naming another root is a swapped root */
    char *other = t_sign(t_root(1, T_FUTURE, k), &k[0], 1);
    w.snapshot_root = other;
    publish(&w, 2, 2, 2, "manifest-bytes", T_FUTURE);
    expect_fail(&w, VG_E_VERIFY, "snapshot names a root other than the trusted one");
    w.snapshot_root = w.root1;
    publish(&w, 3, 3, 3, "manifest-bytes", T_FUTURE);
    expect_ok(&w);
    free(other);
    tk_free(&evil);
    w_fini(&w);
}

Test(tuf_cjson, sorted_compact_minimal_escapes)
{
    json_t *j = json_loads(
        "{\"b\":[1,true,null,\"q\\\"\\\\\\n\"],\"a\":{\"z\":-3,\"y\":\"\xc3\xa9\"}}", 0, NULL);
    cr_assert(j);
    struct vg_buf b = VG_BUF_INIT(4096);
    struct vg_err *err = NULL;
    cr_assert(vg_tuf_cjson_encode(&b, j, &err) == 0);
    cr_assert_str_eq((const char *)b.data,
                     "{\"a\":{\"y\":\"\xc3\xa9\",\"z\":-3},\"b\":[1,true,null,\"q\\\"\\\\\n\"]}");
    vg_buf_dispose(&b);
    json_decref(j);
    j = json_loads("{\"a\":1.5}", 0, NULL);
    b = VG_BUF_INIT(4096);
    cr_assert(vg_tuf_cjson_encode(&b, j, &err) < 0);
    cr_assert(vg_err_code(err) == VG_E_PARSE);
    vg_err_free(&err);
    vg_buf_dispose(&b);
    json_decref(j);
}

Test(tuf_meta, rejects_bad_fields)
{
    static const char *const bad[] = {
        "{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"version\":0,"
        "\"expires\":\"2030-01-01T00:00:00Z\",\"targets\":{}}}",
        "{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"version\":1,"
        "\"expires\":\"2030-01-01\",\"targets\":{}}}",
        "{\"signatures\":[],\"signed\":{\"_type\":\"root\",\"version\":1,"
        "\"expires\":\"2030-01-01T00:00:00Z\",\"targets\":{}}}",
        "{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"version\":1,"
        "\"expires\":\"2030-01-01T00:00:00Z\",\"targets\":{\"a\":{\"length\":1}}}}",
        "{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"version\":1,"
        "\"expires\":\"2030-01-01T00:00:00Z\",\"targets\":{\"a\":{\"length\":1,"
        "\"hashes\":{\"sha256\":\"abcd\"}}}}}",
        "{\"signatures\":[{\"keyid\":\"a\",\"sig\":\"xyz\"}],\"signed\":{\"_type\":\"targets\","
        "\"version\":1,\"expires\":\"2030-01-01T00:00:00Z\",\"targets\":{}}}",
        "{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"version\":1,\"version\":2,"
        "\"expires\":\"2030-01-01T00:00:00Z\",\"targets\":{}}}",
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        struct vg_tuf_meta *m = NULL;
        struct vg_err *err = NULL;
        cr_assert(vg_tuf_meta_parse(&m, VG_TUF_DIALECT_SPEC, VG_TUF_TARGETS, bad[i], strlen(bad[i]),
                                    &err) < 0,
                  "case %zu parsed", i);
        cr_assert(vg_err_code(err) == VG_E_PARSE, "case %zu: %s", i,
                  vg_errc_name(vg_err_code(err)));
        vg_err_free(&err);
    }
    int64_t t = 0;
    struct vg_err *err = NULL;
    cr_assert(vg_tuf_time_parse("2030-01-01T01:00:00.123456789+01:00", &t, &err) == 0);
    cr_assert(t == 1893456000, "%lld", (long long)t);
}
