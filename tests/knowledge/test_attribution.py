"""Per-entry attribution: only applied entries are credited, each use with its evidence; trial promotion;
the arbiter (LLM or rule) judges on per-use evidence; old databases migrate."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from controller.knowledge_client import CampaignKnowledge
from controller.store import Candidate
from hawk.v1 import result_pb2
from knowledge import transforms
from knowledge.base import KnowledgeBase
from knowledge.distill import DistillPolicy
from knowledge.llm import LLMConfig
from knowledge.model import Entry, Outcome
from knowledge.store import SCHEMA_VERSION, KnowledgeStore
from npu_agent.taskspec import TaskDef
from tests.knowledge.helpers import kernel, ok, task, ub_overflow
from tests.support.openai_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[2]
ADD = (ROOT / "tasks/kernels/add_fp16_8192x8192/baseline.cpp").read_text()
DOUBLE = "seed-ascend910b2-double-buffer"
TILES = "seed-ascend910b2-larger-tiles"
UB = "seed-ascend910b2-ub-capacity"
ALL_CORES = "seed-ascend910b2-use-all-cores"


def _cand(cid: str, source: str, parent: str | None = None, used: list[str] | None = None,
          params: dict | None = None) -> Candidate:
    return Candidate(id=cid, campaign_id="camp", task="add", task_hash="h", round=1, source=source,
                     source_hash=cid, parent_id=parent, proposer="offline", knowledge_used=used or [],
                     params=params or {}, state="done")


def _step(source: str, name: str, values: dict, entry: str, retrieved: list[str]) -> tuple[str, dict]:
    cur = transforms.get(name).current(source)
    return transforms.apply(source, name, values), {
        "transform": name, "values": values, "from": {k: cur[k] for k in values}, "entry": entry,
        "retrieved": retrieved}


def test_each_entry_is_credited_with_what_its_own_candidate_did(kb: KnowledgeBase) -> None:
    ck = CampaignKnowledge(kb, "ascend910b2")
    t = TaskDef(spec=task())
    parent = _cand("c0", ADD)
    presult = ok("c0", 300.0, floor=0.3, mte2=0.91)
    ck.observe(t, parent, presult, None)
    retrieved = [DOUBLE, TILES, UB, ALL_CORES]
    # c1 applied the double-buffer entry (queue_depth up): faster.
    src1, p1 = _step(ADD, "queue_depth", {"depth": 2}, DOUBLE, retrieved)
    ck.observe(t, _cand("c1", src1, "c0", [DOUBLE], p1), ok("c1", 180.0, floor=0.6, mte2=0.52), (parent, _ev(presult)))
    # c2 applied the larger-tiles entry (tile up) too far: it overflowed UB.
    src2, p2 = _step(ADD, "tile", {"tile": 32768}, TILES, retrieved)
    ck.observe(t, _cand("c2", src2, "c0", [TILES], p2), ub_overflow("c2"), (parent, _ev(presult)))
    [u1], [u2] = kb.effects(DOUBLE), kb.effects(TILES)
    assert u1["effect"] > 0.5 and u1["speedup"] == 300.0 / 180.0 and u2["effect"] == -1.0
    assert u1["evidence"]["transform"] == {"name": "queue_depth", "values": {"depth": 2}, "from": {"depth": 1},
                                           "entry": DOUBLE}
    assert u1["evidence"]["counterfactual"] is True and "the effect is that step's alone" in u1["evidence"]["credit"]
    assert (u1["evidence"]["pipes_before"]["MTE2"], u1["evidence"]["pipes_after"]["MTE2"]) == (0.91, 0.52)
    assert (u2["evidence"]["parent_status"], u2["evidence"]["child_status"]) == ("OK", "HARDWARE_EXCEPTION")
    assert u2["evidence"]["error_class"] == "UB_OUT_OF_BOUNDS" and u2["evidence"]["proposer"] == "offline"
    # Retrieved but not applied: no effect at all (the UB entry is not blamed for the overflow it warned of).
    assert kb.effects(UB) == [] and kb.effects(ALL_CORES) == []
    assert kb.get(DOUBLE).stats.mean_effect != kb.get(TILES).stats.mean_effect


def _ev(result: result_pb2.Result):
    from controller.store import Evaluation

    return Evaluation(candidate_id=result.evaluation_id, task="add", status=result_pb2.Status.Name(result.status),
                      message="", time_us=result.profile.time_us or None, speedup=None, floor_fraction=None,
                      bottleneck="", agent_id="a", device_id=0, cached=False, result=result)


def test_a_hand_edit_credits_every_applied_entry_and_says_it_is_shared(kb: KnowledgeBase) -> None:
    ck = CampaignKnowledge(kb, "ascend910b2")
    t = TaskDef(spec=task())
    parent, presult = _cand("p", kernel(tile=40000)), ub_overflow("p")
    ck.observe(t, parent, presult, None)
    ck.observe(t, _cand("q", kernel(tile=8192), "p", [UB, DOUBLE]), ok("q", 100.0), (parent, _ev(presult)))
    [a], [b] = kb.effects(UB), kb.effects(DOUBLE)
    assert a["effect"] == b["effect"] == 1.0 and a["evidence"]["counterfactual"] is False
    assert "shared by the 2 entries" in a["evidence"]["credit"] and a["evidence"]["changed_lines"] == 2
    assert "+constexpr uint32_t TILE_LENGTH = 8192;" in a["evidence"]["diff"] and a["evidence"]["line"] == 3


def test_the_rule_never_prunes_an_entry_on_uses_where_it_was_not_applied(kb: KnowledgeBase) -> None:
    """The distiller judges effect rows, and the campaign writes rows only for applied entries: an entry that
    is retrieved next to failing candidates it did not touch keeps zero uses and cannot be pruned."""
    ck = CampaignKnowledge(kb, "ascend910b2")
    t = TaskDef(spec=task())
    bystander = kb.add({"title": "Bystander", "rationale": "retrieved, never applied", "kind": "optimization",
                        "template": "@@ -1 +1 @@\n-a\n+b", "origin": "manual"})
    culprit = kb.add({"title": "Culprit", "rationale": "applied, breaks kernels", "kind": "optimization",
                      "template": "@@ -1 +1 @@\n-c\n+d", "origin": "manual"})
    parent, presult = _cand("p", kernel(tile=4096)), ok("p", 100.0)
    ck.observe(t, parent, presult, None)
    for i in range(8):
        ck.observe(t, _cand(f"x{i}", kernel(tile=40000 + i), "p", [culprit.id],
                            {"retrieved": [bystander.id, culprit.id, UB]}), ub_overflow(f"x{i}"),
                   (parent, _ev(presult)))
    assert kb.effects(bystander.id) == [] and kb.get(bystander.id).stats.uses == 0
    report = kb.distill()
    assert report.pruned == [culprit.id] and kb.get(bystander.id).state == "active"
    [d] = [d for d in kb.decisions() if d.action == "prune"]
    assert "worst uses:" in d.reason and "OK 100.0us -> HARDWARE_EXCEPTION [UB_OUT_OF_BOUNDS line 11]" in d.reason


def test_seed_entries_stay_protected_by_the_rule(kb: KnowledgeBase) -> None:
    for i in range(6):
        kb.record_effect([DOUBLE], Outcome(f"b{i}", passed=False, parent_passed=True),
                         {"parent_status": "OK", "child_status": "WRONG_ANSWER", "error_class": "NUMERIC_MISMATCH",
                          "transform": {"name": "queue_depth", "values": {"depth": 2}, "from": {"depth": 1}}})
    report = kb.distill()
    assert DOUBLE in report.kept and kb.get(DOUBLE).state == "active"
    [d] = [d for d in kb.decisions() if d.entry_ids == (DOUBLE,)]
    assert d.by == "rule" and "documented hardware fact" in d.reason
    assert "after queue_depth depth 1 -> 2" in d.reason


def test_trial_entries_become_active_on_a_further_gain_and_are_deleted_on_a_break(empty_kb: KnowledgeBase) -> None:
    kb = empty_kb
    from tests.knowledge.helpers import observe

    def trial(n: int) -> Entry:
        e = kb.synthesize(observe(ub_overflow(f"f{n}"), kernel(tile=40000 + n)),
                          observe(ok(f"g{n}", 100.0), kernel(tile=8192)))
        assert e is not None and e.state == "trial"
        return e

    a = trial(1)
    kb.record_effect([a.id], Outcome("g1", passed=True, parent_passed=False))  # its own evaluation: no re-check
    assert kb.get(a.id).state == "trial"
    kb.record_effect([a.id], Outcome("u1", passed=True, parent_passed=True, speedup=1.05))  # within the noise
    assert kb.get(a.id).state == "trial"
    kb.record_effect([a.id], Outcome("u2", passed=True, parent_passed=False), {"child_status": "OK"})
    assert kb.get(a.id).state == "active" and "re-verified" in kb.history(a.id)[-1]["reason"]
    b = trial(2)
    kb.record_effect([b.id], Outcome("u3", passed=False, parent_passed=True),
                     {"parent_status": "OK", "child_status": "WRONG_ANSWER"})
    gone = kb.get(b.id)
    assert gone.state == "deleted" and gone.deleted_reason.startswith("trial template broke a passing kernel: u3")
    assert len(kb.effects(b.id)) == 1  # the evidence stays


def test_the_llm_arbiter_sees_per_entry_evidence(tmp_path: Path) -> None:
    answers: list[str] = []

    def reply(req: dict) -> str:
        answers.append(req["messages"][1]["content"])
        return json.dumps({"decision": "keep", "reason": "the failures come from tiles past the UB check"})

    with FakeOpenAIServer(reply) as srv:
        kb = KnowledgeBase(tmp_path / "k.sqlite", llm=LLMConfig(base_url=srv.base_url, model="arb"),
                           policy=DistillPolicy(every_effects=0))
        for i in range(5):
            kb.record_effect([TILES], Outcome(f"t{i}", passed=False, parent_passed=True, parent_evaluation_id="p"),
                             {"parent_status": "OK", "parent_time_us": 268.5, "child_status": "HARDWARE_EXCEPTION",
                              "error_class": "UB_OUT_OF_BOUNDS", "error_line": 40,
                              "transform": {"name": "tile", "values": {"tile": 32768}, "from": {"tile": 16384}},
                              "bottleneck_before": "PIPE_BOUND:MTE2", "counterfactual": True,
                              "credit": "child = parent + one transformation (tile tile 16384 -> 32768)"})
        report = kb.distill()
        assert TILES in report.kept
        [prompt] = [a for a in answers if TILES in a]
        assert "uses (newest 5 of 5, each on a kernel that applied it):" in prompt
        assert ("- effect -1.00: t0: OK 268.5us -> HARDWARE_EXCEPTION [UB_OUT_OF_BOUNDS line 40] after tile "
                "tile 16384 -> 32768; bottleneck PIPE_BOUND:MTE2 -> ?") in prompt
        assert "credit: child = parent + one transformation" in prompt
        assert 'transform: {"name": "tile", "values": {"tile": "double"}}' in prompt
        assert "the uses" in srv.requests[0]["messages"][0]["content"]


# A knowledge database as schema 1 wrote it (before effect evidence and Entry.transform).
_SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entries (id TEXT PRIMARY KEY, key TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, kind TEXT NOT NULL,
    hardware TEXT NOT NULL, origin TEXT NOT NULL, title TEXT NOT NULL, version INTEGER NOT NULL, created REAL NOT NULL,
    updated REAL NOT NULL, body TEXT NOT NULL);
CREATE UNIQUE INDEX entries_live_key ON entries(key) WHERE key != '' AND state != 'deleted';
CREATE INDEX entries_state ON entries(state, hardware);
CREATE TABLE versions (entry_id TEXT NOT NULL, version INTEGER NOT NULL, at REAL NOT NULL, reason TEXT NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (entry_id, version));
CREATE TABLE effects (entry_id TEXT NOT NULL, evaluation_id TEXT NOT NULL, parent_evaluation_id TEXT NOT NULL DEFAULT '',
    passed INTEGER NOT NULL, parent_passed INTEGER, speedup REAL, effect REAL NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (entry_id, evaluation_id));
CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, action TEXT NOT NULL,
    entry_ids TEXT NOT NULL, by TEXT NOT NULL, reason TEXT NOT NULL, prompt TEXT NOT NULL DEFAULT '',
    response TEXT NOT NULL DEFAULT '', basis TEXT NOT NULL DEFAULT '');
INSERT INTO meta VALUES ('schema_version', '1'), ('revision', '7');
"""


