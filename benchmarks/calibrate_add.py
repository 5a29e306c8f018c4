"""Calibrate the twin's cycle model against Huawei's published Add performance ladder.

Runs the seven kernels of examples/calibration/ (add_case0.cpp ... add_case6.cpp, 8192x8192 fp16 x + y on an
Atlas A2) through the twin with the instruction record on, checks each output, simulates each record with
the cycle model (npu_agent/simnpu/timing) and writes docs/calibration.md: simulated against published task
duration and AIV pipe times and ratios, the ordering of the cases, and the wall time of each step.

    .venv/bin/python benchmarks/calibrate_add.py [--hardware ascend910b2] [--dims M=8192,N=8192] [--out FILE]
                                                 [--cases 0,1,...] [--work-root DIR]

Nothing here is tuned per case: one cost file (npu_agent/hardware/costs/<soc>.toml) serves all seven.
The published numbers below are the comparison target, copied from the sample's README (reference §5).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hawk.v1 import result_pb2  # noqa: E402
from npu_agent.simnpu import Twin  # noqa: E402
from npu_agent.simnpu.timing import simulate_file  # noqa: E402
from npu_agent.taskspec import generate_inputs, load_task_file  # noqa: E402

TASK_FILE = REPO / "examples" / "calibration" / "add_ladder.toml"
KERNELS = REPO / "examples" / "calibration"

# asc-devkit add_high_performance README, Atlas A2 training series, 48 AIV, 1.85 GHz (reference §5):
# case: (Task Duration us, aiv_time, vec_time, vec_ratio, scalar_time, scalar_ratio, mte2_time, mte2_ratio,
#        mte3_time, mte3_ratio)
PUBLISHED = {
    0: (1239689.1, 1239688.63, 0.015, 0.0, 1233742.494, 0.995, 5916.341, 0.005, 2485.465, 0.002),
    1: (6909.6, 6909.14, 761.65, 0.11, 231.166, 0.033, 6208.762, 0.873, 2613.205, 0.378),
    2: (306.58, 297.14, 15.885, 0.053, 8.219, 0.028, 215.485, 0.725, 54.33, 0.183),
    3: (268.5, 261.5, 12.845, 0.049, 2.833, 0.011, 184.369, 0.705, 57.354, 0.219),
    4: (264.02, 257.56, 12.846, 0.05, 2.796, 0.011, 250.528, 0.973, 84.988, 0.33),
    5: (187.68, 185.15, 12.846, 0.069, 4.479, 0.024, 175.997, 0.951, 160.291, 0.866),
    6: (184.52, 178.49, 6.954, 0.039, 3.424, 0.019, 171.611, 0.961, 121.442, 0.68),
}
TITLES = {0: "1 core, scalar", 1: "1 core, vector", 2: "48 cores, 8 KB copies", 3: "48 cores, 32 KB copies",
          4: "+ double buffer", 5: "+ L2 bypass", 6: "+ bank-conflict-free"}
# What the cost file (npu_agent/hardware/costs/<soc>.toml, its [S]/[D]/[I] notes) took from this ladder: a case's
# simulated duration is in-sample when a parameter that sets it was read, derived or fitted from that case's own
# published numbers; the others are held out (predictions of the same cost file). The launch overhead
# (launch.base_us from cases 0-1, launch.per_block_us from the mean of cases 2-6: 0.4-6 us of each duration) and the
# scalar issue cost (scalar.issue_cycles, across the ladder) are fitted on every case and too small to decide one.
DURATION_FIT = {
    0: "scalar.local_access_cycles (case 0 scalar time)",
    2: "chip.read_latency_cycles (cases 2 vs 3)",
    3: "chip.read_cached_tb_s, write_tb_s (case 3 bandwidth, mte3 time)",
    5: "chip.read_bypass_tb_s (case 5 mte2 time)",
}
# The AIV pipe cells (case, pipe) that parameters were taken from: in-sample in the pipe table.
PIPE_FIT = {(0, "scalar"), (3, "mte2"), (3, "mte3"), (5, "mte2"), (6, "vec")} | {(n, "scalar") for n in range(7)}
PIPES = (("vec", result_pb2.VECTOR), ("scalar", result_pb2.SCALAR), ("mte2", result_pb2.MTE2),
         ("mte3", result_pb2.MTE3))


def run_case(twin: Twin, spec, inputs, n: int, work: Path) -> dict:
    src = (KERNELS / f"add_case{n}.cpp").read_text()
    built = twin.compile(src, spec.kernel_entry, timeout_s=300)
    if built.status != result_pb2.OK:
        raise SystemExit(f"case {n}: compile failed: {built.message}\n{built.log_tail}")
    rec = work / f"case{n}.rec"
    t0 = time.perf_counter()
    r = twin.run(built.binary, spec, inputs, timeout_s=1800, record_to=rec)
    run_s = time.perf_counter() - t0
    if not r.ok:
        raise SystemExit(f"case {n}: run failed: {r.message}")
    want = (inputs["x"].astype(np.float32) + inputs["y"].astype(np.float32)).astype(np.float16)
    if not np.array_equal(r.outputs["z"], want):
        raise SystemExit(f"case {n}: wrong answer")
    t0 = time.perf_counter()
    sim = simulate_file(rec, twin.hardware)
    prof = sim.profile(spec, r.stats)
    sim_s = time.perf_counter() - t0
    aiv = next(c for c in prof.core_types if c.core_type == result_pb2.AIV)
    busy = {p.pipe: p for p in aiv.pipes}
    out = {"n": n, "time_us": prof.time_us, "aiv_us": aiv.total_cycles / prof.clock_mhz, "run_s": run_s,
           "sim_s": sim_s, "entries": len(sim.record), "cycles": prof.total_cycles,
           "bottleneck": result_pb2.Pipe.Name(prof.bottleneck.pipe).lower(),
           "kind": result_pb2.Bottleneck.Kind.Name(prof.bottleneck.kind), "floor": prof.floor.achieved_fraction,
           "truncated": sim.record.truncated}
    for name, pipe in PIPES:
        out[f"{name}_us"] = busy[pipe].busy_cycles / prof.clock_mhz
        out[f"{name}_ratio"] = busy[pipe].ratio
    rec.unlink(missing_ok=True)
    return out


def report(rows: list[dict], hardware: str, dims: dict[str, int], full: bool) -> str:
    lines = ["# Cycle model calibration: the Add performance ladder", "",
             "Generated by `benchmarks/calibrate_add.py` (rerun it to refresh this page; it takes a few minutes, "
             "most of it the twin running case 0's 201 million scalar accesses). Each case is the kernel in "
             "`examples/calibration/add_caseN.cpp`, run on the twin with the instruction record on, its output "
             "checked, then simulated by the cycle model (`docs/cycle-model.md`) with the one cost file "
             f"`npu_agent/hardware/costs/{hardware}.toml`.", "",
             f"Published: Huawei's add_high_performance README (Atlas A2, 48 AIV, 1.85 GHz; reference §5). "
             f"Simulated: `{hardware}` at its own clock, dims {dims}."
             + ("" if full else " **Not the published size: the table compares shapes only.**"), "",
             "## Task duration", "",
             "*fit*: **in-sample** when a cost-file parameter was read, derived or fitted from that case's own "
             "published numbers (named), so its error says how well the fit holds, not how well the model "
             "predicts; **held-out** cases are predictions of the same cost file. (The launch overhead and the "
             "scalar issue cost are fitted across the whole ladder; they are a few µs of each duration.)", "",
             "| case | variant | published µs | simulated µs | error | fit | bottleneck (simulated) |",
             "|---|---|---:|---:|---:|---|---|"]
    for r in rows:
        pub = PUBLISHED[r["n"]][0]
        err = (r["time_us"] - pub) / pub
        fit = f"in-sample: {DURATION_FIT[r['n']]}" if r["n"] in DURATION_FIT else "held-out"
        lines.append(f"| {r['n']} | {TITLES[r['n']]} | {pub:,.2f} | {r['time_us']:,.2f} | {err:+.1%} | {fit} | "
                     f"{r['bottleneck']} ({r['kind'].lower().replace('_', '-')}) |")
    errors = {n: abs(r["time_us"] / PUBLISHED[n][0] - 1) for r in rows for n in [r["n"]]}
    held = [n for n in errors if n not in DURATION_FIT]
    fitted = [n for n in errors if n in DURATION_FIT]
    pub_order = sorted(rows, key=lambda r: -PUBLISHED[r["n"]][0])
    sim_order = sorted(rows, key=lambda r: -r["time_us"])
    same = [r["n"] for r in pub_order] == [r["n"] for r in sim_order]
    worst = max(rows, key=lambda r: abs(r["time_us"] / PUBLISHED[r["n"]][0] - 1)) if rows else None
    lines += ["", f"Ordering, slowest first: published {[r['n'] for r in pub_order]}, simulated "
                  f"{[r['n'] for r in sim_order]} ({'same' if same else 'DIFFERENT'}).",
              "" if worst is None else
              f"Largest duration error: case {worst['n']}, "
              f"{worst['time_us'] / PUBLISHED[worst['n']][0] - 1:+.1%}.",
              (f"Held-out cases {held}: largest |error| {max(errors[n] for n in held):.1%}; in-sample cases "
               f"{fitted}: largest |error| {max(errors[n] for n in fitted):.1%}." if held and fitted else ""), "",
              "## AIV pipe time (µs) and ratio, published / simulated", "",
              "Cells marked * are in-sample (a cost parameter was taken from that published pipe time: "
              + ", ".join(f"case {n} {p}" for n, p in sorted(PIPE_FIT) if p != "scalar")
              + ", and the scalar time of every case through scalar.issue_cycles); the others are predictions.", "",
              "| case | aiv_time | vec | vec ratio | scalar | scalar ratio | mte2 | mte2 ratio | mte3 | mte3 ratio |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        p = PUBLISHED[r["n"]]
        cells = [f"{p[1]:,.1f} / {r['aiv_us']:,.1f}"]
        for k, (name, _) in enumerate(PIPES):
            star = "*" if (r["n"], name) in PIPE_FIT else ""
            cells.append(f"{p[2 + 2 * k]:,.2f} / {r[name + '_us']:,.2f}{star}")
            cells.append(f"{p[3 + 2 * k]:.3f} / {r[name + '_ratio']:.3f}")
        lines.append(f"| {r['n']} | " + " | ".join(cells) + " |")
    lines += ["", "## Cost of simulating", "",
              "| case | record entries | twin run s | cycle model s | simulated cycles | cycles per wall-second |",
              "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['n']} | {r['entries']:,} | {r['run_s']:.1f} | {r['sim_s']:.2f} | {r['cycles']:,} | "
                     f"{r['cycles'] / max(r['sim_s'], 1e-9):,.0f} |")
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- calibrate_add.py: begin -->", "<!-- calibrate_add.py: end -->"


def write_section(out: Path, text: str) -> None:
    """Replace only the Add ladder's part of `out` (between BEGIN and END), so other ladders' parts of the same
    page (docs/calibration.md: the matmul ladder's marked section) survive a rerun. A page without our markers
    (written before them) has its Add part up to the first other generator's marker replaced."""
    block = f"{BEGIN}\n{text}{END}\n"
    old = out.read_text() if out.is_file() else ""
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        block = head + block + rest.split(END, 1)[1].lstrip("\n")
    elif "\n<!-- " in "\n" + old:
        rest = ("\n" + old).split("\n<!-- ", 1)[1]
        block = block + "\n<!-- " + rest
    out.write_text(block)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hardware", default="ascend910b2")
    ap.add_argument("--dims", default="", help="override the task dims, e.g. M=480,N=8192")
    ap.add_argument("--cases", default="0,1,2,3,4,5,6")
    ap.add_argument("--out", default=str(REPO / "docs" / "calibration.md"))
    ap.add_argument("--tail", default=str(REPO / "docs" / "calibration-notes.md"),
                    help="a hand-written page appended after the generated tables, if it exists")
    ap.add_argument("--work-root", default=os.environ.get("HAWK_SIM_WORK_ROOT", ""))
    args = ap.parse_args(argv)
    td = load_task_file(TASK_FILE)[0]
    if args.dims:
        td = td.with_dims(**{k: int(v) for k, v in (kv.split("=") for kv in args.dims.split(","))})
    spec = td.spec
    shape = tuple(spec.inputs[0].shape)
    full = shape == (8192, 8192)
    root = Path(args.work_root) if args.work_root else Path(tempfile.gettempdir()) / f"hawk-calib-{os.getuid()}"
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o711)
    twin = Twin(args.hardware, work_root=root)
    inputs = generate_inputs(spec, 1)
    work = Path(tempfile.mkdtemp(prefix="calib-", dir=root))
    rows = []
    for n in (int(x) for x in args.cases.split(",")):
        r = run_case(twin, spec, inputs, n, work)
        print(f"case {n}: {r['time_us']:,.2f} us (published {PUBLISHED[n][0]:,.2f}), twin {r['run_s']:.1f} s, "
              f"model {r['sim_s']:.2f} s", flush=True)
        rows.append(r)
    text = report(rows, args.hardware, {"M": shape[0], "N": shape[1]}, full)
    tail = Path(args.tail)
    if tail.is_file():
        text += "\n" + tail.read_text()
    write_section(Path(args.out), text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
