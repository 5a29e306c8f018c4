"""The scheduler: agent registry, device-slot leases, fair queueing between campaigns, retries, quarantine.

It is plain asyncio code (tests drive it directly); `controller.scheduler_actor` runs it as a named Ray actor
that every campaign of a cluster (or of one shard of it) shares and that also serves the hawk.v1.Registry
gRPC service.

Interface. A driver registers its tasks once (`register_tasks`, which returns their hashes), then `submit`s
jobs in batches (`JobRequest`, naming the task by hash) and collects each campaign's finished results with
`results(campaign, ...)`: they queue per campaign (not per agent, so a job failing over between agents keeps
its place) until fetched, and each is returned exactly once. `evaluate` (one job, awaited) is the same
machinery with a future in place of the campaign's queue.

Dispatch. The pump runs once per event-loop turn however many jobs or results arrived in it (after a freed
slot, once a short window has passed: 2% of the evaluations' mean duration, at most 10 ms): it leases free
device slots to queued jobs, one job at a time in policy order, then sends each agent its jobs of that turn in
ONE batch call (`evaluate_batch`: one stream per batch, tasks uploaded once per agent and named by hash, no
progress events). Each item of a batch gets its own outcome and is settled on its own, so the policy below
holds per job, not per batch.

Prefetch (worker-lease pipelining, as Ray's lease pipelining). An agent is leased up to `capacity` = devices +
`prefetch` jobs (default one per device, PREFETCH_SHARE; never more than its AgentInfo.max_concurrent_evaluations,
none while it drains or is quarantined): the extra ones wait at the agent for a device, so a device that frees
starts its next evaluation at once instead of after the result's trip here, the window, the pump, a stream and
the driver's next proposal. Equal evaluations run in waves (all of an agent's devices free together), so less
than a full wave of prefetch leaves most of the wave idle for that round trip: measured, 1/4 or 3/4 of the
devices gained nothing at 64 x 100 ms, one per device took it from 0.88 to 0.99 of ideal. Agents with free
devices are always preferred to prefetch places (least load by devices). The price, bounded by `prefetch`: a
job already at an agent is not overtaken there by a later higher-priority one, and an agent's death fails over
its prefetched jobs too (infrastructure failures, counted as tries like the running ones, never the candidate's).
So the default prefetch is adaptive: on while the evaluations' mean duration is under PREFETCH_BELOW_S, where the
round trip is a real share of a slot's time, and off above it (1.25x, hysteresis), where the round trip costs under
1% of a slot and a prefetched job would only delay a higher-priority one by a whole evaluation.

Policy, in order:
1. Priority is strict: a queued job of a higher-priority campaign is dispatched before any lower one (among jobs
   not yet dispatched; at most `prefetch` per agent are already waiting there).
2. Within a priority, teams share fairly, then campaigns within a team: the next job comes from the team,
   then the campaign, that has been served the fewest device slots so far (stride scheduling, FIFO ties).
3. A job goes to the eligible agent (same hardware profile, the campaign's backend and agent list, healthy, not
   draining, not already tried for this job) with the lowest load. A campaign's agent list and backend hold on
   a shared scheduler too: an agent outside them is never used, however idle.
4. An infrastructure failure (unreachable, a broken or silent stream, an agent-side INTERNAL) retries the job on
   another agent, at most `max_retries` times. Failover never goes back to an agent already tried while an
   untried one (busy, not quarantined) may still serve the job: the job waits for it. `quarantine_after`
   consecutive infrastructure failures quarantine the agent for a back-off that doubles each time; a
   candidate's own status (a compile error, a timeout, a wrong answer) never counts. Every try is counted in
   `Result.attempts`, with the agents in `Result.agents_tried`. A busy refusal requeues the job without
   counting a try.
5. Backpressure: `wait_capacity` holds a campaign's proposer until it has fewer jobs queued than free
   places on the farm (free devices plus free prefetch places: what dispatch can fill now), so proposals run
   at most one prefetch queue ahead of devices.
6. Cancel: a queued job is dropped; a running or prefetched one is cancelled on its agent (a prefetched one
   leaves the agent's device queue without running) and its outcome dropped (it never counts against the agent).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from controller.agent_rpc import AgentBusy, AgentConnections, AgentUnavailable, BatchItem
from hawk.v1 import agent_pb2, result_pb2, task_pb2
from npu_agent.taskspec import task_hash

log = logging.getLogger(__name__)

EvaluateFn = Callable[..., Awaitable[result_pb2.Result]]
OutcomeFn = Callable[[str, "result_pb2.Result | Exception"], None]
EvaluateBatchFn = Callable[..., Awaitable[None]]   # (address, items, *, timeout_s, inactivity_s, on_outcome)
InfoFn = Callable[[str], Awaitable[agent_pb2.AgentInfo]]
CancelFn = Callable[[str, str], Awaitable[Any]]     # (address, evaluation_id)

PREFETCH_SHARE = 1.0  # jobs held at an agent beyond its devices: this share of its devices (rounded up)
PREFETCH_BELOW_S = 1.0  # default prefetch only while evaluations take less than this on average (dispatch to outcome)
BATCH_TIMEOUT_S = 900.0      # a whole batch stream's deadline (each item is bounded by the agent's own timeouts)
BATCH_WINDOW_SHARE = 0.02  # adaptive batching window: this share of an evaluation's mean duration...
BATCH_WINDOW_MAX_S = 0.01   # ...at most this long
RESULTS_LINGER_SHARE = 0.1  # results() that waited lingers this share of an evaluation's mean duration...
RESULTS_LINGER_MAX_S = 0.02  # ...at most this long
OBSERVE_FARM_EVERY_S = 0.5   # metrics.observe_farm walks every agent and campaign: not once per job


@dataclass
class JobRequest:
    """One evaluation to queue: today's `evaluate()` arguments with the task named by its hash
    (`register_tasks` first). `agents`/`backend` restrict where it may run; `avoid` counts as already tried."""

    evaluation_id: str
    campaign: str
    task_hash: str
    source: str
    hardware: str
    team: str = "default"
    priority: int = 0
    options: agent_pb2.EvaluateOptions | None = None
    agents: list[str] | None = None
    backend: str = ""
    avoid: list[str] | None = None


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
    labels: dict[str, str] = field(default_factory=dict)
    prefetch: int = 0                    # jobs dispatched beyond its devices, waiting at the agent for one
    prefetch_max: int = 0                # its prefetch depth when prefetching is on (adaptive default)

    @property
    def capacity(self) -> int:
        """Jobs the agent may hold at once: its devices plus its prefetch queue (`busy` counts both)."""
        return self.devices + self.prefetch

    def eligible(self, hardware: str, now: float) -> bool:
        return (not self.draining and self.hardware == hardware and now >= self.quarantined_until
                and self.busy < self.capacity)


@dataclass(eq=False)
class Job:
    evaluation_id: str
    campaign: str
    team: str
    priority: int
    task_hash: str
    source: str
    hardware: str
    options: agent_pb2.EvaluateOptions | None
    future: asyncio.Future | None        # evaluate(): awaited; submit(): None, the result goes to the campaign
    seq: int
    attempts: int = 0
    agents: frozenset[str] | None = None  # the campaign's agent list (None: any agent)
    backend: str = ""                     # the campaign's backend ("": any)
    tried: list[str] = field(default_factory=list)
    excluded: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    enqueued_at: float = field(default_factory=time.monotonic)
    cancelled: bool = False
    dispatched_at: float = 0.0

    @property
    def task(self) -> str:  # kept for log lines and callers that printed job.task
        return self.task_hash


def _connections_of(evaluate: EvaluateFn) -> AgentConnections | None:
    owner = getattr(evaluate, "__self__", None)
    return owner if isinstance(owner, AgentConnections) and getattr(evaluate, "__name__", "") == "evaluate" else None


class Scheduler:
    def __init__(self, evaluate: EvaluateFn, get_info: InfoFn, *, evaluate_batch: EvaluateBatchFn | None = None,
                 cancel_remote: CancelFn | None = None, max_retries: int = 2,
                 quarantine_after: int = 3, quarantine_s: float = 10.0, heartbeat_interval_s: float = 2.0,
                 expiry_s: float = 10.0, busy_retry_s: float = 0.5, frozen_after_beats: float = 3.0,
                 retry_backoff_s: float = 1.0, batch_window_s: float | None = None, prefetch: int | None = None,
                 prefetch_below_s: float = PREFETCH_BELOW_S,
                 metrics: Any = None) -> None:
        """`evaluate` is the one-candidate call (AgentConnections.evaluate). Given the bound method of an
        AgentConnections, the scheduler dispatches through that object's `evaluate_batch` (and cancels through
        its agents' Cancel RPC); another callable is sent one item at a time (tests that wrap it)."""
        conns = _connections_of(evaluate)
        if evaluate_batch is None and conns is not None and hasattr(conns, "evaluate_batch"):
            evaluate_batch = conns.evaluate_batch
        if cancel_remote is None and conns is not None:
            cancel_remote = _agent_cancel(conns)
        self._evaluate = evaluate
        self._evaluate_batch: EvaluateBatchFn = evaluate_batch or self._batch_one_by_one
        self._cancel_remote = cancel_remote
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
        # A freed slot is leased after this window so the slots freed meanwhile go out in the same batches. None:
        # BATCH_WINDOW_SHARE of the evaluations' mean duration (at most BATCH_WINDOW_MAX_S), i.e. a bounded share
        # of device time; 0: at once.
        self.batch_window_s = batch_window_s
        # Jobs each agent holds beyond its devices, so a device that frees starts its next evaluation at once on
        # the agent instead of after a round trip through the scheduler (worker-lease pipelining). None:
        # ceil(PREFETCH_SHARE * devices); 0: none. Always bounded by the agent's max_concurrent_evaluations.
        if prefetch is not None and prefetch < 0:
            raise ValueError(f"prefetch must be 0 or more, got {prefetch}")
        self.prefetch = prefetch
        self.prefetch_below_s = prefetch_below_s
        self._prefetching = True  # the adaptive default's state (PREFETCH_BELOW_S); an explicit prefetch is always on
        self._run_ewma_s = 0.0
        self.metrics = metrics
        self.agents: dict[str, AgentState] = {}
        self._tasks: dict[str, task_pb2.TaskSpec] = {}
        self._queues: dict[str, deque[Job]] = defaultdict(deque)    # per campaign
        self._campaign_meta: dict[str, tuple[str, int]] = {}         # campaign -> (team, priority)
        self._served_campaign: dict[str, float] = defaultdict(float)
        self._served_team: dict[str, float] = defaultdict(float)
        self._running: dict[str, tuple[Job, AgentState]] = {}
        self._waiting: dict[str, Job] = {}                           # between a failure and its requeue
        self._live: dict[str, int] = {}                              # per campaign: jobs not yet finished
        self._results: dict[str, deque[result_pb2.Result]] = {}     # per campaign, until fetched
        self._result_ready: dict[str, asyncio.Event] = {}
        self._batches: set[asyncio.Task] = set()
        self._seq = itertools.count()
        self._changed = asyncio.Event()
        self._pump_scheduled = False
        self._pump_timer: asyncio.TimerHandle | None = None
        self._observed_at = 0.0
        self._observe_scheduled = False
        self._expiry_task: asyncio.Task | None = None
        self.batches_sent = 0      # for benchmarks and tests: items per batch = jobs_sent / batches_sent
        self.jobs_sent = 0

    # ------------------------------------------------------------------------------------ registry
    async def add_static_agent(self, address: str) -> AgentState:
        """Add an agent by address (asks it for its devices and hardware)."""
        info = await self._get_info(address)
        state = self._upsert(address, info, source="static")
        return state

    def register(self, address: str, info: agent_pb2.AgentInfo, labels: dict[str, str] | None = None) -> str:
        state = self._upsert(address, info, source="registry")
        state.lease_id = uuid.uuid4().hex
        state.last_heartbeat = time.monotonic()
        state.labels = dict(labels or {})
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
        state.prefetch_max = self._prefetch_of(info)
        state.prefetch = state.prefetch_max if self._prefetching else 0
        self._kick()
        return state

    def _prefetch_of(self, info: agent_pb2.AgentInfo) -> int:
        """Prefetch depth for an agent: the option (or a share of its devices), within what it admits at once
        (more would be refused busy and bounce back)."""
        want = self.prefetch if self.prefetch is not None else math.ceil(PREFETCH_SHARE * info.device_count)
        if info.max_concurrent_evaluations:
            want = min(want, max(0, info.max_concurrent_evaluations - info.device_count))
        return want

    def _adapt_prefetch(self) -> None:
        """Default prefetch on for short evaluations, off for long ones (module docstring); an agent holding more
        than its new capacity simply gets nothing until it is below it."""
        limit = self.prefetch_below_s * (1.25 if self._prefetching else 1.0)
        on = self._run_ewma_s < limit
        if on != self._prefetching:
            self._prefetching = on
            for a in self.agents.values():
                a.prefetch = a.prefetch_max if on else 0

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
    def register_tasks(self, tasks: list[task_pb2.TaskSpec]) -> list[str]:
        """Hold tasks by hash so jobs can name them (a driver sends each TaskSpec once, not once per job)."""
        hashes = []
        for t in tasks:
            h = task_hash(t)
            self._tasks.setdefault(h, t)
            hashes.append(h)
        return hashes

    def submit(self, jobs: list[JobRequest]) -> None:
        """Queue jobs; their results go to their campaign's queue (`results`). All or nothing: a job naming an
        unregistered task refuses the whole call (ValueError) before any is queued."""
        for r in jobs:
            if r.task_hash not in self._tasks:
                raise ValueError(f"job {r.evaluation_id}: task {r.task_hash[:12]} is not registered "
                                 "(register_tasks first)")
        for r in jobs:
            self._enqueue(r, None)
        if jobs:
            self._kick()

    async def results(self, campaign: str, timeout_s: float, max_n: int = 0) -> list[result_pb2.Result]:
        """The campaign's finished results not yet returned (oldest first, at most max_n unless 0), waiting up
        to timeout_s for the first one. Each result is returned exactly once.

        A call that had to wait lingers after the first result for the ones finishing right after it (a share
        of the evaluations' mean duration, at most RESULTS_LINGER_MAX_S, never past timeout_s): each call costs
        the caller and this actor a Ray round trip, so a poller gets results by the handful, not one by one."""
        q = self._results.get(campaign)
        if not q and timeout_s > 0:
            deadline = time.monotonic() + timeout_s
            event = self._result_ready.setdefault(campaign, asyncio.Event())
            event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout_s)
            linger = min(RESULTS_LINGER_MAX_S, RESULTS_LINGER_SHARE * self._run_ewma_s,
                         deadline - time.monotonic())
            q = self._results.get(campaign)
            if q and linger > 0 and (max_n <= 0 or len(q) < max_n):
                await asyncio.sleep(linger)
                q = self._results.get(campaign)
        if not q:
            return []
        n = len(q) if max_n <= 0 else min(max_n, len(q))
        out = [q.popleft() for _ in range(n)]
        if not q:
            self._results.pop(campaign, None)
        return out

    async def evaluate(self, *, evaluation_id: str, campaign: str, task: task_pb2.TaskSpec, source: str,
                       hardware: str, team: str = "default", priority: int = 0,
                       options: agent_pb2.EvaluateOptions | None = None, agents: list[str] | None = None,
                       backend: str = "", avoid: list[str] | None = None) -> result_pb2.Result:
        """Queue one evaluation and wait for its final result (never raises for agent failures). `agents` (the
        campaign's agent addresses) and `backend` restrict where it may run; None and "" allow any. `avoid`
        (e.g. the agent whose result a cross-check re-runs) is treated as already tried: another agent that may
        serve the job is waited for; only when there is none does the job go there."""
        [th] = self.register_tasks([task])
        job = self._enqueue(JobRequest(evaluation_id=evaluation_id, campaign=campaign, task_hash=th, source=source,
                                       hardware=hardware, team=team, priority=priority, options=options,
                                       agents=agents, backend=backend, avoid=avoid),
                            asyncio.get_running_loop().create_future())
        self._kick()
        assert job.future is not None
        try:
            return await job.future
        except asyncio.CancelledError:
            self.cancel(evaluation_id)
            raise

    def _enqueue(self, r: JobRequest, future: asyncio.Future | None) -> Job:
        self._activate(r.campaign, r.team)
        self._campaign_meta[r.campaign] = (r.team, r.priority)
        job = Job(evaluation_id=r.evaluation_id, campaign=r.campaign, team=r.team, priority=r.priority,
                  task_hash=r.task_hash, source=r.source, hardware=r.hardware, options=r.options, future=future,
                  seq=next(self._seq), agents=frozenset(r.agents) if r.agents is not None else None,
                  backend=r.backend, excluded=set(r.avoid or ()))
        self._queues[r.campaign].append(job)
        self._live[r.campaign] = self._live.get(r.campaign, 0) + 1
        return job

    def _active_campaigns(self) -> set[str]:
        return {c for c, n in self._live.items() if n > 0}

    def _activate(self, campaign: str, team: str) -> None:
        """A campaign (or team) that was idle starts level with the least-served active one (stride
        scheduling's pass initialisation), so neither a newcomer nor a long-running campaign is starved."""
        if self._live.get(campaign, 0) > 0:
            return  # the common case, once per job: O(1)
        active = self._active_campaigns()
        same_team = [self._served_campaign[c] for c in active if self._campaign_meta[c][0] == team]
        self._served_campaign[campaign] = min(same_team) if same_team else 0.0
        teams = {self._campaign_meta[c][0] for c in active}
        if team not in teams:
            self._served_team[team] = min((self._served_team[t] for t in teams), default=0.0)
        for idle in [c for c in self._campaign_meta if c not in active and c != campaign]:
            # Forget idle campaigns entirely: a detached scheduler serves many campaigns over its life (their
            # unfetched results stay in self._results).
            self._campaign_meta.pop(idle, None)
            self._served_campaign.pop(idle, None)
            self._queues.pop(idle, None)
            self._live.pop(idle, None)

    def _retire(self, job: Job) -> None:
        """The job left the scheduler (finished, or cancelled and out of every queue and slot)."""
        n = self._live.get(job.campaign, 0) - 1
        if n > 0:
            self._live[job.campaign] = n
        else:
            self._live.pop(job.campaign, None)

    def cancel(self, evaluation_id: str) -> bool:
        for q in self._queues.values():
            for job in q:
                if job.evaluation_id == evaluation_id:
                    q.remove(job)
                    self._drop(job)
                    self._retire(job)
                    return True
        waiting = self._waiting.pop(evaluation_id, None)
        if waiting is not None:
            self._drop(waiting)
            self._retire(waiting)
            return True
        running = self._running.get(evaluation_id)
        if running is not None:
            job, agent = running
            self._drop(job)  # its outcome, when the agent answers, is dropped; the slot is freed then
            if self._cancel_remote is not None:
                task = asyncio.get_running_loop().create_task(self._cancel_on_agent(agent.address, evaluation_id))
                self._batches.add(task)
                task.add_done_callback(self._batches.discard)
            return True
        return False

    async def _cancel_on_agent(self, address: str, evaluation_id: str) -> None:
        assert self._cancel_remote is not None
        try:
            await self._cancel_remote(address, evaluation_id)
        except Exception as e:  # the outcome is dropped anyway; the agent frees the slot when it finishes
            log.info("cancel of %s on %s failed: %s", evaluation_id, address, e)

    @staticmethod
    def _drop(job: Job) -> None:
        job.cancelled = True
        if job.future is not None and not job.future.done():
            job.future.cancel()

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
        """Jobs the farm could take now: free devices plus free prefetch places (what dispatch fills)."""
        now = time.monotonic()
        return sum(max(0, a.capacity - a.busy) for a in self.agents.values()
                   if not a.draining and now >= a.quarantined_until)

    def total_slots(self) -> int:
        return sum(a.devices for a in self.agents.values() if not a.draining)

    # ------------------------------------------------------------------------------------ dispatch
    def _kick(self, window_s: float = 0.0) -> None:
        """Something changed: wake capacity waiters and pump once, at the end of this event-loop turn or, for a
        freed slot, after `window_s` (so the jobs freed or submitted meanwhile go out as one batch per agent)."""
        self._changed.set()
        if self._pump_scheduled:
            return
        loop = asyncio.get_running_loop()
        if window_s > 0:
            if self._pump_timer is None:
                self._pump_timer = loop.call_later(window_s, self._pump)
        else:
            self._pump_scheduled = True
            loop.call_soon(self._pump)

    def _window(self) -> float:
        if self.batch_window_s is not None:
            return self.batch_window_s
        return min(BATCH_WINDOW_MAX_S, BATCH_WINDOW_SHARE * self._run_ewma_s)

    def _next_job(self, now: float, free: list[AgentState] | None = None) -> tuple[Job, AgentState] | None:
        """Highest priority first; fewest-served team, then campaign; FIFO within a campaign."""
        if free is not None and all(a.busy >= a.capacity for a in free):
            return None  # this pump's free slots are all leased: no need to look at the queues again
        candidates = [(c, q) for c, q in self._queues.items() if q]
        if not candidates:
            return None
        candidates.sort(key=lambda cq: (-self._campaign_meta[cq[0]][1],
                                        self._served_team[self._campaign_meta[cq[0]][0]],
                                        self._served_campaign[cq[0]], cq[1][0].seq))
        for _, q in candidates:
            unplaceable: set[tuple] = set()  # jobs alike (nothing tried yet) that found no agent: skip the rest
            for job in q:
                key = (job.hardware, job.backend, job.agents)
                if not job.excluded and key in unplaceable:
                    continue
                agent = self._pick_agent(job, now, free)
                if agent is not None:
                    q.remove(job)
                    return job, agent
                if not job.excluded:
                    unplaceable.add(key)
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

    def _pick_agent(self, job: Job, now: float, free: list[AgentState] | None = None) -> AgentState | None:
        """`free`: the agents that had a free slot when this pump began (the only ones that can take a job now;
        on a large farm far fewer than all), so a pick costs O(agents with free slots)."""
        candidates = self.agents.values() if free is None else free
        options = [a for a in candidates if a.eligible(job.hardware, now) and a.address not in job.excluded
                   and self._serves(job, a)]
        if not options and job.excluded:
            serving = [a for a in self.agents.values() if self._serves(job, a)]
            if not any(self._may_serve_soon(a, job, now) for a in serving):
                # Every agent that may serve this job already failed it (or is out: quarantined, draining): a
                # retry on one of them is all there is (a restarted agent, a transient fault); otherwise the job
                # waits for a busy untried agent to free up.
                options = [a for a in serving if a.eligible(job.hardware, now)]
        return min(options, key=lambda a: (a.busy / a.devices, a.consecutive_failures), default=None)

    def _pump(self) -> None:
        """Lease free slots to queued jobs in policy order, then one batch call per agent."""
        self._pump_scheduled = False
        if self._pump_timer is not None:
            self._pump_timer.cancel()
            self._pump_timer = None
        now = time.monotonic()
        batches: dict[str, tuple[AgentState, list[Job]]] = {}
        free = [a for a in self.agents.values()
                if not a.draining and a.busy < a.capacity and now >= a.quarantined_until]
        if free:
            while (picked := self._next_job(now, free)) is not None:
                job, agent = picked
                agent.busy += 1
                team, _ = self._campaign_meta[job.campaign]
                self._served_team[team] += 1
                self._served_campaign[job.campaign] += 1
                job.attempts += 1
                job.tried.append(agent.address)
                job.dispatched_at = now
                self._running[job.evaluation_id] = (job, agent)
                batches.setdefault(agent.address, (agent, []))[1].append(job)
                if self.metrics is not None:
                    self.metrics.dispatched(job.campaign, now - job.enqueued_at)
        loop = asyncio.get_running_loop()
        for agent, jobs in batches.values():
            task = loop.create_task(self._run_batch(agent, jobs))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)
        self._observe_farm()

    def _observe_farm(self) -> None:
        """observe_farm walks every agent and campaign: at most every OBSERVE_FARM_EVERY_S, with a trailing call
        so the gauges end up right."""
        if self.metrics is None or self._observe_scheduled:
            return
        wait = self._observed_at + OBSERVE_FARM_EVERY_S - time.monotonic()
        if wait <= 0:
            self._observed_at = time.monotonic()
            self.metrics.observe_farm(self)
        else:
            self._observe_scheduled = True

            def later() -> None:
                self._observe_scheduled = False
                self._observed_at = time.monotonic()
                self.metrics.observe_farm(self)

            asyncio.get_running_loop().call_later(wait, later)

    async def _run_batch(self, agent: AgentState, jobs: list[Job]) -> None:
        """One batch call for this agent's jobs; every job is settled exactly once, whatever happens."""
        pending = {j.evaluation_id: j for j in jobs}
        self.batches_sent += 1
        self.jobs_sent += len(jobs)

        def on_outcome(evaluation_id: str, outcome: result_pb2.Result | Exception) -> None:
            job = pending.pop(evaluation_id, None)
            if job is not None:  # an id we did not send, or a second outcome for one: ignored
                self._settle(job, agent, outcome)

        inactivity = self.frozen_after_beats * agent.heartbeat_s if agent.heartbeat_s > 0 else 0.0
        items = [BatchItem(evaluation_id=j.evaluation_id, task=self._tasks[j.task_hash], source=j.source,
                           options=j.options, campaign=j.campaign, task_hash=j.task_hash) for j in jobs]
        try:
            await self._evaluate_batch(agent.address, items, timeout_s=BATCH_TIMEOUT_S,
                                       inactivity_s=max(1.0, inactivity) if inactivity else 0.0,
                                       on_outcome=on_outcome)
        except asyncio.CancelledError:
            for job in list(pending.values()):
                self._drop(job)
                on_outcome(job.evaluation_id, AgentUnavailable(f"{agent.address}: the scheduler stopped"))
            raise
        except Exception as e:  # an unexpected bug must not lose the jobs
            log.exception("a batch of %d to %s crashed in the scheduler", len(pending), agent.address)
            for job in list(pending.values()):
                on_outcome(job.evaluation_id, e)
        for job in list(pending.values()):  # the client owes every item one outcome; never lose one that it missed
            on_outcome(job.evaluation_id, AgentUnavailable(f"{agent.address}: the batch ended without its result"))

    async def _batch_one_by_one(self, address: str, items: list[BatchItem], *, timeout_s: float,
                                inactivity_s: float, on_outcome: OutcomeFn, progress: bool = False) -> None:
        """evaluate_batch over a one-candidate `evaluate` (a callable that is not AgentConnections.evaluate)."""
        async def one(item: BatchItem) -> None:
            try:
                outcome: result_pb2.Result | Exception = await self._evaluate(
                    address, item.task, item.source, item.evaluation_id, options=item.options,
                    campaign=item.campaign, timeout_s=timeout_s, inactivity_s=inactivity_s)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                outcome = e
            on_outcome(item.evaluation_id, outcome)

        await asyncio.gather(*(one(i) for i in items))

    def _settle(self, job: Job, agent: AgentState, outcome: result_pb2.Result | Exception) -> None:
        """One job's outcome from its agent: free the slot, then finish, requeue or retry the job."""
        agent.busy -= 1
        self._running.pop(job.evaluation_id, None)
        if agent.draining and agent.busy == 0 and agent.source == "registry":
            self.agents.pop(agent.address, None)
        if isinstance(outcome, result_pb2.Result) and job.dispatched_at:
            self._run_ewma_s += 0.1 * (time.monotonic() - job.dispatched_at - self._run_ewma_s)
            if self.prefetch is None:
                self._adapt_prefetch()
        self._kick(self._window())
        if job.cancelled:
            self._retire(job)
            return  # cancelled while it ran: whatever the agent says (CANCELLED, most likely) is no one's fault
        result: result_pb2.Result | None = None
        requeue_after = 0.0
        if isinstance(outcome, result_pb2.Result):
            agent.consecutive_failures = 0  # a candidate's status, whatever it is, says the agent works
            agent.completed += 1
            result = outcome
        elif isinstance(outcome, AgentBusy):
            job.attempts -= 1  # not the agent's fault nor the job's: try again shortly
            job.tried.pop()
            requeue_after = self.busy_retry_s
            if "draining" in str(outcome):
                agent.draining = True  # a static agent says so only here; registered ones also heartbeat it
            log.info("agent busy, job %s requeued: %s", job.evaluation_id, outcome)
        elif isinstance(outcome, AgentUnavailable):
            self._agent_failed(agent, str(outcome))
            job.excluded.add(agent.address)
            job.errors.append(str(outcome))
            if job.attempts > self.max_retries:
                result = result_pb2.Result(
                    evaluation_id=job.evaluation_id, status=result_pb2.INTERNAL,
                    message=f"failed on {job.attempts} attempts: " + " | ".join(job.errors[-3:]))
            elif not any(self._may_serve_soon(a, job, time.monotonic())
                         for a in self.agents.values() if self._serves(job, a)):
                requeue_after = self.retry_backoff_s * 2 ** (job.attempts - 1)
        else:  # an unexpected error (a bug) must not lose the job
            result = result_pb2.Result(evaluation_id=job.evaluation_id, status=result_pb2.INTERNAL,
                                       message=f"scheduler error: {outcome!r}")
        if result is not None:
            self._finish(job, result)
        elif requeue_after:
            self._waiting[job.evaluation_id] = job
            asyncio.get_running_loop().call_later(requeue_after, self._requeue, job)
        else:
            self._requeue(job)

    def _requeue(self, job: Job) -> None:
        if self._waiting.pop(job.evaluation_id, None) is None and job.cancelled:
            return  # cancel() took it out of _waiting and retired it
        self._campaign_meta.setdefault(job.campaign, (job.team, job.priority))
        self._queues[job.campaign].appendleft(job)
        self._kick()

    def _finish(self, job: Job, result: result_pb2.Result) -> None:
        self._retire(job)
        result.attempts = job.attempts
        del result.agents_tried[:]
        result.agents_tried.extend(job.tried)
        if not result.evaluation_id:
            result.evaluation_id = job.evaluation_id
        if job.future is not None:
            if not job.future.done():
                job.future.set_result(result)
        else:
            q = self._results.get(job.campaign)
            if q is None:
                q = self._results[job.campaign] = deque()
            q.append(result)
            event = self._result_ready.get(job.campaign)
            if event is not None:
                event.set()
        if self.metrics is not None:
            self.metrics.completed(job.campaign, result.status)

    def _agent_failed(self, agent: AgentState, error: str) -> None:
        agent.failed += 1
        agent.consecutive_failures += 1
        log.warning("agent %s failed (%d in a row): %s", agent.address, agent.consecutive_failures, error)
        if agent.consecutive_failures >= self.quarantine_after and time.monotonic() >= agent.quarantined_until:
            # One batch failing as a whole reports one failure per item: quarantine once, not once per item.
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
            "agents": [{"address": a.address, "devices": a.devices, "busy": min(a.busy, a.devices),
                        "prefetched": max(0, a.busy - a.devices), "prefetch": a.prefetch, "hardware": a.hardware,
                        "backend": a.backend, "source": a.source, "draining": a.draining,
                        "quarantined_s": max(0.0, a.quarantined_until - now), "completed": a.completed,
                        "failed": a.failed, "group": a.labels.get("group", "")} for a in self.agents.values()],
            "queued": {c: len(q) for c, q in self._queues.items() if q},
            "running": len(self._running),
            "free_slots": self.free_slots(),
            "unfetched_results": sum(len(q) for q in self._results.values()),
            "batches": self.batches_sent,
            "batched_jobs": self.jobs_sent,
            "mean_run_s": self._run_ewma_s,  # dispatch to outcome, moving average (what the windows scale with)
        }


def _agent_cancel(conns: AgentConnections) -> CancelFn:
    """Cancel one evaluation on its agent (NpuAgent.Cancel) through the connections' channel."""
    async def cancel(address: str, evaluation_id: str) -> Any:
        return await conns._stub(address).Cancel(agent_pb2.CancelRequest(evaluation_id=evaluation_id),
                                                 timeout=10.0, metadata=conns.credentials.metadata())

    return cancel
