"""The campaign's HTML report: one self-contained file (inline SVG charts, no JavaScript, no network).

What a kernel engineer opens it for, in page order: where each task stands (summary table, best speedup per
task), how the search went (every candidate as a point over time against the baseline and the hardware floor,
pass rate and outcomes per round), what to take away (the best kernel's source and its diff against the baseline),
what went wrong (the top error classes with the kernel line they point at), what the knowledge store did (the
entries applied and the effect each use was credited with), and what the LLM cost. docs/report.md shows it.
"""

from __future__ import annotations

import difflib
import html
import json
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controller import report_charts as charts
from controller.report import EntryEffects, collect, knowledge_effects
from controller.store import Candidate, Evaluation, ResultsStore, short_id

log = logging.getLogger(__name__)

FAILED = ("COMPILE_ERROR", "HARDWARE_EXCEPTION", "WRONG_ANSWER", "TIMEOUT", "SANDBOX_VIOLATION", "RUNTIME_ERROR",
          "REJECTED", "INTERNAL", "CANCELLED")


def _e(v: Any) -> str:
    return html.escape(str(v))


def _fmt(v: float | None, spec: str, none: str = "–") -> str:
    return none if v is None else format(v, spec)


# ------------------------------------------------------------------------------------------------ data
@dataclass
class Evaluated:
    cand: Candidate
    ev: Evaluation
    t_s: float  # when its result was recorded, seconds since the campaign was created


@dataclass
class TaskView:
    name: str
    baseline: Evaluated | None = None
    rows: list[Evaluated] = field(default_factory=list)   # proposals only, in the order they were recorded
    floor_us: float | None = None
    best: Evaluated | None = None


@dataclass
class ErrorClass:
    key: str
    status: str
    count: int = 0
    tasks: Counter = field(default_factory=Counter)
    example: Evaluated | None = None
    message: str = ""
    line: int = 0
    file: str = ""


def gather_tasks(store: ResultsStore, campaign_id: str, started: float) -> dict[str, TaskView]:
    cands = {c.id: c for c in store.candidates(campaign_id)}
    at = store.recorded_at(campaign_id)  # the x axis of "every candidate over time"
    best = store.best(campaign_id)
    views: dict[str, TaskView] = {t: TaskView(t) for t in sorted({c.task for c in cands.values()})}
    for ev in store.evaluations(campaign_id):
        c = cands.get(ev.candidate_id)
        if c is None:
            continue
        row = Evaluated(c, ev, max(0.0, at.get(c.id, started) - started))
        v = views[c.task]
        if c.proposer == "baseline":
            v.baseline = row
        else:
            v.rows.append(row)
        floor = ev.result.profile.floor.time_us if ev.result.HasField("profile") else 0.0
        if floor and (v.floor_us is None or c.proposer == "baseline"):
            v.floor_us = floor
        if best.get(c.task, {}).get("candidate_id") == c.id:
            v.best = row
    return views


def classify(row: Evaluated) -> tuple[str, str, int, str]:
    """(error class, message, kernel line, file) of a failed evaluation, by the knowledge store's taxonomy so
    the report and the knowledge entries name errors alike."""
    from knowledge import taxonomy
    from knowledge.observation import Observation

    r = row.ev.result
    obs = Observation.from_result(r, row.cand.source)
    file = ""
    if row.ev.status == "COMPILE_ERROR":
        errors = [d for d in r.diagnostics if d.severity == "error"] or list(r.diagnostics)
        file = errors[0].file if errors else ""
    cls = obs.error_class if obs.error_class and not obs.error_class.startswith("SLOW:") else ""
    if cls in ("COMPILE_OTHER", row.ev.status):  # no class of its own: the message's shape names it
        cls = ""
    message = obs.error_message or r.message
    if not cls:
        shape = taxonomy.normalise(message, limit=80) if message else ""
        key = f"{row.ev.status}: {shape}" if shape else row.ev.status
    else:
        key = f"{row.ev.status}: {cls}" + (f" in {obs.error_api}" if obs.error_api else "")
    return key, message, obs.error_line, file


