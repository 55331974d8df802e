/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to scan/: what the plain ignore-file parser (ignore.c) and the .trivyignore.yaml
 * parser (ignore_yaml.c) share.
 */
#ifndef VG_SCAN_IGNORE_INT_H
#define VG_SCAN_IGNORE_INT_H

#include "scan.h"

/* "YYYY-MM-DD" -> unix seconds of the end of that day (UTC); false when not a real date. */
bool vg_scan_ignore_date(struct vg_str s, int64_t *end_of_day);
/* Appends e (taking its strings) to out. */
void vg_scan_ignore_push(struct vg_ignore *out, struct vg_ignore_entry *e);
/* Frees the strings of one entry. */
void vg_scan_ignore_entry_dispose(struct vg_ignore_entry *e);

#endif
