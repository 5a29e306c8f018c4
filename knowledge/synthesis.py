"""Run-time knowledge synthesis: failures become pending entries, verified fixes become entries.

- A failed evaluation (compile error, hardware exception at a line, wrong answer, timeout, crash) or a slow
  profile (a passing kernel far from the hardware floor) records a *pending* entry: trigger and rationale,
  no template, since nothing has yet shown what fixes it. One pending entry per trigger key (hardware,
  error class, normalised signature, faulting API), so the same failure seen again adds provenance only.
- A later candidate of the same lineage (the failed one's child) that passed, or that ran faster than a
  passing parent by more than the profile's measurement noise, is the verified fix. Its executable template
  is the named transformation that made the child (`Entry.transform`, its direction "up"/"down"), else the
  minimal hunks parent -> child (changed lines with `TEMPLATE_CONTEXT` lines of context), kept only when
  applying them to the parent reproduces the child. A change of more than `MAX_TEMPLATE_LINES` lines is a
  rewrite, not a template: the entry keeps trigger and rationale only (pending). The same change seen again
  only adds provenance.
- A template entry starts in state "trial": verified once, on the kernel it came from. One further verified
  use with a gain makes it active; a use that breaks a passing kernel deletes it with the evidence
  (`KnowledgeBase.record_effect`).
- Noise: a speed-up counts only beyond the profile's timing noise (`timing_noise`): msprof's run-to-run
  spread on hardware, the twin's calibration error on steps on the twin, from the hardware data file.
- The rationale is written by the LLM from the evidence (error context, pipes before/after, the change) when
  one is configured, and otherwise (or when the LLM fails) by `taxonomy.evidence_rationale` from the same
  facts ("MTE2 busy 0.91 -> 0.52 after queue_depth 1 -> 2 (line 57)") followed by the class's rule text.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from knowledge import taxonomy
from knowledge.evidence import describe_step, transform_step
from knowledge.hunks import changed_line_count, first_changed_line, make_hunks, reproduces
from knowledge.llm import KnowledgeLLM, LLMUnavailable
from knowledge.model import Entry, Trigger
from knowledge.observation import Observation, apis_in

log = logging.getLogger(__name__)

SYNTHESIZED_STATUSES = {"COMPILE_ERROR", "HARDWARE_EXCEPTION", "WRONG_ANSWER", "TIMEOUT", "RUNTIME_ERROR"}
MAX_PROVENANCE = 50
MAX_TEMPLATE_LINES = 24     # changed (+/-) lines; more is a rewrite of the kernel, not a reusable template
TEMPLATE_CONTEXT = 2        # unchanged lines around each change: enough to find the spot in another kernel
DEFAULT_TIMING_NOISE = 0.11  # a profile without [measurement]: the twin's worst calibration step error (910B2)
HARDWARE_BACKENDS = ("cann",)  # backends that time a real NPU (msprof); every other backend is a model


def timing_noise(hardware: str, backend: str = "") -> tuple[float, str]:
    """(relative noise, where it comes from) of one timing step on this hardware and backend.

    A speed-up is beyond the noise when parent_time / child_time > 1 + noise.
    """
    from npu_agent.hardware import DEFAULT_PROFILE, UnknownHardwareProfile, load_profile

    key = "hardware_timing_noise" if backend in HARDWARE_BACKENDS else "twin_step_error"
    try:
        hw = load_profile(hardware or DEFAULT_PROFILE)
    except UnknownHardwareProfile:
        return DEFAULT_TIMING_NOISE, "synthesis.DEFAULT_TIMING_NOISE (unknown hardware profile)"
    value = hw.get("measurement", key)
    if value is None:
        return DEFAULT_TIMING_NOISE, f"synthesis.DEFAULT_TIMING_NOISE ({hw.name} has no measurement.{key})"
    return float(value), f"{hw.name} measurement.{key}"


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


def template_hunks(before: str, after: str, max_lines: int = MAX_TEMPLATE_LINES) -> str:
    """The minimal hunks parent -> child when they are an executable template, else "".

    "" when nothing changed, when more than `max_lines` lines changed (a rewrite), or when applying the hunks
    to `before` does not reproduce `after` exactly.
    """
    hunks = make_hunks(before, after, TEMPLATE_CONTEXT)
    if not hunks.strip() or changed_line_count(hunks) > max_lines:
        return ""
    return hunks if reproduces(before, after, hunks) else ""


def _changed_lines(diff: str) -> list[str]:
    return [ln[1:] for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


def _diff_hash(diff: str) -> str:
    norm = "\n".join(ln[0] + re.sub(r"\s+", "", ln[1:]) for ln in diff.splitlines() if ln[:1] in "+-")
    return hashlib.sha256(norm.encode()).hexdigest()[:12]


def evidence_facts(failed: Observation, fixed: Observation, step: dict[str, Any] | None,
                   hunks: str) -> dict[str, Any]:
    """The measured facts a rationale states: the pipe, its busy ratio before/after, the change and its line."""
    facts: dict[str, Any] = {"status_before": failed.status, "status_after": fixed.status,
                             "error_class": failed.error_class if not failed.passed else "",
                             "time_before": failed.time_us, "time_after": fixed.time_us}
    if failed.passed and failed.time_us and fixed.time_us:
        facts["speedup"] = failed.time_us / fixed.time_us
    pipe = (failed.bottleneck or "").partition(":")[2]
    if pipe and pipe in failed.pipes and pipe in fixed.pipes:
        facts.update(pipe=pipe, busy_before=failed.pipes[pipe], busy_after=fixed.pipes[pipe])
    whole = make_hunks(failed.source, fixed.source, 0) if not hunks and failed.source else ""
    rewrite = step is None and not hunks
    line = 0 if rewrite else first_changed_line(hunks or whole)
    if step is not None:
        facts["change"] = describe_step(step)
    elif rewrite:
        values = ", ".join(f"{k}={v}" for k, v in sorted(fixed.params.items()))
        facts["change"] = (f"a rewrite ({changed_line_count(whole)} changed lines"
                           + (f"; template parameters {values})" if values else ")"))
    elif hunks:
        added = [ln[1:].strip() for ln in hunks.splitlines() if ln.startswith("+")]
        removed = [ln[1:].strip() for ln in hunks.splitlines() if ln.startswith("-")]
        if removed and added:
            facts["change"] = f"`{removed[0][:70]}` -> `{added[0][:70]}`"
        elif added or removed:
            facts["change"] = f"{'adding' if added else 'removing'} `{(added or removed)[0][:70]}`"
    if line:
        facts["line"] = line
    elif failed.error_line and not failed.passed and not rewrite:
        facts["line"] = failed.error_line
    return facts


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


def _directions(step: dict[str, Any]) -> dict[str, Any]:
    """The step's values as directions along the parameter's ordered numeric domain ("up"/"down") where the old
    value is known, else the concrete value (a categorical choice such as a loop order stays a value): a
    direction applies to any kernel the transformation recognises, a value only where it is on the domain."""
    from knowledge import transforms

    try:
        tr = transforms.get(step["name"])
    except transforms.NotApplicable:
        tr = None
    out: dict[str, Any] = {}
    for p, v in step.get("values", {}).items():
        old = step.get("from", {}).get(p)
        try:
            domain = tr.param(p).values if tr is not None else ()
        except KeyError:
            domain = ()
        numeric = bool(domain) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in domain)
        if numeric and isinstance(old, (int, float)) and isinstance(v, (int, float)) and v != old:
            out[p] = "up" if v > old else "down"  # domains are ascending; an off-grid old value compares too
        else:
            out[p] = v
    return out


def _step_text(step: dict[str, Any] | None) -> str:
    return f"transform {describe_step(step)}" if step else ""


def _provenance(obs: Observation, role: str, step: dict[str, Any] | None = None) -> dict[str, Any]:
    p = {"role": role, "evaluation_id": obs.evaluation_id, "candidate_id": obs.candidate_id, "status": obs.status,
         "hardware": obs.hardware, "task": obs.task}
    if step is not None:
        p["transform"] = {k: v for k, v in step.items() if k in ("name", "values", "from")}
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

    def __init__(self, store: Any, llm: KnowledgeLLM | None = None, *, noise: float | None = None,
                 max_template_lines: int = MAX_TEMPLATE_LINES) -> None:
        self.store = store
        self.llm = llm
        self.noise = noise  # None: from the hardware data (timing_noise); a number overrides it
        self.max_template_lines = max_template_lines
        self.skipped: list[str] = []  # why recent would-be entries were not made (last 50), for reports and tests

    def noise_for(self, obs: Observation) -> tuple[float, str]:
        return (self.noise, "Synthesizer(noise=...)") if self.noise is not None else timing_noise(obs.hardware,
                                                                                                   obs.backend)

    def _skip(self, why: str) -> None:
        log.info("no knowledge entry: %s", why)
        self.skipped = (self.skipped + [why])[-50:]

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
        step = transform_step(fixed.transform)
        if step is not None and step.get("entry"):
            return None  # an entry's own transformation: its effect is credited to that entry, nothing new
        speedup = None
        if failed.passed:
            if not (failed.time_us and fixed.time_us):
                return None
            speedup = failed.time_us / fixed.time_us
            noise, source = self.noise_for(fixed)
            if speedup <= 1.0:
                return None  # not faster: nothing to learn from this pair
            if speedup <= 1.0 + noise:
                self._skip(f"{fixed.evaluation_id}: {speedup:.3f}x is within the timing noise +-{noise:.0%} ({source})")
                return None
            if not failed.error_class.startswith("SLOW"):
                failed = Observation(**{**failed.to_dict(), "error_class": f"SLOW:{failed.bottleneck or 'UNKNOWN'}"})
        elif not is_failure(failed):
            return None
        if failed.source == fixed.source or not make_hunks(failed.source, fixed.source).strip():
            return None
        hunks = "" if step is not None else template_hunks(failed.source, fixed.source, self.max_template_lines)
        transform = None
        if step is not None:
            transform = {"name": step["name"], "values": _directions(step)}
            ident = "transform:" + step["name"] + ":" + ",".join(f"{k}={v}" for k, v in
                                                                 sorted(transform["values"].items()))
        elif hunks:
            ident = _diff_hash(hunks)
        else:
            self._skip(f"{fixed.evaluation_id}: the change from {failed.evaluation_id} is a rewrite "
                       f"(>{self.max_template_lines} changed lines or not reproducible as hunks); no template")
            ident = ""
        tk = trigger_key(failed)
        prov = [_provenance(failed, "failed"), _provenance(fixed, "fixed", step)]
        title, rationale, by = self._rationale(failed, fixed, hunks, speedup, step)
        trigger = self._trigger(failed, hunks or make_hunks(failed.source, fixed.source, 0))
        features = failed.features()
        kind = "optimization" if speedup else "fix"
        if not ident:
            # No executable template: the situation and the evidence are still knowledge, kept pending.
            entry = Entry(id="", title=title, rationale=rationale, kind=kind, state="pending",
                          hardware=failed.hardware or "*", trigger=trigger, features=features, provenance=prov,
                          origin="synthesis", key=f"pending:{tk}", rationale_by=by)

            def more_prov(e: Entry) -> Entry | None:
                return e if _add_provenance(e, prov) else None

            e, _ = self.store.put_keyed(entry, more_prov, reason=f"unrepeatable change {fixed.evaluation_id}")
            return e
        key = f"fix:{tk}:{ident}"
        existing = self.store.find_by_key(key)
        if existing is not None:
            def more(e: Entry) -> Entry | None:
                return e if _add_provenance(e, prov) else None

            return self.store.modify(existing.id, more, reason=f"fix seen again in {fixed.evaluation_id}")
        template = hunks or _step_text(step)
        pending = self.store.find_by_key(f"pending:{tk}")
        if pending is not None:
            def promote(e: Entry) -> Entry:
                e.title, e.rationale, e.rationale_by, e.template = title, rationale, by, template
                e.kind, e.state, e.key, e.trigger, e.transform = kind, "trial", key, trigger, transform
                e.features = {**e.features, **features}
                _add_provenance(e, prov)
                return e

            try:
                return self.store.modify(pending.id, promote,
                                         reason=f"verified fix {fixed.evaluation_id} of {failed.evaluation_id}")
            except Exception as err:  # the pending entry was promoted concurrently: fall through to a new entry
                log.info("promotion of %s failed (%s); storing the fix as its own entry", pending.id, err)
        entry = Entry(id="", title=title, rationale=rationale, template=template, transform=transform, kind=kind,
                      state="trial", hardware=failed.hardware or "*", trigger=trigger, features=features,
                      provenance=prov, origin="synthesis", key=key, rationale_by=by)

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

    def _context(self, failed: Observation, fixed: Observation, diff: str, speedup: float | None,
                 step: dict[str, Any] | None = None) -> str:
        f = hardware_facts(failed.hardware)
        parts = [f"Hardware: {failed.hardware or 'unknown'} (UB {f['ub_bytes']} B, {f['aiv_cores']} AIV cores, "
                 f"max repeat {f['max_repeat']})",
                 f"Task: {failed.task or '?'} ({failed.category or '?'}), dtypes {', '.join(failed.dtypes) or '?'}"]
        if speedup:
            parts.append(f"Parent passed but was slow: bottleneck {failed.bottleneck or '?'}, pipe ratios "
                         f"{failed.pipes}, {failed.time_us} us; the change made it {speedup:.2f}x faster "
                         f"({fixed.time_us} us; bottleneck after {fixed.bottleneck or '?'}, pipe ratios after "
                         f"{fixed.pipes}).")
        else:
            parts.append(f"Failed evaluation: {failed.status} {failed.error_class}"
                         + (f" at line {failed.error_line}" if failed.error_line else "")
                         + (f" ({failed.error_api})" if failed.error_api else "") + f": {failed.error_message}")
            ctx = failed.line_context()
            if ctx:
                parts.append("Source around the error:\n" + ctx)
            parts.append(f"After the change: {fixed.status}" + (f", {fixed.time_us} us" if fixed.time_us else ""))
        if step is not None:
            parts.append(f"Verified change: the named transformation {describe_step(step)}.")
        elif diff:
            parts.append("Verified change (unified diff, failed -> fixed):\n" + diff)
        else:
            parts.append("Verified change (first changed lines; the whole change is a rewrite):\n"
                         + "\n".join(make_hunks(failed.source, fixed.source, 0).splitlines()[:30]))
        facts = evidence_facts(failed, fixed, step, diff)
        parts.append("Measured: " + taxonomy.evidence_rationale(facts) + " State the rationale from these "
                     "measurements: which pipe, which line, what changed.")
        return "\n\n".join(parts)

    def _rationale(self, failed: Observation, fixed: Observation, diff: str, speedup: float | None,
                   step: dict[str, Any] | None = None) -> tuple[str, str, str]:
        rule = taxonomy.evidence_rationale(evidence_facts(failed, fixed, step, diff),
                                           rule_rationale(failed, bool(speedup)))
        if self.llm is not None:
            try:
                title, rationale, _, _ = self.llm.write_rationale(self._context(failed, fixed, diff, speedup, step))
                return title, rationale, self.llm.name
            except LLMUnavailable as e:
                log.warning("knowledge LLM unavailable, rule rationale used: %s", e)
                return _title(failed, True, speedup), rule, f"rule (llm failed: {str(e)[:200]})"
        return _title(failed, True, speedup), rule, "rule"
