/* SPDX-License-Identifier: Apache-2.0
 *
 * Path globs as Trivy's --skip-dirs/--skip-files and .trivyignore.yaml `paths` read them
 * (doublestar semantics): `*` matches any run of characters other than '/', `?` one such
 * character, `[abc]`/`[a-z]` a class (`[!...]` or `[^...]` negated), `\` makes the next
 * character literal, and `**` as a whole path segment matches zero or more segments
 * (`**` / `node_modules` finds node_modules at any depth). Leading "/" and "./" are ignored on
 * both sides, so "/usr/lib" and "usr/lib" are the same path (image paths have no root).
 *
 * The matcher never allocates and runs in O(pattern x path) per segment level (the classic
 * single-backtrack wildcard walk), so hostile patterns or paths cannot make it blow up.
 * A malformed class (no closing ']') matches its '[' literally.
 * Thread safety: pure functions.
 */
#ifndef VG_CORE_GLOB_H
#define VG_CORE_GLOB_H

#include <stdbool.h>

/* True when the whole path matches pattern. */
bool vg_glob_match(const char *pattern, const char *path);
/* True when pattern matches path itself or one of its ancestor directories ("a/b" for
 * "a/b/c"): what "skip this directory" means for a file found below it. */
bool vg_glob_match_dir(const char *pattern, const char *path);

#endif
