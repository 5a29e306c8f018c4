"""Bringing a farm up for a campaign: Ray, the scheduler actor, agents (remote, registered or local).

`run_campaign` is what `hawk campaign run|resume` and `hawk demo` call. Local agents are real
`hawk agent serve` processes that register with the scheduler's Registry service, exactly like remote ones.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from controller.spec import CampaignSpec
from controller.store import ResultsStore

log = logging.getLogger(__name__)


def hawk_home() -> Path:
    """$HAWK_HOME, else ~/.hawk (an empty HAWK_HOME counts as unset: never the current directory)."""
    return Path(os.environ.get("HAWK_HOME") or Path.home() / ".hawk")


def default_store_path() -> Path:
    return hawk_home() / "results.sqlite"


class LocalAgents:
    """`hawk agent serve` subprocesses on 127.0.0.1 that register at `registry`; drained on close."""

    def __init__(self, count: int, devices: int, registry: str, hardware: str, work_dir: Path,
                 backend: str = "simnpu", token_file: str = "", group: str = "") -> None:
        self.procs: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        self.addresses: list[str] = []  # where they serve (and register): the campaign's own agents
        work_dir.mkdir(parents=True, exist_ok=True)
        # Agents running as root sandbox candidates as an unprivileged uid, which must traverse to its dirs.
        work_dir.chmod(work_dir.stat().st_mode | 0o711)
        for i in range(count):
            log_path = work_dir / f"agent-{i}.log"
            port = _free_port()
            while f"127.0.0.1:{port}" in self.addresses:  # the kernel may hand a just-closed port out again
                port = _free_port()
            self.addresses.append(f"127.0.0.1:{port}")
            cmd = [sys.executable, "-m", "controller.cli", "agent", "serve", "--port", str(port), "--devices",
                   str(devices), "--backend", backend, "--hardware", hardware, "--register", registry,
                   "--host", "127.0.0.1", "--advertise", self.addresses[-1],
                   "--work-dir", str(work_dir / f"agent-{i}")]
            if token_file:
                cmd += ["--token-file", token_file]
            if group:  # a sharded campaign's agent group: its scheduler shard's Registry keeps them
                cmd += ["--label", f"group={group}"]
            if os.geteuid() != 0:  # one developer's local agents: no per-sandbox uids or cgroups without root
                cmd.append("--single-tenant")
            with open(log_path, "wb") as out:
                self.procs.append(subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT))
            self.logs.append(log_path)

    def check(self) -> None:
        for p, path in zip(self.procs, self.logs, strict=True):
            if p.poll() is not None:
                tail = path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"local agent exited with status {p.returncode}; its log ({path}):\n{tail}")

    def close(self, timeout_s: float = 30.0) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        end = time.monotonic() + timeout_s
        for p in self.procs:
            try:
                p.wait(max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _free_port() -> int:
    """A loopback port free now, so a local agent's address is known before it registers (its campaign is
    restricted to its own agents on a shared scheduler)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def campaign_agents(spec: CampaignSpec, local: LocalAgents | None) -> list[str] | None:
    """The agents a campaign may use: its listed addresses and its own local agents. None (any agent of its
    hardware and backend) only when it takes agents that register with a registry it names."""
    if spec.agents.registry:
        return None
    return list(spec.agents.addresses) + (local.addresses if local is not None else [])


def init_ray(address: str | None) -> bool:
    """Join the cluster at `address` (`auto`: the one `ray start` runs on this host, or RAY_ADDRESS), or the one
    RAY_ADDRESS names, or else start a private local Ray. Returns True when joining a running cluster, whose
    resources are its own: num_cpus is passed only to a Ray we start (Ray refuses it otherwise)."""
    import ray

    address = address or os.environ.get("RAY_ADDRESS") or None
    if ray.is_initialized():
        return bool(address)
    if address:
        ray.init(address=address, namespace="hawk", log_to_driver=False)
        return True
    # "local", not None: None would join any cluster recorded in /tmp/ray, then refuse num_cpus.
    ray.init(address="local", namespace="hawk", include_dashboard=False, log_to_driver=False,
             num_cpus=max(2, os.cpu_count() or 2))
    return False


async def _wait_for_slots(actor: Any, agents: LocalAgents | None, hardware: str, timeout_s: float,
                          backend: str = "", allowed: list[str] | None = None) -> dict[str, Any]:
    """Wait for an agent the campaign may use (hardware profile, backend, agent list); its jobs run nowhere else."""
    end = time.monotonic() + timeout_s
    while True:
        snap = await actor.snapshot.remote()
        if any(a["devices"] and a["hardware"] == hardware and (not backend or a.get("backend") == backend)
               and (allowed is None or a["address"] in allowed) for a in snap["agents"]):
            return snap
        if agents is not None:
            agents.check()
        if time.monotonic() > end:
            seen = sorted({a["hardware"] for a in snap["agents"]})
            which = f"hardware profile {hardware}" + (f" and backend {backend}" if backend else "") + (
                f" among {', '.join(allowed)}" if allowed is not None else "")
            raise RuntimeError(f"no agent with {which} joined the farm within {timeout_s:g} s"
                               + (f" (agents serve: {', '.join(seen)})" if seen else ""))
        await asyncio.sleep(0.2)


