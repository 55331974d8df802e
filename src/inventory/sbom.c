/* SPDX-License-Identifier: Apache-2.0
 *
 * SBOM writers: CycloneDX 1.5 JSON, SPDX 2.3 JSON and vigil's own inventory dump (documented
 * in docs/inventory-json.md). All three come from the same inventory: the image is the root
 * component/package, the OS is a component of its own, and every package is a flat,
 * dependency-free component carrying its purl, licenses, the file it was found in and the
 * layer (digest and diffID) that introduced it.
 *
 * License strings from package databases are free text ("GPL-2+", "MIT License"), not
 * necessarily SPDX identifiers, so CycloneDX gets them as license names and SPDX as a license
 * comment with licenseDeclared NOASSERTION: claiming an SPDX expression we did not validate
 * would make the document lie.
 *
 * SOURCE_DATE_EPOCH, when set, fixes the timestamps (reproducible documents).
 */
#include <string.h>
#include <sys/random.h>

#include "inventory/inventory_int.h"

#ifndef VG_VERSION
#define VG_VERSION "0.0.0"
#endif

static void
new_uuid(char out[37])
{
    uint8_t b[16] = {0};
    size_t got = 0;
    while (got < sizeof(b)) {
        ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
        if (n <= 0) {
            break; /* very old kernels: fall back to the bytes we have (uniqueness only) */
        }
        got += (size_t)n;
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    char hex[33];
    vg_hex_encode(hex, b, 16);
    memcpy(out, hex, 8);
    out[8] = '-';
    memcpy(out + 9, hex + 8, 4);
    out[13] = '-';
    memcpy(out + 14, hex + 12, 4);
    out[18] = '-';
    memcpy(out + 19, hex + 16, 4);
    out[23] = '-';
    memcpy(out + 24, hex + 20, 12);
    out[36] = '\0';
}

static void
now_rfc3339(char out[32])
{
    int64_t t = vg_now_unix();
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    int64_t v;
    if (sde && vg_parse_i64(vg_str_c(sde), &v) == 0 && v >= 0) {
        t = v;
    }
    vg_time_rfc3339(out, 32, t);
}

static const char *
image_name(const struct vg_oci_image *img)
{
    return img && img->reference ? img->reference : "rootfs";
}

/* pkg:oci/<name>@<digest>?arch=..&repository_url=.. for registry images. */
static char *
image_purl(const struct vg_oci_image *img)
{
    if (!img || !img->manifest_digest.alg) {
        return NULL;
    }
    struct vg_buf b = VG_BUF_INIT(8192);
    const char *repo = img->ref ? img->ref->repository : NULL;
    const char *name = repo ? strrchr(repo, '/') : NULL;
    name = name ? name + 1 : repo ? repo : "image";
    bool ok = vg_buf_append_str(&b, "pkg:oci/", NULL) == 0 &&
              vg_inv_purl_escape(&b, name, NULL) == 0 && vg_buf_appendc(&b, '@', NULL) == 0 &&
              vg_inv_purl_escape(&b, img->manifest_digest.text, NULL) == 0;
    if (ok && img->platform.architecture) {
        ok = vg_buf_append_str(&b, "?arch=", NULL) == 0 &&
             vg_inv_purl_escape(&b, img->platform.architecture, NULL) == 0;
    }
    if (ok && img->ref) {
        vg_autofree char *url = vg_oci_ref_name(img->ref);
        ok = vg_buf_append_str(&b, img->platform.architecture ? "&" : "?", NULL) == 0 &&
             vg_buf_append_str(&b, "repository_url=", NULL) == 0 &&
             vg_inv_purl_escape(&b, url, NULL) == 0;
    }
    if (!ok) {
        vg_buf_dispose(&b);
        return NULL;
    }
    return vg_buf_take(&b, NULL);
}

static void
prop(json_t *arr, const char *name, const char *value)
{
    if (!value || !*value) {
        return;
    }
    json_t *p = json_object();
    vg_json_set_str(p, "name", name);
    vg_json_set_str(p, "value", value);
    vg_json_append_take(arr, p);
}

/* ---------------------------------------------------------------- CycloneDX 1.5 */

static json_t *
cdx_component(const struct vg_pkg *p, const char *ref)
{
    json_t *c = json_object();
    vg_json_set_str(c, "bom-ref", ref);
    vg_json_set_str(c, "type", "library");
    vg_json_set_str(c, "name", p->name);
    vg_json_set_str(c, "version", p->version);
    vg_json_set_str(c, "purl", p->purl);
    if (p->nlicenses) {
        json_t *ls = json_array();
        for (size_t i = 0; i < p->nlicenses; i++) {
            json_t *l = json_object();
            vg_json_set_str(l, "name", p->licenses[i]);
            vg_json_append_take(ls, json_pack("{s:o}", "license", l));
        }
        vg_json_set_take(c, "licenses", ls);
    }
    json_t *props = json_array();
    prop(props, "vigil:package:type", p->kind);
    prop(props, "vigil:package:ecosystem", p->ecosystem);
    prop(props, "vigil:package:path", p->path);
    prop(props, "vigil:package:src_name", p->src_name);
    prop(props, "vigil:package:src_version", p->src_version);
    prop(props, "vigil:package:arch", p->arch);
    prop(props, "vigil:package:modularity_label", p->modularity_label);
    prop(props, "vigil:layer:digest", p->layer_digest.alg ? p->layer_digest.text : NULL);
    prop(props, "vigil:layer:diff_id", p->layer_diff_id.alg ? p->layer_diff_id.text : NULL);
    vg_json_set_take(c, "properties", props);
    return c;
}

/* bom-refs must be unique; the same purl can occur at several paths. */
static char *
unique_ref(struct vg_inv_strset *seen, const struct vg_pkg *p, size_t idx)
{
    const char *base = p->purl ? p->purl : p->name;
    if (vg_inv_strset_add(seen, vg_str_c(base), VG_STR_NULL)) {
        return vg_strdup(base);
    }
    return vg_fmt("%s#%zu", base, idx);
}

static json_t *
cdx_root(const struct vg_oci_image *img)
{
    json_t *root = json_object();
    vg_autofree char *purl = image_purl(img);
    vg_json_set_str(root, "bom-ref", purl ? purl : image_name(img));
    vg_json_set_str(root, "type", "container");
    vg_json_set_str(root, "name", image_name(img));
    if (img && img->manifest_digest.alg) {
        vg_json_set_str(root, "version", img->manifest_digest.text);
    }
    vg_json_set_str(root, "purl", purl);
    json_t *props = json_array();
    if (img) {
        prop(props, "vigil:image:manifest_digest",
             img->manifest_digest.alg ? img->manifest_digest.text : NULL);
        prop(props, "vigil:image:index_digest",
             img->index_digest.alg ? img->index_digest.text : NULL);
        vg_autofree char *plat = vg_oci_platform_string(&img->platform);
        prop(props, "vigil:image:platform", plat);
        for (size_t i = 0; img->manifest && i < img->manifest->nlayers; i++) {
            prop(props, "vigil:image:layer_digest", img->manifest->layers[i].digest.text);
        }
        for (size_t i = 0; img->config && i < img->config->ndiff_ids; i++) {
            prop(props, "vigil:image:diff_id", img->config->diff_ids[i].text);
        }
    }
    vg_json_set_take(root, "properties", props);
    return root;
}

static json_t *
cdx_build(const struct vg_inventory *inv, const struct vg_oci_image *img)
{
    char uuid[37], ts[32];
    new_uuid(uuid);
    now_rfc3339(ts);
    json_t *bom = json_object();
    vg_json_set_str(bom, "$schema", "http://cyclonedx.org/schema/bom-1.5.schema.json");
    vg_json_set_str(bom, "bomFormat", "CycloneDX");
    vg_json_set_str(bom, "specVersion", "1.5");
    vg_json_set_take(bom, "serialNumber", json_sprintf("urn:uuid:%s", uuid));
    vg_json_set_take(bom, "version", json_integer(1));
    json_t *root = cdx_root(img);
    const char *root_ref = vg_json_str(root, "bom-ref");
    json_t *meta = json_object();
    vg_json_set_str(meta, "timestamp", ts);
    json_t *tool =
        json_pack("{s:s, s:s, s:s}", "type", "application", "name", "vigil", "version", VG_VERSION);
    vg_json_set_take(meta, "tools", json_pack("{s:[o]}", "components", tool));
    json_t *comps = json_array(), *deps = json_array(), *root_deps = json_array();
    json_t *os_deps = NULL;
    vg_autofree char *os_ref = NULL;
    if (inv->os.family) {
        os_ref = vg_fmt("os:%s@%s", inv->os.family, inv->os.version ? inv->os.version : "");
        json_t *os = json_object();
        vg_json_set_str(os, "bom-ref", os_ref);
        vg_json_set_str(os, "type", "operating-system");
        vg_json_set_str(os, "name", inv->os.family);
        vg_json_set_str(os, "version", inv->os.version);
        vg_json_set_str(os, "description", inv->os.name);
        vg_json_append_take(comps, os);
        vg_json_append_take(root_deps, json_string(os_ref));
        os_deps = json_array();
    }
    struct vg_inv_strset seen = {0};
    for (size_t i = 0; i < inv->npkgs; i++) {
        const struct vg_pkg *p = &inv->pkgs[i];
        vg_autofree char *ref = unique_ref(&seen, p, i);
        vg_json_append_take(comps, cdx_component(p, ref));
        vg_json_append_take(p->type == VG_PKG_OS && os_deps ? os_deps : root_deps,
                            json_string(ref));
        vg_json_append_take(deps, json_pack("{s:s, s:[]}", "ref", ref, "dependsOn"));
    }
    vg_inv_strset_dispose(&seen);
    vg_json_append_take(deps, json_pack("{s:s, s:o}", "ref", root_ref, "dependsOn", root_deps));
    if (os_deps) {
        vg_json_append_take(deps, json_pack("{s:s, s:o}", "ref", os_ref, "dependsOn", os_deps));
    }
    vg_json_set_take(meta, "component", root);
    vg_json_set_take(bom, "metadata", meta);
    vg_json_set_take(bom, "components", comps);
    vg_json_set_take(bom, "dependencies", deps);
    return bom;
}

/* ---------------------------------------------------------------- SPDX 2.3 */

/* SPDX identifiers allow letters, digits, '.' and '-' only. */
static char *
spdx_id(const char *prefix, const char *name, size_t idx)
{
    vg_autofree char *id = vg_fmt("%s-%s-%zu", prefix, name ? name : "x", idx);
    for (char *c = id; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '.' || *c == '-';
        if (!ok) {
            *c = '-';
        }
    }
    return vg_steal_ptr(&id);
}

static json_t *
spdx_annot(const char *ts, const char *comment)
{
    json_t *a = json_object();
    vg_json_set_str(a, "annotationDate", ts);
    vg_json_set_str(a, "annotationType", "OTHER");
    vg_json_set_str(a, "annotator", "Tool: vigil-" VG_VERSION);
    vg_json_set_str(a, "comment", comment);
    return a;
}

static json_t *
spdx_package(const struct vg_pkg *p, const char *id, const char *ts)
{
    json_t *s = json_object();
    vg_json_set_str(s, "name", p->name);
    vg_json_set_str(s, "SPDXID", id);
    vg_json_set_str(s, "versionInfo", p->version);
    vg_json_set_str(s, "downloadLocation", "NONE");
    vg_json_set_take(s, "filesAnalyzed", json_false());
    vg_json_set_str(s, "licenseConcluded", "NOASSERTION");
    vg_json_set_str(s, "licenseDeclared", "NOASSERTION");
    if (p->nlicenses) {
        struct vg_buf b = VG_BUF_INIT(64 * 1024);
        bool ok = vg_buf_append_str(&b, "Licenses declared by the package: ", NULL) == 0;
        for (size_t i = 0; ok && i < p->nlicenses; i++) {
            ok = vg_buf_appendf(&b, NULL, "%s%s", i ? ", " : "", p->licenses[i]) == 0;
        }
        vg_json_set_str(s, "licenseComments", vg_buf_cstr(&b));
        vg_buf_dispose(&b);
    }
    vg_json_set_str(s, "primaryPackagePurpose", "LIBRARY");
    if (p->src_name) {
        vg_autofree char *si =
            vg_fmt("built package from: %s %s", p->src_name, p->src_version ? p->src_version : "");
        vg_json_set_str(s, "sourceInfo", si);
    }
    if (p->purl) {
        vg_json_set_take(s, "externalRefs",
                         json_pack("[{s:s, s:s, s:s}]", "referenceCategory", "PACKAGE-MANAGER",
                                   "referenceType", "purl", "referenceLocator", p->purl));
    }
    json_t *an = json_array();
    vg_autofree char *c1 = vg_fmt("vigil:package:type: %s", p->kind);
    vg_json_append_take(an, spdx_annot(ts, c1));
    if (p->path) {
        vg_autofree char *c = vg_fmt("vigil:package:path: %s", p->path);
        vg_json_append_take(an, spdx_annot(ts, c));
    }
    if (p->layer_digest.alg) {
        vg_autofree char *c = vg_fmt("vigil:layer:digest: %s", p->layer_digest.text);
        vg_json_append_take(an, spdx_annot(ts, c));
    }
    if (p->layer_diff_id.alg) {
        vg_autofree char *c = vg_fmt("vigil:layer:diff_id: %s", p->layer_diff_id.text);
        vg_json_append_take(an, spdx_annot(ts, c));
    }
    vg_json_set_take(s, "annotations", an);
    return s;
}

static json_t *
spdx_rel(const char *a, const char *type, const char *b)
{
    return json_pack("{s:s, s:s, s:s}", "spdxElementId", a, "relationshipType", type,
                     "relatedSpdxElement", b);
}

static json_t *
spdx_build(const struct vg_inventory *inv, const struct vg_oci_image *img)
{
    char uuid[37], ts[32];
    new_uuid(uuid);
    now_rfc3339(ts);
    json_t *doc = json_object();
    vg_json_set_str(doc, "spdxVersion", "SPDX-2.3");
    vg_json_set_str(doc, "dataLicense", "CC0-1.0");
    vg_json_set_str(doc, "SPDXID", "SPDXRef-DOCUMENT");
    vg_json_set_str(doc, "name", image_name(img));
    vg_autofree char *ns = vg_fmt("https://vigil.invalid/spdx/%s", uuid);
    vg_json_set_str(doc, "documentNamespace", ns);
    vg_json_set_take(
        doc, "creationInfo",
        json_pack("{s:s, s:[s]}", "created", ts, "creators", "Tool: vigil-" VG_VERSION));
    json_t *pkgs = json_array(), *rels = json_array();
    json_t *root = json_object();
    vg_json_set_str(root, "name", image_name(img));
    vg_json_set_str(root, "SPDXID", "SPDXRef-Image");
    if (img && img->manifest_digest.alg) {
        vg_json_set_str(root, "versionInfo", img->manifest_digest.text);
    }
    vg_json_set_str(root, "downloadLocation", "NONE");
    vg_json_set_take(root, "filesAnalyzed", json_false());
    vg_json_set_str(root, "primaryPackagePurpose", "CONTAINER");
    vg_autofree char *ipurl = image_purl(img);
    if (ipurl) {
        vg_json_set_take(root, "externalRefs",
                         json_pack("[{s:s, s:s, s:s}]", "referenceCategory", "PACKAGE-MANAGER",
                                   "referenceType", "purl", "referenceLocator", ipurl));
    }
    vg_json_append_take(pkgs, root);
    vg_json_append_take(rels, spdx_rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"));
    const char *os_id = "SPDXRef-OperatingSystem";
    if (inv->os.family) {
        json_t *os = json_object();
        vg_json_set_str(os, "name", inv->os.family);
        vg_json_set_str(os, "SPDXID", os_id);
        vg_json_set_str(os, "versionInfo", inv->os.version);
        vg_json_set_str(os, "downloadLocation", "NONE");
        vg_json_set_take(os, "filesAnalyzed", json_false());
        vg_json_set_str(os, "primaryPackagePurpose", "OPERATING_SYSTEM");
        vg_json_append_take(pkgs, os);
        vg_json_append_take(rels, spdx_rel("SPDXRef-Image", "CONTAINS", os_id));
    }
    for (size_t i = 0; i < inv->npkgs; i++) {
        const struct vg_pkg *p = &inv->pkgs[i];
        vg_autofree char *id = spdx_id("SPDXRef-Package", p->name, i);
        vg_json_append_take(pkgs, spdx_package(p, id, ts));
        bool under_os = p->type == VG_PKG_OS && inv->os.family;
        vg_json_append_take(rels, spdx_rel(under_os ? os_id : "SPDXRef-Image", "CONTAINS", id));
    }
    vg_json_set_take(doc, "packages", pkgs);
    vg_json_set_take(doc, "relationships", rels);
    return doc;
}

/* ---------------------------------------------------------------- vigil JSON */

static json_t *
strv_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        vg_json_append_take(a, json_string(v[i]));
    }
    return a;
}

