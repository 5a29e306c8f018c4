"""Full-size evaluation speed through the real agent pipeline (issue 14, deliverable 4).

A real agent (simnpu backend, its sandbox, pre-started reference processes) serves gRPC on 127.0.0.1 inside this
process; a real client evaluates each task's baseline kernel (the 8192^3 matmul: its expert, and its baseline for
comparison) as a fresh candidate (a unique comment: a compile miss and a result-cache miss, as a campaign's new
candidate is). Prints, in one run:

- compile cold (no precompiled header), warm (with it: what a new candidate pays) and compile-cache hit, per
  kernel, through the agent's own compiler;
- full evaluation time (compile + verify + profile: the client's wall time of Evaluate, stage times from the
  Result) for an 8 M-element fp16 add, softmax_fp32 (4096x4096), matmul_fp16_2048 (2048^3) and matmul_fp16_8192
  (8192^3), each as a ratio to the simulated kernel time and to the issue's target (<= 2 s median for the
  8 M-element task, <= 60 s for 8192^3), with what was verified and what timed (Result.size_coverage);
- the result-cache hit time (Evaluate answered from the agent's cache; target <= 5 ms).

The work happens in this process (the agent's pipeline: input generation, comparison) and its children (g++,
the twin's kernel processes, the sandboxed reference processes): the CPU column is this process's user+system
time plus that of its finished children over each evaluation. Every figure says how many runs its median is of.

    .venv/bin/python benchmarks/bench_evaluation.py [--runs 5] [--big-runs 3] [--skip-8192]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hawk.v1 import result_pb2  # noqa: E402
from npu_agent.client import AgentClient  # noqa: E402
from npu_agent.pipeline import StageTimeouts  # noqa: E402
from npu_agent.references import ReferenceSettings  # noqa: E402
from npu_agent.result_text import coverage_text  # noqa: E402
from npu_agent.server import Agent, AgentConfig  # noqa: E402
from npu_agent.simnpu.compiler import CandidateCompiler  # noqa: E402
from npu_agent.taskspec import TaskDef  # noqa: E402
from tasks import catalogue  # noqa: E402

S = result_pb2
TARGETS = {"add_fp16 8M": 2.0, "matmul_fp16_8192": 60.0, "matmul_fp16_8192 (baseline)": 60.0}  # seconds, issue 14 acceptance
CACHE_HIT_TARGET_S = 0.005


@dataclass
class Case:
    label: str
    task: TaskDef
    runs: int
    kernel: Path | None = None  # the kernel evaluated (default: the task's baseline)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    stages: list[dict[str, float]] = field(default_factory=list)
    result: result_pb2.Result | None = None


def cpu_now() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def compile_times(agent: Agent, source: str, task: TaskDef, runs: int, root: Path) -> tuple[float, float, float]:
    """(cold, warm, hit) medians in seconds through the agent's twin: without the PCH, with it, a cache hit."""
    twin = agent.backend.twin  # type: ignore[attr-defined]
    nopch = CandidateCompiler(twin.build, root / "cache-nopch", twin.sandbox, use_pch=False)
    cold, warm, hit = [], [], []
    for i in range(runs):
        salt = f"\n// bench compile {time.time_ns()} {i}\n"
        for compiler, out in ((nopch, cold), (twin.compiler, warm), (twin.compiler, hit)):
            t0 = time.perf_counter()
            r = compiler.compile(source + salt, task.spec.kernel_entry)
            out.append(time.perf_counter() - t0)
            if r.status != S.OK:
                raise SystemExit(f"{task.name}: compile failed: {r.message}\n{r.log_tail}")
    return med(cold), med(warm), med(hit)


def evaluate(client: AgentClient, task_hash: str, source: str, case: Case) -> None:
    c0, t0 = cpu_now(), time.perf_counter()
    r = client.evaluate(task_hash, source)
    wall = time.perf_counter() - t0
    if r.status != S.OK:
        raise SystemExit(f"{case.label}: {S.Status.Name(r.status)}: {r.message}\n{r.log_tail}")
    case.walls.append(wall)
    case.cpus.append(cpu_now() - c0)
    case.stages.append({S.Stage.Name(t.stage).lower(): t.seconds for t in r.stage_timings})
    case.result = r


