"""A campaign: for each task, rounds of proposals evaluated on the farm, every result recorded first.

The runner is asyncio code in the driver process. Evaluations go through an `Evaluator` (the scheduler Ray
actor in production; tests may pass the plain Scheduler), proposers run in threads, and every candidate and
result is written to the results store before anything else happens with it. Resuming a campaign re-submits
the candidates that have no result yet and continues with the next round of each task: nothing recorded is
redone and nothing is recorded twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from controller import verify
from controller.proposers import (
    KnowledgeAccess,
    Proposal,
    ProposalContext,
    ProposerError,
    source_hash,
)
from controller.search import require_offline_search
from controller.spec import CampaignSpec
from controller.store import Candidate, Evaluation, ResultsStore
from hawk.v1 import agent_pb2, result_pb2
from npu_agent.taskspec import TaskDef, TaskError

log = logging.getLogger(__name__)

EMPTY_ROUND_RETRIES = 2   # a round whose every answer failed or repeated a tried kernel is asked again this often


class Evaluator(Protocol):
    async def evaluate(self, *, evaluation_id: str, campaign: str, task: Any, source: str, hardware: str,
                       team: str, priority: int, options: agent_pb2.EvaluateOptions | None,
                       agents: list[str] | None = None, backend: str = "",
                       avoid: list[str] | None = None) -> result_pb2.Result: ...

    async def wait_capacity(self, campaign: str, timeout_s: float | None = None) -> bool: ...


class ActorEvaluator:
    """Adapts the scheduler Ray actor (its ObjectRefs are awaitable) to the Evaluator protocol."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor

    async def evaluate(self, **kw: Any) -> result_pb2.Result:
        return await self.actor.evaluate.remote(**kw)

    async def wait_capacity(self, campaign: str, timeout_s: float | None = None) -> bool:
        return await self.actor.wait_capacity.remote(campaign, timeout_s)


class KnowledgeSink(Protocol):
    """What the campaign reports to the knowledge store after each evaluation."""

    def observe(self, task: TaskDef, candidate: Candidate, result: result_pb2.Result,
                parent: tuple[Candidate, Evaluation | None] | None) -> int: ...


@dataclass
class TaskProgress:
    name: str
    rounds: int
    round: int = 0
    proposed: int = 0
    evaluated: int = 0
    passed: int = 0
    duplicates: int = 0
    pruned: int = 0
    baseline_us: float | None = None
    best_us: float | None = None
    best_floor: float | None = None
    failed_proposals: int = 0    # answers that gave no candidate (recorded in the store's proposal_failures)
    error: str = ""
    total: int = 0               # evaluations budgeted to this task (rounds x candidates, capped by the budget)

    @property
    def best_speedup(self) -> float | None:
        if self.baseline_us and self.best_us:
            return self.baseline_us / self.best_us
        return None


@dataclass
class CampaignState:
    campaign_id: str
    tasks: dict[str, TaskProgress] = field(default_factory=dict)
    evaluations: int = 0
    started: float = field(default_factory=time.monotonic)
    budget: int = 0              # the campaign's evaluation budget (progress shows evaluated/budget)
    stop_reason: str = ""