static json_t *
vigil_pkg(const struct vg_pkg *p)
{
    json_t *o = json_object();
    vg_json_set_str(o, "type", p->type == VG_PKG_OS ? "os" : "library");
    vg_json_set_str(o, "kind", p->kind);
    vg_json_set_str(o, "ecosystem", p->ecosystem);
    vg_json_set_str(o, "name", p->name);
    vg_json_set_str(o, "version", p->version);
    vg_json_set_str(o, "src_name", p->src_name);
    vg_json_set_str(o, "src_version", p->src_version);
    vg_json_set_str(o, "arch", p->arch);
    vg_json_set_str(o, "purl", p->purl);
    vg_json_set_take(o, "licenses", strv_json(p->licenses, p->nlicenses));
    vg_json_set_str(o, "path", p->path);
    vg_json_set_str(o, "modularity_label", p->modularity_label);
    json_t *layer = json_object();
    vg_json_set_take(layer, "index", json_integer((json_int_t)p->layer_index));
    vg_json_set_str(layer, "digest", p->layer_digest.alg ? p->layer_digest.text : NULL);
    vg_json_set_str(layer, "diff_id", p->layer_diff_id.alg ? p->layer_diff_id.text : NULL);
    vg_json_set_take(o, "layer", layer);
    vg_json_set_take(o, "files", json_integer((json_int_t)p->nfiles));
    return o;
}

