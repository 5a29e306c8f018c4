"""msprof-compatible files from a simulation: OpBasicInfo.csv, PipeUtilization.csv (column names of
`msprof op`, reference §5) and a Chrome trace (trace.json: one process per block, one thread per pipe) that
chrome://tracing and Perfetto open."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from npu_agent.simnpu.record import API_NAMES
from npu_agent.simnpu.timing.costs import K_SCALAR
from npu_agent.simnpu.timing.profile import CORE_NAMES, CORE_PIPES, PIPE_NAMES, Simulation

MAX_TRACE_EVENTS = 1_000_000  # beyond this the trace keeps the first events and says so in its metadata


def write_msprof(sim: Simulation, out_dir: str | Path, *, op_name: str = "kernel", op_type: str = "kernel"
                 ) -> list[Path]:
    """Write OpBasicInfo.csv, PipeUtilization.csv and trace.json into `out_dir`; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clock = sim.costs.clock_mhz
    basic = out / "OpBasicInfo.csv"
    cores = sorted({p.core for p in sim.sched.programs})
    mix = 1 in cores and 2 in cores
    with basic.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Op Name", "Op Type", "Task Duration(us)", "Block Dim", "Mix Block Dim", "Device Id", "Pid",
                    "Current Freq", "Rated Freq"])
        w.writerow([op_name, op_type, f"{sim.time_us:.3f}", sim.record.block_dim,
                    sim.record.block_dim if mix else 0, 0, 0, int(clock), int(clock)])
    pipe_csv = out / "PipeUtilization.csv"
    tot = sim.program_cycles()
    with pipe_csv.open("w", newline="") as f:
        w = csv.writer(f)
        head = ["block_id", "sub_block_id"]
        pipes_of = sim.core_pipes  # a coupled core (310P) has every pipe, under msprof's aic_ prefix
        one_core = pipes_of is not CORE_PIPES and len(cores) == 1
        for c in cores:
            n = "aic" if one_core else CORE_NAMES[c]
            head += [f"{n}_time(us)", f"{n}_total_cycles"]
            for p in pipes_of[c]:
                head += [f"{n}_{PIPE_NAMES[p]}_time(us)", f"{n}_{PIPE_NAMES[p]}_ratio"]
            head.append(f"{n}_icache_miss_rate")
        w.writerow(head)
        for i, prog in enumerate(sim.sched.programs):
            row: list[object] = [prog.block, 0]
            for c in cores:
                if c != prog.core:
                    row += ["N/A"] * (3 + 2 * len(pipes_of[c]))
                    continue
                row += [f"{tot[i] / clock:.3f}", round(tot[i])]
                for p in pipes_of[c]:
                    b = sim.busy[i, p]
                    row += [f"{b / clock:.3f}", f"{(b / tot[i]) if tot[i] else 0.0:.3f}"]
                row.append("N/A")  # the twin models no instruction cache
            w.writerow(row)
    trace = write_trace(sim, out / "trace.json")
    return [basic, pipe_csv, trace]


def write_trace(sim: Simulation, path: str | Path) -> Path:
    """Chrome trace-event JSON: pid = block program, tid = pipe; times in microseconds from kernel start
    (after the launch overhead, which is its own slice on the first track)."""
    clock = sim.costs.clock_mhz
    e = sim.record.entries
    launch_us = sim.launch_cycles / clock
    events: list[dict] = []
    for i, prog in enumerate(sim.sched.programs):
        core = CORE_NAMES[prog.core].upper()
        events.append({"ph": "M", "name": "process_name", "pid": i,
                       "args": {"name": f"block {prog.block} {core} (core {prog.phys})"}})
        events.append({"ph": "M", "name": "process_sort_index", "pid": i, "args": {"sort_index": i}})
        for p in (1, *CORE_PIPES[prog.core][1:], CORE_PIPES[prog.core][0]):
            events.append({"ph": "M", "name": "thread_name", "pid": i, "tid": p,
                           "args": {"name": PIPE_NAMES[p].upper()}})
    if sim.sched.programs:
        events.append({"ph": "X", "name": "launch", "pid": 0, "tid": 0, "ts": 0.0, "dur": launch_us})
    work = sim.steps.kind != K_SCALAR
    lines = e["line"].tolist()
    apis = e["api"].tolist()
    nbytes = e["bytes"].tolist()
    prog_of = sim.prog_of.tolist()
    starts, ends = sim.sched.start.tolist(), sim.sched.end.tolist()
    s0, s1 = sim.sched.s_start.tolist(), sim.sched.s_end.tolist()
    pipes = sim.steps.pipe.tolist()
    work_l = work.tolist()
    truncated = False
    for j in range(e.size):
        if len(events) >= MAX_TRACE_EVENTS:
            truncated = True
            break
        name = API_NAMES[apis[j]] if apis[j] < len(API_NAMES) else f"api{apis[j]}"
        args = {"line": lines[j], "bytes": nbytes[j]}
        if s1[j] > s0[j]:
            events.append({"ph": "X", "name": name, "pid": prog_of[j], "tid": 1, "ts": launch_us + s0[j] / clock,
                           "dur": (s1[j] - s0[j]) / clock, "args": args})
        if work_l[j] and not np.isnan(starts[j]) and ends[j] > starts[j]:
            events.append({"ph": "X", "name": name, "pid": prog_of[j], "tid": pipes[j],
                           "ts": launch_us + starts[j] / clock, "dur": (ends[j] - starts[j]) / clock, "args": args})
    doc = {"traceEvents": events, "displayTimeUnit": "ns",
           "otherData": {"model": "simnpu-cycle-v2", "hardware": sim.hardware.name, "clock_mhz": clock,
                         "total_us": sim.time_us, "truncated": truncated}}
    path = Path(path)
    path.write_text(json.dumps(doc, separators=(",", ":")))
    return path
