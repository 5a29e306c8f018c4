"""Fixtures for agent tests: real agents on 127.0.0.1 (port 0), real clients, small tasks."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from npu_agent.client import AgentClient
from npu_agent.pipeline import StageTimeouts
from npu_agent.server import Agent, AgentConfig
from tests.agent.helpers import add_task

AgentFactory = Callable[..., Agent]


@pytest.fixture
def start_agent() -> Iterator[AgentFactory]:
    """start_agent(**AgentConfig fields) -> a started Agent (null backend unless told otherwise); all stopped
    at teardown."""
    agents: list[Agent] = []

    def factory(**kw) -> Agent:
        kw.setdefault("backend", "null")
        kw.setdefault("compile_workers", 2)
        if isinstance(kw.get("timeouts"), dict):
            kw["timeouts"] = StageTimeouts(**kw["timeouts"])
        agent = Agent(AgentConfig(**kw)).start()
        agents.append(agent)
        return agent

    yield factory
    for a in agents:
        a.stop()


@pytest.fixture
def agent(start_agent: AgentFactory) -> Agent:
    return start_agent(devices=2)


@pytest.fixture
def client(agent: Agent) -> Iterator[AgentClient]:
    with AgentClient(agent.address) as c:
        yield c


@pytest.fixture
def task_hash(client: AgentClient) -> str:
    return client.put_task(add_task())[0]
