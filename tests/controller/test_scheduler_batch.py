"""The scheduler's batch API and batched dispatch against real agents (null backend) on 127.0.0.1: results
exactly once across campaigns, fairness and priority per job, failover of a batch whose agent is killed, busy
refusals, cancel, and two scheduler shards on one Ray cluster."""

from __future__ import annotations

import asyncio
import time

import pytest

from controller.agent_rpc import AgentConnections, Credentials
from controller.metrics import SchedulerMetrics
from controller.scheduler import JobRequest, Scheduler
from hawk.v1 import result_pb2
from npu_agent.server import Agent, AgentConfig, wait_for
from tests.controller.test_scheduler import _src, _task, agents

HW = "ascend910b2"


class DispatchLog(SchedulerMetrics):
    """The real metrics object, also remembering the order jobs were dispatched in (campaign per job)."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[str] = []

    def dispatched(self, campaign: str, waited_s: float) -> None:
        super().dispatched(campaign, waited_s)
        self.order.append(campaign)


def _jobs(th: str, campaign: str, n: int, run_s: float = 0.0, **kw) -> list[JobRequest]:
    return [JobRequest(evaluation_id=f"{campaign}-{i}", campaign=campaign, task_hash=th,
                       source=_src(f"{campaign}-{i}", run_s), hardware=HW, **kw) for i in range(n)]


async def _collect(s, campaign: str, n: int, timeout_s: float = 30.0) -> list[result_pb2.Result]:
    """Poll a campaign's results until n arrived (and a little longer, to see that nothing more comes)."""
    got: list[result_pb2.Result] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < n and time.monotonic() < deadline:
        got += await s.results(campaign, 1.0, max_n=7)
    got += await s.results(campaign, 0.2)
    return got


def test_submitted_results_come_back_exactly_once_per_campaign() -> None:
    async def main(addresses: list[str]) -> None:
        conns = AgentConnections()
        s = Scheduler(conns.evaluate, conns.get_info)
        assert s._evaluate_batch == conns.evaluate_batch  # AgentConnections.evaluate: dispatched in batches
        for a in addresses:
            await s.add_static_agent(a)
        [th] = s.register_tasks([_task()])
        assert s.register_tasks([_task(), _task()]) == [th, th]  # by content: registering again is harmless
        with pytest.raises(ValueError, match="not registered"):
            s.submit(_jobs("0" * 64, "nope", 1))
        assert await s.results("nope", 0.05) == []
        campaigns = [f"c{k}" for k in range(6)]
        for c in campaigns:  # in chunks, interleaved, as drivers submit
            s.submit(_jobs(th, c, 20, 0.01)[:8])
        for c in campaigns:
            s.submit(_jobs(th, c, 20, 0.01)[8:])
        got = await asyncio.gather(*(_collect(s, c, 20) for c in campaigns))
        snap = s.snapshot()
        await conns.close()
        for c, results in zip(campaigns, got, strict=True):
            ids = [r.evaluation_id for r in results]
            assert sorted(ids) == sorted(f"{c}-{i}" for i in range(20)), (c, ids)
            assert all(r.status == result_pb2.OK and r.attempts == 1 and len(r.agents_tried) == 1 for r in results)
        assert snap["unfetched_results"] == 0 and snap["running"] == 0 and not snap["queued"]
        assert snap["batched_jobs"] == 120 and snap["batches"] < 120  # several jobs per agent call

    with agents(4, 4) as ags:
        asyncio.run(main([a.address for a in ags]))


