"""The SQLite results store: dedup by source hash, results recorded once, best per task, resume state."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from controller.store import ResultsStore, StoreError
from hawk.v1 import result_pb2


def _ok(time_us: float) -> result_pb2.Result:
    r = result_pb2.Result(status=result_pb2.OK, agent_id="a1")
    r.profile.time_us = time_us
    r.profile.bottleneck.kind = result_pb2.Bottleneck.PIPE_BOUND
    r.profile.bottleneck.pipe = result_pb2.MTE2
    return r


def test_candidates_are_unique_per_source_and_results_recorded_once(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    cid = store.create_campaign("c", "name='c'", "ascend910b2")
    store.record_baseline(cid, "add", 100.0)
    a = store.add_candidate(cid, "add", "th", 0, "src-a", "ha", "offline")
    assert a is not None
    assert store.add_candidate(cid, "add", "th", 1, "src-a", "ha", "offline") is None
    b = store.add_candidate(cid, "add", "th", 0, "src-b", "hb", "offline", parent_id=a, knowledge_used=["k1"])
    assert [c.id for c in store.pending_candidates(cid)] == [a, b]
    assert store.record_evaluation(a, _ok(50.0))
    assert not store.record_evaluation(a, _ok(10.0)), "a second result for the same candidate must be refused"
    store.record_evaluation(b, result_pb2.Result(status=result_pb2.COMPILE_ERROR, message="boom"))
    assert store.best(cid)["add"]["candidate_id"] == a
    assert store.best(cid)["add"]["speedup"] == pytest.approx(2.0)
    assert store.counts(cid) == {"OK": 1, "COMPILE_ERROR": 1, "pending": 0}
    ev = store.evaluation(a)
    assert ev is not None and ev.bottleneck == "MTE2" and ev.result.agent_id == "a1"
    assert store.candidate(b).knowledge_used == ["k1"]


def test_reopen_keeps_everything_and_unknown_ids_are_named(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    store = ResultsStore(path)
    cid = store.create_campaign("c", "", "ascend910b2")
    a = store.add_candidate(cid, "t", "th", 0, "s", "h", "llm")
    store.close()
    again = ResultsStore(path)
    assert [c.id for c in again.pending_candidates(cid)] == [a]
    with pytest.raises(StoreError, match="no campaign 'nope'"):
        again.campaign("nope")
    with pytest.raises(StoreError, match="already exists"):
        again.create_campaign("c", "", "x", campaign_id=cid)


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    cid = store.create_campaign("c", "", "ascend910b2")

    def worker(w: int) -> None:
        for i in range(25):
            c = store.add_candidate(cid, "t", "th", 0, f"s{w}-{i}", f"h{w}-{i}", "offline")
            assert c is not None
            store.record_evaluation(c, _ok(1.0 + i))

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.counts(cid) == {"OK": 100, "pending": 0}


def test_rounds_count_only_when_fully_proposed(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    cid = store.create_campaign("c", "", "ascend910b2")
    assert store.rounds_proposed(cid, "t") == 0
    store.add_candidate(cid, "t", "th", 0, "a", "ha", "offline")
    store.mark_round_proposed(cid, "t", 0)
    store.add_candidate(cid, "t", "th", 1, "b", "hb", "offline")  # round 1 cut short by a stop
    store.mark_round_proposed(cid, "t", 2)                         # a later round does not close the gap
    assert store.rounds_proposed(cid, "t") == 1
    assert store.proposed_in_round(cid, "t", 1) == 1
