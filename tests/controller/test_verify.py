"""The cross-check of a task's new best (controller/verify.py) and the store's rule that a flagged or doubted
profile never becomes the best; end to end on a real twin agent through the real scheduler."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller import verify
from controller.agent_rpc import AgentConnections
from controller.scheduler import Scheduler
from controller.store import ResultsStore
from hawk.v1 import result_pb2, task_pb2
from npu_agent.pipeline import StageTimeouts
from npu_agent.server import Agent, AgentConfig


def _ok(time_us: float, below_floor: bool = False) -> result_pb2.Result:
    r = result_pb2.Result(status=result_pb2.OK, agent_id="a1", message="correct")
    r.profile.time_us = time_us
    r.profile.floor.below_floor = below_floor
    return r


# ------------------------------------------------------------------------------------------- rules
def test_would_be_best() -> None:
    assert verify.would_be_best(_ok(10.0), None)
    assert verify.would_be_best(_ok(10.0), {"time_us": 11.0})
    assert not verify.would_be_best(_ok(10.0), {"time_us": 10.0})
    assert not verify.would_be_best(_ok(10.0, below_floor=True), None)
    assert not verify.would_be_best(result_pb2.Result(status=result_pb2.WRONG_ANSWER), None)


def test_apply_keeps_agreed_results_and_never_lets_a_doubted_one_be_best() -> None:
    r = _ok(10.0)
    assert verify.apply(r, verify.CrossCheck("agree")) == (r, True)
    out, best = verify.apply(r, verify.CrossCheck("doubtful", "cross-check: time differs"))
    assert not best and out.status == result_pb2.OK and "[not a best: cross-check: time differs]" in out.message
    out, best = verify.apply(r, verify.CrossCheck("refuted", "re-run WRONG_ANSWER", result_pb2.WRONG_ANSWER))
    assert not best and out.status == result_pb2.WRONG_ANSWER and not out.HasField("profile")
    assert r.status == result_pb2.OK, "the original result is not changed"


def test_store_never_takes_a_flagged_or_doubted_profile_as_best(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    cid = store.create_campaign("c", "name='c'", "ascend910b2")
    a = store.add_candidate(cid, "t", "th", 0, "a", "ha", "offline")
    b = store.add_candidate(cid, "t", "th", 0, "b", "hb", "offline")
    c = store.add_candidate(cid, "t", "th", 0, "c", "hc", "offline")
    store.record_evaluation(a, _ok(50.0))
    store.record_evaluation(b, _ok(1.0, below_floor=True))
    store.record_evaluation(c, _ok(2.0), may_be_best=False)
    assert store.best(cid)["t"]["candidate_id"] == a
    assert store.evaluation(b).status == "OK" and store.evaluation(c).time_us == pytest.approx(2.0)


# -------------------------------------------------------------------------------- on a real twin agent
COPY = """
#include "kernel_operator.h"
using namespace AscendC;
extern "C" __global__ __aicore__ void k(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 2 * 256 * sizeof(float));
    GlobalTensor<float> xGm, zGm;
    xGm.SetGlobalBuffer((__gm__ float *)x, 256);
    zGm.SetGlobalBuffer((__gm__ float *)z, 256);
    LocalTensor<float> t = buf.Get<float>();
    LocalTensor<float> w = t[256];
    DataCopy(t, xGm, 256);
    PipeBarrier<PIPE_ALL>();
#ifdef DATA_DEPENDENT
    int n = static_cast<int>((t.GetValue(0) + 1.0f) * 200.0f);  // work that depends on the input's values
    for (int i = 0; i < n; ++i) Adds(w, t, 1.0f, 256);
    PipeBarrier<PIPE_ALL>();
#endif
    DataCopy(zGm, t, 256);
}
"""


def _task() -> task_pb2.TaskSpec:
    return task_pb2.TaskSpec(
        name="copy", kernel_entry="k", reference_source="def reference(x):\n    return x\n",
        reference_entry="reference", default_block_dim=1,
        inputs=[task_pb2.TensorSpec(name="x", shape=[256], dtype=task_pb2.FLOAT32)],
        outputs=[task_pb2.TensorSpec(name="z", shape=[256], dtype=task_pb2.FLOAT32)])


@pytest.fixture(scope="module")
def twin_agent() -> Iterator[Agent]:
    work = Path(tempfile.mkdtemp(prefix="hawk-verify-agent-"))
    work.chmod(0o711)
    agent = Agent(AgentConfig(backend="simnpu", devices=1, compile_workers=1, metrics_port=0, work_dir=work,
                              timeouts=StageTimeouts(compile_s=120, verify_s=30, profile_s=60))).start()
    yield agent
    agent.stop()
    shutil.rmtree(work, ignore_errors=True)


async def _evaluate_and_check(address: str, source: str) -> tuple[result_pb2.Result, verify.CrossCheck]:
    conns = AgentConnections()
    sched = Scheduler(conns.evaluate, conns.get_info)
    await sched.add_static_agent(address)
    try:
        kw = dict(campaign="c", task=_task(), source=source, hardware="ascend910b2", team="t", priority=0)
        first = await sched.evaluate(evaluation_id="e1", options=None, **kw)
        check = await verify.cross_check(sched, evaluation_id="e1", result=first, **kw)
        return first, check
    finally:
        await conns.close()


def test_an_honest_best_is_confirmed(twin_agent: Agent) -> None:
    first, check = asyncio.run(_evaluate_and_check(twin_agent.address, COPY))
    assert first.status == result_pb2.OK and first.profile.time_us > 0, first.message
    assert check.verdict == "agree", check.reason


def test_a_best_whose_time_does_not_come_back_is_not_taken(twin_agent: Agent) -> None:
    # The work depends on a fresh random input value, so two runs can land within the 2% tolerance by chance
    # (both values below -1 do no extra work at all: a few percent of runs, seen in CI); three tries make that
    # chance negligible while a cross-check that never flags a data-dependent time still fails every one.
    for _ in range(3):
        first, check = asyncio.run(_evaluate_and_check(twin_agent.address, "#define DATA_DEPENDENT 1\n" + COPY))
        if check.verdict != "agree":
            break
    assert first.status == result_pb2.OK, first.message
    assert check.verdict == "doubtful" and "modelled time" in check.reason, check
