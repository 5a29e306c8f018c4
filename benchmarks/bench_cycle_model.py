"""Speed of the cycle model: simulated cycles per wall-second, and the wall time to profile the 8192x8192 Add.

Runs the ladder's double-buffered Add (examples/calibration/add_case4.cpp) on the twin once with the
instruction record on, then times the cycle model alone on that record (cost + schedule + profile, and the
msprof/trace export separately), best of --repeat runs.

    .venv/bin/python benchmarks/bench_cycle_model.py [--case 4] [--dims M=8192,N=8192] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from npu_agent.simnpu import Twin  # noqa: E402
from npu_agent.simnpu.record import read_record  # noqa: E402
from npu_agent.simnpu.timing import simulate, write_msprof  # noqa: E402
from npu_agent.taskspec import generate_inputs, load_task_file  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", type=int, default=4)
    ap.add_argument("--dims", default="")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--hardware", default="ascend910b2")
    args = ap.parse_args(argv)
    td = load_task_file(REPO / "examples" / "calibration" / "add_ladder.toml")[0]
    if args.dims:
        td = td.with_dims(**{k: int(v) for k, v in (kv.split("=") for kv in args.dims.split(","))})
    spec = td.spec
    root = Path(os.environ.get("HAWK_SIM_WORK_ROOT") or Path(tempfile.gettempdir()) / f"hawk-calib-{os.getuid()}")
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o711)
    twin = Twin(args.hardware, work_root=root)
    built = twin.compile((REPO / "examples" / "calibration" / f"add_case{args.case}.cpp").read_text(),
                         spec.kernel_entry, timeout_s=300)
    if built.binary is None or not Path(built.binary).exists():
        raise SystemExit(built.message)
    rec_path = Path(tempfile.mkdtemp(dir=root)) / "bench.rec"
    t0 = time.perf_counter()
    r = twin.run(built.binary, spec, generate_inputs(spec, 1), timeout_s=1800, record_to=rec_path)
    run_s = time.perf_counter() - t0
    if not r.ok:
        raise SystemExit(r.message)
    record = read_record(rec_path)
    best = best_export = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        sim = simulate(record, twin.hardware)
        prof = sim.profile(spec, r.stats)
        best = min(best, time.perf_counter() - t0)
        t0 = time.perf_counter()
        write_msprof(sim, rec_path.parent / "msprof")
        best_export = min(best_export, time.perf_counter() - t0)
    shape = "x".join(str(d) for d in spec.inputs[0].shape)
    print(f"Add case {args.case}, {shape} fp16, block dim {record.block_dim}, {len(record):,} record entries")
    print(f"twin run (functional, recording):  {run_s:8.2f} s")
    print(f"cycle model (cost+schedule+profile): {best:8.3f} s   (best of {args.repeat})")
    print(f"msprof CSVs + Chrome trace export:   {best_export:8.3f} s")
    print(f"simulated: {prof.total_cycles:,} cycles = {prof.time_us:,.2f} us; "
          f"{prof.total_cycles / best:,.0f} simulated cycles per wall-second, "
          f"{len(record) / best:,.0f} entries per wall-second")
    rec_path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