def test_an_old_database_file_is_migrated_and_stays_readable(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    body = {"id": DOUBLE, "title": "Double-buffer", "rationale": "old text", "kind": "optimization",
            "state": "active", "hardware": "ascend910b2", "origin": "seed", "key": f"seed:{DOUBLE}",
            "template": "BUFFER_NUM = 2", "trigger": {}, "features": {}, "check": None, "provenance": [],
            "rationale_by": "doc", "deleted_reason": "", "merged_into": "", "version": 1, "created": 1.0,
            "updated": 1.0}
    conn = sqlite3.connect(path)
    conn.executescript(_SCHEMA_1)
    conn.execute("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                 (DOUBLE, f"seed:{DOUBLE}", "active", "optimization", "ascend910b2", "seed", "Double-buffer", 1, 1.0,
                  1.0, json.dumps(body)))
    conn.execute("INSERT INTO versions VALUES (?,?,?,?,?)", (DOUBLE, 1, 1.0, "seed pack", json.dumps(body)))
    conn.execute("INSERT INTO effects VALUES (?,?,?,?,?,?,?,?)", (DOUBLE, "old-ev", "p", 1, 1, 1.5, 0.5, 2.0))
    conn.commit()
    conn.close()

    store = KnowledgeStore(path)
    assert store.meta("schema_version") == str(SCHEMA_VERSION) == "2"
    assert store.effects(DOUBLE) == [{"evaluation_id": "old-ev", "parent_evaluation_id": "p", "passed": True,
                                      "parent_passed": True, "speedup": 1.5, "effect": 0.5, "at": 2.0,
                                      "evidence": {}}]
    assert store.get(DOUBLE).transform is None and store.get(DOUBLE).stats.uses == 1
    store.record_effect([DOUBLE], Outcome("new-ev", passed=True), {"child_status": "OK"})
    assert store.effects(DOUBLE)[-1]["evidence"] == {"child_status": "OK"}
    store.close()
    # Seeding the migrated file gives the old seed entry its executable transform as a new version.
    kb = KnowledgeBase(path)
    e = kb.get(DOUBLE)
    assert e.transform == {"name": "queue_depth", "values": {"depth": 2}} and e.version == 2
    assert e.rationale == "old text" and kb.history(DOUBLE)[-1]["reason"] == "seed pack: executable transform added"
    assert len(kb.effects(DOUBLE)) == 2