def test_priority_and_fair_share_hold_per_job_within_batches() -> None:
    async def main(address: str) -> tuple[list[str], list[str]]:
        conns = AgentConnections()
        m = DispatchLog()
        s = Scheduler(conns.evaluate, conns.get_info, metrics=m, prefetch=0)  # dispatch order = device order
        await s.add_static_agent(address)
        [th] = s.register_tasks([_task()])
        s.submit(_jobs(th, "A", 8, 0.2))
        await asyncio.sleep(0.02)  # A's first two are running
        s.submit(_jobs(th, "B", 4, 0.2) + _jobs(th, "U", 2, 0.2, priority=5))
        await asyncio.gather(*(_collect(s, c, n) for c, n in (("A", 8), ("B", 4), ("U", 2))))
        first = list(m.order)
        # Teams: x runs three campaigns, y one; y gets half the slots while both have work.
        m.order.clear()
        s.submit(_jobs(th, "x1", 6, 0.02, team="x") + _jobs(th, "x2", 6, 0.02, team="x")
                 + _jobs(th, "x3", 6, 0.02, team="x") + _jobs(th, "y1", 6, 0.02, team="y"))
        await asyncio.gather(*(_collect(s, c, 6) for c in ("x1", "x2", "x3", "y1")))
        await conns.close()
        return first, list(m.order)

    with agents(2) as ags:
        first, teams = asyncio.run(main(ags[0].address))
    assert first[:2] == ["A", "A"] and first[2:4] == ["U", "U"], first
    assert first[4:10].count("B") == 3, first  # A and B alternate once both wait
    assert teams[:8].count("y1") == 4, teams
    assert {"x1", "x2", "x3"} <= set(teams[:8]), teams


def test_a_batch_fails_over_when_its_agent_is_killed(tmp_path) -> None:
    from tests.security.procs import AgentProcess

    async def main(good: str, doomed: AgentProcess) -> tuple[list[result_pb2.Result], Scheduler]:
        conns = AgentConnections(Credentials(token=doomed.token))
        s = Scheduler(conns.evaluate, conns.get_info, quarantine_after=1, quarantine_s=60, prefetch=0)
        await s.add_static_agent(good)
        await s.add_static_agent(doomed.address)
        [th] = s.register_tasks([_task()])
        s.submit(_jobs(th, "c", 8, 0.5))
        await asyncio.sleep(0.2)  # four jobs in one batch on each agent
        assert s.snapshot()["running"] == 8
        doomed.kill9()
        results = await _collect(s, "c", 8)
        await conns.close()
        return results, s

    with AgentProcess("null", devices=4) as doomed, agents(4, token=doomed.token) as ags:
        results, s = asyncio.run(main(ags[0].address, doomed))
    ids = [r.evaluation_id for r in results]
    assert sorted(ids) == sorted(f"c-{i}" for i in range(8)), ids  # none lost, none twice
    assert all(r.status == result_pb2.OK for r in results), [r.message for r in results]  # never the candidate's
    moved = [r for r in results if r.agents_tried[0] == doomed.address]
    assert len(moved) == 4 and all(r.attempts == 2 and r.agents_tried[1] == ags[0].address for r in moved)
    assert s.agents[doomed.address].quarantined_until > time.monotonic()


def test_busy_items_are_retried_without_counting_an_attempt() -> None:
    async def main(address: str) -> tuple[list[result_pb2.Result], Scheduler]:
        conns = AgentConnections()
        s = Scheduler(conns.evaluate, conns.get_info, busy_retry_s=0.05)
        await s.add_static_agent(address)
        # The agent admits 2 evaluations but advertises 4 devices: half of each batch of 4 is refused busy.
        [th] = s.register_tasks([_task()])
        s.submit(_jobs(th, "c", 10, 0.1))
        results = await _collect(s, "c", 10)
        await conns.close()
        return results, s

    with agents(4, max_concurrent=2) as ags:
        results, s = asyncio.run(main(ags[0].address))
    assert sorted(r.evaluation_id for r in results) == sorted(f"c-{i}" for i in range(10))
    assert all(r.status == result_pb2.OK and r.attempts == 1 for r in results), [r.message for r in results]
    st = s.agents[ags[0].address]
    assert st.failed == 0 and st.quarantined_until == 0.0


