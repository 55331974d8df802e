# SPDX-License-Identifier: Apache-2.0
"""The linked vigil binary carries the hardening STYLE §2.12 promises: a position-independent
executable, full RELRO (a PT_GNU_RELRO segment and every symbol bound at load: BIND_NOW), a
non-executable stack and, in optimised builds without sanitizers, _FORTIFY_SOURCE's checked
libc calls. The ELF headers are read directly (no readelf needed)."""
import json
import struct
from pathlib import Path

import pytest

from conftest import vigil_bin

ET_DYN = 3
PT_DYNAMIC, PT_INTERP, PT_GNU_STACK, PT_GNU_RELRO = 2, 3, 0x6474E551, 0x6474E552
PF_X = 1
DT_NULL, DT_FLAGS, DT_BIND_NOW, DT_FLAGS_1 = 0, 30, 24, 0x6FFFFFFB
DF_BIND_NOW = 0x8
DF_1_NOW, DF_1_PIE = 0x1, 0x08000000
SHT_DYNSYM = 11


class Elf:
    def __init__(self, data):
        assert data[:4] == b"\x7fELF", "not an ELF file"
        assert data[4] == 2 and data[5] == 1, "expected ELF64 little-endian"
        self.data = data
        (self.type, _, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum,
         _) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
        self.phdrs = [struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
                      for i in range(phnum)]
        self.shdrs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                      for i in range(shnum)]

    def segments(self, kind):
        return [p for p in self.phdrs if p[0] == kind]

    def dynamic(self):
        (seg,) = self.segments(PT_DYNAMIC)
        off, size = seg[2], seg[5]
        out = {}
        for i in range(0, size, 16):
            tag, val = struct.unpack_from("<qQ", self.data, off + i)
            if tag == DT_NULL:
                break
            out[tag] = val
        return out

    def dynamic_symbols(self):
        names = set()
        for sh in self.shdrs:
            if sh[1] != SHT_DYNSYM:
                continue
            strtab = self.shdrs[sh[6]]
            str_off = strtab[4]
            off, size, entsize = sh[4], sh[5], sh[9]
            for i in range(0, size, entsize):
                (name,) = struct.unpack_from("<I", self.data, off + i)
                end = self.data.index(b"\0", str_off + name)
                names.add(self.data[str_off + name:end].decode())
        return names


@pytest.fixture(scope="module")
def elf():
    with open(vigil_bin(), "rb") as f:
        return Elf(f.read())


def test_binary_is_pie(elf):
    assert elf.type == ET_DYN, "vigil is not position-independent (e_type is not ET_DYN)"
    assert elf.segments(PT_INTERP), "ET_DYN without PT_INTERP is a shared library, not a PIE"
    assert elf.dynamic().get(DT_FLAGS_1, 0) & DF_1_PIE, "DT_FLAGS_1 lacks DF_1_PIE"


def test_full_relro(elf):
    assert elf.segments(PT_GNU_RELRO), "no PT_GNU_RELRO segment (-z relro)"
    dyn = elf.dynamic()
    bind_now = (DT_BIND_NOW in dyn or dyn.get(DT_FLAGS, 0) & DF_BIND_NOW
                or dyn.get(DT_FLAGS_1, 0) & DF_1_NOW)
    assert bind_now, "symbols are bound lazily (no BIND_NOW: -z now missing)"


def test_stack_not_executable(elf):
    (stack,) = elf.segments(PT_GNU_STACK)
    assert not stack[1] & PF_X, "PT_GNU_STACK is executable"


def build_options():
    """The meson options of the build the binary comes from (build/src/cli/vigil), if known."""
    info = Path(vigil_bin()).resolve().parents[2] / "meson-info" / "intro-buildoptions.json"
    try:
        return {o["name"]: o["value"] for o in json.loads(info.read_text())}
    except (OSError, ValueError, KeyError):
        return {}


def test_fortified_in_optimised_builds(elf):
    syms = elf.dynamic_symbols()
    opts = build_options()
    if any(s.startswith("__asan_") or s.startswith("__ubsan_") for s in syms) or \
            opts.get("b_sanitize", "none") not in ("none", "", [], ["none"]) or opts.get("fuzzing"):
        pytest.skip("sanitizer build: _FORTIFY_SOURCE is left out on purpose (meson.build)")
    if opts.get("optimization") in ("0", "plain"):
        pytest.skip("unoptimised build: _FORTIFY_SOURCE needs optimization (meson.build)")
    chk = sorted(s for s in syms if s.startswith("__") and s.endswith("_chk"))
    assert chk, "no __*_chk libc calls: _FORTIFY_SOURCE is not in effect"
