"""Where one twin run's time goes, for a built-in task at its full size (or other dims): input generation,
writing the tensor files, the sandboxed kernel process (and the kernel launch inside it), reading outputs back,
the output coverage check, the record check and the cycle model; for a functional run with a record and for a
timing-only run. Timings are wall clock on a shared machine: compare ratios measured in one run.

    .venv/bin/python benchmarks/bench_twin_run.py add_fp16_8192x8192 M=1024 N=8192
    .venv/bin/python benchmarks/bench_twin_run.py matmul_fp16_1024 --runs functional
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hawk.v1 import result_pb2  # noqa: E402
from npu_agent import taskspec  # noqa: E402
from npu_agent.simnpu import Twin  # noqa: E402
from npu_agent.simnpu.timing import simulate  # noqa: E402
from tasks import catalogue  # noqa: E402


def _cum(stats: pstats.Stats, file_part: str, func: str) -> float:
    total = 0.0
    for (file, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if (name == func or name.endswith(f".{func}>")) and file_part in file:
            total += ct
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("task")
    ap.add_argument("dims", nargs="*", help="NAME=VALUE task dims")
    ap.add_argument("--kernel", help="kernel source (default: the task's expert, else baseline)")
    ap.add_argument("--runs", default="functional,timing", help="functional,timing")
    ap.add_argument("--timeout", type=float, default=1800.0)
    args = ap.parse_args()
    t = catalogue.get_task(args.task)
    if args.dims:
        t = t.with_dims(**{k: int(v) for k, v in (d.split("=", 1) for d in args.dims)})
    src = Path(args.kernel).read_text() if args.kernel else (t.expert or t.baseline).read_text()
    # The twin build is reused from HAWK_SIM_WORK_ROOT when set (a fresh build takes a minute); records go to a
    # temporary directory removed at the end.
    work = os.environ.get("HAWK_SIM_WORK_ROOT")
    root = Path(tempfile.mkdtemp(prefix="hawk-bench-twin-"))
    root.chmod(0o711)
    try:
        twin = Twin("ascend910b2", work_root=Path(work) if work else root / "twin")
        t0 = time.monotonic()
        c = twin.compile(src, t.spec.kernel_entry, task=t.spec)
        print(f"{t.spec.name}: compile {time.monotonic() - t0:.2f} s ({'ok' if c.status == result_pb2.OK else c.message})")
        if c.status != result_pb2.OK:
            raise SystemExit(1)
        t0 = time.monotonic()
        inputs = taskspec.generate_inputs(t.spec, 1)
        print(f"  generate inputs {time.monotonic() - t0:.3f} s "
              f"({sum(a.size for a in inputs.values()) / 1e6:.1f} M elements)")
        for kind in args.runs.split(","):
            timing = kind == "timing"
            pr = cProfile.Profile()
            t0 = time.monotonic()
            pr.enable()
            extra = {"timing_only": True} if timing else {}
            r = twin.run(c.binary, t.spec, {} if timing else inputs, timeout_s=args.timeout,
                         record_to=root / f"{kind}.bin", **extra)
            pr.disable()
            total = time.monotonic() - t0
            if not r.ok:
                print(f"  {kind}: {r.message}")
                continue
            t1 = time.monotonic()
            sim = simulate(r.record, twin.hardware)
            sim_s = time.monotonic() - t1
            st = pstats.Stats(pr)
            parts = {"write tensor files": _cum(st, "runner.py", "_write_tensor"),
                     "sandboxed kernel process": _cum(st, "sandbox", "run"),
                     "read outputs": _cum(st, "", "fromfile"),
                     "coverage check": _cum(st, "coverage.py", "uncovered"),
                     "record check": _cum(st, "runner.py", "check_record")}
            kernel_s = float(r.stats.get("kernel_us", 0)) / 1e6
            print(f"  {kind}: run {total:.3f} s = " + ", ".join(f"{k} {v:.3f}" for k, v in parts.items())
                  + f"; kernel launch inside the process {kernel_s:.3f} s; cycle model {sim_s:.3f} s; "
                  f"simulated {sim.total_cycles / twin.hardware.clock_mhz:.1f} us; records {len(r.record)}; "
                  f"data_dependent {getattr(r, 'data_dependent', '') or '-'}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