def test_cancel_queued_and_running_jobs() -> None:
    async def main(address: str) -> tuple[list[result_pb2.Result], Scheduler, list[bool]]:
        conns = AgentConnections()
        s = Scheduler(conns.evaluate, conns.get_info, quarantine_after=1)
        await s.add_static_agent(address)
        [th] = s.register_tasks([_task()])
        s.submit(_jobs(th, "c", 6, 0.3))
        await asyncio.sleep(0.1)  # c-0 and c-1 running, the rest queued
        done = [s.cancel("c-0"), s.cancel("c-4"), s.cancel("no-such-job")]
        results = await _collect(s, "c", 4)
        await asyncio.sleep(0.2)
        free = s.free_slots()
        await conns.close()
        assert free == s.agents[address].capacity  # every device and prefetch place free again
        return results, s, done

    with agents(2) as ags:
        results, s, done = asyncio.run(main(ags[0].address))
    assert done == [True, True, False]
    assert sorted(r.evaluation_id for r in results) == ["c-1", "c-2", "c-3", "c-5"]
    assert all(r.status == result_pb2.OK for r in results)
    assert s.agents[ags[0].address].failed == 0  # a cancelled evaluation is nobody's failure


def test_evaluate_and_submit_share_one_scheduler() -> None:
    async def main(address: str) -> tuple[result_pb2.Result, list[result_pb2.Result]]:
        conns = AgentConnections()
        s = Scheduler(conns.evaluate, conns.get_info)
        await s.add_static_agent(address)
        [th] = s.register_tasks([_task()])
        s.submit(_jobs(th, "c", 3, 0.05))
        one = await s.evaluate(evaluation_id="solo", campaign="c", task=_task(), source=_src("solo"), hardware=HW)
        rest = await _collect(s, "c", 3)
        await conns.close()
        return one, rest

    with agents(1) as ags:
        one, rest = asyncio.run(main(ags[0].address))
    assert one.status == result_pb2.OK and one.evaluation_id == "solo"
    assert sorted(r.evaluation_id for r in rest) == ["c-0", "c-1", "c-2"]  # the awaited one is not queued too


def test_two_shards_on_one_ray_cluster_serve_their_own_hardware() -> None:
    ray = pytest.importorskip("ray")
    from controller.scheduler_actor import get_scheduler

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False, namespace="hawk")
    started: list[Agent] = []
    try:
        a = get_scheduler(shard=HW, detached=False)
        port = ray.get(a.start_registry.remote("127.0.0.1:0"))
        for hw, group in ((HW, ""), ("ascend310p", ""), (HW, "night")):
            labels = {"group": group} if group else {}
            started.append(Agent(AgentConfig(backend="null", devices=2, hardware=hw, labels=labels,
                                             register=f"127.0.0.1:{port}")).start())
        b = get_scheduler(shard="ascend310p", detached=False)  # the one the registry created for its agent
        night = get_scheduler(shard="night", detached=False)

        def agents_of(actor) -> list[str]:
            return [x["address"] for x in ray.get(actor.snapshot.remote())["agents"]]

        assert wait_for(lambda: len(agents_of(a)) == 1 and len(agents_of(b)) == 1 and len(agents_of(night)) == 1,
                        30.0)
        assert agents_of(a) == [started[0].address] and agents_of(b) == [started[1].address]
        assert agents_of(night) == [started[2].address]
        th = ray.get(b.register_tasks.remote([_task()]))[0]
        ray.get(b.submit.remote([JobRequest(evaluation_id=f"b{i}", campaign="cb", task_hash=th, source=_src(f"b{i}"),
                                            hardware="ascend310p") for i in range(5)]))
        got: list[result_pb2.Result] = []
        deadline = time.monotonic() + 30
        while len(got) < 5 and time.monotonic() < deadline:
            got += ray.get(b.results.remote("cb", 1.0))
        assert sorted(r.evaluation_id for r in got) == [f"b{i}" for i in range(5)]
        assert {r.agent_id for r in got} == {started[1].agent_id}
        info = ray.get(b.process_info.remote())
        assert info["pid"] > 0 and info["cpu_s"] > 0 and info["rss_bytes"] > 0
        assert ray.get(a.snapshot.remote())["shard"] == HW
        started[1].stop()  # its deregistration is forwarded to its shard
        assert wait_for(lambda: not agents_of(b), 15.0)
    finally:
        for ag in started:
            ag.stop()
        ray.shutdown()


