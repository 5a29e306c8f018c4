"""Checks on a linked candidate binary for code that would run before the runtime's seccomp lockdown.

The runtime locks the process down in a constructor of priority 101, linked first, so it precedes every
constructor a candidate can declare (priorities below 101 are rejected at compile time with
-Werror=prio-ctor-dtor). Two ELF mechanisms run even earlier and cannot be ordered: `.preinit_array` entries
and GNU indirect-function resolvers (run by the dynamic loader during relocation). A candidate binary with
either is refused. Only 64-bit little-endian ELF (x86-64, AArch64) is read, which is what the twin builds.
"""

from __future__ import annotations

import struct
from pathlib import Path

_SHT_SYMTAB, _SHT_DYNSYM = 2, 11
_STT_GNU_IFUNC = 10


def pre_lockdown_code(binary: Path) -> str | None:
    """A reason when the binary would run code before main's constructors, else None."""
    data = binary.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return "the compiled kernel is not a 64-bit little-endian ELF file"
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab_off = sections[shstrndx][4]

    def name(off: int, base: int) -> str:
        end = data.index(b"\0", base + off)
        return data[base + off:end].decode("ascii", errors="replace")

    for sh in sections:
        sec_name = name(sh[0], strtab_off)
        if sec_name.startswith(".preinit_array"):
            return f"the kernel defines a {sec_name} section, which would run before the sandbox lockdown"
        if sh[1] in (_SHT_SYMTAB, _SHT_DYNSYM):
            link_base = sections[sh[6]][4]
            entsize = sh[9] or 24
            for j in range(sh[5] // entsize):
                st_name, st_info = struct.unpack_from("<IB", data, sh[4] + j * entsize)
                if st_info & 0xF == _STT_GNU_IFUNC:
                    return (f"the kernel defines the indirect function {name(st_name, link_base)!r}, whose "
                            "resolver would run before the sandbox lockdown")
    return None
