"""2-D retrieval: each space on its own, their fusion, scope, and the reasons given."""

from __future__ import annotations

from knowledge.base import KnowledgeBase
from knowledge.model import Entry, Trigger
from knowledge.observation import Observation
from knowledge.retrieval import Query, semantic_similarity, tokens
from tests.knowledge.helpers import compile_error, kernel, observe, ok, ub_overflow


def test_tokens_keep_identifiers_and_their_parts() -> None:
    assert tokens("AscendC::DataCopyPad(x) the UB_OUT_OF_BOUNDS 255 7") == [
        "datacopypad", "data", "copy", "pad", "ub_out_of_bounds", "ub", "out", "bounds", "255"]


def test_a_hardware_exception_retrieves_the_ub_capacity_entry_first(kb: KnowledgeBase) -> None:
    obs = observe(ub_overflow("ev1"), kernel(tile=40000))
    hits = kb.retrieve(obs, k=3)
    top = hits[0]
    assert top.entry.id == "seed-ascend910b2-ub-capacity"
    assert top.score > 0.5 and top.syntactic_score > 0 and top.semantic_score > 0
    assert top.score == max(h.score for h in hits) and top.score <= 1.0
    assert any("error class UB_OUT_OF_BOUNDS matches" in r for r in top.reasons)
    assert any(r.startswith("syntactic #1") and "initbuffer" in r for r in top.reasons)
    # The same family (on-chip capacity) comes next on the semantic axis.
    fam = [h for h in hits if h.entry.id == "seed-ascend910b2-queue-buffer-limit"]
    assert fam and any("same error family (capacity" in r for r in fam[0].reasons)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True) and len(hits) == 3


def test_a_latency_bound_profile_retrieves_double_buffering_on_the_semantic_axis(kb: KnowledgeBase) -> None:
    obs = observe(ok("ev2", 300.0, floor=0.3, block_dim=48), kernel(tile=4096, buffer_num=1))
    assert obs.error_class == "SLOW:LATENCY_BOUND:MTE2" and obs.bottleneck == "LATENCY_BOUND:MTE2"
    hits = kb.retrieve(Query(bottleneck=obs.bottleneck, error_class=obs.error_class, pipes=obs.pipes,
                             hardware="ascend910b2"), k=2)
    assert {h.entry.id for h in hits} == {"seed-ascend910b2-double-buffer", "seed-ascend910b2-use-all-cores"}
    assert all(h.syntactic_score > 0 or h.semantic_score > 0.5 for h in hits)
    assert any("about MTE2" in r and "bottleneck kind LATENCY_BOUND" in r for r in hits[0].reasons)


def test_a_hallucinated_api_retrieves_the_documented_api_entry(kb: KnowledgeBase) -> None:
    obs = observe(compile_error("ev3", "no member named 'Softmax' in namespace 'AscendC'"), kernel(op="Softmax"))
    assert obs.error_class == "UNKNOWN_API" and obs.error_api == "Softmax"
    assert kb.retrieve(obs, k=1)[0].entry.id == "seed-ascend910b2-no-hallucinated-api"


def _e(eid: str, title: str, **kw) -> Entry:
    return Entry(id=eid, title=title, rationale=kw.pop("rationale", "r"), hardware=kw.pop("hardware", "socx"), **kw)


