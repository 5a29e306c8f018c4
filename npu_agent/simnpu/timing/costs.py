"""Instruction costs of one SoC, from its data file npu_agent/hardware/costs/<soc>.toml (docs/cycle-model.md).

The cost of each record entry is computed here, vectorised over the whole record, and handed to the scheduler
as plain per-entry arrays: what kind of step it is, on which pipe, how long it keeps that pipe, what it costs
the scalar unit to issue, and for GM copies how much chip bandwidth it needs. No hardware number lives in
this module; they are all read from the data file (and the clock from the SoC profile).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from npu_agent.hardware import HardwareProfile
from npu_agent.simnpu.record import API_NAMES, DT, Flag, Mem, Op, Pipe

# Step kinds the scheduler knows.
K_SCALAR = 0   # runs on the scalar unit only (its issue cost is all it costs)
K_WORK = 1     # occupies its pipe for `dur` cycles
K_XFER = 2     # a GM copy: at least `solo` cycles, and `chip` cycles of the shared chip bandwidth
K_SET = 3      # sets token `tok` when its pipe reaches it
K_WAIT = 4     # blocks its pipe until token `tok` has been set (k-th wait takes the k-th set)
K_BARRIER_ALL = 5  # PipeBarrier<PIPE_ALL>: the scalar waits until every pipe has drained
K_XSET = 6     # cross-core: contributes to launch-wide token `tok` when its pipe reaches it
K_XWAIT = 7    # cross-core: the scalar waits until token `tok` has all its contributions (tok bits 32..47)

_HALF = {int(DT.F16), int(DT.BF16), int(DT.I16), int(DT.U16)}
_CURVE_PATHS = {(int(Mem.GM), int(Mem.UB)): "GM_UB", (int(Mem.UB), int(Mem.GM)): "UB_GM",
                (int(Mem.GM), int(Mem.L1)): "GM_L1", (int(Mem.GM), int(Mem.L0A)): "GM_L0",
                (int(Mem.GM), int(Mem.L0B)): "GM_L0"}
_MEM_NAMES = {int(m): m.name for m in Mem}
_UB_PATHS = ("GM_UB", "UB_GM")  # DataCopy / DataCopyPad between GM and UB: costed by their bursts (_ub_bursts)
_API_DATACOPY = API_NAMES.index("DataCopy")


class CostDataError(ValueError):
    """The SoC has no cost file, or the file lacks a number the model needs."""


@cache
def load_costs(soc: str) -> dict[str, Any]:
    path = resources.files("npu_agent.hardware") / "costs" / f"{soc}.toml"
    if not path.is_file():
        raise CostDataError(f"no cycle-model cost file for hardware profile {soc!r} (npu_agent/hardware/costs/)")
    return tomllib.loads(path.read_text(encoding="utf-8"))


@dataclass
class Steps:
    """Per-entry inputs of the scheduler (all numpy arrays of the record's length)."""

    kind: np.ndarray     # int8, K_*
    pipe: np.ndarray     # int8, the pipe that executes the step (1..7)
    issue: np.ndarray    # float64, scalar cycles spent issuing the entry (or running it, for scalar work)
    dur: np.ndarray      # float64, cycles on the pipe for K_WORK / K_SET / K_WAIT
    solo: np.ndarray     # float64, K_XFER: cycles of the copy on an otherwise idle chip
    chip: np.ndarray     # float64, K_XFER: cycles of the whole chip's GM bandwidth the copy needs
    lat: np.ndarray      # float64, K_XFER: latency after its bandwidth share is served
    tok: np.ndarray      # int64, K_SET / K_WAIT: token id, unique within a block; K_XSET / K_XWAIT: in the launch
    chip_hit: np.ndarray  # float64, K_XFER reads: chip cycles if every byte hits in L2 (`chip` is the all-miss cost)
    cold: np.ndarray     # float64, extra cycles when the step starts on an idle pipe (Mmad's pipeline fill)
    udep: np.ndarray     # int64, unitFlag: the entry whose L0C units this step shares (-1 none), see _unit_flags
    ulead: np.ndarray    # float64, cycles after udep's start before the first unit is available
    utail: np.ndarray    # float64, cycles after udep's end (Fixpipe) before this step may end
    l2_off: np.ndarray   # int64, GM copies: first index into l2_keys (-1: no L2 footprint, e.g. L2 bypass)
    l2_cnt: np.ndarray   # int64, number of footprint keys of the copy
    l2_write: np.ndarray  # bool, the copy writes GM (its footprint is installed in L2, never counted as a hit)
    l2_keys: np.ndarray  # int64, flat: one key per group of `l2_group_rows` rows of a copy's GM footprint
    l2_kbytes: np.ndarray  # int64, flat: bytes of each key's rows (whole L2 lines)
    l2_kdata: np.ndarray  # int64, flat: data bytes of each key's rows (what a hit saves)
    req: np.ndarray      # float64, Nd2Nz reads: GM requests


class CostModel:
    """Turns a twin record into scheduler steps for one SoC."""

    def __init__(self, hardware: HardwareProfile) -> None:
        self.hardware = hardware
        self.data = load_costs(hardware.name)
        self.clock_mhz = hardware.clock_mhz
        d = self.data
        try:
            t, c, v, s = d["transfer"], d["chip"], d["vector"], d["scalar"]
            self._gib = 2.0**30 / (float(t["gib_clock_mhz"]) * 1e6)  # GiB/s -> bytes/cycle
            scale = float(t.get("curve_scale", 1.0))  # a SoC without its own measured curves (310P) scales 2201's
            self.curves = {name: (np.asarray(cv["kib"], float) * 1024.0,
                                  np.asarray(cv["gib_s"], float) * self._gib * scale)
                           for name, cv in t["curves"].items()}
            self.fixed = {k: float(x) for k, x in t["fixed"].items() if k != "latency_cycles"}
            self.local_latency = float(t["fixed"]["latency_cycles"])
            self.request_bytes = float(t["request_bytes"])
            self.request_sizes = np.asarray(sorted(float(x) for x in t["request_sizes"]))
            # Cycles one extra GM request costs a core, per UB path: the split request of the 512 B vs 32 B
            # alignment measurement (efficiency `split_request_efficiency`) at the path's plateau rate.
            eff = float(t["split_request_efficiency"])
            self.request_cycles = {name: self.request_bytes / float(self.curves[name][1][-1]) * (1.0 / eff - 1.0)
                                   for name in _UB_PATHS if name in self.curves}
            per_cycle = 1e6 / self.clock_mhz  # TB/s -> bytes per cycle
            self.chip_read = float(c["read_cached_tb_s"]) * per_cycle
            self.chip_bypass = float(c["read_bypass_tb_s"]) * per_cycle
            self.chip_write = float(c["write_tb_s"]) * per_cycle
            self.read_latency = float(c["read_latency_cycles"])
            self.write_latency = float(c["write_latency_cycles"])
            self.v_head, self.v_slope = float(v["head_cycles"]), float(v["slope_cycles"])
            self.v_tail = float(v["count_tail_cycles"])
            self.bank_row, self.bank_groups = int(v["bank_row_bytes"]), int(v["bank_groups"])
            self.bank_region = int(v["bank_region_bytes"])
            self.v_ops = {k: dict(x) for k, x in v.get("ops", {}).items()}
            self.cube = d["cube"]
            self.fix = d["fixpipe"]
            g, l2 = d["gm"], d["l2"]
            self.req_bytes = int(self.request_bytes)  # [transfer] request_bytes: one GM request size for every path
            self.nd2nz_req_cycles = float(g["nd2nz_request_cycles"])
            self.nd2nz_head = float(g["nd2nz_head_cycles"])
            self.mte1_latency = float(d["cube"]["load_latency_cycles"])
            self.same_addr_rate = float(g["same_address_requests_per_cycle"])
            self.chip_hit = float(l2["read_hit_tb_s"]) * per_cycle
            self.l2_line = int(l2["line_bytes"])
            self.l2_group_rows = int(l2["group_rows"])
            cap = hardware.get("memory", "l2_bytes")
            if cap is None:
                raise KeyError("[memory] l2_bytes (hardware profile)")
            self.l2_bytes = int(float(l2.get("capacity_fraction", 1.0)) * int(cap))
            self.issue_cycles = float(s["issue_cycles"])
            self.local_access = float(s["local_access_cycles"])
            self.gm_access = float(s["gm_access_cycles"])
            self.flag_cycles = float(s["flag_cycles"])
            self.queue_depth = int(s["queue_depth"])
            self.launch_base_us = float(d["launch"]["base_us"])
            self.launch_per_block_us = float(d["launch"]["per_block_us"])
            self.pipe_bound_ratio = float(d["bottleneck"]["pipe_bound_ratio"])
        except KeyError as e:
            raise CostDataError(f"cost file of {hardware.name} lacks {e}") from None

    # ---------------------------------------------------------------------------------------------- parts
    def launch_cycles(self, blocks: int) -> float:
        return (self.launch_base_us + self.launch_per_block_us * blocks) * self.clock_mhz

    def curve_rate(self, name: str, size: np.ndarray) -> np.ndarray:
        """Bytes per cycle of one copy of `size` bytes on path `name` (linear in size, flat at the ends)."""
        xs, ys = self.curves[name]
        return np.interp(size, xs, ys)

    def bank_beats(self, src0: int, src1: int, dst: int) -> int:
        """Beats per repeat of a vector op whose operands start at these UB addresses (-1: absent)."""
        row, groups, region = self.bank_row, self.bank_groups, self.bank_region
        reads: dict[int, int] = {}
        read_banks: set[int] = set()
        for a in (src0, src1):
            if a < 0:
                continue
            for r in range(8):  # one repeat: 8 rows of 32 B
                addr = a + r * row
                g = (addr // row) % groups
                reads[g] = reads.get(g, 0) + 1
                read_banks.add(groups * (addr // region) + g)
        beats = max(reads.values(), default=1)
        if dst >= 0 and beats < 2:
            for r in range(8):
                addr = dst + r * row
                if groups * (addr // region) + (addr // row) % groups in read_banks:
                    return 2
        return beats

    # ----------------------------------------------------------------------------------------- the record
    def steps(self, e: np.ndarray) -> Steps:
        """Costs of every entry of a record (ENTRY_DTYPE array, program order per block)."""
        n = e.size
        op = e["op"].astype(np.int64)
        pipe = e["pipe"].astype(np.int64)
        ev_src = e["ev_src"].astype(np.int64)
        ev_dst = e["ev_dst"].astype(np.int64)
        evid = e["event_id"].astype(np.int64)
        a0 = e["a0"].astype(np.int64)
        a1 = e["a1"].astype(np.int64)
        a2 = e["a2"].astype(np.int64)
        nbytes = e["bytes"].astype(np.float64)
        rep = e["repeats"].astype(np.float64)
        src_mem = e["src_mem"].astype(np.int64)
        dst_mem = e["dst_mem"].astype(np.int64)

        kind = np.full(n, K_SCALAR, np.int8)
        exec_pipe = np.where((pipe >= 1) & (pipe <= 7), pipe, int(Pipe.S)).astype(np.int8)
        issue = np.full(n, self.issue_cycles)
        dur = np.zeros(n)
        solo = np.zeros(n)
        chip = np.zeros(n)
        lat = np.zeros(n)
        tok = np.zeros(n, np.int64)
        chip_hit = np.zeros(n)
        cold = np.zeros(n)

        # Scalar memory accesses: one entry may stand for `repeats` merged accesses of one call site.
        sc = op == Op.SCALAR
        per = np.where(src_mem == Mem.GM, self.gm_access, np.where(dst_mem == Mem.GM, self.gm_access,
                                                                     self.local_access))
        issue[sc] = (np.maximum(rep, 1) * per)[sc]

        # Flags and queues.
        flag_key = (ev_src * 16 + ev_dst) * 65536 + (evid & 0xFFFF)
        q_key = (evid & 0xFFFF) * 65536 + (a0 & 0xFFFF)
        cross = (ev_src != ev_dst) & (ev_src >= 1) & (ev_src <= 7) & (ev_dst >= 1) & (ev_dst <= 7)
        sets = (op == Op.SET_FLAG) & cross
        waits = (op == Op.WAIT_FLAG) & cross
        kind[sets], tok[sets] = K_SET, flag_key[sets]
        kind[waits], tok[waits] = K_WAIT, flag_key[waits]
        enq = (op == Op.ENQUE) & cross
        deq = (op == Op.DEQUE) & cross
        kind[enq], tok[enq] = K_SET, (1 << 40) + q_key[enq]
        kind[deq], tok[deq] = K_WAIT, (1 << 40) + q_key[deq]
        free = (op == Op.FREE) & cross
        alloc = (op == Op.ALLOC) & cross & (a1 == 1)
        kind[free], tok[free] = K_SET, (2 << 40) + q_key[free]
        kind[alloc], tok[alloc] = K_WAIT, (2 << 40) + q_key[alloc]
        # Cross-core sync (CrossCoreSetFlag / SyncAll): a1 names the sync instance across the whole launch, a2 the
        # number of sets that release it; the wait ends after the last of them.
        xkey = (3 << 48) + ((a2 & 0xFFFF) << 32) + (a1 & 0xFFFFFFFF)
        xs = op == Op.XSET
        xw = op == Op.XWAIT
        kind[xs], tok[xs] = K_XSET, xkey[xs]
        kind[xw], tok[xw] = K_XWAIT, xkey[xw]
        sync = sets | waits | enq | deq | free | alloc | xs
        dur[sync] = self.flag_cycles
        bar = op == Op.BARRIER
        kind[bar & (pipe == Pipe.ALL)] = K_BARRIER_ALL
        pb = bar & (pipe >= 1) & (pipe <= 7) & (pipe != Pipe.S)
        kind[pb], dur[pb] = K_WORK, self.flag_cycles

        # Instructions.
        ins = (op == Op.INSTR) & (pipe >= 2) & (pipe <= 7)
        gm = ins & ((src_mem == Mem.GM) | (dst_mem == Mem.GM))
        # A UB->UB DataCopy runs on the vector pipe but moves bytes: costed as a local copy ([transfer.fixed] UB_UB).
        ub_copy = ins & (pipe == Pipe.V) & (e["api"] == _API_DATACOPY) & (src_mem == Mem.UB) & (dst_mem == Mem.UB)
        local_copy = ins & ~gm & (((pipe != Pipe.V) & (pipe != Pipe.M)) | ub_copy)
        self._transfers(e, gm, kind, solo, chip, lat, src_mem, dst_mem, nbytes, a1)
        req = np.zeros(n)
        self._gm_structure(e, gm, solo, chip, chip_hit, req)
        self._local_copies(local_copy, kind, dur, src_mem, dst_mem, nbytes, e["repeats"])
        mte1 = local_copy & (pipe == Pipe.MTE1) & ((dst_mem == Mem.L0A) | (dst_mem == Mem.L0B))
        dur[mte1] += self.mte1_latency - self.local_latency
        vec = ins & (pipe == Pipe.V) & ~ub_copy
        if vec.any():
            self._vector(e, np.nonzero(vec)[0], kind, dur)
        cube = ins & (pipe == Pipe.M)
        if cube.any():
            self._cube(e, cube, kind, dur)
            cold[cube] = float(self.cube["cold_head_cycles"])
        udep, ulead, utail = self._unit_flags(e, ins, solo, dur)
        l2 = self._l2_footprints(e, gm)
        self._same_address(e, solo, req, l2)
        return Steps(kind=kind, pipe=exec_pipe, issue=issue, dur=dur, solo=solo, chip=chip, lat=lat, tok=tok,
                     chip_hit=chip_hit, cold=cold, udep=udep, ulead=ulead, utail=utail, req=req, **l2)

    def _transfers(self, e, sel, kind, solo, chip, lat, src_mem, dst_mem, nbytes, a1) -> None:
        if not sel.any():
            return
        kind[sel] = K_XFER
        idx = np.nonzero(sel)[0]
        b = nbytes[idx]
        burst = np.where((a1[idx] > 0) & (a1[idx] <= b), a1[idx], b).astype(float)
        burst = np.maximum(burst, 1.0)
        names = [_CURVE_PATHS.get(sd) for sd in zip(src_mem[idx].tolist(), dst_mem[idx].tolist(), strict=True)]
        rate = np.full(idx.size, self.fixed["default"])
        extra = np.zeros(idx.size)   # cycles of GM requests beyond those of one contiguous copy (UB paths)
        req = b.copy()               # bytes the GM side moves (whole requests; UB paths)
        for name in set(names) - {None}:
            if name in self.curves:
                m = np.array([x == name for x in names])
                if name in _UB_PATHS:
                    rate[m], extra[m], req[m] = self._ub_bursts(e, idx[m], name)
                else:
                    rate[m] = self.curve_rate(name, burst[m])
        fixpipe = src_mem[idx] == Mem.L0C
        rate[fixpipe] = float(self.fix["l0c_gm_bytes_per_cycle"])
        head = np.where(fixpipe, float(self.fix["head_cycles"]), 0.0)
        solo[idx] = head + req / rate + extra
        b = req
        reading = src_mem[idx] == Mem.GM
        bypass = (e["flags"][idx] & int(Flag.L2_BYPASS)) != 0
        chip_rate = np.where(reading, np.where(bypass, self.chip_bypass, self.chip_read), self.chip_write)
        chip[idx] = b / chip_rate
        lat[idx] = np.where(reading, self.read_latency, self.write_latency)

    def _ub_bursts(self, e: np.ndarray, rows: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rate, extra request cycles and GM-side bytes of DataCopy / DataCopyPad copies between GM and UB.

        One copy instruction is one transfer: its time is the path's curve time at the instruction's total bytes
        (the start-up is paid once; ADK "高效的使用搬运API": a strided DataCopyParams copy of 16 x 2 KB moves 32 KB at
        once). The GM side moves each burst (blockCount bursts of blockLen bytes, separated by the GM-side gap)
        as requests of at most `request_bytes`, a partial one rounded up to the next of `request_sizes` (ADK
        硬件约束 2201); bursts with no GM gap form one contiguous stream. Each request beyond those of one
        contiguous copy of the same bytes costs `request_cycles[name]`.
        """
        nbytes = e["bytes"][rows].astype(np.float64)
        count = np.maximum(e["a0"][rows].astype(np.float64), 1.0)
        blen = e["a1"][rows].astype(np.float64)
        load = e["src_mem"][rows] == Mem.GM
        # GM-side gap: a load's source gap (a2, bytes); a store's destination gap (reserved: DataCopyParams in
        # 32 B blocks, DataCopyPad in bytes).
        store_gap = e["reserved"][rows].astype(np.float64) * np.where(e["api"][rows] == _API_DATACOPY, 32.0, 1.0)
        gap = np.where(load, e["a2"][rows].astype(np.float64), store_gap)
        stream = (count <= 1) | (gap == 0) | (blen <= 0)
        blen = np.where(stream, nbytes, blen)
        bursts = np.where(stream, 1.0, count)
        rb = self.request_bytes
        full, part = np.floor(blen / rb), np.mod(blen, rb)
        sizes = self.request_sizes
        part_req = np.where(part > 0, sizes[np.minimum(np.searchsorted(sizes, part), sizes.size - 1)], 0.0)
        requests = bursts * (full + (part > 0))
        moved = np.maximum(bursts * (full * rb + part_req), nbytes)
        ideal = np.ceil(nbytes / rb)
        extra = np.maximum(requests - ideal, 0.0) * self.request_cycles.get(name, 0.0)
        # Below the curve's first size the start-up dominates: the first point's time less the missing bytes at
        # the plateau rate (a flat rate there would make a 32 B copy 30x cheaper than a 1 KiB one).
        xs, ys = self.curves[name]
        size = np.maximum(nbytes, 1.0)
        t = np.where(size >= xs[0], size / self.curve_rate(name, size), xs[0] / ys[0] - (xs[0] - size) / ys[-1])
        return np.where(moved > 0, moved / t, 1.0), extra, moved  # a NOP copy (blockCount 0) takes no time

    def _local_copies(self, sel, kind, dur, src_mem, dst_mem, nbytes, repeats) -> None:
        if not sel.any():
            return
        idx = np.nonzero(sel)[0]
        rates = np.array([self.fixed.get(f"{_MEM_NAMES.get(s, '?')}_{_MEM_NAMES.get(d, '?')}", self.fixed["default"])
                          for s, d in zip(src_mem[idx].tolist(), dst_mem[idx].tolist(), strict=True)])
        kind[idx] = K_WORK
        dur[idx] = self.local_latency + nbytes[idx] / rates

    def _vector(self, e, idx, kind, dur) -> None:
        kind[idx] = K_WORK
        api = e["api"][idx].tolist()
        dtype = e["dtype"][idx].tolist()
        reps = e["repeats"][idx].tolist()
        flags = e["flags"][idx].tolist()
        nb = e["bytes"][idx].tolist()
        src_mem = e["src_mem"][idx].tolist()
        dst_mem = e["dst_mem"][idx].tolist()
        src = e["src_addr"][idx].tolist()
        dst = e["dst_addr"][idx].tolist()
        s1 = e["reserved"][idx].tolist()
        ub = int(Mem.UB)
        memo: dict[tuple, tuple[float, float]] = {}
        out = np.empty(idx.size)
        for i in range(idx.size):
            a0 = src[i] if src_mem[i] == ub else -1
            a1 = (s1[i] - 1) * 32 if s1[i] else -1
            ad = dst[i] if dst_mem[i] == ub else -1
            key = (api[i], dtype[i] in _HALF, a0, a1, ad)
            hs = memo.get(key)
            if hs is None:
                name = API_NAMES[api[i]] if api[i] < len(API_NAMES) else ""
                spec = self.v_ops.get(name, {})
                slope = float(spec.get("f16", spec.get("slope", self.v_slope)) if key[1] else
                              spec.get("slope", self.v_slope))
                hs = memo[key] = (float(spec.get("head", self.v_head)),
                                  max(slope, float(self.bank_beats(a0, a1, ad))))
            cyc = hs[0] + hs[1] * max(reps[i], 1 if nb[i] else 0)
            if flags[i] & int(Flag.COUNT_FORM) and nb[i] % 256:
                cyc += self.v_tail
            out[i] = cyc
        dur[idx] = out

    def _cube(self, e, sel, kind, dur) -> None:
        c = self.cube
        m = e["a0"][sel].astype(float)
        n = e["a1"][sel].astype(float)
        k = e["a2"][sel].astype(float)
        sdt = e["src_dtype"][sel]
        es = np.where(np.isin(sdt, [int(DT.F32), int(DT.I32)]), 4.0,
                      np.where(np.isin(sdt, [int(DT.I8), int(DT.U8)]), 1.0,
                               np.where(sdt == int(DT.I4), 0.5, 2.0)))  # int4b_t: 64 K per 32 B fractal row
        k_per = float(c["fractal_k_bytes"]) / es
        frac = np.ceil(m / float(c["fractal_m"])) * np.ceil(k / k_per) * np.ceil(n / float(c["fractal_n"]))
        frac *= np.where(es == 4.0, float(c["fp32_factor"]), 1.0)
        kind[sel] = K_WORK
        dur[sel] = float(c["head_cycles"]) + frac

    # ------------------------------------------------------------------------------ cube side and GM / L2
    def _row_structure(self, e: np.ndarray,
                       idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Rows, row bytes, GM row pitch and whether it is an Nd2Nz of the GM copies `idx` (docs/cycle-model.md
        §GM structure).

        Nd2Nz (GM->L1, not count form, bytes = ndNum nValue dValue size): nValue x ndNum rows of dValue elements,
        pitch srcDValue (record `reserved`). Fixpipe to GM: mSize x ndNum rows of nSize elements, pitch dstStride
        (`reserved`). DataCopyParams / DataCopyPad: blockCount rows of blockLen bytes, pitch blockLen + gap (src gap
        `a2` for reads, dst gap `reserved` for writes). Contiguous copies: one row."""
        op_bytes = e["bytes"][idx].astype(np.int64)
        a0 = e["a0"][idx].astype(np.int64)
        a1 = e["a1"][idx].astype(np.int64)
        a2 = e["a2"][idx].astype(np.int64)
        res = e["reserved"][idx].astype(np.int64)
        rep = e["repeats"][idx].astype(np.int64)
        flags = e["flags"][idx].astype(np.int64)
        src_mem = e["src_mem"][idx]
        dst_mem = e["dst_mem"][idx]
        es = _esize(e["dtype"][idx])
        rows = np.ones(idx.size, np.int64)
        rb = np.maximum(op_bytes, 1)
        pitch = rb.copy()
        count = (flags & int(Flag.COUNT_FORM)) != 0
        api = e["api"][idx]
        nd = ((api == _API_DATACOPY) & (src_mem == Mem.GM) & (dst_mem == Mem.L1) & ~count & (a0 > 0) & (a2 > 0)
              & (rep == a0 * a2) & (op_bytes == np.round(a0 * a1 * a2 * es).astype(np.int64)))
        rows[nd] = a0[nd] * a2[nd]
        rb[nd] = np.maximum(np.round(a1[nd] * es[nd]).astype(np.int64), 1)
        pitch[nd] = np.where(res[nd] > 0, np.round(res[nd] * es[nd]).astype(np.int64), rb[nd])
        fix = (api == _API_FIXPIPE) & (src_mem == Mem.L0C) & (dst_mem == Mem.GM) & (a0 > 0) & (a1 > 0)
        rows[fix] = a0[fix] * np.maximum(rep[fix], 1)
        rb[fix] = np.maximum(np.round(a1[fix] * es[fix]).astype(np.int64), 1)
        pitch[fix] = np.where(res[fix] > 0, np.round(res[fix] * es[fix]).astype(np.int64), rb[fix])
        nz = fix & ~count  # NZ output: one contiguous run of mSize x 16 elements per 16-column block
        rows[nz] = (a1[nz] + 15) // 16
        rb[nz] = np.round(a0[nz] * 16 * es[nz]).astype(np.int64)
        pitch[nz] = rb[nz]
        blocks = ~nd & ~fix & ~count & (a0 > 1) & (a1 > 0) & (a0 * a1 <= op_bytes + a0 * 32)
        rows[blocks] = a0[blocks]
        rb[blocks] = a1[blocks]
        writes = dst_mem == Mem.GM
        gap = np.where(writes, res * np.where(api == _API_DATACOPY, 32, 1), a2)
        pitch[blocks] = a1[blocks] + gap[blocks]
        return rows, rb, np.maximum(pitch, 1), nd

    def _requests(self, off: np.ndarray, rows: np.ndarray, rb: np.ndarray, pitch: np.ndarray) -> np.ndarray:
        """Request count of a strided copy: each row is split into `request_bytes` requests on the L2 line grid, so
        a row that starts off a line boundary costs one more request (the 512 B alignment effect). Row offsets repeat
        with a period of at most line/gcd(pitch, line) rows; the mean over the first 16 rows stands for all."""
        line = self.req_bytes
        k = np.arange(16)
        o = (off[:, None] + k[None, :] * pitch[:, None]) % line
        per = (o + rb[:, None] + line - 1) // line
        valid = k[None, :] < np.minimum(rows, 16)[:, None]
        mean = (per * valid).sum(axis=1) / np.maximum(valid.sum(axis=1), 1)
        return mean * rows

    def _gm_structure(self, e, sel, solo, chip, chip_hit, req_out) -> None:
        """Nd2Nz and Fixpipe costed by their bursts, and every GM read's L2-hit chip cost."""
        if not sel.any():
            return
        idx = np.nonzero(sel)[0]
        reading = e["src_mem"][idx] == Mem.GM
        bypass = (e["flags"][idx] & int(Flag.L2_BYPASS)) != 0
        b = e["bytes"][idx].astype(np.float64)
        hit = reading & ~bypass
        chip_hit[idx[hit]] = b[hit] / self.chip_hit
        rows, rb, pitch, nd = self._row_structure(e, idx)
        off = (e["src_addr"][idx] & _OFF_MASK).astype(np.int64)
        off = np.where(reading, off, (e["dst_addr"][idx] & _OFF_MASK).astype(np.int64))
        if nd.any():
            req = self._requests(off[nd], rows[nd], rb[nd], pitch[nd])
            solo[idx[nd]] = self.nd2nz_head + req * self.nd2nz_req_cycles
            req_out[idx[nd]] = req
        fix = (e["src_mem"][idx] == Mem.L0C) & (e["dst_mem"][idx] == Mem.GM)
        if fix.any():
            req = self._requests(off[fix], rows[fix], rb[fix], pitch[fix])
            solo[idx[fix]] = float(self.fix["head_cycles"]) + req * float(self.fix["request_cycles"])

    def _same_address(self, e, solo, req, l2) -> None:
        """Same-address sharing: the cores of a launch that read one packet (same first footprint key) share its L2
        slice's request rate, `same_address_requests_per_cycle`: with k readers a request takes at least k / rate
        cycles. Static (counted over the whole run, not by overlap in time): the model's cores drift apart after
        their first collision, the hardware's keep colliding (ADK: 10-20 % loss)."""
        if not self.same_addr_rate:
            return
        rd = np.nonzero((req > 0) & (l2["l2_off"] >= 0))[0]
        if rd.size == 0:
            return
        key = l2["l2_keys"][l2["l2_off"][rd]]
        core = e["block"][rd].astype(np.int64) * 4 + e["core"][rd].astype(np.int64)
        pairs = np.unique(np.stack([key, core], axis=1), axis=0)
        ukeys, counts = np.unique(pairs[:, 0], return_counts=True)
        k = counts[np.searchsorted(ukeys, key)]
        per = k / self.same_addr_rate
        slow = per > self.nd2nz_req_cycles
        solo[rd[slow]] += req[rd[slow]] * (per[slow] - self.nd2nz_req_cycles)

    def _unit_flags(self, e, ins, solo, dur) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """unitFlag (Mmad/Fixpipe flags UNIT_FLAG / UNIT_RESET): 512 B-grained overlap of Mmad and Fixpipe.

        A Fixpipe with unitFlag depends on the last Mmad with unitFlag 3 before it in its program: it may start once
        that Mmad has produced its first unit and ends no earlier than one unit's write after it. A Mmad with
        unitFlag that starts a new accumulation (C initialised) on L0C a unitFlag-3 Fixpipe is still draining waits
        the other way round: it may start once the Fixpipe has freed its first unit and cannot overtake it."""
        n = e.size
        udep = np.full(n, -1, np.int64)
        ulead = np.zeros(n)
        utail = np.zeros(n)
        fl = e["flags"].astype(np.int64)
        pipe = e["pipe"]
        unit = ins & ((fl & int(Flag.UNIT_FLAG)) != 0) & ((pipe == Pipe.M) | (pipe == Pipe.FIX))
        if not unit.any():
            return udep, ulead, utail
        idx = np.nonzero(unit)[0]
        prog = (e["block"][idx].astype(np.int64) * 4 + e["core"][idx].astype(np.int64)).tolist()
        is_m = (pipe[idx] == Pipe.M).tolist()
        reset = ((fl[idx] & int(Flag.UNIT_RESET)) != 0).tolist()
        init = ((fl[idx] & 3) != 0).tolist()
        c = self.cube
        k_per = float(c["fractal_k_bytes"]) / _esize(e["src_dtype"][idx])
        first_unit = np.ceil(e["a2"][idx].astype(float) / k_per).tolist()   # Mmad: K steps to its first unit
        unit_write = float(self.fix["unit_bytes"]) / float(self.fix["unit_bytes_per_cycle"])
        # L0C address of each: a Mmad's destination, a Fixpipe's source (double-buffered L0C pairs by buffer).
        l0c_l = np.where(pipe[idx] == Pipe.M, e["dst_addr"][idx], e["src_addr"][idx]).astype(np.int64).tolist()
        last_m: dict[int, int] = {}
        last_m_at: dict[tuple[int, int], int] = {}
        last_fix: dict[tuple[int, int], int] = {}
        idl = idx.tolist()
        for i, j in enumerate(idl):
            p = prog[i]
            if is_m[i]:
                if init[i]:
                    d = last_fix.pop((p, l0c_l[i]), None)
                    if d is not None:
                        udep[j] = d
                        ulead[j] = unit_write
                        utail[j] = unit_write
                if reset[i]:
                    last_m[p] = i
                    last_m_at[(p, l0c_l[i])] = i
            else:
                m = last_m_at.get((p, l0c_l[i]), last_m.get(p))
                if m is not None:
                    udep[j] = idl[m]
                    ulead[j] = first_unit[m]
                    utail[j] = unit_write
                if reset[i]:
                    last_fix[(p, l0c_l[i])] = j
        return udep, ulead, utail

    def _l2_footprints(self, e, gm) -> dict[str, np.ndarray]:
        """L2 keys of every GM copy: one per group of `group_rows` rows (same start, row bytes and pitch), so a tile
        read again as the same tile -- by another core or in a later round -- finds its lines; bytes in whole lines."""
        n = e.size
        l2_off = np.full(n, -1, np.int64)
        l2_cnt = np.zeros(n, np.int64)
        l2_write = np.zeros(n, bool)
        bypass = (e["flags"] & int(Flag.L2_BYPASS)) != 0
        sel = gm & ~bypass & (e["bytes"] > 0)
        empty = np.zeros(0, np.int64)
        if not sel.any():
            return dict(l2_off=l2_off, l2_cnt=l2_cnt, l2_write=l2_write, l2_keys=empty, l2_kbytes=empty,
                        l2_kdata=empty)
        idx = np.nonzero(sel)[0]
        rows, rb, pitch, _ = self._row_structure(e, idx)
        reading = e["src_mem"][idx] == Mem.GM
        addr = np.where(reading, e["src_addr"][idx], e["dst_addr"][idx]).astype(np.int64)
        g = self.l2_group_rows
        groups = (rows + g - 1) // g
        l2_off[idx] = np.concatenate(([0], np.cumsum(groups)[:-1]))
        l2_cnt[idx] = groups
        l2_write[idx] = ~reading
        owner = np.repeat(np.arange(idx.size), groups)
        gi = np.arange(owner.size) - np.repeat(l2_off[idx], groups)
        start = addr[owner] + gi * g * pitch[owner]
        nrows = np.minimum(rows[owner] - gi * g, g)
        line = self.l2_line
        lines = (rb[owner] + line - 1) // line
        keys = (start * 1000003) ^ (rb[owner] << 21) ^ (pitch[owner] << 42) ^ nrows
        return dict(l2_off=l2_off, l2_cnt=l2_cnt, l2_write=l2_write, l2_keys=keys,
                    l2_kbytes=nrows * lines * line, l2_kdata=nrows * rb[owner])


_OFF_MASK = np.uint64((1 << 48) - 1)
_API_FIXPIPE = API_NAMES.index("Fixpipe")


def _esize(dt: np.ndarray) -> np.ndarray:
    """Element bytes of record dtypes (int4b_t: 0.5)."""
    dt = np.asarray(dt)
    return np.where(np.isin(dt, [int(DT.F32), int(DT.I32), int(DT.U32)]), 4.0,
                    np.where(np.isin(dt, [int(DT.I8), int(DT.U8)]), 1.0,
                             np.where(dt == int(DT.I4), 0.5,
                                      np.where(np.isin(dt, [int(DT.I64), int(DT.U64)]), 8.0, 2.0))))
