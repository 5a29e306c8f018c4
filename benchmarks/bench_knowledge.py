"""Knowledge on versus off: the offline proposer over a subset of the suite, same budget and seeds.

Runs the same campaign twice on the Ascend C twin (two local agents through Ray): once with the knowledge
actor (seed pack + run-time synthesis; its checks prune proposals) and once without. Prints per task the
evaluations wasted on failures, the evaluations to the first correct kernel, the best speedup and floor
fraction, and overall the geometric-mean ratio of on to off. One run, ratios measured in it.
Usage: .venv/bin/python benchmarks/bench_knowledge.py [--rounds 3] [--per-round 4] [--scale 8]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TASKS = ["add_fp16_8192x8192", "mul_fp32_4096x4096", "sub_fp16_4096x8192", "softmax_fp32"]


def _task_file(work: Path, scale: int) -> Path:
    """The chosen catalogue tasks with every dim divided by `scale`, so a 2-core machine runs them quickly."""
    from tasks.catalogue import get_task

    lines = []
    for name in TASKS:
        t = get_task(name)
        base = t.source_path.parent
        src = dict(t.table, dims={k: max(16, v // scale) for k, v in t.dims.items()})
        src.pop("test_dims", None)
        for key in ("baseline", "expert"):
            if key in src:
                src[key] = str((base / src[key]).resolve())
        if "template" in src.get("extra", {}):
            src["extra"] = dict(src["extra"], template=str((base / src["extra"]["template"]).resolve()))
        lines.append(_toml_task(src))
    path = work / "tasks.toml"
    path.write_text("\n".join(lines))
    return path


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"""\n' + v + '"""' if "\n" in v else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def _toml_task(t: dict) -> str:
    tables = {k: v for k, v in t.items() if isinstance(v, dict) and k in ("work", "extra", "tolerance", "attributes")}
    out = ["[[task]]"] + [f"{k} = {_toml_value(v)}" for k, v in t.items() if k not in tables]
    for k, v in tables.items():
        out.append(f"[task.{k}]")
        for kk, vv in v.items():
            out.append(f"{kk} = {_toml_value(vv)}")
    return "\n".join(out) + "\n"


def _run(work: Path, task_file: Path, knowledge: bool, rounds: int, per_round: int) -> tuple:
    from controller.farm import run_campaign
    from controller.spec import parse_spec
    from controller.store import ResultsStore

    tag = "on" if knowledge else "off"
    spec = parse_spec(f"""
name = "kb-{tag}"
tasks = ["{task_file}"]
output_dir = "{work}"
seed = 11
[budget]
rounds = {rounds}
candidates_per_round = {per_round}
[knowledge]
enabled = {str(knowledge).lower()}
db = "{work / f'knowledge-{tag}.sqlite'}"
[agents]
local = 2
local_backend = "simnpu"
""", base_dir=work)
    store = ResultsStore(work / f"results-{tag}.sqlite")
    cid = asyncio.run(run_campaign(spec, store, work_dir=work / f"agents-{tag}"))
    import ray

    ray.shutdown()
    return store, cid


def _per_task(store, cid: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    cands = {c.id: c for c in store.candidates(cid)}
    best = store.best(cid)
    for task in sorted({c.task for c in cands.values()}):
        evs = [e for e in store.evaluations(cid, task) if cands[e.candidate_id].proposer != "baseline"]
        first = next((i + 1 for i, e in enumerate(evs) if e.status == "OK"), None)
        b = best.get(task)
        floor = store.evaluation(b["candidate_id"]).floor_fraction if b else None
        out[task] = {"evals": len(evs), "wasted": sum(1 for e in evs if e.status != "OK"), "first_ok": first,
                     "speedup": b["speedup"] if b else None, "floor": floor}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--per-round", type=int, default=4)
    ap.add_argument("--scale", type=int, default=8, help="divide every task dim by this")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hawk-bench-kb-"))
    work.chmod(0o755)
    task_file = _task_file(work, args.scale)
    results = {}
    for knowledge in (True, False):
        store, cid = _run(work, task_file, knowledge, args.rounds, args.per_round)
        results[knowledge] = _per_task(store, cid)

    def fmt(v, spec: str) -> str:
        return "-" if v is None else format(v, spec)

    print(f"{'task':22s} | {'wasted on/off':>13s} | {'1st OK on/off':>13s} | {'speedup on/off':>15s} | {'floor on/off':>13s}")
    ratios = []
    for task in results[True]:
        on, off = results[True][task], results[False].get(task, {})
        print(f"{task:22s} | {on['wasted']:6d}/{off.get('wasted', 0):<6d} | {fmt(on['first_ok'], 'd'):>6s}/"
              f"{fmt(off.get('first_ok'), 'd'):<6s} | {fmt(on['speedup'], '6.2f')}/{fmt(off.get('speedup'), '<6.2f')} | "
              f"{fmt(on['floor'], '5.0%')}/{fmt(off.get('floor'), '<5.0%')}")
        if on["speedup"] and off.get("speedup"):
            ratios.append(on["speedup"] / off["speedup"])
    wasted_on = sum(r["wasted"] for r in results[True].values())
    wasted_off = sum(r["wasted"] for r in results[False].values())
    geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios)) if ratios else float("nan")
    print(f"evaluations wasted on failures: on {wasted_on}, off {wasted_off}; "
          f"geomean best-speedup ratio on/off over {len(ratios)} tasks: {geo:.2f}")


if __name__ == "__main__":
    main()
