"""A simulated large farm: thousands of null-backend device slots, one scheduler against sharded schedulers.

Agents: real `npu_agent.server.Agent`s (16 devices each, gRPC, registration and heartbeats), many per process
(benchmarks/farm_agents_host.py: a 2-core box cannot run a thousand agent processes), split into G agent groups.
Drivers: G driver processes (one campaign each, on its group's agents, as G teams would run them), connected to
one Ray cluster. Modes: `single` (every campaign on the one shared scheduler actor) and `sharded` (group i's
agents and campaign on scheduler shard `g<i>`: `[agents].shard`, when this checkout has it). The only difference
between the two is the sharding.

For each mode the slot count doubles (default 256 -> 4096, evaluations of --eval-s, default 1 s, so ideal =
slots / eval-s) until throughput stops scaling (less than +15 % for doubling the slots) or the list ends. Each
step measures, over the steady-state window (as benchmarks/bench_farm_null.py: the first and last min(slots,
N/4) results left out), the achieved evaluations/s and every process's CPU as a share of one core: driver(s),
scheduler actor(s), agent hosts, Ray daemons (benchmarks/procstat.py). The verdict names what sets the ceiling:
a single process near 100 % of a core (the controller's ceiling, single-threaded Python: adding cores does not
help, sharding or more drivers does) or the box (all processes together using the machine's cores: on this
shared 2-core box the agents' own CPU counts; on a real farm they run on the NPU hosts).

Usage: .venv/bin/python benchmarks/bench_farm_large.py [--quick] [--slots 256,512,1024,2048,4096]
       [--groups 4] [--hosts 4] [--eval-s 1.0] [--run-s 15] [--modes single,sharded] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import procstat  # noqa: E402
from bench_farm_null import actor_pid, rate, ray_kind, start_ray, write_task  # noqa: E402

DEVICES = 16


@dataclass
class Step:
    mode: str
    slots: int
    groups: int
    hosts: int
    eval_s: float
    candidates: int = 0
    window_n: int = 0
    window_s: float = 0.0
    achieved: float = 0.0
    ideal: float = 0.0
    cores: dict[str, float] = field(default_factory=dict)      # group CPU / window (1.0 = one core)
    top: list[tuple[str, float]] = field(default_factory=list)  # busiest single processes, share of one core
    # per controller process: [its busiest thread's CPU ms per candidate, that thread's share of the window
    # runnable, the whole process's CPU ms per candidate]
    threads: dict[str, list[float]] = field(default_factory=dict)
    ctrl_ms: float = 0.0       # controller CPU (drivers + schedulers + Ray daemons) per candidate
    loadavg: float = 0.0
    start_s: float = 0.0       # agents' start-up (not in the window)
    error: str = ""

    @property
    def ratio(self) -> float:
        return self.achieved / self.ideal if self.ideal else float("nan")


def sharding_available() -> bool:
    from controller.spec import AgentSettings

    return "shard" in getattr(AgentSettings, "__dataclass_fields__", {})


def spec_text(addresses: list[str], wall_s: float, slots: int, shard: str) -> str:
    per_round = 2 * slots
    return f"""
