"""One NPU agent process: the gRPC server (NpuAgent + grpc.health.v1 + reflection), metrics, registration, drain.

The server is grpc's thread-pool server, not grpc.aio: every backend call blocks (a sandboxed compiler or
kernel process, a wait on a device), so each admitted evaluation simply owns one handler thread for its
lifetime and the pool is sized to the admission limit plus spare threads for GetInfo, Cancel and health
checks. Nothing is gained from an event loop when the work itself is blocking subprocesses, and cancellation
stays a plain threading.Event that the sandbox polls.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from hawk.v1 import agent_pb2, agent_pb2_grpc
from npu_agent import __version__, secrets
from npu_agent.auth import TlsFiles, TokenInterceptor, random_secret
from npu_agent.backends.base import Backend
from npu_agent.cache import ResultCache
from npu_agent.client import SERVICE_NAME, TlsConfig
from npu_agent.devices import DevicePool
from npu_agent.hardware import DEFAULT_PROFILE, load_profile
from npu_agent.metrics import AgentMetrics
from npu_agent.pipeline import Pipeline, StageTimeouts
from npu_agent.references import ReferenceRunner, ReferenceSettings
from npu_agent.registration import Registration
from npu_agent.sandbox import Sandbox, SandboxError
from npu_agent.service import NpuAgentServicer, TaskStore
from npu_agent.taskspec import TaskLimits
from npu_agent.wire_guard import MalformedRequestInterceptor

log = logging.getLogger("npu_agent")
BACKENDS = ("simnpu", "null", "cann")
_SPARE_THREADS = 16  # handler threads beyond the admission limit, for GetInfo/Cancel/health/rejections
MAX_BATCH = 4096  # bound of --max-batch: one request's items are validated on one handler thread


@dataclass
class AgentConfig:
    port: int = 0
    host: str | None = None          # None: 0.0.0.0 when secured, else 127.0.0.1
    devices: int = 1
    backend: str = "simnpu"
    hardware: str = DEFAULT_PROFILE
    metrics_port: int | None = None  # None: no metrics endpoint; 0: any free port
    metrics_host: str = "127.0.0.1"  # loopback unless the operator names an address (--metrics-host)
    allow_expired_cert: bool = False  # serve an expired / not-yet-valid certificate (with a warning)
    token: str | None = None
    tls: TlsFiles | None = None
    register: str | None = None      # Registry HOST:PORT
    advertise: str | None = None     # address given to the registry (default: hostname:port)
    labels: dict[str, str] = field(default_factory=dict)
    work_dir: Path | None = None
    compile_workers: int = 0         # 0: the host's CPU count
    max_concurrent: int = 64
    max_batch: int = 256             # items per EvaluateBatch (AgentInfo.max_batch_evaluations)
    max_source_bytes: int = 256 << 10
    max_message_bytes: int = 64 << 20
    cache_entries: int = 4096
    compile_cache_entry_mb: int | None = None  # None: $HAWK_COMPILE_CACHE_ENTRY_MB, else 64 (simnpu/build_cache.py)
    compile_cache_mb: int | None = None        # None: $HAWK_COMPILE_CACHE_MB, else 2048
    timeouts: StageTimeouts = field(default_factory=StageTimeouts)
    drain_timeout_s: float = 60.0
    null_compile_s: float = 0.0      # null backend waits
    null_run_s: float = 0.0
    single_tenant: bool = False      # run even when a sandbox guarantee is missing (one tenant only)
    sandbox_uid_base: int | None = None  # first uid of the per-sandbox range (default 200000)
    task_limits: dict[str, int] = field(default_factory=dict)  # TaskLimits fields to override (non-zero wins)
    references: ReferenceSettings = field(default_factory=ReferenceSettings)


def make_backend(cfg: AgentConfig, work_dir: Path, metrics: AgentMetrics) -> Backend:
    hardware = load_profile(cfg.hardware)
    if cfg.backend == "null":
        from npu_agent.backends.null import NullBackend

        return NullBackend(hardware, compile_s=cfg.null_compile_s, run_s=cfg.null_run_s)
    if cfg.backend == "simnpu":
        try:
            from npu_agent.backends.simnpu import SimNpuBackend
        except ImportError as e:
            raise RuntimeError(f"the simnpu backend is not available in this build: {e}") from e
        sandbox = Sandbox(work_dir / "sandbox", observer=metrics.observe_sandbox, uid_base=cfg.sandbox_uid_base)
        mb = 1 << 20
        return SimNpuBackend(hardware, work_root=work_dir / "simnpu", sandbox=sandbox,
                             cache_max_entry_bytes=cfg.compile_cache_entry_mb * mb if cfg.compile_cache_entry_mb
                             else None,
                             cache_max_bytes=cfg.compile_cache_mb * mb if cfg.compile_cache_mb else None)
    if cfg.backend == "cann":  # a real Ascend host (docs/agent.md): refuses at once, in one line, without CANN
        from npu_agent.backends.cann import CannBackend, find_cann

        install = find_cann()  # CannNotFound (a RuntimeError) names what is missing
        sandbox = Sandbox(work_dir / "sandbox", observer=metrics.observe_sandbox, uid_base=cfg.sandbox_uid_base)
        return CannBackend(hardware, work_root=work_dir / "cann", sandbox=sandbox, install=install,
                           devices=cfg.devices)
    raise ValueError(f"unknown backend {cfg.backend!r}; expected one of {', '.join(BACKENDS)}")


def isolation_report(backend: Backend, single_tenant: bool) -> dict[str, bool]:
    """The sandbox guarantees of a backend that runs candidate code, logged at start-up. A missing one refuses
    multi-tenant use (RuntimeError, one line naming it) unless the operator opted in to single-tenant use."""
    if backend.sandbox is None:
        return {}
    caps = backend.sandbox.capabilities
    log.info("%s", caps.summary())
    missing = caps.missing()
    if missing and not single_tenant:
        raise RuntimeError(f"sandbox isolation incomplete on this host (missing: {', '.join(missing)}); refusing "
                           "multi-tenant use: run as root on a host with namespaces, seccomp and cgroups, or pass "
                           "--single-tenant")
    if missing:
        log.warning("single-tenant mode: candidates of different owners are NOT isolated from each other "
                    "(missing: %s)", ", ".join(missing))
    return caps.report()


def _check_bindable(host: str, port: int) -> None:
    """Raise OSError naming the address when `host:port` cannot be bound (taken, or not an address of ours)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC does: TIME_WAIT is no obstacle
        try:
            s.bind((host, port))
        except OSError as e:
            raise OSError(e.errno, f"cannot bind {host}:{port}: {e.strerror}") from None