def verification_work(agent: Agent, task: TaskDef, runs: int) -> None:
    """The agent-side verification work of one input set of `task`, now and as it was (the old float64 draw and
    compare, a reference process started for its job), measured here in one run so the ratios hold on a busy host."""
    import numpy as np

    from npu_agent import taskspec

    spec = task.spec
    rows: dict[str, list[float]] = {k: [] for k in ("draw", "draw_f64", "cmp_equal", "cmp_close", "cmp_f64",
                                                    "ref_warm", "ref_cold")}
    runner = agent.references
    for i in range(runs):
        t0 = time.perf_counter()
        x = taskspec.generate_inputs(spec, 1000 + i)
        rows["draw"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        rng = np.random.default_rng(1000 + i)  # the old draw: float64 uniform, then float32, then the storage dtype
        for t in spec.inputs:
            taskspec.from_compute(rng.uniform(-1.0, 1.0, size=tuple(t.shape)).astype(np.float32), t.dtype)
        rows["draw_f64"].append(time.perf_counter() - t0)
        ref = {"z": x["x"] + x["y"]}
        close = {"z": (x["x"].astype(np.float32) + x["y"].astype(np.float32) + np.float32(1e-3)).astype(np.float16)}
        for key, actual in (("cmp_equal", {"z": ref["z"].copy()}), ("cmp_close", close)):
            t0 = time.perf_counter()
            assert taskspec.compare(spec, ref, actual).mismatch_count == 0
            rows[key].append(time.perf_counter() - t0)
        t0 = time.perf_counter()  # the old compare's arithmetic: everything in float64, report always built
        taskspec._full_report(spec.outputs[0], ref["z"], close["z"], *taskspec.tolerance(spec, spec.outputs[0].dtype),
                              0, [])
        rows["cmp_f64"].append(time.perf_counter() - t0)
        if runner is not None:
            for key, prestart in (("ref_cold", False), ("ref_warm", True)):
                if prestart:  # the process the pipeline would find: started (and settled) before the job
                    runner._prestart(runner._limits(spec, runner.settings.timeout_s), runner.settings.timeout_s)
                    time.sleep(1.0)
                t0 = time.perf_counter()
                runner._run(spec, [x], timeout_s=runner.settings.timeout_s, cancel=None, prestart=False)
                rows[key].append(time.perf_counter() - t0)
    m = {k: med(v) for k, v in rows.items()}
    print(f"agent-side verification work per input set ({spec.name}, {taskspec.num_elements(spec.inputs[0]):,} "
          f"elements per tensor), medians of {runs}:")
    print(f"  draw inputs         {m['draw']:.3f} s   (old float64 draw {m['draw_f64']:.3f} s: "
          f"{m['draw_f64'] / m['draw']:.1f}x)")
    print(f"  compare, identical  {m['cmp_equal']:.3f} s   compare, within tolerance {m['cmp_close']:.3f} s   "
          f"(old float64 compare {m['cmp_f64']:.3f} s: {m['cmp_f64'] / m['cmp_equal']:.0f}x / "
          f"{m['cmp_f64'] / m['cmp_close']:.1f}x)")
    if runner is not None:
        print(f"  reference, 1 set    {m['ref_warm']:.3f} s with the process pre-started   "
              f"(started for the job: {m['ref_cold']:.3f} s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="evaluations of the 8 M-element task (median)")
    ap.add_argument("--big-runs", type=int, default=3, help="evaluations of softmax and 2048^3 (median)")
    ap.add_argument("--runs-8192", type=int, default=1, help="evaluations of 8192^3 (median)")
    ap.add_argument("--compile-runs", type=int, default=3)
    ap.add_argument("--cache-hits", type=int, default=50)
    ap.add_argument("--skip-8192", action="store_true", help="leave out the 8192^3 matmul")
    ap.add_argument("--hardware", default="ascend910b2")
    args = ap.parse_args()

    add = catalogue.get_task("add_fp16_8192x8192").with_dims(M=2048, N=4096)  # 8 M elements
    cases = [Case("add_fp16 8M", add, args.runs),
             Case("softmax_fp32", catalogue.get_task("softmax_fp32"), args.big_runs),
             Case("matmul_fp16_2048", catalogue.get_task("matmul_fp16_2048"), args.big_runs)]
    if not args.skip_8192:
        # The 8192^3 target is measured on the task's expert (a well-tiled kernel: ~2.3 M record entries, what a
        # search converges to); the naive baseline (~16 M entries) is shown too: the cycle model's cost is per entry.
        big = catalogue.get_task("matmul_fp16_8192")
        cases.append(Case("matmul_fp16_8192", big, args.runs_8192, kernel=big.expert))
        cases.append(Case("matmul_fp16_8192 (baseline)", big, args.runs_8192))

    work = Path(tempfile.mkdtemp(prefix="hawk-bench-eval-"))
    work.chmod(0o711)
    t0 = time.perf_counter()
    agent = Agent(AgentConfig(backend="simnpu", hardware=args.hardware, devices=1, compile_workers=1,
                              work_dir=work, max_concurrent=4,
                              timeouts=StageTimeouts(compile_s=600, verify_s=7200, profile_s=7200, heartbeat_s=0),
                              references=ReferenceSettings(timeout_s=600))).start()
    print(f"agent started (twin build included) in {time.perf_counter() - t0:.2f} s; hardware {args.hardware}; "
          "1 device, 1 compile worker; host wall seconds on a shared machine: compare ratios within one run\n")
    try:
        with AgentClient(agent.address) as client:
            client.wait_ready()
            print(f"compile, medians of {args.compile_runs} (through the agent's twin, in its sandbox):")
            print(f"  {'kernel':38} {'cold s':>8} {'warm s':>8} {'hit ms':>8}  (hit target 5 ms)")
            seen: set[Path] = set()
            for case in cases:
                kernel = case.kernel or case.task.baseline
                if kernel in seen:
                    continue
                seen.add(kernel)
                cold, warm, hit = compile_times(agent, kernel.read_text(), case.task, args.compile_runs, work)
                name = str(kernel.relative_to(REPO / "tasks" / "kernels"))
                print(f"  {name:38} {cold:8.2f} {warm:8.2f} {hit * 1e3:8.2f}  ({hit / CACHE_HIT_TARGET_S:.2f}x)")

            print()
            verification_work(agent, cases[0].task, args.runs)
            print("\nfull evaluation (compile + verify + profile), fresh candidate each run:")
            last_hash, last_source = "", ""
            for case in cases:
                [h] = client.put_task(case.task.spec)
                base = (case.kernel or case.task.baseline).read_text()
                for i in range(case.runs):
                    source = base + f"\n// bench candidate {time.time_ns()} {i}\n"
                    evaluate(client, h, source, case)
                    last_hash, last_source = h, source
                report(case)

            hits = []
            for _ in range(args.cache_hits):
                t0 = time.perf_counter()
                r = client.evaluate(last_hash, last_source)
                hits.append(time.perf_counter() - t0)
                assert r.cached, "expected a result-cache hit"
            print(f"\nresult-cache hit (Evaluate answered from the agent's cache), median of {len(hits)}: "
                  f"{med(hits) * 1e3:.2f} ms = {med(hits) / CACHE_HIT_TARGET_S:.2f}x the 5 ms target")
    finally:
        agent.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(case: Case) -> None:
    r = case.result
    assert r is not None
    kernel_s = r.profile.time_us * 1e-6
    wall = med(case.walls)
    target = TARGETS.get(case.label)
    stages = {k: med([s.get(k, 0.0) for s in case.stages]) for k in ("queued", "compiling", "verifying", "profiling")}
    cpu = med(case.cpus)
    vs_target = (f"{wall / target:.2f}x the {target:g} s target ({cpu / target:.2f}x by CPU time)" if target
                 else "no target")
    kernel = (case.kernel or case.task.baseline).name
    print(f"  {case.label:18} ({kernel}) median of {len(case.walls)}: {wall:7.2f} s wall, {cpu:7.2f} s CPU; "
          f"simulated kernel {r.profile.time_us:.1f} us -> {wall / kernel_s:,.0f}x kernel time; {vs_target}")
    print("    stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items()))
    print("    " + coverage_text(r.size_coverage))


if __name__ == "__main__":
    sys.exit(main())