def top_errors(views: dict[str, TaskView]) -> list[ErrorClass]:
    out: dict[str, ErrorClass] = {}
    for v in views.values():
        for row in v.rows:
            if row.ev.status == "OK":
                continue
            key, message, line, file = classify(row)
            e = out.setdefault(key, ErrorClass(key, row.ev.status))
            e.count += 1
            e.tasks[v.name] += 1
            if e.example is None or (line and not e.line):  # an example that points at a line beats one that does not
                e.example, e.message, e.line, e.file = row, message, line, file
    return sorted(out.values(), key=lambda e: (-e.count, e.key))


@dataclass
class KnowledgeView:
    effects: list[EntryEffects]
    source: str                       # where the effects were read
    titles: dict[str, str] = field(default_factory=dict)
    uses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # the knowledge store's rows, with evidence


def _kb_path(store: ResultsStore, campaign_id: str) -> Path | None:
    from controller.spec import parse_spec
    from knowledge.store import default_path

    row = store.campaign(campaign_id)
    try:
        spec = parse_spec(row["spec"], base_dir=Path(row.get("base_dir") or "."))
    except Exception:  # an old or hand-made spec: the report still renders, from the results store alone
        return None
    if not spec.knowledge.enabled:
        return None
    path = Path(spec.knowledge.db) if spec.knowledge.db else default_path()
    if not path.is_absolute():
        path = Path(row.get("base_dir") or ".") / path
    return path if path.is_file() else None


def gather_knowledge(store: ResultsStore, campaign_id: str) -> KnowledgeView:
    """The effects credited per entry: the knowledge store's own rows for this campaign's evaluations when the
    campaign's store is readable (with each use's evidence), else recomputed from the results store by the same
    rule (`Outcome.effect`)."""
    computed = knowledge_effects(store, campaign_id)
    path = _kb_path(store, campaign_id) if computed else None
    if path is None:
        return KnowledgeView(computed, "recomputed from the results store (the knowledge store was not found)"
                             if computed else "")
    from knowledge.store import KnowledgeStore

    ours = {c.id for c in store.candidates(campaign_id)}
    try:
        kb = KnowledgeStore(path)
    except Exception as e:  # unreadable: fall back, saying so
        log.warning("report: knowledge store %s unreadable: %s", path, e)
        return KnowledgeView(computed, f"recomputed from the results store ({path} unreadable)")
    try:
        view = KnowledgeView([], f"the knowledge store {path}")
        for entry_id in [r.entry_id for r in computed]:
            try:
                view.titles[entry_id] = kb.get(entry_id).title
            except Exception:
                view.titles[entry_id] = "(not in this knowledge store)"
            rows = [u for u in kb.effects(entry_id) if u["evaluation_id"] in ours]
            if not rows:
                continue
            view.uses[entry_id] = rows
            eff = EntryEffects(entry_id, speedups=[])
            for u in rows:
                eff.uses += 1
                eff.passes += int(u["passed"])
                eff.fixes += int(u["passed"] and u["parent_passed"] is False)
                eff.breaks += int(not u["passed"] and bool(u["parent_passed"]))
                eff.effect_sum += u["effect"]
                if u["speedup"]:
                    eff.speedups.append(u["speedup"])
            view.effects.append(eff)
        if not view.effects:  # the store holds no rows for this campaign (another HAWK_HOME): use the recomputation
            view.effects, view.source = computed, f"recomputed from the results store ({path} has no rows for it)"
        view.effects.sort(key=lambda r: (-r.uses, r.entry_id))
        return view
    finally:
        kb.close()


@dataclass
class Spend:
    proposer: str
    candidates: int = 0
    failed_answers: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


def gather_spend(store: ResultsStore, campaign_id: str) -> tuple[list[Spend], dict[int, list[int]]]:
    """Tokens and cost per proposer, and (prompt, completion) tokens per round; failed answers cost too."""
    by: dict[str, Spend] = {}
    rounds: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for c in store.candidates(campaign_id):
        if c.proposer == "baseline":
            continue
        s = by.setdefault(c.proposer, Spend(c.proposer))
        s.candidates += 1
        s.prompt_tokens += c.prompt_tokens
        s.completion_tokens += c.completion_tokens
        s.cost_usd += c.cost_usd
        rounds[c.round][0] += c.prompt_tokens
        rounds[c.round][1] += c.completion_tokens
    for f in store.proposal_failures(campaign_id):
        s = by.setdefault(f["proposer"], Spend(f["proposer"]))
        s.failed_answers += 1
        s.prompt_tokens += f["prompt_tokens"]
        s.completion_tokens += f["completion_tokens"]
        s.cost_usd += f["cost_usd"]
        rounds[f["round"]][0] += f["prompt_tokens"]
        rounds[f["round"]][1] += f["completion_tokens"]
    return sorted(by.values(), key=lambda s: s.proposer), dict(rounds)