class CampaignRunner:
    def __init__(self, spec: CampaignSpec, store: ResultsStore, evaluator: Evaluator, tasks: list[TaskDef],
                 proposers: dict[str, Any], *, knowledge: KnowledgeAccess | None = None,
                 knowledge_sink: KnowledgeSink | None = None, metrics: Any = None,
                 on_update: Callable[[CampaignState], None] | None = None, agents: list[str] | None = None,
                 backend: str = "") -> None:
        # Before anything runs: a task the offline proposer would have nothing to search is refused by name.
        require_offline_search(tasks, spec.proposers if "offline" in proposers else {})
        self.spec = spec
        self.store = store
        self.evaluator = evaluator
        self.tasks = {t.name: t for t in tasks}
        self.proposers = proposers
        self.knowledge = knowledge if spec.knowledge.enabled else None
        self.knowledge_sink = knowledge_sink if spec.knowledge.enabled else None
        self.metrics = metrics
        self.on_update = on_update or (lambda state: None)
        # Where this campaign's candidates may run, also on a scheduler shared with other campaigns.
        self.agents = list(agents) if agents is not None else None
        self.backend = backend
        self.state: CampaignState | None = None
        self._budget = spec.budget.max_evaluations or spec.budget.rounds * spec.budget.candidates_per_round * len(tasks)
        self._deadline = (time.monotonic() + spec.budget.wall_time_s) if spec.budget.wall_time_s else None

    # ----------------------------------------------------------------------------------------- entry
    def create(self) -> str:
        return self.store.create_campaign(self.spec.name, self.spec.text, self.spec.hardware, team=self.spec.team,
                                          priority=self.spec.priority, base_dir=str(self.spec.base_dir.resolve()))

    async def run(self, campaign_id: str) -> CampaignState:
        """Run (or resume) a campaign to the end of its budget; returns the final progress."""
        changed = [t for t, h in self.store.task_hashes(campaign_id).items() if t in self.tasks and
                   self.tasks[t].hash != h]
        if changed:
            raise TaskError(f"campaign {campaign_id}: task {changed[0]!r} differs from the one its candidates were "
                            "made for (its task file changed); start a new campaign instead")
        self.state = CampaignState(campaign_id=campaign_id, budget=self._budget)
        per_task = min(self._budget, self.spec.budget.rounds * self.spec.budget.candidates_per_round)
        for name in self.tasks:
            self.state.tasks[name] = TaskProgress(name=name, rounds=self.spec.budget.rounds, total=per_task)
        # Every non-baseline candidate counts against the budget, evaluated or still pending.
        self.state.evaluations = sum(1 for c in self.store.candidates(campaign_id) if c.proposer != "baseline")
        self.store.set_campaign_state(campaign_id, "running")
        try:
            pending = self.store.pending_candidates(campaign_id)
            if pending:
                log.info("resuming %s: %d candidates without a result", campaign_id, len(pending))
                await asyncio.gather(*(self._evaluate(c) for c in pending if c.task in self.tasks))
            results = await asyncio.gather(*(self._run_task(t) for t in self.tasks.values()),
                                           return_exceptions=True)
            errors = [(t, r) for t, r in zip(self.tasks, results, strict=True) if isinstance(r, BaseException)]
            for task, err in errors:
                log.error("task %s failed: %r", task, err)
            if errors:
                detail = "; ".join(f"{t}: {e}" for t, e in errors)
                self.store.set_campaign_state(campaign_id, "failed", f"{len(errors)} of {len(results)} tasks "
                                              f"failed ({detail}); resume to retry them")
            elif (empty := self._nothing_evaluated(campaign_id)):
                self.store.set_campaign_state(campaign_id, "failed", empty)
            else:
                self.store.set_campaign_state(campaign_id, "finished", self.state.stop_reason or "budget done")
        except asyncio.CancelledError:
            self.store.set_campaign_state(campaign_id, "stopped", "interrupted; resume with `hawk campaign resume`")
            raise
        self.on_update(self.state)
        return self.state

    def _nothing_evaluated(self, campaign_id: str) -> str:
        """Why a campaign that made no candidate besides its baselines failed ("" when it made some)."""
        if any(c.proposer != "baseline" for c in self.store.candidates(campaign_id)):
            return ""
        failures = self.store.proposal_failures(campaign_id)
        if not failures:
            why = self.state.stop_reason if self.state and self.state.stop_reason else "the proposers had nothing to propose"
            return f"nothing evaluated besides the baselines: {why}"
        last = failures[-1]
        llm = [f for f in failures if f["proposer"] == "llm"]
        if len(llm) == len(failures):
            what = "contained a kernel" if not any(f["params"].get("duplicate") for f in llm) else "gave a new kernel"
            return (f"nothing evaluated besides the baselines: no LLM answer {what}: {len(llm)} answers, "
                    f"last: {last['reason']}")
        return (f"nothing evaluated besides the baselines: {len(failures)} proposals failed, last ({last['proposer']}): "
                f"{last['reason']}")

    # ---------------------------------------------------------------------------------------- budget
    def _out_of_budget(self) -> bool:
        assert self.state is not None
        if self.state.evaluations >= self._budget:
            self.state.stop_reason = f"evaluation budget of {self._budget} reached"
            return True
        if self._deadline is not None and time.monotonic() >= self._deadline:
            self.state.stop_reason = f"wall time of {self.spec.budget.wall_time_s:g} s reached"
            return True
        return False

    # ------------------------------------------------------------------------------------------ task
    def _history(self, task: str) -> list[tuple[Candidate, Evaluation | None]]:
        assert self.state is not None
        evals = {e.candidate_id: e for e in self.store.evaluations(self.state.campaign_id, task)}
        return [(c, evals.get(c.id)) for c in self.store.candidates(self.state.campaign_id, task)]

    def _refresh(self, task: TaskDef, history: list[tuple[Candidate, Evaluation | None]] | None = None) -> None:
        """Update a task's progress: counts from the full history when given (start, resume, round end),
        otherwise only the best, which is one indexed query per evaluation."""
        assert self.state is not None
        p = self.state.tasks[task.name]
        cid = self.state.campaign_id
        if history is not None:
            real = [(c, e) for c, e in history if c.proposer != "baseline"]
            p.proposed = len(real)
            p.evaluated = sum(1 for _, e in real if e is not None)
            p.passed = sum(1 for _, e in real if e is not None and e.status == "OK")
            p.baseline_us = self.store.baseline(cid, task.name)
        best = self.store.best(cid).get(task.name)
        if best and best["time_us"] != p.best_us:
            p.best_us = best["time_us"]
            ev = self.store.evaluation(best["candidate_id"])
            p.best_floor = ev.floor_fraction if ev else None
            if self.metrics is not None and p.best_speedup:
                self.metrics.best_speedup.labels(campaign=self.spec.name, task=task.name).set(p.best_speedup)
        self.on_update(self.state)

    async def _baseline(self, task: TaskDef) -> tuple[Candidate, Evaluation | None] | None:
        assert self.state is not None
        cid = self.state.campaign_id
        existing = [c for c in self.store.candidates(cid, task.name) if c.proposer == "baseline"]
        if existing:
            c = existing[0]
            return c, self.store.evaluation(c.id)
        if task.baseline is None:
            return None
        source = task.baseline.read_text(encoding="utf-8")
        cand_id = self.store.add_candidate(cid, task.name, task.hash, -1, source, source_hash(source), "baseline")
        if cand_id is None:
            return None
        c = self.store.candidate(cand_id)
        await self._evaluate(c)
        ev = self.store.evaluation(c.id)
        if ev is not None and ev.time_us:
            self.store.record_baseline(cid, task.name, ev.time_us)
        elif ev is not None:
            log.warning("task %s: the baseline kernel did not pass (%s: %s); speedups stay unknown", task.name,
                        ev.status, ev.message)
        return c, ev

    def _split(self, rng: random.Random, n: int) -> dict[str, int]:
        names = [p for p, w in self.spec.proposers.items() if w > 0 and p in self.proposers]
        weights = [self.spec.proposers[p] for p in names]
        counts = dict.fromkeys(names, 0)
        for _ in range(n):
            counts[rng.choices(names, weights)[0]] += 1
        return {k: v for k, v in counts.items() if v}

    async def _run_task(self, task: TaskDef) -> None:
        """A task's rounds; whatever happens, its evaluations still in flight finish and are recorded."""
        in_flight: set[asyncio.Task] = set()
        try:
            await self._rounds(task, in_flight)
        finally:
            outcomes = await asyncio.gather(*in_flight, return_exceptions=True) if in_flight else []
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        if failed:
            raise failed[0]
        self._refresh(task, self._history(task.name))

    async def _rounds(self, task: TaskDef, in_flight: set[asyncio.Task]) -> None:
        assert self.state is not None
        progress = self.state.tasks[task.name]
        cid = self.state.campaign_id
        baseline = await self._baseline(task)
        if baseline is not None and baseline[1] is not None and baseline[1].time_us and not self.store.baseline(
                cid, task.name):
            self.store.record_baseline(cid, task.name, baseline[1].time_us)
        start = self.store.rounds_proposed(cid, task.name)
        for round_ in range(max(0, start), self.spec.budget.rounds):
            # One stream per (seed, task, round): a resumed campaign proposes what an uninterrupted one would.
            rng = random.Random(f"{self.spec.seed}:{task.name}:{round_}")
            progress.round = round_
            if self.metrics is not None:
                self.metrics.round.labels(campaign=self.spec.name, task=task.name).set(round_)
            if self._out_of_budget():
                break
            history = self._history(task.name)
            self._refresh(task, history)
            best = self.store.best(cid).get(task.name)
            best_pair = None
            if best:
                bc = self.store.candidate(best["candidate_id"])
                be = self.store.evaluation(bc.id)
                best_pair = (bc, be) if be is not None else None
            ctx = ProposalContext(task=task, hardware=self.spec.hardware, round=round_, history=history,
                                  best=best_pair, baseline=baseline, rng=rng,
                                  knowledge=self.knowledge, k=self.spec.knowledge.k)
            remaining = self._budget - self.state.evaluations
            # A round cut short by a stop is topped up on resume, not skipped.
            wanted = self.spec.budget.candidates_per_round - self.store.proposed_in_round(cid, task.name, round_)
            n = min(wanted, remaining)
            if wanted <= 0:  # all proposed before a stop, only not marked yet
                self.store.mark_round_proposed(cid, task.name, round_)
                continue
            jobs: list[asyncio.Task] = []
            cut = False
            for ask in range(EMPTY_ROUND_RETRIES + 1):
                proposals, failed = await self._propose(task, ctx, rng, n, round_)
                if not proposals and not failed:
                    break
                cut = await self._submit(task, round_, proposals, jobs)
                if jobs or cut:
                    break
                if ask < EMPTY_ROUND_RETRIES:  # every answer failed or repeated a tried kernel: ask again
                    log.info("task %s: round %d gave no new candidate (%d answers failed); asking again (%d/%d)",
                             task.name, round_, failed, ask + 1, EMPTY_ROUND_RETRIES)
            if not jobs and not cut and not proposals and not failed:
                if progress.error:
                    raise ProposerError(progress.error)
                log.info("task %s: proposers have nothing new in round %d", task.name, round_)
                break
            if not cut:
                self.store.mark_round_proposed(cid, task.name, round_)
            # The next round starts once half of this one is back: it learns from most of this round's
            # results while the slowest evaluations still run, so devices are not idle at every round's tail.
            in_flight.update(jobs)
            need = len(jobs) - len(jobs) // 2
            while jobs and sum(j.done() for j in jobs) < need:
                await asyncio.wait(jobs, return_when=asyncio.FIRST_COMPLETED)
            for j in [j for j in in_flight if j.done()]:
                in_flight.discard(j)
                j.result()  # re-raise a failed evaluation here rather than lose it

    async def _propose(self, task: TaskDef, ctx: ProposalContext, rng: random.Random, n: int,
                       round_: int) -> tuple[list[Proposal], int]:
        """The round's proposals from every proposer; answers that gave none are recorded, never dropped."""
        assert self.state is not None
        progress = self.state.tasks[task.name]
        proposals: list[Proposal] = []
        failed = 0
        for name, count in self._split(rng, n).items():
            try:
                outcome = await asyncio.to_thread(self.proposers[name].propose, ctx, count)
            except ProposerError as e:
                progress.error = str(e)
                log.error("%s", e)
                continue
            proposals += outcome.proposals
            progress.pruned += len(outcome.pruned)
            if self.metrics is not None:
                self.metrics.pruned.labels(campaign=self.spec.name).inc(len(outcome.pruned))
            for failure in outcome.failures:
                failed += 1
                progress.failed_proposals += 1
                log.warning("task %s: %s proposal failed: %s", task.name, name, failure)
                if self.metrics is not None:
                    self.metrics.proposal_failures.labels(campaign=self.spec.name, proposer=name).inc()
                self.store.add_proposal_failure(
                    self.state.campaign_id, task.name, round_, name, str(failure),
                    answer=getattr(failure, "answer", ""), params=getattr(failure, "params", None),
                    prompt_tokens=getattr(failure, "prompt_tokens", 0),
                    completion_tokens=getattr(failure, "completion_tokens", 0),
                    cost_usd=getattr(failure, "cost_usd", 0.0))
            progress.duplicates += getattr(outcome, "duplicates", 0)
        return proposals, failed

    async def _submit(self, task: TaskDef, round_: int, proposals: list[Proposal], jobs: list[asyncio.Task]) -> bool:
        """Record each new proposal and start its evaluation; True when the budget cut the round short."""
        assert self.state is not None
        progress = self.state.tasks[task.name]
        cid = self.state.campaign_id
        for prop in proposals:
            if self._out_of_budget():
                return True
            cand_id = self.store.add_candidate(
                cid, task.name, task.hash, round_, prop.source, prop.hash, prop.proposer,
                parent_id=prop.parent_id, knowledge_used=prop.knowledge_used, params=prop.params,
                prompt_tokens=prop.prompt_tokens, completion_tokens=prop.completion_tokens,
                cost_usd=prop.cost_usd)
            if cand_id is None:
                progress.duplicates += 1
                if self.metrics is not None:
                    self.metrics.duplicates.labels(campaign=self.spec.name).inc()
                continue
            self.state.evaluations += 1
            progress.proposed += 1
            if self.metrics is not None:
                self.metrics.candidates.labels(campaign=self.spec.name, proposer=prop.proposer).inc()
                if prop.knowledge_used:
                    self.metrics.kb_used.inc(len(prop.knowledge_used))
            await self.evaluator.wait_capacity(cid, 60.0)
            jobs.append(asyncio.create_task(self._evaluate(self.store.candidate(cand_id))))
        return False

    # ------------------------------------------------------------------------------------ evaluation
    async def _evaluate(self, cand: Candidate) -> None:
        task = self.tasks[cand.task]
        result = await self.evaluator.evaluate(
            evaluation_id=cand.id, campaign=cand.campaign_id, task=task.spec, source=cand.source,
            hardware=self.spec.hardware, team=self.spec.team, priority=self.spec.priority, options=None,
            agents=self.agents, backend=self.backend)
        may_be_best = True
        if verify.would_be_best(result, self.store.best(cand.campaign_id).get(cand.task)):  # controller/verify.py
            check = await verify.cross_check(
                self.evaluator, evaluation_id=cand.id, campaign=cand.campaign_id, task=task.spec, source=cand.source,
                hardware=self.spec.hardware, team=self.spec.team, priority=self.spec.priority, result=result,
                agents=self.agents, backend=self.backend)
            result, may_be_best = verify.apply(result, check)
        # Once, however many agents it took (the store refuses a second record of a candidate).
        self.store.record_evaluation(cand.id, result, attempts=max(1, result.attempts), may_be_best=may_be_best)
        if self.metrics is not None:
            self.metrics.evaluations.labels(campaign=self.spec.name,
                                           status=result_pb2.Status.Name(result.status).lower()).inc()
        if self.knowledge_sink is not None and cand.proposer != "baseline":
            parent = None
            if cand.parent_id:
                parent = (self.store.candidate(cand.parent_id), self.store.evaluation(cand.parent_id))
            try:
                made = await asyncio.to_thread(self.knowledge_sink.observe, task, cand, result, parent)
                if self.metrics is not None and made:
                    self.metrics.kb_synthesized.inc(made)
            except Exception:  # knowledge must never lose a campaign's results
                log.exception("knowledge update failed for candidate %s", cand.id)
        if self.state is not None and cand.proposer != "baseline":
            progress = self.state.tasks[task.name]
            progress.evaluated += 1
            progress.passed += int(result.status == result_pb2.OK)
            self._refresh(task)
