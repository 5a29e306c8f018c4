"""Campaigns end to end on real null-backend agents: search, budget, agent loss, stop and resume."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from controller.agent_rpc import AgentConnections
from controller.campaign import CampaignRunner
from controller.proposers import OfflineProposer
from controller.scheduler import Scheduler
from controller.spec import parse_spec
from controller.store import ResultsStore
from npu_agent.server import Agent, AgentConfig
from npu_agent.taskspec import load_task_file
from tests.support.null_task import write_null_task


def _spec(rounds: int = 3, per_round: int = 3) -> str:
    return f"""
name = "t"
tasks = ["nullsearch"]
seed = 7
[budget]
rounds = {rounds}
candidates_per_round = {per_round}
[agents]
addresses = ["127.0.0.1:1"]
"""


@pytest.fixture()
def task_file(tmp_path: Path) -> Path:
    return write_null_task(tmp_path)


async def _run(store: ResultsStore, spec_text: str, task_file: Path, addresses: list[str],
               campaign_id: str | None = None, during=None):
    conns = AgentConnections()
    sched = Scheduler(conns.evaluate, conns.get_info, quarantine_after=1)
    for a in addresses:
        await sched.add_static_agent(a)
    spec = parse_spec(spec_text)
    runner = CampaignRunner(spec, store, sched, load_task_file(task_file), {"offline": OfflineProposer()})
    cid = campaign_id or runner.create()
    main = asyncio.create_task(runner.run(cid))
    if during is not None:
        await during(main)
    try:
        state = await main
    except asyncio.CancelledError:
        state = None
    await conns.close()
    return cid, state


def _accounted_once(store: ResultsStore, cid: str) -> None:
    cands = store.candidates(cid)
    hashes = [c.source_hash for c in cands]
    assert len(hashes) == len(set(hashes)), "a source was proposed twice"
    assert store.pending_candidates(cid) == []
    assert {e.candidate_id for e in store.evaluations(cid)} == {c.id for c in cands}


def test_offline_search_finds_faster_kernels(tmp_path: Path, task_file: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    with Agent(AgentConfig(backend="null", devices=3)) as agent:
        cid, state = asyncio.run(_run(store, _spec(), task_file, [agent.address]))
    _accounted_once(store, cid)
    progress = state.tasks["nullsearch"]
    assert progress.evaluated == 9 and progress.passed == 9
    assert store.baseline(cid, "nullsearch") == pytest.approx(50_000, rel=0.01)
    best = store.best(cid)["nullsearch"]
    assert best["speedup"] > 1.5, best
    assert store.campaign(cid)["state"] == "finished"


def test_losing_an_agent_loses_no_candidate(tmp_path: Path, task_file: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    a1 = Agent(AgentConfig(backend="null", devices=2)).start()
    a2 = Agent(AgentConfig(backend="null", devices=2)).start()

    async def kill_one(main: asyncio.Task) -> None:
        await asyncio.sleep(0.15)
        await asyncio.to_thread(a2.stop)

    try:
        cid, state = asyncio.run(_run(store, _spec(rounds=4, per_round=4), task_file, [a1.address, a2.address],
                                      during=kill_one))
    finally:
        a1.stop()
        a2.stop()
    _accounted_once(store, cid)
    assert state.tasks["nullsearch"].evaluated == 16
    assert store.counts(cid) == {"OK": 17, "pending": 0}  # 16 candidates + the baseline


def test_stop_and_resume_finishes_with_every_candidate_once(tmp_path: Path, task_file: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    with Agent(AgentConfig(backend="null", devices=2)) as agent:
        async def stop_midway(main: asyncio.Task) -> None:
            while len(store.evaluations(cid_holder[0])) < 4:
                await asyncio.sleep(0.01)
            main.cancel()

        cid_holder: list[str] = []
        cid = ResultsStore.create_campaign(store, "t", _spec(rounds=4), "ascend910b2")
        cid_holder.append(cid)
        _, state = asyncio.run(_run(store, _spec(rounds=4), task_file, [agent.address], campaign_id=cid,
                                    during=stop_midway))
        assert state is None and store.campaign(cid)["state"] == "stopped"
        done_before = len(store.evaluations(cid))
        assert done_before < 13
        _, state = asyncio.run(_run(store, _spec(rounds=4), task_file, [agent.address], campaign_id=cid))
    _accounted_once(store, cid)
    assert state.tasks["nullsearch"].evaluated == 12
    assert store.campaign(cid)["state"] == "finished"


def test_llm_proposer_campaign_through_a_loopback_openai_server(tmp_path: Path, task_file: Path) -> None:
    """The real openai client, our prompt and parser, against an OpenAI-compatible server on loopback."""
    from controller.llm import LLMClient
    from controller.proposers import LLMProposer
    from tests.support.openai_server import FakeOpenAIServer

    answers = iter([0.03, 0.02, 0.01, 0.008, 0.006, 0.004, 0.003, 0.002, 0.001])

    def reply(request: dict) -> str:
        prompt = request["messages"][1]["content"]
        assert "def reference(x)" in prompt and "Kernel entry" in prompt
        return f"Faster:\n```cpp\n// k(\n// hawk-null: run_s={next(answers)}\n```\n"

    store = ResultsStore(tmp_path / "r.sqlite")
    spec_text = _spec(rounds=3, per_round=2).replace("[agents]", '[proposers]\nllm = 1\n[llm]\nbase_url = "x"\nmodel = "m"\n[agents]')
    with FakeOpenAIServer(reply) as srv, Agent(AgentConfig(backend="null", devices=2)) as agent:
        spec = parse_spec(spec_text.replace('base_url = "x"', f'base_url = "{srv.base_url}"'))

        async def main() -> str:
            conns = AgentConnections()
            sched = Scheduler(conns.evaluate, conns.get_info)
            await sched.add_static_agent(agent.address)
            client = LLMClient(spec.llm)
            runner = CampaignRunner(spec, store, sched, load_task_file(task_file),
                                    {"llm": LLMProposer(client, spec.hardware)})
            cid = runner.create()
            await runner.run(cid)
            await conns.close()
            return cid

        cid = asyncio.run(main())
        prompts = [r["messages"][1]["content"] for r in srv.requests]
    _accounted_once(store, cid)
    llm_cands = [c for c in store.candidates(cid) if c.proposer == "llm"]
    assert len(llm_cands) == 6
    assert all(c.params["model"] == "m" and c.prompt_tokens > 100 and c.completion_tokens > 0 for c in llm_cands)
    # Rounds after the first show the model its parent with line numbers and its evaluation.
    assert any("## Current kernel" in p and "Status: OK" in p for p in prompts[2:])
    assert store.best(cid)["nullsearch"]["speedup"] > 5


KB_TEMPLATE = """#include "kernel_operator.h"
constexpr uint32_t TILE_LENGTH = {{TILE_LENGTH}};
constexpr int32_t BUFFER_NUM = {{BUFFER_NUM}};
// pipe.InitBuffer(inQueueX, BUFFER_NUM, TILE_LENGTH * sizeof(half));
// pipe.InitBuffer(inQueueY, BUFFER_NUM, TILE_LENGTH * sizeof(half));
// pipe.InitBuffer(outQueueZ, BUFFER_NUM, TILE_LENGTH * sizeof(half));
// hawk-null: run_s={{RUN_S}}
"""


def test_knowledge_prunes_offline_proposals_and_credits_llm_proposals(tmp_path: Path, task_file: Path) -> None:
    """Seed-pack checks prune template points that overflow UB; entries put into LLM prompts get effects."""
    from controller.knowledge_client import CampaignKnowledge
    from controller.llm import LLMClient
    from controller.proposers import LLMProposer
    from knowledge.base import KnowledgeBase
    from tests.support.openai_server import FakeOpenAIServer

    (task_file.parent / "template.cpp").write_text(KB_TEMPLATE.replace("#include", "// k(\n#include"))
    text = task_file.read_text().replace("RUN_S = [0.04, 0.03, 0.02, 0.01, 0.005]\nVARIANT = [1, 2, 3, 4, 5]",
                                         "RUN_S = [0.02, 0.01]\nTILE_LENGTH = [4096, 16384, 32768]\nBUFFER_NUM = [1, 2]")
    task_file.write_text(text)
    runs = iter(enumerate([0.015, 0.012, 0.009, 0.007, 0.005, 0.004, 0.0035, 0.003, 0.0025, 0.002], 1))

    def reply(request: dict) -> str:
        # Cite every retrieved entry; the changed DeQue line confirms only those whose trigger names it.
        labels = re.findall(r"^### (K\d+) \[", request["messages"][1]["content"], re.MULTILINE)
        i, run_s = next(runs)
        return (f"```cpp\n// k(\n#include \"kernel_operator.h\"\nauto t = inQueueX.DeQue<half>({i});\n"
                f"// hawk-null: run_s={run_s}\n```\nAPPLIED: {', '.join(labels) or 'none'}\n")

    kb = KnowledgeBase(tmp_path / "kb.sqlite")
    store = ResultsStore(tmp_path / "r.sqlite")
    spec_text = _spec(rounds=3, per_round=4).replace(
        "[agents]", '[proposers]\noffline = 1\nllm = 1\n[llm]\nbase_url = "x"\nmodel = "m"\n[agents]')
    with FakeOpenAIServer(reply) as srv, Agent(AgentConfig(backend="null", devices=2)) as agent:
        spec = parse_spec(spec_text.replace('base_url = "x"', f'base_url = "{srv.base_url}"'))

        async def main() -> str:
            conns = AgentConnections()
            sched = Scheduler(conns.evaluate, conns.get_info)
            await sched.add_static_agent(agent.address)
            ck = CampaignKnowledge(kb, spec.hardware)
            runner = CampaignRunner(spec, store, sched, load_task_file(task_file),
                                    {"offline": OfflineProposer(), "llm": LLMProposer(LLMClient(spec.llm), "ascend910b2")},
                                    knowledge=ck, knowledge_sink=ck)
            cid = runner.create()
            state = await runner.run(cid)
            await conns.close()
            assert state.tasks["nullsearch"].pruned > 0
            return cid

        cid = asyncio.run(main())
        prompts = [r["messages"][1]["content"] for r in srv.requests]
    _accounted_once(store, cid)
    offline = [c for c in store.candidates(cid) if c.proposer == "offline"]
    assert offline and all(3 * c.params["values"]["TILE_LENGTH"] * c.params["values"]["BUFFER_NUM"] * 2 <= 196608
                           for c in offline), "a UB-overflowing point was dispatched"
    llm = [c for c in store.candidates(cid) if c.proposer == "llm"]
    used = {e for c in llm for e in c.knowledge_used}
    assert used and any("## Hardware knowledge" in p for p in prompts)
    for c in llm:  # credited = cited and confirmed by the diff (DeQue changed); the other citations kept aside
        assert set(c.knowledge_used) <= set(c.params["retrieved"])
        assert all("DeQue" in kb.get(e).trigger.apis for e in c.knowledge_used)
        assert set(c.knowledge_used) | set(c.params["cited_unconfirmed"]) == set(c.params["retrieved"])
    assert sum(len(kb.effects(e)) for e in used) > 0
    unused = {e for c in llm for e in c.params["retrieved"]} - used
    assert unused and all(kb.effects(e) == [] for e in unused)
