"""Effect-driven distillation: rule pruning and merging, LLM arbitration with stored prompts, the trigger."""

from __future__ import annotations

import json
from pathlib import Path

from knowledge.base import KnowledgeBase
from knowledge.distill import Distiller, DistillPolicy, similarity
from knowledge.llm import LLMConfig
from knowledge.model import Entry, Outcome, Trigger
from tests.support.openai_server import FakeOpenAIServer

FIX = "@@ -3,1 +3,1 @@\n-constexpr uint32_t TILE_LENGTH = 40000;\n+constexpr uint32_t TILE_LENGTH = 8192;"


def _fix(eid: str, template: str = FIX, **kw) -> Entry:
    return Entry(id=eid, title=kw.pop("title", "Fix for UB_OUT_OF_BOUNDS at InitBuffer"),
                 rationale=kw.pop("rationale", "The UB holds 196608 bytes; shrink the tile length."),
                 trigger=Trigger(error_class="UB_OUT_OF_BOUNDS", apis=kw.pop("apis", ["InitBuffer"]),
                                 error_signature="vec instruction error: the ub address out of bounds"),
                 template=template, kind="fix", hardware="ascend910b2", origin=kw.pop("origin", "synthesis"),
                 provenance=[{"role": "fixed", "evaluation_id": f"{eid}-ev"}], **kw)


def _credit(kb: KnowledgeBase, eid: str, outcomes: list[tuple[bool, bool | None]]) -> None:
    for i, (passed, parent_passed) in enumerate(outcomes):
        kb.record_effect([eid], Outcome(f"{eid}-use{i}", passed=passed, parent_passed=parent_passed))


def test_the_rule_prunes_only_reliably_negative_entries(empty_kb: KnowledgeBase) -> None:
    kb = empty_kb
    kb.add(_fix("harmful", template="+pipe.InitBuffer(inQueueX, 1, 65536);"))
    kb.add(_fix("noisy", template="+constexpr int32_t BUFFER_NUM = 1;", apis=["Add"]))
    kb.add(_fix("young", template="+AscendC::DataCopyPad(xLocal, xGm, params, pad);", apis=["Mul"]))
    kb.add(_fix("seeded", template="+uint32_t tileLength = blockLength / tileNum;", apis=["Exp"], origin="seed"))
    _credit(kb, "harmful", [(False, True)] * 5 + [(True, True)])             # mean -5/6
    _credit(kb, "noisy", [(False, True), (True, False)] * 3)                  # mean 0, wide
    _credit(kb, "young", [(False, True)] * 4)                                 # too few uses
    _credit(kb, "seeded", [(False, True)] * 6)
    report = kb.distill()
    assert report.pruned == ["harmful"] and sorted(report.kept) == ["seeded"] and report.merged == []
    h = kb.get("harmful")
    assert h.state == "deleted" and h.deleted_reason.startswith("pruned by rule: reliably negative: mean effect -0.83")
    assert {e.id for e in kb.entries()} == {"noisy", "young", "seeded"}
    [keep, prune] = sorted(kb.decisions(), key=lambda d: d.action)
    assert (prune.action, prune.entry_ids, prune.by) == ("prune", ("harmful",), "rule")
    assert keep.entry_ids == ("seeded",) and "documented hardware fact" in keep.reason
    assert kb.stats()["last_distill"] != ""


def test_near_duplicates_merge_into_the_better_entry_and_keep_their_effects(empty_kb: KnowledgeBase) -> None:
    kb = empty_kb
    kb.add(_fix("a"))
    kb.add(_fix("b", rationale="The UB holds 196608 bytes; shrink the tile length now.", apis=["InitBuffer", "TQue"]))
    kb.add(_fix("other", template="+AscendC::DataCopyPad(x, y, p, q);", title="Pad the tail",
                rationale="DataCopy drops an unaligned tail."))
    assert similarity(kb.get("a"), kb.get("b")) > 0.75 > similarity(kb.get("a"), kb.get("other"))
    _credit(kb, "a", [(True, False)])
    _credit(kb, "b", [(True, False), (True, False)])
    kb.record_effect(["a", "b"], Outcome("shared-ev", passed=True, parent_passed=False))
    report = kb.distill()
    assert report.merged == [("b", "a")] and report.pruned == []
    a, b = kb.get("a"), kb.get("b")
    assert a.state == "deleted" and a.merged_into == "b" and a.deleted_reason.startswith("merged into b by rule")
    assert b.stats.uses == 4  # its 3 + a's 2, the evaluation both used counted once
    assert {p["evaluation_id"] for p in b.provenance} == {"a-ev", "b-ev"} and b.trigger.apis == ["InitBuffer", "TQue"]
    assert kb.history("b")[-1]["reason"].startswith("merged a (near-duplicates (similarity")
    assert kb.get("other").state == "active"
    assert kb.distill().merged == []  # nothing left to do


