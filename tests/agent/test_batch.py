"""EvaluateBatch end to end: real agents on 127.0.0.1, driven by the controller's own client
(AgentConnections.evaluate_batch) and, for what only the wire shows, by the raw stub."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest

from controller.agent_rpc import AgentBusy, AgentConnections, AgentUnavailable, BatchItem, Credentials
from hawk.v1 import agent_pb2, agent_pb2_grpc, task_pb2
from hawk.v1 import result_pb2 as S
from npu_agent import secrets
from npu_agent.client import AgentClient, token_metadata
from npu_agent.server import wait_for
from npu_agent.taskspec import task_hash
from tests.agent.helpers import Background, add_task

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "kernels" / "add_custom.cpp"
TOKEN = "batch-token-0c1d2e3f4a5b6c7d"
TASK = add_task(verify_sets=1)

Outcomes = dict[str, list]


def null_src(name: str, run_s: float = 0.01, **kw: object) -> str:
    extra = " ".join(f"{k}={v}" for k, v in kw.items())
    return f"// {name}\n// hawk-null: run_s={run_s} {extra}\n"


def items(n: int, prefix: str = "e", run_s: float = 0.01, task=TASK) -> list[BatchItem]:
    return [BatchItem(f"{prefix}{i}", task, null_src(f"{prefix}{i}", run_s)) for i in range(n)]


async def batch(conns: AgentConnections, address: str, its: list[BatchItem], order: list[str] | None = None,
                **kw) -> Outcomes:
    """Outcomes per evaluation id, as lists: a second outcome for one item would show."""
    out: Outcomes = {}

    def on_outcome(eid: str, o) -> None:
        out.setdefault(eid, []).append(o)
        if order is not None:
            order.append(eid)

    await conns.evaluate_batch(address, its, on_outcome=on_outcome, **kw)
    return out


def run(fn: Callable[[AgentConnections], object], credentials: Credentials | None = None):
    async def main():
        conns = AgentConnections(credentials)
        try:
            return await fn(conns)
        finally:
            await conns.close()

    return asyncio.run(main())


def only(out: Outcomes) -> dict:
    assert all(len(v) == 1 for v in out.values()), out
    return {k: v[0] for k, v in out.items()}


def sample(agent, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    return sum(s.value for m in agent.metrics.registry.collect() for s in m.samples
               if s.name == name and labels.items() <= s.labels.items())


def stub(address: str) -> tuple[grpc.Channel, agent_pb2_grpc.NpuAgentStub]:
    ch = grpc.insecure_channel(address)
    return ch, agent_pb2_grpc.NpuAgentStub(ch)


def raw_requests(h: str, n: int, prefix: str = "r", run_s: float = 0.01, size: int = 0) -> list:
    pad = "/" * size
    return [agent_pb2.EvaluateRequest(evaluation_id=f"{prefix}{i}", task_hash=h,
                                      source=null_src(f"{prefix}{i}", run_s) + pad) for i in range(n)]


# ------------------------------------------------------------------------------------------ the basics
def test_every_item_gets_exactly_one_result_as_it_finishes(start_agent) -> None:
    agent = start_agent(devices=4, max_concurrent=16)
    its = [BatchItem("slow", TASK, null_src("slow", 0.6))] + items(9, run_s=0.01)
    order: list[str] = []
    out = only(run(lambda c: batch(c, agent.address, its, order, inactivity_s=5.0)))
    assert sorted(out) == sorted(it.evaluation_id for it in its)
    assert all(isinstance(r, S.Result) and r.status == S.OK and r.evaluation_id == eid for eid, r in out.items())
    assert order[-1] == "slow"  # streamed as each finished, not in request order
    assert sample(agent, "hawk_agent_evaluations_total", stage="done", status="ok") == 10
    assert agent.servicer.inflight == 0
    assert not any(r.log_tail for r in out.values())  # not asked for (EvaluateOptions.include_log_tail)


def test_a_task_is_uploaded_once_per_agent_even_by_concurrent_batches(start_agent) -> None:
    agent = start_agent(devices=4)
    uploads: list[list[str]] = []

    async def main(conns: AgentConnections) -> list[Outcomes]:
        real = conns._put_tasks

        async def counted(address, tasks, inactivity_s):  # counts, then does the real upload
            uploads.append([h for h, _ in tasks])
            return await real(address, tasks, inactivity_s)

        conns._put_tasks = counted
        first = await asyncio.gather(*(batch(conns, agent.address, items(3, prefix=f"c{k}-")) for k in range(3)))
        return [*first, await batch(conns, agent.address, items(2, prefix="later-"))]

    outs = run(main)
    assert all(r.status == S.OK for out in outs for r in only(out).values())
    assert uploads == [[task_hash(TASK)]]  # one PutTask for four batches, three of them at once


def test_items_beyond_the_admission_limit_are_busy_and_the_rest_run(start_agent) -> None:
    agent = start_agent(devices=1, max_concurrent=3)
    out = only(run(lambda c: batch(c, agent.address, items(5, run_s=0.05))))
    done = {k for k, v in out.items() if isinstance(v, S.Result)}
    busy = {k: v for k, v in out.items() if isinstance(v, AgentBusy)}
    assert done == {"e0", "e1", "e2"} and set(busy) == {"e3", "e4"}
    assert all("limit of 3 concurrent evaluations" in str(v) for v in busy.values())
    assert sample(agent, "hawk_agent_rejected_requests_total", code="resource_exhausted") == 2


def test_a_draining_agent_refuses_every_item_as_busy(start_agent) -> None:
    agent = start_agent(devices=1)
    with AgentClient(agent.address) as c:
        h = c.put_task(TASK)[0]
        running = Background(c, h, null_src("long", 1.5))
        running.wait_stage(S.VERIFYING)
        drain = threading.Thread(target=agent.drain, kwargs={"timeout_s": 30.0}, daemon=True)
        drain.start()
        assert wait_for(lambda: agent.servicer.draining, 10.0)
        out = only(run(lambda conns: batch(conns, agent.address, items(3))))
        assert running.join().status == S.OK  # what was admitted before the drain still finishes
    drain.join(30)
    assert set(out) == {"e0", "e1", "e2"}
    assert all(isinstance(v, AgentBusy) and "draining" in str(v) for v in out.values()), out


def test_duplicate_ids_are_refused_before_anything_is_sent(start_agent) -> None:
    agent = start_agent()
    with pytest.raises(ValueError, match="distinct"):
        run(lambda c: batch(c, agent.address, [*items(2), *items(1)]))
    with AgentClient(agent.address) as c:
        h = c.put_task(TASK)[0]
    ch, s = stub(agent.address)
    with ch:
        reqs = raw_requests(h, 2)
        reqs[1].evaluation_id = reqs[0].evaluation_id
        events = list(s.EvaluateBatch(agent_pb2.EvaluateBatchRequest(evaluations=reqs), timeout=30))
    results = [r for e in events for r in e.results]
    [refused] = [r for e in events for r in e.refused]
    assert [r.evaluation_id for r in results] == ["r0"] and refused.evaluation_id == "r0"
    assert refused.code == grpc.StatusCode.ALREADY_EXISTS.value[0] and "appears twice" in refused.message


# ------------------------------------------------------------------------------------------- cancelling
def test_cancel_of_one_item_leaves_the_others_running(start_agent) -> None:
    agent = start_agent(devices=4)

    async def main(conns: AgentConnections) -> Outcomes:
        its = [BatchItem("doomed", TASK, null_src("doomed", 30.0))] + items(2, run_s=0.3)
        job = asyncio.create_task(batch(conns, agent.address, its))
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, wait_for, lambda: agent.servicer.inflight == 3, 10.0)
        with AgentClient(agent.address) as c:
            assert await loop.run_in_executor(None, c.cancel, "doomed")
        return await job

    out = only(run(main))
    assert isinstance(out["doomed"], AgentUnavailable) and "CANCELLED" in str(out["doomed"])
    assert all(out[k].status == S.OK for k in ("e0", "e1"))


def test_cancelling_the_stream_cancels_its_unfinished_items(start_agent) -> None:
    agent = start_agent(devices=4)
    seen: Outcomes = {}

    async def main(conns: AgentConnections) -> None:
        job = asyncio.create_task(conns.evaluate_batch(
            agent.address, items(3, run_s=30.0), on_outcome=lambda e, o: seen.setdefault(e, []).append(o)))
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, wait_for, lambda: agent.servicer.inflight == 3, 10.0)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    run(main)
    assert wait_for(lambda: agent.servicer.inflight == 0, 20.0), "the agent kept the cancelled items"
    assert sample(agent, "hawk_agent_evaluations_total", status="cancelled") == 3
    assert seen == {}  # a cancelled call reports nothing: its caller cancelled it


# ------------------------------------------------------------------------------------ lost tasks, auth
def test_a_task_the_agent_lost_is_uploaded_again_and_its_items_retried(start_agent) -> None:
    first = start_agent(devices=2)
    port = first.port
    h = task_hash(TASK)
    restarted = []

    async def main(conns: AgentConnections) -> tuple[Outcomes, Outcomes]:
        before = await batch(conns, first.address, items(2, prefix="a"))
        assert h in conns._tasks_held[first.address]  # uploaded once, believed held from now on
        first.stop()
        restarted.append(start_agent(devices=2, port=port))  # same address, empty task store
        after = await batch(conns, first.address, items(3, prefix="b"), inactivity_s=5.0)
        return before, after

    before, after = run(main)
    [agent] = restarted
    assert all(r.status == S.OK for r in only(before).values())
    assert sorted(only(after)) == ["b0", "b1", "b2"]
    assert all(isinstance(r, S.Result) and r.status == S.OK for r in only(after).values()), after
    assert sample(agent, "hawk_agent_rejected_requests_total", code="not_found") == 3  # lost, then retried
    assert agent.tasks.get(h) is not None


def test_auth_is_required_for_every_item(start_agent) -> None:
    agent = start_agent(token=TOKEN)
    refused = only(run(lambda c: batch(c, agent.address, items(2))))
    assert all(isinstance(r, S.Result) and r.status == S.REJECTED and "UNAUTHENTICATED" in r.message
               for r in refused.values()), refused
    ok = only(run(lambda c: batch(c, agent.address, items(2)), Credentials(token=TOKEN)))
    assert all(r.status == S.OK for r in ok.values())
    ch, s = stub(agent.address)
    with ch, pytest.raises(grpc.RpcError) as e:
        list(s.EvaluateBatch(agent_pb2.EvaluateBatchRequest(evaluations=raw_requests(task_hash(TASK), 1)),
                             metadata=token_metadata("wrong-token-0123456789"), timeout=10))
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # Bytes that do not parse: the caller's error, named (wire_guard.py), not an agent INTERNAL.
    garbage = agent_pb2.EvaluateBatchRequest(evaluations=raw_requests("0" * 64, 2)).SerializeToString()[:-7]
    with grpc.insecure_channel(agent.address) as raw, pytest.raises(grpc.RpcError) as e:
        call = raw.unary_stream("/hawk.v1.NpuAgent/EvaluateBatch", request_serializer=lambda b: b,
                                response_deserializer=lambda b: b)
        list(call(garbage, metadata=token_metadata(TOKEN), timeout=10))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "malformed EvaluateBatch request" in e.value.details()


# ---------------------------------------------------------------------------------------- wire guards
def test_an_oversized_batch_is_refused_with_a_clear_message_and_the_client_splits(start_agent) -> None:
    agent = start_agent(devices=2, max_batch=4)
    with AgentClient(agent.address) as c:
        info = c.get_info()
        h = c.put_task(TASK)[0]
    assert info.max_batch_evaluations == 4
    ch, s = stub(agent.address)
    with ch:
        for n, words in ((5, "the batch has 5 evaluations; this agent accepts at most 4"), (0, "empty")):
            with pytest.raises(grpc.RpcError) as e:
                list(s.EvaluateBatch(agent_pb2.EvaluateBatchRequest(evaluations=raw_requests(h, n)), timeout=10))
            assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and words in e.value.details()
            assert "\n" not in e.value.details()
    out = only(run(lambda c: batch(c, agent.address, items(10))))
    assert sorted(out) == sorted(f"e{i}" for i in range(10)) and all(r.status == S.OK for r in out.values())


def test_message_and_source_limits_apply_to_every_item(start_agent) -> None:
    agent = start_agent(devices=2, max_message_bytes=1 << 20, max_source_bytes=300_000)
    with AgentClient(agent.address) as c:
        h = c.put_task(TASK)[0]
    ch, s = stub(agent.address)
    with ch:  # the whole request over the message limit: gRPC refuses it before any item is looked at
        with pytest.raises(grpc.RpcError) as e:
            list(s.EvaluateBatch(agent_pb2.EvaluateBatchRequest(evaluations=raw_requests(h, 4, size=280_000)),
                                 timeout=10))
        assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        events = list(s.EvaluateBatch(agent_pb2.EvaluateBatchRequest(
            evaluations=[*raw_requests(h, 1), *raw_requests(h, 1, prefix="big", size=310_000)]), timeout=10))
    [refused] = [r for e in events for r in e.refused]
    assert refused.evaluation_id == "big0" and "this agent accepts at most 300000" in refused.message
    # The client splits by message size and refuses a too-large source itself (the agent's RESOURCE_EXHAUSTED
    # would read as "busy" and be retried for ever).
    its = [BatchItem(f"p{i}", TASK, null_src(f"p{i}") + "/" * 280_000) for i in range(4)]
    its.append(BatchItem("huge", TASK, "/" * 310_000))
    out = only(run(lambda c: batch(c, agent.address, its)))
    assert all(out[f"p{i}"].status == S.OK for i in range(4))
    assert out["huge"].status == S.REJECTED and "accepts at most 300000" in out["huge"].message


# ------------------------------------------------------------------------------- progress, heartbeats
def test_progress_events_only_when_asked_and_heartbeats_regardless(start_agent) -> None:
    agent = start_agent(devices=2, timeouts={"heartbeat_s": 0.2})
    with AgentClient(agent.address) as c:
        h = c.put_task(TASK)[0]
    ch, s = stub(agent.address)
    with ch:
        quiet = list(s.EvaluateBatch(agent_pb2.EvaluateBatchRequest(evaluations=raw_requests(h, 2, "q", 0.8)),
                                     timeout=30))
        loud = list(s.EvaluateBatch(agent_pb2.EvaluateBatchRequest(evaluations=raw_requests(h, 2, "l", 0.8),
                                                                   progress=True), timeout=30))
    assert not any(e.progress for e in quiet)
    assert any(e.HasField("heartbeat") for e in quiet)  # silent while the items ran: the agent said it is alive
    assert sorted(r.evaluation_id for e in quiet for r in e.results) == ["q0", "q1"]
    stages: dict[str, set[int]] = {}
    for e in loud:
        for p in e.progress:
            stages.setdefault(p.evaluation_id, set()).add(p.progress.stage)
    assert set(stages) == {"l0", "l1"}
    assert all({S.COMPILING, S.VERIFYING} <= v for v in stages.values()), stages
    assert sorted(r.evaluation_id for e in loud for r in e.results) == ["l0", "l1"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_frozen_agent_is_detected_by_its_missing_heartbeats() -> None:
    port = _free_port()
    address = f"127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "controller.cli", "agent", "serve", "--port", str(port),
                             "--backend", "null", "--devices", "4", "--heartbeat-interval", "0.3",
                             "--max-batch", "8"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with AgentClient(address) as c:
            c.wait_ready(30.0)
            assert c.get_info().max_batch_evaluations == 8  # --max-batch

        async def main(conns: AgentConnections) -> tuple[Outcomes, Outcomes]:
            # Alive but slow: items longer than the inactivity deadline finish, the heartbeats keep the stream up.
            alive = await batch(conns, address, items(2, "alive", run_s=1.6), inactivity_s=1.0)
            job = asyncio.create_task(batch(conns, address, items(3, "frozen", run_s=20.0), inactivity_s=1.0))
            await asyncio.sleep(0.5)
            proc.send_signal(signal.SIGSTOP)
            return alive, await asyncio.wait_for(job, 30.0)

        alive, frozen = run(main)
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.kill()
        proc.wait()
    assert all(isinstance(r, S.Result) and r.status == S.OK for r in only(alive).values()), alive
    assert sorted(frozen) == ["frozen0", "frozen1", "frozen2"]
    assert all(isinstance(v, AgentUnavailable) and "presumed frozen" in str(v) for v in only(frozen).values())


# ------------------------------------------------------------------------ the twin: real kernels, secrets
@pytest.fixture
def twin_work_dir() -> Iterator[Path]:
    """$HAWK_SIM_WORK_ROOT/agent-batch when set (a twin built once is reused), else a fresh dir: the twin's build
    (runtime + PCH, most of this test's time) lives in the agent's work dir."""
    shared = os.environ.get("HAWK_SIM_WORK_ROOT")
    d = Path(shared) / "agent-batch" if shared else Path(tempfile.mkdtemp(prefix="hawk-batch-"))
    d.mkdir(parents=True, exist_ok=True)
    d.chmod(0o711)  # the sandbox uid must traverse it
    yield d
    if not shared:
        shutil.rmtree(d, ignore_errors=True)


def test_a_real_kernel_and_a_compile_error_in_one_batch_on_the_twin(start_agent, twin_work_dir: Path) -> None:
    secrets.register(TOKEN)
    agent = start_agent(backend="simnpu", devices=1, compile_workers=2, token=TOKEN, work_dir=twin_work_dir,
                        timeouts={"compile_s": 120, "verify_s": 60, "profile_s": 120})
    n = 2048  # fp16 elements: the example's 8 blocks x 8 tiles x 2 buffers of 16 elements
    task = task_pb2.TaskSpec(
        name="add_fp16", category="elementwise", kernel_entry="add_custom", verify_sets=1,
        inputs=[task_pb2.TensorSpec(name="x", shape=[n], dtype=task_pb2.FLOAT16),
                task_pb2.TensorSpec(name="y", shape=[n], dtype=task_pb2.FLOAT16)],
        outputs=[task_pb2.TensorSpec(name="z", shape=[n], dtype=task_pb2.FLOAT16)],
        reference_source="def reference(x, y):\n    return (x + y).astype(np.float16)\n",
        reference_entry="reference")
    broken = f"#error leaked {TOKEN}\n"
    its = [BatchItem("good", task, EXAMPLE.read_text()), BatchItem("broken", task, broken),
           BatchItem("broken-log", task, broken, options=agent_pb2.EvaluateOptions(include_log_tail=True,
                                                                                   bypass_cache=True))]
    creds = Credentials(token=TOKEN)
    out = only(run(lambda c: batch(c, agent.address, its, inactivity_s=30.0), creds))
    good, bad, bad_log = out["good"], out["broken"], out["broken-log"]
    assert good.status == S.OK and good.profile.time_us > 0 and good.numeric.sets_checked > 0, good.message
    assert good.profile.core_types and not good.profile.blocks  # per-block rows only when asked for
    for r in (bad, bad_log):
        assert r.status == S.COMPILE_ERROR and r.diagnostics and r.diagnostics[0].line == 1, r
        assert TOKEN not in str(r) and "[redacted]" in str(r)  # scrubbed per item, as for Evaluate
    assert not bad.log_tail and bad_log.log_tail  # the log only when asked for
    full = agent_pb2.EvaluateOptions(include_block_profiles=True)
    again = only(run(lambda c: batch(c, agent.address, [BatchItem("good-again", task, EXAMPLE.read_text(), full)]),
                     creds))["good-again"]
    assert again.cached and again.status == S.OK  # the result cache answers batch items too ...
    assert len(again.profile.blocks) == sum(ct.blocks for ct in good.profile.core_types) > 0  # ... the full one
