"""Registration with a real Registry server, and graceful drain of a real `hawk agent serve` process."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import grpc
import pytest

from hawk.v1 import result_pb2
from npu_agent.client import AgentClient, AgentError
from npu_agent.server import wait_for
from tests.agent.helpers import Background, add_task
from tests.agent.registry_peer import RecordingRegistry, RegistryServer

S = result_pb2


@pytest.fixture
def registry() -> Iterator[RegistryServer]:
    server = RegistryServer()
    yield server
    server.stop()


def test_agent_registers_heartbeats_and_reregisters(start_agent, registry: RegistryServer) -> None:
    agent = start_agent(devices=3, register=registry.address, labels={"team": "kernels"})
    reg = registry.servicer
    assert reg.wait_for("Register")
    first = reg.requests("Register")[0]
    assert first.address == f"127.0.0.1:{agent.port}" and dict(first.labels) == {"team": "kernels"}
    assert first.info.device_count == 3 and first.info.backend == "null" and first.info.agent_id == agent.agent_id
    assert reg.wait_for("Heartbeat", 3)
    assert all(h.lease_id in reg.leases for h in reg.requests("Heartbeat"))
    # The registry forgets the lease (controller restart): the next heartbeat says unknown, the agent
    # registers again.
    reg.forget_all()
    assert reg.wait_for("Register", 2)
    assert len(reg.leases) == 1
    agent.drain(timeout_s=5)
    assert reg.wait_for("Deregister")
    assert not reg.leases and reg.requests("Deregister")[0].reason == "drain"
    assert reg.requests("Heartbeat")[-1].draining


def test_agent_registers_once_the_registry_comes_up(start_agent) -> None:
    probe = RegistryServer()
    port = probe.port
    probe.stop()  # nothing listens there yet
    agent = start_agent(register=f"127.0.0.1:{port}")
    time.sleep(0.3)
    late = RegistryServer(RecordingRegistry(), port=port)
    try:
        assert late.servicer.wait_for("Register", timeout_s=30)
        assert agent.registration is not None
        assert wait_for(agent.registration.registered.is_set, 10)
    finally:
        agent.stop()
        late.stop()


# ------------------------------------------------------------------------------------- real process
class AgentProcess:
    """`hawk agent serve` in a child process; the port comes from its log line."""

    def __init__(self, *args: str) -> None:
        exe = shutil.which("hawk") or os.path.join(os.path.dirname(sys.executable), "hawk")
        self.proc = subprocess.Popen([exe, "agent", "serve", "--port", "0", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.port: int | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        assert self._ready.wait(60), "agent did not start:\n" + "".join(self.lines)
        assert self.port, "".join(self.lines)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            m = re.search(r"serving on [\d.]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                self._ready.set()
        self._ready.set()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        return "".join(self.lines)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_sigterm_drains_finishes_running_work_and_deregisters(registry: RegistryServer) -> None:
    agent = AgentProcess("--backend", "null", "--devices", "1", "--register", registry.address,
                         "--drain-timeout", "60")
    try:
        assert registry.servicer.wait_for("Register")
        with AgentClient(agent.address) as c:
            h = c.put_task(add_task(verify_sets=1))[0]
            running = Background(c, h, "// hawk-null: run_s=0.1 profile_s=1.5\n", evaluation_id="in-flight")
            running.wait_stage(S.VERIFYING)
            agent.proc.send_signal(signal.SIGTERM)
            assert wait_for(lambda: c.health() == "NOT_SERVING", 10)
            assert c.health("") == "NOT_SERVING" and c.get_info().draining
            with pytest.raises(AgentError) as e:
                c.evaluate(h, "// too late\n")
            assert e.value.code == grpc.StatusCode.UNAVAILABLE and "draining" in e.value.details
            result = running.join()
        assert result.status == S.OK  # finished, not cut off
        assert agent.proc.wait(30) == 0
        assert registry.servicer.count("Deregister") == 1
        assert "draining" in agent.log() and "in-flight" in agent.log()  # the per-evaluation log line
    finally:
        agent.kill()


def test_drain_deadline_cancels_what_still_runs() -> None:
    agent = AgentProcess("--backend", "null", "--devices", "1", "--drain-timeout", "0.3")
    try:
        with AgentClient(agent.address) as c:
            h = c.put_task(add_task(verify_sets=1))[0]
            running = Background(c, h, "// hawk-null: run_s=60\n", evaluation_id="long")
            running.wait_stage(S.VERIFYING)
            agent.proc.send_signal(signal.SIGTERM)
            result = running.join()
        assert result.status == S.CANCELLED
        assert agent.proc.wait(30) == 0
        assert "cancelled 1 evaluations" in agent.log()
    finally:
        agent.kill()


def test_cli_flags_reach_the_agent(tmp_path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("cli-token\n")
    token_file.chmod(0o600)
    agent = AgentProcess("--backend", "null", "--devices", "4", "--token-file", str(token_file),
                         "--host", "127.0.0.1", "--metrics-port", "0", "--max-concurrent", "5",
                         "--max-source-bytes", "4096")
    try:
        with AgentClient(agent.address) as c, pytest.raises(AgentError) as e:
            c.get_info()
        assert e.value.code == grpc.StatusCode.UNAUTHENTICATED
        with AgentClient(agent.address, token="cli-token") as c:
            info = c.get_info()
        assert (info.device_count, info.max_concurrent_evaluations, info.max_source_bytes) == (4, 5, 4096)
        metrics_port = int(re.search(r"metrics on :(\d+)", agent.log()).group(1))
        from tests.agent.test_metrics import scrape, value
        assert value(scrape(metrics_port), "hawk_agent_devices") == 4
        agent.proc.send_signal(signal.SIGTERM)
        assert agent.proc.wait(30) == 0
    finally:
        agent.kill()
