"""The scheduler as a named Ray actor shared by every campaign on a cluster (or on one shard of it).

The actor is asynchronous: evaluations of all campaigns wait on one event loop, and grpc.aio streams
carry them to agents in batches. It also serves the hawk.v1.Registry service and its Prometheus metrics.

Sharding. One actor is one event loop on one core; a large farm runs several, each serving the agents of one
shard: `get_scheduler(shard="")` is the one shared scheduler `hawk-scheduler` (every agent, as before);
`get_scheduler(shard=KEY)` is `hawk-scheduler-KEY`. The shard key of an agent or a campaign is its agent
group when it names one (agent: `hawk agent serve --label group=NAME`; campaign: `[agents].shard = "NAME"`),
else its hardware profile (`shard_key`). A Registry served by a sharded actor is an entry point for the whole
farm: it keeps the agents of its own key and forwards every other registration (and its heartbeats, by a lease
id prefixed `KEY/`) to the shard of that key, creating it if it does not run yet.
"""

from __future__ import annotations

import logging
import os
import re
import resource
from typing import Any

import ray

from controller.agent_rpc import AgentConnections, Credentials
from controller.metrics import SchedulerMetrics, serve
from controller.registry_service import start_registry_server
from controller.scheduler import JobRequest, Scheduler
from hawk.v1 import agent_pb2, result_pb2, task_pb2

NAME = "hawk-scheduler"
NAMESPACE = "hawk"
GROUP_LABEL = "group"  # the registration label naming an agent's group (its shard)
_SHARD_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
log = logging.getLogger(__name__)


def shard_key(hardware: str, group: str = "") -> str:
    """The shard serving an agent or a campaign: its group when it names one, else its hardware profile."""
    return group or hardware


def campaign_shard(setting: str, hardware: str) -> str:
    """The shard a campaign talks to from its `[agents].shard`: "" the one shared scheduler, "hardware" the
    shard of its hardware profile, anything else the agent group of that name."""
    return shard_key(hardware) if setting == "hardware" else setting


def actor_name(shard: str = "") -> str:
    if shard and not _SHARD_RE.match(shard):
        raise ValueError(f"scheduler shard {shard!r}: use letters, digits, '.', '_' or '-' (at most 63)")
    return f"{NAME}-{shard}" if shard else NAME


