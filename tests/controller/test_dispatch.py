"""BatchEvaluator on a real Scheduler and real null-backend agents: one submit per event-loop turn, one results
poller per campaign, TaskSpecs sent once, shared capacity waits."""

from __future__ import annotations

import asyncio
from pathlib import Path

from controller.agent_rpc import AgentConnections
from controller.dispatch import BatchEvaluator
from controller.scheduler import JobRequest, Scheduler
from hawk.v1 import result_pb2
from npu_agent.server import Agent, AgentConfig
from npu_agent.taskspec import load_task_file
from tests.support.null_task import write_null_task


class CountingScheduler(Scheduler):
    """The real scheduler, recording the batch calls it gets."""

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.submits: list[int] = []
        self.registered: list[int] = []
        self.result_calls = 0

    def register_tasks(self, tasks):  # type: ignore[no-untyped-def]
        self.registered.append(len(tasks))
        return super().register_tasks(tasks)

    def submit(self, jobs: list[JobRequest]) -> None:
        self.submits.append(len(jobs))
        super().submit(jobs)

    async def results(self, campaign: str, timeout_s: float, max_n: int = 0):  # type: ignore[no-untyped-def]
        self.result_calls += 1
        return await super().results(campaign, timeout_s, max_n)


def _kernel(i: int) -> str:
    return f"// hawk-null: run_s=0.01 variant={i}\n"


def test_submits_of_one_turn_are_one_call_and_every_result_reaches_its_waiter(tmp_path: Path) -> None:
    task = load_task_file(write_null_task(tmp_path))[0]
    n = 40

    async def main() -> tuple[CountingScheduler, list[result_pb2.Result], BatchEvaluator]:
        conns = AgentConnections()
        sched = CountingScheduler(conns.evaluate, conns.get_info)
        with Agent(AgentConfig(backend="null", devices=8)) as agent:
            await sched.add_static_agent(agent.address)
            ev = BatchEvaluator(sched, poll_s=0.5)
            assert await ev.wait_capacity("c1", 5.0)
            results = await asyncio.gather(*(ev.evaluate(
                evaluation_id=f"e{i}", campaign="c1", task=task.spec, source=_kernel(i), hardware="ascend910b2",
                team="t", priority=0, options=None) for i in range(n)))
            # A second turn with the same task: one more submit, no second registration.
            more = await asyncio.gather(*(ev.evaluate(
                evaluation_id=f"f{i}", campaign="c1", task=task.spec, source=_kernel(100 + i),
                hardware="ascend910b2", team="t", priority=0, options=None) for i in range(5)))
            assert set(ev._pollers) == {"c1"}                  # one results poller for the campaign
            await ev.close()
        await conns.close()
        return sched, results + more, ev

    sched, results, ev = asyncio.run(main())
    assert sched.submits == [n, 5], sched.submits           # one call per turn, each with every job of it
    assert sched.registered == [1]                          # the TaskSpec went once
    assert [r.evaluation_id for r in results] == [f"e{i}" for i in range(n)] + [f"f{i}" for i in range(5)]
    assert all(r.status == result_pb2.OK for r in results)
    assert sched.result_calls >= 1
    assert ev.calls["submit"] == 2


def test_concurrent_capacity_waits_share_one_call_and_campaigns_get_their_own_results(tmp_path: Path) -> None:
    task = load_task_file(write_null_task(tmp_path))[0]

    async def main() -> tuple[BatchEvaluator, dict[str, list[result_pb2.Result]]]:
        conns = AgentConnections()
        sched = Scheduler(conns.evaluate, conns.get_info)
        with Agent(AgentConfig(backend="null", devices=4)) as agent:
            await sched.add_static_agent(agent.address)
            ev = BatchEvaluator(sched, poll_s=0.5)
            waits = await asyncio.gather(*(ev.wait_capacity("a", 5.0) for _ in range(10)))
            assert all(waits)

            async def campaign(name: str) -> list[result_pb2.Result]:
                return list(await asyncio.gather(*(ev.evaluate(
                    evaluation_id=f"{name}{i}", campaign=name, task=task.spec, source=_kernel(i),
                    hardware="ascend910b2", team=name, priority=0, options=None) for i in range(6))))

            out = dict(zip("ab", await asyncio.gather(campaign("a"), campaign("b")), strict=True))
            await ev.close()
        await conns.close()
        return ev, out

    ev, out = asyncio.run(main())
    assert ev.calls["wait_capacity"] == 1
    for name, results in out.items():
        assert [r.evaluation_id for r in results] == [f"{name}{i}" for i in range(6)]