# ----------------------------------------------------------------------------------------------- html
def _bound(bottleneck: str) -> str:
    """The stored bottleneck (a pipe's name when pipe-bound, the kind otherwise) as a reader says it."""
    from hawk.v1 import result_pb2

    return f"{bottleneck}-bound" if bottleneck in result_pb2.Pipe.keys() else bottleneck  # noqa: SIM118


def _point_label(r: Evaluated) -> str:
    what = f"{r.ev.time_us:,.2f} µs" if r.ev.time_us else (r.ev.message or r.ev.status)[:120]
    used = f", applied {', '.join(r.cand.knowledge_used)}" if r.cand.knowledge_used else ""
    return (f"{short_id(r.cand.id, 12)} round {r.cand.round + 1} by {r.cand.proposer}: {r.ev.status}, {what}"
            f"{f', {_bound(r.ev.bottleneck)}' if r.ev.bottleneck else ''}{used}")


def _chart(title: str, svg: str, note: str = "", wide: bool = False) -> str:
    """A card: the title above its chart, always together (the grid places cards, never titles alone)."""
    svg = svg.replace('<svg role="img"', f'<svg role="img" aria-label="{_e(title)}"', 1)
    return (f'<figure class="card{" wide" if wide else ""}"><h3>{_e(title)}</h3>'
            f'{f"<p class=note>{note}</p>" if note else ""}<div class="chart">{svg}</div></figure>')


def _source_html(source: str, mark: int = 0, lo: int = 1, hi: int | None = None) -> str:
    lines = source.splitlines()
    hi = len(lines) if hi is None else min(hi, len(lines))
    out = []
    for i in range(max(1, lo), hi + 1):
        cls = ' class="hit"' if i == mark else ""
        out.append(f'<span{cls}><span class="ln">{i}</span>{_e(lines[i - 1])}</span>')
    return '<pre class="src">' + "\n".join(out) + "</pre>"


def _diff_html(before: str, after: str, name: str = "baseline") -> str:
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), name, "best", lineterm="", n=3))
    if not diff:
        return f"<p>The best kernel is the {name} itself.</p>"
    out = []
    for line in diff:
        cls = ("hunk" if line.startswith("@@") else "add" if line.startswith("+") else
               "del" if line.startswith("-") else "ctx")
        out.append(f'<span class="{cls}">{_e(line)}</span>')
    added = sum(1 for x in diff[2:] if x.startswith("+"))
    removed = sum(1 for x in diff[2:] if x.startswith("-"))
    return f'<p class="note">{added} lines added, {removed} removed.</p><pre class="diff">' + "\n".join(out) + "</pre>"


def _profile_html(b: Evaluated, top: int = 6) -> str:
    """Where the best kernel's time goes: the profile's verdict and its hottest source lines."""
    from hawk.v1 import result_pb2

    r = b.ev.result
    if not r.HasField("profile"):
        return ""
    p = r.profile
    out = f'<p class="meta">Profile ({_e(p.model or r.backend)}): {_e(p.bottleneck.explanation)}</p>' if (
        p.bottleneck.explanation) else ""
    spots = list(p.hotspots)[:top]
    if not spots:
        return out
    total = sum(h.cycles for h in p.hotspots) or 1
    lines = b.cand.source.splitlines()
    rows = "".join(
        f"<tr><td>{h.line}</td><td class=msg>{_e(h.api)}</td><td class=msg>{_e(result_pb2.Pipe.Name(h.pipe))}</td>"
        f"<td>{h.cycles:,}</td><td>{h.cycles / total:.0%}</td><td>{h.calls:,}</td>"
        f"<td class=msg><code>{_e(lines[h.line - 1].strip() if 0 < h.line <= len(lines) else '')}</code></td></tr>"
        for h in spots)
    return (out + "<h4>Hottest lines</h4><table><thead><tr><th>line</th><th class=left>API</th><th class=left>pipe"
            "</th><th>cycles</th><th>share</th><th>calls</th><th class=left>source</th></tr></thead><tbody>"
            + rows + "</tbody></table>")


