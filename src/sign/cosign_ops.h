/* SPDX-License-Identifier: Apache-2.0
 *
 * sign/cosign_ops.h: the registry operations behind cosign's utility commands
 * (docs/cosign-commands.md): `copy` (an image with its signatures, attestations, SBOMs and OCI
 * 1.1 referrers, to another repository or registry), `download signature|attestation|sbom`
 * and `triangulate`. The CLI parses flags and prints; everything that talks to a registry or
 * shapes cosign's output is here.
 *
 * Errors: those of oci/'s registry client (VG_E_NOTFOUND, VG_E_AUTH, VG_E_NET, VG_E_LIMIT for
 * oversized manifests or blobs, VG_E_VERIFY for content that does not match its digest,
 * VG_E_PARSE for garbage manifests), each wrapped with the tag or digest involved; VG_E_USAGE
 * for a destination that already holds something else without `force`.
 * Thread safety: as sign.h.
 */
#ifndef VG_SIGN_COSIGN_OPS_H
#define VG_SIGN_COSIGN_OPS_H

#include "sign/sign.h"

/* ---------------------------------------------------------------- copy */

/* What `copy` takes along besides the image (cosign's --only=sig,att,sbom; "other" is every
 * referrer that is neither a signature nor an attestation nor an SBOM). */
enum {
    VG_SIGN_COPY_SIG = 1u << 0,   /* `.sig` tags; bundle referrers of the sign predicate */
    VG_SIGN_COPY_ATT = 1u << 1,   /* `.att` tags; bundle referrers of any other predicate */
    VG_SIGN_COPY_SBOM = 1u << 2,  /* `.sbom` tags */
    VG_SIGN_COPY_OTHER = 1u << 3, /* other referrers (Notation signatures, artifacts) */
    VG_SIGN_COPY_ALL = 0xfu,
};

struct vg_sign_copy_opts {
    unsigned kinds; /* VG_SIGN_COPY_* (0: all) */
    bool only;      /* --only: attachments (and the manifests they belong to), no dst tag */
    bool force;     /* overwrite a destination tag that points elsewhere */
    /* With an index: copy only the manifest of this platform ("linux/amd64"). */
    const char *platform;
    /* One line per copied manifest ("Copying SRC to DST..."), as cosign prints; may be NULL. */
    void (*note)(void *ud, const char *line);
    void *ud;
};

struct vg_sign_copy_result {
    char *destination;        /* "host/repo:tag" or "host/repo@digest" */
    struct vg_digest digest;  /* the manifest the destination names */
    size_t manifests;         /* manifests pushed (images, attachments, referrers, indexes) */
    size_t manifests_present; /* already there with the same digest */
    size_t blobs;             /* blobs uploaded */
    size_t blobs_present;     /* already in the destination repository */
    size_t attachments;       /* `.sig`/`.att`/`.sbom` tags written */
    size_t referrers;         /* referrer manifests copied */
    bool fallback;            /* the destination has no referrers API: the tag schema was used */
};
void vg_sign_copy_result_dispose(struct vg_sign_copy_result *r);

/* `vigil copy SRC DST`: src is open (vg_sign_target_open; its attachments are read from its
 * store repository), dst a registry reference (a tag, default latest, or a digest that must
 * equal what is copied); o opens dst's client (same credentials and transport options). Every
 * manifest is pushed by digest after its blobs; the `sha256-<hex>.sig/.att/.sbom` tags are
 * written unless they exist with other content (then VG_E_USAGE unless force); referrers
 * are pushed by digest and, when dst has no referrers API, listed in dst's `sha256-<hex>`
 * index; finally (without co->only) dst's tag is set. */
VG_NODISCARD int vg_sign_copy(const struct vg_sign_target *src, const char *dst,
                              const struct vg_oci_open_opts *o, const struct vg_sign_copy_opts *co,
                              struct vg_sign_copy_result *res, struct vg_err **err);

/* ---------------------------------------------------------------- download */

/* Attachments read from an image, in the order found. */
struct vg_sign_download {
    char **items; /* download signature/attestation: one compact JSON document per entry;
                   * download sbom: the SBOM bytes */
    size_t *lens;
    char **media_types; /* layer media types */
    size_t n;
};
void vg_sign_download_dispose(struct vg_sign_download *d);

/* `download signature`: one cosign SignedPayload per `.sig` layer, keys in cosign's order:
 * {"Base64Signature","Payload" (base64 of the payload bytes),"Cert","Chain","Bundle",
 * "RFC3161Timestamp"}; Cert and Chain are PEM text (cosign prints Go's x509 structure),
 * Bundle and RFC3161Timestamp the annotations' JSON, null when absent. Every payload is
 * checked against its layer digest. VG_E_NOTFOUND when the image has no `.sig` tag. */
VG_NODISCARD int vg_sign_download_signatures(struct vg_sign_download *out,
                                             const struct vg_sign_target *t, struct vg_err **err);
/* One layer's SignedPayload line (what download signature prints) from its annotations and
 * payload bytes; NULL when an annotation is not valid UTF-8. Caller frees. */
char *vg_sign_signed_payload_json(const struct vg_sign_sig_entry *l, const void *payload,
                                  size_t len);
/* `download attestation`: the DSSE envelopes of the `.att` layers, re-serialized as cosign
 * does ({"payloadType","payload","signatures":[{"keyid","sig"}]}), only those whose statement
 * has predicate_type (a --type shortcut or URI; NULL: all). VG_E_NOTFOUND without a `.att`
 * tag. */
