"""The HTML report of a real small campaign, rendered in headless Chromium and inspected as a reader would see it.

The campaign is real: a null-backend agent over gRPC, the scheduler, the offline proposer and the LLM proposer
(against the loopback OpenAI-compatible server, the one allowed stand-in) with the knowledge store on, results in
SQLite; some answers fail to compile, some crash, so every view has data. The page is then opened from its file in
Debian's Chromium (CDP over a pipe, tests/support/chromium.py) at laptop and desktop sizes and checked: no console
error and no request but the file itself, every required section, every chart drawn (marks with a size, x ticks,
full legends inside their chart), titles above their charts and nothing overlapping, a 0-100% pass-rate axis, no
horizontal scrolling. Skips only when Chromium is not installed; HAWK_REQUIRE_CHROMIUM=1 (set by .ci/run after
installing it) makes that a failure.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest

from controller.agent_rpc import AgentConnections
from controller.campaign import CampaignRunner
from controller.knowledge_client import CampaignKnowledge
from controller.llm import LLMClient
from controller.proposers import LLMProposer, OfflineProposer
from controller.report import write_html
from controller.scheduler import Scheduler
from controller.spec import parse_spec
from controller.store import ResultsStore
from knowledge.base import KnowledgeBase
from npu_agent.server import Agent, AgentConfig
from npu_agent.taskspec import load_task_file
from tests.support.chromium import Chromium, find_chromium
from tests.support.null_task import TASKS, write_null_task
from tests.support.openai_server import FakeOpenAIServer

LONG = "add_fp16_with_a_long_task_name"  # the old report clipped legends to "add_fp1"
SECTIONS = ["summary", "search", "rounds", "best", "errors", "knowledge", "spend", "failures"]
SIZES = [(1366, 768), (1920, 1080)]

SPEC = """
name = "browser"
tasks = ["tasks.toml"]
seed = 3
[budget]
rounds = 3
candidates_per_round = 4
[proposers]
offline = 1
llm = 1
[llm]
base_url = "BASE_URL"
model = "m"
price_per_1k_prompt_usd = 0.5
price_per_1k_completion_usd = 1.5
[knowledge]
enabled = true
db = "KB"
[agents]
addresses = ["127.0.0.1:1"]
"""


def _chromium() -> str:
    exe = find_chromium()
    if exe is None:
        reason = ("Chromium is not installed (Debian package `chromium`; .ci/run installs it as root): "
                  "the report's browser test cannot run")
        if os.environ.get("HAWK_REQUIRE_CHROMIUM") == "1":
            pytest.fail(reason + ", and HAWK_REQUIRE_CHROMIUM=1 requires it")
        pytest.skip(reason)
    return exe


def _answer(n: int) -> str:
    """The LLM's n-th answer: every fourth does not compile (the diagnostic names its line), every fifth crashes,
    the rest pass a little faster each time; each cites the first two entries it was shown, whose APIs the new
    lines use, so the knowledge store credits them."""
    fail = " fail=compile" if n % 4 == 1 else " fail=run" if n % 5 == 2 else ""
    run_s = max(0.002, 0.045 - 0.003 * n)
    return (f"Plan: retile.\n```cpp\n// k(\npipe.InitBuffer(inQueueX, BUFFER_NUM, {512 * n} * sizeof(half));\n"
            f"uint32_t blocks = GetBlockNum();\n// hawk-null: run_s={run_s:.3f} variant=llm{n}{fail}\n```\n"
            "APPLIED: K1, K2\nSUMMARY: retiled\n")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ResultsStore, str]:
    _chromium()
    tmp = tmp_path_factory.mktemp("report")
    two_tasks = TASKS + TASKS.replace('name = "nullsearch"', f'name = "{LONG}"')
    task_file = write_null_task(tmp, tasks=two_tasks)
    store = ResultsStore(tmp / "results.sqlite")

    async def run(srv: FakeOpenAIServer, address: str) -> str:
        spec = parse_spec(SPEC.replace("BASE_URL", srv.base_url).replace("KB", str(tmp / "kb.sqlite")),
                          base_dir=tmp)
        conns = AgentConnections()
        sched = Scheduler(conns.evaluate, conns.get_info)
        await sched.add_static_agent(address)
        kb = CampaignKnowledge(KnowledgeBase(tmp / "kb.sqlite"), spec.hardware)
        runner = CampaignRunner(spec, store, sched, load_task_file(task_file),
                                {"offline": OfflineProposer(), "llm": LLMProposer(LLMClient(spec.llm), spec.hardware)},
                                knowledge=kb, knowledge_sink=kb)
        cid = runner.create()
        await runner.run(cid)
        await conns.close()
        return cid

    with FakeOpenAIServer(lambda req: _answer(len(srv.requests))) as srv, \
            Agent(AgentConfig(backend="null", devices=2)) as agent:
        cid = asyncio.run(run(srv, agent.address))
    return write_html(store, cid, tmp / "report.html"), store, cid


def test_the_campaign_behind_the_report_has_every_view_s_data(report: tuple[Path, ResultsStore, str]) -> None:
    _, store, cid = report
    counts = store.counts(cid)
    assert counts.get("OK", 0) > 4 and counts.get("COMPILE_ERROR", 0) >= 1 and counts.get("RUNTIME_ERROR", 0) >= 1
    assert any(c.knowledge_used for c in store.candidates(cid)), "no candidate applied a knowledge entry"
    assert sum(c.prompt_tokens for c in store.candidates(cid)) > 0


# What the page looks like to a reader, measured by the browser itself.
INSPECT = r"""
(() => {
  const box = el => { const r = el.getBoundingClientRect();
                      return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; };
  const cards = [...document.querySelectorAll('figure.card')].map(card => {
    const svg = card.querySelector('svg.plot');
    const marks = svg ? [...svg.querySelectorAll('[id*="-mark-"]')].filter(m => {
      const r = m.getBoundingClientRect(); return r.width + r.height > 0; }).length : 0;
    const text = sel => svg ? [...svg.querySelectorAll(sel)].map(t => t.textContent.trim()).filter(Boolean) : [];
    const legend = svg && svg.querySelector('[id$="-legend"]');
    const plotArea = svg && svg.querySelector('[id$="-axes_1"] > [id*="-patch_"]');
    const yLabels = svg ? [...svg.querySelectorAll('[id*="-ytick_"] text')].map(t => ({text: t.textContent, box: box(t)})) : [];
    return {title: card.querySelector('h3') ? card.querySelector('h3').textContent : null,
            titleBox: card.querySelector('h3') ? box(card.querySelector('h3')) : null,
            svgBox: svg ? box(svg) : null, marks,
            xticks: text('[id*="-xtick_"] text'), yticks: text('[id*="-ytick_"] text'),
            texts: svg ? [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
                           .map(t => ({text: t.textContent, box: box(t)})) : [],
            plotArea: plotArea ? box(plotArea) : null, yLabels,
            tips: svg ? [...svg.querySelectorAll('use > title')].map(t => t.textContent) : [],
            legend: legend ? {box: box(legend), text: [...legend.querySelectorAll('text')].map(t => t.textContent)}
                           : null};
  });
  const headings = [...document.querySelectorAll('h1, h2, h3')].map(h => ({text: h.textContent, box: box(h)}));
  const sections = Object.fromEntries([...document.querySelectorAll('main > section')].map(s => [s.id, {
    heading: s.querySelector('h2') ? s.querySelector('h2').textContent : '', text: s.innerText.length}]));
  return {cards, headings, sections, scrollWidth: document.documentElement.scrollWidth, innerWidth,
          errorRows: [...document.querySelectorAll('table.errors tbody tr')].map(r => r.innerText),
          errorLines: document.querySelectorAll('table.errors pre.src .hit').length,
          kbRows: [...document.querySelectorAll('table.kb tbody tr')].map(r => r.innerText),
          kernels: document.querySelectorAll('details.kernel').length,
          diffs: document.querySelectorAll('details.kernel pre.diff').length,
          scripts: document.querySelectorAll('script:not([type="application/json"])').length};
})()
"""


def _overlap(a: dict, b: dict) -> bool:
    return (min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"]) > 1
            and min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"]) > 1)


def _inside(inner: dict, outer: dict) -> bool:
    return (inner["x"] >= outer["x"] - 1 and inner["y"] >= outer["y"] - 1
            and inner["x"] + inner["w"] <= outer["x"] + outer["w"] + 1
            and inner["y"] + inner["h"] <= outer["y"] + outer["h"] + 1)


@pytest.mark.parametrize("width,height", SIZES)
def test_the_report_reads_well_in_chromium(report: tuple[Path, ResultsStore, str], width: int, height: int) -> None:
    path, store, cid = report
    with Chromium(_chromium()) as browser:
        browser.viewport(width, height)
        browser.open(path.as_uri())
        page = browser.eval(INSPECT)
        problems, requests = browser.problems(), browser.requests()
    assert problems == [], problems
    assert requests == [path.as_uri()], f"the report must need nothing but its own file: {requests}"
    assert page["scripts"] == 0, "the report is static: no JavaScript"
    assert page["scrollWidth"] <= page["innerWidth"], "the page scrolls sideways"

    # Every required section, with content.
    assert list(page["sections"]) == SECTIONS
    for sid, s in page["sections"].items():
        assert s["heading"] and s["text"] > len(s["heading"]) + 5, (sid, s)

    # Every chart drawn: a title above it, marks with a size, x ticks, a full legend inside the chart.
    cards = page["cards"]
    titles = [c["title"] for c in cards]
    expected = ["Best speedup per task", "Best speedup per round", "nullsearch: every candidate over time",
                f"{LONG}: every candidate over time", "Pass rate per round", "Outcomes per round",
                "Mean effect per entry applied", "LLM tokens per round"]
    for t in expected:
        assert t in titles, (t, titles)
    for c in cards:
        assert c["svgBox"] and c["svgBox"]["w"] > 250 and c["svgBox"]["h"] > 120, c
        assert c["marks"] >= 1, f"{c['title']}: nothing drawn"
        assert len(c["xticks"]) >= 2, f"{c['title']}: no x ticks ({c['xticks']})"
        t, s = c["titleBox"], c["svgBox"]
        assert t["y"] + t["h"] <= s["y"] + 1, f"{c['title']}: the title is not above its chart"
        assert min(t["x"] + t["w"], s["x"] + s["w"]) > max(t["x"], s["x"]), f"{c['title']}: title beside its chart"
        if c["legend"]:
            assert _inside(c["legend"]["box"], s), f"{c['title']}: legend clipped {c['legend']}"
        for i, a in enumerate(c["texts"]):  # tick labels, axis labels, bar labels, legend entries
            assert _inside(a["box"], s), f"{c['title']}: {a['text']!r} drawn outside its chart"
            for b in c["texts"][i + 1:]:
                assert not _overlap(a["box"], b["box"]), f"{c['title']}: {a['text']!r} overlaps {b['text']!r}"
    by_title = {c["title"]: c for c in cards}
    for t in ("Best speedup per round", "Pass rate per round"):
        assert any(x == LONG for x in by_title[t]["legend"]["text"]), by_title[t]["legend"]["text"]
    rate = by_title["Pass rate per round"]
    assert rate["yticks"][0] == "0%" and rate["yticks"][-1] == "100%", rate["yticks"]
    top = rate["yLabels"][-1]["box"]  # the axis ends at 100%: its label sits at the plot area's top edge
    assert abs(top["y"] + top["h"] / 2 - rate["plotArea"]["y"]) < 3, (top, rate["plotArea"])
    for task in ("nullsearch", LONG):  # every candidate is a point that names itself on hover
        tips = by_title[f"{task}: every candidate over time"]["tips"]
        ids = {c.id[-12:] for c in store.candidates(cid, task) if c.proposer != "baseline"}
        assert {t.split()[0] for t in tips} == ids and len(tips) == len(ids), tips
    legend = " ".join(by_title["nullsearch: every candidate over time"]["legend"]["text"])
    assert "baseline" in legend and re.search(r"OK \(\d+\)", legend) and "COMPILE_ERROR" in legend, legend

    # Nothing overlaps: headings and charts, charts and charts.
    boxes = [c["svgBox"] for c in cards]
    for h in page["headings"]:
        for c in cards:
            assert not _overlap(h["box"], c["svgBox"]), f"heading {h['text']!r} overlaps chart {c['title']!r}"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not _overlap(a, b), "two charts overlap"

    # The tables a kernel engineer reads.
    assert any("COMPILE_ERROR" in r and "line 4" in r for r in page["errorRows"]), page["errorRows"]
    assert any("RUNTIME_ERROR" in r for r in page["errorRows"]), page["errorRows"]
    assert page["errorLines"] >= 1, "no error points at its kernel line"
    assert page["kernels"] == 2 and page["diffs"] >= 2
    used = {e for c in store.candidates(cid) for e in c.knowledge_used}
    assert {r.split("\t")[0].strip() for r in page["kbRows"]} == used
