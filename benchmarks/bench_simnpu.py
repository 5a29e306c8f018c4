"""Benchmark of the Ascend C twin: compile time (cold: no precompiled header; with the PCH; cache hit) and run
time of the four examples in examples/kernels/ on their tasks (examples/tasks/examples.toml).

    .venv/bin/python benchmarks/bench_simnpu.py [--repeats 3] [--hardware ascend910b2]

Every compile and run goes through the sandbox, as in the agent. Times are host wall seconds (medians).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hawk.v1 import result_pb2  # noqa: E402
from npu_agent import taskspec  # noqa: E402
from npu_agent.simnpu import Twin  # noqa: E402
from npu_agent.simnpu.compiler import CandidateCompiler  # noqa: E402

EXAMPLES = {  # task name -> kernel file
    "example_add_fp16": "add_custom.cpp",
    "example_softmax_fp16": "softmax_custom.cpp",
    "example_layernorm_fp32": "layernorm_custom.cpp",
    "example_matmul_fp16": "matmul_custom.cpp",
}


def _timed_compile(compiler: CandidateCompiler, source: str, entry: str) -> float:
    r = compiler.compile(source, entry)
    if r.status != result_pb2.OK:
        raise SystemExit(f"compile failed: {r.message}\n{r.log_tail}")
    return r.seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--hardware", default="ascend910b2")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="hawk-bench-simnpu-"))
    root.chmod(0o711)
    try:
        t0 = time.monotonic()
        twin = Twin(args.hardware, work_root=root)
        print(f"twin build (runtime object + precompiled header, once per twin version): "
              f"{time.monotonic() - t0:.2f} s")
        tasks = {t.name: t.spec for t in taskspec.load_task_file(REPO / "examples" / "tasks" / "examples.toml")}
        print(f"{'example':26} {'cold s':>8} {'pch s':>8} {'hit ms':>8} {'run s':>8}  blocks")
        for name, kernel in EXAMPLES.items():
            spec = tasks[name]
            source = (REPO / "examples" / "kernels" / kernel).read_text()
            cold, warm, hit = [], [], []
            for i in range(args.repeats):
                salt = f"\n// bench {i} {time.monotonic_ns()}\n"  # a new cache key for every measured compile
                nopch = CandidateCompiler(twin.build, root / "cache-nopch", twin.sandbox, use_pch=False)
                cold.append(_timed_compile(nopch, source + salt, spec.kernel_entry))
                warm.append(_timed_compile(twin.compiler, source + salt, spec.kernel_entry))
                hit.append(_timed_compile(twin.compiler, source + salt, spec.kernel_entry))
            binary = twin.compile(source, spec.kernel_entry).binary
            inputs = taskspec.generate_inputs(spec, 1)
            runs, blocks = [], 0
            for _ in range(args.repeats):
                r = twin.run(binary, spec, inputs)
                if not r.ok:
                    raise SystemExit(f"{name}: {r.message}")
                runs.append(r.seconds)
                blocks = r.stats.get("block_dim", 0)
            med = statistics.median
            print(f"{name:26} {med(cold):8.3f} {med(warm):8.3f} {med(hit) * 1e3:8.2f} {med(runs):8.3f}  {blocks}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
