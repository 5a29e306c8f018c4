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
