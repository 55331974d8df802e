/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations shared by the model-file checkers (model.c dispatch, model_pickle.c,
 * model_zip.c, model_safetensors.c). Not part of the public API.
 */
#ifndef VG_SCAN_MODEL_INT_H
#define VG_SCAN_MODEL_INT_H

#include "scan/scan.h"

#define VG_MODEL_ID_DANGEROUS_IMPORT "VG-MODEL-001"
#define VG_MODEL_ID_UNKNOWN_IMPORT   "VG-MODEL-002"
#define VG_MODEL_ID_PICKLE_MALFORMED "VG-MODEL-003"
#define VG_MODEL_ID_PICKLE_LIMIT     "VG-MODEL-004"
#define VG_MODEL_ID_NOT_ANALYSED     "VG-MODEL-005"
#define VG_MODEL_ID_ZIP_MALFORMED    "VG-MODEL-006"
#define VG_MODEL_ID_PICKLE_DYNAMIC   "VG-MODEL-007"
#define VG_MODEL_ID_SAFETENSORS      "VG-MODEL-010"
#define VG_MODEL_ID_GGUF             "VG-MODEL-020"
#define VG_MODEL_ID_NPY              "VG-MODEL-030"

/* Pickles per file (a stream may hold several back to back; legacy torch holds five). */
#define VG_MODEL_MAX_PICKLES 64u

/* Appends a finding (message formatted, already-escaped parts are the caller's job). */
void vg_model_add(struct vg_model_findings *out, const char *id, enum vg_scan_severity sev,
                  const char *title, const char *path, uint64_t offset, const char *fmt, ...)
    VG_PRINTF(7, 8);

/* Disassembles one pickle starting at data[0]. `base` is added to reported offsets. Returns the
 * number of bytes consumed through STOP, or 0 when the stream ended without STOP (findings
 * explain why). Never executes or allocates from input-declared sizes. */
size_t vg_pickle_scan_one(const char *path, const uint8_t *data, size_t len, uint64_t base,
                          struct vg_model_findings *out);
/* Scans back-to-back pickles (up to VG_MODEL_MAX_PICKLES) while the next byte is a PROTO
 * opcode or the first pickle; returns bytes consumed. */
size_t vg_pickle_scan_stream(const char *path, const uint8_t *data, size_t len, uint64_t base,
                             struct vg_model_findings *out);

/* PyTorch zip: walks the central directory and scans every stored `.pkl` entry. */
void vg_model_check_torch_zip(const char *path, const uint8_t *data, size_t len, bool truncated,
                              struct vg_model_findings *out);
void vg_model_check_gguf(const char *path, const uint8_t *data, size_t len,
                         struct vg_model_findings *out);
void vg_model_check_npy(const char *path, const uint8_t *data, size_t len,
                        struct vg_model_findings *out);
/* truncated: data is only the head of the file, so the data area cannot be checked. */
void vg_model_check_safetensors_int(const char *path, const uint8_t *data, size_t len,
                                    bool truncated, struct vg_model_findings *out);

#endif