def _check_config(cfg: AgentConfig) -> None:
    """The same ranges as the CLI's flags (docs/cli.md), for agents built in code."""
    if cfg.max_concurrent < 1:
        raise ValueError(f"max_concurrent must be at least 1, got {cfg.max_concurrent}")
    if not 1 <= cfg.max_batch <= MAX_BATCH:
        raise ValueError(f"max_batch must be between 1 and {MAX_BATCH}, got {cfg.max_batch}")
    if cfg.cache_entries < 0 or cfg.compile_workers < 0:
        raise ValueError("cache_entries and compile_workers must not be negative")
    t = cfg.timeouts
    for name, value in (("compile", t.compile_s), ("verify", t.verify_s), ("profile", t.profile_s)):
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"the {name} timeout must be a finite number of seconds above 0, got {value}")
    if not math.isfinite(cfg.drain_timeout_s) or cfg.drain_timeout_s < 0:
        raise ValueError(f"drain_timeout_s must be a finite number of seconds, at least 0, got {cfg.drain_timeout_s}")


class Agent:
    """Build with a config, `start()`, then `drain()` or `stop()`; `wait()` blocks until the server ends."""

    def __init__(self, cfg: AgentConfig, backend: Backend | None = None) -> None:
        self.cfg = cfg
        secured = cfg.token is not None or cfg.tls is not None
        host = cfg.host or ("0.0.0.0" if secured else "127.0.0.1")
        if not secured and host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("no --token-file and no TLS: ignoring --host %s and binding to 127.0.0.1 only", host)
            host = "127.0.0.1"
        self.host = host
        if cfg.devices < 1:
            raise ValueError(f"devices must be at least 1, got {cfg.devices}")
        _check_config(cfg)
        if cfg.tls is not None:  # before anything is bound: gRPC would only say "Failed to bind to address"
            for warning in cfg.tls.validate(allow_expired=cfg.allow_expired_cert):
                log.warning("%s", warning)
        secrets.register(cfg.token)  # scrubbed from every Result, also when given in code rather than a file
        secrets.register_environment()  # API keys and tokens the agent's own environment holds
        self._own_work_dir = cfg.work_dir is None  # a temporary one is removed on stop
        self.work_dir = Path(cfg.work_dir or tempfile.mkdtemp(prefix="hawk-agent-"))
        self.work_dir.mkdir(parents=True, exist_ok=True)
        if self._own_work_dir:
            self.work_dir.chmod(0o711)  # the sandbox uid must traverse it (it cannot list it)
        self.metrics = AgentMetrics()
        try:
            self.backend = backend or make_backend(cfg, self.work_dir, self.metrics)
            self.isolation = isolation_report(self.backend, cfg.single_tenant)
        except BaseException:
            if self._own_work_dir:  # nothing else will ever clean the temporary work dir up
                shutil.rmtree(self.work_dir, ignore_errors=True)
            raise
        self.devices = DevicePool(cfg.devices, on_change=self._devices_changed)
        self.metrics.devices.set(cfg.devices)
        self.cache = ResultCache(cfg.cache_entries)
        hardware = self.backend.hardware
        self.task_limits = TaskLimits.for_hardware(hardware.get("memory", "hbm_bytes"), **cfg.task_limits)
        self.references = self._reference_runner()
        self.tasks = TaskStore(limits=self.task_limits, references=self.references)
        self.compile_workers = cfg.compile_workers or os.cpu_count() or 1
        self.port = 0
        self.agent_id = ""
        self.pipeline = Pipeline(backend=self.backend, devices=self.devices, compile_workers=self.compile_workers,
                                 metrics=self.metrics, cache=self.cache, timeouts=cfg.timeouts,
                                 agent_id="", fixed_tensors=self.tasks.tensors, secret=random_secret(),
                                 references=self.references)
        self.servicer = NpuAgentServicer(pipeline=self.pipeline, tasks=self.tasks, info=self.info,
                                         max_concurrent=cfg.max_concurrent, max_source_bytes=cfg.max_source_bytes,
                                         max_batch=cfg.max_batch)
        self.health = health.HealthServicer()
        self.metrics_port: int | None = None
        self.registration: Registration | None = None
        self._server: grpc.Server | None = None
        self._stopped = threading.Event()
        self._drain_lock = threading.Lock()
        self._draining = False

    def _reference_runner(self) -> ReferenceRunner | None:
        """Task references run in a sandbox of their own kind; a backend that verifies nothing needs none."""
        if not getattr(self.backend, "produces_outputs", True):
            return None
        sandbox = self.backend.sandbox
        if sandbox is None:  # a backend without a sandbox of its own (tests, future backends)
            try:
                sandbox = Sandbox(self.work_dir / "sandbox", observer=self.metrics.observe_sandbox,
                                  uid_base=self.cfg.sandbox_uid_base)
            except (SandboxError, OSError, subprocess.SubprocessError) as e:
                raise RuntimeError(f"cannot set up the sandbox for task references: {e}") from e
        return ReferenceRunner(sandbox, self.cfg.references)

    def _devices_changed(self, busy: int, waiting: int) -> None:
        self.metrics.busy_devices.set(busy)
        self.metrics.queue_depth.labels(queue="device").set(waiting)

    # -------------------------------------------------------------------------------------- identity
    def info(self) -> agent_pb2.AgentInfo:
        c = self.cfg
        return agent_pb2.AgentInfo(
            agent_id=self.agent_id, backend=self.backend.name, backend_version=self.backend.version,
            hardware_profile=self.backend.hardware.name, device_count=self.devices.count,
            compile_workers=self.compile_workers, max_concurrent_evaluations=c.max_concurrent,
            max_source_bytes=c.max_source_bytes, max_message_bytes=c.max_message_bytes,
            agent_version=__version__, protocol_version="hawk.v1", busy_devices=self.devices.busy,
            queued=self.devices.waiting + self.pipeline.compile_queued, draining=self.servicer.draining,
            hardware=self.backend.hardware.summary(), heartbeat_interval_s=self.pipeline.timeouts.heartbeat_s,
            isolation=self.isolation, single_tenant=self.cfg.single_tenant, max_batch_evaluations=c.max_batch)

    @property
    def address(self) -> str:
        """Where clients on this host reach the agent."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "[::]") else self.host
        return f"{host}:{self.port}"

    # ------------------------------------------------------------------------------------- lifecycle
    def start(self) -> Agent:
        c = self.cfg
        interceptors = []
        if c.token is not None:
            interceptors.append(TokenInterceptor(c.token, on_reject=lambda: self.metrics.rejected.labels(
                code="unauthenticated").inc()))
        interceptors.append(MalformedRequestInterceptor())  # garbage bytes: INVALID_ARGUMENT, not INTERNAL
        opts = [("grpc.max_receive_message_length", c.max_message_bytes),
                ("grpc.max_send_message_length", c.max_message_bytes),
                ("grpc.so_reuseport", 0)]
        self._server = grpc.server(ThreadPoolExecutor(max_workers=c.max_concurrent + _SPARE_THREADS,
                                                      thread_name_prefix="hawk-rpc"),
                                   interceptors=interceptors, options=opts)
        agent_pb2_grpc.add_NpuAgentServicer_to_server(self.servicer, self._server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        reflection.enable_server_reflection(
            (agent_pb2.DESCRIPTOR.services_by_name["NpuAgent"].full_name,
             health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME), self._server)
        bind = f"[{self.host}]:{c.port}" if ":" in self.host else f"{self.host}:{c.port}"
        if c.port:
            _check_bindable(self.host, c.port)  # gRPC would only log "Failed to bind" from C++ and return 0
        if c.tls is not None:
            self.port = self._server.add_secure_port(bind, c.tls.server_credentials())
        else:
            self.port = self._server.add_insecure_port(bind)
        if not self.port:
            raise RuntimeError(f"cannot bind {bind}")
        self.agent_id = f"{socket.gethostname()}:{self.port}"
        self.pipeline.agent_id = self.agent_id
        self.metrics.build.info({"version": __version__, "backend": self.backend.name,
                                 "backend_version": self.backend.version,
                                 "hardware_profile": self.backend.hardware.name})
        self._server.start()
        for name in ("", SERVICE_NAME):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        if c.metrics_port is not None:
            self.metrics_port = self.metrics.serve(c.metrics_port, c.metrics_host)
        security = ("mutual TLS" if c.tls and c.tls.ca else "TLS" if c.tls else "plaintext") + (
            " + token" if c.token else "")
        log.info("hawk agent serving on %s:%d (%s; backend %s %s, hardware %s, %d devices, %d compile workers%s)",
                 self.host, self.port, security, self.backend.name, self.backend.version,
                 self.backend.hardware.name, self.devices.count, self.compile_workers,
                 f", metrics on :{self.metrics_port} bound to {c.metrics_host}" if self.metrics_port else "")
        if c.token is None and c.tls is None:
            log.warning("no token and no TLS: listening on 127.0.0.1 only (use --token-file and/or --tls-cert/"
                        "--tls-key to serve other hosts)")
        if c.register:
            advertise = c.advertise or f"{socket.getfqdn() if self.host != '127.0.0.1' else '127.0.0.1'}:{self.port}"
            tls = TlsConfig(ca=c.tls.ca, cert=c.tls.cert, key=c.tls.key) if c.tls and c.tls.ca else None
            self.registration = Registration(c.register, advertise, self.info, labels=c.labels, token=c.token,
                                             tls=tls)
            self.registration.start()
        return self

    def drain(self, timeout_s: float | None = None) -> None:
        """Graceful drain: stop accepting, let running evaluations finish until the deadline, then cancel
        the rest; health NOT_SERVING; deregister; stop the server. Safe to call more than once."""
        with self._drain_lock:
            if self._draining:
                return
            self._draining = True
        timeout_s = self.cfg.drain_timeout_s if timeout_s is None else timeout_s
        n = self.servicer.inflight
        log.info("draining: %d evaluations in flight, deadline %.3g s", n, timeout_s)
        self.servicer.draining = True
        self.metrics.draining.set(1)
        for name in ("", SERVICE_NAME):
            self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        if not self.servicer.wait_idle(timeout_s):
            cancelled = self.servicer.cancel_all()
            log.warning("drain deadline passed: cancelled %d evaluations", cancelled)
            self.servicer.wait_idle(10.0)
        if self.registration is not None:
            self.registration.stop("drain")
        self.stop(grace_s=2.0)

    def stop(self, grace_s: float = 0.0) -> None:
        """Stop at once: cancel everything in flight and shut the server down."""
        if self._stopped.is_set():
            return
        self.servicer.draining = True
        self.servicer.cancel_all()
        if self.registration is not None and not self.registration._stop.is_set():
            self.registration.stop("stop")  # also when never registered: its retry thread must end
        if self._server is not None:
            self._server.stop(grace_s).wait()
        self.servicer.wait_idle(5.0)
        self.servicer.close()
        self.pipeline.close()
        self.backend.close()
        self.metrics.close()
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        self._stopped.set()
        log.info("hawk agent on port %d stopped", self.port)

    def wait(self, timeout_s: float | None = None) -> bool:
        return self._stopped.wait(timeout_s)

    def __enter__(self) -> Agent:
        return self.start() if self._server is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_for(predicate, timeout_s: float, poll_s: float = 0.02) -> bool:
    """Poll `predicate` until true or `timeout_s` passed (for callers and tests waiting on agent state)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(poll_s)
    return bool(predicate())
