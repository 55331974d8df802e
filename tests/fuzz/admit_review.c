/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the AdmissionReview parser and response builder (admit/review.c): any
 * body must parse or fail with an error, never crash, hang or leak, and the one-parse path
 * (straight into nodes) must give exactly the review the jansson path gives (else abort); a
 * parsed review is answered (denied with a message, a warning and a patch) to exercise the
 * builder.
 */
#include <stdint.h>
#include <stdlib.h>

#include "admit/admit.h"
#include "admit_review_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (vg_admit_review_diff(data, size) != NULL) {
        abort();
    }
    struct vg_admit_review rv;
    struct vg_err *err = NULL;
    if (vg_admit_review_parse(&rv, data, size, &err) < 0) {
        vg_err_free(&err);
        return 0;
    }
    struct vg_admit_answer a = {.allowed = rv.invalid == NULL, .code = 400};
    a.message = vg_strdup(rv.invalid ? rv.invalid : "fuzz");
    if (rv.has_object) {
        a.patch = json_array();
        for (size_t i = 0; i < rv.obj.ncontainers; i++) {
            char *p = vg_admit_json_pointer(rv.obj.containers[i].path);
            vg_json_append_take(a.patch, json_pack("{s:s, s:s}", "op", "test", "path", p));
            vg_admit_answer_warn(&a, "%s: %s", p,
                                 rv.obj.containers[i].image ? rv.obj.containers[i].image : "-");
            free(p);
        }
    }
    json_t *j = vg_admit_response(&rv, &a);
    json_decref(j);
    vg_admit_answer_dispose(&a);
    vg_admit_review_dispose(&rv);
    return 0;
}
