"""Reader of the twin's per-block instruction record (format: docs/simnpu-record.md).

The runtime writes one 32-byte header and then fixed 64-byte little-endian entries, one per Ascend C call, in
program order per core and block (cores interleave only at cross-core waits). The cycle model reads it with
`read_record`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import numpy as np

MAGIC = b"HAWKREC2"
TRAILER_MAGIC = b"HAWKEND2"
HEADER_BYTES = 32
TRAILER_BYTES = 32
VERSION = 2

HEADER_DTYPE = np.dtype([("magic", "S8"), ("version", "<u4"), ("entry_size", "<u4"), ("block_dim", "<u4"),
                         ("flags", "<u4"), ("entries", "<u8")])
ENTRY_DTYPE = np.dtype([
    ("block", "<u4"), ("line", "<u4"), ("api", "<u2"), ("op", "u1"), ("core", "u1"), ("pipe", "u1"),
    ("dtype", "u1"), ("src_dtype", "u1"), ("flags", "u1"), ("src_mem", "u1"), ("dst_mem", "u1"),
    ("ev_src", "u1"), ("ev_dst", "u1"), ("event_id", "<i2"), ("reserved", "<u2"), ("src_addr", "<u8"),
    ("dst_addr", "<u8"), ("bytes", "<u8"), ("repeats", "<u4"), ("a0", "<u4"), ("a1", "<u4"), ("a2", "<u4"),
])
TRAILER_DTYPE = np.dtype([("magic", "S8"), ("entries", "<u8"), ("checksum", "<u8"), ("block_dim", "<u4"),
                          ("flags", "<u4")])
assert HEADER_DTYPE.itemsize == HEADER_BYTES and ENTRY_DTYPE.itemsize == 64 and TRAILER_DTYPE.itemsize == TRAILER_BYTES


class Op(IntEnum):
    INSTR = 0
    SCALAR = 1
    SET_FLAG = 2
    WAIT_FLAG = 3
    BARRIER = 4
    ALLOC = 5
    FREE = 6
    ENQUE = 7
    DEQUE = 8
    INIT_BUFFER = 9
    XSET = 10    # CrossCoreSetFlag / SyncAll: one contribution to cross-core sync instance a1 (a2 contributions)
    XWAIT = 11   # CrossCoreWaitFlag / SyncAll: waits for cross-core sync instance a1


class Pipe(IntEnum):  # numbers match hawk.v1.Pipe
    NONE = 0
    S = 1
    MTE1 = 2
    MTE2 = 3
    MTE3 = 4
    V = 5
    M = 6
    FIX = 7
    ALL = 8


class Mem(IntEnum):
    NONE = 0
    GM = 1
    UB = 2
    L1 = 3
    L0A = 4
    L0B = 5
    L0C = 6
    BT = 7
    FB = 8


class DT(IntEnum):
    NONE = 0
    F16 = 1
    BF16 = 2
    F32 = 3
    I8 = 4
    I16 = 5
    I32 = 6
    U8 = 7
    I64 = 8
    U16 = 9
    U32 = 10
    U64 = 11
    I4 = 12   # int4b_t, two elements per byte


class Flag(IntEnum):
    COUNT_FORM = 1
    TRUNCATED = 2
    TRANSPOSE = 4
    BIT_MASK = 8
    PAD = 16
    L2_BYPASS = 32   # a GM operand of the copy has SetL2CacheHint(CACHE_MODE_DISABLE)
    UNIT_FLAG = 64   # Mmad / Fixpipe with unitFlag 2 or 3: per-fractal M <-> FIX handshake instead of an event
    UNIT_RESET = 128  # ... with unitFlag 3: the instruction releases the L0C fractals
    ATOMIC = 64      # on DataCopy/DataCopyPad to GM: a store while SetAtomicAdd/Max/Min is set (bit shared with UNIT_FLAG,
                     # whose meaning is Mmad/Fixpipe's only)


def _api_names() -> tuple[str, ...]:
    """HAWK_API_LIST of include/hawk/runtime.h, read from the header so the two can never disagree: an entry's
    `api` indexes this tuple."""
    header = (Path(__file__).resolve().parent / "include" / "hawk" / "runtime.h").read_text()
    body = re.search(r"#define HAWK_API_LIST\(X\)(.*?)\n\s*\n", header, re.S)
    if body is None:
        raise RuntimeError("HAWK_API_LIST not found in include/hawk/runtime.h")
    return tuple(re.findall(r"X\((\w+)\)", body.group(1)))


API_NAMES = _api_names()


class RecordError(ValueError):
    """The file is not a complete twin record."""


@dataclass
class Record:
    block_dim: int
    truncated: bool            # the runtime stopped recording at its entry cap
    entries: np.ndarray        # structured array of ENTRY_DTYPE, program order per block

    def __len__(self) -> int:
        return int(self.entries.size)

    def block(self, b: int) -> np.ndarray:
        return self.entries[self.entries["block"] == b]

    def api_name(self, i: int) -> str:
        a = int(self.entries["api"][i])
        return API_NAMES[a] if a < len(API_NAMES) else f"api{a}"

    def gm_region(self, addr: int) -> tuple[int, int]:
        """GM addresses are (region << 48 | offset); regions number the task tensors from 1 in argument order,
        then the tiling buffer and the workspace."""
        return addr >> 48, addr & ((1 << 48) - 1)


def read_record(path: str | Path) -> Record:
    data = Path(path).read_bytes()
    if len(data) < HEADER_BYTES:
        raise RecordError(f"{path}: {len(data)} bytes is shorter than the record header")
    h = np.frombuffer(data[:HEADER_BYTES], dtype=HEADER_DTYPE)[0]
    if bytes(h["magic"]) != MAGIC:
        raise RecordError(f"{path}: bad magic {bytes(h['magic'])!r} (a run that died before finishing its record?)")
    if int(h["version"]) != VERSION or int(h["entry_size"]) != ENTRY_DTYPE.itemsize:
        raise RecordError(f"{path}: record version {int(h['version'])}, entry size {int(h['entry_size'])}; "
                          f"this reader knows version {VERSION}, {ENTRY_DTYPE.itemsize}")
    n = int(h["entries"])
    want = HEADER_BYTES + n * ENTRY_DTYPE.itemsize + TRAILER_BYTES
    if len(data) != want:
        raise RecordError(f"{path}: header says {n} entries ({want} bytes with the trailer), the file has "
                          f"{len(data)} bytes")
    body = data[HEADER_BYTES: HEADER_BYTES + n * ENTRY_DTYPE.itemsize]
    t = np.frombuffer(data[want - TRAILER_BYTES:], dtype=TRAILER_DTYPE)[0]
    if (bytes(t["magic"]) != TRAILER_MAGIC or int(t["entries"]) != n or int(t["block_dim"]) != int(h["block_dim"])
            or int(t["flags"]) != int(h["flags"])):
        raise RecordError(f"{path}: the trailer does not match the header")
    if int(t["checksum"]) != checksum(body):
        raise RecordError(f"{path}: the entries do not match the trailer's checksum")
    entries = np.frombuffer(body, dtype=ENTRY_DTYPE).copy()
    return Record(block_dim=int(h["block_dim"]), truncated=bool(int(h["flags"]) & 1), entries=entries)


def checksum(body: bytes) -> int:
    """The trailer's checksum of the entries (runtime/record.cpp rec_checksum): sum of
    (w_i ^ i * 0x9E3779B97F4A7C15) * 0xFF51AFD7ED558CCD over the 64-bit words w_i, modulo 2**64."""
    w = np.frombuffer(body, dtype="<u8")
    i = np.arange(w.size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return int(((w ^ (i * np.uint64(0x9E3779B97F4A7C15))) * np.uint64(0xFF51AFD7ED558CCD)).sum(dtype=np.uint64))
