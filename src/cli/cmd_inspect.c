/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil inspect IMAGE`: the resolved reference, manifest digest and media type, platform,
 * config (user, env, entrypoint, cmd, ports, labels, history) and layers (digest, diffID,
 * compressed and uncompressed size, file count) with totals, as a table or as stable JSON
 * (docs/inspect.md). Opening and verifying is oci/'s, the layer walk is layers/'s; this file
 * only parses flags and renders.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "layers/layers.h"
#include "oci/oci.h"

static const char inspect_help[] =
    "Usage: vigil inspect IMAGE [--format table|json] [--platform OS/ARCH[/VARIANT]]\n"
    "                     " VG_CLI_USAGE_REGISTRY "\n"
    "\n"
    "Shows an image's resolved reference, manifest digest and media type, platform, config\n"
    "(user, env, entrypoint, cmd, exposed ports, labels, history) and layers (digest, diffID,\n"
    "compressed and uncompressed size, file count). Every blob is verified against its digest\n"
    "while it is read; each layer is walked once to count its files.\n"
    "\n"
    "IMAGE is one of:\n"
    "  oci:DIR[:TAG]               OCI image layout (TAG: org.opencontainers.image.ref.name)\n"
    "  oci-archive:FILE[:TAG]      tar of an OCI layout (podman save --format oci-archive)\n"
    "  docker-archive:FILE[:REF]   tarball from 'docker save' or skopeo (REF: a RepoTag or @N)\n"
    "  containers-storage:[STORE]REF  podman/buildah local store, read only\n"
    "                              (STORE: DRIVER@GRAPHROOT+RUNROOT; default: storage.conf)\n"
    "  docker-daemon:REF           image in the local Docker Engine (DOCKER_HOST unix socket)\n"
    "  docker://REF, REF           registry image (nginx = docker.io/library/nginx:latest)\n"
    "\n"
    "Options:\n"
    "  --format table|json    output format (default: table); JSON is documented and "
    "stable\n" VG_CLI_HELP_PLATFORM VG_CLI_HELP_REGISTRY "\n"
    "Examples:\n"
    "  vigil inspect oci:./layout:v1\n"
    "  vigil inspect --format json docker-archive:image.tar\n"
    "  vigil inspect containers-storage:localhost/app:latest\n"
    "  vigil inspect docker-daemon:nginx:1.27\n"
    "  vigil inspect --platform linux/arm64 nginx:1.27\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 3 runtime, 4 not found, 5 auth, 6 corrupt input, 7 network.\n";

enum { OPT_FORMAT = 1, OPT_HELP };

struct inspect_args {
    const char *image;
    bool json;
    struct vg_oci_open_opts open;
};

static int
parse_args(struct inspect_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, OPT_FORMAT},
        VG_CLI_IMAGE_LONGOPTS,
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (vg_cli_image_opt(c, optarg, &a->open)) {
            continue;
        }
        switch (c) {
        case OPT_FORMAT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0) {
                return vg_cli_usage("inspect", "--format must be table or json, not '%s'", optarg);
            }
            a->json = strcmp(optarg, "json") == 0;
            break;
        case 'h':
        case OPT_HELP:
            fputs(inspect_help, stdout);
            return -1;
        default:
            return vg_cli_usage("inspect", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc) {
        return vg_cli_usage("inspect", optind == argc ? "missing IMAGE" : "too many arguments");
    }
    a->image = argv[optind];
    return 0;
}

/* ---------------------------------------------------------------- JSON */

static json_t *
str_array(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_string(v[i]));
    }
    return a;
}

static json_t *
opt_string(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *
config_json(const struct vg_oci_image *img)
{
    const struct vg_oci_config *c = img->config;
    json_t *j = json_object();
    json_object_set_new(j, "digest", json_string(img->manifest->config.digest.text));
    json_object_set_new(j, "mediaType", json_string(img->manifest->config.media_type));
    json_object_set_new(j, "size", json_integer((json_int_t)img->manifest->config.size));
    json_object_set_new(j, "created", opt_string(c->created));
    json_object_set_new(j, "author", opt_string(c->author));
    json_object_set_new(j, "user", opt_string(c->user));
    json_object_set_new(j, "workingDir", opt_string(c->workdir));
    json_object_set_new(j, "env", str_array(c->env, c->nenv));
    json_object_set_new(j, "entrypoint", str_array(c->entrypoint, c->nentrypoint));
    json_object_set_new(j, "cmd", str_array(c->cmd, c->ncmd));
    json_object_set_new(j, "exposedPorts", str_array(c->exposed_ports, c->nexposed_ports));
    json_object_set_new(j, "volumes", str_array(c->volumes, c->nvolumes));
    json_object_set_new(j, "labels", c->labels ? json_deep_copy(c->labels) : json_object());
    json_object_set_new(j, "stopSignal", opt_string(c->stop_signal));
    json_t *hist = json_array();
    for (size_t i = 0; i < c->nhistory; i++) {
        const struct vg_oci_history *h = &c->history[i];
        json_t *e = json_object();
        json_object_set_new(e, "created", opt_string(h->created));
        json_object_set_new(e, "createdBy", opt_string(h->created_by));
        json_object_set_new(e, "comment", opt_string(h->comment));
        json_object_set_new(e, "emptyLayer", json_boolean(h->empty_layer));
        json_array_append_new(hist, e);
    }
    json_object_set_new(j, "history", hist);
    return j;
}

static json_t *
layers_json(const struct vg_oci_image *img, const struct vg_layer_stats *st, json_t *total)
{
    json_t *arr = json_array();
    uint64_t size = 0, usize = 0, files = 0;
    for (size_t i = 0; i < img->manifest->nlayers; i++) {
        const struct vg_oci_desc *d = &img->manifest->layers[i];
        json_t *l = json_object();
        json_object_set_new(l, "index", json_integer((json_int_t)i));
        json_object_set_new(l, "digest", json_string(d->digest.text));
        json_object_set_new(l, "mediaType", json_string(d->media_type));
        json_object_set_new(l, "diffID", json_string(img->config->diff_ids[i].text));
        json_object_set_new(l, "size", json_integer((json_int_t)d->size));
        json_object_set_new(l, "uncompressedSize",
                            json_integer((json_int_t)st[i].uncompressed_size));
        json_object_set_new(l, "files", json_integer((json_int_t)st[i].files));
        json_object_set_new(l, "compression", json_string(st[i].compression));
        json_array_append_new(arr, l);
        size += d->size;
        usize += st[i].uncompressed_size;
        files += st[i].files;
    }
    json_object_set_new(total, "layers", json_integer((json_int_t)img->manifest->nlayers));
    json_object_set_new(total, "size", json_integer((json_int_t)size));
    json_object_set_new(total, "uncompressedSize", json_integer((json_int_t)usize));
    json_object_set_new(total, "files", json_integer((json_int_t)files));
    return arr;
}

static int
render_json(FILE *f, const struct vg_oci_image *img, const struct vg_layer_stats *st,
            struct vg_err **err)
{
    vg_autojson json_t *j = json_object();
    json_object_set_new(j, "reference", json_string(img->reference));
    json_object_set_new(j, "transport", json_string(img->transport));
    json_object_set_new(j, "manifestDigest", json_string(img->manifest_digest.text));
    json_object_set_new(j, "mediaType", json_string(img->manifest_media_type));
    json_object_set_new(j, "indexDigest",
                        img->index_digest.alg ? json_string(img->index_digest.text) : json_null());
    char *plat = vg_oci_platform_string(&img->platform);
    json_object_set_new(j, "platform", json_string(plat));
    free(plat);
    json_object_set_new(j, "config", config_json(img));
    json_t *total = json_object();
    json_object_set_new(j, "layers", layers_json(img, st, total));
    json_object_set_new(j, "total", total);
    return vg_json_write_file(j, f, true, err);
}

/* ---------------------------------------------------------------- table */

/* Config strings come from the image: control characters are escaped before printing. */
static void
put_field(FILE *f, const char *label, const char *v)
{
    if (!v || !*v) {
        return;
    }
    char *e = vg_escape(v, strlen(v), 4096);
    fprintf(f, "%-14s %s\n", label, e);
    free(e);
}

static void
put_list(FILE *f, const char *label, char *const *v, size_t n, bool one_per_line)
{
    if (n == 0) {
        return;
    }
    fprintf(f, "%-14s", label);
    for (size_t i = 0; i < n; i++) {
        char *e = vg_escape(v[i], strlen(v[i]), 4096);
        if (one_per_line) {
            fprintf(f, "%s%s\n", i ? "               " : " ", e);
        } else {
            fprintf(f, "%s%s", i ? ", " : " ", e);
        }
        free(e);
    }
    if (!one_per_line) {
        fputc('\n', f);
    }
}

static void
human(char *out, size_t n, uint64_t v)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double d = (double)v;
    size_t u = 0;
    while (d >= 1024.0 && u + 1 < VG_ARRAY_LEN(units)) {
        d /= 1024.0;
        u++;
    }
    if (u == 0) {
        snprintf(out, n, "%llu B", (unsigned long long)v);
    } else {
        snprintf(out, n, "%.1f %s", d, units[u]);
    }
}

static void
render_config_table(FILE *f, const struct vg_oci_config *c)
{
    put_field(f, "Created:", c->created);
    put_field(f, "Author:", c->author);
    put_field(f, "User:", c->user);
    put_field(f, "WorkingDir:", c->workdir);
    put_list(f, "Entrypoint:", c->entrypoint, c->nentrypoint, false);
    put_list(f, "Cmd:", c->cmd, c->ncmd, false);
    put_list(f, "Env:", c->env, c->nenv, true);
    put_list(f, "Ports:", c->exposed_ports, c->nexposed_ports, false);
    put_list(f, "Volumes:", c->volumes, c->nvolumes, false);
    put_field(f, "StopSignal:", c->stop_signal);
    if (c->labels && json_object_size(c->labels) > 0) {
        const char *k;
        json_t *v;
        bool first = true;
        json_object_foreach (c->labels, k, v) {
            char *ek = vg_escape(k, strlen(k), 256);
            const char *s = json_string_value(v);
            char *ev = vg_escape(s, strlen(s), 4096);
            fprintf(f, "%-14s %s=%s\n", first ? "Labels:" : "", ek, ev);
            free(ek);
            free(ev);
            first = false;
        }
    }
    if (c->nhistory) {
        fprintf(f, "History:\n");
        for (size_t i = 0; i < c->nhistory; i++) {
            const char *cb = c->history[i].created_by ? c->history[i].created_by : "";
            char *e = vg_escape(cb, strlen(cb), 200);
            fprintf(f, "  %3zu %s%s\n", i, c->history[i].empty_layer ? "(empty) " : "", e);
            free(e);
        }
    }
}

static void
render_table(FILE *f, const struct vg_oci_image *img, const struct vg_layer_stats *st)
{
    char *plat = vg_oci_platform_string(&img->platform);
    put_field(f, "Reference:", img->reference);
    put_field(f, "Digest:", img->manifest_digest.text);
    put_field(f, "MediaType:", img->manifest_media_type);
    if (img->index_digest.alg) {
        put_field(f, "Index:", img->index_digest.text);
    }
    put_field(f, "Platform:", plat);
    put_field(f, "Config:", img->manifest->config.digest.text);
    free(plat);
    render_config_table(f, img->config);
    fprintf(f, "Layers:\n  %3s  %-71s  %10s  %12s  %8s  %s\n", "#", "DIGEST", "SIZE",
            "UNCOMPRESSED", "FILES", "DIFFID");
    uint64_t size = 0, usize = 0, files = 0;
    for (size_t i = 0; i < img->manifest->nlayers; i++) {
        const struct vg_oci_desc *d = &img->manifest->layers[i];
        char a[32], b[32];
        human(a, sizeof(a), d->size);
        human(b, sizeof(b), st[i].uncompressed_size);
        fprintf(f, "  %3zu  %-71s  %10s  %12s  %8llu  %s\n", i, d->digest.text, a, b,
                (unsigned long long)st[i].files, img->config->diff_ids[i].text);
        size += d->size;
        usize += st[i].uncompressed_size;
        files += st[i].files;
    }
    char a[32], b[32];
    human(a, sizeof(a), size);
    human(b, sizeof(b), usize);
    fprintf(f, "Total:         %zu layers, %s compressed, %s uncompressed, %llu files\n",
            img->manifest->nlayers, a, b, (unsigned long long)files);
}

int
cmd_inspect(int argc, char **argv)
{
    struct inspect_args a = {.open = VG_OCI_OPEN_OPTS_INIT};
    int prc = parse_args(&a, argc, argv);
    if (prc != 0) {
        return prc < 0 ? VG_EXIT_OK : prc;
    }
    struct vg_err *err = NULL;
    struct vg_oci_image *img = NULL;
    if (vg_layers_image_open(&img, a.image, &a.open, &err) < 0) {
        return vg_cli_fail(&err, a.image);
    }
    struct vg_layers_result *res = NULL;
    struct vg_layers_opts lo = VG_LAYERS_OPTS_INIT;
    lo.quiet = a.json;
    if (vg_layers_walk(&res, img, NULL, 0, &lo, &err) < 0) {
        vg_oci_image_free(img);
        return vg_cli_fail(&err, a.image);
    }
    size_t nst = 0;
    const struct vg_layer_stats *st = vg_layers_result_stats(res, &nst);
    int rc = VG_EXIT_OK;
    if (nst != img->manifest->nlayers) {
        vg_err_set(&err, VG_E_INTERNAL, "layer walk returned %zu results for %zu layers", nst,
                   img->manifest->nlayers);
        rc = vg_cli_fail(&err, a.image);
    } else if (a.json) {
        if (render_json(stdout, img, st, &err) < 0) {
            rc = vg_cli_fail(&err, "write output");
        }
    } else {
        render_table(stdout, img, st);
    }
    if (rc == VG_EXIT_OK && fflush(stdout) != 0) {
        vg_err_sys(&err, VG_E_IO, "write standard output");
        rc = vg_cli_fail(&err, NULL);
    }
    vg_layers_result_free(res);
    vg_oci_image_free(img);
    return rc;
}
