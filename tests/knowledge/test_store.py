"""The plain SQLite store: entries, versions, soft deletion, effects, JSONL, bad input, concurrent writers."""

from __future__ import annotations

import io
import json
import math
import sqlite3
import threading
from pathlib import Path

import pytest

from knowledge.model import Decision, Entry, EntryNotFound, KnowledgeError, Outcome
from knowledge.store import KnowledgeStore, default_path


def _entry(**kw) -> dict:
    base = {"title": "Align DataCopy to 32 B", "rationale": "DataCopy moves whole 32-byte blocks.",
            "trigger": {"error_class": "TAIL_MISMATCH", "apis": ["DataCopy"]}, "template": "DataCopyPad(...);",
            "hardware": "ascend910b2"}
    base.update(kw)
    return base


def test_add_get_update_keeps_every_version(store: KnowledgeStore) -> None:
    e = store.add(_entry())
    assert e.id.startswith("kb-") and e.version == 1 and e.state == "active"
    e2 = store.update(e.id, {"rationale": "Use DataCopyPad for the tail."}, reason="clearer")
    assert e2.version == 2 and e2.rationale == "Use DataCopyPad for the tail."
    hist = store.history(e.id)
    assert [h["version"] for h in hist] == [1, 2]
    assert hist[0]["entry"]["rationale"] == "DataCopy moves whole 32-byte blocks." and hist[1]["reason"] == "clearer"
    with pytest.raises(KnowledgeError, match="at version 2, not 1"):
        store.update(e.id, {"title": "x"}, reason="stale writer", expect_version=1)
    with pytest.raises(KnowledgeError, match="needs a reason"):
        store.update(e.id, {"title": "x"}, reason="")
    with pytest.raises(KnowledgeError, match=r"\['version'\] cannot be changed"):
        store.update(e.id, {"version": 9}, reason="no")
    assert store.get(e.id).version == 2


def test_soft_delete_keeps_the_entry_and_its_reason(store: KnowledgeStore) -> None:
    e = store.add(_entry())
    with pytest.raises(KnowledgeError, match="needs a reason"):
        store.delete(e.id, " ")
    d = store.delete(e.id, "wrong on this SoC")
    assert d.state == "deleted" and d.deleted_reason == "wrong on this SoC"
    assert store.entries() == [] and [x.id for x in store.entries(states=None)] == [e.id]
    assert store.history(e.id)[-1]["reason"] == "deleted: wrong on this SoC"
    r = store.restore(e.id, "it was right after all")
    assert r.state == "active" and r.deleted_reason == "" and r.version == 3
    with pytest.raises(EntryNotFound, match="no knowledge entry 'kb-nope'"):
        store.get("kb-nope")


@pytest.mark.parametrize(("bad", "message"), [
    ({"title": ""}, "'title' is required"),
    ({"kind": "magic"}, "kind 'magic' is not one of"),
    ({"colour": "red"}, r"unknown field\(s\) \['colour'\]"),
    ({"trigger": {"apis": "DataCopy"}}, "trigger.apis must be a list"),
    ({"trigger": {"error_klass": "X"}}, r"trigger has unknown field\(s\)"),
    ({"check": {"when": "__import__('os').system('true')", "message": "m"}}, "calls something other than"),
    ({"check": {"when": "TILE > ", "message": "m"}}, "does not parse"),
    ({"state": "deleted"}, "needs deleted_reason"),
])
def test_bad_entries_are_refused_with_the_field_named_and_nothing_changes(store: KnowledgeStore, bad: dict,
                                                                          message: str) -> None:
    store.add(_entry(title="kept"))
    before = store.revision()
    with pytest.raises(KnowledgeError, match=message):
        store.add(_entry(**bad))
    assert [e.title for e in store.entries(states=None)] == ["kept"] and store.revision() == before


def test_one_live_entry_per_key(store: KnowledgeStore) -> None:
    a = store.add(_entry(key="k1"))
    with pytest.raises(KnowledgeError, match=f"a live entry \\({a.id}\\) already has key 'k1'"):
        store.add(_entry(key="k1"))
    store.delete(a.id, "superseded")
    b = store.add(_entry(key="k1"))  # a deleted entry no longer holds its key
    assert store.find_by_key("k1").id == b.id
    with pytest.raises(KnowledgeError, match="already exists"):
        store.add(_entry(id=b.id))


def test_effects_aggregate_and_are_idempotent_per_evaluation(store: KnowledgeStore) -> None:
    a, b = store.add(_entry()).id, store.add(_entry(title="other")).id
    assert store.record_effect([a, b], Outcome("ev1", passed=True, parent_passed=False)) == 2  # a fix: +1
    assert store.record_effect([a], Outcome("ev1", passed=True, parent_passed=False)) == 0     # retried: nothing
    store.record_effect([a], Outcome("ev2", passed=False, parent_passed=True))                  # a break: -1
    store.record_effect([a], Outcome("ev3", passed=True, parent_passed=True, speedup=1.5))      # +0.5
    store.record_effect([a], Outcome("ev4", passed=True, parent_passed=True, speedup=0.5))      # -0.5
    s = store.get(a).stats
    assert (s.uses, s.passes, s.fails, s.fixes, s.breaks, s.speedup_n) == (4, 3, 1, 1, 1, 2)
    assert s.mean_effect == pytest.approx(0.0) and s.geomean_speedup == pytest.approx(math.sqrt(0.75))
    assert store.get(b).stats.uses == 1
    assert [x["evaluation_id"] for x in store.effects(a)] == ["ev1", "ev2", "ev3", "ev4"]


