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

    def copy_in(self, b: int, line: int, nbytes: int, ub: int = 0, bypass: bool = False, gm: int = 0) -> None:
        """GM offset `gm` of input region 1: distinct data for distinct offsets (the L2 model sees re-reads)."""
        self._add(block=b, line=line, api=API["DataCopy"], op=Op.INSTR, pipe=Pipe.MTE2, dtype=DT.F16,
                  src_mem=Mem.GM, dst_mem=Mem.UB, dst_addr=ub, src_addr=(1 << 48) | gm, bytes=nbytes, a0=1, a1=nbytes,
                  flags=Flag.COUNT_FORM | (Flag.L2_BYPASS if bypass else 0))

    def copy_out(self, b: int, line: int, nbytes: int, ub: int = 0, gm: int = 0) -> None:
        self._add(block=b, line=line, api=API["DataCopy"], op=Op.INSTR, pipe=Pipe.MTE3, dtype=DT.F16,
                  src_mem=Mem.UB, dst_mem=Mem.GM, src_addr=ub, dst_addr=(3 << 48) | gm, bytes=nbytes, a0=1, a1=nbytes,
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
               ub_out: int = 65536, gm: int = 0) -> None:
    """The body of one tile: copy in, a vector op, copy out (no sync; the callers add the protocol)."""
    bld.copy_in(b, line0, tile, ub_in, gm=gm)
    bld.vec(b, line0 + 1, op, tile, ub_out, ub_in)
    bld.copy_out(b, line0 + 2, tile, ub_out, gm=gm)


def serial_kernel(blocks: int, tiles: int, tile: int, op: str = "Exp", bypass: bool = False) -> Record:
    """Single-buffered CopyIn -> Compute -> CopyOut per tile, with the ladder's SetFlag/WaitFlag protocol."""
    bld = Builder()
    V, M2, M3 = Pipe.V, Pipe.MTE2, Pipe.MTE3
    for b in range(blocks):
        for i in range(tiles):
            if i:
                bld.wait(b, 5, V, M2, 0)
            bld.copy_in(b, 10, tile, 0, bypass=bypass, gm=(b * tiles + i) * tile)
            bld.set(b, 6, M2, V, 0)
            bld.wait(b, 6, M2, V, 0)
            if i:
                bld.wait(b, 7, M3, V, 0)
            bld.vec(b, 11, op, tile, 65536, 0)
            if i < tiles - 1:
                bld.set(b, 8, V, M2, 0)
            bld.set(b, 8, V, M3, 0)
            bld.wait(b, 8, V, M3, 0)
            bld.copy_out(b, 12, tile, 65536, gm=(b * tiles + i) * tile)
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
            bld.copy_in(b, 10, tile, ub_in, bypass=bypass, gm=(b * tiles + i) * tile)
            bld.set(b, 6, M2, V, ev)
            bld.wait(b, 6, M2, V, ev)
            bld.wait(b, 7, M3, V, ev)
            bld.vec(b, 11, op, tile, ub_out, ub_in)
            bld.set(b, 8, V, M2, ev)
            bld.set(b, 8, V, M3, ev)
            bld.wait(b, 8, V, M3, ev)
            bld.copy_out(b, 12, tile, ub_out, gm=(b * tiles + i) * tile)
            bld.set(b, 9, M3, V, ev)
        for ev in (0, 1):
            bld.wait(b, 13, V, M2, ev)
            bld.wait(b, 13, M3, V, ev)
    return bld.record()


# ------------------------------------------------------------------------------------------------ cube kernels
_FIELDS = ("block", "line", "api", "op", "core", "pipe", "dtype", "src_dtype", "flags", "src_mem", "dst_mem",
           "ev_src", "ev_dst", "event_id", "reserved", "src_addr", "dst_addr", "bytes", "repeats", "a0", "a1", "a2")