async def run_campaign(spec: CampaignSpec, store: ResultsStore, *, ray_address: str | None = None,
                       campaign_id: str | None = None, on_update: Callable | None = None,
                       work_dir: Path | None = None, metrics_port: int | None = None,
                       scheduler_metrics_port: int | None = None, metrics_host: str = "127.0.0.1") -> str:
    """Run or resume a campaign to the end of its budget; returns its id. Metrics bind `metrics_host`
    (loopback unless the operator names another address)."""
    from controller.agent_rpc import Credentials
    from controller.campaign import CampaignRunner
    from controller.dispatch import BatchEvaluator
    from controller.llm import LLMClient
    from controller.metrics import CampaignMetrics, CountedKnowledge, serve
    from controller.proposers import LLMProposer, OfflineProposer
    from controller.scheduler_actor import campaign_shard, get_scheduler
    from controller.search import require_offline_search
    from controller.spec import SpecError
    from tasks.catalogue import resolve

    tasks = resolve(spec.tasks, base_dir=spec.base_dir)
    require_offline_search(tasks, spec.proposers)  # before Ray and agents start (controller/search.py)
    a = spec.agents
    ray_address = ray_address or os.environ.get("RAY_ADDRESS") or None  # joined like --ray-address (init_ray)

    def path(p: str) -> str:
        return str(spec.base_dir / p) if p and not Path(p).is_absolute() else p

    try:  # before Ray starts: a missing file is the spec's problem, named as such
        credentials = Credentials.from_files(path(a.token_file), path(a.tls_ca), path(a.tls_cert), path(a.tls_key))
    except ValueError as e:
        raise SpecError(f"[agents]: {e}") from None
    init_ray(ray_address)
    actor = get_scheduler(credentials=credentials, detached=bool(ray_address),
                          shard=campaign_shard(spec.agents.shard, spec.hardware))
    registry = spec.agents.registry or ("127.0.0.1:0" if spec.agents.local else "")
    local: LocalAgents | None = None
    work = work_dir or Path(tempfile.mkdtemp(prefix="hawk-farm-"))
    succeeded = False
    try:
        if registry:
            port = await actor.start_registry.remote(registry)
            registry = f"{registry.rpartition(':')[0]}:{port}"
        if spec.agents.addresses:
            errors = await actor.add_agents.remote(list(spec.agents.addresses))
            for addr, err in zip(spec.agents.addresses, errors, strict=True):
                if err:
                    log.warning("agent %s is not reachable: %s", addr, err)
        if spec.agents.local:
            local = LocalAgents(spec.agents.local, spec.agents.local_devices, registry, spec.hardware, work,
                                backend=spec.agents.local_backend, token_file=path(spec.agents.token_file),
                                group="" if spec.agents.shard in ("", "hardware") else spec.agents.shard)
        allowed = campaign_agents(spec, local)
        await _wait_for_slots(actor, local, spec.hardware, timeout_s=120.0, backend=spec.backend, allowed=allowed)
        metrics = CampaignMetrics()
        metrics.campaign_running(spec.name, True, proposers=list(spec.proposers))
        if scheduler_metrics_port is not None:
            port = await actor.serve_metrics.remote(scheduler_metrics_port, metrics_host)
            log.info("scheduler metrics on %s:%d", metrics_host, port)
        if metrics_port is not None:
            log.info("campaign metrics on %s:%d", metrics_host, serve(metrics.registry, metrics_port, metrics_host))
        proposers: dict[str, Any] = {"offline": OfflineProposer()}
        if spec.llm.configured:
            proposers["llm"] = LLMProposer(LLMClient(spec.llm, metrics=metrics), spec.hardware)
        knowledge = None
        if spec.knowledge.enabled:
            from controller.knowledge_client import CampaignKnowledge
            from knowledge.actor import KnowledgeClient, get_or_create
            from knowledge.llm import LLMConfig

            llm = (LLMConfig(base_url=spec.llm.base_url, model=spec.llm.model, api_key_env=spec.llm.api_key_env)
                   if spec.llm.configured else None)
            handle = get_or_create(spec.knowledge.db or None, llm=llm)
            knowledge = CampaignKnowledge(KnowledgeClient(handle), spec.hardware, metrics=metrics)
        runner = CampaignRunner(spec, store, BatchEvaluator(actor), tasks, proposers, knowledge=knowledge,
                                knowledge_sink=knowledge, metrics=metrics, on_update=on_update, agents=allowed,
                                backend=spec.backend)
        if knowledge is not None:  # every failing knowledge store call is counted (hawk_knowledge_errors_total)
            knowledge.kb = CountedKnowledge(knowledge.kb, metrics)
        cid = campaign_id or runner.create()
        try:
            await runner.run(cid)
        finally:
            metrics.campaign_running(spec.name, False)
        succeeded = True
        return cid
    finally:
        if local is not None:
            local.close()
        if work_dir is None and succeeded:  # ours, and no agent log is needed to explain a failure
            shutil.rmtree(work, ignore_errors=True)
