"""`BatchEvaluator`: the campaign's `Evaluator` over the scheduler's batch API, few actor calls per many candidates.

A campaign awaits one `evaluate()` per candidate, but each actor call costs the driver about a millisecond. Here
the evaluations asked for in one event-loop turn go to the scheduler in one `submit` call, one results poller
per campaign fetches whatever finished in one `results` call and resolves the waiting candidates, a TaskSpec is
sent once (`register_tasks`) and named by its hash afterwards, and concurrent `wait_capacity` calls of a campaign
share one actor call. Works over the scheduler Ray actor (its methods via `.remote`) and over the plain
`controller.scheduler.Scheduler` (tests), which expose the same methods.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

from controller.scheduler import JobRequest
from hawk.v1 import agent_pb2, result_pb2, task_pb2

log = logging.getLogger(__name__)

POLL_S = 1.0   # how long one `results` call waits for a first result (it returns as soon as one is there)


class BatchEvaluator:
    def __init__(self, scheduler: Any, poll_s: float = POLL_S) -> None:
        self.scheduler = scheduler
        self.poll_s = poll_s
        self._remote = hasattr(getattr(scheduler, "submit", None), "remote")
        self._hashes: dict[int, tuple[task_pb2.TaskSpec, str]] = {}   # id(spec) -> (spec kept alive, hash)
        self._outbox: list[tuple[JobRequest, task_pb2.TaskSpec]] = []
        self._waiting: dict[str, dict[str, asyncio.Future]] = {}       # campaign -> evaluation id -> future
        self._pollers: dict[str, asyncio.Task] = {}
        self._capacity: dict[str, asyncio.Future] = {}
        self._background: set[asyncio.Task] = set()
        self.calls: dict[str, int] = {"register_tasks": 0, "submit": 0, "results": 0, "wait_capacity": 0}

    async def _call(self, method: str, *args: Any) -> Any:
        self.calls[method] = self.calls.get(method, 0) + 1
        fn = getattr(self.scheduler, method)
        out = fn.remote(*args) if self._remote else fn(*args)
        return await out if inspect.isawaitable(out) else out

    # ------------------------------------------------------------------------------------ evaluate
    async def evaluate(self, *, evaluation_id: str, campaign: str, task: task_pb2.TaskSpec, source: str,
                       hardware: str, team: str = "default", priority: int = 0,
                       options: agent_pb2.EvaluateOptions | None = None, agents: list[str] | None = None,
                       backend: str = "", avoid: list[str] | None = None) -> result_pb2.Result:
        """Queue one evaluation (sent with the others of this turn) and wait for its result."""
        loop = asyncio.get_running_loop()
        waiting = self._waiting.setdefault(campaign, {})
        if evaluation_id in waiting:
            raise ValueError(f"evaluation {evaluation_id} is already waiting for its result")
        fut = waiting[evaluation_id] = loop.create_future()
        job = JobRequest(evaluation_id=evaluation_id, campaign=campaign, task_hash="", source=source,
                         hardware=hardware, team=team, priority=priority, options=options,
                         agents=list(agents) if agents is not None else None, backend=backend,
                         avoid=list(avoid) if avoid else None)
        if not self._outbox:
            loop.call_soon(self._flush)
        self._outbox.append((job, task))
        poller = self._pollers.get(campaign)
        if poller is None or poller.done():
            self._pollers[campaign] = loop.create_task(self._poll(campaign))
        try:
            return await fut
        except asyncio.CancelledError:
            if waiting.pop(evaluation_id, None) is not None:
                self._spawn(self._call("cancel", evaluation_id))
            raise

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _flush(self) -> None:
        batch, self._outbox = self._outbox, []
        if batch:
            self._spawn(self._send(batch))

    async def _send(self, batch: list[tuple[JobRequest, task_pb2.TaskSpec]]) -> None:
        """One `submit` for the turn's jobs (after registering any TaskSpec not sent yet); a failure goes to each
        job's waiter, so no evaluation is silently dropped."""
        try:
            try:
                jobs = await self._named(batch)
                await self._call("submit", jobs)
            except ValueError:  # a scheduler that restarted forgot the tasks: register again, once
                self._hashes.clear()
                jobs = await self._named(batch)
                await self._call("submit", jobs)
        except Exception as e:
            for job, _ in batch:
                fut = self._waiting.get(job.campaign, {}).pop(job.evaluation_id, None)
                if fut is not None and not fut.done():
                    fut.set_exception(e)

    async def _named(self, batch: list[tuple[JobRequest, task_pb2.TaskSpec]]) -> list[JobRequest]:
        new = {id(t): t for _, t in batch if id(t) not in self._hashes}
        if new:
            hashes = await self._call("register_tasks", list(new.values()))
            for (key, spec), h in zip(new.items(), hashes, strict=True):
                self._hashes[key] = (spec, h)
        for job, spec in batch:
            job.task_hash = self._hashes[id(spec)][1]
        return [job for job, _ in batch]

    async def _poll(self, campaign: str) -> None:
        """The campaign's results poller: runs while any of its evaluations waits."""
        waiting = self._waiting.setdefault(campaign, {})
        while waiting:
            try:
                results = await self._call("results", campaign, self.poll_s, 0)
            except Exception as e:  # the scheduler is gone: every waiter learns it rather than waiting forever
                log.error("results of campaign %s could not be fetched: %s", campaign, e)
                for fut in waiting.values():
                    if not fut.done():
                        fut.set_exception(e)
                waiting.clear()
                return
            for r in results:
                fut = waiting.pop(r.evaluation_id, None)
                if fut is None:  # e.g. a job of an earlier, stopped run of this campaign: recorded by its rerun
                    log.debug("result for %s has no waiter; dropped", r.evaluation_id)
                elif not fut.done():
                    fut.set_result(r)

    # ------------------------------------------------------------------------------------ capacity
    async def wait_capacity(self, campaign: str, timeout_s: float | None = None) -> bool:
        """The scheduler's `wait_capacity`, one actor call shared by all who wait at once for a campaign."""
        pending = self._capacity.get(campaign)
        if pending is None or pending.done():
            pending = self._capacity[campaign] = asyncio.ensure_future(
                self._call("wait_capacity", campaign, timeout_s))
        return await asyncio.shield(pending)

    async def close(self) -> None:
        """Stop the pollers (a campaign that ends has no waiter left; this is for a stop mid-run)."""
        for task in [*self._pollers.values(), *self._background]:
            task.cancel()
        await asyncio.gather(*self._pollers.values(), *self._background, return_exceptions=True)
        self._pollers.clear()
