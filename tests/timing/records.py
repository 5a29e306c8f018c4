"""Hand-built twin records for the cycle model's tests: the same entries the runtime writes
(npu_agent/simnpu/record.py), for kernels whose shape a test wants to control exactly."""

from __future__ import annotations

import numpy as np

from npu_agent.simnpu.record import API_NAMES, DT, ENTRY_DTYPE, Flag, Mem, Op, Pipe, Record

API = {name: i for i, name in enumerate(API_NAMES)}


class Builder:
    """Appends entries in program order; one Builder may hold several blocks (call in block order)."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def _add(self, **kw) -> None:
        kw.setdefault("core", 1)
        kw.setdefault("event_id", -1)
        self.rows.append(kw)

    def copy_in(self, b: int, line: int, nbytes: int, ub: int = 0, bypass: bool = False) -> None:
        self._add(block=b, line=line, api=API["DataCopy"], op=Op.INSTR, pipe=Pipe.MTE2, dtype=DT.F16,
                  src_mem=Mem.GM, dst_mem=Mem.UB, dst_addr=ub, src_addr=1 << 48, bytes=nbytes, a0=1, a1=nbytes,
                  flags=Flag.COUNT_FORM | (Flag.L2_BYPASS if bypass else 0))

    def copy_out(self, b: int, line: int, nbytes: int, ub: int = 0) -> None:
        self._add(block=b, line=line, api=API["DataCopy"], op=Op.INSTR, pipe=Pipe.MTE3, dtype=DT.F16,
                  src_mem=Mem.UB, dst_mem=Mem.GM, src_addr=ub, dst_addr=3 << 48, bytes=nbytes, a0=1, a1=nbytes,
                  flags=Flag.COUNT_FORM)

    def vec(self, b: int, line: int, api: str, nbytes: int, dst: int, src0: int, src1: int | None = None,
            dtype: DT = DT.F16) -> None:
        self._add(block=b, line=line, api=API[api], op=Op.INSTR, pipe=Pipe.V, dtype=dtype, src_dtype=dtype,
                  src_mem=Mem.UB, dst_mem=Mem.UB, src_addr=src0, dst_addr=dst, bytes=nbytes,
                  repeats=-(-nbytes // 256), a0=nbytes // 2, flags=Flag.COUNT_FORM,
                  reserved=0 if src1 is None else src1 // 32 + 1)

    def set(self, b: int, line: int, src: Pipe, dst: Pipe, ev: int) -> None:
        self._add(block=b, line=line, api=API["SetFlag"], op=Op.SET_FLAG, pipe=src, ev_src=src, ev_dst=dst,
                  event_id=ev)

    def wait(self, b: int, line: int, src: Pipe, dst: Pipe, ev: int) -> None:
        self._add(block=b, line=line, api=API["WaitFlag"], op=Op.WAIT_FLAG, pipe=dst, ev_src=src, ev_dst=dst,
                  event_id=ev)

    def scalar(self, b: int, line: int, count: int) -> None:
        self._add(block=b, line=line, api=API["GetValue"], op=Op.SCALAR, pipe=Pipe.S, dtype=DT.F16,
                  src_mem=Mem.UB, bytes=2 * count, repeats=count)

    def record(self, block_dim: int | None = None) -> Record:
        e = np.zeros(len(self.rows), dtype=ENTRY_DTYPE)
        for i, r in enumerate(self.rows):
            for k, v in r.items():
                e[k][i] = int(v)
        bd = block_dim if block_dim is not None else (int(e["block"].max()) + 1 if e.size else 0)
        return Record(block_dim=bd, truncated=False, entries=e)


def unary_tile(bld: Builder, b: int, tile: int, *, op: str = "Exp", line0: int = 10, ub_in: int = 0,
               ub_out: int = 65536) -> None:
    """The body of one tile: copy in, a vector op, copy out (no sync; the callers add the protocol)."""
    bld.copy_in(b, line0, tile, ub_in)
    bld.vec(b, line0 + 1, op, tile, ub_out, ub_in)
    bld.copy_out(b, line0 + 2, tile, ub_out)


def serial_kernel(blocks: int, tiles: int, tile: int, op: str = "Exp", bypass: bool = False) -> Record:
    """Single-buffered CopyIn -> Compute -> CopyOut per tile, with the ladder's SetFlag/WaitFlag protocol."""
    bld = Builder()
    V, M2, M3 = Pipe.V, Pipe.MTE2, Pipe.MTE3
    for b in range(blocks):
        for i in range(tiles):
            if i:
                bld.wait(b, 5, V, M2, 0)
            bld.copy_in(b, 10, tile, 0, bypass=bypass)
            bld.set(b, 6, M2, V, 0)
            bld.wait(b, 6, M2, V, 0)
            if i:
                bld.wait(b, 7, M3, V, 0)
            bld.vec(b, 11, op, tile, 65536, 0)
            if i < tiles - 1:
                bld.set(b, 8, V, M2, 0)
            bld.set(b, 8, V, M3, 0)
            bld.wait(b, 8, V, M3, 0)
            bld.copy_out(b, 12, tile, 65536)
            if i < tiles - 1:
                bld.set(b, 9, M3, V, 0)
    return bld.record()


def double_buffer_kernel(blocks: int, tiles: int, tile: int, op: str = "Exp", bypass: bool = False) -> Record:
    """The same work ping-ponged over two buffer sets and two event ids (the ladder's case 4 protocol)."""
    bld = Builder()
    V, M2, M3 = Pipe.V, Pipe.MTE2, Pipe.MTE3
    for b in range(blocks):
        for ev in (0, 1):
            bld.set(b, 4, V, M2, ev)
            bld.set(b, 4, M3, V, ev)
        for i in range(tiles):
            ev = i & 1
            ub_in, ub_out = (0, 65536) if ev == 0 else (32768, 98304)
            bld.wait(b, 5, V, M2, ev)
            bld.copy_in(b, 10, tile, ub_in, bypass=bypass)
            bld.set(b, 6, M2, V, ev)
            bld.wait(b, 6, M2, V, ev)
            bld.wait(b, 7, M3, V, ev)
            bld.vec(b, 11, op, tile, ub_out, ub_in)
            bld.set(b, 8, V, M2, ev)
            bld.set(b, 8, V, M3, ev)
            bld.wait(b, 8, V, M3, ev)
            bld.copy_out(b, 12, tile, ub_out)
            bld.set(b, 9, M3, V, ev)
        for ev in (0, 1):
            bld.wait(b, 13, V, M2, ev)
            bld.wait(b, 13, M3, V, ev)
    return bld.record()
