"""The LLM path never ends silently: fences, cut-off answers, duplicates and unusable answers, against the real
openai client and the loopback OpenAI-compatible server, on real null-backend agents."""

from __future__ import annotations

import asyncio
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from controller.agent_rpc import AgentConnections
from controller.campaign import CampaignRunner
from controller.llm import LLMClient
from controller.normalize import normalized_hash, normalized_source
from controller.prompt import KnowledgeSnippet, ParseError, TruncatedAnswer, parse_answer
from controller.proposers import DIFFERENT, SHORTEN, LLMProposer, ProposalContext, confirm_applied
from controller.scheduler import Scheduler
from controller.spec import LLMSettings, parse_spec
from controller.store import ResultsStore
from npu_agent.server import Agent, AgentConfig
from npu_agent.taskspec import load_task_file
from tests.support.null_task import write_null_task
from tests.support.openai_server import FakeOpenAIServer

KERNEL = '#include "kernel_operator.h"\nextern "C" __global__ __aicore__ void add_custom(GM_ADDR x) {}\n'


@pytest.mark.parametrize("fence", ["```cpp", "```c++", "```cuda", "```ascendc", "```", "~~~", "~~~cpp",
                                   "```C++ title=kernel.cpp", "````cpp"])
def test_fence_variants_parse(fence: str) -> None:
    close = re.match(r"[`~]+", fence).group()
    answer = f"Plan: tile it.\n{fence}\n{KERNEL}{close}\nAPPLIED: K2, seed-x\nSUMMARY: bigger tiles\n"
    got = parse_answer(answer, "add_custom")
    assert got.source == KERNEL and got.cited == ("K2", "seed-x") and got.summary == "bigger tiles"


def test_answer_metadata_is_parsed_tolerantly() -> None:
    body = f"```cpp\n{KERNEL}```\n"
    assert parse_answer(body + "**Applied:** [K1], `K3`", "add_custom").cited == ("K1", "K3")
    assert parse_answer(body + "APPLIED: none", "add_custom").cited == ()
    assert parse_answer(body + '```json\n{"applied": ["K4", "K5"]}\n```', "add_custom").cited == ("K4", "K5")
    assert parse_answer(body, "add_custom").cited == ()
    with pytest.raises(ParseError, match=r"no ```cpp code block \(only blocks in python\)"):
        parse_answer("```python\nprint(1)\n```", "add_custom")
    with pytest.raises(TruncatedAnswer, match="never closed"):
        parse_answer(f"```cpp\n{KERNEL[:40]}", "add_custom")
    with pytest.raises(TruncatedAnswer, match="max_tokens"):
        parse_answer(f"```cpp\n{KERNEL}", "add_custom", finish_reason="length")
    # A complete kernel before the cut is usable even when the answer ran out afterwards.
    assert parse_answer(f"```cpp\n{KERNEL}```\nAPPLIED: K", "add_custom", finish_reason="length").source == KERNEL


def test_normalised_duplicates_ignore_comments_and_layout_only() -> None:
    a = "// v1\nint f(int a) {\n  return a + 1; /* add */\n}\n"
    b = "int f(int a){return a+1;}  // reformatted"
    assert normalized_hash(a) == normalized_hash(b)
    assert normalized_hash(a) != normalized_hash(a.replace("+ 1", "+ 2"))
    assert normalized_hash('char* s = "a  b";') != normalized_hash('char* s = "a b";')
    # Directives for the agent live in comments and change what runs.
    assert normalized_hash("// hawk-null: run_s=0.1\n") != normalized_hash("// hawk-null: run_s=0.2\n")