class SchedulerService:
    def __init__(self, credentials: Credentials | None = None, scheduler_options: dict | None = None,
                 shard: str = "", detached: bool = True) -> None:
        self._credentials = credentials or Credentials()
        self._options = scheduler_options or {}
        self._shard = shard
        self._detached = detached
        self._scheduler: Scheduler | None = None
        self._registry_port = 0
        self._metrics_port = 0

    async def _ensure(self) -> Scheduler:
        if self._scheduler is None:
            self.connections = AgentConnections(self._credentials)
            self.metrics = SchedulerMetrics()
            self._scheduler = Scheduler(self.connections.evaluate, self.connections.get_info, metrics=self.metrics,
                                        **self._options)
        return self._scheduler

    async def start_registry(self, address: str) -> int:
        """Serve hawk.v1.Registry on address (idempotent); returns the port."""
        scheduler = await self._ensure()
        if not self._registry_port:
            router = ShardRouter(self) if self._shard else None
            self._registry_server, self._registry_port = await start_registry_server(
                scheduler, address, self._credentials, router=router)
        return self._registry_port

    async def serve_metrics(self, port: int = 0, host: str = "127.0.0.1") -> int:
        await self._ensure()
        if not self._metrics_port:
            self._metrics_port = serve(self.metrics.registry, port, host)
        return self._metrics_port

    async def add_agents(self, addresses: list[str]) -> list[str]:
        """Add static agents; returns one error string per address that could not be reached ('' if fine)."""
        scheduler = await self._ensure()
        errors = []
        for address in addresses:
            try:
                await scheduler.add_static_agent(address)
                errors.append("")
            except Exception as e:  # reported to the caller, who decides whether the farm is usable
                errors.append(str(e))
        return errors

    # ------------------------------------------------------------------------- the batch API
    async def register_tasks(self, tasks: list[task_pb2.TaskSpec]) -> list[str]:
        return (await self._ensure()).register_tasks(tasks)

    async def submit(self, jobs: list[JobRequest]) -> None:
        (await self._ensure()).submit(jobs)

    async def results(self, campaign: str, timeout_s: float, max_n: int = 0) -> list[result_pb2.Result]:
        return await (await self._ensure()).results(campaign, timeout_s, max_n)

    # ------------------------------------------------------------------- one job at a time
    async def evaluate(self, evaluation_id: str, campaign: str, task: task_pb2.TaskSpec, source: str,
                       hardware: str, team: str = "default", priority: int = 0,
                       options: agent_pb2.EvaluateOptions | None = None, agents: list[str] | None = None,
                       backend: str = "", avoid: list[str] | None = None) -> result_pb2.Result:
        scheduler = await self._ensure()
        return await scheduler.evaluate(evaluation_id=evaluation_id, campaign=campaign, task=task, source=source,
                                        hardware=hardware, team=team, priority=priority, options=options,
                                        agents=agents, backend=backend, avoid=avoid)

    async def wait_capacity(self, campaign: str, timeout_s: float | None = None) -> bool:
        return await (await self._ensure()).wait_capacity(campaign, timeout_s)

    async def cancel(self, evaluation_id: str) -> bool:
        return (await self._ensure()).cancel(evaluation_id)

    async def cpu_seconds(self) -> float:
        """CPU time of the actor's process (user + system), for the controller's cost per candidate."""
        t = os.times()
        return t.user + t.system

    async def process_info(self) -> dict[str, Any]:
        """This actor's process, for benchmarks: its pid, CPU seconds so far and resident memory."""
        t = os.times()
        return {"pid": os.getpid(), "cpu_s": t.user + t.system, "rss_bytes": _rss_bytes()}

    async def snapshot(self) -> dict[str, Any]:
        snap = (await self._ensure()).snapshot()
        snap["shard"] = self._shard
        return snap

    # ------------------------------------------------- registrations forwarded by another shard
    async def register_agent(self, address: str, info: agent_pb2.AgentInfo,
                             labels: dict[str, str] | None = None) -> tuple[str, float, float]:
        """Register an agent another shard's Registry received; returns (lease, heartbeat_s, expiry_s)."""
        s = await self._ensure()
        return s.register(address, info, labels), s.heartbeat_interval_s, s.expiry_s

    async def heartbeat_agent(self, lease_id: str, draining: bool = False) -> bool:
        return (await self._ensure()).heartbeat(lease_id, draining)

    async def deregister_agent(self, lease_id: str, reason: str = "") -> bool:
        return (await self._ensure()).deregister(lease_id, reason)


class ShardRouter:
    """Where a sharded actor's Registry sends an agent: its own scheduler, or the shard of the agent's key."""

    def __init__(self, service: SchedulerService) -> None:
        self.service = service
        self.own = service._shard
        self._handles: dict[str, Any] = {}

    def shard_of(self, info: agent_pb2.AgentInfo, labels: dict[str, str]) -> str:
        return shard_key(info.hardware_profile, labels.get(GROUP_LABEL, ""))

    def _actor(self, shard: str) -> Any:
        handle = self._handles.get(shard)
        if handle is None:
            handle = self._handles[shard] = get_scheduler(credentials=self.service._credentials,
                                                          detached=self.service._detached,
                                                          scheduler_options=self.service._options, shard=shard)
        return handle

    async def register(self, shard: str, address: str, info: agent_pb2.AgentInfo,
                       labels: dict[str, str]) -> tuple[str, float, float]:
        lease, beat, expiry = await self._actor(shard).register_agent.remote(address, info, labels)
        return f"{shard}/{lease}", beat, expiry

    async def heartbeat(self, lease_id: str, draining: bool) -> bool:
        shard, _, lease = lease_id.partition("/")
        return await self._actor(shard).heartbeat_agent.remote(lease, draining)

    async def deregister(self, lease_id: str, reason: str) -> bool:
        shard, _, lease = lease_id.partition("/")
        return await self._actor(shard).deregister_agent.remote(lease, reason)


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the peak is what there is
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def get_scheduler(*, credentials: Credentials | None = None, detached: bool = True,
                  scheduler_options: dict | None = None, shard: str = "") -> Any:
    """The cluster's scheduler actor of `shard` ("" = the one shared scheduler), created on first use
    (requires ray.init() first)."""
    actor_cls = ray.remote(num_cpus=0, max_concurrency=10_000)(SchedulerService)
    opts: dict[str, Any] = {"name": actor_name(shard), "namespace": NAMESPACE, "get_if_exists": True}
    if detached:
        opts["lifetime"] = "detached"
    return actor_cls.options(**opts).remote(credentials=credentials, scheduler_options=scheduler_options,
                                            shard=shard, detached=detached)
