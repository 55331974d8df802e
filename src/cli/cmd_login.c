/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil login REGISTRY -u USER (-p PASS | --password-stdin)`: docker's / cosign's login,
 * writing the credentials into docker's config.json (oci/'s vg_oci_remote_creds_store), where
 * every vigil command, docker, skopeo and cosign read them (docs/cosign-commands.md).
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "oci/oci.h"

static const char login_help[] =
    "Usage: vigil login [-u USER] [-p PASS | --password-stdin] [--docker-config DIR] REGISTRY\n"
    "\n"
    "Stores credentials for REGISTRY (host[:port]; docker.io for Docker Hub) in docker's\n"
    "config.json ($DOCKER_CONFIG/config.json, else ~/.docker/config.json), as 'docker login'\n"
    "and 'cosign login' do: \"auths\": {REGISTRY: {\"auth\": base64(USER:PASS)}}. Other\n"
    "entries are kept; the file is written atomically, mode 0600. The registry is not\n"
    "contacted (as cosign login).\n"
    "\n"
    "Options:\n"
    "  -u, --username USER    the user name (required)\n"
    "  -p, --password PASS    the password (visible in the process list: prefer\n"
    "                         --password-stdin)\n"
    "  --password-stdin       read the password from stdin (one trailing newline dropped)\n"
    "  --docker-config DIR    write DIR/config.json instead\n"
    "\n"
    "Examples:\n"
    "  echo \"$TOKEN\" | vigil login registry.example.com -u ci --password-stdin\n"
    "  vigil login docker.io -u alice -p \"$PASS\"\n"
    "\n"
    "Exit codes: 0 stored, 2 usage, 3 I/O error, 6 existing config.json is malformed.\n";

enum { OPT_STDIN = 1, OPT_DIR, OPT_HELP };

static int
read_password(struct vg_buf *b, struct vg_err **err)
{
    uint8_t chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        if (vg_buf_append(b, chunk, got, err) < 0) {
            return -1;
        }
    }
    if (ferror(stdin)) {
        return vg_err_sys(err, VG_E_IO, "read standard input");
    }
    if (b->len && b->data[b->len - 1] == '\n') {
        b->len--;
        if (b->len && b->data[b->len - 1] == '\r') {
            b->len--;
        }
    }
    return vg_buf_appendc(b, '\0', err);
}

int
cmd_login(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"username", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'p'},
        {"password-stdin", no_argument, NULL, OPT_STDIN},
        {"docker-config", required_argument, NULL, OPT_DIR},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *user = NULL, *pass = NULL, *dir = NULL;
    bool from_stdin = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "hu:p:", longopts, NULL)) != -1) {
        switch (c) {
        case 'u':
            user = optarg;
            break;
        case 'p':
            pass = optarg;
            break;
        case OPT_STDIN:
            from_stdin = true;
            break;
        case OPT_DIR:
            dir = optarg;
            break;
        case 'h':
        case OPT_HELP:
            fputs(login_help, stdout);
            return VG_EXIT_OK;
        default:
            return vg_cli_usage("login", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc) {
        return vg_cli_usage("login", optind == argc ? "missing REGISTRY" : "too many arguments");
    }
    const char *registry = argv[optind];
    if (!user || !*user) {
        return vg_cli_usage("login", "--username is required");
    }
    if ((pass != NULL) == from_stdin) {
        return vg_cli_usage("login", "give exactly one of --password and --password-stdin");
    }
    if (!*registry || strchr(registry, '/') || strchr(registry, '@')) {
        return vg_cli_usage("login", "REGISTRY is a host[:port], not '%s'", registry);
    }
    struct vg_err *err = NULL;
    struct vg_buf pw = VG_BUF_INIT(64u * 1024u);
    if (from_stdin && read_password(&pw, &err) < 0) {
        vg_buf_dispose(&pw);
        return vg_cli_fail(&err, "login");
    }
    vg_autofree char *path = NULL;
    int rc = vg_oci_remote_creds_store(registry, user, from_stdin ? (const char *)pw.data : pass,
                                       dir, &path, &err);
    if (pw.data) {
        explicit_bzero(pw.data, pw.cap);
    }
    vg_buf_dispose(&pw);
    if (rc < 0) {
        vg_autofree char *ctx = vg_fmt("login %s", registry);
        return vg_cli_fail(&err, ctx);
    }
    fprintf(stderr, "vigil: logged in via %s\n", path);
    return VG_EXIT_OK;
}