static json_t *
vigil_build(const struct vg_inventory *inv, const struct vg_oci_image *img)
{
    json_t *doc = json_object();
    vg_json_set_take(doc, "schema_version", json_integer(1));
    json_t *art = json_object();
    vg_json_set_str(art, "name", image_name(img));
    if (img) {
        vg_json_set_str(art, "manifest_digest",
                        img->manifest_digest.alg ? img->manifest_digest.text : NULL);
        vg_autofree char *plat = vg_oci_platform_string(&img->platform);
        vg_json_set_str(art, "platform", plat);
        json_t *layers = json_array();
        for (size_t i = 0; img->manifest && i < img->manifest->nlayers; i++) {
            json_t *l = json_object();
            vg_json_set_take(l, "index", json_integer((json_int_t)i));
            vg_json_set_str(l, "digest", img->manifest->layers[i].digest.text);
            if (img->config && i < img->config->ndiff_ids) {
                vg_json_set_str(l, "diff_id", img->config->diff_ids[i].text);
            }
            vg_json_append_take(layers, l);
        }
        vg_json_set_take(art, "layers", layers);
    }
    vg_json_set_take(doc, "artifact", art);
    json_t *os = json_object();
    vg_json_set_str(os, "family", inv->os.family);
    vg_json_set_str(os, "name", inv->os.name);
    vg_json_set_str(os, "version", inv->os.version);
    vg_json_set_str(os, "version_full", inv->os.version_id_full);
    vg_autofree char *eco = vg_inv_os_ecosystem(&inv->os);
    vg_json_set_str(os, "ecosystem", eco);
    vg_json_set_take(doc, "os", os);
    json_t *pkgs = json_array();
    for (size_t i = 0; i < inv->npkgs; i++) {
        vg_json_append_take(pkgs, vigil_pkg(&inv->pkgs[i]));
    }
    vg_json_set_take(doc, "packages", pkgs);
    vg_json_set_take(doc, "warnings", json_integer((json_int_t)inv->warnings));
    return doc;
}

json_t *
vg_sbom_build(const struct vg_inventory *inv, const struct vg_oci_image *img,
              enum vg_sbom_format fmt)
{
    switch (fmt) {
    case VG_SBOM_CYCLONEDX:
        return cdx_build(inv, img);
    case VG_SBOM_SPDX_JSON:
        return spdx_build(inv, img);
    case VG_SBOM_VIGIL_JSON:
        return vigil_build(inv, img);
    }
    return NULL;
}
