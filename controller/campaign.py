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
from controller.store import Candidate, Evaluation, NewCandidate, Outcome, ResultsStore
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
    stop_reason: str = ""


@dataclass
class _TaskState:
    """A task's history and best in memory, updated per recorded result (the store is written first)."""
    history: list[tuple[Candidate, Evaluation | None]] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)            # candidate id -> position in history
    best: dict[str, Any] | None = None                             # the store's best row for the task
    per_round: dict[int, int] = field(default_factory=dict)        # candidates recorded per round

    def add(self, cand: Candidate, ev: Evaluation | None = None) -> None:
        self.index[cand.id] = len(self.history)
        self.history.append((cand, ev))
        self.per_round[cand.round] = self.per_round.get(cand.round, 0) + 1

    def pair(self, candidate_id: str) -> tuple[Candidate, Evaluation | None] | None:
        i = self.index.get(candidate_id)
        return self.history[i] if i is not None else None


class _Recorder:
    """Commits the results that arrive in one event-loop turn in one store transaction, then applies them."""

    def __init__(self, store: ResultsStore, apply: Callable[[list[tuple[Candidate, Evaluation | None, bool]]], None]):
        self.store = store
        self.apply = apply
        self._pending: list[tuple[Candidate, Outcome, asyncio.Future]] = []

    def record(self, cand: Candidate, outcome: Outcome) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        if not self._pending:
            loop.call_soon(self._flush)
        fut = loop.create_future()
        self._pending.append((cand, outcome, fut))
        return fut

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        try:
            evs = self.store.record_evaluations([o for _, o, _ in batch])
        except Exception as e:  # nothing of the batch is recorded: each waiter gets the error
            for _, _, fut in batch:
                if not fut.done():
                    fut.set_exception(e)
            return
        applied = [(c, ev, o.may_be_best) for (c, o, _), ev in zip(batch, evs, strict=True)]
        try:
            self.apply(applied)
        finally:
            for (_, _, fut), ev in zip(batch, evs, strict=True):
                if not fut.done():
                    fut.set_result(ev)


