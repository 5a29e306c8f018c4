"""`hawk kb` verbs through the real `hawk` entry point, on real SQLite files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controller.cli import main
from knowledge.base import KnowledgeBase
from knowledge.model import Outcome
from knowledge.seed import load_pack
from tests.knowledge.helpers import kernel, observe, ok, ub_overflow


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["kb", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "k.sqlite"
    kb = KnowledgeBase(path)
    failed = observe(ub_overflow("ev1"), kernel(tile=40000))
    kb.observe(failed)
    e = kb.synthesize(failed, observe(ok("ev2", 100.0), kernel(tile=8192)))
    kb.record_effect([e.id], Outcome("ev3", passed=True, parent_passed=False),
                     {"parent_status": "HARDWARE_EXCEPTION", "child_status": "OK", "child_time_us": 99.0,
                      "diff": "-constexpr uint32_t TILE_LENGTH = 40000;\n+constexpr uint32_t TILE_LENGTH = 8192;",
                      "changed_lines": 2, "line": 3, "credit": "child = parent + a 2-line change applying this entry"})
    return path


SEEDS = len(load_pack("ascend910b2"))


def test_list_show_search_stats(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    rc, out, _ = _run(capsys, "--db", str(db), "list")
    # the synthesised entry was a trial until ev3, a further verified use with a gain, made it active
    assert rc == 0 and "seed-ascend910b2-ub-capacity" in out and f"{SEEDS + 1} entries in {db}" in out
    rc, out, _ = _run(capsys, "list", "--db", str(db), "--json")
    synth = [e for e in json.loads(out) if e["origin"] == "synthesis"]
    assert rc == 0 and len(synth) == 1 and synth[0]["stats"]["uses"] == 1
    eid = synth[0]["id"]
    rc, out, _ = _run(capsys, "--db", str(db), "show", eid)
    assert rc == 0 and "Fix for UB_OUT_OF_BOUNDS at InitBuffer" in out and "+constexpr uint32_t TILE_LENGTH = 8192;" in out
    assert "failed parent (HARDWARE_EXCEPTION)" in out and "uses=1 passes=1" in out and "verified fix ev2 of ev1" in out
    assert "ev3: HARDWARE_EXCEPTION -> OK 99.0us after 2 changed line(s) from line 3" in out
    assert "credit: child = parent + a 2-line change applying this entry" in out and "re-verified" in out
    rc, out, _ = _run(capsys, "--db", str(db), "search", "ub address out of bounds InitBuffer",
                      "--error-class", "UB_OUT_OF_BOUNDS", "-k", "2", "--json")
    hits = json.loads(out)
    assert rc == 0 and len(hits) == 2
    assert {h["id"] for h in hits} == {eid, "seed-ascend910b2-ub-capacity"}
    assert all(h["syntactic_score"] > 0 and h["semantic_score"] > 0 and h["reasons"] for h in hits)
    rc, out, _ = _run(capsys, "--db", str(db), "search", "DataCopy tail", "-k", "1")
    assert rc == 0 and out.startswith("1. seed-ascend910b2-datacopy") and "syntactic #1" in out
    rc, out, _ = _run(capsys, "--db", str(db), "stats")
    s = json.loads(out)
    assert rc == 0 and s["entries"] == SEEDS + 1 and s["effects"] == 1
    assert s["by_origin"] == {"seed": SEEDS, "synthesis": 1}


def test_export_import_and_bad_input(capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "kb.jsonl"
    rc, out, _ = _run(capsys, "--db", str(db), "export", str(out_file))
    assert rc == 0 and "exported" in out
    fresh = tmp_path / "fresh.sqlite"
    rc, out, _ = _run(capsys, "--db", str(fresh), "import", str(out_file))
    assert rc == 0 and "entries_added 1" in out and "effects 1" in out  # the seeds were already there
    [imported] = [e for e in KnowledgeBase(fresh).entries() if e.origin == "synthesis"]
    assert KnowledgeBase(fresh).effects(imported.id)[0]["evidence"]["child_time_us"] == 99.0  # evidence kept
    bad = tmp_path / "bad.jsonl"
    bad.write_text(out_file.read_text().splitlines()[0] + "\n{\"type\": \"entry\", \"entry\": {\"id\": \"x\"}}\n")
    before = KnowledgeBase(fresh).stats()["revision"]
    rc, _, err = _run(capsys, "--db", str(fresh), "import", str(bad))
    assert rc == 2 and "line 2: entry field 'title' is required" in err and "nothing was imported" in err
    assert KnowledgeBase(fresh).stats()["revision"] == before
    rc, _, err = _run(capsys, "--db", str(fresh), "import", str(tmp_path / "missing.jsonl"))
    assert rc == 2 and "no such file" in err
    rc, _, err = _run(capsys, "--db", str(db), "show", "kb-nope")
    assert rc == 2 and "no knowledge entry 'kb-nope'" in err
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"x" * 4096)
    rc, _, err = _run(capsys, "--db", str(junk), "list")
    assert rc == 2 and "is not a usable knowledge database" in err


def test_distill_and_default_path(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAWK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HAWK_KB_LLM_BASE_URL", raising=False)
    kb = KnowledgeBase(None)
    assert kb.path == str(tmp_path / "home" / "knowledge.sqlite")
    eid = kb.add({"title": "harmful", "rationale": "r", "template": "+pipe.InitBuffer(q, 1, 65536);"}).id
    for i in range(6):
        kb.record_effect([eid], Outcome(f"ev{i}", passed=False, parent_passed=True))
    rc, out, _ = _run(capsys, "distill")
    assert rc == 0 and f"prune  {eid}" in out and "by rule: reliably negative" in out and "pruned 1" in out
    rc, out, _ = _run(capsys, "list", "--state", "deleted")
    assert rc == 0 and eid in out
    assert main(["kb"]) == 2
