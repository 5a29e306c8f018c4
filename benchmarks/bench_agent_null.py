"""Throughput of one agent: a real `hawk agent serve --backend null` process with many devices, driven over
gRPC by many concurrent clients. Prints achieved evaluations per second over the ideal.

The null backend waits instead of working, so the ideal is exact: each evaluation holds a device for
verify_sets runs of --run-s (the profiled run is one of them) and a compile worker for --compile-s, hence
    ideal = min(devices / (verify_sets * run_s), compile_workers / compile_s).
The ratio is the agent's own overhead (gRPC, queueing, pipeline bookkeeping, Python); 1.0 is perfect.

Then CPU per evaluation, agent side (the agent process, from /proc) and client side (this process, which drives
the agent with the controller's own asyncio client, controller/agent_rpc.py), for single Evaluate calls and for
EvaluateBatch at batch sizes 1, 16 and 64, with the same number of evaluations in flight; printed as
milliseconds and as ratios to single Evaluate, all from one run (the machine is shared: compare ratios).

    .venv/bin/python benchmarks/bench_agent_null.py [--devices 32] [--evaluations 1500] [--cpu-evaluations 2048]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from controller.agent_rpc import AgentConnections, BatchItem  # noqa: E402
from hawk.v1 import result_pb2, task_pb2  # noqa: E402
from npu_agent.client import AgentClient  # noqa: E402

BATCH_SIZES = (1, 16, 64)


def start_agent(args: argparse.Namespace) -> tuple[subprocess.Popen, str]:
    exe = shutil.which("hawk") or os.path.join(os.path.dirname(sys.executable), "hawk")
    cmd = [exe, "agent", "serve", "--port", "0", "--backend", "null", "--devices", str(args.devices),
           "--compile-workers", str(args.compile_workers), "--null-compile-s", str(args.compile_s),
           "--null-run-s", str(args.run_s), "--max-concurrent", str(args.concurrency), "--cache-entries", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(r"serving on [\d.]+:(\d+)", line)
        if m:
            # Keep draining the agent's log (one line per evaluation) so it never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, f"127.0.0.1:{m.group(1)}"
    raise SystemExit("agent did not start")


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spec(verify_sets: int) -> task_pb2.TaskSpec:
    return task_pb2.TaskSpec(
        name="bench_add", kernel_entry="add_custom", verify_sets=verify_sets,
        inputs=[task_pb2.TensorSpec(name="x", shape=[1024], dtype=task_pb2.FLOAT16)],
        outputs=[task_pb2.TensorSpec(name="z", shape=[1024], dtype=task_pb2.FLOAT16)],
        reference_source="def reference(x):\n    return x\n", reference_entry="reference")


async def _cpu_modes(address: str, pid: int, n: int, inflight: int, verify_sets: int) -> list[tuple[str, float, float,
                                                                                                    int]]:
    """(mode, agent CPU s per evaluation, client CPU s per evaluation, OK results) per mode."""
    conns = AgentConnections()
    task = _spec(verify_sets)
    await conns.get_info(address)
    rows = []
    seq = 0

    async def single(count: int) -> int:
        nonlocal seq
        ok = 0
        sem = asyncio.Semaphore(inflight)

        async def one() -> None:
            nonlocal seq, ok
            async with sem:
                seq += 1
                r = await conns.evaluate(address, task, f"// candidate {seq}\n", f"s-{seq}", inactivity_s=10.0)
                ok += r.status == result_pb2.OK

        await asyncio.gather(*(one() for _ in range(count)))
        return ok

    async def batched(count: int, size: int) -> int:
        nonlocal seq
        ok = 0
        queue = list(range(count))

        def outcome(_eid: str, o) -> None:
            nonlocal ok
            ok += isinstance(o, result_pb2.Result) and o.status == result_pb2.OK

        async def lane() -> None:  # one stream at a time per lane; inflight / size lanes
            nonlocal seq
            while queue:
                take = [queue.pop() for _ in range(min(size, len(queue)))]
                items = []
                for _ in take:
                    seq += 1
                    items.append(BatchItem(f"b-{seq}", task, f"// candidate {seq}\n"))
                await conns.evaluate_batch(address, items, inactivity_s=10.0, on_outcome=outcome)

        await asyncio.gather(*(lane() for _ in range(max(1, inflight // size))))
        return ok

    modes: list[tuple[str, object]] = [("Evaluate", None)] + [(f"EvaluateBatch x{b}", b) for b in BATCH_SIZES]
    for _name, size in modes:  # warm-up of every path first
        await (single(inflight) if size is None else batched(inflight, size))
    for name, size in modes:
        a0, c0 = proc_cpu_s(pid), time.process_time()
        ok = await (single(n) if size is None else batched(n, size))
        rows.append((name, (proc_cpu_s(pid) - a0) / n, (time.process_time() - c0) / n, ok))
    await conns.close()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=32)
    ap.add_argument("--compile-workers", type=int, default=32)
    ap.add_argument("--run-s", type=float, default=0.05)
    ap.add_argument("--compile-s", type=float, default=0.02)
    ap.add_argument("--verify-sets", type=int, default=1)
    ap.add_argument("--evaluations", type=int, default=1500)
    ap.add_argument("--concurrency", type=int, default=0, help="client-side in-flight evaluations (default 2x devices)")
    ap.add_argument("--cpu-evaluations", type=int, default=2048, help="evaluations per mode of the CPU comparison "
                    "(0: skip it)")
    ap.add_argument("--cpu-inflight", type=int, default=64, help="evaluations in flight in the CPU comparison")
    args = ap.parse_args()
    args.concurrency = args.concurrency or 2 * args.devices

    proc, address = start_agent(args)
    try:
        spec = _spec(args.verify_sets)
        with AgentClient(address) as client:
            client.wait_ready()
            [task_hash] = client.put_task(spec)
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            lock = threading.Lock()

            def one(i: int) -> None:
                t0 = time.perf_counter()
                r = client.evaluate(task_hash, f"// candidate {i}\n", evaluation_id=f"bench-{i}")
                with lock:
                    latencies.append(time.perf_counter() - t0)
                    statuses[r.status] = statuses.get(r.status, 0) + 1

            warm = min(args.concurrency, 64)
            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(one, range(-warm, 0)))  # connections and threads warmed up
                latencies.clear()
                statuses.clear()
                start = time.perf_counter()
                list(pool.map(one, range(args.evaluations)))
                elapsed = time.perf_counter() - start
        cpu_rows = (asyncio.run(_cpu_modes(address, proc.pid, args.cpu_evaluations, args.cpu_inflight,
                                           args.verify_sets)) if args.cpu_evaluations else [])
    finally:
        proc.terminate()
        proc.wait(30)

    device_s = args.verify_sets * args.run_s  # the profiled run is one of the sets
    ideal = min(args.devices / device_s, args.compile_workers / args.compile_s if args.compile_s else float("inf"))
    achieved = args.evaluations / elapsed
    ok = statuses.get(result_pb2.OK, 0)
    print(f"agent null backend: {args.devices} devices, {args.compile_workers} compile workers, "
          f"compile {args.compile_s * 1e3:.0f} ms, {args.verify_sets} runs of {args.run_s * 1e3:.0f} ms, "
          f"{args.concurrency} clients in flight, {os.cpu_count()} CPUs")
    print(f"evaluations: {args.evaluations} ({ok} OK) in {elapsed:.2f} s")
    print(f"latency: p50 {statistics.median(latencies) * 1e3:.1f} ms, "
          f"p95 {statistics.quantiles(latencies, n=20)[-1] * 1e3:.1f} ms "
          f"(floor {(args.compile_s + device_s) * 1e3:.0f} ms)")
    print(f"throughput: {achieved:.1f} eval/s achieved / {ideal:.1f} eval/s ideal = {achieved / ideal:.3f}")
    good = ok == args.evaluations
    if cpu_rows:
        print(f"CPU per evaluation, {args.cpu_evaluations} evaluations per mode, {args.cpu_inflight} in flight "
              "(ratios to single Evaluate):")
        base_a, base_c = cpu_rows[0][1], cpu_rows[0][2]
        for name, agent_s, client_s, n_ok in cpu_rows:
            print(f"  {name:<18} agent {agent_s * 1e3:6.3f} ms ({agent_s / base_a:5.2f})   client "
                  f"{client_s * 1e3:6.3f} ms ({client_s / base_c:5.2f})   {n_ok}/{args.cpu_evaluations} OK")
            good = good and n_ok == args.cpu_evaluations
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