def _best_kernels(views: dict[str, TaskView], parents: dict[str, Candidate]) -> str:
    parts = []
    for v in views.values():
        b = v.best
        if b is None:
            parts.append(f'<details class="kernel"><summary><b>{_e(v.name)}</b>: no passing kernel</summary>'
                         "<p>Nothing passed in this campaign; see the errors below.</p></details>")
            continue
        base_us = v.baseline.ev.time_us if v.baseline else None
        speed = f"{base_us / b.ev.time_us:.2f}x" if base_us and b.ev.time_us else "–"
        params = b.cand.params.get("values") or {k: val for k, val in b.cand.params.items()
                                                  if isinstance(val, str | int | float) and k != "requests"}
        meta = (f"candidate <code>{_e(short_id(b.cand.id, 12))}</code>, round {b.cand.round + 1}, proposer "
                f"{_e(b.cand.proposer)}, {_fmt(b.ev.time_us, ',.2f')} µs ({speed} the baseline), "
                f"{_fmt(b.ev.floor_fraction, '.0%')} of the hardware floor, {_e(_bound(b.ev.bottleneck) or 'no bottleneck reported')}")
        if b.cand.knowledge_used:
            meta += ", applied " + ", ".join(f"<code>{_e(k)}</code>" for k in b.cand.knowledge_used)
        if params:
            meta += "<br>parameters: " + ", ".join(f"{_e(k)}={_e(val)}" for k, val in sorted(params.items()))
        prof = _profile_html(b)
        diff = (_diff_html(v.baseline.cand.source, b.cand.source) if v.baseline
                else "<p>No baseline recorded for this task.</p>")
        parent = parents.get(b.cand.parent_id or "")
        if parent is not None and parent.proposer != "baseline":
            diff += (f"<details><summary>Diff against its parent (round {parent.round + 1}, the last step)</summary>"
                     f"{_diff_html(parent.source, b.cand.source, 'parent')}</details>")
        parts.append(f'<details class="kernel"><summary><b>{_e(v.name)}</b>: {speed} — best kernel and its diff '
                     f'against the baseline</summary><p class="meta">{meta}</p>{prof}'
                     f'<h4>Diff against the baseline</h4>{diff}'
                     f'<details><summary>Full source ({len(b.cand.source.splitlines())} lines)</summary>'
                     f'{_source_html(b.cand.source)}</details></details>')
    return "\n".join(parts)


def _errors_html(errors: list[ErrorClass], limit: int = 12) -> str:
    if not errors:
        return "<p>No candidate failed: every evaluation passed.</p>"
    rows = []
    for e in errors[:limit]:
        ex = e.example
        where = ""
        if ex is not None and e.line:
            src = _source_html(ex.cand.source, mark=e.line, lo=e.line - 2, hi=e.line + 2)
            name = f"{_e(e.file)} " if e.file else ""
            where = f'<div class="where">{name}line {e.line}:</div>{src}'
        elif ex is not None:
            where = '<div class="where">no source line (the failure is not tied to one)</div>'
        tasks = ", ".join(f"{_e(t)} ({n})" for t, n in e.tasks.most_common())
        rows.append(f'<tr><td class="cls"><span class="dot" style="background:{charts.status_color(e.status)}">'
                    f'</span>{_e(e.key)}</td><td class="num">{e.count}</td><td>{tasks}</td>'
                    f'<td class="msg">{_e(e.message[:300])}{where}</td></tr>')
    more = (f"<p class=note>{len(errors) - limit} rarer classes are not shown ({sum(e.count for e in errors[limit:])} "
            "evaluations); all are in the results store.</p>" if len(errors) > limit else "")
    return ('<table class="errors"><thead><tr><th>error class</th><th>count</th><th class=left>tasks</th>'
            f'<th class=left>example message and the kernel line</th></tr></thead><tbody>{"".join(rows)}</tbody></table>{more}')


