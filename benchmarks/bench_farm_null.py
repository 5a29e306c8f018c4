"""Farm throughput on the null backend: 64 device slots over 4 agents, one campaign through Ray.

Prints achieved evaluations per second over the ideal (every slot busy all the time) and the controller's
CPU time per candidate (campaign driver and scheduler actor; agents excluded). Ratios come from one run.
Usage: .venv/bin/python benchmarks/bench_farm_null.py [--agents 4] [--devices 16] [--run-s 0.05] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TASKS = """
[[task]]
name = "null_throughput"
category = "benchmark"
kernel_entry = "k"
baseline = "baseline.cpp"
verify_sets = {sets}
reference = '''
def reference(x):
    return x
'''
inputs = [{{name = "x", shape = [16], dtype = "float32"}}]
outputs = [{{name = "y", shape = [16], dtype = "float32"}}]
[task.extra]
template = "template.cpp"
[task.extra.params]
A = {values}
B = {values}
C = {values}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agents", type=int, default=4)
    ap.add_argument("--devices", type=int, default=16)
    ap.add_argument("--run-s", type=float, default=0.05, help="null backend wait per kernel run")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--verify-sets", type=int, default=1)
    args = ap.parse_args()

    from controller.farm import run_campaign
    from controller.spec import parse_spec
    from controller.store import ResultsStore

    slots = args.agents * args.devices
    per_round = 2 * slots
    work = Path(tempfile.mkdtemp(prefix="hawk-bench-farm-"))
    (work / "tasks.toml").write_text(TASKS.format(values=list(range(20)), sets=args.verify_sets))
    (work / "baseline.cpp").write_text(f"// hawk-null: run_s={args.run_s}\n")
    (work / "template.cpp").write_text(f"// {{{{A}}}} {{{{B}}}} {{{{C}}}}\n// hawk-null: run_s={args.run_s}\n")
    spec = parse_spec(f"""
name = "bench"
tasks = ["tasks.toml"]
output_dir = "out"
[budget]
rounds = {args.rounds}
candidates_per_round = {per_round}
[knowledge]
enabled = false
[agents]
local = {args.agents}
local_devices = {args.devices}
local_backend = "null"
""", base_dir=work)
    store = ResultsStore(work / "results.sqlite")
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    cid = asyncio.run(run_campaign(spec, store, work_dir=work / "agents"))
    wall = time.monotonic() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)

    import ray

    from controller.scheduler_actor import get_scheduler

    sched_cpu = ray.get(get_scheduler().cpu_seconds.remote())
    rows = store._conn().execute(
        "SELECT MIN(e.created_at), MAX(e.created_at), COUNT(*) FROM evaluations e JOIN candidates c "
        "ON c.id = e.candidate_id WHERE e.campaign_id=? AND c.proposer != 'baseline'", (cid,)).fetchone()
    first, last, n = rows
    runs_per_eval = args.verify_sets  # the profiled run is one of the verification runs
    ideal = slots / (runs_per_eval * args.run_s)
    # The first round's results start after one full evaluation; count throughput from there.
    achieved = (n - slots) / (last - first) if last > first and n > slots else float("nan")
    driver_cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    print(f"slots {slots} ({args.agents} agents x {args.devices}), null run {args.run_s * 1000:.0f} ms x "
          f"{runs_per_eval} runs per evaluation, {n} evaluations in {wall:.1f} s (incl. start-up)")
    print(f"throughput: achieved {achieved:.1f} evaluations/s, ideal {ideal:.1f}/s, ratio {achieved / ideal:.2f}")
    print(f"controller CPU per candidate: driver {1000 * driver_cpu / n:.2f} ms, scheduler actor "
          f"{1000 * sched_cpu / n:.2f} ms (includes Ray start-up share)")
    ray.shutdown()
    os.environ.pop("RAY_ADDRESS", None)


if __name__ == "__main__":
    main()
