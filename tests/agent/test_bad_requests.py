"""Malformed requests on a real agent are the caller's error with a clear code: garbage bytes are
INVALID_ARGUMENT (not INTERNAL, which the controller would blame on the agent), unauthenticated garbage is
UNAUTHENTICATED, and task fields out of range are named."""

from __future__ import annotations

import grpc
import pytest

from hawk.v1 import agent_pb2
from npu_agent.client import AgentClient, AgentError
from tests.agent.helpers import add_task

TOKEN = "wire-guard-token-0123"


def _raw(address: str, method: str, payload: bytes, token: str | None = None, streaming: bool = False):
    with grpc.insecure_channel(address) as ch:
        md = (("authorization", f"Bearer {token}"),) if token else ()
        path = f"/hawk.v1.NpuAgent/{method}"
        if streaming:
            call = ch.unary_stream(path, request_serializer=lambda b: b, response_deserializer=lambda b: b)
            return list(call(payload, metadata=md, timeout=10))
        call = ch.unary_unary(path, request_serializer=lambda b: b, response_deserializer=lambda b: b)
        return call(payload, metadata=md, timeout=10)


@pytest.mark.parametrize("method, payload, streaming", [
    ("PutTask", b"\xff\xff\xff\xff garbage", False),
    ("Evaluate", agent_pb2.EvaluateRequest(evaluation_id="e", source="x" * 100).SerializeToString()[:-20], True),
    ("GetInfo", b"\x0a" + b"\x0a\x80\x01" * 200, False),
    ("Cancel", b"\x0a\xff\xff\xff\xff\x0f", False),
])
def test_garbage_bytes_are_invalid_argument_and_the_agent_keeps_serving(start_agent, method: str, payload: bytes,
                                                                        streaming: bool) -> None:
    agent = start_agent(token=TOKEN)
    with pytest.raises(grpc.RpcError) as e:
        _raw(agent.address, method, payload, token=TOKEN, streaming=streaming)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and f"malformed {method} request" in e.value.details()
    with pytest.raises(grpc.RpcError) as e:
        _raw(agent.address, method, payload, token=None, streaming=streaming)
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with AgentClient(agent.address, token=TOKEN) as c:
        assert c.get_info().device_count == 1


def test_cancel_with_a_malformed_id_is_refused(start_agent) -> None:
    agent = start_agent()
    with AgentClient(agent.address) as c:
        for bad in ("", "c" * 200000, "with space"):
            with pytest.raises(AgentError) as e:
                c.cancel(bad)
            assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT and "evaluation_id" in e.value.details
        assert c.cancel("not-running") is False


@pytest.mark.parametrize("field, value, needle", [
    ("name", "../../etc/passwd", "task.name"),
    ("name", "x" * 500, "task.name"),
    ("verify_sets", 4_000_000_000, "verify_sets 4000000000 is out of range"),
    ("default_block_dim", 4_000_000_000, "default_block_dim 4000000000 is out of range"),
])
def test_task_fields_out_of_range_are_named(start_agent, field: str, value, needle: str) -> None:
    agent = start_agent()
    task = add_task()
    setattr(task, field, value)
    with AgentClient(agent.address) as c, pytest.raises(AgentError) as e:
        c.put_task(task)
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT and needle in e.value.details


def test_a_tensor_without_dims_is_refused(start_agent) -> None:
    agent = start_agent()
    task = add_task()
    del task.inputs[0].shape[:]
    with AgentClient(agent.address) as c, pytest.raises(AgentError) as e:
        c.put_task(task)
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT and "inputs[0].shape is empty" in e.value.details
