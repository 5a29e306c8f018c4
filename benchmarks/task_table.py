"""Run every built-in baseline (and expert) kernel on the twin at full size and write docs/task-baselines.md.

    .venv/bin/python benchmarks/task_table.py                    # all tasks, full size, 1 input set each
    .venv/bin/python benchmarks/task_table.py --tasks category:softmax add_fp16_8192x8192 --sets 3
    .venv/bin/python benchmarks/task_table.py --reduced --output -   # quick: test_dims, print only

Each kernel is compiled once, verified with the agent's protocol (fresh seeds, separate buffers, poisoned
outputs) and its last run profiled. The floor (npu_agent/floor.py) is always printed; the time, bottleneck
and floor fraction need a profile from the twin's cycle model and read "-" until it returns one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hawk.v1 import result_pb2  # noqa: E402
from npu_agent import taskspec  # noqa: E402
from npu_agent.floor import floor  # noqa: E402
from tasks import catalogue  # noqa: E402
from tasks.evaluate import Compiled, TwinUnavailable, twin_backend  # noqa: E402


def _bottleneck(p: result_pb2.Profile) -> str:
    b = p.bottleneck
    if not b.kind:
        return "-"
    kind = result_pb2.Bottleneck.Kind.Name(b.kind).removesuffix("_BOUND").lower()
    pipe = result_pb2.Pipe.Name(b.pipe).lower() if b.pipe else ""
    return f"{kind} {pipe} {b.ratio:.2f}".strip() if kind == "pipe" else f"{kind}{f' ({pipe})' if pipe else ''}"


def measure(names: list[str], reduced: bool, sets: int, hardware: str) -> tuple[list[dict], str]:
    tasks = catalogue.resolve(names or ["all"])
    try:
        backend = twin_backend(hardware)
        twin_note = ""
    except TwinUnavailable as e:
        backend, twin_note = None, str(e)
    rows: list[dict] = []
    for t in tasks:
        t = t.reduced() if reduced else t
        f = floor(t.spec, hardware)
        base_time = None
        for kind, path in (("baseline", t.baseline), ("expert", t.expert)):
            if path is None:
                continue
            row = {"task": t.name, "kernel": kind, "category": t.spec.category, "floor_us": f.floor_us,
                   "bound": f.bound, "status": "not run", "message": twin_note, "time_us": None,
                   "bottleneck": "-", "fraction": None, "speedup": None, "wall_s": 0.0}
            if backend is not None:
                t0 = time.monotonic()
                compiled = Compiled(backend, path.read_text(encoding="utf-8"), t.spec)
                check = compiled.check(taskspec.fresh_seeds(sets))
                row.update(status=check.status, message=check.message, wall_s=round(time.monotonic() - t0, 1))
                p = check.profile
                if check.ok and p is not None and p.time_us > 0:
                    row.update(time_us=p.time_us, bottleneck=_bottleneck(p), fraction=f.fraction(p.time_us))
                    if kind == "baseline":
                        base_time = p.time_us
                    elif base_time:
                        row["speedup"] = base_time / p.time_us
            rows.append(row)
            print(f"{t.name:<28} {kind:<8} {row['status']:<14} floor {f.floor_us:9.2f} us"
                  + (f"  time {row['time_us']:10.2f} us" if row["time_us"] else "")
                  + (f"  {row['message'][:100]}" if row["status"] not in ("OK",) and row["message"] else ""),
                  file=sys.stderr, flush=True)
    if backend is not None:
        backend.close()
    return rows, twin_note


def _fmt(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def markdown(rows: list[dict], reduced: bool, sets: int, hardware: str, twin_note: str) -> str:
    out = [
        "# Baseline and expert kernels of the built-in tasks",
        "",
        "Produced by `benchmarks/task_table.py` (rerun it to refresh this page; it takes the twin a while at full",
        f"size). Hardware profile `{hardware}`; {'test_dims (reduced sizes)' if reduced else 'full task sizes'};",
        f"{sets} verification input set(s) per kernel, from fresh seeds. Floor: `npu_agent/floor.py` (docs/tasks.md).",
        "",
        "*Verified* is the twin's functional verdict. *Time*, *bottleneck*, *floor fraction* (floor / time) and",
        "*speedup* (baseline time / expert time) come from the twin's cycle model (issue 7) and read `-` until the",
        "twin returns a profile; the floor column never waits.",
        "",
    ]
    if twin_note:
        out += [f"> The twin was not available when this table was made: {twin_note}", ""]
    out += ["| Task | Kernel | Verified | Time us | Bottleneck | Floor us | Bound | Floor fraction | Speedup |",
            "|---|---|---|---:|---|---:|---|---:|---:|"]
    for r in rows:
        status = r["status"] if r["status"] == "OK" else f"{r['status']}: {r['message'][:80]}" if r["message"] else r["status"]
        out.append(f"| `{r['task']}` | {r['kernel']} | {status} | {_fmt(r['time_us'], '.2f')} | {r['bottleneck']} | "
                   f"{r['floor_us']:.2f} | {r['bound']} | {_fmt(r['fraction'], '.3f')} | {_fmt(r['speedup'], '.2f')} |")
    passed = sum(r["status"] == "OK" for r in rows)
    out += ["", f"{passed} of {len(rows)} kernels verified."]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", nargs="*", default=[], help="names, category:NAME, task files (default: all)")
    ap.add_argument("--reduced", action="store_true", help="run at test_dims instead of the full sizes")
    ap.add_argument("--sets", type=int, default=1, help="verification input sets per kernel (default 1)")
    ap.add_argument("--hardware", default="ascend910b2")
    ap.add_argument("--output", default=str(ROOT / "docs" / "task-baselines.md"), help="markdown file, '-' = stdout")
    ap.add_argument("--json", help="also write the rows as JSON to this file")
    args = ap.parse_args(argv)
    rows, note = measure(args.tasks, args.reduced, args.sets, args.hardware)
    text = markdown(rows, args.reduced, args.sets, args.hardware, note)
    if args.output == "-":
        print(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0 if all(r["status"] == "OK" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
