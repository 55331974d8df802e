/* SPDX-License-Identifier: Apache-2.0
 *
 * vigil's entry point: global initialisation (before any thread starts), then dispatch to one
 * subcommand from a table. Commands whose implementation is not linked are absent.
 */
#include "cli.h"

#include <string.h>

#include "crypto/crypto.h"
#include "net/net.h"
#include "sign/notation.h"

#ifndef VG_VERSION
#define VG_VERSION "0.0.0"
#endif

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"inspect", cmd_inspect, "show an image's manifest, config and layers"},
    {"sbom", cmd_sbom, "list every package in an image (CycloneDX, SPDX, JSON)"},
    {"scan", cmd_scan, "scan an image for vulnerabilities, secrets, config and model risks"},
    {"config", cmd_config, "check Dockerfiles, Kubernetes manifests, EncryptionConfiguration"},
    {"fs", cmd_fs, "scan a source tree: lock files and manifests, secrets"},
    {"k8s", cmd_k8s, "scan the images running in a Kubernetes cluster, per workload"},
    {"rootfs", cmd_rootfs, "scan an unpacked root filesystem as an image scan would"},
    {"vercmp", cmd_vercmp, "compare two versions with an ecosystem's rules"},
    {"db", cmd_db, "build, update and inspect the vulnerability database"},
    {"generate-key-pair", cmd_generate_key_pair, "create a cosign-compatible key pair"},
    {"import-key-pair", cmd_import_key_pair, "encrypt an existing PEM key in cosign's format"},
    {"sign", cmd_sign, "sign an image in a registry (cosign layout)"},
    {"verify", cmd_verify, "verify an image's signatures"},
    {"trust", cmd_trust, "Docker Content Trust (Notary v1): inspect signed tags"},
    {"notation", cmd_notation, "Notary Project signatures (Notation): sign, verify"},
    {"attest", cmd_attest, "attach a signed in-toto attestation to an image"},
    {"verify-attestation", cmd_verify_attestation, "verify an image's attestations"},
    {"sign-blob", cmd_sign_blob, "sign a file"},
    {"verify-blob", cmd_verify_blob, "verify a file's signature"},
    {"clean", cmd_clean, "remove cached data: scan cache, vulnerability database"},
    {"tree", cmd_tree, "list signatures, attestations and SBOMs attached to an image"},
    {"copy", cmd_copy, "copy an image with its signatures, attestations and SBOMs"},
    {"download", cmd_download, "print an image's signatures, attestations or SBOM (cosign)"},
    {"save", cmd_save, "save an image with its signatures to an OCI layout (cosign)"},
    {"load", cmd_load, "push an OCI layout made by save (vigil or cosign) to a registry"},
    {"login", cmd_login, "store registry credentials in docker's config.json"},
    {"attach", cmd_attach, "upload a signature, attestation or SBOM made elsewhere (cosign)"},
    {"triangulate", cmd_triangulate, "print where an image's signatures are stored"},
    {"policy", cmd_policy,
     "check images against image policies (vigil, Gatekeeper, Sigstore, Kyverno)"},
    {"registry", cmd_registry, "run an OCI registry (registry serve)"},
    {"admit", cmd_admit, "the Kubernetes admission webhook (admit serve, admit check)"},
};

static void
usage(FILE *f)
{
    fprintf(f,
            "vigil %s — container image supply-chain security\n\n"
            "Usage: vigil COMMAND [OPTIONS]\n\nCommands:\n",
            VG_VERSION);
    for (size_t i = 0; i < VG_ARRAY_LEN(commands); i++) {
        fprintf(f, "  %-20s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(f, "  %-20s %s\n", "version", "print the version");
    fprintf(f, "\nRun 'vigil COMMAND --help' for a command's options and examples.\n"
               "Exit codes: 0 ok, 1 findings/verification failed, 2 usage, 3 runtime error,\n"
               "4 not found, 5 auth refused, 6 corrupt input, 7 network error.\n"
               "Logging: VG_LOG=debug or VG_LOG=warn,oci=trace.\n");
}

/* `vigil help CMD [SUB...]` is `vigil CMD [SUB...] --help`, as git and Trivy do. */
static int
help_command(int argc, char **argv)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(commands); i++) {
        if (strcmp(argv[0], commands[i].name) == 0) {
            char **av = vg_calloc((size_t)argc + 2, sizeof(*av));
            memcpy(av, argv, (size_t)argc * sizeof(*av));
            char help[] = "--help"; /* getopt may permute argv: a writable string */
            av[argc] = help;
            int rc = commands[i].fn(argc + 1, av);
            free(av);
            return rc;
        }
    }
    char *t = vg_escape(argv[0], strlen(argv[0]), 64);
    fprintf(stderr, "vigil: unknown command '%s'\n", t);
    free(t);
    usage(stderr);
    return VG_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    vg_log_init(NULL);
    struct vg_err *err = NULL;
    if (vg_net_init(&err) < 0) {
        return vg_cli_fail(&err, "initialise networking");
    }
    if (vg_crypto_init(&err) < 0) {
        vg_net_cleanup();
        return vg_cli_fail(&err, "initialise cryptography");
    }
    /* CLI runs keep Notation revocation responses on disk; servers reconfigure (memory) */
    vg_notation_revocation_configure(&(struct vg_notation_revocation_config){.disk = true});
    int rc;
    if (argc >= 3 && strcmp(argv[1], "help") == 0) {
        rc = help_command(argc - 2, argv + 2);
    } else if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
               strcmp(argv[1], "help") == 0) {
        usage(stdout);
        rc = argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
    } else if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("vigil %s\n", VG_VERSION);
        rc = VG_EXIT_OK;
    } else {
        rc = -1;
        for (size_t i = 0; i < VG_ARRAY_LEN(commands); i++) {
            if (strcmp(argv[1], commands[i].name) == 0) {
                rc = commands[i].fn(argc - 1, argv + 1);
                break;
            }
        }
        if (rc < 0) {
            fprintf(stderr, "vigil: unknown command '%s'\n", argv[1]);
            usage(stderr);
            rc = VG_EXIT_USAGE;
        }
    }
    vg_notation_revocation_configure(NULL);
    vg_net_cleanup();
    return rc;
}