def _knowledge_html(kv: KnowledgeView) -> str:
    if not kv.effects:
        return ("<p>No knowledge entry was applied in this campaign (knowledge off, or no proposal applied an "
                "entry).</p>")
    rows = []
    for r in kv.effects:
        uses = kv.uses.get(r.entry_id, [])
        detail = ""
        if uses:
            items = []
            for u in uses:
                ev = u.get("evidence") or {}
                sp = f"{u['speedup']:.3f}x" if u.get("speedup") else "–"
                change = ev.get("diff", "")
                items.append(f"<li><code>{_e(short_id(u['evaluation_id'], 12))}</code>: {'passed' if u['passed'] else 'failed'}"
                             f", speedup over its parent {sp}, effect {u['effect']:+.2f}"
                             + (f"; {_e(ev['credit'])}" if ev.get("credit") else "")
                             + (f'<pre class="diff small">{_e(change)}</pre>' if change else "") + "</li>")
            detail = f"<details><summary>{len(uses)} uses</summary><ul>{''.join(items)}</ul></details>"
        rows.append(f"<tr><td>{_e(r.entry_id)}</td><td>{r.uses}</td><td>{r.passes}</td><td>{r.fixes}</td>"
                    f"<td>{r.breaks}</td><td>{r.mean_effect:+.2f}</td><td>{_fmt(r.geomean_speedup, '.2f')}x</td>"
                    f'<td class="title">{_e(kv.titles.get(r.entry_id, ""))}{detail}</td></tr>')
    return ("<table class=\"kb\"><thead><tr><th>entry</th><th>uses</th><th>passed</th><th>fixes</th><th>breaks</th>"
            "<th>mean effect</th><th>geomean speedup</th><th class=left>title and uses</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _spend_html(spend: list[Spend]) -> str:
    if not spend:
        return "<p>No proposals.</p>"
    rows = "".join(
        f"<tr><td>{_e(s.proposer)}</td><td>{s.candidates}</td><td>{s.failed_answers}</td>"
        f"<td>{s.prompt_tokens:,}</td><td>{s.completion_tokens:,}</td><td>${s.cost_usd:,.4f}</td></tr>"
        for s in spend)
    total = Spend("total", *(sum(getattr(s, f) for s in spend) for f in
                             ("candidates", "failed_answers", "prompt_tokens", "completion_tokens", "cost_usd")))
    rows += (f"<tr class=total><td>total</td><td>{total.candidates}</td><td>{total.failed_answers}</td>"
             f"<td>{total.prompt_tokens:,}</td><td>{total.completion_tokens:,}</td><td>${total.cost_usd:,.4f}</td></tr>")
    return ("<table><thead><tr><th>proposer</th><th>candidates</th><th>answers without a kernel</th>"
            "<th>prompt tokens</th><th>completion tokens</th><th>cost</th></tr></thead><tbody>" + rows
            + "</tbody></table>")


def _failures_html(failures: list[dict[str, Any]], limit: int = 200) -> str:
    if not failures:
        return "<p>None.</p>"
    rows = "".join(
        f"<tr><td>{_e(f['task'])}</td><td>{f['round'] + 1}</td><td>{_e(f['proposer'])}</td>"
        f"<td class=msg>{_e(f['reason'])}<details><summary>answer ({len(f['answer'])} chars)</summary>"
        f"<pre>{_e(f['answer'][:4000])}</pre></details></td></tr>" for f in failures[-limit:])
    more = f"<p>{len(failures) - limit} earlier ones are in the results store.</p>" if len(failures) > limit else ""
    return ("<table><thead><tr><th>task</th><th>round</th><th>proposer</th><th>reason</th></tr></thead><tbody>"
            f"{rows}</tbody></table>{more}")


CSS = f"""
:root{{--fg:#1d1d1f;--muted:#5f6368;--line:#dadce0;--bg:#fff;--card:#fafafa}}
*{{box-sizing:border-box}}
body{{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);background:var(--bg);margin:0;
  line-height:1.4;font-size:15px}}
header,nav,main{{padding-left:max(24px,calc((100vw - 1680px) / 2));padding-right:max(24px,calc((100vw - 1680px) / 2))}}
header{{padding-top:14px;padding-bottom:8px;border-bottom:1px solid var(--line)}}
header h1{{font-size:22px;margin:0 0 4px}}
nav{{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding-top:6px;padding-bottom:6px;z-index:2;
  font-size:14px;display:flex;flex-wrap:wrap;gap:4px 16px}}
nav a{{color:#1a73e8;text-decoration:none}}
main{{padding-bottom:40px}}
section{{margin-top:22px;scroll-margin-top:44px}}
h2{{font-size:19px;margin:0 0 8px;padding-top:6px;border-top:2px solid #f1f3f4}}
h3{{font-size:15px;margin:0 0 6px}}
h4{{font-size:14px;margin:10px 0 4px}}
.grid{{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,600px),1fr));gap:14px;align-items:start}}
.card{{margin:0;padding:10px 12px;border:1px solid var(--line);border-radius:6px;background:#fff;min-width:0}}
.card.wide{{grid-column:1/-1}}
.chart svg.plot{{display:block;width:100%;height:auto;max-width:100%}}
.chart svg text{{font-family:{charts.FONT_STACK}}}
.note{{color:var(--muted);font-size:13px;margin:2px 0 6px}}
table{{border-collapse:collapse;font-size:13.5px;margin:4px 0}}
td,th{{border:1px solid var(--line);padding:4px 8px;text-align:right;vertical-align:top}}
th{{background:#f1f3f4}}
td:first-child,th:first-child,td.msg,td.cls,td.title,th.left,td.msg pre{{text-align:left}}
table.errors td:nth-child(3),table.kb td.title{{text-align:left}}
table.errors{{width:100%}} table.errors td.msg{{max-width:0;width:55%}}
tr.total td{{font-weight:600}}
.dot{{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}}
pre{{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12.5px;overflow-x:auto;
  background:#f8f9fa;border:1px solid var(--line);border-radius:4px;padding:6px 8px;margin:4px 0;white-space:pre}}
pre.src .ln{{display:inline-block;width:3.2em;color:#9aa0a6;user-select:none;text-align:right;margin-right:1em}}
pre.src .hit{{background:#fde2e1;display:inline-block;min-width:100%}}
pre.diff .add{{background:#e6ffec;color:#116329}} pre.diff .del{{background:#ffebe9;color:#82071e}}
pre.diff .hunk{{color:#6f42c1}} pre.diff span{{display:inline-block;min-width:100%}}
pre.small{{font-size:11.5px;max-height:16em}}
pre.diff,pre.src{{max-height:34em;overflow:auto}}
.where{{color:var(--muted);font-size:12.5px;margin-top:6px}}
details.kernel{{border:1px solid var(--line);border-radius:6px;padding:6px 10px;margin:6px 0;background:var(--card)}}
details>summary{{cursor:pointer}}
.meta{{font-size:13.5px;color:var(--muted)}}
.kv{{display:flex;flex-wrap:wrap;gap:4px 22px;font-size:14px;color:var(--muted)}}
.kv b{{color:var(--fg)}}
"""


def render(store: ResultsStore, campaign_id: str) -> str:
    c = store.campaign(campaign_id)
    started = float(c["created_at"])
    reports = collect(store, campaign_id)
    views = gather_tasks(store, campaign_id, started)
    errors = top_errors(views)
    kv = gather_knowledge(store, campaign_id)
    spend, tokens_by_round = gather_spend(store, campaign_id)
    failures = store.proposal_failures(campaign_id)
    counts = Counter(r.ev.status for v in views.values() for r in v.rows)
    n_eval = sum(counts.values())
    n_pass = counts.get("OK", 0)
    last = max((r.t_s for v in views.values() for r in v.rows), default=0.0)
    duration = max(last, float(c["updated_at"]) - started)
    cards: dict[str, list[str]] = defaultdict(list)

    # Where each task stands
    rows = "".join(
        f"<tr><td>{_e(r.task)}</td><td>{r.evaluations}</td><td>{r.passed}</td>"
        f"<td>{_fmt(r.baseline_us, ',.2f')}</td><td>{_fmt(r.best_us, ',.2f')}</td>"
        f"<td>{_fmt(r.best_speedup, '.2f')}{'x' if r.best_speedup else ''}</td>"
        f"<td>{_fmt(r.best_floor, '.0%')}</td><td>{_fmt(views[r.task].floor_us, ',.2f')}</td>"
        f"<td>{_e(_bound(r.bottlenecks.most_common(1)[0][0])) if r.bottlenecks else '–'}</td></tr>"
        for r in reports.values())
    best_rows = [(r.task, r.best_speedup, r.best_floor) for r in reports.values()]
    if best_rows:
        cards["summary"].append(_chart("Best speedup per task", charts.best_speedup_per_task(best_rows),
                                       "Bars: the best kernel's speedup over the baseline; the label gives the "
                                       "fraction of the hardware floor it reaches."))
    speed = {t: [(r + 1, d["best_speedup"]) for r, d in sorted(rep.per_round.items()) if d["best_speedup"]]
             for t, rep in reports.items()}
    if any(speed.values()):
        cards["summary"].append(_chart("Best speedup per round", charts.lines_by_round(
            speed, "best speedup (x)"), "Running best speedup over the baseline after each round; dashed: the baseline."))

    # How the search went
    for v in views.values():
        pts = [charts.Point(r.t_s, r.ev.status, r.ev.time_us,
                            believed=not (r.ev.result.HasField("profile") and r.ev.result.profile.floor.below_floor),
                            label=_point_label(r)) for r in v.rows]
        if not pts:
            continue
        base = v.baseline.ev.time_us if v.baseline else None
        floor_note = "dotted red: the hardware floor" if v.floor_us else "no hardware floor reported by this backend"
        cards["search"].append(_chart(
            f"{v.name}: every candidate over time",
            charts.candidates_over_time(pts, base, v.floor_us),
            f"{len(pts)} candidates; dashed: the baseline, {floor_note}; failed candidates (no time) are crosses "
            "on the strip below."))
    all_rounds = sorted({r for rep in reports.values() for r in rep.per_round})
    if all_rounds:
        per_task = {t: [(rep.per_round.get(r, {}).get("passed", 0), rep.per_round.get(r, {}).get("evaluated", 0))
                        for r in all_rounds] for t, rep in reports.items() if rep.per_round}
        cards["rounds"].append(_chart("Pass rate per round", charts.pass_rate_per_round(
            [r + 1 for r in all_rounds], per_task), "Share of each task's candidates that passed (compiled, ran, "
            "correct); labels: passed/evaluated."))
        by_round: dict[str, list[float]] = {}
        for s in sorted(counts, key=lambda s: (s != "OK", s)):
            by_round[s] = [sum(1 for v in views.values() for r in v.rows if r.cand.round == rd and r.ev.status == s)
                           for rd in all_rounds]
        cards["rounds"].append(_chart("Outcomes per round", charts.stacked_counts(
            [str(r + 1) for r in all_rounds], by_round, "round", "candidates",
            colors={s: charts.status_color(s) for s in by_round}), "Every evaluated candidate by its status."))
    bottlenecks = Counter(_bound(r.ev.bottleneck) for v in views.values() for r in v.rows if r.ev.bottleneck)
    if bottlenecks:
        total = sum(bottlenecks.values())
        cards["rounds"].append(_chart("Bottlenecks of the passing kernels", charts.horizontal_bars(
            [(k, n, f"{n} ({n / total:.0%})") for k, n in bottlenecks.most_common(10)], "passing kernels"),
            "What limits each passing kernel by its profile: one busy pipe (MTE2 = loads from global memory, "
            "MTE3 = stores, VECTOR, CUBE, ...), latency (no pipe near full) or launch overhead."))

    # Knowledge and spend
    if kv.effects:
        cards["knowledge"].append(_chart("Mean effect per entry applied", charts.horizontal_bars(
            [(r.entry_id, r.mean_effect, f"{r.mean_effect:+.2f} over {r.uses} use{'s' * (r.uses != 1)}")
             for r in kv.effects[:15]], "mean effect per use", signed=True),
            "Each candidate credits only the entries it applied, with its outcome against its parent: +1 fixed a "
            "failing parent, −1 broke a passing one, speedup − 1 when both passed."))
    if tokens_by_round and any(p + q for p, q in tokens_by_round.values()):
        rs = sorted(tokens_by_round)
        cards["spend"].append(_chart("LLM tokens per round", charts.stacked_counts(
            [str(r + 1) for r in rs], {"prompt": [tokens_by_round[r][0] for r in rs],
                                       "completion": [tokens_by_round[r][1] for r in rs]}, "round", "tokens"),
            "Answers that gave no kernel count too."))
    spend_total = sum(s.cost_usd for s in spend)
    tokens_total = sum(s.prompt_tokens + s.completion_tokens for s in spend)

    def grid(key: str) -> str:
        return f'<div class="grid">{"".join(cards[key])}</div>' if cards[key] else ""

    counts_line = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: (kv[0] != "OK", kv[0])))
    sections = [
        ("summary", "Where each task stands",
         "<table><thead><tr><th>task</th><th>evaluations</th><th>passed</th><th>baseline µs</th><th>best µs</th>"
         "<th>speedup</th><th>of floor</th><th>floor µs</th><th>main bottleneck</th></tr></thead>"
         f"<tbody>{rows}</tbody></table>{grid('summary')}"),
        ("search", "Every candidate over time", grid("search") or "<p>No candidate evaluated yet.</p>"),
        ("rounds", "Rounds: pass rate, outcomes, bottlenecks", grid("rounds") or "<p>No rounds yet.</p>"),
        ("best", "Best kernels and their diff against the baseline", _best_kernels(views, {c.id: c for c in store.candidates(campaign_id)})),
        ("errors", "Top errors and the kernel lines they point at",
         f"<p class=note>{n_eval - n_pass} of {n_eval} candidates failed; classes by the knowledge store's "
         "taxonomy, the example's line marked in its source.</p>" + _errors_html(errors)),
        ("knowledge", "Knowledge: effects credited per entry",
         (f"<p class=note>{sum(r.uses for r in kv.effects)} effects credited to {len(kv.effects)} entries, from "
          f"{_e(kv.source)}.</p>" if kv.effects else "") + grid("knowledge") + _knowledge_html(kv)),
        ("spend", "LLM tokens and cost",
         (f"<p class=note>{tokens_total:,} tokens, ${spend_total:,.4f} in all"
          + (f"; ${spend_total / n_pass:,.4f} per passing candidate" if n_pass and spend_total else "")
          + ". Offline proposers spend none.</p>") + grid("spend") + _spend_html(spend)),
        ("failures", "Proposal failures (answers that gave no candidate, kept as given)", _failures_html(failures)),
    ]
    labels = {"summary": "Summary", "search": "Candidates over time", "rounds": "Rounds", "best": "Best kernels",
              "errors": "Top errors", "knowledge": "Knowledge", "spend": "Tokens and cost",
              "failures": "Proposal failures"}
    nav = "".join(f'<a href="#{k}">{labels[k]}</a>' for k, _, _ in sections)
    body = "".join(f'<section id="{k}"><h2>{_e(t)}</h2>{content}</section>' for k, t, content in sections)
    data = {t: {"per_round": r.per_round, "baseline_us": r.baseline_us, "best_us": r.best_us,
                "best_speedup": r.best_speedup, "floor_us": views[t].floor_us} for t, r in reports.items()}
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started))
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hawk campaign {_e(campaign_id)}</title><style>{CSS}</style></head><body>
<header><h1>Campaign {_e(campaign_id)}</h1><div class="kv">
<span>state <b>{_e(c['state'])}</b>{(' — ' + _e(c['reason'])) if c['reason'] else ''}</span>
<span>hardware <b>{_e(c['hardware_profile'])}</b></span><span>team <b>{_e(c['team'] or '–')}</b>, priority
{c['priority']}</span><span>started <b>{when}</b>, {duration:,.0f} s</span>
<span>evaluations <b>{n_eval}</b> ({_e(counts_line or 'none')})</span>
<span>LLM <b>{tokens_total:,}</b> tokens, <b>${spend_total:,.4f}</b></span></div></header>
<nav>{nav}</nav><main>{body}</main>
<script type="application/json" id="data">{html.escape(json.dumps(data))}</script>
</body></html>"""


def write_html(store: ResultsStore, campaign_id: str, path: str | Path) -> Path:
    doc = render(store, campaign_id)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(doc, encoding="utf-8")
    return out
