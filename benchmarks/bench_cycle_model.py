"""Speed of the cycle model on the built-in tasks' records: what profiling a real candidate costs the agent.

For every built-in task (tasks/builtin, at its full size) the kernel (baseline by default; --kernel expert or
both) is compiled and run once on the twin in a timing-only run with the instruction record on (what the agent
does to profile a candidate), then the cycle model alone is timed on that record (cost + schedule + profile;
best of --repeat), and optionally the msprof/trace export. Prints one row per task (record entries, simulated
cycles, model seconds, entries and simulated cycles per wall-second), then the totals, the median and the
slowest task: the real tasks, not the cheapest record (the Add ladder's case 4, ~50 k entries, which this
benchmark used to time alone, is one of the fastest; `--ladder-case 4` still times it for comparison).

    .venv/bin/python benchmarks/bench_cycle_model.py [--tasks NAME ...] [--kernel baseline|expert|both]
                                                    [--repeat 1] [--export] [--ladder-case N]

Timings are wall clock on a shared 2-core machine: compare rows of one run, not runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hawk.v1 import result_pb2  # noqa: E402
from npu_agent.simnpu import Twin  # noqa: E402
from npu_agent.simnpu.record import read_record  # noqa: E402
from npu_agent.simnpu.timing import simulate, write_msprof  # noqa: E402
from npu_agent.taskspec import TaskDef, load_task_file  # noqa: E402
from tasks import catalogue  # noqa: E402


def kernels(args: argparse.Namespace) -> list[tuple[str, TaskDef, str]]:
    """(label, task, source) of every kernel to time."""
    if args.ladder_case is not None:
        td = load_task_file(REPO / "examples" / "calibration" / "add_ladder.toml")[0]
        src = (REPO / "examples" / "calibration" / f"add_case{args.ladder_case}.cpp").read_text()
        return [(f"add ladder case {args.ladder_case}", td, src)]
    tasks = [catalogue.get_task(n) for n in args.tasks] if args.tasks else catalogue.all_tasks()
    out = []
    for t in tasks:
        for kind in (("baseline", "expert") if args.kernel == "both" else (args.kernel,)):
            path = t.baseline if kind == "baseline" else t.expert
            if path is not None:
                out.append((f"{t.name} ({kind})", t, path.read_text()))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", nargs="*", default=[], help="built-in task names (default: every built-in task)")
    ap.add_argument("--kernel", choices=("baseline", "expert", "both"), default="baseline")
    ap.add_argument("--repeat", type=int, default=1, help="cycle-model runs per record (best is reported)")
    ap.add_argument("--export", action="store_true", help="also time the msprof CSV + Chrome trace export")
    ap.add_argument("--ladder-case", type=int, default=None, help="time only the Add ladder's case N (old default)")
    ap.add_argument("--hardware", default="ascend910b2")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    try:
        todo = kernels(args)
    except (KeyError, catalogue.UnknownTask) as e:
        ap.error(str(e))
    root = Path(os.environ.get("HAWK_SIM_WORK_ROOT") or Path(tempfile.gettempdir()) / f"hawk-calib-{os.getuid()}")
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o711)
    twin = Twin(args.hardware, work_root=root)
    rec_dir = Path(tempfile.mkdtemp(dir=root))
    rows = []
    print(f"{'kernel':<42} {'entries':>11} {'sim cycles':>14} {'twin run s':>10} {'model s':>8} "
          f"{'entries/s':>11} {'cycles/s':>14}" + (f" {'export s':>8}" if args.export else ""), flush=True)
    for label, td, src in todo:
        spec = td.spec
        built = twin.compile(src, spec.kernel_entry, task=spec, timeout_s=600)
        if built.status != result_pb2.OK or built.binary is None:
            print(f"{label:<42} compile failed: {built.message}", flush=True)
            continue
        rec_path = rec_dir / "bench.rec"
        t0 = time.perf_counter()
        r = twin.run(built.binary, spec, {}, timing_only=True, timeout_s=1800, record_to=rec_path)
        run_s = time.perf_counter() - t0
        if not r.ok:
            print(f"{label:<42} run failed: {r.message}", flush=True)
            continue
        record = read_record(rec_path)
        best = best_export = float("inf")
        prof = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            sim = simulate(record, twin.hardware)
            prof = sim.profile(spec, r.stats)
            best = min(best, time.perf_counter() - t0)
            if args.export:
                t0 = time.perf_counter()
                write_msprof(sim, rec_dir / "msprof")
                best_export = min(best_export, time.perf_counter() - t0)
        assert prof is not None
        row = {"label": label, "entries": len(record), "cycles": prof.total_cycles, "run_s": run_s, "model_s": best,
               "export_s": best_export}
        rows.append(row)
        print(f"{label:<42} {row['entries']:11,} {row['cycles']:14,} {run_s:10.2f} {best:8.3f} "
              f"{row['entries'] / best:11,.0f} {row['cycles'] / best:14,.0f}"
              + (f" {best_export:8.3f}" if args.export else ""), flush=True)
        rec_path.unlink(missing_ok=True)
    if not rows:
        return 1
    entries = sum(r["entries"] for r in rows)
    model = sum(r["model_s"] for r in rows)
    slowest = max(rows, key=lambda r: r["model_s"])
    print(f"\n{len(rows)} kernels: {entries:,} record entries, cycle model {model:.2f} s in all "
          f"({entries / model:,.0f} entries per wall-second over all records); per kernel median "
          f"{statistics.median(r['model_s'] for r in rows):.3f} s, mean {model / len(rows):.3f} s, slowest "
          f"{slowest['label']} {slowest['model_s']:.2f} s ({slowest['entries']:,} entries); the twin's timing-only "
          f"runs took {sum(r['run_s'] for r in rows):.1f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