def test_the_campaign_report_shows_effects_credited_per_entry(tmp_path: Path) -> None:
    from controller.report import knowledge_effects, summary_text, write_html
    from controller.store import ResultsStore

    store = ResultsStore(tmp_path / "results.sqlite")
    cid = store.create_campaign("c", "name='c'", "ascend910b2")
    base = store.add_candidate(cid, "add", "th", 0, "src-0", "h0", "offline")
    store.record_evaluation(base, ok("e0", 300.0))
    fast = store.add_candidate(cid, "add", "th", 1, "src-1", "h1", "offline", parent_id=base,
                               knowledge_used=[DOUBLE])
    store.record_evaluation(fast, ok("e1", 200.0))
    broke = store.add_candidate(cid, "add", "th", 1, "src-2", "h2", "offline", parent_id=base,
                                knowledge_used=[TILES])
    store.record_evaluation(broke, ub_overflow("e2"))
    store.add_candidate(cid, "add", "th", 1, "src-3", "h3", "offline", parent_id=base, knowledge_used=[UB])  # no result
    rows = {r.entry_id: r for r in knowledge_effects(store, cid)}
    assert set(rows) == {DOUBLE, TILES}
    assert (rows[DOUBLE].uses, rows[DOUBLE].passes, rows[DOUBLE].mean_effect) == (1, 1, 0.5)
    assert rows[DOUBLE].geomean_speedup == 1.5 and (rows[TILES].breaks, rows[TILES].mean_effect) == (1, -1.0)
    text = summary_text(store, cid)
    assert "knowledge: 2 effects credited to 2 entries" in text
    assert f"  {DOUBLE:44s}    1    1     0      0   +0.50    1.50x" in text
    html = write_html(store, cid, tmp_path / "r.html").read_text()
    assert "Knowledge: effects credited per entry" in html and f"<td>{TILES}</td><td>1</td><td>0</td>" in html


def test_a_learnt_step_equal_to_a_documented_one_merges_into_it(kb: KnowledgeBase) -> None:
    from tests.knowledge.helpers import observe

    cur = transforms.get("queue_depth").current(ADD)
    child = transforms.apply(ADD, "queue_depth", {"depth": 2})
    learnt = kb.synthesize(observe(ok("s1", 300.0, floor=0.3), ADD),
                           observe(ok("s2", 150.0), child, transform={"transform": "queue_depth",
                                                                      "values": {"depth": 2}, "from": cur}))
    assert learnt.transform == {"name": "queue_depth", "values": {"depth": "up"}}  # learnt from 1 -> 2
    assert kb.get(DOUBLE).transform == {"name": "queue_depth", "values": {"depth": 2}}  # documented: two buffers
    kb.record_effect([learnt.id], Outcome("s3", passed=True, parent_passed=True, speedup=1.5))
    report = kb.distill()
    assert (DOUBLE, learnt.id) in report.merged and kb.get(learnt.id).merged_into == DOUBLE
    assert [u["evaluation_id"] for u in kb.effects(DOUBLE)] == ["s3"]  # its evidence moved with it
