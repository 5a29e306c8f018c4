"""The campaign driver's own cost: CPU and RSS per candidate at growing campaign sizes, knowledge off and on.

One local farm (a private local Ray, the scheduler actor, null-backend agents) serves every run; each
(size, arm) runs in a fresh driver process that joins that Ray cluster, so its CPU and memory are its own. The
driver's CPU and RSS growth are taken around `CampaignRunner.run` only (not start-up); the scheduler and
knowledge actors' CPU over the same run are printed beside them (`process_info`). Ratios come from one run:
per-candidate figures across sizes (flat means no quadratic term) and knowledge on over off. Every run has its
own seed, so no run is served from the agents' result cache of another.

Usage: .venv/bin/python benchmarks/bench_driver.py [--sizes 500,2000,10000] [--agents 2] [--devices 32]
       [--run-s 0.01] [--per-round 128] [--profile PREFIX [--profile-threads]]
(The farm-wide view with every process, throughput against ideal, is benchmarks/bench_farm_null.py.)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_farm_null import TASKS  # noqa: E402  (the same null task: 4 template parameters)

VALUES = list(range(20))   # 4 parameters x 20 values: 160,000 kernels, far more than the largest run


def _rss() -> int:
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


class GcClock:
    """Time spent in the cyclic garbage collector (every thread), by generation: a cost that grows with what the
    process keeps alive, so it belongs beside the per-candidate CPU."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._t0
            self.count[info["generation"]] += 1


