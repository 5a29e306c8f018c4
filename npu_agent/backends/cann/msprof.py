"""`msprof op` on a CANN host: the command line that profiles one kernel launch, and its CSV output parsed into
the same hawk.v1.Profile fields the twin fills (npu_agent/simnpu/timing/profile.py), so the knowledge and the
reports cannot tell a device profile from a twin profile.

Sources (public CANN / MindStudio docs; layouts written from their field tables, nothing copied):
- options of `msprof op` (--output, --aic-metrics, --kernel-name, --launch-count, --warm-up, app last):
  msOpProf user guide, "Command Reference" (Ascend/msopprof docs/en/user_guide/msopprof_user_guide.md;
  hiascend.com .../devaids/optool/atlasopdev_16_0082.html);
- the OPPROF_{timestamp}_XXX directory (single launch: the CSVs at its top; several launches: OpName/<n>/ with
  `<Metric>_<timestamp>.csv`; several devices: device<id>/ above that): the same guide, "Starting the tool";
- columns of OpBasicInfo.csv, PipeUtilization.csv and Memory.csv: msopprof_performance_data.md
  (hiascend.com .../atlasopdev_16_0098.html, _0099.html). Times are microseconds, `*_ratio` is busy cycles over
  that core's total cycles, `Current Freq` is MHz; on Atlas A2/A3 (separated) `aic_*` columns are the cube
  core and `aiv_*` the vector core, rows are per block and sub-block (sub_block_id "cube0", "vector0",
  "vector1"); on Atlas inference products (310P, coupled) one AI Core has `aic_*` columns with every pipe,
  including `aic_vec_*`.

What a device profile cannot hold: hotspots (per source line) and buffer peaks come from the twin's record and
have no msprof op CSV; bytes_moved needs Memory.csv (`--aic-metrics=PipeUtilization,Memory`).
"""

from __future__ import annotations

import csv
import math
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hawk.v1 import result_pb2, task_pb2
from npu_agent.floor import floor as task_floor
from npu_agent.hardware import HardwareProfile
from npu_agent.simnpu.timing.costs import load_costs
from npu_agent.simnpu.timing.profile import (
    CORE_PIPES,
    COUPLED_PIPES,
    PIPE_NAMES,
    classify_bottleneck,
)

MODEL_NAME = "msprof"
# `--aic-metrics` values of `msprof op` on the board (msOpProf user guide, Table 1).
AIC_METRICS = frozenset({"ArithmeticUtilization", "L2Cache", "Memory", "MemoryL0", "MemoryUB", "PipeUtilization",
                         "ResourceConflictRatio", "Default", "BasicInfo", "Roofline", "Occupancy", "MemoryDetail",
                         "TimelineDetail", "KernelScale", "Source"})
LAUNCH_COUNT_RANGE = (1, 5000)   # --launch-count, documented range
WARM_UP_RANGE = (0, 500)         # --warm-up, documented range (default 5)
_KERNEL_NAME = re.compile(r"^[A-Za-z0-9_*|]{1,1024}$")  # letters, digits, '_', prefix '*' and '|' alternatives
_NA = {"", "N/A", "NA", "n/a", "-", "--", "nan", "NaN"}
_PIPE_KEYS = {name: p for p, name in PIPE_NAMES.items()}
_DATAS = re.compile(r"^([A-Za-z0-9]+)_to_([A-Za-z0-9]+)_datas\(KB\)$")


class MsprofParseError(ValueError):
    """msprof op output that is missing or malformed; the message names the file and the column."""


# ---------------------------------------------------------------------------------------------------- command
def _msprof_binary(install_home: Path) -> Path:
    """msprof as the CANN install lays it out (bin/ on the toolkit's PATH, or tools/profiler/bin)."""
    candidates = [install_home / "bin" / "msprof", install_home / "tools" / "profiler" / "bin" / "msprof"]
    return next((c for c in candidates if c.exists()), candidates[0])