def test_a_campaign_names_its_shard_in_its_spec() -> None:
    from controller.scheduler_actor import actor_name, campaign_shard
    from controller.spec import SpecError, parse_spec

    base = 'name = "s"\ntasks = ["add_f32"]\nhardware = "ascend310p"\n[agents]\nlocal = 1\n'
    assert parse_spec(base).agents.shard == ""
    assert campaign_shard(parse_spec(base + 'shard = "hardware"\n').agents.shard, "ascend310p") == "ascend310p"
    assert campaign_shard(parse_spec(base + 'shard = "night"\n').agents.shard, "ascend310p") == "night"
    assert actor_name("") == "hawk-scheduler" and actor_name("night") == "hawk-scheduler-night"
    with pytest.raises(SpecError, match=r"\[agents\].shard"):
        parse_spec(base + 'shard = "no spaces/here"\n')
    with pytest.raises(ValueError, match="shard"):
        actor_name("a/b")


# ----------------------------------------------------------------------------------------------- prefetch
def _agent_count(agent: Agent, status: str) -> float:
    """Evaluations the agent finished with this status (its own counter, whatever stage they ended in)."""
    return sum(s.value for m in agent.pipeline.metrics.evaluations.collect() for s in m.samples
               if s.name.endswith("_total") and s.labels.get("status") == status)


def test_prefetch_holds_at_most_its_bound_per_agent() -> None:
    async def main(addresses: list[str]) -> tuple[Scheduler, list[dict], list[result_pb2.Result]]:
        conns = AgentConnections()
        s = Scheduler(conns.evaluate, conns.get_info, prefetch=3)
        for a in addresses:
            await s.add_static_agent(a)
        assert s.free_slots() == 2 * 4 + 1 + 3  # 4 devices each; prefetch 3, capped at 5 - 4 on the first
        [th] = s.register_tasks([_task()])
        s.submit(_jobs(th, "c", 30, 0.1))
        snaps = []
        got: list[result_pb2.Result] = []
        while len(got) < 30:
            snaps.append(s.snapshot())
            got += await s.results("c", 0.05)
        await conns.close()
        return s, snaps, got

    with agents(4, max_concurrent=5) as capped, agents(4) as free:
        s, snaps, got = asyncio.run(main([capped[0].address, free[0].address]))
    capped_addr = capped[0].address
    assert (s.agents[capped_addr].prefetch, s.agents[free[0].address].prefetch) == (1, 3)
    assert sorted(r.evaluation_id for r in got) == sorted(f"c-{i}" for i in range(30))
    # Never a busy refusal (it would not count an attempt, but the capped agent's limit must not be overrun).
    assert all(r.status == result_pb2.OK and r.attempts == 1 for r in got), [r.message for r in got]
    bound = {a["address"]: a["prefetch"] for a in snaps[0]["agents"]}
    assert any(a["prefetched"] for snap in snaps for a in snap["agents"])  # the prefetch queues were used
    for snap in snaps:
        for a in snap["agents"]:
            assert a["busy"] <= a["devices"] and a["prefetched"] <= bound[a["address"]], snap
    assert _agent_count(capped[0], "ok") + _agent_count(free[0], "ok") == 30


def test_prefetched_jobs_of_a_killed_agent_run_elsewhere(tmp_path) -> None:
    from tests.security.procs import AgentProcess

    async def main(good: str, doomed: AgentProcess) -> tuple[list[result_pb2.Result], Scheduler, dict]:
        conns = AgentConnections(Credentials(token=doomed.token))
        s = Scheduler(conns.evaluate, conns.get_info, quarantine_after=1, quarantine_s=60, prefetch=2)
        await s.add_static_agent(good)
        await s.add_static_agent(doomed.address)
        [th] = s.register_tasks([_task()])
        s.submit(_jobs(th, "c", 8, 0.5))
        await asyncio.sleep(0.2)  # two running and two prefetched on each agent
        snap = s.snapshot()
        doomed.kill9()
        results = await _collect(s, "c", 8)
        await conns.close()
        return results, s, snap

    with AgentProcess("null", devices=2) as doomed, agents(2, token=doomed.token) as ags:
        results, s, snap = asyncio.run(main(ags[0].address, doomed))
    assert snap["running"] == 8 and all((a["busy"], a["prefetched"]) == (2, 2) for a in snap["agents"]), snap
    ids = [r.evaluation_id for r in results]
    assert sorted(ids) == sorted(f"c-{i}" for i in range(8)), ids  # none lost, none twice
    assert all(r.status == result_pb2.OK for r in results), [r.message for r in results]  # never the candidate's
    moved = [r for r in results if r.agents_tried[0] == doomed.address]
    # The doomed agent's running and prefetched jobs alike: each counted a try there and ran on the good one.
    assert len(moved) == 4 and all(r.attempts == 2 and list(r.agents_tried) == [doomed.address, ags[0].address]
                                   for r in moved)
    assert _agent_count(ags[0], "ok") == 8
    assert s.agents[doomed.address].quarantined_until > time.monotonic()