def test_fusion_prefers_an_entry_good_in_both_spaces(empty_kb: KnowledgeBase) -> None:
    kb = empty_kb
    # A: text only. B: hardware state only. C: A's text match and B's state. D: neither.
    # A's and C's text is the same (the error class is not text), B's and C's structured features are.
    state = {"error_class": "GM_OUT_OF_BOUNDS", "bottleneck": "PIPE_BOUND:MTE2"}
    feats = {"dtypes": ["float16"], "category": "gather"}
    kb.add(_e("A", "Gather scatter indices", trigger=Trigger(apis=["Gather"], error_class="SYNTAX")))
    kb.add(_e("B", "unrelated words", trigger=Trigger(**state), features=feats))
    kb.add(_e("C", "Gather scatter indices", trigger=Trigger(apis=["Gather"], **state), features=feats))
    kb.add(_e("D", "nothing in common", trigger=Trigger(error_class="SYNTAX")))
    q = Query(text="Gather scatter", bottleneck="PIPE_BOUND:MTE2", dtypes=["float16"], category="gather",
              hardware="socx")
    hits = kb.retrieve(q, k=4)
    assert [h.entry.id for h in hits][0] == "C" and {h.entry.id for h in hits[1:]} == {"A", "B"}  # D: neither
    a, b, c = (next(h for h in hits if h.entry.id == x) for x in "ABC")
    assert a.semantic_score == 0 and b.syntactic_score == 0
    assert c.syntactic_score == a.syntactic_score and c.semantic_score == b.semantic_score
    # Noisy-OR: C scores what either space alone would not reach, and each hit's score follows from its two.
    assert c.score > max(a.score, b.score)
    assert all(abs(h.score - (1 - (1 - h.syntactic_score) * (1 - h.semantic_score))) < 1e-5 for h in hits)
    assert all(0 < h.score <= 1 for h in hits)


def test_semantic_score_is_over_the_query_groups() -> None:
    s, why = semantic_similarity({"error_class": "UB_OUT_OF_BOUNDS", "dtypes": ["float16"]},
                                 {"error_class": "UB_OUT_OF_BOUNDS", "category": "elementwise"})
    assert s == 3.0 / 3.25 and why == ["error class UB_OUT_OF_BOUNDS matches"]
    s2, _ = semantic_similarity({"pipes": {"MTE2": 0.9, "VECTOR": 0.1}}, {"pipes": {"MTE2": 0.8, "VECTOR": 0.2}})
    assert 0.98 < s2 <= 1.0
    assert semantic_similarity({}, {"error_class": "X"}) == (0.0, [])
    assert semantic_similarity({"pipes": {"MTE2": 1}}, {"pipes": "garbage"}) == (0.0, [])


def test_scope_pending_and_k(empty_kb: KnowledgeBase) -> None:
    kb = empty_kb
    kb.add(_e("here", "DataCopy tail", hardware="ascend910b2"))
    kb.add(_e("any", "DataCopy tail anywhere", hardware="*"))
    kb.add(_e("elsewhere", "DataCopy tail", hardware="ascend310p"))
    kb.add(_e("pending", "DataCopy tail unresolved", hardware="ascend910b2", state="pending"))
    ids = {h.entry.id for h in kb.retrieve(Query.from_text("DataCopy tail", hardware="ascend910b2"), k=10)}
    assert ids == {"here", "any"}
    ids = {h.entry.id for h in kb.retrieve(Query.from_text("DataCopy tail", hardware="ascend910b2"), k=10,
                                           include_pending=True)}
    assert ids == {"here", "any", "pending"}
    assert len(kb.retrieve("DataCopy tail", k=1)) == 1 and kb.retrieve("DataCopy", k=0) == []


def test_the_index_follows_the_store(empty_kb: KnowledgeBase) -> None:
    kb = empty_kb
    assert kb.retrieve("Mmad fractal", k=3) == []
    kb.add(_e("m", "Mmad needs whole fractals", hardware="*"))
    assert [h.entry.id for h in kb.retrieve("Mmad fractal", k=3)] == ["m"]
    kb.delete("m", "gone")
    assert kb.retrieve("Mmad fractal", k=3) == []


def test_from_text_picks_up_error_classes_and_apis() -> None:
    q = Query.from_text("UB_OUT_OF_BOUNDS after AscendC::DataCopyPad(")
    assert q.error_class == "UB_OUT_OF_BOUNDS" and q.apis == ["DataCopyPad"]
    assert Observation(status="OK").passed and Query.from_observation(Observation(status="OK")).status == ""
