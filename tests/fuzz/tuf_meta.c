/* SPDX-License-Identifier: Apache-2.0
 *
 * TUF / Notary v1 metadata: the first input byte picks the dialect and the role type, the
 * rest is a metadata file. Parsing includes keys (PEM, hex, base64, certificates) and the
 * canonical JSON re-encoding; a parsed file is also run through a threshold check with its
 * own keys so signature decoding and key matching see hostile input too.
 */
#include <stddef.h>
#include <stdint.h>

#include "tuf/tuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    enum vg_tuf_dialect d = (data[0] & 1) ? VG_TUF_DIALECT_NOTARY : VG_TUF_DIALECT_SPEC;
    enum vg_tuf_type t = (enum vg_tuf_type)(1 + ((data[0] >> 1) & 3));
    struct vg_tuf_meta *m = NULL;
    struct vg_err *err = NULL;
    if (vg_tuf_meta_parse(&m, d, t, data + 1, size - 1, &err) == 0) {
        const struct vg_tuf_role *role = t == VG_TUF_ROOT  ? &m->roles[0]
                                         : m->ndelegations ? &m->delegations[0]
                                                           : NULL;
        if (role && vg_tuf_meta_verify(m, "fuzz", m->keys, m->nkeys, role, &err) < 0) {
            vg_err_free(&err);
        }
        vg_tuf_meta_free(m);
    }
    vg_err_free(&err);
    return 0;
}