def op_command(install_home: Path, executable: list[str], output_dir: Path, *, soc_version: str,
               kernel_name: str | None = None, aic_metrics: str = "PipeUtilization", warm_up: int = 5,
               launch_count: int = 1) -> list[str]:
    """The `msprof op` command line that profiles `executable` (the launcher and its arguments, last).

    On the board msprof op reads the SoC from the device, so `soc_version` is only checked (the simulator mode,
    which takes --soc-version, is not used here). Bad values raise ValueError naming the option."""
    if not executable or not all(isinstance(a, str) and a for a in executable):
        raise ValueError("msprof op needs the application to profile: executable is empty")
    if not soc_version or not re.fullmatch(r"Ascend[0-9A-Za-z]+", soc_version):
        raise ValueError(f"soc_version {soc_version!r} is not a CANN SoC name such as Ascend910B2")
    metrics = [m.strip() for m in aic_metrics.split(",") if m.strip()]
    bad = [m for m in metrics if m not in AIC_METRICS]
    if not metrics or bad:
        raise ValueError(f"--aic-metrics {aic_metrics!r}: unknown metric(s) {', '.join(bad) or '(none given)'}; "
                         f"expected some of {', '.join(sorted(AIC_METRICS))}")
    if kernel_name is not None and not _KERNEL_NAME.match(kernel_name):
        raise ValueError(f"--kernel-name {kernel_name!r}: only letters, digits, '_', '*' and '|' (at most 1024)")
    for flag, value, (lo, hi) in (("--launch-count", launch_count, LAUNCH_COUNT_RANGE),
                                  ("--warm-up", warm_up, WARM_UP_RANGE)):
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValueError(f"{flag} {value!r}: expected an integer in [{lo}, {hi}]")
    cmd = [str(_msprof_binary(Path(install_home))), "op", f"--output={Path(output_dir)}",
           f"--aic-metrics={','.join(metrics)}"]
    if kernel_name:
        cmd.append(f"--kernel-name={kernel_name}")
    cmd += [f"--launch-count={launch_count}", f"--warm-up={warm_up}"]
    return cmd + list(executable)


def find_output(output_dir: Path) -> Path:
    """The OPPROF_* directory msprof op made in `output_dir` (the newest when there are several)."""
    output_dir = Path(output_dir)
    if output_dir.name.startswith("OPPROF_") and output_dir.is_dir():
        return output_dir
    found = [p for p in output_dir.glob("OPPROF_*") if p.is_dir()] if output_dir.is_dir() else []
    if not found:
        raise MsprofParseError(f"{output_dir}: no OPPROF_* directory (msprof op wrote no profile)")
    return max(found, key=lambda p: (p.stat().st_mtime, p.name))


# ---------------------------------------------------------------------------------------------------- tables
@dataclass
class _Table:
    path: Path
    header: list[str]
    rows: list[dict[str, str]]

    def has(self, column: str) -> bool:
        return column in self.header

    def number(self, row: int, column: str, *, required: bool = True) -> float | None:
        """The numeric cell, None for N/A (or an absent optional column); bad text raises naming the cell."""
        if column not in self.header:
            if required:
                raise MsprofParseError(f"{self.path.name}: no column {column!r} (has {', '.join(self.header)})")
            return None
        text = (self.rows[row].get(column) or "").strip()
        if text in _NA:
            if required:
                raise MsprofParseError(f"{self.path.name}: column {column!r} row {row + 1} is {text or 'empty'}")
            return None
        try:
            value = float(text.rstrip("%"))
        except ValueError:
            raise MsprofParseError(f"{self.path.name}: column {column!r} row {row + 1}: {text!r} is not a number"
                                   ) from None
        if not math.isfinite(value) or value < 0:
            raise MsprofParseError(f"{self.path.name}: column {column!r} row {row + 1}: {text!r} is not a "
                                   f"non-negative number")
        return value


