"""The campaign's in-memory state and batched writes, on real null-backend agents through BatchEvaluator and a real
Scheduler: memory equals the store, a killed driver's campaign resumes with every result recorded once, SQLite
statements per candidate stay bounded, and every knowledge observation arrives by the campaign's end."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from controller.agent_rpc import AgentConnections
from controller.campaign import CampaignRunner
from controller.dispatch import BatchEvaluator
from controller.metrics import CampaignMetrics
from controller.proposers import OfflineProposer, ProposalContext, ProposeOutcome
from controller.scheduler import Scheduler
from controller.spec import parse_spec
from controller.store import ResultsStore
from npu_agent.server import Agent, AgentConfig
from npu_agent.taskspec import load_task_file
from tests.support.null_task import TASKS, write_null_task

ROOT = Path(__file__).resolve().parents[2]

# 4 x 59 points: room for long campaigns without the search running out of new kernels.
WIDE = TASKS.replace("RUN_S = [0.04, 0.03, 0.02, 0.01, 0.005]\nVARIANT = [1, 2, 3, 4, 5]",
                     f"RUN_S = [0.004, 0.003, 0.002, 0.001]\nVARIANT = {list(range(1, 60))}")
assert WIDE != TASKS


def _spec(rounds: int, per_round: int, knowledge: bool = False) -> str:
    return f"""
name = "t"
tasks = ["nullsearch"]
seed = 3
[budget]
rounds = {rounds}
candidates_per_round = {per_round}
[knowledge]
enabled = {'true' if knowledge else 'false'}
[agents]
addresses = ["127.0.0.1:1"]
"""


async def _campaign(store: ResultsStore, spec_text: str, task_file: Path, address: str, *, proposers=None,
                    knowledge=None, campaign_id: str | None = None, metrics=None) -> tuple[CampaignRunner, str]:
    conns = AgentConnections()
    sched = Scheduler(conns.evaluate, conns.get_info)
    await sched.add_static_agent(address)
    evaluator = BatchEvaluator(sched, poll_s=0.5)
    runner = CampaignRunner(parse_spec(spec_text), store, evaluator, load_task_file(task_file),
                            proposers or {"offline": OfflineProposer()}, knowledge=knowledge, knowledge_sink=knowledge,
                            metrics=metrics)
    cid = campaign_id or runner.create()
    await runner.run(cid)
    await evaluator.close()
    await conns.close()
    return runner, cid


def _same_as_store(runner: CampaignRunner, store: ResultsStore, cid: str) -> None:
    evals = {e.candidate_id: e for e in store.evaluations(cid)}
    expected = [(c, evals.get(c.id)) for c in store.candidates(cid, "nullsearch")]
    assert runner._history("nullsearch") == expected
    assert runner._tasks["nullsearch"].best == store.best(cid)["nullsearch"]
    assert runner._best_pair("nullsearch") == next((c, e) for c, e in expected
                                                   if c.id == store.best(cid)["nullsearch"]["candidate_id"])


def test_in_memory_history_and_best_equal_the_store(tmp_path: Path) -> None:
    task_file = write_null_task(tmp_path, baseline_run_s=0.005, tasks=WIDE)
    store = ResultsStore(tmp_path / "r.sqlite")
    metrics = CampaignMetrics()
    with Agent(AgentConfig(backend="null", devices=4)) as agent:
        runner, cid = asyncio.run(_campaign(store, _spec(5, 6), task_file, agent.address, metrics=metrics))
    _same_as_store(runner, store, cid)
    assert metrics.registry.get_sample_value("hawk_campaign_round", {"campaign": "t", "task": "nullsearch"}) == 4
    p = runner.state.tasks["nullsearch"]
    assert (p.proposed, p.evaluated) == (30, 30)
    assert p.best_us == store.best(cid)["nullsearch"]["time_us"]
    assert store.pending_candidates(cid) == []


def test_sqlite_statements_per_candidate_stay_bounded(tmp_path: Path) -> None:
    """Before batching a candidate cost about 13 statements (add, read back, record, best reads, per-round
    reloads of the whole history); now one insert each plus a few per round and per result batch."""
    task_file = write_null_task(tmp_path, baseline_run_s=0.005, tasks=WIDE)
    store = ResultsStore(tmp_path / "r.sqlite")
    statements: list[str] = []
    store._conn().set_trace_callback(statements.append)  # the driver's thread: every statement it runs
    with Agent(AgentConfig(backend="null", devices=8)) as agent:
        runner, cid = asyncio.run(_campaign(store, _spec(6, 8), task_file, agent.address))
    store._conn().set_trace_callback(None)
    n = runner.state.tasks["nullsearch"].evaluated
    assert n == 48
    per_candidate = len(statements) / n
    print(f"{len(statements)} statements for {n} candidates: {per_candidate:.2f} per candidate")
    assert per_candidate <= 7, per_candidate
    # No per-round reload of the history: the whole history is read once (at the start; the old code read it
    # twice a round), besides the pending candidates on start and the end's check that anything was made.
    assert sum(1 for s in statements if s.startswith("SELECT * FROM candidates")) <= 3
    assert sum(1 for s in statements if s.startswith("SELECT * FROM evaluations")) <= 1


KILLED_RUN = textwrap.dedent("""
    import asyncio, sys
    from controller.agent_rpc import AgentConnections
    from controller.campaign import CampaignRunner
    from controller.dispatch import BatchEvaluator
    from controller.proposers import OfflineProposer
    from controller.scheduler import Scheduler
    from controller.spec import parse_spec
    from controller.store import ResultsStore
    from npu_agent.taskspec import load_task_file

    store_path, spec_path, task_file, address, cid = sys.argv[1:6]

    async def main():
        conns = AgentConnections()
        sched = Scheduler(conns.evaluate, conns.get_info)
        await sched.add_static_agent(address)
        runner = CampaignRunner(parse_spec(open(spec_path).read()), ResultsStore(store_path),
                                BatchEvaluator(sched, poll_s=0.2), load_task_file(task_file),
                                {"offline": OfflineProposer()})
        await runner.run(cid)

    asyncio.run(main())
