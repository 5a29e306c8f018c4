"""`hawk bench knowledge`: knowledge on versus off at equal budget, the paper's metrics with spread over seeds.

Each (arm, seed) is a real campaign on one local farm (local Ray, two local agents on the twin, one scheduler):
the "on" arm with a fresh knowledge database of its own (seeded with the seed pack, so arms and seeds never
leak into each other), the "off" arm with knowledge disabled (no retrieval, no checks, no synthesis). Both
arms of a seed run at once on the same agents, so neither gets a quieter machine; the twin's simulated times
do not depend on the host's load anyway. Every number printed is computed from the results store (and, for
the entries that steered, from the arm's knowledge database), never from the campaign's live counters.

Metrics (per arm, mean and min..max over seeds):
- accuracy: share of tasks where the search found a correct kernel (a non-baseline candidate that passed);
- evaluations wasted on failures: non-baseline evaluations whose status is not OK, excluding INTERNAL and
  CANCELLED (the farm's own faults, not the candidate's);
- geomean best speedup: per task the baseline's time over the best kernel's (the baseline itself counts, so a
  search that found nothing faster scores 1.0), geometric mean over the tasks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The default run: 12 built-in tasks over every family, at half of every dim (a quarter of the elements of a 2-D
# task: big enough that most kernels are bound by a pipe, not by launch; at full size a loaded 2-core machine
# evaluates too slowly), 3 seeds and a budget that finish within 20 minutes (docs/knowledge.md has the timing).
DEFAULT_TASKS: tuple[str, ...] = (
    "add_fp16_8192x8192", "mul_fp32_4096x4096", "add_bias_row_fp16",  # elementwise (templates; broadcast)
    "relu_fp16",                                                       # activation
    "cast_fp32_to_fp16",                                               # cast
    "row_sum_fp32",                                                    # reduction
    "softmax_fp32",                                                    # softmax
    "rmsnorm_fp16",                                                    # normalization
    "transpose_fp16",                                                  # transpose
    "matmul_fp16_2048", "batched_matmul_fp16",                         # matmul
    "matmul_bias_relu_fp16",                                           # fusion
)
DEFAULT_BUDGET = 6
DEFAULT_SEEDS: tuple[int, ...] = (1, 2, 3)
DEFAULT_SIZE = "0.5"
PER_ROUND_MAX = 2           # candidates per round: the largest divisor of the budget up to this (more rounds,
                            # more feedback for both arms)
NOT_WASTED = frozenset({"OK", "INTERNAL", "CANCELLED"})  # INTERNAL/CANCELLED are the farm's faults, not waste
ARMS = ("on", "off")
AGENT_START_S = 1200.0      # how long local agents may take to join (building the twin on a loaded host)


class BenchError(ValueError):
    """Bad arguments for the benchmark (exit 2, one line naming the problem)."""


# ------------------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class BenchConfig:
    tasks: tuple[str, ...] = DEFAULT_TASKS
    budget: int = DEFAULT_BUDGET
    seeds: tuple[int, ...] = DEFAULT_SEEDS
    size: str = DEFAULT_SIZE
    llm_base_url: str = ""
    model: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    out: str = ""
    agents: int = 2
    hardware: str = "ascend910b2"

    @property
    def llm(self) -> bool:
        return bool(self.llm_base_url)

    @property
    def per_round(self) -> int:
        return max(d for d in range(1, PER_ROUND_MAX + 1) if self.budget % d == 0)

    @property
    def rounds(self) -> int:
        return self.budget // self.per_round


def parse_seeds(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in str(text).split(",")]
    if not parts or any(not p for p in parts):
        raise BenchError(f"--seeds {text!r}: give comma-separated non-negative integers, e.g. 1,2,3")
    try:
        seeds = tuple(int(p) for p in parts)
    except ValueError:
        raise BenchError(f"--seeds {text!r}: {next(p for p in parts if not p.lstrip('-').isdigit())!r} is not an "
                         "integer") from None
    if any(s < 0 or s >= 2**63 for s in seeds):
        raise BenchError(f"--seeds {text!r}: seeds must be in 0..2^63-1")
    if len(set(seeds)) != len(seeds):
        raise BenchError(f"--seeds {text!r}: a seed is repeated")
    return seeds


def parse_size(text: str) -> str:
    """'full', 'test' (the tasks' test_dims) or a fraction in (0, 1] applied to every dim."""
    if text in ("full", "test"):
        return text
    try:
        f = float(text)
    except ValueError:
        raise BenchError(f"--size {text!r}: give full, test or a fraction in (0, 1] such as 0.25") from None
    if not (0 < f <= 1) or not math.isfinite(f):
        raise BenchError(f"--size {text!r}: a fraction must be in (0, 1]")
    return "full" if f == 1 else repr(f)


def make_config(tasks: str | None = None, budget: int | None = None, seeds: str | None = None,
                size: str | None = None, llm_base_url: str = "", model: str = "", api_key_env: str = "OPENAI_API_KEY",
                out: str = "", agents: int = 2) -> BenchConfig:
    """Validate user input (all of it, before anything starts) into a BenchConfig."""
    names = DEFAULT_TASKS
    if tasks is not None:
        names = tuple(dict.fromkeys(t.strip() for t in tasks.split(",")))
        if not names or any(not t for t in names):
            raise BenchError(f"--tasks {tasks!r}: give comma-separated built-in task names")
    from tasks.catalogue import get_task

    for name in names:
        get_task(name)  # UnknownTask names it and close matches
    if budget is not None and budget < 1:
        raise BenchError(f"--budget {budget}: the budget (evaluations per task and campaign) must be at least 1")
    if not 1 <= agents <= 64:
        raise BenchError(f"--agents {agents}: give 1..64 local agents")
    if bool(llm_base_url) != bool(model):
        raise BenchError("--llm-base-url and --model go together")
    cfg = BenchConfig(tasks=names, budget=DEFAULT_BUDGET if budget is None else budget,
                      seeds=DEFAULT_SEEDS if seeds is None else parse_seeds(seeds),
                      size=DEFAULT_SIZE if size is None else parse_size(size), llm_base_url=llm_base_url,
                      model=model, api_key_env=api_key_env, out=out, agents=agents)
    if not cfg.llm:
        _check_offline_searchable(cfg.tasks)
    return cfg


def _check_offline_searchable(names: tuple[str, ...]) -> None:
    """Without an LLM only the offline proposer runs: refuse, before any campaign, a task it cannot search."""
    from tasks.catalogue import get_task

    try:
        from controller.search import offline_search_kind  # type: ignore[import-not-found]
    except ImportError:  # before transformation-based search: only templated tasks
        def offline_search_kind(task: Any) -> str:
            return "template" if task.extra.get("template") else ""
    bad = [n for n in names if not offline_search_kind(get_task(n))]
    if bad:
        raise BenchError(f"task {bad[0]} cannot be searched offline (no template, no applicable transformation); "
                         "give --llm-base-url and --model, or leave it out of --tasks")


# ---------------------------------------------------------------------------------------------- tasks
def _dims_at(task: Any, size: str) -> dict[str, int]:
    if size == "full":
        return dict(task.dims)
    if size == "test":
        return dict(task.dims) | dict(task.test_dims)
    f = float(size)
    # Scaled dims stay multiples of 16 (never below 16, nor above the full size), so kernels keep their tiles.
    return {k: v if v <= 16 else min(v, max(16, int(round(v * f / 16)) * 16)) for k, v in task.dims.items()}


def _toml(v: Any) -> str:
    """A TOML value (JSON string escapes are valid TOML basic-string escapes)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def sized_tasks(names: tuple[str, ...], size: str, work: Path) -> tuple[list[str], dict[str, dict[str, int]]]:
    """What the campaigns' `tasks` list names (built-in names at full size, else a task file at the size) and
    every task's dims."""
    from tasks.catalogue import get_task

    tasks = [get_task(n) for n in names]
    dims = {t.name: _dims_at(t, size) for t in tasks}
    if size == "full":
        return list(names), dims
    lines = []
    for t in tasks:
        base = (t.source_path.parent if t.source_path else Path(".")).resolve()
        table = dict(t.table or {})
        table["dims"] = dims[t.name]
        table.pop("test_dims", None)
        for key in ("baseline", "expert"):
            if key in table:
                table[key] = str((base / table[key]).resolve())
        if isinstance(table.get("extra"), dict):  # paths in extra (the template) are relative to the task file
            table["extra"] = {k: str((base / v).resolve()) if isinstance(v, str) and (base / v).is_file() else v
                              for k, v in table["extra"].items()}
        lines.append("[[task]]\n" + "".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in table.items()))
    path = work / f"tasks-{size}.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return [str(path)], dims


