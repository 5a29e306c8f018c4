"""The repair loop on the Ascend C twin: a scripted kernel overflows the UB, the knowledge retrieved for THAT
failure goes into the repair prompt next to the failing line, the scripted repair citing the entry passes, and
the effect is credited to that entry alone (a citation the diff does not confirm earns nothing)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from controller.agent_rpc import AgentConnections
from controller.campaign import CampaignRunner
from controller.knowledge_client import CampaignKnowledge
from controller.llm import LLMClient
from controller.proposers import LLMProposer
from controller.scheduler import Scheduler
from controller.spec import parse_spec
from controller.store import ResultsStore
from knowledge.base import KnowledgeBase
from npu_agent.server import Agent, AgentConfig
from npu_agent.taskspec import load_task_file
from tests.support.openai_server import FakeOpenAIServer

REPO = Path(__file__).resolve().parents[2]
UB_ENTRY = "seed-ascend910b2-ub-capacity"
GOOD_LINE = "pipe.InitBuffer(inX, 1, TILE * sizeof(T));"
BAD_LINE = "pipe.InitBuffer(inX, 1, TILE * 32 * sizeof(T));"  # 256 KiB: more than the 192 KiB UB


def test_failure_knowledge_drives_the_repair_and_alone_gets_the_credit(tmp_path: Path) -> None:
    (task,) = [t for t in load_task_file(REPO / "tasks" / "builtin" / "elementwise.toml") if t.name == "add_fp16_small"]
    baseline = task.baseline.read_text()
    assert GOOD_LINE in baseline
    bad = baseline.replace(GOOD_LINE, BAD_LINE)
    bad_line_no = next(i for i, line in enumerate(bad.splitlines(), 1) if BAD_LINE in line)
    # The repair double-buffers the queues at the baseline's tile: a real change, and it fits the UB.
    repaired = bad.replace(BAD_LINE, GOOD_LINE).replace("pipe.InitBuffer(inY, 1,", "pipe.InitBuffer(inY, 2,")
    assert repaired != baseline
    prompts: list[str] = []

    def reply(request: dict) -> str:
        prompt = request["messages"][1]["content"]
        if "## Kernel contract" not in prompt:  # a knowledge-side request (rationale), not a proposal
            return "no rationale"
        prompts.append(prompt)
        if len(prompts) == 1:
            return f"Bigger tiles:\n```cpp\n{bad}```\nAPPLIED: none\n"
        label = re.search(rf"^### (K\d+) \[{re.escape(UB_ENTRY)}\]", prompt, re.MULTILINE)
        assert label, "the UB entry was not retrieved for the UB failure"
        # Also cite an entry the change does not touch: recorded as unconfirmed, never credited.
        return (f"Shrink the buffer back.\n```cpp\n{repaired}```\nAPPLIED: {label.group(1)}, "
                f"seed-ascend910b2-repeat-255\nSUMMARY: fit the UB\n")

    kb = KnowledgeBase(tmp_path / "kb.sqlite")
    store = ResultsStore(tmp_path / "r.sqlite")
    spec_text = """
name = "repair"
tasks = ["add_fp16_small"]
[budget]
rounds = 2
candidates_per_round = 1
[proposers]
llm = 1
[llm]
base_url = "BASE_URL"
model = "m"
[agents]
addresses = ["127.0.0.1:1"]
"""
    with FakeOpenAIServer(reply) as srv, Agent(AgentConfig(backend="simnpu", devices=1,
                                                           work_dir=tmp_path / "agent")) as agent:
        spec = parse_spec(spec_text.replace("BASE_URL", srv.base_url))

        async def main() -> str:
            conns = AgentConnections()
            sched = Scheduler(conns.evaluate, conns.get_info)
            await sched.add_static_agent(agent.address)
            ck = CampaignKnowledge(kb, spec.hardware)
            runner = CampaignRunner(spec, store, sched, [task], {"llm": LLMProposer(LLMClient(spec.llm), spec.hardware)},
                                    knowledge=ck, knowledge_sink=ck)
            cid = runner.create()
            await runner.run(cid)
            await conns.close()
            return cid

        cid = asyncio.run(main())

    failing, fixed = [c for c in store.candidates(cid) if c.proposer == "llm"]
    assert store.evaluation(failing.id).status == "HARDWARE_EXCEPTION"
    assert store.evaluation(fixed.id).status == "OK", store.evaluation(fixed.id).message
    # The repair prompt: the failing kernel with its line, the failure pinned to it, the entry by id.
    repair = prompts[1]
    assert "## The kernel to repair" in repair and f"{bad_line_no:4d}| " in repair and BAD_LINE in repair
    assert f"UB_OUT_OF_BOUNDS at line {bad_line_no}" in repair and UB_ENTRY in repair
    assert fixed.parent_id == failing.id and fixed.params["parent_role"] == "repair"
    assert fixed.knowledge_used == [UB_ENTRY]
    assert fixed.params["cited_unconfirmed"] == ["seed-ascend910b2-repeat-255"]
    assert UB_ENTRY in fixed.params["retrieved"]
    credited = {e.id for e in kb.entries(states=None) if kb.effects(e.id)}
    assert credited == {UB_ENTRY}
    (effect,) = kb.effects(UB_ENTRY)
    assert effect["evaluation_id"] == fixed.id and effect["passed"] and effect["parent_passed"] is False
    assert store.campaign(cid)["state"] == "finished"
