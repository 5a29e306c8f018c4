"""Blame in the right place, end to end: real agents on 127.0.0.1 (in-process, or `hawk agent serve` processes
that a test kills or freezes), the real scheduler, a real SQLite store.

- a candidate's own failure (an asm typo, compiled by the real twin) quarantines no agent;
- an agent killed with SIGKILL mid-evaluation: the candidate is retried on another agent, never on the dead
  one (even while the other is busy), with attempts = 2, and recorded exactly once;
- a SIGSTOPped agent is caught by the stream's inactivity deadline within seconds, and the candidate finishes
  elsewhere;
- a campaign's agent list and backend hold on a shared scheduler.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from controller.agent_rpc import AgentConnections, AgentUnavailable
from controller.campaign import CampaignRunner
from controller.proposers import OfflineProposer
from controller.scheduler import Scheduler
from controller.spec import parse_spec
from controller.store import ResultsStore
from hawk.v1 import result_pb2, task_pb2
from npu_agent.server import Agent, AgentConfig
from npu_agent.taskspec import load_task_file
from tests.support.null_task import write_null_task

S = result_pb2
ROOT = Path(__file__).resolve().parents[2]
HW = "ascend910b2"


def _task() -> task_pb2.TaskSpec:
    return task_pb2.TaskSpec(
        name="noop", kernel_entry="k", reference_entry="reference",
        reference_source="import numpy as np\ndef reference(x):\n    return x\n",
        inputs=[task_pb2.TensorSpec(name="x", shape=[4], dtype=task_pb2.FLOAT32)],
        outputs=[task_pb2.TensorSpec(name="y", shape=[4], dtype=task_pb2.FLOAT32)])


def _src(tag: str, run_s: float = 0.0) -> str:
    return f"// {tag}\n// hawk-null: run_s={run_s}\n"


@contextmanager
def null_agents(*devices: int) -> Iterator[list[Agent]]:
    started = [Agent(AgentConfig(backend="null", devices=d)).start() for d in devices]
    try:
        yield started
    finally:
        for a in started:
            a.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def agent_processes(n: int, *extra: str) -> Iterator[list[tuple[str, subprocess.Popen]]]:
    """`hawk agent serve --backend null` processes a test may SIGKILL or SIGSTOP."""
    procs: list[tuple[str, subprocess.Popen]] = []
    try:
        for _ in range(n):
            port = _free_port()
            p = subprocess.Popen([sys.executable, "-m", "controller.cli", "agent", "serve", "--port", str(port),
                                  "--backend", "null", "--devices", "1", *extra], cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append((f"127.0.0.1:{port}", p))
        yield procs
    finally:
        for _, p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.kill()
            p.wait()


async def _add_when_ready(s: Scheduler, address: str, timeout_s: float = 30.0) -> None:
    end = time.monotonic() + timeout_s
    while True:
        try:
            await s.add_static_agent(address)
            return
        except AgentUnavailable:
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.1)


async def _busy_agent(s: Scheduler, timeout_s: float = 10.0) -> str:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        busy = [a.address for a in s.agents.values() if a.busy]
        if busy:
            return busy[0]
        await asyncio.sleep(0.02)
    raise AssertionError("no agent took the job")


# ------------------------------------------------------------------------------------------ candidate faults
@pytest.fixture(scope="module")
def twin_root() -> Iterator[Path]:
    shared = os.environ.get("HAWK_SIM_WORK_ROOT")
    root = Path(shared) if shared else Path(tempfile.mkdtemp(prefix="hawk-blame-"))
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(root.stat().st_mode | 0o711)
    yield root
    if not shared:
        shutil.rmtree(root, ignore_errors=True)


def test_an_asm_typo_template_quarantines_no_agent(twin_root: Path) -> None:
    """Candidates that do not assemble are COMPILE_ERROR on the first agent, not INTERNAL retried on all."""
    from npu_agent.backends.simnpu import SimNpuBackend
    from npu_agent.hardware import load_profile
    from npu_agent.sandbox import Sandbox
    from tests.agent.test_hostile import fp16_add_task

    example = (ROOT / "examples" / "kernels" / "add_custom.cpp").read_text()
    sources = [example.replace('extern "C"', f"__attribute__((used)) static void hawk_typo() "
                                             f'{{ asm volatile("movx{i} %eax, %ebx"); }}\nextern "C"', 1)
               for i in range(4)]
    backend = SimNpuBackend(load_profile(HW), work_root=twin_root, sandbox=Sandbox(twin_root / "sandbox"))
    started = [Agent(AgentConfig(backend="simnpu", devices=1, compile_workers=1), backend=backend).start()
               for _ in range(3)]

    async def main() -> tuple[list[result_pb2.Result], Scheduler]:
        conns = AgentConnections()
        s = Scheduler(conns.evaluate, conns.get_info, quarantine_after=1, quarantine_s=60)
        for a in started:
            await s.add_static_agent(a.address)
        results = await asyncio.gather(*[
            s.evaluate(evaluation_id=f"typo{i}", campaign="c", task=fp16_add_task(), source=src, hardware=HW)
            for i, src in enumerate(sources)])
        await conns.close()
        return results, s

    try:
        results, s = asyncio.run(main())
    finally:
        for a in started:
            a.stop()
    assert [r.status for r in results] == [S.COMPILE_ERROR] * len(sources), [r.message for r in results]
    assert all("no such instruction" in r.message and r.attempts == 1 for r in results)
    assert all(a.failed == 0 and a.quarantined_until == 0 for a in s.agents.values())


# ---------------------------------------------------------------------------------------------- lost agents
def test_an_agent_killed_mid_evaluation_is_not_retried_and_the_candidate_is_recorded_once(tmp_path: Path) -> None:
    """Two agents, both busy; the one running the baseline dies. The baseline waits for the other agent
    (the dead one is never retried), finishes there with attempts = 2, and is recorded exactly once."""
    task_file = write_null_task(tmp_path, baseline_run_s=0.5)
    spec = parse_spec('name = "k"\ntasks = ["nullsearch"]\n[budget]\nrounds = 1\ncandidates_per_round = 2\n'
                      '[agents]\naddresses = ["127.0.0.1:1"]\nlocal_backend = "null"\n')
    store = ResultsStore(tmp_path / "results.sqlite")

    async def main(procs: list[tuple[str, subprocess.Popen]]) -> tuple[str, str, str]:
        conns = AgentConnections()
        s = Scheduler(conns.evaluate, conns.get_info, quarantine_after=5, max_retries=2)
        for address, _ in procs:
            await _add_when_ready(s, address)
        other = asyncio.create_task(s.evaluate(evaluation_id="other", campaign="x", task=_task(),
                                               source=_src("other", 0.5), hardware=HW))
        busy = await _busy_agent(s)  # "other" holds one agent for ~2 s
        runner = CampaignRunner(spec, store, s, load_task_file(task_file), {"offline": OfflineProposer()})
        cid = runner.create()
        run = asyncio.create_task(runner.run(cid))
        end = time.monotonic() + 10
        while not any(a.busy for a in s.agents.values() if a.address != busy) and time.monotonic() < end:
            await asyncio.sleep(0.02)
        victim = next(a.address for a in s.agents.values() if a.address != busy)
        await asyncio.sleep(0.3)
        dict(procs)[victim].kill()  # SIGKILL with the baseline in flight
        await run
        assert (await other).status == S.OK
        await conns.close()
        return cid, victim, busy

    with agent_processes(2) as procs:
        cid, victim, survivor = asyncio.run(main(procs))
    cands = store.candidates(cid)
    evals = store.evaluations(cid)
    assert sorted(e.candidate_id for e in evals) == sorted(c.id for c in cands)  # once each, none lost
    assert store.pending_candidates(cid) == []
    [base] = [c for c in cands if c.proposer == "baseline"]
    ev = store.evaluation(base.id)
    assert ev.status == "OK", ev.message
    assert ev.attempts == 2 and list(ev.result.agents_tried) == [victim, survivor]


def test_a_frozen_agent_is_detected_in_seconds_and_the_candidate_finishes_elsewhere() -> None:
    async def main(procs: list[tuple[str, subprocess.Popen]]) -> tuple[result_pb2.Result, float, str]:
        conns = AgentConnections()
        s = Scheduler(conns.evaluate, conns.get_info, quarantine_after=5)
        for address, _ in procs:
            await _add_when_ready(s, address)
        job = asyncio.create_task(s.evaluate(evaluation_id="frozen", campaign="c", task=_task(),
                                             source=_src("frozen", 1.0), hardware=HW))
        frozen = await _busy_agent(s)
        await asyncio.sleep(0.3)
        dict(procs)[frozen].send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        result = await asyncio.wait_for(job, 30)
        await conns.close()
        return result, time.monotonic() - stopped, frozen

    with agent_processes(2, "--heartbeat-interval", "0.5") as procs:
        result, took, frozen = asyncio.run(main(procs))
    assert result.status == S.OK, result.message
    assert result.attempts == 2 and result.agents_tried[0] == frozen and result.agents_tried[1] != frozen
    assert took < 10, f"the frozen agent held the candidate for {took:.1f} s"


# ------------------------------------------------------------------------------------ a campaign's agents
def test_a_campaign_limited_to_agent_a_never_runs_on_b() -> None:
    async def main(a: str, b: str) -> list[result_pb2.Result]:
        conns = AgentConnections()
        s = Scheduler(conns.evaluate, conns.get_info)
        await s.add_static_agent(a)
        await s.add_static_agent(b)
        results = await asyncio.gather(*[
            s.evaluate(evaluation_id=f"e{i}", campaign="only-a", task=_task(), source=_src(str(i), 0.05),
                       hardware=HW, agents=[a]) for i in range(6)])
        await conns.close()
        return results

    with null_agents(1, 4) as (a, b):
        results = asyncio.run(main(a.address, b.address))
    assert [r.status for r in results] == [S.OK] * 6
    assert {r.agent_id for r in results} == {a.agent_id}  # B was idle with 4 free devices the whole time


def test_a_null_backend_agent_is_never_used_for_a_simnpu_campaign() -> None:
    async def main(address: str) -> tuple[bool, result_pb2.Result, dict]:
        conns = AgentConnections()
        s = Scheduler(conns.evaluate, conns.get_info)
        await s.add_static_agent(address)
        simnpu = asyncio.create_task(s.evaluate(evaluation_id="sim", campaign="sim", task=_task(),
                                                source="// does not compile\n#error nope\n", hardware=HW,
                                                backend="simnpu"))
        load = await s.evaluate(evaluation_id="load", campaign="load", task=_task(), source=_src("load"),
                                hardware=HW, backend="null")
        await asyncio.sleep(0.5)
        waiting = not simnpu.done()
        snap = s.snapshot()
        simnpu.cancel()
        await asyncio.gather(simnpu, return_exceptions=True)
        await conns.close()
        return waiting, load, snap

    with null_agents(2) as (a,):
        waiting, load, snap = asyncio.run(main(a.address))
    assert load.status == S.OK and load.backend == "null"
    assert waiting, "the simnpu campaign's candidate ran on a null-backend agent"
    assert snap["agents"][0]["completed"] == 1


def test_only_infrastructure_failures_count_toward_quarantine_and_every_try_is_counted() -> None:
    async def main(a: str, b: str) -> tuple[list[result_pb2.Result], result_pb2.Result, Scheduler]:
        conns = AgentConnections()
        s = Scheduler(conns.evaluate, conns.get_info, quarantine_after=2, quarantine_s=60, max_retries=2)
        await s.add_static_agent(a)
        await s.add_static_agent(b)
        own = await asyncio.gather(*[
            s.evaluate(evaluation_id=f"bad{i}", campaign="c", task=_task(), source=f"// {i}\n// hawk-null: fail=compile\n",
                       hardware=HW) for i in range(6)])
        healthy = all(x.failed == 0 and x.quarantined_until == 0 for x in s.agents.values())
        infra = await s.evaluate(evaluation_id="infra", campaign="c", task=_task(),
                                 source="// hawk-null: fail=internal\n", hardware=HW)
        await conns.close()
        assert healthy
        return own, infra, s

    with null_agents(1, 1) as (a, b):
        own, infra, s = asyncio.run(main(a.address, b.address))
    assert [r.status for r in own] == [S.COMPILE_ERROR] * 6 and all(r.attempts == 1 for r in own)
    assert infra.status == S.INTERNAL and infra.attempts == 3
    assert set(infra.agents_tried[:2]) == {a.address, b.address}  # the second try went to the other agent
    assert sum(x.failed for x in s.agents.values()) == 3
