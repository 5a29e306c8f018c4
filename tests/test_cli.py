"""The `hawk` command line: verb groups exist, and bad usage fails loudly with a usage message."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest


def _hawk(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("hawk")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "controller.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_help_lists_every_verb_group() -> None:
    out = _hawk("--help")
    assert out.returncode == 0
    for group in ("demo", "agent", "campaign", "kb", "sim", "tasks"):
        assert group in out.stdout


@pytest.mark.parametrize("argv, needle", [
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["agent", "serve", "--port", "1", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["tasks", "nope"], "invalid choice: 'nope'"),
])
def test_bad_usage_is_a_clear_error(argv: list[str], needle: str) -> None:
    out = _hawk(*argv)
    assert out.returncode == 2
    assert "usage:" in out.stderr and needle in out.stderr


def test_group_without_verb_prints_help_and_fails() -> None:
    out = _hawk("campaign")
    assert out.returncode == 2
    assert "resume" in out.stdout and "a verb is required" in out.stderr


def test_bad_values_are_one_line_with_exit_2_in_a_real_process(tmp_path) -> None:
    bad_store = tmp_path / "results.sqlite"
    bad_store.write_bytes(b"garbage, not SQLite" * 100)
    for argv, needle in [
        (["sim", "run", "k.cpp", "--task", "add_fp16_small", "--sets", "-2"], "--sets: -2 is out of range 1..1000"),
        (["campaign", "status", "--store", str(bad_store)], "is not a usable hawk results database"),
        (["agent", "serve", "--port", "0", "--max-concurrent", "0"], "--max-concurrent: 0 is out of range"),
    ]:
        out = _hawk(*argv)
        lines = out.stderr.strip().splitlines()
        assert out.returncode == 2 and len(lines) == 1 and needle in lines[0], out.stderr
        assert "Traceback" not in out.stderr


def test_internal_errors_hint_at_debug_and_debug_shows_the_traceback(tmp_path) -> None:
    import os

    # A knowledge database path inside a file: an OSError we name, not a traceback; then --debug anywhere.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = _hawk("kb", "--db", str(blocker / "kb.sqlite"), "list")
    assert out.returncode == 2 and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    env = {**os.environ, "HAWK_DEBUG": "1"}
    exe = shutil.which("hawk")
    cmd = [exe] if exe else [sys.executable, "-m", "controller.cli"]
    dbg = subprocess.run([*cmd, "tasks", "show", "no_such_task_xyz", "--debug"], capture_output=True, text=True,
                         timeout=120, env=env)
    assert dbg.returncode == 2 and "no_such_task_xyz" in dbg.stderr
