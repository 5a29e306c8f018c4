"""Proposers turn a task's history into new candidate kernels.

- `OfflineProposer` searches the parameters of the task's kernel template (random points first, then
  mostly mutations of the best so far), or, for a task without a template, walks from its baseline one named
  transformation step at a time (controller/search.py), guided by the retrieved knowledge entries when
  knowledge is on. Knowledge checks prune kernels that would break a known hardware constraint before
  anything is dispatched.
- `LLMProposer` asks a model for a whole kernel, giving it the parent and its feedback plus the knowledge
  retrieved for that situation.

Both are synchronous (the campaign runs them in threads); neither ever returns a source already tried.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import logging
import random
from dataclasses import dataclass, field
from typing import Any, Protocol

from controller.llm import LLMClient, LLMError
from controller.prompt import SYSTEM, KnowledgeSnippet, ParseError, build_prompt, parse_source
from controller.store import Candidate, Evaluation
from controller.templates import KernelTemplate, template_for
from hawk.v1 import result_pb2
from npu_agent.pipeline import source_hash
from npu_agent.taskspec import TaskDef

log = logging.getLogger(__name__)


class ProposerError(RuntimeError):
    """A proposer cannot work on this task at all (e.g. no template for the offline proposer)."""


class KnowledgeAccess(Protocol):
    """What proposers need from the knowledge store (see controller/knowledge_client.py)."""

    def retrieve(self, task: TaskDef, source: str | None, result: result_pb2.Result | None,
                 k: int, *, include_pending: bool = False, include_trial: bool = False) -> list[KnowledgeSnippet]: ...

    def check(self, task: TaskDef, source: str, params: dict[str, Any]) -> list[tuple[str, str]]: ...


@dataclass
class Proposal:
    source: str
    proposer: str
    parent_id: str | None = None
    knowledge_used: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def hash(self) -> str:
        return source_hash(self.source)


@dataclass
class ProposalContext:
    task: TaskDef
    hardware: str
    round: int
    history: list[tuple[Candidate, Evaluation | None]]
    best: tuple[Candidate, Evaluation] | None
    baseline: tuple[Candidate, Evaluation | None] | None
    rng: random.Random
    knowledge: KnowledgeAccess | None = None
    k: int = 5


@dataclass
class ProposeOutcome:
    proposals: list[Proposal]
    pruned: list[tuple[dict[str, Any], list[tuple[str, str]]]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # LLM answers without usable code, and similar


# --------------------------------------------------------------------------------------------- offline
class OfflineProposer:
    """Searches without a model: a task's template parameters, or transformation steps from its baseline
    (controller/search.py); knowledge, when on, prunes by its checks and steers the steps by its entries."""

    name = "offline"

    def __init__(self) -> None:
        self._templates: dict[str, KernelTemplate] = {}
        self._kinds: dict[str, str] = {}

    def kind(self, task: TaskDef) -> str:
        from controller.search import offline_search_kind

        if task.name not in self._kinds:
            self._kinds[task.name] = offline_search_kind(task)
        return self._kinds[task.name]

    def template(self, task: TaskDef) -> KernelTemplate:
        tmpl = self._templates.get(task.name)
        if tmpl is None:
            tmpl = template_for(task)
            if tmpl is None:
                raise ProposerError(f"task {task.name} has no kernel template (extra.template)")
            self._templates[task.name] = tmpl
        return tmpl

    @staticmethod
    def _key(values: dict[str, Any]) -> str:
        return json.dumps(values, sort_keys=True)

    def _random(self, tmpl: KernelTemplate, rng: random.Random) -> dict[str, Any]:
        return {k: rng.choice(v) for k, v in tmpl.params.items()}

    def _mutate(self, tmpl: KernelTemplate, base: dict[str, Any], rng: random.Random) -> dict[str, Any]:
        out = dict(base)
        names = [k for k, v in tmpl.params.items() if len(v) > 1]
        for name in rng.sample(names, k=min(len(names), rng.choice((1, 1, 2)))):
            values = tmpl.params[name]
            i = values.index(out[name]) if out[name] in values else rng.randrange(len(values))
            j = min(len(values) - 1, max(0, i + rng.choice((-1, 1))))
            out[name] = values[j if j != i else (i + 1) % len(values)]
        return out

    def propose(self, ctx: ProposalContext, n: int) -> ProposeOutcome:
        kind = self.kind(ctx.task)
        if kind == "template":
            return self._propose_template(ctx, n)
        if kind == "transform":
            return self._propose_transform(ctx, n)
        from controller.search import missing_offline_search

        raise ProposerError(missing_offline_search(ctx.task))

    def _propose_transform(self, ctx: ProposalContext, n: int) -> ProposeOutcome:
        from controller.search import TransformSearch

        base = ctx.baseline[0].source if ctx.baseline else ctx.task.baseline.read_text(encoding="utf-8")
        found = TransformSearch(ctx, base).run(n)
        return ProposeOutcome(
            proposals=[Proposal(source=s.source, proposer=self.name, parent_id=s.parent.id or None,
                                knowledge_used=[s.entry] if s.entry else [], params=s.params) for s in found.steps],
            pruned=found.pruned)

    def _propose_template(self, ctx: ProposalContext, n: int) -> ProposeOutcome:
        tmpl = self.template(ctx.task)
        tried = {self._key(c.params["values"]) for c, _ in ctx.history
                 if "values" in c.params and "transform" not in c.params}
        best_values = ctx.best[0].params.get("values") if ctx.best and "transform" not in ctx.best[0].params else None
        parent = ctx.best[0].id if ctx.best else (ctx.baseline[0].id if ctx.baseline else None)
        out = ProposeOutcome(proposals=[])

        def consider(values: dict[str, Any]) -> None:
            key = self._key(values)
            if key in tried:
                return
            tried.add(key)
            source = tmpl.render(values)
            violations = ctx.knowledge.check(ctx.task, source, values) if ctx.knowledge else []
            if violations:
                out.pruned.append((values, violations))
                return
            out.proposals.append(Proposal(source=source, proposer=self.name, parent_id=parent,
                                          knowledge_used=[], params={"values": values}))

        for _ in range(64 * n):
            if len(out.proposals) >= n or len(tried) >= tmpl.size():
                break
            explore = best_values is None or ctx.rng.random() < 0.25
            consider(self._random(tmpl, ctx.rng) if explore else self._mutate(tmpl, best_values, ctx.rng))
        if len(out.proposals) < n and tmpl.size() <= 100_000:
            # The neighbourhood is exhausted: take untried points of the (small) space in random order.
            names = list(tmpl.params)
            rest = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*tmpl.params.values())]
            ctx.rng.shuffle(rest)
            for values in rest:
                if len(out.proposals) >= n:
                    break
                consider(values)
        return out


# ------------------------------------------------------------------------------------------------- llm
class LLMProposer:
    name = "llm"

    def __init__(self, client: LLMClient, hardware: str, baseline_sources: dict[str, str] | None = None) -> None:
        self.client = client
        self.hardware = hardware
        self.baseline_sources = baseline_sources or {}

    @staticmethod
    def parent(ctx: ProposalContext) -> tuple[Candidate, Evaluation | None] | None:
        """Improve the best kernel; before any kernel passed, repair the latest failure (or start from scratch)."""
        if ctx.best is not None:
            return ctx.best
        failures = [(c, e) for c, e in ctx.history if e is not None and c.proposer != "baseline"]
        return failures[-1] if failures else None

    def propose(self, ctx: ProposalContext, n: int) -> ProposeOutcome:
        parent = self.parent(ctx)
        psrc = parent[0].source if parent else None
        pres = parent[1].result if parent and parent[1] is not None else None
        snippets = ctx.knowledge.retrieve(ctx.task, psrc, pres, ctx.k) if ctx.knowledge else []
        baseline_src = ctx.baseline[0].source if ctx.baseline else self.baseline_sources.get(ctx.task.name)
        prompt = build_prompt(ctx.task.spec, parent_source=psrc, parent_result=pres, knowledge=snippets,
                              hardware=ctx.hardware, baseline_source=baseline_src)
        seeds = [ctx.rng.randrange(1 << 30) for _ in range(n)]
        out = ProposeOutcome(proposals=[])
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, n)) as pool:
            futures = [pool.submit(self.client.complete, SYSTEM, prompt, seed=s) for s in seeds]
            for fut in futures:
                try:
                    completion = fut.result()
                    source = parse_source(completion.text, ctx.task.spec.kernel_entry)
                except (LLMError, ParseError) as e:
                    out.failures.append(str(e))
                    continue
                out.proposals.append(Proposal(
                    source=source, proposer=self.name, parent_id=parent[0].id if parent else None,
                    knowledge_used=[s.entry_id for s in snippets],
                    params={"model": completion.model, "attempts": completion.attempts},
                    prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens,
                    cost_usd=completion.cost_usd))
        return out