def test_priority_is_strict_across_what_is_not_yet_dispatched() -> None:
    async def main(address: str) -> list[str]:
        conns = AgentConnections()
        m = DispatchLog()
        s = Scheduler(conns.evaluate, conns.get_info, metrics=m, prefetch=1)
        await s.add_static_agent(address)
        [th] = s.register_tasks([_task()])
        s.submit(_jobs(th, "A", 6, 0.2))
        await asyncio.sleep(0.05)  # A-0 running, A-1 prefetched at the agent, the rest queued here
        s.submit(_jobs(th, "U", 2, 0.2, priority=5))
        await asyncio.gather(*(_collect(s, c, n) for c, n in (("A", 6), ("U", 2))))
        await conns.close()
        return list(m.order)

    with agents(1) as ags:
        order = asyncio.run(main(ags[0].address))
    # What was already at the agent stays there (at most the prefetch depth); nothing queued here passes U.
    assert order == ["A", "A", "U", "U", "A", "A", "A", "A"], order


def test_cancel_of_a_prefetched_job() -> None:
    async def main(address: str) -> tuple[list[result_pb2.Result], Scheduler, bool, int]:
        conns = AgentConnections()
        s = Scheduler(conns.evaluate, conns.get_info, quarantine_after=1, prefetch=1)
        await s.add_static_agent(address)
        [th] = s.register_tasks([_task()])
        s.submit(_jobs(th, "c", 3, 0.4))
        await asyncio.sleep(0.1)  # c-0 running, c-1 waiting at the agent for its device, c-2 queued here
        prefetched = s.snapshot()["agents"][0]["prefetched"]
        done = s.cancel("c-1")
        results = await _collect(s, "c", 2)
        while s.free_slots() < s.agents[address].capacity:  # the agent's CANCELLED answer frees the place
            await asyncio.sleep(0.05)
        await conns.close()
        return results, s, done, prefetched

    with agents(1) as ags:
        results, s, done, prefetched = asyncio.run(main(ags[0].address))
        cancelled, ok = _agent_count(ags[0], "cancelled"), _agent_count(ags[0], "ok")
    assert prefetched == 1 and done
    assert sorted(r.evaluation_id for r in results) == ["c-0", "c-2"]
    assert all(r.status == result_pb2.OK and r.attempts == 1 for r in results)
    assert (cancelled, ok) == (1, 2)  # c-1 never ran on the device
    assert s.agents[ags[0].address].failed == 0  # a cancelled evaluation is nobody's failure


def test_default_prefetch_turns_off_for_long_evaluations() -> None:
    """Prefetch pays only while the dispatch round trip is a real share of an evaluation: once the evaluations'
    mean duration passes the threshold, agents hold no job beyond their devices (priority is not delayed by a
    whole evaluation per device)."""
    async def main(address: str) -> tuple[int, int, list[result_pb2.Result]]:
        conns = AgentConnections()
        s = Scheduler(conns.evaluate, conns.get_info, prefetch_below_s=0.05)  # evaluations below take ~0.1 s
        await s.add_static_agent(address)
        before = s.agents[address].prefetch
        [th] = s.register_tasks([_task()])
        s.submit(_jobs(th, "long", 16, 0.1))
        got = await _collect(s, "long", 16)
        await conns.close()
        return before, s.agents[address].prefetch, got

    with agents(2) as ags:
        before, after, got = asyncio.run(main(ags[0].address))
    assert before == 2 and after == 0, (before, after)
    assert sorted(r.evaluation_id for r in got) == sorted(f"long-{i}" for i in range(16))
    assert all(r.status == result_pb2.OK for r in got)
