/* SPDX-License-Identifier: Apache-2.0
 *
 * Linked into the Criterion unit tests of a ThreadSanitizer build only (meson.build: when
 * b_sanitize has 'thread'), so that `make check-tsan` can run them.
 *
 * Criterion runs each test in a child process and shares results through an "inheritable
 * arena" (BoxFort) that it maps with MAP_FIXED at 0x200000000000 + (rand_r() & 0x3fffff) *
 * 16 MiB, probing with mincore() that the pages are free and giving up after three tries.
 * Under TSan most of that window is TSan's own shadow or protected gaps: the arena setup fails
 * ("Could not initialize inheritable arena: Resource temporarily unavailable") or lands on
 * TSan's metadata and crashes (Snaipe/Criterion#274). TSan's x86-64 layout (LLVM 14, Debian
 * 12's clang) leaves application memory at 0x550000000000-0x568000000000 inside that window, so
 * this rand_r, which takes the place of libc's for libcriterion (the executable's definition
 * comes first), draws only multiples that land there: 0x350000-0x357fff. Nothing in vigil or
 * its tests calls rand_r. A layout where that range is not free still fails loudly in the same
 * way, never silently.
 */
#include <stdlib.h>

int
rand_r(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (int)(0x350000u + ((*seed >> 8) & 0x7fffu));
}