def test_llm_arbitration_is_asked_recorded_and_remembered(tmp_path: Path) -> None:
    def reply(req: dict) -> str:
        system, user = req["messages"][0]["content"], req["messages"][1]["content"]
        if "pruned, or kept" in system:
            verdict = "prune" if "id: harmful" in user else "keep"
            return json.dumps({"decision": verdict, "reason": f"{verdict} per test policy"})
        return json.dumps({"decision": "merge", "keep": "a", "rationale": "Merged: keep UB use under 192 KiB.",
                           "reason": "same constraint"})

    with FakeOpenAIServer(reply) as srv:
        kb = KnowledgeBase(tmp_path / "k.sqlite", llm=LLMConfig(base_url=srv.base_url, model="judge"), seed=False)
        kb.add(_fix("harmful", template="+pipe.InitBuffer(inQueueX, 1, 65536);"))
        kb.add(_fix("doubtful", template="+constexpr int32_t BUFFER_NUM = 1;", apis=["Add"]))
        kb.add(_fix("a"))
        kb.add(_fix("b", rationale="The UB holds 196608 bytes; shrink the tile length now."))
        _credit(kb, "harmful", [(False, True)] * 6)
        _credit(kb, "doubtful", [(False, True)] * 6)
        report = kb.distill()
        assert report.pruned == ["harmful"] and report.kept == ["doubtful"] and report.merged == [("a", "b")]
        assert kb.get("a").rationale == "Merged: keep UB use under 192 KiB." and kb.get("a").rationale_by == "llm:judge"
        decisions = {d.action: d for d in kb.decisions()}
        assert set(decisions) == {"prune", "keep", "merge"}
        for d in decisions.values():
            assert d.by == "llm:judge" and d.prompt and json.loads(d.response)["decision"] and d.basis
        assert "id: harmful" in decisions["prune"].prompt and "mean_effect=-1.000" in decisions["prune"].prompt
        assert "Entry A:" in decisions["merge"].prompt and decisions["merge"].reason == "same constraint"
        asked = len(srv.requests)
        assert asked == 3
        kb.distill()  # "doubtful" was kept on the same basis: not asked again
        assert len(srv.requests) == asked
        kb.record_effect(["doubtful"], Outcome("doubtful-late", passed=False, parent_passed=True))  # basis moved
        kb.distill()
        assert len(srv.requests) == asked + 1


def test_llm_failure_falls_back_to_the_rule_and_says_so(tmp_path: Path) -> None:
    with FakeOpenAIServer(lambda req: (500, {"error": {"message": "down"}})) as srv:
        kb = KnowledgeBase(tmp_path / "k.sqlite", llm=LLMConfig(base_url=srv.base_url, model="m", max_retries=0),
                           seed=False)
        kb.add(_fix("harmful", template="+pipe.InitBuffer(inQueueX, 1, 65536);"))
        _credit(kb, "harmful", [(False, True)] * 6)
        report = kb.distill()
    assert report.pruned == ["harmful"]
    assert kb.decisions()[0].by.startswith("rule (llm failed: ") and "InternalServerError" in kb.decisions()[0].by


def test_distillation_runs_by_itself_every_n_effects(tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "k.sqlite", seed=False, policy=DistillPolicy(every_effects=6))
    kb.add(_fix("harmful", template="+pipe.InitBuffer(inQueueX, 1, 65536);"))
    _credit(kb, "harmful", [(False, True)] * 5)
    assert kb.get("harmful").state == "active" and kb.decisions() == []
    _credit(kb, "harmful", [(False, True)] * 6)  # the 6th effect triggers a pass; later ones record on a deleted entry
    assert kb.get("harmful").state == "deleted" and kb.decisions()[0].action == "prune"
    assert kb.get("harmful").stats.uses == 6


def test_candidates_respect_the_policy(empty_kb: KnowledgeBase) -> None:
    kb = empty_kb
    kb.add(_fix("bad", template="+pipe.InitBuffer(inQueueX, 1, 65536);"))
    _credit(kb, "bad", [(False, True)] * 3)
    assert Distiller(kb.store).prune_candidates() == []
    assert [e.id for e in Distiller(kb.store, policy=DistillPolicy(min_uses=3)).prune_candidates()] == ["bad"]
    kb.add(_fix("dup", template="+pipe.InitBuffer(inQueueX, 1, 65536);"))
    kb.add(_fix("different", template="+AscendC::DataCopyPad(xLocal, xGm, params, pad);"))  # same error, other fix
    assert [(a.id, b.id) for a, b, _ in Distiller(kb.store).merge_candidates()] == [("bad", "dup")]
    assert Distiller(kb.store, policy=DistillPolicy(merge_similarity=1.01)).merge_candidates() == []


def test_the_actor_body_distils_on_its_timer(tmp_path: Path) -> None:
    """The periodic pass of the actor (its plain class, no Ray): a harmful entry is pruned without a request."""
    import time

    from knowledge.actor import KnowledgeActor

    body = KnowledgeActor(str(tmp_path / "k.sqlite"), distill_interval_s=0.05, seed=False,
                          policy=DistillPolicy(every_effects=0))
    try:
        body.add(_fix("harmful", template="+pipe.InitBuffer(inQueueX, 1, 65536);"))
        for i in range(6):
            body.record_effect(["harmful"], Outcome(f"ev{i}", passed=False, parent_passed=True))
        deadline = time.monotonic() + 60
        while body.get("harmful").state != "deleted" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert body.get("harmful").state == "deleted" and body.decisions()[0].action == "prune"
    finally:
        body.close()