# --------------------------------------------------------------------------------------------- metrics
@dataclass
class TaskResult:
    evaluations: int = 0
    wasted: int = 0
    farm_faults: int = 0                 # INTERNAL / CANCELLED: not counted as waste
    correct: bool = False
    first_ok: int | None = None          # 1-based index of the first passing evaluation
    baseline_us: float | None = None
    best_us: float | None = None
    speedup: float | None = None         # baseline / best (>= 1: the baseline counts), None if it failed
    statuses: dict[str, int] = field(default_factory=dict)
    knowledge_guided: int = 0            # candidates that applied at least one entry
    pruned: int = 0                      # proposals stopped by checks before dispatch


def measure(store: Any, campaign_id: str, names: list[str]) -> dict[str, TaskResult]:
    """The per-task metrics of one campaign, from the results store."""
    out: dict[str, TaskResult] = {}
    best = store.best(campaign_id)
    for name in names:
        cands = {c.id: c for c in store.candidates(campaign_id, name)}
        evs = [e for e in store.evaluations(campaign_id, name) if cands[e.candidate_id].proposer != "baseline"]
        r = TaskResult(evaluations=len(evs))
        r.statuses = dict(Counter(e.status for e in evs))
        r.wasted = sum(1 for e in evs if e.status not in NOT_WASTED)
        r.farm_faults = sum(1 for e in evs if e.status in NOT_WASTED and e.status != "OK")
        r.first_ok = next((i + 1 for i, e in enumerate(evs) if e.status == "OK"), None)
        r.correct = r.first_ok is not None
        r.knowledge_guided = sum(1 for c in cands.values() if c.proposer != "baseline" and c.knowledge_used)
        r.baseline_us = store.baseline(campaign_id, name)
        b = best.get(name)
        r.best_us = b["time_us"] if b else None
        if r.baseline_us and r.best_us:
            r.speedup = max(1.0, r.baseline_us / r.best_us)
        out[name] = r
    return out


