"""Effect-driven distillation: prune entries that reliably hurt, merge near-duplicates.

Every use of an entry carries an effect in [-1, 1] (`Outcome.effect`) and its evidence (what the use
changed, statuses, times, bottleneck and pipes before/after). Uses exist only where the entry was applied:
the campaign credits a candidate's `knowledge_used` (the entries it applied), never the merely retrieved
ones, so no entry is judged on kernels it did not touch. An entry is a *prune candidate*
when it has at least `min_uses` uses and the upper end of its effect's one-sided confidence interval,
``mean + z * stderr``, is still below `max_effect` (0): it hurts, and not by chance. Two live entries are
*near-duplicates* when they share hardware scope and error class and their token similarity (mean of the
Jaccard similarities of trigger, template and rationale tokens, over the parts both have) is at least
`merge_similarity`.

With an LLM configured, each candidate goes to the LLM for arbitration (prune/keep, merge/keep both, which
one survives, optionally a combined rationale); prompt, answer, decision and reason are stored. Without
one, or when it fails, a deterministic rule decides: prune every prune candidate; merge every duplicate
pair into the survivor chosen by (seed first, active before pending, higher mean effect, more uses,
older). Nothing is dropped: pruned and absorbed entries are soft-deleted with their reason, and an
absorbed entry's effects and provenance move to its survivor. A "keep" decision is remembered with the
entries' versions and use counts (its basis), so the LLM is not asked again until something changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from knowledge.llm import MAX_USES_SHOWN, KnowledgeLLM, LLMUnavailable, describe_uses
from knowledge.model import Decision, Entry
from knowledge.retrieval import tokens

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistillPolicy:
    min_uses: int = 5             # fewer uses than this are never "reliably" anything
    z: float = 1.0                # one-sided ~84% confidence
    max_effect: float = 0.0       # prune when mean + z*stderr < max_effect
    merge_similarity: float = 0.75
    protect_seeds: bool = True    # documented hardware facts are not pruned by the rule (the LLM may still)
    every_effects: int = 200      # run automatically after this many new effects (0 = only on demand/timer)


@dataclass
class DistillReport:
    pruned: list[str] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)   # (survivor, absorbed)
    kept: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"pruned": self.pruned, "merged": [list(m) for m in self.merged], "kept": self.kept,
                "decisions": [{"action": d.action, "entry_ids": list(d.entry_ids), "by": d.by, "reason": d.reason}
                              for d in self.decisions]}


def _token_set(text: str) -> set[str]:
    return set(tokens(text))


def similarity(a: Entry, b: Entry) -> float:
    """Token similarity of two entries (0..1), from Jaccard similarities of their parts.

    When both have a template, the template (the exact code) weighs half and trigger and rationale a quarter
    each: two different fixes of the same error are different knowledge even when their rule-written
    rationales are identical. An entry with a transformation is compared by it (name and directions), so the
    same step learnt twice is one change. Otherwise trigger and rationale weigh half each.
    """
    def trig(e: Entry) -> set[str]:
        t = e.trigger
        return _token_set(" ".join([t.error_class, t.error_signature, " ".join(t.apis), t.bottleneck])) | {
            x.lower() for x in t.apis}

    def changed(e: Entry) -> set[str]:
        if e.transform:  # the executable template: the same transformation and directions is the same change
            return {f"transform:{e.transform['name']}"} | {
                f"{e.transform['name']}:{k}={v}" for k, v in e.transform.get("values", {}).items()}
        lines = [ln[1:] for ln in e.template.splitlines() if ln[:1] in "+-"] or e.template.splitlines()
        return _token_set("\n".join(lines))

    def jaccard(x: set[str], y: set[str]) -> float:
        return len(x & y) / len(x | y) if x | y else 1.0

    if same_step(a, b):
        return 1.0  # the same executable step (merge candidates share hardware, class and bottleneck already)
    t, r = jaccard(trig(a), trig(b)), jaccard(_token_set(a.rationale), _token_set(b.rationale))
    if (a.template.strip() or a.transform) and (b.template.strip() or b.transform):
        return 0.25 * t + 0.5 * jaccard(changed(a), changed(b)) + 0.25 * r
    return 0.5 * t + 0.5 * r


_DIRECTIONS = ("up", "down", "double", "half")


def same_step(a: Entry, b: Entry) -> bool:
    """Whether two entries' transformations are one executable step: equal, or equal but where one names a
    concrete value (a documented target, e.g. double buffering's depth 2) that every verified step of the other
    (its "fixed" provenance) reached, as a learnt "depth up" from 1 to 2 does."""
    ta, tb = a.transform, b.transform
    if not ta or not tb or ta.get("name") != tb.get("name"):
        return False
    va, vb = ta.get("values") or {}, tb.get("values") or {}
    if set(va) != set(vb):
        return False
    for k in va:
        if va[k] == vb[k]:
            continue
        if not any(value not in _DIRECTIONS and _reached(other, k) == {value}
                   for value, other in ((va[k], b), (vb[k], a))):
            return False
    return True


def _reached(e: Entry, param: str) -> set[Any]:
    return {p["transform"].get("values", {}).get(param) for p in e.provenance
            if p.get("role") == "fixed" and isinstance(p.get("transform"), dict)}


def survivor(a: Entry, b: Entry) -> tuple[Entry, Entry]:
    """(keep, absorb) by the deterministic rule."""
    def rank(e: Entry) -> tuple:
        return (e.origin == "seed", e.state == "active", e.stats.mean_effect if e.stats.uses else 0.0,
                e.stats.uses, -e.created, e.id)

    return (a, b) if rank(a) >= rank(b) else (b, a)


def _basis(*entries: Entry) -> str:
    return ",".join(f"{e.id}@v{e.version}/u{e.stats.uses}" for e in sorted(entries, key=lambda e: e.id))


class Distiller:
    def __init__(self, store: Any, llm: KnowledgeLLM | None = None, policy: DistillPolicy | None = None) -> None:
        self.store = store
        self.llm = llm
        self.policy = policy or DistillPolicy()

    def prune_candidates(self, entries: list[Entry] | None = None) -> list[Entry]:
        p = self.policy
        out = []
        for e in entries if entries is not None else self.store.entries(states=("active", "trial", "pending")):
            s = e.stats
            if s.uses < p.min_uses:
                continue
            if s.mean_effect + p.z * s.effect_stderr < p.max_effect:
                out.append(e)
        return out

    def merge_candidates(self, entries: list[Entry] | None = None) -> list[tuple[Entry, Entry, float]]:
        entries = entries if entries is not None else self.store.entries(states=("active", "trial", "pending"))
        groups: dict[tuple[str, str, str], list[Entry]] = {}
        for e in entries:
            groups.setdefault((e.hardware, e.trigger.error_class, e.trigger.bottleneck), []).append(e)
        pairs = []
        for group in groups.values():
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    sim = similarity(a, b)
                    if sim >= self.policy.merge_similarity:
                        pairs.append((a, b, sim))
        pairs.sort(key=lambda x: (-x[2], x[0].id, x[1].id))
        return pairs

    def run(self) -> DistillReport:
        """One distillation pass over the live entries; every action is recorded as a Decision."""
        report = DistillReport()
        entries = self.store.entries(states=("active", "trial", "pending"))
        for e in self.prune_candidates(entries):
            self._arbitrate_prune(e, report)
        gone = set(report.pruned)
        live = [e for e in self.store.entries(states=("active", "trial", "pending")) if e.id not in gone]
        for a, b, sim in self.merge_candidates(live):
            if a.id in gone or b.id in gone:
                continue
            absorbed = self._arbitrate_merge(self.store.get(a.id), self.store.get(b.id), sim, report)
            if absorbed:
                gone.add(absorbed)
        import time

        self.store.set_meta("last_distill_at", str(time.time()))
        self.store.set_meta("last_distill_effects", str(self.store.effect_count()))
        return report

    # ----------------------------------------------------------------------------------------- prune
    def _arbitrate_prune(self, e: Entry, report: DistillReport) -> None:
        s, p = e.stats, self.policy
        uses = self.store.effects(e.id, MAX_USES_SHOWN)
        worst = sorted(uses, key=lambda u: u["effect"])[:2]
        stat = (f"mean effect {s.mean_effect:.2f} (+{p.z:g} stderr = {s.mean_effect + p.z * s.effect_stderr:.2f}) "
                f"over {s.uses} uses: {s.fixes} fixes, {s.breaks} breaks, {s.fails} fails; worst uses:\n"
                + describe_uses(worst))
        basis = _basis(e)
        if self.llm is not None:
            if self.store.decisions(action="keep", basis=basis):
                report.kept.append(e.id)
                return
            try:
                decision, reason, prompt, answer = self.llm.arbitrate_prune(e, uses)
                self._apply_prune(e, decision == "prune", self.llm.name, reason, prompt, answer, basis, report)
                return
            except LLMUnavailable as err:
                log.warning("distillation LLM unavailable for %s, rule used: %s", e.id, err)
                by = f"rule (llm failed: {str(err)[:200]})"
        else:
            by = "rule"
        if e.origin == "seed" and p.protect_seeds:
            self._apply_prune(e, False, by, f"seed entry kept despite {stat}: documented hardware fact", "", "",
                              basis, report)
            return
        self._apply_prune(e, True, by, f"reliably negative: {stat}", "", "", basis, report)

    def _apply_prune(self, e: Entry, prune: bool, by: str, reason: str, prompt: str, answer: str, basis: str,
                     report: DistillReport) -> None:
        d = self.store.record_decision(Decision(action="prune" if prune else "keep", entry_ids=(e.id,), by=by,
                                                reason=reason, prompt=prompt, response=answer, basis=basis))
        report.decisions.append(d)
        if prune:
            self.store.delete(e.id, f"pruned by {by}: {reason}")
            report.pruned.append(e.id)
        else:
            report.kept.append(e.id)

    # ----------------------------------------------------------------------------------------- merge
    def _arbitrate_merge(self, a: Entry, b: Entry, sim: float, report: DistillReport) -> str | None:
        basis = _basis(a, b)
        keep, absorb = survivor(a, b)
        merged_rationale, prompt, answer = "", "", ""
        if self.llm is not None:
            if self.store.decisions(action="keep", basis=basis):
                return None
            try:
                decision, keep_id, merged_rationale, reason, prompt, answer = self.llm.arbitrate_merge(
                    a, b, self.store.effects(a.id, MAX_USES_SHOWN), self.store.effects(b.id, MAX_USES_SHOWN))
                by = self.llm.name
                if decision == "keep_both":
                    report.decisions.append(self.store.record_decision(Decision(
                        action="keep", entry_ids=(a.id, b.id), by=by, reason=reason, prompt=prompt, response=answer,
                        basis=basis)))
                    return None
                keep, absorb = (a, b) if keep_id == a.id else (b, a)
            except LLMUnavailable as err:
                log.warning("distillation LLM unavailable for %s/%s, rule used: %s", a.id, b.id, err)
                by, reason = f"rule (llm failed: {str(err)[:200]})", f"near-duplicates (similarity {sim:.2f})"
        else:
            by, reason = "rule", f"near-duplicates (similarity {sim:.2f})"
        report.decisions.append(self.store.record_decision(Decision(
            action="merge", entry_ids=(keep.id, absorb.id), by=by, reason=reason, prompt=prompt, response=answer,
            basis=basis)))
        self.store.copy_effects(absorb.id, keep.id)

        def fold(e: Entry) -> Entry:
            seen = {(p.get("role"), p.get("evaluation_id")) for p in e.provenance}
            e.provenance = (e.provenance + [dict(p, merged_from=absorb.id) for p in absorb.provenance
                                            if (p.get("role"), p.get("evaluation_id")) not in seen])[-50:]
            e.trigger.apis = sorted(set(e.trigger.apis) | set(absorb.trigger.apis))
            if merged_rationale.strip():
                e.rationale, e.rationale_by = merged_rationale.strip(), by
            return e

        self.store.modify(keep.id, fold, reason=f"merged {absorb.id} ({reason})")
        self.store.delete(absorb.id, f"merged into {keep.id} by {by}: {reason}", merged_into=keep.id)
        report.merged.append((keep.id, absorb.id))
        return absorb.id
