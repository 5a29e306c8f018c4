"""The scheduler: agent registry, device-slot leases, fair queueing between campaigns, retries, quarantine.

It is plain asyncio code (tests drive it directly); `controller.scheduler_actor` runs it as a named Ray actor
that every campaign of a cluster shares and that also serves the hawk.v1.Registry gRPC service.

Policy, in order:
1. Priority is strict: a queued job of a higher-priority campaign is dispatched before any lower one.
2. Within a priority, teams share fairly, then campaigns within a team: the next job comes from the team,
   then the campaign, that has been served the fewest device slots so far (stride scheduling, FIFO ties).
3. A job goes to the eligible agent (same hardware profile, the campaign's backend and agent list, healthy, not
   draining, not already tried for this job) with the lowest load. A campaign's agent list and backend hold on
   a shared scheduler too: an agent outside them is never used, however idle.
4. An infrastructure failure (unreachable, a broken or silent stream, an agent-side INTERNAL) retries the job on
   another agent, at most `max_retries` times. Failover never goes back to an agent already tried while an
   untried one (busy, not quarantined) may still serve the job: the job waits for it. `quarantine_after` consecutive infrastructure
   failures quarantine the agent for a back-off that doubles each time; a candidate's own status (a compile
   error, a timeout, a wrong answer) never counts. Every try is counted in `Result.attempts`, with the agents
   in `Result.agents_tried`.
5. Backpressure: `wait_capacity` holds a campaign's proposer until it has fewer jobs queued than free
   device slots on the farm, so proposals never run far ahead of devices.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from controller.agent_rpc import AgentBusy, AgentUnavailable
from hawk.v1 import agent_pb2, result_pb2, task_pb2

log = logging.getLogger(__name__)

EvaluateFn = Callable[..., Awaitable[result_pb2.Result]]
InfoFn = Callable[[str], Awaitable[agent_pb2.AgentInfo]]


@dataclass
class AgentState:
    address: str
    devices: int
    hardware: str
    backend: str
    agent_id: str
    source: str                          # "static" or "registry"
    lease_id: str = ""
    busy: int = 0
    draining: bool = False
    consecutive_failures: int = 0
    quarantines: int = 0
    quarantined_until: float = 0.0
    last_heartbeat: float = field(default_factory=time.monotonic)
    completed: int = 0
    failed: int = 0
    heartbeat_s: float = 0.0             # AgentInfo.heartbeat_interval_s (0: an agent without heartbeats)

    def eligible(self, hardware: str, now: float) -> bool:
        return (not self.draining and self.hardware == hardware and now >= self.quarantined_until
                and self.busy < self.devices)


@dataclass
class Job:
    evaluation_id: str
    campaign: str
    team: str
    priority: int
    task: task_pb2.TaskSpec
    source: str
    hardware: str
    options: agent_pb2.EvaluateOptions | None
    future: asyncio.Future
    seq: int
    attempts: int = 0
    agents: frozenset[str] | None = None  # the campaign's agent list (None: any agent)
    backend: str = ""                     # the campaign's backend ("": any)
    tried: list[str] = field(default_factory=list)
    excluded: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    enqueued_at: float = field(default_factory=time.monotonic)


class Scheduler:
    def __init__(self, evaluate: EvaluateFn, get_info: InfoFn, *, max_retries: int = 2,
                 quarantine_after: int = 3, quarantine_s: float = 10.0, heartbeat_interval_s: float = 2.0,
                 expiry_s: float = 10.0, busy_retry_s: float = 0.5, frozen_after_beats: float = 3.0,
                 retry_backoff_s: float = 1.0, metrics: Any = None) -> None:
        self._evaluate = evaluate
        self._get_info = get_info
        self.max_retries = max_retries
        self.quarantine_after = quarantine_after
        self.quarantine_s = quarantine_s
        self.heartbeat_interval_s = heartbeat_interval_s
        self.expiry_s = expiry_s
        self.busy_retry_s = busy_retry_s
        # A retry that can only go back to an agent that already failed the job waits 1x, 2x, 4x this first, so an
        # agent restarting on its port (a crash, a deploy) gets the job back instead of it ending INTERNAL.
        self.retry_backoff_s = retry_backoff_s
        self.frozen_after_beats = frozen_after_beats  # heartbeat intervals of silence that mean a frozen agent
        self.metrics = metrics
        self.agents: dict[str, AgentState] = {}
        self._queues: dict[str, deque[Job]] = defaultdict(deque)    # per campaign
        self._campaign_meta: dict[str, tuple[str, int]] = {}         # campaign -> (team, priority)
        self._served_campaign: dict[str, float] = defaultdict(float)
        self._served_team: dict[str, float] = defaultdict(float)
        self._running: dict[str, tuple[Job, AgentState, asyncio.Task]] = {}
        self._seq = itertools.count()
        self._changed = asyncio.Event()
        self._pumping = False
        self._expiry_task: asyncio.Task | None = None

    # ------------------------------------------------------------------------------------ registry
    async def add_static_agent(self, address: str) -> AgentState:
        """Add an agent by address (asks it for its devices and hardware)."""
        info = await self._get_info(address)
        state = self._upsert(address, info, source="static")
        return state

    def register(self, address: str, info: agent_pb2.AgentInfo) -> str:
        state = self._upsert(address, info, source="registry")
        state.lease_id = uuid.uuid4().hex
        state.last_heartbeat = time.monotonic()
        self._ensure_expiry()
        log.info("agent %s registered (%d devices, %s)", address, state.devices, state.hardware)
        return state.lease_id

    def heartbeat(self, lease_id: str, draining: bool = False) -> bool:
        state = self._by_lease(lease_id)
        if state is None:
            return False
        state.last_heartbeat = time.monotonic()
        if state.draining != draining:
            state.draining = draining
            self._kick()
        return True

    def deregister(self, lease_id: str, reason: str = "") -> bool:
        state = self._by_lease(lease_id)
        if state is None:
            return False
        log.info("agent %s deregistered: %s", state.address, reason or "no reason given")
        state.draining = True  # running jobs finish; no new ones
        if state.busy == 0:
            self.agents.pop(state.address, None)
        return True

    def _by_lease(self, lease_id: str) -> AgentState | None:
        return next((a for a in self.agents.values() if a.lease_id == lease_id and lease_id), None)

    def _upsert(self, address: str, info: agent_pb2.AgentInfo, source: str) -> AgentState:
        if info.device_count < 1:
            raise ValueError(f"agent {address} reports no devices")
        state = self.agents.get(address)
        if state is None:
            state = AgentState(address=address, devices=info.device_count, hardware=info.hardware_profile,
                               backend=info.backend, agent_id=info.agent_id or address, source=source)
            self.agents[address] = state
        else:
            state.devices, state.hardware, state.backend = info.device_count, info.hardware_profile, info.backend
            state.draining = False
        state.heartbeat_s = info.heartbeat_interval_s
        self._kick()
        return state

    def _ensure_expiry(self) -> None:
        if self._expiry_task is None or self._expiry_task.done():
            self._expiry_task = asyncio.get_running_loop().create_task(self._expire_loop())

    async def _expire_loop(self) -> None:
        while True:
            await asyncio.sleep(min(self.expiry_s / 4, 1.0))
            now = time.monotonic()
            for a in list(self.agents.values()):
                if a.source == "registry" and now - a.last_heartbeat > self.expiry_s:
                    log.warning("agent %s expired: no heartbeat for %.1fs", a.address, now - a.last_heartbeat)
                    a.draining = True
                    a.lease_id = ""
                    if a.busy == 0:
                        self.agents.pop(a.address, None)

    # --------------------------------------------------------------------------------------- jobs
    async def evaluate(self, *, evaluation_id: str, campaign: str, task: task_pb2.TaskSpec, source: str,
                       hardware: str, team: str = "default", priority: int = 0,
                       options: agent_pb2.EvaluateOptions | None = None, agents: list[str] | None = None,
                       backend: str = "", avoid: list[str] | None = None) -> result_pb2.Result:
        """Queue one evaluation and wait for its final result (never raises for agent failures). `agents` (the
        campaign's agent addresses) and `backend` restrict where it may run; None and "" allow any. `avoid`
        (e.g. the agent whose result a cross-check re-runs) is treated as already tried: another agent that may
        serve the job is waited for; only when there is none does the job go there."""
        loop = asyncio.get_running_loop()
        self._activate(campaign, team)
        self._campaign_meta[campaign] = (team, priority)
        job = Job(evaluation_id=evaluation_id, campaign=campaign, team=team, priority=priority, task=task,
                  source=source, hardware=hardware, options=options, future=loop.create_future(),
                  seq=next(self._seq), agents=frozenset(agents) if agents is not None else None, backend=backend,
                  excluded=set(avoid or ()))
        self._queues[campaign].append(job)
        self._kick()
        try:
            return await job.future
        except asyncio.CancelledError:
            self.cancel(evaluation_id)
            raise

    def _active_campaigns(self) -> set[str]:
        return {c for c, q in self._queues.items() if q} | {j.campaign for j, _, _ in self._running.values()}

    def _activate(self, campaign: str, team: str) -> None:
        """A campaign (or team) that was idle starts level with the least-served active one (stride
        scheduling's pass initialisation), so neither a newcomer nor a long-running campaign is starved."""
        active = self._active_campaigns()
        if campaign in active:
            return
        same_team = [self._served_campaign[c] for c in active if self._campaign_meta[c][0] == team]
        self._served_campaign[campaign] = min(same_team) if same_team else 0.0
        teams = {self._campaign_meta[c][0] for c in active}
        if team not in teams:
            self._served_team[team] = min((self._served_team[t] for t in teams), default=0.0)
        for idle in [c for c in self._campaign_meta if c not in active and c != campaign]:
            # Forget idle campaigns entirely: a detached scheduler serves many campaigns over its life.
            self._campaign_meta.pop(idle, None)
            self._served_campaign.pop(idle, None)
            self._queues.pop(idle, None)

    def cancel(self, evaluation_id: str) -> bool:
        for q in self._queues.values():
            for job in q:
                if job.evaluation_id == evaluation_id:
                    q.remove(job)
                    if not job.future.done():
                        job.future.cancel()
                    return True
        running = self._running.get(evaluation_id)
        if running is not None:
            running[2].cancel()
            return True
        return False

    async def wait_capacity(self, campaign: str, timeout_s: float | None = None) -> bool:
        """Return once `campaign` has fewer queued jobs than the farm has free slots (at least one)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while len(self._queues.get(campaign, ())) >= max(1, self.free_slots()):
            self._changed.clear()
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=remaining if remaining else 1.0)
        return True

    def free_slots(self) -> int:
        now = time.monotonic()
        return sum(max(0, a.devices - a.busy) for a in self.agents.values()
                   if not a.draining and now >= a.quarantined_until)

    def total_slots(self) -> int:
        return sum(a.devices for a in self.agents.values() if not a.draining)

    # ------------------------------------------------------------------------------------ dispatch
    def _kick(self) -> None:
        self._changed.set()
        if not self._pumping:
            self._pump()

    def _next_job(self, now: float) -> tuple[Job, AgentState] | None:
        """Highest priority first; fewest-served team, then campaign; FIFO within a campaign."""
        candidates = [(c, q) for c, q in self._queues.items() if q]
        candidates.sort(key=lambda cq: (-self._campaign_meta[cq[0]][1],
                                        self._served_team[self._campaign_meta[cq[0]][0]],
                                        self._served_campaign[cq[0]], cq[1][0].seq))
        for _, q in candidates:
            for job in [j for j in q if j.future.done()]:
                q.remove(job)  # cancelled by its campaign while it waited
            for job in q:
                agent = self._pick_agent(job, now)
                if agent is not None:
                    q.remove(job)
                    return job, agent
        return None

    @staticmethod
    def _serves(job: Job, a: AgentState) -> bool:
        """The agent may ever take this job: the campaign's hardware, backend and agent list."""
        return (a.hardware == job.hardware and (not job.backend or a.backend == job.backend)
                and (job.agents is None or a.address in job.agents))

    @staticmethod
    def _may_serve_soon(a: AgentState, job: Job, now: float) -> bool:
        """An untried agent worth waiting for: only busy, not quarantined or draining (waiting for a quarantined
        one would stall the job through back-offs that double)."""
        return a.address not in job.excluded and not a.draining and now >= a.quarantined_until

    def _pick_agent(self, job: Job, now: float) -> AgentState | None:
        serving = [a for a in self.agents.values() if self._serves(job, a)]
        options = [a for a in serving if a.eligible(job.hardware, now) and a.address not in job.excluded]
        if not options and job.excluded and not any(self._may_serve_soon(a, job, now) for a in serving):
            # Every agent that may serve this job already failed it (or is out: quarantined, draining): a retry on
            # one of them is all there is (a restarted agent, a transient fault); otherwise the job waits for a
            # busy untried agent to free up.
            options = [a for a in serving if a.eligible(job.hardware, now)]
        return min(options, key=lambda a: (a.busy / a.devices, a.consecutive_failures), default=None)

    def _pump(self) -> None:
        self._pumping = True
        try:
            now = time.monotonic()
            while (picked := self._next_job(now)) is not None:
                job, agent = picked
                agent.busy += 1
                team, _ = self._campaign_meta[job.campaign]
                self._served_team[team] += 1
                self._served_campaign[job.campaign] += 1
                task = asyncio.get_running_loop().create_task(self._run(job, agent))
                self._running[job.evaluation_id] = (job, agent, task)
                if self.metrics is not None:
                    self.metrics.dispatched(job.campaign, time.monotonic() - job.enqueued_at)
        finally:
            self._pumping = False
        if self.metrics is not None:
            self.metrics.observe_farm(self)

    async def _run(self, job: Job, agent: AgentState) -> None:
        job.attempts += 1
        job.tried.append(agent.address)
        outcome: result_pb2.Result | None = None
        requeue_after = 0.0
        inactivity = self.frozen_after_beats * agent.heartbeat_s if agent.heartbeat_s > 0 else 0.0
        try:
            outcome = await self._evaluate(agent.address, job.task, job.source, job.evaluation_id,
                                           options=job.options, campaign=job.campaign,
                                           inactivity_s=max(1.0, inactivity) if inactivity else 0.0)
            agent.consecutive_failures = 0  # a candidate's status, whatever it is, says the agent works
            agent.completed += 1
        except AgentBusy as e:
            job.attempts -= 1  # not the agent's fault nor the job's: try again shortly
            job.tried.pop()
            requeue_after = self.busy_retry_s
            if "draining" in str(e):
                agent.draining = True  # a static agent says so only here; registered ones also heartbeat it
            log.info("agent busy, job %s requeued: %s", job.evaluation_id, e)
        except AgentUnavailable as e:
            self._agent_failed(agent, str(e))
            job.excluded.add(agent.address)
            job.errors.append(str(e))
            if job.attempts > self.max_retries:
                outcome = result_pb2.Result(
                    evaluation_id=job.evaluation_id, status=result_pb2.INTERNAL,
                    message=f"failed on {job.attempts} attempts: " + " | ".join(job.errors[-3:]))
            elif not any(self._may_serve_soon(a, job, time.monotonic())
                         for a in self.agents.values() if self._serves(job, a)):
                requeue_after = self.retry_backoff_s * 2 ** (job.attempts - 1)
        except asyncio.CancelledError:
            if not job.future.done():
                job.future.cancel()
            raise
        except Exception as e:  # an unexpected bug must not lose the job
            log.exception("evaluation %s crashed in the scheduler", job.evaluation_id)
            outcome = result_pb2.Result(evaluation_id=job.evaluation_id, status=result_pb2.INTERNAL,
                                        message=f"scheduler error: {e!r}")
        finally:
            agent.busy -= 1
            self._running.pop(job.evaluation_id, None)
            if agent.draining and agent.busy == 0 and agent.source == "registry":
                self.agents.pop(agent.address, None)
        if outcome is not None:
            outcome.attempts = job.attempts
            del outcome.agents_tried[:]
            outcome.agents_tried.extend(job.tried)
            if not job.future.done():
                job.future.set_result(outcome)
        elif job.future.done():
            pass  # cancelled while it ran or waited to be requeued: drop it
        else:
            if requeue_after:
                await asyncio.sleep(requeue_after)
            self._campaign_meta.setdefault(job.campaign, (job.team, job.priority))
            self._queues[job.campaign].appendleft(job)
        if self.metrics is not None and outcome is not None:
            self.metrics.completed(job.campaign, outcome.status)
        self._kick()

    def _agent_failed(self, agent: AgentState, error: str) -> None:
        agent.failed += 1
        agent.consecutive_failures += 1
        log.warning("agent %s failed (%d in a row): %s", agent.address, agent.consecutive_failures, error)
        if agent.consecutive_failures >= self.quarantine_after:
            backoff = self.quarantine_s * (2 ** agent.quarantines)
            agent.quarantines += 1
            agent.quarantined_until = time.monotonic() + backoff
            log.warning("agent %s quarantined for %.0fs", agent.address, backoff)
            if self.metrics is not None:
                self.metrics.quarantined(agent.address)
            asyncio.get_running_loop().call_later(backoff + 0.01, self._kick)

    # -------------------------------------------------------------------------------------- status
    def snapshot(self) -> dict[str, Any]:
        now = time.monotonic()
        return {
            "agents": [{"address": a.address, "devices": a.devices, "busy": a.busy, "hardware": a.hardware,
                        "backend": a.backend, "source": a.source, "draining": a.draining,
                        "quarantined_s": max(0.0, a.quarantined_until - now), "completed": a.completed,
                        "failed": a.failed} for a in self.agents.values()],
            "queued": {c: len(q) for c, q in self._queues.items() if q},
            "running": len(self._running),
            "free_slots": self.free_slots(),
        }
