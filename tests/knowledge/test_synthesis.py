"""Run-time synthesis from real hawk.v1 results: pending entries, verified fixes, rule and LLM rationales."""

from __future__ import annotations

import json
from pathlib import Path

from hawk.v1 import result_pb2
from knowledge.base import KnowledgeBase
from knowledge.llm import LLMConfig
from knowledge.observation import Observation
from tests.knowledge.helpers import compile_error, kernel, observe, ok, ub_overflow, wrong_tail
from tests.support.openai_server import FakeOpenAIServer

SOFTMAX = "no member named 'Softmax' in namespace 'AscendC'"


def _synth(kb: KnowledgeBase):
    return [e for e in kb.entries(states=("active", "trial", "pending", "deleted")) if e.origin == "synthesis"]


def test_observation_view_of_results() -> None:
    hx = observe(ub_overflow("ev1", line=11), kernel(tile=40000), candidate_id="c1", parent_id="c0")
    assert (hx.status, hx.error_class, hx.error_api, hx.error_line, hx.error_code) == (
        "HARDWARE_EXCEPTION", "UB_OUT_OF_BOUNDS", "InitBuffer", 11, "507035")
    assert hx.dtypes == ["float16"] and hx.category == "elementwise" and hx.task == "add"
    assert "  11> " in hx.line_context() and "InitBuffer(inQueueX" in hx.line_context()
    ce = observe(compile_error("ev2", SOFTMAX), kernel(op="Softmax"))
    assert ce.error_class == "UNKNOWN_API" and ce.error_signature == "no member named <id> in namespace <id>"
    assert observe(wrong_tail("ev3"), kernel()).error_class == "TAIL_MISMATCH"
    good = observe(ok("ev4", 120.0, floor=0.8, block_dim=24), kernel())
    assert good.passed and good.error_class == "" and good.core_use == 0.5 and good.buffer_use == 98304 / 196352
    assert good.pipes["MTE2"] == 0.6 and good.bottleneck == "LATENCY_BOUND:MTE2"
    slow = observe(ok("ev5", 400.0, floor=0.2), kernel())
    assert slow.error_class == "SLOW:LATENCY_BOUND:MTE2"
    o = good.outcome_vs(slow)
    assert o.passed and o.parent_passed and o.speedup == 400.0 / 120.0 and o.parent_evaluation_id == "ev5"


def test_a_failure_without_a_fix_is_kept_as_one_pending_entry(empty_kb: KnowledgeBase) -> None:
    kb = empty_kb
    first = observe(compile_error("ev1", SOFTMAX), kernel(op="Softmax"))
    [eid] = kb.observe(first)
    e = kb.get(eid)
    assert e.state == "pending" and e.template == "" and e.kind == "fix" and e.origin == "synthesis"
    assert e.trigger.error_class == "UNKNOWN_API" and e.trigger.apis == ["Softmax"] and e.trigger.status == "COMPILE_ERROR"
    assert "does not exist in Ascend C" in e.rationale and "'Softmax' does not exist" in e.rationale
    assert e.rationale_by == "rule" and e.hardware == "ascend910b2"
    # Seen again in another evaluation: the same entry, one more provenance record.
    again = observe(compile_error("ev2", SOFTMAX.replace("Softmax", "Softmax")), kernel(op="Softmax", tile=2048))
    assert kb.observe(again) == [eid]
    assert [p["evaluation_id"] for p in kb.get(eid).provenance] == ["ev1", "ev2"]
    assert kb.observe(again) == [eid] and kb.get(eid).version == 2  # same evaluation again: no new version
    # Another hallucinated API is another situation.
    other = observe(compile_error("ev3", "no member named 'Sum' in namespace 'AscendC'"), kernel(op="Sum"))
    assert kb.observe(other) != [eid]
    # Not the kernel's fault: nothing to learn.
    assert kb.observe(Observation.from_result(result_pb2.Result(status=result_pb2.INTERNAL), kernel())) == []


def test_a_verified_fix_promotes_the_pending_entry_with_the_diff_as_template(empty_kb: KnowledgeBase) -> None:
    kb = empty_kb
    failed = observe(ub_overflow("ev1"), kernel(tile=40000))
    [pending_id] = kb.observe(failed)
    fixed = observe(ok("ev2", 150.0), kernel(tile=8192))
    assert kb.observe(fixed, parent=failed) == [pending_id]
    e = kb.get(pending_id)
    assert e.state == "trial" and e.kind == "fix" and e.key.startswith("fix:")  # active after one more verified use
    assert "-constexpr uint32_t TILE_LENGTH = 40000;" in e.template
    assert "+constexpr uint32_t TILE_LENGTH = 8192;" in e.template and e.template.startswith("@@")
    assert "196608 bytes" in e.rationale and "Shrink the tile length" in e.rationale
    assert [(p["role"], p["evaluation_id"]) for p in e.provenance] == [("failed", "ev1"), ("fixed", "ev2")]
    assert [h["reason"] for h in kb.history(pending_id)] == ["failure observed in ev1",
                                                             "verified fix ev2 of ev1"]
    # The same change verified again: the same entry, more provenance.
    failed2 = observe(ub_overflow("ev3"), kernel(tile=40000))
    assert kb.observe(failed2) == []  # a fix is known: no new pending entry
    assert kb.synthesize(failed2, observe(ok("ev4", 151.0), kernel(tile=8192))).id == pending_id
    assert [p["evaluation_id"] for p in kb.get(pending_id).provenance][-2:] == ["ev3", "ev4"]
    # A different fix of the same failure is a second entry.
    other = kb.synthesize(failed2, observe(ok("ev5", 160.0), kernel(tile=4096)))
    assert other is not None and other.id != pending_id and other.state == "trial"
    assert len(_synth(kb)) == 2


