/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz target: the YAML document loader (config/), then a full walk of every document so an
 * alias-expanded tree that slipped past the node limit would show up as a timeout.
 */
#include <stdint.h>
#include <stdlib.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
walk(const struct vg_config_node *n)
{
    size_t count = 1;
    size_t len = vg_config_node_len(n);
    for (size_t i = 0; i < len; i++) {
        if (vg_config_node_type(n) == VG_CONFIG_MAP) {
            count += walk(vg_config_map_key(n, i)) + walk(vg_config_map_value(n, i));
        } else {
            count += walk(vg_config_seq_at(n, i));
        }
    }
    return count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_config_limits lim = VG_CONFIG_LIMITS_INIT;
    struct vg_config_doc *d = NULL;
    struct vg_err *err = NULL;
    if (vg_config_load_buf(&d, "fuzz", data, size, &lim, &err) == 0) {
        size_t total = 0;
        for (size_t i = 0; i < vg_config_doc_count(d); i++) {
            total += walk(vg_config_doc_root(d, i));
        }
        if (total > lim.max_nodes) {
            abort(); /* the expanded-node bound must hold for any walk */
        }
        vg_config_doc_free(d);
    }
    vg_err_free(&err);
    return 0;
}