async def _first_done(jobs: list[asyncio.Task], need: int) -> None:
    """Return once `need` of `jobs` are done: one callback per job, not an `asyncio.wait` over all of them per
    completion (that is quadratic in the round's size)."""
    pending = [j for j in jobs if not j.done()]
    left = need - (len(jobs) - len(pending))
    if left <= 0:
        return
    reached = asyncio.get_running_loop().create_future()

    def one(_: asyncio.Task) -> None:
        nonlocal left
        left -= 1
        if left == 0 and not reached.done():
            reached.set_result(None)

    for j in pending:
        j.add_done_callback(one)
    try:
        await reached
    finally:
        for j in pending:
            j.remove_done_callback(one)


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
        self._tasks: dict[str, _TaskState] = {}
        self._recorder = _Recorder(store, self._apply)
        self._observer: Any = None   # knowledge observations, sent in batches off the hot path
        self._metric_children: dict[tuple[str, ...], Any] = {}
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
        self.state = CampaignState(campaign_id=campaign_id)
        self._load(campaign_id)
        if self.knowledge_sink is not None:
            from controller.knowledge_client import ObservationQueue

            self._observer = ObservationQueue(self.knowledge_sink, metrics=self.metrics)
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
            if self._observer is not None:  # what was recorded is also observed, even when stopped
                self._observer.drain_now()
            raise
        finally:
            if self._observer is not None and not self._observer.closed:
                await self._observer.close()
        self.on_update(self.state)
        return self.state

    def _load(self, campaign_id: str) -> None:
        """The in-memory history and bests, built once from the store (a resume continues from them)."""
        assert self.state is not None
        cands = self.store.candidates(campaign_id)
        evals = {e.candidate_id: e for e in self.store.evaluations(campaign_id)}
        bests = self.store.best(campaign_id)
        self._tasks = {name: _TaskState(best=bests.get(name)) for name in self.tasks}
        for name in self.tasks:
            self.state.tasks[name] = TaskProgress(name=name, rounds=self.spec.budget.rounds,
                                                  baseline_us=self.store.baseline(campaign_id, name))
        for c in cands:
            ts = self._tasks.get(c.task)
            if ts is None:
                continue
            ev = evals.get(c.id)
            ts.add(c, ev)
            if c.proposer != "baseline":
                p = self.state.tasks[c.task]
                p.proposed += 1
                p.evaluated += ev is not None
                p.passed += ev is not None and ev.status == "OK"
        # Every non-baseline candidate counts against the budget, evaluated or still pending.
        self.state.evaluations = sum(1 for c in cands if c.proposer != "baseline")

    def _nothing_evaluated(self, campaign_id: str) -> str:
        """Why a campaign that made no candidate besides its baselines failed ("" when it made some)."""
        if self.state is not None and self.state.evaluations > 0:  # every non-baseline candidate, all tasks
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

    def _metric(self, name: str, **labels: str) -> Any:
        """A metric's child for this campaign and `labels`, looked up once (prometheus' labels() is slow)."""
        key = (name, *labels.values())
        child = self._metric_children.get(key)
        if child is None:
            child = self._metric_children[key] = getattr(self.metrics, name).labels(campaign=self.spec.name,
                                                                                    **labels)
        return child

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
        """A snapshot of the task's history (proposers read it in threads while results keep arriving)."""
        return list(self._tasks[task].history)

    def _best_pair(self, task: str) -> tuple[Candidate, Evaluation] | None:
        best = self._tasks[task].best
        pair = self._tasks[task].pair(best["candidate_id"]) if best else None
        return (pair[0], pair[1]) if pair is not None and pair[1] is not None else None

    def _refresh(self, task: TaskDef) -> None:
        """Show a task's best (counts are kept per result) and tell the watcher."""
        assert self.state is not None
        p = self.state.tasks[task.name]
        best = self._tasks[task.name].best
        if best and best["time_us"] != p.best_us:
            p.best_us = best["time_us"]
            pair = self._tasks[task.name].pair(best["candidate_id"])
            p.best_floor = pair[1].floor_fraction if pair is not None and pair[1] is not None else None
            if self.metrics is not None and p.best_speedup:
                self.metrics.best_speedup.labels(campaign=self.spec.name, task=task.name).set(p.best_speedup)
        self.on_update(self.state)

    def _record_baseline(self, task: str, time_us: float) -> None:
        """The baseline's time, in the store first, then in memory (the store's rule for the best's speedup)."""
        assert self.state is not None
        self.store.record_baseline(self.state.campaign_id, task, time_us)
        self.state.tasks[task].baseline_us = time_us
        best = self._tasks[task].best
        if best is not None:
            best["speedup"] = time_us / best["time_us"]

    async def _baseline(self, task: TaskDef) -> tuple[Candidate, Evaluation | None] | None:
        assert self.state is not None
        cid = self.state.campaign_id
        ts = self._tasks[task.name]
        existing = next((pair for pair in ts.history if pair[0].proposer == "baseline"), None)
        if existing is not None:
            return existing
        if task.baseline is None:
            return None
        source = task.baseline.read_text(encoding="utf-8")
        added = self.store.add_candidates(cid, [NewCandidate(task.name, task.hash, -1, source, source_hash(source),
                                                             "baseline")])
        c = added[0]
        if c is None:
            return None
        ts.add(c)
        ev = await self._evaluate(c)
        if ev is not None and ev.time_us:
            self._record_baseline(task.name, ev.time_us)
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
        self._refresh(task)

    async def _rounds(self, task: TaskDef, in_flight: set[asyncio.Task]) -> None:
        assert self.state is not None
        progress = self.state.tasks[task.name]
        ts = self._tasks[task.name]
        cid = self.state.campaign_id
        baseline = await self._baseline(task)
        if baseline is not None and baseline[1] is not None and baseline[1].time_us and not progress.baseline_us:
            self._record_baseline(task.name, baseline[1].time_us)
        start = self.store.rounds_proposed(cid, task.name)
        for round_ in range(max(0, start), self.spec.budget.rounds):
            # One stream per (seed, task, round): a resumed campaign proposes what an uninterrupted one would.
            rng = random.Random(f"{self.spec.seed}:{task.name}:{round_}")
            progress.round = round_
            if self.metrics is not None:
                self.metrics.round.labels(campaign=self.spec.name, task=task.name).set(round_)
            if self._out_of_budget():
                break
            if self._observer is not None:  # the knowledge store has seen every recorded result before it advises
                await self._observer.flush()
            self._refresh(task)
            knowledge = self.knowledge
            if knowledge is not None and hasattr(knowledge, "for_round"):
                knowledge = knowledge.for_round()  # retrievals and checks cached for this round
            ctx = ProposalContext(task=task, hardware=self.spec.hardware, round=round_,
                                  history=self._history(task.name), best=self._best_pair(task.name),
                                  baseline=baseline, rng=rng, knowledge=knowledge, k=self.spec.knowledge.k)
            remaining = self._budget - self.state.evaluations
            # A round cut short by a stop is topped up on resume, not skipped.
            wanted = self.spec.budget.candidates_per_round - ts.per_round.get(round_, 0)
            n = min(wanted, remaining)
            if wanted <= 0:  # all proposed before a stop, only not marked yet
                self.store.mark_round_proposed(cid, task.name, round_)
                continue
            jobs: list[asyncio.Task] = []
            cut = marked = False
            for ask in range(EMPTY_ROUND_RETRIES + 1):
                proposals, failed = await self._propose(task, ctx, rng, n, round_)
                if not proposals and not failed:
                    break
                cut, marked = await self._submit(task, round_, proposals, jobs)
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
            if not cut and not marked:
                self.store.mark_round_proposed(cid, task.name, round_)
            # The next round starts once half of this one is back: it learns from most of this round's
            # results while the slowest evaluations still run, so devices are not idle at every round's tail.
            in_flight.update(jobs)
            await _first_done(jobs, len(jobs) - len(jobs) // 2)
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

    async def _submit(self, task: TaskDef, round_: int, proposals: list[Proposal],
                      jobs: list[asyncio.Task]) -> tuple[bool, bool]:
        """Record the new proposals (one transaction) and start their evaluations; returns (cut, marked): whether
        the budget cut the round short, and whether the round was marked proposed with them."""
        assert self.state is not None
        progress = self.state.tasks[task.name]
        ts = self._tasks[task.name]
        cid = self.state.campaign_id
        if not proposals:
            return False, False
        if self._out_of_budget():
            return True, False
        items = [NewCandidate(task.name, task.hash, round_, p.source, p.hash, p.proposer, parent_id=p.parent_id,
                              knowledge_used=p.knowledge_used, params=p.params, prompt_tokens=p.prompt_tokens,
                              completion_tokens=p.completion_tokens, cost_usd=p.cost_usd) for p in proposals]
        limit = self._budget - self.state.evaluations
        added = self.store.add_candidates(cid, items, limit=limit, mark_round=(task.name, round_))
        new: list[Candidate] = []
        for prop, cand in zip(proposals, added, strict=False):
            if cand is None:
                progress.duplicates += 1
                if self.metrics is not None:
                    self._metric("duplicates").inc()
                continue
            ts.add(cand)
            new.append(cand)
            self.state.evaluations += 1
            progress.proposed += 1
            if self.metrics is not None:
                self._metric("candidates", proposer=prop.proposer).inc()
                if prop.knowledge_used:
                    self.metrics.kb_used.inc(len(prop.knowledge_used))
        cut = len(added) < len(items)
        if cut:
            self._out_of_budget()  # sets the stop reason
        if new:
            # Backpressure once per batch, not per candidate (each wait may be an actor call).
            await self.evaluator.wait_capacity(cid, 60.0)
            jobs.extend(asyncio.create_task(self._evaluate(c)) for c in new)
        return cut, bool(new) and not cut

    # ------------------------------------------------------------------------------------ evaluation
    async def _evaluate(self, cand: Candidate) -> Evaluation | None:
        """Evaluate, cross-check a would-be best, record (batched with the results of the same turn)."""
        task = self.tasks[cand.task]
        result = await self.evaluator.evaluate(
            evaluation_id=cand.id, campaign=cand.campaign_id, task=task.spec, source=cand.source,
            hardware=self.spec.hardware, team=self.spec.team, priority=self.spec.priority, options=None,
            agents=self.agents, backend=self.backend)
        may_be_best = True
        if verify.would_be_best(result, self._tasks[cand.task].best):  # controller/verify.py
            check = await verify.cross_check(
                self.evaluator, evaluation_id=cand.id, campaign=cand.campaign_id, task=task.spec, source=cand.source,
                hardware=self.spec.hardware, team=self.spec.team, priority=self.spec.priority, result=result,
                agents=self.agents, backend=self.backend)
            result, may_be_best = verify.apply(result, check)
        # Once, however many agents it took (the store refuses a second record of a candidate).
        ev = await self._recorder.record(cand, Outcome(cand.id, result, max(1, result.attempts), may_be_best))
        if ev is None:
            pair = self._tasks[cand.task].pair(cand.id)
            ev = pair[1] if pair is not None else self.store.evaluation(cand.id)
        return ev

    def _apply(self, batch: list[tuple[Candidate, Evaluation | None, bool]]) -> None:
        """Results just committed to the store: into the history, the best, progress and the knowledge queue."""
        touched: dict[str, TaskDef] = {}
        for cand, ev, may_be_best in batch:
            if ev is None:  # recorded before (a resumed duplicate): already in memory
                continue
            ts = self._tasks.get(cand.task)
            if ts is None:
                continue
            done = Candidate(**{**cand.__dict__, "state": "done"})  # as the store now has it
            i = ts.index.get(cand.id)
            if i is None:
                ts.add(done, ev)
            else:
                ts.history[i] = (done, ev)
            # The store's rule (record_evaluations): a may-be-best profile above the floor, faster than the best.
            if (ev.time_us is not None and may_be_best and not ev.result.profile.floor.below_floor
                    and (ts.best is None or ev.time_us < ts.best["time_us"])):
                ts.best = {"campaign_id": cand.campaign_id, "task": cand.task, "candidate_id": cand.id,
                           "time_us": ev.time_us, "speedup": ev.speedup}
            if self.metrics is not None:
                self._metric("evaluations", status=ev.status.lower()).inc()
            if cand.proposer == "baseline":
                continue
            task = self.tasks[cand.task]
            if self._observer is not None:
                parent = ts.pair(cand.parent_id) if cand.parent_id else None
                if parent is None and cand.parent_id:  # another task's kernel (not kept in this task's history)
                    parent = (self.store.candidate(cand.parent_id), self.store.evaluation(cand.parent_id))
                self._observer.put(task, cand, ev.result, parent)
            if self.state is not None:
                progress = self.state.tasks[cand.task]
                progress.evaluated += 1
                progress.passed += int(ev.status == "OK")
                touched[cand.task] = task
        for task in touched.values():
            self._refresh(task)
