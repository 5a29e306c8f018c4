"""Wall time of one evaluation on a real simnpu agent, split by stage: the cost of running task references.

Runs each named demo task's baseline kernel a few times (cache bypassed) through a real gRPC agent on
127.0.0.1 and prints the mean total and verifying-stage seconds, so the out-of-process reference can be
compared with the in-process one it replaced (see docs/agent.md, "Task references").

    .venv/bin/python benchmarks/bench_reference.py [--runs 5] [--task demo_add_fp16 ...]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from hawk.v1 import agent_pb2, result_pb2
from npu_agent import taskspec
from npu_agent.client import AgentClient
from npu_agent.server import Agent, AgentConfig

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--task", action="append", help="task name in tasks/demo.toml (default: all)")
    args = ap.parse_args()
    defs = taskspec.load_task_file(ROOT / "tasks" / "demo.toml")
    defs = [d for d in defs if not args.task or d.name in args.task]
    with Agent(AgentConfig(port=0, backend="simnpu")) as agent, AgentClient(agent.address) as client:
        client.wait_ready()
        for d in defs:
            (task_hash,) = client.put_task(d)
            source = d.baseline.read_text()
            totals, verify = [], []
            for i in range(args.runs + 1):
                t0 = time.monotonic()
                r = client.evaluate(task_hash, source, options=agent_pb2.EvaluateOptions(bypass_cache=True))
                if r.status != result_pb2.OK:
                    print(f"{d.name}: {result_pb2.Status.Name(r.status)}: {r.message}")
                    return 1
                if i == 0:
                    continue  # warm-up: the first compile fills the compile cache
                totals.append(time.monotonic() - t0)
                verify.append(sum(s.seconds for s in r.stage_timings
                                  if s.stage in (result_pb2.VERIFYING, result_pb2.PROFILING)))
            print(f"{d.name}: {args.runs} runs, total {statistics.mean(totals):.3f} s "
                  f"(min {min(totals):.3f}), verifying+profiling {statistics.mean(verify):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
