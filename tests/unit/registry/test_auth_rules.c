/* SPDX-License-Identifier: Apache-2.0
 *
 * Access rules from YAML: grants by user, group, "*" and anonymous; deny by default once auth
 * is configured, open when not; "prod/" + double star never matching `prod-evil/x`; robots;
 * immutable tags with cosign's and the referrers fallback tags exempt; config errors with
 * FILE:LINE:COL.
 */
#include "registry/auth.h"
#include "testutil.h"

static const char bcrypt[] = "$2y$04$3STJJTySszb67MaI8EqjLePHXTN5bXQPZUYLzaayBXqLVC.SpLaKa";

static int
load(struct vg_auth_config *c, struct vg_config_doc **doc, const char *yaml, struct vg_err **err)
{
    int rc = vg_config_load_buf(doc, "reg.yaml", yaml, strlen(yaml), NULL, err);
    if (rc < 0) {
        return rc;
    }
    const struct vg_config_node *root = vg_config_doc_root(*doc, 0);
    return vg_auth_config_parse(c, vg_config_map_get(root, "auth"),
                                vg_config_map_get(root, "access"),
                                vg_config_map_get(root, "immutable"), err);
}

static void
load_ok(struct vg_auth_config *c, const char *yaml)
{
    struct vg_config_doc *doc = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(load(c, &doc, yaml, &err), err);
    vg_config_doc_free(doc);
}

static const char *example = "auth:\n"
                             "  htpasswd: /dev/null\n"
                             "  groups: {devs: [dana, erin]}\n"
                             "access:\n"
                             "  - repos: [\"prod/**\"]\n"
                             "    users: [ci]\n"
                             "    actions: [pull, push]\n"
                             "  - repos: [\"prod/**\", \"dev/*\"]\n"
                             "    groups: [devs]\n"
                             "    actions: [pull]\n"
                             "  - repos: [\"dev/*\"]\n"
                             "    users: [\"*\"]\n"
                             "    actions: [\"*\", catalog]\n"
                             "  - repos: [\"public/**\"]\n"
                             "    anonymous: [pull]\n"
                             "immutable: [\"prod/**\"]\n";

Test(registry_auth_rules, grants_by_user_group_and_anonymous)
{
    struct vg_auth_config c;
    load_ok(&c, example);
    cr_assert(vg_auth_config_enabled(&c));
    cr_assert_eq(vg_auth_rules_grant(&c, "ci", "prod/app"), VG_AUTH_PULL | VG_AUTH_PUSH);
    cr_assert_eq(vg_auth_rules_grant(&c, "ci", "prod/team/app"), VG_AUTH_PULL | VG_AUTH_PUSH);
    cr_assert_eq(vg_auth_rules_grant(&c, "dana", "prod/app"), VG_AUTH_PULL);
    cr_assert_eq(vg_auth_rules_grant(&c, "frank", "prod/app"), 0, "deny by default");
    cr_assert_eq(vg_auth_rules_grant(&c, "frank", "dev/x"), VG_AUTH_REPO_ALL);
    cr_assert_eq(vg_auth_rules_grant(&c, "frank", "dev/x/y"), 0, "* is one segment");
    cr_assert_eq(vg_auth_rules_grant(&c, NULL, "dev/x"), 0, "users: [*] is not anonymous");
    cr_assert_eq(vg_auth_rules_grant(&c, NULL, "public/lib/x"), VG_AUTH_PULL);
    cr_assert_eq(vg_auth_rules_grant(&c, "ci", "public/lib/x"), VG_AUTH_PULL);
    cr_assert_eq(vg_auth_rules_grant_registry(&c, "frank"), VG_AUTH_CATALOG);
    cr_assert_eq(vg_auth_rules_grant_registry(&c, NULL), 0);
    vg_auth_config_dispose(&c);
}

Test(registry_auth_rules, prod_glob_does_not_cover_prod_evil)
{
    struct vg_auth_config c;
    load_ok(&c, example);
    static const char *outside[] = {"prod-evil/x", "prodx/app", "production/app", "x/prod/app",
                                    "pro/app"};
    for (size_t i = 0; i < VG_ARRAY_LEN(outside); i++) {
        cr_assert_eq(vg_auth_rules_grant(&c, "ci", outside[i]), 0, "%s", outside[i]);
        cr_assert_not(vg_auth_tag_immutable(&c, outside[i], "v1"), "%s", outside[i]);
    }
    vg_auth_config_dispose(&c);
}

Test(registry_auth_rules, open_when_nothing_configured)
{
    struct vg_auth_config c;
    load_ok(&c, "immutable: [\"prod/**\"]\n");
    cr_assert_not(vg_auth_config_enabled(&c));
    cr_assert_eq(vg_auth_rules_grant(&c, NULL, "any/thing"), VG_AUTH_REPO_ALL);
    cr_assert_eq(vg_auth_rules_grant_registry(&c, NULL), VG_AUTH_CATALOG);
    cr_assert(vg_auth_tag_immutable(&c, "prod/app", "v1"));
    vg_auth_config_dispose(&c);
}

