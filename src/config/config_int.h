/* SPDX-License-Identifier: Apache-2.0
 *
 * The node and document layout shared by the loader (config.c) and the accessors (node.c).
 * Other modules see only the opaque types of config.h.
 */
#ifndef VG_CONFIG_INT_H
#define VG_CONFIG_INT_H

#include "config.h"

struct vg_config_node {
    enum vg_config_type type;
    bool plain; /* scalar written without quotes or block style */
    bool open;  /* collection still being parsed: an alias to it would be a cycle */
    unsigned line, col;
    const char *file; /* the document's name */
    char *text;       /* scalar text, NUL-terminated after len bytes */
    size_t len;
    struct vg_config_node **kids; /* sequence items, or mapping key, value, key, value, ... */
    size_t nkids;
    size_t weight; /* nodes in this subtree, aliases expanded */
    size_t height; /* 0 for a scalar, 1 + the tallest child for a collection */
};

/* vg_config_parse_json's nodes and kid arrays: blocks freed whole with the document */
struct vg_config_block {
    struct vg_config_block *next;
    size_t cap, used; /* bytes of data */
    max_align_t data[];
};

struct vg_config_doc {
    char *name;
    struct vg_config_node **all; /* every node, each exactly once (aliases share) */
    size_t nall, all_cap;
    struct vg_config_node **roots;
    size_t nroots, roots_cap;
    /* vg_config_load_json: every node, kid pointer and text in three blocks (all is empty) */
    struct vg_config_node *slab_nodes;
    struct vg_config_node **slab_kids;
    char *slab_text;
    struct vg_config_block *blocks; /* vg_config_parse_json: nodes and kid arrays */
};

#endif
