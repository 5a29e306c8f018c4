"""Auth on a real agent: bearer token on every RPC, TLS and mutual TLS, loopback-only when unsecured."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from hawk.v1 import agent_pb2, result_pb2
from npu_agent.auth import TlsFiles, read_token_file
from npu_agent.client import AgentClient, AgentError, TlsConfig
from tests.agent.helpers import add_task
from tests.agent.pki import TestPki

TOKEN = "s3cret-token-for-tests"


def _every_rpc(client: AgentClient) -> dict[str, grpc.StatusCode | None]:
    """Each RPC of the port (NpuAgent, health, reflection) -> the error code it got, None on success."""
    meta = client._metadata
    ch = client._channel
    calls = {
        "GetInfo": lambda: client._stub.GetInfo(agent_pb2.GetInfoRequest(), metadata=meta, timeout=10),
        "PutTask": lambda: client._stub.PutTask(agent_pb2.PutTaskRequest(tasks=[add_task()]), metadata=meta,
                                                timeout=10),
        "Evaluate": lambda: list(client._stub.Evaluate(agent_pb2.EvaluateRequest(
            evaluation_id="e", task_hash="ab" * 32, source="x"), metadata=meta, timeout=10)),
        "Cancel": lambda: client._stub.Cancel(agent_pb2.CancelRequest(evaluation_id="e"), metadata=meta, timeout=10),
        "Health": lambda: health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), metadata=meta,
                                                               timeout=10),
        "Reflection": lambda: list(reflection_pb2_grpc.ServerReflectionStub(ch).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), metadata=meta, timeout=10)),
    }
    out: dict[str, grpc.StatusCode | None] = {}
    for name, call in calls.items():
        try:
            call()
            out[name] = None
        except grpc.RpcError as e:
            out[name] = e.code()
    return out


def test_token_is_required_on_every_rpc(start_agent) -> None:
    agent = start_agent(token=TOKEN)
    for token in (None, "wrong-token"):
        with AgentClient(agent.address, token=token) as c:
            codes = _every_rpc(c)
        assert set(codes.values()) == {grpc.StatusCode.UNAUTHENTICATED}, codes
    with AgentClient(agent.address, token=TOKEN) as c:
        codes = _every_rpc(c)
        assert codes["GetInfo"] is None and codes["Health"] is None and codes["Reflection"] is None
        assert codes["PutTask"] is None and codes["Cancel"] is None
        assert codes["Evaluate"] == grpc.StatusCode.NOT_FOUND  # authenticated, then judged on its merits
        h = c.put_task(add_task())[0]
        assert c.evaluate(h, "// fine\n").status == result_pb2.OK


def test_token_file_is_read_and_stripped(tmp_path: Path) -> None:
    f = tmp_path / "token"
    f.write_text(f"  {TOKEN}\n")
    f.chmod(0o600)
    assert read_token_file(f) == TOKEN
    f.write_text("\n")
    with pytest.raises(ValueError, match="empty"):
        read_token_file(f)


def test_tls_refuses_plaintext_clients(start_agent, tmp_path: Path) -> None:
    pki = TestPki(tmp_path)
    server = pki.issue("agent", server=True)
    agent = start_agent(tls=TlsFiles(server.cert, server.key))
    assert agent.host == "0.0.0.0"  # secured: it may serve other hosts
    with AgentClient(agent.address, timeout_s=3) as plain, pytest.raises(AgentError) as e:
        plain.get_info()
    assert e.value.code == grpc.StatusCode.UNAVAILABLE
    with AgentClient(agent.address, tls=TlsConfig(ca=pki.ca)) as c:
        assert c.health() == "SERVING"
        h = c.put_task(add_task())[0]
        assert c.evaluate(h, "// over tls\n").status == result_pb2.OK
    # A client trusting another CA does not accept the agent's certificate.
    other = TestPki(tmp_path, name="other-ca")
    with AgentClient(agent.address, tls=TlsConfig(ca=other.ca), timeout_s=3) as c, pytest.raises(AgentError):
        c.get_info()


def test_mutual_tls_requires_a_client_certificate_from_the_ca(start_agent, tmp_path: Path) -> None:
    pki = TestPki(tmp_path)
    server = pki.issue("agent", server=True)
    client_pem = pki.issue("controller", server=False)
    agent = start_agent(tls=TlsFiles(server.cert, server.key, pki.ca), token=TOKEN)
    with AgentClient(agent.address, token=TOKEN, tls=TlsConfig(ca=pki.ca), timeout_s=3) as c, \
            pytest.raises(AgentError):
        c.get_info()
    stranger_ca = TestPki(tmp_path, name="stranger-ca")
    stranger = stranger_ca.issue("stranger", server=False)
    with AgentClient(agent.address, token=TOKEN, timeout_s=3,
                     tls=TlsConfig(ca=pki.ca, cert=stranger.cert, key=stranger.key)) as c, \
            pytest.raises(AgentError):
        c.get_info()
    tls = TlsConfig(ca=pki.ca, cert=client_pem.cert, key=client_pem.key)
    with AgentClient(agent.address, token=TOKEN, tls=tls) as c:
        assert c.get_info().backend == "null"
    with AgentClient(agent.address, tls=tls) as c, pytest.raises(AgentError) as e:
        c.get_info()  # mTLS and the token are both required
    assert e.value.code == grpc.StatusCode.UNAUTHENTICATED


def _non_loopback_ip() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # no packet is sent; this only picks the outgoing interface
            ip = s.getsockname()[0]
    except OSError:
        return None
    return None if ip.startswith("127.") else ip


def test_unsecured_agent_listens_on_loopback_only_and_says_so(start_agent, caplog) -> None:
    caplog.set_level(logging.INFO, logger="npu_agent")
    agent = start_agent(host="0.0.0.0")
    assert agent.host == "127.0.0.1"
    text = caplog.text
    assert "ignoring --host 0.0.0.0" in text and "127.0.0.1 only" in text
    with AgentClient(agent.address) as c:
        assert c.health() == "SERVING"
    ip = _non_loopback_ip()
    if ip is not None:  # the port is closed on the host's other addresses
        with socket.socket() as s:
            s.settimeout(3)
            assert s.connect_ex((ip, agent.port)) != 0