Test(registry_auth_rules, immutable_exempts_cosign_and_referrers_tags)
{
    struct vg_auth_config c;
    load_ok(&c, example);
    const char *hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    vg_autofree char *sig = vg_fmt("sha256-%s.sig", hex);
    vg_autofree char *att = vg_fmt("sha256-%s.att", hex);
    vg_autofree char *sbom = vg_fmt("sha256-%s.sbom", hex);
    vg_autofree char *fallback = vg_fmt("sha256-%s", hex);
    vg_autofree char *other = vg_fmt("sha256-%s.txt", hex);
    vg_autofree char *shorthex = vg_fmt("sha256-%.63s.sig", hex);
    cr_assert_not(vg_auth_tag_immutable(&c, "prod/app", sig));
    cr_assert_not(vg_auth_tag_immutable(&c, "prod/app", att));
    cr_assert_not(vg_auth_tag_immutable(&c, "prod/app", sbom));
    cr_assert_not(vg_auth_tag_immutable(&c, "prod/app", fallback));
    cr_assert(vg_auth_tag_immutable(&c, "prod/app", other));
    cr_assert(vg_auth_tag_immutable(&c, "prod/app", shorthex));
    cr_assert(vg_auth_tag_immutable(&c, "prod/app", "v1.2.3"));
    cr_assert(vg_auth_tag_immutable(&c, "prod/app", "latest"));
    cr_assert_not(vg_auth_tag_immutable(&c, "dev/app", "latest"));
    vg_auth_config_dispose(&c);
}

Test(registry_auth_rules, robots_get_only_their_scope)
{
    vg_autofree char *yaml = vg_fmt("auth:\n"
                                    "  token: {realm: \"http://r/token\"}\n"
                                    "  robots:\n"
                                    "    - name: robot-ci\n"
                                    "      password-hash: \"%s\"\n"
                                    "      repos: [\"prod/app\"]\n"
                                    "      actions: [pull, push]\n"
                                    "      expires: 2030-01-01\n"
                                    "access:\n"
                                    "  - {repos: [\"**\"], users: [\"*\"], actions: [\"*\"]}\n",
                                    bcrypt);
    struct vg_auth_config c;
    load_ok(&c, yaml);
    cr_assert(c.token);
    cr_assert_eq(c.nrobots, 1);
    cr_assert_eq(c.robots[0].expires, 1893456000);
    cr_assert_eq(vg_auth_rules_grant(&c, "robot-ci", "prod/app"), VG_AUTH_PULL | VG_AUTH_PUSH);
    cr_assert_eq(vg_auth_rules_grant(&c, "robot-ci", "prod/other"), 0);
    cr_assert_eq(vg_auth_rules_grant_registry(&c, "robot-ci"), 0);
    cr_assert_eq(vg_auth_rules_grant(&c, "human", "prod/other"), VG_AUTH_REPO_ALL);
    vg_auth_config_dispose(&c);
}

Test(registry_auth_rules, config_errors_name_the_place)
{
    static const struct {
        const char *yaml, *msg;
    } cases[] = {
        {"access:\n  - repos: [a]\n    users: [u]\n    actions: [pul]\n",
         "reg.yaml:4:15: unknown action 'pul'"},
        {"access:\n  - repos: [a]\n    actions: [pull]\n", "grants nothing"},
        {"access:\n  - users: [u]\n    actions: [pull]\n", "needs 'repos'"},
        {"access:\n  - repos: [Prod/x]\n    anonymous: [pull]\n", "'P' cannot occur"},
        {"access:\n  - repos: [a]\n    groups: [nope]\n    actions: [pull]\n",
         "group 'nope' is not defined"},
        {"access:\n  - repos: [a]\n    anonymous: [catalog]\n", "unknown action 'catalog'"},
        {"access:\n  - repos: [a]\n    colour: blue\n", "unknown key 'access[].colour'"},
        {"auth:\n  htpasswd: f\n  robots:\n    - {name: r, password-hash: x}\n",
         "must be a bcrypt hash"},
        {"auth:\n  htpasswd: f\n  robots:\n    - {name: r, password-hash: "
         "\"$2y$04$3STJJTySszb67MaI8EqjLePHXTN5bXQPZUYLzaayBXqLVC.SpLaKa\"}\n",
         "token-only"},
        {"auth:\n  token: {ttl: 30s}\n", ">= 60s"},
        {"auth:\n  tokens: true\n", "unknown key 'auth.tokens'"},
        {"immutable: prod\n", "must be a list"},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        struct vg_auth_config c;
        struct vg_config_doc *doc = NULL;
        struct vg_err *err = NULL;
        cr_assert_lt(load(&c, &doc, cases[i].yaml, &err), 0, "%s", cases[i].yaml);
        vg_autofree char *m = vg_err_format(err);
        cr_assert(strstr(m, cases[i].msg), "%s => %s", cases[i].yaml, m);
        cr_assert_eq(vg_err_code(err), VG_E_PARSE);
        vg_err_free(&err);
        vg_auth_config_dispose(&c);
        vg_config_doc_free(doc);
    }
}
