"""Run-time knowledge synthesis: failures become pending entries, verified fixes become entries.

- A failed evaluation (compile error, hardware exception at a line, wrong answer, timeout, crash) or a slow
  profile (a passing kernel far from the hardware floor) records a *pending* entry: trigger and rationale,
  no template, since nothing has yet shown what fixes it. One pending entry per trigger key (hardware,
  error class, normalised signature, faulting API), so the same failure seen again adds provenance only.
- A later candidate of the same lineage (the failed one's child) that passed, or that ran faster than a
  passing parent, is the verified fix: the entry's template becomes the change itself (a unified diff,
  parent -> child) and the pending entry is promoted. The same change seen again only adds provenance.
- The rationale is written by the LLM from the error context and the diff when one is configured, and by
  the rules of `taxonomy` (with this SoC's numbers) otherwise or when the LLM fails.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
from typing import Any

from knowledge import taxonomy
from knowledge.llm import KnowledgeLLM, LLMUnavailable
from knowledge.model import Entry, Trigger
from knowledge.observation import Observation, apis_in

log = logging.getLogger(__name__)

SYNTHESIZED_STATUSES = {"COMPILE_ERROR", "HARDWARE_EXCEPTION", "WRONG_ANSWER", "TIMEOUT", "RUNTIME_ERROR"}
MAX_PROVENANCE = 50


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def hardware_facts(hardware: str) -> dict[str, Any]:
    """The numbers rule rationales quote, from the hardware profile data file (never from code)."""
    from npu_agent.hardware import DEFAULT_PROFILE, UnknownHardwareProfile, load_profile

    try:
        hw = load_profile(hardware or DEFAULT_PROFILE)
    except UnknownHardwareProfile:
        return _Blank()
    m, lim = hw["memory"], hw["limits"]
    return _Blank(ub_bytes=m["ub_bytes"], ub_usable=m["ub_bytes"] - m.get("ub_reserved_bytes", 0),
                  ub_align=m["ub_align"], l1_bytes=m["l1_bytes"], l0a_bytes=m["l0a_bytes"], l0b_bytes=m["l0b_bytes"],
                  l0c_bytes=m["l0c_bytes"], max_repeat=lim["max_repeat"],
                  max_queue_buffers=lim["max_queue_buffers_per_position"], max_pipe_buffers=lim["max_pipe_buffers"],
                  aiv_cores=hw.aiv_cores, aic_cores=hw.aic_cores, hardware=hw.name)


def trigger_key(obs: Observation) -> str:
    """Identity of a failure situation: hardware, class, normalised signature, faulting API."""
    raw = "|".join((obs.hardware or "*", obs.error_class, obs.error_signature, obs.error_api))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def is_failure(obs: Observation) -> bool:
    return (obs.status in SYNTHESIZED_STATUSES and bool(obs.error_class)) or obs.error_class.startswith("SLOW")


def unified_diff(before: str, after: str, max_lines: int = 80) -> str:
    """The change parent -> child as unified-diff hunks (no file headers), capped at max_lines."""
    lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2))
    lines = [ln for ln in lines if not ln.startswith(("---", "+++"))]
    if len(lines) > max_lines:
        lines = lines[:max_lines] + [f"... ({len(lines) - max_lines} more diff lines)"]
    return "\n".join(lines)


def _changed_lines(diff: str) -> list[str]:
    return [ln[1:] for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


def _diff_hash(diff: str) -> str:
    norm = "\n".join(ln[0] + re.sub(r"\s+", "", ln[1:]) for ln in diff.splitlines() if ln[:1] in "+-")
    return hashlib.sha256(norm.encode()).hexdigest()[:12]


def rule_rationale(obs: Observation, optimisation: bool = False) -> str:
    facts = hardware_facts(obs.hardware)
    if optimisation or obs.error_class.startswith("SLOW"):
        kind, _, pipe = (obs.bottleneck or obs.error_class.removeprefix("SLOW:")).partition(":")
        key = "LATENCY" if kind == "LATENCY_BOUND" else "LAUNCH" if kind == "LAUNCH_BOUND" else pipe
        text = taxonomy.RULE_OPTIMISATIONS.get(key, "The change made the kernel faster on this hardware.")
    else:
        text = taxonomy.RULE_RATIONALES.get(obs.error_class, taxonomy.RULE_RATIONALES.get(
            "COMPILE_OTHER" if obs.status == "COMPILE_ERROR" else "RUNTIME_ERROR", ""))
    text = text.format_map(facts)
    if obs.error_api and not optimisation and obs.error_class != "UNKNOWN_API":
        text += f" Seen at {obs.error_api}" + (f" (line {obs.error_line})." if obs.error_line else ".")
    elif obs.error_class == "UNKNOWN_API" and obs.error_api:
        text += f" Here: {obs.error_api!r} does not exist."
    return text


def _title(obs: Observation, fixed: bool, speedup: float | None = None) -> str:
    where = f" at {obs.error_api}" if obs.error_api else ""
    if obs.error_class.startswith("SLOW") or speedup:
        b = obs.bottleneck or obs.error_class.removeprefix("SLOW:")
        return f"Speed-up under {b}" + (f" ({speedup:.2f}x)" if speedup else "")
    return f"{'Fix for' if fixed else 'Unresolved'} {obs.error_class}{where}"


def _provenance(obs: Observation, role: str) -> dict[str, Any]:
    p = {"role": role, "evaluation_id": obs.evaluation_id, "candidate_id": obs.candidate_id, "status": obs.status,
         "hardware": obs.hardware, "task": obs.task}
    if obs.error_line:
        p["line"] = obs.error_line
    if obs.time_us is not None:
        p["time_us"] = obs.time_us
    return {k: v for k, v in p.items() if v not in ("", None)}


def _add_provenance(e: Entry, items: list[dict[str, Any]]) -> bool:
    seen = {(p.get("role"), p.get("evaluation_id")) for p in e.provenance}
    new = [p for p in items if (p.get("role"), p.get("evaluation_id")) not in seen]
    if not new:
        return False
    e.provenance = (e.provenance + new)[-MAX_PROVENANCE:]
    return True


class Synthesizer:
    """Turns observations into entries in a KnowledgeStore; thread-safe (the store serialises writes)."""

    def __init__(self, store: Any, llm: KnowledgeLLM | None = None, *, min_speedup: float = 1.05,
                 max_template_lines: int = 80) -> None:
        self.store = store
        self.llm = llm
        self.min_speedup = min_speedup
        self.max_template_lines = max_template_lines

    def observe(self, obs: Observation, parent: Observation | None = None) -> list[str]:
        """Record what one evaluation teaches; returns ids of the entries created or changed."""
        changed: list[str] = []
        if is_failure(obs):
            e = self.record_failure(obs)
            if e is not None:
                changed.append(e.id)
        if parent is not None and obs.passed:
            e = self.synthesize(parent, obs)
            if e is not None and e.id not in changed:
                changed.append(e.id)
        return changed

    def record_failure(self, obs: Observation) -> Entry | None:
        """A pending entry for a failure with no verified fix yet (or None when a fix is already known)."""
        tk = trigger_key(obs)
        if self.store.find_by_key_prefix(f"fix:{tk}:"):
            return None  # already knowledge with a verified template; nothing new to learn
        entry = Entry(id="", title=_title(obs, fixed=False), rationale=rule_rationale(obs), kind="fix",
                      state="pending", hardware=obs.hardware or "*", trigger=self._trigger(obs, ""),
                      features=obs.features(), provenance=[_provenance(obs, "failed")], origin="synthesis",
                      key=f"pending:{tk}", rationale_by="rule")
        if obs.error_class.startswith("SLOW"):
            entry.kind = "optimization"

        def merge(existing: Entry) -> Entry | None:
            return existing if _add_provenance(existing, [_provenance(obs, "failed")]) else None

        e, _ = self.store.put_keyed(entry, merge, reason=f"failure observed in {obs.evaluation_id or 'an evaluation'}")
        return e

    def synthesize(self, failed: Observation, fixed: Observation) -> Entry | None:
        """An entry whose template is the verified change from `failed` to `fixed`, or None if it is no fix."""
        if not fixed.passed:
            return None
        speedup = None
        if failed.passed:
            if not (failed.time_us and fixed.time_us):
                return None
            speedup = failed.time_us / fixed.time_us
            if speedup < self.min_speedup:
                return None
            if not failed.error_class.startswith("SLOW"):
                failed = Observation(**{**failed.to_dict(), "error_class": f"SLOW:{failed.bottleneck or 'UNKNOWN'}"})
        elif not is_failure(failed):
            return None
        diff = unified_diff(failed.source, fixed.source, self.max_template_lines)
        if not diff.strip():
            return None
        tk = trigger_key(failed)
        key = f"fix:{tk}:{_diff_hash(diff)}"
        prov = [_provenance(failed, "failed"), _provenance(fixed, "fixed")]
        existing = self.store.find_by_key(key)
        if existing is not None:
            def more(e: Entry) -> Entry | None:
                return e if _add_provenance(e, prov) else None

            return self.store.modify(existing.id, more, reason=f"fix seen again in {fixed.evaluation_id}")
        title, rationale, by = self._rationale(failed, fixed, diff, speedup)
        trigger = self._trigger(failed, diff)
        features = failed.features()
        kind = "optimization" if speedup else "fix"
        pending = self.store.find_by_key(f"pending:{tk}")
        if pending is not None:
            def promote(e: Entry) -> Entry:
                e.title, e.rationale, e.rationale_by, e.template = title, rationale, by, diff
                e.kind, e.state, e.key, e.trigger = kind, "active", key, trigger
                e.features = {**e.features, **features}
                _add_provenance(e, prov)
                return e

            try:
                return self.store.modify(pending.id, promote,
                                         reason=f"verified fix {fixed.evaluation_id} of {failed.evaluation_id}")
            except Exception as err:  # the pending entry was promoted concurrently: fall through to a new entry
                log.info("promotion of %s failed (%s); storing the fix as its own entry", pending.id, err)
        entry = Entry(id="", title=title, rationale=rationale, template=diff, kind=kind, state="active",
                      hardware=failed.hardware or "*", trigger=trigger, features=features, provenance=prov,
                      origin="synthesis", key=key, rationale_by=by)

        def add_prov(e: Entry) -> Entry | None:
            return e if _add_provenance(e, prov) else None

        e, _ = self.store.put_keyed(entry, add_prov, reason=f"verified fix {fixed.evaluation_id}")
        return e

    # ---------------------------------------------------------------------------------------- helpers
    def _trigger(self, obs: Observation, diff: str) -> Trigger:
        apis = set(apis_in("\n".join(_changed_lines(diff)))) if diff else set()
        if obs.error_api:
            apis.add(obs.error_api)
        pattern = rf"\b{re.escape(obs.error_api)}\s*[<(]" if re.fullmatch(r"\w+", obs.error_api or "") else ""
        return Trigger(error_class=obs.error_class, error_signature=obs.error_signature,
                       status=obs.status, apis=sorted(apis), code_pattern=pattern,
                       bottleneck=obs.bottleneck if obs.error_class.startswith("SLOW") else "")

    def _context(self, failed: Observation, fixed: Observation, diff: str, speedup: float | None) -> str:
        f = hardware_facts(failed.hardware)
        parts = [f"Hardware: {failed.hardware or 'unknown'} (UB {f['ub_bytes']} B, {f['aiv_cores']} AIV cores, "
                 f"max repeat {f['max_repeat']})",
                 f"Task: {failed.task or '?'} ({failed.category or '?'}), dtypes {', '.join(failed.dtypes) or '?'}"]
        if speedup:
            parts.append(f"Parent passed but was slow: bottleneck {failed.bottleneck or '?'}, pipe ratios "
                         f"{failed.pipes}, {failed.time_us} us; the change made it {speedup:.2f}x faster "
                         f"({fixed.time_us} us).")
        else:
            parts.append(f"Failed evaluation: {failed.status} {failed.error_class}"
                         + (f" at line {failed.error_line}" if failed.error_line else "")
                         + (f" ({failed.error_api})" if failed.error_api else "") + f": {failed.error_message}")
            ctx = failed.line_context()
            if ctx:
                parts.append("Source around the error:\n" + ctx)
            parts.append(f"After the change: {fixed.status}" + (f", {fixed.time_us} us" if fixed.time_us else ""))
        parts.append("Verified change (unified diff, failed -> fixed):\n" + diff)
        return "\n\n".join(parts)

    def _rationale(self, failed: Observation, fixed: Observation, diff: str,
                   speedup: float | None) -> tuple[str, str, str]:
        if self.llm is not None:
            try:
                title, rationale, _, _ = self.llm.write_rationale(self._context(failed, fixed, diff, speedup))
                return title, rationale, self.llm.name
            except LLMUnavailable as e:
                log.warning("knowledge LLM unavailable, rule rationale used: %s", e)
                return (_title(failed, True, speedup), rule_rationale(failed, bool(speedup)),
                        f"rule (llm failed: {str(e)[:200]})")
        return _title(failed, True, speedup), rule_rationale(failed, bool(speedup)), "rule"