class CubeBuilder:
    """AIC entries as the runtime records them (Nd2Nz, LoadData, Mmad, Fixpipe, flags), appended as tuples so a
    full-size matmul (millions of entries) builds in seconds."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def _add(self, b, line, api, op, pipe, *, dtype=DT.F16, sdt=DT.F16, flags=0, sm=0, dm=0, es=0, ed=0, ev=-1,
             res=0, sa=0, da=0, nbytes=0, rep=0, a0=0, a1=0, a2=0) -> None:
        self.rows.append((b, line, API[api], int(op), 2, int(pipe), int(dtype), int(sdt), int(flags), int(sm), int(dm),
                          int(es), int(ed), ev, res, sa, da, nbytes, rep, a0, a1, a2))

    def nd2nz(self, b: int, rows: int, cols: int, src_d: int, gm: int, l1: int = 0, region: int = 1) -> None:
        """GM (fp16, row pitch src_d elements) -> L1: `rows` rows of `cols` elements."""
        self._add(b, 20, "DataCopy", Op.INSTR, Pipe.MTE2, sm=Mem.GM, dm=Mem.L1, sa=(region << 48) | gm, da=l1,
                  nbytes=rows * cols * 2, rep=rows, a0=rows, a1=cols, a2=1, res=src_d)

    def load(self, b: int, dst: Mem, nbytes: int, l1: int = 0) -> None:
        self._add(b, 30, "LoadData", Op.INSTR, Pipe.MTE1, sm=Mem.L1, dm=dst, sa=l1, nbytes=nbytes, rep=nbytes // 512)

    def mmad(self, b: int, m: int, n: int, k: int, init: bool, unit: int = 0, l0c: int = 0) -> None:
        fl = (1 if init else 0) | (int(Flag.UNIT_FLAG) if unit else 0) | (int(Flag.UNIT_RESET) if unit == 3 else 0)
        self._add(b, 40, "Mmad", Op.INSTR, Pipe.M, dtype=DT.F32, flags=fl, sm=Mem.L0A, dm=Mem.L0C, da=l0c,
                  nbytes=m * n * k, a0=m, a1=n, a2=k)

    def fixpipe(self, b: int, m: int, n: int, dst_stride: int, gm: int, unit: int = 0, region: int = 3,
                l0c: int = 0) -> None:
        fl = int(Flag.COUNT_FORM) | (int(Flag.UNIT_FLAG) if unit else 0) | (int(Flag.UNIT_RESET) if unit == 3 else 0)
        self._add(b, 50, "Fixpipe", Op.INSTR, Pipe.FIX, sdt=DT.F32, flags=fl, sm=Mem.L0C, dm=Mem.GM, sa=l0c,
                  da=(region << 48) | gm, nbytes=m * n * 2, rep=1, a0=m, a1=n, a2=1, res=dst_stride)

    def set(self, b: int, src: Pipe, dst: Pipe, ev: int) -> None:
        self._add(b, 60, "SetFlag", Op.SET_FLAG, src, dtype=0, sdt=0, es=src, ed=dst, ev=ev)

    def wait(self, b: int, src: Pipe, dst: Pipe, ev: int) -> None:
        self._add(b, 61, "WaitFlag", Op.WAIT_FLAG, dst, dtype=0, sdt=0, es=src, ed=dst, ev=ev)

    def record(self) -> Record:
        e = np.array(self.rows, dtype=[(f, ENTRY_DTYPE[f]) for f in _FIELDS]).astype(ENTRY_DTYPE)
        return Record(block_dim=int(e["block"].max()) + 1 if e.size else 0, truncated=False, entries=e)


def matmul_kernel(M: int, N: int, K: int, *, grid: tuple[int, int], base=(128, 256, 64), step=(1, 1),
                  pingpong: bool = True, unit: bool = False, rounds: int = 1) -> Record:
    """C[M,N] = A[M,K] B^T (B stored [N,K]) in fp16, the shape of Huawei's basic-API matmul: each block owns a
    (M/grid[0]) x (N/grid[1]) slab, loops n-tiles outer, m-tiles inner and K in baseK steps; A and B come in
    'packets' of step[0] / step[1] baseK chunks (Nd2Nz rows of baseK*step elements). pingpong: L1 and L0
    double-buffered with the MTE1_MTE2 / M_MTE1 reverse flags preset (the sample's protocol); otherwise every stage
    waits for the previous one. unit: Mmad unitFlag 2/3 and Fixpipe unitFlag 3 instead of an M_FIX event.
    rounds: the L2-split schedule, the slab's M range processed in `rounds` passes over the whole grid."""
    bm, bn, bk = base
    ska, skb = step
    bld = CubeBuilder()
    M2, M1, MM, FX = Pipe.MTE2, Pipe.MTE1, Pipe.M, Pipe.FIX
    gm_rows, gn = grid
    sm = -(-M // gm_rows // rounds // bm) * bm
    sn = -(-N // gn // bn) * bn  # the sample's singleCoreN: whole base tiles, the last column of blocks gets the tail
    for b in range(gm_rows * gn):
        if pingpong:
            for ev in range(4):
                bld.set(b, M1, M2, ev)
            for ev in range(2):
                bld.set(b, MM, M1, ev)
        l0 = 0
        for r in range(rounds):
            m0 = ((b % gm_rows) + r * gm_rows) * sm
            n0 = (b // gm_rows) * sn
            for nt in range(sn // bn):
                for mt in range(sm // bm):
                    mo, no = m0 + mt * bm, n0 + nt * bn
                    if mo >= M or no >= N:
                        continue
                    kl = K // bk
                    for kb in range(kl):
                        ia, ib = (kb // ska) % 2, (kb // skb) % 2
                        if kb % ska == 0:
                            if pingpong:
                                bld.wait(b, M1, M2, ia)
                            bld.nd2nz(b, bm, bk * ska, K, (mo * K + kb * bk) * 2, l1=ia * 131072, region=1)
                            bld.set(b, M2, M1, ia)
                        if kb % skb == 0:
                            if pingpong:
                                bld.wait(b, M1, M2, 2 + ib)
                            bld.nd2nz(b, bn, bk * skb, K, (no * K + kb * bk) * 2, l1=262144 + ib * 131072, region=2)
                            bld.set(b, M2, M1, 2 + ib)
                        if pingpong:
                            bld.wait(b, MM, M1, l0)
                        if kb % ska == 0:
                            bld.wait(b, M2, M1, ia)
                        if kb % skb == 0:
                            bld.wait(b, M2, M1, 2 + ib)
                        bld.load(b, Mem.L0A, bm * bk * 2)
                        bld.load(b, Mem.L0B, bn * bk * 2)
                        if (kb + 1) % ska == 0 and pingpong:
                            bld.set(b, M1, M2, ia)
                        if (kb + 1) % skb == 0 and pingpong:
                            bld.set(b, M1, M2, 2 + ib)
                        if not pingpong:
                            bld.set(b, M1, MM, 0)
                            bld.wait(b, M1, MM, 0)
                            bld.mmad(b, bm, bn, bk, kb == 0, (3 if kb == kl - 1 else 2) if unit else 0)
                            bld.set(b, MM, M2, 0)
                            bld.wait(b, MM, M2, 0)
                        else:
                            bld.set(b, M1, MM, l0)
                            bld.wait(b, M1, MM, l0)
                            bld.mmad(b, bm, bn, bk, kb == 0, (3 if kb == kl - 1 else 2) if unit else 0)
                            bld.set(b, MM, M1, l0)
                            l0 ^= 1
                    if not unit:
                        bld.set(b, MM, FX, 0)
                        bld.wait(b, MM, FX, 0)
                    bld.fixpipe(b, bm, bn, N, (mo * N + no) * 2, 3 if unit else 0)
                    if not unit:
                        bld.set(b, FX, MM, 0)
                        bld.wait(b, FX, MM, 0)
        if pingpong:
            for ev in range(2):
                bld.wait(b, MM, M1, ev)
            for ev in range(4):
                bld.wait(b, M1, M2, ev)
    return bld.record()