@pytest.mark.parametrize(("source", "tokens"), [
    # Stores keep these hashes across resumed campaigns: the exact token text is pinned, with and without a
    # comment in the source (two paths through the tokenizer).
    ("x = a--b - -c;", "x = a -- b - - c ;"),
    ("x = a--b - -c; // c", "x = a -- b - - c ;"),
    ('s = "// not /* a comment";', 's = "// not /* a comment" ;'),
    ('s = "a\\\nb"; /* c */ t = \'/\';', 's = "a\\\nb" ; t = \'/\' ;'),
    ("n = 1'000'000;", "n = 1 '000' 000 ;"),
    ("a/**/b//c\nd /= e", "a b d /= e"),
    ("//   hawk-null:   run_s=0.1   \nk();", "// hawk-null: run_s=0.1 k ( ) ;"),
    ('u = "open\nv;', 'u = " open v ;'),
    ("p->q::r <<= 2 && s", "p -> q :: r <<= 2 && s"),
    ("/* never closed", ""),
])
def test_normalised_tokens_are_pinned(source: str, tokens: str) -> None:
    assert normalized_source(source) == tokens


def test_store_refuses_a_recommented_kernel(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    cid = store.create_campaign("t", "", "ascend910b2")
    assert store.add_candidate(cid, "t", "h", 0, "int x = 1;\n", "a", "llm") is not None
    assert store.add_candidate(cid, "t", "h", 0, "// same\nint  x=1;", "b", "llm") is None
    assert store.add_candidate(cid, "t", "h", 0, "int x = 2;\n", "c", "llm") is not None


def test_citations_are_confirmed_against_the_diff() -> None:
    before = "pipe.InitBuffer(q, 1, 65536);\nAdd(z, x, y, n);\n"
    after = "// InitBuffer halved\npipe.InitBuffer(q, 2, 32768);\nAdd(z, x, y, n);\n"
    snippets = [KnowledgeSnippet("ub", "UB", "fit", apis=("InitBuffer",)),
                KnowledgeSnippet("rep", "repeat", "255", apis=("Add",)),
                KnowledgeSnippet("tpl", "tmpl", "x", template="@@ -1 +1 @@\n-a\n+pipe.InitBuffer(q, 2, 32768);")]
    used, unconfirmed, why = confirm_applied(("K1", "K2", "tpl", "K9"), snippets, before, after)
    assert used == ["ub", "tpl"] and unconfirmed == ["rep", "K9"]
    assert why == {"ub": "changed lines use InitBuffer", "tpl": "a template line was added"}


def _ctx(task_file: Path, history=None) -> ProposalContext:
    (task,) = load_task_file(task_file)
    return ProposalContext(task=task, hardware="ascend910b2", round=0, history=history or [], best=None,
                           baseline=None, rng=random.Random(1))


def test_truncated_answer_is_asked_again_shorter(tmp_path: Path) -> None:
    task_file = write_null_task(tmp_path)
    answers = [{"content": "Long story...\n```cpp\n// k(\n// hawk-null: run_s=0.01\nint a", "finish_reason": "length"},
               "```cpp\n// k(\n// hawk-null: run_s=0.01\n```\nAPPLIED: none"]

    with FakeOpenAIServer(lambda req: answers[len(srv.requests) - 1]) as srv:
        proposer = LLMProposer(LLMClient(LLMSettings(base_url=srv.base_url, model="m")), "ascend910b2")
        out = proposer.propose(_ctx(task_file), 1)
    assert [p.source for p in out.proposals] == ["// k(\n// hawk-null: run_s=0.01\n"] and not out.failures
    assert out.proposals[0].params["requests"] == 2
    again = srv.requests[1]["messages"]
    assert [m["role"] for m in again] == ["system", "user", "assistant", "user"] and again[-1]["content"] == SHORTEN
    assert again[2]["content"].startswith("Long story")


def test_answers_cut_off_every_time_become_a_recorded_failure_with_the_answer(tmp_path: Path) -> None:
    task_file = write_null_task(tmp_path)
    with FakeOpenAIServer(lambda req: "```cpp\n// k(\nint partial") as srv:
        proposer = LLMProposer(LLMClient(LLMSettings(base_url=srv.base_url, model="m")), "ascend910b2")
        out = proposer.propose(_ctx(task_file), 1)
    assert not out.proposals and len(srv.requests) == 3
    (f,) = out.failures
    assert "cut off" in f.reason and f.answer == "```cpp\n// k(\nint partial" and f.params["truncated"]


async def _campaign(store: ResultsStore, spec_text: str, task_file: Path, srv: FakeOpenAIServer,
                    address: str) -> str:
    spec = parse_spec(spec_text.replace("BASE_URL", srv.base_url))
    conns = AgentConnections()
    sched = Scheduler(conns.evaluate, conns.get_info)
    await sched.add_static_agent(address)
    runner = CampaignRunner(spec, store, sched, load_task_file(task_file),
                            {"llm": LLMProposer(LLMClient(spec.llm), spec.hardware)})
    cid = runner.create()
    await runner.run(cid)
    await conns.close()
    return cid


SPEC = """
name = "t"
tasks = ["nullsearch"]
[budget]
rounds = ROUNDS
candidates_per_round = 1
[proposers]
llm = 1
[llm]
base_url = "BASE_URL"
model = "m"
[agents]
addresses = ["127.0.0.1:1"]
"""


def test_a_round_of_duplicates_asks_again(tmp_path: Path) -> None:
    """Round 1's answers repeat round 0's kernel (re-commented): re-asked, recorded, then a new kernel comes."""
    task_file = write_null_task(tmp_path)
    first = "```cpp\n// k(\n// hawk-null: run_s=0.02\n```\nAPPLIED: none"
    same = "```cpp\n// k( the same kernel, new comment\n\n// hawk-null:  run_s=0.02\n```"
    new = "```cpp\n// k(\n// hawk-null: run_s=0.01\n```"

    def reply(req: dict) -> str:
        n = len(srv.requests)
        return first if n == 1 else same if n <= 4 else new

    store = ResultsStore(tmp_path / "r.sqlite")
    with FakeOpenAIServer(reply) as srv, Agent(AgentConfig(backend="null", devices=1)) as agent:
        cid = asyncio.run(_campaign(store, SPEC.replace("ROUNDS", "2"), task_file, srv, agent.address))
    llm = [c for c in store.candidates(cid) if c.proposer == "llm"]
    assert [c.round for c in llm] == [0, 1] and "run_s=0.01" in llm[1].source
    (dup,) = store.proposal_failures(cid)
    assert dup["round"] == 1 and dup["reason"].startswith("duplicate: 3 answers") and dup["answer"] == same
    assert srv.requests[2]["messages"][-1]["content"] == DIFFERENT
    assert len(srv.requests) == 5
    assert store.campaign(cid)["state"] == "finished"


def test_unusable_answers_are_recorded_and_fail_the_campaign(tmp_path: Path) -> None:
    task_file = write_null_task(tmp_path)
    store = ResultsStore(tmp_path / "r.sqlite")
    with FakeOpenAIServer(lambda req: "I would rather not write kernels today.") as srv, \
            Agent(AgentConfig(backend="null", devices=1)) as agent:
        cid = asyncio.run(_campaign(store, SPEC.replace("ROUNDS", "2"), task_file, srv, agent.address))
    failures = store.proposal_failures(cid)
    assert len(failures) == len(srv.requests) == 6   # 2 rounds x (1 ask + 2 asks again), every answer kept
    assert all(f["answer"] == "I would rather not write kernels today." for f in failures)
    row = store.campaign(cid)
    assert row["state"] == "failed"
    assert row["reason"] == ("nothing evaluated besides the baselines: no LLM answer contained a kernel: 6 answers, "
                             "last: the answer has no ```cpp code block")
    from controller.report import summary_text, write_html

    assert "proposal failures: 6" in summary_text(store, cid)
    page = write_html(store, cid, tmp_path / "r.html").read_text()
    assert "Proposal failures" in page and page.count("I would rather not write kernels today.") == 6


CLI_SPEC = """
name = "cli-llm"
tasks = ["tasks.toml"]
output_dir = "out"
[budget]
rounds = 1
candidates_per_round = 2
[proposers]
llm = 1
[llm]
base_url = "BASE_URL"
model = "m"
[agents]
local = 1
local_devices = 1
local_backend = "null"
"""


def test_cli_exits_non_zero_naming_the_reason(tmp_path: Path) -> None:
    write_null_task(tmp_path)
    with FakeOpenAIServer(lambda req: "Sorry, no code.") as srv:
        (tmp_path / "spec.toml").write_text(CLI_SPEC.replace("BASE_URL", srv.base_url))
        run = subprocess.run([sys.executable, "-m", "controller.cli", "campaign", "run", "spec.toml", "--quiet"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=300,
                             env={**__import__("os").environ, "HAWK_HOME": str(tmp_path / "home")})
    assert run.returncode != 0, run.stdout[-2000:]
    assert "failed: nothing evaluated besides the baselines: no LLM answer contained a kernel" in run.stderr
    assert "proposal failures: 6" in run.stdout


def _history(tmp_path: Path) -> tuple[ResultsStore, str, list]:
    """A task's history in a real store: baseline, two passing kernels, an old failure, a fresh failure, and a
    failure already repaired by a passing child."""
    from hawk.v1 import result_pb2

    store = ResultsStore(tmp_path / "h.sqlite")
    cid = store.create_campaign("t", "", "ascend910b2")

    def add(round_: int, source: str, ok: bool, time_us: float = 0.0, proposer: str = "llm",
            parent: str | None = None, summary: str = "") -> str:
        c = store.add_candidate(cid, "nullsearch", "h", round_, source, normalized_hash(source), proposer,
                                parent_id=parent, params={"summary": summary} if summary else {})
        r = result_pb2.Result(status=result_pb2.OK if ok else result_pb2.HARDWARE_EXCEPTION,
                              message="" if ok else "UB_OUT_OF_BOUNDS at line 3")
        if ok:
            r.profile.time_us = time_us
        store.record_evaluation(c, r)
        return c

    add(-1, "base", True, 100.0, proposer="baseline")
    add(0, "fast", True, 50.0, summary="bigger tiles")
    add(0, "faster", True, 40.0, summary="double buffering")
    add(0, "old failure", False)
    repaired = add(2, "repaired failure", False)
    add(3, "its fix", True, 45.0, parent=repaired)
    add(3, "fresh failure", False, summary="tile 64k")
    evals = {e.candidate_id: e for e in store.evaluations(cid)}
    return store, cid, [(c, evals.get(c.id)) for c in store.candidates(cid)]


def test_parents_mix_the_best_kernels_with_recent_failures_and_prompts_vary(tmp_path: Path) -> None:
    store, cid, history = _history(tmp_path)
    (task,) = load_task_file(write_null_task(tmp_path))
    best = next((c, e) for c, e in history if c.source == "faster")
    ctx = ProposalContext(task=task, hardware="ascend910b2", round=4, history=history, best=best,
                          baseline=history[0], rng=random.Random(3))
    slots = LLMProposer.slots(ctx, 4)
    # ceil(4 / 3) repair samples, both on the one failure not yet repaired (the old one is out of date), each
    # with its own focus; the rest improve the fastest kernels in turn.
    assert [s.parent[0].source for s in slots] == ["fresh failure", "fresh failure", "faster", "its fix"]
    assert [s.repair for s in slots] == [True, True, False, False]
    assert len({s.focus for s in slots}) == 4
    # Before anything passed every sample repairs; with nothing evaluated, all start from the baseline text.
    failing = [(c, e) for c, e in history if c.source in ("old failure", "fresh failure")]
    only_failures = ProposalContext(task=task, hardware="ascend910b2", round=1, history=failing, best=None,
                                    baseline=None, rng=random.Random(3))
    assert all(s.repair for s in LLMProposer.slots(only_failures, 3))
    assert [s.parent for s in LLMProposer.slots(ProposalContext(
        task=task, hardware="ascend910b2", round=0, history=[], best=None, baseline=None,
        rng=random.Random(3)), 2)] == [None, None]

    prompts: list[str] = []

    def reply(req: dict) -> str:
        prompts.append(req["messages"][1]["content"])
        return f"```cpp\n// k(\n// hawk-null: run_s=0.00{len(prompts)}\n```\nAPPLIED: none"

    with FakeOpenAIServer(reply) as srv:
        out = LLMProposer(LLMClient(LLMSettings(base_url=srv.base_url, model="m")), "ascend910b2").propose(ctx, 4)
    assert len(out.proposals) == 4 and len(set(prompts)) == 4
    repair = next(p for p in prompts if "## The kernel to repair" in p)
    assert "fresh failure" in repair and "FAILED" in repair
    # What was tried lately, with its change summary, status and time, is in every prompt.
    for p in prompts:
        assert "## Already tried" in p and "double buffering -> OK 40.00 us" in p
        assert "tile 64k -> HARDWARE_EXCEPTION: UB_OUT_OF_BOUNDS at line 3" in p
    assert {p.params["parent_role"] for p in out.proposals} == {"repair", "improve"}


def test_a_cited_transformation_is_confirmed_by_its_parameter_changing() -> None:
    """An entry with an executable template (Entry.transform) is applied when the diff moves its parameter."""
    from knowledge import transforms

    before = (Path(__file__).resolve().parents[2] / "tasks/kernels/add_fp16_small/baseline.cpp").read_text()
    deeper = transforms.apply(before, "queue_depth", {"depth": 2})
    tiled = transforms.apply(before, "tile", {"tile": 2048})
    snippets = [KnowledgeSnippet("dbuf", "double buffer", "overlap", transform={"name": "queue_depth",
                                                                                 "values": {"depth": "up"}}),
                KnowledgeSnippet("tile", "tile", "size", transform={"name": "tile", "values": {"tile": "down"}})]
    used, unconfirmed, why = confirm_applied(("K1", "K2"), snippets, before, deeper)
    assert used == ["dbuf"] and unconfirmed == ["tile"] and why == {"dbuf": "transform queue_depth changed"}
    used, unconfirmed, _ = confirm_applied(("K1", "K2"), snippets, before, tiled)
    assert used == ["tile"] and unconfirmed == ["dbuf"]


def test_a_store_from_before_normalised_duplicates_gets_the_key_filled_in(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    store = ResultsStore(path)
    cid = store.create_campaign("t", "", "ascend910b2")
    store.add_candidate(cid, "t", "h", 0, "int x = 1;\n", "a", "llm")
    store.close()
    with sqlite3.connect(path) as db:  # the schema as it was: no norm_hash column
        db.execute("DROP INDEX candidates_by_norm")
        db.execute("ALTER TABLE candidates DROP COLUMN norm_hash")
    store = ResultsStore(path)
    assert store.add_candidate(cid, "t", "h", 1, "int x=1; // again", "b", "llm") is None
    assert store.has_normalized(cid, "t", "int  x = 1;")


def test_stored_failures_never_hold_a_known_secret(tmp_path: Path) -> None:
    from npu_agent import secrets

    secrets.register("sk-test-very-secret-token-123456")
    try:
        store = ResultsStore(tmp_path / "r.sqlite")
        cid = store.create_campaign("t", "", "ascend910b2")
        store.add_proposal_failure(cid, "t", 0, "llm", "401: bad key sk-test-very-secret-token-123456",
                                   answer="my key is sk-test-very-secret-token-123456")
        (f,) = store.proposal_failures(cid)
        assert "sk-test-very-secret-token-123456" not in f["reason"] + f["answer"]
    finally:
        secrets.clear()
