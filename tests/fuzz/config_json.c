/* SPDX-License-Identifier: Apache-2.0
 *
 * Differential fuzz target for vg_config_load_json (config/json.c): any JSON jansson reads (as
 * the webhook reads AdmissionReviews) must give exactly the document, or exactly the error,
 * that vg_config_load_buf gives for its compact text: same types, styles, texts, positions,
 * weights and heights; and vg_config_parse_json must take only text jansson takes, giving the
 * same document (and, under the member "a", the positions and limits of that value alone). A
 * difference aborts. Small limits make the limit paths reachable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config_json_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_config_limits small = VG_CONFIG_LIMITS_INIT;
    small.max_nodes = 40;
    small.max_depth = 6;
    small.max_bytes = 512;
    if (vg_config_text_diff((const char *)data, size, &small) != NULL) {
        abort();
    }
    json_t *j =
        json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
    if (!j) {
        return 0;
    }
    struct vg_config_limits lim = VG_CONFIG_LIMITS_INIT;
    lim.max_nodes = 40;
    lim.max_depth = 6;
    lim.max_bytes = 512;
    if (vg_config_json_diff(j, &lim) != NULL) {
        abort();
    }
    if (vg_config_json_diff(j, NULL) != NULL) {
        abort();
    }
    json_decref(j);
    return 0;
}