def geomean(xs: list[float]) -> float | None:
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def spread(xs: list[float | None]) -> dict[str, float | None]:
    v = [x for x in xs if x is not None]
    if not v:
        return {"mean": None, "min": None, "max": None}
    return {"mean": sum(v) / len(v), "min": min(v), "max": max(v)}


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b; inf when only b is zero, None when unknown or both zero."""
    if a is None or b is None:
        return None
    if b == 0:
        return None if a == 0 else math.inf
    return a / b


@dataclass
class ArmSeed:
    arm: str
    seed: int
    campaign_id: str
    state: str
    reason: str
    tasks: dict[str, TaskResult]
    entries: list[dict[str, Any]] = field(default_factory=list)  # on arm: the entries that steered

    @property
    def accuracy(self) -> float:
        return sum(r.correct for r in self.tasks.values()) / len(self.tasks) if self.tasks else 0.0

    @property
    def wasted(self) -> int:
        return sum(r.wasted for r in self.tasks.values())

    @property
    def evaluations(self) -> int:
        return sum(r.evaluations for r in self.tasks.values())

    @property
    def geomean_speedup(self) -> float | None:
        return geomean([r.speedup for r in self.tasks.values() if r.speedup])


def entry_usage(kb_path: Path, store: Any, campaign_id: str) -> list[dict[str, Any]]:
    """Which entries the on arm applied (from the candidates) and what they did (the knowledge store's effects)."""
    used: Counter[str] = Counter(e for c in store.candidates(campaign_id) for e in c.knowledge_used)
    if not used or not kb_path.exists():
        return []
    from knowledge.store import KnowledgeStore

    kb = KnowledgeStore(kb_path)
    try:
        stats = kb.stats_for(list(used))
        rows = []
        for eid, n in used.most_common():
            try:
                e = kb.get(eid)
                title, origin = e.title, e.origin
            except Exception:  # an id the arm recorded but the store no longer holds is still reported
                title, origin = "?", "?"
            s = stats.get(eid)
            rows.append({"id": eid, "title": title, "origin": origin, "candidates": n,
                         "uses": s.uses if s else 0, "fixes": s.fixes if s else 0, "breaks": s.breaks if s else 0,
                         "fails": s.fails if s else 0, "mean_effect": s.mean_effect if s else 0.0,
                         "geomean_speedup": s.geomean_speedup if s else None})
        return rows
    finally:
        kb.close()


def summarize(cfg: BenchConfig, runs: list[ArmSeed], dims: dict[str, dict[str, int]], elapsed_s: float,
              work: Path, campaigns_s: float | None = None) -> dict[str, Any]:
    """Everything the text and JSON outputs show."""
    arms: dict[str, Any] = {}
    for arm in ARMS:
        rs = sorted((r for r in runs if r.arm == arm), key=lambda r: r.seed)
        arms[arm] = {
            "accuracy": spread([r.accuracy for r in rs]),
            "wasted": spread([r.wasted for r in rs]) | {"total": sum(r.wasted for r in rs)},
            "evaluations": spread([r.evaluations for r in rs]) | {"total": sum(r.evaluations for r in rs)},
            "geomean_speedup": spread([r.geomean_speedup for r in rs]),
            "per_seed": {r.seed: {"campaign": r.campaign_id, "state": r.state, "reason": r.reason,
                                  "accuracy": r.accuracy, "wasted": r.wasted, "evaluations": r.evaluations,
                                  "geomean_speedup": r.geomean_speedup} for r in rs},
        }
    by = {(r.arm, r.seed): r for r in runs}
    per_seed_wasted = [ratio(by[("off", s)].wasted, by[("on", s)].wasted) for s in cfg.seeds]
    per_seed_speed = [ratio(by[("on", s)].geomean_speedup, by[("off", s)].geomean_speedup) for s in cfg.seeds]
    tasks: dict[str, Any] = {}
    for name in cfg.tasks:
        row: dict[str, Any] = {"dims": dims.get(name, {})}
        for arm in ARMS:
            rs = [by[(arm, s)].tasks[name] for s in cfg.seeds]
            row[arm] = {"correct": sum(r.correct for r in rs), "wasted": sum(r.wasted for r in rs),
                        "evaluations": sum(r.evaluations for r in rs),
                        "speedup": spread([r.speedup for r in rs]),
                        "first_ok": spread([r.first_ok for r in rs]),
                        "knowledge_guided": sum(r.knowledge_guided for r in rs),
                        "pruned": sum(r.pruned for r in rs),
                        "statuses": dict(sum((Counter(r.statuses) for r in rs), Counter()))}
        tasks[name] = row
    entries: dict[str, dict[str, Any]] = {}
    for r in runs:
        for e in r.entries:
            agg = entries.setdefault(e["title"] + " [" + e["origin"] + "]", {"candidates": 0, "uses": 0, "fixes": 0,
                                                                           "breaks": 0, "fails": 0, "effect_sum": 0.0})
            for k in ("candidates", "uses", "fixes", "breaks", "fails"):
                agg[k] += e[k]
            agg["effect_sum"] += e["mean_effect"] * e["uses"]
    return {
        "config": {"tasks": list(cfg.tasks), "budget": cfg.budget, "rounds": cfg.rounds,
                   "candidates_per_round": cfg.per_round, "seeds": list(cfg.seeds), "size": cfg.size,
                   "proposer": "llm" if cfg.llm else "offline", "model": cfg.model or None,
                   "agents": cfg.agents, "hardware": cfg.hardware},
        "machine": {"cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())},
        "elapsed_s": elapsed_s,
        "campaigns_s": campaigns_s,
        "work_dir": str(work),
        "arms": arms,
        "ratios": {
            "wasted_off_on": ratio(arms["off"]["wasted"]["total"], arms["on"]["wasted"]["total"]),
            "wasted_off_on_per_seed": spread(per_seed_wasted),
            "geomean_speedup_on_off": spread(per_seed_speed),
            "geomean_speedup_on_off_pooled": geomean([
                by[("on", s)].tasks[n].speedup / by[("off", s)].tasks[n].speedup
                for s in cfg.seeds for n in cfg.tasks
                if by[("on", s)].tasks[n].speedup and by[("off", s)].tasks[n].speedup]),
        },
        "tasks": tasks,
        "entries": dict(sorted(entries.items(), key=lambda kv: -kv[1]["candidates"])),
    }


# ---------------------------------------------------------------------------------------------- output
def _f(x: float | None, spec: str = ".2f") -> str:
    if x is None:
        return "-"
    if math.isinf(x):
        return "inf"
    return format(x, spec)


def _sp(s: dict[str, float | None], spec: str = ".2f") -> str:
    if s["mean"] is None:
        return "-"
    if s["min"] == s["max"]:
        return _f(s["mean"], spec)
    return f"{_f(s['mean'], spec)} ({_f(s['min'], spec)}..{_f(s['max'], spec)})"


def render(summary: dict[str, Any]) -> str:
    c = summary["config"]
    n_seeds = len(c["seeds"])
    lines = [
        f"hawk bench knowledge: {len(c['tasks'])} tasks x seeds {','.join(map(str, c['seeds']))}, budget "
        f"{c['budget']} evaluations per task ({c['rounds']} rounds of {c['candidates_per_round']}; baseline "
        f"excluded), size {c['size']}, proposer {c['proposer']}" + (f" ({c['model']})" if c["model"] else "")
        + f", {c['agents']} local agents on the twin ({c['hardware']})",
        "",
        f"{'metric (mean (min..max) over seeds)':40s} | {'knowledge on':>24s} | {'knowledge off':>24s}",
    ]
    a = summary["arms"]
    for label, key, spec in (("accuracy (tasks with a correct kernel)", "accuracy", ".0%"),
                             ("evaluations wasted on failures", "wasted", ".1f"),
                             ("evaluations (non-baseline)", "evaluations", ".1f"),
                             ("geomean best speedup over baseline", "geomean_speedup", ".3f")):
        lines.append(f"{label:40s} | {_sp(a['on'][key], spec):>24s} | {_sp(a['off'][key], spec):>24s}")
    r = summary["ratios"]
    lines += [
        "",
        f"wasted off/on: {_f(r['wasted_off_on'])} (totals {a['off']['wasted']['total']}/{a['on']['wasted']['total']}; "
        f"per seed {_sp(r['wasted_off_on_per_seed'])})",
        f"geomean best speedup on/off: {_sp(r['geomean_speedup_on_off'], '.3f')} over seeds; pooled over "
        f"(task, seed) {_f(r['geomean_speedup_on_off_pooled'], '.3f')}",
        "",
        f"{'task':28s} {'dims':22s} | {'correct on/off':>14s} | {'wasted on/off':>13s} | "
        f"{'best speedup on':>22s} | {'best speedup off':>22s} | guided",
    ]
    for name, row in summary["tasks"].items():
        dims = "x".join(str(v) for v in row["dims"].values())
        on, off = row["on"], row["off"]
        lines.append(f"{name[:28]:28s} {dims[:22]:22s} | {on['correct']:>6d}/{off['correct']:<7d} | "
                     f"{on['wasted']:>6d}/{off['wasted']:<6d} | {_sp(on['speedup']):>22s} | "
                     f"{_sp(off['speedup']):>22s} | {on['knowledge_guided']}")
    lines.append(f"(correct: seeds of {n_seeds} with a correct kernel; wasted: summed over seeds; guided: on-arm "
                 "candidates that applied an entry)")
    if summary["entries"]:
        lines += ["", "entries applied by the on arm (candidates, effects: uses fixes breaks fails, mean effect):"]
        for title, e in list(summary["entries"].items())[:12]:
            mean = e["effect_sum"] / e["uses"] if e["uses"] else 0.0
            lines.append(f"  {e['candidates']:4d}  {e['uses']:4d} {e['fixes']:3d} {e['breaks']:3d} {e['fails']:3d} "
                         f"{mean:+.2f}  {title[:90]}")
    lines += ["", f"elapsed {summary['elapsed_s']:.0f} s (campaigns {_f(summary['campaigns_s'], '.0f')} s, the rest "
                  f"starting Ray and the agents) on {summary['machine']['cpus']} CPUs "
                  f"({summary['machine']['date']}); stores in {summary['work_dir']}"]
    return "\n".join(lines)


def render_markdown(summary: dict[str, Any]) -> str:
    """The A/B as markdown tables (what docs/knowledge.md shows)."""
    c, a, r = summary["config"], summary["arms"], summary["ratios"]
    lines = [
        f"{summary['machine']['date']}, {summary['machine']['cpus']} CPUs, {c['agents']} local agents on the twin "
        f"({c['hardware']}); {len(c['tasks'])} tasks at size {c['size']}, budget {c['budget']} evaluations per task "
        f"({c['rounds']} rounds of {c['candidates_per_round']}), seeds {', '.join(map(str, c['seeds']))}, proposer "
        f"{c['proposer']}; elapsed {summary['elapsed_s']:.0f} s (campaigns {_f(summary['campaigns_s'], '.0f')} s).",
        "",
        "| metric (mean (min..max) over seeds) | knowledge on | knowledge off | on vs off |",
        "|---|---|---|---|",
        f"| accuracy | {_sp(a['on']['accuracy'], '.0%')} | {_sp(a['off']['accuracy'], '.0%')} | |",
        f"| evaluations wasted on failures | {_sp(a['on']['wasted'], '.1f')} (total {a['on']['wasted']['total']}) | "
        f"{_sp(a['off']['wasted'], '.1f')} (total {a['off']['wasted']['total']}) | off/on "
        f"{_f(r['wasted_off_on'])} |",
        f"| evaluations (non-baseline) | {_sp(a['on']['evaluations'], '.1f')} | {_sp(a['off']['evaluations'], '.1f')} | |",
        f"| geomean best speedup | {_sp(a['on']['geomean_speedup'], '.3f')} | {_sp(a['off']['geomean_speedup'], '.3f')} "
        f"| on/off {_sp(r['geomean_speedup_on_off'], '.3f')} |",
        "",
        "| task | dims | correct on/off | wasted on/off | best speedup on | best speedup off | on-arm candidates "
        "that applied an entry |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in summary["tasks"].items():
        on, off = row["on"], row["off"]
        lines.append(f"| {name} | {'x'.join(str(v) for v in row['dims'].values())} | {on['correct']}/{off['correct']} "
                     f"| {on['wasted']}/{off['wasted']} | {_sp(on['speedup'])} | {_sp(off['speedup'])} "
                     f"| {on['knowledge_guided']} |")
    if summary["entries"]:
        lines += ["", "| entry applied by the on arm | candidates | uses | fixes | breaks | fails | mean effect |",
                  "|---|---|---|---|---|---|---|"]
        for title, e in summary["entries"].items():
            mean = e["effect_sum"] / e["uses"] if e["uses"] else 0.0
            lines.append(f"| {title} | {e['candidates']} | {e['uses']} | {e['fixes']} | {e['breaks']} | {e['fails']} "
                         f"| {mean:+.2f} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- running
def campaign_spec_text(cfg: BenchConfig, arm: str, seed: int, tasks: list[str], work: Path,
                       agents: list[str]) -> str:
    lines = [
        f'name = "bench-kb-{arm}-s{seed}"',
        f"tasks = {_toml(tasks)}",
        f'hardware = "{cfg.hardware}"',
        f"output_dir = {_toml(str(work))}",
        f"seed = {seed}",
        "[budget]",
        f"rounds = {cfg.rounds}",
        f"candidates_per_round = {cfg.per_round}",
        f"max_evaluations = {cfg.budget * len(cfg.tasks)}",
        "[proposers]",
        "llm = 1" if cfg.llm else "offline = 1",
        "[knowledge]",
        f"enabled = {'true' if arm == 'on' else 'false'}",
        f"db = {_toml(str(kb_path(work, arm, seed)))}",
    ]
    if cfg.llm:
        lines += ["[llm]", f"base_url = {_toml(cfg.llm_base_url)}", f"model = {_toml(cfg.model)}",
                  f"api_key_env = {_toml(cfg.api_key_env)}"]
    lines += ["[agents]", f"addresses = {_toml(agents)}", 'backend = "simnpu"']
    return "\n".join(lines) + "\n"


def kb_path(work: Path, arm: str, seed: int) -> Path:
    return work / f"knowledge-{arm}-s{seed}.sqlite"


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


async def _run_all(cfg: BenchConfig, work: Path, tasks: list[str], store: Any) -> tuple[list[ArmSeed], float]:
    """Every (arm, seed) campaign on one farm; returns the runs and the seconds spent in campaigns."""
    import ray

    from controller.farm import LocalAgents, _wait_for_slots, hawk_home, init_ray, run_campaign
    from controller.scheduler_actor import get_scheduler
    from controller.spec import parse_spec
    from knowledge.actor import ACTOR_NAME, NAMESPACE

    t_start = time.monotonic()
    init_ray(None)
    actor = get_scheduler(detached=False)
    port = await actor.start_registry.remote("127.0.0.1:0")
    # The agents' work dirs hold the twin's build and the compile cache (keyed by content): kept across runs,
    # since a fresh agent builds the twin first (minutes on a loaded 2-core machine).
    agents_dir = Path(os.environ.get("HAWK_BENCH_AGENTS_DIR") or hawk_home() / "bench-agents")
    _log(f"starting {cfg.agents} local agents in {agents_dir} (a first run builds the twin there: minutes)")
    local = LocalAgents(cfg.agents, 1, f"127.0.0.1:{port}", cfg.hardware, agents_dir, backend="simnpu")
    runs: list[ArmSeed] = []
    try:
        for address in local.addresses:  # every agent, so no campaign starts on part of the farm
            await _wait_for_slots(actor, local, cfg.hardware, AGENT_START_S, backend="simnpu", allowed=[address])
        started = time.monotonic()
        _log(f"agents ready in {started - t_start:.0f} s")
        for seed in cfg.seeds:
            t0 = time.monotonic()
            finals: dict[str, Any] = {}

            async def one(arm: str, seed: int = seed, finals: dict[str, Any] = finals) -> tuple[str, str]:
                spec = parse_spec(campaign_spec_text(cfg, arm, seed, tasks, work, local.addresses), base_dir=work,
                                  where=f"bench campaign {arm}/{seed}")
                cid = await run_campaign(spec, store, on_update=lambda s, arm=arm: finals.__setitem__(arm, s),
                                         work_dir=work / "farm")
                return arm, cid

            done = await asyncio.gather(*(one(arm) for arm in ARMS))
            for arm, cid in done:
                row = store.campaign(cid)
                results = measure(store, cid, [n for n in cfg.tasks])
                state = finals.get(arm)
                if state is not None:
                    for name, r in results.items():
                        if name in state.tasks:
                            r.pruned = state.tasks[name].pruned
                run = ArmSeed(arm=arm, seed=seed, campaign_id=cid, state=row["state"], reason=row["reason"] or "",
                              tasks=results)
                if arm == "on":
                    run.entries = entry_usage(kb_path(work, arm, seed), store, cid)
                runs.append(run)
                _log(f"seed {seed} knowledge {arm}: {run.evaluations} evaluations, {run.wasted} wasted, accuracy "
                     f"{run.accuracy:.0%}, geomean speedup {_f(run.geomean_speedup, '.3f')} ({row['state']})")
            _log(f"seed {seed}: {time.monotonic() - t0:.0f} s")
            with contextlib.suppress(ValueError):  # the next seed's on arm gets a fresh database of its own
                ray.kill(ray.get_actor(ACTOR_NAME, namespace=NAMESPACE))
    finally:
        local.close()
    return runs, time.monotonic() - started


def run_bench(cfg: BenchConfig) -> dict[str, Any]:
    """Run every (arm, seed) campaign and return the summary (see `summarize`)."""
    import ray

    from controller.store import ResultsStore

    if cfg.out:
        work = Path(cfg.out).expanduser().resolve()
        work.mkdir(parents=True, exist_ok=True)
        stale = [p.name for p in work.glob("knowledge-*.sqlite")] + (["results.sqlite"]
                                                                    if (work / "results.sqlite").exists() else [])
        if stale:
            raise BenchError(f"--out {work} already holds a benchmark's stores ({stale[0]}); give an empty folder")
    else:
        work = Path(tempfile.mkdtemp(prefix="hawk-bench-kb-"))
    work.chmod(work.stat().st_mode | 0o711)  # the agents' sandbox uid must traverse to its work dirs
    from npu_agent import secrets

    secrets.register_environment()
    secrets.register(os.environ.get(cfg.api_key_env, ""))
    t0 = time.monotonic()
    tasks, dims = sized_tasks(cfg.tasks, cfg.size, work)
    store = ResultsStore(work / "results.sqlite")
    try:
        runs, campaigns_s = asyncio.run(_run_all(cfg, work, tasks, store))
    finally:
        if ray.is_initialized():
            ray.shutdown()
    summary = summarize(cfg, runs, dims, time.monotonic() - t0, work, campaigns_s)
    (work / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    return summary


# -------------------------------------------------------------------------------------------------- CLI
def _handler(args: argparse.Namespace) -> int:
    from npu_agent.taskspec import TaskError

    if args.show:
        path = Path(args.show) / "summary.json"
        if not path.is_file():
            raise SystemExit(f"hawk bench knowledge: --show {args.show}: no summary.json there")
        summary = json.loads(path.read_text(encoding="utf-8"))
        print(json.dumps(summary, indent=2) if args.json else
              render_markdown(summary) if args.markdown else render(summary))
        return 0

    try:
        cfg = make_config(args.tasks, args.budget, args.seeds, args.size, args.llm_base_url or "", args.model or "",
                          args.api_key_env, args.out or "", args.agents)
    except (BenchError, TaskError) as e:
        raise SystemExit(f"hawk bench knowledge: {e}") from None
    _log(f"hawk bench knowledge: {len(cfg.tasks)} tasks, budget {cfg.budget}, seeds "
         f"{','.join(map(str, cfg.seeds))}, size {cfg.size}; both arms of a seed run at once")
    try:
        summary = run_bench(cfg)
    except BenchError as e:
        raise SystemExit(f"hawk bench knowledge: {e}") from None
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(render_markdown(summary) if args.markdown else render(summary))
    bad = [f"{arm}/{s}: {v['state']} ({v['reason']})" for arm in ARMS
           for s, v in summary["arms"][arm]["per_seed"].items() if v["state"] != "finished"]
    if bad:
        print("hawk bench knowledge: campaigns did not finish: " + "; ".join(bad), file=sys.stderr)
        return 1
    return 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tasks", default=None,
                   help=f"comma-separated built-in tasks (default: {len(DEFAULT_TASKS)} tasks over every family: "
                   f"{','.join(DEFAULT_TASKS)})")
    p.add_argument("--budget", type=int, default=None,
                   help=f"evaluations per task and campaign, baseline excluded (default {DEFAULT_BUDGET})")
    p.add_argument("--seeds", default=None, help="comma-separated campaign seeds (default 1,2,3)")
    p.add_argument("--size", default=None,
                   help="task sizes: full, test (the tasks' test_dims) or a fraction of every dim, rounded to multiples of 16 "
                   f"(default {DEFAULT_SIZE})")
    p.add_argument("--llm-base-url", default=None, help="an OpenAI-compatible endpoint: both arms propose with it")
    p.add_argument("--model", default=None, help="the model name at --llm-base-url")
    p.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
    p.add_argument("--agents", type=int, default=2, help="local agents on the twin, one device each (default 2)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--markdown", action="store_true", help="print the summary as markdown tables")
    p.add_argument("--show", metavar="DIR", default=None,
                   help="print the summary of an earlier run kept in DIR (its summary.json) and run nothing")
    p.add_argument("--out", default=None, help="an empty folder for the stores, agents and summary.json "
                   "(default: a new temporary folder, kept)")


def add_bench_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="benchmarks of the farm (knowledge on vs off)")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    k = verbs.add_parser("knowledge", help="knowledge on vs off at equal budget: accuracy, wasted evaluations, "
                         "geomean best speedup, with spread over seeds")
    add_arguments(k)
    k.set_defaults(handler=_handler)


def main(argv: list[str] | None = None) -> int:
    """`benchmarks/bench_knowledge.py`: the same as `hawk bench knowledge`."""
    from controller.cli import main as hawk

    return hawk(["bench", "knowledge", *(sys.argv[1:] if argv is None else argv)])

