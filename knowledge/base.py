"""`KnowledgeBase`: the three Hawk modules over one store — the API the controller and the actor use.

    kb = KnowledgeBase("~/.hawk/knowledge.sqlite")             # seeds the documented hardware packs
    hits = kb.retrieve(Query.from_observation(obs), k=5)       # 2-D retrieval
    violations = kb.check(source, {"TILE_LENGTH": 4096}, "ascend910b2")
    kb.observe(obs, parent_obs)                                # synthesis (pending entries, verified fixes)
    kb.record_effect(entry_ids, obs.outcome_vs(parent_obs), effect_evidence(obs, parent_obs))  # per-use credit
    kb.distill()                                               # prune and merge (also runs by itself)

Plain Python, thread-safe; the Ray actor (actor.py) is a thin shell around one of these.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from knowledge.checks import run_checks
from knowledge.distill import Distiller, DistillPolicy, DistillReport
from knowledge.evidence import effect_evidence, summarise
from knowledge.llm import KnowledgeLLM, LLMConfig
from knowledge.model import Decision, Entry, Hit, KnowledgeError, Outcome, Violation
from knowledge.observation import Observation
from knowledge.retrieval import Query, Retriever
from knowledge.seed import available_packs, seed_store
from knowledge.store import KnowledgeStore
from knowledge.synthesis import Synthesizer, timing_noise

log = logging.getLogger(__name__)


class KnowledgeBase:
    def __init__(self, path: str | Path | None = None, *, llm: KnowledgeLLM | LLMConfig | None = None,
                 policy: DistillPolicy | None = None, seed: bool | Iterable[str] = True,
                 w_syntactic: float = 1.0, w_semantic: float = 1.0) -> None:
        self.store = KnowledgeStore(path)
        self.llm = KnowledgeLLM(llm) if isinstance(llm, LLMConfig) else llm
        self.policy = policy or DistillPolicy()
        self.retriever = Retriever(self.store, w_syntactic=w_syntactic, w_semantic=w_semantic)
        self.synthesizer = Synthesizer(self.store, self.llm)
        self._distill_lock = threading.Lock()
        packs = available_packs() if seed is True else ([] if seed is False else list(seed))
        for hw in packs:
            added = seed_store(self.store, hw)
            if added:
                log.info("seeded %d %s entries into %s", len(added), hw, self.store.path)

    def use_llm(self, llm: LLMConfig | None) -> None:
        """Switch the LLM that writes rationales and arbitrates distillation (None: the rules)."""
        self.llm = KnowledgeLLM(llm) if llm is not None else None
        self.synthesizer.llm = self.llm

    @property
    def path(self) -> str:
        return str(self.store.path)

    # ------------------------------------------------------------------------------------ retrieval
    def retrieve(self, query: Query | Observation | str, k: int = 5, *, include_pending: bool = False,
                 include_trial: bool = False) -> list[Hit]:
        """Top k entries; trial entries (templates verified once) only with include_trial."""
        return self.retriever.retrieve(query, k, include_pending=include_pending, include_trial=include_trial)

    def check(self, source: str, tiling_values: dict[str, Any] | None = None,
              hardware: str = "ascend910b2") -> list[Violation]:
        """Violations of the active entries' executable checks (for `hardware`) by a candidate."""
        hw, entries = self._checks(hardware)
        return run_checks(entries, source, tiling_values or {}, hw)

    def check_entries(self, hardware: str = "ascend910b2") -> list[Entry]:
        """The entries `check` runs for `hardware`: a campaign fetches them once a round and checks locally."""
        return self._checks(hardware)[1]

    def _checks(self, hardware: str) -> tuple[Any, list[Entry]]:
        from npu_agent.hardware import UnknownHardwareProfile, load_profile

        try:
            hw = load_profile(hardware)
        except UnknownHardwareProfile as e:
            raise KnowledgeError(str(e)) from None
        return hw, [e for e in self.store.entries(states=("active",), hardware=hw.name, with_stats=False) if e.check]

    # ------------------------------------------------------------------------------------ synthesis
    def observe(self, obs: Observation, parent: Observation | None = None) -> list[str]:
        return self.synthesizer.observe(obs, parent)

    def synthesize(self, failed: Observation, fixed: Observation) -> Entry | None:
        return self.synthesizer.synthesize(failed, fixed)

    def observe_many(self, items: Iterable[tuple[Observation, Observation | None, list[str], str]]) -> int:
        """Many evaluations at once, in order: each observed (synthesis) and, when it applied entries, their
        effect credited with its evidence (as `observe` then `record_effect`); returns the entries changed."""
        changed = 0
        for obs, parent, used, proposer in items:
            changed += len(self.observe(obs, parent))
            if used:
                evidence = effect_evidence(obs, parent, n_credited=len(used))
                evidence["proposer"] = proposer
                self.record_effect(used, obs.outcome_vs(parent), evidence)
        return changed

    # --------------------------------------------------------------------------------------- effects
    def record_effect(self, entry_ids: Iterable[str], outcome: Outcome, evidence: dict[str, Any] | None = None) -> int:
        """Credit the entries a proposal applied, with the use's evidence; distils by itself every
        `policy.every_effects` new effects.

        A trial entry (template verified once) becomes active on a further use with a gain beyond the timing
        noise, and is deleted with the evidence when a use breaks a passing parent.
        """
        entry_ids = list(entry_ids)
        added = self.store.record_effect(entry_ids, outcome, evidence)
        if added:
            for eid in entry_ids:
                self._judge_trial(eid, outcome, evidence or {})
        every = self.policy.every_effects
        if added and every and self.store.effect_count() - int(self.store.meta("last_distill_effects", "0")) >= every:
            try:
                self.distill(blocking=False)
            except Exception:  # the effect is recorded; a failed automatic pass is retried next time
                log.exception("automatic distillation failed")
        return added

    def _judge_trial(self, entry_id: str, outcome: Outcome, evidence: dict[str, Any]) -> None:
        e = self.store.get(entry_id)
        if e.state != "trial":
            return
        if outcome.evaluation_id in {p.get("evaluation_id") for p in e.provenance}:
            return  # the evaluation it was learnt from is no further verification
        what = summarise({"evaluation_id": outcome.evaluation_id, **evidence})
        if outcome.parent_passed and not outcome.passed:
            self.store.delete(entry_id, f"trial template broke a passing kernel: {what}")
            return
        noise, source = timing_noise(e.hardware if e.hardware != "*" else "", str(evidence.get("backend", "")))
        gain = (outcome.passed and outcome.parent_passed is False) or (
            outcome.speedup is not None and outcome.speedup > 1.0 + noise)
        if gain:
            def activate(x: Entry) -> Entry | None:
                if x.state != "trial":
                    return None
                x.state = "active"
                return x

            self.store.modify(entry_id, activate, reason=f"re-verified (gain beyond +-{noise:.0%}, {source}): {what}")

    def distill(self, *, blocking: bool = True) -> DistillReport:
        """One distillation pass; concurrent requests share one pass (a non-blocking one skips)."""
        if not self._distill_lock.acquire(blocking=blocking):
            return DistillReport()
        try:
            return Distiller(self.store, self.llm, self.policy).run()
        finally:
            self._distill_lock.release()

    # ----------------------------------------------------------------------------------- the store
    def add(self, entry: Entry | dict[str, Any], *, reason: str = "created") -> Entry:
        return self.store.add(entry, reason=reason)

    def get(self, entry_id: str) -> Entry:
        return self.store.get(entry_id)

    def entries(self, states: Iterable[str] | None = ("active",), hardware: str | None = None) -> list[Entry]:
        return self.store.entries(states=states, hardware=hardware)

    def update(self, entry_id: str, changes: dict[str, Any], *, reason: str,
               expect_version: int | None = None) -> Entry:
        return self.store.update(entry_id, changes, reason=reason, expect_version=expect_version)

    def delete(self, entry_id: str, reason: str) -> Entry:
        return self.store.delete(entry_id, reason)

    def restore(self, entry_id: str, reason: str) -> Entry:
        return self.store.restore(entry_id, reason)

    def history(self, entry_id: str) -> list[dict[str, Any]]:
        return self.store.history(entry_id)

    def effects(self, entry_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        return self.store.effects(entry_id, limit)

    def decisions(self, limit: int | None = None) -> list[Decision]:
        return self.store.decisions(limit)

    def stats(self) -> dict[str, Any]:
        return self.store.summary()

    def export_jsonl(self, out: str | Path | IO[str]) -> int:
        return self.store.export_jsonl(out)

    def import_jsonl(self, src: str | Path | IO[str]) -> dict[str, int]:
        return self.store.import_jsonl(src)
