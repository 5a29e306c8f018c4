"""Per-use evidence of a knowledge entry: what one application did to one kernel, against its parent.

Stored on each effect row (store.record_effect) and shown to the distillation arbiter (LLM or rule), to
`hawk kb show` and to rationales, so a decision about an entry rests on what its uses changed (statuses and
times before and after, the transformation or the lines changed, the bottleneck and pipe ratios) rather than on
aggregate counts.
"""

from __future__ import annotations

from typing import Any

from knowledge.hunks import first_changed_line, make_hunks
from knowledge.observation import Observation

MAX_EVIDENCE_DIFF_LINES = 12  # a short diff is evidence enough; the full change lives with the candidate


def short_diff(before: str, after: str, max_lines: int = MAX_EVIDENCE_DIFF_LINES) -> tuple[str, int, int]:
    """(the first `max_lines` changed lines of before -> after, number of changed lines, first changed line)."""
    hunks = make_hunks(before, after, context=0)
    changed = [ln for ln in hunks.splitlines() if ln[:1] in "+-"]
    text = "\n".join(changed[:max_lines]) + (f"\n... ({len(changed) - max_lines} more)" if len(changed) > max_lines
                                              else "")
    return text, len(changed), first_changed_line(hunks)


def _us(t: float | None) -> float | None:
    return None if t is None else round(t, 3)


def transform_step(params: dict[str, Any] | None) -> dict[str, Any] | None:
    """The named transformation a candidate was made by ({"name", "values", "from"}), from its params."""
    if not params or not isinstance(params.get("transform"), str):
        return None
    step = {"name": params["transform"], "values": dict(params.get("values") or {}),
            "from": dict(params.get("from") or {})}
    if params.get("entry"):
        step["entry"] = params["entry"]
    return step


def describe_step(step: dict[str, Any]) -> str:
    """"queue_depth buffer_num 1 -> 2" for a transformation step."""
    parts = [f"{p} {step.get('from', {}).get(p, '?')} -> {v}" for p, v in sorted(step.get("values", {}).items())]
    return f"{step['name']} " + ", ".join(parts) if parts else step["name"]


def effect_evidence(child: Observation, parent: Observation | None, n_credited: int = 1,
                    step: dict[str, Any] | None = None) -> dict[str, Any]:
    """The evidence of one use: ids, statuses, times, the change, bottleneck and pipes before and after.

    Counterfactual credit: when the child differs from its parent by exactly one named transformation, the
    effect is that step's alone, and the evidence says so.
    """
    ev: dict[str, Any] = {"evaluation_id": child.evaluation_id or child.candidate_id, "child_status": child.status,
                          "child_time_us": _us(child.time_us), "bottleneck_after": child.bottleneck,
                          "pipes_after": dict(child.pipes), "task": child.task}
    if child.backend:
        ev["backend"] = child.backend
    if not child.passed:
        ev["error_class"], ev["error_line"] = child.error_class, child.error_line
        if child.error_api:
            ev["error_api"] = child.error_api
    if parent is not None:
        ev.update({"parent_evaluation_id": parent.evaluation_id or parent.candidate_id,
                   "parent_status": parent.status, "parent_time_us": _us(parent.time_us),
                   "bottleneck_before": parent.bottleneck, "pipes_before": dict(parent.pipes)})
        if parent.passed and child.passed and parent.time_us and child.time_us:
            ev["speedup"] = round(parent.time_us / child.time_us, 4)
    step = step or transform_step(child.transform)
    if step is not None:
        ev["transform"] = step
        if parent is not None and n_credited > 1:  # several entries' steps at once (a composed step)
            ev["counterfactual"] = False
            ev["credit"] = (f"child = parent + {n_credited} entries' steps at once ({describe_step(step)}): the "
                            f"effect is shared by the {n_credited} entries it applied")
        elif parent is not None:
            ev["counterfactual"] = True
            ev["credit"] = (f"child = parent + one transformation ({describe_step(step)}): the effect is that "
                            "step's alone")
        else:
            ev["counterfactual"] = False
    elif parent is not None and parent.source and child.source:
        diff, n, line = short_diff(parent.source, child.source)
        ev.update({"diff": diff, "changed_lines": n, "line": line, "counterfactual": False})
        ev["credit"] = (f"child = parent + a {n}-line change; the effect is shared by the {n_credited} entries it "
                        "applied" if n_credited > 1 else f"child = parent + a {n}-line change applying this entry")
    return {k: v for k, v in ev.items() if v not in (None, "", {}, [])}


def summarise(ev: dict[str, Any]) -> str:
    """One line of evidence for prompts and tables: "ev-3: OK 120.0us -> OK 80.0us (1.50x) after queue_depth ..."."""
    def side(status: str | None, t: Any) -> str:
        return f"{status or '?'}" + (f" {t:.1f}us" if isinstance(t, (int, float)) else "")

    text = f"{ev.get('evaluation_id', '?')}: {side(ev.get('parent_status'), ev.get('parent_time_us'))} -> " \
           f"{side(ev.get('child_status'), ev.get('child_time_us'))}"
    if ev.get("speedup"):
        text += f" ({ev['speedup']:.2f}x)"
    if ev.get("error_class"):
        text += f" [{ev['error_class']}" + (f" line {ev['error_line']}" if ev.get("error_line") else "") + "]"
    if ev.get("transform"):
        text += f" after {describe_step(ev['transform'])}"
    elif ev.get("diff"):
        first = next((ln for ln in ev["diff"].splitlines() if ln.startswith("+")), ev["diff"].splitlines()[0])
        text += f" after {ev.get('changed_lines', '?')} changed line(s) from line {ev.get('line', '?')} ({first[:80]})"
    b0, b1 = ev.get("bottleneck_before"), ev.get("bottleneck_after")
    if b0 or b1:
        text += f"; bottleneck {b0 or '?'} -> {b1 or '?'}"
    pipe = (b0 or b1 or "").partition(":")[2]
    p0, p1 = (ev.get("pipes_before") or {}).get(pipe), (ev.get("pipes_after") or {}).get(pipe)
    if pipe and p0 is not None and p1 is not None:
        text += f"; {pipe} busy {p0:.2f} -> {p1:.2f}"
    return text
