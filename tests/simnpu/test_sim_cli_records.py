"""`hawk sim run` never leaves its scratch instruction record behind: not after a failed run, and the ones a
killed run left are removed by the next run."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from controller.cli import main
from npu_agent.simnpu.cli import RECORD_PREFIX, _clean_stale_records
from tests.simnpu.helpers import EXAMPLE_TASKS, EXAMPLES


@pytest.fixture
def private_tmp(monkeypatch: pytest.MonkeyPatch) -> Path:
    d = Path(tempfile.mkdtemp(prefix="hawk-rec-tmp-"))
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return d


def test_stale_records_of_dead_processes_are_removed(private_tmp: Path) -> None:
    dead = private_tmp / f"{RECORD_PREFIX}999999999-abc.bin"   # no such pid
    mine = private_tmp / f"{RECORD_PREFIX}{os.getpid()}-abc.bin"
    old = private_tmp / f"{RECORD_PREFIX}legacy.bin"           # the old unattributed name, a day old
    fresh = private_tmp / f"{RECORD_PREFIX}fresh.bin"
    for p in (dead, mine, old, fresh):
        p.write_bytes(b"x")
    t = time.time() - 2 * 86400
    os.utime(old, (t, t))
    assert _clean_stale_records(private_tmp) == 2
    assert not dead.exists() and not old.exists() and mine.exists() and fresh.exists()


@pytest.fixture
def sim_root(request: pytest.FixtureRequest) -> Path:
    """$HAWK_SIM_WORK_ROOT when set (a private, already built twin), else the session's twin root."""
    root = os.environ.get("HAWK_SIM_WORK_ROOT")
    return Path(root) if root else request.getfixturevalue("twin_root")


def test_a_failed_run_leaves_no_record(private_tmp: Path, sim_root: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HAWK_SIM_WORK_ROOT", str(sim_root))
    broken = tmp_path / "broken.cpp"
    broken.write_text((EXAMPLES / "add_custom.cpp").read_text().replace(
        "AscendC::Add(zLocal, xLocal, yLocal, tileLength);", "AscendC::Add(zLocal, xLocal, yLocal, tileLength * 4096);"))
    rc = main(["sim", "run", str(broken), "--task", "example_add_fp16", "--task-file", str(EXAMPLE_TASKS),
               "--seed", "3"])
    out = capsys.readouterr().out
    assert rc == 1 and "HARDWARE_EXCEPTION" in out
    assert list(private_tmp.glob(f"{RECORD_PREFIX}*")) == []
