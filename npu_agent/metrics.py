"""Prometheus metrics of one agent (`hawk_agent_*`, base units, bounded labels).

Each agent owns a private CollectorRegistry, so several agents can live in one process (tests, benchmarks)
and the exposition on --metrics-port shows exactly one agent. Labels take values from small fixed sets
(stage and status names, kill reasons); never evaluation ids, source hashes or campaign names.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, start_http_server

if TYPE_CHECKING:
    from npu_agent.sandbox import SandboxResult

# Why the sandbox killed a process (observe_sandbox); pre-created at 0 so alerts see every series from the start.
KILL_REASONS = ("timeout", "cancelled", "setup_failed", "memory_cgroup", "seccomp", "cpu_limit", "file_size_limit",
                "killed")

# Seconds: from a few milliseconds (null backend, cache) to the ten-minute ceiling of a stage.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300, 600)


class AgentMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.evaluations = Counter("hawk_agent_evaluations", "Finished evaluations by the stage they ended in "
                                   "and their final status", ["stage", "status"], registry=r)
        self.stage_seconds = Histogram("hawk_agent_stage_duration_seconds", "Wall time per pipeline stage "
                                       "(queued = waiting for a compile worker or a device)", ["stage"],
                                       buckets=_BUCKETS, registry=r)
        self.queue_depth = Gauge("hawk_agent_queue_depth", "Evaluations waiting, by what they wait for",
                                 ["queue"], registry=r)
        self.busy_devices = Gauge("hawk_agent_busy_devices", "Device slots running a candidate now", registry=r)
        self.devices = Gauge("hawk_agent_devices", "Device slots of this agent", registry=r)
        self.inflight = Gauge("hawk_agent_inflight_evaluations", "Evaluations admitted and not finished",
                              registry=r)
        self.cache_hits = Counter("hawk_agent_cache_hits", "Evaluations answered from the result cache", registry=r)
        self.cache_entries = Gauge("hawk_agent_cache_entries", "Results held in the result cache", registry=r)
        self.sandbox_kills = Counter("hawk_agent_sandbox_kills", "Sandboxed processes killed, by reason",
                                     ["reason"], registry=r)
        self.rejected = Counter("hawk_agent_rejected_requests", "Requests refused before evaluation, by gRPC code",
                                ["code"], registry=r)
        self.draining = Gauge("hawk_agent_draining", "1 once the agent is draining", registry=r)
        self.build = Info("hawk_agent_build", "Agent version, backend and hardware profile", registry=r)
        for q in ("compile", "device"):
            self.queue_depth.labels(queue=q).set(0)
        for reason in KILL_REASONS:
            self.sandbox_kills.labels(reason=reason)
        self._http = None

    def observe_sandbox(self, result: SandboxResult) -> None:
        """Sandbox observer: count every process the sandbox or the kernel's own limits killed."""
        reason = None
        if result.timed_out:
            reason = "timeout"
        elif result.cancelled:
            reason = "cancelled"
        elif result.setup_failed:
            reason = "setup_failed"
        elif result.oom_killed:
            reason = "memory_cgroup"
        elif result.signal == signal.SIGSYS:
            reason = "seccomp"
        elif result.signal == signal.SIGXCPU:
            reason = "cpu_limit"
        elif result.signal == signal.SIGXFSZ:
            reason = "file_size_limit"
        elif result.signal == signal.SIGKILL:
            reason = "killed"
        if reason is not None:
            self.sandbox_kills.labels(reason=reason).inc()

    def serve(self, port: int, host: str) -> int:
        """Expose the registry over HTTP; returns the bound port (useful with port 0)."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        self._http = server
        return int(server.server_port)

    def close(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
