"""TQue depth in the cycle model: our streaming add (tests/timing/kernels/stream_add.cpp, z = x + y in float16
through TQue queues) at BUFFER_NUM 1 and 2 with the same tiles, on one core and on every AIV, for several tile
sizes. Prints simulated time per depth and the gain of depth 2 (issue 14's target: at least 10% on one core).

    .venv/bin/python benchmarks/tque_depth.py [--hardware ascend910b2] [--elements N] [--tiles 2048,8192,16384]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hawk.v1 import result_pb2, task_pb2  # noqa: E402
from npu_agent.simnpu import Twin  # noqa: E402
from npu_agent.simnpu.timing import simulate_file  # noqa: E402

KERNEL = REPO / "tests" / "timing" / "kernels" / "stream_add.cpp"


def simulated_us(twin: Twin, n: int, blocks: int, tile: int, depth: int, work: Path) -> float:
    entry = f"stream_add_d{depth}"
    spec = task_pb2.TaskSpec(
        name=entry, kernel_entry=entry, default_block_dim=blocks,
        inputs=[task_pb2.TensorSpec(name=k, shape=[n], dtype=task_pb2.FLOAT16) for k in "xy"],
        outputs=[task_pb2.TensorSpec(name="z", shape=[n], dtype=task_pb2.FLOAT16)],
        reference_source="def reference(x, y):\n    return x + y\n", reference_entry="reference")
    built = twin.compile(f"#define STREAM_TOTAL {n}u\n#define STREAM_TILE {tile}u\n" + KERNEL.read_text(), entry,
                         timeout_s=300)
    if built.status != result_pb2.OK:
        raise SystemExit(f"compile failed: {built.message}\n{built.log_tail}")
    rng = np.random.default_rng(1)
    x, y = (rng.uniform(-1, 1, n).astype(np.float16) for _ in range(2))
    rec = work / f"{entry}-{blocks}-{tile}.rec"
    r = twin.run(built.binary, spec, {"x": x, "y": y}, record_to=rec, timeout_s=1800)
    if not r.ok:
        raise SystemExit(f"run failed: {r.message}")
    if not np.array_equal(r.outputs["z"], (x.astype(np.float32) + y.astype(np.float32)).astype(np.float16)):
        raise SystemExit("wrong answer")
    us = simulate_file(rec, twin.hardware).time_us
    rec.unlink(missing_ok=True)
    return us


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hardware", default="ascend910b2")
    ap.add_argument("--elements", type=int, default=1 << 20, help="elements per core (default 1 Mi)")
    ap.add_argument("--tiles", default="2048,4096,8192,16384", help="halves per tile")
    ap.add_argument("--work-root", default=os.environ.get("HAWK_SIM_WORK_ROOT", ""))
    args = ap.parse_args(argv)
    root = Path(args.work_root) if args.work_root else Path(tempfile.gettempdir()) / f"hawk-tque-{os.getuid()}"
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o711)
    twin = Twin(args.hardware, work_root=root)
    work = Path(tempfile.mkdtemp(prefix="tque-", dir=root))
    arch = str(twin.hardware.get("soc", "architecture", "separated"))
    cores = twin.hardware.aic_cores if arch == "coupled" else twin.hardware.aiv_cores
    print(f"{args.hardware}: streaming add, {args.elements:,} float16 elements per core")
    print("| cores | tile | depth 1 us | depth 2 us | depth-2 gain |")
    print("|---:|---:|---:|---:|---:|")
    for blocks in (1, cores):
        for tile in (int(t) for t in args.tiles.split(",")):
            n = args.elements * blocks
            if (n // blocks) % tile:
                continue
            d1, d2 = (simulated_us(twin, n, blocks, tile, d, work) for d in (1, 2))
            print(f"| {blocks} | {tile * 2 // 1024} KiB | {d1:,.2f} | {d2:,.2f} | {1 - d2 / d1:.1%} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
