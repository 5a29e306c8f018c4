"""A campaign's observations cross to the knowledge store packed (plain values, results serialized) and are
viewed as Observations there: the views equal the ones the driver built itself before, secrets scrubbed, a
shared parent packed once, and observing a packed batch changes the store exactly as observing the views."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.knowledge_client import CampaignKnowledge
from controller.store import Candidate, Evaluation
from hawk.v1 import result_pb2
from knowledge.base import KnowledgeBase
from knowledge.distill import DistillPolicy
from knowledge.observation import Observation, unpack_observations
from npu_agent import secrets
from npu_agent.taskspec import TaskDef
from tests.knowledge.helpers import compile_error, kernel, ok, task, ub_overflow, wrong_tail

SECRET = "packed-test-secret-0123456789"


@pytest.fixture
def secret() -> Iterator[str]:
    secrets.register(SECRET)
    yield SECRET
    secrets.clear()


def _cand(cid: str, source: str, *, parent: str | None = None, used: tuple[str, ...] = (),
          params: dict | None = None, proposer: str = "offline") -> Candidate:
    return Candidate(id=cid, campaign_id="c1", task="add", task_hash="h", round=1, source=source, source_hash=cid,
                     parent_id=parent, proposer=proposer, knowledge_used=list(used), params=params or {},
                     state="done")


def _ev(cid: str, result: result_pb2.Result) -> Evaluation:
    return Evaluation(candidate_id=cid, task="add", status=result_pb2.Status.Name(result.status), message="",
                      time_us=None, speedup=None, floor_fraction=None, bottleneck="", agent_id="", device_id=0,
                      cached=False, result=result)


def _items() -> list[tuple]:
    t = TaskDef(spec=task())
    parent = _cand("p1", kernel(tile=40000))
    parent_ev = _ev("p1", ub_overflow("p1"))
    leaky = compile_error("c3", f"cannot open token file: {SECRET}")
    transform = {"transform": "double_buffer", "values": {"BUFFER_NUM": 2}, "entry": "seed-x"}
    return [
        (t, _cand("c1", kernel(tile=8192), parent="p1", used=("seed-ascend910b2-ub-capacity",) * 2,
                  params={"values": {"TILE": 8192}}), ok("c1", 100.0), (parent, parent_ev)),
        (t, _cand("c2", kernel(tile=4096), parent="p1", params=transform, proposer="llm"), ok("c2", 90.0),
         (parent, parent_ev)),
        (t, _cand("c3", kernel(tile=512)), leaky, None),
        (t, _cand("c4", kernel(tile=4001), parent="p9"), wrong_tail("c4"), (_cand("p9", "x"), None)),
    ]


def test_packed_views_equal_the_drivers_own_and_leave_no_secret(tmp_path: Path, secret: str) -> None:
    ck = CampaignKnowledge(KnowledgeBase(tmp_path / "kb.sqlite", seed=False), "ascend910b2")
    items = _items()
    packed = ck.pack_observations(items)
    assert list(packed["parents"]) == ["p1"] and len(packed["items"]) == 4   # the shared parent once
    assert SECRET.encode() not in repr(packed).encode()
    assert items[2][2].diagnostics[0].message.endswith(SECRET)   # the caller's result is left as it was
    views = unpack_observations(packed)
    for (t, cand, result, parent), (obs, pobs, used, proposer) in zip(items, views, strict=True):
        assert isinstance(obs, Observation)
        assert obs.to_dict() == ck._observation(t, cand, result).to_dict()
        if parent is not None and parent[1] is not None:
            assert pobs is not None and pobs.to_dict() == ck._observation(t, parent[0], parent[1].result).to_dict()
        else:
            assert pobs is None
        assert used == list(dict.fromkeys(cand.knowledge_used)) and proposer == cand.proposer
    assert "[redacted]" in views[2][0].error_message and SECRET not in views[2][0].error_message
    assert views[1][0].transform["transform"] == "double_buffer" and views[0][0].params == {"TILE": 8192}
    assert views[0][1] is views[1][1]   # a shared parent is viewed once


def test_observing_a_packed_batch_changes_the_store_as_observing_each_view(tmp_path: Path) -> None:
    quiet = DistillPolicy(every_effects=0)
    packed_kb = KnowledgeBase(tmp_path / "packed.sqlite", policy=quiet)
    plain_kb = KnowledgeBase(tmp_path / "plain.sqlite", policy=quiet)
    ck = CampaignKnowledge(packed_kb, "ascend910b2")
    items = _items()
    changed = ck.observe_many(items)   # a plain KnowledgeBase: views built here, then observe_many
    views = unpack_observations(ck.pack_observations(items))
    expected = plain_kb.observe_many(views)
    assert changed == expected >= 1
    entry = "seed-ascend910b2-ub-capacity"
    assert [e["evidence"] for e in packed_kb.effects(entry)] == [e["evidence"] for e in plain_kb.effects(entry)] != []
    assert sorted(e.title for e in packed_kb.entries(None)) == sorted(e.title for e in plain_kb.entries(None))
