"""`hawk twin-vs-device`: the kernel set (built-in tasks' baselines, the twin's hardware-exception kernels, or the
user's own) run on two backends through the agent, and where their verdicts and profiles differ
(npu_agent/twin_vs_device.py does the runs; docs/twin-vs-device.md)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXCEPTION_KERNELS_DIR = REPO / "tests" / "simnpu" / "kernels"  # the twin's checker kernels (a repo checkout)
# One kernel per HardwareException class the twin raises (tests/simnpu/test_checker.py), each faulting on a
# 256-element float16 copy task.
EXCEPTION_KERNELS = ("ub_access.cpp", "ub_initbuffer.cpp", "misaligned.cpp", "gm_oob.cpp", "repeat_range.cpp",
                     "dtype.cpp", "queue_position.cpp", "pipe_buffers.cpp", "deque_empty.cpp", "queue_misuse.cpp",
                     "vector_on_cube.cpp", "cube_on_vector.cpp", "l1_overflow.cpp", "l0c_access.cpp", "deadlock.cpp")


def _side(text: str, hardware: str) -> Any:
    from npu_agent.twin_vs_device import Side

    backend, _, hw = text.partition("@")
    if not backend:
        raise SystemExit(f"hawk twin-vs-device: error: backend {text!r}: expected NAME or NAME@HARDWARE")
    return Side(backend=backend, hardware=hw or hardware)


def _fault_task() -> Any:
    from hawk.v1 import task_pb2

    t = [task_pb2.TensorSpec(name=n, shape=[256], dtype=task_pb2.FLOAT16) for n in ("x", "z")]
    return task_pb2.TaskSpec(name="hw_exception", category="exception", kernel_entry="fault_kernel", inputs=[t[0]],
                             outputs=[t[1]], reference_source="def reference(x):\n    return x.copy()\n",
                             reference_entry="reference", default_block_dim=4, verify_sets=1)


def kernel_set(args: argparse.Namespace) -> list[Any]:
    """The kernels the arguments name: user kernels, else built-in baselines (+ exception kernels)."""
    from npu_agent.twin_vs_device import Kernel
    from tasks import catalogue

    def sized(t: Any) -> Any:
        return t.with_dims(**t.test_dims) if args.small and t.test_dims and t.table is not None else t

    kernels = []
    for item in args.kernel or []:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"hawk twin-vs-device: error: --kernel {item!r}: expected TASK=PATH")
        t = sized(catalogue.find(name, args.task_file or ()))
        kernels.append(Kernel(name=Path(path).name, task=t.spec, source=Path(path).read_text()))
    if kernels:
        return kernels
    if args.tasks:
        tasks = [catalogue.find(n.strip(), args.task_file or ()) for n in args.tasks.split(",") if n.strip()]
    else:
        tasks = catalogue.resolve(args.task_file) if args.task_file else catalogue.all_tasks()
    for t in tasks:
        if t.baseline is not None:
            kernels.append(Kernel(name=f"{t.name}/baseline", task=sized(t).spec, source=t.baseline.read_text()))
    if args.exceptions != "none":
        src = Path(args.exceptions_dir) if args.exceptions_dir else EXCEPTION_KERNELS_DIR
        wanted = EXCEPTION_KERNELS if args.exceptions == "all" else tuple(
            f"{n.strip().removesuffix('.cpp')}.cpp" for n in args.exceptions.split(",") if n.strip())
        missing = [n for n in wanted if not (src / n).is_file()]
        if missing and (args.exceptions != "all" or args.exceptions_dir):
            raise SystemExit(f"hawk twin-vs-device: error: no exception kernel {', '.join(missing)} in {src}")
        spec = _fault_task()
        kernels += [Kernel(name=n, task=spec, source=(src / n).read_text()) for n in wanted if (src / n).is_file()]
    if not kernels:
        raise SystemExit("hawk twin-vs-device: error: no kernels to run (no baselines and no exception kernels)")
    return kernels


def _run(args: argparse.Namespace) -> int:
    from npu_agent.errors import EXIT_FAILED, EXIT_OK, CliError
    from npu_agent.twin_vs_device import BackendUnavailable, format_json, format_text, run_kernels

    a, b = _side(args.a, args.hardware), _side(args.b, args.hardware)
    kernels = kernel_set(args)
    if not getattr(args, "verbose", 0):  # the local agents' start-up notices are not this command's output
        logging.getLogger("npu_agent").setLevel(logging.ERROR)

    def progress(rep: Any) -> None:
        if not args.json:
            print(f"  {rep.kernel}: {'same' if rep.agree else 'differs'}", file=sys.stderr, flush=True)

    try:
        reports = run_kernels(kernels, a, b, timeout_s=args.timeout, work_root=args.work_dir and Path(args.work_dir), time_tolerance=args.time_tolerance,
                              ratio_tolerance=args.ratio_tolerance, on_kernel=progress)
    except BackendUnavailable as e:
        raise CliError(str(e)) from None
    print(format_json(reports, a, b) if args.json else format_text(reports, a, b))
    return EXIT_OK if all(r.agree for r in reports) else EXIT_FAILED


def _fraction(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= v < 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"{text}: expected a fraction in [0, 1)")
    return v


def add_twin_vs_device_command(sub: argparse._SubParsersAction) -> None:
    from npu_agent.cli import seconds_arg

    p = sub.add_parser("twin-vs-device", help="run a kernel set on two backends and show where verdicts and profiles "
                                              "differ (the twin vs a CANN device)")
    p.add_argument("--a", default="simnpu", metavar="BACKEND[@HW]", help="first backend (default simnpu)")
    p.add_argument("--b", default="cann", metavar="BACKEND[@HW]", help="second backend (default cann)")
    p.add_argument("--hardware", default="ascend910b2", help="hardware profile of a side without @HW")
    p.add_argument("--tasks", metavar="NAME,...", help="built-in tasks whose baselines to run (default: all)")
    p.add_argument("--task-file", action="append", metavar="FILE", help="task file (TOML) to read; repeatable")
    p.add_argument("--kernel", action="append", metavar="TASK=PATH",
                   help="run this kernel file for TASK instead of the baselines; repeatable")
    p.add_argument("--exceptions", default="all", metavar="all|none|NAME,...",
                   help="the twin's hardware-exception kernels to add (default all; one per exception class)")
    p.add_argument("--exceptions-dir", metavar="DIR", help=f"where they are (default {EXCEPTION_KERNELS_DIR})")
    p.add_argument("--small", action="store_true", help="run tasks at their test sizes (quick check)")
    p.add_argument("--timeout", type=seconds_arg(0, 86400), default=300.0, help="seconds per stage (default 300)")
    p.add_argument("--time-tolerance", type=_fraction, default=0.10, help="relative time difference shown (0.10)")
    p.add_argument("--ratio-tolerance", type=_fraction, default=0.05, help="pipe ratio difference shown (0.05)")
    p.add_argument("--work-dir", metavar="DIR", help="the agents' work dirs, kept between runs (default "
                                                    "$HAWK_SIM_WORK_ROOT/twin-vs-device or a per-user temp dir)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=_run)