def _read_table(path: Path) -> _Table:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            lines = list(csv.reader(f))
    except UnicodeDecodeError:
        raise MsprofParseError(f"{path.name}: not UTF-8 text") from None
    except csv.Error as e:
        raise MsprofParseError(f"{path.name}: not a CSV file ({e})") from None
    lines = [ln for ln in lines if any(c.strip() for c in ln)]
    if not lines:
        raise MsprofParseError(f"{path.name}: empty file (no header)")
    header = [h.strip() for h in lines[0]]
    rows = []
    for i, ln in enumerate(lines[1:], start=1):
        if len(ln) != len(header):
            raise MsprofParseError(f"{path.name}: row {i} has {len(ln)} cells, the header {len(header)}")
        rows.append(dict(zip(header, ln, strict=True)))
    return _Table(path, header, rows)


def _metric_file(directory: Path, metric: str) -> Path | None:
    """`<metric>.csv` (one launch) or `<metric>_<timestamp>.csv` (several), newest first; never MemoryL0 for
    Memory."""
    pat = re.compile(rf"^{re.escape(metric)}(_\d+)?\.csv$")
    hits = sorted((p for p in directory.iterdir() if p.is_file() and pat.match(p.name)), key=lambda p: p.name)
    return hits[-1] if hits else None


