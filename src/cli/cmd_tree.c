/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil tree IMAGE`: lists the supply-chain artifacts attached to an image - legacy
 * signatures (`.sig`), attestations (`.att`), SBOMs (`.sbom`) and OCI 1.1 referrers (cosign 3
 * bundles and anything else) - like `cosign tree`, as text or JSON (docs/signing.md).
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "sign/sign.h"

static const char tree_help[] =
    "Usage: vigil tree [--output text|json] " VG_CLI_USAGE_REGISTRY "\n"
    "                  IMAGE\n"
    "\n"
    "Lists what is attached to IMAGE's manifest digest: signatures (tag sha256-<hex>.sig and\n"
    "cosign 3 bundle referrers), attestations (sha256-<hex>.att and bundle referrers, with\n"
    "their predicate types), SBOMs (sha256-<hex>.sbom) and other OCI 1.1 referrers (through\n"
    "the referrers API, or the sha256-<hex> fallback tag). Nothing is verified: use\n"
    "vigil verify / verify-attestation for that.\n"
    "\n"
    "Options:\n"
    "  --output text|json     text tree (default) or a JSON object\n" VG_CLI_HELP_REGISTRY "\n"
    "Examples:\n"
    "  vigil tree registry.example.com/team/app:1.4\n"
    "  vigil tree --output json registry.example.com/team/app:1.4 | jq '.attachments[]'\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 3 runtime, 4 image not found, 5 auth, 7 network.\n";

enum { OPT_OUTPUT = 1, OPT_HELP };

struct tree_args {
    bool json;
    struct vg_oci_open_opts open;
    const char *image;
};

static int
parse_args(struct tree_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, OPT_OUTPUT},
        VG_CLI_REGISTRY_LONGOPTS,
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &a->open)) {
            continue;
        }
        switch (c) {
        case 'o':
        case OPT_OUTPUT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                return vg_cli_usage("tree", "--output must be text or json, not '%s'", optarg);
            }
            a->json = strcmp(optarg, "json") == 0;
            break;
        case 'h':
        case OPT_HELP:
            fputs(tree_help, stdout);
            return -1;
        default:
            return vg_cli_usage("tree", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc) {
        return vg_cli_usage("tree", optind == argc ? "missing IMAGE" : "too many arguments");
    }
    a->image = argv[optind];
    return 0;
}

static int
render_json(const struct vg_sign_target *t, const struct vg_sign_tree *tr, struct vg_err **err)
{
    vg_autojson json_t *root = json_object();
    json_object_set_new(root, "image", json_string(t->name));
    json_object_set_new(root, "digest", json_string(t->digest.text));
    json_object_set_new(root, "referrersAPI", json_boolean(tr->referrers_api));
    json_t *arr = json_array();
    for (size_t i = 0; i < tr->n; i++) {
        const struct vg_sign_tree_entry *e = &tr->entries[i];
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}", "kind", e->kind, "location",
                                             e->location, "digest", e->digest, "type", e->detail));
    }
    json_object_set_new(root, "attachments", arr);
    return vg_json_write_file(root, stdout, true, err);
}

/* Groups entries by location, in the order found. Registry strings are escaped. */
static void
render_text(const struct vg_sign_target *t, const struct vg_sign_tree *tr)
{
    printf("Supply chain artifacts for %s@%s\n", t->name, t->digest.text);
    if (tr->n == 0) {
        printf("(none)\n");
        return;
    }
    for (size_t i = 0; i < tr->n; i++) {
        const struct vg_sign_tree_entry *e = &tr->entries[i];
        bool first = i == 0 || strcmp(tr->entries[i - 1].location, e->location) != 0 ||
                     strcmp(tr->entries[i - 1].kind, e->kind) != 0;
        if (first) {
            printf("+-- %s: %s\n", e->kind, e->location);
        }
        vg_autofree char *d = vg_escape(e->detail, strlen(e->detail), 200);
        printf("|   +-- %s  %s\n", e->digest, d);
    }
}

int
cmd_tree(int argc, char **argv)
{
    struct tree_args a = {0};
    int rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        return rc < 0 ? VG_EXIT_OK : rc;
    }
    struct vg_err *err = NULL;
    struct vg_sign_target *t = NULL;
    vg_autofree char *ctx = vg_fmt("tree %s", a.image);
    if (vg_sign_target_open(&t, a.image, &a.open, NULL, &err) < 0) {
        return vg_cli_fail(&err, ctx);
    }
    struct vg_sign_tree tr;
    if (vg_sign_target_tree(t, &tr, &err) < 0) {
        vg_sign_target_free(t);
        return vg_cli_fail(&err, ctx);
    }
    if (a.json) {
        rc = render_json(t, &tr, &err);
    } else {
        render_text(t, &tr);
    }
    vg_sign_tree_dispose(&tr);
    vg_sign_target_free(t);
    if (rc < 0) {
        return vg_cli_fail(&err, ctx);
    }
    return fflush(stdout) == 0 ? VG_EXIT_OK : VG_EXIT_RUNTIME;
}
