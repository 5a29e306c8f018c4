"""From a scheduled record to a hawk.v1.Profile: per-block and per-core-type pipe use, the bottleneck, bytes
per path, buffer peaks, per-line hotspots and the hardware floor (npu_agent.floor)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hawk.v1 import result_pb2, task_pb2
from npu_agent.floor import floor as task_floor
from npu_agent.hardware import HardwareProfile, load_profile
from npu_agent.simnpu.record import API_NAMES, Mem, Op, Record, read_record
from npu_agent.simnpu.timing.costs import K_WORK, K_XFER, CostModel, Steps
from npu_agent.simnpu.timing.scheduler import Schedule, make_programs, schedule

MODEL_NAME = "simnpu-cycle-v2"  # v2: cube copies by burst, L2, unitFlag, same-address sharing (issue 14)
PIPE_NAMES = {1: "scalar", 2: "mte1", 3: "mte2", 4: "mte3", 5: "vec", 6: "cube", 7: "fixpipe"}
# Pipes msprof reports per core type (PipeUtilization.csv columns), in its column order.
CORE_PIPES = {1: (5, 1, 3, 4), 2: (6, 1, 7, 2, 3, 4)}
# Coupled SoCs (310P): one AI Core runs vector and cube code with every pipe; the twin records it as core type 1.
COUPLED_PIPES = {1: (5, 6, 1, 2, 3, 4, 7), 2: (6, 1, 7, 2, 3, 4)}
CORE_NAMES = {1: "aiv", 2: "aic"}
_MEMS = {int(m): m.name for m in Mem}
TOP_HOTSPOTS = 12


def classify_bottleneck(stats: dict[int, dict[str, Any]], *, launch_cycles: float, core_cycles: float,
                        clock_mhz: float, pipe_bound_ratio: float) -> result_pb2.Bottleneck:
    """The bottleneck from per-core-type stats (Simulation.core_type_stats' shape): shared with the msprof parser
    of the cann backend, so a device profile and a twin profile are classified by the same rule and text."""
    if not stats:
        return result_pb2.Bottleneck(kind=result_pb2.Bottleneck.LATENCY_BOUND, explanation="nothing ran")
    c = max(stats, key=lambda k: stats[k]["total"])
    ratios = stats[c]["ratio"]
    p = max(ratios, key=lambda k: (ratios[k], -k))
    r = ratios[p]
    name = f"{CORE_NAMES[c]}_{PIPE_NAMES[p]}"
    launch_us = launch_cycles / clock_mhz
    core_us = core_cycles / clock_mhz
    order = ", ".join(f"{PIPE_NAMES[k]} {ratios[k]:.0%}" for k in sorted(ratios, key=lambda k: -ratios[k]))
    b = result_pb2.Bottleneck(pipe=p, ratio=r)
    if launch_cycles >= core_cycles:
        b.kind = result_pb2.Bottleneck.LAUNCH_BOUND
        b.explanation = (f"launch overhead {launch_us:.2f} us is at least the cores' run time {core_us:.2f} us: "
                         f"too little work per launch ({order})")
    elif r >= pipe_bound_ratio:
        b.kind = result_pb2.Bottleneck.PIPE_BOUND
        b.explanation = (f"{name} busy {r:.0%} of the {CORE_NAMES[c].upper()} time: the kernel is "
                         f"{PIPE_NAMES[p]}-bound ({order})")
    else:
        b.kind = result_pb2.Bottleneck.LATENCY_BOUND
        b.explanation = (f"no pipe is near full (busiest {name} {r:.0%}): pipes wait on each other instead "
                         f"of overlapping - double-buffer, fuse or enlarge tiles ({order})")
    return b


@dataclass
class Simulation:
    """A record, its costs and its schedule, with everything the profile and the exports need."""

    record: Record
    hardware: HardwareProfile
    costs: CostModel
    steps: Steps
    sched: Schedule
    launch_cycles: float
    busy: np.ndarray          # [program, pipe 0..7] busy cycles
    prog_of: np.ndarray       # program index of each entry

    @property
    def total_cycles(self) -> float:
        return self.launch_cycles + self.sched.cycles

    @property
    def time_us(self) -> float:
        return self.total_cycles / self.costs.clock_mhz

    @property
    def core_pipes(self) -> dict[int, tuple[int, ...]]:
        """The pipes reported per core type (all of them on a coupled core, or cube work would go unseen)."""
        return COUPLED_PIPES if str(self.hardware.get("soc", "architecture", "separated")) == "coupled" \
            else CORE_PIPES

    def program_cycles(self) -> np.ndarray:
        return np.array([p.end - p.start for p in self.sched.programs])

    def core_type_stats(self) -> dict[int, dict[str, Any]]:
        """Per core type: blocks, longest block, mean busy cycles and mean ratio per msprof pipe."""
        out: dict[int, dict[str, Any]] = {}
        tot = self.program_cycles()
        for c, pipes in self.core_pipes.items():
            idx = [i for i, p in enumerate(self.sched.programs) if p.core == c]
            if not idx:
                continue
            t = np.maximum(tot[idx], 1e-9)
            out[c] = {"blocks": len(idx), "total": float(tot[idx].max()), "mean_total": float(tot[idx].mean()),
                      "busy": {p: float(self.busy[idx, p].mean()) for p in pipes},
                      "ratio": {p: float(np.mean(np.minimum(self.busy[idx, p] / t, 1.0))) for p in pipes}}
        return out

    def bottleneck(self) -> result_pb2.Bottleneck:
        return classify_bottleneck(self.core_type_stats(), launch_cycles=self.launch_cycles,
                                   core_cycles=self.sched.cycles, clock_mhz=self.costs.clock_mhz,
                                   pipe_bound_ratio=self.costs.pipe_bound_ratio)

    def hotspots(self, top: int = TOP_HOTSPOTS) -> list[result_pb2.Hotspot]:
        """Cycles per (source line, pipe), busiest first; scalar issue counts on the scalar pipe."""
        e = self.record.entries
        pw = (self.steps.kind == K_WORK) | (self.steps.kind == K_XFER)
        cyc = np.nan_to_num(self.sched.end - self.sched.start)
        ncalls = np.where(e["op"] == Op.SCALAR, np.maximum(e["repeats"].astype(np.int64), 1), 1)
        lines = np.concatenate([e["line"][pw], e["line"]]).astype(np.int64)
        pipes = np.concatenate([self.steps.pipe[pw].astype(np.int64), np.ones(e.size, np.int64)])
        cycles = np.concatenate([cyc[pw], self.sched.s_end - self.sched.s_start])
        calls = np.concatenate([np.ones(int(pw.sum())), ncalls])
        apis = np.concatenate([e["api"][pw], e["api"]]).astype(np.int64)
        if lines.size == 0:
            return []
        uk, first, inv = np.unique(lines * 8 + pipes, return_index=True, return_inverse=True)
        sums = np.bincount(inv, weights=cycles)
        cnt = np.bincount(inv, weights=calls)
        order = sorted(range(uk.size), key=lambda i: (-sums[i], int(uk[i])))
        out = []
        for i in order[:top]:
            if sums[i] <= 0:
                break
            a = int(apis[first[i]])
            out.append(result_pb2.Hotspot(line=int(uk[i]) // 8, pipe=int(uk[i]) % 8, cycles=round(sums[i]),
                                          calls=int(cnt[i]), api=API_NAMES[a] if a < len(API_NAMES) else f"api{a}"))
        return out

    def bytes_moved(self) -> dict[str, int]:
        e = self.record.entries
        sel = (e["op"] == Op.INSTR) & (e["src_mem"] > 0) & (e["dst_mem"] > 0) & (e["pipe"] != 6)
        sel &= ~((e["pipe"] == 5) & ~((e["src_mem"] == Mem.UB) & (e["dst_mem"] == Mem.UB) & (e["api"] == 1)))
        out: dict[str, int] = {}
        for s, d, b in zip(e["src_mem"][sel].tolist(), e["dst_mem"][sel].tolist(), e["bytes"][sel].tolist(),
                           strict=True):
            k = f"{_MEMS.get(s, '?')}->{_MEMS.get(d, '?')}"
            out[k] = out.get(k, 0) + int(b)
        return out

    def buffer_peaks(self) -> dict[str, int]:
        """Largest InitBuffer total per memory on any block (what the block reserved)."""
        e = self.record.entries
        sel = e["op"] == Op.INIT_BUFFER
        per: dict[tuple[int, str], int] = {}
        for b, m, n in zip(e["block"][sel].tolist(), e["dst_mem"][sel].tolist(), e["bytes"][sel].tolist(),
                           strict=True):
            k = (b, _MEMS.get(m, "?"))
            per[k] = per.get(k, 0) + int(n)
        out: dict[str, int] = {}
        for (_, m), n in per.items():
            out[m] = max(out.get(m, 0), n)
        return out

    def profile(self, spec: task_pb2.TaskSpec | None = None, stats: dict[str, Any] | None = None
                ) -> result_pb2.Profile:
        """The hawk.v1.Profile; `stats` (the runtime's counts) wins for bytes and buffer peaks when given."""
        clock = self.costs.clock_mhz
        p = result_pb2.Profile(total_cycles=round(self.total_cycles), time_us=self.time_us, clock_mhz=clock,
                               block_dim=self.record.block_dim, model=MODEL_NAME + (" (truncated record)"
                                                                                     if self.record.truncated else ""))
        for c, s in self.core_type_stats().items():
            ct = p.core_types.add(core_type=c, blocks=s["blocks"], total_cycles=round(s["total"]))
            for pp in self.core_pipes[c]:
                ct.pipes.add(pipe=pp, busy_cycles=round(s["busy"][pp]), ratio=s["ratio"][pp])
        tot = self.program_cycles()
        for i, prog in enumerate(self.sched.programs):
            bp = p.blocks.add(block_id=prog.block, core_type=prog.core, total_cycles=round(tot[i]))
            for pp in self.core_pipes[prog.core]:
                bp.pipes.add(pipe=pp, busy_cycles=round(self.busy[i, pp]),
                             ratio=min(1.0, float(self.busy[i, pp] / tot[i])) if tot[i] > 0 else 0.0)
        p.bottleneck.CopyFrom(self.bottleneck())
        moved = (stats or {}).get("bytes_moved") or self.bytes_moved()
        for path, n in sorted(moved.items()):
            p.bytes_moved.add(path=path, bytes=int(n))
        peaks = (stats or {}).get("buffer_peaks")
        if peaks:
            for buf, (peak, cap) in sorted(peaks.items()):
                p.buffer_peaks.add(buffer=buf, peak_bytes=int(peak), capacity_bytes=int(cap))
        else:
            mem = self.hardware.sections.get("memory", {})
            for buf, peak in sorted(self.buffer_peaks().items()):
                cap = int(mem.get(f"{buf.lower()}_bytes", 0)) - int(mem.get(f"{buf.lower()}_reserved_bytes", 0))
                p.buffer_peaks.add(buffer=buf, peak_bytes=peak, capacity_bytes=max(cap, 0))
        p.hotspots.extend(self.hotspots())
        if spec is not None:
            p.floor.CopyFrom(task_floor(spec, self.hardware).to_proto(measured_us=self.time_us, clock_mhz=clock))
        return p


def simulate(record: Record, hardware: HardwareProfile | str) -> Simulation:
    """Cost and schedule a record on `hardware` (a profile or its name)."""
    hw = hardware if isinstance(hardware, HardwareProfile) else load_profile(hardware)
    costs = CostModel(hw)
    e = record.entries
    steps = costs.steps(e)
    cores = {1: hw.aiv_cores, 2: hw.aic_cores}
    if str(hw.get("soc", "architecture", "separated")) == "coupled":
        cores[1] = hw.aic_cores  # coupled: vector code runs on the AI cores
    progs = make_programs(e["block"], e["core"], cores)
    sched = schedule(steps, progs, cores, costs.queue_depth, costs.l2_bytes)
    prog_of = np.zeros(e.size, np.int64)
    for i, pr in enumerate(progs):
        prog_of[pr.entries] = i
    busy = np.zeros((len(progs), 8))
    dur = np.nan_to_num(sched.end - sched.start)
    work = (steps.kind == K_WORK) | (steps.kind == K_XFER)  # flag steps are waiting, not work
    np.add.at(busy, (prog_of[work], steps.pipe[work].astype(np.int64)), dur[work])
    np.add.at(busy, (prog_of, np.full(e.size, 1)), sched.s_end - sched.s_start)
    blocks = max(record.block_dim, len({p.block for p in progs}))
    return Simulation(record=record, hardware=hw, costs=costs, steps=steps, sched=sched,
                      launch_cycles=costs.launch_cycles(blocks) if progs else 0.0, busy=busy, prog_of=prog_of)


def simulate_file(path: str | Path, hardware: HardwareProfile | str) -> Simulation:
    return simulate(read_record(path), hardware)


def profile_record(path: str | Path, hardware: HardwareProfile | str, spec: task_pb2.TaskSpec | None = None,
                   stats: dict[str, Any] | None = None) -> result_pb2.Profile:
    """The hook for backends and the CLI: record file in, hawk.v1.Profile out."""
    return simulate_file(path, hardware).profile(spec, stats)