def run_one(args: argparse.Namespace) -> None:
    """Child: one campaign of `args.n` candidates on the parent's farm; prints one JSON line."""
    import ray

    from controller.campaign import CampaignRunner
    from controller.dispatch import BatchEvaluator
    from controller.metrics import CampaignMetrics
    from controller.proposers import OfflineProposer
    from controller.scheduler_actor import get_scheduler
    from controller.spec import parse_spec
    from controller.store import ResultsStore
    from npu_agent.taskspec import load_task_file

    work = Path(args.work)
    ray.init(address=args.ray_address, namespace="hawk", log_to_driver=False)
    per_round = args.per_round
    spec = parse_spec(f"""
name = "bench-driver"
tasks = ["tasks.toml"]
seed = {args.n * 2 + int(args.knowledge)}
[budget]
rounds = {-(-args.n // per_round)}
candidates_per_round = {per_round}
max_evaluations = {args.n}
[knowledge]
enabled = {"true" if args.knowledge else "false"}
db = "{work / 'knowledge.sqlite'}"
[agents]
registry = "{args.registry}"
backend = "null"
""", base_dir=work)
    store = ResultsStore(work / f"results-{args.n}-{'on' if args.knowledge else 'off'}.sqlite")
    actor = get_scheduler()
    knowledge = kactor = None
    if args.knowledge:
        from controller.knowledge_client import CampaignKnowledge
        from knowledge.actor import KnowledgeClient, get_or_create

        kactor = get_or_create(work / "knowledge.sqlite", distill_interval_s=None)
        knowledge = CampaignKnowledge(KnowledgeClient(kactor), spec.hardware)
    metrics = CampaignMetrics()
    runner = CampaignRunner(spec, store, BatchEvaluator(actor), load_task_file(work / "tasks.toml"),
                            {"offline": OfflineProposer()}, knowledge=knowledge, knowledge_sink=knowledge,
                            metrics=metrics, backend="null")
    cid = runner.create()
    sched0 = ray.get(actor.process_info.remote())["cpu_s"]
    kb0 = ray.get(kactor.process_info.remote())["cpu_s"] if kactor is not None else 0.0
    gc_clock = GcClock()
    gc.callbacks.append(gc_clock)
    rss0, cpu0, t0, main0 = _rss(), _cpu(), time.monotonic(), time.thread_time()
    if args.profile and args.profile_threads:  # every thread's CPU (proposer, observation sender): yappi
        import yappi

        yappi.set_clock_type("cpu")
        yappi.start(builtins=False, profile_threads=True)
        state = asyncio.run(runner.run(cid))
        yappi.stop()
        yappi.get_func_stats().save(f"{args.profile}-{args.n}-{'on' if args.knowledge else 'off'}.prof", "pstat")
    elif args.profile:  # where the driver's CPU goes (cProfile adds its own overhead: compare shares, not times)
        import cProfile

        prof = cProfile.Profile(time.thread_time)  # the event loop thread's CPU, not waiting
        state = prof.runcall(asyncio.run, runner.run(cid))
        prof.dump_stats(f"{args.profile}-{args.n}-{'on' if args.knowledge else 'off'}.prof")
    else:
        state = asyncio.run(runner.run(cid))
    cpu1, rss1, wall, main1 = _cpu(), _rss(), time.monotonic() - t0, time.thread_time()
    gc.callbacks.remove(gc_clock)
    sched1 = ray.get(actor.process_info.remote())["cpu_s"]
    kb1 = ray.get(kactor.process_info.remote())["cpu_s"] if kactor is not None else 0.0
    n = sum(p.evaluated for p in state.tasks.values())
    print(json.dumps({"n": n, "knowledge": args.knowledge, "driver_cpu_s": cpu1 - cpu0, "loop_cpu_s": main1 - main0, "rss_growth": rss1 - rss0,
                      "rss": rss1, "wall_s": wall, "sched_cpu_s": sched1 - sched0, "kb_cpu_s": kb1 - kb0,
                      "gc_s": gc_clock.seconds, "gc_count": gc_clock.count,
                      "state": store.campaign(cid)["state"], "reason": store.campaign(cid)["reason"]}))
    ray.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="500,2000,10000", help="candidates per campaign, comma-separated")
    ap.add_argument("--agents", type=int, default=2)
    ap.add_argument("--devices", type=int, default=32)
    ap.add_argument("--run-s", type=float, default=0.01, help="null backend wait per kernel run")
    ap.add_argument("--per-round", type=int, default=128)
    ap.add_argument("--profile", default="", help="write each driver run's cProfile stats to PREFIX-<n>-<arm>.prof")
    ap.add_argument("--profile-threads", action="store_true",
                    help="with --profile: every thread of the driver (yappi, CPU clock; needs `pip install yappi`), "
                    "not only the event loop's")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--knowledge", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--work", default="", help=argparse.SUPPRESS)
    ap.add_argument("--ray-address", default="", help=argparse.SUPPRESS)
    ap.add_argument("--registry", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_one(args)
        return
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        sys.exit(f"--sizes: {args.sizes!r} is not a comma-separated list of integers")

    import ray

    from controller.farm import LocalAgents
    from controller.scheduler_actor import get_scheduler

    work = Path(tempfile.mkdtemp(prefix="hawk-bench-driver-"))
    (work / "tasks.toml").write_text(TASKS.format(values=VALUES))
    (work / "baseline.cpp").write_text(f"// hawk-null: run_s={args.run_s}\n")
    # The values sit in the directive line: kernels differing only in comments would be one kernel (duplicates).
    (work / "template.cpp").write_text(f"// hawk-null: run_s={args.run_s} a={{{{A}}}} b={{{{B}}}} c={{{{C}}}} "
                                       "d={{D}}\n")
    # A Ray of our own (never another worker's cluster), with a short private temp dir for its sockets.
    ray_tmp = tempfile.mkdtemp(prefix="rdrv", dir="/tmp")
    ctx = ray.init(address="local", namespace="hawk", include_dashboard=False, log_to_driver=False,
                   num_cpus=max(2, os.cpu_count() or 2), _temp_dir=ray_tmp)
    actor = get_scheduler()
    agents = None
    try:
        port = ray.get(actor.start_registry.remote("127.0.0.1:0"))
        registry = f"127.0.0.1:{port}"
        agents = LocalAgents(args.agents, args.devices, registry, "ascend910b2", work / "agents", backend="null")
        end = time.monotonic() + 120
        while sum(a["devices"] for a in ray.get(actor.snapshot.remote())["agents"]) < args.agents * args.devices:
            agents.check()
            if time.monotonic() > end:
                sys.exit("the null agents did not join within 120 s")
            time.sleep(0.2)
        rows = []
        for n in sizes:
            for on in (False, True):
                cmd = [sys.executable, __file__, "--child", "--n", str(n), "--work", str(work), "--per-round",
                       str(args.per_round), "--ray-address", ctx.address_info["address"], "--registry", registry]
                if args.profile:
                    cmd += ["--profile", str(Path(args.profile).resolve())]
                    cmd += ["--profile-threads"] if args.profile_threads else []
                out = subprocess.run(cmd + (["--knowledge"] if on else []), capture_output=True, text=True,
                                     cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
                line = next((ln for ln in reversed(out.stdout.splitlines()) if ln.startswith("{")), None)
                if out.returncode != 0 or line is None or json.loads(line)["n"] == 0:
                    sys.exit(f"the driver run n={n} knowledge={'on' if on else 'off'} failed: {line}\n{out.stderr[-3000:]}")
                rows.append(json.loads(line))
                r = rows[-1]
                print(f"n={r['n']:>6} knowledge {'on ' if on else 'off'}: driver {1000 * r['driver_cpu_s'] / r['n']:.3f} "
                      f"ms CPU/candidate ({1000 * r['loop_cpu_s'] / r['n']:.3f} in its event loop), RSS +{r['rss_growth'] / r['n'] / 1024:.2f} KB/candidate; scheduler actor "
                      f"{1000 * r['sched_cpu_s'] / r['n']:.3f} ms, knowledge actor {1000 * r['kb_cpu_s'] / r['n']:.3f} "
                      f"ms; controller {1000 * (r['driver_cpu_s'] + r['sched_cpu_s'] + r['kb_cpu_s']) / r['n']:.3f} "
                      f"ms/candidate; {r['n'] / r['wall_s']:.0f} candidates/s; garbage collector "
                      f"{1000 * sum(r['gc_s']) / r['n']:.3f} ms/candidate (gen 2: {r['gc_count'][2]} runs, "
                      f"{1000 * r['gc_s'][2]:.0f} ms)", flush=True)
    finally:
        if agents is not None:
            agents.close()
        ray.shutdown()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(ray_tmp, ignore_errors=True)
    by = {(r["n"], r["knowledge"]): r for r in rows}
    print("\nknowledge on / off, driver CPU per candidate:")
    for n in sizes:
        off, on = by.get((n, False)), by.get((n, True))
        if off and on:
            print(f"  n={n:>6}: {(on['driver_cpu_s'] / on['n']) / (off['driver_cpu_s'] / off['n']):.2f}x")
    first, last = sizes[0], sizes[-1]
    for on in (False, True):
        a, b = by.get((first, on)), by.get((last, on))
        if a and b:
            print(f"knowledge {'on ' if on else 'off'}: driver CPU per candidate at {last} over {first}: "
                  f"{(b['driver_cpu_s'] / b['n']) / (a['driver_cpu_s'] / a['n']):.2f}x; RSS growth per candidate "
                  f"{(b['rss_growth'] / b['n']) / max(1.0, a['rss_growth'] / a['n']):.2f}x")


if __name__ == "__main__":
    main()