def test_effects_for_unknown_entries_record_nothing(store: KnowledgeStore) -> None:
    a = store.add(_entry()).id
    with pytest.raises(KnowledgeError, match=r"unknown knowledge entries \['kb-ghost'\]"):
        store.record_effect([a, "kb-ghost"], Outcome("ev1", passed=True))
    with pytest.raises(KnowledgeError, match="needs the evaluation_id"):
        store.record_effect([a], Outcome("", passed=True))
    with pytest.raises(KnowledgeError, match="speedup must be positive"):
        store.record_effect([a], Outcome("ev1", passed=True, parent_passed=True, speedup=0.0))
    assert store.get(a).stats.uses == 0


def test_export_import_round_trip_is_complete_and_idempotent(store: KnowledgeStore, tmp_path: Path) -> None:
    a = store.add(_entry(key="k-a"))
    store.update(a.id, {"title": "Align DataCopy"}, reason="shorter")
    b = store.add(_entry(title="b", check={"when": "TILE_LENGTH % 16 != 0", "message": "unaligned {TILE_LENGTH}"}))
    store.delete(b.id, "duplicate")
    store.record_effect([a.id], Outcome("ev1", passed=True, parent_passed=False))
    store.record_decision(Decision(action="prune", entry_ids=(b.id,), by="rule", reason="duplicate",
                                   prompt="p", response="r", basis="x"))
    path = tmp_path / "kb.jsonl"
    assert store.export_jsonl(path) == 1 + 4 + 2 + 1 + 1  # header, versions, entries, effect, decision

    other = KnowledgeStore(tmp_path / "other.sqlite")
    counts = other.import_jsonl(path)
    assert counts == {"entries_added": 2, "entries_updated": 0, "entries_skipped": 0, "versions": 4, "effects": 1,
                      "decisions": 1}
    for eid in (a.id, b.id):
        assert other.get(eid).to_dict() == store.get(eid).to_dict()
        assert other.history(eid) == store.history(eid)
    assert other.decisions()[0].prompt == "p" and other.decisions()[0].basis == "x"
    again = other.import_jsonl(path)
    assert again["entries_added"] == again["effects"] == again["decisions"] == again["versions"] == 0
    assert other.get(a.id).stats.uses == 1

    store.update(a.id, {"rationale": "newer"}, reason="newer version")
    buf = io.StringIO()
    store.export_jsonl(buf)
    buf.seek(0)
    assert other.import_jsonl(buf)["entries_updated"] == 1 and other.get(a.id).rationale == "newer"


def test_a_bad_import_line_names_its_line_and_imports_nothing(store: KnowledgeStore, tmp_path: Path) -> None:
    source = KnowledgeStore(tmp_path / "src.sqlite")
    source.add(_entry(title="one"))
    source.add(_entry(title="two"))
    path = tmp_path / "kb.jsonl"
    source.export_jsonl(path)
    lines = path.read_text().splitlines()
    assert json.loads(lines[3])["type"] == "entry"
    bad = json.loads(lines[3])
    bad["entry"]["kind"] = "rumour"
    path.write_text("\n".join([*lines[:3], json.dumps(bad), *lines[4:]]) + "\n")
    store.add(_entry(title="mine"))
    with pytest.raises(KnowledgeError, match="line 4: entry .* kind 'rumour'"):
        store.import_jsonl(path)
    assert [e.title for e in store.entries(states=None)] == ["mine"]
    path.write_text(lines[0] + "\n{not json\n")
    with pytest.raises(KnowledgeError, match="line 2: not JSON"):
        store.import_jsonl(path)
    path.write_text(lines[3] + "\n")
    with pytest.raises(KnowledgeError, match="first line must be its header"):
        store.import_jsonl(path)
    assert [e.title for e in store.entries(states=None)] == ["mine"]


def test_reopen_sees_everything_and_a_foreign_file_is_refused(tmp_path: Path) -> None:
    s = KnowledgeStore(tmp_path / "k.sqlite")
    e = s.add(_entry())
    s.record_effect([e.id], Outcome("ev1", passed=True))
    s.close()
    s2 = KnowledgeStore(tmp_path / "k.sqlite")
    assert s2.get(e.id).stats.uses == 1
    assert sqlite3.connect(tmp_path / "k.sqlite").execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    (tmp_path / "junk.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(KnowledgeError, match="junk.sqlite is not a usable knowledge database"):
        KnowledgeStore(tmp_path / "junk.sqlite")


def test_default_path_follows_hawk_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HAWK_HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / "knowledge.sqlite"
    monkeypatch.delenv("HAWK_HOME")
    assert default_path() == Path.home() / ".hawk" / "knowledge.sqlite"


def test_concurrent_writers_lose_no_update(tmp_path: Path) -> None:
    """Threads, each with its own store object on one file (like separate processes), write at once."""
    path = tmp_path / "k.sqlite"
    shared = KnowledgeStore(path).add(_entry(title="shared")).id
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            s = KnowledgeStore(path)
            for i in range(20):
                s.record_effect([shared], Outcome(f"w{w}-ev{i}", passed=i % 2 == 0, parent_passed=True))
                if i % 5 == 0:
                    s.add(Entry(id=f"kb-w{w}-{i}", title=f"from writer {w}", rationale="r"))
                    s.update(shared, {"features": {"touched": f"{w}-{i}"}}, reason=f"writer {w}")
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    s = KnowledgeStore(path)
    st = s.get(shared).stats
    assert (st.uses, st.passes, st.fails) == (120, 60, 60)
    assert len(s.entries()) == 1 + 6 * 4
    assert s.get(shared).version == 1 + 6 * 4 and len(s.history(shared)) == 1 + 6 * 4
