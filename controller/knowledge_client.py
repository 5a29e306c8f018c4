"""The campaign's view of the knowledge store: retrieval and checks for proposers, observations for synthesis.

Works over the plain `knowledge.base.KnowledgeBase` (tests, single process) or the shared Ray actor through
`knowledge.actor.KnowledgeClient`; both expose the same methods.
"""

from __future__ import annotations

import logging
from typing import Any

from controller.prompt import KnowledgeSnippet
from controller.store import Candidate, Evaluation
from hawk.v1 import result_pb2
from knowledge.evidence import effect_evidence
from knowledge.observation import Observation
from knowledge.retrieval import Query
from npu_agent import secrets
from npu_agent.taskspec import TaskDef, dtype_name

log = logging.getLogger(__name__)


class CampaignKnowledge:
    def __init__(self, kb: Any, hardware: str, metrics: Any = None) -> None:
        self.kb = kb
        self.hardware = hardware
        self.metrics = metrics

    def _observation(self, task: TaskDef, cand: Candidate, result: result_pb2.Result) -> Observation:
        # The knowledge store is SQLite every team reads: never a secret this process knows (token, TLS key).
        clean = result_pb2.Result()
        clean.CopyFrom(result)
        result = secrets.scrub_message(clean)
        made_by = cand.params if isinstance(cand.params.get("transform"), str) else None
        return Observation.from_result(result, cand.source, task.spec, evaluation_id=cand.id, candidate_id=cand.id,
                                       parent_id=cand.parent_id or "", params=cand.params.get("values"),
                                       transform=made_by)

    # ------------------------------------------------------------------------------------- proposers
    def retrieve(self, task: TaskDef, source: str | None, result: result_pb2.Result | None,
                 k: int, *, include_pending: bool = False, include_trial: bool = False) -> list[KnowledgeSnippet]:
        """Entries for a situation: the parent's source and outcome, or the bare task before any candidate."""
        if source is not None and result is not None:
            obs = Observation.from_result(result, source, task.spec)
            query: Any = Query.from_observation(obs)
        else:
            dtypes = sorted({dtype_name(t.dtype) for t in [*task.spec.inputs, *task.spec.outputs]})
            text = " ".join([task.spec.description, task.spec.category, source or ""])
            query = Query.from_text(text, hardware=self.hardware, category=task.spec.category, dtypes=dtypes)
        # Trial entries (a synthesised template verified once) only for the offline search that re-verifies them.
        hits = self.kb.retrieve(query, k, include_pending=include_pending, include_trial=include_trial)
        if self.metrics is not None:
            self.metrics.kb_retrievals.inc()
        return [KnowledgeSnippet(entry_id=h.entry.id, title=h.entry.title, rationale=h.entry.rationale,
                                 template=h.entry.template, why=h.why, apis=tuple(h.entry.trigger.apis),
                                 transform=h.entry.transform, state=h.entry.state, score=h.score,
                                 uses=h.entry.stats.uses, mean_effect=h.entry.stats.mean_effect) for h in hits]

    def check(self, task: TaskDef, source: str, params: dict[str, Any]) -> list[tuple[str, str]]:
        return [(v.entry_id, v.message) for v in self.kb.check(source, params, self.hardware)]

    # -------------------------------------------------------------------------------------- campaign
    def observe(self, task: TaskDef, cand: Candidate, result: result_pb2.Result,
                parent: tuple[Candidate, Evaluation | None] | None) -> int:
        """Synthesis from this evaluation (with its parent), and effect credit for the entries it applied.

        Only `cand.knowledge_used` is credited: by the proposer contract these are the entries the candidate
        actually applied (retrieved-but-unused ids are in params["retrieved"] and get nothing). Each use is
        stored with its evidence; a child made from its parent by one named transformation credits exactly
        that step (counterfactual: the parent is the same kernel without it).
        """
        obs = self._observation(task, cand, result)
        pobs = None
        if parent is not None and parent[1] is not None:
            pobs = self._observation(task, parent[0], parent[1].result)
        changed = self.kb.observe(obs, pobs)
        used = list(dict.fromkeys(cand.knowledge_used))
        if used:
            evidence = effect_evidence(obs, pobs, n_credited=len(used))
            evidence["proposer"] = cand.proposer
            self.kb.record_effect(used, obs.outcome_vs(pobs), evidence)
        return len(changed)
