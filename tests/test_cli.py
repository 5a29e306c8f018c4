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


def test_kb_show_names_a_slower_passing_parent_and_prints_iso_times(tmp_path, capsys) -> None:
    """A speed-up learnt from a passing but slower parent is not shown as coming from a failure."""
    import re

    from controller.cli import main
    from knowledge.base import KnowledgeBase
    from tests.knowledge.helpers import kernel, observe, ok

    kb = KnowledgeBase(tmp_path / "k.sqlite")
    slow = observe(ok("ev-slow", 200.0), kernel(tile=1024))
    kb.observe(slow)
    entry = kb.synthesize(slow, observe(ok("ev-fast", 100.0), kernel(tile=8192)))
    assert entry is not None
    assert main(["kb", "--db", str(tmp_path / "k.sqlite"), "show", entry.id]) == 0
    out = capsys.readouterr().out
    assert "slower parent (passed, 200 us): " in out and "evaluation_id=ev-slow" in out, out
    assert "faster child (OK, 100 us): " in out and "role=failed" not in out, out
    assert re.search(r"^  v1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  ", out, re.MULTILINE), out


GRPC_BIND_TWICE = """
import socket, sys
from controller.noise import quiet_third_party
quiet_third_party(int(sys.argv[1]))
import grpc
from concurrent import futures
taken = socket.socket(); taken.bind(("127.0.0.1", 0)); taken.listen()
server = grpc.server(futures.ThreadPoolExecutor(1))
try:
    server.add_insecure_port(f"127.0.0.1:{taken.getsockname()[1]}")
except RuntimeError:
    pass
"""


def test_grpc_core_log_lines_are_off_unless_verbose() -> None:
    """gRPC's C core logs a failed bind at ERROR (as it logs a GOAWAY): silent at the default verbosity, back
    with -v; an explicit GRPC_VERBOSITY of the user's is kept."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("GRPC_")}

    def stderr(verbosity: int, **extra: str) -> str:
        return subprocess.run([sys.executable, "-c", GRPC_BIND_TWICE, str(verbosity)], capture_output=True, text=True,
                              timeout=120, env={**env, **extra}).stderr

    assert "add_port" in stderr(1) or "Failed to add port" in stderr(1)
    assert stderr(0) == ""
    assert "Failed to add port" in stderr(0, GRPC_VERBOSITY="ERROR")
