"""Campaign reports: a text summary and a self-contained HTML report (live progress: controller/progress.py).

The HTML report (controller/report_html.py, charts in report_charts.py) is one self-contained file with
matplotlib's inline SVG, no JavaScript: it opens anywhere, offline (docs/report.md).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controller.store import ResultsStore


# --------------------------------------------------------------------------------------------- data
@dataclass
class TaskReport:
    task: str
    baseline_us: float | None
    best_us: float | None
    best_speedup: float | None
    best_floor: float | None
    evaluations: int
    passed: int
    statuses: Counter
    bottlenecks: Counter
    per_round: dict[int, dict[str, Any]]


def collect(store: ResultsStore, campaign_id: str) -> dict[str, TaskReport]:
    best = store.best(campaign_id)
    cands = {c.id: c for c in store.candidates(campaign_id)}
    by_task: dict[str, list] = defaultdict(list)
    for e in store.evaluations(campaign_id):
        c = cands[e.candidate_id]
        if c.proposer != "baseline":
            by_task[e.task].append((c, e))
    tasks = sorted({c.task for c in cands.values()})
    out = {}
    for task in tasks:
        pairs = by_task.get(task, [])
        rounds: dict[int, dict[str, Any]] = {}
        running_best: float | None = None
        running_floor: float | None = None
        base = store.baseline(campaign_id, task)
        for r in sorted({c.round for c, _ in pairs}):
            in_round = [(c, e) for c, e in pairs if c.round == r]
            for _, e in in_round:
                if e.time_us and (running_best is None or e.time_us < running_best):
                    running_best = e.time_us
                    running_floor = e.floor_fraction
            rounds[r] = {"evaluated": len(in_round), "passed": sum(1 for _, e in in_round if e.status == "OK"),
                         "best_speedup": (base / running_best) if base and running_best else None,
                         "best_floor": running_floor}
        b = best.get(task)
        out[task] = TaskReport(
            task=task, baseline_us=base, best_us=b["time_us"] if b else None,
            best_speedup=b["speedup"] if b else None,
            best_floor=(store.evaluation(b["candidate_id"]).floor_fraction if b else None),
            evaluations=len(pairs), passed=sum(1 for _, e in pairs if e.status == "OK"),
            statuses=Counter(e.status for _, e in pairs),
            bottlenecks=Counter(e.bottleneck for _, e in pairs if e.bottleneck),
            per_round=rounds)
    return out


@dataclass
class EntryEffects:
    """What one knowledge entry did in this campaign: its uses (proposals that applied it) against their parents."""

    entry_id: str
    uses: int = 0
    passes: int = 0
    fixes: int = 0      # parent failed, child passed
    breaks: int = 0     # parent passed, child failed
    effect_sum: float = 0.0
    speedups: list[float] | None = None

    @property
    def mean_effect(self) -> float:
        return self.effect_sum / self.uses if self.uses else 0.0

    @property
    def geomean_speedup(self) -> float | None:
        if not self.speedups:
            return None
        return math.exp(sum(math.log(x) for x in self.speedups) / len(self.speedups))


def knowledge_effects(store: ResultsStore, campaign_id: str) -> list[EntryEffects]:
    """Effects credited per entry, from this campaign's candidates (each credits only the entries it applied),
    by the knowledge store's own rule (`Outcome.effect`); most used first."""
    from knowledge.model import Outcome

    evals = {e.candidate_id: e for e in store.evaluations(campaign_id)}
    out: dict[str, EntryEffects] = {}
    for c in store.candidates(campaign_id):
        child = evals.get(c.id)
        if not c.knowledge_used or child is None:
            continue
        parent = evals.get(c.parent_id) if c.parent_id else None
        passed, parent_passed = child.status == "OK", (None if parent is None else parent.status == "OK")
        speedup = (parent.time_us / child.time_us if parent is not None and passed and parent_passed
                   and parent.time_us and child.time_us else None)
        effect = Outcome(evaluation_id=c.id, passed=passed, parent_passed=parent_passed, speedup=speedup).effect()
        for entry in dict.fromkeys(c.knowledge_used):
            r = out.setdefault(entry, EntryEffects(entry, speedups=[]))
            r.uses += 1
            r.passes += int(passed)
            r.fixes += int(passed and parent_passed is False)
            r.breaks += int(not passed and bool(parent_passed))
            r.effect_sum += effect
            if speedup:
                r.speedups.append(speedup)
    return sorted(out.values(), key=lambda r: (-r.uses, r.entry_id))