def launch_dirs(run_dir: Path) -> list[Path]:
    """Every directory under `run_dir` (itself included) holding one launch's OpBasicInfo CSV."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise MsprofParseError(f"{run_dir}: not a directory")
    dirs = [d for d in [run_dir, *sorted(p for p in run_dir.rglob("*") if p.is_dir())]
            if _metric_file(d, "OpBasicInfo") is not None]
    if not dirs:
        raise MsprofParseError(f"{run_dir}: no OpBasicInfo.csv (was this an msprof op output directory?)")
    return dirs


# ---------------------------------------------------------------------------------------------------- parse
@dataclass
class _Block:
    block_id: int
    core: int                      # hawk.v1.CoreType as the twin records it (coupled: 1)
    total: float                   # cycles
    busy: dict[int, float]         # pipe -> cycles
    ratio: dict[int, float]        # pipe -> ratio in [0, 1]


@dataclass
class _Basic:
    name: str
    duration_us: float
    block_dim: int
    clock_mhz: float | None


def _basic(path: Path) -> _Basic:
    t = _read_table(path)
    if not t.rows:
        raise MsprofParseError(f"{path.name}: no data row")
    dur = t.number(0, "Task Duration(us)")
    if not dur:
        raise MsprofParseError(f"{path.name}: column 'Task Duration(us)' is 0: the kernel did not run")
    dim = t.number(0, "Block Dim")
    if dim is None or dim != int(dim) or dim < 1:
        raise MsprofParseError(f"{path.name}: column 'Block Dim' is {dim!r}, not a positive integer")
    clock = None
    for col in ("Current Freq", "Rated Freq"):  # MHz; N/A on some drivers
        v = t.number(0, col, required=False)
        if v:
            clock = v
            break
    return _Basic(name=(t.rows[0].get("Op Name") or "").strip(), duration_us=dur, block_dim=int(dim),
                  clock_mhz=clock)


def _row_cores(t: _Table, i: int, coupled: bool) -> list[tuple[str, int]]:
    """The (column prefix, core type) pairs a PipeUtilization row holds."""
    sub = (t.rows[i].get("sub_block_id") or "").strip().lower()
    if coupled:
        prefixes = [p for p in ("aic", "aiv") if t.number(i, f"{p}_time(us)", required=False) is not None
                    or t.number(i, f"{p}_total_cycles", required=False) is not None]
        return [(prefixes[0], 1)] if prefixes else []
    if sub.startswith("cube"):
        return [("aic", 2)]
    if sub.startswith("vector"):
        return [("aiv", 1)]
    return [(p, c) for p, c in (("aiv", 1), ("aic", 2))
            if t.number(i, f"{p}_time(us)", required=False) is not None
            or t.number(i, f"{p}_total_cycles", required=False) is not None]


def _blocks(t: _Table, clock: float, coupled: bool, one_core: bool) -> list[_Block]:
    pipes_of = COUPLED_PIPES if coupled else CORE_PIPES
    subs = [(r.get("sub_block_id") or "").strip().lower() for r in t.rows]
    vec_index = [int(m.group(1)) if (m := re.fullmatch(r"vector(\d+)", s)) else 0 for s in subs]
    # A mixed kernel's AIV rows are (block, vectorN); the twin's BlockProfile.block_id is GetBlockIdx(), the
    # logical AIV index block * AIVs-per-AIC + N.
    mixed = any(s.startswith("cube") for s in subs) and any(s.startswith("vector") for s in subs)
    per_block = max(vec_index, default=0) + 1
    out: list[_Block] = []
    for i in range(len(t.rows)):
        bid = t.number(i, "block_id", required=False)
        block_id = int(bid) if bid is not None else i
        cores = _row_cores(t, i, one_core)
        if not cores:
            raise MsprofParseError(f"{t.path.name}: row {i + 1} has no aic_time(us)/aiv_time(us) or "
                                   f"*_total_cycles value")
        for prefix, core in cores:
            total = t.number(i, f"{prefix}_total_cycles", required=False)
            if total is None:
                us = t.number(i, f"{prefix}_time(us)", required=False)
                if us is None:
                    raise MsprofParseError(f"{t.path.name}: row {i + 1}: no {prefix}_total_cycles or "
                                           f"{prefix}_time(us)")
                total = us * clock
            busy: dict[int, float] = {}
            ratio: dict[int, float] = {}
            for p in pipes_of[core]:
                name = PIPE_NAMES[p]
                us = t.number(i, f"{prefix}_{name}_time(us)", required=False)
                r = t.number(i, f"{prefix}_{name}_ratio", required=False)
                if us is None and r is None:
                    continue  # not in this metric set / on this SoC (e.g. no fixpipe on 310P)
                b = us * clock if us is not None else (r or 0.0) * total
                busy[p] = b
                ratio[p] = min(1.0, r if r is not None else (b / total if total > 0 else 0.0))
            logical = block_id * per_block + vec_index[i] if mixed and core == 1 else block_id
            out.append(_Block(block_id=logical, core=core, total=total, busy=busy, ratio=ratio))
    if not out:
        raise MsprofParseError(f"{t.path.name}: no block rows")
    out.sort(key=lambda b: (b.block_id, b.core))
    return out


def _core_stats(blocks: list[_Block], coupled: bool) -> dict[int, dict[str, Any]]:
    """Per core type, as Simulation.core_type_stats: blocks, longest block, mean busy and mean ratio per pipe."""
    pipes_of = COUPLED_PIPES if coupled else CORE_PIPES
    out: dict[int, dict[str, Any]] = {}
    for c in sorted({b.core for b in blocks}):
        bs = [b for b in blocks if b.core == c]
        pipes = [p for p in pipes_of[c] if any(p in b.busy for b in bs)]
        out[c] = {"blocks": len(bs), "total": max(b.total for b in bs),
                  "busy": {p: statistics.fmean(b.busy.get(p, 0.0) for b in bs) for p in pipes},
                  "ratio": {p: statistics.fmean(b.ratio.get(p, 0.0) for b in bs) for p in pipes}}
    return out


def _bytes_moved(t: _Table) -> dict[str, int]:
    """Bytes per path from Memory.csv's `<SRC>_to_<DST>_datas(KB)` columns, summed over blocks (estimates left
    out: the twin never guesses a path)."""
    out: dict[str, int] = {}
    for col in t.header:
        m = _DATAS.match(col)
        if not m:
            continue
        total = sum(t.number(i, col, required=False) or 0.0 for i in range(len(t.rows)))
        if total > 0:
            out[f"{m.group(1).upper()}->{m.group(2).upper()}"] = round(total * 1024)
    return out


def _choose_launch(run_dir: Path) -> tuple[Path, _Basic]:
    """One launch of several (--launch-count > 1): the one with the median task duration, so a profile is
    always one real launch, as the twin's is."""
    dirs = launch_dirs(run_dir)
    basics = [(d, _basic(_metric_file(d, "OpBasicInfo"))) for d in dirs]  # type: ignore[arg-type]
    basics.sort(key=lambda db: (db[1].duration_us, str(db[0])))
    return basics[(len(basics) - 1) // 2]


def parse_profile(run_dir: Path, task: task_pb2.TaskSpec | None, hardware: HardwareProfile) -> result_pb2.Profile:
    """The hawk.v1.Profile of an msprof op output directory (the OPPROF_* dir or any directory above one launch).

    Fills what the twin fills where msprof measures it: time, clock, cycles, block dim, per-block and
    per-core-type pipe busy cycles and ratios (PipeUtilization), the bottleneck by the twin's own rule
    (profile.classify_bottleneck), bytes per path (Memory, when collected) and the hardware floor."""
    directory, basic = _choose_launch(Path(run_dir))
    coupled = str(hardware.get("soc", "architecture", "separated")) == "coupled"
    pipe_path = _metric_file(directory, "PipeUtilization")
    pipe_table = _read_table(pipe_path) if pipe_path is not None else None
    # A coupled SoC's msprof has one AI Core (aic_ columns only); aiv_ columns there are the twin's two-core
    # record of a cube kernel, read like a separated SoC's.
    one_core = coupled and pipe_table is not None and not any(h.startswith("aiv_") for h in pipe_table.header)
    clock = basic.clock_mhz or _clock_from_rows(pipe_table) or hardware.clock_mhz
    prof = result_pb2.Profile(time_us=basic.duration_us, clock_mhz=clock, block_dim=basic.block_dim,
                              total_cycles=round(basic.duration_us * clock), model=MODEL_NAME)
    blocks = _blocks(pipe_table, clock, coupled, one_core) if pipe_table is not None else []
    stats = _core_stats(blocks, coupled)
    for c, s in stats.items():
        ct = prof.core_types.add(core_type=c, blocks=s["blocks"], total_cycles=round(s["total"]))
        for p in s["busy"]:
            ct.pipes.add(pipe=p, busy_cycles=round(s["busy"][p]), ratio=s["ratio"][p])
    for b in blocks:
        bp = prof.blocks.add(block_id=b.block_id, core_type=b.core, total_cycles=round(b.total))
        for p in b.busy:
            bp.pipes.add(pipe=p, busy_cycles=round(b.busy[p]), ratio=b.ratio[p])
    total_cycles = basic.duration_us * clock
    core_cycles = max((s["total"] for s in stats.values()), default=0.0)
    if stats:
        prof.bottleneck.CopyFrom(classify_bottleneck(
            stats, launch_cycles=max(0.0, total_cycles - core_cycles), core_cycles=core_cycles, clock_mhz=clock,
            pipe_bound_ratio=float(load_costs(hardware.name)["bottleneck"]["pipe_bound_ratio"])))
    else:
        prof.bottleneck.CopyFrom(result_pb2.Bottleneck(
            kind=result_pb2.Bottleneck.LATENCY_BOUND,
            explanation="no per-pipe data: msprof op ran without --aic-metrics=PipeUtilization"))
    mem_path = _metric_file(directory, "Memory")
    if mem_path is not None:
        for path, n in sorted(_bytes_moved(_read_table(mem_path)).items()):
            prof.bytes_moved.add(path=path, bytes=n)
    if task is not None:
        prof.floor.CopyFrom(task_floor(task, hardware).to_proto(measured_us=prof.time_us, clock_mhz=clock))
    return prof


def _clock_from_rows(t: _Table | None) -> float | None:
    """MHz from a row's total cycles over its time (when OpBasicInfo gives no frequency)."""
    if t is None:
        return None
    for i in range(len(t.rows)):
        for p in ("aiv", "aic"):
            cyc = t.number(i, f"{p}_total_cycles", required=False)
            us = t.number(i, f"{p}_time(us)", required=False)
            if cyc and us:
                return cyc / us
    return None


__all__ = ["AIC_METRICS", "MODEL_NAME", "MsprofParseError", "find_output", "launch_dirs",
           "op_command", "parse_profile"]
