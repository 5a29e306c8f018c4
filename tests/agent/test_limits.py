"""Limits and malformed requests: RESOURCE_EXHAUSTED with a clear message, INVALID_ARGUMENT naming the field."""

from __future__ import annotations

import grpc
import pytest

from hawk.v1 import agent_pb2, result_pb2
from npu_agent.client import AgentClient, AgentError
from npu_agent.server import wait_for
from tests.agent.helpers import Background, add_task

S = result_pb2
GOOD_HASH = "ab" * 32


@pytest.mark.parametrize("request_kw, field", [
    ({"evaluation_id": ""}, "evaluation_id"),
    ({"evaluation_id": "has spaces"}, "evaluation_id"),
    ({"evaluation_id": "x" * 129}, "evaluation_id"),
    ({"task_hash": "nothex"}, "task_hash"),
    ({"source": "   \n"}, "source"),
    ({"source": "int x;\0"}, "source"),
    ({"options": agent_pb2.EvaluateOptions(compile_timeout_s=-1)}, "options.compile_timeout_s"),
    ({"options": agent_pb2.EvaluateOptions(verify_timeout_s=float("nan"))}, "options.verify_timeout_s"),
    ({"options": agent_pb2.EvaluateOptions(profile_timeout_s=1e9)}, "options.profile_timeout_s"),
    ({"options": agent_pb2.EvaluateOptions(verify_sets=1000)}, "options.verify_sets"),
    ({"campaign": "c" * 200}, "campaign"),
])
def test_malformed_evaluate_is_invalid_argument_naming_the_field(client: AgentClient, task_hash: str,
                                                                 request_kw: dict, field: str) -> None:
    req = {"evaluation_id": "ok-id", "task_hash": task_hash, "source": "// x\n", **request_kw}
    with pytest.raises(grpc.RpcError) as e:
        list(client._stub.Evaluate(agent_pb2.EvaluateRequest(**req)))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert e.value.details().startswith(field)


def test_unknown_task_is_not_found(client: AgentClient) -> None:
    with pytest.raises(AgentError) as e:
        client.evaluate(GOOD_HASH, "// x\n")
    assert e.value.code == grpc.StatusCode.NOT_FOUND and "PutTask" in e.value.details


def test_source_over_the_limit_is_resource_exhausted(start_agent) -> None:
    agent = start_agent(max_source_bytes=100)
    with AgentClient(agent.address) as c:
        h = c.put_task(add_task())[0]
        assert c.evaluate(h, "/" * 100).status == S.OK
        with pytest.raises(AgentError) as e:
            c.evaluate(h, "/" * 101)
    assert e.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "101 bytes" in e.value.details and "at most 100" in e.value.details


def test_message_over_the_limit_is_resource_exhausted(start_agent) -> None:
    agent = start_agent(max_message_bytes=64 << 10, max_source_bytes=1 << 20)
    with AgentClient(agent.address) as c:
        h = c.put_task(add_task())[0]
        with pytest.raises(AgentError) as e:
            c.evaluate(h, "/" * (100 << 10))
        assert e.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert c.get_info().max_message_bytes == 64 << 10  # and the agent is fine


def test_concurrent_evaluations_beyond_the_limit_are_resource_exhausted(start_agent) -> None:
    agent = start_agent(devices=1, max_concurrent=2)
    with AgentClient(agent.address) as c:
        h = c.put_task(add_task(verify_sets=1))[0]
        running = [Background(c, h, "// hawk-null: run_s=30\n", evaluation_id=f"r{i}") for i in range(2)]
        assert wait_for(lambda: agent.servicer.inflight == 2, 10)
        with pytest.raises(AgentError) as e:
            c.evaluate(h, "// one too many\n")
        assert e.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "limit of 2 concurrent evaluations" in e.value.details
        # A cached candidate costs nothing, so it is answered even at the limit.
        assert all(c.cancel(f"r{i}") for i in range(2))
        assert {r.join().status for r in running} == {S.CANCELLED}
        first = c.evaluate(h, "// cached\n")
        running = [Background(c, h, "// hawk-null: run_s=30\n", evaluation_id=f"s{i}") for i in range(2)]
        assert wait_for(lambda: agent.servicer.inflight == 2, 10)
        again = c.evaluate(h, "// cached\n")
        assert again.cached and again.status == first.status
        assert all(c.cancel(f"s{i}") for i in range(2))
        for r in running:
            r.join()


def test_duplicate_in_flight_id_is_already_exists(start_agent) -> None:
    agent = start_agent(devices=1)
    with AgentClient(agent.address) as c:
        h = c.put_task(add_task(verify_sets=1))[0]
        running = Background(c, h, "// hawk-null: run_s=30\n", evaluation_id="dup")
        running.wait_stage(S.VERIFYING)
        with pytest.raises(AgentError) as e:
            c.evaluate(h, "// other\n", evaluation_id="dup")
        assert e.value.code == grpc.StatusCode.ALREADY_EXISTS and "dup" in e.value.details
        assert c.cancel("dup")
        assert running.join().status == S.CANCELLED
