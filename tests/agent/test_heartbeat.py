"""Heartbeats on the Evaluate stream: a frozen agent is told apart from a long stage within seconds."""

from __future__ import annotations

import time

from hawk.v1 import agent_pb2, result_pb2
from npu_agent.client import AgentClient
from tests.agent.helpers import add_task


def test_the_stream_carries_a_message_at_least_every_heartbeat_interval(start_agent) -> None:
    agent = start_agent(devices=1, timeouts={"heartbeat_s": 0.2})
    with AgentClient(agent.address) as c:
        assert abs(c.get_info().heartbeat_interval_s - 0.2) < 1e-9
        h = c.put_task(add_task(verify_sets=2))[0]
        arrivals: list[tuple[float, agent_pb2.Progress]] = []
        result = c.evaluate(h, "// hawk-null: compile_s=1.2 run_s=1.2 profile_s=1.2\n",
                            on_progress=lambda p: arrivals.append((time.monotonic(), p)))
    assert result.status == result_pb2.OK
    beats = [p for _, p in arrivals if p.heartbeat]
    assert {p.stage for p in beats} >= {result_pb2.COMPILING, result_pb2.VERIFYING, result_pb2.PROFILING}
    gaps = [b - a for (a, _), (b, _) in zip(arrivals, arrivals[1:], strict=False)]
    assert max(gaps) < 0.9, gaps  # never silent for long, even while a stage blocks in the backend


def test_heartbeats_can_be_switched_off(start_agent) -> None:
    agent = start_agent(devices=1, timeouts={"heartbeat_s": 0})
    with AgentClient(agent.address) as c:
        assert c.get_info().heartbeat_interval_s == 0
        h = c.put_task(add_task(verify_sets=1))[0]
        seen: list[agent_pb2.Progress] = []
        assert c.evaluate(h, "// hawk-null: run_s=0.3\n", on_progress=seen.append).status == result_pb2.OK
    assert not any(p.heartbeat for p in seen)