VG_NODISCARD int vg_sign_download_attestations(struct vg_sign_download *out,
                                               const struct vg_sign_target *t,
                                               const char *predicate_type, struct vg_err **err);
/* `download sbom`: the layers of the `.sbom` image (bytes and media types). VG_E_NOTFOUND
 * without a `.sbom` tag. */
#define VG_SIGN_SBOM_MAX (64u * 1024u * 1024u)
VG_NODISCARD int vg_sign_download_sbom(struct vg_sign_download *out, const struct vg_sign_target *t,
                                       struct vg_err **err);

/* ---------------------------------------------------------------- attach */

/* `attach signature`: a signature made elsewhere (cosign sign-blob over the payload, a KMS, an
 * HSM) with its payload (NULL: the simple-signing payload vigil sign would sign, for t's
 * digest) and optional certificate and chain (PEM, stored as the certificate/chain
 * annotations). The signature is base64 (trailing whitespace ignored; invalid base64 is
 * VG_E_PARSE); it is not verified. */
struct vg_sign_attach_sig {
    const void *payload;
    size_t payload_len;
    const char *signature;
    const char *certificate; /* may be NULL */
    const char *chain;       /* may be NULL */
};
/* Appends the layer to t's `.sig` image (res->appended false: the same payload and signature
 * were there). */
VG_NODISCARD int vg_sign_target_attach_signature(const struct vg_sign_target *t,
                                                 const struct vg_sign_attach_sig *a,
                                                 struct vg_sign_push_result *res,
                                                 struct vg_err **err);
/* `attach attestation`: a DSSE envelope (payloadType in-toto, a statement with a
 * predicateType) appended as is to the `.att` image. Not verified. */
VG_NODISCARD int vg_sign_target_attach_attestation(const struct vg_sign_target *t,
                                                   const void *envelope, size_t len,
                                                   struct vg_sign_push_result *res,
                                                   struct vg_err **err);
/* cosign's media type for `attach sbom --type spdx|cyclonedx|syft [--input-format
 * json|xml|text]` (input_format NULL: guessed from the first byte, '{' JSON, '<' XML); NULL
 * for a combination cosign refuses. */
const char *vg_sign_sbom_media_type(const char *type, const char *input_format, const void *sbom,
                                    size_t len);
/* `attach sbom`: replaces the `.sbom` image with a one-layer image of the SBOM bytes (at most
 * VG_SIGN_SBOM_MAX). */
VG_NODISCARD int vg_sign_target_attach_sbom(const struct vg_sign_target *t, const void *sbom,
                                            size_t len, const char *media_type,
                                            struct vg_sign_push_result *res, struct vg_err **err);

/* ---------------------------------------------------------------- clean */

/* `clean --type`: the `.sig`, `.att` and/or `.sbom` tags (VG_SIGN_COPY_SIG/ATT/SBOM). */
struct vg_sign_clean_item {
    unsigned kind;
    char *location;          /* "repo:sha256-<hex>.sig" */
    struct vg_digest digest; /* the manifest the tag named (when found) */
    bool found;              /* the tag existed */
    bool removed;            /* and is gone now */
    bool by_digest;          /* the registry cannot delete tags: the manifest was deleted */
};
struct vg_sign_clean_result {
    struct vg_sign_clean_item *items;
    size_t n;
};
void vg_sign_clean_result_dispose(struct vg_sign_clean_result *r);
/* Deletes each tag: DELETE by tag, or by the digest it names when the registry refuses tag
 * deletion (Distribution 2.x). An absent tag is not an error. Referrers are not touched. */
VG_NODISCARD int vg_sign_target_clean(const struct vg_sign_target *t, unsigned kinds,
                                      struct vg_sign_clean_result *res, struct vg_err **err);

/* ---------------------------------------------------------------- save / load */

/* `save IMAGE --dir DIR`: the image (every platform of an index) and its `.sig` and `.att`
 * images into the OCI layout DIR (created), index.json entries annotated kind
 * dev.cosignproject.cosign/image (or imageIndex), /sigs, /atts as cosign save writes them.
 * Blobs already in DIR are not fetched again. Blobs are streamed (no size limit, a few chunks
 * of memory) into temporary files renamed to their digest name only once verified and synced;
 * an interrupted save leaves at most `blobs/sha256/.partial-*` files, never a wrong blob under
 * a digest name. */
VG_NODISCARD int vg_sign_save(const struct vg_sign_target *t, const char *dir, struct vg_err **err);
/* `load --dir DIR IMAGE`: pushes the layout's image (kind image/imageIndex, or its only
 * entry) to image (a tag, or a digest that must match) with its sigs/atts entries at the
 * `sha256-<hex>.sig/.att` tags. Manifests are checked against their digest before they are
 * pushed; blobs are streamed, checked against their descriptor's size before and their digest
 * during the upload (a mismatch cancels it: never committed). *loaded (may be NULL) gets the
 * image digest. */
VG_NODISCARD int vg_sign_load(const char *dir, const char *image, const struct vg_oci_open_opts *o,
                              struct vg_digest *loaded, struct vg_err **err);

/* ---------------------------------------------------------------- triangulate */

/* `triangulate --type signature|attestation|sbom|digest`: where cosign looks,
 * "store/repo:sha256-<hex>.sig" (…".att", …".sbom") or "repo@sha256:<hex>". NULL (VG_E_USAGE)
 * for another type. Caller frees. */
char *vg_sign_triangulate(const struct vg_sign_target *t, const char *type, struct vg_err **err);

#endif
