"""`hawk tasks list|show`: browse the built-in operator tasks (and tasks in user task files)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _tensor_text(t: Any) -> str:
    from npu_agent.taskspec import dtype_name

    return f"{t.name}[{','.join(str(d) for d in t.shape)}]:{dtype_name(t.dtype)}"


def _dist_text(t: Any) -> str:
    from hawk.v1 import task_pb2

    d = t.distribution
    kind = d.kind or task_pb2.Distribution.UNIFORM
    if kind == task_pb2.Distribution.NORMAL:
        return f"normal(mean={d.mean:g}, std={d.std or 1.0:g})"
    low, high = (d.low, d.high) if (d.low or d.high) else (-1.0, 1.0)
    name = "integers" if kind == task_pb2.Distribution.INTEGERS else "uniform"
    return f"{name}[{low:g}, {high:g})"


def _load(args: argparse.Namespace) -> list[Any]:
    from tasks import catalogue

    if args.task_file:
        return catalogue.resolve(args.task_file)
    return catalogue.all_tasks()


def _find(args: argparse.Namespace) -> Any:
    from tasks import catalogue

    return catalogue.find(args.name, args.task_file or ())


def _row(t: Any, hardware: str) -> dict[str, Any]:
    from controller.search import offline_search_kind
    from npu_agent.floor import floor

    f = floor(t.spec, hardware)
    return {
        "name": t.name, "category": t.spec.category,
        "inputs": [_tensor_text(x) for x in t.spec.inputs], "outputs": [_tensor_text(x) for x in t.spec.outputs],
        "floor_us": round(f.floor_us, 3), "bound": f.bound,
        "baseline": str(t.baseline) if t.baseline else None, "expert": str(t.expert) if t.expert else None,
        "search": offline_search_kind(t),  # what the offline proposer searches: "template", "transform" or ""
    }


def _list(args: argparse.Namespace) -> int:
    from npu_agent.taskspec import TaskError

    try:
        tasks = _load(args)
    except TaskError as e:
        print(f"hawk tasks list: {e}", file=sys.stderr)
        return 2
    if args.category:
        known = sorted({t.spec.category for t in tasks})
        if args.category not in known:
            raise SystemExit(f"hawk tasks list: no task has category {args.category!r}; categories: {', '.join(known)}")
        tasks = [t for t in tasks if t.spec.category == args.category]
    rows = [_row(t, args.hardware) for t in tasks]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max((len(r["name"]) for r in rows), default=4)
    print(f"{'NAME':<{width}}  {'CATEGORY':<13}  {'FLOOR us':>9}  {'BOUND':<6}  KERNELS  {'SEARCH':<9}  SIGNATURE")
    for r in rows:
        kernels = ("B" if r["baseline"] else "-") + ("E" if r["expert"] else "-")
        sig = ", ".join(r["inputs"]) + " -> " + ", ".join(r["outputs"])
        print(f"{r['name']:<{width}}  {r['category']:<13}  {r['floor_us']:>9.2f}  {r['bound']:<6}  {kernels:<7}  "
              f"{r['search'] or '-':<9}  {sig}")
    print(f"{len(rows)} tasks (kernels: B = baseline, E = expert; floor on {args.hardware}; search: what the offline "
          "proposer searches, a template's parameters or transformations of the baseline, - = nothing)")
    return 0


def _show(args: argparse.Namespace) -> int:
    from npu_agent.floor import floor
    from npu_agent.taskspec import TaskError, dtype_name, task_hash, tolerance

    try:
        t = _find(args)
    except TaskError as e:
        print(f"hawk tasks show: {e}", file=sys.stderr)
        return 2
    spec = t.spec
    f = floor(spec, args.hardware)
    out_dtypes = sorted({o.dtype for o in spec.outputs})
    info = {
        "name": spec.name, "category": spec.category, "version": spec.version, "hash": task_hash(spec),
        "description": spec.description, "dims": t.dims, "test_dims": t.test_dims,
        "verify_dims": t.verify_dims or None,
        "kernel_entry": spec.kernel_entry, "block_dim": spec.default_block_dim,
        "arguments": [*(x.name for x in spec.inputs), *(x.name for x in spec.outputs), "workspace", "tiling"],
        "inputs": [{"tensor": _tensor_text(x), "distribution": _dist_text(x)} for x in spec.inputs],
        "outputs": [_tensor_text(x) for x in spec.outputs],
        "tolerance": {dtype_name(d): dict(zip(("atol", "rtol"), tolerance(spec, d), strict=True)) for d in out_dtypes},
        "attributes": dict(spec.attributes), "verify_sets": spec.verify_sets or None,
        "floor": f.as_dict(),
        "baseline": str(t.baseline) if t.baseline else None, "expert": str(t.expert) if t.expert else None,
        "source": str(t.source_path) if t.source_path else None,
        "reference": spec.reference_source,
    }
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"{spec.name}  ({spec.category}, version {spec.version})  hash {info['hash'][:16]}")
    if spec.description:
        print(f"\n{spec.description}\n")
    print(f"dims:        {t.dims}   (tests: {t.test_dims})")
    if t.verify_dims:
        print(f"verified at: {t.verify_dims}   (timed at dims by a timing-only run where the agent can)")
    print(f"kernel:      extern \"C\" {spec.kernel_entry}({', '.join(info['arguments'])})"
          f"   block_dim {spec.default_block_dim or 'agent default'}")
    for x in info["inputs"]:
        print(f"input:       {x['tensor']:<28} {x['distribution']}")
    for o in info["outputs"]:
        print(f"output:      {o}")
    for d, tol in info["tolerance"].items():
        print(f"tolerance:   {d}: |out - ref| <= {tol['atol']:g} + {tol['rtol']:g} * |ref|")
    if spec.attributes:
        print(f"attributes:  {dict(spec.attributes)}")
    print(f"floor:       {f.floor_us:.2f} us on {f.hardware}, {f.bound} bound "
          f"(gm {f.gm_us:.2f}, vector {f.vector_us:.2f}, cube {f.cube_us:.2f}, launch {f.launch_us:.2f}; "
          f"{f.gm_bytes} B, {f.vector_element_ops} vector ops, {f.cube_macs} MACs)")
    print(f"baseline:    {info['baseline'] or '-'}")
    print(f"expert:      {info['expert'] or '-'}")
    print(f"defined in:  {info['source']}")
    print("reference:")
    for line in spec.reference_source.strip("\n").splitlines():
        print(f"    {line}")
    if args.baseline and t.baseline:
        print("\nbaseline source:\n" + t.baseline.read_text(encoding="utf-8"))
    return 0


def add_tasks_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tasks", help="list and show operator tasks")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--task-file", action="append", metavar="FILE",
                       help="a task file (TOML, docs/tasks.md) to read instead of / before the built-ins; repeatable")
        q.add_argument("--hardware", default="ascend910b2", help="hardware profile for the floor (default ascend910b2)")
        q.add_argument("--json", action="store_true", help="machine-readable output")

    ls = verbs.add_parser("list", help="list tasks with their signature and hardware floor")
    ls.add_argument("--category", help="only tasks of this category")
    common(ls)
    ls.set_defaults(handler=_list)
    show = verbs.add_parser("show", help="show one task: shapes, distributions, tolerance, reference, floor, kernels")
    show.add_argument("name")
    show.add_argument("--baseline", action="store_true", help="also print the baseline kernel's source")
    common(show)
    show.set_defaults(handler=_show)