""")


def test_a_driver_killed_mid_round_resumes_with_every_result_recorded_once(tmp_path: Path) -> None:
    task_file = write_null_task(tmp_path, baseline_run_s=0.005, tasks=WIDE.replace(
        "[0.004, 0.003, 0.002, 0.001]", "[0.2, 0.15, 0.1, 0.05]"))
    store = ResultsStore(tmp_path / "r.sqlite")
    spec_text = _spec(6, 6)
    (tmp_path / "spec.toml").write_text(spec_text)
    cid = store.create_campaign("t", spec_text, "ascend910b2")
    with Agent(AgentConfig(backend="null", devices=3)) as agent:
        proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(tmp_path / "r.sqlite"),
                                 str(tmp_path / "spec.toml"), str(task_file), agent.address, cid],
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            deadline = time.monotonic() + 60
            # Kill once some results are in and others of the same round are still running.
            while len(store.evaluations(cid)) < 8 or not store.pending_candidates(cid):
                assert proc.poll() is None, "the driver ended before it could be killed"
                assert time.monotonic() < deadline, "no progress to kill in the middle of"
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(10)
        killed_with = len(store.pending_candidates(cid))
        recorded_before = {e.candidate_id: e.result.SerializeToString() for e in store.evaluations(cid)}
        assert killed_with > 0
        runner, _ = asyncio.run(_campaign(store, spec_text, task_file, agent.address, campaign_id=cid))
    assert store.pending_candidates(cid) == []
    cands = store.candidates(cid)
    evals = store.evaluations(cid)
    assert len(evals) == len(cands) == 37  # 36 candidates and the baseline, each recorded exactly once
    assert len({e.candidate_id for e in evals}) == len(evals)
    assert len({c.source_hash for c in cands}) == len(cands)
    # What was recorded before the kill stays as it was.
    after = {e.candidate_id: e.result.SerializeToString() for e in evals}
    assert all(after[k] == v for k, v in recorded_before.items())
    _same_as_store(runner, store, cid)
    assert store.campaign(cid)["state"] == "finished"


class CitingProposer(OfflineProposer):
    """The offline search, each proposal crediting one knowledge entry (as an LLM proposal that applied it)."""

    def __init__(self, entry_id: str) -> None:
        super().__init__()
        self.entry_id = entry_id

    def propose(self, ctx: ProposalContext, n: int) -> ProposeOutcome:
        out = super().propose(ctx, n)
        for p in out.proposals:
            p.knowledge_used = [self.entry_id]
        return out


@pytest.mark.parametrize("devices", [6])
def test_every_knowledge_observation_arrives_by_the_campaign_end(tmp_path: Path, devices: int) -> None:
    from controller.knowledge_client import CampaignKnowledge
    from knowledge.base import KnowledgeBase

    task_file = write_null_task(tmp_path, baseline_run_s=0.005, tasks=WIDE)
    kb = KnowledgeBase(tmp_path / "kb.sqlite")
    entry = next(e for e in kb.entries() if not e.check)
    store = ResultsStore(tmp_path / "r.sqlite")
    with Agent(AgentConfig(backend="null", devices=devices)) as agent:
        ck = CampaignKnowledge(kb, "ascend910b2")
        runner, cid = asyncio.run(_campaign(store, _spec(6, 8, knowledge=True), task_file, agent.address,
                                            proposers={"offline": CitingProposer(entry.id)}, knowledge=ck))
        observed = runner._observer
    cands = [c for c in store.candidates(cid) if c.proposer != "baseline"]
    assert len(cands) == 48
    # One effect per (entry, evaluation): every evaluated candidate's observation reached the knowledge store.
    credited = {e["evaluation_id"] for e in kb.effects(entry.id)}
    assert credited == {c.id for c in cands}
    assert observed.sent == 48 and observed.lost == 0


def test_a_broken_knowledge_store_loses_no_result(tmp_path: Path) -> None:
    """The knowledge database refuses every credit (a real SQLite failure, raised by a trigger): the campaign
    still records and finishes every evaluation; the failed observations are counted and logged."""
    import sqlite3

    from controller.knowledge_client import CampaignKnowledge
    from knowledge.base import KnowledgeBase

    task_file = write_null_task(tmp_path, baseline_run_s=0.005, tasks=WIDE)
    kb = KnowledgeBase(tmp_path / "kb.sqlite")
    entry = next(e for e in kb.entries() if not e.check)
    db = sqlite3.connect(tmp_path / "kb.sqlite")
    db.execute("CREATE TRIGGER no_credit BEFORE INSERT ON effects BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    db.commit()
    db.close()
    store = ResultsStore(tmp_path / "r.sqlite")
    with Agent(AgentConfig(backend="null", devices=6)) as agent:
        ck = CampaignKnowledge(kb, "ascend910b2")
        runner, cid = asyncio.run(_campaign(store, _spec(3, 8, knowledge=True), task_file, agent.address,
                                            proposers={"offline": CitingProposer(entry.id)}, knowledge=ck))
    assert store.campaign(cid)["state"] == "finished"
    assert store.pending_candidates(cid) == []
    assert len(store.evaluations(cid)) == 25  # 24 candidates and the baseline
    assert runner._observer.lost == 24 and runner._observer.sent == 0
    _same_as_store(runner, store, cid)