def knowledge_usage(store: ResultsStore, campaign_id: str) -> list[tuple[str, int, int]]:
    """(entry id, proposals that used it, of which passed), most used first."""
    evals = {e.candidate_id: e for e in store.evaluations(campaign_id)}
    uses: Counter = Counter()
    passed: Counter = Counter()
    for c in store.candidates(campaign_id):
        for entry in c.knowledge_used:
            uses[entry] += 1
            e = evals.get(c.id)
            passed[entry] += int(e is not None and e.status == "OK")
    return [(k, n, passed[k]) for k, n in uses.most_common()]


# --------------------------------------------------------------------------------------------- text
def _fmt(v: float | None, spec: str, none: str = "-") -> str:
    return none if v is None else format(v, spec)


def _bound(bottleneck: str) -> tuple[str, str]:
    """(bound kind, pipe) of a stored bottleneck, which is the pipe's name for PIPE_BOUND and the kind otherwise."""
    from hawk.v1 import result_pb2

    if bottleneck in result_pb2.Pipe.keys():  # noqa: SIM118 (a protobuf enum wrapper)
        return "PIPE_BOUND", bottleneck
    return bottleneck, "-"


def summary_text(store: ResultsStore, campaign_id: str) -> str:
    c = store.campaign(campaign_id)
    reports = collect(store, campaign_id)
    lines = [f"campaign {campaign_id} ({c['state']}{': ' + c['reason'] if c['reason'] else ''})",
             f"{'task':32s} {'evals':>5s} {'pass':>5s} {'baseline us':>12s} {'best us':>10s} {'speedup':>8s} "
             f"{'floor':>6s}  {'bound':13s} pipe"]
    for r in reports.values():
        kind, pipe = _bound(r.bottlenecks.most_common(1)[0][0]) if r.bottlenecks else ("-", "-")
        lines.append(f"{r.task[:32]:32s} {r.evaluations:5d} {r.passed:5d} {_fmt(r.baseline_us, '12.2f'):>12s} "
                     f"{_fmt(r.best_us, '10.2f'):>10s} {_fmt(r.best_speedup, '7.2f') + ('x' if r.best_speedup else ''):>8s} "
                     f"{_fmt(r.best_floor, '6.0%'):>6s}  {kind:13s} {pipe}")
    # The rows count candidates; the baselines (the 1.0x of each task) are evaluated too and counted apart.
    counts = store.counts(campaign_id)
    rows = sum((r.statuses for r in reports.values()), Counter())
    baselines = {k: v - rows.get(k, 0) for k, v in counts.items() if k != "pending" and v - rows.get(k, 0) > 0}
    lines.append("statuses: " + (", ".join(f"{k} {v}" for k, v in sorted(rows.items()) if v) or "none")
                 + f" (the {sum(rows.values())} candidates above)"
                 + ("; baselines: " + ", ".join(f"{k} {v}" for k, v in sorted(baselines.items())) if baselines else "")
                 + (f"; pending {counts['pending']}" if counts.get("pending") else ""))
    effects = knowledge_effects(store, campaign_id)
    lines.append(f"knowledge: {sum(r.uses for r in effects)} effects credited to {len(effects)} entries"
                 + (" (each candidate credits only the entries it applied)" if effects else ""))
    if effects:
        lines.append(f"  {'entry':44s} {'uses':>4s} {'pass':>4s} {'fixes':>5s} {'breaks':>6s} {'effect':>7s} "
                     f"{'speedup':>8s}")
        for r in effects:
            sp = r.geomean_speedup
            lines.append(f"  {r.entry_id[:44]:44s} {r.uses:4d} {r.passes:4d} {r.fixes:5d} {r.breaks:6d} "
                         f"{r.mean_effect:+7.2f} {(f'{sp:.2f}x' if sp else '-'):>8s}")
    failures = store.proposal_failures(campaign_id)
    if failures:  # answers that gave no candidate: kept in the store, shown here so none goes unnoticed
        last = failures[-1]
        lines.append(f"proposal failures: {len(failures)} (last: {last['task']} round {last['round']} "
                     f"{last['proposer']}: {last['reason'][:160]})")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- html
def write_html(store: ResultsStore, campaign_id: str, path: str | Path) -> Path:
    """The self-contained HTML report (controller/report_html.py; matplotlib is imported only here)."""
    from controller.report_html import write_html as write

    return write(store, campaign_id, path)