def test_fix_without_a_pending_entry_and_non_fixes(empty_kb: KnowledgeBase) -> None:
    kb = empty_kb
    failed = observe(wrong_tail("ev1"), kernel(tile=4001))
    fixed = observe(ok("ev2", 90.0), kernel(tile=4000))
    e = kb.synthesize(failed, fixed)
    assert e is not None and e.trigger.error_class == "TAIL_MISMATCH" and "DataCopyPad" in e.rationale
    assert kb.synthesize(failed, observe(wrong_tail("ev3"), kernel(tile=4002))) is None  # still failing
    assert kb.synthesize(failed, observe(ok("ev4", 90.0), kernel(tile=4001))) is None     # no change at all


def test_a_slow_kernel_made_faster_yields_an_optimization(empty_kb: KnowledgeBase) -> None:
    kb = empty_kb
    slow = observe(ok("ev1", 300.0, floor=0.3), kernel(buffer_num=1))
    [pending] = kb.observe(slow)
    assert kb.get(pending).kind == "optimization" and kb.get(pending).trigger.bottleneck == "LATENCY_BOUND:MTE2"
    assert kb.observe(observe(ok("ev2", 299.0), kernel(buffer_num=2)), parent=slow) == []  # within the noise
    faster = observe(ok("ev3", 180.0, floor=0.55), kernel(buffer_num=2, tile=2048))
    changed = kb.observe(faster, parent=slow)
    assert pending in changed
    e = kb.get(pending)
    assert e.state == "trial" and e.kind == "optimization" and e.title == "Speed-up under LATENCY_BOUND:MTE2 (1.67x)"
    assert "Double-buffer" in e.rationale and "+constexpr int32_t BUFFER_NUM = 2;" in e.template
    # Passing parent that was not slow: only a speed-up beyond the twin's noise band (11 %) counts.
    fine = observe(ok("ev4", 100.0, floor=0.9), kernel(tile=1024))
    assert kb.synthesize(fine, observe(ok("ev5", 98.0), kernel(tile=2048))) is None
    quick = kb.synthesize(fine, observe(ok("ev6", 80.0), kernel(tile=4096)))
    assert quick is not None and quick.trigger.error_class == "SLOW:LATENCY_BOUND:MTE2"


def test_with_an_llm_the_rationale_comes_from_the_error_context_and_diff(tmp_path: Path) -> None:
    def reply(req: dict) -> str:
        return 'Sure:\n```json\n{"title": "Keep the UB pool under 192 KiB", "rationale": "Tiles x buffers must fit."}\n```'

    with FakeOpenAIServer(reply) as srv:
        kb = KnowledgeBase(tmp_path / "k.sqlite", llm=LLMConfig(base_url=srv.base_url, model="kb-model"), seed=False)
        failed = observe(ub_overflow("ev1"), kernel(tile=40000))
        e = kb.synthesize(failed, observe(ok("ev2", 150.0), kernel(tile=8192)))
        assert e.title == "Keep the UB pool under 192 KiB" and e.rationale == "Tiles x buffers must fit."
        assert e.rationale_by == "llm:kb-model"
        [req] = srv.requests
        user = req["messages"][1]["content"]
        assert req["model"] == "kb-model" and "UB_OUT_OF_BOUNDS at line 11 (InitBuffer)" in user
        assert "+constexpr uint32_t TILE_LENGTH = 8192;" in user and "ub address out of bounds" in user
        assert "Hardware: ascend910b2 (UB 196608 B" in user


def test_an_llm_that_answers_nonsense_falls_back_to_the_rules(tmp_path: Path) -> None:
    answers = iter(["I think you should shrink the tile.", json.dumps({"title": "", "rationale": "x"})])
    with FakeOpenAIServer(lambda req: next(answers)) as srv:
        kb = KnowledgeBase(tmp_path / "k.sqlite", llm=LLMConfig(base_url=srv.base_url, model="m", max_retries=0),
                           seed=False)
        failed = observe(ub_overflow("ev1"), kernel(tile=40000))
        e = kb.synthesize(failed, observe(ok("ev2", 150.0), kernel(tile=8192)))
        assert e.rationale_by.startswith("rule (llm failed: answer has no JSON object")
        assert "196608 bytes" in e.rationale
        e2 = kb.synthesize(failed, observe(ok("ev3", 150.0), kernel(tile=4096)))
        assert "lacks a non-empty 'title'" in e2.rationale_by
    # The endpoint is gone altogether: still a rule rationale, and the entry is stored.
    kb = KnowledgeBase(tmp_path / "k.sqlite", llm=LLMConfig(base_url=srv.base_url, model="m", max_retries=0,
                                                             timeout_s=5), seed=False)
    e3 = kb.synthesize(failed, observe(ok("ev4", 150.0), kernel(tile=2048)))
    assert e3 is not None and e3.rationale_by.startswith("rule (llm failed: ") and "APIConnectionError" in e3.rationale_by