name = "bench-farm-large"
tasks = ["tasks.toml"]
output_dir = "out"
[budget]
rounds = 100000
candidates_per_round = {min(10_000, per_round)}
max_evaluations = 60000
wall_time_s = {wall_s}
[knowledge]
enabled = false
[agents]
addresses = {json.dumps(addresses)}
backend = "null"
""" + (f'shard = "{shard}"\n' if shard else "")


def driver_child(arg: str) -> int:
    """One driver process: one campaign on the cluster at `address`."""
    cfg = json.loads(arg)
    from controller.farm import run_campaign
    from controller.spec import parse_spec
    from controller.store import ResultsStore

    run_dir = Path(cfg["dir"])
    spec = parse_spec(cfg["spec"], base_dir=run_dir)
    asyncio.run(run_campaign(spec, ResultsStore(run_dir / "results.sqlite"), ray_address=cfg["address"],
                             work_dir=run_dir / "agents"))
    return 0


def start_hosts(n_agents: int, hosts: int, groups: int, registries: list[str], work: Path,
                labels: bool) -> tuple[list[subprocess.Popen], list[list[str]]]:
    """Agent-host processes, each serving whole groups' shares; returns them and each group's addresses."""
    procs, outs, host_group = [], [], []
    per_group = n_agents // groups
    # host h serves part of group (h % groups): hosts are split evenly over groups
    hosts = max(hosts, groups) // groups * groups
    per_host = max(1, per_group // (hosts // groups))
    for h in range(hosts):
        g = h % groups
        out = work / f"host-{h}.addresses"
        out.unlink(missing_ok=True)
        cmd = [sys.executable, str(HERE / "farm_agents_host.py"), "--agents", str(per_host), "--devices",
               str(DEVICES), "--out", str(out)]
        if registries:
            cmd += ["--register", registries[g if len(registries) > 1 else 0]]
        if labels:
            cmd += ["--label", f"group=g{g}"]
        with open(work / f"host-{h}.log", "wb") as log:
            procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT))
        outs.append(out)
        host_group.append(g)
    end = time.monotonic() + 300
    while not all(o.exists() for o in outs):
        for p, o in zip(procs, outs, strict=True):
            if p.poll() is not None and not o.exists():
                raise RuntimeError(f"agent host exited ({p.returncode}); see {work}/host-*.log")
        if time.monotonic() > end:
            raise RuntimeError("agent hosts did not start within 300 s")
        time.sleep(0.3)
    addresses: list[list[str]] = [[] for _ in range(groups)]
    for o, g in zip(outs, host_group, strict=True):
        addresses[g] += o.read_text().split()
    return procs, addresses


def stop_procs(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def result_times(path: Path) -> list[float]:
    import sqlite3

    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute(
            "SELECT e.created_at FROM evaluations e JOIN candidates c ON c.id = e.candidate_id "
            "WHERE c.proposer != 'baseline'")]


def run_step(mode: str, slots: int, groups: int, hosts: int, eval_s: float, wall_s: float, work: Path,
             address: str, schedulers: dict[str, Any]) -> tuple[Step, list[float], dict[str, Any]]:
    """One farm size in one mode; returns the step, its result times and the pids by role."""
    import ray

    from controller.scheduler_actor import get_scheduler

    step = Step(mode=mode, slots=slots, groups=groups, hosts=hosts, eval_s=eval_s)
    sharded = mode == "sharded"
    shards = [f"g{g}" for g in range(groups)] if sharded else [""]
    registries = []
    for s in shards:
        if s not in schedulers:
            schedulers[s] = get_scheduler(detached=False, **({"shard": s} if s else {}))
        port = ray.get(schedulers[s].start_registry.remote("127.0.0.1:0"))
        registries.append(f"127.0.0.1:{port}")
    step_dir = work / f"{mode}-{slots}"
    step_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    hosts_procs, addresses = start_hosts(slots // DEVICES, hosts, groups, registries, step_dir, labels=sharded)
    step.start_s = time.monotonic() - t0
    drivers: list[subprocess.Popen] = []
    stores = []
    try:
        for g in range(groups):
            run_dir = step_dir / f"campaign-{g}"
            write_task(run_dir, eval_s)
            group_slots = len(addresses[g]) * DEVICES
            cfg = {"address": address, "dir": str(run_dir),
                   "spec": spec_text(addresses[g], wall_s, group_slots, shards[g] if sharded else "")}
            with open(run_dir / "driver.log", "wb") as log:
                drivers.append(subprocess.Popen([sys.executable, __file__, "--driver-child", json.dumps(cfg)],
                                                stdout=log, stderr=subprocess.STDOUT))
            stores.append(run_dir / "results.sqlite")
        for d, s in zip(drivers, stores, strict=True):
            try:
                d.wait(wall_s + 600)
            except subprocess.TimeoutExpired:
                d.kill()
                step.error = "a driver did not finish"
            if d.returncode:
                step.error = f"a driver failed ({d.returncode}): see {s.parent}/driver.log"
    finally:
        step.loadavg = os.getloadavg()[0]
        stop_procs(hosts_procs)
    times = sorted(t for s in stores for t in result_times(s))
    roles = {"drivers": {d.pid for d in drivers}, "hosts": {p.pid for p in hosts_procs}}
    return step, times, roles


def measure(step: Step, times: list[float], series: dict[int, procstat.Series], roles: dict[str, set[int]]) -> None:
    n = len(times)
    step.candidates = n
    if n < 3:
        step.error = step.error or f"only {n} results"
        return
    skip = max(1, min(step.slots, n // 4))
    k1, k2 = skip, n - 1 - skip
    t0, t1 = times[k1], times[k2]
    step.window_s = t1 - t0
    step.achieved = rate(times[k1:k2 + 1])
    step.window_n = max(1, round(step.achieved * step.window_s))
    step.ideal = step.slots / step.eval_s
    cores: dict[str, float] = {}
    per_proc = []
    for pid, s in series.items():
        if not s.t or s.t[-1] < t0 or s.t[0] > t1:
            continue
        if pid == roles["orchestrator"]:
            role = "orchestrator"
        elif pid in roles["drivers"]:
            role = "driver"
        elif pid in roles["schedulers"]:
            role = "scheduler"
        elif pid in roles["hosts"] or "farm_agents_host" in s.cmd:
            role = "agent hosts"
        else:
            role = "ray:" + ray_kind(s.cmd)
        share = (s.at(t1) - s.at(t0)) / step.window_s
        group = "ray" if role.startswith("ray:") else role
        if role in ("driver", "scheduler") or role in ("ray:gcs", "ray:raylet"):
            run, demand = s.busiest_thread(t0, t1)
            step.threads[f"{role} {pid}"] = [1000 * run / step.achieved, demand, 1000 * share / step.achieved]
        cores[group] = cores.get(group, 0.0) + share
        per_proc.append((f"{role} {pid}", share))
    step.cores = cores
    step.top = sorted(per_proc, key=lambda x: -x[1])[:5]
    ctrl = sum(v for k, v in cores.items() if k in ("driver", "scheduler", "ray")) * step.window_s
    step.ctrl_ms = 1000 * ctrl / step.window_n


def controller_ceiling(step: Step) -> tuple[str, float, float]:
    """The controller process that would cap throughput first with a core of its own: its name, 1000 / (its CPU
    ms per candidate) evaluations/s (the bound when its threads all wait for one core: Python's GIL) and 1000 /
    (its busiest thread's ms per candidate) (the bound if the other threads' work, C++ in gRPC and Ray's core
    worker, ran on other cores)."""
    worst = min(step.threads.items(), key=lambda kv: 1000 / kv[1][2] if kv[1][2] > 0 else float("inf"),
                default=None)
    if worst is None or worst[1][2] <= 0 or worst[1][0] <= 0:
        return "?", float("inf"), float("inf")
    return worst[0], 1000 / worst[1][2], 1000 / worst[1][0]


def verdict(step: Step, ncpu: int) -> str:
    """What holds throughput here, on this box: the controller thread runnable (running or queued for a CPU)
    most of the window when it is near 100 % (it would run all the time: saturated, given the CPU it gets), else
    the box (every process gets its share of cores busy with other work); then the ceiling with a core each."""
    if not step.window_n:
        return "no window"
    name, ceiling, optimistic = controller_ceiling(step)
    hot, (_, demand, _) = max(step.threads.items(), key=lambda kv: kv[1][1], default=("?", [0.0, 0.0, 0.0]))
    box = sum(step.cores.values())
    if demand >= 0.85:
        here = f"{hot.split()[0]} saturated here (its busiest thread runnable {demand:.0%} of the window)"
    elif step.loadavg >= ncpu or box >= 0.8 * ncpu:
        here = f"the box ({box:.2f} of {ncpu} cores ours, load {step.loadavg:.1f})"
    else:
        here = f"nothing saturated (most runnable: {hot.split()[0]} {demand:.0%})"
    return f"{here}; with a core each, {name.split()[0]} caps first at {ceiling:.0f}-{optimistic:.0f}/s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="256 and 1024 slots, 6 s per step")
    ap.add_argument("--slots", default="256,512,1024,2048,4096")
    ap.add_argument("--groups", type=int, default=4, help="agent groups = campaigns = drivers (= shards)")
    ap.add_argument("--hosts", type=int, default=4, help="agent-host processes")
    ap.add_argument("--eval-s", type=float, default=1.0)
    ap.add_argument("--run-s", type=float, default=15.0, help="wall-time budget of each campaign")
    ap.add_argument("--modes", default="single,sharded")
    ap.add_argument("--no-stop", action="store_true", help="run every slot count even past saturation")
    ap.add_argument("--json", default="")
    ap.add_argument("--driver-child", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.driver_child:
        return driver_child(args.driver_child)
    slots_list = [int(x) for x in args.slots.split(",")]
    if args.quick:
        slots_list, args.run_s = [256, 1024], 6.0
    if any(s % (DEVICES * args.groups) for s in slots_list):
        ap.error(f"every slot count must be a multiple of {DEVICES} x --groups ({DEVICES * args.groups})")
    modes = args.modes.split(",")
    if "sharded" in modes and not sharding_available():
        print("sharded mode skipped: this checkout has no [agents].shard (scheduler sharding)", file=sys.stderr)
        modes = [m for m in modes if m != "sharded"]

    import ray

    work = Path(tempfile.mkdtemp(prefix="hawk-bench-large-"))
    sampler = procstat.Sampler(work / "samples.jsonl", interval=0.5)
    start_ray()
    address = ray.get_runtime_context().gcs_address
    schedulers: dict[str, Any] = {}
    done: list[tuple[Step, list[float], dict[str, Any]]] = []
    t_start = time.monotonic()
    try:
        for mode in modes:
            prev = None
            for slots in slots_list:
                print(f"  {mode}: {slots} slots ...", file=sys.stderr, flush=True)
                step, times, roles = run_step(mode, slots, args.groups, args.hosts, args.eval_s, args.run_s, work,
                                              address, schedulers)
                roles["schedulers"] = set()
                done.append((step, times, roles))
                rate = len(times) / max(1e-9, (times[-1] - times[0])) if len(times) > 2 else 0.0
                print(f"    {len(times)} results, ~{rate:.0f}/s{' ERROR ' + step.error if step.error else ''}",
                      file=sys.stderr, flush=True)
                if prev is not None and rate < 1.15 * prev and not args.no_stop:
                    break
                prev = rate
        sched_pids = {actor_pid(h) for h in schedulers.values()}
        time.sleep(1.0)
    finally:
        sampler.stop()
        ray.shutdown()
        os.environ.pop("RAY_ADDRESS", None)
    series = procstat.read_samples(work / "samples.jsonl")
    for step, times, roles in done:
        roles["schedulers"] = sched_pids
        roles["orchestrator"] = os.getpid()
        measure(step, times, series, roles)
    ncpu = os.cpu_count() or 1
    print(f"\nSimulated large farm, null backend, {args.eval_s:g} s evaluations, {args.groups} campaigns (one driver "
          f"process each), agents of {DEVICES} devices in {args.hosts} agent-host processes; {ncpu} cores shared "
          "with other workers (noisy, low: compare within this run)")
    hdr = (f"{'mode':>8} {'slots':>5} {'agents':>6} {'cands':>6} {'eval/s':>7} {'ideal':>6} {'ratio':>5} "
           f"{'ctrl ms':>7} | cores: {'drivers':>7} {'sched':>6} {'ray':>5} {'hosts':>6} {'total':>6} {'load':>5} "
           f"| ceiling")
    print(hdr)
    print("-" * (len(hdr) + 30))
    for step, _, _ in done:
        c = step.cores
        if not step.window_n:
            print(f"{step.mode:>8} {step.slots:5d}  no window: {step.error}")
            continue
        print(f"{step.mode:>8} {step.slots:5d} {step.slots // DEVICES:6d} {step.candidates:6d} {step.achieved:7.1f} "
              f"{step.ideal:6.0f} {step.ratio:5.2f} {step.ctrl_ms:7.2f} | {'':7}{c.get('driver', 0):7.2f} "
              f"{c.get('scheduler', 0):6.2f} {c.get('ray', 0):5.2f} {c.get('agent hosts', 0):6.2f} "
              f"{sum(c.values()):6.2f} {step.loadavg:5.1f} | {verdict(step, ncpu)}")
    print("\nBusiest processes per step (share of one core over the window):")
    for step, _, _ in done:
        if step.window_n:
            print(f"  {step.mode:>8} {step.slots:5d}: " + ", ".join(f"{n} {s:.0%}" for n, s in step.top))
    print("\nController processes: CPU ms per candidate of the process / of its busiest thread (its ceiling "
          "with a core of its own lies between 1000 / the first and 1000 / the second) and the share of the window "
          "that thread was runnable (running or waiting for a CPU; ~100 % = saturated on this box):")
    for step, _, _ in done:
        if step.window_n:
            items = sorted(step.threads.items(), key=lambda kv: -kv[1][2])[:6]
            print(f"  {step.mode:>8} {step.slots:5d}: " + ", ".join(
                f"{n} {pms:.2f}/{ms:.2f} ms (<= {1000 / pms:.0f}-{1000 / ms:.0f}/s, runnable {d:.0%})"
                for n, (ms, d, pms) in items if ms > 0 and pms > 0))
    for mode in modes:
        steps = [s for s, _, _ in done if s.mode == mode and s.window_n]
        if not steps:
            continue
        best = max(steps, key=lambda s: s.achieved)
        name, ceiling, optimistic = controller_ceiling(best)
        print(f"\n{mode}: peak {best.achieved:.0f} evaluations/s at {best.slots} slots "
              f"({best.ratio:.2f} of ideal); set by {verdict(best, ncpu)}. Controller ceiling (each controller "
              f"process with a core of its own): {ceiling:.0f}-{optimistic:.0f} evaluations/s, set by "
              f"{name.split()[0]}.")
    print(f"(one run, {time.monotonic() - t_start:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(s) | {"ratio": s.ratio} for s, _, _ in done], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
