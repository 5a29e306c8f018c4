"""The scheduler as a named Ray actor shared by every campaign on a cluster.

The actor is asynchronous: evaluations of all campaigns wait on one event loop, and grpc.aio streams
carry them to agents. It also serves the hawk.v1.Registry service and its Prometheus metrics.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import ray

from controller.agent_rpc import AgentConnections, Credentials
from controller.metrics import SchedulerMetrics, serve
from controller.registry_service import start_registry_server
from controller.scheduler import Scheduler
from hawk.v1 import agent_pb2, result_pb2, task_pb2

NAME = "hawk-scheduler"
NAMESPACE = "hawk"
log = logging.getLogger(__name__)


class SchedulerService:
    def __init__(self, credentials: Credentials | None = None, scheduler_options: dict | None = None) -> None:
        self._credentials = credentials or Credentials()
        self._options = scheduler_options or {}
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
            self._registry_server, self._registry_port = await start_registry_server(scheduler, address,
                                                                                     self._credentials)
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

    async def snapshot(self) -> dict[str, Any]:
        return (await self._ensure()).snapshot()


STATE_RESOURCE_ENV = "HAWK_STATE_RESOURCE"


def state_resources() -> dict[str, float]:
    """Pins the controller's stateful actors (scheduler: the Registry's port; knowledge: its database) to the
    Ray node that offers the custom resource named by $HAWK_STATE_RESOURCE (on KubeRay, the head pod with the
    state volume and the Registry Service: deploy/kubernetes, docs/operations.md). Unset: anywhere."""
    name = os.environ.get(STATE_RESOURCE_ENV, "").strip()
    return {name: 0.001} if name else {}


def get_scheduler(*, credentials: Credentials | None = None, detached: bool = True,
                  scheduler_options: dict | None = None) -> Any:
    """The cluster's scheduler actor, created on first use (requires ray.init() first)."""
    actor_cls = ray.remote(num_cpus=0, max_concurrency=10_000)(SchedulerService)
    opts: dict[str, Any] = {"name": NAME, "namespace": NAMESPACE, "get_if_exists": True,
                            "resources": state_resources()}
    if detached:
        opts["lifetime"] = "detached"
    return actor_cls.options(**opts).remote(credentials=credentials, scheduler_options=scheduler_options)
